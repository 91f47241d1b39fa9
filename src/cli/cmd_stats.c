/* cmd_stats.c — husk stats: GET /containers/<id>/stats per container (one
 * thread each, with its own connection, as the daemon takes a second per
 * sample), docker's CLI math over cpu_stats/precpu_stats, memory without
 * the inactive file cache, network and block I/O sums; one table with
 * --no-stream, else redrawn every half second (cleared first on a
 * terminal, as docker stats). */
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"
#include "base/str.h"
#include "cli/cmd_container.h"
#include "cli/table.h"

#define STATS_MAX_CONTAINERS 256
#define REDRAW_NS            500000000L

const struct flag_spec cli_stats_flags[] = {
        {"all", 'a', FLAG_BOOL, NULL, "Show all containers (default shows just running)", NULL},
        {"format", 0, FLAG_STRING, NULL,
         "Format output using a custom template: 'table', 'table TEMPLATE', 'json', 'TEMPLATE'",
         NULL},
        {"no-stream", 0, FLAG_BOOL, NULL, "Disable streaming stats and only pull the first result",
         NULL},
        {"no-trunc", 0, FLAG_BOOL, NULL, "Do not truncate output", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

static const struct table_column stats_headers[] = {
        {"Container", "CONTAINER"},
        {"ID", "CONTAINER ID"},
        {"Name", "NAME"},
        {"CPUPerc", "CPU %"},
        {"MemUsage", "MEM USAGE / LIMIT"},
        {"MemPerc", "MEM %"},
        {"NetIO", "NET I/O"},
        {"BlockIO", "BLOCK I/O"},
        {"PIDs", "PIDS"},
        {NULL, NULL},
};

#define STATS_FORMAT                                                                               \
	"table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t"        \
	"{{.BlockIO}}\t{{.PIDs}}"

/* ---- the math (cli/command/container/stats_helpers.go) ---- */

static double num(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_number(v) ? json_number_value(v) : 0;
}

/* go-units BytesSize: "%.4g" with binary units. */
static char *bytes_size(double size)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	size_t i = 0;

	while (size >= 1024 && i + 1 < ELEMENTSOF(units)) {
		size /= 1024;
		i++;
	}
	return str_printf("%.4g%s", size, units[i]);
}

static double cpu_percent(json_t *s)
{
	json_t *cpu = json_object_get(s, "cpu_stats"), *pre = json_object_get(s, "precpu_stats");
	double cpu_delta = num(json_object_get(cpu, "cpu_usage"), "total_usage") -
	                   num(json_object_get(pre, "cpu_usage"), "total_usage");
	double sys_delta = num(cpu, "system_cpu_usage") - num(pre, "system_cpu_usage");
	double online = num(cpu, "online_cpus");

	if (online == 0)
		online = (double)json_array_size(
		        json_object_get(json_object_get(cpu, "cpu_usage"), "percpu_usage"));
	if (sys_delta > 0 && cpu_delta > 0)
		return cpu_delta / sys_delta * online * 100.0;
	return 0;
}

static double mem_usage(json_t *mem)
{
	json_t *st = json_object_get(mem, "stats");
	double usage = num(mem, "usage");

	if (json_object_get(st, "total_inactive_file") && num(st, "total_inactive_file") < usage)
		return usage - num(st, "total_inactive_file");
	if (num(st, "inactive_file") < usage)
		return usage - num(st, "inactive_file");
	return usage;
}

static void io_sums(json_t *s, double *rx, double *tx, double *rd, double *wr)
{
	const char *k;
	json_t *n, *e;
	size_t i;

	*rx = *tx = *rd = *wr = 0;
	json_object_foreach (json_object_get(s, "networks"), k, n) {
		*rx += num(n, "rx_bytes");
		*tx += num(n, "tx_bytes");
	}
	json_array_foreach (
	        json_object_get(json_object_get(s, "blkio_stats"), "io_service_bytes_recursive"), i,
	        e) {
		const char *op = json_string_value(json_object_get(e, "op")) ?: "";
		if (*op == 'r' || *op == 'R')
			*rd += num(e, "value");
		else if (*op == 'w' || *op == 'W')
			*wr += num(e, "value");
	}
}

static char *pair(char *(*fmt)(double), double a, double b)
{
	_cleanup_free_ char *x = fmt(a), *y = fmt(b);

	return x && y ? str_printf("%s / %s", x, y) : NULL;
}

static char *dec_size(double v)
{
	return format_size((uint64_t)(v < 0 ? 0 : v));
}

json_t *stats_row(json_t *s, const char *container, bool no_trunc)
{
	json_t *mem = json_object_get(s, "memory_stats");
	const char *id = json_string_value(json_object_get(s, "id")) ?: "";
	const char *name = json_string_value(json_object_get(s, "name")) ?: "";
	double used = mem_usage(mem), limit = num(mem, "limit"), rx, tx, rd, wr;
	_cleanup_free_ char *cpu = NULL, *memu = NULL, *memp = NULL, *net = NULL, *blk = NULL;
	_cleanup_free_ char *pids = NULL, *sid = NULL;

	io_sums(s, &rx, &tx, &rd, &wr);
	cpu = str_printf("%.2f%%", cpu_percent(s));
	memu = pair(bytes_size, used, limit);
	memp = str_printf("%.2f%%", limit != 0 ? used / limit * 100.0 : 0);
	net = pair(dec_size, rx, tx);
	blk = pair(dec_size, rd, wr);
	pids = str_printf("%.0f", num(json_object_get(s, "pids_stats"), "current"));
	sid = no_trunc ? strdup(id) : strndup(id, 12);
	if (!cpu || !memu || !memp || !net || !blk || !pids || !sid)
		return NULL;
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Container",
	                 container ?: sid, "ID", sid, "Name", *name == '/' ? name + 1 : name,
	                 "CPUPerc", cpu, "MemUsage", memu, "MemPerc", memp, "NetIO", net, "BlockIO",
	                 blk, "PIDs", pids);
}

/* ---- one collector thread per container ---- */

struct collector {
	pthread_mutex_t *lock;
	const char *host;
	char *container; /* as given, or the listed ID */
	bool stream, no_trunc;
	json_t *row; /* latest, under lock */
	char *error; /* under lock */
	bool done;   /* under lock */
};

static int on_stats_line(const char *line, size_t len, void *data, struct husk_error **err)
{
	struct collector *col = data;
	json_t *s = json_loadb(line, len, 0, NULL),
	       *row = s ? stats_row(s, col->container, col->no_trunc) : NULL;

	json_decref(s);
	if (!row)
		return 0;
	pthread_mutex_lock(col->lock);
	json_decref(col->row);
	col->row = row;
	pthread_mutex_unlock(col->lock);
	return 0;
}

static void *collect(void *p)
{
	struct collector *col = p;
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_(api_client_freep) struct api_client *c = api_client_new(col->host, &err);
	_cleanup_free_ char *e = cli_escape(col->container), *path = NULL;
	int r = c && e ? 0 : -ENOMEM;

	path = e ? str_printf("/containers/%s/stats?stream=%d", e, col->stream) : NULL;
	if (r == 0 && path)
		r = api_client_ping(c, &err);
	if (r == 0 && path)
		r = api_client_stream(c, "GET", path, NULL, NULL, on_stats_line, col, NULL, &err);
	pthread_mutex_lock(col->lock);
	if (r < 0 && !col->error)
		col->error = strdup(error_message(err));
	col->done = true;
	pthread_mutex_unlock(col->lock);
	return NULL;
}

/* ---- the command ---- */

struct stats_run {
	struct cli *cli;
	const struct flags *f;
	pthread_mutex_t lock;
	struct collector cols[STATS_MAX_CONTAINERS];
	pthread_t threads[STATS_MAX_CONTAINERS];
	size_t n;
};

/* The containers named, or those listed (running, or all with -a). */
static int stats_targets(struct stats_run *sr, struct husk_error **err)
{
	_cleanup_json_ json_t *list = NULL;
	json_t *c;
	size_t i;
	int r;

	if (flags_nargs(sr->f) > STATS_MAX_CONTAINERS)
		return error_set(err, E2BIG, "at most %d containers", STATS_MAX_CONTAINERS);
	STRV_FOREACH (name, flags_args(sr->f))
		sr->cols[sr->n++].container = strdup(*name);
	if (flags_nargs(sr->f) > 0)
		return 0;
	r = cli_get(sr->cli,
	            flags_bool(sr->f, "all") ? "/containers/json?all=1" : "/containers/json", &list,
	            err);
	if (r < 0)
		return r;
	json_array_foreach (list, i, c) {
		const char *id = json_string_value(json_object_get(c, "Id"));
		if (id && sr->n < STATS_MAX_CONTAINERS)
			sr->cols[sr->n++].container = strndup(id, 12);
	}
	return 0;
}

/* The table of the latest rows; errors for containers that failed. */
static int stats_render(struct stats_run *sr, bool clear, bool *ret_all_done,
                        struct husk_error **err)
{
	_cleanup_json_ json_t *rows = json_array();
	struct strbuf out = {0};
	bool all_done = true;
	int r;

	pthread_mutex_lock(&sr->lock);
	for (size_t i = 0; i < sr->n; i++) {
		if (sr->cols[i].row)
			json_array_append(rows, sr->cols[i].row);
		all_done = all_done && sr->cols[i].done;
	}
	pthread_mutex_unlock(&sr->lock);
	r = table_format(&out, flags_string(sr->f, "format"), STATS_FORMAT, stats_headers, rows,
	                 err);
	if (r == 0) {
		if (clear)
			fputs("\033[2J\033[H", sr->cli->out);
		fwrite(out.buf ?: "", 1, out.len, sr->cli->out);
		fflush(sr->cli->out);
	}
	strbuf_release(&out);
	*ret_all_done = all_done;
	return r;
}

static int stats_errors(struct stats_run *sr)
{
	int status = 0;

	for (size_t i = 0; i < sr->n; i++)
		if (sr->cols[i].error) {
			fprintf(sr->cli->errout, "%s\n", sr->cols[i].error);
			status = CLI_EXIT_ERROR;
		}
	return status;
}

int cmd_stats(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
              struct husk_error **err)
{
	_cleanup_free_ struct stats_run *sr = calloc(1, sizeof(*sr));
	bool stream = !flags_bool(f, "no-stream"), done = false, tty = isatty(STDOUT_FILENO);
	struct api_client *c = NULL;
	int r;

	if (!sr)
		return error_set(err, ENOMEM, "out of memory");
	sr->cli = cli;
	sr->f = f;
	pthread_mutex_init(&sr->lock, NULL);
	r = cli_connect(cli, &c, err);
	r = r ?: stats_targets(sr, err);
	for (size_t i = 0; r == 0 && i < sr->n; i++) {
		sr->cols[i] = (struct collector){.lock = &sr->lock,
		                                 .host = api_client_host(c),
		                                 .container = sr->cols[i].container,
		                                 .stream = stream,
		                                 .no_trunc = flags_bool(f, "no-trunc")};
		if (!sr->cols[i].container ||
		    pthread_create(&sr->threads[i], NULL, collect, &sr->cols[i]) != 0) {
			sr->n = i;
			r = error_set(err, ENOMEM, "cannot start a stats collector");
		}
	}
	if (!stream || r < 0) {
		for (size_t i = 0; i < sr->n; i++)
			pthread_join(sr->threads[i], NULL);
		if (r == 0)
			r = stats_render(sr, false, &done, err);
	} else {
		while (r == 0 && !done) {
			struct timespec ts = {0, REDRAW_NS};
			nanosleep(&ts, NULL);
			r = stats_render(sr, tty, &done, err);
		}
		for (size_t i = 0; i < sr->n; i++)
			pthread_join(sr->threads[i], NULL);
	}
	if (r == 0)
		r = stats_errors(sr);
	for (size_t i = 0; i < sr->n; i++) {
		json_decref(sr->cols[i].row);
		free(sr->cols[i].error);
		free(sr->cols[i].container);
	}
	pthread_mutex_destroy(&sr->lock);
	return r;
}
