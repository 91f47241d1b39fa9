/* runtime_spec.h — the OCI runtime-spec config.json (v1.0–v1.2) as C.
 *
 * oci_spec_parse() turns config.json into `struct oci_spec`, validating
 * every field it reads: a wrong type, an unknown namespace type, a
 * relative path where an absolute one is required, an unknown capability,
 * signal, rlimit or seccomp action gets one error naming the field
 * ("linux.namespaces[2].type: unknown namespace type \"foo\""). Nothing
 * here touches the system: the runtime (src/runtime/) applies it.
 * Unknown fields are ignored (forward compatibility, as runc does).
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "base/error.h"

#define OCI_CONFIG_MAX (4u << 20) /* config.json larger than this is refused */

/* ---- process ---- */

struct oci_rlimit {
	int resource; /* RLIMIT_* */
	uint64_t hard, soft;
};

struct oci_user {
	uid_t uid;
	gid_t gid;
	bool has_umask;
	mode_t umask;
	gid_t *additional_gids;
	size_t n_additional_gids;
	char *username; /* informational */
};

/* Capability sets as bit masks over CAP_* numbers (0..63). */
struct oci_caps {
	bool present; /* "capabilities" given at all */
	uint64_t bounding, effective, inheritable, permitted, ambient;
};

struct oci_io_priority {
	bool present;
	int class; /* IOPRIO_CLASS_RT/BE/IDLE */
	int priority;
};

struct oci_scheduler {
	bool present;
	int policy; /* SCHED_* */
	int nice;
	int priority;
	uint64_t flags; /* SCHED_FLAG_* */
	uint64_t runtime, deadline, period;
};

struct oci_process {
	bool terminal;
	unsigned console_height, console_width; /* 0 = not given */
	struct oci_user user;
	char **args; /* at least one element */
	char **env;
	char *cwd; /* absolute */
	struct oci_caps caps;
	struct oci_rlimit *rlimits;
	size_t n_rlimits;
	bool no_new_privileges;
	bool has_oom_score_adj;
	int oom_score_adj;
	char *apparmor_profile;
	char *selinux_label;
	struct oci_io_priority io_priority;
	struct oci_scheduler scheduler;
};

/* ---- root, mounts ---- */

struct oci_mount {
	char *destination; /* absolute */
	char *type;        /* "bind", "proc", "tmpfs", … ("bind" when options say bind) */
	char *source;
	unsigned long flags;       /* MS_* to set */
	unsigned long clear;       /* MS_* explicitly cleared (rw, suid, …) */
	unsigned long propagation; /* MS_SHARED/SLAVE/PRIVATE/UNBINDABLE (| MS_REC) or 0 */
	bool bind;                 /* bind or rbind */
	bool recursive;            /* rbind, or r-prefixed propagation */
	bool idmap;                /* "idmap"/"ridmap" option, or uid/gidMappings given */
	char *data;                /* the rest of the options, comma-joined, for mount(2) data */
	/* Added: recursive attributes ("rro", "rnosuid", "rnoatime", … as runc)
	 * to apply with mount_setattr(2) AT_RECURSIVE; MOUNT_ATTR_* bits. */
	uint64_t rec_attr_set, rec_attr_clr;
	bool idmap_recursive; /* added: "ridmap" (AT_RECURSIVE idmap) */
	/* uidMappings/gidMappings of an idmapped mount */
	struct oci_id_mapping *uid_mappings, *gid_mappings;
	size_t n_uid_mappings, n_gid_mappings;
};

struct oci_id_mapping {
	uint32_t container_id, host_id, size;
};

/* ---- linux ---- */

enum oci_ns_type {
	OCI_NS_MOUNT,
	OCI_NS_PID,
	OCI_NS_NETWORK,
	OCI_NS_IPC,
	OCI_NS_UTS,
	OCI_NS_USER,
	OCI_NS_CGROUP,
	OCI_NS_TIME,
	OCI_NS_COUNT,
};

struct oci_namespace {
	enum oci_ns_type type;
	char *path; /* NULL: a new namespace; else join this one (absolute) */
};

struct oci_device {
	char type;  /* 'c', 'b', 'u', 'p' */
	char *path; /* absolute, in the container */
	int64_t major, minor;
	bool has_mode;
	mode_t file_mode;
	bool has_uid, has_gid;
	uid_t uid;
	gid_t gid;
};

struct oci_device_rule {
	bool allow;
	char type;      /* 'a', 'c', 'b' */
	int64_t major;  /* -1 = wildcard */
	int64_t minor;  /* -1 = wildcard */
	char access[4]; /* subset of "rwm" */
};

struct oci_throttle {
	int64_t major, minor;
	uint64_t rate;
};

struct oci_weight_device {
	int64_t major, minor;
	bool has_weight, has_leaf_weight;
	uint16_t weight, leaf_weight;
};

struct oci_hugepage_limit {
	char *page_size; /* "2MB", "1GB" */
	uint64_t limit;
};

struct oci_kv {
	char *key, *value;
};

/* Every resource field is optional: has_* says whether it was given. */
struct oci_resources {
	struct oci_device_rule *devices;
	size_t n_devices;
	/* memory */
	bool has_mem_limit, has_mem_reservation, has_mem_swap, has_mem_kernel, has_mem_kernel_tcp,
	        has_mem_swappiness, has_disable_oom_killer, has_use_hierarchy,
	        has_check_before_update;
	int64_t mem_limit, mem_reservation, mem_swap, mem_kernel,
	        mem_kernel_tcp; /* -1 = unlimited */
	uint64_t mem_swappiness;
	bool disable_oom_killer, use_hierarchy, check_before_update;
	/* cpu */
	bool has_cpu_shares, has_cpu_quota, has_cpu_burst, has_cpu_period, has_cpu_rt_runtime,
	        has_cpu_rt_period, has_cpu_idle;
	uint64_t cpu_shares, cpu_period, cpu_rt_period, cpu_burst;
	int64_t cpu_quota, cpu_rt_runtime, cpu_idle;
	char *cpu_cpus, *cpu_mems;
	/* pids */
	bool has_pids_limit;
	int64_t pids_limit; /* <= 0: unlimited */
	/* blockIO */
	bool has_blkio_weight, has_blkio_leaf_weight;
	uint16_t blkio_weight, blkio_leaf_weight;
	struct oci_weight_device *blkio_weight_devices;
	size_t n_blkio_weight_devices;
	struct oci_throttle *throttle_read_bps, *throttle_write_bps, *throttle_read_iops,
	        *throttle_write_iops;
	size_t n_throttle_read_bps, n_throttle_write_bps, n_throttle_read_iops,
	        n_throttle_write_iops;
	/* hugepages, network, rdma, unified */
	struct oci_hugepage_limit *hugepage_limits;
	size_t n_hugepage_limits;
	bool has_net_class_id;
	uint32_t net_class_id;
	struct oci_kv *net_priorities; /* name → priority (value as decimal text) */
	size_t n_net_priorities;
	struct oci_kv *unified; /* cgroup v2 file → value */
	size_t n_unified;
};

enum oci_seccomp_action {
	OCI_SECCOMP_KILL,         /* SCMP_ACT_KILL (= KILL_THREAD) */
	OCI_SECCOMP_KILL_PROCESS, /* SCMP_ACT_KILL_PROCESS */
	OCI_SECCOMP_KILL_THREAD,  /* SCMP_ACT_KILL_THREAD */
	OCI_SECCOMP_TRAP,
	OCI_SECCOMP_ERRNO,
	OCI_SECCOMP_TRACE,
	OCI_SECCOMP_ALLOW,
	OCI_SECCOMP_LOG,
	OCI_SECCOMP_NOTIFY, /* parsed; refused by the runtime without listenerPath support */
};

enum oci_seccomp_op {
	OCI_SCMP_NE,
	OCI_SCMP_LT,
	OCI_SCMP_LE,
	OCI_SCMP_EQ,
	OCI_SCMP_GE,
	OCI_SCMP_GT,
	OCI_SCMP_MASKED_EQ,
};

struct oci_seccomp_arg {
	unsigned index; /* 0..5 */
	uint64_t value, value_two;
	enum oci_seccomp_op op;
};

struct oci_seccomp_rule {
	char **names; /* syscall names (validated by the runtime against libseccomp) */
	enum oci_seccomp_action action;
	bool has_errno_ret;
	unsigned errno_ret;
	struct oci_seccomp_arg *args;
	size_t n_args;
};

struct oci_seccomp {
	bool present;
	enum oci_seccomp_action default_action;
	bool has_default_errno_ret;
	unsigned default_errno_ret;
	char **architectures; /* "SCMP_ARCH_X86_64", … */
	char **flags;         /* "SECCOMP_FILTER_FLAG_LOG", … */
	char *listener_path;
	char *listener_metadata;
	struct oci_seccomp_rule *syscalls;
	size_t n_syscalls;
};

struct oci_time_offset {
	bool present;
	int64_t secs;
	uint32_t nanosecs;
};

struct oci_personality {
	bool present;
	unsigned long domain; /* PER_LINUX or PER_LINUX32 */
};

struct oci_linux {
	struct oci_namespace *namespaces;
	size_t n_namespaces;
	struct oci_id_mapping *uid_mappings, *gid_mappings;
	size_t n_uid_mappings, n_gid_mappings;
	struct oci_time_offset time_monotonic, time_boottime;
	struct oci_device *devices;
	size_t n_devices;
	char *cgroups_path;
	bool has_resources;
	struct oci_resources resources;
	struct oci_kv *sysctl;
	size_t n_sysctl;
	struct oci_seccomp seccomp;
	unsigned long rootfs_propagation; /* MS_* or 0 */
	char **masked_paths;
	char **readonly_paths;
	char *mount_label;
	bool has_intel_rdt;
	struct oci_personality personality;
};

/* ---- hooks ---- */

struct oci_hook {
	char *path; /* absolute */
	char **args;
	char **env;
	bool has_timeout;
	int timeout; /* seconds, > 0 */
};

enum oci_hook_kind {
	OCI_HOOK_PRESTART, /* deprecated, runs with createRuntime */
	OCI_HOOK_CREATE_RUNTIME,
	OCI_HOOK_CREATE_CONTAINER,
	OCI_HOOK_START_CONTAINER,
	OCI_HOOK_POSTSTART,
	OCI_HOOK_POSTSTOP,
	OCI_HOOK_KINDS,
};

/* ---- the whole config ---- */

struct oci_spec {
	char *oci_version;
	char *root_path; /* as written; resolved against the bundle by the runtime */
	bool root_readonly;
	char *hostname;
	char *domainname;
	struct oci_process *process; /* NULL when absent (allowed for create, not start) */
	struct oci_mount *mounts;
	size_t n_mounts;
	struct oci_hook *hooks[OCI_HOOK_KINDS];
	size_t n_hooks[OCI_HOOK_KINDS];
	struct oci_kv *annotations;
	size_t n_annotations;
	struct oci_linux linux_; /* "linux" is a predefined macro in gnu11 */
	json_t *raw;             /* the parsed document (for state/annotations passthrough) */
};

/* Parse a config.json document. NULL with *err naming the field. */
struct oci_spec *oci_spec_parse(json_t *doc, struct husk_error **err);
/* Read <bundle>/config.json (capped at OCI_CONFIG_MAX) and parse it. */
struct oci_spec *oci_spec_load(const char *bundle, struct husk_error **err);
/* Added: read a config.json / process.json / resources file as JSON (capped
 * at OCI_CONFIG_MAX). Unlike json_load_path() it accepts unsigned integers
 * above INT64_MAX (RLIM_INFINITY = 18446744073709551615, as Docker writes
 * an unlimited ulimit), which jansson alone refuses; they are kept as reals
 * that the parsers here read back as uint64. Use it before
 * oci_process_parse()/oci_resources_parse(). */
int oci_json_load(const char *path, json_t **ret, struct husk_error **err);
void oci_spec_free(struct oci_spec *s);
DEFINE_CLEANUP_FUNC(struct oci_spec *, oci_spec_free)

/* Parse a process.json (exec --process) into a process. */
struct oci_process *oci_process_parse(json_t *doc, const char *path, struct husk_error **err);
void oci_process_free(struct oci_process *p);

/* Parse a linux.resources object (update --resources). *ret is written
 * (not released first) on success and zeroed on failure. */
int oci_resources_parse(json_t *obj, const char *path, struct oci_resources *ret,
                        struct husk_error **err);
void oci_resources_release(struct oci_resources *r);

/* The namespace of a type in the spec, or NULL. */
const struct oci_namespace *oci_spec_namespace(const struct oci_spec *s, enum oci_ns_type t);

/* Names ↔ numbers. Each returns -EINVAL for an unknown name. */
int oci_cap_from_name(const char *name, int *ret);    /* "CAP_SYS_ADMIN" → 21 */
const char *oci_cap_name(int cap);                    /* NULL past the last known */
int oci_signal_from_name(const char *name, int *ret); /* "SIGTERM", "TERM", "15" */
int oci_rlimit_from_name(const char *name, int *ret); /* "RLIMIT_NOFILE" */
const char *oci_ns_type_name(enum oci_ns_type t);     /* "mount", "pid", … */
int oci_ns_type_from_name(const char *name, enum oci_ns_type *ret);
int oci_ns_clone_flag(enum oci_ns_type t);        /* CLONE_NEWNS, … */
const char *oci_ns_proc_name(enum oci_ns_type t); /* "mnt", "pid", "net", … (/proc/PID/ns/) */

/* The default config.json of `husk-runtime spec` (runc's defaults; rootless
 * adds a user namespace with the caller's ids mapped). New reference. */
json_t *oci_spec_default(bool rootless);
/* The `features` document of this build (OCI runtime features, v1.1). */
json_t *oci_features(void);
