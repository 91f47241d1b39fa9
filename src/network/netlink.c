#include "network/netlink.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/macro.h"
#include "base/str.h"

struct nl {
	struct mnl_socket *sock;
	unsigned portid;
	unsigned seq;
};

/* Enter netns_fd for the duration of fn on this thread only (network
 * namespaces are per thread), then come back. */
static int in_netns(int netns_fd, int (*fn)(void *), void *data)
{
	_cleanup_close_ int self = -1;
	int r, r2;

	if (netns_fd < 0)
		return fn(data);
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	if (setns(netns_fd, CLONE_NEWNET) < 0)
		return -errno;
	r = fn(data);
	r2 = setns(self, CLONE_NEWNET) < 0 ? -errno : 0;
	if (r2 < 0)
		abort(); /* this thread would serve requests in the wrong namespace */
	return r;
}

static int open_sock(void *data)
{
	struct nl *nl = data;

	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sock)
		return -errno;
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	return 0;
}

int nl_open(int netns_fd, struct nl **ret, struct husk_error **err)
{
	struct nl *nl = calloc(1, sizeof(*nl));
	int r;

	if (!nl)
		return error_set(err, ENOMEM, "out of memory");
	r = in_netns(netns_fd, open_sock, nl);
	if (r < 0) {
		nl_close(nl);
		return error_set_errno(err, -r, "open a netlink socket");
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned)time(NULL);
	*ret = nl;
	return 0;
}

void nl_close(struct nl *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl);
}

static struct nlmsghdr *msg_new(struct nl *nl, char *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);

	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	h->nlmsg_seq = ++nl->seq;
	return h;
}

/* Send h and run cb over the replies until the ack (or the dump's end).
 * Returns the kernel's -errno. */
static int transact(struct nl *nl, struct nlmsghdr *h, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned seq = h->nlmsg_seq;
	ssize_t n;
	int r;

	if (mnl_socket_sendto(nl->sock, h, h->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
		if (n < 0)
			return errno == EINTR ? -EINTR : -errno;
		r = mnl_cb_run(buf, n, seq, nl->portid, cb, data);
		if (r < 0)
			return -errno;
		if (r == MNL_CB_STOP)
			return 0;
	}
}

static struct ifinfomsg *put_ifinfo(struct nlmsghdr *h)
{
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	return ifi;
}

static bool ifname_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	return n > 0 && n < IFNAMSIZ && !strchr(name, '/') && !strpbrk(name, " \t\n:");
}

static int index_cb(const struct nlmsghdr *m, void *data)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(m);

	*(int *)data = ifi->ifi_index;
	return MNL_CB_OK;
}

int nl_link_index(struct nl *nl, const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *h;
	int index = -ENODEV;

	if (!ifname_ok(name))
		return -EINVAL;
	h = msg_new(nl, buf, RTM_GETLINK, 0);
	put_ifinfo(h);
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	int r = transact(nl, h, index_cb, &index);
	return r < 0 ? (r == -ENODEV || r == -ENOENT ? -ENODEV : r) : index;
}

int nl_bridge_add(struct nl *nl, const char *name, unsigned mtu, struct husk_error **err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *h;
	struct nlattr *info;
	int r;

	if (!ifname_ok(name))
		return error_set(err, EINVAL, "invalid interface name \"%s\"", name);
	h = msg_new(nl, buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	put_ifinfo(h);
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	if (mtu)
		mnl_attr_put_u32(h, IFLA_MTU, mtu);
	info = mnl_attr_nest_start(h, IFLA_LINKINFO);
	mnl_attr_put_strz(h, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(h, info);
	r = transact(nl, h, NULL, NULL);
	if (r < 0)
		return error_set_errno(err, -r, "create bridge \"%s\"", name);
	return 0;
}

int nl_veth_add(struct nl *nl, const char *name, const char *peer, int peer_netns_fd, unsigned mtu,
                struct husk_error **err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *h;
	struct nlattr *info, *data, *peer_nest;
	struct ifinfomsg *pifi;
	int r;

	if (!ifname_ok(name) || !ifname_ok(peer))
		return error_set(err, EINVAL, "invalid interface names \"%s\", \"%s\"", name, peer);
	h = msg_new(nl, buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	put_ifinfo(h);
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	if (mtu)
		mnl_attr_put_u32(h, IFLA_MTU, mtu);
	info = mnl_attr_nest_start(h, IFLA_LINKINFO);
	mnl_attr_put_strz(h, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(h, IFLA_INFO_DATA);
	peer_nest = mnl_attr_nest_start(h, VETH_INFO_PEER);
	/* the peer's attributes follow its own ifinfomsg */
	pifi = (struct ifinfomsg *)((char *)h + h->nlmsg_len);
	memset(pifi, 0, sizeof(*pifi));
	pifi->ifi_family = AF_UNSPEC;
	h->nlmsg_len += NLMSG_ALIGN(sizeof(*pifi));
	mnl_attr_put_strz(h, IFLA_IFNAME, peer);
	if (mtu)
		mnl_attr_put_u32(h, IFLA_MTU, mtu);
	if (peer_netns_fd >= 0)
		mnl_attr_put_u32(h, IFLA_NET_NS_FD, (uint32_t)peer_netns_fd);
	mnl_attr_nest_end(h, peer_nest);
	mnl_attr_nest_end(h, data);
	mnl_attr_nest_end(h, info);
	r = transact(nl, h, NULL, NULL);
	if (r < 0)
		return error_set_errno(err, -r, "create veth pair \"%s\"/\"%s\"", name, peer);
	return 0;
}

int nl_link_up(struct nl *nl, const char *name, const char *master, struct husk_error **err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *h;
	struct ifinfomsg *ifi;
	int index, mindex = 0, r;

	index = nl_link_index(nl, name);
	if (index < 0)
		return error_set_errno(err, -index, "find interface \"%s\"", name);
	if (master && (mindex = nl_link_index(nl, master)) < 0)
		return error_set_errno(err, -mindex, "find bridge \"%s\"", master);
	h = msg_new(nl, buf, RTM_NEWLINK, 0);
	ifi = put_ifinfo(h);
	ifi->ifi_index = index;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	if (master)
		mnl_attr_put_u32(h, IFLA_MASTER, (uint32_t)mindex);
	r = transact(nl, h, NULL, NULL);
	if (r < 0)
		return error_set_errno(err, -r, "set interface \"%s\" up", name);
	return 0;
}

int nl_link_del(struct nl *nl, const char *name, struct husk_error **err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *h;
	int r;

	if (!ifname_ok(name))
		return error_set(err, EINVAL, "invalid interface name \"%s\"", name);
	h = msg_new(nl, buf, RTM_DELLINK, 0);
	put_ifinfo(h);
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	r = transact(nl, h, NULL, NULL);
	if (r == -ENODEV)
		return -ENODEV;
	if (r < 0)
		return error_set_errno(err, -r, "delete interface \"%s\"", name);
	return 0;
}

struct names_ctx {
	const char *prefix;
	char **v;
	int r;
};

static int name_attr(const struct nlattr *a, void *data)
{
	struct names_ctx *c = data;
	const char *name;

	if (mnl_attr_get_type(a) != IFLA_IFNAME)
		return MNL_CB_OK;
	name = mnl_attr_get_str(a);
	if (startswith(name, c->prefix) && strv_push(&c->v, name) < 0)
		c->r = -ENOMEM;
	return MNL_CB_OK;
}

static int names_cb(const struct nlmsghdr *m, void *data)
{
	return mnl_attr_parse(m, sizeof(struct ifinfomsg), name_attr, data);
}

int nl_link_names(struct nl *nl, const char *prefix, char ***ret, struct husk_error **err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *h;
	struct names_ctx c = {prefix, strv_new(), 0};
	int r;

	if (!c.v)
		return error_set(err, ENOMEM, "out of memory");
	h = msg_new(nl, buf, RTM_GETLINK, NLM_F_DUMP);
	h->nlmsg_flags &= ~NLM_F_ACK;
	put_ifinfo(h);
	r = transact(nl, h, names_cb, &c);
	if (r == 0)
		r = c.r;
	if (r < 0) {
		strv_free(c.v);
		return error_set_errno(err, -r, "list the network interfaces");
	}
	*ret = c.v;
	return 0;
}

struct mac_ctx {
	char *out;
	bool found;
};

static int mac_attr(const struct nlattr *a, void *data)
{
	struct mac_ctx *c = data;
	const uint8_t *m;

	if (mnl_attr_get_type(a) != IFLA_ADDRESS || mnl_attr_get_payload_len(a) != 6)
		return MNL_CB_OK;
	m = mnl_attr_get_payload(a);
	snprintf(c->out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	c->found = true;
	return MNL_CB_OK;
}

static int mac_cb(const struct nlmsghdr *m, void *data)
{
	return mnl_attr_parse(m, sizeof(struct ifinfomsg), mac_attr, data);
}

int nl_link_mac(struct nl *nl, const char *name, char ret[18], struct husk_error **err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *h;
	struct mac_ctx c = {ret, false};
	int r;

	if (!ifname_ok(name))
		return error_set(err, EINVAL, "invalid interface name \"%s\"", name);
	h = msg_new(nl, buf, RTM_GETLINK, 0);
	put_ifinfo(h);
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	r = transact(nl, h, mac_cb, &c);
	if (r < 0)
		return error_set_errno(err, -r, "read the address of \"%s\"", name);
	if (!c.found)
		return error_set(err, ENODATA, "interface \"%s\" has no hardware address", name);
	return 0;
}

int nl_link_set_mac(struct nl *nl, const char *name, const uint8_t mac[6], struct husk_error **err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *h;
	struct ifinfomsg *ifi;
	int index, r;

	index = nl_link_index(nl, name);
	if (index < 0)
		return error_set_errno(err, -index, "find interface \"%s\"", name);
	h = msg_new(nl, buf, RTM_NEWLINK, 0);
	ifi = put_ifinfo(h);
	ifi->ifi_index = index;
	mnl_attr_put(h, IFLA_ADDRESS, 6, mac);
	r = transact(nl, h, NULL, NULL);
	if (r < 0)
		return error_set_errno(err, -r,
		                       "set the address of \"%s\" to "
		                       "%02x:%02x:%02x:%02x:%02x:%02x",
		                       name, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return 0;
}

static int master_attr(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == IFLA_MASTER && mnl_attr_get_payload_len(a) >= 4)
		*(int *)data = (int)mnl_attr_get_u32(a);
	return MNL_CB_OK;
}

static int master_cb(const struct nlmsghdr *m, void *data)
{
	return mnl_attr_parse(m, sizeof(struct ifinfomsg), master_attr, data);
}

int nl_link_master(struct nl *nl, const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *h;
	int master = 0, r;

	if (!ifname_ok(name))
		return -EINVAL;
	h = msg_new(nl, buf, RTM_GETLINK, 0);
	put_ifinfo(h);
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	r = transact(nl, h, master_cb, &master);
	return r < 0 ? (r == -ENOENT ? -ENODEV : r) : master;
}

int nl_addr_add(struct nl *nl, const char *name, struct in_addr addr, unsigned prefix,
                struct husk_error **err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], text[INET_ADDRSTRLEN];
	struct nlmsghdr *h;
	struct ifaddrmsg *ifa;
	int index, r;

	index = nl_link_index(nl, name);
	if (index < 0)
		return error_set_errno(err, -index, "find interface \"%s\"", name);
	h = msg_new(nl, buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	ifa = mnl_nlmsg_put_extra_header(h, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = prefix;
	ifa->ifa_index = index;
	mnl_attr_put(h, IFA_LOCAL, sizeof(addr), &addr);
	mnl_attr_put(h, IFA_ADDRESS, sizeof(addr), &addr);
	if (prefix < 31) {
		struct in_addr bcast = addr;
		bcast.s_addr |= htonl(prefix ? (1u << (32 - prefix)) - 1 : ~0u);
		mnl_attr_put(h, IFA_BROADCAST, sizeof(bcast), &bcast);
	}
	r = transact(nl, h, NULL, NULL);
	if (r == -EEXIST)
		return -EEXIST;
	if (r < 0)
		return error_set_errno(err, -r, "add address %s/%u to \"%s\"",
		                       inet_ntop(AF_INET, &addr, text, sizeof(text)), prefix, name);
	return 0;
}

int nl_route_default(struct nl *nl, struct in_addr gw, struct husk_error **err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], text[INET_ADDRSTRLEN];
	struct nlmsghdr *h;
	struct rtmsg *rt;
	int r;

	h = msg_new(nl, buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	rt = mnl_nlmsg_put_extra_header(h, sizeof(*rt));
	rt->rtm_family = AF_INET;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_BOOT;
	rt->rtm_scope = RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	mnl_attr_put(h, RTA_GATEWAY, sizeof(gw), &gw);
	r = transact(nl, h, NULL, NULL);
	if (r < 0)
		return error_set_errno(err, -r, "add the default route via %s",
		                       inet_ntop(AF_INET, &gw, text, sizeof(text)));
	return 0;
}

struct routes_ctx {
	struct nl_route4 *v;
	size_t n, cap;
	struct nl *nl;
	int oif;
	struct nl_route4 cur;
};

static int route_attr(const struct nlattr *a, void *data)
{
	struct routes_ctx *c = data;

	switch (mnl_attr_get_type(a)) {
	case RTA_DST:
		if (mnl_attr_get_payload_len(a) == sizeof(struct in_addr))
			memcpy(&c->cur.dst, mnl_attr_get_payload(a), sizeof(struct in_addr));
		break;
	case RTA_OIF:
		c->oif = (int)mnl_attr_get_u32(a);
		break;
	}
	return MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *m, void *data)
{
	struct routes_ctx *c = data;
	const struct rtmsg *rt = mnl_nlmsg_get_payload(m);

	if (rt->rtm_family != AF_INET || rt->rtm_table != RT_TABLE_MAIN)
		return MNL_CB_OK;
	c->cur = (struct nl_route4){.prefix = rt->rtm_dst_len};
	c->oif = 0;
	mnl_attr_parse(m, sizeof(*rt), route_attr, c);
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct nl_route4 *v = reallocarray(c->v, cap, sizeof(*v));
		if (!v)
			return MNL_CB_ERROR;
		c->v = v;
		c->cap = cap;
	}
	if (c->oif > 0)
		snprintf(c->cur.oif, sizeof(c->cur.oif), "#%d", c->oif);
	c->v[c->n++] = c->cur;
	return MNL_CB_OK;
}

int nl_routes4(struct nl *nl, struct nl_route4 **ret, size_t *ret_n, struct husk_error **err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *h;
	struct rtmsg *rt;
	struct routes_ctx c = {.nl = nl};
	int r;

	h = msg_new(nl, buf, RTM_GETROUTE, NLM_F_DUMP);
	h->nlmsg_flags &= ~NLM_F_ACK;
	rt = mnl_nlmsg_put_extra_header(h, sizeof(*rt));
	rt->rtm_family = AF_INET;
	r = transact(nl, h, route_cb, &c);
	if (r < 0) {
		free(c.v);
		return error_set_errno(err, -r, "list the IPv4 routes");
	}
	*ret = c.v;
	*ret_n = c.n;
	return 0;
}

struct netns_ctx {
	const char *path;
};

static int netns_new(void *data)
{
	struct netns_ctx *c = data;

	if (unshare(CLONE_NEWNET) < 0)
		return -errno;
	if (mount("/proc/thread-self/ns/net", c->path, NULL, MS_BIND, NULL) < 0)
		return -errno;
	return 0;
}

int netns_create(const char *path, struct husk_error **err)
{
	_cleanup_close_ int self = -1, fd = -1;
	struct netns_ctx c = {path};
	int r;

	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return error_set_errno(err, errno, "create \"%s\"", path);
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return error_set_errno(err, errno, "open this thread's network namespace");
	r = netns_new(&c);
	if (setns(self, CLONE_NEWNET) < 0)
		abort(); /* this thread would serve requests in the wrong namespace */
	if (r < 0) {
		unlink(path);
		return error_set_errno(err, -r, "create a network namespace at \"%s\"", path);
	}
	return 0;
}

int netns_remove(const char *path, struct husk_error **err)
{
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		return error_set_errno(err, errno, "unmount \"%s\"", path);
	if (unlink(path) < 0 && errno != ENOENT)
		return error_set_errno(err, errno, "remove \"%s\"", path);
	return 0;
}
