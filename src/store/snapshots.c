/* snapshots.c — a container's writable root: store/snapshots/<id> (0700:
 * other users never reach the files of an image through it) with
 * meta.json naming its layer chain, and upper/ work/ merged/ (overlay2) or
 * rootfs/ (vfs, a full copy of the top layer). Built under a temp name and
 * renamed into place; every operation on one holds its lock. */
#include "store/store_internal.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>

#include "base/fs.h"
#include "base/json.h"

#define SNAPSHOT_ID_MAX 128

bool store_snapshot_id_valid(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	if (n == 0 || n > SNAPSHOT_ID_MAX ||
	    !strchr("0123456789abcdefghijklmnopqrstuvwxyz"
	            "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
	            id[0]))
		return false;
	return strspn(id, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_.-") == n;
}

static int snapshot_lock(struct store *s, const char *id, int how)
{
	_cleanup_free_ char *name = str_printf("snapshot-%s.lock", id);

	return name ? store_lock(s, name, how) : -ENOMEM;
}

static int check_id(const char *id, struct husk_error **err)
{
	if (!store_snapshot_id_valid(id))
		return error_set(err, EINVAL,
		                 "invalid snapshot id \"%s\": expected [A-Za-z0-9][A-Za-z0-9_.-]*, "
		                 "at most %d characters",
		                 id ?: "", SNAPSHOT_ID_MAX);
	return 0;
}

static int write_meta(struct store *s, int dfd, const char *id, const struct digest *chains,
                      size_t n, struct husk_error **err)
{
	_cleanup_json_ json_t *arr = json_array(), *j = NULL;
	_cleanup_free_ char *text = NULL;

	for (size_t i = 0; arr && i < n; i++)
		if (json_array_append_new(arr, json_string(chains[i].str)) < 0)
			return error_set(err, ENOMEM, "out of memory");
	j = arr ? json_pack("{s:s, s:s, s:O, s:I}", "id", id, "driver", s->driver, "chain", arr,
	                    "created", (json_int_t)time(NULL))
	        : NULL;
	text = j ? json_compact(j) : NULL;
	if (!text)
		return error_set(err, ENOMEM, "out of memory");
	return atomic_write_at(dfd, "meta.json", text, strlen(text), 0600, err);
}

/* vfs: rootfs/ is a copy of the top layer's tree, which stays while we copy
 * (GC only deletes a layer whose lock it can take). */
static int copy_top(struct store *s, int dfd, const struct digest *top, struct husk_error **err)
{
	_cleanup_free_ char *lock_name = store_layer_lock_name(digest_hex(top));
	_cleanup_free_ char *src = store_layer_dir(s, top);
	_cleanup_close_ int lock = -1, sfd = -1, rfd = -1;

	if (!lock_name || !src)
		return error_set(err, ENOMEM, "out of memory");
	lock = store_lock(s, lock_name, LOCK_SH);
	if (lock < 0)
		return error_set_errno(err, -lock, "lock layer %s", top->str);
	sfd = open(src, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0)
		return error_set(err, ENOENT, "layer %s is not in the store", top->str);
	if (mkdirat(dfd, "rootfs", 0755) < 0)
		return error_set_errno(err, errno, "create rootfs");
	rfd = openat(dfd, "rootfs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rfd < 0)
		return error_set_errno(err, errno, "open rootfs");
	return tree_copy(sfd, rfd, err);
}

static int make_dirs(struct store *s, int dfd, const char *id, const struct digest *chains,
                     size_t n, struct husk_error **err)
{
	if (store_is_vfs(s)) {
		int r = copy_top(s, dfd, &chains[n - 1], err);
		if (r < 0)
			return r;
	} else if (mkdirat(dfd, "upper", 0755) < 0 || mkdirat(dfd, "work", 0700) < 0 ||
	           mkdirat(dfd, "merged", 0755) < 0) {
		return error_set_errno(err, errno, "create upper, work, merged");
	}
	/* userns-remap: the container's root owns its writable layer */
	if (store_is_vfs(s) ? store_remap_dir_at(s, dfd, "rootfs", true) < 0
	                    : (store_remap_dir_at(s, dfd, "upper", true) < 0 ||
	                       store_remap_dir_at(s, dfd, "work", true) < 0))
		return error_set_errno(err, errno, "give the writable layer to the remapped root");
	if (store_remap_dir_at(s, dfd, ".", false) < 0)
		return error_set_errno(err, errno, "give the remapped root access");
	return write_meta(s, dfd, id, chains, n, err);
}

/* Under the GC lock: every layer is there, and then the snapshot is, so a
 * GC sees either no snapshot (and no promise) or the snapshot's chain. */
static int snapshot_publish(struct store *s, const char *tmp, const char *rel,
                            const struct digest *chains, size_t n, struct husk_error **err)
{
	_cleanup_close_ int gc = store_lock(s, STORE_GC_LOCK, LOCK_SH);

	if (gc < 0)
		return error_set_errno(err, -gc, "lock");
	for (size_t i = 0; i < n; i++)
		if (!store_layer_exists(s, &chains[i]))
			return error_set(err, ENOENT, "layer %s is not in the store",
			                 chains[i].str);
	if (renameat(s->dfd, tmp, s->dfd, rel) < 0)
		return error_set_errno(err, errno, "rename into place");
	return store_fsync_at(s, STORE_SNAPS_DIR);
}

static int snapshot_build(struct store *s, const char *id, const struct digest *chains, size_t n,
                          struct husk_error **err)
{
	_cleanup_free_ char *rel = path_join(STORE_SNAPS_DIR, id), *tmp = NULL, *path = NULL;
	_cleanup_close_ int dfd = -1;
	char rnd[17];
	int r;

	store_random_hex(rnd, 8);
	tmp = str_printf(STORE_SNAPS_DIR "/" STORE_TMP_PREFIX "%s-%s", id, rnd);
	path = tmp ? path_join(s->dir, tmp) : NULL;
	if (!rel || !path)
		return error_set(err, ENOMEM, "out of memory");
	if (faccessat(s->dfd, rel, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return error_set(err, EEXIST, "snapshot exists");
	if (mkdirat(s->dfd, tmp, 0700) < 0)
		return error_set_errno(err, errno, "create \"%s\"", path);
	dfd = openat(s->dfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	r = dfd < 0 ? error_set_errno(err, errno, "open \"%s\"", path)
	            : make_dirs(s, dfd, id, chains, n, err);
	if (r == 0 && store_is_vfs(s) && syncfs(dfd) < 0)
		r = error_set_errno(err, errno, "syncfs");
	if (r == 0)
		r = snapshot_publish(s, tmp, rel, chains, n, err);
	if (r < 0)
		rm_rf(path);
	return r;
}

int store_snapshot_create(struct store *s, const char *id, const struct digest *chain_ids, size_t n,
                          struct husk_error **err)
{
	_cleanup_close_ int lock = -1;
	int r;

	r = check_id(id, err);
	if (r == 0 && n == 0)
		r = error_set(err, EINVAL, "snapshot \"%s\": no layers", id);
	if (r == 0)
		r = store_record_driver(s, err);
	if (r < 0)
		return r;
	lock = snapshot_lock(s, id, LOCK_EX);
	if (lock < 0)
		return error_set_errno(err, -lock, "lock snapshot \"%s\"", id);
	r = snapshot_build(s, id, chain_ids, n, err);
	return wrap_err(r, err, "create snapshot \"%s\"", id);
}

int store_snapshot_chains(struct store *s, const char *id, char ***ret, struct husk_error **err)
{
	_cleanup_free_ char *path = str_printf("%s/" STORE_SNAPS_DIR "/%s/meta.json", s->dir, id);
	_cleanup_json_ json_t *j = NULL;
	_cleanup_strv_ char **v = NULL;
	int r;

	if (!path)
		return error_set(err, ENOMEM, "out of memory");
	r = json_load_path(path, STORE_META_MAX, &j, err);
	if (r < 0)
		return r;
	r = json_get_strv(j, "", "chain", true, &v, err);
	if (r < 0)
		return wrap_err(r, err, "\"%s\"", path);
	STRV_FOREACH (c, v)
		if (!digest_valid(*c))
			return error_set(err, EINVAL, "\"%s\": invalid chain ID \"%s\"", path, *c);
	if (strv_length(v) == 0)
		return error_set(err, EINVAL, "\"%s\": no layers", path);
	*ret = TAKE_PTR(v);
	return 0;
}

/* The lowerdirs for overlay: layer hex IDs, top first; each must exist. */
static int lower_hexes(struct store *s, char **chains, char ***ret, struct husk_error **err)
{
	_cleanup_strv_ char **v = strv_new();

	if (!v)
		return error_set(err, ENOMEM, "out of memory");
	for (size_t i = strv_length(chains); i > 0; i--) {
		struct digest d;

		if (digest_parse(chains[i - 1], &d, err) < 0)
			return -EINVAL;
		if (!store_layer_exists(s, &d))
			return error_set(err, ENOENT, "layer %s is not in the store", d.str);
		if (strv_push(&v, digest_hex(&d)) < 0)
			return error_set(err, ENOMEM, "out of memory");
	}
	*ret = TAKE_PTR(v);
	return 0;
}

static int snapshot_mount_locked(struct store *s, const char *id, char **ret_path,
                                 struct husk_error **err)
{
	_cleanup_strv_ char **chains = NULL, **hexes = NULL;
	_cleanup_free_ char *path = NULL;
	int r;

	r = store_snapshot_chains(s, id, &chains, err);
	if (r < 0)
		return r == -ENOENT ? error_set(err, ENOENT, "no such snapshot") : r;
	path = str_printf("%s/" STORE_SNAPS_DIR "/%s/%s", s->dir, id,
	                  store_is_vfs(s) ? "rootfs" : "merged");
	if (!path)
		return error_set(err, ENOMEM, "out of memory");
	if (!store_is_vfs(s) && !store_is_mount_point(AT_FDCWD, path)) {
		r = lower_hexes(s, chains, &hexes, err);
		if (r == 0)
			r = store_overlay_mount(s, hexes, id, path, err);
		if (r < 0)
			return r;
	}
	*ret_path = TAKE_PTR(path);
	return 0;
}

int store_snapshot_dirs(struct store *s, const char *id, char **ret_upper, char ***ret_lowers,
                        struct husk_error **err)
{
	_cleanup_strv_ char **chains = NULL, **hexes = NULL, **lowers = strv_new();
	_cleanup_free_ char *upper = NULL;
	int r = check_id(id, err);

	if (r < 0)
		return r;
	if (store_is_vfs(s))
		return error_set(err, ENOTSUP, "the vfs storage driver keeps no upper directory");
	r = store_snapshot_chains(s, id, &chains, err);
	if (r == 0)
		r = lower_hexes(s, chains, &hexes, err);
	if (r < 0)
		return r == -ENOENT ? error_set(err, ENOENT, "no such snapshot \"%s\"", id) : r;
	upper = str_printf("%s/" STORE_SNAPS_DIR "/%s/upper", s->dir, id);
	STRV_FOREACH (h, hexes) {
		char *d = str_printf("%s/" STORE_LAYERS_DIR "/%s/diff", s->dir, *h);
		if (!d || !lowers || strv_push_take(&lowers, d) < 0)
			return error_set(err, ENOMEM, "out of memory");
	}
	if (!upper || !lowers)
		return error_set(err, ENOMEM, "out of memory");
	*ret_upper = TAKE_PTR(upper);
	*ret_lowers = TAKE_PTR(lowers);
	return 0;
}

int store_snapshot_mount(struct store *s, const char *id, char **ret_path, struct husk_error **err)
{
	_cleanup_close_ int lock = -1;
	int r = check_id(id, err);

	if (r < 0)
		return r;
	lock = snapshot_lock(s, id, LOCK_EX);
	if (lock < 0)
		return error_set_errno(err, -lock, "lock snapshot \"%s\"", id);
	r = snapshot_mount_locked(s, id, ret_path, err);
	return wrap_err(r, err, "mount snapshot \"%s\"", id);
}

static int unmount_locked(struct store *s, const char *id, struct husk_error **err)
{
	_cleanup_free_ char *path = str_printf("%s/" STORE_SNAPS_DIR "/%s/merged", s->dir, id);

	if (!path)
		return error_set(err, ENOMEM, "out of memory");
	while (store_is_mount_point(AT_FDCWD, path)) {
		/* a busy mount (a process still inside) is detached: it goes
		 * when the last user does */
		if (umount2(path, UMOUNT_NOFOLLOW) < 0 &&
		    umount2(path, UMOUNT_NOFOLLOW | MNT_DETACH) < 0)
			return error_set_errno(err, errno, "unmount \"%s\"", path);
	}
	return 0;
}

int store_snapshot_unmount(struct store *s, const char *id, struct husk_error **err)
{
	_cleanup_close_ int lock = -1;
	int r = check_id(id, err);

	if (r < 0)
		return r;
	lock = snapshot_lock(s, id, LOCK_EX);
	if (lock < 0)
		return error_set_errno(err, -lock, "lock snapshot \"%s\"", id);
	r = unmount_locked(s, id, err);
	return wrap_err(r, err, "snapshot \"%s\"", id);
}

static int remove_locked(struct store *s, const char *id, struct husk_error **err)
{
	_cleanup_free_ char *rel = path_join(STORE_SNAPS_DIR, id), *to = NULL, *path = NULL;
	char rnd[17];
	int r;

	store_random_hex(rnd, 8);
	to = str_printf(STORE_SNAPS_DIR "/" STORE_TMP_PREFIX "%s-%s", id, rnd);
	path = to ? path_join(s->dir, to) : NULL;
	if (!rel || !path)
		return error_set(err, ENOMEM, "out of memory");
	if (faccessat(s->dfd, rel, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		return error_set(err, ENOENT, "no such snapshot");
	r = unmount_locked(s, id, err);
	if (r < 0)
		return r;
	/* aside first: it is gone at once, never half there */
	if (renameat(s->dfd, rel, s->dfd, to) < 0)
		return error_set_errno(err, errno, "rename \"%s\" aside", rel);
	r = rm_rf(path);
	return r < 0 ? error_set_errno(err, -r, "remove \"%s\"", path) : 0;
}

int store_snapshot_remove(struct store *s, const char *id, struct husk_error **err)
{
	_cleanup_free_ char *lock_name = NULL;
	int lock, r = check_id(id, err);

	if (r < 0)
		return r;
	lock_name = str_printf("snapshot-%s.lock", id);
	if (!lock_name)
		return error_set(err, ENOMEM, "out of memory");
	lock = store_lock(s, lock_name, LOCK_EX);
	if (lock < 0)
		return error_set_errno(err, -lock, "lock snapshot \"%s\"", id);
	r = remove_locked(s, id, err);
	if (r < 0) {
		safe_close(lock);
		return wrap_err(r, err, "remove snapshot \"%s\"", id);
	}
	store_lock_drop(s, lock_name, lock);
	return 0;
}

int store_snapshot_list(struct store *s, char ***ret, struct husk_error **err)
{
	_cleanup_strv_ char **names = NULL, **v = strv_new();
	int r;

	if (!v)
		return error_set(err, ENOMEM, "out of memory");
	r = store_list_dir(s, STORE_SNAPS_DIR, &names);
	if (r < 0)
		return error_set_errno(err, -r, "list \"%s/" STORE_SNAPS_DIR "\"", s->dir);
	STRV_FOREACH (n, names)
		if (store_snapshot_id_valid(*n) && strv_push(&v, *n) < 0)
			return error_set(err, ENOMEM, "out of memory");
	*ret = TAKE_PTR(v);
	return 0;
}

bool store_snapshot_tmp_is_orphan(struct store *s, const char *name)
{
	const char *rest = startswith(name, STORE_TMP_PREFIX);
	const char *dash = rest ? strrchr(rest, '-') : NULL;
	_cleanup_free_ char *id = NULL;
	int fd;

	if (!dash)
		return true;
	id = strndup(rest, dash - rest);
	if (!id || !store_snapshot_id_valid(id))
		return true;
	/* its creator or remover holds the snapshot's lock meanwhile */
	fd = snapshot_lock(s, id, LOCK_EX | LOCK_NB);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}
