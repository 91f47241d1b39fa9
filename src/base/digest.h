/* digest.h — sha256 content digests, as OCI writes them ("sha256:<hex>").
 *
 * Parse and validate digest strings, hash buffers, fds and streams
 * (OpenSSL's EVP, SHA-NI accelerated), and verify bytes against a digest.
 * Only sha256 is accepted: other algorithms get a clear error.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/error.h"

#define DIGEST_HEX_LEN 64
#define DIGEST_STR_LEN (7 + DIGEST_HEX_LEN) /* "sha256:" + hex */

struct digest {
	char str[DIGEST_STR_LEN + 1]; /* "sha256:<64 lower-case hex>" */
};

static inline const char *digest_hex(const struct digest *d)
{
	return d->str + 7;
}

/* Parse "sha256:<64 lower-case hex>". -EINVAL with a message naming s:
 * `invalid digest "x": expected sha256:<64 hex digits>`,
 * `unsupported digest algorithm "sha512" in "sha512:…"`. */
int digest_parse(const char *s, struct digest *ret, struct husk_error **err);
/* True when s is a valid digest string. */
bool digest_valid(const char *s);
/* True when s is 64 lower-case hex digits (a bare image ID). */
bool digest_hex_valid(const char *s);

bool digest_equal(const struct digest *a, const struct digest *b);

/* Streaming sha256. _new returns NULL on OOM; _final may be called once. */
struct sha256;
struct sha256 *sha256_new(void);
void sha256_update(struct sha256 *h, const void *data, size_t len);
void sha256_final(struct sha256 *h, struct digest *ret);
void sha256_free(struct sha256 *h);
DEFINE_CLEANUP_FUNC(struct sha256 *, sha256_free)

void digest_buf(const void *data, size_t len, struct digest *ret);
/* Hash an fd to EOF; ret_size (may be NULL) gets the byte count. -errno. */
int digest_fd(int fd, struct digest *ret, uint64_t *ret_size);

/* 0 when data hashes to expected, else -EILSEQ with
 * `digest mismatch: expected sha256:…, got sha256:…`. */
int digest_verify_buf(const void *data, size_t len, const struct digest *expected,
                      struct husk_error **err);
