/* container_network.c — the networks of a bridge-mode container: every
 * network it lists joined at start, and `network connect/disconnect`,
 * which hot-plug an endpoint into a running container's namespace or
 * change what a stopped one joins at its next start, with dockerd's
 * errors and events.
 *
 * The networks a container joins are the keys of its
 * NetworkingConfig.EndpointsConfig, or its NetworkMode's network when
 * that lists none. A connect or disconnect writes the whole list there.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"
#include "base/str.h"
#include "engine/container_internal.h"
#include "engine/engine.h"
#include "engine/events.h"
#include "network/network.h"

struct net_ref {
	char *name, *id, *driver;
};

static void net_ref_release(struct net_ref *r)
{
	free(r->name);
	free(r->id);
	free(r->driver);
}

static int net_ref_resolve(struct containers *cs, const char *key, struct net_ref *ret,
                           struct husk_error **err)
{
	*ret = (struct net_ref){0};
	return network_resolve(cs->e->networks, key, &ret->name, &ret->id, &ret->driver, err);
}

static void net_event(struct ctr *c, const char *action, const struct net_ref *r)
{
	events_publish(c->cs->e->events, "network", action, r->id,
	               json_pack("{s:s, s:s, s:s}", "container", c->id, "name", r->name, "type",
	                         r->driver));
}

static const char *network_mode(const struct ctr *c)
{
	const char *m = json_string_value(json_object_get(c->host_config, "NetworkMode"));

	return isempty(m) ? "default" : m;
}

/* The effective EndpointsConfig: a new object keyed by network name, the
 * NetworkMode's network first when the container lists none. Keys naming
 * no network (removed since) are kept as they are. */
static json_t *endpoints_config(struct ctr *c)
{
	json_t *given = json_object_get(c->networking, "EndpointsConfig"), *out = json_object(), *v;
	const char *key;

	if (!out)
		return NULL;
	if (!json_object_size(given) && ctr_bridge_network(c))
		json_object_set_new(out, ctr_bridge_network(c), json_object());
	json_object_foreach (given, key, v) {
		struct net_ref r;
		if (net_ref_resolve(c->cs, key, &r, NULL) == 0 && !json_object_get(out, r.name))
			json_object_set(out, r.name, v);
		else if (!json_object_get(out, key))
			json_object_set(out, key, v);
		net_ref_release(&r);
	}
	return out;
}

/* Make eps the container's EndpointsConfig (stolen). With c->op held. */
static void endpoints_config_set(struct ctr *c, json_t *eps)
{
	json_t *nc = c->networking ? json_deep_copy(c->networking) : json_object(), *old;

	if (!nc || json_object_set_new(nc, "EndpointsConfig", eps) < 0) {
		json_decref(nc);
		return;
	}
	pthread_mutex_lock(&c->cs->lock);
	old = c->networking;
	c->networking = nc;
	pthread_mutex_unlock(&c->cs->lock);
	json_decref(old);
}

/* An endpoint's MacAddress: ret_mac set when one is asked. */
static int epc_mac(json_t *epc, uint8_t ret_mac[6], bool *ret_set, struct husk_error **err)
{
	const char *mac = json_string_value(json_object_get(epc, "MacAddress"));

	*ret_set = !isempty(mac);
	if (*ret_set && network_mac_parse(mac, ret_mac) < 0)
		return error_set(err, EINVAL, "invalid MAC address %s", mac);
	return 0;
}

int ctr_net_check_endpoints(json_t *eps, struct husk_error **err)
{
	const char *key;
	json_t *epc;
	uint8_t mac[6];
	bool set;

	/* dockerd's validateNetworkingConfig words */
	json_object_foreach (eps, key, epc)
		if (epc_mac(epc, mac, &set, err) < 0)
			return error_wrap(err, "invalid config for network %s", key);
	return 0;
}

/* Connect to one network (name), as its EndpointsConfig entry says. */
static int attach_one(struct ctr *c, const char *net, json_t *epc, const char *netns_path,
                      json_t **ret_settings, struct husk_error **err)
{
	_cleanup_free_ char *hosts = path_join(c->dir, "hosts");
	_cleanup_strv_ char **aliases = NULL;
	const char *want = json_string_value(
	        json_object_get(json_object_get(epc, "IPAMConfig"), "IPv4Address"));
	uint8_t mac[6];
	bool mac_set;
	struct endpoint_config ec = {
	        .container_id = c->id,
	        .container_name = c->name + 1,
	        .hostname = json_string_value(json_object_get(c->config, "Hostname")),
	        .hosts_path = hosts,
	};

	if (!hosts)
		return error_set(err, ENOMEM, "out of memory");
	if (json_get_strv(epc, "EndpointsConfig", "Aliases", false, &aliases, NULL) == 0)
		ec.aliases = aliases;
	if (!isempty(want) && inet_pton(AF_INET, want, &ec.ip) != 1)
		return error_set(err, EINVAL, "invalid IPv4 address \"%s\"", want);
	if (epc_mac(epc, mac, &mac_set, err) < 0)
		return -EINVAL;
	ec.mac = mac_set ? mac : NULL;
	return network_connect(c->cs->e->networks, net, netns_path, &ec, ret_settings, err);
}

int ctr_net_connect_all(struct ctr *c, const char *netns_path, json_t **ret_networks,
                        struct in_addr *ret_ip, struct husk_error **err)
{
	_cleanup_json_ json_t *eps = endpoints_config(c), *out = json_object();
	const char *net;
	json_t *epc;

	if (!eps || !out)
		return error_set(err, ENOMEM, "out of memory");
	ret_ip->s_addr = 0;
	json_object_foreach (eps, net, epc) {
		json_t *settings = NULL;
		int r = attach_one(c, net, epc, netns_path, &settings, err);
		if (r < 0)
			return r;
		if (json_object_size(out) == 0 &&
		    inet_pton(AF_INET, json_string_value(json_object_get(settings, "IPAddress")),
		              ret_ip) != 1)
			r = error_set(err, EIO, "network %s gave no address", net);
		json_object_set_new(out, net, settings);
		if (r < 0)
			return r;
	}
	*ret_networks = TAKE_PTR(out);
	return 0;
}

void ctr_net_events(struct ctr *c, const char *action, json_t *networks)
{
	const char *net;
	json_t *v;

	json_object_foreach (networks, net, v) {
		struct net_ref r = {
		        .name = (char *)net,
		        .id = (char *)json_string_value(json_object_get(v, "NetworkID")),
		        .driver = "bridge",
		};
		net_event(c, action, &r);
	}
}

/* dockerd's refusals of a network for a container in mode m. */
static int mode_check(const char *m, const struct net_ref *r, bool connect, struct husk_error **err)
{
	if (streq(r->driver, "host") && !(connect && streq(m, "host")))
		return error_set(err, EINVAL,
		                 "container cannot be disconnected from host network "
		                 "or connected to host network");
	if (!connect)
		return 0;
	if (startswith(m, "container:") || streq(m, "host"))
		return error_set(err, EINVAL,
		                 "container sharing network namespace with another container or "
		                 "host cannot be connected to any other network");
	if (streq(m, "none") || streq(r->driver, "null"))
		return error_set(err, EINVAL,
		                 "container cannot be connected to multiple networks with one of "
		                 "the networks in private (none) mode");
	return 0;
}

/* dockerd's checks of the EndpointConfig of a connect. */
static int epc_check(const struct net_ref *r, json_t *epc, struct husk_error **err)
{
	const char *ip = json_string_value(
	        json_object_get(json_object_get(epc, "IPAMConfig"), "IPv4Address"));
	struct in_addr a;

	uint8_t mac[6];
	bool mac_set;

	if (epc && !json_is_object(epc))
		return error_set(err, EINVAL, "invalid EndpointConfig: expected an object");
	if (epc_mac(epc, mac, &mac_set, err) < 0)
		return -EINVAL;
	if (!streq(r->name, "bridge"))
		return isempty(ip) || inet_pton(AF_INET, ip, &a) == 1
		               ? 0
		               : error_set(err, EINVAL, "invalid IPv4 address \"%s\"", ip);
	if (!isempty(ip))
		return error_set(err, EINVAL,
		                 "invalid endpoint settings:\nuser specified IP address is "
		                 "supported on user defined networks only");
	if (json_array_size(json_object_get(epc, "Aliases")))
		return error_set(err, EINVAL,
		                 "invalid endpoint settings:\nnetwork-scoped alias is supported "
		                 "only for containers in user defined networks");
	return 0;
}

static bool live(const struct ctr *c, bool *ret_gone)
{
	*ret_gone = c->removed || c->status == CTR_REMOVING || c->status == CTR_DEAD;
	return c->status == CTR_RUNNING || c->status == CTR_PAUSED;
}

/* dockerd's gateway endpoint: a container's default route and published
 * ports go with its first network; when that one leaves, the next one
 * takes them over (a connect to a container left without a network
 * too). With c->op held, c running. */
static int gateway_move(struct ctr *c, struct husk_error **err)
{
	_cleanup_free_ char *path = NULL, *ip_s = NULL, *gw_s = NULL;
	_cleanup_json_ json_t *ports = NULL;
	struct in_addr ip, gw;
	const char *name;
	json_t *settings;
	bool any = false;
	int r;

	pthread_mutex_lock(&c->cs->lock);
	json_object_foreach (json_object_get(c->net_run, "Networks"), name, settings) {
		ip_s = strdup(json_string_value(json_object_get(settings, "IPAddress")) ?: "");
		gw_s = strdup(json_string_value(json_object_get(settings, "Gateway")) ?: "");
		any = true;
		break;
	}
	path = strdup(json_string_value(json_object_get(c->net_run, "SandboxKey")) ?: "");
	pthread_mutex_unlock(&c->cs->lock);
	if (!any)
		return 0; /* no network left */
	if (!path || !ip_s || !gw_s)
		return error_set(err, ENOMEM, "out of memory");
	if (inet_pton(AF_INET, ip_s, &ip) != 1 || inet_pton(AF_INET, gw_s, &gw) != 1)
		return 0; /* no IPv4 endpoint */
	r = network_default_route(path, gw, err);
	r = r
	            ?: ports_publish(
	                       c->cs->e->networks, c->id, ip,
	                       json_object_get(c->host_config, "PortBindings"),
	                       json_object_get(c->config, "ExposedPorts"),
	                       json_is_true(json_object_get(c->host_config, "PublishAllPorts")),
	                       &ports, err);
	if (r < 0)
		return r;
	pthread_mutex_lock(&c->cs->lock);
	if (json_is_object(c->net_run))
		json_object_set(c->net_run, "Ports", ports);
	pthread_mutex_unlock(&c->cs->lock);
	return 0;
}

/* gateway_move for an endpoint that is in (or out) already: a failure is
 * logged, the connect or disconnect stands. */
static void gateway_take(struct ctr *c)
{
	_cleanup_error_ struct husk_error *err = NULL;

	if (gateway_move(c, &err) < 0)
		log_warn("container %.12s: its next network's route and ports: %s", c->id,
		         error_message(err));
}

/* Hot-plug r into the running c. With c->op held. */
static int connect_running(struct ctr *c, const struct net_ref *r, json_t *epc,
                           struct husk_error **err)
{
	_cleanup_free_ char *path = NULL;
	json_t *settings = NULL, *nets;
	bool known, first;
	int res;

	pthread_mutex_lock(&c->cs->lock);
	nets = json_object_get(c->net_run, "Networks");
	known = json_object_get(nets, r->name) != NULL;
	first = json_object_size(nets) == 0;
	path = json_string_value(json_object_get(c->net_run, "SandboxKey"))
	               ? strdup(json_string_value(json_object_get(c->net_run, "SandboxKey")))
	               : NULL;
	pthread_mutex_unlock(&c->cs->lock);
	if (known)
		return error_set(err, EPERM, "endpoint with name %s already exists in network %s",
		                 c->name + 1, r->name);
	if (!path)
		return error_set(err, EIO, "container %s has no network namespace", c->id);
	res = attach_one(c, r->id, epc, path, &settings, err);
	if (res < 0)
		return res;
	pthread_mutex_lock(&c->cs->lock);
	if (!json_is_object(c->net_run))
		c->net_run = json_object();
	if (!json_is_object(json_object_get(c->net_run, "Networks")))
		json_object_set_new(c->net_run, "Networks", json_object());
	json_object_set_new(json_object_get(c->net_run, "Networks"), r->name, settings);
	pthread_mutex_unlock(&c->cs->lock);
	/* (its route came with it: connect routes a container's only network) */
	if (first)
		gateway_take(c);
	return 0;
}

/* What connect and disconnect share: c->op taken (also on failure), the
 * container not on its way out, its network mode allowing r, *ret_eps its
 * effective EndpointsConfig. */
static int op_begin(struct ctr *c, const struct net_ref *r, bool connect, bool *ret_running,
                    json_t **ret_eps, struct husk_error **err)
{
	bool gone;

	pthread_mutex_lock(&c->op);
	pthread_mutex_lock(&c->cs->lock);
	*ret_running = live(c, &gone);
	pthread_mutex_unlock(&c->cs->lock);
	if (gone)
		return error_set(err, EBUSY,
		                 "Container %s is marked for removal and cannot be connected or "
		                 "disconnected to the network",
		                 c->id);
	if (mode_check(network_mode(c), r, connect, err) < 0)
		return -EINVAL;
	*ret_eps = endpoints_config(c);
	return *ret_eps ? 0 : error_set(err, ENOMEM, "out of memory");
}

/* Keep eps (stolen) as c's EndpointsConfig when res is 0; release c->op. */
static int op_end(struct ctr *c, int res, json_t *eps)
{
	if (res == 0) {
		endpoints_config_set(c, eps);
		ctr_save(c, false, NULL);
	} else
		json_decref(eps);
	pthread_mutex_unlock(&c->op);
	return res;
}

int containers_network_connect(struct containers *cs, const char *network, const char *name,
                               json_t *epc, struct husk_error **err)
{
	_cleanup_(ctr_unrefp) struct ctr *c = NULL;
	struct net_ref r = {0};
	json_t *eps = NULL;
	bool running = false;
	int res;

	res = ctr_lookup(cs, name, &c, err);
	if (res == 0)
		res = net_ref_resolve(cs, network, &r, err);
	if (res == 0)
		res = epc_check(&r, epc, err);
	if (res < 0)
		goto out;
	res = op_begin(c, &r, true, &running, &eps, err);
	if (res == 0 && running)
		res = connect_running(c, &r, epc, err);
	if (res == 0)
		json_object_set_new(eps, r.name, epc ? json_deep_copy(epc) : json_object());
	res = op_end(c, res, eps);
	/* as dockerd: a stopped container's connect shows at its start */
	if (res == 0 && running)
		net_event(c, "connect", &r);
out:
	net_ref_release(&r);
	return res;
}

/* Take the endpoint out of the running c. With c->op held. */
static int disconnect_running(struct ctr *c, const struct net_ref *r, struct husk_error **err)
{
	bool known, gateway = false;
	const char *first = NULL;
	json_t *v;
	int res;

	pthread_mutex_lock(&c->cs->lock);
	known = json_object_get(json_object_get(c->net_run, "Networks"), r->name) != NULL;
	json_object_foreach (json_object_get(c->net_run, "Networks"), first, v)
		break;
	gateway = first && streq(first, r->name);
	pthread_mutex_unlock(&c->cs->lock);
	if (!known)
		return error_set(err, ENOTCONN, "container %s is not connected to network %s",
		                 c->id, r->name);
	res = network_disconnect(c->cs->e->networks, r->id, c->id, err);
	if (res < 0)
		return res;
	pthread_mutex_lock(&c->cs->lock);
	json_object_del(json_object_get(c->net_run, "Networks"), r->name);
	if (gateway)
		json_object_set_new(c->net_run, "Ports", json_object());
	pthread_mutex_unlock(&c->cs->lock);
	if (gateway)
		gateway_take(c);
	return 0;
}

int containers_network_disconnect(struct containers *cs, const char *network, const char *name,
                                  bool force, struct husk_error **err)
{
	_cleanup_(ctr_unrefp) struct ctr *c = NULL;
	struct net_ref r = {0};
	json_t *eps = NULL;
	bool running = false;
	int res;

	res = ctr_lookup(cs, name, &c, err);
	if (res < 0)
		return res;
	res = net_ref_resolve(cs, network, &r, err);
	if (res < 0 && force) {
		/* dockerd's force: forget a network that is gone */
		error_clear(err);
		res = 0;
		r = (struct net_ref){strdup(network), strdup(""), strdup("bridge")};
	}
	if (res < 0)
		goto out;
	res = op_begin(c, &r, false, &running, &eps, err);
	if (res == 0 && running)
		res = disconnect_running(c, &r, err);
	else if (res == 0 && !json_object_get(eps, r.name))
		res = error_set(err, ENOTCONN, "container %s is not connected to the network %s",
		                c->id, r.name);
	if (res == 0)
		json_object_del(eps, r.name);
	res = op_end(c, res, eps);
	if (res == 0 && !isempty(r.id))
		net_event(c, "disconnect", &r);
out:
	net_ref_release(&r);
	return res;
}
