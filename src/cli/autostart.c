/* autostart.c — start huskd when husk finds no daemon on the local
 * default socket and runs as root, as the design asks: in the background,
 * detached (its own session, not husk's child), logging under the data
 * root, and said once on stderr. A lock in the exec root makes concurrent
 * husk invocations start one daemon, not several. */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "base/fs.h"
#include "base/str.h"
#include "cli/cli.h"

#define AUTOSTART_TIMEOUT_MS 15000

/* huskd next to our own binary, else the first on PATH. */
static char *find_huskd(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	_cleanup_free_ char *dir = NULL;

	if (n > 0) {
		self[n] = 0;
		dir = path_dirname(self);
		char *p = dir ? path_join(dir, "huskd") : NULL;
		if (p && access(p, X_OK) == 0)
			return p;
		free(p);
	}
	return strdup("huskd");
}

static int build_argv(const struct cli *cli, const char *huskd, char ***ret)
{
	_cleanup_strv_ char **v = strv_new();

	if (!v || strv_push(&v, huskd) < 0)
		return -ENOMEM;
	/* only what the environment overrides: daemon.json may set the rest,
	 * and dockerd's rules refuse a key given both ways */
	if (getenv("HUSK_DATA_ROOT") &&
	    (strv_push(&v, "--data-root") < 0 || strv_push(&v, cli->data_root) < 0))
		return -ENOMEM;
	if (getenv("HUSK_EXEC_ROOT") &&
	    (strv_push(&v, "--exec-root") < 0 || strv_push(&v, cli->exec_root) < 0))
		return -ENOMEM;
	*ret = TAKE_PTR(v);
	return 0;
}

/* In the grandchild: stdio to /dev/null and the log, then exec. */
static _noreturn_ void exec_daemon(char **argv, int logfd)
{
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(logfd, STDOUT_FILENO) < 0 ||
	    dup2(logfd, STDERR_FILENO) < 0)
		_exit(127);
	if (strchr(argv[0], '/'))
		execv(argv[0], argv);
	else
		execvp(argv[0], argv);
	dprintf(STDERR_FILENO, "husk: exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* huskd runs in its own session; when husk exits it is re-parented to
 * init (or the nearest subreaper), so it outlives us. */
static pid_t spawn_detached(char **argv, int logfd)
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (setsid() < 0)
			_exit(127);
		exec_daemon(argv, logfd);
	}
	return pid;
}

static int ping_once(const struct cli *cli)
{
	_cleanup_(api_client_freep) struct api_client *c = api_client_new(cli->host, NULL);

	return c ? api_client_ping(c, NULL) : -ENOMEM;
}

/* Poll the socket until it answers, huskd exits, or the timeout passes.
 * -ECHILD with *ret_status when huskd died first. */
static int wait_for_daemon(const struct cli *cli, pid_t pid, int *ret_status)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (ping_once(cli) == 0)
			return 0;
		if (waitpid(pid, ret_status, WNOHANG) == pid)
			return -ECHILD;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 >
		    AUTOSTART_TIMEOUT_MS)
			return -ETIMEDOUT;
		poll(NULL, 0, 10);
	}
}

static int take_lock(const struct cli *cli, struct husk_error **err)
{
	_cleanup_free_ char *path = path_join(cli->exec_root, "autostart.lock");
	int fd, r;

	if (!path)
		return error_set(err, ENOMEM, "out of memory");
	r = mkdir_p(cli->exec_root, 0700);
	if (r < 0)
		return error_set_errno(err, -r, "create \"%s\"", cli->exec_root);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return error_set_errno(err, errno, "open \"%s\"", path);
	if (RETRY_EINTR(flock(fd, LOCK_EX)) < 0) {
		r = error_set_errno(err, errno, "lock \"%s\"", path);
		close(fd);
		return r;
	}
	return fd;
}

static int open_log(const struct cli *cli, char **ret_path, struct husk_error **err)
{
	_cleanup_free_ char *path = path_join(cli->data_root, "huskd.log");
	int r, fd;

	if (!path)
		return error_set(err, ENOMEM, "out of memory");
	r = mkdir_p(cli->data_root, 0710);
	if (r < 0)
		return error_set_errno(err, -r, "create \"%s\"", cli->data_root);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return error_set_errno(err, errno, "open \"%s\"", path);
	*ret_path = TAKE_PTR(path);
	return fd;
}

int cli_autostart(struct cli *cli, struct husk_error **err)
{
	_cleanup_close_ int lock = -1, logfd = -1;
	_cleanup_free_ char *huskd = NULL, *log = NULL;
	_cleanup_strv_ char **argv = NULL;
	int r, status = 0;
	pid_t pid;

	lock = take_lock(cli, err);
	if (lock < 0)
		return lock;
	if (ping_once(cli) == 0)
		return 0; /* another husk started it while we waited for the lock */
	logfd = open_log(cli, &log, err);
	if (logfd < 0)
		return logfd;
	huskd = find_huskd();
	if (!huskd || build_argv(cli, huskd, &argv) < 0)
		return error_set(err, ENOMEM, "out of memory");
	pid = spawn_detached(argv, logfd);
	if (pid < 0)
		return error_set_errno(err, -pid, "start %s", huskd);
	r = wait_for_daemon(cli, pid, &status);
	if (r == -ECHILD)
		return error_set(err, EIO,
		                 "%s exited with status %d before answering on %s: see %s", huskd,
		                 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
		                 cli->host, log);
	if (r < 0)
		return error_set(err, ETIMEDOUT,
		                 "started %s, but it did not answer on %s within %d s: see %s",
		                 huskd, cli->host, AUTOSTART_TIMEOUT_MS / 1000, log);
	fprintf(cli->errout, "husk: started huskd in the background (log: %s)\n", log);
	return 0;
}
