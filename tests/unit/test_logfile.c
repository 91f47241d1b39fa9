/* Unit tests for src/engine/logfile.c and logfile_read.c: Docker's
 * json-file encoding (escaping of control characters, <>&, invalid UTF-8,
 * U+2028/9), the writer's line splitting (partial and long lines, per
 * stream), rotation, and the reader (streams, since/until, tail across
 * rotated files, timestamps, broken lines, follow across a rotation). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "base/fs.h"
#include "base/str.h"
#include "engine/logfile.h"

#define SEC 1000000000LL

struct fx {
	char dir[64];
	char log[96];
};

static int rm_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/husk-test-logfile-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->log, sizeof(f->log), "%s/c-json.log", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	nftw(f->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static char *slurp(const char *path)
{
	char *buf = NULL;

	if (read_file(path, 1 << 24, &buf, NULL, NULL) < 0)
		return strdup("");
	return buf;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* ---- encoding ---- */

static char *encode(const char *buf, size_t len, enum logfile_stream s, int64_t t)
{
	struct strbuf sb = {0};
	struct timespec ts = {t / SEC, t % SEC};

	assert_int_equal(logfile_encode(&sb, s, buf, len, &ts), 0);
	return strbuf_steal(&sb);
}

static void test_encode_docker_shape(void **state)
{
	char *s = encode("hi\n", 3, LOGFILE_STDOUT, 1795809607LL * SEC + 925409965);

	assert_string_equal(s, "{\"log\":\"hi\\n\",\"stream\":\"stdout\","
	                       "\"time\":\"2026-11-27T20:00:07.925409965Z\"}\n");
	free(s);
	/* the fraction's trailing zeros go, as Go's RFC3339Nano writes them */
	s = encode("x", 1, LOGFILE_STDERR, 1795809607LL * SEC + 500000000);
	assert_string_equal(s, "{\"log\":\"x\",\"stream\":\"stderr\","
	                       "\"time\":\"2026-11-27T20:00:07.5Z\"}\n");
	free(s);
	s = encode("", 0, LOGFILE_STDOUT, 1795809607LL * SEC);
	assert_string_equal(s, "{\"stream\":\"stdout\",\"time\":\"2026-11-27T20:00:07Z\"}\n");
	free(s);
}

static void test_format_time(void **state)
{
	char buf[48];

	logfile_format_time(buf, sizeof(buf), 0, true);
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	logfile_format_time(buf, sizeof(buf), 0, false);
	assert_string_equal(buf, "1970-01-01T00:00:00.000000000Z");
	logfile_format_time(buf, sizeof(buf), 951782400LL * SEC + 120000, true);
	assert_string_equal(buf, "2000-02-29T00:00:00.00012Z");
	logfile_format_time(buf, sizeof(buf), -1, true);
	assert_string_equal(buf, "1969-12-31T23:59:59.999999999Z");
	logfile_format_time(buf, sizeof(buf), 4102444799LL * SEC, false);
	assert_string_equal(buf, "2099-12-31T23:59:59.000000000Z");
	/* a short buffer is cut, still terminated */
	logfile_format_time(buf, 5, 0, true);
	assert_string_equal(buf, "1970");
}

static void test_encode_escapes(void **state)
{
	static const char in[] = "a\"b\\c\td\r\n\x01\x1f<>&\x7f";
	char *s = encode(in, sizeof(in) - 1, LOGFILE_STDOUT, 0);

	assert_non_null(strstr(s, "\"log\":\"a\\\"b\\\\c\\u0009d\\r\\n\\u0001\\u001f"
	                          "\\u003c\\u003e\\u0026\x7f\""));
	free(s);
	/* NUL inside a line */
	s = encode("a\0b", 3, LOGFILE_STDOUT, 0);
	assert_non_null(strstr(s, "\"log\":\"a\\u0000b\""));
	free(s);
}

static void test_encode_utf8(void **state)
{
	struct {
		const char *in, *out;
	} cases[] = {
	        {"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x90\xb3",
	         "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x90\xb3"},
	        {"\xff", "\\ufffd"},
	        {"\xc0\xaf", "\\ufffd\\ufffd"},                       /* overlong '/' */
	        {"\xe2\x82", "\\ufffd\\ufffd"},                       /* truncated */
	        {"\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd"},            /* a surrogate */
	        {"\xf4\x90\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd"}, /* above U+10FFFF */
	        {"\xe2\x80\xa8|\xe2\x80\xa9", "\\u2028|\\u2029"},
	        {"ok\x80", "ok\\ufffd"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = encode(cases[i].in, strlen(cases[i].in), LOGFILE_STDOUT, 0);
		char *want = str_printf("{\"log\":\"%s\",", cases[i].out);
		if (strncmp(s, want, strlen(want)) != 0)
			fail_msg("case %zu: got %s want prefix %s", i, s, want);
		free(want);
		free(s);
	}
}

static void test_decode_roundtrip(void **state)
{
	static const char in[] = "line \"q\" \\ \t\x01 <&> \xc3\xa9\0z\n";
	char *s = encode(in, sizeof(in) - 1, LOGFILE_STDERR, 1234 * SEC + 5);
	enum logfile_stream st;
	char *buf;
	size_t len;
	int64_t t;

	assert_int_equal(logfile_decode(s, strlen(s) - 1, &st, &buf, &len, &t), 0);
	assert_int_equal(st, LOGFILE_STDERR);
	assert_int_equal(len, sizeof(in) - 1);
	assert_memory_equal(buf, in, len);
	assert_int_equal(t, 1234 * SEC + 5);
	free(buf);
	free(s);
	/* invalid UTF-8 comes back as U+FFFD */
	s = encode("\xff", 1, LOGFILE_STDOUT, 0);
	assert_int_equal(logfile_decode(s, strlen(s) - 1, &st, &buf, &len, &t), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(buf, "\xef\xbf\xbd", 3);
	free(buf);
	free(s);
}

static void test_decode_rejects(void **state)
{
	static const char *bad[] = {
	        "",
	        "not json",
	        "[1,2]",
	        "{\"log\":\"x\",\"stream\":\"stdout\"}",
	        "{\"log\":\"x\",\"stream\":\"stdin\",\"time\":\"2026-11-27T20:00:07Z\"}",
	        "{\"log\":1,\"stream\":\"stdout\",\"time\":\"2026-11-27T20:00:07Z\"}",
	        "{\"log\":\"x\",\"stream\":\"stdout\",\"time\":\"yesterday\"}",
	};
	enum logfile_stream st;
	char *buf;
	size_t len;
	int64_t t;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(logfile_decode(bad[i], strlen(bad[i]), &st, &buf, &len, &t),
		                 -EINVAL);
}

/* ---- writer ---- */

/* The entries of a log file as "S|payload" joined by '\n'-less markers. */
struct collected {
	struct strbuf sb;
	size_t n;
	int64_t last_t;
	bool ordered;
	long stop_after;
};

static int collect(int stream, const char *buf, size_t len, int64_t t, void *data)
{
	struct collected *c = data;

	strbuf_printf(&c->sb, "%d|", stream);
	strbuf_append(&c->sb, buf, len);
	if (!len || buf[len - 1] != '\n')
		strbuf_puts(&c->sb, "<nonl>\n");
	if (t < c->last_t)
		c->ordered = false;
	c->last_t = t;
	c->n++;
	if (c->stop_after && (long)c->n >= c->stop_after)
		return -ECANCELED;
	return 0;
}

static char *read_all_entries(const char *path, unsigned max_files,
                              const struct logfile_read_opts *o)
{
	struct collected c = {.ordered = true};
	struct husk_error *err = NULL;

	assert_int_equal(logfile_read(path, max_files, o, -1, collect, &c, &err), 0);
	assert_true(c.ordered);
	if (!c.sb.buf)
		return strdup("");
	return strbuf_steal(&c.sb);
}

static const struct logfile_read_opts all = {.out = true, .err = true, .tail = -1};

static void test_write_lines_and_partials(void **state)
{
	struct fx *f = *state;
	struct logfile *lf = NULL;
	char *got;

	assert_int_equal(logfile_open(f->log, 0, 1, &lf, NULL), 0);
	assert_int_equal(logfile_write(lf, LOGFILE_STDOUT, "a\nb", 3, NULL), 0);
	assert_int_equal(logfile_write(lf, LOGFILE_STDERR, "e1", 2, NULL), 0);
	assert_int_equal(logfile_write(lf, LOGFILE_STDOUT, "c\n\nd", 4, NULL), 0);
	assert_int_equal(logfile_write(lf, LOGFILE_STDERR, "\n", 1, NULL), 0);
	got = read_all_entries(f->log, 1, &all);
	/* each stream's lines complete on their own */
	assert_string_equal(got, "1|a\n1|bc\n1|\n2|e1\n");
	free(got);
	/* EOF: what is held is logged with a newline, as dockerd does */
	assert_int_equal(logfile_flush(lf, LOGFILE_STDOUT, NULL), 0);
	assert_int_equal(logfile_flush(lf, LOGFILE_STDERR, NULL), 0);
	got = read_all_entries(f->log, 1, &all);
	assert_string_equal(got, "1|a\n1|bc\n1|\n2|e1\n1|d\n");
	free(got);
	logfile_close(lf);
}

static void test_write_long_line(void **state)
{
	struct fx *f = *state;
	struct logfile *lf = NULL;
	size_t total = 2 * LOGFILE_PARTIAL_MAX + 1000;
	char *big = malloc(total + 1), *got, *p;

	memset(big, 'x', total);
	big[total] = '\n';
	assert_int_equal(logfile_open(f->log, 0, 1, &lf, NULL), 0);
	/* in odd-sized pieces, as a pipe delivers it */
	for (size_t off = 0; off < total + 1; off += 3000)
		assert_int_equal(logfile_write(lf, LOGFILE_STDOUT, big + off,
		                               MIN((size_t)3000, total + 1 - off), NULL),
		                 0);
	logfile_close(lf);
	got = read_all_entries(f->log, 1, &all);
	/* 16 KiB, 16 KiB (no newline), then the rest with its newline */
	p = got;
	for (int i = 0; i < 2; i++) {
		assert_memory_equal(p, "1|", 2);
		p += 2 + LOGFILE_PARTIAL_MAX;
		assert_memory_equal(p, "<nonl>\n", 7);
		p += 7;
	}
	assert_memory_equal(p, "1|", 2);
	assert_int_equal(strlen(p), 2 + 1000 + 1);
	free(got);
	free(big);
}

static void test_close_flushes(void **state)
{
	struct fx *f = *state;
	struct logfile *lf = NULL;
	char *got;

	assert_int_equal(logfile_open(f->log, 0, 1, &lf, NULL), 0);
	assert_int_equal(logfile_write(lf, LOGFILE_STDERR, "no newline", 10, NULL), 0);
	logfile_close(lf);
	logfile_close(NULL);
	got = read_all_entries(f->log, 1, &all);
	assert_string_equal(got, "2|no newline\n");
	free(got);
}

static void test_rotation(void **state)
{
	struct fx *f = *state;
	struct logfile *lf = NULL;
	char name[128], line[64], *got, *p;
	struct stat st;
	long expect;

	assert_int_equal(logfile_open(f->log, 1000, 3, &lf, NULL), 0);
	for (int i = 0; i < 200; i++) {
		int n = snprintf(line, sizeof(line), "line %03d\n", i);
		assert_int_equal(logfile_write(lf, LOGFILE_STDOUT, line, (size_t)n, NULL), 0);
	}
	logfile_close(lf);
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), i ? "%s.%d" : "%s", f->log, i);
		assert_int_equal(stat(name, &st), 0);
		assert_true(st.st_size <= 1000);
		if (i)
			assert_true(st.st_size > 900);
	}
	snprintf(name, sizeof(name), "%s.3", f->log);
	assert_int_equal(stat(name, &st), -1);
	/* what is kept is the newest lines, in order, ending with the last */
	got = read_all_entries(f->log, 3, &all);
	p = got;
	assert_int_equal(sscanf(p, "1|line %ld", &expect), 1);
	for (; *p; p = strchr(p, '\n') + 1) {
		long v;
		assert_int_equal(sscanf(p, "1|line %ld", &v), 1);
		assert_int_equal(v, expect++);
	}
	assert_int_equal(expect, 200);
	free(got);
}

static void test_rotation_single_file(void **state)
{
	struct fx *f = *state;
	struct logfile *lf = NULL;
	char name[128], *content;
	struct stat st;

	assert_int_equal(logfile_open(f->log, 500, 1, &lf, NULL), 0);
	for (int i = 0; i < 100; i++)
		assert_int_equal(logfile_write(lf, LOGFILE_STDOUT, "0123456789\n", 11, NULL), 0);
	logfile_close(lf);
	assert_int_equal(stat(f->log, &st), 0);
	assert_true(st.st_size <= 500 && st.st_size > 0);
	snprintf(name, sizeof(name), "%s.1", f->log);
	assert_int_equal(stat(name, &st), -1);
	content = slurp(f->log);
	assert_true(count_lines(content) >= 1);
	free(content);
}

/* ---- reader ---- */

static int write_all_path(const char *path, const char *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int r = fd < 0 ? -errno : write_all(fd, buf, len);

	if (fd >= 0)
		close(fd);
	return r;
}

/* A log with known times: entry i at t0 + i s, stdout for even i. */
static const int64_t t0 = 1795809600LL * SEC;

static void write_known(const char *path, int n, int first)
{
	struct strbuf sb = {0};

	for (int i = first; i < first + n; i++) {
		char msg[32];
		struct timespec ts = {(t0 + i * SEC) / SEC, 0};
		int len = snprintf(msg, sizeof(msg), "m%d\n", i);
		logfile_encode(&sb, i % 2 ? LOGFILE_STDERR : LOGFILE_STDOUT, msg, (size_t)len, &ts);
	}
	assert_int_equal(write_all_path(path, sb.buf, sb.len), 0);
	strbuf_release(&sb);
}

static void test_read_streams_since_until(void **state)
{
	struct fx *f = *state;
	struct logfile_read_opts o = {.out = true, .tail = -1};
	char *got;

	write_known(f->log, 6, 0);
	got = read_all_entries(f->log, 1, &o);
	assert_string_equal(got, "1|m0\n1|m2\n1|m4\n");
	free(got);
	o = (struct logfile_read_opts){.err = true, .tail = -1};
	got = read_all_entries(f->log, 1, &o);
	assert_string_equal(got, "2|m1\n2|m3\n2|m5\n");
	free(got);
	o = (struct logfile_read_opts){.out = true,
	                               .err = true,
	                               .tail = -1,
	                               .since_ns = t0 + 2 * SEC,
	                               .until_ns = t0 + 4 * SEC};
	got = read_all_entries(f->log, 1, &o);
	assert_string_equal(got, "1|m2\n2|m3\n1|m4\n");
	free(got);
	/* since after everything: nothing */
	o.since_ns = t0 + 100 * SEC;
	o.until_ns = 0;
	got = read_all_entries(f->log, 1, &o);
	assert_string_equal(got, "");
	free(got);
}

static void test_read_timestamps(void **state)
{
	struct fx *f = *state;
	struct logfile_read_opts o = {.out = true, .err = true, .timestamps = true, .tail = 1};
	char *got;

	write_known(f->log, 3, 0);
	got = read_all_entries(f->log, 1, &o);
	/* fixed nine digits, as `docker logs -t` prints them */
	assert_string_equal(got, "1|2026-11-27T20:00:02.000000000Z m2\n");
	free(got);
}

static void test_read_tail_across_files(void **state)
{
	struct fx *f = *state;
	struct logfile_read_opts o = {.out = true, .err = true, .tail = 5};
	char name[128], *got;

	snprintf(name, sizeof(name), "%s.2", f->log);
	write_known(name, 4, 0);
	snprintf(name, sizeof(name), "%s.1", f->log);
	write_known(name, 4, 4);
	write_known(f->log, 2, 8);
	got = read_all_entries(f->log, 3, &o);
	assert_string_equal(got, "2|m5\n1|m6\n2|m7\n1|m8\n2|m9\n");
	free(got);
	/* tail counts only the selected stream */
	o = (struct logfile_read_opts){.err = true, .tail = 4};
	got = read_all_entries(f->log, 3, &o);
	assert_string_equal(got, "2|m3\n2|m5\n2|m7\n2|m9\n");
	free(got);
	/* more than there is: all; 0: none */
	o = (struct logfile_read_opts){.out = true, .err = true, .tail = 100};
	got = read_all_entries(f->log, 3, &o);
	assert_int_equal(count_lines(got), 10);
	assert_memory_equal(got, "1|m0\n", 5);
	free(got);
	o.tail = 0;
	got = read_all_entries(f->log, 3, &o);
	assert_string_equal(got, "");
	free(got);
	/* with max_files 2, log.2 is not read */
	o.tail = -1;
	got = read_all_entries(f->log, 2, &o);
	assert_int_equal(count_lines(got), 6);
	free(got);
}

static void test_read_hostile_lines(void **state)
{
	struct fx *f = *state;
	struct logfile_read_opts o = {.out = true, .err = true, .tail = -1};
	struct strbuf sb = {0};
	struct timespec ts = {t0 / SEC, 0};
	char *got, *big;
	int fd;

	logfile_encode(&sb, LOGFILE_STDOUT, "first\n", 6, &ts);
	strbuf_puts(&sb, "garbage that is not json\n");
	strbuf_puts(&sb,
	            "{\"log\":\"x\",\"stream\":\"stdin\",\"time\":\"2026-11-27T20:00:07Z\"}\n");
	big = malloc(LOGFILE_LINE_MAX + 10);
	memset(big, 'a', LOGFILE_LINE_MAX + 9);
	big[LOGFILE_LINE_MAX + 9] = 0;
	strbuf_puts(&sb, big);
	strbuf_puts(&sb, "\n");
	free(big);
	logfile_encode(&sb, LOGFILE_STDERR, "last\n", 5, &ts);
	/* and an incomplete line being written */
	strbuf_puts(&sb, "{\"log\":\"half");
	fd = open(f->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_int_equal(write_all(fd, sb.buf, sb.len), 0);
	close(fd);
	strbuf_release(&sb);
	got = read_all_entries(f->log, 1, &o);
	assert_string_equal(got, "1|first\n2|last\n");
	free(got);
	o.tail = 1;
	got = read_all_entries(f->log, 1, &o);
	assert_string_equal(got, "2|last\n");
	free(got);
	o.tail = 2;
	got = read_all_entries(f->log, 1, &o);
	assert_string_equal(got, "1|first\n2|last\n");
	free(got);
}

static void test_read_missing_and_stop(void **state)
{
	struct fx *f = *state;
	struct collected c = {.ordered = true, .stop_after = 2};
	struct husk_error *err = NULL;
	char *got;

	got = read_all_entries(f->log, 3, &all);
	assert_string_equal(got, "");
	free(got);
	write_known(f->log, 5, 0);
	/* a negative return from the callback stops and is returned */
	assert_int_equal(logfile_read(f->log, 1, &all, -1, collect, &c, &err), -ECANCELED);
	assert_int_equal(c.n, 2);
	assert_null(err);
	strbuf_release(&c.sb);
}

static void test_follow_across_rotation(void **state)
{
	struct fx *f = *state;
	struct logfile_read_opts o = {.out = true, .err = true, .tail = 0, .follow = true};
	struct collected c = {.ordered = true};
	struct husk_error *err = NULL;
	int stop = eventfd(0, EFD_CLOEXEC);
	struct logfile *lf = NULL;
	pid_t pid;
	char *p;

	assert_int_equal(logfile_open(f->log, 600, 3, &lf, NULL), 0);
	assert_int_equal(logfile_write(lf, LOGFILE_STDOUT, "before\n", 7, NULL), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* the writer: lines over ~0.3 s, rotating several times,
		 * once the reader had time to start */
		struct timespec head = {0, 50 * 1000 * 1000};
		nanosleep(&head, NULL);
		for (int i = 0; i < 30; i++) {
			char line[32];
			int n = snprintf(line, sizeof(line), "follow %02d\n", i);
			struct timespec ts = {0, 10 * 1000 * 1000};
			logfile_write(lf, LOGFILE_STDOUT, line, (size_t)n, NULL);
			nanosleep(&ts, NULL);
		}
		uint64_t one = 1;
		(void)!write(stop, &one, sizeof(one));
		_exit(0);
	}
	assert_int_equal(logfile_read(f->log, 3, &o, stop, collect, &c, &err), 0);
	waitpid(pid, NULL, 0);
	logfile_close(lf);
	close(stop);
	/* tail 0: nothing old; every line after the reader began, in order
	 * (on a loaded machine the writer may still beat the reader's start
	 * by a line or two: those count as old) */
	assert_true(c.n >= 28 && c.n <= 30);
	p = c.sb.buf;
	for (int i = 30 - (int)c.n; i < 30; i++) {
		char want[32];
		snprintf(want, sizeof(want), "1|follow %02d\n", i);
		assert_memory_equal(p, want, strlen(want));
		p += strlen(want);
	}
	strbuf_release(&c.sb);
}

static void test_follow_waits_for_creation(void **state)
{
	struct fx *f = *state;
	struct logfile_read_opts o = {.out = true, .tail = -1, .follow = true};
	struct collected c = {.ordered = true};
	int stop = eventfd(0, EFD_CLOEXEC);
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct timespec ts = {0, 100 * 1000 * 1000};
		struct logfile *lf = NULL;
		uint64_t one = 1;
		nanosleep(&ts, NULL);
		logfile_open(f->log, 0, 1, &lf, NULL);
		logfile_write(lf, LOGFILE_STDOUT, "late\n", 5, NULL);
		logfile_close(lf);
		(void)!write(stop, &one, sizeof(one));
		_exit(0);
	}
	assert_int_equal(logfile_read(f->log, 1, &o, stop, collect, &c, NULL), 0);
	waitpid(pid, NULL, 0);
	close(stop);
	assert_string_equal(c.sb.buf, "1|late\n");
	strbuf_release(&c.sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_encode_docker_shape),
	        cmocka_unit_test(test_format_time),
	        cmocka_unit_test(test_encode_escapes),
	        cmocka_unit_test(test_encode_utf8),
	        cmocka_unit_test(test_decode_roundtrip),
	        cmocka_unit_test(test_decode_rejects),
	        cmocka_unit_test_setup_teardown(test_write_lines_and_partials, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_write_long_line, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_close_flushes, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_rotation_single_file, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_read_streams_since_until, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_read_timestamps, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_read_tail_across_files, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_read_hostile_lines, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_read_missing_and_stop, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_follow_across_rotation, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_follow_waits_for_creation, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
