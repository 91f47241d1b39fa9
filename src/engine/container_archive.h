/* container_archive.h — a container's files from outside: docker cp both
 * ways (HEAD/GET/PUT /containers/{id}/archive), export and diff, on running
 * and stopped containers alike.
 *
 * A running container's files are seen through its own mount namespace
 * (/proc/<pid>/root: its volumes and tmpfs included). A stopped one's
 * rootfs snapshot, and its volume and bind mounts, are mounted by a
 * short-lived child in a private mount namespace that hands back one
 * directory fd and waits: the mounts die with the child and that fd, so
 * huskd never leaves one behind, even if it crashes mid-stream. Every
 * path is resolved inside that root (archive/tree.h, open_in_root).
 *
 * It must never: follow a container's symlink out of its root, mount
 * anything in huskd's namespace, trust a size or a name a client sends.
 * Errors carry dockerd's words, errno choosing the status as in
 * containers.h.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "base/error.h"

struct containers;
struct containers_archive;

/* HEAD /containers/{name}/archive?path=P: *ret_header is the
 * X-Docker-Container-Path-Stat value. -ENOENT "Could not find the file P in
 * container NAME" (also for the container itself: "No such container"). */
int containers_archive_stat(struct containers *cs, const char *name, const char *path,
                            char **ret_header, struct husk_error **err);

/* GET …/archive: the stat (checked here, so a missing file is a 404 before
 * the 200 goes out) and an open root; _run writes the tar to out_fd. */
int containers_archive_get_begin(struct containers *cs, const char *name, const char *path,
                                 struct containers_archive **ret, char **ret_header,
                                 struct husk_error **err);
/* GET /containers/{name}/export: the rootfs snapshot alone, no volumes. */
int containers_export_begin(struct containers *cs, const char *name,
                            struct containers_archive **ret, struct husk_error **err);
/* Write the tar; a failure (the client left, a file vanished) only cuts it
 * short and is logged. */
void containers_archive_run(struct containers_archive *a, int out_fd);
void containers_archive_free(struct containers_archive *a);

struct containers_put_opts {
	bool no_overwrite_dir_non_dir;
	/* docker cp -a: what is extracted belongs to the container's user
	 * (Config.User, resolved in the container's /etc/passwd and
	 * /etc/group; root when it has none) rather than to the tar's owners */
	bool copy_uid_gid;
};
/* PUT …/archive?path=DIR: extract the tar read from in_fd (plain, gzip,
 * bzip2, xz or zstd) into DIR, which must exist and be a directory.
 * -ENOENT "Could not find the file DIR in container NAME", -EINVAL
 * "extraction point is not a directory" / "container rootfs is marked
 * read-only" / "mounted volume is marked read-only", the tar's own
 * errors (-EINVAL, -EEXIST for noOverwriteDirNonDir). */
int containers_archive_put(struct containers *cs, const char *name, const char *path,
                           const struct containers_put_opts *o, int in_fd, struct husk_error **err);

/* GET /containers/{name}/changes: [{"Path","Kind"}] sorted by path, or
 * JSON null when nothing changed. -ENOTSUP with the vfs driver. */
int containers_changes(struct containers *cs, const char *name, json_t **ret,
                       struct husk_error **err);
