/* Unit tests for the registry client (src/registry: http.c, auth.c,
 * hosts.c, sources.c, pull.c): WWW-Authenticate parsing (several
 * challenges, quoted strings, token68, malformed), scopes and token
 * answers, loopback/CIDR/insecure rules, endpoint order and certs dirs,
 * the credential policy for redirects, URL redaction, Content-Range and
 * resume decisions, registry error bodies; then against a scripted HTTP
 * server on 127.0.0.1: credentials dropped on a redirect to another
 * origin, retries of 5xx, basic auth after a challenge, a cut download
 * resumed with Range, and pulls choosing a manifest from an index (by
 * platform), refusing schema 1, a lying Docker-Content-Digest and a wrong
 * platform, recording nothing when they fail. Runs as root (layers). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "image/manifest.h"
#include "registry/internal.h"
#include "registry/registry.h"
#include "store/store.h"

/* ---- challenges ---- */

static void test_challenge_bearer(void **state)
{
	struct reg_challenge *v = NULL;
	size_t n = 0;

	assert_int_equal(reg_challenges_parse("Bearer realm=\"https://auth.docker.io/token\","
	                                      "service=\"registry.docker.io\",scope=\"repository:"
	                                      "library/busybox:pull\"",
	                                      &v, &n),
	                 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].scheme, "bearer");
	assert_string_equal(v[0].realm, "https://auth.docker.io/token");
	assert_string_equal(v[0].service, "registry.docker.io");
	assert_string_equal(v[0].scope, "repository:library/busybox:pull");
	assert_null(v[0].error);
	reg_challenges_free(v, n);

	v = NULL, n = 0;
	assert_int_equal(reg_challenges_parse("basic Realm=husk-test", &v, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].scheme, "basic");
	assert_string_equal(v[0].realm, "husk-test");
	reg_challenges_free(v, n);
}

static void test_challenge_several(void **state)
{
	struct reg_challenge *v = NULL;
	size_t n = 0;

	/* two in one header, a token68 one, and spaces around commas */
	assert_int_equal(reg_challenges_parse("Negotiate YWJj==, Basic realm=\"a, b\" , "
	                                      "Bearer realm=\"https://t/x\" ,service=s, "
	                                      "error=\"insufficient_scope\"",
	                                      &v, &n),
	                 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].scheme, "negotiate");
	assert_null(v[0].realm);
	assert_string_equal(v[1].scheme, "basic");
	assert_string_equal(v[1].realm, "a, b");
	assert_string_equal(v[2].scheme, "bearer");
	assert_string_equal(v[2].realm, "https://t/x");
	assert_string_equal(v[2].service, "s");
	assert_string_equal(v[2].error, "insufficient_scope");
	/* a second header appends */
	assert_int_equal(reg_challenges_parse("Digest realm=x", &v, &n), 0);
	assert_int_equal(n, 4);
	reg_challenges_free(v, n);
}

static void test_challenge_quoted(void **state)
{
	struct reg_challenge *v = NULL;
	size_t n = 0;

	assert_int_equal(reg_challenges_parse("Bearer realm=\"a\\\"b\\\\c\",scope=\"repository:"
	                                      "x:pull,push repository:y:pull\",service=\"\"",
	                                      &v, &n),
	                 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].realm, "a\"b\\c");
	assert_string_equal(v[0].scope, "repository:x:pull,push repository:y:pull");
	assert_string_equal(v[0].service, "");
	reg_challenges_free(v, n);
}

static void test_challenge_bad(void **state)
{
	const char *bad[] = {"Bearer realm=\"unterminated", "=x", "Bearer realm=\"x\" junk\"",
	                     "B@d realm=x"};
	struct reg_challenge *v = NULL;
	size_t n = 0;

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		assert_int_not_equal(reg_challenges_parse(bad[i], &v, &n), 0);
		assert_int_equal(n, 0);
	}
	assert_int_equal(reg_challenges_parse("", &v, &n), 0);
	assert_int_equal(reg_challenges_parse(" , ,", &v, &n), 0);
	assert_int_equal(n, 0);
	/* too many challenges are refused, not grown without bound */
	_cleanup_free_ char *many = strdup("Basic realm=x");
	for (int i = 0; i < REG_MAX_CHALLENGES + 1; i++) {
		char *more = str_printf("%s, Basic realm=x", many);
		free(many);
		many = more;
	}
	assert_int_equal(reg_challenges_parse(many, &v, &n), -E2BIG);
	assert_int_equal(n, 0);
	free(v);
}

static void test_scope_merge(void **state)
{
	_cleanup_free_ char *a = reg_scope_merge("repository:x:pull", "repository:x:push");
	_cleanup_free_ char *b =
	        reg_scope_merge("repository:x:pull,push", "repository:y:pull repository:x:pull");
	_cleanup_free_ char *c = reg_scope_merge(NULL, "registry:catalog:*");
	_cleanup_free_ char *d = reg_scope_merge(NULL, NULL);

	assert_string_equal(a, "repository:x:pull,push");
	assert_string_equal(b, "repository:x:pull,push repository:y:pull");
	assert_string_equal(c, "registry:catalog:*");
	assert_string_equal(d, "");
}

static void test_token_parse(void **state)
{
	char *token = NULL, *refresh = NULL;
	int64_t ttl = 0;
	_cleanup_error_ struct husk_error *err = NULL;
	const char *ok = "{\"token\":\"t1\",\"expires_in\":300,\"refresh_token\":\"r\"}";
	const char *access = "{\"access_token\":\"t2\",\"expires_in\":3}";

	assert_int_equal(reg_token_parse(ok, strlen(ok), &token, &ttl, &refresh, NULL), 0);
	assert_string_equal(token, "t1");
	assert_string_equal(refresh, "r");
	assert_int_equal(ttl, 300);
	free(token);
	free(refresh);
	/* access_token, and a short life raised to the spec's minimum */
	assert_int_equal(reg_token_parse(access, strlen(access), &token, &ttl, &refresh, NULL), 0);
	assert_string_equal(token, "t2");
	assert_null(refresh);
	assert_int_equal(ttl, 60);
	free(token);
	assert_int_equal(reg_token_parse("{}", 2, &token, &ttl, NULL, &err), -EINVAL);
	assert_non_null(strstr(error_message(err), "no token"));
	assert_int_equal(reg_token_parse("[1]", 3, &token, &ttl, NULL, NULL), -EINVAL);
	assert_int_equal(reg_token_parse("{\"token\":5}", 11, &token, &ttl, NULL, NULL), -EINVAL);
}

/* ---- hosts ---- */

static void test_loopback_cidr(void **state)
{
	assert_true(reg_host_is_loopback("127.0.0.1:5000"));
	assert_true(reg_host_is_loopback("127.3.4.5"));
	assert_true(reg_host_is_loopback("[::1]:5000"));
	assert_true(reg_host_is_loopback("localhost:5000"));
	assert_true(reg_host_is_loopback("localhost"));
	assert_false(reg_host_is_loopback("128.0.0.1:5000"));
	assert_false(reg_host_is_loopback("docker.io"));
	assert_false(reg_host_is_loopback("[::2]:5000"));
	assert_false(reg_host_is_loopback("localhost.example.com"));

	assert_true(reg_cidr_contains("10.0.0.0/8", "10.200.1.1"));
	assert_false(reg_cidr_contains("10.0.0.0/8", "11.0.0.1"));
	assert_true(reg_cidr_contains("192.168.1.0/25", "192.168.1.127"));
	assert_false(reg_cidr_contains("192.168.1.0/25", "192.168.1.128"));
	assert_true(reg_cidr_contains("0.0.0.0/0", "8.8.8.8"));
	assert_true(reg_cidr_contains("fd00::/8", "fd12::1"));
	assert_false(reg_cidr_contains("fd00::/8", "fe80::1"));
	assert_false(reg_cidr_contains("10.0.0.0/33", "10.0.0.1"));
	assert_false(reg_cidr_contains("10.0.0.0", "10.0.0.1"));
	assert_false(reg_cidr_contains("10.0.0.0/x", "10.0.0.1"));
	assert_false(reg_cidr_contains("10.0.0.0/8", "fd00::1"));
}

static void test_insecure_rules(void **state)
{
	char *list[] = {"reg.example:5000", "plain.example", "http://old.example:80", "10.1.0.0/16",
	                NULL};
	struct registry_options o = {.insecure = list};

	assert_true(reg_host_insecure(&o, "reg.example:5000"));
	assert_false(reg_host_insecure(&o, "reg.example:5001"));
	assert_false(reg_host_insecure(&o, "reg.example"));
	assert_true(reg_host_insecure(&o, "plain.example"));
	assert_true(reg_host_insecure(&o, "plain.example:443"));
	assert_true(reg_host_insecure(&o, "old.example:80"));
	assert_true(reg_host_insecure(&o, "10.1.2.3:5000"));
	assert_false(reg_host_insecure(&o, "10.2.2.3:5000"));
	assert_false(reg_host_insecure(&o, "registry-1.docker.io"));
	/* loopback always, with or without a list */
	assert_true(reg_host_insecure(NULL, "127.0.0.1:5000"));
	assert_true(reg_host_insecure(NULL, "[::1]:5000"));
	assert_false(reg_host_insecure(NULL, "ghcr.io"));
}

static void test_host_key(void **state)
{
	const char *cases[][2] = {
	        {"docker.io", "docker.io"},
	        {"https://index.docker.io/v1/", "docker.io"},
	        {"index.docker.io", "docker.io"},
	        {"registry-1.docker.io", "docker.io"},
	        {"http://127.0.0.1:5000/v2/", "127.0.0.1:5000"},
	        {"127.0.0.1:5000", "127.0.0.1:5000"},
	        {"https://ghcr.io", "ghcr.io"},
	        {"[::1]:5000", "[::1]:5000"},
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_free_ char *k = registry_host_key(cases[i][0]);
		assert_string_equal(k, cases[i][1]);
	}
	_cleanup_free_ char *def = registry_host_key(NULL);
	_cleanup_free_ char *api = reg_api_host("docker.io"), *api2 = reg_api_host("ghcr.io");
	assert_string_equal(def, "docker.io");
	assert_string_equal(api, "registry-1.docker.io");
	assert_string_equal(api2, "ghcr.io");
}

static int lookup_calls;

static int fake_lookup(const char *host, struct registry_auth *ret, void *data)
{
	lookup_calls++;
	*ret = (struct registry_auth){0};
	if (streq(host, "docker.io")) {
		ret->username = strdup("hubuser");
		ret->password = strdup("hubpass");
	}
	return 0;
}

static void test_endpoints(void **state)
{
	char *mirrors[] = {"https://mirror.example", "http://m2.example:8080/", NULL};
	char *nodirs[] = {"/nonexistent", NULL};
	struct registry_options o = {
	        .mirrors = mirrors, .certs_dirs = nodirs, .auth_lookup = fake_lookup};
	_cleanup_(reg_client_freep) struct reg_client *c = NULL;
	struct reg_endpoint **v = NULL;
	size_t n = 0;

	assert_int_equal(reg_client_new(&o, NULL, NULL, &c, NULL), 0);
	assert_int_equal(reg_endpoints(c, "docker.io", true, &v, &n, NULL), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0]->origin, "https://mirror.example");
	assert_true(v[0]->mirror);
	assert_null(v[0]->auth.username); /* hub credentials never go to a mirror */
	assert_string_equal(v[1]->origin, "http://m2.example:8080");
	assert_string_equal(v[2]->origin, "https://registry-1.docker.io");
	assert_false(v[2]->mirror);
	assert_string_equal(v[2]->auth.username, "hubuser");
	reg_endpoints_free(v, n);

	/* push: no mirrors */
	assert_int_equal(reg_endpoints(c, "docker.io", false, &v, &n, NULL), 0);
	assert_int_equal(n, 1);
	reg_endpoints_free(v, n);

	/* loopback: https (unverified) first, then http */
	assert_int_equal(reg_endpoints(c, "127.0.0.1:5000", true, &v, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0]->origin, "https://127.0.0.1:5000");
	assert_true(v[0]->tls.skip_verify);
	assert_string_equal(v[1]->origin, "http://127.0.0.1:5000");
	reg_endpoints_free(v, n);

	/* anything else: verified https only */
	assert_int_equal(reg_endpoints(c, "ghcr.io", true, &v, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_false(v[0]->tls.skip_verify);
	reg_endpoints_free(v, n);
}

static void test_endpoints_bad_mirror(void **state)
{
	char *mirrors[] = {"https://mirror.example/path", NULL};
	char *mirrors2[] = {"ftp://mirror.example", NULL};
	struct registry_options o = {.mirrors = mirrors};
	_cleanup_(reg_client_freep) struct reg_client *c = NULL;
	_cleanup_error_ struct husk_error *err = NULL;
	struct reg_endpoint **v = NULL;
	size_t n = 0;

	assert_int_equal(reg_client_new(&o, NULL, NULL, &c, NULL), 0);
	assert_int_equal(reg_endpoints(c, "docker.io", true, &v, &n, &err), -EINVAL);
	assert_non_null(strstr(error_message(err), "path, query, or fragment"));
	o.mirrors = mirrors2;
	assert_int_equal(reg_endpoints(c, "docker.io", true, &v, &n, NULL), -EINVAL);
}

static int rm_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

static void write_file(const char *dir, const char *name, const char *text)
{
	_cleanup_free_ char *p = path_join(dir, name);

	assert_int_equal(atomic_write_file(p, text, strlen(text), 0600, NULL), 0);
}

static void test_tls_load(void **state)
{
	char dir[] = "/tmp/husk-test-certs-XXXXXX";
	_cleanup_free_ char *host = NULL;
	char *dirs[] = {dir, NULL};
	struct registry_options o = {.certs_dirs = dirs};
	_cleanup_error_ struct husk_error *err = NULL;
	struct reg_tls t = {0};

	assert_non_null(mkdtemp(dir));
	host = path_join(dir, "reg.example:5000");
	assert_int_equal(mkdir(host, 0700), 0);
	write_file(host, "ca.crt",
	           "-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n");
	write_file(host, "client.cert", "cert");
	write_file(host, "client.key", "key");
	write_file(host, "README", "ignored");
	assert_int_equal(reg_tls_load(&o, "reg.example:5000", &t, NULL), 0);
	assert_non_null(t.ca_pem);
	assert_non_null(strstr(t.ca_pem, "QUJD")); /* ours, and the system's after it */
	assert_true(endswith(t.cert, "/client.cert"));
	assert_true(endswith(t.key, "/client.key"));
	reg_tls_release(&t);
	/* nothing for another host */
	assert_int_equal(reg_tls_load(&o, "other:5000", &t, NULL), 0);
	assert_null(t.ca_pem);
	assert_null(t.cert);
	/* a certificate without its key */
	write_file(host, "extra.cert", "cert");
	assert_int_equal(reg_tls_load(&o, "reg.example:5000", &t, &err), -EINVAL);
	assert_non_null(strstr(error_message(err), "missing key"));
	/* path tricks in the host */
	assert_int_equal(reg_tls_load(&o, "../etc", &t, NULL), -EINVAL);
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- URLs and the credential policy ---- */

static void test_origin_policy(void **state)
{
	assert_true(reg_same_origin("https://r.example/v2/", "https://R.EXAMPLE:443/v2/x/blobs/y"));
	assert_true(reg_same_origin("http://127.0.0.1:5000/v2/", "http://127.0.0.1:5000/other?q"));
	assert_true(reg_same_origin("http://h/v2/", "http://h:80/x"));
	/* another host, port or scheme: credentials stay behind */
	assert_false(reg_same_origin("https://r.example/v2/", "https://cdn.example/blob"));
	assert_false(reg_same_origin("http://127.0.0.1:5000/", "http://127.0.0.1:5001/"));
	assert_false(reg_same_origin("http://127.0.0.1:5000/", "http://127.0.0.2:5000/"));
	assert_false(reg_same_origin("https://r.example/", "http://r.example/"));
	assert_false(reg_same_origin("https://r.example/", "file:///etc/passwd"));
	assert_false(reg_same_origin("https://r.example/", "not a url"));
}

static void test_url_helpers(void **state)
{
	_cleanup_free_ char *a =
	        reg_url_redact("https://user:secret@r.example:5000/v2/x?sig=abc#f");
	_cleanup_free_ char *b =
	        reg_url_resolve("http://r:5000/v2/a/blobs/uploads/", "/v2/a/u/1?s=2");
	_cleanup_free_ char *c = reg_url_resolve("http://r:5000/v2/x", "https://cdn.example/b");
	_cleanup_free_ char *d = reg_url_resolve("http://r:5000/v2/x", "file:///etc/passwd");
	_cleanup_free_ char *e =
	        reg_url_add_query("http://r/v2/a/u/1?_state=x", "digest", "sha256:ab");
	_cleanup_free_ char *f = reg_url_host("http://[::1]:5000/v2/");
	_cleanup_free_ char *g = reg_url_origin("HTTPS://Reg.Example:443/v2/");

	assert_string_equal(a, "https://r.example:5000/v2/x");
	assert_string_equal(b, "http://r:5000/v2/a/u/1?s=2");
	assert_string_equal(c, "https://cdn.example/b");
	assert_null(d);
	assert_string_equal(e, "http://r/v2/a/u/1?_state=x&digest=sha256%3aab");
	assert_string_equal(f, "[::1]:5000");
	assert_string_equal(g, "https://reg.example");
	assert_string_equal(reg_method_word("HEAD"), "Head");
}

/* ---- ranges and error bodies ---- */

static void test_content_range(void **state)
{
	uint64_t s = 0, e = 0;
	int64_t t = 0;
	const char *bad[] = {"bytes 5-4/10",
	                     "bytes -1/10",
	                     "bytes 0-9/9",
	                     "0-9/10",
	                     "bytes 0-9",
	                     "bytes 0-9/10x",
	                     "bytes a-9/10",
	                     "bytes 0-99999999999999999999/*",
	                     ""};

	assert_int_equal(reg_content_range_parse("bytes 100-199/1000", &s, &e, &t), 0);
	assert_int_equal(s, 100);
	assert_int_equal(e, 199);
	assert_int_equal(t, 1000);
	assert_int_equal(reg_content_range_parse("bytes 0-0/*", &s, &e, &t), 0);
	assert_int_equal(t, -1);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		assert_int_equal(reg_content_range_parse(bad[i], &s, &e, &t), -EINVAL);
	assert_int_equal(reg_content_range_parse(NULL, &s, &e, &t), -EINVAL);
}

static void test_resume_decide(void **state)
{
	assert_int_equal(reg_resume_decide(206, "bytes 100-999/1000", 100), REG_RESUME_CONTINUE);
	assert_int_equal(reg_resume_decide(206, "bytes 50-999/1000", 100), REG_RESUME_INVALID);
	assert_int_equal(reg_resume_decide(206, NULL, 100), REG_RESUME_INVALID);
	assert_int_equal(reg_resume_decide(206, "garbage", 100), REG_RESUME_INVALID);
	/* the server ignored Range: the whole body again */
	assert_int_equal(reg_resume_decide(200, NULL, 100), REG_RESUME_RESTART);
	assert_int_equal(reg_resume_decide(200, NULL, 0), REG_RESUME_CONTINUE);
	assert_int_equal(reg_resume_decide(416, "bytes */1000", 100), REG_RESUME_INVALID);
}

static void assert_message(long status, const char *body, char *const *ch, const char *want)
{
	_cleanup_free_ char *m = reg_error_message(status, body, body ? strlen(body) : 0, ch);

	assert_non_null(m);
	assert_string_equal(m, want);
}

static void test_error_messages(void **state)
{
	char *bearer[] = {"Bearer realm=\"x\",error=\"insufficient_scope\"", NULL};
	char *bearer2[] = {"Bearer realm=\"x\",error=\"invalid_token\",error_description=\"exp\"",
	                   NULL};

	assert_message(404,
	               "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest "
	               "unknown\",\"detail\":{\"Tag\":\"x\"}}]}",
	               NULL, "manifest unknown: manifest unknown");
	assert_message(400,
	               "{\"errors\":[{\"code\":\"DIGEST_INVALID\",\"message\":\"a\"},"
	               "{\"code\":\"SIZE_INVALID\",\"message\":\"b\"}]}",
	               NULL, "errors:\ndigest invalid: a\nsize invalid: b\n");
	assert_message(401, "{\"details\":\"incorrect username or password\"}", NULL,
	               "unauthorized: incorrect username or password");
	assert_message(429, "{\"details\":\"slow down\"}", NULL, "toomanyrequests: slow down");
	assert_message(401, NULL, NULL, "unauthorized: authentication required");
	assert_message(403, "{}", bearer, "denied: requested access to the resource is denied");
	assert_message(401, NULL, bearer2, "unauthorized: exp");
	assert_message(500, "<html>oops</html>", NULL,
	               "received unexpected HTTP status: 500 Internal Server Error");
	assert_message(502, "{\"errors\":[]}", NULL,
	               "received unexpected HTTP status: 502 Bad Gateway");
	assert_message(404, "{\"errors\":[{\"message\":\"m\"}]}", NULL, "unknown: m");

	assert_int_equal(reg_status_errno(404), ENOENT);
	assert_int_equal(reg_status_errno(401), EACCES);
	assert_int_equal(reg_status_errno(403), EACCES);
	assert_int_equal(reg_status_errno(429), EAGAIN);
	assert_int_equal(reg_status_errno(400), EINVAL);
	assert_int_equal(reg_status_errno(503), EIO);
}

/* ---- a scripted HTTP server on 127.0.0.1 ---- */

#define MAX_ROUTES 16
#define MAX_LOG    64

struct route {
	const char *method; /* NULL: any */
	const char *path;   /* exact, or a prefix when it ends with '*' */
	int status;
	const char *headers; /* extra lines, each ending in \r\n */
	const char *body;
	size_t body_len;  /* 0: strlen(body) */
	int fail_first;   /* answer 500 this many times first */
	size_t cut_after; /* first full answer: send only this many body bytes, then close */
	bool ranges;      /* honour Range: bytes=N- with a 206 */
	int hits;
};

struct fake {
	int fd, port;
	pthread_t thread;
	struct route routes[MAX_ROUTES];
	size_t n_routes;
	char log[MAX_LOG][512]; /* "METHOD path auth=<value|-> range=<value|->" */
	size_t n_log;
	bool stop;
	pthread_mutex_t lock;
};

static const char *header_of(const char *req, const char *name, char *buf, size_t len)
{
	const char *p = req;

	while ((p = strstr(p, "\r\n"))) {
		p += 2;
		if (strncasecmp(p, name, strlen(name)) == 0 && p[strlen(name)] == ':') {
			const char *v = p + strlen(name) + 1, *end = strstr(v, "\r\n");
			while (*v == ' ')
				v++;
			snprintf(buf, len, "%.*s", (int)(end ? end - v : (ptrdiff_t)strlen(v)), v);
			return buf;
		}
	}
	return NULL;
}

static struct route *route_find(struct fake *f, const char *method, const char *path)
{
	for (size_t i = 0; i < f->n_routes; i++) {
		struct route *r = &f->routes[i];
		size_t len = strlen(r->path);
		bool match = r->path[len - 1] == '*' ? strncmp(path, r->path, len - 1) == 0
		                                     : streq(path, r->path);

		if (match && (!r->method || streq(r->method, method)))
			return r;
	}
	return NULL;
}

static void respond(int fd, const char *method, struct route *r, const char *range)
{
	size_t len = r ? (r->body_len ? r->body_len : strlen(r->body ?: "")) : 0, off = 0;
	int status = r ? r->status : 404;
	char head[2048];
	bool cut = false;
	unsigned long long start;

	if (r && r->hits++ < r->fail_first)
		status = 500, len = 0;
	else if (r && r->cut_after && r->hits == r->fail_first + 1)
		cut = true;
	else if (r && r->ranges && range && sscanf(range, "bytes=%llu-", &start) == 1 &&
	         start < len) {
		status = 206;
		off = start;
	}
	int n = snprintf(head, sizeof(head),
	                 "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n"
	                 "Connection: close\r\n%s",
	                 status, len - off, r && status != 500 ? r->headers ?: "" : "");
	if (status == 206)
		n += snprintf(head + n, sizeof(head) - n, "Content-Range: bytes %zu-%zu/%zu\r\n",
		              off, len - 1, len);
	n += snprintf(head + n, sizeof(head) - n, "\r\n");
	(void)!write(fd, head, n);
	if (streq(method, "HEAD") || status == 500 || !len)
		return;
	(void)!write(fd, r->body + off, cut ? r->cut_after : len - off);
}

static void serve_one(struct fake *f, int fd)
{
	char req[16384], method[16] = "", path[400] = "", auth[64], range[64], *end;
	size_t have = 0;
	ssize_t n;
	long body = 0;
	struct pollfd p = {.fd = fd, .events = POLLIN};

	while (have < sizeof(req) - 1 && poll(&p, 1, 5000) == 1 &&
	       (n = read(fd, req + have, sizeof(req) - 1 - have)) > 0) {
		have += n;
		req[have] = 0;
		if ((unsigned char)req[0] == 0x16)
			return; /* a TLS ClientHello: we speak plain HTTP */
		if ((end = strstr(req, "\r\n\r\n")))
			break;
	}
	req[have] = 0;
	end = strstr(req, "\r\n\r\n");
	if (!end || sscanf(req, "%15s %399s", method, path) != 2)
		return;
	if (header_of(req, "Content-Length", range, sizeof(range)))
		body = atol(range);
	for (long left = body - (long)(have - (end + 4 - req)); left > 0;) {
		if (poll(&p, 1, 5000) != 1 ||
		    (n = read(fd, req, MIN((long)sizeof(req), left))) <= 0)
			break;
		left -= n;
	}
	pthread_mutex_lock(&f->lock);
	if (f->n_log < MAX_LOG)
		snprintf(f->log[f->n_log++], sizeof(f->log[0]), "%s %s auth=%s range=%s", method,
		         path, header_of(req, "Authorization", auth, sizeof(auth)) ?: "-",
		         header_of(req, "Range", range, sizeof(range)) ?: "-");
	struct route *r = route_find(f, method, path);
	respond(fd, method, r, header_of(req, "Range", range, sizeof(range)));
	pthread_mutex_unlock(&f->lock);
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;

	while (!__atomic_load_n(&f->stop, __ATOMIC_RELAXED)) {
		struct pollfd p = {.fd = f->fd, .events = POLLIN};
		int c;

		if (poll(&p, 1, 100) != 1)
			continue;
		c = accept4(f->fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		serve_one(f, c);
		shutdown(c, SHUT_RDWR);
		close(c);
	}
	return NULL;
}

static struct fake *fake_start(void)
{
	struct fake *f = calloc(1, sizeof(*f));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);

	assert_non_null(f);
	f->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(f->fd >= 0);
	assert_int_equal(bind(f->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(f->fd, 64), 0);
	assert_int_equal(getsockname(f->fd, (struct sockaddr *)&a, &len), 0);
	f->port = ntohs(a.sin_port);
	pthread_mutex_init(&f->lock, NULL);
	return f;
}

static void fake_run(struct fake *f)
{
	assert_int_equal(pthread_create(&f->thread, NULL, fake_main, f), 0);
}

static void fake_stop(struct fake *f)
{
	__atomic_store_n(&f->stop, true, __ATOMIC_RELAXED);
	pthread_join(f->thread, NULL);
	close(f->fd);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

static struct route *fake_route(struct fake *f, const char *method, const char *path, int status,
                                const char *headers, const char *body)
{
	struct route *r = &f->routes[f->n_routes++];

	assert_true(f->n_routes <= MAX_ROUTES);
	*r = (struct route){
	        .method = method, .path = path, .status = status, .headers = headers, .body = body};
	return r;
}

/* How many log lines contain all of the given fragments. */
static int fake_count(struct fake *f, const char *a, const char *b)
{
	int k = 0;

	for (size_t i = 0; i < f->n_log; i++)
		k += strstr(f->log[i], a) && (!b || strstr(f->log[i], b));
	return k;
}

static char *host_of(const struct fake *f)
{
	return str_printf("127.0.0.1:%d", f->port);
}

static int creds_lookup(const char *host, struct registry_auth *ret, void *data)
{
	*ret = (struct registry_auth){.username = strdup("alice"), .password = strdup("s3cret")};
	return 0;
}

/* The http endpoint of a fake, with alice's credentials. */
static struct reg_endpoint *fake_endpoint(struct reg_client *c, struct fake *f)
{
	_cleanup_free_ char *host = host_of(f);
	struct reg_endpoint **v = NULL, *ep;
	size_t n = 0;

	assert_int_equal(reg_endpoints(c, host, true, &v, &n, NULL), 0);
	assert_int_equal(n, 2);
	ep = v[1];
	v[1] = NULL;
	reg_endpoints_free(v, 1);
	assert_string_equal(ep->scheme, "http");
	return ep;
}

static char *nodirs[] = {"/nonexistent", NULL};

static void test_http_redirect_drops_credentials(void **state)
{
	struct fake *reg = fake_start(), *cdn = fake_start();
	struct registry_options o = {.certs_dirs = nodirs, .auth_lookup = creds_lookup};
	_cleanup_(reg_client_freep) struct reg_client *c = NULL;
	_cleanup_(reg_endpoint_freep) struct reg_endpoint *ep = NULL;
	_cleanup_free_ char *loc =
	        str_printf("Location: http://127.0.0.1:%d/blob?sig=1\r\n", cdn->port);
	_cleanup_free_ char *same = str_printf("Location: /v2/moved\r\n");
	struct reg_request rq = {.method = "GET", .url = "/v2/a/blobs/x"};
	struct reg_response rs = {.content_length = -1};

	fake_route(reg, NULL, "/v2/", 401, "WWW-Authenticate: Basic realm=\"t\"\r\n", "");
	fake_route(reg, "GET", "/v2/a/blobs/x", 307, loc, "");
	fake_route(reg, "GET", "/v2/same", 302, same, "");
	fake_route(reg, "GET", "/v2/moved", 200, NULL, "here");
	fake_route(cdn, "GET", "/blob*", 200, NULL, "blob bytes");
	fake_run(reg);
	fake_run(cdn);
	assert_int_equal(reg_client_new(&o, NULL, NULL, &c, NULL), 0);
	ep = fake_endpoint(c, reg);
	assert_int_equal(reg_send(ep, &rq, &rs, NULL), 0);
	assert_int_equal(rs.status, 200);
	assert_string_equal(rs.body, "blob bytes");
	/* the registry got the credentials; the other origin did not */
	assert_int_equal(fake_count(reg, "GET /v2/a/blobs/x", "auth=Basic "), 1);
	assert_int_equal(fake_count(cdn, "GET /blob?sig=1", "auth=-"), 1);
	assert_int_equal(fake_count(cdn, "auth=Basic", NULL), 0);
	reg_response_release(&rs);
	/* a redirect on the same origin keeps them */
	rq.url = "/v2/same";
	assert_int_equal(reg_send(ep, &rq, &rs, NULL), 0);
	assert_string_equal(rs.body, "here");
	assert_int_equal(fake_count(reg, "GET /v2/moved", "auth=Basic "), 1);
	reg_response_release(&rs);
	fake_stop(reg);
	fake_stop(cdn);
}

static void test_http_retries(void **state)
{
	struct fake *reg = fake_start();
	struct registry_options o = {.certs_dirs = nodirs};
	_cleanup_(reg_client_freep) struct reg_client *c = NULL;
	_cleanup_(reg_endpoint_freep) struct reg_endpoint *ep = NULL;
	struct reg_request rq = {.method = "GET", .url = "/v2/flaky"};
	struct reg_response rs = {.content_length = -1};
	_cleanup_error_ struct husk_error *err = NULL;

	fake_route(reg, NULL, "/v2/", 200, NULL, "{}");
	fake_route(reg, "GET", "/v2/flaky", 200, NULL, "ok")->fail_first = 2;
	fake_route(reg, "GET", "/v2/down", 200, NULL, "never")->fail_first = 100;
	fake_route(reg, "PUT", "/v2/put", 200, NULL, "")->fail_first = 1;
	fake_run(reg);
	assert_int_equal(reg_client_new(&o, NULL, NULL, &c, NULL), 0);
	ep = fake_endpoint(c, reg);
	assert_int_equal(reg_send(ep, &rq, &rs, NULL), 0);
	assert_int_equal(rs.status, 200);
	assert_int_equal(fake_count(reg, "GET /v2/flaky", NULL), 3);
	reg_response_release(&rs);
	/* always failing: the last answer after REG_MAX_ATTEMPTS tries */
	rq.url = "/v2/down";
	assert_int_equal(reg_send(ep, &rq, &rs, NULL), 0);
	assert_int_equal(rs.status, 500);
	assert_int_equal(fake_count(reg, "GET /v2/down", NULL), REG_MAX_ATTEMPTS);
	assert_int_equal(reg_status_error(&rs, &err, "x"), -EIO);
	assert_string_equal(error_message(err),
	                    "x: received unexpected HTTP status: 500 Internal Server Error");
	reg_response_release(&rs);
	/* a PUT is not repeated by the transport */
	rq = (struct reg_request){.method = "PUT", .url = "/v2/put", .body = "b", .body_len = 1};
	assert_int_equal(reg_send(ep, &rq, &rs, NULL), 0);
	assert_int_equal(rs.status, 500);
	assert_int_equal(fake_count(reg, "PUT /v2/put", NULL), 1);
	reg_response_release(&rs);
	fake_stop(reg);
}

/* ---- pulls against the fake ---- */

struct fx {
	char dir[64];
	struct store *s;
	struct fake *f;
	char *host;
	/* documents served; kept alive for the routes */
	char *docs[64];
	size_t n_docs;
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));

	if (!x)
		return -1;
	strcpy(x->dir, "/tmp/husk-test-regclient-XXXXXX");
	if (!mkdtemp(x->dir) || store_open(x->dir, &x->s, NULL) < 0)
		return -1;
	store_set_grace(x->s, 0);
	x->f = fake_start();
	x->host = host_of(x->f);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	fake_stop(x->f);
	store_free(x->s);
	nftw(x->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	for (size_t i = 0; i < x->n_docs; i++)
		free(x->docs[i]);
	free(x->host);
	free(x);
	return 0;
}

static const char *keep(struct fx *x, char *s)
{
	assert_non_null(s);
	assert_true(x->n_docs < ELEMENTSOF(x->docs));
	x->docs[x->n_docs++] = s;
	return s;
}

static const char *digest_of(struct fx *x, const char *s, size_t len)
{
	struct digest d;

	digest_buf(s, len ? len : strlen(s), &d);
	return keep(x, strdup(d.str));
}

static const char *blob_path(struct fx *x, const char *digest)
{
	return keep(x, str_printf("/v2/app/blobs/%s", digest));
}

static const char *manifest_path(struct fx *x, const char *ref)
{
	return keep(x, str_printf("/v2/app/manifests/%s", ref));
}

static const char *content_type(struct fx *x, const char *type, const char *digest)
{
	return keep(x,
	            str_printf("Content-Type: %s\r\nDocker-Content-Digest: %s\r\n", type, digest));
}

/* An empty layer tar: two zero blocks. */
static char empty_tar[1024];

/* Serve an image for arch (its config names it); ret the manifest's text. */
static const char *serve_image(struct fx *x, const char *arch, const char **ret_config_digest)
{
	const char *layer = digest_of(x, empty_tar, sizeof(empty_tar));
	const char *config = keep(x, str_printf("{\"architecture\":\"%s\",\"os\":\"linux\","
	                                        "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":"
	                                        "[\"%s\"]},\"config\":{\"Cmd\":[\"sh\"]}}",
	                                        arch, layer));
	const char *cd = digest_of(x, config, 0);
	const char *manifest = keep(
	        x, str_printf("{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":"
	                      "\"%s\",\"digest\":\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":"
	                      "\"%s\",\"digest\":\"%s\",\"size\":%zu}]}",
	                      MEDIA_TYPE_OCI_MANIFEST, MEDIA_TYPE_OCI_CONFIG, cd, strlen(config),
	                      MEDIA_TYPE_OCI_LAYER, layer, sizeof(empty_tar)));
	const char *md = digest_of(x, manifest, 0);
	struct route *lr;

	fake_route(x->f, "GET", blob_path(x, cd), 200, NULL, config);
	lr = fake_route(x->f, "GET", blob_path(x, layer), 200, NULL, empty_tar);
	lr->body_len = sizeof(empty_tar);
	fake_route(x->f, "GET", manifest_path(x, md), 200,
	           content_type(x, MEDIA_TYPE_OCI_MANIFEST, md), manifest);
	*ret_config_digest = cd;
	return manifest;
}

static void pull_options(struct registry_options *o)
{
	*o = (struct registry_options){.certs_dirs = nodirs};
}

static int events_seen;

static void count_events(const struct registry_event *ev, void *data)
{
	char *buf = data;

	events_seen++;
	if (buf && strlen(buf) + 200 < 4096)
		snprintf(buf + strlen(buf), 4096 - strlen(buf), "%s%s%s\n", ev->id ?: "",
		         ev->id ? ": " : "", ev->status ?: "");
}

static void test_pull_index_platform(void **state)
{
	struct fx *x = *state;
	const char *amd_cfg, *arm_cfg;
	const char *amd = serve_image(x, "amd64", &amd_cfg);
	const char *arm = serve_image(x, "arm64", &arm_cfg);
	const char *index = keep(
	        x, str_printf("{\"schemaVersion\":2,\"mediaType\":\"%s\",\"manifests\":["
	                      "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu,\"platform\":"
	                      "{\"os\":\"linux\",\"architecture\":\"arm64\"}},"
	                      "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu,\"platform\":"
	                      "{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}",
	                      MEDIA_TYPE_OCI_INDEX, MEDIA_TYPE_OCI_MANIFEST, digest_of(x, arm, 0),
	                      strlen(arm), MEDIA_TYPE_OCI_MANIFEST, digest_of(x, amd, 0),
	                      strlen(amd)));
	const char *idx_digest = digest_of(x, index, 0);
	_cleanup_free_ char *ref = str_printf("%s/app:v1", x->host);
	_cleanup_free_ char *tag = str_printf("%s/app:v1", x->host);
	_cleanup_(store_image_freep) struct store_image *img = NULL;
	struct registry_options o;
	char log[4096] = "";
	struct digest id;

	fake_route(x->f, NULL, "/v2/", 200, NULL, "{}");
	fake_route(x->f, "GET", manifest_path(x, "v1"), 200,
	           content_type(x, MEDIA_TYPE_OCI_INDEX, idx_digest), index);
	fake_run(x->f);
	pull_options(&o);
	assert_int_equal(
	        registry_pull(x->s, &o, ref, "linux/arm64", 0, count_events, log, &id, NULL), 0);
	assert_string_equal(id.str, arm_cfg);
	assert_non_null(strstr(log, "Pulling from app\n"));
	assert_non_null(strstr(log, ": Pull complete\n"));
	assert_non_null(strstr(log, "Status: Downloaded newer image for "));
	/* the repo digest is the index's, the tag points at the arm64 image */
	assert_int_equal(store_image_get(x->s, tag, &img, NULL), 0);
	assert_string_equal(img->id.str, arm_cfg);
	assert_non_null(img->repo_digests);
	assert_non_null(strstr(img->repo_digests[0], idx_digest));
	/* the host's platform (amd64 here) picks the other one */
	assert_int_equal(registry_pull(x->s, &o, ref, NULL, 0, NULL, NULL, &id, NULL), 0);
	assert_string_equal(id.str, amd_cfg);
	/* the same layer again: nothing downloaded, and then up to date */
	log[0] = 0;
	assert_int_equal(registry_pull(x->s, &o, ref, NULL, 0, count_events, log, &id, NULL), 0);
	assert_non_null(strstr(log, ": Already exists\n"));
	assert_non_null(strstr(log, "Status: Image is up to date for "));
	/* a platform no entry has */
	_cleanup_error_ struct husk_error *err = NULL;
	assert_int_equal(registry_pull(x->s, &o, ref, "linux/s390x", 0, NULL, NULL, NULL, &err),
	                 -ENOENT);
	assert_non_null(strstr(error_message(err), "no matching manifest for linux/s390x"));
}

static void test_pull_refusals(void **state)
{
	struct fx *x = *state;
	const char *cfg;
	const char *m = serve_image(x, "amd64", &cfg);
	const char *md = digest_of(x, m, 0);
	const char *schema1 = "{\"schemaVersion\":1,\"name\":\"app\",\"tag\":\"old\","
	                      "\"fsLayers\":[]}";
	const char *lie = content_type(x, MEDIA_TYPE_OCI_MANIFEST,
	                               "sha256:0000000000000000000000000000000000000000000000000000"
	                               "000000000000");
	_cleanup_(store_image_list_freep) struct store_image **imgs = NULL;
	struct registry_options o;
	struct {
		const char *tag;
		const char *platform;
		int code;
		const char *msg;
	} cases[] = {
	        {"old", NULL, -EPROTONOSUPPORT, "schema 1"},
	        {"lie", NULL, -EILSEQ, "Docker-Content-Digest says"},
	        {"nope", NULL, -ENOENT, "not found: manifest unknown: manifest unknown"},
	        {"v1", "linux/arm64", -ENOENT, "does not match the specified platform"},
	        {"denied", NULL, -EACCES, "pull access denied for"},
	};

	fake_route(x->f, NULL, "/v2/", 200, NULL, "{}");
	fake_route(x->f, "GET", manifest_path(x, "old"), 200,
	           "Content-Type: " MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED "\r\n", schema1);
	fake_route(x->f, "GET", manifest_path(x, "lie"), 200, lie, m);
	fake_route(x->f, "GET", manifest_path(x, "v1"), 200,
	           content_type(x, MEDIA_TYPE_OCI_MANIFEST, md), m);
	fake_route(x->f, "GET", manifest_path(x, "denied"), 403, NULL,
	           "{\"errors\":[{\"code\":\"DENIED\",\"message\":\"no\"}]}");
	fake_route(x->f, "GET", manifest_path(x, "nope"), 404, NULL,
	           "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest "
	           "unknown\"}]}");
	fake_route(x->f, "GET", "/v2/app/manifests/sha256:1111*", 200, NULL, m);
	fake_run(x->f);
	pull_options(&o);
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_free_ char *ref = str_printf("%s/app:%s", x->host, cases[i].tag);
		_cleanup_error_ struct husk_error *err = NULL;

		assert_int_equal(
		        registry_pull(x->s, &o, ref, cases[i].platform, 0, NULL, NULL, NULL, &err),
		        cases[i].code);
		if (!strstr(error_message(err), cases[i].msg))
			fail_msg("%s: %s", cases[i].tag, error_message(err));
		assert_true(startswith(error_message(err), "pull \""));
	}
	/* a digest reference whose bytes differ */
	_cleanup_free_ char *bad = str_printf("%s/app@%s", x->host,
	                                      "sha256:1111111111111111111111111111111111111111111"
	                                      "111111111111111111111");
	assert_int_equal(registry_pull(x->s, &o, bad, NULL, 0, NULL, NULL, NULL, NULL), -EILSEQ);
	/* nothing was recorded by any of them */
	assert_int_equal(store_image_list(x->s, &imgs, NULL), 0);
	assert_null(imgs[0]);
}

/* A tar of one file of n blocks of 'x': header, data, two zero blocks. */
static char *big_tar(size_t blocks, size_t *ret_len)
{
	size_t len = 512 + blocks * 512 + 1024;
	char *t = calloc(1, len);
	unsigned sum = 0;

	assert_non_null(t);
	snprintf(t, 100, "big");
	snprintf(t + 100, 8, "0000644");
	snprintf(t + 108, 8, "0000000");
	snprintf(t + 116, 8, "0000000");
	snprintf(t + 124, 12, "%011zo", blocks * 512);
	snprintf(t + 136, 12, "%011o", 0);
	t[156] = '0';
	memcpy(t + 257, "ustar", 6);
	memcpy(t + 263, "00", 2);
	memset(t + 148, ' ', 8);
	for (size_t i = 0; i < 512; i++)
		sum += (unsigned char)t[i];
	snprintf(t + 148, 8, "%06o", sum);
	memset(t + 512, 'x', blocks * 512);
	*ret_len = len;
	return t;
}

static void test_pull_resume(void **state)
{
	struct fx *x = *state;
	size_t len = 0;
	const char *big = keep(x, big_tar(600, &len));
	const char *layer = digest_of(x, big, len);
	const char *config = keep(x, str_printf("{\"architecture\":\"amd64\",\"os\":\"linux\","
	                                        "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":"
	                                        "[\"%s\"]}}",
	                                        layer));
	const char *cd = digest_of(x, config, 0);
	const char *m = keep(
	        x, str_printf("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"%s\",\"digest\":"
	                      "\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":\"%s\",\"digest\":"
	                      "\"%s\",\"size\":%zu}]}",
	                      MEDIA_TYPE_OCI_CONFIG, cd, strlen(config), MEDIA_TYPE_OCI_LAYER,
	                      layer, len));
	_cleanup_free_ char *ref = str_printf("%s/app:big", x->host);
	struct registry_options o;
	struct route *lr;
	struct digest id;

	fake_route(x->f, NULL, "/v2/", 200, NULL, "{}");
	fake_route(x->f, "GET", manifest_path(x, "big"), 200,
	           content_type(x, MEDIA_TYPE_OCI_MANIFEST, digest_of(x, m, 0)), m);
	fake_route(x->f, "GET", blob_path(x, cd), 200, NULL, config);
	lr = fake_route(x->f, "GET", blob_path(x, layer), 200, NULL, big);
	lr->body_len = len;
	lr->cut_after = 123456; /* the first answer stops there */
	lr->ranges = true;
	fake_run(x->f);
	pull_options(&o);
	assert_int_equal(registry_pull(x->s, &o, ref, NULL, 0, NULL, NULL, &id, NULL), 0);
	assert_string_equal(id.str, cd);
	/* the second request asked for the rest only */
	assert_int_equal(fake_count(x->f, "/blobs/sha256:", "range=bytes=123456-"), 1);
}

static void test_sources(void **state)
{
	struct fx *x = *state;
	struct digest d;
	_cleanup_strv_ char **v = NULL;

	assert_int_equal(store_blob_put(x->s, "abc", 3, NULL, &d, NULL), 0);
	assert_int_equal(reg_sources_get(x->s, &d, &v), 0);
	assert_null(v[0]);
	strv_free(TAKE_PTR(v));
	assert_int_equal(reg_sources_add(x->s, &d, 1, "r:5000/a", NULL), 0);
	assert_int_equal(reg_sources_add(x->s, &d, 1, "r:5000/b", NULL), 0);
	assert_int_equal(reg_sources_add(x->s, &d, 1, "r:5000/a", NULL), 0);
	assert_int_equal(reg_sources_get(x->s, &d, &v), 0);
	assert_string_equal(v[0], "r:5000/a"); /* most recent first, once */
	assert_string_equal(v[1], "r:5000/b");
	assert_null(v[2]);
	strv_free(TAKE_PTR(v));
	for (int i = 0; i < 20; i++) {
		_cleanup_free_ char *r = str_printf("r:5000/n%d", i);
		assert_int_equal(reg_sources_add(x->s, &d, 1, r, NULL), 0);
	}
	assert_int_equal(reg_sources_get(x->s, &d, &v), 0);
	assert_int_equal(strv_length(v), REG_SOURCES_PER_BLOB);
	strv_free(TAKE_PTR(v));
	/* a damaged file is only a lost hint */
	_cleanup_free_ char *path = path_join(store_dir(x->s), REG_SOURCES_FILE);
	assert_int_equal(atomic_write_file(path, "{nope", 5, 0600, NULL), 0);
	assert_int_equal(reg_sources_get(x->s, &d, &v), 0);
	assert_null(v[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_challenge_bearer),
	        cmocka_unit_test(test_challenge_several),
	        cmocka_unit_test(test_challenge_quoted),
	        cmocka_unit_test(test_challenge_bad),
	        cmocka_unit_test(test_scope_merge),
	        cmocka_unit_test(test_token_parse),
	        cmocka_unit_test(test_loopback_cidr),
	        cmocka_unit_test(test_insecure_rules),
	        cmocka_unit_test(test_host_key),
	        cmocka_unit_test(test_endpoints),
	        cmocka_unit_test(test_endpoints_bad_mirror),
	        cmocka_unit_test(test_tls_load),
	        cmocka_unit_test(test_origin_policy),
	        cmocka_unit_test(test_url_helpers),
	        cmocka_unit_test(test_content_range),
	        cmocka_unit_test(test_resume_decide),
	        cmocka_unit_test(test_error_messages),
	        cmocka_unit_test(test_http_redirect_drops_credentials),
	        cmocka_unit_test(test_http_retries),
	        cmocka_unit_test_setup_teardown(test_pull_index_platform, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_pull_refusals, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_pull_resume, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_sources, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
