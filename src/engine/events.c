/* events.c — the event bus: a ring of recent events, subscribers with
 * their own queues and eventfds, Docker's events filters and time
 * arguments. */
#include "engine/events.h"

#include <ctype.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>

#include "base/json.h"
#include "base/str.h"
#include "base/timefmt.h"
#include "image/images.h"

#define NS_PER_SEC 1000000000LL

struct events {
	pthread_mutex_t lock;
	unsigned refs; /* the owner's, plus one per subscription */
	bool closed;   /* the owner freed it: subscriptions end */
	json_t *ring[EVENTS_RING_SIZE];
	int64_t ring_ns[EVENTS_RING_SIZE];
	size_t ring_head, ring_len; /* oldest at ring_head */
	struct events_sub *subs;
};

struct events_sub {
	struct events *bus;
	struct events_sub *prev, *next;
	json_t *filters;
	bool has_until;
	int64_t until_ns;
	int efd;
	json_t **queue; /* a ring of cap entries, oldest at q_head */
	size_t q_head, q_len, q_cap;
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

struct events *events_new(void)
{
	struct events *ev = calloc(1, sizeof(*ev));

	if (!ev)
		return NULL;
	pthread_mutex_init(&ev->lock, NULL);
	ev->refs = 1;
	return ev;
}

static void bus_unref_locked(struct events *ev)
{
	if (--ev->refs > 0) {
		pthread_mutex_unlock(&ev->lock);
		return;
	}
	pthread_mutex_unlock(&ev->lock);
	for (size_t i = 0; i < ev->ring_len; i++)
		json_decref(ev->ring[(ev->ring_head + i) % EVENTS_RING_SIZE]);
	pthread_mutex_destroy(&ev->lock);
	free(ev);
}

static void sub_wake(struct events_sub *s)
{
	uint64_t one = 1;

	(void)!write(s->efd, &one, sizeof(one));
}

void events_free(struct events *ev)
{
	if (!ev)
		return;
	pthread_mutex_lock(&ev->lock);
	ev->closed = true;
	for (struct events_sub *s = ev->subs; s; s = s->next)
		sub_wake(s);
	bus_unref_locked(ev);
}

/* ---- the JSON of an event ---- */

static json_t *event_json(const char *type, const char *action, const char *id, json_t *attrs,
                          int64_t t)
{
	_cleanup_json_ json_t *j = json_object();
	bool legacy = streq(type, "container") || streq(type, "image");
	const char *from = json_string_value(json_object_get(attrs, "image"));

	if (!j)
		return NULL;
	if (legacy &&
	    (json_set(j, "status", json_string(action)) < 0 ||
	     (!isempty(id) && json_set(j, "id", json_string(id)) < 0) ||
	     (streq(type, "container") && from && json_set(j, "from", json_string(from)) < 0)))
		return NULL;
	if (json_set(j, "Type", json_string(type)) < 0 ||
	    json_set(j, "Action", json_string(action)) < 0 ||
	    json_set(j, "Actor", json_pack("{s:s, s:O}", "ID", id ? id : "", "Attributes", attrs)) <
	            0 ||
	    json_set(j, "scope", json_string("local")) < 0 ||
	    json_set(j, "time", json_integer(t / NS_PER_SEC)) < 0 ||
	    json_set(j, "timeNano", json_integer(t)) < 0)
		return NULL;
	return TAKE_PTR(j);
}

/* ---- filters (moby's daemon/events/filter.go) ---- */

static const char *const filter_keys[] = {
        "config", "container", "daemon", "event",   "image", "label",  "network", "node",
        "plugin", "scope",     "secret", "service", "type",  "volume", NULL,
};

/* The types whose filter key matches the actor's ID or name by prefix. */
static const char *const name_filter_keys[] = {
        "container", "daemon", "network", "node", "plugin", "secret", "service", "volume", "config",
};

static bool exact_match(json_t *filters, const char *key, const char *value)
{
	_cleanup_strv_ char **v = NULL;

	if (filters_values(filters, key, &v) <= 0)
		return true;
	return value && strv_contains(v, value);
}

/* Docker's FuzzyMatch: the value itself, or one that starts with a filter
 * value. No filter for key matches everything. */
static bool fuzzy_match(json_t *filters, const char *key, const char *value)
{
	_cleanup_strv_ char **v = NULL;

	if (filters_values(filters, key, &v) <= 0)
		return true;
	STRV_FOREACH (p, v)
		if (value && startswith(value, *p))
			return true;
	return false;
}

static bool has_filter(json_t *filters, const char *key)
{
	_cleanup_strv_ char **v = NULL;

	return filters_values(filters, key, &v) > 0;
}

/* "busybox:latest" → "busybox", "x@sha256:…" → "x"; NULL on OOM. */
static char *strip_tag(const char *ref)
{
	const char *at = strchr(ref, '@'), *slash, *colon;
	size_t n = at ? (size_t)(at - ref) : strlen(ref);

	slash = memrchr(ref, '/', n);
	colon = memrchr(ref, ':', n);
	if (colon && (!slash || colon > slash))
		n = colon - ref;
	return strndup(ref, n);
}

static bool match_image(json_t *filters, const char *type, const char *id, json_t *attrs)
{
	const char *name =
	        json_string_value(json_object_get(attrs, streq(type, "image") ? "name" : "image"));
	_cleanup_free_ char *sid = strip_tag(id ? id : ""), *sname = strip_tag(name ? name : "");

	if (!has_filter(filters, "image"))
		return true;
	return (id && *id && exact_match(filters, "image", id)) ||
	       (name && exact_match(filters, "image", name)) ||
	       (sid && *sid && exact_match(filters, "image", sid)) ||
	       (sname && *sname && exact_match(filters, "image", sname));
}

/* Every "k" or "k=v" of the label filter must be an attribute. */
static bool match_labels(json_t *filters, json_t *attrs)
{
	_cleanup_strv_ char **v = NULL;

	if (filters_values(filters, "label", &v) <= 0)
		return true;
	STRV_FOREACH (p, v) {
		const char *eq = strchr(*p, '=');
		_cleanup_free_ char *k = eq ? strndup(*p, eq - *p) : strdup(*p);
		const char *have = k ? json_string_value(json_object_get(attrs, k)) : NULL;

		if (!have || (eq && !streq(have, eq + 1)))
			return false;
	}
	return true;
}

/* The "event" filter is exact, except that the actions carrying a
 * command ("exec_start: sh -c …") match their prefix (moby #25798). */
static bool match_action(json_t *filters, const char *action)
{
	_cleanup_strv_ char **v = NULL;

	if (filters_values(filters, "event", &v) <= 0)
		return true;
	STRV_FOREACH (p, v)
		if (streq(*p, "health_status") || streq(*p, "exec_create") ||
		    streq(*p, "exec_start"))
			return fuzzy_match(filters, "event", action);
	return exact_match(filters, "event", action);
}

bool events_filter_match(json_t *filters, json_t *event)
{
	const char *type = json_string_value(json_object_get(event, "Type"));
	const char *action = json_string_value(json_object_get(event, "Action"));
	json_t *actor = json_object_get(event, "Actor");
	const char *id = json_string_value(json_object_get(actor, "ID"));
	json_t *attrs = json_object_get(actor, "Attributes");
	const char *name = json_string_value(json_object_get(attrs, "name"));

	if (!filters || json_object_size(filters) == 0)
		return true;
	if (!match_action(filters, action) || !exact_match(filters, "type", type) ||
	    !exact_match(filters, "scope", "local"))
		return false;
	for (size_t i = 0; i < ELEMENTSOF(name_filter_keys); i++) {
		const char *k = name_filter_keys[i];
		if (has_filter(filters, k) &&
		    !(fuzzy_match(filters, k, id) || (name && fuzzy_match(filters, k, name))))
			return false;
	}
	return match_image(filters, type, id, attrs) && match_labels(filters, attrs);
}

/* ---- publish ---- */

static int sub_push(struct events_sub *s, json_t *e)
{
	if (s->q_len == s->q_cap) {
		if (s->q_cap >= EVENTS_SUB_QUEUE_MAX) {
			/* a subscriber that does not read loses its oldest event,
			 * the publisher never waits */
			json_decref(s->queue[s->q_head]);
			s->q_head = (s->q_head + 1) % s->q_cap;
			s->q_len--;
		} else {
			size_t cap = s->q_cap ? 2 * s->q_cap : 16;
			json_t **q = malloc(cap * sizeof(*q));

			if (!q)
				return -ENOMEM;
			for (size_t i = 0; i < s->q_len; i++)
				q[i] = s->queue[(s->q_head + i) % s->q_cap];
			free(s->queue);
			s->queue = q;
			s->q_cap = cap;
			s->q_head = 0;
		}
	}
	s->queue[(s->q_head + s->q_len) % s->q_cap] = json_incref(e);
	if (s->q_len++ == 0)
		sub_wake(s);
	return 0;
}

static void ring_push(struct events *ev, json_t *e, int64_t t)
{
	size_t slot;

	if (ev->ring_len == EVENTS_RING_SIZE) {
		json_decref(ev->ring[ev->ring_head]);
		slot = ev->ring_head;
		ev->ring_head = (ev->ring_head + 1) % EVENTS_RING_SIZE;
	} else
		slot = (ev->ring_head + ev->ring_len++) % EVENTS_RING_SIZE;
	ev->ring[slot] = json_incref(e);
	ev->ring_ns[slot] = t;
}

void events_publish_at(struct events *ev, const char *type, const char *action, const char *id,
                       json_t *attributes, int64_t time_ns)
{
	_cleanup_json_ json_t *attrs = attributes ? attributes : json_object();
	_cleanup_json_ json_t *e = NULL;

	if (!ev || !type || !action || !attrs)
		return;
	e = event_json(type, action, id, attrs, time_ns);
	if (!e)
		return;
	pthread_mutex_lock(&ev->lock);
	ring_push(ev, e, time_ns);
	for (struct events_sub *s = ev->subs; s; s = s->next)
		if ((!s->has_until || time_ns <= s->until_ns) && events_filter_match(s->filters, e))
			(void)sub_push(s, e);
	pthread_mutex_unlock(&ev->lock);
}

void events_publish(struct events *ev, const char *type, const char *action, const char *id,
                    json_t *attributes)
{
	events_publish_at(ev, type, action, id, attributes, now_ns());
}

/* ---- time arguments (docker's api/types/time.GetTimestamp) ---- */

/* sec.nsec in ns, saturated: an int64 of ns ends in 2262 (and starts in
 * 1677), while docker takes any four-digit year; "until 3000-01-01" means
 * for ever, not signed overflow. */
static int64_t ns_saturated(int64_t sec, int64_t nsec)
{
	if (sec > INT64_MAX / NS_PER_SEC - 1)
		return INT64_MAX;
	if (sec < INT64_MIN / NS_PER_SEC + 1)
		return INT64_MIN;
	return sec * NS_PER_SEC + nsec;
}

/* Go's time.ParseDuration: [-+]?(\d*\.?\d+(ns|us|µs|ms|s|m|h))+ or "0". */
static int parse_go_duration(const char *s, int64_t *ret)
{
	static const struct {
		const char *unit;
		double ns;
	} units[] = {
	        {"ns", 1},   {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3},
	        {"ms", 1e6}, {"s", 1e9},  {"m", 60e9},        {"h", 3600e9},
	};
	double total = 0;
	bool neg = false;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (streq(s, "0")) {
		*ret = 0;
		return 0;
	}
	if (!*s)
		return -EINVAL;
	while (*s) {
		size_t best = 0, digits = 0;
		double v = 0, scale = 1, mul = 0;

		/* digits [. digits]: no exponents, signs or hex, as Go */
		for (; isdigit((unsigned char)*s); s++, digits++)
			v = v * 10 + (*s - '0');
		if (*s == '.')
			for (s++; isdigit((unsigned char)*s); s++, digits++)
				v += (*s - '0') * (scale /= 10);
		if (digits == 0)
			return -EINVAL;
		for (size_t i = 0; i < ELEMENTSOF(units); i++) {
			size_t n = strlen(units[i].unit);
			if (n > best && strncmp(s, units[i].unit, n) == 0)
				best = n, mul = units[i].ns;
		}
		if (!best)
			return -EINVAL; /* Go: missing unit */
		s += best;
		total += v * mul;
	}
	if (total > 9.2e18)
		return -ERANGE;
	*ret = (int64_t)(neg ? -total : total);
	return 0;
}

/* "secs" or "secs.frac" (up to 9 digits), as GetTimestamp passes through. */
static int parse_unix(const char *s, int64_t *ret)
{
	const char *dot = strchr(s, '.');
	_cleanup_free_ char *secs = dot ? strndup(s, dot - s) : strdup(s);
	int64_t sec, nsec = 0;

	if (!secs || str_to_int64(secs, &sec) < 0 || sec < 0)
		return -EINVAL;
	if (dot) {
		size_t n = strlen(dot + 1);
		if (n == 0 || n > 9 || strspn(dot + 1, "0123456789") != n)
			return -EINVAL;
		nsec = strtoll(dot + 1, NULL, 10);
		for (; n < 9; n++)
			nsec *= 10;
	}
	*ret = ns_saturated(sec, nsec);
	return 0;
}

/* Dates and date-times without a zone are local time, as Go's
 * ParseInLocation(…, time.Local): "2006-01-02", "2006-01-02T15",
 * "2006-01-02T15:04", "2006-01-02T15:04:05[.999999999]". */
static int parse_local(const char *s, int64_t *ret)
{
	struct tm tm = {0};
	int n = 0, y, mo, d, h = 0, mi = 0, sec = 0;
	int64_t frac = 0;
	time_t t;

	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return -EINVAL;
	s += n;
	if (*s == 'T') {
		int k = 0;
		if (sscanf(s, "T%2d%n", &h, &k) != 1 || k != 3)
			return -EINVAL;
		s += k;
		if (*s == ':' && (sscanf(s, ":%2d%n", &mi, &k) != 1 || k != 3))
			return -EINVAL;
		s += *s == ':' ? 3 : 0;
		if (*s == ':' && (sscanf(s, ":%2d%n", &sec, &k) != 1 || k != 3))
			return -EINVAL;
		s += *s == ':' ? 3 : 0;
		if (*s == '.') {
			size_t nd = strspn(s + 1, "0123456789");
			if (nd == 0 || nd > 9 || s[1 + nd])
				return -EINVAL;
			frac = strtoll(s + 1, NULL, 10);
			for (; nd < 9; nd++)
				frac *= 10;
			s += strlen(s);
		}
	}
	if (*s || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59)
		return -EINVAL;
	tm = (struct tm){.tm_year = y - 1900,
	                 .tm_mon = mo - 1,
	                 .tm_mday = d,
	                 .tm_hour = h,
	                 .tm_min = mi,
	                 .tm_sec = sec,
	                 .tm_isdst = -1};
	t = mktime(&tm);
	if (t == (time_t)-1 || t < 0)
		return -EINVAL;
	*ret = ns_saturated(t, frac);
	return 0;
}

/* RFC 3339 forms with a zone, including docker's shortened ones
 * ("2006-01-02Z07:00", "2006-01-02T15Z", "2006-01-02T15:04Z"). */
static int parse_zoned(const char *s, int64_t *ret)
{
	static const char *const pads[] = {"", ":00", ":00:00", "T00:00:00"};
	size_t date_end = 10;
	struct timespec ts;

	if (strlen(s) < date_end)
		return -EINVAL;
	for (size_t i = 0; i < ELEMENTSOF(pads); i++) {
		const char *rest = s + date_end;
		size_t hm = 0;
		_cleanup_free_ char *full = NULL;

		if (*rest == 'T')
			hm = strcspn(rest, "Zz+-");
		full = str_printf("%.*s%s%s", (int)(date_end + hm), s, pads[i], rest + hm);
		if (full && rfc3339_parse(full, &ts) == 0) {
			*ret = ns_saturated(ts.tv_sec, ts.tv_nsec);
			return 0;
		}
	}
	return -EINVAL;
}

int events_parse_time(const char *value, int64_t now, int64_t *ret_ns, struct husk_error **err)
{
	int64_t d, t;
	bool zoned;

	if (isempty(value) || strlen(value) > 64)
		goto fail;
	if (!streq(value, "0") && parse_go_duration(value, &d) == 0) {
		/* a negative duration from a "now" near the end of time saturates */
		if (__builtin_sub_overflow(now, d, ret_ns))
			*ret_ns = d < 0 ? INT64_MAX : INT64_MIN;
		return 0;
	}
	/* moby: a zone is 'Z', 'z', '+', or a third '-' */
	zoned = strpbrk(value, "Zz+") != NULL;
	if (!zoned) {
		size_t dashes = 0;
		for (const char *p = value; *p; p++)
			dashes += *p == '-';
		zoned = dashes == 3;
	}
	if (strchr(value, '-')) {
		if ((zoned ? parse_zoned(value, &t) : parse_local(value, &t)) == 0) {
			*ret_ns = t;
			return 0;
		}
		goto fail;
	}
	if (parse_unix(value, &t) == 0) {
		*ret_ns = t;
		return 0;
	}
fail:
	return error_set(err, EINVAL, "failed to parse value as time or duration: \"%s\"",
	                 value ? value : "");
}

/* ---- subscriptions ---- */

static int check_filters(json_t *filters, struct husk_error **err)
{
	const char *k;
	json_t *v;

	if (!filters)
		return 0;
	if (filters_check(filters, filter_keys, err) < 0)
		return -EINVAL;
	json_object_foreach (filters, k, v)
		if (!json_is_object(v) && !json_is_array(v))
			return error_set(err, EINVAL,
			                 "invalid filter '%s': expected a list of values", k);
	return 0;
}

/* The ring's events in [since, until] that match, oldest first. */
static void sub_replay(struct events *ev, struct events_sub *s, int64_t since)
{
	for (size_t i = 0; i < ev->ring_len; i++) {
		size_t slot = (ev->ring_head + i) % EVENTS_RING_SIZE;
		int64_t t = ev->ring_ns[slot];

		if (t < since || (s->has_until && t > s->until_ns))
			continue;
		if (events_filter_match(s->filters, ev->ring[slot]))
			(void)sub_push(s, ev->ring[slot]);
	}
}

int events_subscribe(struct events *ev, const char *since, const char *until, json_t *filters,
                     struct events_sub **ret, struct husk_error **err)
{
	_cleanup_(events_sub_freep) struct events_sub *s = NULL;
	int64_t now = now_ns(), since_ns = 0;
	int r;

	r = check_filters(filters, err);
	if (r < 0)
		return r;
	if (!isempty(since) && events_parse_time(since, now, &since_ns, err) < 0)
		return error_wrap(err, "since");
	s = calloc(1, sizeof(*s));
	if (!s)
		return error_set(err, ENOMEM, "out of memory");
	s->efd = -1;
	if (!isempty(until)) {
		if (events_parse_time(until, now, &s->until_ns, err) < 0)
			return error_wrap(err, "until");
		s->has_until = true;
	}
	if (!isempty(since) && s->has_until && since_ns > s->until_ns)
		return error_set(err, EINVAL, "since (%s) is after until (%s)", since, until);
	s->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->efd < 0)
		return error_set_errno(err, errno, "eventfd");
	s->filters = json_incref(filters);
	pthread_mutex_lock(&ev->lock);
	/* moby: with since or until, the buffered events come first */
	if (!isempty(since) || s->has_until)
		sub_replay(ev, s, isempty(since) ? 0 : since_ns);
	s->bus = ev;
	ev->refs++;
	s->next = ev->subs;
	if (ev->subs)
		ev->subs->prev = s;
	ev->subs = s;
	if (ev->closed)
		sub_wake(s);
	pthread_mutex_unlock(&ev->lock);
	*ret = TAKE_PTR(s);
	return 0;
}

int events_sub_fd(struct events_sub *s)
{
	return s->efd;
}

int events_sub_timeout(struct events_sub *s)
{
	int64_t now = now_ns(), left;

	if (!s->has_until)
		return -1;
	/* until may be saturated to INT64_MIN: compare before subtracting */
	if (s->until_ns <= now)
		return 0;
	left = s->until_ns - now;
	/* round up so a poll never wakes just before the deadline */
	return left / 1000000 >= INT32_MAX ? INT32_MAX : (int)((left + 999999) / 1000000);
}

/* Pop the oldest queued event, clearing the eventfd once the queue is
 * empty so the fd is readable exactly while something is pending. */
static json_t *sub_pop_locked(struct events_sub *s)
{
	json_t *e;
	uint64_t n;

	if (s->q_len == 0)
		return NULL;
	e = s->queue[s->q_head];
	s->q_head = (s->q_head + 1) % s->q_cap;
	if (--s->q_len == 0 && !s->bus->closed)
		(void)!read(s->efd, &n, sizeof(n));
	return e;
}

json_t *events_sub_next(struct events_sub *s, int timeout_ms, bool *ret_done)
{
	int64_t deadline = timeout_ms >= 0 ? now_ns() + (int64_t)timeout_ms * 1000000 : -1;

	if (ret_done)
		*ret_done = false;
	for (;;) {
		struct pollfd p = {.fd = s->efd, .events = POLLIN};
		int wait = events_sub_timeout(s);
		json_t *e;
		bool closed;

		pthread_mutex_lock(&s->bus->lock);
		e = sub_pop_locked(s);
		closed = s->bus->closed;
		pthread_mutex_unlock(&s->bus->lock);
		if (e)
			return e;
		if (closed || wait == 0) {
			if (ret_done)
				*ret_done = true;
			return NULL;
		}
		if (deadline >= 0) {
			int64_t left = (deadline - now_ns() + 999999) / 1000000;
			if (left <= 0)
				return NULL;
			if (wait < 0 || left < wait)
				wait = (int)MIN(left, INT32_MAX);
		}
		if (poll(&p, 1, wait) < 0 && errno != EINTR)
			return NULL;
	}
}

void events_sub_free(struct events_sub *s)
{
	if (!s)
		return;
	if (s->bus) {
		struct events *ev = s->bus;

		pthread_mutex_lock(&ev->lock);
		if (s->prev)
			s->prev->next = s->next;
		else
			ev->subs = s->next;
		if (s->next)
			s->next->prev = s->prev;
		bus_unref_locked(ev);
	}
	for (size_t i = 0; i < s->q_len; i++)
		json_decref(s->queue[(s->q_head + i) % s->q_cap]);
	free(s->queue);
	json_decref(s->filters);
	safe_close(s->efd);
	free(s);
}
