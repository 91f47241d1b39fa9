/* caps.h — capability sets, ambient caps, securebits-free dropping.
 *
 * Applied in the container process just before execve: the bounding set
 * is reduced first, then (after any setuid) effective/permitted/
 * inheritable are set with capset(2) and the ambient set raised as asked.
 * The inheritable set is whatever the spec says (empty when absent).
 */
#pragma once

#include <stdint.h>
#include "base/error.h"
#include "oci/runtime_spec.h"

/* The highest capability number this kernel knows (cap_last_cap). */
int caps_last_cap(void);
/* Drop every bounding capability not in caps->bounding. */
int caps_apply_bounding(const struct oci_caps *caps, struct husk_error **err);
/* Keep capabilities across setuid/setgid to a non-zero uid (PR_SET_KEEPCAPS). */
int caps_keep(bool keep);
/* Set effective/permitted/inheritable, then the ambient set. */
int caps_apply_sets(const struct oci_caps *caps, struct husk_error **err);
