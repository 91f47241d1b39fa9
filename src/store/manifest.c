/* manifest.c — the little of OCI manifests, indexes and image configs the
 * store must read itself to know what an image keeps alive: the digests a
 * manifest or index names, and the chain IDs of a config's diff IDs. */
#include "store/store_internal.h"

#include <string.h>

#include "base/json.h"

static int push_digest(json_t *desc, const char *what, char ***refs, struct husk_error **err)
{
	const char *d = NULL;
	int r;

	r = json_get_string(desc, what, "digest", true, &d, err);
	if (r < 0)
		return r;
	if (!digest_valid(d))
		return error_set(err, EINVAL, "%s.digest: invalid digest \"%s\"", what, d);
	return strv_push(refs, d) < 0 ? error_set(err, ENOMEM, "out of memory") : 0;
}

static int push_array(json_t *top, const char *key, char ***refs, struct husk_error **err)
{
	json_t *arr = NULL, *desc;
	size_t i;
	int r;

	r = json_get_array(top, "", key, false, &arr, err);
	if (r < 0 || !arr)
		return r;
	json_array_foreach (arr, i, desc) {
		char what[64];

		snprintf(what, sizeof(what), "%s[%zu]", key, i);
		r = push_digest(desc, what, refs, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int store_manifest_refs(const char *buf, size_t len, char ***refs, bool *ret_is_index,
                        struct husk_error **err)
{
	_cleanup_json_ json_t *j = NULL;
	json_t *config = NULL;
	int r;

	r = json_parse("manifest", buf, len, STORE_MANIFEST_MAX, &j, err);
	if (r < 0)
		return r;
	if (json_is_array(json_object_get(j, "manifests"))) {
		*ret_is_index = true;
		return push_array(j, "manifests", refs, err);
	}
	r = json_get_object(j, "", "config", false, &config, err);
	if (r < 0)
		return r;
	if (!config)
		return error_set(err, EINVAL, "neither an image manifest nor an index");
	*ret_is_index = false;
	r = push_digest(config, "config", refs, err);
	return r < 0 ? r : push_array(j, "layers", refs, err);
}

int store_manifest_config(const char *buf, size_t len, struct digest *ret, struct husk_error **err)
{
	_cleanup_json_ json_t *j = NULL;
	json_t *config = NULL;
	const char *d = NULL;
	int r;

	r = json_parse("manifest", buf, len, STORE_MANIFEST_MAX, &j, err);
	if (r < 0)
		return r;
	r = json_get_object(j, "", "config", true, &config, err);
	if (r < 0)
		return r;
	r = json_get_string(config, "config", "digest", true, &d, err);
	return r < 0 ? r : digest_parse(d, ret, err);
}

void store_chain_ids(const struct digest *diff_ids, size_t n, struct digest *ret)
{
	for (size_t i = 0; i < n; i++) {
		char buf[2 * DIGEST_STR_LEN + 2];

		if (i == 0) {
			ret[0] = diff_ids[0];
			continue;
		}
		/* ChainID(L0|…|Ln) = sha256(ChainID(…|Ln-1) + " " + DiffID(Ln)) */
		snprintf(buf, sizeof(buf), "%s %s", ret[i - 1].str, diff_ids[i].str);
		digest_buf(buf, strlen(buf), &ret[i]);
	}
}

int store_config_chains(const char *buf, size_t len, char ***chains, struct husk_error **err)
{
	_cleanup_json_ json_t *j = NULL;
	_cleanup_strv_ char **ids = NULL;
	_cleanup_free_ struct digest *diffs = NULL, *out = NULL;
	json_t *rootfs = NULL;
	size_t n;
	int r;

	r = json_parse("image config", buf, len, STORE_MANIFEST_MAX, &j, err);
	if (r < 0)
		return r;
	r = json_get_object(j, "", "rootfs", false, &rootfs, err);
	if (r < 0 || !rootfs)
		return r;
	r = json_get_strv(rootfs, "rootfs", "diff_ids", false, &ids, err);
	if (r < 0 || !ids)
		return r;
	n = strv_length(ids);
	diffs = calloc(n + 1, sizeof(*diffs));
	out = calloc(n + 1, sizeof(*out));
	if (!diffs || !out)
		return error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		r = digest_parse(ids[i], &diffs[i], err);
		if (r < 0)
			return wrap_err(r, err, "rootfs.diff_ids[%zu]", i);
	}
	store_chain_ids(diffs, n, out);
	for (size_t i = 0; i < n; i++)
		if (strv_push(chains, out[i].str) < 0)
			return error_set(err, ENOMEM, "out of memory");
	return 0;
}

#define REACH_MAX_DEPTH 8 /* index → manifest is 1; nested indexes are rare */

static int reach(struct store *s, const char *digest, int depth, char ***blobs, char ***chains,
                 struct husk_error **err)
{
	_cleanup_strv_ char **refs = strv_new();
	_cleanup_free_ char *buf = NULL, *cbuf = NULL;
	struct digest d, config;
	size_t len, clen;
	bool is_index = false;
	int r;

	if (!refs || strv_push(blobs, digest) < 0)
		return error_set(err, ENOMEM, "out of memory");
	if (depth > REACH_MAX_DEPTH)
		return error_set(err, ELOOP, "%s: indexes nested deeper than %d", digest,
		                 REACH_MAX_DEPTH);
	r = digest_parse(digest, &d, err);
	if (r == 0)
		r = store_blob_read(s, &d, STORE_MANIFEST_MAX, &buf, &len, err);
	if (r == 0)
		r = store_manifest_refs(buf, len, &refs, &is_index, err);
	if (r < 0)
		return wrap_err(r, err, "manifest %s", digest);
	if (is_index) {
		STRV_FOREACH (c, refs) {
			r = reach(s, *c, depth + 1, blobs, chains, err);
			if (r < 0)
				return r;
		}
		return 0;
	}
	STRV_FOREACH (b, refs)
		if (strv_push(blobs, *b) < 0)
			return error_set(err, ENOMEM, "out of memory");
	r = digest_parse(refs[0], &config, err);
	if (r == 0)
		r = store_blob_read(s, &config, STORE_MANIFEST_MAX, &cbuf, &clen, err);
	if (r == 0)
		r = store_config_chains(cbuf, clen, chains, err);
	return wrap_err(r, err, "image config %s", refs[0]);
}

int store_reach(struct store *s, const char *digest, char ***blobs, char ***chains,
                struct husk_error **err)
{
	return reach(s, digest, 0, blobs, chains, err);
}
