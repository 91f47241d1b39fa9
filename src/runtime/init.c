/* init.c — what the container's first process does before execve:
 * namespaces, hostname, rootfs, console, hooks, the wait for start. */
#include "runtime/init.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "base/fs.h"
#include "base/str.h"
#include "runtime/cgroup.h"
#include "runtime/console.h"
#include "runtime/hooks.h"
#include "runtime/process.h"
#include "runtime/rootfs.h"
#include "runtime/sync.h"

static int join_namespaces(struct init_args *a, struct husk_error **err)
{
	/* the user namespace first: the others are owned by it */
	static const enum oci_ns_type order[] = {OCI_NS_USER, OCI_NS_MOUNT, OCI_NS_NETWORK,
	                                         OCI_NS_IPC,  OCI_NS_UTS,   OCI_NS_CGROUP,
	                                         OCI_NS_TIME};

	for (size_t i = 0; i < ELEMENTSOF(order); i++) {
		int fd = a->ns_fds[order[i]];
		if (fd < 0)
			continue;
		if (setns(fd, oci_ns_clone_flag(order[i])) < 0)
			return error_set_errno(err, errno, "join the %s namespace",
			                       oci_ns_type_name(order[i]));
		a->ns_fds[order[i]] = safe_close(fd);
	}
	return 0;
}

static int set_names(const struct oci_spec *s, struct husk_error **err)
{
	const struct oci_namespace *uts = oci_spec_namespace(s, OCI_NS_UTS);

	if ((s->hostname || s->domainname) && (!uts || uts->path))
		return error_set(err, EINVAL,
		                 "hostname: setting it needs a new UTS namespace in "
		                 "linux.namespaces");
	if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
		return error_set_errno(err, errno, "hostname \"%s\"", s->hostname);
	if (s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0)
		return error_set_errno(err, errno, "domainname \"%s\"", s->domainname);
	return 0;
}

/* A session keyring of its own, so containers do not share the host's. */
static void join_keyring(const char *id)
{
	_cleanup_free_ char *name = str_printf("_ses.%s", id);

	if (name)
		syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, name);
}

/* The pty: from the container's own devpts (opened inside the rootfs, so
 * an image symlink cannot hand us the host's ptmx), /dev/console bound to
 * its slave inside the rootfs (CVE-2025-52565 class), the master sent to
 * the caller. Returns the slave fd. */
static int setup_console(struct init_args *a, struct husk_error **err)
{
	_cleanup_close_ int rootfd = open(a->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int master = -1, slave = -1;
	const struct oci_process *p = a->spec->process;
	int sock = a->proxy_tty ? a->sync_fd : a->console_fd, unlock = 0;
	char slave_path[64];

	if (rootfd < 0)
		return error_set_errno(err, errno, "open the rootfs");
	master = open_in_root(rootfd, "dev/pts/ptmx", O_RDWR | O_NOCTTY, 0, 0);
	if (master < 0)
		return error_set_errno(err, -master, "open the container's /dev/pts/ptmx");
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0 ||
	    (slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
		return error_set_errno(err, errno, "set up the console pty");
	if (p->console_height && p->console_width)
		console_resize(master, p->console_height, p->console_width);
	snprintf(slave_path, sizeof(slave_path), "/proc/self/fd/%d", slave);
	if (rootfs_bind_console(a->rootfs, slave_path, err) < 0)
		return -EIO;
	if (console_send_fd(sock, master, "console") < 0)
		return error_set_errno(err, errno, "send the pty master over the console socket");
	return TAKE_FD(slave);
}

static int run_container_hooks(struct init_args *a, enum oci_hook_kind kind, const char *status,
                               struct husk_error **err)
{
	json_t *st;
	int r;

	if (!a->spec->n_hooks[kind])
		return 0;
	st = json_pack("{s:s, s:s, s:s, s:i, s:s}", "ociVersion", a->spec->oci_version, "id", a->id,
	               "status", status, "pid", (int)getpid(), "bundle", a->opts->bundle);
	r = hooks_run(a->spec, kind, st, err);
	json_decref(st);
	return r;
}

static int setup_rootfs(struct init_args *a, int *ret_slave, struct husk_error **err)
{
	bool userns = oci_spec_namespace(a->spec, OCI_NS_USER) != NULL; /* new or joined */
	enum rootfs_flags fl =
	        (a->opts->no_pivot ? ROOTFS_NO_PIVOT : 0) | (userns ? ROOTFS_USERNS : 0);
	int r;

	r = rootfs_prepare(a->spec, a->rootfs, NULL, fl, err);
	if (r == 0 && a->spec->process->terminal) {
		*ret_slave = setup_console(a, err);
		r = *ret_slave < 0 ? *ret_slave : 0;
	}
	if (r == 0 && a->hooks_sync) {
		r = sync_send(a->sync_fd, SYNC_MOUNTS_DONE, NULL, 0);
		r = r ?: sync_expect(a->sync_fd, SYNC_HOOKS_DONE, "hooks", err);
		r = r ?: run_container_hooks(a, OCI_HOOK_CREATE_CONTAINER, "created", err);
	}
	r = r ?: rootfs_pivot(a->rootfs, fl, err);
	return r ?: rootfs_finalize(a->spec, err);
}

/* create: say we are ready, then block until `start` opens the fifo. */
static int wait_for_start(struct init_args *a, struct husk_error **err)
{
	char path[64];
	_cleanup_close_ int fd = -1;

	if (sync_send(a->sync_fd, SYNC_READY, NULL, 0) < 0)
		return error_set_errno(err, errno, "report ready");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", a->fifo_fd);
	fd = RETRY_EINTR(open(path, O_WRONLY | O_CLOEXEC));
	if (fd < 0)
		return error_set_errno(err, errno, "open the exec fifo");
	if (write_all(fd, "0", 1) < 0)
		return error_set_errno(err, errno, "write the exec fifo");
	a->fifo_fd = safe_close(a->fifo_fd);
	return 0;
}

static int init_setup(struct init_args *a, struct husk_error **err)
{
	int slave = -1, r;
	bool joined_user;

	prctl(PR_SET_PDEATHSIG, SIGKILL); /* the runtime died mid-setup: so do we */
	r = cgroup_attach_self(a->cg_fds, a->n_cg_fds, a->cg_into);
	if (r < 0)
		return error_set_errno(err, -r, "move the container init into its cgroup");
	for (size_t i = 0; i < a->n_cg_fds; i++)
		safe_close(a->cg_fds[i]);
	r = sync_expect(a->sync_fd, SYNC_GO, "start of the container init", err);
	if (r < 0)
		return r;
	if (a->new_userns && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
		return error_set_errno(err, errno, "become root in the user namespace");
	/* the id change made us non-dumpable, which gives our /proc/self files
	 * to the host's root: the init could not write its oom_score_adj (runc
	 * makes itself dumpable again too; the exec resets it) */
	if (a->new_userns && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		return error_set_errno(err, errno, "prctl(PR_SET_DUMPABLE)");
	joined_user = a->ns_fds[OCI_NS_USER] >= 0;
	r = join_namespaces(a, err);
	/* in a joined user namespace too, be its root (our ids are not mapped
	 * there: files could not be made) */
	if (r == 0 && joined_user &&
	    (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0 ||
	     prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0))
		r = error_set_errno(err, errno, "become root in the joined user namespace");
	if (r == 0 && a->unshare_flags && unshare((int)a->unshare_flags) < 0)
		r = error_set_errno(err, errno,
		                    "create the namespaces in the joined user namespace");
	if (r == 0 && a->new_cgroupns && unshare(CLONE_NEWCGROUP) < 0)
		r = error_set_errno(err, errno, "create the cgroup namespace");
	r = r ?: set_names(a->spec, err);
	if (r < 0)
		return r;
	if (!a->opts->no_new_keyring)
		join_keyring(a->id);
	r = setup_rootfs(a, &slave, err);
	if (r < 0)
		return r;
	if (setsid() < 0)
		return error_set_errno(err, errno, "setsid");
	if (slave >= 0 && console_make_controlling(slave, err) < 0)
		return -EIO;
	safe_close(slave);
	/* a missing command is a create-time error (runc, and what containerd
	 * and Podman expect), not a silent exit after start */
	if (process_check_exec(a->spec->process, err) < 0)
		return -ENOENT;
	/* create: the runtime exits once we are ready; we must outlive it */
	prctl(PR_SET_PDEATHSIG, 0);
	if (a->fifo_fd >= 0 && wait_for_start(a, err) < 0)
		return -EIO;
	r = run_container_hooks(a, OCI_HOOK_START_CONTAINER, "running", err);
	if (r < 0)
		return r;
	struct process_exec x = {.process = a->spec->process,
	                         .linux_ = &a->spec->linux_,
	                         .seccomp = a->seccomp,
	                         .preserve_fds = a->opts->preserve_fds,
	                         .keep_fds = {a->sync_fd, -1, -1, -1}};
	return process_exec(&x, err);
}

void init_main(struct init_args *a)
{
	struct husk_error *err = NULL;

	init_setup(a, &err);
	sync_send_error(a->sync_fd, error_code(err), error_message(err));
	_exit(1);
}
