/* names.c — the names of the runtime spec and the numbers they stand for:
 * capabilities, signals, rlimits, namespaces, seccomp actions, operators,
 * flags and architectures, scheduler policies and flags, I/O priority
 * classes, personalities and hook kinds. Tables only; no parsing logic.
 */
#include <ctype.h>
#include <linux/capability.h>
#include <linux/ioprio.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>

#include "base/str.h"
#include "oci/spec_internal.h"

#define NAME(x)                                                                                    \
	{                                                                                          \
#x, x                                                                              \
	}
#define TABLE(name, array) const struct oci_name_table name = {array, ELEMENTSOF(array)}

/* Indexed by number: oci_cap_name() relies on the order. */
static const struct oci_name caps[] = {
        NAME(CAP_CHOWN),
        NAME(CAP_DAC_OVERRIDE),
        NAME(CAP_DAC_READ_SEARCH),
        NAME(CAP_FOWNER),
        NAME(CAP_FSETID),
        NAME(CAP_KILL),
        NAME(CAP_SETGID),
        NAME(CAP_SETUID),
        NAME(CAP_SETPCAP),
        NAME(CAP_LINUX_IMMUTABLE),
        NAME(CAP_NET_BIND_SERVICE),
        NAME(CAP_NET_BROADCAST),
        NAME(CAP_NET_ADMIN),
        NAME(CAP_NET_RAW),
        NAME(CAP_IPC_LOCK),
        NAME(CAP_IPC_OWNER),
        NAME(CAP_SYS_MODULE),
        NAME(CAP_SYS_RAWIO),
        NAME(CAP_SYS_CHROOT),
        NAME(CAP_SYS_PTRACE),
        NAME(CAP_SYS_PACCT),
        NAME(CAP_SYS_ADMIN),
        NAME(CAP_SYS_BOOT),
        NAME(CAP_SYS_NICE),
        NAME(CAP_SYS_RESOURCE),
        NAME(CAP_SYS_TIME),
        NAME(CAP_SYS_TTY_CONFIG),
        NAME(CAP_MKNOD),
        NAME(CAP_LEASE),
        NAME(CAP_AUDIT_WRITE),
        NAME(CAP_AUDIT_CONTROL),
        NAME(CAP_SETFCAP),
        NAME(CAP_MAC_OVERRIDE),
        NAME(CAP_MAC_ADMIN),
        NAME(CAP_SYSLOG),
        NAME(CAP_WAKE_ALARM),
        NAME(CAP_BLOCK_SUSPEND),
        NAME(CAP_AUDIT_READ),
        NAME(CAP_PERFMON),
        NAME(CAP_BPF),
        NAME(CAP_CHECKPOINT_RESTORE),
};
TABLE(oci_caps_table, caps);

static const struct oci_name rlimits[] = {
        NAME(RLIMIT_AS),     NAME(RLIMIT_CORE),   NAME(RLIMIT_CPU),        NAME(RLIMIT_DATA),
        NAME(RLIMIT_FSIZE),  NAME(RLIMIT_LOCKS),  NAME(RLIMIT_MEMLOCK),    NAME(RLIMIT_MSGQUEUE),
        NAME(RLIMIT_NICE),   NAME(RLIMIT_NOFILE), NAME(RLIMIT_NPROC),      NAME(RLIMIT_RSS),
        NAME(RLIMIT_RTPRIO), NAME(RLIMIT_RTTIME), NAME(RLIMIT_SIGPENDING), NAME(RLIMIT_STACK),
};
TABLE(oci_rlimits_table, rlimits);

/* Without the "SIG" prefix, which oci_signal_from_name() strips. */
static const struct oci_name signals[] = {
        {"HUP", SIGHUP},       {"INT", SIGINT},       {"QUIT", SIGQUIT}, {"ILL", SIGILL},
        {"TRAP", SIGTRAP},     {"ABRT", SIGABRT},     {"IOT", SIGIOT},   {"BUS", SIGBUS},
        {"FPE", SIGFPE},       {"KILL", SIGKILL},     {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},
        {"USR2", SIGUSR2},     {"PIPE", SIGPIPE},     {"ALRM", SIGALRM}, {"TERM", SIGTERM},
#ifdef SIGSTKFLT
        {"STKFLT", SIGSTKFLT},
#endif
        {"CHLD", SIGCHLD},     {"CONT", SIGCONT},     {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},
        {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU},     {"URG", SIGURG},   {"XCPU", SIGXCPU},
        {"XFSZ", SIGXFSZ},     {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},
        {"IO", SIGIO},         {"POLL", SIGPOLL},     {"PWR", SIGPWR},   {"SYS", SIGSYS},
};
static const struct oci_name_table signals_table = {signals, ELEMENTSOF(signals)};

static const struct oci_name seccomp_actions[] = {
        {"SCMP_ACT_KILL", OCI_SECCOMP_KILL},
        {"SCMP_ACT_KILL_PROCESS", OCI_SECCOMP_KILL_PROCESS},
        {"SCMP_ACT_KILL_THREAD", OCI_SECCOMP_KILL_THREAD},
        {"SCMP_ACT_TRAP", OCI_SECCOMP_TRAP},
        {"SCMP_ACT_ERRNO", OCI_SECCOMP_ERRNO},
        {"SCMP_ACT_TRACE", OCI_SECCOMP_TRACE},
        {"SCMP_ACT_ALLOW", OCI_SECCOMP_ALLOW},
        {"SCMP_ACT_LOG", OCI_SECCOMP_LOG},
        {"SCMP_ACT_NOTIFY", OCI_SECCOMP_NOTIFY},
};
TABLE(oci_seccomp_actions_table, seccomp_actions);

static const struct oci_name seccomp_ops[] = {
        {"SCMP_CMP_NE", OCI_SCMP_NE},
        {"SCMP_CMP_LT", OCI_SCMP_LT},
        {"SCMP_CMP_LE", OCI_SCMP_LE},
        {"SCMP_CMP_EQ", OCI_SCMP_EQ},
        {"SCMP_CMP_GE", OCI_SCMP_GE},
        {"SCMP_CMP_GT", OCI_SCMP_GT},
        {"SCMP_CMP_MASKED_EQ", OCI_SCMP_MASKED_EQ},
};
TABLE(oci_seccomp_ops_table, seccomp_ops);

/* The values are the kernel's SECCOMP_FILTER_FLAG_* bits. */
static const struct oci_name seccomp_flags[] = {
        {"SECCOMP_FILTER_FLAG_TSYNC", 1 << 0},
        {"SECCOMP_FILTER_FLAG_LOG", 1 << 1},
        {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", 1 << 2},
        {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 1 << 5},
};
TABLE(oci_seccomp_flags_table, seccomp_flags);

/* libseccomp's architecture names (the spec's list, plus later ports).
 * Value 1: needs libseccomp >= 2.6, which features does not claim. */
static const struct oci_name seccomp_archs[] = {
        {"SCMP_ARCH_X86", 0},      {"SCMP_ARCH_X86_64", 0},      {"SCMP_ARCH_X32", 0},
        {"SCMP_ARCH_ARM", 0},      {"SCMP_ARCH_AARCH64", 0},     {"SCMP_ARCH_MIPS", 0},
        {"SCMP_ARCH_MIPS64", 0},   {"SCMP_ARCH_MIPS64N32", 0},   {"SCMP_ARCH_MIPSEL", 0},
        {"SCMP_ARCH_MIPSEL64", 0}, {"SCMP_ARCH_MIPSEL64N32", 0}, {"SCMP_ARCH_PPC", 0},
        {"SCMP_ARCH_PPC64", 0},    {"SCMP_ARCH_PPC64LE", 0},     {"SCMP_ARCH_S390", 0},
        {"SCMP_ARCH_S390X", 0},    {"SCMP_ARCH_PARISC", 0},      {"SCMP_ARCH_PARISC64", 0},
        {"SCMP_ARCH_RISCV64", 0},  {"SCMP_ARCH_LOONGARCH64", 1}, {"SCMP_ARCH_M68K", 1},
        {"SCMP_ARCH_SH", 1},       {"SCMP_ARCH_SHEB", 1},
};
TABLE(oci_seccomp_archs_table, seccomp_archs);

/* SCHED_ISO is in the spec but was never merged into Linux (4 is reserved):
 * the table keeps it so the parser can say so instead of "unknown". */
static const struct oci_name sched_policies[] = {
        NAME(SCHED_OTHER), NAME(SCHED_FIFO), NAME(SCHED_RR),       NAME(SCHED_BATCH),
        {"SCHED_ISO", 4},  NAME(SCHED_IDLE), NAME(SCHED_DEADLINE),
};
TABLE(oci_sched_policies_table, sched_policies);

static const struct oci_name sched_flags[] = {
        NAME(SCHED_FLAG_RESET_ON_FORK),  NAME(SCHED_FLAG_RECLAIM),
        NAME(SCHED_FLAG_DL_OVERRUN),     NAME(SCHED_FLAG_KEEP_POLICY),
        NAME(SCHED_FLAG_KEEP_PARAMS),    NAME(SCHED_FLAG_UTIL_CLAMP_MIN),
        NAME(SCHED_FLAG_UTIL_CLAMP_MAX),
};
TABLE(oci_sched_flags_table, sched_flags);

static const struct oci_name ioprio_classes[] = {
        NAME(IOPRIO_CLASS_RT),
        NAME(IOPRIO_CLASS_BE),
        NAME(IOPRIO_CLASS_IDLE),
};
TABLE(oci_ioprio_classes_table, ioprio_classes);

static const struct oci_name personalities[] = {
        {"LINUX", PER_LINUX},
        {"LINUX32", PER_LINUX32},
};
TABLE(oci_personality_table, personalities);

static const struct oci_name hooks[] = {
        {"prestart", OCI_HOOK_PRESTART},
        {"createRuntime", OCI_HOOK_CREATE_RUNTIME},
        {"createContainer", OCI_HOOK_CREATE_CONTAINER},
        {"startContainer", OCI_HOOK_START_CONTAINER},
        {"poststart", OCI_HOOK_POSTSTART},
        {"poststop", OCI_HOOK_POSTSTOP},
};
TABLE(oci_hooks_table, hooks);

static const struct {
	const char *name, *proc;
	int clone_flag;
} namespaces[OCI_NS_COUNT] = {
        [OCI_NS_MOUNT] = {"mount", "mnt", CLONE_NEWNS},
        [OCI_NS_PID] = {"pid", "pid", CLONE_NEWPID},
        [OCI_NS_NETWORK] = {"network", "net", CLONE_NEWNET},
        [OCI_NS_IPC] = {"ipc", "ipc", CLONE_NEWIPC},
        [OCI_NS_UTS] = {"uts", "uts", CLONE_NEWUTS},
        [OCI_NS_USER] = {"user", "user", CLONE_NEWUSER},
        [OCI_NS_CGROUP] = {"cgroup", "cgroup", CLONE_NEWCGROUP},
        [OCI_NS_TIME] = {"time", "time", CLONE_NEWTIME},
};

int oci_name_lookup(const struct oci_name_table *t, const char *name, long *ret)
{
	for (size_t i = 0; name && i < t->n; i++)
		if (streq(t->names[i].name, name)) {
			*ret = t->names[i].value;
			return 0;
		}
	return -EINVAL;
}

const char *oci_name_of(const struct oci_name_table *t, long value)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->names[i].value == value)
			return t->names[i].name;
	return NULL;
}

json_t *oci_names_json_if(const struct oci_name_table *t, bool (*keep)(long value))
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < t->n; i++) {
		if (keep && !keep(t->names[i].value))
			continue;
		if (json_array_append_new(a, json_string(t->names[i].name)) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

json_t *oci_names_json(const struct oci_name_table *t)
{
	return oci_names_json_if(t, NULL);
}

static int lookup_int(const struct oci_name_table *t, const char *name, int *ret)
{
	long v;
	int r = oci_name_lookup(t, name, &v);

	if (r == 0)
		*ret = (int)v;
	return r;
}

int oci_cap_from_name(const char *name, int *ret)
{
	return lookup_int(&oci_caps_table, name, ret);
}

const char *oci_cap_name(int cap)
{
	if (cap < 0 || (size_t)cap >= ELEMENTSOF(caps))
		return NULL;
	return caps[cap].name;
}

int oci_rlimit_from_name(const char *name, int *ret)
{
	return lookup_int(&oci_rlimits_table, name, ret);
}

/* "RTMIN", "RTMIN+n", "RTMAX", "RTMAX-n" (n within the real-time range). */
static int rt_signal_from_name(const char *name, int *ret)
{
	const char *rest;
	int64_t n = 0;
	int base, sign;

	if ((rest = startswith(name, "RTMIN")))
		base = SIGRTMIN, sign = 1;
	else if ((rest = startswith(name, "RTMAX")))
		base = SIGRTMAX, sign = -1;
	else
		return -EINVAL;
	if (*rest) {
		if (*rest != (sign > 0 ? '+' : '-') || !isdigit((unsigned char)rest[1]))
			return -EINVAL;
		if (str_to_int64(rest + 1, &n) < 0 || n > SIGRTMAX - SIGRTMIN)
			return -EINVAL;
	}
	*ret = base + sign * (int)n;
	return 0;
}

/* As runc: a number, or a name with or without "SIG", in any case. */
int oci_signal_from_name(const char *name, int *ret)
{
	char upper[16];
	const char *bare;
	int64_t n;
	size_t i;

	if (isempty(name))
		return -EINVAL;
	if (isdigit((unsigned char)name[0])) {
		if (str_to_int64(name, &n) < 0 || n < 1 || n > SIGRTMAX)
			return -EINVAL;
		*ret = (int)n;
		return 0;
	}
	for (i = 0; name[i] && i < sizeof(upper) - 1; i++)
		upper[i] = (char)toupper((unsigned char)name[i]);
	if (name[i])
		return -EINVAL;
	upper[i] = '\0';
	bare = startswith(upper, "SIG") ?: upper;
	if (lookup_int(&signals_table, bare, ret) == 0)
		return 0;
	return rt_signal_from_name(bare, ret);
}

const char *oci_ns_type_name(enum oci_ns_type t)
{
	return (unsigned)t < OCI_NS_COUNT ? namespaces[t].name : NULL;
}

int oci_ns_type_from_name(const char *name, enum oci_ns_type *ret)
{
	for (int t = 0; t < OCI_NS_COUNT; t++)
		if (streq(namespaces[t].name, name)) {
			*ret = (enum oci_ns_type)t;
			return 0;
		}
	return -EINVAL;
}

int oci_ns_clone_flag(enum oci_ns_type t)
{
	return (unsigned)t < OCI_NS_COUNT ? namespaces[t].clone_flag : 0;
}

const char *oci_ns_proc_name(enum oci_ns_type t)
{
	return (unsigned)t < OCI_NS_COUNT ? namespaces[t].proc : NULL;
}
