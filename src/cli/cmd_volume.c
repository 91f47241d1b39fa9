/* cmd_volume.c — volume create, ls, inspect, rm, prune. */
#include "cli/cmd_volume.h"

#include <string.h>

#include "api/client.h"
#include "base/json.h"
#include "base/str.h"
#include "cli/table.h"

const struct flag_spec cli_volume_create_flags[] = {
        {"driver", 'd', FLAG_STRING, "local", "Specify volume driver name", NULL},
        {"label", 0, FLAG_LIST, NULL, "Set metadata for a volume", "list"},
        {"name", 0, FLAG_STRING, NULL, "Specify volume name", NULL},
        {"opt", 'o', FLAG_LIST, NULL, "Set driver specific options", "map"},
        {NULL, 0, 0, NULL, NULL, NULL},
};

const struct flag_spec cli_volume_ls_flags[] = {
        {"filter", 'f', FLAG_LIST, NULL, "Provide filter values (e.g. \"dangling=true\")",
         "filter"},
        {"format", 0, FLAG_STRING, NULL,
         "Format output using a custom template: 'table', 'table TEMPLATE', 'json', 'TEMPLATE'",
         NULL},
        {"quiet", 'q', FLAG_BOOL, NULL, "Only display volume names", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

const struct flag_spec cli_volume_inspect_flags[] = {
        {"format", 'f', FLAG_STRING, NULL, "Format output using a custom template", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

const struct flag_spec cli_volume_rm_flags[] = {
        {"force", 'f', FLAG_BOOL, NULL, "Force the removal of one or more volumes", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

const struct flag_spec cli_volume_prune_flags[] = {
        {"all", 'a', FLAG_BOOL, NULL, "Remove all unused volumes, not just anonymous ones", NULL},
        {"filter", 0, FLAG_LIST, NULL, "Provide filter values (e.g. \"label=<label>\")", "filter"},
        {"force", 'f', FLAG_BOOL, NULL, "Do not prompt for confirmation", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

static const struct table_column volume_headers[] = {
        {"Name", "VOLUME NAME"},
        {"Driver", "DRIVER"},
        {"Scope", "SCOPE"},
        {"Mountpoint", "MOUNTPOINT"},
        {"Labels", "LABELS"},
        {"Links", "LINKS"},
        {"Size", "SIZE"},
        {"CreatedAt", "CREATED AT"},
        {NULL, NULL},
};

/* "k=v" items (--label, --opt) → an object; "k" alone has the value "". */
static int kv_object(char *const *list, json_t **ret, struct husk_error **err)
{
	_cleanup_json_ json_t *o = json_object();

	if (!o)
		return error_set(err, ENOMEM, "out of memory");
	STRV_FOREACH (item, list) {
		const char *eq = strchr(*item, '=');
		_cleanup_free_ char *k = eq ? strndup(*item, eq - *item) : strdup(*item);

		if (!k || json_set(o, k, json_string(eq ? eq + 1 : "")) < 0)
			return error_set(err, ENOMEM, "out of memory");
	}
	*ret = TAKE_PTR(o);
	return 0;
}

int cmd_volume_create(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                      struct husk_error **err)
{
	_cleanup_json_ json_t *body = NULL, *labels = NULL, *opts = NULL, *vol = NULL;
	const char *name = flags_string(f, "name");
	struct api_client *c = NULL;
	int r;

	if (flags_nargs(f) == 1) {
		if (name && !streq(name, flags_args(f)[0]))
			return error_set(err, EINVAL,
			                 "conflicting options: either specify --name or provide "
			                 "positional arg, not both");
		name = flags_args(f)[0];
	}
	r = kv_object(flags_list(f, "label"), &labels, err);
	r = r ?: kv_object(flags_list(f, "opt"), &opts, err);
	if (r < 0)
		return r;
	body = json_pack("{s:s, s:s, s:O, s:O}", "Name", name ? name : "", "Driver",
	                 flags_string(f, "driver"), "DriverOpts", opts, "Labels", labels);
	if (!body)
		return error_set(err, ENOMEM, "out of memory");
	r = cli_connect(cli, &c, err);
	r = r ?: api_client_call(c, "POST", "/volumes/create", body, NULL, &vol, err);
	if (r < 0)
		return r;
	fprintf(cli->out, "%s\n", json_string_value(json_object_get(vol, "Name")) ?: "");
	return 0;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Labels as docker's formatter joins them: "a=1,b=2" (sorted). */
static char *labels_text(json_t *labels)
{
	_cleanup_strv_ char **v = strv_new();
	const char *k;
	json_t *val;

	if (!v)
		return NULL;
	json_object_foreach (labels, k, val) {
		_cleanup_free_ char *kv = str_printf("%s=%s", k, json_string_value(val) ?: "");
		if (!kv || strv_push(&v, kv) < 0)
			return NULL;
	}
	qsort(v, strv_length(v), sizeof(char *), compare_strings);
	return strv_join(v, ",");
}

static json_t *volume_rows(json_t *list)
{
	json_t *rows = json_array(), *vol;
	size_t i;

	json_array_foreach (list, i, vol) {
		_cleanup_free_ char *labels = labels_text(json_object_get(vol, "Labels"));
		json_t *usage = json_object_get(vol, "UsageData");
		_cleanup_free_ char *size = usage ? format_size((uint64_t)json_integer_value(
		                                            json_object_get(usage, "Size")))
		                                  : NULL;

		json_array_append_new(
		        rows,
		        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Name",
		                  json_string_value(json_object_get(vol, "Name")) ?: "", "Driver",
		                  json_string_value(json_object_get(vol, "Driver")) ?: "", "Scope",
		                  json_string_value(json_object_get(vol, "Scope")) ?: "",
		                  "Mountpoint",
		                  json_string_value(json_object_get(vol, "Mountpoint")) ?: "",
		                  "Labels", labels ? labels : "", "Links", "N/A", "Size",
		                  size ? size : "N/A", "CreatedAt",
		                  json_string_value(json_object_get(vol, "CreatedAt")) ?: ""));
	}
	return rows;
}

static int compare_rows(const void *a, const void *b)
{
	return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "Name")),
	              json_string_value(json_object_get(*(json_t *const *)b, "Name")));
}

int cmd_volume_ls(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                  struct husk_error **err)
{
	_cleanup_json_ json_t *res = NULL, *rows = NULL;
	_cleanup_free_ char *filters = NULL, *path = NULL;
	const char *fmt = flags_string(f, "format");
	int r = cli_filters_query(flags_list(f, "filter"), &filters, err);

	if (r < 0)
		return r;
	path = str_printf("/volumes%s%s", *filters ? "?filters=" : "", filters);
	r = path ? cli_get(cli, path, &res, err) : error_set(err, ENOMEM, "out of memory");
	if (r < 0)
		return r;
	rows = volume_rows(json_object_get(res, "Volumes"));
	/* docker sorts volumes by name */
	if (!rows || json_array_qsort(rows, compare_rows) < 0)
		return error_set(err, ENOMEM, "out of memory");
	if (flags_bool(f, "quiet"))
		fmt = "{{.Name}}";
	return table_render(cli->out, fmt, "table {{.Driver}}\t{{.Name}}", volume_headers, rows,
	                    err);
}

int cmd_volume_inspect(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                       struct husk_error **err)
{
	return cli_inspect_each(cli, flags_args(f), "/volumes/%s", NULL, flags_string(f, "format"),
	                        volume_headers, err);
}

int cmd_volume_rm(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                  struct husk_error **err)
{
	return cli_remove_each(cli, flags_args(f), "/volumes/%s",
	                       flags_bool(f, "force") ? "?force=1" : "", false, err);
}

int cmd_volume_prune(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                     struct husk_error **err)
{
	_cleanup_json_ json_t *res = NULL;
	_cleanup_free_ char *warning = NULL;
	_cleanup_strv_ char **list = strv_copy(flags_list(f, "filter"));
	json_t *d;
	size_t i;
	int r;

	if (!list || (flags_bool(f, "all") && strv_push(&list, "all=true") < 0))
		return error_set(err, ENOMEM, "out of memory");
	warning = str_printf("WARNING! This will remove %s local volumes not used by at least one "
	                     "container.",
	                     flags_bool(f, "all") ? "all" : "anonymous");
	if (!warning)
		return error_set(err, ENOMEM, "out of memory");
	r = cli_prune(cli, "volumes", list, flags_bool(f, "force") ? NULL : warning, &res, err);
	if (r <= 0)
		return r;
	if (json_array_size(json_object_get(res, "VolumesDeleted"))) {
		fprintf(cli->out, "Deleted Volumes:\n");
		json_array_foreach (json_object_get(res, "VolumesDeleted"), i, d)
			fprintf(cli->out, "%s\n", json_string_value(d));
		fprintf(cli->out, "\n");
	}
	cli_print_reclaimed(cli, res);
	return 0;
}
