/* error.h — the error type carried up the call stack.
 *
 * A fallible function returns 0 / -errno (or NULL) and, when a message is
 * worth carrying, fills `struct husk_error **err` (its last parameter).
 * Callers add context on the way up with error_wrap(), so the final text
 * reads like a path: `pull "busybox": layer sha256:ab…: unexpected EOF`.
 * Libraries never print; main or the API handler reports once.
 * Every function here accepts err == NULL (the caller wants no message).
 */
#pragma once

#include <stdarg.h>
#include "base/macro.h"

struct husk_error {
	int code;  /* positive errno value, or 0 when none applies */
	char *msg; /* full message, context first */
};

/* Set *err to a new error (if err is non-NULL and *err is empty) and return
 * -code, so that `return error_set(err, EINVAL, "…");` reads naturally.
 * code is a positive errno; 0 is turned into EIO. Never fails: on OOM the
 * message is a fixed string. */
int error_set(struct husk_error **err, int code, const char *fmt, ...) _printf_(3, 4);
int error_setv(struct husk_error **err, int code, const char *fmt, va_list ap) _printf_(3, 0);

/* Like error_set() with ": <strerror(code)>" appended. */
int error_set_errno(struct husk_error **err, int code, const char *fmt, ...) _printf_(3, 4);

/* Prefix the message of *err with "<context>: ". Returns -(*err)->code, or
 * -EIO when err is NULL or empty. */
int error_wrap(struct husk_error **err, const char *fmt, ...) _printf_(2, 3);

/* The message, or "unknown error" when there is none. */
const char *error_message(const struct husk_error *err);

/* The error code (positive errno), EIO when unknown. */
int error_code(const struct husk_error *err);

void error_free(struct husk_error *err);
/* Drop the error in *err (err and *err may be NULL): for a failure the
 * caller decided is fine ("absent" on removal). */
void error_clear(struct husk_error **err);
DEFINE_CLEANUP_FUNC(struct husk_error *, error_free)
#define _cleanup_error_ _cleanup_(error_freep)
