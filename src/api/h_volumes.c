/* h_volumes.c — the volume endpoints: GET /volumes, POST /volumes/create,
 * GET /volumes/{name}, DELETE /volumes/{name}, POST /volumes/prune, with
 * Docker's shapes, statuses and events (create, destroy, prune). */
#include <string.h>

#include "api/handlers.h"
#include "base/json.h"
#include "base/str.h"
#include "engine/containers.h"
#include "engine/engine.h"
#include "engine/events.h"
#include "engine/volumes.h"

static struct engine *engine_of(struct api_request *req)
{
	return api_ctx(req);
}

static void volume_event(struct api_request *req, const char *action, const char *name)
{
	events_publish(engine_of(req)->events, "volume", action, name,
	               json_pack("{s:s}", "driver", "local"));
}

void h_volumes_list(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *filters = NULL;
	struct engine *e = engine_of(req);
	json_t *out = NULL;

	if (api_query_filters(req, &filters) < 0)
		return;
	if (volume_list(e->volumes, filters, engine_volume_in_use, e, &out, &err) < 0)
		api_reply_husk_error(req, err);
	else
		api_reply_json(req, 200, out);
}

/* A string→string map of the body, or NULL; replies 400 when mistyped. */
static int body_map(struct api_request *req, json_t *body, const char *key, json_t **ret)
{
	json_t *m = json_object_get(body, key);

	*ret = NULL;
	if (!m || json_is_null(m))
		return 0;
	if (!json_is_object(m)) {
		api_reply_error(req, 400, "%s: expected an object of strings", key);
		return -EINVAL;
	}
	*ret = m;
	return 0;
}

void h_volumes_create(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *body = api_body_json(req), *existing = NULL;
	struct engine *e = engine_of(req);
	json_t *labels, *opts, *out = NULL, *jname, *jdriver;
	const char *name;

	if (!body)
		return;
	jname = json_object_get(body, "Name");
	jdriver = json_object_get(body, "Driver");
	if ((jname && !json_is_string(jname) && !json_is_null(jname)) ||
	    (jdriver && !json_is_string(jdriver) && !json_is_null(jdriver))) {
		api_reply_error(req, 400, "Name and Driver: expected strings");
		return;
	}
	if (body_map(req, body, "Labels", &labels) < 0 ||
	    body_map(req, body, "DriverOpts", &opts) < 0)
		return;
	name = json_string_value(jname);
	/* Docker reports "create" only for a volume that is new */
	if (!isempty(name))
		(void)volume_inspect(e->volumes, name, &existing, NULL);
	if (volume_create(e->volumes, name, json_string_value(jdriver), labels, opts, &out, &err) <
	    0) {
		api_reply_husk_error(req, err);
		return;
	}
	if (!existing)
		volume_event(req, "create", json_string_value(json_object_get(out, "Name")));
	api_reply_json(req, 201, out);
}

void h_volume_inspect(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	json_t *out = NULL;

	if (volume_inspect(engine_of(req)->volumes, api_param(req, "name"), &out, &err) < 0)
		api_reply_husk_error(req, err);
	else
		api_reply_json(req, 200, out);
}

void h_volume_delete(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *existing = NULL;
	struct engine *e = engine_of(req);
	const char *name = api_param(req, "name");

	(void)volume_inspect(e->volumes, name, &existing, NULL);
	if (volume_remove(e->volumes, name, api_query_bool(req, "force", false),
	                  engine_volume_in_use, e, &err) < 0) {
		api_reply_husk_error(req, err);
		return;
	}
	if (existing)
		volume_event(req, "destroy", name);
	api_reply_status(req, 204);
}

void h_volumes_prune(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *filters = NULL;
	_cleanup_free_ char *reclaimed = NULL;
	struct engine *e = engine_of(req);
	json_t *out = NULL, *name;
	size_t i;

	if (api_query_filters(req, &filters) < 0)
		return;
	if (volume_prune(e->volumes, filters, engine_volume_in_use, e, &out, &err) < 0) {
		api_reply_husk_error(req, err);
		return;
	}
	json_array_foreach (json_object_get(out, "VolumesDeleted"), i, name)
		volume_event(req, "destroy", json_string_value(name));
	reclaimed = str_printf("%lld", json_integer_value(json_object_get(out, "SpaceReclaimed")));
	if (reclaimed)
		events_publish(e->events, "volume", "prune", "",
		               json_pack("{s:s}", "reclaimed", reclaimed));
	api_reply_json(req, 200, out);
}

int api_volumes_disk_usage(struct api_request *req, json_t *df, struct husk_error **err)
{
	struct engine *e = engine_of(req);
	json_t *list = json_object_get(df, "Volumes");

	if (!json_is_array(list)) {
		list = json_array();
		if (!list || json_object_set_new(df, "Volumes", list) < 0)
			return error_set(err, ENOMEM, "out of memory");
	}
	return volume_disk_usage(e->volumes, engine_volume_in_use, e, list, err);
}
