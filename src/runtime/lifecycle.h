/* lifecycle.h — helpers shared by create/run/exec and the commands on an
 * existing container. Private to src/runtime. */
#pragma once

#include <jansson.h>
#include <sys/types.h>
#include "base/error.h"
#include "oci/runtime_spec.h"
#include "runtime/container.h"
#include "runtime/seccomp.h"

/* A new time namespace with the spec's offsets, for the init to be born
 * in (unshare(CLONE_NEWTIME) affects children only). No-op without one. */
int lifecycle_new_timens(const struct oci_spec *s, struct husk_error **err);
/* Write /proc/PID/{uid,gid}_map from the spec. */
int lifecycle_write_id_maps(pid_t pid, const struct oci_linux *lx, struct husk_error **err);
json_t *lifecycle_annotations_json(const struct oci_spec *s);
/* Durable pid file (temp + rename), as containerd and conmon read it. */
int lifecycle_write_pid_file(const char *path, pid_t pid, struct husk_error **err);
/* poststart hooks; failures are warnings (the spec says so). */
void lifecycle_poststart(const struct oci_spec *s, const struct runtime_ctx *rt, const char *id);
/* Foreground run: forward signals to pid, proxy a tty if any, wait, then
 * delete the container. *ret_status: exit code, or 128+signal. */
int lifecycle_wait_foreground(const struct runtime_ctx *rt, const char *id, pid_t pid,
                              int tty_master, int *ret_status, struct husk_error **err);
/* Append the device rules every container gets (runc's allowed devices:
 * null, zero, full, random, urandom, tty, console, ptmx, pts, and mknod
 * of anything) and an allow rule for each linux.devices entry, after the
 * spec's own rules. Marks resources present. */
int lifecycle_default_devices(struct oci_spec *s, struct husk_error **err);
/* The name of uid from /etc/passwd (no NSS: husk-runtime is static), or
 * the number as text. Returns buf. */
char *lifecycle_user_name(uid_t uid, char *buf, size_t len);
/* clone3() with CLONE_INTO_CGROUP when cgroup_fd >= 0 (falling back to
 * clone() on kernels without it); *ret_into says which happened. Returns
 * like fork(): the pid, 0 in the child, -1 with errno. */
pid_t lifecycle_clone(unsigned long flags, int cgroup_fd, bool *ret_into);
/* Build the seccomp filter, through the on-disk cache under the state
 * root (a tmpfs: compiled programs are reused across container starts). */
int seccomp_build(const struct runtime_ctx *rt, const struct oci_seccomp *s,
                  struct seccomp_filter **ret, struct husk_error **err);
/* Wait for our child pid, forwarding signals to it and proxying a tty
 * master when >= 0; *ret_status as for run. */
int lifecycle_forward_and_wait(pid_t pid, int tty_master, int *ret_status);
/* Signal a process by pid, guarded against reuse by its start time. */
int lifecycle_signal(const struct container_state *st, int sig, struct husk_error **err);
/* Wait until the process is gone (not necessarily our child). */
int lifecycle_wait_gone(pid_t pid, int timeout_ms);
