/* Unit tests for src/engine/spec_*.c: a Docker create body normalised as
 * dockerd normalises it (defaults, image merge, every refusal with its
 * words), linux.resources for create and update, users resolved in a fake
 * rootfs (symlinks out of it and FIFOs are not followed or read), Docker
 * seccomp profiles converted, and every spec built accepted by the
 * runtime's own parser (oci_spec_parse). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "engine/spec_build.h"
#include "oci/runtime_spec.h"

#define CAP(c) (UINT64_C(1) << (c))

/* ---- fixtures ---- */

static struct spec_host test_host(void)
{
	struct spec_host h = {
	        .ncpu = 2,
	        .cpus = "0-1",
	        .mems = "0",
	        .swap_limit = true,
	        .swappiness = true,
	        .oom_kill_disable = true,
	        .seccomp = true,
	        .kernel = 6 << 16 | 1,
	        .mount_setattr = true,
	        .last_cap = 40,
	        .available_caps = (UINT64_C(1) << 41) - 1,
	};
	return h;
}

static json_t *J(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &e);

	if (!j)
		fail_msg("bad test JSON: %s: %s", e.text, text);
	return j;
}

static json_t *normalize_ok_host(const char *body, const char *img, const struct spec_host *h,
                                 json_t **ret_warnings)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *b = J(body), *i = img ? J(img) : NULL;
	json_t *w = json_array(), *out = NULL;

	if (spec_normalize_create_host(b, i, h, w, &out, &err) < 0)
		fail_msg("normalize %s: %s", body, error_message(err));
	if (ret_warnings)
		*ret_warnings = w;
	else
		json_decref(w);
	return out;
}

static json_t *normalize_ok(const char *body, const char *img)
{
	struct spec_host h = test_host();

	return normalize_ok_host(body, img, &h, NULL);
}

/* Expect -EINVAL and exactly msg. */
static void normalize_fails_host(const char *body, const struct spec_host *h, const char *msg)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *b = J(body), *w = json_array(), *out = NULL;
	int r = spec_normalize_create_host(b, NULL, h, w, &out, &err);

	if (r >= 0)
		fail_msg("normalize %s: accepted, wanted \"%s\"", body, msg);
	assert_int_equal(r, -EINVAL);
	assert_null(out);
	if (!streq(error_message(err), msg))
		fail_msg("normalize %s:\n  got  \"%s\"\n  want \"%s\"", body, error_message(err),
		         msg);
}

static void normalize_fails(const char *body, const char *msg)
{
	struct spec_host h = test_host();

	normalize_fails_host(body, &h, msg);
}

#define HCB(hc) "{\"Image\":\"x\",\"Cmd\":[\"sh\"],\"HostConfig\":" hc "}"

static const char *sget(json_t *o, const char *path)
{
	json_t *v = o;
	_cleanup_strv_ char **parts = strv_split(path, ".");

	STRV_FOREACH (p, parts)
		v = json_is_array(v) ? json_array_get(v, (size_t)atoi(*p)) : json_object_get(v, *p);
	return json_string_value(v);
}

static json_t *jget(json_t *o, const char *path)
{
	json_t *v = o;
	_cleanup_strv_ char **parts = strv_split(path, ".");

	STRV_FOREACH (p, parts)
		v = json_is_array(v) ? json_array_get(v, (size_t)atoi(*p)) : json_object_get(v, *p);
	return v;
}

static json_int_t iget(json_t *o, const char *path)
{
	json_t *v = jget(o, path);

	if (!json_is_integer(v))
		fail_msg("%s: not an integer", path);
	return json_integer_value(v);
}

static bool warned(json_t *w, const char *msg)
{
	json_t *v;
	size_t i;

	json_array_foreach (w, i, v)
		if (streq(json_string_value(v), msg))
			return true;
	return false;
}

/* A fake rootfs with /etc/passwd and /etc/group. */
struct fx {
	char dir[64];
	char *rootfs;
	int rootfd;
};

static void write_at(const char *root, const char *rel, const char *text)
{
	_cleanup_free_ char *p = path_join(root, rel);

	assert_int_equal(mkdir_p_parent(p, 0755), 0);
	assert_int_equal(atomic_write_file(p, text, strlen(text), 0644, NULL), 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/husk-test-spec-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->rootfs = path_join(f->dir, "rootfs");
	write_at(f->rootfs, "etc/passwd",
	         "root:x:0:0:root:/root:/bin/sh\n"
	         "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
	         "# a comment\n"
	         "\n"
	         "alice:x:1000:1000:Alice:/home/alice:/bin/sh\n"
	         "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
	write_at(f->rootfs, "etc/group",
	         "root:x:0:\ndaemon:x:1:\nwheel:x:10:root,alice\naudio:x:29:alice\n"
	         "alice:x:1000:\nnogroup:x:65534:\n");
	f->rootfd = open(f->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	*state = f;
	return f->rootfd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	close(f->rootfd);
	rm_rf(f->dir);
	free(f->rootfs);
	free(f);
	return 0;
}

static struct spec_host g_host;

static struct spec_input input(struct fx *f, json_t *body)
{
	g_host = test_host();
	return (struct spec_input){
	        .body = body,
	        .id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	        .rootfs = f->rootfs,
	        .rootfs_fd = f->rootfd,
	        .host = &g_host,
	};
}

/* Build, check with the runtime's parser, and hand both back. */
static json_t *build_ok(const struct spec_input *in, struct oci_spec **ret_parsed)
{
	_cleanup_error_ struct husk_error *err = NULL, *perr = NULL;
	json_t *spec = NULL;
	struct oci_spec *s;

	if (spec_build(in, &spec, &err) < 0)
		fail_msg("spec_build: %s", error_message(err));
	s = oci_spec_parse(spec, &perr);
	if (!s)
		fail_msg("oci_spec_parse: %s", error_message(perr));
	if (ret_parsed)
		*ret_parsed = s;
	else
		oci_spec_free(s);
	return spec;
}

/* Normalise body then build it with default inputs. */
static json_t *build_body(struct fx *f, const char *body, struct oci_spec **ret_parsed)
{
	_cleanup_json_ json_t *n = normalize_ok(body, NULL);
	struct spec_input in = input(f, n);

	return build_ok(&in, ret_parsed);
}

static void build_fails(struct spec_input *in, int code, const char *msg)
{
	_cleanup_error_ struct husk_error *err = NULL;
	json_t *spec = NULL;
	int r = spec_build(in, &spec, &err);

	if (r >= 0)
		fail_msg("spec_build accepted, wanted \"%s\"", msg);
	assert_null(spec);
	assert_int_equal(r, -code);
	if (!streq(error_message(err), msg))
		fail_msg("spec_build:\n  got  \"%s\"\n  want \"%s\"", error_message(err), msg);
}

static json_t *find_mount(json_t *spec, const char *dest)
{
	json_t *m;
	size_t i;

	json_array_foreach (json_object_get(spec, "mounts"), i, m)
		if (streq(json_string_value(json_object_get(m, "destination")), dest))
			return m;
	return NULL;
}

static bool has_string(json_t *a, const char *s)
{
	json_t *v;
	size_t i;

	json_array_foreach (a, i, v)
		if (streq(json_string_value(v), s))
			return true;
	return false;
}

static const char *opts_text(json_t *m)
{
	static char buf[512];
	_cleanup_free_ char *s = json_compact(json_object_get(m, "options"));

	snprintf(buf, sizeof(buf), "%s", s ? s : "null");
	return buf;
}

static const char *sysctl_of(json_t *spec, const char *key)
{
	return json_string_value(json_object_get(jget(spec, "linux.sysctl"), key));
}

static const struct oci_namespace *ns_of(const struct oci_spec *s, enum oci_ns_type t)
{
	return oci_spec_namespace(s, t);
}

/* ---- normalisation: defaults ---- */

static void test_defaults(void **state)
{
	_cleanup_json_ json_t *n = normalize_ok("{\"Image\":\"busybox\",\"Cmd\":\"sh\"}", NULL);
	json_t *hc = json_object_get(n, "HostConfig");

	(void)state;
	assert_string_equal(sget(n, "Cmd.0"), "sh"); /* StrSlice from a string */
	assert_string_equal(sget(hc, "RestartPolicy.Name"), "no");
	assert_int_equal(iget(hc, "RestartPolicy.MaximumRetryCount"), 0);
	assert_int_equal(iget(hc, "ShmSize"), 64 * 1024 * 1024);
	assert_string_equal(sget(hc, "IpcMode"), "private");
	assert_string_equal(sget(hc, "CgroupnsMode"), "host");
	assert_string_equal(sget(hc, "NetworkMode"), "default");
	assert_string_equal(sget(hc, "Runtime"), "runc");
	assert_true(json_is_false(json_object_get(hc, "OomKillDisable")));
	assert_true(json_is_false(json_object_get(hc, "Privileged")));
	assert_int_equal(json_array_size(json_object_get(hc, "MaskedPaths")), 12);
	assert_string_equal(sget(hc, "MaskedPaths.0"), "/proc/asound");
	assert_string_equal(sget(hc, "ReadonlyPaths.4"), "/proc/sysrq-trigger");
	assert_null(json_object_get(n, "Hostname"));
}

static void test_defaults_v2_and_privileged(void **state)
{
	struct spec_host h = test_host();
	_cleanup_json_ json_t *n = NULL, *p = NULL;

	(void)state;
	h.cgroup_v2 = true;
	n = normalize_ok_host(HCB("{}"), NULL, &h, NULL);
	assert_string_equal(sget(n, "HostConfig.CgroupnsMode"), "private");
	p = normalize_ok(HCB("{\"Privileged\":true}"), NULL);
	assert_null(jget(p, "HostConfig.MaskedPaths"));
	assert_null(jget(p, "HostConfig.ReadonlyPaths"));
	assert_string_equal(sget(p, "HostConfig.CgroupnsMode"), "host");
}

static void test_body_untouched(void **state)
{
	_cleanup_json_ json_t *b = J(HCB("{\"Memory\":104857600}")), *copy = json_deep_copy(b);
	_cleanup_json_ json_t *out = NULL;
	struct spec_host h = test_host();

	(void)state;
	assert_int_equal(spec_normalize_create_host(b, NULL, &h, NULL, &out, NULL), 0);
	assert_true(json_equal(b, copy));
	assert_int_equal(iget(out, "HostConfig.MemorySwap"), 2 * 104857600);
}

static void test_types(void **state)
{
	(void)state;
	normalize_fails(HCB("{\"Memory\":\"1g\"}"),
	                "HostConfig.Memory: expected an integer, got a string");
	normalize_fails(HCB("{\"Privileged\":1}"),
	                "HostConfig.Privileged: expected a boolean, got an integer");
	normalize_fails(HCB("{\"Binds\":[1]}"),
	                "HostConfig.Binds[0]: expected a string, got an integer");
	normalize_fails(HCB("{\"Sysctls\":{\"net.x\":1}}"),
	                "HostConfig.Sysctls[\"net.x\"]: expected a string, got an integer");
	normalize_fails("{\"Image\":\"x\",\"Cmd\":[\"sh\"],\"Env\":\"A=1\"}",
	                "Env: expected an array, got a string");
	normalize_fails("{\"Image\":\"x\",\"Cmd\":[\"sh\"],\"HostConfig\":[]}",
	                "HostConfig: expected an object, got an array");
	normalize_fails("[]", "Config cannot be empty in order to create a container");
}

/* ---- resources ---- */

static void test_memory_checks(void **state)
{
	_cleanup_json_ json_t *n = NULL, *w = NULL;
	struct spec_host h = test_host();

	(void)state;
	normalize_fails(HCB("{\"Memory\":1000}"), "Minimum memory limit allowed is 6MB");
	normalize_fails(HCB("{\"MemoryReservation\":1000}"),
	                "Minimum memory reservation allowed is 6MB");
	normalize_fails(HCB("{\"Memory\":104857600,\"MemorySwap\":10485760}"),
	                "Minimum memoryswap limit should be larger than memory limit, see usage");
	normalize_fails(
	        HCB("{\"MemorySwap\":104857600}"),
	        "You should always set the Memory limit when using Memoryswap limit, see usage");
	normalize_fails(HCB("{\"MemorySwappiness\":101}"),
	                "Invalid value: 101, valid memory swappiness range is 0-100");
	normalize_fails(
	        HCB("{\"Memory\":10485760,\"MemoryReservation\":20971520}"),
	        "Minimum memory limit can not be less than memory reservation limit, see usage");
	n = normalize_ok(HCB("{\"MemorySwappiness\":-1,\"Memory\":10485760,\"MemorySwap\":-1}"),
	                 NULL);
	assert_true(json_is_null(jget(n, "HostConfig.MemorySwappiness")));
	assert_int_equal(iget(n, "HostConfig.MemorySwap"), -1);
	json_decref(n);
	/* no swap accounting: dockerd's warning, swap unlimited */
	h.swap_limit = false;
	n = normalize_ok_host(HCB("{\"Memory\":10485760}"), NULL, &h, &w);
	assert_true(warned(w,
	                   "Your kernel does not support swap limit capabilities or the cgroup is "
	                   "not mounted. Memory limited without swap."));
	assert_int_equal(iget(n, "HostConfig.MemorySwap"), -1);
}

static void test_memory_warnings(void **state)
{
	_cleanup_json_ json_t *n = NULL, *w = NULL, *n2 = NULL, *w2 = NULL;
	struct spec_host h = test_host();

	(void)state;
	n = normalize_ok_host(HCB("{\"KernelMemory\":104857600,\"OomKillDisable\":true}"), NULL, &h,
	                      &w);
	assert_true(warned(
	        w, "The --kernel-memory flag is no longer supported. This flag is a no-op."));
	assert_true(warned(w,
	                   "OOM killer is disabled for the container, but no memory limit is set, "
	                   "this can result in the system running out of resources."));
	assert_int_equal(iget(n, "HostConfig.KernelMemory"), 0);
	h.swappiness = false;
	h.oom_kill_disable = false;
	n2 = normalize_ok_host(HCB("{\"MemorySwappiness\":10,\"OomKillDisable\":true}"), NULL, &h,
	                       &w2);
	assert_true(warned(w2, "Your kernel does not support memory swappiness capabilities or the "
	                       "cgroup is not mounted. Memory swappiness discarded."));
	assert_true(warned(
	        w2, "Your kernel does not support OomKillDisable. OomKillDisable discarded."));
	assert_true(json_is_null(jget(n2, "HostConfig.MemorySwappiness")));
}

static void test_cpu_checks(void **state)
{
	_cleanup_json_ json_t *n = NULL, *w = NULL;
	struct spec_host h = test_host();

	(void)state;
	normalize_fails(HCB("{\"NanoCpus\":3000000000}"),
	                "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available");
	normalize_fails(HCB("{\"NanoCpus\":-1}"),
	                "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available");
	normalize_fails(HCB("{\"NanoCpus\":1000000000,\"CpuPeriod\":100000}"),
	                "Conflicting options: Nano CPUs and CPU Period cannot both be set");
	normalize_fails(HCB("{\"NanoCpus\":1000000000,\"CpuQuota\":50000}"),
	                "Conflicting options: Nano CPUs and CPU Quota cannot both be set");
	normalize_fails(
	        HCB("{\"CpuPeriod\":500}"),
	        "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. "
	        "1000000)");
	normalize_fails(
	        HCB("{\"CpuPeriod\":2000000}"),
	        "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. "
	        "1000000)");
	normalize_fails(HCB("{\"CpuQuota\":999}"),
	                "CPU cfs quota can not be less than 1ms (i.e. 1000)");
	normalize_fails(HCB("{\"CpusetCpus\":\"0-7\"}"),
	                "Requested CPUs are not available - requested 0-7, available: 0-1");
	normalize_fails(HCB("{\"CpusetCpus\":\"0-a\"}"),
	                "Invalid value 0-a for cpuset cpus: invalid format: 0-a");
	normalize_fails(HCB("{\"CpusetCpus\":\"1-0\"}"),
	                "Invalid value 1-0 for cpuset cpus: invalid format: 1-0");
	normalize_fails(HCB("{\"CpusetMems\":\"1\"}"),
	                "Requested memory nodes are not available - requested 1, available: 0");
	normalize_fails(HCB("{\"CpuShares\":-1}"), "shares: invalid argument");
	normalize_fails(HCB("{\"CpuRealtimePeriod\":1000}"),
	                "Your kernel does not support cgroup cpu real-time period");
	h.cpu_rt = true;
	normalize_fails_host(HCB("{\"CpuRealtimePeriod\":1000,\"CpuRealtimeRuntime\":2000}"), &h,
	                     "cpu real-time runtime cannot be higher than cpu real-time period");
	n = normalize_ok_host(
	        HCB("{\"CpuPercent\":50,\"CpusetCpus\":\"0,1\",\"NanoCpus\":1500000000}"), NULL, &h,
	        &w);
	assert_true(warned(w, "linux does not support CPU percent. Percent discarded."));
	assert_int_equal(iget(n, "HostConfig.CpuPercent"), 0);
}

static void test_blkio_qos_checks(void **state)
{
	(void)state;
	normalize_fails(HCB("{\"BlkioWeight\":5}"), "Range of blkio weight is from 10 to 1000");
	normalize_fails(HCB("{\"BlkioWeight\":1001}"), "Range of blkio weight is from 10 to 1000");
	normalize_fails(HCB("{\"BlkioWeight\":70000}"),
	                "HostConfig.BlkioWeight: 70000 does not fit in a uint16");
	normalize_fails(HCB("{\"IOMaximumBandwidth\":1}"),
	                "invalid QoS settings: linux does not support configuration of maximum "
	                "bandwidth");
	normalize_fails(
	        HCB("{\"IOMaximumIOps\":1}"),
	        "invalid QoS settings: linux does not support configuration of maximum IOPs");
	normalize_fails(HCB("{\"BlkioWeightDevice\":[{\"Path\":\"/dev/sda\",\"Weight\":5}]}"),
	                "invalid weight for device: /dev/sda:5");
	normalize_fails(HCB("{\"BlkioDeviceReadBps\":[{\"Path\":\"sda\",\"Rate\":5}]}"),
	                "HostConfig.BlkioDeviceReadBps[0]: invalid device path \"sda\": must be "
	                "absolute");
	normalize_fails(HCB("{\"DeviceRequests\":[{\"Driver\":\"\",\"Count\":-1,"
	                    "\"Capabilities\":[[\"gpu\"]]}]}"),
	                "could not select device driver \"\" with capabilities: [[gpu]]");
}

static void test_resources_json(void **state)
{
	_cleanup_json_ json_t *hc =
	        J("{\"Memory\":104857600,\"MemoryReservation\":52428800,"
	          "\"MemorySwap\":-1,\"MemorySwappiness\":60,"
	          "\"OomKillDisable\":true,\"NanoCpus\":1500000000,"
	          "\"CpuShares\":512,\"CpusetCpus\":\"0-1\",\"CpusetMems\":\"0\","
	          "\"PidsLimit\":0,\"BlkioWeight\":500,"
	          "\"BlkioDeviceReadBps\":[{\"Path\":\"/dev/null\",\"Rate\":1048576}]"
	          ",\"KernelMemory\":104857600}");
	_cleanup_json_ json_t *r = NULL, *w = json_array();
	_cleanup_error_ struct husk_error *err = NULL;
	struct spec_host h = test_host();
	struct oci_resources res;

	(void)state;
	if (spec_resources_host(hc, &h, &r, w, &err) < 0)
		fail_msg("%s", error_message(err));
	assert_int_equal(iget(r, "memory.limit"), 104857600);
	assert_int_equal(iget(r, "memory.reservation"), 52428800);
	assert_int_equal(iget(r, "memory.swap"), -1);
	assert_int_equal(iget(r, "memory.swappiness"), 60);
	assert_true(json_is_true(jget(r, "memory.disableOOMKiller")));
	assert_null(jget(r, "memory.kernel"));
	assert_int_equal(iget(r, "cpu.quota"), 150000);
	assert_int_equal(iget(r, "cpu.period"), 100000);
	assert_int_equal(iget(r, "cpu.shares"), 512);
	assert_string_equal(sget(r, "cpu.cpus"), "0-1");
	assert_int_equal(iget(r, "pids.limit"), -1);
	assert_int_equal(iget(r, "blockIO.weight"), 500);
	assert_int_equal(iget(r, "blockIO.throttleReadBpsDevice.0.major"), 1);
	assert_int_equal(iget(r, "blockIO.throttleReadBpsDevice.0.minor"), 3);
	assert_int_equal(iget(r, "blockIO.throttleReadBpsDevice.0.rate"), 1048576);
	/* an update body has no Privileged: the device rules are left alone */
	assert_null(json_object_get(r, "devices"));
	assert_true(warned(
	        w, "The --kernel-memory flag is no longer supported. This flag is a no-op."));
	if (oci_resources_parse(r, "linux.resources", &res, &err) < 0)
		fail_msg("%s", error_message(err));
	assert_true(res.has_cpu_quota && res.cpu_quota == 150000);
	assert_true(res.has_pids_limit && res.pids_limit == -1);
	oci_resources_release(&res);
}

static void test_resources_update_and_devices(void **state)
{
	_cleanup_json_ json_t *r = NULL, *r2 = NULL, *r3 = NULL;
	_cleanup_json_ json_t *upd = J("{\"CpuPeriod\":50000,\"CpuQuota\":25000,\"PidsLimit\":100,"
	                               "\"MemorySwap\":209715200,\"Devices\":null}");
	_cleanup_json_ json_t *dev = J("{\"Privileged\":false,\"Devices\":[{\"PathOnHost\":"
	                               "\"/dev/null\",\"PathInContainer\":\"/dev/xnull\","
	                               "\"CgroupPermissions\":\"rw\"}],"
	                               "\"DeviceCgroupRules\":[\"c 1:5 r\",\"b *:* m\"]}");
	_cleanup_json_ json_t *priv = J("{\"Privileged\":true}");
	struct spec_host h = test_host();
	json_t *rule;
	size_t i;
	bool found = false;

	(void)state;
	/* update semantics: swap without memory is fine */
	assert_int_equal(spec_resources_host(upd, &h, &r, NULL, NULL), 0);
	assert_int_equal(iget(r, "cpu.period"), 50000);
	assert_int_equal(iget(r, "cpu.quota"), 25000);
	assert_int_equal(iget(r, "pids.limit"), 100);
	assert_int_equal(iget(r, "memory.swap"), 209715200);
	assert_int_equal(spec_resources_host(dev, &h, &r2, NULL, NULL), 0);
	rule = jget(r2, "devices.0");
	assert_true(json_is_false(json_object_get(rule, "allow")));
	assert_string_equal(sget(rule, "access"), "rwm");
	json_array_foreach (json_object_get(r2, "devices"), i, rule)
		found = found || (streq(sget(rule, "type"), "c") && iget(rule, "major") == 1 &&
		                  iget(rule, "minor") == 3 && streq(sget(rule, "access"), "rw"));
	assert_true(found);
	/* runc's defaults come last: ptys and tun */
	rule = json_array_get(json_object_get(r2, "devices"),
	                      json_array_size(json_object_get(r2, "devices")) - 1);
	assert_int_equal(iget(rule, "major"), 10);
	assert_int_equal(iget(rule, "minor"), 200);
	assert_int_equal(spec_resources_host(priv, &h, &r3, NULL, NULL), 0);
	assert_int_equal(json_array_size(json_object_get(r3, "devices")), 1);
	assert_true(json_is_true(jget(r3, "devices.0.allow")));
}

static void test_resources_errors(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *bad = J("{\"CpuQuota\":10}"), *r = NULL;
	_cleanup_json_ json_t *nodev =
	        J("{\"BlkioDeviceWriteIOps\":[{\"Path\":\"/nonexistent/dev\","
	          "\"Rate\":10}]}");
	struct spec_host h = test_host();

	(void)state;
	assert_int_equal(spec_resources_host(bad, &h, &r, NULL, &err), -EINVAL);
	assert_string_equal(error_message(err),
	                    "CPU cfs quota can not be less than 1ms (i.e. 1000)");
	error_free(TAKE_PTR(err));
	assert_int_equal(spec_resources_host(nodev, &h, &r, NULL, &err), -ENOENT);
	assert_string_equal(error_message(err), "stat /nonexistent/dev: No such file or directory");
	error_free(TAKE_PTR(err));
	json_decref(bad);
	bad = json_string("x");
	assert_int_equal(spec_resources(bad, &r, NULL, &err), -EINVAL);
	assert_null(r);
}

/* ---- normalisation: refusals ---- */

static void test_restart_policy(void **state)
{
	_cleanup_json_ json_t *n = NULL;

	(void)state;
	normalize_fails(HCB("{\"RestartPolicy\":{\"Name\":\"sometimes\"}}"),
	                "invalid restart policy: unknown policy 'sometimes'; use one of 'no', "
	                "'always', 'on-failure', or 'unless-stopped'");
	normalize_fails(HCB("{\"RestartPolicy\":{\"Name\":\"always\",\"MaximumRetryCount\":2}}"),
	                "invalid restart policy: maximum retry count can only be used with "
	                "'on-failure'");
	normalize_fails(HCB("{\"RestartPolicy\":{\"Name\":\"no\",\"MaximumRetryCount\":-2}}"),
	                "invalid restart policy: maximum retry count can only be used with "
	                "'on-failure' and cannot be negative");
	normalize_fails(
	        HCB("{\"RestartPolicy\":{\"Name\":\"on-failure\",\"MaximumRetryCount\":-1}}"),
	        "invalid restart policy: maximum retry count cannot be negative");
	normalize_fails(HCB("{\"AutoRemove\":true,\"RestartPolicy\":{\"Name\":\"always\"}}"),
	                "can't create 'AutoRemove' container with restart policy");
	n = normalize_ok(
	        HCB("{\"RestartPolicy\":{\"Name\":\"on-failure\",\"MaximumRetryCount\":3}}"), NULL);
	assert_string_equal(sget(n, "HostConfig.RestartPolicy.Name"), "on-failure");
	assert_int_equal(iget(n, "HostConfig.RestartPolicy.MaximumRetryCount"), 3);
}

static void test_network_conflicts(void **state)
{
	_cleanup_json_ json_t *n = NULL, *w = NULL;
	struct spec_host h = test_host();

	(void)state;
	normalize_fails("{\"Image\":\"x\",\"Cmd\":[\"sh\"],\"Hostname\":\"h\","
	                "\"HostConfig\":{\"NetworkMode\":\"container:web\"}}",
	                "conflicting options: hostname and the network mode");
	normalize_fails(HCB("{\"NetworkMode\":\"container:\"}"),
	                "Invalid network mode: invalid container format container:<name|id>");
	normalize_fails(HCB("{\"NetworkMode\":\"container:web\",\"Dns\":[\"1.1.1.1\"]}"),
	                "conflicting options: dns and the network mode");
	normalize_fails(HCB("{\"NetworkMode\":\"container:web\",\"ExtraHosts\":[\"a:1.2.3.4\"]}"),
	                "conflicting options: custom host-to-IP mapping and the network mode");
	normalize_fails(HCB("{\"NetworkMode\":\"container:web\",\"PortBindings\":{\"80/tcp\":"
	                    "[{\"HostPort\":\"8080\"}]}}"),
	                "conflicting options: port publishing and the container type network mode");
	normalize_fails("{\"Image\":\"x\",\"Cmd\":[\"sh\"],\"ExposedPorts\":{\"80/tcp\":{}},"
	                "\"HostConfig\":{\"NetworkMode\":\"container:web\"}}",
	                "conflicting options: port exposing and the container type network mode");
	normalize_fails("{\"Image\":\"x\",\"Cmd\":[\"sh\"],\"MacAddress\":\"02:42:ac:11:00:02\","
	                "\"HostConfig\":{\"NetworkMode\":\"host\"}}",
	                "conflicting options: mac-address and the network mode");
	normalize_fails(
	        HCB("{\"NetworkMode\":\"container:web\",\"Links\":[\"a:b\"]}"),
	        "conflicting options: container type network can't be used with links. This "
	        "would result in undefined behavior");
	normalize_fails(HCB("{\"NetworkMode\":\"host\",\"Links\":[\"a:b\"]}"),
	                "conflicting options: host type networking can't be used with links. This "
	                "would result in undefined behavior");
	normalize_fails("{\"Image\":\"x\",\"Cmd\":[\"sh\"],\"Hostname\":\"h\","
	                "\"HostConfig\":{\"UTSMode\":\"host\"}}",
	                "conflicting options: hostname and the UTS mode");
	normalize_fails(HCB("{\"Isolation\":\"hyperv\"}"),
	                "Invalid isolation: \"hyperv\" - linux only supports 'default'");
	normalize_fails(HCB("{\"ExtraHosts\":[\"nocolon\"]}"),
	                "bad format for add-host: \"nocolon\"");
	normalize_fails(HCB("{\"ExtraHosts\":[\"a:1.2.3\"]}"),
	                "invalid IP address in add-host: \"1.2.3\"");
	normalize_fails(HCB("{\"PortBindings\":{\"8x/tcp\":[]}}"),
	                "invalid port specification: \"8x\"");
	normalize_fails(HCB("{\"PortBindings\":{\"80/tcp\":[{\"HostPort\":\"99999\"}]}}"),
	                "invalid port specification: \"99999\"");
	n = normalize_ok_host(HCB("{\"NetworkMode\":\"host\",\"ExtraHosts\":[\"gw:host-gateway\","
	                          "\"v6:::1\"],\"PortBindings\":{\"80/tcp\":[{\"HostPort\":"
	                          "\"8000-8010\"},{\"HostPort\":\"\"}]}}"),
	                      NULL, &h, &w);
	assert_true(warned(w, "Published ports are discarded when using host network mode"));
}

static void test_mode_checks(void **state)
{
	(void)state;
	normalize_fails(HCB("{\"IpcMode\":\"bogus\"}"), "invalid IPC mode: bogus");
	normalize_fails(HCB("{\"IpcMode\":\"container:\"}"), "invalid IPC mode: container:");
	normalize_fails(HCB("{\"PidMode\":\"private\"}"), "invalid PID mode: private");
	normalize_fails(HCB("{\"PidMode\":\"container:a:b\"}"), "invalid PID mode: container:a:b");
	normalize_fails(HCB("{\"UTSMode\":\"container:x\"}"), "invalid UTS mode: container:x");
	normalize_fails(HCB("{\"UsernsMode\":\"bogus\"}"), "invalid userns mode: bogus");
	normalize_fails(HCB("{\"CgroupnsMode\":\"shared\"}"),
	                "invalid cgroup namespace mode: shared");
	normalize_fails(HCB("{\"ShmSize\":-1}"), "SHM size can not be less than 0");
	normalize_fails(HCB("{\"OomScoreAdj\":1001}"),
	                "Invalid value 1001, range for oom score adj is [-1000, 1000]");
	normalize_fails(HCB("{\"Runtime\":\"kata\"}"), "unknown or invalid runtime name: kata");
}

static void test_config_checks(void **state)
{
	(void)state;
	normalize_fails("{\"Image\":\"x\",\"Cmd\":[\"sh\"],\"WorkingDir\":\"rel\"}",
	                "the working directory 'rel' is invalid, it needs to be an absolute path");
	normalize_fails("{\"Image\":\"x\",\"Cmd\":[\"sh\"],\"StopSignal\":\"SIGFOO\"}",
	                "Invalid signal: SIGFOO");
	normalize_fails("{\"Image\":\"x\",\"Cmd\":[\"sh\"],\"StopSignal\":\"0\"}",
	                "Invalid signal: 0");
	normalize_fails("{\"Image\":\"x\",\"Cmd\":[\"sh\"],\"Env\":[\"=x\"]}",
	                "invalid environment variable: =x");
	normalize_fails("{\"Image\":\"x\",\"Cmd\":[\"sh\"],\"Healthcheck\":{\"Interval\":1000}}",
	                "Interval in Healthcheck cannot be less than 1ms");
	normalize_fails("{\"Image\":\"x\",\"Cmd\":[\"sh\"],\"Healthcheck\":{\"Retries\":-1}}",
	                "Retries in Healthcheck cannot be negative");
	normalize_fails("{\"Image\":\"x\",\"Cmd\":[\"sh\"],\"Hostname\":"
	                "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
	                "invalid hostname "
	                "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": "
	                "longer than 64 characters");
	normalize_fails("{\"Image\":\"x\"}", "no command specified");
	json_decref(normalize_ok("{\"Image\":\"x\",\"Cmd\":[\"sh\"],\"StopSignal\":\"sigusr1\"}",
	                         NULL));
	json_decref(normalize_ok("{\"Image\":\"x\",\"Cmd\":[\"sh\"],\"StopSignal\":\"9\"}", NULL));
}

static void test_caps_security_checks(void **state)
{
	_cleanup_json_ json_t *n = NULL;

	(void)state;
	normalize_fails(HCB("{\"CapAdd\":[\"foo\"]}"),
	                "invalid CapAdd: unknown capability: \"CAP_FOO\"");
	normalize_fails(HCB("{\"CapDrop\":[\"CAP_BOGUS\"]}"),
	                "invalid CapDrop: unknown capability: \"CAP_BOGUS\"");
	normalize_fails(HCB("{\"SecurityOpt\":[\"bogus\"]}"),
	                "invalid --security-opt 1: \"bogus\"");
	normalize_fails(HCB("{\"SecurityOpt\":[\"foo=bar\"]}"),
	                "invalid --security-opt 2: \"foo=bar\"");
	normalize_fails(HCB("{\"SecurityOpt\":[\"no-new-privileges=maybe\"]}"),
	                "invalid --security-opt 2: \"no-new-privileges=maybe\"");
	normalize_fails(
	        HCB("{\"SecurityOpt\":[\"seccomp={bad\"]}"),
	        "Decoding seccomp profile failed: invalid JSON at line 1, column 4: string or "
	        "'}' expected near 'bad'");
	normalize_fails(HCB("{\"SecurityOpt\":[\"seccomp={\\\"defaultAction\\\":"
	                    "\\\"SCMP_ACT_MAYBE\\\"}\"]}"),
	                "invalid seccomp profile: linux.seccomp.defaultAction: unknown action "
	                "\"SCMP_ACT_MAYBE\"");
	n = normalize_ok(HCB("{\"CapAdd\":[\"sys_admin\",\"CAP_net_admin\",\"ALL\"],"
	                     "\"SecurityOpt\":[\"no-new-privileges\",\"seccomp=unconfined\","
	                     "\"label=disable\",\"apparmor=unconfined\",\"label:type:x\"]}"),
	                 NULL);
}

/* A kernel without seccomp: the default profile is dropped, a custom one
 * refused, as dockerd. */
static void test_no_seccomp_kernel(void **state)
{
	struct spec_host h = test_host();
	_cleanup_json_ json_t *n = NULL;

	(void)state;
	h.seccomp = false;
	normalize_fails_host(HCB("{\"SecurityOpt\":[\"seccomp={\\\"defaultAction\\\":"
	                         "\\\"SCMP_ACT_ALLOW\\\"}\"]}"),
	                     &h,
	                     "seccomp is not enabled in your kernel, cannot run a custom seccomp "
	                     "profile");
	n = normalize_ok_host(HCB("{\"SecurityOpt\":[\"seccomp=builtin\"]}"), NULL, &h, NULL);
}

static void test_ulimit_sysctl_checks(void **state)
{
	(void)state;
	normalize_fails(HCB("{\"Ulimits\":[{\"Name\":\"bogus\",\"Soft\":1,\"Hard\":1}]}"),
	                "invalid ulimit type: bogus");
	normalize_fails(HCB("{\"Ulimits\":[{\"Name\":\"nofile\",\"Soft\":10,\"Hard\":5}]}"),
	                "ulimit soft limit must be less than or equal to hard limit: 10 > 5");
	normalize_fails(HCB("{\"Ulimits\":[{\"Name\":\"nofile\",\"Soft\":-1,\"Hard\":5}]}"),
	                "ulimit soft limit must be less than or equal to hard limit: -1 > 5");
	normalize_fails(HCB("{\"Sysctls\":{\"kernel.foo\":\"1\"}}"),
	                "sysctl \"kernel.foo\" is not in a separate kernel namespace");
	normalize_fails(HCB("{\"Sysctls\":{\"vm.swappiness\":\"1\"}}"),
	                "sysctl \"vm.swappiness\" is not in a separate kernel namespace");
	normalize_fails(
	        HCB("{\"NetworkMode\":\"host\",\"Sysctls\":{\"net.ipv4.ip_forward\":\"1\"}}"),
	        "sysctl \"net.ipv4.ip_forward\" not allowed in host network namespace");
	normalize_fails(HCB("{\"IpcMode\":\"host\",\"Sysctls\":{\"kernel.shmmax\":\"1\"}}"),
	                "sysctl \"kernel.shmmax\" is not allowed in the hosts ipc namespace");
	normalize_fails(HCB("{\"Sysctls\":{\"kernel.hostname\":\"x\"}}"),
	                "sysctl \"kernel.hostname\" is not allowed as it conflicts with the OCI "
	                "\"hostname\" field");
	normalize_fails(HCB("{\"Sysctls\":{\"../net\":\"x\"}}"), "invalid sysctl name \"../net\"");
	json_decref(
	        normalize_ok(HCB("{\"Sysctls\":{\"net.ipv4.ip_forward\":\"1\",\"kernel.shmmax\":"
	                         "\"1\",\"fs.mqueue.msg_max\":\"20\",\"kernel.domainname\":\"x\"},"
	                         "\"Ulimits\":[{\"Name\":\"nofile\",\"Soft\":-1,\"Hard\":-1}]}"),
	                     NULL));
}

static void test_mount_checks(void **state)
{
	(void)state;
	normalize_fails(
	        HCB("{\"Binds\":[\"/src:relative\"]}"),
	        "invalid volume specification: '/src:relative': invalid mount config for type "
	        "\"bind\": invalid mount path: 'relative' mount path must be absolute");
	normalize_fails(HCB("{\"Binds\":[\"vol:data\"]}"),
	                "invalid volume specification: 'vol:data': invalid mount config for type "
	                "\"volume\": invalid mount path: 'data' mount path must be absolute");
	normalize_fails(HCB("{\"Binds\":[\"/a:/b:bogus\"]}"), "invalid mode: bogus");
	normalize_fails(HCB("{\"Binds\":[\"/a:/b:ro,rw\"]}"), "invalid mode: ro,rw");
	normalize_fails(
	        HCB("{\"Binds\":[\"/a:/\"]}"),
	        "invalid volume specification: '/a:/': invalid mount config for type \"bind\": "
	        "invalid specification: destination can't be '/'");
	normalize_fails(HCB("{\"Binds\":[\":/x\"]}"), "invalid volume specification: ':/x'");
	normalize_fails(HCB("{\"Binds\":[\"/x:rw\"]}"), "invalid volume specification: '/x:rw'");
	normalize_fails(HCB("{\"Binds\":[\"/a:/b:ro:x\"]}"),
	                "invalid volume specification: '/a:/b:ro:x'");
	normalize_fails(HCB("{\"Binds\":[\"/a:/x\",\"/b:/x/\"]}"), "Duplicate mount point: /x");
	normalize_fails(HCB("{\"Binds\":[\"/a:/run\"],\"Tmpfs\":{\"/run\":\"\"}}"),
	                "Duplicate mount point: /run");
	normalize_fails(HCB("{\"Binds\":[\"/a:/x\"],\"Mounts\":[{\"Type\":\"tmpfs\",\"Target\":"
	                    "\"/x\"}]}"),
	                "Duplicate mount point: /x");
	normalize_fails(HCB("{\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/nonexistent-husk\","
	                    "\"Target\":\"/x\"}]}"),
	                "invalid mount config for type \"bind\": bind mount source path does not "
	                "exist: /nonexistent-husk");
	normalize_fails(
	        HCB("{\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/tmp\",\"Target\":\"x\"}]}"),
	        "invalid mount config for type \"bind\": invalid mount path: 'x' mount path "
	        "must be absolute");
	normalize_fails(HCB("{\"Mounts\":[{\"Type\":\"bind\",\"Target\":\"/x\"}]}"),
	                "invalid mount config for type \"bind\": field Source must not be empty");
	normalize_fails(HCB("{\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/tmp\",\"Target\":\"/x\","
	                    "\"BindOptions\":{\"Propagation\":\"weird\"}}]}"),
	                "invalid mount config for type \"bind\": invalid propagation mode: weird");
	normalize_fails(HCB("{\"Mounts\":[{\"Type\":\"nfs\",\"Target\":\"/x\"}]}"),
	                "invalid mount config for type \"nfs\": mount type unknown");
	normalize_fails(
	        HCB("{\"Mounts\":[{\"Type\":\"tmpfs\",\"Source\":\"a\",\"Target\":\"/x\"}]}"),
	        "invalid mount config for type \"tmpfs\": field Source must not be specified");
	normalize_fails(HCB("{\"Mounts\":[{\"Type\":\"tmpfs\",\"Target\":\"/x\",\"TmpfsOptions\":"
	                    "{\"Options\":[[\"nodev\"]]}}]}"),
	                "invalid mount config for type \"tmpfs\": invalid option: nodev");
	normalize_fails(
	        HCB("{\"Mounts\":[{\"Type\":\"volume\",\"Target\":\"/x\",\"ReadOnly\":true}]}"),
	        "invalid mount config for type \"volume\": must not set ReadOnly mode when "
	        "using anonymous volumes");
	normalize_fails(HCB("{\"Mounts\":[{\"Type\":\"volume\",\"Target\":\"\"}]}"),
	                "invalid mount config for type \"volume\": field Target must not be empty");
	normalize_fails(HCB("{\"Tmpfs\":{\"run\":\"\"}}"),
	                "invalid mount path: 'run' mount path must be absolute");
	normalize_fails(HCB("{\"Tmpfs\":{\"/run\":\"size=1m,bogus\"}}"),
	                "invalid tmpfs option [\"bogus\"]");
	normalize_fails(HCB("{\"Tmpfs\":{\"/run\":\"color=red\"}}"),
	                "invalid tmpfs option [\"color=red\"]");
	json_decref(normalize_ok(HCB("{\"Binds\":[\"/a:/x:ro,z,rslave\",\"vol:/data:nocopy\"],"
	                             "\"Tmpfs\":{\"/run\":\"rw,exec,size=64m\"},\"Mounts\":["
	                             "{\"Type\":\"volume\",\"Source\":\"v\",\"Target\":\"/v\"},"
	                             "{\"Type\":\"bind\",\"Source\":\"/tmp\",\"Target\":\"/t\"}]}"),
	                         NULL));
}

static void test_parse_bind(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct spec_bind b;

	(void)state;
	assert_int_equal(spec_parse_bind("vol:/data/../data2:ro,nocopy", &b, &err), 0);
	assert_true(b.is_volume);
	assert_true(b.readonly);
	assert_true(b.nocopy);
	assert_string_equal(b.source, "vol");
	assert_string_equal(b.destination, "/data2");
	assert_null(b.propagation);
	spec_bind_release(&b);
	assert_int_equal(spec_parse_bind("/host//dir/:/ctr:rshared", &b, &err), 0);
	assert_false(b.is_volume);
	assert_false(b.readonly);
	assert_string_equal(b.source, "/host/dir");
	assert_string_equal(b.propagation, "rshared");
	spec_bind_release(&b);
	assert_int_equal(spec_parse_bind("/anon", &b, &err), 0);
	assert_true(b.is_volume);
	assert_string_equal(b.source, "");
	spec_bind_release(&b);
	assert_int_equal(spec_parse_bind("", &b, &err), -EINVAL);
	assert_string_equal(error_message(err), "invalid volume specification: ''");
}

static void test_device_checks(void **state)
{
	(void)state;
	normalize_fails(
	        HCB("{\"Devices\":[{\"PathOnHost\":\"dev/null\"}]}"),
	        "invalid device specification: \"dev/null\": the host path must be absolute");
	normalize_fails(HCB("{\"Devices\":[{\"PathOnHost\":\"/dev/null\",\"PathInContainer\":"
	                    "\"x\"}]}"),
	                "bad format for path: x");
	normalize_fails(HCB("{\"Devices\":[{\"PathOnHost\":\"/dev/null\",\"CgroupPermissions\":"
	                    "\"rwx\"}]}"),
	                "bad mode specified: rwx");
	normalize_fails(HCB("{\"Devices\":[\"/dev/a:/dev/b:rw:x\"]}"),
	                "invalid device specification: /dev/a:/dev/b:rw:x");
	normalize_fails(HCB("{\"DeviceCgroupRules\":[\"c 1:3\"]}"),
	                "invalid device cgroup rule format: 'c 1:3'");
	normalize_fails(HCB("{\"DeviceCgroupRules\":[\"x 1:3 rwm\"]}"),
	                "invalid device cgroup rule format: 'x 1:3 rwm'");
	normalize_fails(HCB("{\"DeviceCgroupRules\":[\"c 3000:3 rwm\"]}"),
	                "invalid major value in device cgroup rule format: 'c 3000:3 rwm'");
	normalize_fails(HCB("{\"DeviceCgroupRules\":[\"a 1:3 m\"]}"),
	                "although this cgroup rule is technically correct, because 'a' maps to "
	                "'a *:* rwm' regardless of what comes next, this format is partially "
	                "ineffective: 'a 1:3 m'");
	json_decref(normalize_ok(HCB("{\"Devices\":[\"/dev/null:/dev/n:rw\",\"/dev/zero:rwm\"],"
	                             "\"DeviceCgroupRules\":[\"c 1:3 rwm\",\"b *:* m\",\"a\"]}"),
	                         NULL));
}

/* ---- normalisation: the image's config ---- */

static const char image_config[] =
        "{\"User\":\"daemon\",\"Env\":[\"PATH=/img/bin\",\"A=image\",\"B=image\"],"
        "\"Cmd\":[\"img-cmd\",\"arg\"],\"Entrypoint\":[\"/entry.sh\"],\"WorkingDir\":\"/srv\","
        "\"ExposedPorts\":{\"8080/tcp\":{}},\"Volumes\":{\"/data\":{}},"
        "\"Labels\":{\"a\":\"image\",\"b\":\"image\"},\"StopSignal\":\"SIGQUIT\","
        "\"Healthcheck\":{\"Test\":[\"CMD\",\"true\"],\"Interval\":30000000000,\"Retries\":3}}";

static void test_merge_image(void **state)
{
	_cleanup_json_ json_t *n =
	        normalize_ok("{\"Image\":\"x\",\"Env\":[\"A=user\"],\"Labels\":{\"a\":\"user\"},"
	                     "\"ExposedPorts\":{\"80/tcp\":{}},\"Volumes\":{\"/logs\":{}},"
	                     "\"Healthcheck\":{\"Retries\":5}}",
	                     image_config);

	(void)state;
	assert_string_equal(sget(n, "User"), "daemon");
	assert_int_equal(json_array_size(json_object_get(n, "Env")), 3);
	assert_string_equal(sget(n, "Env.0"), "A=user");
	assert_string_equal(sget(n, "Env.1"), "PATH=/img/bin");
	assert_string_equal(sget(n, "Env.2"), "B=image");
	assert_string_equal(sget(n, "Cmd.0"), "img-cmd");
	assert_string_equal(sget(n, "Entrypoint.0"), "/entry.sh");
	assert_string_equal(sget(n, "WorkingDir"), "/srv");
	assert_string_equal(sget(n, "StopSignal"), "SIGQUIT");
	assert_string_equal(sget(n, "Labels.a"), "user");
	assert_string_equal(sget(n, "Labels.b"), "image");
	assert_non_null(jget(n, "ExposedPorts.80/tcp"));
	assert_non_null(jget(n, "ExposedPorts.8080/tcp"));
	assert_non_null(jget(n, "Volumes./data"));
	assert_non_null(jget(n, "Volumes./logs"));
	assert_int_equal(iget(n, "Healthcheck.Retries"), 5);
	assert_string_equal(sget(n, "Healthcheck.Test.1"), "true");
}

static void test_merge_entrypoint_rules(void **state)
{
	_cleanup_json_ json_t *a = NULL, *b = NULL, *c = NULL, *d = NULL;
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *body = J("{\"Image\":\"x\",\"Entrypoint\":[\"\"]}"),
	                      *img = J(image_config), *out = NULL;
	struct spec_host h = test_host();

	(void)state;
	/* an Entrypoint in the request drops the image's Cmd */
	a = normalize_ok("{\"Image\":\"x\",\"Entrypoint\":[\"/bin/ls\"]}", image_config);
	assert_string_equal(sget(a, "Entrypoint.0"), "/bin/ls");
	assert_null(json_object_get(a, "Cmd"));
	/* a Cmd alone keeps the image's Entrypoint */
	b = normalize_ok("{\"Image\":\"x\",\"Cmd\":[\"run\"]}", image_config);
	assert_string_equal(sget(b, "Entrypoint.0"), "/entry.sh");
	assert_string_equal(sget(b, "Cmd.0"), "run");
	/* --entrypoint "" with a command: the entrypoint is reset */
	c = normalize_ok("{\"Image\":\"x\",\"Entrypoint\":[\"\"],\"Cmd\":[\"echo\",\"hi\"]}",
	                 image_config);
	assert_true(json_is_null(json_object_get(c, "Entrypoint")));
	assert_string_equal(sget(c, "Cmd.0"), "echo");
	/* --entrypoint "" alone: nothing to run */
	assert_int_equal(spec_normalize_create_host(body, img, &h, NULL, &out, &err), -EINVAL);
	assert_string_equal(error_message(err), "no command specified");
	/* no image config: nothing merged */
	d = normalize_ok("{\"Image\":\"x\",\"Entrypoint\":\"/bin/sh\"}", "null");
	assert_string_equal(sget(d, "Entrypoint.0"), "/bin/sh");
}

/* ---- users ---- */

static void resolve_ok(struct fx *f, const char *user, char *const *add, uint32_t uid, uint32_t gid,
                       const uint32_t *gids, size_t n, const char *home)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct spec_user u;

	if (spec_resolve_user(f->rootfd, user, add, &u, &err) < 0)
		fail_msg("resolve %s: %s", user, error_message(err));
	assert_int_equal(u.uid, uid);
	assert_int_equal(u.gid, gid);
	assert_int_equal(u.n_additional_gids, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(u.additional_gids[i], gids[i]);
	assert_string_equal(u.home, home);
	spec_user_release(&u);
}

static void resolve_fails(struct fx *f, const char *user, char *const *add, int code,
                          const char *msg)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct spec_user u;

	assert_int_equal(spec_resolve_user(f->rootfd, user, add, &u, &err), -code);
	assert_string_equal(error_message(err), msg);
	assert_null(u.additional_gids);
}

static void test_users(void **state)
{
	struct fx *f = *state;
	char *add[] = {"audio", "4000", "wheel", NULL};
	char *bad_add[] = {"nope", NULL};

	resolve_ok(f, "", NULL, 0, 0, (const uint32_t[]){0, 10}, 2, "/root");
	resolve_ok(f, "alice", NULL, 1000, 1000, (const uint32_t[]){1000, 10, 29}, 3,
	           "/home/alice");
	resolve_ok(f, "1000", NULL, 1000, 1000, (const uint32_t[]){1000, 10, 29}, 3, "/home/alice");
	resolve_ok(f, "alice:audio", NULL, 1000, 29, (const uint32_t[]){29}, 1, "/home/alice");
	resolve_ok(f, "alice:4242", NULL, 1000, 4242, (const uint32_t[]){4242}, 1, "/home/alice");
	resolve_ok(f, "nobody:nogroup", NULL, 65534, 65534, (const uint32_t[]){65534}, 1,
	           "/nonexistent");
	resolve_ok(f, "4242", NULL, 4242, 0, (const uint32_t[]){0}, 1, "/");
	resolve_ok(f, "daemon", add, 1, 1, (const uint32_t[]){1, 29, 4000, 10}, 4, "/usr/sbin");
	resolve_fails(f, "missing", NULL, ENOENT,
	              "unable to find user missing: no matching entries in passwd file");
	resolve_fails(f, "alice:missing", NULL, ENOENT,
	              "unable to find group missing: no matching entries in group file");
	resolve_fails(f, "daemon", bad_add, ENOENT,
	              "Unable to find group nope: no matching entries in group file");
	resolve_fails(f, "-1", NULL, EINVAL, "uids and gids must be in range 0-2147483647");
	resolve_fails(f, "2147483648", NULL, EINVAL, "uids and gids must be in range 0-2147483647");
	resolve_fails(
	        f, "99999999999999999999", NULL, ENOENT,
	        "unable to find user 99999999999999999999: no matching entries in passwd file");
	resolve_fails(f, "alice:-5", NULL, EINVAL, "uids and gids must be in range 0-2147483647");
}

static void test_users_hostile_rootfs(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *outside = path_join(f->dir, "outside"),
	                    *root2 = path_join(f->dir, "r2");
	_cleanup_free_ char *etc2 = path_join(root2, "etc"), *pw2 = path_join(etc2, "passwd");
	_cleanup_free_ char *evil = path_join(outside, "passwd"), *gr2 = path_join(etc2, "group");
	_cleanup_close_ int fd2 = -1;
	_cleanup_error_ struct husk_error *err = NULL;
	struct spec_user u;

	/* /etc/passwd → a file outside the rootfs, absolute and by "..": it
	 * resolves inside the rootfs, where it does not exist. */
	write_at(outside, "passwd", "evil:x:0:0::/:/bin/sh\n");
	assert_int_equal(mkdir_p(etc2, 0755), 0);
	assert_int_equal(symlink(evil, pw2), 0);
	assert_int_equal(symlink("../../../../../../outside/group", gr2), 0);
	fd2 = open(root2, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd2 >= 0);
	assert_int_equal(spec_resolve_user(fd2, "evil", NULL, &u, &err), -ENOENT);
	assert_string_equal(error_message(err),
	                    "unable to find user evil: no matching entries in passwd file");
	error_free(TAKE_PTR(err));
	/* no passwd at all: numeric users still work, root is 0:0 */
	assert_int_equal(spec_resolve_user(fd2, "", NULL, &u, &err), 0);
	assert_int_equal(u.uid, 0);
	assert_int_equal(u.n_additional_gids, 1);
	spec_user_release(&u);
	/* a FIFO as /etc/passwd must not block */
	assert_int_equal(unlink(pw2), 0);
	assert_int_equal(mkfifo(pw2, 0644), 0);
	assert_int_equal(spec_resolve_user(fd2, "root", NULL, &u, &err), -EINVAL);
	assert_string_equal(error_message(err),
	                    "\"/etc/passwd\" in the container is not a regular file");
}

/* ---- seccomp profiles ---- */

static json_t *convert(const char *profile, uint64_t caps, const struct spec_host *h)
{
	_cleanup_error_ struct husk_error *err = NULL;
	json_t *out = NULL;

	if (spec_seccomp_from_docker(profile, strlen(profile), caps, h, &out, &err) < 0)
		fail_msg("convert: %s", error_message(err));
	return out;
}

static void convert_fails(const char *profile, const char *msg)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct spec_host h = test_host();
	json_t *out = NULL;

	assert_int_equal(spec_seccomp_from_docker(profile, strlen(profile), 0, &h, &out, &err),
	                 -EINVAL);
	assert_null(out);
	assert_string_equal(error_message(err), msg);
}

static void test_seccomp_convert(void **state)
{
	struct spec_host h = test_host();
	_cleanup_json_ json_t *a = NULL, *b = NULL, *c = NULL, *empty = NULL;
	const char *profile =
	        "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1,"
	        "\"archMap\":[{\"architecture\":\"SCMP_ARCH_AARCH64\",\"subArchitectures\":"
	        "[\"SCMP_ARCH_ARM\"]},{\"architecture\":\"SCMP_ARCH_X86_64\",\"subArchitectures\":"
	        "[\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"]}],"
	        "\"syscalls\":[{\"names\":[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"},"
	        "{\"name\":\"mount\",\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"caps\":"
	        "[\"CAP_SYS_ADMIN\"]}},"
	        "{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,"
	        "\"value\":2114060288,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}],\"excludes\":"
	        "{\"caps\":[\"CAP_SYS_ADMIN\"]}},"
	        "{\"names\":[\"newsys\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38,"
	        "\"includes\":"
	        "{\"minKernel\":\"99.1\"}},"
	        "{\"names\":[\"oldsys\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"minKernel\":"
	        "\"4.8\"}},"
	        "{\"names\":[\"archsys\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"arches\":"
	        "[\"s390x\"]}},"
	        "{\"names\":[\"notmine\"],\"action\":\"SCMP_ACT_ALLOW\",\"excludes\":{\"arches\":"
	        "[\"amd64\",\"arm64\"]}}]}";

	(void)state;
	a = convert(profile, 0, &h);
	assert_string_equal(sget(a, "defaultAction"), "SCMP_ACT_ERRNO");
	assert_int_equal(iget(a, "defaultErrnoRet"), 1);
#if defined(__x86_64__)
	assert_int_equal(json_array_size(json_object_get(a, "architectures")), 3);
	assert_string_equal(sget(a, "architectures.0"), "SCMP_ARCH_X86_64");
	assert_string_equal(sget(a, "architectures.2"), "SCMP_ARCH_X32");
#endif
	/* read/write, clone (no CAP_SYS_ADMIN), oldsys */
	assert_int_equal(json_array_size(json_object_get(a, "syscalls")), 3);
	assert_string_equal(sget(a, "syscalls.1.names.0"), "clone");
	assert_int_equal(iget(a, "syscalls.1.args.0.value"), 2114060288);
	assert_string_equal(sget(a, "syscalls.1.args.0.op"), "SCMP_CMP_MASKED_EQ");
	assert_string_equal(sget(a, "syscalls.2.names.0"), "oldsys");
	/* with CAP_SYS_ADMIN: mount in, clone's restriction out */
	b = convert(profile, CAP(CAP_SYS_ADMIN), &h);
	assert_int_equal(json_array_size(json_object_get(b, "syscalls")), 3);
	assert_string_equal(sget(b, "syscalls.1.names.0"), "mount");
	/* a newer kernel lets newsys in, with its errnoRet */
	h.kernel = 99 << 16 | 2;
	c = convert(profile, 0, &h);
	assert_int_equal(json_array_size(json_object_get(c, "syscalls")), 4);
	assert_string_equal(sget(c, "syscalls.2.names.0"), "newsys");
	assert_int_equal(iget(c, "syscalls.2.errnoRet"), 38);
	/* nothing in it: seccomp disabled */
	empty = convert("{}", 0, &h);
	assert_null(empty);
}

static void test_seccomp_convert_errors(void **state)
{
	(void)state;
	convert_fails(
	        "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86\"],"
	        "\"archMap\":[{\"architecture\":\"SCMP_ARCH_X86\"}]}",
	        "'architectures' and 'archMap' were specified in the seccomp profile, use either "
	        "'architectures' or 'archMap'");
	convert_fails(
	        "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"name\":\"read\","
	        "\"names\":[\"write\"],\"action\":\"SCMP_ACT_ERRNO\"}]}",
	        "'name' and 'names' were specified in the seccomp profile, use either 'name' or "
	        "'names'");
	convert_fails("[1]", "Decoding seccomp profile failed: profile: expected an object");
	convert_fails("{\"defaultAction\":1}",
	              "Decoding seccomp profile failed: defaultAction: expected a string");
	convert_fails("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"x\"],"
	              "\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"minKernel\":\"new\"}}]}",
	              "invalid kernel version \"new\" in seccomp profile");
	convert_fails(
	        "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"x\"],"
	        "\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":-1,\"op\":\"x\"}]}]}",
	        "Decoding seccomp profile failed: syscalls.args: expected non-negative integers");
}

/* ---- spec_build ---- */

static void test_build_default(void **state)
{
	struct fx *f = *state;
	struct oci_spec *s = NULL;
	_cleanup_json_ json_t *spec = build_body(f,
	                                         "{\"Image\":\"x\",\"Cmd\":[\"sh\",\"-c\","
	                                         "\"true\"],\"Hostname\":\"abc\","
	                                         "\"Domainname\":\"example.org\"}",
	                                         &s);
	json_t *shm = find_mount(spec, "/dev/shm");
	uint64_t defaults = 0;

	assert_string_equal(s->process->args[0], "sh");
	assert_string_equal(s->process->args[2], "true");
	assert_string_equal(s->process->cwd, "/");
	assert_false(s->process->terminal);
	assert_string_equal(sget(spec, "process.env.0"),
	                    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	assert_string_equal(sget(spec, "process.env.1"), "HOSTNAME=abc");
	assert_int_equal(json_array_size(jget(spec, "process.env")), 2);
	assert_int_equal(s->process->user.uid, 0);
	assert_int_equal(s->process->user.n_additional_gids, 2); /* 0, wheel */
	defaults = CAP(CAP_CHOWN) | CAP(CAP_DAC_OVERRIDE) | CAP(CAP_FSETID) | CAP(CAP_FOWNER) |
	           CAP(CAP_MKNOD) | CAP(CAP_NET_RAW) | CAP(CAP_SETGID) | CAP(CAP_SETUID) |
	           CAP(CAP_SETFCAP) | CAP(CAP_SETPCAP) | CAP(CAP_NET_BIND_SERVICE) |
	           CAP(CAP_SYS_CHROOT) | CAP(CAP_KILL) | CAP(CAP_AUDIT_WRITE);
	assert_true(s->process->caps.bounding == defaults);
	assert_true(s->process->caps.effective == defaults);
	assert_true(s->process->caps.permitted == defaults);
	assert_true(s->process->caps.inheritable == 0);
	assert_string_equal(sget(spec, "process.capabilities.bounding.0"), "CAP_CHOWN");
	assert_true(s->process->has_oom_score_adj && s->process->oom_score_adj == 0);
	assert_false(s->process->no_new_privileges);
	assert_null(s->process->rlimits);
	assert_string_equal(s->hostname, "abc");
	assert_string_equal(s->domainname, "example.org");
	assert_false(s->root_readonly);
	/* Docker's mounts, in its order */
	assert_string_equal(sget(spec, "mounts.0.destination"), "/proc");
	assert_string_equal(sget(spec, "mounts.1.destination"), "/dev");
	assert_string_equal(sget(spec, "mounts.2.destination"), "/dev/pts");
	assert_string_equal(sget(spec, "mounts.3.destination"), "/sys");
	assert_string_equal(sget(spec, "mounts.4.destination"), "/sys/fs/cgroup");
	assert_string_equal(sget(spec, "mounts.5.destination"), "/dev/mqueue");
	assert_string_equal(sget(spec, "mounts.6.destination"), "/dev/shm");
	assert_int_equal(json_array_size(json_object_get(spec, "mounts")), 7);
	assert_string_equal(opts_text(shm), "[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\","
	                                    "\"size=67108864\"]");
	assert_string_equal(
	        opts_text(find_mount(spec, "/dev/pts")),
	        "[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\","
	        "\"gid=5\"]");
	/* namespaces: mount, network, uts, pid, ipc; no user, no cgroup (v1) */
	assert_int_equal(s->linux_.n_namespaces, 5);
	assert_non_null(ns_of(s, OCI_NS_NETWORK));
	assert_null(ns_of(s, OCI_NS_USER));
	assert_null(ns_of(s, OCI_NS_CGROUP));
	assert_int_equal(strv_length(s->linux_.masked_paths), 12);
	assert_int_equal(strv_length(s->linux_.readonly_paths), 5);
	assert_true(s->linux_.seccomp.present);
	assert_int_equal(s->linux_.seccomp.default_action, OCI_SECCOMP_ERRNO);
	assert_string_equal(
	        s->linux_.cgroups_path,
	        "/husk/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	assert_true(s->linux_.rootfs_propagation == (MS_PRIVATE | MS_REC));
	/* Docker's device rules plus runc's */
	assert_true(s->linux_.has_resources);
	assert_false(s->linux_.resources.devices[0].allow);
	assert_true(s->linux_.resources.n_devices == 8 + 11);
	assert_int_equal(json_array_size(jget(spec, "linux.devices")), 0);
	if (access("/proc/sys/net/ipv4/ip_unprivileged_port_start", F_OK) == 0)
		assert_string_equal(sysctl_of(spec, "net.ipv4.ip_unprivileged_port_start"), "0");
	oci_spec_free(s);
}

static void test_build_env_tty_user(void **state)
{
	struct fx *f = *state;
	struct oci_spec *s = NULL;
	_cleanup_json_ json_t *spec =
	        build_body(f,
	                   "{\"Image\":\"x\",\"Cmd\":[\"sh\"],\"Tty\":true,\"User\":\"alice\","
	                   "\"WorkingDir\":\"/home/alice\",\"Env\":[\"PATH=/"
	                   "mine\",\"HOSTNAME\",\"X=1\",\"X=2\"],"
	                   "\"HostConfig\":{\"ConsoleSize\":[40,120],\"GroupAdd\":[\"audio\"],"
	                   "\"CapAdd\":[\"sys_admin\"],\"CapDrop\":[\"chown\"]}}",
	                   &s);
	_cleanup_free_ char *seccomp = NULL;

	assert_true(s->process->terminal);
	assert_int_equal(s->process->console_height, 40);
	assert_int_equal(s->process->console_width, 120);
	assert_string_equal(s->hostname, "0123456789ab"); /* dockerd's default: the short id */
	assert_string_equal(sget(spec, "process.env.0"), "PATH=/mine");
	assert_string_equal(sget(spec, "process.env.1"), "TERM=xterm");
	assert_string_equal(sget(spec, "process.env.2"), "X=1");
	assert_string_equal(sget(spec, "process.env.3"), "X=2");
	assert_int_equal(json_array_size(jget(spec, "process.env")), 4);
	assert_string_equal(s->process->cwd, "/home/alice");
	assert_int_equal(s->process->user.uid, 1000);
	assert_int_equal(s->process->user.gid, 1000);
	assert_int_equal(s->process->user.n_additional_gids, 4); /* 1000, wheel, audio, audio */
	/* not root: only the bounding set, as execve leaves it */
	assert_true(s->process->caps.bounding & CAP(CAP_SYS_ADMIN));
	assert_false(s->process->caps.bounding & CAP(CAP_CHOWN));
	assert_true(s->process->caps.effective == 0 && s->process->caps.permitted == 0);
	assert_null(jget(spec, "process.capabilities.effective"));
	/* CAP_SYS_ADMIN lets mount in the default profile */
	seccomp = json_compact(jget(spec, "linux.seccomp"));
	assert_non_null(strstr(seccomp, "\"mount\""));
	oci_spec_free(s);
}

/* An image's relative WorkingDir becomes absolute (runc refuses it). */
static void test_build_relative_workdir(void **state)
{
	struct fx *f = *state;
	_cleanup_json_ json_t *n = normalize_ok("{\"Image\":\"x\",\"Cmd\":[\"sh\"]}",
	                                        "{\"WorkingDir\":\"app/./src/\"}");
	struct spec_input in = input(f, n);
	struct oci_spec *s = NULL;
	_cleanup_json_ json_t *spec = build_ok(&in, &s);

	assert_string_equal(s->process->cwd, "/app/src");
	oci_spec_free(s);
}

static void test_build_missing_user(void **state)
{
	struct fx *f = *state;
	_cleanup_json_ json_t *n =
	        normalize_ok("{\"Image\":\"x\",\"Cmd\":[\"sh\"],\"User\":\"bob\"}", NULL);
	struct spec_input in = input(f, n);

	build_fails(&in, ENOENT, "unable to find user bob: no matching entries in passwd file");
	in.rootfs_fd = -1; /* spec_build opens the rootfs itself */
	build_fails(&in, ENOENT, "unable to find user bob: no matching entries in passwd file");
}

static void test_build_privileged(void **state)
{
	struct fx *f = *state;
	struct oci_spec *s = NULL;
	_cleanup_json_ json_t *spec = build_body(
	        f, HCB("{\"Privileged\":true,\"CapDrop\":[\"ALL\"],\"ReadonlyRootfs\":true}"), &s);

	assert_true(s->process->caps.bounding == (UINT64_C(1) << 41) - 1);
	assert_false(s->linux_.seccomp.present);
	assert_null(s->linux_.masked_paths);
	assert_null(s->linux_.readonly_paths);
	assert_false(has_string(json_object_get(find_mount(spec, "/sys"), "options"), "ro"));
	assert_false(
	        has_string(json_object_get(find_mount(spec, "/sys/fs/cgroup"), "options"), "ro"));
	assert_int_equal(s->linux_.resources.n_devices, 1);
	assert_true(s->linux_.resources.devices[0].allow);
	assert_true(s->linux_.n_devices > 0); /* the host's /dev */
	oci_spec_free(s);
}

static void test_build_caps_all(void **state)
{
	struct fx *f = *state;
	struct oci_spec *s = NULL, *s2 = NULL;
	_cleanup_json_ json_t *a =
	        build_body(f, HCB("{\"CapAdd\":[\"ALL\"],\"CapDrop\":[\"mknod\"]}"), &s);
	_cleanup_json_ json_t *b =
	        build_body(f, HCB("{\"CapDrop\":[\"all\"],\"CapAdd\":[\"kill\"]}"), &s2);

	assert_true(s->process->caps.bounding == (((UINT64_C(1) << 41) - 1) & ~CAP(CAP_MKNOD)));
	assert_true(s2->process->caps.bounding == CAP(CAP_KILL));
	oci_spec_free(s);
	oci_spec_free(s2);
}

/* A daemon without CAP_SYS_RESOURCE (as on the CI hosts): Privileged gets
 * what it has, and CapAdd of the missing one is skipped, as dockerd. */
static void test_caps_unavailable(void **state)
{
	struct spec_host h = test_host();
	_cleanup_json_ json_t *priv = J("{\"Privileged\":true}");
	_cleanup_json_ json_t *add = J("{\"CapAdd\":[\"SYS_RESOURCE\",\"SYS_TIME\"]}");
	uint64_t m = 0;

	(void)state;
	h.available_caps &= ~CAP(CAP_SYS_RESOURCE);
	assert_int_equal(spec_capabilities(priv, &h, &m, NULL), 0);
	assert_true(m == (((UINT64_C(1) << 41) - 1) & ~CAP(CAP_SYS_RESOURCE)));
	assert_int_equal(spec_capabilities(add, &h, &m, NULL), 0);
	assert_false(m & CAP(CAP_SYS_RESOURCE));
	assert_true(m & CAP(CAP_SYS_TIME));
	normalize_fails_host(HCB("{\"CapAdd\":[\"CAP_SYS_NOPE\"]}"), &h,
	                     "invalid CapAdd: unknown capability: \"CAP_SYS_NOPE\"");
}

static void test_build_security_opts(void **state)
{
	struct fx *f = *state;
	struct oci_spec *s = NULL, *s2 = NULL;
	const char *profile = "{\\\"defaultAction\\\":\\\"SCMP_ACT_ALLOW\\\",\\\"syscalls\\\":[{"
	                      "\\\"names\\\":[\\\"mkdir\\\"],\\\"action\\\":\\\"SCMP_ACT_ERRNO\\\","
	                      "\\\"errnoRet\\\":1}]}";
	_cleanup_free_ char *body =
	        str_printf(HCB("{\"SecurityOpt\":[\"seccomp=%s\","
	                       "\"no-new-privileges:true\"],\"OomScoreAdj\":-500,"
	                       "\"Ulimits\":[{\"Name\":\"nofile\",\"Soft\":1024,"
	                       "\"Hard\":-1},{\"Name\":\"nproc\",\"Soft\":10,"
	                       "\"Hard\":20},{\"Name\":\"nofile\",\"Soft\":2048,"
	                       "\"Hard\":-1}]}"),
	                   profile);
	_cleanup_json_ json_t *a = build_body(f, body, &s);
	_cleanup_json_ json_t *b =
	        build_body(f, HCB("{\"SecurityOpt\":[\"seccomp=unconfined\"]}"), &s2);
	_cleanup_free_ char *text = spec_dumps(a, false);
	_cleanup_free_ char *path = path_join(f->dir, "config.json");
	_cleanup_error_ struct husk_error *err = NULL;
	json_t *doc = NULL;
	struct oci_spec *s3;

	assert_true(s->process->no_new_privileges);
	assert_int_equal(s->process->oom_score_adj, -500);
	assert_int_equal(s->linux_.seccomp.default_action, OCI_SECCOMP_ALLOW);
	assert_int_equal(s->linux_.seccomp.n_syscalls, 1);
	assert_string_equal(s->linux_.seccomp.syscalls[0].names[0], "mkdir");
	assert_int_equal(s->process->n_rlimits, 2);
	/* the last nofile wins; -1 is RLIM_INFINITY */
	assert_int_equal(s->process->rlimits[1].resource, RLIMIT_NOFILE);
	assert_true(s->process->rlimits[1].soft == 2048);
	assert_true(s->process->rlimits[1].hard == UINT64_MAX);
	assert_false(s2->linux_.seccomp.present);
	/* config.json as runc expects it, and as husk-runtime reads it back */
	assert_non_null(strstr(text, "\"hard\":18446744073709551615"));
	assert_int_equal(atomic_write_file(path, text, strlen(text), 0600, NULL), 0);
	assert_int_equal(oci_json_load(path, &doc, &err), 0);
	s3 = oci_spec_parse(doc, &err);
	assert_non_null(s3);
	assert_true(s3->process->rlimits[1].hard == UINT64_MAX);
	oci_spec_free(s3);
	json_decref(doc);
	oci_spec_free(s);
	oci_spec_free(s2);
}

/* spec_dumps: 2^64 as the integer runc wants, outside strings only; a spec
 * without one unchanged. */
static void test_dumps_big_integers(void **state)
{
	_cleanup_json_ json_t *plain =
	        json_pack("{s:s, s:i}", "a", "x\"1.8446744073709552e19", "b", 3);
	_cleanup_json_ json_t *big =
	        json_pack("{s:s, s:[f, f], s:s}", "a", "1.8446744073709552e+19 \\\"", "h",
	                  (double)UINT64_MAX, (double)UINT64_MAX, "z", "end");
	_cleanup_free_ char *t1 = spec_dumps(plain, false), *t2 = spec_dumps(big, false);

	assert_string_equal(t1, "{\"a\":\"x\\\"1.8446744073709552e19\",\"b\":3}");
	assert_string_equal(t2, "{\"a\":\"1.8446744073709552e+19 \\\\\\\"\",\"h\":"
	                        "[18446744073709551615,18446744073709551615],\"z\":\"end\"}");
}

static void test_build_readonly_and_files(void **state)
{
	struct fx *f = *state;
	_cleanup_json_ json_t *n =
	        normalize_ok(HCB("{\"ReadonlyRootfs\":true,\"ShmSize\":1048576}"), NULL);
	struct spec_input in = input(f, n);
	struct oci_spec *s = NULL;
	_cleanup_json_ json_t *spec = NULL;

	in.resolv_path = "/tmp/x/resolv.conf";
	in.hostname_path = "/tmp/x/hostname";
	in.hosts_path = "/tmp/x/hosts";
	spec = build_ok(&in, &s);
	assert_true(s->root_readonly);
	assert_string_equal(opts_text(find_mount(spec, "/etc/resolv.conf")),
	                    "[\"rbind\",\"ro\",\"rprivate\"]");
	assert_string_equal(sget(find_mount(spec, "/etc/hosts"), "source"), "/tmp/x/hosts");
	assert_true(
	        has_string(json_object_get(find_mount(spec, "/sys/fs/cgroup"), "options"), "ro"));
	assert_false(has_string(json_object_get(find_mount(spec, "/proc"), "options"), "ro"));
	assert_false(has_string(json_object_get(find_mount(spec, "/dev/shm"), "options"), "ro"));
	assert_true(has_string(json_object_get(find_mount(spec, "/dev/shm"), "options"),
	                       "size=1048576"));
	oci_spec_free(s);
	json_decref(spec);
	json_object_set_new(json_object_get(n, "HostConfig"), "ReadonlyRootfs", json_false());
	spec = build_ok(&in, NULL);
	assert_string_equal(opts_text(find_mount(spec, "/etc/hostname")),
	                    "[\"rbind\",\"rprivate\"]");
}

static void test_build_mounts(void **state)
{
	struct fx *f = *state;
	_cleanup_json_ json_t *n = normalize_ok(
	        HCB("{\"Binds\":[\"/tmp:/data/logs:ro\",\"vol:/data\",\"/tmp:/opt/x/y/z:rro\"],"
	            "\"Tmpfs\":{\"/run\":\"rw,exec,size=64m\"},\"Mounts\":[{\"Type\":\"tmpfs\","
	            "\"Target\":\"/cache\",\"TmpfsOptions\":{\"SizeBytes\":1048576,\"Mode\":448,"
	            "\"Options\":[[\"exec\"]]}},{\"Type\":\"bind\",\"Source\":\"/tmp\","
	            "\"Target\":\"/"
	            "nr\",\"BindOptions\":{\"NonRecursive\":true}},{\"Type\":\"volume\","
	            "\"Source\":\"named\",\"Target\":\"/named\"}],\"IpcMode\":\"shareable\"}"),
	        NULL);
	static const char *const tmpfs_opts[] = {"size=16m", NULL};
	const struct spec_mount mounts[] = {
	        {.source = "/var/lib/husk/volumes/vol/_data",
	         .destination = "/data",
	         .type = "volume"},
	        {.source = "/var/lib/husk/volumes/named/_data",
	         .destination = "/named",
	         .type = "volume",
	         .readonly = true},
	        {.destination = "/scratch", .type = "tmpfs", .options = tmpfs_opts},
	};
	struct spec_input in = input(f, n);
	_cleanup_json_ json_t *spec = NULL;
	json_t *a;
	size_t i, prev = 0;

	in.mounts = mounts;
	in.n_mounts = ELEMENTSOF(mounts);
	in.shm_path = "/run/husk/containers/x/shm";
	spec = build_ok(&in, NULL);
	assert_string_equal(opts_text(find_mount(spec, "/data/logs")),
	                    "[\"rbind\",\"ro\",\"rprivate\"]");
	assert_string_equal(opts_text(find_mount(spec, "/opt/x/y/z")),
	                    "[\"rbind\",\"ro\",\"rro\",\"rprivate\"]");
	assert_string_equal(sget(find_mount(spec, "/data"), "source"),
	                    "/var/lib/husk/volumes/vol/_data");
	assert_string_equal(opts_text(find_mount(spec, "/data")), "[\"rbind\"]");
	assert_string_equal(opts_text(find_mount(spec, "/named")), "[\"rbind\",\"ro\"]");
	assert_string_equal(opts_text(find_mount(spec, "/run")),
	                    "[\"nosuid\",\"nodev\",\"rprivate\",\"rw\",\"exec\",\"size=64m\"]");
	assert_string_equal(
	        opts_text(find_mount(spec, "/cache")),
	        "[\"nosuid\",\"nodev\",\"rprivate\",\"mode=700\",\"size=1m\",\"exec\"]");
	assert_string_equal(opts_text(find_mount(spec, "/scratch")),
	                    "[\"noexec\",\"nosuid\",\"nodev\",\"rprivate\",\"size=16m\"]");
	assert_string_equal(opts_text(find_mount(spec, "/nr")), "[\"bind\",\"rprivate\"]");
	assert_string_equal(sget(find_mount(spec, "/dev/shm"), "source"),
	                    "/run/husk/containers/x/shm");
	assert_string_equal(sget(find_mount(spec, "/dev/shm"), "type"), "bind");
	/* user mounts after the defaults, shallow first */
	a = json_object_get(spec, "mounts");
	for (i = 6; i < json_array_size(a); i++) {
		const char *d =
		        json_string_value(json_object_get(json_array_get(a, i), "destination"));
		size_t depth = 0;

		for (const char *p = d; *p; p++)
			depth += *p == '/';
		assert_true(depth >= prev);
		prev = depth;
	}
}

/* API 1.44: read-only binds recursively read-only where the kernel can,
 * unless a bind says otherwise; before, read-only at the top only. */
static void test_build_ro_recursive(void **state)
{
	struct fx *f = *state;
	_cleanup_json_ json_t *n = normalize_ok(
	        HCB("{\"Binds\":[\"/tmp:/a:ro\",\"/tmp:/b:ro-non-recursive\",\"/tmp:/c\"],"
	            "\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/tmp\",\"Target\":\"/d\","
	            "\"ReadOnly\":true},{\"Type\":\"bind\",\"Source\":\"/tmp\",\"Target\":"
	            "\"/e\",\"ReadOnly\":true,\"BindOptions\":{\"ReadOnlyNonRecursive\":true}},"
	            "{\"Type\":\"bind\",\"Source\":\"/tmp\",\"Target\":\"/f\",\"ReadOnly\":"
	            "true,\"BindOptions\":{\"ReadOnlyForceRecursive\":true}}]}"),
	        NULL);
	struct spec_input in = input(f, n);
	json_t *spec;

	in.ro_recursive = true;
	spec = build_ok(&in, NULL);
	assert_string_equal(opts_text(find_mount(spec, "/a")),
	                    "[\"rbind\",\"ro\",\"rro\",\"rprivate\"]");
	assert_string_equal(opts_text(find_mount(spec, "/b")), "[\"rbind\",\"ro\",\"rprivate\"]");
	assert_string_equal(opts_text(find_mount(spec, "/c")), "[\"rbind\",\"rprivate\"]");
	assert_string_equal(opts_text(find_mount(spec, "/d")),
	                    "[\"rbind\",\"ro\",\"rro\",\"rprivate\"]");
	assert_string_equal(opts_text(find_mount(spec, "/e")), "[\"rbind\",\"ro\",\"rprivate\"]");
	/* the engine's own read-only files are not the user's binds */
	assert_false(has_string(json_object_get(find_mount(spec, "/sys"), "options"), "rro"));
	json_decref(spec);

	/* mount_setattr filtered out (a seccomp profile around the daemon):
	 * read-only at the top, as dockerd's best effort */
	g_host.mount_setattr = false;
	spec = build_ok(&in, NULL);
	assert_string_equal(opts_text(find_mount(spec, "/a")), "[\"rbind\",\"ro\",\"rprivate\"]");
	assert_string_equal(opts_text(find_mount(spec, "/d")), "[\"rbind\",\"ro\",\"rprivate\"]");
	json_decref(spec);
	g_host.mount_setattr = true;

	/* a kernel without mount_setattr (< 5.12): read-only at the top */
	g_host.kernel = 5 << 16 | 11;
	spec = build_ok(&in, NULL);
	assert_string_equal(opts_text(find_mount(spec, "/a")), "[\"rbind\",\"ro\",\"rprivate\"]");
	/* forced: the runtime is asked and says whether it can */
	assert_string_equal(opts_text(find_mount(spec, "/f")),
	                    "[\"rbind\",\"ro\",\"rro\",\"rprivate\"]");
	json_decref(spec);

	/* a container of an older client */
	g_host = test_host();
	in.ro_recursive = false;
	spec = build_ok(&in, NULL);
	assert_string_equal(opts_text(find_mount(spec, "/a")), "[\"rbind\",\"ro\",\"rprivate\"]");
	assert_string_equal(opts_text(find_mount(spec, "/d")), "[\"rbind\",\"ro\",\"rprivate\"]");
	json_decref(spec);

	/* options that contradict each other are refused, in dockerd's words */
	static const char *const conflicts[][2] = {
	        {"\"ReadOnly\":true,\"BindOptions\":{\"ReadOnlyForceRecursive\":true,"
	         "\"ReadOnlyNonRecursive\":true}",
	         "mount options conflict: ReadOnlyNonRecursive && "
	         "BindOptions.ReadOnlyForceRecursive"},
	        {"\"BindOptions\":{\"ReadOnlyForceRecursive\":true}",
	         "mount options conflict: !ReadOnly && BindOptions.ReadOnlyForceRecursive"},
	        {"\"BindOptions\":{\"ReadOnlyNonRecursive\":true}",
	         "mount options conflict: !ReadOnly && BindOptions.ReadOnlyNonRecursive"},
	};
	for (size_t i = 0; i < ELEMENTSOF(conflicts); i++) {
		_cleanup_free_ char *body = str_printf(
		        HCB("{\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/tmp\",\"Target\":"
		            "\"/g\",%s}]}"),
		        conflicts[i][0]);
		_cleanup_json_ json_t *cn = normalize_ok(body, NULL);
		_cleanup_error_ struct husk_error *err = NULL;
		struct spec_input ci = input(f, cn);
		json_t *out = NULL;

		ci.ro_recursive = true;
		assert_int_equal(spec_build(&ci, &out, &err), -EINVAL);
		assert_null(out);
		assert_string_equal(error_message(err), conflicts[i][1]);
	}
}

static void test_build_ipc_init_ns(void **state)
{
	struct fx *f = *state;
	_cleanup_json_ json_t *n = normalize_ok(HCB("{\"Init\":true,\"IpcMode\":\"host\","
	                                            "\"PidMode\":\"host\",\"UTSMode\":\"host\","
	                                            "\"NetworkMode\":\"host\"}"),
	                                        NULL);
	_cleanup_json_ json_t *n2 = normalize_ok("{\"Image\":\"x\",\"Cmd\":[\"sleep\",\"1\"],"
	                                         "\"Hostname\":\"h\",\"HostConfig\":{\"Init\":true,"
	                                         "\"IpcMode\":\"none\",\"CgroupnsMode\":"
	                                         "\"private\"}}",
	                                         NULL);
	struct spec_input in = input(f, n), in2 = input(f, n2);
	struct oci_spec *s = NULL, *s2 = NULL;
	_cleanup_json_ json_t *a = NULL, *b = NULL;
	json_t *init;

	in.init_path = in2.init_path = "/usr/libexec/husk/husk-init";
	a = build_ok(&in, &s);
	assert_null(ns_of(s, OCI_NS_PID));
	assert_null(ns_of(s, OCI_NS_IPC));
	assert_null(ns_of(s, OCI_NS_UTS));
	assert_null(ns_of(s, OCI_NS_NETWORK));
	assert_null(s->hostname);
	assert_string_equal(s->process->args[0], "sh"); /* no init with the host's PIDs */
	{
		char hn[HOST_NAME_MAX + 1] = "";
		_cleanup_free_ char *want = NULL;

		gethostname(hn, sizeof(hn) - 1);
		want = str_printf("HOSTNAME=%s", hn);
		assert_string_equal(sget(a, "process.env.1"), want);
	}
	assert_string_equal(sget(find_mount(a, "/dev/shm"), "source"), "/dev/shm");
	assert_null(find_mount(a, SPEC_INIT_PATH));
	assert_null(sysctl_of(a, "net.ipv4.ip_unprivileged_port_start"));
	b = build_ok(&in2, &s2);
	assert_string_equal(s2->process->args[0], SPEC_INIT_PATH);
	assert_string_equal(s2->process->args[1], "--");
	assert_string_equal(s2->process->args[2], "sleep");
	init = find_mount(b, SPEC_INIT_PATH);
	assert_string_equal(sget(init, "source"), "/usr/libexec/husk/husk-init");
	assert_string_equal(opts_text(init), "[\"bind\",\"ro\"]");
	assert_null(find_mount(b, "/dev/shm"));
	assert_non_null(ns_of(s2, OCI_NS_CGROUP));
	assert_string_equal(s2->hostname, "h");
	oci_spec_free(s);
	oci_spec_free(s2);
	in2.init_path = NULL;
	build_fails(&in2, EINVAL, "HostConfig.Init: no init binary to bind at /sbin/docker-init");
}

static void test_build_joined_namespaces(void **state)
{
	struct fx *f = *state;
	_cleanup_json_ json_t *n = normalize_ok(HCB("{\"PidMode\":\"container:web\","
	                                            "\"IpcMode\":\"container:web\","
	                                            "\"NetworkMode\":\"container:web\"}"),
	                                        NULL);
	struct spec_input in = input(f, n);
	struct oci_spec *s = NULL;
	_cleanup_json_ json_t *spec = NULL;
	const struct id_map uid[] = {{0, 100000, 65536}}, gid[] = {{0, 100000, 65536}};

	build_fails(&in, EINVAL,
	            "network namespace of \"container:web\" was not resolved to a path");
	in.ns_net = "/proc/1234/ns/net";
	in.ns_pid = "/proc/1234/ns/pid";
	in.ns_ipc = "/proc/1234/ns/ipc";
	build_fails(
	        &in, EINVAL,
	        "IpcMode \"container:web\": the other container's /dev/shm is needed (shm_path)");
	in.shm_path = "/run/husk/containers/web/shm";
	in.ns_uts = "host";
	in.uid_map = uid;
	in.gid_map = gid;
	in.n_uid_map = in.n_gid_map = 1;
	spec = build_ok(&in, &s);
	assert_string_equal(ns_of(s, OCI_NS_NETWORK)->path, "/proc/1234/ns/net");
	assert_string_equal(ns_of(s, OCI_NS_PID)->path, "/proc/1234/ns/pid");
	assert_null(ns_of(s, OCI_NS_UTS));
	assert_non_null(ns_of(s, OCI_NS_USER));
	assert_null(ns_of(s, OCI_NS_USER)->path);
	assert_int_equal(s->linux_.n_uid_mappings, 1);
	assert_int_equal(s->linux_.uid_mappings[0].host_id, 100000);
	/* the remap leaves /sys/fs/cgroup writable, as dockerd */
	assert_false(
	        has_string(json_object_get(find_mount(spec, "/sys/fs/cgroup"), "options"), "ro"));
	/* joined by path: no mappings of our own */
	in.ns_user = "/proc/1234/ns/user";
	oci_spec_free(s);
	json_decref(spec);
	spec = build_ok(&in, &s);
	assert_string_equal(ns_of(s, OCI_NS_USER)->path, "/proc/1234/ns/user");
	assert_int_equal(s->linux_.n_uid_mappings, 0);
	oci_spec_free(s);
	in.ns_user = "user-ns";
	build_fails(&in, EINVAL, "user namespace: \"user-ns\" is neither \"host\" nor a path");
	in.ns_user = NULL;
	json_object_set_new(json_object_get(n, "HostConfig"), "Privileged", json_true());
	build_fails(
	        &in, EINVAL,
	        "privileged mode is incompatible with user namespaces.  You must run the container "
	        "in the host namespace when running privileged mode");
	json_object_set_new(json_object_get(n, "HostConfig"), "Privileged", json_false());
	json_object_set_new(json_object_get(n, "HostConfig"), "PidMode", json_string("host"));
	in.ns_pid = NULL;
	build_fails(&in, EINVAL,
	            "cannot share the host PID namespace when user namespaces are enabled");
}

static void test_build_devices_sysctls(void **state)
{
	struct fx *f = *state;
	struct oci_spec *s = NULL;
	_cleanup_json_ json_t *spec = build_body(
	        f,
	        HCB("{\"Devices\":[{\"PathOnHost\":\"/dev/null\",\"PathInContainer\":\"/dev/"
	            "xnull\","
	            "\"CgroupPermissions\":\"rw\"}],\"DeviceCgroupRules\":[\"c 1:5 r\"],"
	            "\"Sysctls\":{\"net.ipv4.ip_unprivileged_port_start\":\"80\",\"kernel.shmmax\":"
	            "\"4096\"},\"CgroupParent\":\"/my/../parent\",\"Annotations\":{\"a\":\"b\"}}"),
	        &s);
	_cleanup_json_ json_t *n =
	        normalize_ok(HCB("{\"Devices\":[\"/dev/nonexistent-husk\"]}"), NULL);
	_cleanup_free_ char *nodev = path_join(f->dir, "nodev");
	_cleanup_free_ char *body2 = str_printf(HCB("{\"Devices\":[\"%s\"]}"), nodev);
	_cleanup_json_ json_t *n2 = (mkdir_p(nodev, 0755), normalize_ok(body2, NULL));
	_cleanup_free_ char *want2 = str_printf("error gathering device information while adding "
	                                        "custom device \"%s\": not a device node",
	                                        nodev);
	struct spec_input in = input(f, n), in2 = input(f, n2);

	assert_int_equal(s->linux_.n_devices, 1);
	assert_string_equal(s->linux_.devices[0].path, "/dev/xnull");
	assert_int_equal(s->linux_.devices[0].major, 1);
	assert_int_equal(s->linux_.devices[0].minor, 3);
	assert_int_equal(s->linux_.devices[0].type, 'c');
	assert_string_equal(sysctl_of(spec, "net.ipv4.ip_unprivileged_port_start"), "80");
	assert_string_equal(sysctl_of(spec, "kernel.shmmax"), "4096");
	assert_string_equal(
	        s->linux_.cgroups_path,
	        "/parent/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	assert_string_equal(sget(spec, "annotations.a"), "b");
	oci_spec_free(s);
	build_fails(&in, ENOENT,
	            "error gathering device information while adding custom device "
	            "\"/dev/nonexistent-husk\": No such file or directory");
	build_fails(&in2, EINVAL, want2);
}

/* A directory mapping gives every device node below it (dockerd's
 * DevicesFromPath); a huge one is refused, not walked forever. */
static void test_build_device_dir(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *dir = path_join(f->dir, "devdir"), *sub = path_join(dir, "sub");
	_cleanup_free_ char *n1 = path_join(dir, "null2"), *n2 = path_join(sub, "zero2");
	_cleanup_free_ char *big = path_join(f->dir, "bigdir");
	_cleanup_free_ char *body = NULL, *body2 = NULL, *want = NULL;
	_cleanup_json_ json_t *n = NULL, *n2j = NULL, *spec = NULL;
	struct spec_input in;
	struct oci_spec *s = NULL;

	if (geteuid() != 0) {
		skip();
		return;
	}
	assert_int_equal(mkdir_p(sub, 0755), 0);
	assert_int_equal(mknod(n1, S_IFCHR | 0666, makedev(1, 3)), 0);
	assert_int_equal(mknod(n2, S_IFCHR | 0600, makedev(1, 5)), 0);
	body = str_printf(HCB("{\"Devices\":[\"%s:/dev/mine:r\"]}"), dir);
	n = normalize_ok(body, NULL);
	in = input(f, n);
	spec = build_ok(&in, &s);
	assert_int_equal(s->linux_.n_devices, 2);
	for (size_t i = 0; i < 2; i++) {
		const struct oci_device *d = &s->linux_.devices[i];

		if (streq(d->path, "/dev/mine/null2"))
			assert_int_equal(d->minor, 3);
		else if (streq(d->path, "/dev/mine/sub/zero2"))
			assert_true(d->minor == 5 && d->has_mode && d->file_mode == 0600);
		else
			fail_msg("unexpected device %s", d->path);
	}
	oci_spec_free(s);
	assert_int_equal(mkdir_p(big, 0755), 0);
	for (int i = 0; i <= 4096; i++) {
		_cleanup_free_ char *p = str_printf("%s/d%d", big, i);

		assert_int_equal(mknod(p, S_IFCHR | 0600, makedev(1, 3)), 0);
	}
	body2 = str_printf(HCB("{\"Devices\":[\"%s\"]}"), big);
	n2j = normalize_ok(body2, NULL);
	in = input(f, n2j);
	want = str_printf("error gathering device information while adding custom device \"%s\": "
	                  "more than 4096 devices or 65536 entries under it",
	                  big);
	build_fails(&in, E2BIG, want);
}

static void test_build_lsm(void **state)
{
	struct fx *f = *state;
	_cleanup_json_ json_t *n = normalize_ok(HCB("{\"SecurityOpt\":[\"label=type:svirt_t\","
	                                            "\"label=level:s0:c1,c2\","
	                                            "\"apparmor=my-profile\"]}"),
	                                        NULL);
	_cleanup_json_ json_t *n2 = normalize_ok(HCB("{\"Privileged\":true}"), NULL);
	_cleanup_json_ json_t *n3 = normalize_ok(HCB("{\"SecurityOpt\":[\"label=bogus\"]}"), NULL);
	struct spec_input in = input(f, n), in2 = input(f, n2), in3 = input(f, n3);
	struct oci_spec *s = NULL;
	_cleanup_json_ json_t *a = NULL, *b = NULL, *c = NULL;

	/* not active: asked-for labels and profiles are ignored, as dockerd */
	a = build_ok(&in, &s);
	assert_null(s->process->apparmor_profile);
	assert_null(s->process->selinux_label);
	oci_spec_free(s);
	in.lsm_apparmor = in.lsm_selinux = true;
	b = build_ok(&in, &s);
	assert_string_equal(s->process->apparmor_profile, "my-profile");
	assert_string_equal(s->process->selinux_label, "system_u:system_r:svirt_t:s0:c1,c2");
	assert_string_equal(s->linux_.mount_label, "system_u:object_r:container_file_t:s0:c1,c2");
	oci_spec_free(s);
	in2.lsm_apparmor = in2.lsm_selinux = true;
	in2.apparmor_default = "husk-default";
	c = build_ok(&in2, &s);
	assert_string_equal(s->process->apparmor_profile, "unconfined");
	assert_null(s->process->selinux_label);
	assert_string_equal(s->linux_.mount_label, "system_u:object_r:container_file_t:s0");
	oci_spec_free(s);
	in3.lsm_selinux = true;
	build_fails(&in3, EINVAL,
	            "Bad label option \"bogus\", valid options 'disable' or \n'user, role, level, "
	            "type, filetype' followed by ':' and a value");
}

/* A bind with shared propagation needs a shared source mount: checked in
 * a private mount namespace with a tmpfs we control. */
static void test_build_shared_propagation(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *src = path_join(f->dir, "shared-src");
	pid_t pid;
	int status;

	if (geteuid() != 0) {
		skip();
		return;
	}
	assert_int_equal(mkdir_p(src, 0755), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		_cleanup_free_ char *bind = str_printf(HCB("{\"Binds\":[\"%s:/s:rshared\"]}"), src);
		_cleanup_free_ char *want = str_printf("path %s is mounted on %s but it is not a "
		                                       "shared mount",
		                                       src, src);
		_cleanup_error_ struct husk_error *err = NULL;
		json_t *n, *spec = NULL;
		struct spec_input in;

		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("tmpfs", src, "tmpfs", 0, "size=1m") < 0)
			_exit(10);
		n = normalize_ok(bind, NULL);
		in = input(f, n);
		if (spec_build(&in, &spec, &err) != -EINVAL || !streq(error_message(err), want))
			_exit(11);
		if (mount(NULL, src, NULL, MS_SHARED, NULL) < 0)
			_exit(12);
		if (spec_build(&in, &spec, NULL) < 0 ||
		    !streq(sget(spec, "linux.rootfsPropagation"), "shared"))
			_exit(13);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_build_bad_input(void **state)
{
	struct fx *f = *state;
	_cleanup_json_ json_t *n = normalize_ok(HCB("{}"), NULL);
	struct spec_input in = input(f, n);

	in.id = "../../etc";
	build_fails(&in, EINVAL,
	            "spec: a container id ([0-9a-zA-Z_.-]) and an absolute rootfs path "
	            "are needed");
	in = input(f, n);
	in.rootfs = "rootfs";
	build_fails(&in, EINVAL,
	            "spec: a container id ([0-9a-zA-Z_.-]) and an absolute rootfs path "
	            "are needed");
	in = input(f, n);
	in.body = NULL;
	build_fails(&in, EINVAL, "spec: no container configuration");
	in = input(f, n);
	in.ns_pid = "pid";
	build_fails(&in, EINVAL, "pid namespace: \"pid\" is neither \"host\" nor a path");
}

/* husk-runtime next to this test in the build tree, or NULL. */
static char *runtime_path(void)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *build = getenv("HUSK_BUILD");
	char *p;

	if (build)
		p = path_join(build, "husk-runtime");
	else if (n > 0) {
		_cleanup_free_ char *dir = NULL;

		exe[n] = '\0';
		dir = path_dirname(exe); /* <build>/tests/unit */
		p = dir ? str_printf("%s/../../husk-runtime", dir) : NULL;
	} else
		return NULL;
	if (p && access(p, X_OK) < 0) {
		free(p);
		p = NULL;
	}
	return p;
}

/* Run argv with stdout into out (at most len-1 bytes); the exit status. */
static int run_capture(char *const *argv, char *out, size_t len)
{
	int pfd[2], status = -1;
	ssize_t n, got = 0;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], STDOUT_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], out + got, len - 1 - (size_t)got)) > 0)
		got += n;
	out[got] = '\0';
	close(pfd[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The spec runs: husk-runtime starts a busybox container from it and the
 * container sees what Docker's would (caps, user, hostname, sysctl,
 * memory limit, masked /proc paths, seccomp). */
static void test_runs_under_runtime(void **state)
{
	struct fx *f = *state;
	const char *src = getenv("HUSK_SRC");
	char *probe = runtime_path();
	bool can = geteuid() == 0 && probe && src && access("/bin/busybox", X_OK) == 0;

	free(probe);
	if (!can) {
		/* skip() jumps out of the test: nothing may be allocated yet */
		print_message(
		        "skipped: needs root, HUSK_SRC, a built husk-runtime and busybox-static\n");
		skip();
		return;
	}
	_cleanup_free_ char *runtime = runtime_path(), *fixture = NULL, *cmd = NULL;
	_cleanup_free_ char *bundle = path_join(f->dir, "bundle"),
	                    *statedir = path_join(f->dir, "st");
	_cleanup_free_ char *rootfs = path_join(bundle, "rootfs"),
	                    *cfg = path_join(bundle, "config.json");
	_cleanup_free_ char *text = NULL, *id = str_printf("spec-test-%d", (int)getpid());
	_cleanup_json_ json_t *n = NULL, *spec = NULL;
	_cleanup_error_ struct husk_error *err = NULL;
	char out[4096] = "", line[1024] = "";
	struct spec_input in;
	FILE *p;

	cmd = str_printf("bash '%s/tests/fixtures/mkbusybox.sh' 2>/dev/null", src);
	if (!(p = popen(cmd, "r")) || !fgets(line, sizeof(line), p) || pclose(p) != 0)
		fail_msg("mkbusybox.sh failed");
	line[strcspn(line, "\n")] = '\0';
	fixture = str_printf("cp -a '%s/rootfs' '%s' && mkdir -p '%s'", line, rootfs, statedir);
	assert_int_equal(mkdir_p(bundle, 0700), 0);
	assert_int_equal(system(fixture), 0);
	n = normalize_ok("{\"Image\":\"busybox\",\"User\":\"nobody\",\"Hostname\":\"spec-host\","
	                 "\"Cmd\":[\"sh\",\"-c\",\"grep -E '^(CapBnd|Seccomp):' /proc/self/status; "
	                 "id -u; hostname; echo $HOSTNAME; cat /proc/sys/kernel/shmmax; "
	                 "cat /proc/keys /proc/timer_list 2>/dev/null | wc -c; "
	                 "ls /sys/firmware 2>/dev/null | wc -l\"],"
	                 "\"HostConfig\":{\"CapDrop\":[\"NET_RAW\"],\"Memory\":67108864,"
	                 "\"Sysctls\":{\"kernel.shmmax\":\"12345\"},\"NetworkMode\":\"none\"}}",
	                 NULL);
	in = input(f, n);
	in.rootfs = rootfs;
	in.rootfs_fd = -1;
	in.host = NULL; /* this host's facts */
	if (spec_build(&in, &spec, &err) < 0)
		fail_msg("%s", error_message(err));
	text = spec_dumps(spec, true);
	assert_int_equal(atomic_write_file(cfg, text, strlen(text), 0600, NULL), 0);
	assert_int_equal(run_capture((char *[]){runtime, "--root", statedir, "run", "--bundle",
	                                        bundle, id, NULL},
	                             out, sizeof(out)),
	                 0);
	assert_string_equal(out, "CapBnd:\t00000000a80405fb\nSeccomp:\t2\n65534\nspec-host\n"
	                         "spec-host\n12345\n0\n0\n");
}

/* The real host facts: a plain spec_build/normalize with probing. */
static void test_probe(void **state)
{
	struct fx *f = *state;
	struct spec_host h;
	_cleanup_json_ json_t *n = NULL, *spec = NULL;
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *body = J(HCB("{\"Memory\":67108864}"));
	struct spec_input in;

	spec_host_probe(&h);
	assert_true(h.ncpu >= 1);
	assert_true(h.last_cap >= 36);
	assert_true(h.kernel > 0);
	if (spec_normalize_create(body, NULL, NULL, &n, &err) < 0)
		fail_msg("%s", error_message(err));
	in = input(f, n);
	in.host = NULL;
	if (spec_build(&in, &spec, &err) < 0)
		fail_msg("%s", error_message(err));
}

static void test_workdir_create(void **state)
{
	struct fx *f = *state;
	_cleanup_json_ json_t *b = J("{\"WorkingDir\":\"/srv//app/../app/data\"}");
	_cleanup_json_ json_t *esc = J("{\"WorkingDir\":\"/link/inside\"}"), *none = J("{}");
	_cleanup_free_ char *made = path_join(f->rootfs, "srv/app/data");
	_cleanup_free_ char *link = path_join(f->rootfs, "link");
	_cleanup_free_ char *outside = path_join(f->dir, "escaped");
	_cleanup_error_ struct husk_error *err = NULL;
	struct stat st;

	assert_int_equal(spec_workdir_create(b, f->rootfd, 1000, 1000, &err), 0);
	assert_int_equal(stat(made, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(spec_workdir_create(b, f->rootfd, 0, 0, &err), 0); /* exists: fine */
	assert_int_equal(spec_workdir_create(none, f->rootfd, 0, 0, &err), 0);
	/* a symlink pointing out of the rootfs is resolved inside it: nothing
	 * is created outside */
	assert_int_equal(symlink("../../escaped", link), 0);
	assert_true(spec_workdir_create(esc, f->rootfd, 0, 0, &err) < 0);
	assert_string_equal(error_message(err),
	                    "create the working directory \"/link\": No such file or directory");
	assert_int_equal(access(outside, F_OK), -1);
}

static void test_bind_sources_create(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *dir = path_join(f->dir, "made/by/bind");
	_cleanup_free_ char *body = str_printf(HCB("{\"Binds\":[\"%s:/x\",\"vol:/v\"]}"), dir);
	_cleanup_json_ json_t *b = J(body);
	struct stat st;

	assert_int_equal(spec_bind_sources_create(b, NULL), 0);
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_defaults),
	        cmocka_unit_test(test_defaults_v2_and_privileged),
	        cmocka_unit_test(test_body_untouched),
	        cmocka_unit_test(test_types),
	        cmocka_unit_test(test_memory_checks),
	        cmocka_unit_test(test_memory_warnings),
	        cmocka_unit_test(test_cpu_checks),
	        cmocka_unit_test(test_blkio_qos_checks),
	        cmocka_unit_test(test_resources_json),
	        cmocka_unit_test(test_resources_update_and_devices),
	        cmocka_unit_test(test_resources_errors),
	        cmocka_unit_test(test_restart_policy),
	        cmocka_unit_test(test_network_conflicts),
	        cmocka_unit_test(test_mode_checks),
	        cmocka_unit_test(test_config_checks),
	        cmocka_unit_test(test_caps_security_checks),
	        cmocka_unit_test(test_no_seccomp_kernel),
	        cmocka_unit_test(test_ulimit_sysctl_checks),
	        cmocka_unit_test(test_mount_checks),
	        cmocka_unit_test(test_parse_bind),
	        cmocka_unit_test(test_device_checks),
	        cmocka_unit_test(test_merge_image),
	        cmocka_unit_test(test_merge_entrypoint_rules),
	        cmocka_unit_test_setup_teardown(test_users, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_users_hostile_rootfs, setup, teardown),
	        cmocka_unit_test(test_seccomp_convert),
	        cmocka_unit_test(test_seccomp_convert_errors),
	        cmocka_unit_test_setup_teardown(test_build_default, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_build_env_tty_user, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_build_relative_workdir, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_build_missing_user, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_build_privileged, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_build_caps_all, setup, teardown),
	        cmocka_unit_test(test_caps_unavailable),
	        cmocka_unit_test_setup_teardown(test_build_security_opts, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_build_readonly_and_files, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_build_mounts, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_build_ro_recursive, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_build_ipc_init_ns, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_build_joined_namespaces, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_build_devices_sysctls, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_build_device_dir, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_build_lsm, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_build_shared_propagation, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_build_bad_input, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_probe, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_runs_under_runtime, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_workdir_create, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bind_sources_create, setup, teardown),
	        cmocka_unit_test(test_dumps_big_integers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
