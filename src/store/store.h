/* store.h — husk's image store: content-addressed blobs, image records and
 * their references, unpacked layers keyed by chain ID, container snapshots
 * (overlayfs or vfs copies), leases, garbage collection and a consistency
 * check.
 *
 * Everything lives in <root>/store (0700), laid out as an OCI image layout
 * (store/oci: oci-layout, index.json, blobs/sha256/<hex>) so that skopeo and
 * umoci read it; index.json is the one reference database. Several processes
 * may open the same store at once: every read-modify-write is under a file
 * lock, and a GC never deletes what a live lease or an image, container
 * snapshot or recent write still needs.
 *
 * It must never: let a blob whose bytes do not match its name appear; let a
 * partial layer or snapshot appear under its final name; write anything but
 * temp + fsync + rename (a crash at any instant leaves a store that opens and
 * checks clean, with at most leftovers); make its directories traversable by
 * other host users (setuid files inside images, CVE-2021-41091); print.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/digest.h"
#include "base/error.h"
#include "base/idmap.h"

struct store;
struct store_lease;
struct blob_writer;

/* --- the store ----------------------------------------------------------- */

/* Open (creating it) the store under root/store, mode 0700, owned by us.
 * -EPERM when it is owned by someone else or cannot be made private. */
int store_open(const char *root, struct store **ret, struct husk_error **err);
void store_free(struct store *s);
DEFINE_CLEANUP_FUNC(struct store *, store_free)

/* The data root given to store_open(), and the store directory below it. */
const char *store_root(const struct store *s);
const char *store_dir(const struct store *s);

/* The storage driver for layers and snapshots: "overlay2" (default when the
 * kernel has overlayfs and the store is not on overlayfs) or "vfs". Once a
 * layer exists the driver is recorded in store/driver: choosing another one
 * then is -EINVAL. */
int store_set_driver(struct store *s, const char *driver, struct husk_error **err);
const char *store_driver(const struct store *s);

/* userns-remap (dockerd's graph drivers under an identity mapping): layers
 * are unpacked with every owner shifted by m (the caller's, kept until
 * store_free), the directories a remapped container's root must pass
 * (store/, snapshots/, each snapshot) become 0710 root:<root_gid>, and a
 * snapshot's upper/ and work/ (vfs: rootfs/) and each layer's root belong
 * to root_uid:root_gid. m NULL or empty: off. -errno when the store's
 * directories cannot be changed. */
int store_set_remap(struct store *s, const struct id_mapping *m, uint32_t root_uid,
                    uint32_t root_gid, struct husk_error **err);

/* Blobs and layers modified less than seconds ago survive GC (default 300;
 * tests use 0). */
void store_set_grace(struct store *s, int64_t seconds);

/* --- blobs (store/oci/blobs/sha256/<hex>) ---------------------------------- */

/* Start writing a blob into store/ingest. expected may be NULL and
 * expected_size -1 when unknown; lease (may be NULL) records the blob so a
 * concurrent GC keeps it. -errno on failure. */
int store_blob_writer(struct store *s, const struct digest *expected, int64_t expected_size,
                      struct store_lease *lease, struct blob_writer **ret, struct husk_error **err);
/* Append bytes, hashing them. -EFBIG past expected_size; the writer must then
 * be aborted. */
int blob_writer_write(struct blob_writer *w, const void *buf, size_t len, struct husk_error **err);
/* Verify (-EILSEQ on a digest or size mismatch: nothing appears), fsync,
 * rename into blobs/ (an existing identical blob is kept), fsync the
 * directory, record in the lease. Frees w whatever happens. */
int blob_writer_commit(struct blob_writer *w, struct digest *ret_digest, uint64_t *ret_size,
                       struct husk_error **err);
/* Drop the partial blob and free w (NULL is fine). */
void blob_writer_abort(struct blob_writer *w);
DEFINE_CLEANUP_FUNC(struct blob_writer *, blob_writer_abort)

/* Store buf as a blob; ret (may be NULL) gets its digest. */
int store_blob_put(struct store *s, const void *buf, size_t len, struct store_lease *lease,
                   struct digest *ret, struct husk_error **err);
/* 0 and the size when the blob exists, -ENOENT when not. */
int store_blob_stat(struct store *s, const struct digest *d, uint64_t *ret_size);
/* A read-only fd on the blob (not re-verified), or -errno. */
int store_blob_open(struct store *s, const struct digest *d, struct husk_error **err);
/* Read a whole blob of at most max bytes (-EFBIG past it) and verify its
 * bytes against its name (-EILSEQ). */
int store_blob_read(struct store *s, const struct digest *d, size_t max, char **ret,
                    size_t *ret_len, struct husk_error **err);
/* The blob's path (it may not exist); NULL on OOM. */
char *store_blob_path(struct store *s, const struct digest *d);

/* --- leases: what an operation in progress has written ------------------- */

/* Create store/leases/<pid>-<rand>, locked for the lease's lifetime. */
int store_lease_begin(struct store *s, struct store_lease **ret, struct husk_error **err);
/* Record a blob digest or layer chain ID in the lease. -errno. */
int store_lease_add(struct store_lease *lease, const struct digest *d);
/* Remove the lease file and free the lease (NULL is fine). */
void store_lease_end(struct store_lease *lease);
DEFINE_CLEANUP_FUNC(struct store_lease *, store_lease_end)

/* --- images and references (store/oci/index.json) -------------------------- */

struct store_image {
	struct digest id;       /* config digest, as Docker shows the image ID */
	struct digest manifest; /* the anchor's manifest */
	char *manifest_media_type;
	uint64_t manifest_size;
	char *os, *architecture, *variant; /* the platform, from the config (variant may be NULL) */
	char **names;        /* full tag references, e.g. docker.io/library/busybox:latest */
	char **repo_digests; /* e.g. docker.io/library/busybox@sha256:… */
	int64_t added;       /* unix seconds when first added */
};

/* Record an image: its manifest blob (which must exist and name id as its
 * config) and its config blob must be in the store. Idempotent; a new
 * manifest for a known id replaces the anchor's. */
int store_image_add(struct store *s, const struct digest *id, const struct digest *manifest,
                    const char *media_type, uint64_t size, struct husk_error **err);
/* Every image, in the order they were added; a NULL-terminated vector. */
int store_image_list(struct store *s, struct store_image ***ret, struct husk_error **err);
/* Find an image by full tag reference, repo digest reference, full ID
 * ("sha256:<hex>") or unique ID prefix. -ENOENT "No such image: <key>";
 * -EINVAL for an ambiguous prefix. */
int store_image_get(struct store *s, const char *key, struct store_image **ret,
                    struct husk_error **err);
/* Point full_ref at id, taking the name from any other image. -ENOENT for an
 * unknown id, -EINVAL for a malformed reference. */
int store_tag(struct store *s, const char *full_ref, const struct digest *id,
              struct husk_error **err);
/* Remove a tag. -ENOENT when no image has it. */
int store_untag(struct store *s, const char *full_ref, struct husk_error **err);
/* Record a repo digest reference (name@sha256:…) for id. */
int store_add_repo_digest(struct store *s, const char *ref, const struct digest *id,
                          struct husk_error **err);
/* Drop the image's anchor and all its names; blobs stay until GC.
 * -ENOENT when unknown. */
int store_image_remove(struct store *s, const struct digest *id, struct husk_error **err);
void store_image_free(struct store_image *img);
void store_image_list_free(struct store_image **v);
DEFINE_CLEANUP_FUNC(struct store_image *, store_image_free)
DEFINE_CLEANUP_FUNC(struct store_image **, store_image_list_free)

/* --- layers (store/layers/<chainhex>) --------------------------------------- */

struct store_layer_meta {
	struct digest chain;
	struct digest diff_id;
	struct digest blob;
	bool has_parent;
	struct digest parent;
	uint64_t size; /* bytes of the uncompressed diff */
};

/* Make sure the layer chain exists, unpacking blob_fd (the layer blob,
 * plain, gzip or zstd, verified against blob and diff_id) on top of
 * parent_chain (NULL for a base layer) when it does not. With overlay2 the
 * parent need not exist yet (layers are independent trees: the layers of
 * an image may be unpacked concurrently); vfs needs it. One unpack per
 * chain across processes: a second caller waits and finds it done. On
 * failure nothing appears. */
int store_layer_ensure(struct store *s, const struct digest *chain,
                       const struct digest *parent_chain, int blob_fd, const struct digest *blob,
                       const struct digest *diff_id, struct store_lease *lease,
                       struct husk_error **err);
bool store_layer_exists(struct store *s, const struct digest *chain);
/* The layer's tree (a new string; it may not exist); NULL on OOM. */
char *store_layer_dir(struct store *s, const struct digest *chain);
/* Read the layer's meta.json. -ENOENT when there is no such layer. */
int store_layer_meta(struct store *s, const struct digest *chain, struct store_layer_meta *ret,
                     struct husk_error **err);
/* The chain IDs of a list of diff IDs (the OCI image-spec's ChainID). */
void store_chain_ids(const struct digest *diff_ids, size_t n, struct digest *ret);

/* --- container snapshots (store/snapshots/<id>) ----------------------------- */

/* Create the writable snapshot id over chain_ids (base first, n >= 1): with
 * overlay2, upper/ and work/; with vfs, rootfs/ a full copy of the top
 * layer. -EEXIST when it exists, -ENOENT when a layer is missing. */
int store_snapshot_create(struct store *s, const char *id, const struct digest *chain_ids, size_t n,
                          struct husk_error **err);
/* Mount it (idempotent) and give the root path: snapshots/<id>/merged
 * (overlay) or snapshots/<id>/rootfs (vfs). */
int store_snapshot_mount(struct store *s, const char *id, char **ret_path, struct husk_error **err);
/* Unmount it; not mounted is fine. */
int store_snapshot_unmount(struct store *s, const char *id, struct husk_error **err);
/* Unmount and delete it. -ENOENT when there is no such snapshot. */
int store_snapshot_remove(struct store *s, const char *id, struct husk_error **err);
/* Where an overlay snapshot's changes are: its upper dir and the layer
 * trees under it, top first (new strings). -ENOTSUP with the vfs driver,
 * -ENOENT when there is no such snapshot or a layer is missing. */
int store_snapshot_dirs(struct store *s, const char *id, char **ret_upper, char ***ret_lowers,
                        struct husk_error **err);
/* The IDs of every snapshot, sorted; a NULL-terminated vector. */
int store_snapshot_list(struct store *s, char ***ret, struct husk_error **err);

/* --- directory trees (copy.c) ---------------------------------------------- */

/* Copy the tree src_dfd into the empty directory dst_dfd, keeping owners,
 * modes (setuid too), times, xattrs, hard links, devices and symlinks (as
 * links, never followed; everything is opened by fd with O_NOFOLLOW), and
 * the root's own metadata; reflinks where the filesystem has them. What
 * the vfs driver and a volume's copy-up use. -errno with "copy \"<path>\"",
 * -ELOOP past 256 nested directories; the partial copy stays for the
 * caller to remove. */
int tree_copy(int src_dfd, int dst_dfd, struct husk_error **err);
/* The sum of the sizes of the regular files below dfd (symlinks not
 * followed, 256 levels at most); what it cannot read counts 0. */
uint64_t tree_size(int dfd);

/* --- garbage collection and check ------------------------------------------ */

struct store_gc_stats {
	uint64_t blobs_removed;
	uint64_t layers_removed;
	uint64_t bytes_removed;
	uint64_t leftovers_removed; /* ingest files, stale leases, orphan temp dirs */
};

/* Delete every blob and layer no image, snapshot, live lease or grace period
 * keeps, and the debris of dead writers. One GC at a time. */
int store_gc(struct store *s, struct store_gc_stats *ret, struct husk_error **err);

struct store_check_report {
	char **problems;  /* corruption: bad blobs, dangling references, broken layers */
	char **leftovers; /* debris of interrupted writers: harmless, GC removes it */
	char **repaired;  /* what --repair did */
};

/* Verify every blob digest, every reference, every layer and snapshot; with
 * repair, delete what is broken and the leftovers. A report with problems
 * is still success (0); -errno only when the check itself could not run. */
int store_check(struct store *s, bool repair, struct store_check_report *ret,
                struct husk_error **err);
void store_check_report_release(struct store_check_report *r);
