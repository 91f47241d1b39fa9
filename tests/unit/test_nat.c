/* Unit tests for src/network/nat.c against the kernel's nftables, run in a
 * private network namespace (the host's tables are never seen): the table
 * is created once and kept with its elements, networks and ports come and
 * go as set and map elements, a port published twice is refused with
 * Docker's words, and removal is whole. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "network/nat.h"

static struct nat_port port(int proto, const char *host, uint16_t hp, const char *ip, uint16_t p)
{
	struct nat_port n = {.proto = proto, .host_port = hp, .port = p};
	assert_int_equal(inet_pton(AF_INET, host, &n.host_ip), 1);
	assert_int_equal(inet_pton(AF_INET, ip, &n.ip), 1);
	return n;
}

static void test_table_lifecycle(void **state)
{
	_cleanup_(nat_freep) struct nat *n = NULL;
	struct husk_error *err = NULL;
	struct ipam_subnet s;
	size_t count = 99;

	assert_int_equal(nat_open("bad-name", &n, &err), -EINVAL);
	error_free(err);
	err = NULL;
	assert_int_equal(nat_open("", &n, &err), -EINVAL);
	error_free(err);
	err = NULL;
	assert_int_equal(nat_open(NAT_TABLE, &n, &err), 0);
	assert_string_equal(nat_table(n), "husk");
	assert_false(nat_exists(n));
	assert_int_equal(nat_port_count(n, &count, &err), 0);
	assert_int_equal(count, 0);
	assert_int_equal(nat_ensure(n, &err), 0);
	assert_true(nat_exists(n));

	assert_int_equal(ipam_subnet_parse("10.88.0.0/16", &s, &err), 0);
	assert_int_equal(nat_network_add(n, "husk0", &s, &err), 0);
	assert_int_equal(nat_network_add(n, "bad name!", &s, &err), -EINVAL);
	error_free(err);
	err = NULL;

	struct nat_port a = port(IPPROTO_TCP, "0.0.0.0", 1234, "10.88.0.2", 8080);
	struct nat_port b = port(IPPROTO_TCP, "127.0.0.1", 1235, "10.88.0.2", 8080);
	struct nat_port c = port(IPPROTO_UDP, "0.0.0.0", 1234, "10.88.0.3", 53);
	assert_int_equal(nat_port_add(n, &a, &err), 0);
	assert_int_equal(nat_port_add(n, &b, &err), 0);
	assert_int_equal(nat_port_add(n, &c, &err), 0);
	struct nat_port dup = port(IPPROTO_TCP, "0.0.0.0", 1234, "10.88.0.9", 80);
	assert_int_equal(nat_port_add(n, &dup, &err), -EEXIST);
	assert_string_equal(error_message(err),
	                    "Bind for 0.0.0.0:1234 failed: port is already allocated");
	error_free(err);
	err = NULL;
	if (nat_port_count(n, &count, &err) < 0)
		fail_msg("%s", error_message(err));
	assert_int_equal(count, 3);

	/* a restart: ensure keeps what is there */
	assert_int_equal(nat_ensure(n, &err), 0);
	assert_int_equal(nat_port_count(n, &count, &err), 0);
	assert_int_equal(count, 3);

	assert_int_equal(nat_port_del(n, &a, &err), 0);
	assert_int_equal(nat_port_del(n, &a, &err), 0); /* absent is fine */
	assert_int_equal(nat_port_count(n, &count, &err), 0);
	assert_int_equal(count, 2);
	struct nat_port zero = port(IPPROTO_TCP, "0.0.0.0", 0, "10.88.0.2", 80);
	assert_int_equal(nat_port_add(n, &zero, &err), -EINVAL);
	error_free(err);
	err = NULL;

	assert_int_equal(nat_network_del(n, "husk0", &s, &err), 0);
	assert_int_equal(nat_network_del(n, "husk0", &s, &err), 0);
	assert_int_equal(nat_remove(n, &err), 0);
	assert_false(nat_exists(n));
	assert_int_equal(nat_remove(n, &err), 0);
}

/* Two daemons' tables: one's removal never touches the other's. */
static void test_tables_apart(void **state)
{
	_cleanup_(nat_freep) struct nat *a = NULL, *b = NULL;
	struct husk_error *err = NULL;
	struct nat_port p = port(IPPROTO_TCP, "0.0.0.0", 1234, "10.88.0.2", 8080);
	size_t count = 0;

	assert_int_equal(nat_open("husk_aaaa0001", &a, &err), 0);
	assert_int_equal(nat_open("husk_bbbb0002", &b, &err), 0);
	assert_int_equal(nat_ensure(a, &err), 0);
	assert_int_equal(nat_ensure(b, &err), 0);
	assert_int_equal(nat_port_add(a, &p, &err), 0);
	assert_int_equal(nat_port_add(b, &p, &err), 0);
	assert_int_equal(nat_remove(a, &err), 0);
	assert_false(nat_exists(a));
	assert_true(nat_exists(b));
	assert_int_equal(nat_port_count(b, &count, &err), 0);
	assert_int_equal(count, 1);
	assert_int_equal(nat_remove(b, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_table_lifecycle),
	        cmocka_unit_test(test_tables_apart),
	};
	/* never touch the host's tables */
	if (unshare(CLONE_NEWNET) < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
