/* Unit tests for src/runtime/caps.c on the real kernel: every change is
 * made in a forked child, which checks /proc/self/status and reports
 * through its exit status and a pipe, so the test keeps its privileges.
 * Needs root. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "base/fs.h"
#include "base/str.h"
#include "runtime/caps.h"

#define CAP(c)   (UINT64_C(1) << (c))
#define TEST_UID 1000
#define TEST_GID 1000

struct child {
	int status;
	char out[4096]; /* the child's stderr */
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

static void run_child(child_fn fn, const void *arg, struct child *ret)
{
	int p[2];
	pid_t pid;
	ssize_t n;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	fflush(NULL); /* or the child's exit would print cmocka's buffer again */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(p[1], STDERR_FILENO);
		fn(arg);
		_exit(0);
	}
	close(p[1]);
	n = read_full(p[0], ret->out, sizeof(ret->out) - 1);
	ret->out[n > 0 ? n : 0] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &ret->status, 0), pid);
	if (!WIFEXITED(ret->status) || WEXITSTATUS(ret->status) != 0)
		fail_msg("child failed (wait status 0x%x): %s", ret->status, ret->out);
}

static void run_ok(child_fn fn, const void *arg)
{
	struct child c;

	run_child(fn, arg, &c);
}

/* A capability mask line ("CapEff:", "CapBnd:", …) of /proc/PID/status. */
static uint64_t status_mask(const char *status, const char *field)
{
	const char *p = strstr(status, field);
	unsigned long long v = 0;

	if (!p || sscanf(p + strlen(field), " %llx", &v) != 1)
		return UINT64_MAX;
	return v;
}

static uint64_t my_mask(const char *field)
{
	_cleanup_free_ char *status = NULL;

	if (read_file("/proc/self/status", 1 << 16, &status, NULL, NULL) < 0)
		return UINT64_MAX;
	return status_mask(status, field);
}

/* In a child: the call failed with this error, or say what it got. */
#define check_error(call, err, code, msg) check_error_((call), &(err), (code), (msg))
static void check_error_(int r, struct husk_error **err, int code, const char *msg)
{
	if (r == -code && streq(error_message(*err), msg))
		return;
	dprintf(STDERR_FILENO, "got %d \"%s\", want %d \"%s\"\n", r, error_message(*err), -code,
	        msg);
	_exit(1);
}

/* ---- cap_last_cap ---- */

static int proc_last_cap(void)
{
	_cleanup_free_ char *s = NULL;

	assert_int_equal(read_file("/proc/sys/kernel/cap_last_cap", 64, &s, NULL, NULL), 0);
	return atoi(s);
}

/* With /proc/sys hidden (a container without /proc), the bounding set is
 * probed instead. */
static void child_last_cap_probe(const void *arg)
{
	int want = *(const int *)arg;

	CHECK(unshare(CLONE_NEWNS) == 0);
	CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
	CHECK(mount("tmpfs", "/proc/sys", "tmpfs", 0, NULL) == 0);
	CHECK(access("/proc/sys/kernel/cap_last_cap", F_OK) < 0);
	CHECK(caps_last_cap() == want);
}

static void test_last_cap(void **state)
{
	int want = proc_last_cap();

	assert_true(want >= CAP_AUDIT_READ);
	assert_int_equal(caps_last_cap(), want);
	run_ok(child_last_cap_probe, &want);
}

/* ---- bounding set ---- */

static void child_bounding(const void *arg)
{
	const uint64_t want = CAP(CAP_CHOWN) | CAP(CAP_SETUID) | CAP(CAP_SETGID) |
	                      CAP(CAP_SETPCAP) | CAP(CAP_NET_BIND_SERVICE);
	struct oci_caps caps = {.present = true, .bounding = want | CAP(62) /* unknown: ignored */};
	_cleanup_error_ struct husk_error *err = NULL;

	CHECK(caps_apply_bounding(&caps, &err) == 0);
	CHECK(my_mask("CapBnd:") == want);
	CHECK(prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) == 0);
	CHECK(prctl(PR_CAPBSET_READ, CAP_CHOWN, 0, 0, 0) == 1);
	/* Again, now without CAP_SETPCAP: what is gone stays gone, no error. */
	caps.bounding = want & ~CAP(CAP_SETPCAP);
	CHECK(caps_apply_bounding(&caps, &err) == 0);
	CHECK(caps_apply_bounding(&caps, &err) == 0);
	CHECK(my_mask("CapBnd:") == caps.bounding);
}

static void test_bounding(void **state)
{
	run_ok(child_bounding, NULL);
}

/* Dropping needs CAP_SETPCAP: a plain user gets an error naming the cap. */
static void child_bounding_error(const void *arg)
{
	struct oci_caps caps = {.present = true, .bounding = 0};
	_cleanup_error_ struct husk_error *err = NULL;

	CHECK(setresuid(TEST_UID, TEST_UID, TEST_UID) == 0);
	check_error(caps_apply_bounding(&caps, &err), err, EPERM,
	            "bounding set: drop CAP_CHOWN: Operation not permitted");
}

static void test_bounding_error(void **state)
{
	run_ok(child_bounding_error, NULL);
}

/* ---- keepcaps, sets, ambient ---- */

static void child_keep(const void *arg)
{
	CHECK(caps_keep(true) == 0 && prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0) == 1);
	CHECK(caps_keep(false) == 0 && prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0) == 0);
}

static void test_keep(void **state)
{
	run_ok(child_keep, NULL);
}

#define AMBIENT (CAP(CAP_NET_BIND_SERVICE) | CAP(CAP_NET_RAW))

/* The runtime's order: bounding, keepcaps, setuid, sets + ambient, exec.
 * cat prints its own status to the parent. */
static void child_non_root(const void *arg)
{
	struct oci_caps caps = {
	        .present = true,
	        .bounding = AMBIENT | CAP(CAP_CHOWN) | CAP(CAP_SETUID) | CAP(CAP_SETGID),
	        .effective = AMBIENT | CAP(CAP_CHOWN),
	        .permitted = AMBIENT | CAP(CAP_CHOWN),
	        .inheritable = AMBIENT,
	        .ambient = AMBIENT,
	};
	_cleanup_error_ struct husk_error *err = NULL;

	CHECK(caps_apply_bounding(&caps, &err) == 0);
	CHECK(caps_keep(true) == 0);
	CHECK(setgroups(0, NULL) == 0);
	CHECK(setresgid(TEST_GID, TEST_GID, TEST_GID) == 0);
	CHECK(setresuid(TEST_UID, TEST_UID, TEST_UID) == 0);
	CHECK(my_mask("CapEff:") == 0); /* setuid cleared it, keepcaps kept CapPrm */
	CHECK(caps_apply_sets(&caps, &err) == 0);
	CHECK(caps_keep(false) == 0);
	CHECK(my_mask("CapEff:") == caps.effective);
	CHECK(my_mask("CapPrm:") == caps.permitted);
	CHECK(my_mask("CapInh:") == caps.inheritable);
	CHECK(my_mask("CapAmb:") == caps.ambient);
	CHECK(dup2(STDERR_FILENO, STDOUT_FILENO) == STDOUT_FILENO);
	execl("/bin/cat", "cat", "/proc/self/status", (char *)NULL);
	CHECK(!"execl");
}

static void test_sets_ambient_non_root(void **state)
{
	struct child c;

	run_child(child_non_root, NULL, &c);
	/* After execve as a user, the ambient set is what is left. */
	assert_non_null(strstr(c.out, "Uid:\t1000\t1000\t1000\t1000\n"));
	assert_int_equal(status_mask(c.out, "CapEff:"), AMBIENT);
	assert_int_equal(status_mask(c.out, "CapPrm:"), AMBIENT);
	assert_int_equal(status_mask(c.out, "CapInh:"), AMBIENT);
	assert_int_equal(status_mask(c.out, "CapAmb:"), AMBIENT);
	assert_int_equal(status_mask(c.out, "CapBnd:"),
	                 AMBIENT | CAP(CAP_CHOWN) | CAP(CAP_SETUID) | CAP(CAP_SETGID));
}

static void child_inheritable(const void *arg)
{
	uint64_t all = my_mask("CapPrm:");
	struct oci_caps caps = {
	        .present = true, .effective = all, .permitted = all, .inheritable = CAP(CAP_CHOWN)};
	_cleanup_error_ struct husk_error *err = NULL;

	CHECK(caps_apply_sets(&caps, &err) == 0);
	CHECK(my_mask("CapInh:") == CAP(CAP_CHOWN));
	caps.inheritable = 0; /* not asked: empty, whatever it was */
	CHECK(caps_apply_sets(&caps, &err) == 0);
	CHECK(my_mask("CapInh:") == 0 && my_mask("CapAmb:") == 0);
	CHECK(my_mask("CapEff:") == all);
	/* Capabilities past the kernel's last are ignored. */
	caps.effective = caps.permitted = all | CAP(62);
	CHECK(caps_apply_sets(&caps, &err) == 0);
	CHECK(my_mask("CapEff:") == all);
}

static void test_inheritable_empty_unless_asked(void **state)
{
	run_ok(child_inheritable, NULL);
}

static void child_ambient_errors(const void *arg)
{
	uint64_t all = my_mask("CapPrm:");
	struct oci_caps caps = {.present = true,
	                        .effective = CAP(CAP_NET_BIND_SERVICE),
	                        .permitted = CAP(CAP_NET_BIND_SERVICE),
	                        .ambient = CAP(CAP_NET_BIND_SERVICE)};
	_cleanup_error_ struct husk_error *err = NULL, *err2 = NULL;

	check_error(caps_apply_sets(&caps, &err), err, EPERM,
	            "ambient set: CAP_NET_BIND_SERVICE: not in the inheritable set");
	CHECK(my_mask("CapEff:") == all); /* refused before anything changed */
	caps.inheritable = caps.ambient = CAP(CAP_NET_BIND_SERVICE) | CAP(CAP_KILL);
	check_error(caps_apply_sets(&caps, &err2), err2, EPERM,
	            "ambient set: CAP_KILL: not in the permitted set");
}

static void test_ambient_errors(void **state)
{
	run_ok(child_ambient_errors, NULL);
}

static void child_capset_errors(const void *arg)
{
	uint64_t all = my_mask("CapPrm:") & ~CAP(CAP_SYS_ADMIN);
	struct oci_caps caps = {.present = true, .effective = all, .permitted = all};
	struct oci_caps bnd = {.present = true, .bounding = all};
	_cleanup_error_ struct husk_error *e1 = NULL, *e2 = NULL, *e3 = NULL, *e4 = NULL;

	CHECK(caps_apply_sets(&caps, &e1) == 0);
	caps.permitted |= CAP(CAP_SYS_ADMIN);
	check_error(caps_apply_sets(&caps, &e2), e2, EPERM,
	            "capset: CAP_SYS_ADMIN: not in the current permitted set: Operation not "
	            "permitted");
	caps.permitted = all & ~CAP(CAP_KILL);
	check_error(caps_apply_sets(&caps, &e3), e3, EPERM,
	            "capset: CAP_KILL: effective but not permitted: Operation not permitted");
	CHECK(caps_apply_bounding(&bnd, &e1) == 0);
	caps = (struct oci_caps){.present = true,
	                         .effective = all,
	                         .permitted = all,
	                         .inheritable = CAP(CAP_SYS_ADMIN)};
	check_error(caps_apply_sets(&caps, &e4), e4, EPERM,
	            "capset: CAP_SYS_ADMIN: inheritable but not in the bounding set: Operation "
	            "not permitted");
}

static void test_capset_errors(void **state)
{
	run_ok(child_capset_errors, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_last_cap),
	        cmocka_unit_test(test_bounding),
	        cmocka_unit_test(test_bounding_error),
	        cmocka_unit_test(test_keep),
	        cmocka_unit_test(test_sets_ambient_non_root),
	        cmocka_unit_test(test_inheritable_empty_unless_asked),
	        cmocka_unit_test(test_ambient_errors),
	        cmocka_unit_test(test_capset_errors),
	};

	if (geteuid() != 0) {
		print_message("not root: capability tests skipped\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
