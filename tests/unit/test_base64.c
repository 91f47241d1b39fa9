/* Unit tests for src/base/base64.c and src/base/jsonprogress.c: the
 * encodings of X-Registry-Auth and config.json, and Docker's progress
 * text. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "base/base64.h"
#include "base/jsonprogress.h"
#include "base/macro.h"

static void check_roundtrip(const char *plain, const char *std, const char *url)
{
	_cleanup_free_ char *a = base64_encode(plain, strlen(plain), false);
	_cleanup_free_ char *b = base64_encode(plain, strlen(plain), true);
	_cleanup_free_ char *d1 = NULL, *d2 = NULL;
	size_t n = 99;

	assert_string_equal(a, std);
	assert_string_equal(b, url);
	assert_int_equal(base64_decode(std, 1024, &d1, &n), 0);
	assert_int_equal(n, strlen(plain));
	assert_memory_equal(d1, plain, n);
	assert_int_equal(base64_decode(url, 1024, &d2, NULL), 0);
	assert_string_equal(d2, plain);
}

static void test_encode_decode(void **state)
{
	check_roundtrip("", "", "");
	check_roundtrip("{}", "e30=", "e30=");
	check_roundtrip("f", "Zg==", "Zg==");
	check_roundtrip("fo", "Zm8=", "Zm8=");
	check_roundtrip("foo", "Zm9v", "Zm9v");
	/* bytes that differ between the alphabets: 0xfb 0xff → "+/" vs "-_" */
	check_roundtrip("\xfb\xff\xbf", "+/+/", "-_-_");
	check_roundtrip("{\"username\":\"u\",\"password\":\"p?>\"}",
	                "eyJ1c2VybmFtZSI6InUiLCJwYXNzd29yZCI6InA/PiJ9",
	                "eyJ1c2VybmFtZSI6InUiLCJwYXNzd29yZCI6InA_PiJ9");
}

/* Every length 0..96 of bytes 0..255 in both alphabets: decode(encode(x))
 * is x, and the encoding has the length and padding RFC 4648 gives. */
static void test_roundtrip_binary(void **state)
{
	unsigned char buf[96];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 37 + 11);
	for (size_t len = 0; len <= sizeof(buf); len++) {
		for (int url = 0; url <= 1; url++) {
			_cleanup_free_ char *e = base64_encode(buf, len, url);
			_cleanup_free_ char *d = NULL;
			size_t n = 0;

			assert_non_null(e);
			assert_int_equal(strlen(e), 4 * ((len + 2) / 3));
			assert_int_equal(strspn(e + strcspn(e, "="), "="), (3 - len % 3) % 3);
			assert_null(strchr(e, url ? '+' : '-'));
			assert_int_equal(base64_decode(e, len, &d, &n), 0);
			assert_int_equal(n, len);
			assert_memory_equal(d, buf, len);
		}
	}
}

static void test_decode_lenient(void **state)
{
	_cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;
	size_t n = 0;

	/* padding optional, as some clients strip it */
	assert_int_equal(base64_decode("e30", 64, &a, &n), 0);
	assert_string_equal(a, "{}");
	assert_int_equal(n, 2);
	assert_int_equal(base64_decode("Zg", 64, &b, NULL), 0);
	assert_string_equal(b, "f");
	/* the two alphabets mixed still decode */
	assert_int_equal(base64_decode("+/-_", 64, &c, &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(c, "\xfb\xff\xbf", 3);
}

static void test_decode_bad(void **state)
{
	char *out = (char *)0x1;

	assert_int_equal(base64_decode("e30=x", 64, &out, NULL), -EINVAL); /* data after '=' */
	assert_int_equal(base64_decode("e3 0", 64, &out, NULL), -EINVAL);
	assert_int_equal(base64_decode("e30*", 64, &out, NULL), -EINVAL);
	assert_int_equal(base64_decode("Z", 64, &out, NULL), -EINVAL);   /* impossible length */
	assert_int_equal(base64_decode("Zg=", 64, &out, NULL), -EINVAL); /* half padding */
	assert_int_equal(base64_decode("Zm9v=", 64, &out, NULL), -EINVAL);
	assert_int_equal(base64_decode("Zg===", 64, &out, NULL), -EINVAL);
	assert_int_equal(base64_decode("====", 64, &out, NULL), -EINVAL);
	assert_int_equal(base64_decode("\n", 64, &out, NULL), -EINVAL);
	/* the cap counts decoded bytes */
	assert_int_equal(base64_decode("Zm9v", 2, &out, NULL), -EFBIG);
	assert_ptr_equal(out, (char *)0x1); /* untouched on failure */
	_cleanup_free_ char *ok = NULL;
	assert_int_equal(base64_decode("Zm9v", 3, &ok, NULL), 0);
}

static void test_human_size(void **state)
{
	char b[32];

	jsonprogress_human_size(0, b, sizeof(b));
	assert_string_equal(b, "0B");
	jsonprogress_human_size(512, b, sizeof(b));
	assert_string_equal(b, "512B");
	jsonprogress_human_size(36446, b, sizeof(b));
	assert_string_equal(b, "36.45kB");
	jsonprogress_human_size(3073126, b, sizeof(b));
	assert_string_equal(b, "3.073MB");
	jsonprogress_human_size(772788, b, sizeof(b));
	assert_string_equal(b, "772.8kB");
	jsonprogress_human_size(1000, b, sizeof(b));
	assert_string_equal(b, "1kB");
	jsonprogress_human_size(5000000000ull, b, sizeof(b));
	assert_string_equal(b, "5GB");
}

static void test_progress_format(void **state)
{
	char b[JSONPROGRESS_TEXT_MAX];

	jsonprogress_format(0, 0, 200, b, sizeof(b));
	assert_string_equal(b, "");
	jsonprogress_format(1234, 0, 200, b, sizeof(b));
	assert_string_equal(b, " 1.234kB");
	/* dockerd's line: {"current":7692,"total":772788} */
	jsonprogress_format(7692, 772788, 200, b, sizeof(b));
	assert_string_equal(
	        b, "[>                                                  ]  7.692kB/772.8kB");
	jsonprogress_format(32768, 772788, 200, b, sizeof(b));
	assert_string_equal(
	        b, "[==>                                                ]  32.77kB/772.8kB");
	jsonprogress_format(772788, 772788, 200, b, sizeof(b));
	assert_string_equal(
	        b, "[==================================================>]  772.8kB/772.8kB");
	/* a narrow terminal: the numbers only */
	jsonprogress_format(32768, 772788, 80, b, sizeof(b));
	assert_string_equal(b, " 32.77kB/772.8kB");
	/* current past total: the total is left out, the bar full */
	jsonprogress_format(900000, 772788, 111, b, sizeof(b));
	assert_string_equal(b, "[==================================================>]    900kB");
	/* a short buffer truncates, never overflows */
	jsonprogress_format(32768, 772788, 200, b, 8);
	assert_string_equal(b, "[==>   ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_encode_decode),  cmocka_unit_test(test_roundtrip_binary),
	        cmocka_unit_test(test_decode_lenient), cmocka_unit_test(test_decode_bad),
	        cmocka_unit_test(test_human_size),     cmocka_unit_test(test_progress_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
