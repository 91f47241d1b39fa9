/* Unit tests for src/base/digest.c: sha256 vectors, streaming, parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>

#include "base/digest.h"
#include "base/fs.h"
#include "base/str.h"

#define SHA_EMPTY "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA_ABC   "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/* FIPS 180-2 two-block message */
#define MSG_448 "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
#define SHA_448 "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
/* one million 'a' */
#define SHA_MILLION_A "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"

static void test_known_vectors(void **state)
{
	struct digest d;

	digest_buf("", 0, &d);
	assert_string_equal(d.str, SHA_EMPTY);
	digest_buf(NULL, 0, &d);
	assert_string_equal(d.str, SHA_EMPTY);
	digest_buf("abc", 3, &d);
	assert_string_equal(d.str, SHA_ABC);
	assert_string_equal(digest_hex(&d), SHA_ABC + 7);
	digest_buf(MSG_448, strlen(MSG_448), &d);
	assert_string_equal(d.str, SHA_448);
	assert_int_equal(strlen(d.str), DIGEST_STR_LEN);
}

static void test_million_a(void **state)
{
	_cleanup_free_ char *buf = malloc(1000000);
	struct digest d;

	memset(buf, 'a', 1000000);
	digest_buf(buf, 1000000, &d);
	assert_string_equal(d.str, SHA_MILLION_A);
}

static void test_streaming_equals_oneshot(void **state)
{
	static unsigned char data[100003];
	struct digest one, many;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 31 + (i >> 8));
	digest_buf(data, sizeof(data), &one);
	/* pieces of varying sizes, including empty ones */
	for (size_t step = 1; step < 70000; step = step * 3 + 1) {
		_cleanup_(sha256_freep) struct sha256 *h = sha256_new();

		assert_non_null(h);
		for (size_t off = 0; off < sizeof(data); off += step) {
			sha256_update(h, data + off, MIN(step, sizeof(data) - off));
			sha256_update(h, data, 0);
		}
		sha256_final(h, &many);
		assert_string_equal(many.str, one.str);
		assert_true(digest_equal(&many, &one));
	}
}

static void test_streaming_every_split(void **state)
{
	const char *msg = MSG_448;
	size_t len = strlen(msg);

	for (size_t cut = 0; cut <= len; cut++) {
		_cleanup_(sha256_freep) struct sha256 *h = sha256_new();
		struct digest d;

		assert_non_null(h);
		sha256_update(h, msg, cut);
		sha256_update(h, msg + cut, len - cut);
		sha256_final(h, &d);
		assert_string_equal(d.str, SHA_448);
	}
}

static void test_streaming_empty(void **state)
{
	_cleanup_(sha256_freep) struct sha256 *h = sha256_new();
	struct digest d;

	sha256_final(h, &d);
	assert_string_equal(d.str, SHA_EMPTY);
	sha256_free(NULL);
}

static void test_digest_fd_file(void **state)
{
	char path[] = "/tmp/husk-test-digest-XXXXXX";
	_cleanup_close_ int fd = mkostemp(path, O_CLOEXEC);
	struct digest d, bc;
	uint64_t size = 99;

	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(digest_fd(fd, &d, &size), 0);
	assert_string_equal(d.str, SHA_EMPTY);
	assert_int_equal(size, 0);
	assert_int_equal(write_all(fd, "abc", 3), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(digest_fd(fd, &d, &size), 0);
	assert_string_equal(d.str, SHA_ABC);
	assert_int_equal(size, 3);
	/* ret_size may be NULL; hashing goes from the current offset */
	assert_int_equal(lseek(fd, 1, SEEK_SET), 1);
	assert_int_equal(digest_fd(fd, &d, NULL), 0);
	digest_buf("bc", 2, &bc);
	assert_true(digest_equal(&d, &bc));
}

static void test_digest_fd_pipe(void **state)
{
	_cleanup_free_ char *buf = malloc(1000000);
	struct digest d;
	uint64_t size = 0;
	int p[2], status;
	pid_t pid;

	memset(buf, 'a', 1000000);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		_exit(write_all(p[1], buf, 1000000) < 0);
	}
	close(p[1]);
	assert_int_equal(digest_fd(p[0], &d, &size), 0);
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_string_equal(d.str, SHA_MILLION_A);
	assert_int_equal(size, 1000000);
}

static void test_digest_fd_bad(void **state)
{
	struct digest d;
	int p[2];

	assert_int_equal(digest_fd(-1, &d, NULL), -EBADF);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(digest_fd(p[1], &d, NULL), -EBADF);
	close(p[0]);
	close(p[1]);
}

static void test_parse_ok(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct digest d, e;

	assert_int_equal(digest_parse(SHA_ABC, &d, &err), 0);
	assert_null(err);
	assert_string_equal(d.str, SHA_ABC);
	digest_buf("abc", 3, &e);
	assert_true(digest_equal(&d, &e));
	assert_int_equal(digest_parse(SHA_EMPTY, &d, NULL), 0);
	assert_false(digest_equal(&d, &e));
	assert_true(digest_valid(SHA_ABC));
	assert_true(digest_hex_valid(SHA_ABC + 7));
}

static void check_bad(const char *s, const char *want_msg)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct digest d;

	memset(&d, 'Z', sizeof(d));
	assert_int_equal(digest_parse(s, &d, &err), -EINVAL);
	assert_int_equal(error_code(err), EINVAL);
	assert_string_equal(error_message(err), want_msg);
	assert_int_equal(d.str[0], 'Z'); /* untouched */
	assert_false(digest_valid(s));
	assert_int_equal(digest_parse(s, &d, NULL), -EINVAL);
}

static void check_bad_format(const char *s)
{
	_cleanup_free_ char *msg =
	        str_printf("invalid digest \"%s\": expected sha256:<64 hex digits>", s ? s : "");

	check_bad(s, msg);
}

static void test_parse_bad(void **state)
{
	char upper[] = SHA_ABC;
	char nonhex[] = SHA_ABC;
	char longer[sizeof(SHA_ABC) + 1];
	char shorter[] = SHA_ABC;

	for (char *p = upper + 7; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	nonhex[10] = 'g';
	snprintf(longer, sizeof(longer), "%s0", SHA_ABC);
	shorter[sizeof(shorter) - 2] = 0; /* 63 hex digits */

	check_bad_format(shorter);
	check_bad_format(longer);
	check_bad_format(upper);
	check_bad_format(nonhex);
	check_bad_format("sha256:");
	check_bad_format("sha256");
	check_bad_format("");
	check_bad_format(NULL);
	check_bad_format(SHA_ABC + 7); /* a bare hex ID is not a digest */
	check_bad_format("sha256:" SHA_ABC);
	check_bad_format("sha256: ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a");
}

static void test_parse_unsupported_algorithm(void **state)
{
	check_bad(
	        "md5:900150983cd24fb0d6963f7d28e17f72",
	        "unsupported digest algorithm \"md5\" in \"md5:900150983cd24fb0d6963f7d28e17f72\"");
	check_bad("sha512:abc", "unsupported digest algorithm \"sha512\" in \"sha512:abc\"");
	check_bad("SHA256:ba78", "unsupported digest algorithm \"SHA256\" in \"SHA256:ba78\"");
	check_bad("sha2566:x", "unsupported digest algorithm \"sha2566\" in \"sha2566:x\"");
}

static void test_hex_valid(void **state)
{
	assert_true(digest_hex_valid(SHA_EMPTY + 7));
	assert_false(digest_hex_valid(NULL));
	assert_false(digest_hex_valid(""));
	assert_false(digest_hex_valid("abc"));
	assert_false(digest_hex_valid(SHA_EMPTY));
	assert_false(digest_valid(NULL));
	assert_false(digest_valid(""));
}

static void test_verify(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct digest want;

	assert_int_equal(digest_parse(SHA_ABC, &want, NULL), 0);
	assert_int_equal(digest_verify_buf("abc", 3, &want, &err), 0);
	assert_null(err);
	assert_int_equal(digest_verify_buf("abd", 3, &want, &err), -EILSEQ);
	assert_int_equal(error_code(err), EILSEQ);
	assert_non_null(strstr(error_message(err), "digest mismatch"));
	assert_non_null(strstr(error_message(err), SHA_ABC));
	assert_string_equal(error_message(err), "digest mismatch: expected " SHA_ABC ", got sha256:"
	                                        "a52d159f262b2c6ddb724a61840befc36eb30c88877a4"
	                                        "030b65cbe86298449c9");
	assert_int_equal(digest_verify_buf("", 0, &want, NULL), -EILSEQ);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_known_vectors),
	        cmocka_unit_test(test_million_a),
	        cmocka_unit_test(test_streaming_equals_oneshot),
	        cmocka_unit_test(test_streaming_every_split),
	        cmocka_unit_test(test_streaming_empty),
	        cmocka_unit_test(test_digest_fd_file),
	        cmocka_unit_test(test_digest_fd_pipe),
	        cmocka_unit_test(test_digest_fd_bad),
	        cmocka_unit_test(test_parse_ok),
	        cmocka_unit_test(test_parse_bad),
	        cmocka_unit_test(test_parse_unsupported_algorithm),
	        cmocka_unit_test(test_hex_valid),
	        cmocka_unit_test(test_verify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
