/* fuzz_json.c — json_parse() and the typed getters of base/json.h on
 * whatever parsed, plus a compact round trip that must give an equal value.
 */
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/str.h"
#include "fuzz.h"

#define MAX_DEPTH 16

/* Every getter on key, required or not: none may crash, and each either
 * succeeds or says why. */
static void get_all(const json_t *obj, const char *key)
{
	for (int req = 0; req < 2; req++) {
		_cleanup_error_ struct husk_error *err = NULL;
		_cleanup_strv_ char **v = NULL;
		const char *s = NULL;
		json_t *sub = NULL;
		int64_t i = 0;
		uint64_t u = 0;
		bool b = false;

		if (json_get_string(obj, "fuzz", key, req, &s, &err) < 0 && !error_message(err))
			abort();
		json_get_bool(obj, "", key, req, &b, NULL);
		json_get_int64(obj, "a.b", key, req, &i, NULL);
		json_get_uint64(obj, "", key, req, &u, NULL);
		json_get_object(obj, "", key, req, &sub, NULL);
		json_get_array(obj, "", key, req, &sub, NULL);
		if (json_get_strv(obj, "", key, req, &v, NULL) == 0 && v) {
			_cleanup_json_ json_t *back = json_from_strv(v);

			if (!back || json_array_size(back) != strv_length(v))
				abort();
		}
	}
}

static void walk(const json_t *j, int depth)
{
	const char *key;
	json_t *v;
	size_t i;

	if (depth > MAX_DEPTH)
		return;
	if (json_is_object(j)) {
		json_object_foreach ((json_t *)j, key, v) {
			get_all(j, key);
			walk(v, depth + 1);
		}
		get_all(j, "missing");
	} else if (json_is_array(j)) {
		json_array_foreach (j, i, v)
			walk(v, depth + 1);
	}
	/* getters on a non-object are errors, not crashes */
	get_all(j, "");
}

static void round_trip(const json_t *j)
{
	_cleanup_free_ char *s = json_compact(j);
	_cleanup_json_ json_t *back = NULL;

	if (!s)
		return; /* out of memory */
	if (json_parse("again", s, strlen(s), 1 << 24, &back, NULL) < 0 || !json_equal(j, back))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *j = NULL;

	if (json_parse("fuzz", (const char *)data, size, 1 << 20, &j, &err) < 0) {
		if (!err || isempty(error_message(err)))
			abort();
		return 0;
	}
	walk(j, 0);
	round_trip(j);
	return 0;
}
