/* cmd_ps.c — husk ps: GET /containers/json with docker's query, and the
 * rows docker's ContainerContext shows (ID, Image, Command, RunningFor,
 * Status, Ports, Names, Size, …) through the shared table/--format code. */
#include <string.h>
#include <time.h>

#include "base/json.h"
#include "base/str.h"
#include "cli/cmd_container.h"
#include "cli/table.h"
#include "cli/template.h"

const struct flag_spec cli_ps_flags[] = {
        {"all", 'a', FLAG_BOOL, NULL, "Show all containers (default shows just running)", NULL},
        {"filter", 'f', FLAG_LIST, NULL, "Filter output based on conditions provided", "filter"},
        {"format", 0, FLAG_STRING, NULL,
         "Format output using a custom template: 'table', 'table TEMPLATE', 'json', 'TEMPLATE'",
         NULL},
        {"last", 'n', FLAG_INT, "-1", "Show n last created containers (includes all states)", NULL},
        {"latest", 'l', FLAG_BOOL, NULL, "Show the latest created container (includes all states)",
         NULL},
        {"no-trunc", 0, FLAG_BOOL, NULL, "Don't truncate output", NULL},
        {"quiet", 'q', FLAG_BOOL, NULL, "Only display container IDs", NULL},
        {"size", 's', FLAG_BOOL, NULL, "Display total file sizes", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

static const struct table_column ps_headers[] = {
        {"ID", "CONTAINER ID"},    {"Image", "IMAGE"},
        {"Command", "COMMAND"},    {"CreatedAt", "CREATED AT"},
        {"RunningFor", "CREATED"}, {"Ports", "PORTS"},
        {"State", "STATE"},        {"Status", "STATUS"},
        {"Size", "SIZE"},          {"Names", "NAMES"},
        {"Labels", "LABELS"},      {"Mounts", "MOUNTS"},
        {"Networks", "NETWORKS"},  {"LocalVolumes", "LOCAL VOLUMES"},
        {"Platform", "PLATFORM"},  {NULL, NULL},
};

#define PS_FORMAT                                                                                  \
	"table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t"      \
	"{{.Names}}"

/* ---- cells ---- */

/* formatter.Ellipsis: at most max characters (UTF-8 code points), the
 * last replaced by "…" when cut. */
static char *ellipsis(const char *s, size_t max)
{
	size_t chars = 0, cut = 0;

	for (const char *p = s; *p; p++)
		if (((unsigned char)*p & 0xc0) != 0x80) {
			if (chars == max - 1)
				cut = (size_t)(p - s);
			chars++;
		}
	if (chars <= max)
		return strdup(s);
	return str_printf("%.*s…", (int)cut, s);
}

/* strconv.Quote for the printable text a command is. */
static char *go_quote(const char *s)
{
	struct strbuf sb = {0};

	strbuf_puts(&sb, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			strbuf_printf(&sb, "\\%c", c);
		else if (c == '\n')
			strbuf_puts(&sb, "\\n");
		else if (c == '\t')
			strbuf_puts(&sb, "\\t");
		else if (c == '\r')
			strbuf_puts(&sb, "\\r");
		else if (c < 0x20 || c == 0x7f)
			strbuf_printf(&sb, "\\x%02x", c);
		else
			strbuf_append(&sb, &c, 1);
	}
	strbuf_puts(&sb, "\"");
	return strbuf_steal(&sb);
}

/* The ID docker's TruncateID makes: no "sha256:", 12 characters. */
static char *short_id(const char *id)
{
	const char *colon = id ? strchr(id, ':') : NULL;

	return strndup(colon ? colon + 1 : id ? id : "", 12);
}

static char *image_cell(json_t *c, bool trunc)
{
	const char *image = json_string_value(json_object_get(c, "Image")) ?: "";
	const char *image_id = json_string_value(json_object_get(c, "ImageID")) ?: "";
	_cleanup_free_ char *a = NULL, *b = NULL, *name = NULL;
	const char *at, *fam;

	if (!*image)
		return strdup("<no image>");
	if (!trunc)
		return strdup(image);
	a = short_id(image_id);
	b = short_id(image);
	if (a && b && *a && streq(a, b))
		return TAKE_PTR(a);
	at = strchr(image, '@');
	name = at ? strndup(image, at - image) : strdup(image);
	if (!name)
		return NULL;
	fam = startswith(name, "docker.io/library/") ?: startswith(name, "docker.io/") ?: name;
	return strdup(fam);
}

static char *names_cell(json_t *c, bool trunc)
{
	_cleanup_strv_ char **names = strv_new();
	json_t *n;
	size_t i;

	json_array_foreach (json_object_get(c, "Names"), i, n) {
		const char *s = json_string_value(n) ?: "";
		if (*s == '/')
			s++;
		if (trunc && !strchr(s, '/'))
			return strdup(s);
		if (strv_push(&names, s) < 0)
			return NULL;
	}
	return strv_join(names, ",");
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "k=v,…" for a map, keys sorted. */
static char *map_cell(json_t *m, bool keys_only)
{
	_cleanup_strv_ char **v = strv_new();
	const char *k;
	json_t *x;

	json_object_foreach (m, k, x)
		if (!v ||
		    strv_push_take(
		            &v, keys_only ? strdup(k)
		                          : str_printf("%s=%s", k, json_string_value(x) ?: "")) < 0)
			return NULL;
	qsort(v, strv_length(v), sizeof(*v), cmp_strp);
	return strv_join(v, ",");
}

static char *mounts_cell(json_t *c, bool trunc, int *ret_local)
{
	_cleanup_strv_ char **v = strv_new();
	json_t *m;
	size_t i;

	*ret_local = 0;
	json_array_foreach (json_object_get(c, "Mounts"), i, m) {
		const char *name = json_string_value(json_object_get(m, "Name"));
		if (isempty(name))
			name = json_string_value(json_object_get(m, "Source")) ?: "";
		if (streq(json_string_value(json_object_get(m, "Driver")), "local"))
			(*ret_local)++;
		if (!v || strv_push_take(&v, trunc ? ellipsis(name, 15) : strdup(name)) < 0)
			return NULL;
	}
	return strv_join(v, ",");
}

static char *size_cell(json_t *c)
{
	int64_t rw = json_integer_value(json_object_get(c, "SizeRw"));
	int64_t root = json_integer_value(json_object_get(c, "SizeRootFs"));
	_cleanup_free_ char *a = format_size((uint64_t)MAX(rw, 0));
	_cleanup_free_ char *b = format_size((uint64_t)MAX(root, 0));

	if (!a || !b)
		return NULL;
	return root > 0 ? str_printf("%s (virtual %s)", a, b) : strdup(a);
}

/* ---- ports, as formatter.DisplayablePorts ---- */

struct port {
	const char *ip, *type;
	int64_t priv, pub;
};

static int cmp_port(const void *pa, const void *pb)
{
	const struct port *a = pa, *b = pb;
	int r;

	if (a->priv != b->priv)
		return a->priv < b->priv ? -1 : 1;
	if ((r = strcmp(a->ip, b->ip)) != 0)
		return r;
	if (a->pub != b->pub)
		return a->pub < b->pub ? -1 : 1;
	return strcmp(a->type, b->type);
}

struct port_group {
	char *key; /* "tcp" or "<ip>/tcp" */
	int64_t first, last;
};

static char *join_host_port(const char *ip, const char *port)
{
	return strchr(ip, ':') ? str_printf("[%s]:%s", ip, port) : str_printf("%s:%s", ip, port);
}

static char *group_text(const struct port_group *g)
{
	const char *slash = strrchr(g->key, '/');
	_cleanup_free_ char *range =
	        g->first == g->last
	                ? str_printf("%lld", (long long)g->first)
	                : str_printf("%lld-%lld", (long long)g->first, (long long)g->last);
	_cleanup_free_ char *ip = slash ? strndup(g->key, slash - g->key) : NULL;
	_cleanup_free_ char *hp = ip && range ? join_host_port(ip, range) : NULL;

	if (!range)
		return NULL;
	if (ip)
		return hp ? str_printf("%s->%s/%s", hp, range, slash + 1) : NULL;
	return str_printf("%s/%s", range, g->key);
}

static char *ports_cell(json_t *c)
{
	json_t *list = json_object_get(c, "Ports"), *p;
	size_t n = json_array_size(list), i, ng = 0;
	_cleanup_free_ struct port *ports = calloc(n + 1, sizeof(*ports));
	_cleanup_free_ struct port_group *groups = calloc(n + 1, sizeof(*groups));
	_cleanup_strv_ char **result = strv_new(), **mappings = strv_new();
	char *out = NULL;

	if (!ports || !groups || !result || !mappings)
		return NULL;
	json_array_foreach (list, i, p) {
		ports[i].ip = json_string_value(json_object_get(p, "IP")) ?: "";
		ports[i].type = json_string_value(json_object_get(p, "Type")) ?: "";
		ports[i].priv = json_integer_value(json_object_get(p, "PrivatePort"));
		ports[i].pub = json_integer_value(json_object_get(p, "PublicPort"));
	}
	qsort(ports, n, sizeof(*ports), cmp_port);
	for (i = 0; i < n; i++) {
		struct port *q = &ports[i];
		_cleanup_free_ char *key = NULL;
		struct port_group *g = NULL;

		if (*q->ip && q->pub != q->priv) {
			_cleanup_free_ char *pub = str_printf("%lld", (long long)q->pub);
			_cleanup_free_ char *hp = pub ? join_host_port(q->ip, pub) : NULL;
			strv_push_take(&mappings, hp ? str_printf("%s->%lld/%s", hp,
			                                          (long long)q->priv, q->type)
			                             : NULL);
			continue;
		}
		key = *q->ip ? str_printf("%s/%s", q->ip, q->type) : strdup(q->type);
		if (!key)
			goto out;
		for (size_t j = 0; j < ng; j++)
			if (streq(groups[j].key, key))
				g = &groups[j];
		if (!g) {
			groups[ng++] = (struct port_group){TAKE_PTR(key), q->priv, q->priv};
			continue;
		}
		if (q->priv == g->last + 1) {
			g->last = q->priv;
			continue;
		}
		strv_push_take(&result, group_text(g));
		g->first = g->last = q->priv;
	}
	for (i = 0; i < ng; i++)
		strv_push_take(&result, group_text(&groups[i]));
	STRV_FOREACH (m, mappings)
		strv_push(&result, *m);
	out = strv_join(result, ", ");
out:
	for (i = 0; i < ng; i++)
		free(groups[i].key);
	return out;
}

/* ---- rows ---- */

static char *created_at(int64_t created)
{
	char buf[64];
	time_t t = (time_t)created;
	struct tm tm;

	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %z %Z", localtime_r(&t, &tm));
	return strdup(buf);
}

static json_t *ps_row(json_t *c, bool no_trunc, int64_t now)
{
	int64_t created = json_integer_value(json_object_get(c, "Created"));
	const char *cmd = json_string_value(json_object_get(c, "Command")) ?: "";
	_cleanup_free_ char *id =
	        no_trunc ? strdup(json_string_value(json_object_get(c, "Id")) ?: "")
	                 : short_id(json_string_value(json_object_get(c, "Id")));
	_cleanup_free_ char *cut = no_trunc ? strdup(cmd) : ellipsis(cmd, 20);
	_cleanup_free_ char *command = cut ? go_quote(cut) : NULL;
	_cleanup_free_ char *image = image_cell(c, !no_trunc), *names = names_cell(c, !no_trunc);
	_cleanup_free_ char *since = format_since(created, now), *at = created_at(created);
	_cleanup_free_ char *labels = map_cell(json_object_get(c, "Labels"), false);
	_cleanup_free_ char *networks =
	        map_cell(json_object_get(json_object_get(c, "NetworkSettings"), "Networks"), true);
	_cleanup_free_ char *ports = ports_cell(c), *size = size_cell(c), *mounts = NULL;
	_cleanup_free_ char *local = NULL;
	int nlocal = 0;

	mounts = mounts_cell(c, !no_trunc, &nlocal);
	local = str_printf("%d", nlocal);
	if (!id || !command || !image || !names || !since || !at || !labels || !networks ||
	    !ports || !size || !mounts || !local)
		return NULL;
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
	                 "s:n}",
	                 "ID", id, "Image", image, "Command", command, "CreatedAt", at,
	                 "RunningFor", since, "Ports", ports, "State",
	                 json_string_value(json_object_get(c, "State")) ?: "", "Status",
	                 json_string_value(json_object_get(c, "Status")) ?: "", "Size", size,
	                 "Names", names, "Labels", labels, "Mounts", mounts, "Networks", networks,
	                 "LocalVolumes", local, "Platform");
}

/* Does the template read .Size? Then docker asks for sizes (size=1). */
static bool format_uses_size(const char *fmt)
{
	_cleanup_(tmpl_freep) struct tmpl *t = NULL;
	_cleanup_strv_ char **fields = NULL;
	const char *text = startswith(fmt, "table") ?: fmt;

	if (streq(fmt, "json"))
		return false;
	t = tmpl_parse(text, NULL);
	fields = t ? tmpl_fields(t) : NULL;
	return fields && strv_contains(fields, "Size");
}

static char *ps_path(const struct flags *f, struct husk_error **err)
{
	_cleanup_free_ char *filters = NULL;
	const char *fmt = flags_string(f, "format");
	int64_t last = flags_int(f, "last");
	bool size = flags_bool(f, "size");
	struct strbuf q = {0};

	if (cli_filters_query(flags_list(f, "filter"), &filters, err) < 0)
		return NULL;
	if (flags_bool(f, "latest") && last == -1)
		last = 1;
	if (!size && !flags_changed(f, "size") && !flags_bool(f, "quiet") && !isempty(fmt))
		size = format_uses_size(fmt);
	strbuf_puts(&q, "/containers/json");
	if (flags_bool(f, "all"))
		strbuf_printf(&q, "%sall=1", q.len > 16 ? "&" : "?");
	if (*filters)
		strbuf_printf(&q, "%sfilters=%s", q.len > 16 ? "&" : "?", filters);
	if (last > 0)
		strbuf_printf(&q, "%slimit=%lld", q.len > 16 ? "&" : "?", (long long)last);
	if (size)
		strbuf_printf(&q, "%ssize=1", q.len > 16 ? "&" : "?");
	return strbuf_steal(&q);
}

int cmd_ps(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
           struct husk_error **err)
{
	_cleanup_free_ char *path = ps_path(f, err);
	_cleanup_json_ json_t *list = NULL, *rows = json_array();
	const char *fmt = flags_string(f, "format");
	bool no_trunc = flags_bool(f, "no-trunc");
	int64_t now = time(NULL);
	json_t *c;
	size_t i;
	int r;

	if (!path)
		return -EINVAL;
	r = cli_get(cli, path, &list, err);
	if (r < 0)
		return r;
	json_array_foreach (list, i, c) {
		json_t *row = ps_row(c, no_trunc, now);
		if (!row)
			return error_set(err, ENOMEM, "out of memory");
		json_array_append_new(rows, row);
	}
	if (flags_bool(f, "quiet") && (isempty(fmt) || streq(fmt, "table")))
		fmt = "{{.ID}}";
	return table_render(cli->out, fmt,
	                    flags_bool(f, "size") ? PS_FORMAT "\t{{.Size}}" : PS_FORMAT, ps_headers,
	                    rows, err);
}
