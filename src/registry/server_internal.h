/* server_internal.h — what husk-registry's server files share: the
 * server and request structs, the endpoint table entry, replies in the
 * distribution spec's error shape, and the upload table.
 * Not for use outside src/registry/server*.c (and the unit test).
 */
#pragma once

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "base/digest.h"
#include "base/str.h"
#include "registry/htpasswd.h"
#include "registry/server.h"
#include "registry/server_storage.h"

#define REG_API_VERSION      "registry/2.0"
#define REG_MAX_REPLY_HEADS  12
#define REG_DISCARD_MAX      (16u << 20) /* body bytes read after an error before we hang up */
#define REG_UPLOAD_SLOTS_MAX 4096        /* uploads whose hash state is kept in memory */

/* The spec's error codes. */
#define ERR_BLOB_UNKNOWN          "BLOB_UNKNOWN"
#define ERR_BLOB_UPLOAD_INVALID   "BLOB_UPLOAD_INVALID"
#define ERR_BLOB_UPLOAD_UNKNOWN   "BLOB_UPLOAD_UNKNOWN"
#define ERR_DIGEST_INVALID        "DIGEST_INVALID"
#define ERR_MANIFEST_BLOB_UNKNOWN "MANIFEST_BLOB_UNKNOWN"
#define ERR_MANIFEST_INVALID      "MANIFEST_INVALID"
#define ERR_MANIFEST_UNKNOWN      "MANIFEST_UNKNOWN"
#define ERR_NAME_INVALID          "NAME_INVALID"
#define ERR_NAME_UNKNOWN          "NAME_UNKNOWN"
#define ERR_SIZE_INVALID          "SIZE_INVALID"
#define ERR_UNAUTHORIZED          "UNAUTHORIZED"
#define ERR_DENIED                "DENIED"
#define ERR_UNSUPPORTED           "UNSUPPORTED"
#define ERR_TOOMANYREQUESTS       "TOOMANYREQUESTS"
#define ERR_PAGINATION_INVALID    "PAGINATION_NUMBER_INVALID" /* distribution's */
#define ERR_UNKNOWN               "UNKNOWN"

enum reg_route_kind {
	ROUTE_NONE,
	ROUTE_BASE,      /* /v2/ */
	ROUTE_CATALOG,   /* /v2/_catalog */
	ROUTE_TAGS,      /* /v2/<name>/tags/list */
	ROUTE_MANIFEST,  /* /v2/<name>/manifests/<ref> */
	ROUTE_BLOB,      /* /v2/<name>/blobs/<digest> */
	ROUTE_UPLOAD,    /* /v2/<name>/blobs/uploads/[<uuid>] */
	ROUTE_REFERRERS, /* /v2/<name>/referrers/<digest> */
};

struct reg_route {
	enum reg_route_kind kind;
	char *name; /* the repository (NULL for base and catalog) */
	char *ref;  /* tag, digest or upload id ("" when none) */
};

/* Split a decoded /v2/ path. 0; -ENOENT when it names no endpoint;
 * -EINVAL when it does but the repository name is invalid (kind, name
 * set); -ENOMEM. */
int reg_route_parse(const char *path, struct reg_route *ret);
void reg_route_release(struct reg_route *r);

/* An upload in the server's table: in use by at most one request. */
struct upload_slot {
	struct reg_upload *up; /* NULL once finished or cancelled */
	bool busy;
	time_t used;
	uint64_t offset; /* up->offset, readable (atomically) while busy */
	struct upload_slot *next;
};

struct registry_server {
	struct registry_server_config cfg; /* strings owned below */
	char *addr, *root, *tls_cert_pem, *tls_key_pem;
	char *bound; /* the address bound, for messages */
	struct regstore *store;
	struct htpasswd *auth; /* NULL: anonymous */
	int listen_fd;
	int lock_fd; /* shared flock on the root while serving read-write (gc excludes) */
	struct MHD_Daemon *mhd;
	pthread_mutex_t lock; /* the upload table, purge time */
	struct upload_slot *uploads;
	time_t last_purge;
	unsigned connections; /* open connections (atomic) */
};

struct reg_request;

enum reg_endpoint_flags {
	EP_WRITE = 1 << 0, /* refused by a read-only registry */
	EP_BODY = 1 << 1,  /* reads a request body: data() and end() */
};

struct reg_endpoint {
	enum reg_route_kind kind;
	const char *method;
	/* Headers arrived. Without EP_BODY it must reply; with it, it may
	 * reply (an early error) or get ready for data(). */
	void (*begin)(struct reg_request *req);
	/* A piece of the body; may reply with an error (the rest is then
	 * read and dropped). */
	void (*data)(struct reg_request *req, const char *buf, size_t len);
	/* The body is complete: reply. */
	void (*end)(struct reg_request *req);
	enum reg_endpoint_flags flags;
};

struct reg_reply_head {
	char *name, *value;
};

struct reg_request {
	struct registry_server *srv;
	struct MHD_Connection *conn;
	const char *method; /* MHD's, valid for the request */
	char *path;
	bool head; /* a HEAD served by a GET endpoint */
	struct reg_route route;
	const struct reg_endpoint *ep;
	struct timespec start;
	/* the reply */
	struct MHD_Response *resp;
	unsigned status;
	uint64_t bytes_out, bytes_in;
	struct reg_reply_head heads[REG_MAX_REPLY_HEADS];
	size_t n_heads;
	/* the request body */
	bool begun; /* request_begin() ran */
	uint64_t discarded;
	struct strbuf body;       /* manifests */
	struct upload_slot *slot; /* uploads: the slot this request holds */
	bool slot_owned;          /* a monolithic upload: removed unless committed */
	bool chunk_bounded;       /* Content-Range given: chunk_end is the last byte */
	uint64_t chunk_end;
	bool has_digest; /* PUT/POST ?digest= */
	struct digest digest;
};

/* --- request accessors and replies (server.c) ----------------------------- */

const char *reg_header(const struct reg_request *req, const char *name);
const char *reg_query(const struct reg_request *req, const char *key);
/* Add a header to the reply (before or after it is made). */
void reg_reply_header(struct reg_request *req, const char *name, const char *value);
void reg_reply_headerf(struct reg_request *req, const char *name, const char *fmt, ...)
        _printf_(3, 4);
/* The spec's {"errors":[{"code","message","detail"}]}; detail is stolen
 * (NULL: null). */
void reg_reply_error(struct reg_request *req, unsigned status, const char *code, json_t *detail,
                     const char *fmt, ...) _printf_(5, 6);
/* 500 UNKNOWN from an internal error (logged). */
void reg_reply_internal(struct reg_request *req, const struct husk_error *err);
void reg_reply_empty(struct reg_request *req, unsigned status);
/* JSON body (stolen) with its content type. */
void reg_reply_json(struct reg_request *req, unsigned status, const char *content_type,
                    json_t *body);
/* len bytes of fd from offset (the fd is stolen, closed when sent). */
void reg_reply_fd(struct reg_request *req, unsigned status, const char *content_type, int fd,
                  uint64_t offset, uint64_t len);
bool reg_replied(const struct reg_request *req);

/* --- endpoints ------------------------------------------------------------ */

/* server_blobs.c */
void h_blob_get(struct reg_request *req);
void h_blob_delete(struct reg_request *req);
/* server_uploads.c */
void h_upload_post(struct reg_request *req);
void h_upload_patch(struct reg_request *req);
void h_upload_put(struct reg_request *req);
void h_upload_data(struct reg_request *req, const char *buf, size_t len);
void h_upload_patch_end(struct reg_request *req);
void h_upload_put_end(struct reg_request *req);
void h_upload_post_end(struct reg_request *req);
void h_upload_get(struct reg_request *req);
void h_upload_delete(struct reg_request *req);
/* The request is over: give back its upload slot (and remove an
 * uncommitted monolithic upload). */
void reg_upload_request_done(struct reg_request *req);
/* Free the upload table. */
void reg_uploads_free(struct registry_server *srv);
/* Remove uploads idle past the TTL, at most once a minute. */
void reg_uploads_maybe_purge(struct registry_server *srv);
/* server_manifests.c */
void h_manifest_get(struct reg_request *req);
void h_manifest_put(struct reg_request *req);
void h_manifest_data(struct reg_request *req, const char *buf, size_t len);
void h_manifest_put_end(struct reg_request *req);
void h_manifest_delete(struct reg_request *req);
void h_referrers(struct reg_request *req);
/* server_listing.c */
void h_tags_list(struct reg_request *req);
void h_catalog(struct reg_request *req);

/* What reg_manifest_check() found in a manifest it accepted. */
struct manifest_check {
	json_t *json;
	const char *media_type; /* borrowed from json or the Content-Type */
	bool has_subject;
	/* the subject; on MANIFEST_BLOB_UNKNOWN, the missing digest instead */
	struct digest subject;
	char *referrer; /* descriptor JSON of this manifest, for its subject */
};
/* Validate a manifest body for repo: its JSON (size, depth), media type
 * (content_type may be NULL), schema, descriptors, and that what it
 * references is in repo. 0 with *ret filled (release it either way), or
 * -errno with the spec's error code in *ret_code and the message in *err. */
int reg_manifest_check(struct regstore *s, const char *repo, const char *body, size_t len,
                       const char *content_type, struct manifest_check *ret, const char **ret_code,
                       struct husk_error **err);
void reg_manifest_check_release(struct manifest_check *c);
/* Maximum JSON nesting of buf (strings skipped), stopping past cap. */
unsigned reg_json_depth(const char *buf, size_t len, unsigned cap);
