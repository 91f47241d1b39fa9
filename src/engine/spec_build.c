/* spec_build.c — config.json for a container, as dockerd's createSpec
 * writes it over its DefaultLinuxSpec: process (args, env, user, caps,
 * rlimits, LSM labels), root, hostname, mounts (spec_mounts.c), and linux
 * (namespaces, id mappings, cgroups path, resources, devices, sysctls,
 * masked paths, seccomp). The result is checked with the runtime's own
 * parser before it is handed back, so a spec that husk-runtime would
 * refuse is refused here, with the runtime's words.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fs.h"
#include "engine/spec_build_internal.h"
#include "oci/runtime_spec.h"

#define HC            "HostConfig"
#define OCI_VERSION   "1.1.0"
#define DEFAULT_PATH  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define CGROUP_PARENT "/husk"
#define ID_CHARS      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_.-"

/* What one spec_build() call works from. */
struct build {
	const struct spec_input *in;
	const struct spec_host *h;
	json_t *body, *hc;
	struct sb_security sec;
	uint64_t caps;
	struct spec_user user;
	char *hostname; /* Config.Hostname, or dockerd's default */
	bool privileged, tty, new_uts, new_user, private_pid;
	const char *pid_mode, *ipc_mode, *net_mode, *uts_mode, *userns_mode, *cgroupns_mode;
};

/* ---- process ---- */

/* Entrypoint + Cmd, behind the init binary when HostConfig.Init asks for
 * it and the container has its own PID namespace. */
static int args_json(struct build *b, json_t **ret, struct husk_error **err)
{
	json_t *ep = json_object_get(b->body, "Entrypoint"), *cmd = json_object_get(b->body, "Cmd");
	_cleanup_json_ json_t *a = json_array();
	bool init = json_is_true(json_object_get(b->hc, "Init"));

	if (!a)
		return sb_oom(err);
	if (init && b->private_pid &&
	    (json_array_append_new(a, json_string(SPEC_INIT_PATH)) < 0 ||
	     json_array_append_new(a, json_string("--")) < 0))
		return sb_oom(err);
	if ((json_is_array(ep) && json_array_extend(a, ep) < 0) ||
	    (json_is_array(cmd) && json_array_extend(a, cmd) < 0))
		return sb_oom(err);
	if (json_array_size(a) == (init && b->private_pid ? 2u : 0u))
		return sb_fail(err, "no command specified");
	*ret = TAKE_PTR(a);
	return 0;
}

/* dockerd's ReplaceOrAppendEnvValues: an override replaces a default of
 * the same key, a bare KEY removes it, anything else is appended. */
static int env_override(json_t *env, size_t n_defaults, const char *v)
{
	const char *eq = strchr(v, '=');
	size_t klen = eq ? (size_t)(eq - v) : strlen(v);

	for (size_t i = 0; i < n_defaults; i++) {
		const char *d = json_string_value(json_array_get(env, i));

		if (d && !strncmp(d, v, klen) && d[klen] == '=')
			return json_array_set_new(env, i, eq ? json_string(v) : json_null());
	}
	return eq ? json_array_append_new(env, json_string(v)) : 0;
}

/* CreateDaemonEnvironment: PATH, HOSTNAME, TERM for a tty, then Env. */
static int env_json(struct build *b, json_t **ret, struct husk_error **err)
{
	_cleanup_free_ char *h = str_printf("HOSTNAME=%s", b->hostname);
	_cleanup_json_ json_t *env = json_array(), *out = json_array();
	json_t *user = json_object_get(b->body, "Env"), *v;
	size_t i, n;

	if (!env || !out || !h || json_array_append_new(env, json_string(DEFAULT_PATH)) < 0 ||
	    json_array_append_new(env, json_string(h)) < 0 ||
	    (b->tty && json_array_append_new(env, json_string("TERM=xterm")) < 0))
		return sb_oom(err);
	n = json_array_size(env);
	json_array_foreach (user, i, v)
		if (json_is_string(v) && env_override(env, n, json_string_value(v)) < 0)
			return sb_oom(err);
	json_array_foreach (env, i, v)
		if (!json_is_null(v) && json_array_append(out, v) < 0)
			return sb_oom(err);
	*ret = TAKE_PTR(out);
	return 0;
}

/* The bounding set; effective and permitted only for root, as execve
 * would leave them for anyone else (dockerd's SetCapabilities). */
static json_t *caps_json(struct build *b)
{
	json_t *set = sb_caps_json(b->caps, b->h->last_cap);

	if (!set)
		return NULL;
	if (b->user.uid != 0)
		return json_pack("{s:o}", "bounding", set);
	return json_pack("{s:O, s:O, s:o}", "bounding", set, "effective", set, "permitted", set);
}

static json_t *user_json(const struct spec_user *u)
{
	json_t *gids = json_array();

	for (size_t i = 0; gids && i < u->n_additional_gids; i++)
		if (json_array_append_new(gids, json_integer(u->additional_gids[i])) < 0) {
			json_decref(gids);
			return NULL;
		}
	return json_pack("{s:I, s:I, s:o}", "uid", (json_int_t)u->uid, "gid", (json_int_t)u->gid,
	                 "additionalGids", gids);
}

static int console_size(struct build *b, json_t *p, struct husk_error **err)
{
	json_t *cs = json_object_get(b->hc, "ConsoleSize");
	json_int_t hgt = json_integer_value(json_array_get(cs, 0));
	json_int_t wdt = json_integer_value(json_array_get(cs, 1));

	if (!b->tty || hgt <= 0 || wdt <= 0)
		return 0;
	return sb_set(p, "consoleSize", json_pack("{s:I, s:I}", "height", hgt, "width", wdt), err);
}

/* AppArmor and SELinux, only where the LSM is active: dockerd ignores
 * apparmor= and label= on hosts without them. */
static int lsm(struct build *b, json_t *p, json_t *lx, struct husk_error **err)
{
	_cleanup_free_ char *proc = NULL, *mnt = NULL;
	const char *profile = b->sec.apparmor;
	int r;

	if (b->in->lsm_apparmor) {
		if (!profile)
			profile = b->privileged ? "unconfined" : b->in->apparmor_default;
		if (profile && sb_set(p, "apparmorProfile", json_string(profile), err) < 0)
			return -ENOMEM;
	}
	if (!b->in->lsm_selinux)
		return 0;
	/* generateSecurityOpt: no label for shared host namespaces. */
	if (!b->sec.label &&
	    (b->privileged || sb_mode_host(b->ipc_mode) || sb_mode_host(b->pid_mode)))
		b->sec.label_disable = true;
	if ((r = sb_selinux_labels(&b->sec, b->in->id, &proc, &mnt, err)) < 0)
		return r;
	if ((proc && sb_set(p, "selinuxLabel", json_string(proc), err) < 0) ||
	    (mnt && sb_set(lx, "mountLabel", json_string(mnt), err) < 0))
		return -ENOMEM;
	return 0;
}

static int process_json(struct build *b, json_t *lx, json_t **ret, struct husk_error **err)
{
	_cleanup_json_ json_t *p = json_object();
	json_t *args = NULL, *env = NULL, *rlimits = NULL;
	const char *cwd = json_string_value(json_object_get(b->body, "WorkingDir"));
	/* absolute and clean, as runc wants it (an image may say "app") */
	_cleanup_free_ char *cwd_clean = path_join_in_root("/", cwd ? cwd : "/");
	int64_t oom = 0;
	int r;

	if (!p || !cwd_clean)
		return sb_oom(err);
	if ((r = args_json(b, &args, err)) < 0 || sb_set(p, "args", args, err) < 0 ||
	    (r = env_json(b, &env, err)) < 0 || sb_set(p, "env", env, err) < 0)
		return r < 0 ? r : -ENOMEM;
	if (sb_set(p, "terminal", json_boolean(b->tty), err) < 0 || console_size(b, p, err) < 0 ||
	    sb_set(p, "user", user_json(&b->user), err) < 0 ||
	    sb_set(p, "cwd", json_string(isempty(cwd) ? "/" : cwd_clean), err) < 0 ||
	    sb_set(p, "capabilities", caps_json(b), err) < 0)
		return -ENOMEM;
	if ((r = sb_rlimits(b->hc, &rlimits, err)) < 0)
		return r;
	if (rlimits && sb_set(p, "rlimits", rlimits, err) < 0)
		return -ENOMEM;
	if (b->sec.no_new_privileges && sb_set(p, "noNewPrivileges", json_true(), err) < 0)
		return -ENOMEM;
	sb_i64(b->hc, HC, "OomScoreAdj", &oom, NULL);
	if (sb_set(p, "oomScoreAdj", json_integer(oom), err) < 0)
		return -ENOMEM;
	if ((r = lsm(b, p, lx, err)) < 0)
		return r;
	*ret = TAKE_PTR(p);
	return 0;
}

/* ---- namespaces ---- */

/* What the engine gave, else what the mode says: NULL path + *present. */
static int ns_choice(const char *given, const char *mode, const char *type, bool *present,
                     const char **path, struct husk_error **err)
{
	*path = NULL;
	*present = true;
	if (given) {
		if (sb_mode_host(given))
			*present = false;
		else if (!path_is_absolute(given))
			return sb_fail(err, "%s namespace: \"%s\" is neither \"host\" nor a path",
			               type, given);
		else
			*path = given;
		return 0;
	}
	if (sb_mode_host(mode))
		*present = false;
	else if (sb_mode_container(mode))
		return sb_fail(err, "%s namespace of \"%s\" was not resolved to a path", type,
		               mode);
	return 0;
}

static int add_ns(json_t *a, const char *type, const char *path)
{
	json_t *o = path ? json_pack("{s:s, s:s}", "type", type, "path", path)
	                 : json_pack("{s:s}", "type", type);

	return json_array_append_new(a, o);
}

static json_t *id_maps_json(const struct id_map *m, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_pack("{s:I, s:I, s:I}", "containerID",
		                                       (json_int_t)m[i].container_id, "hostID",
		                                       (json_int_t)m[i].host_id, "size",
		                                       (json_int_t)m[i].size)) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static int namespaces(struct build *b, json_t *lx, struct husk_error **err)
{
	const struct spec_input *in = b->in;
	const char *cgroupns = streq(b->cgroupns_mode, "private") ? NULL : "host";
	const struct {
		const char *type, *given, *mode;
	} ns[] = {
	        {"network", in->ns_net, b->net_mode}, {"uts", in->ns_uts, b->uts_mode},
	        {"pid", in->ns_pid, b->pid_mode},     {"ipc", in->ns_ipc, b->ipc_mode},
	        {"cgroup", in->ns_cgroup, cgroupns},
	};
	json_t *a = json_array();
	const char *path;
	bool present;

	if (!a || json_object_set_new(lx, "namespaces", a) < 0 || add_ns(a, "mount", NULL) < 0)
		return sb_oom(err);
	for (size_t i = 0; i < ELEMENTSOF(ns); i++) {
		if (ns_choice(ns[i].given, ns[i].mode, ns[i].type, &present, &path, err) < 0)
			return -EINVAL;
		if (streq(ns[i].type, "uts"))
			b->new_uts = present && !path;
		if (streq(ns[i].type, "pid"))
			b->private_pid = present && !path;
		if (present && add_ns(a, ns[i].type, path) < 0)
			return sb_oom(err);
	}
	/* user: joined by path, or new with the remap's mappings. */
	if (ns_choice(in->ns_user, b->userns_mode, "user", &present, &path, err) < 0)
		return -EINVAL;
	b->new_user = present && !path && in->n_uid_map && in->n_gid_map;
	/* verifyPlatformContainerSettings under userns-remap */
	if (b->new_user && b->privileged)
		return sb_fail(err,
		               "privileged mode is incompatible with user namespaces.  You must "
		               "run the container in the host namespace when running privileged "
		               "mode");
	if (b->new_user && sb_mode_host(b->net_mode))
		return sb_fail(err,
		               "cannot share the host's network namespace when user namespaces "
		               "are enabled");
	if (b->new_user && sb_mode_host(b->pid_mode))
		return sb_fail(err, "cannot share the host PID namespace when user namespaces are "
		                    "enabled");
	if ((path || b->new_user) && add_ns(a, "user", path) < 0)
		return sb_oom(err);
	if (b->new_user &&
	    (sb_set(lx, "uidMappings", id_maps_json(in->uid_map, in->n_uid_map), err) < 0 ||
	     sb_set(lx, "gidMappings", id_maps_json(in->gid_map, in->n_gid_map), err) < 0))
		return -ENOMEM;
	return 0;
}

/* ---- linux ---- */

/* Docker's network sysctls for a container with its own network
 * (ping without CAP_NET_RAW, low ports without CAP_NET_BIND_SERVICE),
 * where the kernel has them; then HostConfig.Sysctls. */
static int sysctl_json(struct build *b, json_t **ret, struct husk_error **err)
{
	_cleanup_json_ json_t *s = json_object();
	json_t *user = json_object_get(b->hc, "Sysctls");
	bool private_net = !sb_mode_host(b->net_mode) && !sb_mode_container(b->net_mode);

	if (!s)
		return sb_oom(err);
	if (private_net && !b->new_user &&
	    access("/proc/sys/net/ipv4/ping_group_range", F_OK) == 0 &&
	    json_object_set_new(s, "net.ipv4.ping_group_range", json_string("0 2147483647")) < 0)
		return sb_oom(err);
	if (private_net && access("/proc/sys/net/ipv4/ip_unprivileged_port_start", F_OK) == 0 &&
	    json_object_set_new(s, "net.ipv4.ip_unprivileged_port_start", json_string("0")) < 0)
		return sb_oom(err);
	if (json_is_object(user) && json_object_update(s, user) < 0)
		return sb_oom(err);
	*ret = TAKE_PTR(s);
	return 0;
}

static int paths_json(struct build *b, json_t *lx, struct husk_error **err)
{
	json_t *m = json_object_get(b->hc, "MaskedPaths"),
	       *ro = json_object_get(b->hc, "ReadonlyPaths");

	if (json_is_array(m) ? json_object_set(lx, "maskedPaths", m) < 0
	    : !b->privileged ? sb_set(lx, "maskedPaths", sb_default_masked_paths(), err) < 0
	                     : false)
		return sb_oom(err);
	if (json_is_array(ro) ? json_object_set(lx, "readonlyPaths", ro) < 0
	    : !b->privileged  ? sb_set(lx, "readonlyPaths", sb_default_readonly_paths(), err) < 0
	                      : false)
		return sb_oom(err);
	return 0;
}

static int cgroups_path(struct build *b, json_t *lx, struct husk_error **err)
{
	const char *parent = json_string_value(json_object_get(b->hc, "CgroupParent"));
	_cleanup_free_ char *joined = NULL, *clean = NULL;

	if (b->in->cgroups_path)
		return sb_set(lx, "cgroupsPath", json_string(b->in->cgroups_path), err);
	if (isempty(parent))
		parent = CGROUP_PARENT;
	/* filepath.Join, never above the root */
	if (!(joined = str_printf("%s/%s", parent, b->in->id)) ||
	    !(clean = path_join_in_root("/", joined)))
		return sb_oom(err);
	return sb_set(lx, "cgroupsPath", json_string(clean), err);
}

static int linux_json(struct build *b, json_t *lx, const char *root_propagation,
                      struct husk_error **err)
{
	json_t *res = NULL, *sysctl = NULL, *seccomp = NULL, *devs = json_array(),
	       *scratch = json_array();
	int r;

	if (!devs || !scratch) {
		json_decref(devs);
		json_decref(scratch);
		return sb_oom(err);
	}
	r = sb_devices(b->hc, b->privileged, devs, scratch, err);
	json_decref(scratch);
	if (r < 0) {
		json_decref(devs);
		return r;
	}
	if ((r = sb_set(lx, "devices", devs, err)) < 0)
		return r;
	if ((r = sb_resources_for_spec(b->hc, &res, err)) < 0 ||
	    (r = sb_set(lx, "resources", res, err)) < 0 || (r = cgroups_path(b, lx, err)) < 0 ||
	    (r = sysctl_json(b, &sysctl, err)) < 0 || (r = sb_set(lx, "sysctl", sysctl, err)) < 0 ||
	    (r = paths_json(b, lx, err)) < 0)
		return r;
	if ((r = sb_seccomp(&b->sec, b->privileged, b->caps, b->h, &seccomp, err)) < 0 ||
	    (seccomp && (r = sb_set(lx, "seccomp", seccomp, err)) < 0))
		return r;
	return sb_set(lx, "rootfsPropagation", json_string(root_propagation), err);
}

/* ---- the whole spec ---- */

static int read_modes(struct build *b, struct husk_error **err)
{
	const char *const keys[] = {"PidMode", "IpcMode",    "NetworkMode",
	                            "UTSMode", "UsernsMode", "CgroupnsMode"};
	const char **dst[] = {&b->pid_mode, &b->ipc_mode,    &b->net_mode,
	                      &b->uts_mode, &b->userns_mode, &b->cgroupns_mode};

	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if (sb_str(b->hc, HC, keys[i], dst[i], err) < 0)
			return -EINVAL;
	if (sb_bool(b->hc, HC, "Privileged", &b->privileged, err) < 0 ||
	    sb_bool(b->body, "", "Tty", &b->tty, err) < 0)
		return -EINVAL;
	return 0;
}

static int resolve_user(struct build *b, struct husk_error **err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_strv_ char **group_add = NULL;
	const char *user = NULL;
	int rootfd = b->in->rootfs_fd;

	if (sb_str(b->body, "", "User", &user, err) < 0 ||
	    sb_strv(b->hc, HC, "GroupAdd", false, &group_add, err) < 0)
		return -EINVAL;
	if (rootfd < 0) {
		fd = open(b->in->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return error_set_errno(err, errno, "open rootfs \"%s\"", b->in->rootfs);
		rootfd = fd;
	}
	return spec_resolve_user(rootfd, user, group_add, &b->user, err);
}

/* Config.Hostname, else what dockerd's newContainer picks: the host's
 * name with the host's network, else the id's first 12 characters. */
static int pick_hostname(struct build *b, struct husk_error **err)
{
	const char *host = json_string_value(json_object_get(b->body, "Hostname"));
	char buf[HOST_NAME_MAX + 1] = "";

	if (isempty(host) && sb_mode_host(b->net_mode) && gethostname(buf, sizeof(buf) - 1) == 0)
		host = buf;
	b->hostname = isempty(host) ? strndup(b->in->id, 12) : strdup(host);
	return b->hostname ? 0 : sb_oom(err);
}

static int hostname_json(struct build *b, json_t *spec, struct husk_error **err)
{
	const char *domain = json_string_value(json_object_get(b->body, "Domainname"));

	if (!b->new_uts)
		return 0;
	if (sb_set(spec, "hostname", json_string(b->hostname), err) < 0)
		return -ENOMEM;
	if (!isempty(domain) && sb_set(spec, "domainname", json_string(domain), err) < 0)
		return -ENOMEM;
	return 0;
}

static int assemble(struct build *b, json_t **ret, struct husk_error **err)
{
	_cleanup_json_ json_t *spec = json_object(), *lx = json_object();
	json_t *process = NULL, *mounts = NULL, *ann = json_object_get(b->hc, "Annotations");
	const char *root_propagation = "rprivate";
	bool ro = json_is_true(json_object_get(b->hc, "ReadonlyRootfs"));
	int r;

	if (!spec || !lx || sb_set(spec, "ociVersion", json_string(OCI_VERSION), err) < 0)
		return sb_oom(err);
	if ((r = namespaces(b, lx, err)) < 0 || (r = process_json(b, lx, &process, err)) < 0 ||
	    (r = sb_set(spec, "process", process, err)) < 0)
		return r;
	if (sb_set(spec, "root", json_pack("{s:s, s:b}", "path", b->in->rootfs, "readonly", ro),
	           err) < 0 ||
	    (r = hostname_json(b, spec, err)) < 0)
		return r < 0 ? r : -ENOMEM;
	if ((r = sb_build_mounts(b->in, b->h, b->hc, &mounts, &root_propagation, err)) < 0 ||
	    (r = sb_set(spec, "mounts", mounts, err)) < 0)
		return r;
	if ((r = linux_json(b, lx, root_propagation, err)) < 0)
		return r;
	if (json_object_size(ann) && json_object_set(spec, "annotations", ann) < 0)
		return sb_oom(err);
	if (json_object_set(spec, "linux", lx) < 0)
		return sb_oom(err);
	*ret = TAKE_PTR(spec);
	return 0;
}

/* The runtime's parser has the last word. */
static int verify(json_t *spec, struct husk_error **err)
{
	_cleanup_error_ struct husk_error *perr = NULL;
	struct oci_spec *s = oci_spec_parse(spec, &perr);

	if (!s)
		return error_set(err, error_code(perr), "invalid runtime spec: %s",
		                 error_message(perr));
	oci_spec_free(s);
	return 0;
}

int spec_build(const struct spec_input *in, json_t **ret_spec, struct husk_error **err)
{
	struct build b = {.in = in};
	struct spec_host probed;
	json_t *spec = NULL;
	int r;

	if (!in || !json_is_object(in->body))
		return sb_fail(err, "spec: no container configuration");
	if (isempty(in->id) || strspn(in->id, ID_CHARS) != strlen(in->id) || in->id[0] == '.' ||
	    !path_is_absolute(in->rootfs))
		return sb_fail(err, "spec: a container id ([0-9a-zA-Z_.-]) and an absolute rootfs "
		                    "path are needed");
	b.body = in->body;
	b.hc = json_object_get(in->body, "HostConfig");
	if (!json_is_object(b.hc))
		return sb_fail(err, "spec: HostConfig: expected an object");
	if (!(b.h = in->host)) {
		spec_host_probe(&probed);
		b.h = &probed;
	}
	if ((r = read_modes(&b, err)) < 0 || (r = pick_hostname(&b, err)) < 0)
		return r;
	if ((r = sb_security_parse(b.hc, &b.sec, err)) < 0) {
		free(b.hostname);
		return r;
	}
	r = spec_capabilities(b.hc, b.h, &b.caps, err);
	if (r >= 0)
		r = resolve_user(&b, err);
	if (r >= 0)
		r = assemble(&b, &spec, err);
	if (r >= 0 && (r = verify(spec, err)) < 0)
		json_decref(TAKE_PTR(spec));
	sb_security_release(&b.sec);
	spec_user_release(&b.user);
	free(b.hostname);
	if (r >= 0)
		*ret_spec = spec;
	return r;
}

/* ---- config.json text ---- */

/* jansson writes 2^64 as one of these (its versions differ); runc wants
 * RLIM_INFINITY as an integer. */
static const char *const big_reals[] = {"1.8446744073709552e19", "1.8446744073709552e+19"};
#define RLIM_INF_TXT "18446744073709551615"

static size_t big_real_at(const char *p)
{
	for (size_t i = 0; i < ELEMENTSOF(big_reals); i++)
		if (startswith(p, big_reals[i]))
			return strlen(big_reals[i]);
	return 0;
}

char *spec_dumps(const json_t *spec, bool pretty)
{
	char *raw = json_dumps(spec,
	                       (pretty ? JSON_INDENT(2) : JSON_COMPACT) | JSON_REAL_PRECISION(17));
	struct strbuf sb = {0};
	const char *p, *run;
	bool in_str = false;
	size_t n;

	if (!raw || (!strstr(raw, "e19") && !strstr(raw, "e+19")))
		return raw; /* the usual spec: no unlimited rlimit */
	/* copy it in runs, each big real outside strings written as the integer */
	for (p = run = raw; *p; p++) {
		if (in_str) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == '"')
				in_str = false;
			continue;
		}
		if (*p == '"') {
			in_str = true;
			continue;
		}
		if (*p != '1' || !(n = big_real_at(p)))
			continue;
		if (strbuf_append(&sb, run, (size_t)(p - run)) < 0 ||
		    strbuf_puts(&sb, RLIM_INF_TXT) < 0)
			goto oom;
		p += n - 1;
		run = p + 1;
	}
	if (strbuf_append(&sb, run, (size_t)(p - run)) < 0)
		goto oom;
	free(raw);
	return strbuf_steal(&sb);
oom:
	free(raw);
	strbuf_release(&sb);
	return NULL;
}
