/* Unit tests for src/base/str.c: prefixes, numbers, sizes, strv, strbuf. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "base/str.h"

static void test_streq_isempty(void **state)
{
	assert_true(streq("a", "a"));
	assert_false(streq("a", "b"));
	assert_false(streq(NULL, NULL));
	assert_false(streq("a", NULL));
	assert_true(streq_ptr(NULL, NULL));
	assert_false(streq_ptr(NULL, "a"));
	assert_true(streq_ptr("", ""));
	assert_true(isempty(NULL));
	assert_true(isempty(""));
	assert_false(isempty(" "));
}

static void test_startswith(void **state)
{
	const char *s = "sha256:abc";

	assert_ptr_equal(startswith(s, "sha256:"), s + 7);
	assert_string_equal(startswith(s, "sha256:"), "abc");
	assert_ptr_equal(startswith(s, ""), s);
	assert_ptr_equal(startswith(s, s), s + strlen(s));
	assert_string_equal(startswith("", ""), "");
	assert_null(startswith("", "a"));
	assert_null(startswith("sha", "sha256"));
	assert_null(startswith(s, "SHA256"));
	assert_null(startswith(NULL, "a"));
	assert_null(startswith("a", NULL));
	assert_null(startswith(NULL, NULL));
}

static void test_endswith(void **state)
{
	assert_true(endswith("layer.tar", ".tar"));
	assert_true(endswith("layer.tar", ""));
	assert_true(endswith("", ""));
	assert_true(endswith(".tar", ".tar"));
	assert_false(endswith("tar", ".tar"));
	assert_false(endswith("", "a"));
	assert_false(endswith("layer.tar.gz", ".tar"));
	assert_false(endswith(NULL, ""));
	assert_false(endswith("a", NULL));
	assert_false(endswith(NULL, NULL));
}

static void test_str_printf(void **state)
{
	_cleanup_free_ char *a = str_printf("%s-%d", "x", 7);
	_cleanup_free_ char *b = str_printf("%s", "");

	assert_string_equal(a, "x-7");
	assert_string_equal(b, "");
}

static void check_strip(const char *in, const char *want)
{
	_cleanup_free_ char *s = str_strip(in);

	assert_non_null(s);
	assert_string_equal(s, want);
}

static void test_str_strip(void **state)
{
	check_strip("", "");
	check_strip("   ", "");
	check_strip(" \t\r\n\v\f", "");
	check_strip("a", "a");
	check_strip("  a b  ", "a b");
	check_strip("\ta\n", "a");
	check_strip("a  ", "a");
	check_strip("  a", "a");
	check_strip(" a\tb\nc ", "a\tb\nc");
}

static void test_str_to_int64_ok(void **state)
{
	int64_t v = 0;

	assert_int_equal(str_to_int64("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(str_to_int64("12", &v), 0);
	assert_int_equal(v, 12);
	assert_int_equal(str_to_int64("-1", &v), 0);
	assert_true(v == -1);
	assert_int_equal(str_to_int64("007", &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(str_to_int64("9223372036854775807", &v), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(str_to_int64("-9223372036854775808", &v), 0);
	assert_true(v == INT64_MIN);
}

static void test_str_to_int64_bad(void **state)
{
	int64_t v = 99;

	assert_int_equal(str_to_int64("9223372036854775808", &v), -ERANGE);
	assert_int_equal(str_to_int64("-9223372036854775809", &v), -ERANGE);
	assert_int_equal(str_to_int64("99999999999999999999999", &v), -ERANGE);
	assert_int_equal(str_to_int64("12x", &v), -EINVAL);
	assert_int_equal(str_to_int64("", &v), -EINVAL);
	assert_int_equal(str_to_int64(NULL, &v), -EINVAL);
	assert_int_equal(str_to_int64(" 1", &v), -EINVAL);
	assert_int_equal(str_to_int64("\t1", &v), -EINVAL);
	assert_int_equal(str_to_int64("1 ", &v), -EINVAL);
	assert_int_equal(str_to_int64("-", &v), -EINVAL);
	assert_int_equal(str_to_int64("x", &v), -EINVAL);
	assert_int_equal(str_to_int64("0x10", &v), -EINVAL);
	assert_int_equal(str_to_int64("1.5", &v), -EINVAL);
	assert_int_equal(str_to_int64("1e3", &v), -EINVAL);
	/* ret is left alone on failure */
	assert_int_equal(v, 99);
}

static void test_str_to_uint64_ok(void **state)
{
	uint64_t v = 1;

	assert_int_equal(str_to_uint64("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(str_to_uint64("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(str_to_uint64("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);
}

static void test_str_to_uint64_bad(void **state)
{
	uint64_t v = 99;

	assert_int_equal(str_to_uint64("18446744073709551616", &v), -ERANGE);
	assert_int_equal(str_to_uint64("99999999999999999999999", &v), -ERANGE);
	/* strtoull would wrap "-1" to UINT64_MAX: must be refused */
	assert_int_equal(str_to_uint64("-1", &v), -EINVAL);
	assert_int_equal(str_to_uint64("-0", &v), -EINVAL);
	assert_int_equal(str_to_uint64("+1", &v), -EINVAL);
	assert_int_equal(str_to_uint64("12x", &v), -EINVAL);
	assert_int_equal(str_to_uint64("", &v), -EINVAL);
	assert_int_equal(str_to_uint64(NULL, &v), -EINVAL);
	assert_int_equal(str_to_uint64(" 1", &v), -EINVAL);
	assert_int_equal(str_to_uint64("1 ", &v), -EINVAL);
	assert_int_equal(str_to_uint64("0x1", &v), -EINVAL);
	assert_int_equal(v, 99);
}

static void check_human(uint64_t bytes, const char *want)
{
	char buf[32];

	str_human_size(bytes, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

/* `docker images` prints sizes with go-units HumanSizeWithPrecision(size, 3),
 * i.e. Go's "%.3g" of the value in SI units: these are its outputs. */
static void test_human_size(void **state)
{
	check_human(0, "0B");
	check_human(1, "1B");
	check_human(999, "999B");
	check_human(1000, "1kB");
	check_human(1023, "1.02kB");
	check_human(1500, "1.5kB");
	check_human(12345, "12.3kB");
	check_human(123456, "123kB");
	check_human(1234567, "1.23MB");
	check_human(1500000, "1.5MB");
	check_human(4190000, "4.19MB");
	check_human(72800000, "72.8MB");
	check_human(5000000000ULL, "5GB");
	check_human(1000000000000ULL, "1TB");
	check_human(2500000000000000ULL, "2.5PB");
	check_human(UINT64_MAX, "18.4EB");
	/* go-units rounds 999.999kB the same way: Go's %.3g gives "1e+03" */
	check_human(999999, "1e+03kB");
}

static void test_human_size_small_buffer(void **state)
{
	char buf[4] = "zzz";

	str_human_size(1234567, buf, sizeof(buf));
	assert_string_equal(buf, "1.2");
	str_human_size(1234567, buf, 0); /* must not touch buf */
	assert_string_equal(buf, "1.2");
}

static void test_strv_new_push(void **state)
{
	_cleanup_strv_ char **v = strv_new();

	assert_non_null(v);
	assert_null(v[0]);
	assert_int_equal(strv_length(v), 0);
	assert_int_equal(strv_push(&v, "a"), 0);
	assert_int_equal(strv_push(&v, ""), 0);
	assert_int_equal(strv_push_take(&v, strdup("c")), 0);
	assert_int_equal(strv_length(v), 3);
	assert_string_equal(v[0], "a");
	assert_string_equal(v[1], "");
	assert_string_equal(v[2], "c");
	assert_null(v[3]);
}

static void test_strv_push_onto_null(void **state)
{
	_cleanup_strv_ char **v = NULL;

	assert_int_equal(strv_length(NULL), 0);
	assert_int_equal(strv_push(&v, "x"), 0);
	assert_non_null(v);
	assert_int_equal(strv_length(v), 1);
	assert_string_equal(v[0], "x");
	/* strv_push_take(NULL) is what a failed strdup looks like */
	assert_int_equal(strv_push_take(&v, NULL), -ENOMEM);
	assert_int_equal(strv_length(v), 1);
}

static void test_strv_push_copies(void **state)
{
	_cleanup_strv_ char **v = NULL;
	char buf[] = "orig";

	assert_int_equal(strv_push(&v, buf), 0);
	buf[0] = 'X';
	assert_string_equal(v[0], "orig");
	assert_ptr_not_equal(v[0], buf);
}

static void test_strv_contains(void **state)
{
	char *v[] = {"a", "", "bc", NULL};

	assert_true(strv_contains(v, "a"));
	assert_true(strv_contains(v, ""));
	assert_true(strv_contains(v, "bc"));
	assert_false(strv_contains(v, "b"));
	assert_false(strv_contains(v, NULL));
	assert_false(strv_contains(NULL, "a"));
}

static void check_join(char *const *v, const char *sep, const char *want)
{
	_cleanup_free_ char *s = strv_join(v, sep);

	assert_non_null(s);
	assert_string_equal(s, want);
}

static void test_strv_join(void **state)
{
	char *three[] = {"a", "b", "c", NULL};
	char *one[] = {"x", NULL};
	char *empties[] = {"", "", NULL};
	char *none[] = {NULL};

	check_join(three, ",", "a,b,c");
	check_join(three, ", ", "a, b, c");
	check_join(three, "", "abc");
	check_join(one, ",", "x");
	check_join(empties, ":", ":");
	check_join(none, ",", "");
	check_join(NULL, ",", "");
}

static void check_split(const char *s, const char *sep, const char *const *want, size_t n)
{
	_cleanup_strv_ char **v = strv_split(s, sep);

	assert_non_null(v);
	assert_int_equal(strv_length(v), n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(v[i], want[i]);
	assert_null(v[n]);
}

static void test_strv_split(void **state)
{
	check_split("a,b,c", ",", (const char *[]){"a", "b", "c"}, 3);
	check_split("a", ",", (const char *[]){"a"}, 1);
	/* like Go's strings.Split: "" is one empty field */
	check_split("", ",", (const char *[]){""}, 1);
	check_split(",", ",", (const char *[]){"", ""}, 2);
	check_split(",a,", ",", (const char *[]){"", "a", ""}, 3);
	check_split("a,,b", ",", (const char *[]){"a", "", "b"}, 3);
	check_split("/usr/bin/", "/", (const char *[]){"", "usr", "bin", ""}, 4);
	check_split("a::b::", "::", (const char *[]){"a", "b", ""}, 3);
	check_split("a:::b", "::", (const char *[]){"a", ":b"}, 2);
	/* an empty separator does not split */
	check_split("abc", "", (const char *[]){"abc"}, 1);
}

static void test_strv_split_join_roundtrip(void **state)
{
	const char *in = "PATH=/usr/bin::/bin:";
	_cleanup_strv_ char **v = strv_split(in, ":");
	_cleanup_free_ char *out = NULL;

	assert_non_null(v);
	out = strv_join(v, ":");
	assert_string_equal(out, in);
}

static void test_strv_copy(void **state)
{
	char *src[] = {"a", "", "c", NULL};
	_cleanup_strv_ char **c = strv_copy(src);
	_cleanup_strv_ char **e = strv_copy(NULL);

	assert_non_null(c);
	assert_int_equal(strv_length(c), 3);
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(c[i], src[i]);
		assert_ptr_not_equal(c[i], src[i]);
	}
	assert_null(c[3]);
	/* a NULL vector copies to an empty (non-NULL) one */
	assert_non_null(e);
	assert_int_equal(strv_length(e), 0);
}

static void test_strv_foreach_and_free_null(void **state)
{
	char *v[] = {"x", "y", NULL};
	size_t n = 0;

	STRV_FOREACH (s, v)
		n += strlen(*s);
	assert_int_equal(n, 2);
	STRV_FOREACH (s, (char **)NULL)
		fail();
	strv_free(NULL);
}

static void test_strbuf_append(void **state)
{
	struct strbuf sb = {0};

	assert_int_equal(strbuf_append(&sb, "ab", 2), 0);
	assert_int_equal(strbuf_append(&sb, "\0c", 2), 0);
	assert_int_equal(sb.len, 4);
	assert_memory_equal(sb.buf, "ab\0c", 5);
	assert_int_equal(strbuf_puts(&sb, "de"), 0);
	assert_int_equal(sb.len, 6);
	assert_int_equal(sb.buf[6], 0);
	strbuf_release(&sb);
	assert_null(sb.buf);
	assert_int_equal(sb.len, 0);
	assert_int_equal(sb.cap, 0);
}

static void test_strbuf_append_empty(void **state)
{
	struct strbuf sb = {0};

	/* appending nothing still gives a valid, terminated buffer */
	assert_int_equal(strbuf_append(&sb, NULL, 0), 0);
	assert_non_null(sb.buf);
	assert_string_equal(sb.buf, "");
	assert_int_equal(strbuf_puts(&sb, ""), 0);
	assert_int_equal(sb.len, 0);
	strbuf_release(&sb);
}

static void test_strbuf_grows(void **state)
{
	struct strbuf sb = {0};
	_cleanup_free_ char *s = NULL;

	for (int i = 0; i < 10000; i++)
		assert_int_equal(strbuf_append(&sb, "x", 1), 0);
	assert_int_equal(sb.len, 10000);
	assert_true(sb.cap > sb.len);
	s = strbuf_steal(&sb);
	assert_int_equal(strlen(s), 10000);
	assert_int_equal(strspn(s, "x"), 10000);
}

static void test_strbuf_printf(void **state)
{
	struct strbuf sb = {0};
	_cleanup_free_ char *s = NULL;
	char big[300];

	assert_int_equal(strbuf_printf(&sb, "%s", ""), 0);
	assert_non_null(sb.buf);
	assert_string_equal(sb.buf, "");
	assert_int_equal(strbuf_printf(&sb, "%d-%s", 12, "ab"), 0);
	assert_int_equal(strbuf_printf(&sb, "|%c", 'z'), 0);
	assert_string_equal(sb.buf, "12-ab|z");
	assert_int_equal(sb.len, 7);
	/* past the first allocation */
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	assert_int_equal(strbuf_printf(&sb, "%s", big), 0);
	assert_int_equal(sb.len, 7 + 299);
	s = strbuf_steal(&sb);
	assert_memory_equal(s, "12-ab|zqqq", 10);
	assert_int_equal(strlen(s), 306);
}

static void test_strbuf_steal_empty(void **state)
{
	struct strbuf sb = {0};
	_cleanup_free_ char *s = strbuf_steal(&sb);
	_cleanup_free_ char *t = NULL;

	/* stealing from a never-used buffer gives "" (not NULL) */
	assert_non_null(s);
	assert_string_equal(s, "");
	assert_null(sb.buf);
	assert_int_equal(sb.len, 0);
	/* the emptied buffer can be used again */
	assert_int_equal(strbuf_puts(&sb, "again"), 0);
	t = strbuf_steal(&sb);
	assert_string_equal(t, "again");
	assert_null(sb.buf);
}

static void test_strbuf_huge_append_fails(void **state)
{
	struct strbuf sb = {0};

	/* a length no allocation can hold must fail cleanly (not loop, not
	 * wrap): the data pointer is never read */
	assert_int_equal(strbuf_puts(&sb, "keep"), 0);
	assert_int_equal(strbuf_append(&sb, "x", SIZE_MAX), -ENOMEM);
	assert_int_equal(strbuf_append(&sb, "x", SIZE_MAX - 4), -ENOMEM);
	assert_int_equal(strbuf_append(&sb, "x", SIZE_MAX / 2), -ENOMEM);
	assert_int_equal(strbuf_append(&sb, "x", (SIZE_MAX >> 1) + 10), -ENOMEM);
	/* what it had is kept */
	assert_int_equal(sb.len, 4);
	assert_string_equal(sb.buf, "keep");
	strbuf_release(&sb);
	strbuf_release(&sb); /* twice is fine */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_streq_isempty),
	        cmocka_unit_test(test_startswith),
	        cmocka_unit_test(test_endswith),
	        cmocka_unit_test(test_str_printf),
	        cmocka_unit_test(test_str_strip),
	        cmocka_unit_test(test_str_to_int64_ok),
	        cmocka_unit_test(test_str_to_int64_bad),
	        cmocka_unit_test(test_str_to_uint64_ok),
	        cmocka_unit_test(test_str_to_uint64_bad),
	        cmocka_unit_test(test_human_size),
	        cmocka_unit_test(test_human_size_small_buffer),
	        cmocka_unit_test(test_strv_new_push),
	        cmocka_unit_test(test_strv_push_onto_null),
	        cmocka_unit_test(test_strv_push_copies),
	        cmocka_unit_test(test_strv_contains),
	        cmocka_unit_test(test_strv_join),
	        cmocka_unit_test(test_strv_split),
	        cmocka_unit_test(test_strv_split_join_roundtrip),
	        cmocka_unit_test(test_strv_copy),
	        cmocka_unit_test(test_strv_foreach_and_free_null),
	        cmocka_unit_test(test_strbuf_append),
	        cmocka_unit_test(test_strbuf_append_empty),
	        cmocka_unit_test(test_strbuf_grows),
	        cmocka_unit_test(test_strbuf_printf),
	        cmocka_unit_test(test_strbuf_steal_empty),
	        cmocka_unit_test(test_strbuf_huge_append_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
