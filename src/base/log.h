/* log.h — leveled logging to stderr or a file, as text or JSON.
 *
 * Text lines look like dockerd's (logrus):
 *   time="2026-11-27T21:00:00.123456789Z" level=info msg="listening on …"
 * JSON lines look like runc's --log-format json (containerd reads them):
 *   {"level":"error","msg":"…","time":"2026-11-27T21:00:00.123456789Z"}
 * The sink is process-wide by nature (like syslog): one static
 * configuration, set up once by main before any thread starts.
 * Logging never fails loudly: a write error is dropped.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include "base/macro.h"

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

enum log_format {
	LOG_FORMAT_TEXT,
	LOG_FORMAT_JSON,
};

/* "error", "warn"/"warning", "info", "debug" (also "fatal" = error).
 * -EINVAL for anything else. */
int log_level_parse(const char *s, enum log_level *ret);
const char *log_level_name(enum log_level l);

void log_set_level(enum log_level l);
enum log_level log_get_level(void);
void log_set_format(enum log_format f);
/* Log to path (appended, created 0600), or stderr when path is NULL.
 * -errno when the file cannot be opened (the sink is then unchanged). */
int log_open(const char *path);
/* Log to an fd the caller keeps (e.g. a pipe to the parent); -1 = stderr. */
void log_set_fd(int fd);

void log_msg(enum log_level l, const char *fmt, ...) _printf_(2, 3);
void log_msgv(enum log_level l, const char *fmt, va_list ap) _printf_(2, 0);

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)                                                                             \
	do {                                                                                       \
		if (log_get_level() >= LOG_LEVEL_DEBUG)                                            \
			log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__);                                     \
	} while (0)

/* RFC 3339 UTC time with nanoseconds, as Docker prints it. buf >= 40. */
void log_format_time(char *buf, size_t len);
