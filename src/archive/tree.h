/* tree.h — a container's files as tar and its changes: what docker cp,
 * export and diff need (GET /containers/{id}/archive, /export, /changes).
 * Extraction (PUT …/archive) is layer_apply_at() with apply_opts'
 * plain_names.
 *
 * Every function works on a directory fd that stands for "/" (a
 * container's root: its snapshot, or /proc/<pid>/root). Paths inside are
 * resolved with open_in_root() (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS),
 * so a symlink in the tree never leads out of it; nothing here follows a
 * symlink by its host path, writes, or prints.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "archive/archive.h"
#include "base/error.h"

/* Go's os.FileMode bits, as the X-Docker-Container-Path-Stat header
 * carries them. */
#define GO_MODE_DIR         (UINT32_C(1) << 31)
#define GO_MODE_SYMLINK     (UINT32_C(1) << 27)
#define GO_MODE_DEVICE      (UINT32_C(1) << 26)
#define GO_MODE_NAMED_PIPE  (UINT32_C(1) << 25)
#define GO_MODE_SOCKET      (UINT32_C(1) << 24)
#define GO_MODE_SETUID      (UINT32_C(1) << 23)
#define GO_MODE_SETGID      (UINT32_C(1) << 22)
#define GO_MODE_CHAR_DEVICE (UINT32_C(1) << 21)
#define GO_MODE_STICKY      (UINT32_C(1) << 20)

/* A stat mode as Go's os.FileMode (file type and permission bits). */
uint32_t tree_go_mode(mode_t m);

/* Docker's ContainerPathStat. */
struct tree_stat {
	char name[LAYER_MAX_NAME + 1]; /* the last component ("/" for the root, "." for "d/.") */
	int64_t size;
	mode_t mode;
	struct timespec mtime;
	char link_target[LAYER_MAX_PATH + 1]; /* a symlink's target resolved in the tree, or "" */
};

/* lstat of path in the tree (its parents resolved in it; "d/" and "d/."
 * follow d). -ENOENT / -ENOTDIR / -ELOOP without a message (the caller
 * says which container), other -errno with one. */
int tree_stat(int rootfd, const char *path, struct tree_stat *ret, struct husk_error **err);
/* The header value: base64 of {"name","size","mode","mtime","linkTarget"}.
 * NULL on OOM. */
char *tree_stat_header(const struct tree_stat *st);
enum tree_tar_flags {
	/* export: the tree's contents without a root entry ("bin/", "etc/…");
	 * otherwise the resource path is one entry named by its last component
	 * ("etc/", "etc/passwd"; "./…" for "d/."). */
	TREE_TAR_CONTENTS = 1 << 0,
};

/* Write path (and, for a directory, everything below it) as a pax tar to
 * out_fd: numeric owners, modes, mtimes, symlinks as they are, hard links
 * within the tar kept, devices and fifos as entries. Mounts of /proc and
 * /sys below are listed, not descended. 0 or -errno (-EPIPE when out_fd's
 * reader left); out_fd holds a partial tar after a failure. */
int tree_tar(int rootfd, const char *path, enum tree_tar_flags flags, int out_fd,
             struct husk_error **err);
/* tree_tar() of a tree whose owners are host ids of a user namespace
 * (userns-remap): each is written as the container id `ids` gives it, as
 * the container sees it (65534 for one outside the mapping). */
int tree_tar_mapped(int rootfd, const char *path, enum tree_tar_flags flags,
                    const struct id_mapping *ids, int out_fd, struct husk_error **err);

/* What docker diff reports. */
enum tree_change_kind {
	TREE_MODIFIED = 0,
	TREE_ADDED = 1,
	TREE_DELETED = 2,
};
struct tree_change {
	char *path; /* absolute, "/tmp/x" */
	enum tree_change_kind kind;
};

/* The changes of an overlayfs upper dir against its lower dirs (top
 * first), by dockerd's rules: a whiteout (0:0 character device) or an
 * opaque directory that a lower dir has is deleted; what a lower dir has is
 * modified (a directory only when its size, mode or mtime differ); the rest
 * is added; the parent of an added or deleted entry is modified. An added
 * path in `ignore` (NULL-terminated, may be NULL: the runtime's mount
 * points) is not a change, nor a directory modified only by such. Sorted
 * by path. *ret (n entries) is freed with tree_changes_free(). -errno. */
int tree_changes(int upperfd, const int *lowerfds, size_t n_lowers, char *const *ignore,
                 struct tree_change **ret, size_t *ret_n, struct husk_error **err);
void tree_changes_free(struct tree_change *v, size_t n);
