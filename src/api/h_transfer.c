/* h_transfer.c — images as files: save (GET /images/get, /images/{name}/get),
 * load (POST /images/load) and import (POST /images/create?fromSrc=-).
 * Load and import read the request body as it streams in; their replies
 * are JSON lines as dockerd writes them, errors included. */
#include <string.h>

#include "api/handlers.h"
#include "base/json.h"
#include "base/log.h"
#include "base/str.h"
#include "engine/engine.h"
#include "image/images.h"
#include "image/transfer.h"

static struct store *store_of(struct api_request *req)
{
	return ((struct engine *)api_ctx(req))->store;
}

/* ---- save ---- */

struct save_stream {
	struct image_save_plan *plan;
	char *what; /* for the log */
};

static void save_stream_free(void *p)
{
	struct save_stream *ss = p;

	image_save_plan_free(ss->plan);
	free(ss->what);
	free(ss);
}

static void save_producer(int fd, int shutdown_fd, void *data)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct save_stream *ss = data;

	/* the headers are out: all a failure can do now is cut the tar short */
	if (image_save_write(ss->plan, fd, &err) < 0)
		log_error("save %s: %s", ss->what, error_message(err));
}

/* Everything that can fail for want of an image fails here, before the
 * 200 goes out. */
static void save_reply(struct api_request *req, char **names)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_strv_ char **v = names;
	struct save_stream *ss = NULL;
	enum save_format format = SAVE_DOCKER;
	const char *f = api_query(req, "format"); /* husk's own: "oci" */

	if (!v || !(ss = calloc(1, sizeof(*ss))) || !(ss->what = strv_join(v, ", "))) {
		free(ss);
		api_reply_error(req, 500, "out of memory");
		return;
	}
	if (!isempty(f) && save_format_parse(f, &format) < 0) {
		save_stream_free(ss);
		api_reply_error(req, 400, "invalid format \"%s\": expected docker or oci", f);
		return;
	}
	if (image_save_prepare(store_of(req), v, format, &ss->plan, &err) < 0) {
		save_stream_free(ss);
		api_reply_husk_error(req, err);
		return;
	}
	api_image_events_named(req, "save", v);
	api_reply_stream(req, 200, "application/x-tar", save_producer, ss, save_stream_free);
}

void h_images_get(struct api_request *req)
{
	save_reply(req, api_query_list(req, "names"));
}

void h_image_get(struct api_request *req)
{
	char **names = strv_new();

	if (names && strv_push(&names, api_param(req, "name")) < 0) {
		strv_free(names);
		names = NULL;
	}
	save_reply(req, names);
}

/* ---- JSON lines ---- */

static void line_add(struct strbuf *out, const char *key, const char *text)
{
	_cleanup_json_ json_t *j = json_pack("{s:s}", key, text);
	_cleanup_free_ char *s = j ? json_compact(j) : NULL;

	if (s) {
		strbuf_puts(out, s);
		strbuf_puts(out, "\n");
	}
}

static void error_line_add(struct strbuf *out, const struct husk_error *err)
{
	const char *msg = error_message(err);
	_cleanup_json_ json_t *j =
	        json_pack("{s:{s:s}, s:s}", "errorDetail", "message", msg, "error", msg);
	_cleanup_free_ char *s = j ? json_compact(j) : NULL;

	if (s) {
		strbuf_puts(out, s);
		strbuf_puts(out, "\n");
	}
}

static void reply_lines(struct api_request *req, struct strbuf *out)
{
	api_reply_data(req, 200, "application/json", out->buf ?: "", out->len);
	strbuf_release(out);
}

/* ---- load ---- */

static void load_progress(const char *line, void *data)
{
	_cleanup_free_ char *text = str_printf("%s\n", line);

	if (text)
		line_add(data, "stream", text);
}

void h_images_load(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_strv_ char **loaded = NULL;
	struct strbuf out = {0};

	if (image_load(store_of(req), api_body_fd(req), load_progress, &out, &loaded, &err) < 0) {
		if (api_body_truncated(req))
			error_wrap(&err, "the client stopped sending the archive");
		log_warn("load: %s", error_message(err));
		error_line_add(&out, err);
	}
	api_image_events_named(req, "load", loaded);
	reply_lines(req, &out);
}

/* ---- import (and, later, pull) ---- */

/* repo may carry the tag itself when tag is empty ("busybox:v1"), as the
 * docker CLI sends it. */
static char *import_ref(struct api_request *req)
{
	const char *repo = api_query(req, "repo"), *tag = api_query(req, "tag");

	if (isempty(repo))
		return strdup("");
	if (isempty(tag))
		return strdup(repo);
	return str_printf("%s:%s", repo, tag);
}

/* A tar cut short at an entry boundary reads as a whole one: when the
 * client went away mid-body, what was imported is not what it sent. */
static void import_undo(struct api_request *req, const struct digest *id, struct husk_error **err)
{
	_cleanup_json_ json_t *out = NULL;

	image_remove(store_of(req), id->str, true, NULL, NULL, &out, NULL);
	error_set(err, EPIPE, "import: the client stopped sending the archive");
}

void h_images_create(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_strv_ char **changes = api_query_list(req, "changes");
	_cleanup_free_ char *ref = import_ref(req);
	const char *src = api_query(req, "fromSrc");
	struct strbuf out = {0};
	struct digest id;

	if (!isempty(api_query(req, "fromImage"))) {
		h_images_pull(req);
		return;
	}
	if (isempty(src)) {
		api_reply_error(req, 400, "fromImage or fromSrc is required");
		return;
	}
	if (!streq(src, "-")) {
		api_reply_error(req, 501,
		                "import from \"%s\": only fromSrc=- (the request body) "
		                "is supported",
		                src);
		return;
	}
	if (!changes || !ref) {
		api_reply_error(req, 500, "out of memory");
		return;
	}
	if (image_import(store_of(req), api_body_fd(req), ref, changes, api_query(req, "message"),
	                 &id, &err) == 0 &&
	    api_body_truncated(req))
		import_undo(req, &id, &err);
	if (err) {
		log_warn("import: %s", error_message(err));
		error_line_add(&out, err);
	} else {
		line_add(&out, "status", id.str);
		api_image_event(req, "import", id.str, NULL);
	}
	reply_lines(req, &out);
}
