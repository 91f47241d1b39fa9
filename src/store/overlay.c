/* overlay.c — mounting a container snapshot with overlayfs: lowerdirs are
 * the image's layer diffs (top first), upper/ and work/ the container's.
 *
 * Any number of layers (up to overlayfs' own 500): the new mount API adds
 * one lowerdir per fsconfig("lowerdir+") call (Linux >= 6.8), so no option
 * string limits it. Without it, mount(2)'s data is one page: as Docker's
 * overlay2 does, the lowerdirs are short symlinks store/l/<id> and the mount
 * runs in a child chdir'ed into the store (never chdir in the daemon). */
#include "store/store_internal.h"

#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "base/fs.h"

#define MOUNT_DATA_MAX 4095 /* mount(2) copies one page, NUL included */

/* The kernel's own words after a failed fsconfig ("overlay: …"). */
static int fs_error(int fsfd, int code, const char *what, struct husk_error **err)
{
	char msg[256], log[300] = "";
	ssize_t n;

	while ((n = read(fsfd, msg, sizeof(msg) - 1)) > 0) {
		msg[n] = 0;
		if (n > 2 && msg[1] == ' ')
			snprintf(log, sizeof(log), " (%.*s)", (int)strcspn(msg + 2, "\n"), msg + 2);
	}
	return error_set(err, code, "%s: %s%s", what, strerror(code), log);
}

/* -ENOSYS (without a message) when this kernel lacks fsopen or lowerdir+. */
static int mount_new_api(char **lowers, const char *upper, const char *work, const char *target,
                         struct husk_error **err)
{
	_cleanup_close_ int fsfd = fsopen("overlay", FSOPEN_CLOEXEC), mfd = -1;

	if (fsfd < 0)
		return errno == ENOSYS ? -ENOSYS : error_set_errno(err, errno, "fsopen overlay");
	STRV_FOREACH (l, lowers) {
		if (fsconfig(fsfd, FSCONFIG_SET_STRING, "lowerdir+", *l, 0) == 0)
			continue;
		if (errno == EINVAL && l == lowers)
			return -ENOSYS; /* no lowerdir+ before Linux 6.8 */
		return fs_error(fsfd, errno, "overlay lowerdir", err);
	}
	if (fsconfig(fsfd, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0 ||
	    fsconfig(fsfd, FSCONFIG_SET_STRING, "workdir", work, 0) < 0)
		return fs_error(fsfd, errno, "overlay upperdir/workdir", err);
	/* one lower tree under many uppers: the inode index would tie a layer
	 * to the first upper it was mounted with */
	fsconfig(fsfd, FSCONFIG_SET_STRING, "index", "off", 0);
	if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return fs_error(fsfd, errno, "overlay mount", err);
	mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, 0);
	if (mfd < 0)
		return error_set_errno(err, errno, "overlay fsmount");
	if (move_mount(mfd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return error_set_errno(err, errno, "attach overlay at \"%s\"", target);
	return 0;
}

/* store/l/<short> -> ../layers/<hex>/diff: the first 16 hex digits, longer
 * on a (most unlikely) clash. Returns the name relative to the store. */
static char *short_link(struct store *s, const char *hex)
{
	_cleanup_free_ char *target = str_printf("../" STORE_LAYERS_DIR "/%s/diff", hex);

	if (!target)
		return NULL;
	for (size_t len = 16; len <= DIGEST_HEX_LEN; len *= 2) {
		_cleanup_free_ char *name = str_printf(STORE_LINKS_DIR "/%.*s", (int)len, hex);
		char cur[PATH_MAX];
		ssize_t n;

		if (!name)
			return NULL;
		if (symlinkat(target, s->dfd, name) == 0)
			return TAKE_PTR(name);
		n = readlinkat(s->dfd, name, cur, sizeof(cur) - 1);
		if (n >= 0 && (size_t)n == strlen(target) && memcmp(cur, target, n) == 0)
			return TAKE_PTR(name);
	}
	return NULL;
}

static int legacy_data(struct store *s, char **hexes, const char *id, char **ret,
                       struct husk_error **err)
{
	struct strbuf sb = {0};
	int r = strbuf_puts(&sb, "lowerdir=");

	STRV_FOREACH (h, hexes) {
		_cleanup_free_ char *l = short_link(s, *h);

		if (!l) {
			strbuf_release(&sb);
			return error_set(err, EIO, "cannot link layer sha256:%s in \"%s/l\"", *h,
			                 s->dir);
		}
		r |= strbuf_printf(&sb, "%s%s", h == hexes ? "" : ":", l);
	}
	r |= strbuf_printf(&sb,
	                   ",upperdir=" STORE_SNAPS_DIR "/%s/upper,workdir=" STORE_SNAPS_DIR
	                   "/%s/work,index=off",
	                   id, id);
	if (r < 0) {
		strbuf_release(&sb);
		return error_set(err, ENOMEM, "out of memory");
	}
	if (sb.len > MOUNT_DATA_MAX) {
		size_t len = sb.len;

		strbuf_release(&sb);
		return error_set(err, E2BIG,
		                 "%zu layers need %zu bytes of overlay mount options, more than "
		                 "mount(2) takes (%d); this kernel lacks fsconfig lowerdir+ (Linux "
		                 "6.8)",
		                 strv_length(hexes), len, MOUNT_DATA_MAX);
	}
	*ret = strbuf_steal(&sb);
	return 0;
}

/* mount(2) with relative paths, from a child whose cwd is the store: the
 * daemon's threads keep their cwd. */
static int mount_legacy(struct store *s, char **hexes, const char *id, const char *target,
                        struct husk_error **err)
{
	_cleanup_free_ char *data = NULL;
	int r, status;
	pid_t pid;

	r = legacy_data(s, hexes, id, &data, err);
	if (r < 0)
		return r;
	pid = fork();
	if (pid < 0)
		return error_set_errno(err, errno, "fork");
	if (pid == 0) {
		if (fchdir(s->dfd) < 0 || mount("overlay", target, "overlay", 0, data) < 0)
			_exit(errno & 0xff);
		_exit(0);
	}
	if (RETRY_EINTR(waitpid(pid, &status, 0)) < 0)
		return error_set_errno(err, errno, "wait for the mount helper");
	if (!WIFEXITED(status))
		return error_set(err, EIO, "overlay mount helper died");
	if (WEXITSTATUS(status))
		return error_set_errno(err, WEXITSTATUS(status), "overlay mount at \"%s\"", target);
	return 0;
}

int store_overlay_mount(struct store *s, char **hexes, const char *id, const char *target,
                        struct husk_error **err)
{
	_cleanup_strv_ char **lowers = strv_new();
	_cleanup_free_ char *upper = str_printf("%s/" STORE_SNAPS_DIR "/%s/upper", s->dir, id);
	_cleanup_free_ char *work = str_printf("%s/" STORE_SNAPS_DIR "/%s/work", s->dir, id);
	int r;

	if (!lowers || !upper || !work)
		return error_set(err, ENOMEM, "out of memory");
	if (!s->legacy_mount) {
		STRV_FOREACH (h, hexes)
			if (strv_push_take(&lowers, str_printf("%s/" STORE_LAYERS_DIR "/%s/diff",
			                                       s->dir, *h)) < 0)
				return error_set(err, ENOMEM, "out of memory");
		r = mount_new_api(lowers, upper, work, target, err);
		if (r != -ENOSYS)
			return r;
	}
	return mount_legacy(s, hexes, id, target, err);
}

bool store_is_mount_point(int dirfd, const char *path)
{
	struct statx sx;

	if (statx(dirfd, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx) < 0)
		return false;
	return sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT &&
	       sx.stx_attributes & STATX_ATTR_MOUNT_ROOT;
}
