/* hooks.h — OCI hooks: run each hook of a kind with the container state
 * JSON on its stdin, its own args and env, and its timeout. A hook that
 * fails or times out is an error naming it (except poststop/poststart,
 * whose failures the caller only warns about, as the spec says). */
#pragma once

#include <jansson.h>
#include "base/error.h"
#include "oci/runtime_spec.h"

/* Run every hook of `kind` in order; stop at the first failure. */
int hooks_run(const struct oci_spec *spec, enum oci_hook_kind kind, json_t *state,
              struct husk_error **err);
const char *hooks_kind_name(enum oci_hook_kind kind);
