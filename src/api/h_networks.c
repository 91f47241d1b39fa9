/* h_networks.c — the network endpoints: GET /networks, GET
 * /networks/{id}, POST /networks/create, DELETE /networks/{id}, POST
 * /networks/prune, POST /networks/{id}/connect and /disconnect, with
 * Docker's shapes, statuses and events. */
#include <string.h>

#include "api/compat.h"
#include "api/handlers.h"
#include "base/json.h"
#include "base/str.h"
#include "engine/containers.h"
#include "engine/engine.h"
#include "engine/events.h"
#include "network/network.h"

static struct networks *networks_of(struct api_request *req)
{
	return ((struct engine *)api_ctx(req))->networks;
}

static void network_event(struct api_request *req, const char *action, const char *id,
                          const char *name)
{
	events_publish(((struct engine *)api_ctx(req))->events, "network", action, id,
	               json_pack("{s:s, s:s}", "name", name, "type", "bridge"));
}

void h_networks_list(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *filters = NULL;
	json_t *out = NULL;

	if (api_query_filters(req, &filters) < 0)
		return;
	if (network_list(networks_of(req), filters, &out, &err) < 0)
		api_reply_husk_error(req, err);
	else
		api_reply_json(req, 200, out);
}

void h_network_inspect(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	json_t *out = NULL;

	if (network_inspect(networks_of(req), api_param(req, "id"), &out, &err) < 0)
		api_reply_husk_error(req, err);
	else
		api_reply_json(req, 200, out);
}

void h_network_create(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *body = api_body_json(req);
	json_t *out = NULL;

	if (!body)
		return;
	if (network_create(networks_of(req), body, &out, &err) < 0) {
		/* dockerd answers a name conflict with 409, a bad request with 400 */
		api_reply_husk_error(req, err);
		return;
	}
	network_event(req, "create", json_string_value(json_object_get(out, "Id")),
	              json_string_value(json_object_get(body, "Name")));
	api_reply_json(req, 201, out);
}

void h_network_delete(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_free_ char *name = NULL, *id = NULL;
	struct networks *n = networks_of(req);
	int r;

	r = network_resolve(n, api_param(req, "id"), &name, &id, NULL, &err);
	if (r == 0)
		r = network_remove(n, id, &err);
	if (r < 0) {
		/* a predefined network: 403 as dockerd */
		if (r == -EPERM)
			api_reply_error(req, 403, "%s", error_message(err));
		else
			api_reply_husk_error(req, err);
		return;
	}
	network_event(req, "destroy", id, name);
	api_reply_status(req, 204);
}

void h_networks_prune(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *filters = NULL;
	json_t *out = NULL;

	if (api_query_filters(req, &filters) < 0)
		return;
	if (network_prune(networks_of(req), filters, &out, &err) < 0) {
		api_reply_husk_error(req, err);
		return;
	}
	events_publish(((struct engine *)api_ctx(req))->events, "network", "prune", "", NULL);
	api_reply_json(req, 200, out);
}

/* dockerd's statuses: 403 for an endpoint that exists, 500 for a
 * container that is not connected. */
static void reply_connect_error(struct api_request *req, int r, const struct husk_error *err)
{
	if (r == -EPERM)
		api_reply_error(req, 403, "%s", error_message(err));
	else
		api_reply_husk_error(req, err);
}

/* The body of a connect or disconnect, with its Container; NULL when
 * it was answered already. */
static json_t *connect_body(struct api_request *req, const char **ret_container)
{
	json_t *body = api_body_json(req);

	if (!body)
		return NULL;
	*ret_container = json_string_value(json_object_get(body, "Container"));
	if (isempty(*ret_container)) {
		api_reply_error(req, 400, "no container specified");
		json_decref(body);
		return NULL;
	}
	return body;
}

void h_network_connect(struct api_request *req)
{
	struct engine *e = api_ctx(req);
	_cleanup_error_ struct husk_error *err = NULL;
	const char *container = NULL;
	_cleanup_json_ json_t *body = connect_body(req, &container);
	json_t *epc = json_object_get(body, "EndpointConfig");
	int r;

	if (!body)
		return;
	if (json_is_null(epc))
		epc = NULL;
	compat_network_connect(api_version(req), epc);
	r = containers_network_connect(e->containers, api_param(req, "id"), container, epc, &err);
	if (r < 0)
		reply_connect_error(req, r, err);
	else
		api_reply_status(req, 200);
}

void h_network_disconnect(struct api_request *req)
{
	struct engine *e = api_ctx(req);
	_cleanup_error_ struct husk_error *err = NULL;
	const char *container = NULL;
	_cleanup_json_ json_t *body = connect_body(req, &container);
	int r;

	if (!body)
		return;
	r = containers_network_disconnect(e->containers, api_param(req, "id"), container,
	                                  json_is_true(json_object_get(body, "Force")), &err);
	if (r < 0)
		reply_connect_error(req, r, err);
	else
		api_reply_status(req, 200);
}
