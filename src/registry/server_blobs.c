/* server_blobs.c — blob HEAD/GET (whole or one byte range, sent from the
 * file) and DELETE (unlinks the blob from the repository; gc frees it). */
#include <inttypes.h>

#include "registry/server_internal.h"

/* The digest of route.ref, or a 400 DIGEST_INVALID reply. */
static bool route_digest(struct reg_request *req, struct digest *ret)
{
	_cleanup_error_ struct husk_error *err = NULL;

	if (digest_parse(req->route.ref, ret, &err) == 0)
		return true;
	reg_reply_error(req, 400, ERR_DIGEST_INVALID, NULL, "%s", error_message(err));
	return false;
}

static void reply_blob_unknown(struct reg_request *req, const struct digest *d)
{
	reg_reply_error(req, 404, ERR_BLOB_UNKNOWN, json_pack("{s:s}", "digest", d->str),
	                "blob unknown to registry");
}

void h_blob_get(struct reg_request *req)
{
	uint64_t size, start, end;
	struct digest d;
	int fd, r;

	if (!route_digest(req, &d))
		return;
	if (!regstore_blob_linked(req->srv->store, req->route.name, &d)) {
		reply_blob_unknown(req, &d);
		return;
	}
	fd = regstore_blob_open(req->srv->store, &d, &size);
	if (fd < 0) {
		reply_blob_unknown(req, &d);
		return;
	}
	reg_reply_header(req, "Docker-Content-Digest", d.str);
	reg_reply_header(req, "Accept-Ranges", "bytes");
	reg_reply_headerf(req, "ETag", "\"%s\"", d.str);
	/* content-addressed: it never changes */
	reg_reply_header(req, "Cache-Control", "max-age=31536000");
	r = registry_parse_range(reg_header(req, "Range"), size, &start, &end);
	if (r == -ERANGE) {
		safe_close(fd);
		reg_reply_headerf(req, "Content-Range", "bytes */%" PRIu64, size);
		reg_reply_empty(req, 416);
		return;
	}
	if (r == 1) {
		reg_reply_headerf(req, "Content-Range", "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64,
		                  start, end, size);
		reg_reply_fd(req, 206, "application/octet-stream", fd, start, end - start + 1);
		return;
	}
	reg_reply_fd(req, 200, "application/octet-stream", fd, 0, size);
}

void h_blob_delete(struct reg_request *req)
{
	struct digest d;

	if (!route_digest(req, &d))
		return;
	if (regstore_blob_unlink(req->srv->store, req->route.name, &d) < 0) {
		reply_blob_unknown(req, &d);
		return;
	}
	reg_reply_header(req, "Docker-Content-Digest", d.str);
	reg_reply_empty(req, 202);
}
