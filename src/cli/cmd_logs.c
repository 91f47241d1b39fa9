/* cmd_logs.c — husk logs: inspect (a tty's log is raw, else framed), then
 * GET /containers/<id>/logs with docker's query, written out as it comes. */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "cli/cmd_container.h"

#define LOGS_BUF (64u << 10)

const struct flag_spec cli_logs_flags[] = {
        {"details", 0, FLAG_BOOL, NULL, "Show extra details provided to logs", NULL},
        {"follow", 'f', FLAG_BOOL, NULL, "Follow log output", NULL},
        {"since", 0, FLAG_STRING, NULL,
         "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for "
         "42 minutes)",
         NULL},
        {"tail", 'n', FLAG_STRING, "all", "Number of lines to show from the end of the logs", NULL},
        {"timestamps", 't', FLAG_BOOL, NULL, "Show timestamps", NULL},
        {"until", 0, FLAG_STRING, NULL,
         "Show logs before a timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" "
         "for 42 minutes)",
         NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

/* The query in Go's url.Values order (sorted keys). */
static char *logs_query(const struct flags *f, struct husk_error **err)
{
	int64_t now = time(NULL);
	const char *since = flags_string(f, "since"), *until = flags_string(f, "until");
	_cleanup_free_ char *s = NULL, *u = NULL,
	                    *tail = cli_escape(flags_string(f, "tail") ?: "all");
	struct strbuf q = {0};

	if (!isempty(since) && !(s = parse_log_timestamp(since, now, err)))
		return NULL;
	if (!isempty(until) && !(u = parse_log_timestamp(until, now, err)))
		return NULL;
	if (!tail) {
		error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	if (flags_bool(f, "details"))
		strbuf_puts(&q, "details=1&");
	if (flags_bool(f, "follow"))
		strbuf_puts(&q, "follow=1&");
	if (s)
		strbuf_printf(&q, "since=%s&", s);
	strbuf_printf(&q, "stderr=1&stdout=1&tail=%s", tail);
	if (flags_bool(f, "timestamps"))
		strbuf_puts(&q, "&timestamps=1");
	if (u)
		strbuf_printf(&q, "&until=%s", u);
	return strbuf_steal(&q);
}

int cmd_logs(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
             struct husk_error **err)
{
	_cleanup_json_ json_t *info = NULL;
	_cleanup_free_ char *query = NULL, *path = NULL, *buf = malloc(LOGS_BUF);
	_cleanup_(api_conn_freep) struct api_conn *conn = NULL;
	struct cli_demux demux = {0};
	struct api_client *c = NULL;
	bool tty;
	ssize_t n;
	int r = cli_container_inspect(cli, flags_args(f)[0], &info, err);

	if (r < 0)
		return r;
	if (!buf)
		return error_set(err, ENOMEM, "out of memory");
	query = logs_query(f, err);
	if (!query)
		return -EINVAL;
	tty = json_is_true(json_object_get(json_object_get(info, "Config"), "Tty"));
	path = str_printf("/containers/%s/logs?%s", json_string_value(json_object_get(info, "Id")),
	                  query);
	if (!path)
		return error_set(err, ENOMEM, "out of memory");
	r = cli_connect(cli, &c, err);
	r = r ?: api_client_open(c, "GET", path, NULL, NULL, &conn, err);
	if (r < 0)
		return r;
	fflush(cli->out);
	while ((n = api_conn_read(conn, buf, LOGS_BUF, err)) > 0) {
		r = tty ? write_all(STDOUT_FILENO, buf, (size_t)n) : 0;
		if (r < 0)
			return error_set_errno(err, -r, "write the logs");
		if (!tty && cli_demux_feed(&demux, buf, (size_t)n, err) < 0) {
			strbuf_release(&demux.syserr);
			return -EIO;
		}
	}
	if (n < 0) {
		strbuf_release(&demux.syserr);
		return (int)n;
	}
	return cli_demux_finish(&demux, err);
}
