#include "runtime/cmdline.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"

static int set_env(json_t *proc, char *const *env)
{
	json_t *arr = json_object_get(proc, "env");

	if (!json_is_array(arr)) {
		arr = json_array();
		if (!arr || json_object_set_new(proc, "env", arr) < 0)
			return -ENOMEM;
	}
	STRV_FOREACH (e, env)
		if (json_array_append_new(arr, json_string(*e)) < 0)
			return -ENOMEM;
	return 0;
}

static int set_user(json_t *proc, const char *spec, struct husk_error **err)
{
	unsigned uid = 0, gid = 0;
	int n = 0;
	json_t *u = json_object_get(proc, "user");

	if (sscanf(spec, "%u%n", &uid, &n) != 1 ||
	    (spec[n] && (spec[n] != ':' || sscanf(spec + n + 1, "%u", &gid) != 1)))
		return error_set(err, EINVAL, "--user \"%s\": expected UID[:GID]", spec);
	if (!json_is_object(u)) {
		u = json_object();
		json_object_set_new(proc, "user", u);
	}
	json_object_set_new(u, "uid", json_integer(uid));
	json_object_set_new(u, "gid", json_integer(spec[n] ? gid : 0));
	return 0;
}

static int add_gids(json_t *proc, char *const *gids, struct husk_error **err)
{
	json_t *arr = json_array();

	STRV_FOREACH (g, gids) {
		uint64_t v;
		if (str_to_uint64(*g, &v) < 0 || v > UINT32_MAX) {
			json_decref(arr);
			return error_set(err, EINVAL, "--additional-gids \"%s\": expected a gid",
			                 *g);
		}
		json_array_append_new(arr, json_integer((json_int_t)v));
	}
	json_object_set_new(json_object_get(proc, "user"), "additionalGids", arr);
	return 0;
}

/* Not into the inheritable set: with it, a file's inheritable capabilities
 * become permitted at execve (CVE-2022-29162, runc 1.1.2). */
static void add_caps(json_t *proc, char *const *caps)
{
	static const char *const sets[] = {"bounding", "effective", "permitted"};
	json_t *c = json_object_get(proc, "capabilities");

	if (!json_is_object(c)) {
		c = json_object();
		json_object_set_new(proc, "capabilities", c);
	}
	for (size_t i = 0; i < ELEMENTSOF(sets); i++) {
		json_t *arr = json_object_get(c, sets[i]);
		if (!json_is_array(arr)) {
			arr = json_array();
			json_object_set_new(c, sets[i], arr);
		}
		STRV_FOREACH (cap, caps)
			json_array_append_new(arr, json_string(*cap));
	}
}

/* Apply the flags to a copy of the container's process. */
static int apply_flags(json_t *proc, const struct exec_args *a, struct husk_error **err)
{
	int r = 0;

	json_object_set_new(proc, "args", json_from_strv(a->argv));
	json_object_set_new(proc, "terminal", json_boolean(a->tty));
	if (a->cwd)
		json_object_set_new(proc, "cwd", json_string(a->cwd));
	if (set_env(proc, a->env) < 0)
		return error_set(err, ENOMEM, "out of memory");
	if (a->user)
		r = set_user(proc, a->user, err);
	if (r == 0 && a->additional_gids && a->additional_gids[0])
		r = add_gids(proc, a->additional_gids, err);
	if (r == 0 && a->caps && a->caps[0])
		add_caps(proc, a->caps);
	if (a->no_new_privs)
		json_object_set_new(proc, "noNewPrivileges", json_true());
	if (a->apparmor)
		json_object_set_new(proc, "apparmorProfile", json_string(a->apparmor));
	if (a->label)
		json_object_set_new(proc, "selinuxLabel", json_string(a->label));
	return r;
}

int exec_args_process(json_t *config, const struct exec_args *a, struct oci_process **ret,
                      struct husk_error **err)
{
	_cleanup_json_ json_t *proc = NULL;
	int r;

	if (a->process_file) {
		r = oci_json_load(a->process_file, &proc, err);
		if (r < 0)
			return r;
		*ret = oci_process_parse(proc, "process", err);
		return *ret ? 0 : -EINVAL;
	}
	if (!a->argv || !a->argv[0])
		return error_set(err, EINVAL, "exec: a command, or --process, is required");
	proc = json_deep_copy(json_object_get(config, "process"));
	if (!proc)
		proc = json_pack("{s:s}", "cwd", "/");
	r = proc ? apply_flags(proc, a, err) : error_set(err, ENOMEM, "out of memory");
	if (r < 0)
		return r;
	*ret = oci_process_parse(proc, "process", err);
	return *ret ? 0 : -EINVAL;
}

static int set_num(json_t *obj, const char *key, const char *flag, const char *value,
                   struct husk_error **err)
{
	int64_t v;

	if (str_to_int64(value, &v) < 0)
		return error_set(err, EINVAL, "--%s \"%s\": expected an integer", flag, value);
	json_object_set_new(obj, key, json_integer(v));
	return 0;
}

static json_t *sub(json_t *o, const char *key)
{
	json_t *s = json_object_get(o, key);

	if (!s) {
		s = json_object();
		json_object_set_new(o, key, s);
	}
	return s;
}

/* Build the resources document from the update flags. */
static int from_flags(json_t *res, const char *const *v, struct husk_error **err)
{
	static const struct {
		const char *section, *key, *flag;
		bool string;
	} map[] = {
	        {"memory", "limit", "memory", false},
	        {"memory", "reservation", "memory-reservation", false},
	        {"memory", "swap", "memory-swap", false},
	        {"cpu", "shares", "cpu-shares", false},
	        {"cpu", "period", "cpu-period", false},
	        {"cpu", "quota", "cpu-quota", false},
	        {"cpu", "cpus", "cpuset-cpus", true},
	        {"cpu", "mems", "cpuset-mems", true},
	        {"pids", "limit", "pids-limit", false},
	        {"blockIO", "weight", "blkio-weight", false},
	};
	int r = 0;

	for (size_t i = 0; i < ELEMENTSOF(map) && r == 0; i++) {
		if (!v[i])
			continue;
		json_t *s = sub(res, map[i].section);
		if (map[i].string)
			json_object_set_new(s, map[i].key, json_string(v[i]));
		else
			r = set_num(s, map[i].key, map[i].flag, v[i], err);
	}
	return r;
}

int update_args_resources(const char *resources_file, const char *const *values,
                          struct oci_resources *ret, struct husk_error **err)
{
	_cleanup_json_ json_t *res = NULL;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r;

	if (resources_file && streq(resources_file, "-")) {
		if (read_all_fd(STDIN_FILENO, 1 << 20, &buf, &len) < 0)
			return error_set(err, EIO, "--resources -: read stdin");
		r = json_parse("--resources", buf, len, 1 << 20, &res, err);
	} else if (resources_file)
		r = oci_json_load(resources_file, &res, err);
	else
		r = (res = json_object()) ? 0 : -ENOMEM;
	r = r ?: from_flags(res, values, err);
	if (r < 0)
		return r;
	return oci_resources_parse(res, "resources", ret, err);
}
