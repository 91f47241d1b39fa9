/* server.h — husk-registry: an OCI distribution-spec (v1.1) registry server.
 *
 * Serves /v2/ over HTTP/1.1 (TLS when libmicrohttpd has it) from a
 * directory: content-addressed blobs, per-repository links, manifests,
 * tags and referrers, blob uploads streamed to disk and verified against
 * their digest while they arrive; basic auth from a bcrypt htpasswd file;
 * a garbage collector for blobs no manifest references.
 *
 * It must never: serve a blob or manifest that is not whole and verified
 * (everything becomes visible by rename only); use a repository name,
 * tag, digest or upload id from a request as a path before it passed its
 * grammar; buffer a blob in memory; log a password; print (main reports).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/error.h"

#define REGISTRY_DEFAULT_ADDR       "127.0.0.1:5000"
#define REGISTRY_DEFAULT_ROOT       "/var/lib/husk-registry"
#define REGISTRY_NAME_MAX           255
#define REGISTRY_MANIFEST_MAX       (4u << 20) /* bytes of one manifest */
#define REGISTRY_JSON_DEPTH_MAX     64         /* nesting of a manifest */
#define REGISTRY_UPLOAD_TTL_DEFAULT 3600       /* seconds before an idle upload is abandoned */
#define REGISTRY_MAX_CONNECTIONS    256
#define REGISTRY_TAGS_PAGE_MAX      10000 /* largest `n` honoured by tags/list and _catalog */
#define REGISTRY_CATALOG_PAGE       100   /* `_catalog` page without `n` */

struct registry_server_config {
	const char *addr;     /* "127.0.0.1:5000", "[::1]:5000", ":5000"; NULL: default */
	const char *root;     /* storage directory; NULL: REGISTRY_DEFAULT_ROOT */
	const char *htpasswd; /* bcrypt htpasswd file, or NULL: no auth */
	const char *tls_cert; /* PEM files; both or neither */
	const char *tls_key;
	bool read_only;           /* every write gets 405 UNSUPPORTED */
	int64_t upload_ttl;       /* seconds; 0: REGISTRY_UPLOAD_TTL_DEFAULT */
	unsigned max_connections; /* 0: REGISTRY_MAX_CONNECTIONS; past it 429 */
	uint64_t max_blob_size;   /* bytes of one blob upload; 0: unlimited */
};

struct registry_server;

/* Open the storage (created 0700), load the htpasswd file, purge abandoned
 * uploads and bind the listener. NULL with *err naming what failed (the
 * address, the file, the line of the htpasswd file). */
struct registry_server *registry_server_new(const struct registry_server_config *cfg,
                                            struct husk_error **err);
/* The address actually bound ("127.0.0.1:5000"; the real port when 0 was
 * asked). Valid until registry_server_free(). */
const char *registry_server_address(const struct registry_server *s);
/* Start serving in background threads. -errno with *err on failure. */
int registry_server_start(struct registry_server *s, struct husk_error **err);
/* Stop accepting, finish or drop connections, wait for them. Idempotent. */
void registry_server_stop(struct registry_server *s);
void registry_server_free(struct registry_server *s);
DEFINE_CLEANUP_FUNC(struct registry_server *, registry_server_free)

/* --- garbage collection ------------------------------------------------- */

enum registry_gc_flags {
	REGISTRY_GC_DRY_RUN = 1 << 0,         /* report, delete nothing */
	REGISTRY_GC_DELETE_UNTAGGED = 1 << 1, /* also manifests no tag reaches */
};

/* One deletion GC made (or would make, in a dry run): kind is "blob",
 * "manifest" or "upload"; repo is NULL for blobs and uploads. */
typedef void (*registry_gc_report_fn)(const char *kind, const char *repo, const char *what,
                                      void *data);

struct registry_gc_stats {
	unsigned blobs_marked, blobs_deleted, manifests_deleted, uploads_deleted;
};

/* Delete the blobs of root that no kept manifest references (and, with
 * DELETE_UNTAGGED, manifests no tag reaches, directly or through an index
 * or as a referrer of a kept manifest), dangling links, and uploads idle
 * longer than upload_ttl seconds (0: the default). Refuses with -EBUSY
 * while a read-write server serves root. */
int registry_gc(const char *root, enum registry_gc_flags flags, int64_t upload_ttl,
                registry_gc_report_fn report, void *data, struct registry_gc_stats *ret_stats,
                struct husk_error **err);

/* --- grammar (pure; exported for tests) --------------------------------- */

/* The distribution spec's repository name: components
 * [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* separated by '/', at most 255 bytes. */
bool registry_name_valid(const char *name);
/* [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127} */
bool registry_tag_valid(const char *tag);
/* An upload id as this server makes them: a lower-case 8-4-4-4-12 UUID. */
bool registry_uuid_valid(const char *s);

/* A `Range: bytes=a-b` request header against a blob of `size` bytes:
 * 1 with [*ret_start, *ret_end] (inclusive) for one satisfiable range,
 * 0 when the header should be ignored (absent, malformed, several
 * ranges), -ERANGE when it is unsatisfiable (416). */
int registry_parse_range(const char *header, uint64_t size, uint64_t *ret_start, uint64_t *ret_end);
/* An upload chunk's `Content-Range: a-b` (also "bytes a-b" and
 * "bytes=a-b"): 0 with the inclusive bounds, -EINVAL when malformed or b < a. */
int registry_parse_content_range(const char *header, uint64_t *ret_start, uint64_t *ret_end);
