/* portredir.h — the host's own connections to a published TCP port, sent
 * straight to the container.
 *
 * A TCP connect() made in the daemon's network namespace (the host's) to
 * a loopback address (127.0.0.0/8, or 0.0.0.0 which means it) and a port
 * published on every address, or to the very address a port is published
 * on, is rewritten, before its first packet, to the container's address
 * and port by an eBPF program of the cgroup "connect4" hook. The
 * connection then takes the path of one made to the container directly:
 * no NAT, and TCP sized for the bridge rather than for loopback's 64 KiB
 * MTU, which halves a loopback client's throughput for large responses.
 * The container sees the bridge's gateway as the client, as through DNAT.
 * getpeername() still answers the published address: a "getpeername4"
 * program finds the socket (by its cookie) in a map its connect filled,
 * while it is still connected to that target; a "sock_release" program,
 * or a later connect() of the socket, drops the entry (the map is an LRU:
 * the kernel's own sockets, which skip sock_release, cannot fill it).
 *
 * Everything else (other namespaces, UDP, IPv6 sockets, the host's other
 * addresses for a port published on every address) keeps the DNAT of
 * nat.h, which stays the reference: the redirect is an accelerator, and
 * where the kernel refuses it (no cgroup2 hierarchy, no BPF) published
 * ports work the same, through DNAT alone.
 *
 * The programs carry the daemon's name (its nftables table's), their maps
 * the name and a layout version; they are attached to the root of the
 * cgroup2 hierarchy, so that they outlive a daemon's restart with the
 * containers it restores, and a restarted daemon finds them and their
 * maps again by name. portredir_remove() detaches every program of the
 * name. Not thread-safe: callers serialize.
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/macro.h"
#include "base/error.h"

/* Longest name, NUL included: the maps' names add 2 to it within the
 * kernel's BPF_OBJ_NAME_LEN (16). */
#define PORTREDIR_NAME_MAX 14

struct portredir;

/* A handle for the programs named `name` (letters, digits, '_'), taking
 * over the ones a previous daemon of that name left attached (unless their
 * maps are of another layout: portredir_ensure() replaces them). -EINVAL
 * for a bad name; -ENOTSUP (with the reason) when the kernel offers no
 * cgroup2 hierarchy, no cgroup BPF or no network namespace cookie. */
int portredir_open(const char *name, struct portredir **ret, struct husk_error **err);
/* Close the handle; what is attached stays attached. */
void portredir_free(struct portredir *p);
DEFINE_CLEANUP_FUNC(struct portredir *, portredir_free)

/* Load and attach the programs unless they are; 1 when they were loaded
 * now (with an empty map: the caller adds the ports it has), 0 when they
 * were there. */
int portredir_ensure(struct portredir *p, struct husk_error **err);
/* Detach every program of this name (and so free their maps); -EIO when
 * one stays attached. */
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
