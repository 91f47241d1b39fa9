/* spec_user.c — "name|uid[:group|gid]" and GroupAdd resolved as runc's
 * libcontainer/user resolves them (GetExecUser, GetAdditionalGroups),
 * against the container's /etc/passwd and /etc/group opened with
 * open_in_root(): a symlink pointing out of the rootfs resolves inside it,
 * and only regular files are read (a FIFO planted by an image must not
 * block the daemon).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/fs.h"
#include "engine/spec_build_internal.h"

#define MAX_ID 2147483647 /* runc's maxID: 1<<31 - 1 */

struct entry {
	char **f; /* the colon fields of a line */
};

struct etc_file {
	struct entry *e;
	size_t n;
	bool present;
};

static void etc_release(struct etc_file *f)
{
	for (size_t i = 0; i < f->n; i++)
		strv_free(f->e[i].f);
	free(f->e);
	*f = (struct etc_file){0};
}

static const char *field(const struct entry *e, size_t i)
{
	return i < strv_length(e->f) ? e->f[i] : "";
}

/* Go's strconv.Atoi as runc uses it: 0 when not a number. */
static int64_t atoi_go(const char *s)
{
	int64_t v = 0;

	return str_to_int64(s, &v) == 0 ? v : 0;
}

/* Read path in the rootfs: -ENOENT leaves f->present false. */
static int etc_read(int rootfd, const char *path, struct etc_file *f, struct husk_error **err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	_cleanup_strv_ char **lines = NULL;
	struct stat st;
	int r;

	*f = (struct etc_file){0};
	fd = open_in_root(rootfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, 0);
	if (fd == -ENOENT || fd == -ENOTDIR)
		return 0;
	if (fd < 0)
		return error_set_errno(err, -fd, "open \"%s\" in the container", path);
	if (fstat(fd, &st) < 0)
		return error_set_errno(err, errno, "stat \"%s\" in the container", path);
	if (!S_ISREG(st.st_mode))
		return error_set(err, EINVAL, "\"%s\" in the container is not a regular file",
		                 path);
	if ((r = read_all_fd(fd, SPEC_ETC_FILE_MAX, &buf, NULL)) < 0)
		return error_set_errno(err, -r, "read \"%s\" in the container", path);
	if (!(lines = strv_split(buf, "\n")))
		return sb_oom(err);
	if (!(f->e = calloc(strv_length(lines) + 1, sizeof(*f->e))))
		return sb_oom(err);
	f->present = true;
	STRV_FOREACH (l, lines) {
		_cleanup_free_ char *t = str_strip(*l);

		if (!t)
			return sb_oom(err);
		if (!*t || *t == '#')
			continue;
		if (!(f->e[f->n].f = strv_split(t, ":")))
			return sb_oom(err);
		f->n++;
	}
	return 0;
}

static int range_fail(struct husk_error **err)
{
	return sb_fail(err, "uids and gids must be in range 0-%d", MAX_ID);
}

/* passwd: the entry matching userArg (a number is always a uid). */
static const struct entry *find_user(const struct etc_file *pw, const char *user, bool numeric,
                                     int64_t uid)
{
	for (size_t i = 0; i < pw->n; i++) {
		const struct entry *e = &pw->e[i];

		if (isempty(user) ? atoi_go(field(e, 2)) == 0
		    : numeric     ? atoi_go(field(e, 2)) == uid
		                  : streq(field(e, 0), user))
			return e;
	}
	return NULL;
}

static bool group_has_member(const struct entry *g, const char *name)
{
	_cleanup_strv_ char **members = strv_split(field(g, 3), ",");

	return !isempty(name) && strv_contains(members, name);
}

static int push_gid(struct spec_user *u, int64_t gid)
{
	uint32_t *n = realloc(u->additional_gids, (u->n_additional_gids + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	u->additional_gids = n;
	n[u->n_additional_gids++] = (uint32_t)gid;
	return 0;
}

/* The explicit ":group" part. */
static int resolve_group(const struct etc_file *gr, const char *group, int64_t *gid,
                         struct husk_error **err)
{
	int64_t n = 0;
	bool numeric = str_to_int64(group, &n) == 0;

	for (size_t i = 0; i < gr->n; i++)
		if (numeric ? atoi_go(field(&gr->e[i], 2)) == n
		            : streq(field(&gr->e[i], 0), group)) {
			*gid = atoi_go(field(&gr->e[i], 2));
			return 0;
		}
	if (!numeric)
		return error_set(err, ENOENT,
		                 "unable to find group %s: no matching entries in group file",
		                 group);
	if (n < 0 || n > MAX_ID)
		return range_fail(err);
	*gid = n;
	return 0;
}

/* GetAdditionalGroups: by name or gid in the group file, else a number. */
static int add_groups(const struct etc_file *gr, char *const *add, struct spec_user *u,
                      struct husk_error **err)
{
	STRV_FOREACH (ag, add) {
		int64_t gid = -1;

		for (size_t i = 0; i < gr->n && gid < 0; i++) {
			const struct entry *g = &gr->e[i];

			if (streq(field(g, 0), *ag) || streq(field(g, 2), *ag))
				gid = atoi_go(field(g, 2));
		}
		if (gid < 0 && str_to_int64(*ag, &gid) < 0)
			return error_set(
			        err, ENOENT,
			        "Unable to find group %s: no matching entries in group file", *ag);
		if (gid < 0 || gid > MAX_ID)
			return range_fail(err);
		if (push_gid(u, gid) < 0)
			return sb_oom(err);
	}
	return 0;
}

/* The user part: uid, gid and home from passwd, or a bare number. */
static int resolve_uid(const struct etc_file *pw, const char *user, struct spec_user *u,
                       const char **ret_name, int64_t *ret_gid, struct husk_error **err)
{
	int64_t uid = 0, gid = 0;
	bool numeric = str_to_int64(user, &uid) == 0;
	const struct entry *e = find_user(pw, user, numeric, uid);

	*ret_name = NULL;
	if (e) {
		*ret_name = field(e, 0);
		uid = atoi_go(field(e, 2));
		gid = atoi_go(field(e, 3));
		if (!isempty(field(e, 5)) && !(u->home = strdup(field(e, 5))))
			return sb_oom(err);
	} else if (!isempty(user)) {
		if (!numeric)
			return error_set(
			        err, ENOENT,
			        "unable to find user %s: no matching entries in passwd file", user);
		if (uid < 0 || uid > MAX_ID)
			return range_fail(err);
	}
	u->uid = (uint32_t)uid;
	*ret_gid = gid;
	return 0;
}

static int resolve(const struct etc_file *pw, const struct etc_file *gr, const char *spec,
                   char *const *group_add, struct spec_user *u, struct husk_error **err)
{
	_cleanup_free_ char *user = strndup(spec, strcspn(spec, ":"));
	const char *group = strchr(spec, ':') ? strchr(spec, ':') + 1 : "", *name;
	_cleanup_free_ char *group_only = strndup(group, strcspn(group, ":"));
	int64_t gid = 0;
	int r;

	if (!user || !group_only)
		return sb_oom(err);
	if ((r = resolve_uid(pw, user, u, &name, &gid, err)) < 0)
		return r;
	if (!isempty(group_only) && (r = resolve_group(gr, group_only, &gid, err)) < 0)
		return r;
	u->gid = (uint32_t)gid;
	if (push_gid(u, gid) < 0)
		return sb_oom(err);
	/* Supplementary groups only in the implicit form. */
	for (size_t i = 0; isempty(group_only) && i < gr->n; i++)
		if (group_has_member(&gr->e[i], name) &&
		    push_gid(u, atoi_go(field(&gr->e[i], 2))) < 0)
			return sb_oom(err);
	return add_groups(gr, group_add, u, err);
}

int spec_resolve_user(int rootfs_fd, const char *user, char *const *group_add,
                      struct spec_user *ret, struct husk_error **err)
{
	struct etc_file pw = {0}, gr = {0};
	int r;

	*ret = (struct spec_user){0};
	r = etc_read(rootfs_fd, "/etc/passwd", &pw, err);
	if (r >= 0)
		r = etc_read(rootfs_fd, "/etc/group", &gr, err);
	if (r >= 0)
		r = resolve(&pw, &gr, user ? user : "", group_add, ret, err);
	if (r >= 0 && !ret->home && !(ret->home = strdup("/")))
		r = sb_oom(err);
	etc_release(&pw);
	etc_release(&gr);
	if (r < 0)
		spec_user_release(ret);
	return r;
}

void spec_user_release(struct spec_user *u)
{
	free(u->additional_gids);
	free(u->home);
	*u = (struct spec_user){0};
}
