/* Unit tests for src/cli/credentials.c: registry keys, config.json auths
 * written to husk's file and read from husk's then docker's, credential
 * helpers refused clearly, the X-Registry-Auth header. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/base64.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "cli/credentials.h"

static char tmpdir[] = "/tmp/test-credentials.XXXXXX";
static char husk_dir[128], docker_dir[128], husk_file[160], docker_file[160];

static int setup(void **state)
{
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(husk_dir, sizeof(husk_dir), "%s/husk/sub", tmpdir);
	snprintf(docker_dir, sizeof(docker_dir), "%s/docker", tmpdir);
	snprintf(husk_file, sizeof(husk_file), "%s/config.json", husk_dir);
	snprintf(docker_file, sizeof(docker_file), "%s/config.json", docker_dir);
	setenv("HUSK_CONFIG", husk_dir, 1);
	setenv("DOCKER_CONFIG", docker_dir, 1);
	return mkdir(docker_dir, 0700);
}

static int teardown(void **state)
{
	return rm_rf(tmpdir);
}

static void write_text(const char *path, const char *text)
{
	assert_int_equal(atomic_write_file(path, text, strlen(text), 0600, NULL), 0);
}

static void check_key(const char *server, const char *want)
{
	_cleanup_free_ char *k = cred_key(server);

	assert_non_null(k);
	assert_string_equal(k, want);
}

static void check_image_key(const char *image, const char *want)
{
	_cleanup_free_ char *k = cred_key_of_image(image);

	assert_non_null(k);
	assert_string_equal(k, want);
}

static void test_keys(void **state)
{
	check_key(NULL, CRED_DOCKER_HUB_KEY);
	check_key("", CRED_DOCKER_HUB_KEY);
	check_key("docker.io", CRED_DOCKER_HUB_KEY);
	check_key("index.docker.io", CRED_DOCKER_HUB_KEY);
	check_key("registry-1.docker.io", CRED_DOCKER_HUB_KEY);
	check_key("https://index.docker.io/v1/", CRED_DOCKER_HUB_KEY);
	check_key("127.0.0.1:5000", "127.0.0.1:5000");
	check_key("http://127.0.0.1:5000/v2/", "127.0.0.1:5000");
	check_key("https://r.example.com", "r.example.com");
	check_key("[::1]:5000", "[::1]:5000");
	check_image_key("busybox", CRED_DOCKER_HUB_KEY);
	check_image_key("busybox:latest", CRED_DOCKER_HUB_KEY);
	check_image_key("user/app", CRED_DOCKER_HUB_KEY);
	check_image_key("docker.io/library/busybox", CRED_DOCKER_HUB_KEY);
	check_image_key("127.0.0.1:5000/a/b:v1", "127.0.0.1:5000");
	check_image_key("localhost/x", "localhost");
	check_image_key("localhost:5000/x", "localhost:5000");
	check_image_key("r.example.com/team/x@sha256:00", "r.example.com");
}

static void lookup_ok(const char *key, const char *user, const char *pass, const char *from)
{
	_cleanup_free_ char *source = NULL, *warning = NULL;
	struct cred c;

	assert_int_equal(cred_lookup(key, &c, &source, &warning, NULL), 0);
	assert_string_equal(c.username, user);
	assert_string_equal(c.password, pass);
	assert_string_equal(source, from);
	assert_null(warning);
	cred_release(&c);
}

static void test_store_lookup_erase(void **state)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	_cleanup_json_ json_t *cfg = NULL;
	struct cred c = {strdup("tester"), strdup("p:a:ss"), NULL};
	struct stat st;

	assert_int_equal(cred_store("127.0.0.1:5000", &c, &path, NULL), 0);
	cred_release(&c);
	assert_string_equal(path, husk_file);
	assert_int_equal(stat(husk_file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(husk_dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(json_load_path(husk_file, 1 << 20, &cfg, NULL), 0);
	/* base64("tester:p:a:ss") */
	assert_string_equal(
	        json_string_value(json_object_get(
	                json_object_get(json_object_get(cfg, "auths"), "127.0.0.1:5000"), "auth")),
	        "dGVzdGVyOnA6YTpzcw==");
	lookup_ok("127.0.0.1:5000", "tester", "p:a:ss", husk_file);
	assert_int_equal(cred_erase("127.0.0.1:5000", NULL), 1);
	assert_int_equal(cred_erase("127.0.0.1:5000", NULL), 0);
	assert_int_equal(cred_lookup("127.0.0.1:5000", &c, NULL, NULL, NULL), -ENOENT);
	assert_int_equal(read_file(husk_file, 1 << 20, &text, NULL, NULL), 0);
	assert_null(strstr(text, "dGVzdGVy"));
}

static void test_other_keys_kept(void **state)
{
	_cleanup_json_ json_t *cfg = NULL;
	struct cred c = {strdup("u2"), strdup("p2"), NULL};
	json_t *auths;

	write_text(husk_file, "{\"psFormat\": \"table {{.ID}}\", \"auths\": {"
	                      "\"other.example\": {\"auth\": \"dTpw\"},"
	                      "\"http://127.0.0.1:5000/v2/\": {\"auth\": \"b2xkOm9sZA==\"}}}");
	lookup_ok("127.0.0.1:5000", "old", "old", husk_file); /* another spelling is found */
	assert_int_equal(cred_store("127.0.0.1:5000", &c, NULL, NULL), 0);
	cred_release(&c);
	assert_int_equal(json_load_path(husk_file, 1 << 20, &cfg, NULL), 0);
	assert_string_equal(json_string_value(json_object_get(cfg, "psFormat")), "table {{.ID}}");
	auths = json_object_get(cfg, "auths");
	assert_non_null(json_object_get(auths, "other.example"));
	assert_non_null(json_object_get(auths, "127.0.0.1:5000"));
	assert_null(json_object_get(auths, "http://127.0.0.1:5000/v2/")); /* replaced */
	lookup_ok("other.example", "u", "p", husk_file);
	assert_int_equal(cred_erase("127.0.0.1:5000", NULL), 1);
	unlink(husk_file);
}

static void test_docker_file_and_helpers(void **state)
{
	_cleanup_free_ char *warning = NULL, *w2 = NULL, *before = NULL, *after = NULL;
	struct cred c;

	write_text(docker_file, "{\"auths\": {\"https://index.docker.io/v1/\": {\"auth\": "
	                        "\"aHViOnNlY3JldA==\"}, \"helped.example\": {}},"
	                        "\"credHelpers\": {\"helped.example\": \"pass\"}}");
	lookup_ok(CRED_DOCKER_HUB_KEY, "hub", "secret", docker_file);
	/* husk's file comes first */
	c = (struct cred){strdup("mine"), strdup("pw"), NULL};
	assert_int_equal(cred_store(CRED_DOCKER_HUB_KEY, &c, NULL, NULL), 0);
	cred_release(&c);
	lookup_ok(CRED_DOCKER_HUB_KEY, "mine", "pw", husk_file);
	/* a credential helper is named, not run */
	assert_int_equal(cred_lookup("helped.example", &c, NULL, &warning, NULL), -ENOENT);
	assert_non_null(warning);
	assert_non_null(strstr(warning, "docker-credential-pass"));
	assert_non_null(strstr(warning, "not support"));
	/* credsStore covers every registry */
	write_text(docker_file, "{\"credsStore\": \"desktop\"}");
	assert_int_equal(cred_lookup("127.0.0.1:9", &c, NULL, &w2, NULL), -ENOENT);
	assert_non_null(strstr(w2, "docker-credential-desktop"));
	/* a malformed file is an error and is never overwritten */
	write_text(husk_file, "{not json");
	assert_int_equal(read_file(husk_file, 1 << 20, &before, NULL, NULL), 0);
	c = (struct cred){strdup("x"), strdup("y"), NULL};
	assert_int_equal(cred_store("a.example", &c, NULL, NULL), -EINVAL);
	cred_release(&c);
	assert_int_equal(cred_lookup("a.example", &c, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(read_file(husk_file, 1 << 20, &after, NULL, NULL), 0);
	assert_string_equal(before, after);
	/* a bad "auth" value */
	write_text(husk_file, "{\"auths\": {\"a.example\": {\"auth\": \"bm9jb2xvbg==\"}}}");
	assert_int_equal(cred_lookup("a.example", &c, NULL, NULL, NULL), -EINVAL);
	unlink(husk_file);
	unlink(docker_file);
}

static void test_identity_token(void **state)
{
	_cleanup_json_ json_t *cfg = NULL;
	struct cred c = {strdup("u"), NULL, strdup("tok")};
	json_t *e;

	assert_int_equal(cred_store("t.example", &c, NULL, NULL), 0);
	cred_release(&c);
	assert_int_equal(json_load_path(husk_file, 1 << 20, &cfg, NULL), 0);
	e = json_object_get(json_object_get(cfg, "auths"), "t.example");
	assert_string_equal(json_string_value(json_object_get(e, "auth")), "dTo="); /* "u:" */
	assert_string_equal(json_string_value(json_object_get(e, "identitytoken")), "tok");
	assert_int_equal(cred_lookup("t.example", &c, NULL, NULL, NULL), 0);
	assert_string_equal(c.username, "u");
	assert_null(c.password);
	assert_string_equal(c.identity_token, "tok");
	cred_release(&c);
	unlink(husk_file);
}

static void test_header(void **state)
{
	_cleanup_free_ char *anon = cred_header(NULL, "x"), *empty = NULL, *h = NULL;
	_cleanup_free_ char *plain = NULL;
	_cleanup_json_ json_t *j = NULL;
	struct cred none = {0}, c = {strdup("u"), strdup("p>?"), NULL};

	assert_string_equal(anon, "e30=");
	empty = cred_header(&none, "x");
	assert_string_equal(empty, "e30=");
	h = cred_header(&c, "127.0.0.1:5000");
	cred_release(&c);
	assert_null(strpbrk(h, "+/")); /* base64url */
	assert_int_equal(base64_decode(h, 4096, &plain, NULL), 0);
	j = json_loads(plain, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "username")), "u");
	assert_string_equal(json_string_value(json_object_get(j, "password")), "p>?");
	assert_string_equal(json_string_value(json_object_get(j, "serveraddress")),
	                    "127.0.0.1:5000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_keys),
	        cmocka_unit_test(test_store_lookup_erase),
	        cmocka_unit_test(test_other_keys_kept),
	        cmocka_unit_test(test_docker_file_and_helpers),
	        cmocka_unit_test(test_identity_token),
	        cmocka_unit_test(test_header),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
