/* spec_body.c — typed reads of a Docker create body as Go's decoder makes
 * them (absent and null are zero values, another type is an error naming
 * the field), Docker's mode strings, number lists and capability names.
 */
#include <ctype.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <string.h>

#include "engine/spec_build_internal.h"
#include "oci/runtime_spec.h"

int sb_fail(struct husk_error **err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_setv(err, EINVAL, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int sb_oom(struct husk_error **err)
{
	return error_set(err, ENOMEM, "out of memory");
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

static int type_fail(struct husk_error **err, const char *path, const char *key, const json_t *v,
                     const char *want)
{
	return sb_fail(err, "%s%s%s: expected %s, got %s", path, *path ? "." : "", key, want,
	               type_name(v));
}

/* The value of key, NULL when absent or null. */
static json_t *field(const json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	return json_is_null(v) ? NULL : v;
}

int sb_str(const json_t *obj, const char *path, const char *key, const char **ret,
           struct husk_error **err)
{
	json_t *v = field(obj, key);

	if (!v)
		return 0;
	if (!json_is_string(v))
		return type_fail(err, path, key, v, "a string");
	*ret = json_string_value(v);
	return 0;
}

int sb_i64(const json_t *obj, const char *path, const char *key, int64_t *ret,
           struct husk_error **err)
{
	json_t *v = field(obj, key);

	if (!v)
		return 0;
	if (!json_is_integer(v))
		return type_fail(err, path, key, v, "an integer");
	*ret = json_integer_value(v);
	return 0;
}

int sb_bool(const json_t *obj, const char *path, const char *key, bool *ret,
            struct husk_error **err)
{
	json_t *v = field(obj, key);

	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return type_fail(err, path, key, v, "a boolean");
	*ret = json_is_true(v);
	return 0;
}

int sb_obj(const json_t *obj, const char *path, const char *key, json_t **ret,
           struct husk_error **err)
{
	json_t *v = field(obj, key);

	*ret = NULL;
	if (!v)
		return 0;
	if (!json_is_object(v))
		return type_fail(err, path, key, v, "an object");
	*ret = v;
	return 0;
}

int sb_arr(const json_t *obj, const char *path, const char *key, json_t **ret,
           struct husk_error **err)
{
	json_t *v = field(obj, key);

	*ret = NULL;
	if (!v)
		return 0;
	if (!json_is_array(v))
		return type_fail(err, path, key, v, "an array");
	if (json_array_size(v) > SB_MAX_LIST)
		return sb_fail(err, "%s%s%s: more than %d entries", path, *path ? "." : "", key,
		               SB_MAX_LIST);
	*ret = v;
	return 0;
}

int sb_strv(const json_t *obj, const char *path, const char *key, bool str_ok, char ***ret,
            struct husk_error **err)
{
	json_t *v = field(obj, key), *item;
	_cleanup_strv_ char **l = NULL;
	size_t i;

	*ret = NULL;
	if (!v)
		return 0;
	if (str_ok && json_is_string(v)) {
		if (strv_push(&l, json_string_value(v)) < 0)
			return sb_oom(err);
		*ret = TAKE_PTR(l);
		return 0;
	}
	if (sb_arr(obj, path, key, &v, err) < 0)
		return -EINVAL;
	if (!(l = strv_new()))
		return sb_oom(err);
	json_array_foreach (v, i, item) {
		if (!json_is_string(item))
			return sb_fail(err, "%s%s%s[%zu]: expected a string, got %s", path,
			               *path ? "." : "", key, i, type_name(item));
		if (strv_push(&l, json_string_value(item)) < 0)
			return sb_oom(err);
	}
	*ret = TAKE_PTR(l);
	return 0;
}

int sb_str_map(const json_t *obj, const char *path, const char *key, json_t **ret,
               struct husk_error **err)
{
	const char *k;
	json_t *v;

	if (sb_obj(obj, path, key, ret, err) < 0)
		return -EINVAL;
	if (*ret && json_object_size(*ret) > SB_MAX_LIST)
		return sb_fail(err, "%s%s%s: more than %d entries", path, *path ? "." : "", key,
		               SB_MAX_LIST);
	json_object_foreach (*ret, k, v)
		if (!json_is_string(v))
			return sb_fail(err, "%s%s%s[\"%s\"]: expected a string, got %s", path,
			               *path ? "." : "", key, k, type_name(v));
	return 0;
}

int sb_set(json_t *obj, const char *key, json_t *v, struct husk_error **err)
{
	if (!v || json_object_set_new(obj, key, v) < 0)
		return sb_oom(err);
	return 0;
}

bool sb_mode_host(const char *mode)
{
	return streq(mode, "host");
}

const char *sb_mode_container(const char *mode)
{
	return mode ? startswith(mode, "container:") : NULL;
}

/* One number of a list: digits only, at most max. */
static int list_number(const char *s, size_t n, unsigned max, unsigned *ret)
{
	unsigned long v = 0;

	if (n == 0 || n > 10)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v >= max)
		return -ERANGE;
	*ret = (unsigned)v;
	return 0;
}

int sb_parse_uint_list(const char *s, unsigned max, uint8_t *bits)
{
	const char *p = s;

	if (isempty(s))
		return 0;
	for (;;) {
		size_t n = strcspn(p, ",");
		const char *dash = memchr(p, '-', n);
		unsigned a, b;
		int r;

		if (dash) {
			r = list_number(p, (size_t)(dash - p), max, &a);
			if (r == 0)
				r = list_number(dash + 1, n - (size_t)(dash - p) - 1, max, &b);
			if (r == 0 && b < a)
				r = -EINVAL;
		} else {
			r = list_number(p, n, max, &a);
			b = a;
		}
		if (r < 0)
			return r;
		for (unsigned i = a; i <= b; i++)
			bits[i / 8] |= (uint8_t)(1u << (i % 8));
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

/* Docker's default capability set, in its order. */
static const int default_caps[] = {
        CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,           CAP_FOWNER,
        CAP_MKNOD,   CAP_NET_RAW,      CAP_SETGID,           CAP_SETUID,
        CAP_SETFCAP, CAP_SETPCAP,      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
        CAP_KILL,    CAP_AUDIT_WRITE,
};

uint64_t sb_default_caps(void)
{
	uint64_t m = 0;

	for (size_t i = 0; i < ELEMENTSOF(default_caps); i++)
		m |= UINT64_C(1) << default_caps[i];
	return m;
}

static int append_cap(json_t *a, int cap)
{
	const char *name = oci_cap_name(cap);

	return name ? json_array_append_new(a, json_string(name)) : 0;
}

/* Docker's defaults first in its order (as its spec lists them), then the
 * rest by number. */
json_t *sb_caps_json(uint64_t caps, unsigned last_cap)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < ELEMENTSOF(default_caps); i++)
		if ((caps & (UINT64_C(1) << default_caps[i])) && append_cap(a, default_caps[i]) < 0)
			goto oom;
	for (unsigned c = 0; a && c <= last_cap && c < 64; c++)
		if ((caps & (UINT64_C(1) << c)) && !(sb_default_caps() & (UINT64_C(1) << c)) &&
		    append_cap(a, (int)c) < 0)
			goto oom;
	return a;
oom:
	json_decref(a);
	return NULL;
}
