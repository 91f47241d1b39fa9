/* container_internal.h — what the container_*.c files share: the in-memory
 * record of a container, the table and its locks, the exec records.
 * Private to src/engine.
 *
 * Locking: cs->lock guards the table and every field of every record
 * marked [L]; cs->cond is broadcast after each change of them. c->op
 * serialises the lifecycle operations of one container (start, stop,
 * remove, …) and may be held for long (a stop timeout); it is always taken
 * before cs->lock, never while holding it. c->save_lock orders writes of
 * the record (taken before cs->lock too).
 */
#pragma once

#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include "base/digest.h"
#include "engine/containers.h"
#include "engine/spec_build.h"
#include "runtime/container.h"

#define CTR_RECORD         "config.v2.json"
#define CTR_EXECS_MAX      256 /* finished execs kept per container */
#define CTR_NAME_MAX       255
#define CTR_EXIT_UNKNOWN   128 /* dockerd's code for a start that failed otherwise */
#define CTR_STOP_TIMEOUT   10
#define CTR_RESTART_MAX_MS 60000

enum ctr_status {
	CTR_CREATED,
	CTR_RUNNING,
	CTR_PAUSED,
	CTR_RESTARTING,
	CTR_REMOVING,
	CTR_EXITED,
	CTR_DEAD,
};

struct ctr_mount {
	char *type; /* "bind", "volume", "tmpfs" */
	char *name; /* volume name, or NULL */
	char *source;
	char *destination;
	char *mode; /* as given: "ro,z", "" */
	char *propagation;
	bool rw;
	bool anonymous; /* an anonymous volume (removed with rm -v) */
	bool nocopy;
	bool mounted; /* volume_mount() done for the current run */
};

struct pending_attach {
	struct pending_attach *next;
	bool in, out, err;
	int fd;      /* the monitor's attach socket, once start connected it */
	bool failed; /* start could not connect it, or the run ended */
};

struct exit_watch;

struct ctr {
	int refs; /* atomic */
	struct containers *cs;
	char id[65];
	pthread_mutex_t op;
	pthread_mutex_t save_lock;

	/* fixed at create */
	json_t *config;      /* Config */
	json_t *host_config; /* HostConfig: update replaces it under [L]; the old
	                        one stays alive in `retired` for readers without
	                        the lock */
	json_t *retired;     /* host configs replaced by update */
	json_t *networking;  /* NetworkingConfig ({"EndpointsConfig": …}), or NULL */
	json_t *net_run;     /* [L] {"Networks": {name: EndpointSettings}, "Ports": …} of the
	                        current run on a bridge network, or NULL */
	char *path;
	json_t *args;
	struct digest image_id;
	char *created; /* RFC 3339 */
	int64_t created_ns;
	struct ctr_mount *mounts;
	size_t n_mounts;
	char *dir;       /* <data-root>/containers/<id> */
	char *run_dir;   /* <exec-root>/containers/<id>: monitor sockets */
	char *log_path;  /* NULL: log driver none */
	char *lower_dir; /* overlay2's LowerDir for inspect, or NULL */

	/* read-only binds recursively read-only (created by an API 1.44 client) */
	bool ro_recursive;

	/* state [L] */
	char *name; /* "/c1" */
	enum ctr_status status;
	bool oom_killed;
	pid_t pid, monitor_pid;
	int exit_code;
	char *error;
	char *started_at, *finished_at; /* NULL = zero time */
	int64_t started_ns, finished_ns;
	int restart_count;
	bool manually_stopped;
	bool started_before;
	bool snapshot_ready;  /* the rootfs snapshot exists */
	bool removed;         /* gone from the table */
	bool creating;        /* in the table for its name only: create is not done */
	uint64_t exit_seq;    /* bumped at every exit */
	unsigned run_gen;     /* bumped at every start */
	bool cleanup_pending; /* an exit whose mounts are not cleaned up yet */
	int monitor_eof_fd;   /* after an exit: the monitor's wait connection, at EOF once
	                         the monitor deleted the runtime state and cgroup; or -1 */
	bool restart_canceled;
	bool restart_planned;
	bool auto_remove_pending;
	int64_t restart_delay_ms;
	struct pending_attach *attaches;
	char *cgroups_path; /* of the current run (stats), or NULL */
	json_t *process;    /* the spec's process of the current run (exec), or NULL */
	int *log_stops;     /* eventfds of logs -f followers, signalled at exit */
	size_t n_log_stops;
	json_t *health; /* State.Health {Status, FailingStreak, Log}, or NULL */
};

struct ctr_exec {
	int refs; /* atomic */
	char id[65];
	struct ctr *c;  /* holds a reference */
	json_t *config; /* the create body */
	bool tty, open_stdin, open_stdout, open_stderr, privileged;
	char *detach_keys;
	char *run_dir;
	/* [L] */
	bool started, running, exited;
	int exit_code;
	pid_t pid;
	int64_t finished_ns;
};

struct containers {
	struct engine *e;
	struct runtime_ctx rt;
	char *dir;          /* <data-root>/containers */
	char *run_dir;      /* <exec-root>/containers */
	char *runtime_root; /* <exec-root>/runtime */
	char *monitor_exe, *init_exe;
	struct spec_host host; /* host facts for dockerd's checks, probed once */

	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct ctr **v; /* [L] the table, in creation order */
	size_t n, cap;
	struct ctr_exec **execs; /* [L] */
	size_t n_execs, cap_execs;
	int jobs;      /* [L] background threads running */
	bool stopping; /* [L] shutdown begun */

	/* the exit waiter: one thread, epoll over the monitors' wait fds */
	struct exit_watch *watches; /* [L] every watch registered */
	int epfd, wake_fd;
	pthread_t waiter;
	bool waiter_started;

	struct health_sched *health; /* [L] the health checks' scheduler, once used */
};

/* ---- container_store.c ---- */
struct ctr *ctr_ref(struct ctr *c);
void ctr_unref(struct ctr *c);
DEFINE_CLEANUP_FUNC(struct ctr *, ctr_unref)
/* Find by full ID, name ("c1" or "/c1") or unique ID prefix; a new
 * reference. -ENOENT "No such container: x". Caller holds cs->lock. */
int ctr_lookup_locked(struct containers *cs, const char *key, struct ctr **ret,
                      struct husk_error **err);
int ctr_lookup(struct containers *cs, const char *key, struct ctr **ret, struct husk_error **err);
/* The container using name ("/c1"), or NULL. Caller holds cs->lock. */
struct ctr *ctr_by_name_locked(struct containers *cs, const char *name);
int ctr_table_add_locked(struct containers *cs, struct ctr *c);
/* A new array of references to every container (NULL on OOM), oldest
 * first; ctr_table_free() drops them. */
struct ctr **ctr_table_copy(struct containers *cs, size_t *ret_n);
void ctr_table_free(struct ctr **v, size_t n);
void ctr_table_remove_locked(struct containers *cs, struct ctr *c);
/* Write the record (atomically; durable when sync). */
int ctr_save(struct ctr *c, bool sync, struct husk_error **err);
/* Build a record from config.v2.json. */
int ctr_load(struct containers *cs, const char *id, struct ctr **ret, struct husk_error **err);
struct ctr *ctr_new(struct containers *cs, const char *id);
json_t *ctr_state_json_locked(const struct ctr *c);
const char *ctr_status_name(enum ctr_status s);
bool ctr_is_running(const struct ctr *c); /* running, paused or restarting */
void ctr_set_error_locked(struct ctr *c, const char *msg);
void ctr_mounts_free(struct ctr_mount *m, size_t n);
char *ctr_now_rfc3339(int64_t *ret_ns);
/* Generate a fresh 64-hex ID / adjective_noun name (unused). */
int ctr_generate_id(char ret[65]);
char *ctr_generate_name_locked(struct containers *cs);
/* Attributes of the container's events: name, image, the labels. */
json_t *ctr_event_attrs(struct ctr *c);
void ctr_event(struct ctr *c, const char *action, json_t *extra);
/* A ref'd container's JSON view: inspect / list entry. */
json_t *ctr_inspect_json(struct ctr *c, bool size);
json_t *ctr_list_json(struct ctr *c, bool size);
/* Bytes in the container's writable layer (0 when unknown). */
uint64_t ctr_size_rw(struct ctr *c);
int64_t ctr_now_ns(void);

/* ---- container_create.c ---- */
void ctr_log_options(struct ctr *c, uint64_t *ret_max_size, unsigned *ret_max_files);

/* ---- container_fs.c ---- */
/* Write hostname, hosts and resolv.conf into c->dir. */
int ctr_write_etc_files(struct ctr *c, struct husk_error **err);

int ctr_parse_mounts(struct ctr *c, json_t *host_config, json_t *config, struct husk_error **err);

/* ---- container_lifecycle.c ---- */
/* The runtime's words with Go's lower-case errno texts (the docker CLI
 * derives exit codes from them); dockerd's exit code for them (127, 126,
 * else CTR_EXIT_UNKNOWN). */
char *ctr_go_errno_text(const char *msg);
int ctr_start_error_code(const char *msg);
/* Start with c->op held. */
int ctr_start_op(struct ctr *c, struct husk_error **err);
/* Stop with c->op held: signal, wait, SIGKILL; cleans up after the exit. */
int ctr_stop_op(struct ctr *c, int sig, int timeout, struct husk_error **err);
/* Undo what a run set up (volumes, rootfs, runtime state, sockets), if an
 * exit left it pending, with c->op held. */
void ctr_cleanup_op(struct ctr *c);
/* The same, leaving the rootfs mounted (a removal deletes it next). */
void ctr_cleanup_op_rootfs(struct ctr *c, bool unmount_rootfs);
/* Remove with c->op held (the container is stopped). */
int ctr_remove_op(struct ctr *c, bool volumes, struct husk_error **err);
/* Wait (with cs->lock held) until exit_seq passes seq or timeout_ms
 * (-1: for ever). True when it did. */
bool ctr_wait_exit_locked(struct ctr *c, uint64_t seq, int timeout_ms);
int ctr_kill_process(struct ctr *c, int sig, struct husk_error **err);
int ctr_stop_signal(struct ctr *c, const char *override, int *ret, struct husk_error **err);
int ctr_stop_timeout(struct ctr *c);
/* Run fn(data) in a detached thread counted in cs->jobs. */
int ctr_job(struct containers *cs, void *(*fn)(void *), void *data);

/* The network a bridge-mode container's NetworkMode names ("bridge" for
 * the default), or NULL for none, host and container:X. */
const char *ctr_bridge_network(const struct ctr *c);

/* ---- container_network.c ---- */
/* Connect the namespace at netns_path to every network c lists;
 * *ret_networks gets {name: EndpointSettings}, *ret_ip the first one's
 * address (0 with none). On failure the caller disconnects them all. */
int ctr_net_connect_all(struct ctr *c, const char *netns_path, json_t **ret_networks,
                        struct in_addr *ret_ip, struct husk_error **err);
/* Publish a "network <action>" event per network of networks
 * ({name: EndpointSettings}). */
void ctr_net_events(struct ctr *c, const char *action, json_t *networks);
/* At create: what dockerd checks of NetworkingConfig.EndpointsConfig
 * (eps, may be NULL) before the container exists: each MacAddress.
 * -EINVAL naming the bad one. */
int ctr_net_check_endpoints(json_t *eps, struct husk_error **err);

/* ---- container_ipc.c ---- */
/* At create: an IpcMode the request left empty becomes the daemon's default;
 * "container:NAME" becomes "container:<id>" (-EINVAL "No such container"). */
int ctr_ipc_create_mode(struct containers *cs, json_t *request_hc, json_t *hc,
                        struct husk_error **err);
/* At start: the host directory to bind at /dev/shm (*ret NULL: none):
 * shareable mounts its tmpfs (ShmSize) at <dir>/mounts/shm, container:ID
 * takes the running, shareable donor's. -errno with dockerd's words. */
int ctr_ipc_prepare(struct ctr *c, char **ret_shm_path, struct husk_error **err);
/* Unmount and remove c's shm tmpfs, if any. Never fails. */
void ctr_ipc_release(struct ctr *c);

/* ---- container_restore.c ---- */
/* The waiter: start the thread, watch a monitor. */
int ctr_waiter_start(struct containers *cs, struct husk_error **err);
void ctr_waiter_stop(struct containers *cs);
/* Watch the current run's monitor (c->run_dir); its exit is recorded. */
int ctr_watch(struct ctr *c, struct husk_error **err);
int ctr_watch_exec(struct ctr_exec *x, struct husk_error **err);
/* Record an exit and schedule what follows (cleanup, restart, removal). */
struct monitor_exit;
/* monitor_fd: the wait connection the record came on (taken), or -1. */
void ctr_record_exit(struct ctr *c, unsigned gen, const struct monitor_exit *ex, int monitor_fd);
void ctr_exec_record_exit(struct ctr_exec *x, const struct monitor_exit *ex);
/* logs -f: an eventfd written when the container's run ends. */
int ctr_log_follow_add(struct ctr *c, int efd);
void ctr_log_follow_remove(struct ctr *c, int efd);

/* ---- container_exec.c ---- */
void ctr_exec_unref(struct ctr_exec *x);
/* Drop the container's execs (it stopped or is removed). cs->lock held. */
void ctr_execs_drop_locked(struct containers *cs, struct ctr *c, bool all);
json_t *ctr_exec_ids_locked(struct containers *cs, struct ctr *c);

/* ---- container_health.c ---- */
struct health_sched;
/* Probe the current run (after a start, a restore or a policy restart):
 * State.Health restarts at "starting". Nothing without a health check;
 * a failure to schedule is logged. */
void ctr_health_start(struct ctr *c);
/* The run ended: no more probes; a probed container reads "unhealthy". */
void ctr_health_stop(struct ctr *c);
/* Stop the scheduler and cut running probes short (idempotent); free it
 * once no job runs. */
void ctr_health_shutdown(struct containers *cs);
void ctr_health_free(struct containers *cs);
/* "starting", "healthy", "unhealthy", or "none". cs->lock held. */
const char *ctr_health_status_locked(const struct ctr *c);
/* Go's time.Duration.String() ("30s", "1m30s", "500ms"); NULL on OOM. */
char *health_go_duration(int64_t ns);

/* ---- container_attach.c ---- */
/* Relay a monitor attach socket (framed) and a client socket. */
struct relay_opts {
	bool tty; /* strip the frames */
	bool in;  /* client → container stdin */
	const unsigned char *detach_keys;
	size_t n_detach_keys;
};
/* Returns 1 when the client detached, 0 at the end of the output, -1
 * when the client left or shutdown. */
int relay_streams(int mon, int sock, const void *pending, size_t pending_len, int shutdown_fd,
                  const struct relay_opts *o);
/* Write one frame (or raw for tty) to fd. -errno. */
int write_frame(int fd, bool tty, int stream, const void *buf, size_t len);
