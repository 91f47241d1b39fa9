/* layers.c — unpacked layers, keyed by chain ID and shared by every image
 * and container: store/layers/<chainhex>/{diff/,meta.json}. A layer is
 * unpacked once (a per-chain file lock makes concurrent imports wait for
 * the first), into a temp directory renamed into place when complete, so
 * no partial layer ever appears under its name. With overlay2 diff/ holds
 * the layer's own changes (overlay whiteouts); with vfs it is the whole
 * tree: a copy of the parent with the layer applied. */
#include "store/store_internal.h"

#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>

#include "archive/archive.h"
#include "base/fs.h"
#include "base/json.h"

char *store_layer_lock_name(const char *hex)
{
	return str_printf("layer-%s.lock", hex);
}

static int layer_lock(struct store *s, const struct digest *chain, int how)
{
	_cleanup_free_ char *name = store_layer_lock_name(digest_hex(chain));

	return name ? store_lock(s, name, how) : -ENOMEM;
}

char *store_layer_dir(struct store *s, const struct digest *chain)
{
	return str_printf("%s/" STORE_LAYERS_DIR "/%s/diff", s->dir, digest_hex(chain));
}

static bool layer_exists_hex(struct store *s, const char *hex)
{
	_cleanup_free_ char *rel = str_printf(STORE_LAYERS_DIR "/%s/meta.json", hex);

	return rel && faccessat(s->dfd, rel, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

bool store_layer_exists(struct store *s, const struct digest *chain)
{
	return layer_exists_hex(s, digest_hex(chain));
}

static int meta_digest(json_t *j, const char *key, bool required, struct digest *ret,
                       struct husk_error **err)
{
	const char *v = NULL;
	int r = json_get_string(j, "", key, required, &v, err);

	if (r < 0 || !v)
		return r;
	return digest_parse(v, ret, err);
}

int store_layer_meta_at(struct store *s, const char *hex, struct store_layer_meta *ret,
                        struct husk_error **err)
{
	_cleanup_free_ char *path = str_printf("%s/" STORE_LAYERS_DIR "/%s/meta.json", s->dir, hex);
	_cleanup_json_ json_t *j = NULL;
	struct store_layer_meta m = {0};
	int r;

	if (!path)
		return error_set(err, ENOMEM, "out of memory");
	r = json_load_path(path, STORE_META_MAX, &j, err);
	if (r < 0)
		return r;
	m.has_parent = json_is_string(json_object_get(j, "parent"));
	if ((r = meta_digest(j, "chain", true, &m.chain, err)) < 0 ||
	    (r = meta_digest(j, "diff_id", true, &m.diff_id, err)) < 0 ||
	    (r = meta_digest(j, "blob", true, &m.blob, err)) < 0 ||
	    (r = meta_digest(j, "parent", false, &m.parent, err)) < 0 ||
	    (r = json_get_uint64(j, "", "size", false, &m.size, err)) < 0)
		return wrap_err(r, err, "\"%s\"", path);
	*ret = m;
	return 0;
}

int store_layer_meta(struct store *s, const struct digest *chain, struct store_layer_meta *ret,
                     struct husk_error **err)
{
	if (!store_layer_exists(s, chain))
		return error_set(err, ENOENT, "layer %s is not in the store", chain->str);
	return store_layer_meta_at(s, digest_hex(chain), ret, err);
}

/* The chain ID must follow from the parent and the diff ID: a caller's
 * mistake must not file a layer under another layer's name. */
static int chain_validate(const struct digest *chain, const struct digest *parent,
                          const struct digest *diff_id, struct husk_error **err)
{
	struct digest in[2], out[2];

	if (!parent) {
		if (!digest_equal(chain, diff_id))
			return error_set(err, EINVAL,
			                 "layer %s: a base layer's chain ID must be its diff ID %s",
			                 chain->str, diff_id->str);
		return 0;
	}
	in[0] = *parent;
	in[1] = *diff_id;
	store_chain_ids(in, 2, out);
	if (!digest_equal(&out[1], chain))
		return error_set(err, EINVAL, "layer %s: chain ID of %s on %s is %s", chain->str,
		                 diff_id->str, parent->str, out[1].str);
	return 0;
}

/* Under the GC lock: record chain (and parent) in the lease, then look. A
 * GC either finished before (what we see is what stays) or sees the lease.
 * 1 when the layer exists. */
static int layer_claim(struct store *s, const struct digest *chain, const struct digest *parent,
                       struct store_lease *lease, struct husk_error **err)
{
	_cleanup_close_ int gc = store_lock(s, STORE_GC_LOCK, LOCK_SH);
	int r;

	if (gc < 0)
		return error_set_errno(err, -gc, "layer %s: lock", chain->str);
	if (lease && ((r = store_lease_add(lease, chain)) < 0 ||
	              (parent && (r = store_lease_add(lease, parent)) < 0)))
		return error_set_errno(err, -r, "layer %s: record in lease", chain->str);
	if (store_layer_exists(s, chain))
		return 1;
	/* overlay2 layers are independent trees (the chain only names them), so
	 * the layers of one image may unpack in parallel; vfs copies its parent */
	if (parent && !store_layer_exists(s, parent) && !streq(s->driver, "overlay2"))
		return error_set(err, ENOENT, "layer %s: parent layer %s is not in the store",
		                 chain->str, parent->str);
	return 0;
}

static int write_meta(int dfd, const struct digest *chain, const struct digest *parent,
                      const struct layer_stats *st, struct husk_error **err)
{
	_cleanup_json_ json_t *j = json_pack("{s:s, s:s, s:o, s:s, s:I}", "chain", chain->str,
	                                     "diff_id", st->diff_id.str, "parent",
	                                     json_string_or_null(parent ? parent->str : NULL),
	                                     "blob", st->blob.str, "size", (json_int_t)st->bytes);
	_cleanup_free_ char *text = j ? json_compact(j) : NULL;

	if (!text)
		return error_set(err, ENOMEM, "out of memory");
	return atomic_write_at(dfd, "meta.json", text, strlen(text), 0600, err);
}

/* vfs: diff/ starts as a copy of the parent's whole tree. */
static int copy_parent(struct store *s, const struct digest *parent, int tmp_dfd,
                       struct husk_error **err)
{
	_cleanup_free_ char *src = store_layer_dir(s, parent);
	_cleanup_close_ int sfd = -1, dfd = -1;

	if (!src)
		return error_set(err, ENOMEM, "out of memory");
	sfd = open(src, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	dfd = openat(tmp_dfd, "diff", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0 || dfd < 0)
		return error_set_errno(err, errno, "open parent layer %s", parent->str);
	return tree_copy(sfd, dfd, err);
}

struct unpack {
	const struct digest *chain, *parent, *blob, *diff_id;
	int blob_fd;
	struct store_lease *lease;
};

/* Unpack into tmp (a directory in layers/ we created), make it durable. */
static int unpack_into(struct store *s, const struct unpack *u, const char *tmp,
                       struct husk_error **err)
{
	_cleanup_free_ char *path = path_join(s->dir, tmp), *diff = NULL;
	_cleanup_close_ int dfd = -1;
	struct apply_opts o = {
	        .expect_blob = u->blob,
	        .expect_diff_id = u->diff_id,
	        .overlay_whiteouts = !store_is_vfs(s),
	        .id_shift = s->idmap,
	};
	struct layer_stats st = {0};
	int r;

	diff = path ? path_join(path, "diff") : NULL;
	if (!diff)
		return error_set(err, ENOMEM, "out of memory");
	dfd = openat(s->dfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 || mkdirat(dfd, "diff", 0755) < 0)
		return error_set_errno(err, errno, "create \"%s\"", diff);
	/* userns-remap: the layer's root is the remapped root's, unless the
	 * layer says otherwise ("./" entry, shifted) */
	r = store_remap_dir_at(s, dfd, "diff", true);
	if (r < 0)
		return error_set_errno(err, -r, "chown \"%s\"", diff);
	if (store_is_vfs(s) && u->parent && (r = copy_parent(s, u->parent, dfd, err)) < 0)
		return r;
	r = layer_apply(u->blob_fd, diff, &o, &st, err);
	if (r < 0)
		return r;
	/* one syncfs instead of an fsync per file of the layer */
	if (syncfs(dfd) < 0)
		return error_set_errno(err, errno, "syncfs \"%s\"", path);
	return write_meta(dfd, u->chain, u->parent, &st, err);
}

static int publish(struct store *s, const struct unpack *u, const char *tmp,
                   struct husk_error **err)
{
	_cleanup_free_ char *rel = str_printf(STORE_LAYERS_DIR "/%s", digest_hex(u->chain));
	_cleanup_close_ int gc = -1;
	int r;

	if (!rel)
		return error_set(err, ENOMEM, "out of memory");
	gc = store_lock(s, STORE_GC_LOCK, LOCK_SH);
	if (gc < 0)
		return error_set_errno(err, -gc, "layer %s: lock", u->chain->str);
	if (u->lease && (r = store_lease_add(u->lease, u->chain)) < 0)
		return error_set_errno(err, -r, "layer %s: record in lease", u->chain->str);
	if (renameat(s->dfd, tmp, s->dfd, rel) < 0)
		return error_set_errno(err, errno, "layer %s: rename into place", u->chain->str);
	r = store_fsync_at(s, STORE_LAYERS_DIR);
	return r < 0 ? error_set_errno(err, -r, "layer %s: fsync", u->chain->str) : 0;
}

static int unpack_layer(struct store *s, const struct unpack *u, struct husk_error **err)
{
	_cleanup_close_ int parent_lock = -1;
	char rnd[17], tmp[160];
	int r;

	/* the parent stays while we build on it: GC only deletes a layer whose
	 * lock it can take */
	if (u->parent) {
		parent_lock = layer_lock(s, u->parent, LOCK_SH);
		if (parent_lock < 0)
			return error_set_errno(err, -parent_lock, "layer %s: lock", u->parent->str);
	}
	store_random_hex(rnd, 8);
	snprintf(tmp, sizeof(tmp), STORE_LAYERS_DIR "/" STORE_TMP_PREFIX "%s-%s",
	         digest_hex(u->chain), rnd);
	if (mkdirat(s->dfd, tmp, 0700) < 0)
		return error_set_errno(err, errno, "create \"%s/%s\"", s->dir, tmp);
	r = unpack_into(s, u, tmp, err);
	if (r == 0)
		r = publish(s, u, tmp, err);
	if (r < 0) {
		_cleanup_free_ char *path = path_join(s->dir, tmp);

		if (path)
			rm_rf(path);
	}
	return r;
}

int store_layer_ensure(struct store *s, const struct digest *chain,
                       const struct digest *parent_chain, int blob_fd, const struct digest *blob,
                       const struct digest *diff_id, struct store_lease *lease,
                       struct husk_error **err)
{
	struct unpack u = {chain, parent_chain, blob, diff_id, blob_fd, lease};
	_cleanup_close_ int lock = -1;
	int r;

	r = chain_validate(chain, parent_chain, diff_id, err);
	if (r == 0)
		r = store_record_driver(s, err);
	if (r < 0)
		return r;
	/* single flight: a second process waits here, then finds it done */
	lock = layer_lock(s, chain, LOCK_EX);
	if (lock < 0)
		return error_set_errno(err, -lock, "layer %s: lock", chain->str);
	r = layer_claim(s, chain, parent_chain, lease, err);
	if (r != 0)
		return r < 0 ? r : 0;
	r = unpack_layer(s, &u, err);
	return wrap_err(r, err, "layer %s", chain->str);
}

int store_layer_delete(struct store *s, const char *hex, uint64_t *ret_size)
{
	struct store_layer_meta m = {0};
	_cleanup_free_ char *from = str_printf(STORE_LAYERS_DIR "/%s", hex);
	_cleanup_free_ char *to = NULL, *path = NULL;
	char rnd[17];
	int r;

	store_random_hex(rnd, 8);
	to = str_printf(STORE_LAYERS_DIR "/" STORE_TMP_PREFIX "%s-%s", hex, rnd);
	path = to ? path_join(s->dir, to) : NULL;
	if (!from || !path)
		return -ENOMEM;
	store_layer_meta_at(s, hex, &m, NULL);
	/* aside first: the layer disappears at once, never half-deleted */
	if (renameat(s->dfd, from, s->dfd, to) < 0)
		return -errno;
	r = rm_rf(path);
	if (ret_size)
		*ret_size = m.size;
	return r;
}

bool store_layer_tmp_is_orphan(struct store *s, const char *name)
{
	const char *hex = startswith(name, STORE_TMP_PREFIX);
	char buf[DIGEST_HEX_LEN + 1];
	struct digest d;
	int fd;

	if (!hex || strlen(hex) < DIGEST_HEX_LEN)
		return true;
	memcpy(buf, hex, DIGEST_HEX_LEN);
	buf[DIGEST_HEX_LEN] = 0;
	if (store_digest_from_hex(buf, &d) < 0)
		return true;
	/* its writer holds the layer's lock while the directory exists */
	fd = layer_lock(s, &d, LOCK_EX | LOCK_NB);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* A lock file we may drop: the object is gone and nobody holds the lock. */
static void prune_lock(struct store *s, const char *name, bool object_exists)
{
	int fd;

	if (object_exists)
		return;
	fd = store_lock(s, name, LOCK_EX | LOCK_NB);
	if (fd >= 0)
		store_lock_drop(s, name, fd);
}

void store_locks_prune(struct store *s)
{
	_cleanup_strv_ char **names = NULL;

	if (store_list_dir(s, STORE_LOCKS_DIR, &names) < 0)
		return;
	STRV_FOREACH (n, names) {
		const char *hex = startswith(*n, "layer-");
		const char *id = startswith(*n, "snapshot-");
		_cleanup_free_ char *key = NULL, *rel = NULL;

		if ((!hex && !id) || !endswith(*n, ".lock"))
			continue;
		key = strndup(hex ?: id, strlen(hex ?: id) - strlen(".lock"));
		rel = key ? str_printf("%s/%s", hex ? STORE_LAYERS_DIR : STORE_SNAPS_DIR, key)
		          : NULL;
		if (rel)
			prune_lock(s, *n, faccessat(s->dfd, rel, F_OK, AT_SYMLINK_NOFOLLOW) == 0);
	}
}
