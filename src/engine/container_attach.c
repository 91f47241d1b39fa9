/* container_attach.c — the streams of a container: attach (relaying a
 * hijacked client socket and the monitor's attach socket, detach keys),
 * logs (the json-file log, framed or raw, followed until the container
 * stops), wait (the conditions of POST /wait) and stats. */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"
#include "base/str.h"
#include "engine/container_internal.h"
#include "engine/engine.h"
#include "engine/logfile.h"
#include "engine/monitor.h"
#include "engine/stats.h"

#define RELAY_BUF       32768
#define POLL_SLICE_MS   200
#define DETACH_KEYS_MAX 16

/* ---- framing and relaying ---- */

int write_frame(int fd, bool tty, int stream, const void *buf, size_t len)
{
	unsigned char h[8] = {(unsigned char)stream,
	                      0,
	                      0,
	                      0,
	                      (unsigned char)(len >> 24),
	                      (unsigned char)(len >> 16),
	                      (unsigned char)(len >> 8),
	                      (unsigned char)len};
	int r;

	if (!tty && (r = write_all(fd, h, sizeof(h))) < 0)
		return r;
	return write_all(fd, buf, len);
}

/* Strips the multiplexed frames of a tty stream as they come. */
struct deframer {
	unsigned char hdr[8];
	size_t hdr_len;
	size_t left; /* payload bytes of the current frame still to come */
};

static int deframe_write(struct deframer *d, int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		if (d->left == 0) {
			size_t take = MIN(n, sizeof(d->hdr) - d->hdr_len);
			memcpy(d->hdr + d->hdr_len, p, take);
			d->hdr_len += take;
			p += take;
			n -= take;
			if (d->hdr_len == sizeof(d->hdr)) {
				d->left = (size_t)d->hdr[4] << 24 | (size_t)d->hdr[5] << 16 |
				          (size_t)d->hdr[6] << 8 | d->hdr[7];
				d->hdr_len = 0;
			}
			continue;
		}
		size_t take = MIN(n, d->left);
		int r = write_all(fd, p, take);
		if (r < 0)
			return r;
		p += take;
		n -= take;
		d->left -= take;
	}
	return 0;
}

/* Forward client input, holding back a prefix of the detach keys.
 * Returns 1 when the whole sequence came. */
struct detacher {
	const unsigned char *keys;
	size_t n, matched;
};

static int forward_input(struct detacher *dk, int mon, const unsigned char *p, size_t n)
{
	unsigned char out[RELAY_BUF + DETACH_KEYS_MAX];
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (dk->n == 0) {
			out[o++] = p[i];
		} else if (p[i] == dk->keys[dk->matched]) {
			if (++dk->matched == dk->n) {
				/* what came before the sequence still goes in */
				if (o)
					write_all(mon, out, o);
				return 1;
			}
		} else {
			/* not the sequence after all: what was held goes through */
			memcpy(out + o, dk->keys, dk->matched);
			o += dk->matched;
			dk->matched = 0;
			if (p[i] == dk->keys[0])
				dk->matched = 1;
			else
				out[o++] = p[i];
		}
		if (o >= RELAY_BUF) {
			if (write_all(mon, out, o) < 0)
				return 0; /* the container's stdin is closed: drop */
			o = 0;
		}
	}
	if (o && write_all(mon, out, o) < 0)
		return 0;
	return 0;
}

int relay_streams(int mon, int sock, const void *pending, size_t pending_len, int shutdown_fd,
                  const struct relay_opts *o)
{
	struct detacher dk = {o->tty ? o->detach_keys : NULL, o->tty ? o->n_detach_keys : 0, 0};
	struct deframer df = {0};
	unsigned char buf[RELAY_BUF];
	bool in_open = o->in;

	if (o->in && pending_len && forward_input(&dk, mon, pending, pending_len) == 1)
		return 1;
	for (;;) {
		struct pollfd p[3] = {{mon, POLLIN, 0},
		                      {sock, in_open ? POLLIN : 0, 0},
		                      {shutdown_fd, POLLIN, 0}};
		ssize_t n;

		if (RETRY_EINTR(poll(p, shutdown_fd >= 0 ? 3 : 2, -1)) < 0)
			return -1;
		if (p[2].revents)
			return -1;
		if (p[0].revents) {
			n = RETRY_EINTR(read(mon, buf, sizeof(buf)));
			if (n <= 0)
				return 0;
			if ((o->tty ? deframe_write(&df, sock, buf, (size_t)n)
			            : write_all(sock, buf, (size_t)n)) < 0)
				return -1;
			continue;
		}
		if (p[1].revents & POLLIN) {
			n = RETRY_EINTR(read(sock, buf, sizeof(buf)));
			if (n < 0)
				return -1;
			if (n == 0) { /* the client closed its stdin */
				in_open = false;
				shutdown(mon, SHUT_WR);
				continue;
			}
			if (forward_input(&dk, mon, buf, (size_t)n) == 1)
				return 1;
			continue;
		}
		if (p[1].revents & (POLLHUP | POLLERR | POLLNVAL))
			return -1;
	}
}

/* Whether the client of a stream went away (a hijacked socket: fully
 * closed; a reply pipe: its reader gone). */
static bool client_gone(int fd)
{
	struct pollfd p = {fd, 0, 0};

	return fd >= 0 && poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR | POLLNVAL));
}

static bool fd_readable(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};

	return fd >= 0 && poll(&p, 1, 0) > 0 && (p.revents & POLLIN);
}

/* ---- detach keys ---- */

int containers_parse_detach_keys(const char *s, unsigned char *ret, size_t *ret_len,
                                 struct husk_error **err)
{
	_cleanup_strv_ char **parts = NULL;
	size_t n = 0;

	if (isempty(s))
		s = "ctrl-p,ctrl-q";
	parts = strv_split(s, ",");
	if (!parts)
		return error_set(err, ENOMEM, "out of memory");
	STRV_FOREACH (p, parts) {
		const char *k = *p, *c;
		if (n >= DETACH_KEYS_MAX)
			return error_set(err, EINVAL, "Invalid detach keys (%s) provided", s);
		if (strlen(k) == 1) {
			ret[n++] = (unsigned char)k[0];
		} else if ((c = startswith(k, "ctrl-")) && strlen(c) == 1) {
			char ch = *c;
			if (ch >= 'a' && ch <= 'z')
				ret[n++] = (unsigned char)(ch - 'a' + 1);
			else if (ch == '@')
				ret[n++] = 0;
			else if (ch == '[' || ch == '\\' || ch == ']' || ch == '^' || ch == '_')
				ret[n++] = (unsigned char)(ch - '@');
			else
				return error_set(err, EINVAL, "Invalid detach keys (%s) provided",
				                 s);
		} else {
			return error_set(err, EINVAL, "Invalid detach keys (%s) provided", s);
		}
	}
	*ret_len = n;
	return 0;
}

/* ---- logs ---- */

struct containers_logs {
	struct ctr *c;
	struct containers_logs_opts o;
	bool tty;
};

struct log_writer {
	int fd;
	bool tty, timestamps;
};

static int log_entry(int stream, const char *buf, size_t len, int64_t time_ns, void *data)
{
	struct log_writer *w = data;
	char ts[48];
	int r;

	if (!w->timestamps)
		return write_frame(w->fd, w->tty, stream, buf, len) < 0 ? -EPIPE : 0;
	logfile_format_time(ts, sizeof(ts) - 1, time_ns, false);
	strcat(ts, " ");
	{
		size_t tl = strlen(ts);
		_cleanup_free_ char *line = malloc(tl + len);
		if (!line)
			return -ENOMEM;
		memcpy(line, ts, tl);
		memcpy(line + tl, buf, len);
		r = write_frame(w->fd, w->tty, stream, line, tl + len);
	}
	return r < 0 ? -EPIPE : 0;
}

int containers_logs_begin(struct containers *cs, const char *name,
                          const struct containers_logs_opts *o, struct containers_logs **ret,
                          bool *ret_tty, struct husk_error **err)
{
	_cleanup_(ctr_unrefp) struct ctr *c = NULL;
	struct containers_logs *l;
	int r = ctr_lookup(cs, name, &c, err);

	if (r < 0)
		return r;
	if (!c->log_path)
		return error_set(err, ENOTSUP,
		                 "configured logging driver does not support reading");
	l = calloc(1, sizeof(*l));
	if (!l)
		return error_set(err, ENOMEM, "out of memory");
	l->c = TAKE_PTR(c);
	l->o = *o;
	l->tty = json_is_true(json_object_get(l->c->config, "Tty"));
	*ret_tty = l->tty;
	*ret = l;
	return 0;
}

/* logs -f: ends the follow when the client leaves or the daemon stops. */
struct follow_watch {
	int out_fd, shutdown_fd, stop_fd, done_fd;
};

static void *follow_watch_main(void *p)
{
	struct follow_watch *w = p;

	for (;;) {
		struct pollfd f[3] = {
		        {w->out_fd, 0, 0}, {w->shutdown_fd, POLLIN, 0}, {w->done_fd, POLLIN, 0}};
		if (RETRY_EINTR(poll(f, 3, -1)) < 0 || f[2].revents)
			return NULL;
		if (f[0].revents || f[1].revents) {
			uint64_t one = 1;
			if (write(w->stop_fd, &one, sizeof(one)) < 0)
				log_debug("logs: cannot signal the follower");
			return NULL;
		}
	}
}

void containers_logs_run(struct containers_logs *l, int out_fd, int shutdown_fd)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct logfile_read_opts ro = {.out = l->o.out,
	                               .err = l->o.err,
	                               .timestamps = false,
	                               .since_ns = l->o.since_ns,
	                               .until_ns = l->o.until_ns,
	                               .tail = l->o.tail,
	                               .follow = l->o.follow};
	struct log_writer w = {out_fd, l->tty, l->o.timestamps};
	struct follow_watch fw = {out_fd, shutdown_fd, -1, -1};
	uint64_t max_size;
	unsigned max_files;
	pthread_t t;
	bool watching = false;

	ctr_log_options(l->c, &max_size, &max_files);
	if (ro.follow) {
		fw.stop_fd = eventfd(0, EFD_CLOEXEC);
		fw.done_fd = eventfd(0, EFD_CLOEXEC);
		if (fw.stop_fd < 0 || fw.done_fd < 0 || ctr_log_follow_add(l->c, fw.stop_fd) < 0)
			ro.follow = false; /* not running: nothing more will come */
		else if (pthread_create(&t, NULL, follow_watch_main, &fw) == 0)
			watching = true;
	}
	if (logfile_read(l->c->log_path, max_files, &ro, ro.follow ? fw.stop_fd : -1, log_entry, &w,
	                 &err) < 0 &&
	    err)
		log_debug("logs %.12s: %s", l->c->id, error_message(err));
	if (ro.follow)
		ctr_log_follow_remove(l->c, fw.stop_fd);
	if (watching) {
		uint64_t one = 1;
		if (write(fw.done_fd, &one, sizeof(one)) < 0)
			log_debug("logs: cannot stop the watcher");
		pthread_join(t, NULL);
	}
	safe_close(fw.stop_fd);
	safe_close(fw.done_fd);
}

void containers_logs_free(struct containers_logs *l)
{
	if (!l)
		return;
	ctr_unref(l->c);
	free(l);
}

/* ---- attach ---- */

struct containers_attach {
	struct ctr *c;
	struct containers_attach_opts o;
	unsigned char keys[DETACH_KEYS_MAX];
	size_t n_keys;
	bool tty;
};

int containers_attach_begin(struct containers *cs, const char *name,
                            const struct containers_attach_opts *o, struct containers_attach **ret,
                            bool *ret_tty, struct husk_error **err)
{
	_cleanup_(ctr_unrefp) struct ctr *c = NULL;
	struct containers_attach *a;
	bool paused;
	int r = ctr_lookup(cs, name, &c, err);

	if (r < 0)
		return r;
	pthread_mutex_lock(&cs->lock);
	paused = c->status == CTR_PAUSED;
	pthread_mutex_unlock(&cs->lock);
	if (paused)
		return error_set(err, EBUSY,
		                 "container %s is paused, unpause the container before attach",
		                 name);
	a = calloc(1, sizeof(*a));
	if (!a)
		return error_set(err, ENOMEM, "out of memory");
	r = containers_parse_detach_keys(o->detach_keys, a->keys, &a->n_keys, err);
	if (r < 0) {
		free(a);
		return r;
	}
	a->o = *o;
	a->o.detach_keys = NULL;
	a->tty = json_is_true(json_object_get(c->config, "Tty"));
	/* stdin only reaches a container created with it open */
	a->o.in = o->in && json_is_true(json_object_get(c->config, "OpenStdin"));
	a->c = TAKE_PTR(c);
	*ret_tty = a->tty;
	*ret = a;
	ctr_event(a->c, "attach", NULL);
	return 0;
}

/* Wait for a start to connect this attacher. The monitor's socket, or -1
 * when the container went away or the client did. */
static int wait_for_start(struct ctr *c, const struct containers_attach *a, int sock,
                          int shutdown_fd)
{
	struct containers *cs = c->cs;
	struct pending_attach *p = calloc(1, sizeof(*p));
	int fd = -1;

	if (!p)
		return -1;
	*p = (struct pending_attach){.in = a->o.in, .out = a->o.out, .err = a->o.err, .fd = -1};
	pthread_mutex_lock(&cs->lock);
	p->next = c->attaches;
	c->attaches = p;
	for (;;) {
		struct timespec until;
		if (p->fd >= 0 || p->failed)
			break;
		if (c->removed || cs->stopping || client_gone(sock) || fd_readable(shutdown_fd)) {
			/* still waiting in the list: leave it; else a start is
			 * connecting it right now: wait for that */
			bool listed = false;
			for (struct pending_attach **q = &c->attaches; *q; q = &(*q)->next)
				if (*q == p) {
					*q = p->next;
					listed = true;
					break;
				}
			if (listed)
				break;
		}
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += POLL_SLICE_MS * 1000000L;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&cs->cond, &cs->lock, &until);
	}
	fd = p->fd;
	pthread_mutex_unlock(&cs->lock);
	free(p);
	return fd;
}

static void replay_log(struct containers_attach *a, int sock)
{
	struct logfile_read_opts ro = {.out = a->o.out, .err = a->o.err, .tail = -1};
	struct log_writer w = {sock, a->tty, false};
	uint64_t max_size;
	unsigned max_files;

	if (!a->c->log_path)
		return;
	ctr_log_options(a->c, &max_size, &max_files);
	logfile_read(a->c->log_path, max_files, &ro, -1, log_entry, &w, NULL);
}

void containers_attach_run(struct containers_attach *a, int sock, const void *pending,
                           size_t pending_len, int shutdown_fd)
{
	struct ctr *c = a->c;
	struct containers *cs = c->cs;
	struct relay_opts ro = {a->tty, a->o.in, a->keys, a->n_keys};
	_cleanup_close_ int fd = -1;
	bool running;

	if (a->o.logs)
		replay_log(a, sock);
	if (!a->o.stream)
		return;
	pthread_mutex_lock(&cs->lock);
	running = c->status == CTR_RUNNING || c->status == CTR_PAUSED;
	pthread_mutex_unlock(&cs->lock);
	if (!running || monitor_attach(c->run_dir, a->o.in, a->o.out, a->o.err, &fd, NULL) < 0)
		fd = wait_for_start(c, a, sock, shutdown_fd);
	if (fd < 0)
		return;
	if (relay_streams(fd, sock, pending, pending_len, shutdown_fd, &ro) == 1)
		log_debug("container %.12s: a client detached", c->id);
}

void containers_attach_free(struct containers_attach *a)
{
	if (!a)
		return;
	ctr_unref(a->c);
	free(a);
}

/* ---- wait ---- */

struct containers_wait {
	struct ctr *c;
	enum containers_wait_condition cond;
	uint64_t seq;
	bool was_running;
};

int containers_wait_condition_parse(const char *s, enum containers_wait_condition *ret,
                                    struct husk_error **err)
{
	if (isempty(s) || streq(s, "not-running"))
		*ret = CONTAINERS_WAIT_NOT_RUNNING;
	else if (streq(s, "next-exit"))
		*ret = CONTAINERS_WAIT_NEXT_EXIT;
	else if (streq(s, "removed"))
		*ret = CONTAINERS_WAIT_REMOVED;
	else
		return error_set(err, EINVAL, "invalid condition: \"%s\"", s);
	return 0;
}

int containers_wait_begin(struct containers *cs, const char *name,
                          enum containers_wait_condition cond, struct containers_wait **ret,
                          struct husk_error **err)
{
	_cleanup_(ctr_unrefp) struct ctr *c = NULL;
	struct containers_wait *w;
	int r = ctr_lookup(cs, name, &c, err);

	if (r < 0)
		return r;
	w = calloc(1, sizeof(*w));
	if (!w)
		return error_set(err, ENOMEM, "out of memory");
	pthread_mutex_lock(&cs->lock);
	w->seq = c->exit_seq;
	w->was_running = ctr_is_running(c);
	pthread_mutex_unlock(&cs->lock);
	w->cond = cond;
	w->c = TAKE_PTR(c);
	*ret = w;
	return 0;
}

static bool wait_done_locked(const struct containers_wait *w)
{
	const struct ctr *c = w->c;

	switch (w->cond) {
	case CONTAINERS_WAIT_NOT_RUNNING:
		return !w->was_running || c->exit_seq != w->seq || c->removed;
	case CONTAINERS_WAIT_NEXT_EXIT:
		return c->exit_seq != w->seq || c->removed;
	case CONTAINERS_WAIT_REMOVED:
		return c->removed;
	}
	return true;
}

int containers_wait_run(struct containers_wait *w, int client_fd, int shutdown_fd, int *ret_status,
                        char **ret_error)
{
	struct containers *cs = w->c->cs;

	pthread_mutex_lock(&cs->lock);
	while (!wait_done_locked(w)) {
		struct timespec until;
		bool stop;

		pthread_mutex_unlock(&cs->lock);
		stop = client_gone(client_fd) || fd_readable(shutdown_fd);
		pthread_mutex_lock(&cs->lock);
		if (stop || cs->stopping) {
			pthread_mutex_unlock(&cs->lock);
			return -ECANCELED;
		}
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += POLL_SLICE_MS * 1000000L;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		if (!wait_done_locked(w))
			pthread_cond_timedwait(&cs->cond, &cs->lock, &until);
	}
	*ret_status = w->c->exit_code;
	/* dockerd clears the error of a removed container */
	*ret_error = w->c->error && w->cond != CONTAINERS_WAIT_REMOVED ? strdup(w->c->error) : NULL;
	pthread_mutex_unlock(&cs->lock);
	return 0;
}

void containers_wait_free(struct containers_wait *w)
{
	if (!w)
		return;
	ctr_unref(w->c);
	free(w);
}

/* ---- stats ---- */

struct containers_stats {
	struct ctr *c;
};

int containers_stats_begin(struct containers *cs, const char *name, struct containers_stats **ret,
                           struct husk_error **err)
{
	_cleanup_(ctr_unrefp) struct ctr *c = NULL;
	int r = ctr_lookup(cs, name, &c, err);

	if (r < 0)
		return r;
	*ret = calloc(1, sizeof(**ret));
	if (!*ret)
		return error_set(err, ENOMEM, "out of memory");
	(*ret)->c = TAKE_PTR(c);
	return 0;
}

/* One sample of the running container, or NULL. */
static json_t *stats_take(struct ctr *c)
{
	struct containers *cs = c->cs;
	_cleanup_free_ char *cg = NULL;
	json_t *j = NULL;
	pid_t pid = 0;

	pthread_mutex_lock(&cs->lock);
	if ((c->status == CTR_RUNNING || c->status == CTR_PAUSED) && c->cgroups_path) {
		cg = strdup(c->cgroups_path);
		pid = c->pid;
	}
	pthread_mutex_unlock(&cs->lock);
	if (!cg || stats_sample(&cs->e->cgroups, cg, pid, &j, NULL) < 0)
		return NULL;
	return j;
}

static int stats_emit(struct ctr *c, json_t *cur, json_t *prev, int fd)
{
	struct containers *cs = c->cs;
	_cleanup_free_ char *name = NULL, *text = NULL;
	json_t *resp;
	int r;

	pthread_mutex_lock(&cs->lock);
	name = strdup(c->name);
	pthread_mutex_unlock(&cs->lock);
	if (!name)
		return -ENOMEM;
	resp = stats_response(cur, prev, name, c->id);
	text = resp ? json_dumps(resp, JSON_COMPACT) : NULL;
	json_decref(resp);
	if (!text)
		return -ENOMEM;
	r = write_all(fd, text, strlen(text));
	return r < 0 ? r : write_all(fd, "\n", 1);
}

/* Sleep a second unless the client leaves or the daemon stops. */
static bool stats_pause(int out_fd, int shutdown_fd)
{
	struct pollfd p[2] = {{out_fd, 0, 0}, {shutdown_fd, POLLIN, 0}};

	return RETRY_EINTR(poll(p, shutdown_fd >= 0 ? 2 : 1, 1000)) == 0;
}

void containers_stats_run(struct containers_stats *s, bool stream, bool one_shot, int out_fd,
                          int shutdown_fd)
{
	_cleanup_json_ json_t *prev = NULL;
	json_t *cur = stats_take(s->c);

	if (!cur) {
		/* not running: Docker's empty stats, once */
		_cleanup_json_ json_t *empty = json_object();
		stats_emit(s->c, empty, NULL, out_fd);
		return;
	}
	if (!stream && !one_shot) {
		prev = cur;
		if (!stats_pause(out_fd, shutdown_fd) || !(cur = stats_take(s->c))) {
			stats_emit(s->c, prev, NULL, out_fd);
			return;
		}
	}
	for (;;) {
		int r = stats_emit(s->c, cur, prev, out_fd);
		json_decref(prev);
		prev = cur;
		if (r < 0 || !stream || !stats_pause(out_fd, shutdown_fd) ||
		    !(cur = stats_take(s->c)))
			return;
	}
}

void containers_stats_free(struct containers_stats *s)
{
	if (!s)
		return;
	ctr_unref(s->c);
	free(s);
}
