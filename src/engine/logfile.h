/* logfile.h — a container's log in Docker's json-file format.
 *
 * The writer (husk-monitor) turns what the container writes into lines
 *   {"log":"hi\n","stream":"stdout","time":"2026-11-27T20:00:07.925409965Z"}
 * split as Docker's copier splits them (a line longer than 16 KiB is logged
 * in 16 KiB pieces without a newline; what is left at EOF gets one), escaped
 * exactly as dockerd escapes them, and rotates <log> to <log>.1 … <log>.N-1
 * at max-size. The reader (huskd's `logs`) selects streams, since/until,
 * tail N across the rotated files, and follows the log across rotations.
 * The log's content is the container's: the reader must never trust it (every
 * line is capped; a malformed one is skipped), and the writer must never block
 * on anything but its own file.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "base/error.h"
#include "base/str.h"

#define LOGFILE_PARTIAL_MAX 16384     /* Docker's copier buffer: longer lines are split */
#define LOGFILE_LINE_MAX    (1 << 20) /* the reader skips longer lines */

enum logfile_stream {
	LOGFILE_STDOUT = 1,
	LOGFILE_STDERR = 2,
};

/* ---- writer ---- */

struct logfile;

/* Open path for appending (created 0640). max_size 0 = never rotate;
 * max_files >= 1 files are kept (1: the log is truncated at max_size).
 * -errno with *err naming the file. */
int logfile_open(const char *path, uint64_t max_size, unsigned max_files, struct logfile **ret,
                 struct husk_error **err);
/* Feed what the container wrote on stream: complete lines are logged with
 * their newline, a line that fills 16 KiB is logged without one, the rest is
 * held for the next call. A write error drops the data and is returned
 * (-errno); the log keeps working. */
int logfile_write(struct logfile *lf, enum logfile_stream stream, const void *buf, size_t len,
                  struct husk_error **err);
/* The stream hit EOF: log what is held, with a newline appended (as Docker
 * does for a last line without one). */
int logfile_flush(struct logfile *lf, enum logfile_stream stream, struct husk_error **err);
/* Flush both streams and free. Accepts NULL. */
void logfile_close(struct logfile *lf);
DEFINE_CLEANUP_FUNC(struct logfile *, logfile_close)

/* Append one json-file line for buf (time t) to sb, escaped as dockerd's
 * jsonlog does (invalid UTF-8 as \ufffd, control characters, <>& and
 * U+2028/9 as \u escapes). -ENOMEM. */
int logfile_encode(struct strbuf *sb, enum logfile_stream stream, const void *buf, size_t len,
                   const struct timespec *t);
/* Parse one json-file line (without its newline): the stream, the payload
 * (malloc'd, may hold NULs) and the time. -EINVAL for anything that is not
 * a log entry. */
int logfile_decode(const char *line, size_t len, enum logfile_stream *ret_stream, char **ret_buf,
                   size_t *ret_len, int64_t *ret_time_ns);
/* "2026-11-27T20:00:07.925409965Z": fixed 9 digits (docker logs -t) or,
 * with trim, Go's RFC3339Nano (trailing zeros of the fraction dropped, as
 * the json-file "time" field). buf >= 40 bytes. */
void logfile_format_time(char *buf, size_t len, int64_t time_ns, bool trim);

/* ---- reader ---- */

struct logfile_read_opts {
	bool out, err;              /* which streams */
	bool timestamps;            /* prefix "2026-11-27T20:00:07.925409965Z " */
	int64_t since_ns, until_ns; /* 0 = unbounded; unix time in ns */
	long tail;                  /* -1 = all */
	bool follow;                /* keep reading new lines (inotify, across rotation) until
	                               stop_fd is readable or the callback says stop */
};

/* One log entry: stream 1 stdout / 2 stderr, the payload (with its newline
 * if it had one). A negative return stops reading with that value. */
typedef int (*logfile_entry_fn)(int stream, const char *buf, size_t len, int64_t time_ns,
                                void *data);

/* Call fn for each entry of the log at path and its rotated files
 * (path.1 … path.<max_files-1>), oldest first, that o selects. A missing log
 * has no entries. With follow, wait for new entries until stop_fd (>= 0)
 * becomes readable, then drain what is already written and return 0.
 * Returns 0, fn's negative value, or -errno with *err. */
int logfile_read(const char *path, unsigned max_files, const struct logfile_read_opts *o,
                 int stop_fd, logfile_entry_fn fn, void *data, struct husk_error **err);
