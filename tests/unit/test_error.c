/* Unit tests for src/base/error.c: setting, wrapping and reading errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "base/error.h"

static void test_set_basic(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;

	assert_int_equal(error_set(&err, EINVAL, "bad %s %d", "thing", 42), -EINVAL);
	assert_non_null(err);
	assert_int_equal(err->code, EINVAL);
	assert_string_equal(err->msg, "bad thing 42");
	assert_string_equal(error_message(err), "bad thing 42");
	assert_int_equal(error_code(err), EINVAL);
}

static void test_set_errno_appends_strerror(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	char want[256];

	snprintf(want, sizeof(want), "open \"/x\": %s", strerror(ENOENT));
	assert_int_equal(error_set_errno(&err, ENOENT, "open \"%s\"", "/x"), -ENOENT);
	assert_string_equal(error_message(err), want);
	assert_int_equal(error_code(err), ENOENT);
}

static void test_set_errno_negative_and_zero(void **state)
{
	_cleanup_error_ struct husk_error *a = NULL, *b = NULL;
	char want[256];

	/* a -errno straight from a callee is accepted as well */
	assert_int_equal(error_set_errno(&a, -EACCES, "x"), -EACCES);
	snprintf(want, sizeof(want), "x: %s", strerror(EACCES));
	assert_string_equal(error_message(a), want);
	assert_int_equal(error_code(a), EACCES);

	assert_int_equal(error_set_errno(&b, 0, "y"), -EIO);
	snprintf(want, sizeof(want), "y: %s", strerror(EIO));
	assert_string_equal(error_message(b), want);
	assert_int_equal(error_code(b), EIO);
}

static void test_wrap_chain(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;

	assert_int_equal(error_set(&err, EPROTO, "c"), -EPROTO);
	assert_int_equal(error_wrap(&err, "b"), -EPROTO);
	assert_int_equal(error_wrap(&err, "%s", "a"), -EPROTO);
	assert_string_equal(error_message(err), "a: b: c");
	assert_int_equal(error_code(err), EPROTO);
}

static void test_wrap_realistic_path(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;

	error_set(&err, EIO, "unexpected EOF");
	error_wrap(&err, "layer %s", "sha256:ab");
	error_wrap(&err, "pull \"%s\"", "busybox");
	assert_string_equal(error_message(err),
	                    "pull \"busybox\": layer sha256:ab: unexpected EOF");
}

static void test_wrap_empty_or_null(void **state)
{
	struct husk_error *err = NULL;

	assert_int_equal(error_wrap(NULL, "ctx"), -EIO);
	assert_int_equal(error_wrap(&err, "ctx"), -EIO);
	assert_null(err);
}

static void test_null_err_accepted(void **state)
{
	assert_int_equal(error_set(NULL, ENOENT, "x %d", 1), -ENOENT);
	assert_int_equal(error_set_errno(NULL, EPERM, "y"), -EPERM);
	assert_int_equal(error_set(NULL, 0, "z"), -EIO);
	assert_int_equal(error_set(NULL, -EBADF, "z"), -EBADF);
	assert_int_equal(error_wrap(NULL, "w"), -EIO);
	assert_string_equal(error_message(NULL), "unknown error");
	assert_int_equal(error_code(NULL), EIO);
	error_free(NULL);
}

static void test_first_error_wins(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct husk_error *first;

	assert_int_equal(error_set(&err, ENOENT, "first"), -ENOENT);
	first = err;
	/* later set calls still return their own code, but keep the message */
	assert_int_equal(error_set(&err, EINVAL, "second"), -EINVAL);
	assert_int_equal(error_set_errno(&err, EPERM, "third"), -EPERM);
	assert_ptr_equal(err, first);
	assert_string_equal(error_message(err), "first");
	assert_int_equal(error_code(err), ENOENT);
}

static void test_code_zero_is_eio(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;

	assert_int_equal(error_set(&err, 0, "no code"), -EIO);
	assert_int_equal(err->code, EIO);
	assert_int_equal(error_code(err), EIO);
}

static void test_negative_code_normalised(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;

	assert_int_equal(error_set(&err, -ENOSPC, "full"), -ENOSPC);
	assert_int_equal(err->code, ENOSPC);
	assert_int_equal(error_code(err), ENOSPC);
	assert_int_equal(error_wrap(&err, "write"), -ENOSPC);
	assert_string_equal(error_message(err), "write: full");
}

static void test_message_and_code_defaults(void **state)
{
	struct husk_error e = {0, NULL};

	/* a hand-made error without message or code */
	assert_string_equal(error_message(&e), "unknown error");
	assert_int_equal(error_code(&e), EIO);
	e.code = -3;
	assert_int_equal(error_code(&e), EIO);
}

static void test_long_message(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	char big[10000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	error_set(&err, E2BIG, "%s", big);
	error_wrap(&err, "ctx");
	assert_int_equal(strlen(error_message(err)), strlen(big) + 5);
	assert_memory_equal(error_message(err), "ctx: xxx", 8);
}

static void test_percent_in_args_not_expanded(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;

	error_set(&err, EINVAL, "bad %s", "%s%n%d");
	error_wrap(&err, "%s", "100%");
	assert_string_equal(error_message(err), "100%: bad %s%n%d");
}

static void test_cleanup_attribute(void **state)
{
	/* an error freed by its cleanup attribute at scope end (checked by ASan) */
	for (int i = 0; i < 3; i++) {
		_cleanup_error_ struct husk_error *err = NULL;

		error_set(&err, EAGAIN, "round %d", i);
		error_wrap(&err, "outer");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_set_basic),
	        cmocka_unit_test(test_set_errno_appends_strerror),
	        cmocka_unit_test(test_set_errno_negative_and_zero),
	        cmocka_unit_test(test_wrap_chain),
	        cmocka_unit_test(test_wrap_realistic_path),
	        cmocka_unit_test(test_wrap_empty_or_null),
	        cmocka_unit_test(test_null_err_accepted),
	        cmocka_unit_test(test_first_error_wins),
	        cmocka_unit_test(test_code_zero_is_eio),
	        cmocka_unit_test(test_negative_code_normalised),
	        cmocka_unit_test(test_message_and_code_defaults),
	        cmocka_unit_test(test_long_message),
	        cmocka_unit_test(test_percent_in_args_not_expanded),
	        cmocka_unit_test(test_cleanup_attribute),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
