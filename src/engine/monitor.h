/* monitor.h — husk-monitor, one small single-threaded process per running
 * container (or exec process), and the daemon's side of it.
 *
 * huskd execs husk-monitor (never a bare fork of the threaded daemon); the
 * monitor creates the container with the runtime library and stays its
 * parent: it holds the container's pipes or pty, writes its json-file log,
 * serves attach/resize/start/wait on <sock_dir>/monitor.sock, records the
 * exit status and OOM kill in exit_file, deletes the runtime state and
 * exits. It is reparented away from huskd at once, so containers outlive
 * the daemon, which re-attaches through the socket (live restore).
 * The socket is a path in a root-only directory, never an abstract socket
 * (a host-network container must not reach it: CVE-2020-15257 class), and
 * only uid 0 peers are served. The monitor never blocks on a client: a slow
 * attacher is disconnected rather than stalling the container or its log.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "base/error.h"
#include "base/json.h"

struct monitor_config {
	const char *exe;          /* path of husk-monitor */
	const char *id;           /* runtime container id */
	const char *bundle;       /* dir with config.json; the rootfs it names is already mounted */
	const char *runtime_root; /* runtime state dir (struct runtime_ctx.root) */
	const char *sock_dir;     /* root-only dir (0700) for "monitor.sock" and "monitor.pid" */
	const char *exit_file;  /* where to write the exit record (atomic), e.g. <dir>/exit.json */
	const char *log_path;   /* json-file log; NULL = no log (exec, or log driver "none") */
	uint64_t log_max_size;  /* bytes, 0 = unbounded */
	unsigned log_max_files; /* >= 1 */
	bool tty, open_stdin, stdin_once;
	unsigned short rows, cols; /* initial pty size, 0 = leave */
	const char
	        *exec_process; /* exec mode: path of an OCI process.json; NULL = container mode */
	bool systemd_cgroup;
	/* husk-monitor's side: <bundle>/config.json, parsed once, or NULL;
	 * monitor_main owns it and drops it once the container is created */
	json_t *config;
	bool detached; /* husk-monitor's side: forked away from huskd already (a spare) */
};

struct monitor_exit {
	int exit_code; /* 0..255, 128+N for a signal, as docker reports it */
	bool oom_killed;
	char finished_at[40]; /* RFC 3339 with nanoseconds, UTC */
	char *error;          /* malloc'd or NULL: why the process could not be started/run */
};

/* Exec husk-monitor (posix_spawn, new session, stdio /dev/null; it forks
 * itself away so huskd never reaps it) and wait until it has CREATED the
 * container (the init waits on exec.fifo; exec mode: nothing started yet)
 * and listens on its socket; nothing runs before monitor_start().
 * ret_pid gets the container init's pid (0 in exec mode), ret_monitor_pid
 * the monitor's. On failure nothing is left (no runtime state, no socket)
 * and *err carries the runtime's own error text. */
/* End the spare husk-monitor monitor_spawn keeps ready (at shutdown). */
void monitor_spares_release(void);
int monitor_spawn(const struct monitor_config *c, pid_t *ret_pid, pid_t *ret_monitor_pid,
                  struct husk_error **err);
/* Let the container run (runtime start) / the exec process start. For exec
 * mode ret_pid gets its pid (container mode: the init's). -errno with the
 * runtime's error. */
int monitor_start(const char *sock_dir, pid_t *ret_pid, struct husk_error **err);
/* Attach: a connected stream socket. Reads from it are the container's
 * output framed exactly as Docker's multiplexed stream ([1=stdout|2=stderr,
 * 0,0,0, len be32] + payload; for a tty, every frame is type 1); writes to
 * it go to the container's stdin (if open_stdin and `in`); shutdown(SHUT_WR)
 * by the client closes the container's stdin when stdin_once. Output
 * produced while nobody is attached is not buffered for attachers (it is in
 * the log). EOF once the process has exited and its output is drained. */
int monitor_attach(const char *sock_dir, bool in, bool out, bool err_, int *ret_fd,
                   struct husk_error **err);
/* Set the pty's window size; -ENOTTY when the container has no tty. */
int monitor_resize(const char *sock_dir, unsigned short rows, unsigned short cols,
                   struct husk_error **err);
/* A socket that becomes readable when the process exits; then
 * monitor_wait_read() reads the record. If the monitor is already gone,
 * -ENOENT/-ECONNREFUSED: read exit_file instead. */
int monitor_wait_fd(const char *sock_dir, int *ret_fd, struct husk_error **err);
/* Read the exit record from a wait fd (blocks until it comes). -ECONNRESET
 * when the monitor died without sending one: read exit_file then. */
int monitor_wait_read(int fd, struct monitor_exit *ret, struct husk_error **err);
/* The exit record the monitor wrote. -ENOENT when there is none yet. */
int monitor_exit_load(const char *exit_file, struct monitor_exit *ret, struct husk_error **err);
void monitor_exit_release(struct monitor_exit *e);
/* Is the monitor of sock_dir alive (its pid file names a live husk-monitor
 * process serving that directory)? */
bool monitor_alive(const char *sock_dir, pid_t *ret_monitor_pid);
