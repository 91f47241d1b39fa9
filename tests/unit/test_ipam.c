/* Unit tests for src/network/ipam.c: subnet parsing with Docker's errors,
 * overlap and the choice of a free pool, leases that survive a reopen (a
 * daemon restart) without duplicates, requested addresses, a full subnet,
 * and damaged lease files. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fs.h"
#include "network/ipam.h"

static struct in_addr ip(const char *s)
{
	struct in_addr a;
	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static const char *str(struct in_addr a)
{
	static char buf[INET_ADDRSTRLEN];
	return inet_ntop(AF_INET, &a, buf, sizeof(buf));
}

static struct ipam_subnet subnet(const char *s)
{
	struct ipam_subnet n;
	struct husk_error *err = NULL;
	assert_int_equal(ipam_subnet_parse(s, &n, &err), 0);
	return n;
}

static void expect_parse_error(const char *s, const char *msg)
{
	struct ipam_subnet n;
	struct husk_error *err = NULL;

	assert_int_equal(ipam_subnet_parse(s, &n, &err), -EINVAL);
	if (!strstr(error_message(err), msg))
		fail_msg("\"%s\": got \"%s\", expected \"%s\"", s, error_message(err), msg);
	error_free(err);
}

static void test_subnet_parse(void **state)
{
	char buf[32];
	struct ipam_subnet n = subnet("172.17.0.0/16");

	assert_string_equal(ipam_subnet_format(&n, buf, sizeof(buf)), "172.17.0.0/16");
	assert_string_equal(str(ipam_first_host(&n)), "172.17.0.1");
	expect_parse_error("172.17.0.1/16",
	                   "invalid subnet 172.17.0.1/16: it should be 172.17.0.0/16");
	expect_parse_error("172.17.0.0", "expected ADDRESS/PREFIX");
	expect_parse_error("172.17.0.0/", "expected an IPv4");
	expect_parse_error("172.17.0.0/16x", "expected an IPv4");
	expect_parse_error("300.1.0.0/16", "expected an IPv4");
	expect_parse_error("10.0.0.0/4", "the prefix must be 8 to 30");
	expect_parse_error("10.0.0.0/31", "the prefix must be 8 to 30");
	expect_parse_error("10.0.0.0/99999999999999999999", "the prefix must be 8 to 30");
	/* the prefix is plain decimal, as the address is (strtoul took these) */
	expect_parse_error("10.0.0.0/+16", "expected an IPv4");
	expect_parse_error("10.0.0.0/ 16", "expected an IPv4");
	expect_parse_error("10.0.0.0/016", "expected an IPv4");
	expect_parse_error("10.0.0.0/-18446744073709551600", "expected an IPv4");
	expect_parse_error(NULL, "expected ADDRESS/PREFIX");
}

static void test_overlap_and_pick(void **state)
{
	struct ipam_subnet a = subnet("10.88.0.0/16"), b = subnet("10.88.5.0/24"),
	                   c = subnet("10.89.0.0/16"), got;
	struct husk_error *err = NULL;
	char buf[32];

	assert_true(ipam_overlaps(&a, &b));
	assert_true(ipam_overlaps(&b, &a));
	assert_false(ipam_overlaps(&a, &c));
	assert_true(ipam_contains(&a, ip("10.88.200.3")));
	assert_false(ipam_contains(&b, ip("10.88.6.1")));

	assert_int_equal(ipam_pick_subnet(NULL, 0, &got, &err), 0);
	assert_string_equal(ipam_subnet_format(&got, buf, sizeof(buf)), "172.17.0.0/16");
	/* routes inside 172.17/16 and over 172.18/15 push the choice past every
	 * pool that overlaps */
	struct ipam_subnet taken[] = {subnet("172.17.7.0/24"), subnet("172.18.0.0/15")};
	assert_int_equal(ipam_pick_subnet(taken, 2, &got, &err), 0);
	assert_string_equal(ipam_subnet_format(&got, buf, sizeof(buf)), "172.20.0.0/16");
	/* podman's pool comes last */
	struct ipam_subnet wide[] = {subnet("172.16.0.0/12")};
	assert_int_equal(ipam_pick_subnet(wide, 1, &got, &err), 0);
	assert_string_equal(ipam_subnet_format(&got, buf, sizeof(buf)), "10.88.0.0/16");
	/* a default route (prefix 0) is not an overlap */
	struct ipam_subnet all[] = {{{0}, 0}, subnet("10.0.0.0/8"), subnet("172.16.0.0/12")};
	assert_int_equal(ipam_pick_subnet(all, 3, &got, &err), -ENOSPC);
	assert_non_null(strstr(error_message(err), "no free subnet"));
	error_free(err);
}

struct fx {
	char dir[64];
	char path[96];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/husk-test-ipam.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/leases.json", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void test_leases_persist(void **state)
{
	struct fx *f = *state;
	struct ipam_subnet n = subnet("10.88.0.0/24");
	struct in_addr gw = ipam_first_host(&n), a, zero = {0};
	struct husk_error *err = NULL;
	struct ipam *p = NULL;

	assert_int_equal(ipam_open(f->path, &n, gw, &p, &err), 0);
	assert_int_equal(ipam_alloc(p, "c1", zero, &a, &err), 0);
	assert_string_equal(str(a), "10.88.0.2");
	assert_int_equal(ipam_alloc(p, "c2", zero, &a, &err), 0);
	assert_string_equal(str(a), "10.88.0.3");
	/* the same owner gets its lease again */
	assert_int_equal(ipam_alloc(p, "c1", zero, &a, &err), 0);
	assert_string_equal(str(a), "10.88.0.2");
	/* a freed address is not handed out again at once */
	assert_int_equal(ipam_release(p, "c1", &err), 0);
	assert_int_equal(ipam_release(p, "c1", &err), 0);
	assert_int_equal(ipam_alloc(p, "c3", zero, &a, &err), 0);
	assert_string_equal(str(a), "10.88.0.4");
	ipam_free(p);

	/* a restart: the leases and the cursor are read back */
	p = NULL;
	assert_int_equal(ipam_open(f->path, &n, gw, &p, &err), 0);
	assert_int_equal(ipam_count(p), 2);
	assert_true(ipam_lookup(p, "c2", &a));
	assert_string_equal(str(a), "10.88.0.3");
	assert_int_equal(ipam_alloc(p, "c4", zero, &a, &err), 0);
	assert_string_equal(str(a), "10.88.0.5");

	/* requested addresses */
	assert_int_equal(ipam_alloc(p, "c5", ip("10.88.0.3"), &a, &err), -EEXIST);
	assert_non_null(strstr(error_message(err), "address 10.88.0.3 is in use"));
	error_free(err);
	err = NULL;
	assert_int_equal(ipam_alloc(p, "c5", ip("10.88.0.1"), &a, &err), -EEXIST); /* gateway */
	error_free(err);
	err = NULL;
	assert_int_equal(ipam_alloc(p, "c5", ip("10.88.1.9"), &a, &err), -EINVAL);
	error_free(err);
	err = NULL;
	assert_int_equal(ipam_alloc(p, "c5", ip("10.88.0.200"), &a, &err), 0);
	assert_string_equal(str(a), "10.88.0.200");
	ipam_free(p);

	/* the same file for another subnet is refused */
	struct ipam_subnet other = subnet("10.99.0.0/24");
	p = NULL;
	assert_int_equal(ipam_open(f->path, &other, ipam_first_host(&other), &p, &err), -EINVAL);
	assert_non_null(strstr(error_message(err), "for subnet 10.88.0.0/24"));
	error_free(err);
}

static void test_full_subnet(void **state)
{
	struct fx *f = *state;
	struct ipam_subnet n = subnet("10.88.0.0/30"); /* .1 gateway, .2 the only host */
	struct in_addr a, zero = {0};
	struct husk_error *err = NULL;
	_cleanup_(ipam_freep) struct ipam *p = NULL;

	assert_int_equal(ipam_open(f->path, &n, ipam_first_host(&n), &p, &err), 0);
	assert_int_equal(ipam_alloc(p, "c1", zero, &a, &err), 0);
	assert_string_equal(str(a), "10.88.0.2");
	assert_int_equal(ipam_alloc(p, "c2", zero, &a, &err), -ENOSPC);
	assert_non_null(strstr(error_message(err), "no free address in 10.88.0.0/30"));
	error_free(err);
	assert_int_equal(ipam_count(p), 1);
}

static void test_damaged_file(void **state)
{
	struct fx *f = *state;
	struct ipam_subnet n = subnet("10.88.0.0/24");
	struct husk_error *err = NULL;
	struct ipam *p = NULL;
	const char *bad[] = {
	        "not json",
	        "{\"subnet\":\"10.88.0.0/24\",\"last\":\"10.88.0.1\"}",
	        "{\"subnet\":\"10.88.0.0/"
	        "24\",\"last\":\"10.88.0.1\",\"leases\":{\"10.77.0.2\":\"x\"}}",
	        "{\"subnet\":\"10.88.0.0/24\",\"last\":\"10.88.0.1\",\"leases\":{\"10.88.0.2\":5}}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		assert_int_equal(atomic_write_file(f->path, bad[i], strlen(bad[i]), 0600, &err), 0);
		assert_true(ipam_open(f->path, &n, ipam_first_host(&n), &p, &err) < 0);
		assert_non_null(err);
		assert_null(p);
		error_free(err);
		err = NULL;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_subnet_parse),
	        cmocka_unit_test(test_overlap_and_pick),
	        cmocka_unit_test_setup_teardown(test_leases_persist, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_full_subnet, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_damaged_file, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
