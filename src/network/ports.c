/* ports.c — published ports (-p, -P): checked against the host's own
 * sockets, then published as DNAT entries of husk's table, and recorded
 * in the container's endpoint so they are withdrawn on stop, also after
 * a daemon restart. Leak checks for `system check` are here too. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/log.h"
#include "base/str.h"
#include "network/netlink.h"
#include "network/network_internal.h"

#define PORT_RANGE_MAX 65535

struct binding {
	int proto;
	uint16_t port;
	struct in_addr host_ip;
	uint16_t lo, hi; /* host port range; 0,0: any */
};

/* "8080/tcp" → port and protocol. */
static int parse_container_port(const char *key, uint16_t *ret_port, int *ret_proto,
                                struct husk_error **err)
{
	char *end;
	unsigned long p;
	const char *slash = strchr(key, '/');

	errno = 0;
	p = strtoul(key, &end, 10);
	if (end == key || errno || p == 0 || p > PORT_RANGE_MAX || (*end && end != slash))
		return error_set(err, EINVAL, "invalid port \"%s\": expected 1-65535[/tcp|/udp]",
		                 key);
	*ret_proto = IPPROTO_TCP;
	if (slash && streq(slash + 1, "udp"))
		*ret_proto = IPPROTO_UDP;
	else if (slash && !streq(slash + 1, "tcp"))
		return error_set(err, EINVAL, "invalid protocol in \"%s\": expected tcp or udp",
		                 key);
	*ret_port = (uint16_t)p;
	return 0;
}

/* HostPort "", "1234" or "8000-8010". */
static int parse_host_port(const char *s, uint16_t *lo, uint16_t *hi, struct husk_error **err)
{
	unsigned long a, b;
	char *end;

	*lo = *hi = 0;
	if (isempty(s))
		return 0;
	errno = 0;
	a = strtoul(s, &end, 10);
	b = a;
	if (*end == '-')
		b = strtoul(end + 1, &end, 10);
	if (errno || *end || a == 0 || a > PORT_RANGE_MAX || b < a || b > PORT_RANGE_MAX)
		return error_set(err, EINVAL,
		                 "invalid host port \"%s\": expected 1-65535 or a range", s);
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

/* Bind host_ip:port for proto (port 0: a random free one, told in *ret):
 * the socket, which holds the port while it is published (nothing else on
 * the host, another daemon included, can bind it meanwhile), or -errno. */
static int host_port_take(int proto, struct in_addr host_ip, uint16_t port, uint16_t *ret)
{
	struct sockaddr_in sa = {
	        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr = host_ip};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, (proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC,
	                0);
	int one = 1;

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	/* what reaches a held UDP port rather than its container is dropped */
	if (proto == IPPROTO_UDP)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &one, sizeof(one));
	*ret = ntohs(sa.sin_port);
	return fd;
}

/* "tcp/127.0.0.1:1234": a published port's key among the held ones. */
static const char *held_key(const struct nat_port *p, char *buf, size_t len)
{
	char ip[INET_ADDRSTRLEN];

	snprintf(buf, len, "%s/%s:%u", p->proto == IPPROTO_UDP ? "udp" : "tcp",
	         inet_ntop(AF_INET, &p->host_ip, ip, sizeof(ip)), p->host_port);
	return buf;
}

/* Keep fd, the socket holding p's host port (closed if it cannot be). */
static void port_hold(struct networks *n, const struct nat_port *p, int fd)
{
	char key[48];

	port_release(n, p);
	if (json_object_set_new(n->held, held_key(p, key, sizeof(key)), json_integer(fd)) < 0)
		close(fd);
}

void port_release(struct networks *n, const struct nat_port *p)
{
	char key[48];
	json_t *fd = json_object_get(n->held, held_key(p, key, sizeof(key)));

	if (!fd)
		return;
	close((int)json_integer_value(fd));
	json_object_del(n->held, key);
}

void ports_release_all(struct networks *n)
{
	const char *key;
	json_t *fd;

	json_object_foreach (n->held, key, fd)
		close((int)json_integer_value(fd));
	json_object_clear(n->held);
}

static json_t *find_ep(struct networks *n, const char *container_id, struct in_addr ip)
{
	char a[INET_ADDRSTRLEN];
	const char *key;
	json_t *ep;

	inet_ntop(AF_INET, &ip, a, sizeof(a));
	json_object_foreach (n->eps, key, ep)
		if (streq(json_string_value(json_object_get(ep, "ContainerID")), container_id) &&
		    streq(json_string_value(json_object_get(ep, "IPAddress")), a))
			return ep;
	return NULL;
}

static int nat_port_of(json_t *p, struct nat_port *ret)
{
	const char *proto = json_string_value(json_object_get(p, "Proto"));
	const char *hip = json_string_value(json_object_get(p, "HostIp"));
	const char *ip = json_string_value(json_object_get(p, "Ip"));

	*ret = (struct nat_port){
	        .proto = streq(proto, "udp") ? IPPROTO_UDP : IPPROTO_TCP,
	        .host_port = (uint16_t)json_integer_value(json_object_get(p, "HostPort")),
	        .port = (uint16_t)json_integer_value(json_object_get(p, "Port")),
	};
	if (!hip || !ip || inet_pton(AF_INET, hip, &ret->host_ip) != 1 ||
	    inet_pton(AF_INET, ip, &ret->ip) != 1)
		return -EINVAL;
	return 0;
}

/* f on every port the endpoints publish. */
static void each_published(struct networks *n,
                           void (*f)(struct networks *, const struct nat_port *))
{
	const char *key;
	json_t *ep, *p;
	size_t i;

	json_object_foreach (n->eps, key, ep)
		json_array_foreach (json_object_get(ep, "Ports"), i, p) {
			struct nat_port np;
			if (nat_port_of(p, &np) == 0)
				f(n, &np);
		}
}

static void redirect_one(struct networks *n, const struct nat_port *p)
{
	_cleanup_error_ struct husk_error *e = NULL;

	if (p->proto == IPPROTO_TCP &&
	    portredir_add(n->redir, p->host_ip, p->host_port, p->ip, p->port, &e) < 0)
		log_warn("%s (the host's connections go through DNAT)", error_message(e));
}

int net_port_add(struct networks *n, const struct nat_port *p, struct husk_error **err)
{
	int r = nat_port_add(n->nat, p, err);

	/* the redirect only speeds the host's connections up: DNAT serves
	 * them as well when it cannot be had */
	if (r == 0 && portredir_active(n->redir))
		redirect_one(n, p);
	return r;
}

void ports_redirect_all(struct networks *n)
{
	each_published(n, redirect_one);
}

static void hold_one(struct networks *n, const struct nat_port *p)
{
	char key[48];
	uint16_t port;
	int fd = host_port_take(p->proto, p->host_ip, p->host_port, &port);

	if (fd < 0)
		log_warn("published port %s: held by another process since (%s); it still reaches "
		         "its container",
		         held_key(p, key, sizeof(key)), strerror(-fd));
	else
		port_hold(n, p, fd);
}

void ports_hold_all(struct networks *n)
{
	each_published(n, hold_one);
}

void net_port_del(struct networks *n, const struct nat_port *p)
{
	_cleanup_error_ struct husk_error *e = NULL;

	if (p->proto == IPPROTO_TCP && n->redir &&
	    portredir_del(n->redir, p->host_ip, p->host_port, &e) < 0)
		log_warn("%s", error_message(e));
	if (n->nat)
		nat_port_del(n->nat, p, NULL);
	port_release(n, p);
}

void ports_unpublish_record(struct networks *n, json_t *ep)
{
	json_t *p;
	size_t i;

	json_array_foreach (json_object_get(ep, "Ports"), i, p) {
		struct nat_port np;
		if (nat_port_of(p, &np) == 0)
			net_port_del(n, &np);
	}
	json_array_clear(json_object_get(ep, "Ports"));
}

/* Publish one binding on the first free host port of its range. */
static int publish_one(struct networks *n, json_t *ep, const struct binding *b, struct in_addr ip,
                       uint16_t *ret_host_port, struct husk_error **err)
{
	char hip[INET_ADDRSTRLEN], cip[INET_ADDRSTRLEN];
	const char *proto = b->proto == IPPROTO_UDP ? "udp" : "tcp";
	uint16_t port = 0;
	int r = -EADDRINUSE, fd;

	inet_ntop(AF_INET, &b->host_ip, hip, sizeof(hip));
	inet_ntop(AF_INET, &ip, cip, sizeof(cip));
	if (!b->lo)
		r = host_port_take(b->proto, b->host_ip, 0, &port);
	for (unsigned p = b->lo; b->lo && r < 0 && p <= b->hi; p++)
		r = host_port_take(b->proto, b->host_ip, (uint16_t)p, &port);
	if (r < 0) {
		if (b->lo == b->hi)
			return error_set(err, -r, "Bind for %s:%u failed: %s", hip, b->lo,
			                 r == -EADDRINUSE ? "port is already allocated"
			                                  : strerror(-r));
		return error_set(err, -r, "Bind for %s:%u-%u failed: no free port in the range",
		                 hip, b->lo, b->hi);
	}
	fd = r;
	struct nat_port np = {b->proto, b->host_ip, port, ip, b->port};
	r = net_port_add(n, &np, err);
	if (r < 0) {
		close(fd);
		return r;
	}
	port_hold(n, &np, fd);
	json_array_append_new(json_object_get(ep, "Ports"),
	                      json_pack("{s:s, s:s, s:i, s:s, s:i}", "Proto", proto, "HostIp", hip,
	                                "HostPort", port, "Ip", cip, "Port", b->port));
	*ret_host_port = port;
	return 0;
}

static int publish_key(struct networks *n, json_t *ep, const char *key, json_t *list,
                       struct in_addr ip, json_t *out, struct husk_error **err)
{
	json_t *item, *arr = json_array();
	size_t i;
	int r;

	if (!arr)
		return error_set(err, ENOMEM, "out of memory");
	json_object_set_new(out, key, arr);
	json_array_foreach (list, i, item) {
		struct binding b = {0};
		const char *hip = json_string_value(json_object_get(item, "HostIp"));
		uint16_t host_port = 0;
		char text[8];

		r = parse_container_port(key, &b.port, &b.proto, err);
		if (r == 0)
			r = parse_host_port(json_string_value(json_object_get(item, "HostPort")),
			                    &b.lo, &b.hi, err);
		if (r < 0)
			return r;
		if (!isempty(hip) && inet_pton(AF_INET, hip, &b.host_ip) != 1) {
			if (strchr(hip, ':'))
				continue; /* IPv6 host addresses: this network is IPv4 only */
			return error_set(err, EINVAL, "invalid host IP \"%s\"", hip);
		}
		r = publish_one(n, ep, &b, ip, &host_port, err);
		if (r < 0)
			return r;
		snprintf(text, sizeof(text), "%u", host_port);
		json_array_append_new(arr,
		                      json_pack("{s:s, s:s}", "HostIp",
		                                isempty(hip) ? "0.0.0.0" : hip, "HostPort", text));
	}
	return 0;
}

int ports_publish(struct networks *n, const char *container_id, struct in_addr ip, json_t *bindings,
                  json_t *exposed, bool publish_all, json_t **ret, struct husk_error **err)
{
	_cleanup_(json_decrefp) json_t *out = json_object();
	const char *key, *ep_key_s = NULL;
	json_t *ep, *list, *any_binding = json_pack("[{s:s, s:s}]", "HostIp", "", "HostPort", "");
	int r = 0;

	if (!out || !any_binding) {
		json_decref(any_binding);
		return error_set(err, ENOMEM, "out of memory");
	}
	pthread_mutex_lock(&n->lock);
	ep = find_ep(n, container_id, ip);
	if (!ep)
		r = error_set(err, ENOENT, "no endpoint of container %.12s at that address",
		              container_id);
	else if (!n->nat && (json_object_size(bindings) || publish_all))
		r = error_set(err, ENOTSUP,
		              "publishing ports needs husk's NAT (daemon.json \"iptables\": true)");
	json_object_foreach (bindings, key, list) {
		if (r < 0)
			break;
		r = publish_key(n, ep, key, list, ip, out, err);
	}
	json_object_foreach (publish_all ? exposed : NULL, key, list) {
		if (r < 0)
			break;
		if (!json_object_get(out, key))
			r = publish_key(n, ep, key, any_binding, ip, out, err);
	}
	json_object_foreach (exposed, key, list)
		if (!json_object_get(out, key))
			json_object_set_new(out, key, json_null());
	json_decref(any_binding);
	if (ep) {
		json_t *k;
		const char *kk;
		json_object_foreach (n->eps, kk, k)
			if (k == ep)
				ep_key_s = kk;
		if (r < 0)
			ports_unpublish_record(n, ep);
		if (ep_key_s) {
			int r2 = net_record_save(n, "endpoints", ep_key_s, ep, r < 0 ? NULL : err);
			if (r == 0)
				r = r2;
		}
	}
	pthread_mutex_unlock(&n->lock);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(out);
	return 0;
}

int ports_unpublish(struct networks *n, const char *container_id, struct husk_error **err)
{
	const char *key;
	json_t *ep;
	int r = 0;

	pthread_mutex_lock(&n->lock);
	json_object_foreach (n->eps, key, ep) {
		if (!streq(json_string_value(json_object_get(ep, "ContainerID")), container_id) ||
		    !json_array_size(json_object_get(ep, "Ports")))
			continue;
		ports_unpublish_record(n, ep);
		if (net_record_save(n, "endpoints", key, ep, err) < 0)
			r = -EIO;
	}
	pthread_mutex_unlock(&n->lock);
	return r;
}

/* Whether link v is on one of this daemon's bridges, or on none (another
 * daemon's veths are on its own bridges). Lock held. */
static bool veth_ours(struct networks *n, struct nl *nl, const char *v)
{
	int master = nl_link_master(nl, v);
	const char *id;
	json_t *net;

	if (master <= 0)
		return master == 0;
	json_object_foreach (n->nets, id, net) {
		const char *br = json_string_value(json_object_get(
		        json_object_get(net, "Options"), "com.docker.network.bridge.name"));
		if (br && nl_link_index(nl, br) == master)
			return true;
	}
	return false;
}

/* The vhusk links of this daemon that no endpoint record knows. */
static int veths_unknown(struct networks *n, struct nl *nl, char ***ret, struct husk_error **err)
{
	_cleanup_strv_ char **veths = NULL, **out = strv_new();
	const char *key;
	json_t *ep;
	int r;

	if (!out)
		return error_set(err, ENOMEM, "out of memory");
	r = nl_link_names(nl, "vhusk", &veths, err);
	if (r < 0)
		return r;
	pthread_mutex_lock(&n->lock);
	STRV_FOREACH (v, veths) {
		bool known = false;
		json_object_foreach (n->eps, key, ep)
			known |= streq(json_string_value(json_object_get(ep, "Veth")), *v);
		if (!known && veth_ours(n, nl, *v) && strv_push(&out, *v) < 0)
			r = error_set(err, ENOMEM, "out of memory");
	}
	pthread_mutex_unlock(&n->lock);
	if (r == 0)
		*ret = TAKE_PTR(out);
	return r;
}

/* The redirect map holds the published TCP ports, no more, no less; and
 * its programs go with the last endpoint. Lock held. */
static void redir_check(struct networks *n, json_t *out)
{
	size_t tcp = 0, mapped = 0;
	const char *key;
	json_t *ep, *p;
	size_t i;

	if (!portredir_active(n->redir))
		return;
	if (json_object_size(n->eps) == 0) {
		json_array_append_new(out, json_sprintf("BPF programs %s attached with no "
		                                        "endpoint",
		                                        n->table));
		return;
	}
	json_object_foreach (n->eps, key, ep)
		json_array_foreach (json_object_get(ep, "Ports"), i, p)
			tcp += streq(json_string_value(json_object_get(p, "Proto")), "tcp");
	if (portredir_count(n->redir, &mapped, NULL) == 0 && mapped != tcp)
		json_array_append_new(out, json_sprintf("%zu ports redirected by BPF programs %s "
		                                        "for %zu published over TCP",
		                                        mapped, n->table, tcp));
}

int networks_check(struct networks *n, char *const *live, json_t **ret, struct husk_error **err)
{
	_cleanup_(json_decrefp) json_t *out = json_array();
	_cleanup_strv_ char **veths = NULL;
	_cleanup_(nl_closep) struct nl *nl = NULL;
	const char *key;
	json_t *ep;
	int r;

	if (!out)
		return error_set(err, ENOMEM, "out of memory");
	/* the links of this namespace, where the bridges are (not sysfs,
	 * which shows the namespace it was mounted in); the veths of a
	 * namespace that just died linger until the kernel has dismantled it,
	 * so unknown ones are looked at again for up to a second */
	r = nl_open(-1, &nl, err);
	for (int i = 0; r == 0 && i < 20; i++) {
		strv_free(veths);
		veths = NULL;
		r = veths_unknown(n, nl, &veths, err);
		if (r < 0 || !veths[0])
			break;
		usleep(50 * 1000);
	}
	if (r < 0)
		return r;
	pthread_mutex_lock(&n->lock);
	net_nat_settle(n);
	json_object_foreach (n->eps, key, ep) {
		const char *cid = json_string_value(json_object_get(ep, "ContainerID"));
		if (!strv_contains(live, cid))
			json_array_append_new(
			        out,
			        json_sprintf("network endpoint %s of container %.12s, "
			                     "which is not running",
			                     json_string_value(json_object_get(ep, "Veth")), cid));
	}
	redir_check(n, out);
	pthread_mutex_unlock(&n->lock);
	STRV_FOREACH (v, veths)
		json_array_append_new(out, json_sprintf("interface %s has no endpoint", *v));
	*ret = TAKE_PTR(out);
	return 0;
}
