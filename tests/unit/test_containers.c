/* Unit tests for src/engine/container_*.c: the helpers (names, signals,
 * detach keys, durations, times, wait conditions), the stream relay
 * (framing, tty de-framing across split frames, stdin and its EOF, detach
 * keys, a client that leaves, shutdown), and the container table on a real
 * engine in a temporary data root with the busybox fixture loaded: create
 * (missing image, bad names, conflicts, bad bodies), lookup by name and ID
 * prefix, list filters, inspect's shape, rename, remove, prune, the files
 * written for /etc, and what a reopened engine finds after a crash.
 * Starting containers is left to tests/system (it needs husk-monitor).
 * Runs as root (overlay snapshots). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "engine/container_internal.h"
#include "engine/containers.h"
#include "engine/engine.h"
#include "image/transfer.h"

/* ---- helpers ---- */

static void test_name_valid(void **state)
{
	(void)state;
	assert_true(containers_name_valid("c1"));
	assert_true(containers_name_valid("/c1"));
	assert_true(containers_name_valid("a_b.c-d"));
	assert_true(containers_name_valid("9lives"));
	assert_false(containers_name_valid("c"));
	assert_false(containers_name_valid(""));
	assert_false(containers_name_valid(NULL));
	assert_false(containers_name_valid("_c1"));
	assert_false(containers_name_valid("-c1"));
	assert_false(containers_name_valid("c/1"));
	assert_false(containers_name_valid("c 1"));
	assert_false(containers_name_valid("c:1"));
	assert_false(containers_name_valid("..")); /* starts with a dot */
	{
		char big[300];
		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = 0;
		assert_false(containers_name_valid(big));
	}
}

static void test_parse_signal(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	int sig = 0;

	(void)state;
	assert_int_equal(containers_parse_signal("SIGTERM", &sig, NULL), 0);
	assert_int_equal(sig, SIGTERM);
	assert_int_equal(containers_parse_signal("term", &sig, NULL), 0);
	assert_int_equal(sig, SIGTERM);
	assert_int_equal(containers_parse_signal("KILL", &sig, NULL), 0);
	assert_int_equal(sig, SIGKILL);
	assert_int_equal(containers_parse_signal("9", &sig, NULL), 0);
	assert_int_equal(sig, 9);
	assert_int_equal(containers_parse_signal("sighup", &sig, NULL), 0);
	assert_int_equal(sig, SIGHUP);
	assert_int_equal(containers_parse_signal("FOO", &sig, &err), -EINVAL);
	assert_string_equal(error_message(err), "Invalid signal: FOO");
	assert_int_equal(containers_parse_signal("0", &sig, NULL), -EINVAL);
	assert_int_equal(containers_parse_signal("99", &sig, NULL), -EINVAL);
	assert_int_equal(containers_parse_signal("", &sig, NULL), -EINVAL);
	assert_int_equal(containers_parse_signal("SIGTERMSIGTERMSIGTERMSIGTERMSIGTERM", &sig, NULL),
	                 -EINVAL);
}

static void test_detach_keys(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	unsigned char k[16];
	size_t n = 0;

	(void)state;
	assert_int_equal(containers_parse_detach_keys(NULL, k, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_int_equal(k[0], 0x10);
	assert_int_equal(k[1], 0x11);
	assert_int_equal(containers_parse_detach_keys("ctrl-a,b", k, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_int_equal(k[0], 1);
	assert_int_equal(k[1], 'b');
	assert_int_equal(containers_parse_detach_keys("ctrl-@,ctrl-[,ctrl-_", k, &n, NULL), 0);
	assert_int_equal(n, 3);
	assert_int_equal(k[0], 0);
	assert_int_equal(k[1], 27);
	assert_int_equal(k[2], 31);
	assert_int_equal(containers_parse_detach_keys("ctrl-", k, &n, &err), -EINVAL);
	assert_string_equal(error_message(err), "Invalid detach keys (ctrl-) provided");
	assert_int_equal(containers_parse_detach_keys("ctrl-aa", k, &n, NULL), -EINVAL);
	assert_int_equal(containers_parse_detach_keys("abc", k, &n, NULL), -EINVAL);
	assert_int_equal(containers_parse_detach_keys("ctrl-1", k, &n, NULL), -EINVAL);
	assert_int_equal(containers_parse_detach_keys("a,,b", k, &n, NULL), -EINVAL);
	assert_int_equal(
	        containers_parse_detach_keys("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q", k, &n, NULL),
	        -EINVAL);
}

static void test_human_duration(void **state)
{
	static const struct {
		int64_t s;
		const char *want;
	} cases[] = {
	        {0, "Less than a second"}, {1, "1 second"},          {59, "59 seconds"},
	        {60, "About a minute"},    {119, "About a minute"},  {120, "2 minutes"},
	        {3599, "59 minutes"},      {3600, "About an hour"},  {5400, "2 hours"},
	        {47 * 3600, "47 hours"},   {48 * 3600, "2 days"},    {15 * 86400, "2 weeks"},
	        {70 * 86400, "2 months"},  {800 * 86400, "2 years"},
	};
	char buf[64];

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		containers_human_duration(cases[i].s, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].want);
	}
}

static void test_unix_time(void **state)
{
	int64_t ns = 0;

	(void)state;
	assert_int_equal(containers_parse_unix_time("1700000000", &ns, NULL), 0);
	assert_true(ns == 1700000000LL * 1000000000);
	assert_int_equal(containers_parse_unix_time("1700000000.5", &ns, NULL), 0);
	assert_true(ns == 1700000000LL * 1000000000 + 500000000);
	assert_int_equal(containers_parse_unix_time("1700000000.123456789", &ns, NULL), 0);
	assert_true(ns == 1700000000LL * 1000000000 + 123456789);
	assert_int_equal(containers_parse_unix_time("abc", &ns, NULL), -EINVAL);
	assert_int_equal(containers_parse_unix_time("1.", &ns, NULL), -EINVAL);
	assert_int_equal(containers_parse_unix_time("-5", &ns, NULL), -EINVAL);
	assert_int_equal(containers_parse_unix_time("1.1234567890", &ns, NULL), -EINVAL);
	assert_int_equal(containers_parse_unix_time("1.2x", &ns, NULL), -EINVAL);
	assert_int_equal(containers_parse_unix_time("", &ns, NULL), -EINVAL);
	assert_int_equal(containers_parse_unix_time("99999999999999", &ns, NULL), -EINVAL);
}

static void test_wait_condition(void **state)
{
	enum containers_wait_condition c;

	(void)state;
	assert_int_equal(containers_wait_condition_parse(NULL, &c, NULL), 0);
	assert_int_equal(c, CONTAINERS_WAIT_NOT_RUNNING);
	assert_int_equal(containers_wait_condition_parse("next-exit", &c, NULL), 0);
	assert_int_equal(c, CONTAINERS_WAIT_NEXT_EXIT);
	assert_int_equal(containers_wait_condition_parse("removed", &c, NULL), 0);
	assert_int_equal(c, CONTAINERS_WAIT_REMOVED);
	assert_int_equal(containers_wait_condition_parse("gone", &c, NULL), -EINVAL);
}

/* ---- the relay ---- */

struct relay_fx {
	int mon[2];  /* [0] relay side, [1] the "monitor" */
	int sock[2]; /* [0] relay side, [1] the "client" */
	int shutdown;
	struct relay_opts o;
	const char *pending;
	int result;
	pthread_t t;
};

static void *relay_thread(void *p)
{
	struct relay_fx *f = p;

	f->result = relay_streams(f->mon[0], f->sock[0], f->pending,
	                          f->pending ? strlen(f->pending) : 0, f->shutdown, &f->o);
	return NULL;
}

static void relay_start(struct relay_fx *f, bool tty, bool in, const char *pending)
{
	static const unsigned char keys[] = {0x10, 0x11};

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, f->mon), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, f->sock), 0);
	f->shutdown = eventfd(0, EFD_CLOEXEC);
	f->o = (struct relay_opts){tty, in, keys, 2};
	f->pending = pending;
	f->result = 99;
	assert_int_equal(pthread_create(&f->t, NULL, relay_thread, f), 0);
}

static int relay_end(struct relay_fx *f)
{
	pthread_join(f->t, NULL);
	close(f->mon[0]);
	close(f->mon[1]);
	close(f->sock[0]);
	if (f->sock[1] >= 0)
		close(f->sock[1]);
	close(f->shutdown);
	return f->result;
}

/* Read exactly n bytes (with a timeout). */
static void read_exact(int fd, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t r;
		assert_int_equal(poll(&p, 1, 5000), 1);
		r = read(fd, (char *)buf + got, n - got);
		assert_true(r > 0);
		got += (size_t)r;
	}
}

static void test_relay_frames(void **state)
{
	struct relay_fx f;
	unsigned char frame[] = {1, 0, 0, 0, 0, 0, 0, 3, 'h', 'i', '\n',
	                         2, 0, 0, 0, 0, 0, 0, 2, 'e', '\n'};
	unsigned char got[sizeof(frame)];

	(void)state;
	relay_start(&f, false, false, NULL);
	assert_int_equal(write_all(f.mon[1], frame, sizeof(frame)), 0);
	read_exact(f.sock[1], got, sizeof(got));
	assert_memory_equal(got, frame, sizeof(frame)); /* passed through as is */
	shutdown(f.mon[1], SHUT_WR);                    /* output ends */
	assert_int_equal(relay_end(&f), 0);
}

static void test_relay_tty_deframe(void **state)
{
	struct relay_fx f;
	/* frames split at awkward places: inside a header, inside a payload */
	const unsigned char a[] = {1, 0, 0};
	const unsigned char b[] = {0, 0, 0, 0, 5, 'h', 'e'};
	const unsigned char c[] = {'l', 'l', 'o', 1, 0, 0, 0, 0, 0, 0, 1, '!'};
	char got[6];

	(void)state;
	relay_start(&f, true, false, NULL);
	write_all(f.mon[1], a, sizeof(a));
	usleep(20000);
	write_all(f.mon[1], b, sizeof(b));
	usleep(20000);
	write_all(f.mon[1], c, sizeof(c));
	read_exact(f.sock[1], got, 6);
	assert_memory_equal(got, "hello!", 6);
	shutdown(f.mon[1], SHUT_WR);
	assert_int_equal(relay_end(&f), 0);
}

static void test_relay_stdin(void **state)
{
	struct relay_fx f;
	char got[16] = {0};

	(void)state;
	relay_start(&f, false, true, "early ");
	write_all(f.sock[1], "late", 4);
	read_exact(f.mon[1], got, 10);
	assert_memory_equal(got, "early late", 10);
	/* the client closes its stdin: the monitor sees EOF, output goes on */
	shutdown(f.sock[1], SHUT_WR);
	{
		struct pollfd p = {f.mon[1], POLLIN, 0};
		assert_int_equal(poll(&p, 1, 5000), 1);
		assert_int_equal(read(f.mon[1], got, sizeof(got)), 0);
	}
	write_all(f.mon[1], "\1\0\0\0\0\0\0\2ok", 10);
	read_exact(f.sock[1], got, 10);
	assert_memory_equal(got + 8, "ok", 2);
	shutdown(f.mon[1], SHUT_WR);
	assert_int_equal(relay_end(&f), 0);
}

static void test_relay_detach_keys(void **state)
{
	struct relay_fx f;
	char got[8] = {0};

	(void)state;
	relay_start(&f, true, true, NULL);
	/* ctrl-p then 'x': not the sequence, both go through */
	write_all(f.sock[1], "\x10x", 2);
	read_exact(f.mon[1], got, 2);
	assert_memory_equal(got, "\x10x", 2);
	/* ctrl-p ctrl-p ctrl-q: the first goes through, then detach */
	write_all(f.sock[1], "a\x10\x10\x11z", 5);
	read_exact(f.mon[1], got, 2);
	assert_memory_equal(got, "a\x10", 2);
	assert_int_equal(relay_end(&f), 1);
}

static void test_relay_no_detach_without_tty(void **state)
{
	struct relay_fx f;
	char got[4];

	(void)state;
	relay_start(&f, false, true, NULL);
	write_all(f.sock[1], "\x10\x11", 2);
	read_exact(f.mon[1], got, 2);
	assert_memory_equal(got, "\x10\x11", 2);
	shutdown(f.mon[1], SHUT_WR);
	assert_int_equal(relay_end(&f), 0);
}

static void test_relay_client_leaves(void **state)
{
	struct relay_fx f;

	(void)state;
	relay_start(&f, false, false, NULL);
	close(f.sock[1]);
	f.sock[1] = -1;
	assert_int_equal(relay_end(&f), -1);
}

static void test_relay_shutdown(void **state)
{
	struct relay_fx f;
	uint64_t one = 1;

	(void)state;
	relay_start(&f, false, true, NULL);
	assert_int_equal(write(f.shutdown, &one, sizeof(one)), (ssize_t)sizeof(one));
	assert_int_equal(relay_end(&f), -1);
}

static void test_write_frame(void **state)
{
	int p[2];
	unsigned char got[16];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write_frame(p[1], false, 2, "abc", 3), 0);
	assert_int_equal(write_frame(p[1], true, 2, "de", 2), 0);
	close(p[1]);
	assert_int_equal(read_full(p[0], got, sizeof(got)), 13);
	assert_memory_equal(got, "\2\0\0\0\0\0\0\3abcde", 13);
	close(p[0]);
}

/* ---- the table on a real engine ---- */

struct efx {
	char dir[64];
	struct engine *e;
	char *data_root;
};

static struct engine *open_engine(const char *dir)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct engine_config cfg;
	struct engine *e = NULL;

	assert_int_equal(engine_config_init(&cfg), 0);
	free(cfg.data_root);
	free(cfg.exec_root);
	free(cfg.config_file);
	cfg.data_root = str_printf("%s/root", dir);
	cfg.exec_root = str_printf("%s/run", dir);
	cfg.config_file = str_printf("%s/daemon.json", dir);
	assert_int_equal(engine_config_load(&cfg, false, NULL, &err), 0);
	if (engine_open(&cfg, &e, &err) < 0)
		fail_msg("engine_open: %s", error_message(err));
	return e;
}

static void load_busybox(struct engine *e)
{
	_cleanup_error_ struct husk_error *err = NULL;
	const char *src = getenv("HUSK_SRC");
	_cleanup_free_ char *cmd = str_printf("%s/tests/fixtures/mkbusybox.sh", src ? src : ".");
	_cleanup_free_ char *tar = NULL;
	char out[4096] = "";
	FILE *p = popen(cmd, "r");
	int fd;

	assert_non_null(p);
	assert_non_null(fgets(out, sizeof(out), p));
	pclose(p);
	out[strcspn(out, "\n")] = 0;
	tar = str_printf("%s/busybox.tar", out);
	fd = open(tar, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	if (image_load(e->store, fd, NULL, NULL, NULL, &err) < 0)
		fail_msg("load: %s", error_message(err));
	close(fd);
}

static int efx_setup(void **state)
{
	struct efx *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/husk-test-containers-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->e = open_engine(f->dir);
	load_busybox(f->e);
	*state = f;
	return 0;
}

static int efx_teardown(void **state)
{
	struct efx *f = *state;

	engine_free(f->e);
	rm_rf(f->dir);
	free(f);
	return 0;
}

static json_t *body_of(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);

	assert_non_null(j);
	return j;
}

/* Create and return the new ID (malloc'd). */
static char *create(struct engine *e, const char *name, const char *body_text)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *body = body_of(body_text), *out = NULL;

	if (containers_create(e->containers, name, NULL, body, &out, &err) < 0)
		fail_msg("create: %s", error_message(err));
	assert_true(json_is_array(json_object_get(out, "Warnings")));
	return strdup(json_string_value(json_object_get(out, "Id")));
}

static void test_create_errors(void **state)
{
	struct efx *f = *state;
	struct containers *cs = f->e->containers;
	_cleanup_free_ char *id = NULL;
	struct husk_error *err = NULL;
	json_t *out = NULL, *b;

	b = body_of("{\"Image\":\"nosuch\",\"Cmd\":[\"true\"]}");
	assert_int_equal(containers_create(cs, NULL, NULL, b, &out, &err), -ENOENT);
	assert_string_equal(error_message(err), "No such image: nosuch:latest");
	error_free(err), err = NULL, json_decref(b);

	b = body_of("{\"Image\":\"busybox\",\"Cmd\":[\"true\"]}");
	assert_int_equal(containers_create(cs, "-bad", NULL, b, &out, &err), -EINVAL);
	assert_non_null(strstr(error_message(err), "Invalid container name (-bad)"));
	error_free(err), err = NULL;
	assert_int_equal(containers_create(cs, NULL, "linux/s390x", b, &out, &err), -ENOENT);
	assert_non_null(strstr(error_message(err), "does not match the specified platform"));
	error_free(err), err = NULL, json_decref(b);

	b = body_of("{\"Cmd\":[\"true\"]}");
	assert_int_equal(containers_create(cs, NULL, NULL, b, &out, &err), -EINVAL);
	error_free(err), err = NULL, json_decref(b);

	b = body_of("{\"Image\":\"busybox\",\"HostConfig\":{\"Memory\":1}}");
	assert_int_equal(containers_create(cs, NULL, NULL, b, &out, &err), -EINVAL);
	error_free(err), err = NULL, json_decref(b);

	b = body_of("{\"Image\":\"busybox\",\"HostConfig\":{\"LogConfig\":{\"Type\":\"syslog\"}}}");
	assert_int_equal(containers_create(cs, NULL, NULL, b, &out, &err), -EINVAL);
	assert_non_null(strstr(error_message(err), "logging driver \"syslog\""));
	error_free(err), err = NULL, json_decref(b);

	b = body_of("{\"Image\":\"busybox\",\"HostConfig\":{\"LogConfig\":{\"Type\":\"json-file\","
	            "\"Config\":{\"max-size\":\"ten\"}}}}");
	assert_int_equal(containers_create(cs, NULL, NULL, b, &out, &err), -EINVAL);
	error_free(err), err = NULL, json_decref(b);

	assert_int_equal(containers_create(cs, NULL, NULL, NULL, &out, &err), -EINVAL);
	error_free(err), err = NULL;

	/* a conflict names the holder, in Docker's words */
	id = create(f->e, "dup", "{\"Image\":\"busybox\",\"Cmd\":[\"true\"]}");
	b = body_of("{\"Image\":\"busybox\",\"Cmd\":[\"true\"]}");
	assert_int_equal(containers_create(cs, "/dup", NULL, b, &out, &err), -EEXIST);
	{
		_cleanup_free_ char *want = str_printf("Conflict. The container name \"/dup\" is "
		                                       "already in use by container \"%s\". "
		                                       "You have to remove (or rename) that "
		                                       "container to be able to reuse that name.",
		                                       id);
		assert_string_equal(error_message(err), want);
	}
	error_free(err), err = NULL, json_decref(b);
	assert_int_equal(containers_remove(cs, "dup", false, false, NULL), 0);
}

static void test_create_inspect(void **state)
{
	struct efx *f = *state;
	struct containers *cs = f->e->containers;
	_cleanup_free_ char *id = NULL, *hosts = NULL, *hn = NULL;
	_cleanup_json_ json_t *j = NULL;
	json_t *st, *cfg;

	id = create(f->e, "c1",
	            "{\"Image\":\"busybox\",\"Cmd\":[\"echo\",\"hi\"],\"Labels\":{\"a\":\"1\"},"
	            "\"HostConfig\":{\"NetworkMode\":\"none\",\"ExtraHosts\":[\"db:10.0.0.2\"]}}");
	assert_int_equal(strlen(id), 64);
	assert_int_equal(containers_inspect(cs, "c1", false, &j, NULL), 0);
	assert_string_equal(json_string_value(json_object_get(j, "Id")), id);
	assert_string_equal(json_string_value(json_object_get(j, "Name")), "/c1");
	assert_string_equal(json_string_value(json_object_get(j, "Path")), "echo");
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "Args"), 0)), "hi");
	st = json_object_get(j, "State");
	assert_string_equal(json_string_value(json_object_get(st, "Status")), "created");
	assert_false(json_is_true(json_object_get(st, "Running")));
	assert_string_equal(json_string_value(json_object_get(st, "StartedAt")),
	                    "0001-01-01T00:00:00Z");
	assert_non_null(startswith(json_string_value(json_object_get(j, "Image")), "sha256:"));
	assert_string_equal(json_string_value(json_object_get(j, "Platform")), "linux");
	assert_true(json_is_null(json_object_get(j, "ExecIDs")));
	assert_true(
	        json_is_object(json_object_get(json_object_get(j, "NetworkSettings"), "Networks")));
	assert_non_null(json_object_get(
	        json_object_get(json_object_get(j, "NetworkSettings"), "Networks"), "none"));
	cfg = json_object_get(j, "Config");
	{
		char short_id[13];
		snprintf(short_id, sizeof(short_id), "%.12s", id);
		assert_string_equal(json_string_value(json_object_get(cfg, "Hostname")), short_id);
	}
	assert_string_equal(json_string_value(json_object_get(cfg, "Image")), "busybox");
	assert_true(json_is_object(json_object_get(j, "GraphDriver")));
	assert_string_equal(json_string_value(json_object_get(j, "Driver")), f->e->storage_driver);
	/* the /etc files */
	assert_int_equal(read_file(json_string_value(json_object_get(j, "HostsPath")), 1 << 16,
	                           &hosts, NULL, NULL),
	                 0);
	assert_non_null(strstr(hosts, "127.0.0.1\tlocalhost\n"));
	assert_non_null(strstr(hosts, "10.0.0.2\tdb\n"));
	assert_int_equal(read_file(json_string_value(json_object_get(j, "HostnamePath")), 1 << 16,
	                           &hn, NULL, NULL),
	                 0);
	assert_int_equal(strlen(hn), 13);
	/* size */
	json_decref(j);
	assert_int_equal(containers_inspect(cs, id, true, &j, NULL), 0);
	assert_true(json_is_integer(json_object_get(j, "SizeRootFs")));
	assert_true(json_integer_value(json_object_get(j, "SizeRootFs")) > 0);
	assert_int_equal(containers_remove(cs, id, false, false, NULL), 0);
}

static void test_lookup_rename(void **state)
{
	struct efx *f = *state;
	struct containers *cs = f->e->containers;
	_cleanup_free_ char *a = create(f->e, "ra", "{\"Image\":\"busybox\",\"Cmd\":[\"true\"]}");
	_cleanup_free_ char *b = create(f->e, "rb", "{\"Image\":\"busybox\",\"Cmd\":[\"true\"]}");
	struct husk_error *err = NULL;
	char id[65], prefix[13];

	assert_int_equal(containers_resolve(cs, "ra", id, NULL), 0);
	assert_string_equal(id, a);
	assert_int_equal(containers_resolve(cs, "/rb", id, NULL), 0);
	assert_string_equal(id, b);
	snprintf(prefix, sizeof(prefix), "%.12s", a);
	assert_int_equal(containers_resolve(cs, prefix, id, NULL), 0);
	assert_string_equal(id, a);
	assert_int_equal(containers_resolve(cs, "nosuch", id, &err), -ENOENT);
	assert_string_equal(error_message(err), "No such container: nosuch");
	error_free(err), err = NULL;
	/* "" is a prefix of every ID but not a key */
	assert_int_equal(containers_resolve(cs, "", id, NULL), -ENOENT);

	assert_int_equal(containers_rename(cs, "ra", "rc", NULL), 0);
	assert_int_equal(containers_resolve(cs, "ra", id, NULL), -ENOENT);
	assert_int_equal(containers_resolve(cs, "rc", id, NULL), 0);
	assert_int_equal(containers_rename(cs, "rc", "rb", &err), -EEXIST);
	assert_non_null(strstr(error_message(err), "is already in use by container"));
	error_free(err), err = NULL;
	assert_int_equal(containers_rename(cs, "rc", "rc", NULL), -EINVAL);
	assert_int_equal(containers_rename(cs, "rc", "bad name", NULL), -EINVAL);
	assert_int_equal(containers_rename(cs, "rc", "", NULL), -EINVAL);
	assert_int_equal(containers_remove(cs, "rc", false, false, NULL), 0);
	assert_int_equal(containers_remove(cs, "rb", false, false, NULL), 0);
	assert_int_equal(containers_remove(cs, "rb", false, false, &err), -ENOENT);
	error_free(err);
}

static size_t list_count(struct containers *cs, bool all, const char *filters)
{
	_cleanup_json_ json_t *fj = filters ? body_of(filters) : NULL, *out = NULL;
	struct containers_list_opts o = {.all = all, .filters = fj};
	_cleanup_error_ struct husk_error *err = NULL;

	if (containers_list(cs, &o, &out, &err) < 0)
		fail_msg("list: %s", error_message(err));
	return json_array_size(out);
}

static void test_list_filters(void **state)
{
	struct efx *f = *state;
	struct containers *cs = f->e->containers;
	_cleanup_free_ char *a = create(f->e, "web1",
	                                "{\"Image\":\"busybox\",\"Cmd\":[\"true\"],"
	                                "\"Labels\":{\"tier\":\"web\",\"x\":\"1\"}}");
	_cleanup_free_ char *b = create(f->e, "db1",
	                                "{\"Image\":\"busybox\",\"Cmd\":[\"true\"],"
	                                "\"Labels\":{\"tier\":\"db\"},"
	                                "\"HostConfig\":{\"NetworkMode\":\"host\"}}");
	_cleanup_json_ json_t *out = NULL, *fj = NULL;
	struct containers_list_opts o = {.all = true};
	struct husk_error *err = NULL;
	char q[200];

	assert_int_equal(list_count(cs, false, NULL), 0); /* none running */
	assert_int_equal(list_count(cs, true, NULL), 2);
	assert_int_equal(list_count(cs, false, "{\"status\":{\"created\":true}}"), 2);
	assert_int_equal(list_count(cs, true, "{\"status\":[\"exited\"]}"), 0);
	assert_int_equal(list_count(cs, true, "{\"name\":{\"web\":true}}"), 1);
	assert_int_equal(list_count(cs, true, "{\"name\":{\"^/db1$\":true}}"), 1);
	assert_int_equal(list_count(cs, true, "{\"name\":{\"^db1$\":true}}"), 1);
	assert_int_equal(list_count(cs, true, "{\"label\":{\"tier\":true}}"), 2);
	assert_int_equal(list_count(cs, true, "{\"label\":{\"tier=web\":true}}"), 1);
	assert_int_equal(list_count(cs, true, "{\"label\":{\"tier=web\":true,\"x=1\":true}}"), 1);
	assert_int_equal(list_count(cs, true, "{\"label\":{\"tier=web\":true,\"x=2\":true}}"), 0);
	snprintf(q, sizeof(q), "{\"id\":{\"%.10s\":true}}", a);
	assert_int_equal(list_count(cs, true, q), 1);
	assert_int_equal(list_count(cs, true, "{\"ancestor\":{\"busybox\":true}}"), 2);
	assert_int_equal(list_count(cs, true, "{\"ancestor\":{\"nosuch\":true}}"), 0);
	assert_int_equal(list_count(cs, true, "{\"network\":{\"host\":true}}"), 1);
	assert_int_equal(list_count(cs, true, "{\"network\":{\"bridge\":true}}"), 1);
	assert_int_equal(list_count(cs, true, "{\"since\":{\"web1\":true}}"), 1);
	assert_int_equal(list_count(cs, true, "{\"before\":{\"db1\":true}}"), 1);
	assert_int_equal(list_count(cs, true, "{\"health\":{\"none\":true}}"), 2);
	assert_int_equal(list_count(cs, true, "{\"is-task\":{\"true\":true}}"), 0);

	/* newest first; limit */
	o.limit = 1;
	assert_int_equal(containers_list(cs, &o, &out, NULL), 0);
	assert_int_equal(json_array_size(out), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(out, 0), "Id")), b);
	assert_string_equal(json_string_value(json_array_get(
	                            json_object_get(json_array_get(out, 0), "Names"), 0)),
	                    "/db1");
	assert_string_equal(json_string_value(json_object_get(json_array_get(out, 0), "Status")),
	                    "Created");
	assert_string_equal(json_string_value(json_object_get(json_array_get(out, 0), "Command")),
	                    "true");

	/* bad filters are refused */
	fj = body_of("{\"status\":{\"sleeping\":true}}");
	o = (struct containers_list_opts){.all = true, .filters = fj};
	assert_int_equal(containers_list(cs, &o, &out, &err), -EINVAL);
	assert_string_equal(error_message(err), "invalid filter 'status=sleeping'");
	error_free(err), err = NULL, json_decref(fj);
	fj = body_of("{\"colour\":{\"red\":true}}");
	o.filters = fj;
	assert_int_equal(containers_list(cs, &o, &out, &err), -EINVAL);
	assert_string_equal(error_message(err), "invalid filter 'colour'");
	error_free(err), err = NULL, json_decref(fj);
	fj = body_of("{\"name\":{\"(\":true}}");
	o.filters = fj;
	assert_int_equal(containers_list(cs, &o, &out, &err), -EINVAL);
	error_free(err), err = NULL, json_decref(fj);
	fj = body_of("{\"exited\":{\"x\":true}}");
	o.filters = fj;
	assert_int_equal(containers_list(cs, &o, &out, &err), -EINVAL);
	error_free(err), err = NULL, json_decref(fj);
	fj = body_of("{\"before\":{\"nosuch\":true}}");
	o.filters = fj;
	assert_int_equal(containers_list(cs, &o, &out, &err), -ENOENT);
	error_free(err), err = NULL, json_decref(fj);
	fj = NULL;

	/* prune removes the stopped ones that match */
	{
		_cleanup_json_ json_t *pf = body_of("{\"label\":{\"tier=db\":true}}"), *res = NULL;
		assert_int_equal(containers_prune(cs, pf, &res, NULL), 0);
		assert_int_equal(json_array_size(json_object_get(res, "ContainersDeleted")), 1);
		json_decref(res);
		assert_int_equal(containers_prune(cs, NULL, &res, NULL), 0);
		assert_int_equal(json_array_size(json_object_get(res, "ContainersDeleted")), 1);
		json_decref(res);
		assert_int_equal(containers_prune(cs, NULL, &res, NULL), 0);
		assert_true(json_is_null(json_object_get(res, "ContainersDeleted")));
		json_decref(res);
		res = NULL;
		pf = (json_decref(pf), body_of("{\"dangling\":{\"true\":true}}"));
		assert_int_equal(containers_prune(cs, pf, &res, NULL), -EINVAL);
	}
	assert_int_equal(list_count(cs, true, NULL), 0);
}

static void test_not_running_ops(void **state)
{
	struct efx *f = *state;
	struct containers *cs = f->e->containers;
	_cleanup_free_ char *id =
	        create(f->e, "idle", "{\"Image\":\"busybox\",\"Cmd\":[\"true\"]}");
	_cleanup_json_ json_t *body = body_of("{\"Cmd\":[\"true\"]}"), *out = NULL;
	struct husk_error *err = NULL;
	char *exec_id = NULL;

	assert_int_equal(containers_stop(cs, "idle", false, 0, NULL, NULL), -EALREADY);
	assert_int_equal(containers_kill(cs, "idle", NULL, &err), -EBUSY);
	assert_non_null(strstr(error_message(err), "is not running"));
	error_free(err), err = NULL;
	assert_int_equal(containers_kill(cs, "idle", "NOPE", &err), -EINVAL);
	error_free(err), err = NULL;
	assert_int_equal(containers_pause(cs, "idle", NULL), -EBUSY);
	assert_int_equal(containers_unpause(cs, "idle", NULL), -EBUSY);
	assert_int_equal(containers_resize(cs, "idle", 10, 10, NULL), -EBUSY);
	assert_int_equal(containers_top(cs, "idle", NULL, &out, NULL), -EBUSY);
	assert_int_equal(containers_exec_create(cs, "idle", body, &exec_id, &err), -EBUSY);
	assert_non_null(strstr(error_message(err), "is not running"));
	error_free(err), err = NULL;
	assert_int_equal(containers_exec_inspect(cs, "nosuch", &out, &err), -ENOENT);
	assert_string_equal(error_message(err), "No such exec instance: nosuch");
	error_free(err), err = NULL;
	assert_int_equal(containers_top(cs, "idle", "-o pid=PID", &out, &err), -EBUSY);
	error_free(err), err = NULL;
	/* update of a stopped container is recorded */
	json_decref(body);
	body = body_of("{\"Memory\":67108864,\"MemorySwap\":134217728,"
	               "\"RestartPolicy\":{\"Name\":\"on-failure\",\"MaximumRetryCount\":2}}");
	assert_int_equal(containers_update(cs, "idle", body, &out, &err), 0);
	json_decref(out);
	assert_int_equal(containers_inspect(cs, "idle", false, &out, NULL), 0);
	assert_int_equal(
	        json_integer_value(json_object_get(json_object_get(out, "HostConfig"), "Memory")),
	        67108864);
	assert_string_equal(
	        json_string_value(json_object_get(
	                json_object_get(json_object_get(out, "HostConfig"), "RestartPolicy"),
	                "Name")),
	        "on-failure");
	json_decref(body);
	body = body_of("{\"RestartPolicy\":{\"Name\":\"sometimes\"}}");
	assert_int_equal(containers_update(cs, "idle", body, &out, &err), -EINVAL);
	error_free(err), err = NULL;
	assert_int_equal(containers_remove(cs, "idle", false, false, NULL), 0);
}

/* What a reopened engine does with the debris of a crash. */
static void test_reopen_after_crash(void **state)
{
	struct efx *f = *state;
	_cleanup_free_ char *keep =
	        create(f->e, "keep", "{\"Image\":\"busybox\",\"Cmd\":[\"true\"]}");
	_cleanup_free_ char *gone =
	        create(f->e, "gone", "{\"Image\":\"busybox\",\"Cmd\":[\"true\"]}");
	_cleanup_free_ char *half = str_printf("%s/root/containers/%064d", f->dir, 7);
	_cleanup_free_ char *rec = NULL, *text = NULL;
	char id[65];
	_cleanup_strv_ char **snaps = NULL;

	/* a create cut short before its record: a bare directory */
	assert_int_equal(mkdir(half, 0700), 0);
	/* a removal cut short: the record says "removing" */
	rec = str_printf("%s/root/containers/%s/config.v2.json", f->dir, gone);
	assert_int_equal(read_file(rec, 1 << 20, &text, NULL, NULL), 0);
	{
		const char *from = "\"Status\":\"created\"";
		char *p = strstr(text, from), *edited;
		assert_non_null(p);
		edited = str_printf("%.*s\"Status\":\"removing\"%s", (int)(p - text), text,
		                    p + strlen(from));
		free(text);
		text = edited;
	}
	assert_int_equal(atomic_write_file(rec, text, strlen(text), 0600, NULL), 0);
	engine_free(f->e);
	f->e = open_engine(f->dir);
	containers_restore(f->e->containers);
	assert_int_equal(containers_resolve(f->e->containers, "keep", id, NULL), 0);
	assert_string_equal(id, keep);
	assert_int_equal(containers_resolve(f->e->containers, gone, id, NULL), -ENOENT);
	assert_int_equal(access(half, F_OK), -1);
	/* removed containers' root filesystems go in the background */
	for (int i = 0; i < 100; i++) {
		strv_free(snaps);
		snaps = NULL;
		assert_int_equal(store_snapshot_list(f->e->store, &snaps, NULL), 0);
		if (strv_length(snaps) == 1)
			break;
		usleep(50000);
	}
	assert_int_equal(strv_length(snaps), 1);
	assert_string_equal(snaps[0], keep);
	assert_int_equal(containers_remove(f->e->containers, "keep", false, false, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest pure[] = {
	        cmocka_unit_test(test_name_valid),
	        cmocka_unit_test(test_parse_signal),
	        cmocka_unit_test(test_detach_keys),
	        cmocka_unit_test(test_human_duration),
	        cmocka_unit_test(test_unix_time),
	        cmocka_unit_test(test_wait_condition),
	        cmocka_unit_test(test_relay_frames),
	        cmocka_unit_test(test_relay_tty_deframe),
	        cmocka_unit_test(test_relay_stdin),
	        cmocka_unit_test(test_relay_detach_keys),
	        cmocka_unit_test(test_relay_no_detach_without_tty),
	        cmocka_unit_test(test_relay_client_leaves),
	        cmocka_unit_test(test_relay_shutdown),
	        cmocka_unit_test(test_write_frame),
	};
	const struct CMUnitTest engine[] = {
	        cmocka_unit_test(test_create_errors),   cmocka_unit_test(test_create_inspect),
	        cmocka_unit_test(test_lookup_rename),   cmocka_unit_test(test_list_filters),
	        cmocka_unit_test(test_not_running_ops), cmocka_unit_test(test_reopen_after_crash),
	};
	int r;

	signal(SIGPIPE, SIG_IGN);
	r = cmocka_run_group_tests_name("containers_helpers", pure, NULL, NULL);
	if (geteuid() != 0) {
		printf("# skipping the engine tests: they need root (overlay snapshots)\n");
		return r;
	}
	return r |
	       cmocka_run_group_tests_name("containers_engine", engine, efx_setup, efx_teardown);
}
