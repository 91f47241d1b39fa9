/* Unit tests for the path functions of src/cli/cmd_cp.c: Go's
 * filepath.Clean, Dir and Base, which docker cp's rules are written in. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cli/cmd_cp.h"

static void check(char *(*fn)(const char *), const char *in, const char *want)
{
	char *got = fn(in);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_clean(void **state)
{
	check(cp_clean, "", ".");
	check(cp_clean, "/", "/");
	check(cp_clean, "//a//b/", "/a/b");
	check(cp_clean, "a/./b/..", "a");
	check(cp_clean, "/../../x", "/x");
	check(cp_clean, "../../x", "../../x");
	check(cp_clean, "a/../..", "..");
	check(cp_clean, "/etc/.", "/etc");
}

static void test_dir_base(void **state)
{
	check(cp_dir, "/etc/passwd", "/etc");
	check(cp_dir, "/etc/", "/etc");
	check(cp_dir, "passwd", ".");
	check(cp_dir, "/x", "/");
	check(cp_base, "/etc/passwd", "passwd");
	check(cp_base, "/etc/", "etc");
	check(cp_base, "/etc/.", ".");
	check(cp_base, "/", "/");
	check(cp_base, "", ".");
	check(cp_base, "//", "/");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_clean),
	        cmocka_unit_test(test_dir_base),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
