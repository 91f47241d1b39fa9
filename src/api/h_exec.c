/* h_exec.c — exec: POST /containers/{name}/exec, POST /exec/{id}/start
 * (hijacked, or detached), POST /exec/{id}/resize, GET /exec/{id}/json. */
#include <string.h>

#include "api/handlers.h"
#include "base/json.h"
#include "base/str.h"
#include "engine/containers.h"
#include "engine/engine.h"

static struct containers *cs_of(struct api_request *req)
{
	return ((struct engine *)api_ctx(req))->containers;
}

void h_container_exec(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *body = api_body_json(req);
	_cleanup_free_ char *id = NULL;

	if (!body)
		return;
	if (containers_exec_create(cs_of(req), api_param(req, "name"), body, &id, &err) < 0)
		api_reply_husk_error(req, err);
	else
		api_reply_json(req, 201, json_pack("{s:s}", "Id", id));
}

void h_exec_inspect(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	json_t *out = NULL;

	if (containers_exec_inspect(cs_of(req), api_param(req, "id"), &out, &err) < 0)
		api_reply_husk_error(req, err);
	else
		api_reply_json(req, 200, out);
}

static void exec_fn(const struct api_hijack *h, void *data)
{
	containers_exec_start_run(data, h->sock, h->pending, h->pending_len, h->shutdown_fd);
}

static void exec_done(void *data)
{
	containers_exec_run_free(data);
}

void h_exec_start(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *body = api_body_json(req);
	struct containers_exec_run *run = NULL;
	unsigned v = api_version(req);
	bool tty = false;

	if (!body)
		return;
	if (containers_exec_start_begin(cs_of(req), api_param(req, "id"), body, &run, &tty, &err) <
	    0) {
		api_reply_husk_error(req, err);
		return;
	}
	if (!run) { /* detached: started */
		api_reply_status(req, 200);
		return;
	}
	api_reply_hijack(req,
	                 (v != 0 && v < 142) || tty ? "application/vnd.docker.raw-stream"
	                                            : "application/vnd.docker.multiplexed-stream",
	                 exec_fn, run, exec_done);
}

void h_exec_resize(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	unsigned h, w;

	if (api_query_size(req, &h, &w) < 0)
		return;
	if (containers_exec_resize(cs_of(req), api_param(req, "id"), h, w, &err) < 0)
		api_reply_husk_error(req, err);
	else
		api_reply_status(req, 200);
}
