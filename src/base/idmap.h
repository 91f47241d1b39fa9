/* idmap.h — user namespace id mappings: the lines of a uid_map/gid_map,
 * translating ids both ways through them, and the subordinate id files
 * (/etc/subuid, /etc/subgid) they are made from, as shadow-utils and
 * dockerd's pkg/idtools read them.
 *
 * Pure computation on what it is given: it reads no file, creates no user
 * and changes no owner.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include "base/error.h"

/* The kernel's limit on the lines of a uid_map (since Linux 4.15). */
#define IDMAP_MAX_RANGES 340
/* The size of the range dockerd gives a user it creates, and where it
 * starts looking for a free one. */
#define IDMAP_DEFAULT_RANGE_LEN   65536u
#define IDMAP_DEFAULT_RANGE_START 100000u

/* One line of a uid_map or gid_map. */
struct id_map {
	uint32_t container_id, host_id, size;
};

/* A user namespace's two maps. Empty (no ranges) means no remapping. */
struct id_mapping {
	struct id_map *uids, *gids;
	size_t n_uids, n_gids;
};

/* The host id of a container id. -ERANGE when no range holds it. */
int idmap_to_host(const struct id_map *m, size_t n, uint32_t id, uint32_t *ret);
/* The container id of a host id. -ERANGE when no range holds it. */
int idmap_to_container(const struct id_map *m, size_t n, uint32_t id, uint32_t *ret);

/* The id a process in the namespace sees for host id `id`: its container
 * id, or the kernel's overflow id IDMAP_OVERFLOW_ID (nobody) when no range
 * holds it. What a tar written from a remapped tree records. */
#define IDMAP_OVERFLOW_ID 65534u
uint32_t idmap_seen(const struct id_map *m, size_t n, uint32_t id);

/* The ranges of a subordinate id file's text (lines "owner:start:count";
 * blank lines and '#' comments skipped) whose owner is `owner` (NULL: every
 * line, dockerd's "ALL"), in file order, numbered as dockerd's createIDMap
 * numbers them: the first from container id 0, each next one where the one
 * before ends. *ret is NULL when none matches. -EINVAL "<path>: line N: …"
 * for a malformed line (any line, matching or not, as dockerd refuses the
 * file), a count of 0 or a range past 2^32; -E2BIG past IDMAP_MAX_RANGES
 * matching lines or container ids past 2^32. */
int subid_parse(const char *text, const char *path, const char *owner, struct id_map **ret,
                size_t *ret_n, struct husk_error **err);

/* Where dockerd puts a new IDMAP_DEFAULT_RANGE_LEN range next to the ranges
 * `taken` (host_id, size; any order): from IDMAP_DEFAULT_RANGE_START, past
 * every range it would touch, in ascending order. -ERANGE when that passes
 * 2^32. */
int subid_next_free(const struct id_map *taken, size_t n, uint32_t *ret);

void id_mapping_release(struct id_mapping *m);
