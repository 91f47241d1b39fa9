/* rootfs.c — rootfs_prepare(), rootfs_pivot(), rootfs_finalize(), and the
 * path and mountinfo helpers the mount code shares. See rootfs.h. */
#include "runtime/rootfs.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "base/str.h"
#include "runtime/rootfs_internal.h"

#define MOUNTINFO_MAX     (16u << 20)
#define SYMLINK_MAX_DEPTH 40

/* ---- paths inside the rootfs ---- */

int rootfs_fd_path(const struct rootfs_ctx *c, int fd, char **ret)
{
	char p[PROC_FD_PATH_MAX], buf[PATH_MAX];
	const char *rest = buf;
	ssize_t n;

	rootfs_proc_fd(fd, p);
	n = readlink(p, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	if (!streq(c->root, "/")) {
		rest = startswith(buf, c->root);
		if (!rest || (*rest && *rest != '/'))
			return -EXDEV;
	}
	*ret = strdup(*rest ? rest : "/");
	return *ret ? 0 : -ENOMEM;
}

bool rootfs_path_is(const char *untrusted, const char *path)
{
	_cleanup_free_ char *clean = path_join_in_root("/", untrusted);

	return streq(clean, path);
}

static int mkpath_depth(struct rootfs_ctx *c, const char *path, enum mkpath_kind kind,
                        enum open_in_root_flags how, unsigned depth);

/* name exists in dirfd but did not resolve: a dangling symlink. Create its
 * target instead, resolved inside the root like any other path. */
static int mkpath_follow(struct rootfs_ctx *c, int dirfd, const char *name, enum mkpath_kind kind,
                         unsigned depth)
{
	_cleanup_free_ char *dir = NULL, *path = NULL;
	char target[PATH_MAX];
	ssize_t n;
	int fd;

	if (depth >= SYMLINK_MAX_DEPTH)
		return -ELOOP;
	n = readlinkat(dirfd, name, target, sizeof(target) - 1);
	if (n < 0)
		return errno == EINVAL ? 0 : -errno; /* not a symlink: it appeared meanwhile */
	target[n] = 0;
	if (target[0] != '/' && (fd = rootfs_fd_path(c, dirfd, &dir)) < 0)
		return fd;
	path = target[0] == '/' ? strdup(target) : path_join(dir, target);
	if (!path)
		return -ENOMEM;
	fd = mkpath_depth(c, path, kind, 0, depth + 1);
	if (fd < 0)
		return fd;
	safe_close(fd);
	return 0;
}

static int mkpath_create(struct rootfs_ctx *c, int dirfd, const char *name, enum mkpath_kind kind,
                         unsigned depth)
{
	int fd;

	if (kind == MKPATH_DIR) {
		if (mkdirat(dirfd, name, 0755) == 0)
			return 0;
	} else {
		fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		            0644);
		if (fd >= 0) {
			safe_close(fd);
			return 0;
		}
	}
	if (errno != EEXIST)
		return -errno;
	return mkpath_follow(c, dirfd, name, kind, depth);
}

/* One component: open prefix (the path so far) in the root, creating name
 * in the parent *fd when it is missing; *fd moves on to it. */
static int mkpath_step(struct rootfs_ctx *c, int *fd, const char *prefix, const char *name,
                       enum mkpath_kind kind, enum open_in_root_flags how, unsigned depth)
{
	int oflags = O_PATH | (kind == MKPATH_DIR && !how ? O_DIRECTORY : 0);
	int nfd = open_in_root(c->rootfd, prefix, oflags, 0, how), rc;

	if (nfd == -ENOENT) {
		rc = mkpath_create(c, *fd, name, kind, depth);
		if (rc < 0)
			return rc;
		nfd = open_in_root(c->rootfd, prefix, oflags, 0, how);
	}
	if (nfd < 0)
		return nfd;
	safe_close(*fd);
	*fd = nfd;
	return 0;
}

static int mkpath_depth(struct rootfs_ctx *c, const char *path, enum mkpath_kind kind,
                        enum open_in_root_flags how, unsigned depth)
{
	_cleanup_strv_ char **parts = strv_split(path, "/");
	_cleanup_close_ int fd = openat(c->rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct strbuf prefix = {0};
	size_t last = 0, i = 0;
	int rc = 0;

	if (!parts)
		return -ENOMEM;
	if (fd < 0)
		return -errno;
	for (size_t k = 0; parts[k]; k++)
		if (!isempty(parts[k]) && !streq(parts[k], "."))
			last = k;
	for (; parts[i] && rc >= 0; i++) {
		if (isempty(parts[i]) || streq(parts[i], "."))
			continue;
		rc = strbuf_printf(&prefix, "/%s", parts[i]);
		if (rc >= 0)
			rc = mkpath_step(c, &fd, prefix.buf, parts[i],
			                 i == last ? kind : MKPATH_DIR, i == last ? how : 0, depth);
	}
	strbuf_release(&prefix);
	return rc < 0 ? rc : TAKE_FD(fd);
}

int rootfs_mkpath(struct rootfs_ctx *c, const char *path, enum mkpath_kind kind,
                  enum open_in_root_flags how)
{
	return mkpath_depth(c, path, kind, how, 0);
}

/* ---- mountinfo ---- */

/* The kernel escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *w = s;

	for (; *s; s++, w++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else
			*w = *s;
	}
	*w = 0;
}

/* "36 25 0:31 / /sys/fs/cgroup/memory rw,nosuid shared:9 - cgroup cgroup rw,memory" */
static int parse_mountinfo(char *line, struct mountinfo *mi)
{
	char *dash = strstr(line, " - "), *f[6], *save = NULL, *rest;

	if (!dash)
		return -EINVAL;
	*dash = 0;
	for (int n = 0; n < 6; n++)
		if (!(f[n] = strtok_r(n ? NULL : line, " ", &save)))
			return -EINVAL;
	rest = strtok_r(NULL, "", &save);
	mi->id = atoi(f[0]);
	mi->parent = atoi(f[1]);
	mi->root = f[3];
	mi->mountpoint = f[4];
	mi->optional = rest ? rest : f[5] + strlen(f[5]);
	mi->fstype = strtok_r(dash + 3, " ", &save);
	mi->source = strtok_r(NULL, " ", &save);
	mi->super_opts = strtok_r(NULL, " ", &save);
	if (!mi->fstype || !mi->source || !mi->super_opts)
		return -EINVAL;
	unescape_octal(mi->root);
	unescape_octal(mi->mountpoint);
	return 0;
}

int rootfs_mountinfo_read(struct mountinfo_list *ret, struct husk_error **err)
{
	struct mountinfo_list l = {0};
	size_t lines = 0;
	char *save = NULL;
	int rc;

	rc = read_file("/proc/self/mountinfo", MOUNTINFO_MAX, &l.buf, NULL, err);
	if (rc < 0)
		return rc;
	for (char *p = l.buf; *p; p++)
		lines += *p == '\n';
	l.v = calloc(lines + 1, sizeof(*l.v));
	if (!l.v) {
		free(l.buf);
		return error_set(err, ENOMEM, "out of memory");
	}
	for (char *line = strtok_r(l.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (l.n <= lines && parse_mountinfo(line, &l.v[l.n]) == 0)
			l.n++;
	*ret = l;
	return 0;
}

void rootfs_mountinfo_release(struct mountinfo_list *l)
{
	free(l->v);
	free(l->buf);
	*l = (struct mountinfo_list){0};
}

/* ---- prepare ---- */

/* The mount holding root (root itself or its nearest ancestor that is a
 * mount point; the topmost one there) is made private when it is shared:
 * the self-bind that follows must not propagate out of this namespace,
 * and pivot_root(2) refuses a shared parent (runc's
 * rootfsParentMountPrivate). */
static int parent_mount_private(const char *root, struct husk_error **err)
{
	struct mountinfo_list mis = {0};
	const struct mountinfo *best = NULL;
	_cleanup_free_ char *dir = strdup(root);
	int rc = rootfs_mountinfo_read(&mis, err);

	while (rc >= 0 && dir && !best) {
		for (size_t i = 0; i < mis.n; i++)
			if (streq(mis.v[i].mountpoint, dir))
				best = &mis.v[i];
		if (best || streq(dir, "/"))
			break;
		char *up = path_dirname(dir);
		free(dir);
		dir = up;
	}
	if (rc >= 0 && best && strstr(best->optional, "shared:") &&
	    mount(NULL, best->mountpoint, NULL, MS_PRIVATE, NULL) < 0)
		rc = error_set_errno(err, errno, "make \"%s\" private", best->mountpoint);
	rootfs_mountinfo_release(&mis);
	return rc < 0 ? rc : 0;
}

/* "/" rslave (or as linux.rootfsPropagation says), so that nothing done
 * here reaches the host; then the rootfs bound onto itself, a mount point
 * as pivot_root(2) wants. */
static int prepare_root(const struct oci_spec *spec, const char *root, struct husk_error **err)
{
	unsigned long prop = spec->linux_.rootfs_propagation;
	int rc;

	if (!prop)
		prop = MS_SLAVE | MS_REC;
	if (mount(NULL, "/", NULL, prop, NULL) < 0)
		return error_set_errno(err, errno, "set the propagation of \"/\"");
	rc = parent_mount_private(root, err);
	if (rc < 0)
		return rc;
	if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) < 0)
		return error_set_errno(err, errno, "bind the rootfs \"%s\" onto itself", root);
	return 0;
}

static int mount_all(struct rootfs_ctx *c, struct husk_error **err)
{
	const struct oci_spec *s = c->spec;

	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct oci_mount *m = &s->mounts[i];

		if (rootfs_mount_spec(c, m, err) < 0)
			return error_wrap(err, "mounts[%zu] \"%s\" on \"%s\"", i,
			                  m->type ? m->type : "bind", m->destination);
	}
	return 0;
}

/* Everything here changes the mount namespace it runs in: a caller that
 * forgot CLONE_NEWNS would remount the host's. Refused when we share pid
 * 1's (when that cannot be read, nothing can be told). */
static int check_own_mntns(struct husk_error **err)
{
	struct stat self, init;

	if (stat("/proc/self/ns/mnt", &self) < 0 || stat("/proc/1/ns/mnt", &init) < 0)
		return 0;
	if (self.st_dev == init.st_dev && self.st_ino == init.st_ino)
		return error_set(err, EPERM,
		                 "not in a new mount namespace: refusing to touch the "
		                 "host's mounts");
	return 0;
}

int rootfs_prepare(const struct oci_spec *spec, const char *rootfs, const char *console_path,
                   enum rootfs_flags flags, struct husk_error **err)
{
	_cleanup_free_ char *root = realpath(rootfs, NULL);
	_cleanup_close_ int rootfd = -1;
	struct rootfs_ctx c = {.spec = spec, .flags = flags};
	int rc;

	if (!root)
		return error_set_errno(err, errno, "rootfs \"%s\"", rootfs);
	rc = check_own_mntns(err);
	if (rc >= 0)
		rc = prepare_root(spec, root, err);
	if (rc < 0)
		return rc;
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return error_set_errno(err, errno, "open the rootfs \"%s\"", root);
	c.root = root;
	c.rootfd = rootfd;
	rc = mount_all(&c, err);
	if (rc >= 0 && !rootfs_dev_is_bind(spec))
		rc = rootfs_setup_dev(&c, err);
	if (rc >= 0 && console_path)
		rc = rootfs_setup_console(&c, console_path, err);
	return rc < 0 ? rc : 0;
}

int rootfs_bind_console(const char *rootfs, const char *slave_path, struct husk_error **err)
{
	_cleanup_free_ char *root = realpath(rootfs, NULL);
	_cleanup_close_ int rootfd = -1;
	struct rootfs_ctx c = {.root = root};

	if (!root)
		return error_set_errno(err, errno, "rootfs \"%s\"", rootfs);
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return error_set_errno(err, errno, "open the rootfs \"%s\"", root);
	c.rootfd = rootfd;
	return rootfs_setup_console(&c, slave_path, err);
}

/* ---- pivot ---- */

/* runc's way: pivot_root(".", ".") stacks the old root on top of the new
 * one, without a put_old directory in the rootfs; then it is detached. */
static int pivot(const char *root, struct husk_error **err)
{
	_cleanup_close_ int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int newroot = open(root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);

	if (oldroot < 0 || newroot < 0)
		return error_set_errno(err, errno, "open the old and new root");
	if (fchdir(newroot) < 0)
		return error_set_errno(err, errno, "chdir to the rootfs");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return error_set_errno(err, errno, "pivot_root");
	/* "." is the old root now, but the kernel does not promise it */
	if (fchdir(oldroot) < 0)
		return error_set_errno(err, errno, "chdir to the old root");
	/* so that detaching it cannot propagate to the host */
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return error_set_errno(err, errno, "make the old root rslave");
	if (umount2(".", MNT_DETACH) < 0)
		return error_set_errno(err, errno, "detach the old root");
	if (chdir("/") < 0)
		return error_set_errno(err, errno, "chdir to \"/\"");
	return 0;
}

static bool is_full_kernfs(const struct mountinfo *mi, const char *root)
{
	const char *under = startswith(mi->mountpoint, root);

	if (!streq(mi->root, "/") || (!streq(mi->fstype, "proc") && !streq(mi->fstype, "sysfs")))
		return false;
	return !under || (*under && *under != '/');
}

/* Under chroot the host's procfs and sysfs stay in the mount namespace,
 * and the kernel weighs them all when the container mounts procfs or sysfs
 * (mount_too_revealing): detach the full ones outside the rootfs, or cover
 * those that cannot be detached (runc's msMoveRoot). */
static int hide_host_kernfs(const char *root, struct husk_error **err)
{
	struct mountinfo_list mis = {0};
	int rc = rootfs_mountinfo_read(&mis, err);

	for (size_t i = 0; i < mis.n && rc >= 0; i++) {
		const char *mp = mis.v[i].mountpoint;

		if (!is_full_kernfs(&mis.v[i], root))
			continue;
		if (mount(NULL, mp, NULL, MS_SLAVE | MS_REC, NULL) < 0) {
			/* gone with a parent detached before it */
			if (errno != ENOENT && errno != EINVAL)
				rc = error_set_errno(err, errno, "make \"%s\" rslave", mp);
		} else if (umount2(mp, MNT_DETACH) < 0) {
			if ((errno != EINVAL && errno != EPERM) ||
			    mount("tmpfs", mp, "tmpfs", 0, NULL) < 0)
				rc = error_set_errno(err, errno, "hide \"%s\"", mp);
		}
	}
	rootfs_mountinfo_release(&mis);
	return rc < 0 ? rc : 0;
}

static int move_root(const char *root, struct husk_error **err)
{
	int rc = hide_host_kernfs(root, err);

	if (rc < 0)
		return rc;
	if (chdir(root) < 0)
		return error_set_errno(err, errno, "chdir to the rootfs");
	/* moving onto a shared "/" would copy the rootfs to its peers */
	if (mount(NULL, "/", NULL, MS_SLAVE, NULL) < 0)
		return error_set_errno(err, errno, "make \"/\" a slave");
	if (mount(root, "/", NULL, MS_MOVE, NULL) < 0)
		return error_set_errno(err, errno, "move the rootfs onto \"/\"");
	if (chroot(".") < 0)
		return error_set_errno(err, errno, "chroot");
	if (chdir("/") < 0)
		return error_set_errno(err, errno, "chdir to \"/\"");
	return 0;
}

int rootfs_pivot(const char *rootfs, enum rootfs_flags flags, struct husk_error **err)
{
	_cleanup_free_ char *root = realpath(rootfs, NULL);

	if (!root)
		return error_set_errno(err, errno, "rootfs \"%s\"", rootfs);
	if (flags & ROOTFS_NO_PIVOT)
		return move_root(root, err);
	return pivot(root, err);
}

/* ---- finalize ---- */

/* "net.ipv4.ip_forward" → "net/ipv4/ip_forward"; a key with a slash is a
 * path already (sysctl(8): "net/ipv4/conf/eth0.100/forwarding"). NULL for
 * anything that is not a plain relative path. */
static char *sysctl_path(const char *key)
{
	_cleanup_free_ char *p = isempty(key) || key[0] == '/' ? NULL : strdup(key);
	_cleanup_strv_ char **parts = NULL;

	if (!p)
		return NULL;
	if (!strchr(p, '/'))
		for (char *q = p; *q; q++)
			if (*q == '.')
				*q = '/';
	parts = strv_split(p, "/");
	if (!parts)
		return NULL;
	STRV_FOREACH (x, parts)
		if (isempty(*x) || streq(*x, ".") || streq(*x, ".."))
			return NULL;
	return TAKE_PTR(p);
}

static int open_procfs(int dirfd, const char *path, int flags)
{
	_cleanup_close_ int fd = open_in_root(dirfd, path, flags, 0, OPEN_IN_ROOT_NOFOLLOW_LAST);
	struct statfs sfs;

	if (fd < 0)
		return fd;
	if (fstatfs(fd, &sfs) < 0)
		return -errno;
	return sfs.f_type == PROC_SUPER_MAGIC ? TAKE_FD(fd) : -EXDEV;
}

static int write_sysctl(int sysfd, const struct oci_kv *kv, struct husk_error **err)
{
	_cleanup_free_ char *path = sysctl_path(kv->key);
	_cleanup_close_ int fd = -1;
	int rc;

	if (!path)
		return error_set(err, EINVAL, "sysctl \"%s\": not a valid key", kv->key);
	fd = open_procfs(sysfd, path, O_WRONLY | O_NOCTTY);
	if (fd < 0)
		return error_set_errno(err, -fd, "sysctl \"%s\": open /proc/sys/%s", kv->key, path);
	rc = write_all(fd, kv->value, strlen(kv->value));
	return rc < 0 ? error_set_errno(err, -rc, "sysctl \"%s\": write \"%s\"", kv->key, kv->value)
	              : 0;
}

/* Written under the container's /proc/sys, checked to be procfs (no mount
 * or symlink of the image's may stand in for it), never leaving it. */
static int write_sysctls(struct rootfs_ctx *c, struct husk_error **err)
{
	const struct oci_linux *l = &c->spec->linux_;
	_cleanup_close_ int procfd = -1, sysfd = -1;
	int rc = 0;

	if (!l->n_sysctl)
		return 0;
	procfd = open_procfs(c->rootfd, "/proc", O_PATH | O_DIRECTORY);
	if (procfd >= 0)
		sysfd = open_procfs(procfd, "sys", O_PATH | O_DIRECTORY);
	if (sysfd < 0)
		return error_set_errno(err, procfd < 0 ? -procfd : -sysfd,
		                       "sysctl: /proc/sys is not a procfs");
	for (size_t i = 0; i < l->n_sysctl && rc >= 0; i++)
		rc = write_sysctl(sysfd, &l->sysctl[i], err);
	return rc;
}

static bool net_sysctl(const char *key)
{
	return startswith(key, "net.") || startswith(key, "net/");
}

int rootfs_net_sysctls(struct oci_spec *spec, struct husk_error **err)
{
	struct oci_linux *l = &spec->linux_;
	_cleanup_close_ int sysfd = -1;
	size_t kept = 0;
	int rc = 0;

	for (size_t i = 0; i < l->n_sysctl && rc >= 0; i++) {
		if (!net_sysctl(l->sysctl[i].key))
			continue;
		if (sysfd < 0 && (sysfd = open("/proc/sys", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
			return error_set_errno(err, errno, "sysctl: open /proc/sys");
		rc = write_sysctl(sysfd, &l->sysctl[i], err);
	}
	if (rc < 0)
		return rc;
	/* the init writes the others */
	for (size_t i = 0; i < l->n_sysctl; i++) {
		if (!net_sysctl(l->sysctl[i].key)) {
			l->sysctl[kept++] = l->sysctl[i];
			continue;
		}
		free(l->sysctl[i].key);
		free(l->sysctl[i].value);
	}
	l->n_sysctl = kept;
	return 0;
}

/* A recursive bind of the path onto itself, read-only, nosuid, nodev,
 * noexec all the way down. A missing path is skipped. */
static int readonly_path(struct rootfs_ctx *c, const char *path, struct husk_error **err)
{
	_cleanup_close_ int fd = open_in_root(c->rootfd, path, O_PATH, 0, 0);
	struct mnt_req r = MNT_REQ_INIT;
	int mfd;

	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return error_set_errno(err, -fd, "readonly path \"%s\"", path);
	r.srcfd = fd;
	r.source = path;
	r.recursive = true;
	r.rec_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
	mfd = rootfs_mount(c, &r, fd, err);
	if (mfd < 0)
		return error_wrap(err, "readonly path \"%s\"", path);
	safe_close(mfd);
	return 0;
}

/* CVE-2025-31133: the image may have put a symlink or another file at
 * /dev/null, to have it bound over the masked paths: only the real null
 * device will do. */
static int open_dev_null(struct rootfs_ctx *c, struct husk_error **err)
{
	_cleanup_close_ int fd =
	        open_in_root(c->rootfd, "/dev/null", O_PATH, 0, OPEN_IN_ROOT_NOFOLLOW_LAST);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return error_set_errno(err, fd < 0 ? -fd : errno, "masked paths: open /dev/null");
	if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
		return error_set(err, EPERM, "masked paths: /dev/null is not the null device");
	return TAKE_FD(fd);
}

static int verify_masked(struct rootfs_ctx *c, const char *path, bool dir, struct husk_error **err)
{
	_cleanup_close_ int fd =
	        open_in_root(c->rootfd, path, O_PATH, 0, OPEN_IN_ROOT_NOFOLLOW_LAST);
	struct statfs sfs;
	struct stat st;

	if (fd < 0)
		return error_set_errno(err, -fd, "reopen after masking");
	if (dir && fstatfs(fd, &sfs) == 0 && sfs.f_type == TMPFS_MAGIC && (sfs.f_flags & ST_RDONLY))
		return 0;
	if (!dir && fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3))
		return 0;
	return error_set(err, EIO, "not masked after mounting");
}

/* A file is covered with /dev/null, a directory with an empty read-only
 * tmpfs; missing paths are skipped, a symlink refused (the mount would land
 * where it points). */
static int mask_path(struct rootfs_ctx *c, int nullfd, const char *path, struct husk_error **err)
{
	_cleanup_close_ int fd =
	        open_in_root(c->rootfd, path, O_PATH, 0, OPEN_IN_ROOT_NOFOLLOW_LAST);
	struct mnt_req r = MNT_REQ_INIT;
	struct stat st;
	int mfd;

	if (fd == -ENOENT)
		return 0;
	if (fd < 0 || fstat(fd, &st) < 0)
		return error_set_errno(err, fd < 0 ? -fd : errno, "open");
	if (S_ISLNK(st.st_mode))
		return error_set(err, ELOOP, "is a symlink: refusing to mask through it");
	if (S_ISDIR(st.st_mode)) {
		r.fstype = r.source = "tmpfs";
		r.flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	} else {
		r.srcfd = nullfd;
		r.source = "/dev/null";
	}
	mfd = rootfs_mount(c, &r, fd, err);
	if (mfd < 0)
		return mfd;
	safe_close(mfd);
	return verify_masked(c, path, S_ISDIR(st.st_mode), err);
}

static int mask_paths(struct rootfs_ctx *c, struct husk_error **err)
{
	char **paths = c->spec->linux_.masked_paths;
	_cleanup_close_ int nullfd = -1;

	if (strv_length(paths) == 0)
		return 0;
	nullfd = open_dev_null(c, err);
	if (nullfd < 0)
		return nullfd;
	STRV_FOREACH (p, paths)
		if (mask_path(c, nullfd, *p, err) < 0)
			return error_wrap(err, "masked path \"%s\"", *p);
	return 0;
}

/* /dev was mounted writable so that devices could be made in it. */
static int dev_readonly(struct rootfs_ctx *c, struct husk_error **err)
{
	for (size_t i = 0; i < c->spec->n_mounts; i++) {
		const struct oci_mount *m = &c->spec->mounts[i];
		_cleanup_close_ int fd = -1;
		int rc;

		if (!rootfs_path_is(m->destination, "/dev"))
			continue;
		if (!(m->flags & MS_RDONLY))
			return 0;
		fd = open_in_root(c->rootfd, "/dev", O_PATH | O_DIRECTORY, 0, 0);
		rc = fd < 0 ? fd : rootfs_setattr(c, fd, MOUNT_ATTR_RDONLY, 0, 0, false);
		return rc < 0 ? error_set_errno(err, -rc, "make /dev read-only") : 0;
	}
	return 0;
}

static int finalize_paths(struct rootfs_ctx *c, struct husk_error **err)
{
	int rc = write_sysctls(c, err);

	STRV_FOREACH (p, c->spec->linux_.readonly_paths)
		if (rc >= 0)
			rc = readonly_path(c, *p, err);
	if (rc >= 0)
		rc = mask_paths(c, err);
	if (rc >= 0)
		rc = dev_readonly(c, err);
	return rc;
}

int rootfs_finalize(const struct oci_spec *spec, struct husk_error **err)
{
	_cleanup_close_ int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct rootfs_ctx c = {.spec = spec, .root = "/", .rootfd = rootfd};
	unsigned long prop = spec->linux_.rootfs_propagation;
	int rc;

	if (rootfd < 0)
		return error_set_errno(err, errno, "open \"/\"");
	/* only now: pivot_root(2) refuses a shared new root */
	if (prop && mount(NULL, "/", NULL, prop, NULL) < 0)
		return error_set_errno(err, errno, "set the propagation of \"/\"");
	rc = finalize_paths(&c, err);
	if (rc < 0)
		return rc;
	if (spec->root_readonly &&
	    (rc = rootfs_setattr(&c, rootfd, MOUNT_ATTR_RDONLY, 0, 0, false)) < 0)
		return error_set_errno(err, -rc, "make the root read-only");
	umask(0022);
	return 0;
}
