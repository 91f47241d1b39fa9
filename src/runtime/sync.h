/* sync.h — the runtime ↔ container-init protocol over a SOCK_SEQPACKET
 * socketpair. A message is a 4-byte type and an optional payload; errors
 * carry an errno and the child's message, so the parent reports exactly
 * what failed inside the new namespaces. A child that execs closes its end
 * (CLOEXEC): the parent reads EOF, which means "exec happened".
 */
#pragma once

#include <stddef.h>
#include "base/error.h"

enum sync_type {
	SYNC_GO = 1,      /* parent → child: mappings and cgroup are in place */
	SYNC_MOUNTS_DONE, /* child → parent: rootfs prepared, run createRuntime hooks */
	SYNC_HOOKS_DONE,  /* parent → child: hooks ran, continue */
	SYNC_READY,       /* child → parent: created, waiting for start */
	SYNC_CHILD_PID,   /* intermediate → parent: pid of the real child (payload int) */
	SYNC_ERROR,       /* either way: payload = int errno + message */
};

#define SYNC_MSG_MAX 4096

int sync_send(int fd, enum sync_type t, const void *payload, size_t len);
/* Send an error message; never fails loudly (the peer may be gone). */
void sync_send_error(int fd, int code, const char *msg);
/* Receive one message. Returns the payload length, -EPIPE on EOF, or
 * -errno. buf (cap bytes) receives the payload, NUL-terminated. */
int sync_recv(int fd, enum sync_type *ret_type, char *buf, size_t cap);
/* Receive and require type `want`. A SYNC_ERROR becomes *err with the
 * peer's message; EOF becomes -EPIPE with "<what>: the container init
 * exited". */
int sync_expect(int fd, enum sync_type want, const char *what, struct husk_error **err);
