/* h_events.c — GET /events: the event bus as a stream of JSON lines, one
 * per event, flushed as it happens; it ends at `until`, when the client
 * goes away or when the daemon stops. Also the helper the image handlers
 * publish their events with. */
#include <poll.h>
#include <string.h>

#include "api/handlers.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"
#include "base/str.h"
#include "engine/engine.h"
#include "engine/events.h"
#include "image/images.h"

/* Write one event as a line; false once the client is gone. */
static bool write_event(int fd, json_t *e)
{
	_cleanup_free_ char *s = json_compact(e);
	_cleanup_free_ char *line = s ? str_printf("%s\n", s) : NULL;

	return line && write_all(fd, line, strlen(line)) == 0;
}

static void events_producer(int fd, int shutdown_fd, void *data)
{
	struct events_sub *s = data;

	for (;;) {
		struct pollfd p[3] = {
		        {.fd = events_sub_fd(s), .events = POLLIN},
		        {.fd = shutdown_fd, .events = POLLIN},
		        {.fd = fd, .events = 0}, /* POLLERR: the client went away */
		};
		bool done = false;
		json_t *e;

		while ((e = events_sub_next(s, 0, &done))) {
			bool ok = write_event(fd, e);
			json_decref(e);
			if (!ok)
				return;
		}
		if (done)
			return;
		if (poll(p, ELEMENTSOF(p), events_sub_timeout(s)) < 0 && errno != EINTR)
			return;
		if ((p[1].revents & POLLIN) || (p[2].revents & (POLLERR | POLLHUP)))
			return;
	}
}

static void events_sub_done(void *data)
{
	events_sub_free(data);
}

void h_events(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *filters = NULL;
	struct engine *e = api_ctx(req);
	struct events_sub *s = NULL;

	if (api_query_filters(req, &filters) < 0)
		return;
	if (events_subscribe(e->events, api_query(req, "since"), api_query(req, "until"), filters,
	                     &s, &err) < 0) {
		api_reply_husk_error(req, err);
		return;
	}
	api_reply_stream(req, 200, "application/json", events_producer, s, events_sub_done);
}

void api_image_event(struct api_request *req, const char *action, const char *id, const char *name)
{
	struct engine *e = api_ctx(req);
	json_t *attrs = json_object();

	if (!attrs || json_set(attrs, "name", json_string(name ? name : id ? id : "")) < 0) {
		json_decref(attrs);
		return;
	}
	events_publish(e->events, "image", action, id, attrs);
}

void api_image_event_named(struct api_request *req, const char *action, const char *image,
                           const char *name)
{
	_cleanup_(store_image_freep) struct store_image *img = NULL;
	struct engine *e = api_ctx(req);

	if (image && image_resolve(e->store, image, &img, NULL) == 0)
		api_image_event(req, action, img->id.str, name);
}

void api_image_events_named(struct api_request *req, const char *action, char *const *names)
{
	_cleanup_strv_ char **seen = strv_new();
	struct engine *e = api_ctx(req);

	STRV_FOREACH (n, names) {
		_cleanup_(store_image_freep) struct store_image *img = NULL;

		if (!seen || image_resolve(e->store, *n, &img, NULL) < 0 ||
		    strv_contains(seen, img->id.str) || strv_push(&seen, img->id.str) < 0)
			continue;
		api_image_event(req, action, img->id.str, NULL);
	}
}

void api_image_events_removed(struct api_request *req, const char *id, json_t *removed)
{
	json_t *entry;
	size_t i;

	json_array_foreach (removed, i, entry) {
		const char *deleted = json_string_value(json_object_get(entry, "Deleted"));
		const char *img = id;

		if (deleted) {
			api_image_event(req, "delete", deleted, NULL);
			continue;
		}
		if (!json_object_get(entry, "Untagged"))
			continue;
		/* prune lists an image's untags before its deletion */
		for (size_t j = i + 1; !img && j < json_array_size(removed); j++)
			img = json_string_value(
			        json_object_get(json_array_get(removed, j), "Deleted"));
		if (img)
			api_image_event(req, "untag", img, NULL);
	}
}
