/* Unit tests for userns-remap: the id mapping functions and subordinate id
 * file parsing (src/base/idmap.c), the remap setting's resolution
 * (src/engine/userns.c), and the id shift of layer apply and diff
 * (src/archive) that keeps a remapped store's layers in host ids and its
 * tars in the image's own. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive/archive.h"
#include "base/fs.h"
#include "base/idmap.h"
#include "base/str.h"
#include "engine/userns.h"

/* ---- id mapping ---- */

static void test_to_host_and_back(void **state)
{
	const struct id_map m[] = {{0, 100000, 1000}, {1000, 300000, 64536}};
	uint32_t v = 0;

	assert_int_equal(idmap_to_host(m, 2, 0, &v), 0);
	assert_int_equal(v, 100000);
	assert_int_equal(idmap_to_host(m, 2, 999, &v), 0);
	assert_int_equal(v, 100999);
	assert_int_equal(idmap_to_host(m, 2, 1000, &v), 0);
	assert_int_equal(v, 300000);
	assert_int_equal(idmap_to_host(m, 2, 65535, &v), 0);
	assert_int_equal(v, 364535);
	assert_int_equal(idmap_to_host(m, 2, 65536, &v), -ERANGE);
	assert_int_equal(idmap_to_host(m, 0, 0, &v), -ERANGE);
	assert_int_equal(idmap_to_host(m, 2, UINT32_MAX, &v), -ERANGE);

	assert_int_equal(idmap_to_container(m, 2, 300001, &v), 0);
	assert_int_equal(v, 1001);
	assert_int_equal(idmap_to_container(m, 2, 100000, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(idmap_to_container(m, 2, 0, &v), -ERANGE);
	assert_int_equal(idmap_to_container(m, 2, 101000, &v), -ERANGE);
	/* the kernel's overflow id for what the namespace does not map */
	assert_int_equal(idmap_seen(m, 2, 5), IDMAP_OVERFLOW_ID);
	assert_int_equal(idmap_seen(m, 2, 100005), 5);
}

/* a range at the very top of the id space does not wrap */
static void test_top_of_range(void **state)
{
	const struct id_map m[] = {{0, UINT32_MAX - 10, 10}};
	uint32_t v;

	assert_int_equal(idmap_to_host(m, 1, 9, &v), 0);
	assert_int_equal(v, UINT32_MAX - 1);
	assert_int_equal(idmap_to_host(m, 1, 10, &v), -ERANGE);
	assert_int_equal(idmap_to_container(m, 1, UINT32_MAX, &v), -ERANGE);
}

/* ---- subordinate id files ---- */

static void test_subid_parse_order(void **state)
{
	const char *text = "# comment\n"
	                   "alice:100000:65536\n"
	                   "\n"
	                   "bob:200000:1000\n"
	                   "  alice:500000:10  \n"
	                   "1001:600000:5\n";
	_cleanup_free_ struct id_map *m = NULL;
	size_t n = 0;

	assert_int_equal(subid_parse(text, "/etc/subuid", "alice", &m, &n, NULL), 0);
	assert_int_equal(n, 2);
	/* in file order, numbered from 0 as dockerd's createIDMap does */
	assert_int_equal(m[0].container_id, 0);
	assert_int_equal(m[0].host_id, 100000);
	assert_int_equal(m[0].size, 65536);
	assert_int_equal(m[1].container_id, 65536);
	assert_int_equal(m[1].host_id, 500000);
	assert_int_equal(m[1].size, 10);
	free(TAKE_PTR(m));

	assert_int_equal(subid_parse(text, "/etc/subuid", "1001", &m, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(m[0].host_id, 600000);
	free(TAKE_PTR(m));

	assert_int_equal(subid_parse(text, "/etc/subuid", "carol", &m, &n, NULL), 0);
	assert_int_equal(n, 0);
	assert_null(m);

	/* NULL: every line ("ALL") */
	assert_int_equal(subid_parse(text, "/etc/subuid", NULL, &m, &n, NULL), 0);
	assert_int_equal(n, 4);
	free(TAKE_PTR(m));

	assert_int_equal(subid_parse("", "/etc/subuid", "alice", &m, &n, NULL), 0);
	assert_int_equal(n, 0);
}

static void test_subid_parse_bad(void **state)
{
	static const char *const bad[] = {
	        "alice:100000\n",                 /* two fields */
	        "alice:100000:65536:1\n",         /* four */
	        "alice:x:65536\n",                /* not a number */
	        "alice:100000:-1\n",              /* negative */
	        "alice:100000:0\n",               /* empty range */
	        "alice:4294967295:2\n",           /* past 2^32 */
	        "alice:1:1\nbob:2\n",             /* any bad line refuses the file */
	        "alice:99999999999999999999:1\n", /* overflow */
	};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		_cleanup_error_ struct husk_error *err = NULL;
		_cleanup_free_ struct id_map *m = NULL;
		size_t n = 0;

		assert_int_equal(subid_parse(bad[i], "/etc/subuid", "alice", &m, &n, &err),
		                 -EINVAL);
		assert_non_null(strstr(error_message(err), "/etc/subuid: line "));
	}
}

static void test_subid_parse_caps(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL, *err2 = NULL;
	_cleanup_free_ struct id_map *m = NULL;
	struct strbuf sb = {0};
	size_t n = 0;

	for (int i = 0; i <= IDMAP_MAX_RANGES; i++)
		assert_int_equal(strbuf_printf(&sb, "alice:%d:1\n", 100000 + i), 0);
	assert_int_equal(subid_parse(sb.buf, "f", "alice", &m, &n, &err), -E2BIG);
	assert_non_null(strstr(error_message(err), "more than 340 ranges"));
	strbuf_release(&sb);
	/* container ids past 2^32 */
	assert_int_equal(subid_parse("a:0:4294967295\na:0:2\n", "f", "a", &m, &n, &err2), -E2BIG);
}

static void test_next_free(void **state)
{
	const struct id_map none[] = {{0, 0, 0}};
	const struct id_map some[] = {{0, 165536, 65536}, {0, 100000, 65536}, {0, 500000, 10}};
	const struct id_map top[] = {{0, 100000, UINT32_MAX - 100000}};
	uint32_t v = 0;

	assert_int_equal(subid_next_free(none, 0, &v), 0);
	assert_int_equal(v, 100000);
	/* sorted first: past 100000+65536, then past 165536+65536 */
	assert_int_equal(subid_next_free(some, 3, &v), 0);
	assert_int_equal(v, 231072);
	assert_int_equal(subid_next_free(top, 1, &v), -ERANGE);
}

/* ---- the remap setting ---- */

struct fx {
	char dir[64];
	char *subuid, *subgid;
	struct userns_files files;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/husk-test-userns-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->subuid = path_join(f->dir, "subuid");
	f->subgid = path_join(f->dir, "subgid");
	f->files = (struct userns_files){f->subuid, f->subgid};
	*state = f;
	return f->subuid && f->subgid ? 0 : -1;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	rm_rf(f->dir);
	free(f->subuid);
	free(f->subgid);
	free(f);
	return 0;
}

static void put(const char *path, const char *text)
{
	assert_int_equal(atomic_write_file(path, text, strlen(text), 0644, NULL), 0);
}

/* "nobody" (65534) is in every passwd; its group may be "nogroup" */
static void test_setup_user(void **state)
{
	struct fx *f = *state;
	struct userns_remap r;

	put(f->subuid, "nobody:100000:1000\n65534:300000:65536\n");
	put(f->subgid, "nobody:200000:65536\n");
	/* by uid first (dockerd's lookupSubUIDRanges), then by name */
	assert_int_equal(userns_remap_setup("65534", &f->files, &r, NULL), 0);
	assert_string_equal(r.user, "nobody");
	assert_int_equal(r.map.n_uids, 1);
	assert_int_equal(r.map.uids[0].host_id, 300000);
	assert_int_equal(r.map.n_gids, 1);
	assert_int_equal(r.map.gids[0].host_id, 200000);
	assert_int_equal(r.root_uid, 300000);
	assert_int_equal(r.root_gid, 200000);
	userns_remap_release(&r);

	assert_int_equal(userns_remap_setup("nobody:65534", &f->files, &r, NULL), 0);
	assert_string_equal(r.user, "nobody");
	assert_non_null(r.group);
	userns_remap_release(&r);
}

static void test_setup_errors(void **state)
{
	struct fx *f = *state;
	static const struct {
		const char *spec;
		int code;
		const char *words;
	} cases[] = {
	        {"a:b:c", -EINVAL, "invalid user/group specification"},
	        {":x", -EINVAL, "invalid user/group specification"},
	        {"nobody:", -EINVAL, "invalid user/group specification"},
	        {"no-such-user-husk", -ENOENT, "no user \"no-such-user-husk\""},
	        {"2147483000", -ENOENT, "uid 2147483000 has no entry in /etc/passwd"},
	        {"nobody:no-such-group-husk", -ENOENT, "no group \"no-such-group-husk\""},
	        {"65534", -ENOENT, "no subuid ranges found for user \"nobody\""},
	};
	struct userns_remap r;

	put(f->subuid, "someone:100000:65536\n");
	put(f->subgid, "nobody:100000:65536\n");
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_error_ struct husk_error *err = NULL;

		assert_int_equal(userns_remap_setup(cases[i].spec, &f->files, &r, &err),
		                 cases[i].code);
		if (!strstr(error_message(err), cases[i].words))
			fail_msg("%s: %s", cases[i].spec, error_message(err));
		userns_remap_release(&r);
	}
	/* a user with subuid but no subgid ranges */
	{
		_cleanup_error_ struct husk_error *err = NULL;
		put(f->subuid, "nobody:100000:65536\n");
		put(f->subgid, "#none\n");
		assert_int_equal(userns_remap_setup("65534", &f->files, &r, &err), -ENOENT);
		assert_non_null(strstr(error_message(err), "no subgid ranges"));
		userns_remap_release(&r);
	}
}

/* root cannot be remapped with itself: no remapping, as dockerd */
static void test_setup_root_and_empty(void **state)
{
	struct fx *f = *state;
	struct userns_remap r;

	assert_int_equal(userns_remap_setup("root", &f->files, &r, NULL), 0);
	assert_int_equal(r.map.n_uids, 0);
	assert_null(r.user);
	assert_int_equal(userns_remap_setup("0:0", &f->files, &r, NULL), 0);
	assert_int_equal(r.map.n_uids, 0);
	assert_int_equal(userns_remap_setup("", &f->files, &r, NULL), 0);
	assert_int_equal(userns_remap_setup(NULL, &f->files, &r, NULL), 0);
	assert_int_equal(r.map.n_uids, 0);
}

/* ---- layers: shifted in, shifted back out ---- */

static void make_file(const char *dir, const char *name, uid_t uid, gid_t gid)
{
	_cleanup_free_ char *p = path_join(dir, name);
	_cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(fchown(fd, uid, gid), 0);
}

static void owner_of(const char *dir, const char *name, uid_t uid, gid_t gid)
{
	_cleanup_free_ char *p = path_join(dir, name);
	struct stat st;

	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_uid, uid);
	assert_int_equal(st.st_gid, gid);
}

/* The tree <dir>/src, holding files (name, uid, gid), as an uncompressed
 * layer written with o: an fd at its start. <dir>/dst is made empty. */
struct owned {
	const char *name;
	uid_t uid;
	gid_t gid;
};
static int layer_of(struct fx *f, const struct owned *files, size_t n, const struct diff_opts *o)
{
	_cleanup_free_ char *src = path_join(f->dir, "src"), *dst = path_join(f->dir, "dst"),
	                    *tar = path_join(f->dir, "layer.tar");
	int fd;

	assert_int_equal(mkdir(src, 0755), 0);
	assert_int_equal(mkdir(dst, 0755), 0);
	for (size_t i = 0; i < n; i++)
		make_file(src, files[i].name, files[i].uid, files[i].gid);
	fd = open(tar, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(layer_diff(src, NULL, fd, o, NULL, NULL), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static void test_layer_shift(void **state)
{
	struct fx *f = *state;
	struct id_map host[] = {{0, 300000, 65536}}, other[] = {{0, 400000, 65536}};
	struct id_mapping from = {host, host, 1, 1}, to = {other, other, 1, 1};
	struct diff_opts dopts = {
	        .compression = ARCHIVE_NONE, .timestamp = -1, .id_unshift = &from};
	struct apply_opts aopts = {.no_thread = true, .id_shift = &to};
	const struct owned files[] = {
	        {"root-file", 300000, 300000}, {"user-file", 301000, 302000}, {"unmapped", 5, 5}};
	_cleanup_free_ char *dst = path_join(f->dir, "dst");
	_cleanup_close_ int fd = -1;

	if (geteuid() != 0)
		skip();
	/* out: the image's own ids; a host id the namespace lacks is 65534 */
	fd = layer_of(f, files, ELEMENTSOF(files), &dopts);
	/* in: shifted into another mapping */
	assert_int_equal(layer_apply(fd, dst, &aopts, NULL, NULL), 0);
	owner_of(dst, "root-file", 400000, 400000);
	owner_of(dst, "user-file", 401000, 402000);
	owner_of(dst, "unmapped", 400000 + 65534, 400000 + 65534);
}

/* an owner the mapping cannot hold: an error naming the entry */
static void test_layer_shift_out_of_range(void **state)
{
	struct fx *f = *state;
	struct id_map small[] = {{0, 400000, 1000}};
	struct id_mapping to = {small, small, 1, 1};
	struct diff_opts dopts = {.compression = ARCHIVE_NONE, .timestamp = -1};
	struct apply_opts aopts = {.no_thread = true, .id_shift = &to};
	const struct owned files[] = {{"big-uid", 70000, 0}};
	_cleanup_free_ char *dst = path_join(f->dir, "dst");
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_close_ int fd = -1;

	if (geteuid() != 0)
		skip();
	fd = layer_of(f, files, ELEMENTSOF(files), &dopts);
	assert_int_equal(layer_apply(fd, dst, &aopts, NULL, &err), -ERANGE);
	assert_non_null(strstr(error_message(err), "big-uid"));
	assert_non_null(
	        strstr(error_message(err), "uid 70000 is outside the daemon's user namespace"));
}

#define FX_TEST(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_to_host_and_back),
	        cmocka_unit_test(test_top_of_range),
	        cmocka_unit_test(test_subid_parse_order),
	        cmocka_unit_test(test_subid_parse_bad),
	        cmocka_unit_test(test_subid_parse_caps),
	        cmocka_unit_test(test_next_free),
	        FX_TEST(test_setup_user),
	        FX_TEST(test_setup_errors),
	        FX_TEST(test_setup_root_and_empty),
	        FX_TEST(test_layer_shift),
	        FX_TEST(test_layer_shift_out_of_range),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
