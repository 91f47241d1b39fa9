/* cgroup_v2.c — the v2 backend: one unified tree where controllers are
 * enabled top-down through cgroup.subtree_control; the v1 → v2 value
 * conversions (the spec speaks v1: shares, memsw, blkio weights); and the
 * device rules as a BPF_PROG_TYPE_CGROUP_DEVICE program, since v2 has no
 * devices files. */
#include <inttypes.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/str.h"
#include "runtime/cgroup_internal.h"

#define FREEZE_WAIT_MS 5000 /* cgroup.events "frozen" should follow within this */
#define MAX_OLD_PROGS  64   /* device programs replaced on update */

/* ---- controllers ---- */

static bool word_in(const char *text, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = text; p && (p = strstr(p, word)); p += n)
		if ((p == text || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || !p[n]))
			return true;
	return false;
}

static bool file_has_word(const char *dir, const char *file, const char *word)
{
	_cleanup_free_ char *text = NULL;

	return cg_read(dir, file, &text, NULL) >= 0 && word_in(text, word);
}

static int enable_in(const char *dir, const char *controller, struct husk_error **err)
{
	if (file_has_word(dir, "cgroup.subtree_control", controller))
		return 0;
	if (!file_has_word(dir, "cgroup.controllers", controller))
		return error_set(err, EOPNOTSUPP,
		                 "cgroup v2 controller \"%s\" is not available in \"%s\"",
		                 controller, dir);
	return cg_writef(dir, "cgroup.subtree_control", err, "+%s", controller);
}

int cgroup_v2_enable(const struct cgroup_dir *d, const char *controller, struct husk_error **err)
{
	_cleanup_free_ char *p = strdup(d->path);
	int r = 0;

	if (!p)
		return error_set(err, ENOMEM, "out of memory");
	/* each '/' after the mount ends an ancestor: mount, mount/a, … parent */
	for (char *s = p + strlen(d->mount); r >= 0 && s && *s; s = strchr(s + 1, '/')) {
		*s = 0;
		r = enable_in(p, controller, err);
		*s = '/';
	}
	return r;
}

/* ---- conversions ---- */

uint64_t cgroup_cpu_shares_to_weight(uint64_t shares)
{
	if (!shares)
		return 0;
	shares = MIN(MAX(shares, 2), 262144);
	return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t cgroup_blkio_weight_to_io_weight(uint64_t weight)
{
	if (!weight)
		return 0;
	weight = MIN(MAX(weight, 10), 1000);
	return 1 + ((weight - 10) * 9999) / 990;
}

int cgroup_cpu_max(const struct oci_resources *r, char *buf, size_t len)
{
	bool quota = r->has_cpu_quota && r->cpu_quota != 0;
	bool period = r->has_cpu_period && r->cpu_period != 0;
	int n;

	if (!quota && !period)
		return 0;
	if (quota && r->cpu_quota > 0)
		n = snprintf(buf, len, "%" PRId64, r->cpu_quota);
	else
		n = snprintf(buf, len, "max");
	if (period && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - n, " %" PRIu64, r->cpu_period);
	return 1;
}

int cgroup_swap_max(const struct oci_resources *r, int64_t *ret, struct husk_error **err)
{
	int64_t mem = r->has_mem_limit ? r->mem_limit : 0, swap = r->has_mem_swap ? r->mem_swap : 0;

	if (mem == -1 && swap == 0) {
		*ret = -1; /* unlimited memory without a swap limit: unlimited both */
		return 1;
	}
	if (swap == 0 || swap == -1) {
		*ret = swap;
		return swap != 0;
	}
	if (mem <= 0 || swap < 0)
		return error_set(err, EINVAL,
		                 "linux.resources.memory.swap %" PRId64 ": needs a memory limit",
		                 swap);
	if (swap < mem)
		return error_set(err, EINVAL,
		                 "linux.resources.memory.swap %" PRId64 ": must be >= the memory "
		                 "limit %" PRId64 " (it is memory+swap)",
		                 swap, mem);
	*ret = swap - mem;
	return 1;
}

int cgroup_io_max_line(const struct oci_throttle *t, const char *key, char *buf, size_t len)
{
	int n;

	if (t->rate == 0) /* v1 writes 0 to remove a limit */
		n = snprintf(buf, len, "%" PRId64 ":%" PRId64 " %s=max", t->major, t->minor, key);
	else
		n = snprintf(buf, len, "%" PRId64 ":%" PRId64 " %s=%" PRIu64, t->major, t->minor,
		             key, t->rate);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int cgroup_hugetlb_file(const char *page_size, const char *suffix, char **ret,
                        struct husk_error **err)
{
	size_t digits = page_size ? strspn(page_size, "0123456789") : 0;
	const char *unit = page_size ? page_size + digits : "";

	/* the size becomes part of a file name: digits, a unit, nothing else */
	if (!digits ||
	    !(streq(unit, "B") || (unit[0] && strchr("KMGTP", unit[0]) && streq(unit + 1, "B"))))
		return error_set(err, EINVAL,
		                 "linux.resources.hugepageLimits: invalid page size \"%s\"",
		                 page_size ? page_size : "");
	*ret = str_printf("hugetlb.%s.%s", page_size, suffix);
	return *ret ? 0 : error_set(err, ENOMEM, "out of memory");
}

/* ---- resources ---- */

static int write_max(const char *dir, const char *file, int64_t v, struct husk_error **err)
{
	if (v < 0)
		return cg_write(dir, file, "max", err);
	return cg_writef(dir, file, err, "%" PRId64, v);
}

static int v2_memory_warnings(const struct oci_resources *r, char ***w)
{
	int k = 0;

	if (r->has_mem_swappiness && r->mem_swappiness != UINT64_MAX)
		k = cg_warn(w, "linux.resources.memory.swappiness is not supported on cgroup v2 "
		               "and ignored");
	if (k >= 0 && r->has_disable_oom_killer && r->disable_oom_killer)
		k = cg_warn(w, "linux.resources.memory.disableOOMKiller is not supported on cgroup "
		               "v2 and ignored");
	return k;
}

static int v2_memory(const struct cgroup_dir *d, const struct oci_resources *r, char ***w,
                     struct husk_error **err)
{
	int64_t swap = 0;
	int has_swap = cgroup_swap_max(r, &swap, err), k = 0;

	if (has_swap < 0)
		return has_swap;
	if (r->has_mem_limit && r->mem_limit)
		k = write_max(d->path, "memory.max", r->mem_limit, err);
	/* without swap accounting there is no memory.swap.max: "max" is moot */
	if (k >= 0 && has_swap && (swap >= 0 || cg_has(d->path, "memory.swap.max")))
		k = write_max(d->path, "memory.swap.max", swap, err);
	if (k >= 0 && r->has_mem_reservation && r->mem_reservation)
		k = write_max(d->path, "memory.low", r->mem_reservation, err);
	if (k >= 0 && v2_memory_warnings(r, w) < 0)
		return error_set(err, ENOMEM, "out of memory");
	return k;
}

/* A burst above the old quota can be refused (EINVAL) until the new
 * cpu.max is in place: then it is written again after it. */
static int v2_cpu_bandwidth(const char *dir, const struct oci_resources *r, struct husk_error **err)
{
	_cleanup_error_ struct husk_error *held = NULL;
	char max[64];
	int has_max = cgroup_cpu_max(r, max, sizeof(max)), k = 0;
	bool pending = false;

	if (r->has_cpu_burst) {
		k = cg_writef(dir, "cpu.max.burst", &held, "%" PRIu64, r->cpu_burst);
		if (k < 0 && (k != -EINVAL || !has_max)) {
			if (err && !*err)
				*err = TAKE_PTR(held);
			return k;
		}
		pending = k < 0;
	}
	if (has_max)
		k = cg_write(dir, "cpu.max", max, err);
	if (k >= 0 && pending)
		k = cg_writef(dir, "cpu.max.burst", err, "%" PRIu64, r->cpu_burst);
	return k;
}

static int v2_cpu(const struct cgroup_dir *d, const struct oci_resources *r, char ***w,
                  struct husk_error **err)
{
	int k = 0;

	/* v2 has no per-cgroup real-time budget (no RT_GROUP_SCHED on v2) */
	if ((r->has_cpu_rt_runtime && r->cpu_rt_runtime) ||
	    (r->has_cpu_rt_period && r->cpu_rt_period))
		return error_set(err, EOPNOTSUPP,
		                 "linux.resources.cpu.realtimeRuntime/realtimePeriod: not "
		                 "supported on cgroup v2");
	if (r->has_cpu_shares && r->cpu_shares)
		k = cg_writef(d->path, "cpu.weight", err, "%" PRIu64,
		              cgroup_cpu_shares_to_weight(r->cpu_shares));
	if (k >= 0)
		k = v2_cpu_bandwidth(d->path, r, err);
	if (k >= 0 && r->has_cpu_idle)
		k = cg_writef(d->path, "cpu.idle", err, "%" PRId64, r->cpu_idle);
	return k;
}

static int v2_cpuset(const struct cgroup_dir *d, const struct oci_resources *r, char ***w,
                     struct husk_error **err)
{
	int k = 0;

	if (!isempty(r->cpu_cpus))
		k = cg_write(d->path, "cpuset.cpus", r->cpu_cpus, err);
	if (k >= 0 && !isempty(r->cpu_mems))
		k = cg_write(d->path, "cpuset.mems", r->cpu_mems, err);
	return k;
}

static int v2_pids(const struct cgroup_dir *d, const struct oci_resources *r, char ***w,
                   struct husk_error **err)
{
	return write_max(d->path, "pids.max", r->pids_limit <= 0 ? -1 : r->pids_limit, err);
}

/* io.bfq.weight takes v1's 1..1000 as is; io.weight (1..10000) is scaled. */
static int v2_io_weight(const char *dir, const struct oci_resources *r, struct husk_error **err)
{
	bool bfq = cg_has(dir, "io.bfq.weight");
	const char *f = bfq ? "io.bfq.weight" : "io.weight";
	int k = 0;

	if (r->has_blkio_weight && r->blkio_weight) {
		if (!bfq && !cg_has(dir, "io.weight"))
			return error_set(
			        err, EOPNOTSUPP,
			        "linux.resources.blockIO.weight: neither io.bfq.weight nor "
			        "io.weight exists in \"%s\"",
			        dir);
		k = cg_writef(dir, f, err, "%" PRIu64,
		              bfq ? r->blkio_weight
		                  : cgroup_blkio_weight_to_io_weight(r->blkio_weight));
	}
	for (size_t i = 0; k >= 0 && i < r->n_blkio_weight_devices; i++) {
		const struct oci_weight_device *wd = &r->blkio_weight_devices[i];

		if (wd->has_weight)
			k = cg_writef(dir, f, err, "%" PRId64 ":%" PRId64 " %" PRIu64, wd->major,
			              wd->minor,
			              bfq ? wd->weight
			                  : cgroup_blkio_weight_to_io_weight(wd->weight));
	}
	return k;
}

static int write_io_max(const char *dir, const char *key, const struct oci_throttle *t, size_t n,
                        struct husk_error **err)
{
	char line[96];

	for (size_t i = 0; i < n; i++) {
		int k = cgroup_io_max_line(&t[i], key, line, sizeof(line));

		if (k >= 0)
			k = cg_write(dir, "io.max", line, err);
		if (k < 0)
			return k;
	}
	return 0;
}

static bool any_leaf_weight(const struct oci_resources *r)
{
	for (size_t i = 0; i < r->n_blkio_weight_devices; i++)
		if (r->blkio_weight_devices[i].has_leaf_weight)
			return true;
	return r->has_blkio_leaf_weight;
}

static int v2_io(const struct cgroup_dir *d, const struct oci_resources *r, char ***w,
                 struct husk_error **err)
{
	const char *p = d->path;
	int k = v2_io_weight(p, r, err);

	if (k >= 0)
		k = write_io_max(p, "rbps", r->throttle_read_bps, r->n_throttle_read_bps, err);
	if (k >= 0)
		k = write_io_max(p, "wbps", r->throttle_write_bps, r->n_throttle_write_bps, err);
	if (k >= 0)
		k = write_io_max(p, "riops", r->throttle_read_iops, r->n_throttle_read_iops, err);
	if (k >= 0)
		k = write_io_max(p, "wiops", r->throttle_write_iops, r->n_throttle_write_iops, err);
	if (k >= 0 && any_leaf_weight(r) &&
	    cg_warn(w, "linux.resources.blockIO leaf weights are not supported on cgroup v2 and "
	               "ignored") < 0)
		return error_set(err, ENOMEM, "out of memory");
	return k;
}

/* hugetlb.<size>.max, and the reservation limit too where the kernel has
 * it (>= 5.7), as runc does. */
static int v2_hugetlb(const struct cgroup_dir *d, const struct oci_resources *r, char ***w,
                      struct husk_error **err)
{
	for (size_t i = 0; i < r->n_hugepage_limits; i++) {
		_cleanup_free_ char *max = NULL, *rsvd = NULL;
		const struct oci_hugepage_limit *h = &r->hugepage_limits[i];
		int k = cgroup_hugetlb_file(h->page_size, "max", &max, err);

		if (k >= 0)
			k = cg_writef(d->path, max, err, "%" PRIu64, h->limit);
		if (k >= 0)
			k = cgroup_hugetlb_file(h->page_size, "rsvd.max", &rsvd, err);
		if (k >= 0 && cg_has(d->path, rsvd))
			k = cg_writef(d->path, rsvd, err, "%" PRIu64, h->limit);
		if (k < 0)
			return k;
	}
	return 0;
}

/* A key is a file of the cgroup ("memory.high"): a plain name whose
 * controller is enabled for it ("cgroup.*" files need none). */
static int unified_key(const struct cgroup_dir *d, const char *key, struct husk_error **err)
{
	_cleanup_free_ char *controller = NULL;
	const char *dot = key ? strchr(key, '.') : NULL;
	int r;

	if (!dot || dot == key || strchr(key, '/') || streq(key, ".."))
		return error_set(err, EINVAL,
		                 "linux.resources.unified: key \"%s\": expected "
		                 "\"<controller>.<file>\" naming a file of the cgroup",
		                 key ? key : "");
	controller = strndup(key, dot - key);
	if (!controller)
		return error_set(err, ENOMEM, "out of memory");
	if (streq(controller, "cgroup"))
		return 0;
	r = cgroup_v2_enable(d, controller, err);
	if (r < 0)
		error_wrap(err, "linux.resources.unified: key \"%s\"", key);
	return r;
}

static int v2_unified(const struct cgroup_dir *d, const struct oci_resources *r, char ***w,
                      struct husk_error **err)
{
	for (size_t i = 0; i < r->n_unified; i++) {
		const struct oci_kv *kv = &r->unified[i];
		int k = unified_key(d, kv->key, err);

		if (k >= 0)
			k = cg_write(d->path, kv->key, kv->value ? kv->value : "", err);
		if (k < 0)
			return k;
	}
	return 0;
}

/* ---- devices: eBPF ---- */

#define INSN(c, d, s, o, i)                                                                        \
	((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define LDX_W(d, s, o)    INSN(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define ALU32_K(op, d, i) INSN(BPF_ALU | (op) | BPF_K, d, 0, 0, i)
#define MOV32_X(d, s)     INSN(BPF_ALU | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV64_K(d, i)     INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define JMP_K(op, d, i)   INSN(BPF_JMP | (op) | BPF_K, d, 0, 0, i) /* offset patched later */
#define JMP_X(op, d, s)   INSN(BPF_JMP | (op) | BPF_X, d, s, 0, 0)
#define EXIT()            INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

struct prog {
	struct bpf_insn *v;
	size_t n, cap;
};

static int emit(struct prog *p, struct bpf_insn insn)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct bpf_insn *v = reallocarray(p->v, cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n++] = insn;
	return 0;
}

/* R2 = device type, R3 = access asked, R4 = major, R5 = minor, from
 * struct bpf_cgroup_dev_ctx (access_type = access << 16 | type). */
static int emit_prologue(struct prog *p)
{
	const struct bpf_insn head[] = {
	        LDX_W(BPF_REG_2, BPF_REG_1, 0), ALU32_K(BPF_AND, BPF_REG_2, 0xffff),
	        LDX_W(BPF_REG_3, BPF_REG_1, 0), ALU32_K(BPF_RSH, BPF_REG_3, 16),
	        LDX_W(BPF_REG_4, BPF_REG_1, 4), LDX_W(BPF_REG_5, BPF_REG_1, 8),
	};
	int r = 0;

	for (size_t i = 0; r == 0 && i < ELEMENTSOF(head); i++)
		r = emit(p, head[i]);
	return r;
}

static int access_bits(const char *access)
{
	int bits = 0;

	if (!access[0])
		access = "rwm"; /* as for v1: an empty access means all of it */
	for (const char *c = access; *c; c++) {
		if (*c == 'r')
			bits |= BPF_DEVCG_ACC_READ;
		else if (*c == 'w')
			bits |= BPF_DEVCG_ACC_WRITE;
		else if (*c == 'm')
			bits |= BPF_DEVCG_ACC_MKNOD;
		else
			return -EINVAL;
	}
	return bits;
}

static bool number_ok(int64_t v)
{
	return v == -1 || (v >= 0 && v <= INT32_MAX);
}

/* The checks of one rule, each jumping to the next rule on mismatch. */
static int emit_checks(struct prog *p, const struct oci_device_rule *rule, int acc)
{
	const int all = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;
	int r = 0;

	if (rule->type != 'a')
		r = emit(p, JMP_K(BPF_JNE, BPF_REG_2,
		                  rule->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK));
	if (r == 0 && acc != all) {
		r = emit(p, MOV32_X(BPF_REG_1, BPF_REG_3));
		if (r == 0)
			r = emit(p, ALU32_K(BPF_AND, BPF_REG_1, acc));
		/* allow: grants all that is asked; deny: refuses any of it */
		if (r == 0)
			r = emit(p, rule->allow ? JMP_X(BPF_JNE, BPF_REG_1, BPF_REG_3)
			                        : JMP_K(BPF_JEQ, BPF_REG_1, 0));
	}
	if (r == 0 && rule->major != -1)
		r = emit(p, JMP_K(BPF_JNE, BPF_REG_4, (int32_t)rule->major));
	if (r == 0 && rule->minor != -1)
		r = emit(p, JMP_K(BPF_JNE, BPF_REG_5, (int32_t)rule->minor));
	return r;
}

/* Emit one rule; *ret_final is set when it matches everything, after
 * which nothing more may be emitted (the verifier refuses dead code). */
static int emit_rule(struct prog *p, const struct oci_device_rule *rule, size_t idx,
                     bool *ret_final, struct husk_error **err)
{
	size_t start = p->n;
	int acc = access_bits(rule->access), r;

	if (!rule->type || !strchr("acb", rule->type) || acc < 0 || !number_ok(rule->major) ||
	    !number_ok(rule->minor))
		return error_set(err, EINVAL, "linux.resources.devices[%zu]: invalid rule", idx);
	r = emit_checks(p, rule, acc);
	*ret_final = r == 0 && p->n == start;
	if (r == 0)
		r = emit(p, MOV64_K(BPF_REG_0, rule->allow ? 1 : 0));
	if (r == 0)
		r = emit(p, EXIT());
	if (r < 0)
		return error_set(err, ENOMEM, "out of memory");
	for (size_t i = start; i < p->n; i++) /* mismatch: go to the next rule */
		if (BPF_CLASS(p->v[i].code) == BPF_JMP && BPF_OP(p->v[i].code) != BPF_EXIT)
			p->v[i].off = (int16_t)(p->n - i - 1);
	return 0;
}

int cgroup_devices_program(const struct oci_device_rule *rules, size_t n, struct bpf_insn **ret,
                           size_t *ret_n, struct husk_error **err)
{
	struct prog p = {0};
	bool final = false;
	int r = emit_prologue(&p) < 0 ? error_set(err, ENOMEM, "out of memory") : 0;

	/* last match wins: check the rules from the last one back */
	for (size_t i = n; r >= 0 && !final && i > 0; i--)
		r = emit_rule(&p, &rules[i - 1], i - 1, &final, err);
	if (r >= 0 && !final && (emit(&p, MOV64_K(BPF_REG_0, 0)) < 0 || emit(&p, EXIT()) < 0))
		r = error_set(err, ENOMEM, "out of memory");
	if (r < 0) {
		free(p.v);
		return r;
	}
	*ret = p.v;
	*ret_n = p.n;
	return 0;
}

static int bpf_call(int cmd, union bpf_attr *a)
{
	return (int)syscall(SYS_bpf, cmd, a, sizeof(*a));
}

/* Load without a log first: a verifier log that does not fit fails the
 * load. On failure, load again with the log to say why. */
static int prog_load(const struct bpf_insn *insns, size_t n, struct husk_error **err)
{
	static const char license[] = "Apache-2.0";
	char log[4096] = "";
	union bpf_attr a;
	int fd, e;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	a.insns = (uintptr_t)insns;
	a.insn_cnt = (uint32_t)n;
	a.license = (uintptr_t)license;
	fd = bpf_call(BPF_PROG_LOAD, &a); /* bpf fds are always O_CLOEXEC */
	if (fd >= 0)
		return fd;
	e = errno;
	a.log_buf = (uintptr_t)log;
	a.log_size = sizeof(log);
	a.log_level = 1;
	safe_close(bpf_call(BPF_PROG_LOAD, &a));
	log[strcspn(log, "\n")] = 0;
	return error_set(err, e, "load the device filter (BPF_PROG_LOAD): %s%s%s", strerror(e),
	                 *log ? ": " : "", log);
}

static uint32_t prog_query(int cgfd, uint32_t *ids, uint32_t cap)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.query.target_fd = (uint32_t)cgfd;
	a.query.attach_type = BPF_CGROUP_DEVICE;
	a.query.prog_ids = (uintptr_t)ids;
	a.query.prog_cnt = cap;
	return bpf_call(BPF_PROG_QUERY, &a) < 0 ? 0 : a.query.prog_cnt;
}

static int prog_detach_id(int cgfd, uint32_t id, const char *dir, struct husk_error **err)
{
	_cleanup_close_ int fd = -1;
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.prog_id = id;
	fd = bpf_call(BPF_PROG_GET_FD_BY_ID, &a);
	if (fd < 0)
		return errno == ENOENT ? 0 : error_set_errno(err, errno, "device filter %u", id);
	memset(&a, 0, sizeof(a));
	a.target_fd = (uint32_t)cgfd;
	a.attach_bpf_fd = (uint32_t)fd;
	a.attach_type = BPF_CGROUP_DEVICE;
	if (bpf_call(BPF_PROG_DETACH, &a) < 0 && errno != ENOENT)
		return error_set_errno(err, errno, "detach the old device filter from \"%s\"", dir);
	return 0;
}

/* Attach the new program next to the old ones (BPF_F_ALLOW_MULTI: all
 * must allow), then detach the old ones: an update never leaves a moment
 * without a filter. The attachment holds the program: no fd is kept. */
static int prog_attach(const char *dir, int prog_fd, struct husk_error **err)
{
	_cleanup_close_ int cgfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	uint32_t old[MAX_OLD_PROGS], n_old;
	union bpf_attr a;
	int r = 0;

	if (cgfd < 0)
		return error_set_errno(err, errno, "open \"%s\"", dir);
	n_old = prog_query(cgfd, old, MAX_OLD_PROGS);
	memset(&a, 0, sizeof(a));
	a.target_fd = (uint32_t)cgfd;
	a.attach_bpf_fd = (uint32_t)prog_fd;
	a.attach_type = BPF_CGROUP_DEVICE;
	a.attach_flags = BPF_F_ALLOW_MULTI;
	if (bpf_call(BPF_PROG_ATTACH, &a) < 0)
		return error_set_errno(err, errno, "attach the device filter to \"%s\"", dir);
	for (uint32_t i = 0; r >= 0 && i < n_old; i++)
		r = prog_detach_id(cgfd, old[i], dir, err);
	return r;
}

static int v2_devices(const struct cgroup_dir *d, const struct oci_resources *r, char ***w,
                      struct husk_error **err)
{
	_cleanup_free_ struct bpf_insn *insns = NULL;
	_cleanup_close_ int fd = -1;
	size_t n = 0;
	int k = cgroup_devices_program(r->devices, r->n_devices, &insns, &n, err);

	if (k < 0)
		return k;
	fd = prog_load(insns, n, err);
	return fd < 0 ? fd : prog_attach(d->path, fd, err);
}

/* ---- apply ---- */

static const struct {
	const char *controller; /* to enable in the ancestors; "" = none needed */
	cgroup_apply_fn fn;     /* NULL: v2 has no equivalent */
} v2_res[CGROUP_RES_COUNT] = {
        [CGROUP_RES_CPUSET] = {"cpuset", v2_cpuset},    [CGROUP_RES_DEVICES] = {"", v2_devices},
        [CGROUP_RES_MEMORY] = {"memory", v2_memory},    [CGROUP_RES_CPU] = {"cpu", v2_cpu},
        [CGROUP_RES_PIDS] = {"pids", v2_pids},          [CGROUP_RES_BLKIO] = {"io", v2_io},
        [CGROUP_RES_HUGETLB] = {"hugetlb", v2_hugetlb}, [CGROUP_RES_NET_CLS] = {NULL, NULL},
        [CGROUP_RES_NET_PRIO] = {NULL, NULL},           [CGROUP_RES_UNIFIED] = {"", v2_unified},
};

bool cgroup_v2_available(const struct cgroup_dir *d, enum cgroup_res res)
{
	if (!v2_res[res].fn)
		return false;
	return !*v2_res[res].controller ||
	       file_has_word(d->mount, "cgroup.controllers", v2_res[res].controller);
}

int cgroup_v2_apply_one(const struct cgroup_dir *d, enum cgroup_res res,
                        const struct oci_resources *r, char ***w, struct husk_error **err)
{
	const char *c = v2_res[res].controller;
	int k;

	if (!v2_res[res].fn) {
		k = cg_warn(w, "%s is not supported on cgroup v2 and ignored",
		            cgroup_res_what(res));
		return k < 0 ? error_set(err, ENOMEM, "out of memory") : 0;
	}
	if (*c && (k = cgroup_v2_enable(d, c, err)) < 0) {
		error_wrap(err, "%s", cgroup_res_what(res));
		return k;
	}
	return v2_res[res].fn(d, r, w, err);
}

static int v2_apply_one(struct cgroup *cg, enum cgroup_res res, const struct oci_resources *r,
                        char ***w, struct husk_error **err)
{
	return cgroup_v2_apply_one(cgroup_dir_of(cg, ""), res, r, w, err);
}

/* The controllers stats need are enabled up front when the host offers
 * them (Docker shows memory and cpu without limits too). It may fail
 * where an ancestor holds processes: the stats then lack those numbers,
 * and an apply that needs one says why. */
static int v2_prepare_dir(const struct cgroup_dir *d, const char *path, struct husk_error **err)
{
	static const char *const for_stats[] = {"cpu", "io", "memory", "pids"};

	if (!streq(path, d->path))
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(for_stats); i++)
		if (file_has_word(d->mount, "cgroup.controllers", for_stats[i]))
			(void)cgroup_v2_enable(d, for_stats[i], NULL);
	return 0;
}

/* ---- freeze, kill ---- */

static int read_frozen(const char *dir, bool *ret, struct husk_error **err)
{
	_cleanup_free_ char *ev = NULL;
	uint64_t v = 0;
	int r = cg_read(dir, "cgroup.events", &ev, err);

	if (r < 0)
		return r;
	if (cg_kv(ev, "frozen", &v) < 0)
		return error_set(err, EOPNOTSUPP,
		                 "\"%s/cgroup.events\": no \"frozen\" (kernel < 5.2)", dir);
	*ret = v == 1;
	return 0;
}

static int v2_freeze(struct cgroup *cg, bool frozen, struct husk_error **err)
{
	const struct cgroup_dir *d = cgroup_dir_of(cg, "");
	bool now = !frozen;
	int r = cg_write(d->path, "cgroup.freeze", frozen ? "1" : "0", err);

	for (int ms = 0; r >= 0 && ms < FREEZE_WAIT_MS; ms++) {
		r = read_frozen(d->path, &now, err);
		if (r < 0 || now == frozen)
			break;
		cg_sleep_ms(1);
	}
	if (r >= 0 && now != frozen)
		r = error_set(err, ETIMEDOUT, "%s \"%s\": cgroup.events did not follow",
		              frozen ? "freeze" : "thaw", d->path);
	if (r < 0 && frozen)
		(void)cg_write(d->path, "cgroup.freeze", "0", NULL);
	return r;
}

/* The state asked for (cgroup.freeze), which is what "paused" means:
 * cgroup.events says "frozen 0" for a moment whenever a task leaves the
 * freeze to die of a fatal signal, and "frozen 1" again after it. */
static int v2_is_frozen(struct cgroup *cg, bool *ret, struct husk_error **err)
{
	const char *dir = cgroup_dir_of(cg, "")->path;
	uint64_t v = 0;
	int r = cg_read_u64(dir, "cgroup.freeze", &v);

	if (r < 0)
		return error_set_errno(err, r, "read \"%s/cgroup.freeze\"", dir);
	*ret = v == 1;
	return 0;
}

int cgroup_v2_kill_dir(const struct cgroup_dir *d, int sig, struct husk_error **err)
{
	if (sig != SIGKILL || !cg_has(d->path, "cgroup.kill"))
		return -EOPNOTSUPP;
	return cg_write(d->path, "cgroup.kill", "1", err);
}

static int v2_kill(struct cgroup *cg, int sig, struct husk_error **err)
{
	return cgroup_v2_kill_dir(cgroup_dir_of(cg, ""), sig, err);
}

static const struct cgroup_dir *v2_procs_dir(const struct cgroup *cg)
{
	return cgroup_dir_of(cg, "");
}

/* ---- stats ---- */

static void v2_cpu_stats(const char *dir, struct cgroup_stats *s)
{
	_cleanup_free_ char *t = NULL;
	uint64_t v;

	if (cg_read(dir, "cpu.stat", &t, NULL) < 0)
		return;
	if (cg_kv(t, "usage_usec", &v) == 0)
		s->cpu_usage_ns = v * 1000;
	if (cg_kv(t, "user_usec", &v) == 0)
		s->cpu_user_ns = v * 1000;
	if (cg_kv(t, "system_usec", &v) == 0)
		s->cpu_system_ns = v * 1000;
	if (cg_kv(t, "throttled_usec", &v) == 0)
		s->throttled_time_ns = v * 1000;
	(void)cg_kv(t, "nr_periods", &s->nr_periods);
	(void)cg_kv(t, "nr_throttled", &s->throttled_periods);
}

static void v2_memory_stats(const char *dir, struct cgroup_stats *s)
{
	_cleanup_free_ char *stat = NULL, *events = NULL;
	uint64_t swap;

	(void)cg_read_u64(dir, "memory.current", &s->mem_usage);
	(void)cg_read_u64(dir, "memory.peak", &s->mem_max_usage); /* kernel >= 5.19 */
	(void)cg_read_u64(dir, "memory.max", &s->mem_limit);
	/* v1 counts swap as memory+swap; report the same, as runc does */
	if (cg_read_u64(dir, "memory.swap.current", &swap) == 0)
		s->mem_swap_usage = swap + s->mem_usage;
	if (cg_read(dir, "memory.stat", &stat, NULL) >= 0) {
		(void)cg_kv(stat, "inactive_file", &s->mem_inactive_file);
		(void)cg_kv(stat, "file", &s->mem_cache);
		(void)cg_kv(stat, "anon", &s->mem_rss);
	}
	if (cg_read(dir, "memory.events", &events, NULL) >= 0)
		(void)cg_kv(events, "oom_kill", &s->oom_kills);
}

/* Lines "8:0 rbytes=1 wbytes=2 rios=3 …". */
static void v2_io_stats(const char *dir, struct cgroup_stats *s)
{
	_cleanup_free_ char *t = NULL;
	char *save = NULL;
	uint64_t v;

	if (cg_read(dir, "io.stat", &t, NULL) < 0)
		return;
	for (char *tok = strtok_r(t, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		if (sscanf(tok, "rbytes=%" SCNu64, &v) == 1)
			s->io_read_bytes += v;
		else if (sscanf(tok, "wbytes=%" SCNu64, &v) == 1)
			s->io_write_bytes += v;
	}
}

static int v2_stats(struct cgroup *cg, struct cgroup_stats *s, struct husk_error **err)
{
	const char *dir = cgroup_dir_of(cg, "")->path;

	v2_cpu_stats(dir, s);
	v2_memory_stats(dir, s);
	v2_io_stats(dir, s);
	(void)cg_read_u64(dir, "pids.current", &s->pids_current);
	(void)cg_read_u64(dir, "pids.max", &s->pids_limit);
	if (s->pids_limit == UINT64_MAX)
		s->pids_limit = 0; /* "max": Docker reports no limit as 0 */
	return 0;
}

const struct cgroup_ops cgroup_v2_ops = {
        .name = "v2",
        .prepare_dir = v2_prepare_dir,
        .apply_one = v2_apply_one,
        .freeze = v2_freeze,
        .is_frozen = v2_is_frozen,
        .kill = v2_kill,
        .stats = v2_stats,
        .procs_dir = v2_procs_dir,
};
