/* network.h — the daemon's networks: Docker's predefined three ("bridge",
 * "host", "none"), user-defined bridge networks, container endpoints
 * (a veth pair from the network's bridge into the container's namespace,
 * an address from IPAM, the default route), published ports, and the
 * names containers resolve on user networks (/etc/hosts kept current).
 *
 * State lives under <data-root>/network/: one JSON record per network,
 * per endpoint, and the IPAM leases, each written atomically before the
 * kernel is changed, so that a daemon restart (or crash) can always undo
 * what a container left: its veth, address, NAT and port entries. Errors
 * use Docker's words where docker users match them ("network foo not
 * found", "network with name foo already exists", "Bind for 0.0.0.0:80
 * failed: port is already allocated").
 */
#pragma once

#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include "base/error.h"

#define NETWORK_DEFAULT_BRIDGE "husk0" /* the default data root's */

struct networks;

struct networks_config {
	const char *data_root;
	bool default_root;  /* data_root is the daemon's default one */
	const char *bridge; /* daemon.json "bridge": the default bridge's name; NULL: derived */
	const char *bip;    /* daemon.json "bip": the default bridge's gateway/prefix; NULL: pick */
	unsigned mtu;       /* 0: 1500 */
	bool nat;           /* daemon.json "iptables" (default true): masquerade and port DNAT */
	bool ip_forward;    /* daemon.json "ip-forward" (default true) */
};

/* The names that keep daemons of one host apart: the default bridge's
 * ("husk0" for the default data root, else "husk" + 8 hex of the data
 * root's sha256, or `bridge` when given) and the nftables table's ("husk",
 * else "husk_" + the same 8 hex). -EINVAL "invalid bridge name" for a
 * bridge that is not a usable interface name. */
int network_daemon_names(const char *data_root, bool default_root, const char *bridge,
                         char ret_bridge[16], char ret_table[32], struct husk_error **err);

/* Open the records under <data-root>/network, make the predefined
 * networks and the default bridge (whose address claims its subnet
 * against other daemons), and delete a stale nftables table of this
 * daemon when no endpoint is left. */
int networks_open(const struct networks_config *c, struct networks **ret, struct husk_error **err);
void networks_free(struct networks *n);
/* The nftables table goes on a thread of its own once the last endpoint
 * did: wait until no such removal is running. */
void networks_settle_nat(struct networks *n);
DEFINE_CLEANUP_FUNC(struct networks *, networks_free)

/* ---- Docker's /networks API, shapes as dockerd's ---- */
/* body: {Name, Driver ("bridge"), Internal, Attachable, Labels, Options,
 * IPAM{Driver, Config[{Subnet, Gateway, IPRange}]}, EnableIPv6}. *ret:
 * {"Id","Warning":""}. -EEXIST "network with name x already exists",
 * -EINVAL for a bad driver/subnet, -EEXIST for an overlapping subnet. */
int network_create(struct networks *n, json_t *body, json_t **ret, struct husk_error **err);
/* Name, ID or unique ID prefix. -ENOENT "network x not found". */
int network_inspect(struct networks *n, const char *name, json_t **ret, struct husk_error **err);
/* filters: name, id, driver, label, type (custom|builtin), dangling. */
int network_list(struct networks *n, json_t *filters, json_t **ret, struct husk_error **err);
/* -EBUSY with active endpoints, -EPERM for the predefined three. */
int network_remove(struct networks *n, const char *name, struct husk_error **err);
/* Removes the user networks without endpoints; *ret {"NetworksDeleted":[names]}. */
int network_prune(struct networks *n, json_t *filters, json_t **ret, struct husk_error **err);
/* The canonical name of a network reference ("default" → "bridge"), or
 * -ENOENT. ret_driver (may be NULL) gets "bridge", "host" or "null". */
int network_resolve(struct networks *n, const char *name, char **ret_name, char **ret_id,
                    char **ret_driver, struct husk_error **err);

/* ---- endpoints ---- */
struct endpoint_config {
	const char *container_id;   /* 64 hex */
	const char *container_name; /* without the slash */
	const char *hostname;
	char *const *aliases;   /* NULL-terminated, may be NULL */
	struct in_addr ip;      /* requested (IPAMConfig.IPv4Address), 0: any */
	const char *hosts_path; /* the container's /etc/hosts, kept current on user networks */
	const uint8_t *mac;     /* requested (MacAddress, 6 bytes), NULL: the kernel's */
};
/* Connect the container whose network namespace is netns_path to a bridge
 * network: veth (host end "veth<7 hex>", container end eth<N>), address,
 * route, loopback up. *ret gets Docker's EndpointSettings {IPAMConfig,
 * Links, Aliases, NetworkID, EndpointID, Gateway, IPAddress, IPPrefixLen,
 * IPv6Gateway, GlobalIPv6Address, GlobalIPv6PrefixLen, MacAddress,
 * DriverOpts}. On failure nothing of the endpoint is left. */
int network_connect(struct networks *n, const char *name, const char *netns_path,
                    const struct endpoint_config *ec, json_t **ret, struct husk_error **err);
/* Parse a MAC-48 address as EndpointSettings.MacAddress has it
 * ("02:42:ac:11:00:02", or with '-'). -EINVAL for anything else. */
int network_mac_parse(const char *s, uint8_t ret[6]);
/* The default route of the network namespace at netns_path, via gw (one
 * already there is kept): what a container's next network takes over when
 * the one that had it leaves. */
int network_default_route(const char *netns_path, struct in_addr gw, struct husk_error **err);
/* Undo network_connect (also after a restart, from the endpoint record),
 * deleting the veth at once (the container's namespace lives on). Not
 * connected is fine. The table goes with the last endpoint. */
int network_disconnect(struct networks *n, const char *name, const char *container_id,
                       struct husk_error **err);
/* Disconnect the container from every network it is on. netns_dying: the
 * container's namespace is about to go with nothing else in it, so its
 * veths are left for the kernel to delete with it (a synchronous veth
 * deletion waits for RCU grace periods, tens of milliseconds). */
int network_disconnect_all(struct networks *n, const char *container_id, bool netns_dying,
                           struct husk_error **err);

/* ---- published ports ---- */
/* Publish HostConfig.PortBindings ({"8080/tcp":[{"HostIp":"","HostPort":"1234"}]}) and,
 * with publish_all, every port of exposed ({"80/tcp":{}}) on a random
 * host port, to the container at ip. A host port in use on the host, or
 * published by another container, fails with Docker's words and leaves
 * nothing published. *ret gets NetworkSettings.Ports. */
int ports_publish(struct networks *n, const char *container_id, struct in_addr ip, json_t *bindings,
                  json_t *exposed, bool publish_all, json_t **ret, struct husk_error **err);
int ports_unpublish(struct networks *n, const char *container_id, struct husk_error **err);

/* Leak check for `system check`: endpoints whose container is not in
 * `live` (container IDs), veths without an endpoint, port entries without
 * an endpoint. Lines for the user in *ret (an array of strings). */
int networks_check(struct networks *n, char *const *live, json_t **ret, struct husk_error **err);
