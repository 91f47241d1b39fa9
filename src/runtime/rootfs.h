/* rootfs.h — the container's mount namespace: root filesystem, mounts,
 * devices, masked and read-only paths, pivot_root.
 *
 * Runs in the container's (new) mount namespace before pivot_root. Every
 * destination is resolved inside the rootfs with open_in_root() and
 * mounted through /proc/self/fd/N of the resolved fd, so a symlink in the
 * image cannot redirect a mount outside the rootfs (CVE-2021-30465 class).
 * /proc and /sys targets are checked to be real procfs/sysfs after
 * mounting (CVE-2019-16884 class); masked paths are /dev/null binds
 * (files) or read-only tmpfs (dirs), each checked after mounting
 * (CVE-2025-31133 class).
 */
#pragma once

#include <stdbool.h>
#include "base/error.h"
#include "oci/runtime_spec.h"

enum rootfs_flags {
	ROOTFS_NO_PIVOT = 1 << 0, /* MS_MOVE + chroot instead of pivot_root (--no-pivot) */
	ROOTFS_USERNS = 1 << 1,   /* in a user namespace: bind /dev nodes instead of mknod */
};

/* Prepare the rootfs at `rootfs` (absolute host path) per spec: make
 * the mount propagation private (or as rootfsPropagation says), bind the
 * rootfs onto itself, mount every spec mount, create devices and the
 * default /dev symlinks (fd, stdin, stdout, stderr, ptmx), set up
 * /dev/console for a terminal when console_path is non-NULL. Does not
 * pivot yet. */
int rootfs_prepare(const struct oci_spec *spec, const char *rootfs, const char *console_path,
                   enum rootfs_flags flags, struct husk_error **err);
/* Bind the pty slave at slave_path (e.g. one of the container's own devpts
 * instance, allocated after rootfs_prepare()) onto /dev/console of the
 * rootfs, resolved inside it: never through a symlink of the image. Before
 * rootfs_pivot(). -errno with *err. (Added: rootfs_prepare()'s
 * console_path needs the pty before the container's devpts exists.) */
int rootfs_bind_console(const char *rootfs, const char *slave_path, struct husk_error **err);
/* Switch root to `rootfs` (pivot_root, or MS_MOVE+chroot), detach the old
 * root, chdir("/"). */
int rootfs_pivot(const char *rootfs, enum rootfs_flags flags, struct husk_error **err);
/* After pivot: masked paths, read-only paths, root readonly remount,
 * the sysctls (written to /proc/sys after verifying it is procfs). */
int rootfs_finalize(const struct oci_spec *spec, struct husk_error **err);
/* Write the linux.sysctl entries of the network namespace (net.*) under
 * this process's /proc/sys, and take them out of spec: what a runtime that
 * joined the container's network namespace for it does when the init, in
 * a new user namespace, could not (the namespace's owner is ours). -errno
 * with *err naming the sysctl. */
int rootfs_net_sysctls(struct oci_spec *spec, struct husk_error **err);
