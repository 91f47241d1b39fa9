/* fuzz_events.c — the inputs of GET /events (engine/events.h):
 * events_parse_time() of its since/until values and Docker's events
 * filters. The input is cut at NUL bytes into since, until, a filters JSON
 * object and an event (type, action, actor ID, attributes JSON). The event
 * is published on a bus with two subscribers, one unfiltered and one with
 * the filters: the filtered one gets it exactly when events_filter_match()
 * says it matches. Times are parsed against a fixed "now".
 */
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/str.h"
#include "engine/events.h"
#include "fuzz.h"

#define NOW     INT64_C(1700000000123456789)
#define EVENT_T INT64_C(1700000000000000001)

static void parse_time(const char *v)
{
	static const int64_t nows[] = {NOW, 0, INT64_MAX, INT64_MIN};

	for (size_t i = 0; i < ELEMENTSOF(nows); i++) {
		_cleanup_error_ struct husk_error *err = NULL;
		int64_t t = 0;
		int r = events_parse_time(v, nows[i], &t, &err);

		if (r < 0)
			fuzz_check_failure(r, err);
		else if (r != 0 || err)
			abort();
	}
}

/* A value that does not depend on "now" (no duration), so that
 * subscribing with it is deterministic. */
static bool absolute(const char *v)
{
	int64_t a = 0, b = 0;

	if (isempty(v))
		return true;
	return events_parse_time(v, NOW, &a, NULL) == 0 && events_parse_time(v, 0, &b, NULL) == 0 &&
	       a == b;
}

/* The attributes as events_publish() takes them: string values only. */
static json_t *attributes(const char *text)
{
	_cleanup_json_ json_t *j = NULL;
	json_t *out = json_object(), *v;
	const char *k;

	if (!out || json_parse("attributes", text, strlen(text), 1 << 16, &j, NULL) < 0)
		return out;
	json_object_foreach (j, k, v)
		if (json_is_string(v))
			json_object_set(out, k, v);
	return out;
}

/* A string field of the event: s, or null when s is no UTF-8 (jansson
 * refuses it; publishers pass what came in JSON, so that is theirs). */
static void check_string(const json_t *e, const char *key, const char *s)
{
	_cleanup_json_ json_t *want = json_string(s);
	json_t *v = json_object_get(e, key);

	if (want ? !json_equal(v, want) : !json_is_null(v))
		abort();
}

static void check_event(const json_t *e, const char *type, const char *action)
{
	check_string(e, "Type", type);
	check_string(e, "Action", action);
	if (json_integer_value(json_object_get(e, "timeNano")) != EVENT_T)
		abort();
}

static void publish(json_t *filters, const char *const *parts)
{
	_cleanup_(events_freep) struct events *ev = events_new();
	_cleanup_error_ struct husk_error *err = NULL;
	struct events_sub *all = NULL, *some = NULL;
	json_t *e_all = NULL, *e_some = NULL;
	int r;

	if (!ev || events_subscribe(ev, NULL, NULL, NULL, &all, NULL) < 0)
		return;
	r = events_subscribe(ev, NULL, NULL, filters, &some, &err);
	if (r < 0) {
		fuzz_check_failure(r, err);
		events_sub_free(all);
		return;
	}
	events_publish_at(ev, parts[3], parts[4], parts[5], attributes(parts[6]), EVENT_T);
	e_all = events_sub_next(all, 0, NULL);
	e_some = events_sub_next(some, 0, NULL);
	if (e_all) {
		check_event(e_all, parts[3], parts[4]);
		if (events_filter_match(filters, e_all) != (e_some != NULL))
			abort();
		if (!events_filter_match(NULL, e_all))
			abort();
	} else if (e_some) {
		abort();
	}
	json_decref(e_all);
	json_decref(e_some);
	events_sub_free(some);
	events_sub_free(all);
}

/* since/until against the bus's ring, with what the filters let through. */
static void window(json_t *filters, const char *const *parts)
{
	_cleanup_(events_freep) struct events *ev = events_new();
	_cleanup_error_ struct husk_error *err = NULL;
	struct events_sub *s = NULL;
	json_t *e;

	if (!ev || !absolute(parts[0]) || !absolute(parts[1]))
		return;
	events_publish_at(ev, parts[3], parts[4], parts[5], attributes(parts[6]), EVENT_T);
	if (events_subscribe(ev, parts[0], parts[1], filters, &s, &err) < 0) {
		fuzz_check_failure(-1, err);
		return;
	}
	while ((e = events_sub_next(s, 0, NULL)))
		json_decref(e);
	events_sub_timeout(s);
	events_sub_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *parts[7];
	_cleanup_free_ char *buf = fuzz_split(data, size, parts, 7, NULL);
	_cleanup_json_ json_t *filters = NULL;

	if (!buf)
		return 0;
	parse_time(parts[0]);
	parse_time(parts[1]);
	if (*parts[2] &&
	    json_parse("filters", parts[2], strlen(parts[2]), 1 << 16, &filters, NULL) < 0)
		return 0;
	publish(filters, parts);
	window(filters, parts);
	return 0;
}
