/* save.c — images out of the store as one tar: docker-archive as `docker
 * save` (before Docker 25) writes it, which every loader reads, or an
 * oci-archive. Everything that can fail for want of an image or a blob
 * fails before the first byte is written; entries are sorted as Go's
 * filepath.Walk visits them, with owner 0 and mtime 0, so the same images
 * give the same bytes. */
#include "image/transfer.h"

#include <archive.h>
#include <archive_entry.h>
#include <string.h>
#include <unistd.h>

#include "archive/archive.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "image/config.h"
#include "image/images.h"
#include "image/manifest.h"
#include "image/reference.h"

#define SAVE_IO_BUF (1u << 20)

#define ANNOT_REF_NAME  "org.opencontainers.image.ref.name"
#define ANNOT_CTRD_NAME "io.containerd.image.name"

int save_format_parse(const char *s, enum save_format *ret)
{
	if (streq(s, "docker") || streq(s, "docker-archive"))
		*ret = SAVE_DOCKER;
	else if (streq(s, "oci") || streq(s, "oci-archive"))
		*ret = SAVE_OCI;
	else
		return -EINVAL;
	return 0;
}

/* ---- which images, with which tags ---- */

struct save_image {
	struct store_image *img;
	struct image_config *cfg;
	char **tags; /* full references ("docker.io/library/busybox:latest") */
};

struct save_set {
	struct save_image *v;
	size_t n;
};

static void save_set_release(struct save_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		store_image_free(set->v[i].img);
		image_config_free(set->v[i].cfg);
		strv_free(set->v[i].tags);
	}
	free(set->v);
}

/* Add img (taken) with tag (may be NULL) to the set. */
static int set_add(struct save_set *set, struct store_image *img, const char *tag)
{
	struct save_image *e = NULL, *p;

	for (size_t i = 0; i < set->n && !e; i++)
		if (digest_equal(&set->v[i].img->id, &img->id))
			e = &set->v[i];
	if (e)
		store_image_free(img);
	else {
		p = reallocarray(set->v, set->n + 1, sizeof(*p));
		if (!p) {
			store_image_free(img);
			return -ENOMEM;
		}
		set->v = p;
		e = &set->v[set->n++];
		*e = (struct save_image){.img = img};
	}
	if (!tag || strv_contains(e->tags, tag))
		return 0;
	return strv_push(&e->tags, tag);
}

/* A repository name with neither tag nor digest ("busybox", not
 * "busybox:1" or an ID): docker save takes every tag of it. */
static bool is_name_only(const char *name, const struct image_ref *ref)
{
	const char *slash = strrchr(name, '/');

	return !ref->has_digest && !strchr(slash ? slash : name, ':') && !image_ref_is_id(name);
}

/* Every tag of repository repo (full, "docker.io/library/busybox"); the
 * number found. */
static int add_repository(struct store *s, struct save_set *set, const char *repo,
                          struct husk_error **err)
{
	_cleanup_(store_image_list_freep) struct store_image **all = NULL;
	int found = 0, r;

	r = store_image_list(s, &all, err);
	if (r < 0)
		return r;
	for (size_t i = 0; all[i]; i++)
		STRV_FOREACH (n, all[i]->names) {
			struct store_image *img = NULL;
			const char *rest = startswith(*n, repo);

			if (!rest || rest[0] != ':')
				continue;
			if ((r = store_image_get(s, *n, &img, err)) < 0)
				return r;
			if (set_add(set, img, *n) < 0)
				return error_set(err, ENOMEM, "out of memory");
			found++;
		}
	return found;
}

static int add_name(struct store *s, struct save_set *set, const char *name,
                    struct husk_error **err)
{
	struct image_ref ref = {0};
	_cleanup_free_ char *repo = NULL, *full = NULL;
	struct store_image *img = NULL;
	int r;

	if (!image_ref_is_id(name) && image_ref_parse(name, &ref, NULL) == 0) {
		repo = image_ref_repository(&ref);
		if (ref.tag && !ref.has_digest && repo)
			full = str_printf("%s:%s", repo, ref.tag);
		if (repo && is_name_only(name, &ref)) {
			image_ref_release(&ref);
			r = add_repository(s, set, repo, err);
			if (r != 0)
				return r < 0 ? r : 0;
		}
		image_ref_release(&ref);
	}
	r = image_resolve(s, name, &img, err);
	if (r < 0)
		return r;
	/* a tag only when the name is that tag, not an ID prefix or a digest */
	if (full && !strv_contains(img->names, full)) {
		free(full);
		full = NULL;
	}
	return set_add(set, img, full) < 0 ? error_set(err, ENOMEM, "out of memory") : 0;
}

static int save_resolve(struct store *s, char *const *names, struct save_set *set,
                        struct husk_error **err)
{
	int r;

	if (!names || !names[0])
		return error_set(err, EINVAL, "no image to save");
	STRV_FOREACH (n, names)
		if ((r = add_name(s, set, *n, err)) < 0)
			return r;
	for (size_t i = 0; i < set->n; i++)
		if ((r = image_config_load(s, set->v[i].img, &set->v[i].cfg, err)) < 0)
			return r;
	return 0;
}

/* ---- the entries of the archive ---- */

enum save_kind {
	SAVE_DIR,
	SAVE_MEM,   /* data */
	SAVE_BLOB,  /* a store blob, verbatim */
	SAVE_LAYER, /* a store layer blob, uncompressed */
};

struct save_entry {
	char *name;
	enum save_kind kind;
	char *data;
	struct digest digest;  /* the blob */
	struct digest diff_id; /* SAVE_LAYER: what its uncompressed bytes hash to */
	uint64_t size;         /* bytes of the entry */
};

struct save_list {
	struct save_entry *v;
	size_t n;
	struct store *s;
	struct store_lease *lease;
};

static void save_list_release(struct save_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].data);
	}
	free(l->v);
	store_lease_end(l->lease);
}

/* Append an entry named name (taken); an entry of that name already
 * there wins (a layer two images share). NULL on OOM, or with *ret_dup. */
static struct save_entry *entry_add(struct save_list *l, char *name, enum save_kind kind,
                                    bool *ret_dup)
{
	struct save_entry *p;

	*ret_dup = false;
	if (!name)
		return NULL;
	for (size_t i = 0; i < l->n; i++)
		if (streq(l->v[i].name, name)) {
			free(name);
			*ret_dup = true;
			return NULL;
		}
	p = reallocarray(l->v, l->n + 1, sizeof(*p));
	if (!p) {
		free(name);
		return NULL;
	}
	l->v = p;
	p = &l->v[l->n++];
	*p = (struct save_entry){.name = name, .kind = kind};
	return p;
}

static int add_dir(struct save_list *l, char *name)
{
	bool dup;

	return entry_add(l, name, SAVE_DIR, &dup) || dup ? 0 : -ENOMEM;
}

/* A file whose contents are text (taken). */
static int add_mem(struct save_list *l, char *name, char *text)
{
	bool dup;
	struct save_entry *e = text ? entry_add(l, name, SAVE_MEM, &dup) : NULL;

	if (!e) {
		if (!text)
			free(name);
		free(text);
		return text && dup ? 0 : -ENOMEM;
	}
	e->data = text;
	e->size = strlen(text);
	return 0;
}

static int add_blob(struct save_list *l, char *name, const struct digest *d,
                    struct husk_error **err)
{
	struct save_entry *e;
	uint64_t size;
	bool dup;
	int r;

	r = store_blob_stat(l->s, d, &size);
	if (r < 0)
		return error_set_errno(err, -r, "blob %s", d->str);
	if ((r = store_lease_add(l->lease, d)) < 0)
		return error_set_errno(err, -r, "blob %s: record in lease", d->str);
	e = entry_add(l, name, SAVE_BLOB, &dup);
	if (!e)
		return dup ? 0 : error_set(err, ENOMEM, "out of memory");
	e->digest = *d;
	e->size = size;
	return 0;
}

/* The size of a layer's tar: the blob's own for a plain tar, else one
 * pass of decompression (which also checks its diff ID early). */
static int layer_tar_size(struct store *s, const struct digest *blob, const struct digest *diff,
                          uint64_t *ret, struct husk_error **err)
{
	_cleanup_close_ int fd = store_blob_open(s, blob, err);
	struct layer_stats st = {0};
	uint8_t head[4];
	ssize_t n;
	int r;

	if (fd < 0)
		return fd;
	n = pread(fd, head, sizeof(head), 0);
	if (n < 0)
		return error_set_errno(err, errno, "layer %s: read", blob->str);
	if (archive_detect(head, (size_t)n) == ARCHIVE_NONE)
		return store_blob_stat(s, blob, ret);
	r = layer_compress(fd, -1, ARCHIVE_NONE, &st, err);
	if (r < 0)
		return error_wrap(err, "layer %s", blob->str);
	if (!digest_equal(&st.diff_id, diff))
		return error_set(err, EILSEQ, "layer %s: diff ID mismatch: expected %s, got %s",
		                 blob->str, diff->str, st.diff_id.str);
	*ret = st.uncompressed_size;
	return 0;
}

static int add_layer(struct save_list *l, char *name, const struct digest *blob,
                     const struct digest *diff, struct husk_error **err)
{
	struct save_entry *e;
	bool dup;
	int r;

	e = entry_add(l, name, SAVE_LAYER, &dup);
	if (!e)
		return dup ? 0 : error_set(err, ENOMEM, "out of memory");
	e->digest = *blob;
	e->diff_id = *diff;
	if ((r = store_lease_add(l->lease, blob)) < 0)
		return error_set_errno(err, -r, "blob %s: record in lease", blob->str);
	return layer_tar_size(l->s, blob, diff, &e->size, err);
}

/* ---- docker-archive ---- */

/* The manifest's layer blobs, in order. */
static int image_layer_blobs(struct store *s, const struct store_image *img, size_t n,
                             struct digest *ret, struct husk_error **err)
{
	_cleanup_(manifest_freep) struct manifest *m = NULL;
	_cleanup_free_ char *buf = NULL;
	enum manifest_kind kind;
	size_t len = 0;
	int r;

	r = store_blob_read(s, &img->manifest, MANIFEST_MAX_SIZE, &buf, &len, err);
	if (r == 0)
		r = manifest_parse(buf, len, img->manifest_media_type, &kind, &m, NULL, err);
	if (r < 0)
		return error_wrap(err, "image %.19s: manifest", img->id.str);
	if (m->n_layers != n)
		return error_set(
		        err, EINVAL,
		        "image %.19s: the manifest has %zu layers, the config %zu diff IDs",
		        img->id.str, m->n_layers, n);
	for (size_t i = 0; i < n; i++)
		ret[i] = m->layers[i].digest;
	return 0;
}

/* <dir>/json: the legacy v1 image description loaders before manifest.json
 * read; dirs are named by chain ID, unique per layer position. */
static char *layer_v1_json(const char *id, const char *parent, const struct image_config *cfg)
{
	_cleanup_json_ json_t *j = json_pack(
	        "{s:s, s:s, s:{s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:n, s:n, s:s, s:n, "
	        "s:s, s:n, s:n, s:n}, s:s}",
	        "id", id, "created", cfg->created ?: "1970-01-01T00:00:00Z", "container_config",
	        "Hostname", "", "Domainname", "", "User", "", "AttachStdin", 0, "AttachStdout", 0,
	        "AttachStderr", 0, "Tty", 0, "OpenStdin", 0, "StdinOnce", 0, "Env", "Cmd", "Image",
	        "", "Volumes", "WorkingDir", "", "Entrypoint", "OnBuild", "Labels", "os",
	        cfg->os ?: "linux");

	if (!j || (parent && json_object_set_new(j, "parent", json_string(parent)) < 0))
		return NULL;
	return json_dumps(j, JSON_COMPACT);
}

static int docker_layers(struct save_list *l, const struct save_image *si, json_t *layers,
                         struct husk_error **err)
{
	const struct image_config *cfg = si->cfg;
	size_t n = cfg->n_diff_ids;
	_cleanup_free_ struct digest *chain = calloc(n + 1, sizeof(*chain));
	_cleanup_free_ struct digest *blobs = calloc(n + 1, sizeof(*blobs));
	int r;

	if (!chain || !blobs)
		return error_set(err, ENOMEM, "out of memory");
	r = image_layer_blobs(l->s, si->img, n, blobs, err);
	if (r < 0)
		return r;
	image_chain_ids(cfg->diff_ids, n, chain);
	for (size_t i = 0; i < n; i++) {
		const char *id = digest_hex(&chain[i]),
		           *parent = i ? digest_hex(&chain[i - 1]) : NULL;

		if (add_dir(l, strdup(id)) < 0 ||
		    add_mem(l, str_printf("%s/VERSION", id), strdup("1.0")) < 0 ||
		    add_mem(l, str_printf("%s/json", id), layer_v1_json(id, parent, cfg)) < 0 ||
		    json_array_append_new(layers, json_sprintf("%s/layer.tar", id)) < 0)
			return error_set(err, ENOMEM, "out of memory");
		r = add_layer(l, str_printf("%s/layer.tar", id), &blobs[i], &cfg->diff_ids[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* repositories: {"busybox": {"latest": "<top layer dir>"}}. */
static int repositories_add(json_t *repos, const struct save_image *si, const char *top)
{
	STRV_FOREACH (t, si->tags) {
		_cleanup_free_ char *repo = image_ref_familiar_of(*t, true);
		const char *tag = strrchr(*t, ':') + 1;
		json_t *m;

		if (!repo)
			return -ENOMEM;
		m = json_object_get(repos, repo);
		if (!m && json_object_set_new(repos, repo, m = json_object()) < 0)
			return -ENOMEM;
		if (json_object_set_new(m, tag, json_string(top)) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int docker_image(struct save_list *l, const struct save_image *si, json_t *manifest,
                        json_t *repos, struct husk_error **err)
{
	size_t n = si->cfg->n_diff_ids;
	_cleanup_free_ struct digest *chain = calloc(n + 1, sizeof(*chain));
	json_t *layers = json_array(), *tags = si->tags ? json_array() : json_null();
	int r;

	if (!chain || !layers || !tags ||
	    json_array_append_new(manifest,
	                          json_pack("{s:s+, s:o, s:o}", "Config", digest_hex(&si->img->id),
	                                    ".json", "RepoTags", tags, "Layers", layers)) < 0)
		return error_set(err, ENOMEM, "out of memory");
	STRV_FOREACH (t, si->tags) {
		_cleanup_free_ char *f = image_ref_familiar_of(*t, false);

		if (!f || json_array_append_new(tags, json_string(f)) < 0)
			return error_set(err, ENOMEM, "out of memory");
	}
	r = add_blob(l, str_printf("%s.json", digest_hex(&si->img->id)), &si->img->id, err);
	if (r == 0)
		r = docker_layers(l, si, layers, err);
	if (r < 0 || n == 0)
		return r;
	image_chain_ids(si->cfg->diff_ids, n, chain);
	return repositories_add(repos, si, digest_hex(&chain[n - 1])) < 0
	               ? error_set(err, ENOMEM, "out of memory")
	               : 0;
}

static int docker_entries(struct save_list *l, const struct save_set *set, struct husk_error **err)
{
	_cleanup_json_ json_t *manifest = json_array(), *repos = json_object();
	int r;

	if (!manifest || !repos)
		return error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < set->n; i++)
		if ((r = docker_image(l, &set->v[i], manifest, repos, err)) < 0)
			return r;
	if (add_mem(l, strdup("manifest.json"), json_dumps(manifest, JSON_COMPACT)) < 0)
		return error_set(err, ENOMEM, "out of memory");
	if (json_object_size(repos) &&
	    add_mem(l, strdup("repositories"), json_dumps(repos, JSON_COMPACT)) < 0)
		return error_set(err, ENOMEM, "out of memory");
	return 0;
}

/* ---- oci-archive ---- */

static int oci_blobs(struct save_list *l, const struct save_image *si, struct husk_error **err)
{
	_cleanup_free_ struct digest *blobs = calloc(si->cfg->n_diff_ids + 1, sizeof(*blobs));
	const struct store_image *img = si->img;
	int r;

	if (!blobs)
		return error_set(err, ENOMEM, "out of memory");
	r = image_layer_blobs(l->s, img, si->cfg->n_diff_ids, blobs, err);
	if (r == 0)
		r = add_blob(l, str_printf("blobs/sha256/%s", digest_hex(&img->manifest)),
		             &img->manifest, err);
	if (r == 0)
		r = add_blob(l, str_printf("blobs/sha256/%s", digest_hex(&img->id)), &img->id, err);
	for (size_t i = 0; r == 0 && i < si->cfg->n_diff_ids; i++)
		r = add_blob(l, str_printf("blobs/sha256/%s", digest_hex(&blobs[i])), &blobs[i],
		             err);
	return r;
}

/* One index.json entry per tag (an untagged image: one, without names):
 * the full name in io.containerd.image.name as Docker 25 and containerd
 * write it, the tag alone in ref.name as the OCI layout suggests. */
static int oci_descriptors(const struct save_image *si, struct descriptor **v, size_t *n)
{
	size_t count = MAX(strv_length(si->tags), (size_t)1);
	struct descriptor *p = reallocarray(*v, *n + count, sizeof(**v));

	if (!p)
		return -ENOMEM;
	*v = p;
	for (size_t i = 0; i < count; i++) {
		struct descriptor *d = &p[(*n)++];
		const char *tag = si->tags ? si->tags[i] : NULL;

		*d = (struct descriptor){.media_type = si->img->manifest_media_type,
		                         .digest = si->img->manifest,
		                         .size = (int64_t)si->img->manifest_size};
		if (tag && !(d->annotations = json_pack("{s:s, s:s}", ANNOT_CTRD_NAME, tag,
		                                        ANNOT_REF_NAME, strrchr(tag, ':') + 1)))
			return -ENOMEM;
	}
	return 0;
}

static int oci_entries(struct save_list *l, const struct save_set *set, struct husk_error **err)
{
	struct descriptor *descs = NULL;
	char *index = NULL;
	size_t n = 0;
	int r = 0;

	for (size_t i = 0; r == 0 && i < set->n; i++) {
		r = oci_blobs(l, &set->v[i], err);
		if (r == 0 && oci_descriptors(&set->v[i], &descs, &n) < 0)
			r = error_set(err, ENOMEM, "out of memory");
	}
	if (r == 0 && !(index = manifest_index_build(descs, n, MEDIA_TYPE_OCI_INDEX, NULL)))
		r = error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		json_decref(descs[i].annotations);
	free(descs);
	if (r < 0) {
		free(index);
		return r;
	}
	if (add_dir(l, strdup("blobs")) < 0 || add_dir(l, strdup("blobs/sha256")) < 0 ||
	    add_mem(l, strdup("index.json"), index) < 0 ||
	    add_mem(l, strdup("oci-layout"), strdup("{\"imageLayoutVersion\":\"1.0.0\"}")) < 0)
		return error_set(err, ENOMEM, "out of memory");
	return 0;
}

/* ---- writing the tar ---- */

/* Go's filepath.Walk order: component by component, so that a directory's
 * contents come right after it ("a", "a/x", "a.json"). */
static int path_cmp(const char *a, const char *b)
{
	for (;;) {
		size_t la = strcspn(a, "/"), lb = strcspn(b, "/");
		int c = memcmp(a, b, MIN(la, lb));

		if (c)
			return c;
		if (la != lb)
			return la < lb ? -1 : 1;
		a += la;
		b += lb;
		if (!*a || !*b)
			return (*a != 0) - (*b != 0);
		a++;
		b++;
	}
}

static int entry_cmp(const void *a, const void *b)
{
	return path_cmp(((const struct save_entry *)a)->name, ((const struct save_entry *)b)->name);
}

struct save_out {
	int fd;
	int code;
	struct husk_error *err;
};

static la_ssize_t out_write_cb(struct archive *a, void *data, const void *buf, size_t len)
{
	struct save_out *o = data;
	int r = write_all(o->fd, buf, len);

	if (r < 0) {
		o->code = error_set_errno(&o->err, -r, "write the archive");
		archive_set_error(a, -r, "%s", error_message(o->err));
		return -1;
	}
	return (la_ssize_t)len;
}

static int write_failed(struct archive *a, struct save_out *o, struct husk_error **err)
{
	if (o->code < 0)
		return error_set(err, error_code(o->err), "%s", error_message(o->err));
	return error_set(err, EIO, "write the archive: %s", archive_error_string(a) ?: "error");
}

static int write_data(struct archive *a, struct save_out *o, const void *buf, size_t len,
                      struct husk_error **err)
{
	if (len && archive_write_data(a, buf, len) != (la_ssize_t)len)
		return write_failed(a, o, err);
	return 0;
}

/* A blob verbatim, verified as it passes. */
static int write_blob(struct store *s, struct archive *a, struct save_out *o,
                      const struct save_entry *e, struct husk_error **err)
{
	_cleanup_close_ int fd = store_blob_open(s, &e->digest, err);
	_cleanup_(sha256_freep) struct sha256 *h = sha256_new();
	_cleanup_free_ uint8_t *buf = malloc(SAVE_IO_BUF);
	uint64_t total = 0;
	struct digest got;
	ssize_t n;
	int r;

	if (fd < 0)
		return fd;
	if (!h || !buf)
		return error_set(err, ENOMEM, "out of memory");
	while ((n = RETRY_EINTR(read(fd, buf, MIN(SAVE_IO_BUF, e->size - total)))) > 0) {
		sha256_update(h, buf, n);
		total += n;
		if ((r = write_data(a, o, buf, n, err)) < 0)
			return r;
	}
	if (n < 0)
		return error_set_errno(err, errno, "blob %s: read", e->digest.str);
	sha256_final(h, &got);
	if (total != e->size || !digest_equal(&got, &e->digest))
		return error_set(err, EILSEQ, "blob %s: changed or damaged while being saved",
		                 e->digest.str);
	return 0;
}

/* A layer blob uncompressed, its diff ID verified as it passes. */
static int write_layer(struct store *s, struct archive *a, struct save_out *o,
                       const struct save_entry *e, struct husk_error **err)
{
	_cleanup_close_ int fd = store_blob_open(s, &e->digest, err);
	_cleanup_(layer_reader_freep) struct layer_reader *rd = NULL;
	struct layer_stats st = {0};
	uint64_t total = 0;
	const void *p;
	ssize_t n;
	int r;

	if (fd < 0)
		return fd;
	r = layer_reader_new(fd, 0, true, &rd, err);
	if (r < 0)
		return error_wrap(err, "layer %s", e->digest.str);
	while ((n = layer_reader_read(rd, &p, err)) > 0) {
		if (total + n > e->size)
			break;
		total += n;
		if ((r = write_data(a, o, p, n, err)) < 0)
			return r;
	}
	if (n < 0 || (n == 0 && (r = layer_reader_finish(rd, &st, err)) < 0))
		return error_wrap(err, "layer %s", e->digest.str);
	if (n > 0 || total != e->size || !digest_equal(&st.diff_id, &e->diff_id))
		return error_set(err, EILSEQ, "layer %s: changed or damaged while being saved",
		                 e->digest.str);
	return 0;
}

static int write_entry(struct store *s, struct archive *a, struct save_out *o,
                       const struct save_entry *e, struct husk_error **err)
{
	struct archive_entry *ae = archive_entry_new();
	int r;

	if (!ae)
		return error_set(err, ENOMEM, "out of memory");
	archive_entry_set_pathname(ae, e->name);
	archive_entry_set_filetype(ae, e->kind == SAVE_DIR ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(ae, e->kind == SAVE_DIR ? 0755 : 0644);
	archive_entry_set_size(ae, e->kind == SAVE_DIR ? 0 : (la_int64_t)e->size);
	archive_entry_set_mtime(ae, 0, 0);
	archive_entry_set_uid(ae, 0);
	archive_entry_set_gid(ae, 0);
	r = archive_write_header(a, ae);
	archive_entry_free(ae);
	if (r < ARCHIVE_WARN)
		return write_failed(a, o, err);
	switch (e->kind) {
	case SAVE_MEM:
		return write_data(a, o, e->data, e->size, err);
	case SAVE_BLOB:
		return write_blob(s, a, o, e, err);
	case SAVE_LAYER:
		return write_layer(s, a, o, e, err);
	default:
		return 0;
	}
}

static int write_tar(struct save_list *l, int fd, struct husk_error **err)
{
	struct archive *a = archive_write_new();
	struct save_out o = {.fd = fd};
	int r = 0;

	if (!a || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK) {
		archive_write_free(a);
		return error_set(err, ENOMEM, "out of memory");
	}
	if (archive_write_open(a, &o, NULL, out_write_cb, NULL) != ARCHIVE_OK)
		r = write_failed(a, &o, err);
	for (size_t i = 0; r == 0 && i < l->n; i++)
		r = write_entry(l->s, a, &o, &l->v[i], err);
	if (r == 0 && archive_write_close(a) != ARCHIVE_OK)
		r = write_failed(a, &o, err);
	archive_write_free(a);
	error_free(o.err);
	return r;
}

struct image_save_plan {
	struct save_list entries;
};

void image_save_plan_free(struct image_save_plan *p)
{
	if (!p)
		return;
	save_list_release(&p->entries);
	free(p);
}

int image_save_prepare(struct store *s, char *const *names, enum save_format format,
                       struct image_save_plan **ret, struct husk_error **err)
{
	_cleanup_(image_save_plan_freep) struct image_save_plan *p = calloc(1, sizeof(*p));
	struct save_set set = {0};
	int r;

	if (!p)
		return error_set(err, ENOMEM, "out of memory");
	p->entries.s = s;
	r = save_resolve(s, names, &set, err);
	if (r == 0)
		r = store_lease_begin(s, &p->entries.lease, err);
	if (r == 0)
		r = format == SAVE_OCI ? oci_entries(&p->entries, &set, err)
		                       : docker_entries(&p->entries, &set, err);
	save_set_release(&set);
	if (r < 0)
		return r;
	qsort(p->entries.v, p->entries.n, sizeof(*p->entries.v), entry_cmp);
	*ret = TAKE_PTR(p);
	return 0;
}

int image_save_write(struct image_save_plan *p, int out_fd, struct husk_error **err)
{
	return write_tar(&p->entries, out_fd, err);
}

int image_save(struct store *s, char *const *names, enum save_format format, int out_fd,
               struct husk_error **err)
{
	_cleanup_(image_save_plan_freep) struct image_save_plan *p = NULL;
	int r = image_save_prepare(s, names, format, &p, err);

	return r < 0 ? r : image_save_write(p, out_fd, err);
}
