/* monitor-tool — drives husk-monitor through src/engine/monitor.h and reads
 * logs through src/engine/logfile.h, one operation per run, for the system
 * tests (tests/system/monitor.bats). Plays huskd's part.
 *
 *   monitor-tool spawn [--hold] --id ID --sock-dir DIR --runtime-root DIR
 *       [--bundle DIR] [--exit-file F] [--log-path F] [--log-max-size N]
 *       [--log-max-files N] [--tty] [--open-stdin] [--stdin-once]
 *       [--rows N --cols N] [--exec-process F] [--exe PATH]
 *                               print "pid=N monitor=M"; --hold: then sleep
 *   monitor-tool start DIR      print the pid
 *   monitor-tool attach DIR [--stdin] [--stdout] [--stderr] [--frames] [--stall]
 *                               stdin → the container (shutdown at EOF);
 *                               output demultiplexed to stdout/stderr, or
 *                               with --frames one "S LEN PAYLOAD" line per frame
 *                               (newlines in PAYLOAD as \n);
 *                               --stall: never read (a stuck client)
 *   monitor-tool resize DIR ROWS COLS
 *   monitor-tool wait DIR       block, print the exit record
 *   monitor-tool exit FILE      print the exit record from the file
 *   monitor-tool alive DIR      exit 0 and print the pid when alive
 *   monitor-tool logs FILE [--max-files N] [--stdout] [--stderr] [--timestamps]
 *       [--since NS] [--until NS] [--tail N] [--follow-ms MS]
 *                               print entries as "stream|payload"
 */
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>

#include "base/fs.h"
#include "base/str.h"
#include "engine/logfile.h"
#include "engine/monitor.h"

static int fail(struct husk_error *err)
{
	fprintf(stderr, "monitor-tool: %s\n", error_message(err));
	error_free(err);
	return 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: monitor-tool spawn|start|attach|resize|wait|exit|alive|logs ...\n");
	return 2;
}

static void print_exit(const struct monitor_exit *e)
{
	printf("exit_code=%d oom_killed=%s finished_at=%s error=%s\n", e->exit_code,
	       e->oom_killed ? "true" : "false", e->finished_at, e->error ? e->error : "");
}

/* husk-monitor from $HUSK_MONITOR or $PATH (monitor_spawn wants a path). */
static char *find_monitor(void)
{
	_cleanup_strv_ char **dirs = strv_split(getenv("PATH") ? getenv("PATH") : "", ":");

	if (getenv("HUSK_MONITOR"))
		return strdup(getenv("HUSK_MONITOR"));
	STRV_FOREACH (d, dirs) {
		char *p = path_join(*d, "husk-monitor");
		if (p && access(p, X_OK) == 0)
			return p;
		free(p);
	}
	return strdup("husk-monitor");
}

static int cmd_spawn(int argc, char **argv)
{
	static const struct option opts[] = {{"id", 1, 0, 'i'},
	                                     {"sock-dir", 1, 0, 's'},
	                                     {"runtime-root", 1, 0, 'r'},
	                                     {"bundle", 1, 0, 'b'},
	                                     {"exit-file", 1, 0, 'x'},
	                                     {"log-path", 1, 0, 'l'},
	                                     {"log-max-size", 1, 0, 'S'},
	                                     {"log-max-files", 1, 0, 'F'},
	                                     {"tty", 0, 0, 't'},
	                                     {"open-stdin", 0, 0, 'o'},
	                                     {"stdin-once", 0, 0, 'O'},
	                                     {"rows", 1, 0, 'R'},
	                                     {"cols", 1, 0, 'C'},
	                                     {"exec-process", 1, 0, 'e'},
	                                     {"exe", 1, 0, 'E'},
	                                     {"hold", 0, 0, 'h'},
	                                     {0, 0, 0, 0}};
	struct monitor_config c = {.log_max_files = 1};
	struct husk_error *err = NULL;
	pid_t pid = 0, mpid = 0;
	_cleanup_free_ char *exe = find_monitor();
	bool hold = false;
	int o;

	c.exe = exe;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'i':
			c.id = optarg;
			break;
		case 's':
			c.sock_dir = optarg;
			break;
		case 'r':
			c.runtime_root = optarg;
			break;
		case 'b':
			c.bundle = optarg;
			break;
		case 'x':
			c.exit_file = optarg;
			break;
		case 'l':
			c.log_path = optarg;
			break;
		case 'S':
			c.log_max_size = strtoull(optarg, NULL, 10);
			break;
		case 'F':
			c.log_max_files = (unsigned)atoi(optarg);
			break;
		case 't':
			c.tty = true;
			break;
		case 'o':
			c.open_stdin = true;
			break;
		case 'O':
			c.stdin_once = true;
			break;
		case 'R':
			c.rows = (unsigned short)atoi(optarg);
			break;
		case 'C':
			c.cols = (unsigned short)atoi(optarg);
			break;
		case 'e':
			c.exec_process = optarg;
			break;
		case 'E':
			c.exe = optarg;
			break;
		case 'h':
			hold = true;
			break;
		default:
			return usage();
		}
	}
	if (monitor_spawn(&c, &pid, &mpid, &err) < 0)
		return fail(err);
	printf("pid=%d monitor=%d\n", (int)pid, (int)mpid);
	fflush(stdout);
	while (hold)
		pause();
	return 0;
}

static int cmd_start(const char *dir)
{
	struct husk_error *err = NULL;
	pid_t pid = 0;

	if (monitor_start(dir, &pid, &err) < 0)
		return fail(err);
	printf("%d\n", (int)pid);
	return 0;
}

/* One frame from the socket: 0 at EOF, 1 with *ret filled, -1 on error. */
static int read_frame(int fd, int *ret_stream, char **ret, size_t *ret_len)
{
	unsigned char h[8];
	ssize_t n = read_full(fd, h, sizeof(h));
	size_t len;

	if (n == 0)
		return 0;
	if (n != (ssize_t)sizeof(h) || h[1] || h[2] || h[3])
		return -1;
	len = ((size_t)h[4] << 24) | ((size_t)h[5] << 16) | ((size_t)h[6] << 8) | h[7];
	*ret = malloc(len + 1);
	if (!*ret || read_full(fd, *ret, len) != (ssize_t)len)
		return -1;
	*ret_stream = h[0];
	*ret_len = len;
	return 1;
}

static int cmd_attach(int argc, char **argv)
{
	bool in = false, out = false, er = false, frames = false, stall = false;
	struct husk_error *err = NULL;
	int fd, r;

	for (int i = 1; i < argc; i++) {
		in |= streq(argv[i], "--stdin");
		out |= streq(argv[i], "--stdout");
		er |= streq(argv[i], "--stderr");
		frames |= streq(argv[i], "--frames");
		stall |= streq(argv[i], "--stall");
	}
	if (monitor_attach(argv[0], in, out, er, &fd, &err) < 0)
		return fail(err);
	printf(frames || stall ? "attached\n" : "");
	fflush(stdout);
	while (stall)
		pause();
	struct pollfd p[2] = {{.fd = in ? 0 : -1, .events = POLLIN}, {.fd = fd, .events = POLLIN}};
	for (;;) {
		if (poll(p, 2, -1) < 0)
			return 1;
		if (p[0].revents) {
			char buf[4096];
			ssize_t n = read(0, buf, sizeof(buf));
			if (n <= 0) {
				shutdown(fd, SHUT_WR);
				p[0].fd = -1;
				if (!out && !er)
					return 0; /* nothing to wait for */
			} else if (write_all(fd, buf, (size_t)n) < 0)
				p[0].fd = -1;
		}
		if (!p[1].revents)
			continue;
		_cleanup_free_ char *payload = NULL;
		size_t len;
		int stream;
		r = read_frame(fd, &stream, &payload, &len);
		if (r <= 0)
			return r < 0;
		if (frames) {
			printf("%d %zu ", stream, len);
			for (size_t i = 0; i < len; i++)
				fputs(payload[i] == '\n' ? "\\n" : (char[]){payload[i], 0}, stdout);
			printf("\n");
		} else
			(void)write_all(stream == 2 ? 2 : 1, payload, len);
		fflush(stdout);
	}
}

static int cmd_wait(const char *dir)
{
	struct husk_error *err = NULL;
	struct monitor_exit e = {0};
	int fd;

	if (monitor_wait_fd(dir, &fd, &err) < 0 || monitor_wait_read(fd, &e, &err) < 0)
		return fail(err);
	print_exit(&e);
	monitor_exit_release(&e);
	return 0;
}

static int cmd_exit(const char *file)
{
	struct husk_error *err = NULL;
	struct monitor_exit e = {0};
	int r = monitor_exit_load(file, &e, &err);

	if (r == -ENOENT && !err) {
		fprintf(stderr, "monitor-tool: no exit record\n");
		return 3;
	}
	if (r < 0)
		return fail(err);
	print_exit(&e);
	monitor_exit_release(&e);
	return 0;
}

static int print_entry(int stream, const char *buf, size_t len, int64_t t, void *data)
{
	(void)t;
	(void)data;
	printf("%d|%.*s", stream, (int)len, buf);
	if (!len || buf[len - 1] != '\n')
		printf("<nonl>\n");
	fflush(stdout);
	return 0;
}

static int cmd_logs(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"max-files", 1, 0, 'F'},  {"stdout", 0, 0, 'o'},    {"stderr", 0, 0, 'e'},
	        {"timestamps", 0, 0, 't'}, {"since", 1, 0, 's'},     {"until", 1, 0, 'u'},
	        {"tail", 1, 0, 'n'},       {"follow-ms", 1, 0, 'f'}, {0, 0, 0, 0}};
	struct logfile_read_opts o = {.tail = -1};
	struct husk_error *err = NULL;
	unsigned max_files = 1;
	int follow_ms = 0, o_;
	int stop = -1;

	while ((o_ = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o_) {
		case 'F':
			max_files = (unsigned)atoi(optarg);
			break;
		case 'o':
			o.out = true;
			break;
		case 'e':
			o.err = true;
			break;
		case 't':
			o.timestamps = true;
			break;
		case 's':
			o.since_ns = strtoll(optarg, NULL, 10);
			break;
		case 'u':
			o.until_ns = strtoll(optarg, NULL, 10);
			break;
		case 'n':
			o.tail = atol(optarg);
			break;
		case 'f':
			follow_ms = atoi(optarg);
			break;
		default:
			return usage();
		}
	}
	if (optind >= argc)
		return usage();
	if (!o.out && !o.err)
		o.out = o.err = true;
	if (follow_ms > 0) {
		/* a timer stands in for "the container exited" */
		o.follow = true;
		stop = eventfd(0, EFD_CLOEXEC);
		if (fork() == 0) {
			struct timespec ts = {follow_ms / 1000, (follow_ms % 1000) * 1000000L};
			uint64_t one = 1;
			nanosleep(&ts, NULL);
			(void)!write(stop, &one, sizeof(one));
			_exit(0);
		}
	}
	if (logfile_read(argv[optind], max_files, &o, stop, print_entry, NULL, &err) < 0)
		return fail(err);
	return 0;
}

int main(int argc, char **argv)
{
	struct husk_error *err = NULL;

	if (argc < 3)
		return usage();
	if (streq(argv[1], "spawn"))
		return cmd_spawn(argc - 1, argv + 1);
	if (streq(argv[1], "start"))
		return cmd_start(argv[2]);
	if (streq(argv[1], "attach"))
		return cmd_attach(argc - 2, argv + 2);
	if (streq(argv[1], "resize") && argc == 5) {
		if (monitor_resize(argv[2], (unsigned short)atoi(argv[3]),
		                   (unsigned short)atoi(argv[4]), &err) < 0)
			return fail(err);
		return 0;
	}
	if (streq(argv[1], "wait"))
		return cmd_wait(argv[2]);
	if (streq(argv[1], "exit"))
		return cmd_exit(argv[2]);
	if (streq(argv[1], "alive")) {
		pid_t pid;
		if (!monitor_alive(argv[2], &pid))
			return 1;
		printf("%d\n", (int)pid);
		return 0;
	}
	if (streq(argv[1], "logs"))
		return cmd_logs(argc - 1, argv + 1);
	return usage();
}
