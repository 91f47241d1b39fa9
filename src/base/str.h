/* str.h — string helpers: prefixes, joining, NULL-terminated string vectors
 * and a growable buffer. No knowledge of containers; allocation failure is
 * reported as NULL / -ENOMEM, never aborted on.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/macro.h"

static inline bool streq(const char *a, const char *b)
{
	return a && b && __builtin_strcmp(a, b) == 0;
}
static inline bool streq_ptr(const char *a, const char *b)
{
	return (!a && !b) || streq(a, b);
}
static inline bool isempty(const char *s)
{
	return !s || !*s;
}

/* The rest of s after prefix, or NULL when s does not start with it. */
const char *startswith(const char *s, const char *prefix);
bool endswith(const char *s, const char *suffix);

/* printf into a new string; NULL on OOM. */
char *str_printf(const char *fmt, ...) _printf_(1, 2);

/* Copy of s without leading and trailing white space; NULL on OOM. */
char *str_strip(const char *s);

/* Parse a whole decimal integer with range check; -EINVAL (not a number,
 * trailing junk, empty) or -ERANGE. */
int str_to_int64(const char *s, int64_t *ret);
int str_to_uint64(const char *s, uint64_t *ret);

/* Human size as docker prints it: "1.5MB", "512B" (SI, 3 significant). */
void str_human_size(uint64_t bytes, char *buf, size_t len);

/* NULL-terminated vectors of malloc'd strings. */
char **strv_new(void);                   /* empty vector, NULL on OOM */
int strv_push(char ***v, const char *s); /* appends a copy; -ENOMEM */
int strv_push_take(char ***v, char *s);  /* appends s itself; frees it on -ENOMEM */
size_t strv_length(char *const *v);
bool strv_contains(char *const *v, const char *s);
char *strv_join(char *const *v, const char *sep);  /* NULL on OOM */
char **strv_split(const char *s, const char *sep); /* empty fields kept; NULL on OOM */
char **strv_copy(char *const *v);
void strv_free(char **v);
DEFINE_CLEANUP_FUNC(char **, strv_free)
#define _cleanup_strv_     _cleanup_(strv_freep)
#define STRV_FOREACH(s, v) for (char *const *s = (v); s && *s; s++)

/* A growable byte buffer, always NUL-terminated. On OOM it keeps what it had
 * and the call returns -ENOMEM. */
struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
};
int strbuf_append(struct strbuf *sb, const void *data, size_t len);
int strbuf_puts(struct strbuf *sb, const char *s);
int strbuf_printf(struct strbuf *sb, const char *fmt, ...) _printf_(2, 3);
char *strbuf_steal(struct strbuf *sb); /* the string (never NULL unless OOM); sb emptied */
void strbuf_release(struct strbuf *sb);
