/* cli.c — global flags, command lookup, help and error reporting. */
#include <string.h>

#include "api/client.h"
#include "base/json.h"
#include "base/str.h"
#include "cli/cli.h"
#include "cli/table.h"
#include "husk-config.h"

#define DEFAULT_EXEC_ROOT "/run/husk"
#define DEFAULT_DATA_ROOT "/var/lib/husk"

static const struct cli_command *find(const struct cli_command *table, const char *name)
{
	for (const struct cli_command *c = table; c && c->name; c++)
		if (streq(c->name, name))
			return c;
	return NULL;
}

static void print_group(FILE *out, const struct cli_command *table, const char *group,
                        const char *title)
{
	bool any = false;

	for (const struct cli_command *c = table; c->name; c++) {
		if (!streq_ptr(c->group, group))
			continue;
		if (!any)
			fprintf(out, "%s:\n", title);
		any = true;
		fprintf(out, "  %-11s %s\n", c->name, c->summary);
	}
	if (any)
		fputc('\n', out);
}

static void main_usage(FILE *out)
{
	fprintf(out, "\nUsage:  husk [OPTIONS] COMMAND\n\nA self-sufficient runtime for "
	             "containers\n\n");
	print_group(out, cli_commands, "common", "Common Commands");
	print_group(out, cli_commands, "management", "Management Commands");
	print_group(out, cli_commands, NULL, "Commands");
	fprintf(out, "Global Options:\n");
	flags_print_usage(out, cli_global_flags);
	fprintf(out, "\nRun 'husk COMMAND --help' for more information on a command.\n");
}

static void command_usage(FILE *out, const char *path, const struct cli_command *c)
{
	fprintf(out, "\nUsage:  husk %s %s\n\n%s\n\n", path, c->args, c->summary);
	if (c->subcommands) {
		print_group(out, c->subcommands, NULL, "Commands");
		fprintf(out, "Run 'husk %s COMMAND --help' for more information on a command.\n",
		        path);
		return;
	}
	if (c->flags && c->flags->name) {
		fprintf(out, "Options:\n");
		flags_print_usage(out, c->flags);
	}
}

static int usage_error(struct cli *cli, const char *path, const char *msg)
{
	fprintf(cli->errout, "husk: %s\n\nRun 'husk %s%s--help' for more information\n", msg,
	        path ? path : "", path ? " " : "");
	return CLI_EXIT_USAGE;
}

static int check_nargs(struct cli *cli, const char *path, const struct cli_command *c,
                       const struct flags *f)
{
	int n = flags_nargs(f);
	_cleanup_free_ char *msg = NULL;

	if (n >= c->min_args && (c->max_args < 0 || n <= c->max_args))
		return 0;
	if (c->max_args == 0)
		msg = str_printf("\"husk %s\" accepts no arguments.", path);
	else if (c->min_args == c->max_args)
		msg = str_printf("\"husk %s\" requires exactly %d argument%s.", path, c->min_args,
		                 c->min_args == 1 ? "" : "s");
	else if (n < c->min_args)
		msg = str_printf("\"husk %s\" requires at least %d argument%s.", path, c->min_args,
		                 c->min_args == 1 ? "" : "s");
	else
		msg = str_printf("\"husk %s\" requires at most %d argument%s.", path, c->max_args,
		                 c->max_args == 1 ? "" : "s");
	fprintf(cli->errout, "%s\nSee 'husk %s --help'.\n\nUsage:  husk %s %s\n\n%s\n",
	        msg ? msg : "wrong number of arguments", path, path, c->args, c->summary);
	return CLI_EXIT_USAGE;
}

/* Run command c with its arguments (argv[0] is the first after its name). */
static int run_command(struct cli *cli, const char *path, const struct cli_command *c, int argc,
                       char **argv)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_(flags_freep) struct flags *f = NULL;
	int r;

	if (c->subcommands) {
		const struct cli_command *sub = argc > 0 ? find(c->subcommands, argv[0]) : NULL;
		if (!sub) {
			bool help = argc == 0 || streq(argv[0], "--help") || streq(argv[0], "-h");
			command_usage(help ? cli->out : cli->errout, path, c);
			if (help)
				return argc == 0 ? CLI_EXIT_ERROR : 0;
			fprintf(cli->errout, "\nhusk: unknown command \"%s %s\"\n", path, argv[0]);
			return CLI_EXIT_USAGE;
		}
		_cleanup_free_ char *subpath = str_printf("%s %s", path, sub->name);
		return run_command(cli, subpath ? subpath : sub->name, sub, argc - 1, argv + 1);
	}
	if (flags_parse(c->flags, argc, argv, c->mode, &f, &err) < 0)
		return usage_error(cli, path, error_message(err));
	if (flags_help(f)) {
		command_usage(cli->out, path, c);
		return 0;
	}
	r = check_nargs(cli, path, c, f);
	if (r != 0)
		return r;
	r = c->run(cli, c, f, &err);
	if (r < 0) {
		fprintf(cli->errout, "%s\n", error_message(err));
		return CLI_EXIT_ERROR;
	}
	return r;
}

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return isempty(v) ? def : v;
}

/* -H, then HUSK_HOST, then DOCKER_HOST, then the local default socket. */
static int resolve_host(struct cli *cli, const struct flags *g)
{
	char *const *hosts = flags_list(g, "host");
	size_t n = strv_length(hosts);

	cli->exec_root = env_or("HUSK_EXEC_ROOT", DEFAULT_EXEC_ROOT);
	cli->data_root = env_or("HUSK_DATA_ROOT", DEFAULT_DATA_ROOT);
	cli->default_host = str_printf("unix://%s/husk.sock", cli->exec_root);
	if (!cli->default_host)
		return -ENOMEM;
	if (n > 1)
		return -E2BIG;
	cli->host = n ? hosts[0] : env_or("HUSK_HOST", env_or("DOCKER_HOST", NULL));
	cli->host_is_default = !cli->host;
	if (!cli->host)
		cli->host = cli->default_host;
	return 0;
}

int cli_connect(struct cli *cli, struct api_client **ret, struct husk_error **err)
{
	_cleanup_(api_client_freep) struct api_client *c = NULL;
	int r;

	if (cli->client) {
		*ret = cli->client;
		return 0;
	}
	c = api_client_new(cli->host, err);
	if (!c)
		return -EINVAL;
	r = api_client_ping(c, err);
	if ((r == -ECONNREFUSED || r == -ENOENT) && cli->host_is_default && geteuid() == 0 &&
	    isempty(getenv("HUSK_NO_AUTOSTART"))) {
		error_free(*err);
		*err = NULL;
		r = cli_autostart(cli, err);
		if (r == 0)
			r = api_client_ping(c, err);
	}
	if (r < 0)
		return r;
	*ret = cli->client = TAKE_PTR(c);
	return 0;
}

int cli_get(struct cli *cli, const char *path, json_t **ret, struct husk_error **err)
{
	struct api_client *c = NULL;
	int r = cli_connect(cli, &c, err);

	return r ?: api_client_call(c, "GET", path, NULL, NULL, ret, err);
}

static int dispatch(struct cli *cli, const struct flags *g)
{
	char *const *args = flags_args(g);
	const struct cli_command *c;
	int r;

	if (flags_bool(g, "version")) {
		fprintf(cli->out, "husk version %s, build %s\n", HUSK_VERSION, HUSK_GIT_COMMIT);
		return 0;
	}
	if (flags_help(g) || !args[0]) {
		main_usage(flags_help(g) ? cli->out : cli->errout);
		return flags_help(g) ? 0 : CLI_EXIT_ERROR;
	}
	r = resolve_host(cli, g);
	if (r == -E2BIG)
		return usage_error(cli, NULL, "specify only one -H");
	if (r < 0)
		return usage_error(cli, NULL, "out of memory");
	c = find(cli_commands, args[0]);
	if (!c) {
		fprintf(cli->errout,
		        "husk: unknown command: husk %s\n\nRun 'husk --help' for more "
		        "information\n",
		        args[0]);
		return CLI_EXIT_USAGE;
	}
	return run_command(cli, c->name, c, flags_nargs(g) - 1, (char **)args + 1);
}

int cli_main(int argc, char **argv)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_(flags_freep) struct flags *g = NULL;
	struct cli cli = {.out = stdout, .errout = stderr};
	int r;

	if (flags_parse(cli_global_flags, argc - 1, argv + 1, FLAGS_STOP_AT_FIRST_ARG, &g, &err) <
	    0)
		return usage_error(&cli, NULL, error_message(err));
	cli.debug = flags_bool(g, "debug");
	r = dispatch(&cli, g);
	api_client_free(cli.client);
	free(cli.default_host);
	fflush(cli.out);
	return r;
}

int cli_inspect_each(struct cli *cli, char *const *names, const char *path_fmt,
                     const char *missing_fmt, const char *fmt, const struct table_column *headers,
                     struct husk_error **err)
{
	_cleanup_json_ json_t *all = json_array();
	int status = 0;

	if (!all)
		return error_set(err, ENOMEM, "out of memory");
	STRV_FOREACH (name, names) {
		_cleanup_free_ char *e = api_client_escape(*name), *path = NULL;
		_cleanup_error_ struct husk_error *one = NULL;
		json_t *doc = NULL;

		path = e ? str_printf(path_fmt, e) : NULL;
		if (!path || cli_get(cli, path, &doc, &one) < 0) {
			if (path && missing_fmt)
				fprintf(cli->errout, missing_fmt, *name);
			else
				fprintf(cli->errout, "%s",
				        one ? error_message(one) : "out of memory");
			fputc('\n', cli->errout);
			status = 1;
			continue;
		}
		json_array_append_new(all, doc);
	}
	if (fmt) {
		int r = table_render(cli->out, fmt, NULL, headers, all, err);
		return r < 0 ? r : status;
	}
	_cleanup_free_ char *text = json_dumps(all, JSON_INDENT(4));
	fprintf(cli->out, "%s\n", text ? text : "[]");
	return status;
}

int cli_filters_query(char *const *list, char **ret, struct husk_error **err)
{
	_cleanup_json_ json_t *f = json_object();
	_cleanup_free_ char *text = NULL;

	*ret = NULL;
	if (!f)
		return error_set(err, ENOMEM, "out of memory");
	STRV_FOREACH (item, list) {
		const char *eq = strchr(*item, '=');
		_cleanup_free_ char *key = eq ? strndup(*item, eq - *item) : NULL;
		json_t *vals;

		if (!eq)
			return error_set(err, EINVAL, "bad format of filter (expected name=value)");
		if (!key)
			return error_set(err, ENOMEM, "out of memory");
		vals = json_object_get(f, key);
		if (!vals && json_object_set_new(f, key, vals = json_object()) < 0)
			return error_set(err, ENOMEM, "out of memory");
		json_object_set_new(vals, eq + 1, json_true());
	}
	text = json_compact(f);
	*ret = text ? (json_object_size(f) ? api_client_escape(text) : strdup("")) : NULL;
	return *ret ? 0 : error_set(err, ENOMEM, "out of memory");
}

int cli_remove_each(struct cli *cli, char *const *names, const char *path_fmt, const char *query,
                    bool ignore_missing, struct husk_error **err)
{
	struct api_client *c = NULL;
	int status = 0, r = cli_connect(cli, &c, err);

	if (r < 0)
		return r;
	STRV_FOREACH (name, names) {
		_cleanup_free_ char *e = api_client_escape(*name), *path = NULL, *full = NULL;
		_cleanup_error_ struct husk_error *one = NULL;

		path = e ? str_printf(path_fmt, e) : NULL;
		full = path ? str_printf("%s%s", path, query ? query : "") : NULL;
		r = full ? api_client_call(c, "DELETE", full, NULL, NULL, NULL, &one) : -ENOMEM;
		if (r == -ENOENT && ignore_missing)
			continue;
		if (r < 0) {
			fprintf(cli->errout, "%s\n", one ? error_message(one) : "out of memory");
			status = 1;
			continue;
		}
		fprintf(cli->out, "%s\n", *name);
	}
	return status;
}

int cli_prune(struct cli *cli, const char *what, char *const *filters, const char *warning,
              json_t **ret, struct husk_error **err)
{
	_cleanup_free_ char *query = NULL, *path = NULL;
	struct api_client *c = NULL;
	int r = cli_filters_query(filters, &query, err);

	if (r < 0)
		return r;
	if (warning) {
		char answer[16] = "";

		fprintf(cli->out, "%s\nAre you sure you want to continue? [y/N] ", warning);
		fflush(cli->out);
		if (!fgets(answer, sizeof(answer), stdin) || (answer[0] != 'y' && answer[0] != 'Y'))
			return 0;
	}
	path = str_printf("/%s/prune%s%s", what, *query ? "?filters=" : "", query);
	r = path ? cli_connect(cli, &c, err) : error_set(err, ENOMEM, "out of memory");
	r = r ?: api_client_call(c, "POST", path, NULL, NULL, ret, err);
	return r < 0 ? r : 1;
}

void cli_print_reclaimed(struct cli *cli, json_t *res)
{
	_cleanup_free_ char *size =
	        format_size((uint64_t)json_integer_value(json_object_get(res, "SpaceReclaimed")));

	fprintf(cli->out, "Total reclaimed space: %s\n", size ? size : "0B");
}
