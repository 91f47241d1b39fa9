/* containers.h — huskd's containers: records on disk, names and IDs, the
 * lifecycle (create, start, stop, kill, restart, pause, update, rename,
 * remove, prune), waits, attach, logs, top, stats, exec, live restore and
 * restart policies, in the shapes of Docker Engine API 1.43.
 *
 * A container is <data-root>/containers/<id>/ (0700): config.v2.json (the
 * record: everything inspect shows, rewritten atomically before any change
 * is acted on), the bundle's config.json, hostname, hosts, resolv.conf,
 * <id>-json.log and exit.json (written by its husk-monitor). Its rootfs is
 * the store snapshot named by its id, mounted while it runs. While it runs
 * a husk-monitor holds it (sockets under <exec-root>/containers/<id>/,
 * 0700): containers outlive huskd, which re-attaches when it starts again.
 *
 * It must never: lose a container it cannot start again nor remove (a crash
 * at any instant leaves records that restore repairs); leave a rootfs
 * mounted or runtime state behind a container that is not running; block
 * a container's output on a slow client; trust a size a client sends; print.
 *
 * Errors carry Docker's words and an errno that picks the HTTP status:
 * ENOENT 404, EEXIST/EBUSY 409, EINVAL 400, EALREADY "nothing to do" (304).
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "base/digest.h"
#include "base/error.h"

struct engine;
struct containers;

/* ---- the table ---- */

/* Load every record under <data-root>/containers (finishing interrupted
 * removals, dropping half-created debris), without touching running
 * containers yet. -errno with *err when the directory cannot be used. */
int containers_open(struct engine *e, struct containers **ret, struct husk_error **err);
/* Live restore, once the daemon serves: re-attach to the monitors still
 * running, record the exits of those that ended while huskd was away,
 * clean up after them, and start the containers their restart policies
 * restart at daemon start. Problems are logged per container. */
void containers_restore(struct containers *cs);
/* Daemon shutdown: with stop_all (live-restore off), stop every running
 * container (each with its stop signal and timeout, all at once); then end
 * the background threads. Containers otherwise keep running. */
void containers_shutdown(struct containers *cs, bool stop_all);
void containers_free(struct containers *cs);
DEFINE_CLEANUP_FUNC(struct containers *, containers_free)

/* The image_in_use_fn of images.h: the ID of a container using image id
 * (a running one first; *ret_running, which may be NULL, says whether it
 * runs), or NULL. data is the struct containers (NULL: none). The string
 * stays valid until the calling thread calls it again. */
const char *containers_image_user(const struct digest *id, bool *ret_running, void *data);
/* Container counts for /info. */
void containers_count(struct containers *cs, unsigned *ret_total, unsigned *ret_running,
                      unsigned *ret_paused, unsigned *ret_stopped);
/* The volume_in_use_fn of volumes.h: the ID of a container whose mounts
 * name volume `name`, or NULL (same lifetime rule). data is the engine. */
const char *engine_volume_in_use(const char *name, void *engine);

/* ---- create, list, inspect ---- */

/* POST /containers/create: body as the docker CLI sends it, name may be
 * NULL (a generated adjective_noun), platform may be NULL. *ret is
 * {"Id", "Warnings": [...]}. -ENOENT "No such image: busybox:latest" when
 * the image is missing (the CLI pulls then), -EEXIST for a name in use,
 * -EINVAL for what dockerd refuses. */
int containers_create(struct containers *cs, const char *name, const char *platform, json_t *body,
                      json_t **ret, struct husk_error **err);
/* What else a create may ask, beside the body (dockerd's
 * ContainerCreateConfig). */
struct containers_create_opts {
	const char *name;     /* NULL: a generated adjective_noun */
	const char *platform; /* NULL: the host's */
	bool ro_recursive;    /* read-only binds recursively read-only (API >= 1.44) */
};
/* containers_create with opts (NULL: the defaults, as containers_create). */
int containers_create_with(struct containers *cs, const struct containers_create_opts *opts,
                           json_t *body, json_t **ret, struct husk_error **err);

struct containers_list_opts {
	bool all;        /* stopped ones too */
	long limit;      /* > 0: the `limit` most recently created (all implied) */
	bool size;       /* SizeRw and SizeRootFs */
	json_t *filters; /* Docker's filters map, or NULL */
};
/* GET /containers/json, newest first. -EINVAL for an unknown or bad filter. */
int containers_list(struct containers *cs, const struct containers_list_opts *o, json_t **ret,
                    struct husk_error **err);
/* GET /containers/{name}/json (with size: SizeRw and SizeRootFs). */
int containers_inspect(struct containers *cs, const char *name, bool size, json_t **ret,
                       struct husk_error **err);
/* The full ID of a container (for handlers that only need it). */
int containers_resolve(struct containers *cs, const char *name, char ret_id[65],
                       struct husk_error **err);

/* ---- lifecycle ---- */

/* Start. -EALREADY when running. A process that cannot start gives its
 * runtime's error (exit code 127/126 recorded as dockerd does). */
int containers_start(struct containers *cs, const char *name, struct husk_error **err);
/* Stop: the stop signal (signal, else Config.StopSignal, else SIGTERM),
 * then SIGKILL after timeout seconds (< 0 with has_timeout false:
 * Config.StopTimeout, else 10; -1 given: wait for ever). -EALREADY when
 * not running. Restart policies do not restart what was stopped. */
int containers_stop(struct containers *cs, const char *name, bool has_timeout, int timeout,
                    const char *signal, struct husk_error **err);
int containers_restart(struct containers *cs, const char *name, bool has_timeout, int timeout,
                       const char *signal, struct husk_error **err);
/* Send a signal (name or number; NULL/"" = SIGKILL). -EBUSY "is not
 * running". */
int containers_kill(struct containers *cs, const char *name, const char *signal,
                    struct husk_error **err);
int containers_pause(struct containers *cs, const char *name, struct husk_error **err);
int containers_unpause(struct containers *cs, const char *name, struct husk_error **err);
/* POST /networks/{id}/connect: hot-plug an endpoint into a running
 * container, or add the network to what a stopped one joins at start;
 * epc is the EndpointConfig (Aliases, IPAMConfig.IPv4Address; may be
 * NULL). dockerd's errors: -ENOENT for the container or network, -EPERM
 * "endpoint with name x already exists in network y", -EINVAL for the
 * host/none/container: modes and bad settings. Publishes "network
 * connect". */
int containers_network_connect(struct containers *cs, const char *network, const char *name,
                               json_t *epc, struct husk_error **err);
/* POST /networks/{id}/disconnect: the reverse, deleting the endpoint of a
 * running container at once. -ENOTCONN "container x is not connected to
 * network y"; force forgets a network that no longer exists. Publishes
 * "network disconnect". */
int containers_network_disconnect(struct containers *cs, const char *network, const char *name,
                                  bool force, struct husk_error **err);
/* Rename to new_name (with or without the leading '/'). */
int containers_rename(struct containers *cs, const char *name, const char *new_name,
                      struct husk_error **err);
/* DELETE /containers/{name}: force kills a running container first;
 * volumes removes its anonymous volumes. */
int containers_remove(struct containers *cs, const char *name, bool force, bool volumes,
                      struct husk_error **err);
/* POST /containers/prune (filters: until, label, label!). *ret is
 * {"ContainersDeleted": [...]|null, "SpaceReclaimed": N}. */
int containers_prune(struct containers *cs, json_t *filters, json_t **ret, struct husk_error **err);
/* POST /containers/{name}/update: resources (applied to a running
 * container at once) and RestartPolicy. *ret is {"Warnings": [...]|null}. */
int containers_update(struct containers *cs, const char *name, json_t *body, json_t **ret,
                      struct husk_error **err);
/* POST /containers/{name}/resize. -EBUSY when not running. */
int containers_resize(struct containers *cs, const char *name, unsigned rows, unsigned cols,
                      struct husk_error **err);
/* GET /containers/{name}/top: {"Titles": [...], "Processes": [[...]]}
 * from ps (ps_args, default "-ef") limited to the container's pids. */
int containers_top(struct containers *cs, const char *name, const char *ps_args, json_t **ret,
                   struct husk_error **err);

/* ---- streams: *_begin checks (the error becomes the HTTP reply), *_run
 * blocks in the stream's own thread, *_free always ---- */

enum containers_wait_condition {
	CONTAINERS_WAIT_NOT_RUNNING,
	CONTAINERS_WAIT_NEXT_EXIT,
	CONTAINERS_WAIT_REMOVED,
};
struct containers_wait;
/* Parse "not-running" (also NULL/""), "next-exit", "removed". -EINVAL. */
int containers_wait_condition_parse(const char *s, enum containers_wait_condition *ret,
                                    struct husk_error **err);
int containers_wait_begin(struct containers *cs, const char *name,
                          enum containers_wait_condition cond, struct containers_wait **ret,
                          struct husk_error **err);
/* Block until the condition holds: 0 and the exit code (and the
 * container's error text, malloc'd or NULL). -ECANCELED when client_fd
 * (the reply pipe: POLLERR once the client left) or shutdown_fd fired. */
int containers_wait_run(struct containers_wait *w, int client_fd, int shutdown_fd, int *ret_status,
                        char **ret_error);
void containers_wait_free(struct containers_wait *w);

struct containers_attach_opts {
	bool in, out, err; /* which streams */
	bool logs;         /* replay the log first */
	bool stream;       /* then stay attached */
	const char *detach_keys;
};
struct containers_attach;
/* -EBUSY for a paused container, -EINVAL for bad detach keys. *ret_tty:
 * whether the stream is raw (Config.Tty). */
int containers_attach_begin(struct containers *cs, const char *name,
                            const struct containers_attach_opts *o, struct containers_attach **ret,
                            bool *ret_tty, struct husk_error **err);
/* Relay between the hijacked client socket and the container until its
 * output ends, the client detaches (detach keys) or leaves, or shutdown.
 * A container that is not running yet is waited for: attached before
 * start, the client gets everything. */
void containers_attach_run(struct containers_attach *a, int sock, const void *pending,
                           size_t pending_len, int shutdown_fd);
void containers_attach_free(struct containers_attach *a);

struct containers_logs_opts {
	bool out, err, timestamps, follow;
	int64_t since_ns, until_ns; /* 0 = unbounded */
	long tail;                  /* -1 = all */
};
struct containers_logs;
/* -EINVAL when the container's log driver keeps no log to read. */
int containers_logs_begin(struct containers *cs, const char *name,
                          const struct containers_logs_opts *o, struct containers_logs **ret,
                          bool *ret_tty, struct husk_error **err);
/* Write the log to out_fd, framed (multiplexed) unless the container has a
 * tty; with follow, until the container stops, the client leaves or
 * shutdown. */
void containers_logs_run(struct containers_logs *l, int out_fd, int shutdown_fd);
void containers_logs_free(struct containers_logs *l);

struct containers_stats;
int containers_stats_begin(struct containers *cs, const char *name, struct containers_stats **ret,
                           struct husk_error **err);
/* stream: one JSON line a second until the client leaves or the container
 * is gone; else one object (two samples ~1 s apart unless one_shot). */
void containers_stats_run(struct containers_stats *s, bool stream, bool one_shot, int out_fd,
                          int shutdown_fd);
void containers_stats_free(struct containers_stats *s);

/* ---- exec ---- */

/* POST /containers/{name}/exec: *ret_id is the new exec's ID. -EBUSY when
 * the container is not running, paused or restarting. */
int containers_exec_create(struct containers *cs, const char *name, json_t *body, char **ret_id,
                           struct husk_error **err);
/* GET /exec/{id}/json. */
int containers_exec_inspect(struct containers *cs, const char *exec_id, json_t **ret,
                            struct husk_error **err);
struct containers_exec_run;
/* POST /exec/{id}/start (body {Detach, Tty, ConsoleSize}). A detached exec
 * is started here and *ret is NULL; otherwise the process is started by
 * containers_exec_start_run once the client is connected. -EBUSY for an
 * exec that already ran. */
int containers_exec_start_begin(struct containers *cs, const char *exec_id, json_t *body,
                                struct containers_exec_run **ret, bool *ret_tty,
                                struct husk_error **err);
/* Start the process and relay its stdio over the hijacked socket until
 * it exits (its exit code recorded before the socket closes). */
void containers_exec_start_run(struct containers_exec_run *x, int sock, const void *pending,
                               size_t pending_len, int shutdown_fd);
void containers_exec_run_free(struct containers_exec_run *x);
int containers_exec_resize(struct containers *cs, const char *exec_id, unsigned rows, unsigned cols,
                           struct husk_error **err);

/* ---- helpers shared with the handlers and tests ---- */

/* Docker's rule for names: [a-zA-Z0-9][a-zA-Z0-9_.-]+ (a leading '/'
 * allowed). */
bool containers_name_valid(const char *name);
/* A signal by name ("SIGTERM", "term", "TERM") or number. -EINVAL
 * `Invalid signal: X`. */
int containers_parse_signal(const char *s, int *ret, struct husk_error **err);
/* Docker's detach keys ("ctrl-p,ctrl-q", "a", "ctrl-@"): the bytes, at
 * most 16. -EINVAL `Invalid detach keys (x) provided`. */
int containers_parse_detach_keys(const char *s, unsigned char *ret, size_t *ret_len,
                                 struct husk_error **err);
/* Docker's "Up 3 seconds" / "Exited (0) 2 minutes ago" durations. */
void containers_human_duration(int64_t seconds, char *buf, size_t len);
/* since/until of logs: unix seconds with an optional fraction. -EINVAL. */
int containers_parse_unix_time(const char *s, int64_t *ret_ns, struct husk_error **err);
