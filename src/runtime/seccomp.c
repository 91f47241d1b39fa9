#include "runtime/seccomp.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include "base/fs.h"
#include "base/str.h"

/* The compiled program: building it (libseccomp's database, its BPF
 * generator) happens in the runtime before entering the container, so that
 * loading is a single seccomp(2) call in the child, with no allocation and
 * no library state touched after fork. */
struct seccomp_filter {
	struct sock_fprog prog;
	unsigned int flags; /* SECCOMP_FILTER_FLAG_* passed to seccomp(2) */
};

#define SECCOMP_MAX_ARGS 6

/* Ports newer than libseccomp 2.5: no binary of theirs can run here, so
 * a profile that lists them gets them skipped rather than refused. */
#ifndef SCMP_ARCH_LOONGARCH64
#define SCMP_ARCH_LOONGARCH64 0
#endif
#ifndef SCMP_ARCH_M68K
#define SCMP_ARCH_M68K 0
#endif
#ifndef SCMP_ARCH_SH
#define SCMP_ARCH_SH 0
#endif
#ifndef SCMP_ARCH_SHEB
#define SCMP_ARCH_SHEB 0
#endif

static const struct {
	const char *name;
	uint32_t token; /* 0: unknown to this libseccomp */
} seccomp_arches[] = {
        {"SCMP_ARCH_X86", SCMP_ARCH_X86},
        {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
        {"SCMP_ARCH_X32", SCMP_ARCH_X32},
        {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
        {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
        {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
        {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
        {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
        {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
        {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
        {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
        {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
        {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
        {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
        {"SCMP_ARCH_S390", SCMP_ARCH_S390},
        {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
        {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
        {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
        {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
        {"SCMP_ARCH_LOONGARCH64", SCMP_ARCH_LOONGARCH64},
        {"SCMP_ARCH_M68K", SCMP_ARCH_M68K},
        {"SCMP_ARCH_SH", SCMP_ARCH_SH},
        {"SCMP_ARCH_SHEB", SCMP_ARCH_SHEB},
};

/* The flags runc supports; each is both a libseccomp attribute (which
 * checks that the kernel knows it) and the seccomp(2) flag we load with. */
static const struct {
	const char *name;
	enum scmp_filter_attr attr;
	unsigned int kernel_flag;
} seccomp_flags[] = {
        {"SECCOMP_FILTER_FLAG_TSYNC", SCMP_FLTATR_CTL_TSYNC, SECCOMP_FILTER_FLAG_TSYNC},
        {"SECCOMP_FILTER_FLAG_LOG", SCMP_FLTATR_CTL_LOG, SECCOMP_FILTER_FLAG_LOG},
        {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SCMP_FLTATR_CTL_SSB, SECCOMP_FILTER_FLAG_SPEC_ALLOW},
};

static const enum scmp_compare seccomp_ops[] = {
        [OCI_SCMP_NE] = SCMP_CMP_NE,
        [OCI_SCMP_LT] = SCMP_CMP_LT,
        [OCI_SCMP_LE] = SCMP_CMP_LE,
        [OCI_SCMP_EQ] = SCMP_CMP_EQ,
        [OCI_SCMP_GE] = SCMP_CMP_GE,
        [OCI_SCMP_GT] = SCMP_CMP_GT,
        [OCI_SCMP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
};

static void scmp_ctx_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

/* The libseccomp action for an OCI action. ERRNO and TRACE carry errnoRet,
 * EPERM when absent (as runc). `what` names the field for messages. */
static int scmp_action(enum oci_seccomp_action a, bool has_errno, unsigned errno_ret,
                       const char *what, uint32_t *ret, struct husk_error **err)
{
	/* libseccomp refuses ERRNO data from MAX_ERRNO (4095) on; TRACE's is 16
	 * bits handed to the tracer. Say so rather than "Invalid argument". */
	unsigned max = a == OCI_SECCOMP_TRACE ? 0xffff : 4094;
	unsigned e = has_errno ? errno_ret : EPERM;

	if (has_errno && errno_ret > max && (a == OCI_SECCOMP_ERRNO || a == OCI_SECCOMP_TRACE))
		return error_set(err, EINVAL, "%s: errnoRet %u is out of range (at most %u)", what,
		                 errno_ret, max);
	switch (a) {
	case OCI_SECCOMP_KILL:
		*ret = SCMP_ACT_KILL;
		return 0;
	case OCI_SECCOMP_KILL_PROCESS:
		*ret = SCMP_ACT_KILL_PROCESS;
		return 0;
	case OCI_SECCOMP_KILL_THREAD:
		*ret = SCMP_ACT_KILL_THREAD;
		return 0;
	case OCI_SECCOMP_TRAP:
		*ret = SCMP_ACT_TRAP;
		return 0;
	case OCI_SECCOMP_ERRNO:
		*ret = SCMP_ACT_ERRNO(e);
		return 0;
	case OCI_SECCOMP_TRACE:
		*ret = SCMP_ACT_TRACE(e);
		return 0;
	case OCI_SECCOMP_ALLOW:
		*ret = SCMP_ACT_ALLOW;
		return 0;
	case OCI_SECCOMP_LOG:
		*ret = SCMP_ACT_LOG;
		return 0;
	case OCI_SECCOMP_NOTIFY:
		return error_set(err, EOPNOTSUPP,
		                 "%s: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath, which "
		                 "husk-runtime does not support",
		                 what);
	}
	return error_set(err, EINVAL, "%s: unknown seccomp action %d", what, (int)a);
}

static int add_arches(scmp_filter_ctx ctx, char *const *arches, struct husk_error **err)
{
	size_t i = 0;

	STRV_FOREACH (a, arches) {
		size_t k;
		int r;

		for (k = 0; k < ELEMENTSOF(seccomp_arches); k++)
			if (streq(*a, seccomp_arches[k].name))
				break;
		if (k == ELEMENTSOF(seccomp_arches))
			return error_set(err, EINVAL,
			                 "linux.seccomp.architectures[%zu]: unknown architecture "
			                 "\"%s\"",
			                 i, *a);
		/* The native architecture is in every new context: -EEXIST. */
		r = seccomp_arches[k].token ? seccomp_arch_add(ctx, seccomp_arches[k].token) : 0;
		if (r < 0 && r != -EEXIST)
			return error_set_errno(err, -r, "linux.seccomp.architectures[%zu]: \"%s\"",
			                       i, *a);
		i++;
	}
	return 0;
}

static int set_flags(scmp_filter_ctx ctx, char *const *flags, unsigned int *ret,
                     struct husk_error **err)
{
	size_t i = 0;

	*ret = 0;
	STRV_FOREACH (f, flags) {
		size_t k;
		int r;

		for (k = 0; k < ELEMENTSOF(seccomp_flags); k++)
			if (streq(*f, seccomp_flags[k].name))
				break;
		if (k == ELEMENTSOF(seccomp_flags))
			return error_set(err, EINVAL,
			                 "linux.seccomp.flags[%zu]: unknown flag \"%s\"", i, *f);
		/* Fails with -EOPNOTSUPP when the kernel lacks the flag. */
		r = seccomp_attr_set(ctx, seccomp_flags[k].attr, 1);
		if (r < 0)
			return error_set_errno(err, -r, "linux.seccomp.flags[%zu]: \"%s\"", i, *f);
		*ret |= seccomp_flags[k].kernel_flag;
		i++;
	}
	return 0;
}

/* The conditions of a rule; *ret_split is set when an argument index
 * repeats: libseccomp refuses two conditions on one argument (-EINVAL), so
 * runc adds each condition as a rule of its own, and so do we. */
static int rule_conditions(const struct oci_seccomp_rule *rule, const char *what,
                           struct scmp_arg_cmp *cmps, bool *ret_split, struct husk_error **err)
{
	unsigned count[SECCOMP_MAX_ARGS] = {0};

	*ret_split = false;
	for (size_t j = 0; j < rule->n_args; j++) {
		const struct oci_seccomp_arg *a = &rule->args[j];

		if (a->index >= SECCOMP_MAX_ARGS)
			return error_set(err, EINVAL,
			                 "%s.args[%zu].index: %u is out of range (0-5)", what, j,
			                 a->index);
		if ((unsigned)a->op >= ELEMENTSOF(seccomp_ops))
			return error_set(err, EINVAL, "%s.args[%zu].op: unknown operator %d", what,
			                 j, (int)a->op);
		/* MASKED_EQ: (arg & value) == valueTwo, libseccomp's (mask, datum). */
		cmps[j] = SCMP_CMP(a->index, seccomp_ops[a->op], a->value, a->value_two);
		if (++count[a->index] > 1)
			*ret_split = true;
	}
	return 0;
}

/* glibc >= 2.34 tries clone3 first and falls back to clone only on ENOSYS.
 * A profile that predates clone3 and denies it with EPERM would break
 * every pthread_create/posix_spawn in the container; moby's default
 * profile answers clone3 with ENOSYS for the same reason. */
static uint32_t clone3_action(const char *name, enum oci_seccomp_action a, uint32_t act)
{
	if (a == OCI_SECCOMP_ERRNO && streq(name, "clone3"))
		return SCMP_ACT_ERRNO(ENOSYS);
	return act;
}

struct rule_ctx {
	scmp_filter_ctx ctx;
	uint32_t def; /* the default action: a rule with it is skipped */
	const char *what;
	const struct scmp_arg_cmp *cmps;
	size_t n_cmps;
	bool split;
};

static int add_name(const struct rule_ctx *rc, const char *name, uint32_t act,
                    struct husk_error **err)
{
	int nr, r = 0;

	/* Names libseccomp knows only for other architectures resolve to
	 * negative pseudo numbers, which seccomp_rule_add() skips per
	 * architecture: only names nobody knows are errors. */
	nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR)
		return error_set(err, EINVAL, "%s.names: unknown syscall \"%s\"", rc->what, name);
	/* libseccomp refuses a rule with the default action (-EACCES). */
	if (act == rc->def)
		return 0;
	if (!rc->split)
		r = seccomp_rule_add_array(rc->ctx, act, nr, rc->n_cmps, rc->cmps);
	else
		for (size_t j = 0; j < rc->n_cmps && r >= 0; j++)
			r = seccomp_rule_add_array(rc->ctx, act, nr, 1, &rc->cmps[j]);
	if (r < 0)
		return error_set_errno(err, -r, "%s: syscall \"%s\"", rc->what, name);
	return 0;
}

static int add_rule(scmp_filter_ctx ctx, uint32_t def, const struct oci_seccomp_rule *rule,
                    size_t i, struct husk_error **err)
{
	_cleanup_free_ struct scmp_arg_cmp *cmps = NULL;
	char what[64], action_what[80];
	struct rule_ctx rc = {.ctx = ctx, .def = def, .what = what, .n_cmps = rule->n_args};
	uint32_t act;
	int r;

	snprintf(what, sizeof(what), "linux.seccomp.syscalls[%zu]", i);
	snprintf(action_what, sizeof(action_what), "%s.action", what);
	r = scmp_action(rule->action, rule->has_errno_ret, rule->errno_ret, action_what, &act, err);
	if (r < 0)
		return r;
	if (rule->n_args > 0) {
		cmps = calloc(rule->n_args, sizeof(*cmps));
		if (!cmps)
			return error_set(err, ENOMEM, "out of memory");
		r = rule_conditions(rule, what, cmps, &rc.split, err);
		if (r < 0)
			return r;
	}
	rc.cmps = cmps;
	STRV_FOREACH (name, rule->names) {
		r = add_name(&rc, *name, clone3_action(*name, rule->action, act), err);
		if (r < 0)
			return r;
	}
	return 0;
}

static bool mentions_clone3(const struct oci_seccomp *s)
{
	for (size_t i = 0; i < s->n_syscalls; i++)
		if (strv_contains(s->syscalls[i].names, "clone3"))
			return true;
	return false;
}

static int add_rules(scmp_filter_ctx ctx, const struct oci_seccomp *s, uint32_t def,
                     struct husk_error **err)
{
	int r;

	for (size_t i = 0; i < s->n_syscalls; i++) {
		r = add_rule(ctx, def, &s->syscalls[i], i, err);
		if (r < 0)
			return r;
	}
	if (s->default_action != OCI_SECCOMP_ERRNO || def == SCMP_ACT_ERRNO(ENOSYS) ||
	    mentions_clone3(s))
		return 0;
	/* A profile silent about clone3 denies it with the default errno: make
	 * that ENOSYS, for glibc's fallback (see clone3_action()). */
	r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), seccomp_syscall_resolve_name("clone3"),
	                     0);
	if (r < 0)
		return error_set_errno(err, -r, "linux.seccomp: clone3 rule");
	return 0;
}

/* Read the program libseccomp generated; memfd because libseccomp 2.5 can
 * only export to an fd. */
static int export_prog(scmp_filter_ctx ctx, struct sock_fprog *ret, struct husk_error **err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ struct sock_filter *insns = NULL;
	off_t size;
	ssize_t n;
	int r;

	fd = memfd_create("husk-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return error_set_errno(err, errno, "seccomp: memfd_create");
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return error_set_errno(err, -r, "seccomp: generate the filter");
	size = lseek(fd, 0, SEEK_END);
	if (size < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return error_set_errno(err, errno, "seccomp: size the filter");
	if (size == 0 || size % sizeof(struct sock_filter) != 0)
		return error_set(err, EIO, "seccomp: generated filter has an odd size (%lld bytes)",
		                 (long long)size);
	if (size / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return error_set(err, E2BIG,
		                 "seccomp: the filter has %lld instructions, more than the "
		                 "kernel's limit of %d",
		                 (long long)(size / sizeof(struct sock_filter)), BPF_MAXINSNS);
	insns = malloc(size);
	if (!insns)
		return error_set(err, ENOMEM, "out of memory");
	n = read_full(fd, insns, size);
	if (n != size)
		return error_set_errno(err, n < 0 ? -n : EIO, "seccomp: read the filter");
	ret->len = size / sizeof(struct sock_filter);
	ret->filter = TAKE_PTR(insns);
	return 0;
}

static int filter_init(const struct oci_seccomp *s, scmp_filter_ctx *ret, uint32_t *ret_def,
                       struct husk_error **err)
{
	int r;

	if (!s->present)
		return error_set(err, EINVAL, "linux.seccomp: no profile given");
	if (!isempty(s->listener_path))
		return error_set(err, EOPNOTSUPP,
		                 "linux.seccomp.listenerPath \"%s\": SCMP_ACT_NOTIFY listeners "
		                 "are not supported by husk-runtime",
		                 s->listener_path);
	r = scmp_action(s->default_action, s->has_default_errno_ret, s->default_errno_ret,
	                "linux.seccomp.defaultAction", ret_def, err);
	if (r < 0)
		return r;
	*ret = seccomp_init(*ret_def);
	if (!*ret)
		return error_set(err, ENOMEM, "seccomp: cannot initialise a filter");
	/* The runtime sets no_new_privs itself when process.noNewPrivileges
	 * asks: the filter must not force it. */
	r = seccomp_attr_set(*ret, SCMP_FLTATR_CTL_NNP, 0);
	if (r < 0)
		return error_set_errno(err, -r, "seccomp: clear the no_new_privs attribute");
	return 0;
}

int seccomp_filter_build(const struct oci_seccomp *s, struct seccomp_filter **ret,
                         struct husk_error **err)
{
	_cleanup_(scmp_ctx_releasep) scmp_filter_ctx ctx = NULL;
	_cleanup_free_ struct seccomp_filter *f = NULL;
	uint32_t def;
	int r;

	f = calloc(1, sizeof(*f));
	if (!f)
		return error_set(err, ENOMEM, "out of memory");
	r = filter_init(s, &ctx, &def, err);
	if (r < 0)
		return r;
	r = add_arches(ctx, s->architectures, err);
	if (r < 0)
		return r;
	r = set_flags(ctx, s->flags, &f->flags, err);
	if (r < 0)
		return r;
	r = add_rules(ctx, s, def, err);
	if (r < 0)
		return r;
	r = export_prog(ctx, &f->prog, err);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(f);
	return 0;
}

int seccomp_filter_load(struct seccomp_filter *f)
{
	long r;

	/* Only system calls here: this runs in the container process between
	 * fork and execve. */
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->flags, &f->prog);
	if (r == 0)
		return 0;
	if (r > 0) /* TSYNC: thread r could not be synchronised */
		return -ESRCH;
	if (errno == ENOSYS && f->flags == 0 &&
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &f->prog, 0, 0) == 0)
		return 0;
	return -errno;
}

void seccomp_filter_free(struct seccomp_filter *f)
{
	if (!f)
		return;
	free(f->prog.filter);
	free(f);
}

/* ---- the cache of compiled programs ---- */

/* A cache file: this header, the key material (the whole profile as
 * bytes), then the instructions. The file name is a hash of the key, but
 * a hit also compares the key byte for byte: a collision can never apply
 * another profile's program, so the hash need not be cryptographic (and
 * the runtime needs no crypto library to start a container). */
struct cache_header {
	char magic[8]; /* CACHE_MAGIC */
	uint32_t flags;
	uint32_t len;    /* instructions */
	uint32_t keylen; /* bytes of key material */
	uint32_t pad;
};

#define CACHE_MAGIC   "huskbpf2"
#define CACHE_KEY_MAX (4u << 20)
#define CACHE_MAX                                                                                  \
	(sizeof(struct cache_header) + CACHE_KEY_MAX + BPF_MAXINSNS * sizeof(struct sock_filter))

static void key_u64(struct strbuf *k, uint64_t v)
{
	strbuf_append(k, &v, sizeof(v));
}

/* Length-prefixed, so that ("ab", "c") and ("a", "bc") differ. */
static void key_str(struct strbuf *k, const char *s)
{
	if (!s) {
		key_u64(k, UINT64_MAX);
		return;
	}
	key_u64(k, strlen(s));
	strbuf_append(k, s, strlen(s));
}

static void key_strv(struct strbuf *k, char *const *v)
{
	key_u64(k, strv_length(v));
	STRV_FOREACH (p, v)
		key_str(k, *p);
}

static void key_rule(struct strbuf *k, const struct oci_seccomp_rule *r)
{
	key_strv(k, r->names);
	key_u64(k, r->action);
	key_u64(k, r->has_errno_ret);
	key_u64(k, r->errno_ret);
	key_u64(k, r->n_args);
	for (size_t j = 0; j < r->n_args; j++) {
		key_u64(k, r->args[j].index);
		key_u64(k, r->args[j].value);
		key_u64(k, r->args[j].value_two);
		key_u64(k, r->args[j].op);
	}
}

/* Everything the program depends on: the profile, libseccomp's version and
 * the kernel (whose seccomp API level libseccomp generates for). */
static int cache_key(const struct oci_seccomp *s, struct strbuf *k)
{
	const struct scmp_version *v = seccomp_version();
	struct utsname u;

	if (uname(&u) < 0)
		return -errno;
	key_str(k, CACHE_MAGIC);
	key_u64(k, (uint64_t)v->major << 32 | v->minor << 16 | v->micro);
	key_u64(k, seccomp_api_get());
	key_u64(k, seccomp_arch_native());
	key_str(k, u.release);
	key_str(k, u.version);
	key_u64(k, s->default_action);
	key_u64(k, s->has_default_errno_ret);
	key_u64(k, s->default_errno_ret);
	key_strv(k, s->architectures);
	key_strv(k, s->flags);
	key_u64(k, s->n_syscalls);
	for (size_t i = 0; i < s->n_syscalls; i++)
		key_rule(k, &s->syscalls[i]);
	return k->buf && k->len <= CACHE_KEY_MAX ? 0 : -ENOMEM;
}

/* Two 64-bit FNV-1a hashes with different offsets: the file name. */
static void key_name(const struct strbuf *k, char *buf, size_t len)
{
	uint64_t a = 0xcbf29ce484222325ULL, b = 0x84222325cbf29ce4ULL;

	for (size_t i = 0; i < k->len; i++) {
		a = (a ^ (unsigned char)k->buf[i]) * 0x100000001b3ULL;
		b = (b ^ (unsigned char)k->buf[i]) * 0x100000001b3ULL;
	}
	snprintf(buf, len, "%016llx%016llx.bpf", (unsigned long long)a, (unsigned long long)b);
}

/* Only files we own and nobody else can write: a planted program would
 * be a sandbox escape. */
static bool owned_and_closed(int fd, mode_t type)
{
	struct stat st;

	return fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == type && st.st_uid == geteuid() &&
	       !(st.st_mode & (S_IWGRP | S_IWOTH));
}

static int open_cache_dir(const char *dir)
{
	_cleanup_close_ int fd = -1;

	if (mkdir_p(dir, 0700) < 0)
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !owned_and_closed(fd, S_IFDIR))
		return -1;
	return TAKE_FD(fd);
}

static bool cache_valid(const struct cache_header *hdr, size_t len, const struct strbuf *key,
                        const char *buf)
{
	return memcmp(hdr->magic, CACHE_MAGIC, sizeof(hdr->magic)) == 0 && hdr->len > 0 &&
	       hdr->len <= BPF_MAXINSNS && hdr->keylen == key->len &&
	       len == sizeof(*hdr) + hdr->keylen + hdr->len * sizeof(struct sock_filter) &&
	       memcmp(buf + sizeof(*hdr), key->buf, key->len) == 0;
}

static struct seccomp_filter *cache_read(int dirfd, const char *name, const struct strbuf *key)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	_cleanup_free_ struct seccomp_filter *f = NULL;
	struct cache_header hdr;
	size_t len = 0, insns;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !owned_and_closed(fd, S_IFREG) || read_all_fd(fd, CACHE_MAX, &buf, &len) < 0)
		return NULL;
	if (len < sizeof(hdr))
		return NULL;
	memcpy(&hdr, buf, sizeof(hdr));
	if (!cache_valid(&hdr, len, key, buf))
		return NULL;
	insns = hdr.len * sizeof(struct sock_filter);
	f = calloc(1, sizeof(*f));
	if (!f || !(f->prog.filter = malloc(insns)))
		return NULL;
	memcpy(f->prog.filter, buf + sizeof(hdr) + hdr.keylen, insns);
	f->prog.len = hdr.len;
	f->flags = hdr.flags;
	return TAKE_PTR(f);
}

static void cache_write(int dirfd, const char *name, const struct strbuf *key,
                        const struct seccomp_filter *f)
{
	size_t insns = f->prog.len * sizeof(struct sock_filter);
	struct cache_header hdr = {.magic = CACHE_MAGIC,
	                           .flags = f->flags,
	                           .len = f->prog.len,
	                           .keylen = (uint32_t)key->len};
	struct strbuf out = {0};

	if (strbuf_append(&out, &hdr, sizeof(hdr)) == 0 &&
	    strbuf_append(&out, key->buf, key->len) == 0 &&
	    strbuf_append(&out, f->prog.filter, insns) == 0)
		(void)atomic_write_at(dirfd, name, out.buf, out.len, 0600, NULL);
	strbuf_release(&out);
}

int seccomp_filter_build_cached(const struct oci_seccomp *s, const char *dir,
                                struct seccomp_filter **ret, struct husk_error **err)
{
	_cleanup_close_ int dirfd = -1;
	struct strbuf key = {0};
	char name[48];
	int r;

	/* Refusals are never cached: check them on every call. */
	if (!s->present || !isempty(s->listener_path) || cache_key(s, &key) < 0 ||
	    (dirfd = open_cache_dir(dir)) < 0) {
		strbuf_release(&key);
		return seccomp_filter_build(s, ret, err);
	}
	key_name(&key, name, sizeof(name));
	*ret = cache_read(dirfd, name, &key);
	if (*ret) {
		strbuf_release(&key);
		return 0;
	}
	r = seccomp_filter_build(s, ret, err);
	if (r == 0)
		cache_write(dirfd, name, &key, *ret);
	strbuf_release(&key);
	return r;
}
