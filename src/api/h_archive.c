/* h_archive.c — a container's files: HEAD/GET/PUT /containers/{name}/archive
 * (docker cp), GET /containers/{name}/export and /changes (docker diff). */
#include "api/handlers.h"
#include "base/str.h"
#include "engine/container_archive.h"
#include "engine/engine.h"

#define PATH_STAT_HEADER "X-Docker-Container-Path-Stat"

static struct containers *cs_of(struct api_request *req)
{
	return ((struct engine *)api_ctx(req))->containers;
}

/* The path argument; replies 400 itself when it is missing. */
static const char *path_arg(struct api_request *req)
{
	const char *p = api_query(req, "path");

	if (isempty(p))
		api_reply_error(req, 400, "bad parameter: pathcannot be empty"); /* sic */
	return isempty(p) ? NULL : p;
}

void h_container_archive_head(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_free_ char *header = NULL;
	const char *path = path_arg(req);

	if (!path)
		return;
	if (containers_archive_stat(cs_of(req), api_param(req, "name"), path, &header, &err) < 0) {
		api_reply_husk_error(req, err);
		return;
	}
	api_reply_header(req, PATH_STAT_HEADER, header);
	api_reply_status(req, 200);
}

static void archive_producer(int fd, int shutdown_fd, void *data)
{
	containers_archive_run(data, fd);
}

static void archive_done(void *data)
{
	containers_archive_free(data);
}

void h_container_archive_get(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_free_ char *header = NULL;
	struct containers_archive *a = NULL;
	const char *path = path_arg(req);

	if (!path)
		return;
	if (containers_archive_get_begin(cs_of(req), api_param(req, "name"), path, &a, &header,
	                                 &err) < 0) {
		api_reply_husk_error(req, err);
		return;
	}
	api_reply_header(req, PATH_STAT_HEADER, header);
	api_reply_stream(req, 200, "application/x-tar", archive_producer, a, archive_done);
}

void h_container_archive_put(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct containers_put_opts o = {
	        .no_overwrite_dir_non_dir = api_query_bool(req, "noOverwriteDirNonDir", false),
	        .copy_uid_gid = api_query_bool(req, "copyUIDGID", false),
	};
	const char *path = path_arg(req);

	if (!path)
		return;
	if (containers_archive_put(cs_of(req), api_param(req, "name"), path, &o, api_body_fd(req),
	                           &err) == 0 &&
	    !api_body_truncated(req)) {
		api_reply_status(req, 200);
		return;
	}
	if (!err)
		error_set(&err, EPIPE, "the client stopped sending the archive");
	api_reply_husk_error(req, err);
}

void h_container_export(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct containers_archive *a = NULL;

	if (containers_export_begin(cs_of(req), api_param(req, "name"), &a, &err) < 0) {
		api_reply_husk_error(req, err);
		return;
	}
	api_reply_stream(req, 200, "application/x-tar", archive_producer, a, archive_done);
}

void h_container_changes(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	json_t *changes = NULL;

	if (containers_changes(cs_of(req), api_param(req, "name"), &changes, &err) < 0) {
		api_reply_husk_error(req, err);
		return;
	}
	api_reply_json(req, 200, changes);
}
