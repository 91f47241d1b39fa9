#include "runtime/process.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "base/fs.h"
#include "base/str.h"
#include "runtime/caps.h"

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

int process_close_fds(int preserve_fds, const int *keep, size_t n_keep)
{
	int sorted[8], n = 0, from = 3 + MAX(preserve_fds, 0);

	for (size_t i = 0; i < n_keep && n < 8; i++)
		if (keep[i] >= from)
			sorted[n++] = keep[i];
	qsort(sorted, n, sizeof(int), cmp_int);
	for (int i = 0; i < n; i++) {
		if (sorted[i] > from && syscall(SYS_close_range, from, sorted[i] - 1, 0) < 0)
			return -errno;
		if (fcntl(sorted[i], F_SETFD, FD_CLOEXEC) < 0)
			return -errno;
		from = sorted[i] + 1;
	}
	if (syscall(SYS_close_range, from, ~0U, 0) < 0)
		return -errno;
	/* preserved fds are the container's: they must survive execve */
	for (int fd = 3; fd < 3 + preserve_fds; fd++)
		fcntl(fd, F_SETFD, 0);
	return 0;
}

bool process_lsm_active(const char *name)
{
	_cleanup_free_ char *buf = NULL;

	if (streq(name, "apparmor"))
		return read_file("/sys/module/apparmor/parameters/enabled", 16, &buf, NULL, NULL) ==
		               0 &&
		       buf[0] == 'Y';
	if (streq(name, "selinux"))
		return access("/sys/fs/selinux/enforce", F_OK) == 0;
	return false;
}

static int write_attr(const char *path, const char *value, struct husk_error **err)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write_all(fd, value, strlen(value)) < 0)
		return error_set_errno(err, errno, "write \"%s\"", path);
	return 0;
}

static int apply_lsm(const struct oci_process *p, struct husk_error **err)
{
	_cleanup_free_ char *v = NULL;

	if (!isempty(p->apparmor_profile)) {
		if (!process_lsm_active("apparmor"))
			return error_set(
			        err, ENOTSUP,
			        "process.apparmorProfile \"%s\": AppArmor is not enabled on "
			        "this host",
			        p->apparmor_profile);
		v = str_printf("exec %s", p->apparmor_profile);
		if (!v || write_attr("/proc/self/attr/apparmor/exec", v, NULL) == 0)
			return v ? 0 : -ENOMEM;
		return write_attr("/proc/self/attr/exec", v, err);
	}
	if (!isempty(p->selinux_label)) {
		if (!process_lsm_active("selinux"))
			return error_set(
			        err, ENOTSUP,
			        "process.selinuxLabel \"%s\": SELinux is not enabled on this "
			        "host",
			        p->selinux_label);
		return write_attr("/proc/self/attr/exec", p->selinux_label, err);
	}
	return 0;
}

static int apply_user(const struct oci_process *p, struct husk_error **err)
{
	const struct oci_user *u = &p->user;

	/* setgroups is refused in a user namespace with setgroups "deny" and
	 * no additional gids asked: then there is nothing to drop */
	if (setgroups(u->n_additional_gids, u->additional_gids) < 0 &&
	    !(errno == EPERM && u->n_additional_gids == 0))
		return error_set_errno(err, errno, "process.user.additionalGids: setgroups");
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return error_set_errno(err, errno, "process.user.gid %u: setresgid", u->gid);
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return error_set_errno(err, errno, "process.user.uid %u: setresuid", u->uid);
	if (u->has_umask)
		umask(u->umask);
	return 0;
}

/* chdir into cwd and check that it is inside the container: a path
 * through a leaked host fd (/proc/self/fd/N) gives "(unreachable)". */
static int apply_cwd(const char *cwd, struct husk_error **err)
{
	char buf[4096];

	if (chdir(cwd) < 0)
		return error_set_errno(err, errno, "process.cwd \"%s\"", cwd);
	if (!getcwd(buf, sizeof(buf)) || buf[0] != '/')
		return error_set(err, EPERM, "process.cwd \"%s\": resolves outside the container",
		                 cwd);
	return 0;
}

static int apply_rlimits(const struct oci_process *p, struct husk_error **err)
{
	for (size_t i = 0; i < p->n_rlimits; i++) {
		const struct oci_rlimit *l = &p->rlimits[i];
		struct rlimit cur, want = {l->soft, l->hard};

		if (setrlimit(l->resource, &want) == 0)
			continue;
		if (errno == EPERM && getrlimit(l->resource, &cur) == 0 && l->hard > cur.rlim_max)
			return error_set(err, EPERM,
			                 "process.rlimits[%zu]: hard limit %llu is above the "
			                 "inherited %llu, and raising it needs CAP_SYS_RESOURCE",
			                 i, (unsigned long long)l->hard,
			                 (unsigned long long)cur.rlim_max);
		return error_set_errno(err, errno, "process.rlimits[%zu]: setrlimit", i);
	}
	return 0;
}

static int apply_sched(const struct oci_process *p, const struct oci_linux *lx,
                       struct husk_error **err)
{
	if (lx && lx->personality.present && personality(lx->personality.domain) < 0)
		return error_set_errno(err, errno, "linux.personality");
	if (p->io_priority.present &&
	    syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0,
	            (p->io_priority.class << 13) | p->io_priority.priority) < 0)
		return error_set_errno(err, errno, "process.ioPriority");
	if (p->scheduler.present) {
		struct {
			uint32_t size, policy;
			uint64_t flags;
			int32_t nice;
			uint32_t priority;
			uint64_t runtime, deadline, period;
		} a = {48,
		       (uint32_t)p->scheduler.policy,
		       p->scheduler.flags,
		       p->scheduler.nice,
		       (uint32_t)p->scheduler.priority,
		       p->scheduler.runtime,
		       p->scheduler.deadline,
		       p->scheduler.period};
		if (syscall(SYS_sched_setattr, 0, &a, 0) < 0)
			return error_set_errno(err, errno, "process.scheduler");
	}
	return 0;
}

/* Find args[0] on the process's PATH, as runc does ("executable file not
 * found in $PATH"). */
static char *find_exec(const struct oci_process *p)
{
	const char *cmd = p->args[0], *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
	                                      "/sbin:/bin";

	if (strchr(cmd, '/'))
		return strdup(cmd);
	STRV_FOREACH (e, p->env)
		if (startswith(*e, "PATH="))
			path = *e + 5;
	_cleanup_strv_ char **dirs = strv_split(path, ":");
	STRV_FOREACH (d, dirs) {
		_cleanup_free_ char *c = path_join(isempty(*d) ? "." : *d, cmd);
		struct stat st;
		if (c && stat(c, &st) == 0 && S_ISREG(st.st_mode) && access(c, X_OK) == 0)
			return TAKE_PTR(c);
	}
	return NULL;
}

int process_check_exec(const struct oci_process *p, struct husk_error **err)
{
	_cleanup_free_ char *exe = find_exec(p), *abs = NULL;
	struct stat st;

	if (!exe)
		return error_set(err, ENOENT, "exec: \"%s\": executable file not found in $PATH",
		                 p->args[0]);
	abs = exe[0] == '/' ? TAKE_PTR(exe) : path_join(isempty(p->cwd) ? "/" : p->cwd, exe);
	if (!abs)
		return error_set(err, ENOMEM, "out of memory");
	if (stat(abs, &st) < 0)
		return error_set_errno(err, errno, "exec: \"%s\"", p->args[0]);
	if (S_ISDIR(st.st_mode) || !(st.st_mode & 0111))
		return error_set_errno(err, EACCES, "exec: \"%s\"", p->args[0]);
	return 0;
}

/* HOME of uid in the container's /etc/passwd, "HOME=/" without an entry,
 * as runc sets it. Only a regular file is read, without blocking: the
 * image may have planted a fifo there. malloc'd, NULL on ENOMEM. */
static char *passwd_home(uid_t uid)
{
	_cleanup_close_ int fd = open("/etc/passwd", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	char *line, *save = NULL;
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    read_all_fd(fd, 4 << 20, &buf, NULL) < 0)
		return strdup("HOME=/");
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[7], *s = line;
		size_t n = 0;
		uint64_t id;

		while (n < ELEMENTSOF(f) && (f[n] = strsep(&s, ":")))
			n++;
		if (n >= 6 && str_to_uint64(f[2], &id) == 0 && id == uid && f[5][0])
			return str_printf("HOME=%s", f[5]);
	}
	return strdup("HOME=/");
}

struct env_ent {
	const char *s;
	size_t name_len, idx;
};

/* By name, then by position. */
static int env_cmp(const void *a, const void *b)
{
	const struct env_ent *x = a, *y = b;
	int c = memcmp(x->s, y->s, MIN(x->name_len, y->name_len));

	if (c == 0 && x->name_len != y->name_len)
		c = x->name_len < y->name_len ? -1 : 1;
	if (c == 0)
		c = x->idx < y->idx ? -1 : 1;
	return c;
}

/* The environment as runc passes it: a NAME given twice keeps its first
 * place and its last value (exec -e overrides config.json), and HOME is
 * added when missing (*ret_home owns it). Sorted, not a nested loop: env
 * may be long. NULL on ENOMEM. */
static char **process_env(const struct oci_process *p, char **ret_home)
{
	size_t n = strv_length(p->env), k = 0;
	_cleanup_free_ struct env_ent *e = calloc(n + 1, sizeof(*e));
	_cleanup_free_ char **slot = calloc(n + 1, sizeof(*slot));
	char **v = calloc(n + 2, sizeof(*v));
	bool has_home = false;

	if (!e || !slot || !v) {
		free(v);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		e[i] = (struct env_ent){p->env[i], strcspn(p->env[i], "="), i};
	qsort(e, n, sizeof(*e), env_cmp);
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && e[j].name_len == e[i].name_len &&
		                memcmp(e[j].s, e[i].s, e[i].name_len) == 0;
		     j++)
			;
		slot[e[i].idx] = (char *)e[j - 1].s;
		has_home |= e[i].name_len == 4 && memcmp(e[i].s, "HOME", 4) == 0;
	}
	for (size_t i = 0; i < n; i++)
		if (slot[i])
			v[k++] = slot[i];
	if (!has_home && !(v[k] = *ret_home = passwd_home(p->user.uid))) {
		free(v);
		return NULL;
	}
	return v;
}

int process_exec(const struct process_exec *x, struct husk_error **err)
{
	const struct oci_process *p = x->process;
	_cleanup_free_ char *exe = NULL, *home = NULL;
	_cleanup_free_ char **env = NULL;
	int r;

	r = process_close_fds(x->preserve_fds, x->keep_fds, ELEMENTSOF(x->keep_fds));
	if (r < 0)
		return error_set_errno(err, -r, "close inherited file descriptors");
	/* read the container's /etc/passwd while still root */
	env = process_env(p, &home);
	if (!env)
		return error_set(err, ENOMEM, "out of memory");
	if (p->has_oom_score_adj) {
		char v[16];
		snprintf(v, sizeof(v), "%d", p->oom_score_adj);
		if (write_attr("/proc/self/oom_score_adj", v, err) < 0)
			return error_wrap(err, "process.oomScoreAdj");
	}
	r = apply_rlimits(p, err);
	r = r ?: apply_sched(p, x->linux_, err);
	r = r ?: apply_lsm(p, err);
	if (r == 0 && x->seccomp && !p->no_new_privileges && (r = seccomp_filter_load(x->seccomp)))
		return error_set_errno(err, -r, "linux.seccomp: load the filter");
	r = r ?: (p->caps.present ? caps_apply_bounding(&p->caps, err) : 0);
	if (r == 0 && caps_keep(true) < 0)
		return error_set_errno(err, errno, "prctl(PR_SET_KEEPCAPS)");
	r = r ?: apply_user(p, err);
	r = r ?: apply_cwd(p->cwd, err);
	r = r ?: (p->caps.present ? caps_apply_sets(&p->caps, err) : 0);
	if (r < 0)
		return r;
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return error_set_errno(err, errno, "process.noNewPrivileges");
	exe = find_exec(p);
	if (!exe)
		return error_set(err, ENOENT, "exec: \"%s\": executable file not found in $PATH",
		                 p->args[0]);
	if (x->seccomp && p->no_new_privileges && (r = seccomp_filter_load(x->seccomp)) < 0)
		return error_set_errno(err, -r, "linux.seccomp: load the filter");
	execve(exe, p->args, env);
	return error_set_errno(err, errno, "exec: \"%s\"", p->args[0]);
}
