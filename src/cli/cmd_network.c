/* cmd_network.c — network create, ls, inspect, rm, prune, connect,
 * disconnect: docker's flags, columns and messages, over /networks. */
#include "cli/cmd_network.h"

#include <string.h>

#include "api/client.h"
#include "base/json.h"
#include "base/str.h"
#include "cli/cmd_volume.h"
#include "cli/table.h"

const struct flag_spec cli_network_create_flags[] = {
        {"attachable", 0, FLAG_BOOL, NULL, "Enable manual container attachment", NULL},
        {"driver", 'd', FLAG_STRING, "bridge", "Driver to manage the Network", NULL},
        {"gateway", 0, FLAG_LIST, NULL, "IPv4 or IPv6 Gateway for the master subnet", "strings"},
        {"internal", 0, FLAG_BOOL, NULL, "Restrict external access to the network", NULL},
        {"ip-range", 0, FLAG_LIST, NULL, "Allocate container ip from a sub-range", "strings"},
        {"label", 0, FLAG_LIST, NULL, "Set metadata on a network", "list"},
        {"opt", 'o', FLAG_LIST, NULL, "Set driver specific options", "map"},
        {"subnet", 0, FLAG_LIST, NULL, "Subnet in CIDR format that represents a network segment",
         "strings"},
        {NULL, 0, 0, NULL, NULL, NULL},
};

const struct flag_spec cli_network_ls_flags[] = {
        {"filter", 'f', FLAG_LIST, NULL, "Provide filter values (e.g. \"driver=bridge\")",
         "filter"},
        {"format", 0, FLAG_STRING, NULL,
         "Format output using a custom template: 'table', 'table TEMPLATE', 'json', 'TEMPLATE'",
         NULL},
        {"no-trunc", 0, FLAG_BOOL, NULL, "Do not truncate the output", NULL},
        {"quiet", 'q', FLAG_BOOL, NULL, "Only display network IDs", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

const struct flag_spec cli_network_inspect_flags[] = {
        {"format", 'f', FLAG_STRING, NULL, "Format output using a custom template", NULL},
        {"verbose", 'v', FLAG_BOOL, NULL, "Verbose output for diagnostics", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

const struct flag_spec cli_network_rm_flags[] = {
        {"force", 'f', FLAG_BOOL, NULL, "Do not error if the network does not exist", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

const struct flag_spec cli_network_prune_flags[] = {
        {"filter", 0, FLAG_LIST, NULL, "Provide filter values (e.g. \"until=<timestamp>\")",
         "filter"},
        {"force", 'f', FLAG_BOOL, NULL, "Do not prompt for confirmation", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

const struct flag_spec cli_network_connect_flags[] = {
        {"alias", 0, FLAG_LIST, NULL, "Add network-scoped alias for the container", "strings"},
        {"ip", 0, FLAG_STRING, NULL, "IPv4 address (e.g., \"172.30.100.104\")", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

const struct flag_spec cli_network_disconnect_flags[] = {
        {"force", 'f', FLAG_BOOL, NULL, "Force the container to disconnect from a network", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

static const struct table_column network_headers[] = {
        {"ID", "NETWORK ID"}, {"Name", "NAME"},         {"Driver", "DRIVER"},
        {"Scope", "SCOPE"},   {"IPv6", "IPV6"},         {"Internal", "INTERNAL"},
        {"Labels", "LABELS"}, {"CreatedAt", "CREATED"}, {NULL, NULL},
};

static int kv_labels(char *const *list, json_t **ret, struct husk_error **err)
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

/* --subnet/--gateway/--ip-range pair up in order, as docker pairs them. */
static int ipam_config(const struct flags *f, json_t **ret, struct husk_error **err)
{
	char *const *subnets = flags_list(f, "subnet"), *const *gws = flags_list(f, "gateway");
	char *const *ranges = flags_list(f, "ip-range");
	_cleanup_json_ json_t *cfg = json_array();
	size_t ns = strv_length(subnets);

	if (!cfg)
		return error_set(err, ENOMEM, "out of memory");
	if (strv_length(gws) > ns)
		return error_set(err, EINVAL, "every gateway must have a corresponding subnet");
	if (strv_length(ranges) > ns)
		return error_set(err, EINVAL, "every ip-range must have a corresponding subnet");
	for (size_t i = 0; i < ns; i++) {
		json_t *c = json_pack("{s:s}", "Subnet", subnets[i]);
		if (!c)
			return error_set(err, ENOMEM, "out of memory");
		if (i < strv_length(gws))
			json_object_set_new(c, "Gateway", json_string(gws[i]));
		if (i < strv_length(ranges))
			json_object_set_new(c, "IPRange", json_string(ranges[i]));
		json_array_append_new(cfg, c);
	}
	*ret = TAKE_PTR(cfg);
	return 0;
}

int cmd_network_create(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                       struct husk_error **err)
{
	_cleanup_json_ json_t *body = NULL, *labels = NULL, *opts = NULL, *cfg = NULL, *res = NULL;
	struct api_client *c = NULL;
	int r;

	r = kv_labels(flags_list(f, "label"), &labels, err);
	r = r ?: kv_labels(flags_list(f, "opt"), &opts, err);
	r = r ?: ipam_config(f, &cfg, err);
	if (r < 0)
		return r;
	body = json_pack("{s:s, s:s, s:b, s:b, s:O, s:O, s:{s:s, s:O, s:{}}, s:b}", "Name",
	                 flags_args(f)[0], "Driver", flags_string(f, "driver"), "Internal",
	                 flags_bool(f, "internal"), "Attachable", flags_bool(f, "attachable"),
	                 "Labels", labels, "Options", opts, "IPAM", "Driver", "default", "Config",
	                 cfg, "Options", "CheckDuplicate", 1);
	if (!body)
		return error_set(err, ENOMEM, "out of memory");
	r = cli_connect(cli, &c, err);
	r = r ?: api_client_call(c, "POST", "/networks/create", body, NULL, &res, err);
	if (r < 0)
		return r;
	fprintf(cli->out, "%s\n", json_string_value(json_object_get(res, "Id")) ?: "");
	return 0;
}

static json_t *network_rows(json_t *list, bool no_trunc)
{
	json_t *rows = json_array(), *net;
	size_t i;

	json_array_foreach (list, i, net) {
		const char *id = json_string_value(json_object_get(net, "Id")) ?: "";
		json_array_append_new(
		        rows,
		        json_pack("{s:s%, s:O, s:O, s:O, s:b, s:b, s:s, s:O}", "ID", id,
		                  no_trunc ? strlen(id) : (strlen(id) < 12 ? strlen(id) : 12),
		                  "Name", json_object_get(net, "Name"), "Driver",
		                  json_object_get(net, "Driver"), "Scope",
		                  json_object_get(net, "Scope"), "IPv6",
		                  json_is_true(json_object_get(net, "EnableIPv6")), "Internal",
		                  json_is_true(json_object_get(net, "Internal")), "Labels", "",
		                  "CreatedAt", json_object_get(net, "Created")));
	}
	return rows;
}

static int compare_rows(const void *a, const void *b)
{
	return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "Name")),
	              json_string_value(json_object_get(*(json_t *const *)b, "Name")));
}

int cmd_network_ls(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                   struct husk_error **err)
{
	_cleanup_json_ json_t *res = NULL, *rows = NULL;
	_cleanup_free_ char *filters = NULL, *path = NULL;
	const char *fmt = flags_string(f, "format");
	int r = cli_filters_query(flags_list(f, "filter"), &filters, err);

	if (r < 0)
		return r;
	path = str_printf("/networks%s%s", *filters ? "?filters=" : "", filters);
	r = path ? cli_get(cli, path, &res, err) : error_set(err, ENOMEM, "out of memory");
	if (r < 0)
		return r;
	rows = network_rows(res, flags_bool(f, "no-trunc"));
	if (!rows)
		return error_set(err, ENOMEM, "out of memory");
	/* docker lists networks by name */
	if (json_array_qsort(rows, compare_rows) < 0)
		return error_set(err, ENOMEM, "out of memory");
	if (flags_bool(f, "quiet"))
		fmt = "{{.ID}}";
	return table_render(cli->out, fmt, "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}",
	                    network_headers, rows, err);
}

int cmd_network_inspect(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                        struct husk_error **err)
{
	return cli_inspect_each(cli, flags_args(f), "/networks/%s", NULL, flags_string(f, "format"),
	                        network_headers, err);
}

int cmd_network_rm(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                   struct husk_error **err)
{
	return cli_remove_each(cli, flags_args(f), "/networks/%s", NULL, flags_bool(f, "force"),
	                       err);
}

int cmd_network_prune(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                      struct husk_error **err)
{
	_cleanup_json_ json_t *res = NULL;
	json_t *d;
	size_t i;
	int r = cli_prune(cli, "networks", flags_list(f, "filter"),
	                  flags_bool(f, "force")
	                          ? NULL
	                          : "WARNING! This will remove all custom networks not "
	                            "used by at least one container.",
	                  &res, err);

	if (r <= 0)
		return r;
	if (json_array_size(json_object_get(res, "NetworksDeleted"))) {
		fprintf(cli->out, "Deleted Networks:\n");
		json_array_foreach (json_object_get(res, "NetworksDeleted"), i, d)
			fprintf(cli->out, "%s\n", json_string_value(d));
	}
	return 0;
}

static int connect_call(struct cli *cli, const char *verb, const char *net, json_t *body,
                        struct husk_error **err)
{
	_cleanup_free_ char *e = api_client_escape(net), *path = NULL;
	struct api_client *c = NULL;
	int r;

	path = e ? str_printf("/networks/%s/%s", e, verb) : NULL;
	if (!path || !body)
		return error_set(err, ENOMEM, "out of memory");
	r = cli_connect(cli, &c, err);
	return r ?: api_client_call(c, "POST", path, body, NULL, NULL, err);
}

int cmd_network_connect(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                        struct husk_error **err)
{
	_cleanup_json_ json_t *aliases = json_from_strv(flags_list(f, "alias")), *body = NULL;
	const char *ip = flags_string(f, "ip");

	body = json_pack("{s:s, s:{s:O, s:{s:s?}}}", "Container", flags_args(f)[1],
	                 "EndpointConfig", "Aliases", aliases, "IPAMConfig", "IPv4Address", ip);
	return connect_call(cli, "connect", flags_args(f)[0], body, err);
}

int cmd_network_disconnect(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                           struct husk_error **err)
{
	_cleanup_json_ json_t *body = json_pack("{s:s, s:b}", "Container", flags_args(f)[1],
	                                        "Force", flags_bool(f, "force"));

	return connect_call(cli, "disconnect", flags_args(f)[0], body, err);
}
