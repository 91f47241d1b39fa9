/* Unit tests for src/runtime/cgroup*.c.
 *
 * Pure parts first (path resolution, /proc/self/cgroup parsing, v1 → v2
 * conversions, the eBPF device filter run in a tiny interpreter), then
 * the real thing as root on the host: every cgroup is made under
 * "/husk-test-<pid>/…" (a "husk-test-<pid>" component in relative and
 * systemd paths too), and teardown kills the test's processes and removes
 * every such directory, even after a failure. v1 tests need the v1
 * controller mounted; v2 tests run the v2 backend on the host's cgroup2
 * mount (the unified tree of a hybrid host); each skips, saying why, when
 * the host lacks what it needs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <inttypes.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "runtime/cgroup.h"
#include "runtime/cgroup_internal.h"

#define MiB (1024 * 1024)

/* ---------------------------------------------------------------- pure */

static void resolve_ok(const char *in, const char *id, enum cgroup_flags flags, const char *want)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_free_ char *got = NULL;

	if (cgroup_path_resolve(in, id, flags, &got, &err) < 0)
		fail_msg("resolve \"%s\": %s", in ? in : "(null)", error_message(err));
	assert_string_equal(got, want);
}

static void resolve_bad(const char *in, enum cgroup_flags flags, const char *msg_part)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_free_ char *got = NULL;

	assert_int_equal(cgroup_path_resolve(in, "id", flags, &got, &err), -EINVAL);
	assert_null(got);
	if (!strstr(error_message(err), msg_part))
		fail_msg("resolve \"%s\": message \"%s\" lacks \"%s\"", in, error_message(err),
		         msg_part);
}

static void test_path_resolve(void **state)
{
	resolve_ok("/a/b", "x", 0, "/a/b");
	resolve_ok("//a/./b/", "x", 0, "/a/b");
	resolve_ok("a/b", "x", 0, "a/b");
	resolve_ok("./a", "x", 0, "a");
	resolve_ok(NULL, "c1", 0, "/husk/c1");
	resolve_ok("", "c1", 0, "/husk/c1");
	resolve_ok("system.slice:husk:c1", "x", CGROUP_SYSTEMD, "/system.slice/husk-c1.scope");
	resolve_ok(NULL, "c1", CGROUP_SYSTEMD, "/system.slice/husk-c1.scope");
	resolve_ok(":husk:c1", "x", CGROUP_SYSTEMD, "/system.slice/husk-c1.scope");
	resolve_ok("a-b-c.slice:p:n", "x", CGROUP_SYSTEMD,
	           "/a.slice/a-b.slice/a-b-c.slice/p-n.scope");
	resolve_ok("-.slice:p:n", "x", CGROUP_SYSTEMD, "/p-n.scope");
	resolve_ok("user.slice::n", "x", CGROUP_SYSTEMD, "/user.slice/n.scope");
	resolve_ok("machine.slice:p:sub.slice", "x", CGROUP_SYSTEMD, "/machine.slice/sub.slice");

	resolve_bad("/a/../b", 0, "must not contain \"..\"");
	resolve_bad("../b", 0, "must not contain \"..\"");
	resolve_bad("a/..", 0, "must not contain \"..\"");
	resolve_bad("/", 0, "below the hierarchy root");
	resolve_bad("/./", 0, "below the hierarchy root");
	resolve_bad("/a\nb", 0, "control characters");
	resolve_bad("nocolons", CGROUP_SYSTEMD, "slice:prefix:name");
	resolve_bad("a:b:c:d", CGROUP_SYSTEMD, "slice:prefix:name");
	resolve_bad("system.slice:husk:", CGROUP_SYSTEMD, "slice:prefix:name");
	resolve_bad("system.slice:a/b:c", CGROUP_SYSTEMD, "slice:prefix:name");
	resolve_bad("notaslice:p:n", CGROUP_SYSTEMD, "invalid slice");
	resolve_bad("a--b.slice:p:n", CGROUP_SYSTEMD, "invalid slice");
	resolve_bad("-a.slice:p:n", CGROUP_SYSTEMD, "invalid slice");
	resolve_bad("a/b.slice:p:n", CGROUP_SYSTEMD, "invalid slice");

	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_free_ char *got = NULL;
	assert_int_equal(cgroup_path_resolve(NULL, NULL, 0, &got, &err), -EINVAL);
}

static void own_ok(const char *text, const char *controller, const char *want)
{
	_cleanup_free_ char *got = NULL;

	assert_int_equal(cgroup_own_path(text, controller, &got), 0);
	assert_string_equal(got, want);
}

static void test_own_path(void **state)
{
	const char *hybrid = "12:pids:/user.slice\n"
	                     "4:cpu,cpuacct:/a/b\n"
	                     "3:memory:/process_api/x\n"
	                     "1:name=systemd:/init.scope\n"
	                     "0::/user.slice/s.scope\n";
	_cleanup_free_ char *got = NULL;

	own_ok(hybrid, "pids", "/user.slice");
	own_ok(hybrid, "cpu", "/a/b");
	own_ok(hybrid, "cpuacct", "/a/b");
	own_ok(hybrid, "memory", "/process_api/x");
	own_ok(hybrid, "", "/user.slice/s.scope");
	assert_int_equal(cgroup_own_path(hybrid, "blkio", &got), -ENOENT);
	assert_int_equal(cgroup_own_path("4:memory:/m\n", "", &got), -ENOENT);
	assert_int_equal(cgroup_own_path("garbage\n\n", "memory", &got), -ENOENT);
	own_ok("0::/\n", "", "/");
}

static void cpu_max_is(const struct oci_resources *r, int want_ret, const char *want)
{
	char buf[64] = "";

	assert_int_equal(cgroup_cpu_max(r, buf, sizeof(buf)), want_ret);
	if (want)
		assert_string_equal(buf, want);
}

static void test_cpu_conversions(void **state)
{
	assert_int_equal(cgroup_cpu_shares_to_weight(0), 0);
	assert_int_equal(cgroup_cpu_shares_to_weight(1), 1); /* clamped to 2 */
	assert_int_equal(cgroup_cpu_shares_to_weight(2), 1);
	assert_int_equal(cgroup_cpu_shares_to_weight(1024), 39);
	assert_int_equal(cgroup_cpu_shares_to_weight(262144), 10000);
	assert_int_equal(cgroup_cpu_shares_to_weight(1000000), 10000);

	struct oci_resources r = {.has_cpu_quota = true,
	                          .cpu_quota = 20000,
	                          .has_cpu_period = true,
	                          .cpu_period = 100000};
	cpu_max_is(&r, 1, "20000 100000");
	r.cpu_quota = -1;
	cpu_max_is(&r, 1, "max 100000");
	r.has_cpu_period = false;
	cpu_max_is(&r, 1, "max");
	r.cpu_quota = 50000;
	cpu_max_is(&r, 1, "50000");
	r = (struct oci_resources){.has_cpu_period = true, .cpu_period = 250000};
	cpu_max_is(&r, 1, "max 250000");
	r = (struct oci_resources){.has_cpu_quota = true, .cpu_quota = 0};
	cpu_max_is(&r, 0, NULL);
}

static void swap_is(int64_t mem, int64_t swap, bool has_mem, bool has_swap, int want_ret,
                    int64_t want)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct oci_resources r = {.has_mem_limit = has_mem,
	                          .mem_limit = mem,
	                          .has_mem_swap = has_swap,
	                          .mem_swap = swap};
	int64_t got = 12345;

	assert_int_equal(cgroup_swap_max(&r, &got, &err), want_ret);
	if (want_ret == 1)
		assert_int_equal(got, want);
	if (want_ret < 0)
		assert_non_null(strstr(error_message(err), "linux.resources.memory.swap"));
}

static void test_memory_conversions(void **state)
{
	swap_is(64 * MiB, 128 * MiB, true, true, 1, 64 * MiB); /* memsw - mem */
	swap_is(64 * MiB, 64 * MiB, true, true, 1, 0);         /* no swap at all */
	swap_is(-1, 0, true, false, 1, -1);                    /* unlimited both */
	swap_is(64 * MiB, -1, true, true, 1, -1);
	swap_is(64 * MiB, 0, true, false, 0, 0); /* swap not given */
	swap_is(0, 0, false, false, 0, 0);
	swap_is(0, 64 * MiB, false, true, -EINVAL, 0);        /* swap without memory */
	swap_is(-1, 64 * MiB, true, true, -EINVAL, 0);        /* … or with unlimited */
	swap_is(128 * MiB, 64 * MiB, true, true, -EINVAL, 0); /* memsw < memory */

	assert_true(cgroup_v1_memsw_first(100, 200));  /* raising */
	assert_false(cgroup_v1_memsw_first(500, 200)); /* lowering */
	assert_false(cgroup_v1_memsw_first(200, 200));
	assert_true(cgroup_v1_memsw_first(200, -1));
}

static void test_io_conversions(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct oci_throttle t = {254, 0, 1048576}, z = {8, 16, 0};
	char line[96];

	assert_int_equal(cgroup_blkio_weight_to_io_weight(0), 0);
	assert_int_equal(cgroup_blkio_weight_to_io_weight(10), 1);
	assert_int_equal(cgroup_blkio_weight_to_io_weight(100), 910);
	assert_int_equal(cgroup_blkio_weight_to_io_weight(500), 4950);
	assert_int_equal(cgroup_blkio_weight_to_io_weight(1000), 10000);
	assert_int_equal(cgroup_blkio_weight_to_io_weight(5), 1);

	assert_int_equal(cgroup_io_max_line(&t, "rbps", line, sizeof(line)), 0);
	assert_string_equal(line, "254:0 rbps=1048576");
	assert_int_equal(cgroup_io_max_line(&z, "wiops", line, sizeof(line)), 0);
	assert_string_equal(line, "8:16 wiops=max");
	assert_int_equal(cgroup_io_max_line(&t, "rbps", line, 8), -ENAMETOOLONG);
	(void)err;
}

static void hugetlb_is(const char *size, const char *suffix, const char *want)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_free_ char *got = NULL;
	int r = cgroup_hugetlb_file(size, suffix, &got, &err);

	if (!want) {
		assert_int_equal(r, -EINVAL);
		assert_non_null(strstr(error_message(err), "invalid page size"));
		return;
	}
	assert_int_equal(r, 0);
	assert_string_equal(got, want);
}

static void test_hugetlb_and_device_names(void **state)
{
	struct oci_device_rule c13 = {true, 'c', 1, 3, "rwm"}, all = {false, 'a', -1, -1, "rwm"},
	                       b8 = {true, 'b', 8, -1, "r"}, empty = {true, 'c', 5, 1, ""},
	                       bad = {true, 'x', 1, 1, "r"}, badacc = {true, 'c', 1, 1, "rx"};
	char line[80];

	hugetlb_is("2MB", "max", "hugetlb.2MB.max");
	hugetlb_is("1GB", "limit_in_bytes", "hugetlb.1GB.limit_in_bytes");
	hugetlb_is("64KB", "rsvd.max", "hugetlb.64KB.rsvd.max");
	hugetlb_is("4096B", "max", "hugetlb.4096B.max");
	hugetlb_is("2M", "max", NULL);
	hugetlb_is("MB", "max", NULL);
	hugetlb_is("", "max", NULL);
	hugetlb_is("../2MB", "max", NULL);
	hugetlb_is("2MB/x", "max", NULL);
	hugetlb_is(NULL, "max", NULL);

	assert_int_equal(cgroup_v1_device_rule(&c13, line, sizeof(line)), 0);
	assert_string_equal(line, "c 1:3 rwm");
	assert_int_equal(cgroup_v1_device_rule(&all, line, sizeof(line)), 0);
	assert_string_equal(line, "a *:* rwm");
	assert_int_equal(cgroup_v1_device_rule(&b8, line, sizeof(line)), 0);
	assert_string_equal(line, "b 8:* r");
	assert_int_equal(cgroup_v1_device_rule(&empty, line, sizeof(line)), 0);
	assert_string_equal(line, "c 5:1 rwm");
	assert_int_equal(cgroup_v1_device_rule(&bad, line, sizeof(line)), -EINVAL);
	assert_int_equal(cgroup_v1_device_rule(&badacc, line, sizeof(line)), -EINVAL);
}

static void test_flat_keyed(void **state)
{
	const char *t = "populated 1\nfrozen 0\nmax_value max\nbig 18446744073709551615\n";
	uint64_t v = 7;

	assert_int_equal(cg_kv(t, "frozen", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(cg_kv(t, "populated", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(cg_kv(t, "max_value", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(cg_kv(t, "big", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(cg_kv(t, "froze", &v), -ENOENT);
	assert_int_equal(cg_kv(t, "missing", &v), -ENOENT);
	assert_int_equal(cg_kv("", "x", &v), -ENOENT);
}

/* A tiny interpreter for the instructions the device filter uses, so the
 * rule semantics are checked without a kernel. */
static int run_filter(const struct bpf_insn *p, size_t n, int type, int access, uint32_t major,
                      uint32_t minor)
{
	uint32_t ctx[3] = {(uint32_t)access << 16 | (uint32_t)type, major, minor};
	uint64_t reg[11] = {0};

	for (size_t pc = 0; pc < n; pc++) {
		const struct bpf_insn *i = &p[pc];
		uint64_t src =
		        BPF_SRC(i->code) == BPF_X ? reg[i->src_reg] : (uint64_t)(int64_t)i->imm;
		uint64_t *dst = &reg[i->dst_reg];

		switch (BPF_CLASS(i->code)) {
		case BPF_LDX:
			assert_int_equal(i->src_reg, BPF_REG_1);
			*dst = ctx[i->off / 4];
			break;
		case BPF_ALU:
			if (BPF_OP(i->code) == BPF_AND)
				*dst = (uint32_t)(*dst & src);
			else if (BPF_OP(i->code) == BPF_RSH)
				*dst = (uint32_t)*dst >> src;
			else if (BPF_OP(i->code) == BPF_MOV)
				*dst = (uint32_t)src;
			else
				fail_msg("alu op %#x", i->code);
			break;
		case BPF_ALU64:
			assert_int_equal(BPF_OP(i->code), BPF_MOV);
			*dst = src;
			break;
		case BPF_JMP:
			if (BPF_OP(i->code) == BPF_EXIT)
				return (int)reg[0];
			if ((BPF_OP(i->code) == BPF_JNE && *dst != src) ||
			    (BPF_OP(i->code) == BPF_JEQ && *dst == src))
				pc += i->off;
			assert_true(pc < n);
			break;
		default:
			fail_msg("instruction class %#x", i->code);
		}
	}
	fail_msg("the program ran off its end");
	return -1;
}

#define R BPF_DEVCG_ACC_READ
#define W BPF_DEVCG_ACC_WRITE
#define M BPF_DEVCG_ACC_MKNOD
#define C BPF_DEVCG_DEV_CHAR
#define B BPF_DEVCG_DEV_BLOCK

static void program(const struct oci_device_rule *rules, size_t n, struct bpf_insn **p, size_t *len)
{
	_cleanup_error_ struct husk_error *err = NULL;

	if (cgroup_devices_program(rules, n, p, len, &err) < 0)
		fail_msg("devices program: %s", error_message(err));
	assert_int_equal(BPF_OP((*p)[*len - 1].code), BPF_EXIT);
}

static void test_devices_program(void **state)
{
	const struct oci_device_rule allow_list[] = {
	        {false, 'a', -1, -1, "rwm"},
	        {true, 'c', 1, 3, "rwm"},
	        {true, 'c', -1, -1, "m"},
	        {true, 'b', 8, -1, "r"},
	};
	const struct oci_device_rule deny_some[] = {{true, 'a', -1, -1, "rwm"},
	                                            {false, 'c', 1, 5, "w"}};
	const struct oci_device_rule last_wins[] = {{true, 'c', 1, 3, "rwm"},
	                                            {false, 'a', -1, -1, "rwm"}};
	_cleanup_free_ struct bpf_insn *p1 = NULL, *p2 = NULL, *p3 = NULL, *p4 = NULL;
	size_t n1, n2, n3, n4;

	program(allow_list, ELEMENTSOF(allow_list), &p1, &n1);
	assert_int_equal(run_filter(p1, n1, C, R, 1, 3), 1);
	assert_int_equal(run_filter(p1, n1, C, R | W, 1, 3), 1);
	assert_int_equal(run_filter(p1, n1, C, R, 1, 5), 0);
	assert_int_equal(run_filter(p1, n1, C, M, 1, 5), 1);
	assert_int_equal(run_filter(p1, n1, C, R | M, 1, 5), 0);
	assert_int_equal(run_filter(p1, n1, B, R, 8, 0), 1);
	assert_int_equal(run_filter(p1, n1, B, W, 8, 0), 0);
	assert_int_equal(run_filter(p1, n1, B, R, 9, 0), 0);
	assert_int_equal(run_filter(p1, n1, B, R, 1, 3), 0); /* type matters */

	program(deny_some, ELEMENTSOF(deny_some), &p2, &n2);
	assert_int_equal(run_filter(p2, n2, C, R, 1, 5), 1);
	assert_int_equal(run_filter(p2, n2, C, W, 1, 5), 0);
	assert_int_equal(run_filter(p2, n2, C, R | W, 1, 5), 0); /* any denied bit denies */
	assert_int_equal(run_filter(p2, n2, B, W, 1, 5), 1);
	assert_int_equal(run_filter(p2, n2, C, W, 1, 6), 1);

	/* a trailing "deny all" decides everything: nothing after it is emitted
	 * (the verifier refuses unreachable code) */
	program(last_wins, ELEMENTSOF(last_wins), &p3, &n3);
	assert_int_equal(n3, 6 + 2);
	assert_int_equal(run_filter(p3, n3, C, R, 1, 3), 0);

	program(NULL, 0, &p4, &n4); /* no rule: deny */
	assert_int_equal(run_filter(p4, n4, C, R, 1, 3), 0);

	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_free_ struct bpf_insn *bad = NULL;
	const struct oci_device_rule bad_rules[] = {{true, 'c', 1, 3, "rwm"},
	                                            {true, 'c', 1, (int64_t)1 << 40, "r"}};
	size_t nb;
	assert_int_equal(cgroup_devices_program(bad_rules, 2, &bad, &nb, &err), -EINVAL);
	assert_non_null(strstr(error_message(err), "linux.resources.devices[1]"));
}

/* ---------------------------------------------------------------- host */

struct fx {
	struct cgroup_layout layout; /* the host's */
	struct cgroup_layout v2;     /* the v2 backend on the host's cgroup2 mount (borrowed) */
	struct cgroup_layout v1only; /* the v1 mounts alone: a pure v1 host (borrowed) */
	struct cgroup *cg, *cg2;
	pid_t kids[8];
	size_t n_kids;
	char top[48];               /* "husk-test-<pid>" */
	char path[96];              /* "/husk-test-<pid>/<n>" */
	char *unified_root_subtree; /* the cgroup2 root's subtree_control at setup */
	bool restore_hugetlb;
};

static int seq;

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f || cgroup_probe(NULL, NULL, &f->layout, NULL) < 0)
		return -1;
	f->v2 = (struct cgroup_layout){.mode = CGROUP_MODE_V2, .unified = f->layout.unified};
	f->v1only = f->layout;
	f->v1only.mode = CGROUP_MODE_V1;
	f->v1only.unified = NULL;
	snprintf(f->top, sizeof(f->top), "husk-test-%d", (int)getpid());
	snprintf(f->path, sizeof(f->path), "/%s/%d", f->top, ++seq);
	if (f->layout.unified)
		(void)cg_read(f->layout.unified, "cgroup.subtree_control", &f->unified_root_subtree,
		              NULL);
	*state = f;
	return 0;
}

/* "husk-test-<pid>" followed by a non-digit or the end */
static bool ours(const char *name, const char *top)
{
	const char *rest = startswith(name, top);

	return rest && (*rest < '0' || *rest > '9');
}

static void sweep(const char *dir, const char *top, int depth)
{
	DIR *d = depth < 16 ? opendir(dir) : NULL;
	struct dirent *de;

	while (d && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		_cleanup_free_ char *sub = path_join(dir, de->d_name);
		sweep(sub, top, depth + 1);
		if (ours(de->d_name, top) && rmdir(sub) < 0 && errno != ENOENT)
			print_error("teardown: rmdir %s: %m\n", sub);
	}
	if (d)
		closedir(d);
}

/* Put back the cgroup2 root's subtree_control as the hugetlb test found
 * it: apply enables hugetlb there on a hybrid host whose unified tree
 * offers it. Nothing else is touched (other processes may use it). */
static void restore_unified_root(struct fx *f)
{
	_cleanup_free_ char *now = NULL;

	if (!f->restore_hugetlb ||
	    cg_read(f->layout.unified, "cgroup.subtree_control", &now, NULL) < 0)
		return;
	if (strstr(now, "hugetlb") && !strstr(f->unified_root_subtree, "hugetlb"))
		(void)cg_write(f->layout.unified, "cgroup.subtree_control", "-hugetlb", NULL);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	for (size_t i = 0; i < f->n_kids; i++) {
		kill(f->kids[i], SIGKILL);
		waitpid(f->kids[i], NULL, 0);
	}
	if (f->cg)
		(void)cgroup_destroy(f->cg, true, NULL);
	if (f->cg2)
		(void)cgroup_destroy(f->cg2, true, NULL);
	cgroup_free(f->cg);
	cgroup_free(f->cg2);
	sweep("/sys/fs/cgroup", f->top, 0);
	restore_unified_root(f);
	free(f->unified_root_subtree);
	cgroup_layout_release(&f->layout);
	free(f);
	return 0;
}

static void need_root(void)
{
	if (geteuid() != 0) {
		print_message("skipped: needs root\n");
		skip();
	}
}

static void need_v1(struct fx *f, const char *controller)
{
	need_root();
	if (!cgroup_v1_path(&f->layout, controller) || f->layout.mode == CGROUP_MODE_V2) {
		print_message("skipped: no cgroup v1 \"%s\" hierarchy on this host\n", controller);
		skip();
	}
}

static void need_unified(struct fx *f)
{
	need_root();
	if (!f->layout.unified) {
		print_message("skipped: no cgroup2 mount on this host\n");
		skip();
	}
}

static struct cgroup *make(struct fx *f, const struct cgroup_layout *l, const char *path,
                           enum cgroup_flags flags)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct cgroup *cg = NULL;

	if (cgroup_create(l, path, "id", flags, &cg, &err) < 0)
		fail_msg("cgroup_create \"%s\": %s", path, error_message(err));
	return cg;
}

static void apply(struct cgroup *cg, const struct oci_resources *r)
{
	_cleanup_error_ struct husk_error *err = NULL;

	if (cgroup_apply(cg, r, NULL, &err) < 0)
		fail_msg("cgroup_apply: %s", error_message(err));
}

/* The apply fails, with a message containing each of the parts. */
static void apply_fails(struct cgroup *cg, const struct oci_resources *r, const char *part1,
                        const char *part2)
{
	_cleanup_error_ struct husk_error *err = NULL;

	assert_true(cgroup_apply(cg, r, NULL, &err) < 0);
	if (!strstr(error_message(err), part1) || (part2 && !strstr(error_message(err), part2)))
		fail_msg("message \"%s\" lacks \"%s\"/\"%s\"", error_message(err), part1,
		         part2 ? part2 : "");
}

static const char *dir_of(struct cgroup *cg, const char *controller)
{
	const struct cgroup_dir *d = cgroup_dir_of(cg, controller);

	if (!d)
		fail_msg("no \"%s\" directory", controller);
	return d->path;
}

/* A cgroup file's content without its trailing newline (static buffer). */
static const char *cat(const char *dir, const char *file)
{
	static char buf[4096];
	_cleanup_free_ char *t = NULL;

	if (cg_read(dir, file, &t, NULL) < 0)
		fail_msg("read %s/%s: %m", dir, file);
	snprintf(buf, sizeof(buf), "%s", t);
	buf[strcspn(buf, "\n")] = 0;
	return buf;
}

static bool exists(const char *p)
{
	return access(p, F_OK) == 0;
}

/* Children wait for a byte before running fn, so that they are in the
 * cgroup from their first instruction. */
static pid_t spawn(struct fx *f, struct cgroup *cg, int (*fn)(void *), void *arg)
{
	_cleanup_error_ struct husk_error *err = NULL;
	int p[2];
	pid_t pid;
	char c = 'x';

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[1]);
		_exit(read(p[0], &c, 1) == 1 ? fn(arg) : 99);
	}
	close(p[0]);
	f->kids[f->n_kids++] = pid;
	if (cgroup_attach(cg, pid, &err) < 0)
		fail_msg("cgroup_attach: %s", error_message(err));
	assert_int_equal(write(p[1], &c, 1), 1);
	close(p[1]);
	return pid;
}

static int reap(struct fx *f, pid_t pid)
{
	int status = 0;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	for (size_t i = 0; i < f->n_kids; i++)
		if (f->kids[i] == pid)
			f->kids[i] = f->kids[--f->n_kids];
	return status;
}

static size_t npids(struct cgroup *cg)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_free_ pid_t *v = NULL;
	size_t n = 0;

	if (cgroup_pids(cg, &v, &n, &err) < 0)
		fail_msg("cgroup_pids: %s", error_message(err));
	return n;
}

static void wait_npids(struct cgroup *cg, size_t want)
{
	for (int i = 0; i < 400 && npids(cg) != want; i++)
		cg_sleep_ms(5);
	assert_int_equal(npids(cg), want);
}

static uint64_t now_ns(int clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int child_busy_1s(void *arg)
{
	uint64_t end = now_ns(CLOCK_MONOTONIC) + 1000000000u;

	while (now_ns(CLOCK_MONOTONIC) < end)
		;
	return 0;
}

static int child_pause(void *arg)
{
	for (;;)
		pause();
	return 0;
}

static int child_count(void *arg)
{
	volatile uint64_t *counter = arg;

	for (;;)
		(*counter)++;
	return 0;
}

static int child_hog(void *arg)
{
	size_t len = 100 * MiB;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return 2;
	for (size_t i = 0; i < len; i += 4096)
		p[i] = 1;
	return 0; /* not reached under a 32 MiB limit */
}

/* ---- v1 and hybrid ---- */

static void test_memory_limit(void **state)
{
	struct fx *f = *state;
	struct oci_resources r = {.has_mem_limit = true, .mem_limit = 64 * MiB};

	need_v1(f, "memory");
	f->cg = make(f, &f->layout, f->path, 0);
	apply(f->cg, &r);
	assert_string_equal(cat(dir_of(f->cg, "memory"), "memory.limit_in_bytes"), "67108864");
	for (size_t i = 0; i < f->layout.n_v1; i++) {
		_cleanup_free_ char *p = path_join(f->layout.v1[i].path, f->path);
		assert_true(exists(p));
	}
	if (f->layout.mode == CGROUP_MODE_HYBRID) { /* joined there too */
		_cleanup_free_ char *p = path_join(f->layout.unified, f->path);
		assert_true(exists(p));
	}
}

static void test_memory_swap_order(void **state)
{
	struct fx *f = *state;
	struct oci_resources r = {.has_mem_limit = true, .has_mem_swap = true};
	const char *m;

	need_v1(f, "memory");
	f->cg = make(f, &f->layout, f->path, 0);
	m = dir_of(f->cg, "memory");
	if (!cg_has(m, "memory.memsw.limit_in_bytes")) {
		print_message("skipped: no swap accounting (memory.memsw.*)\n");
		skip();
	}
	const int64_t steps[][2] = {{64, 128}, {256, 512}, {32, 48}, {1024, 1024}, {16, 2048}};
	for (size_t i = 0; i < ELEMENTSOF(steps); i++) {
		char want[32];

		r.mem_limit = steps[i][0] * MiB;
		r.mem_swap = steps[i][1] * MiB;
		apply(f->cg, &r);
		snprintf(want, sizeof(want), "%" PRId64, steps[i][0] * MiB);
		assert_string_equal(cat(m, "memory.limit_in_bytes"), want);
		snprintf(want, sizeof(want), "%" PRId64, steps[i][1] * MiB);
		assert_string_equal(cat(m, "memory.memsw.limit_in_bytes"), want);
	}
	r.mem_limit = 128 * MiB;
	r.mem_swap = 64 * MiB;
	apply_fails(f->cg, &r, "linux.resources.memory.swap", "must be >=");
}

static void test_memory_misc_and_warnings(void **state)
{
	struct fx *f = *state;
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_strv_ char **warnings = NULL;
	struct oci_resources r = {.has_mem_reservation = true,
	                          .mem_reservation = 16 * MiB,
	                          .has_mem_swappiness = true,
	                          .mem_swappiness = 10,
	                          .has_disable_oom_killer = true,
	                          .disable_oom_killer = true,
	                          .has_mem_kernel = true,
	                          .mem_kernel = 1 * MiB,
	                          .has_mem_kernel_tcp = true,
	                          .mem_kernel_tcp = 1 * MiB};
	const char *m;

	need_v1(f, "memory");
	f->cg = make(f, &f->layout, f->path, 0);
	m = dir_of(f->cg, "memory");
	assert_int_equal(cgroup_apply(f->cg, &r, &warnings, &err), 0);
	assert_int_equal(strv_length(warnings), 2);
	assert_string_equal(warnings[0], "linux.resources.memory.kernel is deprecated and ignored");
	assert_non_null(strstr(warnings[1], "kernelTCP"));
	assert_string_equal(cat(m, "memory.soft_limit_in_bytes"), "16777216");
	assert_string_equal(cat(m, "memory.swappiness"), "10");
	assert_non_null(strstr(cat(m, "memory.oom_control"), "oom_kill_disable 1"));

	r = (struct oci_resources){.has_mem_swappiness = true, .mem_swappiness = 101};
	apply_fails(f->cg, &r, "swappiness", "0 to 100");
}

static void test_oom_kill(void **state)
{
	struct fx *f = *state;
	_cleanup_error_ struct husk_error *err = NULL;
	struct oci_resources r = {.has_mem_limit = true, .mem_limit = 32 * MiB};
	struct cgroup_stats s;
	uint64_t kills = 99;
	int status;

	need_v1(f, "memory");
	f->cg = make(f, &f->layout, f->path, 0);
	apply(f->cg, &r);
	assert_int_equal(cgroup_oom_kills(f->cg, &kills), 0);
	assert_int_equal(kills, 0);
	status = reap(f, spawn(f, f->cg, child_hog, NULL));
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	if (cgroup_stats(f->cg, &s, &err) < 0)
		fail_msg("cgroup_stats: %s", error_message(err));
	assert_true(s.oom_kills >= 1);
	assert_int_equal(cgroup_oom_kills(f->cg, &kills), 0);
	assert_int_equal(kills, s.oom_kills);
	assert_int_equal(s.mem_limit, 32 * MiB);
	assert_true(s.mem_max_usage >= 16 * MiB);
	cgroup_stats_release(&s);
}

static void test_cpu_quota(void **state)
{
	struct fx *f = *state;
	_cleanup_error_ struct husk_error *err = NULL;
	struct oci_resources r = {.has_cpu_quota = true,
	                          .cpu_quota = 20000,
	                          .has_cpu_period = true,
	                          .cpu_period = 100000,
	                          .has_cpu_shares = true,
	                          .cpu_shares = 512,
	                          .has_cpu_burst = true,
	                          .cpu_burst = 10000};
	struct cgroup_stats s;

	need_v1(f, "cpu");
	need_v1(f, "cpuacct");
	f->cg = make(f, &f->layout, f->path, 0);
	apply(f->cg, &r);
	assert_string_equal(cat(dir_of(f->cg, "cpu"), "cpu.cfs_quota_us"), "20000");
	assert_string_equal(cat(dir_of(f->cg, "cpu"), "cpu.cfs_period_us"), "100000");
	assert_string_equal(cat(dir_of(f->cg, "cpu"), "cpu.shares"), "512");
	if (cg_has(dir_of(f->cg, "cpu"), "cpu.cfs_burst_us"))
		assert_string_equal(cat(dir_of(f->cg, "cpu"), "cpu.cfs_burst_us"), "10000");
	assert_true(WIFEXITED(reap(f, spawn(f, f->cg, child_busy_1s, NULL))));
	if (cgroup_stats(f->cg, &s, &err) < 0)
		fail_msg("cgroup_stats: %s", error_message(err));
	print_message("cpu used in 1 s at 20%%: %" PRIu64 " ms, throttled %" PRIu64 "/%" PRIu64
	              " periods\n",
	              s.cpu_usage_ns / 1000000, s.throttled_periods, s.nr_periods);
	assert_in_range(s.cpu_usage_ns / 1000000, 100, 400);
	assert_true(s.throttled_periods > 0);
	cgroup_stats_release(&s);
}

static int child_fork_until_refused(void *arg)
{
	pid_t kids[16];
	int n = 0, e = 0;

	while (n < 16) {
		pid_t p = fork();

		if (p == 0) {
			pause();
			_exit(0);
		}
		if (p < 0) {
			e = errno;
			break;
		}
		kids[n++] = p;
	}
	for (int i = 0; i < n; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	return e == EAGAIN ? n : 100 + n;
}

static void test_pids_max(void **state)
{
	struct fx *f = *state;
	struct oci_resources r = {.has_pids_limit = true, .pids_limit = 5};
	int status;

	need_v1(f, "pids");
	f->cg = make(f, &f->layout, f->path, 0);
	apply(f->cg, &r);
	assert_string_equal(cat(dir_of(f->cg, "pids"), "pids.max"), "5");
	/* the child is 1; it forks 4 (pids 5 of 5); the next fork is the 6th
	 * in the cgroup's life and fails with EAGAIN */
	status = reap(f, spawn(f, f->cg, child_fork_until_refused, NULL));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 4);
	r.pids_limit = 0;
	apply(f->cg, &r);
	assert_string_equal(cat(dir_of(f->cg, "pids"), "pids.max"), "max");
}

static int child_on_cpu0(void *arg)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return 2;
	return CPU_COUNT(&set) == 1 && CPU_ISSET(0, &set) ? 0 : 1;
}

static void test_cpuset(void **state)
{
	struct fx *f = *state;
	struct oci_resources r = {.cpu_cpus = (char *)"0", .cpu_mems = (char *)"0"};
	int status;

	need_v1(f, "cpuset");
	f->cg = make(f, &f->layout, f->path, 0);
	/* a new v1 cpuset got its parent's cpus and mems, or no task could join */
	assert_string_not_equal(cat(dir_of(f->cg, "cpuset"), "cpuset.mems"), "");
	apply(f->cg, &r);
	assert_string_equal(cat(dir_of(f->cg, "cpuset"), "cpuset.cpus"), "0");
	status = reap(f, spawn(f, f->cg, child_on_cpu0, NULL));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_failed_apply_leaves_nothing(void **state)
{
	struct fx *f = *state;
	_cleanup_error_ struct husk_error *err = NULL;
	struct oci_resources r = {.cpu_cpus = (char *)"9999"};

	need_v1(f, "cpuset");
	f->cg = make(f, &f->layout, f->path, 0);
	apply_fails(f->cg, &r, "cpuset.cpus", "\"9999\"");
	assert_int_equal(cgroup_destroy(f->cg, false, &err), 0);
	for (size_t i = 0; i < f->cg->n_dirs; i++)
		assert_false(exists(f->cg->dirs[i].path));
}

static void test_freeze_thaw(void **state)
{
	struct fx *f = *state;
	_cleanup_error_ struct husk_error *err = NULL;
	volatile uint64_t *counter =
	        mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	bool frozen = true;
	uint64_t c1;

	need_v1(f, "freezer");
	assert_true(counter != MAP_FAILED);
	f->cg = make(f, &f->layout, f->path, 0);
	spawn(f, f->cg, child_count, (void *)counter);
	while (*counter == 0)
		cg_sleep_ms(1);
	assert_int_equal(cgroup_is_frozen(f->cg, &frozen, &err), 0);
	assert_false(frozen);
	if (cgroup_freeze(f->cg, true, &err) < 0)
		fail_msg("freeze: %s", error_message(err));
	assert_int_equal(cgroup_is_frozen(f->cg, &frozen, &err), 0);
	assert_true(frozen);
	assert_string_equal(cat(dir_of(f->cg, "freezer"), "freezer.state"), "FROZEN");
	c1 = *counter;
	cg_sleep_ms(100);
	assert_true(*counter == c1);
	assert_int_equal(cgroup_freeze(f->cg, false, &err), 0);
	assert_int_equal(cgroup_is_frozen(f->cg, &frozen, &err), 0);
	assert_false(frozen);
	cg_sleep_ms(50);
	assert_true(*counter > c1);
	munmap((void *)counter, 4096);
}

static int child_family(void *arg)
{
	for (int i = 0; i < 3; i++)
		if (fork() == 0)
			for (;;)
				pause();
	for (;;)
		pause();
	return 0;
}

static void kill_family(struct fx *f, struct cgroup *cg, int sig)
{
	_cleanup_error_ struct husk_error *err = NULL;
	pid_t pid = spawn(f, cg, child_family, NULL);
	int status;

	wait_npids(cg, 4);
	if (cgroup_kill_all(cg, sig, &err) < 0)
		fail_msg("kill_all: %s", error_message(err));
	status = reap(f, pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), sig);
	wait_npids(cg, 0); /* the grandchildren too (reaped by init) */
}

/* A paused cgroup: SIGTERM keeps it paused (and, with the v1 freezer,
 * waits for the thaw; v2 lets a fatal signal through a freeze); SIGKILL
 * lands at once (hybrid: cgroup.kill, then the v1 thaw). */
static void kill_paused(struct fx *f, struct cgroup *cg)
{
	_cleanup_error_ struct husk_error *err = NULL;
	pid_t pid = spawn(f, cg, child_pause, NULL);
	bool frozen = false;
	int status;

	assert_int_equal(cgroup_freeze(cg, true, &err), 0);
	assert_int_equal(cgroup_kill_all(cg, SIGTERM, &err), 0);
	assert_int_equal(cgroup_is_frozen(cg, &frozen, &err), 0);
	assert_true(frozen);
	cg_sleep_ms(50);
	if (cg->mode != CGROUP_MODE_V2)
		assert_int_equal(waitpid(pid, &status, WNOHANG), 0);
	assert_int_equal(cgroup_freeze(cg, false, &err), 0);
	status = reap(f, pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);

	pid = spawn(f, cg, child_family, NULL);
	wait_npids(cg, 4);
	assert_int_equal(cgroup_freeze(cg, true, &err), 0);
	if (cgroup_kill_all(cg, SIGKILL, &err) < 0)
		fail_msg("kill_all: %s", error_message(err));
	status = reap(f, pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	wait_npids(cg, 0);
}

static void test_kill_all(void **state)
{
	struct fx *f = *state;

	need_v1(f, "freezer");
	f->cg = make(f, &f->layout, f->path, 0);
	kill_family(f, f->cg, SIGKILL); /* hybrid: cgroup.kill in the unified tree */
	kill_family(f, f->cg, SIGTERM); /* freeze, signal each, thaw */
	kill_paused(f, f->cg);
}

/* 8 MiB touched, then 200 ms of CPU (not wall clock: the host may be
 * busy), then asleep. */
static int child_work(void *arg)
{
	char *p = mmap(NULL, 8 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return 2;
	memset(p, 1, 8 * MiB);
	while (now_ns(CLOCK_PROCESS_CPUTIME_ID) < 200000000u)
		;
	for (;;)
		pause();
	return 0;
}

/* Stats once the child's 200 ms of CPU show (at most 10 s). */
static void stats_after_work(struct cgroup *cg, struct cgroup_stats *s)
{
	_cleanup_error_ struct husk_error *err = NULL;

	for (int i = 0; i < 1000; i++) {
		if (cgroup_stats(cg, s, &err) < 0)
			fail_msg("cgroup_stats: %s", error_message(err));
		if (s->cpu_usage_ns >= 190000000u)
			return;
		cgroup_stats_release(s);
		cg_sleep_ms(10);
	}
	fail_msg("the child's CPU time never reached 190 ms");
}

static void test_stats(void **state)
{
	struct fx *f = *state;
	struct oci_resources r = {.has_pids_limit = true, .pids_limit = 100};
	struct cgroup_stats s;

	need_v1(f, "memory");
	need_v1(f, "cpuacct");
	need_v1(f, "pids");
	f->cg = make(f, &f->layout, f->path, 0);
	apply(f->cg, &r);
	spawn(f, f->cg, child_work, NULL);
	stats_after_work(f->cg, &s);
	assert_true(s.cpu_user_ns + s.cpu_system_ns > 0);
	assert_true(s.n_percpu >= 1);
	uint64_t sum = 0;
	for (size_t i = 0; i < s.n_percpu; i++)
		sum += s.percpu_ns[i];
	assert_true(sum > 0);
	assert_true(s.mem_usage >= 8 * MiB);
	assert_true(s.mem_max_usage >= s.mem_usage);
	assert_true(s.mem_limit > 0);
	assert_true(s.mem_rss >= 4 * MiB);
	assert_int_equal(s.pids_current, 1);
	assert_int_equal(s.pids_limit, 100);
	cgroup_stats_release(&s);
	cgroup_stats_release(&s); /* twice is fine */
}

static void test_paths(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *self = NULL, *own = NULL, *rel = NULL, *abs = NULL, *want = NULL;
	_cleanup_json_ json_t *paths = NULL;
	const char *mem;

	need_v1(f, "memory");
	assert_int_equal(read_file("/proc/self/cgroup", 1 << 16, &self, NULL, NULL), 0);
	assert_int_equal(cgroup_own_path(self, "memory", &own), 0);

	rel = str_printf("%s/rel", f->top); /* relative: below our own cgroup */
	f->cg = make(f, &f->layout, rel, 0);
	want = str_printf("%s%s/%s", cgroup_v1_path(&f->layout, "memory"),
	                  streq(own, "/") ? "" : own, rel);
	assert_string_equal(dir_of(f->cg, "memory"), want);
	assert_true(exists(want));

	abs = str_printf("/%s/abs", f->top); /* absolute: below each root */
	f->cg2 = make(f, &f->layout, abs, 0);
	paths = cgroup_paths_json(f->cg2);
	assert_non_null(paths);
	mem = json_string_value(json_object_get(paths, "memory"));
	free(want);
	want = path_join(cgroup_v1_path(&f->layout, "memory"), abs);
	assert_string_equal(mem, want);
	if (f->layout.mode == CGROUP_MODE_HYBRID) {
		free(want);
		want = path_join(f->layout.unified, abs);
		assert_string_equal(json_string_value(json_object_get(paths, "")), want);
	}
}

static void test_systemd_path(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *spec = NULL, *want = NULL;

	need_v1(f, "pids");
	/* the root slice: a named one with dashes would nest ("a-b.slice" is
	 * a.slice/a-b.slice, checked in test_path_resolve) */
	spec = str_printf("-.slice:%s:sd", f->top);
	f->cg = make(f, &f->layout, spec, CGROUP_SYSTEMD);
	want = str_printf("%s/%s-sd.scope", cgroup_v1_path(&f->layout, "pids"), f->top);
	assert_string_equal(dir_of(f->cg, "pids"), want);
	assert_true(exists(want));
}

static void test_invalid_paths(void **state)
{
	struct fx *f = *state;
	const char *bad[] = {"/husk-test-x/../..", "../escape", "/", "a/../../b"};

	need_root();
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		_cleanup_error_ struct husk_error *err = NULL;
		struct cgroup *cg = NULL;

		assert_int_equal(cgroup_create(&f->layout, bad[i], "id", 0, &cg, &err), -EINVAL);
		assert_null(cg);
		assert_non_null(strstr(error_message(err), "cgroupsPath \""));
	}
	_cleanup_error_ struct husk_error *err = NULL;
	struct cgroup *cg = NULL;
	assert_int_equal(cgroup_create(&f->layout, "bad", "id", CGROUP_SYSTEMD, &cg, &err),
	                 -EINVAL);
}

static void test_busy_existing(void **state)
{
	struct fx *f = *state;
	_cleanup_error_ struct husk_error *err = NULL, *err2 = NULL;
	struct cgroup *again = NULL;

	need_v1(f, "pids");
	f->cg = make(f, &f->layout, f->path, 0);
	spawn(f, f->cg, child_pause, NULL);
	assert_int_equal(cgroup_create(&f->layout, f->path, "id", 0, &again, &err), -EBUSY);
	assert_null(again);
	assert_non_null(strstr(error_message(err), "already exists"));
	assert_true(exists(dir_of(f->cg, "pids"))); /* not removed: not ours to remove */
	assert_int_equal(cgroup_destroy(f->cg, false, &err2), -EBUSY);
	assert_true(exists(dir_of(f->cg, "pids")));
}

static void test_reuse_empty_and_destroy_twice(void **state)
{
	struct fx *f = *state;
	_cleanup_error_ struct husk_error *err = NULL;

	need_v1(f, "pids");
	f->cg = make(f, &f->layout, f->path, 0);
	f->cg2 = make(f, &f->layout, f->path, 0); /* exists but empty: reused */
	assert_int_equal(cgroup_destroy(f->cg, false, &err), 0);
	assert_false(exists(dir_of(f->cg, "pids")));
	assert_int_equal(cgroup_destroy(f->cg, false, &err), 0);
	assert_int_equal(cgroup_destroy(f->cg2, true, &err), 0);
}

static void test_destroy_force(void **state)
{
	struct fx *f = *state;
	_cleanup_error_ struct husk_error *err = NULL;

	need_v1(f, "pids");
	f->cg = make(f, &f->layout, f->path, 0);
	spawn(f, f->cg, child_family, NULL);
	wait_npids(f->cg, 4);
	/* a nested cgroup made inside the container goes too */
	_cleanup_free_ char *nested = path_join(dir_of(f->cg, "pids"), "nested");
	assert_int_equal(mkdir(nested, 0755), 0);
	if (cgroup_destroy(f->cg, true, &err) < 0)
		fail_msg("destroy --force: %s", error_message(err));
	for (size_t i = 0; i < f->cg->n_dirs; i++)
		assert_false(exists(f->cg->dirs[i].path));
}

/* mkdir fails in the last hierarchy (the unified tree, where a depth
 * limit of 0 refuses children): the v1 directories made before are gone. */
static void test_create_failure_cleanup(void **state)
{
	struct fx *f = *state;
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_free_ char *top = NULL, *deep = NULL, *v1top = NULL;
	struct cgroup *cg = NULL;

	need_v1(f, "pids");
	if (f->layout.mode != CGROUP_MODE_HYBRID) {
		print_message("skipped: needs a hybrid host\n");
		skip();
	}
	top = str_printf("%s/%s", f->layout.unified, f->top);
	assert_int_equal(mkdir(top, 0755), 0);
	assert_int_equal(cg_write(top, "cgroup.max.depth", "0", NULL), 0);
	deep = str_printf("/%s/deep", f->top);
	assert_true(cgroup_create(&f->layout, deep, "id", 0, &cg, &err) < 0);
	assert_null(cg);
	assert_non_null(strstr(error_message(err), "mkdir"));
	v1top = str_printf("%s/%s", cgroup_v1_path(&f->layout, "pids"), f->top);
	assert_false(exists(v1top));
	assert_true(exists(top)); /* not made by the create: left alone */
}

static bool can_open(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return fd >= 0;
}

/* exit 0: /dev/null opens, /dev/zero is refused with EPERM */
static int child_devices(void *arg)
{
	int fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);

	if (fd >= 0 || errno != EPERM)
		return 1;
	return can_open("/dev/null", O_RDWR) ? 0 : 2;
}

static const struct oci_device_rule null_only[] = {
        {false, 'a', -1, -1, "rwm"},
        {true, 'c', 1, 3, "rwm"},
};

static void test_devices_v1(void **state)
{
	struct fx *f = *state;
	struct oci_resources r = {.devices = (struct oci_device_rule *)null_only, .n_devices = 2};
	int status;

	need_v1(f, "devices");
	f->cg = make(f, &f->layout, f->path, 0);
	apply(f->cg, &r);
	assert_string_equal(cat(dir_of(f->cg, "devices"), "devices.list"), "c 1:3 rwm");
	status = reap(f, spawn(f, f->cg, child_devices, NULL));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_blkio(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *dev = NULL;
	struct oci_throttle t = {0, 0, 1048576};
	struct oci_resources r = {.has_blkio_weight = true,
	                          .blkio_weight = 500,
	                          .throttle_read_bps = &t,
	                          .n_throttle_read_bps = 1};
	const char *b;

	need_v1(f, "blkio");
	if (read_file("/sys/block/vda/dev", 64, &dev, NULL, NULL) < 0 &&
	    read_file("/sys/block/sda/dev", 64, &dev, NULL, NULL) < 0) {
		print_message("skipped: no vda/sda block device\n");
		skip();
	}
	assert_int_equal(sscanf(dev, "%" SCNd64 ":%" SCNd64, &t.major, &t.minor), 2);
	f->cg = make(f, &f->layout, f->path, 0);
	b = dir_of(f->cg, "blkio");
	if (!cg_has(b, "blkio.weight") && !cg_has(b, "blkio.bfq.weight")) {
		apply_fails(f->cg, &r, "blkio.weight", "blkio.bfq.weight");
		r.has_blkio_weight = false;
	}
	apply(f->cg, &r);
	char want[64];
	snprintf(want, sizeof(want), "%" PRId64 ":%" PRId64 " 1048576", t.major, t.minor);
	assert_string_equal(cat(b, "blkio.throttle.read_bps_device"), want);
	if (r.has_blkio_weight)
		assert_non_null(strstr(
		        cat(b, cg_has(b, "blkio.weight") ? "blkio.weight" : "blkio.bfq.weight"),
		        "500"));
}

static void test_missing_controllers(void **state)
{
	struct fx *f = *state;
	struct oci_resources net = {.has_net_class_id = true, .net_class_id = 0x100001};
	struct oci_resources unified = {
	        .unified = (struct oci_kv[]){{(char *)"cgroup.max.descendants", (char *)"5"}},
	        .n_unified = 1};

	need_v1(f, "pids");
	f->cg = make(f, &f->layout, f->path, 0);
	if (!cgroup_v1_path(&f->layout, "net_cls"))
		apply_fails(f->cg, &net, "linux.resources.network.classID",
		            "\"net_cls\" is not mounted");
	else
		apply(f->cg, &net);
	/* a pure v1 host has no unified tree for linux.resources.unified */
	f->cg2 = make(f, &f->v1only, f->path, 0);
	apply_fails(f->cg2, &unified, "linux.resources.unified: needs cgroup v2", NULL);
}

static void test_hybrid_unified_keys_and_hugetlb(void **state)
{
	struct fx *f = *state;
	struct oci_resources r = {
	        .unified = (struct oci_kv[]){{(char *)"cgroup.max.descendants", (char *)"5"}},
	        .n_unified = 1};
	struct oci_hugepage_limit h = {(char *)"2MB", 4 * MiB};
	struct oci_resources hr = {.hugepage_limits = &h, .n_hugepage_limits = 1};
	_cleanup_free_ char *controllers = NULL;

	need_v1(f, "pids");
	if (f->layout.mode != CGROUP_MODE_HYBRID) {
		print_message("skipped: needs a hybrid host\n");
		skip();
	}
	f->cg = make(f, &f->layout, f->path, 0);
	apply(f->cg, &r);
	assert_string_equal(cat(dir_of(f->cg, ""), "cgroup.max.descendants"), "5");
	/* hugetlb: v1 where mounted, else the unified tree when it has it */
	(void)cg_read(f->layout.unified, "cgroup.controllers", &controllers, NULL);
	if (cgroup_v1_path(&f->layout, "hugetlb")) {
		apply(f->cg, &hr);
		assert_string_equal(cat(dir_of(f->cg, "hugetlb"), "hugetlb.2MB.limit_in_bytes"),
		                    "4194304");
	} else if (controllers && strstr(controllers, "hugetlb") && f->unified_root_subtree) {
		f->restore_hugetlb = true;
		apply(f->cg, &hr);
		assert_string_equal(cat(dir_of(f->cg, ""), "hugetlb.2MB.max"), "4194304");
	} else {
		apply_fails(f->cg, &hr, "hugepageLimits", "\"hugetlb\" is not mounted");
	}
}

static void test_open_from_paths(void **state)
{
	struct fx *f = *state;
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *paths = NULL, *evil = NULL;
	struct cgroup *bad = NULL;
	bool frozen = false;

	need_v1(f, "freezer");
	f->cg = make(f, &f->layout, f->path, 0);
	paths = cgroup_paths_json(f->cg);
	if (cgroup_open(&f->layout, paths, &f->cg2, &err) < 0)
		fail_msg("cgroup_open: %s", error_message(err));
	spawn(f, f->cg, child_pause, NULL);
	assert_int_equal(cgroup_freeze(f->cg2, true, &err), 0);
	assert_int_equal(cgroup_is_frozen(f->cg, &frozen, &err), 0);
	assert_true(frozen);
	assert_int_equal(cgroup_freeze(f->cg2, false, &err), 0);
	assert_int_equal(npids(f->cg2), 1);

	evil = json_pack("{s:s}", "memory", "/etc");
	assert_int_equal(cgroup_open(&f->layout, evil, &bad, &err), -EINVAL);
	json_decref(evil);
	evil = json_pack("{s:s}", "memory", "/sys/fs/cgroup/memory/../../../etc");
	assert_true(cgroup_open(&f->layout, evil, &bad, NULL) < 0);
	json_decref(evil);
	evil = json_pack("{s:s}", "nosuchcontroller", "/sys/fs/cgroup/x");
	assert_int_equal(cgroup_open(&f->layout, evil, &bad, NULL), -ENOENT);
	assert_null(bad);
}

/* ---- v2 on the host's cgroup2 mount ---- */

static uint32_t attached_programs(const char *dir)
{
	uint32_t ids[8];
	union bpf_attr a;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.query.target_fd = (uint32_t)fd;
	a.query.attach_type = BPF_CGROUP_DEVICE;
	a.query.prog_ids = (uintptr_t)ids;
	a.query.prog_cnt = 8;
	assert_int_equal(syscall(SYS_bpf, BPF_PROG_QUERY, &a, sizeof(a)), 0);
	close(fd);
	return a.query.prog_cnt;
}

/* exit 0: /dev/zero opens read-only but not read-write */
static int child_zero_readonly(void *arg)
{
	if (!can_open("/dev/zero", O_RDONLY))
		return 1;
	if (can_open("/dev/zero", O_RDWR) || errno != EPERM)
		return 2;
	return can_open("/dev/null", O_RDWR) ? 0 : 3;
}

static void test_v2_devices_bpf(void **state)
{
	struct fx *f = *state;
	const struct oci_device_rule update[] = {
	        {false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 3, "rwm"}, {true, 'c', 1, 5, "r"}};
	const struct oci_device_rule deny_write[] = {{true, 'a', -1, -1, "rwm"},
	                                             {false, 'c', 1, 5, "w"}};
	struct oci_resources r = {.devices = (struct oci_device_rule *)null_only, .n_devices = 2};
	const char *d;
	int status;

	need_unified(f);
	f->cg = make(f, &f->v2, f->path, 0);
	d = dir_of(f->cg, "");
	apply(f->cg, &r);
	assert_int_equal(attached_programs(d), 1);
	status = reap(f, spawn(f, f->cg, child_devices, NULL));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	/* an update replaces the program: still one attached */
	r.devices = (struct oci_device_rule *)update;
	r.n_devices = ELEMENTSOF(update);
	apply(f->cg, &r);
	assert_int_equal(attached_programs(d), 1);
	status = reap(f, spawn(f, f->cg, child_zero_readonly, NULL));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	/* allow all but writing /dev/zero: a partial deny ends the program */
	r.devices = (struct oci_device_rule *)deny_write;
	r.n_devices = ELEMENTSOF(deny_write);
	apply(f->cg, &r);
	status = reap(f, spawn(f, f->cg, child_zero_readonly, NULL));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_v2_lifecycle(void **state)
{
	struct fx *f = *state;
	_cleanup_error_ struct husk_error *err = NULL;
	struct cgroup_stats s;
	bool frozen = false;
	pid_t pid;
	int status;

	need_unified(f);
	f->cg = make(f, &f->v2, f->path, 0);
	assert_int_equal(f->cg->n_dirs, 1);
	pid = spawn(f, f->cg, child_work, NULL);
	stats_after_work(f->cg, &s); /* cpu.stat is there without any controller */
	cgroup_stats_release(&s);
	assert_int_equal(npids(f->cg), 1);
	if (cgroup_freeze(f->cg, true, &err) < 0)
		fail_msg("freeze: %s", error_message(err));
	assert_int_equal(cgroup_is_frozen(f->cg, &frozen, &err), 0);
	assert_true(frozen);
	assert_non_null(strstr(cat(dir_of(f->cg, ""), "cgroup.events"), "populated 1"));
	assert_int_equal(cgroup_freeze(f->cg, false, &err), 0);
	assert_int_equal(cgroup_is_frozen(f->cg, &frozen, &err), 0);
	assert_false(frozen);
	assert_int_equal(cgroup_kill_all(f->cg, SIGKILL, &err), 0);
	status = reap(f, pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	wait_npids(f->cg, 0);
	assert_int_equal(cgroup_destroy(f->cg, false, &err), 0);
	assert_false(exists(dir_of(f->cg, "")));
}

static void test_v2_freeze_kill_family(void **state)
{
	struct fx *f = *state;

	need_unified(f);
	f->cg = make(f, &f->v2, f->path, 0);
	kill_family(f, f->cg, SIGKILL); /* cgroup.kill */
	kill_family(f, f->cg, SIGTERM); /* cgroup.freeze, signal each, thaw */
	kill_paused(f, f->cg);
}

static void test_v2_apply(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *controllers = NULL;
	struct oci_resources mem = {.has_mem_limit = true, .mem_limit = 64 * MiB};
	struct oci_resources keys = {
	        .unified = (struct oci_kv[]){{(char *)"cgroup.max.descendants", (char *)"7"},
	                                     {(char *)"cgroup.max.depth", (char *)"3"}},
	        .n_unified = 2};
	struct oci_resources bad_key = {
	        .unified = (struct oci_kv[]){{(char *)"../cgroup.procs", (char *)"1"}},
	        .n_unified = 1};
	struct oci_resources no_dot = {.unified = (struct oci_kv[]){{(char *)"procs", (char *)"1"}},
	                               .n_unified = 1};
	struct oci_resources mem_key = {
	        .unified = (struct oci_kv[]){{(char *)"memory.high", (char *)"1G"}},
	        .n_unified = 1};

	need_unified(f);
	f->cg = make(f, &f->v2, f->path, 0);
	apply(f->cg, &keys);
	assert_string_equal(cat(dir_of(f->cg, ""), "cgroup.max.descendants"), "7");
	assert_string_equal(cat(dir_of(f->cg, ""), "cgroup.max.depth"), "3");
	apply_fails(f->cg, &bad_key, "key \"../cgroup.procs\"", "<controller>.<file>");
	apply_fails(f->cg, &no_dot, "key \"procs\"", NULL);
	(void)cg_read(f->layout.unified, "cgroup.controllers", &controllers, NULL);
	if (controllers && strstr(controllers, "memory")) {
		apply(f->cg, &mem);
		assert_string_equal(cat(dir_of(f->cg, ""), "memory.max"), "67108864");
		return;
	}
	/* the host's cgroup2 tree lacks the memory controller (hybrid) */
	apply_fails(f->cg, &mem, "linux.resources.memory",
	            "cgroup v2 controller \"memory\" is not available");
	apply_fails(f->cg, &mem_key, "key \"memory.high\"", "\"memory\" is not available");
}

static void test_v2_net_warns(void **state)
{
	struct fx *f = *state;
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_strv_ char **warnings = NULL;
	struct oci_resources r = {.has_net_class_id = true, .net_class_id = 1};

	need_unified(f);
	f->cg = make(f, &f->v2, f->path, 0);
	assert_int_equal(cgroup_apply(f->cg, &r, &warnings, &err), 0);
	assert_int_equal(strv_length(warnings), 1);
	assert_string_equal(warnings[0], "linux.resources.network.classID is not supported on "
	                                 "cgroup v2 and ignored");
}

#define HOST(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_path_resolve),
	        cmocka_unit_test(test_own_path),
	        cmocka_unit_test(test_cpu_conversions),
	        cmocka_unit_test(test_memory_conversions),
	        cmocka_unit_test(test_io_conversions),
	        cmocka_unit_test(test_hugetlb_and_device_names),
	        cmocka_unit_test(test_flat_keyed),
	        cmocka_unit_test(test_devices_program),
	        HOST(test_memory_limit),
	        HOST(test_memory_swap_order),
	        HOST(test_memory_misc_and_warnings),
	        HOST(test_oom_kill),
	        HOST(test_cpu_quota),
	        HOST(test_pids_max),
	        HOST(test_cpuset),
	        HOST(test_failed_apply_leaves_nothing),
	        HOST(test_freeze_thaw),
	        HOST(test_kill_all),
	        HOST(test_stats),
	        HOST(test_paths),
	        HOST(test_systemd_path),
	        HOST(test_invalid_paths),
	        HOST(test_busy_existing),
	        HOST(test_reuse_empty_and_destroy_twice),
	        HOST(test_destroy_force),
	        HOST(test_create_failure_cleanup),
	        HOST(test_devices_v1),
	        HOST(test_blkio),
	        HOST(test_missing_controllers),
	        HOST(test_hybrid_unified_keys_and_hugetlb),
	        HOST(test_open_from_paths),
	        HOST(test_v2_devices_bpf),
	        HOST(test_v2_lifecycle),
	        HOST(test_v2_freeze_kill_family),
	        HOST(test_v2_apply),
	        HOST(test_v2_net_warns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
