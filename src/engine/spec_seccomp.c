/* spec_seccomp.c — the container's seccomp filter as dockerd chooses it
 * (none when unconfined or Privileged, Docker's default profile, or the
 * profile JSON `--security-opt seccomp=FILE` sends), and the conversion
 * of Docker's profile format (architectures/archMap, syscalls gated by
 * includes/excludes on capabilities, arches and kernel versions) into the
 * OCI linux.seccomp object, as moby's setupSeccomp does it.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "engine/spec_build_internal.h"
#include "oci/runtime_spec.h"
#include "runtime/seccomp_default.h"

/* This build's arch as Docker's profiles name it (moby's goToNative) and
 * its libseccomp name (nativeToSeccomp). */
#if defined(__x86_64__) && !defined(__ILP32__)
#define NATIVE      "amd64"
#define NATIVE_SCMP "SCMP_ARCH_X86_64"
#elif defined(__i386__)
#define NATIVE      "x86"
#define NATIVE_SCMP "SCMP_ARCH_X86"
#elif defined(__aarch64__)
#define NATIVE      "arm64"
#define NATIVE_SCMP "SCMP_ARCH_AARCH64"
#elif defined(__arm__)
#define NATIVE      "arm"
#define NATIVE_SCMP "SCMP_ARCH_ARM"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE      "ppc64le"
#define NATIVE_SCMP "SCMP_ARCH_PPC64LE"
#elif defined(__s390x__)
#define NATIVE      "s390x"
#define NATIVE_SCMP "SCMP_ARCH_S390X"
#elif defined(__riscv) && __riscv_xlen == 64
#define NATIVE      "riscv64"
#define NATIVE_SCMP "SCMP_ARCH_RISCV64"
#else
#define NATIVE      ""
#define NATIVE_SCMP ""
#endif

#define DECODE_FAILED "Decoding seccomp profile failed: "

static int decode_fail(struct husk_error **err, const char *what, const char *want)
{
	return sb_fail(err, DECODE_FAILED "%s: expected %s", what, want);
}

static bool strings_contain(const json_t *a, const char *s)
{
	json_t *v;
	size_t i;

	json_array_foreach (a, i, v)
		if (streq(json_string_value(v), s))
			return true;
	return false;
}

/* Every element of a (if any) is a string. */
static int check_strings(const json_t *a, const char *what, struct husk_error **err)
{
	json_t *v;
	size_t i;

	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return decode_fail(err, what, "an array of strings");
	json_array_foreach (a, i, v)
		if (!json_is_string(v))
			return decode_fail(err, what, "an array of strings");
	return 0;
}

/* "4.8" or "5.10.3" as major << 16 | minor. */
static int parse_kernel(const char *s, unsigned *ret, struct husk_error **err)
{
	unsigned maj, min;
	int n = 0;

	if (sscanf(s, "%u.%u%n", &maj, &min, &n) != 2 || (s[n] && s[n] != '.' && s[n] != '-'))
		return sb_fail(err, "invalid kernel version \"%s\" in seccomp profile", s);
	*ret = maj << 16 | min;
	return 0;
}

static bool has_cap(uint64_t caps, const char *name)
{
	int c;

	return oci_cap_from_name(name, &c) == 0 && c >= 0 && c < 64 && (caps & (UINT64_C(1) << c));
}

/* The includes/excludes filter {caps, arches, minKernel}: whether it
 * matches this container (include: all caps held; exclude: any). */
static int filter_parse(json_t *f, const char *what, json_t **caps, json_t **arches,
                        const char **min_kernel, struct husk_error **err)
{
	json_t *mk;

	*caps = *arches = NULL;
	*min_kernel = NULL;
	if (!f || json_is_null(f))
		return 0;
	if (!json_is_object(f))
		return decode_fail(err, what, "an object");
	*caps = json_object_get(f, "caps");
	*arches = json_object_get(f, "arches");
	mk = json_object_get(f, "minKernel");
	if (check_strings(*caps, what, err) < 0 || check_strings(*arches, what, err) < 0)
		return -EINVAL;
	if (mk && !json_is_null(mk) && !json_is_string(mk))
		return decode_fail(err, what, "a string minKernel");
	*min_kernel = json_string_value(mk);
	return 0;
}

/* Whether the syscall group applies, as setupSeccomp's Loop decides. */
static int group_applies(json_t *call, uint64_t caps, const struct spec_host *h, bool *ret,
                         struct husk_error **err)
{
	json_t *icaps, *iarches, *ecaps, *earches, *v;
	const char *imk, *emk;
	unsigned k = 0;
	size_t i;

	*ret = false;
	if (filter_parse(json_object_get(call, "excludes"), "excludes", &ecaps, &earches, &emk,
	                 err) < 0 ||
	    filter_parse(json_object_get(call, "includes"), "includes", &icaps, &iarches, &imk,
	                 err) < 0)
		return -EINVAL;
	if (strings_contain(earches, NATIVE))
		return 0;
	json_array_foreach (ecaps, i, v)
		if (has_cap(caps, json_string_value(v)))
			return 0;
	if (!isempty(emk)) {
		if (parse_kernel(emk, &k, err) < 0)
			return -EINVAL;
		if (h->kernel >= k)
			return 0;
	}
	if (json_array_size(iarches) && !strings_contain(iarches, NATIVE))
		return 0;
	json_array_foreach (icaps, i, v)
		if (!has_cap(caps, json_string_value(v)))
			return 0;
	if (!isempty(imk)) {
		if (parse_kernel(imk, &k, err) < 0)
			return -EINVAL;
		if (h->kernel < k)
			return 0;
	}
	*ret = true;
	return 0;
}

static int copy_args(json_t *call, json_t *out, struct husk_error **err)
{
	json_t *args = json_object_get(call, "args"), *a, *list;
	size_t i;

	if (!args || json_is_null(args) || !json_array_size(args))
		return 0;
	if (!json_is_array(args))
		return decode_fail(err, "syscalls.args", "an array");
	if (!(list = json_array()) || json_object_set_new(out, "args", list) < 0)
		return sb_oom(err);
	json_array_foreach (args, i, a) {
		json_t *o = json_object(), *op = json_object_get(a, "op");
		static const char *const nums[] = {"index", "value", "valueTwo"};

		if (!o || json_array_append_new(list, o) < 0)
			return sb_oom(err);
		for (size_t n = 0; n < ELEMENTSOF(nums); n++) {
			json_t *v = json_object_get(a, nums[n]);

			if (v && !json_is_null(v) &&
			    (!json_is_integer(v) || json_integer_value(v) < 0))
				return decode_fail(err, "syscalls.args", "non-negative integers");
			if (json_object_set_new(o, nums[n],
			                        json_integer(v ? json_integer_value(v) : 0)) < 0)
				return sb_oom(err);
		}
		if (!json_is_string(op))
			return decode_fail(err, "syscalls.args.op", "a string");
		if (json_object_set(o, "op", op) < 0)
			return sb_oom(err);
	}
	return 0;
}

/* One entry of "syscalls" in OCI form. */
static int convert_call(json_t *call, json_t **ret, struct husk_error **err)
{
	json_t *name = json_object_get(call, "name"), *names = json_object_get(call, "names");
	json_t *action = json_object_get(call, "action"), *errno_ret;
	_cleanup_json_ json_t *out = json_object();

	if (!out)
		return sb_oom(err);
	if (name && !json_is_null(name) && !json_is_string(name))
		return decode_fail(err, "syscalls.name", "a string");
	if (check_strings(names, "syscalls.names", err) < 0)
		return -EINVAL;
	if (!isempty(json_string_value(name)) && json_array_size(names))
		return sb_fail(err, "'name' and 'names' were specified in the seccomp profile, use "
		                    "either 'name' or 'names'");
	if (!json_is_string(action))
		return decode_fail(err, "syscalls.action", "a string");
	if (json_object_set_new(out, "names",
	                        !isempty(json_string_value(name)) ? json_pack("[O]", name)
	                        : names                           ? json_copy(names)
	                                                          : json_array()) < 0 ||
	    json_object_set(out, "action", action) < 0)
		return sb_oom(err);
	errno_ret = json_object_get(call, "errnoRet");
	if (errno_ret && !json_is_null(errno_ret)) {
		if (!json_is_integer(errno_ret) || json_integer_value(errno_ret) < 0)
			return decode_fail(err, "syscalls.errnoRet", "a non-negative integer");
		if (json_object_set(out, "errnoRet", errno_ret) < 0)
			return sb_oom(err);
	}
	if (copy_args(call, out, err) < 0)
		return -EINVAL;
	*ret = TAKE_PTR(out);
	return 0;
}

/* architectures, or the archMap entry of this arch and its sub-arches. */
static int convert_arches(json_t *doc, json_t *out, struct husk_error **err)
{
	json_t *arches = json_object_get(doc, "architectures"),
	       *map = json_object_get(doc, "archMap");
	json_t *list, *m;
	size_t i;

	if (check_strings(arches, "architectures", err) < 0)
		return -EINVAL;
	if (map && !json_is_null(map) && !json_is_array(map))
		return decode_fail(err, "archMap", "an array");
	if (json_array_size(arches) && json_array_size(map))
		return sb_fail(err, "'architectures' and 'archMap' were specified in the seccomp "
		                    "profile, use either 'architectures' or 'archMap'");
	if (!(list = json_array()) || json_object_set_new(out, "architectures", list) < 0)
		return sb_oom(err);
	if (json_array_size(arches))
		return json_array_extend(list, arches) < 0 ? sb_oom(err) : 0;
	json_array_foreach (map, i, m) {
		json_t *sub = json_object_get(m, "subArchitectures");

		if (!streq(json_string_value(json_object_get(m, "architecture")), NATIVE_SCMP))
			continue;
		if (check_strings(sub, "archMap.subArchitectures", err) < 0)
			return -EINVAL;
		if (json_array_append_new(list, json_string(NATIVE_SCMP)) < 0 ||
		    (sub && json_array_extend(list, sub) < 0))
			return sb_oom(err);
		break;
	}
	if (!json_array_size(list))
		json_object_del(out, "architectures");
	return 0;
}

/* defaultErrnoRet, flags, listenerPath, listenerMetadata as given. */
static int copy_top(json_t *doc, json_t *out, struct husk_error **err)
{
	json_t *v = json_object_get(doc, "defaultErrnoRet");

	if (v && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return decode_fail(err, "defaultErrnoRet", "a non-negative integer");
		if (json_object_set(out, "defaultErrnoRet", v) < 0)
			return sb_oom(err);
	}
	if (check_strings(json_object_get(doc, "flags"), "flags", err) < 0)
		return -EINVAL;
	if (json_array_size(json_object_get(doc, "flags")) &&
	    json_object_set(out, "flags", json_object_get(doc, "flags")) < 0)
		return sb_oom(err);
	for (int k = 0; k < 2; k++) {
		const char *key = k ? "listenerMetadata" : "listenerPath";

		v = json_object_get(doc, key);
		if (v && !json_is_null(v) && !json_is_string(v))
			return decode_fail(err, key, "a string");
		if (!isempty(json_string_value(v)) && json_object_set(out, key, v) < 0)
			return sb_oom(err);
	}
	return 0;
}

static int convert_syscalls(json_t *calls, uint64_t caps, const struct spec_host *h, json_t *out,
                            struct husk_error **err)
{
	json_t *list = json_array(), *call;
	size_t i;

	if (!list || json_object_set_new(out, "syscalls", list) < 0)
		return sb_oom(err);
	json_array_foreach (calls, i, call) {
		json_t *c = NULL;
		bool applies;

		if (!json_is_object(call))
			return decode_fail(err, "syscalls", "an array of objects");
		if (group_applies(call, caps, h, &applies, err) < 0)
			return -EINVAL;
		if (!applies)
			continue;
		if (convert_call(call, &c, err) < 0)
			return -EINVAL;
		if (json_array_append_new(list, c) < 0)
			return sb_oom(err);
	}
	return 0;
}

int spec_seccomp_from_docker(const char *profile, size_t len, uint64_t caps,
                             const struct spec_host *host, json_t **ret, struct husk_error **err)
{
	_cleanup_json_ json_t *doc = NULL, *out = NULL;
	struct spec_host probed;
	json_t *action, *calls;
	json_error_t je;

	*ret = NULL;
	if (!host) {
		spec_host_probe(&probed);
		host = &probed;
	}
	if (len > SPEC_SECCOMP_PROFILE_MAX)
		return sb_fail(err, DECODE_FAILED "larger than %u bytes", SPEC_SECCOMP_PROFILE_MAX);
	if (!(doc = json_loadb(profile, len, JSON_DECODE_ANY, &je)))
		return sb_fail(err, DECODE_FAILED "invalid JSON at line %d, column %d: %s", je.line,
		               je.column, je.text);
	if (!json_is_object(doc))
		return decode_fail(err, "profile", "an object");
	action = json_object_get(doc, "defaultAction");
	calls = json_object_get(doc, "syscalls");
	if (action && !json_is_null(action) && !json_is_string(action))
		return decode_fail(err, "defaultAction", "a string");
	if (calls && !json_is_null(calls) && !json_is_array(calls))
		return decode_fail(err, "syscalls", "an array");
	/* No default action and no syscalls: seccomp disabled. */
	if (isempty(json_string_value(action)) && !json_array_size(calls))
		return 0;
	if (!(out = json_object()) ||
	    json_object_set_new(
	            out, "defaultAction",
	            json_string(json_string_value(action) ? json_string_value(action) : "")) < 0)
		return sb_oom(err);
	if (copy_top(doc, out, err) < 0 || convert_arches(doc, out, err) < 0 ||
	    convert_syscalls(calls, caps, host, out, err) < 0)
		return -EINVAL;
	*ret = TAKE_PTR(out);
	return 0;
}

/* The converted profile through the runtime's parser, so an unknown action
 * or operator is refused at create, not at start. */
int sb_seccomp_check(json_t *seccomp, struct husk_error **err)
{
	_cleanup_json_ json_t *doc = NULL;
	_cleanup_error_ struct husk_error *perr = NULL;
	struct oci_spec *s;

	if (!seccomp)
		return 0;
	doc = json_pack("{s:s, s:{s:s}, s:{s:O}}", "ociVersion", "1.1.0", "root", "path", "rootfs",
	                "linux", "seccomp", seccomp);
	if (!doc)
		return sb_oom(err);
	if (!(s = oci_spec_parse(doc, &perr)))
		return sb_fail(err, "invalid seccomp profile: %s", error_message(perr));
	oci_spec_free(s);
	return 0;
}

/* Docker's default profile for a capability set, made once per set (the
 * last one is kept: nearly every container has the default set), shared
 * read-only by the specs that use it. New reference, or NULL. */
static json_t *builtin_profile(uint64_t caps)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static json_t *profile;
	static uint64_t profile_caps;
	json_t *p;

	pthread_mutex_lock(&lock);
	if (!profile || profile_caps != caps) {
		json_decref(profile);
		profile = seccomp_default_profile(caps);
		profile_caps = caps;
	}
	p = json_incref(profile);
	pthread_mutex_unlock(&lock);
	return p;
}

int sb_seccomp(const struct sb_security *s, bool privileged, uint64_t caps,
               const struct spec_host *h, json_t **ret, struct husk_error **err)
{
	bool builtin = !s->seccomp || streq(s->seccomp, "builtin");

	*ret = NULL;
	if (streq(s->seccomp, "unconfined") || privileged)
		return 0;
	if (!h->seccomp) {
		if (!builtin)
			return sb_fail(err,
			               "seccomp is not enabled in your kernel, cannot run a custom "
			               "seccomp profile");
		return 0; /* dockerd runs without its default profile then */
	}
	if (builtin) {
		*ret = builtin_profile(caps);
		return *ret ? 0 : sb_oom(err);
	}
	return spec_seccomp_from_docker(s->seccomp, strlen(s->seccomp), caps, h, ret, err);
}
