/* exec.c — a new process in a running container (husk-runtime exec).
 *
 * The runtime forks a helper that joins the container's namespaces
 * through a pidfd of its init, and the helper clones the process with
 * CLONE_PARENT, so it is born in the container's pid namespace yet is the
 * runtime's own child (the runtime waits for it and attaches it to the
 * cgroup before it may run). */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "base/fs.h"
#include "base/str.h"
#include "runtime/cgroup.h"
#include "runtime/console.h"
#include "runtime/container.h"
#include "runtime/lifecycle.h"
#include "runtime/process.h"
#include "runtime/state.h"
#include "runtime/sync.h"

struct execution {
	const struct exec_opts *o;
	struct container_state *st;
	struct oci_spec *spec;
	struct seccomp_filter *seccomp;
	struct cgroup_layout layout;
	struct cgroup *cg;
	int sync[2], pidfd, console_fd, tty_master;
	pid_t pid;
	bool proxy_tty;
};

static void execution_release(struct execution *e, bool failed)
{
	if (failed && e->pid > 0) {
		kill(e->pid, SIGKILL);
		waitpid(e->pid, NULL, 0);
	}
	container_state_free(e->st);
	oci_spec_free(e->spec);
	seccomp_filter_free(e->seccomp);
	cgroup_free(e->cg);
	cgroup_layout_release(&e->layout);
	safe_close(e->sync[0]);
	safe_close(e->sync[1]);
	safe_close(e->pidfd);
	safe_close(e->console_fd);
	safe_close(e->tty_master);
}

static unsigned long join_flags(const struct oci_spec *s)
{
	unsigned long f = 0;

	for (size_t i = 0; i < s->linux_.n_namespaces; i++)
		f |= (unsigned long)oci_ns_clone_flag(s->linux_.namespaces[i].type);
	return f;
}

/* The process, in the container: pty, then oci process setup and exec. */
static _noreturn_ void exec_child(struct execution *e)
{
	struct husk_error *err = NULL;
	int r = sync_expect(e->sync[1], SYNC_GO, "exec", &err);

	if (r == 0 && e->o->process->terminal) {
		_cleanup_free_ char *slave_path = NULL;
		int master = -1, slave = -1;
		r = console_open("/dev/pts/ptmx", &master, &slave_path, &err);
		if (r == 0 && e->o->process->console_height)
			console_resize(master, e->o->process->console_height,
			               e->o->process->console_width);
		if (r == 0 && (slave = open(slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
			r = error_set_errno(&err, errno, "open \"%s\"", slave_path);
		if (r == 0 && console_send_fd(e->proxy_tty ? e->sync[1] : e->console_fd, master,
		                              "console") < 0)
			r = error_set_errno(&err, errno, "send the pty master");
		if (r == 0 && setsid() < 0)
			r = error_set_errno(&err, errno, "setsid");
		r = r ?: console_make_controlling(slave, &err);
		safe_close(master);
		safe_close(slave);
	}
	if (r == 0) {
		struct process_exec x = {.process = e->o->process,
		                         .linux_ = &e->spec->linux_,
		                         .seccomp = e->seccomp,
		                         .preserve_fds = e->o->preserve_fds,
		                         .keep_fds = {e->sync[1], -1, -1, -1}};
		process_exec(&x, &err);
	}
	sync_send_error(e->sync[1], error_code(err), error_message(err));
	_exit(1);
}

/* The helper: join, clone the process as our parent's child, report it. */
static _noreturn_ void exec_helper(struct execution *e)
{
	struct husk_error *err = NULL;
	pid_t pid;

	e->sync[0] = safe_close(e->sync[0]);
	if (setns(e->pidfd, (int)join_flags(e->spec)) < 0) {
		error_set_errno(&err, errno, "exec: join the container's namespaces");
		sync_send_error(e->sync[1], error_code(err), error_message(err));
		_exit(1);
	}
	pid = (pid_t)syscall(SYS_clone, CLONE_PARENT, 0, 0, 0, 0);
	if (pid == 0)
		exec_child(e);
	if (pid < 0)
		sync_send_error(e->sync[1], errno, "exec: clone the process");
	else
		sync_send(e->sync[1], SYNC_CHILD_PID, &pid, sizeof(pid));
	_exit(pid < 0);
}

static int prepare(struct execution *e, const struct runtime_ctx *rt, const char *id,
                   struct husk_error **err)
{
	int r = container_state_load(rt, id, &e->st, err);

	if (r < 0)
		return r;
	if (e->st->status != CONTAINER_RUNNING && e->st->status != CONTAINER_CREATED)
		return error_set(err, EINVAL, "cannot exec in a container that is %s (id \"%s\")",
		                 container_status_name(e->st->status), id);
	e->spec = oci_spec_parse(e->st->config, err);
	if (!e->spec)
		return error_wrap(err, "exec \"%s\": saved config", id);
	if (e->o->process->terminal && !e->o->console_socket && e->o->detach)
		return error_set(err, EINVAL, "process.terminal: --console-socket is required");
	e->proxy_tty = e->o->process->terminal && !e->o->console_socket;
	if (e->spec->linux_.seccomp.present &&
	    (r = seccomp_build(rt, &e->spec->linux_.seccomp, &e->seccomp, err)) < 0)
		return r;
	r = cgroup_probe(NULL, NULL, &e->layout, err);
	r = r ?: cgroup_open(&e->layout, e->st->cgroup_paths, &e->cg, err);
	if (r == 0 && e->o->console_socket &&
	    (e->console_fd = console_socket_connect(e->o->console_socket, err)) < 0)
		return e->console_fd;
	if (r == 0 && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, e->sync) < 0)
		return error_set_errno(err, errno, "socketpair");
	e->pidfd = (int)syscall(SYS_pidfd_open, e->st->pid, 0);
	if (r == 0 && (e->pidfd < 0 || !state_pid_alive(e->st)))
		return error_set(err, ESRCH, "container \"%s\" is not running", id);
	return r;
}

static int spawn(struct execution *e, struct husk_error **err)
{
	char buf[SYNC_MSG_MAX];
	enum sync_type t;
	int status = 0, n;
	pid_t helper = fork();

	if (helper < 0)
		return error_set_errno(err, errno, "exec: fork");
	if (helper == 0)
		exec_helper(e);
	e->sync[1] = safe_close(e->sync[1]);
	n = sync_recv(e->sync[0], &t, buf, sizeof(buf));
	waitpid(helper, &status, 0);
	if (n < 0)
		return error_set(err, EIO, "exec: the helper process failed");
	if (t == SYNC_ERROR)
		return error_set(err, EIO, "%s", buf + sizeof(int32_t));
	memcpy(&e->pid, buf, sizeof(e->pid));
	return 0;
}

static int wait_exec(int fd, struct husk_error **err)
{
	char buf[SYNC_MSG_MAX];
	enum sync_type t;
	int n = sync_recv(fd, &t, buf, sizeof(buf));

	if (n == -EPIPE)
		return 0;
	if (n < 0 || t != SYNC_ERROR)
		return error_set(err, EIO, "exec: unexpected answer from the process");
	return error_set(err, EIO, "%s", buf + sizeof(int32_t));
}

int container_exec(const struct runtime_ctx *rt, const char *id, const struct exec_opts *o,
                   int *ret_status, struct husk_error **err)
{
	struct execution e = {
	        .o = o, .sync = {-1, -1}, .pidfd = -1, .console_fd = -1, .tty_master = -1};
	int r = prepare(&e, rt, id, err);

	r = r ?: spawn(&e, err);
	r = r ?: cgroup_attach(e.cg, e.pid, err);
	if (r == 0 && sync_send(e.sync[0], SYNC_GO, NULL, 0) < 0)
		r = error_set_errno(err, errno, "exec: start the process");
	if (r == 0 && e.proxy_tty && (e.tty_master = console_recv_fd(e.sync[0])) < 0)
		r = error_set(err, EIO, "exec: receive the pty");
	r = r ?: wait_exec(e.sync[0], err);
	if (r == 0 && o->pid_file)
		r = lifecycle_write_pid_file(o->pid_file, e.pid, err);
	if (r == 0 && !o->detach) {
		lifecycle_forward_and_wait(e.pid, e.tty_master, ret_status);
		e.pid = 0;
	}
	execution_release(&e, r < 0);
	return r;
}
