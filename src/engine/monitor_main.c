/* monitor_main.c — husk-monitor's life: detach from huskd, listen, create
 * the container (or prepare the exec) with the stdio it holds, report
 * ready, serve (monitor_loop.c), then record the exit and clean up. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"
#include "base/memshed.h"
#include "base/str.h"
#include "engine/monitor_proc.h"
#include "runtime/cgroup.h"
#include "runtime/console.h"

static void noop_handler(int sig)
{
	(void)sig;
}

/* Handlers, not SIG_IGN: a caught signal is reset to its default at execve,
 * an ignored one stays ignored in the container's process. The mask stays
 * empty for the same reason (it is inherited through clone and execve). */
static void setup_signals(void)
{
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2};
	struct sigaction sa = {.sa_handler = noop_handler, .sa_flags = SA_RESTART};
	sigset_t none;

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

bool monitor_needs_seal(const struct monitor_config *c)
{
	json_t *ns;
	size_t i;

	if (c->exec_process)
		return true;
	json_array_foreach (json_object_get(json_object_get(c->config, "linux"), "namespaces"), i,
	                    ns)
		if (streq(json_string_value(json_object_get(ns, "type")), "pid") &&
		    json_object_get(ns, "path"))
			return true;
	return false;
}

/* The socket directory must be root's alone: anyone who can reach the
 * socket can drive the container. */
static int check_sock_dir(const char *dir, struct husk_error **err)
{
	struct stat st;

	if (mkdir_p(dir, 0700) < 0 && errno != EEXIST)
		return error_set_errno(err, errno, "create monitor directory \"%s\"", dir);
	if (stat(dir, &st) < 0)
		return error_set_errno(err, errno, "monitor directory \"%s\"", dir);
	if (st.st_uid != geteuid() || (st.st_mode & 0077))
		return error_set(err, EPERM,
		                 "monitor directory \"%s\": must be private to root (mode 0700)",
		                 dir);
	return 0;
}

static int listen_at(const char *dir, const char *name, int backlog, struct husk_error **err)
{
	_cleanup_close_ int fd = -1, dirfd = -1;
	_cleanup_free_ char *path = path_join(dir, name);
	struct sockaddr_un sa;
	int r;

	if (!path)
		return error_set(err, ENOMEM, "out of memory");
	r = monitor_sockaddr(dir, name, &sa, &dirfd, err);
	if (r < 0)
		return r;
	unlink(path); /* left by a monitor that died */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, backlog) < 0)
		return error_set_errno(err, errno, "listen on \"%s\"", path);
	if (chmod(path, 0600) < 0)
		return error_set_errno(err, errno, "chmod \"%s\"", path);
	return TAKE_FD(fd);
}

static void unlink_in(const char *dir, const char *name)
{
	_cleanup_free_ char *path = path_join(dir, name);

	if (path)
		unlink(path);
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -errno : 0;
}

/* Pipes for a process without a tty: the child's ends in child[0..2]
 * (stdin /dev/null unless open_stdin), ours in m. */
static int make_pipes(struct mon *m, int child[3], struct husk_error **err)
{
	int p[2];

	for (int i = 1; i <= 2; i++) {
		if (pipe2(p, O_CLOEXEC) < 0)
			return error_set_errno(err, errno, "create the stdio pipes");
		*(i == 1 ? &m->out_fd : &m->err_fd) = p[0];
		child[i] = p[1];
		set_nonblock(p[0]);
	}
	if (m->c->open_stdin) {
		if (pipe2(p, O_CLOEXEC) < 0)
			return error_set_errno(err, errno, "create the stdin pipe");
		child[0] = p[0];
		m->in_fd = p[1];
		set_nonblock(p[1]);
	}
	return 0;
}

/* The pty master the container's init (or exec) sent over the console
 * socket while the runtime ran. */
static int take_master(struct mon *m, struct husk_error **err)
{
	struct pollfd p = {.fd = m->console_fd, .events = POLLIN};
	_cleanup_close_ int conn = -1;

	if (RETRY_EINTR(poll(&p, 1, 10000)) <= 0)
		return error_set(err, ETIMEDOUT, "the container did not send its pty");
	conn = accept4(m->console_fd, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0)
		return error_set_errno(err, errno, "accept on the console socket");
	m->master = console_recv_fd(conn);
	if (m->master < 0)
		return error_set_errno(err, -m->master, "receive the pty master");
	m->console_fd = safe_close(m->console_fd);
	unlink_in(m->c->sock_dir, MONITOR_CONSOLE);
	set_nonblock(m->master);
	if (m->c->rows && m->c->cols)
		console_resize(m->master, m->c->rows, m->c->cols);
	m->out_fd = m->master;
	if (m->c->open_stdin)
		m->in_fd = fcntl(m->master, F_DUPFD_CLOEXEC, 3);
	return 0;
}

/* The console socket's address as the runtime will connect to it. */
static char *console_path(struct mon *m, int *ret_dirfd)
{
	struct sockaddr_un sa;

	if (monitor_sockaddr(m->c->sock_dir, MONITOR_CONSOLE, &sa, ret_dirfd, NULL) < 0)
		return NULL;
	return strdup(sa.sun_path);
}

/* Run fn with the child's stdio on our fds 0-2 (the runtime hands its
 * caller's 0-2 to the process), then put /dev/null back. */
static void stdio_enter(struct mon *m, const int child[3])
{
	for (int i = 0; i < 3; i++)
		dup2(child[i] >= 0 ? child[i] : m->devnull, i);
}

static void stdio_leave(struct mon *m, int child[3])
{
	for (int i = 0; i < 3; i++) {
		dup2(m->devnull, i);
		child[i] = safe_close(child[i]);
	}
}

static int open_pidfd(struct mon *m, struct husk_error **err)
{
	m->pidfd = (int)syscall(SYS_pidfd_open, m->pid, 0);
	if (m->pidfd < 0)
		return error_set_errno(err, errno, "watch process %d", (int)m->pid);
	return 0;
}

static int create_container(struct mon *m, struct husk_error **err)
{
	_cleanup_free_ char *console = NULL;
	_cleanup_close_ int dirfd = -1;
	int child[3] = {-1, -1, -1}, r = 0;
	struct create_result made = {0};

	if (m->c->tty)
		console = console_path(m, &dirfd);
	else
		r = make_pipes(m, child, err);
	if (r < 0 || (m->c->tty && !console)) {
		stdio_leave(m, child);
		return r < 0 ? r : error_set(err, ENOMEM, "out of memory");
	}
	struct create_opts o = {
	        .bundle = m->c->bundle, .console_socket = console, .config = m->config};
	stdio_enter(m, child);
	r = container_create(&m->rt, m->c->id, &o, &made, err);
	stdio_leave(m, child);
	json_decref(m->config); /* its memory, for the container's life */
	m->config = NULL;
	if (r < 0)
		return r;
	m->cgroup_paths = made.cgroup_paths;
	m->poststart_hooks = made.poststart_hooks;
	m->poststop_hooks = made.poststop_hooks;
	m->pid = made.pid;
	r = m->c->tty ? take_master(m, err) : 0;
	r = r ?: open_pidfd(m, err);
	if (r < 0) {
		container_delete(&m->rt, m->c->id, true, NULL);
		m->pid = 0;
	}
	return r;
}

/* Exec mode, before start: the process parses, the container runs, the
 * stdio the process will get exists (attachers may connect before start). */
static int prepare_exec(struct mon *m, struct husk_error **err)
{
	_cleanup_(container_state_freep) struct container_state *st = NULL;
	_cleanup_json_ json_t *doc = NULL;
	int r = oci_json_load(m->c->exec_process, &doc, err);

	if (r == 0 && !(m->exec_process = oci_process_parse(doc, "process", err)))
		r = -EINVAL;
	r = r ?: container_state_load(&m->rt, m->c->id, &st, err);
	if (r == 0 && st->status != CONTAINER_RUNNING)
		r = error_set(err, EINVAL, "container \"%s\" is %s, not running", m->c->id,
		              container_status_name(st->status));
	if (r == 0 && m->exec_process->terminal != m->c->tty)
		r = error_set(err, EINVAL, "exec: process.terminal must match --tty");
	if (r == 0 && !m->c->tty)
		r = make_pipes(m, m->child_stdio, err);
	return r;
}

static int read_exec_pid(struct mon *m, struct husk_error **err)
{
	_cleanup_free_ char *path = path_join(m->c->sock_dir, MONITOR_EXEC_PID), *buf = NULL;
	int64_t pid;

	if (!path || read_file(path, 64, &buf, NULL, err) < 0)
		return error_wrap(err, "exec: the process's pid");
	unlink(path);
	buf[strcspn(buf, "\n")] = 0;
	if (str_to_int64(buf, &pid) < 0 || pid <= 0)
		return error_set(err, EIO, "exec: bad pid file \"%s\"", path);
	m->pid = (pid_t)pid;
	return 0;
}

static int start_exec(struct mon *m, struct husk_error **err)
{
	_cleanup_free_ char *pid_file = path_join(m->c->sock_dir, MONITOR_EXEC_PID);
	_cleanup_free_ char *console = NULL;
	_cleanup_close_ int dirfd = -1;
	int status = 0, r;

	if (m->c->tty && !(console = console_path(m, &dirfd)))
		return error_set(err, ENOMEM, "out of memory");
	struct exec_opts o = {.process = m->exec_process,
	                      .pid_file = pid_file,
	                      .console_socket = console,
	                      .detach = true};
	stdio_enter(m, m->child_stdio);
	r = container_exec(&m->rt, m->c->id, &o, &status, err);
	stdio_leave(m, m->child_stdio);
	r = r ?: read_exec_pid(m, err);
	r = r ?: open_pidfd(m, err);
	if (r == 0 && m->c->tty)
		r = take_master(m, err);
	if (r < 0 && m->pid > 0) {
		/* running without the stdio we hold: of no use to anyone */
		kill(m->pid, SIGKILL);
		(void)RETRY_EINTR(waitpid(m->pid, NULL, 0));
		m->pid = 0;
		m->pidfd = safe_close(m->pidfd);
	}
	return r;
}

/* dockerd's rule: a command that is not there is 127, any other failure
 * to start it 126. The runtime's message is all there is to go on. */
static int start_failure_code(const char *msg)
{
	return msg && (strstr(msg, "no such file or directory") ||
	               strstr(msg, "No such file or directory") || strstr(msg, "not found"))
	               ? 127
	               : 126;
}

int mon_start(struct mon *m, struct husk_error **err)
{
	int r;

	if (m->started)
		return error_set(err, EALREADY, "container \"%s\" is already started", m->c->id);
	if (m->exited)
		return error_set(err, ESRCH, "container \"%s\" has exited", m->c->id);
	if (m->exec_mode)
		r = start_exec(m, err);
	else if (m->poststart_hooks)
		r = container_start(&m->rt, m->c->id, err);
	else
		r = container_start_created(&m->rt, m->c->id, m->pid, err);
	if (r == 0) {
		m->started = true;
		memshed(false); /* start parsed the spec again: more code run once */
		return 0;
	}
	/* the exit record says why */
	free(m->error);
	m->error = strdup(error_message(err ? *err : NULL));
	if (m->exec_mode && !m->exited) /* nothing will run */
		mon_mark_exited(m, start_failure_code(m->error) << 8);
	return r;
}

static int write_pid_file(struct mon *m, struct husk_error **err)
{
	char buf[32];
	_cleanup_close_ int dirfd = open(m->c->sock_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());

	if (dirfd < 0)
		return error_set_errno(err, errno, "monitor directory \"%s\"", m->c->sock_dir);
	return atomic_replace_at(dirfd, MONITOR_PID, buf, (size_t)n, 0600, err);
}

static int setup(struct mon *m, struct husk_error **err)
{
	pid_t other;
	int r = check_sock_dir(m->c->sock_dir, err);

	/* never take the socket of a monitor that is still serving */
	if (r == 0 && monitor_alive(m->c->sock_dir, &other))
		return error_set(err, EBUSY, "monitor directory \"%s\": husk-monitor %d serves it",
		                 m->c->sock_dir, (int)other);
	m->owns_dir = r == 0;

	if (r == 0 && m->c->tty) {
		m->console_fd = listen_at(m->c->sock_dir, MONITOR_CONSOLE, 1, err);
		r = m->console_fd < 0 ? m->console_fd : 0;
	}
	if (r == 0) {
		m->listen_fd = listen_at(m->c->sock_dir, MONITOR_SOCK, 16, err);
		r = m->listen_fd < 0 ? m->listen_fd : 0;
	}
	r = r ?: write_pid_file(m, err);
	if (r == 0 && m->c->log_path)
		r = logfile_open(m->c->log_path, m->c->log_max_size, m->c->log_max_files, &m->log,
		                 err);
	/* last: a failure after it would have to undo the container */
	if (r == 0)
		r = m->exec_mode ? prepare_exec(m, err) : create_container(m, err);
	return r;
}

static void report(int fd, struct mon *m, const struct husk_error *e)
{
	_cleanup_json_ json_t *j = NULL;
	_cleanup_free_ char *s = NULL;

	if (fd < 0)
		return;
	j = e ? json_pack("{s:s, s:i}", "error", error_message(e), "errno", error_code(e))
	      : json_pack("{s:i, s:i}", "pid", (int)(m->exec_mode ? 0 : m->pid), "monitor_pid",
	                  (int)getpid());
	s = j ? json_compact(j) : NULL;
	if (s) {
		(void)write_all(fd, s, strlen(s));
		(void)write_all(fd, "\n", 1);
	}
	safe_close(fd);
}

static void mon_release(struct mon *m)
{
	while (m->clients)
		mon_client_drop(m, m->clients);
	logfile_close(m->log);
	oci_process_free(m->exec_process);
	for (int i = 0; i < 3; i++)
		safe_close(m->child_stdio[i]);
	safe_close(m->listen_fd);
	safe_close(m->console_fd);
	if (m->out_fd != m->master)
		safe_close(m->out_fd);
	safe_close(m->err_fd);
	safe_close(m->in_fd);
	safe_close(m->master);
	safe_close(m->pidfd);
	safe_close(m->devnull);
	json_decref(m->cgroup_paths);
	json_decref(m->config);
	free(m->error);
	free(m->exit_line);
}

/* fds 0-2 must exist: the pipes made later must not land on them. */
static int open_devnull(struct mon *m, struct husk_error **err)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd < 0)
		return error_set_errno(err, errno, "open /dev/null");
	close(fd);
	m->devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (m->devnull < 0)
		return error_set_errno(err, errno, "open /dev/null");
	/* the runtime's warnings must not land in the container's stderr */
	log_set_fd(m->devnull);
	return 0;
}

int monitor_main(const struct monitor_config *c, int ready_fd)
{
	struct mon *m = calloc(1, sizeof(*m));
	_cleanup_error_ struct husk_error *err = NULL;
	pid_t pid;
	int r;

	if (!m) {
		report(ready_fd, NULL, &(struct husk_error){ENOMEM, (char *)"out of memory"});
		return 1;
	}
	*m = (struct mon){.c = c,
	                  .config = c->config,
	                  .rt = {.root = c->runtime_root, .systemd_cgroup = c->systemd_cgroup},
	                  .exec_mode = c->exec_process != NULL,
	                  .devnull = -1,
	                  .listen_fd = -1,
	                  .console_fd = -1,
	                  .child_stdio = {-1, -1, -1},
	                  .out_fd = -1,
	                  .err_fd = -1,
	                  .in_fd = -1,
	                  .master = -1,
	                  .pidfd = -1};
	/* away from huskd: it reaps the process it spawned, we live on */
	pid = c->detached ? 0 : fork();
	if (pid < 0) {
		error_set_errno(&err, errno, "fork the monitor");
		report(ready_fd, m, err);
		json_decref(m->config);
		free(m);
		return 1;
	}
	if (pid > 0)
		_exit(0);
	setup_signals();
	/* hold no directory busy (the paths in c are absolute) */
	(void)!chdir("/");
	r = open_devnull(m, &err);
	r = r ?: setup(m, &err);
	if (r < 0 && m->owns_dir) {
		unlink_in(c->sock_dir, MONITOR_SOCK);
		unlink_in(c->sock_dir, MONITOR_CONSOLE);
		unlink_in(c->sock_dir, MONITOR_PID);
	}
	if (r < 0) {
		report(ready_fd, m, err);
		mon_release(m);
		free(m);
		return 1;
	}
	report(ready_fd, m, NULL);
	/* the runtime's create code ran once: out of the resident set */
	memshed(false);
	mon_loop(m);
	mon_finish(m);
	mon_release(m);
	free(m);
	return 0;
}

/* ---- the end ---- */

/* The container's cgroup, from the paths saved at create (the runtime's
 * state may be gone by now). */
static struct cgroup *open_cgroup(struct mon *m, struct cgroup_layout *layout)
{
	struct cgroup *cg = NULL;

	if (!m->cgroup_paths || cgroup_probe(NULL, NULL, layout, NULL) < 0)
		return NULL;
	if (cgroup_open(layout, m->cgroup_paths, &cg, NULL) < 0)
		return NULL;
	return cg;
}

static bool oom_killed(struct cgroup *cg)
{
	uint64_t kills = 0;

	return cg && cgroup_oom_kills(cg, &kills) == 0 && kills > 0;
}

/* runtime delete: the cgroup (cg, when it could be opened) and the state
 * go (not the rootfs: the engine unmounts it). Without a state to delete,
 * the cgroup still goes. */
static void delete_container(struct mon *m, struct cgroup *cg)
{
	if (!m->poststop_hooks) {
		container_delete_created(&m->rt, m->c->id, cg, NULL);
		return;
	}
	if (container_delete(&m->rt, m->c->id, true, NULL) < 0 && cg)
		cgroup_destroy(cg, true, NULL);
}

static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

static void write_exit_file(struct mon *m, const struct monitor_exit *e)
{
	_cleanup_json_ json_t *j = NULL;
	_cleanup_free_ char *s = NULL;

	if (!m->c->exit_file)
		return;
	j = monitor_exit_json(e);
	s = j ? json_compact(j) : NULL;
	if (s)
		(void)atomic_write_file(m->c->exit_file, s, strlen(s), 0600, NULL);
}

void mon_finish(struct mon *m)
{
	struct monitor_exit e = {.exit_code = exit_code(m->status), .error = m->error};
	_cleanup_json_ json_t *j = NULL;
	struct cgroup_layout layout = {0};
	struct cgroup *cg = m->exec_mode ? NULL : open_cgroup(m, &layout);

	logfile_close(m->log); /* flushes what is held, with a newline */
	m->log = NULL;
	logfile_format_time(e.finished_at, sizeof(e.finished_at), m->exit_ns, true);
	e.oom_killed = oom_killed(cg);
	write_exit_file(m, &e);
	j = monitor_exit_json(&e);
	m->exit_line = j ? json_compact(j) : NULL;
	/* the path goes before anyone hears of the exit: a new monitor for the
	 * same container may bind it as soon as they do */
	unlink_in(m->c->sock_dir, MONITOR_SOCK);
	unlink_in(m->c->sock_dir, MONITOR_PID);
	unlink_in(m->c->sock_dir, MONITOR_CONSOLE);
	mon_answer_late(m);
	/* the record is out: the cgroup and state go while huskd takes it,
	 * and the waiters' EOF says they are gone */
	if (!m->exec_mode)
		delete_container(m, cg);
	cgroup_free(cg);
	cgroup_layout_release(&layout);
	mon_release_held(m);
}
