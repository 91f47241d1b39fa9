/* spec_build_internal.h — what the spec_*.c files of src/engine share:
 * typed reads of a Docker body (absent and null are Go's zero values, any
 * other type is an error naming the field), Docker's mode strings, and the
 * checks and builders each file owns. Not for use outside spec_*.c.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "base/json.h"
#include "base/str.h"
#include "engine/spec_build.h"

#define SB_LINUX_MIN_MEMORY 6291456 /* dockerd's 6MB floor for limits and reservations */
#define SB_MAX_LIST         4096    /* entries in any list of a body we walk */

/* ---- body access (spec_body.c) ---- */

/* -EINVAL with a formatted message; -ENOMEM "out of memory". */
int sb_fail(struct husk_error **err, const char *fmt, ...) _printf_(2, 3);
int sb_oom(struct husk_error **err);

/* Typed reads of obj[key]; path names obj in messages ("HostConfig").
 * Absent or null leaves *ret untouched and returns 0 (Go's zero value);
 * the wrong type is -EINVAL "HostConfig.Memory: expected an integer". */
int sb_str(const json_t *obj, const char *path, const char *key, const char **ret,
           struct husk_error **err);
int sb_i64(const json_t *obj, const char *path, const char *key, int64_t *ret,
           struct husk_error **err);
int sb_bool(const json_t *obj, const char *path, const char *key, bool *ret,
            struct husk_error **err);
/* An object / array, borrowed; NULL when absent or null. */
int sb_obj(const json_t *obj, const char *path, const char *key, json_t **ret,
           struct husk_error **err);
int sb_arr(const json_t *obj, const char *path, const char *key, json_t **ret,
           struct husk_error **err);
/* An array of strings as a strv (NULL when absent or null); with
 * str_ok a lone string is a one-element list (Docker's StrSlice). */
int sb_strv(const json_t *obj, const char *path, const char *key, bool str_ok, char ***ret,
            struct husk_error **err);
/* An object whose values are all strings (Labels, Sysctls, Tmpfs). */
int sb_str_map(const json_t *obj, const char *path, const char *key, json_t **ret,
               struct husk_error **err);

/* Set obj[key] to a new value (stolen); -ENOMEM. */
int sb_set(json_t *obj, const char *key, json_t *v, struct husk_error **err);

/* Docker's namespace mode strings. */
bool sb_mode_host(const char *mode);             /* "host" */
const char *sb_mode_container(const char *mode); /* "container:X" → "X", else NULL */

/* A comma list of numbers and ranges ("0-3,5") as a bit set of at most
 * max bits: -EINVAL "invalid format: …" as Docker's ParseUintList. */
int sb_parse_uint_list(const char *s, unsigned max, uint8_t *bits);
/* Docker's default capability set, as a mask. */
uint64_t sb_default_caps(void);
/* A mask over caps as the JSON array of "CAP_*" names in Docker's order. */
json_t *sb_caps_json(uint64_t caps, unsigned last_cap);

/* ---- resources (spec_resources.c) ---- */

/* verifyPlatformContainerResources: checks, and the adjustments dockerd
 * makes (swappiness -1 → null, swap without accounting → -1, kernel memory
 * dropped), warnings appended. update: a swap limit alone is allowed. */
int sb_check_resources(json_t *hc, const struct spec_host *h, bool update, json_t *warnings,
                       struct husk_error **err);
/* linux.resources for a stored HostConfig, device rules included. */
int sb_resources_for_spec(json_t *hc, json_t **ret, struct husk_error **err);
/* HostConfig.Devices as linux.devices entries (stat on the host) and their
 * cgroup rules; ret_devices may be NULL. Privileged: every host device. */
int sb_devices(json_t *hc, bool privileged, json_t *ret_devices, json_t *ret_rules,
               struct husk_error **err);
/* Check the syntax of Devices and DeviceCgroupRules (no stat). */
int sb_check_devices(json_t *hc, struct husk_error **err);

/* ---- security (spec_security.c) ---- */

struct sb_security {
	bool no_new_privileges;
	bool label_disable;
	char *apparmor; /* NULL: none asked */
	char *seccomp;  /* NULL: default; "unconfined"; "builtin"; else a JSON profile */
	char **label;   /* label=… values other than disable */
};
/* Parse HostConfig.SecurityOpt as dockerd's parseSecurityOpt. */
int sb_security_parse(json_t *hc, struct sb_security *ret, struct husk_error **err);
void sb_security_release(struct sb_security *s);
/* The linux.seccomp object for the container (NULL: none). */
int sb_seccomp(const struct sb_security *s, bool privileged, uint64_t caps,
               const struct spec_host *h, json_t **ret, struct husk_error **err);
/* A linux.seccomp object the runtime's parser accepts (NULL is fine). */
int sb_seccomp_check(json_t *seccomp, struct husk_error **err);
/* Validate CapAdd/CapDrop names. */
int sb_check_caps(json_t *hc, const struct spec_host *h, struct husk_error **err);
/* Sysctls allowed in the namespaces the modes give (runc's rules). */
int sb_check_sysctls(json_t *hc, struct husk_error **err);
/* Ulimits: Docker's names, soft <= hard. */
int sb_check_ulimits(json_t *hc, struct husk_error **err);
/* process.rlimits for HostConfig.Ulimits (NULL when none). */
int sb_rlimits(json_t *hc, json_t **ret, struct husk_error **err);
/* SELinux process and mount labels for label=… options (LSM active). */
int sb_selinux_labels(const struct sb_security *s, const char *id, char **ret_process,
                      char **ret_mount, struct husk_error **err);

/* ---- mounts (spec_mounts.c) ---- */

/* Binds, Mounts, Tmpfs: syntax, absolute targets, bind sources of
 * Mounts that must exist, duplicate mount points. */
int sb_check_mounts(json_t *hc, struct husk_error **err);
/* The spec's "mounts" array, and linux.rootfsPropagation when a bind asks
 * for shared or slave propagation (*ret_propagation borrowed static). h:
 * the host (whether it can make a mount recursively read-only). */
int sb_build_mounts(const struct spec_input *in, const struct spec_host *h, json_t *hc,
                    json_t **ret_mounts, const char **ret_propagation, struct husk_error **err);

/* ---- normalisation pieces (spec_normalize.c) ---- */

/* Docker's default masked and read-only paths. */
json_t *sb_default_masked_paths(void);
json_t *sb_default_readonly_paths(void);
