/* Unit tests for src/engine/events.c: Docker's time arguments, the event
 * JSON, every filter, since/until replays from the ring, live delivery
 * through the eventfd, overflow of the ring and of a slow subscriber's
 * queue, threads, and the end of subscriptions when the bus goes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/json.h"
#include "base/str.h"
#include "engine/events.h"

#define S(x) ((int64_t)(x)*1000000000LL)

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- time arguments ---- */

static void time_ok(const char *in, int64_t now, int64_t want)
{
	_cleanup_error_ struct husk_error *err = NULL;
	int64_t got = -1;

	if (events_parse_time(in, now, &got, &err) < 0)
		fail_msg("parse \"%s\": %s", in, error_message(err));
	if (got != want)
		fail_msg("parse \"%s\": got %lld, want %lld", in, (long long)got, (long long)want);
}

static void time_bad(const char *in)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_free_ char *want =
	        str_printf("failed to parse value as time or duration: \"%s\"", in);
	int64_t got = 0;

	assert_int_equal(events_parse_time(in, 0, &got, &err), -EINVAL);
	assert_string_equal(error_message(err), want);
}

static void test_parse_time(void **state)
{
	int64_t now = S(1700000000);

	setenv("TZ", "UTC", 1);
	tzset();
	time_ok("1700000000", now, S(1700000000));
	time_ok("1700000000.5", now, S(1700000000) + 500000000);
	time_ok("1700000000.123456789", now, S(1700000000) + 123456789);
	time_ok("0", now, 0);
	time_ok("2023-11-14T22:13:20Z", now, S(1700000000));
	time_ok("2023-11-14T22:13:20.25Z", now, S(1700000000) + 250000000);
	time_ok("2023-11-14T23:13:20+01:00", now, S(1700000000));
	time_ok("2023-11-14T22:13:20-00:30", now, S(1700000000 + 1800));
	time_ok("2023-11-14T22Z", now, S(1699999200));
	time_ok("2023-11-14T22:13Z", now, S(1699999980));
	time_ok("2023-11-14Z", now, S(1699920000));
	/* no zone: local time (TZ=UTC here) */
	time_ok("2023-11-14", now, S(1699920000));
	time_ok("2023-11-14T22", now, S(1699999200));
	time_ok("2023-11-14T22:13", now, S(1699999980));
	time_ok("2023-11-14T22:13:20", now, S(1700000000));
	time_ok("2023-11-14T22:13:20.1", now, S(1700000000) + 100000000);
	/* Go durations count back from now */
	time_ok("10m", now, now - S(600));
	time_ok("1h30m", now, now - S(5400));
	time_ok("1.5h", now, now - S(5400));
	time_ok("250ms", now, now - 250000000);
	time_ok("2us", now, now - 2000);
	time_ok("-5s", now, now + S(5));
	time_ok("0s", now, now);
	/* past the ns an int64 holds (1677-2262): saturated, never overflowed */
	time_ok("3000-01-01", now, INT64_MAX);
	time_ok("3000-01-01T00:00:00Z", now, INT64_MAX);
	time_ok("1600-01-01T00:00:00Z", now, INT64_MIN);
	time_ok("99999999999", now, INT64_MAX);
	time_ok("-2500000h", now, INT64_MAX);
	time_ok("2500000h", -now, INT64_MIN);
	time_bad("yesterday");
	time_bad("10x");
	time_bad("1e3s");
	time_bad("1700000000.");
	time_bad("1700000000.1234567890");
	time_bad("2023-13-01");
	time_bad("2023-11-14T25:00");
	time_bad("2023-11-14T22:13:20Zjunk");
	time_bad("-5");
	time_bad("");
	time_bad("99999999999999999999");
}

/* "10" is a valid unix time: the bad list above must not hold it. */
static void test_parse_time_plain_number(void **state)
{
	time_ok("10", S(5), S(10));
}

/* ---- the JSON ---- */

static json_t *attrs(const char *k1, const char *v1, const char *k2, const char *v2)
{
	json_t *a = json_object();

	if (k1)
		json_object_set_new(a, k1, json_string(v1));
	if (k2)
		json_object_set_new(a, k2, json_string(v2));
	return a;
}

static json_t *next_now(struct events_sub *s)
{
	return events_sub_next(s, 0, NULL);
}

static void test_event_json(void **state)
{
	_cleanup_(events_freep) struct events *ev = events_new();
	_cleanup_(events_sub_freep) struct events_sub *s = NULL;
	_cleanup_json_ json_t *c = NULL, *v = NULL;
	_cleanup_free_ char *text = NULL;

	assert_non_null(ev);
	assert_int_equal(events_subscribe(ev, NULL, NULL, NULL, &s, NULL), 0);
	events_publish_at(ev, "container", "start", "abc123",
	                  attrs("name", "c1", "image", "busybox"), S(1700000000) + 42);
	events_publish_at(ev, "volume", "create", "v1", NULL, S(1700000001));
	c = next_now(s);
	v = next_now(s);
	assert_non_null(c);
	assert_non_null(v);
	assert_null(next_now(s));
	text = json_compact(c);
	assert_string_equal(text, "{\"status\":\"start\",\"id\":\"abc123\",\"from\":\"busybox\","
	                          "\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"ID\":"
	                          "\"abc123\",\"Attributes\":{\"name\":\"c1\",\"image\":"
	                          "\"busybox\"}},\"scope\":\"local\",\"time\":1700000000,"
	                          "\"timeNano\":1700000000000000042}");
	/* the legacy fields are for containers and images only */
	assert_null(json_object_get(v, "status"));
	assert_null(json_object_get(v, "id"));
	assert_string_equal(json_string_value(json_object_get(v, "Type")), "volume");
	assert_true(json_is_object(json_object_get(json_object_get(v, "Actor"), "Attributes")));
	/* a NULL bus or missing type is ignored, not a crash */
	events_publish(NULL, "image", "tag", "x", attrs("name", "x", NULL, NULL));
	events_publish(ev, NULL, "tag", "x", NULL);
	assert_null(next_now(s));
}

/* ---- filters ---- */

static json_t *filters(const char *json)
{
	json_t *f = json_loads(json, 0, NULL);

	assert_non_null(f);
	return f;
}

/* How many of a fixed set of events pass the filters. */
static int count_matching(const char *json_filters)
{
	_cleanup_(events_freep) struct events *ev = events_new();
	_cleanup_(events_sub_freep) struct events_sub *s = NULL;
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *f = filters(json_filters);
	int n = 0;
	json_t *e;

	if (events_subscribe(ev, NULL, NULL, f, &s, &err) < 0)
		fail_msg("subscribe %s: %s", json_filters, error_message(err));
	events_publish(ev, "container", "start", "aaa111",
	               attrs("name", "web", "image", "busybox:latest"));
	events_publish(ev, "container", "die", "bbb222", attrs("name", "db", "image", "redis"));
	events_publish(ev, "container", "exec_start: sh -c true", "aaa111",
	               attrs("name", "web", "execID", "e1"));
	events_publish(ev, "image", "tag", "sha256:ccc", attrs("name", "busybox:v1", NULL, NULL));
	events_publish(ev, "volume", "create", "data1", attrs("driver", "local", NULL, NULL));
	events_publish(ev, "container", "create", "ddd444",
	               attrs("name", "labelled", "com.example.tier", "front"));
	while ((e = next_now(s))) {
		json_decref(e);
		n++;
	}
	return n;
}

static void test_filters(void **state)
{
	assert_int_equal(count_matching("{}"), 6);
	assert_int_equal(count_matching("{\"type\":{\"container\":true}}"), 4);
	assert_int_equal(count_matching("{\"type\":[\"image\",\"volume\"]}"), 2);
	assert_int_equal(count_matching("{\"event\":{\"start\":true}}"), 1);
	assert_int_equal(count_matching("{\"event\":{\"start\":true,\"die\":true}}"), 2);
	/* exec_start matches "exec_start: sh -c true" by prefix */
	assert_int_equal(count_matching("{\"event\":{\"exec_start\":true}}"), 1);
	/* container: name or ID, by prefix; other types do not match it */
	assert_int_equal(count_matching("{\"container\":{\"web\":true}}"), 2);
	assert_int_equal(count_matching("{\"container\":{\"bbb\":true}}"), 1);
	assert_int_equal(count_matching("{\"container\":{\"nope\":true}}"), 0);
	/* image: a container's image attribute, an image event's name, tags stripped */
	assert_int_equal(count_matching("{\"image\":{\"busybox\":true}}"), 2);
	assert_int_equal(count_matching("{\"image\":{\"busybox:latest\":true}}"), 1);
	assert_int_equal(count_matching("{\"image\":{\"sha256:ccc\":true}}"), 1);
	assert_int_equal(count_matching("{\"image\":{\"redis\":true}}"), 1);
	assert_int_equal(count_matching("{\"volume\":{\"data\":true}}"), 1);
	assert_int_equal(count_matching("{\"label\":{\"com.example.tier\":true}}"), 1);
	assert_int_equal(count_matching("{\"label\":{\"com.example.tier=front\":true}}"), 1);
	assert_int_equal(count_matching("{\"label\":{\"com.example.tier=back\":true}}"), 0);
	assert_int_equal(count_matching("{\"type\":{\"container\":true},"
	                                "\"event\":{\"create\":true}}"),
	                 1);
	assert_int_equal(count_matching("{\"scope\":{\"local\":true}}"), 6);
	assert_int_equal(count_matching("{\"scope\":{\"swarm\":true}}"), 0);
	assert_int_equal(count_matching("{\"network\":{\"n1\":true}}"), 0);
	/* a value set to false is not a value */
	assert_int_equal(count_matching("{\"type\":{\"container\":false}}"), 6);
}

static void test_filters_bad(void **state)
{
	_cleanup_(events_freep) struct events *ev = events_new();
	static const char *const bad[] = {
	        "{\"bogus\":{\"x\":true}}",
	        "{\"action\":{\"start\":true}}",
	        "{\"type\":\"container\"}",
	        "{\"type\":7}",
	        "[]",
	};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		_cleanup_error_ struct husk_error *err = NULL;
		_cleanup_json_ json_t *f = filters(bad[i]);
		struct events_sub *s = NULL;

		assert_int_equal(events_subscribe(ev, NULL, NULL, f, &s, &err), -EINVAL);
		assert_null(s);
		assert_non_null(strstr(error_message(err), "invalid filter"));
	}
	{
		_cleanup_error_ struct husk_error *err = NULL;
		_cleanup_json_ json_t *f = filters("{\"bogus\":{\"x\":true}}");
		struct events_sub *s = NULL;

		events_subscribe(ev, NULL, NULL, f, &s, &err);
		assert_string_equal(error_message(err), "invalid filter 'bogus'");
	}
	{
		_cleanup_error_ struct husk_error *err = NULL;
		struct events_sub *s = NULL;

		assert_int_equal(events_subscribe(ev, "soon", NULL, NULL, &s, &err), -EINVAL);
		assert_string_equal(error_message(err),
		                    "since: failed to parse value as time or duration: \"soon\"");
	}
	{
		_cleanup_error_ struct husk_error *err = NULL;
		struct events_sub *s = NULL;

		assert_int_equal(events_subscribe(ev, "20", "10", NULL, &s, &err), -EINVAL);
		assert_non_null(strstr(error_message(err), "after until"));
	}
}

/* ---- since and until ---- */

static int drain(struct events_sub *s, int64_t *first_ns)
{
	json_t *e;
	int n = 0;

	while ((e = next_now(s))) {
		if (n == 0 && first_ns)
			*first_ns = json_integer_value(json_object_get(e, "timeNano"));
		json_decref(e);
		n++;
	}
	return n;
}

static void test_since_until(void **state)
{
	_cleanup_(events_freep) struct events *ev = events_new();
	int64_t base = now_ns() - S(100), first = 0;

	for (int i = 0; i < 10; i++)
		events_publish_at(ev, "image", "tag", "x", NULL, base + S(i));
	{
		/* no since, no until: only new events */
		_cleanup_(events_sub_freep) struct events_sub *s = NULL;
		assert_int_equal(events_subscribe(ev, NULL, NULL, NULL, &s, NULL), 0);
		assert_int_equal(drain(s, NULL), 0);
	}
	{
		_cleanup_(events_sub_freep) struct events_sub *s = NULL;
		_cleanup_free_ char *since = str_printf("%lld", (long long)(base / S(1)) + 5);
		assert_int_equal(events_subscribe(ev, since, NULL, NULL, &s, NULL), 0);
		/* base has a fraction: events 5..9 are after since = floor(base)+5 */
		assert_int_equal(drain(s, &first), 5);
		assert_int_equal(first, base + S(5));
	}
	{
		/* until in the past: the replay, then the end */
		_cleanup_(events_sub_freep) struct events_sub *s = NULL;
		_cleanup_free_ char *since =
		        str_printf("%lld.%09lld", (long long)((base + S(2)) / S(1)),
		                   (long long)((base + S(2)) % S(1)));
		_cleanup_free_ char *until =
		        str_printf("%lld.%09lld", (long long)((base + S(4)) / S(1)),
		                   (long long)((base + S(4)) % S(1)));
		bool done = false;
		assert_int_equal(events_subscribe(ev, since, until, NULL, &s, NULL), 0);
		assert_int_equal(drain(s, &first), 3); /* both ends inclusive */
		assert_int_equal(first, base + S(2));
		events_publish(ev, "image", "tag", "late", NULL);
		assert_null(events_sub_next(s, 1000, &done));
		assert_true(done);
		assert_int_equal(events_sub_timeout(s), 0);
	}
	{
		/* until alone: everything buffered up to it */
		_cleanup_(events_sub_freep) struct events_sub *s = NULL;
		assert_int_equal(events_subscribe(ev, NULL, "95s", NULL, &s, NULL), 0);
		assert_int_equal(drain(s, NULL), 6); /* +0 … +5 */
	}
	{
		/* since as a duration */
		_cleanup_(events_sub_freep) struct events_sub *s = NULL;
		assert_int_equal(events_subscribe(ev, "91.5s", NULL, NULL, &s, NULL), 0);
		assert_int_equal(drain(s, NULL), 2); /* +9 and "late" */
	}
}

static void test_until_future_ends_stream(void **state)
{
	_cleanup_(events_freep) struct events *ev = events_new();
	_cleanup_(events_sub_freep) struct events_sub *s = NULL;
	_cleanup_free_ char *until = NULL;
	int64_t t = now_ns() + 300000000; /* in 0.3 s */
	bool done = false;
	json_t *e;
	int64_t start = now_ns();

	until = str_printf("%lld.%09lld", (long long)(t / S(1)), (long long)(t % S(1)));
	assert_int_equal(events_subscribe(ev, NULL, until, NULL, &s, NULL), 0);
	assert_true(events_sub_timeout(s) > 0 && events_sub_timeout(s) <= 301);
	events_publish(ev, "volume", "create", "v", NULL);
	e = events_sub_next(s, -1, &done);
	assert_non_null(e);
	json_decref(e);
	assert_false(done);
	/* waiting for ever still ends at until */
	assert_null(events_sub_next(s, -1, &done));
	assert_true(done);
	assert_true(now_ns() - start >= 250000000);
	assert_true(now_ns() - start < S(3));
}

/* An until or since past what an int64 of ns holds (saturated): the
 * stream ends at once, or never, without overflow (fuzz_events found it). */
static void test_until_saturated(void **state)
{
	_cleanup_(events_freep) struct events *ev = events_new();
	_cleanup_(events_sub_freep) struct events_sub *past = NULL, *future = NULL;
	bool done = false;

	assert_int_equal(events_subscribe(ev, NULL, "1200-02-04+07:09", NULL, &past, NULL), 0);
	assert_int_equal(events_sub_timeout(past), 0);
	assert_null(events_sub_next(past, 0, &done));
	assert_true(done);
	assert_int_equal(events_subscribe(ev, "3000-01-01", "4000-01-01", NULL, &future, NULL), 0);
	assert_int_equal(events_sub_timeout(future), INT32_MAX);
}

/* ---- delivery ---- */

static bool readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, 0) == 1;
}

static void test_eventfd_and_timeout(void **state)
{
	_cleanup_(events_freep) struct events *ev = events_new();
	_cleanup_(events_sub_freep) struct events_sub *s = NULL;
	bool done = true;
	json_t *e;
	int64_t t0;

	assert_int_equal(events_subscribe(ev, NULL, NULL, NULL, &s, NULL), 0);
	assert_false(readable(events_sub_fd(s)));
	assert_int_equal(events_sub_timeout(s), -1);
	t0 = now_ns();
	assert_null(events_sub_next(s, 50, &done));
	assert_false(done);
	assert_true(now_ns() - t0 >= 40000000);
	events_publish(ev, "image", "tag", "a", NULL);
	events_publish(ev, "image", "tag", "b", NULL);
	assert_true(readable(events_sub_fd(s)));
	e = next_now(s);
	assert_string_equal(json_string_value(json_object_get(json_object_get(e, "Actor"), "ID")),
	                    "a");
	json_decref(e);
	assert_true(readable(events_sub_fd(s))); /* "b" is still pending */
	e = next_now(s);
	json_decref(e);
	assert_false(readable(events_sub_fd(s)));
}

static void test_ring_overflow(void **state)
{
	_cleanup_(events_freep) struct events *ev = events_new();
	_cleanup_(events_sub_freep) struct events_sub *s = NULL;
	int64_t first = 0, base = now_ns() - S(10);

	for (int i = 0; i < EVENTS_RING_SIZE + 100; i++)
		events_publish_at(ev, "image", "tag", "x", NULL, base + i);
	assert_int_equal(events_subscribe(ev, "0", NULL, NULL, &s, NULL), 0);
	assert_int_equal(drain(s, &first), EVENTS_RING_SIZE);
	assert_int_equal(first, base + 100); /* the oldest 100 are gone */
}

static void test_slow_subscriber(void **state)
{
	_cleanup_(events_freep) struct events *ev = events_new();
	_cleanup_(events_sub_freep) struct events_sub *s = NULL;
	int64_t first = 0, base = now_ns();

	assert_int_equal(events_subscribe(ev, NULL, NULL, NULL, &s, NULL), 0);
	for (int i = 0; i < EVENTS_SUB_QUEUE_MAX + 10; i++)
		events_publish_at(ev, "image", "tag", "x", NULL, base + i);
	assert_int_equal(drain(s, &first), EVENTS_SUB_QUEUE_MAX);
	assert_int_equal(first, base + 10);
}

#define N_THREADED 2000

static void *publisher(void *data)
{
	struct events *ev = data;

	for (int i = 0; i < N_THREADED; i++) {
		char id[16];
		snprintf(id, sizeof(id), "%d", i);
		events_publish(ev, "container", "start", id, NULL);
	}
	return NULL;
}

static void test_threads(void **state)
{
	_cleanup_(events_freep) struct events *ev = events_new();
	_cleanup_(events_sub_freep) struct events_sub *s = NULL;
	pthread_t t;
	int got = 0;

	assert_int_equal(events_subscribe(ev, NULL, NULL, NULL, &s, NULL), 0);
	assert_int_equal(pthread_create(&t, NULL, publisher, ev), 0);
	while (got < N_THREADED) {
		json_t *e = events_sub_next(s, 5000, NULL);
		char want[16];

		assert_non_null(e);
		snprintf(want, sizeof(want), "%d", got);
		assert_string_equal(json_string_value(json_object_get(e, "id")), want);
		json_decref(e);
		got++;
	}
	pthread_join(t, NULL);
}

static void test_bus_freed_first(void **state)
{
	struct events *ev = events_new();
	struct events_sub *s = NULL;
	bool done = false;
	json_t *e;

	assert_int_equal(events_subscribe(ev, NULL, NULL, NULL, &s, NULL), 0);
	events_publish(ev, "daemon", "reload", "d", NULL);
	events_free(ev); /* the daemon stops: the subscription drains, then ends */
	assert_true(readable(events_sub_fd(s)));
	e = events_sub_next(s, -1, &done);
	assert_non_null(e);
	assert_false(done);
	json_decref(e);
	assert_null(events_sub_next(s, -1, &done));
	assert_true(done);
	events_sub_free(s);
	events_sub_free(NULL);
	events_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse_time_plain_number),
	        cmocka_unit_test(test_event_json),
	        cmocka_unit_test(test_filters),
	        cmocka_unit_test(test_filters_bad),
	        cmocka_unit_test(test_since_until),
	        cmocka_unit_test(test_until_future_ends_stream),
	        cmocka_unit_test(test_until_saturated),
	        cmocka_unit_test(test_eventfd_and_timeout),
	        cmocka_unit_test(test_ring_overflow),
	        cmocka_unit_test(test_slow_subscriber),
	        cmocka_unit_test(test_threads),
	        cmocka_unit_test(test_bus_freed_first),
	        cmocka_unit_test(test_parse_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
