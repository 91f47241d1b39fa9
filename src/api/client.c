#include "api/client.h"

#include <curl/curl.h>
#include <pthread.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"

struct api_client {
	char *host;
	char *socket_path;
	unsigned version;
	CURL *curl;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

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
	pthread_once(&curl_once, curl_init_once);
	c = calloc(1, sizeof(*c));
	if (!c || !(c->host = strdup(host)) || !(c->socket_path = strdup(path)) ||
	    !(c->curl = curl_easy_init())) {
		error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	c->version = API_CLIENT_VERSION;
	return TAKE_PTR(c);
}

void api_client_free(struct api_client *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
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

char *api_client_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *r = e ? strdup(e) : NULL;

	curl_free(e);
	return r;
}

struct response {
	struct strbuf body;
	bool too_big;
	char api_version[16];
};

static size_t on_body(char *data, size_t size, size_t n, void *p)
{
	struct response *r = p;

	if (r->body.len + n > API_CLIENT_BODY_MAX) {
		r->too_big = true;
		return 0;
	}
	return strbuf_append(&r->body, data, n) < 0 ? 0 : n;
}

static size_t on_header(char *data, size_t size, size_t n, void *p)
{
	struct response *r = p;
	const char *v;

	if (n > 12 && strncasecmp(data, "Api-Version:", 12) == 0) {
		v = data + 12;
		while (*v == ' ')
			v++;
		snprintf(r->api_version, sizeof(r->api_version), "%.*s", (int)strcspn(v, "\r\n"),
		         v);
	}
	return n;
}

static int transport_error(struct api_client *c, CURLcode cc, struct husk_error **err)
{
	long os_errno = 0;
	int code;

	curl_easy_getinfo(c->curl, CURLINFO_OS_ERRNO, &os_errno);
	code = cc == CURLE_COULDNT_CONNECT ? (os_errno ? (int)os_errno : ECONNREFUSED) : EIO;
	return error_set(err, code, "cannot connect to the husk daemon at %s: %s%s%s", c->host,
	                 curl_easy_strerror(cc), os_errno ? ": " : "",
	                 os_errno ? strerror((int)os_errno) : "");
}

static int perform(struct api_client *c, const char *method, const char *url, const char *body,
                   struct response *resp, long *status, struct husk_error **err)
{
	struct curl_slist *hdrs = NULL;
	CURLcode cc;

	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_UNIX_SOCKET_PATH, c->socket_path);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_USERAGENT, "husk-client");
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, resp);
	if (streq(method, "HEAD"))
		curl_easy_setopt(c->curl, CURLOPT_NOBODY, 1L);
	else
		curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	} else if (streq(method, "POST")) {
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE, 0L);
	}
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdrs);
	cc = curl_easy_perform(c->curl);
	curl_slist_free_all(hdrs);
	if (resp->too_big)
		return error_set(err, EFBIG, "the daemon's response is larger than %u bytes",
		                 API_CLIENT_BODY_MAX);
	if (cc != CURLE_OK)
		return transport_error(c, cc, err);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, status);
	return 0;
}

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
static int daemon_error(long status, const struct response *resp, struct husk_error **err)
{
	_cleanup_json_ json_t *j = NULL;
	const char *msg = NULL;

	if (resp->body.len)
		j = json_loadb(resp->body.buf, resp->body.len, 0, NULL);
	if (j)
		msg = json_string_value(json_object_get(j, "message"));
	if (!msg && resp->body.len)
		msg = resp->body.buf;
	if (!msg)
		return error_set(err, status_to_errno(status),
		                 "Error response from daemon: HTTP status %ld", status);
	return error_set(err, status_to_errno(status), "Error response from daemon: %.*s",
	                 (int)strcspn(msg, "\n"), msg);
}

static char *make_url(const struct api_client *c, const char *path, bool versioned)
{
	if (!versioned)
		return str_printf("http://husk%s", path);
	return str_printf("http://husk/v%u.%u%s", c->version / 100, c->version % 100, path);
}

int api_client_ping(struct api_client *c, struct husk_error **err)
{
	_cleanup_free_ char *url = make_url(c, "/_ping", false);
	struct response resp = {0};
	unsigned major = 0, minor = 0;
	long status = 0;
	int r;

	if (!url)
		return error_set(err, ENOMEM, "out of memory");
	r = perform(c, "GET", url, NULL, &resp, &status, err);
	if (r == 0 && status != 200)
		r = daemon_error(status, &resp, err);
	if (r == 0 && sscanf(resp.api_version, "%u.%u", &major, &minor) == 2 && major == 1 &&
	    major * 100 + minor < c->version)
		c->version = major * 100 + minor;
	strbuf_release(&resp.body);
	return r;
}

int api_client_call(struct api_client *c, const char *method, const char *path, json_t *body,
                    long *ret_status, json_t **ret, struct husk_error **err)
{
	_cleanup_free_ char *url = make_url(c, path, true), *text = NULL;
	struct response resp = {0};
	long status = 0;
	int r;

	if (ret)
		*ret = NULL;
	if (!url || (body && !(text = json_compact(body))))
		return error_set(err, ENOMEM, "out of memory");
	r = perform(c, method, url, text, &resp, &status, err);
	if (r == 0 && ret_status)
		*ret_status = status;
	if (r == 0 && (status < 200 || status > 299))
		r = daemon_error(status, &resp, err);
	if (r == 0 && ret && resp.body.len)
		r = json_parse("the daemon's response", resp.body.buf, resp.body.len,
		               API_CLIENT_BODY_MAX, ret, err);
	strbuf_release(&resp.body);
	return r;
}

/* ---- streamed request and response bodies ---- */

#define XFER_BUF (512u << 10)

struct xfer {
	struct api_client *c;
	struct response resp; /* an error body, the Api-Version header */
	int in_fd, in_errno;
	int out_fd, out_errno;
	api_client_line_fn on_line;
	void *data;
	struct strbuf line; /* the partial line so far */
	int cb_result;
	struct husk_error *cb_err;
};

static size_t xfer_read(char *buf, size_t size, size_t n, void *p)
{
	struct xfer *x = p;
	ssize_t r = RETRY_EINTR(read(x->in_fd, buf, size * n));

	if (r < 0) {
		x->in_errno = errno;
		return CURL_READFUNC_ABORT;
	}
	return (size_t)r;
}

static bool xfer_status_ok(struct xfer *x)
{
	long status = 0;

	curl_easy_getinfo(x->c->curl, CURLINFO_RESPONSE_CODE, &status);
	return status >= 200 && status <= 299;
}

static int xfer_line_done(struct xfer *x)
{
	int r = 0;

	if (x->on_line)
		r = x->on_line(x->line.buf ?: "", x->line.len, x->data, &x->cb_err);
	x->line.len = 0;
	if (x->line.buf)
		x->line.buf[0] = 0;
	if (r < 0)
		x->cb_result = r;
	return r;
}

static size_t xfer_lines(char *data, size_t size, size_t n, void *p)
{
	struct xfer *x = p;

	if (!xfer_status_ok(x))
		return on_body(data, size, n, &x->resp);
	for (size_t i = 0; i < n;) {
		const char *nl = memchr(data + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - (data + i)) : n - i;

		if (x->line.len + len > API_CLIENT_BODY_MAX) {
			x->cb_result =
			        error_set(&x->cb_err, EFBIG,
			                  "a line of the daemon's response is longer than %u "
			                  "bytes",
			                  API_CLIENT_BODY_MAX);
			return 0;
		}
		if (strbuf_append(&x->line, data + i, len) < 0)
			return 0;
		i += len;
		if (nl) {
			i++;
			if (xfer_line_done(x) < 0)
				return 0;
		}
	}
	return n;
}

static size_t xfer_write(char *data, size_t size, size_t n, void *p)
{
	struct xfer *x = p;
	int r;

	if (!xfer_status_ok(x))
		return on_body(data, size, n, &x->resp);
	r = write_all(x->out_fd, data, n);
	if (r < 0) {
		x->out_errno = -r;
		return 0;
	}
	return n;
}

static void xfer_setup(struct xfer *x, const char *url)
{
	CURL *h = x->c->curl;

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, x->c->socket_path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "husk-client");
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &x->resp);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(h, CURLOPT_BUFFERSIZE, (long)XFER_BUF);
}

/* The outcome of a streamed transfer, most telling error first. */
static int xfer_finish(struct xfer *x, CURLcode cc, long *ret_status, struct husk_error **err)
{
	long status = 0;
	int r = 0;

	if (x->cb_result < 0)
		r = error_set(err, error_code(x->cb_err), "%s", error_message(x->cb_err));
	else if (x->in_errno)
		r = error_set_errno(err, x->in_errno, "read the request body");
	else if (x->out_errno)
		r = error_set_errno(err, x->out_errno, "write the response");
	else if (x->resp.too_big)
		r = error_set(err, EFBIG, "the daemon's response is larger than %u bytes",
		              API_CLIENT_BODY_MAX);
	else if (cc != CURLE_OK)
		r = transport_error(x->c, cc, err);
	if (r == 0) {
		curl_easy_getinfo(x->c->curl, CURLINFO_RESPONSE_CODE, &status);
		if (ret_status)
			*ret_status = status;
		if (status < 200 || status > 299)
			r = daemon_error(status, &x->resp, err);
		else if (x->line.len && xfer_line_done(x) < 0)
			r = error_set(err, error_code(x->cb_err), "%s", error_message(x->cb_err));
	}
	error_free(x->cb_err);
	strbuf_release(&x->line);
	strbuf_release(&x->resp.body);
	return r;
}

int api_client_upload(struct api_client *c, const char *method, const char *path, int body_fd,
                      const char *content_type, api_client_line_fn on_line, void *data,
                      long *ret_status, struct husk_error **err)
{
	_cleanup_free_ char *url = make_url(c, path, true);
	_cleanup_free_ char *ct =
	        str_printf("Content-Type: %s", content_type ?: "application/x-tar");
	struct xfer x = {.c = c, .in_fd = body_fd, .out_fd = -1, .on_line = on_line, .data = data};
	struct curl_slist *hdrs = NULL;
	CURLcode cc;

	if (!url || !ct)
		return error_set(err, ENOMEM, "out of memory");
	xfer_setup(&x, url);
	curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
	if (!streq(method, "POST"))
		curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c->curl, CURLOPT_READFUNCTION, xfer_read);
	curl_easy_setopt(c->curl, CURLOPT_READDATA, &x);
	curl_easy_setopt(c->curl, CURLOPT_UPLOAD_BUFFERSIZE, (long)XFER_BUF);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, xfer_lines);
	hdrs = curl_slist_append(hdrs, ct);
	hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
	/* no 100-continue round trip: the daemon reads as we send */
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdrs);
	cc = curl_easy_perform(c->curl);
	curl_slist_free_all(hdrs);
	return xfer_finish(&x, cc, ret_status, err);
}

int api_client_download(struct api_client *c, const char *path, int out_fd, struct husk_error **err)
{
	_cleanup_free_ char *url = make_url(c, path, true);
	struct xfer x = {.c = c, .in_fd = -1, .out_fd = out_fd};
	CURLcode cc;

	if (!url)
		return error_set(err, ENOMEM, "out of memory");
	xfer_setup(&x, url);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, xfer_write);
	cc = curl_easy_perform(c->curl);
	return xfer_finish(&x, cc, NULL, err);
}
