/* refs.c — image records and references, kept in the OCI layout's
 * index.json so skopeo and umoci see the tags: one anchor entry per image
 * (no ref.name) and one entry per tag or repo digest, each annotated with
 * the image ID. Every change is a read-modify-write under the index lock,
 * written back durably (temp + fsync + rename + fsync of the directory). */
#include "store/store_internal.h"

#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "base/fs.h"
#include "base/json.h"

#define REF_MAX 1024

static json_t *annotations(json_t *entry)
{
	json_t *a = json_object_get(entry, "annotations");

	return json_is_object(a) ? a : NULL;
}

static const char *annotation(json_t *entry, const char *key)
{
	return json_string_value(json_object_get(annotations(entry), key));
}

const char *store_entry_image_id(json_t *entry)
{
	return annotation(entry, ANNOT_IMAGE_ID);
}

static bool entry_is_anchor(json_t *entry, const char *id)
{
	return streq(store_entry_image_id(entry), id) && !annotation(entry, ANNOT_REF_NAME) &&
	       !annotation(entry, ANNOT_REPO_DIGEST);
}

int store_index_load(struct store *s, json_t **ret, struct husk_error **err)
{
	_cleanup_free_ char *path = path_join(s->dir, STORE_INDEX);
	_cleanup_json_ json_t *j = NULL;
	int r;

	if (!path)
		return error_set(err, ENOMEM, "out of memory");
	r = json_load_path(path, STORE_INDEX_MAX, &j, err);
	if (r < 0)
		return r;
	if (!json_is_object(j) || !json_is_array(json_object_get(j, "manifests")))
		return error_set(err, EINVAL, "\"%s\": expected an OCI index with \"manifests\"",
		                 path);
	*ret = TAKE_PTR(j);
	return 0;
}

int store_index_save(struct store *s, json_t *index, struct husk_error **err)
{
	_cleanup_free_ char *text = json_dumps(index, JSON_COMPACT);

	if (!text)
		return error_set(err, ENOMEM, "out of memory");
	return atomic_write_at(s->dfd, STORE_INDEX, text, strlen(text), 0644, err);
}

/* Run fn on the manifests array of index.json under the index lock; save
 * when fn returns > 0. */
typedef int (*index_fn)(struct store *s, json_t *manifests, void *data, struct husk_error **err);

static int index_update(struct store *s, index_fn fn, void *data, struct husk_error **err)
{
	_cleanup_json_ json_t *index = NULL;
	_cleanup_close_ int lock = store_lock(s, STORE_INDEX_LOCK, LOCK_EX);
	int r;

	if (lock < 0)
		return error_set_errno(err, -lock, "lock \"%s/locks/" STORE_INDEX_LOCK "\"",
		                       s->dir);
	r = store_index_load(s, &index, err);
	if (r < 0)
		return r;
	r = fn(s, json_object_get(index, "manifests"), data, err);
	if (r <= 0)
		return r;
	return store_index_save(s, index, err);
}

uint64_t store_index_temps(struct store *s, bool remove, char ***report)
{
	_cleanup_close_ int lock = store_lock(s, STORE_INDEX_LOCK, LOCK_EX | LOCK_NB);
	_cleanup_strv_ char **names = NULL;
	uint64_t n = 0;

	if (lock < 0 || store_list_dir(s, STORE_OCI_DIR, &names) < 0)
		return 0;
	STRV_FOREACH (name, names) {
		_cleanup_free_ char *rel = path_join(STORE_OCI_DIR, *name);

		/* atomic_write_at()'s temp names: ".<name>.tmp<hex>" */
		if (!rel || (*name)[0] != '.' || !strstr(*name, ".tmp"))
			continue;
		if (remove && unlinkat(s->dfd, rel, 0) < 0)
			continue;
		if (report)
			strv_push_take(report, str_printf("%s/%s", s->dir, rel));
		n++;
	}
	return n;
}

static json_t *find_anchor(json_t *manifests, const char *id)
{
	json_t *e;
	size_t i;

	json_array_foreach (manifests, i, e)
		if (entry_is_anchor(e, id))
			return e;
	return NULL;
}

/* Remove the entries whose annotation key is value (or any entry of image
 * value when key is ANNOT_IMAGE_ID). Returns how many. */
static size_t remove_entries(json_t *manifests, const char *key, const char *value)
{
	size_t n = 0;

	for (size_t i = 0; i < json_array_size(manifests);) {
		if (streq(annotation(json_array_get(manifests, i), key), value)) {
			json_array_remove(manifests, i);
			n++;
		} else {
			i++;
		}
	}
	return n;
}

/* A new entry pointing where the anchor points, annotated key=value. */
static json_t *entry_from_anchor(json_t *anchor, const char *id, const char *key, const char *value)
{
	_cleanup_json_ json_t *e = json_deep_copy(anchor);
	json_t *a = json_object();

	if (!e || !a || json_object_set_new(e, "annotations", a) < 0)
		return NULL;
	if (json_object_set_new(a, ANNOT_IMAGE_ID, json_string(id)) < 0 ||
	    json_object_set_new(a, key, json_string(value)) < 0)
		return NULL;
	if (streq(key, ANNOT_REF_NAME) &&
	    json_object_set_new(a, ANNOT_CTRD_NAME, json_string(value)) < 0)
		return NULL;
	return TAKE_PTR(e);
}

/* --- store_image_add ------------------------------------------------------ */

struct image_add {
	const struct digest *id, *manifest;
	const char *media_type;
	uint64_t size;
	json_t *platform;
};

static json_t *descriptor_new(const struct image_add *a)
{
	json_t *d = json_pack("{s:s, s:s, s:I}", "mediaType", a->media_type, "digest",
	                      a->manifest->str, "size", (json_int_t)a->size);

	if (d && a->platform && json_object_set(d, "platform", a->platform) < 0)
		d = (json_decref(d), NULL);
	return d;
}

static int do_image_add(struct store *s, json_t *manifests, void *data, struct husk_error **err)
{
	struct image_add *a = data;
	json_t *anchor = find_anchor(manifests, a->id->str);
	_cleanup_json_ json_t *d = descriptor_new(a);
	char added[32];

	if (!d)
		return error_set(err, ENOMEM, "out of memory");
	if (anchor && streq(json_string_value(json_object_get(anchor, "digest")), a->manifest->str))
		return 0;
	if (anchor) {
		/* a new manifest for the same config: keep the anchor's annotations */
		json_object_set(d, "annotations", annotations(anchor));
		json_object_clear(anchor);
		json_object_update(anchor, d);
		return 1;
	}
	snprintf(added, sizeof(added), "%" PRId64, (int64_t)time(NULL));
	if (json_object_set_new(
	            d, "annotations",
	            json_pack("{s:s, s:s}", ANNOT_IMAGE_ID, a->id->str, ANNOT_ADDED, added)) < 0 ||
	    json_array_append(manifests, d) < 0)
		return error_set(err, ENOMEM, "out of memory");
	return 1;
}

/* The platform of an image config, as an OCI descriptor's "platform". */
static int config_platform(struct store *s, const struct digest *id, json_t **ret,
                           struct husk_error **err)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_json_ json_t *c = NULL;
	const char *os = NULL, *arch = NULL, *variant = NULL;
	size_t len;
	int r;

	r = store_blob_read(s, id, STORE_MANIFEST_MAX, &buf, &len, err);
	if (r < 0)
		return r;
	r = json_parse("image config", buf, len, STORE_MANIFEST_MAX, &c, err);
	if (r < 0)
		return r;
	if (json_get_string(c, "", "os", false, &os, err) < 0 ||
	    json_get_string(c, "", "architecture", false, &arch, err) < 0 ||
	    json_get_string(c, "", "variant", false, &variant, err) < 0)
		return wrap_err(-EINVAL, err, "image config %s", id->str);
	*ret = json_pack("{s:s, s:s}", "architecture", arch ?: "", "os", os ?: "");
	if (*ret && variant)
		json_object_set_new(*ret, "variant", json_string(variant));
	return *ret ? 0 : error_set(err, ENOMEM, "out of memory");
}

static int check_manifest(struct store *s, const struct image_add *a, struct husk_error **err)
{
	_cleanup_free_ char *buf = NULL;
	struct digest config;
	uint64_t size = 0;
	size_t len;
	int r;

	r = store_blob_stat(s, a->manifest, &size);
	if (r < 0)
		return error_set(err, -r, "manifest %s is not in the store", a->manifest->str);
	if (size != a->size)
		return error_set(err, EINVAL, "manifest %s is %" PRIu64 " bytes, not %" PRIu64,
		                 a->manifest->str, size, a->size);
	r = store_blob_read(s, a->manifest, STORE_MANIFEST_MAX, &buf, &len, err);
	if (r < 0)
		return r;
	r = store_manifest_config(buf, len, &config, err);
	if (r < 0)
		return wrap_err(r, err, "manifest %s", a->manifest->str);
	if (!digest_equal(&config, a->id))
		return error_set(err, EINVAL, "manifest %s names config %s, not %s",
		                 a->manifest->str, config.str, a->id->str);
	return 0;
}

int store_image_add(struct store *s, const struct digest *id, const struct digest *manifest,
                    const char *media_type, uint64_t size, struct husk_error **err)
{
	_cleanup_json_ json_t *platform = NULL;
	struct image_add a = {id, manifest, media_type, size, NULL};
	int r;

	if (isempty(media_type))
		return error_set(err, EINVAL, "image %s: manifest media type required", id->str);
	r = check_manifest(s, &a, err);
	if (r == 0)
		r = config_platform(s, id, &platform, err);
	if (r < 0)
		return wrap_err(r, err, "add image %s", id->str);
	a.platform = platform;
	return index_update(s, do_image_add, &a, err);
}

/* --- names --------------------------------------------------------------- */

/* Printable, no white space, not a path or an option. The image module
 * normalises references; this only keeps garbage out of index.json. */
static bool ref_chars_valid(const char *ref)
{
	if (isempty(ref) || strlen(ref) > REF_MAX || ref[0] == '/' || ref[0] == '-')
		return false;
	for (const char *p = ref; *p; p++)
		/* brackets: an IPv6 registry host, "[::1]:5000/a:b" */
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-:/"
		            "@+[]",
		            *p))
			return false;
	return true;
}

static int ref_validate(const char *ref, bool digest_ref, struct husk_error **err)
{
	const char *at = ref ? strchr(ref, '@') : NULL;
	const char *slash = ref ? strrchr(ref, '/') : NULL;

	if (!ref_chars_valid(ref))
		return error_set(err, EINVAL, "invalid reference \"%s\"", ref ?: "");
	if (digest_ref && (!at || !digest_valid(at + 1)))
		return error_set(err, EINVAL,
		                 "invalid reference \"%s\": expected name@sha256:<hex>", ref);
	if (!digest_ref && (at || !strchr(slash ? slash : ref, ':')))
		return error_set(err, EINVAL, "invalid reference \"%s\": expected name:tag", ref);
	return 0;
}

struct name_op {
	const char *ref;
	const struct digest *id;
	const char *key; /* ANNOT_REF_NAME or ANNOT_REPO_DIGEST */
};

static int do_name_add(struct store *s, json_t *manifests, void *data, struct husk_error **err)
{
	struct name_op *op = data;
	json_t *anchor = find_anchor(manifests, op->id->str);
	json_t *e;

	if (!anchor)
		return error_set(err, ENOENT, "No such image: %s", op->id->str);
	/* Docker's semantics: the name moves from whichever image had it */
	remove_entries(manifests, op->key, op->ref);
	e = entry_from_anchor(anchor, op->id->str, op->key, op->ref);
	if (!e || json_array_append_new(manifests, e) < 0)
		return error_set(err, ENOMEM, "out of memory");
	return 1;
}

int store_tag(struct store *s, const char *full_ref, const struct digest *id,
              struct husk_error **err)
{
	struct name_op op = {full_ref, id, ANNOT_REF_NAME};
	int r = ref_validate(full_ref, false, err);

	return r < 0 ? r : index_update(s, do_name_add, &op, err);
}

int store_add_repo_digest(struct store *s, const char *ref, const struct digest *id,
                          struct husk_error **err)
{
	struct name_op op = {ref, id, ANNOT_REPO_DIGEST};
	int r = ref_validate(ref, true, err);

	return r < 0 ? r : index_update(s, do_name_add, &op, err);
}

static int do_remove(struct store *s, json_t *manifests, void *data, struct husk_error **err)
{
	struct name_op *op = data;

	if (remove_entries(manifests, op->key, op->ref) == 0)
		return error_set(err, ENOENT, "No such image: %s", op->ref);
	return 1;
}

int store_untag(struct store *s, const char *full_ref, struct husk_error **err)
{
	struct name_op op = {full_ref, NULL, ANNOT_REF_NAME};

	if (isempty(full_ref))
		return error_set(err, EINVAL, "invalid reference \"\"");
	return index_update(s, do_remove, &op, err);
}

int store_image_remove(struct store *s, const struct digest *id, struct husk_error **err)
{
	struct name_op op = {id->str, NULL, ANNOT_IMAGE_ID};

	return index_update(s, do_remove, &op, err);
}

/* --- reading ------------------------------------------------------------- */

void store_image_free(struct store_image *img)
{
	if (!img)
		return;
	free(img->manifest_media_type);
	free(img->os);
	free(img->architecture);
	free(img->variant);
	strv_free(img->names);
	strv_free(img->repo_digests);
	free(img);
}

void store_image_list_free(struct store_image **v)
{
	for (struct store_image **p = v; p && *p; p++)
		store_image_free(*p);
	free(v);
}

static char *platform_field(json_t *entry, const char *key)
{
	const char *v = json_string_value(json_object_get(json_object_get(entry, "platform"), key));

	return v ? strdup(v) : NULL;
}

static struct store_image *image_from_anchor(json_t *anchor)
{
	_cleanup_(store_image_freep) struct store_image *img = calloc(1, sizeof(*img));
	const char *added = annotation(anchor, ANNOT_ADDED);
	const char *mt = json_string_value(json_object_get(anchor, "mediaType"));
	json_int_t size = json_integer_value(json_object_get(anchor, "size"));

	if (!img)
		return NULL;
	if (digest_parse(store_entry_image_id(anchor), &img->id, NULL) < 0 ||
	    digest_parse(json_string_value(json_object_get(anchor, "digest")) ?: "", &img->manifest,
	                 NULL) < 0)
		return NULL;
	img->manifest_size = size > 0 ? (uint64_t)size : 0;
	img->manifest_media_type = strdup(mt ?: "");
	img->os = platform_field(anchor, "os");
	img->architecture = platform_field(anchor, "architecture");
	img->variant = platform_field(anchor, "variant");
	img->names = strv_new();
	img->repo_digests = strv_new();
	if (added)
		str_to_int64(added, &img->added);
	if (!img->manifest_media_type || !img->names || !img->repo_digests)
		return NULL;
	return TAKE_PTR(img);
}

static struct store_image *list_find(struct store_image **v, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (streq(v[i]->id.str, id))
			return v[i];
	return NULL;
}

/* Images from their anchors (entries that are not ours are ignored), then
 * names and repo digests hung on them. */
static int images_from_index(json_t *manifests, struct store_image ***ret)
{
	_cleanup_(store_image_list_freep) struct store_image **v =
	        calloc(json_array_size(manifests) + 1, sizeof(*v));
	struct store_image *img;
	size_t i, n = 0;
	json_t *e;

	if (!v)
		return -ENOMEM;
	json_array_foreach (manifests, i, e) {
		const char *id = store_entry_image_id(e);

		if (!id || !entry_is_anchor(e, id) || list_find(v, n, id))
			continue;
		img = image_from_anchor(e);
		if (img)
			v[n++] = img;
	}
	json_array_foreach (manifests, i, e) {
		const char *name = annotation(e, ANNOT_REF_NAME);
		const char *rd = annotation(e, ANNOT_REPO_DIGEST);

		img = list_find(v, n, store_entry_image_id(e) ?: "");
		if (img && name && strv_push(&img->names, name) < 0)
			return -ENOMEM;
		if (img && rd && strv_push(&img->repo_digests, rd) < 0)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(v);
	return 0;
}

int store_image_list(struct store *s, struct store_image ***ret, struct husk_error **err)
{
	_cleanup_json_ json_t *index = NULL;
	int r;

	r = store_index_load(s, &index, err);
	if (r < 0)
		return r;
	r = images_from_index(json_object_get(index, "manifests"), ret);
	return r < 0 ? error_set(err, -r, "out of memory") : 0;
}

static bool is_hex(const char *s)
{
	return *s && strspn(s, "0123456789abcdef") == strlen(s);
}

/* Which image key names: a name or repo digest, else an ID or unique ID
 * prefix. NULL with -ENOENT or -EINVAL in *r. */
static struct store_image *image_lookup(struct store_image **v, const char *key, int *r)
{
	const char *hex = startswith(key, "sha256:") ?: key;
	struct store_image *found = NULL;

	for (struct store_image **p = v; *p; p++)
		if (strv_contains((*p)->names, key) || strv_contains((*p)->repo_digests, key))
			return *p;
	*r = -ENOENT;
	if (!is_hex(hex) || strlen(hex) > DIGEST_HEX_LEN)
		return NULL;
	for (struct store_image **p = v; *p; p++) {
		if (!startswith(digest_hex(&(*p)->id), hex))
			continue;
		if (found) {
			*r = -EINVAL;
			return NULL;
		}
		found = *p;
	}
	return found;
}

int store_image_get(struct store *s, const char *key, struct store_image **ret,
                    struct husk_error **err)
{
	_cleanup_(store_image_list_freep) struct store_image **v = NULL;
	struct store_image *img;
	int r;

	r = store_image_list(s, &v, err);
	if (r < 0)
		return r;
	img = image_lookup(v, key, &r);
	if (!img && r == -EINVAL)
		return error_set(err, EINVAL, "short identifier \"%s\" is ambiguous", key);
	if (!img)
		return error_set(err, ENOENT, "No such image: %s", key);
	/* hand this one out; the rest of the vector is freed */
	for (struct store_image **p = v; *p; p++)
		if (*p == img)
			for (struct store_image **q = p; *q; q++)
				q[0] = q[1];
	*ret = img;
	return 0;
}
