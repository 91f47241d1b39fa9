/* Unit tests for src/api/router.c: route patterns with {captures} and
 * greedy {name*} captures, and the /v1.NN/ version prefix. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "api/server.h"
#include "base/str.h"

/* Match and return the captures; the test frees them. */
struct match {
	bool ok;
	struct api_capture caps[API_MAX_CAPTURES];
	size_t n;
};

static struct match match(const char *pattern, const char *path)
{
	struct match m = {0};

	m.ok = api_route_match(pattern, path, m.caps, &m.n);
	return m;
}

static const char *cap(const struct match *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (streq(m->caps[i].name, name))
			return m->caps[i].value;
	return NULL;
}

static void assert_matches(const char *pattern, const char *path, size_t ncaps)
{
	struct match m = match(pattern, path);

	if (!m.ok)
		fail_msg("\"%s\" does not match \"%s\"", path, pattern);
	assert_int_equal(m.n, ncaps);
	api_captures_free(m.caps, m.n);
}

static void assert_no_match(const char *pattern, const char *path)
{
	struct match m = match(pattern, path);

	if (m.ok)
		fail_msg("\"%s\" matches \"%s\"", path, pattern);
	assert_int_equal(m.n, 0);
}

/* One capture: pattern against path gives name=value. */
static void assert_capture(const char *pattern, const char *path, const char *name,
                           const char *value)
{
	struct match m = match(pattern, path);

	if (!m.ok)
		fail_msg("\"%s\" does not match \"%s\"", path, pattern);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.caps[0].name, name);
	assert_string_equal(m.caps[0].value, value);
	api_captures_free(m.caps, m.n);
}

/* ---- api_route_match ---- */

static void test_literal(void **state)
{
	assert_matches("/_ping", "/_ping", 0);
	assert_matches("/containers/json", "/containers/json", 0);
	assert_matches("/", "/", 0);
	assert_no_match("/_ping", "/_pong");
	assert_no_match("/_ping", "/_pin");
	assert_no_match("/_ping", "/_pingx");
	assert_no_match("/containers/json", "/containers/jsonx");
	assert_no_match("/containers/json", "/Containers/json");
	assert_no_match("/_ping", "_ping");
	assert_no_match("/_ping", "");
}

static void test_capture(void **state)
{
	assert_capture("/containers/{id}/json", "/containers/abc123/json", "id", "abc123");
	assert_capture("/containers/{name}", "/containers/web_1", "name", "web_1");
	/* a capture holds any byte but '/' */
	assert_capture("/containers/{id}/json", "/containers/a:b.c-d%20/json", "id", "a:b.c-d%20");
	assert_no_match("/containers/{id}/json", "/containers/a/b/json");
}

static void test_greedy(void **state)
{
	assert_capture("/images/{name*}/json", "/images/127.0.0.1:5000/a/b/json", "name",
	               "127.0.0.1:5000/a/b");
	assert_capture("/images/{name*}/json", "/images/busybox/json", "name", "busybox");
	assert_capture("/images/{name*}", "/images/busybox", "name", "busybox");
	assert_capture("/images/{name*}", "/images/library/busybox:1.36", "name",
	               "library/busybox:1.36");
	assert_capture("/images/{name*}/tag", "/images/busybox:latest/tag", "name",
	               "busybox:latest");
	/* the rest of the pattern is kept even when its words appear in the name */
	assert_capture("/images/{name*}/json", "/images/json/json", "name", "json");
	assert_capture("/images/{name*}/json", "/images/a/json/b/json", "name", "a/json/b");
	/* a greedy capture needs its fixed tail */
	assert_no_match("/images/{name*}/json", "/images/busybox/history");
	assert_no_match("/images/{name*}/json", "/images/json");
}

static void test_two_captures(void **state)
{
	struct match m = match("/containers/{id}/archive/{what}", "/containers/c1/archive/x");

	assert_true(m.ok);
	assert_int_equal(m.n, 2);
	assert_string_equal(cap(&m, "id"), "c1");
	assert_string_equal(cap(&m, "what"), "x");
	assert_null(cap(&m, "nope"));
	api_captures_free(m.caps, m.n);

	m = match("/exec/{id}/start", "/exec/e0f1/start");
	assert_true(m.ok);
	assert_int_equal(m.n, 1);
	assert_string_equal(cap(&m, "id"), "e0f1");
	api_captures_free(m.caps, m.n);

	m = match("/networks/{id}/{verb}", "/networks/n1/connect");
	assert_true(m.ok);
	assert_string_equal(cap(&m, "id"), "n1");
	assert_string_equal(cap(&m, "verb"), "connect");
	api_captures_free(m.caps, m.n);
}

static void test_greedy_then_capture(void **state)
{
	struct match m = match("/distribution/{name*}/{what}", "/distribution/a/b/c/json");

	assert_true(m.ok);
	assert_int_equal(m.n, 2);
	assert_string_equal(cap(&m, "name"), "a/b/c");
	assert_string_equal(cap(&m, "what"), "json");
	api_captures_free(m.caps, m.n);
}

static void test_segment_count(void **state)
{
	assert_no_match("/containers/{id}/json", "/containers/abc");
	assert_no_match("/containers/{id}/json", "/containers/abc/json/more");
	assert_no_match("/containers/{id}/json", "/containers");
	assert_no_match("/containers/json", "/containers/json/x");
	assert_no_match("/containers/json", "/containers");
	assert_no_match("/exec/{id}/start", "/exec/start");
	assert_no_match("/exec/{id}/start", "/exec/e1/e2/start");
}

static void test_empty_capture(void **state)
{
	assert_no_match("/containers/{id}/json", "/containers//json");
	assert_no_match("/images/{name*}/json", "/images//json");
	assert_no_match("/images/{name*}", "/images/");
	assert_no_match("/images/{name*}", "/images");
	assert_no_match("/containers/{id}", "/containers/");
}

static void test_trailing_slash(void **state)
{
	assert_matches("/_ping", "/_ping/", 0);
	assert_matches("/containers/json", "/containers/json/", 0);
	assert_capture("/containers/{id}/json", "/containers/c1/json/", "id", "c1");
	assert_capture("/containers/{id}", "/containers/c1/", "id", "c1");
	/* a greedy capture does not take the trailing slash */
	assert_capture("/images/{name*}", "/images/busybox/", "name", "busybox");
	assert_capture("/images/{name*}/json", "/images/a/b/json/", "name", "a/b");
	/* one slash at most */
	assert_no_match("/_ping", "/_ping//");
}

static void test_too_many_captures(void **state)
{
	/* API_MAX_CAPTURES is 4: a fifth capture cannot match, and nothing leaks */
	assert_matches("/{a}/{b}/{c}/{d}", "/1/2/3/4", 4);
	assert_no_match("/{a}/{b}/{c}/{d}/{e}", "/1/2/3/4/5");
}

static void test_failed_match_frees(void **state)
{
	/* captures made before the mismatch are freed and zeroed */
	struct match m = match("/containers/{id}/{x}/json", "/containers/a/b/logs");

	assert_false(m.ok);
	assert_int_equal(m.n, 0);
	assert_null(m.caps[0].name);
	assert_null(m.caps[0].value);
	assert_null(m.caps[1].value);
}

/* ---- api_split_version ---- */

static void assert_version(const char *url, unsigned version, const char *path)
{
	unsigned v = 12345;
	const char *p = NULL;

	if (api_split_version(url, &v, &p) != 0)
		fail_msg("\"%s\" is refused", url);
	assert_int_equal(v, version);
	assert_string_equal(p, path);
}

static void assert_bad_version(const char *url)
{
	unsigned v = 12345;
	const char *p = NULL;

	if (api_split_version(url, &v, &p) != -EINVAL)
		fail_msg("\"%s\" is not refused", url);
}

static void test_version_prefix(void **state)
{
	assert_version("/v1.43/x", 143, "/x");
	assert_version("/v1.43/containers/json", 143, "/containers/json");
	assert_version("/v1.24", 124, "/");
	assert_version("/v1.24/", 124, "/");
	assert_version("/v1.9/x", 109, "/x");
	assert_version("/v1.0/x", 100, "/x");
	assert_version("/v1.99/x", 199, "/x");
}

static void test_version_none(void **state)
{
	assert_version("/_ping", 0, "/_ping");
	assert_version("/vX/x", 0, "/vX/x");
	assert_version("/v/x", 0, "/v/x");
	assert_version("/v", 0, "/v");
	assert_version("/", 0, "/");
	assert_version("", 0, "");
	assert_version("v1.43/x", 0, "v1.43/x");
	/* a path that starts with "/v" is not a version prefix */
	assert_version("/version", 0, "/version");
	assert_version("/volumes/create", 0, "/volumes/create");
}

static void test_version_invalid(void **state)
{
	assert_bad_version("/v2.0/x");
	assert_bad_version("/v0.9/x");
	assert_bad_version("/v1.43x/y");
	assert_bad_version("/v1.43.1/y");
	assert_bad_version("/v1/x");
	assert_bad_version("/v1./x");
	assert_bad_version("/v1.");
	assert_bad_version("/v1/");
	assert_bad_version("/v11.0/x");
	/* digits only: no sign, no white space, no minor past 99 */
	assert_bad_version("/v1.+43/x");
	assert_bad_version("/v1.-1/x");
	assert_bad_version("/v1. 43/x");
	assert_bad_version("/v1.100/x");
	assert_bad_version("/v1.4300/x");
	assert_bad_version("/v1.4294967297/x");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_literal),
	        cmocka_unit_test(test_capture),
	        cmocka_unit_test(test_greedy),
	        cmocka_unit_test(test_two_captures),
	        cmocka_unit_test(test_greedy_then_capture),
	        cmocka_unit_test(test_segment_count),
	        cmocka_unit_test(test_empty_capture),
	        cmocka_unit_test(test_trailing_slash),
	        cmocka_unit_test(test_too_many_captures),
	        cmocka_unit_test(test_failed_match_frees),
	        cmocka_unit_test(test_version_prefix),
	        cmocka_unit_test(test_version_none),
	        cmocka_unit_test(test_version_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
