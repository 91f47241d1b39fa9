/* cmd_stats.c — husk stats: GET /containers/<id>/stats per container (one
 * thread each, with its own connection, as the daemon takes a second per
 * sample), docker's CLI math over cpu_stats/precpu_stats, memory without
 * the inactive file cache, network and block I/O sums; one table with
 * --no-stream, else redrawn every half second (cleared first on a
 * terminal, as docker stats). Without names it follows the daemon's
 * events as docker stats does: a container that starts (or, with -a, is
 * created) gets a row, one that dies loses it (with -a: keeps it, at zero
 * usage), one that is removed loses it. */
#include <poll.h>
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
#define REDRAW_MS            500
#define EVENT_LINE_MAX       65536
/* {"type":["container"],"event":["create","start","die","destroy"]} */
#define STATS_EVENTS_PATH                                                                          \
	"/events?filters=%7B%22type%22%3A%5B%22container%22%5D%2C%22event%22%3A%5B%22create%22%2C" \
	"%22start%22%2C%22die%22%2C%22destroy%22%5D%7D"

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
	bool thread;  /* its thread was started and is not joined yet */
	bool hidden;  /* under lock: the container died (without -a) or went */
	bool stopped; /* under lock: it died (-a): the row stays at zero */
	json_t *row;  /* latest, under lock */
	char *error;  /* under lock */
	bool done;    /* under lock */
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
	if (col->stopped) {
		json_decref(row); /* a last sample after the death: zero it is */
	} else {
		json_decref(col->row);
		col->row = row;
	}
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
	const char *host;
	bool stream, no_trunc, all;
	pthread_mutex_t lock; /* the slots (n, cols, threads) and each collector's [lock] fields */
	struct collector cols[STATS_MAX_CONTAINERS];
	pthread_t threads[STATS_MAX_CONTAINERS];
	size_t n;
	struct api_conn *ev;          /* the events stream, read by its own thread */
	char ev_line[EVENT_LINE_MAX]; /* an event not yet complete */
	size_t ev_len;
	bool ev_ended;      /* under lock */
	char ev_error[256]; /* under lock: why the events stream ended */
};

/* (Re)start slot i's collector for container (taken); its thread, if it
 * had one, is joined already. */
static int collector_launch_locked(struct stats_run *sr, size_t i, char *container)
{
	struct collector *col = &sr->cols[i];

	json_decref(col->row);
	free(col->error);
	free(col->container);
	*col = (struct collector){.lock = &sr->lock,
	                          .host = sr->host,
	                          .container = container,
	                          .stream = sr->stream,
	                          .no_trunc = sr->no_trunc,
	                          .done = true};
	if (!container)
		return -ENOMEM;
	col->done = false;
	if (pthread_create(&sr->threads[i], NULL, collect, col) != 0) {
		col->done = true;
		col->error = strdup("cannot start a stats collector");
		return -EAGAIN;
	}
	col->thread = true;
	return 0;
}

/* Join slot i's thread. It is done (it only takes the lock to say so, and
 * has let it go), so this does not wait on the lock held. */
static void collector_join(struct stats_run *sr, size_t i)
{
	if (sr->cols[i].thread)
		pthread_join(sr->threads[i], NULL);
	sr->cols[i].thread = false;
}

static ssize_t collector_find_locked(struct stats_run *sr, const char *id)
{
	for (size_t i = 0; i < sr->n; i++)
		if (streq_ptr(sr->cols[i].container, id))
			return (ssize_t)i;
	return -1;
}

/* A row for container id: shown again, its collector started again when it
 * ended; else a new one (in the slot of a finished, hidden one if any). */
static void stats_add_locked(struct stats_run *sr, const char *id)
{
	ssize_t i = collector_find_locked(sr, id);
	size_t slot = sr->n;

	if (i >= 0) {
		sr->cols[i].hidden = sr->cols[i].stopped = false;
		if (!sr->cols[i].done)
			return;
		slot = (size_t)i;
	} else {
		for (size_t k = 0; k < sr->n && slot == sr->n; k++)
			if (sr->cols[k].hidden && sr->cols[k].done)
				slot = k;
	}
	if (slot == STATS_MAX_CONTAINERS)
		return; /* a full table: it is left out */
	collector_join(sr, slot);
	if (slot == sr->n)
		sr->n++;
	collector_launch_locked(sr, slot, strdup(id));
}

/* It died: its row goes (-a: stays, with zero usage as docker shows). */
static void stats_died_locked(struct stats_run *sr, const char *id, json_t *actor)
{
	ssize_t i = collector_find_locked(sr, id);
	struct collector *col;
	_cleanup_json_ json_t *zero = NULL;

	if (i < 0)
		return;
	col = &sr->cols[i];
	if (!sr->all) {
		col->hidden = true;
		return;
	}
	zero = json_pack(
	        "{s:s, s:s}", "id", json_string_value(json_object_get(actor, "ID")) ?: id, "name",
	        json_string_value(json_object_get(json_object_get(actor, "Attributes"), "name"))
	                ?: "");
	col->stopped = true;
	json_decref(col->row);
	col->row = zero ? stats_row(zero, col->container, col->no_trunc) : NULL;
}

static void stats_event_locked(struct stats_run *sr, const char *line, size_t len)
{
	_cleanup_json_ json_t *e = json_loadb(line, len, 0, NULL);
	json_t *actor = json_object_get(e, "Actor");
	const char *action = json_string_value(json_object_get(e, "Action"));
	const char *full = json_string_value(json_object_get(actor, "ID"));
	ssize_t i;
	char id[13];

	if (!action || !full || strlen(full) < 12)
		return; /* not a container event */
	snprintf(id, sizeof(id), "%.12s", full);
	if (streq(action, "start") || (streq(action, "create") && sr->all))
		stats_add_locked(sr, id);
	else if (streq(action, "die"))
		stats_died_locked(sr, id, actor);
	else if (streq(action, "destroy") && (i = collector_find_locked(sr, id)) >= 0)
		sr->cols[i].hidden = true;
}

static void stats_events_feed_locked(struct stats_run *sr, const char *buf, size_t n)
{
	char *nl;

	while (n > 0) {
		size_t take = MIN(n, sizeof(sr->ev_line) - sr->ev_len);
		memcpy(sr->ev_line + sr->ev_len, buf, take);
		sr->ev_len += take;
		buf += take;
		n -= take;
		while ((nl = memchr(sr->ev_line, '\n', sr->ev_len))) {
			size_t len = (size_t)(nl - sr->ev_line);
			stats_event_locked(sr, sr->ev_line, len);
			memmove(sr->ev_line, nl + 1, sr->ev_len - len - 1);
			sr->ev_len -= len + 1;
		}
		if (sr->ev_len == sizeof(sr->ev_line))
			sr->ev_len = 0; /* a line past any event's size: not one */
	}
}

static void *events_main(void *p)
{
	struct stats_run *sr = p;
	_cleanup_error_ struct husk_error *err = NULL;
	char buf[4096];
	ssize_t n;

	while ((n = api_conn_read(sr->ev, buf, sizeof(buf), &err)) > 0) {
		pthread_mutex_lock(&sr->lock);
		stats_events_feed_locked(sr, buf, (size_t)n);
		pthread_mutex_unlock(&sr->lock);
	}
	pthread_mutex_lock(&sr->lock);
	snprintf(sr->ev_error, sizeof(sr->ev_error), "%s",
	         n == 0 ? "the daemon ended the events stream" : error_message(err));
	sr->ev_ended = true;
	pthread_mutex_unlock(&sr->lock);
	return NULL;
}

/* The containers named, or those listed (running, or all with -a). */
static int stats_targets(struct stats_run *sr, struct husk_error **err)
{
	_cleanup_json_ json_t *list = NULL;
	json_t *c;
	size_t i;
	int r = 0;

	if (flags_nargs(sr->f) > STATS_MAX_CONTAINERS)
		return error_set(err, E2BIG, "at most %d containers", STATS_MAX_CONTAINERS);
	if (flags_nargs(sr->f) > 0) {
		pthread_mutex_lock(&sr->lock);
		STRV_FOREACH (name, flags_args(sr->f))
			if ((r = collector_launch_locked(sr, sr->n++, strdup(*name))) < 0)
				break;
		pthread_mutex_unlock(&sr->lock);
		return r < 0 ? error_set(err, -r, "cannot start a stats collector") : 0;
	}
	r = cli_get(sr->cli, sr->all ? "/containers/json?all=1" : "/containers/json", &list, err);
	if (r < 0)
		return r;
	json_array_foreach (list, i, c) {
		const char *id = json_string_value(json_object_get(c, "Id"));
		char short_id[13];
		if (!id)
			continue;
		snprintf(short_id, sizeof(short_id), "%.12s", id);
		pthread_mutex_lock(&sr->lock);
		stats_add_locked(sr, short_id);
		pthread_mutex_unlock(&sr->lock);
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
		if (sr->cols[i].row && !sr->cols[i].hidden)
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
		if (sr->cols[i].error && !sr->cols[i].hidden) {
			fprintf(sr->cli->errout, "%s\n", sr->cols[i].error);
			status = CLI_EXIT_ERROR;
		}
	return status;
}

/* Redraw every half second until every collector is done (names given),
 * or, following the events, until their stream ends. */
static int stats_loop(struct stats_run *sr, bool tty, struct husk_error **err)
{
	bool done = false;
	int r = 0;

	while (r == 0 && (sr->ev || !done)) {
		struct timespec ts = {0, REDRAW_NS};
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&sr->lock);
		if (sr->ev_ended)
			r = error_set(err, EPIPE, "%s", sr->ev_error);
		pthread_mutex_unlock(&sr->lock);
		if (r == 0)
			r = stats_render(sr, tty, &done, err);
	}
	return r;
}

int cmd_stats(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
              struct husk_error **err)
{
	_cleanup_free_ struct stats_run *sr = calloc(1, sizeof(*sr));
	_cleanup_(api_client_freep) struct api_client *evc = NULL;
	struct api_client *c = NULL;
	pthread_t ev_thread;
	bool done = false;
	int r;

	if (!sr)
		return error_set(err, ENOMEM, "out of memory");
	*sr = (struct stats_run){.cli = cli,
	                         .f = f,
	                         .stream = !flags_bool(f, "no-stream"),
	                         .no_trunc = flags_bool(f, "no-trunc"),
	                         .all = flags_bool(f, "all")};
	pthread_mutex_init(&sr->lock, NULL);
	r = cli_connect(cli, &c, err);
	if (r == 0)
		sr->host = api_client_host(c);
	/* without names, subscribed before the list is taken: a container
	 * that starts in between is not missed */
	if (r == 0 && sr->stream && flags_nargs(f) == 0) {
		evc = api_client_new(sr->host, err);
		r = evc ? api_client_open(evc, "GET", STATS_EVENTS_PATH, NULL, NULL, &sr->ev, err)
		        : -ENOMEM;
		if (r == 0 && pthread_create(&ev_thread, NULL, events_main, sr) != 0)
			r = error_set(err, EAGAIN, "cannot follow the daemon's events");
	}
	r = r ?: stats_targets(sr, err);
	if (r == 0 && sr->stream)
		r = stats_loop(sr, isatty(STDOUT_FILENO), err);
	if (r < 0 && (sr->stream || sr->ev)) {
		/* streaming collectors and the events reader end with the
		 * daemon's streams, not with us: the process exits now and
		 * takes them, and what they use, with it */
		TAKE_PTR(evc);
		TAKE_PTR(sr);
		return r;
	}
	for (size_t i = 0; i < sr->n; i++)
		collector_join(sr, i);
	if (r == 0 && !sr->stream)
		r = stats_render(sr, false, &done, err);
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
