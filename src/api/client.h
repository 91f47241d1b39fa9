/* client.h — the Engine API client husk uses: HTTP/1.1 over the daemon's
 * unix socket, written directly on the socket (no libcurl: loading it
 * costs more than a whole `husk run`; see client.c).
 *
 * Knows HTTP and Docker's error JSON, nothing of containers or images:
 * the CLI links this and src/base only, never the engine.
 * Errors from the daemon come back as `Error response from daemon: <msg>`
 * with the code mapped from the HTTP status (404 ENOENT, 409 EEXIST,
 * 400 EINVAL, other EIO); transport failures name the socket.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>
#include "base/error.h"

#define API_CLIENT_VERSION  144 /* the newest API version husk speaks */
#define API_CLIENT_BODY_MAX (64u << 20)

struct api_client;

/* host: "unix:///path/to/sock" (tcp:// arrives with TLS support).
 * NULL with *err for a malformed or unsupported host. */
struct api_client *api_client_new(const char *host, struct husk_error **err);
void api_client_free(struct api_client *c);
DEFINE_CLEANUP_FUNC(struct api_client *, api_client_free)

const char *api_client_host(const struct api_client *c);

/* GET /_ping: learns the daemon's API version and uses min(ours, its).
 * -ECONNREFUSED / -ENOENT when nothing listens (the caller may start a
 * daemon), other -errno with *err otherwise. */
int api_client_ping(struct api_client *c, struct husk_error **err);
/* The negotiated version, e.g. 143. */
unsigned api_client_version(const struct api_client *c);

/* One request. `path` is without the version prefix and may carry a
 * query ("/containers/json?all=1"). body may be NULL. On 2xx, *ret (if
 * ret is non-NULL) gets the parsed JSON body, or NULL when empty. */
int api_client_call(struct api_client *c, const char *method, const char *path, json_t *body,
                    long *ret_status, json_t **ret, struct husk_error **err);

/* A line of a streamed response body, without its newline. Returning <0
 * (with *err set) stops the transfer with that error. */
typedef int (*api_client_line_fn)(const char *line, size_t len, void *data,
                                  struct husk_error **err);

/* A request whose body is body_fd read to EOF, sent with chunked transfer
 * encoding as it is read (image load, import, build contexts). A 2xx
 * response body is handed to on_line line by line as it arrives; another
 * status is the daemon's error. */
int api_client_upload(struct api_client *c, const char *method, const char *path, int body_fd,
                      const char *content_type, api_client_line_fn on_line, void *data,
                      long *ret_status, struct husk_error **err);
/* GET path, writing a 2xx response body to out_fd as it arrives (image
 * save). -errno with the daemon's error, or the write's. */
int api_client_download(struct api_client *c, const char *path, int out_fd,
                        struct husk_error **err);
/* A request with an optional JSON body and extra headers ("Name: value",
 * NULL-terminated; may be NULL) whose 2xx response body is handed to
 * on_line line by line as it arrives (pull, push: JSON progress
 * messages); another status is the daemon's error. */
int api_client_stream(struct api_client *c, const char *method, const char *path, json_t *body,
                      char *const *headers, api_client_line_fn on_line, void *data,
                      long *ret_status, struct husk_error **err);

/* ---- one request whose body is read as it comes (wait, logs, stats),
 * and hijacked connections (attach, exec start) ---- */
struct api_conn;

/* Send a request (body: JSON or NULL; headers: extra "Name: value" lines,
 * NULL-terminated, or NULL) and read the status line and headers. On 2xx
 * *ret is the open response; its body is read with api_conn_read*().
 * Another status is the daemon's error (-errno with *err). */
int api_client_open(struct api_client *c, const char *method, const char *path, json_t *body,
                    char *const *headers, struct api_conn **ret, struct husk_error **err);
/* POST path with `Connection: Upgrade`, `Upgrade: tcp` (attach, exec
 * start). After "101 UPGRADED" (or 200, which old daemons answer) the
 * connection is a raw byte stream both ways: api_conn_read() and
 * api_conn_write(). -EPROTO when the daemon answers 2xx without
 * upgrading; another status is the daemon's error. */
int api_client_hijack(struct api_client *c, const char *path, json_t *body, struct api_conn **ret,
                      struct husk_error **err);
long api_conn_status(const struct api_conn *conn);
/* The response's Content-Type ("" when none). */
const char *api_conn_content_type(const struct api_conn *conn);
/* The X-Docker-Container-Path-Stat header ("" when none): docker cp. */
const char *api_conn_path_stat(const struct api_conn *conn);
/* The socket, to poll for POLLIN. Bytes may already be buffered: poll
 * only when api_conn_buffered() is 0. */
int api_conn_fd(const struct api_conn *conn);
size_t api_conn_buffered(const struct api_conn *conn);
/* Up to len bytes of the body (de-chunked). The count, 0 at its end, or
 * -errno with *err (the daemon closing mid-body is -EPIPE). Blocks when
 * nothing is buffered. */
ssize_t api_conn_read(struct api_conn *conn, void *buf, size_t len, struct husk_error **err);
/* The rest of the body as JSON (*ret NULL when empty). */
int api_conn_read_json(struct api_conn *conn, json_t **ret, struct husk_error **err);
/* Write to a hijacked connection (never raises SIGPIPE). */
int api_conn_write(struct api_conn *conn, const void *buf, size_t len, struct husk_error **err);
/* shutdown(SHUT_WR): the daemon sees our stdin's end. 0 or -errno. */
int api_conn_close_write(struct api_conn *conn);
/* Close, or keep the connection for the client's next request when its
 * response was read to the end. Accepts NULL. */
void api_conn_free(struct api_conn *conn);
DEFINE_CLEANUP_FUNC(struct api_conn *, api_conn_free)

/* URL-escape a query value or path segment; NULL on OOM. */
char *api_client_escape(const char *s);
