/* cmd_transfer.c — husk save, load, import: image archives to and from
 * files, streamed through the daemon. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/client.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "cli/cli.h"

/* "&key=<escaped value>" appended to sb. */
static int query_add(struct strbuf *sb, const char *key, const char *value)
{
	_cleanup_free_ char *e = api_client_escape(value);

	if (!e)
		return -ENOMEM;
	return strbuf_printf(sb, "%c%s=%s", strchr(sb->buf ?: "", '?') ? '&' : '?', key, e);
}

/* The daemon's JSON lines: "stream" and "status" text is printed, an
 * "errorDetail" ends the command with its message. */
static int print_line(const char *line, size_t len, void *data, struct husk_error **err)
{
	struct cli *cli = data;
	_cleanup_json_ json_t *j = json_loadb(line, len, 0, NULL);
	json_t *detail = json_object_get(j, "errorDetail");
	const char *s;

	if (!j)
		return len ? (fprintf(cli->out, "%.*s\n", (int)len, line), 0) : 0;
	if (detail || json_object_get(j, "error")) {
		s = json_string_value(json_object_get(detail, "message"));
		if (!s)
			s = json_string_value(json_object_get(j, "error"));
		return error_set(err, EIO, "%s", s ? s : "unknown error");
	}
	if ((s = json_string_value(json_object_get(j, "stream"))))
		fputs(s, cli->out);
	else if ((s = json_string_value(json_object_get(j, "status"))))
		fprintf(cli->out, "%s\n", s);
	fflush(cli->out);
	return 0;
}

/* ---- save ---- */

/* Write the download to a temp file next to path, renamed over it once
 * complete, so that a failed save leaves no half archive behind. */
static int save_to_file(struct api_client *c, const char *query, const char *path,
                        struct husk_error **err)
{
	_cleanup_free_ char *dir = path_dirname(path), *tmp = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	if (!dir || !(tmp = str_printf("%s/.husk-save-XXXXXX", dir)))
		return error_set(err, ENOMEM, "out of memory");
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return error_set(err, ENOENT,
		                 "failed to save image: invalid output path: directory \"%s\" does "
		                 "not exist",
		                 dir);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return error_set_errno(err, errno, "failed to save image: create \"%s\"", tmp);
	r = api_client_download(c, query, fd, err);
	if (r == 0 && (fchmod(fd, 0644) < 0 || fsync(fd) < 0 || rename(tmp, path) < 0))
		r = error_set_errno(err, errno, "failed to save image: write \"%s\"", path);
	if (r < 0)
		unlink(tmp);
	return r;
}

int cmd_save(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
             struct husk_error **err)
{
	const char *output = flags_string(f, "output"), *format = flags_string(f, "format");
	struct api_client *c = NULL;
	struct strbuf q = {0};
	int r = 0;

	if (!isempty(format) && !streq(format, "docker") && !streq(format, "oci") &&
	    !streq(format, "docker-archive") && !streq(format, "oci-archive"))
		return error_set(err, EINVAL, "invalid format \"%s\": expected docker or oci",
		                 format);
	if (isempty(output) && isatty(STDOUT_FILENO))
		return error_set(err, EINVAL,
		                 "cowardly refusing to save to a terminal. Use the -o flag or "
		                 "redirect");
	r = strbuf_puts(&q, "/images/get");
	STRV_FOREACH (n, flags_args(f))
		if (r == 0)
			r = query_add(&q, "names", *n);
	if (r == 0 && !isempty(format) && !startswith(format, "docker"))
		r = query_add(&q, "format", "oci");
	if (r < 0) {
		strbuf_release(&q);
		return error_set(err, ENOMEM, "out of memory");
	}
	r = cli_connect(cli, &c, err);
	if (r == 0 && isempty(output)) {
		fflush(cli->out);
		r = api_client_download(c, q.buf, STDOUT_FILENO, err);
	} else if (r == 0)
		r = save_to_file(c, q.buf, output, err);
	strbuf_release(&q);
	return r;
}

/* ---- load ---- */

int cmd_load(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
             struct husk_error **err)
{
	const char *input = flags_string(f, "input");
	const char *path = flags_bool(f, "quiet") ? "/images/load?quiet=1" : "/images/load?quiet=0";
	_cleanup_close_ int fd = -1;
	struct api_client *c = NULL;
	int r;

	if (isempty(input) && isatty(STDIN_FILENO))
		return error_set(err, EINVAL, "requested load from stdin, but stdin is empty");
	if (!isempty(input) && (fd = open(input, O_RDONLY | O_CLOEXEC)) < 0)
		return error_set_errno(err, errno, "open %s", input);
	r = cli_connect(cli, &c, err);
	if (r < 0)
		return r;
	return api_client_upload(c, "POST", path, fd >= 0 ? fd : STDIN_FILENO, "application/x-tar",
	                         print_line, cli, NULL, err);
}

/* ---- import ---- */

int cmd_import(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
               struct husk_error **err)
{
	char *const *args = flags_args(f);
	const char *src = args[0], *ref = args[1], *message = flags_string(f, "message");
	_cleanup_close_ int fd = -1;
	struct api_client *c = NULL;
	struct strbuf q = {0};
	int r;

	if (startswith(src, "http://") || startswith(src, "https://"))
		return error_set(err, EINVAL, "import from a URL (\"%s\") is not supported", src);
	if (!streq(src, "-") && (fd = open(src, O_RDONLY | O_CLOEXEC)) < 0)
		return error_set_errno(err, errno, "open %s", src);
	r = strbuf_puts(&q, "/images/create");
	if (r == 0)
		r = query_add(&q, "fromSrc", "-");
	if (r == 0 && !isempty(ref))
		r = query_add(&q, "repo", ref);
	if (r == 0 && !isempty(message))
		r = query_add(&q, "message", message);
	STRV_FOREACH (ch, flags_list(f, "change"))
		if (r == 0)
			r = query_add(&q, "changes", *ch);
	if (r < 0) {
		strbuf_release(&q);
		return error_set(err, ENOMEM, "out of memory");
	}
	r = cli_connect(cli, &c, err);
	if (r == 0)
		r = api_client_upload(c, "POST", q.buf, fd >= 0 ? fd : STDIN_FILENO,
		                      "application/x-tar", print_line, cli, NULL, err);
	strbuf_release(&q);
	return r;
}
