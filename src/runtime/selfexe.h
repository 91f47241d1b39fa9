/* selfexe.h — protection of the runtime binary from the container
 * (CVE-2019-5736 class): before any command that puts a process into a
 * container, re-execute from a sealed memfd copy of /proc/self/exe, so a
 * container process that opens /proc/<pid>/exe of the runtime can only
 * reach an immutable anonymous copy, never the binary on the host.
 */
#pragma once

/* If /proc/self/exe is not already a sealed memfd, copy it into one,
 * seal it, and fexecve it with the same argv and environ. Returns only
 * when already running sealed (0) or on failure (-errno: the caller
 * refuses to continue). */
int selfexe_ensure_sealed(char **argv);
/* Whether /proc/self/exe is a sealed memfd. */
int selfexe_is_sealed(void);
