/* progress.c — Docker's JSON progress messages on a terminal or a pipe
 * (see progress.h). The terminal algorithm is docker's: each item id gets
 * a line the first time it shows progress; an update moves the cursor up
 * to that line, clears and rewrites it, and moves back down; any message
 * without progress forgets the lines (a new block starts below). */
#include <jansson.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"
#include "base/jsonprogress.h"
#include "base/str.h"
#include "cli/progress.h"

#define SPEED_MIN_NS 500000000ull /* show a speed once this much time has passed */

struct item {
	char *id;
	unsigned line;  /* its line in the current block */
	char *status;   /* the status its speed is measured for */
	uint64_t t0_ns; /* when that status began */
	uint64_t c0;    /* bytes at that moment */
};

struct progress {
	FILE *out;
	enum progress_mode mode;
	unsigned width;
	struct item *items;
	size_t n_items;
};

struct progress *progress_new(FILE *out, enum progress_mode mode, unsigned width)
{
	struct progress *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	*p = (struct progress){.out = out, .mode = mode, .width = width};
	return p;
}

struct progress *progress_new_for(FILE *out, bool quiet)
{
	struct winsize ws = {0};
	int fd = fileno(out);

	if (quiet)
		return progress_new(out, PROGRESS_QUIET, 0);
	if (fd < 0 || !isatty(fd))
		return progress_new(out, PROGRESS_PLAIN, 0);
	if (ioctl(fd, TIOCGWINSZ, &ws) < 0 || ws.ws_col == 0)
		ws.ws_col = 80;
	return progress_new(out, PROGRESS_TTY, ws.ws_col);
}

static void items_forget(struct progress *p)
{
	for (size_t i = 0; i < p->n_items; i++) {
		free(p->items[i].id);
		free(p->items[i].status);
	}
	free(p->items);
	p->items = NULL;
	p->n_items = 0;
}

void progress_free(struct progress *p)
{
	if (!p)
		return;
	items_forget(p);
	free(p);
}

/* The item of id, added on a new line when new (NULL on OOM). */
static struct item *item_get(struct progress *p, const char *id, bool *ret_new)
{
	struct item *v;

	*ret_new = false;
	for (size_t i = 0; i < p->n_items; i++)
		if (streq(p->items[i].id, id))
			return &p->items[i];
	v = realloc(p->items, (p->n_items + 1) * sizeof(*v));
	if (!v)
		return NULL;
	p->items = v;
	v = &p->items[p->n_items];
	*v = (struct item){.id = strdup(id), .line = (unsigned)p->n_items};
	if (!v->id)
		return NULL;
	p->n_items++;
	*ret_new = true;
	return v;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* " 12.3MB/s" once the item has moved bytes for a while, else "". */
static void speed_text(struct item *it, const char *status, uint64_t current, char *buf, size_t len)
{
	uint64_t now = now_ns();
	char size[32];

	buf[0] = 0;
	if (!streq(it->status, status)) {
		free(it->status);
		it->status = strdup(status);
		it->t0_ns = now;
		it->c0 = current;
		return;
	}
	if (now - it->t0_ns < SPEED_MIN_NS || current <= it->c0)
		return;
	jsonprogress_human_size(
	        (uint64_t)((double)(current - it->c0) * 1e9 / (double)(now - it->t0_ns)), size,
	        sizeof(size));
	snprintf(buf, len, " %s/s", size);
}

/* A message's "progressDetail", when it has one. */
struct detail {
	bool present;
	uint64_t current, total;
};

static struct detail detail_of(const json_t *m)
{
	json_t *d = json_object_get(m, "progressDetail");
	json_int_t c = json_integer_value(json_object_get(d, "current"));
	json_int_t t = json_integer_value(json_object_get(d, "total"));

	return (struct detail){json_is_object(d), c > 0 ? (uint64_t)c : 0, t > 0 ? (uint64_t)t : 0};
}

/* A terminal line: "id: Status [==>  ]  1.2MB/3.4MB 1MB/s", redrawn in
 * place when the id already has a line. */
static void render_tty(struct progress *p, const char *id, const char *status,
                       const struct detail *d)
{
	char text[JSONPROGRESS_TEXT_MAX], speed[48] = "";
	struct item *it = NULL;
	unsigned diff = 0;
	bool is_new = false;

	if (id && d->present && (it = item_get(p, id, &is_new))) {
		if (is_new)
			fputc('\n', p->out);
		diff = (unsigned)p->n_items - it->line;
		fprintf(p->out, "\033[%uA", diff);
	} else if (!(id && d->present))
		items_forget(p);
	if (!d->present) {
		fprintf(p->out, "%s%s%s\n", id ? id : "", id ? ": " : "", status);
		return;
	}
	jsonprogress_format(d->current, d->total, p->width, text, sizeof(text));
	if (it && *text && p->width > 50)
		speed_text(it, status, d->current, speed, sizeof(speed));
	fprintf(p->out, "\033[2K\r%s%s%s %s%s\r", id ? id : "", id ? ": " : "", status, text,
	        speed);
	if (it)
		fprintf(p->out, "\033[%uB", diff);
}

/* A plain line, only for messages without byte progress. */
static void render_plain(struct progress *p, const char *id, const char *status,
                         const struct detail *d)
{
	if (d->present && (d->current || d->total))
		return;
	fprintf(p->out, "%s%s%s\n", id ? id : "", id ? ": " : "", status);
}

int progress_line(const char *line, size_t len, void *data, struct husk_error **err)
{
	struct progress *p = data;
	_cleanup_json_ json_t *m = json_loadb(line, len, 0, NULL);
	json_t *e;
	const char *id, *status, *stream;
	struct detail d;

	if (!m || !json_is_object(m)) {
		if (len && p->mode != PROGRESS_QUIET)
			fprintf(p->out, "%.*s\n", (int)len, line);
		return 0;
	}
	e = json_object_get(m, "errorDetail");
	if (e || json_object_get(m, "error")) {
		const char *msg = json_string_value(json_object_get(e, "message"));

		if (!msg)
			msg = json_string_value(json_object_get(m, "error"));
		return error_set(err, EIO, "%s", msg ? msg : "unknown error");
	}
	if (p->mode == PROGRESS_QUIET || json_object_get(m, "aux"))
		return 0;
	id = json_string_value(json_object_get(m, "id"));
	status = json_string_value(json_object_get(m, "status")) ?: "";
	stream = json_string_value(json_object_get(m, "stream"));
	d = detail_of(m);
	if (isempty(id))
		id = NULL;
	if (stream) {
		if (p->mode == PROGRESS_TTY)
			items_forget(p);
		fputs(stream, p->out);
	} else if (p->mode == PROGRESS_TTY)
		render_tty(p, id, status, &d);
	else
		render_plain(p, id, status, &d);
	fflush(p->out);
	return 0;
}
