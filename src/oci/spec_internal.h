/* spec_internal.h — what the files of src/oci/ share and nobody else sees.
 *
 * Name tables (names.c), the field getters every section parser uses
 * (spec_util.c: each error names the field path, exactly one error is kept),
 * and the section parsers that spec.c calls. Nothing here touches the
 * system; the section parsers leave partial results for the caller's free
 * function on error, which accepts them.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/error.h"
#include "base/json.h"
#include "oci/runtime_spec.h"

/* ---- name tables (names.c) ---- */

struct oci_name {
	const char *name;
	long value;
};

struct oci_name_table {
	const struct oci_name *names;
	size_t n;
};

extern const struct oci_name_table oci_caps_table, oci_rlimits_table, oci_seccomp_actions_table,
        oci_seccomp_ops_table, oci_seccomp_flags_table, oci_seccomp_archs_table,
        oci_sched_policies_table, oci_sched_flags_table, oci_ioprio_classes_table,
        oci_personality_table, oci_hooks_table;

/* Exact (case-sensitive) lookup; -EINVAL when unknown. */
int oci_name_lookup(const struct oci_name_table *t, const char *name, long *ret);
/* The first name with that value, or NULL. */
const char *oci_name_of(const struct oci_name_table *t, long value);
/* A JSON array of every name of the table (of those keep() accepts);
 * NULL on OOM. */
json_t *oci_names_json(const struct oci_name_table *t);
json_t *oci_names_json_if(const struct oci_name_table *t, bool (*keep)(long value));

/* ---- mount options (spec_mounts.c) ---- */

/* A JSON array of every mount option name we accept (features). */
json_t *oci_mount_options_json(void);

/* ---- field helpers (spec_util.c) ---- */

/* "path.key", or "key" at the top level; NULL on OOM. */
char *spec_path(const char *path, const char *key);
/* "path.key[i]" (or "path[i]" when key is NULL); NULL on OOM. */
char *spec_index_path(const char *path, const char *key, size_t i);

/* Set "<path>.<key>: <message>" (key may be NULL) and return -EINVAL. */
int spec_fail(struct husk_error **err, const char *path, const char *key, const char *fmt, ...)
        _printf_(4, 5);
int spec_oom(struct husk_error **err);

/* Whether obj has key with a non-null value. */
bool spec_has(const json_t *obj, const char *key);

/* s for an error message: quoted, escaped, truncated. buf holds the result. */
#define SPEC_QUOTE_MAX 100
const char *spec_quote(const char *s, char buf[static SPEC_QUOTE_MAX]);

/* Like json_get_uint64 but also reads the reals that oci_json_parse_text()
 * makes of integers above INT64_MAX. */
int spec_get_u64(const json_t *obj, const char *path, const char *key, bool required, uint64_t *ret,
                 struct husk_error **err);
/* An unsigned integer not above max: "<path>.<key>: out of range (max N)". */
int spec_get_u64_max(const json_t *obj, const char *path, const char *key, bool required,
                     uint64_t max, uint64_t *ret, struct husk_error **err);
int spec_get_u32(const json_t *obj, const char *path, const char *key, bool required, uint32_t *ret,
                 struct husk_error **err);
/* A signed integer within [min, max]. */
int spec_get_i64_range(const json_t *obj, const char *path, const char *key, bool required,
                       int64_t min, int64_t max, int64_t *ret, struct husk_error **err);
/* A copy of a string field; *ret untouched when absent and optional. */
int spec_get_strdup(const json_t *obj, const char *path, const char *key, bool required, char **ret,
                    struct husk_error **err);
/* Like spec_get_strdup, refusing a path that is not absolute. */
int spec_get_abs_path(const json_t *obj, const char *path, const char *key, bool required,
                      char **ret, struct husk_error **err);
/* An array of absolute paths (maskedPaths, readonlyPaths). */
int spec_get_abs_strv(const json_t *obj, const char *path, const char *key, char ***ret,
                      struct husk_error **err);

/* Parse obj[key], an array of objects, into a new array of n elements of
 * elem_size bytes each (zeroed before parse). On error, release() is called
 * on every element parsed or partly parsed and nothing is returned. An
 * absent optional array gives NULL, 0. */
typedef int (*spec_elem_parse_fn)(json_t *item, const char *path, void *elem,
                                  struct husk_error **err);
typedef void (*spec_elem_release_fn)(void *elem);
struct spec_array_type {
	size_t elem_size;
	spec_elem_parse_fn parse;
	spec_elem_release_fn release; /* may be NULL */
};
int spec_parse_array(const json_t *obj, const char *path, const char *key, bool required,
                     const struct spec_array_type *type, void **ret, size_t *ret_n,
                     struct husk_error **err);

/* An object of string values (annotations, sysctl, unified) as pairs. */
int spec_parse_kv(const json_t *obj, const char *path, const char *key, struct oci_kv **ret,
                  size_t *ret_n, struct husk_error **err);
void spec_kv_free(struct oci_kv *kv, size_t n);

/* uidMappings/gidMappings: sizes > 0, ranges inside 32 bits, at most 340
 * (the kernel's limit since 4.15). */
int spec_parse_id_mappings(const json_t *obj, const char *path, const char *key,
                           struct oci_id_mapping **ret, size_t *ret_n, struct husk_error **err);

/* Parse JSON text as config.json or process.json are read: unsigned
 * integers above INT64_MAX (which jansson refuses) become reals. */
int oci_json_parse_text(const char *what, const char *buf, size_t len, json_t **ret,
                        struct husk_error **err);

/* ---- section parsers ---- */

int spec_parse_process(json_t *obj, const char *path, struct oci_process *p,
                       struct husk_error **err);
void spec_process_release(struct oci_process *p);

int spec_parse_mounts(const json_t *doc, struct oci_spec *s, struct husk_error **err);
void spec_mounts_free(struct oci_mount *m, size_t n);

int spec_parse_linux(const json_t *doc, struct oci_linux *l, struct husk_error **err);
void spec_linux_release(struct oci_linux *l);

int spec_parse_seccomp(json_t *obj, const char *path, struct oci_seccomp *s,
                       struct husk_error **err);
void spec_seccomp_release(struct oci_seccomp *s);
