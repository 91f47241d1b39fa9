/* Unit tests for the health checks' pure parts: Go's Duration.String() of
 * the timeout message (src/engine/container_health.c) and the create-time
 * merge and validation of Config.Healthcheck (src/engine/spec_normalize.c)
 * with dockerd's words. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "base/error.h"
#include "base/json.h"
#include "engine/container_internal.h"
#include "engine/spec_build.h"

static void test_go_duration(void **state)
{
	static const struct {
		int64_t ns;
		const char *go;
	} cases[] = {
	        {0, "0s"},
	        {1, "1ns"},
	        {999, "999ns"},
	        {1000, "1\xc2\xb5s"},
	        {1500, "1.5\xc2\xb5s"},
	        {1000000, "1ms"},
	        {500000000, "500ms"},
	        {1000000000, "1s"},
	        {1500000000, "1.5s"},
	        {30000000000LL, "30s"},
	        {60000000000LL, "1m0s"},
	        {90000000000LL, "1m30s"},
	        {3600000000000LL, "1h0m0s"},
	        {3723000000001LL, "1h2m3.000000001s"},
	        {-2000000000LL, "-2s"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = health_go_duration(cases[i].ns);
		assert_non_null(s);
		assert_string_equal(s, cases[i].go);
		free(s);
	}
}

/* Normalize a create body (JSON text) over an image config (or NULL):
 * 0 and the merged Healthcheck, or the error's message. */
static int normalize(const char *body_text, const char *image_text, json_t **ret_hc, char **ret_msg)
{
	json_t *body = json_loads(body_text, 0, NULL);
	json_t *img = image_text ? json_loads(image_text, 0, NULL) : NULL;
	json_t *warnings = json_array(), *out = NULL;
	struct husk_error *err = NULL;
	int r;

	assert_non_null(body);
	r = spec_normalize_create(body, img, warnings, &out, &err);
	*ret_hc = r == 0 ? json_incref(json_object_get(out, "Healthcheck")) : NULL;
	*ret_msg = r < 0 ? strdup(error_message(err)) : NULL;
	error_free(err);
	json_decref(out);
	json_decref(warnings);
	json_decref(img);
	json_decref(body);
	return r;
}

static void expect_error(const char *hc, const char *msg)
{
	char body[512], *got = NULL;
	json_t *out = NULL;

	snprintf(body, sizeof(body), "{\"Image\": \"busybox\", \"Healthcheck\": %s}", hc);
	assert_int_equal(normalize(body, NULL, &out, &got), -EINVAL);
	assert_non_null(got);
	assert_string_equal(got, msg);
	free(got);
}

static void test_validation(void **state)
{
	(void)state;
	expect_error("{\"Test\": [\"CMD\", \"true\"], \"Retries\": -1}",
	             "Retries in Healthcheck cannot be negative");
	expect_error("{\"Interval\": 1}", "Interval in Healthcheck cannot be less than 1ms");
	expect_error("{\"Timeout\": 999999}", "Timeout in Healthcheck cannot be less than 1ms");
	expect_error("{\"StartPeriod\": 5}", "StartPeriod in Healthcheck cannot be less than 1ms");
	expect_error("{\"StartInterval\": 5}",
	             "StartInterval in Healthcheck cannot be less than 1ms");
	/* dockerd's order: Retries before the start period */
	expect_error("{\"Retries\": -2, \"StartPeriod\": 5}",
	             "Retries in Healthcheck cannot be negative");
	expect_error("{\"Interval\": -5, \"Retries\": -2}",
	             "Interval in Healthcheck cannot be less than 1ms");
}

static void expect_merge(const char *hc, const char *image, const char *want)
{
	char body[512], *msg = NULL;
	json_t *out = NULL, *w = json_loads(want, JSON_DECODE_ANY, NULL);

	snprintf(body, sizeof(body), "{\"Image\": \"busybox\", \"Cmd\": [\"true\"]%s%s}",
	         hc ? ", \"Healthcheck\": " : "", hc ? hc : "");
	assert_int_equal(normalize(body, image, &out, &msg), 0);
	assert_non_null(w);
	if (!json_equal(out ? out : json_null(), w)) {
		char *got = out ? json_dumps(out, JSON_COMPACT) : strdup("null");
		fail_msg("healthcheck %s over %s: got %s, want %s", hc ? hc : "(none)", image, got,
		         want);
	}
	json_decref(out);
	json_decref(w);
}

static void test_merge(void **state)
{
	const char *img = "{\"Healthcheck\": {\"Test\": [\"CMD-SHELL\", \"check\"], "
	                  "\"Interval\": 2000000000, \"Retries\": 7}}";

	(void)state;
	/* nothing given: the image's */
	expect_merge(NULL, img,
	             "{\"Test\": [\"CMD-SHELL\", \"check\"], \"Interval\": 2000000000, "
	             "\"Retries\": 7}");
	/* an empty Test and zero values inherit; given ones win */
	expect_merge("{\"Interval\": 1000000000}", img,
	             "{\"Test\": [\"CMD-SHELL\", \"check\"], \"Interval\": 1000000000, "
	             "\"Retries\": 7}");
	expect_merge("{\"Test\": [], \"Retries\": 0, \"Timeout\": 3000000000}", img,
	             "{\"Test\": [\"CMD-SHELL\", \"check\"], \"Interval\": 2000000000, "
	             "\"Retries\": 7, \"Timeout\": 3000000000}");
	/* NONE disables, keeping the image's numbers as dockerd does */
	expect_merge("{\"Test\": [\"NONE\"]}", img,
	             "{\"Test\": [\"NONE\"], \"Interval\": 2000000000, \"Retries\": 7}");
	/* no image health check: the user's as given */
	expect_merge("{\"Test\": [\"CMD\", \"true\"]}", "{}", "{\"Test\": [\"CMD\", \"true\"]}");
	expect_merge(NULL, "{}", "null");
}

/* HealthConfig's field order, the empty ones left out, as dockerd prints it */
static void test_merge_order(void **state)
{
	json_t *out = NULL;
	char *msg = NULL, *text;

	(void)state;
	assert_int_equal(normalize("{\"Image\": \"busybox\", \"Cmd\": [\"true\"], \"Healthcheck\": "
	                           "{\"Retries\": 2, \"Timeout\": 0, \"Interval\": 1000000000, "
	                           "\"Test\": [\"CMD\", \"x\"], \"StartPeriod\": null}}",
	                           "{}", &out, &msg),
	                 0);
	text = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(text,
	                    "{\"Test\":[\"CMD\",\"x\"],\"Interval\":1000000000,\"Retries\":2}");
	free(text);
	json_decref(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_go_duration),
	        cmocka_unit_test(test_validation),
	        cmocka_unit_test(test_merge),
	        cmocka_unit_test(test_merge_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
