/* transfer.h — images in and out of the store as files: load (docker-archive
 * and oci-archive tar streams, plain, gzip or zstd), save (docker-archive as
 * `docker save` writes it, or oci-archive) and import (a root filesystem tar
 * made into a one-layer image, with Dockerfile-like --change instructions).
 *
 * Archives are hostile input. A load reads its stream once, in order, and
 * never writes anything by an entry's name: every blob goes into the store
 * through a verifying blob writer under a lease, names must match the
 * layouts' patterns, sizes and counts are capped. Any failure records
 * nothing (blobs written so far are left to GC); images are recorded only
 * once all of their layers are unpacked. Nothing here prints: progress
 * lines go to a callback.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include "base/digest.h"
#include "base/error.h"
#include "store/store.h"

#define LOAD_JSON_MAX    (8u << 20) /* manifest.json, index.json, repositories, configs */
#define LOAD_MAX_ENTRIES 100000u    /* tar entries of one archive */

/* A line for the user, without its newline ("Loaded image: busybox:latest"). */
typedef void (*image_progress_fn)(const char *line, void *data);

/* Load every image of the tar stream read from in_fd to its end: a
 * docker-archive (manifest.json; `docker save`, `podman save`) or an
 * oci-archive (oci-layout + index.json; `podman save --format oci-archive`,
 * skopeo), possibly gzip or zstd compressed (detected). Tags come from
 * RepoTags, or from the io.containerd.image.name / ref.name annotations;
 * an image without one is loaded untagged. progress (may be NULL) gets
 * "Loaded image: <name>" per tag and "Loaded image ID: sha256:…" per
 * untagged image; ret_loaded (may be NULL) the same names / IDs.
 * Errors name the part at fault: `unexpected end of archive`,
 * `manifest.json: layer "x/layer.tar" is missing from the archive`,
 * `layer sha256:… is missing from the archive`, `… diff ID mismatch …`. */
int image_load(struct store *s, int in_fd, image_progress_fn progress, void *data,
               char ***ret_loaded, struct husk_error **err);

enum save_format {
	SAVE_DOCKER, /* docker-archive: manifest.json, repositories, <id>/layer.tar (uncompressed)
	              */
	SAVE_OCI,    /* oci-archive: oci-layout, index.json, blobs/sha256/<hex> verbatim */
};

/* "docker" / "docker-archive", "oci" / "oci-archive"; -EINVAL otherwise. */
int save_format_parse(const char *s, enum save_format *ret);

/* Write the images names designate (IDs, references; a repository name
 * without a tag means every tag of it, as docker save does) to out_fd as
 * one tar. Entry order, owners and times (0) are fixed: the same images
 * give the same bytes. What can fail for want of an image or a blob fails
 * before anything is written (-ENOENT "No such image: x"); an error later
 * (a blob damaged meanwhile, a write error) leaves a partial tar. */
int image_save(struct store *s, char *const *names, enum save_format format, int out_fd,
               struct husk_error **err);

/* image_save() in two steps, so that the API can answer 404 before it
 * starts streaming: _prepare resolves the names, reads the manifests and
 * the sizes of the layers (decompressing compressed ones once), and holds
 * a lease on every blob until the plan is freed; _write writes the tar. */
struct image_save_plan;
int image_save_prepare(struct store *s, char *const *names, enum save_format format,
                       struct image_save_plan **ret, struct husk_error **err);
int image_save_write(struct image_save_plan *p, int out_fd, struct husk_error **err);
void image_save_plan_free(struct image_save_plan *p);
DEFINE_CLEANUP_FUNC(struct image_save_plan *, image_save_plan_free)

/* Make a one-layer image of the root filesystem tar read from in_fd
 * (plain, gzip or zstd): the layer is stored gzip-compressed, unpacked,
 * and described by a config for this host's platform with the process
 * defaults set by changes ("CMD [\"sh\"]", "ENV A=b", "ENTRYPOINT …",
 * "WORKDIR /x", "USER u", "EXPOSE 80", "LABEL a=b", "VOLUME /v",
 * "STOPSIGNAL SIGTERM", "ONBUILD …"; JSON and shell forms) and a history
 * entry whose comment is message (default "Imported from -"). ref (may be
 * NULL) tags it. ret_id (may be NULL) gets the image ID. -EINVAL for a bad
 * change (`invalid change "FOO x": unknown instruction "FOO"`) or ref,
 * before anything is read. */
int image_import(struct store *s, int in_fd, const char *ref, char *const *changes,
                 const char *message, struct digest *ret_id, struct husk_error **err);

/* Apply changes to a config's "config" object (import, commit --change).
 * -EINVAL naming the change at fault. */
int image_changes_apply(json_t *config, char *const *changes, struct husk_error **err);
