/* Unit tests for src/api/server.c and src/api/client.c: a real server on a
 * unix socket in a temp dir, with a route table made here, spoken to with
 * hand-written HTTP/1.1 over raw sockets and with the API client.
 *
 * SIGPIPE is ignored as huskd ignores it: a producer writing to a pipe whose
 * reader has gone must get EPIPE, not kill the process. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

#include "api/client.h"
#include "api/server.h"
#include "base/digest.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"

#define IO_TIMEOUT_S 5

/* What handlers, producers and hijack fns saw; counters are atomics. */
struct ctx {
	int producer_exits;
	int producer_epipe;
	int producer_gone; /* a silent producer saw POLLERR: the client left */
	int producer_shutdown;
	int done_calls;
	int hijack_runs;
	int hijack_exits;
	int hijack_done;
	int upload_done;
	/* the last API_ROUTE_STREAM_BODY upload, set before upload_done */
	uint64_t upload_bytes;
	struct digest upload_digest;
	bool upload_truncated;
	size_t pending_len; /* of the last hijack */
};

struct fx {
	char dir[64];
	char sock[128];
	char host[160];
	struct api_server *srv;
	struct ctx ctx;
};

static int atomic_get(int *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static void atomic_inc(int *p)
{
	__atomic_add_fetch(p, 1, __ATOMIC_SEQ_CST);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Wait up to ms for *counter to reach want; true when it did. */
static bool wait_for(int *counter, int want, long ms)
{
	long end = now_ms() + ms;

	while (atomic_get(counter) < want && now_ms() < end)
		sleep_ms(5);
	return atomic_get(counter) >= want;
}

/* True when shutdown_fd became readable within ms. */
static bool wait_shutdown(int shutdown_fd, int ms)
{
	struct pollfd p = {shutdown_fd, POLLIN, 0};

	return RETRY_EINTR(poll(&p, 1, ms)) > 0;
}

/* ---- handlers ---- */

static void h_hello(struct api_request *req)
{
	api_reply_json(req, 200, json_pack("{s:s}", "hello", "world"));
}

static void h_ping(struct api_request *req)
{
	api_reply_data(req, 200, "text/plain; charset=utf-8", "OK", 2);
}

static void h_inspect(struct api_request *req)
{
	json_t *j = json_pack("{s:s?,s:s?,s:i,s:s}", "id",
	                      api_param(req, "id") ? api_param(req, "id") : api_param(req, "name"),
	                      "q", api_query(req, "q"), "version", (int)api_version(req), "path",
	                      api_path(req));

	api_reply_json(req, 200, j);
}

/* ?a=…&b=…: api_query_bool of each key a to i, default false, and of
 * the absent "z" with default true. */
static void h_bools(struct api_request *req)
{
	json_t *j = json_object();
	char key[2] = "a";

	for (; key[0] <= 'i'; key[0]++)
		json_object_set_new(j, key, json_boolean(api_query_bool(req, key, false)));
	json_object_set_new(j, "z", json_boolean(api_query_bool(req, "z", true)));
	api_reply_json(req, 200, j);
}

/* ?filters=…: what api_query_filters made of it, {"filters": null} when
 * absent; the helper replies itself when it is bad. */
static void h_filters(struct api_request *req)
{
	json_t *filters = NULL;

	if (api_query_filters(req, &filters) < 0)
		return;
	api_reply_json(req, 200, json_pack("{s:o?}", "filters", filters));
}

static void h_headers(struct api_request *req)
{
	const char *v = api_header(req, "X-Test");

	api_reply_header(req, "X-Reply", "yes");
	api_reply_json(req, 200, json_pack("{s:s?}", "x-test", v));
	/* a header after the reply is added to it */
	api_reply_header(req, "X-Late", "late");
}

static void h_echo(struct api_request *req)
{
	json_t *j = api_body_json(req);

	if (j)
		api_reply_json(req, 201, j);
}

static void h_body_len(struct api_request *req)
{
	size_t len;

	api_body(req, &len);
	api_reply_json(req, 200, json_pack("{s:I}", "len", (json_int_t)len));
}

/* GET and HEAD /archive: which handler answered. */
static void h_archive_get(struct api_request *req)
{
	api_reply_header(req, "X-Which", "get");
	api_reply_data(req, 200, "application/x-tar", "tar", 3);
}

static void h_archive_head(struct api_request *req)
{
	api_reply_header(req, "X-Which", "head");
	api_reply_status(req, 200);
}

static void h_status(struct api_request *req)
{
	api_reply_status(req, 204);
}

/* /error/{code}: a husk_error with that errno. */
static void h_error(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;

	error_set(&err, atoi(api_param(req, "code")), "no such thing \"%s\"", "x");
	api_reply_husk_error(req, err);
}

static void h_noreply(struct api_request *req)
{
}

static void h_twice(struct api_request *req)
{
	api_reply_status(req, 204);
	api_reply_error(req, 500, "second reply");
}

static void count_done(void *data)
{
	atomic_inc(&((struct ctx *)data)->done_calls);
}

/* Three chunks, each after 200 ms: the headers must not wait for them. */
static void produce_three(int fd, int shutdown_fd, void *data)
{
	struct ctx *c = data;

	for (int i = 1; i <= 3; i++) {
		char line[32];
		int n = snprintf(line, sizeof(line), "chunk %d\n", i);

		if (wait_shutdown(shutdown_fd, 200))
			break;
		if (write_all(fd, line, n) < 0)
			break;
	}
	atomic_inc(&c->producer_exits);
}

/* A line every 20 ms until the client goes (EPIPE) or 10 s pass. */
static void produce_forever(int fd, int shutdown_fd, void *data)
{
	struct ctx *c = data;

	for (int i = 0; i < 500; i++) {
		int r = write_all(fd, "tick\n", 5);

		if (r == -EPIPE)
			atomic_inc(&c->producer_epipe);
		if (r < 0 || wait_shutdown(shutdown_fd, 20))
			break;
	}
	atomic_inc(&c->producer_exits);
}

/* Writes nothing; waits (like /containers/{id}/wait) until the client
 * goes or the server stops, as server.h tells producers to. */
static void produce_silent(int fd, int shutdown_fd, void *data)
{
	struct ctx *c = data;
	struct pollfd p[2] = {{fd, 0, 0}, {shutdown_fd, POLLIN, 0}};

	if (RETRY_EINTR(poll(p, 2, 10000)) > 0) {
		if (p[0].revents & (POLLERR | POLLHUP))
			atomic_inc(&c->producer_gone);
		if (p[1].revents & POLLIN)
			atomic_inc(&c->producer_shutdown);
	}
	atomic_inc(&c->producer_exits);
}

static void h_stream(struct api_request *req)
{
	api_reply_stream(req, 200, "text/plain", produce_three, api_ctx(req), count_done);
}

static void h_stream_forever(struct api_request *req)
{
	api_reply_stream(req, 200, "text/plain", produce_forever, api_ctx(req), count_done);
}

static void h_stream_silent(struct api_request *req)
{
	api_reply_stream(req, 200, "application/json", produce_silent, api_ctx(req), count_done);
}

/* API_ROUTE_STREAM_BODY: hash the body as it streams in. */
static void h_upload(struct api_request *req)
{
	struct ctx *c = api_ctx(req);
	_cleanup_(sha256_freep) struct sha256 *h = sha256_new();
	_cleanup_free_ char *buf = malloc(65536);
	uint64_t total = 0;
	struct digest d;
	ssize_t n;

	if (!h || !buf) {
		api_reply_error(req, 500, "out of memory");
		return;
	}
	while ((n = RETRY_EINTR(read(api_body_fd(req), buf, 65536))) > 0) {
		sha256_update(h, buf, n);
		total += n;
	}
	sha256_final(h, &d);
	c->upload_bytes = total;
	c->upload_digest = d;
	c->upload_truncated = api_body_truncated(req);
	atomic_inc(&c->upload_done);
	api_reply_json(req, 200,
	               json_pack("{s:I,s:s,s:b}", "bytes", (json_int_t)total, "digest", d.str,
	                         "truncated", c->upload_truncated));
}

/* Echo until EOF (then half-close too) or shutdown. */
static void echo(const struct api_hijack *h, void *data)
{
	struct ctx *c = data;
	char buf[16384];

	c->pending_len = h->pending_len;
	atomic_inc(&c->hijack_runs);
	if (h->pending_len && write_all(h->sock, h->pending, h->pending_len) < 0)
		goto out;
	for (;;) {
		struct pollfd p[2] = {{h->sock, POLLIN, 0}, {h->shutdown_fd, POLLIN, 0}};
		ssize_t n;

		if (RETRY_EINTR(poll(p, 2, -1)) < 0 || (p[1].revents & POLLIN))
			break;
		n = RETRY_EINTR(read(h->sock, buf, sizeof(buf)));
		if (n <= 0) {
			shutdown(h->sock, SHUT_WR);
			break;
		}
		if (write_all(h->sock, buf, n) < 0)
			break;
	}
out:
	atomic_inc(&c->hijack_exits);
}

static void hijack_done(void *data)
{
	atomic_inc(&((struct ctx *)data)->hijack_done);
}

static void h_attach(struct api_request *req)
{
	api_reply_hijack(req, "application/vnd.docker.raw-stream", echo, api_ctx(req), hijack_done);
}

/* Answers late, when the client may be gone already. */
static void h_attach_slow(struct api_request *req)
{
	sleep_ms(300);
	h_attach(req);
}

static const struct api_route routes[] = {
        {"GET", "/_ping", h_ping, 0, 0},
        {"GET", "/hello", h_hello, 0, 0},
        {"GET", "/containers/{id}/json", h_inspect, 0, 0},
        {"POST", "/containers/{id}/start", h_status, 0, 0},
        {"GET", "/images/{name*}/json", h_inspect, 0, 0},
        {"GET", "/bools", h_bools, 0, 0},
        {"GET", "/filters", h_filters, 0, 0},
        {"GET", "/containers/{id}/archive", h_archive_get, 0, 0},
        {"HEAD", "/containers/{id}/archive", h_archive_head, 0, 0},
        {"HEAD", "/head-only", h_archive_head, 0, 0},
        {"GET", "/headers", h_headers, 0, 0},
        {"POST", "/echo", h_echo, 0, 0},
        {"POST", "/small", h_body_len, 0, 1024},
        {"GET", "/error/{code}", h_error, 0, 0},
        {"GET", "/noreply", h_noreply, 0, 0},
        {"GET", "/twice", h_twice, 0, 0},
        {"GET", "/stream", h_stream, 0, 0},
        {"GET", "/stream/forever", h_stream_forever, 0, 0},
        {"GET", "/stream/silent", h_stream_silent, 0, 0},
        {"POST", "/upload", h_upload, API_ROUTE_STREAM_BODY, 0},
        {"POST", "/attach", h_attach, 0, 0},
        {"POST", "/attach/slow", h_attach_slow, 0, 0},
        {NULL, NULL, NULL, 0, 0},
};

/* ---- fixture ---- */

static int setup(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct fx *f = calloc(1, sizeof(*f));
	struct api_server_config cfg = {routes, NULL, "husk-test/1.0"};

	if (!f)
		return -1;
	*state = f;
	strcpy(f->dir, "/tmp/husk-test-server-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->sock, sizeof(f->sock), "%s/api.sock", f->dir);
	snprintf(f->host, sizeof(f->host), "unix://%s", f->sock);
	cfg.ctx = &f->ctx;
	f->srv = api_server_new(&cfg, &err);
	if (!f->srv || api_server_listen_unix(f->srv, f->sock, 0600, -1, &err) < 0 ||
	    api_server_start(f->srv, &err) < 0) {
		print_error("server: %s\n", error_message(err));
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	int r = 0;

	api_server_free(f->srv);
	/* stop removed the socket file */
	if (access(f->sock, F_OK) == 0) {
		print_error("%s is still there\n", f->sock);
		unlink(f->sock);
		r = -1;
	}
	if (rmdir(f->dir) < 0)
		r = -1;
	free(f);
	return r;
}

/* ---- raw HTTP ---- */

static int connect_unix(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {IO_TIMEOUT_S, 0};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		fail_msg("connect %s: %s", path, strerror(errno));
	return fd;
}

static void send_str(int fd, const char *s)
{
	assert_int_equal(write_all(fd, s, strlen(s)), 0);
}

/* Read into in until it holds the end of the headers; the offset of the
 * body, or 0 at EOF/timeout before that. */
static size_t read_head(int fd, struct strbuf *in)
{
	char buf[4096];
	char *end;

	while (!in->buf || !(end = strstr(in->buf, "\r\n\r\n"))) {
		ssize_t n = RETRY_EINTR(read(fd, buf, sizeof(buf)));

		if (n <= 0)
			return 0;
		assert_int_equal(strbuf_append(in, buf, n), 0);
	}
	return end + 4 - in->buf;
}

/* Read to EOF; fails the test on a timeout. */
static void read_to_eof(int fd, struct strbuf *in)
{
	char buf[16384];
	ssize_t n;

	while ((n = RETRY_EINTR(read(fd, buf, sizeof(buf)))) > 0)
		assert_int_equal(strbuf_append(in, buf, n), 0);
	if (n < 0)
		fail_msg("read: %s", strerror(errno));
}

/* Exactly len bytes, or fail. */
static void read_exact(int fd, void *buf, size_t len)
{
	ssize_t n = read_full(fd, buf, len);

	if (n != (ssize_t)len)
		fail_msg("read %zd of %zu bytes: %s", n, len, n < 0 ? strerror(-n) : "EOF");
}

struct reply {
	int status;
	char *head; /* status line and headers */
	struct strbuf body;
};

static void reply_free(struct reply *r)
{
	free(r->head);
	strbuf_release(&r->body);
	*r = (struct reply){0};
}

/* A header's value (a new string), or NULL. */
static char *reply_header(const struct reply *r, const char *name)
{
	size_t nlen = strlen(name);

	for (const char *l = strstr(r->head, "\r\n"); l && l[2]; l = strstr(l + 2, "\r\n")) {
		const char *v = l + 2;

		if (strncasecmp(v, name, nlen) != 0 || v[nlen] != ':')
			continue;
		v += nlen + 1;
		v += strspn(v, " ");
		return strndup(v, strcspn(v, "\r\n"));
	}
	return NULL;
}

static void assert_header(const struct reply *r, const char *name, const char *value)
{
	_cleanup_free_ char *v = reply_header(r, name);

	if (!v)
		fail_msg("no %s header in:\n%s", name, r->head);
	assert_string_equal(v, value);
}

/* Undo chunked transfer coding in place. */
static void dechunk(struct strbuf *b)
{
	struct strbuf out = {0};
	const char *p = b->buf ? b->buf : "";
	size_t n;

	while ((n = strtoul(p, NULL, 16)) > 0) {
		p = strstr(p, "\r\n");
		assert_non_null(p);
		assert_int_equal(strbuf_append(&out, p + 2, n), 0);
		p += 2 + n + 2;
	}
	strbuf_release(b);
	*b = out;
}

static void parse_reply(struct strbuf *in, size_t body_at, struct reply *r)
{
	_cleanup_free_ char *te = NULL;

	assert_true(body_at > 0);
	assert_int_equal(sscanf(in->buf, "HTTP/1.1 %d ", &r->status), 1);
	r->head = strndup(in->buf, body_at);
	assert_int_equal(strbuf_append(&r->body, in->buf + body_at, in->len - body_at), 0);
	te = reply_header(r, "Transfer-Encoding");
	if (te && strcasecmp(te, "chunked") == 0)
		dechunk(&r->body);
	strbuf_release(in);
}

/* Send a raw request on a new connection and read the reply to EOF. */
static void raw(struct fx *f, const char *request, struct reply *r)
{
	_cleanup_close_ int fd = connect_unix(f->sock);
	struct strbuf in = {0};
	size_t at;

	send_str(fd, request);
	at = read_head(fd, &in);
	read_to_eof(fd, &in);
	parse_reply(&in, at, r);
}

/* One request with "Connection: close"; body may be NULL. */
static void http(struct fx *f, const char *method, const char *target, const char *body,
                 struct reply *r)
{
	_cleanup_free_ char *req = NULL;

	if (body)
		req = str_printf("%s %s HTTP/1.1\r\nHost: husk\r\nConnection: close\r\n"
		                 "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
		                 method, target, strlen(body), body);
	else
		req = str_printf("%s %s HTTP/1.1\r\nHost: husk\r\nConnection: close\r\n\r\n",
		                 method, target);
	raw(f, req, r);
}

static json_t *reply_json(const struct reply *r)
{
	json_t *j = json_loadb(r->body.buf ? r->body.buf : "", r->body.len, 0, NULL);

	if (!j)
		fail_msg("not JSON: \"%.*s\"", (int)r->body.len, r->body.buf ? r->body.buf : "");
	return j;
}

/* status, and {"message": msg} unless msg is NULL */
static void assert_error_reply(const struct reply *r, int status, const char *msg)
{
	_cleanup_json_ json_t *j = NULL;

	assert_int_equal(r->status, status);
	if (!msg)
		return;
	j = reply_json(r);
	assert_string_equal(json_string_value(json_object_get(j, "message")), msg);
}

static void get_error(struct fx *f, const char *method, const char *target, int status,
                      const char *msg)
{
	struct reply r = {0};

	http(f, method, target, NULL, &r);
	assert_error_reply(&r, status, msg);
	reply_free(&r);
}

/* ---- plain replies ---- */

static void test_json_reply(void **state)
{
	struct fx *f = *state;
	struct reply r = {0};

	http(f, "GET", "/hello", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body.buf, "{\"hello\":\"world\"}\n");
	assert_header(&r, "Content-Type", "application/json");
	assert_header(&r, "Content-Length", "18");
	assert_header(&r, "Api-Version", "1.44");
	assert_header(&r, "Ostype", "linux");
	assert_header(&r, "Docker-Experimental", "false");
	assert_header(&r, "Server", "husk-test/1.0");
	reply_free(&r);
}

static void test_keep_alive(void **state)
{
	struct fx *f = *state;
	_cleanup_close_ int fd = connect_unix(f->sock);
	struct strbuf in = {0};
	size_t at;

	/* two requests on one connection, the second closing it */
	send_str(fd, "GET /hello HTTP/1.1\r\nHost: husk\r\n\r\n");
	at = read_head(fd, &in);
	assert_true(at > 0);
	assert_non_null(strstr(in.buf, "HTTP/1.1 200"));
	strbuf_release(&in);
	send_str(fd, "GET /_ping HTTP/1.1\r\nHost: husk\r\nConnection: close\r\n\r\n");
	read_to_eof(fd, &in);
	assert_non_null(strstr(in.buf, "HTTP/1.1 200"));
	assert_true(endswith(in.buf, "\r\n\r\nOK"));
	strbuf_release(&in);
}

static void test_status_only(void **state)
{
	struct fx *f = *state;
	struct reply r = {0};

	http(f, "POST", "/containers/c1/start", NULL, &r);
	assert_int_equal(r.status, 204);
	assert_int_equal(r.body.len, 0);
	assert_header(&r, "Api-Version", "1.44");
	reply_free(&r);
}

static void test_version_prefix(void **state)
{
	struct fx *f = *state;
	struct reply r = {0};
	_cleanup_json_ json_t *a = NULL, *b = NULL;

	http(f, "GET", "/v1.30/containers/c1/json", NULL, &r);
	assert_int_equal(r.status, 200);
	a = reply_json(&r);
	assert_int_equal(json_integer_value(json_object_get(a, "version")), 130);
	assert_string_equal(json_string_value(json_object_get(a, "path")), "/containers/c1/json");
	reply_free(&r);
	/* no prefix: the newest version */
	http(f, "GET", "/containers/c1/json", NULL, &r);
	b = reply_json(&r);
	assert_int_equal(json_integer_value(json_object_get(b, "version")), 144);
	reply_free(&r);
}

static void test_version_limits(void **state)
{
	struct fx *f = *state;
	struct reply r = {0};

	http(f, "GET", "/v1.43/hello", NULL, &r);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	http(f, "GET", "/v1.24/hello", NULL, &r);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	http(f, "GET", "/v1.44/hello", NULL, &r);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	get_error(f, "GET", "/v1.45/hello", 400,
	          "client version 1.45 is too new. Maximum supported API version is 1.44");
	get_error(f, "GET", "/v1.23/hello", 400,
	          "client version 1.23 is too old. Minimum supported API version is 1.24, "
	          "please upgrade your client to a newer version");
	get_error(f, "GET", "/v2.0/hello", 400, "invalid API version in \"/v2.0/hello\"");
	get_error(f, "GET", "/v1.43x/hello", 400, "invalid API version in \"/v1.43x/hello\"");
}

static void test_not_found(void **state)
{
	struct fx *f = *state;
	struct reply r = {0};

	http(f, "GET", "/nope", NULL, &r);
	assert_int_equal(r.status, 404);
	assert_string_equal(r.body.buf, "{\"message\":\"page not found\"}\n");
	assert_header(&r, "Content-Type", "application/json");
	assert_header(&r, "Api-Version", "1.44");
	reply_free(&r);
	get_error(f, "GET", "/v1.43/containers/c1", 404, "page not found");
	get_error(f, "GET", "/containers//json", 404, "page not found");
}

static void test_method_not_allowed(void **state)
{
	struct fx *f = *state;

	get_error(f, "DELETE", "/hello", 405, "method DELETE not allowed for /hello");
	get_error(f, "POST", "/v1.40/containers/c1/json", 405,
	          "method POST not allowed for /containers/c1/json");
	get_error(f, "GET", "/containers/c1/start", 405,
	          "method GET not allowed for /containers/c1/start");
	/* HEAD is served by GET routes only */
	get_error(f, "HEAD", "/echo", 405, NULL);
}

static void test_head(void **state)
{
	struct fx *f = *state;
	struct reply r = {0};

	http(f, "HEAD", "/hello", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body.len, 0);
	assert_header(&r, "Content-Length", "18");
	assert_header(&r, "Content-Type", "application/json");
	assert_header(&r, "Api-Version", "1.44");
	reply_free(&r);
	http(f, "HEAD", "/_ping", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body.len, 0);
	assert_header(&r, "Content-Length", "2");
	reply_free(&r);
}

static void test_head_route(void **state)
{
	struct fx *f = *state;
	struct reply r = {0};

	/* a HEAD route in the table wins over the GET route */
	http(f, "HEAD", "/containers/c1/archive", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_header(&r, "X-Which", "head");
	reply_free(&r);
	http(f, "GET", "/containers/c1/archive", NULL, &r);
	assert_header(&r, "X-Which", "get");
	assert_string_equal(r.body.buf, "tar");
	reply_free(&r);
	http(f, "HEAD", "/head-only", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_header(&r, "X-Which", "head");
	reply_free(&r);
	get_error(f, "GET", "/head-only", 405, "method GET not allowed for /head-only");
}

static void test_params_and_query(void **state)
{
	struct fx *f = *state;
	struct reply r = {0};
	_cleanup_json_ json_t *a = NULL, *b = NULL;

	http(f, "GET", "/containers/my_c-1/json?q=a%20b%26c&other=1", NULL, &r);
	a = reply_json(&r);
	assert_string_equal(json_string_value(json_object_get(a, "id")), "my_c-1");
	assert_string_equal(json_string_value(json_object_get(a, "q")), "a b&c");
	reply_free(&r);
	http(f, "GET", "/images/127.0.0.1:5000/a/b:1/json", NULL, &r);
	b = reply_json(&r);
	assert_int_equal(r.status, 200);
	assert_string_equal(json_string_value(json_object_get(b, "id")), "127.0.0.1:5000/a/b:1");
	assert_true(json_is_null(json_object_get(b, "q")));
	reply_free(&r);
}

static void test_query_bool(void **state)
{
	struct fx *f = *state;
	struct reply r = {0};
	_cleanup_json_ json_t *j = NULL;
	/* moby's BoolValue: all but "", "0", "no", "false", "none" is true */
	const char *want = "{\"a\":true,\"b\":false,\"c\":false,\"d\":false,\"e\":false,"
	                   "\"f\":false,\"g\":false,\"h\":true,\"i\":true,\"z\":true}";

	http(f, "GET", "/bools?a=1&b=0&c=false&d=FALSE&e=no&f=none&g=&h=yes&i=True", NULL, &r);
	j = reply_json(&r);
	_cleanup_free_ char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(s, want);
	reply_free(&r);
}

/* GET /filters?filters=QUERY (already %-encoded): the status and the
 * reply's "filters" compact, or its "message". */
static void filters_check(struct fx *f, const char *query, int status, const char *want)
{
	_cleanup_free_ char *path = str_printf("/filters%s", query);
	_cleanup_json_ json_t *j = NULL;
	_cleanup_free_ char *got = NULL;
	struct reply r = {0};

	assert_non_null(path);
	http(f, "GET", path, NULL, &r);
	assert_int_equal(r.status, status);
	j = reply_json(&r);
	if (status == 200)
		got = json_dumps(json_object_get(j, "filters"), JSON_COMPACT | JSON_ENCODE_ANY);
	else
		got = strdup(json_string_value(json_object_get(j, "message")));
	assert_non_null(got);
	if (!startswith(got, want))
		fail_msg("%s: got %s, want %s…", query, got, want);
	reply_free(&r);
}

static void test_query_filters(void **state)
{
	struct fx *f = *state;

	filters_check(f, "", 200, "null");
	filters_check(f, "?filters=", 200, "null");
	filters_check(f, "?filters=%7B%7D", 200, "{}");
	filters_check(f, "?filters=%7B%22status%22%3A%5B%22running%22%5D%7D", 200,
	              "{\"status\":[\"running\"]}");
	filters_check(f, "?filters=%7B%22status%22", 400, "invalid filter: filters: ");
	filters_check(f, "?filters=%5B%5D", 400, "invalid filter: expected a JSON object");
	filters_check(f, "?filters=42", 400, "invalid filter: expected a JSON object");
}

static void test_headers(void **state)
{
	struct fx *f = *state;
	struct reply r = {0};
	_cleanup_json_ json_t *j = NULL;

	raw(f,
	    "GET /headers HTTP/1.1\r\nHost: husk\r\nX-Test: hi there\r\nConnection: close\r\n\r\n",
	    &r);
	j = reply_json(&r);
	assert_string_equal(json_string_value(json_object_get(j, "x-test")), "hi there");
	assert_header(&r, "X-Reply", "yes");
	assert_header(&r, "X-Late", "late");
	reply_free(&r);
}

static void test_body_json(void **state)
{
	struct fx *f = *state;
	struct reply r = {0};

	http(f, "POST", "/echo", "{\"Image\": \"busybox\", \"Cmd\": [\"sh\"]}", &r);
	assert_int_equal(r.status, 201);
	assert_string_equal(r.body.buf, "{\"Image\":\"busybox\",\"Cmd\":[\"sh\"]}\n");
	reply_free(&r);
	/* an empty body is an empty object */
	http(f, "POST", "/echo", "", &r);
	assert_int_equal(r.status, 201);
	assert_string_equal(r.body.buf, "{}\n");
	reply_free(&r);
	http(f, "POST", "/echo", NULL, &r);
	assert_string_equal(r.body.buf, "{}\n");
	reply_free(&r);
}

static void test_body_json_bad(void **state)
{
	struct fx *f = *state;
	struct reply r = {0};
	_cleanup_json_ json_t *j = NULL;
	const char *msg;

	http(f, "POST", "/echo", "{\"Image\": busybox}", &r);
	assert_int_equal(r.status, 400);
	j = reply_json(&r);
	msg = json_string_value(json_object_get(j, "message"));
	assert_non_null(msg);
	assert_non_null(startswith(msg, "request body: invalid JSON at line 1, column"));
	reply_free(&r);
}

static void test_body_cap(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *big = malloc(1501), *ok = malloc(1025);
	struct reply r = {0};
	_cleanup_json_ json_t *j = NULL;

	memset(big, 'x', 1500);
	big[1500] = 0;
	memset(ok, 'y', 1024);
	ok[1024] = 0;
	http(f, "POST", "/small", big, &r);
	assert_error_reply(&r, 413, "request body larger than 1024 bytes");
	reply_free(&r);
	/* the server keeps serving, and exactly the cap is fine */
	http(f, "POST", "/small", ok, &r);
	assert_int_equal(r.status, 200);
	j = reply_json(&r);
	assert_int_equal(json_integer_value(json_object_get(j, "len")), 1024);
	reply_free(&r);
}

static void test_body_cap_keep_alive(void **state)
{
	struct fx *f = *state;
	_cleanup_close_ int fd = connect_unix(f->sock);
	_cleanup_free_ char *req = NULL;
	struct strbuf in = {0};
	char body[1500];

	/* a 413 does not break the connection for the next request */
	memset(body, 'x', sizeof(body));
	req = str_printf("POST /small HTTP/1.1\r\nHost: husk\r\nContent-Length: %zu\r\n\r\n%.*s",
	                 sizeof(body), (int)sizeof(body), body);
	send_str(fd, req);
	assert_true(read_head(fd, &in) > 0);
	assert_non_null(startswith(in.buf, "HTTP/1.1 413"));
	strbuf_release(&in);
	send_str(fd, "GET /hello HTTP/1.1\r\nHost: husk\r\nConnection: close\r\n\r\n");
	read_to_eof(fd, &in);
	assert_non_null(in.buf);
	assert_non_null(strstr(in.buf, "HTTP/1.1 200"));
	strbuf_release(&in);
}

static void test_husk_error_status(void **state)
{
	static const struct {
		int code, status;
	} cases[] = {
	        {ENOENT, 404}, {EEXIST, 409}, {EBUSY, 409}, {EINVAL, 400}, {EILSEQ, 400},
	        {ERANGE, 400}, {EFBIG, 413},  {EPERM, 500}, {EIO, 500},
	};
	struct fx *f = *state;

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_free_ char *path = str_printf("/error/%d", cases[i].code);

		get_error(f, "GET", path, cases[i].status, "no such thing \"x\"");
	}
}

static void test_handler_without_reply(void **state)
{
	struct fx *f = *state;

	get_error(f, "GET", "/noreply", 500, "GET /noreply: the handler gave no reply");
}

static void test_second_reply_ignored(void **state)
{
	struct fx *f = *state;
	struct reply r = {0};

	http(f, "GET", "/twice", NULL, &r);
	assert_int_equal(r.status, 204);
	assert_int_equal(r.body.len, 0);
	reply_free(&r);
}

/* ---- streamed replies ---- */

static void test_stream_headers_first(void **state)
{
	struct fx *f = *state;
	_cleanup_close_ int fd = connect_unix(f->sock);
	struct strbuf in = {0};
	struct reply r = {0};
	long t0 = now_ms(), t_head, t_end;
	size_t at;

	send_str(fd, "GET /stream HTTP/1.1\r\nHost: husk\r\nConnection: close\r\n\r\n");
	at = read_head(fd, &in);
	t_head = now_ms() - t0;
	/* the producer sleeps 200 ms before its first byte: the headers
	 * (what `docker wait` needs at once) must not wait for it */
	assert_true(at > 0);
	if (t_head > 150)
		fail_msg("headers after %ld ms", t_head);
	assert_int_equal(atomic_get(&f->ctx.producer_exits), 0);
	assert_int_equal(in.len, at); /* no body byte yet */
	read_to_eof(fd, &in);
	t_end = now_ms() - t0;
	parse_reply(&in, at, &r);
	assert_int_equal(r.status, 200);
	assert_header(&r, "Transfer-Encoding", "chunked");
	assert_header(&r, "Content-Type", "text/plain");
	assert_header(&r, "Api-Version", "1.44");
	assert_string_equal(r.body.buf, "chunk 1\nchunk 2\nchunk 3\n");
	assert_true(t_end >= 550);
	assert_true(wait_for(&f->ctx.done_calls, 1, 1000));
	assert_int_equal(atomic_get(&f->ctx.producer_exits), 1);
	reply_free(&r);
}

static void test_stream_silent_headers(void **state)
{
	struct fx *f = *state;
	_cleanup_close_ int fd = connect_unix(f->sock);
	struct strbuf in = {0};
	long t0 = now_ms();

	/* a producer that writes nothing at all still gets its headers out */
	send_str(fd, "GET /stream/silent HTTP/1.1\r\nHost: husk\r\nConnection: close\r\n\r\n");
	assert_true(read_head(fd, &in) > 0);
	assert_true(now_ms() - t0 < 150);
	assert_non_null(startswith(in.buf, "HTTP/1.1 200"));
	strbuf_release(&in);
}

static void test_stream_client_gone(void **state)
{
	struct fx *f = *state;
	int fd = connect_unix(f->sock);
	struct strbuf in = {0};

	send_str(fd, "GET /stream/forever HTTP/1.1\r\nHost: husk\r\n\r\n");
	assert_true(read_head(fd, &in) > 0);
	strbuf_release(&in);
	close(fd);
	/* the producer's write fails with EPIPE, it ends, and the stream is freed */
	assert_true(wait_for(&f->ctx.producer_exits, 1, 2000));
	assert_int_equal(atomic_get(&f->ctx.producer_epipe), 1);
	assert_true(wait_for(&f->ctx.done_calls, 1, 1000));
}

static void test_stream_silent_client_gone(void **state)
{
	struct fx *f = *state;
	int fd = connect_unix(f->sock);
	struct strbuf in = {0};

	send_str(fd, "GET /stream/silent HTTP/1.1\r\nHost: husk\r\n\r\n");
	assert_true(read_head(fd, &in) > 0);
	strbuf_release(&in);
	close(fd);
	/* a producer that waits and writes nothing sees POLLERR on its fd */
	assert_true(wait_for(&f->ctx.producer_exits, 1, 2000));
	assert_int_equal(atomic_get(&f->ctx.producer_gone), 1);
	assert_int_equal(atomic_get(&f->ctx.producer_shutdown), 0);
	assert_true(wait_for(&f->ctx.done_calls, 1, 1000));
}

/* ---- streamed request bodies ---- */

static uint8_t *make_data(size_t len)
{
	uint8_t *d = malloc(len);

	assert_non_null(d);
	for (size_t i = 0; i < len; i++)
		d[i] = (uint8_t)((i * 2654435761u) >> 13);
	return d;
}

static void send_chunk(int fd, const void *data, size_t len)
{
	char head[32];

	snprintf(head, sizeof(head), "%zx\r\n", len);
	send_str(fd, head);
	assert_int_equal(write_all(fd, data, len), 0);
	send_str(fd, "\r\n");
}

static void test_stream_body(void **state)
{
	const size_t len = (5u << 20) + 123;
	_cleanup_free_ uint8_t *data = make_data(len);
	struct fx *f = *state;
	_cleanup_close_ int fd = connect_unix(f->sock);
	_cleanup_json_ json_t *j = NULL;
	struct strbuf in = {0};
	struct reply r = {0};
	struct digest want;
	size_t at;

	digest_buf(data, len, &want);
	send_str(fd, "POST /upload HTTP/1.1\r\nHost: husk\r\nConnection: close\r\n"
	             "Transfer-Encoding: chunked\r\n\r\n");
	for (size_t off = 0; off < len; off += 65536)
		send_chunk(fd, data + off, MIN((size_t)65536, len - off));
	send_str(fd, "0\r\n\r\n");
	at = read_head(fd, &in);
	read_to_eof(fd, &in);
	parse_reply(&in, at, &r);
	assert_int_equal(r.status, 200);
	j = reply_json(&r);
	assert_int_equal(json_integer_value(json_object_get(j, "bytes")), len);
	assert_string_equal(json_string_value(json_object_get(j, "digest")), want.str);
	assert_false(json_is_true(json_object_get(j, "truncated")));
	assert_int_equal(atomic_get(&f->ctx.upload_done), 1);
	assert_true(digest_equal(&f->ctx.upload_digest, &want));
	reply_free(&r);
}

static void test_stream_body_client_gone(void **state)
{
	const size_t len = 1u << 20;
	_cleanup_free_ uint8_t *data = make_data(len);
	struct fx *f = *state;
	int fd = connect_unix(f->sock);

	/* promise 10 MiB, send 1 MiB, leave */
	send_str(fd, "POST /upload HTTP/1.1\r\nHost: husk\r\nContent-Length: 10485760\r\n\r\n");
	assert_int_equal(write_all(fd, data, len), 0);
	close(fd);
	assert_true(wait_for(&f->ctx.upload_done, 1, 3000));
	assert_true(f->ctx.upload_truncated);
	assert_true(f->ctx.upload_bytes <= len);
}

static void test_stream_body_empty(void **state)
{
	struct fx *f = *state;
	struct reply r = {0};
	_cleanup_json_ json_t *j = NULL;
	struct digest empty;

	digest_buf("", 0, &empty);
	http(f, "POST", "/upload", NULL, &r);
	assert_int_equal(r.status, 200);
	j = reply_json(&r);
	assert_int_equal(json_integer_value(json_object_get(j, "bytes")), 0);
	assert_string_equal(json_string_value(json_object_get(j, "digest")), empty.str);
	assert_false(json_is_true(json_object_get(j, "truncated")));
	reply_free(&r);
}

/* ---- hijacked connections ---- */

static const char upgrade_req[] = "POST /attach HTTP/1.1\r\nHost: husk\r\n"
                                  "Connection: Upgrade\r\nUpgrade: tcp\r\n"
                                  "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";

/* Connect, upgrade and check the 101; leftover bytes after the head go to
 * ret_extra. */
static int upgrade(struct fx *f, const char *extra, struct strbuf *ret_extra)
{
	int fd = connect_unix(f->sock);
	_cleanup_free_ char *req = str_printf("%s%s", upgrade_req, extra);
	struct strbuf in = {0};
	struct reply r = {0};
	size_t at;

	send_str(fd, req);
	at = read_head(fd, &in);
	assert_true(at > 0);
	r.head = strndup(in.buf, at);
	assert_non_null(startswith(r.head, "HTTP/1.1 101"));
	assert_header(&r, "Upgrade", "tcp");
	assert_header(&r, "Connection", "Upgrade");
	assert_header(&r, "Content-Type", "application/vnd.docker.raw-stream");
	assert_header(&r, "Api-Version", "1.44");
	if (ret_extra)
		assert_int_equal(strbuf_append(ret_extra, in.buf + at, in.len - at), 0);
	strbuf_release(&in);
	reply_free(&r);
	return fd;
}

static void test_hijack_echo(void **state)
{
	struct fx *f = *state;
	_cleanup_close_ int fd = upgrade(f, "", NULL);
	char buf[64] = {0};

	for (int i = 0; i < 3; i++) {
		send_str(fd, "hello");
		read_exact(fd, buf, 5);
		assert_memory_equal(buf, "hello", 5);
	}
	/* half-close: the echo sees EOF, half-closes too and ends */
	assert_int_equal(shutdown(fd, SHUT_WR), 0);
	assert_int_equal(RETRY_EINTR(read(fd, buf, sizeof(buf))), 0);
	assert_true(wait_for(&f->ctx.hijack_exits, 1, 1000));
	assert_true(wait_for(&f->ctx.hijack_done, 1, 1000));
	assert_int_equal(atomic_get(&f->ctx.hijack_runs), 1);
}

static void test_hijack_pending(void **state)
{
	struct fx *f = *state;
	struct strbuf got = {0};
	_cleanup_close_ int fd = upgrade(f, "early bytes", &got);
	char buf[16];

	/* bytes sent with the request reach fn as `pending` and come back */
	assert_true(got.len <= 11);
	read_exact(fd, buf, 11 - got.len);
	assert_int_equal(strbuf_append(&got, buf, 11 - got.len), 0);
	assert_memory_equal(got.buf, "early bytes", 11);
	assert_int_equal(f->ctx.pending_len, 11);
	strbuf_release(&got);
	assert_int_equal(shutdown(fd, SHUT_WR), 0);
	assert_int_equal(RETRY_EINTR(read(fd, buf, sizeof(buf))), 0);
}

struct bulk {
	int fd;
	const uint8_t *data;
	size_t len;
};

static void *bulk_writer(void *p)
{
	struct bulk *b = p;

	write_all(b->fd, b->data, b->len);
	shutdown(b->fd, SHUT_WR);
	return NULL;
}

static void test_hijack_bulk(void **state)
{
	const size_t len = 4u << 20;
	_cleanup_free_ uint8_t *data = make_data(len), *back = malloc(len);
	struct fx *f = *state;
	_cleanup_close_ int fd = upgrade(f, "", NULL);
	struct bulk b = {fd, data, len};
	pthread_t t;
	char c;

	/* more than any socket buffer, both ways at once */
	assert_int_equal(pthread_create(&t, NULL, bulk_writer, &b), 0);
	read_exact(fd, back, len);
	assert_int_equal(RETRY_EINTR(read(fd, &c, 1)), 0);
	pthread_join(t, NULL);
	assert_memory_equal(back, data, len);
}

static void test_hijack_without_upgrade(void **state)
{
	struct fx *f = *state;

	get_error(f, "POST", "/attach", 400,
	          "this endpoint needs the \"Connection: Upgrade\" and \"Upgrade: tcp\" request "
	          "headers");
	/* the data is handed back at once */
	assert_int_equal(atomic_get(&f->ctx.hijack_done), 1);
	assert_int_equal(atomic_get(&f->ctx.hijack_runs), 0);
}

static void test_hijack_client_gone_early(void **state)
{
	struct fx *f = *state;
	int fd = connect_unix(f->sock);

	/* the client leaves before the 101: fn never runs, done runs once */
	send_str(fd, "POST /attach/slow HTTP/1.1\r\nHost: husk\r\nConnection: Upgrade\r\n"
	             "Upgrade: tcp\r\nContent-Length: 0\r\n\r\n");
	sleep_ms(50);
	close(fd);
	assert_true(wait_for(&f->ctx.hijack_done, 1, 2000));
	sleep_ms(50);
	assert_int_equal(atomic_get(&f->ctx.hijack_done), 1);
	assert_int_equal(atomic_get(&f->ctx.hijack_runs), 0);
}

/* ---- stopping ---- */

static void test_stop_with_active_streams(void **state)
{
	struct fx *f = *state;
	_cleanup_close_ int s = connect_unix(f->sock), idle = connect_unix(f->sock);
	_cleanup_close_ int h = upgrade(f, "", NULL);
	struct strbuf in = {0};
	long t0;
	char c;

	send_str(s, "GET /stream/silent HTTP/1.1\r\nHost: husk\r\n\r\n");
	assert_true(read_head(s, &in) > 0);
	strbuf_release(&in);
	send_str(h, "x");
	read_exact(h, &c, 1);
	t0 = now_ms();
	api_server_stop(f->srv);
	if (now_ms() - t0 > 1000)
		fail_msg("stop took %ld ms", now_ms() - t0);
	assert_int_equal(atomic_get(&f->ctx.producer_shutdown), 1);
	assert_int_equal(atomic_get(&f->ctx.producer_exits), 1);
	assert_int_equal(atomic_get(&f->ctx.done_calls), 1);
	assert_int_equal(atomic_get(&f->ctx.hijack_exits), 1);
	assert_int_equal(atomic_get(&f->ctx.hijack_done), 1);
	/* every connection was closed, the socket file removed */
	assert_int_equal(RETRY_EINTR(read(h, &c, 1)), 0);
	assert_true(RETRY_EINTR(read(idle, &c, 1)) <= 0);
	assert_int_equal(access(f->sock, F_OK), -1);
}

static void test_listen_twice(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct api_server_config cfg = {routes, NULL, NULL};
	struct fx *f = *state;
	struct api_server *other = api_server_new(&cfg, &err);
	struct stat st;

	/* a live socket is refused and left alone */
	assert_non_null(other);
	assert_int_equal(api_server_listen_unix(other, f->sock, 0600, -1, &err), -EADDRINUSE);
	assert_int_equal(error_code(err), EADDRINUSE);
	api_server_free(other);
	assert_int_equal(stat(f->sock, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_true(S_ISSOCK(st.st_mode));
}

static void test_stale_socket_replaced(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct api_server_config cfg = {routes, NULL, NULL};
	struct fx *f = *state;
	_cleanup_free_ char *path = str_printf("%s/stale.sock", f->dir);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct api_server *other = api_server_new(&cfg, &err);

	/* bound, never listened on: nobody answers there */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(api_server_listen_unix(other, path, 0660, -1, &err), 0);
	assert_int_equal(api_server_start(other, &err), 0);
	api_server_free(other);
	assert_int_equal(access(path, F_OK), -1);
}

/* ---- the client ---- */

static struct api_client *client(struct fx *f)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct api_client *c = api_client_new(f->host, &err);

	if (!c)
		fail_msg("api_client_new: %s", error_message(err));
	return c;
}

static void test_client_json(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct fx *f = *state;
	_cleanup_(api_client_freep) struct api_client *c = client(f);
	_cleanup_json_ json_t *j = NULL, *e = NULL, *body = json_pack("{s:s}", "Image", "x");
	long status = 0;

	assert_string_equal(api_client_host(c), f->host);
	assert_int_equal(api_client_ping(c, &err), 0);
	assert_int_equal(api_client_version(c), 144);
	assert_int_equal(
	        api_client_call(c, "GET", "/containers/c%201/json?q=v", NULL, &status, &j, &err),
	        0);
	assert_int_equal(status, 200);
	/* MHD decodes the path before routing, as Docker's router does */
	assert_string_equal(json_string_value(json_object_get(j, "id")), "c 1");
	assert_string_equal(json_string_value(json_object_get(j, "q")), "v");
	assert_int_equal(json_integer_value(json_object_get(j, "version")), 144);
	assert_int_equal(api_client_call(c, "POST", "/echo", body, &status, &e, &err), 0);
	assert_int_equal(status, 201);
	assert_true(json_equal(e, body));
}

static void test_client_no_body(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct fx *f = *state;
	_cleanup_(api_client_freep) struct api_client *c = client(f);
	json_t *j = json_null(); /* a sentinel: the call sets it to NULL */
	long status = 0;

	assert_int_equal(
	        api_client_call(c, "POST", "/containers/c1/start", NULL, &status, &j, &err), 0);
	assert_int_equal(status, 204);
	assert_null(j);
	assert_int_equal(api_client_call(c, "HEAD", "/hello", NULL, &status, NULL, &err), 0);
	assert_int_equal(status, 200);
}

static void assert_client_error(struct api_client *c, const char *method, const char *path,
                                int code, long status, const char *msg)
{
	_cleanup_error_ struct husk_error *err = NULL;
	json_t *j = NULL;
	long st = 0;

	assert_int_equal(api_client_call(c, method, path, NULL, &st, &j, &err), -code);
	assert_int_equal(st, status);
	assert_null(j);
	assert_int_equal(error_code(err), code);
	assert_string_equal(error_message(err), msg);
}

static void test_client_errors(void **state)
{
	struct fx *f = *state;
	_cleanup_(api_client_freep) struct api_client *c = client(f);
	const char *msg = "Error response from daemon: no such thing \"x\"";

	assert_client_error(c, "GET", "/error/2", ENOENT, 404, msg);
	assert_client_error(c, "GET", "/error/17", EEXIST, 409, msg);
	assert_client_error(c, "GET", "/error/22", EINVAL, 400, msg);
	assert_client_error(c, "GET", "/error/27", EFBIG, 413, msg);
	assert_client_error(c, "GET", "/error/5", EIO, 500, msg);
	assert_client_error(c, "GET", "/nope", ENOENT, 404,
	                    "Error response from daemon: page not found");
	assert_client_error(c, "DELETE", "/hello", EIO, 405,
	                    "Error response from daemon: method DELETE not allowed for /hello");
}

static void test_client_body_cap(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct fx *f = *state;
	_cleanup_(api_client_freep) struct api_client *c = client(f);
	char big[1500];
	_cleanup_json_ json_t *body = NULL;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	body = json_pack("{s:s}", "x", big);
	assert_int_equal(api_client_call(c, "POST", "/small", body, NULL, NULL, &err), -EFBIG);
	assert_string_equal(error_message(err),
	                    "Error response from daemon: request body larger than 1024 bytes");
}

static void test_client_no_daemon(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL, *err2 = NULL;
	struct fx *f = *state;
	_cleanup_free_ char *missing = str_printf("unix://%s/missing.sock", f->dir);
	_cleanup_free_ char *dead = str_printf("%s/dead.sock", f->dir);
	_cleanup_free_ char *dead_host = str_printf("unix://%s", dead);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	_cleanup_(api_client_freep) struct api_client *a = api_client_new(missing, NULL);
	_cleanup_(api_client_freep) struct api_client *b = api_client_new(dead_host, NULL);

	assert_int_equal(api_client_ping(a, &err), -ENOENT);
	assert_non_null(strstr(error_message(err), "cannot connect to the husk daemon at unix://"));
	/* a socket file nobody listens on */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", dead);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(api_client_ping(b, &err2), -ECONNREFUSED);
	unlink(dead);
}

static void test_client_bad_hosts(void **state)
{
	_cleanup_error_ struct husk_error *e1 = NULL, *e2 = NULL, *e3 = NULL, *e4 = NULL;
	char long_host[200];

	snprintf(long_host, sizeof(long_host), "unix:///%0150d", 0);
	assert_null(api_client_new("tcp://127.0.0.1:2375", &e1));
	assert_int_equal(error_code(e1), ENOTSUP);
	assert_null(api_client_new("/run/husk.sock", &e2));
	assert_int_equal(error_code(e2), EINVAL);
	assert_null(api_client_new("unix://run/husk.sock", &e3));
	assert_int_equal(error_code(e3), EINVAL);
	assert_null(api_client_new(long_host, &e4));
	assert_int_equal(error_code(e4), ENAMETOOLONG);
}

static void test_client_escape(void **state)
{
	_cleanup_free_ char *a = api_client_escape("a b/c:d&e=f");
	_cleanup_free_ char *b = api_client_escape("");

	assert_string_equal(a, "a%20b%2Fc%3Ad%26e%3Df");
	assert_string_equal(b, "");
}

/* A fake daemon that answers every request with a fixed Api-Version and
 * records the request lines, to see the client negotiate. */
struct fake {
	int lfd;
	const char *api_version;
	char lines[2][128];
	int n;
};

static void *fake_thread(void *p)
{
	struct fake *fk = p;

	for (; fk->n < 2; fk->n++) {
		_cleanup_close_ int fd = accept4(fk->lfd, NULL, NULL, SOCK_CLOEXEC);
		_cleanup_free_ char *reply = NULL;
		struct strbuf in = {0};

		if (fd < 0 || read_head(fd, &in) == 0)
			break;
		snprintf(fk->lines[fk->n], sizeof(fk->lines[0]), "%.*s", (int)strcspn(in.buf, "\r"),
		         in.buf);
		strbuf_release(&in);
		reply = str_printf(
		        "HTTP/1.1 200 OK\r\nApi-Version: %s\r\nConnection: close\r\n"
		        "Content-Type: application/json\r\nContent-Length: 3\r\n\r\n{}\n",
		        fk->api_version);
		write_all(fd, reply, strlen(reply));
	}
	return NULL;
}

/* ping then GET /x against a daemon that says api_version; the request
 * line of the GET. */
static void negotiate(struct fx *f, const char *api_version, unsigned want, const char *want_line)
{
	_cleanup_free_ char *path = str_printf("%s/fake.sock", f->dir);
	_cleanup_free_ char *host = str_printf("unix://%s", path);
	struct fake fk = {.api_version = api_version};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {IO_TIMEOUT_S, 0};
	_cleanup_(api_client_freep) struct api_client *c = api_client_new(host, NULL);
	pthread_t t;

	fk.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(fk.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fk.lfd, 4), 0);
	setsockopt(fk.lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(pthread_create(&t, NULL, fake_thread, &fk), 0);
	assert_int_equal(api_client_ping(c, NULL), 0);
	assert_int_equal(api_client_version(c), want);
	assert_int_equal(api_client_call(c, "GET", "/x", NULL, NULL, NULL, NULL), 0);
	pthread_join(t, NULL);
	close(fk.lfd);
	unlink(path);
	assert_int_equal(fk.n, 2);
	assert_string_equal(fk.lines[0], "HEAD /_ping HTTP/1.1"); /* as docker */
	assert_string_equal(fk.lines[1], want_line);
}

static void test_client_negotiation(void **state)
{
	struct fx *f = *state;

	negotiate(f, "1.40", 140, "GET /v1.40/x HTTP/1.1");
	/* never up, and nonsense is ignored */
	negotiate(f, "1.43", 143, "GET /v1.43/x HTTP/1.1");
	negotiate(f, "1.45", 144, "GET /v1.44/x HTTP/1.1");
	negotiate(f, "banana", 144, "GET /v1.44/x HTTP/1.1");
}

#define FX_TEST(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	        FX_TEST(test_json_reply),
	        FX_TEST(test_keep_alive),
	        FX_TEST(test_status_only),
	        FX_TEST(test_version_prefix),
	        FX_TEST(test_version_limits),
	        FX_TEST(test_not_found),
	        FX_TEST(test_method_not_allowed),
	        FX_TEST(test_head),
	        FX_TEST(test_head_route),
	        FX_TEST(test_params_and_query),
	        FX_TEST(test_query_bool),
	        FX_TEST(test_query_filters),
	        FX_TEST(test_headers),
	        FX_TEST(test_body_json),
	        FX_TEST(test_body_json_bad),
	        FX_TEST(test_body_cap),
	        FX_TEST(test_body_cap_keep_alive),
	        FX_TEST(test_husk_error_status),
	        FX_TEST(test_handler_without_reply),
	        FX_TEST(test_second_reply_ignored),
	        FX_TEST(test_stream_headers_first),
	        FX_TEST(test_stream_silent_headers),
	        FX_TEST(test_stream_client_gone),
	        FX_TEST(test_stream_silent_client_gone),
	        FX_TEST(test_stream_body),
	        FX_TEST(test_stream_body_client_gone),
	        FX_TEST(test_stream_body_empty),
	        FX_TEST(test_hijack_echo),
	        FX_TEST(test_hijack_pending),
	        FX_TEST(test_hijack_bulk),
	        FX_TEST(test_hijack_without_upgrade),
	        FX_TEST(test_hijack_client_gone_early),
	        FX_TEST(test_stop_with_active_streams),
	        FX_TEST(test_listen_twice),
	        FX_TEST(test_stale_socket_replaced),
	        FX_TEST(test_client_json),
	        FX_TEST(test_client_no_body),
	        FX_TEST(test_client_errors),
	        FX_TEST(test_client_body_cap),
	        FX_TEST(test_client_no_daemon),
	        cmocka_unit_test(test_client_bad_hosts),
	        cmocka_unit_test(test_client_escape),
	        FX_TEST(test_client_negotiation),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
