/* config.c — the image configuration: parse and validate, Docker's inspect
 * "Config" shape, chain IDs.
 */
#include "image/config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "base/str.h"
#include "base/timefmt.h"
#include "image/image_internal.h"

#define FIELD_PATH_MAX 64

/* Optional string fields, by offset into the struct they fill. */
struct str_field {
	const char *key;
	size_t offset;
};

static const struct str_field top_strings[] = {
        {"architecture", offsetof(struct image_config, architecture)},
        {"os", offsetof(struct image_config, os)},
        {"variant", offsetof(struct image_config, variant)},
        {"os.version", offsetof(struct image_config, os_version)},
        {"author", offsetof(struct image_config, author)},
        {"created", offsetof(struct image_config, created)},
};

static const struct str_field config_strings[] = {
        {"User", offsetof(struct image_config, user)},
        {"WorkingDir", offsetof(struct image_config, working_dir)},
        {"StopSignal", offsetof(struct image_config, stop_signal)},
};

static const struct str_field history_strings[] = {
        {"created", offsetof(struct image_history, created)},
        {"created_by", offsetof(struct image_history, created_by)},
        {"author", offsetof(struct image_history, author)},
        {"comment", offsetof(struct image_history, comment)},
};

/* String lists; Docker's strslice (Entrypoint, Cmd, Shell) also takes a
 * single string. */
static const struct strv_field {
	const char *key;
	size_t offset;
	bool strslice;
} config_strvs[] = {
        {"Env", offsetof(struct image_config, env), false},
        {"Entrypoint", offsetof(struct image_config, entrypoint), true},
        {"Cmd", offsetof(struct image_config, cmd), true},
        {"OnBuild", offsetof(struct image_config, on_build), false},
        {"Shell", offsetof(struct image_config, shell), true},
};

static int get_strings(const json_t *obj, const char *path, const struct str_field *fields,
                       size_t n, void *base, struct husk_error **err)
{
	for (size_t i = 0; i < n; i++) {
		char **dst = (char **)((char *)base + fields[i].offset);
		const char *s = NULL;
		int r = json_get_string(obj, path, fields[i].key, false, &s, err);

		if (r < 0)
			return r;
		if (s && !(*dst = strdup(s)))
			return error_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

static int get_strslice(const json_t *obj, const char *path, const struct strv_field *f,
                        char ***ret, struct husk_error **err)
{
	json_t *v = json_object_get(obj, f->key);

	if (f->strslice && json_is_string(v)) {
		*ret = strv_new();
		if (!*ret || strv_push(ret, json_string_value(v)) < 0)
			return error_set(err, ENOMEM, "out of memory");
		return 0;
	}
	return json_get_strv(obj, path, f->key, false, ret, err);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The keys of an optional object (ExposedPorts, Volumes), sorted as Go
 * writes maps; an empty vector for {}. */
static int get_keys(const json_t *obj, const char *path, const char *key, char ***ret,
                    struct husk_error **err)
{
	json_t *map = NULL, *v;
	const char *k;
	int r;

	r = json_get_object(obj, path, key, false, &map, err);
	if (r < 0 || !map)
		return r;
	*ret = strv_new();
	if (!*ret)
		return error_set(err, ENOMEM, "out of memory");
	json_object_foreach (map, k, v)
		if (strv_push(ret, k) < 0)
			return error_set(err, ENOMEM, "out of memory");
	qsort(*ret, strv_length(*ret), sizeof(char *), cmp_str);
	return 0;
}

static int check_time(const char *s, const char *path, const char *key, struct timespec *ret,
                      struct husk_error **err)
{
	if (rfc3339_parse(s, ret) < 0)
		return error_set(err, EINVAL,
		                 IMAGE_FIELD_FMT ": invalid time \"%.64s\": expected RFC 3339 "
		                                 "(2006-01-02T15:04:05Z)",
		                 IMAGE_FIELD_ARGS(path, key), s);
	return 0;
}

static int parse_container_config(const json_t *j, struct image_config *c, struct husk_error **err)
{
	json_t *cfg = NULL, *hc = NULL;
	int r;

	r = json_get_object(j, "", "config", false, &cfg, err);
	if (r < 0 || !cfg)
		return r;
	c->has_config = true;
	r = get_strings(cfg, "config", config_strings, ELEMENTSOF(config_strings), c, err);
	for (size_t i = 0; r >= 0 && i < ELEMENTSOF(config_strvs); i++)
		r = get_strslice(cfg, "config", &config_strvs[i],
		                 (char ***)((char *)c + config_strvs[i].offset), err);
	if (r >= 0)
		r = image_json_string_map(cfg, "config", "Labels", &c->labels, err);
	if (r >= 0)
		r = get_keys(cfg, "config", "ExposedPorts", &c->exposed_ports, err);
	if (r >= 0)
		r = get_keys(cfg, "config", "Volumes", &c->volumes, err);
	if (r >= 0)
		r = json_get_object(cfg, "config", "Healthcheck", false, &hc, err);
	if (r >= 0)
		c->healthcheck = json_incref(hc);
	if (r >= 0)
		r = json_get_bool(cfg, "config", "ArgsEscaped", false, &c->args_escaped, err);
	return r;
}

static int parse_diff_ids(const json_t *rootfs, struct image_config *c, struct husk_error **err)
{
	json_t *arr = NULL, *item;
	size_t i;
	int r;

	r = json_get_array(rootfs, "rootfs", "diff_ids", false, &arr, err);
	if (r < 0 || !arr)
		return r;
	c->diff_ids = calloc(MAX(json_array_size(arr), 1), sizeof(*c->diff_ids));
	if (!c->diff_ids)
		return error_set(err, ENOMEM, "out of memory");
	json_array_foreach (arr, i, item) {
		if (!json_is_string(item))
			return error_set(err, EINVAL, "rootfs.diff_ids[%zu]: expected a string", i);
		r = digest_parse(json_string_value(item), &c->diff_ids[i], err);
		if (r < 0) {
			error_wrap(err, "rootfs.diff_ids[%zu]", i);
			return r;
		}
		c->n_diff_ids = i + 1;
	}
	return 0;
}

/* Docker refuses an image without rootfs ("invalid image JSON, no RootFS
 * key") and knows only the "layers" type. */
static int parse_rootfs(const json_t *j, struct image_config *c, struct husk_error **err)
{
	json_t *rootfs = NULL;
	const char *type = NULL;
	int r;

	r = json_get_object(j, "", "rootfs", true, &rootfs, err);
	if (r >= 0)
		r = json_get_string(rootfs, "rootfs", "type", true, &type, err);
	if (r < 0)
		return r;
	if (!streq(type, "layers"))
		return error_set(err, EINVAL, "rootfs.type: expected \"layers\", got \"%.64s\"",
		                 type);
	return parse_diff_ids(rootfs, c, err);
}

static int parse_history_entry(const json_t *item, const char *path, struct image_history *h,
                               struct husk_error **err)
{
	struct timespec ts;
	int r;

	if (!json_is_object(item))
		return error_set(err, EINVAL, "%s: expected an object", path);
	r = get_strings(item, path, history_strings, ELEMENTSOF(history_strings), h, err);
	if (r >= 0 && h->created)
		r = check_time(h->created, path, "created", &ts, err);
	if (r >= 0)
		r = json_get_bool(item, path, "empty_layer", false, &h->empty_layer, err);
	return r;
}

static void history_release(struct image_history *h)
{
	free(h->created);
	free(h->created_by);
	free(h->author);
	free(h->comment);
}

static int parse_history(const json_t *j, struct image_config *c, struct husk_error **err)
{
	json_t *arr = NULL, *item;
	size_t i;
	int r;

	r = json_get_array(j, "", "history", false, &arr, err);
	if (r < 0 || !arr)
		return r;
	c->history = calloc(MAX(json_array_size(arr), 1), sizeof(*c->history));
	if (!c->history)
		return error_set(err, ENOMEM, "out of memory");
	json_array_foreach (arr, i, item) {
		char path[FIELD_PATH_MAX];

		snprintf(path, sizeof(path), "history[%zu]", i);
		c->n_history = i + 1; /* counted first: a half-filled entry is freed too */
		r = parse_history_entry(item, path, &c->history[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Docker's check (image/store.go): more non-empty history entries than
 * layers is an error; fewer is accepted (some builders leave entries out). */
static int check_history(struct image_config *c, struct husk_error **err)
{
	size_t non_empty = 0;

	if (c->n_history == 0)
		return 0;
	for (size_t i = 0; i < c->n_history; i++)
		non_empty += !c->history[i].empty_layer;
	if (non_empty > c->n_diff_ids)
		return error_set(err, EINVAL,
		                 "history: too many non-empty layers in History section (%zu, but "
		                 "%zu diff_ids)",
		                 non_empty, c->n_diff_ids);
	c->history_short = non_empty < c->n_diff_ids;
	return 0;
}

static int config_from_json(json_t *j, struct image_config *c, struct husk_error **err)
{
	int r;

	if (!json_is_object(j))
		return error_set(err, EINVAL, "image config: expected a JSON object");
	r = get_strings(j, "", top_strings, ELEMENTSOF(top_strings), c, err);
	if (r >= 0 && c->created)
		r = check_time(c->created, "", "created", &c->created_ts, err);
	if (r >= 0)
		r = parse_container_config(j, c, err);
	if (r >= 0)
		r = parse_rootfs(j, c, err);
	if (r >= 0)
		r = parse_history(j, c, err);
	if (r >= 0)
		r = check_history(c, err);
	return r;
}

int image_config_parse(const char *buf, size_t len, struct image_config **ret,
                       struct husk_error **err)
{
	_cleanup_(image_config_freep) struct image_config *c = NULL;
	_cleanup_json_ json_t *j = NULL;
	int r;

	r = json_parse("image config", buf, len, IMAGE_CONFIG_MAX_SIZE, &j, err);
	if (r < 0)
		return r;
	c = calloc(1, sizeof(*c));
	if (!c)
		return error_set(err, ENOMEM, "out of memory");
	r = config_from_json(j, c, err);
	if (r < 0)
		return r;
	c->raw = TAKE_PTR(j);
	digest_buf(buf, len, &c->digest);
	*ret = TAKE_PTR(c);
	return 0;
}

void image_config_free(struct image_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < ELEMENTSOF(top_strings); i++)
		free(*(char **)((char *)c + top_strings[i].offset));
	for (size_t i = 0; i < ELEMENTSOF(config_strings); i++)
		free(*(char **)((char *)c + config_strings[i].offset));
	for (size_t i = 0; i < ELEMENTSOF(config_strvs); i++)
		strv_free(*(char ***)((char *)c + config_strvs[i].offset));
	json_decref(c->labels);
	strv_free(c->exposed_ports);
	strv_free(c->volumes);
	json_decref(c->healthcheck);
	free(c->diff_ids);
	for (size_t i = 0; i < c->n_history; i++)
		history_release(&c->history[i]);
	free(c->history);
	json_decref(c->raw);
	free(c);
}

/* Docker's container.Config, in its field order. Values come from the image's
 * own config object (so inspect shows what the builder wrote), except the
 * lists, which are re-rendered from what was parsed (a strslice written as a
 * string comes back as a list, as Docker shows it). */
enum docker_kind {
	DK_STRING, /* "" when absent */
	DK_BOOL,   /* false when absent */
	DK_INT,    /* only ever omitempty */
	DK_OBJECT, /* null when absent */
	DK_STRV,   /* parsed list at offset; null when absent */
	DK_KEYS,   /* parsed keys at offset as {"k":{}}; null when absent */
};

#define NO_OFFSET ((size_t)-1)

static const struct docker_field {
	const char *key;
	enum docker_kind kind;
	bool omitempty;
	size_t offset;
} docker_fields[] = {
        {"Hostname", DK_STRING, false, NO_OFFSET},
        {"Domainname", DK_STRING, false, NO_OFFSET},
        {"User", DK_STRING, false, NO_OFFSET},
        {"AttachStdin", DK_BOOL, false, NO_OFFSET},
        {"AttachStdout", DK_BOOL, false, NO_OFFSET},
        {"AttachStderr", DK_BOOL, false, NO_OFFSET},
        {"ExposedPorts", DK_KEYS, true, offsetof(struct image_config, exposed_ports)},
        {"Tty", DK_BOOL, false, NO_OFFSET},
        {"OpenStdin", DK_BOOL, false, NO_OFFSET},
        {"StdinOnce", DK_BOOL, false, NO_OFFSET},
        {"Env", DK_STRV, false, offsetof(struct image_config, env)},
        {"Cmd", DK_STRV, false, offsetof(struct image_config, cmd)},
        {"Healthcheck", DK_OBJECT, true, NO_OFFSET},
        {"ArgsEscaped", DK_BOOL, true, NO_OFFSET},
        {"Image", DK_STRING, false, NO_OFFSET},
        {"Volumes", DK_KEYS, false, offsetof(struct image_config, volumes)},
        {"WorkingDir", DK_STRING, false, NO_OFFSET},
        {"Entrypoint", DK_STRV, false, offsetof(struct image_config, entrypoint)},
        {"NetworkDisabled", DK_BOOL, true, NO_OFFSET},
        {"MacAddress", DK_STRING, true, NO_OFFSET},
        {"OnBuild", DK_STRV, false, offsetof(struct image_config, on_build)},
        {"Labels", DK_OBJECT, false, NO_OFFSET},
        {"StopSignal", DK_STRING, true, NO_OFFSET},
        {"StopTimeout", DK_INT, true, NO_OFFSET},
        {"Shell", DK_STRV, true, offsetof(struct image_config, shell)},
};

static json_t *keys_object(char *const *keys)
{
	json_t *o = json_object();

	STRV_FOREACH (k, keys)
		if (o && json_object_set_new(o, *k, json_object()) < 0) {
			json_decref(o);
			return NULL;
		}
	return o;
}

/* A value from the raw config object when it has the right type. */
static json_t *raw_value(const json_t *cfg, const struct docker_field *f)
{
	json_t *v = json_object_get(cfg, f->key);

	switch (f->kind) {
	case DK_STRING:
		return json_is_string(v) ? v : NULL;
	case DK_BOOL:
		return json_is_boolean(v) ? v : NULL;
	case DK_INT:
		return json_is_integer(v) ? v : NULL;
	case DK_OBJECT:
		return json_is_object(v) ? v : NULL;
	default:
		return NULL;
	}
}

static bool raw_is_empty(const json_t *v)
{
	/* Go's omitempty: nil pointers (Healthcheck, StopTimeout), "" and false. */
	return !v || json_is_false(v) || (json_is_string(v) && !*json_string_value(v));
}

/* The value to write for f, or NULL with *ret_omit (omitempty and empty). */
static json_t *docker_value(const struct docker_field *f, const struct image_config *c,
                            const json_t *cfg, bool *ret_omit)
{
	char **list = f->offset == NO_OFFSET ? NULL : *(char ***)((char *)c + f->offset);
	json_t *v;

	*ret_omit = false;
	if (f->kind == DK_STRV || f->kind == DK_KEYS) {
		if (!list || (f->omitempty && !list[0])) {
			*ret_omit = f->omitempty;
			return json_null();
		}
		return f->kind == DK_STRV ? json_from_strv(list) : keys_object(list);
	}
	v = raw_value(cfg, f);
	if (f->omitempty && raw_is_empty(v)) {
		*ret_omit = true;
		return NULL;
	}
	if (v)
		return json_incref(v);
	switch (f->kind) {
	case DK_STRING:
		return json_string("");
	case DK_BOOL:
		return json_false();
	default:
		return json_null();
	}
}

json_t *image_config_docker_json(const struct image_config *c)
{
	const json_t *cfg = json_object_get(c->raw, "config");
	json_t *o;

	if (!c->has_config)
		return json_null();
	o = json_object();
	for (size_t i = 0; o && i < ELEMENTSOF(docker_fields); i++) {
		bool omit;
		json_t *v = docker_value(&docker_fields[i], c, cfg, &omit);

		if (omit) {
			json_decref(v);
			continue;
		}
		if (!v || json_object_set_new(o, docker_fields[i].key, v) < 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

void image_chain_ids(const struct digest *diff_ids, size_t n, struct digest *ret)
{
	char buf[2 * DIGEST_STR_LEN + 2];

	if (n == 0)
		return;
	ret[0] = diff_ids[0];
	for (size_t i = 1; i < n; i++) {
		int len = snprintf(buf, sizeof(buf), "%s %s", ret[i - 1].str, diff_ids[i].str);

		digest_buf(buf, (size_t)len, &ret[i]);
	}
}
