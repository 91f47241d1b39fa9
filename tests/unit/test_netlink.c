/* Unit tests for src/network/netlink.c, against the real kernel in network
 * namespaces the tests create (nothing is done in the host's namespace):
 * namespaces kept by bind mounts, a bridge, a veth pair whose peer is born
 * in another namespace, addresses, the default route, route dumps, and the
 * errors of bad names and missing links. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/str.h"
#include "network/netlink.h"

struct fx {
	char dir[64];
	char a[96], b[96]; /* two namespaces */
	int afd, bfd;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct husk_error *err = NULL;

	assert_non_null(f);
	strcpy(f->dir, "/tmp/husk-test-nl.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->a, sizeof(f->a), "%s/a", f->dir);
	snprintf(f->b, sizeof(f->b), "%s/b", f->dir);
	assert_int_equal(netns_create(f->a, &err), 0);
	assert_int_equal(netns_create(f->b, &err), 0);
	f->afd = open(f->a, O_RDONLY | O_CLOEXEC);
	f->bfd = open(f->b, O_RDONLY | O_CLOEXEC);
	assert_true(f->afd >= 0 && f->bfd >= 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	struct husk_error *err = NULL;

	close(f->afd);
	close(f->bfd);
	assert_int_equal(netns_remove(f->a, &err), 0);
	assert_int_equal(netns_remove(f->b, &err), 0);
	assert_int_equal(access(f->a, F_OK), -1);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void test_namespaces_are_distinct(void **state)
{
	struct fx *f = *state;
	struct stat sa, sb, self;
	struct husk_error *err = NULL;

	assert_int_equal(fstat(f->afd, &sa), 0);
	assert_int_equal(fstat(f->bfd, &sb), 0);
	assert_int_equal(stat("/proc/self/ns/net", &self), 0);
	assert_int_not_equal(sa.st_ino, sb.st_ino);
	assert_int_not_equal(sa.st_ino, self.st_ino);
	/* the caller's namespace did not change */
	struct stat after;
	assert_int_equal(stat("/proc/thread-self/ns/net", &after), 0);
	assert_int_equal(after.st_ino, self.st_ino);
	/* an existing path is refused, nothing is mounted over it */
	assert_int_equal(netns_create(f->a, &err), -EEXIST);
	assert_non_null(strstr(error_message(err), f->a));
	error_free(err);
}

static void test_bridge_veth_address_route(void **state)
{
	struct fx *f = *state;
	_cleanup_(nl_closep) struct nl *na = NULL, *nb = NULL;
	struct husk_error *err = NULL;
	struct in_addr gw, addr;
	struct nl_route4 *routes = NULL;
	size_t n = 0;
	char mac[18];
	bool seen_subnet = false, seen_default = false;

	assert_int_equal(nl_open(f->afd, &na, &err), 0);
	assert_int_equal(nl_open(f->bfd, &nb, &err), 0);
	assert_int_equal(nl_link_index(na, "lo") > 0, true);
	assert_int_equal(nl_link_index(na, "husk-nope0"), -ENODEV);

	assert_int_equal(nl_bridge_add(na, "husktest0", 0, &err), 0);
	assert_int_equal(nl_bridge_add(na, "husktest0", 0, &err), -EEXIST);
	error_free(err);
	err = NULL;
	inet_pton(AF_INET, "10.199.0.1", &gw);
	assert_int_equal(nl_addr_add(na, "husktest0", gw, 24, &err), 0);
	assert_int_equal(nl_addr_add(na, "husktest0", gw, 24, &err), -EEXIST);
	assert_int_equal(nl_link_up(na, "husktest0", NULL, &err), 0);

	/* the peer is born in b as eth0: it never exists in a */
	assert_int_equal(nl_veth_add(na, "vethtest0", "eth0", f->bfd, 1400, &err), 0);
	assert_true(nl_link_index(na, "vethtest0") > 0);
	assert_int_equal(nl_link_index(na, "eth0"), -ENODEV);
	assert_true(nl_link_index(nb, "eth0") > 0);
	assert_int_equal(nl_link_up(na, "vethtest0", "husktest0", &err), 0);
	char **names = NULL;
	assert_int_equal(nl_link_names(na, "vethtest", &names, &err), 0);
	assert_non_null(names[0]);
	assert_string_equal(names[0], "vethtest0");
	assert_null(names[1]);
	strv_free(names);
	assert_int_equal(nl_link_up(nb, "lo", NULL, &err), 0);
	assert_int_equal(nl_link_up(nb, "eth0", NULL, &err), 0);
	inet_pton(AF_INET, "10.199.0.2", &addr);
	assert_int_equal(nl_addr_add(nb, "eth0", addr, 24, &err), 0);
	assert_int_equal(nl_route_default(nb, gw, &err), 0);
	assert_int_equal(nl_link_mac(nb, "eth0", mac, &err), 0);
	assert_int_equal(strlen(mac), 17);

	assert_int_equal(nl_routes4(nb, &routes, &n, &err), 0);
	for (size_t i = 0; i < n; i++) {
		char text[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &routes[i].dst, text, sizeof(text));
		if (routes[i].prefix == 24 && strcmp(text, "10.199.0.0") == 0)
			seen_subnet = true;
		if (routes[i].prefix == 0)
			seen_default = true;
	}
	free(routes);
	assert_true(seen_subnet);
	assert_true(seen_default);

	/* deleting one end takes the other along */
	assert_int_equal(nl_link_del(na, "vethtest0", &err), 0);
	assert_int_equal(nl_link_index(nb, "eth0"), -ENODEV);
	assert_int_equal(nl_link_del(na, "vethtest0", &err), -ENODEV);
	assert_int_equal(nl_link_del(na, "husktest0", &err), 0);
}

static void test_bad_names(void **state)
{
	struct fx *f = *state;
	_cleanup_(nl_closep) struct nl *na = NULL;
	struct husk_error *err = NULL;
	struct in_addr a = {0};

	assert_int_equal(nl_open(f->afd, &na, &err), 0);
	assert_int_equal(nl_bridge_add(na, "a-name-far-too-long", 0, &err), -EINVAL);
	assert_non_null(strstr(error_message(err), "invalid interface name"));
	error_free(err);
	err = NULL;
	assert_int_equal(nl_veth_add(na, "ok0", "../x", -1, 0, &err), -EINVAL);
	error_free(err);
	err = NULL;
	assert_int_equal(nl_link_up(na, "missing0", NULL, &err), -ENODEV);
	assert_non_null(strstr(error_message(err), "\"missing0\""));
	error_free(err);
	err = NULL;
	assert_int_equal(nl_addr_add(na, "missing0", a, 24, &err), -ENODEV);
	error_free(err);
	err = NULL;
	assert_int_equal(nl_link_index(na, ""), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_namespaces_are_distinct, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bridge_veth_address_route, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bad_names, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
