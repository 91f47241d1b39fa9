/* check.c — `husk system check`: every blob's bytes against its name, every
 * reference against the blobs it needs, every layer against its record and
 * parent, every snapshot against its layers. Problems (corruption) and
 * leftovers (the debris of interrupted writers, which GC also removes) are
 * reported apart; with repair, bad blobs, broken references and layers and
 * leftovers are removed, and layers an image lacks are unpacked again from
 * its blobs. Snapshots are never deleted: they hold containers' changes. */
#include "store/store_internal.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "base/fs.h"
#include "base/json.h"

struct check {
	struct store *s;
	bool repair;
	struct store_check_report *rep;
};

static void note(char ***v, char *msg)
{
	if (msg)
		strv_push_take(v, msg);
}

#define problem(c, ...)  note(&(c)->rep->problems, str_printf(__VA_ARGS__))
#define leftover(c, ...) note(&(c)->rep->leftovers, str_printf(__VA_ARGS__))
#define repaired(c, ...) note(&(c)->rep->repaired, str_printf(__VA_ARGS__))

void store_check_report_release(struct store_check_report *r)
{
	if (!r)
		return;
	strv_free(r->problems);
	strv_free(r->leftovers);
	strv_free(r->repaired);
	*r = (struct store_check_report){0};
}

/* --- blobs ------------------------------------------------------------- */

static void check_blob(struct check *c, const char *name)
{
	_cleanup_free_ char *rel = path_join(STORE_BLOBS_DIR, name);
	_cleanup_close_ int fd = -1;
	struct digest want, got;
	struct stat st;

	if (!rel)
		return;
	fd = openat(c->s->dfd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (store_digest_from_hex(name, &want) < 0 || fd < 0 || fstat(fd, &st) < 0 ||
	    !S_ISREG(st.st_mode)) {
		problem(c, "blob \"%s\": not a blob (expected a file named by its sha256)", name);
	} else if (digest_fd(fd, &got, NULL) < 0) {
		problem(c, "blob %s: cannot be read", want.str);
	} else if (!digest_equal(&want, &got)) {
		problem(c, "blob %s: digest mismatch: got %s", want.str, got.str);
	} else {
		return;
	}
	if (c->repair) {
		_cleanup_free_ char *path = path_join(c->s->dir, rel);

		if (path && rm_rf(path) == 0)
			repaired(c, "removed blob \"%s\"", name);
	}
}

static void check_blobs(struct check *c)
{
	_cleanup_strv_ char **names = NULL;

	if (store_list_dir(c->s, STORE_BLOBS_DIR, &names) < 0) {
		problem(c, "cannot list \"%s/" STORE_BLOBS_DIR "\"", c->s->dir);
		return;
	}
	STRV_FOREACH (n, names)
		check_blob(c, *n);
}

/* --- the layout and its references ---------------------------------- */

static void check_layout(struct check *c)
{
	_cleanup_free_ char *path = path_join(c->s->dir, STORE_LAYOUT);
	_cleanup_json_ json_t *j = NULL;
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";

	if (path && json_load_path(path, 4096, &j, NULL) == 0 &&
	    json_is_string(json_object_get(j, "imageLayoutVersion")))
		return;
	problem(c, "\"%s\": missing or invalid", path ?: STORE_LAYOUT);
	if (c->repair &&
	    atomic_write_at(c->s->dfd, STORE_LAYOUT, layout, strlen(layout), 0644, NULL) == 0)
		repaired(c, "rewrote \"%s\"", path ?: STORE_LAYOUT);
}

static const char *entry_label(json_t *e)
{
	json_t *a = json_object_get(e, "annotations");

	return json_string_value(json_object_get(a, ANNOT_REF_NAME))
	               ?: json_string_value(json_object_get(a, ANNOT_REPO_DIGEST))
	               ?: json_string_value(json_object_get(a, ANNOT_IMAGE_ID))
	               ?: "(unnamed)";
}

/* 0 when everything the entry needs is there, else -errno (reported). */
static int check_entry(struct check *c, json_t *e)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_strv_ char **blobs = strv_new(), **chains = strv_new();
	const char *d = json_string_value(json_object_get(e, "digest"));
	const char *id = store_entry_image_id(e);
	int r;

	if (!blobs || !chains)
		return -ENOMEM;
	if (!d || !digest_valid(d)) {
		problem(c, "reference \"%s\": invalid digest", entry_label(e));
		return -EINVAL;
	}
	r = store_reach(c->s, d, &blobs, &chains, &err);
	if (r < 0) {
		problem(c, "reference \"%s\": %s", entry_label(e), error_message(err));
		return r;
	}
	STRV_FOREACH (b, blobs) {
		struct digest bd;

		if (digest_parse(*b, &bd, NULL) == 0 && store_blob_stat(c->s, &bd, NULL) < 0) {
			problem(c, "reference \"%s\": blob %s is missing", entry_label(e), *b);
			return -ENOENT;
		}
	}
	if (id && !strv_contains(blobs, id)) {
		problem(c, "reference \"%s\": its manifest does not name config %s", entry_label(e),
		        id);
		return -EINVAL;
	}
	return 0;
}

/* Drop the entries whose digests are in bad, under the index lock. */
static void drop_entries(struct check *c, char **bad)
{
	_cleanup_close_ int lock = store_lock(c->s, STORE_INDEX_LOCK, LOCK_EX);
	_cleanup_json_ json_t *index = NULL;
	json_t *m;

	if (lock < 0 || store_index_load(c->s, &index, NULL) < 0)
		return;
	m = json_object_get(index, "manifests");
	for (size_t i = 0; i < json_array_size(m);) {
		json_t *e = json_array_get(m, i);

		if (!strv_contains(bad, json_string_value(json_object_get(e, "digest")) ?: "")) {
			i++;
			continue;
		}
		repaired(c, "removed reference \"%s\"", entry_label(e));
		json_array_remove(m, i);
	}
	store_index_save(c->s, index, NULL);
}

static void check_index(struct check *c)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *index = NULL;
	_cleanup_strv_ char **bad = strv_new();
	json_t *e;
	size_t i;

	if (store_index_load(c->s, &index, &err) < 0) {
		/* written only by rename: this is damage from outside */
		problem(c, "%s", error_message(err));
		return;
	}
	json_array_foreach (json_object_get(index, "manifests"), i, e)
		if (check_entry(c, e) < 0)
			strv_push(&bad, json_string_value(json_object_get(e, "digest")) ?: "");
	if (c->repair && strv_length(bad) > 0)
		drop_entries(c, bad);
}

/* --- layers ---------------------------------------------------------------- */

/* Why layer hex is broken, or NULL. */
static char *layer_fault(struct check *c, const char *hex)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_free_ char *diff = str_printf(STORE_LAYERS_DIR "/%s/diff", hex);
	struct store_layer_meta m;
	struct digest in[2], out[2];
	struct stat st;

	if (!digest_hex_valid(hex))
		return strdup("not a layer (expected a directory named by its chain ID)");
	if (store_layer_meta_at(c->s, hex, &m, &err) < 0)
		return str_printf("%s", error_message(err));
	if (!diff || fstatat(c->s->dfd, diff, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
		return strdup("diff/ is missing");
	in[0] = m.parent;
	in[1] = m.diff_id;
	store_chain_ids(m.has_parent ? in : &m.diff_id, m.has_parent ? 2 : 1, out);
	if (!streq(digest_hex(&out[m.has_parent ? 1 : 0]), hex) ||
	    !streq(digest_hex(&m.chain), hex))
		return strdup("its record does not match its chain ID");
	/* overlay2: a layer unpacked before its parent (parallel unpack cut by
	 * a crash) is whole by itself; GC removes it when no image uses it */
	if (m.has_parent && !store_layer_exists(c->s, &m.parent) &&
	    !streq(c->s->driver, "overlay2"))
		return str_printf("parent layer %s is missing", m.parent.str);
	return NULL;
}

static bool check_layers_once(struct check *c)
{
	_cleanup_strv_ char **names = NULL;
	bool removed = false;

	if (store_list_dir(c->s, STORE_LAYERS_DIR, &names) < 0)
		return false;
	STRV_FOREACH (n, names) {
		_cleanup_free_ char *fault = NULL, *lock_name = NULL;
		int lock;

		if (startswith(*n, STORE_TMP_PREFIX))
			continue;
		fault = layer_fault(c, *n);
		if (!fault)
			continue;
		problem(c, "layer \"%s\": %s", *n, fault);
		lock_name = store_layer_lock_name(*n);
		lock = c->repair && lock_name ? store_lock(c->s, lock_name, LOCK_EX | LOCK_NB) : -1;
		if (lock >= 0 && store_layer_delete(c->s, *n, NULL) == 0) {
			repaired(c, "removed layer \"%s\"", *n);
			removed = true;
		}
		safe_close(lock);
	}
	return removed;
}

/* Removing a broken layer breaks its children: repeat until none is. */
static void check_layers(struct check *c)
{
	while (check_layers_once(c) && c->repair)
		;
}

/* --- images' layers: re-unpacked from their blobs on repair ------------- */

static int unpack_again(struct check *c, const struct digest *chains, const struct digest *diffs,
                        char **layer_blobs, size_t i, struct husk_error **err)
{
	_cleanup_close_ int fd = -1;
	struct digest blob;
	int r;

	r = digest_parse(layer_blobs[i], &blob, err);
	if (r < 0)
		return r;
	fd = store_blob_open(c->s, &blob, err);
	if (fd < 0)
		return fd;
	return store_layer_ensure(c->s, &chains[i], i ? &chains[i - 1] : NULL, fd, &blob, &diffs[i],
	                          NULL, err);
}

static int image_diff_ids(struct check *c, const struct digest *config, struct digest **ret,
                          size_t *ret_n)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_json_ json_t *j = NULL;
	_cleanup_strv_ char **ids = NULL;
	size_t len, n;
	int r;

	r = store_blob_read(c->s, config, STORE_MANIFEST_MAX, &buf, &len, NULL);
	if (r == 0)
		r = json_parse("config", buf, len, STORE_MANIFEST_MAX, &j, NULL);
	if (r == 0)
		r = json_get_strv(json_object_get(j, "rootfs"), "rootfs", "diff_ids", true, &ids,
		                  NULL);
	if (r < 0)
		return r;
	n = strv_length(ids);
	*ret = calloc(n + 1, sizeof(**ret));
	if (!*ret)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (digest_parse(ids[i], &(*ret)[i], NULL) < 0)
			return -EINVAL;
	*ret_n = n;
	return 0;
}

static void check_image_layers(struct check *c, const struct store_image *img)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_free_ struct digest *diffs = NULL, *chains = NULL;
	_cleanup_strv_ char **refs = strv_new();
	size_t len, n = 0;
	bool is_index;

	if (!refs ||
	    store_blob_read(c->s, &img->manifest, STORE_MANIFEST_MAX, &buf, &len, NULL) < 0 ||
	    store_manifest_refs(buf, len, &refs, &is_index, NULL) < 0 || is_index ||
	    image_diff_ids(c, &img->id, &diffs, &n) < 0 || strv_length(refs) != n + 1)
		return; /* check_index() reported it */
	chains = calloc(n + 1, sizeof(*chains));
	if (!chains)
		return;
	store_chain_ids(diffs, n, chains);
	for (size_t i = 0; i < n; i++) {
		_cleanup_error_ struct husk_error *err = NULL;

		if (store_layer_exists(c->s, &chains[i]))
			continue;
		problem(c, "image %s: layer %s is not unpacked", img->id.str, chains[i].str);
		if (!c->repair)
			continue;
		if (unpack_again(c, chains, diffs, refs + 1, i, &err) == 0)
			repaired(c, "unpacked layer %s again", chains[i].str);
		else
			problem(c, "image %s: %s", img->id.str, error_message(err));
	}
}

static void check_images(struct check *c)
{
	_cleanup_(store_image_list_freep) struct store_image **v = NULL;

	if (store_image_list(c->s, &v, NULL) < 0)
		return;
	for (struct store_image **p = v; *p; p++)
		check_image_layers(c, *p);
}

/* --- snapshots and leftovers --------------------------------------------- */

static void check_snapshots(struct check *c)
{
	_cleanup_strv_ char **ids = NULL;

	if (store_snapshot_list(c->s, &ids, NULL) < 0)
		return;
	STRV_FOREACH (id, ids) {
		_cleanup_error_ struct husk_error *err = NULL;
		_cleanup_strv_ char **chains = NULL;

		if (store_snapshot_chains(c->s, *id, &chains, &err) < 0) {
			problem(c, "snapshot \"%s\": %s", *id, error_message(err));
			continue;
		}
		STRV_FOREACH (ch, chains) {
			struct digest d;

			if (digest_parse(*ch, &d, NULL) == 0 && !store_layer_exists(c->s, &d))
				problem(c, "snapshot \"%s\": layer %s is missing", *id, *ch);
		}
	}
}

typedef bool (*stale_fn)(struct store *s, const char *name);

static void check_leftovers_in(struct check *c, const char *dir, const char *prefix, stale_fn stale)
{
	_cleanup_strv_ char **names = NULL;

	if (store_list_dir(c->s, dir, &names) < 0)
		return;
	STRV_FOREACH (n, names) {
		_cleanup_free_ char *path = NULL;

		if ((prefix && !startswith(*n, prefix)) || !stale(c->s, *n))
			continue;
		path = str_printf("%s/%s/%s", c->s->dir, dir, *n);
		leftover(c, "%s", path ?: *n);
		if (c->repair && path && rm_rf(path) == 0)
			repaired(c, "removed \"%s\"", path);
	}
}

static bool link_dangles(struct store *s, const char *name)
{
	_cleanup_free_ char *rel = path_join(STORE_LINKS_DIR, name);
	struct stat st;

	return rel && fstatat(s->dfd, rel, &st, 0) < 0 && errno == ENOENT;
}

static void check_leftovers(struct check *c)
{
	_cleanup_strv_ char **temps = NULL;

	check_leftovers_in(c, STORE_INGEST_DIR, NULL, store_ingest_is_stale);
	check_leftovers_in(c, STORE_LEASES_DIR, NULL, store_lease_is_stale);
	check_leftovers_in(c, STORE_LAYERS_DIR, STORE_TMP_PREFIX, store_layer_tmp_is_orphan);
	check_leftovers_in(c, STORE_SNAPS_DIR, STORE_TMP_PREFIX, store_snapshot_tmp_is_orphan);
	check_leftovers_in(c, STORE_LINKS_DIR, NULL, link_dangles);
	store_index_temps(c->s, false, &temps);
	STRV_FOREACH (t, temps) {
		leftover(c, "%s", *t);
		if (c->repair && unlink(*t) == 0)
			repaired(c, "removed \"%s\"", *t);
	}
}

int store_check(struct store *s, bool repair, struct store_check_report *ret,
                struct husk_error **err)
{
	struct store_check_report rep = {strv_new(), strv_new(), strv_new()};
	struct check c = {s, repair, &rep};
	_cleanup_close_ int lock = -1;

	if (!rep.problems || !rep.leftovers || !rep.repaired) {
		store_check_report_release(&rep);
		return error_set(err, ENOMEM, "out of memory");
	}
	/* no GC meanwhile (it would make objects vanish under us); writers
	 * go on unless we repair */
	lock = store_lock(s, STORE_GC_LOCK, repair ? LOCK_EX : LOCK_SH);
	if (lock < 0) {
		store_check_report_release(&rep);
		return error_set_errno(err, -lock, "lock \"%s/locks/" STORE_GC_LOCK "\"", s->dir);
	}
	check_layout(&c);
	check_blobs(&c);
	check_index(&c);
	check_layers(&c);
	check_leftovers(&c);
	/* with the GC lock held, re-unpacking must not take it again */
	lock = safe_close(lock);
	check_images(&c);
	check_snapshots(&c);
	*ret = rep;
	return 0;
}
