/* cmd_system.c — husk version, husk info (system info). */
#include <string.h>
#include <sys/utsname.h>

#include "base/json.h"
#include "base/str.h"
#include "cli/cli.h"
#include "cli/table.h"
#include "husk-config.h"

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static json_int_t jint(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static const char *jbool(const json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key)) ? "true" : "false";
}

static const char *client_arch(void)
{
#if defined(__x86_64__)
	return "amd64";
#elif defined(__aarch64__)
	return "arm64";
#else
	return "unknown";
#endif
}

static void print_client(struct cli *cli, unsigned api)
{
	FILE *o = cli->out;

	fprintf(o, "Client:\n");
	fprintf(o, " Version:           %s\n", HUSK_VERSION);
	if (api && api != API_CLIENT_VERSION)
		fprintf(o, " API version:       %u.%u (downgraded from %u.%u)\n", api / 100,
		        api % 100, API_CLIENT_VERSION / 100, API_CLIENT_VERSION % 100);
	else
		fprintf(o, " API version:       %u.%u\n", API_CLIENT_VERSION / 100,
		        API_CLIENT_VERSION % 100);
	fprintf(o, " Git commit:        %s\n", HUSK_GIT_COMMIT);
	fprintf(o, " Built:             %s\n", HUSK_BUILD_TIME);
	fprintf(o, " OS/Arch:           linux/%s\n", client_arch());
	fprintf(o, " Context:           default\n");
}

static void print_server(struct cli *cli, const json_t *v)
{
	json_t *comps = json_object_get(v, "Components"), *c;
	FILE *o = cli->out;
	size_t i;

	fprintf(o, "\nServer: %s\n", jstr(json_object_get(v, "Platform"), "Name"));
	json_array_foreach (comps, i, c) {
		json_t *d = json_object_get(c, "Details");
		fprintf(o, " %s:\n", jstr(c, "Name"));
		fprintf(o, "  Version:          %s\n", jstr(c, "Version"));
		if (!json_object_get(d, "ApiVersion"))
			continue;
		fprintf(o, "  API version:      %s (minimum version %s)\n", jstr(d, "ApiVersion"),
		        jstr(d, "MinAPIVersion"));
		fprintf(o, "  Git commit:       %s\n", jstr(d, "GitCommit"));
		fprintf(o, "  Built:            %s\n", jstr(d, "BuildTime"));
		fprintf(o, "  OS/Arch:          %s/%s\n", "linux", jstr(d, "Arch"));
		fprintf(o, "  Kernel version:   %s\n", jstr(d, "KernelVersion"));
		fprintf(o, "  Experimental:     %s\n", jstr(d, "Experimental"));
	}
}

/* --format json (or Go's {{json .}}) prints the raw document. */
static int check_format(const struct flags *f, const char **ret, struct husk_error **err)
{
	const char *format = flags_string(f, "format");

	if (format && !streq(format, "json") && !streq(format, "{{json .}}"))
		return error_set(err, EINVAL, "unsupported --format \"%s\": expected json", format);
	*ret = format;
	return 0;
}

static void print_compact(struct cli *cli, const json_t *v)
{
	_cleanup_free_ char *s = json_compact(v);

	fprintf(cli->out, "%s\n", s ? s : "{}");
}

int cmd_version(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                struct husk_error **err)
{
	_cleanup_json_ json_t *v = NULL;
	const char *format = NULL;
	int r = check_format(f, &format, err);

	if (r < 0)
		return r;
	r = cli_get(cli, "/version", &v, err);
	if (format) {
		if (r == 0)
			print_compact(cli, v);
		return r;
	}
	print_client(cli, cli->client ? api_client_version(cli->client) : 0);
	if (r < 0)
		return r; /* like docker: the client part, then the error */
	print_server(cli, v);
	return 0;
}

static void print_mem(FILE *o, const char *label, uint64_t bytes)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1024 && u + 1 < ELEMENTSOF(units)) {
		v /= 1024;
		u++;
	}
	fprintf(o, "%s%.4g%s\n", label, v, units[u]);
}

static void print_info_storage(FILE *o, const json_t *v)
{
	json_t *ds = json_object_get(v, "DriverStatus"), *pair;
	size_t i;

	fprintf(o, " Storage Driver: %s\n", jstr(v, "Driver"));
	json_array_foreach (ds, i, pair)
		fprintf(o, "  %s: %s\n", json_string_value(json_array_get(pair, 0)),
		        json_string_value(json_array_get(pair, 1)));
	fprintf(o, " Logging Driver: %s\n", jstr(v, "LoggingDriver"));
	fprintf(o, " Cgroup Driver: %s\n", jstr(v, "CgroupDriver"));
	fprintf(o, " Cgroup Version: %s\n", jstr(v, "CgroupVersion"));
}

static void print_info_security(FILE *o, const json_t *v)
{
	json_t *sec = json_object_get(v, "SecurityOptions"), *s;
	size_t i;

	fprintf(o, " Security Options:\n");
	json_array_foreach (sec, i, s) {
		const char *name = startswith(json_string_value(s), "name=");
		fprintf(o, "  %.*s\n", name ? (int)strcspn(name, ",") : 0, name ? name : "");
	}
}

static void print_info(struct cli *cli, const json_t *v)
{
	FILE *o = cli->out;

	fprintf(o, "Client:\n Version:    %s\n Context:    default\n Debug Mode: %s\n\n",
	        HUSK_VERSION, cli->debug ? "true" : "false");
	fprintf(o, "Server:\n Containers: %lld\n  Running: %lld\n  Paused: %lld\n  Stopped: %lld\n",
	        (long long)jint(v, "Containers"), (long long)jint(v, "ContainersRunning"),
	        (long long)jint(v, "ContainersPaused"), (long long)jint(v, "ContainersStopped"));
	fprintf(o, " Images: %lld\n Server Version: %s\n", (long long)jint(v, "Images"),
	        jstr(v, "ServerVersion"));
	print_info_storage(o, v);
	fprintf(o, " Default Runtime: %s\n", jstr(v, "DefaultRuntime"));
	print_info_security(o, v);
	fprintf(o, " Kernel Version: %s\n Operating System: %s\n OSType: %s\n Architecture: %s\n",
	        jstr(v, "KernelVersion"), jstr(v, "OperatingSystem"), jstr(v, "OSType"),
	        jstr(v, "Architecture"));
	fprintf(o, " CPUs: %lld\n", (long long)jint(v, "NCPU"));
	print_mem(o, " Total Memory: ", (uint64_t)jint(v, "MemTotal"));
	fprintf(o, " Name: %s\n ID: %s\n Husk Root Dir: %s\n Debug Mode: %s\n", jstr(v, "Name"),
	        jstr(v, "ID"), jstr(v, "DockerRootDir"), jbool(v, "Debug"));
	fprintf(o, " Experimental: %s\n Live Restore Enabled: %s\n", jbool(v, "ExperimentalBuild"),
	        jbool(v, "LiveRestoreEnabled"));
}

int cmd_info(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
             struct husk_error **err)
{
	_cleanup_json_ json_t *v = NULL;
	const char *format = NULL;
	int r = check_format(f, &format, err);

	r = r ?: cli_get(cli, "/info", &v, err);
	if (r < 0)
		return r;
	if (format)
		print_compact(cli, v);
	else
		print_info(cli, v);
	return 0;
}

/* One row of `system df`: count, active, size and what removing the
 * inactive ones would reclaim, from the items of one section of
 * /system/df. active_fn says whether an item is in use; size_fn its size. */
struct df_section {
	const char *type;
	const char *key; /* "Images", "Containers", "Volumes", "BuildCache" */
	bool (*active)(json_t *item);
	uint64_t (*size)(json_t *item);
};

static bool image_active(json_t *i)
{
	return json_integer_value(json_object_get(i, "Containers")) > 0;
}

static uint64_t image_size(json_t *i)
{
	return (uint64_t)json_integer_value(json_object_get(i, "Size"));
}

static bool container_active(json_t *c)
{
	const char *st = json_string_value(json_object_get(c, "State"));
	return streq_ptr(st, "running") || streq_ptr(st, "paused") || streq_ptr(st, "restarting");
}

static uint64_t container_size(json_t *c)
{
	return (uint64_t)json_integer_value(json_object_get(c, "SizeRw"));
}

static bool volume_active(json_t *v)
{
	return json_integer_value(json_object_get(json_object_get(v, "UsageData"), "RefCount")) > 0;
}

static uint64_t volume_size(json_t *v)
{
	json_int_t n = json_integer_value(json_object_get(json_object_get(v, "UsageData"), "Size"));
	return n > 0 ? (uint64_t)n : 0;
}

static bool cache_active(json_t *c)
{
	return json_is_true(json_object_get(c, "InUse"));
}

static uint64_t cache_size(json_t *c)
{
	return (uint64_t)json_integer_value(json_object_get(c, "Size"));
}

static json_t *df_row(json_t *df, const struct df_section *sec)
{
	json_t *items = json_object_get(df, sec->key), *item;
	uint64_t size = 0, reclaim = 0;
	size_t i, active = 0;

	json_array_foreach (items, i, item) {
		uint64_t sz = sec->size(item);
		size += sz;
		if (sec->active(item))
			active++;
		else
			reclaim += sz;
	}
	/* images share layers: the layers' total is the size on disk */
	if (streq(sec->key, "Images") && json_object_get(df, "LayersSize")) {
		uint64_t layers = (uint64_t)json_integer_value(json_object_get(df, "LayersSize"));
		reclaim = size ? (uint64_t)((double)reclaim / (double)size * (double)layers) : 0;
		size = layers;
	}
	_cleanup_free_ char *sz = format_size(size), *rc = format_size(reclaim);
	_cleanup_free_ char *total = str_printf("%zu", json_array_size(items));
	_cleanup_free_ char *act = str_printf("%zu", active);
	_cleanup_free_ char *recl =
	        str_printf("%s (%d%%)", rc ? rc : "0B", size ? (int)(reclaim * 100 / size) : 0);
	return json_pack("{s:s, s:s?, s:s?, s:s?, s:s?}", "Type", sec->type, "TotalCount", total,
	                 "Active", act, "Size", sz, "Reclaimable", recl);
}

int cmd_system_df(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                  struct husk_error **err)
{
	static const struct df_section sections[] = {
	        {"Images", "Images", image_active, image_size},
	        {"Containers", "Containers", container_active, container_size},
	        {"Local Volumes", "Volumes", volume_active, volume_size},
	        {"Build Cache", "BuildCache", cache_active, cache_size},
	};
	_cleanup_json_ json_t *v = NULL, *rows = json_array();
	int r = cli_get(cli, "/system/df", &v, err);

	if (r < 0)
		return r;
	if (streq_ptr(flags_string(f, "format"), "json")) {
		print_compact(cli, v);
		return 0;
	}
	for (size_t i = 0; i < ELEMENTSOF(sections); i++)
		json_array_append_new(rows, df_row(v, &sections[i]));
	static const struct table_column headers[] = {
	        {"Type", "TYPE"}, {"TotalCount", "TOTAL"},        {"Active", "ACTIVE"},
	        {"Size", "SIZE"}, {"Reclaimable", "RECLAIMABLE"}, {NULL, NULL},
	};
	return table_render(cli->out, flags_string(f, "format"),
	                    "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t"
	                    "{{.Reclaimable}}",
	                    headers, rows, err);
}

int cmd_system_check(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                     struct husk_error **err)
{
	_cleanup_json_ json_t *v = NULL;
	struct api_client *c = NULL;
	bool repair = flags_bool(f, "repair");
	json_t *p;
	size_t i;
	int r = cli_connect(cli, &c, err);

	r = r
	            ?: api_client_call(c, "POST",
	                               repair ? "/system/check?repair=1" : "/system/check", NULL,
	                               NULL, &v, err);
	if (r < 0)
		return r;
	json_array_foreach (json_object_get(v, "Problems"), i, p)
		fprintf(cli->out, "problem: %s\n", json_string_value(p));
	json_array_foreach (json_object_get(v, "Leftovers"), i, p)
		fprintf(cli->out, "leftover: %s\n", json_string_value(p));
	json_array_foreach (json_object_get(v, "Repaired"), i, p)
		fprintf(cli->out, "repaired: %s\n", json_string_value(p));
	if (json_array_size(json_object_get(v, "Problems")) && !repair) {
		fprintf(cli->out, "the store has problems: run 'husk system check --repair'\n");
		return 1;
	}
	fprintf(cli->out, "%s\n", repair ? "store checked and repaired" : "store is consistent");
	return 0;
}
