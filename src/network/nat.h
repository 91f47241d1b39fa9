/* nat.h — a daemon's nftables table (`ip husk` for the default data root,
 * `ip husk_<8 hex>` for another one; through libnftables): outbound
 * masquerade for the bridge networks' subnets, and published ports as
 * DNAT map entries, from other hosts (prerouting), from the host itself
 * including 127.0.0.1 (output; the bridge needs route_localnet), and
 * between containers (hairpin, masqueraded).
 *
 * Everything lives in this one table, created when first needed and
 * deleted whole when the last user goes; no other table is ever read or
 * written. Ports are map elements keyed by (host address, port), so one
 * container's ports come and go without touching any rule.
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include "base/error.h"
#include "network/ipam.h"

#define NAT_TABLE     "husk" /* the default data root's */
#define NAT_TABLE_MAX 32

struct nat;

/* A handle on the table `ip <table>` (nothing is created yet). -EINVAL
 * for a name nftables would not take. */
int nat_open(const char *table, struct nat **ret, struct husk_error **err);
void nat_free(struct nat *n);
DEFINE_CLEANUP_FUNC(struct nat *, nat_free)

/* Create the table with its chains, maps and sets unless it exists
 * (elements of a table that exists, e.g. after a daemon restart, are
 * kept). */
int nat_ensure(struct nat *n, struct husk_error **err);
/* Delete the whole table. Absent is fine. */
int nat_remove(struct nat *n, struct husk_error **err);
bool nat_exists(struct nat *n);
/* The table's name. */
const char *nat_table(const struct nat *n);

/* A bridge network: masquerade its subnet going anywhere but its bridge. */
int nat_network_add(struct nat *n, const char *bridge, const struct ipam_subnet *s,
                    struct husk_error **err);
int nat_network_del(struct nat *n, const char *bridge, const struct ipam_subnet *s,
                    struct husk_error **err);

struct nat_port {
	int proto;              /* IPPROTO_TCP or IPPROTO_UDP */
	struct in_addr host_ip; /* 0.0.0.0: every address of the host */
	uint16_t host_port;
	struct in_addr ip; /* the container's */
	uint16_t port;
};
/* Publish a port. -EEXIST "Bind for 0.0.0.0:1234 failed: port is already
 * allocated" when the same (address, port, proto) is published already. */
int nat_port_add(struct nat *n, const struct nat_port *p, struct husk_error **err);
/* Unpublish. Absent is fine. */
int nat_port_del(struct nat *n, const struct nat_port *p, struct husk_error **err);
/* How many ports are published (for leak checks). */
int nat_port_count(struct nat *n, size_t *ret, struct husk_error **err);
