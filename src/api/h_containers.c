/* h_containers.c — the /containers endpoints: create, list, inspect,
 * lifecycle, wait, attach, logs, top, stats, resize, rename, update,
 * remove, prune. The engine (engine/containers.h) does the work; this file
 * reads the query, picks the reply (status, stream, hijack) as dockerd
 * does, and maps errors onto Docker's statuses. */
#include <string.h>

#include "api/compat.h"
#include "api/handlers.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"
#include "base/str.h"
#include "engine/containers.h"
#include "engine/engine.h"

#define QUERY_INT_MAX 1000000000LL

static struct containers *cs_of(struct api_request *req)
{
	return ((struct engine *)api_ctx(req))->containers;
}

/* Streams are typed from API 1.42 on (no prefix: the latest). */
static const char *stream_type(struct api_request *req, bool tty)
{
	unsigned v = api_version(req);

	if (v != 0 && v < 142)
		return NULL;
	return tty ? "application/vnd.docker.raw-stream"
	           : "application/vnd.docker.multiplexed-stream";
}

/* An integer query argument; 400 itself when malformed. */
static int query_int(struct api_request *req, const char *key, bool *ret_set, int64_t *ret)
{
	const char *s = api_query(req, key);

	*ret_set = !isempty(s);
	if (!*ret_set)
		return 0;
	if (str_to_int64(s, ret) < 0 || *ret < -QUERY_INT_MAX || *ret > QUERY_INT_MAX) {
		api_reply_error(req, 400, "invalid value for %s: \"%s\"", key, s);
		return -EINVAL;
	}
	return 0;
}

/* 204, 304 for "nothing to do", or the error. */
static void reply_done(struct api_request *req, int r, const struct husk_error *err)
{
	if (r == -EALREADY)
		api_reply_status(req, 304);
	else if (r < 0)
		api_reply_husk_error(req, err);
	else
		api_reply_status(req, 204);
}

void h_containers_create(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *body = api_body_json(req), *warnings = json_array();
	struct containers_create_opts o = {
	        .name = api_query(req, "name"),
	        .platform = api_query(req, "platform"),
	        .ro_recursive = api_version(req) >= API_V_RRO_BINDS,
	};
	json_t *out = NULL;

	if (!body)
		return;
	if (!warnings) {
		api_reply_error(req, 500, "out of memory");
		return;
	}
	if (compat_container_create(api_version(req), body, warnings, &err) < 0 ||
	    containers_create_with(cs_of(req), &o, body, &out, &err) < 0) {
		api_reply_husk_error(req, err);
		return;
	}
	json_array_extend(json_object_get(out, "Warnings"), warnings);
	api_reply_json(req, 201, out);
}

void h_containers_list(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *filters = NULL;
	struct containers_list_opts o = {.all = api_query_bool(req, "all", false),
	                                 .size = api_query_bool(req, "size", false)};
	json_t *out = NULL;
	int64_t limit = 0;
	bool set;

	if (query_int(req, "limit", &set, &limit) < 0 || api_query_filters(req, &filters) < 0)
		return;
	o.limit = set ? (long)limit : 0;
	o.filters = filters;
	if (containers_list(cs_of(req), &o, &out, &err) < 0)
		api_reply_husk_error(req, err);
	else
		api_reply_json(req, 200, out);
}

void h_container_inspect(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	json_t *out = NULL;

	if (containers_inspect(cs_of(req), api_param(req, "name"),
	                       api_query_bool(req, "size", false), &out, &err) < 0)
		api_reply_husk_error(req, err);
	else {
		compat_container_inspect(api_version(req), out);
		api_reply_json(req, 200, out);
	}
}

void h_container_start(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	size_t len;
	int r;

	/* A HostConfig at start went with API 1.24; dockerd lets a body pass
	 * that cannot hold one ("{}", "null": fewer than 8 bytes). */
	api_body(req, &len);
	if (len > 7) {
		api_reply_error(req, 400,
		                "starting container with non-empty request body was deprecated "
		                "since API v1.22 and removed in v1.24");
		return;
	}
	r = containers_start(cs_of(req), api_param(req, "name"), &err);
	reply_done(req, r, err);
}

/* ?t= and ?signal= of stop and restart. */
static int stop_args(struct api_request *req, bool *ret_has_t, int *ret_t)
{
	int64_t t = 0;
	int r = query_int(req, "t", ret_has_t, &t);

	*ret_t = (int)t;
	return r;
}

void h_container_stop(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	bool has_t;
	int t, r;

	if (stop_args(req, &has_t, &t) < 0)
		return;
	r = containers_stop(cs_of(req), api_param(req, "name"), has_t, t, api_query(req, "signal"),
	                    &err);
	reply_done(req, r, err);
}

void h_container_restart(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	bool has_t;
	int t, r;

	if (stop_args(req, &has_t, &t) < 0)
		return;
	r = containers_restart(cs_of(req), api_param(req, "name"), has_t, t,
	                       api_query(req, "signal"), &err);
	reply_done(req, r == -EALREADY ? 0 : r, err);
}

void h_container_kill(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	int r = containers_kill(cs_of(req), api_param(req, "name"), api_query(req, "signal"), &err);

	reply_done(req, r == -EALREADY ? 0 : r, err);
}

void h_container_pause(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;

	int r = containers_pause(cs_of(req), api_param(req, "name"), &err);

	reply_done(req, r, err);
}

void h_container_unpause(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;

	int r = containers_unpause(cs_of(req), api_param(req, "name"), &err);

	reply_done(req, r, err);
}

void h_container_rename(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	int r = containers_rename(cs_of(req), api_param(req, "name"), api_query(req, "name"), &err);

	reply_done(req, r, err);
}

void h_container_delete(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	int r;

	if (api_query_bool(req, "link", false)) {
		api_reply_error(req, 400, "links are not supported: there is no legacy linking");
		return;
	}
	r = containers_remove(cs_of(req), api_param(req, "name"),
	                      api_query_bool(req, "force", false), api_query_bool(req, "v", false),
	                      &err);
	reply_done(req, r, err);
}

void h_containers_prune(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *filters = NULL;
	json_t *out = NULL;

	if (api_query_filters(req, &filters) < 0)
		return;
	if (containers_prune(cs_of(req), filters, &out, &err) < 0)
		api_reply_husk_error(req, err);
	else
		api_reply_json(req, 200, out);
}

void h_container_update(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *body = api_body_json(req);
	json_t *out = NULL;

	if (!body)
		return;
	if (containers_update(cs_of(req), api_param(req, "name"), body, &out, &err) < 0)
		api_reply_husk_error(req, err);
	else
		api_reply_json(req, 200, out);
}

/* ?h= and ?w= of resize; 400 itself when missing or bad. */
int api_query_size(struct api_request *req, unsigned *ret_h, unsigned *ret_w)
{
	int64_t h = 0, w = 0;
	bool hs, ws;

	if (query_int(req, "h", &hs, &h) < 0 || query_int(req, "w", &ws, &w) < 0)
		return -EINVAL;
	if (!hs || !ws || h < 0 || w < 0 || h > 65535 || w > 65535) {
		api_reply_error(req, 400,
		                "invalid resize: h and w must be numbers from 0 to 65535");
		return -EINVAL;
	}
	*ret_h = (unsigned)h;
	*ret_w = (unsigned)w;
	return 0;
}

void h_container_resize(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	unsigned h, w;

	if (api_query_size(req, &h, &w) < 0)
		return;
	if (containers_resize(cs_of(req), api_param(req, "name"), h, w, &err) < 0)
		api_reply_husk_error(req, err);
	else
		api_reply_status(req, 200);
}

void h_container_top(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	json_t *out = NULL;

	if (containers_top(cs_of(req), api_param(req, "name"), api_query(req, "ps_args"), &out,
	                   &err) < 0)
		api_reply_husk_error(req, err);
	else
		api_reply_json(req, 200, out);
}

/* ---- wait ---- */

static void wait_producer(int fd, int shutdown_fd, void *data)
{
	struct containers_wait *w = data;
	_cleanup_free_ char *error = NULL, *text = NULL;
	json_t *j;
	int status = 0;

	if (containers_wait_run(w, fd, shutdown_fd, &status, &error) < 0)
		return; /* the client left, or the daemon stops */
	j = error ? json_pack("{s:{s:s}, s:i}", "Error", "Message", error, "StatusCode", status)
	          : json_pack("{s:n, s:i}", "Error", "StatusCode", status);
	text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (text && write_all(fd, text, strlen(text)) == 0)
		write_all(fd, "\n", 1);
}

static void wait_done(void *data)
{
	containers_wait_free(data);
}

void h_container_wait(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	enum containers_wait_condition cond;
	struct containers_wait *w = NULL;

	if (containers_wait_condition_parse(api_query(req, "condition"), &cond, &err) < 0 ||
	    containers_wait_begin(cs_of(req), api_param(req, "name"), cond, &w, &err) < 0) {
		api_reply_husk_error(req, err);
		return;
	}
	/* the headers go out at once: `docker run` waits for them before it
	 * starts the container */
	api_reply_stream(req, 200, "application/json", wait_producer, w, wait_done);
}

/* ---- attach ---- */

static void attach_fn(const struct api_hijack *h, void *data)
{
	containers_attach_run(data, h->sock, h->pending, h->pending_len, h->shutdown_fd);
}

static void attach_done(void *data)
{
	containers_attach_free(data);
}

void h_container_attach(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct containers_attach_opts o = {
	        .in = api_query_bool(req, "stdin", false),
	        .out = api_query_bool(req, "stdout", false),
	        .err = api_query_bool(req, "stderr", false),
	        .logs = api_query_bool(req, "logs", false),
	        .stream = api_query_bool(req, "stream", false),
	        .detach_keys = api_query(req, "detachKeys"),
	};
	struct containers_attach *a = NULL;
	bool tty = false;

	if (containers_attach_begin(cs_of(req), api_param(req, "name"), &o, &a, &tty, &err) < 0) {
		api_reply_husk_error(req, err);
		return;
	}
	api_reply_hijack(req, stream_type(req, tty) ?: "application/vnd.docker.raw-stream",
	                 attach_fn, a, attach_done);
}

/* ---- logs ---- */

static void logs_producer(int fd, int shutdown_fd, void *data)
{
	containers_logs_run(data, fd, shutdown_fd);
}

static void logs_done(void *data)
{
	containers_logs_free(data);
}

static int time_arg(struct api_request *req, const char *key, int64_t *ret)
{
	_cleanup_error_ struct husk_error *err = NULL;
	const char *s = api_query(req, key);

	*ret = 0;
	if (isempty(s) || streq(s, "0"))
		return 0;
	if (containers_parse_unix_time(s, ret, &err) < 0) {
		api_reply_error(req, 400, "%s: %s", key, error_message(err));
		return -EINVAL;
	}
	return 0;
}

void h_container_logs(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct containers_logs_opts o = {
	        .out = api_query_bool(req, "stdout", false),
	        .err = api_query_bool(req, "stderr", false),
	        .timestamps = api_query_bool(req, "timestamps", false),
	        .follow = api_query_bool(req, "follow", false),
	        .tail = -1,
	};
	const char *tail = api_query(req, "tail");
	struct containers_logs *l = NULL;
	bool tty = false;
	int64_t n;

	if (!o.out && !o.err) {
		api_reply_error(req, 400, "Bad parameters: you must choose at least one stream");
		return;
	}
	if (time_arg(req, "since", &o.since_ns) < 0 || time_arg(req, "until", &o.until_ns) < 0)
		return;
	/* dockerd: anything but a number is "all" */
	if (!isempty(tail) && str_to_int64(tail, &n) == 0 && n >= 0)
		o.tail = (long)MIN(n, (int64_t)QUERY_INT_MAX);
	if (containers_logs_begin(cs_of(req), api_param(req, "name"), &o, &l, &tty, &err) < 0) {
		if (error_code(err) == ENOTSUP) /* dockerd: Not Implemented */
			api_reply_error(req, 501, "%s", error_message(err));
		else
			api_reply_husk_error(req, err);
		return;
	}
	api_reply_stream(req, 200, stream_type(req, tty), logs_producer, l, logs_done);
}

/* ---- stats ---- */

struct stats_req {
	struct containers_stats *s;
	bool stream, one_shot;
};

static void stats_producer(int fd, int shutdown_fd, void *data)
{
	struct stats_req *r = data;

	containers_stats_run(r->s, r->stream, r->one_shot, fd, shutdown_fd);
}

static void stats_done(void *data)
{
	struct stats_req *r = data;

	containers_stats_free(r->s);
	free(r);
}

void h_container_stats(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct stats_req *r = calloc(1, sizeof(*r));

	if (!r) {
		api_reply_error(req, 500, "out of memory");
		return;
	}
	r->stream = api_query_bool(req, "stream", true);
	r->one_shot = api_query_bool(req, "one-shot", false);
	if (r->one_shot && r->stream) {
		free(r);
		api_reply_error(req, 400, "cannot have stream=true and one-shot=true");
		return;
	}
	if (containers_stats_begin(cs_of(req), api_param(req, "name"), &r->s, &err) < 0) {
		free(r);
		api_reply_husk_error(req, err);
		return;
	}
	api_reply_stream(req, 200, "application/json", stats_producer, r, stats_done);
}
