/* router.c — path patterns and API version prefixes (pure functions). */
#include <string.h>

#include "api/server.h"
#include "base/str.h"

void api_captures_free(struct api_capture *caps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(caps[i].name);
		free(caps[i].value);
		caps[i] = (struct api_capture){0};
	}
}

/* 1 to `max` decimal digits (no sign, no white space, unlike sscanf's %u). */
static const char *parse_digits(const char *s, size_t max, unsigned *ret)
{
	size_t n = 0;

	*ret = 0;
	for (; n < max && s[n] >= '0' && s[n] <= '9'; n++)
		*ret = *ret * 10 + (unsigned)(s[n] - '0');
	return n > 0 && !(s[n] >= '0' && s[n] <= '9') ? s + n : NULL;
}

int api_split_version(const char *url, unsigned *ret_version, const char **ret_path)
{
	const char *p = startswith(url, "/v");
	unsigned major = 0, minor = 0;

	*ret_version = 0;
	*ret_path = url;
	if (!p || !(p[0] >= '0' && p[0] <= '9'))
		return 0;
	/* versions are kept as major * 100 + minor: 1.0 to 1.99 fit */
	p = parse_digits(p, 3, &major);
	if (!p || *p != '.' || major != 1)
		return -EINVAL;
	p = parse_digits(p + 1, 2, &minor);
	if (!p || (*p != '/' && *p != 0))
		return -EINVAL;
	*ret_version = major * 100 + minor;
	*ret_path = *p ? p : "/";
	return 0;
}

static size_t seg_len(const char *s)
{
	const char *e = strchr(s, '/');

	return e ? (size_t)(e - s) : strlen(s);
}

/* The number of '/' in s: the segments that follow the current one. */
static size_t seg_count(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (*s == '/')
			n++;
	return n;
}

static bool capture(struct api_capture *caps, size_t *ncaps, const char *pat, size_t plen,
                    const char *val, size_t vlen)
{
	bool greedy = plen > 3 && pat[plen - 2] == '*';
	size_t nlen = plen - 2 - greedy;

	if (*ncaps >= API_MAX_CAPTURES || vlen == 0)
		return false;
	caps[*ncaps].name = strndup(pat + 1, nlen);
	caps[*ncaps].value = strndup(val, vlen);
	if (!caps[*ncaps].name || !caps[*ncaps].value) {
		api_captures_free(caps + *ncaps, 1);
		return false;
	}
	(*ncaps)++;
	return true;
}

static bool is_capture(const char *seg, size_t len)
{
	return len > 2 && seg[0] == '{' && seg[len - 1] == '}';
}

/* Match one pattern segment against one path segment. */
static bool match_seg(const char *pat, size_t plen, const char *val, size_t vlen,
                      struct api_capture *caps, size_t *ncaps)
{
	if (is_capture(pat, plen))
		return capture(caps, ncaps, pat, plen, val, vlen);
	return plen == vlen && memcmp(pat, val, plen) == 0;
}

/* A greedy "{name*}" takes as many segments as the rest of the pattern
 * leaves: the pattern's remaining segment count is fixed, so the span is
 * the path's remaining count minus the pattern's. */
static bool match_greedy(const char *pat, size_t plen, const char **path, struct api_capture *caps,
                         size_t *ncaps, const char *pat_rest)
{
	size_t after = seg_count(pat_rest), have = seg_count(*path) + 1, take;
	const char *start = *path, *end = *path;

	/* a trailing slash ends the path: it is no segment of the capture */
	if (endswith(*path, "/"))
		have--;
	if (have < after + 1)
		return false;
	take = have - after;
	for (size_t i = 0; i < take; i++) {
		end += seg_len(end);
		if (*end == '/' && i + 1 < take)
			end++;
	}
	*path = end;
	return capture(caps, ncaps, pat, plen, start, end - start);
}

bool api_route_match(const char *pattern, const char *path, struct api_capture *caps, size_t *ncaps)
{
	const char *p = pattern, *u = path;

	*ncaps = 0;
	while (*p == '/' && *u == '/') {
		size_t plen = seg_len(++p), ulen;
		bool greedy = is_capture(p, plen) && p[plen - 2] == '*';

		u++;
		if (greedy) {
			if (!match_greedy(p, plen, &u, caps, ncaps, p + plen))
				goto fail;
		} else {
			ulen = seg_len(u);
			if (!match_seg(p, plen, u, ulen, caps, ncaps))
				goto fail;
			u += ulen;
		}
		p += plen;
	}
	if (*p == 0 && (*u == 0 || streq(u, "/")))
		return true;
fail:
	api_captures_free(caps, *ncaps);
	*ncaps = 0;
	return false;
}
