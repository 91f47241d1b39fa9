/* load.c — docker-archive and oci-archive tar streams into the store.
 *
 * One pass over the stream: each file that looks like a blob (a layer tar,
 * a config, blobs/sha256/<hex>) goes straight into a store blob writer,
 * hashed as it streams, under a lease; the layouts' small JSON files are
 * kept in memory, capped. Once the stream has ended the images are planned
 * from manifest.json or index.json, checked against what the archive held,
 * their layers unpacked, and only then recorded and tagged. */
#include "image/transfer.h"

#include <archive.h>
#include <archive_entry.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "archive/archive.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "image/config.h"
#include "image/manifest.h"
#include "image/reference.h"

#define LOAD_IO_BUF    (1u << 20)
#define LOAD_MAX_LINKS 8 /* hops through symlinks and hard links */

#define ANNOT_REF_NAME  "org.opencontainers.image.ref.name"
#define ANNOT_CTRD_NAME "io.containerd.image.name"

/* ---- the input: plain, gzip or zstd, decompressed with isa-l/libzstd ---- */

struct load_source {
	int fd;
	enum archive_compression c;
	struct decompressor *d;
	uint8_t *in, *out;
	const void *pos;
	size_t avail;
	bool started, eof;
	uint64_t raw_bytes; /* read so far */
	int code;           /* <0 when reading or decompressing failed (err says why) */
	struct husk_error *err;
};

static ssize_t source_read_raw(struct load_source *src, size_t off)
{
	ssize_t n = RETRY_EINTR(read(src->fd, src->in + off, LOAD_IO_BUF - off));

	if (n < 0)
		src->code = error_set_errno(&src->err, errno, "read the archive");
	else
		src->raw_bytes += n;
	return n;
}

/* The first bytes: enough to tell the compression. */
static ssize_t source_start(struct load_source *src)
{
	size_t have = 0;
	ssize_t n;

	src->started = true;
	do {
		n = source_read_raw(src, have);
		if (n < 0)
			return n;
		have += n;
	} while (n > 0 && have < 4);
	src->c = archive_detect(src->in, have);
	if (src->c != ARCHIVE_NONE) {
		src->d = decompressor_new(src->c);
		if (!src->d)
			return src->code = error_set(&src->err, ENOMEM, "out of memory");
	}
	src->pos = src->in;
	src->avail = have;
	src->eof = have == 0;
	return (ssize_t)have;
}

static ssize_t source_inflate(struct load_source *src, const void **buf)
{
	size_t out_len = 0;
	ssize_t n;
	int r;

	for (;;) {
		if (!src->avail && !src->eof) {
			n = source_read_raw(src, 0);
			if (n < 0)
				return n;
			src->eof = n == 0;
			src->pos = src->in;
			src->avail = n;
		}
		if (!src->avail && src->eof) {
			if (!decompressor_at_end(src->d))
				return src->code = error_set(&src->err, EPIPE,
				                             "unexpected end of archive");
			return 0;
		}
		r = decompressor_run(src->d, &src->pos, &src->avail, src->out, LOAD_IO_BUF,
		                     &out_len, &src->err);
		if (r < 0)
			return src->code = r;
		if (out_len) {
			*buf = src->out;
			return (ssize_t)out_len;
		}
	}
}

static la_ssize_t source_read_cb(struct archive *a, void *data, const void **buf)
{
	struct load_source *src = data;
	ssize_t n;

	if (!src->started) {
		n = source_start(src);
		if (n >= 0 && src->c == ARCHIVE_NONE) {
			src->avail = 0;
			*buf = src->in;
			return n;
		}
	}
	if (src->code < 0)
		n = src->code;
	else if (src->c == ARCHIVE_NONE) {
		n = source_read_raw(src, 0);
		*buf = src->in;
	} else
		n = source_inflate(src, buf);
	if (n < 0) {
		archive_set_error(a, EIO, "%s", error_message(src->err));
		return -1;
	}
	return n;
}

/* ---- what the stream held ---- */

struct archive_file {
	char *name;
	char *link; /* a symlink or hard link: the archive path it names */
	struct digest digest;
	uint64_t size;
	enum archive_compression compression;
	size_t seq; /* its place in the stream */
};

struct json_file {
	char *buf;
	size_t len;
	bool present;
};

struct load_image {
	struct digest id; /* the config's digest */
	struct image_config *cfg;
	struct digest manifest;
	const char *manifest_type;
	uint64_t manifest_size;
	struct digest *blobs; /* layer blobs, in the order of cfg->diff_ids */
	char **names;         /* full tag references */
};

struct load {
	struct store *s;
	struct store_lease *lease;
	struct load_source src;
	struct archive_file *files;
	size_t n_files, cap_files;
	struct json_file manifest_json, index_json, layout;
	struct load_image *images;
	size_t n_images;
	uint64_t entries;
};

static void load_release(struct load *l)
{
	for (size_t i = 0; i < l->n_files; i++) {
		free(l->files[i].name);
		free(l->files[i].link);
	}
	free(l->files);
	free(l->manifest_json.buf);
	free(l->index_json.buf);
	free(l->layout.buf);
	for (size_t i = 0; i < l->n_images; i++) {
		image_config_free(l->images[i].cfg);
		free(l->images[i].blobs);
		strv_free(l->images[i].names);
	}
	free(l->images);
	decompressor_free(l->src.d);
	free(l->src.in);
	free(l->src.out);
	error_free(l->src.err);
	store_lease_end(l->lease);
}

/* ---- entry names ---- */

/* Lexically clean an archive path: no leading "/" or "./", no "." or empty
 * components, ".." folded; NULL when it climbs above the top (such a name
 * can never be one the layouts use) or on OOM. */
static char *name_clean(const char *raw)
{
	_cleanup_strv_ char **parts = strv_split(raw, "/");
	_cleanup_strv_ char **out = strv_new();

	if (!parts || !out)
		return NULL;
	STRV_FOREACH (p, parts) {
		size_t n = strv_length(out);

		if (isempty(*p) || streq(*p, "."))
			continue;
		if (streq(*p, "..")) {
			if (n == 0)
				return NULL;
			free(out[n - 1]);
			out[n - 1] = NULL;
			continue;
		}
		if (strv_push(&out, *p) < 0)
			return NULL;
	}
	return strv_join(out, "/");
}

static bool is_hex64(const char *s, size_t len)
{
	if (len != DIGEST_HEX_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!strchr("0123456789abcdef", s[i]))
			return false;
	return true;
}

static int digest_from_hex(const char *hex, struct digest *ret)
{
	char s[DIGEST_STR_LEN + 1];

	if (strlen(hex) != DIGEST_HEX_LEN)
		return -EINVAL;
	snprintf(s, sizeof(s), "sha256:%s", hex);
	return digest_parse(s, ret, NULL);
}

enum entry_kind {
	ENTRY_SKIP,
	ENTRY_BLOB,     /* blobs/sha256/<hex>: its name is its digest */
	ENTRY_FILE,     /* <hex>.json, <hex>.tar, <dir>/layer.tar: stored, digest computed */
	ENTRY_MANIFEST, /* manifest.json */
	ENTRY_INDEX,    /* index.json */
	ENTRY_LAYOUT,   /* oci-layout */
};

static enum entry_kind entry_classify(const char *name)
{
	const char *rest = startswith(name, "blobs/sha256/"), *slash;
	size_t len = strlen(name);

	if (rest)
		return is_hex64(rest, strlen(rest)) ? ENTRY_BLOB : ENTRY_SKIP;
	if (streq(name, "manifest.json"))
		return ENTRY_MANIFEST;
	if (streq(name, "index.json"))
		return ENTRY_INDEX;
	if (streq(name, "oci-layout"))
		return ENTRY_LAYOUT;
	if ((endswith(name, ".json") || endswith(name, ".tar")) && !strchr(name, '/') &&
	    is_hex64(name, len - (endswith(name, ".tar") ? 4 : 5)))
		return ENTRY_FILE;
	slash = strchr(name, '/');
	if (slash && streq(slash, "/layer.tar"))
		return ENTRY_FILE;
	return ENTRY_SKIP; /* repositories, <dir>/VERSION, <dir>/json, anything else */
}

/* ---- reading entries ---- */

static int stream_error(struct load *l, struct archive *a, struct husk_error **err)
{
	const char *msg = archive_error_string(a);

	if (l->src.code < 0) {
		int code = error_code(l->src.err);
		return error_set(err, code, "%s", error_message(l->src.err));
	}
	if (l->src.started && l->src.raw_bytes == 0)
		return error_set(err, EINVAL, "invalid archive: the input is empty");
	if (msg && (strstr(msg, "runcated") || strstr(msg, "Premature end")))
		return error_set(err, EPIPE, "unexpected end of archive");
	if (msg && strstr(msg, "Unrecognized archive format"))
		return error_set(err, EINVAL, "invalid archive: not a tar stream");
	return error_set(err, EINVAL, "invalid archive: %s", msg ? msg : "unknown error");
}

/* Duplicate names are sorted out once the stream has ended (files_index). */
static struct archive_file *file_add(struct load *l, char *name)
{
	struct archive_file *f;

	if (l->n_files == l->cap_files) {
		size_t cap = l->cap_files ? l->cap_files * 2 : 32;
		void *p = reallocarray(l->files, cap, sizeof(*l->files));
		if (!p)
			return NULL;
		l->files = p;
		l->cap_files = cap;
	}
	f = &l->files[l->n_files];
	*f = (struct archive_file){.name = name, .seq = l->n_files++};
	return f;
}

/* Copy the entry's data to the blob writer, detecting its compression
 * from its first bytes. */
static int entry_copy(struct load *l, struct archive *a, struct blob_writer *w,
                      enum archive_compression *ret_c, struct husk_error **err)
{
	static const uint8_t zeros[4096];
	uint8_t head[4];
	size_t head_len = 0;
	int64_t pos = 0, off;
	const void *buf;
	size_t size;
	int r;

	while ((r = archive_read_data_block(a, &buf, &size, &off)) == ARCHIVE_OK) {
		/* a sparse entry: its holes are zeros */
		for (; pos < off; pos += MIN((int64_t)sizeof(zeros), off - pos))
			if ((r = blob_writer_write(
			             w, zeros, MIN(sizeof(zeros), (size_t)(off - pos)), err)) < 0)
				return r;
		for (size_t i = 0; head_len < sizeof(head) && i < size; i++)
			head[head_len++] = ((const uint8_t *)buf)[i];
		r = blob_writer_write(w, buf, size, err);
		if (r < 0)
			return r;
		pos = off + (int64_t)size;
	}
	if (r != ARCHIVE_EOF)
		return stream_error(l, a, err);
	*ret_c = archive_detect(head, head_len);
	return 0;
}

static int entry_store(struct load *l, struct archive *a, struct archive_entry *ae,
                       struct archive_file *f, const struct digest *expected,
                       struct husk_error **err)
{
	struct blob_writer *w = NULL;
	int64_t size = archive_entry_size_is_set(ae) ? archive_entry_size(ae) : -1;
	int r;

	r = store_blob_writer(l->s, expected, -1, l->lease, &w, err);
	if (r < 0)
		return r;
	r = entry_copy(l, a, w, &f->compression, err);
	if (r < 0) {
		blob_writer_abort(w);
		return r;
	}
	r = blob_writer_commit(w, &f->digest, &f->size, err);
	if (r < 0)
		return error_wrap(err, "\"%s\"", f->name);
	if (size >= 0 && f->size < (uint64_t)size)
		return error_set(err, EPIPE, "unexpected end of archive");
	return 0;
}

static int entry_json(struct archive *a, struct archive_entry *ae, const char *name,
                      struct json_file *j, struct load *l, struct husk_error **err)
{
	struct strbuf sb = {0};
	char buf[65536];
	la_ssize_t n;

	if (archive_entry_size(ae) > (la_int64_t)LOAD_JSON_MAX)
		return error_set(err, EFBIG, "\"%s\" is larger than %u bytes", name, LOAD_JSON_MAX);
	while ((n = archive_read_data(a, buf, sizeof(buf))) > 0) {
		if (sb.len + (size_t)n > LOAD_JSON_MAX) {
			strbuf_release(&sb);
			return error_set(err, EFBIG, "\"%s\" is larger than %u bytes", name,
			                 LOAD_JSON_MAX);
		}
		if (strbuf_append(&sb, buf, n) < 0) {
			strbuf_release(&sb);
			return error_set(err, ENOMEM, "out of memory");
		}
	}
	if (n < 0) {
		strbuf_release(&sb);
		return stream_error(l, a, err);
	}
	free(j->buf);
	j->len = sb.len;
	j->buf = sb.buf ? strbuf_steal(&sb) : strdup("");
	j->present = true;
	return j->buf ? 0 : error_set(err, ENOMEM, "out of memory");
}

/* A symlink's target is relative to its directory; a hard link names an
 * archive path. */
static char *link_target(const char *name, struct archive_entry *ae)
{
	const char *hard = archive_entry_hardlink(ae), *sym = archive_entry_symlink(ae);
	_cleanup_free_ char *dir = NULL, *joined = NULL;

	if (hard)
		return name_clean(hard);
	if (!sym || sym[0] == '/')
		return sym ? name_clean(sym) : NULL;
	dir = path_dirname(name);
	joined = dir ? str_printf("%s/%s", dir, sym) : NULL;
	return joined ? name_clean(joined) : NULL;
}

static int entry_link(struct load *l, char *name, struct archive_entry *ae, struct husk_error **err)
{
	_cleanup_free_ char *target = link_target(name, ae);
	struct archive_file *f;

	if (!target) {
		free(name);
		return 0; /* points nowhere in the archive: a reference to it fails later */
	}
	f = file_add(l, name);
	if (!f) {
		free(name);
		return error_set(err, ENOMEM, "out of memory");
	}
	f->link = TAKE_PTR(target);
	return 0;
}

static int entry_file(struct load *l, struct archive *a, struct archive_entry *ae, char *name,
                      enum entry_kind kind, struct husk_error **err)
{
	struct archive_file *f = file_add(l, name);
	struct digest expected;

	if (!f) {
		free(name);
		return error_set(err, ENOMEM, "out of memory");
	}
	if (kind != ENTRY_BLOB)
		return entry_store(l, a, ae, f, NULL, err);
	if (digest_from_hex(name + strlen("blobs/sha256/"), &expected) < 0)
		return error_set(err, EINVAL, "\"%s\": invalid blob name", name);
	return entry_store(l, a, ae, f, &expected, err);
}

static int entry_load(struct load *l, struct archive *a, struct archive_entry *ae,
                      struct husk_error **err)
{
	const char *raw = archive_entry_pathname(ae);
	mode_t type = archive_entry_filetype(ae);
	char *name = raw ? name_clean(raw) : NULL;
	enum entry_kind kind;

	if (!name)
		return 0; /* no name, or one above the top: nothing a layout uses */
	kind = entry_classify(name);
	if (kind == ENTRY_SKIP || type == AE_IFDIR) {
		free(name);
		return 0;
	}
	if (archive_entry_hardlink(ae) || type == AE_IFLNK)
		return entry_link(l, name, ae, err);
	if (type != AE_IFREG) {
		free(name);
		return 0;
	}
	switch (kind) {
	case ENTRY_MANIFEST:
		return free(name), entry_json(a, ae, "manifest.json", &l->manifest_json, l, err);
	case ENTRY_INDEX:
		return free(name), entry_json(a, ae, "index.json", &l->index_json, l, err);
	case ENTRY_LAYOUT:
		return free(name), entry_json(a, ae, "oci-layout", &l->layout, l, err);
	default:
		return entry_file(l, a, ae, name, kind, err);
	}
}

static int load_stream(struct load *l, int fd, struct husk_error **err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	int r = 0, ar;

	l->src.fd = fd;
	l->src.in = malloc(LOAD_IO_BUF);
	l->src.out = malloc(LOAD_IO_BUF);
	if (!a || !l->src.in || !l->src.out || archive_read_support_format_tar(a) != ARCHIVE_OK) {
		archive_read_free(a);
		return error_set(err, ENOMEM, "out of memory");
	}
	if (archive_read_open(a, &l->src, NULL, source_read_cb, NULL) != ARCHIVE_OK)
		r = stream_error(l, a, err);
	while (r == 0 && (ar = archive_read_next_header(a, &ae)) != ARCHIVE_EOF) {
		if (ar < ARCHIVE_WARN)
			r = stream_error(l, a, err);
		else if (++l->entries > LOAD_MAX_ENTRIES)
			r = error_set(err, E2BIG, "invalid archive: more than %u entries",
			              LOAD_MAX_ENTRIES);
		else
			r = entry_load(l, a, ae, err);
	}
	archive_read_free(a);
	return r;
}

/* ---- finding what the layouts name ---- */

static int file_cmp(const void *a, const void *b)
{
	const struct archive_file *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->seq < y->seq ? -1 : x->seq > y->seq);
}

/* Sort by name; of several entries with one name the last one counts, as
 * with tar -x. */
static void files_index(struct load *l)
{
	size_t out = 0;

	if (l->n_files)
		qsort(l->files, l->n_files, sizeof(*l->files), file_cmp);
	for (size_t i = 0; i < l->n_files; i++) {
		if (i + 1 < l->n_files && streq(l->files[i].name, l->files[i + 1].name)) {
			free(l->files[i].name);
			free(l->files[i].link);
			continue;
		}
		l->files[out++] = l->files[i];
	}
	l->n_files = out;
}

static int file_cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct archive_file *)a)->name,
	              ((const struct archive_file *)b)->name);
}

static const struct archive_file *file_lookup(const struct load *l, const char *name)
{
	struct archive_file key = {.name = (char *)name};

	return l->n_files ? bsearch(&key, l->files, l->n_files, sizeof(key), file_cmp_name) : NULL;
}

/* The stored file a layout path names, through links; NULL when absent. */
static const struct archive_file *file_find(const struct load *l, const char *path)
{
	_cleanup_free_ char *name = name_clean(path);
	const struct archive_file *f = name ? file_lookup(l, name) : NULL;

	for (unsigned hops = 0; f && f->link && hops < LOAD_MAX_LINKS; hops++)
		f = file_lookup(l, f->link);
	return f && !f->link ? f : NULL;
}

static const struct archive_file *blob_find(const struct load *l, const struct digest *d)
{
	char name[64 + DIGEST_HEX_LEN];

	snprintf(name, sizeof(name), "blobs/sha256/%s", digest_hex(d));
	return file_find(l, name);
}

/* ---- planning the images ---- */

static const char *layer_media_type(enum archive_compression c)
{
	switch (c) {
	case ARCHIVE_GZIP:
		return MEDIA_TYPE_OCI_LAYER_GZIP;
	case ARCHIVE_ZSTD:
		return MEDIA_TYPE_OCI_LAYER_ZSTD;
	default:
		return MEDIA_TYPE_OCI_LAYER;
	}
}

static int config_read(struct load *l, const struct digest *d, struct image_config **ret,
                       struct husk_error **err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = store_blob_read(l->s, d, LOAD_JSON_MAX, &buf, &len, err);

	if (r == 0)
		r = image_config_parse(buf, len, ret, err);
	return r < 0 ? error_wrap(err, "config %s", d->str) : 0;
}

/* The image of this ID in the plan, added when new. */
static struct load_image *image_slot(struct load *l, const struct digest *id, bool *ret_new)
{
	struct load_image *p;

	for (size_t i = 0; i < l->n_images; i++)
		if (digest_equal(&l->images[i].id, id)) {
			*ret_new = false;
			return &l->images[i];
		}
	p = reallocarray(l->images, l->n_images + 1, sizeof(*p));
	if (!p)
		return NULL;
	l->images = p;
	p = &l->images[l->n_images++];
	*p = (struct load_image){.id = *id};
	*ret_new = true;
	return p;
}

/* Add the tag reference s (normalised) to img's names; a reference with
 * only a digest names no tag. */
static int name_add(struct load_image *img, const char *s, const char *what,
                    struct husk_error **err)
{
	struct image_ref ref = {0};
	_cleanup_free_ char *repo = NULL, *full = NULL;
	int r = image_ref_parse(s, &ref, err);
	bool has_tag;

	if (r < 0)
		return error_wrap(err, "%s", what);
	has_tag = ref.tag != NULL;
	if (has_tag) {
		repo = image_ref_repository(&ref);
		full = repo ? str_printf("%s:%s", repo, ref.tag) : NULL;
	}
	image_ref_release(&ref);
	if (!has_tag)
		return 0;
	if (!full)
		return error_set(err, ENOMEM, "out of memory");
	if (strv_contains(img->names, full))
		return 0;
	return strv_push(&img->names, full) < 0 ? error_set(err, ENOMEM, "out of memory") : 0;
}

/* The layers of a docker-archive image: each file must be there, and an
 * uncompressed one (its digest is its diff ID) must match the config. */
static int docker_layers(struct load *l, char *const *layers, const struct image_config *cfg,
                         const char *what, struct descriptor *descs, struct digest *blobs,
                         struct husk_error **err)
{
	for (size_t i = 0; layers[i]; i++) {
		const struct archive_file *f = file_find(l, layers[i]);

		if (!f)
			return error_set(err, ENOENT,
			                 "%s: layer \"%s\" is missing from the archive", what,
			                 layers[i]);
		if (f->compression == ARCHIVE_NONE && !digest_equal(&f->digest, &cfg->diff_ids[i]))
			return error_set(
			        err, EILSEQ,
			        "%s: layer \"%s\": diff ID mismatch: the config says %s, the "
			        "layer is %s",
			        what, layers[i], cfg->diff_ids[i].str, f->digest.str);
		blobs[i] = f->digest;
		descs[i] =
		        (struct descriptor){.media_type = (char *)layer_media_type(f->compression),
		                            .digest = f->digest,
		                            .size = (int64_t)f->size};
	}
	return 0;
}

/* An OCI manifest for a docker-archive image: config and layers as stored. */
static int docker_manifest(struct load *l, const struct archive_file *cf,
                           const struct descriptor *layers, size_t n, struct load_image *img,
                           struct husk_error **err)
{
	struct descriptor config = {.media_type = (char *)MEDIA_TYPE_OCI_CONFIG,
	                            .digest = cf->digest,
	                            .size = (int64_t)cf->size};
	_cleanup_free_ char *text =
	        manifest_build(&config, layers, n, MEDIA_TYPE_OCI_MANIFEST, NULL);
	int r;

	if (!text)
		return error_set(err, ENOMEM, "out of memory");
	r = store_blob_put(l->s, text, strlen(text), l->lease, &img->manifest, err);
	img->manifest_type = MEDIA_TYPE_OCI_MANIFEST;
	img->manifest_size = strlen(text);
	return r;
}

static int docker_image(struct load *l, json_t *item, size_t idx, struct husk_error **err)
{
	_cleanup_(image_config_freep) struct image_config *cfg = NULL;
	_cleanup_strv_ char **tags = NULL, **layers = NULL;
	_cleanup_free_ struct descriptor *descs = NULL;
	_cleanup_free_ struct digest *blobs = NULL;
	const struct archive_file *cf;
	const char *config = NULL;
	struct load_image *img;
	char what[48];
	bool is_new;
	size_t n;
	int r;

	snprintf(what, sizeof(what), "manifest.json[%zu]", idx);
	if ((r = json_get_string(item, what, "Config", true, &config, err)) < 0 ||
	    (r = json_get_strv(item, what, "RepoTags", false, &tags, err)) < 0 ||
	    (r = json_get_strv(item, what, "Layers", true, &layers, err)) < 0)
		return r;
	cf = file_find(l, config);
	if (!cf)
		return error_set(err, ENOENT, "%s: config \"%s\" is missing from the archive", what,
		                 config);
	if ((r = config_read(l, &cf->digest, &cfg, err)) < 0)
		return error_wrap(err, "%s", what);
	n = strv_length(layers);
	if (n != cfg->n_diff_ids)
		return error_set(err, EINVAL, "%s: %zu layers, but the config lists %zu diff IDs",
		                 what, n, cfg->n_diff_ids);
	descs = calloc(n + 1, sizeof(*descs));
	blobs = calloc(n + 1, sizeof(*blobs));
	if (!descs || !blobs)
		return error_set(err, ENOMEM, "out of memory");
	if ((r = docker_layers(l, layers, cfg, what, descs, blobs, err)) < 0)
		return r;
	img = image_slot(l, &cf->digest, &is_new);
	if (!img)
		return error_set(err, ENOMEM, "out of memory");
	if (is_new) {
		img->cfg = TAKE_PTR(cfg);
		img->blobs = TAKE_PTR(blobs);
		if ((r = docker_manifest(l, cf, descs, n, img, err)) < 0)
			return r;
	}
	STRV_FOREACH (t, tags)
		if ((r = name_add(img, *t, what, err)) < 0)
			return r;
	return 0;
}

static int docker_plan(struct load *l, struct husk_error **err)
{
	_cleanup_json_ json_t *j = NULL;
	json_t *item;
	size_t i;
	int r;

	r = json_parse("manifest.json", l->manifest_json.buf, l->manifest_json.len, LOAD_JSON_MAX,
	               &j, err);
	if (r < 0)
		return r;
	if (!json_is_array(j))
		return error_set(err, EINVAL, "manifest.json: expected an array");
	json_array_foreach (j, i, item) {
		if (!json_is_object(item))
			return error_set(err, EINVAL, "manifest.json[%zu]: expected an object", i);
		r = docker_image(l, item, i, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- oci-archive ---- */

static int blob_read(struct load *l, const char *kind, const struct digest *d, char **ret,
                     size_t *ret_len, struct husk_error **err)
{
	if (!blob_find(l, d))
		return error_set(err, ENOENT, "%s %s is missing from the archive", kind, d->str);
	return store_blob_read(l->s, d, LOAD_JSON_MAX, ret, ret_len, err);
}

/* The manifest an index.json entry designates: itself, or the one for
 * this host of the index it names (one level, as an image index has). */
static int oci_manifest(struct load *l, const struct descriptor *d, bool nested,
                        struct manifest **ret, struct husk_error **err)
{
	_cleanup_(manifest_index_freep) struct manifest_index *idx = NULL;
	const struct descriptor *pick = NULL;
	_cleanup_free_ char *buf = NULL;
	enum manifest_kind kind;
	size_t len = 0;
	int r;

	r = blob_read(l, "manifest", &d->digest, &buf, &len, err);
	if (r == 0)
		r = manifest_parse(buf, len, d->media_type, &kind, ret, nested ? NULL : &idx, err);
	if (r < 0)
		return error_wrap(err, "manifest %s", d->digest.str);
	if (kind == MANIFEST_KIND_MANIFEST)
		return 0;
	r = manifest_index_select(idx, NULL, &pick, err);
	if (r < 0)
		return error_wrap(err, "index %s", d->digest.str);
	return oci_manifest(l, pick, true, ret, err);
}

/* The tag of an index.json entry: io.containerd.image.name (Docker 25,
 * podman), else ref.name when it is a whole reference rather than a bare
 * tag ("latest" names no repository). */
static const char *oci_name(const struct descriptor *d)
{
	const char *ctrd = json_string_value(json_object_get(d->annotations, ANNOT_CTRD_NAME));
	const char *ref = json_string_value(json_object_get(d->annotations, ANNOT_REF_NAME));

	if (!isempty(ctrd))
		return ctrd;
	if (!isempty(ref) && (strchr(ref, '/') || strchr(ref, ':')))
		return ref;
	return NULL;
}

static int oci_layers(struct load *l, const struct manifest *m, const struct image_config *cfg,
                      struct digest *blobs, struct husk_error **err)
{
	if (m->n_layers != cfg->n_diff_ids)
		return error_set(err, EINVAL,
		                 "manifest %s: %zu layers, but its config lists %zu diff IDs",
		                 m->digest.str, m->n_layers, cfg->n_diff_ids);
	for (size_t i = 0; i < m->n_layers; i++) {
		if (!blob_find(l, &m->layers[i].digest))
			return error_set(err, ENOENT, "layer %s is missing from the archive",
			                 m->layers[i].digest.str);
		blobs[i] = m->layers[i].digest;
	}
	return 0;
}

static int oci_image(struct load *l, const struct descriptor *d, size_t idx,
                     struct husk_error **err)
{
	_cleanup_(manifest_freep) struct manifest *m = NULL;
	_cleanup_(image_config_freep) struct image_config *cfg = NULL;
	_cleanup_free_ struct digest *blobs = NULL;
	const struct archive_file *mf;
	const char *name = oci_name(d);
	struct load_image *img;
	char what[48];
	bool is_new;
	int r;

	snprintf(what, sizeof(what), "index.json: manifests[%zu]", idx);
	r = oci_manifest(l, d, false, &m, err);
	if (r == 0 && !blob_find(l, &m->config.digest))
		r = error_set(err, ENOENT, "config %s is missing from the archive",
		              m->config.digest.str);
	if (r == 0)
		r = config_read(l, &m->config.digest, &cfg, err);
	if (r == 0 && !(blobs = calloc(m->n_layers + 1, sizeof(*blobs))))
		r = error_set(err, ENOMEM, "out of memory");
	if (r == 0)
		r = oci_layers(l, m, cfg, blobs, err);
	if (r < 0)
		return r;
	img = image_slot(l, &m->config.digest, &is_new);
	if (!img)
		return error_set(err, ENOMEM, "out of memory");
	if (is_new) {
		mf = blob_find(l, &m->digest);
		img->cfg = TAKE_PTR(cfg);
		img->blobs = TAKE_PTR(blobs);
		img->manifest = m->digest;
		img->manifest_size = mf->size;
		img->manifest_type = media_type_lookup(m->media_type)
		                             ? media_type_lookup(m->media_type)->name
		                             : MEDIA_TYPE_OCI_MANIFEST;
	}
	return name ? name_add(img, name, what, err) : 0;
}

static int oci_layout_check(const struct load *l, struct husk_error **err)
{
	_cleanup_json_ json_t *j = NULL;
	const char *v = NULL;
	int r;

	if (!l->layout.present)
		return 0; /* index.json and blobs/ suffice */
	r = json_parse("oci-layout", l->layout.buf, l->layout.len, LOAD_JSON_MAX, &j, err);
	if (r == 0)
		r = json_get_string(j, "oci-layout", "imageLayoutVersion", true, &v, err);
	if (r == 0 && !startswith(v, "1."))
		r = error_set(err, EINVAL, "oci-layout: unsupported image layout version \"%s\"",
		              v);
	return r;
}

static int oci_plan(struct load *l, struct husk_error **err)
{
	_cleanup_(manifest_index_freep) struct manifest_index *idx = NULL;
	enum manifest_kind kind;
	int r;

	r = oci_layout_check(l, err);
	if (r < 0)
		return r;
	r = manifest_parse(l->index_json.buf, l->index_json.len, MEDIA_TYPE_OCI_INDEX, &kind, NULL,
	                   &idx, err);
	if (r < 0)
		return error_wrap(err, "index.json");
	for (size_t i = 0; i < idx->n_manifests; i++) {
		enum media_kind k = media_type_kind(idx->manifests[i].media_type);

		if (k != MEDIA_KIND_MANIFEST && k != MEDIA_KIND_INDEX)
			continue; /* not an image (an artifact, an attestation) */
		r = oci_image(l, &idx->manifests[i], i, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int load_plan(struct load *l, struct husk_error **err)
{
	int r;

	files_index(l);
	/* Docker 25+ writes both; manifest.json carries its tags */
	if (l->manifest_json.present)
		r = docker_plan(l, err);
	else if (l->index_json.present)
		r = oci_plan(l, err);
	else
		return error_set(err, EINVAL,
		                 "invalid archive: it has neither manifest.json nor index.json "
		                 "(not a docker-archive or an oci-archive)");
	if (r == 0 && l->n_images == 0)
		r = error_set(err, EINVAL, "invalid archive: it holds no image");
	return r;
}

/* ---- unpacking and recording ---- */

/* One layer of an image, unpacked by one of the workers. */
struct unpack_job {
	struct load *l;
	const struct load_image *img;
	const struct digest *chain;
	size_t n;
	size_t next; /* atomic: the next layer to take */
	int r;       /* the first failure */
	struct husk_error *err;
	pthread_mutex_t lock;
};

static int unpack_one(struct load *l, const struct load_image *img, const struct digest *chain,
                      size_t i, struct husk_error **err)
{
	_cleanup_close_ int fd = store_blob_open(l->s, &img->blobs[i], err);

	if (fd < 0)
		return fd;
	return store_layer_ensure(l->s, &chain[i], i ? &chain[i - 1] : NULL, fd, &img->blobs[i],
	                          &img->cfg->diff_ids[i], l->lease, err);
}

static void *unpack_worker(void *p)
{
	struct unpack_job *j = p;
	size_t i;

	while ((i = __atomic_fetch_add(&j->next, 1, __ATOMIC_SEQ_CST)) < j->n) {
		struct husk_error *err = NULL;
		int r = unpack_one(j->l, j->img, j->chain, i, &err);

		pthread_mutex_lock(&j->lock);
		if (r < 0 && j->r == 0) {
			j->r = r;
			j->err = TAKE_PTR(err);
		}
		pthread_mutex_unlock(&j->lock);
		error_free(err);
		if (r < 0)
			break;
	}
	return NULL;
}

/* Unpack every layer: concurrently, at most one worker per CPU, where the
 * driver allows it (overlay2); in order otherwise. */
static int image_unpack(struct load *l, const struct load_image *img, struct husk_error **err)
{
	const struct image_config *cfg = img->cfg;
	_cleanup_free_ struct digest *chain = calloc(cfg->n_diff_ids + 1, sizeof(*chain));
	struct unpack_job j = {.l = l, .img = img, .n = cfg->n_diff_ids};
	pthread_t threads[8];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t workers = 0, want;

	if (!chain)
		return error_set(err, ENOMEM, "out of memory");
	image_chain_ids(cfg->diff_ids, cfg->n_diff_ids, chain);
	j.chain = chain;
	want = streq(store_driver(l->s), "overlay2") ? MIN((size_t)MAX(cpus, 1), j.n) : 1;
	want = MIN(want, ELEMENTSOF(threads));
	pthread_mutex_init(&j.lock, NULL);
	for (; workers + 1 < want; workers++)
		if (pthread_create(&threads[workers], NULL, unpack_worker, &j) != 0)
			break;
	unpack_worker(&j); /* this thread works too */
	for (size_t i = 0; i < workers; i++)
		pthread_join(threads[i], NULL);
	pthread_mutex_destroy(&j.lock);
	if (j.r < 0) {
		if (err && !*err)
			*err = TAKE_PTR(j.err);
		error_free(j.err);
		return j.r;
	}
	return 0;
}

static int report(const char *what, const char *name, image_progress_fn progress, void *data,
                  char ***loaded)
{
	_cleanup_free_ char *line = str_printf("%s: %s", what, name);

	if (!line)
		return -ENOMEM;
	if (progress)
		progress(line, data);
	return loaded ? strv_push(loaded, name) : 0;
}

static int image_record(struct load *l, const struct load_image *img, image_progress_fn progress,
                        void *data, char ***loaded, struct husk_error **err)
{
	int r;

	r = store_image_add(l->s, &img->id, &img->manifest, img->manifest_type, img->manifest_size,
	                    err);
	if (r < 0)
		return r;
	if (!img->names || !img->names[0])
		return report("Loaded image ID", img->id.str, progress, data, loaded) < 0
		               ? error_set(err, ENOMEM, "out of memory")
		               : 0;
	STRV_FOREACH (n, img->names) {
		_cleanup_free_ char *f = image_ref_familiar_of(*n, false);

		r = store_tag(l->s, *n, &img->id, err);
		if (r < 0)
			return r;
		if (!f || report("Loaded image", f, progress, data, loaded) < 0)
			return error_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

int image_load(struct store *s, int in_fd, image_progress_fn progress, void *data,
               char ***ret_loaded, struct husk_error **err)
{
	_cleanup_strv_ char **loaded = strv_new();
	struct load l = {.s = s, .src.fd = -1};
	int r;

	if (!loaded)
		return error_set(err, ENOMEM, "out of memory");
	r = store_lease_begin(s, &l.lease, err);
	if (r == 0)
		r = load_stream(&l, in_fd, err);
	if (r == 0)
		r = load_plan(&l, err);
	for (size_t i = 0; r == 0 && i < l.n_images; i++)
		r = image_unpack(&l, &l.images[i], err);
	for (size_t i = 0; r == 0 && i < l.n_images; i++)
		r = image_record(&l, &l.images[i], progress, data, &loaded, err);
	load_release(&l);
	if (r == 0 && ret_loaded)
		*ret_loaded = TAKE_PTR(loaded);
	return r;
}
