/* rootfs_dev.c — /dev in the container: device nodes (runc's default set
 * and linux.devices), the /dev symlinks, and /dev/console. Every node is
 * made with mknodat() in a directory fd resolved inside the rootfs, or,
 * where mknod is not allowed (user namespaces), the host's node is bound
 * onto an empty file. */
#include "runtime/rootfs_internal.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "base/str.h"

struct dev_node {
	const char *path;
	char type;
	unsigned major, minor;
	mode_t mode;
	uid_t uid;
	gid_t gid;
};

/* The devices runc always creates. */
static const struct dev_node default_devices[] = {
        {"/dev/null", 'c', 1, 3, 0666, 0, 0},    {"/dev/zero", 'c', 1, 5, 0666, 0, 0},
        {"/dev/full", 'c', 1, 7, 0666, 0, 0},    {"/dev/random", 'c', 1, 8, 0666, 0, 0},
        {"/dev/urandom", 'c', 1, 9, 0666, 0, 0}, {"/dev/tty", 'c', 5, 0, 0666, 0, 0},
};

static const struct {
	const char *target, *name;
} dev_links[] = {
        {"/proc/self/fd", "fd"},
        {"/proc/self/fd/0", "stdin"},
        {"/proc/self/fd/1", "stdout"},
        {"/proc/self/fd/2", "stderr"},
};

bool rootfs_dev_is_bind(const struct oci_spec *spec)
{
	for (size_t i = 0; i < spec->n_mounts; i++) {
		const struct oci_mount *m = &spec->mounts[i];

		if ((m->bind || streq(m->type, "bind")) && rootfs_path_is(m->destination, "/dev"))
			return true;
	}
	return false;
}

static int dev_type(char type, mode_t *ret)
{
	switch (type) {
	case 'c':
	case 'u':
		*ret = S_IFCHR;
		return 0;
	case 'b':
		*ret = S_IFBLK;
		return 0;
	case 'p':
		*ret = S_IFIFO;
		return 0;
	default:
		return -EINVAL;
	}
}

/* An empty file at name in dirfd with the host's node bound onto it. The
 * file is made with mknodat(), never opened: what the image may already
 * have there (a tty, a disk) must not be. */
static int bind_device(struct rootfs_ctx *c, int dirfd, const char *name, const struct dev_node *d,
                       struct husk_error **err)
{
	_cleanup_close_ int dstfd = -1, mfd = -1;
	struct mnt_req r = MNT_REQ_INIT;

	if (mknodat(dirfd, name, S_IFREG | 0000, 0) < 0 && errno != EEXIST)
		return error_set_errno(err, errno, "create the bind target");
	dstfd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (dstfd < 0)
		return error_set_errno(err, errno, "open the bind target");
	r.source = d->path;
	mfd = rootfs_mount(c, &r, dstfd, err);
	return mfd < 0 ? mfd : 0;
}

/* The exact mode, whatever the umask (the container init is single-threaded:
 * changing it for a moment is safe). */
static int mknod_device(int dirfd, const char *name, mode_t type, const struct dev_node *d)
{
	mode_t old = umask(0);
	int rc = mknodat(dirfd, name, type | (d->mode & 07777), makedev(d->major, d->minor));

	rc = rc < 0 ? -errno : 0;
	umask(old);
	if (rc < 0)
		return rc;
	return fchownat(dirfd, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

static int create_device(struct rootfs_ctx *c, const struct dev_node *d, struct husk_error **err)
{
	_cleanup_free_ char *dir = path_dirname(d->path), *name = path_basename(d->path);
	_cleanup_close_ int dirfd = -1;
	mode_t type;
	int rc;

	if (!dir || !name)
		return error_set(err, ENOMEM, "out of memory");
	if (dev_type(d->type, &type) < 0)
		return error_set(err, EINVAL, "unknown device type '%c'", d->type);
	if (!path_is_absolute(d->path) || streq(name, "/") || streq(name, ".") || streq(name, ".."))
		return error_set(err, EINVAL, "not a device path");
	dirfd = rootfs_mkpath(c, dir, MKPATH_DIR, 0);
	if (dirfd < 0)
		return error_set_errno(err, -dirfd, "create \"%s\"", dir);
	if (c->flags & ROOTFS_USERNS)
		return bind_device(c, dirfd, name, d, err);
	rc = mknod_device(dirfd, name, type, d);
	if (rc == -EEXIST)
		return 0; /* as runc: what is there stays */
	if (rc == -EPERM)
		return bind_device(c, dirfd, name, d, err);
	return rc < 0 ? error_set_errno(err, -rc, "mknod") : 0;
}

static struct dev_node node_from_spec(const struct oci_device *d)
{
	struct dev_node n = {
	        .path = d->path,
	        .type = d->type,
	        .major = (unsigned)d->major,
	        .minor = (unsigned)d->minor,
	        .mode = d->has_mode ? d->file_mode : 0666,
	        .uid = d->has_uid ? d->uid : 0,
	        .gid = d->has_gid ? d->gid : 0,
	};
	return n;
}

static bool spec_has_device(const struct oci_linux *l, const char *path)
{
	for (size_t i = 0; i < l->n_devices; i++)
		if (rootfs_path_is(l->devices[i].path, path))
			return true;
	return false;
}

static int create_devices(struct rootfs_ctx *c, struct husk_error **err)
{
	const struct oci_linux *l = &c->spec->linux_;

	for (size_t i = 0; i < l->n_devices; i++) {
		struct dev_node n = node_from_spec(&l->devices[i]);

		if (isempty(n.path) || create_device(c, &n, err) < 0)
			return error_wrap(err, "device \"%s\"", n.path ? n.path : "");
	}
	for (size_t i = 0; i < ELEMENTSOF(default_devices); i++) {
		const struct dev_node *n = &default_devices[i];

		if (!spec_has_device(l, n->path) && create_device(c, n, err) < 0)
			return error_wrap(err, "device \"%s\"", n->path);
	}
	return 0;
}

static bool has_devpts(const struct oci_spec *s)
{
	for (size_t i = 0; i < s->n_mounts; i++)
		if (streq(s->mounts[i].type, "devpts") &&
		    rootfs_path_is(s->mounts[i].destination, "/dev/pts"))
			return true;
	return false;
}

static int dev_symlinks(struct rootfs_ctx *c, struct husk_error **err)
{
	_cleanup_close_ int devfd = rootfs_mkpath(c, "/dev", MKPATH_DIR, 0);

	if (devfd < 0)
		return error_set_errno(err, -devfd, "open /dev");
	for (size_t i = 0; i < ELEMENTSOF(dev_links); i++)
		if (symlinkat(dev_links[i].target, devfd, dev_links[i].name) < 0 && errno != EEXIST)
			return error_set_errno(err, errno, "symlink /dev/%s", dev_links[i].name);
	if (!has_devpts(c->spec))
		return 0;
	/* the ptmx of the container's own devpts instance */
	if (unlinkat(devfd, "ptmx", 0) < 0 && errno != ENOENT)
		return error_set_errno(err, errno, "remove /dev/ptmx");
	if (symlinkat("pts/ptmx", devfd, "ptmx") < 0)
		return error_set_errno(err, errno, "symlink /dev/ptmx");
	return 0;
}

int rootfs_setup_dev(struct rootfs_ctx *c, struct husk_error **err)
{
	int rc = create_devices(c, err);

	return rc < 0 ? rc : dev_symlinks(c, err);
}

/* CVE-2025-52565: /dev/console must be a plain file or a device we bind
 * over, never a symlink that would carry the bind elsewhere. */
static int open_console_target(struct rootfs_ctx *c, struct husk_error **err)
{
	_cleanup_close_ int devfd = rootfs_mkpath(c, "/dev", MKPATH_DIR, 0), fd = -1;
	struct stat st;

	if (devfd < 0)
		return error_set_errno(err, -devfd, "open /dev");
	if (mknodat(devfd, "console", S_IFREG | 0600, 0) < 0 && errno != EEXIST)
		return error_set_errno(err, errno, "create /dev/console");
	fd = openat(devfd, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return error_set_errno(err, errno, "open /dev/console");
	if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))
		return error_set(err, EINVAL, "/dev/console is neither a file nor a device");
	return TAKE_FD(fd);
}

int rootfs_setup_console(struct rootfs_ctx *c, const char *console_path, struct husk_error **err)
{
	_cleanup_close_ int srcfd = open(console_path, O_PATH | O_CLOEXEC), dstfd = -1, mfd = -1;
	struct mnt_req r = MNT_REQ_INIT;
	struct stat st, got;

	if (srcfd < 0 || fstat(srcfd, &st) < 0)
		return error_set_errno(err, errno, "console \"%s\"", console_path);
	if (!S_ISCHR(st.st_mode))
		return error_set(err, EINVAL, "console \"%s\": not a terminal device",
		                 console_path);
	dstfd = open_console_target(c, err);
	if (dstfd < 0)
		return error_wrap(err, "console");
	r.srcfd = srcfd;
	r.source = console_path;
	mfd = rootfs_mount(c, &r, dstfd, err);
	if (mfd < 0)
		return error_wrap(err, "console: bind \"%s\"", console_path);
	if (fstat(mfd, &got) < 0 || got.st_rdev != st.st_rdev)
		return error_set(err, EIO, "console: /dev/console is not \"%s\" after mounting",
		                 console_path);
	return 0;
}
