/* container_archive.c — docker cp, export and diff: a container's root as
 * one directory fd (its own mount namespace while it runs, a private one
 * of a child otherwise), and the tar streams over it. */
#include "engine/container_archive.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "archive/tree.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"
#include "base/str.h"
#include "engine/container_internal.h"
#include "engine/engine.h"
#include "engine/spec_build.h"
#include "engine/volumes.h"
#include "store/store.h"

#define ROOT_CHILD_TIMEOUT_MS 60000
#define CHILD_MSG_MAX         512

/* A container's root, open. */
struct ctr_root {
	int fd;
	pid_t child; /* the holder of the private mounts, or 0 */
	int sock;    /* its socket: closing it lets the child go */
	struct ctr *c;
	char **vols; /* volumes volume_mount()ed for the child */
};

struct containers_archive {
	struct ctr_root root;
	char *path;
	enum tree_tar_flags flags;
};

/* A bind the child makes: source (host) onto destination (in the root). */
struct child_bind {
	const char *source;
	const char *destination;
	bool readonly;
};

/* What the child reports when it cannot mount. */
struct child_msg {
	int code;
	char text[CHILD_MSG_MAX];
};

static void ctr_root_release(struct ctr_root *r)
{
	int status;

	safe_close(r->fd);
	r->fd = -1;
	r->sock = safe_close(r->sock);
	/* it leaves at the socket's EOF; a child stuck on a lock some other
	 * thread of the daemon held at fork() time must not hang us */
	if (r->child > 0) {
		kill(r->child, SIGKILL);
		RETRY_EINTR(waitpid(r->child, &status, 0));
	}
	r->child = 0;
	STRV_FOREACH (v, r->vols)
		volume_unmount(r->c->cs->e->volumes, *v);
	strv_free(r->vols);
	r->vols = NULL;
	ctr_unref(r->c);
	r->c = NULL;
}

/* ---- the child: mounts in a private namespace, hands over the root ---- */

static int send_fd(int sock, int fd, const struct child_msg *m)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {.iov_base = (void *)m, .iov_len = sizeof(*m)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;

	if (fd >= 0) {
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static int make_empty_file(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);

	return fd < 0 ? -1 : close(fd);
}

/* Create the mount point dest (a directory, or an empty file for a file
 * bind) as the start of a run would: each parent resolved in the root. */
static int make_mount_point(int rootfd, const char *dest, bool dir)
{
	_cleanup_strv_ char **parts = strv_split(dest, "/");
	_cleanup_close_ int cur = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	struct strbuf prefix = {0};
	int r = 0;

	if (!parts || cur < 0)
		return -ENOMEM;
	STRV_FOREACH (c, parts) {
		bool last = !c[1];
		int fd;

		if (isempty(*c) || streq(*c, "."))
			continue;
		if (strbuf_printf(&prefix, "/%s", *c) < 0) {
			r = -ENOMEM;
			break;
		}
		fd = open_in_root(rootfd, prefix.buf, O_PATH, 0, 0);
		if (fd == -ENOENT) {
			fd = (dir || !last) ? mkdirat(cur, *c, 0755) : make_empty_file(cur, *c);
			fd = fd < 0 ? -errno : open_in_root(rootfd, prefix.buf, O_PATH, 0, 0);
		}
		if (fd < 0) {
			r = fd;
			break;
		}
		safe_close(cur);
		cur = fd;
	}
	strbuf_release(&prefix);
	return r;
}

static int bind_one(int rootfd, const struct child_bind *b, struct husk_error **err)
{
	struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
	_cleanup_close_ int src = -1, dst = -1;
	struct stat st;
	int r;

	src = open_tree(AT_FDCWD, b->source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (src < 0 || fstat(src, &st) < 0)
		return error_set_errno(err, errno, "bind \"%s\"", b->source);
	dst = open_in_root(rootfd, b->destination, O_PATH, 0, 0);
	if (dst == -ENOENT) {
		r = make_mount_point(rootfd, b->destination, S_ISDIR(st.st_mode));
		if (r < 0)
			return error_set_errno(err, -r, "create mount point \"%s\"",
			                       b->destination);
		dst = open_in_root(rootfd, b->destination, O_PATH, 0, 0);
	}
	if (dst < 0)
		return error_set_errno(err, -dst, "open mount point \"%s\"", b->destination);
	if (b->readonly &&
	    mount_setattr(src, "", AT_EMPTY_PATH | AT_RECURSIVE, &ro, sizeof(ro)) < 0)
		return error_set_errno(err, errno, "make \"%s\" read-only", b->destination);
	if (move_mount(src, "", dst, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return error_set_errno(err, errno, "mount \"%s\" on \"%s\"", b->source,
		                       b->destination);
	return 0;
}

/* In the child: its own mount namespace, nothing propagating back, the
 * snapshot and the binds mounted there. The root's fd or -errno. */
static int child_mount(struct store *st, const char *id, const struct child_bind *binds, size_t n,
                       struct husk_error **err)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int rootfd = -1;
	int r;

	if (unshare(CLONE_NEWNS) < 0)
		return error_set_errno(err, errno, "unshare the mount namespace");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return error_set_errno(err, errno, "make the mounts private");
	r = store_snapshot_mount(st, id, &path, err);
	if (r < 0)
		return r;
	rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return error_set_errno(err, errno, "open \"%s\"", path);
	for (size_t i = 0; i < n; i++)
		if ((r = bind_one(rootfd, &binds[i], err)) < 0)
			return r;
	return TAKE_FD(rootfd);
}

/* Close every fd but a and b: the child must not keep the daemon's
 * sockets (a client's connection, a listener) open while it lives. */
static void close_others(int a, int b)
{
	int lo = MIN(a, b), hi = MAX(a, b);

	if (lo > 3)
		close_range(3, (unsigned)lo - 1, 0);
	if (hi > lo + 1)
		close_range((unsigned)lo + 1, (unsigned)hi - 1, 0);
	close_range((unsigned)hi + 1, ~0U, 0);
}

_noreturn_ static void child_main(struct store *st, const char *id, const struct child_bind *binds,
                                  size_t n, int sock)
{
	struct husk_error *err = NULL;
	struct child_msg m = {0};
	int fd;
	char b;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	fd = child_mount(st, id, binds, n, &err);
	close_others(sock, fd >= 0 ? fd : sock);
	if (fd < 0) {
		m.code = -fd;
		snprintf(m.text, sizeof(m.text), "%s", error_message(err));
		send_fd(sock, -1, &m);
		_exit(1);
	}
	if (send_fd(sock, fd, &m) < 0)
		_exit(1);
	close(fd);
	/* hold the mounts until the daemon is done (or gone) */
	for (;;) {
		ssize_t got = read(sock, &b, 1);
		if (got == 0 || (got < 0 && errno != EINTR))
			_exit(0);
	}
}

/* The root fd (or the child's error) from the child; -errno. */
static int recv_root(struct ctr_root *r, struct husk_error **err)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct child_msg m = {0};
	struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
	struct msghdr mh = {.msg_iov = &iov,
	                    .msg_iovlen = 1,
	                    .msg_control = cbuf,
	                    .msg_controllen = sizeof(cbuf)};
	struct pollfd p = {.fd = r->sock, .events = POLLIN};
	struct cmsghdr *cm;
	ssize_t n;

	if (RETRY_EINTR(poll(&p, 1, ROOT_CHILD_TIMEOUT_MS)) <= 0)
		return error_set(err, ETIMEDOUT, "the mount helper did not answer");
	n = RETRY_EINTR(recvmsg(r->sock, &mh, MSG_CMSG_CLOEXEC));
	if (n != (ssize_t)sizeof(m))
		return error_set(err, EIO, "the mount helper died");
	cm = CMSG_FIRSTHDR(&mh);
	if (m.code || !cm || cm->cmsg_type != SCM_RIGHTS) {
		m.text[sizeof(m.text) - 1] = 0;
		return error_set(err, m.code ? m.code : EIO, "%s", m.text);
	}
	memcpy(&r->fd, CMSG_DATA(cm), sizeof(int));
	return 0;
}

/* The binds the container's volumes and bind mounts need (volumes are
 * volume_mount()ed; r->vols lists them for the release). */
static int collect_binds(struct ctr_root *r, struct child_bind *binds, char **paths, size_t *ret_n,
                         struct husk_error **err)
{
	struct ctr *c = r->c;
	size_t n = 0;
	int k;

	for (size_t i = 0; i < c->n_mounts; i++) {
		struct ctr_mount *m = &c->mounts[i];
		const char *src = m->source;

		if (streq(m->type, "volume")) {
			k = volume_mount(c->cs->e->volumes, m->name, &paths[i], err);
			if (k < 0)
				return k;
			if (strv_push(&r->vols, m->name) < 0) {
				volume_unmount(c->cs->e->volumes, m->name);
				return error_set(err, ENOMEM, "out of memory");
			}
			src = paths[i];
		} else if (!streq(m->type, "bind") || isempty(src)) {
			continue; /* tmpfs: nothing there while stopped */
		}
		binds[n++] = (struct child_bind){src, m->destination, !m->rw};
	}
	*ret_n = n;
	return 0;
}

static int open_stopped(struct ctr_root *r, bool with_mounts, struct husk_error **err)
{
	struct ctr *c = r->c;
	_cleanup_free_ struct child_bind *binds = calloc(c->n_mounts + 1, sizeof(*binds));
	_cleanup_free_ char **paths = calloc(c->n_mounts + 1, sizeof(*paths));
	int sv[2], k = 0;
	size_t n = 0;

	if (!binds || !paths || !(r->vols = strv_new()))
		return error_set(err, ENOMEM, "out of memory");
	if (!c->snapshot_ready)
		return error_set(err, EIO, "container %s has no root filesystem", c->id);
	if (with_mounts)
		k = collect_binds(r, binds, paths, &n, err);
	if (k == 0 && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		k = error_set_errno(err, errno, "socketpair");
	if (k == 0) {
		/* fork, not exec: the child only makes system calls and the
		 * store's mount (which forks itself the same way) */
		r->child = fork();
		if (r->child == 0) {
			close(sv[0]);
			child_main(c->cs->e->store, c->id, binds, n, sv[1]);
		}
		close(sv[1]);
		r->sock = sv[0];
		if (r->child < 0) {
			r->child = 0;
			k = error_set_errno(err, errno, "fork");
		} else {
			k = recv_root(r, err);
		}
	}
	for (size_t i = 0; i < c->n_mounts; i++)
		free(paths[i]);
	return k;
}

static int open_running(struct ctr_root *r, bool *ret_running, struct husk_error **err)
{
	struct ctr *c = r->c;
	char proc[64];
	unsigned gen;
	pid_t pid;

	pthread_mutex_lock(&c->cs->lock);
	pid = (c->status == CTR_RUNNING || c->status == CTR_PAUSED) ? c->pid : 0;
	gen = c->run_gen;
	pthread_mutex_unlock(&c->cs->lock);
	*ret_running = pid > 0;
	if (pid <= 0)
		return 0;
	snprintf(proc, sizeof(proc), "/proc/%d/root", (int)pid);
	r->fd = open(proc, O_PATH | O_DIRECTORY | O_CLOEXEC);
	pthread_mutex_lock(&c->cs->lock);
	/* the pid may have been reused if that run ended meanwhile */
	if (gen != c->run_gen || !(c->status == CTR_RUNNING || c->status == CTR_PAUSED))
		*ret_running = false;
	pthread_mutex_unlock(&c->cs->lock);
	if (!*ret_running)
		r->fd = safe_close(r->fd);
	else if (r->fd < 0)
		return error_set_errno(err, errno, "open \"%s\"", proc);
	return 0;
}

/* with_mounts: what the container sees (volumes too); otherwise its
 * rootfs snapshot alone (export). */
static int ctr_root_open(struct containers *cs, const char *name, bool with_mounts,
                         struct ctr_root *r, struct husk_error **err)
{
	bool running = false;
	int k;

	*r = (struct ctr_root){.fd = -1, .sock = -1};
	k = ctr_lookup(cs, name, &r->c, err);
	if (k == 0 && with_mounts)
		k = open_running(r, &running, err);
	if (k == 0 && !running)
		k = open_stopped(r, with_mounts, err);
	if (k < 0)
		ctr_root_release(r);
	return k;
}

/* ---- stat and GET ---- */

static int not_found(const char *path, const char *name, struct husk_error **err)
{
	return error_set(err, ENOENT, "Could not find the file %s in container %s", path, name);
}

static int stat_in(struct ctr_root *r, const char *name, const char *path, char **ret_header,
                   struct husk_error **err)
{
	struct tree_stat st;
	int k = tree_stat(r->fd, path, &st, err);

	if (k == -ENOENT || k == -ENOTDIR || k == -ELOOP)
		return not_found(path, name, err);
	if (k < 0)
		return err && *err ? k : error_set_errno(err, -k, "stat \"%s\"", path);
	*ret_header = tree_stat_header(&st);
	return *ret_header ? 0 : error_set(err, ENOMEM, "out of memory");
}

int containers_archive_stat(struct containers *cs, const char *name, const char *path,
                            char **ret_header, struct husk_error **err)
{
	struct ctr_root r;
	int k = ctr_root_open(cs, name, true, &r, err);

	if (k < 0)
		return k;
	k = stat_in(&r, name, path, ret_header, err);
	ctr_root_release(&r);
	return k;
}

int containers_archive_get_begin(struct containers *cs, const char *name, const char *path,
                                 struct containers_archive **ret, char **ret_header,
                                 struct husk_error **err)
{
	struct containers_archive *a = calloc(1, sizeof(*a));
	int k;

	if (!a || !(a->path = strdup(path)))
		k = error_set(err, ENOMEM, "out of memory");
	else
		k = ctr_root_open(cs, name, true, &a->root, err);
	if (k == 0)
		k = stat_in(&a->root, name, path, ret_header, err);
	if (k < 0) {
		if (a && a->root.c)
			ctr_root_release(&a->root);
		if (a)
			free(a->path);
		free(a);
		return k;
	}
	ctr_event(a->root.c, "archive-path", NULL);
	*ret = a;
	return 0;
}

int containers_export_begin(struct containers *cs, const char *name,
                            struct containers_archive **ret, struct husk_error **err)
{
	struct containers_archive *a = calloc(1, sizeof(*a));
	int k;

	if (!a || !(a->path = strdup("/"))) {
		free(a);
		return error_set(err, ENOMEM, "out of memory");
	}
	a->flags = TREE_TAR_CONTENTS;
	k = ctr_root_open(cs, name, false, &a->root, err);
	if (k < 0) {
		free(a->path);
		free(a);
		return k;
	}
	ctr_event(a->root.c, "export", NULL);
	*ret = a;
	return 0;
}

void containers_archive_run(struct containers_archive *a, int out_fd)
{
	_cleanup_error_ struct husk_error *err = NULL;

	/* userns-remap: the owners as the image and the container know them */
	if (tree_tar_mapped(a->root.fd, a->path, a->flags, &a->root.c->cs->e->remap.map, out_fd,
	                    &err) < 0 &&
	    error_code(err) != EPIPE)
		log_warn("archive of %s in container %.12s: %s", a->path, a->root.c->id,
		         error_message(err));
}

void containers_archive_free(struct containers_archive *a)
{
	if (!a)
		return;
	ctr_root_release(&a->root);
	free(a->path);
	free(a);
}

/* ---- PUT ---- */

/* dockerd's checkIfPathIsInAVolume, on the cleaned path. -EINVAL for a
 * read-only volume; *ret whether path is in a writable one. */
static int in_volume(struct ctr *c, const char *path, bool *ret, struct husk_error **err)
{
	_cleanup_free_ char *abs = path_join_in_root("/", path);

	*ret = false;
	if (!abs)
		return error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < c->n_mounts; i++) {
		const char *d = c->mounts[i].destination, *rest = d ? startswith(abs, d) : NULL;

		if (!rest || (*rest && *rest != '/' && !streq(d, "/")))
			continue;
		if (!c->mounts[i].rw)
			return error_set(err, EINVAL, "mounted volume is marked read-only");
		*ret = true;
		return 0;
	}
	return 0;
}

/* cp -a: the container's user as its own files know it (dockerd looks the
 * name up on the host, which is another system's user database). */
static int put_owner(struct ctr_root *r, struct apply_owner *ret, struct husk_error **err)
{
	_cleanup_free_ char *user = NULL;
	struct spec_user u = {0};
	int k;

	pthread_mutex_lock(&r->c->cs->lock);
	user = strdup(json_string_value(json_object_get(r->c->config, "User")) ?: "");
	pthread_mutex_unlock(&r->c->cs->lock);
	if (!user)
		return error_set(err, ENOMEM, "out of memory");
	*ret = (struct apply_owner){0, 0};
	if (!*user)
		return 0;
	k = spec_resolve_user(r->fd, user, NULL, &u, err);
	if (k < 0)
		return k;
	*ret = (struct apply_owner){u.uid, u.gid};
	spec_user_release(&u);
	return 0;
}

static int put_into(struct ctr_root *r, const char *name, const char *path,
                    const struct containers_put_opts *o, int in_fd, struct husk_error **err)
{
	struct apply_opts ao = {.plain_names = true,
	                        .keep_dir_kinds = o->no_overwrite_dir_non_dir,
	                        .any_compression = true,
	                        .dest_name = path,
	                        .id_shift = &r->c->cs->e->remap.map};
	_cleanup_close_ int dfd = open_in_root(r->fd, path, O_PATH, 0, 0);
	struct apply_owner owner = {0};
	bool to_volume, ro;
	struct stat st;
	int k;

	if (dfd == -ENOENT || dfd == -ENOTDIR || dfd == -ELOOP)
		return not_found(path, name, err);
	if (dfd < 0)
		return error_set_errno(err, -dfd, "open \"%s\"", path);
	if (fstat(dfd, &st) < 0)
		return error_set_errno(err, errno, "stat \"%s\"", path);
	if (!S_ISDIR(st.st_mode))
		return error_set(err, EINVAL, "extraction point is not a directory");
	k = in_volume(r->c, path, &to_volume, err);
	if (k < 0)
		return k;
	pthread_mutex_lock(&r->c->cs->lock);
	ro = json_is_true(json_object_get(r->c->host_config, "ReadonlyRootfs"));
	pthread_mutex_unlock(&r->c->cs->lock);
	if (!to_volume && ro)
		return error_set(err, EINVAL, "container rootfs is marked read-only");
	if (o->copy_uid_gid) {
		k = put_owner(r, &owner, err);
		if (k < 0)
			return k;
		ao.owner = &owner;
	}
	k = layer_apply_at(in_fd, dfd, &ao, NULL, err);
	if (k < 0 && err && *err) {
		/* dockerd: whatever the tar asks for that cannot be is a 500 */
		_cleanup_error_ struct husk_error *inner = TAKE_PTR(*err);
		return error_set(err, EIO, "%s", error_message(inner));
	}
	return k;
}

int containers_archive_put(struct containers *cs, const char *name, const char *path,
                           const struct containers_put_opts *o, int in_fd, struct husk_error **err)
{
	struct ctr_root r;
	int k = ctr_root_open(cs, name, true, &r, err);

	if (k < 0)
		return k;
	k = put_into(&r, name, path, o, in_fd, err);
	if (k == 0)
		ctr_event(r.c, "extract-to-dir", NULL);
	ctr_root_release(&r);
	return k;
}

/* ---- changes ---- */

/* What the runtime may create for its mounts (dockerd's init layer holds
 * them, so its diff never shows them). */
static const char *const runtime_mount_points[] = {
        "/etc/hostname", "/etc/hosts",  "/etc/resolv.conf",
        "/etc/mtab",     "/.dockerenv", "/dev",
        "/proc",         "/sys",        NULL,
};

static json_t *changes_json(const struct tree_change *v, size_t n)
{
	json_t *a;

	if (n == 0)
		return json_null();
	a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_pack("{s:s, s:i}", "Path", v[i].path, "Kind",
		                                       (int)v[i].kind)) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static void close_fds(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		safe_close(fds[i]);
	free(fds);
}

int containers_changes(struct containers *cs, const char *name, json_t **ret,
                       struct husk_error **err)
{
	_cleanup_(ctr_unrefp) struct ctr *c = NULL;
	_cleanup_free_ char *upper = NULL;
	_cleanup_strv_ char **lowers = NULL;
	_cleanup_close_ int ufd = -1;
	struct tree_change *v = NULL;
	size_t n = 0, nl;
	int *lfds, k;

	k = ctr_lookup(cs, name, &c, err);
	if (k == 0)
		k = store_snapshot_dirs(cs->e->store, c->id, &upper, &lowers, err);
	if (k < 0)
		return k;
	nl = strv_length(lowers);
	lfds = calloc(nl + 1, sizeof(*lfds));
	ufd = open(upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (!lfds)
		return error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < nl; i++)
		lfds[i] = open(lowers[i], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (ufd < 0)
		k = error_set_errno(err, errno, "open \"%s\"", upper);
	for (size_t i = 0; k == 0 && i < nl; i++)
		if (lfds[i] < 0)
			k = error_set_errno(err, errno, "open \"%s\"", lowers[i]);
	if (k == 0)
		k = tree_changes(ufd, lfds, nl, (char *const *)runtime_mount_points, &v, &n, err);
	close_fds(lfds, nl);
	if (k < 0)
		return k;
	*ret = changes_json(v, n);
	tree_changes_free(v, n);
	return *ret ? 0 : error_set(err, ENOMEM, "out of memory");
}
