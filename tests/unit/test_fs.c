/* Unit tests for src/base/fs.c: I/O helpers, durable writes, mkdir -p,
 * rm -rf, lexical paths, and open_in_root() both with openat2 and with the
 * fallback walk (every open_in_root case runs once per implementation). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "base/fs.h"
#include "base/str.h"

/* The per-test scratch area: dir is a fresh mkdtemp; for open_in_root
 * tests root is dir/root, with dir/x = "outside" and root/x = "inside" so
 * that any escape shows in what is read. */
struct fx {
	char dir[64];
	int dfd;
	int rootfd;
	enum open_in_root_flags how; /* 0 or OPEN_IN_ROOT_NO_OPENAT2 */
};

static const enum open_in_root_flags how_openat2 = 0;
static const enum open_in_root_flags how_fallback = OPEN_IN_ROOT_NO_OPENAT2;

static int rm_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

/* Independent of rm_rf() so a broken rm_rf cannot leave litter behind. */
static void remove_tree(const char *path)
{
	nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static int setup_dir(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->rootfd = -1;
	f->how = *state ? *(const enum open_in_root_flags *)*state : 0;
	strcpy(f->dir, "/tmp/husk-test-fs-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	f->dfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->dfd < 0) {
		remove_tree(f->dir);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static void put(int dirfd, const char *name, const char *content)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, content, strlen(content)), 0);
	close(fd);
}

static int setup_root(void **state)
{
	struct fx *f;

	if (setup_dir(state) < 0)
		return -1;
	f = *state;
	if (mkdirat(f->dfd, "root", 0755) < 0)
		return -1;
	f->rootfd = openat(f->dfd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (f->rootfd < 0)
		return -1;
	put(f->dfd, "x", "outside");
	put(f->rootfd, "x", "inside");
	return 0;
}

static int teardown_dir(void **state)
{
	struct fx *f = *state;

	if (!f)
		return 0;
	safe_close(f->rootfd);
	safe_close(f->dfd);
	remove_tree(f->dir);
	free(f);
	return 0;
}

/* An absolute path below the fixture dir: a few rotating static buffers,
 * enough for the paths one assertion needs (tests are single-threaded). */
static const char *at(struct fx *f, const char *rel)
{
	static char paths[4][PATH_MAX];
	static unsigned next;
	char *p = paths[next++ % ELEMENTSOF(paths)];

	if (snprintf(p, PATH_MAX, "%s/%s", f->dir, rel) >= PATH_MAX)
		fail_msg("path too long: %s", rel);
	return p;
}

static bool exists_at(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* The whole content of fd (from its current offset), as a string. */
static char *slurp(int fd)
{
	char *s = NULL;

	assert_int_equal(read_all_fd(fd, 1 << 20, &s, NULL), 0);
	return s;
}

static void assert_fd_content(int fd, const char *want)
{
	_cleanup_free_ char *s = NULL;

	assert_true(fd >= 0);
	s = slurp(fd);
	assert_string_equal(s, want);
}

static void assert_file_content(int dirfd, const char *name, const char *want)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);

	assert_fd_content(fd, want);
}

/* ---- read_full / write_all ---- */

static void test_write_read_file(void **state)
{
	struct fx *f = *state;
	_cleanup_close_ int fd = openat(f->dfd, "f", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	char buf[64] = {0};

	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, "hello\0world", 11), 0);
	assert_int_equal(write_all(fd, "", 0), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	/* short at EOF: returns what there was */
	assert_int_equal(read_full(fd, buf, sizeof(buf)), 11);
	assert_memory_equal(buf, "hello\0world", 11);
	assert_int_equal(read_full(fd, buf, sizeof(buf)), 0);
	assert_int_equal(read_full(fd, buf, 0), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(read_full(fd, buf, 5), 5);
	assert_memory_equal(buf, "hello", 5);
}

static void test_write_read_pipe(void **state)
{
	static char out[300000], in[sizeof(out) + 10];
	int p[2];
	pid_t pid;
	int status;

	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (char)(i * 7 + i / 251);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* dribble: small pieces with pauses force short reads */
		close(p[0]);
		if (write_all(p[1], out, 10) < 0)
			_exit(1);
		usleep(20000);
		if (write_all(p[1], out + 10, 1000) < 0)
			_exit(1);
		usleep(20000);
		/* larger than the pipe buffer: write_all must loop */
		if (write_all(p[1], out + 1010, sizeof(out) - 1010) < 0)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(read_full(p[0], in, sizeof(out)), sizeof(out));
	assert_memory_equal(in, out, sizeof(out));
	/* at EOF */
	assert_int_equal(read_full(p[0], in, 10), 0);
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_read_write_bad_fd(void **state)
{
	char buf[4];
	int p[2];

	assert_int_equal(read_full(-1, buf, sizeof(buf)), -EBADF);
	assert_int_equal(write_all(-1, "x", 1), -EBADF);
	/* a reader that went away: -EPIPE, not a signal */
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(write_all(p[1], "x", 1), -EPIPE);
	signal(SIGPIPE, SIG_DFL);
	close(p[1]);
	/* reading a write-only fd */
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(read_full(p[1], buf, sizeof(buf)), -EBADF);
	close(p[0]);
	close(p[1]);
}

/* ---- read_all_fd / read_file ---- */

static int fd_with(struct fx *f, const char *name, const void *data, size_t len)
{
	int fd = openat(f->dfd, name, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, data, len), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static void test_read_all_fd(void **state)
{
	struct fx *f = *state;
	_cleanup_close_ int fd = fd_with(f, "f", "ab\0cd", 5);
	_cleanup_free_ char *s = NULL;
	size_t len = 0;

	assert_int_equal(read_all_fd(fd, 100, &s, &len), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(s, "ab\0cd", 6); /* NUL-terminated too */
}

static void test_read_all_fd_empty(void **state)
{
	struct fx *f = *state;
	_cleanup_close_ int fd = fd_with(f, "f", "", 0);
	_cleanup_free_ char *s = NULL;
	size_t len = 99;

	assert_int_equal(read_all_fd(fd, 0, &s, &len), 0);
	assert_non_null(s);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
}

static void test_read_all_fd_cap(void **state)
{
	struct fx *f = *state;
	static char big[40000];
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *s = NULL;
	char *none = NULL;
	size_t len = 0;

	memset(big, 'a', sizeof(big));
	fd = fd_with(f, "f", big, sizeof(big));
	/* exactly max is fine, ret_len may be NULL */
	assert_int_equal(read_all_fd(fd, sizeof(big), &s, NULL), 0);
	assert_int_equal(strlen(s), sizeof(big));
	/* one byte over the cap (across read chunks) */
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(read_all_fd(fd, sizeof(big) - 1, &none, &len), -EFBIG);
	assert_null(none);
	/* a small cap on the first chunk */
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(read_all_fd(fd, 0, &none, &len), -EFBIG);
	assert_null(none);
	assert_int_equal(read_all_fd(-1, 10, &none, &len), -EBADF);
	assert_null(none);
}

static void test_read_all_fd_pipe(void **state)
{
	int p[2];
	char *s = NULL;
	size_t len = 0;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(write_all(p[1], "over a pipe", 11), 0);
	close(p[1]);
	assert_int_equal(read_all_fd(p[0], 11, &s, &len), 0);
	assert_int_equal(len, 11);
	assert_string_equal(s, "over a pipe");
	free(s);
	close(p[0]);
}

static void test_read_file(void **state)
{
	struct fx *f = *state;
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_free_ char *s = NULL;
	size_t len = 0;

	put(f->dfd, "cfg", "{\"a\":1}");
	assert_int_equal(read_file(at(f, "cfg"), 64, &s, &len, &err), 0);
	assert_null(err);
	assert_string_equal(s, "{\"a\":1}");
	assert_int_equal(len, 7);
}

static void test_read_file_missing(void **state)
{
	struct fx *f = *state;
	_cleanup_error_ struct husk_error *err = NULL;
	const char *path = at(f, "no/such/file");
	char *s = NULL;

	assert_int_equal(read_file(path, 64, &s, NULL, &err), -ENOENT);
	assert_null(s);
	assert_non_null(err);
	assert_int_equal(error_code(err), ENOENT);
	assert_non_null(strstr(error_message(err), path));
	assert_non_null(strstr(error_message(err), strerror(ENOENT)));
	/* without an error out-parameter */
	assert_int_equal(read_file(path, 64, &s, NULL, NULL), -ENOENT);
}

static void test_read_file_too_big(void **state)
{
	struct fx *f = *state;
	_cleanup_error_ struct husk_error *err = NULL;
	char *s = NULL;

	put(f->dfd, "big", "0123456789");
	assert_int_equal(read_file(at(f, "big"), 9, &s, NULL, &err), -EFBIG);
	assert_null(s);
	assert_int_equal(error_code(err), EFBIG);
	assert_non_null(strstr(error_message(err), at(f, "big")));
	assert_non_null(strstr(error_message(err), "9 bytes"));
}

static void test_read_file_directory(void **state)
{
	struct fx *f = *state;
	_cleanup_error_ struct husk_error *err = NULL;
	char *s = NULL;

	assert_int_equal(read_file(f->dir, 64, &s, NULL, &err), -EISDIR);
	assert_null(s);
	assert_non_null(strstr(error_message(err), f->dir));
}

/* ---- atomic writes ---- */

/* True when dirfd holds a leftover ".<name>.tmp*". */
static bool has_temp(int dirfd, const char *name)
{
	_cleanup_free_ char *prefix = str_printf(".%s.tmp", name);
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	bool found = false;
	DIR *d;

	assert_true(fd >= 0);
	d = fdopendir(fd);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (startswith(de->d_name, prefix))
			found = true;
	closedir(d);
	return found;
}

static void test_atomic_write_creates(void **state)
{
	struct fx *f = *state;
	_cleanup_error_ struct husk_error *err = NULL;
	mode_t old = umask(077);
	struct stat st;

	assert_int_equal(atomic_write_file(at(f, "state.json"), "{}", 2, 0644, &err), 0);
	umask(old);
	assert_null(err);
	assert_file_content(f->dfd, "state.json", "{}");
	assert_int_equal(fstatat(f->dfd, "state.json", &st, 0), 0);
	assert_true(S_ISREG(st.st_mode));
	/* the mode is exactly what was asked, not masked by umask */
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_false(has_temp(f->dfd, "state.json"));
}

static void test_atomic_write_replaces(void **state)
{
	struct fx *f = *state;
	_cleanup_error_ struct husk_error *err = NULL;
	struct stat before, after;

	put(f->dfd, "file", "old content that is longer");
	assert_int_equal(fstatat(f->dfd, "file", &before, 0), 0);
	assert_int_equal(atomic_write_file(at(f, "file"), "new", 3, 0600, &err), 0);
	assert_file_content(f->dfd, "file", "new");
	assert_int_equal(fstatat(f->dfd, "file", &after, 0), 0);
	assert_int_equal(after.st_mode & 07777, 0600);
	/* replaced by rename, not rewritten in place */
	assert_true(before.st_ino != after.st_ino);
	assert_false(has_temp(f->dfd, "file"));
	/* empty content */
	assert_int_equal(atomic_write_file(at(f, "file"), "", 0, 0640, &err), 0);
	assert_file_content(f->dfd, "file", "");
	assert_false(has_temp(f->dfd, "file"));
}

static void test_atomic_write_at_dirfd(void **state)
{
	struct fx *f = *state;
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_close_ int sub = -1;

	assert_int_equal(mkdirat(f->dfd, "sub", 0755), 0);
	assert_int_equal(atomic_write_at(f->dfd, "name", "a", 1, 0600, &err), 0);
	assert_int_equal(atomic_write_at(f->dfd, "sub/name", "b", 1, 0600, &err), 0);
	assert_null(err);
	assert_file_content(f->dfd, "name", "a");
	assert_file_content(f->dfd, "sub/name", "b");
	sub = openat(f->dfd, "sub", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_false(has_temp(f->dfd, "name"));
	assert_false(has_temp(sub, "name"));
}

static void test_atomic_write_over_directory_fails(void **state)
{
	struct fx *f = *state;
	_cleanup_error_ struct husk_error *err = NULL;
	const char *path = at(f, "target");
	struct stat st;
	int r;

	assert_int_equal(mkdirat(f->dfd, "target", 0755), 0);
	put(f->dfd, "target/keep", "kept");
	r = atomic_write_file(path, "data", 4, 0644, &err);
	assert_true(r == -EISDIR || r == -ENOTEMPTY || r == -EEXIST);
	assert_non_null(err);
	assert_int_equal(error_code(err), -r);
	assert_non_null(strstr(error_message(err), path));
	/* the target is untouched and the temp file is gone */
	assert_int_equal(fstatat(f->dfd, "target", &st, 0), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_file_content(f->dfd, "target/keep", "kept");
	assert_false(has_temp(f->dfd, "target"));
}

static void test_atomic_write_missing_dir_fails(void **state)
{
	struct fx *f = *state;
	_cleanup_error_ struct husk_error *err = NULL;
	const char *path = at(f, "nodir/file");

	assert_int_equal(atomic_write_file(path, "x", 1, 0644, &err), -ENOENT);
	assert_non_null(strstr(error_message(err), path));
	assert_false(exists_at(f->dfd, "nodir"));
	/* no message wanted */
	assert_int_equal(atomic_write_file(path, "x", 1, 0644, NULL), -ENOENT);
}

/* ---- mkdir_p ---- */

static void test_mkdir_p_nested(void **state)
{
	struct fx *f = *state;
	struct stat st;

	assert_int_equal(mkdir_p(at(f, "a/b/c/d"), 0755), 0);
	assert_int_equal(fstatat(f->dfd, "a/b/c/d", &st, 0), 0);
	assert_true(S_ISDIR(st.st_mode));
	/* trailing and doubled slashes */
	assert_int_equal(mkdir_p(at(f, "e//f/"), 0755), 0);
	assert_int_equal(fstatat(f->dfd, "e/f", &st, 0), 0);
	assert_true(S_ISDIR(st.st_mode));
}

static void test_mkdir_p_existing(void **state)
{
	struct fx *f = *state;
	struct stat st;

	assert_int_equal(mkdirat(f->dfd, "a", 0700), 0);
	assert_int_equal(mkdir_p(at(f, "a"), 0755), 0);
	assert_int_equal(mkdir_p(at(f, "a/b"), 0755), 0);
	assert_int_equal(mkdir_p(at(f, "a/b"), 0755), 0);
	assert_int_equal(mkdir_p(f->dir, 0755), 0);
	assert_int_equal(mkdir_p("/", 0755), 0);
	/* an existing directory keeps its mode */
	assert_int_equal(fstatat(f->dfd, "a", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
}

static void test_mkdir_p_over_file(void **state)
{
	struct fx *f = *state;

	put(f->dfd, "file", "x");
	assert_int_equal(mkdir_p(at(f, "file"), 0755), -ENOTDIR);
	assert_int_equal(mkdir_p(at(f, "file/sub"), 0755), -ENOTDIR);
	assert_int_equal(mkdir_p(at(f, "file/sub/deeper"), 0755), -ENOTDIR);
	assert_file_content(f->dfd, "file", "x");
}

static void test_mkdir_p_empty(void **state)
{
	assert_int_equal(mkdir_p("", 0755), -ENOENT);
}

static void test_mkdir_p_through_symlink(void **state)
{
	struct fx *f = *state;
	struct stat st;

	assert_int_equal(mkdirat(f->dfd, "real", 0755), 0);
	assert_int_equal(symlinkat("real", f->dfd, "link"), 0);
	assert_int_equal(mkdir_p(at(f, "link/sub"), 0755), 0);
	assert_int_equal(fstatat(f->dfd, "real/sub", &st, 0), 0);
	assert_true(S_ISDIR(st.st_mode));
}

/* ---- rm_rf ---- */

static void test_rm_rf_tree_with_outside_symlinks(void **state)
{
	struct fx *f = *state;
	char target[PATH_MAX];

	assert_int_equal(mkdirat(f->dfd, "outside", 0755), 0);
	put(f->dfd, "outside/precious", "keep me");
	assert_int_equal(mkdir_p(at(f, "tree/a/b"), 0755), 0);
	put(f->dfd, "tree/file", "1");
	put(f->dfd, "tree/a/b/file", "2");
	/* absolute and relative links out of the tree, to a dir and a file */
	snprintf(target, sizeof(target), "%s/outside", f->dir);
	assert_int_equal(symlinkat(target, f->dfd, "tree/abs-dir"), 0);
	assert_int_equal(symlinkat("../../../outside", f->dfd, "tree/a/b/rel-dir"), 0);
	snprintf(target, sizeof(target), "%s/outside/precious", f->dir);
	assert_int_equal(symlinkat(target, f->dfd, "tree/a/abs-file"), 0);
	assert_int_equal(symlinkat("/nonexistent/dangling", f->dfd, "tree/dangling"), 0);
	assert_int_equal(symlinkat(".", f->dfd, "tree/a/self"), 0);

	assert_int_equal(rm_rf(at(f, "tree")), 0);
	assert_false(exists_at(f->dfd, "tree"));
	assert_file_content(f->dfd, "outside/precious", "keep me");
}

static void test_rm_rf_missing(void **state)
{
	struct fx *f = *state;

	assert_int_equal(rm_rf(at(f, "nothing")), 0);
	assert_int_equal(rm_rf(at(f, "nothing/below")), 0);
}

static void test_rm_rf_file_and_link(void **state)
{
	struct fx *f = *state;

	put(f->dfd, "file", "x");
	assert_int_equal(rm_rf(at(f, "file")), 0);
	assert_false(exists_at(f->dfd, "file"));
	/* a symlink to a directory: the link goes, the directory stays */
	assert_int_equal(mkdirat(f->dfd, "dir", 0755), 0);
	put(f->dfd, "dir/inner", "y");
	assert_int_equal(symlinkat("dir", f->dfd, "link"), 0);
	assert_int_equal(rm_rf(at(f, "link")), 0);
	assert_false(exists_at(f->dfd, "link"));
	assert_file_content(f->dfd, "dir/inner", "y");
}

static void test_rm_rf_deep_and_wide(void **state)
{
	struct fx *f = *state;
	char rel[PATH_MAX] = "deep";

	for (int i = 0; i < 60; i++)
		strcat(rel, "/d");
	assert_int_equal(mkdir_p(at(f, rel), 0755), 0);
	for (int i = 0; i < 300; i++) {
		char name[32];

		snprintf(name, sizeof(name), "deep/f%03d", i);
		put(f->dfd, name, "z");
	}
	assert_int_equal(rm_rf(at(f, "deep")), 0);
	assert_false(exists_at(f->dfd, "deep"));
}

static void test_rm_rf_not_a_dir_component(void **state)
{
	struct fx *f = *state;

	put(f->dfd, "file", "x");
	assert_int_equal(rm_rf(at(f, "file/below")), -ENOTDIR);
	assert_file_content(f->dfd, "file", "x");
}

/* ---- lexical paths ---- */

static void check_join(const char *a, const char *b, const char *want)
{
	_cleanup_free_ char *s = path_join(a, b);

	assert_non_null(s);
	assert_string_equal(s, want);
}

static void test_path_join(void **state)
{
	check_join("a", "b", "a/b");
	check_join("/a", "b/c", "/a/b/c");
	check_join("/", "b", "/b");
	check_join("/", "/b", "/b");
	check_join("//", "b", "/b");
	check_join("/", "", "/");
	check_join("a/", "b", "a/b");
	check_join("a///", "///b", "a/b");
	check_join("a/", "b/", "a/b/");
	check_join("a", "", "a");
	check_join("a/", "", "a");
	check_join("a", "/", "a");
	check_join("a", "///", "a");
	/* an empty base does not make the result absolute */
	check_join("", "b", "b");
	check_join("", "b/c", "b/c");
	check_join("", "", "");
}

static void check_in_root(const char *root, const char *untrusted, const char *want)
{
	_cleanup_free_ char *s = path_join_in_root(root, untrusted);

	assert_non_null(s);
	assert_string_equal(s, want);
}

static void test_path_join_in_root(void **state)
{
	check_in_root("/r", "../../etc/passwd", "/r/etc/passwd");
	check_in_root("/r", "/a/../../b", "/r/b");
	check_in_root("/r", "a/./b//c", "/r/a/b/c");
	check_in_root("/r", "", "/r");
	check_in_root("/r", "/", "/r");
	check_in_root("/r", ".", "/r");
	check_in_root("/r", "..", "/r");
	check_in_root("/r", "../..", "/r");
	check_in_root("/r/", "a/", "/r/a");
	check_in_root("/r", "a/b/../c", "/r/a/c");
	check_in_root("/r", "a/b/../../../../c", "/r/c");
	check_in_root("/r", "...", "/r/...");
	check_in_root("/r", "..a/b..", "/r/..a/b..");
	check_in_root("/", "../etc/passwd", "/etc/passwd");
	check_in_root("/", "", "/");
}

static void check_dir_base(const char *path, const char *dir, const char *base)
{
	_cleanup_free_ char *d = path_dirname(path);
	_cleanup_free_ char *b = path_basename(path);

	assert_non_null(d);
	assert_non_null(b);
	assert_string_equal(d, dir);
	assert_string_equal(b, base);
}

/* As POSIX dirname(1) / basename(1) print them. */
static void test_path_dirname_basename(void **state)
{
	check_dir_base("/", "/", "/");
	check_dir_base("//", "/", "/");
	check_dir_base("a", ".", "a");
	check_dir_base("a/", ".", "a");
	check_dir_base("a//", ".", "a");
	check_dir_base("/a", "/", "a");
	check_dir_base("/a/", "/", "a");
	check_dir_base("a/b", "a", "b");
	check_dir_base("a//b", "a", "b");
	check_dir_base("/a/b", "/a", "b");
	check_dir_base("/a/b/", "/a", "b");
	check_dir_base("/a/b//", "/a", "b");
	check_dir_base("/a/b/c.tar", "/a/b", "c.tar");
	check_dir_base(".", ".", ".");
	check_dir_base("..", ".", "..");
	check_dir_base("../x", "..", "x");
}

static void test_path_is_absolute(void **state)
{
	assert_true(path_is_absolute("/"));
	assert_true(path_is_absolute("/a"));
	assert_false(path_is_absolute("a/b"));
	assert_false(path_is_absolute(""));
	assert_false(path_is_absolute(NULL));
}

/* ---- open_in_root (each case runs with openat2 and with the fallback) ---- */

static int oir(struct fx *f, const char *path, int flags, mode_t mode, enum open_in_root_flags how)
{
	return open_in_root(f->rootfd, path, flags, mode, how | f->how);
}

static void test_oir_openat2_available(void **state)
{
	struct open_how oh = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT};
	int fd = syscall(SYS_openat2, AT_FDCWD, "/", &oh, sizeof(oh));

	if (fd < 0 && errno == ENOSYS) {
		print_message("openat2 is not available: the openat2 runs test the fallback\n");
		skip();
	}
	assert_true(fd >= 0);
	close(fd);
}

static void test_oir_plain(void **state)
{
	struct fx *f = *state;
	_cleanup_close_ int a = -1, b = -1, c = -1;

	assert_int_equal(mkdirat(f->rootfd, "a", 0755), 0);
	assert_int_equal(mkdirat(f->rootfd, "a/b", 0755), 0);
	put(f->rootfd, "a/b/file", "content");
	a = oir(f, "a/b/file", O_RDONLY, 0, 0);
	assert_fd_content(a, "content");
	b = oir(f, "/a/b/file", O_RDONLY, 0, 0);
	assert_fd_content(b, "content");
	c = oir(f, "//a//./b///file", O_RDONLY, 0, 0);
	assert_fd_content(c, "content");
}

static void test_oir_root_itself(void **state)
{
	struct fx *f = *state;
	const char *paths[] = {"", "/", ".", "./", "//", "..", "/..", "a/..", "a/../.."};
	struct stat rst, st;

	assert_int_equal(mkdirat(f->rootfd, "a", 0755), 0);
	assert_int_equal(fstat(f->rootfd, &rst), 0);
	for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
		_cleanup_close_ int fd = oir(f, paths[i], O_RDONLY | O_DIRECTORY, 0, 0);

		assert_true(fd >= 0);
		assert_int_equal(fstat(fd, &st), 0);
		assert_true(st.st_ino == rst.st_ino && st.st_dev == rst.st_dev);
	}
}

static void test_oir_absolute_symlink_stays_inside(void **state)
{
	struct fx *f = *state;
	_cleanup_close_ int fd = -1;

	/* hostetc -> /etc: the root has no etc, so nothing is found */
	assert_int_equal(symlinkat("/etc", f->rootfd, "hostetc"), 0);
	assert_int_equal(oir(f, "hostetc/passwd", O_RDONLY, 0, 0), -ENOENT);
	assert_int_equal(oir(f, "hostetc", O_RDONLY, 0, 0), -ENOENT);
	/* once the root has its own etc/passwd, that is what opens */
	assert_int_equal(mkdirat(f->rootfd, "etc", 0755), 0);
	put(f->rootfd, "etc/passwd", "root-passwd\n");
	fd = oir(f, "hostetc/passwd", O_RDONLY, 0, 0);
	assert_fd_content(fd, "root-passwd\n");
}

static void test_oir_etc_self_symlink(void **state)
{
	struct fx *f = *state;

	/* etc -> /etc inside the root points at itself: a loop, not the host */
	assert_int_equal(symlinkat("/etc", f->rootfd, "etc"), 0);
	assert_int_equal(oir(f, "etc/passwd", O_RDONLY, 0, 0), -ELOOP);
	assert_int_equal(oir(f, "/etc/passwd", O_RDONLY, 0, 0), -ELOOP);
}

static void test_oir_relative_symlink_climb(void **state)
{
	struct fx *f = *state;
	_cleanup_close_ int a = -1, b = -1;

	assert_int_equal(mkdirat(f->rootfd, "a", 0755), 0);
	assert_int_equal(symlinkat("../../../../x", f->rootfd, "a/up"), 0);
	assert_int_equal(symlinkat("../../../../", f->rootfd, "a/updir"), 0);
	a = oir(f, "a/up", O_RDONLY, 0, 0);
	assert_fd_content(a, "inside");
	b = oir(f, "a/updir/x", O_RDONLY, 0, 0);
	assert_fd_content(b, "inside");
}

static void test_oir_dotdot(void **state)
{
	struct fx *f = *state;
	const char *paths[] = {"../x",         "../../x",           "/../x",
	                       "a/../../../x", "a/b/../../../../x", "./a/./../x"};

	assert_int_equal(mkdirat(f->rootfd, "a", 0755), 0);
	assert_int_equal(mkdirat(f->rootfd, "a/b", 0755), 0);
	for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
		_cleanup_close_ int fd = oir(f, paths[i], O_RDONLY, 0, 0);

		assert_fd_content(fd, "inside");
	}
}

static void test_oir_relative_symlink_in_subdir(void **state)
{
	struct fx *f = *state;
	_cleanup_close_ int fd = -1;

	assert_int_equal(mkdirat(f->rootfd, "a", 0755), 0);
	assert_int_equal(mkdirat(f->rootfd, "a/b", 0755), 0);
	put(f->rootfd, "a/b/file", "deep");
	/* resolved against the link's own directory */
	assert_int_equal(symlinkat("b/file", f->rootfd, "a/rel"), 0);
	assert_int_equal(symlinkat("a", f->rootfd, "tolink"), 0);
	fd = oir(f, "tolink/rel", O_RDONLY, 0, 0);
	assert_fd_content(fd, "deep");
}

static void test_oir_dangling_symlink_creates_inside(void **state)
{
	struct fx *f = *state;
	const char *host = "/husk-test-oir-created";
	_cleanup_close_ int a = -1, b = -1;
	bool host_had = access(host, F_OK) == 0;

	assert_int_equal(symlinkat(host, f->rootfd, "abs-dangling"), 0);
	assert_int_equal(mkdirat(f->rootfd, "d", 0755), 0);
	assert_int_equal(symlinkat("../../../created-rel", f->rootfd, "d/rel-dangling"), 0);
	a = oir(f, "abs-dangling", O_WRONLY | O_CREAT, 0600, 0);
	assert_true(a >= 0);
	assert_int_equal(write_all(a, "made", 4), 0);
	assert_file_content(f->rootfd, "husk-test-oir-created", "made");
	if (!host_had) {
		bool escaped = access(host, F_OK) == 0;

		if (escaped)
			unlink(host);
		assert_false(escaped);
	}
	b = oir(f, "d/rel-dangling", O_WRONLY | O_CREAT, 0600, 0);
	assert_true(b >= 0);
	assert_true(exists_at(f->rootfd, "created-rel"));
	assert_false(exists_at(f->dfd, "created-rel"));
}

static void test_oir_create_excl_does_not_follow(void **state)
{
	struct fx *f = *state;

	/* O_CREAT|O_EXCL never follows a last-component symlink */
	assert_int_equal(symlinkat("target", f->rootfd, "dangling"), 0);
	assert_int_equal(oir(f, "dangling", O_WRONLY | O_CREAT | O_EXCL, 0600, 0), -EEXIST);
	assert_false(exists_at(f->rootfd, "target"));
}

static void test_oir_create_new_file(void **state)
{
	struct fx *f = *state;
	_cleanup_close_ int fd = -1;
	mode_t old = umask(022);
	struct stat st;

	assert_int_equal(mkdirat(f->rootfd, "a", 0755), 0);
	fd = oir(f, "/a/new", O_WRONLY | O_CREAT | O_EXCL, 0640, 0);
	umask(old);
	assert_true(fd >= 0);
	assert_int_equal(fstatat(f->rootfd, "a/new", &st, 0), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(oir(f, "/a/new", O_WRONLY | O_CREAT | O_EXCL, 0640, 0), -EEXIST);
	assert_int_equal(oir(f, "/missing/new", O_WRONLY | O_CREAT, 0640, 0), -ENOENT);
}

static void test_oir_nofollow_last(void **state)
{
	struct fx *f = *state;
	_cleanup_close_ int a = -1, b = -1, c = -1;
	struct stat st;

	assert_int_equal(mkdirat(f->rootfd, "dir", 0755), 0);
	put(f->rootfd, "dir/file", "f");
	assert_int_equal(symlinkat("dir/file", f->rootfd, "link"), 0);
	assert_int_equal(symlinkat("dir", f->rootfd, "dirlink"), 0);
	/* O_PATH + NOFOLLOW_LAST: the link itself */
	a = oir(f, "link", O_PATH, 0, OPEN_IN_ROOT_NOFOLLOW_LAST);
	assert_true(a >= 0);
	assert_int_equal(fstat(a, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	/* the caller's own O_NOFOLLOW means the same */
	b = oir(f, "link", O_PATH | O_NOFOLLOW, 0, 0);
	assert_true(b >= 0);
	assert_int_equal(fstat(b, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	/* opening a symlink for reading without following it */
	assert_int_equal(oir(f, "link", O_RDONLY, 0, OPEN_IN_ROOT_NOFOLLOW_LAST), -ELOOP);
	assert_int_equal(oir(f, "link", O_RDONLY | O_NOFOLLOW, 0, 0), -ELOOP);
	/* links before the last component are still followed */
	c = oir(f, "dirlink/file", O_RDONLY, 0, OPEN_IN_ROOT_NOFOLLOW_LAST);
	assert_fd_content(c, "f");
}

static void test_oir_symlink_loop(void **state)
{
	struct fx *f = *state;

	assert_int_equal(symlinkat("b", f->rootfd, "a"), 0);
	assert_int_equal(symlinkat("/a", f->rootfd, "b"), 0);
	assert_int_equal(symlinkat("self", f->rootfd, "self"), 0);
	assert_int_equal(oir(f, "a", O_RDONLY, 0, 0), -ELOOP);
	assert_int_equal(oir(f, "a/x", O_RDONLY, 0, 0), -ELOOP);
	assert_int_equal(oir(f, "self", O_RDONLY, 0, 0), -ELOOP);
	assert_int_equal(oir(f, "b", O_RDONLY | O_CREAT, 0600, 0), -ELOOP);
}

static void test_oir_symlink_chain(void **state)
{
	struct fx *f = *state;
	_cleanup_close_ int fd = -1;
	char name[32], target[32];

	/* l0 -> l1 -> ... -> l9 -> x: fine; a 60-link chain is not */
	for (int i = 0; i < 60; i++) {
		snprintf(name, sizeof(name), "l%d", i);
		if (i == 9 || i == 59)
			snprintf(target, sizeof(target), "x");
		else
			snprintf(target, sizeof(target), "l%d", i + 1);
		assert_int_equal(symlinkat(target, f->rootfd, name), 0);
	}
	fd = oir(f, "l0", O_RDONLY, 0, 0);
	assert_fd_content(fd, "inside");
	assert_int_equal(oir(f, "l10", O_RDONLY, 0, 0), -ELOOP);
}

static void test_oir_magic_link_target_stays_inside(void **state)
{
	struct fx *f = *state;

	assert_int_equal(symlinkat("/proc/self/root/etc/passwd", f->rootfd, "m"), 0);
	assert_int_equal(symlinkat("/proc/self/fd/0", f->rootfd, "m0"), 0);
	assert_int_equal(symlinkat("/proc/self/cwd", f->rootfd, "mcwd"), 0);
	assert_int_equal(oir(f, "m", O_RDONLY, 0, 0), -ENOENT);
	assert_int_equal(oir(f, "m0", O_RDONLY, 0, 0), -ENOENT);
	assert_int_equal(oir(f, "mcwd/x", O_RDONLY, 0, 0), -ENOENT);
}

static void test_oir_real_magic_links_refused(void **state)
{
	struct fx *f = *state;
	_cleanup_close_ int slash = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int ok = -1;
	char path[64];
	int fd;

	if (access("/proc/self/fd", F_OK) < 0) {
		print_message("/proc is not mounted\n");
		skip();
	}
	assert_true(slash >= 0);
	/* a root that holds a real procfs: its magic links must not jump */
	snprintf(path, sizeof(path), "proc/self/fd/%d", f->dfd);
	assert_int_equal(open_in_root(slash, path, O_RDONLY, 0, f->how), -ELOOP);
	assert_int_equal(open_in_root(slash, "proc/self/root/etc", O_RDONLY, 0, f->how), -ELOOP);
	assert_int_equal(open_in_root(slash, "/proc/self/cwd", O_RDONLY, 0, f->how), -ELOOP);
	assert_int_equal(open_in_root(slash, "proc/self/exe", O_RDONLY, 0, f->how), -ELOOP);
	/* ordinary procfs symlinks (self, thread-self) are fine */
	ok = open_in_root(slash, "proc/self/status", O_RDONLY, 0, f->how);
	assert_true(ok >= 0);
	fd = open_in_root(slash, "proc/thread-self/comm", O_RDONLY, 0, f->how);
	assert_true(fd >= 0);
	close(fd);
}

static void test_oir_errors(void **state)
{
	struct fx *f = *state;

	assert_int_equal(mkdirat(f->rootfd, "dir", 0755), 0);
	assert_int_equal(oir(f, "missing", O_RDONLY, 0, 0), -ENOENT);
	assert_int_equal(oir(f, "missing/deeper", O_RDONLY, 0, 0), -ENOENT);
	assert_int_equal(oir(f, "x", O_RDONLY | O_DIRECTORY, 0, 0), -ENOTDIR);
	assert_int_equal(oir(f, "x/below", O_RDONLY, 0, 0), -ENOTDIR);
	/* a trailing slash asks for a directory */
	assert_int_equal(oir(f, "x/", O_RDONLY, 0, 0), -ENOTDIR);
	assert_int_equal(oir(f, "dir", O_WRONLY, 0, 0), -EISDIR);
}

static void test_oir_trailing_slash_dir(void **state)
{
	struct fx *f = *state;
	_cleanup_close_ int a = -1, b = -1;
	struct stat st;

	assert_int_equal(mkdirat(f->rootfd, "dir", 0755), 0);
	assert_int_equal(symlinkat("dir", f->rootfd, "dirlink"), 0);
	assert_int_equal(symlinkat("x", f->rootfd, "filelink"), 0);
	a = oir(f, "dir/", O_RDONLY, 0, 0);
	assert_true(a >= 0);
	b = oir(f, "dirlink/", O_RDONLY, 0, 0);
	assert_true(b >= 0);
	assert_int_equal(fstat(b, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(oir(f, "filelink/", O_RDONLY, 0, 0), -ENOTDIR);
}

static void test_oir_through_file_symlink_to_outside_file(void **state)
{
	struct fx *f = *state;
	char target[PATH_MAX];
	_cleanup_close_ int fd = -1;

	/* an absolute link naming the outside x by its host path */
	snprintf(target, sizeof(target), "%s/x", f->dir);
	assert_int_equal(symlinkat(target, f->rootfd, "hostx"), 0);
	assert_int_equal(oir(f, "hostx", O_RDONLY, 0, 0), -ENOENT);
	/* the same path recreated inside the root is what opens */
	assert_int_equal(mkdir_p(at(f, "root/tmp"), 0755), 0);
	snprintf(target, sizeof(target), "root%s", f->dir);
	assert_int_equal(mkdir_p(at(f, target), 0755), 0);
	snprintf(target, sizeof(target), "%s/x", f->dir + 1);
	put(f->rootfd, target, "shadow");
	fd = oir(f, "hostx", O_RDONLY, 0, 0);
	assert_fd_content(fd, "shadow");
}

#define FS_TEST(f) cmocka_unit_test_setup_teardown(f, setup_dir, teardown_dir)
#define OIR_TEST(f)                                                                                \
	{#f "/openat2", f, setup_root, teardown_dir, (void *)&how_openat2},                        \
	{                                                                                          \
#f "/fallback", f, setup_root, teardown_dir, (void *)&how_fallback                 \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        FS_TEST(test_write_read_file),
	        FS_TEST(test_write_read_pipe),
	        FS_TEST(test_read_write_bad_fd),
	        FS_TEST(test_read_all_fd),
	        FS_TEST(test_read_all_fd_empty),
	        FS_TEST(test_read_all_fd_cap),
	        FS_TEST(test_read_all_fd_pipe),
	        FS_TEST(test_read_file),
	        FS_TEST(test_read_file_missing),
	        FS_TEST(test_read_file_too_big),
	        FS_TEST(test_read_file_directory),
	        FS_TEST(test_atomic_write_creates),
	        FS_TEST(test_atomic_write_replaces),
	        FS_TEST(test_atomic_write_at_dirfd),
	        FS_TEST(test_atomic_write_over_directory_fails),
	        FS_TEST(test_atomic_write_missing_dir_fails),
	        FS_TEST(test_mkdir_p_nested),
	        FS_TEST(test_mkdir_p_existing),
	        FS_TEST(test_mkdir_p_over_file),
	        FS_TEST(test_mkdir_p_empty),
	        FS_TEST(test_mkdir_p_through_symlink),
	        FS_TEST(test_rm_rf_tree_with_outside_symlinks),
	        FS_TEST(test_rm_rf_missing),
	        FS_TEST(test_rm_rf_file_and_link),
	        FS_TEST(test_rm_rf_deep_and_wide),
	        FS_TEST(test_rm_rf_not_a_dir_component),
	        cmocka_unit_test(test_path_join),
	        cmocka_unit_test(test_path_join_in_root),
	        cmocka_unit_test(test_path_dirname_basename),
	        cmocka_unit_test(test_path_is_absolute),
	        cmocka_unit_test(test_oir_openat2_available),
	        OIR_TEST(test_oir_plain),
	        OIR_TEST(test_oir_root_itself),
	        OIR_TEST(test_oir_absolute_symlink_stays_inside),
	        OIR_TEST(test_oir_etc_self_symlink),
	        OIR_TEST(test_oir_relative_symlink_climb),
	        OIR_TEST(test_oir_dotdot),
	        OIR_TEST(test_oir_relative_symlink_in_subdir),
	        OIR_TEST(test_oir_dangling_symlink_creates_inside),
	        OIR_TEST(test_oir_create_excl_does_not_follow),
	        OIR_TEST(test_oir_create_new_file),
	        OIR_TEST(test_oir_nofollow_last),
	        OIR_TEST(test_oir_symlink_loop),
	        OIR_TEST(test_oir_symlink_chain),
	        OIR_TEST(test_oir_magic_link_target_stays_inside),
	        OIR_TEST(test_oir_real_magic_links_refused),
	        OIR_TEST(test_oir_errors),
	        OIR_TEST(test_oir_trailing_slash_dir),
	        OIR_TEST(test_oir_through_file_symlink_to_outside_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
