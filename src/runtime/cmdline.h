/* cmdline.h — runc's exec and update flags turned into OCI structures:
 * the process of `exec` (from --process or from flags over the
 * container's own process) and the resources of `update` (from
 * --resources or flags). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include "base/error.h"
#include "oci/runtime_spec.h"

struct exec_args {
	const char *process_file; /* --process: used as is when given */
	const char *cwd;
	char *const *env;
	bool tty;
	const char *user; /* "UID[:GID]" */
	char *const *additional_gids;
	char *const *caps; /* added to every capability set but ambient */
	bool no_new_privs;
	const char *apparmor;
	const char *label;
	char *const *argv; /* the command */
};

/* The process to exec. config is the container's config.json. */
int exec_args_process(json_t *config, const struct exec_args *a, struct oci_process **ret,
                      struct husk_error **err);

/* Order of `values`: memory, memory-reservation, memory-swap, cpu-shares,
 * cpu-period, cpu-quota, cpuset-cpus, cpuset-mems, pids-limit,
 * blkio-weight (NULL = not given). resources_file "-" reads stdin. */
int update_args_resources(const char *resources_file, const char *const *values,
                          struct oci_resources *ret, struct husk_error **err);
