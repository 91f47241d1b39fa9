#include "engine/config.h"

#include <string.h>
#include <sys/types.h>
#include <sys/stat.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "engine/spec_build.h"

enum key_type { K_STRING, K_BOOL, K_INT, K_STRV, K_OBJECT, K_ANY };

/* dockerd's daemon.json keys. Those with a field are read into struct
 * engine_config; the rest are validated and left in c->file. */
static const struct key {
	const char *name;
	enum key_type type;
	ssize_t offset; /* of a char* or bool field; -1 = none */
} keys[] = {
        {"data-root", K_STRING, offsetof(struct engine_config, data_root)},
        {"exec-root", K_STRING, offsetof(struct engine_config, exec_root)},
        {"pidfile", K_STRING, offsetof(struct engine_config, pidfile)},
        {"group", K_STRING, offsetof(struct engine_config, group)},
        {"log-level", K_STRING, offsetof(struct engine_config, log_level)},
        {"log-format", K_STRING, offsetof(struct engine_config, log_format)},
        {"storage-driver", K_STRING, offsetof(struct engine_config, storage_driver)},
        {"debug", K_BOOL, offsetof(struct engine_config, debug)},
        {"live-restore", K_BOOL, offsetof(struct engine_config, live_restore)},
        {"hosts", K_STRV, -1},
        {"exec-opts", K_STRV, -1},
        {"storage-opts", K_STRV, -1},
        {"insecure-registries", K_STRV, -1},
        {"registry-mirrors", K_STRV, -1},
        {"labels", K_STRV, -1},
        {"dns", K_STRV, -1},
        {"dns-opts", K_STRV, -1},
        {"dns-search", K_STRV, -1},
        {"bip", K_STRING, -1},
        {"bridge", K_STRING, -1},
        {"fixed-cidr", K_STRING, -1},
        {"default-address-pools", K_ANY, -1},
        {"mtu", K_INT, -1},
        {"ip-forward", K_BOOL, -1},
        {"iptables", K_BOOL, -1},
        {"icc", K_BOOL, -1},
        {"userland-proxy", K_BOOL, -1},
        {"log-driver", K_STRING, -1},
        {"log-opts", K_OBJECT, -1},
        {"default-ulimits", K_OBJECT, -1},
        {"default-shm-size", K_STRING, -1},
        {"default-ipc-mode", K_STRING, -1},
        {"seccomp-profile", K_STRING, -1},
        {"no-new-privileges", K_BOOL, -1},
        {"selinux-enabled", K_BOOL, -1},
        {"userns-remap", K_STRING, offsetof(struct engine_config, userns_remap)},
        {"default-runtime", K_STRING, -1},
        {"runtimes", K_OBJECT, -1},
        {"init", K_BOOL, -1},
        {"init-path", K_STRING, -1},
        {"cgroup-parent", K_STRING, -1},
        {"shutdown-timeout", K_INT, -1},
        {"max-concurrent-downloads", K_INT, -1},
        {"max-concurrent-uploads", K_INT, -1},
        {"max-download-attempts", K_INT, -1},
        {"tls", K_BOOL, offsetof(struct engine_config, tls)},
        {"tlsverify", K_BOOL, offsetof(struct engine_config, tlsverify)},
        {"tlscacert", K_STRING, offsetof(struct engine_config, tlscacert)},
        {"tlscert", K_STRING, offsetof(struct engine_config, tlscert)},
        {"tlskey", K_STRING, offsetof(struct engine_config, tlskey)},
        {"experimental", K_BOOL, -1},
        {"features", K_OBJECT, -1},
        {"builder", K_OBJECT, -1},
        {"proxies", K_OBJECT, -1},
};

static const struct key *key_find(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if (streq(keys[i].name, name))
			return &keys[i];
	return NULL;
}

int engine_config_init(struct engine_config *c)
{
	*c = (struct engine_config){0};
	c->data_root = strdup(HUSK_DEFAULT_DATA_ROOT);
	c->exec_root = strdup(HUSK_DEFAULT_EXEC_ROOT);
	c->config_file = strdup(HUSK_DEFAULT_CONFIG_FILE);
	c->log_level = strdup("info");
	c->log_format = strdup("text");
	c->cgroup_driver = strdup("cgroupfs");
	c->live_restore = true;
	if (!c->data_root || !c->exec_root || !c->config_file || !c->log_level || !c->log_format ||
	    !c->cgroup_driver)
		return -ENOMEM;
	return 0;
}

char *engine_socket_path(const char *exec_root)
{
	return path_join(exec_root, HUSK_SOCKET_NAME);
}

static bool type_ok(const json_t *v, enum key_type t)
{
	size_t i;
	json_t *item;

	switch (t) {
	case K_STRING:
		return json_is_string(v);
	case K_BOOL:
		return json_is_boolean(v);
	case K_INT:
		return json_is_integer(v);
	case K_OBJECT:
		return json_is_object(v);
	case K_STRV:
		if (!json_is_array(v))
			return false;
		json_array_foreach (v, i, item)
			if (!json_is_string(item))
				return false;
		return true;
	case K_ANY:
		return true;
	}
	return false;
}

static const char *type_name(enum key_type t)
{
	static const char *const names[] = {"a string",   "true or false",
	                                    "an integer", "an array of strings",
	                                    "an object",  "any value"};
	return names[t];
}

/* Check every key of the file; collect unknown names and conflicts. */
static int validate(json_t *file, const char *path, char *const *flag_keys, struct husk_error **err)
{
	_cleanup_strv_ char **unknown = strv_new(), **both = strv_new();
	_cleanup_free_ char *list = NULL;
	const char *name;
	json_t *v;

	if (!unknown || !both)
		return error_set(err, ENOMEM, "out of memory");
	json_object_foreach (file, name, v) {
		const struct key *k = key_find(name);
		if (!k) {
			strv_push(&unknown, name);
			continue;
		}
		if (!type_ok(v, k->type))
			return error_set(err, EINVAL, "%s: \"%s\": expected %s", path, name,
			                 type_name(k->type));
		if (strv_contains(flag_keys, name))
			strv_push(&both, name);
	}
	if (strv_length(unknown)) {
		list = strv_join(unknown, ", ");
		return error_set(
		        err, EINVAL,
		        "%s: the following directives don't match any configuration option: %s",
		        path, list ? list : "?");
	}
	if (strv_length(both)) {
		list = strv_join(both, ", ");
		return error_set(
		        err, EINVAL,
		        "%s: the following directives are specified both as a flag and in the "
		        "configuration file: %s",
		        path, list ? list : "?");
	}
	return 0;
}

static int apply_fields(struct engine_config *c, json_t *file)
{
	for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
		json_t *v = json_object_get(file, keys[i].name);
		char *p = (char *)c + keys[i].offset;

		if (!v || keys[i].offset < 0)
			continue;
		if (keys[i].type == K_BOOL) {
			*(bool *)p = json_is_true(v);
			continue;
		}
		char *s = strdup(json_string_value(v));
		if (!s)
			return -ENOMEM;
		free(*(char **)p);
		*(char **)p = s;
	}
	return 0;
}

/* exec-opts: "native.cgroupdriver=systemd" is the one dockerd knows. */
static int apply_exec_opts(struct engine_config *c, json_t *file, struct husk_error **err)
{
	json_t *opts = json_object_get(file, "exec-opts"), *o;
	size_t i;

	json_array_foreach (opts, i, o) {
		const char *v = startswith(json_string_value(o), "native.cgroupdriver=");
		if (!v)
			return error_set(err, EINVAL, "exec-opts: unknown option \"%s\"",
			                 json_string_value(o));
		if (!streq(v, "cgroupfs") && !streq(v, "systemd"))
			return error_set(err, EINVAL,
			                 "exec-opts: native.cgroupdriver \"%s\": expected cgroupfs "
			                 "or systemd",
			                 v);
		free(c->cgroup_driver);
		c->cgroup_driver = strdup(v);
		if (!c->cgroup_driver)
			return error_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

/* "default-ipc-mode": only the modes a container can have alone. */
static int check_default_ipc(json_t *file, struct husk_error **err)
{
	const char *m = json_string_value(json_object_get(file, "default-ipc-mode"));

	if (!m || streq(m, "private") || streq(m, "shareable"))
		return 0;
	if (streq(m, "host") || streq(m, "none") || startswith(m, "container:"))
		return error_set(err, EINVAL,
		                 "IPC mode \"%s\" is not supported as default value; use "
		                 "\"shareable\" or \"private\"",
		                 m);
	return error_set(err, EINVAL,
	                 "default IPC mode setting (%s) is invalid; use \"shareable\" or "
	                 "\"private\"",
	                 m);
}

/* dockerd keys husk accepts only where they ask for what husk does anyway:
 * one clear error rather than a setting silently ignored. */
static int check_unsupported(json_t *file, struct husk_error **err)
{
	const char *rt = json_string_value(json_object_get(file, "default-runtime"));

	if (json_array_size(json_object_get(file, "storage-opts")))
		return error_set(err, EINVAL,
		                 "storage-opts: husk's storage drivers take no options");
	if (!isempty(json_string_value(json_object_get(file, "fixed-cidr"))))
		return error_set(err, EINVAL,
		                 "fixed-cidr is not supported: containers take addresses from the "
		                 "whole subnet of the bridge (set it with \"bip\")");
	if (json_object_get(file, "default-address-pools"))
		return error_set(err, EINVAL,
		                 "default-address-pools is not supported: networks take subnets "
		                 "from 172.17-31.0.0/16, then 10.88.0.0/16");
	if (json_is_false(json_object_get(file, "icc")))
		return error_set(err, EINVAL,
		                 "icc=false is not supported: containers on a network can always "
		                 "reach each other");
	if (json_object_size(json_object_get(file, "runtimes")))
		return error_set(err, EINVAL,
		                 "runtimes: husk runs containers with its own runtime, "
		                 "husk-runtime; other runtimes are not supported");
	if (rt && !streq(rt, "runc") && !streq(rt, "husk-runtime"))
		return error_set(err, EINVAL,
		                 "default-runtime \"%s\": husk runs containers with husk-runtime",
		                 rt);
	return 0;
}

static int derive_defaults(struct engine_config *c)
{
	json_t *hosts = json_object_get(c->file, "hosts");
	_cleanup_free_ char *sock = NULL;
	size_t i;
	json_t *h;

	if (!c->pidfile && !(c->pidfile = path_join(c->exec_root, "huskd.pid")))
		return -ENOMEM;
	if (c->hosts && strv_length(c->hosts))
		return 0;
	strv_free(c->hosts);
	if (!(c->hosts = strv_new()))
		return -ENOMEM;
	json_array_foreach (hosts, i, h)
		if (strv_push(&c->hosts, json_string_value(h)) < 0)
			return -ENOMEM;
	if (strv_length(c->hosts))
		return 0;
	sock = engine_socket_path(c->exec_root);
	if (!sock)
		return -ENOMEM;
	return strv_push_take(&c->hosts, str_printf("unix://%s", sock));
}

int engine_config_load(struct engine_config *c, bool required, char *const *flag_keys,
                       struct husk_error **err)
{
	json_t *file = NULL;
	struct stat st;
	int r;

	if (!required && stat(c->config_file, &st) < 0 && errno == ENOENT)
		file = json_object();
	else if (json_load_path(c->config_file, DAEMON_JSON_MAX, &file, err) < 0)
		return error_wrap(err, "configuration file");
	if (!file)
		return error_set(err, ENOMEM, "out of memory");
	json_decref(c->file);
	c->file = file;
	if (!json_is_object(file))
		return error_set(err, EINVAL, "%s: expected a JSON object", c->config_file);
	r = validate(file, c->config_file, flag_keys, err);
	if (r == 0)
		r = check_default_ipc(file, err);
	if (r == 0)
		r = spec_daemon_defaults_check(file, err);
	if (r == 0)
		r = check_unsupported(file, err);
	if (r < 0)
		return r;
	if (apply_fields(c, file) < 0 || derive_defaults(c) < 0)
		return error_set(err, ENOMEM, "out of memory");
	return apply_exec_opts(c, file, err);
}

void engine_config_release(struct engine_config *c)
{
	free(c->data_root);
	free(c->exec_root);
	free(c->pidfile);
	strv_free(c->hosts);
	free(c->group);
	free(c->log_level);
	free(c->log_format);
	free(c->config_file);
	free(c->cgroup_driver);
	free(c->storage_driver);
	free(c->userns_remap);
	free(c->tlscacert);
	free(c->tlscert);
	free(c->tlskey);
	json_decref(c->file);
	*c = (struct engine_config){0};
}
