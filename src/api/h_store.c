/* h_store.c — /system/df and husk's /system/check (store consistency). */
#include "api/compat.h"
#include "api/handlers.h"
#include "base/json.h"
#include "base/str.h"
#include "engine/containers.h"
#include "engine/engine.h"
#include "image/images.h"
#include "network/network.h"

void h_system_df(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct engine *e = api_ctx(req);
	json_t *out = json_pack("{s:[], s:[], s:[]}", "Containers", "Volumes", "BuildCache");

	struct containers_list_opts all = {.all = true, .size = true};
	json_t *containers = NULL;

	if (!out || image_disk_usage(e->store, out, &err) < 0 ||
	    api_volumes_disk_usage(req, out, &err) < 0 ||
	    containers_list(e->containers, &all, &containers, &err) < 0) {
		json_decref(out);
		api_reply_husk_error(req, err);
		return;
	}
	json_object_set_new(out, "Containers", containers);
	compat_system_df(api_version(req), out);
	api_reply_json(req, 200, out);
}

/* POST /system/check?repair=1 — a husk extension: verify every blob,
 * reference, layer and snapshot of the store, and repair when asked. */
/* Network leaks: endpoints of containers that are not running, veths
 * without an endpoint (appended to problems). */
static void network_leaks(struct engine *e, json_t *problems)
{
	struct containers_list_opts o = {.all = false};
	_cleanup_json_ json_t *running = NULL, *leaks = NULL;
	_cleanup_strv_ char **live = strv_new();
	json_t *c;
	size_t i;

	if (!live || containers_list(e->containers, &o, &running, NULL) < 0)
		return;
	json_array_foreach (running, i, c)
		strv_push(&live, json_string_value(json_object_get(c, "Id")));
	if (networks_check(e->networks, live, &leaks, NULL) == 0)
		json_array_extend(problems, leaks);
}

void h_system_check(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct engine *e = api_ctx(req);
	struct store_check_report rep = {0};

	if (store_check(e->store, api_query_bool(req, "repair", false), &rep, &err) < 0) {
		api_reply_husk_error(req, err);
		return;
	}
	json_t *problems = json_from_strv(rep.problems);
	network_leaks(e, problems);
	api_reply_json(req, 200,
	               json_pack("{s:o, s:o, s:o}", "Problems", problems, "Leftovers",
	                         json_from_strv(rep.leftovers), "Repaired",
	                         json_from_strv(rep.repaired)));
	store_check_report_release(&rep);
}
