#include "engine/userns.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/log.h"
#include "base/str.h"

#define PWBUF_SIZE      16384
#define TOOL_OUTPUT_MAX 65536

extern char **environ;

static const char *subuid_path(const struct userns_files *f)
{
	return f && f->subuid ? f->subuid : "/etc/subuid";
}

static const char *subgid_path(const struct userns_files *f)
{
	return f && f->subgid ? f->subgid : "/etc/subgid";
}

/* A decimal id below 2^31, as dockerd's ParseInt(…, 10, 32) takes it. */
static bool parse_id(const char *s, uint32_t *ret)
{
	int64_t v;

	if (str_to_int64(s, &v) < 0 || v < 0 || v > INT32_MAX)
		return false;
	*ret = (uint32_t)v;
	return true;
}

static bool user_by_name(const char *name, char **ret_name, uint32_t *ret_uid)
{
	char buf[PWBUF_SIZE];
	struct passwd pw, *p = NULL;

	if (getpwnam_r(name, &pw, buf, sizeof(buf), &p) != 0 || !p)
		return false;
	*ret_uid = p->pw_uid;
	return (*ret_name = strdup(p->pw_name)) != NULL;
}

static bool user_by_uid(uint32_t uid, char **ret_name)
{
	char buf[PWBUF_SIZE];
	struct passwd pw, *p = NULL;

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &p) != 0 || !p)
		return false;
	return (*ret_name = strdup(p->pw_name)) != NULL;
}

/* A group by name or, when numeric, by gid: its name. */
static bool group_lookup(const char *s, char **ret_name)
{
	char buf[PWBUF_SIZE];
	struct group gr, *g = NULL;
	uint32_t gid;

	if (parse_id(s, &gid))
		getgrgid_r(gid, &gr, buf, sizeof(buf), &g);
	else
		getgrnam_r(s, &gr, buf, sizeof(buf), &g);
	return g && (*ret_name = strdup(g->gr_name)) != NULL;
}

/* Run a tool (useradd, usermod) to its end; its output is the error. */
static int run_tool(char *const argv[], struct husk_error **err)
{
	posix_spawn_file_actions_t fa;
	_cleanup_free_ char *out = NULL;
	int p[2], status = 0, r;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return error_set_errno(err, errno, "pipe");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (r != 0) {
		close(p[0]);
		return error_set_errno(err, r, "run %s", argv[0]);
	}
	read_all_fd(p[0], TOOL_OUTPUT_MAX, &out, NULL);
	close(p[0]);
	RETRY_EINTR(waitpid(pid, &status, 0));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	return error_set(err, EIO, "%s: %.*s", argv[0], out ? (int)strcspn(out, "\n") : 0,
	                 out ? out : "");
}

static int read_subid(const char *path, char **ret, struct husk_error **err)
{
	int r = read_file(path, USERNS_SUBID_MAX, ret, NULL, NULL);

	if (r == -ENOENT)
		return (*ret = strdup("")) ? 0 : error_set(err, ENOMEM, "out of memory");
	return r < 0 ? error_set_errno(err, -r, "read \"%s\"", path) : 0;
}

/* dockerd's createSubordinateRanges for one file: a range of 65536 ids
 * at the first free offset, unless the user has some already. */
static int add_ranges(const char *path, const char *flag, const char *name, struct husk_error **err)
{
	_cleanup_free_ struct id_map *mine = NULL, *all = NULL;
	_cleanup_free_ char *text = NULL, *range = NULL;
	size_t n_mine = 0, n_all = 0;
	uint32_t start;
	int r;

	r = read_subid(path, &text, err);
	if (r == 0)
		r = subid_parse(text, path, name, &mine, &n_mine, err);
	if (r == 0 && n_mine == 0)
		r = subid_parse(text, path, NULL, &all, &n_all, err);
	if (r < 0 || n_mine)
		return r;
	if (subid_next_free(all, n_all, &start) < 0)
		return error_set(err, ERANGE, "%s: no free range of %u ids", path,
		                 IDMAP_DEFAULT_RANGE_LEN);
	range = str_printf("%u-%u", start, start + IDMAP_DEFAULT_RANGE_LEN - 1);
	if (!range)
		return error_set(err, ENOMEM, "out of memory");
	return run_tool((char *[]){"usermod", (char *)flag, range, (char *)name, NULL}, err);
}

/* dockerd's AddNamespaceRangesUser: a system user dockremap (and its group)
 * with subordinate uid and gid ranges. */
static int create_default_user(struct husk_error **err)
{
	int r;

	log_info("user namespaces: creating the user \"%s\"", USERNS_DEFAULT_NAME);
	r = run_tool((char *[]){"useradd", "-r", "-s", "/bin/false", USERNS_DEFAULT_NAME, NULL},
	             err);
	if (r < 0)
		return error_wrap(err, "error adding user \"%s\"", USERNS_DEFAULT_NAME);
	r = add_ranges("/etc/subuid", "--add-subuids", USERNS_DEFAULT_NAME, err);
	if (r == 0)
		r = add_ranges("/etc/subgid", "--add-subgids", USERNS_DEFAULT_NAME, err);
	return r < 0 ? error_wrap(err, "couldn't create subordinate ID ranges") : 0;
}

/* The user part of the setting: its name and uid; the group of the same
 * name or id when no group is given (dockerd's parseRemappedRoot). */
static int resolve_user(const char *spec, char *const *parts, struct userns_remap *ret,
                        struct husk_error **err)
{
	const char *name = parts[0];
	uint32_t uid;

	if (parse_id(parts[0], &uid)) {
		if (!user_by_uid(uid, &ret->user))
			return error_set(err, ENOENT,
			                 "userns-remap \"%s\": uid %u has no entry in "
			                 "/etc/passwd",
			                 spec, uid);
		ret->root_uid = uid;
	} else {
		if (streq(name, "default"))
			name = USERNS_DEFAULT_NAME;
		if (!user_by_name(name, &ret->user, &ret->root_uid)) {
			if (!streq(parts[0], "default"))
				return error_set(
				        err, ENOENT,
				        "userns-remap \"%s\": no user \"%s\" in the passwd "
				        "database",
				        spec, name);
			if (create_default_user(err) < 0)
				return error_wrap(err, "userns-remap \"%s\"", spec);
			if (!user_by_name(name, &ret->user, &ret->root_uid))
				return error_set(err, ENOENT,
				                 "userns-remap \"%s\": user \"%s\" not "
				                 "found after creating it",
				                 spec, name);
		}
	}
	if (parts[1])
		name = parts[1];
	if (!group_lookup(name, &ret->group))
		return error_set(err, ENOENT,
		                 "userns-remap \"%s\": no group \"%s\" in the group "
		                 "database",
		                 spec, name);
	return 0;
}

int userns_load_ranges(const char *path, const char *what, const char *user, uint32_t uid,
                       struct id_map **ret, size_t *ret_n, struct husk_error **err)
{
	_cleanup_free_ char *text = NULL;
	char uid_str[16];
	int r;

	snprintf(uid_str, sizeof(uid_str), "%u", uid);
	r = read_subid(path, &text, err);
	if (r == 0)
		r = subid_parse(text, path, uid_str, ret, ret_n, err);
	if (r == 0 && *ret_n == 0)
		r = subid_parse(text, path, user, ret, ret_n, err);
	if (r == 0 && *ret_n == 0)
		r = error_set(err, ENOENT, "no %s ranges found for user \"%s\" in %s", what, user,
		              path);
	return r;
}

int userns_remap_setup(const char *spec, const struct userns_files *files, struct userns_remap *ret,
                       struct husk_error **err)
{
	_cleanup_strv_ char **parts = NULL;
	struct id_mapping *m = &ret->map;
	int r;

	*ret = (struct userns_remap){0};
	if (isempty(spec))
		return 0;
	parts = strv_split(spec, ":");
	if (!parts)
		return error_set(err, ENOMEM, "out of memory");
	if (strv_length(parts) > 2 || isempty(parts[0]) || (parts[1] && isempty(parts[1])))
		return error_set(err, EINVAL,
		                 "userns-remap \"%s\": invalid user/group specification", spec);
	r = resolve_user(spec, parts, ret, err);
	if (r < 0)
		return r;
	if (streq(ret->user, "root")) {
		log_warn("user namespaces: root cannot be remapped with itself; user namespaces "
		         "are OFF");
		userns_remap_release(ret);
		return 0;
	}
	r = userns_load_ranges(subuid_path(files), "subuid", ret->user, ret->root_uid, &m->uids,
	                       &m->n_uids, err);
	if (r == 0)
		r = userns_load_ranges(subgid_path(files), "subgid", ret->user, ret->root_uid,
		                       &m->gids, &m->n_gids, err);
	if (r < 0)
		return error_wrap(err, "userns-remap \"%s\"", spec);
	if (idmap_to_host(m->uids, m->n_uids, 0, &ret->root_uid) < 0 ||
	    idmap_to_host(m->gids, m->n_gids, 0, &ret->root_gid) < 0)
		return error_set(err, EINVAL,
		                 "userns-remap \"%s\": container ID 0 cannot be mapped "
		                 "to a host ID",
		                 spec);
	log_info("user namespaces: ID ranges will be mapped to subuid/subgid ranges of: %s",
	         ret->user);
	return 0;
}

int userns_remap_chown_at(const struct userns_remap *r, int dfd, const char *name, bool own,
                          struct husk_error **err)
{
	if (!r->map.n_uids)
		return 0;
	if (fchownat(dfd, name, own ? r->root_uid : 0, r->root_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
	    (!own && fchmodat(dfd, name, 0710, 0) < 0))
		return error_set_errno(err, errno, "give \"%s\" to the remapped root", name);
	return 0;
}

int userns_check_create(const struct userns_remap *r, json_t *host_config, struct husk_error **err)
{
	const char *userns = json_string_value(json_object_get(host_config, "UsernsMode"));
	const char *pid = json_string_value(json_object_get(host_config, "PidMode"));
	const char *net = json_string_value(json_object_get(host_config, "NetworkMode"));

	if (!r->map.n_uids || streq(userns, "host"))
		return 0;
	if (json_is_true(json_object_get(host_config, "Privileged")))
		return error_set(err, EINVAL,
		                 "privileged mode is incompatible with user namespaces.  You must "
		                 "run the container in the host namespace when running privileged "
		                 "mode");
	if (streq(net, "host"))
		return error_set(err, EINVAL,
		                 "cannot share the host's network namespace when user "
		                 "namespaces are enabled");
	if (streq(pid, "host"))
		return error_set(err, EINVAL,
		                 "cannot share the host PID namespace when user namespaces are "
		                 "enabled");
	return 0;
}

void userns_remap_release(struct userns_remap *r)
{
	free(r->user);
	free(r->group);
	id_mapping_release(&r->map);
	*r = (struct userns_remap){0};
}
