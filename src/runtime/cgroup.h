/* cgroup.h — a container's cgroup on v1, v2 and hybrid hosts.
 *
 * One `struct cgroup` per container, created from the spec's cgroupsPath
 * (absolute: relative to each hierarchy's root; relative: under the
 * caller's own cgroup; "slice:prefix:name" with --systemd-cgroup, mapped to
 * a cgroupfs path since there is no systemd here to ask), resources
 * applied, processes attached, frozen and thawed, read for stats, and
 * removed. The backend is chosen from the probed layout
 * (`struct cgroup_ops` from { "v1", "v2" }; hybrid = v1 for the resource
 * controllers, with the unified tree also joined so v2-only consumers see
 * the process). Every failure names the file and the value written; a
 * failed create removes whatever directories it made.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "base/error.h"
#include "oci/runtime_spec.h"
#include "runtime/cgroup_probe.h"

struct cgroup;

enum cgroup_flags {
	CGROUP_SYSTEMD = 1 << 0, /* --systemd-cgroup: parse "slice:prefix:name" */
};

/* Create (mkdir) the container's cgroup in every hierarchy. An existing
 * cgroup is reused only when empty (no processes), else -EBUSY.
 * `id` names the default path when cgroups_path is NULL
 * ("/husk/<id>"). */
int cgroup_create(const struct cgroup_layout *layout, const char *cgroups_path, const char *id,
                  enum cgroup_flags flags, struct cgroup **ret, struct husk_error **err);
/* Re-open an existing container cgroup (for update/pause/stats/delete),
 * from the paths saved in the state (cgroup_paths_json). */
int cgroup_open(const struct cgroup_layout *layout, json_t *paths, struct cgroup **ret,
                struct husk_error **err);
/* The per-hierarchy paths, for the container's state file. */
json_t *cgroup_paths_json(const struct cgroup *cg);

/* Write every resource given (devices, memory, cpu, pids, blkio/io,
 * hugetlb, net_cls/prio, unified). kernel memory is ignored with a
 * warning in *ret_warnings (strv, may be NULL). -errno naming the file. */
int cgroup_apply(struct cgroup *cg, const struct oci_resources *r, char ***ret_warnings,
                 struct husk_error **err);
/* Move pid into the cgroup in every hierarchy. */
int cgroup_attach(struct cgroup *cg, pid_t pid, struct husk_error **err);
/* Attaching a process by pid (cgroup_attach) costs an RCU grace period
 * per call (the global threadgroup rwsem): several ms. A child moving
 * itself is cheap: v1 "tasks" with "0" moves only the calling thread
 * without that lock, and clone3(CLONE_INTO_CGROUP) puts a child straight
 * into a cgroup2 directory. Prepare both: *ret_dirfd is the cgroup2
 * directory (or -1 when there is none), ret_fds the v1 "tasks" files
 * (opened here, so the write is checked with our credentials even from a
 * user namespace), plus the cgroup2 "cgroup.procs" as the last fd for a
 * kernel without CLONE_INTO_CGROUP. */
int cgroup_attach_prepare(struct cgroup *cg, int *ret_dirfd, int **ret_fds, size_t *ret_n,
                          struct husk_error **err);
/* In the (single-threaded) child: write "0" to each fd. `into_cgroup`:
 * the child was born in the cgroup2 directory, skip its procs fd. */
int cgroup_attach_self(const int *fds, size_t n, bool into_cgroup);
/* Freeze (true) or thaw (false), waiting until the state is reached. */
int cgroup_freeze(struct cgroup *cg, bool frozen, struct husk_error **err);
/* Whether the cgroup is frozen now. */
int cgroup_is_frozen(struct cgroup *cg, bool *ret, struct husk_error **err);
/* The pids in the cgroup (recursively), as a malloc'd array. */
int cgroup_pids(struct cgroup *cg, pid_t **ret, size_t *ret_n, struct husk_error **err);
/* Send sig to every process in it (kill --all). */
int cgroup_kill_all(struct cgroup *cg, int sig, struct husk_error **err);

struct cgroup_stats {
	uint64_t cpu_usage_ns, cpu_user_ns, cpu_system_ns;
	uint64_t *percpu_ns;
	size_t n_percpu;
	uint64_t throttled_periods, throttled_time_ns, nr_periods;
	uint64_t mem_usage, mem_max_usage, mem_limit, mem_inactive_file, mem_cache, mem_rss;
	uint64_t mem_swap_usage;
	uint64_t oom_kills;
	uint64_t pids_current, pids_limit;
	uint64_t io_read_bytes, io_write_bytes;
};
int cgroup_stats(struct cgroup *cg, struct cgroup_stats *ret, struct husk_error **err);
void cgroup_stats_release(struct cgroup_stats *s);
/* The OOM kills counted in the cgroup (one small file, not the whole
 * stats): -errno when the memory controller is not there. */
int cgroup_oom_kills(struct cgroup *cg, uint64_t *ret);

/* Remove the cgroup directories (after killing what is left inside when
 * `force`); -EBUSY if processes remain and !force. Safe to call twice. */
int cgroup_destroy(struct cgroup *cg, bool force, struct husk_error **err);
void cgroup_free(struct cgroup *cg);
DEFINE_CLEANUP_FUNC(struct cgroup *, cgroup_free)
