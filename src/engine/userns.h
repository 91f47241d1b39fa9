/* userns.h — userns-remap: the user namespace huskd gives every container,
 * as dockerd's setupRemappedRoot makes it from daemon.json's "userns-remap"
 * (or --userns-remap): "default" (the user dockremap, created with its
 * subordinate ranges when missing), "USER", "USER:GROUP", "UID", "UID:GID";
 * the maps are all the user's ranges of /etc/subuid and /etc/subgid, in
 * file order, the first from container id 0.
 *
 * It reads the passwd/group databases and the subordinate id files, and
 * only for "default" runs useradd and usermod. It never changes a file's
 * owner: the engine does that with the identity it gives back.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "base/error.h"
#include "base/idmap.h"

#define USERNS_DEFAULT_NAME "dockremap"
#define USERNS_SUBID_MAX    (4u << 20) /* bytes of /etc/subuid read */

struct userns_remap {
	char *user, *group;          /* the names it resolved to ("dockremap") */
	uint32_t root_uid, root_gid; /* the host ids of the container's root */
	struct id_mapping map;       /* empty: no remapping */
};

/* Where the subordinate id files are (tests point them elsewhere). */
struct userns_files {
	const char *subuid, *subgid; /* NULL: /etc/subuid, /etc/subgid */
};

/* Resolve spec into *ret. spec "" or a user that is root: no remapping
 * (ret->map empty; for root a warning is logged, as dockerd logs it).
 * -EINVAL "userns-remap \"a:b:c\": invalid user/group specification",
 * -ENOENT for a user or group that does not exist or a user without
 * subordinate ranges, -EIO when creating dockremap fails (with the
 * tool's output). */
int userns_remap_setup(const char *spec, const struct userns_files *files, struct userns_remap *ret,
                       struct husk_error **err);
void userns_remap_release(struct userns_remap *r);

/* Under remapping, name below dfd (AT_FDCWD: a path) becomes what the
 * remapped root may pass through (0710, root:<its gid>), or with own its
 * own (root_uid:root_gid, mode kept), as dockerd's idtools make them.
 * Nothing without a mapping. 0 or -errno with err set. */
int userns_remap_chown_at(const struct userns_remap *r, int dfd, const char *name, bool own,
                          struct husk_error **err);

/* dockerd's create-time refusals under remapping (its
 * verifyPlatformContainerSettings) for a normalised HostConfig whose
 * UsernsMode is not "host": Privileged, PidMode "host", NetworkMode "host".
 * -EINVAL with dockerd's words; 0 when r has no mapping. */
int userns_check_create(const struct userns_remap *r, json_t *host_config, struct husk_error **err);

/* The ranges of the subordinate id file at path owned by the user (by its
 * uid first, then by name, as dockerd looks them up). -ENOENT "no subuid
 * ranges found for user \"bob\"" (what = "subuid"/"subgid") when there are
 * none; the errors of subid_parse(). */
int userns_load_ranges(const char *path, const char *what, const char *user, uint32_t uid,
                       struct id_map **ret, size_t *ret_n, struct husk_error **err);
