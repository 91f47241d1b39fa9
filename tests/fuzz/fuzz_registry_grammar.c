/* fuzz_registry_grammar.c — what husk-registry reads from a request line
 * and its headers before anything touches the disk: registry_parse_range()
 * (Range), registry_parse_content_range() (Content-Range), the repository
 * name, tag and upload id grammars, reg_route_parse() of a /v2/ path and
 * reg_json_depth() of a manifest body. The input is cut at NUL bytes into
 * the value and a blob size; names and tags must agree with image
 * references' grammar (image_ref_parse()), and the JSON depth with the
 * nesting jansson sees.
 */
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/str.h"
#include "fuzz.h"
#include "image/reference.h"
#include "registry/server.h"
#include "registry/server_internal.h"

#define DEPTH_CAP 64

static void range(const char *v, uint64_t size)
{
	uint64_t start = 7, end = 3;
	int r = registry_parse_range(v, size, &start, &end);

	if (r == 1 && (start > end || end >= size))
		abort();
	if (r != 1 && r != 0 && r != -ERANGE)
		abort();
	r = registry_parse_content_range(v, &start, &end);
	if ((r == 0 && start > end) || (r != 0 && r != -EINVAL))
		abort();
}

/* A repository name is valid exactly when it is the path of a reference. */
static void name(const char *v)
{
	_cleanup_free_ char *full = str_printf("localhost/%s", v);
	struct image_ref ref = {0};
	bool valid = registry_name_valid(v), parsed;

	if (!full)
		return;
	parsed = image_ref_parse(full, &ref, NULL) == 0 && streq(ref.path, v) && !ref.has_digest &&
	         streq(ref.tag, IMAGE_REF_DEFAULT_TAG);
	image_ref_release(&ref);
	if (valid != parsed)
		abort();
}

static void tag(const char *v)
{
	struct image_ref ref = {0};
	bool valid = registry_tag_valid(v), parsed;

	parsed = *v && image_ref_with_tag("localhost/a", v, &ref, NULL) == 0;
	image_ref_release(&ref);
	if (valid != parsed)
		abort();
	if (registry_uuid_valid(v) && strlen(v) != 36)
		abort();
}

static void route(const char *path)
{
	struct reg_route r = {0};
	int k = reg_route_parse(path, &r);

	if (k == 0 || k == -EINVAL) {
		bool named = r.kind != ROUTE_BASE && r.kind != ROUTE_CATALOG;

		if (r.kind == ROUTE_NONE || named != (r.name != NULL) || named != (r.ref != NULL))
			abort();
		if (named && registry_name_valid(r.name) != (k == 0))
			abort();
	} else if (k != -ENOENT || r.name || r.ref) {
		abort();
	}
	reg_route_release(&r);
}

static unsigned nesting(const json_t *j)
{
	unsigned max = 0;
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_object(j))
		json_object_foreach ((json_t *)j, k, v)
			max = MAX(max, nesting(v));
	else if (json_is_array(j))
		json_array_foreach (j, i, v)
			max = MAX(max, nesting(v));
	else
		return 0;
	return max + 1;
}

static void depth(const char *buf, size_t len)
{
	unsigned d = reg_json_depth(buf, len, DEPTH_CAP);
	_cleanup_json_ json_t *j = NULL;

	if (d > DEPTH_CAP + 1)
		abort();
	if (json_parse("manifest", buf, len, len, &j, NULL) == 0 &&
	    MIN(nesting(j), DEPTH_CAP + 1) != d)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t sizes[] = {0, 1, 100, UINT64_MAX};
	const char *parts[2];
	size_t n;
	_cleanup_free_ char *buf = fuzz_split(data, size, parts, 2, &n);
	uint64_t blob = 0;

	if (!buf)
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(sizes); i++)
		range(parts[0], sizes[i]);
	if (n > 1 && str_to_uint64(parts[1], &blob) == 0)
		range(parts[0], blob);
	name(parts[0]);
	tag(parts[0]);
	route(parts[0]);
	depth((const char *)data, size);
	return 0;
}
