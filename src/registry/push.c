/* push.c — registry_push(): a local image's layers, config and manifest
 * to its registry, as docker push does: each blob HEADed first ("Layer
 * already exists"), mounted from another repository of the same registry
 * when the store knows one that holds it ("Mounted from …"), otherwise
 * uploaded (one PUT, or PATCH chunks past 32 MiB or when the registry asks
 * for chunks); layers in parallel, then the config, the manifest last, its
 * bytes exactly as the store holds them (so its digest does not change).
 * Layers are pushed as stored: nothing is recompressed.
 */
#include "registry/internal.h"

#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/str.h"
#include "image/manifest.h"
#include "image/reference.h"

#define PUSH_MAX_PARALLEL   16
#define PUSH_MOUNT_ATTEMPTS 3
#define PUSH_BLOB_ATTEMPTS  3
#define PUSH_UPLOAD_TYPE    "application/octet-stream"

struct push {
	struct store *s;
	struct reg_client *c;
	struct reg_endpoint *ep;
	struct image_ref ref;
	char *repo;  /* "127.0.0.1:5000/busybox" */
	char *scope; /* "repository:busybox:pull,push" */
	unsigned max_parallel;
	int failed; /* atomic */
};

/* ---- one blob ---- */

struct upload {
	struct push *p;
	const char *id; /* progress id or NULL */
	uint64_t base;  /* bytes sent by earlier chunks */
	uint64_t total;
	struct reg_throttle th;
};

static void upload_progress(uint64_t sent, uint64_t received, void *data)
{
	struct upload *u = data;

	if (u->id && sent && reg_throttle_pass(&u->th, false))
		reg_emit(u->p->c, u->id, "Pushing", MIN(u->base + sent, u->total), u->total);
}

static int blob_path(const struct push *p, const struct descriptor *d, char **ret)
{
	*ret = str_printf("/v2/%s/blobs/%s", p->ref.path, d->digest.str);
	return *ret ? 0 : -ENOMEM;
}

/* 1 when the registry has the blob in this repository, 0 when not. */
static int blob_exists(struct push *p, const struct descriptor *d, struct husk_error **err)
{
	_cleanup_free_ char *path = NULL;
	struct reg_request rq = {.method = "HEAD", .scope = p->scope};
	struct reg_response rs = {.content_length = -1};
	int r;

	if (blob_path(p, d, &path) < 0)
		return error_set(err, ENOMEM, "out of memory");
	rq.url = path;
	r = reg_send(p->ep, &rq, &rs, err);
	if (r == 0)
		r = rs.status == 200   ? 1
		    : rs.status == 404 ? 0
		                       : reg_status_error(&rs, err, "%s", "");
	reg_response_release(&rs);
	return r;
}

/* Try the repositories of this registry the store knows to hold the blob.
 * 1 when mounted (*ret_from names the source), 0 when not (*ret_location
 * may then hold the upload session a refused mount opened). */
static int blob_mount(struct push *p, const struct descriptor *d, char **ret_from,
                      char **ret_location)
{
	_cleanup_strv_ char **sources = NULL;
	_cleanup_free_ char *prefix = str_printf("%s/", p->ref.domain);
	unsigned tries = 0;

	if (!prefix || reg_sources_get(p->s, &d->digest, &sources) < 0)
		return 0;
	STRV_FOREACH (src, sources) {
		const char *from = startswith(*src, prefix);
		_cleanup_free_ char *path = NULL, *url = NULL, *url2 = NULL, *scope = NULL;
		_cleanup_free_ char *from_scope = NULL;
		struct reg_response rs = {.content_length = -1};
		struct reg_request rq = {.method = "POST"};
		int r;

		if (!from || streq(from, p->ref.path) || strchr(from, '/') == from ||
		    tries++ >= PUSH_MOUNT_ATTEMPTS)
			continue;
		path = str_printf("%s/v2/%s/blobs/uploads/", p->ep->origin, p->ref.path);
		url = path ? reg_url_add_query(path, "mount", d->digest.str) : NULL;
		url2 = url ? reg_url_add_query(url, "from", from) : NULL;
		from_scope = str_printf("repository:%s:pull", from);
		scope = from_scope ? reg_scope_merge(p->scope, from_scope) : NULL;
		if (!url2 || !scope)
			return 0;
		rq.url = url2;
		rq.scope = scope;
		r = reg_send(p->ep, &rq, &rs, NULL);
		if (r == 0 && rs.status == 201) {
			reg_response_release(&rs);
			*ret_from = strdup(from);
			return *ret_from ? 1 : 0;
		}
		if (r == 0 && rs.status == 202 && rs.location) {
			*ret_location = TAKE_PTR(rs.location);
			reg_response_release(&rs);
			return 0; /* an upload session instead: use it */
		}
		reg_response_release(&rs);
	}
	return 0;
}

static int upload_start(struct push *p, char **ret_location, uint64_t *ret_chunk_min,
                        struct husk_error **err)
{
	_cleanup_free_ char *path = str_printf("/v2/%s/blobs/uploads/", p->ref.path);
	struct reg_request rq = {.method = "POST", .scope = p->scope};
	struct reg_response rs = {.content_length = -1};
	int r;

	if (!path)
		return error_set(err, ENOMEM, "out of memory");
	rq.url = path;
	r = reg_send(p->ep, &rq, &rs, err);
	if (r == 0 && rs.status != 202)
		r = reg_status_error(&rs, err, "start upload");
	else if (r == 0 && !rs.location)
		r = error_set(err, EPROTO, "start upload: the registry gave no Location");
	if (r == 0) {
		*ret_location = TAKE_PTR(rs.location);
		if (rs.chunk_min && str_to_uint64(rs.chunk_min, ret_chunk_min) < 0)
			*ret_chunk_min = 0;
	}
	reg_response_release(&rs);
	return r;
}

/* PATCH one chunk; the session's next Location replaces *location. */
static int upload_chunk(struct upload *u, int fd, uint64_t off, uint64_t len, char **location,
                        struct husk_error **err)
{
	char range[64];
	struct reg_request rq = {.method = "PATCH",
	                         .url = *location,
	                         .content_type = PUSH_UPLOAD_TYPE,
	                         .content_range = range,
	                         .fd_body = true,
	                         .body_fd = fd,
	                         .body_off = off,
	                         .body_len = len,
	                         .scope = u->p->scope,
	                         .xfer = upload_progress,
	                         .xfer_data = u};
	struct reg_response rs = {.content_length = -1};
	int r;

	snprintf(range, sizeof(range), "%llu-%llu", (unsigned long long)off,
	         (unsigned long long)(off + len - 1));
	u->base = off;
	r = reg_send(u->p->ep, &rq, &rs, err);
	if (r == 0 && rs.status != 202)
		r = reg_status_error(&rs, err, "upload chunk %s", range);
	else if (r == 0 && rs.location) {
		free(*location);
		*location = TAKE_PTR(rs.location);
	}
	reg_response_release(&rs);
	return r;
}

/* The closing PUT ?digest=, with the whole body (monolithic) or none. */
static int upload_finish(struct upload *u, const struct descriptor *d, const char *location, int fd,
                         uint64_t len, struct husk_error **err)
{
	_cleanup_free_ char *url = reg_url_add_query(location, "digest", d->digest.str);
	struct reg_request rq = {.method = "PUT",
	                         .content_type = PUSH_UPLOAD_TYPE,
	                         .fd_body = fd >= 0,
	                         .body_fd = fd,
	                         .body_len = len,
	                         .scope = u->p->scope,
	                         .xfer = upload_progress,
	                         .xfer_data = u};
	struct reg_response rs = {.content_length = -1};
	int r;

	if (!url)
		return error_set(err, ENOMEM, "out of memory");
	rq.url = url;
	r = reg_send(u->p->ep, &rq, &rs, err);
	if (r == 0 && rs.status != 201)
		r = reg_status_error(&rs, err, "upload");
	reg_response_release(&rs);
	return r;
}

static int blob_upload(struct push *p, const struct descriptor *d, const char *id, char *location,
                       struct husk_error **err)
{
	_cleanup_free_ char *loc = location;
	_cleanup_close_ int fd = store_blob_open(p->s, &d->digest, err);
	struct upload u = {.p = p, .id = id};
	uint64_t chunk_min = 0, chunk;
	struct stat st;
	int r = 0;

	if (fd < 0) {
		if (err)
			error_free(TAKE_PTR(*err));
		return error_set(err, ENOENT,
		                 "the blob is not in the store (the layer was unpacked from "
		                 "another copy of it): pull the image again");
	}
	if (fstat(fd, &st) < 0)
		return error_set_errno(err, errno, "stat");
	if ((uint64_t)st.st_size != (uint64_t)d->size)
		return error_set(err, EILSEQ, "the store holds %lld bytes, the manifest says %lld",
		                 (long long)st.st_size, (long long)d->size);
	u.total = (uint64_t)st.st_size;
	if (!loc && (r = upload_start(p, &loc, &chunk_min, err)) < 0)
		return r;
	if (u.total <= REG_CHUNK_SIZE && !chunk_min)
		r = upload_finish(&u, d, loc, fd, u.total, err);
	else {
		chunk = MAX((uint64_t)REG_CHUNK_SIZE, chunk_min);
		for (uint64_t off = 0; r == 0 && off < u.total; off += chunk)
			r = upload_chunk(&u, fd, off, MIN(chunk, u.total - off), &loc, err);
		if (r == 0)
			r = upload_finish(&u, d, loc, -1, 0, err);
	}
	if (r == 0 && id)
		reg_emit(p->c, id, "Pushing", u.total, u.total);
	return r;
}

static void pause_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* One try at a blob: exists, mount, or upload. */
static int blob_push_once(struct push *p, const struct descriptor *d, const char *id,
                          struct husk_error **err)
{
	_cleanup_free_ char *from = NULL, *location = NULL, *line = NULL;
	int r = blob_exists(p, d, err);

	if (r < 0)
		return r;
	if (r > 0) {
		if (id)
			reg_emit(p->c, id, "Layer already exists", 0, 0);
		return 0;
	}
	if (blob_mount(p, d, &from, &location) > 0) {
		if (id && (line = str_printf("Mounted from %s", from)))
			reg_emit(p->c, id, line, 0, 0);
		return 0;
	}
	r = blob_upload(p, d, id, TAKE_PTR(location), err);
	if (r == 0 && id)
		reg_emit(p->c, id, "Pushed", 0, 0);
	return r;
}

static bool transient(int r)
{
	return r == -EIO || r == -ECONNRESET || r == -ECONNREFUSED || r == -ETIMEDOUT ||
	       r == -EAGAIN;
}

static int blob_push(struct push *p, const struct descriptor *d, const char *id,
                     struct husk_error **err)
{
	for (unsigned attempt = 1;; attempt++) {
		_cleanup_error_ struct husk_error *e = NULL;
		int r = blob_push_once(p, d, id, &e);

		if (r == 0 || attempt >= PUSH_BLOB_ATTEMPTS || !transient(r) ||
		    __atomic_load_n(&p->failed, __ATOMIC_RELAXED) < 0) {
			if (r < 0 && err && !*err)
				*err = TAKE_PTR(e);
			return reg_wrap(r, err, "%s %s", id ? "layer" : "blob", d->digest.str);
		}
		pause_ms(REG_BACKOFF_MS << attempt);
	}
}

/* ---- the layers, in parallel ---- */

struct push_item {
	const struct descriptor *desc;
	char id[13];
};

struct push_work {
	struct push *p;
	struct push_item *items;
	size_t n, next;
	pthread_mutex_t lock;
	int r;
	struct husk_error *err;
};

static void *push_worker(void *arg)
{
	struct push_work *w = arg;

	for (;;) {
		struct husk_error *e = NULL;
		struct push_item *it;
		int r;

		pthread_mutex_lock(&w->lock);
		it = w->r == 0 && w->next < w->n ? &w->items[w->next++] : NULL;
		pthread_mutex_unlock(&w->lock);
		if (!it)
			return NULL;
		r = blob_push(w->p, it->desc, it->id, &e);
		pthread_mutex_lock(&w->lock);
		if (r < 0 && w->r == 0) {
			w->r = r;
			w->err = TAKE_PTR(e);
			__atomic_store_n(&w->p->failed, r, __ATOMIC_RELAXED);
		}
		pthread_mutex_unlock(&w->lock);
		error_free(e);
	}
}

static bool is_foreign(const struct descriptor *d)
{
	const struct media_type_info *mt = media_type_lookup(d->media_type);

	return mt && (mt->flags & MEDIA_TYPE_FOREIGN);
}

static int layers_push(struct push *p, const struct manifest *m, struct husk_error **err)
{
	_cleanup_free_ struct push_item *items = calloc(m->n_layers + 1, sizeof(*items));
	struct push_work w = {.p = p};
	pthread_t threads[PUSH_MAX_PARALLEL];
	size_t n_threads = 0;

	if (!items)
		return error_set(err, ENOMEM, "out of memory");
	/* docker push lists the top layer first */
	for (size_t k = m->n_layers; k-- > 0;) {
		const struct descriptor *d = &m->layers[k];
		bool dup = false;

		for (size_t j = 0; j < w.n && !dup; j++)
			dup = digest_equal(&items[j].desc->digest, &d->digest);
		if (dup)
			continue;
		char id[13];
		snprintf(id, sizeof(id), "%.12s", digest_hex(&d->digest));
		if (is_foreign(d)) {
			reg_emit(p->c, id, "Skipped foreign layer", 0, 0);
			continue;
		}
		items[w.n].desc = d;
		memcpy(items[w.n].id, id, sizeof(id));
		reg_emit(p->c, id, "Preparing", 0, 0);
		w.n++;
	}
	for (size_t i = p->max_parallel; i < w.n; i++)
		reg_emit(p->c, items[i].id, "Waiting", 0, 0);
	w.items = items;
	pthread_mutex_init(&w.lock, NULL);
	for (size_t i = 0; i + 1 < MIN((size_t)p->max_parallel, w.n); i++)
		if (pthread_create(&threads[n_threads], NULL, push_worker, &w) == 0)
			n_threads++;
	push_worker(&w);
	for (size_t i = 0; i < n_threads; i++)
		pthread_join(threads[i], NULL);
	pthread_mutex_destroy(&w.lock);
	if (w.r < 0 && err && !*err)
		*err = TAKE_PTR(w.err);
	error_free(w.err);
	return w.r;
}

/* ---- one tag ---- */

static int manifest_put(struct push *p, const char *tag, const struct store_image *img,
                        const char *buf, size_t len, struct husk_error **err)
{
	_cleanup_free_ char *path = str_printf("/v2/%s/manifests/%s", p->ref.path, tag);
	struct reg_request rq = {.method = "PUT",
	                         .content_type = img->manifest_media_type,
	                         .body = buf,
	                         .body_len = len,
	                         .scope = p->scope};
	struct reg_response rs = {.content_length = -1};
	struct digest said;
	int r;

	if (!path)
		return error_set(err, ENOMEM, "out of memory");
	rq.url = path;
	r = reg_send(p->ep, &rq, &rs, err);
	if (r == 0 && rs.status != 201 && rs.status != 200)
		r = reg_status_error(&rs, err, "manifest");
	if (r == 0 && rs.docker_digest && digest_parse(rs.docker_digest, &said, NULL) == 0 &&
	    !digest_equal(&said, &img->manifest))
		r = error_set(err, EILSEQ, "manifest: the registry stored %s, we sent %s", said.str,
		              img->manifest.str);
	reg_response_release(&rs);
	return r;
}

static int push_tag(struct push *p, const char *tag, struct husk_error **err)
{
	_cleanup_free_ char *full = str_printf("%s:%s", p->repo, tag), *buf = NULL, *line = NULL;
	_cleanup_(store_image_freep) struct store_image *img = NULL;
	_cleanup_(manifest_freep) struct manifest *m = NULL;
	_cleanup_free_ struct digest *blobs = NULL;
	enum manifest_kind kind;
	size_t len = 0;
	int r;

	if (!full)
		return error_set(err, ENOMEM, "out of memory");
	r = store_image_get(p->s, full, &img, err);
	if (r == 0)
		r = store_blob_read(p->s, &img->manifest, MANIFEST_MAX_SIZE, &buf, &len, err);
	if (r == 0)
		r = manifest_parse(buf, len, img->manifest_media_type, &kind, &m, NULL, err);
	if (r < 0)
		return r;
	if ((r = layers_push(p, m, err)) < 0 || (r = blob_push(p, &m->config, NULL, err)) < 0 ||
	    (r = manifest_put(p, tag, img, buf, len, err)) < 0)
		return r;
	line = str_printf("%s: digest: %s size: %zu", tag, img->manifest.str, len);
	if (!line)
		return error_set(err, ENOMEM, "out of memory");
	reg_emit(p->c, NULL, line, 0, 0);
	if (p->c->progress) {
		struct registry_event ev = {
		        .aux_tag = tag, .aux_digest = img->manifest.str, .aux_size = len};
		pthread_mutex_lock(&p->c->progress_lock);
		p->c->progress(&ev, p->c->progress_data);
		pthread_mutex_unlock(&p->c->progress_lock);
	}
	blobs = calloc(m->n_layers + 1, sizeof(*blobs));
	if (blobs) {
		for (size_t i = 0; i < m->n_layers; i++)
			blobs[i] = m->layers[i].digest;
		blobs[m->n_layers] = m->config.digest;
		(void)reg_sources_add(p->s, blobs, m->n_layers + 1, p->repo, NULL);
	}
	return 0;
}

/* ---- which tags ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The tags of repo in the store, sorted. */
static int local_tags(struct push *p, char ***ret, struct husk_error **err)
{
	_cleanup_(store_image_list_freep) struct store_image **imgs = NULL;
	_cleanup_free_ char *prefix = str_printf("%s:", p->repo);
	_cleanup_strv_ char **tags = strv_new();
	int r;

	if (!prefix || !tags)
		return error_set(err, ENOMEM, "out of memory");
	r = store_image_list(p->s, &imgs, err);
	if (r < 0)
		return r;
	for (size_t i = 0; imgs[i]; i++)
		STRV_FOREACH (n, imgs[i]->names) {
			const char *tag = startswith(*n, prefix);
			if (tag && !strchr(tag, '/') && !strv_contains(tags, tag) &&
			    strv_push(&tags, tag) < 0)
				return error_set(err, ENOMEM, "out of memory");
		}
	qsort(tags, strv_length(tags), sizeof(char *), cmp_str);
	*ret = TAKE_PTR(tags);
	return 0;
}

static bool tag_given(const char *s)
{
	const char *last = strrchr(s, '/');

	return strchr(last ? last : s, ':') != NULL;
}

static int push_setup(struct push *p, const char *ref, char ***ret_tags, struct husk_error **err)
{
	int r = image_ref_parse(ref, &p->ref, err);

	if (r < 0)
		return r;
	if (p->ref.has_digest)
		return error_set(err, EINVAL, "cannot push a digest reference \"%s\"", ref);
	p->repo = image_ref_repository(&p->ref);
	p->scope = str_printf("repository:%s:pull,push", p->ref.path);
	if (!p->repo || !p->scope)
		return error_set(err, ENOMEM, "out of memory");
	if (tag_given(ref)) {
		_cleanup_free_ char *full = str_printf("%s:%s", p->repo, p->ref.tag);
		_cleanup_(store_image_freep) struct store_image *img = NULL;

		if (!full)
			return error_set(err, ENOMEM, "out of memory");
		if (store_image_get(p->s, full, &img, NULL) < 0)
			return error_set(err, ENOENT, "No such image: %s", ref);
		*ret_tags = strv_new();
		return *ret_tags && strv_push(ret_tags, p->ref.tag) == 0
		               ? 0
		               : error_set(err, ENOMEM, "out of memory");
	}
	r = local_tags(p, ret_tags, err);
	if (r == 0 && !(*ret_tags)[0])
		r = error_set(err, ENOENT, "No such image: %s", ref);
	return r;
}

int registry_push(struct store *s, const struct registry_options *o, const char *ref,
                  registry_progress_fn progress, void *data, struct husk_error **err)
{
	_cleanup_(reg_client_freep) struct reg_client *c = NULL;
	_cleanup_strv_ char **tags = NULL;
	_cleanup_free_ char *line = NULL;
	struct push p = {.s = s};
	struct reg_endpoint **eps = NULL;
	size_t n_eps = 0;
	int r;

	p.max_parallel = o && o->max_parallel ? MIN(o->max_parallel, PUSH_MAX_PARALLEL)
	                                      : REGISTRY_MAX_PARALLEL;
	r = push_setup(&p, ref, &tags, err);
	if (r == 0)
		r = reg_client_new(o, progress, data, &c, err);
	p.c = c;
	if (r == 0)
		r = reg_endpoints(c, p.ref.domain, false, &eps, &n_eps, err);
	for (size_t i = 0; r == 0 && i < n_eps; i++) {
		_cleanup_error_ struct husk_error *e = NULL;

		r = reg_ping(eps[i], &e);
		if (r == 0)
			p.ep = eps[i];
		else if (i + 1 < n_eps)
			r = 0; /* https refused: the next endpoint (plain http) */
		else if (err && !*err)
			*err = TAKE_PTR(e);
		if (p.ep)
			break;
	}
	if (r == 0 && !(line = str_printf("The push refers to repository [%s]", p.repo)))
		r = error_set(err, ENOMEM, "out of memory");
	if (r == 0)
		reg_emit(c, NULL, line, 0, 0);
	STRV_FOREACH (t, r == 0 ? tags : NULL)
		if ((r = push_tag(&p, *t, err)) < 0)
			break;
	reg_endpoints_free(eps, n_eps);
	image_ref_release(&p.ref);
	free(p.repo);
	free(p.scope);
	return reg_wrap(r, err, "push \"%s\"", ref);
}
