/* spec_util.c — field getters shared by the section parsers: each error
 * names the field path ("linux.devices[2].path: must be an absolute path"),
 * and only the first error is kept. Also the JSON text pre-pass that keeps
 * RLIM_INFINITY (18446744073709551615) readable, which jansson alone refuses.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/fs.h"
#include "base/str.h"
#include "oci/spec_internal.h"

#define KERNEL_MAX_ID_MAPPINGS 340 /* since Linux 4.15; 5 before */

char *spec_path(const char *path, const char *key)
{
	if (isempty(path))
		return strdup(key);
	return str_printf("%s.%s", path, key);
}

char *spec_index_path(const char *path, const char *key, size_t i)
{
	if (!key)
		return str_printf("%s[%zu]", path, i);
	if (isempty(path))
		return str_printf("%s[%zu]", key, i);
	return str_printf("%s.%s[%zu]", path, key, i);
}

int spec_oom(struct husk_error **err)
{
	return error_set(err, ENOMEM, "out of memory");
}

bool spec_has(const json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	return v && !json_is_null(v);
}

int spec_fail(struct husk_error **err, const char *path, const char *key, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		return spec_oom(err);
	if (!key)
		return error_set(err, EINVAL, "%s: %s", path, msg);
	return error_set(err, EINVAL, "%s%s%s: %s", path, isempty(path) ? "" : ".", key, msg);
}

const char *spec_quote(const char *s, char buf[static SPEC_QUOTE_MAX])
{
	size_t o = 0;

	buf[o++] = '"';
	for (; s && *s && o < SPEC_QUOTE_MAX - 12; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			o += snprintf(buf + o, SPEC_QUOTE_MAX - o, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			o += snprintf(buf + o, SPEC_QUOTE_MAX - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	if (s && *s)
		o += snprintf(buf + o, SPEC_QUOTE_MAX - o, "...");
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

/* 2^63 and 2^64 as doubles (exact). */
#define TWO_POW_63 9223372036854775808.0
#define TWO_POW_64 18446744073709551616.0

int spec_get_u64(const json_t *obj, const char *path, const char *key, bool required, uint64_t *ret,
                 struct husk_error **err)
{
	json_t *v = json_object_get(obj, key);
	double d;

	if (!json_is_real(v))
		return json_get_uint64(obj, path, key, required, ret, err);
	/* Only the pre-pass makes reals this large; 2^64 is UINT64_MAX rounded. */
	d = json_real_value(v);
	if (d < TWO_POW_63 || d > TWO_POW_64)
		return spec_fail(err, path, key, "expected a non-negative integer");
	*ret = d >= TWO_POW_64 ? UINT64_MAX : (uint64_t)d;
	return 0;
}

int spec_get_u64_max(const json_t *obj, const char *path, const char *key, bool required,
                     uint64_t max, uint64_t *ret, struct husk_error **err)
{
	uint64_t v = 0;
	int r = spec_get_u64(obj, path, key, required, &v, err);

	if (r < 0 || !spec_has(obj, key))
		return r;
	if (v > max)
		return spec_fail(err, path, key, "out of range (max %llu)",
		                 (unsigned long long)max);
	*ret = v;
	return 0;
}

int spec_get_u32(const json_t *obj, const char *path, const char *key, bool required, uint32_t *ret,
                 struct husk_error **err)
{
	uint64_t v = *ret;
	int r = spec_get_u64_max(obj, path, key, required, UINT32_MAX, &v, err);

	if (r == 0)
		*ret = (uint32_t)v;
	return r;
}

int spec_get_i64_range(const json_t *obj, const char *path, const char *key, bool required,
                       int64_t min, int64_t max, int64_t *ret, struct husk_error **err)
{
	int64_t v = 0;
	int r = json_get_int64(obj, path, key, required, &v, err);

	if (r < 0 || !spec_has(obj, key))
		return r;
	if (v < min || v > max)
		return spec_fail(err, path, key, "out of range (%lld to %lld)", (long long)min,
		                 (long long)max);
	*ret = v;
	return 0;
}

int spec_get_strdup(const json_t *obj, const char *path, const char *key, bool required, char **ret,
                    struct husk_error **err)
{
	const char *s = NULL;
	char *copy;
	int r = json_get_string(obj, path, key, required, &s, err);

	if (r < 0 || !s)
		return r;
	copy = strdup(s);
	if (!copy)
		return spec_oom(err);
	free(*ret);
	*ret = copy;
	return 0;
}

int spec_get_abs_path(const json_t *obj, const char *path, const char *key, bool required,
                      char **ret, struct husk_error **err)
{
	const char *s = NULL;
	int r = json_get_string(obj, path, key, required, &s, err);

	if (r < 0 || !s)
		return r;
	if (!path_is_absolute(s))
		return spec_fail(err, path, key, "must be an absolute path");
	return spec_get_strdup(obj, path, key, required, ret, err);
}

int spec_get_abs_strv(const json_t *obj, const char *path, const char *key, char ***ret,
                      struct husk_error **err)
{
	_cleanup_strv_ char **v = NULL;
	_cleanup_free_ char *p = NULL;
	size_t i = 0;
	int r = json_get_strv(obj, path, key, false, &v, err);

	if (r < 0)
		return r;
	STRV_FOREACH (s, v) {
		if (!path_is_absolute(*s)) {
			p = spec_index_path(path, key, i);
			return p ? spec_fail(err, p, NULL, "must be an absolute path")
			         : spec_oom(err);
		}
		i++;
	}
	strv_free(*ret);
	*ret = TAKE_PTR(v);
	return 0;
}

static void release_elems(const struct spec_array_type *type, char *elems, size_t n)
{
	for (size_t i = 0; type->release && i < n; i++)
		type->release(elems + i * type->elem_size);
	free(elems);
}

static int parse_elem(const struct spec_array_type *type, json_t *item, const char *path,
                      const char *key, size_t i, void *elem, struct husk_error **err)
{
	_cleanup_free_ char *p = spec_index_path(path, key, i);

	if (!p)
		return spec_oom(err);
	if (!json_is_object(item))
		return spec_fail(err, p, NULL, "expected an object");
	return type->parse(item, p, elem, err);
}

int spec_parse_array(const json_t *obj, const char *path, const char *key, bool required,
                     const struct spec_array_type *type, void **ret, size_t *ret_n,
                     struct husk_error **err)
{
	json_t *arr = NULL, *item;
	char *elems;
	size_t i;
	int r = json_get_array(obj, path, key, required, &arr, err);

	if (r < 0 || !arr)
		return r;
	elems = calloc(json_array_size(arr) ?: 1, type->elem_size);
	if (!elems)
		return spec_oom(err);
	json_array_foreach (arr, i, item) {
		r = parse_elem(type, item, path, key, i, elems + i * type->elem_size, err);
		if (r < 0) {
			release_elems(type, elems, i + 1);
			return r;
		}
	}
	*ret = elems;
	*ret_n = json_array_size(arr);
	return 0;
}

void spec_kv_free(struct oci_kv *kv, size_t n)
{
	for (size_t i = 0; kv && i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

static int kv_set(struct oci_kv *kv, const char *key, const char *value, struct husk_error **err)
{
	kv->key = strdup(key);
	kv->value = strdup(value);
	return kv->key && kv->value ? 0 : spec_oom(err);
}

int spec_parse_kv(const json_t *obj, const char *path, const char *key, struct oci_kv **ret,
                  size_t *ret_n, struct husk_error **err)
{
	json_t *o = NULL, *v;
	struct oci_kv *kv;
	const char *k;
	size_t n = 0;
	int r = json_get_object(obj, path, key, false, &o, err);

	if (r < 0 || !o)
		return r;
	kv = calloc(json_object_size(o) ?: 1, sizeof(*kv));
	if (!kv)
		return spec_oom(err);
	json_object_foreach (o, k, v) {
		char q[SPEC_QUOTE_MAX];

		if (isempty(k))
			r = spec_fail(err, path, key, "empty key");
		else if (!json_is_string(v))
			r = spec_fail(err, path, key, "%s: expected a string", spec_quote(k, q));
		else
			r = kv_set(&kv[n++], k, json_string_value(v), err);
		if (r < 0) {
			spec_kv_free(kv, n);
			return r;
		}
	}
	*ret = kv;
	*ret_n = n;
	return 0;
}

static int parse_id_mapping(json_t *item, const char *path, void *elem, struct husk_error **err)
{
	struct oci_id_mapping *m = elem;

	if (spec_get_u32(item, path, "containerID", true, &m->container_id, err) < 0 ||
	    spec_get_u32(item, path, "hostID", true, &m->host_id, err) < 0 ||
	    spec_get_u32(item, path, "size", true, &m->size, err) < 0)
		return -EINVAL;
	if (m->size == 0)
		return spec_fail(err, path, "size", "must be greater than zero");
	if ((uint64_t)m->container_id + m->size > (uint64_t)UINT32_MAX + 1 ||
	    (uint64_t)m->host_id + m->size > (uint64_t)UINT32_MAX + 1)
		return spec_fail(err, path, NULL, "range exceeds 32-bit ids");
	return 0;
}

int spec_parse_id_mappings(const json_t *obj, const char *path, const char *key,
                           struct oci_id_mapping **ret, size_t *ret_n, struct husk_error **err)
{
	static const struct spec_array_type type = {sizeof(struct oci_id_mapping), parse_id_mapping,
	                                            NULL};
	void *v = NULL;
	size_t n = 0;
	int r = spec_parse_array(obj, path, key, false, &type, &v, &n, err);

	if (r < 0)
		return r;
	if (n > KERNEL_MAX_ID_MAPPINGS) {
		free(v);
		return spec_fail(err, path, key, "too many mappings (max %d)",
		                 KERNEL_MAX_ID_MAPPINGS);
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* ---- the RLIM_INFINITY pre-pass ---- */

/* Length of the number token at p, and whether it is an unsigned integer
 * in (INT64_MAX, UINT64_MAX], which jansson cannot hold as an integer. */
static size_t number_token(const char *p, const char *end, bool *big)
{
	size_t n = 0;
	bool digits_only = true;
	char tmp[24];
	uint64_t v;

	while (p + n < end && p[n] && (isdigit((unsigned char)p[n]) || strchr("+-.eE", p[n]))) {
		digits_only = digits_only && isdigit((unsigned char)p[n]);
		n++;
	}
	*big = false;
	if (digits_only && n >= 19 && n < sizeof(tmp)) {
		memcpy(tmp, p, n);
		tmp[n] = '\0';
		*big = str_to_uint64(tmp, &v) == 0 && v > INT64_MAX;
	}
	return n;
}

/* Append ".0" to every big unsigned integer outside strings. Returns the
 * number of tokens changed (0: out untouched), or -ENOMEM. */
static int rewrite_big_integers(const char *buf, size_t len, struct strbuf *out)
{
	const char *p = buf, *end = buf + len, *copied = buf;
	bool in_string = false;
	int changed = 0;

	while (p < end) {
		bool big;
		size_t n;

		if (in_string) {
			if (*p == '\\' && p + 1 < end)
				p++;
			else if (*p == '"')
				in_string = false;
			p++;
			continue;
		}
		if (*p == '"') {
			in_string = true;
			p++;
			continue;
		}
		if (!isdigit((unsigned char)*p) && *p != '-') {
			p++;
			continue;
		}
		n = number_token(p, end, &big);
		p += n;
		if (!big)
			continue;
		if (strbuf_append(out, copied, p - copied) < 0 || strbuf_puts(out, ".0") < 0)
			return -ENOMEM;
		copied = p;
		changed++;
	}
	if (changed && strbuf_append(out, copied, end - copied) < 0)
		return -ENOMEM;
	return changed;
}

int oci_json_parse_text(const char *what, const char *buf, size_t len, json_t **ret,
                        struct husk_error **err)
{
	struct strbuf sb = {0};
	int r = rewrite_big_integers(buf, len, &sb);

	if (r < 0) {
		strbuf_release(&sb);
		return spec_oom(err);
	}
	if (r > 0)
		r = json_parse(what, sb.buf, sb.len, sb.len, ret, err);
	else
		r = json_parse(what, buf, len, len, ret, err);
	strbuf_release(&sb);
	return r;
}

int oci_json_load(const char *path, json_t **ret, struct husk_error **err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = read_file(path, OCI_CONFIG_MAX, &buf, &len, err);

	if (r < 0)
		return r;
	return oci_json_parse_text(path, buf, len, ret, err);
}
