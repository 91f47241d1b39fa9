/* spec_defaults.c — dockerd's daemon-wide container defaults from
 * daemon.json, and Docker's size units.
 *
 * default-shm-size is written into HostConfig.ShmSize at create (inspect
 * shows it, as dockerd's does); default-ulimits, no-new-privileges and
 * seccomp-profile apply at each start to the body the spec is built from
 * and never change the container's record; dns, dns-search and dns-opts
 * apply when the container's resolv.conf is written (container_fs.c). A
 * container's own setting always wins over the daemon's. Every value is
 * checked when daemon.json is loaded, so a start never fails on one.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/fs.h"
#include "oci/runtime_spec.h"
#include "engine/spec_build_internal.h"

#define SECCOMP_PROFILE_MAX (1u << 20)

int spec_parse_ram_size(const char *s, uint64_t *ret)
{
	static const char units[] = "kmgtp";
	char *end = NULL;
	double v;
	const char *u;
	int shift = 0;

	if (isempty(s) || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || !end || v < 0)
		return -EINVAL;
	if (*end == ' ')
		end++;
	if (*end && (u = strchr(units, tolower((unsigned char)*end)))) {
		shift = 10 * (int)(u - units + 1);
		end++;
	}
	if (*end == 'i' || *end == 'I')
		end++;
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end)
		return -EINVAL;
	v = ldexp(v, shift);
	if (v >= 18446744073709551615.0)
		return -ERANGE;
	*ret = (uint64_t)v;
	return 0;
}

/* default-ulimits {"nofile": {"Name": "nofile", "Hard": 1024, "Soft": 1024}}
 * as a HostConfig.Ulimits array. */
static json_t *default_ulimits(json_t *daemon)
{
	json_t *obj = json_object_get(daemon, "default-ulimits"), *v, *a = json_array();
	const char *name;

	if (!a)
		return NULL;
	json_object_foreach (obj, name, v) {
		json_t *u = json_deep_copy(v);
		if (!json_is_object(u) || (!json_object_get(u, "Name") &&
		                           json_object_set_new(u, "Name", json_string(name)) < 0)) {
			json_decref(u);
			json_decref(a);
			return NULL;
		}
		json_array_append_new(a, u);
	}
	return a;
}

/* The daemon's seccomp-profile as a SecurityOpt value, or NULL (none set). */
static int seccomp_opt(json_t *daemon, char **ret, struct husk_error **err)
{
	const char *p = json_string_value(json_object_get(daemon, "seccomp-profile"));
	_cleanup_free_ char *text = NULL;

	*ret = NULL;
	if (isempty(p))
		return 0;
	if (streq(p, "unconfined") || streq(p, "builtin")) {
		*ret = str_printf("seccomp=%s", p);
		return *ret ? 0 : sb_oom(err);
	}
	if (read_file(p, SECCOMP_PROFILE_MAX, &text, NULL, err) < 0)
		return error_wrap(err, "seccomp-profile");
	*ret = str_printf("seccomp=%s", text);
	return *ret ? 0 : sb_oom(err);
}

/* The runtime's own checks of a converted profile (actions, operators,
 * architectures), on a minimal spec around it. */
static int check_seccomp(json_t *profile, struct husk_error **err)
{
	_cleanup_json_ json_t *spec = json_pack(
	        "{s:s, s:{s:s}, s:{s:[s], s:s}, s:{s:O}}", "ociVersion", "1.0.2", "root", "path",
	        "/", "process", "args", "true", "cwd", "/", "linux", "seccomp", profile);
	struct oci_spec *s;

	if (!spec)
		return sb_oom(err);
	s = oci_spec_parse(spec, err);
	if (!s)
		return -EINVAL;
	oci_spec_free(s);
	return 0;
}

int spec_daemon_defaults_check(json_t *daemon, struct husk_error **err)
{
	const char *shm = json_string_value(json_object_get(daemon, "default-shm-size"));
	_cleanup_json_ json_t *hc = NULL, *ul = NULL, *profile = NULL;
	_cleanup_free_ char *opt = NULL;
	static const char *const dns_keys[] = {"dns", "dns-search", "dns-opts"};
	uint64_t size;

	if (shm && (spec_parse_ram_size(shm, &size) < 0 || size == 0))
		return error_set(err, EINVAL, "default-shm-size: invalid size \"%s\"", shm);
	if (json_object_get(daemon, "default-ulimits")) {
		if (!json_is_object(json_object_get(daemon, "default-ulimits")) ||
		    !(ul = default_ulimits(daemon)))
			return error_set(
			        err, EINVAL,
			        "default-ulimits: expected an object of {\"Name\", \"Soft\", "
			        "\"Hard\"} objects");
		hc = json_pack("{s:O}", "Ulimits", ul);
		if (!hc)
			return sb_oom(err);
		if (sb_check_ulimits(hc, err) < 0)
			return error_wrap(err, "default-ulimits");
	}
	for (size_t i = 0; i < ELEMENTSOF(dns_keys); i++) {
		json_t *a = json_object_get(daemon, dns_keys[i]), *v;
		size_t j;

		json_array_foreach (a, j, v)
			if (isempty(json_string_value(v)) || strpbrk(json_string_value(v), " \t\n"))
				return error_set(err, EINVAL, "%s: invalid value %s", dns_keys[i],
				                 json_is_string(v) ? json_string_value(v)
				                                   : "(not a string)");
	}
	if (seccomp_opt(daemon, &opt, err) < 0)
		return -EINVAL;
	if (opt && !startswith(opt, "seccomp=unconfined") && !startswith(opt, "seccomp=builtin")) {
		const char *text = opt + strlen("seccomp=");
		struct spec_host host = {.seccomp = true};

		if (spec_seccomp_from_docker(text, strlen(text), 0, &host, &profile, err) < 0)
			return error_wrap(err, "seccomp-profile");
		if (profile && check_seccomp(profile, err) < 0)
			return error_wrap(err, "seccomp-profile");
	}
	return 0;
}

int spec_daemon_defaults_create(json_t *daemon, json_t *body, struct husk_error **err)
{
	const char *shm = json_string_value(json_object_get(daemon, "default-shm-size"));
	json_t *hc = json_object_get(body, "HostConfig"), *cur;
	uint64_t size;

	if (!shm || spec_parse_ram_size(shm, &size) < 0)
		return 0;
	if (!hc) {
		if (json_object_set_new(body, "HostConfig", json_object()) < 0)
			return sb_oom(err);
		hc = json_object_get(body, "HostConfig");
	}
	if (!json_is_object(hc))
		return 0; /* the create's checks name that */
	cur = json_object_get(hc, "ShmSize");
	if (cur && !json_is_null(cur) && !(json_is_integer(cur) && json_integer_value(cur) == 0))
		return 0;
	return json_object_set_new(hc, "ShmSize", json_integer((json_int_t)size)) < 0 ? sb_oom(err)
	                                                                              : 0;
}

/* Whether SecurityOpt has an entry for key ("seccomp", "no-new-privileges"). */
static bool has_opt(json_t *opts, const char *key)
{
	size_t i, n = strlen(key);
	json_t *v;

	json_array_foreach (opts, i, v) {
		const char *s = json_string_value(v);
		if (s && !strncmp(s, key, n) && (!s[n] || s[n] == '=' || s[n] == ':'))
			return true;
	}
	return false;
}

int spec_daemon_defaults_start(json_t *daemon, json_t *body, struct husk_error **err)
{
	json_t *hc = json_object_get(body, "HostConfig"), *opts, *have;
	_cleanup_json_ json_t *ul = NULL;
	_cleanup_free_ char *seccomp = NULL;
	json_t *u;
	size_t i;

	if (!json_is_object(hc))
		return 0;
	opts = json_object_get(hc, "SecurityOpt");
	if (!json_is_array(opts)) {
		if (json_object_set_new(hc, "SecurityOpt", json_array()) < 0)
			return sb_oom(err);
		opts = json_object_get(hc, "SecurityOpt");
	}
	if (json_is_true(json_object_get(daemon, "no-new-privileges")) &&
	    !has_opt(opts, "no-new-privileges") &&
	    json_array_append_new(opts, json_string("no-new-privileges=true")) < 0)
		return sb_oom(err);
	if (seccomp_opt(daemon, &seccomp, err) < 0)
		return -EINVAL;
	if (seccomp && !has_opt(opts, "seccomp") &&
	    json_array_append_new(opts, json_string(seccomp)) < 0)
		return sb_oom(err);
	if (!json_object_get(daemon, "default-ulimits"))
		return 0;
	if (!(ul = default_ulimits(daemon)))
		return sb_oom(err);
	have = json_object_get(hc, "Ulimits");
	if (!json_is_array(have)) {
		if (json_object_set_new(hc, "Ulimits", json_array()) < 0)
			return sb_oom(err);
		have = json_object_get(hc, "Ulimits");
	}
	json_array_foreach (ul, i, u) {
		const char *name = json_string_value(json_object_get(u, "Name"));
		bool set = false;
		size_t j;
		json_t *h;

		json_array_foreach (have, j, h)
			set |= streq(json_string_value(json_object_get(h, "Name")), name);
		if (!set && json_array_append(have, u) < 0)
			return sb_oom(err);
	}
	return 0;
}
