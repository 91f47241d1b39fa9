#include "engine/engine.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/vfs.h>

#include "base/fs.h"
#include "base/str.h"
#include "engine/containers.h"
#include "engine/events.h"
#include "engine/volumes.h"
#include "network/network.h"

#ifndef XFS_SUPER_MAGIC
#define XFS_SUPER_MAGIC 0x58465342
#endif
#ifndef ZFS_SUPER_MAGIC
#define ZFS_SUPER_MAGIC 0x2fc12fc1
#endif

static int make_private_dir(const char *path, mode_t mode, struct husk_error **err)
{
	int r = mkdir_p(path, mode);

	if (r < 0)
		return error_set_errno(err, -r, "create \"%s\"", path);
	/* an existing root may have been made with a looser mode: tighten it */
	if (chmod(path, mode) < 0)
		return error_set_errno(err, errno, "chmod \"%s\"", path);
	return 0;
}

/* dockerd's canAccess: whether uid:gid may pass through the directory. */
static bool can_access(const char *path, uint32_t uid, uint32_t gid)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return false;
	return (st.st_mode & S_IXOTH) || (st.st_uid == uid && (st.st_mode & S_IXUSR)) ||
	       (st.st_gid == gid && (st.st_mode & S_IXGRP));
}

/* A directory of the data root the remapped root passes through: 0710,
 * root:<its gid>, as dockerd's setupDaemonRoot makes them. */
static int remap_dir(const struct engine *e, const char *path, struct husk_error **err)
{
	int r = make_private_dir(path, 0710, err);

	if (r == 0 && chown(path, 0, e->remap.root_gid) < 0)
		r = error_set_errno(err, errno, "chown \"%s\"", path);
	return r;
}

/* The data root: under userns-remap <data-root>/<uid>.<gid>, so that the
 * images of the remapped root (their files owned by its ids) stay apart
 * from the others, reachable by it through every directory above. */
static int setup_data_root(struct engine *e, struct husk_error **err)
{
	const struct userns_remap *u = &e->remap;
	_cleanup_free_ char *sub = NULL, *up = NULL;
	int r;

	if (!(e->root_base = strdup(e->cfg.data_root)))
		return error_set(err, ENOMEM, "out of memory");
	if (!engine_remapped(e))
		return make_private_dir(e->cfg.data_root, 0710, err);
	sub = str_printf("%s/%u.%u", e->root_base, u->root_uid, u->root_gid);
	if (!sub)
		return error_set(err, ENOMEM, "out of memory");
	r = remap_dir(e, e->root_base, err);
	if (r == 0)
		r = remap_dir(e, sub, err);
	if (r < 0)
		return r;
	/* a directory above that the remapped root cannot pass would make
	 * every container start fail: say so now, in dockerd's words */
	for (up = strdup(sub); up && strrchr(up, '/') && strrchr(up, '/') != up;) {
		*strrchr(up, '/') = 0;
		if (!can_access(up, u->root_uid, u->root_gid))
			return error_set(
			        err, EACCES,
			        "a subdirectory in your graphroot path (%s) restricts access "
			        "to the remapped root uid/gid; please fix by allowing 'o+x' "
			        "permissions on existing directories",
			        sub);
	}
	if (!up)
		return error_set(err, ENOMEM, "out of memory");
	free(e->cfg.data_root);
	e->cfg.data_root = TAKE_PTR(sub);
	return 0;
}

/* Load <data-root>/engine-id, or make one from 24 random bytes. */
static int load_engine_id(struct engine *e, struct husk_error **err)
{
	_cleanup_free_ char *path = path_join(e->cfg.data_root, "engine-id"), *buf = NULL;
	unsigned char rnd[12];
	size_t len = 0;

	if (!path)
		return error_set(err, ENOMEM, "out of memory");
	if (read_file(path, 64, &buf, &len, NULL) == 0 && len >= 29) {
		snprintf(e->id, sizeof(e->id), "%.*s", (int)strcspn(buf, "\n"), buf);
		return 0;
	}
	if (getentropy(rnd, sizeof(rnd)) < 0)
		return error_set_errno(err, errno, "getentropy");
	for (size_t i = 0, o = 0; i < sizeof(rnd); i += 2)
		o += snprintf(e->id + o, sizeof(e->id) - o, "%s%02X%02X", i ? ":" : "", rnd[i],
		              rnd[i + 1]);
	return atomic_write_file(path, e->id, strlen(e->id), 0600, err);
}

static void probe_backing_fs(struct engine *e)
{
	static const struct {
		long magic;
		const char *name;
	} names[] = {
	        {EXT4_SUPER_MAGIC, "extfs"},          {XFS_SUPER_MAGIC, "xfs"},
	        {BTRFS_SUPER_MAGIC, "btrfs"},         {TMPFS_MAGIC, "tmpfs"},
	        {OVERLAYFS_SUPER_MAGIC, "overlayfs"}, {ZFS_SUPER_MAGIC, "zfs"},
	};
	struct statfs sfs;

	snprintf(e->backing_fs, sizeof(e->backing_fs), "unknown");
	if (statfs(e->cfg.data_root, &sfs) < 0)
		return;
	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if ((long)sfs.f_type == names[i].magic)
			snprintf(e->backing_fs, sizeof(e->backing_fs), "%s", names[i].name);
}

/* The image store, with the driver daemon.json asks for (else its own
 * choice: overlay2 where the kernel has it, vfs otherwise). */
static int open_store(struct engine *e, struct husk_error **err)
{
	const char *want = e->cfg.storage_driver;
	int r;

	probe_backing_fs(e);
	r = store_open(e->cfg.data_root, &e->store, err);
	if (r == 0 && engine_remapped(e))
		r = store_set_remap(e->store, &e->remap.map, e->remap.root_uid, e->remap.root_gid,
		                    err);
	if (r < 0)
		return r;
	/* every writer of the daemon holds a lease: deleted images free their
	 * space at once, as Docker's rmi does */
	store_set_grace(e->store, 0);
	if (want && streq(want, "overlay"))
		want = "overlay2";
	if (want && (r = store_set_driver(e->store, want, err)) < 0)
		return error_wrap(err, "storage driver \"%s\"", want);
	e->storage_driver = store_driver(e->store);
	return 0;
}

/* The networks, with daemon.json's bridge, bip, mtu, iptables and ip-forward. */
static int open_networks(struct engine *e, struct husk_error **err)
{
	json_t *f = e->cfg.file;
	struct networks_config nc = {
	        /* the configured root: the bridge and table names stay the same
	         * with and without userns-remap */
	        .data_root = e->root_base,
	        .default_root = streq(e->root_base, HUSK_DEFAULT_DATA_ROOT),
	        .bridge = json_string_value(json_object_get(f, "bridge")),
	        .bip = json_string_value(json_object_get(f, "bip")),
	        .mtu = (unsigned)json_integer_value(json_object_get(f, "mtu")),
	        .nat = !json_is_false(json_object_get(f, "iptables")),
	        .ip_forward = !json_is_false(json_object_get(f, "ip-forward")),
	};

	return networks_open(&nc, &e->networks, err);
}

int engine_open(struct engine_config *cfg, struct engine **ret, struct husk_error **err)
{
	_cleanup_(engine_freep) struct engine *e = calloc(1, sizeof(*e));
	int r;

	if (!e) {
		engine_config_release(cfg);
		return error_set(err, ENOMEM, "out of memory");
	}
	e->cfg = *cfg;
	*cfg = (struct engine_config){0};
	e->started = time(NULL);
	r = userns_remap_setup(e->cfg.userns_remap, NULL, &e->remap, err);
	if (r == 0)
		r = setup_data_root(e, err);
	if (r == 0)
		r = make_private_dir(e->cfg.exec_root, 0700, err);
	if (r == 0)
		r = load_engine_id(e, err);
	if (r == 0)
		r = cgroup_probe(NULL, NULL, &e->cgroups, err);
	if (r == 0)
		r = open_store(e, err);
	if (r == 0 && !(e->events = events_new()))
		r = error_set(err, ENOMEM, "out of memory");
	if (r == 0)
		r = volumes_open(e->cfg.data_root, &e->volumes, err);
	if (r == 0 && engine_remapped(e))
		volumes_set_owner(e->volumes, e->remap.root_uid, e->remap.root_gid);
	if (r == 0)
		r = open_networks(e, err);
	if (r == 0)
		r = containers_open(e, &e->containers, err);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(e);
	return 0;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	containers_free(e->containers);
	networks_free(e->networks);
	volumes_free(e->volumes);
	events_free(e->events);
	store_free(e->store);
	cgroup_layout_release(&e->cgroups);
	userns_remap_release(&e->remap);
	free(e->root_base);
	engine_config_release(&e->cfg);
	free(e);
}

/* A value of os-release ("KEY=value" or KEY="value"). */
static void os_release_value(const char *buf, const char *key, char *out, size_t len)
{
	_cleanup_free_ char *needle = str_printf("\n%s=", key), *text = str_printf("\n%s", buf);
	const char *p;
	size_t n;

	out[0] = 0;
	if (!needle || !text || !(p = strstr(text, needle)))
		return;
	p += strlen(needle);
	if (*p == '"' || *p == '\'')
		p++;
	n = strcspn(p, "\"'\n");
	snprintf(out, len, "%.*s", (int)n, p);
}

void engine_host_info(struct engine_host *h)
{
	_cleanup_free_ char *osr = NULL;
	struct utsname u;
	struct sysinfo si;

	*h = (struct engine_host){0};
	if (uname(&u) == 0) {
		snprintf(h->kernel, sizeof(h->kernel), "%s", u.release);
		snprintf(h->arch, sizeof(h->arch), "%s", u.machine);
		snprintf(h->hostname, sizeof(h->hostname), "%s", u.nodename);
	}
	if (read_file("/etc/os-release", 1 << 16, &osr, NULL, NULL) == 0 ||
	    read_file("/usr/lib/os-release", 1 << 16, &osr, NULL, NULL) == 0) {
		os_release_value(osr, "PRETTY_NAME", h->os_name, sizeof(h->os_name));
		os_release_value(osr, "VERSION_ID", h->os_version, sizeof(h->os_version));
	}
	h->ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (sysinfo(&si) == 0)
		h->mem_total = (uint64_t)si.totalram * si.mem_unit;
}

const char *engine_go_arch(const char *machine)
{
	static const struct {
		const char *uname, *go;
	} map[] = {
	        {"x86_64", "amd64"}, {"aarch64", "arm64"},   {"armv7l", "arm"},
	        {"i686", "386"},     {"i386", "386"},        {"ppc64le", "ppc64le"},
	        {"s390x", "s390x"},  {"riscv64", "riscv64"},
	};

	for (size_t i = 0; i < ELEMENTSOF(map); i++)
		if (streq(map[i].uname, machine))
			return map[i].go;
	return machine;
}
