/* Unit tests for the X-Registry-Auth decoding of src/api/h_registry.c:
 * the alphabets and padding clients send, anonymous forms, Docker's
 * AuthConfig fields, and hostile headers (never echoing a secret). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "api/handlers.h"
#include "base/base64.h"
#include "base/str.h"
#include "registry/registry.h"

/* base64url (url true) or standard base64 of json, padding kept or not. */
static char *encode(const char *json, bool url, bool pad)
{
	char *s = base64_encode(json, strlen(json), url);

	assert_non_null(s);
	if (!pad)
		s[strcspn(s, "=")] = 0;
	return s;
}

static void check_anonymous(const char *header)
{
	struct registry_auth a;
	char *server = (char *)0x1;

	assert_int_equal(api_registry_auth_decode(header, &a, &server, NULL), 0);
	assert_null(a.username);
	assert_null(a.password);
	assert_null(a.identity_token);
	assert_null(a.registry_token);
	assert_null(server);
}

static void test_anonymous(void **state)
{
	check_anonymous(NULL);
	check_anonymous("");
	check_anonymous("e30=");
	check_anonymous("e30");
	check_anonymous("bnVsbA==");             /* null */
	check_anonymous("eyJ1c2VybmFtZSI6IiJ9"); /* {"username":""} */
}

static void check_full(const char *header)
{
	_cleanup_free_ char *server = NULL;
	struct registry_auth a;

	assert_int_equal(api_registry_auth_decode(header, &a, &server, NULL), 0);
	assert_string_equal(a.username, "tester");
	assert_string_equal(a.password, "p?>~+/=");
	assert_null(a.identity_token);
	assert_string_equal(server, "127.0.0.1:5000");
	registry_auth_release(&a);
}

static void test_alphabets_and_padding(void **state)
{
	/* "?>~" makes '+' and '/' appear in standard base64 */
	const char *json = "{\"username\":\"tester\",\"password\":\"p?>~+/=\","
	                   "\"email\":\"\",\"serveraddress\":\"127.0.0.1:5000\"}";

	for (int url = 0; url < 2; url++)
		for (int pad = 0; pad < 2; pad++) {
			_cleanup_free_ char *h = encode(json, url, pad);
			check_full(h);
		}
}

static void test_fields(void **state)
{
	_cleanup_free_ char *h1 = encode("{\"auth\":\"dTpwOnE=\"}", true, true); /* u:p:q */
	_cleanup_free_ char *h2 = encode("{\"username\":\"u\",\"identitytoken\":\"idt\","
	                                 "\"registrytoken\":\"rt\"}",
	                                 true, true);
	_cleanup_free_ char *h3 =
	        encode("{\"username\":\"x\",\"password\":\"y\",\"auth\":\"dTpw\"}", true, true);
	struct registry_auth a;

	assert_int_equal(api_registry_auth_decode(h1, &a, NULL, NULL), 0);
	assert_string_equal(a.username, "u");
	assert_string_equal(a.password, "p:q");
	registry_auth_release(&a);
	assert_int_equal(api_registry_auth_decode(h2, &a, NULL, NULL), 0);
	assert_string_equal(a.username, "u");
	assert_null(a.password);
	assert_string_equal(a.identity_token, "idt");
	assert_string_equal(a.registry_token, "rt");
	registry_auth_release(&a);
	/* explicit username and password win over "auth" */
	assert_int_equal(api_registry_auth_decode(h3, &a, NULL, NULL), 0);
	assert_string_equal(a.username, "x");
	assert_string_equal(a.password, "y");
	registry_auth_release(&a);
}

static void check_bad(const char *header, int code, const char *what)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct registry_auth a;
	char *server = (char *)0x1;

	assert_int_equal(api_registry_auth_decode(header, &a, &server, &err), -code);
	assert_non_null(strstr(error_message(err), "invalid X-Registry-Auth header"));
	assert_non_null(strstr(error_message(err), what));
	assert_null(strstr(error_message(err), "SECRET"));
	assert_null(a.username);
	assert_null(a.password);
	assert_null(server);
}

static void test_bad(void **state)
{
	_cleanup_free_ char *arr = encode("[\"SECRET\"]", true, true);
	_cleanup_free_ char *notjson = encode("SECRET", true, true);
	_cleanup_free_ char *num = encode("{\"password\":\"SECRET\",\"username\":5}", true, true);
	_cleanup_free_ char *dup =
	        encode("{\"password\":\"SECRET\",\"password\":\"SECRET2\"}", true, true);
	_cleanup_free_ char *nocolon = encode("{\"auth\":\"U0VDUkVU\"}", true, true);
	_cleanup_free_ char *badauth = encode("{\"auth\":\"%%\"}", true, true);
	_cleanup_free_ char *big = malloc(200000);

	check_bad("%%%", EINVAL, "not base64");
	check_bad("e30=\n", EINVAL, "not base64");
	check_bad(arr, EINVAL, "expected a JSON object");
	check_bad(notjson, EINVAL, "not JSON");
	check_bad(num, EINVAL, "username");
	check_bad(dup, EINVAL, "not JSON");
	check_bad(nocolon, EINVAL, "user:password");
	check_bad(badauth, EINVAL, "user:password");
	assert_non_null(big);
	memset(big, 'A', 199999);
	big[199999] = 0;
	check_bad(big, EFBIG, "larger than");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_anonymous),
	        cmocka_unit_test(test_alphabets_and_padding),
	        cmocka_unit_test(test_fields),
	        cmocka_unit_test(test_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
