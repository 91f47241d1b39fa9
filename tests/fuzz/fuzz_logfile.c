/* fuzz_logfile.c — the json-file log's line format (engine/logfile.h),
 * which `logs` reads from a file the container filled: logfile_decode() of
 * the input as one line; a decoded entry encodes (logfile_encode()) into
 * one line that decodes to the same entry. The input bytes are also
 * encoded as a payload: the line has its only newline at the end and
 * decodes to the payload (ASCII) or to something (other bytes, where
 * invalid UTF-8 becomes U+FFFD).
 */
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "engine/logfile.h"
#include "fuzz.h"

#define NS_PER_SEC INT64_C(1000000000)
/* 1970 … 2262: the times an int64 of ns holds, written with four digits */
#define TIME_MAX (INT64_MAX / NS_PER_SEC * NS_PER_SEC - 1)

static void check_line(const struct strbuf *sb)
{
	if (!sb->len || sb->buf[sb->len - 1] != '\n' || memchr(sb->buf, '\n', sb->len - 1))
		abort();
}

static void round_trip(enum logfile_stream stream, const char *buf, size_t len, int64_t t)
{
	struct timespec ts = {t / NS_PER_SEC, t % NS_PER_SEC};
	struct strbuf sb = {0};
	enum logfile_stream s2 = 0;
	char *buf2 = NULL;
	size_t len2 = 0;
	int64_t t2 = 0;

	if (logfile_encode(&sb, stream, buf, len, &ts) < 0) {
		strbuf_release(&sb);
		return;
	}
	check_line(&sb);
	if (logfile_decode(sb.buf, sb.len - 1, &s2, &buf2, &len2, &t2) < 0)
		abort();
	if (s2 != stream || t2 != t || len2 != len || memcmp(buf2, buf, len) != 0)
		abort();
	free(buf2);
	strbuf_release(&sb);
}

static void decode(const uint8_t *data, size_t size)
{
	enum logfile_stream stream = 0;
	char *buf = NULL, ts[48];
	size_t len = 0;
	int64_t t = 0;

	if (logfile_decode((const char *)data, size, &stream, &buf, &len, &t) < 0)
		return;
	if ((stream != LOGFILE_STDOUT && stream != LOGFILE_STDERR) || !buf || buf[len] != 0)
		abort();
	logfile_format_time(ts, sizeof(ts), t, false);
	logfile_format_time(ts, sizeof(ts), t, true);
	if (t >= 0 && t <= TIME_MAX)
		round_trip(stream, buf, len, t);
	free(buf);
}

static void encode(const uint8_t *data, size_t size)
{
	struct timespec ts = {1700000000, 123456789};
	enum logfile_stream stream = size && data[0] & 1 ? LOGFILE_STDERR : LOGFILE_STDOUT, s2;
	struct strbuf sb = {0};
	char *buf = NULL;
	size_t len = 0;
	int64_t t = 0;
	bool ascii = true;

	for (size_t i = 0; i < size; i++)
		ascii = ascii && data[i] < 0x80;
	if (logfile_encode(&sb, stream, data, size, &ts) < 0) {
		strbuf_release(&sb);
		return;
	}
	check_line(&sb);
	if (logfile_decode(sb.buf, sb.len - 1, &s2, &buf, &len, &t) < 0)
		abort();
	if (s2 != stream || t != ts.tv_sec * NS_PER_SEC + ts.tv_nsec ||
	    (ascii && (len != size || memcmp(buf, data, size) != 0)))
		abort();
	free(buf);
	strbuf_release(&sb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	decode(data, size);
	encode(data, size);
	return 0;
}
