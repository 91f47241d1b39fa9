/* image_internal.h — helpers shared by the files of src/image, not exported. */
#pragma once

#include <jansson.h>
#include "base/error.h"

/* The optional object under key whose values must all be strings
 * (annotations, labels), as a new reference in *ret (NULL when absent or
 * null). -EINVAL naming `<path>.<key>.<name>: expected a string`. */
int image_json_string_map(const json_t *obj, const char *path, const char *key, json_t **ret,
                          struct husk_error **err);

/* "<path>.<key>" or "<key>" for the top level, for error messages. */
#define IMAGE_FIELD_FMT          "%s%s%s"
#define IMAGE_FIELD_ARGS(p, key) (p), (*(p) ? "." : ""), (key)
