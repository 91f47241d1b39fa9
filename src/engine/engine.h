/* engine.h — the daemon's state: one context passed to every handler.
 *
 * Owns the configuration, the data and exec roots (created private:
 * 0710/0700, so host users cannot reach setuid files in images), the
 * persistent engine ID, and the host facts /info reports. Later
 * subsystems (image store, containers, networks) hang off this struct.
 */
#pragma once

#include <stdint.h>
#include <time.h>
#include "engine/config.h"
#include "engine/userns.h"
#include "runtime/cgroup_probe.h"
#include "store/store.h"

struct events;
struct volumes;
struct containers;
struct networks;

struct engine {
	struct engine_config cfg;
	char id[40]; /* persistent ID, "XXXX:XXXX:…" like dockerd's */
	time_t started;
	struct cgroup_layout cgroups;
	const char *storage_driver;    /* "overlay2" or "vfs" */
	struct store *store;           /* the image store under the data root */
	char backing_fs[16];           /* of the data root: "extfs", "xfs", … */
	struct events *events;         /* the event bus behind GET /events */
	struct volumes *volumes;       /* named volumes under <data-root>/volumes */
	struct containers *containers; /* the containers (engine/containers.h) */
	struct networks *networks;     /* bridge networks, endpoints, ports (network/network.h) */
	struct userns_remap remap;     /* userns-remap; remap.map empty when off */
	char *root_base;               /* the data root as configured: under userns-remap,
	                                  cfg.data_root is <root_base>/<uid>.<gid> */
};

struct engine_host {
	char kernel[128];    /* uname -r */
	char os_name[128];   /* PRETTY_NAME of os-release */
	char os_version[64]; /* VERSION_ID */
	char arch[65];       /* uname -m */
	char hostname[256];
	long ncpu;
	uint64_t mem_total;
};

/* Create the roots, load or create the engine ID, probe cgroups and the
 * storage driver. Takes ownership of *cfg (emptied) even on failure. */
int engine_open(struct engine_config *cfg, struct engine **ret, struct husk_error **err);
void engine_free(struct engine *e);
DEFINE_CLEANUP_FUNC(struct engine *, engine_free)

/* Whether containers get the userns-remap user namespace by default. */
static inline bool engine_remapped(const struct engine *e)
{
	return e->remap.map.n_uids > 0;
}

/* Facts about the host. Never fails: unknown values are "". */
void engine_host_info(struct engine_host *h);

/* Docker's architecture name for uname -m ("x86_64" → "amd64"). */
const char *engine_go_arch(const char *machine);
