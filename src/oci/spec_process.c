/* spec_process.c — the "process" object of config.json, also the whole of
 * exec's process.json: user, args, env, cwd, capabilities, rlimits,
 * scheduler and I/O priority. Validation follows runc's where the spec is
 * loose (env entries need "=", nice in -20..19, one entry per rlimit type).
 */
#include <limits.h>
#include <sched.h>
#include <string.h>

#include "base/fs.h"
#include "base/str.h"
#include "oci/spec_internal.h"

#define MAX_ADDITIONAL_GIDS 65536 /* the kernel's NGROUPS_MAX */

static int parse_console_size(json_t *obj, const char *path, struct oci_process *p,
                              struct husk_error **err)
{
	_cleanup_free_ char *cpath = spec_path(path, "consoleSize");
	json_t *cs = NULL;
	uint64_t h = 0, w = 0;

	if (!cpath)
		return spec_oom(err);
	if (json_get_object(obj, path, "consoleSize", false, &cs, err) < 0)
		return -EINVAL;
	if (!cs)
		return 0;
	if (spec_get_u64_max(cs, cpath, "height", true, USHRT_MAX, &h, err) < 0 ||
	    spec_get_u64_max(cs, cpath, "width", true, USHRT_MAX, &w, err) < 0)
		return -EINVAL;
	p->console_height = (unsigned)h;
	p->console_width = (unsigned)w;
	return 0;
}

static int parse_gids(json_t *user, const char *upath, struct oci_user *u, struct husk_error **err)
{
	_cleanup_free_ char *p = spec_path(upath, "additionalGids");
	json_t *arr = NULL, *item;
	size_t i;

	if (!p)
		return spec_oom(err);
	if (json_get_array(user, upath, "additionalGids", false, &arr, err) < 0)
		return -EINVAL;
	if (!arr)
		return 0;
	if (json_array_size(arr) > MAX_ADDITIONAL_GIDS)
		return spec_fail(err, p, NULL, "too many groups (max %d)", MAX_ADDITIONAL_GIDS);
	u->additional_gids = calloc(json_array_size(arr) ?: 1, sizeof(gid_t));
	if (!u->additional_gids)
		return spec_oom(err);
	json_array_foreach (arr, i, item) {
		json_int_t g = json_is_integer(item) ? json_integer_value(item) : -1;

		if (g < 0 || g >= UINT32_MAX)
			return error_set(err, EINVAL, "%s[%zu]: expected a group id", p, i);
		u->additional_gids[u->n_additional_gids++] = (gid_t)g;
	}
	return 0;
}

static int parse_user(json_t *obj, const char *path, struct oci_user *u, struct husk_error **err)
{
	_cleanup_free_ char *upath = spec_path(path, "user");
	json_t *user = NULL;
	uint64_t uid = 0, gid = 0, umask = 0;

	if (!upath)
		return spec_oom(err);
	if (json_get_object(obj, path, "user", false, &user, err) < 0)
		return -EINVAL;
	if (!user)
		return 0; /* runc: uid 0, gid 0 */
	/* (uid_t)-1 means "no change" to the kernel: never a real id. */
	if (spec_get_u64_max(user, upath, "uid", false, UINT32_MAX - 1, &uid, err) < 0 ||
	    spec_get_u64_max(user, upath, "gid", false, UINT32_MAX - 1, &gid, err) < 0 ||
	    spec_get_u64_max(user, upath, "umask", false, 0777, &umask, err) < 0 ||
	    spec_get_strdup(user, upath, "username", false, &u->username, err) < 0)
		return -EINVAL;
	u->uid = (uid_t)uid;
	u->gid = (gid_t)gid;
	u->has_umask = spec_has(user, "umask");
	u->umask = (mode_t)umask;
	return parse_gids(user, upath, u, err);
}

/* As runc (libcontainer/env.go): NAME=VALUE, NAME not empty. */
static int check_env(char *const *env, const char *path, struct husk_error **err)
{
	size_t i = 0;

	STRV_FOREACH (e, env) {
		const char *eq = strchr(*e, '=');

		if (!eq)
			return error_set(err, EINVAL, "%s.env[%zu]: expected NAME=VALUE", path, i);
		if (eq == *e)
			return error_set(err, EINVAL, "%s.env[%zu]: empty variable name", path, i);
		i++;
	}
	return 0;
}

static int parse_args_env_cwd(json_t *obj, const char *path, struct oci_process *p,
                              struct husk_error **err)
{
	if (json_get_strv(obj, path, "args", true, &p->args, err) < 0)
		return -EINVAL;
	if (!p->args[0])
		return spec_fail(err, path, "args", "must not be empty");
	if (json_get_strv(obj, path, "env", false, &p->env, err) < 0 ||
	    check_env(p->env, path, err) < 0)
		return -EINVAL;
	return spec_get_abs_path(obj, path, "cwd", true, &p->cwd, err);
}

static int parse_cap_set(json_t *caps, const char *cpath, const char *key, uint64_t *ret,
                         struct husk_error **err)
{
	_cleanup_strv_ char **names = NULL;
	size_t i = 0;

	if (json_get_strv(caps, cpath, key, false, &names, err) < 0)
		return -EINVAL;
	STRV_FOREACH (n, names) {
		char q[SPEC_QUOTE_MAX];
		int cap;

		if (oci_cap_from_name(*n, &cap) < 0)
			return error_set(err, EINVAL, "%s.%s[%zu]: unknown capability %s", cpath,
			                 key, i, spec_quote(*n, q));
		*ret |= UINT64_C(1) << cap;
		i++;
	}
	return 0;
}

static int parse_caps(json_t *obj, const char *path, struct oci_caps *c, struct husk_error **err)
{
	_cleanup_free_ char *cpath = spec_path(path, "capabilities");
	json_t *caps = NULL;

	if (!cpath)
		return spec_oom(err);
	if (json_get_object(obj, path, "capabilities", false, &caps, err) < 0)
		return -EINVAL;
	if (!caps)
		return 0;
	c->present = true;
	if (parse_cap_set(caps, cpath, "bounding", &c->bounding, err) < 0 ||
	    parse_cap_set(caps, cpath, "effective", &c->effective, err) < 0 ||
	    parse_cap_set(caps, cpath, "inheritable", &c->inheritable, err) < 0 ||
	    parse_cap_set(caps, cpath, "permitted", &c->permitted, err) < 0 ||
	    parse_cap_set(caps, cpath, "ambient", &c->ambient, err) < 0)
		return -EINVAL;
	return 0;
}

static int parse_rlimit(json_t *item, const char *path, void *elem, struct husk_error **err)
{
	struct oci_rlimit *l = elem;
	const char *type = NULL;
	char q[SPEC_QUOTE_MAX];

	if (json_get_string(item, path, "type", true, &type, err) < 0)
		return -EINVAL;
	if (oci_rlimit_from_name(type, &l->resource) < 0)
		return spec_fail(err, path, "type", "unknown rlimit %s", spec_quote(type, q));
	if (spec_get_u64(item, path, "soft", true, &l->soft, err) < 0 ||
	    spec_get_u64(item, path, "hard", true, &l->hard, err) < 0)
		return -EINVAL;
	/* setrlimit(2) would refuse it with a bare EINVAL later. */
	if (l->soft > l->hard)
		return spec_fail(err, path, "soft", "greater than hard");
	return 0;
}

static int parse_rlimits(json_t *obj, const char *path, struct oci_process *p,
                         struct husk_error **err)
{
	static const struct spec_array_type type = {sizeof(struct oci_rlimit), parse_rlimit, NULL};
	void *v = NULL;

	if (spec_parse_array(obj, path, "rlimits", false, &type, &v, &p->n_rlimits, err) < 0)
		return -EINVAL;
	p->rlimits = v;
	/* The spec: duplicate types MUST be an error. */
	for (size_t i = 0; i < p->n_rlimits; i++)
		for (size_t j = 0; j < i; j++)
			if (p->rlimits[i].resource == p->rlimits[j].resource)
				return error_set(
				        err, EINVAL,
				        "%s.rlimits[%zu].type: duplicate rlimit \"%s\"", path, i,
				        oci_name_of(&oci_rlimits_table, p->rlimits[i].resource));
	return 0;
}

static int parse_io_priority(json_t *obj, const char *path, struct oci_io_priority *io,
                             struct husk_error **err)
{
	_cleanup_free_ char *ipath = spec_path(path, "ioPriority");
	const char *cls = NULL;
	json_t *o = NULL;
	int64_t prio = 0;
	long v;
	char q[SPEC_QUOTE_MAX];

	if (!ipath)
		return spec_oom(err);
	if (json_get_object(obj, path, "ioPriority", false, &o, err) < 0)
		return -EINVAL;
	if (!o)
		return 0;
	if (json_get_string(o, ipath, "class", true, &cls, err) < 0)
		return -EINVAL;
	if (oci_name_lookup(&oci_ioprio_classes_table, cls, &v) < 0)
		return spec_fail(err, ipath, "class", "unknown class %s", spec_quote(cls, q));
	if (spec_get_i64_range(o, ipath, "priority", false, 0, 7, &prio, err) < 0)
		return -EINVAL;
	io->present = true;
	io->class = (int)v;
	io->priority = (int)prio;
	return 0;
}

static int parse_sched_flags(json_t *o, const char *spath, uint64_t *ret, struct husk_error **err)
{
	_cleanup_strv_ char **flags = NULL;
	size_t i = 0;

	if (json_get_strv(o, spath, "flags", false, &flags, err) < 0)
		return -EINVAL;
	STRV_FOREACH (f, flags) {
		char q[SPEC_QUOTE_MAX];
		long bit;

		if (oci_name_lookup(&oci_sched_flags_table, *f, &bit) < 0)
			return error_set(err, EINVAL, "%s.flags[%zu]: unknown flag %s", spath, i,
			                 spec_quote(*f, q));
		*ret |= (uint64_t)bit;
		i++;
	}
	return 0;
}

/* runc's rules: priority only for FIFO/RR, runtime/deadline/period only
 * for DEADLINE. */
static int check_scheduler(const struct oci_scheduler *s, const char *spath,
                           struct husk_error **err)
{
	bool rt = s->policy == SCHED_FIFO || s->policy == SCHED_RR;

	if (s->priority != 0 && !rt)
		return spec_fail(err, spath, "priority", "only for SCHED_FIFO and SCHED_RR");
	if (s->policy != SCHED_DEADLINE && (s->runtime || s->deadline || s->period))
		return spec_fail(err, spath, NULL,
		                 "runtime, deadline and period are only for SCHED_DEADLINE");
	return 0;
}

static int parse_sched_numbers(json_t *o, const char *spath, struct oci_scheduler *s,
                               struct husk_error **err)
{
	int64_t nice = 0, prio = 0;

	if (spec_get_i64_range(o, spath, "nice", false, -20, 19, &nice, err) < 0 ||
	    spec_get_i64_range(o, spath, "priority", false, 0, 99, &prio, err) < 0 ||
	    spec_get_u64(o, spath, "runtime", false, &s->runtime, err) < 0 ||
	    spec_get_u64(o, spath, "deadline", false, &s->deadline, err) < 0 ||
	    spec_get_u64(o, spath, "period", false, &s->period, err) < 0)
		return -EINVAL;
	s->nice = (int)nice;
	s->priority = (int)prio;
	return 0;
}

static int parse_scheduler(json_t *obj, const char *path, struct oci_scheduler *s,
                           struct husk_error **err)
{
	_cleanup_free_ char *spath = spec_path(path, "scheduler");
	const char *policy = NULL;
	json_t *o = NULL;
	char q[SPEC_QUOTE_MAX];
	long v;

	if (!spath)
		return spec_oom(err);
	if (json_get_object(obj, path, "scheduler", false, &o, err) < 0)
		return -EINVAL;
	if (!o)
		return 0;
	if (json_get_string(o, spath, "policy", true, &policy, err) < 0)
		return -EINVAL;
	if (oci_name_lookup(&oci_sched_policies_table, policy, &v) < 0)
		return spec_fail(err, spath, "policy", "unknown policy %s", spec_quote(policy, q));
	if (streq(policy, "SCHED_ISO"))
		return spec_fail(err, spath, "policy", "SCHED_ISO is not supported by Linux");
	s->present = true;
	s->policy = (int)v;
	if (parse_sched_numbers(o, spath, s, err) < 0 ||
	    parse_sched_flags(o, spath, &s->flags, err) < 0)
		return -EINVAL;
	return check_scheduler(s, spath, err);
}

static int parse_security(json_t *obj, const char *path, struct oci_process *p,
                          struct husk_error **err)
{
	int64_t oom = 0;

	if (json_get_bool(obj, path, "noNewPrivileges", false, &p->no_new_privileges, err) < 0 ||
	    spec_get_strdup(obj, path, "apparmorProfile", false, &p->apparmor_profile, err) < 0 ||
	    spec_get_strdup(obj, path, "selinuxLabel", false, &p->selinux_label, err) < 0)
		return -EINVAL;
	if (spec_get_i64_range(obj, path, "oomScoreAdj", false, -1000, 1000, &oom, err) < 0)
		return -EINVAL;
	p->has_oom_score_adj = spec_has(obj, "oomScoreAdj");
	p->oom_score_adj = (int)oom;
	return 0;
}

int spec_parse_process(json_t *obj, const char *path, struct oci_process *p,
                       struct husk_error **err)
{
	if (!json_is_object(obj))
		return spec_fail(err, isempty(path) ? "process" : path, NULL, "expected an object");
	if (json_get_bool(obj, path, "terminal", false, &p->terminal, err) < 0 ||
	    parse_console_size(obj, path, p, err) < 0 || parse_user(obj, path, &p->user, err) < 0 ||
	    parse_args_env_cwd(obj, path, p, err) < 0 || parse_caps(obj, path, &p->caps, err) < 0 ||
	    parse_rlimits(obj, path, p, err) < 0 || parse_security(obj, path, p, err) < 0 ||
	    parse_io_priority(obj, path, &p->io_priority, err) < 0 ||
	    parse_scheduler(obj, path, &p->scheduler, err) < 0)
		return -EINVAL;
	return 0;
}

void spec_process_release(struct oci_process *p)
{
	free(p->user.additional_gids);
	free(p->user.username);
	strv_free(p->args);
	strv_free(p->env);
	free(p->cwd);
	free(p->rlimits);
	free(p->apparmor_profile);
	free(p->selinux_label);
}

struct oci_process *oci_process_parse(json_t *doc, const char *path, struct husk_error **err)
{
	struct oci_process *p = calloc(1, sizeof(*p));

	if (!p) {
		spec_oom(err);
		return NULL;
	}
	if (spec_parse_process(doc, path ? path : "", p, err) < 0) {
		oci_process_free(p);
		return NULL;
	}
	return p;
}

void oci_process_free(struct oci_process *p)
{
	if (!p)
		return;
	spec_process_release(p);
	free(p);
}
