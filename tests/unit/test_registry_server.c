/* Unit tests for husk-registry's server library (src/registry/server*.c,
 * htpasswd.c): repository name, tag and upload id grammar, Range and
 * Content-Range parsing, /v2/ path routing, JSON depth, htpasswd parsing
 * and bcrypt verification (with a hash `htpasswd -B` wrote) and reload,
 * the storage directory (upload commit and its refusal, re-hash after a
 * restart, links, purge, manifests, tags, catalog order, referrers),
 * manifest validation and gc. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "registry/htpasswd.h"
#include "registry/server.h"
#include "registry/server_internal.h"
#include "registry/server_storage.h"

/* `htpasswd -nbB alice s3cret` and `htpasswd -nbB -C 4 bob hunter2` */
#define ALICE "alice:$2y$05$xscpcekNXUUemtjfJgDzou6J0L9699T4ysXIdj44amPSr4E.w3uBm"
#define BOB   "bob:$2y$04$TXS8w7j/Gx9tbFZe1M207.mhjPo3Pjp3fk8SSK5MB440u1bZmPyVa"

/* --- grammar ------------------------------------------------------------- */

static void test_name_valid(void **state)
{
	static const char *const good[] = {
	        "a",     "a/b", "library/busybox", "a.b",      "a_b",      "a__b", "a-b",
	        "a---b", "0",   "a/b/c/d/e",       "a1.b2_c3", "x/y-z/0.1"};
	static const char *const bad[] = {"",       "A",   "a/",  "/a",    "a//b",  "..",
	                                  "a/../b", ".a",  "a.",  "a..b",  "a___b", "a_.b",
	                                  "-a",     "a-",  "a b", "a%2eb", "a\\b",  "_a",
	                                  "a/_b",   "a/.", "a:b", "a@b",   "é"};
	char longname[300];

	for (size_t i = 0; i < ELEMENTSOF(good); i++)
		assert_true(registry_name_valid(good[i]));
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		if (registry_name_valid(bad[i]))
			fail_msg("\"%s\" was accepted", bad[i]);
	}
	assert_false(registry_name_valid(NULL));
	memset(longname, 'a', sizeof(longname));
	longname[255] = 0;
	assert_true(registry_name_valid(longname));
	longname[255] = 'a';
	longname[256] = 0;
	assert_false(registry_name_valid(longname));
}

static void test_tag_and_uuid(void **state)
{
	char tag[200];

	assert_true(registry_tag_valid("latest"));
	assert_true(registry_tag_valid("_x"));
	assert_true(registry_tag_valid("V1.2-rc_3"));
	assert_false(registry_tag_valid(""));
	assert_false(registry_tag_valid(".x"));
	assert_false(registry_tag_valid("-x"));
	assert_false(registry_tag_valid("a/b"));
	assert_false(registry_tag_valid("a:b"));
	assert_false(registry_tag_valid(".."));
	assert_false(registry_tag_valid(NULL));
	memset(tag, 'a', sizeof(tag));
	tag[128] = 0;
	assert_true(registry_tag_valid(tag));
	tag[128] = 'a';
	tag[129] = 0;
	assert_false(registry_tag_valid(tag));

	assert_true(registry_uuid_valid("304f97f4-e8c1-4a1c-83ec-ef9ea9af6b1e"));
	assert_false(registry_uuid_valid("304F97F4-e8c1-4a1c-83ec-ef9ea9af6b1e"));
	assert_false(registry_uuid_valid("304f97f4-e8c1-4a1c-83ec-ef9ea9af6b1"));
	assert_false(registry_uuid_valid("304f97f4-e8c1-4a1c-83ec-ef9ea9af6b1e0"));
	assert_false(registry_uuid_valid("304f97f4e8c1-4a1c-83ec-ef9ea9af6b1e0"));
	assert_false(registry_uuid_valid("../../../../etc/passwd/aaaaaaaaaaaa"));
	assert_false(registry_uuid_valid(""));
	assert_false(registry_uuid_valid(NULL));
}

static void test_range(void **state)
{
	uint64_t a = 0, b = 0;

	assert_int_equal(registry_parse_range("bytes=0-3", 10, &a, &b), 1);
	assert_true(a == 0 && b == 3);
	assert_int_equal(registry_parse_range("bytes=5-", 10, &a, &b), 1);
	assert_true(a == 5 && b == 9);
	assert_int_equal(registry_parse_range("bytes=2-100", 10, &a, &b), 1);
	assert_true(a == 2 && b == 9);
	assert_int_equal(registry_parse_range("bytes=-4", 10, &a, &b), 1);
	assert_true(a == 6 && b == 9);
	assert_int_equal(registry_parse_range("bytes=-40", 10, &a, &b), 1);
	assert_true(a == 0 && b == 9);
	assert_int_equal(registry_parse_range(" Bytes = 1-1", 10, &a, &b), 1);
	assert_true(a == 1 && b == 1);
	/* unsatisfiable */
	assert_int_equal(registry_parse_range("bytes=10-", 10, &a, &b), -ERANGE);
	assert_int_equal(registry_parse_range("bytes=10-20", 10, &a, &b), -ERANGE);
	assert_int_equal(registry_parse_range("bytes=-0", 10, &a, &b), -ERANGE);
	assert_int_equal(registry_parse_range("bytes=0-", 0, &a, &b), -ERANGE);
	/* ignored: absent, malformed, several ranges, other units, overflow */
	assert_int_equal(registry_parse_range(NULL, 10, &a, &b), 0);
	assert_int_equal(registry_parse_range("bytes=3-1", 10, &a, &b), 0);
	assert_int_equal(registry_parse_range("bytes=0-1,3-4", 10, &a, &b), 0);
	assert_int_equal(registry_parse_range("items=0-1", 10, &a, &b), 0);
	assert_int_equal(registry_parse_range("bytes=-", 10, &a, &b), 0);
	assert_int_equal(registry_parse_range("bytes=x-1", 10, &a, &b), 0);
	assert_int_equal(registry_parse_range("bytes=99999999999999999999-", 10, &a, &b), 0);
	assert_int_equal(registry_parse_range("bytes 0-1", 10, &a, &b), 0);
}

static void test_content_range(void **state)
{
	uint64_t a = 0, b = 0;

	assert_int_equal(registry_parse_content_range("0-1023", &a, &b), 0);
	assert_true(a == 0 && b == 1023);
	assert_int_equal(registry_parse_content_range("bytes 10-19/100", &a, &b), 0);
	assert_true(a == 10 && b == 19);
	assert_int_equal(registry_parse_content_range("bytes=10-19/*", &a, &b), 0);
	assert_true(a == 10 && b == 19);
	assert_int_equal(registry_parse_content_range("5-5", &a, &b), 0);
	assert_int_equal(registry_parse_content_range("5-4", &a, &b), -EINVAL);
	assert_int_equal(registry_parse_content_range("-4", &a, &b), -EINVAL);
	assert_int_equal(registry_parse_content_range("4-", &a, &b), -EINVAL);
	assert_int_equal(registry_parse_content_range("a-b", &a, &b), -EINVAL);
	assert_int_equal(registry_parse_content_range("0-1 junk", &a, &b), -EINVAL);
	assert_int_equal(registry_parse_content_range("0-1/x", &a, &b), -EINVAL);
	assert_int_equal(registry_parse_content_range("", &a, &b), -EINVAL);
	assert_int_equal(registry_parse_content_range(NULL, &a, &b), -EINVAL);
	assert_int_equal(registry_parse_content_range("0-99999999999999999999", &a, &b), -EINVAL);
}

static void expect_route(const char *path, int rc, enum reg_route_kind kind, const char *name,
                         const char *ref)
{
	struct reg_route r;

	if (reg_route_parse(path, &r) != rc)
		fail_msg("%s: expected %d", path, rc);
	if (rc == 0 || rc == -EINVAL) {
		assert_int_equal(r.kind, kind);
		assert_string_equal(r.name ? r.name : "", name);
		assert_string_equal(r.ref ? r.ref : "", ref);
	}
	reg_route_release(&r);
}

static void test_route(void **state)
{
	const char *d = "sha256:"
	                "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	_cleanup_free_ char *blob = str_printf("/v2/a/b/blobs/%s", d);
	_cleanup_free_ char *greedy = str_printf("/v2/a/blobs/uploads/blobs/%s", d);

	expect_route("/v2/", 0, ROUTE_BASE, "", "");
	expect_route("/v2", 0, ROUTE_BASE, "", "");
	expect_route("/v2/_catalog", 0, ROUTE_CATALOG, "", "");
	expect_route("/v2/a/b/tags/list", 0, ROUTE_TAGS, "a/b", "");
	expect_route("/v2/a/manifests/latest", 0, ROUTE_MANIFEST, "a", "latest");
	expect_route(blob, 0, ROUTE_BLOB, "a/b", d);
	expect_route("/v2/a/blobs/uploads/", 0, ROUTE_UPLOAD, "a", "");
	expect_route("/v2/a/blobs/uploads", 0, ROUTE_UPLOAD, "a", "");
	expect_route("/v2/a/blobs/uploads/u-1", 0, ROUTE_UPLOAD, "a", "u-1");
	expect_route("/v2/a/referrers/x", 0, ROUTE_REFERRERS, "a", "x");
	/* the name is as long as it can be, as distribution's router does */
	expect_route(greedy, 0, ROUTE_BLOB, "a/blobs/uploads", d);
	expect_route("/v2/a/manifests/b/manifests/c", 0, ROUTE_MANIFEST, "a/manifests/b", "c");
	/* bad names */
	expect_route("/v2/../x/tags/list", -EINVAL, ROUTE_TAGS, "../x", "");
	expect_route("/v2/A/manifests/x", -EINVAL, ROUTE_MANIFEST, "A", "x");
	expect_route("/v2//a/manifests/x", -EINVAL, ROUTE_MANIFEST, "/a", "x");
	expect_route("/v2/a//b/manifests/x", -EINVAL, ROUTE_MANIFEST, "a//b", "x");
	expect_route("/v2/tags/list", -ENOENT, 0, "", "");
	/* no endpoint */
	expect_route("/", -ENOENT, 0, "", "");
	expect_route("/v1/_ping", -ENOENT, 0, "", "");
	expect_route("/v2/a", -ENOENT, 0, "", "");
	expect_route("/v2/a/manifests/", -ENOENT, 0, "", "");
	expect_route("/v2/a/blobs/", -ENOENT, 0, "", "");
	expect_route("/v2/a/tags/other", -ENOENT, 0, "", "");
	expect_route("/v2/../x", -ENOENT, 0, "", "");
}

static void test_json_depth(void **state)
{
	char deep[300];

	assert_int_equal(reg_json_depth("{}", 2, 64), 1);
	assert_int_equal(reg_json_depth("{\"a\":[{}]}", 10, 64), 3);
	/* brackets inside strings do not count, escaped quotes stay inside */
	assert_int_equal(reg_json_depth("{\"a\":\"[[[\\\"[[\"}", 15, 64), 1);
	memset(deep, '[', sizeof(deep));
	assert_true(reg_json_depth(deep, sizeof(deep), 64) > 64);
}

/* --- htpasswd ------------------------------------------------------------ */

static void test_htpasswd_verify(void **state)
{
	_cleanup_(htpasswd_freep) struct htpasswd *h = NULL;
	const char *file = "# users\n" ALICE "\r\n\n   \n" BOB "\n";

	assert_int_equal(htpasswd_parse("t", file, strlen(file), &h, NULL), 0);
	assert_int_equal(htpasswd_count(h), 2);
	assert_true(htpasswd_check(h, "alice", "s3cret"));
	assert_true(htpasswd_check(h, "alice", "s3cret")); /* from the verified cache */
	assert_false(htpasswd_check(h, "alice", "s3cret "));
	assert_false(htpasswd_check(h, "alice", ""));
	assert_false(htpasswd_check(h, "alice", "hunter2"));
	assert_true(htpasswd_check(h, "bob", "hunter2"));
	assert_false(htpasswd_check(h, "carol", "s3cret"));
	assert_false(htpasswd_check(h, "Alice", "s3cret"));
	assert_false(htpasswd_check(h, NULL, "s3cret"));
	assert_false(htpasswd_check(h, "alice", NULL));
	assert_false(htpasswd_check(NULL, "alice", "s3cret"));
}

static void expect_refused(const char *content, const char *needle)
{
	_cleanup_(htpasswd_freep) struct htpasswd *h = NULL;
	_cleanup_error_ struct husk_error *err = NULL;

	assert_int_equal(htpasswd_parse("f", content, strlen(content), &h, &err), -EINVAL);
	assert_null(h);
	if (!strstr(error_message(err), needle))
		fail_msg("\"%s\" does not say \"%s\"", error_message(err), needle);
}

static void test_htpasswd_refused(void **state)
{
	expect_refused(ALICE "\ncarol:$apr1$c7pbgNB6$XpT8BbziC3fSwlCvaQFf..\n",
	               "line 2: user \"carol\": unsupported hash format MD5");
	expect_refused("dave:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n", "line 1: user \"dave\"");
	expect_refused("erin:plaintextpassword\n", "crypt(3) DES or plain text");
	expect_refused("\n\n" ALICE "\n" ALICE "\n", "line 4: user \"alice\" appears twice");
	expect_refused("justaname\n", "line 1: expected user:hash");
	expect_refused(":$2y$05$xscpcekNXUUemtjfJgDzou6J0L9699T4ysXIdj44amPSr4E.w3uBm\n", "line 1");
	/* truncated bcrypt, cost out of range, bad characters */
	expect_refused("a:$2y$05$xscpcekNXUUemtjfJgDzou6J0L9699T4ysXIdj44amPSr4E.w3uB\n", "line 1");
	expect_refused("a:$2y$99$xscpcekNXUUemtjfJgDzou6J0L9699T4ysXIdj44amPSr4E.w3uBm\n",
	               "line 1");
	expect_refused("a:$2y$05$xscpcekNXUUemtjfJgDzou6J0L9699T4ysXIdj44amPSr4E.w3u!m\n",
	               "line 1");
	/* the password of a plain-text line never shows in the message */
	{
		_cleanup_(htpasswd_freep) struct htpasswd *h = NULL;
		_cleanup_error_ struct husk_error *err = NULL;
		const char *c = "erin:hunter2secret\n";
		htpasswd_parse("f", c, strlen(c), &h, &err);
		assert_null(strstr(error_message(err), "hunter2"));
	}
}

/* A hash made by the real htpasswd tool, when the host has it. */
static void test_htpasswd_tool(void **state)
{
	_cleanup_(htpasswd_freep) struct htpasswd *h = NULL;
	char line[256] = "";
	FILE *p = popen("htpasswd -nbB tooluser 'pa:ss word' 2>/dev/null", "r");

	if (!p || !fgets(line, sizeof(line), p) || !startswith(line, "tooluser:$2y$")) {
		if (p)
			pclose(p);
		skip(); /* apache2-utils is not installed */
	}
	pclose(p);
	assert_int_equal(htpasswd_parse("tool", line, strlen(line), &h, NULL), 0);
	assert_true(htpasswd_check(h, "tooluser", "pa:ss word"));
	assert_false(htpasswd_check(h, "tooluser", "pa:ss"));
}

static void test_htpasswd_reload(void **state)
{
	_cleanup_(htpasswd_freep) struct htpasswd *h = NULL;
	_cleanup_error_ struct husk_error *err = NULL;
	char dir[] = "/tmp/husk-test-htpw-XXXXXX";
	_cleanup_free_ char *path = NULL;
	struct timespec later[2] = {{0, UTIME_OMIT}, {time(NULL) + 10, 0}};

	assert_non_null(mkdtemp(dir));
	path = path_join(dir, "htpasswd");
	assert_int_equal(htpasswd_load(path, &h, &err), -ENOENT);
	assert_non_null(strstr(error_message(err), path));
	assert_int_equal(atomic_write_file(path, ALICE "\n", strlen(ALICE) + 1, 0600, NULL), 0);
	assert_int_equal(htpasswd_load(path, &h, NULL), 0);
	assert_true(htpasswd_check(h, "alice", "s3cret"));
	assert_false(htpasswd_check(h, "bob", "hunter2"));
	/* a new file: bob now, alice gone */
	assert_int_equal(atomic_write_file(path, BOB "\n", strlen(BOB) + 1, 0600, NULL), 0);
	assert_true(htpasswd_check(h, "bob", "hunter2"));
	assert_false(htpasswd_check(h, "alice", "s3cret"));
	/* broken in place: nobody gets in (fail closed) */
	assert_int_equal(atomic_write_file(path, "bob:plain\n", 10, 0600, NULL), 0);
	assert_false(htpasswd_check(h, "bob", "hunter2"));
	/* fixed, written in place with a later mtime: back */
	assert_int_equal(atomic_write_file(path, BOB "\n", strlen(BOB) + 1, 0600, NULL), 0);
	assert_int_equal(utimensat(AT_FDCWD, path, later, 0), 0);
	assert_true(htpasswd_check(h, "bob", "hunter2"));
	/* removed: nobody */
	unlink(path);
	assert_false(htpasswd_check(h, "bob", "hunter2"));
	rmdir(dir);
}

/* --- storage ------------------------------------------------------------- */

struct fx {
	char dir[64];
	struct regstore *s;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/husk-test-regstore-XXXXXX");
	if (!mkdtemp(f->dir) || chmod(f->dir, 0755) < 0 ||
	    regstore_open(f->dir, true, &f->s, NULL) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	regstore_free(f->s);
	rm_rf(f->dir);
	free(f);
	return 0;
}

static void digest_of(const char *s, struct digest *d)
{
	digest_buf(s, strlen(s), d);
}

/* Upload content into repo and commit it; returns its digest. */
static void put_blob(struct regstore *s, const char *repo, const char *content, struct digest *d)
{
	_cleanup_(reg_upload_freep) struct reg_upload *u = NULL;

	digest_of(content, d);
	assert_int_equal(regstore_upload_new(s, repo, &u, NULL), 0);
	assert_int_equal(regstore_upload_write(u, content, strlen(content), NULL), 0);
	assert_int_equal(regstore_upload_commit(s, u, d, NULL), 0);
}

static void test_storage_layout(void **state)
{
	struct fx *f = *state;
	_cleanup_(regstore_freep) struct regstore *missing = NULL;
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_free_ char *nowhere = path_join(f->dir, "nope");
	struct stat st;

	assert_int_equal(stat(f->dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(fstatat(f->s->root_fd, "blobs/sha256", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(regstore_open(nowhere, false, &missing, &err), -ENOENT);
	assert_non_null(strstr(error_message(err), nowhere));
}

static void test_upload_commit(void **state)
{
	struct fx *f = *state;
	_cleanup_(reg_upload_freep) struct reg_upload *u = NULL;
	struct digest d;
	uint64_t size = 0;
	char buf[64];
	int fd;

	digest_of("hello, world", &d);
	assert_int_equal(regstore_upload_new(f->s, "a/b", &u, NULL), 0);
	assert_true(registry_uuid_valid(u->uuid));
	assert_int_equal(regstore_upload_write(u, "hello, ", 7, NULL), 0);
	assert_int_equal(regstore_upload_write(u, "world", 5, NULL), 0);
	assert_int_equal(u->offset, 12);
	/* not visible before the commit */
	assert_int_equal(regstore_blob_stat(f->s, &d, NULL), -ENOENT);
	assert_false(regstore_blob_linked(f->s, "a/b", &d));
	assert_int_equal(regstore_upload_commit(f->s, u, &d, NULL), 0);
	assert_int_equal(regstore_blob_stat(f->s, &d, &size), 0);
	assert_int_equal(size, 12);
	assert_true(regstore_blob_linked(f->s, "a/b", &d));
	assert_false(regstore_blob_linked(f->s, "a/c", &d));
	assert_false(regstore_blob_linked(f->s, "a", &d));
	fd = regstore_blob_open(f->s, &d, &size);
	assert_true(fd >= 0);
	assert_int_equal(read_full(fd, buf, sizeof(buf)), 12);
	assert_memory_equal(buf, "hello, world", 12);
	close(fd);
	/* the upload is gone */
	assert_int_equal(faccessat(f->s->uploads_fd, u->uuid, F_OK, 0), -1);
	/* the same content again (a concurrent upload): fine */
	put_blob(f->s, "a/c", "hello, world", &d);
	assert_true(regstore_blob_linked(f->s, "a/c", &d));
	/* link and unlink */
	assert_int_equal(regstore_blob_unlink(f->s, "a/c", &d), 0);
	assert_false(regstore_blob_linked(f->s, "a/c", &d));
	assert_int_equal(regstore_blob_unlink(f->s, "a/c", &d), -ENOENT);
	assert_int_equal(regstore_blob_link(f->s, "x", &d, NULL), 0);
	assert_true(regstore_blob_linked(f->s, "x", &d));
}

static void test_upload_mismatch(void **state)
{
	struct fx *f = *state;
	_cleanup_(reg_upload_freep) struct reg_upload *u = NULL;
	_cleanup_error_ struct husk_error *err = NULL;
	struct digest claimed, real;
	char uuid[REGSTORE_UUID_LEN + 1];

	digest_of("what the client says", &claimed);
	digest_of("what it sent", &real);
	assert_int_equal(regstore_upload_new(f->s, "r", &u, NULL), 0);
	snprintf(uuid, sizeof(uuid), "%s", u->uuid);
	assert_int_equal(regstore_upload_write(u, "what it sent", 12, NULL), 0);
	assert_int_equal(regstore_upload_commit(f->s, u, &claimed, &err), -EILSEQ);
	assert_non_null(strstr(error_message(err), real.str));
	assert_int_equal(regstore_blob_stat(f->s, &claimed, NULL), -ENOENT);
	assert_int_equal(regstore_blob_stat(f->s, &real, NULL), -ENOENT);
	assert_false(regstore_blob_linked(f->s, "r", &claimed));
	assert_int_equal(faccessat(f->s->uploads_fd, uuid, F_OK, 0), -1);
}

static void test_upload_reload(void **state)
{
	struct fx *f = *state;
	_cleanup_(reg_upload_freep) struct reg_upload *u = NULL, *again = NULL, *other = NULL;
	struct digest d;

	digest_of("first half, second half", &d);
	assert_int_equal(regstore_upload_new(f->s, "r", &u, NULL), 0);
	assert_int_equal(regstore_upload_write(u, "first half, ", 12, NULL), 0);
	/* the process "restarts": the hash state is rebuilt from the file */
	assert_int_equal(regstore_upload_load(f->s, "r", u->uuid, &again, NULL), 0);
	assert_int_equal(again->offset, 12);
	/* another repository cannot see it; nor can a made-up id */
	assert_int_equal(regstore_upload_load(f->s, "r2", u->uuid, &other, NULL), -ENOENT);
	assert_int_equal(regstore_upload_load(f->s, "r", "../../../../etc/passwd", &other, NULL),
	                 -ENOENT);
	assert_int_equal(regstore_upload_load(f->s, "r", "00000000-0000-4000-8000-000000000000",
	                                      &other, NULL),
	                 -ENOENT);
	assert_int_equal(regstore_upload_write(again, "second half", 11, NULL), 0);
	assert_int_equal(regstore_upload_commit(f->s, again, &d, NULL), 0);
	assert_true(regstore_blob_linked(f->s, "r", &d));
}

static void test_upload_purge(void **state)
{
	struct fx *f = *state;
	_cleanup_(reg_upload_freep) struct reg_upload *old = NULL, *fresh = NULL;
	struct timespec t[2] = {{time(NULL) - 7200, 0}, {time(NULL) - 7200, 0}};
	_cleanup_free_ char *data = NULL;

	assert_int_equal(regstore_upload_new(f->s, "r", &old, NULL), 0);
	assert_int_equal(regstore_upload_new(f->s, "r", &fresh, NULL), 0);
	assert_int_equal(regstore_upload_write(old, "abandoned", 9, NULL), 0);
	data = str_printf("%s/data", old->uuid);
	assert_int_equal(utimensat(f->s->uploads_fd, data, t, 0), 0);
	/* something that is no upload is left alone */
	assert_int_equal(mkdirat(f->s->uploads_fd, "not-an-upload", 0700), 0);
	assert_int_equal(utimensat(f->s->uploads_fd, "not-an-upload", t, 0), 0);
	assert_int_equal(regstore_uploads_purge(f->s, 3600, NULL, NULL), 1);
	assert_int_equal(faccessat(f->s->uploads_fd, old->uuid, F_OK, 0), -1);
	assert_int_equal(faccessat(f->s->uploads_fd, fresh->uuid, F_OK, 0), 0);
	assert_int_equal(faccessat(f->s->uploads_fd, "not-an-upload", F_OK, 0), 0);
	assert_int_equal(regstore_uploads_purge(f->s, 0, NULL, NULL), 0); /* same second */
}

static void test_manifests_and_tags(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *mt = NULL;
	_cleanup_strv_ char **tags = NULL;
	struct digest d, t, d2;
	const char *m = "{\"schemaVersion\":2}", *m2 = "{\"schemaVersion\":2,\"x\":1}";

	assert_int_equal(regstore_tags_list(f->s, "r", &tags), -ENOENT);
	assert_int_equal(regstore_manifest_put(f->s, "r", m, strlen(m), "application/x-test", NULL,
	                                       NULL, "v1", &d, NULL),
	                 0);
	assert_int_equal(regstore_manifest_put(f->s, "r", m, strlen(m), "application/x-test", NULL,
	                                       NULL, "latest", &t, NULL),
	                 0);
	assert_true(digest_equal(&d, &t));
	assert_int_equal(regstore_manifest_put(f->s, "r", m2, strlen(m2), "application/x-test",
	                                       NULL, NULL, "b", &d2, NULL),
	                 0);
	assert_int_equal(regstore_tag_get(f->s, "r", "v1", &t), 0);
	assert_true(digest_equal(&d, &t));
	assert_int_equal(regstore_tag_get(f->s, "r", "nope", &t), -ENOENT);
	assert_int_equal(regstore_manifest_media_type(f->s, "r", &d, &mt), 0);
	assert_string_equal(mt, "application/x-test");
	assert_false(regstore_manifest_exists(f->s, "other", &d));
	assert_int_equal(regstore_tags_list(f->s, "r", &tags), 0);
	assert_int_equal(strv_length(tags), 3);
	assert_string_equal(tags[0], "b");
	assert_string_equal(tags[1], "latest");
	assert_string_equal(tags[2], "v1");
	/* a tag moves atomically */
	assert_int_equal(regstore_manifest_put(f->s, "r", m2, strlen(m2), "application/x-test",
	                                       NULL, NULL, "v1", &t, NULL),
	                 0);
	assert_int_equal(regstore_tag_get(f->s, "r", "v1", &t), 0);
	assert_true(digest_equal(&d2, &t));
	/* deleting a revision takes its tags along */
	assert_int_equal(regstore_manifest_delete(f->s, "r", &d2, NULL), 0);
	assert_int_equal(regstore_tag_get(f->s, "r", "v1", &t), -ENOENT);
	assert_int_equal(regstore_tag_get(f->s, "r", "b", &t), -ENOENT);
	assert_int_equal(regstore_tag_get(f->s, "r", "latest", &t), 0);
	assert_int_equal(regstore_manifest_delete(f->s, "r", &d2, NULL), -ENOENT);
	assert_int_equal(regstore_tag_delete(f->s, "r", "latest"), 0);
	assert_int_equal(regstore_tag_delete(f->s, "r", "latest"), -ENOENT);
}

static void test_catalog(void **state)
{
	struct fx *f = *state;
	static const char *const repos[] = {"a-b", "a/b", "a", "b/c/d", "a.b", "z"};
	_cleanup_strv_ char **cat = NULL;
	struct digest d;

	for (size_t i = 0; i < ELEMENTSOF(repos); i++)
		put_blob(f->s, repos[i], "x", &d);
	/* not a repository: no _layers or _manifests */
	assert_int_equal(regstore_mkdirat_p(f->s->repos_fd, "b/empty"), 0);
	assert_int_equal(regstore_catalog(f->s, &cat), 0);
	assert_int_equal(strv_length(cat), 6);
	assert_string_equal(cat[0], "a");
	assert_string_equal(cat[1], "a/b");
	assert_string_equal(cat[2], "a-b");
	assert_string_equal(cat[3], "a.b");
	assert_string_equal(cat[4], "b/c/d");
	assert_string_equal(cat[5], "z");
	assert_true(regstore_repo_cmp("a/b", "a-b") < 0);
	assert_true(regstore_repo_exists(f->s, "b/c/d"));
	assert_false(regstore_repo_exists(f->s, "b/c"));
}

/* A manifest over a config and a layer pushed to repo. */
static char *image_manifest(struct regstore *s, const char *repo, const char *layer,
                            const char *extra)
{
	struct digest c, l;

	put_blob(s, repo, "{}", &c);
	put_blob(s, repo, layer, &l);
	return str_printf(
	        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest."
	        "v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config."
	        "v1+json\",\"digest\":\"%s\",\"size\":2},\"layers\":[{\"mediaType\":"
	        "\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\",\"size\":%zu}]"
	        "%s}",
	        c.str, l.str, strlen(layer), extra ? extra : "");
}

static const char *check(struct regstore *s, const char *repo, const char *body, const char *ct,
                         struct manifest_check *c)
{
	_cleanup_error_ struct husk_error *err = NULL;
	const char *code = NULL;

	if (reg_manifest_check(s, repo, body, strlen(body), ct, c, &code, &err) == 0)
		return "ok";
	return code;
}

static void test_manifest_check(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *m = image_manifest(f->s, "r", "layer", NULL), *index = NULL;
	_cleanup_free_ char *unknown = NULL, *schema1 = NULL;
	struct manifest_check c = {0};
	struct digest d, cfg;

	assert_string_equal(check(f->s, "r", m, NULL, &c), "ok");
	assert_string_equal(c.media_type, "application/vnd.oci.image.manifest.v1+json");
	assert_false(c.has_subject);
	reg_manifest_check_release(&c);
	/* the same manifest in another repository: its blobs are not there */
	assert_string_equal(check(f->s, "other", m, NULL, &c), ERR_MANIFEST_BLOB_UNKNOWN);
	reg_manifest_check_release(&c);
	/* a Content-Type that contradicts mediaType */
	assert_string_equal(
	        check(f->s, "r", m, "application/vnd.docker.distribution.manifest.v2+json", &c),
	        ERR_MANIFEST_INVALID);
	reg_manifest_check_release(&c);
	assert_string_equal(check(f->s, "r", "{not json", NULL, &c), ERR_MANIFEST_INVALID);
	reg_manifest_check_release(&c);
	assert_string_equal(check(f->s, "r", "[]", NULL, &c), ERR_MANIFEST_INVALID);
	reg_manifest_check_release(&c);
	schema1 = strdup("{\"schemaVersion\":1,\"name\":\"r\",\"tag\":\"x\",\"fsLayers\":[]}");
	assert_string_equal(check(f->s, "r", schema1, NULL, &c), ERR_MANIFEST_INVALID);
	reg_manifest_check_release(&c);
	assert_string_equal(
	        check(f->s, "r", "{\"schemaVersion\":2,\"mediaType\":\"text/plain\"}", NULL, &c),
	        ERR_MANIFEST_INVALID);
	reg_manifest_check_release(&c);
	/* an index over it: fine once the manifest is stored */
	digest_buf(m, strlen(m), &d);
	index = str_printf("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index."
	                   "v1+json\",\"manifests\":[{\"mediaType\":\"application/vnd.oci.image."
	                   "manifest.v1+json\",\"digest\":\"%s\",\"size\":%zu}]}",
	                   d.str, strlen(m));
	assert_string_equal(check(f->s, "r", index, NULL, &c), ERR_MANIFEST_BLOB_UNKNOWN);
	assert_true(digest_equal(&c.subject, &d)); /* the missing one, for the detail */
	reg_manifest_check_release(&c);
	assert_int_equal(regstore_manifest_put(f->s, "r", m, strlen(m),
	                                       "application/vnd.oci.image.manifest.v1+json", NULL,
	                                       NULL, NULL, &d, NULL),
	                 0);
	assert_string_equal(check(f->s, "r", index, NULL, &c), "ok");
	assert_string_equal(c.media_type, "application/vnd.oci.image.index.v1+json");
	reg_manifest_check_release(&c);
	/* a layer that is not there */
	digest_of("{}", &cfg);
	digest_of("never pushed", &d);
	unknown = str_printf("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a/b\",\"digest\":"
	                     "\"%s\",\"size\":2},\"layers\":[{\"mediaType\":\"a/b\",\"digest\":"
	                     "\"%s\",\"size\":12}]}",
	                     cfg.str, d.str);
	assert_string_equal(check(f->s, "r", unknown, NULL, &c), ERR_MANIFEST_BLOB_UNKNOWN);
	assert_true(digest_equal(&c.subject, &d));
	reg_manifest_check_release(&c);
}

static void test_manifest_subject(void **state)
{
	struct fx *f = *state;
	const char *subj =
	        "\"subject\":{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	        "\"digest\":\"sha256:"
	        "1111111111111111111111111111111111111111111111111111111111111111\","
	        "\"size\":1},\"artifactType\":\"application/x-sig\","
	        "\"annotations\":{\"k\":\"v\"}";
	_cleanup_free_ char *extra = str_printf(",%s", subj);
	_cleanup_free_ char *m = image_manifest(f->s, "r", "sig", extra);
	_cleanup_json_ json_t *refs = NULL;
	struct manifest_check c = {0};
	struct digest d;

	assert_string_equal(check(f->s, "r", m, NULL, &c), "ok");
	assert_true(c.has_subject);
	assert_string_equal(
	        c.subject.str,
	        "sha256:1111111111111111111111111111111111111111111111111111111111111111");
	assert_non_null(strstr(c.referrer, "\"artifactType\":\"application/x-sig\""));
	assert_int_equal(regstore_manifest_put(f->s, "r", m, strlen(m), c.media_type, &c.subject,
	                                       c.referrer, NULL, &d, NULL),
	                 0);
	assert_int_equal(regstore_referrers(f->s, "r", &c.subject, &refs, NULL), 0);
	assert_int_equal(json_array_size(refs), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(refs, 0), "digest")),
	                    d.str);
	assert_string_equal(json_string_value(json_object_get(
	                            json_object_get(json_array_get(refs, 0), "annotations"), "k")),
	                    "v");
	json_decref(refs);
	/* deleting the referrer removes it from the list */
	assert_int_equal(regstore_manifest_delete(f->s, "r", &d, NULL), 0);
	assert_int_equal(regstore_referrers(f->s, "r", &c.subject, &refs, NULL), 0);
	assert_int_equal(json_array_size(refs), 0);
	reg_manifest_check_release(&c);
}

static void gc_count(const char *kind, const char *repo, const char *what, void *data)
{
	(*(unsigned *)data)++;
}

static void test_gc(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *m = image_manifest(f->s, "r", "kept layer", NULL);
	_cleanup_free_ char *m2 = image_manifest(f->s, "r", "untagged layer", NULL);
	struct registry_gc_stats st;
	struct digest junk, kept, untagged, layer2, md;
	unsigned reports = 0;

	digest_of("kept layer", &kept);
	digest_of("untagged layer", &layer2);
	put_blob(f->s, "r", "nobody references me", &junk);
	assert_int_equal(regstore_manifest_put(f->s, "r", m, strlen(m),
	                                       "application/vnd.oci.image.manifest.v1+json", NULL,
	                                       NULL, "v1", &md, NULL),
	                 0);
	assert_int_equal(regstore_manifest_put(f->s, "r", m2, strlen(m2),
	                                       "application/vnd.oci.image.manifest.v1+json", NULL,
	                                       NULL, NULL, &untagged, NULL),
	                 0);
	/* a dry run reports and deletes nothing */
	assert_int_equal(registry_gc(f->dir, REGISTRY_GC_DRY_RUN, 0, gc_count, &reports, &st, NULL),
	                 0);
	assert_int_equal(st.blobs_deleted, 1);
	assert_int_equal(reports, 1);
	assert_int_equal(regstore_blob_stat(f->s, &junk, NULL), 0);
	/* the real one */
	assert_int_equal(registry_gc(f->dir, 0, 0, NULL, NULL, &st, NULL), 0);
	assert_int_equal(st.blobs_deleted, 1);
	assert_int_equal(regstore_blob_stat(f->s, &junk, NULL), -ENOENT);
	assert_false(regstore_blob_linked(f->s, "r", &junk));
	assert_true(regstore_blob_linked(f->s, "r", &kept));
	assert_true(regstore_blob_linked(f->s, "r", &layer2));
	assert_true(regstore_manifest_exists(f->s, "r", &untagged));
	/* untagged manifests too */
	assert_int_equal(registry_gc(f->dir, REGISTRY_GC_DELETE_UNTAGGED, 0, NULL, NULL, &st, NULL),
	                 0);
	assert_int_equal(st.manifests_deleted, 1);
	assert_false(regstore_manifest_exists(f->s, "r", &untagged));
	assert_true(regstore_manifest_exists(f->s, "r", &md));
	assert_false(regstore_blob_linked(f->s, "r", &layer2));
	assert_true(regstore_blob_linked(f->s, "r", &kept));
}

static void test_gc_locked(void **state)
{
	struct fx *f = *state;
	_cleanup_error_ struct husk_error *err = NULL;
	int fd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	/* a read-write server holds the root shared */
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_SH), 0);
	assert_int_equal(registry_gc(f->dir, 0, 0, NULL, NULL, NULL, &err), -EBUSY);
	assert_non_null(strstr(error_message(err), "--read-only"));
	close(fd);
	assert_int_equal(registry_gc(f->dir, 0, 0, NULL, NULL, NULL, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_name_valid),
	        cmocka_unit_test(test_tag_and_uuid),
	        cmocka_unit_test(test_range),
	        cmocka_unit_test(test_content_range),
	        cmocka_unit_test(test_route),
	        cmocka_unit_test(test_json_depth),
	        cmocka_unit_test(test_htpasswd_verify),
	        cmocka_unit_test(test_htpasswd_refused),
	        cmocka_unit_test(test_htpasswd_tool),
	        cmocka_unit_test(test_htpasswd_reload),
	        cmocka_unit_test_setup_teardown(test_storage_layout, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_upload_commit, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_upload_mismatch, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_upload_reload, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_upload_purge, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_manifests_and_tags, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_catalog, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_manifest_check, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_manifest_subject, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_gc, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_gc_locked, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
