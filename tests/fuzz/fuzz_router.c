/* fuzz_router.c — api_split_version() and api_route_match() on request
 * paths: the input, split on NUL bytes, gives the paths; each is matched
 * against the fixed patterns below, and the first part is also tried as a
 * pattern against the second.
 */
#include <stdlib.h>
#include <string.h>

#include "api/server.h"
#include "base/str.h"
#include "fuzz.h"

#define MAX_PARTS 8

static const char *const patterns[] = {
        "/_ping",
        "/containers/{id}/json",
        "/containers/{id}/archive",
        "/exec/{id}/start",
        "/images/{name*}",
        "/images/{name*}/json",
        "/images/{name*}/tag",
        "/distribution/{name*}/{what}",
        "/{a}/{b}/{c}/{d}/{e}",
        "/",
};

static void check_captures(const char *pattern, const struct api_capture *caps, size_t n)
{
	if (n > API_MAX_CAPTURES)
		abort();
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *open = str_printf("{%s", caps[i].name);

		/* every capture is named in the pattern and never empty */
		if (!caps[i].value || !caps[i].value[0] || !open || !strstr(pattern, open))
			abort();
		if (strchr(caps[i].value, '/') && !strstr(pattern, "*}"))
			abort();
	}
}

static void match(const char *pattern, const char *path)
{
	struct api_capture caps[API_MAX_CAPTURES] = {0};
	size_t n = 0;

	if (api_route_match(pattern, path, caps, &n)) {
		check_captures(pattern, caps, n);
		api_captures_free(caps, n);
	} else if (n != 0) {
		abort();
	}
}

static void route(const char *url)
{
	const char *path = NULL;
	unsigned version = 0;

	if (api_split_version(url, &version, &path) < 0)
		return;
	if (!path || (version && (version < 100 || version > 199 || path[0] != '/')))
		abort();
	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
		match(patterns[i], path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *buf = malloc(size + 1);
	const char *parts[MAX_PARTS];
	size_t n = 0;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = 0;
	for (const char *p = buf; n < MAX_PARTS && p <= buf + size; p += strlen(p) + 1)
		parts[n++] = p;
	for (size_t i = 0; i < n; i++)
		route(parts[i]);
	if (n >= 2)
		match(parts[0], parts[1]);
	return 0;
}
