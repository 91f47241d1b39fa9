/* manifest.c — media types, descriptors, manifests and indexes: parse and
 * validate outside input, and write canonical manifests for husk's images.
 */
#include "image/manifest.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "base/json.h"
#include "base/str.h"
#include "image/image_internal.h"

#define FIELD_PATH_MAX 96
#define QUOTE_MAX      128

#define SCHEMA1_REFUSAL                                                                            \
	"manifest schema 1 is not supported: the image must be pushed again as a Docker image "    \
	"manifest v2 schema 2 or an OCI image manifest"

static const struct media_type_info media_types[] = {
        {MEDIA_TYPE_OCI_INDEX, MEDIA_KIND_INDEX, LAYER_COMPRESSION_NONE, 0},
        {MEDIA_TYPE_OCI_MANIFEST, MEDIA_KIND_MANIFEST, LAYER_COMPRESSION_NONE, 0},
        {MEDIA_TYPE_OCI_CONFIG, MEDIA_KIND_CONFIG, LAYER_COMPRESSION_NONE, 0},
        {MEDIA_TYPE_OCI_LAYER, MEDIA_KIND_LAYER, LAYER_COMPRESSION_NONE, 0},
        {MEDIA_TYPE_OCI_LAYER_GZIP, MEDIA_KIND_LAYER, LAYER_COMPRESSION_GZIP, 0},
        {MEDIA_TYPE_OCI_LAYER_ZSTD, MEDIA_KIND_LAYER, LAYER_COMPRESSION_ZSTD, 0},
        {MEDIA_TYPE_OCI_LAYER_ND, MEDIA_KIND_LAYER, LAYER_COMPRESSION_NONE, MEDIA_TYPE_FOREIGN},
        {MEDIA_TYPE_OCI_LAYER_ND_GZIP, MEDIA_KIND_LAYER, LAYER_COMPRESSION_GZIP,
         MEDIA_TYPE_FOREIGN},
        {MEDIA_TYPE_OCI_LAYER_ND_ZSTD, MEDIA_KIND_LAYER, LAYER_COMPRESSION_ZSTD,
         MEDIA_TYPE_FOREIGN},
        {MEDIA_TYPE_DOCKER_MANIFEST_LIST, MEDIA_KIND_INDEX, LAYER_COMPRESSION_NONE,
         MEDIA_TYPE_DOCKER},
        {MEDIA_TYPE_DOCKER_MANIFEST, MEDIA_KIND_MANIFEST, LAYER_COMPRESSION_NONE,
         MEDIA_TYPE_DOCKER},
        {MEDIA_TYPE_DOCKER_CONFIG, MEDIA_KIND_CONFIG, LAYER_COMPRESSION_NONE, MEDIA_TYPE_DOCKER},
        {MEDIA_TYPE_DOCKER_LAYER, MEDIA_KIND_LAYER, LAYER_COMPRESSION_GZIP, MEDIA_TYPE_DOCKER},
        {MEDIA_TYPE_DOCKER_LAYER_TAR, MEDIA_KIND_LAYER, LAYER_COMPRESSION_NONE, MEDIA_TYPE_DOCKER},
        {MEDIA_TYPE_DOCKER_FOREIGN_LAYER, MEDIA_KIND_LAYER, LAYER_COMPRESSION_GZIP,
         MEDIA_TYPE_DOCKER | MEDIA_TYPE_FOREIGN},
        {MEDIA_TYPE_DOCKER_SCHEMA1, MEDIA_KIND_SCHEMA1, LAYER_COMPRESSION_NONE, MEDIA_TYPE_DOCKER},
        {MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED, MEDIA_KIND_SCHEMA1, LAYER_COMPRESSION_NONE,
         MEDIA_TYPE_DOCKER},
};

/* Docker's pull (checkSupportedMediaType) accepts any layer under these;
 * whether its compression can be read is the unpacker's question. */
static const char *const layer_prefixes[] = {
        "application/vnd.oci.image.layer.",
        "application/vnd.docker.image.rootfs.",
};

/* The type without parameters (a Content-Type may carry "; charset=…"). */
static size_t media_type_base_len(const char *mt)
{
	size_t n = strcspn(mt, ";");

	while (n > 0 && (mt[n - 1] == ' ' || mt[n - 1] == '\t'))
		n--;
	return n;
}

const struct media_type_info *media_type_lookup(const char *media_type)
{
	size_t n;

	if (!media_type)
		return NULL;
	n = media_type_base_len(media_type);
	for (size_t i = 0; i < ELEMENTSOF(media_types); i++)
		if (strlen(media_types[i].name) == n &&
		    strncasecmp(media_types[i].name, media_type, n) == 0)
			return &media_types[i];
	return NULL;
}

enum media_kind media_type_kind(const char *media_type)
{
	const struct media_type_info *info = media_type_lookup(media_type);

	if (info)
		return info->kind;
	for (size_t i = 0; media_type && i < ELEMENTSOF(layer_prefixes); i++)
		if (strncasecmp(media_type, layer_prefixes[i], strlen(layer_prefixes[i])) == 0)
			return MEDIA_KIND_LAYER;
	return MEDIA_KIND_UNKNOWN;
}

enum layer_compression media_type_compression(const char *media_type)
{
	const struct media_type_info *info = media_type_lookup(media_type);

	return info && info->kind == MEDIA_KIND_LAYER ? info->compression
	                                              : LAYER_COMPRESSION_UNKNOWN;
}

/* RFC 6838 names as the OCI image spec's schema checks them:
 * [A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126} on each side of the '/'. */
static bool media_type_part_valid(const char *s, size_t len)
{
	if (len == 0 || len > 127)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool alnum =
		        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || !strchr("!#$&^_.+-", c)))
			return false;
	}
	return true;
}

static bool media_type_valid(const char *s)
{
	const char *slash = strchr(s, '/');

	return slash && media_type_part_valid(s, (size_t)(slash - s)) &&
	       media_type_part_valid(slash + 1, strlen(slash + 1));
}

int image_json_string_map(const json_t *obj, const char *path, const char *key, json_t **ret,
                          struct husk_error **err)
{
	json_t *map = NULL, *v;
	const char *name;
	int r;

	*ret = NULL;
	r = json_get_object(obj, path, key, false, &map, err);
	if (r < 0 || !map)
		return r;
	json_object_foreach (map, name, v)
		if (!json_is_string(v))
			return error_set(err, EINVAL, IMAGE_FIELD_FMT ".%.*s: expected a string",
			                 IMAGE_FIELD_ARGS(path, key), QUOTE_MAX, name);
	*ret = json_incref(map);
	return 0;
}

void descriptor_release(struct descriptor *d)
{
	if (!d)
		return;
	free(d->media_type);
	strv_free(d->urls);
	json_decref(d->annotations);
	platform_release(&d->platform);
	*d = (struct descriptor){};
}

static void descriptors_free(struct descriptor *d, size_t n)
{
	for (size_t i = 0; d && i < n; i++)
		descriptor_release(&d[i]);
	free(d);
}

/* The string fields of a platform object, by offset into struct platform. */
static const struct platform_field {
	const char *key;
	size_t offset;
} platform_fields[] = {
        {"architecture", offsetof(struct platform, architecture)},
        {"os", offsetof(struct platform, os)},
        {"os.version", offsetof(struct platform, os_version)},
        {"variant", offsetof(struct platform, variant)},
};

static int platform_from_json(const json_t *obj, const char *path, struct platform *ret,
                              struct husk_error **err)
{
	_cleanup_(platform_release) struct platform p = {.present = true};
	char sub[FIELD_PATH_MAX];
	json_t *pj = NULL;
	int r;

	r = json_get_object(obj, path, "platform", false, &pj, err);
	if (r < 0 || !pj)
		return r;
	snprintf(sub, sizeof(sub), "%s.platform", path);
	for (size_t i = 0; i < ELEMENTSOF(platform_fields); i++) {
		char **field = (char **)((char *)&p + platform_fields[i].offset);
		const char *s = NULL;

		r = json_get_string(pj, sub, platform_fields[i].key, false, &s, err);
		if (r < 0)
			return r;
		if (s && !(*field = strdup(s)))
			return error_set(err, ENOMEM, "out of memory");
	}
	r = json_get_strv(pj, sub, "os.features", false, &p.os_features, err);
	if (r < 0)
		return r;
	*ret = p;
	p = (struct platform){};
	return 0;
}

static int digest_field(const char *s, const char *path, struct digest *ret,
                        struct husk_error **err)
{
	int r;

	if (strlen(s) > 2 * DIGEST_STR_LEN)
		return error_set(err, EINVAL, "%s.digest: invalid digest \"%.32s…\": too long",
		                 path, s);
	r = digest_parse(s, ret, err);
	if (r < 0)
		error_wrap(err, "%s.digest", path);
	return r;
}

static int descriptor_parse(const json_t *obj, const char *path, struct descriptor *ret,
                            struct husk_error **err)
{
	_cleanup_(descriptor_release) struct descriptor d = {};
	const char *mt = NULL, *dg = NULL;
	int r;

	if (!json_is_object(obj))
		return error_set(err, EINVAL, "%s: expected an object", path);
	r = json_get_string(obj, path, "mediaType", true, &mt, err);
	if (r < 0)
		return r;
	if (!media_type_valid(mt))
		return error_set(err, EINVAL, "%s.mediaType: invalid media type \"%.*s\"", path,
		                 QUOTE_MAX, mt);
	d.media_type = strdup(mt);
	if (!d.media_type)
		return error_set(err, ENOMEM, "out of memory");
	r = json_get_string(obj, path, "digest", true, &dg, err);
	if (r >= 0)
		r = digest_field(dg, path, &d.digest, err);
	if (r >= 0)
		r = json_get_int64(obj, path, "size", true, &d.size, err);
	if (r >= 0 && d.size < 0)
		r = error_set(err, EINVAL, "%s.size: expected a non-negative integer, got %lld",
		              path, (long long)d.size);
	if (r >= 0)
		r = json_get_strv(obj, path, "urls", false, &d.urls, err);
	if (r >= 0)
		r = image_json_string_map(obj, path, "annotations", &d.annotations, err);
	if (r >= 0)
		r = platform_from_json(obj, path, &d.platform, err);
	if (r < 0)
		return r;
	*ret = d;
	d = (struct descriptor){};
	return 0;
}

/* Parse the array under key into descriptors; when strict, each media type
 * must be of kind want. */
static int descriptors_parse(const json_t *j, const char *key, enum media_kind want, bool strict,
                             struct descriptor **ret, size_t *ret_n, struct husk_error **err)
{
	json_t *arr = NULL, *item;
	size_t i;
	int r;

	r = json_get_array(j, "", key, true, &arr, err);
	if (r < 0)
		return r;
	*ret = calloc(MAX(json_array_size(arr), 1), sizeof(**ret));
	if (!*ret)
		return error_set(err, ENOMEM, "out of memory");
	json_array_foreach (arr, i, item) {
		char path[FIELD_PATH_MAX];

		snprintf(path, sizeof(path), "%s[%zu]", key, i);
		r = descriptor_parse(item, path, &(*ret)[i], err);
		if (r < 0)
			return r;
		*ret_n = i + 1;
		if (strict && media_type_kind((*ret)[i].media_type) != want)
			return error_set(err, EINVAL, "%s.mediaType: unsupported media type \"%s\"",
			                 path, (*ret)[i].media_type);
	}
	return 0;
}

void manifest_free(struct manifest *m)
{
	if (!m)
		return;
	free(m->media_type);
	descriptor_release(&m->config);
	descriptors_free(m->layers, m->n_layers);
	json_decref(m->annotations);
	json_decref(m->raw);
	free(m);
}

void manifest_index_free(struct manifest_index *idx)
{
	if (!idx)
		return;
	free(idx->media_type);
	descriptors_free(idx->manifests, idx->n_manifests);
	json_decref(idx->annotations);
	json_decref(idx->raw);
	free(idx);
}

static bool has_key(const json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);

	return v && !json_is_null(v);
}

static enum manifest_kind manifest_kind_of(const char *media_type)
{
	switch (media_type_kind(media_type)) {
	case MEDIA_KIND_MANIFEST:
		return MANIFEST_KIND_MANIFEST;
	case MEDIA_KIND_INDEX:
		return MANIFEST_KIND_INDEX;
	default:
		return 0;
	}
}

static bool is_schema1(const json_t *j, const char *field, const char *hint)
{
	json_t *sv = json_object_get(j, "schemaVersion");

	return media_type_kind(field) == MEDIA_KIND_SCHEMA1 ||
	       media_type_kind(hint) == MEDIA_KIND_SCHEMA1 ||
	       (json_is_integer(sv) && json_integer_value(sv) == 1) || has_key(j, "fsLayers");
}

static int check_schema_version(const json_t *j, struct husk_error **err)
{
	int64_t sv = 0;
	int r = json_get_int64(j, "", "schemaVersion", true, &sv, err);

	if (r < 0)
		return r;
	if (sv != 2)
		return error_set(err, EINVAL, "schemaVersion: expected 2, got %lld", (long long)sv);
	return 0;
}

/* The mediaType field decides; the Content-Type must then agree on the
 * kind (containerd's check). Without the field: the Content-Type, then the
 * structure. */
static int decide_kind(const json_t *j, const char *field, const char *hint,
                       enum manifest_kind *ret_kind, const char **ret_mt, struct husk_error **err)
{
	enum manifest_kind hk = manifest_kind_of(hint), fk;

	if (field) {
		fk = manifest_kind_of(field);
		if (!fk)
			return error_set(
			        err, EINVAL,
			        "mediaType: unsupported media type \"%.*s\" for a manifest",
			        QUOTE_MAX, field);
		if (hk && hk != fk)
			return error_set(
			        err, EINVAL,
			        "mediaType: the document is \"%s\" but was served as \"%.*s\"",
			        field, QUOTE_MAX, hint);
		*ret_kind = fk;
		*ret_mt = field;
	} else if (hk) {
		*ret_kind = hk;
		*ret_mt = media_type_lookup(hint)->name;
	} else if (has_key(j, "manifests")) {
		*ret_kind = MANIFEST_KIND_INDEX;
		*ret_mt = MEDIA_TYPE_OCI_INDEX;
	} else if (has_key(j, "layers") || has_key(j, "config")) {
		*ret_kind = MANIFEST_KIND_MANIFEST;
		*ret_mt = MEDIA_TYPE_OCI_MANIFEST;
	} else {
		return error_set(err, EINVAL,
		                 "cannot tell an image manifest from an index: no mediaType, "
		                 "\"manifests\" or \"layers\"");
	}
	return 0;
}

/* A document that is both a manifest and an index could be read one way by
 * a signer and the other by a puller (CVE-2021-41190): refuse it. */
static int check_unambiguous(const json_t *j, enum manifest_kind kind, struct husk_error **err)
{
	if (kind == MANIFEST_KIND_MANIFEST && has_key(j, "manifests"))
		return error_set(err, EINVAL, "manifests: not allowed in an image manifest");
	if (kind == MANIFEST_KIND_INDEX && has_key(j, "layers"))
		return error_set(err, EINVAL, "layers: not allowed in an image index");
	if (kind == MANIFEST_KIND_INDEX && has_key(j, "config"))
		return error_set(err, EINVAL, "config: not allowed in an image index");
	return 0;
}

static int manifest_body(json_t *j, struct manifest *m, struct husk_error **err)
{
	json_t *cfg = NULL;
	int r;

	r = json_get_object(j, "", "config", true, &cfg, err);
	if (r < 0)
		return r;
	r = descriptor_parse(cfg, "config", &m->config, err);
	if (r < 0)
		return r;
	if (media_type_kind(m->config.media_type) != MEDIA_KIND_CONFIG)
		return error_set(err, EINVAL,
		                 "config.mediaType: unsupported media type \"%s\": not a container "
		                 "image",
		                 m->config.media_type);
	r = descriptors_parse(j, "layers", MEDIA_KIND_LAYER, true, &m->layers, &m->n_layers, err);
	if (r < 0)
		return r;
	return image_json_string_map(j, "", "annotations", &m->annotations, err);
}

static int manifest_from_json(json_t *j, const char *mt, struct manifest **ret,
                              struct husk_error **err)
{
	struct manifest *m = calloc(1, sizeof(*m));
	int r;

	if (!m)
		return error_set(err, ENOMEM, "out of memory");
	*m = (struct manifest){
	        .media_type = strdup(mt), .schema_version = 2, .raw = json_incref(j)};
	r = m->media_type ? manifest_body(j, m, err) : error_set(err, ENOMEM, "out of memory");
	if (r < 0) {
		manifest_free(m);
		return r;
	}
	*ret = m;
	return 0;
}

static int index_from_json(json_t *j, const char *mt, struct manifest_index **ret,
                           struct husk_error **err)
{
	struct manifest_index *idx = calloc(1, sizeof(*idx));
	int r;

	if (!idx)
		return error_set(err, ENOMEM, "out of memory");
	*idx = (struct manifest_index){
	        .media_type = strdup(mt), .schema_version = 2, .raw = json_incref(j)};
	/* Entries of other kinds (and unknown ones) are kept: the index is a
	 * list of choices, and manifest_index_select() skips what is no image. */
	r = idx->media_type ? descriptors_parse(j, "manifests", MEDIA_KIND_UNKNOWN, false,
	                                        &idx->manifests, &idx->n_manifests, err)
	                    : error_set(err, ENOMEM, "out of memory");
	if (r >= 0)
		r = image_json_string_map(j, "", "annotations", &idx->annotations, err);
	if (r < 0) {
		manifest_index_free(idx);
		return r;
	}
	*ret = idx;
	return 0;
}

static int parse_document(const char *buf, size_t len, const char *hint, json_t **ret_j,
                          enum manifest_kind *ret_kind, const char **ret_mt,
                          struct husk_error **err)
{
	const char *field = NULL;
	int r;

	r = json_parse("manifest", buf, len, MANIFEST_MAX_SIZE, ret_j, err);
	if (r < 0)
		return r;
	if (!json_is_object(*ret_j))
		return error_set(err, EINVAL, "manifest: expected a JSON object");
	r = json_get_string(*ret_j, "", "mediaType", false, &field, err);
	if (r < 0)
		return r;
	if (is_schema1(*ret_j, field, hint))
		return error_set(err, EPROTONOSUPPORT, SCHEMA1_REFUSAL);
	r = check_schema_version(*ret_j, err);
	if (r >= 0)
		r = decide_kind(*ret_j, field, hint, ret_kind, ret_mt, err);
	if (r >= 0)
		r = check_unambiguous(*ret_j, *ret_kind, err);
	return r;
}

int manifest_parse(const char *buf, size_t len, const char *media_type_hint,
                   enum manifest_kind *ret_kind, struct manifest **ret_manifest,
                   struct manifest_index **ret_index, struct husk_error **err)
{
	_cleanup_json_ json_t *j = NULL;
	enum manifest_kind kind = 0;
	const char *mt = NULL;
	int r;

	if (ret_manifest)
		*ret_manifest = NULL;
	if (ret_index)
		*ret_index = NULL;
	r = parse_document(buf, len, media_type_hint, &j, &kind, &mt, err);
	if (r < 0)
		return r;
	if (kind == MANIFEST_KIND_MANIFEST && !ret_manifest)
		return error_set(err, EINVAL, "got an image manifest where an index was expected");
	if (kind == MANIFEST_KIND_INDEX && !ret_index)
		return error_set(err, EINVAL, "got an image index where a manifest was expected");
	if (kind == MANIFEST_KIND_MANIFEST) {
		r = manifest_from_json(j, mt, ret_manifest, err);
		if (r >= 0)
			digest_buf(buf, len, &(*ret_manifest)->digest);
	} else {
		r = index_from_json(j, mt, ret_index, err);
		if (r >= 0)
			digest_buf(buf, len, &(*ret_index)->digest);
	}
	if (r >= 0 && ret_kind)
		*ret_kind = kind;
	return r;
}

/* Building: jansson keeps insertion order, so key order is the order of the
 * calls below. put() steals v and records a failure in *r. */
static void put(json_t *obj, const char *key, json_t *v, int *r)
{
	if (!obj) {
		json_decref(v);
		*r = -ENOMEM;
	} else if (!v || json_object_set_new(obj, key, v) < 0) { /* jansson frees v on failure */
		*r = -ENOMEM;
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A copy of a string map with its keys in sorted order, as Go writes maps. */
static json_t *sorted_map(const json_t *map)
{
	size_t n = json_object_size(map), i = 0;
	_cleanup_free_ const char **keys = calloc(MAX(n, 1), sizeof(*keys));
	json_t *out = json_object(), *v;
	const char *k;
	int r = 0;

	if (!keys || !out) {
		json_decref(out);
		return NULL;
	}
	json_object_foreach ((json_t *)map, k, v)
		keys[i++] = k;
	qsort(keys, n, sizeof(*keys), cmp_str);
	for (i = 0; i < n; i++)
		put(out, keys[i], json_incref(json_object_get(map, keys[i])), &r);
	if (r < 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

static bool map_nonempty(const json_t *m)
{
	return json_is_object(m) && json_object_size(m) > 0;
}

static json_t *platform_json(const struct platform *p)
{
	json_t *o = json_object();
	int r = 0;

	if (!o)
		return NULL;
	put(o, "architecture", json_string(p->architecture ? p->architecture : ""), &r);
	put(o, "os", json_string(p->os ? p->os : ""), &r);
	if (p->os_version)
		put(o, "os.version", json_string(p->os_version), &r);
	if (p->os_features && p->os_features[0])
		put(o, "os.features", json_from_strv(p->os_features), &r);
	if (p->variant)
		put(o, "variant", json_string(p->variant), &r);
	if (r < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Docker's distribution.Descriptor writes size before digest; OCI's
 * descriptor writes digest first. */
static json_t *descriptor_json(const struct descriptor *d, bool docker)
{
	json_t *o = json_object();
	int r = 0;

	if (!o)
		return NULL;
	put(o, "mediaType", json_string(d->media_type), &r);
	if (docker)
		put(o, "size", json_integer(d->size), &r);
	put(o, "digest", json_string(d->digest.str), &r);
	if (!docker)
		put(o, "size", json_integer(d->size), &r);
	if (d->urls && d->urls[0])
		put(o, "urls", json_from_strv(d->urls), &r);
	if (map_nonempty(d->annotations))
		put(o, "annotations", sorted_map(d->annotations), &r);
	if (d->platform.present)
		put(o, "platform", platform_json(&d->platform), &r);
	if (r < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *descriptors_json(const struct descriptor *d, size_t n, bool docker)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, descriptor_json(&d[i], docker)) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static char *dump_document(json_t *o, int r)
{
	char *s = r < 0 || !o ? NULL : json_dumps(o, JSON_COMPACT);

	json_decref(o);
	if (!s)
		errno = ENOMEM;
	return s;
}

static const struct media_type_info *build_type(const char *media_type, enum media_kind kind)
{
	const struct media_type_info *info = media_type_lookup(media_type);

	if (!info || info->kind != kind || strchr(media_type, ';')) {
		errno = EINVAL;
		return NULL;
	}
	return info;
}

char *manifest_build(const struct descriptor *config, const struct descriptor *layers, size_t n,
                     const char *media_type, json_t *annotations)
{
	const struct media_type_info *info = build_type(media_type, MEDIA_KIND_MANIFEST);
	bool docker;
	json_t *o;
	int r = 0;

	if (!info || !config) {
		errno = EINVAL;
		return NULL;
	}
	docker = info->flags & MEDIA_TYPE_DOCKER;
	o = json_object();
	put(o, "schemaVersion", json_integer(2), &r);
	put(o, "mediaType", json_string(info->name), &r);
	put(o, "config", descriptor_json(config, docker), &r);
	put(o, "layers", descriptors_json(layers, n, docker), &r);
	/* Docker's schema 2 has no annotations field. */
	if (!docker && map_nonempty(annotations))
		put(o, "annotations", sorted_map(annotations), &r);
	return dump_document(o, r);
}

char *manifest_index_build(const struct descriptor *manifests, size_t n, const char *media_type,
                           json_t *annotations)
{
	const struct media_type_info *info = build_type(media_type, MEDIA_KIND_INDEX);
	bool docker;
	json_t *o;
	int r = 0;

	if (!info)
		return NULL;
	docker = info->flags & MEDIA_TYPE_DOCKER;
	o = json_object();
	put(o, "schemaVersion", json_integer(2), &r);
	put(o, "mediaType", json_string(info->name), &r);
	put(o, "manifests", descriptors_json(manifests, n, docker), &r);
	if (!docker && map_nonempty(annotations))
		put(o, "annotations", sorted_map(annotations), &r);
	return dump_document(o, r);
}
