/* fs.h — file-descriptor and filesystem helpers.
 *
 * EINTR-safe, short-I/O-safe reads and writes; durable writes (temp file,
 * fsync, rename, fsync of the directory); mkdir -p; lexical path joins;
 * and open_in_root(), which resolves an untrusted path inside a directory
 * without ever leaving it (openat2 RESOLVE_IN_ROOT, or a component walk on
 * kernels without openat2). Never prints.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "base/error.h"

/* Read until len bytes or EOF. Returns the byte count or -errno. */
ssize_t read_full(int fd, void *buf, size_t len);
/* Write all of buf. 0 or -errno. */
int write_all(int fd, const void *buf, size_t len);

/* Read a whole fd / file into a NUL-terminated buffer, at most max bytes:
 * -EFBIG when there is more. ret_len may be NULL. */
int read_all_fd(int fd, size_t max, char **ret, size_t *ret_len);
int read_file(const char *path, size_t max, char **ret, size_t *ret_len, struct husk_error **err);

/* Durable replace of dirfd/name (dirfd may be AT_FDCWD): a temp file in the
 * same directory, written, fsync'd, chmod'ed, renamed over name, then the
 * directory fsync'd. On any failure the temp file is removed and name is
 * untouched. */
int atomic_write_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                    struct husk_error **err);
/* The same without the fsyncs: readers never see a partial file, but a
 * crash may lose the update. For state on tmpfs (/run), where durability
 * means nothing and fsync costs. */
int atomic_replace_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                      struct husk_error **err);
int atomic_write_file(const char *path, const void *data, size_t len, mode_t mode,
                      struct husk_error **err);

int fsync_dir(const char *path);

/* mkdir -p; existing directories are fine, their mode is not changed. */
int mkdir_p(const char *path, mode_t mode);

/* mkdir -p of the directory that holds path. */
int mkdir_p_parent(const char *path, mode_t mode);

/* Remove path and everything below it, not crossing into other mounts
 * (-EBUSY for a mount point found below). A missing path is success. */
int rm_rf(const char *path);

/* "a" + "/" + "b" with duplicate slashes folded; NULL on OOM. */
char *path_join(const char *a, const char *b);

/* Lexically clean an untrusted relative or absolute path against root:
 * "..", "." and repeated "/" are resolved without ever rising above root.
 * The result is root + "/" + cleaned (or root itself). Symlinks are NOT
 * looked at: use open_in_root() for anything that touches the disk. */
char *path_join_in_root(const char *root, const char *untrusted);

enum open_in_root_flags {
	OPEN_IN_ROOT_NOFOLLOW_LAST = 1 << 0, /* do not follow a symlink in the last component */
	OPEN_IN_ROOT_NO_OPENAT2 = 1 << 1,    /* force the fallback walk (tests) */
};

/* Open path (absolute or relative; both mean "inside rootfd") with
 * open flags `flags` (O_CLOEXEC is added), resolving every symlink and ".."
 * as if rootfd were "/". Magic links (/proc/self/fd/…) are refused with
 * -ELOOP. Returns an fd or -errno. */
int open_in_root(int rootfd, const char *path, int flags, mode_t mode, enum open_in_root_flags how);

/* The directory part / last component of path, new strings (NULL on OOM). */
char *path_dirname(const char *path);
char *path_basename(const char *path);

bool path_is_absolute(const char *p);
