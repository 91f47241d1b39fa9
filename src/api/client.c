/* client.c — the Engine API client: HTTP/1.1 spoken directly over the
 * daemon's unix socket.
 *
 * Why not libcurl (which the registry client keeps using for TLS and
 * proxies): loading libcurl and the 33 libraries it pulls in costs ~5.5 ms
 * per husk invocation (perf stat of an empty main linked with and without
 * it), more than all the rest of the client side of `husk run --rm busybox
 * true`. A unix socket needs no TLS, proxy or name resolution; what the
 * Engine API needs of HTTP/1.1 is small: Content-Length, chunked and
 * read-to-EOF bodies, a chunked request body for uploads, keep-alive, and
 * the `Upgrade: tcp` hijack of attach and exec. Every size the daemon
 * controls is capped.
 */
#include "api/client.h"

#include <poll.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"

#define CONN_BUF     (64u << 10) /* read buffer; also the cap on a response head or line */
#define UPLOAD_CHUNK (256u << 10)

struct api_client {
	char *host;
	char *socket_path;
	unsigned version;
	int idle_fd; /* a kept-alive connection for the next request, or -1 */
};

enum body_mode {
	BODY_NONE,    /* HEAD, 1xx, 204, 304 */
	BODY_LENGTH,  /* Content-Length */
	BODY_CHUNKED, /* Transfer-Encoding: chunked */
	BODY_EOF,     /* until the daemon closes */
	BODY_RAW,     /* hijacked: a byte stream both ways */
};

struct api_conn {
	struct api_client *client; /* gets the connection back when it can be reused */
	int fd;
	long status;
	enum body_mode mode;
	uint64_t left;   /* BODY_LENGTH: body bytes left; BODY_CHUNKED: of this chunk */
	bool chunk_crlf; /* BODY_CHUNKED: a chunk's CRLF is due before the next size */
	bool done;       /* the whole body has been read */
	bool keep_alive;
	char content_type[96];
	char api_version[16];
	char path_stat[8192]; /* X-Docker-Container-Path-Stat (docker cp) */
	struct strbuf early;  /* response bytes that arrived while uploading */
	size_t early_off;
	size_t off, len; /* unread bytes are buf[off..len) */
	char buf[CONN_BUF];
};

struct request {
	const char *method;
	const char *target; /* "/v1.43/containers/json" */
	const char *body;   /* NULL: none */
	size_t body_len;
	const char *content_type;
	char *const *headers; /* extra "Name: value" lines */
	int body_fd;          /* >= 0: a chunked body read from this fd to EOF */
	bool upgrade;         /* Connection: Upgrade, Upgrade: tcp */
};

/* ---- the client ---- */

struct api_client *api_client_new(const char *host, struct husk_error **err)
{
	_cleanup_(api_client_freep) struct api_client *c = NULL;
	const char *path = startswith(host, "unix://");

	if (!path) {
		if (startswith(host, "tcp://") || startswith(host, "ssh://"))
			error_set(err, ENOTSUP,
			          "host \"%s\": only unix:// sockets are supported by this client",
			          host);
		else
			error_set(err, EINVAL,
			          "invalid host \"%s\": expected unix:///path/to/socket", host);
		return NULL;
	}
	if (!(path[0] == '/')) {
		error_set(err, EINVAL, "invalid host \"%s\": the socket path must be absolute",
		          host);
		return NULL;
	}
	if (strlen(path) >= sizeof(((struct sockaddr_un *)NULL)->sun_path)) {
		error_set(err, ENAMETOOLONG,
		          "invalid host \"%s\": the socket path is too long (at most %zu bytes)",
		          host, sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->host = strdup(host)) || !(c->socket_path = strdup(path))) {
		error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	c->idle_fd = -1;
	c->version = API_CLIENT_VERSION;
	return TAKE_PTR(c);
}

void api_client_free(struct api_client *c)
{
	if (!c)
		return;
	safe_close(c->idle_fd);
	free(c->host);
	free(c->socket_path);
	free(c);
}

const char *api_client_host(const struct api_client *c)
{
	return c->host;
}

unsigned api_client_version(const struct api_client *c)
{
	return c->version;
}

/* As curl_easy_escape (RFC 3986): all but ALPHA, DIGIT and -._~ as %XX. */
char *api_client_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *out = malloc(3 * n + 1), *p = out;

	if (!out)
		return NULL;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
			*p++ = (char)ch;
			continue;
		}
		*p++ = '%';
		*p++ = hex[ch >> 4];
		*p++ = hex[ch & 15];
	}
	*p = 0;
	return out;
}

static int transport_error(const struct api_client *c, int code, const char *what,
                           struct husk_error **err)
{
	return error_set(err, code, "cannot connect to the husk daemon at %s: %s: %s", c->host,
	                 what, strerror(code));
}

static int client_connect(struct api_client *c, int *ret_fd, struct husk_error **err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return transport_error(c, errno, "socket", err);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", c->socket_path);
	if (RETRY_EINTR(connect(fd, (struct sockaddr *)&sa, sizeof(sa))) < 0)
		return transport_error(c, errno, "connect", err);
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* ---- writing ---- */

static int send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The request line, the headers and a fixed body, in one buffer. */
static int format_request(const struct request *rq, struct strbuf *sb)
{
	int r = strbuf_printf(sb, "%s %s HTTP/1.1\r\nHost: husk\r\nUser-Agent: husk-client\r\n",
	                      rq->method, rq->target);

	if (r >= 0 && rq->body_fd >= 0)
		r = strbuf_printf(sb, "Content-Type: %s\r\nTransfer-Encoding: chunked\r\n",
		                  rq->content_type ?: "application/x-tar");
	else if (r >= 0 && rq->body)
		r = strbuf_printf(sb, "Content-Type: %s\r\nContent-Length: %zu\r\n",
		                  rq->content_type ?: "application/json", rq->body_len);
	else if (r >= 0 && !streq(rq->method, "GET") && !streq(rq->method, "HEAD"))
		r = strbuf_puts(sb, "Content-Length: 0\r\n");
	if (r >= 0 && rq->upgrade)
		r = strbuf_puts(sb, "Connection: Upgrade\r\nUpgrade: tcp\r\n");
	STRV_FOREACH (h, rq->headers)
		if (r >= 0)
			r = strbuf_printf(sb, "%s\r\n", *h);
	if (r >= 0)
		r = strbuf_puts(sb, "\r\n");
	if (r >= 0 && rq->body && rq->body_fd < 0)
		r = strbuf_append(sb, rq->body, rq->body_len);
	return r;
}

/* ---- reading ---- */

/* More bytes into buf, compacting it first: the count, 0 at EOF,
 * -ENOBUFS when buf is full, or -errno. */
static ssize_t conn_fill(struct api_conn *k)
{
	ssize_t n;

	if (k->off > 0) {
		memmove(k->buf, k->buf + k->off, k->len - k->off);
		k->len -= k->off;
		k->off = 0;
	}
	if (k->len == sizeof(k->buf))
		return -ENOBUFS;
	if (k->early_off < k->early.len) {
		n = (ssize_t)MIN(sizeof(k->buf) - k->len, k->early.len - k->early_off);
		memcpy(k->buf + k->len, k->early.buf + k->early_off, (size_t)n);
		k->early_off += (size_t)n;
		k->len += (size_t)n;
		return n;
	}
	n = RETRY_EINTR(read(k->fd, k->buf + k->len, sizeof(k->buf) - k->len));
	if (n < 0)
		return -errno;
	k->len += (size_t)n;
	return n;
}

static int conn_read_error(struct api_conn *k, ssize_t n, struct husk_error **err)
{
	if (n == -ENOBUFS)
		return error_set(err, EFBIG,
		                 "a line of the daemon's response is longer than %u bytes",
		                 CONN_BUF);
	if (n < 0)
		return transport_error(k->client, (int)-n, "read", err);
	return error_set(err, EPIPE, "the daemon at %s closed the connection mid-response",
	                 k->client->host);
}

/* The next CRLF- (or LF-) terminated line, without its end; it stays
 * valid until the next read. */
static int conn_line(struct api_conn *k, char **ret, size_t *ret_len, struct husk_error **err)
{
	char *nl;
	ssize_t n;

	while (!(nl = memchr(k->buf + k->off, '\n', k->len - k->off))) {
		n = conn_fill(k);
		if (n <= 0)
			return conn_read_error(k, n, err);
	}
	*ret = k->buf + k->off;
	*ret_len = (size_t)(nl - *ret);
	if (*ret_len > 0 && nl[-1] == '\r')
		(*ret_len)--;
	k->off = (size_t)(nl + 1 - k->buf);
	return 0;
}

static void copy_value(char *dst, size_t size, const char *v, size_t len)
{
	while (len > 0 && (*v == ' ' || *v == '\t'))
		v++, len--;
	snprintf(dst, size, "%.*s", (int)len, v);
}

/* One "Name: value" line of the response head. */
static int parse_header(struct api_conn *k, const char *line, size_t len, bool *chunked,
                        int64_t *length)
{
	const char *colon = memchr(line, ':', len);
	size_t nlen, vlen;
	const char *v;
	char num[24];

	if (!colon)
		return -EBADMSG;
	nlen = (size_t)(colon - line);
	v = colon + 1;
	vlen = len - nlen - 1;
#define IS(name) (nlen == strlen(name) && strncasecmp(line, name, nlen) == 0)
	if (IS("Content-Length")) {
		copy_value(num, sizeof(num), v, vlen);
		if (str_to_int64(num, length) < 0 || *length < 0)
			return -EBADMSG;
	} else if (IS("Transfer-Encoding")) {
		*chunked = memmem(v, vlen, "chunked", 7) != NULL;
	} else if (IS("Connection")) {
		if (memmem(v, vlen, "close", 5))
			k->keep_alive = false;
	} else if (IS("Content-Type")) {
		copy_value(k->content_type, sizeof(k->content_type), v, vlen);
	} else if (IS("Api-Version")) {
		copy_value(k->api_version, sizeof(k->api_version), v, vlen);
	} else if (IS("X-Docker-Container-Path-Stat")) {
		copy_value(k->path_stat, sizeof(k->path_stat), v, vlen);
	}
#undef IS
	return 0;
}

/* The status line and headers; decides how the body is framed. An EOF
 * before any byte is -ECONNRESET without a message (a stale kept-alive
 * connection the caller may retry). */
static int conn_read_head(struct api_conn *k, const struct request *rq, struct husk_error **err)
{
	bool chunked = false, first = true;
	int64_t length = -1;
	unsigned major = 0, minor = 0;
	char *line;
	size_t len;
	int r;

	for (;;) {
		if (first && k->len == k->off) {
			ssize_t n = conn_fill(k);
			if (n == 0 || n == -ECONNRESET)
				return -ECONNRESET;
			if (n < 0)
				return conn_read_error(k, n, err);
		}
		r = conn_line(k, &line, &len, err);
		if (r < 0)
			return r;
		if (first) {
			char status[96];
			snprintf(status, sizeof(status), "%.*s", (int)MIN(len, 95), line);
			if (sscanf(status, "HTTP/%u.%u %ld", &major, &minor, &k->status) != 3)
				return error_set(err, EBADMSG,
				                 "the daemon at %s sent a malformed status line",
				                 k->client->host);
			k->keep_alive = major == 1 && minor >= 1;
			first = false;
			continue;
		}
		if (len == 0)
			break;
		if (parse_header(k, line, len, &chunked, &length) < 0)
			return error_set(err, EBADMSG, "the daemon at %s sent a malformed header",
			                 k->client->host);
	}
	if (rq->upgrade && (k->status == 101 || k->status == 200))
		k->mode = BODY_RAW, k->keep_alive = false;
	else if (streq(rq->method, "HEAD") || k->status / 100 == 1 || k->status == 204 ||
	         k->status == 304)
		k->mode = BODY_NONE, k->done = true;
	else if (chunked)
		k->mode = BODY_CHUNKED;
	else if (length >= 0)
		k->mode = BODY_LENGTH, k->left = (uint64_t)length, k->done = length == 0;
	else
		k->mode = BODY_EOF, k->keep_alive = false;
	return 0;
}

/* Step to the next chunk of a chunked body (k->done after the last). */
static int chunk_next(struct api_conn *k, struct husk_error **err)
{
	char *line, hex[20];
	size_t len;
	uint64_t size = 0;
	int r;

	if (k->chunk_crlf) {
		r = conn_line(k, &line, &len, err);
		if (r < 0)
			return r;
		if (len != 0)
			return error_set(err, EBADMSG, "the daemon sent a malformed chunk");
	}
	r = conn_line(k, &line, &len, err);
	if (r < 0)
		return r;
	snprintf(hex, sizeof(hex), "%.*s", (int)MIN(len, sizeof(hex) - 1), line);
	hex[strcspn(hex, "; \t")] = 0;
	for (const char *p = hex; *p; p++) {
		int d = (*p >= '0' && *p <= '9')   ? *p - '0'
		        : (*p >= 'a' && *p <= 'f') ? *p - 'a' + 10
		        : (*p >= 'A' && *p <= 'F') ? *p - 'A' + 10
		                                   : -1;
		if (d < 0 || size > (UINT64_MAX >> 4))
			return error_set(err, EBADMSG, "the daemon sent a malformed chunk size");
		size = size << 4 | (uint64_t)d;
	}
	if (!*hex)
		return error_set(err, EBADMSG, "the daemon sent a malformed chunk size");
	k->chunk_crlf = true;
	k->left = size;
	if (size > 0)
		return 0;
	do { /* trailers, up to the empty line */
		r = conn_line(k, &line, &len, err);
		if (r < 0)
			return r;
	} while (len > 0);
	k->done = true;
	return 0;
}

ssize_t api_conn_read(struct api_conn *k, void *buf, size_t len, struct husk_error **err)
{
	bool framed = k->mode == BODY_LENGTH || k->mode == BODY_CHUNKED;
	size_t n;
	int r;

	if (k->done || len == 0)
		return 0;
	if (k->mode == BODY_CHUNKED && k->left == 0) {
		r = chunk_next(k, err);
		if (r < 0 || k->done)
			return r;
	}
	if (k->off == k->len) {
		ssize_t got = conn_fill(k);
		if (got == 0 && !framed) {
			k->done = true;
			return 0;
		}
		if (got <= 0)
			return conn_read_error(k, got, err);
	}
	n = MIN(len, k->len - k->off);
	if (framed)
		n = (size_t)MIN((uint64_t)n, k->left);
	memcpy(buf, k->buf + k->off, n);
	k->off += n;
	if (framed)
		k->left -= n;
	if (k->mode == BODY_LENGTH && k->left == 0)
		k->done = true;
	return (ssize_t)n;
}

/* The rest of the body into sb, at most max bytes in all. */
static int conn_read_body(struct api_conn *k, struct strbuf *sb, size_t max,
                          struct husk_error **err)
{
	char tmp[16384];
	ssize_t n;

	while ((n = api_conn_read(k, tmp, sizeof(tmp), err)) > 0) {
		if (sb->len + (size_t)n > max)
			return error_set(err, EFBIG,
			                 "the daemon's response is larger than %zu bytes", max);
		if (strbuf_append(sb, tmp, (size_t)n) < 0)
			return error_set(err, ENOMEM, "out of memory");
	}
	return (int)n;
}

int api_conn_read_json(struct api_conn *k, json_t **ret, struct husk_error **err)
{
	struct strbuf sb = {0};
	int r = conn_read_body(k, &sb, API_CLIENT_BODY_MAX, err);

	*ret = NULL;
	if (r == 0 && sb.len)
		r = json_parse("the daemon's response", sb.buf, sb.len, API_CLIENT_BODY_MAX, ret,
		               err);
	strbuf_release(&sb);
	return r;
}

long api_conn_status(const struct api_conn *k)
{
	return k->status;
}

const char *api_conn_content_type(const struct api_conn *k)
{
	return k->content_type;
}

const char *api_conn_path_stat(const struct api_conn *k)
{
	return k->path_stat;
}

int api_conn_fd(const struct api_conn *k)
{
	return k->fd;
}

size_t api_conn_buffered(const struct api_conn *k)
{
	return k->len - k->off + (k->early.len - k->early_off);
}

int api_conn_write(struct api_conn *k, const void *buf, size_t len, struct husk_error **err)
{
	int r = send_all(k->fd, buf, len);

	return r < 0 ? transport_error(k->client, -r, "write", err) : 0;
}

int api_conn_close_write(struct api_conn *k)
{
	return shutdown(k->fd, SHUT_WR) < 0 ? -errno : 0;
}

void api_conn_free(struct api_conn *k)
{
	if (!k)
		return;
	/* a fully read response on a keep-alive connection: reuse it */
	if (k->done && k->keep_alive && k->off == k->len && k->client->idle_fd < 0 &&
	    k->early_off == k->early.len)
		k->client->idle_fd = TAKE_FD(k->fd);
	safe_close(k->fd);
	strbuf_release(&k->early);
	free(k);
}

/* ---- requests ---- */

static int status_to_errno(long status)
{
	switch (status) {
	case 400:
		return EINVAL;
	case 401:
	case 403:
		return EACCES;
	case 404:
		return ENOENT;
	case 409:
		return EEXIST;
	case 413:
		return EFBIG;
	default:
		return EIO;
	}
}

/* The daemon's {"message": …}, or the raw body, as an error. */
static int daemon_error(long status, const char *body, size_t len, struct husk_error **err)
{
	_cleanup_json_ json_t *j = NULL;
	const char *msg = NULL;

	if (len)
		j = json_loadb(body, len, 0, NULL);
	if (j)
		msg = json_string_value(json_object_get(j, "message"));
	if (!msg && len)
		msg = body;
	if (!msg)
		return error_set(err, status_to_errno(status),
		                 "Error response from daemon: HTTP status %ld", status);
	return error_set(err, status_to_errno(status), "Error response from daemon: %.*s",
	                 (int)strcspn(msg, "\n"), msg);
}

/* Read a non-2xx response's body and turn it into the daemon's error. */
static int conn_status_error(struct api_conn *k, struct husk_error **err)
{
	struct strbuf sb = {0};
	int r = conn_read_body(k, &sb, API_CLIENT_BODY_MAX, err);

	if (r == 0)
		r = daemon_error(k->status, sb.buf, sb.len, err);
	strbuf_release(&sb);
	return r;
}

static bool status_ok(long status)
{
	return status >= 200 && status <= 299;
}

/* Upload rq->body_fd as chunks while keeping what the daemon answers
 * meanwhile in k->early (it may answer early with an error, or stream
 * progress as it reads: never block on a full socket both ways). */
static int upload_body(struct api_conn *k, int in_fd, struct husk_error **err)
{
	_cleanup_free_ char *chunk = malloc(UPLOAD_CHUNK + 32);
	struct strbuf out = {0};
	size_t sent = 0;
	bool in_eof = false;
	int r = 0;

	if (!chunk)
		return error_set(err, ENOMEM, "out of memory");
	while (r == 0 && (!in_eof || sent < out.len)) {
		if (sent == out.len && !in_eof) {
			ssize_t n = RETRY_EINTR(read(in_fd, chunk, UPLOAD_CHUNK));
			if (n < 0) {
				r = error_set_errno(err, errno, "read the request body");
				break;
			}
			out.len = sent = 0;
			in_eof = n == 0;
			r = n ? strbuf_printf(&out, "%zx\r\n", (size_t)n) : 0;
			r = r ?: strbuf_append(&out, chunk, (size_t)n);
			r = r ?: strbuf_puts(&out, n ? "\r\n" : "0\r\n\r\n");
			if (r < 0)
				return error_set(err, ENOMEM, "out of memory");
			continue;
		}
		struct pollfd p = {.fd = k->fd, .events = POLLIN | POLLOUT};
		if (RETRY_EINTR(poll(&p, 1, -1)) < 0)
			return transport_error(k->client, errno, "poll", err);
		if (p.revents & POLLIN) {
			char tmp[16384];
			ssize_t n = RETRY_EINTR(read(k->fd, tmp, sizeof(tmp)));
			if (n <= 0)
				break; /* the daemon is done with us: read its answer */
			if (k->early.len + (size_t)n > API_CLIENT_BODY_MAX)
				return error_set(err, EFBIG,
				                 "the daemon's response is larger than %u bytes",
				                 API_CLIENT_BODY_MAX);
			if (strbuf_append(&k->early, tmp, (size_t)n) < 0)
				return error_set(err, ENOMEM, "out of memory");
		} else if (p.revents & (POLLOUT | POLLERR | POLLHUP)) {
			ssize_t n = send(k->fd, out.buf + sent, out.len - sent,
			                 MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n < 0)
				break; /* EPIPE, ECONNRESET: its answer says why */
			sent += (size_t)n;
		}
	}
	strbuf_release(&out);
	return r;
}

/* Send rq on the idle connection or a new one and read the response
 * head. Any status is returned in *ret; only transport errors fail. */
static int request(struct api_client *c, const struct request *rq, struct api_conn **ret,
                   struct husk_error **err)
{
	struct strbuf head = {0};
	int r = format_request(rq, &head);

	if (r < 0)
		return error_set(err, ENOMEM, "out of memory");
	for (int attempt = 0;; attempt++) {
		/* an upload cannot be replayed, and a hijacked connection is one
		 * of its own (as docker's): both always get a fresh connection */
		bool reused = c->idle_fd >= 0 && rq->body_fd < 0 && !rq->upgrade;
		_cleanup_free_ struct api_conn *k = calloc(1, sizeof(*k));

		if (!k) {
			r = error_set(err, ENOMEM, "out of memory");
			break;
		}
		k->client = c;
		k->fd = -1;
		if (reused)
			k->fd = TAKE_FD(c->idle_fd);
		else if ((r = client_connect(c, &k->fd, err)) < 0)
			break;
		r = send_all(k->fd, head.buf, head.len);
		if (r == 0 && rq->body_fd >= 0)
			r = upload_body(k, rq->body_fd, err);
		if (r == 0 || r == -EPIPE || r == -ECONNRESET)
			r = conn_read_head(k, rq, err);
		if (r == -ECONNRESET && reused && attempt == 0) {
			/* the daemon closed the idle connection: retry on a new one */
			safe_close(k->fd);
			continue;
		}
		if (r == -ECONNRESET || r == -EPIPE)
			r = transport_error(c, -r, "the connection closed before a response", err);
		if (r < 0) {
			safe_close(k->fd);
			strbuf_release(&k->early);
			break;
		}
		*ret = TAKE_PTR(k);
		break;
	}
	strbuf_release(&head);
	return r;
}

static char *versioned_path(const struct api_client *c, const char *path)
{
	return str_printf("/v%u.%u%s", c->version / 100, c->version % 100, path);
}

/* A JSON (or no) body request to a versioned path. */
static int request_json(struct api_client *c, const char *method, const char *path, json_t *body,
                        char *const *headers, bool upgrade, struct api_conn **ret,
                        struct husk_error **err)
{
	_cleanup_free_ char *target = versioned_path(c, path), *text = NULL;
	struct request rq = {.method = method,
	                     .target = target,
	                     .headers = headers,
	                     .body_fd = -1,
	                     .upgrade = upgrade};

	if (!target || (body && !(text = json_compact(body))))
		return error_set(err, ENOMEM, "out of memory");
	if (text) {
		rq.body = text;
		rq.body_len = strlen(text);
	} else if (upgrade) {
		rq.content_type = "text/plain";
	}
	return request(c, &rq, ret, err);
}

int api_client_ping(struct api_client *c, struct husk_error **err)
{
	struct request rq = {.method = "HEAD", .target = "/_ping", .body_fd = -1};
	struct api_conn *k = NULL;
	unsigned major = 0, minor = 0;
	int r = request(c, &rq, &k, err);

	if (r == 0 && k->status != 200) { /* as docker: HEAD refused, try GET */
		api_conn_free(k);
		k = NULL;
		rq.method = "GET";
		r = request(c, &rq, &k, err);
		if (r == 0 && k->status != 200)
			r = conn_status_error(k, err);
	}
	if (r == 0 && sscanf(k->api_version, "%u.%u", &major, &minor) == 2 && major == 1 &&
	    major * 100 + minor < c->version)
		c->version = major * 100 + minor;
	if (r == 0 && k->mode != BODY_NONE) {
		struct strbuf sb = {0};
		r = conn_read_body(k, &sb, 4096, err);
		strbuf_release(&sb);
	}
	api_conn_free(k);
	return r;
}

int api_client_open(struct api_client *c, const char *method, const char *path, json_t *body,
                    char *const *headers, struct api_conn **ret, struct husk_error **err)
{
	struct api_conn *k = NULL;
	int r = request_json(c, method, path, body, headers, false, &k, err);

	if (r == 0 && !status_ok(k->status)) {
		r = conn_status_error(k, err);
		api_conn_free(k);
		return r;
	}
	if (r == 0)
		*ret = k;
	return r;
}

int api_client_hijack(struct api_client *c, const char *path, json_t *body, struct api_conn **ret,
                      struct husk_error **err)
{
	struct api_conn *k = NULL;
	int r = request_json(c, "POST", path, body, NULL, true, &k, err);

	if (r == 0 && k->mode != BODY_RAW) {
		r = status_ok(k->status)
		            ? error_set(err, EPROTO, "the daemon did not upgrade the connection")
		            : conn_status_error(k, err);
		api_conn_free(k);
		return r;
	}
	if (r == 0)
		*ret = k;
	return r;
}

int api_client_call(struct api_client *c, const char *method, const char *path, json_t *body,
                    long *ret_status, json_t **ret, struct husk_error **err)
{
	struct api_conn *k = NULL;
	struct strbuf sb = {0};
	int r;

	if (ret)
		*ret = NULL;
	r = request_json(c, method, path, body, NULL, false, &k, err);
	if (r < 0)
		return r;
	if (ret_status)
		*ret_status = k->status;
	if (!status_ok(k->status))
		r = conn_status_error(k, err);
	else
		r = conn_read_body(k, &sb, API_CLIENT_BODY_MAX, err);
	if (r == 0 && ret && sb.len)
		r = json_parse("the daemon's response", sb.buf, sb.len, API_CLIENT_BODY_MAX, ret,
		               err);
	strbuf_release(&sb);
	api_conn_free(k);
	return r;
}

/* ---- streamed response bodies ---- */

/* Hand the body to on_line line by line (the last, unterminated one too). */
static int conn_lines(struct api_conn *k, api_client_line_fn on_line, void *data,
                      struct husk_error **err)
{
	struct strbuf line = {0};
	char tmp[16384];
	ssize_t n;
	int r = 0;

	while (r == 0 && (n = api_conn_read(k, tmp, sizeof(tmp), err)) > 0) {
		for (size_t i = 0; r == 0 && i < (size_t)n;) {
			const char *nl = memchr(tmp + i, '\n', (size_t)n - i);
			size_t len = nl ? (size_t)(nl - (tmp + i)) : (size_t)n - i;

			if (line.len + len > API_CLIENT_BODY_MAX)
				r = error_set(
				        err, EFBIG,
				        "a line of the daemon's response is longer than %u bytes",
				        API_CLIENT_BODY_MAX);
			else if (strbuf_append(&line, tmp + i, len) < 0)
				r = error_set(err, ENOMEM, "out of memory");
			i += len + (nl ? 1 : 0);
			if (r == 0 && nl) {
				r = on_line ? on_line(line.buf ?: "", line.len, data, err) : 0;
				line.len = 0;
			}
		}
	}
	if (r == 0 && n < 0)
		r = (int)n;
	if (r == 0 && line.len && on_line)
		r = on_line(line.buf, line.len, data, err);
	strbuf_release(&line);
	return r;
}

int api_client_stream(struct api_client *c, const char *method, const char *path, json_t *body,
                      char *const *headers, api_client_line_fn on_line, void *data,
                      long *ret_status, struct husk_error **err)
{
	struct api_conn *k = NULL;
	int r = request_json(c, method, path, body, headers, false, &k, err);

	if (r < 0)
		return r;
	if (ret_status)
		*ret_status = k->status;
	r = status_ok(k->status) ? conn_lines(k, on_line, data, err) : conn_status_error(k, err);
	api_conn_free(k);
	return r;
}

int api_client_upload(struct api_client *c, const char *method, const char *path, int body_fd,
                      const char *content_type, api_client_line_fn on_line, void *data,
                      long *ret_status, struct husk_error **err)
{
	_cleanup_free_ char *target = versioned_path(c, path);
	struct request rq = {.method = method,
	                     .target = target,
	                     .body_fd = body_fd,
	                     .content_type = content_type ?: "application/x-tar",
	                     /* no 100-continue round trip: the daemon reads as we send */
	                     .headers = NULL};
	struct api_conn *k = NULL;
	int r;

	if (!target)
		return error_set(err, ENOMEM, "out of memory");
	r = request(c, &rq, &k, err);
	if (r < 0)
		return r;
	if (ret_status)
		*ret_status = k->status;
	r = status_ok(k->status) ? conn_lines(k, on_line, data, err) : conn_status_error(k, err);
	api_conn_free(k);
	return r;
}

int api_client_download(struct api_client *c, const char *path, int out_fd, struct husk_error **err)
{
	_cleanup_free_ char *buf = malloc(CONN_BUF);
	struct api_conn *k = NULL;
	ssize_t n;
	int r;

	if (!buf)
		return error_set(err, ENOMEM, "out of memory");
	r = api_client_open(c, "GET", path, NULL, NULL, &k, err);
	if (r < 0)
		return r;
	while ((n = api_conn_read(k, buf, CONN_BUF, err)) > 0) {
		r = write_all(out_fd, buf, (size_t)n);
		if (r < 0) {
			r = error_set_errno(err, -r, "write the response");
			break;
		}
	}
	if (r == 0 && n < 0)
		r = (int)n;
	api_conn_free(k);
	return r;
}
