/* container.c — the parent side of the lifecycle: create, start, run. */
#include "runtime/container.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"
#include "base/str.h"
#include "runtime/cgroup.h"
#include "runtime/console.h"
#include "runtime/hooks.h"
#include "runtime/init.h"
#include "runtime/lifecycle.h"
#include "runtime/rootfs.h"
#include "runtime/state.h"
#include "runtime/sync.h"

/* Everything a create makes, so a failure can undo all of it. */
struct creation {
	const struct runtime_ctx *rt;
	const char *id;
	const struct create_opts *o;
	struct oci_spec *spec;
	struct cgroup_layout layout;
	struct cgroup *cg;
	struct seccomp_filter *seccomp;
	char *dir, *rootfs;
	bool dir_made;
	int sync[2], fifo_fd, console_fd;
	int ns_fds[OCI_NS_COUNT];
	int back_fds[3]; /* our own net, ipc, uts while joined for the clone (-1: not) */
	int cg_dirfd, *cg_fds;
	size_t n_cg_fds;
	pid_t pid;
	int tty_master; /* foreground run with a terminal */
};

static void creation_init(struct creation *c, const struct runtime_ctx *rt, const char *id,
                          const struct create_opts *o)
{
	*c = (struct creation){.rt = rt, .id = id, .o = o};
	c->sync[0] = c->sync[1] = c->fifo_fd = c->console_fd = c->tty_master = c->cg_dirfd = -1;
	for (int i = 0; i < OCI_NS_COUNT; i++)
		c->ns_fds[i] = -1;
	for (size_t i = 0; i < ELEMENTSOF(c->back_fds); i++)
		c->back_fds[i] = -1;
}

static const struct {
	enum oci_ns_type type;
	const char *self; /* /proc/thread-self/ns/<self> */
} clone_joined[] = {{OCI_NS_NETWORK, "net"}, {OCI_NS_IPC, "ipc"}, {OCI_NS_UTS, "uts"}};

/* A process in a user namespace cannot join a namespace that an ancestor
 * user namespace owns (setns needs CAP_SYS_ADMIN over its owner): with a
 * user namespace (new or joined), the network, IPC and UTS namespaces
 * given by path are joined by us for the clone, so that the init is born
 * in them, as runc joins paths before it enters the user namespace. */
static int join_for_clone(struct creation *c, struct husk_error **err)
{
	if (!oci_spec_namespace(c->spec, OCI_NS_USER))
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(clone_joined); i++) {
		enum oci_ns_type t = clone_joined[i].type;
		char self[64];

		if (c->ns_fds[t] < 0)
			continue;
		snprintf(self, sizeof(self), "/proc/thread-self/ns/%s", clone_joined[i].self);
		c->back_fds[i] = open(self, O_RDONLY | O_CLOEXEC);
		if (c->back_fds[i] < 0)
			return error_set_errno(err, errno, "open \"%s\"", self);
		if (setns(c->ns_fds[t], oci_ns_clone_flag(t)) < 0)
			return error_set_errno(err, errno, "join the %s namespace",
			                       oci_ns_type_name(t));
		c->ns_fds[t] = safe_close(c->ns_fds[t]);
		if (t == OCI_NS_NETWORK && rootfs_net_sysctls(c->spec, err) < 0)
			return -EPERM;
	}
	return 0;
}

/* Back to our own namespaces after join_for_clone(). */
static void return_from_clone(struct creation *c)
{
	for (size_t i = 0; i < ELEMENTSOF(clone_joined); i++) {
		if (c->back_fds[i] < 0)
			continue;
		if (setns(c->back_fds[i], oci_ns_clone_flag(clone_joined[i].type)) < 0)
			abort(); /* we would go on in the container's namespace */
		c->back_fds[i] = safe_close(c->back_fds[i]);
	}
}

static void creation_release(struct creation *c, bool failed)
{
	return_from_clone(c);
	if (failed && c->pid > 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
	}
	if (failed && c->cg)
		cgroup_destroy(c->cg, true, NULL);
	if (failed && c->dir_made)
		rm_rf(c->dir);
	cgroup_free(c->cg);
	cgroup_layout_release(&c->layout);
	seccomp_filter_free(c->seccomp);
	safe_close(c->sync[0]);
	safe_close(c->sync[1]);
	safe_close(c->fifo_fd);
	safe_close(c->console_fd);
	if (failed)
		safe_close(c->tty_master);
	for (int i = 0; i < OCI_NS_COUNT; i++)
		safe_close(c->ns_fds[i]);
	for (size_t i = 0; i < c->n_cg_fds; i++)
		safe_close(c->cg_fds[i]);
	free(c->cg_fds);
	safe_close(c->cg_dirfd);
	oci_spec_free(c->spec);
	free(c->dir);
	free(c->rootfs);
}

/* Move an internal fd above the range handed to the container. */
static int fd_above(int fd, int min)
{
	int nfd;

	if (fd < 0 || fd >= min)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, min);
	safe_close(fd);
	return nfd;
}

static int load_spec(struct creation *c, struct husk_error **err)
{
	c->spec =
	        c->o->config ? oci_spec_parse(c->o->config, err) : oci_spec_load(c->o->bundle, err);
	if (!c->spec)
		return -EINVAL;
	if (!c->spec->process)
		return error_set(err, EINVAL,
		                 "config.json: process: required to create a "
		                 "container");
	if (c->spec->linux_.has_intel_rdt)
		return error_set(err, ENOTSUP, "linux.intelRdt: not supported by husk-runtime");
	if (!oci_spec_namespace(c->spec, OCI_NS_MOUNT) ||
	    oci_spec_namespace(c->spec, OCI_NS_MOUNT)->path)
		return error_set(err, EINVAL,
		                 "linux.namespaces: a new mount namespace is required");
	c->rootfs = path_is_absolute(c->spec->root_path)
	                    ? strdup(c->spec->root_path)
	                    : path_join(c->o->bundle, c->spec->root_path);
	if (!c->rootfs)
		return error_set(err, ENOMEM, "out of memory");
	struct stat st;
	if (stat(c->rootfs, &st) < 0 || !S_ISDIR(st.st_mode))
		return error_set(err, ENOENT, "root.path \"%s\": not a directory", c->rootfs);
	return 0;
}

/* The host id of the container's root in a mapping; -1 when unmapped. */
static int64_t root_host_id(const struct oci_id_mapping *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (m[i].container_id == 0 && m[i].size > 0)
			return m[i].host_id;
	return -1;
}

static int make_fifo(struct creation *c, struct husk_error **err)
{
	_cleanup_free_ char *path = path_join(c->dir, EXEC_FIFO);
	const struct oci_linux *lx = &c->spec->linux_;
	int64_t uid = root_host_id(lx->uid_mappings, lx->n_uid_mappings);
	int64_t gid = root_host_id(lx->gid_mappings, lx->n_gid_mappings);

	if (!path)
		return error_set(err, ENOMEM, "out of memory");
	if (mkfifo(path, 0622) < 0)
		return error_set_errno(err, errno, "create the exec fifo");
	/* the init opens it (by fd: the directory is private) as the
	 * container's user: as runc, the mapped root owns it, and any user of
	 * a joined user namespace may write it */
	if (chmod(path, 0622) < 0 ||
	    (uid >= 0 && gid >= 0 && chown(path, (uid_t)uid, (gid_t)gid) < 0))
		return error_set_errno(err, errno, "chown the exec fifo");
	c->fifo_fd = open(path, O_PATH | O_CLOEXEC);
	if (c->fifo_fd < 0)
		return error_set_errno(err, errno, "open the exec fifo");
	return 0;
}

/* Open the namespaces to join; the pid namespace is joined here, by the
 * runtime, so that the init is born in it; a new time namespace gets its
 * offsets before the init enters it. */
static int prepare_namespaces(struct creation *c, struct husk_error **err)
{
	for (size_t i = 0; i < c->spec->linux_.n_namespaces; i++) {
		const struct oci_namespace *ns = &c->spec->linux_.namespaces[i];
		if (!ns->path)
			continue;
		c->ns_fds[ns->type] = open(ns->path, O_RDONLY | O_CLOEXEC);
		if (c->ns_fds[ns->type] < 0)
			return error_set_errno(err, errno, "linux.namespaces: open \"%s\"",
			                       ns->path);
	}
	if (c->ns_fds[OCI_NS_PID] >= 0) {
		if (setns(c->ns_fds[OCI_NS_PID], CLONE_NEWPID) < 0)
			return error_set_errno(err, errno, "join the pid namespace");
		c->ns_fds[OCI_NS_PID] = safe_close(c->ns_fds[OCI_NS_PID]);
	}
	if (c->ns_fds[OCI_NS_TIME] >= 0) {
		if (setns(c->ns_fds[OCI_NS_TIME], CLONE_NEWTIME) < 0)
			return error_set_errno(err, errno, "join the time namespace");
		c->ns_fds[OCI_NS_TIME] = safe_close(c->ns_fds[OCI_NS_TIME]);
	}
	return join_for_clone(c, err) ?: lifecycle_new_timens(c->spec, err);
}

static unsigned long clone_flags(const struct oci_spec *s)
{
	static const enum oci_ns_type at_clone[] = {OCI_NS_MOUNT, OCI_NS_PID, OCI_NS_NETWORK,
	                                            OCI_NS_IPC,   OCI_NS_UTS, OCI_NS_USER};
	unsigned long f = 0;

	for (size_t i = 0; i < ELEMENTSOF(at_clone); i++) {
		const struct oci_namespace *ns = oci_spec_namespace(s, at_clone[i]);
		if (ns && !ns->path)
			f |= (unsigned long)oci_ns_clone_flag(at_clone[i]);
	}
	return f;
}

static int setup_resources(struct creation *c, struct husk_error **err)
{
	_cleanup_strv_ char **warnings = NULL;
	int r;

	r = cgroup_probe(NULL, NULL, &c->layout, err);
	r = r
	            ?: cgroup_create(&c->layout, c->spec->linux_.cgroups_path, c->id,
	                             c->rt->systemd_cgroup ? CGROUP_SYSTEMD : 0, &c->cg, err);
	if (r == 0 && (r = lifecycle_default_devices(c->spec, err)) == 0)
		r = cgroup_apply(c->cg, &c->spec->linux_.resources, &warnings, err);
	STRV_FOREACH (w, warnings)
		log_warn("%s", *w);
	r = r ?: cgroup_attach_prepare(c->cg, &c->cg_dirfd, &c->cg_fds, &c->n_cg_fds, err);
	if (r == 0 && c->spec->linux_.seccomp.present)
		r = seccomp_build(c->rt, &c->spec->linux_.seccomp, &c->seccomp, err);
	return r;
}

static int open_fds(struct creation *c, bool with_fifo, struct husk_error **err)
{
	int min = 3 + MAX(c->o->preserve_fds, 0), r = 0;

	if (with_fifo)
		r = make_fifo(c, err);
	if (r == 0 && c->o->console_socket) {
		c->console_fd = console_socket_connect(c->o->console_socket, err);
		r = c->console_fd < 0 ? c->console_fd : 0;
	}
	if (r == 0 && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, c->sync) < 0)
		r = error_set_errno(err, errno, "socketpair");
	if (r < 0)
		return r;
	c->fifo_fd = fd_above(c->fifo_fd, min);
	c->console_fd = fd_above(c->console_fd, min);
	c->sync[0] = fd_above(c->sync[0], min);
	c->cg_dirfd = fd_above(c->cg_dirfd, min);
	for (size_t i = 0; i < c->n_cg_fds; i++)
		c->cg_fds[i] = fd_above(c->cg_fds[i], min);
	c->sync[1] = fd_above(c->sync[1], min);
	for (int i = 0; i < OCI_NS_COUNT; i++)
		c->ns_fds[i] = fd_above(c->ns_fds[i], min);
	return 0;
}

static bool needs_hooks_sync(const struct oci_spec *s)
{
	return s->n_hooks[OCI_HOOK_PRESTART] || s->n_hooks[OCI_HOOK_CREATE_RUNTIME] ||
	       s->n_hooks[OCI_HOOK_CREATE_CONTAINER];
}

static int spawn_init(struct creation *c, bool with_fifo, struct husk_error **err)
{
	const struct oci_namespace *cg_ns = oci_spec_namespace(c->spec, OCI_NS_CGROUP);
	const struct oci_namespace *user_ns = oci_spec_namespace(c->spec, OCI_NS_USER);
	struct init_args a = {
	        .id = c->id,
	        .spec = c->spec,
	        .opts = c->o,
	        .rootfs = c->rootfs,
	        .sync_fd = c->sync[1],
	        .fifo_fd = with_fifo ? c->fifo_fd : -1,
	        .console_fd = c->console_fd,
	        .seccomp = c->seccomp,
	        .cg_fds = c->cg_fds,
	        .n_cg_fds = c->n_cg_fds,
	        .new_userns = user_ns && !user_ns->path,
	        .new_cgroupns = cg_ns && !cg_ns->path,
	        .hooks_sync = needs_hooks_sync(c->spec),
	        .proxy_tty = !with_fifo && !c->o->detach && !c->o->console_socket &&
	                     c->spec->process->terminal,
	};
	unsigned long flags = clone_flags(c->spec);
	pid_t pid;

	/* a joined user namespace must own the namespaces the init creates:
	 * those are made after it is joined (the pid namespace cannot be: the
	 * init must be born in it) */
	if (user_ns && user_ns->path) {
		a.unshare_flags =
		        flags & (CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS);
		flags &= ~a.unshare_flags;
	}
	memcpy(a.ns_fds, c->ns_fds, sizeof(a.ns_fds));
	if (c->spec->process->terminal && !c->o->console_socket && !a.proxy_tty)
		return error_set(err, EINVAL, "process.terminal: --console-socket is required");
	pid = lifecycle_clone(flags, c->cg_dirfd, &a.cg_into);
	if (pid != 0)
		return_from_clone(c);
	if (pid < 0)
		return error_set_errno(err, errno, "clone the container init");
	if (pid == 0) {
		safe_close(c->sync[0]);
		init_main(&a);
	}
	c->pid = pid;
	c->sync[1] = safe_close(c->sync[1]);
	return 0;
}

static int save_state(struct creation *c, unsigned long long pid_start, struct husk_error **err);

static json_t *state_doc(const struct creation *c, const char *status)
{
	return json_pack("{s:s, s:s, s:s, s:i, s:s}", "ociVersion", c->spec->oci_version, "id",
	                 c->id, "status", status, "pid", (int)c->pid, "bundle", c->o->bundle);
}

/* After the clone: ids, cgroup, go; hooks; wait for the init's answer. */
static int drive_init(struct creation *c, bool with_fifo, struct husk_error **err)
{
	const struct oci_namespace *user_ns = oci_spec_namespace(c->spec, OCI_NS_USER);
	int r = 0;

	unsigned long long pid_start = 0;

	if (user_ns && !user_ns->path)
		r = lifecycle_write_id_maps(c->pid, &c->spec->linux_, err);
	/* (the init moves itself into the cgroup: see cgroup_attach_prepare) */
	/* its start time while it waits for GO: it cannot have exited yet */
	if (r == 0 && proc_start_time(c->pid, &pid_start) < 0)
		r = error_set(err, ESRCH, "the container init exited during create");
	if (r == 0 && sync_send(c->sync[0], SYNC_GO, NULL, 0) < 0)
		r = error_set_errno(err, errno, "start the container init");
	/* written while the init sets up its mounts */
	r = r ?: save_state(c, pid_start, err);
	if (r == 0 && needs_hooks_sync(c->spec)) {
		json_t *st = state_doc(c, "creating");
		r = sync_expect(c->sync[0], SYNC_MOUNTS_DONE, "create", err);
		r = r ?: hooks_run(c->spec, OCI_HOOK_PRESTART, st, err);
		r = r ?: hooks_run(c->spec, OCI_HOOK_CREATE_RUNTIME, st, err);
		json_decref(st);
		if (r == 0 && sync_send(c->sync[0], SYNC_HOOKS_DONE, NULL, 0) < 0)
			r = error_set_errno(err, errno, "resume the container init");
	}
	if (r == 0 && c->spec->process->terminal && !c->o->console_socket && !c->o->detach &&
	    !with_fifo) {
		c->tty_master = console_recv_fd(c->sync[0]);
		if (c->tty_master < 0)
			r = error_set_errno(err, -c->tty_master, "receive the pty");
	}
	if (r == 0 && with_fifo)
		r = sync_expect(c->sync[0], SYNC_READY, "create", err);
	return r;
}

static int save_state(struct creation *c, unsigned long long pid_start, struct husk_error **err)
{
	struct container_state st = {.id = (char *)c->id,
	                             .bundle = (char *)c->o->bundle,
	                             .rootfs = c->rootfs,
	                             .pid = c->pid};
	char created[48], owner[64];
	int r;

	st.pid_start = pid_start;
	log_format_time(created, sizeof(created));
	st.created = created;
	st.owner = lifecycle_user_name(geteuid(), owner, sizeof(owner));
	st.cgroup_paths = cgroup_paths_json(c->cg);
	st.annotations = lifecycle_annotations_json(c->spec);
	st.config = c->spec->raw;
	r = state_save(c->rt, &st, err);
	json_decref(st.cgroup_paths);
	json_decref(st.annotations);
	return r;
}

/* The common part of create and run. */
static int do_create(struct creation *c, bool with_fifo, struct husk_error **err)
{
	int r = container_id_check(c->id, err);

	r = r ?: load_spec(c, err);
	if (r == 0) {
		c->dir = state_dir(c->rt, c->id);
		r = c->dir ? state_dir_create(c->rt, c->id, err) : -ENOMEM;
		c->dir_made = r == 0;
	}
	r = r ?: setup_resources(c, err);
	r = r ?: prepare_namespaces(c, err);
	r = r ?: open_fds(c, with_fifo, err);
	r = r ?: spawn_init(c, with_fifo, err);
	r = r ?: drive_init(c, with_fifo, err);
	if (r == 0 && c->o->pid_file)
		r = lifecycle_write_pid_file(c->o->pid_file, c->pid, err);
	return r;
}

int container_create(const struct runtime_ctx *rt, const char *id, const struct create_opts *o,
                     struct create_result *ret, struct husk_error **err)
{
	struct creation c;
	int r;

	creation_init(&c, rt, id, o);
	r = do_create(&c, true, err);
	if (r == 0 && ret) {
		ret->pid = c.pid;
		ret->cgroup_paths = cgroup_paths_json(c.cg);
		ret->poststart_hooks = c.spec->n_hooks[OCI_HOOK_POSTSTART] > 0;
		ret->poststop_hooks = c.spec->n_hooks[OCI_HOOK_POSTSTOP] > 0;
	}
	creation_release(&c, r < 0);
	return r;
}

/* The init closes its end of the sync socket when it execs (CLOEXEC):
 * EOF means the process is running; a message is its error. */
static int wait_exec(int fd, struct husk_error **err)
{
	char buf[SYNC_MSG_MAX];
	enum sync_type t;
	int32_t code;
	int n = sync_recv(fd, &t, buf, sizeof(buf));

	if (n == -EPIPE)
		return 0;
	if (n < 0)
		return error_set_errno(err, -n, "run: read from the container init");
	if (t != SYNC_ERROR || n < (int)sizeof(code))
		return error_set(err, EPROTO, "run: unexpected message from the container init");
	memcpy(&code, buf, sizeof(code));
	return error_set(err, code > 0 ? code : EIO, "%s", buf + sizeof(code));
}

int container_run(const struct runtime_ctx *rt, const char *id, const struct create_opts *o,
                  int *ret_status, struct husk_error **err)
{
	struct creation c;
	int r;

	creation_init(&c, rt, id, o);
	r = do_create(&c, false, err);
	r = r ?: wait_exec(c.sync[0], err);
	if (r == 0) {
		lifecycle_poststart(c.spec, rt, id);
		if (!o->detach)
			r = lifecycle_wait_foreground(rt, id, c.pid, c.tty_master, ret_status, err);
	}
	creation_release(&c, r < 0);
	return r;
}
