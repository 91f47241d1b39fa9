/* h_images.c — the local image endpoints: list, inspect, history, tag,
 * remove, prune. */
#include <string.h>

#include "api/handlers.h"
#include "base/json.h"
#include "base/str.h"
#include "engine/engine.h"
#include "image/images.h"

/* The "filters" query argument: Docker's JSON map, or NULL when absent.
 * Replies 400 itself on malformed JSON. */
static int query_filters(struct api_request *req, json_t **ret)
{
	_cleanup_error_ struct husk_error *err = NULL;
	const char *q = api_query(req, "filters");

	*ret = NULL;
	if (isempty(q))
		return 0;
	if (json_parse("filters", q, strlen(q), 1 << 16, ret, &err) < 0 || !json_is_object(*ret)) {
		json_decref(*ret);
		*ret = NULL;
		api_reply_error(req, 400, "invalid filter: %s",
		                err ? error_message(err) : "expected a JSON object");
		return -EINVAL;
	}
	return 0;
}

static struct store *store_of(struct api_request *req)
{
	return ((struct engine *)api_ctx(req))->store;
}

void h_images_list(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *filters = NULL;
	json_t *out = NULL;
	struct image_list_opts o = {.all = api_query_bool(req, "all", false),
	                            .digests = api_query_bool(req, "digests", false)};

	if (query_filters(req, &filters) < 0)
		return;
	o.filters = filters;
	if (image_list_json(store_of(req), &o, &out, &err) < 0)
		api_reply_husk_error(req, err);
	else
		api_reply_json(req, 200, out);
}

void h_image_inspect(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	json_t *out = NULL;

	if (image_inspect_json(store_of(req), api_param(req, "name"), &out, &err) < 0)
		api_reply_husk_error(req, err);
	else
		api_reply_json(req, 200, out);
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
	else
		api_reply_status(req, 201);
}

void h_image_delete(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	json_t *out = NULL;

	if (image_remove(store_of(req), api_param(req, "name"), api_query_bool(req, "force", false),
	                 NULL, NULL, &out, &err) < 0)
		api_reply_husk_error(req, err);
	else
		api_reply_json(req, 200, out);
}

void h_images_prune(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *filters = NULL;
	json_t *out = NULL;

	if (query_filters(req, &filters) < 0)
		return;
	if (image_prune(store_of(req), filters, NULL, NULL, &out, &err) < 0)
		api_reply_husk_error(req, err);
	else
		api_reply_json(req, 200, out);
}
