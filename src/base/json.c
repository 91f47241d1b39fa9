#include "base/json.h"

#include <stdlib.h>
#include <string.h>

#include "base/fs.h"
#include "base/str.h"

int json_parse(const char *what, const char *buf, size_t len, size_t max, json_t **ret,
               struct husk_error **err)
{
	json_error_t je;
	json_t *j;

	if (len > max)
		return error_set(err, EFBIG, "%s: larger than %zu bytes", what, max);
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (!j)
		return error_set(err, EINVAL, "%s: invalid JSON at line %d, column %d: %s", what,
		                 je.line, je.column, je.text);
	*ret = j;
	return 0;
}

int json_load_path(const char *path, size_t max, json_t **ret, struct husk_error **err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r;

	r = read_file(path, max, &buf, &len, err);
	if (r < 0)
		return r;
	return json_parse(path, buf, len, max, ret, err);
}

char *json_compact(const json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
}

static const char *join_dot(const char *path)
{
	return isempty(path) ? "" : ".";
}

/* Look up key; 1 = found, 0 = absent and optional, <0 = error. */
static int lookup(const json_t *obj, const char *path, const char *key, bool required, json_t **ret,
                  struct husk_error **err)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	if (!v || json_is_null(v)) {
		if (required)
			return error_set(err, EINVAL, "%s%s%s: required", path, join_dot(path),
			                 key);
		return 0;
	}
	*ret = v;
	return 1;
}

static int wrong_type(const char *path, const char *key, const char *want, struct husk_error **err)
{
	return error_set(err, EINVAL, "%s%s%s: expected %s", path, join_dot(path), key, want);
}

int json_get_string(const json_t *obj, const char *path, const char *key, bool required,
                    const char **ret, struct husk_error **err)
{
	json_t *v = NULL;
	int r = lookup(obj, path, key, required, &v, err);

	if (r <= 0)
		return r;
	if (!json_is_string(v))
		return wrong_type(path, key, "a string", err);
	*ret = json_string_value(v);
	return 0;
}

int json_get_bool(const json_t *obj, const char *path, const char *key, bool required, bool *ret,
                  struct husk_error **err)
{
	json_t *v = NULL;
	int r = lookup(obj, path, key, required, &v, err);

	if (r <= 0)
		return r;
	if (!json_is_boolean(v))
		return wrong_type(path, key, "true or false", err);
	*ret = json_is_true(v);
	return 0;
}

int json_get_int64(const json_t *obj, const char *path, const char *key, bool required,
                   int64_t *ret, struct husk_error **err)
{
	json_t *v = NULL;
	int r = lookup(obj, path, key, required, &v, err);

	if (r <= 0)
		return r;
	if (!json_is_integer(v))
		return wrong_type(path, key, "an integer", err);
	*ret = json_integer_value(v);
	return 0;
}

int json_get_uint64(const json_t *obj, const char *path, const char *key, bool required,
                    uint64_t *ret, struct husk_error **err)
{
	json_t *v = NULL;
	int r = lookup(obj, path, key, required, &v, err);

	if (r <= 0)
		return r;
	/* jansson holds json_int_t (long long): values above INT64_MAX fail to
	 * parse as integers at all, so a non-negative integer is all we see. */
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return wrong_type(path, key, "a non-negative integer", err);
	*ret = (uint64_t)json_integer_value(v);
	return 0;
}

int json_get_strv(const json_t *obj, const char *path, const char *key, bool required, char ***ret,
                  struct husk_error **err)
{
	_cleanup_strv_ char **v = NULL;
	json_t *arr = NULL, *item;
	size_t i;
	int r = lookup(obj, path, key, required, &arr, err);

	if (r <= 0) {
		if (r == 0)
			*ret = NULL;
		return r;
	}
	if (!json_is_array(arr))
		return wrong_type(path, key, "an array of strings", err);
	v = strv_new();
	if (!v)
		return error_set(err, ENOMEM, "out of memory");
	json_array_foreach (arr, i, item) {
		if (!json_is_string(item))
			return error_set(err, EINVAL, "%s%s%s[%zu]: expected a string", path,
			                 join_dot(path), key, i);
		if (strv_push(&v, json_string_value(item)) < 0)
			return error_set(err, ENOMEM, "out of memory");
	}
	*ret = TAKE_PTR(v);
	return 0;
}

static int get_typed(const json_t *obj, const char *path, const char *key, bool required,
                     json_t **ret, json_type type, const char *want, struct husk_error **err)
{
	json_t *v = NULL;
	int r = lookup(obj, path, key, required, &v, err);

	if (r <= 0) {
		if (r == 0)
			*ret = NULL;
		return r;
	}
	if (json_typeof(v) != type)
		return wrong_type(path, key, want, err);
	*ret = v;
	return 0;
}

int json_get_object(const json_t *obj, const char *path, const char *key, bool required,
                    json_t **ret, struct husk_error **err)
{
	return get_typed(obj, path, key, required, ret, JSON_OBJECT, "an object", err);
}

int json_get_array(const json_t *obj, const char *path, const char *key, bool required,
                   json_t **ret, struct husk_error **err)
{
	return get_typed(obj, path, key, required, ret, JSON_ARRAY, "an array", err);
}

json_t *json_from_strv(char *const *v)
{
	json_t *a;

	if (!v)
		return json_null();
	a = json_array();
	if (!a)
		return NULL;
	STRV_FOREACH (s, v)
		if (json_array_append_new(a, json_string(*s)) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

int json_set(json_t *obj, const char *key, json_t *value)
{
	return json_object_set_new(obj, key, value ? value : json_null()) < 0 ? -ENOMEM : 0;
}

json_t *json_string_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

int json_array_qsort(json_t *array, int (*cmp)(const void *, const void *))
{
	size_t n = json_array_size(array);
	json_t **items;

	if (n < 2)
		return 0;
	items = calloc(n, sizeof(*items));
	if (!items)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		items[i] = json_incref(json_array_get(array, i));
	qsort(items, n, sizeof(*items), cmp);
	for (size_t i = 0; i < n; i++)
		json_array_set_new(array, i, items[i]);
	free(items);
	return 0;
}
