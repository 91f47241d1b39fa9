/* gc.c — garbage collection: mark what images (index.json), container
 * snapshots, live leases and the grace period keep, sweep the rest.
 *
 * The GC holds the GC lock exclusively from its first look to its last
 * deletion; writers take it shared for the instant they record an object
 * in their lease and publish it (or find it already there). So an object a
 * writer relies on is either deleted before the writer looks (and written
 * again) or seen in the writer's lease. A layer is deleted only with its
 * own lock taken (never waited for): one being built on or copied stays. */
#include "store/store_internal.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/fs.h"
#include "base/json.h"

struct gc {
	struct store *s;
	char **keep; /* digests of blobs and layer chains, sorted after marking */
	size_t n_keep;
	time_t cutoff; /* modified after this: within the grace period */
	struct store_gc_stats stats;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool kept(const struct gc *g, const char *hex)
{
	char key[DIGEST_STR_LEN + 1];
	const char *k = key;

	snprintf(key, sizeof(key), "sha256:%s", hex);
	return bsearch(&k, g->keep, g->n_keep, sizeof(char *), cmp_str) != NULL;
}

static bool recent(const struct gc *g, const char *rel)
{
	struct stat st;

	return fstatat(g->s->dfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_mtime > g->cutoff;
}

/* Every image's manifests, configs, layer blobs and chains. A broken image
 * keeps what could be read of it: check reports the rest. */
static int mark_index(struct gc *g, struct husk_error **err)
{
	_cleanup_json_ json_t *index = NULL;
	json_t *e;
	size_t i;
	int r;

	r = store_index_load(g->s, &index, err);
	if (r < 0)
		return r;
	json_array_foreach (json_object_get(index, "manifests"), i, e) {
		const char *d = json_string_value(json_object_get(e, "digest"));

		if (d)
			store_reach(g->s, d, &g->keep, &g->keep, NULL);
	}
	return 0;
}

static int mark_snapshots(struct gc *g, struct husk_error **err)
{
	_cleanup_strv_ char **ids = NULL;
	int r;

	r = store_snapshot_list(g->s, &ids, err);
	if (r < 0)
		return r;
	STRV_FOREACH (id, ids) {
		_cleanup_strv_ char **chains = NULL;

		if (store_snapshot_chains(g->s, *id, &chains, NULL) < 0)
			continue;
		STRV_FOREACH (c, chains)
			if (strv_push(&g->keep, *c) < 0)
				return error_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

/* A kept layer keeps its parents (leases name one chain, not its base). */
static int mark_parents(struct gc *g, struct husk_error **err)
{
	for (size_t i = 0; g->keep[i]; i++) {
		struct store_layer_meta m;
		const char *hex = startswith(g->keep[i], "sha256:");

		if (!hex || store_layer_meta_at(g->s, hex, &m, NULL) < 0 || !m.has_parent)
			continue;
		if (!strv_contains(g->keep, m.parent.str) && strv_push(&g->keep, m.parent.str) < 0)
			return error_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

static int mark(struct gc *g, struct husk_error **err)
{
	int r;

	r = store_leases_live(g->s, &g->keep, &g->stats.leftovers_removed);
	if (r < 0)
		return error_set_errno(err, -r, "read leases");
	/* leases before the index: a lease ends after its image is recorded */
	r = mark_index(g, err);
	if (r == 0)
		r = mark_snapshots(g, err);
	if (r == 0)
		r = mark_parents(g, err);
	if (r < 0)
		return r;
	g->n_keep = strv_length(g->keep);
	qsort(g->keep, g->n_keep, sizeof(char *), cmp_str);
	return 0;
}

static void sweep_blobs(struct gc *g, char **names)
{
	STRV_FOREACH (n, names) {
		_cleanup_free_ char *rel = path_join(STORE_BLOBS_DIR, *n);
		uint64_t size = 0;

		if (!rel || kept(g, *n) || recent(g, rel))
			continue;
		if (store_blob_remove(g->s, *n, &size) == 0) {
			g->stats.blobs_removed++;
			g->stats.bytes_removed += size;
		}
	}
}

static void sweep_layers(struct gc *g, char **names)
{
	STRV_FOREACH (n, names) {
		_cleanup_free_ char *meta = str_printf(STORE_LAYERS_DIR "/%s/meta.json", *n);
		_cleanup_free_ char *lock_name = store_layer_lock_name(*n);
		uint64_t size = 0;
		int lock;

		if (!meta || !lock_name || !digest_hex_valid(*n) || kept(g, *n) || recent(g, meta))
			continue;
		/* busy (a child being built on it, a vfs copy): not now */
		lock = store_lock(g->s, lock_name, LOCK_EX | LOCK_NB);
		if (lock < 0)
			continue;
		if (store_layer_delete(g->s, *n, &size) == 0) {
			g->stats.layers_removed++;
			g->stats.bytes_removed += size;
		}
		store_lock_drop(g->s, lock_name, lock);
	}
}

static void remove_leftover(struct gc *g, const char *dir, const char *name)
{
	_cleanup_free_ char *path = str_printf("%s/%s/%s", g->s->dir, dir, name);

	if (path && rm_rf(path) == 0)
		g->stats.leftovers_removed++;
}

/* Ingest files, temp dirs and short links whose writers are gone. */
static void sweep_leftovers(struct gc *g)
{
	_cleanup_strv_ char **ingest = NULL, **layers = NULL, **snaps = NULL, **links = NULL;

	if (store_list_dir(g->s, STORE_INGEST_DIR, &ingest) == 0)
		STRV_FOREACH (n, ingest)
			if (store_ingest_is_stale(g->s, *n))
				remove_leftover(g, STORE_INGEST_DIR, *n);
	if (store_list_dir(g->s, STORE_LAYERS_DIR, &layers) == 0)
		STRV_FOREACH (n, layers)
			if (startswith(*n, STORE_TMP_PREFIX) && store_layer_tmp_is_orphan(g->s, *n))
				remove_leftover(g, STORE_LAYERS_DIR, *n);
	if (store_list_dir(g->s, STORE_SNAPS_DIR, &snaps) == 0)
		STRV_FOREACH (n, snaps)
			if (startswith(*n, STORE_TMP_PREFIX) &&
			    store_snapshot_tmp_is_orphan(g->s, *n))
				remove_leftover(g, STORE_SNAPS_DIR, *n);
	if (store_list_dir(g->s, STORE_LINKS_DIR, &links) == 0)
		STRV_FOREACH (n, links) {
			_cleanup_free_ char *rel = path_join(STORE_LINKS_DIR, *n);
			struct stat st;

			/* a dangling link: its layer is gone */
			if (rel && fstatat(g->s->dfd, rel, &st, 0) < 0 && errno == ENOENT)
				remove_leftover(g, STORE_LINKS_DIR, *n);
		}
	g->stats.leftovers_removed += store_index_temps(g->s, true, NULL);
}

int store_gc(struct store *s, struct store_gc_stats *ret, struct husk_error **err)
{
	_cleanup_strv_ char **blobs = NULL, **layers = NULL;
	_cleanup_close_ int lock = -1;
	struct gc g = {.s = s, .keep = strv_new(), .cutoff = time(NULL) - s->grace};
	int r;

	if (!g.keep)
		return error_set(err, ENOMEM, "out of memory");
	lock = store_lock(s, STORE_GC_LOCK, LOCK_EX);
	if (lock < 0) {
		strv_free(g.keep);
		return error_set_errno(err, -lock, "lock \"%s/locks/" STORE_GC_LOCK "\"", s->dir);
	}
	/* what exists now, then what is kept: an object that appears after
	 * the listing is not a candidate */
	r = store_list_dir(s, STORE_BLOBS_DIR, &blobs);
	if (r == 0)
		r = store_list_dir(s, STORE_LAYERS_DIR, &layers);
	r = r < 0 ? error_set_errno(err, -r, "list \"%s\"", s->dir) : mark(&g, err);
	if (r == 0) {
		sweep_blobs(&g, blobs);
		sweep_layers(&g, layers);
		sweep_leftovers(&g);
		store_locks_prune(s);
	}
	strv_free(g.keep);
	if (r < 0)
		return wrap_err(r, err, "gc");
	if (ret)
		*ret = g.stats;
	return 0;
}
