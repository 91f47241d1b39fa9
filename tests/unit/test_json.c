/* Unit tests for src/base/json.c: capped parsing and typed field access. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"

/* A sample with one field of every kind, and a few wrong ones. */
static const char sample[] = "{\n"
                             "  \"s\": \"str\",\n"
                             "  \"empty\": \"\",\n"
                             "  \"t\": true,\n"
                             "  \"f\": false,\n"
                             "  \"i\": -42,\n"
                             "  \"big\": 9223372036854775807,\n"
                             "  \"neg_big\": -9223372036854775808,\n"
                             "  \"real\": 1.5,\n"
                             "  \"n\": null,\n"
                             "  \"args\": [\"sh\", \"-c\", 3, \"x\"],\n"
                             "  \"env\": [\"A=1\", \"B=\"],\n"
                             "  \"none\": [],\n"
                             "  \"obj\": {\"k\": \"v\"},\n"
                             "  \"num_str\": \"12\"\n"
                             "}";

static int setup_sample(void **state)
{
	json_t *j = NULL;

	if (json_parse("sample", sample, strlen(sample), 1 << 16, &j, NULL) < 0)
		return -1;
	*state = j;
	return 0;
}

static int teardown_sample(void **state)
{
	json_decref(*state);
	return 0;
}

static void assert_err(struct husk_error **err, int r, const char *msg)
{
	assert_int_equal(r, -EINVAL);
	assert_non_null(*err);
	assert_int_equal(error_code(*err), EINVAL);
	assert_string_equal(error_message(*err), msg);
	error_free(*err);
	*err = NULL;
}

/* ---- parsing ---- */

static void test_parse_ok(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *a = NULL, *b = NULL;
	const char *s = "{\"a\": [1, 2, {\"b\": null}]}";

	assert_int_equal(json_parse("x", s, strlen(s), strlen(s), &a, &err), 0);
	assert_null(err);
	assert_true(json_is_object(a));
	assert_int_equal(json_array_size(json_object_get(a, "a")), 3);
	/* len, not NUL, ends the input */
	assert_int_equal(json_parse("x", "[1]garbage", 3, 100, &b, &err), 0);
	assert_true(json_is_array(b));
}

static void test_parse_invalid(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	json_t *j = NULL;
	const char *s = "{\n  \"a\": 1,\n  \"b\": tru\n}";

	assert_int_equal(json_parse("config.json", s, strlen(s), 1024, &j, &err), -EINVAL);
	assert_null(j);
	assert_int_equal(error_code(err), EINVAL);
	assert_true(startswith(error_message(err),
	                       "config.json: invalid JSON at line 3, column ") != NULL);
}

static void test_parse_invalid_cases(void **state)
{
	const char *bad[] = {
	        "",        "   ",      "{",         "{\"a\":1,}", "[1,]",
	        "{'a':1}", "{} {}",    "[1] x",     "{a:1}",      "\"unterminated",
	        "[01]",    "{\"a\":1", "[\"\\x\"]", "[\"\xff\"]", "[NaN]",
	};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		_cleanup_error_ struct husk_error *err = NULL;
		json_t *j = NULL;

		assert_int_equal(json_parse("in", bad[i], strlen(bad[i]), 1024, &j, &err), -EINVAL);
		assert_null(j);
		assert_true(startswith(error_message(err), "in: invalid JSON at line ") != NULL);
		assert_non_null(strstr(error_message(err), ", column "));
	}
}

static void test_parse_embedded_nul(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	json_t *j = NULL;

	/* a raw NUL byte inside the length is not whitespace */
	assert_int_equal(json_parse("in", "{}\0{}", 5, 100, &j, &err), -EINVAL);
	assert_null(j);
}

static void test_parse_too_big(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *ok = NULL;
	json_t *j = NULL;
	const char *s = "{\"a\":\"0123456789\"}";

	assert_int_equal(json_parse("body", s, strlen(s), strlen(s) - 1, &j, &err), -EFBIG);
	assert_null(j);
	assert_int_equal(error_code(err), EFBIG);
	assert_non_null(strstr(error_message(err), "body: larger than"));
	/* exactly at the cap is fine */
	assert_int_equal(json_parse("body", s, strlen(s), strlen(s), &ok, NULL), 0);
}

static void test_parse_duplicate_keys(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	json_t *j = NULL;
	const char *s = "{\"a\": 1, \"b\": {\"x\": 1, \"x\": 2}}";

	assert_int_equal(json_parse("in", s, strlen(s), 1024, &j, &err), -EINVAL);
	assert_null(j);
	assert_non_null(strstr(error_message(err), "duplicate"));
}

static void test_parse_deep_nesting(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_free_ char *deep = malloc(200001);
	json_t *j = NULL;

	/* hostile depth must fail cleanly, not overflow the stack */
	memset(deep, '[', 100000);
	memset(deep + 100000, ']', 100000);
	deep[200000] = 0;
	assert_int_equal(json_parse("in", deep, 200000, 1 << 20, &j, &err), -EINVAL);
	assert_null(j);
}

static void test_parse_null_err(void **state)
{
	json_t *j = NULL;

	assert_int_equal(json_parse("in", "{", 1, 10, &j, NULL), -EINVAL);
	assert_int_equal(json_parse("in", "{}", 2, 1, &j, NULL), -EFBIG);
}

static void test_load_path(void **state)
{
	char dir[] = "/tmp/husk-test-json-XXXXXX";
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_free_ char *good = NULL, *bad = NULL, *missing = NULL;
	_cleanup_json_ json_t *j = NULL;
	json_t *none = NULL;

	assert_non_null(mkdtemp(dir));
	good = str_printf("%s/good.json", dir);
	bad = str_printf("%s/bad.json", dir);
	missing = str_printf("%s/missing.json", dir);
	assert_int_equal(atomic_write_file(good, "{\"k\":1}", 7, 0644, NULL), 0);
	assert_int_equal(atomic_write_file(bad, "{\"k\":}", 6, 0644, NULL), 0);

	assert_int_equal(json_load_path(good, 100, &j, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "k")), 1);

	assert_int_equal(json_load_path(bad, 100, &none, &err), -EINVAL);
	assert_true(startswith(error_message(err), bad) != NULL);
	assert_non_null(strstr(error_message(err), "line 1, column"));
	error_free(err);
	err = NULL;

	assert_int_equal(json_load_path(good, 6, &none, &err), -EFBIG);
	assert_non_null(strstr(error_message(err), good));
	error_free(err);
	err = NULL;

	assert_int_equal(json_load_path(missing, 100, &none, &err), -ENOENT);
	assert_non_null(strstr(error_message(err), missing));
	assert_null(none);

	unlink(good);
	unlink(bad);
	rmdir(dir);
}

static void test_compact(void **state)
{
	_cleanup_json_ json_t *o = json_pack("{s:[i,s]}", "a", 1, "x\ny");
	_cleanup_json_ json_t *n = json_integer(7);
	_cleanup_free_ char *s = json_compact(o), *t = json_compact(n);

	assert_string_equal(s, "{\"a\":[1,\"x\\ny\"]}");
	assert_null(strchr(s, '\n'));
	/* scalars too */
	assert_string_equal(t, "7");
}

/* ---- getters ---- */

static void test_get_string(void **state)
{
	json_t *j = *state;
	_cleanup_error_ struct husk_error *err = NULL;
	const char *s = NULL;

	assert_int_equal(json_get_string(j, "x", "s", true, &s, &err), 0);
	assert_string_equal(s, "str");
	assert_int_equal(json_get_string(j, "x", "empty", true, &s, &err), 0);
	assert_string_equal(s, "");
	/* absent optional: ret unchanged */
	s = "default";
	assert_int_equal(json_get_string(j, "x", "nope", false, &s, &err), 0);
	assert_string_equal(s, "default");
	/* null counts as absent */
	assert_int_equal(json_get_string(j, "x", "n", false, &s, &err), 0);
	assert_string_equal(s, "default");
	assert_null(err);
	assert_err(&err, json_get_string(j, "x", "nope", true, &s, &err), "x.nope: required");
	assert_err(&err, json_get_string(j, "x", "n", true, &s, &err), "x.n: required");
	assert_err(&err, json_get_string(j, "x", "i", true, &s, &err), "x.i: expected a string");
	assert_err(&err, json_get_string(j, "x", "i", false, &s, &err), "x.i: expected a string");
	assert_err(&err, json_get_string(j, "", "i", false, &s, &err), "i: expected a string");
	assert_err(&err, json_get_string(j, "", "nope", true, &s, &err), "nope: required");
	assert_string_equal(s, "default");
}

static void test_get_bool(void **state)
{
	json_t *j = *state;
	_cleanup_error_ struct husk_error *err = NULL;
	bool b = false;

	assert_int_equal(json_get_bool(j, "", "t", true, &b, &err), 0);
	assert_true(b);
	assert_int_equal(json_get_bool(j, "", "f", true, &b, &err), 0);
	assert_false(b);
	b = true;
	assert_int_equal(json_get_bool(j, "", "nope", false, &b, &err), 0);
	assert_true(b);
	assert_err(&err, json_get_bool(j, "HostConfig", "nope", true, &b, &err),
	           "HostConfig.nope: required");
	assert_err(&err, json_get_bool(j, "HostConfig", "s", false, &b, &err),
	           "HostConfig.s: expected true or false");
	/* no implicit truthiness */
	assert_err(&err, json_get_bool(j, "", "i", false, &b, &err), "i: expected true or false");
	assert_true(b);
}

static void test_get_int64(void **state)
{
	json_t *j = *state;
	_cleanup_error_ struct husk_error *err = NULL;
	int64_t v = 0;

	assert_int_equal(json_get_int64(j, "", "i", true, &v, &err), 0);
	assert_true(v == -42);
	assert_int_equal(json_get_int64(j, "", "big", true, &v, &err), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(json_get_int64(j, "", "neg_big", true, &v, &err), 0);
	assert_true(v == INT64_MIN);
	v = 5;
	assert_int_equal(json_get_int64(j, "", "nope", false, &v, &err), 0);
	assert_true(v == 5);
	assert_err(&err, json_get_int64(j, "", "nope", true, &v, &err), "nope: required");
	assert_err(&err, json_get_int64(j, "", "real", true, &v, &err),
	           "real: expected an integer");
	assert_err(&err, json_get_int64(j, "a.b", "num_str", true, &v, &err),
	           "a.b.num_str: expected an integer");
	assert_err(&err, json_get_int64(j, "", "t", true, &v, &err), "t: expected an integer");
	assert_true(v == 5);
}

static void test_get_uint64(void **state)
{
	json_t *j = *state;
	_cleanup_error_ struct husk_error *err = NULL;
	uint64_t v = 0;

	assert_int_equal(json_get_uint64(j, "", "big", true, &v, &err), 0);
	assert_true(v == INT64_MAX);
	v = 5;
	assert_int_equal(json_get_uint64(j, "", "nope", false, &v, &err), 0);
	assert_true(v == 5);
	assert_err(&err, json_get_uint64(j, "", "i", true, &v, &err),
	           "i: expected a non-negative integer");
	assert_err(&err, json_get_uint64(j, "", "neg_big", true, &v, &err),
	           "neg_big: expected a non-negative integer");
	assert_err(&err, json_get_uint64(j, "", "real", true, &v, &err),
	           "real: expected a non-negative integer");
	assert_err(&err, json_get_uint64(j, "", "nope", true, &v, &err), "nope: required");
	assert_true(v == 5);
}

static void test_get_uint64_zero(void **state)
{
	_cleanup_json_ json_t *j = json_pack("{s:i}", "z", 0);
	uint64_t v = 9;

	assert_int_equal(json_get_uint64(j, "", "z", true, &v, NULL), 0);
	assert_true(v == 0);
}

static void test_get_strv(void **state)
{
	json_t *j = *state;
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_strv_ char **env = NULL, **none = NULL;
	static char *stale[] = {NULL};
	char **v = NULL;

	assert_int_equal(json_get_strv(j, "process", "env", true, &env, &err), 0);
	assert_int_equal(strv_length(env), 2);
	assert_string_equal(env[0], "A=1");
	assert_string_equal(env[1], "B=");
	/* empty array: an empty vector, not NULL */
	assert_int_equal(json_get_strv(j, "process", "none", true, &none, &err), 0);
	assert_non_null(none);
	assert_int_equal(strv_length(none), 0);
	/* absent optional: NULL (documented) */
	v = stale;
	assert_int_equal(json_get_strv(j, "process", "nope", false, &v, &err), 0);
	assert_null(v);
	assert_null(err);
	assert_err(&err, json_get_strv(j, "process", "args", true, &v, &err),
	           "process.args[2]: expected a string");
	assert_err(&err, json_get_strv(j, "", "args", false, &v, &err),
	           "args[2]: expected a string");
	assert_err(&err, json_get_strv(j, "process", "s", true, &v, &err),
	           "process.s: expected an array of strings");
	assert_err(&err, json_get_strv(j, "process", "nope", true, &v, &err),
	           "process.nope: required");
	assert_null(v);
}

static void test_get_object_array(void **state)
{
	json_t *j = *state;
	_cleanup_error_ struct husk_error *err = NULL;
	json_t *o = NULL, *a = NULL;

	assert_int_equal(json_get_object(j, "", "obj", true, &o, &err), 0);
	assert_ptr_equal(o, json_object_get(j, "obj"));
	assert_int_equal(json_get_array(j, "", "args", true, &a, &err), 0);
	assert_ptr_equal(a, json_object_get(j, "args"));
	/* absent optional: NULL */
	assert_int_equal(json_get_object(j, "", "nope", false, &o, &err), 0);
	assert_null(o);
	assert_int_equal(json_get_array(j, "", "n", false, &a, &err), 0);
	assert_null(a);
	assert_null(err);
	assert_err(&err, json_get_object(j, "c", "args", true, &o, &err),
	           "c.args: expected an object");
	assert_err(&err, json_get_array(j, "c", "obj", true, &a, &err), "c.obj: expected an array");
	assert_err(&err, json_get_object(j, "c", "nope", true, &o, &err), "c.nope: required");
	assert_err(&err, json_get_array(j, "", "nope", true, &a, &err), "nope: required");
}

static void test_get_nested_path(void **state)
{
	json_t *j = *state;
	_cleanup_error_ struct husk_error *err = NULL;
	json_t *o = NULL;
	const char *s = NULL;

	assert_int_equal(json_get_object(j, "", "obj", true, &o, &err), 0);
	assert_int_equal(json_get_string(o, "obj", "k", true, &s, &err), 0);
	assert_string_equal(s, "v");
	assert_err(&err, json_get_string(o, "obj", "missing", true, &s, &err),
	           "obj.missing: required");
}

static void test_get_on_non_object(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *arr = json_array();
	const char *s = "keep";

	/* not an object: nothing is present */
	assert_int_equal(json_get_string(NULL, "", "k", false, &s, &err), 0);
	assert_int_equal(json_get_string(arr, "", "k", false, &s, &err), 0);
	assert_string_equal(s, "keep");
	assert_err(&err, json_get_string(arr, "p", "k", true, &s, &err), "p.k: required");
}

static void test_getters_null_err(void **state)
{
	json_t *j = *state;
	const char *s = NULL;
	char **v = NULL;
	bool b;

	assert_int_equal(json_get_string(j, "", "i", true, &s, NULL), -EINVAL);
	assert_int_equal(json_get_string(j, "", "nope", true, &s, NULL), -EINVAL);
	assert_int_equal(json_get_bool(j, "", "s", true, &b, NULL), -EINVAL);
	assert_int_equal(json_get_strv(j, "", "args", true, &v, NULL), -EINVAL);
	assert_null(v);
}

/* ---- building ---- */

static void test_from_strv(void **state)
{
	char *v[] = {"a", "", "c", NULL};
	char *none[] = {NULL};
	_cleanup_json_ json_t *a = json_from_strv(v), *e = json_from_strv(none);
	_cleanup_json_ json_t *n = json_from_strv(NULL);
	_cleanup_free_ char *s = json_compact(a);

	assert_string_equal(s, "[\"a\",\"\",\"c\"]");
	assert_true(json_is_array(e));
	assert_int_equal(json_array_size(e), 0);
	assert_non_null(n);
	assert_true(json_is_null(n));
}

static void test_strv_roundtrip(void **state)
{
	char *v[] = {"/bin/sh", "-c", "echo \"hi\"", NULL};
	_cleanup_json_ json_t *o = json_object();
	_cleanup_strv_ char **back = NULL;

	assert_int_equal(json_set(o, "Cmd", json_from_strv(v)), 0);
	assert_int_equal(json_get_strv(o, "", "Cmd", true, &back, NULL), 0);
	assert_int_equal(strv_length(back), 3);
	for (int i = 0; i < 3; i++)
		assert_string_equal(back[i], v[i]);
}

static void test_set(void **state)
{
	_cleanup_json_ json_t *o = json_object();
	_cleanup_free_ char *s = NULL;

	assert_int_equal(json_set(o, "a", json_integer(1)), 0);
	assert_int_equal(json_set(o, "n", NULL), 0);
	assert_true(json_is_null(json_object_get(o, "n")));
	/* replaces */
	assert_int_equal(json_set(o, "a", json_string("x")), 0);
	s = json_compact(o);
	assert_non_null(strstr(s, "\"a\":\"x\""));
	assert_non_null(strstr(s, "\"n\":null"));
	assert_int_equal(json_object_size(o), 2);
}

static void test_set_failure_frees_value(void **state)
{
	_cleanup_json_ json_t *arr = json_array();

	/* not an object: fails, and the stolen value is freed (ASan checks) */
	assert_int_equal(json_set(arr, "k", json_string("leak?")), -ENOMEM);
	assert_int_equal(json_set(NULL, "k", json_string("leak?")), -ENOMEM);
}

static void test_string_or_null(void **state)
{
	_cleanup_json_ json_t *s = json_string_or_null("v");
	_cleanup_json_ json_t *n = json_string_or_null(NULL);
	_cleanup_json_ json_t *e = json_string_or_null("");

	assert_string_equal(json_string_value(s), "v");
	assert_true(json_is_null(n));
	assert_string_equal(json_string_value(e), "");
}

#define SAMPLE_TEST(f) cmocka_unit_test_setup_teardown(f, setup_sample, teardown_sample)

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse_ok),
	        cmocka_unit_test(test_parse_invalid),
	        cmocka_unit_test(test_parse_invalid_cases),
	        cmocka_unit_test(test_parse_embedded_nul),
	        cmocka_unit_test(test_parse_too_big),
	        cmocka_unit_test(test_parse_duplicate_keys),
	        cmocka_unit_test(test_parse_deep_nesting),
	        cmocka_unit_test(test_parse_null_err),
	        cmocka_unit_test(test_load_path),
	        cmocka_unit_test(test_compact),
	        SAMPLE_TEST(test_get_string),
	        SAMPLE_TEST(test_get_bool),
	        SAMPLE_TEST(test_get_int64),
	        SAMPLE_TEST(test_get_uint64),
	        cmocka_unit_test(test_get_uint64_zero),
	        SAMPLE_TEST(test_get_strv),
	        SAMPLE_TEST(test_get_object_array),
	        SAMPLE_TEST(test_get_nested_path),
	        cmocka_unit_test(test_get_on_non_object),
	        SAMPLE_TEST(test_getters_null_err),
	        cmocka_unit_test(test_from_strv),
	        cmocka_unit_test(test_strv_roundtrip),
	        cmocka_unit_test(test_set),
	        cmocka_unit_test(test_set_failure_frees_value),
	        cmocka_unit_test(test_string_or_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
