/* seccomp.h — build and load a container's seccomp filter (libseccomp).
 *
 * From the spec's linux.seccomp: default action and errno, architectures,
 * per-syscall rules with argument conditions, flags. Unknown syscall
 * names for the native architecture are an error naming the syscall,
 * except where libseccomp knows the name but the kernel lacks the call
 * (skipped, as runc does). listenerPath / SCMP_ACT_NOTIFY are refused
 * with a clear error. clone3 is answered with ENOSYS whenever the profile
 * would deny it with any errno, so that glibc falls back to clone.
 */
#pragma once

#include "base/error.h"
#include "oci/runtime_spec.h"

struct seccomp_filter;

/* Compile the profile (before entering the container, so errors reach
 * the caller with their message). */
int seccomp_filter_build(const struct oci_seccomp *s, struct seccomp_filter **ret,
                         struct husk_error **err);
/* seccomp_filter_build() through a cache of compiled programs in dir
 * (created 0700), keyed by the profile, libseccomp's version and the
 * kernel: compiling Docker's default profile takes 11-20 ms, a hit 0.03 ms.
 * Only a dir and files owned by us and closed to others are used (a
 * planted program would be a sandbox escape); any cache trouble just
 * means compiling. Errors as seccomp_filter_build(). No eviction: keep
 * dir on a tmpfs such as /run. */
int seccomp_filter_build_cached(const struct oci_seccomp *s, const char *dir,
                                struct seccomp_filter **ret, struct husk_error **err);
/* Load it into the calling thread/process (needs no_new_privs or
 * CAP_SYS_ADMIN; the runtime loads it last before execve). -errno. */
int seccomp_filter_load(struct seccomp_filter *f);
void seccomp_filter_free(struct seccomp_filter *f);
DEFINE_CLEANUP_FUNC(struct seccomp_filter *, seccomp_filter_free)
