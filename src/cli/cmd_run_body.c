/* cmd_run_body.c — husk run/create flags → Docker's create body, as
 * docker/cli's cli/command/container/opts.go (parse) builds
 * container.Config, HostConfig and NetworkingConfig: the same fields in
 * the same order, maps with sorted keys, the same defaults (Volumes {},
 * MemorySwappiness -1, RestartPolicy "no", NetworkMode "default"…) and
 * the same refusals. Reads only the files the flags name. */
#include <ctype.h>
#include <limits.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "cli/cmd_container.h"
#include "cli/run_internal.h"

#define KV_FILE_MAX (1u << 20)

/* Every piece of the body that can fail, computed before assembly. */
struct parts {
	json_t *env, *cmd, *entrypoint, *labels, *exposed, *bindings, *volumes, *binds;
	json_t *health, *log_opts, *restart, *cap_add, *cap_drop, *dns, *extra_hosts;
	json_t *security, *tmpfs, *sysctls, *devices, *ulimits, *mounts, *endpoints;
	bool attach_in, attach_out, attach_err;
	int64_t memory, memory_reservation, memory_swap, kernel_memory, shm_size, nano_cpus;
};

static void parts_release(struct parts *p)
{
	json_t **all[] = {&p->env,      &p->cmd,      &p->entrypoint, &p->labels,  &p->exposed,
	                  &p->bindings, &p->volumes,  &p->binds,      &p->health,  &p->log_opts,
	                  &p->restart,  &p->cap_add,  &p->cap_drop,   &p->dns,     &p->extra_hosts,
	                  &p->security, &p->tmpfs,    &p->sysctls,    &p->devices, &p->ulimits,
	                  &p->mounts,   &p->endpoints};

	for (size_t i = 0; i < ELEMENTSOF(all); i++) {
		json_decref(*all[i]);
		*all[i] = NULL;
	}
}

static int oom(struct husk_error **err)
{
	return error_set(err, ENOMEM, "out of memory");
}

/* `invalid argument "v" for "-m, --memory" flag: why`, as pflag says it. */
static int bad_flag(struct husk_error **err, const char *name, const char *value, const char *why)
{
	char sh = 0;

	for (const struct flag_spec *s = cli_run_flags; s->name; s++)
		if (streq(s->name, name))
			sh = s->shorthand;
	if (sh)
		return error_set(err, EINVAL, "invalid argument \"%s\" for \"-%c, --%s\" flag: %s",
		                 value, sh, name, why);
	return error_set(err, EINVAL, "invalid argument \"%s\" for \"--%s\" flag: %s", value, name,
	                 why);
}

/* A flag's error from a parser that set *err: rewrite it in pflag's words. */
static int bad_flag_err(struct husk_error **err, const char *name, const char *value)
{
	_cleanup_free_ char *why = strdup(err && *err ? error_message(*err) : "invalid value");

	if (err && *err) {
		error_free(*err);
		*err = NULL;
	}
	return bad_flag(err, name, value, why ?: "invalid value");
}

/* A size flag (RAMInBytes); *ret stays 0 when the flag is not given. */
static int size_flag(const struct flags *f, const char *name, int64_t *ret, struct husk_error **err)
{
	const char *v = flags_string(f, name);
	_cleanup_free_ char *why = NULL;

	*ret = 0;
	if (isempty(v))
		return 0;
	if (streq(name, "memory-swap") && streq(v, "-1")) {
		*ret = -1;
		return 0;
	}
	if (parse_ram_bytes_why(v, ret, &why) == 0)
		return 0;
	return bad_flag(err, name, v, why ?: "invalid size");
}

/* ---- key=value files and lists ---- */

/* opts.parseKeyValueFile: KEY=VALUE lines, '#' comments; a bare KEY takes
 * its value from our environment when lookup_env (else it is dropped). */
static int kv_file(const char *path, bool lookup_env, char ***list, struct husk_error **err)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_strv_ char **lines = NULL;
	size_t n = 0;
	int r = read_file(path, KV_FILE_MAX, &text, &n, err);

	if (r < 0)
		return r;
	lines = strv_split(startswith(text, "\xef\xbb\xbf") ?: text, "\n");
	if (!lines)
		return oom(err);
	STRV_FOREACH (l, lines) {
		char *line = *l, *eq;
		size_t klen;

		while (isspace((unsigned char)*line))
			line++;
		line[strcspn(line, "\r")] = 0;
		if (!*line || *line == '#')
			continue;
		eq = strchr(line, '=');
		klen = eq ? (size_t)(eq - line) : strlen(line);
		if (memchr(line, ' ', klen) || memchr(line, '\t', klen))
			return error_set(err, EINVAL, "variable '%.*s' contains whitespaces",
			                 (int)klen, line);
		if (klen == 0)
			return error_set(err, EINVAL, "no variable name on line '%s'", line);
		if (eq) {
			if (strv_push(list, line) < 0)
				return oom(err);
			continue;
		}
		const char *v = lookup_env ? getenv(line) : NULL;
		_cleanup_free_ char *kv = v ? str_printf("%s=%s", line, v) : NULL;
		if (v && (!kv || strv_push(list, kv) < 0))
			return oom(err);
	}
	return 0;
}

static json_t *env_list(const struct flags *f, struct husk_error **err)
{
	_cleanup_strv_ char **env = strv_new();

	if (!env)
		return oom(err), NULL;
	STRV_FOREACH (file, flags_list(f, "env-file"))
		if (kv_file(*file, true, &env, err) < 0)
			return NULL;
	STRV_FOREACH (e, flags_list(f, "env")) {
		/* opts.ValidateEnv: a bare KEY takes our value when we have one */
		const char *v = strchr(*e, '=') ? NULL : getenv(*e);
		_cleanup_free_ char *kv = v ? str_printf("%s=%s", *e, v) : strdup(*e);
		if (!kv || strv_push(&env, kv) < 0)
			return oom(err), NULL;
	}
	return *env ? json_from_strv(env) : json_null();
}

/* "k=v" and bare "k" (value "") as a map with sorted keys. */
static json_t *kv_map(char *const *items, struct husk_error **err)
{
	json_t *m = json_object();

	STRV_FOREACH (it, items) {
		const char *eq = strchr(*it, '=');
		_cleanup_free_ char *k = eq ? strndup(*it, eq - *it) : strdup(*it);
		if (!m || !k || json_object_set_new(m, k, json_string(eq ? eq + 1 : "")) < 0) {
			json_decref(m);
			return oom(err), NULL;
		}
	}
	return json_sorted(m);
}

static json_t *labels_map(const struct flags *f, struct husk_error **err)
{
	_cleanup_strv_ char **all = strv_new();

	if (!all)
		return oom(err), NULL;
	STRV_FOREACH (file, flags_list(f, "label-file"))
		if (kv_file(*file, false, &all, err) < 0)
			return NULL;
	STRV_FOREACH (l, flags_list(f, "label")) {
		_cleanup_free_ char *key = strndup(*l, strcspn(*l, "="));
		_cleanup_free_ char *k = key ? str_strip(key) : NULL;
		if (!k)
			return oom(err), NULL;
		if (!*k) {
			_cleanup_free_ char *why = str_printf("invalid label '%s': empty name", *l);
			return bad_flag(err, "label", *l, why ?: "empty name"), NULL;
		}
		if (strv_push(&all, *l) < 0)
			return oom(err), NULL;
	}
	return kv_map(all, err);
}

/* opts.ValidateSysctl */
static bool sysctl_allowed(const char *kv)
{
	static const char *const names[] = {
	        "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
	        "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};
	const char *eq = strchr(kv, '=');
	size_t n = eq ? (size_t)(eq - kv) : 0;

	if (!eq)
		return false;
	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (strlen(names[i]) == n && strncmp(kv, names[i], n) == 0)
			return true;
	return startswith(kv, "net.") || startswith(kv, "fs.mqueue.");
}

static json_t *sysctl_map(const struct flags *f, struct husk_error **err)
{
	STRV_FOREACH (s, flags_list(f, "sysctl"))
		if (!sysctl_allowed(*s)) {
			_cleanup_free_ char *why = str_printf("sysctl '%s' is not allowed", *s);
			return bad_flag(err, "sysctl", *s, why ?: "not allowed"), NULL;
		}
	return kv_map(flags_list(f, "sysctl"), err);
}

/* ---- attach, command, volumes, ports ---- */

static int attach_streams(const struct flags *f, bool is_run, struct parts *p,
                          struct husk_error **err)
{
	char *const *a = flags_list(f, "attach");

	STRV_FOREACH (s, a) {
		if (strcasecmp(*s, "stdin") == 0)
			p->attach_in = true;
		else if (strcasecmp(*s, "stdout") == 0)
			p->attach_out = true;
		else if (strcasecmp(*s, "stderr") == 0)
			p->attach_err = true;
		else
			return bad_flag(err, "attach", *s,
			                "valid streams are STDIN, STDOUT and STDERR");
	}
	if (flags_bool(f, "interactive"))
		p->attach_in = true;
	if (!*a)
		p->attach_out = p->attach_err = true;
	if (is_run && flags_bool(f, "detach")) {
		if (*a)
			return error_set(err, EINVAL,
			                 "conflicting options: cannot specify both "
			                 "--attach and --detach");
		p->attach_in = p->attach_out = p->attach_err = false;
	}
	return 0;
}

static json_t *strv_json_or_null(char *const *v)
{
	return v && *v ? json_from_strv(v) : json_null();
}

/* -v: binds ("src:dst[:opts]", a relative "./src" made absolute) and
 * anonymous volumes ("/dst" alone, into Config.Volumes). */
static int volume_flags(const struct flags *f, struct parts *p, struct husk_error **err)
{
	_cleanup_strv_ char **binds = strv_new();

	p->volumes = json_object();
	if (!binds || !p->volumes)
		return oom(err);
	STRV_FOREACH (v, flags_list(f, "volume")) {
		const char *colon = strchr(*v, ':');
		size_t parts = 1;

		for (const char *c = *v; *c; c++)
			parts += *c == ':';
		if (!**v || parts > 3 || (colon && (colon == *v || !colon[1] || colon[1] == ':'))) {
			_cleanup_free_ char *why = str_printf("invalid spec: %s", *v);
			return bad_flag(err, "volume", *v, why ?: "invalid spec");
		}
		if (!colon) {
			if (json_object_set_new(p->volumes, *v, json_object()) < 0)
				return oom(err);
			continue;
		}
		_cleanup_free_ char *abs = NULL;
		if ((*v)[0] == '.') { /* "./src:/dst": docker makes the source absolute */
			_cleanup_free_ char *src = strndup(*v, colon - *v);
			_cleanup_free_ char *full = src ? path_absolute(src) : NULL;
			abs = full ? str_printf("%s%s", full, colon) : NULL;
			if (!abs)
				return oom(err);
		}
		if (strv_push(&binds, abs ? abs : *v) < 0)
			return oom(err);
	}
	p->volumes = json_sorted(p->volumes);
	p->binds = strv_json_or_null(binds);
	return p->volumes && p->binds ? 0 : oom(err);
}

static int port_flags(const struct flags *f, struct parts *p, struct husk_error **err)
{
	p->exposed = json_object();
	p->bindings = json_object();
	if (!p->exposed || !p->bindings)
		return oom(err);
	STRV_FOREACH (spec, flags_list(f, "publish"))
		if (ports_parse(*spec, p->exposed, p->bindings, err) < 0)
			return -EINVAL;
	STRV_FOREACH (spec, flags_list(f, "expose"))
		if (expose_parse(*spec, p->exposed, err) < 0)
			return -EINVAL;
	p->exposed = json_sorted(p->exposed);
	p->bindings = json_sorted(p->bindings);
	return p->exposed && p->bindings ? 0 : oom(err);
}

static int duration_flag(const struct flags *f, const char *name, int64_t *ret,
                         struct husk_error **err)
{
	const char *v = flags_string(f, name);
	_cleanup_free_ char *why = NULL;

	*ret = 0;
	if (isempty(v) || parse_go_duration(v, ret) == 0)
		return 0;
	why = str_printf("time: invalid duration \"%s\"", v);
	return bad_flag(err, name, v, why ?: "invalid duration");
}

static int health_flags(const struct flags *f, struct parts *p, struct husk_error **err)
{
	static const char *const names[] = {"health-interval", "health-timeout",
	                                    "health-start-period", "health-start-interval"};
	static const char *const keys[] = {"Interval", "Timeout", "StartPeriod", "StartInterval"};
	const char *cmd = flags_string(f, "health-cmd");
	int64_t d[4], retries = flags_int(f, "health-retries");
	bool any = !isempty(cmd) || retries != 0;

	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		if (duration_flag(f, names[i], &d[i], err) < 0)
			return -EINVAL;
		any = any || d[i] != 0;
	}
	if (flags_bool(f, "no-healthcheck")) {
		if (any)
			return error_set(err, EINVAL,
			                 "--no-healthcheck conflicts with --health-* options");
		p->health = json_pack("{s:[s]}", "Test", "NONE");
		return p->health ? 0 : oom(err);
	}
	if (!any)
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (d[i] < 0)
			return error_set(err, EINVAL, "--%s cannot be negative", names[i]);
	if (retries < 0)
		return error_set(err, EINVAL, "--health-retries cannot be negative");
	p->health = json_object();
	if (!p->health)
		return oom(err);
	if (!isempty(cmd))
		json_object_set_new(p->health, "Test", json_pack("[s,s]", "CMD-SHELL", cmd));
	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if (d[i])
			json_object_set_new(p->health, keys[i], json_integer(d[i]));
	if (retries)
		json_object_set_new(p->health, "Retries", json_integer(retries));
	return 0;
}

/* ---- host config lists ---- */

static json_t *parsed_list(char *const *values,
                           json_t *(*parse)(const char *, struct husk_error **), const char *flag,
                           struct husk_error **err)
{
	_cleanup_json_ json_t *out = json_array();

	if (!out)
		return oom(err), NULL;
	STRV_FOREACH (v, values) {
		json_t *x = parse(*v, err);
		if (!x && flag)
			return bad_flag_err(err, flag, *v), NULL;
		if (!x) /* docker checks these after the flags: its plain words */
			return NULL;
		json_array_append_new(out, x);
	}
	return TAKE_PTR(out);
}

/* --ulimit: one entry per name, the last given wins, in first-seen order. */
static json_t *ulimit_list(const struct flags *f, struct husk_error **err)
{
	_cleanup_json_ json_t *all =
	        parsed_list(flags_list(f, "ulimit"), ulimit_parse, "ulimit", err);
	json_t *out = all ? json_array() : NULL, *u;
	size_t i, j;

	json_array_foreach (all, i, u) {
		json_t *prev;
		bool replaced = false;
		json_array_foreach (out, j, prev)
			if (json_equal(json_object_get(prev, "Name"), json_object_get(u, "Name"))) {
				json_array_set(out, j, u);
				replaced = true;
			}
		if (!replaced)
			json_array_append(out, u);
	}
	return out;
}

static json_t *dns_list(const struct flags *f, struct husk_error **err)
{
	_cleanup_json_ json_t *out = json_array();

	STRV_FOREACH (d, flags_list(f, "dns")) {
		_cleanup_free_ char *ip = ip_canonical(*d, err);
		if (!ip)
			return bad_flag_err(err, "dns", *d), NULL;
		json_array_append_new(out, json_string(ip));
	}
	return TAKE_PTR(out);
}

static json_t *extra_hosts_list(const struct flags *f, struct husk_error **err)
{
	_cleanup_json_ json_t *out = json_array();

	STRV_FOREACH (h, flags_list(f, "add-host")) {
		_cleanup_free_ char *v = extra_host_parse(*h, err);
		if (!v)
			return bad_flag_err(err, "add-host", *h), NULL;
		json_array_append_new(out, json_string(v));
	}
	return json_array_size(out) ? TAKE_PTR(out) : json_null();
}

static json_t *tmpfs_map(const struct flags *f, struct husk_error **err)
{
	json_t *m = json_object();

	STRV_FOREACH (t, flags_list(f, "tmpfs")) {
		const char *colon = strchr(*t, ':');
		_cleanup_free_ char *dst = colon ? strndup(*t, colon - *t) : strdup(*t);
		if (!m || !dst || json_object_set_new(m, dst, json_string(colon ? colon + 1 : "")))
			return json_decref(m), oom(err), NULL;
	}
	return json_sorted(m);
}

static json_t *log_opts_map(const struct flags *f, struct husk_error **err)
{
	char *const *opts = flags_list(f, "log-opt");

	if (*opts && streq(flags_string(f, "log-driver"), "none"))
		return error_set(err, EINVAL, "invalid logging opts for driver none"), NULL;
	return kv_map(opts, err);
}

/* NetworkingConfig.EndpointsConfig: docker sends the default network's
 * empty endpoint, and for one named network only what was asked of it. */
static json_t *endpoints(const struct flags *f, const char *mode)
{
	char *const *aliases = flags_list(f, "network-alias");
	const char *mac = flags_string(f, "mac-address") ?: "";
	json_t *ep;

	if (!*aliases)
		aliases = flags_list(f, "net-alias");
	if (!streq(mode, "default") && !*aliases && !*mac)
		return json_object();
	ep = json_pack("{s:n, s:n, s:o, s:s, s:n, s:i, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:i, "
	               "s:n}",
	               "IPAMConfig", "Links", "Aliases", strv_json_or_null(aliases), "MacAddress",
	               mac, "DriverOpts", "GwPriority", 0, "NetworkID", "", "EndpointID", "",
	               "Gateway", "", "IPAddress", "", "IPPrefixLen", 0, "IPv6Gateway", "",
	               "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0, "DNSNames");
	return ep ? json_pack("{s:o}", mode, ep) : NULL;
}

static const char *network_mode(const struct flags *f)
{
	const char *n = flags_string(f, "network");

	if (isempty(n))
		n = flags_string(f, "net");
	return isempty(n) ? "default" : n;
}

/* ---- namespaces and numbers ---- */

static bool container_ref(const char *mode)
{
	const char *c = startswith(mode, "container:");

	return c && *c;
}

/* docker's check: six hex pairs split by ':' or '-'. */
static int mac_flag(const struct flags *f, struct husk_error **err)
{
	const char *mac = flags_string(f, "mac-address");
	size_t i = 0;

	if (isempty(mac))
		return 0;
	for (; i < 17 && mac[i]; i++)
		if (i % 3 == 2 ? mac[i] != ':' && mac[i] != '-' : !isxdigit((unsigned char)mac[i]))
			break;
	if (i != 17 || mac[i] || mac[2] != mac[5] || mac[5] != mac[8] || mac[8] != mac[11] ||
	    mac[11] != mac[14])
		return error_set(err, EINVAL, "%s is not a valid mac address", mac);
	return 0;
}

static int namespace_flags(const struct flags *f, struct husk_error **err)
{
	/* --ipc is the daemon's to check, as docker leaves it */
	const char *pid = flags_string(f, "pid") ?: "";
	const char *uts = flags_string(f, "uts") ?: "", *userns = flags_string(f, "userns") ?: "";

	if (!(streq(pid, "") || streq(pid, "host") || container_ref(pid)))
		return error_set(err, EINVAL, "--pid: invalid PID mode");
	if (!(streq(uts, "") || streq(uts, "host") || container_ref(uts)))
		return error_set(err, EINVAL, "--uts: invalid UTS mode");
	if (!(streq(userns, "") || streq(userns, "host")))
		return error_set(err, EINVAL, "--userns: invalid USER mode");
	return 0;
}

static int number_flags(const struct flags *f, struct parts *p, struct husk_error **err)
{
	const char *cpus = flags_string(f, "cpus");
	int64_t swappiness = flags_int(f, "memory-swappiness");
	int r;

	if (size_flag(f, "memory", &p->memory, err) < 0 ||
	    size_flag(f, "memory-reservation", &p->memory_reservation, err) < 0 ||
	    size_flag(f, "memory-swap", &p->memory_swap, err) < 0 ||
	    size_flag(f, "kernel-memory", &p->kernel_memory, err) < 0 ||
	    size_flag(f, "shm-size", &p->shm_size, err) < 0)
		return -EINVAL;
	if (!isempty(cpus) && (r = parse_nano_cpus(cpus, &p->nano_cpus)) < 0) {
		_cleanup_free_ char *why =
		        r == -EDOM ? strdup("value is too precise")
		                   : str_printf("failed to parse %s as a rational number", cpus);
		return bad_flag(err, "cpus", cpus, why ?: "invalid value");
	}
	if (swappiness != -1 && (swappiness < 0 || swappiness > 100))
		return error_set(err, EINVAL,
		                 "invalid value: %lld. Valid memory swappiness range is 0-100",
		                 (long long)swappiness);
	return 0;
}

/* ---- assembly ---- */

static int compute_parts(const struct flags *f, bool is_run, struct parts *p,
                         struct husk_error **err)
{
	char *const *args = flags_args(f);
	const char *ep = flags_string(f, "entrypoint");
	const char *restart = flags_string(f, "restart") ?: "no";

	if (attach_streams(f, is_run, p, err) < 0 || number_flags(f, p, err) < 0 ||
	    namespace_flags(f, err) < 0 || mac_flag(f, err) < 0 || volume_flags(f, p, err) < 0 ||
	    port_flags(f, p, err) < 0 || health_flags(f, p, err) < 0)
		return -EINVAL;
	p->cmd = strv_json_or_null(args + 1);
	p->entrypoint = !isempty(ep)                     ? json_pack("[s]", ep)
	                : flags_changed(f, "entrypoint") ? json_pack("[s]", "")
	                                                 : json_null();
	if (!(p->env = env_list(f, err)) || !(p->labels = labels_map(f, err)) ||
	    !(p->log_opts = log_opts_map(f, err)) || !(p->sysctls = sysctl_map(f, err)) ||
	    !(p->tmpfs = tmpfs_map(f, err)) || !(p->dns = dns_list(f, err)) ||
	    !(p->extra_hosts = extra_hosts_list(f, err)) ||
	    !(p->security = security_opts_parse(flags_list(f, "security-opt"), err)))
		return -EINVAL;
	if (!(p->restart = restart_parse(restart, err)))
		return bad_flag_err(err, "restart", restart);
	if (flags_bool(f, "rm") && !streq(restart, "no") && !streq(restart, ""))
		return error_set(err, EINVAL,
		                 "conflicting options: cannot specify both --restart and --rm");
	if (!(p->devices = parsed_list(flags_list(f, "device"), device_parse, NULL, err)) ||
	    !(p->ulimits = ulimit_list(f, err)) ||
	    !(p->mounts = parsed_list(flags_list(f, "mount"), mount_parse, "mount", err)))
		return -EINVAL;
	if (caps_normalize(flags_list(f, "cap-add"), flags_list(f, "cap-drop"), &p->cap_add,
	                   &p->cap_drop) < 0 ||
	    !(p->endpoints = endpoints(f, network_mode(f))) || !p->cmd || !p->entrypoint)
		return oom(err);
	return 0;
}

static json_t *str_or_empty(const struct flags *f, const char *name)
{
	return json_string(flags_string(f, name) ?: "");
}

/* [rows, cols] of our terminal when -t and stdout is one, else [0, 0]. */
static json_t *console_size(bool tty)
{
	struct winsize ws = {0};

	if (!tty || !isatty(STDOUT_FILENO) || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0)
		ws.ws_row = ws.ws_col = 0;
	return json_pack("[i,i]", ws.ws_row, ws.ws_col);
}

static json_t *list_or_empty(char *const *v)
{
	return json_from_strv((char **)v);
}

#define SET(obj, key, value) json_object_set_new(obj, key, value)

static json_t *host_config_resources(const struct flags *f, const struct parts *p, json_t *h)
{
	SET(h, "CpuShares", json_integer(flags_int(f, "cpu-shares")));
	SET(h, "Memory", json_integer(p->memory));
	SET(h, "NanoCpus", json_integer(p->nano_cpus));
	SET(h, "CgroupParent", str_or_empty(f, "cgroup-parent"));
	SET(h, "BlkioWeight", json_integer(flags_int(f, "blkio-weight")));
	static const char *const empty_lists[] = {"BlkioWeightDevice", "BlkioDeviceReadBps",
	                                          "BlkioDeviceWriteBps", "BlkioDeviceReadIOps",
	                                          "BlkioDeviceWriteIOps"};
	for (size_t i = 0; i < ELEMENTSOF(empty_lists); i++)
		SET(h, empty_lists[i], json_array());
	SET(h, "CpuPeriod", json_integer(flags_int(f, "cpu-period")));
	SET(h, "CpuQuota", json_integer(flags_int(f, "cpu-quota")));
	SET(h, "CpuRealtimePeriod", json_integer(0));
	SET(h, "CpuRealtimeRuntime", json_integer(0));
	SET(h, "CpusetCpus", str_or_empty(f, "cpuset-cpus"));
	SET(h, "CpusetMems", str_or_empty(f, "cpuset-mems"));
	SET(h, "Devices", json_incref(p->devices));
	SET(h, "DeviceCgroupRules", json_null());
	SET(h, "DeviceRequests", json_null());
	if (p->kernel_memory)
		SET(h, "KernelMemory", json_integer(p->kernel_memory));
	SET(h, "MemoryReservation", json_integer(p->memory_reservation));
	SET(h, "MemorySwap", json_integer(p->memory_swap));
	SET(h, "MemorySwappiness", json_integer(flags_int(f, "memory-swappiness")));
	SET(h, "OomKillDisable", json_boolean(flags_bool(f, "oom-kill-disable")));
	SET(h, "PidsLimit", json_integer(flags_int(f, "pids-limit")));
	SET(h, "Ulimits", json_incref(p->ulimits));
	SET(h, "CpuCount", json_integer(0));
	SET(h, "CpuPercent", json_integer(0));
	SET(h, "IOMaximumIOps", json_integer(0));
	SET(h, "IOMaximumBandwidth", json_integer(0));
	if (json_array_size(p->mounts))
		SET(h, "Mounts", json_incref(p->mounts));
	SET(h, "MaskedPaths", json_null());
	SET(h, "ReadonlyPaths", json_null());
	if (flags_bool(f, "init"))
		SET(h, "Init", json_true());
	return h;
}

static json_t *host_config(const struct flags *f, const struct parts *p, bool tty)
{
	json_t *h = json_object();
	const char *driver = flags_string(f, "log-driver") ?: "";

	if (!h)
		return NULL;
	SET(h, "Binds", json_incref(p->binds));
	SET(h, "ContainerIDFile", str_or_empty(f, "cidfile"));
	SET(h, "LogConfig", json_pack("{s:s, s:O}", "Type", driver, "Config", p->log_opts));
	SET(h, "NetworkMode", json_string(network_mode(f)));
	SET(h, "PortBindings", json_incref(p->bindings));
	SET(h, "RestartPolicy", json_incref(p->restart));
	SET(h, "AutoRemove", json_boolean(flags_bool(f, "rm")));
	SET(h, "VolumeDriver", json_string(""));
	SET(h, "VolumesFrom", strv_json_or_null(flags_list(f, "volumes-from")));
	SET(h, "ConsoleSize", console_size(tty));
	SET(h, "CapAdd", json_incref(p->cap_add));
	SET(h, "CapDrop", json_incref(p->cap_drop));
	SET(h, "CgroupnsMode", str_or_empty(f, "cgroupns"));
	SET(h, "Dns", json_incref(p->dns));
	SET(h, "DnsOptions", list_or_empty(flags_list(f, "dns-option")));
	SET(h, "DnsSearch", list_or_empty(flags_list(f, "dns-search")));
	SET(h, "ExtraHosts", json_incref(p->extra_hosts));
	SET(h, "GroupAdd", strv_json_or_null(flags_list(f, "group-add")));
	SET(h, "IpcMode", str_or_empty(f, "ipc"));
	SET(h, "Cgroup", json_string(""));
	SET(h, "Links", json_null());
	SET(h, "OomScoreAdj", json_integer(flags_int(f, "oom-score-adj")));
	SET(h, "PidMode", str_or_empty(f, "pid"));
	SET(h, "Privileged", json_boolean(flags_bool(f, "privileged")));
	SET(h, "PublishAllPorts", json_boolean(flags_bool(f, "publish-all")));
	SET(h, "ReadonlyRootfs", json_boolean(flags_bool(f, "read-only")));
	SET(h, "SecurityOpt", json_incref(p->security));
	if (json_object_size(p->tmpfs))
		SET(h, "Tmpfs", json_incref(p->tmpfs));
	SET(h, "UTSMode", str_or_empty(f, "uts"));
	SET(h, "UsernsMode", str_or_empty(f, "userns"));
	SET(h, "ShmSize", json_integer(p->shm_size));
	if (json_object_size(p->sysctls))
		SET(h, "Sysctls", json_incref(p->sysctls));
	if (!isempty(flags_string(f, "runtime")))
		SET(h, "Runtime", str_or_empty(f, "runtime"));
	SET(h, "Isolation", json_string(""));
	return host_config_resources(f, p, h);
}

static json_t *config(const struct flags *f, const struct parts *p, bool tty)
{
	json_t *c = json_object();
	bool stdin_open = flags_bool(f, "interactive");
	const char *stop_signal = flags_string(f, "stop-signal");

	if (!c)
		return NULL;
	SET(c, "Hostname", str_or_empty(f, "hostname"));
	SET(c, "Domainname", str_or_empty(f, "domainname"));
	SET(c, "User", str_or_empty(f, "user"));
	SET(c, "AttachStdin", json_boolean(p->attach_in));
	SET(c, "AttachStdout", json_boolean(p->attach_out));
	SET(c, "AttachStderr", json_boolean(p->attach_err));
	if (json_object_size(p->exposed))
		SET(c, "ExposedPorts", json_incref(p->exposed));
	SET(c, "Tty", json_boolean(tty));
	SET(c, "OpenStdin", json_boolean(stdin_open));
	SET(c, "StdinOnce", json_boolean(p->attach_in));
	SET(c, "Env", json_incref(p->env));
	SET(c, "Cmd", json_incref(p->cmd));
	if (p->health)
		SET(c, "Healthcheck", json_incref(p->health));
	SET(c, "Image", json_string(flags_args(f)[0]));
	SET(c, "Volumes", json_incref(p->volumes));
	SET(c, "WorkingDir", str_or_empty(f, "workdir"));
	SET(c, "Entrypoint", json_incref(p->entrypoint));
	SET(c, "OnBuild", json_null());
	SET(c, "Labels", json_incref(p->labels));
	if (!isempty(stop_signal))
		SET(c, "StopSignal", json_string(stop_signal));
	if (flags_changed(f, "stop-timeout"))
		SET(c, "StopTimeout", json_integer(flags_int(f, "stop-timeout")));
	SET(c, "HostConfig", host_config(f, p, tty));
	SET(c, "NetworkingConfig", json_pack("{s:O}", "EndpointsConfig", p->endpoints));
	return c;
}

static char *dup_flag(const struct flags *f, const char *name)
{
	const char *v = flags_string(f, name);

	return isempty(v) ? NULL : strdup(v);
}

int run_request_parse(const struct flags *f, bool is_run, struct run_request *ret,
                      struct husk_error **err)
{
	struct parts p = {0};
	const char *pull = flags_string(f, "pull") ?: "missing";
	int r;

	*ret = (struct run_request){0};
	if (!streq(pull, "missing") && !streq(pull, "always") && !streq(pull, "never"))
		return error_set(
		        err, EINVAL,
		        "invalid pull option: '%s': must be one of \"always\", \"missing\" "
		        "or \"never\"",
		        pull);
	r = compute_parts(f, is_run, &p, err);
	if (r == 0) {
		ret->body = config(f, &p, flags_bool(f, "tty"));
		ret->name = dup_flag(f, "name");
		ret->platform = dup_flag(f, "platform");
		ret->cidfile = dup_flag(f, "cidfile");
		ret->detach_keys = is_run ? dup_flag(f, "detach-keys") : NULL;
		ret->pull = strdup(pull);
		ret->detach = is_run && flags_bool(f, "detach");
		ret->sig_proxy = is_run && flags_bool(f, "sig-proxy") && !flags_bool(f, "tty");
		ret->quiet = flags_bool(f, "quiet");
		if (!ret->body || !ret->pull)
			r = oom(err);
	}
	parts_release(&p);
	if (r < 0)
		run_request_release(ret);
	return r;
}

void run_request_release(struct run_request *rq)
{
	json_decref(rq->body);
	free(rq->name);
	free(rq->platform);
	free(rq->pull);
	free(rq->cidfile);
	free(rq->detach_keys);
	*rq = (struct run_request){0};
}
