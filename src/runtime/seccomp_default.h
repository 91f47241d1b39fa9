/* seccomp_default.h — Docker's default seccomp profile, as OCI JSON.
 *
 * The profile moby ships (profiles/seccomp/default.json), resolved the way
 * dockerd resolves it for one container: the architectures of this build's
 * native arch, and the capability- and arch-gated syscall groups included
 * or left out. The result is a linux.seccomp object ready for config.json.
 * Pure data: never touches the system beyond reading the kernel version.
 */
#pragma once

#include <jansson.h>
#include <stdint.h>

/* The default profile for a container whose bounding set is `caps` (a mask
 * over CAP_* numbers, as struct oci_caps). New reference; NULL on OOM. */
json_t *seccomp_default_profile(uint64_t caps);
