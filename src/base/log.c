#include "base/log.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/fs.h"
#include "base/str.h"

/* Process-wide sink: see the header for why this is the one exception to
 * "no mutable globals". Set up by main before threads start. */
static struct {
	enum log_level level;
	enum log_format format;
	int fd;
	bool own_fd;
} sink = {LOG_LEVEL_INFO, LOG_FORMAT_TEXT, -1, false};

static const char *const level_names[] = {
        [LOG_LEVEL_ERROR] = "error",
        [LOG_LEVEL_WARN] = "warning",
        [LOG_LEVEL_INFO] = "info",
        [LOG_LEVEL_DEBUG] = "debug",
};

int log_level_parse(const char *s, enum log_level *ret)
{
	static const struct {
		const char *name;
		enum log_level level;
	} table[] = {
	        {"error", LOG_LEVEL_ERROR}, {"fatal", LOG_LEVEL_ERROR},  {"panic", LOG_LEVEL_ERROR},
	        {"warn", LOG_LEVEL_WARN},   {"warning", LOG_LEVEL_WARN}, {"info", LOG_LEVEL_INFO},
	        {"debug", LOG_LEVEL_DEBUG}, {"trace", LOG_LEVEL_DEBUG},
	};

	for (size_t i = 0; i < ELEMENTSOF(table); i++)
		if (s && strcasecmp(s, table[i].name) == 0) {
			*ret = table[i].level;
			return 0;
		}
	return -EINVAL;
}

const char *log_level_name(enum log_level l)
{
	return l <= LOG_LEVEL_DEBUG ? level_names[l] : "info";
}

void log_set_level(enum log_level l)
{
	sink.level = l;
}

enum log_level log_get_level(void)
{
	return sink.level;
}

void log_set_format(enum log_format f)
{
	sink.format = f;
}

int log_open(const char *path)
{
	int fd;

	if (!path) {
		log_set_fd(-1);
		return 0;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0)
		return -errno;
	log_set_fd(fd);
	sink.own_fd = true;
	return 0;
}

void log_set_fd(int fd)
{
	if (sink.own_fd)
		safe_close(sink.fd);
	sink.fd = fd;
	sink.own_fd = false;
}

void log_format_time(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char base[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%09ldZ", base, ts.tv_nsec);
}

/* Quote msg as logrus does: backslash-escape quotes and backslashes. */
static int append_quoted(struct strbuf *sb, const char *msg)
{
	int r = strbuf_puts(sb, "\"");

	for (const char *p = msg; r == 0 && *p; p++) {
		if (*p == '"' || *p == '\\')
			r = strbuf_append(sb, "\\", 1);
		if (r == 0 && *p == '\n')
			r = strbuf_puts(sb, "\\n");
		else if (r == 0)
			r = strbuf_append(sb, p, 1);
	}
	return r ? r : strbuf_puts(sb, "\"");
}

/* Length of the valid UTF-8 sequence at p (NUL-terminated), 0 if invalid. */
static size_t utf8_len(const unsigned char *p)
{
	size_t n;
	uint32_t c;

	if (p[0] < 0x80)
		return 1;
	if (p[0] < 0xc2 || p[0] > 0xf4)
		return 0; /* a continuation byte, an overlong lead, or past U+10FFFF */
	n = p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : 4;
	c = p[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0; /* overlong, out of range, or a surrogate */
	return n;
}

/* jansson refuses strings that are not UTF-8 (a file name, a peer's bytes);
 * rather than drop the line, write U+FFFD for each bad byte as logrus (Go's
 * encoding/json) does. NULL on OOM. */
static char *utf8_scrub(const char *msg)
{
	struct strbuf sb = {0};
	int r = strbuf_puts(&sb, "");

	for (const char *p = msg; r == 0 && *p;) {
		size_t n = utf8_len((const unsigned char *)p);

		r = n ? strbuf_append(&sb, p, n) : strbuf_puts(&sb, "\xef\xbf\xbd");
		p += n ? n : 1;
	}
	if (r < 0) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_steal(&sb);
}

static char *format_line(enum log_level l, const char *msg, const char *now)
{
	struct strbuf sb = {0};
	_cleanup_free_ char *clean = NULL;
	json_t *o;
	char *s;

	if (sink.format == LOG_FORMAT_JSON) {
		o = json_pack("{s:s, s:s, s:s}", "level", log_level_name(l), "msg", msg, "time",
		              now);
		if (!o && (clean = utf8_scrub(msg)))
			o = json_pack("{s:s, s:s, s:s}", "level", log_level_name(l), "msg", clean,
			              "time", now);
		s = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
		json_decref(o);
		if (!s)
			return NULL;
		strbuf_puts(&sb, s);
		free(s);
	} else {
		strbuf_printf(&sb, "time=\"%s\" level=%s msg=", now, log_level_name(l));
		append_quoted(&sb, msg);
	}
	strbuf_puts(&sb, "\n");
	return strbuf_steal(&sb);
}

void log_msgv(enum log_level l, const char *fmt, va_list ap)
{
	_cleanup_free_ char *msg = NULL, *line = NULL;
	char now[48];
	int saved = errno;

	if (l > sink.level)
		return;
	if (vasprintf(&msg, fmt, ap) < 0)
		return;
	log_format_time(now, sizeof(now));
	line = format_line(l, msg, now);
	if (line)
		(void)write_all(sink.fd >= 0 ? sink.fd : STDERR_FILENO, line, strlen(line));
	errno = saved;
}

void log_msg(enum log_level l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_msgv(l, fmt, ap);
	va_end(ap);
}
