/* copy.c — a faithful tree copy for the vfs driver (layers and container
 * roots are full copies there): owners, modes (setuid too), times,
 * xattrs (file capabilities), hard links, symlinks and device nodes.
 * Everything is opened by fd relative to its parent with O_NOFOLLOW: a
 * layer's symlinks are data, never followed. Reflinks where the filesystem
 * has them. */
#include "store/store_internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "base/fs.h"

#define COPY_MAX_DEPTH 256 /* two fds per level stay well inside RLIMIT_NOFILE */

struct hardlink {
	dev_t dev;
	ino_t ino;
	char *rel; /* where its first copy went, relative to the destination */
};

struct copy {
	int dst_root;
	struct hardlink *links;
	size_t n_links, cap_links;
	struct husk_error **err;
};

static int copy_fail(struct copy *c, int code, const char *rel)
{
	return error_set_errno(c->err, code, "copy \"%s\"", rel);
}

/* Copy the xattrs of src (an fd, or an O_PATH-less name in dirfd via
 * /proc/self/fd for symlinks and devices) onto dst the same way. */
static int copy_xattrs(const char *src, const char *dst)
{
	char names[65536], value[65536];
	ssize_t n = llistxattr(src, names, sizeof(names));

	if (n < 0)
		return errno == ENOTSUP ? 0 : -errno;
	for (char *k = names; k < names + n; k += strlen(k) + 1) {
		ssize_t v = lgetxattr(src, k, value, sizeof(value));

		if (v < 0)
			return -errno;
		if (lsetxattr(dst, k, value, v, 0) < 0)
			return -errno;
	}
	return 0;
}

static int copy_meta(int sdir, int ddir, const char *name, const struct stat *st)
{
	char sp[64], dp[64];
	struct timespec ts[2] = {st->st_atim, st->st_mtim};
	_cleanup_free_ char *s = NULL, *d = NULL;

	/* owner first: chown clears setuid bits and file capabilities */
	if (fchownat(ddir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISLNK(st->st_mode) && fchmodat(ddir, name, st->st_mode & 07777, 0) < 0)
		return -errno;
	snprintf(sp, sizeof(sp), "/proc/self/fd/%d", sdir);
	snprintf(dp, sizeof(dp), "/proc/self/fd/%d", ddir);
	s = path_join(sp, name);
	d = path_join(dp, name);
	if (!s || !d)
		return -ENOMEM;
	int r = copy_xattrs(s, d);
	if (r < 0)
		return r;
	return utimensat(ddir, name, ts, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

static int copy_data(int in, int out, off_t size)
{
	if (ioctl(out, FICLONE, in) == 0)
		return 0;
	while (size > 0) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, size, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP))
			break;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0; /* the file shrank under us */
		size -= n;
	}
	for (char buf[65536];;) {
		ssize_t n = read_full(in, buf, sizeof(buf));

		if (n <= 0)
			return n;
		int r = write_all(out, buf, n);
		if (r < 0)
			return r;
	}
}

static int copy_file(int sdir, int ddir, const char *name, const struct stat *st)
{
	_cleanup_close_ int in = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int out = -1;

	if (in < 0)
		return -errno;
	out = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return -errno;
	return copy_data(in, out, st->st_size);
}

static int copy_special(int sdir, int ddir, const char *name, const struct stat *st)
{
	char target[PATH_MAX];
	ssize_t n;

	if (!S_ISLNK(st->st_mode))
		return mknodat(ddir, name, st->st_mode & S_IFMT, st->st_rdev) < 0 ? -errno : 0;
	n = readlinkat(sdir, name, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = 0;
	return symlinkat(target, ddir, name) < 0 ? -errno : 0;
}

/* A second name of a file already copied: link it. 1 when done. */
static int copy_hardlink(struct copy *c, int ddir, const char *name, const char *rel,
                         const struct stat *st)
{
	struct hardlink *h;

	if (S_ISDIR(st->st_mode) || st->st_nlink < 2)
		return 0;
	for (size_t i = 0; i < c->n_links; i++) {
		h = &c->links[i];
		if (h->dev == st->st_dev && h->ino == st->st_ino)
			return linkat(c->dst_root, h->rel, ddir, name, 0) < 0 ? -errno : 1;
	}
	if (c->n_links == c->cap_links) {
		size_t cap = c->cap_links ? 2 * c->cap_links : 64;
		h = realloc(c->links, cap * sizeof(*h));
		if (!h)
			return -ENOMEM;
		c->links = h;
		c->cap_links = cap;
	}
	h = &c->links[c->n_links];
	h->rel = strdup(rel);
	if (!h->rel)
		return -ENOMEM;
	h->dev = st->st_dev;
	h->ino = st->st_ino;
	c->n_links++;
	return 0;
}

static int copy_dir(struct copy *c, int sdir, int ddir, const char *rel, int depth);

static int copy_entry(struct copy *c, int sdir, int ddir, const char *name, const char *rel,
                      int depth)
{
	struct stat st;
	int r;

	if (fstatat(sdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return copy_fail(c, errno, rel);
	r = copy_hardlink(c, ddir, name, rel, &st);
	if (r != 0)
		return r < 0 ? copy_fail(c, -r, rel) : 0;
	if (S_ISDIR(st.st_mode)) {
		_cleanup_close_ int s = -1, d = -1;

		if (depth >= COPY_MAX_DEPTH)
			return error_set(c->err, ELOOP, "copy \"%s\": deeper than %d directories",
			                 rel, COPY_MAX_DEPTH);
		if (mkdirat(ddir, name, 0700) < 0)
			return copy_fail(c, errno, rel);
		s = openat(sdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		d = openat(ddir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (s < 0 || d < 0)
			return copy_fail(c, errno, rel);
		r = copy_dir(c, s, d, rel, depth + 1);
		if (r < 0)
			return r;
	} else if (S_ISREG(st.st_mode)) {
		r = copy_file(sdir, ddir, name, &st);
	} else {
		r = copy_special(sdir, ddir, name, &st);
	}
	if (r == 0)
		r = copy_meta(sdir, ddir, name, &st);
	return r < 0 ? copy_fail(c, -r, rel) : 0;
}

static int copy_dir(struct copy *c, int sdir, int ddir, const char *rel, int depth)
{
	int fd = dup(sdir), r = 0;
	struct dirent *de;
	DIR *d;

	if (fd < 0 || !(d = fdopendir(fd))) {
		safe_close(fd);
		return copy_fail(c, errno, rel);
	}
	while ((de = readdir(d))) {
		_cleanup_free_ char *child = NULL;

		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		child = isempty(rel) ? strdup(de->d_name) : path_join(rel, de->d_name);
		if (!child) {
			r = error_set(c->err, ENOMEM, "out of memory");
			break;
		}
		r = copy_entry(c, sdir, ddir, de->d_name, child, depth);
		if (r < 0)
			break;
	}
	closedir(d);
	return r;
}

int tree_copy(int src_dfd, int dst_dfd, struct husk_error **err)
{
	struct copy c = {.dst_root = dst_dfd, .err = err};
	struct stat st;
	int r;

	r = copy_dir(&c, src_dfd, dst_dfd, "", 0);
	for (size_t i = 0; i < c.n_links; i++)
		free(c.links[i].rel);
	free(c.links);
	if (r < 0)
		return r;
	/* the root directory's own metadata, its times last */
	if (fstat(src_dfd, &st) < 0 || fchown(dst_dfd, st.st_uid, st.st_gid) < 0 ||
	    fchmod(dst_dfd, st.st_mode & 07777) < 0 ||
	    futimens(dst_dfd, (struct timespec[2]){st.st_atim, st.st_mtim}) < 0)
		return error_set_errno(err, errno, "copy \"/\"");
	return 0;
}

static uint64_t dir_size(int dfd, int depth)
{
	int fd = dup(dfd);
	struct dirent *de;
	uint64_t sum = 0;
	DIR *d;

	if (fd < 0 || !(d = fdopendir(fd))) {
		safe_close(fd);
		return 0;
	}
	while ((de = readdir(d))) {
		struct stat st;

		if (streq(de->d_name, ".") || streq(de->d_name, "..") ||
		    fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISREG(st.st_mode))
			sum += st.st_size;
		if (S_ISDIR(st.st_mode) && depth < COPY_MAX_DEPTH) {
			_cleanup_close_ int c = openat(
			        dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (c >= 0)
				sum += dir_size(c, depth + 1);
		}
	}
	closedir(d);
	return sum;
}

uint64_t tree_size(int dfd)
{
	return dir_size(dfd, 0);
}
