/* fuzz_manifest.c — manifest_parse() of image/manifest.h: the first byte
 * picks the Content-Type hint and which kinds are accepted, the rest is the
 * document. A parsed manifest or index must be consistent, rebuild with
 * manifest_build()/manifest_index_build() into a document that parses to
 * the same descriptors, and survive platform selection. The document, when
 * short, is also tried as a --platform value (platform_parse()).
 */
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/str.h"
#include "fuzz.h"
#include "image/manifest.h"

static const char *const hints[] = {
        NULL,
        MEDIA_TYPE_OCI_INDEX,
        MEDIA_TYPE_OCI_MANIFEST,
        MEDIA_TYPE_DOCKER_MANIFEST_LIST,
        MEDIA_TYPE_DOCKER_MANIFEST,
        MEDIA_TYPE_DOCKER_SCHEMA1,
        MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED,
        MEDIA_TYPE_OCI_CONFIG,
        "application/json",
        "application/vnd.oci.image.manifest.v1+json; charset=utf-8",
        "APPLICATION/VND.DOCKER.DISTRIBUTION.MANIFEST.LIST.V2+JSON",
        "",
};

static const char *const wants[] = {
        "linux/amd64",   "linux/arm/v7", "linux/arm64",   "linux/arm64/v9.3",
        "windows/amd64", "linux/386",    "linux/riscv64",
};

/* Built platforms write "" for a missing os or architecture. */
static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static void check_platform_same(const struct platform *a, const struct platform *b)
{
	if (a->present != b->present)
		abort();
	if (!a->present)
		return;
	if (!streq(or_empty(a->os), or_empty(b->os)) ||
	    !streq(or_empty(a->architecture), or_empty(b->architecture)) ||
	    !streq_ptr(a->variant, b->variant) || !streq_ptr(a->os_version, b->os_version) ||
	    strv_length(a->os_features) != strv_length(b->os_features))
		abort();
}

static bool map_empty(const json_t *m)
{
	return !m || json_object_size(m) == 0;
}

static void check_descriptor_same(const struct descriptor *a, const struct descriptor *b)
{
	if (!streq(a->media_type, b->media_type) || !streq(a->digest.str, b->digest.str) ||
	    a->size != b->size)
		abort();
	if (strv_length(a->urls) != strv_length(b->urls))
		abort();
	for (size_t i = 0; a->urls && a->urls[i]; i++)
		if (!streq(a->urls[i], b->urls[i]))
			abort();
	if (map_empty(a->annotations) != map_empty(b->annotations) ||
	    (!map_empty(a->annotations) && !json_equal(a->annotations, b->annotations)))
		abort();
	check_platform_same(&a->platform, &b->platform);
}

static void check_descriptor(const struct descriptor *d)
{
	_cleanup_free_ char *f = NULL;

	if (!d->media_type || d->size < 0 || !digest_valid(d->digest.str))
		abort();
	media_type_compression(d->media_type);
	if (d->platform.present) {
		f = platform_format(&d->platform);
		if (f && !*f)
			abort();
	}
}

static const struct media_type_info *canonical(const char *media_type, enum media_kind kind)
{
	const struct media_type_info *info = media_type_lookup(media_type);

	if (!info || info->kind != kind)
		abort();
	return info;
}

static void rebuild_manifest(const struct manifest *m)
{
	const struct media_type_info *info = canonical(m->media_type, MEDIA_KIND_MANIFEST);
	_cleanup_free_ char *doc =
	        manifest_build(&m->config, m->layers, m->n_layers, info->name, m->annotations);
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_(manifest_freep) struct manifest *back = NULL;

	if (!doc)
		return; /* out of memory */
	if (manifest_parse(doc, strlen(doc), NULL, NULL, &back, NULL, &err) < 0)
		abort();
	if (!streq(back->media_type, info->name) || back->n_layers != m->n_layers)
		abort();
	check_descriptor_same(&m->config, &back->config);
	for (size_t i = 0; i < m->n_layers; i++)
		check_descriptor_same(&m->layers[i], &back->layers[i]);
	if (!(info->flags & MEDIA_TYPE_DOCKER) &&
	    (map_empty(m->annotations) != map_empty(back->annotations) ||
	     (!map_empty(m->annotations) && !json_equal(m->annotations, back->annotations))))
		abort();
}

static void check_manifest(const char *buf, size_t len, const struct manifest *m)
{
	struct digest d;

	digest_buf(buf, len, &d);
	if (!streq(d.str, m->digest.str) || !json_is_object(m->raw) || m->schema_version != 2)
		abort();
	if (media_type_kind(m->config.media_type) != MEDIA_KIND_CONFIG)
		abort();
	check_descriptor(&m->config);
	for (size_t i = 0; i < m->n_layers; i++) {
		if (media_type_kind(m->layers[i].media_type) != MEDIA_KIND_LAYER)
			abort();
		check_descriptor(&m->layers[i]);
	}
	rebuild_manifest(m);
}

static void select_all(const struct manifest_index *idx)
{
	for (size_t i = 0; i < ELEMENTSOF(wants); i++) {
		_cleanup_error_ struct husk_error *err = NULL;
		_cleanup_(platform_release) struct platform want = {0};
		const struct descriptor *d = NULL;
		enum media_kind k;
		int r;

		if (platform_parse(wants[i], &want, NULL) < 0)
			abort();
		r = manifest_index_select(idx, &want, &d, &err);
		if (r < 0) {
			fuzz_check_failure(r, err);
			continue;
		}
		k = media_type_kind(d->media_type);
		if (d < idx->manifests || d >= idx->manifests + idx->n_manifests ||
		    (k != MEDIA_KIND_MANIFEST && k != MEDIA_KIND_INDEX))
			abort();
		if (d->platform.present && platform_rank(&want, &d->platform) < 0)
			abort();
	}
}

static void rebuild_index(const struct manifest_index *idx)
{
	const struct media_type_info *info = canonical(idx->media_type, MEDIA_KIND_INDEX);
	_cleanup_free_ char *doc = manifest_index_build(idx->manifests, idx->n_manifests,
	                                                info->name, idx->annotations);
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_(manifest_index_freep) struct manifest_index *back = NULL;

	if (!doc)
		return;
	if (manifest_parse(doc, strlen(doc), NULL, NULL, NULL, &back, &err) < 0)
		abort();
	if (!streq(back->media_type, info->name) || back->n_manifests != idx->n_manifests)
		abort();
	for (size_t i = 0; i < idx->n_manifests; i++)
		check_descriptor_same(&idx->manifests[i], &back->manifests[i]);
}

static void check_index(const char *buf, size_t len, const struct manifest_index *idx)
{
	struct digest d;

	digest_buf(buf, len, &d);
	if (!streq(d.str, idx->digest.str) || !json_is_object(idx->raw))
		abort();
	for (size_t i = 0; i < idx->n_manifests; i++)
		check_descriptor(&idx->manifests[i]);
	select_all(idx);
	rebuild_index(idx);
}

/* A --platform value: parsed, it prints as a value that parses the same. */
static void platform_value(const char *s)
{
	_cleanup_(platform_release) struct platform p = {0}, back = {0};
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_free_ char *f = NULL;
	int r = platform_parse(s, &p, &err);

	if (r < 0) {
		fuzz_check_failure(r, err);
		return;
	}
	f = platform_format(&p);
	if (!f)
		return;
	if (platform_parse(f, &back, NULL) < 0)
		abort();
	if (!streq(p.os, back.os) || !streq(p.architecture, back.architecture) ||
	    !streq_ptr(p.variant, back.variant) || platform_rank(&p, &back) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_(manifest_freep) struct manifest *m = NULL;
	_cleanup_(manifest_index_freep) struct manifest_index *idx = NULL;
	enum manifest_kind kind = 0;
	const char *buf = (const char *)data + 1;
	size_t len = size - 1;
	unsigned accept;
	int r;

	if (size == 0)
		return 0;
	accept = data[0] >> 4 & 3; /* 0, 3: both kinds; 1: manifests; 2: indexes */
	r = manifest_parse(buf, len, hints[(data[0] & 15) % ELEMENTSOF(hints)], &kind,
	                   accept == 2 ? NULL : &m, accept == 1 ? NULL : &idx, &err);
	if (r < 0) {
		fuzz_check_failure(r, err);
		if (m || idx)
			abort();
	} else if (kind == MANIFEST_KIND_MANIFEST) {
		if (!m || idx)
			abort();
		check_manifest(buf, len, m);
	} else {
		if (kind != MANIFEST_KIND_INDEX || !idx || m)
			abort();
		check_index(buf, len, idx);
	}
	if (len < 100 && !memchr(buf, 0, len)) {
		_cleanup_free_ char *s = strndup(buf, len);

		if (s)
			platform_value(s);
	}
	return 0;
}
