/* layer_diff.c — the changes of a snapshot as a layer tar.
 *
 * Two passes: collect the changes (an overlay upper dir is all changes,
 * its 0:0 character devices whiteouts and its opaque directories
 * .wh..wh..opq; two trees are merged name by name), then sort them by path
 * and write them with libarchive's pax writer into a layer_writer, which
 * compresses and hashes. Everything that could vary between two runs over
 * the same tree is fixed: order, owner names, atime/ctime, sub-second
 * mtimes, xattr order, gzip header.
 *
 * The trees are walked by fd and never through a symlink; file contents
 * are opened again with open_in_root() and checked to be the inode that
 * was walked, so a container still writing to its upper dir cannot make us
 * read a file of the host into a layer.
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

#define XATTR_LIST_MAX_BYTES (64 * 1024)

enum change_kind {
	CH_ENTRY,    /* the file as it is in the upper tree */
	CH_WHITEOUT, /* .wh.NAME */
	CH_OPAQUE,   /* .wh..wh..opq */
};

struct xattr {
	char *name;
	void *value;
	size_t size;
};

struct change {
	char *path; /* as in the tar, no leading "/" */
	enum change_kind kind;
	struct stat st; /* CH_ENTRY: the file; others: what gives owner and mtime */
	char *link;
	struct xattr *xattrs;
	size_t n_xattrs;
};

struct diff_ctx {
	int upper_root; /* O_PATH */
	const struct diff_opts *o;
	struct change *ch;
	size_t n, cap;
};

static void change_release(struct change *c)
{
	free(c->path);
	free(c->link);
	for (size_t i = 0; i < c->n_xattrs; i++) {
		free(c->xattrs[i].name);
		free(c->xattrs[i].value);
	}
	free(c->xattrs);
}

static void diff_ctx_release(struct diff_ctx *d)
{
	for (size_t i = 0; i < d->n; i++)
		change_release(&d->ch[i]);
	free(d->ch);
}

static struct change *change_add(struct diff_ctx *d, enum change_kind kind, char *path,
                                 const struct stat *st)
{
	struct change *c;

	if (!path)
		return NULL;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 256;
		struct change *n = reallocarray(d->ch, cap, sizeof(*n));

		if (!n) {
			free(path);
			return NULL;
		}
		d->ch = n;
		d->cap = cap;
	}
	c = &d->ch[d->n++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->path = path;
	c->st = *st;
	return c;
}

static char *child_path(const char *rel, const char *name, const char *prefix)
{
	return str_printf("%s%s%s%s", rel, *rel ? "/" : "", prefix, name);
}

/* --- reading a directory entry's metadata ------------------------------------- */

static void proc_path(char *buf, size_t size, int dirfd, const char *name)
{
	snprintf(buf, size, "/proc/self/fd/%d/%s", dirfd, name);
}

static int xattr_cmp(const void *a, const void *b)
{
	return strcmp(((const struct xattr *)a)->name, ((const struct xattr *)b)->name);
}

/* Read the xattrs of dirfd/name (not following it) into c, sorted by name,
 * without trusted.overlay.* / user.overlay.*; *opaque tells whether the
 * overlay marked the directory opaque. */
static int read_xattrs(int dirfd, const char *name, struct change *c, bool *opaque)
{
	char path[64 + LAYER_MAX_NAME], list[XATTR_LIST_MAX_BYTES];
	ssize_t len;

	*opaque = false;
	proc_path(path, sizeof(path), dirfd, name);
	len = llistxattr(path, list, sizeof(list));
	if (len < 0)
		return errno == ENOTSUP || errno == EOPNOTSUPP ? 0 : -errno;
	for (char *n = list; n < list + len; n += strlen(n) + 1) {
		char value[XATTR_SIZE_MAX];
		ssize_t vlen = lgetxattr(path, n, value, sizeof(value));
		struct xattr *x;

		if (vlen < 0)
			continue; /* gone meanwhile */
		if (startswith(n, "trusted.overlay.") || startswith(n, "user.overlay.")) {
			if (endswith(n, ".overlay.opaque") && vlen == 1 && value[0] == 'y')
				*opaque = true;
			continue;
		}
		x = reallocarray(c->xattrs, c->n_xattrs + 1, sizeof(*x));
		if (!x)
			return -ENOMEM;
		c->xattrs = x;
		x = &c->xattrs[c->n_xattrs];
		x->name = strdup(n);
		x->value = malloc(vlen ? (size_t)vlen : 1);
		if (!x->name || !x->value) {
			free(x->name);
			free(x->value);
			return -ENOMEM;
		}
		memcpy(x->value, value, (size_t)vlen);
		x->size = (size_t)vlen;
		c->n_xattrs++;
	}
	if (c->n_xattrs > 1)
		qsort(c->xattrs, c->n_xattrs, sizeof(*c->xattrs), xattr_cmp);
	return 0;
}

static int read_link(int dirfd, const char *name, struct change *c)
{
	char buf[LAYER_MAX_PATH + 1];
	ssize_t n = readlinkat(dirfd, name, buf, sizeof(buf) - 1);

	if (n < 0)
		return -errno;
	buf[n] = 0;
	c->link = strdup(buf);
	return c->link ? 0 : -ENOMEM;
}

/* An entry of the upper tree, with what the tar needs of it. */
static int add_entry(struct diff_ctx *d, int dirfd, const char *rel, const char *name,
                     const struct stat *st, bool *ret_opaque)
{
	/* directories as tar names them, "dir/": sorted so, "a-b" < "a/" < "a/b" */
	char *path = S_ISDIR(st->st_mode) ? str_printf("%s%s%s/", rel, *rel ? "/" : "", name)
	                                  : child_path(rel, name, "");
	struct change *c = change_add(d, CH_ENTRY, path, st);
	bool opaque;
	int r;

	if (!c)
		return -ENOMEM;
	if (S_ISLNK(st->st_mode)) {
		r = read_link(dirfd, name, c);
		if (r < 0)
			return r;
	}
	r = read_xattrs(dirfd, name, c, &opaque);
	if (ret_opaque)
		*ret_opaque = opaque && S_ISDIR(st->st_mode);
	return r;
}

/* --- walking ------------------------------------------------------------------ */

struct names {
	char **v;
	size_t n, cap;
};

static void names_release(struct names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int cmp_str_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int names_push(struct names *l, const char *s)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		char **v = reallocarray(l->v, cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n] = strdup(s);
	return l->v[l->n] ? (l->n++, 0) : -ENOMEM;
}

/* The names in a directory (dirfd -1: none), sorted bytewise. */
static int list_dir(int dirfd, struct names *ret)
{
	struct dirent *de;
	DIR *dir;
	int fd, r = 0;

	memset(ret, 0, sizeof(*ret));
	if (dirfd < 0)
		return 0;
	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -errno;
	}
	while (r == 0 && (de = readdir(dir)))
		if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
			r = names_push(ret, de->d_name);
	closedir(dir);
	if (r < 0) {
		names_release(ret);
		return r;
	}
	if (ret->n > 1)
		qsort(ret->v, ret->n, sizeof(char *), cmp_str_ptr);
	return 0;
}

static int open_subdir(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* Overlay upper dir: everything in it is a change. */
static int walk_upper(struct diff_ctx *d, int dirfd, const char *rel)
{
	struct names l;
	int r = list_dir(dirfd, &l);

	for (size_t i = 0; r >= 0 && i < l.n; i++) {
		const char *name = l.v[i];
		_cleanup_free_ char *sub = NULL;
		_cleanup_close_ int cfd = -1;
		struct stat st;
		bool opaque;

		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = errno == ENOENT ? 0 : -errno;
			continue;
		}
		if (S_ISSOCK(st.st_mode))
			continue; /* a tar cannot hold one; Docker skips them too */
		if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
			r = change_add(d, CH_WHITEOUT, child_path(rel, name, ".wh."), &st)
			            ? 0
			            : -ENOMEM;
			continue;
		}
		r = add_entry(d, dirfd, rel, name, &st, &opaque);
		if (r < 0 || !S_ISDIR(st.st_mode))
			continue;
		sub = child_path(rel, name, "");
		if (!sub) {
			r = -ENOMEM;
			continue;
		}
		if (opaque && !change_add(d, CH_OPAQUE, child_path(sub, ".wh..wh..opq", ""), &st)) {
			r = -ENOMEM;
			continue;
		}
		cfd = open_subdir(dirfd, name);
		r = cfd < 0 ? cfd : walk_upper(d, cfd, sub);
	}
	names_release(&l);
	return r;
}

static bool same_xattr(int afd, int bfd, const char *name, const char *xname)
{
	char ap[64 + LAYER_MAX_NAME], bp[64 + LAYER_MAX_NAME], av[256], bv[256];
	ssize_t an, bn;

	proc_path(ap, sizeof(ap), afd, name);
	proc_path(bp, sizeof(bp), bfd, name);
	an = lgetxattr(ap, xname, av, sizeof(av));
	bn = lgetxattr(bp, xname, bv, sizeof(bv));
	if (an < 0 || bn < 0)
		return an < 0 && bn < 0 && errno == ENODATA;
	return an == bn && memcmp(av, bv, (size_t)an) == 0;
}

static bool same_link(int afd, int bfd, const char *name)
{
	char a[LAYER_MAX_PATH + 1], b[LAYER_MAX_PATH + 1];
	ssize_t an = readlinkat(afd, name, a, sizeof(a)), bn = readlinkat(bfd, name, b, sizeof(b));

	return an >= 0 && an == bn && memcmp(a, b, (size_t)an) == 0;
}

static bool same_content(int afd, int bfd, const char *name)
{
	_cleanup_close_ int a = openat(afd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int b = openat(bfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_free_ char *ab = malloc(2 * 65536);
	ssize_t an, bn;

	if (a < 0 || b < 0 || !ab)
		return false;
	do {
		an = read_full(a, ab, 65536);
		bn = read_full(b, ab + 65536, 65536);
		if (an < 0 || an != bn || memcmp(ab, ab + 65536, (size_t)an) != 0)
			return false;
	} while (an > 0);
	return true;
}

/* Docker's vfs rule: changed when type, mode, owner, device, size (not for
 * directories), mtime, symlink target or file capability differ. */
static bool changed(const struct diff_ctx *d, int upfd, int lowfd, const char *name,
                    const struct stat *u, const struct stat *l)
{
	if (u->st_mode != l->st_mode || u->st_uid != l->st_uid || u->st_gid != l->st_gid ||
	    u->st_rdev != l->st_rdev)
		return true;
	if (!S_ISDIR(u->st_mode) && u->st_size != l->st_size)
		return true;
	if (u->st_mtim.tv_sec != l->st_mtim.tv_sec || u->st_mtim.tv_nsec != l->st_mtim.tv_nsec)
		return true;
	if (S_ISLNK(u->st_mode))
		return !same_link(upfd, lowfd, name);
	if (!S_ISREG(u->st_mode))
		return false;
	if (!same_xattr(upfd, lowfd, name, "security.capability"))
		return true;
	if (d->o->compare_content && !(u->st_dev == l->st_dev && u->st_ino == l->st_ino))
		return !same_content(upfd, lowfd, name);
	return false;
}

static int walk_trees(struct diff_ctx *d, int upfd, int lowfd, const char *rel, bool *ret_any);

/* One name of the upper tree, against the lower one (lowfd -1: absent). */
static int walk_pair(struct diff_ctx *d, int upfd, int lowfd, const char *rel, const char *name,
                     bool *any)
{
	_cleanup_close_ int ucfd = -1, lcfd = -1;
	_cleanup_free_ char *sub = NULL;
	struct stat u, l;
	bool have_low = lowfd >= 0 && fstatat(lowfd, name, &l, AT_SYMLINK_NOFOLLOW) == 0;
	bool added = false, below = false;
	int r;

	if (fstatat(upfd, name, &u, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (S_ISSOCK(u.st_mode))
		return 0;
	if (!have_low || changed(d, upfd, lowfd, name, &u, &l)) {
		r = add_entry(d, upfd, rel, name, &u, NULL);
		if (r < 0)
			return r;
		added = true;
	}
	if (S_ISDIR(u.st_mode)) {
		sub = child_path(rel, name, "");
		ucfd = open_subdir(upfd, name);
		if (!sub || ucfd < 0)
			return sub ? ucfd : -ENOMEM;
		if (have_low && S_ISDIR(l.st_mode)) {
			lcfd = open_subdir(lowfd, name);
			if (lcfd < 0)
				return lcfd;
		}
		r = walk_trees(d, ucfd, lcfd, sub, &below);
		if (r < 0)
			return r;
		/* a change deep down brings its directories along: on an overlay
		 * snapshot, an upper directory's metadata is the merged one's */
		if (below && !added) {
			r = add_entry(d, upfd, rel, name, &u, NULL);
			if (r < 0)
				return r;
			added = true;
		}
	}
	*any = *any || added;
	return 0;
}

static int walk_trees(struct diff_ctx *d, int upfd, int lowfd, const char *rel, bool *ret_any)
{
	struct names un, ln;
	struct stat dst;
	size_t i = 0, j = 0;
	int r = list_dir(upfd, &un);

	if (r < 0)
		return r;
	r = list_dir(lowfd, &ln);
	if (r < 0) {
		names_release(&un);
		return r;
	}
	if (fstat(upfd, &dst) < 0)
		r = -errno;
	while (r >= 0 && (i < un.n || j < ln.n)) {
		int c = i == un.n ? 1 : j == ln.n ? -1 : strcmp(un.v[i], ln.v[j]);

		if (c > 0) {
			/* only below: removed, a whiteout with the directory's time */
			r = change_add(d, CH_WHITEOUT, child_path(rel, ln.v[j++], ".wh."), &dst)
			            ? 0
			            : -ENOMEM;
			*ret_any = true;
			continue;
		}
		r = walk_pair(d, upfd, lowfd, rel, un.v[i++], ret_any);
		if (c == 0)
			j++;
	}
	names_release(&un);
	names_release(&ln);
	return r;
}

/* --- writing ------------------------------------------------------------------ */

static int cmp_change(const void *a, const void *b)
{
	return strcmp(((const struct change *)a)->path, ((const struct change *)b)->path);
}

struct tar_out {
	struct layer_writer *w;
	struct husk_error *err;
	int code;
};

static la_ssize_t write_cb(struct archive *a, void *client, const void *buf, size_t len)
{
	struct tar_out *t = client;
	int r = layer_writer_write(t->w, buf, len, &t->err);

	if (r < 0) {
		t->code = r;
		archive_set_error(a, -r, "%s", error_message(t->err));
		return -1;
	}
	return (la_ssize_t)len;
}

static time_t clamp_time(const struct diff_ctx *d, time_t t)
{
	return d->o->timestamp >= 0 && t > d->o->timestamp ? (time_t)d->o->timestamp : t;
}

/* Inodes with more than one link seen so far: the first path of each is
 * the file, the others become hard links to it. */
struct inode_map {
	struct inode_slot {
		dev_t dev;
		ino_t ino;
		const char *path; /* NULL: empty */
	} * slots;
	size_t cap; /* power of two, at least twice the changes */
};

static int inode_map_init(struct inode_map *m, size_t n)
{
	m->cap = 64;
	while (m->cap < 2 * n)
		m->cap *= 2;
	m->slots = calloc(m->cap, sizeof(*m->slots));
	return m->slots ? 0 : -ENOMEM;
}

static const char *hardlink_of(struct inode_map *m, const struct change *c)
{
	size_t i;

	if (c->kind != CH_ENTRY || S_ISDIR(c->st.st_mode) || c->st.st_nlink < 2)
		return NULL;
	i = (size_t)((c->st.st_ino * 0x9e3779b97f4a7c15ULL) ^ c->st.st_dev) & (m->cap - 1);
	for (; m->slots[i].path; i = (i + 1) & (m->cap - 1))
		if (m->slots[i].dev == c->st.st_dev && m->slots[i].ino == c->st.st_ino)
			return m->slots[i].path;
	m->slots[i] = (struct inode_slot){c->st.st_dev, c->st.st_ino, c->path};
	return NULL;
}

static void fill_entry(const struct diff_ctx *d, const struct change *c, const char *hardlink,
                       struct archive_entry *ae)
{
	archive_entry_set_pathname(ae, c->path);
	const struct id_mapping *m = d->o->id_unshift;
	uid_t uid = c->kind == CH_ENTRY ? c->st.st_uid : 0;
	gid_t gid = c->kind == CH_ENTRY ? c->st.st_gid : 0;

	if (m && c->kind == CH_ENTRY && (m->n_uids || m->n_gids)) {
		uid = idmap_seen(m->uids, m->n_uids, uid);
		gid = idmap_seen(m->gids, m->n_gids, gid);
	}
	archive_entry_set_uid(ae, uid);
	archive_entry_set_gid(ae, gid);
	archive_entry_set_mtime(ae, clamp_time(d, c->st.st_mtim.tv_sec), 0);
	if (c->kind != CH_ENTRY) {
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_perm(ae, 0);
		archive_entry_set_size(ae, 0);
		return;
	}
	archive_entry_set_mode(ae, c->st.st_mode);
	if (hardlink) {
		archive_entry_set_hardlink(ae, hardlink);
		archive_entry_set_size(ae, 0);
	} else if (S_ISREG(c->st.st_mode)) {
		archive_entry_set_size(ae, c->st.st_size);
	}
	if (S_ISLNK(c->st.st_mode))
		archive_entry_set_symlink(ae, c->link);
	if (S_ISCHR(c->st.st_mode) || S_ISBLK(c->st.st_mode)) {
		archive_entry_set_rdevmajor(ae, major(c->st.st_rdev));
		archive_entry_set_rdevminor(ae, minor(c->st.st_rdev));
	}
	for (size_t i = 0; i < c->n_xattrs; i++)
		archive_entry_xattr_add_entry(ae, c->xattrs[i].name, c->xattrs[i].value,
		                              c->xattrs[i].size);
}

static int write_content(struct diff_ctx *d, struct archive *a, const struct change *c,
                         uint8_t *buf, uint64_t *bytes, struct husk_error **err)
{
	_cleanup_close_ int fd = open_in_root(d->upper_root, c->path, O_RDONLY | O_NOFOLLOW, 0,
	                                      OPEN_IN_ROOT_NOFOLLOW_LAST);
	off_t left = c->st.st_size;
	struct stat st;

	if (fd < 0)
		return error_set_errno(err, -fd, "open \"%s\"", c->path);
	if (fstat(fd, &st) < 0 || st.st_ino != c->st.st_ino || st.st_dev != c->st.st_dev)
		return error_set(err, EAGAIN, "\"%s\" was replaced while the diff was made",
		                 c->path);
	while (left > 0) {
		ssize_t n = read_full(fd, buf, (size_t)MIN((off_t)LAYER_IO_BUF, left));

		if (n < 0)
			return error_set_errno(err, (int)-n, "read \"%s\"", c->path);
		if (n == 0)
			return error_set(err, EAGAIN, "\"%s\" shrank while the diff was made",
			                 c->path);
		if (archive_write_data(a, buf, (size_t)n) != n)
			return -EIO;
		left -= n;
		*bytes += (uint64_t)n;
	}
	return 0;
}

static int write_changes(struct diff_ctx *d, struct archive *a, struct layer_stats *st,
                         struct husk_error **err)
{
	_cleanup_free_ uint8_t *buf = malloc(LAYER_IO_BUF);
	struct archive_entry *ae = archive_entry_new();
	struct inode_map inodes = {0};
	int r = inode_map_init(&inodes, d->n);

	if (r < 0 || !buf || !ae) {
		archive_entry_free(ae);
		free(inodes.slots);
		return error_set(err, ENOMEM, "out of memory");
	}
	for (size_t i = 0; r >= 0 && i < d->n; i++) {
		const struct change *c = &d->ch[i];
		const char *hl = hardlink_of(&inodes, c);

		archive_entry_clear(ae);
		fill_entry(d, c, hl, ae);
		r = archive_write_header(a, ae);
		/* ARCHIVE_WARN: a name not convertible to UTF-8, written as bytes */
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			r = -EIO;
			break;
		}
		r = 0;
		st->entries++;
		if (c->kind == CH_ENTRY && S_ISREG(c->st.st_mode) && !hl)
			r = write_content(d, a, c, buf, &st->bytes, err);
	}
	archive_entry_free(ae);
	free(inodes.slots);
	return r;
}

static struct archive *tar_writer_new(struct tar_out *t)
{
	struct archive *a = archive_write_new();

	if (!a)
		return NULL;
	/* pax only where ustar cannot say it; SCHILY.xattr as Docker writes
	 * them; no blocking: the end is two zero blocks, no padding */
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_set_format_option(a, "pax", "xattrheader", "SCHILY") < ARCHIVE_WARN ||
	    archive_write_set_bytes_per_block(a, 0) != ARCHIVE_OK ||
	    archive_write_open(a, t, NULL, write_cb, NULL) != ARCHIVE_OK) {
		archive_write_free(a);
		return NULL;
	}
	return a;
}

static int write_tar(struct diff_ctx *d, int out_fd, struct layer_stats *st,
                     struct husk_error **err)
{
	_cleanup_(layer_writer_freep) struct layer_writer *w = NULL;
	struct tar_out t = {0};
	struct archive *a;
	int r;

	r = layer_writer_new(out_fd, d->o->compression, &w, err);
	if (r < 0)
		return r;
	t.w = w;
	a = tar_writer_new(&t);
	if (!a)
		return error_set(err, ENOMEM, "cannot set up the tar writer");
	r = write_changes(d, a, st, err);
	if (r >= 0 && archive_write_close(a) != ARCHIVE_OK)
		r = -EIO;
	if (r == -EIO && !(err && *err))
		r = t.code < 0 ? (error_set(err, -t.code, "%s", error_message(t.err)), t.code)
		               : error_set(err, EIO, "write tar: %s", archive_error_string(a));
	archive_write_free(a);
	error_free(t.err);
	if (r < 0)
		return r;
	return layer_writer_finish(w, st, err);
}

int layer_diff(const char *upper_dir, const char *lower_dir, int out_fd, const struct diff_opts *o,
               struct layer_stats *ret, struct husk_error **err)
{
	static const struct diff_opts defaults = {.compression = ARCHIVE_GZIP, .timestamp = -1};
	_cleanup_close_ int up = -1, low = -1, upr = -1;
	struct diff_ctx d = {.upper_root = -1, .o = o ? o : &defaults};
	struct layer_stats st = {0};
	bool any = false;
	int r;

	upr = open(upper_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	up = open(upper_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (upr < 0 || up < 0)
		return error_set_errno(err, errno, "open \"%s\"", upper_dir);
	if (lower_dir) {
		low = open(lower_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (low < 0)
			return error_set_errno(err, errno, "open \"%s\"", lower_dir);
	}
	d.upper_root = upr;
	r = lower_dir ? walk_trees(&d, up, low, "", &any) : walk_upper(&d, up, "");
	if (r < 0) {
		diff_ctx_release(&d);
		return error_set_errno(err, -r, "diff \"%s\"", upper_dir);
	}
	if (d.n > 1)
		qsort(d.ch, d.n, sizeof(*d.ch), cmp_change);
	r = write_tar(&d, out_fd, &st, err);
	diff_ctx_release(&d);
	if (r < 0)
		return error_wrap(err, "diff \"%s\"", upper_dir);
	if (ret)
		*ret = st;
	return 0;
}
