/* server_storage.h — husk-registry's storage directory (internal).
 *
 * Layout under the root (every directory 0700, every file 0600):
 *   blobs/sha256/<hex>                          content, named by its sha256
 *   uploads/<uuid>/{data,repo}                  a blob upload in progress
 *   repositories/<name>/_layers/<hex>           link: the blob is in <name>
 *   repositories/<name>/_manifests/revisions/<hex>     link: its media type
 *   repositories/<name>/_manifests/tags/<tag>          "sha256:<hex>"
 *   repositories/<name>/_manifests/referrers/<subject hex>/<hex>  descriptor JSON
 * A blob appears only by rename of a verified, fsync'd file; links and
 * tags are replaced atomically. Callers validate names, tags, digests and
 * upload ids (server_route.c) before they reach this file, which joins
 * them into paths. Nothing here knows HTTP; nothing here prints.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include "base/digest.h"
#include "base/error.h"

#define REGSTORE_UUID_LEN 36

struct regstore {
	char *root;
	int root_fd, blobs_fd, uploads_fd, repos_fd;
};

/* Open root (created 0700 when create) and its subdirectories. A missing
 * root (without create) or a file in its place: -errno with *err naming
 * the path. */
int regstore_open(const char *root, bool create, struct regstore **ret, struct husk_error **err);
void regstore_free(struct regstore *s);
DEFINE_CLEANUP_FUNC(struct regstore *, regstore_free)

/* --- blobs ---------------------------------------------------------------- */

/* Size of the blob, or -ENOENT. */
int regstore_blob_stat(struct regstore *s, const struct digest *d, uint64_t *ret_size);
/* The blob opened read-only (fd), its size in *ret_size; -ENOENT. */
int regstore_blob_open(struct regstore *s, const struct digest *d, uint64_t *ret_size);
/* True when d is linked in repo and its content exists. */
bool regstore_blob_linked(struct regstore *s, const char *repo, const struct digest *d);
/* Link d into repo (durably). The blob must exist: -ENOENT otherwise. */
int regstore_blob_link(struct regstore *s, const char *repo, const struct digest *d,
                       struct husk_error **err);
/* Remove d's link from repo: -ENOENT when it was not linked. */
int regstore_blob_unlink(struct regstore *s, const char *repo, const struct digest *d);
/* Store data as a blob (skipped when it exists) and return its digest. */
int regstore_blob_put(struct regstore *s, const void *data, size_t len, struct digest *ret,
                      struct husk_error **err);

/* --- uploads -------------------------------------------------------------- */

/* A blob upload: its data file and a sha256 state over [0, offset). */
struct reg_upload {
	char uuid[REGSTORE_UUID_LEN + 1];
	char *repo;
	int fd;
	uint64_t offset;
	struct sha256 *hash;
};

/* Start an upload for repo: uploads/<new uuid>/ with an empty data file. */
int regstore_upload_new(struct regstore *s, const char *repo, struct reg_upload **ret,
                        struct husk_error **err);
/* Reopen an upload from disk (after a restart) and re-hash its data.
 * -ENOENT when there is no such upload for this repo. */
int regstore_upload_load(struct regstore *s, const char *repo, const char *uuid,
                         struct reg_upload **ret, struct husk_error **err);
/* Close the data file of an idle upload (its state stays) and open it
 * again: -ESTALE when its size is no longer the state's offset (reload it
 * then), -ENOENT when it is gone. */
void regstore_upload_close(struct reg_upload *u);
int regstore_upload_reopen(struct regstore *s, struct reg_upload *u);
/* Append len bytes at the current offset and hash them. On failure the
 * data file is cut back to the old offset and the state is unchanged. */
int regstore_upload_write(struct reg_upload *u, const void *buf, size_t len,
                          struct husk_error **err);
/* Finish: when the data hashes to expected, fsync it, rename it into
 * blobs/ (an identical blob there already is fine), link it into the
 * upload's repo and remove the upload. -EILSEQ on a digest mismatch
 * (the upload is removed too: the client starts again). The hash state is
 * consumed either way. */
int regstore_upload_commit(struct regstore *s, struct reg_upload *u, const struct digest *expected,
                           struct husk_error **err);
/* Remove the upload's directory (cancel). */
int regstore_upload_remove(struct regstore *s, const char *uuid);
/* Free the in-memory state (closes the fd; the directory stays). */
void reg_upload_free(struct reg_upload *u);
DEFINE_CLEANUP_FUNC(struct reg_upload *, reg_upload_free)

/* True when the purge must keep the upload uuid (it is in use). */
typedef bool (*regstore_upload_skip_fn)(const char *uuid, void *data);
/* Remove uploads idle (data not written) for more than ttl seconds, except
 * those skip() claims; also stray entries that are no upload. The count
 * of removed uploads, or -errno. */
int regstore_uploads_purge(struct regstore *s, int64_t ttl, regstore_upload_skip_fn skip,
                           void *data);

/* --- manifests and tags --------------------------------------------------- */

/* Store body as a blob and link it as a revision of repo with its media
 * type; referrer (may be NULL) is its descriptor JSON, filed under subject
 * (may be NULL); tag (may be NULL) is pointed at it last. */
int regstore_manifest_put(struct regstore *s, const char *repo, const void *body, size_t len,
                          const char *media_type, const struct digest *subject,
                          const char *referrer, const char *tag, struct digest *ret,
                          struct husk_error **err);
/* The media type of revision d of repo (new string) or -ENOENT. */
int regstore_manifest_media_type(struct regstore *s, const char *repo, const struct digest *d,
                                 char **ret);
bool regstore_manifest_exists(struct regstore *s, const char *repo, const struct digest *d);
/* Remove revision d, every tag pointing at it and its referrer entry.
 * -ENOENT when it is not a revision of repo. */
int regstore_manifest_delete(struct regstore *s, const char *repo, const struct digest *d,
                             struct husk_error **err);
/* The digest a tag points at, or -ENOENT. */
int regstore_tag_get(struct regstore *s, const char *repo, const char *tag, struct digest *ret);
int regstore_tag_delete(struct regstore *s, const char *repo, const char *tag);
/* Every tag of repo, sorted. -ENOENT when the repository does not exist. */
int regstore_tags_list(struct regstore *s, const char *repo, char ***ret);
/* Every repository, sorted path-wise ("a/b" before "a-b"). */
int regstore_catalog(struct regstore *s, char ***ret);
/* Path-wise comparison used for the catalog order and its `last`. */
int regstore_repo_cmp(const char *a, const char *b);
bool regstore_repo_exists(struct regstore *s, const char *repo);
/* The referrer descriptors filed under subject in repo, sorted by digest,
 * as a new JSON array (empty when there is none). */
int regstore_referrers(struct regstore *s, const char *repo, const struct digest *subject,
                       json_t **ret, struct husk_error **err);

/* Directory helpers shared with gc. mkdir -p of a relative path below dirfd. */
int regstore_mkdirat_p(int dirfd, const char *path);
/* Every entry name of the directory dirfd/path (dot files skipped), or
 * NULL in *ret (and 0) when it does not exist. */
int regstore_list_dir(int dirfd, const char *path, char ***ret);
