#include "base/idmap.h"

#include <stdlib.h>
#include <string.h>

#include "base/str.h"

int idmap_to_host(const struct id_map *m, size_t n, uint32_t id, uint32_t *ret)
{
	for (size_t i = 0; i < n; i++)
		if (id >= m[i].container_id && id - m[i].container_id < m[i].size) {
			*ret = m[i].host_id + (id - m[i].container_id);
			return 0;
		}
	return -ERANGE;
}

int idmap_to_container(const struct id_map *m, size_t n, uint32_t id, uint32_t *ret)
{
	for (size_t i = 0; i < n; i++)
		if (id >= m[i].host_id && id - m[i].host_id < m[i].size) {
			*ret = m[i].container_id + (id - m[i].host_id);
			return 0;
		}
	return -ERANGE;
}

uint32_t idmap_seen(const struct id_map *m, size_t n, uint32_t id)
{
	uint32_t r;

	return idmap_to_container(m, n, id, &r) < 0 ? IDMAP_OVERFLOW_ID : r;
}

/* "start:count" of one line, both below 2^32 together. */
static int parse_range(char *const *f, uint32_t *ret_start, uint32_t *ret_count)
{
	uint64_t start, count;

	if (str_to_uint64(f[1], &start) < 0 || str_to_uint64(f[2], &count) < 0 || count == 0 ||
	    start + count > UINT64_C(1) << 32 || start + count < start)
		return -EINVAL;
	*ret_start = (uint32_t)start;
	*ret_count = (uint32_t)count;
	return 0;
}

/* Append one matching range, numbered after the ones before it. */
static int add_range(struct id_map **v, size_t *n, uint64_t *next, uint32_t start, uint32_t count,
                     const char *path, struct husk_error **err)
{
	struct id_map *grown;

	if (*n >= IDMAP_MAX_RANGES)
		return error_set(err, E2BIG, "%s: more than %d ranges", path, IDMAP_MAX_RANGES);
	if (*next + count > UINT64_C(1) << 32)
		return error_set(err, E2BIG, "%s: the ranges hold more than 2^32 ids", path);
	grown = realloc(*v, (*n + 1) * sizeof(**v));
	if (!grown)
		return error_set(err, ENOMEM, "out of memory");
	*v = grown;
	(*v)[(*n)++] = (struct id_map){(uint32_t)*next, start, count};
	*next += count;
	return 0;
}

int subid_parse(const char *text, const char *path, const char *owner, struct id_map **ret,
                size_t *ret_n, struct husk_error **err)
{
	_cleanup_strv_ char **lines = strv_split(text ? text : "", "\n");
	_cleanup_free_ struct id_map *v = NULL;
	uint64_t next = 0;
	size_t n = 0, no = 0;
	int r;

	if (!lines)
		return error_set(err, ENOMEM, "out of memory");
	STRV_FOREACH (l, lines) {
		_cleanup_free_ char *line = str_strip(*l);
		_cleanup_strv_ char **f = NULL;
		uint32_t start, count;

		no++;
		if (!line)
			return error_set(err, ENOMEM, "out of memory");
		if (!*line || *line == '#')
			continue;
		f = strv_split(line, ":");
		if (!f)
			return error_set(err, ENOMEM, "out of memory");
		if (strv_length(f) != 3 || parse_range(f, &start, &count) < 0)
			return error_set(err, EINVAL,
			                 "%s: line %zu: expected \"name:start:count\" with a count "
			                 "above 0 and ids below 2^32, got \"%s\"",
			                 path, no, line);
		if (owner && !streq(f[0], owner))
			continue;
		r = add_range(&v, &n, &next, start, count, path, err);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(v);
	*ret_n = n;
	return 0;
}

static int cmp_start(const void *a, const void *b)
{
	const struct id_map *x = a, *y = b;

	return x->host_id < y->host_id ? -1 : x->host_id > y->host_id;
}

int subid_next_free(const struct id_map *taken, size_t n, uint32_t *ret)
{
	_cleanup_free_ struct id_map *sorted = NULL;
	uint64_t start = IDMAP_DEFAULT_RANGE_START;

	if (n) {
		sorted = malloc(n * sizeof(*sorted));
		if (!sorted)
			return -ENOMEM;
		memcpy(sorted, taken, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), cmp_start);
	}
	/* dockerd's wouldOverlap: the candidate [start, start+len] touches
	 * [host_id, host_id+size] at either end */
	for (size_t i = 0; i < n; i++) {
		uint64_t lo = sorted[i].host_id, hi = lo + sorted[i].size;
		uint64_t end = start + IDMAP_DEFAULT_RANGE_LEN;

		if ((start >= lo && start <= hi) || (end <= hi && end >= lo))
			start = hi;
	}
	if (start + IDMAP_DEFAULT_RANGE_LEN > UINT64_C(1) << 32)
		return -ERANGE;
	*ret = (uint32_t)start;
	return 0;
}

void id_mapping_release(struct id_mapping *m)
{
	free(m->uids);
	free(m->gids);
	*m = (struct id_mapping){0};
}
