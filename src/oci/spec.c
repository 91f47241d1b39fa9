/* spec.c — the top level of config.json: ociVersion, root, hostname,
 * process, mounts, hooks, annotations, linux; loading from a bundle and
 * freeing. Section parsers live in spec_*.c.
 */
#include <limits.h>
#include <string.h>

#include "base/fs.h"
#include "base/str.h"
#include "oci/spec_internal.h"

#define MAX_HOOK_TIMEOUT INT_MAX /* seconds, as an int */

static int parse_version(const json_t *doc, struct oci_spec *s, struct husk_error **err)
{
	char q[SPEC_QUOTE_MAX];

	if (spec_get_strdup(doc, "", "ociVersion", true, &s->oci_version, err) < 0)
		return -EINVAL;
	/* SemVer; every 1.x is meant to be read by a 1.x runtime. */
	if (!startswith(s->oci_version, "1."))
		return spec_fail(err, "", "ociVersion", "unsupported version %s (want 1.x)",
		                 spec_quote(s->oci_version, q));
	return 0;
}

static int parse_root(const json_t *doc, struct oci_spec *s, struct husk_error **err)
{
	json_t *root = NULL;

	if (json_get_object(doc, "", "root", true, &root, err) < 0 ||
	    spec_get_strdup(root, "root", "path", true, &s->root_path, err) < 0 ||
	    json_get_bool(root, "root", "readonly", false, &s->root_readonly, err) < 0)
		return -EINVAL;
	if (!*s->root_path)
		return spec_fail(err, "root", "path", "must not be empty");
	return 0;
}

static int parse_names(const json_t *doc, struct oci_spec *s, struct husk_error **err)
{
	if (spec_get_strdup(doc, "", "hostname", false, &s->hostname, err) < 0 ||
	    spec_get_strdup(doc, "", "domainname", false, &s->domainname, err) < 0)
		return -EINVAL;
	return 0;
}

static int parse_process_obj(json_t *doc, struct oci_spec *s, struct husk_error **err)
{
	json_t *p = NULL;

	if (json_get_object(doc, "", "process", false, &p, err) < 0)
		return -EINVAL;
	if (!p)
		return 0;
	s->process = calloc(1, sizeof(*s->process));
	if (!s->process)
		return spec_oom(err);
	return spec_parse_process(p, "process", s->process, err);
}

/* ---- hooks ---- */

static int parse_hook(json_t *item, const char *path, void *elem, struct husk_error **err)
{
	struct oci_hook *h = elem;
	int64_t timeout = 0;

	if (spec_get_abs_path(item, path, "path", true, &h->path, err) < 0 ||
	    json_get_strv(item, path, "args", false, &h->args, err) < 0 ||
	    json_get_strv(item, path, "env", false, &h->env, err) < 0)
		return -EINVAL;
	if (!spec_has(item, "timeout"))
		return 0;
	if (json_get_int64(item, path, "timeout", false, &timeout, err) < 0)
		return -EINVAL;
	if (timeout <= 0)
		return spec_fail(err, path, "timeout", "must be greater than zero");
	if (timeout > MAX_HOOK_TIMEOUT)
		return spec_fail(err, path, "timeout", "out of range (max %d)", MAX_HOOK_TIMEOUT);
	h->has_timeout = true;
	h->timeout = (int)timeout;
	return 0;
}

static void hook_release(void *elem)
{
	struct oci_hook *h = elem;

	free(h->path);
	strv_free(h->args);
	strv_free(h->env);
}

static void hooks_free(struct oci_hook *h, size_t n)
{
	for (size_t i = 0; h && i < n; i++)
		hook_release(&h[i]);
	free(h);
}

static int parse_hooks(const json_t *doc, struct oci_spec *s, struct husk_error **err)
{
	static const struct spec_array_type type = {sizeof(struct oci_hook), parse_hook,
	                                            hook_release};
	json_t *hooks = NULL;

	if (json_get_object(doc, "", "hooks", false, &hooks, err) < 0)
		return -EINVAL;
	for (size_t i = 0; hooks && i < oci_hooks_table.n; i++) {
		const struct oci_name *kind = &oci_hooks_table.names[i];
		void *v = NULL;

		if (spec_parse_array(hooks, "hooks", kind->name, false, &type, &v,
		                     &s->n_hooks[kind->value], err) < 0)
			return -EINVAL;
		s->hooks[kind->value] = v;
	}
	return 0;
}

/* runc: setting a host or domain name needs a UTS namespace of its own
 * (or a joined one), never the host's. */
static int check_uts(const struct oci_spec *s, struct husk_error **err)
{
	if (oci_spec_namespace(s, OCI_NS_UTS))
		return 0;
	if (!isempty(s->hostname))
		return spec_fail(err, "", "hostname", "requires a UTS namespace");
	if (!isempty(s->domainname))
		return spec_fail(err, "", "domainname", "requires a UTS namespace");
	return 0;
}

static int parse_all(json_t *doc, struct oci_spec *s, struct husk_error **err)
{
	if (!json_is_object(doc))
		return error_set(err, EINVAL, "config.json: expected an object");
	if (parse_version(doc, s, err) < 0 || parse_root(doc, s, err) < 0 ||
	    parse_names(doc, s, err) < 0 || parse_process_obj(doc, s, err) < 0 ||
	    spec_parse_mounts(doc, s, err) < 0 || parse_hooks(doc, s, err) < 0 ||
	    spec_parse_kv(doc, "", "annotations", &s->annotations, &s->n_annotations, err) < 0 ||
	    spec_parse_linux(doc, &s->linux_, err) < 0)
		return -EINVAL;
	return check_uts(s, err);
}

struct oci_spec *oci_spec_parse(json_t *doc, struct husk_error **err)
{
	struct oci_spec *s = calloc(1, sizeof(*s));

	if (!s) {
		spec_oom(err);
		return NULL;
	}
	if (parse_all(doc, s, err) < 0) {
		oci_spec_free(s);
		return NULL;
	}
	s->raw = json_incref(doc);
	return s;
}

struct oci_spec *oci_spec_load(const char *bundle, struct husk_error **err)
{
	_cleanup_free_ char *path = path_join(bundle, "config.json");
	_cleanup_json_ json_t *doc = NULL;

	if (!path) {
		spec_oom(err);
		return NULL;
	}
	if (oci_json_load(path, &doc, err) < 0)
		return NULL;
	return oci_spec_parse(doc, err);
}

void oci_spec_free(struct oci_spec *s)
{
	if (!s)
		return;
	free(s->oci_version);
	free(s->root_path);
	free(s->hostname);
	free(s->domainname);
	oci_process_free(s->process);
	spec_mounts_free(s->mounts, s->n_mounts);
	for (int k = 0; k < OCI_HOOK_KINDS; k++)
		hooks_free(s->hooks[k], s->n_hooks[k]);
	spec_kv_free(s->annotations, s->n_annotations);
	spec_linux_release(&s->linux_);
	json_decref(s->raw);
	free(s);
}
