/* cgroup_internal.h — what cgroup.c, cgroup_v1.c and cgroup_v2.c share.
 *
 * The container's cgroup is one directory per hierarchy (`struct
 * cgroup_dir`); a backend (`struct cgroup_ops`, "v1" or "v2") writes the
 * resources into them one resource group at a time (enum cgroup_res).
 * The pure functions at the end (path resolution, v1 → v2 value
 * conversions, the eBPF device filter) are exposed for the unit test.
 * Private to src/runtime/cgroup*.c and tests/unit/test_cgroup.c: nothing
 * else may include it.
 */
#pragma once

#include <linux/bpf.h>
#include <stdbool.h>
#include <stdint.h>
#include "runtime/cgroup.h"

/* The container's directory in one hierarchy. */
struct cgroup_dir {
	char *controller; /* v1 controller ("memory"), or "" for the cgroup2 tree */
	char *mount;      /* that hierarchy's mount point */
	char *path;       /* mount + the container's cgroup path */
	bool dup;         /* co-mounted with an earlier entry ("cpu,cpuacct"): same path */
};

/* Resource groups of linux.resources, in the order they are written
 * (runc's subsystem order: cpuset first, unified last so it can refine). */
enum cgroup_res {
	CGROUP_RES_CPUSET,
	CGROUP_RES_DEVICES,
	CGROUP_RES_MEMORY,
	CGROUP_RES_CPU,
	CGROUP_RES_PIDS,
	CGROUP_RES_BLKIO,
	CGROUP_RES_HUGETLB,
	CGROUP_RES_NET_CLS,
	CGROUP_RES_NET_PRIO,
	CGROUP_RES_UNIFIED,
	CGROUP_RES_COUNT,
};

/* Writes one resource group into a directory. */
typedef int (*cgroup_apply_fn)(const struct cgroup_dir *d, const struct oci_resources *r,
                               char ***warnings, struct husk_error **err);

struct cgroup_ops {
	const char *name;
	/* Called top-down for each directory of the cgroup's path in a
	 * hierarchy, after mkdir (v1 cpuset fills cpus/mems). May be NULL. */
	int (*prepare_dir)(const struct cgroup_dir *d, const char *path, struct husk_error **err);
	int (*apply_one)(struct cgroup *cg, enum cgroup_res res, const struct oci_resources *r,
	                 char ***warnings, struct husk_error **err);
	int (*freeze)(struct cgroup *cg, bool frozen, struct husk_error **err);
	int (*is_frozen)(struct cgroup *cg, bool *ret, struct husk_error **err);
	/* Kill everything at once when the kernel can (cgroup.kill);
	 * -EOPNOTSUPP: the caller freezes, signals each pid and thaws. */
	int (*kill)(struct cgroup *cg, int sig, struct husk_error **err);
	int (*stats)(struct cgroup *cg, struct cgroup_stats *ret, struct husk_error **err);
	/* The directory whose cgroup.procs (recursively) lists the processes. */
	const struct cgroup_dir *(*procs_dir)(const struct cgroup *cg);
};

struct cgroup {
	const struct cgroup_ops *ops;
	enum cgroup_mode mode;
	struct cgroup_dir dirs[CGROUP_MAX_CONTROLLERS + 1]; /* v1 ones, then the unified one */
	size_t n_dirs;
};

extern const struct cgroup_ops cgroup_v1_ops;
extern const struct cgroup_ops cgroup_v2_ops;

/* ---- shared helpers (cgroup.c) ---- */

/* The directory of a controller ("" = the cgroup2 tree), or NULL. */
const struct cgroup_dir *cgroup_dir_of(const struct cgroup *cg, const char *controller);
/* Whether linux.resources asks for a resource group; its spec name. */
bool cgroup_res_wanted(enum cgroup_res res, const struct oci_resources *r);
const char *cgroup_res_what(enum cgroup_res res);

/* Write value to dir/file in one write(2). -errno with
 * `write "<value>" to "<dir>/<file>": <strerror>`. */
int cg_write(const char *dir, const char *file, const char *value, struct husk_error **err);
int cg_writef(const char *dir, const char *file, struct husk_error **err, const char *fmt, ...)
        _printf_(4, 5);
/* Read dir/file (capped at 16 MiB). -errno (-ENOENT when missing). */
int cg_read(const char *dir, const char *file, char **ret, struct husk_error **err);
bool cg_has(const char *dir, const char *file);
/* One number from dir/file ("max" = UINT64_MAX). -errno, no message. */
int cg_read_u64(const char *dir, const char *file, uint64_t *ret);
/* The value of `key` in a flat-keyed text ("key value\n…"). -ENOENT when absent. */
int cg_kv(const char *text, const char *key, uint64_t *ret);
/* Append a formatted warning to *warnings. -ENOMEM. */
int cg_warn(char ***warnings, const char *fmt, ...) _printf_(2, 3);
/* Sleep ms milliseconds. */
void cg_sleep_ms(unsigned ms);

/* ---- v1 (cgroup_v1.c) ---- */

/* The line written to devices.allow/deny: "c 1:3 rwm", "a *:* rwm". */
int cgroup_v1_device_rule(const struct oci_device_rule *rule, char *buf, size_t len);
/* Whether memory.memsw.limit_in_bytes must be written before
 * memory.limit_in_bytes: when the new memsw exceeds the current memory
 * limit (raising), else memory first (lowering), so that memsw >= memory
 * holds after each write. */
bool cgroup_v1_memsw_first(uint64_t cur_mem_limit, int64_t new_memsw);

/* ---- v2 (cgroup_v2.c) ---- */

/* Whether the cgroup2 tree at d can hold a resource group (its controller
 * is in the root's cgroup.controllers, or it needs none). */
bool cgroup_v2_available(const struct cgroup_dir *d, enum cgroup_res res);
/* Enable controller in cgroup.subtree_control of every ancestor of d,
 * from the mount down. -errno naming the file, or the controller when the
 * kernel does not offer it. */
int cgroup_v2_enable(const struct cgroup_dir *d, const char *controller, struct husk_error **err);
/* Write one resource group the v2 way into d (a cgroup2 directory). */
int cgroup_v2_apply_one(const struct cgroup_dir *d, enum cgroup_res res,
                        const struct oci_resources *r, char ***warnings, struct husk_error **err);
/* cgroup.kill in d when sig is SIGKILL and the kernel has it (>= 5.14),
 * else -EOPNOTSUPP. */
int cgroup_v2_kill_dir(const struct cgroup_dir *d, int sig, struct husk_error **err);

/* v1 → v2 value conversions (runc's formulas). 0 stays 0 ("not set"). */
uint64_t cgroup_cpu_shares_to_weight(uint64_t shares);      /* [2, 262144] → [1, 10000] */
uint64_t cgroup_blkio_weight_to_io_weight(uint64_t weight); /* [10, 1000] → [1, 10000] */
/* "cpu.max" from quota/period: "QUOTA PERIOD", "max PERIOD", "QUOTA" or
 * "max". 1 when there is something to write, 0 when neither was given. */
int cgroup_cpu_max(const struct oci_resources *r, char *buf, size_t len);
/* memory.swap.max from v1 memsw (memory+swap): swap - memory, -1 = "max".
 * 1 when there is something to write, 0 when not, -EINVAL with *err when
 * the combination cannot be expressed. */
int cgroup_swap_max(const struct oci_resources *r, int64_t *ret, struct husk_error **err);
/* "MAJ:MIN key=RATE" for io.max (rate 0 = "max", v1's "no limit"). */
int cgroup_io_max_line(const struct oci_throttle *t, const char *key, char *buf, size_t len);
/* "hugetlb.<size>.<suffix>", with size checked ("2MB", "1GB", "64KB"). */
int cgroup_hugetlb_file(const char *page_size, const char *suffix, char **ret,
                        struct husk_error **err);

/* The BPF_PROG_TYPE_CGROUP_DEVICE program for a rule list: rules are
 * checked last to first and the first match decides (last match wins,
 * as with devices.allow/deny); no match denies. An allow rule matches
 * when it grants every access asked for, a deny rule when it refuses
 * any. -EINVAL naming the rule for an unknown type or a number out of
 * range, -ENOMEM. */
int cgroup_devices_program(const struct oci_device_rule *rules, size_t n, struct bpf_insn **ret,
                           size_t *ret_n, struct husk_error **err);

/* ---- paths (cgroup.c) ---- */

/* The cgroup path from cgroupsPath: "/a/b" (absolute, below each
 * hierarchy's root) or "a/b" (relative: below the caller's own cgroup),
 * cleaned of "." and repeated "/". NULL or "" → "/husk/<id>"; with
 * CGROUP_SYSTEMD "slice:prefix:name" → "/<expanded slice>/prefix-name.scope"
 * (NULL → "system.slice:husk:<id>"). -EINVAL naming cgroupsPath for "..",
 * control characters, the hierarchy root itself or a bad systemd form. */
int cgroup_path_resolve(const char *cgroups_path, const char *id, enum cgroup_flags flags,
                        char **ret, struct husk_error **err);
/* The caller's cgroup in one hierarchy from /proc/self/cgroup text
 * (controller "" = the cgroup2 line "0::/…"). -ENOENT when not listed. */
int cgroup_own_path(const char *proc_cgroup, const char *controller, char **ret);
