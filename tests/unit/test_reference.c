/* Unit tests for src/image/reference.c: Docker's reference grammar and
 * normalisation, with cases from distribution/reference's own tables. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "base/str.h"
#include "image/reference.h"

#define F64   "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
#define D64   "86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa"
#define HEX64 "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a"
#define A10   "aaaaaaaaaa"
#define A100  A10 A10 A10 A10 A10 A10 A10 A10 A10 A10
/* 128 and 129 word characters */
#define TAG128 A100 "bbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define TAG129 TAG128 "c"

struct good {
	const char *in;
	const char *domain;
	const char *path;
	const char *tag;      /* NULL: none */
	const char *digest;   /* NULL: none */
	const char *full;     /* image_ref_string */
	const char *familiar; /* image_ref_familiar */
};

static const struct good goods[] = {
        /* Docker Hub normalisation */
        {"busybox", "docker.io", "library/busybox", "latest", NULL,
         "docker.io/library/busybox:latest", "busybox:latest"},
        {"busybox:1.36", "docker.io", "library/busybox", "1.36", NULL,
         "docker.io/library/busybox:1.36", "busybox:1.36"},
        {"user/app", "docker.io", "user/app", "latest", NULL, "docker.io/user/app:latest",
         "user/app:latest"},
        {"user/app:v1", "docker.io", "user/app", "v1", NULL, "docker.io/user/app:v1",
         "user/app:v1"},
        {"docker.io/busybox", "docker.io", "library/busybox", "latest", NULL,
         "docker.io/library/busybox:latest", "busybox:latest"},
        {"docker.io/library/busybox", "docker.io", "library/busybox", "latest", NULL,
         "docker.io/library/busybox:latest", "busybox:latest"},
        {"index.docker.io/busybox", "docker.io", "library/busybox", "latest", NULL,
         "docker.io/library/busybox:latest", "busybox:latest"},
        {"index.docker.io/user/app:x", "docker.io", "user/app", "x", NULL, "docker.io/user/app:x",
         "user/app:x"},
        {"library/busybox", "docker.io", "library/busybox", "latest", NULL,
         "docker.io/library/busybox:latest", "busybox:latest"},
        {"docker.io/library/foo/bar", "docker.io", "library/foo/bar", "latest", NULL,
         "docker.io/library/foo/bar:latest", "library/foo/bar:latest"},
        {"other/library", "docker.io", "other/library", "latest", NULL,
         "docker.io/other/library:latest", "other/library:latest"},
        {"store/foo/bar", "docker.io", "store/foo/bar", "latest", NULL,
         "docker.io/store/foo/bar:latest", "store/foo/bar:latest"},
        /* other registries */
        {"localhost/a", "localhost", "a", "latest", NULL, "localhost/a:latest",
         "localhost/a:latest"},
        {"localhost:5000/a/b:c", "localhost:5000", "a/b", "c", NULL, "localhost:5000/a/b:c",
         "localhost:5000/a/b:c"},
        {"127.0.0.1:5000/bb:v1", "127.0.0.1:5000", "bb", "v1", NULL, "127.0.0.1:5000/bb:v1",
         "127.0.0.1:5000/bb:v1"},
        {"host:5000/a/b:tag", "host:5000", "a/b", "tag", NULL, "host:5000/a/b:tag",
         "host:5000/a/b:tag"},
        {"test.com/repo:tag", "test.com", "repo", "tag", NULL, "test.com/repo:tag",
         "test.com/repo:tag"},
        {"test:5000/repo", "test:5000", "repo", "latest", NULL, "test:5000/repo:latest",
         "test:5000/repo:latest"},
        {"test.com:10304/j8-3", "test.com:10304", "j8-3", "latest", NULL,
         "test.com:10304/j8-3:latest", "test.com:10304/j8-3:latest"},
        {"test-com:8080/foo", "test-com:8080", "foo", "latest", NULL, "test-com:8080/foo:latest",
         "test-com:8080/foo:latest"},
        {"example.com:8000/private/moonbase", "example.com:8000", "private/moonbase", "latest",
         NULL, "example.com:8000/private/moonbase:latest",
         "example.com:8000/private/moonbase:latest"},
        {"sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com", "bar/baz/quux",
         "some-long-tag", NULL, "sub-dom1.foo.com/bar/baz/quux:some-long-tag",
         "sub-dom1.foo.com/bar/baz/quux:some-long-tag"},
        {"b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io", "test.example.com/my-app",
         "test.example.com", NULL, "b.gcr.io/test.example.com/my-app:test.example.com",
         "b.gcr.io/test.example.com/my-app:test.example.com"},
        {"xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com", "myimage", "xn--n3h.com", NULL,
         "xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com/myimage:xn--n3h.com"},
        {"xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo", "latest", NULL,
         "xn--n3h.com:18080/foo:latest", "xn--n3h.com:18080/foo:latest"},
        {"192.168.1.1/repo", "192.168.1.1", "repo", "latest", NULL, "192.168.1.1/repo:latest",
         "192.168.1.1/repo:latest"},
        {"192.168.1.1:5000/repo:5050", "192.168.1.1:5000", "repo", "5050", NULL,
         "192.168.1.1:5000/repo:5050", "192.168.1.1:5000/repo:5050"},
        {"192.168.0.1:8/debian", "192.168.0.1:8", "debian", "latest", NULL,
         "192.168.0.1:8/debian:latest", "192.168.0.1:8/debian:latest"},
        /* IPv6 hosts */
        {"[2001:db8::1]/repo", "[2001:db8::1]", "repo", "latest", NULL, "[2001:db8::1]/repo:latest",
         "[2001:db8::1]/repo:latest"},
        {"[2001:db8::1]:5000/x", "[2001:db8::1]:5000", "x", "latest", NULL,
         "[2001:db8::1]:5000/x:latest", "[2001:db8::1]:5000/x:latest"},
        {"[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]", "repo", "tag", NULL,
         "[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]/repo:tag"},
        {"[::1]:5000/repo", "[::1]:5000", "repo", "latest", NULL, "[::1]:5000/repo:latest",
         "[::1]:5000/repo:latest"},
        {"[2001:db8::]:5000/repo", "[2001:db8::]:5000", "repo", "latest", NULL,
         "[2001:db8::]:5000/repo:latest", "[2001:db8::]:5000/repo:latest"},
        {"[fc00::1]:5000/docker/docker", "[fc00::1]:5000", "docker/docker", "latest", NULL,
         "[fc00::1]:5000/docker/docker:latest", "[fc00::1]:5000/docker/docker:latest"},
        /* a first component with upper case is a domain */
        {"Docker/docker", "Docker", "docker", "latest", NULL, "Docker/docker:latest",
         "Docker/docker:latest"},
        {"FOO/bar", "FOO", "bar", "latest", NULL, "FOO/bar:latest", "FOO/bar:latest"},
        /* names that look like hosts but have no "/" are names */
        {"test_com", "docker.io", "library/test_com", "latest", NULL,
         "docker.io/library/test_com:latest", "test_com:latest"},
        {"test.com:tag", "docker.io", "library/test.com", "tag", NULL,
         "docker.io/library/test.com:tag", "test.com:tag"},
        {"test.com:5000", "docker.io", "library/test.com", "5000", NULL,
         "docker.io/library/test.com:5000", "test.com:5000"},
        {"foo_bar.com:8080", "docker.io", "library/foo_bar.com", "8080", NULL,
         "docker.io/library/foo_bar.com:8080", "foo_bar.com:8080"},
        {"foo/foo_bar.com:8080", "docker.io", "foo/foo_bar.com", "8080", NULL,
         "docker.io/foo/foo_bar.com:8080", "foo/foo_bar.com:8080"},
        {"192.168.1.1", "docker.io", "library/192.168.1.1", "latest", NULL,
         "docker.io/library/192.168.1.1:latest", "192.168.1.1:latest"},
        {"localhost", "docker.io", "library/localhost", "latest", NULL,
         "docker.io/library/localhost:latest", "localhost:latest"},
        {"test_com/foo", "docker.io", "test_com/foo", "latest", NULL,
         "docker.io/test_com/foo:latest", "test_com/foo:latest"},
        /* separators */
        {"docker---rules/docker", "docker.io", "docker---rules/docker", "latest", NULL,
         "docker.io/docker---rules/docker:latest", "docker---rules/docker:latest"},
        {"dock__er/docker", "docker.io", "dock__er/docker", "latest", NULL,
         "docker.io/dock__er/docker:latest", "dock__er/docker:latest"},
        {"d/docker", "docker.io", "d/docker", "latest", NULL, "docker.io/d/docker:latest",
         "d/docker:latest"},
        {"x/a.b-c_d__e", "docker.io", "x/a.b-c_d__e", "latest", NULL,
         "docker.io/x/a.b-c_d__e:latest", "x/a.b-c_d__e:latest"},
        /* tags */
        {"lowercase:Uppercase", "docker.io", "library/lowercase", "Uppercase", NULL,
         "docker.io/library/lowercase:Uppercase", "lowercase:Uppercase"},
        {"busybox:_x.y-Z", "docker.io", "library/busybox", "_x.y-Z", NULL,
         "docker.io/library/busybox:_x.y-Z", "busybox:_x.y-Z"},
        {"busybox:" TAG128, "docker.io", "library/busybox", TAG128, NULL,
         "docker.io/library/busybox:" TAG128, "busybox:" TAG128},
        /* hex-looking names that are not image IDs */
        {"thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev", "docker.io",
         "library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev", "latest", NULL,
         "docker.io/library/"
         "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev:latest",
         "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev:latest"},
        {"docker.io/" HEX64, "docker.io", "library/" HEX64, "latest", NULL,
         "docker.io/library/" HEX64 ":latest", HEX64 ":latest"},
        {"dbcc1", "docker.io", "library/dbcc1", "latest", NULL, "docker.io/library/dbcc1:latest",
         "dbcc1:latest"},
        {HEX64 ":tag", "docker.io", "library/" HEX64, "tag", NULL,
         "docker.io/library/" HEX64 ":tag", HEX64 ":tag"},
        /* digests */
        {"busybox@sha256:" D64, "docker.io", "library/busybox", NULL, "sha256:" D64,
         "docker.io/library/busybox@sha256:" D64, "busybox@sha256:" D64},
        {"busybox:latest@sha256:" D64, "docker.io", "library/busybox", "latest", "sha256:" D64,
         "docker.io/library/busybox:latest@sha256:" D64, "busybox:latest@sha256:" D64},
        {"test:5000/repo@sha256:" F64, "test:5000", "repo", NULL, "sha256:" F64,
         "test:5000/repo@sha256:" F64, "test:5000/repo@sha256:" F64},
        {"test:5000/repo:tag@sha256:" F64, "test:5000", "repo", "tag", "sha256:" F64,
         "test:5000/repo:tag@sha256:" F64, "test:5000/repo:tag@sha256:" F64},
        {"[2001:db8::1]:5000/repo:tag@sha256:" F64, "[2001:db8::1]:5000", "repo", "tag",
         "sha256:" F64, "[2001:db8::1]:5000/repo:tag@sha256:" F64,
         "[2001:db8::1]:5000/repo:tag@sha256:" F64},
        {"user/app@sha256:" F64, "docker.io", "user/app", NULL, "sha256:" F64,
         "docker.io/user/app@sha256:" F64, "user/app@sha256:" F64},
};

struct bad {
	const char *in;
	const char *msg; /* a substring of the error message */
};

static const struct bad bads[] = {
        {"", "invalid reference format"},
        {":justtag", "invalid reference format"},
        {"@sha256:" F64, "invalid reference format"},
        {"repo@sha256:ffffffffffffffffffffffffffffffffff", "invalid digest"},
        {"a@sha256:short", "invalid digest"},
        {"validname@invaliddigest:" F64, "unsupported digest algorithm"},
        {"busybox@sha512:" F64 F64, "unsupported digest algorithm"},
        {"busybox@sha256:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
         "invalid digest"},
        {"busybox@", "invalid digest"},
        /* the first "/" decides the domain, wherever it is (as in Docker) */
        {"busybox@sha256:" F64 "/x", "invalid domain"},
        {"a.b-c_d__e/f", "invalid domain \"a.b-c_d__e\""},
        {"Uppercase:tag",
         "invalid reference format: repository name (library/Uppercase) must be lowercase"},
        {"UPPER", "repository name (library/UPPER) must be lowercase"},
        {"test:5000/Uppercase/lowercase:tag",
         "repository name (Uppercase/lowercase) must be lowercase"},
        {"docker/Docker", "repository name (docker/Docker) must be lowercase"},
        {"docker.io/docker/Docker", "must be lowercase"},
        {"aa/asdf$$^/aa", "invalid path component \"asdf$$^\""},
        {"https://github.com/docker/docker", "invalid domain \"https:\""},
        {"-docker", "invalid path component"},
        {"-docker/docker", "invalid path component"},
        {"-docker.io/docker/docker", "invalid domain"},
        {"docker-/docker", "invalid path component"},
        {"-docker-/docker", "invalid path component"},
        {"____/____", "invalid path component"},
        {"_docker/_docker", "invalid path component"},
        /* a "." makes the first component a domain: refused as one */
        {"dock..er/docker", "invalid domain \"dock..er\""},
        {"dock_.er/docker", "invalid domain"},
        {"dock-.er/docker", "invalid domain"},
        {"x/dock..er", "invalid path component \"dock..er\""},
        {"x/dock_.er", "invalid path component"},
        {"x/dock-.er", "invalid path component"},
        {"x/dock.-er", "invalid path component"},
        {"x/dock._er", "invalid path component"},
        {"x/docker.", "invalid path component"},
        {"dock___er/docker", "invalid path component"},
        {"docker///docker", "empty path component"},
        {"docker.io/docker///docker", "empty path component"},
        {"docker/", "empty path component"},
        {"localhost/", "empty path component"},
        {"docker.io/", "empty path component"},
        {"/busybox", "empty path component"},
        {"a//b", "empty path component"},
        {"[2001:db8::1]", "invalid reference format"},
        {"[2001:db8::1]:5000", "invalid reference format"},
        {"[2001:db8::1]:tag", "invalid reference format"},
        {"[fc00::1]", "invalid reference format"},
        {"[fe80::1%eth0]:5000/repo", "invalid domain"},
        {"[fe80::1%@invalidzone]:5000/repo", "invalid reference format"},
        {"[2001:db8:3:4::192.0.2.33]:5000/debian", "invalid domain"},
        {"fc00::1:5000/debian", "invalid domain"},
        {"[]:5000/x", "invalid domain"},
        {"[::1/x", "invalid domain"},
        {"ho_st.com/x", "invalid domain"},
        {"host.com:5a/x", "invalid domain"},
        {"host.com:/x", "invalid domain"},
        {"host-.com/x", "invalid domain"},
        {"a..b.com/x", "invalid domain"},
        {"busybox:", "invalid tag \"\""},
        {"busybox:-tag", "invalid tag \"-tag\""},
        {"busybox:.tag", "invalid tag"},
        {"busybox:tag:more", "invalid tag"},
        {"busybox:t@g", "invalid digest"},
        {"busybox:t/g", "invalid domain \"busybox:t\""},
        {"busybox:" TAG129, "is longer than 128 characters"},
        {"bu sybox", "invalid path component"},
        {"busybox\n", "invalid path component"},
        {"busybox ", "invalid path component"},
        {HEX64, "invalid repository name (" HEX64 "), cannot specify 64-byte hexadecimal strings"},
        {"this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_"
         "namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_"
         "its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_"
         "greater_than_255/docker",
         "repository name must not be more than 255 characters"},
};

static char *repeat(const char *s, size_t n, const char *suffix)
{
	struct strbuf sb = {};

	for (size_t i = 0; i < n; i++)
		assert_int_equal(strbuf_puts(&sb, s), 0);
	assert_int_equal(strbuf_puts(&sb, suffix), 0);
	return strbuf_steal(&sb);
}

static void check_good(const struct good *g)
{
	struct image_ref r = {};
	struct husk_error *err = NULL;
	_cleanup_free_ char *full = NULL, *fam = NULL;
	int k = image_ref_parse(g->in, &r, &err);

	if (k < 0)
		fail_msg("\"%s\": %s", g->in, error_message(err));
	assert_string_equal(r.domain, g->domain);
	assert_string_equal(r.path, g->path);
	if (g->tag)
		assert_string_equal(r.tag, g->tag);
	else
		assert_null(r.tag);
	assert_int_equal(r.has_digest, g->digest != NULL);
	if (g->digest)
		assert_string_equal(r.digest.str, g->digest);
	full = image_ref_string(&r);
	fam = image_ref_familiar(&r);
	assert_string_equal(full, g->full);
	assert_string_equal(fam, g->familiar);
	image_ref_release(&r);
}

static void test_good_references(void **state)
{
	for (size_t i = 0; i < ELEMENTSOF(goods); i++)
		check_good(&goods[i]);
}

static void check_bad(const char *in, const char *msg)
{
	struct image_ref r = {};
	_cleanup_error_ struct husk_error *err = NULL;
	int k = image_ref_parse(in, &r, &err);

	if (k != -EINVAL)
		fail_msg("\"%s\" should be refused, got %d", in, k);
	assert_non_null(err);
	if (!strstr(error_message(err), msg))
		fail_msg("\"%s\": message \"%s\" lacks \"%s\"", in, error_message(err), msg);
	assert_null(r.domain);
	/* and without an error object */
	assert_int_equal(image_ref_parse(in, &r, NULL), -EINVAL);
}

static void test_bad_references(void **state)
{
	for (size_t i = 0; i < ELEMENTSOF(bads); i++)
		check_bad(bads[i].in, bads[i].msg);
	check_bad(NULL, "invalid reference format");
}

/* Exactly Docker's text where scripts match it. */
static void test_docker_messages(void **state)
{
	_cleanup_error_ struct husk_error *e1 = NULL, *e2 = NULL, *e3 = NULL;
	struct image_ref r = {};

	assert_int_equal(image_ref_parse("Foo", &r, &e1), -EINVAL);
	assert_string_equal(error_message(e1),
	                    "invalid reference format: repository name (library/Foo) must be "
	                    "lowercase");
	assert_int_equal(image_ref_parse(HEX64, &r, &e2), -EINVAL);
	assert_string_equal(error_message(e2), "invalid repository name (" HEX64
	                                       "), cannot specify 64-byte hexadecimal strings");
	assert_int_equal(image_ref_parse("a@sha256:short", &r, &e3), -EINVAL);
	assert_true(startswith(error_message(e3), "invalid reference format: "));
}

/* The name limit is on the path (distribution/reference v0.6), not the
 * domain: 255 characters pass, 256 do not. */
static void test_name_length(void **state)
{
	_cleanup_free_ char *ok = repeat("a/", 127, "a:tag-puts-this-over-max");
	_cleanup_free_ char *too = repeat("a/", 128, "a:tag");
	_cleanup_free_ char *ok_dom = repeat("a/", 127, "a");
	_cleanup_free_ char *ok_full = NULL;
	_cleanup_error_ struct husk_error *err = NULL;
	struct image_ref r = {};

	assert_int_equal(image_ref_parse(ok, &r, NULL), 0);
	assert_int_equal(strlen(r.path), 255);
	assert_string_equal(r.domain, "docker.io");
	assert_string_equal(r.tag, "tag-puts-this-over-max");
	image_ref_release(&r);
	assert_int_equal(image_ref_parse(too, &r, &err), -EINVAL);
	assert_string_equal(error_message(err),
	                    "repository name must not be more than 255 characters");
	/* with a long domain in front: still only the path counts */
	ok_full = str_printf("registry.example.com:5000/%s", ok_dom);
	assert_int_equal(image_ref_parse(ok_full, &r, NULL), 0);
	assert_string_equal(r.domain, "registry.example.com:5000");
	image_ref_release(&r);
}

static void test_round_trips(void **state)
{
	for (size_t i = 0; i < ELEMENTSOF(goods); i++) {
		struct image_ref a = {}, b = {}, c = {};
		_cleanup_free_ char *full = NULL, *fam = NULL, *full_b = NULL, *full_c = NULL;

		assert_int_equal(image_ref_parse(goods[i].in, &a, NULL), 0);
		full = image_ref_string(&a);
		fam = image_ref_familiar(&a);
		assert_int_equal(image_ref_parse(full, &b, NULL), 0);
		assert_int_equal(image_ref_parse(fam, &c, NULL), 0);
		full_b = image_ref_string(&b);
		full_c = image_ref_string(&c);
		assert_string_equal(full_b, full);
		assert_string_equal(full_c, full);
		image_ref_release(&a);
		image_ref_release(&b);
		image_ref_release(&c);
	}
}

static void test_repository_names(void **state)
{
	static const struct {
		const char *in, *repo, *familiar_repo;
	} cases[] = {
	        {"busybox:1", "docker.io/library/busybox", "busybox"},
	        {"user/app@sha256:" F64, "docker.io/user/app", "user/app"},
	        {"docker.io/library/a/b", "docker.io/library/a/b", "library/a/b"},
	        {"127.0.0.1:5000/bb:v1", "127.0.0.1:5000/bb", "127.0.0.1:5000/bb"},
	        {"localhost/x:y@sha256:" F64, "localhost/x", "localhost/x"},
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct image_ref r = {};
		_cleanup_free_ char *repo = NULL, *fam = NULL;

		assert_int_equal(image_ref_parse(cases[i].in, &r, NULL), 0);
		repo = image_ref_repository(&r);
		fam = image_ref_familiar_repository(&r);
		assert_string_equal(repo, cases[i].repo);
		assert_string_equal(fam, cases[i].familiar_repo);
		image_ref_release(&r);
	}
}

static void check_with_tag(const char *repo, const char *tag, const char *want)
{
	struct image_ref r = {};
	_cleanup_free_ char *s = NULL;
	struct husk_error *err = NULL;

	if (image_ref_with_tag(repo, tag, &r, &err) < 0)
		fail_msg("%s + %s: %s", repo, tag, error_message(err));
	s = image_ref_string(&r);
	assert_string_equal(s, want);
	image_ref_release(&r);
}

static void check_with_tag_fails(const char *repo, const char *tag, const char *msg)
{
	struct image_ref r = {};
	_cleanup_error_ struct husk_error *err = NULL;

	assert_int_equal(image_ref_with_tag(repo, tag, &r, &err), -EINVAL);
	assert_non_null(strstr(error_message(err), msg));
	assert_null(r.domain);
}

static void test_with_tag(void **state)
{
	check_with_tag("busybox", "v1", "docker.io/library/busybox:v1");
	check_with_tag("busybox:old", "new", "docker.io/library/busybox:new");
	check_with_tag("busybox", NULL, "docker.io/library/busybox:latest");
	check_with_tag("busybox:keep", "", "docker.io/library/busybox:keep");
	check_with_tag("test.com:8000/foo", "TAG5", "test.com:8000/foo:TAG5");
	check_with_tag("localhost:5000/a/b", TAG128, "localhost:5000/a/b:" TAG128);
	check_with_tag_fails("busybox@sha256:" F64, "x",
	                     "refusing to create a tag with a digest reference");
	check_with_tag_fails("busybox", "-foo", "invalid tag format");
	check_with_tag_fails("busybox", TAG129, "invalid tag format");
	check_with_tag_fails("busybox", "a:b", "invalid tag format");
	check_with_tag_fails("Bad", "x", "must be lowercase");
	check_with_tag_fails("", "x", "invalid reference format");
}

static void test_ids(void **state)
{
	assert_true(image_ref_is_id("sha256:" HEX64));
	assert_true(image_ref_is_id(HEX64));
	assert_false(image_ref_is_id("sha256:" D64 "0"));
	assert_false(image_ref_is_id(HEX64 "0"));
	assert_false(
	        image_ref_is_id("1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3"));
	assert_false(image_ref_is_id(
	        "sha256:1A3F5E7D9C1B3A5F7E9D1C3B5A7F9E1D3C5B7A9F1E3D5D7C9B1A3F5E7D9C1B3A"));
	assert_false(image_ref_is_id("sha512:" HEX64));
	assert_false(image_ref_is_id("busybox"));
	assert_false(image_ref_is_id(""));
	assert_false(image_ref_is_id(NULL));

	assert_true(image_id_prefix_valid("a"));
	assert_true(image_id_prefix_valid("1a3f5e"));
	assert_true(image_id_prefix_valid("sha256:1a3f"));
	assert_true(image_id_prefix_valid(HEX64));
	assert_true(image_id_prefix_valid("sha256:" HEX64));
	assert_false(image_id_prefix_valid(""));
	assert_false(image_id_prefix_valid("sha256:"));
	assert_false(image_id_prefix_valid(HEX64 "a"));
	assert_false(image_id_prefix_valid("g"));
	assert_false(image_id_prefix_valid("ABC"));
	assert_false(image_id_prefix_valid("sha512:ab"));
	assert_false(image_id_prefix_valid("busybox"));
	assert_false(image_id_prefix_valid(NULL));
}

static void test_copy_and_release(void **state)
{
	struct image_ref a = {}, b = {};
	_cleanup_free_ char *sa = NULL, *sb = NULL;

	assert_int_equal(image_ref_parse("localhost:5000/x:y@sha256:" F64, &a, NULL), 0);
	assert_int_equal(image_ref_copy(&a, &b), 0);
	assert_ptr_not_equal(a.domain, b.domain);
	sa = image_ref_string(&a);
	image_ref_release(&a);
	sb = image_ref_string(&b);
	assert_string_equal(sa, sb);
	image_ref_release(&b);
	assert_null(b.domain);
	assert_null(b.path);
	assert_null(b.tag);
	assert_false(b.has_digest);
	image_ref_release(&b); /* twice is fine */
	image_ref_release(NULL);

	/* a digest-only reference copies without a tag */
	assert_int_equal(image_ref_parse("busybox@sha256:" F64, &a, NULL), 0);
	assert_int_equal(image_ref_copy(&a, &b), 0);
	assert_null(b.tag);
	assert_true(b.has_digest);
	image_ref_release(&a);
	image_ref_release(&b);
}

/* Garbage of every byte value must be refused or parsed, never crash. */
static void test_hostile_inputs(void **state)
{
	_cleanup_free_ char *huge = repeat("a", 1 << 20, "");
	_cleanup_free_ char *deep = repeat("a/", 100000, "a");
	_cleanup_free_ char *colons = repeat(":", 5000, "");
	_cleanup_error_ struct husk_error *err = NULL;
	struct image_ref r = {};
	char one[2] = {0, 0};

	assert_int_equal(image_ref_parse(huge, &r, &err), -EINVAL);
	assert_true(strlen(error_message(err)) < 1024);
	assert_int_equal(image_ref_parse(deep, &r, NULL), -EINVAL);
	assert_int_equal(image_ref_parse(colons, &r, NULL), -EINVAL);
	for (int c = 1; c < 256; c++) {
		int k;

		one[0] = (char)c;
		k = image_ref_parse(one, &r, NULL);
		if (k == 0) {
			assert_true((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
			image_ref_release(&r);
		} else {
			assert_int_equal(k, -EINVAL);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_good_references),  cmocka_unit_test(test_bad_references),
	        cmocka_unit_test(test_docker_messages),  cmocka_unit_test(test_name_length),
	        cmocka_unit_test(test_round_trips),      cmocka_unit_test(test_repository_names),
	        cmocka_unit_test(test_with_tag),         cmocka_unit_test(test_ids),
	        cmocka_unit_test(test_copy_and_release), cmocka_unit_test(test_hostile_inputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
