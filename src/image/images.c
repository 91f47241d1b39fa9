/* images.c — resolve, list, inspect, history, tag, remove, prune. */
#include "image/images.h"

#include <fnmatch.h>
#include <string.h>
#include <time.h>

#include "base/json.h"
#include "base/str.h"
#include "base/timefmt.h"
#include "image/reference.h"

#define IMAGE_CONFIG_READ_MAX (8u << 20)

/* ---- names ---- */

int image_resolve(struct store *s, const char *name, struct store_image **ret,
                  struct husk_error **err)
{
	struct image_ref ref = {0};
	_cleanup_free_ char *full = NULL;
	int r;

	if (isempty(name))
		return error_set(err, EINVAL, "image name cannot be empty");
	if (image_ref_is_id(name)) {
		_cleanup_free_ char *id =
		        startswith(name, "sha256:") ? strdup(name) : str_printf("sha256:%s", name);
		return id ? store_image_get(s, id, ret, err)
		          : error_set(err, ENOMEM, "out of memory");
	}
	if (image_ref_parse(name, &ref, NULL) == 0) {
		full = image_ref_string(&ref);
		image_ref_release(&ref);
		if (!full)
			return error_set(err, ENOMEM, "out of memory");
		r = store_image_get(s, full, ret, NULL);
		if (r == 0)
			return 0;
	}
	if (image_id_prefix_valid(name))
		return store_image_get(s, name, ret, err);
	return error_set(err, ENOENT, "No such image: %s", name);
}

int image_config_load(struct store *s, const struct store_image *img, struct image_config **ret,
                      struct husk_error **err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = store_blob_read(s, &img->id, IMAGE_CONFIG_READ_MAX, &buf, &len, err);

	if (r < 0)
		return error_wrap(err, "image %.19s: config", img->id.str);
	r = image_config_parse(buf, len, ret, err);
	return r < 0 ? error_wrap(err, "image %.19s: config", img->id.str) : 0;
}

int image_size(struct store *s, const struct image_config *c, uint64_t *ret,
               struct husk_error **err)
{
	_cleanup_free_ struct digest *chain = calloc(c->n_diff_ids + 1, sizeof(*chain));
	uint64_t total = 0;

	if (!chain)
		return error_set(err, ENOMEM, "out of memory");
	image_chain_ids(c->diff_ids, c->n_diff_ids, chain);
	for (size_t i = 0; i < c->n_diff_ids; i++) {
		struct store_layer_meta m;
		if (store_layer_meta(s, &chain[i], &m, NULL) == 0)
			total += m.size;
	}
	*ret = total;
	return 0;
}

/* Familiar forms of full references ("docker.io/library/busybox:latest" →
 * "busybox:latest"). */
static json_t *familiar_array(char *const *names)
{
	json_t *a = json_array();

	STRV_FOREACH (n, names) {
		struct image_ref ref = {0};
		_cleanup_free_ char *f = NULL;
		if (image_ref_parse(*n, &ref, NULL) < 0)
			continue;
		f = image_ref_familiar(&ref);
		image_ref_release(&ref);
		if (f)
			json_array_append_new(a, json_string(f));
	}
	return a;
}

/* ---- filters ---- */

int filters_values(json_t *filters, const char *key, char ***ret)
{
	json_t *v = json_object_get(filters, key), *item;
	const char *k;
	size_t i;

	*ret = strv_new();
	if (!*ret)
		return -ENOMEM;
	if (json_is_object(v)) {
		json_object_foreach (v, k, item)
			if (json_is_true(item) && strv_push(ret, k) < 0)
				return -ENOMEM;
	} else if (json_is_array(v)) {
		json_array_foreach (v, i, item)
			if (json_is_string(item) && strv_push(ret, json_string_value(item)) < 0)
				return -ENOMEM;
	}
	return (int)strv_length(*ret);
}

int filters_check(json_t *filters, const char *const *allowed, struct husk_error **err)
{
	const char *k;
	json_t *v;

	if (filters && !json_is_object(filters))
		return error_set(err, EINVAL, "invalid filter: expected a JSON object");
	json_object_foreach (filters, k, v) {
		bool ok = false;
		for (const char *const *a = allowed; *a; a++)
			ok |= streq(*a, k);
		if (!ok)
			return error_set(err, EINVAL, "invalid filter '%s'", k);
	}
	return 0;
}

/* dangling=true|false: whether the image has no tag. */
static int dangling_filter(json_t *filters, int *ret, struct husk_error **err)
{
	_cleanup_strv_ char **v = NULL;
	int n = filters_values(filters, "dangling", &v);

	*ret = -1;
	if (n < 0)
		return error_set(err, ENOMEM, "out of memory");
	if (n == 0)
		return 0;
	if (n > 1 || (!streq(v[0], "true") && !streq(v[0], "false") && !streq(v[0], "1") &&
	              !streq(v[0], "0")))
		return error_set(err, EINVAL, "invalid filter 'dangling=%s'", v[0]);
	*ret = streq(v[0], "true") || streq(v[0], "1");
	return 0;
}

/* Whether a full reference matches a reference=PATTERN filter: Docker
 * matches the familiar name, with or without its tag. */
static bool name_matches(const char *name, char *const *patterns)
{
	struct image_ref ref = {0};
	_cleanup_free_ char *fam = NULL, *repo = NULL;

	if (image_ref_parse(name, &ref, NULL) < 0)
		return false;
	fam = image_ref_familiar(&ref);
	repo = image_ref_familiar_repository(&ref);
	image_ref_release(&ref);
	STRV_FOREACH (p, patterns)
		if ((fam && fnmatch(*p, fam, 0) == 0) || (repo && fnmatch(*p, repo, 0) == 0))
			return true;
	return false;
}

/* With reference filters, an image is listed with its matching names only
 * (as dockerd does); without, as it is. false: no name matches. */
static bool reference_filter(char *const *patterns, struct store_image *img)
{
	_cleanup_strv_ char **keep = NULL;

	if (!patterns || !patterns[0])
		return true;
	keep = strv_new();
	STRV_FOREACH (n, img->names)
		if (name_matches(*n, patterns) && keep)
			strv_push(&keep, *n);
	if (strv_length(keep) == 0)
		return false;
	strv_free(img->names);
	img->names = TAKE_PTR(keep);
	return true;
}

/* ---- list ---- */

static json_t *labels_or_empty(const struct image_config *c)
{
	return c->labels ? json_deep_copy(c->labels) : json_object();
}

/* The image's entry; NULL when its config cannot be read, or when it is
 * not older than the "until" filter's time. */
static json_t *list_entry(struct store *s, const struct store_image *img,
                          const struct image_list_opts *o)
{
	_cleanup_(image_config_freep) struct image_config *c = NULL;
	uint64_t size = 0;
	int containers = -1;

	if (image_config_load(s, img, &c, NULL) < 0)
		return NULL;
	if (o->has_until &&
	    (int64_t)c->created_ts.tv_sec * 1000000000 + c->created_ts.tv_nsec >= o->until_ns)
		return NULL;
	image_size(s, c, &size, NULL);
	if (o->in_use)
		containers = o->in_use(&img->id, NULL, o->in_use_data) ? 1 : 0;
	return json_pack("{s:i, s:I, s:s, s:o, s:s, s:o, s:o, s:i, s:I}", "Containers", containers,
	                 "Created", (json_int_t)c->created_ts.tv_sec, "Id", img->id.str, "Labels",
	                 labels_or_empty(c), "ParentId", "", "RepoDigests",
	                 familiar_array(img->repo_digests), "RepoTags", familiar_array(img->names),
	                 "SharedSize", -1, "Size", (json_int_t)size);
}

int image_list_json(struct store *s, const struct image_list_opts *o, json_t **ret,
                    struct husk_error **err)
{
	/* the filters husk applies; others are refused, never ignored */
	static const char *const allowed[] = {"dangling", "reference", "until", NULL};
	_cleanup_(store_image_list_freep) struct store_image **v = NULL;
	_cleanup_strv_ char **refs = NULL;
	json_t *out;
	int dangling, r;

	r = filters_check(o->filters, allowed, err);
	r = r ?: dangling_filter(o->filters, &dangling, err);
	r = r ?: store_image_list(s, &v, err);
	if (r < 0)
		return r;
	if (filters_values(o->filters, "reference", &refs) < 0 || !(out = json_array()))
		return error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; v[i]; i++) {
		bool is_dangling = strv_length(v[i]->names) == 0;
		if ((dangling == 1 && !is_dangling) || (dangling == 0 && is_dangling) ||
		    !reference_filter(refs, v[i]))
			continue;
		json_t *e = list_entry(s, v[i], o);
		if (e)
			json_array_append_new(out, e);
	}
	*ret = out;
	return 0;
}

/* ---- inspect and history ---- */

static json_t *graph_driver(struct store *s, const struct image_config *c)
{
	_cleanup_free_ struct digest *chain = calloc(c->n_diff_ids + 1, sizeof(*chain));
	struct strbuf lower = {0};
	json_t *data;

	if (!chain)
		return NULL;
	image_chain_ids(c->diff_ids, c->n_diff_ids, chain);
	for (size_t i = c->n_diff_ids; i-- > 0;) {
		_cleanup_free_ char *d = store_layer_dir(s, &chain[i]);
		if (d)
			strbuf_printf(&lower, "%s%s", lower.len ? ":" : "", d);
	}
	data = json_pack("{s:s}", "LowerDir", lower.buf ? lower.buf : "");
	strbuf_release(&lower);
	return json_pack("{s:o, s:s}", "Data", data, "Name", store_driver(s));
}

static json_t *diff_ids_json(const struct image_config *c)
{
	json_t *a = json_array();

	for (size_t i = 0; i < c->n_diff_ids; i++)
		json_array_append_new(a, json_string(c->diff_ids[i].str));
	return a;
}

static json_t *inspect_doc(struct store *s, const struct store_image *img,
                           const struct image_config *c, uint64_t size)
{
	json_t *j = json_pack(
	        "{s:s, s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:I, s:o, "
	        "s:{s:s, s:o}, s:{s:s}}",
	        "Id", img->id.str, "RepoTags", familiar_array(img->names), "RepoDigests",
	        familiar_array(img->repo_digests), "Parent", "", "Comment",
	        c->n_history ? (c->history[c->n_history - 1].comment ?: "") : "", "Created",
	        c->created ? c->created : "", "DockerVersion", "", "Author",
	        c->author ? c->author : "", "Architecture", c->architecture ? c->architecture : "",
	        "Config", image_config_docker_json(c), "Os", c->os ? c->os : "", "Variant",
	        c->variant ? c->variant : "", "Size", (json_int_t)size, "GraphDriver",
	        graph_driver(s, c), "RootFS", "Type", "layers", "Layers", diff_ids_json(c),
	        "Metadata", "LastTagTime", "0001-01-01T00:00:00Z");

	/* no "created" in the image config: no Created (API 1.44) */
	if (j && !c->created)
		json_object_del(j, "Created");
	if (j && !c->variant)
		json_object_del(j, "Variant");
	return j;
}

int image_inspect_json(struct store *s, const char *name, json_t **ret, struct husk_error **err)
{
	_cleanup_(store_image_freep) struct store_image *img = NULL;
	_cleanup_(image_config_freep) struct image_config *c = NULL;
	uint64_t size = 0;
	int r = image_resolve(s, name, &img, err);

	r = r ?: image_config_load(s, img, &c, err);
	r = r ?: image_size(s, c, &size, err);
	if (r < 0)
		return r;
	*ret = inspect_doc(s, img, c, size);
	return *ret ? 0 : error_set(err, ENOMEM, "out of memory");
}

static int64_t history_created(const struct image_history *h)
{
	struct timespec ts = {0};

	if (h->created)
		rfc3339_parse(h->created, &ts);
	return ts.tv_sec;
}

/* Sizes of the non-empty history entries, from the chain's layers. */
static json_t *history_entry(struct store *s, const struct store_image *img,
                             const struct image_history *h, const struct digest *chain, bool top)
{
	struct store_layer_meta m = {0};
	json_int_t size = 0;

	if (chain && store_layer_meta(s, chain, &m, NULL) == 0)
		size = (json_int_t)m.size;
	return json_pack("{s:s, s:I, s:s, s:o, s:I, s:s}", "Id", top ? img->id.str : "<missing>",
	                 "Created", (json_int_t)history_created(h), "CreatedBy",
	                 h->created_by ? h->created_by : "", "Tags",
	                 top && img->names && img->names[0] ? familiar_array(img->names)
	                                                    : json_null(),
	                 "Size", size, "Comment", h->comment ? h->comment : "");
}

int image_history_json(struct store *s, const char *name, json_t **ret, struct husk_error **err)
{
	_cleanup_(store_image_freep) struct store_image *img = NULL;
	_cleanup_(image_config_freep) struct image_config *c = NULL;
	_cleanup_free_ struct digest *chain = NULL;
	size_t layer;
	json_t *out;
	int r = image_resolve(s, name, &img, err);

	r = r ?: image_config_load(s, img, &c, err);
	if (r < 0)
		return r;
	chain = calloc(c->n_diff_ids + 1, sizeof(*chain));
	out = json_array();
	if (!chain || !out)
		return error_set(err, ENOMEM, "out of memory");
	image_chain_ids(c->diff_ids, c->n_diff_ids, chain);
	/* walk oldest to newest, pairing non-empty entries with layers; emit newest first */
	layer = 0;
	for (size_t i = 0; i < c->n_history; i++) {
		const struct image_history *h = &c->history[i];
		const struct digest *d = NULL;
		if (!h->empty_layer && layer < c->n_diff_ids)
			d = &chain[layer++];
		json_array_insert_new(out, 0, history_entry(s, img, h, d, i + 1 == c->n_history));
	}
	if (c->n_history == 0)
		for (size_t i = 0; i < c->n_diff_ids; i++) {
			struct image_history none = {0};
			json_array_insert_new(
			        out, 0,
			        history_entry(s, img, &none, &chain[i], i + 1 == c->n_diff_ids));
		}
	*ret = out;
	return 0;
}

/* ---- tag, remove, prune ---- */

int image_tag(struct store *s, const char *name, const char *repo, const char *tag,
              struct husk_error **err)
{
	_cleanup_(store_image_freep) struct store_image *img = NULL;
	_cleanup_free_ char *full = NULL;
	struct image_ref ref = {0};
	int r = image_resolve(s, name, &img, err);

	if (r < 0)
		return r;
	r = image_ref_with_tag(repo, tag, &ref, err);
	if (r < 0)
		return r;
	full = image_ref_string(&ref);
	image_ref_release(&ref);
	if (!full)
		return error_set(err, ENOMEM, "out of memory");
	return store_tag(s, full, &img->id, err);
}

static void add_action(json_t *actions, const char *kind, const char *value)
{
	json_array_append_new(actions, json_pack("{s:s}", kind, value));
}

/* Delete the image record, then whatever content no longer has a user. */
static int delete_image(struct store *s, const struct store_image *img, json_t *actions,
                        struct husk_error **err)
{
	struct store_gc_stats st;

	STRV_FOREACH (n, img->names) {
		_cleanup_free_ char *f = image_ref_familiar_of(*n, false);
		add_action(actions, "Untagged", f ? f : *n);
	}
	STRV_FOREACH (n, img->repo_digests) {
		_cleanup_free_ char *f = image_ref_familiar_of(*n, false);
		add_action(actions, "Untagged", f ? f : *n);
	}
	if (store_image_remove(s, &img->id, err) < 0)
		return -EIO;
	add_action(actions, "Deleted", img->id.str);
	return store_gc(s, &st, err);
}

/* The name as a full reference when it is one that names img. */
static char *name_as_tag(const char *name, const struct store_image *img)
{
	struct image_ref ref = {0};
	char *full;

	if (image_ref_is_id(name) || image_ref_parse(name, &ref, NULL) < 0)
		return NULL;
	full = image_ref_string(&ref);
	image_ref_release(&ref);
	if (full && (strv_contains(img->names, full) || strv_contains(img->repo_digests, full)))
		return full;
	free(full);
	return NULL;
}

/* Docker's isSingleReference: at most one tag, every name in one
 * repository. */
static bool single_reference(const struct store_image *img)
{
	_cleanup_free_ char *repo = NULL;
	size_t tags = strv_length(img->names);

	if (tags > 1)
		return false;
	for (size_t pass = 0; pass < 2; pass++)
		STRV_FOREACH (n, pass ? img->repo_digests : img->names) {
			size_t len = strcspn(*n, "@");
			const char *colon = memrchr(*n, ':', len), *slash = memrchr(*n, '/', len);
			if (!pass && colon && (!slash || colon > slash))
				len = (size_t)(colon - *n);
			if (!repo)
				repo = strndup(*n, len);
			else if (strlen(repo) != len || strncmp(repo, *n, len) != 0)
				return false;
		}
	return true;
}

int image_remove(struct store *s, const char *name, bool force, image_in_use_fn in_use,
                 void *in_use_data, json_t **ret, struct husk_error **err)
{
	_cleanup_(store_image_freep) struct store_image *img = NULL;
	_cleanup_free_ char *tag = NULL;
	_cleanup_json_ json_t *actions = json_array();
	size_t refs;
	const char *user;
	bool running = false;
	int r = image_resolve(s, name, &img, err);

	if (r < 0)
		return r;
	refs = strv_length(img->names) + strv_length(img->repo_digests);
	tag = name_as_tag(name, img);
	user = in_use ? in_use(&img->id, &running, in_use_data) : NULL;
	if (tag) {
		_cleanup_free_ char *f = image_ref_familiar_of(tag, false);
		/* the last name of an image a container uses: it would be left
		 * dangling, so dockerd wants force */
		if (user && !force && single_reference(img))
			return error_set(err, EEXIST,
			                 "conflict: unable to remove repository reference \"%s\" "
			                 "(must force) - container %.12s is using its referenced "
			                 "image %.12s",
			                 name, user, digest_hex(&img->id));
		if (refs > 1 || user) { /* untag only: other names remain, or a user */
			r = store_untag(s, tag, err);
			if (r < 0)
				return r;
			add_action(actions, "Untagged", f ? f : tag);
			*ret = TAKE_PTR(actions);
			return 0;
		}
	}
	if (user && running)
		return error_set(
		        err, EEXIST,
		        "conflict: unable to delete %.12s (cannot be forced) - image is being "
		        "used by running container %.12s",
		        digest_hex(&img->id), user);
	if (user && !force)
		return error_set(
		        err, EEXIST,
		        "conflict: unable to delete %.12s (must be forced) - image is being "
		        "used by stopped container %.12s",
		        digest_hex(&img->id), user);
	if (!tag && refs > 1 && !force && !single_reference(img))
		return error_set(err, EEXIST,
		                 "conflict: unable to delete %.12s (must be forced) - image is "
		                 "referenced in multiple repositories",
		                 digest_hex(&img->id));
	r = delete_image(s, img, actions, err);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(actions);
	return 0;
}

int image_prune(struct store *s, json_t *filters, image_in_use_fn in_use, void *in_use_data,
                json_t **ret, struct husk_error **err)
{
	static const char *const allowed[] = {"dangling", NULL};
	_cleanup_(store_image_list_freep) struct store_image **v = NULL;
	_cleanup_json_ json_t *deleted = json_array();
	struct store_gc_stats st = {0};
	int dangling, r;

	r = filters_check(filters, allowed, err);
	r = r ?: dangling_filter(filters, &dangling, err);
	r = r ?: store_image_list(s, &v, err);
	if (r < 0)
		return r;
	for (size_t i = 0; v[i]; i++) {
		if (dangling != 0 && strv_length(v[i]->names) > 0)
			continue; /* default (dangling=true): untagged images only */
		if (in_use && in_use(&v[i]->id, NULL, in_use_data))
			continue;
		if (store_image_remove(s, &v[i]->id, err) < 0)
			return -EIO;
		add_action(deleted, "Deleted", v[i]->id.str);
	}
	r = store_gc(s, &st, err);
	if (r < 0)
		return r;
	*ret = json_pack("{s:O, s:I}", "ImagesDeleted",
	                 json_array_size(deleted) ? deleted : json_null(), "SpaceReclaimed",
	                 (json_int_t)st.bytes_removed);
	return *ret ? 0 : error_set(err, ENOMEM, "out of memory");
}

/* ---- disk usage ---- */

/* Sum the sizes of the distinct layer chains of every image. */
static uint64_t unique_layers_size(struct store *s, struct store_image **v)
{
	_cleanup_strv_ char **seen = strv_new();
	uint64_t total = 0;

	for (size_t i = 0; v[i] && seen; i++) {
		_cleanup_(image_config_freep) struct image_config *c = NULL;
		_cleanup_free_ struct digest *chain = NULL;

		if (image_config_load(s, v[i], &c, NULL) < 0)
			continue;
		chain = calloc(c->n_diff_ids + 1, sizeof(*chain));
		if (!chain)
			break;
		image_chain_ids(c->diff_ids, c->n_diff_ids, chain);
		for (size_t j = 0; j < c->n_diff_ids; j++) {
			struct store_layer_meta m;
			if (strv_contains(seen, chain[j].str) ||
			    store_layer_meta(s, &chain[j], &m, NULL) < 0)
				continue;
			strv_push(&seen, chain[j].str);
			total += m.size;
		}
	}
	return total;
}

int image_disk_usage(struct store *s, json_t *ret, struct husk_error **err)
{
	_cleanup_(store_image_list_freep) struct store_image **v = NULL;
	struct image_list_opts o = {0};
	json_t *list = NULL;
	int r = store_image_list(s, &v, err);

	r = r ?: image_list_json(s, &o, &list, err);
	if (r < 0)
		return r;
	json_object_set_new(ret, "LayersSize", json_integer((json_int_t)unique_layers_size(s, v)));
	json_object_set_new(ret, "Images", list);
	return 0;
}
