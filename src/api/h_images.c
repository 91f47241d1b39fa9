/* h_images.c — the local image endpoints: list, inspect, history, tag,
 * remove, prune. */
#include <string.h>
#include <time.h>

#include "api/compat.h"
#include "api/handlers.h"
#include "base/json.h"
#include "base/str.h"
#include "engine/containers.h"
#include "engine/engine.h"
#include "engine/events.h"
#include "image/images.h"

static struct store *store_of(struct api_request *req)
{
	return ((struct engine *)api_ctx(req))->store;
}

/* The containers, whose images rmi and prune keep. */
static struct containers *containers_of(struct api_request *req)
{
	return ((struct engine *)api_ctx(req))->containers;
}

/* The "until" filter of the image list: a timestamp as Docker takes it
 * (unix seconds, a date, or a duration before now). 400 itself when bad. */
static int until_filter(struct api_request *req, json_t *filters, struct image_list_opts *o)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_strv_ char **until = NULL;
	struct timespec now;

	if (filters_values(filters, "until", &until) < 0) {
		api_reply_error(req, 500, "out of memory");
		return -ENOMEM;
	}
	if (strv_length(until) > 1) {
		api_reply_error(req, 400, "more than one until filter specified");
		return -EINVAL;
	}
	if (!until[0])
		return 0;
	clock_gettime(CLOCK_REALTIME, &now);
	if (events_parse_time(until[0], (int64_t)now.tv_sec * 1000000000 + now.tv_nsec,
	                      &o->until_ns, &err) < 0) {
		api_reply_husk_error(req, err);
		return -EINVAL;
	}
	o->has_until = true;
	return 0;
}

void h_images_list(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *filters = NULL;
	json_t *out = NULL;
	struct image_list_opts o = {.all = api_query_bool(req, "all", false),
	                            .digests = api_query_bool(req, "digests", false)};

	if (api_query_filters(req, &filters) < 0 || until_filter(req, filters, &o) < 0)
		return;
	o.filters = filters;
	o.in_use = containers_image_user;
	o.in_use_data = containers_of(req);
	if (image_list_json(store_of(req), &o, &out, &err) < 0)
		api_reply_husk_error(req, err);
	else {
		compat_image_list(api_version(req), out);
		api_reply_json(req, 200, out);
	}
}

void h_image_inspect(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	json_t *out = NULL;

	if (image_inspect_json(store_of(req), api_param(req, "name"), &out, &err) < 0)
		api_reply_husk_error(req, err);
	else {
		compat_image_inspect(api_version(req), out);
		api_reply_json(req, 200, out);
	}
}

void h_image_history(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	json_t *out = NULL;

	if (image_history_json(store_of(req), api_param(req, "name"), &out, &err) < 0)
		api_reply_husk_error(req, err);
	else
		api_reply_json(req, 200, out);
}

void h_image_tag(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	const char *repo = api_query(req, "repo");

	if (isempty(repo)) {
		api_reply_error(req, 400, "repository name must have at least one component");
		return;
	}
	if (image_tag(store_of(req), api_param(req, "name"), repo, api_query(req, "tag"), &err) < 0)
		api_reply_husk_error(req, err);
	else {
		const char *last = strrchr(repo, '/') ? strrchr(repo, '/') : repo;
		_cleanup_free_ char *ref = str_printf(
		        "%s:%s", repo,
		        isempty(api_query(req, "tag")) ? "latest" : api_query(req, "tag"));
		/* the event names the new reference ("repo:tag") */
		api_image_event_named(req, "tag", api_param(req, "name"),
		                      ref && !strchr(last, ':') ? ref : repo);
		api_reply_status(req, 201);
	}
}

void h_image_delete(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_(store_image_freep) struct store_image *img = NULL;
	json_t *out = NULL;

	(void)image_resolve(store_of(req), api_param(req, "name"), &img, NULL);
	if (image_remove(store_of(req), api_param(req, "name"), api_query_bool(req, "force", false),
	                 containers_image_user, containers_of(req), &out, &err) < 0)
		api_reply_husk_error(req, err);
	else {
		api_image_events_removed(req, img ? img->id.str : NULL, out);
		api_reply_json(req, 200, out);
	}
}

void h_images_prune(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *filters = NULL;
	json_t *out = NULL;

	if (api_query_filters(req, &filters) < 0)
		return;
	if (image_prune(store_of(req), filters, containers_image_user, containers_of(req), &out,
	                &err) < 0)
		api_reply_husk_error(req, err);
	else {
		_cleanup_free_ char *reclaimed = str_printf(
		        "%lld", json_integer_value(json_object_get(out, "SpaceReclaimed")));
		api_image_events_removed(req, NULL, json_object_get(out, "ImagesDeleted"));
		events_publish(((struct engine *)api_ctx(req))->events, "image", "prune", "",
		               json_pack("{s:s}", "reclaimed", reclaimed ? reclaimed : "0"));
		api_reply_json(req, 200, out);
	}
}
