/* husk-monitor — one per running container (or exec process), exec'd by
 * huskd through monitor_spawn(). Parses its flags and calls monitor_main
 * (src/engine/monitor_main.c). Not meant to be run by hand. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "cli/flags.h"
#include "engine/monitor_internal.h"
#include "husk-config.h"
#include "oci/runtime_spec.h"
#include "runtime/selfexe.h"

static const struct flag_spec monitor_flags[] = {
        {"id", 0, FLAG_STRING, NULL, "runtime container id", NULL},
        {"bundle", 0, FLAG_STRING, NULL, "bundle directory (config.json)", NULL},
        {"runtime-root", 0, FLAG_STRING, NULL, "runtime state directory", NULL},
        {"sock-dir", 0, FLAG_STRING, NULL, "root-only directory for monitor.sock", NULL},
        {"exit-file", 0, FLAG_STRING, NULL, "where to write the exit record", NULL},
        {"log-path", 0, FLAG_STRING, NULL, "json-file log (none when absent)", NULL},
        {"log-max-size", 0, FLAG_INT, "0", "rotate the log at this size (bytes)", NULL},
        {"log-max-files", 0, FLAG_INT, "1", "log files kept", NULL},
        {"tty", 0, FLAG_BOOL, NULL, "give the process a pty", NULL},
        {"open-stdin", 0, FLAG_BOOL, NULL, "keep the process's stdin open", NULL},
        {"stdin-once", 0, FLAG_BOOL, NULL, "close stdin when the first attacher leaves", NULL},
        {"rows", 0, FLAG_INT, "0", "initial pty rows", NULL},
        {"cols", 0, FLAG_INT, "0", "initial pty columns", NULL},
        {"exec-process", 0, FLAG_STRING, NULL, "exec mode: OCI process.json", NULL},
        {"systemd-cgroup", 0, FLAG_BOOL, NULL, "cgroupsPath is slice:prefix:name", NULL},
        {"ready-fd", 0, FLAG_INT, "-1", "fd to report readiness on", NULL},
        {"version", 'v', FLAG_BOOL, NULL, "print the version", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

static int fail(int ready_fd, const struct husk_error *err)
{
	_cleanup_json_ json_t *j =
	        json_pack("{s:s, s:i}", "error", error_message(err), "errno", error_code(err));
	_cleanup_free_ char *s = j ? json_compact(j) : NULL;

	fprintf(stderr, "husk-monitor: %s\n", error_message(err));
	if (ready_fd >= 0 && s) {
		dprintf(ready_fd, "%s\n", s);
		close(ready_fd);
	}
	return 1;
}

/* The monitor works from "/": relative paths are made absolute first
 * (kept for the life of the process). */
static const char *absolute(const char *p)
{
	static char cwd[4096];

	if (!p || path_is_absolute(p))
		return p;
	if (!cwd[0] && !getcwd(cwd, sizeof(cwd)))
		return p;
	return path_join(cwd, p) ?: p;
}

static int to_config(const struct flags *f, struct monitor_config *c, struct husk_error **err)
{
	int64_t size = flags_int(f, "log-max-size"), files = flags_int(f, "log-max-files");
	int64_t rows = flags_int(f, "rows"), cols = flags_int(f, "cols");

	*c = (struct monitor_config){
	        .id = flags_string(f, "id"),
	        .bundle = absolute(flags_string(f, "bundle")),
	        .runtime_root = absolute(flags_string(f, "runtime-root")),
	        .sock_dir = absolute(flags_string(f, "sock-dir")),
	        .exit_file = absolute(flags_string(f, "exit-file")),
	        .log_path = absolute(flags_string(f, "log-path")),
	        .tty = flags_bool(f, "tty"),
	        .open_stdin = flags_bool(f, "open-stdin"),
	        .stdin_once = flags_bool(f, "stdin-once"),
	        .exec_process = absolute(flags_string(f, "exec-process")),
	        .systemd_cgroup = flags_bool(f, "systemd-cgroup"),
	};
	if (!c->id || !c->runtime_root || !c->sock_dir || (!c->bundle && !c->exec_process))
		return error_set(err, EINVAL,
		                 "--id, --runtime-root, --sock-dir and --bundle (or "
		                 "--exec-process) are required");
	if (size < 0 || files < 1 || files > 1000)
		return error_set(err, EINVAL,
		                 "--log-max-size must be >= 0 and --log-max-files 1..1000");
	if (rows < 0 || rows > 65535 || cols < 0 || cols > 65535)
		return error_set(err, EINVAL, "--rows and --cols must be 0..65535");
	c->log_max_size = (uint64_t)size;
	c->log_max_files = (unsigned)files;
	c->rows = (unsigned short)rows;
	c->cols = (unsigned short)cols;
	return 0;
}

/* A spare's arguments, read from MONITOR_SPARE_FD (their length, a
 * newline, the NUL-terminated strings): argv, or NULL (EOF: huskd ended
 * it unused). */
static char **spare_args(void)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_strv_ char **v = strv_new();
	char head[16];
	size_t len = 0, got = 0, h = 0;
	ssize_t n;

	while (h < sizeof(head) - 1 && RETRY_EINTR(read(MONITOR_SPARE_FD, head + h, 1)) == 1 &&
	       head[h] != '\n')
		h++;
	head[h] = 0;
	if (!v || h == 0 || strspn(head, "0123456789") != h ||
	    (len = strtoul(head, NULL, 10)) == 0 || len > MONITOR_SPARE_MAX || !(buf = malloc(len)))
		return NULL;
	while (got < len && (n = RETRY_EINTR(read(MONITOR_SPARE_FD, buf + got, len - got))) > 0)
		got += (size_t)n;
	close(MONITOR_SPARE_FD);
	if (got != len || buf[len - 1] != 0)
		return NULL;
	for (size_t i = 0; i < len; i += strlen(buf + i) + 1)
		if (strv_push(&v, buf + i) < 0)
			return NULL;
	return TAKE_PTR(v);
}

/* Write args over our command line (argv's contiguous strings, the
 * spare's room among them), the rest zeroed: /proc/PID/cmdline shows them.
 * -ENOSPC when they do not fit. */
static int retitle(char **argv, int argc, char **args)
{
	char *start = argv[0], *end = argv[argc - 1] + strlen(argv[argc - 1]) + 1, *p = start;

	STRV_FOREACH (a, args) {
		size_t n = strlen(*a) + 1;
		if (n > (size_t)(end - p))
			return -ENOSPC;
		p += n;
	}
	p = start;
	STRV_FOREACH (a, args) {
		size_t n = strlen(*a) + 1;
		memcpy(p, *a, n);
		p += n;
	}
	memset(p, 0, (size_t)(end - p));
	return 0;
}

int main(int argc, char **argv)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_(flags_freep) struct flags *f = NULL;
	struct monitor_config c;
	int ready_fd = -1, r;
	_cleanup_strv_ char **given = NULL;
	bool detached = false;

	/* started ahead by huskd: the arguments come when a container does */
	if (argc == 3 && streq(argv[1], "--spare")) {
		/* away from huskd now, off the start's path (monitor_main need not) */
		pid_t pid = fork();
		if (pid < 0)
			return 1;
		if (pid > 0)
			_exit(0);
		detached = true;
		given = spare_args();
		if (!given)
			return 0;
		if (retitle(argv, argc, given) < 0) {
			/* no room to show them: exec with them, as huskd would have */
			execv("/proc/self/exe", given);
			return 1;
		}
		argv = given;
		argc = (int)strv_length(given);
	}
	r = flags_parse(monitor_flags, argc - 1, argv + 1, FLAGS_INTERSPERSED, &f, &err);
	if (r == 0 && flags_bool(f, "version")) {
		printf("husk-monitor version %s\ncommit: %s\n", HUSK_VERSION, HUSK_GIT_COMMIT);
		return 0;
	}
	if (r == 0 && flags_help(f)) {
		printf("Usage: husk-monitor --id ID --bundle DIR --runtime-root DIR --sock-dir DIR "
		       "[OPTIONS]\n\nOptions:\n");
		flags_print_usage(stdout, monitor_flags);
		return 0;
	}
	if (r == 0) {
		int64_t fd = flags_int(f, "ready-fd");
		ready_fd = fd >= 0 && fd < 1024 && fcntl((int)fd, F_GETFD) >= 0 ? (int)fd : -1;
	}
	r = r ?: to_config(f, &c, &err);
	if (r < 0)
		return fail(ready_fd, err);
	/* nothing of huskd's reaches the container */
	if (ready_fd >= 0)
		syscall(SYS_close_range, 3, ready_fd - 1, 0);
	syscall(SYS_close_range, ready_fd >= 3 ? ready_fd + 1 : 3, ~0U, 0);
	/* parsed once, for the seal's question and for create (a broken one is
	 * create's error to report) */
	if (c.bundle && !c.exec_process) {
		_cleanup_free_ char *path = path_join(c.bundle, "config.json");
		if (path)
			oci_json_load(path, &c.config, NULL);
	}
	if (monitor_needs_seal(&c) && (r = selfexe_ensure_sealed(argv)) < 0) {
		json_decref(c.config);
		error_set_errno(&err, -r, "copy husk-monitor into a sealed memfd");
		return fail(ready_fd, err);
	}
	/* (after the sealed re-exec, which must keep it) */
	if (ready_fd >= 0)
		fcntl(ready_fd, F_SETFD, FD_CLOEXEC);
	c.exe = argv[0];
	c.detached = detached;
	return monitor_main(&c, ready_fd);
}
