/* timefmt.h — RFC 3339 timestamps as Docker and the OCI image spec write them.
 *
 * Parsing accepts what Go's time.RFC3339Nano parser accepts (the format of
 * every "created" field in image configs): a 'T' between date and time, an
 * optional fraction of up to nine digits, and 'Z' or a ±hh:mm offset.
 * Formatting writes UTC with the fraction's trailing zeros trimmed, exactly
 * like Go's RFC3339Nano. Pure computation: no time zone database, no locale.
 */
#pragma once

#include <time.h>

/* Parse s into seconds and nanoseconds since the epoch (UTC). -EINVAL when s
 * is not an RFC 3339 date-time, -ERANGE when a field is out of range (month
 * 13, February 30, second 60, offset hour 24). */
int rfc3339_parse(const char *s, struct timespec *ret);

/* "2006-01-02T15:04:05.999999999Z" with trailing zeros of the fraction (and
 * the dot, when it is zero) removed. NULL on OOM, or when t is outside years
 * 0000..9999 or tv_nsec is not in 0..999999999. */
char *rfc3339_format(const struct timespec *t);
