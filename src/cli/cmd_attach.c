/* cmd_attach.c — the hijacked stream of run, start -a, attach and exec:
 * our stdin to the container, its output to our stdout/stderr (Docker's
 * 8-byte frames unless it has a tty), raw terminal mode restored on every
 * path, ctrl-p ctrl-q (or --detach-keys) to detach, SIGWINCH → resize, and
 * signals forwarded to the container (--sig-proxy). One poll loop, no
 * threads; output is written the moment it arrives. */
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "cli/cmd_container.h"

#define STREAM_BUF   (64u << 10)
#define SYSERR_MAX   (64u << 10)
#define DETACH_MAX   16
#define DEFAULT_KEYS "ctrl-p,ctrl-q"

/* The signals --sig-proxy forwards (docker forwards all but SIGCHLD,
 * SIGPIPE and SIGURG; the synchronous ones cannot be caught usefully). */
static const struct {
	int sig;
	const char *name;
} proxied[] = {
        {SIGHUP, "HUP"},     {SIGINT, "INT"},   {SIGQUIT, "QUIT"},     {SIGUSR1, "USR1"},
        {SIGUSR2, "USR2"},   {SIGALRM, "ALRM"}, {SIGTERM, "TERM"},     {SIGSTKFLT, "STKFLT"},
        {SIGCONT, "CONT"},   {SIGTSTP, "TSTP"}, {SIGTTIN, "TTIN"},     {SIGTTOU, "TTOU"},
        {SIGXCPU, "XCPU"},   {SIGXFSZ, "XFSZ"}, {SIGVTALRM, "VTALRM"}, {SIGPROF, "PROF"},
        {SIGWINCH, "WINCH"}, {SIGIO, "IO"},     {SIGPWR, "PWR"},
};

struct cli_stream {
	struct cli *cli;
	struct api_conn *conn;
	struct cli_stream_opts o;
	unsigned char keys[DETACH_MAX];
	int nkeys;
	size_t matched; /* how many detach keys were typed so far (held back) */
	bool raw;
	struct termios saved;
	bool masked;
	sigset_t oldmask;
	int sfd;
	bool stdin_eof, write_closed;
	struct strbuf pending; /* stdin bytes not yet sent */
	size_t pending_off;
	struct cli_demux demux;
};

/* ---- Docker's stream framing ---- */

int cli_demux_feed(struct cli_demux *d, const char *buf, size_t len, struct husk_error **err)
{
	while (len > 0) {
		if (d->left == 0) {
			size_t n = MIN(len, sizeof(d->hdr) - d->hdr_len);
			memcpy(d->hdr + d->hdr_len, buf, n);
			d->hdr_len += n;
			buf += n;
			len -= n;
			if (d->hdr_len < sizeof(d->hdr))
				return 0;
			d->hdr_len = 0;
			d->stream = d->hdr[0];
			d->left = (uint32_t)d->hdr[4] << 24 | (uint32_t)d->hdr[5] << 16 |
			          (uint32_t)d->hdr[6] << 8 | d->hdr[7];
			if (d->stream > 3)
				return error_set(err, EPROTO, "unrecognized input header: %d",
				                 d->stream);
			continue;
		}
		size_t n = MIN(len, d->left);
		int r = 0;
		if (d->stream == 3) { /* the daemon's own error, reported at the end */
			if (d->syserr.len + n <= SYSERR_MAX)
				r = strbuf_append(&d->syserr, buf, n);
		} else {
			r = write_all(d->stream == 2 ? STDERR_FILENO : STDOUT_FILENO, buf, n);
		}
		if (r < 0)
			return error_set_errno(err, -r, "write the container's output");
		buf += n;
		len -= n;
		d->left -= (uint32_t)n;
	}
	return 0;
}

int cli_demux_finish(struct cli_demux *d, struct husk_error **err)
{
	int r = 0;

	if (d->syserr.len)
		r = error_set(err, EIO, "%.*s", (int)d->syserr.len, d->syserr.buf);
	strbuf_release(&d->syserr);
	*d = (struct cli_demux){0};
	return r;
}

/* ---- setup and teardown ---- */

static int stream_signals(struct cli_stream *s, struct husk_error **err)
{
	sigset_t set;

	sigemptyset(&set);
	if (s->o.resize_base && isatty(STDOUT_FILENO))
		sigaddset(&set, SIGWINCH);
	if (s->o.proxy_id)
		for (size_t i = 0; i < ELEMENTSOF(proxied); i++)
			sigaddset(&set, proxied[i].sig);
	if (s->raw) { /* restore the terminal before going away */
		sigaddset(&set, SIGINT);
		sigaddset(&set, SIGTERM);
		sigaddset(&set, SIGHUP);
	}
	if (sigisemptyset(&set))
		return 0;
	if (sigprocmask(SIG_BLOCK, &set, &s->oldmask) < 0)
		return error_set_errno(err, errno, "block signals");
	s->masked = true;
	s->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s->sfd < 0)
		return error_set_errno(err, errno, "signalfd");
	return 0;
}

struct cli_stream *cli_stream_new(struct cli *cli, struct api_conn *conn,
                                  const struct cli_stream_opts *o, struct husk_error **err)
{
	_cleanup_(cli_stream_freep) struct cli_stream *s = calloc(1, sizeof(*s));
	struct termios raw;

	if (!s) {
		error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	s->cli = cli;
	s->conn = conn;
	s->o = *o;
	s->sfd = -1;
	if (o->tty && o->send_stdin) {
		s->nkeys = parse_detach_keys(o->detach_keys ?: DEFAULT_KEYS, s->keys, DETACH_MAX);
		if (s->nkeys < 0) {
			fprintf(cli->errout,
			        "WARNING: invalid detach keys \"%s\", using the default\n",
			        o->detach_keys);
			s->nkeys = parse_detach_keys(DEFAULT_KEYS, s->keys, DETACH_MAX);
		}
	}
	if (o->tty && o->send_stdin && isatty(STDIN_FILENO) &&
	    tcgetattr(STDIN_FILENO, &s->saved) == 0) {
		raw = s->saved;
		cfmakeraw(&raw);
		if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0) {
			error_set_errno(err, errno, "set the terminal in raw mode");
			return NULL;
		}
		s->raw = true;
	}
	if (stream_signals(s, err) < 0)
		return NULL;
	fflush(cli->out);
	return TAKE_PTR(s);
}

void cli_stream_free(struct cli_stream *s)
{
	if (!s)
		return;
	if (s->raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &s->saved);
	if (s->sfd >= 0) { /* drop what arrived: unblocking must not kill us now */
		struct signalfd_siginfo si;
		while (read(s->sfd, &si, sizeof(si)) == sizeof(si))
			;
	}
	safe_close(s->sfd);
	if (s->masked)
		sigprocmask(SIG_SETMASK, &s->oldmask, NULL);
	strbuf_release(&s->pending);
	strbuf_release(&s->demux.syserr);
	free(s);
}

void cli_stream_resize(struct cli_stream *s)
{
	struct winsize ws = {0};
	struct api_client *c = NULL;
	_cleanup_free_ char *path = NULL;

	if (!s->o.resize_base || !isatty(STDOUT_FILENO) ||
	    ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 || !ws.ws_row)
		return;
	path = str_printf("%s/resize?h=%u&w=%u", s->o.resize_base, ws.ws_row, ws.ws_col);
	/* 404/409 once the process is gone: as docker, not an error */
	if (path && cli_connect(s->cli, &c, NULL) == 0)
		(void)api_client_call(c, "POST", path, NULL, NULL, NULL, NULL);
}

/* ---- the loop ---- */

static void forward_signal(struct cli_stream *s, int sig)
{
	struct api_client *c = NULL;
	_cleanup_free_ char *path = NULL;

	for (size_t i = 0; i < ELEMENTSOF(proxied); i++)
		if (proxied[i].sig == sig)
			path = str_printf("/containers/%s/kill?signal=%s", s->o.proxy_id,
			                  proxied[i].name);
	if (path && cli_connect(s->cli, &c, NULL) == 0)
		(void)api_client_call(c, "POST", path, NULL, NULL, NULL, NULL);
}

/* A signal arrived: > 0 ends the pump with that status. */
static int on_signals(struct cli_stream *s)
{
	struct signalfd_siginfo si;

	while (read(s->sfd, &si, sizeof(si)) == sizeof(si)) {
		int sig = (int)si.ssi_signo;
		if (sig == SIGWINCH && s->o.resize_base)
			cli_stream_resize(s);
		else if (s->o.proxy_id)
			forward_signal(s, sig);
		else if (s->raw && (sig == SIGINT || sig == SIGTERM || sig == SIGHUP))
			return 128 + sig;
	}
	return 0;
}

/* Output from the daemon: 1 at its end, 0, or -errno. */
static int on_output(struct cli_stream *s, struct husk_error **err)
{
	char buf[STREAM_BUF];
	ssize_t n = api_conn_read(s->conn, buf, sizeof(buf), err);

	if (n < 0)
		return (int)n;
	if (n == 0)
		return 1;
	if (s->o.tty) {
		int r = write_all(STDOUT_FILENO, buf, (size_t)n);
		return r < 0 ? error_set_errno(err, -r, "write the container's output") : 0;
	}
	return cli_demux_feed(&s->demux, buf, (size_t)n, err);
}

static int queue(struct cli_stream *s, const void *buf, size_t len)
{
	return strbuf_append(&s->pending, buf, len);
}

/* Stdin bytes, held back while they could be the detach sequence.
 * CLI_STREAM_DETACHED when it was typed. */
static int on_input_bytes(struct cli_stream *s, const unsigned char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s->nkeys <= 0) {
			if (queue(s, buf + i, len - i) < 0)
				return -ENOMEM;
			return 0;
		}
		if (buf[i] == s->keys[s->matched]) {
			if (++s->matched == (size_t)s->nkeys)
				return CLI_STREAM_DETACHED;
			continue;
		}
		if (s->matched && queue(s, s->keys, s->matched) < 0)
			return -ENOMEM;
		s->matched = 0;
		if (buf[i] == s->keys[0])
			s->matched = 1;
		else if (queue(s, buf + i, 1) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int on_input(struct cli_stream *s)
{
	unsigned char buf[STREAM_BUF];
	ssize_t n = RETRY_EINTR(read(STDIN_FILENO, buf, sizeof(buf)));

	if (n > 0)
		return on_input_bytes(s, buf, (size_t)n);
	s->stdin_eof = true; /* EOF, or a stdin we cannot read: the same to the container */
	if (s->matched && queue(s, s->keys, s->matched) < 0)
		return -ENOMEM;
	s->matched = 0;
	return 0;
}

/* Send what stdin gave without blocking; shutdown(SHUT_WR) after EOF. */
static void flush_input(struct cli_stream *s)
{
	int fd = api_conn_fd(s->conn);

	while (s->pending_off < s->pending.len) {
		ssize_t n = send(fd, s->pending.buf + s->pending_off,
		                 s->pending.len - s->pending_off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) { /* the daemon stopped reading: drop stdin */
			s->stdin_eof = true;
			s->pending_off = s->pending.len;
			break;
		}
		s->pending_off += (size_t)n;
	}
	s->pending.len = s->pending_off = 0;
	if (s->stdin_eof && !s->write_closed) {
		(void)api_conn_close_write(s->conn);
		s->write_closed = true;
	}
}

int cli_stream_pump(struct cli_stream *s, struct husk_error **err)
{
	int r;

	for (;;) {
		bool want_in = s->o.send_stdin && !s->stdin_eof && s->pending.len == 0;
		struct pollfd p[3] = {
		        {.fd = api_conn_fd(s->conn),
		         .events = POLLIN | (s->pending.len ? POLLOUT : 0)},
		        {.fd = want_in ? STDIN_FILENO : -1, .events = POLLIN},
		        {.fd = s->sfd, .events = POLLIN},
		};

		if (api_conn_buffered(s->conn) == 0 && RETRY_EINTR(poll(p, 3, -1)) < 0)
			return error_set_errno(err, errno, "poll");
		if (api_conn_buffered(s->conn) || (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			r = on_output(s, err);
			if (r != 0)
				return r > 0 ? cli_demux_finish(&s->demux, err) : r;
		}
		if (p[1].revents) {
			r = on_input(s);
			if (r == CLI_STREAM_DETACHED)
				return r;
			if (r < 0)
				return error_set(err, ENOMEM, "out of memory");
		}
		if (s->o.send_stdin && (s->pending.len || (s->stdin_eof && !s->write_closed)))
			flush_input(s);
		if (p[2].revents && (r = on_signals(s)) > 0)
			return r;
	}
}

/* ---- husk attach ---- */

const struct flag_spec cli_attach_flags[] = {
        {"detach-keys", 0, FLAG_STRING, NULL, "Override the key sequence for detaching a container",
         NULL},
        {"no-stdin", 0, FLAG_BOOL, NULL, "Do not attach STDIN", NULL},
        {"sig-proxy", 0, FLAG_BOOL, "true", "Proxy all received signals to the process", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

/* The container's status once the stream ended, as docker's getExitStatus:
 * a wait (not-running), since the stream can end before the daemon has
 * recorded the exit. 0 when it cannot be had. */
static int attach_exit_status(struct api_client *c, const char *base)
{
	_cleanup_free_ char *path = str_printf("%s/wait", base);
	_cleanup_json_ json_t *res = NULL;

	if (!path || api_client_call(c, "POST", path, NULL, NULL, &res, NULL) < 0)
		return 0;
	return (int)json_integer_value(json_object_get(res, "StatusCode"));
}

/* docker attach: inspect, refuse a stopped or paused container, attach,
 * resize, stream, then the container's exit status. */
int cmd_attach(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
               struct husk_error **err)
{
	const char *name = flags_args(f)[0], *keys = flags_string(f, "detach-keys");
	_cleanup_json_ json_t *info = NULL;
	_cleanup_free_ char *path = NULL, *base = NULL, *ekeys = keys ? cli_escape(keys) : NULL;
	_cleanup_(api_conn_freep) struct api_conn *conn = NULL;
	_cleanup_(cli_stream_freep) struct cli_stream *st = NULL;
	struct api_client *c = NULL;
	json_t *state, *config;
	bool tty, in;
	int r = cli_container_inspect(cli, name, &info, err);

	if (r < 0)
		return r;
	state = json_object_get(info, "State");
	config = json_object_get(info, "Config");
	if (!json_is_true(json_object_get(state, "Running")))
		return error_set(err, EINVAL,
		                 "You cannot attach to a stopped container, start it first");
	if (json_is_true(json_object_get(state, "Paused")))
		return error_set(err, EINVAL,
		                 "You cannot attach to a paused container, unpause it first");
	tty = json_is_true(json_object_get(config, "Tty"));
	in = !flags_bool(f, "no-stdin") && json_is_true(json_object_get(config, "OpenStdin"));
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
	struct cli_stream_opts o = {
	        .tty = tty,
	        .send_stdin = in,
	        .detach_keys = keys,
	        .resize_base = tty ? base : NULL,
	        .proxy_id =
	                flags_bool(f, "sig-proxy") && !tty ? base + strlen("/containers/") : NULL,
	};
	st = cli_stream_new(cli, conn, &o, err);
	if (!st)
		return -EIO;
	cli_stream_resize(st);
	r = cli_stream_pump(st, err);
	cli_stream_free(TAKE_PTR(st));
	if (r == CLI_STREAM_DETACHED) /* docker attach's words and status */
		return error_set(err, EIO, "read escape sequence");
	if (r != 0)
		return r;
	return attach_exit_status(c, base);
}
