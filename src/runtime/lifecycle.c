/* lifecycle.c — start, kill, delete, pause, resume, update, ps, and the
 * pieces create/run share. */
#include "runtime/lifecycle.h"

#include <fcntl.h>
#include <poll.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"
#include "base/str.h"
#include "runtime/cgroup.h"
#include "runtime/console.h"
#include "runtime/hooks.h"
#include "runtime/state.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

int lifecycle_new_timens(const struct oci_spec *s, struct husk_error **err)
{
	const struct oci_namespace *ns = oci_spec_namespace(s, OCI_NS_TIME);
	const struct oci_linux *lx = &s->linux_;
	_cleanup_free_ char *text = NULL;

	if (!ns || ns->path)
		return 0;
	if (unshare(CLONE_NEWTIME) < 0)
		return error_set_errno(err, errno, "create the time namespace");
	text = str_printf("monotonic %lld %u\nboottime %lld %u\n",
	                  (long long)lx->time_monotonic.secs, lx->time_monotonic.nanosecs,
	                  (long long)lx->time_boottime.secs, lx->time_boottime.nanosecs);
	if (!text)
		return error_set(err, ENOMEM, "out of memory");
	_cleanup_close_ int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write_all(fd, text, strlen(text)) < 0)
		return error_set_errno(err, errno, "linux.timeOffsets: write timens_offsets");
	return 0;
}

static int write_map(pid_t pid, const char *file, const struct oci_id_mapping *m, size_t n,
                     struct husk_error **err)
{
	char path[64];
	struct strbuf sb = {0};
	_cleanup_close_ int fd = -1;
	int r = 0;

	for (size_t i = 0; i < n && r == 0; i++)
		r = strbuf_printf(&sb, "%u %u %u\n", m[i].container_id, m[i].host_id, m[i].size);
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (r < 0 || fd < 0 || write_all(fd, sb.buf ? sb.buf : "", sb.len) < 0)
		r = error_set_errno(err, r < 0 ? -r : errno, "linux.%s: write %s",
		                    streq(file, "uid_map") ? "uidMappings" : "gidMappings", path);
	strbuf_release(&sb);
	return r;
}

int lifecycle_write_id_maps(pid_t pid, const struct oci_linux *lx, struct husk_error **err)
{
	int r = write_map(pid, "uid_map", lx->uid_mappings, lx->n_uid_mappings, err);

	return r ?: write_map(pid, "gid_map", lx->gid_mappings, lx->n_gid_mappings, err);
}

json_t *lifecycle_annotations_json(const struct oci_spec *s)
{
	json_t *o = json_object();

	for (size_t i = 0; o && i < s->n_annotations; i++)
		json_object_set_new(o, s->annotations[i].key, json_string(s->annotations[i].value));
	return o;
}

int lifecycle_write_pid_file(const char *path, pid_t pid, struct husk_error **err)
{
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "%d", (int)pid);

	if (atomic_write_file(path, buf, n, 0644, err) < 0)
		return error_wrap(err, "pid file");
	return 0;
}

static json_t *state_for_hooks(const struct container_state *st)
{
	return container_state_json(st);
}

void lifecycle_poststart(const struct oci_spec *s, const struct runtime_ctx *rt, const char *id)
{
	_cleanup_(container_state_freep) struct container_state *st = NULL;
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *doc = NULL;

	if (!s->n_hooks[OCI_HOOK_POSTSTART] || container_state_load(rt, id, &st, NULL) < 0)
		return;
	doc = state_for_hooks(st);
	if (hooks_run(s, OCI_HOOK_POSTSTART, doc, &err) < 0)
		log_warn("%s", error_message(err));
}

int lifecycle_signal(const struct container_state *st, int sig, struct husk_error **err)
{
	_cleanup_close_ int pfd = -1;

	pfd = (int)syscall(SYS_pidfd_open, st->pid, 0);
	/* the pidfd pins the process: check it is still ours, then signal */
	if (pfd < 0 || !state_pid_alive(st))
		return error_set(err, ESRCH, "container \"%s\" is not running", st->id);
	if (syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0) < 0)
		return error_set_errno(err, errno, "signal %d to container \"%s\"", sig, st->id);
	return 0;
}

int lifecycle_wait_gone(pid_t pid, int timeout_ms)
{
	_cleanup_close_ int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd p = {.fd = pfd, .events = POLLIN};

	if (pfd < 0)
		return 0; /* already gone */
	return RETRY_EINTR(poll(&p, 1, timeout_ms)) > 0 ? 0 : -ETIMEDOUT;
}

char *lifecycle_user_name(uid_t uid, char *buf, size_t len)
{
	_cleanup_fclose_ FILE *f = fopen("/etc/passwd", "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	snprintf(buf, len, "%u", (unsigned)uid);
	while (f && getline(&line, &cap, f) > 0) {
		char *name = strtok(line, ":"), *pw = strtok(NULL, ":"), *id = strtok(NULL, ":");
		if (name && pw && id && (uid_t)strtoul(id, NULL, 10) == uid) {
			snprintf(buf, len, "%s", name);
			break;
		}
	}
	return buf;
}

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

pid_t lifecycle_clone(unsigned long flags, int cgroup_fd, bool *ret_into)
{
	struct clone_args a = {.flags = flags | CLONE_INTO_CGROUP,
	                       .exit_signal = SIGCHLD,
	                       .cgroup = (uint64_t)cgroup_fd};
	pid_t pid;

	*ret_into = false;
	if (cgroup_fd >= 0) {
		pid = (pid_t)syscall(SYS_clone3, &a, sizeof(a));
		if (pid >= 0) {
			*ret_into = true;
			return pid;
		}
		/* older kernels, or a cgroup we may not enter this way: fall back */
		if (errno != ENOSYS && errno != E2BIG && errno != EINVAL && errno != EACCES &&
		    errno != EPERM && errno != EOPNOTSUPP)
			return -1;
	}
	return (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
}

int lifecycle_default_devices(struct oci_spec *s, struct husk_error **err)
{
	static const struct oci_device_rule defaults[] = {
	        {true, 'c', -1, -1, "m"}, {true, 'b', -1, -1, "m"},    {true, 'c', 1, 3, "rwm"},
	        {true, 'c', 1, 5, "rwm"}, {true, 'c', 1, 7, "rwm"},    {true, 'c', 1, 8, "rwm"},
	        {true, 'c', 1, 9, "rwm"}, {true, 'c', 5, 0, "rwm"},    {true, 'c', 5, 1, "rwm"},
	        {true, 'c', 5, 2, "rwm"}, {true, 'c', 136, -1, "rwm"},
	};
	struct oci_resources *r = &s->linux_.resources;
	size_t n = r->n_devices + ELEMENTSOF(defaults) + s->linux_.n_devices;
	struct oci_device_rule *v = realloc(r->devices, n * sizeof(*v));

	if (!v)
		return error_set(err, ENOMEM, "out of memory");
	memcpy(v + r->n_devices, defaults, sizeof(defaults));
	for (size_t i = 0; i < s->linux_.n_devices; i++) {
		const struct oci_device *d = &s->linux_.devices[i];
		v[r->n_devices + ELEMENTSOF(defaults) + i] = (struct oci_device_rule){
		        true, d->type == 'b' ? 'b' : 'c', d->major, d->minor, "rwm"};
	}
	r->devices = v;
	r->n_devices = n;
	s->linux_.has_resources = true;
	return 0;
}

int seccomp_build(const struct runtime_ctx *rt, const struct oci_seccomp *s,
                  struct seccomp_filter **ret, struct husk_error **err)
{
	_cleanup_free_ char *dir = path_join(rt->root, ".seccomp-cache");

	if (!dir)
		return error_set(err, ENOMEM, "out of memory");
	return seccomp_filter_build_cached(s, dir, ret, err);
}

static int open_cgroup(const struct container_state *st, struct cgroup_layout *layout,
                       struct cgroup **ret, struct husk_error **err)
{
	int r = cgroup_probe(NULL, NULL, layout, err);

	return r ?: cgroup_open(layout, st->cgroup_paths, ret, err);
}

/* Whether a config has hooks of a kind ("poststart"…), without parsing
 * all of it. */
static bool has_hooks(const json_t *config, const char *kind)
{
	return json_array_size(json_object_get(json_object_get(config, "hooks"), kind)) > 0;
}

/* Let the init (pid, whose start time check passed) exec: read its byte
 * from the exec fifo. */
static int release_init(const struct runtime_ctx *rt, const char *id, pid_t pid,
                        const struct container_state *st, struct husk_error **err)
{
	_cleanup_free_ char *dir = state_dir(rt, id), *fifo = NULL;
	_cleanup_close_ int fd = -1, pfd = -1;
	char c;

	fifo = dir ? path_join(dir, EXEC_FIFO) : NULL;
	if (!fifo)
		return error_set(err, ENOMEM, "out of memory");
	/* the pidfd before the fifo: once the fifo is open, the init may
	 * exec a short command, exit and be reaped at once (the containerd
	 * shim is a subreaper that reaps at once) */
	pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd < 0 || (st && !state_pid_alive(st)))
		return error_set(err, ESRCH, "start \"%s\": the container init exited", id);
	fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return error_set_errno(err, errno, "start \"%s\": open the exec fifo", id);
	for (;;) {
		ssize_t n = read(fd, &c, 1);
		if (n == 1)
			break;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return error_set_errno(err, errno, "start \"%s\": read the exec fifo", id);
		/* no writer yet, or no data yet: wait a little, unless the init
		 * died without writing (an init that wrote may be gone already) */
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = pfd, .events = POLLIN}};
		if (poll(p, 2, n == 0 ? 1 : 100) > 0 && (p[1].revents & POLLIN) &&
		    !(p[0].revents & POLLIN))
			return error_set(err, ESRCH, "start \"%s\": the container init exited", id);
	}
	unlink(fifo);
	return 0;
}

int container_start(const struct runtime_ctx *rt, const char *id, struct husk_error **err)
{
	_cleanup_(container_state_freep) struct container_state *st = NULL;
	_cleanup_(oci_spec_freep) struct oci_spec *spec = NULL;
	int r;

	r = container_state_load(rt, id, &st, err);
	if (r < 0)
		return r;
	if (st->status != CONTAINER_CREATED)
		return error_set(err, EINVAL, "cannot start a container that is %s (id \"%s\")",
		                 container_status_name(st->status), id);
	r = release_init(rt, id, st->pid, st, err);
	if (r < 0)
		return r;
	if (has_hooks(st->config, "poststart") && (spec = oci_spec_parse(st->config, NULL)))
		lifecycle_poststart(spec, rt, id);
	return 0;
}

int container_start_created(const struct runtime_ctx *rt, const char *id, pid_t pid,
                            struct husk_error **err)
{
	return release_init(rt, id, pid, NULL, err);
}

int container_kill(const struct runtime_ctx *rt, const char *id, int sig, bool all,
                   struct husk_error **err)
{
	_cleanup_(container_state_freep) struct container_state *st = NULL;
	_cleanup_(cgroup_freep) struct cgroup *cg = NULL;
	struct cgroup_layout layout = {0};
	int r = container_state_load(rt, id, &st, err);

	if (r < 0)
		return r;
	if (!all) {
		if (st->status == CONTAINER_STOPPED)
			return error_set(err, ESRCH, "container \"%s\" is not running", id);
		return lifecycle_signal(st, sig, err);
	}
	r = open_cgroup(st, &layout, &cg, err);
	r = r ?: cgroup_kill_all(cg, sig, err);
	cgroup_layout_release(&layout);
	return r;
}

static void run_poststop(const struct container_state *st)
{
	_cleanup_(oci_spec_freep) struct oci_spec *spec = NULL;
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *doc = NULL;

	/* (the whole config is parsed only when it has some) */
	if (!has_hooks(st->config, "poststop"))
		return;
	spec = oci_spec_parse(st->config, NULL);
	if (!spec || !spec->n_hooks[OCI_HOOK_POSTSTOP])
		return;
	doc = container_state_json(st);
	if (hooks_run(spec, OCI_HOOK_POSTSTOP, doc, &err) < 0)
		log_warn("%s", error_message(err));
}

int container_delete(const struct runtime_ctx *rt, const char *id, bool force,
                     struct husk_error **err)
{
	_cleanup_(container_state_freep) struct container_state *st = NULL;
	_cleanup_(cgroup_freep) struct cgroup *cg = NULL;
	_cleanup_free_ char *dir = NULL;
	struct cgroup_layout layout = {0};
	int r = container_state_load(rt, id, &st, err);

	if (r < 0)
		return r;
	if ((st->status == CONTAINER_RUNNING || st->status == CONTAINER_PAUSED) && !force)
		return error_set(err, EBUSY,
		                 "cannot delete container \"%s\" that is not stopped: %s", id,
		                 container_status_name(st->status));
	if (st->status != CONTAINER_STOPPED) {
		r = open_cgroup(st, &layout, &cg, NULL);
		if (r == 0)
			cgroup_kill_all(cg, SIGKILL, NULL);
		else
			lifecycle_signal(st, SIGKILL, NULL);
		lifecycle_wait_gone(st->pid, 5000);
	} else
		r = open_cgroup(st, &layout, &cg, NULL);
	if (cg && cgroup_destroy(cg, true, err) < 0) {
		cgroup_layout_release(&layout);
		return error_wrap(err, "delete \"%s\"", id);
	}
	cgroup_layout_release(&layout);
	st->status = CONTAINER_STOPPED;
	run_poststop(st);
	dir = state_dir(rt, id);
	if (!dir || rm_rf(dir) < 0)
		return error_set_errno(err, errno, "delete \"%s\": remove its state", id);
	return 0;
}

int container_delete_created(const struct runtime_ctx *rt, const char *id, struct cgroup *cg,
                             struct husk_error **err)
{
	_cleanup_free_ char *dir = state_dir(rt, id);

	if (cg && cgroup_destroy(cg, true, err) < 0)
		return error_wrap(err, "delete \"%s\"", id);
	if (!dir || rm_rf(dir) < 0)
		return error_set_errno(err, errno, "delete \"%s\": remove its state", id);
	return 0;
}

static int with_cgroup(const struct runtime_ctx *rt, const char *id,
                       struct container_state **ret_st, struct cgroup_layout *layout,
                       struct cgroup **ret_cg, struct husk_error **err)
{
	int r = container_state_load(rt, id, ret_st, err);

	if (r < 0)
		return r;
	if ((*ret_st)->status == CONTAINER_STOPPED)
		return error_set(err, ESRCH, "container \"%s\" is not running", id);
	return open_cgroup(*ret_st, layout, ret_cg, err);
}

static int freeze(const struct runtime_ctx *rt, const char *id, bool frozen,
                  struct husk_error **err)
{
	_cleanup_(container_state_freep) struct container_state *st = NULL;
	_cleanup_(cgroup_freep) struct cgroup *cg = NULL;
	struct cgroup_layout layout = {0};
	int r = with_cgroup(rt, id, &st, &layout, &cg, err);

	if (r == 0 && frozen && st->status != CONTAINER_RUNNING)
		r = error_set(err, EINVAL, "container \"%s\" is %s, not running", id,
		              container_status_name(st->status));
	if (r == 0 && !frozen && st->status != CONTAINER_PAUSED)
		r = error_set(err, EINVAL, "container \"%s\" is %s, not paused", id,
		              container_status_name(st->status));
	r = r ?: cgroup_freeze(cg, frozen, err);
	cgroup_layout_release(&layout);
	return r;
}

int container_pause(const struct runtime_ctx *rt, const char *id, struct husk_error **err)
{
	return freeze(rt, id, true, err);
}

int container_resume(const struct runtime_ctx *rt, const char *id, struct husk_error **err)
{
	return freeze(rt, id, false, err);
}

int container_update(const struct runtime_ctx *rt, const char *id, const struct oci_resources *res,
                     struct husk_error **err)
{
	_cleanup_(container_state_freep) struct container_state *st = NULL;
	_cleanup_(cgroup_freep) struct cgroup *cg = NULL;
	_cleanup_strv_ char **warnings = NULL;
	struct cgroup_layout layout = {0};
	int r = with_cgroup(rt, id, &st, &layout, &cg, err);

	r = r ?: cgroup_apply(cg, res, &warnings, err);
	STRV_FOREACH (w, warnings)
		log_warn("%s", *w);
	cgroup_layout_release(&layout);
	return r;
}

int container_pids(const struct runtime_ctx *rt, const char *id, pid_t **ret, size_t *ret_n,
                   struct husk_error **err)
{
	_cleanup_(container_state_freep) struct container_state *st = NULL;
	_cleanup_(cgroup_freep) struct cgroup *cg = NULL;
	struct cgroup_layout layout = {0};
	int r = container_state_load(rt, id, &st, err);

	r = r ?: open_cgroup(st, &layout, &cg, err);
	r = r ?: cgroup_pids(cg, ret, ret_n, err);
	cgroup_layout_release(&layout);
	return r;
}

/* ---- foreground run ---- */

/* Wait for our child pid, forwarding every signal we get to it. */
int lifecycle_forward_and_wait(pid_t pid, int tty_master, int *ret_status)
{
	_cleanup_close_ int sfd = -1, pfd = -1;
	struct signalfd_siginfo si;
	sigset_t set;
	int status = 0;

	sigfillset(&set);
	sigdelset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (tty_master >= 0)
		console_proxy(tty_master); /* returns when the pty hangs up */
	for (;;) {
		struct pollfd p[2] = {{.fd = pfd, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
		if (pfd < 0 || RETRY_EINTR(poll(p, 2, -1)) < 0 || (p[0].revents & POLLIN))
			break;
		while (read(sfd, &si, sizeof(si)) == sizeof(si))
			kill(pid, (int)si.ssi_signo);
	}
	if (RETRY_EINTR(waitpid(pid, &status, 0)) < 0)
		return -errno;
	*ret_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return 0;
}

int lifecycle_wait_foreground(const struct runtime_ctx *rt, const char *id, pid_t pid,
                              int tty_master, int *ret_status, struct husk_error **err)
{
	lifecycle_forward_and_wait(pid, tty_master, ret_status);
	safe_close(tty_master);
	return container_delete(rt, id, true, err);
}
