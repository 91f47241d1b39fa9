/* tree_stat.c — docker's path stat of a file in a container's tree, and
 * the header that carries it (X-Docker-Container-Path-Stat). */
#include "archive/tree.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base64.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "base/timefmt.h"

#define LINK_HOPS_MAX 40

static const struct {
	mode_t type;
	uint32_t go;
} go_types[] = {
        {S_IFDIR, GO_MODE_DIR},        {S_IFLNK, GO_MODE_SYMLINK},
        {S_IFBLK, GO_MODE_DEVICE},     {S_IFCHR, GO_MODE_DEVICE | GO_MODE_CHAR_DEVICE},
        {S_IFIFO, GO_MODE_NAMED_PIPE}, {S_IFSOCK, GO_MODE_SOCKET},
};

uint32_t tree_go_mode(mode_t m)
{
	uint32_t go = m & 0777;

	for (size_t i = 0; i < ELEMENTSOF(go_types); i++)
		if ((m & S_IFMT) == go_types[i].type)
			go |= go_types[i].go;
	if (m & S_ISUID)
		go |= GO_MODE_SETUID;
	if (m & S_ISGID)
		go |= GO_MODE_SETGID;
	if (m & S_ISVTX)
		go |= GO_MODE_STICKY;
	return go;
}

/* "a/b/" → "a/b"; "/" and "" stay "/". */
static void strip_slashes(char *p)
{
	size_t n = strlen(p);

	while (n > 1 && p[n - 1] == '/')
		p[--n] = 0;
}

/* path cleaned lexically inside the tree ("/a/b"; ".." stops at "/") into
 * out (LAYER_MAX_PATH + 1 bytes). */
static int clean_abs(const char *path, char *out, struct husk_error **err)
{
	_cleanup_free_ char *c = path_join_in_root("/", path);

	if (!c)
		return error_set(err, ENOMEM, "out of memory");
	if (strlen(c) > LAYER_MAX_PATH)
		return error_set(err, ENAMETOOLONG, "path too long");
	memcpy(out, c, strlen(c) + 1);
	return 0;
}

/* Docker's FollowSymlinkInScope for the last component: the link read and
 * joined to its directory, again while it is a link, lexically in the tree. */
static int follow_in_scope(int rootfd, const char *abs, char *out, struct husk_error **err)
{
	char cur[LAYER_MAX_PATH + 1], target[LAYER_MAX_PATH + 1];

	snprintf(cur, sizeof(cur), "%s", abs);
	for (int hop = 0; hop < LINK_HOPS_MAX; hop++) {
		_cleanup_free_ char *dir = path_dirname(cur), *base = path_basename(cur), *j = NULL;
		_cleanup_close_ int pfd = -1;
		ssize_t n;

		if (!dir || !base)
			return error_set(err, ENOMEM, "out of memory");
		pfd = open_in_root(rootfd, dir, O_PATH | O_DIRECTORY, 0, 0);
		if (pfd < 0 || (n = readlinkat(pfd, base, target, sizeof(target) - 1)) < 0)
			break; /* not a link (any more), or a broken one: as far as it goes */
		target[n] = 0;
		j = target[0] == '/' ? strdup(target) : str_printf("%s/%s", dir, target);
		if (!j)
			return error_set(err, ENOMEM, "out of memory");
		if (clean_abs(j, cur, err) < 0)
			return -EINVAL;
	}
	snprintf(out, LAYER_MAX_PATH + 1, "%s", cur);
	return 0;
}

int tree_stat(int rootfd, const char *path, struct tree_stat *ret, struct husk_error **err)
{
	char p[LAYER_MAX_PATH + 1];
	_cleanup_free_ char *dir = NULL, *base = NULL;
	_cleanup_close_ int pfd = -1;
	bool follow;
	struct stat st;

	if (strlen(path) > LAYER_MAX_PATH)
		return error_set(err, ENAMETOOLONG, "path too long");
	memset(ret, 0, sizeof(*ret));
	snprintf(p, sizeof(p), "%s", *path ? path : "/");
	/* "d/" must be a directory, so d is followed; "d/." is d itself */
	follow = strlen(p) > 1 && (endswith(p, "/") || endswith(p, "/."));
	strip_slashes(p);
	dir = path_dirname(p);
	base = path_basename(p);
	if (!dir || !base)
		return error_set(err, ENOMEM, "out of memory");
	if (follow || streq(p, "/")) {
		pfd = open_in_root(rootfd, p, O_PATH, 0, 0);
		if (pfd < 0)
			return pfd;
		if (fstat(pfd, &st) < 0)
			return error_set_errno(err, errno, "stat \"%s\"", path);
		if (endswith(path, "/") && !S_ISDIR(st.st_mode))
			return -ENOTDIR;
	} else {
		pfd = open_in_root(rootfd, dir, O_PATH | O_DIRECTORY, 0, 0);
		if (pfd < 0)
			return pfd;
		if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
	}
	snprintf(ret->name, sizeof(ret->name), "%s", streq(p, "/") ? "/" : base);
	ret->size = st.st_size;
	ret->mode = st.st_mode;
	ret->mtime = st.st_mtim;
	if (S_ISLNK(st.st_mode)) {
		char abs[LAYER_MAX_PATH + 1];

		if (clean_abs(p, abs, err) < 0 ||
		    follow_in_scope(rootfd, abs, ret->link_target, err) < 0)
			return -EINVAL;
	}
	return 0;
}

char *tree_stat_header(const struct tree_stat *st)
{
	_cleanup_free_ char *mtime = rfc3339_format(&st->mtime), *text = NULL;
	_cleanup_json_ json_t *j = NULL;

	if (!mtime)
		return NULL;
	j = json_pack("{s:s, s:I, s:I, s:s, s:s}", "name", st->name, "size", (json_int_t)st->size,
	              "mode", (json_int_t)tree_go_mode(st->mode), "mtime", mtime, "linkTarget",
	              st->link_target);
	text = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	return text ? base64_encode(text, strlen(text), false) : NULL;
}
