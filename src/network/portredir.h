/* portredir.h — the host's own connections to a published TCP port, sent
 * straight to the container.
 *
 * A connect() made in the host's network namespace to 127.0.0.0/8:HOSTPORT
 * (a port published on every address) or to HOSTIP:HOSTPORT (published on
 * that address) is rewritten, before its first packet, to the container's
 * address and port by an eBPF program of the cgroup "connect4" hook. The
 * connection then takes the path of one made to the container directly:
 * no NAT, and TCP sized for the bridge rather than for loopback's 64 KiB
 * MTU, which halves a loopback client's throughput for large responses.
 * getpeername() still answers the published address (a "getpeername4"
 * program looks the socket up in a map its connect filled; a
 * "sock_release" program drops the entry with the socket).
 *
 * Everything else (other hosts, containers, UDP, other local addresses)
 * keeps the DNAT of nat.h, which stays the reference: the redirect is an
 * accelerator, and where the kernel refuses it (no cgroup2 hierarchy, no
 * BPF) published ports work the same, through DNAT alone.
 *
 * The programs carry the daemon's name (its nftables table's) and are
 * attached to the root of the cgroup2 hierarchy, so that they outlive a
 * daemon's restart with the containers it restores; a restarted daemon
 * finds them and their maps again by that name. portredir_remove()
 * detaches every program of the name.
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/macro.h"
#include "base/error.h"

#define PORTREDIR_NAME_MAX 16 /* the kernel's BPF_OBJ_NAME_LEN, NUL included */

struct portredir;

/* A handle for the programs named `name` (letters, digits, '_'), taking
 * over the ones a previous daemon of that name left attached. -EINVAL for
 * a bad name; -ENOTSUP (with the reason) when the kernel offers no cgroup2
 * hierarchy or no cgroup BPF. */
int portredir_open(const char *name, struct portredir **ret, struct husk_error **err);
/* Close the handle; what is attached stays attached. */
void portredir_free(struct portredir *p);
DEFINE_CLEANUP_FUNC(struct portredir *, portredir_free)

/* Load and attach the programs unless they are. */
int portredir_ensure(struct portredir *p, struct husk_error **err);
/* Detach every program of this name (and so free their maps). */
int portredir_remove(struct portredir *p, struct husk_error **err);
/* Whether the programs are attached (through this handle). */
bool portredir_active(const struct portredir *p);

/* host_ip:host_port (host_ip 0.0.0.0: every address, redirected from
 * 127.0.0.0/8) → ip:port. Only while active; -ENOSPC when the map is full.
 * An existing entry is replaced. */
int portredir_add(struct portredir *p, struct in_addr host_ip, uint16_t host_port,
                  struct in_addr ip, uint16_t port, struct husk_error **err);
/* Absent is fine. */
int portredir_del(struct portredir *p, struct in_addr host_ip, uint16_t host_port,
                  struct husk_error **err);
/* How many ports are redirected (for leak checks); 0 when not active. */
int portredir_count(struct portredir *p, size_t *ret, struct husk_error **err);
