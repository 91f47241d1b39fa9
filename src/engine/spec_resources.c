/* spec_resources.c — HostConfig's resource fields: dockerd's checks
 * (validateQoS, validateResources, verifyPlatformContainerResources, with
 * their words) and linux.resources as dockerd writes it (WithResources),
 * the device cgroup rules with runc's defaults appended as runc appends
 * them (husk's runtime does not add them on its own).
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "base/fs.h"

#include "engine/spec_build_internal.h"

#define MAX_CPUS 8192 /* Docker's cpuset list maximum */
#define HC       "HostConfig"

/* The resource fields as read from a body (zero values when absent). */
struct res {
	int64_t memory, swap, reservation, kmem, kmem_tcp;
	int64_t nano, period, quota, shares, rt_period, rt_runtime, cpu_percent;
	int64_t io_bw, io_iops, blkio_weight;
	bool has_swappiness, has_oom, oom_kill_disable, has_pids;
	int64_t swappiness, pids;
	const char *cpus, *mems;
};

static int read_res(json_t *hc, struct res *r, struct husk_error **err)
{
	static const struct {
		const char *key;
		size_t off;
	} ints[] = {
	        {"Memory", offsetof(struct res, memory)},
	        {"MemorySwap", offsetof(struct res, swap)},
	        {"MemoryReservation", offsetof(struct res, reservation)},
	        {"KernelMemory", offsetof(struct res, kmem)},
	        {"KernelMemoryTCP", offsetof(struct res, kmem_tcp)},
	        {"NanoCpus", offsetof(struct res, nano)},
	        {"CpuPeriod", offsetof(struct res, period)},
	        {"CpuQuota", offsetof(struct res, quota)},
	        {"CpuShares", offsetof(struct res, shares)},
	        {"CpuRealtimePeriod", offsetof(struct res, rt_period)},
	        {"CpuRealtimeRuntime", offsetof(struct res, rt_runtime)},
	        {"CpuPercent", offsetof(struct res, cpu_percent)},
	        {"IOMaximumBandwidth", offsetof(struct res, io_bw)},
	        {"IOMaximumIOps", offsetof(struct res, io_iops)},
	        {"BlkioWeight", offsetof(struct res, blkio_weight)},
	};

	*r = (struct res){0};
	for (size_t i = 0; i < ELEMENTSOF(ints); i++)
		if (sb_i64(hc, HC, ints[i].key, (int64_t *)((char *)r + ints[i].off), err) < 0)
			return -EINVAL;
	r->has_swappiness = json_is_integer(json_object_get(hc, "MemorySwappiness"));
	r->has_oom = json_is_boolean(json_object_get(hc, "OomKillDisable"));
	r->has_pids = json_is_integer(json_object_get(hc, "PidsLimit"));
	if (sb_i64(hc, HC, "MemorySwappiness", &r->swappiness, err) < 0 ||
	    sb_bool(hc, HC, "OomKillDisable", &r->oom_kill_disable, err) < 0 ||
	    sb_i64(hc, HC, "PidsLimit", &r->pids, err) < 0 ||
	    sb_str(hc, HC, "CpusetCpus", &r->cpus, err) < 0 ||
	    sb_str(hc, HC, "CpusetMems", &r->mems, err) < 0)
		return -EINVAL;
	if (r->blkio_weight < 0 || r->blkio_weight > UINT16_MAX)
		return sb_fail(err, HC ".BlkioWeight: %" PRId64 " does not fit in a uint16",
		               r->blkio_weight);
	return 0;
}

static int warn(json_t *warnings, const char *msg, struct husk_error **err)
{
	if (warnings && json_array_append_new(warnings, json_string(msg)) < 0)
		return sb_oom(err);
	return 0;
}

/* validateQoS and validateResources: the API layer's checks. */
static int check_qos(const struct res *r, const struct spec_host *h, struct husk_error **err)
{
	if (r->io_bw)
		return sb_fail(err, "invalid QoS settings: linux does not support configuration of "
		                    "maximum bandwidth");
	if (r->io_iops)
		return sb_fail(err, "invalid QoS settings: linux does not support configuration of "
		                    "maximum IOPs");
	if (r->rt_period > 0 && !h->cpu_rt)
		return sb_fail(err, "Your kernel does not support cgroup cpu real-time period");
	if (r->rt_runtime > 0 && !h->cpu_rt)
		return sb_fail(err, "Your kernel does not support cgroup cpu real-time runtime");
	if (r->rt_period && r->rt_runtime && r->rt_runtime > r->rt_period)
		return sb_fail(err,
		               "cpu real-time runtime cannot be higher than cpu real-time period");
	return 0;
}

static int check_memory(json_t *hc, struct res *r, const struct spec_host *h, bool update,
                        json_t *w, struct husk_error **err)
{
	if (r->memory != 0 && r->memory < SB_LINUX_MIN_MEMORY)
		return sb_fail(err, "Minimum memory limit allowed is 6MB");
	if (r->memory > 0 && r->swap != -1 && !h->swap_limit) {
		if (warn(w,
		         "Your kernel does not support swap limit capabilities or the cgroup is "
		         "not mounted. Memory limited without swap.",
		         err) < 0 ||
		    sb_set(hc, "MemorySwap", json_integer(-1), err) < 0)
			return -ENOMEM;
		r->swap = -1;
	}
	if (r->memory > 0 && r->swap > 0 && r->swap < r->memory)
		return sb_fail(err,
		               "Minimum memoryswap limit should be larger than memory limit, see "
		               "usage");
	if (r->memory == 0 && r->swap > 0 && !update)
		return sb_fail(err, "You should always set the Memory limit when using Memoryswap "
		                    "limit, see usage");
	if (r->has_swappiness && !h->swappiness) {
		if (warn(w,
		         "Your kernel does not support memory swappiness capabilities or the "
		         "cgroup is not mounted. Memory swappiness discarded.",
		         err) < 0 ||
		    sb_set(hc, "MemorySwappiness", json_null(), err) < 0)
			return -ENOMEM;
		r->has_swappiness = false;
	}
	if (r->has_swappiness && (r->swappiness < 0 || r->swappiness > 100))
		return sb_fail(err,
		               "Invalid value: %" PRId64 ", valid memory swappiness range is 0-100",
		               r->swappiness);
	if (r->reservation > 0 && r->reservation < SB_LINUX_MIN_MEMORY)
		return sb_fail(err, "Minimum memory reservation allowed is 6MB");
	if (r->memory > 0 && r->reservation > 0 && r->memory < r->reservation)
		return sb_fail(err, "Minimum memory limit can not be less than memory reservation "
		                    "limit, see usage");
	return 0;
}

/* Kernel memory is gone from the kernel (5.4 deprecated, 6.x removed it
 * on v1) and from Docker: accepted, warned about, never applied. */
static int check_kernel_memory(json_t *hc, struct res *r, const struct spec_host *h, json_t *w,
                               struct husk_error **err)
{
	if (r->kmem) {
		if (warn(w,
		         "The --kernel-memory flag is no longer supported. This flag is a no-op.",
		         err) < 0 ||
		    sb_set(hc, "KernelMemory", json_integer(0), err) < 0)
			return -ENOMEM;
		r->kmem = 0;
	}
	if (r->kmem_tcp && h->cgroup_v2) {
		if (warn(w,
		         "Your kernel does not support kernel memory TCP limit capabilities or "
		         "the cgroup is not mounted. Limitation discarded.",
		         err) < 0 ||
		    sb_set(hc, "KernelMemoryTCP", json_integer(0), err) < 0)
			return -ENOMEM;
		r->kmem_tcp = 0;
	}
	return 0;
}

static int check_oom(json_t *hc, struct res *r, const struct spec_host *h, json_t *w,
                     struct husk_error **err)
{
	if (r->has_oom && !h->oom_kill_disable) {
		if (r->oom_kill_disable &&
		    warn(w,
		         "Your kernel does not support OomKillDisable. OomKillDisable discarded.",
		         err) < 0)
			return -ENOMEM;
		if (sb_set(hc, "OomKillDisable", json_null(), err) < 0)
			return -ENOMEM;
		r->has_oom = r->oom_kill_disable = false;
	}
	if (r->has_oom && r->oom_kill_disable && r->memory == 0)
		return warn(w,
		            "OOM killer is disabled for the container, but no memory limit is "
		            "set, this can result in the system running out of resources.",
		            err);
	return 0;
}

static int check_cpu(json_t *hc, struct res *r, const struct spec_host *h, json_t *w,
                     struct husk_error **err)
{
	if (r->shares < 0)
		return sb_fail(err, "shares: invalid argument");
	if (r->nano > 0 && r->period > 0)
		return sb_fail(err,
		               "Conflicting options: Nano CPUs and CPU Period cannot both be set");
	if (r->nano > 0 && r->quota > 0)
		return sb_fail(err,
		               "Conflicting options: Nano CPUs and CPU Quota cannot both be set");
	if (r->nano != 0 && (r->nano < 0 || r->nano > (int64_t)h->ncpu * 1000000000))
		return sb_fail(err,
		               "Range of CPUs is from 0.01 to %u.00, as there are only %u CPUs "
		               "available",
		               h->ncpu, h->ncpu);
	if (r->period != 0 && (r->period < 1000 || r->period > 1000000))
		return sb_fail(err, "CPU cfs period can not be less than 1ms (i.e. 1000) or larger "
		                    "than 1s (i.e. 1000000)");
	if (r->quota > 0 && r->quota < 1000)
		return sb_fail(err, "CPU cfs quota can not be less than 1ms (i.e. 1000)");
	if (r->cpu_percent > 0) {
		if (warn(w, "linux does not support CPU percent. Percent discarded.", err) < 0 ||
		    sb_set(hc, "CpuPercent", json_integer(0), err) < 0)
			return -ENOMEM;
		r->cpu_percent = 0;
	}
	return 0;
}

/* Whether the list `provided` is within `available` (both Docker lists). */
static int cpuset_available(const char *provided, const char *available, bool *ret)
{
	uint8_t want[MAX_CPUS / 8] = {0}, have[MAX_CPUS / 8] = {0};
	int r = sb_parse_uint_list(provided, MAX_CPUS, want);

	if (r < 0)
		return r;
	if (sb_parse_uint_list(available, MAX_CPUS, have) < 0)
		memset(have, 0xff, sizeof(have)); /* an unreadable host list limits nothing */
	*ret = true;
	for (size_t i = 0; i < sizeof(want); i++)
		*ret = *ret && !(want[i] & ~have[i]);
	return 0;
}

static int check_cpuset(const struct res *r, const struct spec_host *h, struct husk_error **err)
{
	bool ok = true;

	if (cpuset_available(r->cpus, h->cpus, &ok) < 0)
		return sb_fail(err, "Invalid value %s for cpuset cpus: invalid format: %s", r->cpus,
		               r->cpus);
	if (!ok)
		return sb_fail(err,
		               "Requested CPUs are not available - requested %s, available: %s",
		               r->cpus, h->cpus);
	if (cpuset_available(r->mems, h->mems, &ok) < 0)
		return sb_fail(err, "Invalid value %s for cpuset mems: invalid format: %s", r->mems,
		               r->mems);
	if (!ok)
		return sb_fail(err,
		               "Requested memory nodes are not available - requested %s, "
		               "available: %s",
		               r->mems, h->mems);
	return 0;
}

/* One {Path, Weight} or {Path, Rate} entry of the blkio device lists. */
static int check_blkio_list(json_t *hc, const char *key, const char *num_key,
                            struct husk_error **err)
{
	json_t *a, *item;
	size_t i;

	if (sb_arr(hc, HC, key, &a, err) < 0)
		return -EINVAL;
	json_array_foreach (a, i, item) {
		const char *path = NULL;
		int64_t n = 0;
		_cleanup_free_ char *where = str_printf(HC ".%s[%zu]", key, i);

		if (!where)
			return sb_oom(err);
		if (!json_is_object(item))
			return sb_fail(err, "%s: expected an object", where);
		if (sb_str(item, where, "Path", &path, err) < 0 ||
		    sb_i64(item, where, num_key, &n, err) < 0)
			return -EINVAL;
		if (!path_is_absolute(path))
			return sb_fail(err, "%s: invalid device path \"%s\": must be absolute",
			               where, path ? path : "");
		if (n < 0 || (streq(num_key, "Weight") && n > UINT16_MAX))
			return sb_fail(err, "%s: invalid %s %" PRId64, where, num_key, n);
		if (streq(num_key, "Weight") && n != 0 && (n < 10 || n > 1000))
			return sb_fail(err, "invalid weight for device: %s:%" PRId64, path, n);
	}
	return 0;
}

static int check_blkio(json_t *hc, const struct res *r, struct husk_error **err)
{
	if (r->blkio_weight > 0 && (r->blkio_weight < 10 || r->blkio_weight > 1000))
		return sb_fail(err, "Range of blkio weight is from 10 to 1000");
	if (check_blkio_list(hc, "BlkioWeightDevice", "Weight", err) < 0 ||
	    check_blkio_list(hc, "BlkioDeviceReadBps", "Rate", err) < 0 ||
	    check_blkio_list(hc, "BlkioDeviceWriteBps", "Rate", err) < 0 ||
	    check_blkio_list(hc, "BlkioDeviceReadIOps", "Rate", err) < 0 ||
	    check_blkio_list(hc, "BlkioDeviceWriteIOps", "Rate", err) < 0)
		return -EINVAL;
	return 0;
}

/* A [][]string as Go's %v prints it: "[[gpu utility] [compute]]". */
static char *go_lists(json_t *caps)
{
	_cleanup_(strbuf_release) struct strbuf sb = {0};
	json_t *l, *v;
	size_t i, j;

	strbuf_puts(&sb, "[");
	json_array_foreach (caps, i, l) {
		strbuf_puts(&sb, i ? " [" : "[");
		json_array_foreach (l, j, v)
			strbuf_printf(&sb, "%s%s", j ? " " : "",
			              json_string_value(v) ? json_string_value(v) : "");
		strbuf_puts(&sb, "]");
	}
	if (strbuf_puts(&sb, "]") < 0)
		return NULL;
	return strbuf_steal(&sb);
}

/* GPUs and other device requests need a driver husk does not have: the
 * words dockerd uses when none matches. */
static int check_device_requests(json_t *hc, struct husk_error **err)
{
	json_t *a, *req;
	size_t i;

	if (sb_arr(hc, HC, "DeviceRequests", &a, err) < 0)
		return -EINVAL;
	json_array_foreach (a, i, req) {
		const char *driver = NULL;
		_cleanup_free_ char *caps = go_lists(json_object_get(req, "Capabilities"));

		if (sb_str(req, HC ".DeviceRequests", "Driver", &driver, err) < 0)
			return -EINVAL;
		return sb_fail(err, "could not select device driver \"%s\" with capabilities: %s",
		               driver ? driver : "", caps ? caps : "[]");
	}
	return 0;
}

int sb_check_resources(json_t *hc, const struct spec_host *h, bool update, json_t *warnings,
                       struct husk_error **err)
{
	struct res r;

	if (read_res(hc, &r, err) < 0 || check_qos(&r, h, err) < 0)
		return -EINVAL;
	/* fixMemorySwappiness: -1 means "not set". */
	if (r.has_swappiness && r.swappiness == -1) {
		if (sb_set(hc, "MemorySwappiness", json_null(), err) < 0)
			return -ENOMEM;
		r.has_swappiness = false;
	}
	if (check_memory(hc, &r, h, update, warnings, err) < 0 ||
	    check_kernel_memory(hc, &r, h, warnings, err) < 0 ||
	    check_oom(hc, &r, h, warnings, err) < 0 || check_cpu(hc, &r, h, warnings, err) < 0 ||
	    check_cpuset(&r, h, err) < 0 || check_blkio(hc, &r, err) < 0 ||
	    check_device_requests(hc, err) < 0)
		return -EINVAL;
	return 0;
}

/* ---- linux.resources ---- */

static int set_i64(json_t *o, const char *key, int64_t v)
{
	return json_object_set_new(o, key, json_integer(v));
}

static json_t *memory_json(const struct res *r)
{
	json_t *m = json_object();

	if (!m)
		return NULL;
	if ((r->memory > 0 && set_i64(m, "limit", r->memory) < 0) ||
	    (r->reservation > 0 && set_i64(m, "reservation", r->reservation) < 0) ||
	    ((r->swap > 0 || r->swap == -1) && set_i64(m, "swap", r->swap) < 0) ||
	    (r->kmem_tcp > 0 && set_i64(m, "kernelTCP", r->kmem_tcp) < 0) ||
	    (r->has_swappiness && set_i64(m, "swappiness", r->swappiness) < 0) ||
	    (r->has_oom &&
	     json_object_set_new(m, "disableOOMKiller", json_boolean(r->oom_kill_disable)) < 0)) {
		json_decref(m);
		return NULL;
	}
	return m;
}

/* NanoCpus → quota over a 100ms period; CpuPeriod/CpuQuota win. */
static json_t *cpu_json(const struct res *r)
{
	json_t *c = json_object();
	int64_t period = 0, quota = 0;

	if (!c)
		return NULL;
	if (r->nano > 0) {
		period = 100000;
		quota = r->nano * period / 1000000000;
	}
	if (r->period)
		period = r->period;
	if (r->quota)
		quota = r->quota;
	if ((r->shares > 0 && set_i64(c, "shares", r->shares) < 0) ||
	    (quota && set_i64(c, "quota", quota) < 0) ||
	    (period && set_i64(c, "period", period) < 0) ||
	    (!isempty(r->cpus) && json_object_set_new(c, "cpus", json_string(r->cpus)) < 0) ||
	    (!isempty(r->mems) && json_object_set_new(c, "mems", json_string(r->mems)) < 0) ||
	    (r->rt_period && set_i64(c, "realtimePeriod", r->rt_period) < 0) ||
	    (r->rt_runtime && set_i64(c, "realtimeRuntime", r->rt_runtime) < 0)) {
		json_decref(c);
		return NULL;
	}
	return c;
}

/* A device list entry as {major, minor, <num_key>}, the device stat'ed. */
static int blkio_list_json(json_t *hc, const char *key, const char *num_key, const char *out_key,
                           json_t *blkio, struct husk_error **err)
{
	json_t *a = json_object_get(hc, key), *item, *out;
	size_t i;

	if (!json_array_size(a))
		return 0;
	if (!(out = json_array()) || json_object_set_new(blkio, out_key, out) < 0)
		return sb_oom(err);
	json_array_foreach (a, i, item) {
		const char *path = json_string_value(json_object_get(item, "Path"));
		json_int_t n = json_integer_value(json_object_get(item, num_key));
		struct stat st;

		if (stat(path, &st) < 0)
			return error_set_errno(err, errno, "stat %s", path);
		if (json_array_append_new(
		            out,
		            json_pack("{s:I, s:I, s:I}", "major", (json_int_t)major(st.st_rdev),
		                      "minor", (json_int_t)minor(st.st_rdev),
		                      streq(num_key, "Weight") ? "weight" : "rate", n)) < 0)
			return sb_oom(err);
	}
	return 0;
}

static int blkio_json(json_t *hc, const struct res *r, json_t **ret, struct husk_error **err)
{
	static const char *const lists[][3] = {
	        {"BlkioWeightDevice", "Weight", "weightDevice"},
	        {"BlkioDeviceReadBps", "Rate", "throttleReadBpsDevice"},
	        {"BlkioDeviceWriteBps", "Rate", "throttleWriteBpsDevice"},
	        {"BlkioDeviceReadIOps", "Rate", "throttleReadIOPSDevice"},
	        {"BlkioDeviceWriteIOps", "Rate", "throttleWriteIOPSDevice"},
	};
	_cleanup_json_ json_t *b = json_object();
	int k;

	if (!b || (r->blkio_weight > 0 && set_i64(b, "weight", r->blkio_weight) < 0))
		return sb_oom(err);
	for (size_t i = 0; i < ELEMENTSOF(lists); i++)
		if ((k = blkio_list_json(hc, lists[i][0], lists[i][1], lists[i][2], b, err)) < 0)
			return k;
	*ret = TAKE_PTR(b);
	return 0;
}

/* Add obj under key unless it is empty (then drop it). */
static int put_nonempty(json_t *parent, const char *key, json_t *obj)
{
	if (!obj)
		return -ENOMEM;
	if (!json_object_size(obj)) {
		json_decref(obj);
		return 0;
	}
	return json_object_set_new(parent, key, obj);
}

static int resources_json(json_t *hc, bool with_devices, json_t **ret, struct husk_error **err)
{
	_cleanup_json_ json_t *o = json_object(), *rules = NULL;
	json_t *blkio = NULL;
	bool privileged = false;
	struct res r;
	int k;

	if (!o)
		return sb_oom(err);
	if (read_res(hc, &r, err) < 0 || sb_bool(hc, HC, "Privileged", &privileged, err) < 0)
		return -EINVAL;
	if (with_devices) {
		if (!(rules = json_array()))
			return sb_oom(err);
		if ((k = sb_devices(hc, privileged, NULL, rules, err)) < 0)
			return k;
		if (json_object_set(o, "devices", rules) < 0)
			return sb_oom(err);
	}
	if ((k = blkio_json(hc, &r, &blkio, err)) < 0)
		return k;
	if (put_nonempty(o, "memory", memory_json(&r)) < 0 ||
	    put_nonempty(o, "cpu", cpu_json(&r)) < 0 || put_nonempty(o, "blockIO", blkio) < 0)
		return sb_oom(err);
	if (r.has_pids &&
	    json_object_set_new(
	            o, "pids",
	            json_pack("{s:I}", "limit", (json_int_t)(r.pids > 0 ? r.pids : -1))) < 0)
		return sb_oom(err);
	*ret = TAKE_PTR(o);
	return 0;
}

int sb_resources_for_spec(json_t *hc, json_t **ret, struct husk_error **err)
{
	return resources_json(hc, true, ret, err);
}

int spec_resources_host(json_t *host_config, const struct spec_host *host, json_t **ret_resources,
                        json_t *ret_warnings, struct husk_error **err)
{
	_cleanup_json_ json_t *hc = NULL;
	struct spec_host probed;
	int k;

	if (!json_is_object(host_config))
		return sb_fail(err, "resources: expected an object");
	if (!host) {
		spec_host_probe(&probed);
		host = &probed;
	}
	if (!(hc = json_deep_copy(host_config)))
		return sb_oom(err);
	if ((k = sb_check_resources(hc, host, true, ret_warnings, err)) < 0 ||
	    (k = sb_check_devices(hc, err)) < 0)
		return k;
	/* An update body has no Privileged: leave the device rules alone. */
	return resources_json(hc, json_object_get(hc, "Privileged") != NULL, ret_resources, err);
}

int spec_resources(json_t *host_config, json_t **ret_resources, json_t *ret_warnings,
                   struct husk_error **err)
{
	return spec_resources_host(host_config, NULL, ret_resources, ret_warnings, err);
}
