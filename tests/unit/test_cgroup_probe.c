/* Unit tests for src/runtime/cgroup_probe.c: the cgroup layout read from
 * fabricated mountinfo files (pure v1, pure v2, hybrid, co-mounted and
 * named hierarchies, junk lines), and once from the real host. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <linux/magic.h>
#include <string.h>
#include <sys/vfs.h>

#include "base/fs.h"
#include "base/str.h"
#include "runtime/cgroup_probe.h"

/* A temp dir holding the mountinfo file. The dir itself is the statfs
 * root: it is no cgroup2 mount, so the mode follows from the mountinfo. */
struct fx {
	char dir[64];
	char *mountinfo;
	struct cgroup_layout l;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/husk-test-cgroup-XXXXXX");
	if (!mkdtemp(f->dir) || !(f->mountinfo = path_join(f->dir, "mountinfo")))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	cgroup_layout_release(&f->l);
	unlink(f->mountinfo);
	rmdir(f->dir);
	free(f->mountinfo);
	free(f);
	return 0;
}

static void probe(struct fx *f, const char *mountinfo)
{
	_cleanup_error_ struct husk_error *err = NULL;

	assert_int_equal(atomic_write_file(f->mountinfo, mountinfo, strlen(mountinfo), 0600, NULL),
	                 0);
	cgroup_layout_release(&f->l);
	if (cgroup_probe(f->mountinfo, f->dir, &f->l, &err) < 0)
		fail_msg("cgroup_probe: %s", error_message(err));
}

static void assert_v1(const struct cgroup_layout *l, const char *controller, const char *path)
{
	const char *p = cgroup_v1_path(l, controller);

	if (!p)
		fail_msg("no v1 mount for \"%s\"", controller);
	assert_string_equal(p, path);
}

#define ROOT_LINES                                                                                 \
	"22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"                                  \
	"23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:2 - proc proc rw\n"

#define V1_LINES                                                                                   \
	"31 23 0:28 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"  \
	"32 31 0:29 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:10 - cgroup "   \
	"cgroup rw,memory\n"                                                                       \
	"33 31 0:30 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:11 - cgroup "     \
	"cgroup rw,pids\n"                                                                         \
	"34 31 0:31 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:12 - "     \
	"cgroup cgroup rw,cpu,cpuacct\n"                                                           \
	"35 31 0:32 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:13 - cgroup "  \
	"cgroup rw,xattr,name=systemd\n"                                                           \
	"36 31 0:33 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:14 - cgroup "   \
	"cgroup rw,noprefix,cpuset,clone_children\n"

static void test_pure_v1(void **state)
{
	struct fx *f = *state;

	probe(f, ROOT_LINES V1_LINES);
	assert_int_equal(f->l.mode, CGROUP_MODE_V1);
	assert_null(f->l.unified);
	assert_int_equal(f->l.n_v1, 5);
	assert_v1(&f->l, "memory", "/sys/fs/cgroup/memory");
	assert_v1(&f->l, "pids", "/sys/fs/cgroup/pids");
	assert_v1(&f->l, "cpuset", "/sys/fs/cgroup/cpuset");
	assert_string_equal(cgroup_mode_name(f->l.mode), "v1");
	assert_string_equal(cgroup_mode_version(f->l.mode), "1");
}

static void test_comounted(void **state)
{
	struct fx *f = *state;

	probe(f, ROOT_LINES V1_LINES);
	/* one mount, two controllers, both at the same path */
	assert_v1(&f->l, "cpu", "/sys/fs/cgroup/cpu,cpuacct");
	assert_v1(&f->l, "cpuacct", "/sys/fs/cgroup/cpu,cpuacct");
}

static void test_options_not_controllers(void **state)
{
	struct fx *f = *state;

	probe(f, ROOT_LINES V1_LINES);
	/* named hierarchies and super-block options are no controllers */
	assert_null(cgroup_v1_path(&f->l, "name=systemd"));
	assert_null(cgroup_v1_path(&f->l, "systemd"));
	assert_null(cgroup_v1_path(&f->l, "xattr"));
	assert_null(cgroup_v1_path(&f->l, "noprefix"));
	assert_null(cgroup_v1_path(&f->l, "clone_children"));
	assert_null(cgroup_v1_path(&f->l, "rw"));
	assert_null(cgroup_v1_path(&f->l, "hugetlb"));
}

static void test_pure_v2(void **state)
{
	struct fx *f = *state;

	probe(f, ROOT_LINES "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 "
	                    "- cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n");
	/* a cgroup2 tree and no v1 controller is v2, wherever it is mounted */
	assert_int_equal(f->l.mode, CGROUP_MODE_V2);
	assert_string_equal(f->l.unified, "/sys/fs/cgroup");
	assert_int_equal(f->l.n_v1, 0);
	assert_null(cgroup_v1_path(&f->l, "memory"));
	assert_string_equal(cgroup_mode_version(CGROUP_MODE_V2), "2");
	assert_string_equal(cgroup_mode_name(CGROUP_MODE_V2), "v2");
}

static void test_hybrid(void **state)
{
	struct fx *f = *state;

	probe(f, ROOT_LINES V1_LINES "37 31 0:34 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,"
	                             "relatime shared:15 - cgroup2 cgroup2 rw,nsdelegate\n");
	assert_int_equal(f->l.mode, CGROUP_MODE_HYBRID);
	assert_string_equal(f->l.unified, "/sys/fs/cgroup/unified");
	assert_v1(&f->l, "memory", "/sys/fs/cgroup/memory");
	assert_string_equal(cgroup_mode_name(f->l.mode), "hybrid");
	/* Docker reports hybrid hosts as cgroup v1 */
	assert_string_equal(cgroup_mode_version(f->l.mode), "1");
}

static void test_named_only_and_v2(void **state)
{
	struct fx *f = *state;

	/* a named v1 hierarchy holds no controller: they are all in the v2 tree */
	probe(f, "35 31 0:32 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd\n"
	         "37 31 0:34 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n");
	assert_int_equal(f->l.n_v1, 0);
	assert_int_equal(f->l.mode, CGROUP_MODE_V2);
	assert_string_equal(f->l.unified, "/sys/fs/cgroup/unified");
}

static void test_escaped_mount_point(void **state)
{
	struct fx *f = *state;

	/* the kernel writes space, tab, newline and backslash in paths as \ooo */
	probe(f, "32 31 0:29 / /cg/my\\040mem\\011x rw - cgroup cgroup rw,memory\n"
	         "33 31 0:30 / /cg/back\\134slash rw - cgroup cgroup rw,pids\n"
	         "34 31 0:31 / /cg/bad\\09 rw - cgroup cgroup rw,blkio\n"
	         "37 31 0:34 / /cg/uni\\040fied rw - cgroup2 cgroup2 rw\n");
	assert_v1(&f->l, "memory", "/cg/my mem\tx");
	assert_v1(&f->l, "pids", "/cg/back\\slash");
	/* not an octal escape: kept as it is */
	assert_v1(&f->l, "blkio", "/cg/bad\\09");
	assert_string_equal(f->l.unified, "/cg/uni fied");
}

static void test_first_cgroup2_wins(void **state)
{
	struct fx *f = *state;

	probe(f, "37 31 0:34 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"
	         "38 31 0:34 / /mnt/other rw - cgroup2 cgroup2 rw\n");
	assert_string_equal(f->l.unified, "/sys/fs/cgroup/unified");
}

static void test_optional_fields(void **state)
{
	struct fx *f = *state;

	/* zero or several optional fields before the " - " separator */
	probe(f, "32 31 0:29 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
	         "33 31 0:30 / /sys/fs/cgroup/pids rw shared:1 master:2 propagate_from:3 - "
	         "cgroup cgroup rw,pids\n");
	assert_int_equal(f->l.n_v1, 2);
	assert_v1(&f->l, "memory", "/sys/fs/cgroup/memory");
	assert_v1(&f->l, "pids", "/sys/fs/cgroup/pids");
}

static void test_malformed_lines(void **state)
{
	struct fx *f = *state;

	probe(f, "\n"
	         "garbage\n"
	         "32 31 0:29 / /sys/fs/cgroup/a rw cgroup cgroup rw,memory\n"
	         "33 31 - cgroup cgroup rw,pids\n"
	         "34 31 0:30 / /sys/fs/cgroup/b rw - cgroup\n"
	         "35 31 0:31 / /sys/fs/cgroup/c rw - cgroup cgroup\n"
	         " - - - \n"
	         "36 31 0:32 / /sys/fs/cgroup/blkio rw - cgroup cgroup rw,blkio\n"
	         "37 31 0:33 / /sys/fs/cgroup/d rw - cgroup2\n"
	         "38 31 0:34 / /sys/fs/cgroup/freezer rw - cgroup cgroup rw,freezer");
	/* only the two good lines count (the last one has no newline) */
	assert_int_equal(f->l.n_v1, 2);
	assert_v1(&f->l, "blkio", "/sys/fs/cgroup/blkio");
	assert_v1(&f->l, "freezer", "/sys/fs/cgroup/freezer");
	assert_null(f->l.unified);
	assert_int_equal(f->l.mode, CGROUP_MODE_V1);
}

static void test_other_filesystems(void **state)
{
	struct fx *f = *state;

	probe(f, ROOT_LINES "40 22 0:40 / /mnt rw - tmpfs cgroup rw,memory\n");
	assert_int_equal(f->l.n_v1, 0);
	assert_null(f->l.unified);
	assert_int_equal(f->l.mode, CGROUP_MODE_V1);
}

static void test_empty(void **state)
{
	struct fx *f = *state;

	probe(f, "");
	assert_int_equal(f->l.n_v1, 0);
	assert_null(f->l.unified);
	assert_int_equal(f->l.mode, CGROUP_MODE_V1);
}

static void test_too_many_controllers(void **state)
{
	struct fx *f = *state;
	struct strbuf sb = {0};

	for (int i = 0; i < CGROUP_MAX_CONTROLLERS + 4; i++)
		assert_int_equal(strbuf_printf(&sb,
		                               "%d 31 0:%d / /cg/c%d rw - cgroup cgroup rw,c%d\n",
		                               40 + i, 40 + i, i, i),
		                 0);
	probe(f, sb.buf);
	strbuf_release(&sb);
	/* the extra ones are ignored, not an error */
	assert_int_equal(f->l.n_v1, CGROUP_MAX_CONTROLLERS);
	assert_v1(&f->l, "c0", "/cg/c0");
	assert_null(cgroup_v1_path(&f->l, "c17"));
}

static void test_missing_mountinfo(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct cgroup_layout l = {0};
	struct fx *f = *state;

	assert_int_equal(cgroup_probe(f->mountinfo, f->dir, &l, &err), -ENOENT);
	assert_int_equal(error_code(err), ENOENT);
	assert_non_null(strstr(error_message(err), "mountinfo"));
}

/* The real host: the probe agrees with `stat -fc %T /sys/fs/cgroup`. */
static void test_host(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct cgroup_layout l = {0};
	struct statfs sfs;

	if (statfs("/sys/fs/cgroup", &sfs) < 0) {
		print_message("# /sys/fs/cgroup: %s\n", strerror(errno));
		skip();
	}
	assert_int_equal(cgroup_probe(NULL, NULL, &l, &err), 0);
	if (sfs.f_type == CGROUP2_SUPER_MAGIC) {
		assert_int_equal(l.mode, CGROUP_MODE_V2);
		assert_string_equal(l.unified, "/sys/fs/cgroup");
	} else {
		assert_int_not_equal(l.mode, CGROUP_MODE_V2);
		assert_true(l.n_v1 > 0);
		assert_int_equal(l.mode, l.unified ? CGROUP_MODE_HYBRID : CGROUP_MODE_V1);
		/* every controller's path is a cgroup v1 mount */
		for (size_t i = 0; i < l.n_v1; i++) {
			struct statfs c;

			assert_int_equal(statfs(l.v1[i].path, &c), 0);
			assert_true(c.f_type == CGROUP_SUPER_MAGIC);
		}
	}
	cgroup_layout_release(&l);
}

#define FX_TEST(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	        FX_TEST(test_pure_v1),
	        FX_TEST(test_comounted),
	        FX_TEST(test_options_not_controllers),
	        FX_TEST(test_pure_v2),
	        FX_TEST(test_hybrid),
	        FX_TEST(test_named_only_and_v2),
	        FX_TEST(test_escaped_mount_point),
	        FX_TEST(test_first_cgroup2_wins),
	        FX_TEST(test_optional_fields),
	        FX_TEST(test_malformed_lines),
	        FX_TEST(test_other_filesystems),
	        FX_TEST(test_empty),
	        FX_TEST(test_too_many_controllers),
	        FX_TEST(test_missing_mountinfo),
	        cmocka_unit_test(test_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
