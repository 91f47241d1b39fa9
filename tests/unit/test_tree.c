/* Unit tests for src/archive/tree*.c: Go's FileMode of every file type,
 * docker's path stat (names, symlinks resolved inside the root, the header
 * bytes), the tar of a resource (names, links kept as links, hard links,
 * export's contents), the changes of an overlay upper dir by dockerd's
 * rules, and layer_apply_at() in docker cp's mode. Runs as root: it makes
 * devices and sets trusted.* xattrs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "archive/tree.h"
#include "base/base64.h"
#include "base/fs.h"
#include "base/str.h"

static char *scratch(void)
{
	char tmpl[] = "/tmp/husk-tree-XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	return strdup(tmpl);
}

static void put(const char *root, const char *rel, const char *text)
{
	_cleanup_free_ char *p = path_join(root, rel);

	assert_int_equal(mkdir_p_parent(p, 0755), 0);
	assert_int_equal(atomic_write_file(p, text, strlen(text), 0644, NULL), 0);
}

static void link_at(const char *root, const char *rel, const char *target)
{
	_cleanup_free_ char *p = path_join(root, rel);

	assert_int_equal(mkdir_p_parent(p, 0755), 0);
	assert_int_equal(symlink(target, p), 0);
}

static int open_root(const char *root)
{
	int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

static void test_go_mode(void **state)
{
	assert_int_equal(tree_go_mode(S_IFREG | 0644), 420);
	assert_int_equal(tree_go_mode(S_IFDIR | 0755), 2147484141u);
	assert_int_equal(tree_go_mode(S_IFLNK | 0777), 134218239u);
	assert_int_equal(tree_go_mode(S_IFCHR | 0666), GO_MODE_DEVICE | GO_MODE_CHAR_DEVICE | 0666);
	assert_int_equal(tree_go_mode(S_IFBLK | 0660), GO_MODE_DEVICE | 0660);
	assert_int_equal(tree_go_mode(S_IFIFO | 0600), GO_MODE_NAMED_PIPE | 0600);
	assert_int_equal(tree_go_mode(S_IFSOCK | 0755), GO_MODE_SOCKET | 0755);
	assert_int_equal(tree_go_mode(S_IFREG | 04755), GO_MODE_SETUID | 0755);
	assert_int_equal(tree_go_mode(S_IFREG | 02755), GO_MODE_SETGID | 0755);
	assert_int_equal(tree_go_mode(S_IFDIR | 01777), GO_MODE_DIR | GO_MODE_STICKY | 0777);
}

static void test_stat(void **state)
{
	_cleanup_free_ char *root = scratch();
	_cleanup_close_ int fd = -1;
	struct tree_stat st;

	put(root, "etc/passwd", "root-of-tree\n");
	link_at(root, "el", "/etc");
	link_at(root, "rel", "../../../../etc/passwd");
	link_at(root, "chain", "rel");
	fd = open_root(root);

	assert_int_equal(tree_stat(fd, "/etc/passwd", &st, NULL), 0);
	assert_string_equal(st.name, "passwd");
	assert_int_equal(st.size, 13);
	assert_true(S_ISREG(st.mode));
	assert_string_equal(st.link_target, "");
	/* through a symlink to /etc: the tree's /etc, not the host's */
	assert_int_equal(tree_stat(fd, "/el/passwd", &st, NULL), 0);
	assert_int_equal(st.size, 13);
	assert_int_equal(tree_stat(fd, "el", &st, NULL), 0);
	assert_true(S_ISLNK(st.mode));
	assert_string_equal(st.link_target, "/etc");
	/* ".." cannot climb out; a chain is followed to its end */
	assert_int_equal(tree_stat(fd, "/rel", &st, NULL), 0);
	assert_string_equal(st.link_target, "/etc/passwd");
	assert_int_equal(tree_stat(fd, "/chain", &st, NULL), 0);
	assert_string_equal(st.link_target, "/etc/passwd");
	/* "d/." is d, named "."; "/" is "/"; "el/" follows the link */
	assert_int_equal(tree_stat(fd, "/etc/.", &st, NULL), 0);
	assert_string_equal(st.name, ".");
	assert_true(S_ISDIR(st.mode));
	assert_int_equal(tree_stat(fd, "/", &st, NULL), 0);
	assert_string_equal(st.name, "/");
	assert_int_equal(tree_stat(fd, "el/", &st, NULL), 0);
	assert_true(S_ISDIR(st.mode));
	assert_string_equal(st.name, "el");
	assert_int_equal(tree_stat(fd, "/nonexistent", &st, NULL), -ENOENT);
	assert_int_equal(tree_stat(fd, "/etc/passwd/", &st, NULL), -ENOTDIR);
	assert_int_equal(tree_stat(fd, "/nope/x", &st, NULL), -ENOENT);
	rm_rf(root);
}

static void test_stat_header(void **state)
{
	struct tree_stat st = {.size = 82, .mode = S_IFREG | 0644, .mtime = {0, 0}};
	_cleanup_free_ char *h = NULL, *text = NULL;
	size_t len;

	strcpy(st.name, "passwd");
	h = tree_stat_header(&st);
	assert_non_null(h);
	/* dockerd's bytes for the same file */
	assert_string_equal(
	        h, "eyJuYW1lIjoicGFzc3dkIiwic2l6ZSI6ODIsIm1vZGUiOjQyMCwibXRpbWUiOiIxOTcwLTAx"
	           "LTAxVDAwOjAwOjAwWiIsImxpbmtUYXJnZXQiOiIifQ==");
	st.mtime.tv_nsec = 500000000;
	st.mode = S_IFLNK | 0777;
	strcpy(st.link_target, "/etc/passwd");
	free(h);
	h = tree_stat_header(&st);
	assert_int_equal(base64_decode(h, 4096, &text, &len), 0);
	assert_string_equal(text, "{\"name\":\"passwd\",\"size\":82,\"mode\":134218239,\"mtime\":"
	                          "\"1970-01-01T00:00:00.5Z\",\"linkTarget\":\"/etc/passwd\"}");
}

/* The entries of a tar file: "name" or "name -> target" or "name link target". */
static char **tar_names(const char *path)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	char **v = strv_new();

	archive_read_support_format_tar(a);
	assert_int_equal(archive_read_open_filename(a, path, 4096), ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		const char *sl = archive_entry_symlink(e), *hl = archive_entry_hardlink(e);
		char *s = sl   ? str_printf("%s -> %s", archive_entry_pathname(e), sl)
		          : hl ? str_printf("%s link %s", archive_entry_pathname(e), hl)
		               : strdup(archive_entry_pathname(e));
		assert_int_equal(strv_push_take(&v, s), 0);
	}
	archive_read_free(a);
	return v;
}

static char **tar_of(int rootfd, const char *path, enum tree_tar_flags flags, const char *dir)
{
	_cleanup_free_ char *out = path_join(dir, "out.tar");
	_cleanup_close_ int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	struct husk_error *err = NULL;

	assert_true(fd >= 0);
	assert_int_equal(tree_tar(rootfd, path, flags, fd, &err), 0);
	return tar_names(out);
}

/* The tar of path, its entries joined by ",". */
static void check_tar(int rootfd, const char *path, enum tree_tar_flags flags, const char *dir,
                      const char *want)
{
	_cleanup_strv_ char **v = tar_of(rootfd, path, flags, dir);
	_cleanup_free_ char *got = strv_join(v, ",");

	assert_string_equal(got, want);
}

static void test_tar(void **state)
{
	_cleanup_free_ char *root = scratch(), *work = scratch(), *a = NULL, *b = NULL;
	_cleanup_close_ int fd = -1;

	put(root, "d/f", "x\n");
	put(root, "d/sub/g", "y\n");
	link_at(root, "d/out", "/etc/passwd");
	a = path_join(root, "d/f");
	b = path_join(root, "d/hard");
	assert_int_equal(link(a, b), 0);
	fd = open_root(root);

	check_tar(fd, "/d", 0, work, "d/,d/f,d/hard link d/f,d/out -> /etc/passwd,d/sub/,d/sub/g");
	check_tar(fd, "/d/.", 0, work,
	          "./,./f,./hard link ./f,./out -> /etc/passwd,./sub/,./sub/g");
	/* a symlink resource is the link itself */
	check_tar(fd, "/d/out", 0, work, "out -> /etc/passwd");
	/* export: the contents, no root entry */
	check_tar(fd, "/", TREE_TAR_CONTENTS, work,
	          "d/,d/f,d/hard link d/f,d/out -> /etc/passwd,d/sub/,d/sub/g");
	rm_rf(root);
	rm_rf(work);
}

static void test_tar_broken_pipe(void **state)
{
	_cleanup_free_ char *root = scratch();
	_cleanup_close_ int fd = -1;
	struct husk_error *err = NULL;
	char big[1 << 16];
	int p[2];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	put(root, "big", big);
	fd = open_root(root);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(tree_tar(fd, "/big", 0, p[1], &err), -EPIPE);
	close(p[1]);
	error_free(err);
	rm_rf(root);
}

static void make_whiteout(const char *root, const char *rel)
{
	_cleanup_free_ char *p = path_join(root, rel);

	assert_int_equal(mkdir_p_parent(p, 0755), 0);
	assert_int_equal(mknod(p, S_IFCHR | 0, makedev(0, 0)), 0);
}

static char *changes_text(struct tree_change *v, size_t n)
{
	struct strbuf sb = {0};

	for (size_t i = 0; i < n; i++)
		strbuf_printf(&sb, "%c %s\n", "CAD"[v[i].kind], v[i].path);
	return strbuf_steal(&sb);
}

/* tree_changes() of upper over lower, as "K /path" lines. */
static char *changes_of(const char *lower, const char *upper, char *const *ignore)
{
	_cleanup_close_ int lfd = open_root(lower);
	_cleanup_close_ int ufd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct tree_change *v = NULL;
	size_t n = 0;
	char *text;

	assert_int_equal(tree_changes(ufd, &lfd, 1, ignore, &v, &n, NULL), 0);
	text = changes_text(v, n);
	tree_changes_free(v, n);
	return text;
}

static void test_changes(void **state)
{
	_cleanup_free_ char *lower = scratch(), *upper = scratch(), *text = NULL, *opq = NULL,
	                    *same_l = NULL, *same_u = NULL;
	char *const ignore[] = {"/etc/hostname", NULL};
	struct timespec ts[2] = {{1000, 0}, {1000, 0}};

	put(lower, "etc/passwd", "a\n");
	put(lower, "etc/group", "g\n");
	put(lower, "opq/old", "o\n");
	put(lower, "same/x", "s\n");
	put(upper, "etc/passwd", "changed\n");
	make_whiteout(upper, "etc/group");
	put(upper, "new/x", "n\n");
	put(upper, "opq/fresh", "f\n");
	opq = path_join(upper, "opq");
	assert_int_equal(setxattr(opq, "trusted.overlay.opaque", "y", 1, 0), 0);
	put(upper, "etc/hostname", "");
	/* a directory copied up with its lower's metadata, holding a new file */
	put(upper, "same/y", "y\n");
	same_l = path_join(lower, "same");
	same_u = path_join(upper, "same");
	assert_int_equal(utimensat(AT_FDCWD, same_l, ts, 0), 0);
	assert_int_equal(utimensat(AT_FDCWD, same_u, ts, 0), 0);
	text = changes_of(lower, upper, ignore);
	assert_string_equal(text, "C /etc\n"
	                          "D /etc/group\n"
	                          "C /etc/passwd\n"
	                          "A /new\n"
	                          "A /new/x\n"
	                          "D /opq\n"
	                          "A /opq/fresh\n"
	                          "C /same\n"
	                          "A /same/y\n");
	rm_rf(lower);
	rm_rf(upper);
}

static void test_changes_ignored_only(void **state)
{
	_cleanup_free_ char *lower = scratch(), *upper = scratch(), *text = NULL;
	char *const ignore[] = {"/etc/hostname", "/etc/hosts", NULL};

	put(lower, "etc/passwd", "a\n");
	put(upper, "etc/hostname", "");
	put(upper, "etc/hosts", "");
	/* /etc changed only for the runtime's mount points: no change at all */
	text = changes_of(lower, upper, ignore);
	assert_string_equal(text, "");
	rm_rf(lower);
	rm_rf(upper);
}

/* layer_apply_at() as docker cp's PUT runs it. */
static int apply_tar(const char *dir, const char *target, void (*build)(struct archive *),
                     const struct apply_opts *o, struct husk_error **err)
{
	_cleanup_free_ char *tar = path_join(dir, "in.tar");
	struct archive *a = archive_write_new();
	_cleanup_close_ int in = -1, tfd = open_root(target);

	archive_write_set_format_pax_restricted(a);
	assert_int_equal(archive_write_open_filename(a, tar), ARCHIVE_OK);
	build(a);
	archive_write_free(a);
	in = open(tar, O_RDONLY | O_CLOEXEC);
	return layer_apply_at(in, tfd, o, NULL, err);
}

static void add_entry(struct archive *a, const char *name, mode_t type, const char *link)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, 0644);
	if (link)
		archive_entry_set_symlink(e, link);
	archive_entry_set_size(e, type == AE_IFREG ? 2 : 0);
	archive_write_header(a, e);
	if (type == AE_IFREG)
		archive_write_data(a, "x\n", 2);
	archive_entry_free(e);
}

static void build_whiteout(struct archive *a)
{
	add_entry(a, ".wh.keep", AE_IFREG, NULL);
}

static void build_file_over_dir(struct archive *a)
{
	add_entry(a, "sub", AE_IFREG, NULL);
}

static void build_link_then_file(struct archive *a)
{
	add_entry(a, "l", AE_IFLNK, "/");
	add_entry(a, "l/escaped", AE_IFREG, NULL);
}

static void test_apply_cp_mode(void **state)
{
	_cleanup_free_ char *dir = scratch(), *target = NULL, *keep = NULL, *wh = NULL, *esc = NULL,
	                    *sub = NULL;
	struct apply_opts o = {.plain_names = true, .keep_dir_kinds = true, .dest_name = "/t"};
	struct husk_error *err = NULL;

	target = path_join(dir, "t");
	put(dir, "t/keep", "k\n");
	put(dir, "t/sub/x", "x\n");
	/* ".wh." is a name like any other: keep stays */
	assert_int_equal(apply_tar(dir, target, build_whiteout, &o, NULL), 0);
	keep = path_join(target, "keep");
	wh = path_join(target, ".wh.keep");
	assert_int_equal(access(keep, F_OK), 0);
	assert_int_equal(access(wh, F_OK), 0);
	/* noOverwriteDirNonDir: dockerd's words */
	assert_int_equal(apply_tar(dir, target, build_file_over_dir, &o, &err), -EEXIST);
	assert_string_equal(error_message(err),
	                    "cannot overwrite directory \"/t/sub\" with non-directory \"/t\"");
	error_free(err);
	err = NULL;
	sub = path_join(target, "sub/x");
	assert_int_equal(access(sub, F_OK), 0);
	/* a symlink to / then a file through it: stays in the target */
	(void)apply_tar(dir, target, build_link_then_file, &o, &err);
	error_free(err);
	esc = path_join(dir, "escaped");
	assert_int_equal(access(esc, F_OK), -1);
	assert_int_equal(access("/escaped", F_OK), -1);
	rm_rf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_go_mode),
	        cmocka_unit_test(test_stat),
	        cmocka_unit_test(test_stat_header),
	        cmocka_unit_test(test_tar),
	        cmocka_unit_test(test_tar_broken_pipe),
	        cmocka_unit_test(test_changes),
	        cmocka_unit_test(test_changes_ignored_only),
	        cmocka_unit_test(test_apply_cp_mode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
