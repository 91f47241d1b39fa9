/* server_manifests.c — manifests by tag and by digest (HEAD, GET, PUT,
 * DELETE) and the referrers API.
 *
 * A manifest PUT is buffered (it is at most 4 MiB), checked — JSON, media
 * type (OCI manifest and index, Docker schema 2 and manifest list; schema
 * 1 refused), descriptors, the blobs and manifests it references present
 * in this repository — and only then stored, revision first, tag last. */
#include <string.h>

#include "base/json.h"
#include "registry/server_internal.h"

#define MT_OCI_MANIFEST    "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX       "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST     "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_SCHEMA1  "application/vnd.docker.distribution.manifest.v1+json"
#define MT_DOCKER_SIGNED1  "application/vnd.docker.distribution.manifest.v1+prettyjws"

static bool is_index_type(const char *mt)
{
	return streq(mt, MT_OCI_INDEX) || streq(mt, MT_DOCKER_LIST);
}

static bool is_manifest_type(const char *mt)
{
	return streq(mt, MT_OCI_MANIFEST) || streq(mt, MT_DOCKER_MANIFEST);
}

/* Layers that may live elsewhere (Windows base layers): not required. */
static bool nondistributable(const char *mt)
{
	return startswith(mt, "application/vnd.docker.image.rootfs.foreign.") ||
	       startswith(mt, "application/vnd.oci.image.layer.nondistributable.");
}

unsigned reg_json_depth(const char *buf, size_t len, unsigned cap)
{
	unsigned depth = 0, max = 0;
	bool in_string = false, escaped = false;

	for (size_t i = 0; i < len && max <= cap; i++) {
		char c = buf[i];
		if (in_string) {
			if (escaped)
				escaped = false;
			else if (c == '\\')
				escaped = true;
			else if (c == '"')
				in_string = false;
		} else if (c == '"') {
			in_string = true;
		} else if (c == '[' || c == '{') {
			depth++;
			max = MAX(max, depth);
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return max;
}

void reg_manifest_check_release(struct manifest_check *c)
{
	json_decref(c->json);
	free(c->referrer);
	*c = (struct manifest_check){0};
}

/* A descriptor at path: mediaType, a sha256 digest, a size >= 0. */
static int check_descriptor(const json_t *d, const char *path, struct digest *ret,
                            const char **ret_mt, struct husk_error **err)
{
	const char *mt = NULL, *dig = NULL;
	int64_t size = -1;

	if (!json_is_object(d))
		return error_set(err, EINVAL, "%s: expected a descriptor object", path);
	if (json_get_string(d, path, "mediaType", true, &mt, err) < 0 ||
	    json_get_string(d, path, "digest", true, &dig, err) < 0 ||
	    json_get_int64(d, path, "size", true, &size, err) < 0)
		return -EINVAL;
	if (size < 0)
		return error_set(err, EINVAL, "%s.size: must not be negative", path);
	if (digest_parse(dig, ret, err) < 0)
		return error_wrap(err, "%s.digest", path);
	if (ret_mt)
		*ret_mt = mt;
	return 0;
}

/* The effective media type: the body's mediaType, else a manifest
 * Content-Type, else what the shape says. NULL with *err when refused. */
static const char *media_type(const json_t *j, const char *ct, struct husk_error **err)
{
	const char *bt = NULL;

	if (json_get_string(j, "", "mediaType", false, &bt, err) < 0)
		return NULL;
	if (streq(ct, MT_DOCKER_SCHEMA1) || streq(ct, MT_DOCKER_SIGNED1) ||
	    streq(bt, MT_DOCKER_SCHEMA1) || streq(bt, MT_DOCKER_SIGNED1)) {
		error_set(err, EINVAL,
		          "schema 1 manifests are not supported: push schema 2 or OCI");
		return NULL;
	}
	if (bt && ct && (is_index_type(ct) || is_manifest_type(ct)) && !streq(bt, ct)) {
		error_set(err, EINVAL, "mediaType \"%s\" does not match Content-Type \"%s\"", bt,
		          ct);
		return NULL;
	}
	if (!bt && ct && (is_index_type(ct) || is_manifest_type(ct)))
		bt = ct;
	if (!bt)
		bt = json_object_get(j, "manifests") ? MT_OCI_INDEX : MT_OCI_MANIFEST;
	if (!is_index_type(bt) && !is_manifest_type(bt)) {
		error_set(err, EINVAL, "unsupported manifest media type \"%s\"", bt);
		return NULL;
	}
	return bt;
}

struct check_ctx {
	struct regstore *s;
	const char *repo;
	struct digest missing;
	const char *code;
};

static int blob_unknown(struct check_ctx *c, const struct digest *d, const char *path,
                        struct husk_error **err)
{
	c->missing = *d;
	c->code = ERR_MANIFEST_BLOB_UNKNOWN;
	return error_set(err, ENOENT, "%s: blob \"%s\" is not in \"%s\"", path, d->str, c->repo);
}

static int check_image(struct check_ctx *c, const json_t *j, struct husk_error **err)
{
	const json_t *layers = json_object_get(j, "layers"), *l;
	struct digest d;
	size_t i;

	if (check_descriptor(json_object_get(j, "config"), "config", &d, NULL, err) < 0)
		return -EINVAL;
	if (!regstore_blob_linked(c->s, c->repo, &d))
		return blob_unknown(c, &d, "config", err);
	if (!json_is_array(layers))
		return error_set(err, EINVAL, "layers: expected an array");
	json_array_foreach (layers, i, l) {
		char path[48];
		const char *mt;

		snprintf(path, sizeof(path), "layers[%zu]", i);
		if (check_descriptor(l, path, &d, &mt, err) < 0)
			return -EINVAL;
		if (nondistributable(mt) && json_object_get(l, "urls"))
			continue;
		if (!regstore_blob_linked(c->s, c->repo, &d))
			return blob_unknown(c, &d, path, err);
	}
	return 0;
}

static int check_index(struct check_ctx *c, const json_t *j, struct husk_error **err)
{
	const json_t *ms = json_object_get(j, "manifests"), *m;
	struct digest d;
	size_t i;

	if (!json_is_array(ms))
		return error_set(err, EINVAL, "manifests: expected an array");
	json_array_foreach (ms, i, m) {
		char path[48];

		snprintf(path, sizeof(path), "manifests[%zu]", i);
		if (check_descriptor(m, path, &d, NULL, err) < 0)
			return -EINVAL;
		if (!regstore_manifest_exists(c->s, c->repo, &d)) {
			c->missing = d;
			c->code = ERR_MANIFEST_BLOB_UNKNOWN;
			return error_set(err, ENOENT, "%s: manifest \"%s\" is not in \"%s\"", path,
			                 d.str, c->repo);
		}
	}
	return 0;
}

/* The descriptor the referrers API lists for this manifest. */
static char *referrer_descriptor(const json_t *j, const char *mt, const struct digest *d,
                                 size_t len)
{
	_cleanup_json_ json_t *desc = json_pack("{s:s,s:s,s:I}", "mediaType", mt, "digest", d->str,
	                                        "size", (json_int_t)len);
	const json_t *at = json_object_get(j, "artifactType");
	const json_t *ann = json_object_get(j, "annotations");

	if (!desc)
		return NULL;
	/* the spec: artifactType, else an image manifest's config mediaType */
	if (!json_is_string(at) && is_manifest_type(mt))
		at = json_object_get(json_object_get(j, "config"), "mediaType");
	if (json_is_string(at) && json_object_set(desc, "artifactType", (json_t *)at) < 0)
		return NULL;
	if (json_is_object(ann) && json_object_set(desc, "annotations", (json_t *)ann) < 0)
		return NULL;
	return json_compact(desc);
}

static int check_subject(struct manifest_check *ret, const char *body, size_t len,
                         struct husk_error **err)
{
	const json_t *subj = json_object_get(ret->json, "subject");
	struct digest self;

	if (!subj)
		return 0;
	if (check_descriptor(subj, "subject", &ret->subject, NULL, err) < 0)
		return -EINVAL;
	ret->has_subject = true;
	digest_buf(body, len, &self);
	ret->referrer = referrer_descriptor(ret->json, ret->media_type, &self, len);
	return ret->referrer ? 0 : error_set(err, ENOMEM, "out of memory");
}

int reg_manifest_check(struct regstore *s, const char *repo, const char *body, size_t len,
                       const char *content_type, struct manifest_check *ret, const char **ret_code,
                       struct husk_error **err)
{
	struct check_ctx c = {s, repo, {{0}}, ERR_MANIFEST_INVALID};
	int64_t version = 0;
	int r;

	*ret = (struct manifest_check){0};
	*ret_code = ERR_MANIFEST_INVALID;
	if (reg_json_depth(body, len, REGISTRY_JSON_DEPTH_MAX) > REGISTRY_JSON_DEPTH_MAX)
		return error_set(err, EINVAL, "manifest nested deeper than %u levels",
		                 REGISTRY_JSON_DEPTH_MAX);
	if (json_parse("manifest", body, len, REGISTRY_MANIFEST_MAX, &ret->json, err) < 0)
		return -EINVAL;
	if (!json_is_object(ret->json))
		r = error_set(err, EINVAL, "manifest: expected a JSON object");
	else if ((r = json_get_int64(ret->json, "", "schemaVersion", true, &version, err)) < 0)
		;
	else if (version == 1)
		r = error_set(err, EINVAL,
		              "schema 1 manifests are not supported: push schema 2 or OCI");
	else if (version != 2)
		r = error_set(err, EINVAL, "unsupported schemaVersion %lld", (long long)version);
	else if (!(ret->media_type = media_type(ret->json, content_type, err)))
		r = -EINVAL;
	else if (is_index_type(ret->media_type))
		r = check_index(&c, ret->json, err);
	else
		r = check_image(&c, ret->json, err);
	if (r == 0 && !startswith(ret->media_type, "application/vnd.docker."))
		r = check_subject(ret, body, len, err);
	if (r < 0) {
		*ret_code = c.code;
		if (streq(c.code, ERR_MANIFEST_BLOB_UNKNOWN))
			ret->subject = c.missing; /* the missing digest, for the detail */
		return r;
	}
	return 0;
}

/* --- endpoints ---------------------------------------------------------------- */

/* Resolve route.ref (a tag or a digest) to a revision; false when it replied. */
static bool resolve(struct reg_request *req, struct digest *ret, char **ret_mt)
{
	_cleanup_error_ struct husk_error *err = NULL;
	const char *ref = req->route.ref;

	if (strchr(ref, ':')) {
		if (digest_parse(ref, ret, &err) < 0) {
			reg_reply_error(req, 400, ERR_DIGEST_INVALID, NULL, "%s",
			                error_message(err));
			return false;
		}
	} else if (!registry_tag_valid(ref)) {
		reg_reply_error(req, 404, ERR_MANIFEST_UNKNOWN, json_pack("{s:s}", "tag", ref),
		                "invalid tag \"%s\"", ref);
		return false;
	} else if (!regstore_repo_exists(req->srv->store, req->route.name)) {
		reg_reply_error(req, 404, ERR_NAME_UNKNOWN,
		                json_pack("{s:s}", "name", req->route.name),
		                "repository name not known to registry");
		return false;
	} else if (regstore_tag_get(req->srv->store, req->route.name, ref, ret) < 0) {
		reg_reply_error(req, 404, ERR_MANIFEST_UNKNOWN, json_pack("{s:s}", "tag", ref),
		                "manifest unknown");
		return false;
	}
	if (regstore_manifest_media_type(req->srv->store, req->route.name, ret, ret_mt) < 0) {
		if (!regstore_repo_exists(req->srv->store, req->route.name))
			reg_reply_error(req, 404, ERR_NAME_UNKNOWN,
			                json_pack("{s:s}", "name", req->route.name),
			                "repository name not known to registry");
		else
			reg_reply_error(req, 404, ERR_MANIFEST_UNKNOWN,
			                json_pack("{s:s}", "digest", ret->str), "manifest unknown");
		return false;
	}
	return true;
}

void h_manifest_get(struct reg_request *req)
{
	_cleanup_free_ char *mt = NULL;
	struct digest d;
	uint64_t size;
	int fd;

	if (!resolve(req, &d, &mt))
		return;
	fd = regstore_blob_open(req->srv->store, &d, &size);
	if (fd < 0) {
		reg_reply_error(req, 404, ERR_MANIFEST_UNKNOWN, json_pack("{s:s}", "digest", d.str),
		                "manifest unknown");
		return;
	}
	reg_reply_header(req, "Docker-Content-Digest", d.str);
	reg_reply_headerf(req, "ETag", "\"%s\"", d.str);
	reg_reply_fd(req, 200, mt, fd, 0, size);
}

void h_manifest_put(struct reg_request *req)
{
	const char *ref = req->route.ref, *cl = reg_header(req, "Content-Length");
	uint64_t len;

	if (strchr(ref, ':')) {
		_cleanup_error_ struct husk_error *err = NULL;
		if (digest_parse(ref, &req->digest, &err) < 0) {
			reg_reply_error(req, 400, ERR_DIGEST_INVALID, NULL, "%s",
			                error_message(err));
			return;
		}
		req->has_digest = true;
	} else if (!registry_tag_valid(ref)) {
		reg_reply_error(req, 400, ERR_MANIFEST_INVALID, json_pack("{s:s}", "tag", ref),
		                "invalid tag \"%s\": expected [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}",
		                ref);
		return;
	}
	if (cl && str_to_uint64(cl, &len) == 0 && len > REGISTRY_MANIFEST_MAX) {
		reg_reply_error(req, 413, ERR_SIZE_INVALID, NULL,
		                "manifest of %llu bytes is larger than the limit of %u",
		                (unsigned long long)len, REGISTRY_MANIFEST_MAX);
		return;
	}
}

void h_manifest_data(struct reg_request *req, const char *buf, size_t len)
{
	if (req->body.len + len > REGISTRY_MANIFEST_MAX) {
		reg_reply_error(req, 413, ERR_SIZE_INVALID, NULL,
		                "manifest larger than the limit of %u bytes",
		                REGISTRY_MANIFEST_MAX);
		return;
	}
	if (strbuf_append(&req->body, buf, len) < 0)
		reg_reply_error(req, 500, ERR_UNKNOWN, NULL, "out of memory");
}

/* The Content-Type without parameters, in buf. */
static const char *bare_content_type(const char *ct, char *buf, size_t size)
{
	size_t n;

	if (!ct)
		return NULL;
	n = strcspn(ct, "; \t");
	snprintf(buf, size, "%.*s", (int)MIN(n, size - 1), ct);
	return buf;
}

void h_manifest_put_end(struct reg_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_(reg_manifest_check_release) struct manifest_check c = {0};
	const char *code, *body = req->body.buf ? req->body.buf : "";
	char ctbuf[256];
	struct digest d;

	if (reg_manifest_check(
	            req->srv->store, req->route.name, body, req->body.len,
	            bare_content_type(reg_header(req, "Content-Type"), ctbuf, sizeof(ctbuf)), &c,
	            &code, &err) < 0) {
		reg_reply_error(req, 400, code,
		                streq(code, ERR_MANIFEST_BLOB_UNKNOWN)
		                        ? json_pack("{s:s}", "digest", c.subject.str)
		                        : NULL,
		                "%s", error_message(err));
		return;
	}
	digest_buf(body, req->body.len, &d);
	if (req->has_digest && !digest_equal(&d, &req->digest)) {
		reg_reply_error(req, 400, ERR_DIGEST_INVALID,
		                json_pack("{s:s}", "digest", req->digest.str),
		                "digest mismatch: the manifest hashes to %s", d.str);
		return;
	}
	if (regstore_manifest_put(req->srv->store, req->route.name, body, req->body.len,
	                          c.media_type, c.has_subject ? &c.subject : NULL, c.referrer,
	                          req->has_digest ? NULL : req->route.ref, &d, &err) < 0) {
		reg_reply_internal(req, err);
		return;
	}
	reg_reply_headerf(req, "Location", "/v2/%s/manifests/%s", req->route.name, d.str);
	reg_reply_header(req, "Docker-Content-Digest", d.str);
	if (c.has_subject)
		reg_reply_header(req, "OCI-Subject", c.subject.str);
	reg_reply_empty(req, 201);
}

void h_manifest_delete(struct reg_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	const char *ref = req->route.ref;
	struct digest d;
	int r;

	if (strchr(ref, ':')) {
		if (digest_parse(ref, &d, &err) < 0) {
			reg_reply_error(req, 400, ERR_DIGEST_INVALID, NULL, "%s",
			                error_message(err));
			return;
		}
		r = regstore_manifest_delete(req->srv->store, req->route.name, &d, &err);
	} else {
		r = registry_tag_valid(ref)
		            ? regstore_tag_delete(req->srv->store, req->route.name, ref)
		            : -ENOENT;
	}
	if (r == -ENOENT) {
		reg_reply_error(req, 404, ERR_MANIFEST_UNKNOWN, NULL, "manifest unknown");
		return;
	}
	if (r < 0) {
		reg_reply_internal(req, err);
		return;
	}
	reg_reply_empty(req, 202);
}

void h_referrers(struct reg_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *all = NULL;
	const char *filter = reg_query(req, "artifactType");
	json_t *list = json_array(), *desc;
	struct digest subject;
	size_t i;

	if (!list) {
		reg_reply_error(req, 500, ERR_UNKNOWN, NULL, "out of memory");
		return;
	}
	if (digest_parse(req->route.ref, &subject, &err) < 0) {
		json_decref(list);
		reg_reply_error(req, 400, ERR_DIGEST_INVALID, NULL, "%s", error_message(err));
		return;
	}
	if (regstore_referrers(req->srv->store, req->route.name, &subject, &all, &err) < 0) {
		json_decref(list);
		reg_reply_internal(req, err);
		return;
	}
	json_array_foreach (all, i, desc) {
		const char *at = json_string_value(json_object_get(desc, "artifactType"));
		if (!filter || streq(at, filter))
			json_array_append(list, desc);
	}
	if (filter)
		reg_reply_header(req, "OCI-Filters-Applied", "artifactType");
	reg_reply_json(req, 200, MT_OCI_INDEX,
	               json_pack("{s:i,s:s,s:o}", "schemaVersion", 2, "mediaType", MT_OCI_INDEX,
	                         "manifests", list));
}
