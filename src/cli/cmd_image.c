/* cmd_image.c — images, tag, rmi, history, image inspect, image prune. */
#include <string.h>
#include <time.h>

#include "api/client.h"
#include "base/json.h"
#include "base/str.h"
#include "cli/cli.h"
#include "cli/table.h"

static const struct table_column history_headers[] = {
        {"ID", "IMAGE"},
        {"CreatedSince", "CREATED"},
        {"CreatedAt", "CREATED AT"},
        {"CreatedBy", "CREATED BY"},
        {"Size", "SIZE"},
        {"Comment", "COMMENT"},
        {NULL, NULL},
};

static const struct table_column image_headers[] = {
        {"ID", "IMAGE ID"},
        {"Repository", "REPOSITORY"},
        {"Tag", "TAG"},
        {"Digest", "DIGEST"},
        {"CreatedSince", "CREATED"},
        {"CreatedAt", "CREATED AT"},
        {"Size", "SIZE"},
        {"Containers", "CONTAINERS"},
        {"CreatedBy", "CREATED BY"},
        {"Comment", "COMMENT"},
        {NULL, NULL},
};

static char *escaped(const char *s)
{
	return api_client_escape(s);
}

/* "docker.io/x:tag"-free familiar "repo:tag" split at the last ':' after
 * the last '/'. */
static void split_tag(const char *ref, char **ret_repo, char **ret_tag)
{
	const char *slash = strrchr(ref, '/'), *colon = strrchr(ref, ':');

	if (colon && (!slash || colon > slash)) {
		*ret_repo = strndup(ref, colon - ref);
		*ret_tag = strdup(colon + 1);
	} else {
		*ret_repo = strdup(ref);
		*ret_tag = strdup("<none>");
	}
}

static const char *digest_for(json_t *img, const char *repo)
{
	json_t *d;
	size_t i;

	json_array_foreach (json_object_get(img, "RepoDigests"), i, d) {
		const char *s = json_string_value(d), *at = s ? strchr(s, '@') : NULL;
		if (at && (size_t)(at - s) == strlen(repo) && strncmp(s, repo, at - s) == 0)
			return at + 1;
	}
	return "<none>";
}

static json_t *image_row(json_t *img, const char *repo, const char *tag, bool no_trunc, int64_t now)
{
	int64_t created = json_integer_value(json_object_get(img, "Created"));
	_cleanup_free_ char *id =
	        format_id(json_string_value(json_object_get(img, "Id")), no_trunc);
	_cleanup_free_ char *since = format_since(created, now);
	_cleanup_free_ char *size =
	        format_size((uint64_t)json_integer_value(json_object_get(img, "Size")));
	char at[64];
	time_t t = (time_t)created;
	struct tm tm;

	strftime(at, sizeof(at), "%Y-%m-%d %H:%M:%S %z %Z", localtime_r(&t, &tm));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", id ? id : "",
	                 "Repository", repo, "Tag", tag, "Digest", digest_for(img, repo),
	                 "CreatedSince", since ? since : "", "CreatedAt", at, "Size",
	                 size ? size : "", "Containers", "N/A");
}

/* One row per tag, as `docker images` shows; untagged images once as
 * <none>:<none>. */
static json_t *image_rows(json_t *list, bool no_trunc)
{
	json_t *rows = json_array(), *img, *t;
	int64_t now = time(NULL);
	size_t i, j;

	json_array_foreach (list, i, img) {
		json_t *tags = json_object_get(img, "RepoTags");
		if (json_array_size(tags) == 0) {
			json_array_append_new(rows,
			                      image_row(img, "<none>", "<none>", no_trunc, now));
			continue;
		}
		json_array_foreach (tags, j, t) {
			_cleanup_free_ char *repo = NULL, *tag = NULL;
			split_tag(json_string_value(t), &repo, &tag);
			if (repo && tag)
				json_array_append_new(rows,
				                      image_row(img, repo, tag, no_trunc, now));
		}
	}
	return rows;
}

/* --filter key=value (repeatable) → Docker's filters JSON, escaped. */
int cmd_images(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
               struct husk_error **err)
{
	_cleanup_json_ json_t *list = NULL, *rows = NULL;
	_cleanup_free_ char *filters = NULL, *path = NULL;
	bool no_trunc = flags_bool(f, "no-trunc");
	const char *fmt = flags_string(f, "format");
	int r = cli_filters_query(flags_list(f, "filter"), &filters, err);

	if (r == 0 && flags_nargs(f) == 1) {
		_cleanup_free_ char *ref = str_printf("reference=%s", flags_args(f)[0]);
		char *v[] = {ref, NULL};
		free(filters);
		r = ref ? cli_filters_query(v, &filters, err) : -ENOMEM;
	}
	if (r < 0)
		return r;
	path = str_printf("/images/json?all=%d%s%s", flags_bool(f, "all"),
	                  *filters ? "&filters=" : "", filters);
	r = path ? cli_get(cli, path, &list, err) : error_set(err, ENOMEM, "out of memory");
	if (r < 0)
		return r;
	rows = image_rows(list, no_trunc);
	if (flags_bool(f, "quiet"))
		fmt = "{{.ID}}";
	return table_render(
	        cli->out, fmt,
	        flags_bool(f, "digests")
	                ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t"
	                  "{{.CreatedSince}}\t{{.Size}}"
	                : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t"
	                  "{{.Size}}",
	        image_headers, rows, err);
}

int cmd_tag(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
            struct husk_error **err)
{
	_cleanup_free_ char *src = escaped(flags_args(f)[0]), *repo = NULL, *tag = NULL;
	_cleanup_free_ char *erepo = NULL, *etag = NULL, *path = NULL;
	struct api_client *c = NULL;
	int r;

	split_tag(flags_args(f)[1], &repo, &tag);
	if (!src || !repo || !tag)
		return error_set(err, ENOMEM, "out of memory");
	erepo = escaped(repo);
	etag = escaped(streq(tag, "<none>") ? "latest" : tag);
	path = str_printf("/images/%s/tag?repo=%s&tag=%s", src, erepo, etag);
	r = cli_connect(cli, &c, err);
	return r ?: api_client_call(c, "POST", path, NULL, NULL, NULL, err);
}

int cmd_rmi(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
            struct husk_error **err)
{
	struct api_client *c = NULL;
	int r = cli_connect(cli, &c, err), status = 0;

	if (r < 0)
		return r;
	STRV_FOREACH (name, flags_args(f)) {
		_cleanup_free_ char *e = escaped(*name), *path = NULL;
		_cleanup_error_ struct husk_error *one = NULL;
		_cleanup_json_ json_t *actions = NULL;
		json_t *a;
		size_t i;

		path = str_printf("/images/%s?force=%d&noprune=%d", e, flags_bool(f, "force"),
		                  flags_bool(f, "no-prune"));
		if (api_client_call(c, "DELETE", path, NULL, NULL, &actions, &one) < 0) {
			fprintf(cli->errout, "%s\n", error_message(one));
			status = 1;
			continue;
		}
		json_array_foreach (actions, i, a) {
			const char *k;
			json_t *v;
			json_object_foreach (a, k, v)
				fprintf(cli->out, "%s: %s\n", k, json_string_value(v));
		}
	}
	return status;
}

static json_t *history_rows(json_t *list, bool no_trunc, bool human)
{
	json_t *rows = json_array(), *h;
	int64_t now = time(NULL);
	size_t i;

	json_array_foreach (list, i, h) {
		const char *by = json_string_value(json_object_get(h, "CreatedBy"));
		const char *id = json_string_value(json_object_get(h, "Id"));
		int64_t created = json_integer_value(json_object_get(h, "Created"));
		_cleanup_free_ char *fid =
		        streq(id, "<missing>") ? strdup(id) : format_id(id, no_trunc);
		/* docker history shows N/A for an unknown (zero) creation time */
		_cleanup_free_ char *since = created ? format_since(created, now) : strdup("N/A");
		_cleanup_free_ char *size = NULL, *cut = NULL;
		uint64_t bytes = (uint64_t)json_integer_value(json_object_get(h, "Size"));

		size = human ? format_size(bytes) : str_printf("%llu", (unsigned long long)bytes);
		if (by && !no_trunc && strlen(by) > 45)
			cut = str_printf("%.44s…", by);
		json_array_append_new(
		        rows,
		        json_pack("{s:s, s:s, s:s, s:s, s:s}", "ID", fid ? fid : "", "CreatedSince",
		                  since ? since : "", "CreatedBy", cut ? cut : (by ? by : ""),
		                  "Size", size ? size : "", "Comment",
		                  json_string_value(json_object_get(h, "Comment")) ?: ""));
	}
	return rows;
}

int cmd_history(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                struct husk_error **err)
{
	_cleanup_free_ char *name = escaped(flags_args(f)[0]), *path = NULL;
	_cleanup_json_ json_t *list = NULL, *rows = NULL;
	const char *fmt = flags_string(f, "format");
	int r;

	path = name ? str_printf("/images/%s/history", name) : NULL;
	r = path ? cli_get(cli, path, &list, err) : error_set(err, ENOMEM, "out of memory");
	if (r < 0)
		return r;
	rows = history_rows(list, flags_bool(f, "no-trunc"), flags_bool(f, "human"));
	if (flags_bool(f, "quiet"))
		fmt = "{{.ID}}";
	return table_render(cli->out, fmt,
	                    "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t"
	                    "{{.Comment}}",
	                    history_headers, rows, err);
}

int cmd_image_inspect(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                      struct husk_error **err)
{
	return cli_inspect_each(cli, flags_args(f), "/images/%s/json", "Error: No such image: %s",
	                        flags_string(f, "format"), image_headers, err);
}

int cmd_image_prune(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                    struct husk_error **err)
{
	_cleanup_json_ json_t *res = NULL;
	_cleanup_strv_ char **list = strv_copy(flags_list(f, "filter"));
	bool all = flags_bool(f, "all");
	json_t *d;
	size_t i;
	int r;

	if (!list || strv_push(&list, all ? "dangling=false" : "dangling=true") < 0)
		return error_set(err, ENOMEM, "out of memory");
	r = cli_prune(cli, "images", list,
	              flags_bool(f, "force") ? NULL
	              : all ? "WARNING! This will remove all images without at least one container "
	                      "associated to them."
	                    : "WARNING! This will remove all dangling images.",
	              &res, err);
	if (r <= 0)
		return r;
	if (json_array_size(json_object_get(res, "ImagesDeleted"))) {
		fprintf(cli->out, "Deleted Images:\n");
		json_array_foreach (json_object_get(res, "ImagesDeleted"), i, d) {
			const char *k;
			json_t *v;
			json_object_foreach (d, k, v)
				fprintf(cli->out, "%s: %s\n",
				        streq(k, "Deleted") ? "deleted" : "untagged",
				        json_string_value(v));
		}
		fprintf(cli->out, "\n");
	}
	cli_print_reclaimed(cli, res);
	return 0;
}
