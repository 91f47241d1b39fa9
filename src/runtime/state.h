/* state.h — a container's state directory (<root>/<id>/): state.json,
 * (with the config.json the container was created from), the exec fifo; process start times that
 * guard against pid reuse. Private to src/runtime. */
#pragma once

#include "runtime/container.h"

#define STATE_FILE "state.json"
#define EXEC_FIFO  "exec.fifo"

/* <root>/<id>, new string. */
char *state_dir(const struct runtime_ctx *rt, const char *id);
/* Make <root>/<id> exclusively: -EEXIST names the container. */
int state_dir_create(const struct runtime_ctx *rt, const char *id, struct husk_error **err);
/* Write state.json durably. */
int state_save(const struct runtime_ctx *rt, const struct container_state *st,
               struct husk_error **err);
/* Start time of pid in clock ticks (field 22 of /proc/PID/stat); 0 with
 * -ESRCH when gone or a zombie. */
int proc_start_time(pid_t pid, unsigned long long *ret);
/* Whether st->pid is still the process it was (not reused). */
bool state_pid_alive(const struct container_state *st);
/* Compute st->status from the live system. */
void state_refresh_status(const struct runtime_ctx *rt, struct container_state *st);
