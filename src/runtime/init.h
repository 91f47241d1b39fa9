/* init.h — the container's init, between clone and execve (create/run),
 * and the shared parent-side steps. Private to src/runtime. */
#pragma once

#include <stdbool.h>
#include "oci/runtime_spec.h"
#include "runtime/container.h"
#include "runtime/seccomp.h"

struct init_args {
	const char *id;
	const struct oci_spec *spec;
	const struct create_opts *opts;
	const char *rootfs;       /* absolute host path */
	int sync_fd;              /* the child's end */
	int fifo_fd;              /* O_PATH of exec.fifo (create), or -1 (run) */
	int console_fd;           /* connected --console-socket, or -1 */
	int ns_fds[OCI_NS_COUNT]; /* namespaces to join (setns in the child), -1 else */
	struct seccomp_filter *seccomp;
	const int *cg_fds; /* cgroup attach files: the init moves itself */
	size_t n_cg_fds;
	bool cg_into; /* born in the cgroup2 directory (clone3) */
	bool new_userns;
	/* namespaces to create after joining the user namespace given by path
	 * (so that it owns them), rather than at the clone: CLONE_NEW* flags */
	unsigned long unshare_flags;
	bool new_cgroupns;
	bool hooks_sync; /* stop after mounts for createRuntime hooks */
	bool proxy_tty;  /* run in the foreground with a terminal, no socket:
	                    the master goes back to the parent over sync_fd */
};

/* The init: never returns (execs or _exit(1) after reporting the error). */
_noreturn_ void init_main(struct init_args *a);
