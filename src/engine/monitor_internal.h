/* monitor_internal.h — what husk-monitor and its client share: the wire
 * protocol on <sock_dir>/monitor.sock, the exit record's JSON, socket
 * addressing, and the monitor process's entry point. Private to
 * src/engine/monitor*.c and src/cmd/husk-monitor.c.
 *
 * Protocol: the client sends one JSON line, the monitor answers one JSON
 * line, then (attach) the stream follows:
 *   {"op":"start"}                                  → {"ok":true,"pid":N}
 *   {"op":"attach","stdin":b,"stdout":b,"stderr":b} → {"ok":true} + frames
 *   {"op":"resize","rows":R,"cols":C}               → {"ok":true}
 *   {"op":"wait"}                                   → (at exit) the exit record
 * An error answer is {"error":"…","errno":N}.
 */
#pragma once

#include <jansson.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "engine/monitor.h"

#define MONITOR_SOCK        "monitor.sock"
#define MONITOR_PID         "monitor.pid"
#define MONITOR_CONSOLE     "console.sock"
#define MONITOR_EXEC_PID    "exec.pid"
#define MONITOR_REQUEST_MAX 4096  /* one request line */
#define MONITOR_REPLY_MAX   65536 /* one reply line (an exit record with its error) */

/* The address of dir/name; a path too long for sun_path goes through
 * /proc/self/fd/<dirfd> (*ret_dirfd is then an O_PATH fd of dir to keep
 * open until bind/connect is done, else -1). */
int monitor_sockaddr(const char *dir, const char *name, struct sockaddr_un *ret, int *ret_dirfd,
                     struct husk_error **err);

/* The exit record as JSON, and back. */
json_t *monitor_exit_json(const struct monitor_exit *e);
int monitor_exit_parse(const char *buf, size_t len, struct monitor_exit *ret,
                       struct husk_error **err);

/* The monitor process: daemonize (the caller's process exits), create the
 * container or prepare the exec, report {"pid","monitor_pid"} or
 * {"error","errno"} as one JSON line on ready_fd, serve until the process
 * has exited. Returns the exit status for main. */
int monitor_main(const struct monitor_config *c, int ready_fd);
/* A spare husk-monitor ("husk-monitor --spare ROOM", started ahead by
 * huskd) reads its arguments from this fd: their length in decimal and a
 * newline, then each NUL-terminated (not up to EOF: a process huskd
 * spawns meanwhile may hold a copy of the pipe's write end for a while).
 * EOF first: it is not needed. */
#define MONITOR_SPARE_FD  4
#define MONITOR_SPARE_MAX 65536
/* The length of the spare's third argument, room its command line is
 * rewritten in once it has its arguments (they name it in
 * /proc/PID/cmdline, where monitor_alive looks: --sock-dir). */
#define MONITOR_SPARE_ROOM 4096

/* Whether husk-monitor must run from a sealed copy of itself (it puts a
 * process into an existing pid namespace, where the container can see it
 * before it execs: CVE-2019-5736 class): an exec, or a config that joins
 * a pid namespace. */
bool monitor_needs_seal(const struct monitor_config *c);
