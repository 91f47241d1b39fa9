/* store_internal.h — what the store's files share: the store struct, the
 * layout's names, file locks and small helpers. Not for other modules.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/file.h>
#include <sys/types.h>

#include "base/str.h"
#include "store/store.h"

/* Paths below the store directory (openat() on store->dfd). */
#define STORE_OCI_DIR    "oci"
#define STORE_BLOBS_DIR  "oci/blobs/sha256"
#define STORE_INDEX      "oci/index.json"
#define STORE_LAYOUT     "oci/oci-layout"
#define STORE_INGEST_DIR "ingest"
#define STORE_LAYERS_DIR "layers"
#define STORE_SNAPS_DIR  "snapshots"
#define STORE_LEASES_DIR "leases"
#define STORE_LOCKS_DIR  "locks"
#define STORE_LINKS_DIR  "l"
#define STORE_DRIVER     "driver"

/* Temp names in layers/ and snapshots/ start with this; they are never a
 * valid chain hex or snapshot ID. */
#define STORE_TMP_PREFIX ".tmp-"

#define STORE_MANIFEST_MAX (4u << 20)  /* as the distribution spec suggests */
#define STORE_INDEX_MAX    (64u << 20) /* index.json: the reference database */
#define STORE_META_MAX     (1u << 20)

#define STORE_GRACE_DEFAULT 300

#define ANNOT_IMAGE_ID    "io.husk.image.id"
#define ANNOT_ADDED       "io.husk.image.added"
#define ANNOT_REPO_DIGEST "io.husk.image.repo-digest"
#define ANNOT_REF_NAME    "org.opencontainers.image.ref.name"
#define ANNOT_CTRD_NAME   "io.containerd.image.name"

/* Add context to *err and keep the code r (error_wrap() alone says EIO
 * when the caller passed no err). */
#define wrap_err(r, err, ...)                                                                      \
	({                                                                                         \
		int _r = (r);                                                                      \
		if (_r < 0)                                                                        \
			error_wrap(err, __VA_ARGS__);                                              \
		_r;                                                                                \
	})

struct store {
	char *root; /* the data root */
	char *dir;  /* root/store */
	int dfd;    /* on dir */
	char *driver;
	bool driver_recorded; /* store/driver exists and says driver */
	int64_t grace;
	bool legacy_mount; /* tests: mount(2) with short lowerdir names, not fsconfig */
	/* userns-remap (store_set_remap): NULL when off */
	const struct id_mapping *idmap;
	uint32_t root_uid, root_gid; /* the remapped root on the host */
};

/* store.c: under userns-remap, let the remapped root reach name below dfd
 * (0710, root:<its gid>); own: make it the remapped root's own instead.
 * Nothing when remapping is off. 0 or -errno. */
int store_remap_dir_at(struct store *s, int dfd, const char *name, bool own);

/* store.c: locks live in store/locks/<name>. how is LOCK_EX or LOCK_SH,
 * optionally | LOCK_NB (-EWOULDBLOCK when held elsewhere). The lock file is
 * re-checked after locking so that store_lock_drop() may unlink it safely.
 * Returns an fd (close it to unlock) or -errno. */
int store_lock(struct store *s, const char *name, int how);
/* Unlink the lock file of a lock we hold, then release it. */
void store_lock_drop(struct store *s, const char *name, int fd);
/* The GC lock: writers hold it shared for the instant they record in a lease
 * and publish; GC holds it exclusive while it marks and sweeps. */
#define STORE_GC_LOCK    "gc.lock"
#define STORE_INDEX_LOCK "index.lock"

/* store.c: random lower-case hex, n bytes of entropy (2n chars + NUL). */
void store_random_hex(char *buf, size_t n);
/* "sha256:<hex>" from a bare hex name (a directory entry); -EINVAL when it
 * is not 64 hex digits. */
int store_digest_from_hex(const char *hex, struct digest *ret);
/* Create the driver record when it is missing; -EINVAL when it says
 * another driver. */
int store_record_driver(struct store *s, struct husk_error **err);
bool store_is_vfs(const struct store *s);

/* lease.c: push the digests recorded in every live lease onto *digests;
 * stale lease files are removed (and added to *ret_stale). */
int store_leases_live(struct store *s, char ***digests, uint64_t *ret_stale);
/* A lease file (in leases/) whose holder is gone. */
bool store_lease_is_stale(struct store *s, const char *name);

/* content.c: blob housekeeping. */
int store_blob_remove(struct store *s, const char *hex, uint64_t *ret_size);
/* An ingest file is stale when no writer holds its lock. */
bool store_ingest_is_stale(struct store *s, const char *name);

/* manifest.c: the blobs a manifest or index names, pushed onto *refs: an
 * index's children, or a manifest's config (first) and layers;
 * *ret_is_index tells which kind it was. -EINVAL for a blob that is
 * neither. */
int store_manifest_refs(const char *buf, size_t len, char ***refs, bool *ret_is_index,
                        struct husk_error **err);
/* The config digest a manifest names. */
int store_manifest_config(const char *buf, size_t len, struct digest *ret, struct husk_error **err);
/* The chain IDs of an image config's rootfs.diff_ids, pushed onto *chains. */
int store_config_chains(const char *buf, size_t len, char ***chains, struct husk_error **err);

/* Everything a manifest or index (digest) keeps alive: itself, children,
 * configs and layer blobs pushed onto *blobs, the layer chains of each
 * config onto *chains. What was found before an error (a missing or bad
 * blob, named in err) is pushed too. */
int store_reach(struct store *s, const char *digest, char ***blobs, char ***chains,
                struct husk_error **err);

/* refs.c: load index.json (never NULL on success). */
int store_index_load(struct store *s, json_t **ret, struct husk_error **err);
/* Write it back durably; the caller holds the index lock. */
int store_index_save(struct store *s, json_t *index, struct husk_error **err);
/* Temp files of interrupted index.json/oci-layout writes (only looked at
 * when nobody holds the index lock): removed, or pushed onto *report (may
 * be NULL). Returns how many. */
uint64_t store_index_temps(struct store *s, bool remove, char ***report);
/* The io.husk.image.id of an index entry, or NULL. */
const char *store_entry_image_id(json_t *entry);

/* layers.c */
int store_layer_meta_at(struct store *s, const char *hex, struct store_layer_meta *ret,
                        struct husk_error **err);
/* "layer-<hex>.lock" */
char *store_layer_lock_name(const char *hex);
/* Rename layers/<hex> aside and delete it (the caller holds its lock). */
int store_layer_delete(struct store *s, const char *hex, uint64_t *ret_size);
/* Is name (in layers/) a temp dir whose writer is gone? */
bool store_layer_tmp_is_orphan(struct store *s, const char *name);

/* Remove the lock files of layers and snapshots that no longer exist and
 * that nobody holds. */
void store_locks_prune(struct store *s);

/* snapshots.c */
int store_snapshot_chains(struct store *s, const char *id, char ***ret, struct husk_error **err);
bool store_snapshot_tmp_is_orphan(struct store *s, const char *name);
bool store_snapshot_id_valid(const char *id);

/* overlay.c: mount overlay at target with the layers hexes (top first) and
 * the snapshot id's upper/work. */
int store_overlay_mount(struct store *s, char **hexes, const char *id, const char *target,
                        struct husk_error **err);
bool store_is_mount_point(int dirfd, const char *path);

/* fsync the directory dfd/rel. -errno. */
int store_fsync_at(struct store *s, const char *rel);

/* A directory listing of dfd/path (no "." and ".."), sorted; -errno. */
int store_list_dir(struct store *s, const char *path, char ***ret);

/* Test hook: force the mount(2) fallback for overlay mounts. */
void store_set_legacy_mount(struct store *s, bool on);
