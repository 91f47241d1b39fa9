/* internal.h — what the files of the registry client share: the HTTP
 * transport over libcurl (http.c), WWW-Authenticate challenges and bearer
 * tokens (auth.c), registry hosts, endpoints and their TLS material
 * (hosts.c), and the record of which repositories a blob came from
 * (sources.c). Not for other modules; the pure functions are declared here
 * so that tests/unit/test_registry_client.c can reach them.
 *
 * Must never: send an Authorization header to an origin other than the
 * registry endpoint it was made for (redirects, foreign URLs), put
 * credentials or query strings into a message, or buffer a body a peer
 * controls without a cap.
 */
#pragma once

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "registry/registry.h"

#define REG_ERROR_BODY_MAX    (64u << 10) /* an error body kept for its message */
#define REG_TOKEN_BODY_MAX    (1u << 20)  /* a token server's answer */
#define REG_TAGS_BODY_MAX     (8u << 20)  /* one page of a tag list */
#define REG_MAX_REDIRECTS     10
#define REG_MAX_ATTEMPTS      5   /* tries of one request (transport errors, 5xx, 429) */
#define REG_BACKOFF_MS        200 /* first pause between tries; doubles */
#define REG_BACKOFF_MAX_MS    5000
#define REG_CHUNK_SIZE        (32u << 20) /* uploads past this go in PATCH chunks */
#define REG_MAX_CHALLENGES    8
#define REG_MAX_TOKENS        64
#define REG_TOKEN_DEFAULT_TTL 60 /* seconds, as the token spec says for a missing expires_in */
#define REG_PROGRESS_NS       (100 * 1000000LL) /* at most 10 progress events a second per item */
#define REG_CONNECT_TIMEOUT   30
#define REG_STALL_TIMEOUT     60 /* seconds without a byte before a transfer is dropped */
#define REG_SOURCES_FILE      "registry-sources.json"
#define REG_SOURCES_LOCK      "registry-sources.lock"
#define REG_SOURCES_PER_BLOB  8
#define REG_SOURCES_MAX       (16u << 20)

/* Add context to *err and keep the code r (error_wrap() alone says EIO
 * when the caller passed no err). */
#define reg_wrap(r, err, ...)                                                                      \
	({                                                                                         \
		int _r = (r);                                                                      \
		if (_r < 0)                                                                        \
			error_wrap(err, __VA_ARGS__);                                              \
		_r;                                                                                \
	})

/* ---- hosts.c: endpoints, insecure rules, TLS material ---- */

struct reg_tls {
	bool skip_verify; /* an insecure registry: TLS without verification */
	char *ca_pem;     /* the system CAs plus certs.d's *.crt, or NULL for curl's default */
	size_t ca_pem_len;
	char *cert, *key; /* client certificate and key files, or NULL */
};
void reg_tls_release(struct reg_tls *t);

struct reg_client;

/* A base URL a registry answers on: https or http, and the credentials and
 * authorisation state that belong to it. */
struct reg_endpoint {
	struct reg_client *c;
	char *scheme; /* "https" or "http" */
	char *host;   /* host[:port] as in a URL: "127.0.0.1:5000", "[::1]:5000" */
	char *origin; /* scheme://host */
	bool mirror;
	struct reg_tls tls;
	struct registry_auth auth; /* may be all NULL: anonymous */
	/* under c->lock: what the ping and 401s taught */
	bool pinged;
	struct reg_challenge *challenges;
	size_t n_challenges;
};
void reg_endpoint_free(struct reg_endpoint *ep);
DEFINE_CLEANUP_FUNC(struct reg_endpoint *, reg_endpoint_free)

/* True when host ("host[:port]", "[::1]:5000") may be spoken to without
 * verified TLS: listed in o->insecure (as host:port or host, or inside a
 * listed CIDR), or on loopback (127.0.0.0/8, ::1, localhost). */
bool reg_host_insecure(const struct registry_options *o, const char *host);
/* True when host names a loopback address (no lookup for names other
 * than localhost). */
bool reg_host_is_loopback(const char *host);
/* True when ip (a literal, no brackets) is inside cidr ("10.0.0.0/8",
 * "::1/128"); false for anything malformed. */
bool reg_cidr_contains(const char *cidr, const char *ip);
/* The API host of a reference's domain: docker.io → registry-1.docker.io,
 * others unchanged. NULL on OOM. */
char *reg_api_host(const char *domain);
/* The TLS material for host from the certs dirs (<dir>/<host>/{*.crt,
 * *.cert, *.key}): -EINVAL for a client certificate without its key or the
 * reverse, -errno when a file cannot be read. */
int reg_tls_load(const struct registry_options *o, const char *host, struct reg_tls *ret,
                 struct husk_error **err);
/* The endpoints to try for the registry of domain, in order: for docker.io
 * and a pull, the mirrors first; for an insecure host, https (unverified)
 * then plain http; otherwise https alone. Each with its credentials
 * (mirrors get only credentials filed under their own host). */
int reg_endpoints(struct reg_client *c, const char *domain, bool pull, struct reg_endpoint ***ret,
                  size_t *ret_n, struct husk_error **err);
void reg_endpoints_free(struct reg_endpoint **v, size_t n);

/* ---- http.c: one client per operation ---- */

struct reg_token {
	char *key; /* realm \n service \n scopes */
	char *token;
	int64_t expires; /* CLOCK_MONOTONIC seconds */
};

struct reg_client {
	const struct registry_options *o;
	CURLSH *share; /* connections, DNS and TLS sessions across the operation's threads */
	pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
	pthread_mutex_t lock; /* endpoints' challenges, the token cache */
	struct reg_token tokens[REG_MAX_TOKENS];
	size_t n_tokens;
	char *user_agent;
	registry_progress_fn progress;
	void *progress_data;
	pthread_mutex_t progress_lock;
};

int reg_client_new(const struct registry_options *o, registry_progress_fn progress, void *data,
                   struct reg_client **ret, struct husk_error **err);
void reg_client_free(struct reg_client *c);
DEFINE_CLEANUP_FUNC(struct reg_client *, reg_client_free)

/* Report an event (serialised; a NULL progress callback drops it). */
void reg_emit(struct reg_client *c, const char *id, const char *status, uint64_t current,
              uint64_t total);

/* A throttle for one item's progress events. */
struct reg_throttle {
	int64_t last_ns;
};
/* True when an event now keeps the item under 10 a second (final: always). */
bool reg_throttle_pass(struct reg_throttle *t, bool final);

/* Where the body of a 2xx answer goes, instead of the buffer: begin is
 * called once before the first byte (or at the end of an empty body) with
 * the status and the offset the body starts at (the Content-Range start of
 * a 206, else 0); write with each piece. Both return 0 or -errno (the
 * transfer is then abandoned, the error kept by the owner). */
struct reg_sink {
	int (*begin)(long status, uint64_t start, void *data);
	int (*write)(const void *buf, size_t len, void *data);
	void *data;
};

/* Called with the bytes sent and received so far of one exchange. */
typedef void (*reg_xfer_fn)(uint64_t sent, uint64_t received, void *data);

struct reg_request {
	const char *method; /* "GET", "HEAD", "POST", "PUT", "PATCH" */
	const char *url;    /* absolute, or a path ("/v2/…") on the endpoint */
	const char *accept;
	const char *content_type;
	const char *content_range; /* PATCH chunks: "start-end" */
	uint64_t range_start;      /* > 0: Range: bytes=<n>- */
	/* the body: body_len bytes in memory, or of body_fd from body_off */
	const void *body;
	size_t body_len;
	bool fd_body;
	int body_fd;
	uint64_t body_off;
	const char *scope; /* "repository:a/b:pull" …, space-separated; NULL: none */
	size_t max_body;   /* the buffered body's cap; 0: REG_ERROR_BODY_MAX */
	const struct reg_sink *sink;
	reg_xfer_fn xfer;
	void *xfer_data;
	bool no_retry;  /* one try only (pings probing https, resumable downloads) */
	bool anonymous; /* never any Authorization (foreign URLs, probes) */
};

struct reg_response {
	long status;
	char *url;           /* the URL that answered, after redirects */
	char *content_type;  /* the headers, or NULL when absent */
	char *docker_digest; /* Docker-Content-Digest */
	char *location;      /* resolved against url */
	char *content_range;
	char *link;
	char *chunk_min; /* OCI-Chunk-Min-Length */
	char *retry_after;
	char **www_authenticate;
	int64_t content_length; /* -1 when unknown */
	char *body;             /* buffered body (NUL-terminated), or NULL */
	size_t body_len;
	uint64_t delivered; /* bytes given to the sink */
	bool truncated;     /* the buffered body hit its cap */
	bool transport;     /* the error was the connection's, not an HTTP answer */
	bool retryable;     /* …and a new try may succeed */
};
void reg_response_release(struct reg_response *rs);

/* One request to ep: ep's credentials or token for rq->scope (learnt from
 * its challenges; a 401 with a new challenge is answered once), redirects
 * followed by hand with credentials dropped for any other origin, GET/HEAD
 * retried with backoff on 5xx, 429 and broken connections while nothing
 * went to a sink. 0 with rs filled for any HTTP answer (the status is the
 * caller's to judge); -errno for a transport failure (`Get "URL": …`). */
int reg_send(struct reg_endpoint *ep, const struct reg_request *rq, struct reg_response *rs,
             struct husk_error **err);
/* The same to an absolute URL with no registry behind it (a token realm,
 * a foreign layer URL): authorization (may be NULL) goes only to url's own
 * origin; TLS as hosts.c decides for url's host; plain http only for an
 * insecure or loopback host. */
int reg_fetch_url(struct reg_client *c, const struct reg_request *rq, const char *authorization,
                  struct reg_response *rs, struct husk_error **err);
/* GET /v2/ on ep once (cached): learns the challenges; -errno when ep does
 * not answer as a registry. */
int reg_ping(struct reg_endpoint *ep, struct husk_error **err);

/* ---- http.c: pure helpers ---- */

/* scheme://host[:port] of url, lower-cased scheme and host, the default
 * port dropped; NULL when url is not an absolute http(s) URL or on OOM. */
char *reg_url_origin(const char *url);
/* True when credentials made for from_url may go with a request to to_url:
 * the same scheme, host and port. */
bool reg_same_origin(const char *from_url, const char *to_url);
/* url without userinfo, query or fragment, for messages. NULL on OOM. */
char *reg_url_redact(const char *url);
/* Resolve ref (absolute or relative) against base. NULL when invalid. */
char *reg_url_resolve(const char *base, const char *ref);
/* The host[:port] of an absolute URL ("[::1]:5000" keeps brackets). */
char *reg_url_host(const char *url);
/* Add "name=value" (value %-escaped) to url's query. NULL on OOM. */
char *reg_url_add_query(const char *url, const char *name, const char *value);
/* "Get", "Head", "Put": how Go names a method in Docker's messages. */
const char *reg_method_word(const char *method);

/* Docker's message for an HTTP error answer: the distribution spec's
 * {"errors":[{"code","message"}]} ("manifest unknown: manifest unknown";
 * several: "errors:\n…"), a {"details": …} body, the error of a bearer
 * challenge, else "received unexpected HTTP status: 500 Internal Server
 * Error". NULL on OOM. */
char *reg_error_message(long status, const char *body, size_t len, char *const *challenges);
/* The errno for an HTTP status: 404 → ENOENT, 401/403 → EACCES, 429 →
 * EAGAIN, 400/405/415 … → EINVAL, 5xx → EIO, other → EPROTO. */
int reg_status_errno(long status);
/* "Not Found" for 404 …; "" when unknown. */
const char *reg_status_text(long status);
/* error_set() with the answer's message: "<prefix>: <message>". */
int reg_status_error(const struct reg_response *rs, struct husk_error **err, const char *fmt, ...)
        _printf_(3, 4);

/* Parse a Content-Range value "bytes <start>-<end>/<total|*>" (total -1
 * when "*"). -EINVAL when malformed. */
int reg_content_range_parse(const char *v, uint64_t *ret_start, uint64_t *ret_end,
                            int64_t *ret_total);

enum reg_resume {
	REG_RESUME_CONTINUE, /* a 206 starting where we stopped: append */
	REG_RESUME_RESTART,  /* a 200: the whole body again; start over */
	REG_RESUME_INVALID,  /* a 206 for other bytes: a protocol error */
};
/* What to do with an answer to a request made with Range: bytes=<have>-. */
enum reg_resume reg_resume_decide(long status, const char *content_range, uint64_t have);

/* ---- auth.c ---- */

struct reg_challenge {
	char *scheme; /* lower-case: "basic", "bearer", … */
	char *realm, *service, *scope, *error, *error_description;
};
void reg_challenges_free(struct reg_challenge *v, size_t n);

/* Parse one WWW-Authenticate header value (several challenges, quoted
 * strings with escapes, token68 values skipped), appending to *v (at most
 * REG_MAX_CHALLENGES in all). -EINVAL when malformed (nothing appended),
 * -ENOMEM. */
int reg_challenges_parse(const char *header, struct reg_challenge **v, size_t *n);

/* A token server's answer: "token" or "access_token", "expires_in"
 * (default 60 s, at least that), "refresh_token" (may be NULL). */
int reg_token_parse(const char *body, size_t len, char **ret_token, int64_t *ret_ttl,
                    char **ret_refresh, struct husk_error **err);
/* Merge scopes a and b (space-separated lists; "repository:x:pull" and
 * "repository:x:push" make "repository:x:pull,push"), sorted. NULL on OOM. */
char *reg_scope_merge(const char *a, const char *b);

/* The Authorization value for a request to ep for scope (NULL when none
 * applies), fetching a bearer token when needed. -EACCES from the token
 * server's refusal. */
int reg_auth_header(struct reg_endpoint *ep, const char *scope, char **ret,
                    struct husk_error **err);
/* After a 401 to a request that carried sent (an Authorization value, or
 * NULL): remember its challenges. 1 when a new try with fresh
 * authorisation may help (*ret_scope, when set, is the wider scope the
 * challenge asked for), 0 when not. */
int reg_auth_challenged(struct reg_endpoint *ep, const struct reg_response *rs, const char *scope,
                        const char *sent, char **ret_scope);
/* A token for ep's bearer challenge, with the credentials and, for login,
 * offline access (the refresh token then goes to ret_refresh). */
int reg_token_get(struct reg_endpoint *ep, const struct reg_challenge *ch, const char *scope,
                  bool offline, char **ret_token, char **ret_refresh, struct husk_error **err);

/* ---- sources.c: which repositories of which registries hold a blob ---- */

/* Record that repo ("127.0.0.1:5000/a/b") holds each of the n blobs. Best
 * effort for the caller: -errno when the record could not be written. */
int reg_sources_add(struct store *s, const struct digest *blobs, size_t n, const char *repo,
                    struct husk_error **err);
/* The repositories known to hold blob, most recent first (a new strv,
 * empty when none). */
int reg_sources_get(struct store *s, const struct digest *blob, char ***ret);
