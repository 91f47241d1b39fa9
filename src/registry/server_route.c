/* server_route.c — the grammar of what a request names: repository names,
 * tags, upload ids, byte ranges, and the split of a /v2/ path into an
 * endpoint and its arguments. Pure functions: no I/O. */
#include <string.h>
#include <strings.h>

#include "base/str.h"
#include "registry/server.h"
#include "registry/server_internal.h"

static bool lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* over s[0..len) */
static bool component_valid(const char *s, size_t len)
{
	size_t i = 0;

	for (;;) {
		size_t start = i;
		while (i < len && lower_alnum(s[i]))
			i++;
		if (i == start)
			return false;
		if (i == len)
			return true;
		if (s[i] == '.')
			i++;
		else if (s[i] == '_')
			i += (i + 1 < len && s[i + 1] == '_') ? 2 : 1;
		else if (s[i] == '-')
			while (i < len && s[i] == '-')
				i++;
		else
			return false;
	}
}

bool registry_name_valid(const char *name)
{
	size_t len = name ? strlen(name) : 0;
	const char *p = name;

	if (len == 0 || len > REGISTRY_NAME_MAX)
		return false;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (!component_valid(p, n))
			return false;
		if (!slash)
			return true;
		p = slash + 1;
	}
}

static bool tag_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || (!first && (c == '.' || c == '-'));
}

bool registry_tag_valid(const char *tag)
{
	size_t i;

	if (!tag || !tag_char(tag[0], true))
		return false;
	for (i = 1; tag[i]; i++)
		if (i >= 128 || !tag_char(tag[i], false))
			return false;
	return true;
}

bool registry_uuid_valid(const char *s)
{
	static const unsigned groups[] = {8, 4, 4, 4, 12};

	if (!s)
		return false;
	for (size_t g = 0; g < ELEMENTSOF(groups); g++) {
		for (unsigned i = 0; i < groups[g]; i++, s++)
			if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
				return false;
		if (*s != (g + 1 < ELEMENTSOF(groups) ? '-' : '\0'))
			return false;
		s++;
	}
	return true;
}

/* Digits at *p into *ret, advancing p; false when none or on overflow. */
static bool parse_u64(const char **p, uint64_t *ret)
{
	uint64_t v = 0;
	const char *s = *p;

	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*p = s;
	*ret = v;
	return true;
}

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

int registry_parse_range(const char *header, uint64_t size, uint64_t *ret_start, uint64_t *ret_end)
{
	const char *p;
	uint64_t a = 0, b = UINT64_MAX;
	bool has_a, has_b;

	if (!header)
		return 0;
	p = skip_ws(header);
	if (strncasecmp(p, "bytes", 5) != 0)
		return 0;
	p = skip_ws(p + 5);
	if (*p++ != '=')
		return 0;
	p = skip_ws(p);
	has_a = parse_u64(&p, &a);
	if (*p++ != '-')
		return 0;
	has_b = parse_u64(&p, &b);
	if (*skip_ws(p) != '\0' || (!has_a && !has_b) || (has_a && has_b && b < a))
		return 0; /* malformed, or several ranges: serve the whole blob */
	if (!has_a) {
		/* a suffix: the last b bytes */
		if (b == 0 || size == 0)
			return -ERANGE;
		*ret_start = size > b ? size - b : 0;
		*ret_end = size - 1;
		return 1;
	}
	if (a >= size)
		return -ERANGE;
	*ret_start = a;
	*ret_end = MIN(b, size - 1);
	return 1;
}

int registry_parse_content_range(const char *header, uint64_t *ret_start, uint64_t *ret_end)
{
	const char *p;
	uint64_t a, b, total;

	if (!header)
		return -EINVAL;
	p = skip_ws(header);
	if (strncasecmp(p, "bytes", 5) == 0) {
		p += 5;
		if (*p == '=' || *p == ' ')
			p++;
		p = skip_ws(p);
	}
	if (!parse_u64(&p, &a) || *p++ != '-' || !parse_u64(&p, &b) || b < a)
		return -EINVAL;
	if (*p == '/') {
		/* "a-b/total" as RFC 9110 writes it; the total says nothing new */
		p++;
		if (*p == '*')
			p++;
		else if (!parse_u64(&p, &total))
			return -EINVAL;
	}
	if (*skip_ws(p) != '\0')
		return -EINVAL;
	*ret_start = a;
	*ret_end = b;
	return 0;
}

/* --- /v2/ paths ------------------------------------------------------------ */

void reg_route_release(struct reg_route *r)
{
	free(r->name);
	free(r->ref);
	*r = (struct reg_route){0};
}

/* rest without suffix when it ends with it, else NULL. */
static char *strip_suffix(const char *rest, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	if (len < n || memcmp(rest + len - n, suffix, n) != 0)
		return NULL;
	return strndup(rest, len - n);
}

int reg_route_parse(const char *path, struct reg_route *ret)
{
	static const struct {
		const char *suffix;
		enum reg_route_kind kind;
	} table[] = {
	        {"/tags", ROUTE_TAGS},           {"/blobs/uploads", ROUTE_UPLOAD},
	        {"/blobs", ROUTE_BLOB},          {"/manifests", ROUTE_MANIFEST},
	        {"/referrers", ROUTE_REFERRERS},
	};
	const char *rest, *last;

	*ret = (struct reg_route){0};
	if (streq(path, "/v2") || streq(path, "/v2/")) {
		ret->kind = ROUTE_BASE;
		return 0;
	}
	if (streq(path, "/v2/_catalog")) {
		ret->kind = ROUTE_CATALOG;
		return 0;
	}
	rest = startswith(path, "/v2/");
	if (!rest || !(last = strrchr(rest, '/')))
		return -ENOENT;
	for (size_t i = 0; i < ELEMENTSOF(table); i++) {
		enum reg_route_kind kind = table[i].kind;
		const char *ref = last + 1;
		char *name = strip_suffix(rest, (size_t)(last - rest), table[i].suffix);

		if (!name)
			continue;
		if (kind == ROUTE_BLOB && streq(ref, "uploads")) {
			/* "/blobs/uploads" without its final slash: the upload endpoint */
			kind = ROUTE_UPLOAD;
			ref = "";
		} else if (kind == ROUTE_TAGS) {
			ref = streq(ref, "list") ? "" : NULL;
		} else if (kind != ROUTE_UPLOAD && *ref == '\0') {
			ref = NULL;
		}
		if (!ref) {
			free(name);
			return -ENOENT;
		}
		ret->kind = kind;
		ret->name = name;
		ret->ref = strdup(ref);
		if (!ret->ref) {
			reg_route_release(ret);
			return -ENOMEM;
		}
		return registry_name_valid(name) ? 0 : -EINVAL;
	}
	return -ENOENT;
}
