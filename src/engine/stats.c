/* stats.c — Docker's stats JSON from a cgroup (v1, v2, hybrid), /proc/stat
 * and /proc/<pid>/net/dev, and the docker CLI's arithmetic over it. */
#include "engine/stats.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "base/timefmt.h"

#define NS_PER_SEC    1000000000ULL
#define CG_FILE_MAX   (1u << 20) /* memory.stat, io.stat of many devices */
#define PROC_FILE_MAX (4u << 20) /* /proc/stat on large machines */
#define PRE_READ_ZERO "0001-01-01T00:00:00Z"

/* Where each controller of the container lives; NULL when not mounted. */
struct stats_dirs {
	bool v2;
	char *cpu, *cpuacct, *memory, *pids, *blkio; /* for v2 all are the one directory */
};

static void stats_dirs_release(struct stats_dirs *d)
{
	free(d->cpu);
	free(d->cpuacct);
	free(d->memory);
	free(d->pids);
	free(d->blkio);
}

static bool path_safe(const char *p)
{
	return p && p[0] == '/' && strlen(p) < PATH_MAX / 2 && !strstr(p, "/../") &&
	       !endswith(p, "/..") && !strstr(p, "/./") && !endswith(p, "/.");
}

static char *controller_dir(const struct cgroup_layout *l, const char *ctrl, const char *path)
{
	const char *mount = cgroup_v1_path(l, ctrl);

	return mount ? path_join(mount, path) : NULL;
}

static int stats_dirs_find(const struct cgroup_layout *l, const char *path, struct stats_dirs *d,
                           struct husk_error **err)
{
	*d = (struct stats_dirs){.v2 = l->mode == CGROUP_MODE_V2};
	if (!path_safe(path))
		return error_set(err, EINVAL, "cgroup path \"%s\": expected an absolute path",
		                 path ? path : "");
	if (d->v2) {
		if (!l->unified)
			return error_set(err, ENOENT, "cgroup2 is not mounted");
		d->cpu = path_join(l->unified, path);
		d->cpuacct = d->cpu ? strdup(d->cpu) : NULL;
		d->memory = d->cpu ? strdup(d->cpu) : NULL;
		d->pids = d->cpu ? strdup(d->cpu) : NULL;
		d->blkio = d->cpu ? strdup(d->cpu) : NULL;
		if (!d->blkio)
			return error_set(err, ENOMEM, "out of memory");
		return 0;
	}
	/* v1 and hybrid: the resource controllers are the v1 hierarchies */
	d->cpu = controller_dir(l, "cpu", path);
	d->cpuacct = controller_dir(l, "cpuacct", path);
	d->memory = controller_dir(l, "memory", path);
	d->pids = controller_dir(l, "pids", path);
	d->blkio = controller_dir(l, "blkio", path);
	return 0;
}

/* ---- reading ---- */

static int read_text(const char *dir, const char *file, char **ret)
{
	_cleanup_free_ char *p = dir ? path_join(dir, file) : NULL;

	*ret = NULL;
	if (!p)
		return -ENOENT;
	return read_file(p, CG_FILE_MAX, ret, NULL, NULL);
}

/* A number file; "max" is UINT64_MAX. */
static bool read_u64(const char *dir, const char *file, uint64_t *ret)
{
	_cleanup_free_ char *t = NULL, *s = NULL;

	if (read_text(dir, file, &t) < 0 || !(s = str_strip(t)))
		return false;
	if (streq(s, "max")) {
		*ret = UINT64_MAX;
		return true;
	}
	return str_to_uint64(s, ret) == 0;
}

/* "key value" lines: the value of key. */
static bool kv_u64(const char *text, const char *key, uint64_t *ret)
{
	size_t n = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (strncmp(l, key, n) == 0 && l[n] == ' ') {
			char *end;
			unsigned long long v = strtoull(l + n + 1, &end, 10);
			if (end == l + n + 1)
				return false;
			*ret = v;
			return true;
		}
	return false;
}

static json_t *jint(uint64_t v)
{
	return json_integer((json_int_t)MIN(v, (uint64_t)INT64_MAX));
}

/* ---- CPU ---- */

/* The host's CPU time in ns (the first 7 fields of /proc/stat's "cpu"
 * line, as moby sums them) and the number of online CPUs. */
static int host_cpu(uint64_t *ret_ns, unsigned *ret_online)
{
	_cleanup_free_ char *t = NULL;
	uint64_t f[7] = {0}, sum = 0, hz = (uint64_t)sysconf(_SC_CLK_TCK);
	unsigned online = 0;

	if (read_file("/proc/stat", PROC_FILE_MAX, &t, NULL, NULL) < 0)
		return -EIO;
	if (sscanf(t,
	           "cpu %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
	           " %" SCNu64,
	           &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6]) != 7 ||
	    hz == 0)
		return -EIO;
	for (size_t i = 0; i < ELEMENTSOF(f); i++)
		sum += f[i];
	for (const char *l = t; l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (l[0] == 'c' && l[1] == 'p' && l[2] == 'u' && l[3] >= '0' && l[3] <= '9')
			online++;
	*ret_ns = sum / hz * NS_PER_SEC + sum % hz * NS_PER_SEC / hz;
	*ret_online = online;
	return 0;
}

static json_t *percpu_json(const char *dir)
{
	_cleanup_free_ char *t = NULL;
	json_t *a;

	if (read_text(dir, "cpuacct.usage_percpu", &t) < 0 || !(a = json_array()))
		return NULL;
	for (char *p = t, *end;; p = end) {
		unsigned long long v = strtoull(p, &end, 10);
		if (end == p)
			break;
		json_array_append_new(a, jint(v));
	}
	return a;
}

struct cpu_numbers {
	uint64_t total, user, kernel, periods, throttled, throttled_ns;
};

static void cpu_v1(const struct stats_dirs *d, struct cpu_numbers *c)
{
	_cleanup_free_ char *st = NULL, *cpu = NULL;
	uint64_t hz = (uint64_t)sysconf(_SC_CLK_TCK), v;

	(void)read_u64(d->cpuacct, "cpuacct.usage", &c->total);
	/* ns since Linux 4.7; cpuacct.stat's USER_HZ ticks before */
	if (!read_u64(d->cpuacct, "cpuacct.usage_user", &c->user) ||
	    !read_u64(d->cpuacct, "cpuacct.usage_sys", &c->kernel)) {
		if (read_text(d->cpuacct, "cpuacct.stat", &st) == 0 && hz > 0) {
			if (kv_u64(st, "user", &v))
				c->user = v * (NS_PER_SEC / hz);
			if (kv_u64(st, "system", &v))
				c->kernel = v * (NS_PER_SEC / hz);
		}
	}
	if (read_text(d->cpu, "cpu.stat", &cpu) == 0) {
		(void)kv_u64(cpu, "nr_periods", &c->periods);
		(void)kv_u64(cpu, "nr_throttled", &c->throttled);
		(void)kv_u64(cpu, "throttled_time", &c->throttled_ns);
	}
}

static void cpu_v2(const struct stats_dirs *d, struct cpu_numbers *c)
{
	_cleanup_free_ char *t = NULL;
	uint64_t v;

	if (read_text(d->cpu, "cpu.stat", &t) < 0)
		return;
	if (kv_u64(t, "usage_usec", &v))
		c->total = v * 1000;
	if (kv_u64(t, "user_usec", &v))
		c->user = v * 1000;
	if (kv_u64(t, "system_usec", &v))
		c->kernel = v * 1000;
	(void)kv_u64(t, "nr_periods", &c->periods);
	(void)kv_u64(t, "nr_throttled", &c->throttled);
	if (kv_u64(t, "throttled_usec", &v))
		c->throttled_ns = v * 1000;
}

static json_t *cpu_json(const struct stats_dirs *d)
{
	struct cpu_numbers c = {0};
	uint64_t sys_ns = 0;
	unsigned online = 0;
	json_t *usage, *percpu = NULL;

	if (d->v2)
		cpu_v2(d, &c);
	else {
		cpu_v1(d, &c);
		percpu = percpu_json(d->cpuacct);
	}
	(void)host_cpu(&sys_ns, &online);
	usage = json_pack("{s:o}", "total_usage", jint(c.total));
	if (!usage)
		return NULL;
	if (percpu)
		json_object_set_new(usage, "percpu_usage", percpu);
	json_object_set_new(usage, "usage_in_kernelmode", jint(c.kernel));
	json_object_set_new(usage, "usage_in_usermode", jint(c.user));
	return json_pack("{s:o, s:o, s:I, s:{s:o, s:o, s:o}}", "cpu_usage", usage,
	                 "system_cpu_usage", jint(sys_ns), "online_cpus", (json_int_t)online,
	                 "throttling_data", "periods", jint(c.periods), "throttled_periods",
	                 jint(c.throttled), "throttled_time", jint(c.throttled_ns));
}

/* ---- memory ---- */

static uint64_t host_memory(void)
{
	struct sysinfo si;

	return sysinfo(&si) == 0 ? (uint64_t)si.totalram * si.mem_unit : 0;
}

/* memory.stat as an object of every "key value" line. */
static json_t *memory_stat_json(const char *dir)
{
	_cleanup_free_ char *t = NULL;
	json_t *o = json_object();
	char *save = NULL;

	if (!o || read_text(dir, "memory.stat", &t) < 0)
		return o;
	for (char *l = strtok_r(t, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char key[128];
		uint64_t v;

		if (sscanf(l, "%127s %" SCNu64, key, &v) == 2)
			json_object_set_new(o, key, jint(v));
	}
	return o;
}

static json_t *memory_json(const struct stats_dirs *d)
{
	uint64_t usage = 0, max_usage = 0, failcnt = 0, limit = UINT64_MAX, host = host_memory();
	json_t *m = json_object();

	if (!m)
		return NULL;
	if (!d->memory)
		return m; /* no memory controller: Docker's empty memory_stats */
	if (d->v2) {
		(void)read_u64(d->memory, "memory.current", &usage);
		(void)read_u64(d->memory, "memory.max", &limit);
		json_object_set_new(m, "usage", jint(usage));
	} else {
		(void)read_u64(d->memory, "memory.usage_in_bytes", &usage);
		(void)read_u64(d->memory, "memory.max_usage_in_bytes", &max_usage);
		(void)read_u64(d->memory, "memory.failcnt", &failcnt);
		(void)read_u64(d->memory, "memory.limit_in_bytes", &limit);
		json_object_set_new(m, "usage", jint(usage));
		json_object_set_new(m, "max_usage", jint(max_usage));
	}
	json_object_set_new(m, "stats", memory_stat_json(d->memory));
	if (!d->v2)
		json_object_set_new(m, "failcnt", jint(failcnt));
	/* unlimited (v1 counts it as a huge page-rounded number): the host's */
	json_object_set_new(m, "limit", jint(host && limit > host ? host : limit));
	return m;
}

/* ---- pids ---- */

static json_t *pids_json(const struct stats_dirs *d)
{
	uint64_t cur, max;
	json_t *p = json_object();

	if (p && read_u64(d->pids, "pids.current", &cur)) {
		json_object_set_new(p, "current", jint(cur));
		if (read_u64(d->pids, "pids.max", &max) && max != UINT64_MAX)
			json_object_set_new(p, "limit", jint(max));
	}
	return p;
}

/* ---- block I/O ---- */

static void blkio_add(json_t *a, unsigned major, unsigned minor, const char *op, uint64_t v)
{
	json_array_append_new(a, json_pack("{s:I, s:I, s:s, s:o}", "major", (json_int_t)major,
	                                   "minor", (json_int_t)minor, "op", op, "value", jint(v)));
}

/* v1: "8:0 Read 4096" lines; Read and Write kept, as "read"/"write". */
static json_t *blkio_v1_list(const char *dir, const char *const *files)
{
	_cleanup_free_ char *t = NULL;
	json_t *a;
	char *save = NULL;

	for (; *files && !t; files++)
		(void)read_text(dir, *files, &t);
	if (!t || !(a = json_array()))
		return json_null();
	for (char *l = strtok_r(t, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		unsigned major, minor;
		char op[16];
		uint64_t v;

		if (sscanf(l, "%u:%u %15s %" SCNu64, &major, &minor, op, &v) != 4)
			continue;
		if (streq(op, "Read") || streq(op, "Write"))
			blkio_add(a, major, minor, streq(op, "Read") ? "read" : "write", v);
	}
	return a;
}

/* v2: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" lines. */
static void blkio_v2_lists(const char *dir, json_t **ret_bytes, json_t **ret_ios)
{
	_cleanup_free_ char *t = NULL;
	char *save = NULL;

	*ret_bytes = *ret_ios = json_null();
	if (read_text(dir, "io.stat", &t) < 0)
		return;
	*ret_bytes = json_array();
	*ret_ios = json_array();
	for (char *l = strtok_r(t, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		unsigned major, minor;
		uint64_t rb = 0, wb = 0, rio = 0, wio = 0;
		char *s = NULL;

		if (sscanf(l, "%u:%u", &major, &minor) != 2)
			continue;
		for (char *tok = strtok_r(l, " ", &s); tok; tok = strtok_r(NULL, " ", &s)) {
			(void)sscanf(tok, "rbytes=%" SCNu64, &rb);
			(void)sscanf(tok, "wbytes=%" SCNu64, &wb);
			(void)sscanf(tok, "rios=%" SCNu64, &rio);
			(void)sscanf(tok, "wios=%" SCNu64, &wio);
		}
		blkio_add(*ret_bytes, major, minor, "read", rb);
		blkio_add(*ret_bytes, major, minor, "write", wb);
		blkio_add(*ret_ios, major, minor, "read", rio);
		blkio_add(*ret_ios, major, minor, "write", wio);
	}
}

static json_t *blkio_json(const struct stats_dirs *d)
{
	static const char *const bytes_v1[] = {"blkio.throttle.io_service_bytes_recursive",
	                                       "blkio.io_service_bytes_recursive",
	                                       "blkio.bfq.io_service_bytes_recursive", NULL};
	static const char *const ios_v1[] = {"blkio.throttle.io_serviced_recursive",
	                                     "blkio.io_serviced_recursive",
	                                     "blkio.bfq.io_serviced_recursive", NULL};
	json_t *bytes, *ios;

	if (d->v2)
		blkio_v2_lists(d->blkio, &bytes, &ios);
	else {
		bytes = d->blkio ? blkio_v1_list(d->blkio, bytes_v1) : json_null();
		ios = d->blkio ? blkio_v1_list(d->blkio, ios_v1) : json_null();
	}
	return json_pack("{s:o, s:o, s:n, s:n, s:n, s:n, s:n, s:n}", "io_service_bytes_recursive",
	                 bytes, "io_serviced_recursive", ios, "io_queue_service_recursive",
	                 "io_service_time_recursive", "io_wait_time_recursive",
	                 "io_merged_recursive", "io_time_recursive", "sectors_recursive");
}

/* ---- networks ---- */

/* Whether pid shares our network namespace (host network: no stats). */
static bool same_netns(pid_t pid)
{
	char p[64];
	struct stat a, b;

	snprintf(p, sizeof(p), "/proc/%d/ns/net", (int)pid);
	if (stat(p, &a) < 0 || stat("/proc/self/ns/net", &b) < 0)
		return true;
	return a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

/* /proc/<pid>/net/dev: "  eth0: rxb rxp rxerr rxdrop fifo frame comp mcast txb txp txerr
 * txdrop …". NULL when there is nothing to report. */
static json_t *networks_json(pid_t pid)
{
	_cleanup_free_ char *t = NULL;
	_cleanup_json_ json_t *o = NULL;
	char p[64], *save = NULL;

	if (pid <= 0 || same_netns(pid))
		return NULL;
	snprintf(p, sizeof(p), "/proc/%d/net/dev", (int)pid);
	if (read_file(p, PROC_FILE_MAX, &t, NULL, NULL) < 0 || !(o = json_object()))
		return NULL;
	for (char *l = strtok_r(t, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(l, ':');
		_cleanup_free_ char *name = NULL;
		uint64_t f[12];

		if (!colon)
			continue;
		*colon = 0;
		name = str_strip(l);
		if (!name || isempty(name) || streq(name, "lo"))
			continue;
		if (sscanf(colon + 1,
		           "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
		           " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64,
		           &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8], &f[9],
		           &f[10], &f[11]) != 12)
			continue;
		json_object_set_new(o, name,
		                    json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
		                              "rx_bytes", jint(f[0]), "rx_packets", jint(f[1]),
		                              "rx_errors", jint(f[2]), "rx_dropped", jint(f[3]),
		                              "tx_bytes", jint(f[8]), "tx_packets", jint(f[9]),
		                              "tx_errors", jint(f[10]), "tx_dropped", jint(f[11])));
	}
	return json_object_size(o) ? TAKE_PTR(o) : NULL;
}

/* ---- the sample ---- */

static bool cgroup_exists(const struct stats_dirs *d)
{
	const char *dirs[] = {d->memory, d->cpuacct, d->pids, d->cpu, d->blkio};

	for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
		if (dirs[i]) {
			_cleanup_free_ char *p = path_join(dirs[i], "cgroup.procs");
			return p && access(p, F_OK) == 0;
		}
	return false;
}

static char *now_rfc3339(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return rfc3339_format(&ts);
}

int stats_sample(const struct cgroup_layout *l, const char *cgroups_path, pid_t pid, json_t **ret,
                 struct husk_error **err)
{
	_cleanup_(stats_dirs_release) struct stats_dirs d = {0};
	_cleanup_free_ char *read = NULL;
	_cleanup_json_ json_t *o = NULL;
	json_t *net;
	int r;

	r = stats_dirs_find(l, cgroups_path, &d, err);
	if (r < 0)
		return r;
	if (!cgroup_exists(&d))
		return error_set(err, ENOENT, "cgroup \"%s\" does not exist", cgroups_path);
	read = now_rfc3339();
	o = json_pack("{s:s, s:o, s:o, s:i, s:{}, s:o, s:o}", "read", read ? read : PRE_READ_ZERO,
	              "pids_stats", pids_json(&d), "blkio_stats", blkio_json(&d), "num_procs", 0,
	              "storage_stats", "cpu_stats", cpu_json(&d), "memory_stats", memory_json(&d));
	if (!o)
		return error_set(err, ENOMEM, "out of memory");
	net = networks_json(pid);
	if (net)
		json_object_set_new(o, "networks", net);
	*ret = TAKE_PTR(o);
	return 0;
}

static json_t *zero_cpu(void)
{
	return json_pack("{s:{s:i, s:i, s:i}, s:{s:i, s:i, s:i}}", "cpu_usage", "total_usage", 0,
	                 "usage_in_kernelmode", 0, "usage_in_usermode", 0, "throttling_data",
	                 "periods", 0, "throttled_periods", 0, "throttled_time", 0);
}

static json_t *copy_or_empty(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return v ? json_deep_copy(v) : json_object();
}

json_t *stats_response(json_t *cur, json_t *prev, const char *name, const char *id)
{
	const char *read = json_string_value(json_object_get(cur, "read"));
	const char *preread = prev ? json_string_value(json_object_get(prev, "read")) : NULL;
	json_t *pre = prev ? json_object_get(prev, "cpu_stats") : NULL;
	json_t *o, *net = json_object_get(cur, "networks");

	o = json_pack(
	        "{s:s, s:s, s:o, s:o, s:I, s:o, s:o, s:o, s:o, s:s, s:s}", "read",
	        read ? read : PRE_READ_ZERO, "preread", preread ? preread : PRE_READ_ZERO,
	        "pids_stats", copy_or_empty(cur, "pids_stats"), "blkio_stats",
	        copy_or_empty(cur, "blkio_stats"), "num_procs",
	        json_integer_value(json_object_get(cur, "num_procs")), "storage_stats",
	        copy_or_empty(cur, "storage_stats"), "cpu_stats", copy_or_empty(cur, "cpu_stats"),
	        "precpu_stats", pre ? json_deep_copy(pre) : zero_cpu(), "memory_stats",
	        copy_or_empty(cur, "memory_stats"), "name", name ? name : "", "id", id ? id : "");
	if (o && net)
		json_object_set_new(o, "networks", json_deep_copy(net));
	return o;
}

/* ---- the docker CLI's arithmetic (stats_helpers.go) ---- */

static uint64_t u64_at(json_t *o, const char *k1, const char *k2)
{
	json_t *v = json_object_get(k2 ? json_object_get(o, k1) : o, k2 ? k2 : k1);

	return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v)
	                                                       : 0;
}

void stats_compute(json_t *r, struct stats_numbers *ret)
{
	json_t *cpu = json_object_get(r, "cpu_stats"), *pre = json_object_get(r, "precpu_stats");
	json_t *mem = json_object_get(r, "memory_stats"), *ms = json_object_get(mem, "stats");
	json_t *net, *e;
	uint64_t cpu_d, sys_d, online, usage, inactive;
	const char *k;
	size_t i;

	*ret = (struct stats_numbers){0};
	cpu_d = u64_at(cpu, "cpu_usage", "total_usage") - u64_at(pre, "cpu_usage", "total_usage");
	sys_d = u64_at(cpu, "system_cpu_usage", NULL) - u64_at(pre, "system_cpu_usage", NULL);
	online = u64_at(cpu, "online_cpus", NULL);
	if (online == 0)
		online = json_array_size(
		        json_object_get(json_object_get(cpu, "cpu_usage"), "percpu_usage"));
	if (u64_at(cpu, "cpu_usage", "total_usage") > u64_at(pre, "cpu_usage", "total_usage") &&
	    u64_at(cpu, "system_cpu_usage", NULL) > u64_at(pre, "system_cpu_usage", NULL) &&
	    cpu_d > 0 && sys_d > 0)
		ret->cpu_percent = (double)cpu_d / (double)sys_d * (double)online * 100.0;
	usage = u64_at(mem, "usage", NULL);
	if (json_object_get(ms, "total_inactive_file") &&
	    (inactive = u64_at(ms, "total_inactive_file", NULL)) < usage)
		usage -= inactive; /* cgroup v1 */
	else if ((inactive = u64_at(ms, "inactive_file", NULL)) < usage)
		usage -= inactive; /* cgroup v2 */
	ret->mem_usage = usage;
	ret->mem_limit = u64_at(mem, "limit", NULL);
	if (ret->mem_limit)
		ret->mem_percent = (double)usage / (double)ret->mem_limit * 100.0;
	net = json_object_get(r, "networks");
	json_object_foreach (net, k, e) {
		ret->net_rx += u64_at(e, "rx_bytes", NULL);
		ret->net_tx += u64_at(e, "tx_bytes", NULL);
	}
	json_array_foreach (
	        json_object_get(json_object_get(r, "blkio_stats"), "io_service_bytes_recursive"), i,
	        e) {
		const char *op = json_string_value(json_object_get(e, "op"));
		if (op && strcasecmp(op, "read") == 0)
			ret->blk_read += u64_at(e, "value", NULL);
		else if (op && strcasecmp(op, "write") == 0)
			ret->blk_write += u64_at(e, "value", NULL);
	}
	ret->pids = u64_at(json_object_get(r, "pids_stats"), "current", NULL);
}
