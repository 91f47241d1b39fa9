/* fuzz_oci_spec.c — the OCI runtime-spec parsers of oci/runtime_spec.h on
 * the input as JSON text, read as husk-runtime reads config.json
 * (oci_json_parse_text(), which keeps RLIM_INFINITY): oci_spec_parse() of
 * the document, oci_process_parse() of its "process" (or of the document,
 * as exec --process reads process.json) and oci_resources_parse() of its
 * linux.resources (or of the document, as update --resources reads it).
 */
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/str.h"
#include "fuzz.h"
#include "oci/runtime_spec.h"
#include "oci/spec_internal.h"

static void check_process(const struct oci_process *p)
{
	if (!p->args || !p->args[0] || !p->cwd || p->cwd[0] != '/')
		abort();
}

static void check_spec(const struct oci_spec *s)
{
	if (!startswith(s->oci_version, "1.") || isempty(s->root_path) || !s->raw)
		abort();
	if (s->process)
		check_process(s->process);
	/* a mount's type may be absent (NULL) unless it binds */
	for (size_t i = 0; i < s->n_mounts; i++)
		if (!s->mounts[i].destination || s->mounts[i].destination[0] != '/' ||
		    (s->mounts[i].bind && !streq(s->mounts[i].type, "bind")))
			abort();
	for (size_t i = 0; i < s->linux_.n_namespaces; i++) {
		const struct oci_namespace *ns = &s->linux_.namespaces[i];

		if ((unsigned)ns->type >= OCI_NS_COUNT || !oci_ns_type_name(ns->type) ||
		    oci_spec_namespace(s, ns->type) == NULL)
			abort();
		oci_ns_clone_flag(ns->type);
		oci_ns_proc_name(ns->type);
	}
	for (int k = 0; k < OCI_HOOK_KINDS; k++)
		for (size_t i = 0; i < s->n_hooks[k]; i++)
			if (!s->hooks[k][i].path || s->hooks[k][i].path[0] != '/')
				abort();
}

static void process(json_t *obj)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct oci_process *p = oci_process_parse(obj, "process", &err);

	if (!p) {
		fuzz_check_failure(-1, err);
		return;
	}
	check_process(p);
	oci_process_free(p);
}

static void resources(json_t *obj)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct oci_resources r;

	if (oci_resources_parse(obj, "linux.resources", &r, &err) < 0) {
		fuzz_check_failure(-1, err);
		return;
	}
	for (size_t i = 0; i < r.n_devices; i++)
		if (!strchr("acb", r.devices[i].type) || !r.devices[i].type ||
		    strspn(r.devices[i].access, "rwm") != strlen(r.devices[i].access))
			abort();
	oci_resources_release(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_(oci_spec_freep) struct oci_spec *s = NULL;
	_cleanup_json_ json_t *doc = NULL;
	json_t *sub;
	int r = oci_json_parse_text("config.json", (const char *)data, size, &doc, &err);

	if (r < 0) {
		fuzz_check_failure(r, err);
		return 0;
	}
	s = oci_spec_parse(doc, &err);
	if (s)
		check_spec(s);
	else
		fuzz_check_failure(-1, err);
	sub = json_object_get(doc, "process");
	process(sub ? sub : doc);
	sub = json_object_get(json_object_get(doc, "linux"), "resources");
	resources(sub ? sub : doc);
	return 0;
}
