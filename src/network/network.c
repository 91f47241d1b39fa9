/* network.c — network records and Docker's /networks API. Endpoints are in
 * endpoint.c, published ports in ports.c. */
#include "network/network.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/digest.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"
#include "base/str.h"
#include "base/thread.h"
#include "base/timefmt.h"
#include "network/netlink.h"
#include "network/network_internal.h"

#define BRIDGE_NAME_OPT "com.docker.network.bridge.name"

static const char *const predefined[] = {"bridge", "host", "none"};

static char *random_id(void)
{
	unsigned char b[32];
	char *s = malloc(65);

	if (!s || getrandom(b, sizeof(b), 0) != sizeof(b)) {
		free(s);
		return NULL;
	}
	for (size_t i = 0; i < sizeof(b); i++)
		sprintf(s + 2 * i, "%02x", b[i]);
	return s;
}

static char *now_rfc3339(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return rfc3339_format(&ts);
}

int net_record_save(struct networks *n, const char *kind, const char *name, json_t *rec,
                    struct husk_error **err)
{
	_cleanup_free_ char *dir = path_join(n->dir, kind), *file = NULL, *path = NULL,
	                    *text = NULL;

	file = str_printf("%s.json", name);
	path = dir && file ? path_join(dir, file) : NULL;
	if (!path)
		return error_set(err, ENOMEM, "out of memory");
	if (!rec) {
		if (unlink(path) < 0 && errno != ENOENT)
			return error_set_errno(err, errno, "remove \"%s\"", path);
		return 0;
	}
	text = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text)
		return error_set(err, ENOMEM, "out of memory");
	return atomic_write_file(path, text, strlen(text), 0600, err);
}

/* Every JSON file of <dir>/<kind> into obj, keyed by key_field (or the file
 * name without .json when key_field is NULL). */
static int records_load(struct networks *n, const char *kind, const char *key_field, json_t *obj,
                        struct husk_error **err)
{
	_cleanup_free_ char *dir = path_join(n->dir, kind);
	DIR *d;
	struct dirent *de;
	int r = 0;

	if (!dir || mkdir_p(dir, 0700) < 0)
		return error_set_errno(err, errno ? errno : ENOMEM, "create \"%s\"",
		                       dir ? dir : kind);
	d = opendir(dir);
	if (!d)
		return error_set_errno(err, errno, "open \"%s\"", dir);
	while (r == 0 && (de = readdir(d))) {
		_cleanup_free_ char *path = NULL, *key = NULL;
		json_t *rec = NULL;
		if (!endswith(de->d_name, ".json"))
			continue;
		path = path_join(dir, de->d_name);
		if (!path) {
			r = error_set(err, ENOMEM, "out of memory");
			break;
		}
		r = json_load_path(path, NETWORK_RECORD_MAX, &rec, err);
		if (r < 0)
			break;
		const char *k =
		        key_field ? json_string_value(json_object_get(rec, key_field)) : NULL;
		key = k ? strdup(k) : strndup(de->d_name, strlen(de->d_name) - 5);
		if (!key || json_object_set_new(obj, key, rec) < 0)
			r = error_set(err, ENOMEM, "out of memory");
	}
	closedir(d);
	return r;
}

int net_subnet(json_t *net, struct ipam_subnet *ret_subnet, struct in_addr *ret_gw,
               struct husk_error **err)
{
	json_t *cfg = json_array_get(json_object_get(json_object_get(net, "IPAM"), "Config"), 0);
	const char *subnet = json_string_value(json_object_get(cfg, "Subnet"));
	const char *gw = json_string_value(json_object_get(cfg, "Gateway"));

	if (!subnet || ipam_subnet_parse(subnet, ret_subnet, err) < 0)
		return error_set(err, EINVAL, "network \"%s\" has no usable subnet",
		                 json_string_value(json_object_get(net, "Name")));
	if (!gw || inet_pton(AF_INET, gw, ret_gw) != 1)
		*ret_gw = ipam_first_host(ret_subnet);
	return 0;
}

int net_ipam_open(struct networks *n, json_t *net, struct ipam **ret, struct husk_error **err)
{
	struct ipam_subnet s;
	struct in_addr gw;
	_cleanup_free_ char *file = NULL, *path = NULL;

	if (net_subnet(net, &s, &gw, err) < 0)
		return -EINVAL;
	file = str_printf("ipam/%s.json", json_string_value(json_object_get(net, "Id")));
	path = file ? path_join(n->dir, file) : NULL;
	if (!path)
		return error_set(err, ENOMEM, "out of memory");
	return ipam_open(path, &s, gw, ret, err);
}

static const char *bridge_of(json_t *net)
{
	return json_string_value(json_object_get(json_object_get(net, "Options"), BRIDGE_NAME_OPT));
}

/* The subnets in use: host routes (except the default one and those of
 * the bridge itself, when it exists already) and other networks'. */
static int taken_subnets(struct networks *n, const char *bridge, struct ipam_subnet **ret,
                         size_t *ret_n, struct husk_error **err)
{
	_cleanup_(nl_closep) struct nl *nl = NULL;
	_cleanup_free_ struct nl_route4 *routes = NULL;
	struct ipam_subnet *v;
	size_t nr = 0, k = 0;
	char own[16] = "";
	const char *id;
	json_t *net;
	int r;

	r = nl_open(-1, &nl, err);
	if (r < 0)
		return r;
	r = nl_routes4(nl, &routes, &nr, err);
	if (r < 0)
		return r;
	int idx = bridge ? nl_link_index(nl, bridge) : -1;
	if (idx > 0)
		snprintf(own, sizeof(own), "#%d", idx);
	v = calloc(nr + json_object_size(n->nets) + 1, sizeof(*v));
	if (!v)
		return error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < nr; i++)
		if (routes[i].prefix > 0 && !(own[0] && streq(routes[i].oif, own)))
			v[k++] = (struct ipam_subnet){routes[i].dst, routes[i].prefix};
	json_object_foreach (n->nets, id, net) {
		struct in_addr gw;
		if (json_object_get(json_object_get(net, "IPAM"), "Config") &&
		    net_subnet(net, &v[k], &gw, NULL) == 0)
			k++;
	}
	*ret = v;
	*ret_n = k;
	return 0;
}

static json_t *network_record_new(const char *name, const char *driver)
{
	_cleanup_free_ char *id = random_id(), *created = now_rfc3339();

	if (!id || !created)
		return NULL;
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:{s:s, s:n, s:[]}, s:b, s:b, s:b, "
	                 "s:{s:s}, s:b, s:{}, s:{}}",
	                 "Name", name, "Id", id, "Created", created, "Scope", "local", "Driver",
	                 driver, "EnableIPv6", 0, "IPAM", "Driver", "default", "Options", "Config",
	                 "Internal", 0, "Attachable", 0, "Ingress", 0, "ConfigFrom", "Network", "",
	                 "ConfigOnly", 0, "Options", "Labels");
}

static int set_subnet(json_t *net, const struct ipam_subnet *s, struct in_addr gw)
{
	char subnet[32], g[INET_ADDRSTRLEN];
	json_t *cfg =
	        json_pack("{s:s, s:s}", "Subnet", ipam_subnet_format(s, subnet, sizeof(subnet)),
	                  "Gateway", inet_ntop(AF_INET, &gw, g, sizeof(g)));

	if (!cfg)
		return -ENOMEM;
	return json_array_append_new(json_object_get(json_object_get(net, "IPAM"), "Config"), cfg);
}

/* The default bridge network: its subnet from "bip" or the first free
 * pool, chosen once and kept in its record. */
static int default_bridge(struct networks *n, json_t *net, struct husk_error **err)
{
	_cleanup_free_ struct ipam_subnet *taken = NULL;
	struct ipam_subnet s;
	struct in_addr gw;
	size_t nt = 0;
	int r;

	if (json_object_set_new(json_object_get(net, "Options"), BRIDGE_NAME_OPT,
	                        json_string(n->bridge)) < 0)
		return error_set(err, ENOMEM, "out of memory");
	if (n->cfg.bip) {
		/* "bip" is the gateway with its prefix: 10.10.0.1/24 */
		char buf[64];
		const char *slash = strchr(n->cfg.bip, '/');
		if (!slash || (size_t)(slash - n->cfg.bip) >= sizeof(buf))
			return error_set(err, EINVAL, "bip \"%s\": expected ADDRESS/PREFIX",
			                 n->cfg.bip);
		memcpy(buf, n->cfg.bip, slash - n->cfg.bip);
		buf[slash - n->cfg.bip] = 0;
		if (inet_pton(AF_INET, buf, &gw) != 1)
			return error_set(err, EINVAL, "bip \"%s\": bad address", n->cfg.bip);
		unsigned long prefix = strtoul(slash + 1, NULL, 10);
		if (prefix < 8 || prefix > 30)
			return error_set(err, EINVAL, "bip \"%s\": the prefix must be 8 to 30",
			                 n->cfg.bip);
		s.prefix = (unsigned)prefix;
		s.net.s_addr = htonl(ntohl(gw.s_addr) & (~0u << (32 - prefix)));
	} else {
		r = taken_subnets(n, n->bridge, &taken, &nt, err);
		if (r < 0)
			return r;
		r = ipam_pick_subnet(taken, nt, &s, err);
		if (r < 0)
			return r;
		gw = ipam_first_host(&s);
	}
	return set_subnet(net, &s, gw) < 0 ? error_set(err, ENOMEM, "out of memory") : 0;
}

static bool has_endpoints(struct networks *n, json_t *net);

/* A default bridge record of another bridge name (daemon.json "bridge"
 * changed, or a record from before names were per daemon) takes this
 * daemon's name while nothing is connected to it. */
static int default_bridge_rename(struct networks *n, json_t *net, struct husk_error **err)
{
	json_t *opts = json_object_get(net, "Options");

	if (streq(bridge_of(net), n->bridge) || has_endpoints(n, net))
		return 0;
	if (json_object_set_new(opts, BRIDGE_NAME_OPT, json_string(n->bridge)) < 0)
		return error_set(err, ENOMEM, "out of memory");
	return net_record_save(n, "networks", json_string_value(json_object_get(net, "Id")), net,
	                       err);
}

static int predefined_ensure(struct networks *n, struct husk_error **err)
{
	static const char *const drivers[] = {"bridge", "host", "null"};

	for (size_t i = 0; i < ELEMENTSOF(predefined); i++) {
		_cleanup_(json_decrefp) json_t *net = NULL;
		int r;

		if (i == 0 && net_find(n, predefined[i])) {
			r = default_bridge_rename(n, net_find(n, predefined[i]), err);
			if (r < 0)
				return r;
		}
		if (net_find(n, predefined[i]))
			continue;
		net = network_record_new(predefined[i], drivers[i]);
		if (!net)
			return error_set(err, ENOMEM, "out of memory");
		if (i == 0) {
			r = default_bridge(n, net, err);
			if (r < 0)
				return error_wrap(err, "the default bridge network");
		}
		const char *id = json_string_value(json_object_get(net, "Id"));
		r = net_record_save(n, "networks", id, net, err);
		if (r < 0)
			return r;
		if (json_object_set(n->nets, id, net) < 0)
			return error_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

static bool ifname_valid(const char *s)
{
	size_t len = s ? strlen(s) : 0;

	return len > 0 && len < 16 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
	               len;
}

int network_daemon_names(const char *data_root, bool default_root, const char *bridge,
                         char ret_bridge[16], char ret_table[32], struct husk_error **err)
{
	struct digest d;

	if (bridge && !ifname_valid(bridge))
		return error_set(err, EINVAL,
		                 "invalid bridge name \"%s\": expected 1 to 15 of [a-zA-Z0-9_.-]",
		                 bridge);
	if (default_root) {
		snprintf(ret_bridge, 16, "%s", bridge ? bridge : NETWORK_DEFAULT_BRIDGE);
		snprintf(ret_table, 32, "%s", NAT_TABLE);
		return 0;
	}
	digest_buf(data_root, strlen(data_root), &d);
	if (bridge)
		snprintf(ret_bridge, 16, "%s", bridge);
	else
		snprintf(ret_bridge, 16, "husk%.8s", digest_hex(&d));
	snprintf(ret_table, 32, "%s_%.8s", NAT_TABLE, digest_hex(&d));
	return 0;
}

static int bridge_link_ensure(struct networks *n, json_t *net, struct husk_error **err);

static char *ipam_path_of(struct networks *n, const char *id)
{
	_cleanup_free_ char *file = str_printf("ipam/%s.json", id);

	return file ? path_join(n->dir, file) : NULL;
}

/* Whether a route of the host (no bridge of this network exists yet)
 * overlaps s: another daemon's bridge took the subnet meanwhile. */
static bool subnet_clashes(const struct ipam_subnet *s)
{
	_cleanup_(nl_closep) struct nl *nl = NULL;
	_cleanup_free_ struct nl_route4 *routes = NULL;
	size_t nr = 0;
	bool clash = false;

	if (nl_open(-1, &nl, NULL) < 0 || nl_routes4(nl, &routes, &nr, NULL) < 0)
		return false;
	for (size_t i = 0; i < nr; i++) {
		struct ipam_subnet rs = {routes[i].dst, routes[i].prefix};
		clash |= routes[i].prefix > 0 && ipam_overlaps(s, &rs);
	}
	return clash;
}

/* The default bridge's subnet is chosen again when its bridge does not
 * exist and the subnet clashes with the host's routes (never with "bip"
 * or with endpoints on it). */
static int default_bridge_repick(struct networks *n, json_t *net, struct husk_error **err)
{
	_cleanup_(nl_closep) struct nl *nl = NULL;
	_cleanup_free_ struct ipam_subnet *taken = NULL;
	_cleanup_free_ char *leases = NULL;
	const char *id = json_string_value(json_object_get(net, "Id"));
	struct ipam_subnet s;
	struct in_addr gw;
	size_t nt = 0;
	int r;

	if (n->cfg.bip || has_endpoints(n, net) || net_subnet(net, &s, &gw, NULL) < 0 ||
	    nl_open(-1, &nl, NULL) < 0 || nl_link_index(nl, n->bridge) > 0 || !subnet_clashes(&s))
		return 0;
	r = taken_subnets(n, n->bridge, &taken, &nt, err);
	if (r == 0)
		r = ipam_pick_subnet(taken, nt, &s, err);
	if (r < 0)
		return r;
	json_array_clear(json_object_get(json_object_get(net, "IPAM"), "Config"));
	if (set_subnet(net, &s, ipam_first_host(&s)) < 0 || !(leases = ipam_path_of(n, id)))
		return error_set(err, ENOMEM, "out of memory");
	unlink(leases);
	return net_record_save(n, "networks", id, net, err);
}

/* The redirect of the host's connections to published ports, taking over
 * a previous daemon's; without it (no cgroup2, no BPF) they go through
 * DNAT, as every other connection does. */
static void redir_open(struct networks *n)
{
	_cleanup_error_ struct husk_error *err = NULL;

	if (portredir_open(n->table, &n->redir, &err) < 0)
		log_info("published ports: no redirect of the host's own connections (%s)",
		         error_message(err));
}

/* Attach it with the first published port's table (with the ports
 * published already, when it comes later: after an upgrade, or once
 * detached); a kernel that refuses is not asked again. Lock held. */
static void redir_ensure(struct networks *n)
{
	_cleanup_error_ struct husk_error *err = NULL;
	int r = n->redir ? portredir_ensure(n->redir, &err) : 0;

	if (r < 0) {
		log_warn("published ports: no redirect of the host's own connections (%s)",
		         error_message(err));
		portredir_free(TAKE_PTR(n->redir));
	} else if (r > 0) {
		ports_redirect_all(n); /* a restored container's, published before */
	}
}

/* The default bridge, so that its address claims its subnet against other
 * daemons from the start; and no table or BPF program of ours unless an
 * endpoint needs it (one left by a daemon that died with nothing running
 * is deleted). */
static void networks_settle(struct networks *n)
{
	_cleanup_error_ struct husk_error *err = NULL;

	if (default_bridge_repick(n, net_find(n, "bridge"), &err) < 0 ||
	    bridge_link_ensure(n, net_find(n, "bridge"), &err) < 0)
		log_warn("the default bridge \"%s\": %s", n->bridge, error_message(err));
	pthread_mutex_lock(&n->lock);
	net_nat_release(n);
	/* restored endpoints: their ports redirected again, should the
	 * programs be gone (detached, or a daemon without them before) */
	if (n->nat && json_object_size(n->eps) > 0)
		redir_ensure(n);
	ports_hold_all(n);
	pthread_mutex_unlock(&n->lock);
}

int networks_open(const struct networks_config *c, struct networks **ret, struct husk_error **err)
{
	struct networks *n = calloc(1, sizeof(*n));
	int r;

	if (!n)
		return error_set(err, ENOMEM, "out of memory");
	pthread_mutex_init(&n->lock, NULL);
	pthread_cond_init(&n->idle, NULL);
	n->cfg = *c;
	n->cfg.bip = c->bip ? strdup(c->bip) : NULL;
	n->cfg.bridge = NULL; /* n->bridge has it */
	n->dir = path_join(c->data_root, "network");
	n->nets = json_object();
	n->eps = json_object();
	n->held = json_object();
	if (!n->dir || !n->nets || !n->eps || !n->held || (c->bip && !n->cfg.bip)) {
		networks_free(n);
		return error_set(err, ENOMEM, "out of memory");
	}
	r = network_daemon_names(c->data_root, c->default_root, c->bridge, n->bridge, n->table,
	                         err);
	if (r == 0 && mkdir_p(n->dir, 0700) < 0)
		r = error_set_errno(err, errno, "create \"%s\"", n->dir);
	if (r == 0) {
		_cleanup_free_ char *ipam = path_join(n->dir, "ipam");
		if (!ipam || mkdir_p(ipam, 0700) < 0)
			r = error_set_errno(err, errno ? errno : ENOMEM,
			                    "create the IPAM directory");
	}
	if (r == 0)
		r = records_load(n, "networks", "Id", n->nets, err);
	if (r == 0)
		r = records_load(n, "endpoints", NULL, n->eps, err);
	if (r == 0)
		r = predefined_ensure(n, err);
	if (r == 0 && c->nat)
		r = nat_open(n->table, &n->nat, err);
	if (r < 0) {
		networks_free(n);
		return error_wrap(err, "networks");
	}
	if (c->nat)
		redir_open(n);
	networks_settle(n);
	*ret = n;
	return 0;
}

void networks_free(struct networks *n)
{
	_cleanup_(nl_closep) struct nl *nl = NULL;

	if (!n)
		return;
	networks_settle_nat(n);
	/* no bridge of ours outlives a daemon with nothing connected (a
	 * live-restored container keeps it, and the table) */
	if (n->nets && json_object_size(n->eps) == 0 && nl_open(-1, &nl, NULL) == 0)
		nl_link_del(nl, n->bridge, NULL);
	if (n->held)
		ports_release_all(n);
	free((char *)n->cfg.bip);
	free(n->dir);
	json_decref(n->nets);
	json_decref(n->eps);
	json_decref(n->held);
	nat_free(n->nat);
	portredir_free(n->redir);
	pthread_mutex_destroy(&n->lock);
	pthread_cond_destroy(&n->idle);
	free(n);
}

json_t *net_find(struct networks *n, const char *name)
{
	const char *id;
	json_t *net, *found = NULL;
	size_t len;

	if (!name || !*name)
		return NULL;
	if (streq(name, "default"))
		name = "bridge";
	json_object_foreach (n->nets, id, net)
		if (streq(json_string_value(json_object_get(net, "Name")), name))
			return net;
	if ((net = json_object_get(n->nets, name)))
		return net;
	len = strlen(name);
	json_object_foreach (n->nets, id, net) {
		if (strncmp(id, name, len) == 0) {
			if (found)
				return NULL; /* ambiguous */
			found = net;
		}
	}
	return found;
}

static int write_sysctl(const char *path, const char *value)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, value, strlen(value)) < 0)
		return -errno;
	return 0;
}

/* The bridge of a bridge network with its gateway address, up. */
static int bridge_link_ensure(struct networks *n, json_t *net, struct husk_error **err)
{
	_cleanup_(nl_closep) struct nl *nl = NULL;
	_cleanup_free_ char *localnet = NULL;
	const char *bridge = bridge_of(net);
	struct ipam_subnet s;
	struct in_addr gw;
	int r;

	if (!bridge)
		return error_set(err, EINVAL, "network \"%s\" has no bridge",
		                 json_string_value(json_object_get(net, "Name")));
	r = net_subnet(net, &s, &gw, err);
	if (r < 0)
		return r;
	r = nl_open(-1, &nl, err);
	if (r < 0)
		return r;
	r = nl_bridge_add(nl, bridge, n->cfg.mtu, err);
	if (r == -EEXIST) {
		error_clear(err);
	} else if (r < 0)
		return r;
	r = nl_addr_add(nl, bridge, gw, s.prefix, err);
	if (r < 0 && r != -EEXIST)
		return r;
	error_clear(err);
	r = nl_link_up(nl, bridge, NULL, err);
	if (r < 0)
		return r;
	/* 127.0.0.1:port published from the host is DNAT'ed onto the bridge:
	 * the kernel drops loopback sources there unless told otherwise */
	localnet = str_printf("/proc/sys/net/ipv4/conf/%s/route_localnet", bridge);
	if (localnet)
		write_sysctl(localnet, "1");
	return 0;
}

int net_bridge_ensure(struct networks *n, json_t *net, struct husk_error **err)
{
	struct ipam_subnet s;
	struct in_addr gw;
	int r;

	r = bridge_link_ensure(n, net, err);
	if (r == 0)
		r = net_subnet(net, &s, &gw, err);
	if (r < 0)
		return r;
	/* forwarding only once a bridge network is in use */
	if (n->cfg.ip_forward)
		write_sysctl("/proc/sys/net/ipv4/ip_forward", "1");
	if (!n->nat || json_is_true(json_object_get(net, "Internal")))
		return 0;
	r = nat_ensure(n->nat, err);
	if (r < 0)
		return r;
	redir_ensure(n);
	return nat_network_add(n->nat, bridge_of(net), &s, err);
}

static void nat_remove_now(struct networks *n)
{
	_cleanup_error_ struct husk_error *err = NULL;

	if (!n->nat || json_object_size(n->eps) != 0)
		return;
	if (nat_remove(n->nat, &err) < 0)
		log_warn("%s", error_message(err));
	error_clear(&err);
	if (n->redir && portredir_remove(n->redir, &err) < 0)
		log_warn("%s", error_message(err));
}

static void *nat_release_main(void *p)
{
	struct networks *n = p;

	pthread_mutex_lock(&n->lock);
	n->nat_release_due = false;
	nat_remove_now(n); /* unless an endpoint came meanwhile */
	if (--n->nat_jobs == 0)
		pthread_cond_broadcast(&n->idle);
	pthread_mutex_unlock(&n->lock);
	return NULL;
}

void net_nat_release(struct networks *n)
{
	if (!n->nat || json_object_size(n->eps) != 0 || n->nat_release_due)
		return;
	if (thread_detached(nat_release_main, n) != 0) {
		nat_remove_now(n);
		return;
	}
	n->nat_jobs++;
	n->nat_release_due = true;
}

void net_nat_settle(struct networks *n)
{
	while (n->nat_jobs > 0)
		pthread_cond_wait(&n->idle, &n->lock);
}

void networks_settle_nat(struct networks *n)
{
	pthread_mutex_lock(&n->lock);
	net_nat_settle(n);
	pthread_mutex_unlock(&n->lock);
}

/* ---- the /networks API ---- */

static bool name_valid(const char *s)
{
	size_t len = s ? strlen(s) : 0;

	return len > 0 && len <= 128 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
	               len &&
	       s[0] != '.' && s[0] != '-' && s[0] != '_';
}

static int user_subnet(struct networks *n, json_t *body, const char *bridge, json_t *net,
                       struct husk_error **err)
{
	json_t *cfg = json_array_get(json_object_get(json_object_get(body, "IPAM"), "Config"), 0);
	const char *subnet = json_string_value(json_object_get(cfg, "Subnet"));
	const char *gws = json_string_value(json_object_get(cfg, "Gateway"));
	_cleanup_free_ struct ipam_subnet *taken = NULL;
	struct ipam_subnet s;
	struct in_addr gw;
	size_t nt = 0;
	char buf[32];
	int r;

	r = taken_subnets(n, bridge, &taken, &nt, err);
	if (r < 0)
		return r;
	if (!subnet)
		r = ipam_pick_subnet(taken, nt, &s, err);
	else {
		r = ipam_subnet_parse(subnet, &s, err);
		for (size_t i = 0; r == 0 && i < nt; i++)
			if (ipam_overlaps(&s, &taken[i]))
				r = error_set(
				        err, EEXIST,
				        "invalid pool request: Pool overlaps with other one on "
				        "this address space (%s overlaps %s)",
				        subnet, ipam_subnet_format(&taken[i], buf, sizeof(buf)));
	}
	if (r < 0)
		return r;
	gw = ipam_first_host(&s);
	if (gws && (inet_pton(AF_INET, gws, &gw) != 1 || !ipam_contains(&s, gw)))
		return error_set(err, EINVAL, "invalid gateway \"%s\" for subnet %s", gws,
		                 ipam_subnet_format(&s, buf, sizeof(buf)));
	return set_subnet(net, &s, gw) < 0 ? error_set(err, ENOMEM, "out of memory") : 0;
}

int network_create(struct networks *n, json_t *body, json_t **ret, struct husk_error **err)
{
	const char *name = json_string_value(json_object_get(body, "Name"));
	const char *driver = json_string_value(json_object_get(body, "Driver"));
	_cleanup_(json_decrefp) json_t *net = NULL;
	char bridge[16];
	const char *id;
	int r;

	if (!name_valid(name))
		return error_set(err, EINVAL,
		                 "invalid network name \"%s\": expected [a-zA-Z0-9][a-zA-Z0-9_.-]*",
		                 name ? name : "");
	if (driver && *driver && !streq(driver, "bridge"))
		return error_set(err, EINVAL,
		                 "plugin \"%s\" not found: husk networks use the bridge driver",
		                 driver);
	if (json_is_true(json_object_get(body, "EnableIPv6")))
		return error_set(err, EINVAL, "IPv6 networks are not supported");
	pthread_mutex_lock(&n->lock);
	if (net_find(n, name) &&
	    streq(json_string_value(json_object_get(net_find(n, name), "Name")), name)) {
		r = error_set(err, EEXIST, "network with name %s already exists", name);
		goto out;
	}
	net = network_record_new(name, "bridge");
	if (!net) {
		r = error_set(err, ENOMEM, "out of memory");
		goto out;
	}
	id = json_string_value(json_object_get(net, "Id"));
	snprintf(bridge, sizeof(bridge), "br-%.12s", id);
	json_object_set_new(json_object_get(net, "Options"), BRIDGE_NAME_OPT, json_string(bridge));
	json_object_set(net, "Internal",
	                json_boolean(json_is_true(json_object_get(body, "Internal"))));
	json_object_set(net, "Attachable",
	                json_boolean(json_is_true(json_object_get(body, "Attachable"))));
	if (json_is_object(json_object_get(body, "Labels")))
		json_object_set(net, "Labels", json_object_get(body, "Labels"));
	r = user_subnet(n, body, bridge, net, err);
	if (r == 0)
		r = net_record_save(n, "networks", id, net, err);
	/* the bridge now, as dockerd does: its address claims the subnet */
	if (r == 0 && bridge_link_ensure(n, net, NULL) < 0)
		log_warn("network %s: cannot create the bridge %s yet", name, bridge);
	if (r == 0 && json_object_set(n->nets, id, net) < 0)
		r = error_set(err, ENOMEM, "out of memory");
	if (r == 0 && !(*ret = json_pack("{s:s, s:s}", "Id", id, "Warning", "")))
		r = error_set(err, ENOMEM, "out of memory");
out:
	pthread_mutex_unlock(&n->lock);
	return r;
}

static json_t *inspect_json(struct networks *n, json_t *net)
{
	json_t *out = json_deep_copy(net), *containers = json_object(), *ep;
	const char *id = json_string_value(json_object_get(net, "Id")), *key;

	if (!out || !containers) {
		json_decref(out);
		json_decref(containers);
		return NULL;
	}
	json_object_foreach (n->eps, key, ep) {
		if (!streq(json_string_value(json_object_get(ep, "NetworkID")), id))
			continue;
		json_object_set_new(
		        containers, json_string_value(json_object_get(ep, "ContainerID")),
		        json_pack("{s:O, s:O, s:O, s:O, s:s}", "Name", json_object_get(ep, "Name"),
		                  "EndpointID", json_object_get(ep, "EndpointID"), "MacAddress",
		                  json_object_get(ep, "MacAddress"), "IPv4Address",
		                  json_object_get(ep, "IPv4Address"), "IPv6Address", ""));
	}
	json_object_set_new(out, "Containers", containers);
	return out;
}

int network_inspect(struct networks *n, const char *name, json_t **ret, struct husk_error **err)
{
	json_t *net;
	int r = 0;

	pthread_mutex_lock(&n->lock);
	net = net_find(n, name);
	if (!net)
		r = error_set(err, ENOENT, "network %s not found", name);
	else if (!(*ret = inspect_json(n, net)))
		r = error_set(err, ENOMEM, "out of memory");
	pthread_mutex_unlock(&n->lock);
	return r;
}

static bool is_predefined(json_t *net)
{
	const char *name = json_string_value(json_object_get(net, "Name"));

	for (size_t i = 0; i < ELEMENTSOF(predefined); i++)
		if (streq(name, predefined[i]))
			return true;
	return false;
}

static bool has_endpoints(struct networks *n, json_t *net)
{
	const char *id = json_string_value(json_object_get(net, "Id")), *key;
	json_t *ep;

	json_object_foreach (n->eps, key, ep)
		if (streq(json_string_value(json_object_get(ep, "NetworkID")), id))
			return true;
	return false;
}

/* Docker's network filters over one record. */
static bool filter_match(struct networks *n, json_t *net, json_t *filters)
{
	const char *key;
	json_t *vals;

	json_object_foreach (filters, key, vals) {
		const char *v;
		json_t *unused;
		bool any = false;
		json_object_foreach (vals, v, unused) {
			const char *name = json_string_value(json_object_get(net, "Name"));
			const char *id = json_string_value(json_object_get(net, "Id"));
			if (streq(key, "name"))
				any |= strstr(name, v) != NULL;
			else if (streq(key, "id"))
				any |= startswith(id, v) != NULL;
			else if (streq(key, "driver"))
				any |= streq(json_string_value(json_object_get(net, "Driver")), v);
			else if (streq(key, "type"))
				any |= streq(v, is_predefined(net) ? "builtin" : "custom");
			else if (streq(key, "dangling"))
				any |= (streq(v, "true") || streq(v, "1")) ==
				       (!is_predefined(net) && !has_endpoints(n, net));
			else if (streq(key, "label")) {
				_cleanup_free_ char *k = strdup(v);
				char *eq = k ? strchr(k, '=') : NULL;
				if (eq)
					*eq = 0;
				json_t *lv = k ? json_object_get(json_object_get(net, "Labels"), k)
				               : NULL;
				any |= lv && (!eq || streq(json_string_value(lv), eq + 1));
			}
		}
		if (!any)
			return false;
	}
	return true;
}

static int filters_valid(json_t *filters, const char *const *allowed, struct husk_error **err)
{
	const char *key;
	json_t *vals;

	if (filters && !json_is_object(filters))
		return error_set(err, EINVAL, "invalid filters: expected a JSON object");
	json_object_foreach (filters, key, vals) {
		bool ok = false;
		for (size_t i = 0; allowed[i]; i++)
			ok |= streq(key, allowed[i]);
		if (!ok)
			return error_set(err, EINVAL, "invalid filter '%s'", key);
		if (!json_is_object(vals))
			return error_set(err, EINVAL, "invalid filter '%s': expected an object",
			                 key);
	}
	return 0;
}

int network_list(struct networks *n, json_t *filters, json_t **ret, struct husk_error **err)
{
	static const char *const allowed[] = {"name", "id",       "driver", "label",
	                                      "type", "dangling", "scope",  NULL};
	_cleanup_(json_decrefp) json_t *out = json_array();
	const char *id;
	json_t *net;
	int r;

	r = filters_valid(filters, allowed, err);
	if (r < 0)
		return r;
	if (!out)
		return error_set(err, ENOMEM, "out of memory");
	pthread_mutex_lock(&n->lock);
	json_object_foreach (n->nets, id, net)
		if (filter_match(n, net, filters))
			json_array_append_new(out, inspect_json(n, net));
	pthread_mutex_unlock(&n->lock);
	*ret = TAKE_PTR(out);
	return 0;
}

/* Remove a user network's record, leases and bridge. Lock held. */
static int remove_locked(struct networks *n, json_t *net, struct husk_error **err)
{
	_cleanup_(nl_closep) struct nl *nl = NULL;
	_cleanup_free_ char *id = strdup(json_string_value(json_object_get(net, "Id")));
	_cleanup_free_ char *ipam_path = NULL;
	const char *bridge = bridge_of(net);
	struct ipam_subnet s;
	struct in_addr gw;
	int r;

	if (!id)
		return error_set(err, ENOMEM, "out of memory");
	if (bridge && nl_open(-1, &nl, NULL) == 0)
		nl_link_del(nl, bridge, NULL);
	if (bridge && n->nat && net_subnet(net, &s, &gw, NULL) == 0)
		nat_network_del(n->nat, bridge, &s, NULL);
	ipam_path = ipam_path_of(n, id);
	if (ipam_path)
		unlink(ipam_path);
	r = net_record_save(n, "networks", id, NULL, err);
	if (r < 0)
		return r;
	json_object_del(n->nets, id);
	return 0;
}

int network_remove(struct networks *n, const char *name, struct husk_error **err)
{
	json_t *net;
	int r;

	pthread_mutex_lock(&n->lock);
	net = net_find(n, name);
	if (!net)
		r = error_set(err, ENOENT, "network %s not found", name);
	else if (is_predefined(net))
		r = error_set(err, EPERM, "%s is a pre-defined network and cannot be removed",
		              json_string_value(json_object_get(net, "Name")));
	else if (has_endpoints(n, net))
		r = error_set(err, EBUSY,
		              "error while removing network: network %s id %s has active "
		              "endpoints",
		              json_string_value(json_object_get(net, "Name")),
		              json_string_value(json_object_get(net, "Id")));
	else
		r = remove_locked(n, net, err);
	pthread_mutex_unlock(&n->lock);
	return r;
}

int network_prune(struct networks *n, json_t *filters, json_t **ret, struct husk_error **err)
{
	static const char *const allowed[] = {"label", "until", NULL};
	_cleanup_(json_decrefp) json_t *deleted = json_array();
	_cleanup_strv_ char **ids = strv_new();
	const char *id;
	json_t *net;
	int r;

	r = filters_valid(filters, allowed, err);
	if (r < 0)
		return r;
	if (json_object_get(filters, "until"))
		return error_set(err, EINVAL, "invalid filter 'until': not supported for networks");
	if (!deleted || !ids)
		return error_set(err, ENOMEM, "out of memory");
	pthread_mutex_lock(&n->lock);
	json_object_foreach (n->nets, id, net)
		if (!is_predefined(net) && !has_endpoints(n, net) && filter_match(n, net, filters))
			strv_push(&ids, id);
	r = 0;
	STRV_FOREACH (i, ids) {
		net = json_object_get(n->nets, *i);
		json_array_append_new(deleted, json_copy(json_object_get(net, "Name")));
		r = remove_locked(n, net, err);
		if (r < 0)
			break;
	}
	pthread_mutex_unlock(&n->lock);
	if (r < 0)
		return r;
	*ret = json_pack("{s:O}", "NetworksDeleted", deleted);
	return *ret ? 0 : error_set(err, ENOMEM, "out of memory");
}

int network_resolve(struct networks *n, const char *name, char **ret_name, char **ret_id,
                    char **ret_driver, struct husk_error **err)
{
	json_t *net;
	int r = 0;

	pthread_mutex_lock(&n->lock);
	net = net_find(n, name);
	if (!net)
		r = error_set(err, ENOENT, "network %s not found", name);
	else {
		if (ret_name &&
		    !(*ret_name = strdup(json_string_value(json_object_get(net, "Name")))))
			r = -ENOMEM;
		if (ret_id && !(*ret_id = strdup(json_string_value(json_object_get(net, "Id")))))
			r = -ENOMEM;
		if (ret_driver &&
		    !(*ret_driver = strdup(json_string_value(json_object_get(net, "Driver")))))
			r = -ENOMEM;
		if (r < 0)
			error_set(err, ENOMEM, "out of memory");
	}
	pthread_mutex_unlock(&n->lock);
	return r;
}
