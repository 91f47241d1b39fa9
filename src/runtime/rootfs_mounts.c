/* rootfs_mounts.c — the mount machinery and the spec's mounts.
 *
 * A mount is built detached (fsopen/fsconfig/fsmount for a filesystem,
 * open_tree(OPEN_TREE_CLONE) for a bind), given its flags with
 * mount_setattr() while nobody can see it, and attached with move_mount()
 * onto an O_PATH fd that open_in_root() resolved inside the rootfs: no path
 * string is ever resolved against the host's "/" (CVE-2021-30465). Where
 * the kernel lacks that API, mount(2) goes through /proc/self/fd/N of the
 * same fd.
 */
#include "runtime/rootfs_internal.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/wait.h>

#include "base/str.h"

#define MS_ATIME_MASK (MS_NOATIME | MS_STRICTATIME | MS_RELATIME)
/* The per-mount flags: what a bind remount sets; the kernel locks all but
 * nosymfollow (MNT_LOCK_*) on mounts from a more privileged user namespace. */
#define MS_MNT_FLAGS                                                                               \
	(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NODIRATIME | MS_NOSYMFOLLOW |           \
	 MS_ATIME_MASK)
#define MS_PROPAGATION (MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE)
#define ATTR_TOGGLES                                                                               \
	(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |            \
	 MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW)
/* runc's defaultMountFlags */
#define MS_DEFAULTS (MS_NOSUID | MS_NODEV | MS_NOEXEC)
#ifndef ST_NOSYMFOLLOW
#define ST_NOSYMFOLLOW 0x2000 /* Linux 5.10 */
#endif

static const struct {
	unsigned long ms;
	uint64_t attr;
} ms_attr_map[] = {
        {MS_RDONLY, MOUNT_ATTR_RDONLY},         {MS_NOSUID, MOUNT_ATTR_NOSUID},
        {MS_NODEV, MOUNT_ATTR_NODEV},           {MS_NOEXEC, MOUNT_ATTR_NOEXEC},
        {MS_NODIRATIME, MOUNT_ATTR_NODIRATIME}, {MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW},
};

/* statvfs() f_flag bits are not the MS_* ones (ST_RELATIME is 4096). */
static const struct {
	unsigned long st, ms;
} st_ms_map[] = {
        {ST_RDONLY, MS_RDONLY},     {ST_NOSUID, MS_NOSUID},
        {ST_NODEV, MS_NODEV},       {ST_NOEXEC, MS_NOEXEC},
        {ST_NOATIME, MS_NOATIME},   {ST_NODIRATIME, MS_NODIRATIME},
        {ST_RELATIME, MS_RELATIME}, {ST_NOSYMFOLLOW, MS_NOSYMFOLLOW},
};

/* Superblock flags of mount(2) that fsconfig() takes as flag parameters. */
static const struct {
	unsigned long ms;
	const char *key;
} sb_flag_map[] = {
        {MS_SYNCHRONOUS, "sync"},
        {MS_DIRSYNC, "dirsync"},
        {MS_MANDLOCK, "mand"},
        {MS_LAZYTIME, "lazytime"},
};

static uint64_t attr_from_ms(unsigned long ms)
{
	uint64_t a = 0;

	for (size_t i = 0; i < ELEMENTSOF(ms_attr_map); i++)
		if (ms & ms_attr_map[i].ms)
			a |= ms_attr_map[i].attr;
	if (ms & MS_NOATIME)
		a |= MOUNT_ATTR_NOATIME;
	else if (ms & MS_STRICTATIME)
		a |= MOUNT_ATTR_STRICTATIME;
	return a; /* MOUNT_ATTR_RELATIME is 0 */
}

static unsigned long ms_from_attr(uint64_t a)
{
	unsigned long ms = 0;

	for (size_t i = 0; i < ELEMENTSOF(ms_attr_map); i++)
		if (a & ms_attr_map[i].attr)
			ms |= ms_attr_map[i].ms;
	if ((a & MOUNT_ATTR__ATIME) == MOUNT_ATTR_NOATIME)
		ms |= MS_NOATIME;
	else if ((a & MOUNT_ATTR__ATIME) == MOUNT_ATTR_STRICTATIME)
		ms |= MS_STRICTATIME;
	return ms;
}

/* The per-mount flags of the mount at fd, as MS_*. */
static int mount_flags(int fd, unsigned long *ret)
{
	struct statvfs sv;

	*ret = 0;
	if (fstatvfs(fd, &sv) < 0)
		return -errno;
	for (size_t i = 0; i < ELEMENTSOF(st_ms_map); i++)
		if (sv.f_flag & st_ms_map[i].st)
			*ret |= st_ms_map[i].ms;
	return 0;
}

void rootfs_proc_fd(int fd, char buf[PROC_FD_PATH_MAX])
{
	snprintf(buf, PROC_FD_PATH_MAX, "/proc/self/fd/%d", fd);
}

/* ---- attributes ---- */

/* mount(2) can only remount one mount at a time, never a whole tree. */
static int setattr_legacy(int fd, uint64_t set, uint64_t clr, unsigned long propagation,
                          bool recursive)
{
	char p[PROC_FD_PATH_MAX];
	unsigned long flags = 0;
	int rc;

	rootfs_proc_fd(fd, p);
	if (propagation && mount(NULL, p, NULL, propagation | (recursive ? MS_REC : 0), NULL) < 0)
		return -errno;
	if (!set && !clr)
		return 0;
	if (recursive)
		return -EOPNOTSUPP;
	rc = mount_flags(fd, &flags);
	if (rc < 0)
		return rc;
	flags &= ~ms_from_attr(clr);
	if (clr & MOUNT_ATTR__ATIME)
		flags &= ~MS_ATIME_MASK;
	flags |= ms_from_attr(set);
	if ((clr & MOUNT_ATTR__ATIME) && !(set & MOUNT_ATTR__ATIME))
		flags |= MS_RELATIME;
	return mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | flags, NULL) < 0 ? -errno : 0;
}

int rootfs_setattr(struct rootfs_ctx *c, int fd, uint64_t set, uint64_t clr,
                   unsigned long propagation, bool recursive)
{
	struct mount_attr a = {.attr_set = set, .attr_clr = clr, .propagation = propagation};
	unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);

	if (!(c->flags & ROOTFS_LEGACY_MOUNT_API)) {
		if (mount_setattr(fd, "", flags, &a, sizeof(a)) == 0)
			return 0;
		if (errno != ENOSYS)
			return -errno;
	}
	return setattr_legacy(fd, set, clr, propagation, recursive);
}

/* runc's bind remount: the mount gets exactly `flags`; flags not asked for
 * are cleared, the atime mode is kept unless one is given. */
static void bind_attrs(unsigned long flags, uint64_t *set, uint64_t *clr)
{
	*set = attr_from_ms(flags);
	*clr = ATTR_TOGGLES & ~*set;
	if (flags & MS_ATIME_MASK)
		*clr |= MOUNT_ATTR__ATIME;
}

static int bind_apply_flags(struct rootfs_ctx *c, int mfd, const struct mnt_req *r, bool rec)
{
	unsigned long flags = r->flags & MS_MNT_FLAGS, locked = 0;
	uint64_t set, clr;
	int rc;

	bind_attrs(flags, &set, &clr);
	rc = rootfs_setattr(c, mfd, set, clr, 0, rec);
	if (rc != -EPERM || (r->flags & MS_REMOUNT))
		return rc;
	/* EPERM: the source has locked flags (it comes from a more privileged
	 * user namespace). Keep them, as runc does, unless the spec explicitly
	 * asked for one of them to be cleared. */
	rc = mount_flags(mfd, &locked);
	if (rc < 0)
		return rc;
	locked &= ~MS_NOSYMFOLLOW; /* never locked */
	if (locked & r->clear)
		return -EPERM;
	if (flags & MS_ATIME_MASK)
		locked &= ~MS_ATIME_MASK;
	bind_attrs(flags | locked, &set, &clr);
	return rootfs_setattr(c, mfd, set, clr, 0, rec);
}

static int set_propagation(struct rootfs_ctx *c, int mfd, unsigned long prop,
                           struct husk_error **err)
{
	int rc;

	if (!(prop & MS_PROPAGATION))
		return 0;
	rc = rootfs_setattr(c, mfd, 0, 0, prop & MS_PROPAGATION, prop & MS_REC);
	return rc < 0 ? error_set_errno(err, -rc, "set mount propagation") : 0;
}

/* ---- new filesystems ---- */

/* The kernel's own words for a failed fsconfig ("tmpfs: Bad value for 'size'"). */
static void fs_log(int fsfd, char *buf, size_t len)
{
	char msg[256];
	ssize_t n;

	buf[0] = 0;
	while ((n = read(fsfd, msg, sizeof(msg) - 1)) > 0) {
		msg[n] = 0;
		if (n > 2 && msg[0] == 'e' && msg[1] == ' ')
			snprintf(buf, len, " (%s)", msg + 2);
	}
}

static int fs_error(int fsfd, int code, const char *what, struct husk_error **err)
{
	char log[300];

	fs_log(fsfd, log, sizeof(log));
	return error_set(err, code, "%s: %s%s", what, strerror(code), log);
}

/* Split a mount(2) data string at commas outside double quotes
 * (context="a,b" is one option). Returns the next option; *p is NULL after
 * the last. */
static char *next_opt(char **p)
{
	char *s = *p, *q;
	bool quoted = false;

	for (q = s; *q; q++) {
		if (*q == '"')
			quoted = !quoted;
		else if (*q == ',' && !quoted) {
			*q = 0;
			*p = q + 1;
			return s;
		}
	}
	*p = NULL;
	return s;
}

/* One option: "key" is a flag, "key=value" a string (quotes dropped). An
 * error names the key only: values may be credentials (cifs password=). */
static int fs_set_opt(int fsfd, char *opt, struct husk_error **err)
{
	_cleanup_free_ char *what = NULL;
	char *eq = strchr(opt, '='), *v;
	size_t n;
	int rc;

	if (!*opt)
		return 0;
	what = str_printf("option \"%.*s\"", eq ? (int)(eq - opt) : (int)strlen(opt), opt);
	if (!eq) {
		rc = fsconfig(fsfd, FSCONFIG_SET_FLAG, opt, NULL, 0);
	} else {
		*eq = 0;
		v = eq + 1;
		n = strlen(v);
		if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
			v[n - 1] = 0;
			v++;
		}
		rc = fsconfig(fsfd, FSCONFIG_SET_STRING, opt, v, 0);
	}
	return rc < 0 ? fs_error(fsfd, errno, what ? what : opt, err) : 0;
}

static int fs_configure(int fsfd, const struct mnt_req *r, struct husk_error **err)
{
	_cleanup_free_ char *data = NULL;
	int rc;

	if (r->source && fsconfig(fsfd, FSCONFIG_SET_STRING, "source", r->source, 0) < 0)
		return fs_error(fsfd, errno, "source", err);
	for (size_t i = 0; i < ELEMENTSOF(sb_flag_map); i++)
		if ((r->flags & sb_flag_map[i].ms) &&
		    fsconfig(fsfd, FSCONFIG_SET_FLAG, sb_flag_map[i].key, NULL, 0) < 0)
			return fs_error(fsfd, errno, sb_flag_map[i].key, err);
	if (isempty(r->data))
		return 0;
	data = strdup(r->data);
	if (!data)
		return error_set(err, ENOMEM, "out of memory");
	for (char *p = data; p;) {
		rc = fs_set_opt(fsfd, next_opt(&p), err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* A detached mount of a new filesystem; -ENOSYS (no *err) without fsopen. */
static int mnt_new_fs(const struct mnt_req *r, struct husk_error **err)
{
	_cleanup_close_ int fsfd = fsopen(r->fstype, FSOPEN_CLOEXEC);
	int mfd, rc;

	if (fsfd < 0)
		return errno == ENOSYS ? -ENOSYS
		                       : error_set_errno(err, errno, "fsopen \"%s\"", r->fstype);
	rc = fs_configure(fsfd, r, err);
	if (rc < 0)
		return rc;
	if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return fs_error(fsfd, errno, "create the filesystem", err);
	mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, attr_from_ms(r->flags));
	return mfd < 0 ? error_set_errno(err, errno, "fsmount") : mfd;
}

/* ---- binds ---- */

static int set_idmap(int mfd, int userns_fd, bool recursive)
{
	struct mount_attr a = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = userns_fd};
	unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);

	return mount_setattr(mfd, "", flags, &a, sizeof(a)) < 0 ? -errno : 0;
}

/* A detached clone of the bind source, attributes set; -ENOSYS (no *err)
 * without open_tree. */
static int mnt_new_bind(struct rootfs_ctx *c, const struct mnt_req *r, struct husk_error **err)
{
	unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (r->recursive ? AT_RECURSIVE : 0);
	_cleanup_close_ int mfd = -1;
	int rc;

	if (r->srcfd >= 0)
		mfd = open_tree(r->srcfd, "", flags | AT_EMPTY_PATH);
	else
		mfd = open_tree(AT_FDCWD, r->source, flags);
	if (mfd < 0)
		return errno == ENOSYS
		               ? -ENOSYS
		               : error_set_errno(err, errno, "bind source \"%s\"", r->source);
	if (r->userns_fd >= 0 && (rc = set_idmap(mfd, r->userns_fd, r->rec_idmap)) < 0)
		return error_set_errno(
		        err, -rc, "idmap \"%s\" (kernel or filesystem without idmapped mounts?)",
		        r->source);
	if (r->apply_flags && (rc = bind_apply_flags(c, mfd, r, r->rec_flags)) < 0)
		return error_set_errno(err, -rc, "set mount flags");
	return TAKE_FD(mfd);
}

/* ---- mount(2) fallback ---- */

/* The mount now on the path of dstfd (dstfd itself still names what is
 * under it). */
static int reopen_mount(struct rootfs_ctx *c, int dstfd)
{
	_cleanup_free_ char *path = NULL;
	int rc = rootfs_fd_path(c, dstfd, &path);

	if (rc < 0)
		return rc;
	return open_in_root(c->rootfd, path, O_PATH, 0, OPEN_IN_ROOT_NOFOLLOW_LAST);
}

static int legacy_mount(struct rootfs_ctx *c, const struct mnt_req *r, int dstfd,
                        struct husk_error **err)
{
	char dst[PROC_FD_PATH_MAX], src[PROC_FD_PATH_MAX];
	unsigned long flags = MS_BIND | (r->recursive ? MS_REC : 0);
	const char *source = r->source;
	_cleanup_close_ int mfd = -1;
	int rc;

	if (r->userns_fd >= 0 || r->rec_set || r->rec_clr)
		return error_set(err, EOPNOTSUPP,
		                 "idmapped mounts and recursive mount flags need mount_setattr(2)");
	rootfs_proc_fd(dstfd, dst);
	if (r->fstype) {
		flags = r->flags & ~(MS_PROPAGATION | MS_REC | MS_BIND | MS_REMOUNT);
	} else if (r->srcfd >= 0) {
		rootfs_proc_fd(r->srcfd, src);
		source = src;
	}
	if (mount(source, dst, r->fstype, flags, r->fstype ? r->data : NULL) < 0)
		return error_set_errno(err, errno, "mount");
	mfd = reopen_mount(c, dstfd);
	if (mfd < 0)
		return error_set_errno(err, -mfd, "reopen the new mount");
	/* a tree's flags cannot be set with mount(2): the top mount only */
	if (!r->fstype && r->apply_flags && (rc = bind_apply_flags(c, mfd, r, false)) < 0)
		return error_set_errno(err, -rc, "set mount flags");
	rc = set_propagation(c, mfd, r->propagation, err);
	return rc < 0 ? rc : TAKE_FD(mfd);
}

int rootfs_mount(struct rootfs_ctx *c, const struct mnt_req *r, int dstfd, struct husk_error **err)
{
	_cleanup_close_ int mfd = -1;
	int rc;

	if (c->flags & ROOTFS_LEGACY_MOUNT_API)
		return legacy_mount(c, r, dstfd, err);
	mfd = r->fstype ? mnt_new_fs(r, err) : mnt_new_bind(c, r, err);
	if (mfd == -ENOSYS)
		return legacy_mount(c, r, dstfd, err);
	if (mfd < 0)
		return mfd;
	/* "rro", "rnosuid", …: the whole tree, before anyone can see it */
	if ((r->rec_set || r->rec_clr) &&
	    (rc = rootfs_setattr(c, mfd, r->rec_set, r->rec_clr, 0, true)) < 0)
		return error_set_errno(err, -rc, "set recursive mount flags");
	if (move_mount(mfd, "", dstfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return error_set_errno(err, errno, "attach the mount");
	rc = set_propagation(c, mfd, r->propagation, err);
	return rc < 0 ? rc : TAKE_FD(mfd);
}

/* ---- the spec's mounts ---- */

static bool mount_is_bind(const struct oci_mount *m)
{
	return m->bind || streq(m->type, "bind");
}

static struct mnt_req req_from_spec(const struct oci_mount *m)
{
	struct mnt_req r = MNT_REQ_INIT;

	r.fstype = m->type;
	r.source = m->source;
	r.data = m->data;
	r.flags = m->flags & ~(MS_BIND | MS_REC | MS_PROPAGATION);
	r.clear = m->clear;
	r.propagation = m->propagation;
	/* rbind; m->recursive also counts r-prefixed propagation */
	r.recursive = (m->flags & MS_REC) != 0;
	r.rec_set = m->rec_attr_set;
	r.rec_clr = m->rec_attr_clr;
	r.rec_idmap = m->idmap_recursive;
	return r;
}

static bool spec_has_ns(const struct oci_spec *s, enum oci_ns_type t)
{
	for (size_t i = 0; i < s->linux_.n_namespaces; i++)
		if (s->linux_.namespaces[i].type == t)
			return true;
	return false;
}

/* runc's checkProcMount: nothing goes on /proc but a procfs (or a bind of
 * one), and nothing inside it but the files lxcfs emulates, so that no
 * mount can shadow /proc/self or unmask a masked path. */
static const char *const proc_mount_ok[] = {
        "/proc/cpuinfo",
        "/proc/diskstats",
        "/proc/meminfo",
        "/proc/stat",
        "/proc/swaps",
        "/proc/uptime",
        "/proc/loadavg",
        "/proc/slabinfo",
        "/proc/net/dev",
        "/proc/sys/kernel/ns_last_pid",
        NULL,
};

static int check_proc_dest(struct rootfs_ctx *c, int dstfd, const struct oci_mount *m, int srcfd,
                           struct husk_error **err)
{
	_cleanup_free_ char *path = NULL;
	const char *rest;
	struct statfs sfs;
	int rc = rootfs_fd_path(c, dstfd, &path);

	if (rc < 0)
		return error_set_errno(err, -rc, "resolve the destination");
	rest = startswith(path, "/proc");
	if (!rest || (*rest && *rest != '/'))
		return 0;
	if (!*rest) {
		if (!mount_is_bind(m) && streq(m->type, "proc"))
			return 0;
		if (srcfd >= 0 && fstatfs(srcfd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC)
			return 0;
		return error_set(err, EINVAL, "only a procfs may be mounted on /proc");
	}
	if (strv_contains((char *const *)proc_mount_ok, path))
		return 0;
	return error_set(err, EINVAL, "\"%s\" is inside /proc: refusing to mount over it", path);
}

/* The destination, created, checked against /proc. */
static int open_dest(struct rootfs_ctx *c, const struct oci_mount *m, enum mkpath_kind kind,
                     enum open_in_root_flags how, int srcfd, struct husk_error **err)
{
	_cleanup_close_ int fd = rootfs_mkpath(c, m->destination, kind, how);
	int rc;

	if (fd < 0)
		return error_set_errno(err, -fd, "create the destination");
	rc = check_proc_dest(c, fd, m, srcfd, err);
	return rc < 0 ? rc : TAKE_FD(fd);
}

static int mount_at(struct rootfs_ctx *c, const struct mnt_req *r, int dstfd,
                    struct husk_error **err)
{
	int mfd = rootfs_mount(c, r, dstfd, err);

	if (mfd < 0)
		return mfd;
	safe_close(mfd);
	return 0;
}

/* ---- idmapped mounts ---- */

static int write_id_map(pid_t pid, const char *file, const struct oci_id_mapping *v, size_t n)
{
	struct strbuf sb = {0};
	_cleanup_close_ int fd = -1;
	char path[64];
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++)
		rc = strbuf_printf(&sb, "%u %u %u\n", v[i].container_id, v[i].host_id, v[i].size);
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	if (rc == 0) {
		fd = open(path, O_WRONLY | O_CLOEXEC);
		rc = fd < 0 ? -errno : write_all(fd, sb.buf, sb.len);
	}
	strbuf_release(&sb);
	return rc;
}

/* The user namespace child: unshare, say so, wait for the parent to have
 * opened its ns/user (it closes the write end of `hold`). */
static _noreturn_ void userns_child(const int ready[2], const int hold[2])
{
	char c = 0;

	close(ready[0]);
	close(hold[1]);
	if (unshare(CLONE_NEWUSER) < 0)
		_exit(1);
	if (write(ready[1], &c, 1) != 1)
		_exit(1);
	while (read(hold[0], &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

static int userns_open(pid_t pid, int ready, const struct oci_mount *m)
{
	char path[64], c;
	int rc;

	if (RETRY_EINTR(read(ready, &c, 1)) != 1)
		return -ECHILD;
	rc = write_id_map(pid, "uid_map", m->uid_mappings, m->n_uid_mappings);
	if (rc == 0)
		rc = write_id_map(pid, "gid_map", m->gid_mappings, m->n_gid_mappings);
	if (rc < 0)
		return rc;
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	rc = open(path, O_RDONLY | O_CLOEXEC);
	return rc < 0 ? -errno : rc;
}

static void close_pair(int p[2])
{
	safe_close(p[0]);
	safe_close(p[1]);
}

/* A user namespace holding the mount's uidMappings/gidMappings, as an fd
 * for MOUNT_ATTR_IDMAP: a short-lived child unshares it, we write its maps
 * and keep a reference to it. */
static int idmap_userns(const struct oci_mount *m, struct husk_error **err)
{
	int ready[2], hold[2], fd;
	pid_t pid;

	if (!m->n_uid_mappings || !m->n_gid_mappings)
		return error_set(err, EINVAL,
		                 "an idmapped mount needs uidMappings and gidMappings");
	if (pipe2(ready, O_CLOEXEC) < 0)
		return error_set_errno(err, errno, "pipe");
	if (pipe2(hold, O_CLOEXEC) < 0) {
		close_pair(ready);
		return error_set_errno(err, errno, "pipe");
	}
	pid = fork();
	if (pid == 0)
		userns_child(ready, hold);
	fd = pid < 0 ? -errno : 0;
	safe_close(ready[1]);
	safe_close(hold[0]);
	if (pid > 0)
		fd = userns_open(pid, ready[0], m);
	safe_close(ready[0]);
	safe_close(hold[1]); /* lets the child go */
	if (pid > 0)
		RETRY_EINTR(waitpid(pid, NULL, 0));
	return fd < 0 ? error_set_errno(err, -fd, "user namespace for the idmapped mount") : fd;
}

/* ---- per type ---- */

static int mount_bind(struct rootfs_ctx *c, const struct oci_mount *m, struct husk_error **err)
{
	_cleanup_close_ int srcfd = -1, dstfd = -1, userns = -1;
	struct mnt_req r = req_from_spec(m);
	struct stat st;

	srcfd = open(m->source, O_PATH | O_CLOEXEC);
	if (srcfd < 0 || fstat(srcfd, &st) < 0)
		return error_set_errno(err, errno, "bind source \"%s\"", m->source);
	dstfd = open_dest(c, m, S_ISDIR(st.st_mode) ? MKPATH_DIR : MKPATH_FILE, 0, srcfd, err);
	if (dstfd < 0)
		return dstfd;
	if (m->idmap && (userns = idmap_userns(m, err)) < 0)
		return userns;
	r.fstype = NULL;
	r.srcfd = srcfd;
	r.userns_fd = userns;
	r.apply_flags = (r.flags & ~MS_REMOUNT) != 0 || m->clear != 0;
	return mount_at(c, &r, dstfd, err);
}

static int verify_fs(struct rootfs_ctx *c, const char *dest, long magic, const char *name,
                     struct husk_error **err)
{
	_cleanup_close_ int fd =
	        open_in_root(c->rootfd, dest, O_PATH | O_DIRECTORY, 0, OPEN_IN_ROOT_NOFOLLOW_LAST);
	struct statfs sfs;

	if (fd < 0)
		return error_set_errno(err, -fd, "reopen after mounting");
	if (fstatfs(fd, &sfs) < 0)
		return error_set_errno(err, errno, "statfs after mounting");
	if (sfs.f_type != magic)
		return error_set(err, EINVAL, "not a %s after mounting", name);
	return 0;
}

/* In a user namespace that does not own the network namespace the kernel
 * refuses sysfs (EPERM, EBUSY); runc binds the host's /sys instead, and
 * so do we, read-only all the way down. */
static int bind_host_sys(struct rootfs_ctx *c, const struct mnt_req *spec, int dstfd,
                         struct husk_error **err)
{
	struct mnt_req r = MNT_REQ_INIT;

	r.source = "/sys";
	r.recursive = true;
	r.rec_set = attr_from_ms(spec->flags | MS_RDONLY) & ~MOUNT_ATTR__ATIME;
	r.propagation = spec->propagation;
	return mount_at(c, &r, dstfd, err);
}

static bool sysfs_may_bind(struct rootfs_ctx *c, const struct oci_mount *m, int code)
{
	return streq(m->type, "sysfs") && (c->flags & ROOTFS_USERNS) &&
	       (code == EPERM || code == EBUSY);
}

/* proc and sysfs: CVE-2019-16884 — the destination must be a real
 * directory (never a symlink that would carry the mount, and the LSM's
 * idea of /proc, elsewhere), and must be that filesystem afterwards. */
static int mount_kernfs(struct rootfs_ctx *c, const struct oci_mount *m, struct husk_error **err)
{
	bool proc = streq(m->type, "proc");
	_cleanup_error_ struct husk_error *e = NULL;
	_cleanup_close_ int dstfd = -1;
	struct mnt_req r = req_from_spec(m);
	struct stat st;
	int rc;

	dstfd = open_dest(c, m, MKPATH_DIR, OPEN_IN_ROOT_NOFOLLOW_LAST, -1, err);
	if (dstfd < 0)
		return dstfd;
	if (fstat(dstfd, &st) < 0)
		return error_set_errno(err, errno, "stat the destination");
	if (!S_ISDIR(st.st_mode))
		return error_set(err, ENOTDIR, "\"%s\" must be an ordinary directory, not a %s",
		                 m->destination, S_ISLNK(st.st_mode) ? "symlink" : "file");
	rc = mount_at(c, &r, dstfd, &e);
	if (rc < 0 && sysfs_may_bind(c, m, error_code(e)))
		rc = bind_host_sys(c, &r, dstfd, err);
	else if (rc < 0 && err)
		*err = TAKE_PTR(e);
	if (rc < 0)
		return rc;
	return verify_fs(c, m->destination, proc ? PROC_SUPER_MAGIC : SYSFS_MAGIC,
	                 proc ? "procfs" : "sysfs", err);
}

/* runc keeps the mode of an existing directory a tmpfs covers, unless the
 * options say otherwise ("mode=" given later wins). */
static char *tmpfs_data(struct rootfs_ctx *c, const struct oci_mount *m)
{
	_cleanup_close_ int fd =
	        open_in_root(c->rootfd, m->destination, O_PATH | O_DIRECTORY, 0, 0);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return NULL;
	return str_printf("mode=%04o%s%s", st.st_mode & 07777, m->data ? "," : "",
	                  m->data ? m->data : "");
}

/* tmpfs, devpts, mqueue and any other filesystem. */
static int mount_fs(struct rootfs_ctx *c, const struct oci_mount *m, struct husk_error **err)
{
	_cleanup_free_ char *data = NULL;
	_cleanup_close_ int dstfd = -1;
	struct mnt_req r = req_from_spec(m);

	/* devices are made on it first: rootfs_finalize() makes it read-only */
	if (rootfs_path_is(m->destination, "/dev"))
		r.flags &= ~MS_RDONLY;
	if (streq(m->type, "tmpfs") && (data = tmpfs_data(c, m)))
		r.data = data;
	dstfd = open_dest(c, m, MKPATH_DIR, 0, -1, err);
	if (dstfd < 0)
		return dstfd;
	return mount_at(c, &r, dstfd, err);
}

/* ---- cgroups ---- */

static bool same_set(char **a, char **b)
{
	if (strv_length(a) != strv_length(b))
		return false;
	STRV_FOREACH (x, a)
		if (!strv_contains(b, *x))
			return false;
	return true;
}

/* The line of /proc/self/cgroup ("4:memory:/a/b") whose controllers are
 * exactly `ctrls` (none for the unified hierarchy): its path, new string. */
static char *own_cgroup(const char *self, char **ctrls)
{
	_cleanup_strv_ char **lines = strv_split(self, "\n");

	STRV_FOREACH (l, lines) {
		char *a = strchr(*l, ':'), *b = a ? strchr(a + 1, ':') : NULL;
		_cleanup_free_ char *list = NULL;
		_cleanup_strv_ char **have = NULL;

		if (!b || !(list = strndup(a + 1, b - a - 1)))
			continue;
		have = *list ? strv_split(list, ",") : strv_new();
		if (have && same_set(have, ctrls))
			return strdup(b + 1);
	}
	return NULL;
}

/* Super-block options of a v1 cgroup mount that are not controllers. */
static const char *const cgroup_not_controllers[] = {
        "rw", "ro", "noprefix", "clone_children", "xattr", "cpuset_v2_mode", "favordynmods", NULL,
};

static char **cgroup_controllers(const struct mountinfo *mi)
{
	_cleanup_strv_ char **opts = strv_split(mi->super_opts, ",");
	char **v = strv_new();

	if (!opts || !v || streq(mi->fstype, "cgroup2"))
		return v;
	STRV_FOREACH (o, opts) {
		bool named = startswith(*o, "name=") != NULL;

		if ((!named && strchr(*o, '=')) ||
		    strv_contains((char *const *)cgroup_not_controllers, *o))
			continue;
		if (strv_push(&v, *o) < 0) {
			strv_free(v);
			return NULL;
		}
	}
	return v;
}

struct cgroup_v1 {
	struct rootfs_ctx *c;
	const struct oci_mount *m;
	bool cgroupns;
	char *self; /* /proc/self/cgroup */
	char **done, **merged;
};

/* The host path to bind for a hierarchy: our own cgroup in it. */
static char *cgroup_bind_source(struct cgroup_v1 *g, const struct mountinfo *mi, char **ctrls)
{
	_cleanup_free_ char *own = own_cgroup(g->self, ctrls);
	const char *rel = NULL;

	if (own)
		rel = streq(mi->root, "/") ? own : startswith(own, mi->root);
	if (!rel || (*rel && *rel != '/'))
		rel = ""; /* not below the mount's root: the root itself */
	return path_join(mi->mountpoint, rel);
}

static int cgroup_v1_one(struct cgroup_v1 *g, const struct mountinfo *mi, struct husk_error **err)
{
	_cleanup_free_ char *name = path_basename(mi->mountpoint), *dest = NULL, *src = NULL,
	                    *data = NULL;
	_cleanup_strv_ char **ctrls = cgroup_controllers(mi);
	_cleanup_close_ int dstfd = -1;
	struct mnt_req r = MNT_REQ_INIT;

	if (!name || !ctrls || !(dest = path_join(g->m->destination, name)))
		return error_set(err, ENOMEM, "out of memory");
	dstfd = rootfs_mkpath(g->c, dest, MKPATH_DIR, 0);
	if (dstfd < 0)
		return error_set_errno(err, -dstfd, "create \"%s\"", dest);
	r.propagation = g->m->propagation;
	if (g->cgroupns) {
		/* in a cgroup namespace the hierarchy shows its root */
		r.fstype = r.source = mi->fstype;
		r.data = data = strv_join(ctrls, ",");
		r.flags = MS_DEFAULTS | (g->m->flags & MS_RDONLY);
	} else {
		r.source = src = cgroup_bind_source(g, mi, ctrls);
		r.recursive = r.apply_flags = true;
		r.flags = g->m->flags & ~(MS_BIND | MS_REC | MS_PROPAGATION);
	}
	if (!r.source || (g->cgroupns && !data))
		return error_set(err, ENOMEM, "out of memory");
	if (mount_at(g->c, &r, dstfd, err) < 0)
		return error_wrap(err, "cgroup \"%s\"", name);
	if (strchr(name, ',') && strv_push(&g->merged, name) < 0)
		return error_set(err, ENOMEM, "out of memory");
	return 0;
}

/* Each v1 hierarchy (and the unified one of a hybrid host) once, not the
 * ones inside the rootfs. */
static bool cgroup_v1_wanted(struct cgroup_v1 *g, const struct mountinfo *mi)
{
	_cleanup_free_ char *name = NULL;
	const char *under = startswith(mi->mountpoint, g->c->root);

	if (!streq(mi->fstype, "cgroup") && !streq(mi->fstype, "cgroup2"))
		return false;
	if (under && (*under == '/' || !*under))
		return false;
	name = path_basename(mi->mountpoint);
	if (!name || strv_contains(g->done, name))
		return false;
	return strv_push(&g->done, name) == 0;
}

/* "cpu,cpuacct" mounted once: "cpu" and "cpuacct" are symlinks to it. */
static int cgroup_links(struct cgroup_v1 *g, int tmpfd, struct husk_error **err)
{
	STRV_FOREACH (mc, g->merged) {
		_cleanup_strv_ char **names = strv_split(*mc, ",");

		STRV_FOREACH (n, names)
			if (symlinkat(*mc, tmpfd, *n) < 0 && errno != EEXIST)
				return error_set_errno(err, errno, "symlink \"%s\"", *n);
	}
	return 0;
}

static int cgroup_v1_all(struct cgroup_v1 *g, int tmpfd, struct husk_error **err)
{
	struct mountinfo_list mis = {0};
	int rc;

	rc = rootfs_mountinfo_read(&mis, err);
	if (rc < 0)
		return rc;
	rc = read_file("/proc/self/cgroup", 1 << 20, &g->self, NULL, err);
	for (size_t i = 0; i < mis.n && rc >= 0; i++)
		if (cgroup_v1_wanted(g, &mis.v[i]))
			rc = cgroup_v1_one(g, &mis.v[i], err);
	rootfs_mountinfo_release(&mis);
	if (rc >= 0)
		rc = cgroup_links(g, tmpfd, err);
	if (rc >= 0 && (g->m->flags & MS_RDONLY) &&
	    (rc = rootfs_setattr(g->c, tmpfd, MOUNT_ATTR_RDONLY, 0, 0, false)) < 0)
		error_set_errno(err, -rc, "make the cgroup tmpfs read-only");
	return rc;
}

/* cgroup v1 as runc does it: a tmpfs, and in it one mount per hierarchy —
 * the hierarchy itself in a cgroup namespace (it shows our cgroup as its
 * root), else a bind of our own cgroup directory of it. */
static int mount_cgroup_v1(struct rootfs_ctx *c, const struct oci_mount *m, struct husk_error **err)
{
	struct cgroup_v1 g = {.c = c, .m = m, .cgroupns = spec_has_ns(c->spec, OCI_NS_CGROUP)};
	struct mnt_req t = MNT_REQ_INIT;
	_cleanup_close_ int dstfd = -1, tmpfd = -1;
	int rc;

	t.fstype = "tmpfs";
	t.source = "tmpfs";
	t.data = "mode=755";
	t.flags = MS_DEFAULTS;
	t.propagation = m->propagation;
	dstfd = open_dest(c, m, MKPATH_DIR, 0, -1, err);
	if (dstfd < 0)
		return dstfd;
	tmpfd = rootfs_mount(c, &t, dstfd, err);
	if (tmpfd < 0)
		return tmpfd;
	rc = cgroup_v1_all(&g, tmpfd, err);
	free(g.self);
	strv_free(g.done);
	strv_free(g.merged);
	return rc;
}

/* The host's cgroup2 mount point (NULL when there is none), new string. */
static char *unified_mountpoint(struct rootfs_ctx *c, struct husk_error **err)
{
	struct mountinfo_list mis = {0};
	char *p = NULL;

	if (rootfs_mountinfo_read(&mis, err) < 0)
		return NULL;
	for (size_t i = 0; i < mis.n && !p; i++)
		if (streq(mis.v[i].fstype, "cgroup2") && !startswith(mis.v[i].mountpoint, c->root))
			p = strdup(mis.v[i].mountpoint);
	rootfs_mountinfo_release(&mis);
	return p;
}

/* A user namespace without its own cgroup namespace cannot mount cgroup2
 * (runc #2158): bind the unified hierarchy instead — only our own cgroup
 * of it when a cgroup namespace was asked for. */
static int bind_cgroup2(struct rootfs_ctx *c, const struct oci_mount *m, int dstfd,
                        struct husk_error **err)
{
	_cleanup_free_ char *top = unified_mountpoint(c, err), *self = NULL, *own = NULL,
	                    *src = NULL;
	struct mnt_req r = req_from_spec(m);

	if (!top)
		return error_set(err, ENOENT, "no cgroup2 mount on the host to bind");
	if (spec_has_ns(c->spec, OCI_NS_CGROUP) &&
	    read_file("/proc/self/cgroup", 1 << 20, &self, NULL, NULL) == 0)
		own = own_cgroup(self, (char *[]){NULL});
	src = path_join(top, own ? own : "");
	if (!src)
		return error_set(err, ENOMEM, "out of memory");
	r.fstype = NULL;
	r.source = src;
	r.apply_flags = true;
	return mount_at(c, &r, dstfd, err);
}

static int mount_cgroup2(struct rootfs_ctx *c, const struct oci_mount *m, struct husk_error **err)
{
	_cleanup_error_ struct husk_error *e = NULL;
	_cleanup_close_ int dstfd = -1;
	struct mnt_req r = req_from_spec(m);
	int rc;

	r.fstype = "cgroup2";
	dstfd = open_dest(c, m, MKPATH_DIR, 0, -1, err);
	if (dstfd < 0)
		return dstfd;
	rc = mount_at(c, &r, dstfd, &e);
	if (rc < 0 && (error_code(e) == EPERM || error_code(e) == EBUSY))
		return bind_cgroup2(c, m, dstfd, err);
	if (rc < 0 && err)
		*err = TAKE_PTR(e);
	return rc;
}

/* "cgroup" means the unified tree on a pure v2 host (as in runc); on v1
 * and hybrid hosts, the v1 hierarchies. */
static int mount_cgroup(struct rootfs_ctx *c, const struct oci_mount *m, struct husk_error **err)
{
	struct statfs sfs;

	if (statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
		return mount_cgroup2(c, m, err);
	return mount_cgroup_v1(c, m, err);
}

static const struct {
	const char *type;
	int (*mount)(struct rootfs_ctx *c, const struct oci_mount *m, struct husk_error **err);
} mount_types[] = {
        {"proc", mount_kernfs},
        {"sysfs", mount_kernfs},
        {"cgroup", mount_cgroup},
        {"cgroup2", mount_cgroup2},
};

int rootfs_mount_spec(struct rootfs_ctx *c, const struct oci_mount *m, struct husk_error **err)
{
	if (!path_is_absolute(m->destination))
		return error_set(err, EINVAL, "destination must be an absolute path");
	/* the mounts after it would go under it, resolved in the rootfs fd */
	if (rootfs_path_is(m->destination, "/"))
		return error_set(err, EINVAL, "cannot mount over the root itself");
	if (mount_is_bind(m))
		return isempty(m->source) ? error_set(err, EINVAL, "a bind mount needs a source")
		                          : mount_bind(c, m, err);
	if (isempty(m->type))
		return error_set(err, EINVAL, "no mount type");
	for (size_t i = 0; i < ELEMENTSOF(mount_types); i++)
		if (streq(m->type, mount_types[i].type))
			return mount_types[i].mount(c, m, err);
	return mount_fs(c, m, err);
}
