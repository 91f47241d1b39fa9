/* Unit tests for src/cli/progress.c: dockerd's JSON progress messages
 * rendered as the docker CLI renders them, on a pipe and on a terminal. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "cli/progress.h"

/* What dockerd 20.10 wrote for `docker pull busybox` (ids shortened). */
static const char *const pull_lines[] = {
        "{\"status\":\"Pulling from library/busybox\",\"id\":\"latest\"}",
        "{\"status\":\"Pulling fs layer\",\"progressDetail\":{},\"id\":\"aaa\"}",
        "{\"status\":\"Pulling fs layer\",\"progressDetail\":{},\"id\":\"bbb\"}",
        "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":7692,\"total\":772788},"
        "\"progress\":\"[>    ]  7.692kB/772.8kB\",\"id\":\"aaa\"}",
        "{\"status\":\"Download complete\",\"progressDetail\":{},\"id\":\"aaa\"}",
        "{\"status\":\"Extracting\",\"progressDetail\":{\"current\":32768,\"total\":772788},"
        "\"progress\":\"[==>  ]  32.77kB/772.8kB\",\"id\":\"aaa\"}",
        "{\"status\":\"Pull complete\",\"progressDetail\":{},\"id\":\"aaa\"}",
        "{\"status\":\"Already exists\",\"progressDetail\":{},\"id\":\"bbb\"}",
        "{\"status\":\"Digest: sha256:1234\"}",
        "{\"status\":\"Status: Downloaded newer image for busybox:latest\"}",
        "{\"progressDetail\":{},\"aux\":{\"Tag\":\"v1\",\"Digest\":\"sha256:1\",\"Size\":527}}",
};

struct capture {
	char *buf;
	size_t len;
	FILE *f;
};

static int render(enum progress_mode mode, unsigned width, struct capture *c,
                  struct husk_error **err)
{
	struct progress *p;
	int r = 0;

	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
	p = progress_new(c->f, mode, width);
	assert_non_null(p);
	for (size_t i = 0; i < sizeof(pull_lines) / sizeof(*pull_lines) && r == 0; i++)
		r = progress_line(pull_lines[i], strlen(pull_lines[i]), p, err);
	progress_free(p);
	fclose(c->f);
	return r;
}

static void test_plain(void **state)
{
	struct capture c = {0};

	assert_int_equal(render(PROGRESS_PLAIN, 0, &c, NULL), 0);
	/* each status once, no byte progress, no aux */
	assert_string_equal(c.buf, "latest: Pulling from library/busybox\n"
	                           "aaa: Pulling fs layer\n"
	                           "bbb: Pulling fs layer\n"
	                           "aaa: Download complete\n"
	                           "aaa: Pull complete\n"
	                           "bbb: Already exists\n"
	                           "Digest: sha256:1234\n"
	                           "Status: Downloaded newer image for busybox:latest\n");
	free(c.buf);
}

static void test_quiet(void **state)
{
	struct capture c = {0};

	assert_int_equal(render(PROGRESS_QUIET, 0, &c, NULL), 0);
	assert_int_equal(c.len, 0);
	free(c.buf);
}

static void test_tty(void **state)
{
	struct capture c = {0};
	const char *s;

	assert_int_equal(render(PROGRESS_TTY, 120, &c, NULL), 0);
	/* docker's sequence: a new id gets "\n" then goes up to its line;
	 * its line is cleared, rewritten ending in "\r", and the cursor goes
	 * back down */
	s = c.buf;
	assert_true(strncmp(s, "latest: Pulling from library/busybox\n", 37) == 0);
	s += 37;
	assert_true(strncmp(s, "\n\033[1A\033[2K\raaa: Pulling fs layer \r\033[1B", 37) == 0);
	s += 37;
	assert_true(strncmp(s, "\n\033[1A\033[2K\rbbb: Pulling fs layer \r\033[1B", 37) == 0);
	s += 37;
	/* aaa is two lines up now; the bar is drawn at width 120 */
	assert_non_null(strstr(s, "\033[2A\033[2K\raaa: Downloading "
	                          "[>                                                  ]  "
	                          "7.692kB/772.8kB\r\033[2B"));
	assert_non_null(strstr(s, "\033[2A\033[2K\raaa: Pull complete \r\033[2B"));
	assert_non_null(strstr(s, "\033[1A\033[2K\rbbb: Already exists \r\033[1B"));
	/* a message without progress starts a new block */
	assert_non_null(strstr(s, "\033[1BDigest: sha256:1234\nStatus: Downloaded newer image "
	                          "for busybox:latest\n"));
	assert_null(strstr(c.buf, "Tag")); /* aux is not shown */
	free(c.buf);

	/* narrow: no bar */
	c = (struct capture){0};
	assert_int_equal(render(PROGRESS_TTY, 80, &c, NULL), 0);
	assert_non_null(strstr(c.buf, "aaa: Downloading  7.692kB/772.8kB\r"));
	assert_null(strstr(c.buf, "[>"));
	free(c.buf);
}

static void test_error(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL, *err2 = NULL;
	struct progress *p;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const char *e1 = "{\"errorDetail\":{\"message\":\"manifest unknown: x\"},\"error\":\"x\"}";
	const char *e2 = "{\"error\":\"only the old field\"}";
	const char *e3 = "{\"stream\":\"Step 1\\n\"}";

	p = progress_new(f, PROGRESS_QUIET, 0);
	assert_int_equal(progress_line(e1, strlen(e1), p, &err), -EIO);
	assert_string_equal(error_message(err), "manifest unknown: x");
	assert_int_equal(progress_line(e2, strlen(e2), p, &err2), -EIO);
	assert_string_equal(error_message(err2), "only the old field");
	progress_free(p);
	/* not JSON: printed as is; an empty line: nothing */
	p = progress_new(f, PROGRESS_PLAIN, 0);
	assert_int_equal(progress_line("plain text", 10, p, NULL), 0);
	assert_int_equal(progress_line("", 0, p, NULL), 0);
	assert_int_equal(progress_line(e3, strlen(e3), p, NULL), 0);
	progress_free(p);
	fclose(f);
	assert_string_equal(buf, "plain text\nStep 1\n");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_plain),
	        cmocka_unit_test(test_quiet),
	        cmocka_unit_test(test_tty),
	        cmocka_unit_test(test_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
