/* store.c — opening the store: its layout and permissions, the driver
 * choice, file locks and small shared helpers. */
#include "store/store_internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "base/fs.h"

static const char *const store_subdirs[] = {
        STORE_OCI_DIR,   "oci/blobs",      STORE_BLOBS_DIR, STORE_INGEST_DIR, STORE_LAYERS_DIR,
        STORE_SNAPS_DIR, STORE_LEASES_DIR, STORE_LOCKS_DIR, STORE_LINKS_DIR,
};

static const char *const store_drivers[] = {"overlay2", "vfs"};

#define OCI_LAYOUT_JSON "{\"imageLayoutVersion\":\"1.0.0\"}"
#define EMPTY_INDEX_JSON                                                                           \
	"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","          \
	"\"manifests\":[]}"

void store_random_hex(char *buf, size_t n)
{
	unsigned char rnd[32];

	n = MIN(n, sizeof(rnd));
	if (getentropy(rnd, n) < 0) {
		for (size_t i = 0; i < n; i++)
			rnd[i] = (unsigned char)(random() ^ getpid());
	}
	for (size_t i = 0; i < n; i++)
		sprintf(buf + 2 * i, "%02x", rnd[i]);
	buf[2 * n] = 0;
}

int store_digest_from_hex(const char *hex, struct digest *ret)
{
	if (!digest_hex_valid(hex))
		return -EINVAL;
	snprintf(ret->str, sizeof(ret->str), "sha256:%s", hex);
	return 0;
}

int store_lock(struct store *s, const char *name, int how)
{
	_cleanup_free_ char *path = path_join(STORE_LOCKS_DIR, name);

	if (!path)
		return -ENOMEM;
	for (;;) {
		_cleanup_close_ int fd = -1;
		struct stat a, b;

		fd = openat(s->dfd, path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0)
			return -errno;
		if (RETRY_EINTR(flock(fd, how)) < 0)
			return -errno;
		/* the holder before us may have unlinked it (store_lock_drop):
		 * then ours is a lock on nothing; start again */
		if (fstat(fd, &a) < 0)
			return -errno;
		if (fstatat(s->dfd, path, &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev)
			return TAKE_FD(fd);
	}
}

void store_lock_drop(struct store *s, const char *name, int fd)
{
	_cleanup_free_ char *path = path_join(STORE_LOCKS_DIR, name);

	if (path)
		unlinkat(s->dfd, path, 0);
	safe_close(fd);
}

int store_fsync_at(struct store *s, const char *rel)
{
	_cleanup_close_ int fd = openat(s->dfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return fsync(fd) < 0 ? -errno : 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int store_list_dir(struct store *s, const char *path, char ***ret)
{
	_cleanup_strv_ char **v = strv_new();
	struct dirent *de;
	DIR *d;
	int fd, r = 0;

	if (!v)
		return -ENOMEM;
	fd = openat(s->dfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		r = strv_push(&v, de->d_name);
		if (r < 0)
			break;
	}
	closedir(d);
	if (r < 0)
		return r;
	qsort(v, strv_length(v), sizeof(char *), cmp_str);
	*ret = TAKE_PTR(v);
	return 0;
}

/* The store directory: ours and private, or refused. */
static int open_private_dir(const char *root, const char *dir, int *ret_fd, struct husk_error **err)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	r = mkdir_p(root, 0710);
	if (r < 0)
		return error_set_errno(err, -r, "create data root \"%s\"", root);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return error_set_errno(err, errno, "create \"%s\"", dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return error_set_errno(err, errno, "open \"%s\"", dir);
	if (fstat(fd, &st) < 0)
		return error_set_errno(err, errno, "stat \"%s\"", dir);
	if (st.st_uid != geteuid())
		return error_set(err, EPERM, "store \"%s\" is owned by uid %u, not by us (uid %u)",
		                 dir, st.st_uid, geteuid());
	/* other users must not reach setuid binaries inside layers
	 * (CVE-2021-41091): the store is 0700 whatever it was before */
	if ((st.st_mode & 07777) != 0700 && fchmod(fd, 0700) < 0)
		return error_set_errno(err, errno, "store \"%s\" cannot be made private", dir);
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int store_remap_dir_at(struct store *s, int dfd, const char *name, bool own)
{
	if (!s->idmap)
		return 0;
	if (fchownat(dfd, name, own ? s->root_uid : 0, s->root_gid, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!own && fchmodat(dfd, name, 0710, 0) < 0)
		return -errno;
	return 0;
}

int store_set_remap(struct store *s, const struct id_mapping *m, uint32_t root_uid,
                    uint32_t root_gid, struct husk_error **err)
{
	int r;

	s->idmap = m && (m->n_uids || m->n_gids) ? m : NULL;
	s->root_uid = root_uid;
	s->root_gid = root_gid;
	r = store_remap_dir_at(s, s->dfd, ".", false);
	if (r == 0)
		r = store_remap_dir_at(s, s->dfd, STORE_SNAPS_DIR, false);
	return r < 0 ? error_set_errno(err, -r, "give the remapped root access to \"%s\"", s->dir)
	             : 0;
}

static int create_layout(struct store *s, struct husk_error **err)
{
	int lock, r = 0;

	for (size_t i = 0; i < ELEMENTSOF(store_subdirs); i++)
		if (mkdirat(s->dfd, store_subdirs[i], 0700) < 0 && errno != EEXIST)
			return error_set_errno(err, errno, "create \"%s/%s\"", s->dir,
			                       store_subdirs[i]);
	lock = store_lock(s, STORE_INDEX_LOCK, LOCK_EX);
	if (lock < 0)
		return error_set_errno(err, -lock, "lock \"%s/locks/index.lock\"", s->dir);
	if (faccessat(s->dfd, STORE_LAYOUT, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		r = atomic_write_at(s->dfd, STORE_LAYOUT, OCI_LAYOUT_JSON, strlen(OCI_LAYOUT_JSON),
		                    0600, err);
	if (r == 0 && faccessat(s->dfd, STORE_INDEX, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		r = atomic_write_at(s->dfd, STORE_INDEX, EMPTY_INDEX_JSON, strlen(EMPTY_INDEX_JSON),
		                    0600, err);
	safe_close(lock);
	return r;
}

/* overlay2 where the kernel has overlayfs and the store is not itself on
 * overlayfs (overlay cannot use an overlay upper layer). */
static const char *default_driver(int dfd)
{
	_cleanup_free_ char *fs = NULL;
	struct statfs sf;

	if (read_file("/proc/filesystems", 1 << 20, &fs, NULL, NULL) < 0)
		return "vfs";
	if (!strstr(fs, "\toverlay\n"))
		return "vfs";
	if (fstatfs(dfd, &sf) == 0 && sf.f_type == OVERLAYFS_SUPER_MAGIC)
		return "vfs";
	return "overlay2";
}

static int load_driver(struct store *s, struct husk_error **err)
{
	_cleanup_free_ char *rec = NULL, *path = path_join(s->dir, STORE_DRIVER);
	_cleanup_free_ char *name = NULL;
	int r;

	if (!path)
		return error_set(err, ENOMEM, "out of memory");
	r = read_file(path, 64, &rec, NULL, NULL);
	if (r == -ENOENT)
		return store_set_driver(s, default_driver(s->dfd), err);
	if (r < 0)
		return error_set_errno(err, -r, "read \"%s\"", path);
	name = str_strip(rec);
	if (!name)
		return error_set(err, ENOMEM, "out of memory");
	r = store_set_driver(s, name, err);
	if (r < 0)
		return wrap_err(r, err, "\"%s\"", path);
	s->driver_recorded = true;
	return 0;
}

int store_open(const char *root, struct store **ret, struct husk_error **err)
{
	_cleanup_(store_freep) struct store *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return error_set(err, ENOMEM, "out of memory");
	s->dfd = -1;
	s->grace = STORE_GRACE_DEFAULT;
	s->root = strdup(root);
	s->dir = path_join(root, "store");
	if (!s->root || !s->dir)
		return error_set(err, ENOMEM, "out of memory");
	r = open_private_dir(s->root, s->dir, &s->dfd, err);
	if (r < 0)
		return r;
	r = create_layout(s, err);
	if (r < 0)
		return wrap_err(r, err, "open store \"%s\"", s->dir);
	r = load_driver(s, err);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(s);
	return 0;
}

void store_free(struct store *s)
{
	if (!s)
		return;
	safe_close(s->dfd);
	free(s->root);
	free(s->dir);
	free(s->driver);
	free(s);
}

const char *store_root(const struct store *s)
{
	return s->root;
}

const char *store_dir(const struct store *s)
{
	return s->dir;
}

const char *store_driver(const struct store *s)
{
	return s->driver;
}

bool store_is_vfs(const struct store *s)
{
	return streq(s->driver, "vfs");
}

void store_set_grace(struct store *s, int64_t seconds)
{
	s->grace = seconds < 0 ? 0 : seconds;
}

void store_set_legacy_mount(struct store *s, bool on)
{
	s->legacy_mount = on;
}

int store_set_driver(struct store *s, const char *driver, struct husk_error **err)
{
	char *copy;
	size_t i;

	for (i = 0; i < ELEMENTSOF(store_drivers); i++)
		if (streq(driver, store_drivers[i]))
			break;
	if (i == ELEMENTSOF(store_drivers))
		return error_set(err, EINVAL,
		                 "unknown storage driver \"%s\": expected overlay2 or vfs", driver);
	if (s->driver_recorded && !streq(s->driver, driver))
		return error_set(err, EINVAL,
		                 "store \"%s\" holds layers of driver \"%s\", not \"%s\"", s->dir,
		                 s->driver, driver);
	copy = strdup(driver);
	if (!copy)
		return error_set(err, ENOMEM, "out of memory");
	free(s->driver);
	s->driver = copy;
	return 0;
}

int store_record_driver(struct store *s, struct husk_error **err)
{
	_cleanup_free_ char *rec = NULL, *name = NULL, *path = NULL;
	int lock, r = 0;

	if (s->driver_recorded)
		return 0;
	path = path_join(s->dir, STORE_DRIVER);
	if (!path)
		return error_set(err, ENOMEM, "out of memory");
	lock = store_lock(s, "driver.lock", LOCK_EX);
	if (lock < 0)
		return error_set_errno(err, -lock, "lock the driver record");
	r = read_file(path, 64, &rec, NULL, NULL);
	if (r == 0) {
		name = str_strip(rec);
		if (name && !streq(name, s->driver))
			r = error_set(err, EINVAL,
			              "store \"%s\" holds layers of driver \"%s\", not \"%s\"",
			              s->dir, name, s->driver);
	} else {
		_cleanup_free_ char *line = str_printf("%s\n", s->driver);

		r = line ? atomic_write_at(s->dfd, STORE_DRIVER, line, strlen(line), 0600, err)
		         : error_set(err, ENOMEM, "out of memory");
	}
	safe_close(lock);
	if (r == 0)
		s->driver_recorded = true;
	return r;
}
