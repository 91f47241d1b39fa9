/* Unit tests for src/runtime/rootfs*.c on the real kernel: each test forks
 * a child that unshares a mount namespace (and the network, IPC, UTS and
 * cgroup namespaces its spec asks for), prepares, pivots into and
 * finalizes a private copy of the busybox rootfs (tests/fixtures/
 * mkbusybox.sh), and checks from inside; it reports through its exit
 * status and a pipe. The parent asserts that verdict and that its own
 * mount table is what it was. Needs root. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "base/fs.h"
#include "base/str.h"
#include "oci/runtime_spec.h"
#include "runtime/rootfs.h"
#include "runtime/rootfs_internal.h"

#ifndef MQUEUE_MAGIC
#define MQUEUE_MAGIC 0x19800202
#endif

/* In a child: report the failed check on stderr (the parent's pipe). */
#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			dprintf(STDERR_FILENO, "%s:%d: %s (errno %d %s)\n", __FILE__, __LINE__,    \
			        #cond, errno, strerror(errno));                                    \
			_exit(1);                                                                  \
		}                                                                                  \
	} while (0)

/* ---- specs built by hand: runc's `runc spec`, as the fixture has it ---- */

#define S(x) ((char *)(x))

struct tspec {
	struct oci_spec s;
	struct oci_mount mounts[16];
	struct oci_namespace ns[8];
	struct oci_device devs[4];
	struct oci_kv sysctl[4];
	char *masked[16], *readonly[8];
};

static const char *const default_masked[] = {
        "/proc/acpi",
        "/proc/asound",
        "/proc/kcore",
        "/proc/keys",
        "/proc/latency_stats",
        "/proc/timer_list",
        "/proc/timer_stats",
        "/proc/sched_debug",
        "/sys/firmware",
        "/proc/scsi",
        NULL,
};
static const char *const default_readonly[] = {
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

static struct oci_mount *add_mount(struct tspec *t, const char *dest, const char *type,
                                   const char *src, unsigned long flags, const char *data)
{
	struct oci_mount *m = &t->mounts[t->s.n_mounts++];

	assert_true(t->s.n_mounts <= ELEMENTSOF(t->mounts));
	*m = (struct oci_mount){.destination = S(dest),
	                        .type = S(type),
	                        .source = S(src),
	                        .flags = flags,
	                        .data = S(data)};
	if (flags & MS_BIND) {
		m->bind = true;
		m->recursive = flags & MS_REC;
	}
	return m;
}

static void add_ns(struct tspec *t, enum oci_ns_type type)
{
	t->ns[t->s.linux_.n_namespaces++] = (struct oci_namespace){.type = type};
}

static void add_sysctl(struct tspec *t, const char *key, const char *value)
{
	t->sysctl[t->s.linux_.n_sysctl++] = (struct oci_kv){S(key), S(value)};
}

static void default_spec(struct tspec *t)
{
	const unsigned long std = MS_NOSUID | MS_NOEXEC | MS_NODEV;

	memset(t, 0, sizeof(*t));
	t->s.mounts = t->mounts;
	t->s.linux_.namespaces = t->ns;
	t->s.linux_.devices = t->devs;
	t->s.linux_.sysctl = t->sysctl;
	t->s.root_readonly = true;
	add_mount(t, "/proc", "proc", "proc", 0, NULL);
	add_mount(t, "/dev", "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
	add_mount(t, "/dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
	          "newinstance,ptmxmode=0666,mode=0620,gid=5");
	add_mount(t, "/dev/shm", "tmpfs", "shm", std, "mode=1777,size=65536k");
	add_mount(t, "/dev/mqueue", "mqueue", "mqueue", std, NULL);
	add_mount(t, "/sys", "sysfs", "sysfs", std | MS_RDONLY, NULL);
	add_mount(t, "/sys/fs/cgroup", "cgroup", "cgroup", std | MS_RELATIME | MS_RDONLY, NULL);
	add_ns(t, OCI_NS_PID);
	add_ns(t, OCI_NS_NETWORK);
	add_ns(t, OCI_NS_IPC);
	add_ns(t, OCI_NS_UTS);
	add_ns(t, OCI_NS_MOUNT);
	add_ns(t, OCI_NS_CGROUP);
	for (size_t i = 0; default_masked[i]; i++)
		t->masked[i] = S(default_masked[i]);
	for (size_t i = 0; default_readonly[i]; i++)
		t->readonly[i] = S(default_readonly[i]);
	t->s.linux_.masked_paths = t->masked;
	t->s.linux_.readonly_paths = t->readonly;
}

static void drop_ns(struct tspec *t, enum oci_ns_type type)
{
	struct oci_linux *l = &t->s.linux_;

	for (size_t i = 0; i < l->n_namespaces; i++)
		if (l->namespaces[i].type == type)
			l->namespaces[i--] = l->namespaces[--l->n_namespaces];
}

/* ---- fixture ---- */

struct group {
	char *busybox; /* mkbusybox.sh's output directory */
};

struct fx {
	struct group *g;
	char dir[64];
	char *rootfs, *host; /* dir/rootfs: the container's; dir/host: bind sources */
	char **mounts_before;
};

static char **mount_table(void)
{
	_cleanup_free_ char *mi = NULL;

	assert_int_equal(read_file("/proc/self/mountinfo", 16u << 20, &mi, NULL, NULL), 0);
	return strv_split(mi, "\n");
}

/* Where a mount leaked out of a test's child would show: in its scratch
 * directory, or on the paths its specs name. */
static bool ours(const char *mountpoint, const char *dir)
{
	static const char *const paths[] = {"/", "/etc", "/var", "/tmp", "/proc", "/sys", "/dev"};
	const char *rest = startswith(mountpoint, dir);

	if (rest && (!*rest || *rest == '/'))
		return true;
	for (size_t i = 0; i < ELEMENTSOF(paths); i++)
		if (streq(mountpoint, paths[i]))
			return true;
	return startswith(mountpoint, "/tmp/husk-dotdot-") != NULL;
}

/* The parent's mount table against its snapshot: other processes on the
 * machine may mount meanwhile, so only lines that could be ours count. */
static void assert_mounts_unchanged(char **before, const char *dir)
{
	_cleanup_strv_ char **after = mount_table();

	STRV_FOREACH (l, after) {
		_cleanup_strv_ char **f = NULL;

		if (strv_contains(before, *l))
			continue;
		f = strv_split(*l, " ");
		if (strv_length(f) > 4 && ours(f[4], dir))
			fail_msg("the host's mount table changed: %s", *l);
	}
}

static int run_cmd(char *const argv[])
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* mkbusybox.sh's output directory: the script is found through HUSK_SRC
 * (tests/run.sh), else next to this file. */
static char *fixture_dir(void)
{
	_cleanup_free_ char *here = path_dirname(__FILE__), *script = NULL, *cmd = NULL;
	const char *src = getenv("HUSK_SRC");
	char line[PATH_MAX] = "";
	FILE *p;

	if (!isempty(src))
		script = path_join(src, "tests/fixtures/mkbusybox.sh");
	else
		script = path_join(here, "../fixtures/mkbusybox.sh");
	cmd = str_printf("'%s' 2>/dev/null", script);
	if (!cmd || !(p = popen(cmd, "r")))
		return NULL;
	if (!fgets(line, sizeof(line), p))
		line[0] = 0;
	if (pclose(p) != 0 || !*line)
		return NULL;
	line[strcspn(line, "\n")] = 0;
	return strdup(line);
}

static int group_setup(void **state)
{
	struct group *g = calloc(1, sizeof(*g));

	if (!g)
		return -1;
	if (getuid() == 0)
		g->busybox = fixture_dir();
	*state = g;
	return 0;
}

static int group_teardown(void **state)
{
	struct group *g = *state;

	free(g->busybox);
	free(g);
	return 0;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	_cleanup_free_ char *src = NULL;

	if (!f)
		return -1;
	f->g = *state;
	*state = f;
	if (!f->g->busybox)
		return 0;
	strcpy(f->dir, "/tmp/husk-test-rootfs-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->rootfs = path_join(f->dir, "rootfs");
	f->host = path_join(f->dir, "host");
	src = path_join(f->g->busybox, "bundle/rootfs");
	if (!f->rootfs || !f->host || !src || mkdir(f->host, 0755) < 0)
		return -1;
	if (run_cmd((char *[]){S("cp"), S("-a"), src, f->rootfs, NULL}) != 0)
		return -1;
	f->mounts_before = mount_table();
	return f->mounts_before ? 0 : -1;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	struct group *g = f->g;

	if (f->mounts_before) {
		/* every mount was the child's own: none may show here */
		assert_mounts_unchanged(f->mounts_before, f->dir);
		assert_int_equal(rm_rf(f->dir), 0);
	}
	strv_free(f->mounts_before);
	free(f->rootfs);
	free(f->host);
	free(f);
	*state = g;
	return 0;
}

static struct fx *fixture(void **state)
{
	struct fx *f = *state;

	if (getuid() != 0)
		skip();
	if (!f->g->busybox) {
		print_message("no busybox fixture (tests/fixtures/mkbusybox.sh failed)\n");
		skip();
	}
	return f;
}

/* ---- running a container setup in a child ---- */

struct run {
	const struct oci_spec *spec;
	const char *rootfs;
	enum rootfs_flags flags;
	int extra_unshare;
	bool console;
	bool pid1;              /* first become pid 1 of a new pid ns (needs CLONE_NEWPID) */
	bool own_proc;          /* pid1: with a /proc of its own */
	bool userns;            /* in a new user namespace (identity-mapped) */
	const char *want_error; /* the setup must fail with a message containing this */
	void (*before)(const struct run *r);     /* in the new namespaces, before prepare */
	void (*on_host)(const struct run *r);    /* after prepare, before pivot */
	void (*inside)(const struct run *r);     /* after finalize */
	void (*after_fail)(const struct run *r); /* after the wanted failure */
	const void *arg;
};

static int spec_unshare_flags(const struct oci_spec *s)
{
	static const struct {
		enum oci_ns_type t;
		int flag;
	} map[] = {
	        {OCI_NS_NETWORK, CLONE_NEWNET},
	        {OCI_NS_IPC, CLONE_NEWIPC},
	        {OCI_NS_UTS, CLONE_NEWUTS},
	        {OCI_NS_CGROUP, CLONE_NEWCGROUP},
	};
	int flags = 0;

	for (size_t i = 0; i < s->linux_.n_namespaces; i++)
		for (size_t k = 0; k < ELEMENTSOF(map); k++)
			if (s->linux_.namespaces[i].type == map[k].t)
				flags |= map[k].flag;
	return flags;
}

/* The first failing step, or 0. */
static int setup_container(const struct run *r, const char *console, struct husk_error **err)
{
	int rc = rootfs_prepare(r->spec, r->rootfs, console, r->flags, err);

	if (rc == 0 && r->on_host)
		r->on_host(r);
	if (rc == 0)
		rc = rootfs_pivot(r->rootfs, r->flags, err);
	if (rc == 0)
		rc = rootfs_finalize(r->spec, err);
	return rc;
}

/* Wait for the child and exit with its status. */
static _noreturn_ void exit_as(pid_t pid)
{
	int status;

	CHECK(waitpid(pid, &status, 0) == pid);
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

/* After unshare(CLONE_NEWPID): fork the namespace's pid 1 and continue in
 * it, with a /proc of its own (in our own mount namespace) if asked. */
static void become_pid1(bool own_proc)
{
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid > 0)
		exit_as(pid);
	CHECK(getpid() == 1);
	if (!own_proc)
		return;
	CHECK(mount(NULL, "/", NULL, MS_PRIVATE | MS_REC, NULL) == 0);
	CHECK(mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0);
}

static void write_map(pid_t pid, const char *file)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	CHECK(fd >= 0 && write(fd, "0 0 4294967295\n", 15) == 15);
	close(fd);
}

/* Continue in a new user namespace mapping every id to itself: the forked
 * child unshares it, we write its maps and wait for it. */
static void enter_userns(void)
{
	int ready[2], go[2];
	pid_t pid;
	char c = 0;

	CHECK(pipe(ready) == 0 && pipe(go) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid > 0) {
		close(ready[1]);
		close(go[0]);
		CHECK(read(ready[0], &c, 1) == 1);
		write_map(pid, "uid_map");
		write_map(pid, "gid_map");
		CHECK(write(go[1], &c, 1) == 1);
		exit_as(pid);
	}
	close(ready[0]);
	close(go[1]);
	CHECK(unshare(CLONE_NEWUSER) == 0);
	CHECK(write(ready[1], &c, 1) == 1);
	CHECK(read(go[0], &c, 1) == 1);
	close(ready[1]);
	close(go[0]);
}

static _noreturn_ void child_main(const struct run *r)
{
	_cleanup_error_ struct husk_error *err = NULL;
	char console[64] = "";
	int rc;

	if (r->userns) {
		/* the mounts of a namespace made by a less privileged user
		 * namespace are locked (MNT_LOCK_*): `before` makes some */
		CHECK(unshare(CLONE_NEWNS) == 0);
		if (r->before)
			r->before(r);
		enter_userns();
	}
	CHECK(unshare(CLONE_NEWNS | spec_unshare_flags(r->spec) | r->extra_unshare) == 0);
	if (r->pid1)
		become_pid1(r->own_proc);
	if (r->before && !r->userns)
		r->before(r);
	if (r->console) {
		int m = posix_openpt(O_RDWR | O_NOCTTY);
		CHECK(m >= 0 && grantpt(m) == 0 && unlockpt(m) == 0);
		CHECK(ptsname_r(m, console, sizeof(console)) == 0);
	}
	rc = setup_container(r, r->console ? console : NULL, &err);
	if (r->want_error) {
		if (rc == 0 || !strstr(error_message(err), r->want_error)) {
			dprintf(STDERR_FILENO, "got %d \"%s\", want an error with \"%s\"\n", rc,
			        rc ? error_message(err) : "", r->want_error);
			_exit(1);
		}
		if (r->after_fail)
			r->after_fail(r);
		_exit(0);
	}
	if (rc < 0) {
		dprintf(STDERR_FILENO, "setup failed: %s\n", error_message(err));
		_exit(1);
	}
	if (r->inside)
		r->inside(r);
	_exit(0);
}

static void run(const struct run *r)
{
	char out[8192];
	int p[2], status;
	pid_t pid;
	ssize_t n;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(p[1], STDERR_FILENO);
		child_main(r);
	}
	close(p[1]);
	n = read_full(p[0], out, sizeof(out) - 1);
	out[n > 0 ? n : 0] = 0;
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("child failed (wait status 0x%x): %s", status, out);
}

/* ---- checks (in the child) ---- */

static void check_fs(const char *path, long magic, bool ro)
{
	struct statfs sfs;

	CHECK(statfs(path, &sfs) == 0);
	if (sfs.f_type != magic)
		dprintf(STDERR_FILENO, "%s: f_type 0x%lx, want 0x%lx\n", path, (long)sfs.f_type,
		        magic);
	CHECK(sfs.f_type == magic);
	CHECK(!!(sfs.f_flags & ST_RDONLY) == ro);
}

static void check_chr(const char *path, unsigned major, unsigned minor, mode_t mode)
{
	struct stat st;

	CHECK(lstat(path, &st) == 0);
	CHECK(S_ISCHR(st.st_mode));
	CHECK(major(st.st_rdev) == major && minor(st.st_rdev) == minor);
	CHECK(mode == 0 || (st.st_mode & 07777) == mode);
}

static void check_link(const char *path, const char *target)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);

	CHECK(n > 0);
	buf[n] = 0;
	CHECK(streq(buf, target));
}

static bool host_has(const char *proc_path)
{
	/* the masked paths that exist depend on the kernel's config: check
	 * those the child's own procfs has */
	return access(proc_path, F_OK) == 0;
}

static void check_empty_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;

	CHECK(d);
	while ((de = readdir(d)))
		n += !streq(de->d_name, ".") && !streq(de->d_name, "..");
	closedir(d);
	CHECK(n == 0);
}

static void check_erofs_write(const char *path)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		CHECK(write(fd, "1", 1) < 0);
		close(fd);
	}
	CHECK(errno == EROFS);
}

static void check_devices(void)
{
	int fd;

	check_chr("/dev/null", 1, 3, 0666);
	check_chr("/dev/zero", 1, 5, 0666);
	check_chr("/dev/full", 1, 7, 0666);
	check_chr("/dev/random", 1, 8, 0666);
	check_chr("/dev/urandom", 1, 9, 0666);
	check_chr("/dev/tty", 5, 0, 0666);
	check_link("/dev/fd", "/proc/self/fd");
	check_link("/dev/stdin", "/proc/self/fd/0");
	check_link("/dev/stdout", "/proc/self/fd/1");
	check_link("/dev/stderr", "/proc/self/fd/2");
	check_link("/dev/ptmx", "pts/ptmx");
	fd = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	CHECK(fd >= 0);
	close(fd);
}

static void check_masked(void)
{
	static const char *const files[] = {"/proc/kcore", "/proc/keys", "/proc/timer_list"};

	for (size_t i = 0; i < ELEMENTSOF(files); i++)
		if (host_has(files[i]))
			check_chr(files[i], 1, 3, 0);
	if (host_has("/proc/acpi")) {
		check_fs("/proc/acpi", TMPFS_MAGIC, true);
		check_empty_dir("/proc/acpi");
	}
	if (host_has("/sys/firmware"))
		check_fs("/sys/firmware", TMPFS_MAGIC, true);
}

static void check_cgroup_v1(void)
{
	struct statfs sfs;

	if (statfs("/sys/fs/cgroup/memory", &sfs) < 0 || sfs.f_type == TMPFS_MAGIC)
		return; /* a pure v2 host */
	check_fs("/sys/fs/cgroup", TMPFS_MAGIC, true);
	check_fs("/sys/fs/cgroup/memory", CGROUP_SUPER_MAGIC, true);
	CHECK(access("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK) == 0);
	check_erofs_write("/sys/fs/cgroup/memory/memory.limit_in_bytes");
}

/* What runc's default spec gives a container. */
static void inside_default(const struct run *r)
{
	_cleanup_free_ char *passwd = NULL;

	check_fs("/proc", PROC_SUPER_MAGIC, false);
	check_fs("/sys", SYSFS_MAGIC, true);
	check_fs("/dev", TMPFS_MAGIC, false);
	check_fs("/dev/pts", DEVPTS_SUPER_MAGIC, false);
	check_fs("/dev/shm", TMPFS_MAGIC, false);
	check_fs("/dev/mqueue", MQUEUE_MAGIC, false);
	check_devices();
	check_masked();
	check_fs("/proc/sys", PROC_SUPER_MAGIC, true);
	check_erofs_write("/proc/sys/kernel/hostname");
	/* the root is the busybox rootfs, read-only */
	CHECK(access("/bin/busybox", X_OK) == 0);
	CHECK(read_file("/etc/passwd", 4096, &passwd, NULL, NULL) == 0);
	CHECK(strstr(passwd, "nobody:x:65534:65534:nobody:/nonexistent:/bin/false"));
	CHECK(mkdir("/x", 0755) < 0 && errno == EROFS);
	CHECK(open("/x", O_CREAT | O_WRONLY | O_CLOEXEC, 0644) < 0 && errno == EROFS);
	CHECK(close(open("/dev/shm/x", O_CREAT | O_WRONLY | O_CLOEXEC, 0644)) == 0);
	check_cgroup_v1();
}

/* ---- tests ---- */

static void test_default_spec(void **state)
{
	struct fx *f = fixture(state);
	struct tspec t;

	default_spec(&t);
	run(&(struct run){.spec = &t.s, .rootfs = f->rootfs, .inside = inside_default});
}

/* The same through the real parser, from the fixture's config.json. */
static void test_fixture_config(void **state)
{
	struct fx *f = fixture(state);
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_free_ char *bundle = path_join(f->g->busybox, "bundle");
	struct oci_spec *s = oci_spec_load(bundle, &err);

	if (!s)
		fail_msg("oci_spec_load: %s", error_message(err));
	run(&(struct run){.spec = s, .rootfs = f->rootfs, .inside = inside_default});
	oci_spec_free(s);
}

static void test_legacy_mount_api(void **state)
{
	struct fx *f = fixture(state);
	struct tspec t;

	default_spec(&t);
	run(&(struct run){.spec = &t.s,
	                  .rootfs = f->rootfs,
	                  .flags = ROOTFS_LEGACY_MOUNT_API,
	                  .inside = inside_default});
}

static void test_no_pivot(void **state)
{
	struct fx *f = fixture(state);
	struct tspec t;

	default_spec(&t);
	run(&(struct run){.spec = &t.s,
	                  .rootfs = f->rootfs,
	                  .flags = ROOTFS_NO_PIVOT,
	                  .inside = inside_default});
}

/* Without a cgroup namespace each v1 hierarchy is a bind of our own
 * cgroup: its cgroup.procs lists us. */
static void inside_cgroup_bind(const struct run *r)
{
	_cleanup_free_ char *procs = NULL, *me = str_printf("%d\n", (int)getpid());
	struct statfs sfs;

	if (statfs("/sys/fs/cgroup/memory", &sfs) < 0 || sfs.f_type != CGROUP_SUPER_MAGIC)
		return;
	CHECK(read_file("/sys/fs/cgroup/memory/cgroup.procs", 1 << 20, &procs, NULL, NULL) == 0);
	CHECK(me && (startswith(procs, me) || strstr(procs, me)));
	check_fs("/sys/fs/cgroup/memory", CGROUP_SUPER_MAGIC, true);
}

static void test_cgroup_without_ns(void **state)
{
	struct fx *f = fixture(state);
	struct tspec t;

	default_spec(&t);
	drop_ns(&t, OCI_NS_CGROUP);
	run(&(struct run){.spec = &t.s, .rootfs = f->rootfs, .inside = inside_cgroup_bind});
}

static void inside_bind_ro(const struct run *r)
{
	_cleanup_free_ char *data = NULL;
	struct statvfs sv;

	CHECK(read_file("/data/f", 64, &data, NULL, NULL) == 0 && streq(data, "hello"));
	CHECK(statvfs("/data", &sv) == 0 && (sv.f_flag & ST_RDONLY) && (sv.f_flag & ST_NOSUID));
	CHECK(open("/data/g", O_CREAT | O_WRONLY | O_CLOEXEC, 0644) < 0 && errno == EROFS);
	CHECK(read_file("/etc/extra", 64, &data, NULL, NULL) == 0 && streq(data, "file"));
	CHECK(statvfs("/rw", &sv) == 0 && !(sv.f_flag & ST_RDONLY));
}

/* Binds of a host directory (ro, nosuid) and of a host file onto a path
 * that does not exist yet. */
static void test_bind_ro(void **state)
{
	struct fx *f = fixture(state);
	_cleanup_free_ char *file = path_join(f->host, "f"), *extra = path_join(f->dir, "extra");
	struct tspec t;

	assert_int_equal(atomic_write_file(file, "hello", 5, 0644, NULL), 0);
	assert_int_equal(atomic_write_file(extra, "file", 4, 0644, NULL), 0);
	default_spec(&t);
	add_mount(&t, "/data", "bind", f->host, MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID, NULL);
	add_mount(&t, "/etc/extra", "bind", extra, MS_BIND, NULL);
	add_mount(&t, "/rw", "bind", f->host, MS_BIND | MS_REC, NULL);
	run(&(struct run){.spec = &t.s, .rootfs = f->rootfs, .inside = inside_bind_ro});
}

static void inside_tmpfs(const struct run *r)
{
	struct statfs sfs;
	struct stat st;

	CHECK(statfs("/scratch", &sfs) == 0 && sfs.f_type == TMPFS_MAGIC);
	CHECK((uint64_t)sfs.f_blocks * sfs.f_bsize == 1u << 20);
	CHECK(stat("/scratch", &st) == 0 && (st.st_mode & 07777) == 0700);
	/* no mode= given: the covered directory's mode is kept (runc) */
	CHECK(stat("/tmp", &st) == 0 && (st.st_mode & 07777) == 01777);
	check_fs("/tmp", TMPFS_MAGIC, false);
	check_fs("/noexec", TMPFS_MAGIC, true);
}

static void test_tmpfs_size_mode(void **state)
{
	struct fx *f = fixture(state);
	struct tspec t;

	default_spec(&t);
	add_mount(&t, "/scratch", "tmpfs", "tmpfs", MS_NOSUID, "size=1m,mode=700");
	add_mount(&t, "/tmp", "tmpfs", "tmpfs", MS_NOSUID, NULL);
	add_mount(&t, "/noexec", "tmpfs", "tmpfs", MS_RDONLY | MS_NOEXEC, NULL);
	run(&(struct run){.spec = &t.s, .rootfs = f->rootfs, .inside = inside_tmpfs});
}

/* ---- hostile rootfs ---- */

static void fs_is_not(const char *path, long magic)
{
	struct statfs sfs;

	CHECK(statfs(path, &sfs) == 0 && sfs.f_type != magic);
}

static void proc_link_after_fail(const struct run *r)
{
	_cleanup_free_ char *tmp = path_join(r->rootfs, "tmp");

	fs_is_not("/tmp", PROC_SUPER_MAGIC);
	fs_is_not(tmp, PROC_SUPER_MAGIC);
}

/* CVE-2019-16884: /proc in the image is a symlink to /tmp. */
static void test_proc_symlink(void **state)
{
	struct fx *f = fixture(state);
	_cleanup_free_ char *proc = path_join(f->rootfs, "proc");
	struct tspec t;

	assert_int_equal(rmdir(proc), 0);
	assert_int_equal(symlink("/tmp", proc), 0);
	default_spec(&t);
	run(&(struct run){.spec = &t.s,
	                  .rootfs = f->rootfs,
	                  .want_error = "mounts[0] \"proc\" on \"/proc\": \"/proc\" must be an "
	                                "ordinary directory, not a symlink",
	                  .after_fail = proc_link_after_fail});
}

static void evil_on_host(const struct run *r)
{
	_cleanup_free_ char *etc = path_join(r->rootfs, "etc"), *dd = NULL;

	fs_is_not("/etc", TMPFS_MAGIC);
	fs_is_not("/", TMPFS_MAGIC);
	check_fs(etc, TMPFS_MAGIC, false);
	dd = path_join(r->rootfs, r->arg);
	check_fs(dd, TMPFS_MAGIC, false);
	check_fs("/proc", PROC_SUPER_MAGIC, false);
}

static void evil_inside(const struct run *r)
{
	check_fs("/etc", TMPFS_MAGIC, false);
	check_fs("/var", TMPFS_MAGIC, false);
}

/* CVE-2021-30465 class: destinations through symlinks to "/" and "..",
 * and "../" in the destination itself, all land inside the rootfs. */
static void test_symlink_destinations(void **state)
{
	struct fx *f = fixture(state);
	_cleanup_free_ char *evil = path_join(f->rootfs, "evil"), *up = path_join(f->rootfs, "up");
	char name[64], host_path[96], dest[128];
	struct tspec t;

	snprintf(name, sizeof(name), "tmp/husk-dotdot-%d", (int)getpid());
	snprintf(host_path, sizeof(host_path), "/%s", name);
	snprintf(dest, sizeof(dest), "/../../../../%s", name);
	assert_int_equal(symlink("/", evil), 0);
	assert_int_equal(symlink("../../../../../../../..", up), 0);
	default_spec(&t);
	add_mount(&t, "/evil/etc", "tmpfs", "tmpfs", 0, NULL);
	add_mount(&t, "/up/var", "tmpfs", "tmpfs", 0, NULL);
	add_mount(&t, dest, "tmpfs", "tmpfs", 0, NULL);
	run(&(struct run){.spec = &t.s,
	                  .rootfs = f->rootfs,
	                  .on_host = evil_on_host,
	                  .inside = evil_inside,
	                  .arg = name});
	assert_int_equal(access(host_path, F_OK), -1);
}

/* A dangling symlink as a destination: its target is made, inside. */
static void test_dangling_symlink_destination(void **state)
{
	struct fx *f = fixture(state);
	_cleanup_free_ char *link = path_join(f->rootfs, "etc/resolv.conf"), *src = NULL,
	                    *made = path_join(f->rootfs, "run/x/resolv.conf");
	struct tspec t;

	src = path_join(f->host, "resolv.conf");
	assert_int_equal(atomic_write_file(src, "nameserver 1\n", 13, 0644, NULL), 0);
	assert_int_equal(symlink("/run/x/resolv.conf", link), 0);
	default_spec(&t);
	add_mount(&t, "/etc/resolv.conf", "bind", src, MS_BIND, NULL);
	run(&(struct run){.spec = &t.s, .rootfs = f->rootfs});
	assert_int_equal(access(made, F_OK), 0); /* the empty file under the bind */
	assert_int_equal(access("/run/x/resolv.conf", F_OK), -1);
}

static void masked_link_after_fail(const struct run *r)
{
	_cleanup_free_ char *passwd = NULL;
	struct stat st;

	CHECK(lstat("/etc/passwd", &st) == 0 && S_ISREG(st.st_mode));
	CHECK(read_file("/etc/passwd", 4096, &passwd, NULL, NULL) == 0 && strstr(passwd, "root:"));
}

/* A masked path that is a symlink is refused; neither the host's nor the
 * container's /etc/passwd gets masked. */
static void test_masked_symlink(void **state)
{
	struct fx *f = fixture(state);
	_cleanup_free_ char *link = path_join(f->rootfs, "masked"), *before = NULL, *after = NULL;
	struct tspec t;

	assert_int_equal(read_file("/etc/passwd", 1 << 20, &before, NULL, NULL), 0);
	assert_int_equal(symlink("/etc/passwd", link), 0);
	default_spec(&t);
	t.masked[ELEMENTSOF(default_masked) - 1] = S("/masked");
	run(&(struct run){.spec = &t.s,
	                  .rootfs = f->rootfs,
	                  .want_error = "masked path \"/masked\": is a symlink",
	                  .after_fail = masked_link_after_fail});
	assert_int_equal(read_file("/etc/passwd", 1 << 20, &after, NULL, NULL), 0);
	assert_string_equal(before, after);
}

/* CVE-2025-31133: /dev/null of the image is a symlink (no /dev tmpfs, so
 * the image's /dev stays): nothing is masked with it. */
static void test_fake_dev_null(void **state)
{
	struct fx *f = fixture(state);
	_cleanup_free_ char *null = path_join(f->rootfs, "dev/null");
	struct tspec t;

	assert_int_equal(symlink("/proc/sys/kernel/core_pattern", null), 0);
	default_spec(&t);
	memmove(&t.mounts[1], &t.mounts[4], (t.s.n_mounts - 4) * sizeof(t.mounts[0]));
	t.s.n_mounts -= 3; /* no /dev, /dev/pts, /dev/shm */
	run(&(struct run){.spec = &t.s,
	                  .rootfs = f->rootfs,
	                  .want_error = "masked paths: /dev/null is not the null device"});
}

/* Nothing but a procfs on /proc, nothing inside /proc. */
static void test_mount_in_proc(void **state)
{
	struct fx *f = fixture(state);
	struct tspec t;

	default_spec(&t);
	add_mount(&t, "/proc/sys", "tmpfs", "tmpfs", 0, NULL);
	run(&(struct run){.spec = &t.s,
	                  .rootfs = f->rootfs,
	                  .want_error = "mounts[7] \"tmpfs\" on \"/proc/sys\": \"/proc/sys\" is "
	                                "inside /proc"});
	default_spec(&t);
	add_mount(&t, "/proc", "tmpfs", "tmpfs", 0, NULL);
	run(&(struct run){.spec = &t.s,
	                  .rootfs = f->rootfs,
	                  .want_error = "only a procfs may be mounted on /proc"});
}

static void test_bad_option(void **state)
{
	struct fx *f = fixture(state);
	struct tspec t;

	default_spec(&t);
	add_mount(&t, "/bad", "tmpfs", "tmpfs", 0, "size=lots");
	run(&(struct run){.spec = &t.s,
	                  .rootfs = f->rootfs,
	                  .want_error = "mounts[7] \"tmpfs\" on \"/bad\": option \"size\": "
	                                "Invalid argument"});
	default_spec(&t);
	add_mount(&t, "/bad", "nosuchfs", "x", 0, NULL);
	run(&(struct run){.spec = &t.s,
	                  .rootfs = f->rootfs,
	                  .want_error = "mounts[7] \"nosuchfs\" on \"/bad\": fsopen \"nosuchfs\""});
	default_spec(&t);
	add_mount(&t, "/bad", "bind", "/nonexistent-husk", MS_BIND, NULL);
	run(&(struct run){.spec = &t.s,
	                  .rootfs = f->rootfs,
	                  .want_error = "bind source \"/nonexistent-husk\": No such file"});
}

/* ---- sysctl ---- */

static void inside_sysctl(const struct run *r)
{
	_cleanup_free_ char *v = NULL;

	CHECK(read_file("/proc/sys/net/ipv4/ip_forward", 64, &v, NULL, NULL) == 0);
	CHECK(streq(v, "1\n"));
	free(v);
	CHECK(read_file("/proc/sys/net/ipv4/conf/lo/forwarding", 64, &v, NULL, NULL) == 0);
	CHECK(streq(v, "1\n"));
}

static void test_sysctl_netns(void **state)
{
	struct fx *f = fixture(state);
	_cleanup_free_ char *before = NULL, *after = NULL;
	struct tspec t;

	assert_int_equal(read_file("/proc/sys/net/ipv4/ip_forward", 64, &before, NULL, NULL), 0);
	default_spec(&t);
	add_sysctl(&t, "net.ipv4.ip_forward", "1");
	add_sysctl(&t, "net/ipv4/conf/lo/forwarding", "1");
	run(&(struct run){.spec = &t.s, .rootfs = f->rootfs, .inside = inside_sysctl});
	assert_int_equal(read_file("/proc/sys/net/ipv4/ip_forward", 64, &after, NULL, NULL), 0);
	assert_string_equal(before, after);
}

static void test_sysctl_bad_keys(void **state)
{
	static const char *const keys[] = {"net/../../etc/passwd", "..", "kernel..x", "/etc/x", ""};
	struct fx *f = fixture(state);
	struct tspec t;

	for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
		_cleanup_free_ char *want = str_printf("sysctl \"%s\": not a valid key", keys[i]);

		default_spec(&t);
		add_sysctl(&t, keys[i], "1");
		run(&(struct run){.spec = &t.s, .rootfs = f->rootfs, .want_error = want});
	}
	default_spec(&t);
	add_sysctl(&t, "net.nosuch.key", "1");
	run(&(struct run){.spec = &t.s,
	                  .rootfs = f->rootfs,
	                  .want_error =
	                          "sysctl \"net.nosuch.key\": open /proc/sys/net/nosuch/key"});
}

/* ---- devices, console ---- */

static void inside_devices(const struct run *r)
{
	struct stat st;

	CHECK(stat("/dev/fuse", &st) == 0 && S_ISCHR(st.st_mode));
	CHECK(major(st.st_rdev) == 10 && minor(st.st_rdev) == 229);
	CHECK((st.st_mode & 07777) == 0620 && st.st_uid == 1000 && st.st_gid == 5);
	CHECK(stat("/dev/sub/loopx", &st) == 0 && S_ISBLK(st.st_mode));
	CHECK(major(st.st_rdev) == 7 && minor(st.st_rdev) == 0 && (st.st_mode & 07777) == 0600);
	CHECK(stat("/dev/fifo", &st) == 0 && S_ISFIFO(st.st_mode));
	/* a spec device replaces the default of the same path */
	check_chr("/dev/null", 1, 3, 0600);
	check_chr("/dev/zero", 1, 5, 0666);
}

static void add_device(struct tspec *t, char type, const char *path, int64_t maj, int64_t min,
                       mode_t mode, uid_t uid, gid_t gid)
{
	t->devs[t->s.linux_.n_devices++] = (struct oci_device){
	        .type = type,
	        .path = S(path),
	        .major = maj,
	        .minor = min,
	        .has_mode = true,
	        .file_mode = mode,
	        .has_uid = true,
	        .uid = uid,
	        .has_gid = true,
	        .gid = gid,
	};
}

static void test_spec_devices(void **state)
{
	struct fx *f = fixture(state);
	struct tspec t;

	default_spec(&t);
	add_device(&t, 'c', "/dev/fuse", 10, 229, 0620, 1000, 5);
	add_device(&t, 'b', "/dev/sub/loopx", 7, 0, 0600, 0, 0);
	add_device(&t, 'p', "/dev/fifo", 0, 0, 0644, 0, 0);
	add_device(&t, 'c', "/dev/null", 1, 3, 0600, 0, 0);
	run(&(struct run){.spec = &t.s, .rootfs = f->rootfs, .inside = inside_devices});
}

static void test_bad_device(void **state)
{
	struct fx *f = fixture(state);
	struct tspec t;

	default_spec(&t);
	add_device(&t, 'x', "/dev/what", 1, 1, 0600, 0, 0);
	run(&(struct run){.spec = &t.s,
	                  .rootfs = f->rootfs,
	                  .want_error = "device \"/dev/what\": unknown device type 'x'"});
}

static bool is_mount_point(const char *path)
{
	_cleanup_free_ char *mi = NULL, *needle = str_printf(" %s ", path);

	return read_file("/proc/self/mountinfo", 1 << 20, &mi, NULL, NULL) == 0 && needle &&
	       strstr(mi, needle);
}

/* ROOTFS_USERNS: no mknod; the host's nodes are bound onto empty files. */
static void inside_userns_devices(const struct run *r)
{
	check_chr("/dev/null", 1, 3, 0);
	check_chr("/dev/zero", 1, 5, 0);
	CHECK(is_mount_point("/dev/null"));
	CHECK(is_mount_point("/dev/tty"));
}

static void test_userns_device_binds(void **state)
{
	struct fx *f = fixture(state);
	struct tspec t;

	default_spec(&t);
	run(&(struct run){.spec = &t.s,
	                  .rootfs = f->rootfs,
	                  .flags = ROOTFS_USERNS,
	                  .inside = inside_userns_devices});
}

static void inside_console(const struct run *r)
{
	struct stat st;

	CHECK(stat("/dev/console", &st) == 0 && S_ISCHR(st.st_mode));
	CHECK(major(st.st_rdev) >= 136 && major(st.st_rdev) <= 143); /* a pty slave */
	CHECK(is_mount_point("/dev/console"));
}

static void test_console(void **state)
{
	struct fx *f = fixture(state);
	struct tspec t;

	default_spec(&t);
	run(&(struct run){
	        .spec = &t.s, .rootfs = f->rootfs, .console = true, .inside = inside_console});
}

/* /dev "ro": devices are made first, then it turns read-only. */
static void inside_dev_readonly(const struct run *r)
{
	check_fs("/dev", TMPFS_MAGIC, true);
	check_devices();
	CHECK(mkdir("/dev/x", 0755) < 0 && errno == EROFS);
	check_fs("/dev/shm", TMPFS_MAGIC, false);
}

/* The runtime's way: the pty comes from the container's own devpts, after
 * rootfs_prepare(), and is bound with rootfs_bind_console(). */
static void console_on_host(const struct run *r)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_free_ char *ptmx = path_join(r->rootfs, "dev/pts/ptmx"), *slave = NULL;
	int m, n = -1;

	m = open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC);
	CHECK(m >= 0 && ioctl(m, TIOCSPTLCK, &(int){0}) == 0 && ioctl(m, TIOCGPTN, &n) == 0);
	slave = str_printf("%s/dev/pts/%d", r->rootfs, n);
	CHECK(slave);
	if (rootfs_bind_console(r->rootfs, slave, &err) < 0) {
		dprintf(STDERR_FILENO, "rootfs_bind_console: %s\n", error_message(err));
		_exit(1);
	}
}

static void inside_own_console(const struct run *r)
{
	struct stat st, pts;

	CHECK(stat("/dev/console", &st) == 0 && S_ISCHR(st.st_mode));
	CHECK(stat("/dev/pts/0", &pts) == 0 && st.st_rdev == pts.st_rdev);
}

static void test_bind_console(void **state)
{
	struct fx *f = fixture(state);
	struct tspec t;

	default_spec(&t);
	run(&(struct run){.spec = &t.s,
	                  .rootfs = f->rootfs,
	                  .on_host = console_on_host,
	                  .inside = inside_own_console});
}

static void test_dev_readonly(void **state)
{
	struct fx *f = fixture(state);
	struct tspec t;

	default_spec(&t);
	t.mounts[1].flags |= MS_RDONLY;
	run(&(struct run){.spec = &t.s, .rootfs = f->rootfs, .inside = inside_dev_readonly});
}

/* ---- propagation, idmap ---- */

static void inside_shared(const struct run *r)
{
	_cleanup_free_ char *mi = NULL;
	_cleanup_strv_ char **lines = NULL;
	bool found = false;

	CHECK(read_file("/proc/self/mountinfo", 1 << 20, &mi, NULL, NULL) == 0);
	lines = strv_split(mi, "\n");
	STRV_FOREACH (l, lines) {
		_cleanup_strv_ char **f = strv_split(*l, " ");

		/* id parent dev root mountpoint options optional… */
		if (strv_length(f) > 6 && streq(f[4], "/") && strstr(*l, " shared:"))
			found = true;
	}
	CHECK(found);
}

static void test_rootfs_propagation_shared(void **state)
{
	struct fx *f = fixture(state);
	struct tspec t;

	default_spec(&t);
	t.s.linux_.rootfs_propagation = MS_SHARED | MS_REC;
	run(&(struct run){.spec = &t.s, .rootfs = f->rootfs, .inside = inside_shared});
}

static void inside_idmap(const struct run *r)
{
	struct stat st;

	CHECK(stat("/idmapped/f", &st) == 0);
	CHECK(st.st_uid == 1000 && st.st_gid == 1000);
	CHECK(stat("/plain/f", &st) == 0 && st.st_uid == 0);
}

static void test_idmap(void **state)
{
	struct fx *f = fixture(state);
	_cleanup_free_ char *file = path_join(f->host, "f");
	struct oci_id_mapping map = {.container_id = 0, .host_id = 1000, .size = 1};
	struct oci_mount *m;
	struct tspec t;

	assert_int_equal(atomic_write_file(file, "x", 1, 0644, NULL), 0);
	default_spec(&t);
	m = add_mount(&t, "/idmapped", "bind", f->host, MS_BIND | MS_REC, NULL);
	m->idmap = true;
	m->uid_mappings = m->gid_mappings = &map;
	m->n_uid_mappings = m->n_gid_mappings = 1;
	add_mount(&t, "/plain", "bind", f->host, MS_BIND | MS_REC, NULL);
	run(&(struct run){.spec = &t.s, .rootfs = f->rootfs, .inside = inside_idmap});
}

/* A caller that forgot CLONE_NEWNS: pid 1 (here of a pid namespace of our
 * own, with its own /proc, so that nothing the host has is at stake) and
 * we share the mount namespace. */
static void test_requires_new_mount_ns(void **state)
{
	struct fx *f = fixture(state);
	struct tspec t;

	default_spec(&t);
	run(&(struct run){.spec = &t.s,
	                  .rootfs = f->rootfs,
	                  .extra_unshare = CLONE_NEWPID,
	                  .pid1 = true,
	                  .own_proc = true,
	                  .want_error = "not in a new mount namespace"});
}

static void test_root_destination(void **state)
{
	struct fx *f = fixture(state);
	struct tspec t;

	default_spec(&t);
	add_mount(&t, "/tmp/..", "tmpfs", "tmpfs", 0, NULL);
	run(&(struct run){.spec = &t.s,
	                  .rootfs = f->rootfs,
	                  .want_error = "mounts[7] \"tmpfs\" on \"/tmp/..\": cannot mount over the "
	                                "root itself"});
}

/* A tmpfs under the bind source, mounted in the child's namespace. */
static void submount_before(const struct run *r)
{
	_cleanup_free_ char *sub = path_join(r->arg, "sub");

	CHECK(mount("tmpfs", sub, "tmpfs", 0, NULL) == 0);
}

static void inside_rro(const struct run *r)
{
	check_fs("/rro", EXT4_SUPER_MAGIC, true);
	check_fs("/rro/sub", TMPFS_MAGIC, true);
	/* "ro" on an rbind is the top mount only, as in runc */
	check_fs("/ro", EXT4_SUPER_MAGIC, true);
	check_fs("/ro/sub", TMPFS_MAGIC, false);
}

static void test_recursive_readonly(void **state)
{
	struct fx *f = fixture(state);
	_cleanup_free_ char *sub = path_join(f->host, "sub");
	struct oci_mount *m;
	struct tspec t;
	struct statfs sfs;

	assert_int_equal(statfs(f->host, &sfs), 0);
	if (sfs.f_type != EXT4_SUPER_MAGIC)
		skip(); /* the checks name ext4, the fs of /tmp here */
	assert_int_equal(mkdir(sub, 0755), 0);
	default_spec(&t);
	m = add_mount(&t, "/rro", "bind", f->host, MS_BIND | MS_REC, NULL);
	m->rec_attr_set = MOUNT_ATTR_RDONLY;
	add_mount(&t, "/ro", "bind", f->host, MS_BIND | MS_REC | MS_RDONLY, NULL);
	run(&(struct run){.spec = &t.s,
	                  .rootfs = f->rootfs,
	                  .before = submount_before,
	                  .inside = inside_rro,
	                  .arg = f->host});
}

/* ---- in a user namespace ---- */

/* A tmpfs with nosuid, nodev under the bind source, mounted before the
 * user namespace: inside it those flags are locked. */
static void locked_before(const struct run *r)
{
	_cleanup_free_ char *sub = path_join(r->arg, "locked");

	CHECK(mount("tmpfs", sub, "tmpfs", MS_NOSUID | MS_NODEV, NULL) == 0);
}

static void inside_userns(const struct run *r)
{
	struct statvfs sv;

	check_fs("/proc", PROC_SUPER_MAGIC, false);
	/* no network namespace of its own: the host's /sys, bound read-only */
	check_fs("/sys", SYSFS_MAGIC, true);
	check_fs("/sys/kernel", SYSFS_MAGIC, true);
	check_fs("/dev/pts", DEVPTS_SUPER_MAGIC, false);
	check_fs("/dev/mqueue", MQUEUE_MAGIC, false);
	check_chr("/dev/null", 1, 3, 0);
	CHECK(is_mount_point("/dev/null"));
	check_masked();
	check_fs("/proc/sys", PROC_SUPER_MAGIC, true);
	CHECK(mkdir("/x", 0755) < 0 && errno == EROFS);
	/* "ro" asked; nosuid and nodev, locked on the source, kept */
	CHECK(statvfs("/locked", &sv) == 0);
	CHECK((sv.f_flag & (ST_RDONLY | ST_NOSUID | ST_NODEV)) ==
	      (ST_RDONLY | ST_NOSUID | ST_NODEV));
}

static void userns_spec(struct tspec *t)
{
	default_spec(t);
	drop_ns(t, OCI_NS_NETWORK);
	drop_ns(t, OCI_NS_CGROUP); /* v1 hierarchies cannot be mounted in a user ns */
	add_ns(t, OCI_NS_USER);
}

static void test_userns_container(void **state)
{
	struct fx *f = fixture(state);
	_cleanup_free_ char *locked = path_join(f->host, "locked");
	struct tspec t;

	assert_int_equal(mkdir(locked, 0755), 0);
	userns_spec(&t);
	add_mount(&t, "/locked", "bind", locked, MS_BIND | MS_REC | MS_RDONLY, NULL);
	run(&(struct run){.spec = &t.s,
	                  .rootfs = f->rootfs,
	                  .flags = ROOTFS_USERNS,
	                  .userns = true,
	                  .extra_unshare = CLONE_NEWPID,
	                  .pid1 = true,
	                  .before = locked_before,
	                  .inside = inside_userns,
	                  .arg = f->host});
}

/* Clearing a locked flag on purpose ("suid") is an error, as in runc. */
static void test_userns_locked_flag_cleared(void **state)
{
	struct fx *f = fixture(state);
	_cleanup_free_ char *locked = path_join(f->host, "locked");
	struct oci_mount *m;
	struct tspec t;

	assert_int_equal(mkdir(locked, 0755), 0);
	userns_spec(&t);
	m = add_mount(&t, "/locked", "bind", locked, MS_BIND | MS_REC | MS_RDONLY, NULL);
	m->clear = MS_NOSUID;
	run(&(struct run){.spec = &t.s,
	                  .rootfs = f->rootfs,
	                  .flags = ROOTFS_USERNS,
	                  .userns = true,
	                  .extra_unshare = CLONE_NEWPID,
	                  .pid1 = true,
	                  .before = locked_before,
	                  .arg = f->host,
	                  .want_error = "mounts[7] \"bind\" on \"/locked\": set mount flags: "
	                                "Operation not permitted"});
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_default_spec, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_fixture_config, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_legacy_mount_api, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_no_pivot, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cgroup_without_ns, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bind_ro, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_tmpfs_size_mode, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_proc_symlink, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_symlink_destinations, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_dangling_symlink_destination, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_masked_symlink, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_fake_dev_null, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_mount_in_proc, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bad_option, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_sysctl_netns, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_sysctl_bad_keys, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_spec_devices, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bad_device, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_userns_device_binds, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_console, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bind_console, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_dev_readonly, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_rootfs_propagation_shared, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_idmap, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_requires_new_mount_ns, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_root_destination, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_recursive_readonly, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_userns_container, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_userns_locked_flag_cleared, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
