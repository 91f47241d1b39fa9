/* server_uploads.c — blob uploads: POST (start, monolithic, cross-repository
 * mount), PATCH chunks, PUT to finish, GET status, DELETE to cancel.
 *
 * Bodies stream straight into the upload's data file while a sha256 state
 * kept per upload follows them, so finishing never re-reads the data. An
 * upload serves one request at a time: a second one meanwhile is refused
 * rather than interleaved. */
#include <inttypes.h>
#include <string.h>

#include "base/log.h"
#include "registry/server_internal.h"

#define PURGE_INTERVAL 60 /* seconds between purges of abandoned uploads */

/* --- the upload table ------------------------------------------------------- */

static struct upload_slot *slot_find(struct registry_server *srv, const char *uuid)
{
	for (struct upload_slot *s = srv->uploads; s; s = s->next)
		if (s->up && streq(s->up->uuid, uuid))
			return s;
	return NULL;
}

static void slot_unlink(struct registry_server *srv, struct upload_slot *slot)
{
	for (struct upload_slot **p = &srv->uploads; *p; p = &(*p)->next)
		if (*p == slot) {
			*p = slot->next;
			break;
		}
	reg_upload_free(slot->up);
	free(slot);
}

/* Under srv->lock: claim a slot found in the table for req. 1 when the
 * slot was stale (dropped: load the upload from disk). */
static int slot_claim(struct reg_request *req, struct upload_slot *slot)
{
	if (!streq(slot->up->repo, req->route.name))
		return -ENOENT;
	if (slot->busy)
		return -EBUSY;
	if (regstore_upload_reopen(req->srv->store, slot->up) < 0) {
		slot_unlink(req->srv, slot);
		return 1;
	}
	slot->busy = true;
	req->slot = slot;
	return 0;
}

/* Under srv->lock: keep the table to REG_UPLOAD_SLOTS_MAX by forgetting
 * the least recently used idle uploads (still on disk: a later request
 * re-hashes them). */
static void slots_trim(struct registry_server *srv)
{
	struct upload_slot *lru;
	size_t n = 0;

	for (struct upload_slot *s = srv->uploads; s; s = s->next)
		n++;
	while (n-- > REG_UPLOAD_SLOTS_MAX) {
		lru = NULL;
		for (struct upload_slot *s = srv->uploads; s; s = s->next)
			if (!s->busy && (!lru || s->used < lru->used))
				lru = s;
		if (!lru)
			return;
		slot_unlink(srv, lru);
	}
}

/* Claim the upload route.ref of route.name: from the table, or from disk
 * after a restart. -ENOENT unknown, -EBUSY in use, -ENOMEM. */
static int upload_acquire(struct reg_request *req)
{
	struct registry_server *srv = req->srv;
	struct reg_upload *up = NULL;
	struct upload_slot *slot;
	int r;

	if (!registry_uuid_valid(req->route.ref))
		return -ENOENT;
	pthread_mutex_lock(&srv->lock);
	slot = slot_find(srv, req->route.ref);
	r = slot ? slot_claim(req, slot) : 1;
	pthread_mutex_unlock(&srv->lock);
	if (r <= 0)
		return r;
	r = regstore_upload_load(srv->store, req->route.name, req->route.ref, &up, NULL);
	if (r < 0)
		return r;
	pthread_mutex_lock(&srv->lock);
	slot = slot_find(srv, req->route.ref); /* another request may have loaded it meanwhile */
	if (slot) {
		r = slot_claim(req, slot);
		reg_upload_free(up);
		if (r > 0)
			r = -EBUSY; /* stale twice in a row: let the client retry */
	} else if ((slot = calloc(1, sizeof(*slot)))) {
		*slot = (struct upload_slot){up, true, time(NULL), up->offset, srv->uploads};
		srv->uploads = slot;
		req->slot = slot;
		slots_trim(srv);
	} else {
		reg_upload_free(up);
		r = -ENOMEM;
	}
	pthread_mutex_unlock(&srv->lock);
	return r;
}

/* A new upload for route.name, claimed by req. */
static int upload_create(struct reg_request *req, struct husk_error **err)
{
	struct registry_server *srv = req->srv;
	struct reg_upload *up = NULL;
	struct upload_slot *slot;
	int r;

	reg_uploads_maybe_purge(srv);
	r = regstore_upload_new(srv->store, req->route.name, &up, err);
	if (r < 0)
		return r;
	slot = calloc(1, sizeof(*slot));
	if (!slot) {
		regstore_upload_remove(srv->store, up->uuid);
		reg_upload_free(up);
		return error_set(err, ENOMEM, "out of memory");
	}
	pthread_mutex_lock(&srv->lock);
	*slot = (struct upload_slot){up, true, time(NULL), 0, srv->uploads};
	srv->uploads = slot;
	slots_trim(srv);
	pthread_mutex_unlock(&srv->lock);
	req->slot = slot;
	return 0;
}

/* The upload is finished or cancelled: its state goes with the request. */
static void upload_forget(struct reg_request *req)
{
	pthread_mutex_lock(&req->srv->lock);
	reg_upload_free(req->slot->up);
	req->slot->up = NULL;
	pthread_mutex_unlock(&req->srv->lock);
}

void reg_upload_request_done(struct reg_request *req)
{
	struct registry_server *srv = req->srv;
	struct upload_slot *slot = req->slot;

	if (!slot)
		return;
	req->slot = NULL;
	pthread_mutex_lock(&srv->lock);
	if (slot->up && req->slot_owned) {
		/* a monolithic upload that did not commit: nobody knows its id */
		regstore_upload_remove(srv->store, slot->up->uuid);
		reg_upload_free(slot->up);
		slot->up = NULL;
	}
	slot->busy = false;
	slot->used = time(NULL);
	if (!slot->up)
		slot_unlink(srv, slot);
	else
		regstore_upload_close(slot->up); /* idle uploads hold no fd */
	pthread_mutex_unlock(&srv->lock);
}

void reg_uploads_free(struct registry_server *srv)
{
	while (srv->uploads)
		slot_unlink(srv, srv->uploads);
}

struct purge_ctx {
	struct registry_server *srv;
	time_t now;
};

static bool purge_skip(const char *uuid, void *data)
{
	struct purge_ctx *c = data;
	struct upload_slot *slot = slot_find(c->srv, uuid);

	return slot && (slot->busy || c->now - slot->used <= c->srv->cfg.upload_ttl);
}

void reg_uploads_maybe_purge(struct registry_server *srv)
{
	struct purge_ctx c = {srv, time(NULL)};
	struct upload_slot *next;
	int n;

	pthread_mutex_lock(&srv->lock);
	if (c.now - srv->last_purge < PURGE_INTERVAL) {
		pthread_mutex_unlock(&srv->lock);
		return;
	}
	srv->last_purge = c.now;
	n = regstore_uploads_purge(srv->store, srv->cfg.upload_ttl, purge_skip, &c);
	for (struct upload_slot *s = srv->uploads; s; s = next) {
		next = s->next;
		if (!s->busy && c.now - s->used > srv->cfg.upload_ttl) {
			regstore_upload_remove(srv->store, s->up->uuid);
			slot_unlink(srv, s);
		}
	}
	pthread_mutex_unlock(&srv->lock);
	if (n > 0)
		log_info("removed %d abandoned upload(s)", n);
}

/* --- replies ------------------------------------------------------------------ */

static uint64_t slot_offset(const struct upload_slot *slot)
{
	return __atomic_load_n(&slot->offset, __ATOMIC_RELAXED);
}

/* Location, Range and Docker-Upload-UUID of an upload in progress. */
static void upload_heads(struct reg_request *req, const char *uuid, uint64_t offset)
{
	reg_reply_headerf(req, "Location", "/v2/%s/blobs/uploads/%s", req->route.name, uuid);
	/* distribution's convention: "0-0" for an empty upload as for one byte */
	reg_reply_headerf(req, "Range", "0-%" PRIu64, offset > 0 ? offset - 1 : 0);
	reg_reply_header(req, "Docker-Upload-UUID", uuid);
}

static void reply_progress(struct reg_request *req, unsigned status)
{
	upload_heads(req, req->slot->up->uuid, slot_offset(req->slot));
	reg_reply_empty(req, status);
}

static void reply_blob_created(struct reg_request *req, const struct digest *d)
{
	reg_reply_headerf(req, "Location", "/v2/%s/blobs/%s", req->route.name, d->str);
	reg_reply_header(req, "Docker-Content-Digest", d->str);
	reg_reply_empty(req, 201);
}

static void reply_acquire_error(struct reg_request *req, int r)
{
	if (r == -EBUSY)
		reg_reply_error(req, 416, ERR_BLOB_UPLOAD_INVALID, NULL,
		                "upload \"%s\" is busy with another request", req->route.ref);
	else if (r == -ENOENT)
		reg_reply_error(req, 404, ERR_BLOB_UPLOAD_UNKNOWN, NULL,
		                "upload \"%s\" is not known in \"%s\"", req->route.ref,
		                req->route.name);
	else
		reg_reply_error(req, 500, ERR_UNKNOWN, NULL, "%s", strerror(-r));
}

/* --- body checks ---------------------------------------------------------------- */

/* The ?digest= of a PUT or monolithic POST into req->digest. */
static bool parse_digest_query(struct reg_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	const char *d = reg_query(req, "digest");

	if (!d || digest_parse(d, &req->digest, &err) < 0) {
		reg_reply_error(req, 400, ERR_DIGEST_INVALID, NULL, "%s",
		                d ? error_message(err) : "the digest query parameter is required");
		return false;
	}
	req->has_digest = true;
	return true;
}

/* Content-Range and Content-Length of a chunk against the upload's offset.
 * False when it replied an error. */
static bool check_chunk_headers(struct reg_request *req)
{
	const char *cr = reg_header(req, "Content-Range");
	const char *cl = reg_header(req, "Content-Length");
	uint64_t offset = slot_offset(req->slot), start, end, len = 0;
	bool has_len = cl && str_to_uint64(cl, &len) == 0;

	if (cr) {
		if (registry_parse_content_range(cr, &start, &end) < 0) {
			reg_reply_error(req, 400, ERR_BLOB_UPLOAD_INVALID, NULL,
			                "invalid Content-Range \"%s\": expected <start>-<end>", cr);
			return false;
		}
		if (start != offset) {
			upload_heads(req, req->slot->up->uuid, offset);
			reg_reply_error(req, 416, ERR_BLOB_UPLOAD_INVALID, NULL,
			                "chunk %s does not start at the end of the upload (%" PRIu64
			                " bytes)",
			                cr, offset);
			return false;
		}
		if (has_len && len != end - start + 1) {
			reg_reply_error(req, 400, ERR_SIZE_INVALID, NULL,
			                "Content-Length %" PRIu64
			                " does not match Content-Range %s",
			                len, cr);
			return false;
		}
		req->chunk_bounded = true;
		req->chunk_end = end;
	}
	if (req->srv->cfg.max_blob_size && has_len && offset + len > req->srv->cfg.max_blob_size) {
		reg_reply_error(req, 413, ERR_SIZE_INVALID, NULL,
		                "blob larger than the limit of %" PRIu64 " bytes",
		                req->srv->cfg.max_blob_size);
		return false;
	}
	return true;
}

void h_upload_data(struct reg_request *req, const char *buf, size_t len)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct reg_upload *up = req->slot ? req->slot->up : NULL;

	if (!up) {
		reg_reply_error(req, 400, ERR_BLOB_UPLOAD_INVALID, NULL,
		                "this request takes no body");
		return;
	}
	if (req->chunk_bounded && up->offset + len > req->chunk_end + 1) {
		reg_reply_error(req, 416, ERR_BLOB_UPLOAD_INVALID, NULL,
		                "the chunk is longer than its Content-Range");
		return;
	}
	if (req->srv->cfg.max_blob_size && up->offset + len > req->srv->cfg.max_blob_size) {
		reg_reply_error(req, 413, ERR_SIZE_INVALID, NULL,
		                "blob larger than the limit of %" PRIu64 " bytes",
		                req->srv->cfg.max_blob_size);
		return;
	}
	if (regstore_upload_write(up, buf, len, &err) < 0) {
		reg_reply_internal(req, err);
		return;
	}
	__atomic_store_n(&req->slot->offset, up->offset, __ATOMIC_RELAXED);
}

/* After the body: a bounded chunk must have been all there. */
static bool check_chunk_complete(struct reg_request *req)
{
	if (req->chunk_bounded && slot_offset(req->slot) != req->chunk_end + 1) {
		reg_reply_error(req, 400, ERR_SIZE_INVALID, NULL,
		                "the chunk ended at %" PRIu64
		                ", before the end of its Content-Range",
		                slot_offset(req->slot));
		return false;
	}
	return true;
}

static void finish(struct reg_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	int r;

	if (!check_chunk_complete(req))
		return;
	r = regstore_upload_commit(req->srv->store, req->slot->up, &req->digest, &err);
	if (r == -EILSEQ) {
		upload_forget(req);
		reg_reply_error(req, 400, ERR_DIGEST_INVALID,
		                json_pack("{s:s}", "digest", req->digest.str), "%s",
		                error_message(err));
		return;
	}
	/* committed, or not: either way the hash state is spent */
	upload_forget(req);
	if (r < 0) {
		reg_reply_internal(req, err);
		return;
	}
	reply_blob_created(req, &req->digest);
}

/* --- endpoints ------------------------------------------------------------------ */

/* ?mount=<digest>&from=<repo>: true when it replied (201 or an error),
 * false to fall back to a new upload. */
static bool try_mount(struct reg_request *req, const char *mount)
{
	_cleanup_error_ struct husk_error *err = NULL;
	const char *from = reg_query(req, "from");
	struct digest d;

	if (digest_parse(mount, &d, &err) < 0) {
		reg_reply_error(req, 400, ERR_DIGEST_INVALID, NULL, "%s", error_message(err));
		return true;
	}
	if (!from || !registry_name_valid(from) || !regstore_blob_linked(req->srv->store, from, &d))
		return false;
	if (regstore_blob_link(req->srv->store, req->route.name, &d, &err) < 0) {
		reg_reply_internal(req, err);
		return true;
	}
	reply_blob_created(req, &d);
	return true;
}

void h_upload_post(struct reg_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	const char *mount = reg_query(req, "mount");

	if (*req->route.ref) {
		reg_reply_error(req, 405, ERR_UNSUPPORTED, NULL,
		                "POST starts an upload: use /v2/%s/blobs/uploads/",
		                req->route.name);
		return;
	}
	if (mount && try_mount(req, mount))
		return;
	if (!mount && reg_query(req, "digest") && !parse_digest_query(req))
		return;
	if (upload_create(req, &err) < 0) {
		reg_reply_internal(req, err);
		return;
	}
	if (!req->has_digest) {
		reply_progress(req, 202);
		return;
	}
	/* monolithic: the body is the blob */
	req->slot_owned = true;
	check_chunk_headers(req);
}

void h_upload_post_end(struct reg_request *req)
{
	finish(req);
	if (!reg_replied(req))
		reg_reply_error(req, 500, ERR_UNKNOWN, NULL, "the upload did not finish");
}

void h_upload_patch(struct reg_request *req)
{
	int r = upload_acquire(req);

	if (r < 0) {
		reply_acquire_error(req, r);
		return;
	}
	check_chunk_headers(req);
}

void h_upload_patch_end(struct reg_request *req)
{
	if (check_chunk_complete(req))
		reply_progress(req, 202);
}

void h_upload_put(struct reg_request *req)
{
	int r = upload_acquire(req);

	if (r < 0) {
		reply_acquire_error(req, r);
		return;
	}
	if (parse_digest_query(req))
		check_chunk_headers(req);
}

void h_upload_put_end(struct reg_request *req)
{
	finish(req);
}

void h_upload_get(struct reg_request *req)
{
	int r = upload_acquire(req);

	/* a client asks where it stands after a chunk failed: its previous
	 * request may still hold the upload, and the offset is readable */
	if (r == -EBUSY) {
		struct upload_slot *slot;
		uint64_t off = 0;

		pthread_mutex_lock(&req->srv->lock);
		slot = slot_find(req->srv, req->route.ref);
		if (slot && streq(slot->up->repo, req->route.name))
			off = slot_offset(slot);
		pthread_mutex_unlock(&req->srv->lock);
		upload_heads(req, req->route.ref, off);
		reg_reply_empty(req, 204);
		return;
	}
	if (r < 0) {
		reply_acquire_error(req, r);
		return;
	}
	reply_progress(req, 204);
}

void h_upload_delete(struct reg_request *req)
{
	int r = upload_acquire(req);

	if (r < 0) {
		reply_acquire_error(req, r);
		return;
	}
	regstore_upload_remove(req->srv->store, req->slot->up->uuid);
	upload_forget(req);
	reg_reply_empty(req, 204);
}
