/* images.h — the local image commands over the store, in Docker's shapes:
 * resolve a name, list, inspect, history, tag, remove (untag vs delete as
 * Docker decides), prune, and the disk usage of images.
 *
 * Names are resolved as dockerd does: a full image ID, then a reference
 * (normalised: "busybox" is docker.io/library/busybox:latest), then a
 * unique ID prefix. The JSON returned is what the Engine API 1.43 returns;
 * tags and digests are shown in Docker's familiar form ("busybox:latest").
 * Whether a container uses an image is the engine's knowledge: callers pass
 * an in_use callback (NULL when no container can exist).
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include "base/error.h"
#include "image/config.h"
#include "store/store.h"

/* Returns a container ID using image id (a running one first), or NULL;
 * *ret_running (may be NULL) says whether that container runs. */
typedef const char *(*image_in_use_fn)(const struct digest *id, bool *ret_running, void *data);

/* The image a name designates. -ENOENT "No such image: <name>". */
int image_resolve(struct store *s, const char *name, struct store_image **ret,
                  struct husk_error **err);
/* The parsed config of an image (read from the store, verified). */
int image_config_load(struct store *s, const struct store_image *img, struct image_config **ret,
                      struct husk_error **err);
/* Uncompressed size of the image's layers (sum of its chain's diffs). */
int image_size(struct store *s, const struct image_config *c, uint64_t *ret,
               struct husk_error **err);

struct image_list_opts {
	bool all;        /* intermediate images too (husk has none: same list) */
	bool digests;    /* include RepoDigests */
	json_t *filters; /* {"dangling":{"true":true}, "reference":{"busy*":true}, …} or NULL */
	image_in_use_fn in_use;
	void *in_use_data;
	/* the "until" filter, its value parsed by the caller (Docker's
	 * timestamps are the engine's): images created before until_ns only */
	bool has_until;
	int64_t until_ns;
};
/* GET /images/json: an array of {Containers, Created, Id, Labels, ParentId,
 * RepoDigests, RepoTags, SharedSize, Size} (API 1.44's: no VirtualSize).
 * -EINVAL for an unknown filter ("invalid filter 'x'"). */
int image_list_json(struct store *s, const struct image_list_opts *o, json_t **ret,
                    struct husk_error **err);
/* GET /images/{name}/json, as API 1.44 has it: no VirtualSize, and no
 * Created when the image config has none. */
int image_inspect_json(struct store *s, const char *name, json_t **ret, struct husk_error **err);
/* GET /images/{name}/history: newest first. */
int image_history_json(struct store *s, const char *name, json_t **ret, struct husk_error **err);

/* POST /images/{name}/tag?repo=&tag=: the reference repo:tag (tag default
 * "latest") now names the image. */
int image_tag(struct store *s, const char *name, const char *repo, const char *tag,
              struct husk_error **err);

/* DELETE /images/{name}: Docker's rules. A tag of an image with other
 * names is untagged only; the last name, or an ID, deletes the image (an
 * ID of an image with several names needs force: -EEXIST "conflict: …
 * must be forced - image is referenced in multiple repositories"). An
 * image a container uses: its only name is kept (-EEXIST "conflict: unable
 * to remove repository reference \"x\" (must force) - container <id12> is
 * using its referenced image <id12>"; with force the name goes and the
 * image stays), its ID needs force for a stopped container and cannot be
 * forced for a running one. *ret: [{"Untagged": …}, {"Deleted": …}, …].
 * Unreferenced blobs and layers go at once. */
int image_remove(struct store *s, const char *name, bool force, image_in_use_fn in_use,
                 void *in_use_data, json_t **ret, struct husk_error **err);

/* POST /images/prune: dangling images (all: every image no container
 * uses), then unreferenced content. *ret: {"ImagesDeleted": […]|null,
 * "SpaceReclaimed": N}. */
int image_prune(struct store *s, json_t *filters, image_in_use_fn in_use, void *in_use_data,
                json_t **ret, struct husk_error **err);

/* Docker's filter argument: {"key":{"value":true}} (or the legacy
 * {"key":["value"]}) → whether key has value; values listed in *ret. */
int filters_values(json_t *filters, const char *key, char ***ret);
/* Refuse filter keys not in allowed (NULL-terminated). */
int filters_check(json_t *filters, const char *const *allowed, struct husk_error **err);

/* GET /system/df's image part: {"LayersSize": N, "Images": [list entries]}
 * merged into ret (an object the caller owns). */
int image_disk_usage(struct store *s, json_t *ret, struct husk_error **err);
