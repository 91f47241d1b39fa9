#include "runtime/hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"

const char *hooks_kind_name(enum oci_hook_kind kind)
{
	static const char *const names[] = {"prestart",       "createRuntime", "createContainer",
	                                    "startContainer", "poststart",     "poststop"};

	return kind < OCI_HOOK_KINDS ? names[kind] : "unknown";
}

static _noreturn_ void hook_exec(const struct oci_hook *h, int in)
{
	char *const empty[] = {NULL};
	char *const argv0[] = {h->path, NULL};

	if (dup2(in, STDIN_FILENO) < 0)
		_exit(127);
	execve(h->path, h->args && h->args[0] ? h->args : argv0, h->env ? h->env : empty);
	dprintf(STDERR_FILENO, "exec %s: %s\n", h->path, strerror(errno));
	_exit(127);
}

/* Wait for pid at most timeout seconds (0 = forever); kill it on timeout. */
static int hook_wait(pid_t pid, int timeout, int *ret_status)
{
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0), r = 0;

	if (pfd >= 0 && timeout > 0) {
		struct pollfd p = {.fd = pfd, .events = POLLIN};
		r = RETRY_EINTR(poll(&p, 1, timeout * 1000));
		if (r == 0) {
			kill(pid, SIGKILL);
			r = -ETIMEDOUT;
		} else
			r = 0;
	}
	safe_close(pfd);
	if (RETRY_EINTR(waitpid(pid, ret_status, 0)) < 0)
		return -errno;
	return r;
}

static int hook_run(const struct oci_hook *h, const char *state, enum oci_hook_kind kind, size_t i,
                    struct husk_error **err)
{
	int p[2], status = 0, r;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return error_set_errno(err, errno, "%s hook %zu: pipe", hooks_kind_name(kind), i);
	pid = fork();
	if (pid < 0) {
		r = -errno;
		safe_close(p[0]);
		safe_close(p[1]);
		return error_set_errno(err, -r, "%s hook %zu: fork", hooks_kind_name(kind), i);
	}
	if (pid == 0)
		hook_exec(h, p[0]);
	safe_close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	(void)write_all(p[1], state, strlen(state)); /* a hook may ignore its stdin */
	safe_close(p[1]);
	r = hook_wait(pid, h->has_timeout ? h->timeout : 0, &status);
	if (r == -ETIMEDOUT)
		return error_set(err, ETIMEDOUT, "%s hook \"%s\" timed out after %d s",
		                 hooks_kind_name(kind), h->path, h->timeout);
	if (r < 0)
		return error_set_errno(err, -r, "%s hook \"%s\"", hooks_kind_name(kind), h->path);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return error_set(err, EIO, "%s hook \"%s\" failed: %s %d", hooks_kind_name(kind),
		                 h->path, WIFEXITED(status) ? "exit status" : "signal",
		                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return 0;
}

int hooks_run(const struct oci_spec *spec, enum oci_hook_kind kind, json_t *state,
              struct husk_error **err)
{
	_cleanup_free_ char *text = NULL;
	int r;

	if (!spec->n_hooks[kind])
		return 0;
	text = json_compact(state);
	if (!text)
		return error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < spec->n_hooks[kind]; i++) {
		r = hook_run(&spec->hooks[kind][i], text, kind, i, err);
		if (r < 0)
			return r;
	}
	return 0;
}
