/* volumes.h — named volumes with Docker's `local` driver.
 *
 * A volume is <data-root>/volumes/<name>/_data plus opts.json (driver,
 * labels, options, creation time). Names follow Docker's rule
 * `[a-zA-Z0-9][a-zA-Z0-9_.-]+`; anonymous volumes get 64 random hex digits
 * and the label "com.docker.volume.anonymous". The local driver's options
 * type/device/o mount a filesystem on _data the first time a container
 * uses the volume (`--opt type=tmpfs --opt device=tmpfs --opt o=size=64m`,
 * or `type=none,o=bind,device=/host/dir`), and unmount it when the last
 * user goes: uses are refcounted in memory. The JSON is Engine API 1.43's.
 *
 * It must never: take a name that could leave volumes/ (the name rule
 * forbids "/" and leading dots); remove a volume that a container uses or
 * that is mounted; copy an image's content into a volume that is not
 * empty, or follow a symlink of the image while copying; print.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "base/error.h"

#define VOLUME_NAME_MAX      255
#define VOLUME_LABEL_ANON    "com.docker.volume.anonymous"
#define VOLUME_OPTS_JSON_MAX (1u << 20)

struct volumes;

/* Open (creating) <data_root>/volumes (0701: containers' users need to
 * traverse into _data, as dockerd's). -errno with *err. */
int volumes_open(const char *data_root, struct volumes **ret, struct husk_error **err);
/* userns-remap: new volumes' _data belong to uid:gid (the remapped root),
 * so that the container's root can write them. */
void volumes_set_owner(struct volumes *v, uid_t uid, gid_t gid);
/* Free; volumes still mounted stay mounted (live restore). Accepts NULL. */
void volumes_free(struct volumes *v);
DEFINE_CLEANUP_FUNC(struct volumes *, volumes_free)

/* The id of a container using volume `name`, or NULL. Called with no
 * lock of this module held, so it may take the engine's locks (and the
 * engine may call volume_mount() while holding them). */
typedef const char *(*volume_in_use_fn)(const char *name, void *data);

/* Create volume name (NULL: an anonymous one) with driver (NULL or "":
 * "local"), labels and driver_opts (string→string objects, borrowed, may
 * be NULL). An existing name with the same driver is returned as it is
 * (Docker's idempotence). *ret: {Name, Driver, Mountpoint, CreatedAt,
 * Labels, Scope:"local", Options} (new ref). Errors (-EINVAL unless said):
 * `create x: "x" includes invalid characters for a local volume name, only
 * "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host
 * directory, use absolute path`; `create x: invalid option: "foo"`;
 * `create x: missing required option: "device"`; -ENOENT `create x: error
 * looking up volume plugin foo: plugin "foo" not found`. */
int volume_create(struct volumes *v, const char *name, const char *driver, json_t *labels,
                  json_t *driver_opts, json_t **ret, struct husk_error **err);
/* Docker's JSON of one volume. -ENOENT "get x: no such volume". */
int volume_inspect(struct volumes *v, const char *name, json_t **ret, struct husk_error **err);
/* GET /volumes: {"Volumes": [...], "Warnings": null}. filters: dangling
 * (true/false/1/0), driver, label (k or k=v), name (a regular expression,
 * as Docker matches it); -EINVAL "invalid filter 'x'". in_use (may be
 * NULL) decides dangling. */
int volume_list(struct volumes *v, json_t *filters, volume_in_use_fn in_use, void *data,
                json_t **ret, struct husk_error **err);
/* Remove a volume. -ENOENT "get x: no such volume" (nothing when force);
 * -EBUSY "remove x: volume is in use - [id]" when in_use names a container
 * or the volume is mounted, even with force (as Docker). */
int volume_remove(struct volumes *v, const char *name, bool force, volume_in_use_fn in_use,
                  void *data, struct husk_error **err);
/* POST /volumes/prune: remove unused anonymous volumes (every unused
 * volume with filter all=true); filters label, label!, all. *ret:
 * {"VolumesDeleted": [names]|null, "SpaceReclaimed": N}. */
int volume_prune(struct volumes *v, json_t *filters, volume_in_use_fn in_use, void *data,
                 json_t **ret, struct husk_error **err);
/* /system/df's "Volumes": each volume's JSON with UsageData {Size,
 * RefCount} (RefCount 1 when in use, else 0), appended to the array ret. */
int volume_disk_usage(struct volumes *v, volume_in_use_fn in_use, void *data, json_t *ret,
                      struct husk_error **err);

/* A container starts using the volume: *ret_path is the host path to bind
 * (<root>/<name>/_data), the driver's filesystem mounted on it first when
 * this is the first use. Each success needs one volume_unmount(). -ENOENT
 * "get x: no such volume"; a failed mount names the device and options. */
int volume_mount(struct volumes *v, const char *name, char **ret_path, struct husk_error **err);
/* The container stopped using it; the last user unmounts the driver's
 * filesystem (lazily, MNT_DETACH). Unknown or unused names are ignored. */
void volume_unmount(struct volumes *v, const char *name);
/* How many users the volume has now (0 for an unknown name). */
unsigned volume_users(struct volumes *v, const char *name);

/* Docker's copy-up: copy the directory `path` of the container's root
 * (rootfs_fd; resolved inside it, symlinks included, never leaving it)
 * with owners, modes, times, xattrs into the volume, and the directory's
 * own owner and mode onto the volume's root — only when the volume is
 * empty (else nothing happens: 0). A path that does not exist, or is not
 * a directory, copies nothing. Call it after volume_mount(): a driver's
 * filesystem (tmpfs) mounted only for the copy would lose it again when
 * unmounted. -errno naming the path on failure. */
int volume_copy_up(struct volumes *v, const char *name, int rootfs_fd, const char *path,
                   struct husk_error **err);

/* Whether name follows Docker's rule for local volume names. */
bool volume_name_valid(const char *name);
