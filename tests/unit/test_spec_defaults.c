/* Unit tests for src/engine/spec_defaults.c: Docker's size units and
 * daemon.json's container defaults (what a container sets itself wins). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "base/json.h"
#include "engine/spec_build.h"

static json_t *parse(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);

	assert_non_null(j);
	return j;
}

static void test_ram_size(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(spec_parse_ram_size("512", &v), 0);
	assert_int_equal(v, 512);
	assert_int_equal(spec_parse_ram_size("64m", &v), 0);
	assert_int_equal(v, 64u << 20);
	assert_int_equal(spec_parse_ram_size("1.5g", &v), 0);
	assert_int_equal(v, 3u << 29);
	assert_int_equal(spec_parse_ram_size("10MiB", &v), 0);
	assert_int_equal(v, 10u << 20);
	assert_int_equal(spec_parse_ram_size("2 kb", &v), 0);
	assert_int_equal(v, 2048);
	assert_int_equal(spec_parse_ram_size("", &v), -EINVAL);
	assert_int_equal(spec_parse_ram_size("m", &v), -EINVAL);
	assert_int_equal(spec_parse_ram_size("-1m", &v), -EINVAL);
	assert_int_equal(spec_parse_ram_size("1x", &v), -EINVAL);
	assert_int_equal(spec_parse_ram_size("99999999999p", &v), -ERANGE);
}

static void check_fails(const char *daemon, const char *words)
{
	_cleanup_json_ json_t *d = parse(daemon);
	struct husk_error *err = NULL;

	assert_true(spec_daemon_defaults_check(d, &err) < 0);
	assert_non_null(err);
	if (!strstr(error_message(err), words))
		fail_msg("\"%s\" does not say \"%s\"", error_message(err), words);
	error_free(err);
}

static void test_check(void **state)
{
	_cleanup_json_ json_t *ok = parse("{\"default-shm-size\": \"128m\", \"dns\": "
	                                  "[\"10.0.0.2\"], \"dns-opts\": [\"ndots:1\"],"
	                                  " \"default-ulimits\": {\"nofile\": {\"Name\": "
	                                  "\"nofile\", \"Soft\": 1, \"Hard\": 2}},"
	                                  " \"seccomp-profile\": \"unconfined\"}");
	struct husk_error *err = NULL;

	(void)state;
	assert_int_equal(spec_daemon_defaults_check(ok, &err), 0);
	check_fails("{\"default-shm-size\": \"0\"}", "default-shm-size");
	check_fails("{\"default-shm-size\": \"big\"}", "default-shm-size");
	check_fails("{\"default-ulimits\": {\"nproc\": {\"Soft\": 9, \"Hard\": 3}}}",
	            "soft limit must be less than or equal to hard limit");
	check_fails("{\"default-ulimits\": {\"nofile\": 7}}", "default-ulimits");
	check_fails("{\"dns-search\": [\"a b\"]}", "dns-search");
	check_fails("{\"seccomp-profile\": \"/nonexistent/x.json\"}", "seccomp-profile");
}

static void test_create(void **state)
{
	_cleanup_json_ json_t *d = parse("{\"default-shm-size\": \"1g\"}");
	_cleanup_json_ json_t *none = parse("{}"),
	                      *zero = parse("{\"HostConfig\": {\"ShmSize\": 0}}"),
	                      *own = parse("{\"HostConfig\": {\"ShmSize\": 4096}}"),
	                      *plain = parse("{}");

	(void)state;
	assert_int_equal(spec_daemon_defaults_create(d, none, NULL), 0);
	assert_int_equal(
	        json_integer_value(json_object_get(json_object_get(none, "HostConfig"), "ShmSize")),
	        1 << 30);
	assert_int_equal(spec_daemon_defaults_create(d, zero, NULL), 0);
	assert_int_equal(
	        json_integer_value(json_object_get(json_object_get(zero, "HostConfig"), "ShmSize")),
	        1 << 30);
	assert_int_equal(spec_daemon_defaults_create(d, own, NULL), 0);
	assert_int_equal(
	        json_integer_value(json_object_get(json_object_get(own, "HostConfig"), "ShmSize")),
	        4096);
	/* no daemon default: the body is left alone */
	assert_int_equal(spec_daemon_defaults_create(plain, plain, NULL), 0);
	assert_null(json_object_get(plain, "HostConfig"));
}

static void test_start(void **state)
{
	_cleanup_json_ json_t *d =
	        parse("{\"no-new-privileges\": true, \"seccomp-profile\": \"unconfined\","
	              " \"default-ulimits\": {\"nofile\": {\"Name\": \"nofile\", \"Soft\": 10, "
	              "\"Hard\": 20},"
	              " \"nproc\": {\"Soft\": 5, \"Hard\": 6}}}");
	_cleanup_json_ json_t *bare = parse("{\"HostConfig\": {}}");
	_cleanup_json_ json_t *own =
	        parse("{\"HostConfig\": {\"SecurityOpt\": [\"no-new-privileges=false\", "
	              "\"seccomp:builtin\"],"
	              " \"Ulimits\": [{\"Name\": \"nofile\", \"Soft\": 1, \"Hard\": 2}]}}");
	_cleanup_json_ json_t *want_bare =
	        parse("{\"HostConfig\": {\"SecurityOpt\": [\"no-new-privileges=true\", "
	              "\"seccomp=unconfined\"], \"Ulimits\": [{\"Name\": \"nofile\", \"Soft\": 10, "
	              "\"Hard\": 20}, {\"Name\": \"nproc\", \"Soft\": 5, \"Hard\": 6}]}}");
	_cleanup_json_ json_t *want_own =
	        parse("{\"HostConfig\": {\"SecurityOpt\": [\"no-new-privileges=false\", "
	              "\"seccomp:builtin\"],"
	              " \"Ulimits\": [{\"Name\": \"nofile\", \"Soft\": 1, \"Hard\": 2},"
	              " {\"Name\": \"nproc\", \"Soft\": 5, \"Hard\": 6}]}}");

	(void)state;
	assert_int_equal(spec_daemon_defaults_start(d, bare, NULL), 0);
	assert_true(json_equal(bare, want_bare));
	assert_int_equal(spec_daemon_defaults_start(d, own, NULL), 0);
	assert_true(json_equal(own, want_own));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_ram_size),
	        cmocka_unit_test(test_check),
	        cmocka_unit_test(test_create),
	        cmocka_unit_test(test_start),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
