/* internal.h — what the files of src/archive/ share and nobody else uses:
 * the compressor behind layer_writer, the path set and path cleaning of
 * layer_apply, and the extraction context its entry handlers work on.
 * Not installed, not included outside src/archive/ and its unit test.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "archive/archive.h"

/* Buffer sizes: big reads and writes are most of the speed of an unpack. */
#define LAYER_IO_BUF (1024 * 1024)

/* --- compression (compress.c) --------------------------------------------- */

struct compressor;
/* NULL on OOM or a library init failure. */
struct compressor *compressor_new(enum archive_compression c);
/* gzip with zlib even when isa-l is there (tests, comparison). */
struct compressor *compressor_new_zlib(void);
/* Compress from *in and *in_len (advanced) into out; with finish, also end the
 * stream. Returns 1 when finish is done (all output produced), 0 when it
 * wants more input or output space, -EIO on a library error. */
int compressor_run(struct compressor *z, const void **in, size_t *in_len, bool finish, void *out,
                   size_t out_cap, size_t *ret_out_len, struct husk_error **err);
void compressor_free(struct compressor *z);
DEFINE_CLEANUP_FUNC(struct compressor *, compressor_free)

/* --- paths (apply_path.c) -------------------------------------------------- */

/* Clean an entry path from a tar into out (LAYER_MAX_PATH + 1 bytes):
 * leading "/" and "./" dropped, "." and empty components dropped, ".."
 * folded. "" means the layer root. -EINVAL when ".." would climb above the
 * root, -ENAMETOOLONG past LAYER_MAX_PATH / LAYER_MAX_NAME; err says which
 * (without the entry name: the caller adds it). */
int layer_path_clean(const char *raw, char *out, struct husk_error **err);

/* A set of strings (entry paths of one layer), hashed with a per-set random
 * seed so that a layer cannot aim collisions at it. */
struct pathset {
	char **slots;
	size_t cap; /* power of two */
	size_t n;
	uint64_t seed;
};
int pathset_init(struct pathset *s);
int pathset_add(struct pathset *s, const char *path); /* 0 (also when present) or -ENOMEM */
bool pathset_contains(const struct pathset *s, const char *path);
bool pathset_contains_n(const struct pathset *s, const char *path, size_t len);
void pathset_release(struct pathset *s);

/* --- extraction (apply_entry.c) -------------------------------------------- */

struct dir_time {
	char *path;
	struct timespec ts[2];
};

struct apply_ctx {
	int rootfd; /* O_PATH of the target */
	const struct apply_opts *o;
	mode_t umask; /* the process umask, as mkdirat/mknodat/open apply it */
	uid_t euid;
	gid_t egid;
	/* the parent directory of the last entry, resolved (O_PATH) */
	char cache_path[LAYER_MAX_PATH + 1];
	int cache_fd; /* -1: empty */
	bool cache_sgid;
	gid_t cache_gid;
	struct pathset seen;   /* every entry extracted from this layer */
	struct dir_time *dirs; /* directories whose mtime is set at the end */
	size_t n_dirs, cap_dirs;
	uint64_t xattrs_skipped;
	uint64_t bytes;
	bool stream_error; /* reading the tar failed (not making the entry) */
};

/* What one tar entry asks for, decoded from libarchive's archive_entry. */
struct layer_entry {
	const char *path; /* cleaned; "" = the root */
	mode_t type;      /* S_IFREG, S_IFDIR, …; 0 for a hard link */
	mode_t mode;      /* permission bits incl. setuid/setgid/sticky */
	uid_t uid;
	gid_t gid;
	dev_t rdev;
	int64_t size;
	const char *link; /* symlink target, or the cleaned hard link target */
	struct timespec ts[2];
	struct archive_entry *ae; /* for xattrs */
	struct archive *a;        /* for the data */
};

int apply_ctx_init(struct apply_ctx *c, int rootfd, const struct apply_opts *o);
void apply_ctx_release(struct apply_ctx *c);
/* Create or replace one entry (whiteouts included). -errno with err set. */
int apply_entry(struct apply_ctx *c, const struct layer_entry *e, struct husk_error **err);
/* Set the mtimes of the directories made so far, deepest first. */
int apply_finish_dirs(struct apply_ctx *c, struct husk_error **err);

/* --- trees (tree_tar.c) ------------------------------------------------------ */

/* The names in directory fd but "." and "..", sorted bytewise (stable
 * output for the same tree). 0 or -errno. */
int dir_names_sorted(int fd, char ***ret);

/* Remove name below dirfd and, for a directory, all it holds; never follows
 * a symlink nor crosses a mount. A missing name is success. */
int remove_at(int dirfd, const char *name);
