/* logfile.c — Docker's json-file log: the writer (line splitting, escaping,
 * rotation) and its encoding; the reader is in logfile_read.c. */
#include "engine/logfile.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/timefmt.h"

struct logfile {
	char *path;
	int fd;
	uint64_t size, max_size;
	unsigned max_files;
	struct strbuf out; /* encoded lines not written yet */
	size_t plen[2];
	char partial[2][LOGFILE_PARTIAL_MAX]; /* per stream: the line being assembled */
};

static const char *stream_name(enum logfile_stream s)
{
	return s == LOGFILE_STDERR ? "stderr" : "stdout";
}

/* Days since the epoch to a proleptic Gregorian date (Howard Hinnant's
 * civil_from_days). The writer formats a time per line: no printf, no
 * gmtime (which drags in the time zone machinery) on that path. */
static void civil_from_days(int64_t z, int64_t *ret_y, unsigned *ret_m, unsigned *ret_d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*ret_d = doy - (153 * mp + 2) / 5 + 1;
	*ret_m = mp < 10 ? mp + 3 : mp - 9;
	*ret_y = (int64_t)yoe + era * 400 + (*ret_m <= 2);
}

static char *put_digits(char *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + n;
}

void logfile_format_time(char *buf, size_t len, int64_t time_ns, bool trim)
{
	int64_t sec = time_ns / 1000000000, nsec = time_ns % 1000000000, days, y;
	char tmp[48], *p = tmp, *frac;
	unsigned m, d, rem;
	size_t n;

	if (nsec < 0) {
		nsec += 1000000000;
		sec--;
	}
	days = sec / 86400 - (sec % 86400 < 0);
	rem = (unsigned)(sec - days * 86400);
	civil_from_days(days, &y, &m, &d);
	p = put_digits(p, (uint64_t)(y < 0 ? 0 : y > 9999 ? 9999 : y), 4);
	*p++ = '-';
	p = put_digits(p, m, 2);
	*p++ = '-';
	p = put_digits(p, d, 2);
	*p++ = 'T';
	p = put_digits(p, rem / 3600, 2);
	*p++ = ':';
	p = put_digits(p, rem / 60 % 60, 2);
	*p++ = ':';
	p = put_digits(p, rem % 60, 2);
	frac = p;
	*p++ = '.';
	p = put_digits(p, (uint64_t)nsec, 9);
	while (trim && p > frac + 1 && p[-1] == '0')
		p--;
	if (trim && p == frac + 1)
		p = frac; /* a whole second: no fraction at all */
	*p++ = 'Z';
	n = (size_t)(p - tmp);
	if (!len)
		return;
	n = MIN(n, len - 1);
	memcpy(buf, tmp, n);
	buf[n] = 0;
}

/* The length of the valid UTF-8 sequence at s (Go's utf8.DecodeRune rules:
 * no overlong forms, no surrogates, nothing above U+10FFFF), 0 if invalid;
 * *ret_cp gets the code point. */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *ret_cp)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t need;
	uint32_t cp;

	if (c >= 0xC2 && c < 0xE0) {
		need = 2;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c < 0xF0) {
		need = 3;
		cp = c & 0x0F;
		lo = c == 0xE0 ? 0xA0 : 0x80;
		hi = c == 0xED ? 0x9F : 0xBF;
	} else if (c >= 0xF0 && c < 0xF5) {
		need = 4;
		cp = c & 0x07;
		lo = c == 0xF0 ? 0x90 : 0x80;
		hi = c == 0xF4 ? 0x8F : 0xBF;
	} else
		return 0;
	if (n < need || s[1] < lo || s[1] > hi)
		return 0;
	cp = (cp << 6) | (s[1] & 0x3F);
	for (size_t i = 2; i < need; i++) {
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	*ret_cp = cp;
	return need;
}

/* dockerd's jsonlog string escaping (ffjsonWriteJSONBytesAsString). */
static int append_escaped(struct strbuf *sb, const unsigned char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t start = 0, i = 0;
	int r = strbuf_append(sb, "\"", 1);

	while (r == 0 && i < len) {
		unsigned char b = s[i];
		char esc[8] = {'\\', 'u', '0', '0'};
		size_t esc_len = 6, adv = 1;
		uint32_t cp = 0;

		if (b < 0x80) {
			if (b >= 0x20 && b != '\\' && b != '"' && b != '<' && b != '>' &&
			    b != '&') {
				i++;
				continue;
			}
			if (b == '\\' || b == '"' || b == '\n' || b == '\r') {
				esc[1] = b == '\n' ? 'n' : b == '\r' ? 'r' : (char)b;
				esc_len = 2;
			} else {
				esc[4] = hex[b >> 4];
				esc[5] = hex[b & 0xF];
			}
		} else {
			adv = utf8_seq(s + i, len - i, &cp);
			if (adv && cp != 0x2028 && cp != 0x2029) {
				i += adv;
				continue;
			}
			/* U+2028/9 as \u2028/9, an invalid byte as \ufffd */
			memcpy(esc + 2, adv ? "202" : "fffd", adv ? 3 : 4);
			if (adv)
				esc[5] = hex[cp & 0xF];
			adv = adv ? adv : 1;
		}
		r = strbuf_append(sb, s + start, i - start);
		r = r ?: strbuf_append(sb, esc, esc_len);
		i += adv;
		start = i;
	}
	r = r ?: strbuf_append(sb, s + start, len - start);
	return r ?: strbuf_append(sb, "\"", 1);
}

int logfile_encode(struct strbuf *sb, enum logfile_stream stream, const void *buf, size_t len,
                   const struct timespec *t)
{
	char ts[48];
	int r = strbuf_append(sb, "{", 1);

	/* dockerd leaves an empty "log" out */
	if (r == 0 && len) {
		r = strbuf_puts(sb, "\"log\":");
		r = r ?: append_escaped(sb, buf, len);
		r = r ?: strbuf_append(sb, ",", 1);
	}
	logfile_format_time(ts, sizeof(ts), (int64_t)t->tv_sec * 1000000000 + t->tv_nsec, true);
	r = r ?: strbuf_puts(sb, "\"stream\":\"");
	r = r ?: strbuf_puts(sb, stream_name(stream));
	r = r ?: strbuf_puts(sb, "\",\"time\":\"");
	r = r ?: strbuf_puts(sb, ts);
	return r ?: strbuf_puts(sb, "\"}\n");
}

int logfile_decode(const char *line, size_t len, enum logfile_stream *ret_stream, char **ret_buf,
                   size_t *ret_len, int64_t *ret_time_ns)
{
	_cleanup_json_ json_t *j = json_loadb(line, len, JSON_ALLOW_NUL, NULL);
	json_t *log, *stream, *time;
	struct timespec ts;
	size_t n = 0;
	char *copy;

	if (!json_is_object(j))
		return -EINVAL;
	log = json_object_get(j, "log");
	stream = json_object_get(j, "stream");
	time = json_object_get(j, "time");
	if ((log && !json_is_string(log)) || !json_is_string(time) || !json_is_string(stream))
		return -EINVAL;
	if (streq(json_string_value(stream), "stdout"))
		*ret_stream = LOGFILE_STDOUT;
	else if (streq(json_string_value(stream), "stderr"))
		*ret_stream = LOGFILE_STDERR;
	else
		return -EINVAL;
	if (rfc3339_parse(json_string_value(time), &ts) < 0)
		return -EINVAL;
	/* nanoseconds since 1970 fit in 64 bits from 1677 to 2262 only */
	if (ts.tv_sec < INT64_MIN / 1000000000 + 1 || ts.tv_sec > INT64_MAX / 1000000000 - 1)
		return -EINVAL;
	if (log)
		n = json_string_length(log);
	copy = malloc(n + 1);
	if (!copy)
		return -ENOMEM;
	if (n)
		memcpy(copy, json_string_value(log), n);
	copy[n] = 0;
	*ret_buf = copy;
	*ret_len = n;
	*ret_time_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	return 0;
}

/* ---- writer ---- */

static int open_log(struct logfile *lf, int extra_flags, struct husk_error **err)
{
	struct stat st;

	lf->fd = open(lf->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY | extra_flags,
	              0640);
	if (lf->fd < 0)
		return error_set_errno(err, errno, "open log \"%s\"", lf->path);
	lf->size = fstat(lf->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	return 0;
}

int logfile_open(const char *path, uint64_t max_size, unsigned max_files, struct logfile **ret,
                 struct husk_error **err)
{
	struct logfile *lf = calloc(1, sizeof(*lf));
	int r;

	if (!lf)
		return error_set(err, ENOMEM, "out of memory");
	lf->fd = -1;
	lf->max_size = max_size;
	lf->max_files = max_files ? max_files : 1;
	lf->path = strdup(path);
	r = lf->path ? open_log(lf, 0, err) : error_set(err, ENOMEM, "out of memory");
	if (r < 0) {
		logfile_close(lf);
		return r;
	}
	*ret = lf;
	return 0;
}

static char *rotated_name(const char *path, unsigned i)
{
	return i ? str_printf("%s.%u", path, i) : strdup(path);
}

/* <log>.N-2 → <log>.N-1, …, <log> → <log>.1, then a new empty <log>; with a
 * single file, truncate it (what dockerd does for max-file=1). */
static int rotate(struct logfile *lf, struct husk_error **err)
{
	if (lf->max_files < 2) {
		if (lf->fd >= 0 && ftruncate(lf->fd, 0) < 0)
			return error_set_errno(err, errno, "truncate log \"%s\"", lf->path);
		lf->size = 0;
		return lf->fd >= 0 ? 0 : open_log(lf, O_TRUNC, err);
	}
	for (unsigned i = lf->max_files - 1; i >= 1; i--) {
		_cleanup_free_ char *from = rotated_name(lf->path, i - 1);
		_cleanup_free_ char *to = rotated_name(lf->path, i);
		if (!from || !to)
			return error_set(err, ENOMEM, "out of memory");
		if (rename(from, to) < 0 && errno != ENOENT)
			return error_set_errno(err, errno, "rotate log \"%s\"", from);
	}
	lf->fd = safe_close(lf->fd);
	return open_log(lf, O_TRUNC, err);
}

static int write_out(struct logfile *lf, size_t len, struct husk_error **err)
{
	int r = 0;

	if (!len)
		return 0;
	if (lf->fd < 0)
		r = open_log(lf, 0, err);
	if (r == 0 && write_all(lf->fd, lf->out.buf, len) < 0)
		r = error_set_errno(err, errno, "write log \"%s\"", lf->path);
	if (r == 0)
		lf->size += len;
	/* written or dropped: never retried, the container's output goes on */
	memmove(lf->out.buf, lf->out.buf + len, lf->out.len - len);
	lf->out.len -= len;
	lf->out.buf[lf->out.len] = 0;
	return r;
}

/* Encode one entry; rotate first when it would take the file past max. */
static int emit(struct logfile *lf, enum logfile_stream stream, const char *buf, size_t len,
                struct husk_error **err)
{
	size_t before = lf->out.len;
	struct timespec now;
	int r;

	clock_gettime(CLOCK_REALTIME, &now);
	if (logfile_encode(&lf->out, stream, buf, len, &now) < 0) {
		lf->out.len = before;
		return error_set(err, ENOMEM, "out of memory");
	}
	if (!lf->max_size || lf->size + lf->out.len <= lf->max_size || lf->size + before == 0)
		return 0;
	r = write_out(lf, before, err);
	return rotate(lf, r < 0 ? NULL : err) ?: r;
}

int logfile_write(struct logfile *lf, enum logfile_stream stream, const void *data, size_t len,
                  struct husk_error **err)
{
	const char *in = data;
	unsigned s = stream == LOGFILE_STDERR;
	char *p = lf->partial[s];
	int r = 0, k;

	while (len > 0) {
		size_t take = MIN(len, LOGFILE_PARTIAL_MAX - lf->plen[s]), done = 0;
		const char *nl;

		memcpy(p + lf->plen[s], in, take);
		lf->plen[s] += take;
		in += take;
		len -= take;
		while ((nl = memchr(p + done, '\n', lf->plen[s] - done))) {
			size_t n = (size_t)(nl - (p + done)) + 1;
			if ((k = emit(lf, stream, p + done, n, r < 0 ? NULL : err)) < 0)
				r = k;
			done += n;
		}
		/* a full buffer without a newline is logged as is (no newline) */
		if (done == 0 && lf->plen[s] == LOGFILE_PARTIAL_MAX) {
			if ((k = emit(lf, stream, p, lf->plen[s], r < 0 ? NULL : err)) < 0)
				r = k;
			done = lf->plen[s];
		}
		memmove(p, p + done, lf->plen[s] - done);
		lf->plen[s] -= done;
	}
	if ((k = write_out(lf, lf->out.len, r < 0 ? NULL : err)) < 0)
		r = k;
	return r;
}

int logfile_flush(struct logfile *lf, enum logfile_stream stream, struct husk_error **err)
{
	unsigned s = stream == LOGFILE_STDERR;
	int r = 0;

	if (lf->plen[s] == 0)
		return 0;
	/* dockerd appends the newline to a last line that had none */
	/* (a full buffer is always emitted by logfile_write: there is room) */
	lf->partial[s][lf->plen[s]++] = '\n';
	r = emit(lf, stream, lf->partial[s], lf->plen[s], err);
	lf->plen[s] = 0;
	return write_out(lf, lf->out.len, r < 0 ? NULL : err) ?: r;
}

void logfile_close(struct logfile *lf)
{
	if (!lf)
		return;
	if (lf->fd >= 0 || lf->plen[0] || lf->plen[1]) {
		logfile_flush(lf, LOGFILE_STDOUT, NULL);
		logfile_flush(lf, LOGFILE_STDERR, NULL);
	}
	safe_close(lf->fd);
	strbuf_release(&lf->out);
	free(lf->path);
	free(lf);
}
