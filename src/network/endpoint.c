/* endpoint.c — a container on a bridge network: its veth pair, address,
 * route, and the /etc/hosts that lets containers of a user network find
 * each other by name and alias. */
#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "base/digest.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "network/netlink.h"
#include "network/network_internal.h"

static const char hosts_base[] = "127.0.0.1\tlocalhost\n"
                                 "::1\tlocalhost ip6-localhost ip6-loopback\n"
                                 "fe00::0\tip6-localnet\n"
                                 "ff00::0\tip6-mcastprefix\n"
                                 "ff02::1\tip6-allnodes\n"
                                 "ff02::2\tip6-allrouters\n";

/* "<container>_<network id>": the endpoint's key and record file name. */
static char *ep_key(const char *container_id, const char *net_id)
{
	return str_printf("%s_%s", container_id, net_id);
}

/* The host end of the veth: "vhusk" + 8 hex of sha256(container, network),
 * so each (container, network) pair has its own and a leak is
 * recognisable as ours. */
static void veth_name(const char *container_id, const char *net_id, char ret[16])
{
	_cleanup_free_ char *k = ep_key(container_id, net_id);
	struct digest d;

	digest_buf(k ? k : container_id, k ? strlen(k) : strlen(container_id), &d);
	snprintf(ret, 16, "vhusk%.8s", digest_hex(&d));
}

/* How many endpoints the container has, and the lowest N no eth<N> of
 * theirs uses (a network disconnected from a running container frees
 * its interface name). */
static size_t container_eps(struct networks *n, const char *container_id, size_t *ret_free)
{
	const char *key;
	json_t *ep;
	size_t count = 0, index = 0;
	bool taken = true;

	json_object_foreach (n->eps, key, ep)
		if (streq(json_string_value(json_object_get(ep, "ContainerID")), container_id))
			count++;
	for (; taken; index += taken) {
		char ifname[16];
		snprintf(ifname, sizeof(ifname), "eth%zu", index);
		taken = false;
		json_object_foreach (n->eps, key, ep)
			taken |= streq(json_string_value(json_object_get(ep, "ContainerID")),
			               container_id) &&
			         streq(json_string_value(json_object_get(ep, "Ifname")), ifname);
	}
	*ret_free = index;
	return count;
}

static bool is_user_network(json_t *net)
{
	const char *name = json_string_value(json_object_get(net, "Name"));

	return !streq(name, "bridge") && !streq(name, "host") && !streq(name, "none");
}

/* Write the hosts file of one endpoint's container: the base lines, its
 * own addresses with its hostname, and on user networks every other
 * container there by name and aliases. Written in place (truncate and
 * write): the file is bind-mounted into the container, a rename would
 * leave the container looking at the old inode. */
static void hosts_write(struct networks *n, json_t *self)
{
	const char *path = json_string_value(json_object_get(self, "HostsPath"));
	const char *cid = json_string_value(json_object_get(self, "ContainerID"));
	_cleanup_(strbuf_release) struct strbuf sb = {0};
	_cleanup_close_ int fd = -1;
	const char *key, *k2;
	json_t *ep, *peer;

	if (!path)
		return;
	strbuf_puts(&sb, hosts_base);
	json_object_foreach (n->eps, key, ep) {
		if (!streq(json_string_value(json_object_get(ep, "ContainerID")), cid))
			continue;
		strbuf_printf(&sb, "%s\t%s\n", json_string_value(json_object_get(ep, "IPAddress")),
		              json_string_value(json_object_get(ep, "Hostname")));
		json_t *net = json_object_get(n->nets,
		                              json_string_value(json_object_get(ep, "NetworkID")));
		if (!is_user_network(net))
			continue;
		json_object_foreach (n->eps, k2, peer) {
			size_t i;
			json_t *alias;
			if (peer == ep ||
			    !streq(json_string_value(json_object_get(peer, "NetworkID")),
			           json_string_value(json_object_get(ep, "NetworkID"))))
				continue;
			const char *name = json_string_value(json_object_get(peer, "Name"));
			const char *host = json_string_value(json_object_get(peer, "Hostname"));
			bool host_told = isempty(host) || streq(host, name);
			strbuf_printf(&sb, "%s\t%s",
			              json_string_value(json_object_get(peer, "IPAddress")), name);
			json_array_foreach (json_object_get(peer, "Aliases"), i, alias) {
				strbuf_printf(&sb, " %s", json_string_value(alias));
				host_told = host_told || streq(json_string_value(alias), host);
			}
			/* the names its inspect lists (DNSNames): short ID, hostname
			 * (by default the short ID itself) */
			char short_id[13];
			snprintf(short_id, sizeof(short_id), "%.12s",
			         json_string_value(json_object_get(peer, "ContainerID")) ?: "");
			strbuf_printf(&sb, " %s", short_id);
			if (!host_told && !streq(host, short_id))
				strbuf_printf(&sb, " %s", host);
			strbuf_puts(&sb, "\n");
		}
	}
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0 && sb.len)
		(void)!write_all(fd, sb.buf, sb.len);
}

void endpoint_hosts_refresh(struct networks *n, const char *net_id)
{
	const char *key;
	json_t *ep;

	json_object_foreach (n->eps, key, ep)
		if (streq(json_string_value(json_object_get(ep, "NetworkID")), net_id))
			hosts_write(n, ep);
}

static json_t *ep_record_new(const struct endpoint_config *ec, json_t *net, const char *veth,
                             const char *ifname, struct in_addr ip, unsigned prefix,
                             struct in_addr gw)
{
	char a[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN], cidr[32];
	unsigned char rnd[32];
	char eid[65];
	json_t *aliases = json_array();

	if (!aliases || getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
		json_decref(aliases);
		return NULL;
	}
	for (size_t i = 0; i < sizeof(rnd); i++)
		sprintf(eid + 2 * i, "%02x", rnd[i]);
	STRV_FOREACH (al, ec->aliases)
		json_array_append_new(aliases, json_string(*al));
	inet_ntop(AF_INET, &ip, a, sizeof(a));
	inet_ntop(AF_INET, &gw, g, sizeof(g));
	snprintf(cidr, sizeof(cidr), "%s/%u", a, prefix);
	return json_pack("{s:s, s:O, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:o, s:s*, s:[]}",
	                 "ContainerID", ec->container_id, "NetworkID", json_object_get(net, "Id"),
	                 "EndpointID", eid, "Name", ec->container_name, "IPAddress", a,
	                 "IPv4Address", cidr, "IPPrefixLen", (int)prefix, "Gateway", g, "Veth",
	                 veth, "Ifname", ifname, "MacAddress", "", "Aliases", aliases, "HostsPath",
	                 ec->hosts_path, "Ports");
}

/* The container's side: loopback, its interface, its MAC address when one
 * is asked (want_mac), address and (its first endpoint only) the default
 * route; mac gets the address it has. */
static int inside_setup(int nsfd, const char *ifname, struct in_addr ip, unsigned prefix,
                        struct in_addr gw, bool route, const uint8_t *want_mac, char mac[18],
                        struct husk_error **err)
{
	_cleanup_(nl_closep) struct nl *nl = NULL;
	int r;

	r = nl_open(nsfd, &nl, err);
	if (r == 0)
		r = nl_link_up(nl, "lo", NULL, err);
	if (r == 0 && want_mac)
		r = nl_link_set_mac(nl, ifname, want_mac, err);
	if (r == 0)
		r = nl_addr_add(nl, ifname, ip, prefix, err);
	if (r == 0)
		r = nl_link_up(nl, ifname, NULL, err);
	if (r == 0 && route)
		r = nl_route_default(nl, gw, err);
	if (r == 0)
		r = nl_link_mac(nl, ifname, mac, err);
	return r;
}

int network_mac_parse(const char *s, uint8_t ret[6])
{
	unsigned b[6];
	char sep;

	if (!s || strlen(s) != 17)
		return -EINVAL;
	sep = s[2];
	if (sep != ':' && sep != '-')
		return -EINVAL;
	for (size_t i = 0; i < 17; i++)
		if (i % 3 == 2 ? s[i] != sep : !isxdigit((unsigned char)s[i]))
			return -EINVAL;
	/* (the characters are checked: sscanf only splits) */
	if (sscanf(s, "%2x%*c%2x%*c%2x%*c%2x%*c%2x%*c%2x", &b[0], &b[1], &b[2], &b[3], &b[4],
	           &b[5]) != 6)
		return -EINVAL;
	for (size_t i = 0; i < 6; i++)
		ret[i] = (uint8_t)b[i];
	return 0;
}

static json_t *settings_json(json_t *ep)
{
	return json_pack(
	        "{s:n, s:n, s:O, s:O, s:O, s:O, s:O, s:O, s:s, s:s, s:i, s:O, s:n}", "IPAMConfig",
	        "Links", "Aliases", json_object_get(ep, "Aliases"), "NetworkID",
	        json_object_get(ep, "NetworkID"), "EndpointID", json_object_get(ep, "EndpointID"),
	        "Gateway", json_object_get(ep, "Gateway"), "IPAddress",
	        json_object_get(ep, "IPAddress"), "IPPrefixLen", json_object_get(ep, "IPPrefixLen"),
	        "IPv6Gateway", "", "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0, "MacAddress",
	        json_object_get(ep, "MacAddress"), "DriverOpts");
}

/* Undo what connect did for ep (any part may be missing); keep_link leaves
 * the veth to its dying namespace. Lock held. */
static void ep_teardown(struct networks *n, json_t *net, json_t *ep, const char *key,
                        bool keep_link)
{
	_cleanup_(nl_closep) struct nl *nl = NULL;
	_cleanup_(ipam_freep) struct ipam *ipam = NULL;
	_cleanup_free_ char *k = strdup(key);

	ports_unpublish_record(n, ep);
	if (!keep_link && nl_open(-1, &nl, NULL) == 0)
		nl_link_del(nl, json_string_value(json_object_get(ep, "Veth")), NULL);
	if (net && net_ipam_open(n, net, &ipam, NULL) == 0)
		ipam_release(ipam, json_string_value(json_object_get(ep, "ContainerID")), NULL);
	if (k) {
		net_record_save(n, "endpoints", k, NULL, NULL);
		json_object_del(n->eps, k);
	}
	net_nat_release(n);
}

static int connect_locked(struct networks *n, json_t *net, const char *netns_path,
                          const struct endpoint_config *ec, json_t **ret, struct husk_error **err)
{
	const char *net_id = json_string_value(json_object_get(net, "Id"));
	_cleanup_free_ char *key = ep_key(ec->container_id, net_id);
	_cleanup_(ipam_freep) struct ipam *ipam = NULL;
	_cleanup_(nl_closep) struct nl *nl = NULL;
	_cleanup_close_ int nsfd = -1;
	struct ipam_subnet s;
	struct in_addr gw, ip;
	char veth[16], ifname[16], mac[18];
	size_t index, others;
	json_t *ep;
	int r;

	if (!key)
		return error_set(err, ENOMEM, "out of memory");
	if (json_object_get(n->eps, key))
		return error_set(err, EEXIST, "endpoint with name %s already exists in network %s",
		                 ec->container_name,
		                 json_string_value(json_object_get(net, "Name")));
	r = net_subnet(net, &s, &gw, err);
	if (r == 0)
		r = net_bridge_ensure(n, net, err);
	if (r == 0)
		r = net_ipam_open(n, net, &ipam, err);
	if (r == 0)
		r = ipam_alloc(ipam, ec->container_id, ec->ip, &ip, err);
	if (r < 0)
		return r;
	others = container_eps(n, ec->container_id, &index);
	veth_name(ec->container_id, net_id, veth);
	snprintf(ifname, sizeof(ifname), "eth%zu", index);
	ep = ep_record_new(ec, net, veth, ifname, ip, s.prefix, gw);
	if (!ep || json_object_set_new(n->eps, key, ep) < 0) {
		ipam_release(ipam, ec->container_id, NULL);
		return error_set(err, ENOMEM, "out of memory");
	}
	json_object_set_new(ep, "Hostname", json_string(ec->hostname ? ec->hostname : ""));
	/* the record is on disk before the kernel changes: a crash from here on
	 * leaves something a restart can undo */
	r = net_record_save(n, "endpoints", key, ep, err);
	if (r == 0) {
		nsfd = open(netns_path, O_RDONLY | O_CLOEXEC);
		if (nsfd < 0)
			r = error_set_errno(err, errno, "open network namespace \"%s\"",
			                    netns_path);
	}
	if (r == 0)
		r = nl_open(-1, &nl, err);
	if (r == 0)
		r = nl_veth_add(nl, veth, ifname, nsfd, n->cfg.mtu, err);
	if (r == -EEXIST) {
		/* the veth of this endpoint's previous run, whose namespace the
		 * kernel has not finished dismantling */
		error_clear(err);
		nl_link_del(nl, veth, NULL);
		r = nl_veth_add(nl, veth, ifname, nsfd, n->cfg.mtu, err);
	}
	if (r == 0)
		r = nl_link_up(nl, veth,
		               json_string_value(json_object_get(json_object_get(net, "Options"),
		                                                 "com.docker.network.bridge.name")),
		               err);
	if (r == 0)
		r = inside_setup(nsfd, ifname, ip, s.prefix, gw, others == 0, ec->mac, mac, err);
	if (r == 0) {
		json_object_set_new(ep, "MacAddress", json_string(mac));
		r = net_record_save(n, "endpoints", key, ep, err);
	}
	if (r < 0) {
		ep_teardown(n, net, ep, key, false);
		return r;
	}
	endpoint_hosts_refresh(n, net_id);
	*ret = settings_json(ep);
	return *ret ? 0 : error_set(err, ENOMEM, "out of memory");
}

int network_connect(struct networks *n, const char *name, const char *netns_path,
                    const struct endpoint_config *ec, json_t **ret, struct husk_error **err)
{
	json_t *net;
	int r;

	pthread_mutex_lock(&n->lock);
	net = net_find(n, name);
	if (!net)
		r = error_set(err, ENOENT, "network %s not found", name);
	else if (!streq(json_string_value(json_object_get(net, "Driver")), "bridge"))
		r = error_set(err, EINVAL,
		              "container cannot be connected to network \"%s\" (driver %s): only "
		              "bridge networks have endpoints",
		              name, json_string_value(json_object_get(net, "Driver")));
	else
		r = connect_locked(n, net, netns_path, ec, ret, err);
	pthread_mutex_unlock(&n->lock);
	return r < 0 ? error_wrap(err, "connect to network %s", name) : 0;
}

int network_default_route(const char *netns_path, struct in_addr gw, struct husk_error **err)
{
	_cleanup_(nl_closep) struct nl *nl = NULL;
	_cleanup_close_ int nsfd = open(netns_path, O_RDONLY | O_CLOEXEC);
	_cleanup_error_ struct husk_error *e = NULL;
	int r;

	if (nsfd < 0)
		return error_set_errno(err, errno, "open \"%s\"", netns_path);
	r = nl_open(nsfd, &nl, err);
	if (r == 0 && (r = nl_route_default(nl, gw, &e)) == -EEXIST)
		r = 0;
	if (r < 0 && e)
		error_set(err, error_code(e), "%s", error_message(e));
	return r;
}

int network_disconnect(struct networks *n, const char *name, const char *container_id,
                       struct husk_error **err)
{
	_cleanup_free_ char *key = NULL, *net_id = NULL;
	json_t *net, *ep;
	int r = 0;

	pthread_mutex_lock(&n->lock);
	net = net_find(n, name);
	if (!net) {
		r = error_set(err, ENOENT, "network %s not found", name);
		goto out;
	}
	net_id = strdup(json_string_value(json_object_get(net, "Id")));
	key = net_id ? ep_key(container_id, net_id) : NULL;
	if (!key) {
		r = error_set(err, ENOMEM, "out of memory");
		goto out;
	}
	ep = json_object_get(n->eps, key);
	if (ep) {
		json_incref(ep);
		ep_teardown(n, net, ep, key, false);
		json_decref(ep);
		endpoint_hosts_refresh(n, net_id);
	}
out:
	pthread_mutex_unlock(&n->lock);
	return r;
}

int network_disconnect_all(struct networks *n, const char *container_id, bool netns_dying,
                           struct husk_error **err)
{
	_cleanup_strv_ char **keys = strv_new();
	const char *key;
	json_t *ep;

	if (!keys)
		return error_set(err, ENOMEM, "out of memory");
	pthread_mutex_lock(&n->lock);
	json_object_foreach (n->eps, key, ep)
		if (streq(json_string_value(json_object_get(ep, "ContainerID")), container_id))
			strv_push(&keys, key);
	STRV_FOREACH (k, keys) {
		ep = json_incref(json_object_get(n->eps, *k));
		_cleanup_free_ char *net_id =
		        strdup(json_string_value(json_object_get(ep, "NetworkID")));
		ep_teardown(n, json_object_get(n->nets, net_id), ep, *k, netns_dying);
		json_decref(ep);
		if (net_id)
			endpoint_hosts_refresh(n, net_id);
	}
	pthread_mutex_unlock(&n->lock);
	return 0;
}
