/* Unit tests for src/api/compat.c: what API 1.44 changed, seen by a 1.44
 * client and by older ones — Healthcheck.StartInterval, the MAC address
 * per endpoint, several networks at create, ReadOnlyForceRecursive,
 * VirtualSize and Created of images, DNSNames, /info's runtime status. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "api/compat.h"
#include "base/json.h"
#include "base/str.h"

static json_t *parse(const char *s)
{
	json_t *j = json_loads(s, 0, NULL);

	assert_non_null(j);
	return j;
}

struct created {
	json_t *body, *warnings;
};

static void created_release(struct created *c)
{
	json_decref(c->body);
	json_decref(c->warnings);
	*c = (struct created){0};
}

/* compat_container_create on body (JSON text) at version, which must
 * succeed: the changed body and the warnings. */
static struct created create_ok(unsigned version, const char *body)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct created c = {parse(body), json_array()};

	if (compat_container_create(version, c.body, c.warnings, &err) < 0)
		fail_msg("%s: %s", body, error_message(err));
	return c;
}

static void assert_create_error(unsigned version, const char *body, const char *msg)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *b = parse(body), *w = json_array();

	assert_int_equal(compat_container_create(version, b, w, &err), -EINVAL);
	assert_string_equal(error_message(err), msg);
}

static const char *ep_mac(json_t *body, const char *net)
{
	return json_string_value(json_object_get(
	        json_object_get(json_object_get(json_object_get(body, "NetworkingConfig"),
	                                        "EndpointsConfig"),
	                        net),
	        "MacAddress"));
}

static json_t *healthcheck(const struct created *c, const char *key)
{
	return json_object_get(json_object_get(c->body, "Healthcheck"), key);
}

static void test_start_interval(void **state)
{
	const char *body = "{\"Image\":\"busybox\",\"Healthcheck\":{\"Test\":[\"CMD\",\"true\"],"
	                   "\"StartInterval\":1000000000}}";
	struct created c = create_ok(144, body);

	assert_int_equal(json_integer_value(healthcheck(&c, "StartInterval")), 1000000000);
	created_release(&c);
	/* unknown to 1.43: ignored, as dockerd sets it to 0 */
	c = create_ok(143, body);
	assert_null(healthcheck(&c, "StartInterval"));
	assert_non_null(healthcheck(&c, "Test"));
	created_release(&c);
	/* no Healthcheck, or null: nothing to do */
	c = create_ok(143, "{\"Image\":\"busybox\",\"Healthcheck\":null}");
	created_release(&c);
}

static void test_several_networks(void **state)
{
	const char *body = "{\"HostConfig\":{\"NetworkMode\":\"n1\"},\"NetworkingConfig\":"
	                   "{\"EndpointsConfig\":{\"n1\":{},\"n2\":{}}}}";
	struct created c = create_ok(144, body);

	created_release(&c);
	assert_create_error(143, body,
	                    "Container cannot be created with multiple network endpoints: n1, n2");
	assert_create_error(124, body,
	                    "Container cannot be created with multiple network endpoints: n1, n2");
	/* one is fine at any version */
	c = create_ok(124, "{\"NetworkingConfig\":{\"EndpointsConfig\":{\"default\":{}}}}");
	created_release(&c);
}

static void test_force_recursive(void **state)
{
	const char *body = "{\"HostConfig\":{\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/a\","
	                   "\"Target\":\"/b\",\"ReadOnly\":true,\"BindOptions\":"
	                   "{\"ReadOnlyForceRecursive\":true}}]}}";
	struct created c = create_ok(144, body);

	created_release(&c);
	assert_create_error(143, body,
	                    "BindOptions.ReadOnlyForceRecursive needs API v1.44 or newer");
}

/* 1.44: an endpoint's own MacAddress stands; a container-wide one fills the
 * main network's endpoint, with a warning, and leaves Config. */
static void test_mac_144(void **state)
{
	struct created c = create_ok(144, "{\"HostConfig\":{\"NetworkMode\":\"default\"},"
	                                  "\"NetworkingConfig\":{\"EndpointsConfig\":{\"default\":"
	                                  "{\"MacAddress\":\"02:42:ac:11:00:99\"}}}}");

	assert_string_equal(ep_mac(c.body, "default"), "02:42:ac:11:00:99");
	assert_int_equal(json_array_size(c.warnings), 0);
	created_release(&c);

	c = create_ok(144, "{\"MacAddress\":\"02:42:ac:11:00:01\"}");
	assert_string_equal(ep_mac(c.body, "default"), "02:42:ac:11:00:01");
	assert_null(json_object_get(c.body, "MacAddress"));
	assert_int_equal(json_array_size(c.warnings), 1);
	assert_string_equal(json_string_value(json_array_get(c.warnings, 0)),
	                    "The container-wide MacAddress field is now deprecated. It should be "
	                    "specified in EndpointsConfig instead.");
	created_release(&c);

	/* the same address twice is fine; "bridge" is the default network */
	c = create_ok(144, "{\"MacAddress\":\"02:42:ac:11:00:01\",\"HostConfig\":{"
	                   "\"NetworkMode\":\"bridge\"},\"NetworkingConfig\":{"
	                   "\"EndpointsConfig\":{\"default\":{\"MacAddress\":"
	                   "\"02:42:ac:11:00:01\"}}}}");
	created_release(&c);
	assert_create_error(144,
	                    "{\"MacAddress\":\"02:42:ac:11:00:01\",\"NetworkingConfig\":{"
	                    "\"EndpointsConfig\":{\"default\":{\"MacAddress\":"
	                    "\"02:42:ac:11:00:02\"}}}}",
	                    "the container-wide MAC address must match the endpoint-specific MAC "
	                    "address for the main network, or be left empty");
	assert_create_error(144,
	                    "{\"MacAddress\":\"02:42:ac:11:00:01\",\"HostConfig\":{\"NetworkMode\":"
	                    "\"n1\"},\"NetworkingConfig\":{\"EndpointsConfig\":{\"n2\":{}}}}",
	                    "if a container-wide MAC address is supplied, HostConfig.NetworkMode "
	                    "must match the identity of a network in NetworkSettings.Networks");
	/* an empty one is no address */
	c = create_ok(144, "{\"MacAddress\":\"\"}");
	assert_null(json_object_get(c.body, "MacAddress"));
	assert_int_equal(json_array_size(c.warnings), 0);
	created_release(&c);
}

/* Before 1.44: Config.MacAddress is the container's (kept), copied to its
 * one endpoint; an endpoint's own is ignored. */
static void test_mac_143(void **state)
{
	struct created c = create_ok(
	        143,
	        "{\"MacAddress\":\"02:42:ac:11:00:01\",\"HostConfig\":{\"NetworkMode\":\"n1\"}}");

	assert_string_equal(ep_mac(c.body, "n1"), "02:42:ac:11:00:01");
	assert_string_equal(json_string_value(json_object_get(c.body, "MacAddress")),
	                    "02:42:ac:11:00:01");
	assert_int_equal(json_array_size(c.warnings), 0);
	created_release(&c);

	c = create_ok(143, "{\"NetworkingConfig\":{\"EndpointsConfig\":{\"default\":{"
	                   "\"MacAddress\":\"02:42:ac:11:00:99\"}}}}");
	assert_null(ep_mac(c.body, "default"));
	created_release(&c);

	assert_create_error(143,
	                    "{\"MacAddress\":\"02:42:ac:11:00:01\",\"HostConfig\":{"
	                    "\"NetworkMode\":\"host\"}}",
	                    "conflicting options: mac-address and the network mode");
}

static void test_network_connect(void **state)
{
	_cleanup_json_ json_t *epc = parse("{\"MacAddress\":\"02:42:ac:11:00:01\"}");

	compat_network_connect(144, epc);
	assert_non_null(json_object_get(epc, "MacAddress"));
	compat_network_connect(143, epc);
	assert_null(json_object_get(epc, "MacAddress"));
	compat_network_connect(143, NULL);
}

static void test_images(void **state)
{
	_cleanup_json_ json_t *list = parse("[{\"Id\":\"a\",\"Size\":5}]");
	_cleanup_json_ json_t *img = parse("{\"Id\":\"a\",\"Size\":5}");
	_cleanup_json_ json_t *img2 = parse("{\"Id\":\"a\",\"Size\":5,\"Created\":\"2024-01-02T03:"
	                                    "04:05Z\"}");
	_cleanup_json_ json_t *df = parse("{\"Images\":[{\"Size\":7}]}");

	compat_image_list(144, list);
	assert_null(json_object_get(json_array_get(list, 0), "VirtualSize"));
	compat_image_list(143, list);
	assert_int_equal(
	        json_integer_value(json_object_get(json_array_get(list, 0), "VirtualSize")), 5);

	compat_image_inspect(144, img);
	assert_null(json_object_get(img, "VirtualSize"));
	assert_null(json_object_get(img, "Created"));
	compat_image_inspect(143, img);
	assert_int_equal(json_integer_value(json_object_get(img, "VirtualSize")), 5);
	assert_string_equal(json_string_value(json_object_get(img, "Created")),
	                    "0001-01-01T00:00:00Z");
	compat_image_inspect(143, img2);
	assert_string_equal(json_string_value(json_object_get(img2, "Created")),
	                    "2024-01-02T03:04:05Z");

	compat_system_df(143, df);
	assert_int_equal(json_integer_value(json_object_get(
	                         json_array_get(json_object_get(df, "Images"), 0), "VirtualSize")),
	                 7);
}

static const char *compact_at(json_t *ctr, const char *net, const char *key)
{
	static char buf[256];
	_cleanup_free_ char *s = json_compact(json_object_get(
	        json_object_get(
	                json_object_get(json_object_get(ctr, "NetworkSettings"), "Networks"), net),
	        key));

	snprintf(buf, sizeof(buf), "%s", s ? s : "(absent)");
	return buf;
}

/* DNSNames from 1.44; Aliases with the short ID and hostname up to 1.44
 * (1.45 shows them as given): on user-defined networks only. */
static void test_dns_names(void **state)
{
	const char *doc =
	        "{\"Id\":\"0123456789abcdef\",\"Name\":\"/web\",\"Config\":{\"Hostname\":"
	        "\"0123456789ab\"},\"NetworkSettings\":{\"Networks\":{"
	        "\"app\":{\"Aliases\":[\"store\",\"web\"],\"EndpointID\":\"e1\",\"DNSNames\":null},"
	        "\"bridge\":{\"EndpointID\":\"e2\",\"DNSNames\":null},"
	        "\"idle\":{\"EndpointID\":\"\",\"DNSNames\":null}}}}";
	_cleanup_json_ json_t *c = parse(doc), *old = parse(doc);

	compat_container_inspect(144, c);
	assert_string_equal(compact_at(c, "app", "DNSNames"),
	                    "[\"web\",\"store\",\"0123456789ab\"]");
	assert_string_equal(compact_at(c, "app", "Aliases"),
	                    "[\"store\",\"web\",\"0123456789ab\"]");
	/* not on the default bridge, not before the endpoint is made */
	assert_string_equal(compact_at(c, "bridge", "DNSNames"), "null");
	assert_string_equal(compact_at(c, "bridge", "Aliases"), "(absent)");
	assert_string_equal(compact_at(c, "idle", "DNSNames"), "null");
	assert_string_equal(compact_at(c, "idle", "Aliases"), "[\"0123456789ab\"]");
	/* before 1.44: no DNSNames */
	compat_container_inspect(143, old);
	assert_string_equal(compact_at(old, "app", "DNSNames"), "null");
	assert_string_equal(compact_at(old, "app", "Aliases"),
	                    "[\"store\",\"web\",\"0123456789ab\"]");
}

static void test_info_runtimes(void **state)
{
	_cleanup_json_ json_t *info =
	        parse("{\"Runtimes\":{\"husk-runtime\":{\"path\":\"husk-runtime\"}}}");
	json_t *rt = json_object_get(json_object_get(info, "Runtimes"), "husk-runtime");
	_cleanup_json_ json_t *features = NULL;
	const char *s;

	compat_info(143, info);
	assert_null(json_object_get(rt, "status"));
	compat_info(144, info);
	s = json_string_value(json_object_get(json_object_get(rt, "status"),
	                                      "org.opencontainers.runtime-spec.features"));
	assert_non_null(s);
	features = json_loads(s, 0, NULL);
	assert_non_null(json_object_get(features, "ociVersionMax"));
	compat_info(143, info);
	assert_null(json_object_get(rt, "status"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_start_interval),  cmocka_unit_test(test_several_networks),
	        cmocka_unit_test(test_force_recursive), cmocka_unit_test(test_mac_144),
	        cmocka_unit_test(test_mac_143),         cmocka_unit_test(test_network_connect),
	        cmocka_unit_test(test_images),          cmocka_unit_test(test_dns_names),
	        cmocka_unit_test(test_info_runtimes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
