/* monitor_client.c — huskd's side of husk-monitor: spawn it, and the
 * control requests on its socket. Safe in a threaded daemon: the monitor is
 * started with posix_spawn (no fork of the daemon) and every fd is CLOEXEC. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "base/thread.h"
#include "engine/monitor_internal.h"

extern char **environ;

#define READY_FD      3
#define CONTROL_TO_MS 60000 /* start runs poststart hooks: generous */

static int push_flag(char ***argv, const char *name, const char *value)
{
	if (!value)
		return 0;
	return strv_push(argv, name) ?: strv_push(argv, value);
}

static int push_num(char ***argv, const char *name, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	return push_flag(argv, name, buf);
}

static char **monitor_argv(const struct monitor_config *c)
{
	_cleanup_strv_ char **v = strv_new();
	int r = v ? 0 : -ENOMEM;

	r = r ?: strv_push(&v, c->exe);
	r = r ?: push_flag(&v, "--id", c->id);
	r = r ?: push_flag(&v, "--bundle", c->bundle);
	r = r ?: push_flag(&v, "--runtime-root", c->runtime_root);
	r = r ?: push_flag(&v, "--sock-dir", c->sock_dir);
	r = r ?: push_flag(&v, "--exit-file", c->exit_file);
	r = r ?: push_flag(&v, "--log-path", c->log_path);
	r = r ?: push_num(&v, "--log-max-size", c->log_max_size);
	r = r ?: push_num(&v, "--log-max-files", c->log_max_files ? c->log_max_files : 1);
	r = r ?: push_flag(&v, "--exec-process", c->exec_process);
	if (c->rows && c->cols) {
		r = r ?: push_num(&v, "--rows", c->rows);
		r = r ?: push_num(&v, "--cols", c->cols);
	}
	r = r ?: push_num(&v, "--ready-fd", READY_FD);
	if (c->tty)
		r = r ?: strv_push(&v, "--tty");
	if (c->open_stdin)
		r = r ?: strv_push(&v, "--open-stdin");
	if (c->stdin_once)
		r = r ?: strv_push(&v, "--stdin-once");
	if (c->systemd_cgroup)
		r = r ?: strv_push(&v, "--systemd-cgroup");
	return r < 0 ? NULL : TAKE_PTR(v);
}

/* posix_spawn exe with argv: stdio /dev/null, ready_w as READY_FD (and
 * args_r as MONITOR_SPARE_FD when >= 0), a new session, default signals.
 * 0 or a positive error number. */
static int spawn_exe(const char *exe, char **argv, int ready_w, int args_r, pid_t *ret)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	int r;

	sigemptyset(&none);
	sigfillset(&all);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDWR, 0);
	posix_spawn_file_actions_adddup2(&fa, 0, 1);
	posix_spawn_file_actions_adddup2(&fa, 0, 2);
	posix_spawn_file_actions_adddup2(&fa, ready_w, READY_FD);
	if (args_r >= 0)
		posix_spawn_file_actions_adddup2(&fa, args_r, MONITOR_SPARE_FD);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
	                                      POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	r = posix_spawn(ret, exe, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return r;
}

static int spawn(const struct monitor_config *c, int ready_w, pid_t *ret, struct husk_error **err)
{
	_cleanup_strv_ char **argv = monitor_argv(c);
	int r;

	if (!argv)
		return error_set(err, ENOMEM, "out of memory");
	r = spawn_exe(c->exe, argv, ready_w, -1, ret);
	if (r != 0)
		return error_set_errno(err, r, "start husk-monitor \"%s\"", c->exe);
	return 0;
}

/* ---- the spare ---- */

/* A husk-monitor started ahead ("--spare ROOM"), forked away from huskd
 * already and waiting for its arguments on MONITOR_SPARE_FD: a start hands
 * them over instead of paying for an exec and a fork (about a
 * millisecond), and a new spare is made off its path. One at a time, per
 * monitor and runtime root (ROOM starts with the latter), made after the
 * first spawn; closing args_w ends it. */
struct spare {
	int args_w;  /* its arguments go here, NUL-separated, then EOF; -1: none */
	int ready_r; /* its ready line comes here */
};

static struct {
	pthread_mutex_t lock;
	struct spare s;
	char *key; /* "<exe>\n<runtime root>" of s, and of the one being made */
	bool making, stopped;
} spares = {PTHREAD_MUTEX_INITIALIZER, {-1, -1}, NULL, false, false};

static void spare_end(struct spare *s)
{
	s->args_w = safe_close(s->args_w);
	s->ready_r = safe_close(s->ready_r);
}

static int spare_make(const char *key, struct spare *ret)
{
	size_t exe_len = strcspn(key, "\n");
	_cleanup_free_ char *exe = strndup(key, exe_len);
	_cleanup_free_ char *room = str_printf("%-*s", MONITOR_SPARE_ROOM, key + exe_len + 1);
	char *argv[] = {exe, (char *)"--spare", room, NULL};
	int rp[2], ap[2], status, r;
	pid_t pid;

	if (!exe || !room)
		return -ENOMEM;
	if (pipe2(rp, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(ap, O_CLOEXEC) < 0) {
		r = -errno;
		close(rp[0]);
		close(rp[1]);
		return r;
	}
	/* the child's ends above the fds the spawn sets up (dup2 must copy) */
	int rw = fcntl(rp[1], F_DUPFD_CLOEXEC, 10), ar = fcntl(ap[0], F_DUPFD_CLOEXEC, 10);
	close(rp[1]);
	close(ap[0]);
	r = rw < 0 || ar < 0 ? EMFILE : spawn_exe(exe, argv, rw, ar, &pid);
	safe_close(rw);
	safe_close(ar);
	/* it forks the spare off and exits at once */
	if (r == 0 && (RETRY_EINTR(waitpid(pid, &status, 0)) < 0 || !WIFEXITED(status) ||
	               WEXITSTATUS(status) != 0))
		r = ECHILD;
	if (r != 0) {
		close(rp[0]);
		close(ap[1]);
		return -r;
	}
	ret->ready_r = rp[0];
	ret->args_w = ap[1];
	return 0;
}

static void *spare_main(void *p)
{
	char *key = p;
	struct spare s = {-1, -1};
	bool keep;

	spare_make(key, &s);
	pthread_mutex_lock(&spares.lock);
	spares.making = false;
	keep = s.args_w >= 0 && !spares.stopped && spares.s.args_w < 0 && streq(spares.key, key);
	if (keep)
		spares.s = s;
	pthread_mutex_unlock(&spares.lock);
	if (!keep)
		spare_end(&s);
	free(key);
	return NULL;
}

/* The spare for c, if there is one (taken), and a new one on its way. */
static bool spare_take(const struct monitor_config *c, struct spare *ret)
{
	_cleanup_free_ char *key = str_printf("%s\n%s", c->exe, c->runtime_root);
	bool taken = false;
	char *dup;

	if (!key)
		return false;
	pthread_mutex_lock(&spares.lock);
	if (spares.s.args_w >= 0 && streq(spares.key, key)) {
		*ret = spares.s;
		spares.s = (struct spare){-1, -1};
		taken = true;
	}
	if (!spares.stopped && !spares.making && spares.s.args_w < 0 && (dup = strdup(key))) {
		free(spares.key);
		spares.key = TAKE_PTR(key);
		spares.making = thread_detached(spare_main, dup) == 0;
		if (!spares.making)
			free(dup);
	}
	pthread_mutex_unlock(&spares.lock);
	return taken;
}

/* Hand argv to a spare: 0 when it took them, else the spare is ended. */
static int spare_use(struct spare *s, char **argv)
{
	struct strbuf sb = {0};
	size_t len = 0;
	int r = 0;

	STRV_FOREACH (a, argv)
		len += strlen(*a) + 1;
	r = strbuf_printf(&sb, "%zu\n", len) < 0 ? -ENOMEM : 0;
	STRV_FOREACH (a, argv)
		if (r == 0 && strbuf_append(&sb, *a, strlen(*a) + 1) < 0)
			r = -ENOMEM;
	if (r == 0)
		r = write_all(s->args_w, sb.buf, sb.len);
	strbuf_release(&sb);
	s->args_w = safe_close(s->args_w);
	if (r < 0)
		spare_end(s);
	return r;
}

void monitor_spares_release(void)
{
	struct spare s;

	pthread_mutex_lock(&spares.lock);
	spares.stopped = true;
	s = spares.s;
	spares.s = (struct spare){-1, -1};
	free(spares.key);
	spares.key = NULL;
	pthread_mutex_unlock(&spares.lock);
	spare_end(&s);
}

static int parse_ready(const char *buf, size_t len, pid_t *ret_pid, pid_t *ret_monitor_pid,
                       struct husk_error **err)
{
	_cleanup_json_ json_t *j = NULL;
	const char *msg = NULL;
	int64_t pid = 0, mpid = 0, code = EIO;
	int r = json_parse("husk-monitor's answer", buf, len, MONITOR_REPLY_MAX, &j, err);

	r = r ?: json_get_string(j, "", "error", false, &msg, err);
	if (r == 0 && msg) {
		json_get_int64(j, "", "errno", false, &code, NULL);
		return error_set(err, code > 0 && code < 4096 ? (int)code : EIO, "%s", msg);
	}
	r = r ?: json_get_int64(j, "", "pid", true, &pid, err);
	r = r ?: json_get_int64(j, "", "monitor_pid", true, &mpid, err);
	if (r < 0)
		return r;
	if (ret_pid)
		*ret_pid = (pid_t)pid;
	if (ret_monitor_pid)
		*ret_monitor_pid = (pid_t)mpid;
	return 0;
}

/* One reply line, read a byte at a time: what follows it is the stream. */
static int read_reply(int fd, struct strbuf *sb, struct husk_error **err)
{
	for (;;) {
		char c;
		ssize_t n = RETRY_EINTR(read(fd, &c, 1));
		if (n < 0)
			return error_set_errno(err, errno, "read the monitor's answer");
		if (n == 0)
			return sb->len ? 0
			               : error_set(err, ECONNRESET,
			                           "the monitor closed the connection");
		if (c == '\n')
			return 0;
		if (sb->len >= MONITOR_REPLY_MAX)
			return error_set(err, EFBIG, "the monitor's answer is too long");
		if (strbuf_append(sb, &c, 1) < 0)
			return error_set(err, ENOMEM, "out of memory");
	}
}

int monitor_spawn(const struct monitor_config *c, pid_t *ret_pid, pid_t *ret_monitor_pid,
                  struct husk_error **err)
{
	_cleanup_close_ int rd = -1, wr = -1;
	struct spare spare = {-1, -1};
	struct strbuf sb = {0};
	int p[2], status, r;
	pid_t pid = 0;

	if (!c->exe || !c->id || !c->sock_dir || !c->runtime_root ||
	    (!c->bundle && !c->exec_process))
		return error_set(err, EINVAL,
		                 "monitor: exe, id, sock_dir, runtime_root and bundle "
		                 "(or exec_process) are required");
	if (spare_take(c, &spare)) {
		_cleanup_strv_ char **argv = monitor_argv(c);
		if (argv && spare_use(&spare, argv) == 0)
			rd = TAKE_FD(spare.ready_r);
		else
			spare_end(&spare);
	}
	if (rd < 0) {
		if (pipe2(p, O_CLOEXEC) < 0)
			return error_set_errno(err, errno, "monitor: pipe");
		rd = p[0];
		/* above the fds the spawn sets up, so that dup2 always copies */
		wr = fcntl(p[1], F_DUPFD_CLOEXEC, 10);
		safe_close(p[1]);
		if (wr < 0)
			return error_set_errno(err, errno, "monitor: pipe");
		r = spawn(c, wr, &pid, err);
		if (r < 0)
			return r;
		wr = safe_close(wr);
	}
	/* one line, not EOF: the container's init, cloned from the monitor,
	 * holds a copy of the pipe until it execs */
	r = read_reply(rd, &sb, err);
	/* the spawned process only forks the monitor off and exits (a spare
	 * did so when it was made) */
	if (pid > 0)
		(void)RETRY_EINTR(waitpid(pid, &status, 0));
	if (r == -ECONNRESET) {
		error_free(err ? TAKE_PTR(*err) : NULL);
		r = error_set(err, EIO, "husk-monitor exited before it created the container");
	}
	r = r ?: parse_ready(sb.buf, sb.len, ret_pid, ret_monitor_pid, err);
	strbuf_release(&sb);
	return r < 0 ? error_wrap(err, "%s", c->exec_process ? "exec" : "create") : 0;
}

/* ---- control requests ---- */

static int connect_monitor(const char *sock_dir, struct husk_error **err)
{
	_cleanup_close_ int fd = -1, dirfd = -1;
	struct sockaddr_un sa;
	int r = monitor_sockaddr(sock_dir, MONITOR_SOCK, &sa, &dirfd, err);

	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return error_set_errno(err, errno, "monitor: socket");
	if (RETRY_EINTR(connect(fd, (struct sockaddr *)&sa, sizeof(sa))) < 0)
		return error_set_errno(err, errno, "connect to the monitor in \"%s\"", sock_dir);
	return TAKE_FD(fd);
}

static void set_timeout(int fd, int ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Connect and send one request line; the connected fd. */
static int send_request(const char *sock_dir, json_t *req, int timeout_ms, struct husk_error **err)
{
	_cleanup_free_ char *s = req ? json_compact(req) : NULL;
	_cleanup_close_ int fd = -1;

	json_decref(req);
	if (!s)
		return error_set(err, ENOMEM, "out of memory");
	fd = connect_monitor(sock_dir, err);
	if (fd < 0)
		return fd;
	if (timeout_ms)
		set_timeout(fd, timeout_ms);
	if (write_all(fd, s, strlen(s)) < 0 || write_all(fd, "\n", 1) < 0)
		return error_set_errno(err, errno, "send to the monitor in \"%s\"", sock_dir);
	return TAKE_FD(fd);
}

/* Send req, read the answer: the answer object, or its error. */
static int transact(const char *sock_dir, json_t *req, int *ret_fd, json_t **ret,
                    struct husk_error **err)
{
	_cleanup_close_ int fd = send_request(sock_dir, req, CONTROL_TO_MS, err);
	_cleanup_json_ json_t *j = NULL;
	struct strbuf sb = {0};
	const char *msg;
	int r;

	if (fd < 0)
		return fd;
	r = read_reply(fd, &sb, err);
	r = r ?: json_parse("the monitor's answer", sb.buf, sb.len, MONITOR_REPLY_MAX, &j, err);
	strbuf_release(&sb);
	if (r < 0)
		return r;
	if ((msg = json_string_value(json_object_get(j, "error")))) {
		json_int_t code = json_integer_value(json_object_get(j, "errno"));
		return error_set(err, code > 0 && code < 4096 ? (int)code : EIO, "%s", msg);
	}
	if (!json_is_true(json_object_get(j, "ok")))
		return error_set(err, EPROTO, "the monitor's answer: expected \"ok\"");
	if (ret_fd) {
		set_timeout(fd, 0);
		*ret_fd = TAKE_FD(fd);
	}
	if (ret)
		*ret = TAKE_PTR(j);
	return 0;
}

int monitor_start(const char *sock_dir, pid_t *ret_pid, struct husk_error **err)
{
	_cleanup_json_ json_t *j = NULL;
	int r = transact(sock_dir, json_pack("{s:s}", "op", "start"), NULL, &j, err);

	if (r < 0)
		return r;
	if (ret_pid)
		*ret_pid = (pid_t)json_integer_value(json_object_get(j, "pid"));
	return 0;
}

int monitor_attach(const char *sock_dir, bool in, bool out, bool err_, int *ret_fd,
                   struct husk_error **err)
{
	json_t *req = json_pack("{s:s, s:b, s:b, s:b}", "op", "attach", "stdin", in, "stdout", out,
	                        "stderr", err_);

	return transact(sock_dir, req, ret_fd, NULL, err);
}

int monitor_resize(const char *sock_dir, unsigned short rows, unsigned short cols,
                   struct husk_error **err)
{
	json_t *req =
	        json_pack("{s:s, s:i, s:i}", "op", "resize", "rows", (int)rows, "cols", (int)cols);

	return transact(sock_dir, req, NULL, NULL, err);
}

int monitor_wait_fd(const char *sock_dir, int *ret_fd, struct husk_error **err)
{
	int fd = send_request(sock_dir, json_pack("{s:s}", "op", "wait"), 0, err);

	if (fd < 0)
		return fd;
	*ret_fd = fd;
	return 0;
}

int monitor_wait_read(int fd, struct monitor_exit *ret, struct husk_error **err)
{
	struct strbuf sb = {0};
	int r = read_reply(fd, &sb, err);

	if (r == -ECONNRESET) {
		strbuf_release(&sb);
		error_free(err ? TAKE_PTR(*err) : NULL);
		return error_set(err, ECONNRESET, "husk-monitor exited without an exit record");
	}
	r = r ?: monitor_exit_parse(sb.buf, sb.len, ret, err);
	strbuf_release(&sb);
	return r;
}

int monitor_exit_load(const char *exit_file, struct monitor_exit *ret, struct husk_error **err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = read_file(exit_file, MONITOR_REPLY_MAX, &buf, &len, NULL);

	if (r == -ENOENT)
		return -ENOENT;
	if (r < 0)
		return error_set_errno(err, -r, "read exit record \"%s\"", exit_file);
	r = monitor_exit_parse(buf, len, ret, err);
	return r < 0 ? error_wrap(err, "\"%s\"", exit_file) : 0;
}

/* /proc/PID/cmdline is husk-monitor's, with --sock-dir naming dir. */
static bool is_monitor_of(pid_t pid, const char *dir)
{
	char path[64];
	_cleanup_free_ char *buf = NULL;
	_cleanup_free_ char *base = NULL;
	size_t len = 0;
	struct stat a, b;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if (read_file(path, 65536, &buf, &len, NULL) < 0 || len == 0)
		return false;
	base = path_basename(buf);
	if (!streq(base, "husk-monitor"))
		return false;
	for (size_t i = 0; i < len;) {
		const char *arg = buf + i;
		size_t n = strlen(arg) + 1;
		if (streq(arg, "--sock-dir") && i + n < len) {
			const char *v = buf + i + n;
			return streq(v, dir) || (stat(v, &a) == 0 && stat(dir, &b) == 0 &&
			                         a.st_dev == b.st_dev && a.st_ino == b.st_ino);
		}
		i += n;
	}
	return false;
}

bool monitor_alive(const char *sock_dir, pid_t *ret_monitor_pid)
{
	_cleanup_free_ char *path = path_join(sock_dir, MONITOR_PID), *buf = NULL;
	int64_t pid;

	if (!path || read_file(path, 64, &buf, NULL, NULL) < 0)
		return false;
	buf[strcspn(buf, "\n")] = 0;
	if (str_to_int64(buf, &pid) < 0 || pid <= 0 || pid > INT32_MAX)
		return false;
	if (kill((pid_t)pid, 0) < 0 || !is_monitor_of((pid_t)pid, sock_dir))
		return false;
	if (ret_monitor_pid)
		*ret_monitor_pid = (pid_t)pid;
	return true;
}
