/* netlink.h — links, addresses and routes over rtnetlink (libmnl), and
 * network namespaces kept as bind-mounted nsfs files.
 *
 * What the bridge network is made of: a bridge, veth pairs whose container
 * end is created directly inside the container's namespace (named eth0
 * there, so no interface ever appears on the host under a guessable name
 * it would keep), addresses, the default route, loopback. Every call is
 * one request and its acknowledgement; the kernel's error comes back as
 * -errno with the object named in *err. Never touches a link it was not
 * asked about.
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/error.h"

struct nl;

/* An rtnetlink socket in the namespace netns_fd (-1: the caller's). The
 * socket keeps to that namespace for its whole life. */
int nl_open(int netns_fd, struct nl **ret, struct husk_error **err);
void nl_close(struct nl *nl);
DEFINE_CLEANUP_FUNC(struct nl *, nl_close)

/* The index of link name; -ENODEV when absent. */
int nl_link_index(struct nl *nl, const char *name);

/* A bridge (mtu 0: the kernel's default). -EEXIST when it exists. */
int nl_bridge_add(struct nl *nl, const char *name, unsigned mtu, struct husk_error **err);
/* A veth pair: `name` here, `peer` created directly in peer_netns_fd
 * (-1: here too). mtu 0 leaves the default. */
int nl_veth_add(struct nl *nl, const char *name, const char *peer, int peer_netns_fd, unsigned mtu,
                struct husk_error **err);
/* Set a link up and, when master is not NULL, enslave it to that bridge. */
int nl_link_up(struct nl *nl, const char *name, const char *master, struct husk_error **err);
/* Delete a link (a veth takes its peer along). -ENODEV when absent. */
int nl_link_del(struct nl *nl, const char *name, struct husk_error **err);
/* The names of the links whose name starts with prefix (a new
 * NULL-terminated vector). */
int nl_link_names(struct nl *nl, const char *prefix, char ***ret, struct husk_error **err);
/* The index of the bridge link name is enslaved to, 0 when none;
 * -ENODEV when absent. */
int nl_link_master(struct nl *nl, const char *name);
/* The MAC address of a link, "02:42:ac:11:00:02". */
int nl_link_mac(struct nl *nl, const char *name, char ret[18], struct husk_error **err);
/* Give a link the MAC address mac (before it is up: a veth takes a new
 * address only while down). The kernel refuses a multicast address. */
int nl_link_set_mac(struct nl *nl, const char *name, const uint8_t mac[6], struct husk_error **err);

/* Add addr/prefix (IPv4) to a link. -EEXIST when it is there already. */
int nl_addr_add(struct nl *nl, const char *name, struct in_addr addr, unsigned prefix,
                struct husk_error **err);
/* The default route via gw (IPv4). */
int nl_route_default(struct nl *nl, struct in_addr gw, struct husk_error **err);

/* An IPv4 route of the main table, as overlap checks need it. */
struct nl_route4 {
	struct in_addr dst;
	unsigned prefix;
	char oif[16];
};
/* Every IPv4 route of the main table (malloc'd array). */
int nl_routes4(struct nl *nl, struct nl_route4 **ret, size_t *ret_n, struct husk_error **err);

/* A new network namespace kept alive by a bind mount at path (a file
 * created 0600). The caller's namespace is unchanged. */
int netns_create(const char *path, struct husk_error **err);
/* Unmount and remove path. Absent is fine. */
int netns_remove(const char *path, struct husk_error **err);
