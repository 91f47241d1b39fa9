/* container_ipc.c — HostConfig.IpcMode as dockerd sets it up: the daemon's
 * default mode, "container:NAME" pinned to the donor's id at create, the
 * /dev/shm tmpfs a shareable container owns (mounted on the host at
 * <container dir>/mounts/shm and bound into it, so that joiners can bind
 * the same one), and its unmounting when the container stops, is removed
 * or is started again after a crash. It only reads another container's
 * mount, never mounts or unmounts it. */
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"
#include "base/str.h"
#include "engine/container_internal.h"
#include "engine/engine.h"

#define SHM_MOUNTS    "mounts"
#define SHM_DIR       "mounts/shm"
#define SHM_UNMOUNTS  8 /* stacked mounts taken off one path at most */
#define DEFAULT_IPC   "private"
#define NON_SHAREABLE "non-shareable IPC (hint: use IpcMode:shareable for the donor container)"

int ctr_ipc_create_mode(struct containers *cs, json_t *request_hc, json_t *hc,
                        struct husk_error **err)
{
	const char *asked = json_string_value(json_object_get(request_hc, "IpcMode"));
	const char *dflt = json_string_value(json_object_get(cs->e->cfg.file, "default-ipc-mode"));
	const char *mode = json_string_value(json_object_get(hc, "IpcMode")), *name;
	_cleanup_(ctr_unrefp) struct ctr *donor = NULL;
	_cleanup_free_ char *pinned = NULL;

	if (isempty(asked))
		pinned = strdup(dflt ? dflt : DEFAULT_IPC);
	else if (!isempty(name = startswith(mode, "container:"))) {
		/* dockerd pins the donor by id: a rename or a new namesake
		 * cannot change whose memory is shared */
		if (ctr_lookup(cs, name, &donor, NULL) < 0)
			return error_set(err, EINVAL, "No such container: %s", name);
		pinned = str_printf("container:%s", donor->id);
	} else
		return 0;
	if (!pinned || json_object_set_new(hc, "IpcMode", json_string(pinned)) < 0)
		return error_set(err, ENOMEM, "out of memory");
	return 0;
}

static char *shm_path_of(const struct ctr *c)
{
	return path_join(c->dir, SHM_DIR);
}

/* Whether path is a directory with a file system of its own mounted. */
static bool shm_mounted(const char *path)
{
	_cleanup_free_ char *parent = str_printf("%s/..", path);
	struct stat st, pst;

	return parent && stat(path, &st) == 0 && S_ISDIR(st.st_mode) && stat(parent, &pst) == 0 &&
	       st.st_dev != pst.st_dev;
}

void ctr_ipc_release(struct ctr *c)
{
	_cleanup_free_ char *path = shm_path_of(c), *mounts = path_join(c->dir, SHM_MOUNTS);

	if (!path || !mounts)
		return;
	for (int i = 0; i < SHM_UNMOUNTS && umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0; i++)
		;
	if (rmdir(path) < 0 && errno != ENOENT)
		log_warn("container %.12s: remove \"%s\": %s", c->id, path, strerror(errno));
	(void)rmdir(mounts); /* only if empty */
}

static int shm_mount(struct ctr *c, char **ret, struct husk_error **err)
{
	_cleanup_free_ char *path = shm_path_of(c), *opts = NULL,
	                    *parent = path_join(c->dir, "mounts");
	int64_t size;

	pthread_mutex_lock(&c->cs->lock);
	size = json_integer_value(json_object_get(c->host_config, "ShmSize"));
	pthread_mutex_unlock(&c->cs->lock);

	if (!path || !parent)
		return error_set(err, ENOMEM, "out of memory");
	ctr_ipc_release(c); /* what a crash left */
	opts = str_printf("mode=1777,size=%" PRId64, size > 0 ? size : SPEC_DEFAULT_SHM_SIZE);
	if (!opts)
		return error_set(err, ENOMEM, "out of memory");
	if (mkdir_p(path, 0700) < 0)
		return error_set_errno(err, errno, "create \"%s\"", path);
	/* userns-remap: the container's root passes the directory above */
	if (userns_remap_chown_at(&c->cs->e->remap, AT_FDCWD, parent, false, err) < 0)
		return -EPERM;
	if (mount("shm", path, "tmpfs", MS_NOEXEC | MS_NOSUID | MS_NODEV, opts) < 0) {
		int e = errno;
		ctr_ipc_release(c);
		return error_set_errno(err, e, "mounting shm tmpfs");
	}
	/* userns-remap: the container's root owns its /dev/shm, as under dockerd */
	if (userns_remap_chown_at(&c->cs->e->remap, AT_FDCWD, path, true, err) < 0) {
		ctr_ipc_release(c);
		return -EPERM;
	}
	*ret = TAKE_PTR(path);
	return 0;
}

/* The donor's /dev/shm directory, with dockerd's words when it has none. */
static int shm_join(struct ctr *c, const char *name, char **ret, struct husk_error **err)
{
	_cleanup_(ctr_unrefp) struct ctr *donor = NULL;
	_cleanup_free_ char *path = NULL;
	bool running;

	if (ctr_lookup(c->cs, name, &donor, NULL) < 0)
		return error_set(err, EIO, "can't join IPC of container %s: No such container: %s",
		                 name, name);
	pthread_mutex_lock(&c->cs->lock);
	running = donor->status == CTR_RUNNING || donor->status == CTR_PAUSED;
	pthread_mutex_unlock(&c->cs->lock);
	if (!running)
		return error_set(err, EIO,
		                 "can't join IPC of container %s: container %s is not running",
		                 name, name);
	path = shm_path_of(donor);
	if (!path)
		return error_set(err, ENOMEM, "out of memory");
	if (!shm_mounted(path))
		return error_set(err, EIO, "can't join IPC of container %s: " NON_SHAREABLE, name);
	*ret = TAKE_PTR(path);
	return 0;
}

int ctr_ipc_prepare(struct ctr *c, char **ret_shm_path, struct husk_error **err)
{
	_cleanup_free_ char *mode = NULL;
	const char *name;

	*ret_shm_path = NULL;
	pthread_mutex_lock(&c->cs->lock);
	mode = strdup(json_string_value(json_object_get(c->host_config, "IpcMode")) ?: "");
	pthread_mutex_unlock(&c->cs->lock);
	if (!mode)
		return error_set(err, ENOMEM, "out of memory");
	name = startswith(mode, "container:");
	/* an empty mode is a record of an older daemon: shareable then */
	if (isempty(mode) || streq(mode, "shareable"))
		return shm_mount(c, ret_shm_path, err);
	if (name)
		return shm_join(c, name, ret_shm_path, err);
	if (streq(mode, "host") && access("/dev/shm", F_OK) < 0)
		return error_set(err, EIO, "/dev/shm is not mounted, but must be for --ipc=host");
	return 0;
}
