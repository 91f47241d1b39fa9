/* fuzz.h — the libFuzzer entry point every tests/fuzz/fuzz_<target>.c
 * defines. Built two ways: with clang -fsanitize=fuzzer to fuzz
 * (build-libfuzzer.sh), and with replay.c's main() to replay the checked-in
 * corpus in `make test` without fuzzing.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Run one input. Returns 0; a bug shows as a crash, a sanitizer report or
 * an abort() on a broken invariant. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
