/* cmd_exec.c — husk exec: inspect the container, POST exec create, start
 * it hijacked (or detached with -d), stream, resize a tty, and exit with
 * the ExitCode of GET /exec/<id>/json, as docker's RunExec. */
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "cli/cmd_container.h"

#define ENV_FILE_MAX (1u << 20)

const struct flag_spec cli_exec_flags[] = {
        {"detach", 'd', FLAG_BOOL, NULL, "Detached mode: run command in the background", NULL},
        {"detach-keys", 0, FLAG_STRING, NULL, "Override the key sequence for detaching a container",
         NULL},
        {"env", 'e', FLAG_LIST, NULL, "Set environment variables", "list"},
        {"env-file", 0, FLAG_LIST, NULL, "Read in a file of environment variables", "list"},
        {"interactive", 'i', FLAG_BOOL, NULL, "Keep STDIN open even if not attached", NULL},
        {"privileged", 0, FLAG_BOOL, NULL, "Give extended privileges to the command", NULL},
        {"tty", 't', FLAG_BOOL, NULL, "Allocate a pseudo-TTY", NULL},
        {"user", 'u', FLAG_STRING, NULL, "Username or UID (format: \"<name|uid>[:<group|gid>]\")",
         NULL},
        {"workdir", 'w', FLAG_STRING, NULL, "Working directory inside the container", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

/* --env-file lines (KEY=VALUE; a bare KEY from our environment), then -e. */
static json_t *exec_env(const struct flags *f, struct husk_error **err)
{
	_cleanup_strv_ char **env = strv_new();

	if (!env)
		return error_set(err, ENOMEM, "out of memory"), NULL;
	STRV_FOREACH (file, flags_list(f, "env-file")) {
		_cleanup_free_ char *text = NULL;
		_cleanup_strv_ char **lines = NULL;
		if (read_file(*file, ENV_FILE_MAX, &text, NULL, err) < 0)
			return NULL;
		lines = strv_split(text, "\n");
		STRV_FOREACH (l, lines) {
			char *line = *l + strspn(*l, " \t");
			line[strcspn(line, "\r")] = 0;
			if (!*line || *line == '#')
				continue;
			const char *v = strchr(line, '=') ? NULL : getenv(line);
			_cleanup_free_ char *kv = v ? str_printf("%s=%s", line, v) : NULL;
			if ((strchr(line, '=') || kv) && strv_push(&env, kv ?: line) < 0)
				return error_set(err, ENOMEM, "out of memory"), NULL;
		}
	}
	STRV_FOREACH (e, flags_list(f, "env")) {
		const char *v = strchr(*e, '=') ? NULL : getenv(*e);
		_cleanup_free_ char *kv = v ? str_printf("%s=%s", *e, v) : strdup(*e);
		if (!kv || strv_push(&env, kv) < 0)
			return error_set(err, ENOMEM, "out of memory"), NULL;
	}
	return *env ? json_from_strv(env) : json_null();
}

/* [rows, cols] when we have a terminal (sent at API >= 1.42). */
static json_t *console_size(bool tty)
{
	struct winsize ws = {0};

	if (!tty || !isatty(STDOUT_FILENO) || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0)
		return NULL;
	return json_pack("[i,i]", ws.ws_row, ws.ws_col);
}

static json_t *exec_body(struct api_client *c, const struct flags *f, json_t *env)
{
	bool detach = flags_bool(f, "detach"), tty = flags_bool(f, "tty");
	json_t *b = json_object(), *size = api_client_version(c) >= 142 ? console_size(tty) : NULL;

	if (!b)
		return NULL;
	json_object_set_new(b, "User", json_string(flags_string(f, "user") ?: ""));
	json_object_set_new(b, "Privileged", json_boolean(flags_bool(f, "privileged")));
	json_object_set_new(b, "Tty", json_boolean(tty));
	if (size)
		json_object_set_new(b, "ConsoleSize", size);
	json_object_set_new(b, "AttachStdin",
	                    json_boolean(flags_bool(f, "interactive") && !detach));
	json_object_set_new(b, "AttachStderr", json_boolean(!detach));
	json_object_set_new(b, "AttachStdout", json_boolean(!detach));
	json_object_set_new(b, "Detach", json_boolean(detach));
	json_object_set_new(b, "DetachKeys", json_string(flags_string(f, "detach-keys") ?: ""));
	json_object_set(b, "Env", env);
	json_object_set_new(b, "WorkingDir", json_string(flags_string(f, "workdir") ?: ""));
	json_object_set_new(b, "Cmd", json_from_strv((char **)flags_args(f) + 1));
	return b;
}

static int exec_attached(struct cli *cli, struct api_client *c, const struct flags *f,
                         const char *id, struct husk_error **err)
{
	bool tty = flags_bool(f, "tty"), in = flags_bool(f, "interactive");
	_cleanup_free_ char *path = str_printf("/exec/%s/start", id);
	_cleanup_free_ char *base = str_printf("/exec/%s", id), *json_path = NULL;
	_cleanup_json_ json_t *body = NULL, *info = NULL;
	_cleanup_(api_conn_freep) struct api_conn *conn = NULL;
	_cleanup_(cli_stream_freep) struct cli_stream *st = NULL;
	json_t *size = api_client_version(c) >= 142 ? console_size(tty) : NULL;
	int r;

	body = json_pack("{s:b, s:b}", "Detach", 0, "Tty", tty);
	if (!path || !base || !body)
		return error_set(err, ENOMEM, "out of memory");
	if (size)
		json_object_set_new(body, "ConsoleSize", size);
	r = api_client_hijack(c, path, body, &conn, err);
	if (r < 0)
		return r;
	struct cli_stream_opts o = {.tty = tty,
	                            .send_stdin = in,
	                            .detach_keys = flags_string(f, "detach-keys"),
	                            .resize_base = tty ? base : NULL};
	st = cli_stream_new(cli, conn, &o, err);
	if (!st)
		return -EIO;
	cli_stream_resize(st);
	r = cli_stream_pump(st, err);
	cli_stream_free(TAKE_PTR(st));
	if (r < 0 || r == CLI_STREAM_DETACHED)
		return r < 0 ? r : 0;
	if (r > 0)
		return r;
	json_path = str_printf("/exec/%s/json", id);
	r = json_path ? api_client_call(c, "GET", json_path, NULL, NULL, &info, err)
	              : error_set(err, ENOMEM, "out of memory");
	if (r < 0)
		return r;
	return (int)json_integer_value(json_object_get(info, "ExitCode"));
}

int cmd_exec(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
             struct husk_error **err)
{
	const char *name = flags_args(f)[0];
	_cleanup_json_ json_t *info = NULL, *env = NULL, *body = NULL, *res = NULL;
	_cleanup_free_ char *e = cli_escape(name), *path = NULL, *start = NULL;
	struct api_client *c = NULL;
	const char *id;
	int r;

	if (flags_bool(f, "tty") && flags_bool(f, "interactive") && !flags_bool(f, "detach") &&
	    !isatty(STDIN_FILENO))
		return error_set(err, ENOTTY, "the input device is not a TTY");
	r = cli_container_inspect(cli, name, &info, err);
	if (r < 0)
		return r;
	env = exec_env(f, err);
	if (!env)
		return -EINVAL;
	r = cli_connect(cli, &c, err);
	if (r < 0)
		return r;
	body = exec_body(c, f, env);
	path = e ? str_printf("/containers/%s/exec", e) : NULL;
	if (!body || !path)
		return error_set(err, ENOMEM, "out of memory");
	r = api_client_call(c, "POST", path, body, NULL, &res, err);
	if (r < 0)
		return r;
	id = json_string_value(json_object_get(res, "Id"));
	if (!id)
		return error_set(err, EPROTO, "the daemon's exec create answer has no Id");
	if (!flags_bool(f, "detach"))
		return exec_attached(cli, c, f, id, err);
	start = str_printf("/exec/%s/start", id);
	json_decref(body);
	body = json_pack("{s:b, s:b}", "Detach", 1, "Tty", flags_bool(f, "tty"));
	if (!start || !body)
		return error_set(err, ENOMEM, "out of memory");
	return api_client_call(c, "POST", start, body, NULL, NULL, err);
}
