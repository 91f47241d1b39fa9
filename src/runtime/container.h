/* container.h — OCI container lifecycle: create, start, run, exec, kill,
 * delete, pause, resume, update, ps, state, list.
 *
 * The library behind husk-runtime (runc's command line) and husk-monitor.
 * A container's state lives in <root>/<id>/ (state.json, a copy of
 * config.json, exec.fifo while created). create clones the container's
 * init directly from the caller (no re-exec of the runtime inside the
 * container); the init blocks on exec.fifo until start opens it.
 * Every failure leaves nothing behind: no cgroup, mount, state dir or
 * process.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>
#include "base/error.h"
#include "oci/runtime_spec.h"

#define RUNTIME_DEFAULT_ROOT "/run/husk-runtime"

struct runtime_ctx {
	const char *root; /* state root, e.g. /run/husk-runtime */
	bool systemd_cgroup;
};

struct create_opts {
	const char *bundle;         /* absolute */
	const char *pid_file;       /* may be NULL */
	const char *console_socket; /* may be NULL */
	bool no_pivot;
	bool no_new_keyring;
	int preserve_fds; /* fds 3..3+n-1 passed to the container */
	bool detach;      /* run: do not wait */
	json_t *config;   /* <bundle>/config.json already parsed (borrowed), or NULL */
};

/* What create made, for a caller that drives the container on (NULL when
 * unwanted): the init's pid and its cgroup paths (new reference). */
struct create_result {
	pid_t pid;
	json_t *cgroup_paths;
	bool poststart_hooks, poststop_hooks; /* the config has some */
};

enum container_status {
	CONTAINER_CREATING,
	CONTAINER_CREATED,
	CONTAINER_RUNNING,
	CONTAINER_PAUSED,
	CONTAINER_STOPPED,
};

struct container_state {
	char *id;
	char *bundle;
	char *rootfs;
	pid_t pid;
	unsigned long long pid_start; /* start time of pid (clock ticks), guards pid reuse */
	char *created;                /* RFC 3339 */
	char *owner;
	enum container_status status;
	json_t *annotations;
	json_t *cgroup_paths;
	json_t *config; /* the config.json the container was created from */
};

const char *container_status_name(enum container_status s);

/* Validate a container ID (runc's rule: [A-Za-z0-9_+.-]+, not "." or ".."). */
int container_id_check(const char *id, struct husk_error **err);

/* create: the container exists, its init waits for start. */
int container_create(const struct runtime_ctx *rt, const char *id, const struct create_opts *o,
                     struct create_result *ret, struct husk_error **err);
/* start: let the init exec the process; poststart hooks run. */
int container_start(const struct runtime_ctx *rt, const char *id, struct husk_error **err);
/* run: create + start; without detach, wait, forward signals, return the
 * exit status (0..255; 128+N for a signal) in *ret_status and delete. */
int container_run(const struct runtime_ctx *rt, const char *id, const struct create_opts *o,
                  int *ret_status, struct husk_error **err);

/* Load the state with the current status. -ENOENT when unknown. */
int container_state_load(const struct runtime_ctx *rt, const char *id, struct container_state **ret,
                         struct husk_error **err);
/* The OCI state JSON (ociVersion, id, status, pid, bundle, annotations). */
json_t *container_state_json(const struct container_state *st);
void container_state_free(struct container_state *st);
DEFINE_CLEANUP_FUNC(struct container_state *, container_state_free)
/* Every container under the root, NULL-terminated array. */
int container_list(const struct runtime_ctx *rt, struct container_state ***ret,
                   struct husk_error **err);

int container_kill(const struct runtime_ctx *rt, const char *id, int sig, bool all,
                   struct husk_error **err);
int container_delete(const struct runtime_ctx *rt, const char *id, bool force,
                     struct husk_error **err);
/* start and delete for the process that created the container and drives
 * it to its end (husk-monitor), when its config has no poststart or
 * poststop hook: it knows the init (its child, pid) and its cgroup, and
 * reads no state. delete: after the init's exit; cg may be NULL. */
struct cgroup;
int container_start_created(const struct runtime_ctx *rt, const char *id, pid_t pid,
                            struct husk_error **err);
int container_delete_created(const struct runtime_ctx *rt, const char *id, struct cgroup *cg,
                             struct husk_error **err);
int container_pause(const struct runtime_ctx *rt, const char *id, struct husk_error **err);
int container_resume(const struct runtime_ctx *rt, const char *id, struct husk_error **err);
int container_update(const struct runtime_ctx *rt, const char *id, const struct oci_resources *r,
                     struct husk_error **err);
/* The pids in the container's cgroup. */
int container_pids(const struct runtime_ctx *rt, const char *id, pid_t **ret, size_t *ret_n,
                   struct husk_error **err);

struct exec_opts {
	struct oci_process *process; /* owned by the caller */
	const char *pid_file;
	const char *console_socket;
	bool detach;
	int preserve_fds;
};
/* exec a process in a running container. Without detach, waits and
 * returns its exit status in *ret_status. */
int container_exec(const struct runtime_ctx *rt, const char *id, const struct exec_opts *o,
                   int *ret_status, struct husk_error **err);
