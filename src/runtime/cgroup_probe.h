/* cgroup_probe.h — which cgroup layout this host has and where each
 * controller is mounted: pure v1, pure v2 (unified), or hybrid (v1
 * controllers plus a cgroup2 mount, usually at /sys/fs/cgroup/unified).
 * It only reads /proc/self/mountinfo and statfs(); it never writes.
 */
#pragma once

#include "base/error.h"

enum cgroup_mode {
	CGROUP_MODE_V1,
	CGROUP_MODE_HYBRID,
	CGROUP_MODE_V2,
};

#define CGROUP_MAX_CONTROLLERS 16

struct cgroup_mount {
	char *controller; /* "memory", "cpu", …; "" for the cgroup2 tree */
	char *path;       /* its mount point */
};

struct cgroup_layout {
	enum cgroup_mode mode;
	char *unified; /* the cgroup2 mount point, or NULL */
	struct cgroup_mount v1[CGROUP_MAX_CONTROLLERS];
	size_t n_v1;
};

/* Read the layout from a mountinfo file (NULL = /proc/self/mountinfo) and
 * statfs of root (NULL = /sys/fs/cgroup). -errno with *err on failure. */
int cgroup_probe(const char *mountinfo, const char *root, struct cgroup_layout *ret,
                 struct husk_error **err);
/* The v1 mount of a controller, or NULL. */
const char *cgroup_v1_path(const struct cgroup_layout *l, const char *controller);
/* "1" or "2" as Docker reports CgroupVersion (hybrid counts as 1, since the
 * resource controllers are v1 there). */
const char *cgroup_mode_version(enum cgroup_mode m);
const char *cgroup_mode_name(enum cgroup_mode m);
void cgroup_layout_release(struct cgroup_layout *l);
