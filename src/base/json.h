/* json.h — helpers over jansson for outside input and Docker-shaped output.
 *
 * Parsing is capped in size and names what was wrong by field path
 * ("process.args[2]: expected a string"). Getters never abort: a missing or
 * mistyped field is an error or a NULL, as the caller asks.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "base/error.h"

/* jansson >= 2.9 provides json_decrefp() for cleanup attributes. */
#define _cleanup_json_ _cleanup_(json_decrefp)

/* Parse len bytes (at most max) as one JSON value. -EINVAL naming what
 * (e.g. `invalid JSON at line 1, column 7: …`), -EFBIG past max. */
int json_parse(const char *what, const char *buf, size_t len, size_t max, json_t **ret,
               struct husk_error **err);
/* Read and parse a file, at most max bytes. */
int json_load_path(const char *path, size_t max, json_t **ret, struct husk_error **err);

/* Compact serialisation, newline-free; NULL on OOM. */
char *json_compact(const json_t *j);

/* Typed field access on an object. `path` is the object's own path for
 * messages ("" for the top level). Missing optional fields leave *ret
 * unchanged and return 0; a missing required field or a wrong type gives
 * -EINVAL: `<path>.<key>: expected a string` / `<path>.<key>: required`. */
int json_get_string(const json_t *obj, const char *path, const char *key, bool required,
                    const char **ret, struct husk_error **err);
int json_get_bool(const json_t *obj, const char *path, const char *key, bool required, bool *ret,
                  struct husk_error **err);
int json_get_int64(const json_t *obj, const char *path, const char *key, bool required,
                   int64_t *ret, struct husk_error **err);
int json_get_uint64(const json_t *obj, const char *path, const char *key, bool required,
                    uint64_t *ret, struct husk_error **err);
/* An array of strings as a new strv (an absent optional field gives NULL). */
int json_get_strv(const json_t *obj, const char *path, const char *key, bool required, char ***ret,
                  struct husk_error **err);
/* The object/array under key, borrowed, or NULL when absent and optional. */
int json_get_object(const json_t *obj, const char *path, const char *key, bool required,
                    json_t **ret, struct husk_error **err);
int json_get_array(const json_t *obj, const char *path, const char *key, bool required,
                   json_t **ret, struct husk_error **err);

/* A JSON array of the strings of v (NULL v gives JSON null). NULL on OOM. */
json_t *json_from_strv(char *const *v);

/* Set key to a new value, stealing it; -ENOMEM (value freed) on failure.
 * A NULL value is stored as JSON null. */
int json_set(json_t *obj, const char *key, json_t *value);
/* String or null when s is NULL. */
json_t *json_string_or_null(const char *s);
/* Sort an array in place with qsort's cmp over (json_t *const *) items.
 * -ENOMEM (the array unchanged). */
int json_array_qsort(json_t *array, int (*cmp)(const void *, const void *));
