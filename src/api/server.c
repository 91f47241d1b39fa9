/* server.c — libmicrohttpd glue: listeners, request lifecycle, replies.
 *
 * One thread per connection (MHD_USE_THREAD_PER_CONNECTION): handlers may
 * block, and a streamed reply is a pipe fed by a producer thread and read
 * by MHD's content-reader callback in the connection's thread.
 */
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "api/server.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"
#include "base/str.h"

#define MAX_LISTENERS   8
#define MAX_REPLY_HEADS 8

struct listener {
	int fd;
	char *path; /* unix socket file to remove on stop */
	struct MHD_Daemon *mhd;
	char *tls_cert, *tls_key, *tls_ca; /* PEM contents; NULL for plain HTTP */
};

struct api_server {
	struct api_server_config cfg;
	struct listener listeners[MAX_LISTENERS];
	size_t n_listeners;
	int shutdown_fd; /* eventfd, readable once stopping */
	pthread_mutex_t lock;
	pthread_cond_t idle;
	unsigned hijacks;  /* running hijack threads */
	uint64_t requests; /* atomic: requests begun */
};

struct reply_header {
	char *name, *value;
};

struct hijack;

struct api_request {
	struct api_server *srv;
	struct MHD_Connection *conn;
	char *method;
	const char *path; /* into url, after the version prefix */
	char *url;
	unsigned version;
	const struct api_route *route;
	struct api_capture caps[API_MAX_CAPTURES];
	size_t ncaps;
	struct strbuf body;
	size_t body_max;
	/* API_ROUTE_STREAM_BODY */
	int body_rd, body_wr;
	bool body_truncated, handler_started;
	pthread_t handler;
	/* the reply */
	pthread_mutex_t lock;
	struct MHD_Response *response;
	unsigned status;
	bool queued;
	struct reply_header heads[MAX_REPLY_HEADS];
	size_t n_heads;
	struct hijack *hijack; /* until on_upgrade takes it */
};

/* ---- request accessors ---- */

void *api_ctx(const struct api_request *req)
{
	return req->srv->cfg.ctx;
}

const char *api_method(const struct api_request *req)
{
	return req->method;
}

const char *api_path(const struct api_request *req)
{
	return req->path;
}

unsigned api_version(const struct api_request *req)
{
	return req->version;
}

const char *api_param(const struct api_request *req, const char *name)
{
	for (size_t i = 0; i < req->ncaps; i++)
		if (streq(req->caps[i].name, name))
			return req->caps[i].value;
	return NULL;
}

const char *api_query(const struct api_request *req, const char *key)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

#define API_FILTERS_MAX (64u << 10)

int api_query_filters(struct api_request *req, json_t **ret)
{
	_cleanup_error_ struct husk_error *err = NULL;
	const char *q = api_query(req, "filters");

	*ret = NULL;
	if (isempty(q))
		return 0;
	if (json_parse("filters", q, strlen(q), API_FILTERS_MAX, ret, &err) < 0 ||
	    !json_is_object(*ret)) {
		json_decref(*ret);
		*ret = NULL;
		api_reply_error(req, 400, "invalid filter: %s",
		                err ? error_message(err) : "expected a JSON object");
		return -EINVAL;
	}
	return 0;
}

bool api_query_bool(const struct api_request *req, const char *key, bool def)
{
	const char *v = api_query(req, key);

	if (!v)
		return def;
	/* moby's httputils.BoolValue: anything but "", "0", "no", "false", "none" */
	return !(isempty(v) || streq(v, "0") || strcasecmp(v, "false") == 0 ||
	         strcasecmp(v, "no") == 0 || strcasecmp(v, "none") == 0);
}

struct query_list {
	const char *key;
	char ***v;
	int r;
};

static enum MHD_Result query_list_add(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
	struct query_list *q = cls;

	if (q->r == 0 && value && streq(key, q->key))
		q->r = strv_push(q->v, value);
	return MHD_YES;
}

char **api_query_list(const struct api_request *req, const char *key)
{
	_cleanup_strv_ char **v = strv_new();
	struct query_list q = {key, &v, 0};

	if (!v)
		return NULL;
	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, query_list_add, &q);
	return q.r < 0 ? NULL : TAKE_PTR(v);
}

const char *api_header(const struct api_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *api_body(const struct api_request *req, size_t *ret_len)
{
	if (ret_len)
		*ret_len = req->body.len;
	return req->body.buf ? req->body.buf : "";
}

json_t *api_body_json(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	json_t *j = NULL;

	if (req->body.len == 0)
		return json_object();
	if (json_parse("request body", req->body.buf, req->body.len, req->body_max, &j, &err) < 0) {
		api_reply_error(req, 400, "%s", error_message(err));
		return NULL;
	}
	return j;
}

int api_body_fd(const struct api_request *req)
{
	return req->body_rd;
}

bool api_body_truncated(const struct api_request *req)
{
	return __atomic_load_n(&req->body_truncated, __ATOMIC_SEQ_CST);
}

int api_shutdown_fd(const struct api_request *req)
{
	return req->srv->shutdown_fd;
}

/* ---- replies ---- */

/* True when resp became the reply (false: no resp, or already answered). */
static bool set_response(struct api_request *req, unsigned status, struct MHD_Response *resp)
{
	bool taken = false;

	pthread_mutex_lock(&req->lock);
	if (!resp || req->response) {
		/* a second reply from a handler is a bug: keep the first */
		if (resp)
			MHD_destroy_response(resp);
		if (!req->response)
			log_error("api: cannot allocate a response for %s %s", req->method,
			          req->url);
	} else {
		req->response = resp;
		req->status = status;
		for (size_t i = 0; i < req->n_heads; i++)
			MHD_add_response_header(resp, req->heads[i].name, req->heads[i].value);
		taken = true;
	}
	pthread_mutex_unlock(&req->lock);
	return taken;
}

void api_reply_header(struct api_request *req, const char *name, const char *value)
{
	pthread_mutex_lock(&req->lock);
	if (req->response)
		MHD_add_response_header(req->response, name, value);
	else if (req->n_heads < MAX_REPLY_HEADS) {
		req->heads[req->n_heads].name = strdup(name);
		req->heads[req->n_heads].value = strdup(value);
		req->n_heads++;
	}
	pthread_mutex_unlock(&req->lock);
}

void api_reply_data(struct api_request *req, unsigned status, const char *content_type,
                    const void *data, size_t len)
{
	struct MHD_Response *r;

	r = MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
	if (r && content_type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	set_response(req, status, r);
}

void api_reply_json(struct api_request *req, unsigned status, json_t *body)
{
	_cleanup_free_ char *s = body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

	json_decref(body);
	if (!s) {
		api_reply_error(req, 500, "cannot encode the response");
		return;
	}
	/* Docker's encoder ends every JSON document with a newline. */
	char *nl = str_printf("%s\n", s);
	if (nl)
		api_reply_data(req, status, "application/json", nl, strlen(nl));
	free(nl);
}

void api_reply_error(struct api_request *req, unsigned status, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		msg = NULL;
	if (status >= 500)
		log_error("%s %s: %s", req->method, req->url, msg ? msg : "error");
	else
		log_debug("%s %s: %u %s", req->method, req->url, status, msg ? msg : "error");
	api_reply_json(req, status, json_pack("{s:s}", "message", msg ? msg : "out of memory"));
}

void api_reply_husk_error(struct api_request *req, const struct husk_error *err)
{
	unsigned status;

	switch (error_code(err)) {
	case ENOENT:
		status = 404;
		break;
	case EEXIST:
	case EBUSY:
		status = 409;
		break;
	case EINVAL:
	case EILSEQ:
	case ERANGE:
		status = 400;
		break;
	case EFBIG:
		status = 413;
		break;
	default:
		status = 500;
	}
	api_reply_error(req, status, "%s", error_message(err));
}

void api_reply_status(struct api_request *req, unsigned status)
{
	api_reply_data(req, status, NULL, "", 0);
}

/* ---- streamed replies ---- */

static int connection_fd(const struct api_request *req)
{
	const union MHD_ConnectionInfo *ci =
	        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CONNECTION_FD);

	return ci ? ci->connect_fd : -1;
}

struct stream {
	int rd, wr, shutdown_fd;
	int sock; /* the client's connection, or -1 */
	pthread_t thread;
	api_producer_fn producer;
	void *data;
	void (*done)(void *data);
};

static void *stream_thread(void *p)
{
	struct stream *st = p;

	st->producer(st->wr, st->shutdown_fd, st->data);
	st->wr = safe_close(st->wr);
	return NULL;
}

/* Wait until the pipe is readable; false when the client went away first.
 * MHD's connection thread waits here while the producer is silent and
 * cannot see the client go: without this a `docker wait` whose client
 * left would hold its producer (and thread) until the container exits.
 * A client's half-close counts as leaving, as in Go's net/http. */
static bool stream_wait(const struct stream *st)
{
	struct pollfd p[2] = {{st->rd, POLLIN, 0}, {st->sock, POLLRDHUP, 0}};

	for (;;) {
		if (RETRY_EINTR(poll(p, st->sock >= 0 ? 2 : 1, -1)) < 0)
			return false;
		if (p[0].revents)
			return true;
		if (p[1].revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))
			return false;
	}
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *st = cls;
	ssize_t n;

	if (!stream_wait(st))
		return MHD_CONTENT_READER_END_WITH_ERROR;
	n = RETRY_EINTR(read(st->rd, buf, max));
	if (n > 0)
		return n;
	return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void stream_free(void *cls)
{
	struct stream *st = cls;

	st->rd = safe_close(st->rd); /* the producer's next write gets EPIPE */
	pthread_join(st->thread, NULL);
	if (st->done)
		st->done(st->data);
	free(st);
}

void api_reply_stream(struct api_request *req, unsigned status, const char *content_type,
                      api_producer_fn producer, void *data, void (*done)(void *data))
{
	struct stream *st = calloc(1, sizeof(*st));
	struct MHD_Response *r;
	int p[2];

	if (!st || pipe2(p, O_CLOEXEC) < 0) {
		free(st);
		if (done)
			done(data);
		api_reply_error(req, 500, "cannot start a stream: %s", strerror(errno));
		return;
	}
	*st = (struct stream){p[0], p[1], req->srv->shutdown_fd, connection_fd(req), 0, producer,
	                      data, done};
	if (pthread_create(&st->thread, NULL, stream_thread, st) != 0) {
		safe_close(p[0]);
		safe_close(p[1]);
		free(st);
		if (done)
			done(data);
		api_reply_error(req, 500, "cannot start a stream thread");
		return;
	}
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, stream_read, st,
	                                      stream_free);
	if (r && content_type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	if (!r)
		stream_free(st);
	set_response(req, status, r);
}

/* ---- hijacked connections ---- */

struct hijack {
	struct api_server *srv;
	api_hijack_fn fn;
	void *data;
	void (*done)(void *data);
	struct api_hijack h;
	struct MHD_UpgradeResponseHandle *urh;
	void *pending;
};

static void hijack_free(struct hijack *hj)
{
	if (hj->done)
		hj->done(hj->data);
	free(hj->pending);
	free(hj);
}

static void *hijack_thread(void *p)
{
	struct hijack *hj = p;
	struct api_server *srv = hj->srv;

	hj->fn(&hj->h, hj->data);
	MHD_upgrade_action(hj->urh, MHD_UPGRADE_ACTION_CLOSE);
	hijack_free(hj);
	pthread_mutex_lock(&srv->lock);
	if (--srv->hijacks == 0)
		pthread_cond_broadcast(&srv->idle);
	pthread_mutex_unlock(&srv->lock);
	return NULL;
}

/* MHD calls this after the 101 went out, always before on_completed. A
 * hijack that never gets here (the client left before the 101) is freed
 * with its request: MHD has no free callback for upgrade responses. */
static void on_upgrade(void *cls, struct MHD_Connection *conn, void *con_cls, const char *extra,
                       size_t extra_len, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
	struct hijack *hj = cls;
	struct api_request *req = con_cls;
	int fl = fcntl(sock, F_GETFL);
	pthread_t t;

	if (req && req->hijack == hj)
		req->hijack = NULL; /* the hijack thread owns it now */
	/* MHD's sockets are non-blocking; fns expect plain blocking I/O and
	 * MHD does not touch an upgraded plain socket until it is closed */
	if (fl >= 0 && (fl & O_NONBLOCK))
		fcntl(sock, F_SETFL, fl & ~O_NONBLOCK);
	hj->urh = urh;
	hj->h.sock = sock;
	if (extra_len) {
		hj->pending = malloc(extra_len);
		if (hj->pending)
			memcpy(hj->pending, extra, extra_len);
		hj->h.pending = hj->pending;
		hj->h.pending_len = hj->pending ? extra_len : 0;
	}
	pthread_mutex_lock(&hj->srv->lock);
	hj->srv->hijacks++;
	pthread_mutex_unlock(&hj->srv->lock);
	if (pthread_create(&t, NULL, hijack_thread, hj) != 0) {
		log_error("api: cannot start a thread for a hijacked connection");
		pthread_mutex_lock(&hj->srv->lock);
		hj->srv->hijacks--;
		pthread_mutex_unlock(&hj->srv->lock);
		MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
		hijack_free(hj);
		return;
	}
	pthread_detach(t);
}

static bool wants_upgrade(const struct api_request *req)
{
	const char *up = api_header(req, "Upgrade");
	const char *conn = api_header(req, "Connection");

	return up && conn && strcasestr(conn, "upgrade") &&
	       (strcasecmp(up, "tcp") == 0 || strcasecmp(up, "h2c") == 0);
}

void api_reply_hijack(struct api_request *req, const char *content_type, api_hijack_fn fn,
                      void *data, void (*done)(void *data))
{
	struct hijack *hj;
	struct MHD_Response *r;

	if (!wants_upgrade(req)) {
		if (done)
			done(data);
		api_reply_error(req, 400,
		                "this endpoint needs the \"Connection: Upgrade\" and "
		                "\"Upgrade: tcp\" request headers");
		return;
	}
	hj = calloc(1, sizeof(*hj));
	if (!hj) {
		if (done)
			done(data);
		api_reply_error(req, 500, "out of memory");
		return;
	}
	*hj = (struct hijack){.srv = req->srv, .fn = fn, .data = data, .done = done};
	hj->h.shutdown_fd = req->srv->shutdown_fd;
	r = MHD_create_response_for_upgrade(on_upgrade, hj);
	if (!r) {
		hijack_free(hj);
		api_reply_error(req, 500, "cannot upgrade the connection");
		return;
	}
	/* MHD adds "Connection: Upgrade" itself: adding it too gives
	 * "Connection: Upgrade, Upgrade" */
	MHD_add_response_header(r, MHD_HTTP_HEADER_UPGRADE, "tcp");
	if (content_type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	if (set_response(req, MHD_HTTP_SWITCHING_PROTOCOLS, r))
		req->hijack = hj;
	else
		hijack_free(hj); /* a second reply: dropped */
}

/* ---- request lifecycle ---- */

static struct api_request *request_new(struct api_server *srv, struct MHD_Connection *conn,
                                       const char *method, const char *url)
{
	struct api_request *req = calloc(1, sizeof(*req));

	if (!req)
		return NULL;
	req->srv = srv;
	req->conn = conn;
	req->body_rd = req->body_wr = -1;
	pthread_mutex_init(&req->lock, NULL);
	req->method = strdup(method);
	req->url = strdup(url);
	if (!req->method || !req->url) {
		free(req->method);
		free(req->url);
		free(req);
		return NULL;
	}
	return req;
}

static void request_free(struct api_request *req)
{
	if (!req)
		return;
	req->body_wr = safe_close(req->body_wr);
	if (req->handler_started)
		pthread_join(req->handler, NULL);
	safe_close(req->body_rd);
	if (req->response && !req->queued)
		MHD_destroy_response(req->response);
	if (req->hijack)
		hijack_free(req->hijack); /* never upgraded */
	for (size_t i = 0; i < req->n_heads; i++) {
		free(req->heads[i].name);
		free(req->heads[i].value);
	}
	api_captures_free(req->caps, req->ncaps);
	strbuf_release(&req->body);
	pthread_mutex_destroy(&req->lock);
	free(req->method);
	free(req->url);
	free(req);
}

/* The first route for method whose pattern matches the path (captures
 * filled); NULL, with *path_known when another method's route matched. */
static const struct api_route *find_route(struct api_request *req, const char *method,
                                          bool *path_known)
{
	for (const struct api_route *r = req->srv->cfg.routes; r && r->method; r++) {
		if (!api_route_match(r->pattern, req->path, req->caps, &req->ncaps))
			continue;
		if (streq(r->method, method))
			return r;
		api_captures_free(req->caps, req->ncaps);
		req->ncaps = 0;
		*path_known = true;
	}
	return NULL;
}

/* 0 when the /v1.NN/ prefix is fine (version set, path split); else
 * replies 400 itself. */
static int check_version(struct api_request *req)
{
	if (api_split_version(req->url, &req->version, &req->path) < 0) {
		api_reply_error(req, 400, "invalid API version in \"%s\"", req->url);
		return -EINVAL;
	}
	if (req->version == 0)
		req->version = API_VERSION_MAX;
	else if (req->version > API_VERSION_MAX) {
		api_reply_error(
		        req, 400,
		        "client version %u.%u is too new. Maximum supported API version is %u.%u",
		        req->version / 100, req->version % 100, API_VERSION_MAX / 100,
		        API_VERSION_MAX % 100);
		return -EINVAL;
	} else if (req->version < API_VERSION_MIN) {
		api_reply_error(req, 400,
		                "client version %u.%u is too old. Minimum supported API version is "
		                "%u.%u, please upgrade your client to a newer version",
		                req->version / 100, req->version % 100, API_VERSION_MIN / 100,
		                API_VERSION_MIN % 100);
		return -EINVAL;
	}
	return 0;
}

/* Find the route; reply 404/405/400 itself when there is none. HEAD takes
 * a HEAD route when the table has one (HEAD /containers/{id}/archive),
 * else the GET route. */
static void request_route(struct api_request *req)
{
	bool path_known = false;
	const struct api_route *r;

	if (check_version(req) < 0)
		return;
	r = find_route(req, req->method, &path_known);
	if (!r && streq(req->method, "HEAD"))
		r = find_route(req, "GET", &path_known);
	if (r) {
		req->route = r;
		req->body_max = r->body_max ? r->body_max : API_BODY_MAX_DEFAULT;
	} else if (path_known)
		api_reply_error(req, 405, "method %s not allowed for %s", req->method, req->path);
	else
		api_reply_error(req, 404, "page not found");
}

static void *handler_thread(void *p)
{
	struct api_request *req = p;

	req->route->handler(req);
	req->body_rd = safe_close(req->body_rd); /* further body bytes are dropped */
	return NULL;
}

static int start_stream_body(struct api_request *req)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	req->body_rd = p[0];
	req->body_wr = p[1];
	if (pthread_create(&req->handler, NULL, handler_thread, req) != 0) {
		req->body_rd = safe_close(req->body_rd);
		req->body_wr = safe_close(req->body_wr);
		return -EAGAIN;
	}
	req->handler_started = true;
	return 0;
}

static void add_common_headers(struct api_server *srv, struct MHD_Response *r)
{
	char v[16];

	snprintf(v, sizeof(v), "%u.%u", API_VERSION_MAX / 100, API_VERSION_MAX % 100);
	MHD_add_response_header(r, "Api-Version", v);
	MHD_add_response_header(r, "Docker-Experimental", "false");
	MHD_add_response_header(r, "Ostype", "linux");
	if (srv->cfg.server_header)
		MHD_add_response_header(r, MHD_HTTP_HEADER_SERVER, srv->cfg.server_header);
}

static enum MHD_Result queue_reply(struct api_request *req)
{
	enum MHD_Result ok;

	if (!req->response)
		api_reply_error(req, 500, "%s %s: the handler gave no reply", req->method,
		                req->path);
	if (!req->response)
		return MHD_NO;
	add_common_headers(req->srv, req->response);
	ok = MHD_queue_response(req->conn, req->status, req->response);
	MHD_destroy_response(req->response); /* MHD holds its own reference */
	req->queued = true;
	return ok;
}

static void body_chunk(struct api_request *req, const char *data, size_t len)
{
	if (req->route && (req->route->flags & API_ROUTE_STREAM_BODY)) {
		if (req->body_wr >= 0 && write_all(req->body_wr, data, len) < 0)
			req->body_wr = safe_close(req->body_wr); /* handler stopped reading */
		return;
	}
	if (req->response)
		return; /* already answered (an error): drop the body */
	if (req->body.len + len > req->body_max) {
		api_reply_error(req, 413, "request body larger than %zu bytes", req->body_max);
		strbuf_release(&req->body);
		return;
	}
	if (strbuf_append(&req->body, data, len) < 0)
		api_reply_error(req, 500, "out of memory reading the request body");
}

/* --tlsverify: the connection's client certificate must chain to the CA
 * given (libmicrohttpd asks for one when a trust list is set, but leaves
 * the verdict to us). Plain and unverified listeners pass. */
static bool client_verified(struct api_server *s, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *di, *si;
	unsigned status = 0;

	di = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_DAEMON);
	for (size_t i = 0; di && i < s->n_listeners; i++) {
		if (s->listeners[i].mhd != di->daemon)
			continue;
		if (!s->listeners[i].tls_ca)
			return true;
		si = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
		if (!si || !si->tls_session)
			return false;
		if (gnutls_certificate_verify_peers2((gnutls_session_t)si->tls_session, &status) <
		            0 ||
		    status != 0) {
			log_warn("api: refused a TLS client without a valid certificate");
			return false;
		}
		return true;
	}
	return true;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	struct api_request *req = *con_cls;

	if (!req) {
		if (!client_verified(cls, conn))
			return MHD_NO; /* closes the connection, answers nothing */
		req = request_new(cls, conn, method, url);
		if (!req)
			return MHD_NO;
		__atomic_add_fetch(&req->srv->requests, 1, __ATOMIC_RELAXED);
		*con_cls = req;
		request_route(req);
		if (req->route && (req->route->flags & API_ROUTE_STREAM_BODY) &&
		    start_stream_body(req) < 0)
			api_reply_error(req, 500, "cannot start the request handler");
		return MHD_YES;
	}
	if (*upload_data_size) {
		body_chunk(req, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (req->queued)
		return MHD_YES;
	if (req->handler_started) {
		req->body_wr = safe_close(req->body_wr);
		pthread_join(req->handler, NULL);
		req->handler_started = false;
	} else if (req->route && !req->response)
		req->route->handler(req);
	return queue_reply(req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct api_request *req = *con_cls;

	if (req && req->handler_started && toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
		__atomic_store_n(&req->body_truncated, true, __ATOMIC_SEQ_CST);
	request_free(req);
	*con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	_cleanup_free_ char *msg = NULL;

	if (vasprintf(&msg, fmt, ap) < 0)
		return;
	msg[strcspn(msg, "\n")] = 0;
	log_debug("api: %s", msg);
}

/* ---- the server ---- */

struct api_server *api_server_new(const struct api_server_config *cfg, struct husk_error **err)
{
	struct api_server *s = calloc(1, sizeof(*s));

	if (!s) {
		error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	s->cfg = *cfg;
	s->shutdown_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->shutdown_fd < 0) {
		error_set_errno(err, errno, "create the shutdown eventfd");
		free(s);
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->idle, NULL);
	return s;
}

/* 0 when something answers on path (a live daemon), else -errno. */
static int unix_probe(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	return connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
}

static int unix_bind(const char *path, unsigned mode, int gid, struct husk_error **err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;

	if (strlen(path) >= sizeof(sa.sun_path))
		return error_set(err, ENAMETOOLONG, "socket path \"%s\" is too long", path);
	strcpy(sa.sun_path, path);
	if (unix_probe(path) == 0)
		return error_set(err, EADDRINUSE, "\"%s\": another daemon is listening there",
		                 path);
	if (unlink(path) < 0 && errno != ENOENT)
		return error_set_errno(err, errno, "remove stale socket \"%s\"", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return error_set_errno(err, errno, "socket");
	/* bind under a restrictive umask so the socket never exists with
	 * wider permissions than asked, not even for an instant */
	mode_t old = umask(0177);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0)
		return error_set_errno(err, errno, "bind \"%s\"", path);
	if ((gid >= 0 && chown(path, 0, gid) < 0) || chmod(path, mode) < 0 || listen(fd, 128) < 0) {
		r = error_set_errno(err, errno, "set up socket \"%s\"", path);
		unlink(path);
		return r;
	}
	return TAKE_FD(fd);
}

int api_server_listen_unix(struct api_server *s, const char *path, unsigned mode, int gid,
                           struct husk_error **err)
{
	struct listener *l;
	int fd;

	if (s->n_listeners >= MAX_LISTENERS)
		return error_set(err, E2BIG, "too many listeners (at most %d)", MAX_LISTENERS);
	fd = unix_bind(path, mode, gid, err);
	if (fd < 0)
		return fd;
	l = &s->listeners[s->n_listeners++];
	l->fd = fd;
	l->path = strdup(path);
	return 0;
}

int api_server_listen_fd(struct api_server *s, int fd, struct husk_error **err)
{
	struct listener *l;
	int type = 0, listening = 0;
	socklen_t len = sizeof(type);

	if (s->n_listeners >= MAX_LISTENERS)
		return error_set(err, E2BIG, "too many listeners (at most %d)", MAX_LISTENERS);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || !listening)
		return error_set(err, EINVAL, "fd %d is not a listening stream socket", fd);
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return error_set_errno(err, errno, "fd %d: set close-on-exec", fd);
	l = &s->listeners[s->n_listeners++];
	l->fd = fd;
	l->path = NULL; /* the socket unit owns the file */
	return 0;
}

static void listener_release(struct listener *l)
{
	free(l->path);
	free(l->tls_cert);
	if (l->tls_key)
		explicit_bzero(l->tls_key, strlen(l->tls_key));
	free(l->tls_key);
	free(l->tls_ca);
	*l = (struct listener){.fd = -1};
}

static int parse_tcp_addr(const char *addr, struct addrinfo **ret, struct husk_error **err)
{
	_cleanup_free_ char *host = NULL;
	const char *colon = strrchr(addr, ':'), *h = addr;
	size_t hlen;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
	                         .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE};

	if (!colon || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return error_set(err, EINVAL, "invalid TCP address \"%s\": expected host:port",
		                 addr);
	hlen = colon - addr;
	if (hlen >= 2 && addr[0] == '[' && addr[hlen - 1] == ']') {
		h = addr + 1;
		hlen -= 2;
	}
	host = strndup(h, hlen);
	if (!host)
		return error_set(err, ENOMEM, "out of memory");
	if (getaddrinfo(*host ? host : NULL, colon + 1, &hints, ret) != 0)
		return error_set(err, EINVAL,
		                 "invalid TCP address \"%s\": the host must be an IP address",
		                 addr);
	return 0;
}

static int tcp_bind(const char *addr, struct husk_error **err)
{
	struct addrinfo *ai = NULL;
	_cleanup_close_ int fd = -1;
	int one = 1, r;

	r = parse_tcp_addr(addr, &ai, err);
	if (r < 0)
		return r;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 128) < 0) {
		r = error_set_errno(err, errno, "listen on \"%s\"", addr);
		freeaddrinfo(ai);
		return r;
	}
	freeaddrinfo(ai);
	return TAKE_FD(fd);
}

static int tls_load(struct listener *l, const struct api_tls_files *tls, struct husk_error **err)
{
	const struct {
		const char *path, *what;
		char **dst;
	} files[] = {{tls->cert, "certificate", &l->tls_cert},
	             {tls->key, "key", &l->tls_key},
	             {tls->ca, "CA certificate", &l->tls_ca}};

	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return error_set(err, ENOTSUP, "TLS: libmicrohttpd was built without TLS support");
	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		size_t len;
		int r;

		if (!files[i].path) {
			if (files[i].dst == &l->tls_ca)
				continue;
			return error_set(err, EINVAL, "TLS: a %s file is required", files[i].what);
		}
		r = read_file(files[i].path, 1u << 20, files[i].dst, &len, err);
		if (r < 0)
			return error_wrap(err, "TLS %s", files[i].what);
	}
	return 0;
}

int api_server_listen_tcp(struct api_server *s, const char *addr, const struct api_tls_files *tls,
                          struct husk_error **err)
{
	struct listener *l;
	int fd, r;

	if (s->n_listeners >= MAX_LISTENERS)
		return error_set(err, E2BIG, "too many listeners (at most %d)", MAX_LISTENERS);
	l = &s->listeners[s->n_listeners];
	*l = (struct listener){.fd = -1};
	if (tls && (r = tls_load(l, tls, err)) < 0) {
		listener_release(l);
		return r;
	}
	fd = tcp_bind(addr, err);
	if (fd < 0) {
		listener_release(l);
		return fd;
	}
	l->fd = fd;
	s->n_listeners++;
	return 0;
}

unsigned api_server_port(const struct api_server *s, size_t n)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (n >= s->n_listeners || s->listeners[n].path ||
	    getsockname(s->listeners[n].fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

static struct MHD_Daemon *listener_start(struct api_server *s, struct listener *l)
{
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
	                 MHD_ALLOW_UPGRADE | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem tls[] = {
	        {MHD_OPTION_HTTPS_MEM_CERT, 0, l->tls_cert},
	        {MHD_OPTION_HTTPS_MEM_KEY, 0, l->tls_key},
	        {l->tls_ca ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, 0, l->tls_ca},
	        {MHD_OPTION_END, 0, NULL},
	};

	if (l->tls_cert)
		flags |= MHD_USE_TLS;
	return MHD_start_daemon(
	        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_LISTEN_SOCKET, l->fd,
	        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_EXTERNAL_LOGGER,
	        on_mhd_log, s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024),
	        MHD_OPTION_THREAD_STACK_SIZE, (size_t)(256 * 1024), MHD_OPTION_CONNECTION_TIMEOUT,
	        0u, MHD_OPTION_ARRAY, l->tls_cert ? tls : tls + 3, MHD_OPTION_END);
}

uint64_t api_server_requests(const struct api_server *s)
{
	return __atomic_load_n(&s->requests, __ATOMIC_RELAXED);
}

int api_server_start(struct api_server *s, struct husk_error **err)
{
	for (size_t i = 0; i < s->n_listeners; i++) {
		struct listener *l = &s->listeners[i];

		l->mhd = listener_start(s, l);
		if (!l->mhd)
			return error_set(err, EIO, "start the HTTP server on \"%s\"",
			                 l->path ? l->path : "?");
	}
	return 0;
}

static void wait_hijacks(struct api_server *s)
{
	pthread_mutex_lock(&s->lock);
	while (s->hijacks > 0)
		pthread_cond_wait(&s->idle, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

void api_server_stop(struct api_server *s)
{
	uint64_t one = 1;

	if (write(s->shutdown_fd, &one, sizeof(one)) < 0)
		log_warn("api: cannot signal shutdown: %s", strerror(errno));
	for (size_t i = 0; i < s->n_listeners; i++)
		if (s->listeners[i].mhd)
			MHD_quiesce_daemon(s->listeners[i].mhd);
	/* Hijack fns end first: MHD_stop_daemon closes upgraded sockets that
	 * are still open, under the feet of a fn still using them. */
	wait_hijacks(s);
	for (size_t i = 0; i < s->n_listeners; i++) {
		struct listener *l = &s->listeners[i];

		if (l->mhd) {
			MHD_stop_daemon(l->mhd);
			l->mhd = NULL;
		}
		l->fd = safe_close(l->fd);
		if (l->path)
			unlink(l->path);
	}
	wait_hijacks(s); /* any upgraded while the daemons stopped */
}

void api_server_free(struct api_server *s)
{
	if (!s)
		return;
	api_server_stop(s);
	for (size_t i = 0; i < s->n_listeners; i++)
		listener_release(&s->listeners[i]);
	safe_close(s->shutdown_fd);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->idle);
	free(s);
}
