/* server.c — husk-registry's HTTP side: the listener, libmicrohttpd's
 * request lifecycle (one thread per connection, bodies streamed to the
 * endpoints piece by piece), basic auth, the endpoint table, replies in
 * the spec's error shape and one log line per request. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"
#include "registry/server_internal.h"

#define PEM_MAX         (1u << 20)
#define CONN_MEMORY     (128u << 10) /* MHD's per-connection buffer: bigger reads of bodies */
#define CONN_TIMEOUT    300          /* seconds a connection may stay idle */
#define CONN_HARD_EXTRA 32           /* connections past max that still get a 429 */

static void h_base(struct reg_request *req);

/* What every method of every endpoint is; HEAD is served by GET. */
static const struct reg_endpoint endpoints[] = {
        {ROUTE_BASE, "GET", h_base, NULL, NULL, 0},
        {ROUTE_CATALOG, "GET", h_catalog, NULL, NULL, 0},
        {ROUTE_TAGS, "GET", h_tags_list, NULL, NULL, 0},
        {ROUTE_MANIFEST, "GET", h_manifest_get, NULL, NULL, 0},
        {ROUTE_MANIFEST, "PUT", h_manifest_put, h_manifest_data, h_manifest_put_end,
         EP_WRITE | EP_BODY},
        {ROUTE_MANIFEST, "DELETE", h_manifest_delete, NULL, NULL, EP_WRITE},
        {ROUTE_BLOB, "GET", h_blob_get, NULL, NULL, 0},
        {ROUTE_BLOB, "DELETE", h_blob_delete, NULL, NULL, EP_WRITE},
        {ROUTE_UPLOAD, "POST", h_upload_post, h_upload_data, h_upload_post_end, EP_WRITE | EP_BODY},
        {ROUTE_UPLOAD, "PATCH", h_upload_patch, h_upload_data, h_upload_patch_end,
         EP_WRITE | EP_BODY},
        {ROUTE_UPLOAD, "PUT", h_upload_put, h_upload_data, h_upload_put_end, EP_WRITE | EP_BODY},
        {ROUTE_UPLOAD, "GET", h_upload_get, NULL, NULL, 0},
        {ROUTE_UPLOAD, "DELETE", h_upload_delete, NULL, NULL, EP_WRITE},
        {ROUTE_REFERRERS, "GET", h_referrers, NULL, NULL, 0},
};

/* --- request accessors ------------------------------------------------------ */

const char *reg_header(const struct reg_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *reg_query(const struct reg_request *req, const char *key)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

bool reg_replied(const struct reg_request *req)
{
	return req->resp != NULL || req->status != 0;
}

/* --- replies ---------------------------------------------------------------- */

void reg_reply_header(struct reg_request *req, const char *name, const char *value)
{
	if (req->resp) {
		MHD_add_response_header(req->resp, name, value);
		return;
	}
	if (req->n_heads >= REG_MAX_REPLY_HEADS)
		return;
	req->heads[req->n_heads].name = strdup(name);
	req->heads[req->n_heads].value = strdup(value);
	req->n_heads++;
}

void reg_reply_headerf(struct reg_request *req, const char *name, const char *fmt, ...)
{
	_cleanup_free_ char *v = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&v, fmt, ap);
	va_end(ap);
	if (r >= 0)
		reg_reply_header(req, name, v);
	else
		v = NULL;
}

/* Make resp the reply (the first reply wins; a second is a bug, dropped). */
static void set_reply(struct reg_request *req, unsigned status, struct MHD_Response *resp,
                      uint64_t len)
{
	if (!resp) {
		log_error("registry: cannot allocate a response for %s %s", req->method, req->path);
		return;
	}
	if (reg_replied(req)) {
		MHD_destroy_response(resp);
		return;
	}
	MHD_add_response_header(resp, "Docker-Distribution-API-Version", REG_API_VERSION);
	for (size_t i = 0; i < req->n_heads; i++)
		if (req->heads[i].name && req->heads[i].value)
			MHD_add_response_header(resp, req->heads[i].name, req->heads[i].value);
	req->resp = resp;
	req->status = status;
	req->bytes_out = req->head ? 0 : len;
}

static void reply_buffer(struct reg_request *req, unsigned status, const char *content_type,
                         const void *data, size_t len)
{
	struct MHD_Response *r =
	        MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);

	if (r && content_type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	set_reply(req, status, r, len);
}

void reg_reply_empty(struct reg_request *req, unsigned status)
{
	reply_buffer(req, status, NULL, "", 0);
}

void reg_reply_json(struct reg_request *req, unsigned status, const char *content_type,
                    json_t *body)
{
	_cleanup_free_ char *s = body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

	json_decref(body);
	if (!s) {
		reply_buffer(req, 500, "application/json", "", 0);
		return;
	}
	reply_buffer(req, status, content_type, s, strlen(s));
}

void reg_reply_error(struct reg_request *req, unsigned status, const char *code, json_t *detail,
                     const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	json_t *body;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		msg = NULL;
	log_debug("%s %s: %u %s: %s", req->method, req->path, status, code,
	          msg ? msg : "out of memory");
	body = json_pack("{s:[{s:s,s:s,s:o}]}", "errors", "code", code, "message",
	                 msg ? msg : "out of memory", "detail", detail ? detail : json_null());
	reg_reply_json(req, status, "application/json; charset=utf-8", body);
}

void reg_reply_internal(struct reg_request *req, const struct husk_error *err)
{
	log_error("%s %s: %s", req->method, req->path, error_message(err));
	reg_reply_error(req, 500, ERR_UNKNOWN, NULL, "%s", error_message(err));
}

void reg_reply_fd(struct reg_request *req, unsigned status, const char *content_type, int fd,
                  uint64_t offset, uint64_t len)
{
	struct MHD_Response *r = MHD_create_response_from_fd_at_offset64(len, fd, offset);

	if (!r) {
		safe_close(fd);
		reg_reply_error(req, 500, ERR_UNKNOWN, NULL, "cannot send the content");
		return;
	}
	if (content_type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	set_reply(req, status, r, len);
}

static void h_base(struct reg_request *req)
{
	reg_reply_json(req, 200, "application/json; charset=utf-8", json_object());
}

/* --- the request lifecycle ---------------------------------------------------- */

static void request_free(struct reg_request *req)
{
	if (!req)
		return;
	if (req->resp)
		MHD_destroy_response(req->resp);
	for (size_t i = 0; i < req->n_heads; i++) {
		free(req->heads[i].name);
		free(req->heads[i].value);
	}
	strbuf_release(&req->body);
	reg_route_release(&req->route);
	free(req->path);
	free(req);
}

static bool authorized(struct reg_request *req)
{
	char *pass = NULL;
	char *user;
	bool ok;

	if (!req->srv->auth)
		return true;
	user = MHD_basic_auth_get_username_password(req->conn, &pass);
	ok = user && pass && htpasswd_check(req->srv->auth, user, pass);
	if (pass) {
		explicit_bzero(pass, strlen(pass));
		MHD_free(pass);
	}
	if (user)
		MHD_free(user);
	return ok;
}

static const struct reg_endpoint *find_endpoint(enum reg_route_kind kind, const char *method)
{
	for (size_t i = 0; i < ELEMENTSOF(endpoints); i++)
		if (endpoints[i].kind == kind && streq(endpoints[i].method, method))
			return &endpoints[i];
	return NULL;
}

static bool has_body(const struct reg_request *req)
{
	const char *cl = reg_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);

	return (cl && !streq(cl, "0")) || reg_header(req, MHD_HTTP_HEADER_TRANSFER_ENCODING);
}

/* Headers are in: check, route, and hand to the endpoint's begin(). */
static void request_begin(struct reg_request *req)
{
	struct registry_server *srv = req->srv;
	int r;

	req->begun = true;
	if (__atomic_load_n(&srv->connections, __ATOMIC_RELAXED) > srv->cfg.max_connections) {
		reg_reply_header(req, "Retry-After", "1");
		reg_reply_error(req, 429, ERR_TOOMANYREQUESTS, NULL,
		                "too many connections: try again later");
		return;
	}
	if (!authorized(req)) {
		reg_reply_header(req, "WWW-Authenticate", "Basic realm=\"husk-registry\"");
		reg_reply_error(req, 401, ERR_UNAUTHORIZED, NULL, "authentication required");
		return;
	}
	r = reg_route_parse(req->path, &req->route);
	if (r == -EINVAL) {
		reg_reply_error(req, 400, ERR_NAME_INVALID,
		                json_pack("{s:s}", "name", req->route.name),
		                "invalid repository name");
		return;
	}
	if (r == -ENOMEM) {
		reg_reply_error(req, 500, ERR_UNKNOWN, NULL, "out of memory");
		return;
	}
	if (r < 0) {
		reg_reply_error(req, 404, ERR_UNSUPPORTED, NULL, "no such endpoint \"%s\"",
		                req->path);
		return;
	}
	/* every path names one kind of endpoint: a method it lacks is 405 */
	req->ep = find_endpoint(req->route.kind, req->head ? "GET" : req->method);
	if (!req->ep) {
		reg_reply_error(req, 405, ERR_UNSUPPORTED, NULL, "method %s is not supported here",
		                req->method);
		return;
	}
	if ((req->ep->flags & EP_WRITE) && srv->cfg.read_only) {
		reg_reply_error(req, 405, ERR_UNSUPPORTED, NULL, "the registry is read-only");
		return;
	}
	req->ep->begin(req);
}

static enum MHD_Result queue_reply(struct reg_request *req)
{
	enum MHD_Result r;

	if (!req->resp) {
		reg_reply_error(req, 500, ERR_UNKNOWN, NULL, "no reply");
		if (!req->resp)
			return MHD_NO;
	}
	/* the client may send its next request (on another connection)
	 * as soon as it has this reply: the upload must be free by then */
	reg_upload_request_done(req);
	r = MHD_queue_response(req->conn, req->status, req->resp);
	MHD_destroy_response(req->resp);
	req->resp = NULL;
	return r;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
	struct reg_request *req = *con_cls;
	size_t n;

	if (!req) {
		req = calloc(1, sizeof(*req));
		if (!req)
			return MHD_NO;
		*con_cls = req;
		*req = (struct reg_request){
		        .srv = cls, .conn = conn, .method = method, .head = streq(method, "HEAD")};
		clock_gettime(CLOCK_MONOTONIC, &req->start);
		req->path = strdup(url);
		if (!req->path)
			return MHD_NO;
		/* A reply queued now, before MHD has read the whole request,
		 * costs the connection (MHD closes it after the reply): only
		 * requests with a body start here, where an early error saves
		 * reading it. */
		if (!has_body(req))
			return MHD_YES;
		request_begin(req);
		if (req->resp)
			return queue_reply(req);
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		n = *upload_data_size;
		*upload_data_size = 0;
		req->bytes_in += n;
		if (reg_replied(req) || !req->ep || !req->ep->data) {
			/* an error is waiting: read the rest, up to a point */
			req->discarded += n;
			return req->discarded > REG_DISCARD_MAX ? MHD_NO : MHD_YES;
		}
		req->ep->data(req, upload_data, n);
		return MHD_YES;
	}
	if (req->status != 0 && !req->resp)
		return MHD_YES; /* queued already */
	if (!req->begun)
		request_begin(req);
	if (!req->resp && req->ep && req->ep->end)
		req->ep->end(req);
	return queue_reply(req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct reg_request *req = *con_cls;
	const union MHD_ConnectionInfo *ci;
	char addr[INET6_ADDRSTRLEN] = "-";
	struct timespec now;
	double ms;

	if (!req)
		return;
	*con_cls = NULL;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, addr,
			          sizeof(addr));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, addr,
			          sizeof(addr));
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (double)(now.tv_sec - req->start.tv_sec) * 1e3 +
	     (double)(now.tv_nsec - req->start.tv_nsec) / 1e6;
	log_info("%s \"%s %s\" %u %" PRIu64 " bytes (received %" PRIu64 ") %.1f ms%s", addr,
	         req->method, req->path, req->status, req->bytes_out, req->bytes_in, ms,
	         toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (connection ended early)");
	reg_upload_request_done(req);
	request_free(req);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
	struct registry_server *srv = cls;

	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		__atomic_add_fetch(&srv->connections, 1, __ATOMIC_RELAXED);
	else if (code == MHD_CONNECTION_NOTIFY_CLOSED)
		__atomic_sub_fetch(&srv->connections, 1, __ATOMIC_RELAXED);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	_cleanup_free_ char *msg = NULL;

	if (vasprintf(&msg, fmt, ap) < 0)
		return;
	msg[strcspn(msg, "\n")] = 0;
	log_debug("libmicrohttpd: %s", msg);
}

/* --- the listener ----------------------------------------------------------- */

/* "host:port", "[v6]:port" or ":port" into host (NULL: any) and port. */
static int split_addr(const char *addr, char **ret_host, char **ret_port, struct husk_error **err)
{
	const char *colon;

	if (addr[0] == '[') {
		const char *end = strchr(addr, ']');
		if (!end || end[1] != ':')
			goto bad;
		if (!(*ret_host = strndup(addr + 1, (size_t)(end - addr - 1))))
			return error_set(err, ENOMEM, "out of memory");
		colon = end + 1;
	} else {
		colon = strrchr(addr, ':');
		if (!colon || memchr(addr, ':', (size_t)(colon - addr)))
			goto bad;
		*ret_host = colon == addr ? NULL : strndup(addr, (size_t)(colon - addr));
	}
	if (!colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1))
		goto bad;
	*ret_port = strdup(colon + 1);
	if (!*ret_port || (colon != addr && !*ret_host))
		return error_set(err, ENOMEM, "out of memory");
	return 0;
bad:
	return error_set(err, EINVAL,
	                 "invalid address \"%s\": expected host:port, [ipv6]:port or :port", addr);
}

static bool sockaddr_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return false;
}

static char *sockaddr_string(const struct sockaddr *sa)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		return str_printf("[%s]:%u", host, ntohs(s6->sin6_port));
	}
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
	inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
	return str_printf("%s:%u", host, ntohs(s4->sin_port));
}

static int listen_on(struct registry_server *srv, struct husk_error **err)
{
	_cleanup_free_ char *host = NULL, *port = NULL;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
	                         .ai_flags = AI_PASSIVE | AI_NUMERICSERV | AI_ADDRCONFIG};
	struct addrinfo *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd, one = 1, r;

	r = split_addr(srv->addr, &host, &port, err);
	if (r < 0)
		return r;
	if (!host)
		hints.ai_family =
		        AF_INET; /* ":5000": every IPv4 address, as Go's ":5000" mostly does */
	r = getaddrinfo(host, port, &hints, &ai);
	if (r != 0)
		return error_set(err, EINVAL, "resolve \"%s\": %s", srv->addr, gai_strerror(r));
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 128) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		r = error_set_errno(err, errno, "listen on \"%s\"", srv->addr);
		safe_close(fd);
		freeaddrinfo(ai);
		return r;
	}
	freeaddrinfo(ai);
	srv->listen_fd = fd;
	srv->bound = sockaddr_string((struct sockaddr *)&ss);
	if (!srv->bound)
		return error_set(err, ENOMEM, "out of memory");
	if (!sockaddr_loopback((struct sockaddr *)&ss) && !srv->tls_cert_pem)
		log_warn("listening on %s, not a loopback address, without TLS: credentials and "
		         "images travel in the clear",
		         srv->bound);
	return 0;
}

static int read_pem(const char *path, const char *what, char **ret, struct husk_error **err)
{
	int r = read_file(path, PEM_MAX, ret, NULL, err);

	return r < 0 ? error_wrap(err, "TLS %s", what) : 0;
}

/* Copy the config so the caller's strings may go. */
static int copy_config(struct registry_server *srv, const struct registry_server_config *cfg,
                       struct husk_error **err)
{
	srv->cfg = *cfg;
	srv->addr = strdup(cfg->addr ? cfg->addr : REGISTRY_DEFAULT_ADDR);
	srv->root = strdup(cfg->root ? cfg->root : REGISTRY_DEFAULT_ROOT);
	if (!srv->addr || !srv->root)
		return error_set(err, ENOMEM, "out of memory");
	srv->cfg.addr = srv->addr;
	srv->cfg.root = srv->root;
	srv->cfg.htpasswd = srv->cfg.tls_cert = srv->cfg.tls_key = NULL;
	if (srv->cfg.upload_ttl <= 0)
		srv->cfg.upload_ttl = REGISTRY_UPLOAD_TTL_DEFAULT;
	if (srv->cfg.max_connections == 0)
		srv->cfg.max_connections = REGISTRY_MAX_CONNECTIONS;
	return 0;
}

static int setup_tls(struct registry_server *srv, const struct registry_server_config *cfg,
                     struct husk_error **err)
{
	int r;

	if (!cfg->tls_cert && !cfg->tls_key)
		return 0;
	if (!cfg->tls_cert || !cfg->tls_key)
		return error_set(err, EINVAL, "TLS needs both --tls-cert and --tls-key");
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return error_set(err, ENOTSUP,
		                 "TLS is not available: this libmicrohttpd was built without it");
	r = read_pem(cfg->tls_cert, "certificate", &srv->tls_cert_pem, err);
	if (r == 0)
		r = read_pem(cfg->tls_key, "key", &srv->tls_key_pem, err);
	return r;
}

/* Shared while serving read-write; gc takes it exclusively. */
static int take_root_lock(struct registry_server *srv, struct husk_error **err)
{
	if (srv->cfg.read_only)
		return 0;
	srv->lock_fd = open(srv->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (srv->lock_fd < 0)
		return error_set_errno(err, errno, "open \"%s\"", srv->root);
	if (flock(srv->lock_fd, LOCK_SH | LOCK_NB) < 0)
		return error_set(err, EBUSY, "\"%s\" is locked: husk-registry gc is running there",
		                 srv->root);
	return 0;
}

struct registry_server *registry_server_new(const struct registry_server_config *cfg,
                                            struct husk_error **err)
{
	_cleanup_(registry_server_freep) struct registry_server *srv = calloc(1, sizeof(*srv));
	int r;

	if (!srv) {
		error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	srv->listen_fd = srv->lock_fd = -1;
	pthread_mutex_init(&srv->lock, NULL);
	if (copy_config(srv, cfg, err) < 0 || setup_tls(srv, cfg, err) < 0)
		return NULL;
	/* read-only: the storage is not created, changed or purged either */
	if (regstore_open(srv->root, !srv->cfg.read_only, &srv->store, err) < 0 ||
	    take_root_lock(srv, err) < 0)
		return NULL;
	r = srv->cfg.read_only
	            ? 0
	            : regstore_uploads_purge(srv->store, srv->cfg.upload_ttl, NULL, NULL);
	if (r > 0)
		log_info("removed %d abandoned upload(s)", r);
	srv->last_purge = time(NULL);
	if (cfg->htpasswd && htpasswd_load(cfg->htpasswd, &srv->auth, err) < 0)
		return NULL;
	if (srv->auth && htpasswd_count(srv->auth) == 0)
		log_warn("htpasswd file \"%s\" has no users: every request will be refused",
		         cfg->htpasswd);
	if (listen_on(srv, err) < 0)
		return NULL;
	return TAKE_PTR(srv);
}

const char *registry_server_address(const struct registry_server *s)
{
	return s->bound;
}

int registry_server_start(struct registry_server *srv, struct husk_error **err)
{
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
	                 MHD_USE_POLL | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem tls[] = {
	        {MHD_OPTION_HTTPS_MEM_KEY, 0, srv->tls_key_pem},
	        {MHD_OPTION_HTTPS_MEM_CERT, 0, srv->tls_cert_pem},
	        {MHD_OPTION_END, 0, NULL},
	};
	int fd;

	if (srv->tls_cert_pem)
		flags |= MHD_USE_TLS;
	/* MHD closes the socket it is given when it stops, and maybe when
	 * it fails to start: it gets a copy, ours is closed either way */
	fd = fcntl(srv->listen_fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return error_set_errno(err, errno, "listen on %s", srv->bound);
	srv->mhd = MHD_start_daemon(
	        flags, 0, NULL, NULL, on_access, srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv,
	        MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
	        MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv, MHD_OPTION_CONNECTION_LIMIT,
	        (unsigned)(srv->cfg.max_connections + CONN_HARD_EXTRA),
	        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONN_TIMEOUT,
	        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY, MHD_OPTION_ARRAY,
	        srv->tls_cert_pem ? tls : tls + 2, MHD_OPTION_END);
	srv->listen_fd = safe_close(srv->listen_fd);
	if (!srv->mhd)
		return error_set(err, EIO, "start the HTTP server on %s%s", srv->bound,
		                 srv->tls_cert_pem ? " (is the TLS key or certificate invalid?)"
		                                   : "");
	return 0;
}

void registry_server_stop(struct registry_server *srv)
{
	if (!srv || !srv->mhd)
		return;
	MHD_stop_daemon(srv->mhd);
	srv->mhd = NULL;
}

void registry_server_free(struct registry_server *srv)
{
	if (!srv)
		return;
	registry_server_stop(srv);
	safe_close(srv->listen_fd);
	safe_close(srv->lock_fd);
	reg_uploads_free(srv);
	regstore_free(srv->store);
	htpasswd_free(srv->auth);
	if (srv->tls_key_pem)
		explicit_bzero(srv->tls_key_pem, strlen(srv->tls_key_pem));
	free(srv->tls_key_pem);
	free(srv->tls_cert_pem);
	free(srv->addr);
	free(srv->root);
	free(srv->bound);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}
