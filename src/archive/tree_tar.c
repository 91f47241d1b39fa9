/* tree_tar.c — a file or directory of a container's tree as a tar stream
 * (docker cp out of a container, docker export), written with libarchive
 * as the walk goes: nothing is collected first, so a big tree costs the
 * memory of its deepest path.
 *
 * The resource path is resolved in the tree (open_in_root); below it every
 * name is opened with O_NOFOLLOW relative to its directory's fd, so a
 * symlink swapped in during the walk is archived as a link, never
 * followed. Only regular files are read (opened O_NONBLOCK and checked
 * again by fstat, so a fifo put in a file's place cannot block the walk).
 */
#include "archive/internal.h"
#include "archive/tree.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/str.h"

#define TREE_DEPTH_MAX 512

struct inode_key {
	dev_t dev;
	ino_t ino;
	char path[]; /* the first entry name of this inode */
};

struct tar_walk {
	struct archive *a;
	int out_fd;
	int write_errno; /* the error of the last write to out_fd */
	void *inodes;    /* tsearch tree of struct inode_key: hard links */
	char *buf;
	const struct id_mapping *ids; /* host → container owners; NULL: as they are */
	struct husk_error **err;
};

static la_ssize_t write_cb(struct archive *a, void *client, const void *buf, size_t len)
{
	struct tar_walk *w = client;
	int r = write_all(w->out_fd, buf, len);

	if (r < 0) {
		w->write_errno = -r;
		archive_set_error(a, -r, "write: %s", strerror(-r));
		return -1;
	}
	return (la_ssize_t)len;
}

static int inode_cmp(const void *a, const void *b)
{
	const struct inode_key *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* The earlier name of a hard-linked file, or NULL (this one is recorded). */
static const char *hardlink_of(struct tar_walk *w, const struct stat *st, const char *name)
{
	struct inode_key *k, **found;

	if (!S_ISREG(st->st_mode) || st->st_nlink < 2)
		return NULL;
	k = malloc(sizeof(*k) + strlen(name) + 1);
	if (!k)
		return NULL; /* archived as a copy */
	k->dev = st->st_dev;
	k->ino = st->st_ino;
	strcpy(k->path, name);
	found = tsearch(k, &w->inodes, inode_cmp);
	if (found && *found != k) {
		free(k);
		return (*found)->path;
	}
	if (!found)
		free(k);
	return NULL;
}

static int archive_fail(struct tar_walk *w, const char *name)
{
	if (w->write_errno)
		return error_set_errno(w->err, w->write_errno, "write the tar");
	return error_set(w->err, EIO, "archive \"%s\": %s", name, archive_error_string(w->a));
}

static int write_data(struct tar_walk *w, int dfd, const char *base, const char *name,
                      const struct stat *st)
{
	_cleanup_close_ int fd =
	        openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	int64_t left = st->st_size;
	struct stat now;

	if (fd < 0 || fstat(fd, &now) < 0 || !S_ISREG(now.st_mode))
		return error_set_errno(w->err, fd < 0 ? errno : EINVAL, "read \"%s\"", name);
	while (left > 0) {
		ssize_t n = read(fd, w->buf, (size_t)MIN(left, (int64_t)LAYER_IO_BUF));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return error_set_errno(w->err, errno, "read \"%s\"", name);
		if (n == 0)
			break; /* shrunk while read: libarchive pads the entry with zeros */
		if (archive_write_data(w->a, w->buf, (size_t)n) < 0)
			return archive_fail(w, name);
		left -= n;
	}
	return 0;
}

static int write_entry(struct tar_walk *w, int dfd, const char *base, const char *name,
                       const struct stat *st)
{
	struct archive_entry *e = archive_entry_new();
	const char *hl = hardlink_of(w, st, name);
	char link[LAYER_MAX_PATH + 1];
	int r = 0;

	if (!e)
		return error_set(w->err, ENOMEM, "out of memory");
	archive_entry_copy_stat(e, st);
	if (w->ids && (w->ids->n_uids || w->ids->n_gids)) {
		archive_entry_set_uid(e, idmap_seen(w->ids->uids, w->ids->n_uids, st->st_uid));
		archive_entry_set_gid(e, idmap_seen(w->ids->gids, w->ids->n_gids, st->st_gid));
	}
	archive_entry_unset_atime(e);
	archive_entry_unset_ctime(e);
	archive_entry_unset_birthtime(e);
	archive_entry_set_pathname(e, name);
	if (S_ISLNK(st->st_mode)) {
		ssize_t n = readlinkat(dfd, base, link, sizeof(link) - 1);
		if (n < 0)
			r = error_set_errno(w->err, errno, "read link \"%s\"", name);
		else {
			link[n] = 0;
			archive_entry_set_symlink(e, link);
		}
	}
	if (hl) {
		archive_entry_set_hardlink(e, hl);
		archive_entry_set_size(e, 0);
	}
	if (r == 0 && archive_write_header(w->a, e) < ARCHIVE_WARN)
		r = archive_fail(w, name);
	if (r == 0 && S_ISREG(st->st_mode) && !hl)
		r = write_data(w, dfd, base, name, st);
	archive_entry_free(e);
	return r;
}

static bool pseudo_fs(int fd)
{
	struct statfs sf;

	return fstatfs(fd, &sf) == 0 && (sf.f_type == PROC_SUPER_MAGIC || sf.f_type == SYSFS_MAGIC);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int dir_names_sorted(int fd, char ***ret)
{
	int dup_fd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_strv_ char **v = strv_new();
	struct dirent *de;
	int r = 0;
	DIR *d;

	if (dup_fd < 0)
		return -errno;
	d = fdopendir(dup_fd);
	if (!d) {
		close(dup_fd);
		return -ENOMEM;
	}
	while (v && r == 0 && (de = readdir(d)))
		if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
			r = strv_push(&v, de->d_name);
	closedir(d);
	if (!v || r < 0)
		return -ENOMEM;
	qsort(v, strv_length(v), sizeof(*v), cmp_names);
	*ret = TAKE_PTR(v);
	return 0;
}

static int walk_dir(struct tar_walk *w, int fd, const char *prefix, unsigned depth);

/* One name of directory dfd; name is its path in the tar. */
static int walk_name(struct tar_walk *w, int dfd, const char *base, const char *name,
                     unsigned depth)
{
	_cleanup_close_ int sub = -1;
	_cleanup_free_ char *dirname = NULL;
	struct stat st;
	int r;

	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : error_set_errno(w->err, errno, "stat \"%s\"", name);
	if (S_ISSOCK(st.st_mode))
		return 0; /* as docker: nothing a tar can hold */
	if (!S_ISDIR(st.st_mode))
		return write_entry(w, dfd, base, name, &st);
	if (!(dirname = str_printf("%s/", name)))
		return error_set(w->err, ENOMEM, "out of memory");
	r = write_entry(w, dfd, base, dirname, &st);
	if (r < 0)
		return r;
	sub = openat(dfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0)
		return errno == ENOENT ? 0 : error_set_errno(w->err, errno, "open \"%s\"", name);
	if (pseudo_fs(sub))
		return 0;
	return walk_dir(w, sub, dirname, depth + 1);
}

static int walk_dir(struct tar_walk *w, int fd, const char *prefix, unsigned depth)
{
	_cleanup_strv_ char **names = NULL;
	int r;

	if (depth > TREE_DEPTH_MAX)
		return error_set(w->err, ELOOP, "\"%s\": more than %d directories deep", prefix,
		                 TREE_DEPTH_MAX);
	r = dir_names_sorted(fd, &names);
	if (r < 0)
		return error_set_errno(w->err, -r, "list \"%s\"", *prefix ? prefix : "/");
	STRV_FOREACH (n, names) {
		_cleanup_free_ char *name = str_printf("%s%s", prefix, *n);

		if (!name)
			return error_set(w->err, ENOMEM, "out of memory");
		if (strlen(name) > LAYER_MAX_PATH)
			return error_set(w->err, ENAMETOOLONG, "\"%.64s…\": path too long", name);
		r = walk_name(w, fd, *n, name, depth);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The resource: its directory's fd and last component ("." for "d/."),
 * and the entry name it gets. */
static int walk_resource(struct tar_walk *w, int rootfd, const char *path)
{
	_cleanup_free_ char *p = strdup(*path ? path : "/"), *dir = NULL, *base = NULL;
	_cleanup_close_ int dfd = -1;
	size_t n;

	if (!p)
		return error_set(w->err, ENOMEM, "out of memory");
	n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = 0;
	if (streq(p, "/"))
		return walk_name(w, rootfd, ".", ".", 0);
	dir = path_dirname(p);
	base = path_basename(p);
	if (!dir || !base)
		return error_set(w->err, ENOMEM, "out of memory");
	dfd = open_in_root(rootfd, dir, O_PATH | O_DIRECTORY, 0, 0);
	if (dfd < 0)
		return error_set_errno(w->err, -dfd, "open \"%s\"", dir);
	/* "d/" names d as a directory: follow it, as lstat("d/") does */
	if (endswith(path, "/") && !streq(base, ".")) {
		_cleanup_close_ int self = open_in_root(rootfd, p, O_PATH | O_DIRECTORY, 0, 0);
		if (self < 0)
			return error_set_errno(w->err, -self, "open \"%s\"", path);
		return walk_name(w, self, ".", base, 0);
	}
	return walk_name(w, dfd, base, base, 0);
}

static void inode_free(void *p)
{
	free(p);
}

int tree_tar(int rootfd, const char *path, enum tree_tar_flags flags, int out_fd,
             struct husk_error **err)
{
	return tree_tar_mapped(rootfd, path, flags, NULL, out_fd, err);
}

int tree_tar_mapped(int rootfd, const char *path, enum tree_tar_flags flags,
                    const struct id_mapping *ids, int out_fd, struct husk_error **err)
{
	struct tar_walk w = {.out_fd = out_fd, .ids = ids, .err = err};
	int r;

	w.a = archive_write_new();
	w.buf = malloc(LAYER_IO_BUF);
	if (!w.a || !w.buf || archive_write_set_format_pax_restricted(w.a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(w.a, 1) != ARCHIVE_OK) {
		r = error_set(err, ENOMEM, "out of memory");
		goto out;
	}
	if (archive_write_open(w.a, &w, NULL, write_cb, NULL) != ARCHIVE_OK) {
		r = archive_fail(&w, path);
		goto out;
	}
	if (flags & TREE_TAR_CONTENTS) {
		_cleanup_close_ int fd = open_in_root(rootfd, path, O_RDONLY | O_DIRECTORY, 0, 0);
		r = fd < 0 ? error_set_errno(err, -fd, "open \"%s\"", path)
		           : walk_dir(&w, fd, "", 0);
	} else {
		r = walk_resource(&w, rootfd, path);
	}
	if (r == 0 && archive_write_close(w.a) != ARCHIVE_OK)
		r = archive_fail(&w, path);
out:
	archive_write_free(w.a);
	tdestroy(w.inodes, inode_free);
	free(w.buf);
	return r;
}
