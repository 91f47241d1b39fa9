/* tree_changes.c — docker diff: the changes an overlayfs upper dir holds
 * over its lower dirs, by the rules of dockerd's overlay driver
 * (pkg/archive changes: overlayDeletedFile and the walk around it).
 *
 * The upper dir is walked by fds with O_NOFOLLOW; a lower dir is only ever
 * asked whether a path exists (its parent resolved with open_in_root, the
 * last component never followed), so no symlink of the container can lead
 * the walk out of the store.
 */
#include "archive/internal.h"
#include "archive/tree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/str.h"

#define CHANGES_DEPTH_MAX 512
#define CHANGES_MAX       (1u << 22) /* entries reported */

struct changes {
	const int *lowers;
	size_t n_lowers;
	char *const *ignore;
	bool saw_ignored; /* in the directory being walked */
	struct pathset changed_dirs;
	struct tree_change *v;
	size_t n, cap;
	struct husk_error **err;
};

static int change_add(struct changes *c, const char *path, enum tree_change_kind kind)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct tree_change *v;

		if (cap > CHANGES_MAX)
			return error_set(c->err, E2BIG, "more than %u changes", CHANGES_MAX);
		v = realloc(c->v, cap * sizeof(*v));
		if (!v)
			return error_set(c->err, ENOMEM, "out of memory");
		c->v = v;
		c->cap = cap;
	}
	if (!(c->v[c->n].path = strdup(path)))
		return error_set(c->err, ENOMEM, "out of memory");
	c->v[c->n++].kind = kind;
	return 0;
}

/* lstat of path in lower dir i; false when it is not there. */
static bool lower_stat(const struct changes *c, size_t i, const char *path, struct stat *st)
{
	_cleanup_free_ char *dir = path_dirname(path), *base = path_basename(path);
	_cleanup_close_ int pfd = -1;

	if (!dir || !base)
		return false;
	pfd = open_in_root(c->lowers[i], dir, O_PATH | O_DIRECTORY, 0, 0);
	return pfd >= 0 && fstatat(pfd, base, st, AT_SYMLINK_NOFOLLOW) == 0;
}

static bool in_a_lower(const struct changes *c, const char *path, struct stat *ret)
{
	for (size_t i = 0; i < c->n_lowers; i++)
		if (lower_stat(c, i, path, ret))
			return true;
	return false;
}

static bool opaque(int dfd, const char *base)
{
	_cleanup_close_ int fd = openat(dfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	char v[2];

	return fd >= 0 && fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y';
}

/* Go's sameFsTime: equal seconds, and nanoseconds equal or either zero. */
static bool same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec &&
	       (a->tv_nsec == b->tv_nsec || a->tv_nsec == 0 || b->tv_nsec == 0);
}

/* The kind of upper entry path, or -1 when it is no change to report. */
static int kind_of(const struct changes *c, int dfd, const char *base, const char *path,
                   const struct stat *st)
{
	struct stat low;
	bool lower = in_a_lower(c, path, &low);

	if (S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0))
		return TREE_DELETED;
	if (S_ISDIR(st->st_mode) && lower && opaque(dfd, base))
		return TREE_DELETED;
	if (!lower)
		return TREE_ADDED;
	/* a directory copied up only because something below it changed */
	if (S_ISDIR(st->st_mode) && S_ISDIR(low.st_mode) && st->st_size == low.st_size &&
	    st->st_mode == low.st_mode && same_time(&st->st_mtim, &low.st_mtim))
		return -1;
	return TREE_MODIFIED;
}

static int walk(struct changes *c, int fd, const char *dir, unsigned depth);

/* Walk a directory of the upper dir. One modified only by what is ignored
 * (the mount points the runtime made: dockerd keeps those in its init
 * layer, which diff does not show) is no change either. */
static int visit_dir(struct changes *c, int dfd, const char *base, const char *path, int kind,
                     unsigned depth)
{
	_cleanup_close_ int sub =
	        openat(dfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	bool outer = c->saw_ignored;
	size_t n = c->n;
	int r;

	if (sub < 0)
		return error_set_errno(c->err, errno, "open \"%s\"", path);
	c->saw_ignored = false;
	r = walk(c, sub, path, depth + 1);
	if (r == 0 && kind == TREE_MODIFIED && c->saw_ignored && c->n == n) {
		free(c->v[--c->n].path);
		c->saw_ignored = true; /* for its parent: the same again */
	} else {
		c->saw_ignored = outer;
	}
	return r;
}

static int visit(struct changes *c, int dfd, const char *base, const char *path, unsigned depth)
{
	struct stat st;
	int kind, r;

	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : error_set_errno(c->err, errno, "stat \"%s\"", path);
	kind = kind_of(c, dfd, base, path, &st);
	if (kind == TREE_ADDED && strv_contains(c->ignore, path)) {
		c->saw_ignored = true;
		return 0;
	}
	if (kind >= 0 && (r = change_add(c, path, kind)) < 0)
		return r;
	if (kind >= 0 && S_ISDIR(st.st_mode) && pathset_add(&c->changed_dirs, path) < 0)
		return error_set(c->err, ENOMEM, "out of memory");
	if (kind == TREE_ADDED || kind == TREE_DELETED) {
		_cleanup_free_ char *parent = path_dirname(path);

		if (!parent)
			return error_set(c->err, ENOMEM, "out of memory");
		if (!streq(parent, "/") && !pathset_contains(&c->changed_dirs, parent)) {
			if ((r = change_add(c, parent, TREE_MODIFIED)) < 0)
				return r;
			if (pathset_add(&c->changed_dirs, parent) < 0)
				return error_set(c->err, ENOMEM, "out of memory");
		}
	}
	if (S_ISDIR(st.st_mode))
		return visit_dir(c, dfd, base, path, kind, depth);
	return 0;
}

static int walk(struct changes *c, int fd, const char *dir, unsigned depth)
{
	_cleanup_strv_ char **names = NULL;
	int r;

	if (depth > CHANGES_DEPTH_MAX)
		return error_set(c->err, ELOOP, "\"%s\": too deep", dir);
	/* Go's filepath.Walk: lexical order, a directory before its contents */
	r = dir_names_sorted(fd, &names);
	if (r < 0)
		return error_set_errno(c->err, -r, "list \"%s\"", dir);
	STRV_FOREACH (n, names) {
		_cleanup_free_ char *path = path_join(dir, *n); /* "/" + "x": "/x" */

		if (!path)
			return error_set(c->err, ENOMEM, "out of memory");
		if ((r = visit(c, fd, *n, path, depth)) < 0)
			return r;
	}
	return 0;
}

static int cmp_change(const void *a, const void *b)
{
	return strcmp(((const struct tree_change *)a)->path, ((const struct tree_change *)b)->path);
}

int tree_changes(int upperfd, const int *lowerfds, size_t n_lowers, char *const *ignore,
                 struct tree_change **ret, size_t *ret_n, struct husk_error **err)
{
	struct changes c = {.lowers = lowerfds, .n_lowers = n_lowers, .ignore = ignore, .err = err};
	int r;

	if (pathset_init(&c.changed_dirs) < 0)
		return error_set(err, ENOMEM, "out of memory");
	r = walk(&c, upperfd, "/", 0);
	pathset_release(&c.changed_dirs);
	if (r < 0) {
		tree_changes_free(c.v, c.n);
		return r;
	}
	qsort(c.v, c.n, sizeof(*c.v), cmp_change);
	*ret = c.v;
	*ret_n = c.n;
	return 0;
}

void tree_changes_free(struct tree_change *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].path);
	free(v);
}
