#include "base/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#include "base/str.h"

ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = RETRY_EINTR(read(fd, (char *)buf + done, len - done));
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		done += n;
	}
	return done;
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = RETRY_EINTR(write(fd, p, len));
		if (n < 0)
			return -errno;
		p += n;
		len -= n;
	}
	return 0;
}

int read_all_fd(int fd, size_t max, char **ret, size_t *ret_len)
{
	struct strbuf sb = {0};
	char chunk[16384];

	for (;;) {
		ssize_t n = RETRY_EINTR(read(fd, chunk, sizeof(chunk)));
		if (n < 0) {
			strbuf_release(&sb);
			return -errno;
		}
		if (n == 0)
			break;
		if (sb.len + n > max) {
			strbuf_release(&sb);
			return -EFBIG;
		}
		if (strbuf_append(&sb, chunk, n) < 0) {
			strbuf_release(&sb);
			return -ENOMEM;
		}
	}
	if (ret_len)
		*ret_len = sb.len;
	*ret = strbuf_steal(&sb);
	return *ret ? 0 : -ENOMEM;
}

int read_file(const char *path, size_t max, char **ret, size_t *ret_len, struct husk_error **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return error_set_errno(err, errno, "open \"%s\"", path);
	r = read_all_fd(fd, max, ret, ret_len);
	if (r == -EFBIG)
		return error_set(err, EFBIG, "\"%s\" is larger than %zu bytes", path, max);
	if (r < 0)
		return error_set_errno(err, -r, "read \"%s\"", path);
	return 0;
}

static int fsync_dirfd(int dirfd)
{
	_cleanup_close_ int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return fsync(fd) < 0 ? -errno : 0;
}

int fsync_dir(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return fsync(fd) < 0 ? -errno : 0;
}

/* Create a uniquely named temp file next to name in dirfd. */
static int open_temp_at(int dirfd, const char *name, char **ret_tmp)
{
	_cleanup_free_ char *base = path_basename(name);
	_cleanup_free_ char *dir = path_dirname(name);

	for (int attempt = 0; attempt < 100; attempt++) {
		_cleanup_free_ char *tmp = NULL;
		unsigned rnd;
		int fd;

		if (getentropy(&rnd, sizeof(rnd)) < 0)
			rnd = (unsigned)getpid() ^ (unsigned)attempt;
		tmp = str_printf("%s/.%s.tmp%08x", dir, base, rnd);
		if (!tmp)
			return -ENOMEM;
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0) {
			*ret_tmp = TAKE_PTR(tmp);
			return fd;
		}
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

static int replace_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                      bool durable, struct husk_error **err)
{
	_cleanup_free_ char *tmp = NULL, *dir = NULL;
	_cleanup_close_ int fd = -1, dfd = -1;
	int r;

	fd = open_temp_at(dirfd, name, &tmp);
	if (fd < 0)
		return error_set_errno(err, -fd, "create temporary file for \"%s\"", name);
	r = write_all(fd, data, len);
	if (r == 0 && fchmod(fd, mode) < 0)
		r = -errno;
	if (r == 0 && durable && fsync(fd) < 0)
		r = -errno;
	if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		r = -errno;
	if (r < 0) {
		unlinkat(dirfd, tmp, 0);
		return error_set_errno(err, -r, "write \"%s\"", name);
	}
	if (!durable)
		return 0;
	dir = path_dirname(name);
	if (!dir)
		return error_set(err, ENOMEM, "out of memory");
	dfd = openat(dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync_dirfd(dfd) < 0)
		return error_set_errno(err, errno, "fsync directory of \"%s\"", name);
	return 0;
}

int atomic_write_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                    struct husk_error **err)
{
	return replace_at(dirfd, name, data, len, mode, true, err);
}

int atomic_replace_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                      struct husk_error **err)
{
	return replace_at(dirfd, name, data, len, mode, false, err);
}

int atomic_write_file(const char *path, const void *data, size_t len, mode_t mode,
                      struct husk_error **err)
{
	return atomic_write_at(AT_FDCWD, path, data, len, mode, err);
}

int mkdir_p(const char *path, mode_t mode)
{
	_cleanup_free_ char *p = NULL;
	struct stat st;

	if (!*path)
		return -ENOENT; /* as mkdir("") says */
	p = strdup(path);
	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return -errno;
	if (stat(p, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int mkdir_p_parent(const char *path, mode_t mode)
{
	_cleanup_free_ char *dir = path_dirname(path);

	if (!dir)
		return -ENOMEM;
	return mkdir_p(dir, mode);
}

static int rm_rf_children(int dfd, dev_t dev);

static int rm_rf_entry(int dfd, const char *name, dev_t dev)
{
	struct stat st;
	int cfd, r;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
	if (st.st_dev != dev)
		return -EBUSY; /* a mount point below: never delete into another fs */
	cfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (cfd < 0)
		return -errno;
	r = rm_rf_children(cfd, dev);
	close(cfd);
	if (r < 0)
		return r;
	return unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? -errno : 0;
}

static int rm_rf_children(int dfd, dev_t dev)
{
	int nfd = dup(dfd);
	struct dirent *de;
	DIR *d;
	int r = 0;

	if (nfd < 0)
		return -errno;
	d = fdopendir(nfd);
	if (!d) {
		close(nfd);
		return -errno;
	}
	while ((de = readdir(d))) {
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		r = rm_rf_entry(dfd, de->d_name, dev);
		if (r < 0)
			break;
	}
	closedir(d);
	return r;
}

int rm_rf(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	return rm_rf_entry(AT_FDCWD, path, st.st_dev);
}

char *path_join(const char *a, const char *b)
{
	size_t la = strlen(a);

	while (la > 1 && a[la - 1] == '/')
		la--;
	while (*b == '/')
		b++;
	if (!*b)
		return strndup(a, la);
	/* no separator after "/" nor after an empty a: "" + "b" stays relative */
	return str_printf("%.*s%s%s", (int)la, a, la == 0 || (la == 1 && a[0] == '/') ? "" : "/",
	                  b);
}

char *path_join_in_root(const char *root, const char *untrusted)
{
	_cleanup_strv_ char **parts = strv_split(untrusted, "/");
	_cleanup_strv_ char **clean = strv_new();
	_cleanup_free_ char *rel = NULL;
	size_t n;

	if (!parts || !clean)
		return NULL;
	STRV_FOREACH (p, parts) {
		if (isempty(*p) || streq(*p, "."))
			continue;
		if (streq(*p, "..")) {
			n = strv_length(clean);
			if (n > 0) {
				free(clean[n - 1]);
				clean[n - 1] = NULL;
			}
			continue;
		}
		if (strv_push(&clean, *p) < 0)
			return NULL;
	}
	rel = strv_join(clean, "/");
	if (!rel)
		return NULL;
	return path_join(root, rel);
}

char *path_dirname(const char *path)
{
	size_t len = strlen(path);
	const char *s;

	/* trailing slashes are not a component: dirname("a/b/") is "a" */
	while (len > 1 && path[len - 1] == '/')
		len--;
	s = memrchr(path, '/', len);
	if (!s)
		return strdup(".");
	while (s > path && s[-1] == '/')
		s--;
	if (s == path)
		return strdup("/");
	return strndup(path, s - path);
}

char *path_basename(const char *path)
{
	size_t len = strlen(path);
	const char *s;

	while (len > 1 && path[len - 1] == '/')
		len--;
	s = memrchr(path, '/', len);
	if (!s || len == 1)
		return strndup(path, len);
	return strndup(s + 1, len - (s + 1 - path));
}

bool path_is_absolute(const char *p)
{
	return p && p[0] == '/';
}

static int openat2_in_root(int rootfd, const char *path, int flags, mode_t mode,
                           enum open_in_root_flags how)
{
	struct open_how oh = {
	        .flags = (uint64_t)(flags | O_CLOEXEC),
	        .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
	        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	if (how & OPEN_IN_ROOT_NOFOLLOW_LAST)
		oh.flags |= O_NOFOLLOW;
	while (*path == '/')
		path++;
	fd = syscall(SYS_openat2, rootfd, *path ? path : ".", &oh, sizeof(oh));
	return fd < 0 ? -errno : fd;
}

/* The fallback walk: one component at a time with O_PATH|O_NOFOLLOW, symlink
 * targets spliced into the rest of the path, ".." never above rootfd. */
struct walk {
	int rootfd;
	int dirfd; /* current directory (owned; may equal -1 meaning root) */
	char *rest;
	int links;
};

static int walk_splice_link(struct walk *w, const char *name, const char *tail)
{
	char target[PATH_MAX];
	ssize_t n =
	        readlinkat(w->dirfd < 0 ? w->rootfd : w->dirfd, name, target, sizeof(target) - 1);
	char *nrest;

	if (n < 0)
		return -errno;
	target[n] = 0;
	if (++w->links > 40)
		return -ELOOP;
	/* no "/" of our own after a last component: "link" -> "file" must not
	 * become "file/", which would demand a directory */
	nrest = str_printf("%s%s%s", target, tail ? "/" : "", tail ? tail : "");
	if (!nrest)
		return -ENOMEM;
	free(w->rest);
	w->rest = nrest;
	if (target[0] == '/') {
		w->dirfd = safe_close(w->dirfd); /* absolute: restart at the root */
	}
	return 0;
}

/* Magic links (/proc/<pid>/fd/N, exe, cwd, root, ns/…) jump instead of
 * resolving their text; RESOLVE_NO_MAGICLINKS refuses them, and so must the
 * walk. They all live below /proc/<pid>; the symlinks in the procfs root
 * itself (self, thread-self, mounts, net) are ordinary ones. */
#define PROC_ROOT_INO 1
static bool in_magic_link_dir(int dirfd)
{
	struct statfs sfs;
	struct stat st;

	if (fstatfs(dirfd, &sfs) < 0 || fstat(dirfd, &st) < 0)
		return true; /* cannot tell: refuse */
	return sfs.f_type == PROC_SUPER_MAGIC && st.st_ino != PROC_ROOT_INO;
}

static int walk_parent(struct walk *w)
{
	struct stat a, b;
	int fd;

	if (w->dirfd < 0)
		return 0;
	if (fstat(w->dirfd, &a) < 0 || fstat(w->rootfd, &b) < 0)
		return -errno;
	if (a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
		w->dirfd = safe_close(w->dirfd);
		return 0;
	}
	fd = openat(w->dirfd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	safe_close(w->dirfd);
	w->dirfd = fd;
	return 0;
}

static int walk_step(struct walk *w, bool *done, int flags, mode_t mode,
                     enum open_in_root_flags how)
{
	char *comp = w->rest, *slash;
	const char *tail = NULL;
	int base = w->dirfd < 0 ? w->rootfd : w->dirfd;
	struct stat st;
	bool last, nofollow;
	int fd;

	while (*comp == '/')
		comp++;
	slash = strchr(comp, '/');
	if (slash) {
		*slash = 0;
		tail = slash + 1;
		while (*tail == '/')
			tail++;
	}
	last = !tail || !*tail;
	/* as open(2): a last "name" is not followed with O_NOFOLLOW or
	 * O_CREAT|O_EXCL, but "name/" always is (it must be a directory) */
	nofollow = last && !tail &&
	           ((how & OPEN_IN_ROOT_NOFOLLOW_LAST) || (flags & O_NOFOLLOW) ||
	            (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL));
	if (!*comp || streq(comp, ".")) {
		if (last) {
			*done = true;
			fd = openat(base, ".", flags | O_CLOEXEC, mode);
			return fd < 0 ? -errno : fd;
		}
	} else if (streq(comp, "..")) {
		int r = walk_parent(w);
		if (r < 0)
			return r;
		if (last) {
			*done = true;
			fd = openat(w->dirfd < 0 ? w->rootfd : w->dirfd, ".", flags | O_CLOEXEC,
			            mode);
			return fd < 0 ? -errno : fd;
		}
	} else if (fstatat(base, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode) &&
	           !nofollow) {
		_cleanup_free_ char *t = tail ? strdup(tail) : NULL;

		if (tail && !t)
			return -ENOMEM;
		if (in_magic_link_dir(base))
			return -ELOOP;
		return walk_splice_link(w, comp, t);
	} else if (last) {
		*done = true;
		if (tail) {
			/* "name/": a directory, as the kernel has it; the slash
			 * itself is not passed on, it would defeat O_NOFOLLOW */
			if (flags & O_CREAT)
				return -EISDIR;
			flags |= O_DIRECTORY;
		}
		fd = openat(base, comp, flags | O_CLOEXEC | O_NOFOLLOW, mode);
		return fd < 0 ? -errno : fd;
	} else {
		fd = openat(base, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		safe_close(w->dirfd);
		w->dirfd = fd;
	}
	memmove(w->rest, tail, strlen(tail) + 1);
	return 0;
}

static int walk_in_root(int rootfd, const char *path, int flags, mode_t mode,
                        enum open_in_root_flags how)
{
	struct walk w = {.rootfd = rootfd, .dirfd = -1, .rest = strdup(path)};
	bool done = false;
	int r = 0;

	if (!w.rest)
		return -ENOMEM;
	while (!done) {
		r = walk_step(&w, &done, flags, mode, how);
		if (r < 0)
			break;
	}
	free(w.rest);
	safe_close(w.dirfd);
	return r;
}

int open_in_root(int rootfd, const char *path, int flags, mode_t mode, enum open_in_root_flags how)
{
	int fd;

	if (!(how & OPEN_IN_ROOT_NO_OPENAT2)) {
		fd = openat2_in_root(rootfd, path, flags, mode, how);
		/* ENOSYS: kernel < 5.6; EPERM: a seccomp filter that predates openat2 */
		if (fd != -ENOSYS && fd != -EPERM)
			return fd;
	}
	return walk_in_root(rootfd, path, flags, mode, how);
}
