/* rootfs_internal.h — what rootfs.c, rootfs_mounts.c and rootfs_dev.c share:
 * the mount machinery (new mount API with a mount(2) fallback), path
 * creation inside the rootfs, mountinfo. Not for other modules: they use
 * rootfs.h. Nothing here ever resolves a container path with the host's
 * "/" as root.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "base/fs.h"
#include "runtime/rootfs.h"

/* Internal flag: mount with mount(2) through /proc/self/fd/N instead of
 * fsopen/fsmount/open_tree/move_mount (what happens on ENOSYS; tests force
 * it with this bit). */
#define ROOTFS_LEGACY_MOUNT_API (1 << 16)

struct rootfs_ctx {
	const struct oci_spec *spec;
	const char *root; /* canonical host path of the rootfs ("/" after pivot) */
	int rootfd;       /* O_PATH of root: every container path resolves in it */
	enum rootfs_flags flags;
};

/* One mount to make: a new filesystem (fstype set) or a bind (fstype NULL). */
struct mnt_req {
	const char *fstype;
	const char *source;        /* fs source name, or the bind source (host path) */
	int srcfd;                 /* bind source as an fd, or -1: open `source` */
	const char *data;          /* comma-separated fs options, may be NULL */
	unsigned long flags;       /* MS_RDONLY, MS_NOSUID, … */
	unsigned long clear;       /* MS_* the spec explicitly cleared (rw, suid, …) */
	unsigned long propagation; /* MS_SHARED/SLAVE/PRIVATE/UNBINDABLE [| MS_REC] or 0 */
	bool recursive;            /* rbind */
	bool apply_flags;          /* bind: set exactly `flags` (runc's bind remount) */
	bool rec_flags;            /* apply `flags` to every mount of the bound tree */
	uint64_t rec_set, rec_clr; /* MOUNT_ATTR_* for the whole tree ("rro", …) */
	int userns_fd;             /* idmapped bind: the mapping's user ns, or -1 */
	bool rec_idmap;            /* "ridmap": idmap every mount of the tree */
};

#define MNT_REQ_INIT ((struct mnt_req){.srcfd = -1, .userns_fd = -1})

/* Mount r onto dstfd (an O_PATH fd resolved inside c->rootfd), flags and
 * propagation applied. Returns an O_PATH fd of the new mount's root, or
 * -errno with *err saying which step failed. */
int rootfs_mount(struct rootfs_ctx *c, const struct mnt_req *r, int dstfd, struct husk_error **err);

/* mount_setattr() of the mount whose root fd is (AT_RECURSIVE when
 * recursive), with a remount fallback where the kernel lacks it. -errno. */
int rootfs_setattr(struct rootfs_ctx *c, int fd, uint64_t set, uint64_t clr,
                   unsigned long propagation, bool recursive);

enum mkpath_kind {
	MKPATH_DIR,
	MKPATH_FILE,
};

/* Resolve path inside c->rootfd as open_in_root() does, creating what is
 * missing on the way: directories (0755), and as the last component a
 * directory or an empty file (kind). A dangling symlink is followed and its
 * target created, inside the root. `how` applies to the last component.
 * Returns an O_PATH fd or -errno. */
int rootfs_mkpath(struct rootfs_ctx *c, const char *path, enum mkpath_kind kind,
                  enum open_in_root_flags how);

/* The path of fd as seen from inside the rootfs ("/dev/pts"), new string in
 * *ret; -EXDEV when fd is not below the rootfs. */
int rootfs_fd_path(const struct rootfs_ctx *c, int fd, char **ret);

/* "/proc/self/fd/<fd>" in buf. */
#define PROC_FD_PATH_MAX 32
void rootfs_proc_fd(int fd, char buf[PROC_FD_PATH_MAX]);

/* The lexically cleaned form of an absolute container path equals `path`
 * ("/dev/" and "/x/../dev" are "/dev"). */
bool rootfs_path_is(const char *untrusted, const char *path);

/* One line of /proc/self/mountinfo. */
struct mountinfo {
	int id, parent;
	char *root, *mountpoint, *optional, *fstype, *source, *super_opts;
};

/* A snapshot of /proc/self/mountinfo: taken once, so that mounts made
 * while walking it are not seen. */
struct mountinfo_list {
	struct mountinfo *v;
	size_t n;
	char *buf;
};

int rootfs_mountinfo_read(struct mountinfo_list *ret, struct husk_error **err);
void rootfs_mountinfo_release(struct mountinfo_list *l);

/* rootfs_mounts.c: one mount of the spec, destination created. */
int rootfs_mount_spec(struct rootfs_ctx *c, const struct oci_mount *m, struct husk_error **err);

/* rootfs_dev.c */
/* Whether the spec bind-mounts /dev (then no devices or /dev symlinks are made). */
bool rootfs_dev_is_bind(const struct oci_spec *spec);
/* Default and spec devices (mknod, or host node binds under ROOTFS_USERNS),
 * /dev/fd, stdin, stdout, stderr and (with devpts on /dev/pts) ptmx. */
int rootfs_setup_dev(struct rootfs_ctx *c, struct husk_error **err);
/* Bind the host pty slave console_path onto /dev/console. */
int rootfs_setup_console(struct rootfs_ctx *c, const char *console_path, struct husk_error **err);
