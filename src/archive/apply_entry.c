/* apply_entry.c — creating one tar entry inside the target, safely and with
 * no more system calls than tar -x makes.
 *
 * Only the parent directory of an entry is ever resolved by path, with
 * open_in_root() (openat2 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): a
 * symlink met on the way resolves as if the target were "/", so
 * "a/b" with a -> /etc lands in target/etc/b. The entry itself is made with
 * an *at() call on that directory fd and its last component, which is never
 * followed (O_EXCL, O_NOFOLLOW, AT_SYMLINK_NOFOLLOW), so nothing the layer
 * puts there can redirect the write.
 *
 * The parent of the last entry stays open: tars list a directory's
 * entries together, so most entries cost no path resolution at all. The
 * cached fd cannot go stale, because an entry only ever removes or replaces
 * things below its own parent, never the parent or its ancestors.
 */
#include "archive/internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/str.h"

#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_META   ".wh..wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"
#define OVERLAY_OPAQUE  "trusted.overlay.opaque"

/* The umask the kernel applies to our mkdirat/mknodat/open modes: read,
 * not set, since umask() is process-wide and other threads create files. */
static mode_t read_umask(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
	char line[128];
	unsigned m;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Umask: %o", &m) == 1)
			return (mode_t)m;
	return 0777; /* unknown: always chmod */
}

int apply_ctx_init(struct apply_ctx *c, int rootfd, const struct apply_opts *o)
{
	memset(c, 0, sizeof(*c));
	c->rootfd = rootfd;
	c->o = o;
	c->cache_fd = -1;
	c->umask = read_umask();
	c->euid = geteuid();
	c->egid = getegid();
	return pathset_init(&c->seen);
}

void apply_ctx_release(struct apply_ctx *c)
{
	safe_close(c->cache_fd);
	c->cache_fd = -1;
	pathset_release(&c->seen);
	for (size_t i = 0; i < c->n_dirs; i++)
		free(c->dirs[i].path);
	free(c->dirs);
	c->dirs = NULL;
	c->n_dirs = c->cap_dirs = 0;
}

/* --- resolving parents ------------------------------------------------------ */

static int open_dir_in_root(int rootfd, const char *path)
{
	int fd, tries = 0;

	/* -EAGAIN: openat2 saw a concurrent rename and refused to guess */
	do
		fd = open_in_root(rootfd, path, O_PATH | O_DIRECTORY, 0, 0);
	while (fd == -EAGAIN && ++tries < 16);
	return fd;
}

/* mkdir -p of dir inside the root, one component at a time, each resolved
 * in the root (a symlink on the way is followed inside it). */
static int make_parents(struct apply_ctx *c, const char *dir, struct husk_error **err)
{
	_cleanup_close_ int cur = -1;
	char prefix[LAYER_MAX_PATH + 1];
	const char *p = dir;

	for (;;) {
		const char *end = strchrnul(p, '/');
		int fd;

		memcpy(prefix, dir, (size_t)(end - dir));
		prefix[end - dir] = 0;
		fd = open_dir_in_root(c->rootfd, prefix);
		if (fd == -ENOENT) {
			_cleanup_free_ char *name = strndup(p, (size_t)(end - p));

			if (!name)
				return error_set(err, ENOMEM, "out of memory");
			if (mkdirat(cur >= 0 ? cur : c->rootfd, name, 0755) < 0 && errno != EEXIST)
				return error_set_errno(err, errno, "create directory \"%s\"",
				                       prefix);
			if (pathset_add(&c->seen, prefix) < 0)
				return error_set(err, ENOMEM, "out of memory");
			fd = open_dir_in_root(c->rootfd, prefix);
		}
		if (fd < 0)
			return error_set_errno(err, -fd, "parent directory \"%s\"", prefix);
		safe_close(cur);
		cur = fd;
		if (!*end)
			return TAKE_FD(cur);
		p = end + 1;
	}
}

/* The directory holding path (its first dirlen bytes), as an fd the cache
 * owns; c->cache_sgid/cache_gid describe it. Missing directories are made
 * 0755 as tar -x does, unless !create (-ENOENT then, with no message). */
static int parent_fd(struct apply_ctx *c, const char *path, size_t dirlen, bool create,
                     struct husk_error **err)
{
	char dir[LAYER_MAX_PATH + 1];
	struct stat st;
	int fd;

	if (c->cache_fd >= 0 && strlen(c->cache_path) == dirlen &&
	    memcmp(c->cache_path, path, dirlen) == 0)
		return c->cache_fd;
	memcpy(dir, path, dirlen);
	dir[dirlen] = 0;
	fd = dirlen == 0 ? fcntl(c->rootfd, F_DUPFD_CLOEXEC, 3) : open_dir_in_root(c->rootfd, dir);
	if (dirlen == 0 && fd < 0)
		fd = -errno;
	if (fd == -ENOENT && !create)
		return fd;
	if (fd == -ENOENT)
		fd = make_parents(c, dir, err);
	else if (fd < 0)
		return error_set_errno(err, -fd, "parent directory \"%s\"", dir);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		int e = errno;

		close(fd);
		return error_set_errno(err, e, "stat \"%s\"", dir);
	}
	safe_close(c->cache_fd);
	c->cache_fd = fd;
	memcpy(c->cache_path, dir, dirlen + 1);
	c->cache_sgid = st.st_mode & S_ISGID;
	c->cache_gid = st.st_gid;
	return fd;
}

/* Make way for a new entry: remove what is at base (a directory with all it
 * holds, as Docker does; tar -x would refuse a non-empty one). */
static int make_room(int pfd, const char *base, struct husk_error **err)
{
	int r = remove_at(pfd, base);

	return r < 0 ? error_set_errno(err, -r, "remove the existing entry") : 0;
}

/* --- metadata ----------------------------------------------------------------- */

/* What the entry was made as: an fd on it (regular files, directories),
 * or its name in the parent (everything else, and directories without
 * xattrs: no open needed). */
struct made {
	int fd;
	int pfd;
	const char *base;
	bool existed; /* a directory kept from before: fix everything */
};

static bool need_chown(const struct apply_ctx *c, const struct layer_entry *e, bool existed)
{
	gid_t gid = c->cache_sgid ? c->cache_gid : c->egid;

	if (c->euid != 0)
		return false; /* as tar -x for a user: files are the user's */
	return existed || e->uid != c->euid || e->gid != gid;
}

static bool need_chmod(const struct apply_ctx *c, const struct layer_entry *e, bool existed)
{
	if (existed || (e->mode & 07000) || (e->mode & 0777 & c->umask))
		return true;
	/* a directory made below a setgid one inherits the bit */
	return e->type == S_IFDIR && c->cache_sgid;
}

static int set_owner_mode(struct apply_ctx *c, const struct made *m, const struct layer_entry *e,
                          struct husk_error **err)
{
	int r;

	if (need_chown(c, e, m->existed)) {
		r = m->fd >= 0 ? fchown(m->fd, e->uid, e->gid)
		               : fchownat(m->pfd, m->base, e->uid, e->gid, AT_SYMLINK_NOFOLLOW);
		if (r < 0)
			return error_set_errno(err, errno, "chown %u:%u", (unsigned)e->uid,
			                       (unsigned)e->gid);
	}
	if (e->type == S_IFLNK || !need_chmod(c, e, m->existed))
		return 0;
	/* after chown, which clears setuid/setgid */
	r = m->fd >= 0 ? fchmod(m->fd, e->mode) : fchmodat(m->pfd, m->base, e->mode, 0);
	if (r < 0)
		return error_set_errno(err, errno, "chmod %04o", (unsigned)e->mode);
	return 0;
}

/* An image must not forge overlayfs metadata (opaque dirs, redirects,
 * metacopy) from inside a tar: only whiteouts make those. */
static bool xattr_forbidden(const char *name)
{
	return startswith(name, "trusted.overlay.") || startswith(name, "user.overlay.");
}

static int set_one_xattr(const struct made *m, const char *name, const void *value, size_t size)
{
	char proc[64 + LAYER_MAX_NAME];
	int r;

	if (m->fd >= 0) {
		r = fsetxattr(m->fd, name, value, size, 0);
	} else {
		/* no fd on a symlink, device or fifo without opening it: name it
		 * below the parent's fd; the last component is not followed */
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d/%s", m->pfd, m->base);
		r = lsetxattr(proc, name, value, size, 0);
	}
	return r < 0 ? -errno : 0;
}

static int set_xattrs(struct apply_ctx *c, const struct made *m, const struct layer_entry *e,
                      struct husk_error **err)
{
	const char *name;
	const void *value;
	size_t size;

	archive_entry_xattr_reset(e->ae);
	while (archive_entry_xattr_next(e->ae, &name, &value, &size) == ARCHIVE_OK) {
		int r;

		if (!name || xattr_forbidden(name))
			continue;
		r = set_one_xattr(m, name, value, size);
		/* a filesystem without xattrs, a namespace we may not write:
		 * Docker goes on without them, and so do we */
		if (r == -EPERM || r == -EOPNOTSUPP) {
			c->xattrs_skipped++;
			continue;
		}
		if (r < 0)
			return error_set_errno(err, -r, "set xattr \"%s\"", name);
	}
	return 0;
}

static int set_times(const struct made *m, const struct layer_entry *e, struct husk_error **err)
{
	int r = m->fd >= 0 ? futimens(m->fd, e->ts)
	                   : utimensat(m->pfd, m->base, e->ts, AT_SYMLINK_NOFOLLOW);

	return r < 0 ? error_set_errno(err, errno, "set times") : 0;
}

static int set_metadata(struct apply_ctx *c, const struct made *m, const struct layer_entry *e,
                        struct husk_error **err)
{
	int r = set_owner_mode(c, m, e, err);

	if (r >= 0)
		r = set_xattrs(c, m, e, err);
	if (r >= 0 && e->type != S_IFDIR)
		r = set_times(m, e, err);
	return r;
}

static bool has_xattrs(const struct layer_entry *e)
{
	return archive_entry_xattr_count(e->ae) > 0;
}

/* --- entry kinds ---------------------------------------------------------------- */

/* The data of a regular file, holes and all: libarchive hands out blocks
 * with their offsets; a gap is a hole (lseek), a hole at the end ftruncate. */
static int write_data(struct apply_ctx *c, const struct layer_entry *e, int fd,
                      struct husk_error **err)
{
	int64_t pos = 0;

	for (;;) {
		const void *buf;
		size_t size;
		la_int64_t off;
		int r = archive_read_data_block(e->a, &buf, &size, &off);

		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			c->stream_error = true;
			return error_set(err, EIO, "read data: %s", archive_error_string(e->a));
		}
		if (off < pos || off > e->size || (int64_t)size > e->size - off)
			return error_set(err, EINVAL, "data block at %lld outside the file",
			                 (long long)off);
		if (off != pos && lseek(fd, off, SEEK_SET) < 0)
			return error_set_errno(err, errno, "seek");
		pos = off;
		if (size > 0) {
			r = write_all(fd, buf, size);
			if (r < 0)
				return error_set_errno(err, -r, "write");
			pos += (int64_t)size;
			c->bytes += size;
		}
	}
	if (pos < e->size && ftruncate(fd, e->size) < 0)
		return error_set_errno(err, errno, "truncate to %lld", (long long)e->size);
	return 0;
}

static int make_file(struct apply_ctx *c, int pfd, const char *base, const struct layer_entry *e,
                     struct husk_error **err)
{
	const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	_cleanup_close_ int fd = openat(pfd, base, flags, e->mode & 0777);
	struct made m = {.pfd = pfd, .base = base};
	int r;

	if (fd < 0 && errno == EEXIST) {
		r = make_room(pfd, base, err);
		if (r < 0)
			return r;
		fd = openat(pfd, base, flags, e->mode & 0777);
	}
	if (fd < 0)
		return error_set_errno(err, errno, "create file");
	m.fd = fd;
	r = write_data(c, e, fd, err);
	if (r >= 0)
		r = set_metadata(c, &m, e, err);
	return r;
}

static int remember_dir(struct apply_ctx *c, const struct layer_entry *e, struct husk_error **err)
{
	if (c->n_dirs == c->cap_dirs) {
		size_t cap = c->cap_dirs ? c->cap_dirs * 2 : 256;
		struct dir_time *d = reallocarray(c->dirs, cap, sizeof(*d));

		if (!d)
			return error_set(err, ENOMEM, "out of memory");
		c->dirs = d;
		c->cap_dirs = cap;
	}
	c->dirs[c->n_dirs].path = strdup(e->path);
	if (!c->dirs[c->n_dirs].path)
		return error_set(err, ENOMEM, "out of memory");
	memcpy(c->dirs[c->n_dirs].ts, e->ts, sizeof(e->ts));
	c->n_dirs++;
	return 0;
}

/* mkdirat, or keep a directory that is there (tar -x and Docker both do:
 * its metadata is replaced, its contents stay). */
static int mkdir_or_keep(int pfd, const char *base, const struct layer_entry *e, bool *existed,
                         struct husk_error **err)
{
	struct stat st;
	int r;

	*existed = false;
	if (mkdirat(pfd, base, e->mode & 0777) == 0)
		return 0;
	if (errno != EEXIST)
		return error_set_errno(err, errno, "create directory");
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
		*existed = true;
		return 0;
	}
	r = make_room(pfd, base, err);
	if (r < 0)
		return r;
	if (mkdirat(pfd, base, e->mode & 0777) < 0)
		return error_set_errno(err, errno, "create directory");
	return 0;
}

static int make_dir(struct apply_ctx *c, int pfd, const char *base, const struct layer_entry *e,
                    struct husk_error **err)
{
	_cleanup_close_ int fd = -1;
	struct made m = {.fd = -1, .pfd = pfd, .base = base};
	int r = mkdir_or_keep(pfd, base, e, &m.existed, err);

	if (r < 0)
		return r;
	if (has_xattrs(e)) {
		fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return error_set_errno(err, errno, "open directory");
		m.fd = fd;
	}
	r = set_metadata(c, &m, e, err);
	return r < 0 ? r : remember_dir(c, e, err);
}

static int make_symlink(struct apply_ctx *c, int pfd, const char *base, const struct layer_entry *e,
                        struct husk_error **err)
{
	struct made m = {.fd = -1, .pfd = pfd, .base = base};
	int r;

	if (symlinkat(e->link, pfd, base) < 0) {
		if (errno != EEXIST)
			return error_set_errno(err, errno, "create symlink");
		r = make_room(pfd, base, err);
		if (r < 0)
			return r;
		if (symlinkat(e->link, pfd, base) < 0)
			return error_set_errno(err, errno, "create symlink");
	}
	return set_metadata(c, &m, e, err);
}

static int make_node(struct apply_ctx *c, int pfd, const char *base, const struct layer_entry *e,
                     struct husk_error **err)
{
	struct made m = {.fd = -1, .pfd = pfd, .base = base};
	mode_t mode = e->type | (e->mode & 0777);
	int r;

	if (mknodat(pfd, base, mode, e->rdev) < 0) {
		if (errno != EEXIST)
			return error_set_errno(err, errno, "create %s",
			                       e->type == S_IFIFO ? "fifo" : "device");
		r = make_room(pfd, base, err);
		if (r < 0)
			return r;
		if (mknodat(pfd, base, mode, e->rdev) < 0)
			return error_set_errno(err, errno, "create %s",
			                       e->type == S_IFIFO ? "fifo" : "device");
	}
	return set_metadata(c, &m, e, err);
}

/* Docker's rule: a hard link names an earlier entry of the same layer,
 * so it can never pin a file of a lower layer or of the host. */
static int make_hardlink(struct apply_ctx *c, int pfd, const char *base,
                         const struct layer_entry *e, struct husk_error **err)
{
	_cleanup_close_ int tfd = -1;
	const char *slash = strrchr(e->link, '/');
	const char *tbase = slash ? slash + 1 : e->link;
	char tdir[LAYER_MAX_PATH + 1];
	int r;

	if (streq(e->link, e->path))
		return 0;
	if (!*e->link || !pathset_contains(&c->seen, e->link))
		return error_set(err, EINVAL,
		                 "hard link target \"%s\" is not an earlier entry of this layer",
		                 e->link);
	if (slash) {
		memcpy(tdir, e->link, (size_t)(slash - e->link));
		tdir[slash - e->link] = 0;
		tfd = open_dir_in_root(c->rootfd, tdir);
		if (tfd < 0)
			return error_set_errno(err, -tfd, "hard link target \"%s\"", e->link);
	}
	if (linkat(tfd >= 0 ? tfd : c->rootfd, tbase, pfd, base, 0) < 0) {
		if (errno != EEXIST)
			return error_set_errno(err, errno, "hard link to \"%s\"", e->link);
		r = make_room(pfd, base, err);
		if (r < 0)
			return r;
		if (linkat(tfd >= 0 ? tfd : c->rootfd, tbase, pfd, base, 0) < 0)
			return error_set_errno(err, errno, "hard link to \"%s\"", e->link);
	}
	return 0;
}

/* --- whiteouts ---------------------------------------------------------------------- */

static int opaque_overlay(int dfd, struct husk_error **err)
{
	_cleanup_close_ int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return error_set_errno(err, errno, "open directory");
	if (fsetxattr(fd, OVERLAY_OPAQUE, "y", 1, 0) < 0)
		return error_set_errno(err, errno, "set " OVERLAY_OPAQUE);
	return 0;
}

/* vfs: an opaque directory keeps only what this layer put in it. */
static int opaque_delete(struct apply_ctx *c, int dfd, const char *dir, struct husk_error **err)
{
	_cleanup_close_ int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char child[LAYER_MAX_PATH + LAYER_MAX_NAME + 2];
	struct dirent *de;
	DIR *d;
	int r = 0;

	if (fd < 0)
		return error_set_errno(err, errno, "open directory");
	d = fdopendir(TAKE_FD(fd));
	if (!d)
		return error_set_errno(err, errno, "open directory");
	while ((de = readdir(d))) {
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		snprintf(child, sizeof(child), "%s%s%s", dir, *dir ? "/" : "", de->d_name);
		if (pathset_contains(&c->seen, child))
			continue;
		r = remove_at(dirfd(d), de->d_name);
		if (r < 0) {
			error_set_errno(err, -r, "remove \"%s\"", child);
			break;
		}
	}
	closedir(d);
	return r;
}

static int whiteout_overlay(struct apply_ctx *c, int pfd, const char *name,
                            const struct layer_entry *e, struct husk_error **err)
{
	struct stat st;

	if (mknodat(pfd, name, S_IFCHR, makedev(0, 0)) < 0) {
		if (errno != EEXIST)
			return error_set_errno(err, errno, "create whiteout");
		if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISCHR(st.st_mode) &&
		    st.st_rdev == makedev(0, 0))
			return 0;
		int r = make_room(pfd, name, err);

		if (r < 0)
			return r;
		if (mknodat(pfd, name, S_IFCHR, makedev(0, 0)) < 0)
			return error_set_errno(err, errno, "create whiteout");
	}
	/* as Docker: the whiteout has the owner its tar entry says */
	if (c->euid == 0 && (e->uid != 0 || e->gid != 0) &&
	    fchownat(pfd, name, e->uid, e->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return error_set_errno(err, errno, "chown whiteout");
	return 0;
}

/* .wh.NAME hides NAME of the layers below; .wh..wh..opq hides everything
 * below of its directory. Whiteouts never touch this layer's own entries
 * (OCI: "files that are present in the same layer as a whiteout file can
 * only be hidden by whiteout files in subsequent layers"). */
static int apply_whiteout(struct apply_ctx *c, const struct layer_entry *e, size_t dirlen,
                          const char *base, struct husk_error **err)
{
	const char *name = base + strlen(WHITEOUT_PREFIX);
	char full[LAYER_MAX_PATH + 1];
	int pfd, r;

	if (!streq(base, WHITEOUT_OPAQUE) && startswith(base, WHITEOUT_META))
		return 0; /* AUFS bookkeeping (.wh..wh.plnk, .wh..wh.aufs): not a whiteout */
	if (!streq(base, WHITEOUT_OPAQUE) && (!*name || streq(name, ".") || streq(name, "..")))
		return error_set(err, EINVAL, "invalid whiteout: it names no file");
	pfd = parent_fd(c, e->path, dirlen, true, err);
	if (pfd < 0)
		return pfd;
	if (streq(base, WHITEOUT_OPAQUE)) {
		memcpy(full, e->path, dirlen);
		full[dirlen] = 0;
		return c->o->overlay_whiteouts ? opaque_overlay(pfd, err)
		                               : opaque_delete(c, pfd, full, err);
	}
	snprintf(full, sizeof(full), "%.*s%s%s", (int)dirlen, e->path, dirlen ? "/" : "", name);
	if (pathset_contains(&c->seen, full))
		return 0;
	if (c->o->overlay_whiteouts)
		return whiteout_overlay(c, pfd, name, e, err);
	r = remove_at(pfd, name);
	return r < 0 ? error_set_errno(err, -r, "remove \"%s\"", full) : 0;
}

/* --- the entry ------------------------------------------------------------------------ */

typedef int (*make_fn)(struct apply_ctx *c, int pfd, const char *base, const struct layer_entry *e,
                       struct husk_error **err);

static const struct {
	mode_t type;
	make_fn make;
} makers[] = {
        {S_IFREG, make_file}, {S_IFDIR, make_dir},  {S_IFLNK, make_symlink}, {S_IFCHR, make_node},
        {S_IFBLK, make_node}, {S_IFIFO, make_node}, {0, make_hardlink},
};

/* noOverwriteDirNonDir: dockerd's words, naming the path in the target. */
static int check_dir_kind(struct apply_ctx *c, int pfd, const char *base,
                          const struct layer_entry *e, struct husk_error **err)
{
	const char *dest = c->o->dest_name ? c->o->dest_name : "";
	struct stat st;

	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	if (S_ISDIR(st.st_mode) && e->type != S_IFDIR)
		return error_set(err, EEXIST,
		                 "cannot overwrite directory \"%s/%s\" with non-directory \"%s\"",
		                 streq(dest, "/") ? "" : dest, e->path, dest);
	if (!S_ISDIR(st.st_mode) && e->type == S_IFDIR)
		return error_set(err, EEXIST,
		                 "cannot overwrite non-directory \"%s/%s\" with directory \"%s\"",
		                 streq(dest, "/") ? "" : dest, e->path, dest);
	return 0;
}

/* The root itself ("./" or "/" in the tar): its metadata, if a directory. */
static int apply_root(struct apply_ctx *c, const struct layer_entry *e, struct husk_error **err)
{
	_cleanup_close_ int fd = -1;
	struct made m = {.existed = true};
	int r;

	if (e->type != S_IFDIR)
		return error_set(err, EINVAL, "only a directory may name the layer root");
	fd = openat(c->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return error_set_errno(err, errno, "open the layer root");
	m.fd = fd;
	r = set_metadata(c, &m, e, err);
	/* the cached root, if it is the cache, has other attributes now */
	c->cache_fd = safe_close(c->cache_fd);
	return r < 0 ? r : remember_dir(c, e, err);
}

int apply_entry(struct apply_ctx *c, const struct layer_entry *e, struct husk_error **err)
{
	const char *slash = strrchr(e->path, '/');
	const char *base = slash ? slash + 1 : e->path;
	size_t dirlen = slash ? (size_t)(slash - e->path) : 0;
	int pfd, r;

	if (!*e->path)
		return apply_root(c, e, err);
	if (!c->o->plain_names && startswith(base, WHITEOUT_PREFIX))
		return apply_whiteout(c, e, dirlen, base, err);
	for (size_t i = 0; i < ELEMENTSOF(makers); i++) {
		if (makers[i].type != e->type)
			continue;
		pfd = parent_fd(c, e->path, dirlen, true, err);
		if (pfd < 0)
			return pfd;
		if (c->o->keep_dir_kinds && (r = check_dir_kind(c, pfd, base, e, err)) < 0)
			return r;
		r = makers[i].make(c, pfd, base, e, err);
		if (r < 0)
			return r;
		return pathset_add(&c->seen, e->path) < 0 ? error_set(err, ENOMEM, "out of memory")
		                                          : 0;
	}
	return 0; /* sockets and the like: nothing tar could restore */
}

static int dir_time(struct apply_ctx *c, const struct dir_time *d)
{
	const char *slash = strrchr(d->path, '/');
	const char *base = slash ? slash + 1 : d->path;
	_cleanup_close_ int fd = -1;
	int pfd;

	pfd = parent_fd(c, d->path, slash ? (size_t)(slash - d->path) : 0, false, NULL);
	if (pfd < 0)
		return pfd == -ENOENT || pfd == -ENOTDIR ? 0 : pfd;
	/* open, not utimensat by name: a later entry may have put a file or a
	 * symlink where the directory was, and that keeps its own times */
	fd = openat(pfd, *base ? base : ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR || errno == ELOOP ? 0 : -errno;
	return futimens(fd, d->ts) < 0 ? -errno : 0;
}

int apply_finish_dirs(struct apply_ctx *c, struct husk_error **err)
{
	for (size_t i = 0; i < c->n_dirs; i++) {
		int r = dir_time(c, &c->dirs[i]);

		if (r < 0)
			return error_set_errno(err, -r, "set times of directory \"%s\"",
			                       c->dirs[i].path);
	}
	return 0;
}
