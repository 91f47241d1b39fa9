/* cmd_container.c — the container verbs that are one request per
 * container (start, stop, restart, kill, wait, pause, unpause, rm,
 * rename, update), prune, port, top and inspect, with docker's output and
 * exit statuses; and the helpers the other container commands share. */
#include <ctype.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"
#include "base/str.h"
#include "cli/cmd_container.h"
#include "cli/run_internal.h"
#include "cli/table.h"

/* ---- helpers ---- */

char *cli_escape(const char *s)
{
	return api_client_escape(s);
}

int cli_container_inspect(struct cli *cli, const char *name, json_t **ret, struct husk_error **err)
{
	_cleanup_free_ char *e = cli_escape(name), *path = NULL;

	path = e ? str_printf("/containers/%s/json", e) : NULL;
	return path ? cli_get(cli, path, ret, err) : error_set(err, ENOMEM, "out of memory");
}

int cli_start_error_status(const struct husk_error *err)
{
	const char *m = error_message(err);

	if (strstr(m, "executable file not found") || strstr(m, "no such file or directory") ||
	    strstr(m, "system cannot find the file specified"))
		return CLI_EXIT_NOT_FOUND;
	if (strstr(m, "permission denied") || strstr(m, "is a directory"))
		return CLI_EXIT_CANNOT_INVOKE;
	return CLI_EXIT_USAGE;
}

int cli_run_error(struct cli *cli, const char *path, const struct husk_error *err, int status)
{
	fprintf(cli->errout, "husk: %s\n\nRun 'husk %s --help' for more information\n",
	        error_message(err), path);
	return status;
}

int cli_for_each(struct cli *cli, const struct flags *f, cli_each_fn fn, bool print_name,
                 struct husk_error **err)
{
	struct api_client *c = NULL;
	int status = 0, r = cli_connect(cli, &c, err);

	if (r < 0)
		return r;
	STRV_FOREACH (name, flags_args(f)) {
		_cleanup_error_ struct husk_error *one = NULL;
		if (fn(cli, c, *name, f, &one) < 0) {
			fprintf(cli->errout, "%s\n", error_message(one));
			status = CLI_EXIT_ERROR;
			continue;
		}
		if (print_name) {
			fprintf(cli->out, "%s\n", *name);
			fflush(cli->out);
		}
	}
	return status;
}

/* POST /containers/<name><suffix> */
static int post(struct api_client *c, const char *name, const char *suffix, struct husk_error **err)
{
	_cleanup_free_ char *e = cli_escape(name), *path = NULL;

	path = e ? str_printf("/containers/%s%s", e, suffix) : NULL;
	if (!path)
		return error_set(err, ENOMEM, "out of memory");
	return api_client_call(c, "POST", path, NULL, NULL, NULL, err);
}

/* ---- flags ---- */

const struct flag_spec cli_no_flags[] = {
        {NULL, 0, 0, NULL, NULL, NULL},
};

const struct flag_spec cli_start_flags[] = {
        {"attach", 'a', FLAG_BOOL, NULL, "Attach STDOUT/STDERR and forward signals", NULL},
        {"detach-keys", 0, FLAG_STRING, NULL, "Override the key sequence for detaching a container",
         NULL},
        {"interactive", 'i', FLAG_BOOL, NULL, "Attach container's STDIN", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

const struct flag_spec cli_stop_flags[] = {
        {"signal", 's', FLAG_STRING, NULL, "Signal to send to the container", NULL},
        {"time", 't', FLAG_INT, NULL, "Seconds to wait before killing the container", NULL},
        {"timeout", 0, FLAG_INT, NULL, "Seconds to wait before killing the container", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

const struct flag_spec cli_kill_flags[] = {
        {"signal", 's', FLAG_STRING, NULL, "Signal to send to the container", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

const struct flag_spec cli_rm_flags[] = {
        {"force", 'f', FLAG_BOOL, NULL, "Force the removal of a running container (uses SIGKILL)",
         NULL},
        {"link", 'l', FLAG_BOOL, NULL, "Remove the specified link", NULL},
        {"volumes", 'v', FLAG_BOOL, NULL, "Remove anonymous volumes associated with the container",
         NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

const struct flag_spec cli_container_prune_flags[] = {
        {"filter", 0, FLAG_LIST, NULL, "Provide filter values (e.g. \"until=<timestamp>\")",
         "filter"},
        {"force", 'f', FLAG_BOOL, NULL, "Do not prompt for confirmation", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

const struct flag_spec cli_update_flags[] = {
        {"blkio-weight", 0, FLAG_INT, NULL,
         "Block IO (relative weight), between 10 and 1000, or 0 to disable", "uint16"},
        {"cpu-period", 0, FLAG_INT, NULL, "Limit CPU CFS (Completely Fair Scheduler) period", NULL},
        {"cpu-quota", 0, FLAG_INT, NULL, "Limit CPU CFS (Completely Fair Scheduler) quota", NULL},
        {"cpu-rt-period", 0, FLAG_INT, NULL, "Limit the CPU real-time period in microseconds",
         NULL},
        {"cpu-rt-runtime", 0, FLAG_INT, NULL, "Limit the CPU real-time runtime in microseconds",
         NULL},
        {"cpu-shares", 'c', FLAG_INT, NULL, "CPU shares (relative weight)", NULL},
        {"cpus", 0, FLAG_STRING, NULL, "Number of CPUs", "decimal"},
        {"cpuset-cpus", 0, FLAG_STRING, NULL, "CPUs in which to allow execution (0-3, 0,1)", NULL},
        {"cpuset-mems", 0, FLAG_STRING, NULL, "MEMs in which to allow execution (0-3, 0,1)", NULL},
        {"kernel-memory", 0, FLAG_STRING, NULL, "Kernel memory limit (deprecated)", "bytes"},
        {"memory", 'm', FLAG_STRING, NULL, "Memory limit", "bytes"},
        {"memory-reservation", 0, FLAG_STRING, NULL, "Memory soft limit", "bytes"},
        {"memory-swap", 0, FLAG_STRING, NULL,
         "Swap limit equal to memory plus swap: -1 to enable unlimited swap", "bytes"},
        {"pids-limit", 0, FLAG_INT, NULL, "Tune container pids limit (set -1 for unlimited)", NULL},
        {"restart", 0, FLAG_STRING, NULL, "Restart policy to apply when a container exits", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

const struct flag_spec cli_container_inspect_flags[] = {
        {"format", 'f', FLAG_STRING, NULL, "Format output using a custom template", NULL},
        {"size", 's', FLAG_BOOL, NULL, "Display total file sizes", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

const struct flag_spec cli_inspect_flags[] = {
        {"format", 'f', FLAG_STRING, NULL, "Format output using a custom template", NULL},
        {"size", 's', FLAG_BOOL, NULL, "Display total file sizes if the type is container", NULL},
        {"type", 0, FLAG_STRING, NULL, "Only inspect objects of the given type", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

const struct flag_spec cli_top_flags[] = {
        {NULL, 0, 0, NULL, NULL, NULL},
};

/* ---- start ---- */

static int start_one(struct cli *cli, struct api_client *c, const char *name, const struct flags *f,
                     struct husk_error **err)
{
	return post(c, name, "/start", err);
}

/* start -a / -i: attach, wait?condition=next-exit, start, stream, status. */
static int start_attached(struct cli *cli, const struct flags *f, struct husk_error **err)
{
	const char *name = flags_args(f)[0], *keys = flags_string(f, "detach-keys");
	_cleanup_json_ json_t *info = NULL, *res = NULL;
	_cleanup_(api_conn_freep) struct api_conn *conn = NULL, *wait = NULL;
	_cleanup_(cli_stream_freep) struct cli_stream *st = NULL;
	_cleanup_free_ char *base = NULL, *path = NULL, *ekeys = keys ? cli_escape(keys) : NULL;
	_cleanup_free_ char *wait_path = NULL, *start_path = NULL;
	struct api_client *c = NULL;
	json_t *config;
	bool tty, in;
	int r = cli_container_inspect(cli, name, &info, err);

	if (r < 0)
		return r;
	config = json_object_get(info, "Config");
	tty = json_is_true(json_object_get(config, "Tty"));
	in = flags_bool(f, "interactive") && json_is_true(json_object_get(config, "OpenStdin"));
	if (in && tty && !isatty(STDIN_FILENO))
		return error_set(err, ENOTTY, "the input device is not a TTY");
	base = str_printf("/containers/%s", json_string_value(json_object_get(info, "Id")));
	path = base ? str_printf("%s/attach?%s%s%sstderr=1&%sstdout=1&stream=1", base,
	                         ekeys ? "detachKeys=" : "", ekeys ?: "", ekeys ? "&" : "",
	                         in ? "stdin=1&" : "")
	            : NULL;
	if (!path)
		return error_set(err, ENOMEM, "out of memory");
	r = cli_connect(cli, &c, err);
	r = r ?: api_client_hijack(c, path, NULL, &conn, err);
	if (r < 0)
		return r;
	struct cli_stream_opts o = {.tty = tty,
	                            .send_stdin = in,
	                            .detach_keys = keys,
	                            .resize_base = tty ? base : NULL,
	                            .proxy_id = tty ? NULL : base + strlen("/containers/")};
	wait_path = str_printf("%s/wait?condition=next-exit", base);
	start_path = str_printf("%s/start", base);
	if (!wait_path || !start_path)
		return error_set(err, ENOMEM, "out of memory");
	st = cli_stream_new(cli, conn, &o, err);
	if (!st)
		return -EIO;
	r = api_client_open(c, "POST", wait_path, NULL, NULL, &wait, err);
	r = r ?: api_client_call(c, "POST", start_path, NULL, NULL, NULL, err);
	if (r < 0)
		return r;
	cli_stream_resize(st);
	r = cli_stream_pump(st, err);
	cli_stream_free(TAKE_PTR(st));
	if (r != 0)
		return r == CLI_STREAM_DETACHED ? 0 : r;
	if (api_conn_read_json(wait, &res, err) < 0)
		return -EIO;
	return (int)json_integer_value(json_object_get(res, "StatusCode"));
}

int cmd_start(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
              struct husk_error **err)
{
	struct api_client *c = NULL;
	struct strbuf failed = {0};
	int r;

	if (flags_bool(f, "attach") || flags_bool(f, "interactive")) {
		if (flags_nargs(f) > 1)
			return error_set(err, EINVAL,
			                 "you cannot start and attach multiple containers at once");
		return start_attached(cli, f, err);
	}
	r = cli_connect(cli, &c, err);
	if (r < 0)
		return r;
	STRV_FOREACH (name, flags_args(f)) {
		_cleanup_error_ struct husk_error *one = NULL;
		if (start_one(cli, c, *name, f, &one) < 0) {
			fprintf(cli->errout, "%s\n", error_message(one));
			strbuf_printf(&failed, "%s%s", failed.len ? ", " : "", *name);
			continue;
		}
		fprintf(cli->out, "%s\n", *name);
	}
	if (failed.len) {
		r = error_set(err, EIO, "Error: failed to start containers: %s", failed.buf);
		strbuf_release(&failed);
		return r;
	}
	return 0;
}

/* ---- stop, restart, kill, pause, unpause, wait, rm ---- */

/* "?t=N&signal=S" as docker sends for stop/restart (signal at API >= 1.42). */
static char *stop_query(struct api_client *c, const struct flags *f)
{
	struct strbuf q = {0};
	const char *sig = flags_string(f, "signal");
	bool t = flags_changed(f, "time") || flags_changed(f, "timeout");
	int64_t secs = flags_changed(f, "timeout") ? flags_int(f, "timeout") : flags_int(f, "time");
	_cleanup_free_ char *esig = !isempty(sig) ? cli_escape(sig) : NULL;

	if (esig && api_client_version(c) >= 142)
		strbuf_printf(&q, "?signal=%s", esig);
	if (t)
		strbuf_printf(&q, "%st=%lld", q.len ? "&" : "?", (long long)secs);
	return strbuf_steal(&q) ?: strdup("");
}

static int stop_one(struct cli *cli, struct api_client *c, const char *name, const struct flags *f,
                    struct husk_error **err)
{
	_cleanup_free_ char *q = stop_query(c, f), *suffix = q ? str_printf("/stop%s", q) : NULL;

	return suffix ? post(c, name, suffix, err) : error_set(err, ENOMEM, "out of memory");
}

static int restart_one(struct cli *cli, struct api_client *c, const char *name,
                       const struct flags *f, struct husk_error **err)
{
	_cleanup_free_ char *q = stop_query(c, f), *suffix = q ? str_printf("/restart%s", q) : NULL;

	return suffix ? post(c, name, suffix, err) : error_set(err, ENOMEM, "out of memory");
}

static int kill_one(struct cli *cli, struct api_client *c, const char *name, const struct flags *f,
                    struct husk_error **err)
{
	const char *sig = flags_string(f, "signal");
	_cleanup_free_ char *e = !isempty(sig) ? cli_escape(sig) : NULL;
	_cleanup_free_ char *suffix = e ? str_printf("/kill?signal=%s", e) : strdup("/kill");

	return suffix ? post(c, name, suffix, err) : error_set(err, ENOMEM, "out of memory");
}

static int pause_one(struct cli *cli, struct api_client *c, const char *name, const struct flags *f,
                     struct husk_error **err)
{
	return post(c, name, "/pause", err);
}

static int unpause_one(struct cli *cli, struct api_client *c, const char *name,
                       const struct flags *f, struct husk_error **err)
{
	return post(c, name, "/unpause", err);
}

static int wait_one(struct cli *cli, struct api_client *c, const char *name, const struct flags *f,
                    struct husk_error **err)
{
	_cleanup_free_ char *e = cli_escape(name), *path = NULL;
	_cleanup_json_ json_t *res = NULL;
	json_t *werr;
	int r;

	path = e ? str_printf("/containers/%s/wait", e) : NULL;
	if (!path)
		return error_set(err, ENOMEM, "out of memory");
	r = api_client_call(c, "POST", path, NULL, NULL, &res, err);
	if (r < 0)
		return r;
	werr = json_object_get(res, "Error");
	if (json_is_object(werr) && json_string_value(json_object_get(werr, "Message")))
		return error_set(err, EIO, "%s",
		                 json_string_value(json_object_get(werr, "Message")));
	fprintf(cli->out, "%lld\n",
	        (long long)json_integer_value(json_object_get(res, "StatusCode")));
	return 0;
}

static int rm_one(struct cli *cli, struct api_client *c, const char *name, const struct flags *f,
                  struct husk_error **err)
{
	_cleanup_free_ char *e = cli_escape(name), *path = NULL;
	struct strbuf q = {0};

	if (flags_bool(f, "force"))
		strbuf_puts(&q, "force=1");
	if (flags_bool(f, "link"))
		strbuf_printf(&q, "%slink=1", q.len ? "&" : "");
	if (flags_bool(f, "volumes"))
		strbuf_printf(&q, "%sv=1", q.len ? "&" : "");
	path = e ? str_printf("/containers/%s%s%s", e, q.len ? "?" : "", q.buf ?: "") : NULL;
	strbuf_release(&q);
	if (!path)
		return error_set(err, ENOMEM, "out of memory");
	return api_client_call(c, "DELETE", path, NULL, NULL, NULL, err);
}

int cmd_stop(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
             struct husk_error **err)
{
	return cli_for_each(cli, f, stop_one, true, err);
}

int cmd_restart(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                struct husk_error **err)
{
	return cli_for_each(cli, f, restart_one, true, err);
}

int cmd_kill(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
             struct husk_error **err)
{
	return cli_for_each(cli, f, kill_one, true, err);
}

int cmd_pause(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
              struct husk_error **err)
{
	return cli_for_each(cli, f, pause_one, true, err);
}

int cmd_unpause(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                struct husk_error **err)
{
	return cli_for_each(cli, f, unpause_one, true, err);
}

int cmd_wait(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
             struct husk_error **err)
{
	return cli_for_each(cli, f, wait_one, false, err);
}

int cmd_rm(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
           struct husk_error **err)
{
	return cli_for_each(cli, f, rm_one, true, err);
}

int cmd_rename(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
               struct husk_error **err)
{
	const char *old = flags_args(f)[0], *new = flags_args(f)[1];
	_cleanup_free_ char *e = cli_escape(new), *suffix = NULL;
	struct api_client *c = NULL;
	_cleanup_free_ char *trimmed = str_strip(new);
	int r;

	if (!trimmed || !*trimmed)
		return error_set(err, EINVAL, "Error: neither old nor new names may be empty");
	suffix = e ? str_printf("/rename?name=%s", e) : NULL;
	if (!suffix)
		return error_set(err, ENOMEM, "out of memory");
	r = cli_connect(cli, &c, err);
	r = r ?: post(c, old, suffix, err);
	if (r < 0) {
		fprintf(cli->errout, "%s\n", error_message(*err));
		error_free(*err);
		*err = NULL;
		return error_set(err, -r, "Error: failed to rename container named %s", old);
	}
	return 0;
}

/* ---- prune ---- */

int cmd_container_prune(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                        struct husk_error **err)
{
	_cleanup_json_ json_t *res = NULL;
	json_t *d;
	size_t i;
	int r = cli_prune(
	        cli, "containers", flags_list(f, "filter"),
	        flags_bool(f, "force") ? NULL : "WARNING! This will remove all stopped containers.",
	        &res, err);

	if (r <= 0)
		return r;
	if (json_array_size(json_object_get(res, "ContainersDeleted"))) {
		fprintf(cli->out, "Deleted Containers:\n");
		json_array_foreach (json_object_get(res, "ContainersDeleted"), i, d)
			fprintf(cli->out, "%s\n", json_string_value(d));
		fprintf(cli->out, "\n");
	}
	cli_print_reclaimed(cli, res);
	return 0;
}

/* ---- update ---- */

static int update_size(const struct flags *f, const char *name, json_t *body, const char *key,
                       bool omit_zero, struct husk_error **err)
{
	const char *v = flags_string(f, name);
	int64_t n = 0;

	if (!isempty(v)) {
		if (streq(name, "memory-swap") && streq(v, "-1"))
			n = -1;
		else if (parse_ram_bytes(v, &n) < 0 && streq(name, "memory"))
			return error_set(
			        err, EINVAL,
			        "invalid argument \"%s\" for \"-m, --memory\" flag: invalid "
			        "size: '%s'",
			        v, v);
		else if (parse_ram_bytes(v, &n) < 0)
			return error_set(
			        err, EINVAL,
			        "invalid argument \"%s\" for \"--%s\" flag: invalid size: '%s'", v,
			        name, v);
	}
	if (omit_zero && !n)
		return 0;
	return json_object_set_new(body, key, json_integer(n));
}

static json_t *update_body(const struct flags *f, struct husk_error **err)
{
	_cleanup_json_ json_t *b = json_object();
	const char *cpus = flags_string(f, "cpus");
	int64_t nano = 0;

	if (!isempty(cpus) && parse_nano_cpus(cpus, &nano) < 0)
		return error_set(err, EINVAL,
		                 "invalid argument \"%s\" for \"--cpus\" flag: failed to parse %s "
		                 "as a "
		                 "rational number",
		                 cpus, cpus),
		       NULL;
	json_object_set_new(b, "CpuShares", json_integer(flags_int(f, "cpu-shares")));
	if (update_size(f, "memory", b, "Memory", false, err) < 0)
		return NULL;
	json_object_set_new(b, "NanoCpus", json_integer(nano));
	json_object_set_new(b, "CgroupParent", json_string(""));
	json_object_set_new(b, "BlkioWeight", json_integer(flags_int(f, "blkio-weight")));
	static const char *const nulls[] = {"BlkioWeightDevice", "BlkioDeviceReadBps",
	                                    "BlkioDeviceWriteBps", "BlkioDeviceReadIOps",
	                                    "BlkioDeviceWriteIOps"};
	for (size_t i = 0; i < ELEMENTSOF(nulls); i++)
		json_object_set_new(b, nulls[i], json_null());
	json_object_set_new(b, "CpuPeriod", json_integer(flags_int(f, "cpu-period")));
	json_object_set_new(b, "CpuQuota", json_integer(flags_int(f, "cpu-quota")));
	json_object_set_new(b, "CpuRealtimePeriod", json_integer(flags_int(f, "cpu-rt-period")));
	json_object_set_new(b, "CpuRealtimeRuntime", json_integer(flags_int(f, "cpu-rt-runtime")));
	json_object_set_new(b, "CpusetCpus", json_string(flags_string(f, "cpuset-cpus") ?: ""));
	json_object_set_new(b, "CpusetMems", json_string(flags_string(f, "cpuset-mems") ?: ""));
	json_object_set_new(b, "Devices", json_null());
	json_object_set_new(b, "DeviceCgroupRules", json_null());
	json_object_set_new(b, "DeviceRequests", json_null());
	if (update_size(f, "kernel-memory", b, "KernelMemory", true, err) < 0 ||
	    update_size(f, "memory-reservation", b, "MemoryReservation", false, err) < 0 ||
	    update_size(f, "memory-swap", b, "MemorySwap", false, err) < 0)
		return NULL;
	json_object_set_new(b, "MemorySwappiness", json_null());
	json_object_set_new(b, "OomKillDisable", json_null());
	json_object_set_new(b, "PidsLimit",
	                    flags_changed(f, "pids-limit")
	                            ? json_integer(flags_int(f, "pids-limit"))
	                            : json_null());
	json_object_set_new(b, "Ulimits", json_null());
	json_object_set_new(b, "CpuCount", json_integer(0));
	json_object_set_new(b, "CpuPercent", json_integer(0));
	json_object_set_new(b, "IOMaximumIOps", json_integer(0));
	json_object_set_new(b, "IOMaximumBandwidth", json_integer(0));
	return TAKE_PTR(b);
}

int cmd_update(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
               struct husk_error **err)
{
	_cleanup_json_ json_t *body = NULL, *restart = NULL;
	const char *policy = flags_string(f, "restart");
	struct api_client *c = NULL;
	bool any = false;
	int status = 0, r;

	for (const struct flag_spec *s = cli_update_flags; s->name; s++)
		any = any || flags_changed(f, s->name);
	if (!any)
		return error_set(err, EINVAL,
		                 "you must provide one or more flags when using this command");
	body = update_body(f, err);
	if (!body)
		return -EINVAL;
	restart = isempty(policy) ? json_pack("{s:s, s:i}", "Name", "", "MaximumRetryCount", 0)
	                          : restart_parse(policy, err);
	if (!restart)
		return -EINVAL;
	json_object_set(body, "RestartPolicy", restart);
	r = cli_connect(cli, &c, err);
	if (r < 0)
		return r;
	STRV_FOREACH (name, flags_args(f)) {
		_cleanup_error_ struct husk_error *one = NULL;
		_cleanup_free_ char *e = cli_escape(*name), *path = NULL;
		_cleanup_json_ json_t *res = NULL;
		json_t *w;
		size_t i;

		path = e ? str_printf("/containers/%s/update", e) : NULL;
		if (!path || api_client_call(c, "POST", path, body, NULL, &res, &one) < 0) {
			fprintf(cli->errout, "%s\n", one ? error_message(one) : "out of memory");
			status = CLI_EXIT_ERROR;
			continue;
		}
		json_array_foreach (json_object_get(res, "Warnings"), i, w)
			fprintf(cli->errout, "WARNING: %s\n", json_string_value(w));
		fprintf(cli->out, "%s\n", *name);
	}
	return status;
}

/* ---- port ---- */

/* sortorder.NaturalLess: digit runs compare as numbers. */
static int natural_cmp(const void *pa, const void *pb)
{
	const char *a = *(char *const *)pa, *b = *(char *const *)pb;

	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			char *ea, *eb;
			unsigned long long x = strtoull(a, &ea, 10), y = strtoull(b, &eb, 10);
			if (x != y)
				return x < y ? -1 : 1;
			a = ea;
			b = eb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++, b++;
	}
	return *a ? 1 : *b ? -1 : 0;
}

/* net.JoinHostPort */
static char *host_port(json_t *binding)
{
	const char *ip = json_string_value(json_object_get(binding, "HostIp")) ?: "";
	const char *port = json_string_value(json_object_get(binding, "HostPort")) ?: "";

	return strchr(ip, ':') ? str_printf("[%s]:%s", ip, port) : str_printf("%s:%s", ip, port);
}

int cmd_port(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
             struct husk_error **err)
{
	const char *name = flags_args(f)[0], *want = flags_args(f)[1];
	_cleanup_json_ json_t *info = NULL;
	_cleanup_strv_ char **out = strv_new();
	json_t *ports, *list, *b;
	const char *key;
	size_t i;
	int r = cli_container_inspect(cli, name, &info, err);

	if (r < 0)
		return r;
	if (!out)
		return error_set(err, ENOMEM, "out of memory");
	ports = json_object_get(json_object_get(info, "NetworkSettings"), "Ports");
	if (want) {
		_cleanup_free_ char *k =
		        strchr(want, '/') ? strdup(want) : str_printf("%s/tcp", want);
		uint64_t num;
		_cleanup_free_ char *num_s = k ? strndup(k, strcspn(k, "/")) : NULL;
		if (!num_s || str_to_uint64(num_s, &num) < 0 || num > 65535)
			return error_set(err, EINVAL, "invalid port \"%s\"", want);
		list = json_object_get(ports, k);
		if (!json_is_array(list))
			return error_set(err, ENOENT, "Error: No public port '%s' published for %s",
			                 want, name);
		json_array_foreach (list, i, b)
			strv_push_take(&out, host_port(b));
	} else {
		json_object_foreach (ports, key, list)
			json_array_foreach (list, i, b) {
				_cleanup_free_ char *hp = host_port(b);
				strv_push_take(&out, hp ? str_printf("%s -> %s", key, hp) : NULL);
			}
	}
	qsort(out, strv_length(out), sizeof(*out), natural_cmp);
	STRV_FOREACH (l, out)
		fprintf(cli->out, "%s\n", *l);
	return 0;
}

/* ---- top ---- */

int cmd_top(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
            struct husk_error **err)
{
	char *const *args = flags_args(f);
	_cleanup_free_ char *e = cli_escape(args[0]), *ps = strv_join(args + 1, " "), *eps = NULL;
	_cleanup_free_ char *path = NULL;
	_cleanup_json_ json_t *res = NULL;
	struct strbuf text = {0}, out = {0};
	json_t *t, *row, *cell;
	size_t i, j;
	int r;

	eps = ps && *ps ? cli_escape(ps) : NULL;
	path = e ? str_printf("/containers/%s/top%s%s", e, eps ? "?ps_args=" : "", eps ?: "")
	         : NULL;
	r = path ? cli_get(cli, path, &res, err) : error_set(err, ENOMEM, "out of memory");
	if (r < 0)
		return r;
	/* docker: the cells of a line joined by tabs, through a tabwriter */
	json_array_foreach (json_object_get(res, "Titles"), i, t)
		strbuf_printf(&text, "%s%s", i ? "\t" : "", json_string_value(t) ?: "");
	strbuf_puts(&text, "\n");
	json_array_foreach (json_object_get(res, "Processes"), i, row) {
		json_array_foreach (row, j, cell)
			strbuf_printf(&text, "%s%s", j ? "\t" : "", json_string_value(cell) ?: "");
		strbuf_puts(&text, "\n");
	}
	r = tabwriter_format(&out, text.buf ?: "", text.len, 20, 3);
	if (r == 0)
		fwrite(out.buf ?: "", 1, out.len, cli->out);
	strbuf_release(&text);
	strbuf_release(&out);
	return r < 0 ? error_set(err, ENOMEM, "out of memory") : 0;
}

/* ---- inspect ---- */

/* GET one object; 1 when it is not there (404), 0, or -errno. */
static int inspect_get(struct cli *cli, const char *fmt, const char *name, bool size, json_t **ret,
                       struct husk_error **err)
{
	_cleanup_free_ char *e = cli_escape(name), *path = NULL;
	_cleanup_error_ struct husk_error *one = NULL;
	int r;

	path = e ? str_printf(fmt, e, size ? "?size=1" : "") : NULL;
	if (!path)
		return error_set(err, ENOMEM, "out of memory");
	r = cli_get(cli, path, ret, &one);
	if (r == -ENOENT)
		return 1;
	if (r < 0)
		return error_set(err, error_code(one), "%s", error_message(one));
	return 0;
}

static int inspect_render(struct cli *cli, const struct flags *f, json_t *all, int status,
                          struct husk_error **err)
{
	const char *fmt = flags_string(f, "format");
	_cleanup_free_ char *text = NULL;

	if (!isempty(fmt) && !streq(fmt, "json")) {
		int r = table_render(cli->out, fmt, NULL, NULL, all, err);
		return r < 0 ? r : status;
	}
	text = json_dumps(all, JSON_INDENT(4));
	fprintf(cli->out, "%s\n", text ? text : "[]");
	return status;
}

static int inspect_objects(struct cli *cli, const struct flags *f, const char *type,
                           struct husk_error **err)
{
	static const struct {
		const char *type, *fmt;
	} kinds[] = {
	        {"container", "/containers/%s/json%s"},
	        {"image", "/images/%s/json%s"},
	        {"volume", "/volumes/%s%s"},
	};
	_cleanup_json_ json_t *all = json_array();
	_cleanup_strv_ char **missing = strv_new();
	bool size = flags_bool(f, "size");
	int r;

	if (!all || !missing)
		return error_set(err, ENOMEM, "out of memory");
	STRV_FOREACH (name, flags_args(f)) {
		json_t *doc = NULL;
		r = 1;
		for (size_t k = 0; r == 1 && k < ELEMENTSOF(kinds); k++)
			if (!type || streq(type, kinds[k].type))
				r = inspect_get(cli, kinds[k].fmt, *name, size && k == 0, &doc,
				                err);
		if (r < 0)
			return r;
		if (r == 1) {
			if (strv_push(&missing, *name) < 0)
				return error_set(err, ENOMEM, "out of memory");
			continue;
		}
		json_array_append_new(all, doc);
	}
	/* docker prints what it found, then what it did not */
	r = inspect_render(cli, f, all, 0, err);
	fflush(cli->out);
	STRV_FOREACH (m, missing)
		fprintf(cli->errout, "Error: No such %s: %s\n", type ? type : "object", *m);
	return r < 0 ? r : *missing ? CLI_EXIT_ERROR : 0;
}

int cmd_inspect(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                struct husk_error **err)
{
	const char *type = flags_string(f, "type");

	if (!isempty(type) && !streq(type, "container") && !streq(type, "image") &&
	    !streq(type, "volume"))
		return error_set(err, EINVAL, "\"%s\" is not a valid value for --type", type);
	if (flags_bool(f, "size") && !isempty(type) && !streq(type, "container"))
		fprintf(cli->errout, "WARNING: --size ignored for %s\n", type);
	return inspect_objects(cli, f, isempty(type) ? NULL : type, err);
}

int cmd_container_inspect(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                          struct husk_error **err)
{
	return inspect_objects(cli, f, "container", err);
}
