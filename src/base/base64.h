/* base64.h — base64 as Docker's headers and config files use it: the
 * standard alphabet ("auth" in config.json) and the URL-safe one
 * (X-Registry-Auth), decoded leniently (either alphabet, padding optional,
 * as clients disagree) but never past a caller's cap. Never prints.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Encode len bytes, padded, with the standard alphabet (url false) or the
 * URL-safe one (url true, Go's base64.URLEncoding). NULL on OOM. */
char *base64_encode(const void *data, size_t len, bool url);

/* Decode s (either alphabet, '=' padding optional) into a new
 * NUL-terminated buffer, at most max bytes. -EINVAL for a character
 * outside the alphabets, misplaced padding or an impossible length,
 * -EFBIG past max, -ENOMEM. ret_len may be NULL. */
int base64_decode(const char *s, size_t max, char **ret, size_t *ret_len);
