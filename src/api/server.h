/* server.h — the Engine API HTTP server: listeners, routing, replies.
 *
 * HTTP/1.1 over unix sockets (TCP with TLS later) with libmicrohttpd, one
 * thread per connection. A route table maps (method, path pattern) to a
 * handler; `/v1.NN/` prefixes are checked against the supported range and
 * stripped. Handlers answer with exactly one api_reply_*() call: a JSON
 * body, Docker's error JSON ({"message": …}), a stream written by a
 * producer thread, or a hijacked raw socket (the `Upgrade: tcp` handshake
 * the docker CLI uses for attach and exec).
 * The server never interprets a request's meaning: that is the handlers'.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/error.h"

#define API_VERSION_MAX      144 /* 1.44 */
#define API_VERSION_MIN      124 /* 1.24 */
#define API_BODY_MAX_DEFAULT (4u << 20)

struct api_server;
struct api_request;

typedef void (*api_handler_fn)(struct api_request *req);

enum api_route_flags {
	/* The handler runs in its own thread from the moment headers arrive
	 * and reads the body from api_body_fd() as it streams in, with no
	 * size cap (image load, build contexts). */
	API_ROUTE_STREAM_BODY = 1 << 0,
};

struct api_route {
	const char *method;  /* "GET", "POST", …; HEAD is served by GET routes */
	const char *pattern; /* "/containers/{name}/json"; "{name*}" spans several segments */
	api_handler_fn handler;
	enum api_route_flags flags;
	size_t body_max; /* 0 = API_BODY_MAX_DEFAULT */
};

struct api_server_config {
	const struct api_route *routes; /* terminated by a NULL method */
	void *ctx;                      /* handed to handlers via api_ctx() */
	const char *server_header;      /* "husk/0.1.0 (linux)" */
};

/* A new server (no listener yet). NULL with *err on failure. */
struct api_server *api_server_new(const struct api_server_config *cfg, struct husk_error **err);
/* Listen on "unix:///path" (created mode `mode`, group gid unless -1; a
 * stale socket file is replaced, a live one is -EADDRINUSE). */
int api_server_listen_unix(struct api_server *s, const char *path, unsigned mode, int gid,
                           struct husk_error **err);
/* TLS for a TCP listener: PEM file paths. With ca set, every request
 * must come over a connection whose client certificate that CA signed
 * (dockerd's --tlsverify); others are dropped before any handler runs. */
struct api_tls_files {
	const char *cert;
	const char *key;
	const char *ca; /* NULL: no client-certificate check */
};
/* Listen on TCP "host:port" ("[::1]:2376", "0.0.0.0:2376"; port 0 picks
 * one). tls NULL serves plain HTTP. -EINVAL for a malformed address,
 * -ENOTSUP when libmicrohttpd lacks TLS. */
int api_server_listen_tcp(struct api_server *s, const char *addr, const struct api_tls_files *tls,
                          struct husk_error **err);
/* The port the n-th listener is bound to (TCP), or 0. */
unsigned api_server_port(const struct api_server *s, size_t n);
/* Serve a socket already bound and listening (systemd socket activation,
 * `-H fd://`); it is made close-on-exec and never unlinked. -EINVAL when fd
 * is not a listening stream socket. */
int api_server_listen_fd(struct api_server *s, int fd, struct husk_error **err);
/* Start serving every listener. */
int api_server_start(struct api_server *s, struct husk_error **err);
/* How many requests the server has begun to answer, ever. */
uint64_t api_server_requests(const struct api_server *s);
/* Stop accepting, tell streams to end (api_shutdown_fd becomes readable),
 * wait for connections, remove socket files. */
void api_server_stop(struct api_server *s);
void api_server_free(struct api_server *s);

/* Match path against pattern. Returns true and fills up to max captures
 * (names and values, malloc'd, caller frees with api_captures_free()). */
struct api_capture {
	char *name;
	char *value;
};
#define API_MAX_CAPTURES 4
bool api_route_match(const char *pattern, const char *path, struct api_capture *caps,
                     size_t *ncaps);
void api_captures_free(struct api_capture *caps, size_t n);

/* Parse "/v1.43/rest" → 143 and "/rest". No prefix gives version 0 and the
 * path unchanged. -EINVAL for a malformed version. */
int api_split_version(const char *url, unsigned *ret_version, const char **ret_path);

/* ---- inside a handler ---- */
void *api_ctx(const struct api_request *req);
const char *api_method(const struct api_request *req);
const char *api_path(const struct api_request *req);
unsigned api_version(const struct api_request *req); /* 143 for 1.43 */
/* The value of a {capture} in the route pattern, or NULL. */
const char *api_param(const struct api_request *req, const char *name);
/* A query argument (decoded), or NULL. */
const char *api_query(const struct api_request *req, const char *key);
/* Docker's bool query rule: "1"/"true"/"True" true, absent gives def. */
bool api_query_bool(const struct api_request *req, const char *key, bool def);
/* Every value of a repeated query argument ("names=a&names=b"), in order:
 * a new vector (empty when absent), NULL on OOM. */
char **api_query_list(const struct api_request *req, const char *key);
/* The "filters" query argument: Docker's JSON map, or NULL when absent.
 * On malformed JSON it replies 400 itself and returns -EINVAL. */
int api_query_filters(struct api_request *req, json_t **ret);
const char *api_header(const struct api_request *req, const char *name);
/* The buffered body (NUL-terminated) and its length; "" when none. */
const char *api_body(const struct api_request *req, size_t *ret_len);
/* The body as JSON; on failure replies 400 itself and returns NULL. An
 * empty body gives an empty object. */
json_t *api_body_json(struct api_request *req);
/* API_ROUTE_STREAM_BODY routes: the fd to read the body from (EOF at the
 * end), and whether that EOF was the client giving up mid-body. */
int api_body_fd(const struct api_request *req);
bool api_body_truncated(const struct api_request *req);
/* Readable once the server is shutting down: streams poll it and stop. */
int api_shutdown_fd(const struct api_request *req);

/* Replies: a handler calls exactly one. JSON bodies are stolen. */
void api_reply_json(struct api_request *req, unsigned status, json_t *body);
void api_reply_error(struct api_request *req, unsigned status, const char *fmt, ...) _printf_(3, 4);
/* Status code chosen from the error code: ENOENT 404, EEXIST/EBUSY 409,
 * EINVAL 400, else 500. */
void api_reply_husk_error(struct api_request *req, const struct husk_error *err);
void api_reply_status(struct api_request *req, unsigned status);
void api_reply_data(struct api_request *req, unsigned status, const char *content_type,
                    const void *data, size_t len);
void api_reply_header(struct api_request *req, const char *name, const char *value);

/* A streamed body: `producer` runs in its own thread and writes the body
 * to `fd`, a pipe (blocking; EPIPE once the client has gone; end by
 * returning). A producer that waits for something else polls `fd` too:
 * POLLERR there means the client went away. Headers are sent at once
 * (chunked). `done` (may be NULL) frees data after the producer ended. */
typedef void (*api_producer_fn)(int fd, int shutdown_fd, void *data);
void api_reply_stream(struct api_request *req, unsigned status, const char *content_type,
                      api_producer_fn producer, void *data, void (*done)(void *data));

/* Hijack: reply 101 UPGRADED (`Upgrade: tcp`, as the docker CLI and SDKs
 * ask) and hand the raw socket to `fn` in its own thread; bytes the client
 * sent after its headers are in `pending`. The socket is closed after fn
 * returns; fn may shutdown() it. A client that did not ask to upgrade gets
 * 400. */
struct api_hijack {
	int sock;
	const void *pending;
	size_t pending_len;
	int shutdown_fd;
};
typedef void (*api_hijack_fn)(const struct api_hijack *h, void *data);
void api_reply_hijack(struct api_request *req, const char *content_type, api_hijack_fn fn,
                      void *data, void (*done)(void *data));
