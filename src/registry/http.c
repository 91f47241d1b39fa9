/* http.c — the registry client's HTTP transport over libcurl.
 *
 * One reg_client per operation: a curl share handle (DNS cache and TLS
 * sessions shared across the operation's threads) and a pool of idle easy
 * handles, each used by one thread at a time, that keep their connections
 * between requests (libcurl does not support sharing a connection cache
 * between concurrent threads). Redirects are followed here, not by curl, so
 * that an Authorization header never goes to another origin; GET and HEAD
 * are retried with backoff on 5xx, 429 and broken connections; an error
 * answer's body is kept (capped) for its message. curl's verbose output is
 * never on: it would print credentials.
 */
#include "registry/internal.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "base/json.h"
#include "base/str.h"
#include "husk-config.h"

#define EASY_POOL_MAX 16

struct easy_pool {
	CURL *h[EASY_POOL_MAX];
	size_t n;
};

/* The pool lives next to the client; its mutex is the client's lock. */
struct reg_client_priv {
	struct reg_client c;
	struct easy_pool pool;
};

/* ---- the client ---- */

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *p)
{
	struct reg_client *c = p;

	pthread_mutex_lock(&c->share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *p)
{
	struct reg_client *c = p;

	pthread_mutex_unlock(&c->share_locks[data]);
}

int reg_client_new(const struct registry_options *o, registry_progress_fn progress, void *data,
                   struct reg_client **ret, struct husk_error **err)
{
	struct reg_client_priv *p;
	struct reg_client *c;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return error_set(err, EIO, "cannot initialise libcurl");
	p = calloc(1, sizeof(*p));
	if (!p) {
		curl_global_cleanup();
		return error_set(err, ENOMEM, "out of memory");
	}
	c = &p->c;
	c->o = o;
	c->progress = progress;
	c->progress_data = data;
	for (size_t i = 0; i < ELEMENTSOF(c->share_locks); i++)
		pthread_mutex_init(&c->share_locks[i], NULL);
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->progress_lock, NULL);
	c->user_agent = o && o->user_agent ? strdup(o->user_agent) : strdup("husk/" HUSK_VERSION);
	c->share = curl_share_init();
	if (!c->user_agent || !c->share) {
		reg_client_free(c);
		return error_set(err, ENOMEM, "out of memory");
	}
	curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(c->share, CURLSHOPT_USERDATA, c);
	curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	*ret = c;
	return 0;
}

void reg_client_free(struct reg_client *c)
{
	struct reg_client_priv *p = (struct reg_client_priv *)c;

	if (!c)
		return;
	for (size_t i = 0; i < p->pool.n; i++)
		curl_easy_cleanup(p->pool.h[i]);
	if (c->share)
		curl_share_cleanup(c->share);
	for (size_t i = 0; i < c->n_tokens; i++) {
		free(c->tokens[i].key);
		free(c->tokens[i].token);
	}
	free(c->user_agent);
	for (size_t i = 0; i < ELEMENTSOF(c->share_locks); i++)
		pthread_mutex_destroy(&c->share_locks[i]);
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->progress_lock);
	free(p);
	curl_global_cleanup();
}

static CURL *easy_get(struct reg_client *c)
{
	struct reg_client_priv *p = (struct reg_client_priv *)c;
	CURL *h = NULL;

	pthread_mutex_lock(&c->lock);
	if (p->pool.n)
		h = p->pool.h[--p->pool.n];
	pthread_mutex_unlock(&c->lock);
	return h ? h : curl_easy_init();
}

static void easy_put(struct reg_client *c, CURL *h)
{
	struct reg_client_priv *p = (struct reg_client_priv *)c;

	curl_easy_reset(h); /* keeps its connections */
	pthread_mutex_lock(&c->lock);
	if (p->pool.n < EASY_POOL_MAX) {
		p->pool.h[p->pool.n++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&c->lock);
	if (h)
		curl_easy_cleanup(h);
}

void reg_emit(struct reg_client *c, const char *id, const char *status, uint64_t current,
              uint64_t total)
{
	struct registry_event ev = {.id = id, .status = status, .current = current, .total = total};

	if (!c->progress)
		return;
	pthread_mutex_lock(&c->progress_lock);
	c->progress(&ev, c->progress_data);
	pthread_mutex_unlock(&c->progress_lock);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

bool reg_throttle_pass(struct reg_throttle *t, bool final)
{
	int64_t now = now_ns();

	if (!final && t->last_ns && now - t->last_ns < REG_PROGRESS_NS)
		return false;
	t->last_ns = now;
	return true;
}

void reg_response_release(struct reg_response *rs)
{
	free(rs->url);
	free(rs->content_type);
	free(rs->docker_digest);
	free(rs->location);
	free(rs->content_range);
	free(rs->link);
	free(rs->chunk_min);
	free(rs->retry_after);
	strv_free(rs->www_authenticate);
	free(rs->body);
	*rs = (struct reg_response){.content_length = -1};
}

/* ---- URLs ---- */

static CURLU *url_parse(const char *url)
{
	CURLU *u = curl_url();
	_cleanup_free_ char *scheme = NULL;

	if (!u)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (!streq(scheme, "http") && !streq(scheme, "https"))) {
		curl_free(TAKE_PTR(scheme));
		curl_url_cleanup(u);
		return NULL;
	}
	curl_free(TAKE_PTR(scheme));
	return u;
}

/* A curl-allocated part as a malloc'd string (NULL when absent). */
static char *url_part(CURLU *u, CURLUPart what, unsigned flags)
{
	char *v = NULL, *copy;

	if (curl_url_get(u, what, &v, flags) != CURLUE_OK)
		return NULL;
	copy = strdup(v);
	curl_free(v);
	return copy;
}

static void lower(char *s)
{
	for (; s && *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s += 'a' - 'A';
}

char *reg_url_origin(const char *url)
{
	CURLU *u = url_parse(url);
	_cleanup_free_ char *scheme = NULL, *host = NULL, *port = NULL;
	char *ret = NULL;

	if (!u)
		return NULL;
	scheme = url_part(u, CURLUPART_SCHEME, 0);
	host = url_part(u, CURLUPART_HOST, 0);
	port = url_part(u, CURLUPART_PORT, 0);
	curl_url_cleanup(u);
	if (!scheme || !host)
		return NULL;
	lower(scheme);
	lower(host);
	if (port && ((streq(scheme, "https") && streq(port, "443")) ||
	             (streq(scheme, "http") && streq(port, "80"))))
		port = (free(port), NULL);
	ret = port ? str_printf("%s://%s:%s", scheme, host, port)
	           : str_printf("%s://%s", scheme, host);
	return ret;
}

bool reg_same_origin(const char *from_url, const char *to_url)
{
	_cleanup_free_ char *a = reg_url_origin(from_url), *b = reg_url_origin(to_url);

	return a && b && streq(a, b);
}

char *reg_url_redact(const char *url)
{
	CURLU *u = url_parse(url);
	char *ret;

	if (!u)
		return strdup("(invalid URL)");
	curl_url_set(u, CURLUPART_USER, NULL, 0);
	curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
	curl_url_set(u, CURLUPART_OPTIONS, NULL, 0);
	curl_url_set(u, CURLUPART_QUERY, NULL, 0);
	curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
	ret = url_part(u, CURLUPART_URL, 0);
	curl_url_cleanup(u);
	return ret;
}

char *reg_url_resolve(const char *base, const char *ref)
{
	CURLU *u = url_parse(base);
	char *ret = NULL;

	if (!u)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, ref, 0) == CURLUE_OK)
		ret = url_part(u, CURLUPART_URL, 0);
	curl_url_cleanup(u);
	/* only http(s) may come out: a Location of "file:///x" is refused */
	if (ret && !startswith(ret, "http://") && !startswith(ret, "https://"))
		ret = (free(ret), NULL);
	return ret;
}

char *reg_url_host(const char *url)
{
	CURLU *u = url_parse(url);
	_cleanup_free_ char *host = NULL, *port = NULL;

	if (!u)
		return NULL;
	host = url_part(u, CURLUPART_HOST, 0);
	port = url_part(u, CURLUPART_PORT, 0);
	curl_url_cleanup(u);
	if (!host)
		return NULL;
	lower(host);
	return port ? str_printf("%s:%s", host, port) : TAKE_PTR(host);
}

char *reg_url_add_query(const char *url, const char *name, const char *value)
{
	CURLU *u = url_parse(url);
	_cleanup_free_ char *q = str_printf("%s=%s", name, value);
	char *ret = NULL;

	if (u && q &&
	    curl_url_set(u, CURLUPART_QUERY, q, CURLU_APPENDQUERY | CURLU_URLENCODE) == CURLUE_OK)
		ret = url_part(u, CURLUPART_URL, 0);
	curl_url_cleanup(u);
	return ret;
}

const char *reg_method_word(const char *method)
{
	static const char *const words[][2] = {
	        {"GET", "Get"}, {"HEAD", "Head"},   {"POST", "Post"},
	        {"PUT", "Put"}, {"PATCH", "Patch"}, {"DELETE", "Delete"},
	};

	for (size_t i = 0; i < ELEMENTSOF(words); i++)
		if (streq(method, words[i][0]))
			return words[i][1];
	return method;
}

/* ---- statuses and error bodies ---- */

const char *reg_status_text(long status)
{
	static const struct {
		long code;
		const char *text;
	} table[] = {
	        {200, "OK"},
	        {201, "Created"},
	        {202, "Accepted"},
	        {204, "No Content"},
	        {206, "Partial Content"},
	        {301, "Moved Permanently"},
	        {302, "Found"},
	        {303, "See Other"},
	        {307, "Temporary Redirect"},
	        {308, "Permanent Redirect"},
	        {400, "Bad Request"},
	        {401, "Unauthorized"},
	        {403, "Forbidden"},
	        {404, "Not Found"},
	        {405, "Method Not Allowed"},
	        {409, "Conflict"},
	        {413, "Request Entity Too Large"},
	        {415, "Unsupported Media Type"},
	        {416, "Requested Range Not Satisfiable"},
	        {429, "Too Many Requests"},
	        {500, "Internal Server Error"},
	        {501, "Not Implemented"},
	        {502, "Bad Gateway"},
	        {503, "Service Unavailable"},
	        {504, "Gateway Timeout"},
	};

	for (size_t i = 0; i < ELEMENTSOF(table); i++)
		if (table[i].code == status)
			return table[i].text;
	return "";
}

int reg_status_errno(long status)
{
	if (status == 404)
		return ENOENT;
	if (status == 401 || status == 403)
		return EACCES;
	if (status == 429)
		return EAGAIN;
	if (status == 413)
		return EFBIG;
	if (status >= 500)
		return EIO;
	if (status >= 400)
		return EINVAL;
	return EPROTO;
}

/* "MANIFEST_UNKNOWN" → "manifest unknown", as errcode.ErrorCode.Error(). */
static char *code_words(const char *code)
{
	char *s = strdup(isempty(code) ? "unknown" : code);

	for (char *p = s; p && *p; p++)
		*p = *p == '_' ? ' ' : (*p >= 'A' && *p <= 'Z') ? *p + ('a' - 'A') : *p;
	return s;
}

static int errors_message(json_t *errors, struct strbuf *sb)
{
	size_t n = json_array_size(errors), i;
	json_t *e;

	if (n > 1 && strbuf_puts(sb, "errors:\n") < 0)
		return -ENOMEM;
	json_array_foreach (errors, i, e) {
		_cleanup_free_ char *words =
		        code_words(json_string_value(json_object_get(e, "code")));
		const char *msg = json_string_value(json_object_get(e, "message"));

		if (!words)
			return -ENOMEM;
		if (strbuf_printf(sb, "%s: %s%s", words, msg ? msg : words, n > 1 ? "\n" : "") < 0)
			return -ENOMEM;
	}
	return 0;
}

/* The RFC 6750 error of a bearer challenge, as distribution reports it. */
static char *challenge_message(char *const *challenges)
{
	STRV_FOREACH (h, challenges) {
		struct reg_challenge *v = NULL;
		size_t n = 0;
		char *msg = NULL;

		if (reg_challenges_parse(*h, &v, &n) < 0)
			continue;
		for (size_t i = 0; i < n && !msg; i++) {
			const char *what = streq(v[i].error, "invalid_token") ? "unauthorized"
			                   : streq(v[i].error, "insufficient_scope") ? "denied"
			                                                             : NULL;
			const char *desc = v[i].error_description;

			if (streq(v[i].scheme, "bearer") && what)
				msg = str_printf(
				        "%s: %s", what,
				        !isempty(desc) ? desc
				        : streq(what, "denied")
				                ? "requested access to the resource is denied"
				                : "authentication required");
		}
		reg_challenges_free(v, n);
		if (msg)
			return msg;
	}
	return NULL;
}

char *reg_error_message(long status, const char *body, size_t len, char *const *challenges)
{
	_cleanup_json_ json_t *j = NULL;
	struct strbuf sb = {0};
	const char *details;
	json_t *errors;
	char *msg;

	if (status >= 400 && status < 500 && (msg = challenge_message(challenges)))
		return msg;
	if (body && len)
		j = json_loadb(body, len, JSON_DECODE_ANY, NULL);
	details = json_string_value(json_object_get(j, "details"));
	if (!isempty(details))
		return str_printf("%s: %s",
		                  status == 401   ? "unauthorized"
		                  : status == 429 ? "toomanyrequests"
		                                  : "unknown",
		                  details);
	errors = json_object_get(j, "errors");
	if (json_array_size(errors) > 0) {
		if (errors_message(errors, &sb) < 0) {
			strbuf_release(&sb);
			return NULL;
		}
		if (sb.len && sb.buf[sb.len - 1] == '\n' && json_array_size(errors) == 1)
			sb.buf[--sb.len] = 0;
		return strbuf_steal(&sb);
	}
	if (status == 401)
		return strdup("unauthorized: authentication required");
	return str_printf("received unexpected HTTP status: %ld %s", status,
	                  reg_status_text(status));
}

int reg_status_error(const struct reg_response *rs, struct husk_error **err, const char *fmt, ...)
{
	_cleanup_free_ char *msg =
	        reg_error_message(rs->status, rs->body, rs->body_len, rs->www_authenticate);
	_cleanup_free_ char *prefix = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&prefix, fmt, ap);
	va_end(ap);
	if (r < 0 || !msg)
		return error_set(err, ENOMEM, "out of memory");
	return error_set(err, reg_status_errno(rs->status), "%s%s%s", prefix, *prefix ? ": " : "",
	                 msg);
}

/* Decimal digits at p into *ret; the end, or NULL when none or too many. */
static const char *parse_u64(const char *p, uint64_t *ret)
{
	uint64_t v = 0;
	const char *start = p;

	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return NULL;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p == start)
		return NULL;
	*ret = v;
	return p;
}

int reg_content_range_parse(const char *v, uint64_t *ret_start, uint64_t *ret_end,
                            int64_t *ret_total)
{
	const char *p = v ? startswith(v, "bytes ") : NULL;
	uint64_t start, end, total;
	int64_t t = -1;

	if (!p || !(p = parse_u64(p, &start)) || *p++ != '-' || !(p = parse_u64(p, &end)) ||
	    *p++ != '/' || end < start)
		return -EINVAL;
	if (!streq(p, "*")) {
		p = parse_u64(p, &total);
		if (!p || *p || total <= end || total > INT64_MAX)
			return -EINVAL;
		t = (int64_t)total;
	}
	*ret_start = start;
	*ret_end = end;
	*ret_total = t;
	return 0;
}

enum reg_resume reg_resume_decide(long status, const char *content_range, uint64_t have)
{
	uint64_t start, end;
	int64_t total;

	if (status == 200)
		return have ? REG_RESUME_RESTART : REG_RESUME_CONTINUE;
	if (status != 206 || !content_range ||
	    reg_content_range_parse(content_range, &start, &end, &total) < 0)
		return REG_RESUME_INVALID;
	return start == have ? REG_RESUME_CONTINUE : REG_RESUME_INVALID;
}

/* ---- one exchange ---- */

struct xfer {
	const struct reg_request *rq;
	struct reg_response *rs;
	CURL *h;
	uint64_t sent;
	size_t body_len;
	struct strbuf buf;
	bool began;
	bool too_big;
	int sink_r;     /* a sink's failure */
	bool bad_range; /* a 206 for other bytes than asked */
};

static const char *header_value(CURL *h, const char *name)
{
	struct curl_header *hd = NULL;

	if (curl_easy_header(h, name, 0, CURLH_HEADER, -1, &hd) != CURLHE_OK)
		return NULL;
	return hd->value;
}

static int sink_begin(struct xfer *x, long status)
{
	const struct reg_sink *sink = x->rq->sink;
	uint64_t start = 0, end;
	int64_t total;

	x->began = true;
	if (x->rq->range_start) {
		const char *cr = header_value(x->h, "Content-Range");

		switch (reg_resume_decide(status, cr, x->rq->range_start)) {
		case REG_RESUME_INVALID:
			x->bad_range = true;
			return -EPROTO;
		case REG_RESUME_CONTINUE:
			if (status == 206 && reg_content_range_parse(cr, &start, &end, &total) < 0)
				return -EPROTO;
			break;
		case REG_RESUME_RESTART:
			start = 0;
			break;
		}
	}
	return sink->begin ? sink->begin(status, start, sink->data) : 0;
}

static bool is_success(long status)
{
	return status >= 200 && status < 300;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *data)
{
	struct xfer *x = data;
	size_t len = size * nmemb, cap;
	long status = 0;

	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
	if (x->rq->sink && is_success(status)) {
		if (!x->began && (x->sink_r = sink_begin(x, status)) < 0)
			return 0;
		if ((x->sink_r = x->rq->sink->write(p, len, x->rq->sink->data)) < 0)
			return 0;
		x->rs->delivered += len;
		return len;
	}
	cap = is_success(status) && x->rq->max_body ? x->rq->max_body : REG_ERROR_BODY_MAX;
	if (x->buf.len + len > cap) {
		if (is_success(status)) {
			x->too_big = true;
			return 0;
		}
		x->rs->truncated = true;
		len = cap - x->buf.len; /* keep the start of an error body */
		if (len && strbuf_append(&x->buf, p, len) < 0)
			return 0;
		return size * nmemb;
	}
	if (len && strbuf_append(&x->buf, p, len) < 0)
		return 0;
	return len;
}

static size_t on_read(char *p, size_t size, size_t nmemb, void *data)
{
	struct xfer *x = data;
	size_t want = MIN(size * nmemb, x->body_len - x->sent);
	ssize_t n;

	if (!want)
		return 0;
	if (x->rq->body)
		memcpy(p, (const char *)x->rq->body + x->sent, want);
	else {
		n = RETRY_EINTR(pread(x->rq->body_fd, p, want, (off_t)(x->rq->body_off + x->sent)));
		if (n <= 0)
			return CURL_READFUNC_ABORT; /* the file shrank or broke */
		want = (size_t)n;
	}
	x->sent += want;
	return want;
}

static int on_seek(void *data, curl_off_t offset, int origin)
{
	struct xfer *x = data;

	if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > x->body_len)
		return CURL_SEEKFUNC_FAIL;
	x->sent = (uint64_t)offset;
	return CURL_SEEKFUNC_OK;
}

static int on_xfer(void *data, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                   curl_off_t ulnow)
{
	struct xfer *x = data;

	if (x->rq->xfer)
		x->rq->xfer((uint64_t)ulnow, (uint64_t)dlnow, x->rq->xfer_data);
	return 0;
}

static char *header_dup(CURL *h, const char *name)
{
	const char *v = header_value(h, name);

	return v ? strdup(v) : NULL;
}

static void collect_headers(CURL *h, const char *url, struct reg_response *rs)
{
	struct curl_header *hd = NULL;
	curl_off_t len = -1;
	const char *loc;

	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rs->status);
	if (curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len) == CURLE_OK)
		rs->content_length = len;
	rs->content_type = header_dup(h, "Content-Type");
	rs->docker_digest = header_dup(h, "Docker-Content-Digest");
	rs->content_range = header_dup(h, "Content-Range");
	rs->link = header_dup(h, "Link");
	rs->chunk_min = header_dup(h, "OCI-Chunk-Min-Length");
	rs->retry_after = header_dup(h, "Retry-After");
	loc = header_value(h, "Location");
	if (loc)
		rs->location = reg_url_resolve(url, loc);
	rs->www_authenticate = strv_new();
	for (size_t i = 0; rs->www_authenticate && i < REG_MAX_CHALLENGES; i++) {
		if (curl_easy_header(h, "WWW-Authenticate", i, CURLH_HEADER, -1, &hd) != CURLHE_OK)
			break;
		if (strv_push(&rs->www_authenticate, hd->value) < 0)
			break;
		if (i + 1 >= hd->amount)
			break;
	}
}

static int curl_errno(CURLcode code)
{
	switch (code) {
	case CURLE_COULDNT_CONNECT:
		return ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return EHOSTUNREACH;
	case CURLE_OPERATION_TIMEDOUT:
		return ETIMEDOUT;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return ECONNRESET;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
		return EPROTO;
	case CURLE_OUT_OF_MEMORY:
		return ENOMEM;
	default:
		return EIO;
	}
}

static bool curl_retryable(CURLcode code)
{
	switch (code) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

static struct curl_slist *request_headers(const struct reg_request *rq, const char *authz)
{
	struct curl_slist *l = NULL, *n;
	_cleanup_free_ char *accept = rq->accept ? str_printf("Accept: %s", rq->accept) : NULL;
	_cleanup_free_ char *ctype =
	        rq->content_type ? str_printf("Content-Type: %s", rq->content_type) : NULL;
	_cleanup_free_ char *crange =
	        rq->content_range ? str_printf("Content-Range: %s", rq->content_range) : NULL;
	_cleanup_free_ char *range =
	        rq->range_start ? str_printf("Range: bytes=%" PRIu64 "-", rq->range_start) : NULL;
	_cleanup_free_ char *auth = authz ? str_printf("Authorization: %s", authz) : NULL;
	const char *all[] = {"Expect:", accept, ctype, crange, range, auth};

	for (size_t i = 0; i < ELEMENTSOF(all); i++) {
		if (!all[i])
			continue;
		n = curl_slist_append(l, all[i]);
		if (!n) {
			curl_slist_free_all(l);
			return NULL;
		}
		l = n;
	}
	return l;
}

static void setup_tls(CURL *h, const struct reg_tls *tls)
{
	if (!tls)
		return;
	if (tls->skip_verify) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (tls->ca_pem) {
		struct curl_blob blob = {
		        .data = tls->ca_pem, .len = tls->ca_pem_len, .flags = CURL_BLOB_COPY};
		curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (tls->cert) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, tls->cert);
		curl_easy_setopt(h, CURLOPT_SSLKEY, tls->key);
	}
}

static void setup_method(CURL *h, struct xfer *x, const char *method, bool with_body)
{
	if (streq(method, "HEAD")) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
		return;
	}
	if (streq(method, "GET")) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
		return;
	}
	x->body_len = with_body && (x->rq->body || x->rq->fd_body) ? x->rq->body_len : 0;
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)x->body_len);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(h, CURLOPT_READDATA, x);
	curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
	curl_easy_setopt(h, CURLOPT_SEEKDATA, x);
}

static int exchange_error(struct xfer *x, CURLcode code, const char *method, const char *url,
                          const char *errbuf, struct husk_error **err)
{
	_cleanup_free_ char *shown = reg_url_redact(url);
	const char *word = reg_method_word(method);

	if (x->sink_r < 0 && !x->bad_range)
		return x->sink_r; /* the sink's owner has the message */
	if (x->bad_range)
		return error_set(err, EPROTO,
		                 "%s \"%s\": the answer to a range request starts elsewhere", word,
		                 shown);
	if (x->too_big)
		return error_set(err, EFBIG, "%s \"%s\": the answer is larger than %zu bytes", word,
		                 shown, x->rq->max_body ? x->rq->max_body : REG_ERROR_BODY_MAX);
	x->rs->transport = true;
	x->rs->retryable = curl_retryable(code);
	return error_set(err, curl_errno(code), "%s \"%s\": %s", word, shown,
	                 errbuf[0] ? errbuf : curl_easy_strerror(code));
}

/* One request, one answer: no redirects, no retries. */
static int exchange(struct reg_client *c, const struct reg_tls *tls, const struct reg_request *rq,
                    const char *method, const char *url, const char *authz, bool with_body,
                    struct reg_response *rs, struct husk_error **err)
{
	struct xfer x = {.rq = rq, .rs = rs};
	struct curl_slist *headers = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode code;
	int r = 0;

	reg_response_release(rs);
	x.h = easy_get(c);
	headers = x.h ? request_headers(rq, authz) : NULL;
	if (!x.h || !headers) {
		if (x.h)
			easy_put(c, x.h);
		return error_set(err, ENOMEM, "out of memory");
	}
	curl_easy_setopt(x.h, CURLOPT_URL, url);
	curl_easy_setopt(x.h, CURLOPT_SHARE, c->share);
	curl_easy_setopt(x.h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x.h, CURLOPT_VERBOSE, 0L);
	curl_easy_setopt(x.h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(x.h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x.h, CURLOPT_USERAGENT, c->user_agent);
	curl_easy_setopt(x.h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(x.h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(x.h, CURLOPT_CONNECTTIMEOUT, (long)REG_CONNECT_TIMEOUT);
	curl_easy_setopt(x.h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(x.h, CURLOPT_LOW_SPEED_TIME, (long)REG_STALL_TIMEOUT);
	curl_easy_setopt(x.h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(x.h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(x.h, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(x.h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(x.h, CURLOPT_XFERINFOFUNCTION, on_xfer);
	curl_easy_setopt(x.h, CURLOPT_XFERINFODATA, &x);
	setup_tls(x.h, startswith(url, "https://") ? tls : NULL);
	setup_method(x.h, &x, method, with_body);

	code = curl_easy_perform(x.h);
	collect_headers(x.h, url, rs);
	if (code == CURLE_OK && rq->sink && is_success(rs->status) && !x.began)
		x.sink_r = sink_begin(&x, rs->status); /* an empty body */
	if (code != CURLE_OK || x.sink_r < 0)
		r = exchange_error(&x, code, method, url, errbuf, err);
	rs->url = strdup(url);
	if (x.buf.len || x.buf.buf) {
		rs->body_len = x.buf.len;
		rs->body = strbuf_steal(&x.buf);
	}
	strbuf_release(&x.buf);
	curl_slist_free_all(headers);
	easy_put(c, x.h);
	if (r == 0 && !rs->url)
		return error_set(err, ENOMEM, "out of memory");
	return r;
}

/* ---- redirects and retries ---- */

static bool is_redirect(long status)
{
	return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* The TLS settings for a URL that is not the endpoint's own. */
static int tls_for_url(struct reg_client *c, const char *url, struct reg_tls *ret,
                       struct husk_error **err)
{
	_cleanup_free_ char *host = reg_url_host(url), *shown = NULL;
	int r;

	if (!host)
		return error_set(err, EINVAL, "invalid URL \"%s\"", (shown = reg_url_redact(url)));
	if (startswith(url, "http://") && !reg_host_insecure(c->o, host))
		return error_set(err, EPERM,
		                 "refusing plain HTTP to \"%s\": %s is not an insecure registry",
		                 (shown = reg_url_redact(url)), host);
	r = reg_tls_load(c->o, host, ret, err);
	if (r == 0)
		ret->skip_verify = reg_host_insecure(c->o, host);
	return r;
}

static int follow(struct reg_client *c, const struct reg_tls *origin_tls,
                  const struct reg_request *rq, const char *url0, const char *authz,
                  struct reg_response *rs, struct husk_error **err)
{
	_cleanup_free_ char *url = strdup(url0);
	const char *method = rq->method;
	bool with_body = true;
	int r;

	if (!url)
		return error_set(err, ENOMEM, "out of memory");
	for (unsigned hop = 0; hop <= REG_MAX_REDIRECTS; hop++) {
		bool same = hop == 0 || reg_same_origin(url0, url);
		struct reg_tls tls = {0};

		if (!same && (r = tls_for_url(c, url, &tls, err)) < 0)
			return r;
		/* credentials stay with the origin they were given for */
		r = exchange(c, same ? origin_tls : &tls, rq, method, url, same ? authz : NULL,
		             with_body, rs, err);
		reg_tls_release(&tls);
		if (r < 0 || !is_redirect(rs->status))
			return r;
		if (!rs->location)
			return 0; /* a redirect without a usable Location: the caller judges */
		free(url);
		url = TAKE_PTR(rs->location);
		if (rs->status == 303 ||
		    ((rs->status == 301 || rs->status == 302) && streq(method, "POST"))) {
			method = "GET";
			with_body = false;
		}
	}
	_cleanup_free_ char *shown = reg_url_redact(url0);

	return error_set(err, EPROTO, "%s \"%s\": stopped after %d redirects",
	                 reg_method_word(rq->method), shown, REG_MAX_REDIRECTS);
}

static unsigned backoff_ms(unsigned attempt, const struct reg_response *rs)
{
	unsigned ms = REG_BACKOFF_MS << MIN(attempt - 1, 8u);
	int64_t secs;

	if (rs->retry_after && str_to_int64(rs->retry_after, &secs) == 0 && secs >= 0)
		ms = (unsigned)MIN(secs, 10) * 1000;
	return MIN(ms, (unsigned)REG_BACKOFF_MAX_MS);
}

static bool idempotent(const char *method)
{
	return streq(method, "GET") || streq(method, "HEAD");
}

static int send_retrying(struct reg_client *c, const struct reg_tls *tls,
                         const struct reg_request *rq, const char *url, const char *authz,
                         struct reg_response *rs, struct husk_error **err)
{
	for (unsigned attempt = 1;; attempt++) {
		_cleanup_error_ struct husk_error *e = NULL;
		int r = follow(c, tls, rq, url, authz, rs, &e);
		bool again = attempt < REG_MAX_ATTEMPTS && idempotent(rq->method) &&
		             rs->delivered == 0 &&
		             (r < 0 ? rs->retryable && !rq->no_retry
		                    : rs->status >= 500 || rs->status == 429);

		unsigned ms = backoff_ms(attempt, rs);
		struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

		if (!again) {
			if (r < 0 && err && !*err)
				*err = TAKE_PTR(e);
			return r;
		}
		nanosleep(&ts, NULL);
	}
}

int reg_fetch_url(struct reg_client *c, const struct reg_request *rq, const char *authorization,
                  struct reg_response *rs, struct husk_error **err)
{
	struct reg_tls tls = {0};
	int r = tls_for_url(c, rq->url, &tls, err);

	if (r == 0)
		r = send_retrying(c, &tls, rq, rq->url, authorization, rs, err);
	reg_tls_release(&tls);
	return r;
}

int reg_ping(struct reg_endpoint *ep, struct husk_error **err)
{
	struct reg_request rq = {
	        .method = "GET", .url = "/v2/", .anonymous = true, .no_retry = true};
	_cleanup_free_ char *url = str_printf("%s/v2/", ep->origin);
	struct reg_response rs = {.content_length = -1};
	struct reg_client *c = ep->c;
	bool done;
	int r;

	pthread_mutex_lock(&c->lock);
	done = ep->pinged;
	pthread_mutex_unlock(&c->lock);
	if (done)
		return 0;
	if (!url)
		return error_set(err, ENOMEM, "out of memory");
	r = send_retrying(c, &ep->tls, &rq, url, NULL, &rs, err);
	if (r == 0 && rs.status != 200 && rs.status != 401)
		r = error_set(err, EPROTO, "%s does not look like a registry: %ld %s", url,
		              rs.status, reg_status_text(rs.status));
	if (r == 0) {
		pthread_mutex_lock(&c->lock);
		STRV_FOREACH (h, rs.www_authenticate)
			(void)reg_challenges_parse(*h, &ep->challenges, &ep->n_challenges);
		ep->pinged = true;
		pthread_mutex_unlock(&c->lock);
	}
	reg_response_release(&rs);
	return r;
}

int reg_send(struct reg_endpoint *ep, const struct reg_request *rq, struct reg_response *rs,
             struct husk_error **err)
{
	_cleanup_free_ char *url =
	        rq->url[0] == '/' ? str_printf("%s%s", ep->origin, rq->url) : strdup(rq->url);
	_cleanup_free_ char *scope = rq->scope ? strdup(rq->scope) : NULL;
	int r;

	if (!url || (rq->scope && !scope))
		return error_set(err, ENOMEM, "out of memory");
	if (!reg_same_origin(ep->origin, url)) {
		/* an upload Location on another origin: no credentials go there */
		struct reg_request other = *rq;

		other.url = url;
		return reg_fetch_url(ep->c, &other, NULL, rs, err);
	}
	if ((r = reg_ping(ep, err)) < 0)
		return r;
	for (unsigned tries = 0;; tries++) {
		_cleanup_free_ char *authz = NULL, *wider = NULL;

		if (!rq->anonymous && (r = reg_auth_header(ep, scope, &authz, err)) < 0)
			return r;
		r = send_retrying(ep->c, &ep->tls, rq, url, authz, rs, err);
		if (r < 0 || rs->status != 401 || rq->anonymous || tries > 0)
			return r;
		if (reg_auth_challenged(ep, rs, scope, authz, &wider) <= 0)
			return 0;
		if (wider) {
			free(scope);
			scope = TAKE_PTR(wider);
		}
	}
}
