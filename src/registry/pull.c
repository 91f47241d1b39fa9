/* pull.c — registry_pull(): a reference's manifest (an index resolved to
 * the platform's manifest), its config and the layers the store lacks,
 * downloaded in parallel (bounded) and unpacked as they arrive, then the
 * image recorded, tagged and given its repo digest.
 *
 * Every byte is checked before it counts: manifests against the digest
 * asked for and Docker-Content-Digest, blobs by the store's verifying
 * writer while they stream in, layers against their diff IDs when
 * unpacked. All of it is written under one lease, and nothing is recorded
 * unless everything succeeded (what was written is left to GC).
 */
#include "registry/internal.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"
#include "base/str.h"
#include "image/config.h"
#include "image/manifest.h"
#include "image/reference.h"

#define ACCEPT_MANIFESTS                                                                           \
	MEDIA_TYPE_OCI_INDEX ", " MEDIA_TYPE_OCI_MANIFEST ", " MEDIA_TYPE_DOCKER_MANIFEST_LIST     \
	                     ", " MEDIA_TYPE_DOCKER_MANIFEST ", " MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED \
	                     ", " MEDIA_TYPE_DOCKER_SCHEMA1
#define PULL_MAX_PARALLEL  16
#define PULL_MAX_UNPACKERS 8
#define PULL_MAX_TAGS      10000
#define PULL_INDEX_DEPTH   2 /* an index may name an index, once */

struct pull {
	struct store *s;
	struct reg_client *c;
	struct reg_endpoint *ep;
	struct store_lease *lease;
	struct image_ref ref;        /* the reference being pulled (tag or digest) */
	char *repo;                  /* "127.0.0.1:5000/busybox": image_ref_repository() */
	char *scope;                 /* "repository:busybox:pull" */
	const struct platform *want; /* NULL: this host */
	bool explicit_platform;
	unsigned max_parallel;
	int failed; /* atomic: the first failure's code, for downloads to stop early */
};

/* What the reference resolved to. */
struct resolved {
	struct digest top; /* of what the reference names: the index, or the manifest */
	struct manifest *m;
	uint64_t manifest_size;
	const char *manifest_type;
	struct image_config *cfg;
};

static void resolved_release(struct resolved *r)
{
	manifest_free(r->m);
	image_config_free(r->cfg);
	*r = (struct resolved){0};
}

static void short_id(const struct digest *d, char ret[13])
{
	snprintf(ret, 13, "%.12s", digest_hex(d));
}

/* ---- manifests ---- */

static int manifest_error(struct pull *p, const struct reg_response *rs, struct husk_error **err)
{
	_cleanup_free_ char *familiar = image_ref_familiar(&p->ref);
	_cleanup_free_ char *name = image_ref_familiar_repository(&p->ref);

	if (rs->status == 404)
		return reg_status_error(rs, err, "manifest for %s not found", familiar ?: "?");
	if (rs->status == 401 || rs->status == 403)
		return reg_status_error(rs, err,
		                        "pull access denied for %s, repository does not exist or "
		                        "may require 'docker login'",
		                        name ?: "?");
	return reg_status_error(rs, err, "manifest for %s", familiar ?: "?");
}

/* The Docker-Content-Digest header, when it names the bytes (it must). */
static int check_header_digest(const struct reg_response *rs, const struct digest *got,
                               const char *what, struct husk_error **err)
{
	struct digest said;

	if (!rs->docker_digest)
		return 0;
	if (digest_parse(rs->docker_digest, &said, NULL) < 0)
		return 0; /* another algorithm: the bytes were checked another way */
	if (!digest_equal(&said, got))
		return error_set(err, EILSEQ,
		                 "manifest %s: Docker-Content-Digest says %s, but the bytes are %s",
		                 what, said.str, got->str);
	return 0;
}

/* GET a manifest or index by tag or digest; the bytes verified against
 * want (a digest reference) and the Docker-Content-Digest header. */
static int manifest_get(struct pull *p, const char *reference, const struct digest *want,
                        struct reg_response *rs, struct digest *ret_digest, struct husk_error **err)
{
	_cleanup_free_ char *path = str_printf("/v2/%s/manifests/%s", p->ref.path, reference);
	struct reg_request rq = {.method = "GET",
	                         .url = path,
	                         .accept = ACCEPT_MANIFESTS,
	                         .scope = p->scope,
	                         .max_body = MANIFEST_MAX_SIZE};
	int r;

	if (!path)
		return error_set(err, ENOMEM, "out of memory");
	r = reg_send(p->ep, &rq, rs, err);
	if (r < 0)
		return r;
	if (rs->status != 200)
		return manifest_error(p, rs, err);
	digest_buf(rs->body ?: "", rs->body_len, ret_digest);
	if (want && !digest_equal(want, ret_digest))
		return error_set(err, EILSEQ, "manifest %s: digest mismatch: got %s", want->str,
		                 ret_digest->str);
	return check_header_digest(rs, ret_digest, reference, err);
}

static int manifest_store(struct pull *p, const struct reg_response *rs, struct husk_error **err)
{
	return store_blob_put(p->s, rs->body ?: "", rs->body_len, p->lease, NULL, err);
}

/* Follow the reference to an image manifest: an index's entry for the
 * platform, one nested index at most. */
static int resolve(struct pull *p, struct resolved *res, struct husk_error **err)
{
	const char *reference = p->ref.has_digest ? p->ref.digest.str : p->ref.tag;
	const struct digest *want = p->ref.has_digest ? &p->ref.digest : NULL;
	struct digest d, next;
	int r;

	for (unsigned depth = 0;; depth++) {
		_cleanup_(manifest_index_freep) struct manifest_index *idx = NULL;
		struct reg_response rs = {.content_length = -1};
		const struct descriptor *pick = NULL;
		enum manifest_kind kind;

		r = manifest_get(p, reference, want, &rs, &d, err);
		if (r == 0)
			r = manifest_parse(rs.body ?: "", rs.body_len, rs.content_type, &kind,
			                   &res->m, depth < PULL_INDEX_DEPTH ? &idx : NULL, err);
		if (r == 0)
			r = manifest_store(p, &rs, err);
		if (r == 0 && depth == 0)
			res->top = d;
		if (r == 0 && kind == MANIFEST_KIND_MANIFEST) {
			res->manifest_size = rs.body_len;
			res->manifest_type = media_type_lookup(res->m->media_type)
			                             ? media_type_lookup(res->m->media_type)->name
			                             : MEDIA_TYPE_OCI_MANIFEST;
		}
		reg_response_release(&rs);
		if (r < 0)
			return r == -EPROTONOSUPPORT || r == -EINVAL || r == -EFBIG
			               ? reg_wrap(r, err, "manifest %s", reference)
			               : r;
		if (kind == MANIFEST_KIND_MANIFEST)
			return 0;
		r = manifest_index_select(idx, p->want, &pick, err);
		if (r < 0)
			return r;
		next = pick->digest;
		want = &next;
		reference = next.str;
	}
}

/* ---- blobs ---- */

struct download {
	struct pull *p;
	const struct descriptor *desc;
	const char *id; /* progress id, or NULL */
	struct blob_writer *w;
	uint64_t have;
	struct reg_throttle th;
	struct husk_error *err; /* why the writer refused */
};

static int download_begin(long status, uint64_t start, void *data)
{
	struct download *d = data;

	if (start == d->have)
		return 0;
	/* the server ignored our Range: start over */
	blob_writer_abort(TAKE_PTR(d->w));
	d->have = 0;
	return store_blob_writer(d->p->s, &d->desc->digest, d->desc->size, d->p->lease, &d->w,
	                         &d->err);
}

static int download_write(const void *buf, size_t len, void *data)
{
	struct download *d = data;
	int r;

	if (__atomic_load_n(&d->p->failed, __ATOMIC_RELAXED) < 0)
		return -ECANCELED;
	r = blob_writer_write(d->w, buf, len, &d->err);
	if (r < 0)
		return r;
	d->have += len;
	if (d->id && reg_throttle_pass(&d->th, false))
		reg_emit(d->p->c, d->id, "Downloading", d->have, (uint64_t)d->desc->size);
	return 0;
}

static void pause_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* True for a layer to be fetched from its own URLs (a Docker foreign
 * layer), never from the registry and never with credentials. */
static bool is_foreign(const struct descriptor *desc)
{
	const struct media_type_info *mt = media_type_lookup(desc->media_type);

	return mt && (mt->flags & MEDIA_TYPE_FOREIGN) && desc->urls && desc->urls[0];
}

/* One try of a URL (or the registry when url is NULL), resuming at d->have. */
static int download_try(struct download *d, const char *url, struct reg_response *rs,
                        struct husk_error **err)
{
	_cleanup_free_ char *path =
	        url ? NULL : str_printf("/v2/%s/blobs/%s", d->p->ref.path, d->desc->digest.str);
	struct reg_sink sink = {.begin = download_begin, .write = download_write, .data = d};
	struct reg_request rq = {.method = "GET",
	                         .url = url ? url : path,
	                         .scope = d->p->scope,
	                         .range_start = d->have,
	                         .sink = &sink,
	                         .anonymous = url != NULL};

	if (!rq.url)
		return error_set(err, ENOMEM, "out of memory");
	return url ? reg_fetch_url(d->p->c, &rq, NULL, rs, err) : reg_send(d->p->ep, &rq, rs, err);
}

/* Fetch from one source to the end, resuming a cut transfer with Range. */
static int download_from(struct download *d, const char *url, struct husk_error **err)
{
	for (unsigned attempt = 1;; attempt++) {
		struct reg_response rs = {.content_length = -1};
		_cleanup_error_ struct husk_error *e = NULL;
		int r = download_try(d, url, &rs, &e);
		bool again = r < 0 && rs.transport && rs.retryable && attempt < REG_MAX_ATTEMPTS;

		if (r == 0 && rs.status != 200 && rs.status != 206)
			r = reg_status_error(&rs, err, "%s", "");
		else if (r < 0 && d->err) {
			r = error_set(err, error_code(d->err), "%s", error_message(d->err));
			again = false;
		} else if (r < 0 && !again && err && !*err)
			*err = TAKE_PTR(e);
		reg_response_release(&rs);
		if (!again)
			return r;
		pause_ms(REG_BACKOFF_MS << (attempt - 1));
	}
}

/* Download a blob into the store, verified; id (may be NULL) names its
 * progress events. */
static int blob_download(struct pull *p, const struct descriptor *desc, const char *id,
                         struct husk_error **err)
{
	struct download d = {.p = p, .desc = desc, .id = id};
	int r;

	r = store_blob_writer(p->s, &desc->digest, desc->size, p->lease, &d.w, err);
	if (r < 0)
		return r;
	if (is_foreign(desc)) {
		r = -ENOENT;
		for (char **u = desc->urls; *u && r < 0; u++) {
			error_free(TAKE_PTR(d.err));
			if (err && *err)
				error_free(TAKE_PTR(*err));
			if (d.have && (r = download_begin(200, 0, &d)) < 0)
				break;
			r = download_from(&d, *u, err);
		}
	} else
		r = download_from(&d, NULL, err);
	if (r == 0 && id) {
		reg_emit(p->c, id, "Downloading", d.have, (uint64_t)desc->size);
		reg_emit(p->c, id, "Verifying Checksum", 0, 0);
	}
	if (r == 0)
		r = blob_writer_commit(TAKE_PTR(d.w), NULL, NULL, err);
	else
		blob_writer_abort(TAKE_PTR(d.w));
	error_free(d.err);
	if (r == 0 && id)
		reg_emit(p->c, id, "Download complete", 0, 0);
	return r;
}

/* ---- the config ---- */

static int config_get(struct pull *p, struct resolved *res, struct husk_error **err)
{
	const struct descriptor *cd = &res->m->config;
	_cleanup_free_ char *buf = NULL;
	struct platform have = {0};
	uint64_t size;
	size_t len = 0;
	int r;

	if (media_type_kind(cd->media_type) != MEDIA_KIND_CONFIG)
		return error_set(err, EPROTONOSUPPORT,
		                 "manifest %s: config media type \"%s\" is not an image config",
		                 res->m->digest.str, cd->media_type);
	if (cd->size > (int64_t)IMAGE_CONFIG_MAX_SIZE)
		return error_set(err, EFBIG,
		                 "config %s: %" PRId64 " bytes, more than the %u allowed",
		                 cd->digest.str, cd->size, IMAGE_CONFIG_MAX_SIZE);
	if (store_blob_stat(p->s, &cd->digest, &size) < 0 &&
	    (r = blob_download(p, cd, NULL, err)) < 0)
		return reg_wrap(r, err, "config %s", cd->digest.str);
	if (p->lease && (r = store_lease_add(p->lease, &cd->digest)) < 0)
		return error_set_errno(err, -r, "lease");
	r = store_blob_read(p->s, &cd->digest, IMAGE_CONFIG_MAX_SIZE, &buf, &len, err);
	if (r == 0)
		r = image_config_parse(buf, len, &res->cfg, err);
	if (r < 0)
		return reg_wrap(r, err, "config %s", cd->digest.str);
	if (res->cfg->n_diff_ids != res->m->n_layers)
		return error_set(err, EINVAL, "manifest %s: %zu layers, but its config lists %zu",
		                 res->m->digest.str, res->m->n_layers, res->cfg->n_diff_ids);
	if (!p->explicit_platform)
		return 0;
	have = (struct platform){.present = true,
	                         .os = res->cfg->os,
	                         .architecture = res->cfg->architecture,
	                         .variant = res->cfg->variant};
	if (platform_rank(p->want, &have) < 0) {
		_cleanup_free_ char *w = platform_format(p->want), *h = platform_format(&have);
		_cleanup_free_ char *familiar = image_ref_familiar(&p->ref);
		return error_set(err, ENOENT,
		                 "image with reference %s was found but does not match the "
		                 "specified platform: wanted %s, actual: %s",
		                 familiar ?: "?", w ?: "?", h ?: "?");
	}
	return 0;
}

/* ---- layers: downloads and unpacks in parallel ---- */

enum { STEP_PENDING, STEP_RUNNING, STEP_DONE };

struct pull_blob {
	const struct descriptor *desc;
	char id[13];
	int state;
};

struct pull_layer {
	const struct descriptor *desc;
	struct digest chain;
	char id[13];
	struct pull_blob *blob; /* NULL when the layer exists */
	int state;
};

struct work {
	struct pull *p;
	struct resolved *res;
	struct pull_layer *layers;
	size_t n_layers;
	struct pull_blob *blobs;
	size_t n_blobs, next_blob;
	bool unpack_any_order; /* overlay2: layers are independent trees */
	bool downloaded;       /* some layer came over the network */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int r;
	struct husk_error *err;
};

/* Under w->lock. */
static void work_fail(struct work *w, int r, struct husk_error **e)
{
	if (w->r == 0) {
		w->r = r;
		w->err = TAKE_PTR(*e);
		__atomic_store_n(&w->p->failed, r, __ATOMIC_RELAXED);
	}
	error_free(TAKE_PTR(*e));
	pthread_cond_broadcast(&w->cond);
}

static void *download_worker(void *arg)
{
	struct work *w = arg;

	for (;;) {
		struct husk_error *e = NULL;
		struct pull_blob *b;
		int r;

		pthread_mutex_lock(&w->lock);
		while (w->next_blob < w->n_blobs && w->blobs[w->next_blob].state != STEP_PENDING)
			w->next_blob++; /* already in the store */
		if (w->r < 0 || w->next_blob >= w->n_blobs) {
			pthread_mutex_unlock(&w->lock);
			return NULL;
		}
		b = &w->blobs[w->next_blob++];
		b->state = STEP_RUNNING;
		pthread_mutex_unlock(&w->lock);

		r = blob_download(w->p, b->desc, b->id, &e);
		if (r < 0)
			error_wrap(&e, "layer %s", b->desc->digest.str);
		pthread_mutex_lock(&w->lock);
		if (r < 0)
			work_fail(w, r, &e);
		b->state = STEP_DONE;
		w->downloaded = true;
		pthread_cond_broadcast(&w->cond);
		pthread_mutex_unlock(&w->lock);
	}
}

/* Under w->lock: the next layer ready to unpack, NULL when none is yet;
 * *ret_all_taken when none is left at all. */
static struct pull_layer *unpack_next(struct work *w, bool *ret_all_taken)
{
	*ret_all_taken = true;
	for (size_t i = 0; i < w->n_layers; i++) {
		struct pull_layer *l = &w->layers[i];

		if (l->state != STEP_PENDING)
			continue;
		*ret_all_taken = false;
		if (l->blob && l->blob->state != STEP_DONE)
			continue;
		if (!w->unpack_any_order && i > 0 && w->layers[i - 1].state != STEP_DONE)
			continue;
		return l;
	}
	return NULL;
}

static int layer_unpack(struct work *w, struct pull_layer *l, struct husk_error **err)
{
	size_t i = l - w->layers;
	_cleanup_close_ int fd = store_blob_open(w->p->s, &l->desc->digest, err);
	int r;

	if (fd < 0)
		return reg_wrap(fd, err, "layer %s", l->desc->digest.str);
	r = store_layer_ensure(w->p->s, &l->chain, i ? &w->layers[i - 1].chain : NULL, fd,
	                       &l->desc->digest, &w->res->cfg->diff_ids[i], w->p->lease, err);
	return reg_wrap(r, err, "layer %s", l->desc->digest.str);
}

static void *unpack_worker(void *arg)
{
	struct work *w = arg;

	for (;;) {
		struct husk_error *e = NULL;
		struct pull_layer *l = NULL;
		bool all_taken = false;
		int r;

		pthread_mutex_lock(&w->lock);
		while (w->r == 0 && !(l = unpack_next(w, &all_taken)) && !all_taken)
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->r < 0)
			l = NULL;
		if (l)
			l->state = STEP_RUNNING;
		pthread_mutex_unlock(&w->lock);
		if (!l)
			return NULL;

		reg_emit(w->p->c, l->id, "Extracting", 0, (uint64_t)l->desc->size);
		r = layer_unpack(w, l, &e);
		if (r == 0)
			reg_emit(w->p->c, l->id, "Pull complete", 0, 0);
		pthread_mutex_lock(&w->lock);
		if (r < 0)
			work_fail(w, r, &e);
		l->state = STEP_DONE;
		pthread_cond_broadcast(&w->cond);
		pthread_mutex_unlock(&w->lock);
	}
}

/* Plan the layers: which exist, which blobs must come (each once). */
static int work_plan(struct work *w, struct husk_error **err)
{
	const struct manifest *m = w->res->m;
	_cleanup_free_ struct digest *chain = calloc(m->n_layers + 1, sizeof(*chain));
	struct pull *p = w->p;
	uint64_t size;

	w->layers = calloc(m->n_layers + 1, sizeof(*w->layers));
	w->blobs = calloc(m->n_layers + 1, sizeof(*w->blobs));
	if (!chain || !w->layers || !w->blobs)
		return error_set(err, ENOMEM, "out of memory");
	image_chain_ids(w->res->cfg->diff_ids, m->n_layers, chain);
	w->n_layers = m->n_layers;
	for (size_t i = 0; i < m->n_layers; i++) {
		struct pull_layer *l = &w->layers[i];
		struct pull_blob *b = NULL;

		*l = (struct pull_layer){.desc = &m->layers[i], .chain = chain[i]};
		short_id(&l->desc->digest, l->id);
		if (media_type_kind(l->desc->media_type) != MEDIA_KIND_LAYER)
			return error_set(err, EPROTONOSUPPORT,
			                 "layer %s: media type \"%s\" is not a layer",
			                 l->desc->digest.str, l->desc->media_type);
		if (store_layer_exists(p->s, &l->chain)) {
			l->state = STEP_DONE;
			if (p->lease)
				(void)store_lease_add(p->lease, &l->chain);
			continue;
		}
		for (size_t j = 0; j < w->n_blobs && !b; j++)
			if (digest_equal(&w->blobs[j].desc->digest, &l->desc->digest))
				b = &w->blobs[j];
		if (!b) {
			b = &w->blobs[w->n_blobs++];
			*b = (struct pull_blob){.desc = l->desc};
			memcpy(b->id, l->id, sizeof(b->id));
			/* a blob already here needs no download */
			if (store_blob_stat(p->s, &l->desc->digest, &size) == 0 &&
			    (!p->lease || store_lease_add(p->lease, &l->desc->digest) == 0))
				b->state = STEP_DONE;
		}
		l->blob = b;
	}
	return 0;
}

static void work_events(struct work *w)
{
	size_t queued = 0;

	for (size_t i = 0; i < w->n_layers; i++) {
		struct pull_layer *l = &w->layers[i];

		if (!l->blob) {
			reg_emit(w->p->c, l->id, "Already exists", 0, 0);
			continue;
		}
		if (l->blob->desc != l->desc)
			continue;
		reg_emit(w->p->c, l->id, "Pulling fs layer", 0, 0);
	}
	for (size_t i = 0; i < w->n_blobs; i++)
		if (w->blobs[i].state == STEP_PENDING && queued++ >= w->p->max_parallel)
			reg_emit(w->p->c, w->blobs[i].id, "Waiting", 0, 0);
}

static size_t count_pending(const struct pull_blob *v, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += v[i].state == STEP_PENDING;
	return k;
}

static int layers_get(struct pull *p, struct resolved *res, bool *ret_downloaded,
                      struct husk_error **err)
{
	struct work w = {.p = p, .res = res};
	pthread_t threads[PULL_MAX_PARALLEL + PULL_MAX_UNPACKERS];
	size_t n_threads = 0, n_dl, n_unpack = 0, unpackers;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int r = work_plan(&w, err);

	if (r < 0)
		goto out;
	n_dl = count_pending(w.blobs, w.n_blobs);
	for (size_t i = 0; i < w.n_layers; i++)
		n_unpack += w.layers[i].state == STEP_PENDING;
	w.unpack_any_order = streq(store_driver(p->s), "overlay2");
	work_events(&w);
	pthread_mutex_init(&w.lock, NULL);
	pthread_cond_init(&w.cond, NULL);
	for (size_t i = 0; i < MIN((size_t)p->max_parallel, n_dl); i++)
		if (pthread_create(&threads[n_threads], NULL, download_worker, &w) == 0)
			n_threads++;
	if (n_dl && n_threads == 0)
		download_worker(&w); /* no thread could start: download here first */
	unpackers = w.unpack_any_order ? MIN((size_t)MAX(cpus, 1), n_unpack) : 1;
	unpackers = MIN(MIN(unpackers, n_unpack), (size_t)PULL_MAX_UNPACKERS);
	for (size_t i = 0; i + 1 < unpackers; i++)
		if (pthread_create(&threads[n_threads], NULL, unpack_worker, &w) == 0)
			n_threads++;
	if (n_unpack)
		unpack_worker(&w);
	for (size_t i = 0; i < n_threads; i++)
		pthread_join(threads[i], NULL);
	pthread_cond_destroy(&w.cond);
	pthread_mutex_destroy(&w.lock);
	r = w.r;
	if (r < 0 && err && !*err)
		*err = TAKE_PTR(w.err);
	*ret_downloaded = w.downloaded;
out:
	error_free(w.err);
	free(w.layers);
	free(w.blobs);
	return r;
}

/* ---- recording ---- */

static int record(struct pull *p, const struct resolved *res, bool downloaded, bool *ret_up_to_date,
                  struct husk_error **err)
{
	const struct digest *id = &res->m->config.digest;
	_cleanup_free_ char *tag_ref =
	        p->ref.tag && !p->ref.has_digest ? str_printf("%s:%s", p->repo, p->ref.tag) : NULL;
	_cleanup_free_ char *digest_ref = str_printf("%s@%s", p->repo, res->top.str);
	_cleanup_(store_image_freep) struct store_image *prev = NULL;
	_cleanup_free_ struct digest *blobs = calloc(res->m->n_layers + 1, sizeof(*blobs));
	int r;

	if (!digest_ref || (p->ref.tag && !p->ref.has_digest && !tag_ref) || !blobs)
		return error_set(err, ENOMEM, "out of memory");
	*ret_up_to_date = !downloaded &&
	                  store_image_get(p->s, tag_ref ?: digest_ref, &prev, NULL) == 0 &&
	                  digest_equal(&prev->id, id);
	r = store_image_add(p->s, id, &res->m->digest, res->manifest_type, res->manifest_size, err);
	if (r == 0 && tag_ref)
		r = store_tag(p->s, tag_ref, id, err);
	if (r == 0)
		r = store_add_repo_digest(p->s, digest_ref, id, err);
	if (r < 0)
		return r;
	/* where these blobs can be mounted from on a later push; only a hint */
	for (size_t i = 0; i < res->m->n_layers; i++)
		blobs[i] = res->m->layers[i].digest;
	blobs[res->m->n_layers] = *id;
	(void)reg_sources_add(p->s, blobs, res->m->n_layers + 1, p->repo, NULL);
	return 0;
}

/* ---- one reference from one endpoint ---- */

static int pull_one(struct pull *p, struct digest *ret_id, struct husk_error **err)
{
	_cleanup_(resolved_release) struct resolved res = {0};
	_cleanup_free_ char *familiar = image_ref_familiar(&p->ref), *line = NULL, *status = NULL;
	bool downloaded = false, up_to_date = false;
	int r;

	if (!familiar)
		return error_set(err, ENOMEM, "out of memory");
	r = resolve(p, &res, err);
	if (r < 0)
		return r;
	line = str_printf("Pulling from %s", p->ref.path);
	if (!line)
		return error_set(err, ENOMEM, "out of memory");
	reg_emit(p->c, NULL, line, 0, 0);
	if ((r = config_get(p, &res, err)) < 0 || (r = layers_get(p, &res, &downloaded, err)) < 0 ||
	    (r = record(p, &res, downloaded, &up_to_date, err)) < 0)
		return r;
	free(line);
	line = str_printf("Digest: %s", res.top.str);
	status =
	        str_printf("Status: %s for %s",
	                   up_to_date ? "Image is up to date" : "Downloaded newer image", familiar);
	if (!line || !status)
		return error_set(err, ENOMEM, "out of memory");
	reg_emit(p->c, NULL, line, 0, 0);
	reg_emit(p->c, NULL, status, 0, 0);
	if (ret_id)
		*ret_id = res.m->config.digest;
	return 0;
}

/* ---- every tag (-a) ---- */

/* The "next" URL of an RFC 5988 Link header: `<url>; rel="next"`. */
static char *link_next(const char *link, const char *base)
{
	const char *lt = link ? strchr(link, '<') : NULL, *gt = lt ? strchr(lt, '>') : NULL;
	_cleanup_free_ char *ref = NULL;

	if (!gt || !strstr(gt, "rel=\"next\""))
		return NULL;
	ref = strndup(lt + 1, gt - lt - 1);
	return ref ? reg_url_resolve(base, ref) : NULL;
}

static int tags_page(struct pull *p, const char *url, char ***tags, char **ret_next,
                     struct husk_error **err)
{
	struct reg_request rq = {
	        .method = "GET", .url = url, .scope = p->scope, .max_body = REG_TAGS_BODY_MAX};
	struct reg_response rs = {.content_length = -1};
	_cleanup_json_ json_t *j = NULL;
	json_t *v;
	size_t i;
	int r = reg_send(p->ep, &rq, &rs, err);

	if (r == 0 && rs.status != 200)
		r = reg_status_error(&rs, err, "list tags of %s", p->repo);
	if (r == 0)
		r = json_parse("tag list", rs.body ?: "", rs.body_len, REG_TAGS_BODY_MAX, &j, err);
	json_array_foreach (json_object_get(j, "tags"), i, v) {
		if (r < 0)
			break;
		if (!json_is_string(v))
			continue;
		if (strv_length(*tags) >= PULL_MAX_TAGS)
			r = error_set(err, E2BIG, "%s has more than %d tags", p->repo,
			              PULL_MAX_TAGS);
		else if (!strv_contains(*tags, json_string_value(v)) &&
		         strv_push(tags, json_string_value(v)) < 0)
			r = error_set(err, ENOMEM, "out of memory");
	}
	*ret_next = r == 0 ? link_next(rs.link, rs.url) : NULL;
	reg_response_release(&rs);
	return r;
}

static int tags_list(struct pull *p, char ***ret, struct husk_error **err)
{
	_cleanup_strv_ char **tags = strv_new();
	_cleanup_free_ char *url = str_printf("/v2/%s/tags/list", p->ref.path);
	int r = 0;

	if (!tags || !url)
		return error_set(err, ENOMEM, "out of memory");
	for (unsigned page = 0; url && r == 0 && page < PULL_MAX_TAGS; page++) {
		char *next = NULL;
		r = tags_page(p, url, &tags, &next, err);
		free(url);
		url = next;
	}
	if (r < 0)
		return r;
	*ret = TAKE_PTR(tags);
	return 0;
}

static int pull_all_tags(struct pull *p, struct digest *ret_id, struct husk_error **err)
{
	_cleanup_strv_ char **tags = NULL;
	int r = tags_list(p, &tags, err);

	if (r < 0)
		return r;
	if (!tags[0])
		return error_set(err, ENOENT, "%s has no tags", p->repo);
	STRV_FOREACH (t, tags) {
		struct image_ref one = {0};

		r = image_ref_with_tag(p->repo, *t, &one, err);
		if (r < 0)
			return reg_wrap(r, err, "tag \"%s\"", *t);
		image_ref_release(&p->ref);
		p->ref = one;
		r = pull_one(p, ret_id, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- the entry point ---- */

/* Was a tag written in s (not the default one)? The last path component
 * holds it: "host:5000/a" has none. */
static bool tag_given(const char *s)
{
	const char *last = strrchr(s, '/');

	return strchr(last ? last : s, ':') || strchr(s, '@');
}

static void pull_release(struct pull *p)
{
	image_ref_release(&p->ref);
	free(p->repo);
	free(p->scope);
	store_lease_end(p->lease);
}

static int pull_setup(struct pull *p, const char *ref, enum registry_pull_flags flags,
                      struct husk_error **err)
{
	int r = image_ref_parse(ref, &p->ref, err);

	if (r < 0)
		return r;
	if ((flags & REGISTRY_PULL_ALL_TAGS) && tag_given(ref))
		return error_set(err, EINVAL, "tag can't be used with --all-tags/-a");
	p->repo = image_ref_repository(&p->ref);
	p->scope = str_printf("repository:%s:pull", p->ref.path);
	if (!p->repo || !p->scope)
		return error_set(err, ENOMEM, "out of memory");
	return store_lease_begin(p->s, &p->lease, err);
}

/* Is this failure one a mirror's next endpoint may not have? Integrity
 * errors and our own refusals stop everything. */
static bool worth_next_endpoint(const struct reg_endpoint *ep, int r)
{
	return ep->mirror && r != -EILSEQ && r != -EPROTONOSUPPORT && r != -ENOMEM;
}

int registry_pull(struct store *s, const struct registry_options *o, const char *ref,
                  const char *platform, enum registry_pull_flags flags,
                  registry_progress_fn progress, void *data, struct digest *ret_id,
                  struct husk_error **err)
{
	_cleanup_(reg_client_freep) struct reg_client *c = NULL;
	struct pull p = {.s = s};
	struct platform want = {0};
	struct reg_endpoint **eps = NULL;
	size_t n_eps = 0;
	int r;

	r = reg_client_new(o, progress, data, &c, err);
	if (r == 0 && platform && (r = platform_parse(platform, &want, err)) == 0) {
		p.want = &want;
		p.explicit_platform = true;
	}
	p.c = c;
	p.max_parallel = o && o->max_parallel ? MIN(o->max_parallel, PULL_MAX_PARALLEL)
	                                      : REGISTRY_MAX_PARALLEL;
	if (r == 0)
		r = pull_setup(&p, ref, flags, err);
	if (r == 0)
		r = reg_endpoints(c, p.ref.domain, true, &eps, &n_eps, err);
	r = r < 0 ? r : -ENOENT;
	for (size_t i = 0; i < n_eps && r < 0; i++) {
		_cleanup_error_ struct husk_error *e = NULL;

		p.ep = eps[i];
		r = reg_ping(eps[i], &e);
		if (r == 0)
			r = flags & REGISTRY_PULL_ALL_TAGS ? pull_all_tags(&p, ret_id, &e)
			                                   : pull_one(&p, ret_id, &e);
		/* the next endpoint: http after https, the registry after a mirror */
		if (r < 0 && i + 1 < n_eps && (!eps[i]->pinged || worth_next_endpoint(eps[i], r)))
			continue;
		if (r < 0 && err && !*err)
			*err = TAKE_PTR(e);
		break;
	}
	reg_endpoints_free(eps, n_eps);
	pull_release(&p);
	platform_release(&want);
	return reg_wrap(r, err, "pull \"%s\"", ref);
}
