/* server_listing.c — GET /v2/<name>/tags/list and GET /v2/_catalog, with
 * `n`/`last` pagination and a `Link: <…>; rel="next"` header when more
 * entries follow. */
#include <string.h>

#include "registry/server_internal.h"

/* `n`: -1 when absent, else 0..REGISTRY_TAGS_PAGE_MAX (larger is
 * clamped). False when it replied 400. */
static bool page_size(struct reg_request *req, int64_t *ret)
{
	const char *n = reg_query(req, "n");
	uint64_t v;

	*ret = -1;
	if (!n)
		return true;
	if (str_to_uint64(n, &v) < 0) {
		reg_reply_error(req, 400, ERR_PAGINATION_INVALID, json_pack("{s:s}", "n", n),
		                "invalid number of results requested: \"%s\"", n);
		return false;
	}
	*ret = (int64_t)MIN(v, (uint64_t)REGISTRY_TAGS_PAGE_MAX);
	return true;
}

/* The entries of all after last (cmp order), at most n (-1: all); *ret_more
 * tells whether some were left out. */
static json_t *page(char **all, const char *last, int64_t n, int (*cmp)(const char *, const char *),
                    const char **ret_last, bool *ret_more)
{
	json_t *arr = json_array();
	int64_t count = 0;

	*ret_more = false;
	*ret_last = NULL;
	STRV_FOREACH (e, all) {
		if (!arr)
			return NULL;
		if (last && cmp(*e, last) <= 0)
			continue;
		if (n >= 0 && count >= n) {
			*ret_more = true;
			break;
		}
		json_array_append_new(arr, json_string(*e));
		*ret_last = *e;
		count++;
	}
	return arr;
}

static void link_next(struct reg_request *req, const char *base, const char *last, int64_t n)
{
	reg_reply_headerf(req, "Link", "<%s?last=%s&n=%lld>; rel=\"next\"", base, last,
	                  (long long)n);
}

void h_tags_list(struct reg_request *req)
{
	_cleanup_strv_ char **tags = NULL;
	_cleanup_free_ char *base = NULL;
	const char *last = reg_query(req, "last"), *page_last;
	json_t *arr;
	int64_t n;
	bool more;
	int r;

	if (!page_size(req, &n))
		return;
	r = regstore_tags_list(req->srv->store, req->route.name, &tags);
	if (r == -ENOENT) {
		reg_reply_error(req, 404, ERR_NAME_UNKNOWN,
		                json_pack("{s:s}", "name", req->route.name),
		                "repository name not known to registry");
		return;
	}
	if (r < 0) {
		reg_reply_error(req, 500, ERR_UNKNOWN, NULL, "list tags: %s", strerror(-r));
		return;
	}
	arr = page(tags, last, n, strcmp, &page_last, &more);
	base = str_printf("/v2/%s/tags/list", req->route.name);
	if (!arr || !base) {
		json_decref(arr);
		reg_reply_error(req, 500, ERR_UNKNOWN, NULL, "out of memory");
		return;
	}
	if (more && page_last)
		link_next(req, base, page_last, n);
	reg_reply_json(req, 200, "application/json; charset=utf-8",
	               json_pack("{s:s,s:o}", "name", req->route.name, "tags", arr));
}

void h_catalog(struct reg_request *req)
{
	_cleanup_strv_ char **repos = NULL;
	const char *last = reg_query(req, "last"), *page_last;
	json_t *arr;
	int64_t n;
	bool more;
	int r;

	if (!page_size(req, &n))
		return;
	if (n < 0)
		n = REGISTRY_CATALOG_PAGE;
	r = regstore_catalog(req->srv->store, &repos);
	if (r < 0) {
		reg_reply_error(req, 500, ERR_UNKNOWN, NULL, "list repositories: %s", strerror(-r));
		return;
	}
	arr = page(repos, last, n, regstore_repo_cmp, &page_last, &more);
	if (!arr) {
		reg_reply_error(req, 500, ERR_UNKNOWN, NULL, "out of memory");
		return;
	}
	if (more && page_last)
		link_next(req, "/v2/_catalog", page_last, n);
	reg_reply_json(req, 200, "application/json; charset=utf-8",
	               json_pack("{s:o}", "repositories", arr));
}
