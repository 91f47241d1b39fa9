/* fuzz.h — the libFuzzer entry point every tests/fuzz/fuzz_<target>.c
 * defines. Built two ways: with clang -fsanitize=fuzzer to fuzz
 * (build-libfuzzer.sh), and with replay.c's main() to replay the checked-in
 * corpus in `make test` without fuzzing.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"

/* Run one input. Returns 0; a bug shows as a crash, a sanitizer report or
 * an abort() on a broken invariant. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a NUL-terminated copy (the caller frees it), cut at its NUL
 * bytes into parts[0..max) (text past the max-th part is ignored; parts the
 * input lacks are ""). *ret_n (may be NULL) says how many it had. NULL on
 * OOM. */
static inline char *fuzz_split(const uint8_t *data, size_t size, const char **parts, size_t max,
                               size_t *ret_n)
{
	char *buf = malloc(size + 1);
	size_t n = 0;

	if (!buf)
		return NULL;
	memcpy(buf, data, size);
	buf[size] = 0;
	for (char *p = buf; n < max && p <= buf + size; p += strlen(p) + 1)
		parts[n++] = p;
	if (ret_n)
		*ret_n = n;
	while (n < max)
		parts[n++] = buf + size;
	return buf;
}

/* A failed call must say why: r < 0 with a message in err. */
static inline void fuzz_check_failure(int r, const struct husk_error *err)
{
	if (r >= 0 || !err || !err->msg || !err->msg[0] || err->code <= 0)
		abort();
}
