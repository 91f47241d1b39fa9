/* monitor_loop.c — husk-monitor's single-threaded poll loop: the process's
 * output to the log and the attachers, the attachers' input to its stdin,
 * the control requests, and the exit. Nothing here blocks: a client that
 * does not keep up is dropped, stdin that the container does not read is
 * held (and the clients' input is then not read) rather than waited for. */
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/memshed.h"
#include "base/str.h"
#include "engine/monitor_proc.h"
#include "runtime/console.h"

int64_t mon_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void mon_mark_exited(struct mon *m, int status)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	m->exited = true;
	m->status = status;
	m->exit_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	m->exit_mono = mon_now_ms();
	m->pidfd = safe_close(m->pidfd);
}

void mon_reap(struct mon *m)
{
	int status = 0;
	pid_t p;

	if (m->exited || m->pid <= 0)
		return;
	p = waitpid(m->pid, &status, WNOHANG);
	if (p == m->pid)
		mon_mark_exited(m, status);
	else if (p < 0 && errno == ECHILD)
		mon_mark_exited(m, 255 << 8); /* not ours to reap: cannot happen */
}

/* ---- clients ---- */

static void close_stdin(struct mon *m);

void mon_client_drop(struct mon *m, struct mon_client *cl)
{
	/* an attacher that vanished without its EOF has still left */
	if (cl->kind == MC_ATTACH && cl->in && !cl->in_eof && m->c->stdin_once)
		close_stdin(m);
	for (struct mon_client **p = &m->clients; *p; p = &(*p)->next)
		if (*p == cl) {
			*p = cl->next;
			break;
		}
	safe_close(cl->fd);
	free(cl->q);
	free(cl);
	m->n_clients--;
}

bool mon_client_flush(struct mon_client *cl)
{
	while (cl->q_off < cl->q_len) {
		ssize_t n = send(cl->fd, cl->q + cl->q_off, cl->q_len - cl->q_off,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN;
		cl->q_off += (size_t)n;
	}
	cl->q_off = cl->q_len = 0;
	if (cl->q_cap > 65536) {
		/* a burst is over: give the memory back (the monitor stays small) */
		free(cl->q);
		cl->q = NULL;
		cl->q_cap = 0;
	}
	return true;
}

static bool client_queue(struct mon_client *cl, const void *buf, size_t len)
{
	size_t pending = cl->q_len - cl->q_off;

	if (pending + len > MON_CLIENT_Q_MAX)
		return false;
	if (cl->q_off && cl->q_len + len > cl->q_cap) {
		memmove(cl->q, cl->q + cl->q_off, pending);
		cl->q_off = 0;
		cl->q_len = pending;
	}
	if (cl->q_len + len > cl->q_cap) {
		size_t cap = MAX(MAX(cl->q_cap * 2, cl->q_len + len), (size_t)4096);
		char *q = realloc(cl->q, cap);
		if (!q)
			return false;
		cl->q = q;
		cl->q_cap = cap;
	}
	memcpy(cl->q + cl->q_len, buf, len);
	cl->q_len += len;
	return true;
}

bool mon_client_send(struct mon *m, struct mon_client *cl, const void *buf, size_t len)
{
	if (!client_queue(cl, buf, len) || !mon_client_flush(cl)) {
		mon_client_drop(m, cl);
		return false;
	}
	return true;
}

static void reply(struct mon *m, struct mon_client *cl, json_t *j)
{
	_cleanup_free_ char *s = j ? json_compact(j) : NULL;

	json_decref(j);
	if (!s) {
		mon_client_drop(m, cl);
		return;
	}
	if (client_queue(cl, s, strlen(s)) && client_queue(cl, "\n", 1) && mon_client_flush(cl))
		return;
	mon_client_drop(m, cl);
}

static void reply_error(struct mon *m, struct mon_client *cl, int code, const char *msg)
{
	cl->kind = MC_CLOSING;
	reply(m, cl, json_pack("{s:s, s:i}", "error", msg, "errno", code));
}

/* Accept what is waiting (at most 16); how many were taken. */
static int accept_clients(struct mon *m)
{
	int i;

	for (i = 0; i < 16; i++) {
		struct ucred cr;
		socklen_t len = sizeof(cr);
		struct mon_client *cl;
		int fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0)
			break;
		/* root only (the directory already says so; say it twice) */
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 || cr.uid != 0 ||
		    m->n_clients >= MON_MAX_CLIENTS || !(cl = calloc(1, sizeof(*cl)))) {
			close(fd);
			continue;
		}
		cl->fd = fd;
		cl->kind = MC_REQUEST;
		cl->next = m->clients;
		m->clients = cl;
		m->n_clients++;
	}
	return i;
}

/* ---- stdin ---- */

static void close_stdin(struct mon *m)
{
	m->in_fd = safe_close(m->in_fd);
	m->inq_len = 0;
}

/* Write what the container takes now; hold the rest (at most
 * MON_STDIN_Q: clients are only read while the queue is empty). */
static void stdin_write(struct mon *m, const char *buf, size_t len)
{
	ssize_t n = 0;

	if (m->in_fd < 0)
		return;
	if (m->inq_len == 0) {
		n = write(m->in_fd, buf, len);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			close_stdin(m); /* the container closed its stdin */
			return;
		}
		n = MAX(n, 0);
	}
	len -= (size_t)n;
	len = MIN(len, sizeof(m->inq) - m->inq_len);
	memcpy(m->inq + m->inq_len, buf + n, len);
	m->inq_len += len;
}

static void stdin_flush(struct mon *m)
{
	ssize_t n = write(m->in_fd, m->inq, m->inq_len);

	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		close_stdin(m);
		return;
	}
	if (n > 0) {
		memmove(m->inq, m->inq + n, m->inq_len - (size_t)n);
		m->inq_len -= (size_t)n;
	}
}

/* ---- requests ---- */

static void do_start(struct mon *m, struct mon_client *cl)
{
	_cleanup_error_ struct husk_error *err = NULL;

	if (mon_start(m, &err) < 0) {
		reply_error(m, cl, error_code(err), error_message(err));
		return;
	}
	cl->kind = MC_CLOSING;
	reply(m, cl, json_pack("{s:b, s:i}", "ok", true, "pid", (int)m->pid));
}

static void do_attach(struct mon *m, struct mon_client *cl, json_t *req)
{
	cl->in = json_is_true(json_object_get(req, "stdin")) && m->c->open_stdin;
	cl->out = json_is_true(json_object_get(req, "stdout"));
	cl->err = json_is_true(json_object_get(req, "stderr"));
	cl->kind = MC_ATTACH;
	reply(m, cl, json_pack("{s:b}", "ok", true));
}

static void do_resize(struct mon *m, struct mon_client *cl, json_t *req)
{
	json_int_t rows = json_integer_value(json_object_get(req, "rows"));
	json_int_t cols = json_integer_value(json_object_get(req, "cols"));
	int r;

	if (m->master < 0) {
		reply_error(m, cl, ENOTTY, "the process has no terminal");
		return;
	}
	if (rows <= 0 || cols <= 0 || rows > 65535 || cols > 65535) {
		reply_error(m, cl, EINVAL, "resize: rows and cols must be 1..65535");
		return;
	}
	r = console_resize(m->master, (unsigned)rows, (unsigned)cols);
	if (r < 0) {
		reply_error(m, cl, -r, "resize the terminal");
		return;
	}
	cl->kind = MC_CLOSING;
	reply(m, cl, json_pack("{s:b}", "ok", true));
}

/* A request that came after the exit was recorded. */
static void handle_late(struct mon *m, struct mon_client *cl, const char *op)
{
	cl->kind = MC_CLOSING;
	if (streq(op, "wait")) {
		if (client_queue(cl, m->exit_line, strlen(m->exit_line)) &&
		    client_queue(cl, "\n", 1) && mon_client_flush(cl))
			return;
		mon_client_drop(m, cl);
	} else if (streq(op, "attach"))
		reply(m, cl, json_pack("{s:b}", "ok", true)); /* then EOF */
	else
		reply_error(m, cl, ESRCH, "the process has exited");
}

static void handle_request(struct mon *m, struct mon_client *cl, size_t len)
{
	_cleanup_json_ json_t *req = json_loadb(cl->req, len, 0, NULL);
	const char *op = json_string_value(json_object_get(req, "op"));

	if (m->exit_line && op)
		handle_late(m, cl, op);
	else if (streq(op, "start"))
		do_start(m, cl);
	else if (streq(op, "attach"))
		do_attach(m, cl, req);
	else if (streq(op, "resize"))
		do_resize(m, cl, req);
	else if (streq(op, "wait"))
		cl->kind = MC_WAIT; /* answered at the exit */
	else
		reply_error(m, cl, EINVAL,
		            op ? "unknown request: expected start, attach, resize or wait"
		               : "bad request: expected a JSON object with \"op\"");
}

static void read_request(struct mon *m, struct mon_client *cl)
{
	ssize_t n = read(cl->fd, cl->req + cl->req_len, sizeof(cl->req) - cl->req_len);
	char *nl;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		mon_client_drop(m, cl);
		return;
	}
	cl->req_len += (size_t)n;
	nl = memchr(cl->req, '\n', cl->req_len);
	if (!nl) {
		if (cl->req_len == sizeof(cl->req))
			reply_error(m, cl, E2BIG, "request too long");
		return;
	}
	handle_request(m, cl, (size_t)(nl - cl->req));
}

/* Attach and wait clients: input for the container, or EOF. */
static void read_client(struct mon *m, struct mon_client *cl)
{
	char buf[MON_STDIN_Q];
	ssize_t n = read(cl->fd, buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		mon_client_drop(m, cl);
		return;
	}
	if (n == 0) {
		cl->in_eof = true;
		if (cl->kind == MC_ATTACH && cl->in && m->c->stdin_once)
			close_stdin(m);
		return;
	}
	if (cl->kind == MC_ATTACH && cl->in)
		stdin_write(m, buf, (size_t)n);
}

/* ---- output ---- */

static void broadcast(struct mon *m, int stream, const char *buf, size_t len)
{
	unsigned char hdr[8] = {(unsigned char)stream,
	                        0,
	                        0,
	                        0,
	                        (unsigned char)(len >> 24),
	                        (unsigned char)(len >> 16),
	                        (unsigned char)(len >> 8),
	                        (unsigned char)len};

	for (struct mon_client *cl = m->clients, *next; cl; cl = next) {
		bool wants = m->master >= 0 ? cl->out || cl->err : stream == 1 ? cl->out : cl->err;
		next = cl->next;
		if (cl->kind != MC_ATTACH || !wants)
			continue;
		if (!client_queue(cl, hdr, sizeof(hdr)) || !client_queue(cl, buf, len) ||
		    !mon_client_flush(cl))
			mon_client_drop(m, cl); /* too slow: it must not hold up the container */
	}
}

static void read_output(struct mon *m, int *fd, enum logfile_stream s)
{
	char buf[MON_IO_CHUNK];
	ssize_t n = read(*fd, buf, sizeof(buf));

	if (n > 0) {
		if (m->log)
			logfile_write(m->log, s, buf, (size_t)n, NULL);
		broadcast(m, m->master >= 0 ? 1 : (int)s, buf, (size_t)n);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* EOF; a pty master says EIO once no one holds the slave */
	if (m->log)
		logfile_flush(m->log, s, NULL);
	if (*fd != m->master)
		safe_close(*fd);
	*fd = -1;
}

/* ---- the loop ---- */

enum slot_kind { SLOT_PID, SLOT_OUT, SLOT_ERR, SLOT_IN, SLOT_LISTEN, SLOT_CLIENT };

struct slots {
	struct pollfd p[8 + MON_MAX_CLIENTS];
	enum slot_kind kind[8 + MON_MAX_CLIENTS];
	struct mon_client *cl[8 + MON_MAX_CLIENTS];
	size_t n;
};

static void add(struct slots *s, int fd, short events, enum slot_kind k, struct mon_client *cl)
{
	if (fd < 0 || s->n >= ELEMENTSOF(s->p))
		return;
	s->p[s->n] = (struct pollfd){.fd = fd, .events = events};
	s->kind[s->n] = k;
	s->cl[s->n++] = cl;
}

static short client_events(const struct mon *m, const struct mon_client *cl)
{
	short ev = cl->q_off < cl->q_len ? POLLOUT : 0;
	bool held = cl->kind == MC_ATTACH && cl->in && m->in_fd >= 0 && m->inq_len > 0;

	if (cl->kind == MC_REQUEST || (cl->kind != MC_CLOSING && !cl->in_eof && !held))
		ev |= POLLIN;
	return ev;
}

static void build(struct mon *m, struct slots *s)
{
	s->n = 0;
	add(s, m->pidfd, POLLIN, SLOT_PID, NULL);
	add(s, m->out_fd, POLLIN, SLOT_OUT, NULL);
	add(s, m->err_fd, POLLIN, SLOT_ERR, NULL);
	if (m->inq_len)
		add(s, m->in_fd, POLLOUT, SLOT_IN, NULL);
	if (!m->exited)
		add(s, m->listen_fd, POLLIN, SLOT_LISTEN, NULL);
	for (struct mon_client *cl = m->clients; cl; cl = cl->next)
		if (cl->kind != MC_HELD)
			add(s, cl->fd, client_events(m, cl), SLOT_CLIENT, cl);
}

static bool still_listed(struct mon *m, struct mon_client *cl)
{
	for (struct mon_client *c = m->clients; c; c = c->next)
		if (c == cl)
			return true;
	return false;
}

static void handle_client(struct mon *m, struct mon_client *cl, short rev)
{
	if (rev & POLLIN) {
		if (cl->kind == MC_REQUEST)
			read_request(m, cl);
		else
			read_client(m, cl);
		if (!still_listed(m, cl))
			return;
	}
	if ((rev & POLLOUT) && !mon_client_flush(cl)) {
		mon_client_drop(m, cl);
		return;
	}
	if ((rev & (POLLHUP | POLLERR)) && !(rev & POLLIN)) {
		mon_client_drop(m, cl);
		return;
	}
	if (cl->kind == MC_CLOSING && cl->q_off == cl->q_len)
		mon_client_drop(m, cl);
}

static void dispatch(struct mon *m, struct slots *s)
{
	for (size_t i = 0; i < s->n; i++) {
		short rev = s->p[i].revents;
		if (!rev)
			continue;
		switch (s->kind[i]) {
		case SLOT_PID:
			mon_reap(m);
			break;
		case SLOT_OUT:
			if (m->out_fd >= 0)
				read_output(m, &m->out_fd, LOGFILE_STDOUT);
			break;
		case SLOT_ERR:
			if (m->err_fd >= 0)
				read_output(m, &m->err_fd, LOGFILE_STDERR);
			break;
		case SLOT_IN:
			if (m->in_fd >= 0)
				stdin_flush(m);
			break;
		case SLOT_LISTEN:
			(void)accept_clients(m);
			break;
		case SLOT_CLIENT:
			/* an earlier slot's work may have dropped it */
			if (still_listed(m, s->cl[i]))
				handle_client(m, s->cl[i], rev);
			break;
		}
	}
}

void mon_loop(struct mon *m)
{
	struct slots *s = calloc(1, sizeof(*s));
	bool busy = false;

	if (!s)
		return;
	for (;;) {
		int timeout = busy ? MON_IDLE_MS : -1, n;

		if (m->exited) {
			int64_t left = m->exit_mono + MON_DRAIN_MS - mon_now_ms();
			if ((m->out_fd < 0 && m->err_fd < 0) || left <= 0)
				break;
			timeout = (int)left;
		}
		build(m, s);
		n = poll(s->p, s->n, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (n == 0 && busy && !m->exited) {
			/* quiet again: what the work faulted in goes out of our
			 * resident set until it is needed */
			memshed(false);
			busy = false;
			continue;
		}
		busy = true;
		dispatch(m, s);
	}
	free(s);
}

/* Drop answered clients whose last bytes are sent; whether any is left. */
static bool sweep(struct mon *m)
{
	bool left = false;

	for (struct mon_client *cl = m->clients, *next; cl; cl = next) {
		next = cl->next;
		if (cl->kind == MC_CLOSING && cl->q_off == cl->q_len)
			mon_client_drop(m, cl);
		else
			left |= cl->kind != MC_HELD;
	}
	return left;
}

void mon_answer_late(struct mon *m)
{
	int64_t deadline = mon_now_ms() + MON_FLUSH_MS;
	struct slots *s = calloc(1, sizeof(*s));

	/* no more output: what a straggler writes now has no log to go to */
	if (m->out_fd != m->master)
		safe_close(m->out_fd);
	m->out_fd = m->err_fd = safe_close(m->err_fd);
	close_stdin(m);
	/* the path is gone: take who already connected, then stop listening */
	while (m->listen_fd >= 0 && accept_clients(m) > 0)
		;
	m->listen_fd = safe_close(m->listen_fd);
	/* waiters get the record (and EOF once the runtime state is gone:
	 * mon_release_held); attachers, once their output is sent, EOF */
	for (struct mon_client *cl = m->clients, *next; cl; cl = next) {
		bool waiter = cl->kind == MC_WAIT;
		next = cl->next;
		if (cl->kind == MC_WAIT || cl->kind == MC_ATTACH)
			cl->kind = MC_CLOSING;
		if (!waiter)
			continue;
		if (!m->exit_line || !client_queue(cl, m->exit_line, strlen(m->exit_line)) ||
		    !client_queue(cl, "\n", 1) || !mon_client_flush(cl))
			mon_client_drop(m, cl);
		else if (cl->q_off == cl->q_len)
			cl->kind = MC_HELD;
	}
	while (s && sweep(m)) {
		int64_t left = deadline - mon_now_ms();
		if (left <= 0)
			break;
		build(m, s);
		if (poll(s->p, s->n, (int)left) < 0 && errno != EINTR)
			break;
		dispatch(m, s);
	}
	free(s);
}

void mon_release_held(struct mon *m)
{
	for (struct mon_client *cl = m->clients, *next; cl; cl = next) {
		next = cl->next;
		if (cl->kind == MC_HELD)
			mon_client_drop(m, cl);
	}
}
