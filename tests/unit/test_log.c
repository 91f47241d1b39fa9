/* Unit tests for src/base/log.c: levels, text and JSON lines, sinks. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"
#include "base/str.h"

/* Every test logs into a non-blocking pipe and reads back what arrived. */
struct fx {
	int rd, wr;
};

static int setup_pipe(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	int p[2];

	if (!f || pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
		free(f);
		return -1;
	}
	f->rd = p[0];
	f->wr = p[1];
	log_set_fd(f->wr);
	log_set_level(LOG_LEVEL_INFO);
	log_set_format(LOG_FORMAT_TEXT);
	*state = f;
	return 0;
}

static int teardown_pipe(void **state)
{
	struct fx *f = *state;

	log_set_fd(-1);
	log_set_level(LOG_LEVEL_INFO);
	log_set_format(LOG_FORMAT_TEXT);
	close(f->rd);
	close(f->wr);
	free(f);
	return 0;
}

/* Everything written so far ("" when nothing). */
static char *drain(struct fx *f)
{
	struct strbuf sb = {0};
	char buf[4096];
	ssize_t n;

	while ((n = read(f->rd, buf, sizeof(buf))) > 0)
		assert_int_equal(strbuf_append(&sb, buf, n), 0);
	assert_true(n < 0 && errno == EAGAIN);
	return strbuf_steal(&sb);
}

/* "2026-11-27T21:00:00.123456789Z" */
static void assert_time_shape(const char *t, size_t len)
{
	const char *shape = "dddd-dd-ddTdd:dd:dd.dddddddddZ";

	assert_int_equal(len, strlen(shape));
	for (size_t i = 0; i < len; i++) {
		if (shape[i] == 'd')
			assert_true(isdigit((unsigned char)t[i]));
		else
			assert_int_equal(t[i], shape[i]);
	}
}

/* Check `time="…" level=<level> ` and return what follows. */
static const char *skip_text_head(const char *line, const char *level)
{
	const char *p = startswith(line, "time=\""), *q;
	_cleanup_free_ char *lvl = str_printf("\" level=%s msg=", level);

	assert_non_null(p);
	q = strchr(p, '"');
	assert_non_null(q);
	assert_time_shape(p, q - p);
	p = startswith(q, lvl);
	assert_non_null(p);
	return p;
}

static void test_level_parse(void **state)
{
	static const struct {
		const char *name;
		enum log_level level;
	} ok[] = {
	        {"error", LOG_LEVEL_ERROR}, {"fatal", LOG_LEVEL_ERROR},  {"panic", LOG_LEVEL_ERROR},
	        {"warn", LOG_LEVEL_WARN},   {"warning", LOG_LEVEL_WARN}, {"info", LOG_LEVEL_INFO},
	        {"debug", LOG_LEVEL_DEBUG}, {"trace", LOG_LEVEL_DEBUG},  {"DEBUG", LOG_LEVEL_DEBUG},
	        {"Warn", LOG_LEVEL_WARN},   {"INFO", LOG_LEVEL_INFO},
	};
	enum log_level l;

	for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
		l = (enum log_level)99;
		assert_int_equal(log_level_parse(ok[i].name, &l), 0);
		assert_int_equal(l, ok[i].level);
	}
}

static void test_level_parse_bad(void **state)
{
	const char *bad[] = {"", "verbose", "info ", " info", "inf", "infoo", "err", "1", "warn\n"};
	enum log_level l = LOG_LEVEL_WARN;

	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		assert_int_equal(log_level_parse(bad[i], &l), -EINVAL);
	assert_int_equal(log_level_parse(NULL, &l), -EINVAL);
	/* ret untouched */
	assert_int_equal(l, LOG_LEVEL_WARN);
}

static void test_level_name(void **state)
{
	enum log_level l;

	assert_string_equal(log_level_name(LOG_LEVEL_ERROR), "error");
	assert_string_equal(log_level_name(LOG_LEVEL_WARN), "warning");
	assert_string_equal(log_level_name(LOG_LEVEL_INFO), "info");
	assert_string_equal(log_level_name(LOG_LEVEL_DEBUG), "debug");
	assert_string_equal(log_level_name((enum log_level)42), "info");
	/* every name parses back to its level */
	for (int i = LOG_LEVEL_ERROR; i <= LOG_LEVEL_DEBUG; i++) {
		assert_int_equal(log_level_parse(log_level_name(i), &l), 0);
		assert_int_equal(l, i);
	}
}

static void test_set_get_level(void **state)
{
	log_set_level(LOG_LEVEL_DEBUG);
	assert_int_equal(log_get_level(), LOG_LEVEL_DEBUG);
	log_set_level(LOG_LEVEL_ERROR);
	assert_int_equal(log_get_level(), LOG_LEVEL_ERROR);
}

static void test_text_line_shape(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *out = NULL;
	const char *rest;

	log_info("a \"%s\"", "q");
	out = drain(f);
	rest = skip_text_head(out, "info");
	assert_string_equal(rest, "\"a \\\"q\\\"\"\n");
}

static void test_text_levels_named(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *e = NULL, *w = NULL, *d = NULL;

	log_set_level(LOG_LEVEL_DEBUG);
	log_error("e");
	e = drain(f);
	assert_string_equal(skip_text_head(e, "error"), "\"e\"\n");
	log_warn("w");
	w = drain(f);
	assert_string_equal(skip_text_head(w, "warning"), "\"w\"\n");
	log_debug("d %d", 1);
	d = drain(f);
	assert_string_equal(skip_text_head(d, "debug"), "\"d 1\"\n");
}

static void test_text_escaping(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *out = NULL;

	/* one line per message, whatever the message holds */
	log_info("back\\slash\nnew line \"quoted\"");
	out = drain(f);
	assert_string_equal(skip_text_head(out, "info"),
	                    "\"back\\\\slash\\nnew line \\\"quoted\\\"\"\n");
	assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
}

static void test_text_empty_message(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *out = NULL;

	log_info("%s", "");
	out = drain(f);
	assert_string_equal(skip_text_head(out, "info"), "\"\"\n");
}

static void test_json_line(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *out = NULL;
	_cleanup_json_ json_t *j = NULL;
	json_error_t je;
	const char *t;

	log_set_format(LOG_FORMAT_JSON);
	log_warn("disk \"%s\" at %d%%\nnext", "/var", 95);
	out = drain(f);
	/* one compact line */
	assert_true(endswith(out, "\n"));
	assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
	j = json_loads(out, 0, &je);
	assert_non_null(j);
	assert_true(json_is_object(j));
	assert_int_equal(json_object_size(j), 3);
	assert_string_equal(json_string_value(json_object_get(j, "level")), "warning");
	assert_string_equal(json_string_value(json_object_get(j, "msg")),
	                    "disk \"/var\" at 95%\nnext");
	t = json_string_value(json_object_get(j, "time"));
	assert_non_null(t);
	assert_time_shape(t, strlen(t));
	/* runc's key order: level, msg, time */
	assert_true(startswith(out, "{\"level\":\"warning\",\"msg\":") != NULL);
}

static void test_json_invalid_utf8_not_dropped(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *out = NULL;
	_cleanup_json_ json_t *j = NULL;
	json_error_t je;

	/* a file name with stray bytes must still be logged, as valid JSON,
	 * each bad byte as U+FFFD (like logrus) and good UTF-8 kept */
	log_set_format(LOG_FORMAT_JSON);
	log_error("open \"%s\": failed", "b\xc3\xa9"
	                                 "d\xff\xfe\xc3(\xed\xa0\x80\xe2\x82\xac");
	out = drain(f);
	assert_true(strlen(out) > 0);
	j = json_loads(out, 0, &je);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "msg")),
	                    "open \"b\xc3\xa9"
	                    "d\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd("
	                    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xe2\x82\xac\": failed");
	assert_string_equal(json_string_value(json_object_get(j, "level")), "error");
}

static void test_text_invalid_utf8_passes(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *out = NULL;

	/* the text format writes bytes as they are */
	log_info("raw \xff");
	out = drain(f);
	assert_string_equal(skip_text_head(out, "info"), "\"raw \xff\"\n");
}

static void test_level_filtering(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *d = NULL;

	/* default info: debug dropped */
	log_debug("hidden");
	log_msg(LOG_LEVEL_DEBUG, "hidden too");
	a = drain(f);
	assert_string_equal(a, "");
	log_info("shown");
	b = drain(f);
	assert_non_null(strstr(b, "msg=\"shown\""));
	/* at error only errors pass */
	log_set_level(LOG_LEVEL_ERROR);
	log_info("no");
	log_warn("no");
	c = drain(f);
	assert_string_equal(c, "");
	log_error("yes");
	d = drain(f);
	assert_non_null(strstr(d, "level=error msg=\"yes\""));
}

static void test_one_line_per_call(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *out = NULL;
	size_t lines = 0;

	for (int i = 0; i < 5; i++)
		log_info("line %d", i);
	out = drain(f);
	for (const char *p = out; (p = strchr(p, '\n')); p++)
		lines++;
	assert_int_equal(lines, 5);
	assert_non_null(strstr(out, "msg=\"line 4\"\n"));
}

static void test_long_message(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *big = malloc(20001), *out = NULL;

	/* below the pipe buffer so it all fits without a reader */
	memset(big, 'L', 20000);
	big[20000] = 0;
	log_info("%s", big);
	out = drain(f);
	assert_non_null(strstr(out, big));
	assert_true(endswith(out, "L\"\n"));
}

static void test_errno_preserved(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *out = NULL;

	errno = EBADMSG;
	log_info("x");
	assert_int_equal(errno, EBADMSG);
	errno = ENOTSUP;
	log_debug("dropped");
	assert_int_equal(errno, ENOTSUP);
	out = drain(f);
}

static void test_write_error_ignored(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *out = NULL;

	/* a sink that is not open: the message is dropped, nothing else */
	assert_true(fcntl(1000, F_GETFD) < 0);
	log_set_fd(1000);
	log_error("to a closed fd");
	log_set_fd(f->wr);
	log_error("after");
	out = drain(f);
	assert_null(strstr(out, "closed fd"));
	assert_non_null(strstr(out, "msg=\"after\""));
}

static void test_log_open_bad_path(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *out = NULL;

	assert_int_equal(log_open("/nonexistent-husk-dir/sub/log"), -ENOENT);
	assert_int_equal(log_open("/proc/version/x"), -ENOTDIR);
	/* the sink is unchanged */
	log_info("still here");
	out = drain(f);
	assert_non_null(strstr(out, "msg=\"still here\""));
}

static void test_log_open_file(void **state)
{
	char dir[] = "/tmp/husk-test-log-XXXXXX";
	_cleanup_free_ char *path = NULL, *got = NULL;
	struct stat st;

	assert_non_null(mkdtemp(dir));
	path = str_printf("%s/husk.log", dir);
	/* an existing file is appended to */
	assert_int_equal(atomic_write_file(path, "first\n", 6, 0600, NULL), 0);
	assert_int_equal(log_open(path), 0);
	log_info("to file");
	log_set_format(LOG_FORMAT_JSON);
	log_info("as json");
	/* back to stderr: the file is closed and gets no more */
	assert_int_equal(log_open(NULL), 0);
	assert_int_equal(read_file(path, 4096, &got, NULL, NULL), 0);
	assert_true(startswith(got, "first\ntime=\"") != NULL);
	assert_non_null(strstr(got, "level=info msg=\"to file\"\n{\"level\":\"info\""));
	assert_true(endswith(got, "\"}\n"));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	unlink(path);
	rmdir(dir);
}

static void test_log_open_creates_0600(void **state)
{
	char dir[] = "/tmp/husk-test-log-XXXXXX";
	_cleanup_free_ char *path = NULL;
	mode_t old = umask(0);
	struct stat st;

	assert_non_null(mkdtemp(dir));
	path = str_printf("%s/new.log", dir);
	assert_int_equal(log_open(path), 0);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* reopening replaces (and closes) the previous file */
	assert_int_equal(log_open(path), 0);
	log_set_fd(-1);
	unlink(path);
	rmdir(dir);
}

static void test_format_time(void **state)
{
	char buf[48], small[11];

	log_format_time(buf, sizeof(buf));
	assert_time_shape(buf, strlen(buf));
	/* a short buffer is truncated, still terminated */
	log_format_time(small, sizeof(small));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_memory_equal(small, buf, 4);
}

#define LOG_TEST(f) cmocka_unit_test_setup_teardown(f, setup_pipe, teardown_pipe)

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_level_parse),
	        cmocka_unit_test(test_level_parse_bad),
	        cmocka_unit_test(test_level_name),
	        LOG_TEST(test_set_get_level),
	        LOG_TEST(test_text_line_shape),
	        LOG_TEST(test_text_levels_named),
	        LOG_TEST(test_text_escaping),
	        LOG_TEST(test_text_empty_message),
	        LOG_TEST(test_text_invalid_utf8_passes),
	        LOG_TEST(test_json_line),
	        LOG_TEST(test_json_invalid_utf8_not_dropped),
	        LOG_TEST(test_level_filtering),
	        LOG_TEST(test_one_line_per_call),
	        LOG_TEST(test_long_message),
	        LOG_TEST(test_errno_preserved),
	        LOG_TEST(test_write_error_ignored),
	        LOG_TEST(test_log_open_bad_path),
	        LOG_TEST(test_log_open_file),
	        LOG_TEST(test_log_open_creates_0600),
	        cmocka_unit_test(test_format_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
