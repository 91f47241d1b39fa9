/* process.h — turn the calling process into the OCI process and execve it.
 *
 * Runs inside the container (init or exec), after namespaces and the
 * root filesystem are in place. Order follows runc: fds closed, bounding
 * set, user and groups, cwd (checked to be inside the container:
 * CVE-2024-21626), capability sets, rlimits, no_new_privs, seccomp last.
 * Returns only on failure, with *err naming the field that failed.
 */
#pragma once

#include "base/error.h"
#include "oci/runtime_spec.h"
#include "runtime/seccomp.h"

struct process_exec {
	const struct oci_process *process;
	const struct oci_linux *linux_; /* personality; may be NULL */
	struct seccomp_filter *seccomp; /* built by the caller, or NULL */
	int preserve_fds;               /* fds 3 .. 3+n-1 stay open */
	int keep_fds[4];                /* internal fds kept until exec (CLOEXEC), -1 = none */
};

/* Check that process->args[0] names an executable file (on PATH, or
 * relative to process->cwd), as runc does before the wait for start, so
 * that create fails with the reason. -ENOENT/-EACCES with *err set. */
int process_check_exec(const struct oci_process *p, struct husk_error **err);

/* Set up the process as described and execve process->args. */
int process_exec(const struct process_exec *x, struct husk_error **err);

/* Close every fd >= 3 except preserved ones and keep_fds (which become
 * CLOEXEC). */
int process_close_fds(int preserve_fds, const int *keep, size_t n_keep);

/* Whether an LSM is active: "apparmor", "selinux". */
bool process_lsm_active(const char *name);
