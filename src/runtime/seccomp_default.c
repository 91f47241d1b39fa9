#include "runtime/seccomp_default.h"

#include <linux/capability.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/utsname.h>

#include "base/json.h"
#include "base/macro.h"

/* The data below follows moby's profiles/seccomp/default.json (Docker
 * 24-25): the same groups, in the same order, with the same gates. */

/* Architectures named by the profile's "includes"/"excludes" (Go's GOARCH
 * names), as bits. */
enum profile_arch {
	ARCH_AMD64 = 1 << 0,
	ARCH_X32 = 1 << 1,
	ARCH_X86 = 1 << 2,
	ARCH_ARM = 1 << 3,
	ARCH_ARM64 = 1 << 4,
	ARCH_PPC64LE = 1 << 5,
	ARCH_S390 = 1 << 6,
	ARCH_S390X = 1 << 7,
	ARCH_RISCV64 = 1 << 8,
};

/* This build's arch and its "archMap" entry: the native seccomp arch and
 * the compat ones it can run. Unlisted arches get no list: native only. */
#if defined(__x86_64__) && defined(__ILP32__)
#define NATIVE_ARCH ARCH_X32
#define ARCH_MAP    NULL
#elif defined(__x86_64__)
#define NATIVE_ARCH ARCH_AMD64
#define ARCH_MAP    "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"
#elif defined(__i386__)
#define NATIVE_ARCH ARCH_X86
#define ARCH_MAP    NULL
#elif defined(__aarch64__)
#define NATIVE_ARCH ARCH_ARM64
#define ARCH_MAP    "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"
#elif defined(__arm__)
#define NATIVE_ARCH ARCH_ARM
#define ARCH_MAP    NULL
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_ARCH ARCH_PPC64LE
#define ARCH_MAP    NULL
#elif defined(__s390x__)
#define NATIVE_ARCH ARCH_S390X
#define ARCH_MAP    "SCMP_ARCH_S390X", "SCMP_ARCH_S390"
#elif defined(__s390__)
#define NATIVE_ARCH ARCH_S390
#define ARCH_MAP    NULL
#elif defined(__riscv) && __riscv_xlen == 64
#define NATIVE_ARCH ARCH_RISCV64
#define ARCH_MAP    "SCMP_ARCH_RISCV64"
#else
#define NATIVE_ARCH 0
#define ARCH_MAP    NULL
#endif

#define CAP(c)           (UINT64_C(1) << (c))
#define KERNEL(maj, min) ((maj) << 16 | (min))
#define NAMES(...)       ((const char *const[]){__VA_ARGS__, NULL})
#define ARG(i, op, v)    (&(const struct profile_arg){(i), (v), (op)})

/* clone flags a container without CAP_SYS_ADMIN may not pass: CLONE_NEWNS,
 * NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET (moby's 2114060288). */
#define CLONE_NS_FLAGS 0x7e020000

struct profile_arg {
	unsigned index;
	uint64_t value;
	const char *op;
};

/* One "syscalls" entry and its gates. Every gate left 0 lets it in. */
struct profile_group {
	const char *const *names;
	const char *action; /* NULL: SCMP_ACT_ALLOW */
	int errno_ret;      /* > 0: "errnoRet" */
	const struct profile_arg *arg;
	uint64_t caps;       /* included only when the bounding set has all of these */
	uint64_t not_caps;   /* left out when the bounding set has any of these */
	unsigned arches;     /* included only on these native arches */
	unsigned not_arches; /* left out on these */
	unsigned min_kernel; /* KERNEL(maj, min) */
};

/* Packed by hand: clang-format would give every name a line of its own. */
/* clang-format off */
static const char *const allowed[] = {
	"accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "capget", "capset",
	"chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres",
	"clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
	"clock_nanosleep_time64", "close", "close_range", "connect", "copy_file_range", "creat",
	"dup", "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old",
	"epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2",
	"execve", "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64",
	"fadvise64_64", "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchown",
	"fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr",
	"flock", "fork", "fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs",
	"fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex", "futex_time64", "futex_waitv",
	"futimesat", "getcpu", "getcwd", "getdents", "getdents64", "getegid", "getegid32",
	"geteuid", "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32", "getitimer",
	"getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom",
	"getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit", "get_robust_list",
	"getrusage", "getsid", "getsockname", "getsockopt", "get_thread_area", "gettid",
	"gettimeofday", "getuid", "getuid32", "getxattr", "inotify_add_watch", "inotify_init",
	"inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy", "io_getevents",
	"io_pgetevents", "io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup",
	"io_submit", "io_uring_enter", "io_uring_register", "io_uring_setup", "ipc", "kill",
	"landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "lchown",
	"lchown32", "lgetxattr", "link", "linkat", "listen", "listxattr", "llistxattr", "_llseek",
	"lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise", "membarrier",
	"memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock",
	"mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify", "mq_open",
	"mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64",
	"mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock",
	"munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "_newselect",
	"open", "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2",
	"pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl",
	"pread64", "preadv", "preadv2", "prlimit64", "process_mrelease", "pselect6",
	"pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink",
	"readlinkat", "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg",
	"remap_file_pages", "removexattr", "rename", "renameat", "renameat2", "restart_syscall",
	"rmdir", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo",
	"rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64",
	"rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr", "sched_getparam",
	"sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler",
	"sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity",
	"sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp",
	"select", "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send",
	"sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto", "setfsgid", "setfsgid32",
	"setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setitimer",
	"setpgid", "setpriority", "setregid", "setregid32", "setresgid", "setresgid32",
	"setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit", "set_robust_list",
	"setsid", "setsockopt", "set_thread_area", "set_tid_address", "setuid", "setuid32",
	"setxattr", "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd",
	"signalfd4", "sigprocmask", "sigreturn", "socketcall", "socketpair", "splice", "stat",
	"stat64", "statfs", "statfs64", "statx", "symlink", "symlinkat", "sync", "sync_file_range",
	"syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete",
	"timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64",
	"timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime",
	"timerfd_settime64", "times", "tkill", "truncate", "truncate64", "ugetrlimit", "umask",
	"uname", "unlink", "unlinkat", "utime", "utimensat", "utimensat_time64", "utimes", "vfork",
	"vmsplice", "wait4", "waitid", "waitpid", "write", "writev", NULL,
};
/* clang-format on */

static const struct profile_group profile_groups[] = {
        {.names = allowed},
        /* Before 4.8, ptrace could be used to bypass seccomp. */
        {.names = NAMES("process_vm_readv", "process_vm_writev", "ptrace"),
         .min_kernel = KERNEL(4, 8)},
        /* AF_VSOCK (40) reaches the host's hypervisor sockets. */
        {.names = NAMES("socket"), .arg = ARG(0, "SCMP_CMP_NE", 40)},
        /* PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, and the query. */
        {.names = NAMES("personality"), .arg = ARG(0, "SCMP_CMP_EQ", 0x0)},
        {.names = NAMES("personality"), .arg = ARG(0, "SCMP_CMP_EQ", 0x8)},
        {.names = NAMES("personality"), .arg = ARG(0, "SCMP_CMP_EQ", 0x20000)},
        {.names = NAMES("personality"), .arg = ARG(0, "SCMP_CMP_EQ", 0x20008)},
        {.names = NAMES("personality"), .arg = ARG(0, "SCMP_CMP_EQ", 0xffffffff)},
        {.names = NAMES("sync_file_range2", "swapcontext"), .arches = ARCH_PPC64LE},
        {.names = NAMES("arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint",
                        "cacheflush", "set_tls"),
         .arches = ARCH_ARM | ARCH_ARM64},
        {.names = NAMES("arch_prctl"), .arches = ARCH_AMD64 | ARCH_X32},
        {.names = NAMES("modify_ldt"), .arches = ARCH_AMD64 | ARCH_X32 | ARCH_X86},
        {.names = NAMES("s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"),
         .arches = ARCH_S390 | ARCH_S390X},
        {.names = NAMES("riscv_flush_icache"), .arches = ARCH_RISCV64},
        {.names = NAMES("open_by_handle_at"), .caps = CAP(CAP_DAC_READ_SEARCH)},
        {.names = NAMES("bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen",
                        "fspick", "lookup_dcookie", "mount", "mount_setattr", "move_mount",
                        "open_tree", "perf_event_open", "quotactl", "quotactl_fd", "setdomainname",
                        "sethostname", "setns", "syslog", "umount", "umount2", "unshare"),
         .caps = CAP(CAP_SYS_ADMIN)},
        /* Without CAP_SYS_ADMIN, clone may not create namespaces; s390 swaps
         * clone's first two arguments. */
        {.names = NAMES("clone"),
         .arg = ARG(0, "SCMP_CMP_MASKED_EQ", CLONE_NS_FLAGS),
         .not_caps = CAP(CAP_SYS_ADMIN),
         .not_arches = ARCH_S390 | ARCH_S390X},
        {.names = NAMES("clone"),
         .arg = ARG(1, "SCMP_CMP_MASKED_EQ", CLONE_NS_FLAGS),
         .not_caps = CAP(CAP_SYS_ADMIN),
         .arches = ARCH_S390 | ARCH_S390X},
        /* clone3's flags are in memory, out of seccomp's reach: ENOSYS makes
         * glibc fall back to clone, which the rule above checks. */
        {.names = NAMES("clone3"),
         .action = "SCMP_ACT_ERRNO",
         .errno_ret = ENOSYS,
         .not_caps = CAP(CAP_SYS_ADMIN)},
        {.names = NAMES("reboot"), .caps = CAP(CAP_SYS_BOOT)},
        {.names = NAMES("chroot"), .caps = CAP(CAP_SYS_CHROOT)},
        {.names = NAMES("delete_module", "init_module", "finit_module"),
         .caps = CAP(CAP_SYS_MODULE)},
        {.names = NAMES("acct"), .caps = CAP(CAP_SYS_PACCT)},
        {.names = NAMES("kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv",
                        "process_vm_writev", "ptrace"),
         .caps = CAP(CAP_SYS_PTRACE)},
        {.names = NAMES("iopl", "ioperm"), .caps = CAP(CAP_SYS_RAWIO)},
        {.names = NAMES("settimeofday", "stime", "clock_settime", "clock_settime64"),
         .caps = CAP(CAP_SYS_TIME)},
        {.names = NAMES("vhangup"), .caps = CAP(CAP_SYS_TTY_CONFIG)},
        {.names = NAMES("get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"),
         .caps = CAP(CAP_SYS_NICE)},
        {.names = NAMES("syslog"), .caps = CAP(CAP_SYSLOG)},
        {.names = NAMES("bpf"), .caps = CAP(CAP_BPF)},
        {.names = NAMES("perf_event_open"), .caps = CAP(CAP_PERFMON)},
};

static unsigned kernel_version(void)
{
	struct utsname u;
	unsigned maj, min;

	if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &maj, &min) != 2)
		return 0;
	return KERNEL(maj, min);
}

static bool group_included(const struct profile_group *g, uint64_t caps, unsigned kernel)
{
	if ((caps & g->caps) != g->caps || (caps & g->not_caps))
		return false;
	if (g->arches && !(g->arches & NATIVE_ARCH))
		return false;
	if (g->not_arches & NATIVE_ARCH)
		return false;
	return kernel >= g->min_kernel;
}

static json_t *strings_json(const char *const *v)
{
	json_t *a = json_array();

	for (; a && *v; v++)
		if (json_array_append_new(a, json_string(*v)) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *group_json(const struct profile_group *g)
{
	_cleanup_json_ json_t *o = NULL;
	const struct profile_arg *a = g->arg;

	o = json_pack("{s:o, s:s}", "names", strings_json(g->names), "action",
	              g->action ? g->action : "SCMP_ACT_ALLOW");
	if (!o)
		return NULL;
	if (g->errno_ret > 0 && json_object_set_new(o, "errnoRet", json_integer(g->errno_ret)) < 0)
		return NULL;
	if (a && json_object_set_new(o, "args",
	                             json_pack("[{s:i, s:I, s:s}]", "index", (int)a->index, "value",
	                                       (json_int_t)a->value, "op", a->op)) < 0)
		return NULL;
	return TAKE_PTR(o);
}

json_t *seccomp_default_profile(uint64_t caps)
{
	static const char *const arch_map[] = {ARCH_MAP, NULL};
	_cleanup_json_ json_t *p = NULL;
	json_t *rules;
	unsigned kernel = kernel_version();

	p = json_pack("{s:s, s:i, s:o, s:[]}", "defaultAction", "SCMP_ACT_ERRNO", "defaultErrnoRet",
	              EPERM, "architectures", strings_json(arch_map), "syscalls");
	if (!p)
		return NULL;
	rules = json_object_get(p, "syscalls");
	for (size_t i = 0; i < ELEMENTSOF(profile_groups); i++) {
		const struct profile_group *g = &profile_groups[i];

		if (group_included(g, caps, kernel) &&
		    json_array_append_new(rules, group_json(g)) < 0)
			return NULL;
	}
	return TAKE_PTR(p);
}
