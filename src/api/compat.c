/* compat.c — requests and replies shaped by the client's API version:
 * the versions.LessThan branches of moby's API routers, as husk needs them. */
#include <string.h>

#include "api/compat.h"
#include "base/json.h"
#include "base/str.h"
#include "oci/runtime_spec.h"

/* ---- POST /containers/create ---- */

static json_t *endpoints_of(json_t *body)
{
	return json_object_get(json_object_get(body, "NetworkingConfig"), "EndpointsConfig");
}

static const char *network_mode_of(json_t *body)
{
	const char *m = json_string_value(
	        json_object_get(json_object_get(body, "HostConfig"), "NetworkMode"));

	return isempty(m) ? "default" : m;
}

/* A network of its own (bridge or user-defined), where a MAC address
 * applies: not none, host or container:X. */
static bool mode_has_endpoint(const char *m)
{
	return !streq(m, "none") && !streq(m, "host") && !startswith(m, "container:");
}

/* The EndpointsConfig object, created (with the NetworkingConfig) when
 * absent. NULL on OOM. */
static json_t *endpoints_get_or_new(json_t *body)
{
	json_t *nc = json_object_get(body, "NetworkingConfig"), *eps;

	if (!json_is_object(nc)) {
		nc = json_object();
		if (!nc || json_object_set_new(body, "NetworkingConfig", nc) < 0)
			return NULL;
	}
	eps = json_object_get(nc, "EndpointsConfig");
	if (!json_is_object(eps)) {
		eps = json_object();
		if (!eps || json_object_set_new(nc, "EndpointsConfig", eps) < 0)
			return NULL;
	}
	return eps;
}

/* The endpoint of network mode m in eps: keyed by its name, "default"
 * and "bridge" being one network. */
static json_t *endpoint_of_mode(json_t *eps, const char *m)
{
	json_t *ep = json_object_get(eps, m);

	if (!ep && streq(m, "default"))
		ep = json_object_get(eps, "bridge");
	else if (!ep && streq(m, "bridge"))
		ep = json_object_get(eps, "default");
	return ep;
}

static const char *mac_of(json_t *ep)
{
	return json_string_value(json_object_get(ep, "MacAddress"));
}

/* Before 1.44 the container-wide Config.MacAddress was the only one: it
 * goes to the endpoint of the container's network (there is one at most),
 * and a MacAddress an old client left in an endpoint is ignored, as it
 * was then. */
static int mac_before_endpoints(json_t *body, struct husk_error **err)
{
	const char *mac = json_string_value(json_object_get(body, "MacAddress"));
	const char *m = network_mode_of(body);
	json_t *eps = endpoints_of(body), *ep;
	const char *key;

	if (isempty(mac)) {
		json_object_foreach (eps, key, ep)
			if (json_is_object(ep))
				json_object_del(ep, "MacAddress");
		return 0;
	}
	if (!mode_has_endpoint(m))
		return error_set(err, EINVAL,
		                 "conflicting options: mac-address and the network mode");
	if (!(eps = endpoints_get_or_new(body)))
		return error_set(err, ENOMEM, "out of memory");
	if (json_object_size(eps) == 0 && json_object_set_new(eps, m, json_object()) < 0)
		return error_set(err, ENOMEM, "out of memory");
	json_object_foreach (eps, key, ep)
		if (json_is_object(ep) &&
		    json_object_set_new(ep, "MacAddress", json_string(mac)) < 0)
			return error_set(err, ENOMEM, "out of memory");
	return 0;
}

/* From 1.44 the MAC address is the endpoint's; a container-wide one still
 * sent goes to the endpoint of the container's network when that has
 * none, must agree with it otherwise, and leaves a warning. */
static int mac_container_wide(json_t *body, json_t *warnings, struct husk_error **err)
{
	const char *mac = json_string_value(json_object_get(body, "MacAddress"));
	const char *m = network_mode_of(body);
	json_t *eps, *ep;

	if (isempty(mac)) {
		json_object_del(body, "MacAddress");
		return 0;
	}
	if (mode_has_endpoint(m)) {
		if (!(eps = endpoints_get_or_new(body)))
			return error_set(err, ENOMEM, "out of memory");
		ep = endpoint_of_mode(eps, m);
		if (json_object_size(eps) == 0) {
			ep = json_pack("{s:s}", "MacAddress", mac);
			if (!ep || json_object_set_new(eps, m, ep) < 0)
				return error_set(err, ENOMEM, "out of memory");
		} else if (!json_is_object(ep))
			return error_set(
			        err, EINVAL,
			        "if a container-wide MAC address is supplied, "
			        "HostConfig.NetworkMode must match the identity of a network "
			        "in NetworkSettings.Networks");
		else if (isempty(mac_of(ep)))
			json_object_set_new(ep, "MacAddress", json_string(mac));
		else if (!streq(mac_of(ep), mac))
			return error_set(
			        err, EINVAL,
			        "the container-wide MAC address must match the "
			        "endpoint-specific MAC address for the main network, or be "
			        "left empty");
	}
	json_array_append_new(warnings, json_string("The container-wide MacAddress field is now "
	                                            "deprecated. It should be specified in "
	                                            "EndpointsConfig instead."));
	json_object_del(body, "MacAddress");
	return 0;
}

/* dockerd lists the networks in Go's map order; here in the body's. */
static int refuse_multiple_endpoints(json_t *eps, struct husk_error **err)
{
	_cleanup_strv_ char **names = strv_new();
	_cleanup_free_ char *list = NULL;
	const char *key;
	json_t *v;

	if (json_object_size(eps) <= 1)
		return 0;
	json_object_foreach (eps, key, v)
		if (!names || strv_push(&names, key) < 0)
			return error_set(err, ENOMEM, "out of memory");
	list = strv_join(names, ", ");
	return error_set(err, EINVAL,
	                 "Container cannot be created with multiple network endpoints: %s",
	                 list ? list : "");
}

static int refuse_force_recursive(json_t *body, struct husk_error **err)
{
	json_t *mounts = json_object_get(json_object_get(body, "HostConfig"), "Mounts"), *m;
	size_t i;

	json_array_foreach (mounts, i, m)
		if (streq(json_string_value(json_object_get(m, "Type")), "bind") &&
		    json_is_true(json_object_get(json_object_get(m, "BindOptions"),
		                                 "ReadOnlyForceRecursive")))
			return error_set(
			        err, EINVAL,
			        "BindOptions.ReadOnlyForceRecursive needs API v1.44 or newer");
	return 0;
}

int compat_container_create(unsigned version, json_t *body, json_t *warnings,
                            struct husk_error **err)
{
	if (!json_is_object(body))
		return 0; /* the engine names what is wrong with it */
	if (version < API_V_HEALTH_START_INTERVAL &&
	    json_is_object(json_object_get(body, "Healthcheck")))
		json_object_del(json_object_get(body, "Healthcheck"), "StartInterval");
	if (version < API_V_RRO_BINDS && refuse_force_recursive(body, err) < 0)
		return -EINVAL;
	if (version < API_V_MULTI_ENDPOINTS &&
	    refuse_multiple_endpoints(endpoints_of(body), err) < 0)
		return -EINVAL;
	if (version < API_V_ENDPOINT_MAC)
		return mac_before_endpoints(body, err);
	return mac_container_wide(body, warnings, err);
}

void compat_network_connect(unsigned version, json_t *epc)
{
	if (version < API_V_ENDPOINT_MAC && json_is_object(epc))
		json_object_del(epc, "MacAddress");
}

/* ---- GET /containers/{id}/json ---- */

/* moby's NetworkMode.IsUserDefined(), for a key of Networks. */
static bool user_defined(const char *net)
{
	return !streq(net, "default") && !streq(net, "bridge") && !streq(net, "host") &&
	       !streq(net, "none") && !startswith(net, "container:");
}

static void add_unique(json_t *a, const char *s)
{
	json_t *v;
	size_t i;

	if (isempty(s))
		return;
	json_array_foreach (a, i, v)
		if (streq(json_string_value(v), s))
			return;
	json_array_append_new(a, json_string(s));
}

/* The container's short ID and hostname after what a (new) array has. */
static json_t *with_id_and_hostname(json_t *ctr, json_t *a)
{
	const char *id = json_string_value(json_object_get(ctr, "Id"));
	char short_id[13] = "";

	if (!a)
		return NULL;
	if (id)
		snprintf(short_id, sizeof(short_id), "%.12s", id);
	add_unique(a, short_id);
	add_unique(a,
	           json_string_value(json_object_get(json_object_get(ctr, "Config"), "Hostname")));
	return a;
}

/* The names a container answers to on a user-defined network it is on:
 * its name, its aliases there, its short ID and its hostname (moby's
 * buildEndpointDNSNames). */
static json_t *dns_names(json_t *ctr, json_t *ep)
{
	const char *name = json_string_value(json_object_get(ctr, "Name"));
	json_t *a = json_array(), *v;
	size_t i;

	if (!a)
		return NULL;
	add_unique(a, name && name[0] == '/' ? name + 1 : name);
	json_array_foreach (json_object_get(ep, "Aliases"), i, v)
		add_unique(a, json_string_value(v));
	return with_id_and_hostname(ctr, a);
}

/* Aliases as dockerd showed them up to 1.44: the short ID and hostname
 * after those given. */
static json_t *aliases_before_145(json_t *ctr, json_t *ep)
{
	json_t *a = json_array(), *v;
	size_t i;

	if (!a)
		return NULL;
	json_array_foreach (json_object_get(ep, "Aliases"), i, v)
		add_unique(a, json_string_value(v));
	return with_id_and_hostname(ctr, a);
}

void compat_container_inspect(unsigned version, json_t *ctr)
{
	json_t *nets = json_object_get(json_object_get(ctr, "NetworkSettings"), "Networks"), *ep;
	const char *net;

	json_object_foreach (nets, net, ep) {
		if (!user_defined(net) || !json_is_object(ep))
			continue;
		/* filled when the endpoint is made, as dockerd does at connect */
		if (version >= API_V_DNS_NAMES &&
		    !isempty(json_string_value(json_object_get(ep, "EndpointID"))))
			json_object_set_new(ep, "DNSNames", dns_names(ctr, ep));
		if (version < API_V_ALIASES_AS_GIVEN)
			json_object_set_new(ep, "Aliases", aliases_before_145(ctr, ep));
	}
}

/* ---- images ---- */

static void drop_virtual_size(unsigned version, json_t *img)
{
	if (version >= API_V_NO_VIRTUAL_SIZE)
		json_object_del(img, "VirtualSize");
	else if (!json_object_get(img, "VirtualSize") && json_object_get(img, "Size"))
		json_object_set(img, "VirtualSize", json_object_get(img, "Size"));
}

void compat_image_list(unsigned version, json_t *list)
{
	json_t *img;
	size_t i;

	json_array_foreach (list, i, img)
		drop_virtual_size(version, img);
}

void compat_image_inspect(unsigned version, json_t *img)
{
	drop_virtual_size(version, img);
	/* an image config without "created": omitted from 1.44, Go's zero
	 * time before (moby issue 47368) */
	if (version < API_V_NO_VIRTUAL_SIZE && !json_object_get(img, "Created"))
		json_object_set_new(img, "Created", json_string("0001-01-01T00:00:00Z"));
}

void compat_system_df(unsigned version, json_t *df)
{
	compat_image_list(version, json_object_get(df, "Images"));
}

/* ---- GET /info ---- */

/* Runtimes[name].status: what the runtime says of itself, as dockerd
 * reports `runc features` (husk's runtime is linked in: no exec). */
static void runtime_status(json_t *rt)
{
	_cleanup_json_ json_t *features = oci_features();
	_cleanup_free_ char *s = features ? json_compact(features) : NULL;

	if (s)
		json_object_set_new(
		        rt, "status",
		        json_pack("{s:s}", "org.opencontainers.runtime-spec.features", s));
}

void compat_info(unsigned version, json_t *info)
{
	json_t *rt;
	const char *name;

	json_object_foreach (json_object_get(info, "Runtimes"), name, rt) {
		if (version < API_V_RUNTIME_STATUS)
			json_object_del(rt, "status");
		else if (json_is_object(rt) && !json_object_get(rt, "status"))
			runtime_status(rt);
	}
}
