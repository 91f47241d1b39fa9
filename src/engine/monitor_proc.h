/* monitor_proc.h — the husk-monitor process's state, shared by its set-up
 * (monitor_main.c) and its event loop (monitor_loop.c). Private. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "engine/logfile.h"
#include "engine/monitor_internal.h"
#include "oci/runtime_spec.h"
#include "runtime/container.h"

#define MON_MAX_CLIENTS  64
#define MON_CLIENT_Q_MAX (1u << 20) /* output queued for one attacher before it is dropped */
#define MON_STDIN_Q      16384      /* stdin bytes held while the container does not read */
#define MON_DRAIN_MS     2000       /* output read after the exit before giving up on EOF */
#define MON_IDLE_MS      1000       /* quiet time after which the monitor sheds memory */
#define MON_FLUSH_MS     2000       /* time given to clients to take the last output */
#define MON_IO_CHUNK     32768

enum mon_client_kind {
	MC_REQUEST, /* reading its request line */
	MC_ATTACH,
	MC_WAIT,
	MC_CLOSING, /* answered: closed once its queue is sent */
	MC_HELD,    /* a waiter with its exit record, closed once the runtime state is
	               gone: its EOF says so */
};

struct mon_client {
	int fd;
	enum mon_client_kind kind;
	bool in, out, err; /* attach: which streams */
	bool in_eof;       /* it shut down its writing side */
	char req[MONITOR_REQUEST_MAX];
	size_t req_len;
	char *q; /* output not yet sent: q[q_off..q_len) */
	size_t q_len, q_off, q_cap;
	struct mon_client *next;
};

struct mon {
	const struct monitor_config *c;
	struct runtime_ctx rt;
	bool exec_mode;
	bool owns_dir; /* no other live monitor serves sock_dir: its files are ours */
	int devnull;
	int listen_fd;
	int console_fd;        /* listening console socket (tty), until the master came */
	int child_stdio[3];    /* exec mode: the process's ends, kept until start */
	int out_fd, err_fd;    /* read ends (pipes), or out_fd = the pty master; -1 at EOF */
	int in_fd;             /* stdin: the pipe's write end or a dup of the master; -1 closed */
	int master;            /* the pty master (resize), or -1 */
	char inq[MON_STDIN_Q]; /* stdin not yet taken by the container */
	size_t inq_len;
	struct logfile *log;
	struct oci_process *exec_process;     /* exec mode */
	json_t *cgroup_paths;                 /* container mode: from create */
	bool poststart_hooks, poststop_hooks; /* the config has some: the runtime's
	                                          full start and delete run them */
	json_t *config;                       /* until create: the parsed config.json (owned) */
	pid_t pid; /* the container init, or the exec process once started */
	int pidfd;
	bool started, exited;
	int status;        /* wait status */
	int64_t exit_ns;   /* when it was reaped (CLOCK_REALTIME) */
	int64_t exit_mono; /* the same on CLOCK_MONOTONIC, in ms, for the drain deadline */
	char *error;       /* why the process could not start, for the exit record */
	char *exit_line;   /* once finished: the exit record, the answer to late waiters */
	struct mon_client *clients;
	size_t n_clients;
};

/* Serve until the process has exited and its output is drained (or the
 * drain deadline passed). */
void mon_loop(struct mon *m);
/* Let the process run (runtime start / exec). -errno with *err. */
int mon_start(struct mon *m, struct husk_error **err);
/* Reap the process if it has exited (non-blocking). */
void mon_reap(struct mon *m);
/* Record the exit (wait status) and its time. */
void mon_mark_exited(struct mon *m, int status);
/* After the exit: the log, OOM, exit file, socket removal, the waiters'
 * answers, the attachers' last output, runtime delete, the waiters' EOF. */
void mon_finish(struct mon *m);
/* The last loop: answer the clients still connected or waiting in the
 * listen backlog (waiters get the exit record, attachers EOF), for a
 * bounded time. */
void mon_answer_late(struct mon *m);
/* Close the answered waiters mon_answer_late kept (MC_HELD). */
void mon_release_held(struct mon *m);
/* Queue bytes for a client and try to send them; drops a client whose
 * queue is over MON_CLIENT_Q_MAX. false when the client was dropped. */
bool mon_client_send(struct mon *m, struct mon_client *cl, const void *buf, size_t len);
void mon_client_drop(struct mon *m, struct mon_client *cl);
/* Send as much of the queue as the socket takes; false on a dead peer. */
bool mon_client_flush(struct mon_client *cl);
int64_t mon_now_ms(void);
