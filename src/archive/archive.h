/* archive.h — OCI image layers: safe apply, deterministic diff, gzip/zstd.
 *
 * A layer is a tar stream, plain or gzip/zstd compressed (detected by
 * magic), carrying OCI whiteouts (.wh.NAME, .wh..wh..opq). layer_apply()
 * unpacks one into a directory, converting whiteouts to overlayfs form or
 * applying them by deletion; layer_diff() writes the changes of an overlay
 * upper dir (or between two trees) as a layer, byte for byte the same for
 * the same input; both compute the blob digest and the diffID in the same
 * pass over the bytes.
 *
 * Layers are hostile input. Nothing here may create, change or read a file
 * outside the directory it is given: every path is resolved inside it
 * (openat2 RESOLVE_IN_ROOT, or open_in_root()'s walk), links are never
 * followed out, sizes the input states are capped, and a bad layer is an
 * error naming the entry, never a crash. Nothing here fsyncs (the caller
 * syncs once, e.g. syncfs) or prints.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/digest.h"
#include "base/error.h"
#include "base/idmap.h"

/* Defaults of struct apply_opts' caps (0 there means these). */
#define LAYER_MAX_ENTRIES_DEFAULT UINT64_C(1000000)
#define LAYER_MAX_SIZE_DEFAULT    (UINT64_C(64) << 30) /* 64 GiB of uncompressed tar */
#define LAYER_MAX_PATH            4096                 /* bytes of an entry's path */
#define LAYER_MAX_NAME            255                  /* bytes of one path component */

/* Note: libarchive has a function archive_compression(); the enum tag lives
 * in another namespace, so both can be used in one file. */
enum archive_compression {
	ARCHIVE_NONE,
	ARCHIVE_GZIP,
	ARCHIVE_ZSTD,
};

/* The compression a blob starts with: gzip (1f 8b), zstd (28 b5 2f fd),
 * else ARCHIVE_NONE (also when len is too short to tell). */
enum archive_compression archive_detect(const void *head, size_t len);

/* "none", "gzip", "zstd"; and back (-EINVAL for another name). */
const char *layer_compression_name(enum archive_compression c);
int layer_compression_parse(const char *s, enum archive_compression *ret);

/* What a layer operation read or wrote. */
struct layer_stats {
	uint64_t entries;           /* tar entries (apply: read; diff: written) */
	uint64_t bytes;             /* regular-file data bytes written / archived */
	uint64_t compressed_size;   /* bytes of the blob */
	uint64_t uncompressed_size; /* bytes of the tar */
	uint64_t xattrs_skipped;    /* apply: xattrs the filesystem refused (EPERM/ENOTSUP) */
	enum archive_compression compression;
	struct digest blob;    /* sha256 of the blob, as stored */
	struct digest diff_id; /* sha256 of the uncompressed tar (the OCI diffID) */
};

/* --- streams: (de)compression with both digests ----------------------- */

/* Stateful decompressor: isa-l's igzip for gzip when built with libisal
 * (zlib otherwise), libzstd for zstd, a copy for ARCHIVE_NONE. Concatenated
 * gzip members and zstd frames are one stream. NULL on OOM. */
struct decompressor;
struct decompressor *decompressor_new(enum archive_compression c);
/* Force zlib for gzip even when isa-l is there (tests, comparison). */
struct decompressor *decompressor_new_zlib(void);
/* Consume from *in and *in_len (both advanced) into out (at most out_cap bytes,
 * *ret_out_len set). 0, or -EILSEQ with "invalid gzip data: …" (corrupt
 * data, bad checksum, trailing garbage after the last member). */
int decompressor_run(struct decompressor *d, const void **in, size_t *in_len, void *out,
                     size_t out_cap, size_t *ret_out_len, struct husk_error **err);
/* True when the input so far ends on a stream boundary (a complete member
 * or frame, or nothing at all): the check at EOF for a truncated stream. */
bool decompressor_at_end(const struct decompressor *d);
void decompressor_free(struct decompressor *d);
DEFINE_CLEANUP_FUNC(struct decompressor *, decompressor_free)

/* Reads a layer blob from an fd to EOF: detects the compression from its
 * first bytes, decompresses (on its own thread when `threaded`, so that
 * inflating overlaps with whatever the caller does with the bytes), and
 * hashes the compressed and the uncompressed bytes as they pass. */
struct layer_reader;
/* -ENOMEM / -errno (reading the first bytes). max_size caps both the
 * compressed and the uncompressed bytes (0: LAYER_MAX_SIZE_DEFAULT). */
int layer_reader_new(int fd, uint64_t max_size, bool threaded, struct layer_reader **ret,
                     struct husk_error **err);
/* The next uncompressed bytes: *ret points into a buffer valid until the
 * next call. Returns their count, 0 at the end, or -errno:
 * -EPIPE "unexpected end of layer data" (truncated compressed stream),
 * -EILSEQ (corrupt stream), -EFBIG (over max_size), read errors. */
ssize_t layer_reader_read(struct layer_reader *r, const void **ret, struct husk_error **err);
/* Read and hash everything left (the tar's padding, trailing data), then
 * fill ret's sizes, compression and digests. 0 or the error of _read(). */
int layer_reader_finish(struct layer_reader *r, struct layer_stats *ret, struct husk_error **err);
enum archive_compression layer_reader_compression(const struct layer_reader *r);
/* Stops and joins the producer thread, which may first finish the read it
 * is in: a pipe's writer must write on or close its end. */
void layer_reader_free(struct layer_reader *r);
DEFINE_CLEANUP_FUNC(struct layer_reader *, layer_reader_free)

/* Writes a layer blob to an fd: hashes the uncompressed bytes it is given
 * (diffID), compresses them (gzip: isa-l igzip level 1 when built with
 * libisal, else zlib level 1; zstd level 3; or none), hashes and writes the
 * result (blob; fd -1: nothing is written). Output is the same bytes for
 * the same input and library versions (gzip header mtime 0, no name). */
struct layer_writer;
int layer_writer_new(int fd, enum archive_compression c, struct layer_writer **ret,
                     struct husk_error **err);
int layer_writer_write(struct layer_writer *w, const void *buf, size_t len,
                       struct husk_error **err);
/* Flush the compressed stream's end; fill ret's sizes and digests. */
int layer_writer_finish(struct layer_writer *w, struct layer_stats *ret, struct husk_error **err);
void layer_writer_free(struct layer_writer *w);
DEFINE_CLEANUP_FUNC(struct layer_writer *, layer_writer_free)

/* Copy a layer blob (any compression, detected) from in_fd to out_fd
 * compressed as c (import, save, push of a differently compressed layer).
 * ret gets the diffID (uncompressed digest) and the digest of what was
 * written (blob). out_fd -1 writes nothing: the digests of a blob. 0 or
 * -errno (the errors of layer_reader_read(), write errors). */
int layer_compress(int in_fd, int out_fd, enum archive_compression c, struct layer_stats *ret,
                   struct husk_error **err);

/* --- apply --------------------------------------------------------------- */

struct apply_opts {
	const struct digest *expect_blob;    /* NULL: not checked */
	const struct digest *expect_diff_id; /* NULL: not checked */
	/* true: whiteouts become overlayfs ones (.wh.NAME → a 0:0 character
	 * device NAME; .wh..wh..opq → trusted.overlay.opaque=y on its dir), for
	 * an overlay snapshot that starts empty. false: they delete NAME / the
	 * directory's older contents from a target pre-filled with the parent
	 * layers (vfs). */
	bool overlay_whiteouts;
	bool no_thread;       /* decompress on the calling thread */
	uint64_t max_entries; /* 0: LAYER_MAX_ENTRIES_DEFAULT */
	uint64_t max_size;    /* uncompressed bytes; 0: LAYER_MAX_SIZE_DEFAULT */
	/* docker cp's extraction (PUT /containers/{id}/archive): */
	bool plain_names;      /* ".wh." names are files like any other: no whiteouts */
	bool keep_dir_kinds;   /* noOverwriteDirNonDir: never replace a directory by a
	                          non-directory nor the reverse (-EEXIST) */
	bool any_compression;  /* also bzip2 and xz, as dockerd accepts (no digests) */
	const char *dest_name; /* the target as messages name it (NULL: "") */
	/* userns-remap: every owner is a container id, stored as the host id
	 * these maps give it (NULL or empty: kept as it is); an owner they do
	 * not map is -ERANGE naming the entry. */
	const struct id_mapping *id_shift;
	/* docker cp -a (copyUIDGID): every entry owned by this container
	 * uid/gid pair instead of the tar's (before id_shift); NULL: the tar's */
	const struct apply_owner {
		uint32_t uid, gid;
	} * owner;
};

/* Unpack the layer read from in_fd (to its EOF, so the blob digest covers
 * every byte) into target_dir, keeping numeric owners, modes (setuid too),
 * mtimes, xattrs (trusted.overlay.* from the tar is dropped: an image must
 * not forge overlay metadata), hard links (only to earlier entries of this
 * layer), symlinks (created as they are, never followed out of target_dir
 * when later entries are resolved), devices, fifos and sparse files. A later
 * entry replaces an earlier one as tar -x does.
 *
 * The caller owns atomicity: it passes a directory it created (empty for an
 * overlay snapshot), renames it into place on success and removes it on
 * failure — on error, target_dir holds an unspecified part of the layer.
 * Nothing is fsync'd. Errors name the layer part at fault:
 *   -EILSEQ `layer sha256:…: digest mismatch: expected sha256:…, got sha256:…`
 *   -EPIPE  `unexpected end of layer data` (truncated stream)
 *   -EINVAL `entry "../x": path escapes the layer root`, malformed headers
 *   -E2BIG / -EFBIG when max_entries / max_size are passed
 * ret (may be NULL) is filled on success. */
int layer_apply(int in_fd, const char *target_dir, const struct apply_opts *o,
                struct layer_stats *ret, struct husk_error **err);

/* layer_apply() into the directory rootfd (any fd of it, O_PATH will do). */
int layer_apply_at(int in_fd, int rootfd, const struct apply_opts *o, struct layer_stats *ret,
                   struct husk_error **err);

/* One layer of layer_apply_many(). */
struct layer_apply_job {
	int in_fd;
	const char *target_dir;
	struct apply_opts opts;
	/* out: */
	int result;               /* 0 or -errno */
	struct layer_stats stats; /* filled when result is 0 */
	struct husk_error *error; /* the caller frees it (error_free) */
};

/* Apply independent layers (overlay snapshots of one image: each into its
 * own empty directory) concurrently, at most max_parallel at a time (0: the
 * number of online CPUs). Every job runs to its end; returns 0 when all
 * succeeded, else the first failed job's code with err set to
 * `layer <n>: <its message>`. */
int layer_apply_many(struct layer_apply_job *jobs, size_t n, unsigned max_parallel,
                     struct husk_error **err);

/* --- diff ----------------------------------------------------------------- */

struct diff_opts {
	enum archive_compression compression;
	/* Clamp every entry's mtime to at most this (SOURCE_DATE_EPOCH, docker
	 * build --timestamp); -1: keep (whole seconds, always). */
	int64_t timestamp;
	/* Tree comparison only: when the metadata of a regular file in both
	 * trees is equal (size, mtime, mode, owner, capability), also compare the
	 * contents. Off: metadata decides, as Docker's vfs driver does. */
	bool compare_content;
	/* userns-remap: the trees' owners are host ids; each is written as the
	 * container id these maps give it (65534 outside them), so that the
	 * layer carries the image's own ids. NULL or empty: as they are. */
	const struct id_mapping *id_unshift;
};

/* Write to out_fd the layer of the changes between lower_dir and upper_dir:
 * lower_dir NULL means upper_dir is an overlayfs upper directory (made with
 * redirect_dir and metacopy off), whose 0:0 character devices are
 * whiteouts and trusted.overlay.opaque=y directories opaque; otherwise the
 * two trees are compared (added, changed → the entry; removed → whiteout).
 * The tar is pax (ustar where that suffices), entries sorted bytewise by
 * path with every changed entry's parent directories, numeric owners with
 * empty names, mtimes in whole seconds (clamped by o->timestamp), no atime
 * or ctime, xattrs as SCHILY.xattr (never trusted.overlay.*), hard links
 * within the layer kept as links. Same trees, same options, same bytes.
 * o NULL: gzip, no clamp. ret (may be NULL) gets the digests. 0 or -errno;
 * out_fd has partial data after a failure. */
int layer_diff(const char *upper_dir, const char *lower_dir, int out_fd, const struct diff_opts *o,
               struct layer_stats *ret, struct husk_error **err);
