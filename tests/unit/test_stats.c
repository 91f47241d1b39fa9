/* Unit tests for src/engine/stats.c.
 *
 * First the parsing, exactly, over cgroup files written into a temporary
 * directory standing for the hierarchies (v1 and v2 shapes); then the real
 * thing as root: a cgroup made under "husk-test-stats-<pid>" in the host's
 * v1 cpu, cpuacct, memory, pids and blkio hierarchies (and in the cgroup2
 * tree, alone on a v2 host or as the unified tree of a hybrid one), a busy
 * child in a network namespace of its own with a dummy eth0, two samples
 * and the docker CLI's arithmetic over them. Each host test skips, saying
 * why, when the host lacks what it needs; teardown kills the child and
 * removes the cgroups even after a failure. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "engine/stats.h"
#include "runtime/cgroup_probe.h"

static uint64_t host_mem(void)
{
	struct sysinfo si;

	sysinfo(&si);
	return (uint64_t)si.totalram * si.mem_unit;
}

static void put(const char *dir, const char *file, const char *text)
{
	_cleanup_free_ char *p = path_join(dir, file);

	assert_int_equal(mkdir_p(dir, 0755), 0);
	assert_int_equal(atomic_write_file(p, text, strlen(text), 0644, NULL), 0);
}

static int64_t at(json_t *o, const char *path)
{
	_cleanup_strv_ char **parts = strv_split(path, ".");
	json_t *v = o;

	STRV_FOREACH (p, parts)
		v = json_is_array(v) ? json_array_get(v, strtoul(*p, NULL, 10))
		                     : json_object_get(v, *p);
	if (!json_is_integer(v))
		fail_msg("%s: not an integer", path);
	return json_integer_value(v);
}

static bool has(json_t *o, const char *path)
{
	_cleanup_strv_ char **parts = strv_split(path, ".");
	json_t *v = o;

	STRV_FOREACH (p, parts)
		v = json_object_get(v, *p);
	return v != NULL;
}

/* ---- fake hierarchies ---- */

struct fake {
	char *dir;
	struct cgroup_layout l;
};

static int fake_setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));
	char tmpl[] = "/tmp/husk-test-stats.XXXXXX";

	if (!f || !mkdtemp(tmpl))
		return -1;
	f->dir = strdup(tmpl);
	*state = f;
	return 0;
}

static int fake_teardown(void **state)
{
	struct fake *f = *state;

	rm_rf(f->dir);
	free(f->dir);
	for (size_t i = 0; i < f->l.n_v1; i++) {
		free(f->l.v1[i].controller);
		free(f->l.v1[i].path);
	}
	free(f->l.unified);
	free(f);
	return 0;
}

static char *fake_v1(struct fake *f, const char *ctrl)
{
	size_t i = f->l.n_v1++;

	f->l.mode = CGROUP_MODE_HYBRID;
	f->l.v1[i].controller = strdup(ctrl);
	f->l.v1[i].path = path_join(f->dir, ctrl);
	return path_join(f->l.v1[i].path, "husk/c1");
}

static void test_fake_v1(void **state)
{
	struct fake *f = *state;
	_cleanup_free_ char *cpu = fake_v1(f, "cpu"), *acct = fake_v1(f, "cpuacct");
	_cleanup_free_ char *mem = fake_v1(f, "memory"), *pids = fake_v1(f, "pids");
	_cleanup_free_ char *blk = fake_v1(f, "blkio");
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *s = NULL;
	json_t *io;

	put(acct, "cgroup.procs", "");
	put(acct, "cpuacct.usage", "5000000000\n");
	put(acct, "cpuacct.usage_percpu", "3000000000 2000000000 0 0 \n");
	put(acct, "cpuacct.usage_user", "4000000000\n");
	put(acct, "cpuacct.usage_sys", "1000000000\n");
	put(cpu, "cpu.stat", "nr_periods 10\nnr_throttled 3\nthrottled_time 777\n");
	put(mem, "cgroup.procs", "");
	put(mem, "memory.usage_in_bytes", "10485760\n");
	put(mem, "memory.max_usage_in_bytes", "20971520\n");
	put(mem, "memory.failcnt", "2\n");
	put(mem, "memory.limit_in_bytes", "9223372036854771712\n");
	put(mem, "memory.stat",
	    "cache 4096\nrss 8192\ntotal_inactive_file 1048576\n"
	    "hierarchical_memory_limit 9223372036854771712\n");
	put(pids, "cgroup.procs", "");
	put(pids, "pids.current", "3\n");
	put(pids, "pids.max", "max\n");
	put(blk, "blkio.throttle.io_service_bytes_recursive",
	    "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 1\n8:0 Async 2\n8:0 Total 12288\n"
	    "253:1 Read 100\n253:1 Write 0\nTotal 12388\n");
	put(blk, "blkio.throttle.io_serviced_recursive", "8:0 Read 1\n8:0 Write 2\n");
	if (stats_sample(&f->l, "/husk/c1", 0, &s, &err) < 0)
		fail_msg("sample: %s", error_message(err));
	assert_int_equal(at(s, "cpu_stats.cpu_usage.total_usage"), 5000000000);
	assert_int_equal(json_array_size(json_object_get(
	                         json_object_get(json_object_get(s, "cpu_stats"), "cpu_usage"),
	                         "percpu_usage")),
	                 4);
	assert_int_equal(at(s, "cpu_stats.cpu_usage.percpu_usage.1"), 2000000000);
	assert_int_equal(at(s, "cpu_stats.cpu_usage.usage_in_usermode"), 4000000000);
	assert_int_equal(at(s, "cpu_stats.cpu_usage.usage_in_kernelmode"), 1000000000);
	assert_int_equal(at(s, "cpu_stats.throttling_data.periods"), 10);
	assert_int_equal(at(s, "cpu_stats.throttling_data.throttled_periods"), 3);
	assert_int_equal(at(s, "cpu_stats.throttling_data.throttled_time"), 777);
	assert_true(at(s, "cpu_stats.system_cpu_usage") > 0);
	assert_int_equal(at(s, "cpu_stats.online_cpus"), sysconf(_SC_NPROCESSORS_ONLN));
	assert_int_equal(at(s, "memory_stats.usage"), 10485760);
	assert_int_equal(at(s, "memory_stats.max_usage"), 20971520);
	assert_int_equal(at(s, "memory_stats.failcnt"), 2);
	assert_int_equal(at(s, "memory_stats.stats.total_inactive_file"), 1048576);
	assert_int_equal(at(s, "memory_stats.stats.rss"), 8192);
	assert_int_equal((uint64_t)at(s, "memory_stats.limit"), host_mem()); /* unlimited */
	assert_int_equal(at(s, "pids_stats.current"), 3);
	assert_false(has(s, "pids_stats.limit")); /* "max" */
	io = json_object_get(json_object_get(s, "blkio_stats"), "io_service_bytes_recursive");
	assert_int_equal(json_array_size(io), 4); /* Read/Write of two devices */
	assert_int_equal(at(io, "0.major"), 8);
	assert_string_equal(json_string_value(json_object_get(json_array_get(io, 0), "op")),
	                    "read");
	assert_int_equal(at(io, "1.value"), 8192);
	assert_int_equal(at(io, "2.major"), 253);
	assert_int_equal(at(io, "2.minor"), 1);
	assert_int_equal(json_array_size(json_object_get(json_object_get(s, "blkio_stats"),
	                                                 "io_serviced_recursive")),
	                 2);
	assert_true(json_is_null(
	        json_object_get(json_object_get(s, "blkio_stats"), "sectors_recursive")));
	assert_int_equal(at(s, "num_procs"), 0);
	assert_false(has(s, "networks"));
	assert_non_null(json_string_value(json_object_get(s, "read")));
	/* a limit below the host's memory is kept; pids.max too */
	put(mem, "memory.limit_in_bytes", "268435456\n");
	put(pids, "pids.max", "64\n");
	json_decref(s);
	assert_int_equal(stats_sample(&f->l, "/husk/c1", 0, &s, NULL), 0);
	assert_int_equal(at(s, "memory_stats.limit"), 268435456);
	assert_int_equal(at(s, "pids_stats.limit"), 64);
}

static void test_fake_v1_cpuacct_stat(void **state)
{
	struct fake *f = *state;
	_cleanup_free_ char *acct = fake_v1(f, "cpuacct");
	_cleanup_json_ json_t *s = NULL;
	long hz = sysconf(_SC_CLK_TCK);

	/* an old kernel: no usage_user/usage_sys, ticks in cpuacct.stat */
	put(acct, "cgroup.procs", "");
	put(acct, "cpuacct.usage", "1\n");
	put(acct, "cpuacct.stat", "user 150\nsystem 50\n");
	assert_int_equal(stats_sample(&f->l, "/husk/c1", 0, &s, NULL), 0);
	assert_int_equal(at(s, "cpu_stats.cpu_usage.usage_in_usermode"), 150 * (1000000000 / hz));
	assert_int_equal(at(s, "cpu_stats.cpu_usage.usage_in_kernelmode"), 50 * (1000000000 / hz));
	/* no memory controller: Docker's empty memory_stats */
	assert_int_equal(json_object_size(json_object_get(s, "memory_stats")), 0);
	assert_true(json_is_null(
	        json_object_get(json_object_get(s, "blkio_stats"), "io_service_bytes_recursive")));
}

static void test_fake_v2(void **state)
{
	struct fake *f = *state;
	_cleanup_free_ char *dir = NULL;
	_cleanup_json_ json_t *s = NULL;
	json_t *io;

	f->l.mode = CGROUP_MODE_V2;
	f->l.unified = path_join(f->dir, "unified");
	dir = path_join(f->l.unified, "husk/c2");
	put(dir, "cgroup.procs", "");
	put(dir, "cpu.stat",
	    "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\nnr_periods 4\n"
	    "nr_throttled 1\nthrottled_usec 30\n");
	put(dir, "memory.current", "1000000\n");
	put(dir, "memory.max", "max\n");
	put(dir, "memory.stat", "anon 600000\nfile 400000\ninactive_file 300000\n");
	put(dir, "pids.current", "2\n");
	put(dir, "pids.max", "100\n");
	put(dir, "io.stat", "8:16 rbytes=1024 wbytes=2048 rios=1 wios=2 dbytes=0 dios=0\n");
	assert_int_equal(stats_sample(&f->l, "/husk/c2", 0, &s, NULL), 0);
	assert_int_equal(at(s, "cpu_stats.cpu_usage.total_usage"), 2500000);
	assert_int_equal(at(s, "cpu_stats.cpu_usage.usage_in_usermode"), 2000000);
	assert_int_equal(at(s, "cpu_stats.throttling_data.throttled_time"), 30000);
	assert_false(has(s, "cpu_stats.cpu_usage.percpu_usage")); /* as Docker on v2 */
	assert_int_equal(at(s, "memory_stats.usage"), 1000000);
	assert_false(has(s, "memory_stats.max_usage"));
	assert_int_equal(at(s, "memory_stats.stats.inactive_file"), 300000);
	assert_int_equal((uint64_t)at(s, "memory_stats.limit"), host_mem());
	assert_int_equal(at(s, "pids_stats.limit"), 100);
	io = json_object_get(json_object_get(s, "blkio_stats"), "io_service_bytes_recursive");
	assert_int_equal(json_array_size(io), 2);
	assert_int_equal(at(io, "0.minor"), 16);
	assert_int_equal(at(io, "1.value"), 2048);
}

static void test_bad_paths(void **state)
{
	struct fake *f = *state;
	_cleanup_free_ char *acct = fake_v1(f, "cpuacct");
	static const char *const bad[] = {"husk/c1", "/husk/../../etc", "/husk/..", "", "/a/./b"};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		_cleanup_error_ struct husk_error *err = NULL;
		json_t *s = NULL;

		assert_int_equal(stats_sample(&f->l, bad[i], 0, &s, &err), -EINVAL);
		assert_null(s);
		assert_non_null(strstr(error_message(err), "expected an absolute path"));
	}
	{
		_cleanup_error_ struct husk_error *err = NULL;
		json_t *s = NULL;

		assert_int_equal(stats_sample(&f->l, "/husk/gone", 0, &s, &err), -ENOENT);
		assert_string_equal(error_message(err), "cgroup \"/husk/gone\" does not exist");
		assert_int_equal(stats_sample(&f->l, NULL, 0, &s, NULL), -EINVAL);
	}
}

/* ---- the response and the CLI math ---- */

static void test_response_and_math(void **state)
{
	_cleanup_json_ json_t *cur = json_loads(
	        "{\"read\":\"2026-01-01T00:00:02Z\",\"pids_stats\":{\"current\":5},"
	        "\"blkio_stats\":{\"io_service_bytes_recursive\":[{\"major\":8,\"minor\":0,"
	        "\"op\":\"read\",\"value\":100},{\"major\":8,\"minor\":0,\"op\":\"Write\","
	        "\"value\":50},{\"major\":8,\"minor\":16,\"op\":\"read\",\"value\":1}]},"
	        "\"num_procs\":0,\"storage_stats\":{},"
	        "\"cpu_stats\":{\"cpu_usage\":{\"total_usage\":3000000000,"
	        "\"percpu_usage\":[1,2],\"usage_in_kernelmode\":0,\"usage_in_usermode\":0},"
	        "\"system_cpu_usage\":20000000000,\"online_cpus\":2,\"throttling_data\":{}},"
	        "\"memory_stats\":{\"usage\":1000,\"stats\":{\"total_inactive_file\":200},"
	        "\"limit\":4000},"
	        "\"networks\":{\"eth0\":{\"rx_bytes\":10,\"tx_bytes\":20},"
	        "\"eth1\":{\"rx_bytes\":1,\"tx_bytes\":2}}}",
	        0, NULL);
	_cleanup_json_ json_t *prev = json_loads(
	        "{\"read\":\"2026-01-01T00:00:01Z\",\"cpu_stats\":{\"cpu_usage\":{"
	        "\"total_usage\":2000000000},\"system_cpu_usage\":10000000000,\"online_cpus\":2}}",
	        0, NULL);
	_cleanup_json_ json_t *r1 = NULL, *r2 = NULL;
	static const char *const order[] = {
	        "read",         "preread",       "pids_stats", "blkio_stats",
	        "num_procs",    "storage_stats", "cpu_stats",  "precpu_stats",
	        "memory_stats", "name",          "id",         "networks",
	};
	struct stats_numbers n;
	const char *k;
	json_t *v;
	size_t i = 0;

	assert_non_null(cur);
	assert_non_null(prev);
	r1 = stats_response(cur, NULL, "/c1", "abc");
	assert_non_null(r1);
	json_object_foreach (r1, k, v)
		assert_string_equal(k, order[i++]);
	assert_string_equal(json_string_value(json_object_get(r1, "preread")),
	                    "0001-01-01T00:00:00Z");
	assert_int_equal(at(r1, "precpu_stats.cpu_usage.total_usage"), 0);
	assert_string_equal(json_string_value(json_object_get(r1, "name")), "/c1");
	assert_string_equal(json_string_value(json_object_get(r1, "id")), "abc");
	stats_compute(r1, &n);
	/* zeroed precpu: the CLI's % over the whole life, 3 s of 20 s on 2 CPUs */
	assert_true(n.cpu_percent > 29.999 && n.cpu_percent < 30.001);
	r2 = stats_response(cur, prev, "/c1", "abc");
	assert_string_equal(json_string_value(json_object_get(r2, "preread")),
	                    "2026-01-01T00:00:01Z");
	stats_compute(r2, &n);
	/* 1 s of CPU over 10 s of host CPU on 2 CPUs: 20 % */
	assert_true(n.cpu_percent > 19.999 && n.cpu_percent < 20.001);
	assert_int_equal(n.mem_usage, 800); /* v1: usage - total_inactive_file */
	assert_int_equal(n.mem_limit, 4000);
	assert_true(n.mem_percent > 19.999 && n.mem_percent < 20.001);
	assert_int_equal(n.net_rx, 11);
	assert_int_equal(n.net_tx, 22);
	assert_int_equal(n.blk_read, 101);
	assert_int_equal(n.blk_write, 50);
	assert_int_equal(n.pids, 5);
	/* online_cpus 0: the length of percpu_usage counts */
	json_object_set_new(json_object_get(r2, "cpu_stats"), "online_cpus", json_integer(0));
	stats_compute(r2, &n);
	assert_true(n.cpu_percent > 19.999 && n.cpu_percent < 20.001);
	/* v2: inactive_file */
	json_object_set_new(json_object_get(r2, "memory_stats"), "stats",
	                    json_pack("{s:i}", "inactive_file", 100));
	stats_compute(r2, &n);
	assert_int_equal(n.mem_usage, 900);
	/* a sample from a restarted cgroup (usage went down): 0 %, not garbage */
	json_object_set_new(json_object_get(json_object_get(r2, "cpu_stats"), "cpu_usage"),
	                    "total_usage", json_integer(1));
	stats_compute(r2, &n);
	assert_true(n.cpu_percent == 0.0);
}

/* ---- the host's cgroups ---- */

struct host {
	struct cgroup_layout l;
	char path[64]; /* "/husk-test-stats-<pid>" */
	pid_t child;
	int ready[2], go[2];
	bool net; /* the child made its dummy eth0 */
};

static int host_setup(void **state)
{
	struct host *h = calloc(1, sizeof(*h));

	if (!h || cgroup_probe(NULL, NULL, &h->l, NULL) < 0)
		return -1;
	snprintf(h->path, sizeof(h->path), "/husk-test-stats-%d", (int)getpid());
	h->child = -1;
	h->go[1] = -1;
	*state = h;
	return 0;
}

static const char *const v1_ctrls[] = {"cpu", "cpuacct", "memory", "pids", "blkio"};

static int host_teardown(void **state)
{
	struct host *h = *state;

	if (h->go[1] >= 0)
		close(h->go[1]);
	if (h->child > 0) {
		kill(h->child, SIGKILL);
		waitpid(h->child, NULL, 0);
	}
	for (size_t i = 0; i < ELEMENTSOF(v1_ctrls); i++) {
		const char *m = cgroup_v1_path(&h->l, v1_ctrls[i]);
		_cleanup_free_ char *d = m ? path_join(m, h->path) : NULL;
		if (d)
			(void)rmdir(d);
	}
	if (h->l.unified) {
		_cleanup_free_ char *d = path_join(h->l.unified, h->path);
		(void)rmdir(d);
	}
	cgroup_layout_release(&h->l);
	free(h);
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* In the child: a network namespace with a veth pair eth0/eth1 and a
 * static neighbour, so that datagrams leave through eth0 (counted), then
 * spin. */
static void child_main(int ready_fd, int go_fd, bool with_net)
{
	char ok = 'n', go;
	char *mem;

	if (with_net && unshare(CLONE_NEWNET) == 0 &&
	    system("ip link add eth0 type veth peer name eth1 && "
	           "ip addr add 10.77.0.1/24 dev eth0 && ip link set eth0 up && "
	           "ip link set eth1 up && "
	           "ip neigh add 10.77.0.2 lladdr 02:00:00:00:00:02 dev eth0") == 0) {
		int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9)};
		char buf[1000] = {0};

		inet_pton(AF_INET, "10.77.0.2", &to.sin_addr);
		for (int i = 0; i < 10; i++)
			(void)!sendto(s, buf, sizeof(buf), 0, (struct sockaddr *)&to, sizeof(to));
		ok = 'y';
	}
	(void)!write(ready_fd, &ok, 1);
	/* charged to the memory cgroup it is in now */
	if (read(go_fd, &go, 1) == 1 && (mem = malloc(8 << 20)))
		for (size_t i = 0; i < 8 << 20; i += 4096)
			((volatile char *)mem)[i] = 1; /* volatile: the stores must happen */
	for (volatile uint64_t x = 0;; x++)
		;
}

static void start_child(struct host *h, bool with_net)
{
	char ok = 0;

	assert_int_equal(pipe2(h->ready, O_CLOEXEC), 0);
	assert_int_equal(pipe2(h->go, O_CLOEXEC), 0);
	h->child = fork();
	assert_true(h->child >= 0);
	if (h->child == 0)
		child_main(h->ready[1], h->go[0], with_net);
	close(h->ready[1]);
	close(h->go[0]);
	assert_int_equal(read(h->ready[0], &ok, 1), 1);
	close(h->ready[0]);
	h->net = ok == 'y';
}

/* The child is in its cgroups: let it allocate and spin. */
static void let_go(struct host *h)
{
	assert_int_equal(write(h->go[1], "g", 1), 1);
	h->go[1] = safe_close(h->go[1]);
	sleep_ms(100);
}

/* cgroup files take a plain write (no temp file next to them). */
static void cg_write(const char *dir, const char *file, const char *text)
{
	_cleanup_free_ char *p = path_join(dir, file);
	_cleanup_close_ int fd = open(p, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write_all(fd, text, strlen(text)) < 0)
		fail_msg("write \"%s\" to %s: %s", text, p, strerror(errno));
}

static void join(const char *dir, pid_t pid)
{
	_cleanup_free_ char *text = str_printf("%d", (int)pid);

	assert_int_equal(mkdir_p(dir, 0755), 0);
	cg_write(dir, "cgroup.procs", text);
}

static json_t *sample(struct host *h, struct cgroup_layout *l)
{
	_cleanup_error_ struct husk_error *err = NULL;
	json_t *s = NULL;

	if (stats_sample(l, h->path, h->child, &s, &err) < 0)
		fail_msg("sample: %s", error_message(err));
	return s;
}

static void test_host_v1(void **state)
{
	struct host *h = *state;
	_cleanup_json_ json_t *s1 = NULL, *s2 = NULL, *r = NULL;
	struct stats_numbers n;

	if (geteuid() != 0) {
		printf("# skip: making cgroups needs root\n");
		skip();
	}
	for (size_t i = 0; i < ELEMENTSOF(v1_ctrls); i++)
		if (!cgroup_v1_path(&h->l, v1_ctrls[i])) {
			printf("# skip: no v1 %s hierarchy on this host\n", v1_ctrls[i]);
			skip();
		}
	start_child(h, true);
	for (size_t i = 0; i < ELEMENTSOF(v1_ctrls); i++) {
		_cleanup_free_ char *d = path_join(cgroup_v1_path(&h->l, v1_ctrls[i]), h->path);
		join(d, h->child);
	}
	{
		_cleanup_free_ char *m = path_join(cgroup_v1_path(&h->l, "memory"), h->path);
		_cleanup_free_ char *p = path_join(cgroup_v1_path(&h->l, "pids"), h->path);
		cg_write(m, "memory.limit_in_bytes", "268435456");
		cg_write(p, "pids.max", "50");
	}
	let_go(h);
	s1 = sample(h, &h->l);
	sleep_ms(400);
	s2 = sample(h, &h->l);
	r = stats_response(s2, s1, "/c1", "id1");
	stats_compute(r, &n);
	/* a spinning child: about one CPU's worth (100 %), never more than all */
	printf("# v1: cpu %.1f%%, mem %llu / %llu, pids %llu, net rx %llu tx %llu\n", n.cpu_percent,
	       (unsigned long long)n.mem_usage, (unsigned long long)n.mem_limit,
	       (unsigned long long)n.pids, (unsigned long long)n.net_rx,
	       (unsigned long long)n.net_tx);
	assert_true(n.cpu_percent > 5.0); /* spinning; the host may be busy */
	assert_true(n.cpu_percent <= 100.0 * sysconf(_SC_NPROCESSORS_ONLN) + 5.0);
	assert_true(at(s2, "cpu_stats.cpu_usage.total_usage") >
	            at(s1, "cpu_stats.cpu_usage.total_usage"));
	assert_true(at(s2, "cpu_stats.cpu_usage.usage_in_usermode") > 0);
	assert_true(json_array_size(json_object_get(
	                    json_object_get(json_object_get(s2, "cpu_stats"), "cpu_usage"),
	                    "percpu_usage")) >= (size_t)sysconf(_SC_NPROCESSORS_ONLN));
	assert_int_equal(n.mem_limit, 268435456);
	assert_true(n.mem_usage > 0 && n.mem_usage < 268435456);
	assert_true(n.mem_percent > 0.0 && n.mem_percent < 100.0);
	assert_int_equal(n.pids, 1);
	assert_int_equal(at(s2, "pids_stats.limit"), 50);
	if (h->net) {
		assert_true(has(s2, "networks.eth0"));
		assert_false(has(s2, "networks.lo"));
		assert_true(n.net_tx >= 10000); /* ten 1000-byte datagrams and headers */
		assert_true(n.net_rx >= 10000); /* eth1 got them */
	} else
		printf("# networks not checked: no ip(8) or no veth here\n");
	/* gone: ENOENT */
	kill(h->child, SIGKILL);
	waitpid(h->child, NULL, 0);
	h->child = -1;
	for (size_t i = 0; i < ELEMENTSOF(v1_ctrls); i++) {
		_cleanup_free_ char *d = path_join(cgroup_v1_path(&h->l, v1_ctrls[i]), h->path);
		assert_int_equal(rmdir(d), 0);
	}
	{
		_cleanup_error_ struct husk_error *err = NULL;
		json_t *s = NULL;
		assert_int_equal(stats_sample(&h->l, h->path, 0, &s, &err), -ENOENT);
	}
}

static void test_host_v2(void **state)
{
	struct host *h = *state;
	struct cgroup_layout v2 = {.mode = CGROUP_MODE_V2, .unified = h->l.unified};
	_cleanup_free_ char *dir = NULL;
	_cleanup_json_ json_t *s1 = NULL, *s2 = NULL, *r = NULL;
	struct stats_numbers n;

	if (geteuid() != 0 || !h->l.unified) {
		printf("# skip: no cgroup2 mount on this host, or not root\n");
		skip();
	}
	start_child(h, false);
	dir = path_join(h->l.unified, h->path);
	join(dir, h->child);
	let_go(h);
	s1 = sample(h, &v2);
	sleep_ms(400);
	s2 = sample(h, &v2);
	r = stats_response(s2, s1, "/c2", "id2");
	stats_compute(r, &n);
	printf("# v2: cpu %.1f%% (mode %s)\n", n.cpu_percent, cgroup_mode_name(h->l.mode));
	assert_true(n.cpu_percent > 5.0);  /* spinning; the host may be busy */
	assert_false(has(s2, "networks")); /* the host's network namespace */
	kill(h->child, SIGKILL);
	waitpid(h->child, NULL, 0);
	h->child = -1;
}

#define FAKE(t) cmocka_unit_test_setup_teardown(t, fake_setup, fake_teardown)
#define HOST(t) cmocka_unit_test_setup_teardown(t, host_setup, host_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	        FAKE(test_fake_v1),   FAKE(test_fake_v1_cpuacct_stat),          FAKE(test_fake_v2),
	        FAKE(test_bad_paths), cmocka_unit_test(test_response_and_math), HOST(test_host_v1),
	        HOST(test_host_v2),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
