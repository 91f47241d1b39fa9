/* spec_security.c — capabilities (Docker's default set ± CapAdd/CapDrop),
 * SecurityOpt (dockerd's parseSecurityOpt), sysctls (runc's namespace
 * rules), ulimits (Docker's names) and SELinux labels (go-selinux's
 * InitLabels, for hosts where SELinux is active).
 */
#include <ctype.h>
#include <inttypes.h>
#include <string.h>
#include <strings.h>

#include "engine/spec_build_internal.h"
#include "oci/runtime_spec.h"

#define HC "HostConfig"

/* ---- capabilities ---- */

/* Upper-case, "CAP_" added; -1 for "ALL". dockerd's
 * NormalizeLegacyCapabilities. */
static int normalize_cap(const char *name, const struct spec_host *h, int *ret,
                         struct husk_error **err)
{
	char buf[64];
	size_t n = 0;
	int cap;

	if (strlen(name) + 4 >= sizeof(buf))
		return sb_fail(err, "unknown capability: \"%.40s…\"", name);
	if (strncasecmp(name, "CAP_", 4) != 0 && strcasecmp(name, "ALL") != 0) {
		memcpy(buf, "CAP_", 4);
		n = 4;
	}
	for (const char *p = name; *p; p++)
		buf[n++] = (char)toupper((unsigned char)*p);
	buf[n] = '\0';
	if (streq(buf, "ALL")) {
		*ret = -1;
		return 0;
	}
	if (oci_cap_from_name(buf, &cap) < 0 || cap < 0 || (unsigned)cap > h->last_cap)
		return sb_fail(err, "unknown capability: \"%s\"", buf);
	*ret = cap;
	return 0;
}

/* The mask of a CapAdd/CapDrop list; *all when it says ALL. */
static int cap_list(json_t *hc, const char *key, const struct spec_host *h, uint64_t *ret,
                    bool *all, struct husk_error **err)
{
	_cleanup_strv_ char **l = NULL;

	*ret = 0;
	*all = false;
	if (sb_strv(hc, HC, key, false, &l, err) < 0)
		return -EINVAL;
	STRV_FOREACH (s, l) {
		int cap = 0;

		if (normalize_cap(*s, h, &cap, err) < 0)
			return error_wrap(err, "invalid %s", key);
		if (cap < 0)
			*all = true;
		else if (h->available_caps & (UINT64_C(1) << cap)) /* else dockerd skips it */
			*ret |= UINT64_C(1) << cap;
	}
	return 0;
}

int sb_check_caps(json_t *hc, const struct spec_host *h, struct husk_error **err)
{
	uint64_t m;
	bool all;

	if (cap_list(hc, "CapAdd", h, &m, &all, err) < 0 ||
	    cap_list(hc, "CapDrop", h, &m, &all, err) < 0)
		return -EINVAL;
	return 0;
}

int spec_capabilities(json_t *host_config, const struct spec_host *host, uint64_t *ret_mask,
                      struct husk_error **err)
{
	uint64_t add, drop, every;
	bool add_all, drop_all, privileged = false;
	struct spec_host probed;

	if (!host) {
		spec_host_probe(&probed);
		host = &probed;
	}
	every = host->last_cap >= 63 ? UINT64_MAX : (UINT64_C(1) << (host->last_cap + 1)) - 1;
	every &= host->available_caps;
	if (sb_bool(host_config, HC, "Privileged", &privileged, err) < 0 ||
	    cap_list(host_config, "CapAdd", host, &add, &add_all, err) < 0 ||
	    cap_list(host_config, "CapDrop", host, &drop, &drop_all, err) < 0)
		return -EINVAL;
	/* dockerd's TweakCapabilities */
	if (privileged)
		*ret_mask = every;
	else if (add_all)
		*ret_mask = every & ~drop;
	else if (drop_all)
		*ret_mask = add;
	else
		*ret_mask = ((sb_default_caps() & ~drop) | add) & every;
	return 0;
}

/* ---- SecurityOpt ---- */

/* Go's strconv.ParseBool. */
static int parse_go_bool(const char *s, bool *ret)
{
	static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};

	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		if (streq(s, t[i]))
			return *ret = true, 0;
		if (streq(s, f[i]))
			return *ret = false, 0;
	}
	return -EINVAL;
}

/* One key=value (or the deprecated key:value) option. */
static int security_opt(const char *opt, struct sb_security *s, struct husk_error **err)
{
	const char *sep = strchr(opt, '=') ? strchr(opt, '=') : strchr(opt, ':');
	_cleanup_free_ char *k = NULL;
	const char *v;

	if (!sep)
		return sb_fail(err, "invalid --security-opt 1: \"%s\"", opt);
	if (!(k = strndup(opt, (size_t)(sep - opt))))
		return sb_oom(err);
	v = sep + 1;
	if (streq(k, "label")) {
		if (streq(v, "disable"))
			s->label_disable = true;
		else if (strv_push(&s->label, v) < 0)
			return sb_oom(err);
	} else if (streq(k, "apparmor")) {
		free(s->apparmor);
		if (!(s->apparmor = strdup(v)))
			return sb_oom(err);
	} else if (streq(k, "seccomp")) {
		free(s->seccomp);
		if (!(s->seccomp = strdup(v)))
			return sb_oom(err);
	} else if (!streq(k, "no-new-privileges") || parse_go_bool(v, &s->no_new_privileges) < 0) {
		return sb_fail(err, "invalid --security-opt 2: \"%s\"", opt);
	}
	return 0;
}

int sb_security_parse(json_t *hc, struct sb_security *ret, struct husk_error **err)
{
	_cleanup_strv_ char **opts = NULL;

	*ret = (struct sb_security){0};
	if (sb_strv(hc, HC, "SecurityOpt", false, &opts, err) < 0)
		return -EINVAL;
	STRV_FOREACH (o, opts) {
		int r;

		if (streq(*o, "no-new-privileges"))
			ret->no_new_privileges = true;
		else if (streq(*o, "disable"))
			ret->label_disable = true;
		else if ((r = security_opt(*o, ret, err)) < 0) {
			sb_security_release(ret);
			return r;
		}
	}
	return 0;
}

void sb_security_release(struct sb_security *s)
{
	free(s->apparmor);
	free(s->seccomp);
	strv_free(s->label);
	*s = (struct sb_security){0};
}

/* ---- sysctls: runc's validateSysctl ---- */

static bool ipc_sysctl(const char *k)
{
	static const char *const names[] = {
	        "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
	        "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};

	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (streq(k, names[i]))
			return true;
	return startswith(k, "fs.mqueue.") != NULL;
}

static int check_sysctl(const char *k, const char *net, const char *ipc, const char *uts,
                        struct husk_error **err)
{
	if (isempty(k) || strchr("./", k[0]) || strstr(k, "..") || strpbrk(k, " \t\n="))
		return sb_fail(err, "invalid sysctl name \"%s\"", k);
	if (ipc_sysctl(k)) {
		if (sb_mode_host(ipc))
			return sb_fail(
			        err, "sysctl \"%s\" is not allowed in the hosts ipc namespace", k);
		return 0;
	}
	if (startswith(k, "net.")) {
		if (sb_mode_host(net))
			return sb_fail(err, "sysctl \"%s\" not allowed in host network namespace",
			               k);
		return 0;
	}
	if (streq(k, "kernel.hostname"))
		return sb_fail(err,
		               "sysctl \"%s\" is not allowed as it conflicts with the OCI "
		               "\"hostname\" field",
		               k);
	if (streq(k, "kernel.domainname") && !sb_mode_host(uts))
		return 0;
	return sb_fail(err, "sysctl \"%s\" is not in a separate kernel namespace", k);
}

int sb_check_sysctls(json_t *hc, struct husk_error **err)
{
	const char *net = NULL, *ipc = NULL, *uts = NULL, *k;
	json_t *m, *v;

	if (sb_str_map(hc, HC, "Sysctls", &m, err) < 0 ||
	    sb_str(hc, HC, "NetworkMode", &net, err) < 0 ||
	    sb_str(hc, HC, "IpcMode", &ipc, err) < 0 || sb_str(hc, HC, "UTSMode", &uts, err) < 0)
		return -EINVAL;
	json_object_foreach (m, k, v)
		if (check_sysctl(k, net, ipc, uts, err) < 0)
			return -EINVAL;
	return 0;
}

/* ---- ulimits ---- */

static const char *const ulimit_names[] = {
        "core",   "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue", "nice",
        "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack",
};

static bool ulimit_known(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(ulimit_names); i++)
		if (streq(name, ulimit_names[i]))
			return true;
	return false;
}

/* -1 is unlimited (RLIM_INFINITY), as Docker casts it to uint64. */
static uint64_t ulimit_value(int64_t v)
{
	return v == -1 ? UINT64_MAX : (uint64_t)v;
}

static int ulimit_entry(json_t *item, size_t i, const char **name, int64_t *soft, int64_t *hard,
                        struct husk_error **err)
{
	_cleanup_free_ char *where = str_printf(HC ".Ulimits[%zu]", i);

	if (!where)
		return sb_oom(err);
	*name = NULL;
	*soft = *hard = 0;
	if (!json_is_object(item))
		return sb_fail(err, "%s: expected an object", where);
	if (sb_str(item, where, "Name", name, err) < 0 ||
	    sb_i64(item, where, "Soft", soft, err) < 0 ||
	    sb_i64(item, where, "Hard", hard, err) < 0)
		return -EINVAL;
	if (!*name || !ulimit_known(*name))
		return sb_fail(err, "invalid ulimit type: %s", *name ? *name : "");
	if (*soft < -1 || *hard < -1)
		return sb_fail(err, "invalid ulimit argument: %s=%" PRId64 ":%" PRId64, *name,
		               *soft, *hard);
	if (ulimit_value(*soft) > ulimit_value(*hard))
		return sb_fail(
		        err,
		        "ulimit soft limit must be less than or equal to hard limit: %" PRId64
		        " > %" PRId64,
		        *soft, *hard);
	return 0;
}

int sb_check_ulimits(json_t *hc, struct husk_error **err)
{
	json_t *a, *item;
	size_t i;

	if (sb_arr(hc, HC, "Ulimits", &a, err) < 0)
		return -EINVAL;
	json_array_foreach (a, i, item) {
		const char *name;
		int64_t soft, hard;

		if (ulimit_entry(item, i, &name, &soft, &hard, err) < 0)
			return -EINVAL;
	}
	return 0;
}

/* A limit value; unlimited is 2^64 as a real, which the OCI parser reads
 * as RLIM_INFINITY and spec_dumps() prints as Docker does. */
static json_t *rlimit_value(int64_t v)
{
	return v == -1 ? json_real(18446744073709551616.0) : json_integer(v);
}

static int rlimit_json(json_t *list, const char *name, int64_t soft, int64_t hard)
{
	char type[32] = "RLIMIT_";
	size_t n = strlen(type);
	json_t *item, *o;
	size_t i;

	for (const char *p = name; *p && n + 1 < sizeof(type); p++)
		type[n++] = (char)toupper((unsigned char)*p);
	type[n] = '\0';
	/* A name given twice: the last wins, as in dockerd's map. */
	json_array_foreach (list, i, item)
		if (streq(json_string_value(json_object_get(item, "type")), type)) {
			json_array_remove(list, i);
			break;
		}
	o = json_pack("{s:s, s:o, s:o}", "type", type, "hard", rlimit_value(hard), "soft",
	              rlimit_value(soft));
	return json_array_append_new(list, o);
}

int sb_rlimits(json_t *hc, json_t **ret, struct husk_error **err)
{
	_cleanup_json_ json_t *list = NULL;
	json_t *a, *item;
	size_t i;

	*ret = NULL;
	if (sb_arr(hc, HC, "Ulimits", &a, err) < 0)
		return -EINVAL;
	if (!json_array_size(a))
		return 0;
	if (!(list = json_array()))
		return sb_oom(err);
	json_array_foreach (a, i, item) {
		const char *name;
		int64_t soft, hard;

		if (ulimit_entry(item, i, &name, &soft, &hard, err) < 0)
			return -EINVAL;
		if (rlimit_json(list, name, soft, hard) < 0)
			return sb_oom(err);
	}
	*ret = TAKE_PTR(list);
	return 0;
}

/* ---- SELinux ---- */

/* The fields of a "user:role:type:level" context. */
struct context {
	char *f[4];
};

static const char *const context_keys[] = {"user", "role", "type", "level"};

static int context_set(struct context *c, const char *key, const char *v)
{
	for (size_t i = 0; i < ELEMENTSOF(context_keys); i++)
		if (streq(key, context_keys[i])) {
			char *d = strdup(v);

			if (!d)
				return -ENOMEM;
			free(c->f[i]);
			c->f[i] = d;
			return 0;
		}
	return -EINVAL;
}

static char *context_get(const struct context *c)
{
	return str_printf("%s:%s:%s:%s", c->f[0], c->f[1], c->f[2], c->f[3]);
}

static void context_release(struct context *c)
{
	for (size_t i = 0; i < ELEMENTSOF(c->f); i++)
		free(c->f[i]);
}

/* container-selinux's labels with an MCS pair derived from the id (dockerd
 * picks a random unused pair; the id makes it unique enough and stable). */
static int default_contexts(const char *id, struct context *p, struct context *m)
{
	uint32_t hsh = 2166136261u;
	unsigned a, b;
	_cleanup_free_ char *level = NULL;

	for (const char *s = id ? id : ""; *s; s++)
		hsh = (hsh ^ (uint8_t)*s) * 16777619u;
	a = hsh % 1024;
	b = (hsh / 1024) % 1023;
	b = b >= a ? b + 1 : b;
	if (!(level = str_printf("s0:c%u,c%u", MIN(a, b), MAX(a, b))))
		return -ENOMEM;
	if (context_set(p, "user", "system_u") < 0 || context_set(p, "role", "system_r") < 0 ||
	    context_set(p, "type", "container_t") < 0 || context_set(p, "level", level) < 0 ||
	    context_set(m, "user", "system_u") < 0 || context_set(m, "role", "object_r") < 0 ||
	    context_set(m, "type", "container_file_t") < 0 || context_set(m, "level", level) < 0)
		return -ENOMEM;
	return 0;
}

static int label_opt(const char *opt, struct context *p, struct context *m, struct husk_error **err)
{
	const char *colon = strchr(opt, ':');
	_cleanup_free_ char *k = colon ? strndup(opt, (size_t)(colon - opt)) : NULL;

	if (!colon)
		return sb_fail(err,
		               "Bad label option \"%s\", valid options 'disable' or \n'user, role, "
		               "level, type, filetype' followed by ':' and a value",
		               opt);
	if (!k)
		return sb_oom(err);
	if (streq(k, "filetype"))
		return context_set(m, "type", colon + 1) < 0 ? sb_oom(err) : 0;
	if (context_set(p, k, colon + 1) == -EINVAL)
		return sb_fail(err,
		               "Bad label option \"%s\", valid options 'disable, user, role, "
		               "level, type, filetype'",
		               k);
	if ((streq(k, "level") || streq(k, "user")) && context_set(m, k, colon + 1) < 0)
		return sb_oom(err);
	return 0;
}

int sb_selinux_labels(const struct sb_security *s, const char *id, char **ret_process,
                      char **ret_mount, struct husk_error **err)
{
	struct context p = {0}, m = {0};
	int r = 0;

	*ret_process = *ret_mount = NULL;
	if (s->label_disable) {
		*ret_mount = strdup("system_u:object_r:container_file_t:s0");
		return *ret_mount ? 0 : sb_oom(err);
	}
	if (default_contexts(id, &p, &m) < 0)
		r = sb_oom(err);
	STRV_FOREACH (o, s->label)
		if (r >= 0)
			r = label_opt(*o, &p, &m, err);
	if (r >= 0 && (!(*ret_process = context_get(&p)) || !(*ret_mount = context_get(&m)))) {
		free(*ret_process);
		*ret_process = NULL;
		r = sb_oom(err);
	}
	context_release(&p);
	context_release(&m);
	return r;
}
