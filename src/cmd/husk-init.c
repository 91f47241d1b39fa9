/* husk-init — a tiny PID 1 for `run --init` (what tini is to docker-init):
 * it runs the command as its child, forwards the signals it gets to it,
 * reaps every zombie the container makes, and exits with the command's
 * status (128+N when a signal killed it). The engine bind-mounts it at
 * /sbin/docker-init and prepends it to the arguments.
 *
 * Statically linked and libc-only: it runs inside images that have no libc
 * at all. It must never exit before its child does, and never leave a
 * signal it got unforwarded (except SIGCHLD, which is its own).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/* Signals that mean a fault of our own: left alone, never blocked. */
static const int sync_signals[] = {SIGFPE, SIGILL, SIGSEGV, SIGBUS, SIGABRT, SIGTRAP, SIGSYS};

static void usage(FILE *out)
{
	fputs("Usage: husk-init [--] COMMAND [ARG...]\n\n"
	      "Runs COMMAND as a child, forwards signals to it, reaps zombies, and exits\n"
	      "with its status (128+N for signal N).\n",
	      out);
}

/* The child: its own process group with the terminal (if any) as its
 * foreground, our signal mask undone, then the command. */
static _Noreturn void run_child(char **argv, const sigset_t *saved)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};

	setpgid(0, 0);
	sigaction(SIGTTOU, &(struct sigaction){.sa_handler = SIG_IGN}, NULL);
	if (tcsetpgrp(STDIN_FILENO, getpgrp()) < 0 && errno != ENOTTY && errno != ENXIO &&
	    errno != EBADF)
		fprintf(stderr, "husk-init: take the terminal: %s\n", strerror(errno));
	sigaction(SIGTTOU, &dfl, NULL);
	sigprocmask(SIG_SETMASK, saved, NULL);
	execvp(argv[0], argv);
	fprintf(stderr, "husk-init: exec \"%s\": %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* Reap every zombie; *ret_status gets the child's status when it is one of
 * them. Returns whether the child has exited. */
static int reap(pid_t child, int *ret_status)
{
	int status, done = 0;
	pid_t p;

	while ((p = waitpid(-1, &status, WNOHANG)) > 0)
		if (p == child) {
			*ret_status =
			        WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			done = 1;
		}
	return done;
}

int main(int argc, char **argv)
{
	sigset_t all, saved;
	int status = 0, i = 1;
	pid_t child;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--"))
		i = 2;
	if (i >= argc) {
		usage(stderr);
		return 1;
	}
	/* not PID 1 (e.g. --pid host): orphans must still come to us */
	if (getpid() != 1)
		prctl(PR_SET_CHILD_SUBREAPER, 1);
	sigfillset(&all);
	for (size_t k = 0; k < sizeof(sync_signals) / sizeof(sync_signals[0]); k++)
		sigdelset(&all, sync_signals[k]);
	sigprocmask(SIG_SETMASK, &all, &saved);
	child = fork();
	if (child < 0) {
		fprintf(stderr, "husk-init: fork: %s\n", strerror(errno));
		return 1;
	}
	if (child == 0)
		run_child(argv + i, &saved);
	for (;;) {
		struct timespec tick = {.tv_sec = 1};
		siginfo_t si;
		int sig = sigtimedwait(&all, &si, &tick);

		if (sig > 0 && sig != SIGCHLD && kill(child, sig) < 0 && errno != ESRCH)
			fprintf(stderr, "husk-init: forward signal %d: %s\n", sig, strerror(errno));
		/* SIGCHLD, or the tick: a lost SIGCHLD (coalesced) is caught here */
		if (reap(child, &status))
			return status;
	}
}
