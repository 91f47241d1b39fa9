/* spec_normalize.c — what dockerd does to a create body before it stores
 * it, in its order: the API layer's checks (network mode conflicts,
 * isolation, QoS), validateContainerConfig, validateHostConfig,
 * verifyPlatformContainerSettings (resources and namespace modes),
 * adaptContainerSettings (defaults), the merge of the image's config,
 * parseSecurityOpt, registerMountPoints and the default masked paths; then
 * what runc would only refuse at start (ulimits, sysctls, devices, the
 * seccomp profile), refused at create instead.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <inttypes.h>
#include <string.h>
#include <strings.h>

#include "base/fs.h"
#include "engine/spec_build_internal.h"
#include "oci/runtime_spec.h"

#define HC               "HostConfig"
#define MIN_DURATION_NS  1000000 /* Go's MinimumDuration: 1ms */
#define HOSTNAME_MAX_LEN 64

/* ---- Docker's defaults ---- */

json_t *sb_default_masked_paths(void)
{
	return json_pack("[s,s,s,s,s,s,s,s,s,s,s,s]", "/proc/asound", "/proc/acpi",
	                 "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
	                 "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
	                 "/sys/firmware", "/sys/devices/virtual/powercap");
}

json_t *sb_default_readonly_paths(void)
{
	return json_pack("[s,s,s,s,s]", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
	                 "/proc/sysrq-trigger");
}

/* ---- types of the fields we read ---- */

enum ftype { T_STR, T_BOOL, T_INT, T_OBJ, T_ARR, T_STRV, T_STRSLICE, T_STRMAP };

struct fdesc {
	const char *key;
	enum ftype type;
};

static const struct fdesc config_fields[] = {
        {"Hostname", T_STR},      {"Domainname", T_STR},
        {"User", T_STR},          {"AttachStdin", T_BOOL},
        {"AttachStdout", T_BOOL}, {"AttachStderr", T_BOOL},
        {"Tty", T_BOOL},          {"OpenStdin", T_BOOL},
        {"StdinOnce", T_BOOL},    {"Env", T_STRV},
        {"Cmd", T_STRSLICE},      {"Entrypoint", T_STRSLICE},
        {"Shell", T_STRSLICE},    {"Image", T_STR},
        {"WorkingDir", T_STR},    {"Labels", T_STRMAP},
        {"Volumes", T_OBJ},       {"ExposedPorts", T_OBJ},
        {"StopSignal", T_STR},    {"StopTimeout", T_INT},
        {"Healthcheck", T_OBJ},   {"NetworkDisabled", T_BOOL},
        {"MacAddress", T_STR},    {"OnBuild", T_STRV},
        {"HostConfig", T_OBJ},    {"NetworkingConfig", T_OBJ},
};

static const struct fdesc host_fields[] = {
        {"Binds", T_STRV},
        {"NetworkMode", T_STR},
        {"PortBindings", T_OBJ},
        {"RestartPolicy", T_OBJ},
        {"AutoRemove", T_BOOL},
        {"VolumeDriver", T_STR},
        {"VolumesFrom", T_STRV},
        {"ConsoleSize", T_ARR},
        {"CapAdd", T_STRV},
        {"CapDrop", T_STRV},
        {"CgroupnsMode", T_STR},
        {"Dns", T_STRV},
        {"DnsOptions", T_STRV},
        {"DnsSearch", T_STRV},
        {"ExtraHosts", T_STRV},
        {"GroupAdd", T_STRV},
        {"IpcMode", T_STR},
        {"Cgroup", T_STR},
        {"Links", T_STRV},
        {"OomScoreAdj", T_INT},
        {"PidMode", T_STR},
        {"Privileged", T_BOOL},
        {"PublishAllPorts", T_BOOL},
        {"ReadonlyRootfs", T_BOOL},
        {"SecurityOpt", T_STRV},
        {"StorageOpt", T_STRMAP},
        {"Tmpfs", T_STRMAP},
        {"UTSMode", T_STR},
        {"UsernsMode", T_STR},
        {"ShmSize", T_INT},
        {"Sysctls", T_STRMAP},
        {"Runtime", T_STR},
        {"Isolation", T_STR},
        {"CgroupParent", T_STR},
        {"Ulimits", T_ARR},
        {"Devices", T_ARR},
        {"DeviceCgroupRules", T_STRV},
        {"DeviceRequests", T_ARR},
        {"Mounts", T_ARR},
        {"MaskedPaths", T_STRV},
        {"ReadonlyPaths", T_STRV},
        {"Init", T_BOOL},
        {"LogConfig", T_OBJ},
        {"Annotations", T_STRMAP},
        {"BlkioWeightDevice", T_ARR},
        {"BlkioDeviceReadBps", T_ARR},
        {"BlkioDeviceWriteBps", T_ARR},
        {"BlkioDeviceReadIOps", T_ARR},
        {"BlkioDeviceWriteIOps", T_ARR},
};

static int check_field(json_t *obj, const char *path, const struct fdesc *f,
                       struct husk_error **err)
{
	_cleanup_strv_ char **l = NULL;
	json_t *o;
	const char *s;
	int64_t i;
	bool b;

	switch (f->type) {
	case T_STR:
		return sb_str(obj, path, f->key, &s, err);
	case T_BOOL:
		return sb_bool(obj, path, f->key, &b, err);
	case T_INT:
		return sb_i64(obj, path, f->key, &i, err);
	case T_OBJ:
		return sb_obj(obj, path, f->key, &o, err);
	case T_ARR:
		return sb_arr(obj, path, f->key, &o, err);
	case T_STRV:
		return sb_strv(obj, path, f->key, false, &l, err);
	case T_STRMAP:
		return sb_str_map(obj, path, f->key, &o, err);
	case T_STRSLICE:
		if (sb_strv(obj, path, f->key, true, &l, err) < 0)
			return -EINVAL;
		/* StrSlice: a lone string is a one-element list. */
		if (json_is_string(json_object_get(obj, f->key)))
			return sb_set(obj, f->key, json_from_strv(l), err);
		return 0;
	}
	return 0;
}

static int check_types(json_t *body, json_t *hc, struct husk_error **err)
{
	for (size_t i = 0; i < ELEMENTSOF(config_fields); i++)
		if (check_field(body, "", &config_fields[i], err) < 0)
			return -EINVAL;
	for (size_t i = 0; i < ELEMENTSOF(host_fields); i++)
		if (check_field(hc, HC, &host_fields[i], err) < 0)
			return -EINVAL;
	return 0;
}

/* ---- the API layer: validateNetMode, validateIsolation ---- */

static bool nonempty_key(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_array(v)    ? json_array_size(v) > 0
	       : json_is_object(v) ? json_object_size(v) > 0
	       : json_is_string(v) ? json_string_length(v) > 0
	                           : json_is_true(v);
}

static int check_net_mode(json_t *body, json_t *hc, struct husk_error **err)
{
	const char *net = json_string_value(json_object_get(hc, "NetworkMode"));
	const char *uts = json_string_value(json_object_get(hc, "UTSMode"));
	bool container = startswith(net ? net : "", "container:") != NULL;
	bool host = streq(net, "host"), hostname = nonempty_key(body, "Hostname");

	if (container && isempty(sb_mode_container(net)))
		return sb_fail(err, "Invalid network mode: invalid container format "
		                    "container:<name|id>");
	if (container && hostname)
		return sb_fail(err, "conflicting options: hostname and the network mode");
	if (container && nonempty_key(hc, "Links"))
		return sb_fail(err,
		               "conflicting options: container type network can't be used with "
		               "links. This would result in undefined behavior");
	if (container && nonempty_key(hc, "Dns"))
		return sb_fail(err, "conflicting options: dns and the network mode");
	if (container && nonempty_key(hc, "ExtraHosts"))
		return sb_fail(err,
		               "conflicting options: custom host-to-IP mapping and the network "
		               "mode");
	if ((container || host) && nonempty_key(body, "MacAddress"))
		return sb_fail(err, "conflicting options: mac-address and the network mode");
	if (container && (nonempty_key(hc, "PortBindings") || nonempty_key(hc, "PublishAllPorts")))
		return sb_fail(err, "conflicting options: port publishing and the container type "
		                    "network mode");
	if (container && nonempty_key(body, "ExposedPorts"))
		return sb_fail(err,
		               "conflicting options: port exposing and the container type network "
		               "mode");
	if (streq(uts, "host") && hostname)
		return sb_fail(err, "conflicting options: hostname and the UTS mode");
	if (host && nonempty_key(hc, "Links"))
		return sb_fail(err, "conflicting options: host type networking can't be used with "
		                    "links. This would result in undefined behavior");
	return 0;
}

static int check_isolation(json_t *hc, struct husk_error **err)
{
	const char *iso = json_string_value(json_object_get(hc, "Isolation"));

	if (!isempty(iso) && strcasecmp(iso, "default") != 0)
		return sb_fail(err, "Invalid isolation: \"%s\" - linux only supports 'default'",
		               iso);
	return 0;
}

/* ---- validateContainerConfig ---- */

static int check_signal(const char *sig, struct husk_error **err)
{
	char up[32];
	int64_t n;
	int num;
	size_t i;

	if (isempty(sig))
		return 0;
	if (str_to_int64(sig, &n) == 0) {
		if (n <= 0 || n > 64)
			return sb_fail(err, "Invalid signal: %s", sig);
		return 0;
	}
	for (i = 0; sig[i] && i + 1 < sizeof(up); i++)
		up[i] = (char)toupper((unsigned char)sig[i]);
	up[i] = '\0';
	if (sig[i] || oci_signal_from_name(up, &num) < 0)
		return sb_fail(err, "Invalid signal: %s", sig);
	return 0;
}

/* dockerd's validateHealthCheck, in its order (Retries is the third). */
static int check_healthcheck(json_t *body, struct husk_error **err)
{
	static const char *const fields[] = {"Interval", "Timeout", "Retries", "StartPeriod",
	                                     "StartInterval"};
	json_t *hc = json_object_get(body, "Healthcheck");
	_cleanup_strv_ char **test = NULL;
	int64_t v;

	if (!json_is_object(hc))
		return 0;
	if (sb_strv(hc, "Healthcheck", "Test", false, &test, err) < 0)
		return -EINVAL;
	for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
		v = 0;
		if (sb_i64(hc, "Healthcheck", fields[i], &v, err) < 0)
			return -EINVAL;
		if (streq(fields[i], "Retries") && v < 0)
			return sb_fail(err, "Retries in Healthcheck cannot be negative");
		if (!streq(fields[i], "Retries") && v != 0 && v < MIN_DURATION_NS)
			return sb_fail(err, "%s in Healthcheck cannot be less than 1ms", fields[i]);
	}
	return 0;
}

static int check_config(json_t *body, struct husk_error **err)
{
	const char *wd = json_string_value(json_object_get(body, "WorkingDir"));
	const char *host = json_string_value(json_object_get(body, "Hostname"));
	json_t *env = json_object_get(body, "Env"), *e;
	size_t i;

	if (!isempty(wd) && !path_is_absolute(wd))
		return sb_fail(err,
		               "the working directory '%s' is invalid, it needs to be an absolute "
		               "path",
		               wd);
	if (host && strlen(host) > HOSTNAME_MAX_LEN)
		return sb_fail(err, "invalid hostname \"%s\": longer than %d characters", host,
		               HOSTNAME_MAX_LEN);
	if (check_signal(json_string_value(json_object_get(body, "StopSignal")), err) < 0)
		return -EINVAL;
	json_array_foreach (env, i, e) {
		const char *s = json_string_value(e);

		if (!s || !*s || *s == '=')
			return sb_fail(err, "invalid environment variable: %s", s ? s : "");
	}
	return check_healthcheck(body, err);
}

/* ---- validateHostConfig ---- */

static int check_restart_policy(json_t *hc, struct husk_error **err)
{
	json_t *rp = json_object_get(hc, "RestartPolicy");
	const char *name = NULL;
	int64_t max = 0;
	bool auto_remove = json_is_true(json_object_get(hc, "AutoRemove"));

	if (sb_str(rp, HC ".RestartPolicy", "Name", &name, err) < 0 ||
	    sb_i64(rp, HC ".RestartPolicy", "MaximumRetryCount", &max, err) < 0)
		return -EINVAL;
	if (auto_remove && !isempty(name) && !streq(name, "no"))
		return sb_fail(err, "can't create 'AutoRemove' container with restart policy");
	if (streq(name, "always") || streq(name, "unless-stopped") || streq(name, "no")) {
		if (max != 0)
			return sb_fail(
			        err,
			        "invalid restart policy: maximum retry count can only be used "
			        "with 'on-failure'%s",
			        max < 0 ? " and cannot be negative" : "");
	} else if (streq(name, "on-failure")) {
		if (max < 0)
			return sb_fail(err, "invalid restart policy: maximum retry count cannot be "
			                    "negative");
	} else if (!isempty(name)) {
		return sb_fail(err,
		               "invalid restart policy: unknown policy '%s'; use one of 'no', "
		               "'always', 'on-failure', or 'unless-stopped'",
		               name);
	}
	return 0;
}

static bool valid_ip(const char *s)
{
	unsigned char buf[16];
	_cleanup_free_ char *t = str_strip(s);

	return t && (inet_pton(AF_INET, t, buf) == 1 || inet_pton(AF_INET6, t, buf) == 1);
}

static int check_extra_hosts(json_t *hc, struct husk_error **err)
{
	json_t *a = json_object_get(hc, "ExtraHosts"), *v;
	size_t i;

	json_array_foreach (a, i, v) {
		const char *s = json_string_value(v), *colon = strchr(s, ':');

		if (!colon || colon == s)
			return sb_fail(err, "bad format for add-host: \"%s\"", s);
		if (!streq(colon + 1, "host-gateway") && !valid_ip(colon + 1))
			return sb_fail(err, "invalid IP address in add-host: \"%s\"", colon + 1);
	}
	return 0;
}

/* "80", "8000-8010" or "" (nat.ParsePortRangeToInt); single: one port. */
static bool valid_port(const char *s, size_t n, bool range_ok)
{
	const char *dash = memchr(s, '-', n);
	unsigned long a = 0, b = 0;

	if (n == 0)
		return true;
	if (dash && !range_ok)
		return false;
	for (const char *p = s; p < (dash ? dash : s + n); p++) {
		if (!isdigit((unsigned char)*p) || (a = a * 10 + (unsigned long)(*p - '0')) > 65535)
			return false;
	}
	if (!dash)
		return true;
	if (dash == s || dash + 1 == s + n)
		return false;
	for (const char *p = dash + 1; p < s + n; p++)
		if (!isdigit((unsigned char)*p) || (b = b * 10 + (unsigned long)(*p - '0')) > 65535)
			return false;
	return b >= a;
}

static int check_port_bindings(json_t *hc, struct husk_error **err)
{
	json_t *pb = json_object_get(hc, "PortBindings"), *list, *b;
	const char *port;
	size_t i;

	json_object_foreach (pb, port, list) {
		size_t n = strcspn(port, "/");

		if (!valid_port(port, n, false) || n == 0)
			return sb_fail(err, "invalid port specification: \"%.*s\"", (int)n, port);
		if (!json_is_null(list) && !json_is_array(list))
			return sb_fail(err, HC ".PortBindings[\"%s\"]: expected an array", port);
		json_array_foreach (list, i, b) {
			const char *hp = NULL;

			if (sb_str(b, HC ".PortBindings", "HostPort", &hp, err) < 0)
				return -EINVAL;
			if (hp && !valid_port(hp, strcspn(hp, "/"), true))
				return sb_fail(err, "invalid port specification: \"%s\"", hp);
		}
	}
	return 0;
}

static int check_host_config(json_t *hc, const struct spec_host *h, struct husk_error **err)
{
	if (sb_check_mounts(hc, err) < 0 || check_extra_hosts(hc, err) < 0 ||
	    check_port_bindings(hc, err) < 0 || check_restart_policy(hc, err) < 0 ||
	    sb_check_caps(hc, h, err) < 0)
		return -EINVAL;
	return 0;
}

/* ---- verifyPlatformContainerSettings ---- */

static int check_mode(json_t *hc, const char *key, const char *what, const char *const *ok,
                      bool container_ok, struct husk_error **err)
{
	const char *m = json_string_value(json_object_get(hc, key));
	const char *c = sb_mode_container(m);

	if (isempty(m) || (container_ok && !isempty(c) && !strchr(c, ':')))
		return 0;
	for (const char *const *o = ok; *o; o++)
		if (streq(m, *o))
			return 0;
	return sb_fail(err, "invalid %s mode: %s", what, m);
}

static int check_modes(json_t *hc, struct husk_error **err)
{
	static const char *const ipc[] = {"none", "private", "shareable", "host", NULL};
	static const char *const pid[] = {"host", NULL};
	static const char *const uts[] = {"host", NULL};
	static const char *const userns[] = {"host", "private", NULL};
	static const char *const cgroupns[] = {"host", "private", NULL};
	int64_t shm = 0, oom = 0;

	if (check_mode(hc, "IpcMode", "IPC", ipc, true, err) < 0 ||
	    check_mode(hc, "PidMode", "PID", pid, true, err) < 0)
		return -EINVAL;
	if (sb_i64(hc, HC, "ShmSize", &shm, err) < 0 ||
	    sb_i64(hc, HC, "OomScoreAdj", &oom, err) < 0)
		return -EINVAL;
	if (shm < 0)
		return sb_fail(err, "SHM size can not be less than 0");
	if (check_mode(hc, "UTSMode", "UTS", uts, false, err) < 0)
		return -EINVAL;
	if (oom < -1000 || oom > 1000)
		return sb_fail(
		        err, "Invalid value %" PRId64 ", range for oom score adj is [-1000, 1000]",
		        oom);
	if (check_mode(hc, "UsernsMode", "userns", userns, false, err) < 0 ||
	    check_mode(hc, "CgroupnsMode", "cgroup namespace", cgroupns, false, err) < 0)
		return -EINVAL;
	return 0;
}

static int check_runtime(json_t *hc, struct husk_error **err)
{
	const char *rt = json_string_value(json_object_get(hc, "Runtime"));

	if (isempty(rt))
		return sb_set(hc, "Runtime", json_string("runc"), err);
	if (!streq(rt, "runc") && !streq(rt, "husk") && !streq(rt, "io.containerd.runc.v2"))
		return sb_fail(err, "unknown or invalid runtime name: %s", rt);
	return 0;
}

static int verify_platform(json_t *hc, const struct spec_host *h, json_t *warnings,
                           struct husk_error **err)
{
	const char *net = json_string_value(json_object_get(hc, "NetworkMode"));
	int r;

	if ((r = sb_check_resources(hc, h, false, warnings, err)) < 0 ||
	    (r = check_modes(hc, err)) < 0)
		return r;
	if (streq(net, "host") && nonempty_key(hc, "PortBindings") && warnings &&
	    json_array_append_new(warnings,
	                          json_string("Published ports are discarded when using host "
	                                      "network mode")) < 0)
		return sb_oom(err);
	return check_runtime(hc, err);
}

/* ---- adaptContainerSettings ---- */

static int set_default(json_t *obj, const char *key, json_t *v, struct husk_error **err)
{
	json_t *cur = json_object_get(obj, key);

	if (cur && !json_is_null(cur) && !(json_is_string(cur) && !json_string_length(cur)) &&
	    !(json_is_integer(cur) && !json_integer_value(cur))) {
		json_decref(v);
		return 0;
	}
	return sb_set(obj, key, v, err);
}

static int adapt(json_t *hc, const struct spec_host *h, struct husk_error **err)
{
	int64_t mem = 0, swap = 0;
	json_t *rp = json_object_get(hc, "RestartPolicy");

	sb_i64(hc, HC, "Memory", &mem, NULL);
	sb_i64(hc, HC, "MemorySwap", &swap, NULL);
	if (!json_is_object(rp)) {
		if (sb_set(hc, "RestartPolicy", json_object(), err) < 0)
			return -ENOMEM;
		rp = json_object_get(hc, "RestartPolicy");
	}
	if (set_default(rp, "Name", json_string("no"), err) < 0 ||
	    (!json_object_get(rp, "MaximumRetryCount") &&
	     sb_set(rp, "MaximumRetryCount", json_integer(0), err) < 0))
		return -ENOMEM;
	if (mem > 0 && swap == 0 && sb_set(hc, "MemorySwap", json_integer(mem * 2), err) < 0)
		return -ENOMEM;
	if (set_default(hc, "ShmSize", json_integer(SPEC_DEFAULT_SHM_SIZE), err) < 0 ||
	    set_default(hc, "IpcMode", json_string("private"), err) < 0 ||
	    /* private on cgroup v2 (even Privileged), the host's elsewhere */
	    set_default(hc, "CgroupnsMode", json_string(h->cgroup_v2 ? "private" : "host"), err) <
	            0 ||
	    set_default(hc, "NetworkMode", json_string("default"), err) < 0)
		return -ENOMEM;
	if (!json_is_boolean(json_object_get(hc, "OomKillDisable")) &&
	    sb_set(hc, "OomKillDisable", json_false(), err) < 0)
		return -ENOMEM;
	/* spec_resources() tells a stored HostConfig from an update body by it */
	if (!json_is_boolean(json_object_get(hc, "Privileged")) &&
	    sb_set(hc, "Privileged", json_false(), err) < 0)
		return -ENOMEM;
	return 0;
}

/* ---- merge with the image's config ---- */

static const char *env_key_end(const char *e)
{
	return e + strcspn(e, "=");
}

static bool env_has_key(json_t *env, const char *entry)
{
	size_t n = (size_t)(env_key_end(entry) - entry), i;
	json_t *v;

	json_array_foreach (env, i, v) {
		const char *s = json_string_value(v);

		if (s && (size_t)(env_key_end(s) - s) == n && !strncmp(s, entry, n))
			return true;
	}
	return false;
}

static int merge_env(json_t *body, json_t *img, struct husk_error **err)
{
	json_t *user = json_object_get(body, "Env"), *ienv = json_object_get(img, "Env"), *v;
	size_t i;

	if (!json_is_array(ienv))
		return 0;
	if (!json_array_size(user))
		return sb_set(body, "Env", json_deep_copy(ienv), err);
	json_array_foreach (ienv, i, v)
		if (json_is_string(v) && !env_has_key(user, json_string_value(v)) &&
		    json_array_append(user, v) < 0)
			return sb_oom(err);
	return 0;
}

/* Add the keys of the image's object the user's lacks (ExposedPorts,
 * Labels), or (Volumes) all of them. */
static int merge_map(json_t *body, json_t *img, const char *key, bool image_wins,
                     struct husk_error **err)
{
	json_t *u = json_object_get(body, key), *i = json_object_get(img, key), *v;
	const char *k;

	if (!json_is_object(i))
		return 0;
	if (!json_is_object(u)) {
		if (sb_set(body, key, json_object(), err) < 0)
			return -ENOMEM;
		u = json_object_get(body, key);
	}
	json_object_foreach (i, k, v)
		if ((image_wins || !json_object_get(u, k)) && json_object_set(u, k, v) < 0)
			return sb_oom(err);
	return 0;
}

static int merge_if_unset(json_t *body, json_t *img, const char *key, struct husk_error **err)
{
	json_t *u = json_object_get(body, key), *i = json_object_get(img, key);

	if (!i || json_is_null(i) ||
	    (u && !json_is_null(u) && !(json_is_string(u) && !json_string_length(u))))
		return 0;
	return sb_set(body, key, json_deep_copy(i), err);
}

static const char *const health_keys[] = {"Test",        "Interval",      "Timeout",
                                          "StartPeriod", "StartInterval", "Retries"};

static bool health_unset(json_t *v)
{
	return !v || json_is_null(v) || (json_is_integer(v) && !json_integer_value(v)) ||
	       (json_is_array(v) && !json_array_size(v));
}

/* dockerd's merge(): each unset field of the user's from the image's; then
 * HealthConfig's field order without the empty ones (its omitempty), so
 * inspect prints what dockerd prints. */
static int merge_healthcheck(json_t *body, json_t *img, struct husk_error **err)
{
	json_t *u = json_object_get(body, "Healthcheck"), *i = json_object_get(img, "Healthcheck");
	json_t *out;

	if (!json_is_object(u) && !json_is_object(i))
		return 0;
	if (!json_is_object(u))
		u = i;
	if (!(out = json_object()))
		return sb_oom(err);
	for (size_t k = 0; k < ELEMENTSOF(health_keys); k++) {
		json_t *v = json_object_get(u, health_keys[k]);

		if (health_unset(v) && json_is_object(i))
			v = json_object_get(i, health_keys[k]);
		if (!health_unset(v) && json_object_set(out, health_keys[k], v) < 0) {
			json_decref(out);
			return sb_oom(err);
		}
	}
	return sb_set(body, "Healthcheck", out, err);
}

/* dockerd's merge(): Entrypoint given → the image's Cmd is not used. */
static int merge_command(json_t *body, json_t *img, struct husk_error **err)
{
	json_t *ep = json_object_get(body, "Entrypoint"), *cmd = json_object_get(body, "Cmd");

	if (json_array_size(ep))
		return 0;
	if (!json_array_size(cmd) && json_is_array(json_object_get(img, "Cmd")) &&
	    sb_set(body, "Cmd", json_deep_copy(json_object_get(img, "Cmd")), err) < 0)
		return -ENOMEM;
	if ((!ep || json_is_null(ep)) && json_is_array(json_object_get(img, "Entrypoint")) &&
	    sb_set(body, "Entrypoint", json_deep_copy(json_object_get(img, "Entrypoint")), err) < 0)
		return -ENOMEM;
	return 0;
}

static int merge_image(json_t *body, json_t *img, struct husk_error **err)
{
	json_t *labels = json_object_get(body, "Labels");

	if (!json_is_object(img))
		return 0;
	if (!json_is_object(labels) && sb_set(body, "Labels", json_object(), err) < 0)
		return -ENOMEM;
	if (merge_if_unset(body, img, "User", err) < 0 ||
	    merge_map(body, img, "ExposedPorts", false, err) < 0 || merge_env(body, img, err) < 0 ||
	    merge_map(body, img, "Labels", false, err) < 0 || merge_command(body, img, err) < 0 ||
	    merge_healthcheck(body, img, err) < 0 ||
	    merge_if_unset(body, img, "WorkingDir", err) < 0 ||
	    merge_map(body, img, "Volumes", true, err) < 0 ||
	    merge_if_unset(body, img, "StopSignal", err) < 0)
		return -ENOMEM;
	return 0;
}

/* mergeAndVerifyConfig's tail: [""] resets the Entrypoint; something must
 * run. */
static int verify_command(json_t *body, struct husk_error **err)
{
	json_t *ep = json_object_get(body, "Entrypoint");

	if (json_array_size(ep) == 1 && streq(json_string_value(json_array_get(ep, 0)), "") &&
	    sb_set(body, "Entrypoint", json_null(), err) < 0)
		return -ENOMEM;
	if (!json_array_size(json_object_get(body, "Entrypoint")) &&
	    !json_array_size(json_object_get(body, "Cmd")))
		return sb_fail(err, "no command specified");
	return 0;
}

/* ---- after the merge: security options, mounts, start-time checks ---- */

static int check_security(json_t *hc, const struct spec_host *h, struct husk_error **err)
{
	struct sb_security s;
	_cleanup_json_ json_t *seccomp = NULL;
	uint64_t caps = 0;
	int r;

	if ((r = sb_security_parse(hc, &s, err)) < 0)
		return r;
	r = spec_capabilities(hc, h, &caps, err);
	/* a profile of the user's: through the runtime's parser now (the
	 * builtin one needs no check) */
	if (r >= 0 && s.seccomp && !streq(s.seccomp, "builtin"))
		r = sb_seccomp(&s, json_is_true(json_object_get(hc, "Privileged")), caps, h,
		               &seccomp, err);
	if (r >= 0)
		r = sb_seccomp_check(seccomp, err);
	sb_security_release(&s);
	return r;
}

static int default_paths(json_t *hc, struct husk_error **err)
{
	json_t *m = json_object_get(hc, "MaskedPaths"), *ro = json_object_get(hc, "ReadonlyPaths");

	if (json_is_true(json_object_get(hc, "Privileged")))
		return 0;
	if ((!m || json_is_null(m)) &&
	    sb_set(hc, "MaskedPaths", sb_default_masked_paths(), err) < 0)
		return -ENOMEM;
	if ((!ro || json_is_null(ro)) &&
	    sb_set(hc, "ReadonlyPaths", sb_default_readonly_paths(), err) < 0)
		return -ENOMEM;
	return 0;
}

static int normalize(json_t *body, json_t *hc, json_t *img, const struct spec_host *h,
                     json_t *warnings, struct husk_error **err)
{
	int r;

	if ((r = check_types(body, hc, err)) < 0 || (r = check_net_mode(body, hc, err)) < 0 ||
	    (r = check_isolation(hc, err)) < 0 || (r = check_config(body, err)) < 0 ||
	    (r = check_host_config(hc, h, err)) < 0 ||
	    (r = verify_platform(hc, h, warnings, err)) < 0)
		return r;
	if ((r = adapt(hc, h, err)) < 0 || (r = merge_image(body, img, err)) < 0 ||
	    (r = verify_command(body, err)) < 0 || (r = check_security(hc, h, err)) < 0)
		return r;
	if ((r = sb_check_ulimits(hc, err)) < 0 || (r = sb_check_sysctls(hc, err)) < 0 ||
	    (r = sb_check_devices(hc, err)) < 0)
		return r;
	return default_paths(hc, err);
}

int spec_normalize_create_host(json_t *body, json_t *image_config, const struct spec_host *host,
                               json_t *ret_warnings, json_t **ret, struct husk_error **err)
{
	_cleanup_json_ json_t *copy = NULL;
	struct spec_host probed;
	json_t *hc;
	int r;

	if (!json_is_object(body))
		return sb_fail(err, "Config cannot be empty in order to create a container");
	if (image_config && !json_is_null(image_config) && !json_is_object(image_config))
		return sb_fail(err, "image config: expected an object");
	if (!host) {
		spec_host_probe(&probed);
		host = &probed;
	}
	if (!(copy = json_deep_copy(body)))
		return sb_oom(err);
	if (sb_obj(copy, "", "HostConfig", &hc, err) < 0)
		return -EINVAL;
	if (!hc) {
		if (sb_set(copy, "HostConfig", json_object(), err) < 0)
			return -ENOMEM;
		hc = json_object_get(copy, "HostConfig");
	}
	if ((r = normalize(copy, hc, image_config, host, ret_warnings, err)) < 0)
		return r;
	*ret = TAKE_PTR(copy);
	return 0;
}

int spec_normalize_create(json_t *body, json_t *image_config, json_t *ret_warnings, json_t **ret,
                          struct husk_error **err)
{
	return spec_normalize_create_host(body, image_config, NULL, ret_warnings, ret, err);
}
