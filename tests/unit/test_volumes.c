/* Unit tests for src/engine/volumes.c, as root on the host: each test
 * gets a data root under /tmp. Names and options Docker refuses, the JSON,
 * idempotent create, anonymous volumes, list filters, remove and prune
 * with in-use volumes, tmpfs and bind mounts of the local driver with
 * their refcounts, copy-up (ownership, symlinks kept as symlinks, never
 * into a volume that has content), and crash leftovers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "engine/volumes.h"

struct fx {
	char *root;
	struct volumes *v;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char tmpl[] = "/tmp/husk-test-volumes.XXXXXX";

	if (!f || !mkdtemp(tmpl))
		return -1;
	f->root = strdup(tmpl);
	if (volumes_open(f->root, &f->v, NULL) < 0)
		return -1;
	*state = f;
	return 0;
}

/* Unmount whatever a failed test left mounted below the root, then
 * delete it. */
static void unmount_below(const char *root)
{
	_cleanup_free_ char *dir = path_join(root, "volumes"), *cmd = NULL;

	cmd = str_printf("grep -o ' %s/[^ ]*' /proc/self/mountinfo 2>/dev/null | "
	                 "xargs -r -n1 umount -l 2>/dev/null",
	                 dir);
	if (cmd && system(cmd) < 0)
		return;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	volumes_free(f->v);
	unmount_below(f->root);
	rm_rf(f->root);
	free(f->root);
	free(f);
	return 0;
}

static json_t *obj(const char *json)
{
	json_t *j = json_loads(json, 0, NULL);

	assert_non_null(j);
	return j;
}

static json_t *create(struct fx *f, const char *name, const char *labels, const char *opts)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *l = labels ? obj(labels) : NULL, *o = opts ? obj(opts) : NULL;
	json_t *ret = NULL;

	if (volume_create(f->v, name, NULL, l, o, &ret, &err) < 0)
		fail_msg("create %s: %s", name ? name : "(anonymous)", error_message(err));
	return ret;
}

static void create_fails(struct fx *f, const char *name, const char *driver, const char *labels,
                         const char *opts, int code, const char *msg)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *l = labels ? obj(labels) : NULL, *o = opts ? obj(opts) : NULL;
	json_t *ret = NULL;

	assert_int_equal(volume_create(f->v, name, driver, l, o, &ret, &err), -code);
	assert_null(ret);
	if (!strstr(error_message(err), msg))
		fail_msg("create %s: \"%s\" lacks \"%s\"", name, error_message(err), msg);
}

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void test_create_and_inspect(void **state)
{
	struct fx *f = *state;
	_cleanup_json_ json_t *v = create(f, "data1", "{\"a\":\"1\"}", NULL), *again = NULL,
	                      *in = NULL;
	_cleanup_free_ char *mp = str_printf("%s/volumes/data1/_data", f->root);
	_cleanup_free_ char *opts = str_printf("%s/volumes/data1/opts.json", f->root);
	const char *k;
	json_t *val;
	struct stat st;
	size_t i = 0;
	static const char *const order[] = {"CreatedAt", "Driver",  "Labels", "Mountpoint",
	                                    "Name",      "Options", "Scope"};

	json_object_foreach (v, k, val)
		assert_string_equal(k, order[i++]);
	assert_int_equal(i, ELEMENTSOF(order));
	assert_string_equal(str(v, "Name"), "data1");
	assert_string_equal(str(v, "Driver"), "local");
	assert_string_equal(str(v, "Scope"), "local");
	assert_string_equal(str(v, "Mountpoint"), mp);
	assert_string_equal(str(json_object_get(v, "Labels"), "a"), "1");
	assert_true(json_is_null(json_object_get(v, "Options")));
	assert_int_equal(strlen(str(v, "CreatedAt")), strlen("2026-01-01T00:00:00Z"));
	assert_int_equal(stat(mp, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(access(opts, F_OK), 0);
	/* the same name again is the same volume (labels of the second ignored) */
	again = create(f, "data1", "{\"b\":\"2\"}", NULL);
	assert_true(json_equal(v, again));
	assert_int_equal(volume_inspect(f->v, "data1", &in, NULL), 0);
	assert_true(json_equal(v, in));
	/* an explicit "local" driver is the same driver */
	json_decref(again);
	again = NULL;
	assert_int_equal(volume_create(f->v, "data1", "local", NULL, NULL, &again, NULL), 0);
}

static void test_create_bad(void **state)
{
	struct fx *f = *state;
	char longname[VOLUME_NAME_MAX + 2];

	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	create_fails(f, "x", NULL, NULL, NULL, EINVAL, "create x: volume name is too short");
	create_fails(f, "a/b", NULL, NULL, NULL, EINVAL,
	             "create a/b: \"a/b\" includes invalid characters for a local volume name, "
	             "only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a "
	             "host directory, use absolute path");
	create_fails(f, "../../etc", NULL, NULL, NULL, EINVAL, "invalid characters");
	create_fails(f, ".hidden", NULL, NULL, NULL, EINVAL, "invalid characters");
	create_fails(f, "-dash", NULL, NULL, NULL, EINVAL, "invalid characters");
	create_fails(f, "sp ace", NULL, NULL, NULL, EINVAL, "invalid characters");
	create_fails(f, longname, NULL, NULL, NULL, EINVAL, "longer than 255");
	create_fails(f, "v1", "nfsplugin", NULL, NULL, ENOENT,
	             "create v1: error looking up volume plugin nfsplugin: plugin \"nfsplugin\" "
	             "not found");
	create_fails(f, "v1", NULL, NULL, "{\"foo\":\"bar\"}", EINVAL,
	             "create v1: invalid option: \"foo\"");
	create_fails(f, "v1", NULL, NULL, "{\"type\":\"tmpfs\"}", EINVAL,
	             "create v1: missing required option: \"device\"");
	create_fails(f, "v1", NULL, NULL, "{\"device\":\"tmpfs\"}", EINVAL,
	             "missing required option: \"type\"");
	create_fails(f, "v1", NULL, NULL, "{\"size\":\"1G\",\"type\":\"x\",\"device\":\"y\"}",
	             EOPNOTSUPP, "no quota support");
	create_fails(f, "v1", NULL, NULL, "{\"type\":7}", EINVAL, "expected a string");
	create_fails(f, "v1", NULL, "{\"a\":1}", NULL, EINVAL, "Labels: \"a\": expected a string");
	create_fails(f, "v1", NULL, "[\"a\"]", NULL, EINVAL, "Labels: expected an object");
	/* nothing was made */
	{
		_cleanup_json_ json_t *list = NULL;
		assert_int_equal(volume_list(f->v, NULL, NULL, NULL, &list, NULL), 0);
		assert_int_equal(json_array_size(json_object_get(list, "Volumes")), 0);
	}
	assert_false(volume_name_valid(NULL));
	assert_false(volume_name_valid(""));
	assert_true(volume_name_valid("a_b.c-1"));
	assert_true(volume_name_valid("9a"));
}

static void test_anonymous(void **state)
{
	struct fx *f = *state;
	_cleanup_json_ json_t *a = create(f, NULL, NULL, NULL), *b = create(f, "", NULL, NULL);
	const char *name = str(a, "Name");

	assert_int_equal(strlen(name), 64);
	assert_int_equal(strspn(name, "0123456789abcdef"), 64);
	assert_string_not_equal(name, str(b, "Name"));
	assert_non_null(json_object_get(json_object_get(a, "Labels"), VOLUME_LABEL_ANON));
}

static void test_inspect_missing(void **state)
{
	struct fx *f = *state;
	_cleanup_error_ struct husk_error *err = NULL, *err2 = NULL;
	json_t *ret = NULL;

	assert_int_equal(volume_inspect(f->v, "nope", &ret, &err), -ENOENT);
	assert_string_equal(error_message(err), "get nope: no such volume");
	/* a name that could escape is simply not a volume */
	assert_int_equal(volume_inspect(f->v, "../volumes", &ret, &err2), -ENOENT);
	assert_null(ret);
}

static const char *used_name;
static const char *in_use(const char *name, void *data)
{
	return used_name && streq(name, used_name) ? "c0ffee" : NULL;
}

static size_t list_count(struct fx *f, const char *filters)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *fl = filters ? obj(filters) : NULL, *list = NULL;

	if (volume_list(f->v, fl, in_use, NULL, &list, &err) < 0)
		fail_msg("list %s: %s", filters, error_message(err));
	assert_true(json_is_null(json_object_get(list, "Warnings")));
	return json_array_size(json_object_get(list, "Volumes"));
}

static void test_list_filters(void **state)
{
	struct fx *f = *state;
	_cleanup_json_ json_t *a = create(f, "alpha", "{\"tier\":\"front\"}", NULL);
	_cleanup_json_ json_t *b = create(f, "beta", "{\"tier\":\"back\",\"x\":\"\"}", NULL);
	_cleanup_json_ json_t *c = create(f, "gamma2", NULL, NULL);
	_cleanup_json_ json_t *list = NULL;
	static const char *const bad[] = {
	        "{\"bogus\":{\"x\":true}}",
	        "{\"dangling\":{\"maybe\":true}}",
	        "{\"all\":{\"true\":true}}",
	};

	used_name = "beta";
	assert_int_equal(list_count(f, NULL), 3);
	assert_int_equal(volume_list(f->v, NULL, NULL, NULL, &list, NULL), 0);
	assert_string_equal(str(json_array_get(json_object_get(list, "Volumes"), 0), "Name"),
	                    "alpha");
	assert_int_equal(list_count(f, "{\"dangling\":{\"true\":true}}"), 2);
	assert_int_equal(list_count(f, "{\"dangling\":{\"1\":true}}"), 2);
	assert_int_equal(list_count(f, "{\"dangling\":[\"false\"]}"), 1);
	assert_int_equal(list_count(f, "{\"driver\":{\"local\":true}}"), 3);
	assert_int_equal(list_count(f, "{\"driver\":{\"nfs\":true}}"), 0);
	assert_int_equal(list_count(f, "{\"label\":{\"tier\":true}}"), 2);
	assert_int_equal(list_count(f, "{\"label\":{\"tier=back\":true}}"), 1);
	assert_int_equal(list_count(f, "{\"label\":{\"tier=back\":true,\"x\":true}}"), 1);
	assert_int_equal(list_count(f, "{\"label\":{\"tier=front\":true,\"x\":true}}"), 0);
	assert_int_equal(list_count(f, "{\"name\":{\"alpha\":true}}"), 1);
	assert_int_equal(list_count(f, "{\"name\":{\"a\":true}}"), 3); /* a regexp: all hold "a" */
	assert_int_equal(list_count(f, "{\"name\":{\"^.a\":true}}"), 1);
	assert_int_equal(list_count(f, "{\"name\":{\"[0-9]$\":true}}"), 1);
	assert_int_equal(list_count(f, "{\"name\":{\"(\":true}}"),
	                 0); /* a bad regexp matches nothing */
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		_cleanup_error_ struct husk_error *err = NULL;
		_cleanup_json_ json_t *fl = obj(bad[i]), *out = NULL;

		assert_int_equal(volume_list(f->v, fl, NULL, NULL, &out, &err), -EINVAL);
		assert_non_null(strstr(error_message(err), "invalid filter '"));
	}
	used_name = NULL;
}

static void test_remove(void **state)
{
	struct fx *f = *state;
	_cleanup_json_ json_t *a = create(f, "keep", NULL, NULL),
	                      *b = create(f, "gone", NULL, NULL);
	_cleanup_free_ char *file = str_printf("%s/volumes/gone/_data/f", f->root);
	_cleanup_free_ char *dir = str_printf("%s/volumes/gone", f->root);
	_cleanup_error_ struct husk_error *e1 = NULL, *e2 = NULL, *e3 = NULL;
	char *path = NULL;

	assert_int_equal(atomic_write_file(file, "x", 1, 0644, NULL), 0);
	used_name = "keep";
	assert_int_equal(volume_remove(f->v, "keep", true, in_use, NULL, &e1), -EBUSY);
	assert_string_equal(error_message(e1), "remove keep: volume is in use - [c0ffee]");
	used_name = NULL;
	/* mounted by a container of ours: in use too */
	assert_int_equal(volume_mount(f->v, "keep", &path, NULL), 0);
	free(path);
	assert_int_equal(volume_users(f->v, "keep"), 1);
	assert_int_equal(volume_remove(f->v, "keep", false, NULL, NULL, &e2), -EBUSY);
	volume_unmount(f->v, "keep");
	assert_int_equal(volume_users(f->v, "keep"), 0);
	volume_unmount(f->v, "keep"); /* once too often: ignored */
	volume_unmount(f->v, "never-mounted");
	assert_int_equal(volume_remove(f->v, "gone", false, NULL, NULL, NULL), 0);
	assert_int_equal(access(dir, F_OK), -1);
	assert_int_equal(volume_remove(f->v, "gone", false, NULL, NULL, &e3), -ENOENT);
	assert_string_equal(error_message(e3), "get gone: no such volume");
	assert_int_equal(volume_remove(f->v, "gone", true, NULL, NULL, NULL), 0);
	assert_int_equal(volume_remove(f->v, "keep", false, NULL, NULL, NULL), 0);
}

static void test_prune(void **state)
{
	struct fx *f = *state;
	_cleanup_json_ json_t *named = create(f, "named", "{\"k\":\"v\"}", NULL);
	_cleanup_json_ json_t *anon1 = create(f, NULL, NULL, NULL);
	_cleanup_json_ json_t *anon2 = create(f, NULL, "{\"k\":\"v\"}", NULL);
	_cleanup_json_ json_t *r1 = NULL, *r2 = NULL, *r3 = NULL, *fl = NULL, *bad = NULL;
	_cleanup_free_ char *file =
	        str_printf("%s/volumes/%s/_data/blob", f->root, str(anon1, "Name"));
	_cleanup_error_ struct husk_error *err = NULL;

	assert_int_equal(atomic_write_file(file, "0123456789", 10, 0644, NULL), 0);
	used_name = str(anon2, "Name");
	/* default: unused anonymous volumes only */
	assert_int_equal(volume_prune(f->v, NULL, in_use, NULL, &r1, NULL), 0);
	assert_int_equal(json_array_size(json_object_get(r1, "VolumesDeleted")), 1);
	assert_string_equal(
	        json_string_value(json_array_get(json_object_get(r1, "VolumesDeleted"), 0)),
	        str(anon1, "Name"));
	assert_int_equal(json_integer_value(json_object_get(r1, "SpaceReclaimed")), 10);
	/* nothing more to prune: null, 0 */
	assert_int_equal(volume_prune(f->v, NULL, in_use, NULL, &r2, NULL), 0);
	assert_true(json_is_null(json_object_get(r2, "VolumesDeleted")));
	assert_int_equal(json_integer_value(json_object_get(r2, "SpaceReclaimed")), 0);
	/* all=true with label!: named has k=v and stays; anon2 is in use */
	fl = obj("{\"all\":{\"true\":true},\"label!\":{\"k=v\":true}}");
	assert_int_equal(volume_prune(f->v, fl, in_use, NULL, &r3, NULL), 0);
	assert_true(json_is_null(json_object_get(r3, "VolumesDeleted")));
	json_decref(fl);
	json_decref(r3);
	fl = obj("{\"all\":[\"1\"],\"label\":{\"k\":true}}");
	assert_int_equal(volume_prune(f->v, fl, in_use, NULL, &r3, NULL), 0);
	assert_string_equal(
	        json_string_value(json_array_get(json_object_get(r3, "VolumesDeleted"), 0)),
	        "named");
	used_name = NULL;
	bad = obj("{\"dangling\":{\"true\":true}}");
	assert_int_equal(volume_prune(f->v, bad, NULL, NULL, &r3, &err), -EINVAL);
	assert_string_equal(error_message(err), "invalid filter 'dangling'");
}

static bool is_tmpfs(const char *path)
{
	struct statfs s;

	return statfs(path, &s) == 0 && s.f_type == TMPFS_MAGIC;
}

static void test_tmpfs_mount_refcount(void **state)
{
	struct fx *f = *state;
	_cleanup_json_ json_t *v = create(
	        f, "scratch", NULL,
	        "{\"type\":\"tmpfs\",\"device\":\"tmpfs\",\"o\":\"size=4m,mode=1777,nodev\"}");
	_cleanup_free_ char *p1 = NULL, *p2 = NULL, *file = NULL;
	_cleanup_error_ struct husk_error *err = NULL;
	struct statfs sfs;

	assert_string_equal(str(json_object_get(v, "Options"), "type"), "tmpfs");
	assert_false(is_tmpfs(str(v, "Mountpoint")));
	assert_int_equal(volume_mount(f->v, "scratch", &p1, &err), 0);
	assert_string_equal(p1, str(v, "Mountpoint"));
	assert_true(is_tmpfs(p1));
	assert_int_equal(statfs(p1, &sfs), 0);
	assert_int_equal((uint64_t)sfs.f_blocks * sfs.f_bsize, 4u << 20);
	file = path_join(p1, "f");
	assert_int_equal(atomic_write_file(file, "x", 1, 0644, NULL), 0);
	assert_int_equal(volume_mount(f->v, "scratch", &p2, NULL), 0);
	assert_int_equal(volume_users(f->v, "scratch"), 2);
	volume_unmount(f->v, "scratch");
	assert_true(is_tmpfs(p1)); /* one user left */
	assert_int_equal(access(file, F_OK), 0);
	volume_unmount(f->v, "scratch");
	assert_false(is_tmpfs(p1));
	assert_int_equal(access(file, F_OK), -1); /* tmpfs content goes with the mount */
	assert_int_equal(volume_users(f->v, "scratch"), 0);
}

static void test_mount_taken_over_after_restart(void **state)
{
	struct fx *f = *state;
	_cleanup_json_ json_t *v =
	        create(f, "survivor", NULL, "{\"type\":\"tmpfs\",\"device\":\"tmpfs\"}");
	_cleanup_free_ char *p = NULL, *p2 = NULL;
	struct volumes *again = NULL;

	assert_int_equal(volume_mount(f->v, "survivor", &p, NULL), 0);
	/* huskd restarts: the mount stays, a new table takes it over */
	assert_int_equal(volumes_open(f->root, &again, NULL), 0);
	assert_int_equal(volume_mount(again, "survivor", &p2, NULL), 0);
	volume_unmount(again, "survivor");
	assert_false(is_tmpfs(p)); /* not stacked: one unmount undid it */
	volumes_free(again);
}

static void test_bind_mount(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *src = str_printf("%s/hostdir", f->root), *file = NULL, *opts = NULL,
	                    *p = NULL, *w = NULL;
	_cleanup_json_ json_t *v = NULL, *ro = NULL;
	_cleanup_error_ struct husk_error *err = NULL;
	int fd;

	assert_int_equal(mkdir_p(src, 0755), 0);
	file = path_join(src, "hello");
	assert_int_equal(atomic_write_file(file, "hi", 2, 0644, NULL), 0);
	opts = str_printf("{\"type\":\"none\",\"o\":\"bind\",\"device\":\"%s\"}", src);
	v = create(f, "bound", NULL, opts);
	assert_int_equal(volume_mount(f->v, "bound", &p, NULL), 0);
	w = path_join(p, "hello");
	assert_int_equal(access(w, R_OK), 0);
	volume_unmount(f->v, "bound");
	assert_int_equal(access(w, F_OK), -1);
	free(opts);
	free(p);
	p = NULL;
	opts = str_printf("{\"type\":\"none\",\"o\":\"bind,ro\",\"device\":\"%s\"}", src);
	ro = create(f, "bound-ro", NULL, opts);
	assert_int_equal(volume_mount(f->v, "bound-ro", &p, NULL), 0);
	free(w);
	w = path_join(p, "new");
	fd = open(w, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_int_equal(fd, -1);
	assert_int_equal(errno, EROFS);
	volume_unmount(f->v, "bound-ro");
	/* a bind needs an absolute device */
	{
		_cleanup_json_ json_t *rel =
		        create(f, "relbind", NULL,
		               "{\"type\":\"none\",\"o\":\"bind\",\"device\":\"relative/dir\"}");
		char *q = NULL;
		assert_int_equal(volume_mount(f->v, "relbind", &q, &err), -EINVAL);
		assert_non_null(strstr(error_message(err), "absolute host path"));
		assert_int_equal(volume_users(f->v, "relbind"), 0);
	}
}

static void test_mount_failure(void **state)
{
	struct fx *f = *state;
	_cleanup_json_ json_t *v =
	        create(f, "broken", NULL, "{\"type\":\"nosuchfs\",\"device\":\"/dev/nothing\"}");
	_cleanup_error_ struct husk_error *err = NULL, *err2 = NULL;
	char *p = NULL;

	assert_true(volume_mount(f->v, "broken", &p, &err) < 0);
	assert_null(p);
	assert_non_null(strstr(error_message(err), "mount broken: mount \"/dev/nothing\" (type "
	                                           "nosuchfs"));
	assert_int_equal(volume_users(f->v, "broken"), 0);
	assert_int_equal(volume_mount(f->v, "missing", &p, &err2), -ENOENT);
	assert_string_equal(error_message(err2), "get missing: no such volume");
}

/* An image root: /data (0750, uid 1000) with a file, a subdirectory, a
 * symlink to /etc/passwd; /escape -> ../../.. ; /file a regular file. */
static int make_rootfs(const char *root)
{
	_cleanup_free_ char *data = path_join(root, "data"), *sub = path_join(root, "data/sub");
	_cleanup_free_ char *f1 = path_join(root, "data/f1"), *f2 = path_join(root, "data/sub/f2");
	_cleanup_free_ char *l = path_join(root, "data/pw"), *esc = path_join(root, "escape");
	_cleanup_free_ char *plain = path_join(root, "file");

	if (mkdir_p(sub, 0755) < 0 || chmod(data, 0750) < 0 || chown(data, 1000, 1000) < 0 ||
	    atomic_write_file(f1, "one", 3, 0600, NULL) < 0 ||
	    atomic_write_file(f2, "two", 3, 0644, NULL) < 0 || symlink("/etc/passwd", l) < 0 ||
	    symlink("../../../../../../etc", esc) < 0 ||
	    atomic_write_file(plain, "p", 1, 0644, NULL) < 0)
		return -1;
	return 0;
}

static void test_copy_up(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *root = str_printf("%s/rootfs", f->root), *buf = NULL;
	_cleanup_json_ json_t *v = create(f, "cu", NULL, NULL), *w = create(f, "cu2", NULL, NULL);
	_cleanup_json_ json_t *t =
	        create(f, "cu3", NULL, "{\"type\":\"tmpfs\",\"device\":\"tmpfs\"}");
	_cleanup_close_ int rfd = -1;
	_cleanup_free_ char *mp = NULL, *p = NULL, *tp = NULL;
	char target[64] = "";
	struct stat st;

	assert_int_equal(make_rootfs(root), 0);
	rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(rfd >= 0);
	assert_int_equal(volume_copy_up(f->v, "cu", rfd, "/data", NULL), 0);
	mp = strdup(str(v, "Mountpoint"));
	p = path_join(mp, "sub/f2");
	assert_int_equal(read_file(p, 100, &buf, NULL, NULL), 0);
	assert_string_equal(buf, "two");
	free(p);
	p = path_join(mp, "pw");
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISLNK(st.st_mode)); /* copied as a link, never followed */
	assert_true(readlink(p, target, sizeof(target) - 1) > 0);
	assert_string_equal(target, "/etc/passwd");
	/* the volume's root takes the image directory's owner and mode */
	assert_int_equal(stat(mp, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	assert_int_equal(st.st_uid, 1000);
	free(p);
	p = path_join(mp, "f1");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* a volume with content is left alone */
	assert_int_equal(unlink(p), 0);
	assert_int_equal(volume_copy_up(f->v, "cu", rfd, "/data", NULL), 0);
	assert_int_equal(access(p, F_OK), -1);
	/* a symlink that climbs out resolves inside the root: its /etc is absent */
	assert_int_equal(volume_copy_up(f->v, "cu2", rfd, "/escape", NULL), 0);
	assert_int_equal(volume_copy_up(f->v, "cu2", rfd, "../../nothing", NULL), 0);
	assert_int_equal(volume_copy_up(f->v, "cu2", rfd, "/file", NULL), 0); /* not a dir */
	{
		_cleanup_close_ int dfd =
		        open(str(w, "Mountpoint"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		struct stat ds;
		assert_int_equal(fstat(dfd, &ds), 0);
		assert_int_equal(ds.st_nlink, 2); /* still empty */
	}
	/* a driver volume keeps the copy while a container has it mounted */
	assert_int_equal(volume_mount(f->v, "cu3", &tp, NULL), 0);
	assert_int_equal(volume_copy_up(f->v, "cu3", rfd, "data", NULL), 0);
	assert_int_equal(volume_users(f->v, "cu3"), 1);
	free(p);
	p = path_join(tp, "sub/f2");
	assert_int_equal(access(p, F_OK), 0);
	volume_unmount(f->v, "cu3");
	{
		_cleanup_error_ struct husk_error *err = NULL;
		assert_int_equal(volume_copy_up(f->v, "nope", rfd, "/data", &err), -ENOENT);
	}
}

static void test_leftovers_and_disk_usage(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *tmp = str_printf("%s/volumes/.tmp-deadbeef/_data", f->root);
	_cleanup_free_ char *rm = str_printf("%s/volumes/.rm-deadbeef-x", f->root);
	_cleanup_free_ char *junk = str_printf("%s/volumes/not a volume", f->root);
	_cleanup_json_ json_t *v = create(f, "sized", NULL, NULL), *du = json_array();
	_cleanup_free_ char *file = str_printf("%s/volumes/sized/_data/f", f->root);
	struct volumes *again = NULL;
	json_t *u;

	assert_int_equal(mkdir_p(tmp, 0755), 0);
	assert_int_equal(mkdir_p(rm, 0755), 0);
	assert_int_equal(mkdir_p(junk, 0755), 0);
	assert_int_equal(atomic_write_file(file, "12345", 5, 0644, NULL), 0);
	assert_int_equal(volumes_open(f->root, &again, NULL), 0);
	assert_int_equal(access(tmp, F_OK), -1);
	assert_int_equal(access(rm, F_OK), -1);
	used_name = "sized";
	assert_int_equal(volume_disk_usage(again, in_use, NULL, du, NULL), 0);
	used_name = NULL;
	assert_int_equal(json_array_size(du), 1); /* "not a volume" is not listed */
	u = json_object_get(json_array_get(du, 0), "UsageData");
	assert_int_equal(json_integer_value(json_object_get(u, "Size")), 5);
	assert_int_equal(json_integer_value(json_object_get(u, "RefCount")), 1);
	volumes_free(again);
	volumes_free(NULL);
}

#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	        T(test_create_and_inspect),
	        T(test_create_bad),
	        T(test_anonymous),
	        T(test_inspect_missing),
	        T(test_list_filters),
	        T(test_remove),
	        T(test_prune),
	        T(test_tmpfs_mount_refcount),
	        T(test_mount_taken_over_after_restart),
	        T(test_bind_mount),
	        T(test_mount_failure),
	        T(test_copy_up),
	        T(test_leftovers_and_disk_usage),
	};

	if (geteuid() != 0) {
		printf("1..0 # SKIP volumes need root (mounts, chown)\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
