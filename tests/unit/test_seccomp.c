/* Unit tests for src/runtime/seccomp.c and seccomp_default.c. Filters are
 * built in the test process, as the runtime does, and loaded in forked
 * children that report through their exit status and a pipe: the test
 * process itself is never filtered. Needs a kernel with seccomp. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <glob.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "runtime/seccomp.h"
#include "runtime/seccomp_default.h"

/* ---- children ---- */

struct child {
	int status;
	char out[2048]; /* the child's stderr */
};

/* In a child: report the failed check on stderr (the parent's pipe). */
#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			dprintf(STDERR_FILENO, "%s:%d: %s (errno %d)\n", __FILE__, __LINE__,       \
			        #cond, errno);                                                     \
			_exit(1);                                                                  \
		}                                                                                  \
	} while (0)

typedef void (*child_fn)(const void *arg);

/* cmocka (and ASan) catch SIGSYS, SIGSEGV, ...: a child must die of them,
 * not longjmp back into the test runner. */
static void default_signals(void)
{
	static const int sigs[] = {SIGSYS, SIGSEGV, SIGILL, SIGFPE, SIGBUS, SIGABRT};

	for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
		signal(sigs[i], SIG_DFL);
}

/* Fork; the child loads f (when given), runs fn and exits 0. */
static void run_child(struct seccomp_filter *f, child_fn fn, const void *arg, struct child *ret)
{
	int p[2];
	pid_t pid;
	ssize_t n;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	fflush(NULL); /* or the child's exit would print cmocka's buffer again */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit no_core = {0, 0};

		dup2(p[1], STDERR_FILENO);
		default_signals();
		setrlimit(RLIMIT_CORE, &no_core); /* SIGSYS would dump core */
		/* Without CAP_SYS_ADMIN, loading a filter needs no_new_privs. */
		if (geteuid() != 0)
			CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
		if (f) {
			int r = seccomp_filter_load(f);

			CHECK(r == 0);
		}
		fn(arg);
		_exit(0);
	}
	close(p[1]);
	n = read_full(p[0], ret->out, sizeof(ret->out) - 1);
	ret->out[n > 0 ? n : 0] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &ret->status, 0), pid);
}

static void assert_child_ok(const struct child *c)
{
	if (!WIFEXITED(c->status) || WEXITSTATUS(c->status) != 0)
		fail_msg("child failed (wait status 0x%x): %s", c->status, c->out);
}

static void assert_child_killed(const struct child *c, int sig)
{
	if (!WIFSIGNALED(c->status) || WTERMSIG(c->status) != sig)
		fail_msg("child not killed by signal %d (wait status 0x%x): %s", sig, c->status,
		         c->out);
}

static void run_ok(struct seccomp_filter *f, child_fn fn, const void *arg)
{
	struct child c;

	run_child(f, fn, arg, &c);
	assert_child_ok(&c);
}

/* ---- profiles ---- */

#define NAMES(...) ((char *[]){__VA_ARGS__, NULL})
#define RULES(...)                                                                                 \
	.syscalls = (struct oci_seccomp_rule[]){__VA_ARGS__},                                      \
	.n_syscalls = ELEMENTSOF(((struct oci_seccomp_rule[]){__VA_ARGS__}))
#define ARGS(...)                                                                                  \
	.args = (struct oci_seccomp_arg[]){__VA_ARGS__},                                           \
	.n_args = ELEMENTSOF(((struct oci_seccomp_arg[]){__VA_ARGS__}))

/* What a child of this test needs besides the calls under test: libc,
 * ASan's runtime, the pipe to the parent, exit. */
#define BASE_NAMES                                                                                 \
	"write", "exit_group", "exit", "getpid", "gettid", "brk", "mmap", "munmap", "mprotect",    \
	        "madvise", "rt_sigprocmask", "rt_sigaction", "rt_sigreturn", "futex",              \
	        "sched_yield", "sched_getaffinity", "close", "wait4", "set_robust_list", "rseq",   \
	        "prctl", "sigaltstack", "getrlimit", "prlimit64", "readlink", "openat", "read",    \
	        "fstat", "newfstatat", "lseek"
#define BASE_ALLOWED                                                                               \
	{                                                                                          \
		.names = NAMES(BASE_NAMES, "clone"), .action = OCI_SECCOMP_ALLOW                   \
	}

static struct seccomp_filter *build_ok(const struct oci_seccomp *s)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct seccomp_filter *f = NULL;

	if (seccomp_filter_build(s, &f, &err) < 0)
		fail_msg("seccomp_filter_build: %s", error_message(err));
	assert_non_null(f);
	return f;
}

static void build_fails(const struct oci_seccomp *s, int code, const char *msg)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct seccomp_filter *f = NULL;

	assert_int_equal(seccomp_filter_build(s, &f, &err), -code);
	assert_null(f);
	assert_string_equal(error_message(err), msg);
}

/* Profiles: everything allowed but the rules, or only BASE_ALLOWED and
 * the rules (default ERRNO). A rule answering EACCES, so that the filter's
 * answer cannot be mistaken for the kernel's. */
#define ALLOW_BUT(...)                                                                             \
	{                                                                                          \
		.present = true, .default_action = OCI_SECCOMP_ALLOW, RULES(__VA_ARGS__)           \
	}
#define DENY_BUT(...)                                                                              \
	{                                                                                          \
		.present = true, .default_action = OCI_SECCOMP_ERRNO,                              \
		RULES(BASE_ALLOWED, __VA_ARGS__)                                                   \
	}
#define EACCES_FOR(...)                                                                            \
	.names = NAMES(__VA_ARGS__), .action = OCI_SECCOMP_ERRNO, .has_errno_ret = true,           \
	.errno_ret = EACCES

/* Build s here, run fn under it in a child, expect a clean exit. */
static void check_profile(const struct oci_seccomp *s, child_fn fn, const void *arg)
{
	_cleanup_(seccomp_filter_freep) struct seccomp_filter *f = build_ok(s);

	run_ok(f, fn, arg);
}

/* ---- deny and allow ---- */

static void child_getcwd_eacces(const void *arg)
{
	char buf[256];
	int fd;

	errno = 0;
	CHECK(!getcwd(buf, sizeof(buf)) && errno == EACCES);
	CHECK(getpid() > 0);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && read(fd, buf, 1) == 0);
	close(fd);
}

static void test_allow_all_but_getcwd(void **state)
{
	struct oci_seccomp s = ALLOW_BUT({EACCES_FOR("getcwd")});
	/* A rule with the default action is skipped (libseccomp refuses it). */
	struct oci_seccomp same = ALLOW_BUT({.names = NAMES("getpid"), .action = OCI_SECCOMP_ALLOW},
	                                    {EACCES_FOR("getcwd")});

	check_profile(&s, child_getcwd_eacces, NULL);
	check_profile(&same, child_getcwd_eacces, NULL);
}

static void child_unlisted_fails(const void *arg)
{
	int want = *(const int *)arg;
	char buf[256];

	CHECK(syscall(SYS_getcwd, buf, sizeof(buf)) == -1 && errno == want);
	CHECK(syscall(SYS_getppid) == -1 && errno == want);
	CHECK(syscall(SYS_getpid) == getpid());
}

static void test_default_errno(void **state)
{
	struct oci_seccomp s = {
	        .present = true, .default_action = OCI_SECCOMP_ERRNO, RULES(BASE_ALLOWED)};
	int want = EPERM;

	check_profile(&s, child_unlisted_fails, &want);
	s.has_default_errno_ret = true;
	s.default_errno_ret = want = ENXIO;
	check_profile(&s, child_unlisted_fails, &want);
}

static void child_rule_errno_ret(const void *arg)
{
	CHECK(syscall(SYS_getppid) == -1 && errno == ENOENT);
	CHECK(syscall(SYS_getuid) == -1 && errno == EPERM); /* no errnoRet: EPERM */
	CHECK(syscall(SYS_getgid) == -1 && errno == 4094);
}

static void test_rule_errno_ret(void **state)
{
	struct oci_seccomp s = ALLOW_BUT({.names = NAMES("getppid"),
	                                  .action = OCI_SECCOMP_ERRNO,
	                                  .has_errno_ret = true,
	                                  .errno_ret = ENOENT},
	                                 {.names = NAMES("getuid"), .action = OCI_SECCOMP_ERRNO},
	                                 {.names = NAMES("getgid"),
	                                  .action = OCI_SECCOMP_ERRNO,
	                                  .has_errno_ret = true,
	                                  .errno_ret = 4094});

	check_profile(&s, child_rule_errno_ret, NULL);
}

/* ---- argument conditions ---- */

static void child_personality(const void *arg)
{
	int cur = personality(0xffffffff);

	CHECK(cur >= 0);
	errno = 0;
	CHECK(personality(PER_LINUX32) == -1 && errno == EPERM);
	CHECK(personality(0xffffffff) == cur);
}

static void test_arg_eq(void **state)
{
	struct oci_seccomp s =
	        DENY_BUT({.names = NAMES("personality"),
	                  .action = OCI_SECCOMP_ALLOW,
	                  ARGS({.index = 0, .value = 0xffffffff, .op = OCI_SCMP_EQ})});

	check_profile(&s, child_personality, NULL);
}

static void child_clone_flags(const void *arg)
{
	pid_t pid = fork(); /* glibc: clone(CLONE_CHILD_SETTID | ... | SIGCHLD) */
	int status;
	long r;

	CHECK(pid >= 0);
	if (pid == 0)
		_exit(7);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 7);
	r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
	if (r == 0)
		_exit(0); /* let through: the parent's check below fails */
	CHECK(r == -1 && errno == EPERM);
	r = syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0);
	if (r == 0)
		_exit(0);
	CHECK(r == -1 && errno == EPERM);
}

/* moby's rule: clone is allowed only when (flags & namespace flags) == 0. */
static void test_arg_masked_eq_clone(void **state)
{
	struct oci_seccomp s = {
	        .present = true,
	        .default_action = OCI_SECCOMP_ERRNO,
	        RULES({.names = NAMES(BASE_NAMES), .action = OCI_SECCOMP_ALLOW},
	              {.names = NAMES("clone"),
	               .action = OCI_SECCOMP_ALLOW,
	               ARGS({.index = 0, .value = 0x7e020000, .op = OCI_SCMP_MASKED_EQ})}),
	};

	check_profile(&s, child_clone_flags, NULL);
}

/* getpid ignores its arguments, but the filter sees the registers: a
 * harmless call to test operators on. */
static bool getpid_denied(uint64_t a0, uint64_t a1)
{
	return syscall(SYS_getpid, a0, a1) == -1 && errno == EACCES;
}

static void child_operators(const void *arg)
{
	/* a0 MASKED_EQ (0xf0, 0x30): (a0 & 0xf0) == 0x30 */
	CHECK(getpid_denied(0x35, 0) && getpid_denied(0x130, 0));
	CHECK(!getpid_denied(0x45, 0) && !getpid_denied(0xf0, 0));
	/* a1 GT 1000 */
	CHECK(getpid_denied(0, 1001) && !getpid_denied(0, 1000));
}

static void test_arg_operators(void **state)
{
	struct oci_seccomp s = ALLOW_BUT(
	        {EACCES_FOR("getpid"),
	         ARGS({.index = 0, .value = 0xf0, .value_two = 0x30, .op = OCI_SCMP_MASKED_EQ})},
	        {EACCES_FOR("getpid"), ARGS({.index = 1, .value = 1000, .op = OCI_SCMP_GT})});

	check_profile(&s, child_operators, NULL);
}

static void child_same_index(const void *arg)
{
	CHECK(getpid_denied(1, 0) && getpid_denied(2, 0) && !getpid_denied(3, 0));
	/* runc's split makes every condition a rule of its own, the one on
	 * a1 included: conditions are ORed, not ANDed. */
	CHECK(getpid_denied(3, 5) && !getpid_denied(3, 6));
}

static void child_and(const void *arg)
{
	CHECK(getpid_denied(1, 5));
	CHECK(!getpid_denied(1, 6) && !getpid_denied(2, 5));
}

/* Two conditions on one argument: libseccomp refuses them in one rule, so
 * they are split (as runc). Conditions on distinct arguments are ANDed. */
static void test_arg_same_index(void **state)
{
	struct oci_seccomp split = ALLOW_BUT(
	        {EACCES_FOR("getpid"), ARGS({.index = 0, .value = 1, .op = OCI_SCMP_EQ},
	                                    {.index = 0, .value = 2, .op = OCI_SCMP_EQ},
	                                    {.index = 1, .value = 5, .op = OCI_SCMP_EQ})});
	struct oci_seccomp and = ALLOW_BUT(
	        {EACCES_FOR("getpid"), ARGS({.index = 0, .value = 1, .op = OCI_SCMP_EQ},
	                                    {.index = 1, .value = 5, .op = OCI_SCMP_EQ})});

	check_profile(&split, child_same_index, NULL);
	check_profile(&and, child_and, NULL);
}

/* ---- kill actions ---- */

static void child_getcwd(const void *arg)
{
	char buf[64];

	syscall(SYS_getcwd, buf, sizeof(buf));
	dprintf(STDERR_FILENO, "getcwd returned\n");
	_exit(1);
}

static void test_kill_process(void **state)
{
	const enum oci_seccomp_action actions[] = {OCI_SECCOMP_KILL_PROCESS, OCI_SECCOMP_KILL,
	                                           OCI_SECCOMP_KILL_THREAD, OCI_SECCOMP_TRAP};

	for (size_t i = 0; i < ELEMENTSOF(actions); i++) {
		struct oci_seccomp s = ALLOW_BUT({.names = NAMES("getcwd"), .action = actions[i]});
		_cleanup_(seccomp_filter_freep) struct seccomp_filter *f = build_ok(&s);
		struct child c;

		run_child(f, child_getcwd, NULL, &c);
		assert_child_killed(&c, SIGSYS);
	}
}

/* ---- refused profiles ---- */

static void test_unknown_syscall(void **state)
{
	struct oci_seccomp s =
	        DENY_BUT({.names = NAMES("write", "foo"), .action = OCI_SECCOMP_ALLOW});

	build_fails(&s, EINVAL, "linux.seccomp.syscalls[1].names: unknown syscall \"foo\"");
}

/* Names libseccomp knows for other architectures only are fine (moby's
 * profile lists chown32, _llseek, ... everywhere), as are architectures
 * newer than this libseccomp. */
static void test_foreign_names(void **state)
{
	struct oci_seccomp s =
	        ALLOW_BUT({EACCES_FOR("chown32", "_llseek", "s390_runtime_instr", "getcwd")});

	s.architectures = NAMES("SCMP_ARCH_X86_64", "SCMP_ARCH_LOONGARCH64");
	check_profile(&s, child_getcwd_eacces, NULL);
}

static void test_notify_refused(void **state)
{
	struct oci_seccomp rule =
	        ALLOW_BUT({.names = NAMES("getcwd"), .action = OCI_SECCOMP_ERRNO},
	                  {.names = NAMES("mount"), .action = OCI_SECCOMP_NOTIFY});
	struct oci_seccomp def = {.present = true, .default_action = OCI_SECCOMP_NOTIFY};
	struct oci_seccomp listener =
	        ALLOW_BUT({.names = NAMES("mount"), .action = OCI_SECCOMP_NOTIFY});

	listener.listener_path = "/run/seccomp-agent.sock";
	build_fails(&rule, EOPNOTSUPP,
	            "linux.seccomp.syscalls[1].action: SCMP_ACT_NOTIFY needs "
	            "linux.seccomp.listenerPath, which husk-runtime does not support");
	build_fails(&def, EOPNOTSUPP,
	            "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY needs "
	            "linux.seccomp.listenerPath, which husk-runtime does not support");
	build_fails(&listener, EOPNOTSUPP,
	            "linux.seccomp.listenerPath \"/run/seccomp-agent.sock\": SCMP_ACT_NOTIFY "
	            "listeners are not supported by husk-runtime");
}

static void test_bad_input_refused(void **state)
{
	struct oci_seccomp flag = {
	        .present = true,
	        .flags = NAMES("SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_NOPE")};
	struct oci_seccomp arch = {.present = true,
	                           .architectures = NAMES("SCMP_ARCH_X86_64", "SCMP_ARCH_VAX")};
	struct oci_seccomp index = ALLOW_BUT(
	        {EACCES_FOR("getcwd"), ARGS({.index = 6, .value = 1, .op = OCI_SCMP_EQ})});
	struct oci_seccomp errno_ret = ALLOW_BUT({EACCES_FOR("getcwd")});
	struct oci_seccomp absent = {.present = false};

	errno_ret.syscalls[0].errno_ret = 4095;
	build_fails(&flag, EINVAL,
	            "linux.seccomp.flags[1]: unknown flag \"SECCOMP_FILTER_FLAG_NOPE\"");
	build_fails(&arch, EINVAL,
	            "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_VAX\"");
	build_fails(&index, EINVAL,
	            "linux.seccomp.syscalls[0].args[0].index: 6 is out of range (0-5)");
	build_fails(&errno_ret, EINVAL,
	            "linux.seccomp.syscalls[0].action: errnoRet 4095 is out of range (at most "
	            "4094)");
	build_fails(&absent, EINVAL, "linux.seccomp: no profile given");
}

static void test_flags(void **state)
{
	struct oci_seccomp s = ALLOW_BUT({EACCES_FOR("getcwd")});

	s.flags = NAMES("SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
	                "SECCOMP_FILTER_FLAG_TSYNC");
	check_profile(&s, child_getcwd_eacces, NULL);
}

/* ---- clone3 ---- */

static void *thread_main(void *arg)
{
	return arg;
}

/* A thread starts and is joined (glibc >= 2.34 creates it with clone3). */
static bool thread_runs(void)
{
	static int token;
	void *ret = NULL;
	pthread_t t;

	return pthread_create(&t, NULL, thread_main, &token) == 0 && pthread_join(t, &ret) == 0 &&
	       ret == &token;
}

/* glibc's fallback from clone3 to clone works: fork, threads. */
static void child_clone3_enosys(const void *arg)
{
	pid_t pid;
	int status;

	CHECK(syscall(SYS_clone3, NULL, 0) == -1 && errno == ENOSYS);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(3);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 3);
	CHECK(thread_runs());
}

static void child_clone3_reaches_kernel(const void *arg)
{
	/* clone3 with a NULL, zero-sized argument: the kernel says EINVAL */
	CHECK(syscall(SYS_clone3, NULL, 0) == -1 && errno == EINVAL);
}

/* Unmentioned under a default errno, or denied with an errno: ENOSYS.
 * Explicitly allowed: allowed. */
static void test_clone3(void **state)
{
	struct oci_seccomp silent = {
	        .present = true, .default_action = OCI_SECCOMP_ERRNO, RULES(BASE_ALLOWED)};
	struct oci_seccomp deny = ALLOW_BUT({EACCES_FOR("unshare", "clone3")});
	struct oci_seccomp allow =
	        DENY_BUT({.names = NAMES("clone3"), .action = OCI_SECCOMP_ALLOW});

	check_profile(&silent, child_clone3_enosys, NULL);
	check_profile(&deny, child_clone3_enosys, NULL);
	check_profile(&allow, child_clone3_reaches_kernel, NULL);
}

/* ---- architectures ---- */

#ifdef __x86_64__
#define X32_SYSCALL_BIT 0x40000000

/* getpid through the i386 entry (its number is 20 there). */
static long i386_getpid(void)
{
	long r = 20;

	__asm__ volatile("int $0x80" : "+a"(r) : : "memory", "r8", "r9", "r10", "r11");
	return r;
}

static void child_i386_getpid(const void *arg)
{
	CHECK(i386_getpid() == getpid());
}

static void child_x32_getpid(const void *arg)
{
	syscall(X32_SYSCALL_BIT | SYS_getpid);
}

static void child_arches(const void *arg)
{
	bool i386 = *(const bool *)arg;

	CHECK(syscall(SYS_getpid) == -1 && errno == EACCES);
	/* x32 shares x86_64's audit arch: libseccomp tells them apart by
	 * __X32_SYSCALL_BIT. Listed, the rule applies to it too. */
	CHECK(syscall(X32_SYSCALL_BIT | SYS_getpid) == -1 && errno == EACCES);
	CHECK(!i386 || i386_getpid() == -EACCES);
}

static void test_architectures(void **state)
{
	struct oci_seccomp s = ALLOW_BUT({EACCES_FOR("getpid")});
	_cleanup_(seccomp_filter_freep) struct seccomp_filter *f = NULL;
	bool i386 = true;
	struct child c;

	run_child(NULL, child_i386_getpid, NULL, &c);
	if (!WIFEXITED(c.status) || WEXITSTATUS(c.status) != 0) {
		print_message("no i386 emulation (wait status 0x%x): i386 checks skipped\n",
		              c.status);
		i386 = false;
	}
	s.architectures = NAMES("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32");
	check_profile(&s, child_arches, &i386);

	/* Native only: x32 and i386 calls meet the bad-arch action (kill). */
	s.architectures = NULL;
	f = build_ok(&s);
	run_child(f, child_x32_getpid, NULL, &c);
	assert_child_killed(&c, SIGSYS);
	if (i386) {
		run_child(f, child_i386_getpid, NULL, &c);
		assert_child_killed(&c, SIGSYS);
	}
}
#else
static void test_architectures(void **state)
{
	skip();
}
#endif

/* ---- Docker's default profile ---- */

static const char *const action_names[] = {
        [OCI_SECCOMP_KILL] = "SCMP_ACT_KILL",
        [OCI_SECCOMP_KILL_PROCESS] = "SCMP_ACT_KILL_PROCESS",
        [OCI_SECCOMP_KILL_THREAD] = "SCMP_ACT_KILL_THREAD",
        [OCI_SECCOMP_TRAP] = "SCMP_ACT_TRAP",
        [OCI_SECCOMP_ERRNO] = "SCMP_ACT_ERRNO",
        [OCI_SECCOMP_TRACE] = "SCMP_ACT_TRACE",
        [OCI_SECCOMP_ALLOW] = "SCMP_ACT_ALLOW",
        [OCI_SECCOMP_LOG] = "SCMP_ACT_LOG",
        [OCI_SECCOMP_NOTIFY] = "SCMP_ACT_NOTIFY",
};

static const char *const op_names[] = {
        [OCI_SCMP_NE] = "SCMP_CMP_NE",
        [OCI_SCMP_LT] = "SCMP_CMP_LT",
        [OCI_SCMP_LE] = "SCMP_CMP_LE",
        [OCI_SCMP_EQ] = "SCMP_CMP_EQ",
        [OCI_SCMP_GE] = "SCMP_CMP_GE",
        [OCI_SCMP_GT] = "SCMP_CMP_GT",
        [OCI_SCMP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
};

static unsigned name_index(const char *const *names, size_t n, const char *s)
{
	for (unsigned i = 0; i < n; i++)
		if (streq(names[i], s))
			return i;
	fail_msg("unknown name \"%s\"", s);
	return 0;
}

/* The parser is written elsewhere: a minimal conversion of the profile's
 * JSON, enough for what seccomp_default_profile() emits. */
static void arg_from_json(json_t *j, struct oci_seccomp_arg *ret)
{
	ret->index = json_integer_value(json_object_get(j, "index"));
	ret->value = json_integer_value(json_object_get(j, "value"));
	ret->value_two = json_integer_value(json_object_get(j, "valueTwo"));
	ret->op = name_index(op_names, ELEMENTSOF(op_names),
	                     json_string_value(json_object_get(j, "op")));
}

static void rule_from_json(json_t *j, struct oci_seccomp_rule *ret)
{
	json_t *args = json_object_get(j, "args"), *errno_ret = json_object_get(j, "errnoRet");

	assert_int_equal(json_get_strv(j, "", "names", true, &ret->names, NULL), 0);
	ret->action = name_index(action_names, ELEMENTSOF(action_names),
	                         json_string_value(json_object_get(j, "action")));
	ret->has_errno_ret = errno_ret != NULL;
	ret->errno_ret = json_integer_value(errno_ret);
	ret->n_args = json_array_size(args);
	ret->args = calloc(ret->n_args + 1, sizeof(*ret->args));
	assert_non_null(ret->args);
	for (size_t i = 0; i < ret->n_args; i++)
		arg_from_json(json_array_get(args, i), &ret->args[i]);
}

static void profile_from_json(json_t *j, struct oci_seccomp *ret)
{
	json_t *rules = json_object_get(j, "syscalls"), *def_errno;

	*ret = (struct oci_seccomp){.present = true};
	ret->default_action = name_index(action_names, ELEMENTSOF(action_names),
	                                 json_string_value(json_object_get(j, "defaultAction")));
	def_errno = json_object_get(j, "defaultErrnoRet");
	ret->has_default_errno_ret = def_errno != NULL;
	ret->default_errno_ret = json_integer_value(def_errno);
	assert_int_equal(json_get_strv(j, "", "architectures", false, &ret->architectures, NULL),
	                 0);
	ret->n_syscalls = json_array_size(rules);
	ret->syscalls = calloc(ret->n_syscalls, sizeof(*ret->syscalls));
	assert_non_null(ret->syscalls);
	for (size_t i = 0; i < ret->n_syscalls; i++)
		rule_from_json(json_array_get(rules, i), &ret->syscalls[i]);
}

static void profile_release(struct oci_seccomp *s)
{
	for (size_t i = 0; i < s->n_syscalls; i++) {
		strv_free(s->syscalls[i].names);
		free(s->syscalls[i].args);
	}
	free(s->syscalls);
	strv_free(s->architectures);
}

/* Docker's default capabilities (no CAP_SYS_ADMIN). */
#define DOCKER_CAPS                                                                                \
	(CAP_MASK(CAP_CHOWN) | CAP_MASK(CAP_DAC_OVERRIDE) | CAP_MASK(CAP_FSETID) |                 \
	 CAP_MASK(CAP_FOWNER) | CAP_MASK(CAP_MKNOD) | CAP_MASK(CAP_NET_RAW) |                      \
	 CAP_MASK(CAP_SETGID) | CAP_MASK(CAP_SETUID) | CAP_MASK(CAP_SETFCAP) |                     \
	 CAP_MASK(CAP_SETPCAP) | CAP_MASK(CAP_NET_BIND_SERVICE) | CAP_MASK(CAP_SYS_CHROOT) |       \
	 CAP_MASK(CAP_KILL) | CAP_MASK(CAP_AUDIT_WRITE))
#define CAP_MASK(c) (UINT64_C(1) << (c))

static json_t *find_rule(json_t *profile, const char *name, const char *action)
{
	json_t *rule, *n;
	size_t i, k;

	json_array_foreach (json_object_get(profile, "syscalls"), i, rule)
		json_array_foreach (json_object_get(rule, "names"), k, n)
			if (streq(json_string_value(n), name) &&
			    streq(json_string_value(json_object_get(rule, "action")), action))
				return rule;
	return NULL;
}

static void test_default_profile_json(void **state)
{
	_cleanup_json_ json_t *p = seccomp_default_profile(DOCKER_CAPS);
	_cleanup_json_ json_t *admin =
	        seccomp_default_profile(DOCKER_CAPS | CAP_MASK(CAP_SYS_ADMIN));
	_cleanup_free_ char *arches = NULL;
	json_t *clone3, *clone;

	assert_non_null(p);
	assert_non_null(admin);
	assert_string_equal(json_string_value(json_object_get(p, "defaultAction")),
	                    "SCMP_ACT_ERRNO");
	assert_int_equal(json_integer_value(json_object_get(p, "defaultErrnoRet")), EPERM);
#ifdef __x86_64__
	arches = json_compact(json_object_get(p, "architectures"));
	assert_string_equal(arches, "[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"]");
	assert_non_null(find_rule(p, "arch_prctl", "SCMP_ACT_ALLOW"));
	assert_non_null(find_rule(p, "modify_ldt", "SCMP_ACT_ALLOW"));
#endif
#if !defined(__s390__)
	assert_null(find_rule(p, "s390_runtime_instr", "SCMP_ACT_ALLOW"));
#endif
	/* Without CAP_SYS_ADMIN: conditional clone, clone3 answered ENOSYS. */
	clone3 = find_rule(p, "clone3", "SCMP_ACT_ERRNO");
	assert_non_null(clone3);
	assert_int_equal(json_integer_value(json_object_get(clone3, "errnoRet")), ENOSYS);
	clone = find_rule(p, "clone", "SCMP_ACT_ALLOW");
	assert_non_null(clone);
	assert_int_equal(json_integer_value(json_object_get(
	                         json_array_get(json_object_get(clone, "args"), 0), "value")),
	                 2114060288);
	assert_null(find_rule(p, "unshare", "SCMP_ACT_ALLOW"));
	assert_null(find_rule(p, "mount", "SCMP_ACT_ALLOW"));
	assert_null(find_rule(p, "kcmp", "SCMP_ACT_ALLOW"));
	assert_non_null(find_rule(p, "ptrace", "SCMP_ACT_ALLOW")); /* kernel >= 4.8 */
	assert_non_null(find_rule(p, "chroot", "SCMP_ACT_ALLOW")); /* CAP_SYS_CHROOT */
	/* With it: unconditional clone, clone3, unshare, mount. */
	assert_null(find_rule(admin, "clone3", "SCMP_ACT_ERRNO"));
	assert_non_null(find_rule(admin, "clone3", "SCMP_ACT_ALLOW"));
	assert_null(json_object_get(find_rule(admin, "clone", "SCMP_ACT_ALLOW"), "args"));
	assert_non_null(find_rule(admin, "unshare", "SCMP_ACT_ALLOW"));
	assert_non_null(find_rule(admin, "mount", "SCMP_ACT_ALLOW"));
}

static void child_docker_default(const void *arg)
{
	char buf[16];
	pid_t pid;
	int fd, status;

	errno = 0;
	CHECK(unshare(CLONE_NEWUSER) == -1 && errno == EPERM);
	CHECK(syscall(SYS_mount, "none", "/", "tmpfs", 0, NULL) == -1 && errno == EPERM);
	CHECK(socket(AF_VSOCK, SOCK_STREAM, 0) == -1 && errno == EPERM);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	close(fd);
	CHECK(personality(0xffffffff) >= 0);
	CHECK(personality(PER_BSD) == -1 && errno == EPERM);
	CHECK(syscall(SYS_clone3, NULL, 0) == -1 && errno == ENOSYS);
	fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && read(fd, buf, sizeof(buf)) == sizeof(buf));
	close(fd);
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	CHECK(fd >= 0 && write(fd, buf, sizeof(buf)) == sizeof(buf));
	close(fd);
	CHECK(thread_runs());
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void child_docker_admin(const void *arg)
{
	/* With CAP_SYS_ADMIN in the mask, unshare gets through to the kernel. */
	CHECK(unshare(CLONE_NEWUSER) == 0);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void child_time_load(const void *arg)
{
	struct seccomp_filter *f = (struct seccomp_filter *)arg;
	double t0 = now_ms();

	CHECK(seccomp_filter_load(f) == 0);
	dprintf(STDERR_FILENO, "%.3f", now_ms() - t0);
}

static void test_default_profile_loads(void **state)
{
	_cleanup_json_ json_t *p = seccomp_default_profile(DOCKER_CAPS);
	_cleanup_json_ json_t *admin =
	        seccomp_default_profile(DOCKER_CAPS | CAP_MASK(CAP_SYS_ADMIN));
	struct oci_seccomp s, sa;
	struct seccomp_filter *f, *fa;

	profile_from_json(p, &s);
	profile_from_json(admin, &sa);
	f = build_ok(&s);
	fa = build_ok(&sa);
	run_ok(f, child_docker_default, NULL);
	run_ok(fa, child_docker_admin, NULL);
	seccomp_filter_free(f);
	seccomp_filter_free(fa);
	profile_release(&s);
	profile_release(&sa);
}

/* ---- the cache ---- */

/* A fresh cache dir; ret_file gets its one file (when there is one). */
static bool cache_file(const char *dir, char *ret_file, size_t len)
{
	_cleanup_free_ char *pattern = str_printf("%s/*.bpf", dir);
	glob_t g;
	bool found;

	found = glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc == 1;
	if (found)
		snprintf(ret_file, len, "%s", g.gl_pathv[0]);
	globfree(&g);
	return found;
}

static void cache_cleanup(const char *dir)
{
	char file[256];

	while (cache_file(dir, file, sizeof(file)))
		unlink(file);
	rmdir(dir);
}

static struct seccomp_filter *build_cached_ok(const struct oci_seccomp *s, const char *dir)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct seccomp_filter *f = NULL;

	if (seccomp_filter_build_cached(s, dir, &f, &err) < 0)
		fail_msg("seccomp_filter_build_cached: %s", error_message(err));
	return f;
}

/* Build through the cache in dir, then check the program in a child. */
static void check_cached(const struct oci_seccomp *s, const char *dir)
{
	_cleanup_(seccomp_filter_freep) struct seccomp_filter *f = build_cached_ok(s, dir);

	run_ok(f, child_getcwd_eacces, NULL);
}

static void test_cache(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct oci_seccomp s = ALLOW_BUT({EACCES_FOR("getcwd")}), bad = s;
	struct seccomp_filter *f = NULL;
	char dir[] = "/tmp/husk-test-seccomp-XXXXXX", file[256];
	struct stat st;

	assert_non_null(mkdtemp(dir));
	check_cached(&s, dir); /* a miss: compiled and stored */
	assert_true(cache_file(dir, file, sizeof(file)));
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	check_cached(&s, dir); /* a hit */
	assert_int_equal(truncate(file, 20), 0);
	check_cached(&s, dir); /* damaged: compiled again */
	/* Refusals are not cached. */
	bad.flags = NAMES("SECCOMP_FILTER_FLAG_NOPE");
	assert_int_equal(seccomp_filter_build_cached(&bad, dir, &f, &err), -EINVAL);
	assert_string_equal(error_message(err),
	                    "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_NOPE\"");
	cache_cleanup(dir);
}

/* A program others could have written is never loaded. */
static void test_cache_untrusted(void **state)
{
	struct oci_seccomp s = ALLOW_BUT({EACCES_FOR("getcwd")});
	struct oci_seccomp allow = ALLOW_BUT({.names = NAMES("getcwd"), .action = OCI_SECCOMP_LOG});
	char dir[] = "/tmp/husk-test-seccomp-XXXXXX", file[256], planted[300];

	assert_non_null(mkdtemp(dir));
	seccomp_filter_free(build_cached_ok(&allow, dir));
	assert_true(cache_file(dir, file, sizeof(file)));
	snprintf(planted, sizeof(planted), "%s/planted", dir);
	assert_int_equal(rename(file, planted), 0);
	assert_int_equal(chmod(planted, 0666), 0);
	seccomp_filter_free(build_cached_ok(&s, dir)); /* learn s's file name */
	assert_true(cache_file(dir, file, sizeof(file)));
	assert_int_equal(rename(planted, file), 0);
	check_cached(&s, dir); /* getcwd still EACCES, not allowed */
	assert_int_equal(chmod(dir, 0777), 0);
	check_cached(&s, dir); /* an open dir is not used (and nothing breaks) */
	cache_cleanup(dir);
}

/* What the default profile costs on the container start path. Printed,
 * not asserted: the numbers depend on the build (ASan doubles them). */
static void test_default_profile_timing(void **state)
{
	_cleanup_json_ json_t *p = seccomp_default_profile(DOCKER_CAPS);
	char dir[] = "/tmp/husk-test-seccomp-XXXXXX";
	const int rounds = 20;
	double t0, t_json, t_build, t_hit;
	struct seccomp_filter *f = NULL;
	struct oci_seccomp s;
	struct child c;

	assert_non_null(mkdtemp(dir));
	profile_from_json(p, &s);
	t0 = now_ms();
	for (int i = 0; i < rounds; i++)
		json_decref(seccomp_default_profile(DOCKER_CAPS));
	t_json = (now_ms() - t0) / rounds;
	t0 = now_ms();
	for (int i = 0; i < rounds; i++) {
		seccomp_filter_free(f);
		f = build_ok(&s);
	}
	t_build = (now_ms() - t0) / rounds;
	seccomp_filter_free(build_cached_ok(&s, dir));
	t0 = now_ms();
	for (int i = 0; i < rounds; i++)
		seccomp_filter_free(build_cached_ok(&s, dir));
	t_hit = (now_ms() - t0) / rounds;
	run_child(NULL, child_time_load, f, &c);
	assert_child_ok(&c);
	print_message("default profile: json %.3f ms, build %.3f ms, cached build %.3f ms, "
	              "load %s ms\n",
	              t_json, t_build, t_hit, c.out);
	seccomp_filter_free(f);
	profile_release(&s);
	cache_cleanup(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_allow_all_but_getcwd),
	        cmocka_unit_test(test_default_errno),
	        cmocka_unit_test(test_rule_errno_ret),
	        cmocka_unit_test(test_arg_eq),
	        cmocka_unit_test(test_arg_masked_eq_clone),
	        cmocka_unit_test(test_arg_operators),
	        cmocka_unit_test(test_arg_same_index),
	        cmocka_unit_test(test_kill_process),
	        cmocka_unit_test(test_unknown_syscall),
	        cmocka_unit_test(test_foreign_names),
	        cmocka_unit_test(test_notify_refused),
	        cmocka_unit_test(test_bad_input_refused),
	        cmocka_unit_test(test_flags),
	        cmocka_unit_test(test_clone3),
	        cmocka_unit_test(test_architectures),
	        cmocka_unit_test(test_default_profile_json),
	        cmocka_unit_test(test_default_profile_loads),
	        cmocka_unit_test(test_cache),
	        cmocka_unit_test(test_cache_untrusted),
	        cmocka_unit_test(test_default_profile_timing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
