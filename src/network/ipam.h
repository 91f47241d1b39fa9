/* ipam.h — IPv4 address management for husk's networks: subnets (parse,
 * overlap, choosing a free one that avoids the host's routes) and the
 * leases of one network, persisted so that a daemon restart never hands
 * out an address twice.
 *
 * The lease file is JSON written atomically (temp + fsync + rename); a
 * damaged one is an error naming it, never silently reset. Callers
 * serialise access (the daemon holds one lock per network).
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include "base/error.h"

struct ipam_subnet {
	struct in_addr net; /* network address, host bits zero */
	unsigned prefix;    /* 8..30 */
};

/* "172.17.0.0/16" → subnet. -EINVAL with Docker's words for host bits
 * set ("invalid subnet 172.17.0.1/16: it should be 172.17.0.0/16"), a
 * bad address or prefix (prefixes 8..30 are usable). */
int ipam_subnet_parse(const char *s, struct ipam_subnet *ret, struct husk_error **err);
/* "172.17.0.0/16"; buf of at least 19 bytes. */
const char *ipam_subnet_format(const struct ipam_subnet *s, char *buf, size_t len);
bool ipam_overlaps(const struct ipam_subnet *a, const struct ipam_subnet *b);
bool ipam_contains(const struct ipam_subnet *s, struct in_addr a);
/* The first host address (the conventional gateway: .1). */
struct in_addr ipam_first_host(const struct ipam_subnet *s);

/* The first of the candidate pools (172.17.0.0/16 … 172.31.0.0/16, then
 * 10.88.0.0/16) that overlaps none of `taken` (the host's routes other
 * than the default one, and the subnets of other networks). -ENOSPC
 * "no free subnet: all of husk's default pools overlap existing routes
 * or networks" when none is free. */
int ipam_pick_subnet(const struct ipam_subnet *taken, size_t n_taken, struct ipam_subnet *ret,
                     struct husk_error **err);

struct ipam;
/* Open (or create) the leases of a network at path, for subnet s with
 * gateway gw (never handed out). */
int ipam_open(const char *path, const struct ipam_subnet *s, struct in_addr gw, struct ipam **ret,
              struct husk_error **err);
void ipam_free(struct ipam *p);
DEFINE_CLEANUP_FUNC(struct ipam *, ipam_free)
/* Lease an address to owner (a container or endpoint ID): `want` when
 * non-zero (-EEXIST "address 10.88.0.5 is in use" / -EINVAL outside the
 * subnet), else the next free one after the last handed out, so a freed
 * address is not reused at once. An owner that holds one gets the same
 * again. -ENOSPC when the subnet is full. The lease is on disk before
 * this returns. */
int ipam_alloc(struct ipam *p, const char *owner, struct in_addr want, struct in_addr *ret,
               struct husk_error **err);
/* Release owner's lease (none is fine). */
int ipam_release(struct ipam *p, const char *owner, struct husk_error **err);
/* The address owner holds; false when none. */
bool ipam_lookup(const struct ipam *p, const char *owner, struct in_addr *ret);
/* How many addresses are leased. */
size_t ipam_count(const struct ipam *p);
