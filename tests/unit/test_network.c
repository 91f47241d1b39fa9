/* Unit tests for src/network/network.c, endpoint.c and ports.c, run whole
 * in a private network namespace that stands in for the host (its bridge,
 * nftables table and sysctls are the test's own): the predefined
 * networks, user networks and their errors, a container endpoint that
 * really carries traffic, a published port reached through 127.0.0.1,
 * port conflicts that leave nothing behind, names on a user network, and
 * teardown after a daemon restart. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/str.h"
#include "network/nat.h"
#include "network/netlink.h"
#include "network/network.h"
#include "network/portredir.h"

static char root[64];

static struct networks *open_networks(void)
{
	struct networks_config c = {.data_root = root, .nat = true, .ip_forward = true};
	struct networks *n = NULL;
	struct husk_error *err = NULL;

	if (networks_open(&c, &n, &err) < 0)
		fail_msg("networks_open: %s", error_message(err));
	return n;
}

/* A handle on the test daemon's own table. */
static struct nat *open_nat(void)
{
	char bridge[16], table[32];
	struct nat *nat = NULL;
	struct husk_error *err = NULL;

	assert_int_equal(network_daemon_names(root, false, NULL, bridge, table, &err), 0);
	assert_int_equal(nat_open(table, &nat, &err), 0);
	return nat;
}

static char *make_netns(const char *name)
{
	char *path = str_printf("%s/%s", root, name);
	struct husk_error *err = NULL;

	assert_int_equal(netns_create(path, &err), 0);
	return path;
}

static void test_predefined_and_user_networks(void **state)
{
	_cleanup_(networks_freep) struct networks *n = open_networks();
	_cleanup_(json_decrefp) json_t *br = NULL, *created = NULL, *list = NULL, *dup = NULL;
	struct husk_error *err = NULL;

	assert_int_equal(network_inspect(n, "bridge", &br, &err), 0);
	json_t *cfg = json_array_get(json_object_get(json_object_get(br, "IPAM"), "Config"), 0);
	/* this namespace has no routes: the first pool is free */
	assert_string_equal(json_string_value(json_object_get(cfg, "Subnet")), "172.17.0.0/16");
	assert_string_equal(json_string_value(json_object_get(cfg, "Gateway")), "172.17.0.1");
	assert_string_equal(json_string_value(json_object_get(br, "Driver")), "bridge");

	json_t *body = json_pack("{s:s, s:{s:[{s:s}]}}", "Name", "n1", "IPAM", "Config", "Subnet",
	                         "10.90.0.0/24");
	assert_int_equal(network_create(n, body, &created, &err), 0);
	assert_int_equal(strlen(json_string_value(json_object_get(created, "Id"))), 64);
	assert_int_equal(network_create(n, body, &dup, &err), -EEXIST);
	assert_string_equal(error_message(err), "network with name n1 already exists");
	error_free(err);
	err = NULL;
	json_decref(body);

	body = json_pack("{s:s, s:{s:[{s:s}]}}", "Name", "n2", "IPAM", "Config", "Subnet",
	                 "10.90.0.128/25");
	assert_int_equal(network_create(n, body, &dup, &err), -EEXIST);
	assert_non_null(strstr(error_message(err), "Pool overlaps"));
	error_free(err);
	err = NULL;
	json_decref(body);
	body = json_pack("{s:s}", "Name", "bad name");
	assert_int_equal(network_create(n, body, &dup, &err), -EINVAL);
	error_free(err);
	err = NULL;
	json_decref(body);
	body = json_pack("{s:s, s:s}", "Name", "n3", "Driver", "overlay");
	assert_int_equal(network_create(n, body, &dup, &err), -EINVAL);
	error_free(err);
	err = NULL;
	json_decref(body);

	json_t *filters = json_pack("{s:{s:b}}", "type", "custom", 1);
	assert_int_equal(network_list(n, filters, &list, &err), 0);
	assert_int_equal(json_array_size(list), 1);
	json_decref(filters);
	filters = json_pack("{s:{s:b}}", "colour", "red", 1);
	assert_int_equal(network_list(n, filters, &dup, &err), -EINVAL);
	assert_string_equal(error_message(err), "invalid filter 'colour'");
	error_free(err);
	err = NULL;
	json_decref(filters);

	assert_int_equal(network_remove(n, "host", &err), -EPERM);
	error_free(err);
	err = NULL;
	assert_int_equal(network_remove(n, "nope", &err), -ENOENT);
	assert_string_equal(error_message(err), "network nope not found");
	error_free(err);
	err = NULL;
	assert_int_equal(network_remove(n, "n1", &err), 0);
}

struct server {
	const char *netns;
	uint16_t port;
	int fd;
};

/* A TCP server inside a namespace: answers one connection with "hi". */
static void *serve(void *p)
{
	struct server *s = p;
	int c = accept(s->fd, NULL, NULL);

	if (c >= 0) {
		(void)!write(c, "hi", 2);
		close(c);
	}
	return NULL;
}

static int listen_in(const char *netns, uint16_t port)
{
	int self = open("/proc/thread-self/ns/net", O_RDONLY), ns = open(netns, O_RDONLY), one = 1;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd;

	assert_int_equal(setns(ns, CLONE_NEWNET), 0);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(setns(self, CLONE_NEWNET), 0);
	close(self);
	close(ns);
	return fd;
}

static void expect_hi(const char *ip, uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char buf[4] = "";

	inet_pton(AF_INET, ip, &sa.sin_addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		fail_msg("connect %s:%u: %s", ip, port, strerror(errno));
	assert_int_equal(read(fd, buf, sizeof(buf)), 2);
	assert_string_equal(buf, "hi");
	close(fd);
}

static void test_endpoint_and_published_port(void **state)
{
	_cleanup_(networks_freep) struct networks *n = open_networks();
	_cleanup_free_ char *ns1 = make_netns("c1"), *ns2 = make_netns("c2"),
	                    *hosts = str_printf("%s/hosts1", root);
	_cleanup_(json_decrefp) json_t *settings = NULL, *ports = NULL, *ports2 = NULL,
	                               *settings2 = NULL;
	struct husk_error *err = NULL;
	const char *id1 = "1111111111111111111111111111111111111111111111111111111111111111";
	const char *id2 = "2222222222222222222222222222222222222222222222222222222222222222";
	struct endpoint_config ec = {id1, "c1", "c1host", NULL, {0}, hosts};
	struct in_addr ip;
	pthread_t t;

	assert_int_equal(atomic_write_file(hosts, "", 0, 0644, &err), 0);
	if (network_connect(n, "default", ns1, &ec, &settings, &err) < 0)
		fail_msg("%s", error_message(err));
	assert_string_equal(json_string_value(json_object_get(settings, "IPAddress")),
	                    "172.17.0.2");
	assert_string_equal(json_string_value(json_object_get(settings, "Gateway")), "172.17.0.1");
	assert_int_equal(strlen(json_string_value(json_object_get(settings, "MacAddress"))), 17);
	inet_pton(AF_INET, "172.17.0.2", &ip);

	/* /etc/hosts names the container */
	_cleanup_free_ char *text = NULL;
	size_t len;
	assert_int_equal(read_file(hosts, 1 << 16, &text, &len, &err), 0);
	assert_non_null(strstr(text, "172.17.0.2\tc1host\n"));
	assert_non_null(strstr(text, "127.0.0.1\tlocalhost\n"));

	/* direct, over the bridge */
	struct server s = {ns1, 8080, listen_in(ns1, 8080)};
	pthread_create(&t, NULL, serve, &s);
	expect_hi("172.17.0.2", 8080);
	pthread_join(t, NULL);

	/* published on 127.0.0.1:18080 and on a random port of every address */
	json_t *b = json_pack("{s:[{s:s, s:s}], s:[{s:s, s:s}]}", "8080/tcp", "HostIp", "127.0.0.1",
	                      "HostPort", "18080", "9090/udp", "HostIp", "", "HostPort", "");
	json_t *exposed = json_pack("{s:{}, s:{}}", "8080/tcp", "7000/tcp");
	if (ports_publish(n, id1, ip, b, exposed, false, &ports, &err) < 0)
		fail_msg("%s", error_message(err));
	assert_string_equal(
	        json_string_value(json_object_get(
	                json_array_get(json_object_get(ports, "8080/tcp"), 0), "HostPort")),
	        "18080");
	assert_true(json_is_null(json_object_get(ports, "7000/tcp")));
	const char *random_port = json_string_value(
	        json_object_get(json_array_get(json_object_get(ports, "9090/udp"), 0), "HostPort"));
	assert_true(atoi(random_port) > 0);
	pthread_create(&t, NULL, serve, &s);
	expect_hi("127.0.0.1", 18080);
	pthread_join(t, NULL);
	close(s.fd);

	/* another container asking for the same host port gets Docker's error
	 * and nothing of it stays published */
	struct endpoint_config ec2 = {id2, "c2", "c2", NULL, {0}, NULL};
	assert_int_equal(network_connect(n, "bridge", ns2, &ec2, &settings2, &err), 0);
	struct in_addr ip2;
	inet_pton(AF_INET, json_string_value(json_object_get(settings2, "IPAddress")), &ip2);
	json_t *b2 =
	        json_pack("{s:[{s:s, s:s}], s:[{s:s, s:s}]}", "81/tcp", "HostIp", "", "HostPort",
	                  "18081", "80/tcp", "HostIp", "127.0.0.1", "HostPort", "18080");
	/* (c1 holds 127.0.0.1:18080 bound, as docker-proxy would) */
	assert_int_equal(ports_publish(n, id2, ip2, b2, NULL, false, &ports2, &err), -EADDRINUSE);
	assert_string_equal(error_message(err),
	                    "Bind for 127.0.0.1:18080 failed: port is already allocated");
	/* nor can anyone else on the host bind it while it is published */
	int taken = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa80 = {.sin_family = AF_INET, .sin_port = htons(18080)};
	inet_pton(AF_INET, "127.0.0.1", &sa80.sin_addr);
	assert_int_equal(bind(taken, (struct sockaddr *)&sa80, sizeof(sa80)), -1);
	assert_int_equal(errno, EADDRINUSE);
	close(taken);
	error_free(err);
	err = NULL;
	_cleanup_(nat_freep) struct nat *nat = open_nat();
	size_t count = 0;
	assert_int_equal(nat_port_count(nat, &count, &err), 0);
	assert_int_equal(count, 2); /* c1's two only */
	json_decref(b2);
	/* a port taken on the host by someone else */
	int busy = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(18082)};
	assert_int_equal(bind(busy, (struct sockaddr *)&sa, sizeof(sa)), 0);
	b2 = json_pack("{s:[{s:s, s:s}]}", "80/tcp", "HostIp", "", "HostPort", "18082");
	assert_int_equal(ports_publish(n, id2, ip2, b2, NULL, false, &ports2, &err), -EADDRINUSE);
	error_free(err);
	err = NULL;
	close(busy);
	json_decref(b2);

	/* a daemon restart: the endpoint records are read back and undone */
	networks_free(n);
	n = open_networks();
	taken = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(taken, (struct sockaddr *)&sa80, sizeof(sa80)), -1); /* held again */
	assert_int_equal(network_disconnect_all(n, id1, false, &err), 0);
	assert_int_equal(bind(taken, (struct sockaddr *)&sa80, sizeof(sa80)), 0); /* and let go */
	close(taken);
	assert_true(nat_exists(nat)); /* c2's endpoint is left */
	assert_int_equal(network_disconnect_all(n, id2, false, &err), 0);
	networks_settle_nat(n);
	assert_int_equal(nat_port_count(nat, &count, &err), 0);
	assert_int_equal(count, 0);
	assert_false(nat_exists(nat)); /* gone with the last endpoint */
	_cleanup_(nl_closep) struct nl *nl = NULL;
	assert_int_equal(nl_open(-1, &nl, &err), 0);
	json_t *check = NULL;
	char *live[] = {NULL};
	assert_int_equal(networks_check(n, live, &check, &err), 0);
	assert_int_equal(json_array_size(check), 0);
	json_decref(check);
	json_decref(b);
	json_decref(exposed);
	assert_int_equal(netns_remove(ns1, &err), 0);
	assert_int_equal(netns_remove(ns2, &err), 0);
}

static void test_names_on_user_network(void **state)
{
	_cleanup_(networks_freep) struct networks *n = open_networks();
	_cleanup_free_ char *ns3 = make_netns("c3"), *ns4 = make_netns("c4"),
	                    *h3 = str_printf("%s/hosts3", root),
	                    *h4 = str_printf("%s/hosts4", root);
	_cleanup_(json_decrefp) json_t *created = NULL, *s3 = NULL, *s4 = NULL, *again = NULL;
	struct husk_error *err = NULL;
	const char *id3 = "3333333333333333333333333333333333333333333333333333333333333333";
	const char *id4 = "4444444444444444444444444444444444444444444444444444444444444444";
	char *aliases[] = {"db", NULL};
	struct endpoint_config e3 = {id3, "web", "web", NULL, {0}, h3};
	struct endpoint_config e4 = {id4, "store", "store", aliases, {0}, h4};
	_cleanup_free_ char *text = NULL;
	size_t len;

	json_t *body = json_pack("{s:s}", "Name", "app");
	assert_int_equal(network_create(n, body, &created, &err), 0);
	json_decref(body);
	assert_int_equal(atomic_write_file(h3, "", 0, 0644, &err), 0);
	assert_int_equal(atomic_write_file(h4, "", 0, 0644, &err), 0);
	assert_int_equal(network_connect(n, "app", ns3, &e3, &s3, &err), 0);
	assert_int_equal(network_connect(n, "app", ns4, &e4, &s4, &err), 0);
	assert_int_equal(network_connect(n, "app", ns4, &e4, &again, &err), -EEXIST);
	error_free(err);
	err = NULL;
	assert_int_equal(read_file(h3, 1 << 16, &text, &len, &err), 0);
	_cleanup_free_ char *line = str_printf("%s\tstore db 444444444444\n",
	                                       json_string_value(json_object_get(s4, "IPAddress")));
	assert_non_null(strstr(text, line));
	assert_int_equal(network_remove(n, "app", &err), -EBUSY);
	assert_non_null(strstr(error_message(err), "has active endpoints"));
	error_free(err);
	err = NULL;
	/* store leaves: web no longer resolves it */
	assert_int_equal(network_disconnect(n, "app", id4, &err), 0);
	free(text);
	text = NULL;
	assert_int_equal(read_file(h3, 1 << 16, &text, &len, &err), 0);
	assert_null(strstr(text, "store"));
	assert_int_equal(network_disconnect(n, "app", id3, &err), 0);
	assert_int_equal(network_remove(n, "app", &err), 0);
	netns_remove(ns3, &err);
	netns_remove(ns4, &err);
}

/* The names that keep daemons apart: pure. */
static void test_daemon_names(void **state)
{
	char b1[16], t1[32], b2[16], t2[32];
	struct husk_error *err = NULL;

	assert_int_equal(network_daemon_names("/var/lib/husk", true, NULL, b1, t1, &err), 0);
	assert_string_equal(b1, "husk0");
	assert_string_equal(t1, "husk");
	assert_int_equal(network_daemon_names("/tmp/a/root", false, NULL, b1, t1, &err), 0);
	assert_int_equal(network_daemon_names("/tmp/b/root", false, NULL, b2, t2, &err), 0);
	assert_int_equal(strlen(b1), 12);
	assert_true(startswith(b1, "husk") != NULL);
	assert_int_equal(strlen(t1), 13);
	assert_true(startswith(t1, "husk_") != NULL);
	assert_string_not_equal(b1, b2);
	assert_string_not_equal(t1, t2);
	assert_string_equal(b1 + 4, t1 + 5);
	/* the same root gives the same names */
	assert_int_equal(network_daemon_names("/tmp/b/root", false, NULL, b1, t1, &err), 0);
	assert_string_equal(b1, b2);
	/* daemon.json "bridge" names the bridge, not the table */
	assert_int_equal(network_daemon_names("/tmp/b/root", false, "br-test", b1, t1, &err), 0);
	assert_string_equal(b1, "br-test");
	assert_string_equal(t1, t2);
	assert_int_equal(network_daemon_names("/var/lib/husk", true, "docker1", b1, t1, &err), 0);
	assert_string_equal(b1, "docker1");
	assert_string_equal(t1, "husk");
	assert_int_equal(network_daemon_names("/r", false, "sixteen-chars-xx", b1, t1, &err),
	                 -EINVAL);
	assert_non_null(strstr(error_message(err), "invalid bridge name \"sixteen-chars-xx\""));
	error_free(err);
	err = NULL;
	assert_int_equal(network_daemon_names("/r", false, "a b", b1, t1, &err), -EINVAL);
	error_free(err);
	err = NULL;
	assert_int_equal(network_daemon_names("/r", false, "", b1, t1, &err), -EINVAL);
	error_free(err);
}

static bool has_link(const char *netns, const char *name)
{
	_cleanup_close_ int fd = open(netns, O_RDONLY | O_CLOEXEC);
	_cleanup_(nl_closep) struct nl *nl = NULL;

	assert_true(fd >= 0);
	assert_int_equal(nl_open(fd, &nl, NULL), 0);
	return nl_link_index(nl, name) > 0;
}

/* One container on several networks: eth0, eth1, a freed name reused, the
 * veth deleted at once on disconnect, the table only while an endpoint is
 * left, a stale table deleted at open. */
static void test_several_networks(void **state)
{
	_cleanup_(networks_freep) struct networks *n = NULL;
	_cleanup_(nat_freep) struct nat *nat = open_nat();
	_cleanup_free_ char *ns = make_netns("c5");
	_cleanup_(json_decrefp) json_t *created = NULL, *s1 = NULL, *s2 = NULL, *s3 = NULL,
	                               *br = NULL;
	struct husk_error *err = NULL;
	const char *id = "5555555555555555555555555555555555555555555555555555555555555555";
	struct endpoint_config ec = {id, "multi", "multi", NULL, {0}, NULL};
	char bridge[16], table[32];

	/* a table left by a daemon that died with nothing running */
	assert_int_equal(nat_ensure(nat, &err), 0);
	n = open_networks();
	networks_settle_nat(n);
	assert_false(nat_exists(nat));
	/* the default bridge has this daemon's name and exists already */
	assert_int_equal(network_daemon_names(root, false, NULL, bridge, table, &err), 0);
	assert_int_equal(network_inspect(n, "bridge", &br, &err), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(br, "Options"),
	                                                      "com.docker.network.bridge.name")),
	                    bridge);
	_cleanup_(nl_closep) struct nl *nl = NULL;
	assert_int_equal(nl_open(-1, &nl, &err), 0);
	assert_true(nl_link_index(nl, bridge) > 0);

	json_t *body = json_pack("{s:s}", "Name", "side");
	assert_int_equal(network_create(n, body, &created, &err), 0);
	json_decref(body);
	assert_int_equal(network_connect(n, "bridge", ns, &ec, &s1, &err), 0);
	assert_true(nat_exists(nat));
	assert_int_equal(network_connect(n, "side", ns, &ec, &s2, &err), 0);
	assert_true(has_link(ns, "eth0"));
	assert_true(has_link(ns, "eth1"));
	/* eth0 leaves; the next network gets its name */
	assert_int_equal(network_disconnect(n, "bridge", id, &err), 0);
	assert_false(has_link(ns, "eth0"));
	assert_true(nat_exists(nat));
	assert_int_equal(network_connect(n, "bridge", ns, &ec, &s3, &err), 0);
	assert_true(has_link(ns, "eth0"));
	assert_int_equal(network_disconnect(n, "side", id, &err), 0);
	assert_int_equal(network_disconnect(n, "side", id, &err), 0); /* not connected: fine */
	assert_true(nat_exists(nat));
	assert_int_equal(network_disconnect(n, "bridge", id, &err), 0);
	networks_settle_nat(n);
	assert_false(nat_exists(nat));
	assert_false(has_link(ns, "eth0"));
	assert_int_equal(network_remove(n, "side", &err), 0);
	netns_remove(ns, &err);
}

/* EndpointSettings.MacAddress: parsed as dockerd takes it, and the
 * container's interface gets it. */
static void test_mac_address(void **state)
{
	_cleanup_(networks_freep) struct networks *n = open_networks();
	_cleanup_free_ char *ns = make_netns("c6");
	_cleanup_(json_decrefp) json_t *s = NULL;
	struct husk_error *err = NULL;
	const char *id = "6666666666666666666666666666666666666666666666666666666666666666";
	uint8_t mac[6];
	struct endpoint_config ec = {id, "mac", "mac", NULL, {0}, NULL, mac};

	assert_int_equal(network_mac_parse("02:42:AC:11:00:99", mac), 0);
	assert_memory_equal(mac, ((uint8_t[]){0x02, 0x42, 0xac, 0x11, 0x00, 0x99}), 6);
	assert_int_equal(network_mac_parse("02-42-ac-11-00-98", mac), 0);
	assert_int_equal(mac[5], 0x98);
	static const char *const bad[] = {
	        "",
	        "02:42:ac:11:00",
	        "02:42:ac:11:00:9",
	        "02:42:ac:11:00:999",
	        "zz:42:ac:11:00:99",
	        "02:42-ac:11:00:99",
	        "02:42:ac:11:00:99:01:02",
	        " 2:42:ac:11:00:99",
	        "02:42:ac:11:00:+9",
	};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		assert_int_equal(network_mac_parse(bad[i], mac), -EINVAL);
	assert_int_equal(network_mac_parse(NULL, mac), -EINVAL);

	assert_int_equal(network_mac_parse("02:42:ac:11:00:97", mac), 0);
	if (network_connect(n, "bridge", ns, &ec, &s, &err) < 0)
		fail_msg("%s", error_message(err));
	assert_string_equal(json_string_value(json_object_get(s, "MacAddress")),
	                    "02:42:ac:11:00:97");
	assert_int_equal(network_disconnect(n, "bridge", id, &err), 0);
	netns_remove(ns, &err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_daemon_names),
	        cmocka_unit_test(test_predefined_and_user_networks),
	        cmocka_unit_test(test_endpoint_and_published_port),
	        cmocka_unit_test(test_names_on_user_network),
	        cmocka_unit_test(test_several_networks),
	        cmocka_unit_test(test_mac_address),
	};
	struct husk_error *err = NULL;
	struct nl *nl = NULL;
	int r;

	/* this namespace is the tests' "host" */
	if (unshare(CLONE_NEWNET) < 0 || nl_open(-1, &nl, &err) < 0 ||
	    nl_link_up(nl, "lo", NULL, &err) < 0)
		return 1;
	nl_close(nl);
	strcpy(root, "/tmp/husk-test-network.XXXXXX");
	if (!mkdtemp(root))
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	/* the BPF programs are the machine's (on the cgroup2 root): a test
	 * that failed half-way leaves none of them attached */
	char bridge[16], table[32];
	struct portredir *p = NULL;
	if (network_daemon_names(root, false, NULL, bridge, table, NULL) == 0 &&
	    portredir_open(table, &p, NULL) == 0) {
		portredir_remove(p, NULL);
		portredir_free(p);
	}
	rm_rf(root);
	return r;
}
