/* spec_build.h — Docker's container configuration → an OCI runtime spec.
 *
 * spec_normalize_create() does what dockerd does to a `POST /containers/create`
 * body (Engine API v1.43: Config fields at the top level, HostConfig,
 * NetworkingConfig) before it stores it: its checks (with its words), its
 * defaults and its merge of the image's config. spec_build() turns a stored
 * body plus what the engine decided (ids, rootfs, namespaces, volumes) into
 * the config.json that dockerd + runc would run; spec_resources() gives the
 * linux.resources object alone (create and `docker update`).
 *
 * Pure: JSON in, JSON out. It reads only the container's /etc/passwd and
 * /etc/group (by fd, never leaving the rootfs), host device nodes the body
 * names (stat), /proc/self/mountinfo for shared/slave binds, and host facts
 * (CPU count, cgroup features, kernel version). It never mounts, writes or
 * creates anything, except spec_bind_sources_create() and
 * spec_workdir_create(), which say so.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/error.h"
#include "base/idmap.h" /* struct id_map: a uid/gid mapping (userns-remap) */

/* Where the image's --init binary is bind-mounted (dockerd's path). */
#define SPEC_INIT_PATH "/sbin/docker-init"
/* HostConfig.ShmSize when unset: 64 MiB, as dockerd. */
#define SPEC_DEFAULT_SHM_SIZE (64 * 1024 * 1024)
/* Largest profile accepted in "seccomp=<JSON>" and passwd/group files read. */
#define SPEC_SECCOMP_PROFILE_MAX (1u << 20)
#define SPEC_ETC_FILE_MAX        (8u << 20)

/* Host facts the checks depend on. spec_host_probe() reads them; tests pass
 * fixed ones. */
struct spec_host {
	unsigned ncpu;           /* CPUs this process may use (Go's runtime.NumCPU()) */
	char cpus[128];          /* online CPUs, "0-1" */
	char mems[128];          /* online memory nodes, "0" */
	bool swap_limit;         /* memory+swap limits can be set (swap accounting on) */
	bool swappiness;         /* memory.swappiness exists (cgroup v1) */
	bool oom_kill_disable;   /* memory.oom_control exists (cgroup v1) */
	bool cpu_rt;             /* the cpu controller has rt_period_us/rt_runtime_us */
	bool cgroup_v2;          /* pure cgroup v2: a private cgroup namespace by default */
	bool seccomp;            /* the kernel filters syscalls */
	unsigned kernel;         /* running kernel, major << 16 | minor (seccomp minKernel) */
	bool mount_setattr;      /* mount_setattr(2) answers here (not ENOSYS, nor EPERM
	                            from a seccomp filter around the daemon) */
	unsigned last_cap;       /* the highest capability number the kernel knows */
	uint64_t available_caps; /* what the daemon itself holds (its CapEff): all of
	                            Privileged/ALL, and the only caps CapAdd can add */
};

/* Fill *ret from the running host. Never fails: unknown facts get
 * conservative values (1 CPU, "0", no swap limit). */
void spec_host_probe(struct spec_host *ret);

/* Docker's create-time checks and normalisation of a create body: fills what
 * dockerd fills (HostConfig defaults: RestartPolicy "no", MemorySwap = 2 ×
 * Memory, ShmSize 64 MiB, IpcMode "private", CgroupnsMode (private on cgroup
 * v2, else host), OomKillDisable false, MaskedPaths/ReadonlyPaths unless
 * Privileged, NetworkMode "default", Runtime "runc"; Config.Hostname is left
 * empty for the engine), merges the image's config into Config as dockerd
 * does (an Entrypoint given in the request drops the image's Cmd, [""]
 * resets it; Env merged by key with the request winning; User, WorkingDir,
 * ExposedPorts, Volumes, Labels, StopSignal, Healthcheck from the image when
 * unset) and refuses what dockerd refuses, with dockerd's words and -EINVAL
 * (resources, restart policy, conflicting network options, capabilities,
 * ulimits, sysctls, security options and seccomp profiles, binds, Mounts,
 * Tmpfs, duplicate mount points, devices, device cgroup rules, namespace
 * modes). image_config: the image config's "config" object (Docker shape;
 * NULL for none). *ret: the normalised body (new reference). Warnings
 * (kernel memory, swap limit unsupported, …) are appended to ret_warnings (a
 * JSON array, caller-owned; may be NULL). body is not modified. */
int spec_normalize_create(json_t *body, json_t *image_config, json_t *ret_warnings, json_t **ret,
                          struct husk_error **err);
/* The same against given host facts (host NULL: probe). */
int spec_normalize_create_host(json_t *body, json_t *image_config, const struct spec_host *host,
                               json_t *ret_warnings, json_t **ret, struct husk_error **err);

/* A mount the engine resolved: volumes (named and anonymous, from Binds,
 * Mounts of type volume and the image's Volumes) as host paths. Binds of
 * host paths, Mounts of type bind/tmpfs and HostConfig.Tmpfs are read from
 * the body by spec_build() itself; an engine mount with the same destination
 * as one of those replaces it. */
struct spec_mount {
	const char *source;      /* host path; ignored for tmpfs */
	const char *destination; /* absolute path in the container */
	const char *type;        /* "volume" or "bind" (NULL = bind), or "tmpfs" */
	bool readonly;
	const char *propagation;    /* "rprivate", "rslave", "rshared", …; NULL: none */
	bool nonrecursive;          /* "bind" instead of "rbind" */
	const char *const *options; /* more options (tmpfs data such as "size=64m"),
	                               NULL-terminated; may be NULL */
};

/* Everything the engine decided that the spec needs and the body does not say. */
struct spec_input {
	json_t *body;       /* the normalised create body (Config fields + HostConfig) */
	const char *id;     /* container id (64 hex) */
	const char *rootfs; /* absolute path of the mounted rootfs */
	int rootfs_fd;      /* O_PATH dir fd of it (-1: spec_build opens rootfs) used to
	                       resolve User in its /etc/passwd and /etc/group, never
	                       leaving it */
	const char *hostname_path, *hosts_path, *resolv_path; /* bound to /etc/…; NULL = none */
	const char *init_path; /* husk-init for HostConfig.Init (bound ro at SPEC_INIT_PATH) */
	const char *shm_path;  /* host dir bound at /dev/shm (shareable, container:, host
	                          IPC); NULL: a private tmpfs of ShmSize (IpcMode private),
	                          the host's /dev/shm (IpcMode host), none (none) */
	/* Namespaces the engine resolved, for each of pid, ipc, uts, network,
	 * user, cgroup: NULL = as the HostConfig mode says (a new one; none for
	 * "host"; container:NAME must be resolved), "host" = none (share the
	 * host's), else a path /proc/<pid>/ns/<type> to join. A user namespace
	 * is new only with uid/gid maps; sharing another container's pid/ipc/net
	 * under userns-remap needs its user namespace path in ns_user. */
	const char *ns_pid, *ns_ipc, *ns_uts, *ns_net, *ns_user, *ns_cgroup;
	const struct spec_mount *mounts;
	size_t n_mounts;
	const char *cgroups_path; /* e.g. "/husk/<id>"; NULL: CgroupParent/<id> or /husk/<id> */
	const struct id_map *uid_map, *gid_map; /* userns-remap; may be empty */
	size_t n_uid_map, n_gid_map;
	bool lsm_apparmor, lsm_selinux; /* whether the host has them active */
	/* Added: */
	const char *apparmor_default; /* profile when none is asked (AppArmor active);
	                                 NULL: none (dockerd uses "docker-default") */
	const struct spec_host *host; /* NULL: probe */
	/* Read-only binds are recursively read-only ("rro": their submounts
	 * too) where the kernel can (>= 5.12) unless the bind says otherwise
	 * (mode ro-non-recursive, BindOptions.ReadOnlyNonRecursive): dockerd's
	 * rule for API 1.44 clients. false: read-only at their top only, as
	 * before 1.44. */
	bool ro_recursive;
};

/* The OCI runtime spec (config.json content) for the container, as a new
 * reference in *ret_spec, checked with the runtime's own parser
 * (oci_spec_parse). An empty Config.Hostname becomes the id's first 12
 * characters (the host's name with NetworkMode host), as dockerd picks it.
 * -EINVAL (bad body), -ENOENT (a user, group or device that does not
 * exist), -E2BIG (a device directory too large), … with a clear message.
 * An unlimited rlimit is the real 2^64 (jansson has no uint64): write the
 * spec with spec_dumps() to get Docker's 18446744073709551615. */
int spec_build(const struct spec_input *in, json_t **ret_spec, struct husk_error **err);

/* The linux.resources object for HostConfig resource fields (create and
 * `docker update`'s body): CpuShares, CpuPeriod, CpuQuota, NanoCpus (→
 * quota = NanoCpus × period / 1e9, period 100000), CpuRealtime*, CpusetCpus,
 * CpusetMems, Memory, MemoryReservation, MemorySwap (-1 unlimited; Docker's
 * memory+swap total), MemorySwappiness, KernelMemory (ignored, warning),
 * PidsLimit (0/-1 unlimited), BlkioWeight (10-1000), BlkioWeightDevice,
 * BlkioDevice{Read,Write}{Bps,IOps}, OomKillDisable, and the device cgroup
 * rules (Docker's and runc's defaults, Devices, DeviceCgroupRules; allow-all
 * when Privileged; left out when host_config has no "Privileged" key, as in
 * an update body, so an update never rewrites them). Same checks as
 * spec_normalize_create (update semantics: a swap limit without a memory
 * limit is allowed). */
int spec_resources(json_t *host_config, json_t **ret_resources, json_t *ret_warnings,
                   struct husk_error **err);
int spec_resources_host(json_t *host_config, const struct spec_host *host, json_t **ret_resources,
                        json_t *ret_warnings, struct husk_error **err);

/* ---- pieces the engine (and tests) use on their own ---- */

/* A user resolved as runc resolves "name|uid[:group|gid]" in the rootfs's
 * /etc/passwd and /etc/group (read with open_in_root), plus GroupAdd. */
struct spec_user {
	uint32_t uid, gid;
	uint32_t *additional_gids; /* gid first, then the user's groups, then GroupAdd */
	size_t n_additional_gids;
	char *home; /* "/" without a passwd entry */
};
/* -ENOENT "unable to find user foo: no matching entries in passwd file" (or
 * group), -EINVAL for ids out of range. */
int spec_resolve_user(int rootfs_fd, const char *user, char *const *group_add,
                      struct spec_user *ret, struct husk_error **err);
void spec_user_release(struct spec_user *u);

/* Docker's units.RAMInBytes: "10m", "1.5g", "512", "10MiB" (binary).
 * -EINVAL, -ERANGE. */
int spec_parse_ram_size(const char *s, uint64_t *ret);

/* dockerd's daemon-wide container defaults, from daemon.json (`daemon`):
 * _check refuses a bad default-shm-size, default-ulimits, dns/dns-search/
 * dns-opts or seccomp-profile (load time); _create fills HostConfig.ShmSize
 * from default-shm-size when the create leaves it 0; _start adds
 * default-ulimits the container does not set, no-new-privileges and the
 * seccomp-profile unless the container chose its own, to the body a start
 * builds its spec from. A container's own setting always wins. */
int spec_daemon_defaults_check(json_t *daemon, struct husk_error **err);
int spec_daemon_defaults_create(json_t *daemon, json_t *body, struct husk_error **err);
int spec_daemon_defaults_start(json_t *daemon, json_t *body, struct husk_error **err);

/* A Docker seccomp profile (the JSON text `--security-opt seccomp=FILE`
 * sends: defaultAction, architectures or archMap, syscalls with
 * names/action/errnoRet/args and includes/excludes {caps, arches,
 * minKernel}) as an OCI linux.seccomp object for a container whose bounding
 * set is caps (mask over CAP_* numbers). *ret is NULL when the profile
 * disables seccomp (no defaultAction and no syscalls). -EINVAL with
 * dockerd's words ("Decoding seccomp profile failed: …"). */
int spec_seccomp_from_docker(const char *profile, size_t len, uint64_t caps,
                             const struct spec_host *host, json_t **ret, struct husk_error **err);

/* The capability bounding set HostConfig asks for: Docker's default set ±
 * CapAdd/CapDrop (with or without CAP_, any case, "ALL"), everything for
 * Privileged; as dockerd, "everything" is what the daemon holds and a known
 * capability the daemon lacks is left out. -EINVAL "unknown capability:
 * \"CAP_FOO\"". */
int spec_capabilities(json_t *host_config, const struct spec_host *host, uint64_t *ret_mask,
                      struct husk_error **err);

/* One HostConfig.Binds entry "src:dst[:opts]" parsed as dockerd parses it. */
struct spec_bind {
	char *source;      /* a host path (bind) or a volume name ("" anonymous) */
	char *destination; /* cleaned absolute path */
	bool is_volume;    /* source is not an absolute path */
	bool readonly;
	bool nocopy;       /* "nocopy": do not copy the image's content into a new volume */
	char *propagation; /* NULL, or "rprivate", "rshared", … */
	char *mode;        /* the options as given ("ro,z"), "" when none */
};
/* -EINVAL "invalid volume specification: '…'" / "invalid mode: …". */
int spec_parse_bind(const char *raw, struct spec_bind *ret, struct husk_error **err);
void spec_bind_release(struct spec_bind *b);

/* Create (mkdir -p, 0755) the missing host sources of HostConfig.Binds, as
 * dockerd does at start (Mounts of type bind must exist instead). */
int spec_bind_sources_create(json_t *body, struct husk_error **err);

/* Create Config.WorkingDir in the rootfs (mkdir -p, 0755, new directories
 * owned by uid:gid, the container's root) as dockerd does at start; every
 * component is resolved inside the rootfs (open_in_root), never outside. */
int spec_workdir_create(json_t *body, int rootfs_fd, uint32_t uid, uint32_t gid,
                        struct husk_error **err);

/* The spec as config.json text (indented when pretty), with unlimited
 * rlimits written as 18446744073709551615 as runc expects. NULL on OOM. */
char *spec_dumps(const json_t *spec, bool pretty);
