/* cgroup_v1.c — the v1 backend: one hierarchy per controller (some
 * co-mounted), each with its own files. On hybrid hosts a resource whose
 * controller has no v1 mount but is offered by the unified tree (hugetlb
 * on the CI hosts) is written there the v2 way, and the `unified` keys go
 * to the unified tree. */
#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/str.h"
#include "runtime/cgroup_internal.h"

#define FREEZE_TRIES 1000 /* FREEZING → FROZEN polls, about 1 ms apart */

/* A tolerated first failure must not leave its message in *err. */
static int pass_error(struct husk_error **err, struct husk_error **held, int r)
{
	if (err && !*err)
		*err = TAKE_PTR(*held);
	return r;
}

/* ---- cpuset: a new v1 cpuset has empty cpus/mems and refuses tasks ---- */

static int copy_if_empty(const char *parent, const char *path, const char *file,
                         struct husk_error **err)
{
	_cleanup_free_ char *cur = NULL, *up = NULL, *stripped = NULL;
	int r = cg_read(path, file, &cur, err);

	if (r < 0)
		return r;
	stripped = str_strip(cur);
	if (!stripped)
		return error_set(err, ENOMEM, "out of memory");
	if (*stripped)
		return 0;
	r = cg_read(parent, file, &up, err);
	return r < 0 ? r : cg_write(path, file, up, err);
}

/* As runc does, each level below the mount gets its parent's cpus and
 * mems when it has none (cgroup.clone_children is not relied upon). */
static int v1_prepare_dir(const struct cgroup_dir *d, const char *path, struct husk_error **err)
{
	_cleanup_free_ char *parent = NULL;
	int r;

	if (!streq(d->controller, "cpuset") || streq(path, d->mount))
		return 0;
	parent = path_dirname(path);
	if (!parent)
		return error_set(err, ENOMEM, "out of memory");
	r = copy_if_empty(parent, path, "cpuset.cpus", err);
	return r < 0 ? r : copy_if_empty(parent, path, "cpuset.mems", err);
}

static int v1_cpuset(const struct cgroup_dir *d, const struct oci_resources *r, char ***w,
                     struct husk_error **err)
{
	int k = 0;

	if (!isempty(r->cpu_cpus))
		k = cg_write(d->path, "cpuset.cpus", r->cpu_cpus, err);
	if (k >= 0 && !isempty(r->cpu_mems))
		k = cg_write(d->path, "cpuset.mems", r->cpu_mems, err);
	return k;
}

/* ---- devices ---- */

int cgroup_v1_device_rule(const struct oci_device_rule *rule, char *buf, size_t len)
{
	char maj[24] = "*", min[24] = "*";
	/* an empty access means all of it, as Docker's default "rwm" */
	const char *access = rule->access[0] ? rule->access : "rwm";
	int n;

	if (!rule->type || !strchr("acb", rule->type) || strspn(access, "rwm") != strlen(access))
		return -EINVAL;
	if (rule->major >= 0)
		snprintf(maj, sizeof(maj), "%" PRId64, rule->major);
	if (rule->minor >= 0)
		snprintf(min, sizeof(min), "%" PRId64, rule->minor);
	n = snprintf(buf, len, "%c %s:%s %s", rule->type, maj, min, access);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Each rule in order, allow or deny: the kernel applies them as given, so
 * the spec's usual leading "deny all" resets the inherited list first. */
static int v1_devices(const struct cgroup_dir *d, const struct oci_resources *r, char ***w,
                      struct husk_error **err)
{
	char line[80];

	for (size_t i = 0; i < r->n_devices; i++) {
		const struct oci_device_rule *rule = &r->devices[i];
		int k;

		if (cgroup_v1_device_rule(rule, line, sizeof(line)) < 0)
			return error_set(err, EINVAL, "linux.resources.devices[%zu]: invalid rule",
			                 i);
		k = cg_write(d->path, rule->allow ? "devices.allow" : "devices.deny", line, err);
		if (k < 0)
			return k;
	}
	return 0;
}

/* ---- memory ---- */

bool cgroup_v1_memsw_first(uint64_t cur_mem_limit, int64_t new_memsw)
{
	return new_memsw == -1 || (uint64_t)new_memsw > cur_mem_limit;
}

static int write_i64(const char *dir, const char *file, int64_t v, struct husk_error **err)
{
	return cg_writef(dir, file, err, "%" PRId64, v);
}

static int write_mem_and_swap(const char *dir, int64_t mem, int64_t swap, struct husk_error **err)
{
	uint64_t cur = 0;
	int k;

	if (!mem || !swap) {
		k = mem ? write_i64(dir, "memory.limit_in_bytes", mem, err) : 0;
		if (k >= 0 && swap)
			k = write_i64(dir, "memory.memsw.limit_in_bytes", swap, err);
		return k;
	}
	/* memsw >= memory must hold after each write: raise memsw first,
	 * lower memory first. */
	(void)cg_read_u64(dir, "memory.limit_in_bytes", &cur);
	if (cgroup_v1_memsw_first(cur, swap)) {
		k = write_i64(dir, "memory.memsw.limit_in_bytes", swap, err);
		return k < 0 ? k : write_i64(dir, "memory.limit_in_bytes", mem, err);
	}
	k = write_i64(dir, "memory.limit_in_bytes", mem, err);
	return k < 0 ? k : write_i64(dir, "memory.memsw.limit_in_bytes", swap, err);
}

/* limit and swap (v1's swap is memory+swap); 0 means "not set", as runc. */
static int v1_memory_limits(const char *dir, const struct oci_resources *r, struct husk_error **err)
{
	int64_t mem = r->has_mem_limit ? r->mem_limit : 0, swap = r->has_mem_swap ? r->mem_swap : 0;
	bool memsw = cg_has(dir, "memory.memsw.limit_in_bytes");

	if (mem == -1 && !swap && memsw)
		swap = -1; /* unlimited memory without a swap limit: unlimited both */
	if (swap == -1 && !memsw)
		swap = 0;
	if (swap && !memsw)
		return error_set(err, EOPNOTSUPP,
		                 "linux.resources.memory.swap: \"%s/memory.memsw.limit_in_bytes\" "
		                 "is missing (swap accounting is off)",
		                 dir);
	if (mem > 0 && swap > 0 && swap < mem)
		return error_set(err, EINVAL,
		                 "linux.resources.memory.swap %" PRId64 ": must be >= the memory "
		                 "limit %" PRId64 " (it is memory+swap)",
		                 swap, mem);
	return write_mem_and_swap(dir, mem, swap, err);
}

static int v1_memory(const struct cgroup_dir *d, const struct oci_resources *r, char ***w,
                     struct husk_error **err)
{
	int k = v1_memory_limits(d->path, r, err);

	if (k >= 0 && r->has_mem_reservation && r->mem_reservation)
		k = write_i64(d->path, "memory.soft_limit_in_bytes", r->mem_reservation, err);
	/* -1 as a uint64 is "unset" in the spec's Go origins */
	if (k >= 0 && r->has_mem_swappiness && r->mem_swappiness != UINT64_MAX) {
		if (r->mem_swappiness > 100)
			return error_set(err, EINVAL,
			                 "linux.resources.memory.swappiness %" PRIu64
			                 ": must be 0 to 100",
			                 r->mem_swappiness);
		k = cg_writef(d->path, "memory.swappiness", err, "%" PRIu64, r->mem_swappiness);
	}
	if (k >= 0 && r->has_disable_oom_killer && r->disable_oom_killer)
		k = cg_write(d->path, "memory.oom_control", "1", err);
	return k;
}

/* ---- cpu ---- */

/* A smaller period can be refused (EINVAL) while the old quota is in
 * place: then the quota is written first and the period after it. */
static int v1_cpu_bandwidth(const char *dir, const struct oci_resources *r, struct husk_error **err)
{
	_cleanup_error_ struct husk_error *held = NULL;
	bool quota = r->has_cpu_quota && r->cpu_quota != 0, pending = false;
	int k = 0;

	if (r->has_cpu_period && r->cpu_period) {
		k = cg_writef(dir, "cpu.cfs_period_us", &held, "%" PRIu64, r->cpu_period);
		if (k < 0 && (k != -EINVAL || !quota))
			return pass_error(err, &held, k);
		pending = k < 0;
	}
	if (quota) {
		k = write_i64(dir, "cpu.cfs_quota_us", r->cpu_quota < 0 ? -1 : r->cpu_quota, err);
		if (k >= 0 && pending)
			k = cg_writef(dir, "cpu.cfs_period_us", err, "%" PRIu64, r->cpu_period);
	}
	return k;
}

static int v1_cpu(const struct cgroup_dir *d, const struct oci_resources *r, char ***w,
                  struct husk_error **err)
{
	int k = 0;

	if (r->has_cpu_shares && r->cpu_shares)
		k = cg_writef(d->path, "cpu.shares", err, "%" PRIu64, r->cpu_shares);
	if (k >= 0)
		k = v1_cpu_bandwidth(d->path, r, err);
	if (k >= 0 && r->has_cpu_burst && (r->cpu_burst || cg_has(d->path, "cpu.cfs_burst_us")))
		k = cg_writef(d->path, "cpu.cfs_burst_us", err, "%" PRIu64, r->cpu_burst);
	if (k >= 0 && r->has_cpu_rt_period && r->cpu_rt_period)
		k = cg_writef(d->path, "cpu.rt_period_us", err, "%" PRIu64, r->cpu_rt_period);
	if (k >= 0 && r->has_cpu_rt_runtime && r->cpu_rt_runtime)
		k = write_i64(d->path, "cpu.rt_runtime_us", r->cpu_rt_runtime, err);
	if (k >= 0 && r->has_cpu_idle && (r->cpu_idle || cg_has(d->path, "cpu.idle")))
		k = write_i64(d->path, "cpu.idle", r->cpu_idle, err);
	return k;
}

/* ---- pids, hugetlb, net ---- */

static int v1_pids(const struct cgroup_dir *d, const struct oci_resources *r, char ***w,
                   struct husk_error **err)
{
	if (r->pids_limit <= 0)
		return cg_write(d->path, "pids.max", "max", err);
	return write_i64(d->path, "pids.max", r->pids_limit, err);
}

static int v1_hugetlb(const struct cgroup_dir *d, const struct oci_resources *r, char ***w,
                      struct husk_error **err)
{
	for (size_t i = 0; i < r->n_hugepage_limits; i++) {
		_cleanup_free_ char *file = NULL;
		const struct oci_hugepage_limit *h = &r->hugepage_limits[i];
		int k = cgroup_hugetlb_file(h->page_size, "limit_in_bytes", &file, err);

		if (k >= 0)
			k = cg_writef(d->path, file, err, "%" PRIu64, h->limit);
		if (k < 0)
			return k;
	}
	return 0;
}

static int v1_net_cls(const struct cgroup_dir *d, const struct oci_resources *r, char ***w,
                      struct husk_error **err)
{
	return cg_writef(d->path, "net_cls.classid", err, "%" PRIu32, r->net_class_id);
}

static int v1_net_prio(const struct cgroup_dir *d, const struct oci_resources *r, char ***w,
                       struct husk_error **err)
{
	for (size_t i = 0; i < r->n_net_priorities; i++) {
		const struct oci_kv *kv = &r->net_priorities[i];
		int k;

		if (isempty(kv->key) || strpbrk(kv->key, " \t\n"))
			return error_set(err, EINVAL,
			                 "linux.resources.network.priorities[%zu]: invalid "
			                 "interface name \"%s\"",
			                 i, kv->key ? kv->key : "");
		k = cg_writef(d->path, "net_prio.ifpriomap", err, "%s %s", kv->key, kv->value);
		if (k < 0)
			return k;
	}
	return 0;
}

/* ---- blkio ---- */

/* blkio.weight exists under CFQ only; with blk-mq the BFQ policy offers
 * blkio.bfq.weight instead (same 1..1000 range). */
static const char *weight_file(const char *dir, const char *cfq, const char *bfq)
{
	if (cg_has(dir, cfq))
		return cfq;
	return cg_has(dir, bfq) ? bfq : NULL;
}

static int v1_blkio_weight(const char *dir, const struct oci_resources *r, struct husk_error **err)
{
	const char *f = weight_file(dir, "blkio.weight", "blkio.bfq.weight");
	int k = 0;

	if (r->has_blkio_weight && r->blkio_weight) {
		if (!f)
			return error_set(err, EOPNOTSUPP,
			                 "linux.resources.blockIO.weight: neither blkio.weight nor "
			                 "blkio.bfq.weight exists in \"%s\"",
			                 dir);
		k = cg_writef(dir, f, err, "%u", r->blkio_weight);
	}
	if (k >= 0 && r->has_blkio_leaf_weight && r->blkio_leaf_weight)
		k = cg_writef(dir, "blkio.leaf_weight", err, "%u", r->blkio_leaf_weight);
	return k;
}

static int v1_blkio_weight_devices(const char *dir, const struct oci_resources *r,
                                   struct husk_error **err)
{
	const char *f = weight_file(dir, "blkio.weight_device", "blkio.bfq.weight_device");

	for (size_t i = 0; i < r->n_blkio_weight_devices; i++) {
		const struct oci_weight_device *wd = &r->blkio_weight_devices[i];
		int k = 0;

		if (wd->has_weight)
			k = cg_writef(dir, f ? f : "blkio.weight_device", err,
			              "%" PRId64 ":%" PRId64 " %u", wd->major, wd->minor,
			              wd->weight);
		if (k >= 0 && wd->has_leaf_weight)
			k = cg_writef(dir, "blkio.leaf_weight_device", err,
			              "%" PRId64 ":%" PRId64 " %u", wd->major, wd->minor,
			              wd->leaf_weight);
		if (k < 0)
			return k;
	}
	return 0;
}

static int write_throttles(const char *dir, const char *file, const struct oci_throttle *t,
                           size_t n, struct husk_error **err)
{
	for (size_t i = 0; i < n; i++) {
		int k = cg_writef(dir, file, err, "%" PRId64 ":%" PRId64 " %" PRIu64, t[i].major,
		                  t[i].minor, t[i].rate);
		if (k < 0)
			return k;
	}
	return 0;
}

static int v1_blkio(const struct cgroup_dir *d, const struct oci_resources *r, char ***w,
                    struct husk_error **err)
{
	const char *p = d->path;
	int k = v1_blkio_weight(p, r, err);

	if (k >= 0)
		k = v1_blkio_weight_devices(p, r, err);
	if (k >= 0)
		k = write_throttles(p, "blkio.throttle.read_bps_device", r->throttle_read_bps,
		                    r->n_throttle_read_bps, err);
	if (k >= 0)
		k = write_throttles(p, "blkio.throttle.write_bps_device", r->throttle_write_bps,
		                    r->n_throttle_write_bps, err);
	if (k >= 0)
		k = write_throttles(p, "blkio.throttle.read_iops_device", r->throttle_read_iops,
		                    r->n_throttle_read_iops, err);
	if (k >= 0)
		k = write_throttles(p, "blkio.throttle.write_iops_device", r->throttle_write_iops,
		                    r->n_throttle_write_iops, err);
	return k;
}

/* ---- apply ---- */

static const struct {
	const char *controller;
	cgroup_apply_fn fn;
} v1_res[CGROUP_RES_COUNT] = {
        [CGROUP_RES_CPUSET] = {"cpuset", v1_cpuset},
        [CGROUP_RES_DEVICES] = {"devices", v1_devices},
        [CGROUP_RES_MEMORY] = {"memory", v1_memory},
        [CGROUP_RES_CPU] = {"cpu", v1_cpu},
        [CGROUP_RES_PIDS] = {"pids", v1_pids},
        [CGROUP_RES_BLKIO] = {"blkio", v1_blkio},
        [CGROUP_RES_HUGETLB] = {"hugetlb", v1_hugetlb},
        [CGROUP_RES_NET_CLS] = {"net_cls", v1_net_cls},
        [CGROUP_RES_NET_PRIO] = {"net_prio", v1_net_prio},
        [CGROUP_RES_UNIFIED] = {NULL, NULL},
};

static int v1_apply_one(struct cgroup *cg, enum cgroup_res res, const struct oci_resources *r,
                        char ***w, struct husk_error **err)
{
	const struct cgroup_dir *d = cgroup_dir_of(cg, v1_res[res].controller);
	const struct cgroup_dir *u = cgroup_dir_of(cg, "");

	if (d)
		return v1_res[res].fn(d, r, w, err);
	if (u && cgroup_v2_available(u, res))
		return cgroup_v2_apply_one(u, res, r, w, err);
	if (res == CGROUP_RES_UNIFIED)
		return error_set(err, EOPNOTSUPP, "linux.resources.unified: needs cgroup v2");
	return error_set(err, EOPNOTSUPP, "%s: cgroup controller \"%s\" is not mounted",
	                 cgroup_res_what(res), v1_res[res].controller);
}

/* ---- freezer ---- */

static int read_state(const char *dir, char *buf, size_t len, struct husk_error **err)
{
	_cleanup_free_ char *text = NULL, *s = NULL;
	int r = cg_read(dir, "freezer.state", &text, err);

	if (r < 0)
		return r;
	s = str_strip(text);
	if (!s)
		return error_set(err, ENOMEM, "out of memory");
	snprintf(buf, len, "%s", s);
	return 0;
}

static const struct cgroup_dir *freezer_dir(const struct cgroup *cg, struct husk_error **err)
{
	const struct cgroup_dir *d = cgroup_dir_of(cg, "freezer");

	if (!d)
		error_set(err, EOPNOTSUPP, "freeze: the freezer cgroup controller is not mounted");
	return d;
}

/* Writing FROZEN starts freezing; the state reads FREEZING until every
 * task stopped. As runc does, thaw now and then so that tasks forked
 * meanwhile do not keep it FREEZING forever, and give up after a while. */
static int freeze_loop(const char *dir, struct husk_error **err)
{
	char state[32];

	for (int i = 0; i < FREEZE_TRIES; i++) {
		if (i % 50 == 49) {
			(void)cg_write(dir, "freezer.state", "THAWED", NULL);
			cg_sleep_ms(10);
		}
		int r = cg_write(dir, "freezer.state", "FROZEN", err);

		if (r >= 0)
			r = read_state(dir, state, sizeof(state), err);
		if (r < 0)
			return r;
		if (streq(state, "FROZEN"))
			return 0;
		cg_sleep_ms(1);
	}
	(void)cg_write(dir, "freezer.state", "THAWED", NULL);
	return error_set(err, ETIMEDOUT, "freeze \"%s\": still FREEZING, gave up", dir);
}

static int v1_freeze(struct cgroup *cg, bool frozen, struct husk_error **err)
{
	const struct cgroup_dir *d = freezer_dir(cg, err);
	char state[32];
	int r;

	if (!d)
		return -EOPNOTSUPP;
	if (frozen)
		return freeze_loop(d->path, err);
	r = cg_write(d->path, "freezer.state", "THAWED", err);
	if (r >= 0)
		r = read_state(d->path, state, sizeof(state), err);
	if (r >= 0 && !streq(state, "THAWED"))
		return error_set(err, EIO, "thaw \"%s\": state is %s", d->path, state);
	return r;
}

static int v1_is_frozen(struct cgroup *cg, bool *ret, struct husk_error **err)
{
	const struct cgroup_dir *d = freezer_dir(cg, err);
	char state[32];
	int r;

	if (!d)
		return -EOPNOTSUPP;
	r = read_state(d->path, state, sizeof(state), err);
	if (r >= 0)
		*ret = streq(state, "FROZEN");
	return r;
}

/* On hybrid hosts every process is in the unified tree as well, where
 * cgroup.kill kills the lot at once. */
static int v1_kill(struct cgroup *cg, int sig, struct husk_error **err)
{
	const struct cgroup_dir *u = cgroup_dir_of(cg, "");

	return u ? cgroup_v2_kill_dir(u, sig, err) : -EOPNOTSUPP;
}

static const struct cgroup_dir *v1_procs_dir(const struct cgroup *cg)
{
	const struct cgroup_dir *d = cgroup_dir_of(cg, "freezer");

	if (!d)
		d = cgroup_dir_of(cg, "pids");
	return d ? d : (cg->n_dirs ? &cg->dirs[0] : NULL);
}

/* ---- stats ---- */

static int percpu(const char *dir, struct cgroup_stats *s)
{
	_cleanup_free_ char *text = NULL;

	if (cg_read(dir, "cpuacct.usage_percpu", &text, NULL) < 0)
		return 0;
	for (char *p = text, *end;; p = end) {
		uint64_t v = strtoull(p, &end, 10);

		if (end == p)
			break;
		uint64_t *nv = reallocarray(s->percpu_ns, s->n_percpu + 1, sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		s->percpu_ns = nv;
		s->percpu_ns[s->n_percpu++] = v;
	}
	return 0;
}

static int v1_cpu_stats(const struct cgroup *cg, struct cgroup_stats *s)
{
	const struct cgroup_dir *a = cgroup_dir_of(cg, "cpuacct"), *c = cgroup_dir_of(cg, "cpu");
	_cleanup_free_ char *stat = NULL, *cpu = NULL;
	uint64_t hz = (uint64_t)sysconf(_SC_CLK_TCK), user = 0, sys = 0;

	if (c && cg_read(c->path, "cpu.stat", &cpu, NULL) >= 0) {
		(void)cg_kv(cpu, "nr_periods", &s->nr_periods);
		(void)cg_kv(cpu, "nr_throttled", &s->throttled_periods);
		(void)cg_kv(cpu, "throttled_time", &s->throttled_time_ns);
	}
	if (!a)
		return 0;
	(void)cg_read_u64(a->path, "cpuacct.usage", &s->cpu_usage_ns);
	if (cg_read(a->path, "cpuacct.stat", &stat, NULL) >= 0 && hz > 0) {
		/* cpuacct.stat counts USER_HZ ticks */
		(void)cg_kv(stat, "user", &user);
		(void)cg_kv(stat, "system", &sys);
		s->cpu_user_ns = user * (1000000000 / hz);
		s->cpu_system_ns = sys * (1000000000 / hz);
	}
	return percpu(a->path, s);
}

/* Hierarchical totals when the kernel gives them ("total_rss"). */
static void memory_stat_kv(const char *text, const char *key, uint64_t *ret)
{
	char total[64];

	snprintf(total, sizeof(total), "total_%s", key);
	if (cg_kv(text, total, ret) < 0)
		(void)cg_kv(text, key, ret);
}

static void v1_memory_stats(const struct cgroup *cg, struct cgroup_stats *s)
{
	const struct cgroup_dir *m = cgroup_dir_of(cg, "memory");
	_cleanup_free_ char *stat = NULL, *oom = NULL;

	if (!m)
		return;
	(void)cg_read_u64(m->path, "memory.usage_in_bytes", &s->mem_usage);
	(void)cg_read_u64(m->path, "memory.max_usage_in_bytes", &s->mem_max_usage);
	(void)cg_read_u64(m->path, "memory.limit_in_bytes", &s->mem_limit);
	/* memory+swap, as v1 counts it (runc reports the same on v2) */
	(void)cg_read_u64(m->path, "memory.memsw.usage_in_bytes", &s->mem_swap_usage);
	if (cg_read(m->path, "memory.stat", &stat, NULL) >= 0) {
		memory_stat_kv(stat, "inactive_file", &s->mem_inactive_file);
		memory_stat_kv(stat, "cache", &s->mem_cache);
		memory_stat_kv(stat, "rss", &s->mem_rss);
	}
	if (cg_read(m->path, "memory.oom_control", &oom, NULL) >= 0)
		(void)cg_kv(oom, "oom_kill", &s->oom_kills);
}

/* Lines "8:0 Read 4096"; the "Total" lines are skipped. */
static void v1_blkio_stats(const struct cgroup *cg, struct cgroup_stats *s)
{
	const struct cgroup_dir *b = cgroup_dir_of(cg, "blkio");
	_cleanup_free_ char *text = NULL;
	char *save = NULL;

	if (!b || cg_read(b->path, "blkio.throttle.io_service_bytes_recursive", &text, NULL) < 0)
		return;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char dev[32], op[16];
		uint64_t v;

		if (sscanf(l, "%31s %15s %" SCNu64, dev, op, &v) != 3)
			continue;
		if (streq(op, "Read"))
			s->io_read_bytes += v;
		else if (streq(op, "Write"))
			s->io_write_bytes += v;
	}
}

static int v1_stats(struct cgroup *cg, struct cgroup_stats *s, struct husk_error **err)
{
	const struct cgroup_dir *p = cgroup_dir_of(cg, "pids");

	v1_memory_stats(cg, s);
	v1_blkio_stats(cg, s);
	if (p) {
		(void)cg_read_u64(p->path, "pids.current", &s->pids_current);
		(void)cg_read_u64(p->path, "pids.max", &s->pids_limit);
		if (s->pids_limit == UINT64_MAX)
			s->pids_limit = 0; /* "max": Docker reports no limit as 0 */
	}
	if (v1_cpu_stats(cg, s) < 0) {
		cgroup_stats_release(s);
		return error_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

const struct cgroup_ops cgroup_v1_ops = {
        .name = "v1",
        .prepare_dir = v1_prepare_dir,
        .apply_one = v1_apply_one,
        .freeze = v1_freeze,
        .is_frozen = v1_is_frozen,
        .kill = v1_kill,
        .stats = v1_stats,
        .procs_dir = v1_procs_dir,
};
