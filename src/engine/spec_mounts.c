/* spec_mounts.c — a container's mounts as dockerd makes them: its parsers
 * for Binds ("src:dst[:mode]"), Mounts (bind, volume, tmpfs) and Tmpfs,
 * their checks (absolute targets, not "/", existing bind sources,
 * duplicate mount points), and the spec's "mounts": Docker's defaults
 * (filtered by user mounts, /dev/shm sized, read-only with ReadonlyRootfs),
 * the init binary, then binds, volumes, tmpfs and the resolv.conf,
 * hostname and hosts files, ordered by depth; shared and slave binds
 * checked against /proc/self/mountinfo as dockerd checks them.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "engine/spec_build_internal.h"

#define HC "HostConfig"

static const char *const propagations[] = {"private", "rprivate", "slave",
                                           "rslave",  "shared",   "rshared"};

static bool is_propagation(const char *s)
{
	for (size_t i = 0; i < ELEMENTSOF(propagations); i++)
		if (streq(s, propagations[i]))
			return true;
	return false;
}

/* Each mode kind at most once: rw/ro, z/Z, a propagation, nocopy, and a
 * consistency (macOS leftovers Docker still accepts). */
static bool valid_mount_mode(const char *mode)
{
	static const char *const kinds[][6] = {
	        {"rw", "ro", "ro-non-recursive", "ro-force-recursive", "rro", NULL},
	        {"z", "Z", NULL},
	        {"nocopy", NULL},
	        {"consistent", "cached", "delegated", NULL},
	};
	_cleanup_strv_ char **opts = NULL;
	unsigned count[ELEMENTSOF(kinds) + 1] = {0};

	if (isempty(mode))
		return true;
	if (!(opts = strv_split(mode, ",")))
		return false;
	STRV_FOREACH (o, opts) {
		size_t k = ELEMENTSOF(kinds);

		for (size_t i = 0; i < ELEMENTSOF(kinds) && k == ELEMENTSOF(kinds); i++)
			for (size_t j = 0; kinds[i][j]; j++)
				if (streq(*o, kinds[i][j]))
					k = i;
		if (k == ELEMENTSOF(kinds) && !is_propagation(*o))
			return false;
		if (++count[k] > 1)
			return false;
	}
	return true;
}

static bool mode_has(const char *mode, const char *opt)
{
	_cleanup_strv_ char **opts = mode ? strv_split(mode, ",") : NULL;

	return strv_contains(opts, opt);
}

static const char *mode_propagation(const char *mode)
{
	for (size_t i = 0; i < ELEMENTSOF(propagations); i++)
		if (mode_has(mode, propagations[i]))
			return propagations[i];
	return NULL;
}

/* The checks on a target both parsers make (errors without the prefix). */
static int check_target(const char *target, const char **ret_msg)
{
	_cleanup_free_ char *clean = NULL;

	if (isempty(target))
		return *ret_msg = "field Target must not be empty", -EINVAL;
	if (!path_is_absolute(target))
		return *ret_msg = NULL, -EINVAL; /* "must be absolute", caller formats */
	clean = path_join_in_root("/", target);
	if (clean && streq(clean, "/"))
		return *ret_msg = "invalid specification: destination can't be '/'", -EINVAL;
	return 0;
}

static int target_fail(struct husk_error **err, const char *prefix, const char *target,
                       const char *msg)
{
	if (msg)
		return sb_fail(err, "%s%s", prefix, msg);
	return sb_fail(err, "%sinvalid mount path: '%s' mount path must be absolute", prefix,
	               target);
}

int spec_parse_bind(const char *raw, struct spec_bind *ret, struct husk_error **err)
{
	_cleanup_strv_ char **f = strv_split(raw ? raw : "", ":");
	_cleanup_free_ char *prefix = NULL;
	const char *src = NULL, *dst, *mode = "", *msg;
	size_t n;

	*ret = (struct spec_bind){0};
	if (!f)
		return sb_oom(err);
	n = strv_length(f);
	if (n == 0 || isempty(f[0]) || n > 3)
		return sb_fail(err, "invalid volume specification: '%s'", raw ? raw : "");
	if (n == 2 && valid_mount_mode(f[1])) /* "/foo:rw": a volume cannot take a mode alone */
		return sb_fail(err, "invalid volume specification: '%s'", raw);
	dst = n == 1 ? f[0] : f[1];
	if (n >= 2)
		src = f[0];
	if (n == 3)
		mode = f[2];
	if (!valid_mount_mode(mode))
		return sb_fail(err, "invalid mode: %s", mode);
	ret->is_volume = !path_is_absolute(src);
	if (!(prefix = str_printf("invalid volume specification: '%s': invalid mount config for "
	                          "type \"%s\": ",
	                          raw, ret->is_volume ? "volume" : "bind")))
		return sb_oom(err);
	if (check_target(dst, &msg) < 0)
		return target_fail(err, prefix, dst, msg);
	ret->readonly = mode_has(mode, "ro") || mode_has(mode, "rro") ||
	                mode_has(mode, "ro-non-recursive") || mode_has(mode, "ro-force-recursive");
	ret->nocopy = mode_has(mode, "nocopy");
	if (!(ret->source = strdup(src ? src : "")) ||
	    !(ret->destination = path_join_in_root("/", dst)) || !(ret->mode = strdup(mode)) ||
	    (mode_propagation(mode) && !(ret->propagation = strdup(mode_propagation(mode))))) {
		spec_bind_release(ret);
		return sb_oom(err);
	}
	if (!ret->is_volume) {
		char *clean = path_join_in_root("/", ret->source);

		if (!clean) {
			spec_bind_release(ret);
			return sb_oom(err);
		}
		free(ret->source);
		ret->source = clean;
	}
	return 0;
}

void spec_bind_release(struct spec_bind *b)
{
	free(b->source);
	free(b->destination);
	free(b->propagation);
	free(b->mode);
	*b = (struct spec_bind){0};
}

/* ---- tmpfs options: moby/sys/mount's MergeTmpfsOptions ---- */

/* A mount flag's collision key (flags that set and clear the same bit
 * share one; every propagation shares -1), 0 when not a flag. */
static long tmpfs_flag_key(const char *o)
{
	static const struct {
		const char *name;
		long key;
	} flags[] = {
	        {"ro", 1},          {"rw", 1},           {"suid", 2},         {"nosuid", 2},
	        {"dev", 3},         {"nodev", 3},        {"exec", 4},         {"noexec", 4},
	        {"sync", 5},        {"async", 5},        {"dirsync", 6},      {"remount", 7},
	        {"mand", 8},        {"nomand", 8},       {"atime", 9},        {"noatime", 9},
	        {"diratime", 10},   {"nodiratime", 10},  {"bind", 11},        {"rbind", 12},
	        {"relatime", 13},   {"norelatime", 13},  {"strictatime", 14}, {"nostrictatime", 14},
	        {"unbindable", -1}, {"runbindable", -1}, {"private", -1},     {"rprivate", -1},
	        {"shared", -1},     {"rshared", -1},     {"slave", -1},       {"rslave", -1},
	};

	for (size_t i = 0; i < ELEMENTSOF(flags); i++)
		if (streq(o, flags[i].name))
			return flags[i].key;
	return 0;
}

static bool tmpfs_data_key(const char *k)
{
	static const char *const keys[] = {"size",      "mode",      "uid", "gid",
	                                   "nr_inodes", "nr_blocks", "mpol"};

	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if (streq(k, keys[i]))
			return true;
	return false;
}

/* Dockerd's tmpfs options: noexec,nosuid,nodev,rprivate then data, later
 * options winning, each kind once, order kept. */
static int tmpfs_options(const char *data, json_t **ret, struct husk_error **err)
{
	_cleanup_strv_ char **opts = strv_split("noexec,nosuid,nodev,rprivate", ",");
	_cleanup_strv_ char **extra = isempty(data) ? NULL : strv_split(data, ",");
	_cleanup_json_ json_t *out = json_array();
	_cleanup_strv_ char **seen = strv_new();
	size_t n;

	if (!opts || !out || !seen || (!isempty(data) && !extra))
		return sb_oom(err);
	STRV_FOREACH (e, extra)
		if (strv_push(&opts, *e) < 0)
			return sb_oom(err);
	n = strv_length(opts);
	for (size_t i = n; i-- > 0;) {
		const char *o = opts[i];
		long key = tmpfs_flag_key(o);
		_cleanup_free_ char *k = NULL;

		if (streq(o, "defaults"))
			continue;
		if (key)
			k = str_printf("flag:%ld", key);
		else if (strchr(o, '=') && (k = strndup(o, strcspn(o, "="))) && !tmpfs_data_key(k))
			return sb_fail(err, "invalid tmpfs option [\"%s\"]", o);
		else if (!strchr(o, '='))
			return sb_fail(err, "invalid tmpfs option [\"%s\"]", o);
		if (!k)
			return sb_oom(err);
		if (strv_contains(seen, k))
			continue;
		if (strv_push(&seen, k) < 0 || json_array_insert_new(out, 0, json_string(o)) < 0)
			return sb_oom(err);
	}
	*ret = TAKE_PTR(out);
	return 0;
}

/* Mounts[i].TmpfsOptions as dockerd's ConvertTmpfsOptions writes it. */
static int tmpfs_data(json_t *m, const char *where, bool readonly, char **ret,
                      struct husk_error **err)
{
	_cleanup_(strbuf_release) struct strbuf sb = {0};
	json_t *o = NULL, *list, *opt;
	int64_t size = 0, mode = 0;
	size_t i;

	if (sb_obj(m, where, "TmpfsOptions", &o, err) < 0 ||
	    sb_i64(o, where, "SizeBytes", &size, err) < 0 ||
	    sb_i64(o, where, "Mode", &mode, err) < 0 || sb_arr(o, where, "Options", &list, err) < 0)
		return -EINVAL;
	if (readonly)
		strbuf_puts(&sb, ",ro");
	if (mode)
		strbuf_printf(&sb, ",mode=%o", (unsigned)mode);
	if (size) {
		const char *suffix = "";

		if (size % (1 << 30) == 0)
			size /= 1 << 30, suffix = "g";
		else if (size % (1 << 20) == 0)
			size /= 1 << 20, suffix = "m";
		else if (size % (1 << 10) == 0)
			size /= 1 << 10, suffix = "k";
		strbuf_printf(&sb, ",size=%" PRId64 "%s", size, suffix);
	}
	json_array_foreach (list, i, opt) {
		const char *name = json_string_value(json_array_get(opt, 0));
		size_t n = json_array_size(opt);

		if (n < 1 || n > 2)
			return sb_fail(err, "invalid option array length");
		if (!streq(name, "exec") && !streq(name, "noexec"))
			return sb_fail(err, "invalid option: %s", name ? name : "");
		strbuf_printf(&sb, n == 2 ? ",%s=%s" : ",%s", name,
		              json_string_value(json_array_get(opt, 1)));
	}
	if (!(*ret = strdup(sb.len ? sb.buf + 1 : "")))
		return sb_oom(err);
	return 0;
}

/* ---- HostConfig.Mounts ---- */

struct user_mount {
	const char *type, *source, *target;
	bool readonly;
	json_t *bind_options, *volume_options;
};

static int read_mount(json_t *m, const char *where, struct user_mount *u, struct husk_error **err)
{
	*u = (struct user_mount){0};
	if (!json_is_object(m))
		return sb_fail(err, "%s: expected an object", where);
	if (sb_str(m, where, "Type", &u->type, err) < 0 ||
	    sb_str(m, where, "Source", &u->source, err) < 0 ||
	    sb_str(m, where, "Target", &u->target, err) < 0 ||
	    sb_bool(m, where, "ReadOnly", &u->readonly, err) < 0 ||
	    sb_obj(m, where, "BindOptions", &u->bind_options, err) < 0 ||
	    sb_obj(m, where, "VolumeOptions", &u->volume_options, err) < 0)
		return -EINVAL;
	return 0;
}

static int check_bind_mount(const struct user_mount *u, const char *where, const char *prefix,
                            struct husk_error **err)
{
	const char *prop = NULL;
	bool create = false;

	if (isempty(u->source))
		return sb_fail(err, "%sfield Source must not be empty", prefix);
	if (sb_str(u->bind_options, where, "Propagation", &prop, err) < 0 ||
	    sb_bool(u->bind_options, where, "CreateMountpoint", &create, err) < 0)
		return -EINVAL;
	if (!isempty(prop) && !is_propagation(prop))
		return sb_fail(err, "%sinvalid propagation mode: %s", prefix, prop);
	if (u->volume_options)
		return sb_fail(err, "%sfield VolumeOptions must not be specified", prefix);
	if (!path_is_absolute(u->source))
		return sb_fail(err, "%sinvalid mount path: '%s' mount path must be absolute",
		               prefix, u->source);
	if (!create && access(u->source, F_OK) < 0)
		return sb_fail(err, "%sbind mount source path does not exist: %s", prefix,
		               u->source);
	return 0;
}

static int check_volume_mount(const struct user_mount *u, const char *where, const char *prefix,
                              struct husk_error **err)
{
	const char *subpath = NULL;

	if (u->bind_options)
		return sb_fail(err, "%sfield BindOptions must not be specified", prefix);
	if (sb_str(u->volume_options, where, "Subpath", &subpath, err) < 0)
		return -EINVAL;
	if (!isempty(subpath) && isempty(u->source))
		return sb_fail(err, "%smust not set Subpath when using anonymous volumes", prefix);
	if (!isempty(subpath) &&
	    (subpath[0] == '/' || streq(subpath, "..") || startswith(subpath, "../") ||
	     strstr(subpath, "/../") || endswith(subpath, "/..")))
		return sb_fail(err, "%sSubpath must be a relative path within the volume", prefix);
	if (u->readonly && isempty(u->source))
		return sb_fail(err, "%smust not set ReadOnly mode when using anonymous volumes",
		               prefix);
	return 0;
}

/* dockerd's validateMountConfig for one entry. */
static int check_mount(json_t *m, size_t i, struct husk_error **err)
{
	_cleanup_free_ char *where = str_printf(HC ".Mounts[%zu]", i), *prefix = NULL, *data = NULL;
	struct user_mount u;
	const char *msg;

	if (!where)
		return sb_oom(err);
	if (read_mount(m, where, &u, err) < 0)
		return -EINVAL;
	if (!(prefix = str_printf("invalid mount config for type \"%s\": ", u.type ? u.type : "")))
		return sb_oom(err);
	if (check_target(u.target, &msg) < 0)
		return target_fail(err, prefix, u.target, msg);
	if (streq(u.type, "bind"))
		return check_bind_mount(&u, where, prefix, err);
	if (streq(u.type, "volume"))
		return check_volume_mount(&u, where, prefix, err);
	if (!streq(u.type, "tmpfs"))
		return sb_fail(err, "%smount type unknown", prefix);
	if (u.bind_options)
		return sb_fail(err, "%sfield BindOptions must not be specified", prefix);
	if (!isempty(u.source))
		return sb_fail(err, "%sfield Source must not be specified", prefix);
	if (tmpfs_data(m, where, u.readonly, &data, err) < 0)
		return error_wrap(err, "invalid mount config for type \"tmpfs\"");
	return 0;
}

/* Duplicates as registerMountPoints finds them: a bind twice or over a
 * Tmpfs entry, a Mounts target already bound. */
static int note_destination(char ***seen, const char *dest, json_t *tmpfs, bool is_bind,
                            struct husk_error **err)
{
	_cleanup_free_ char *clean = path_join_in_root("/", dest);

	if (!clean)
		return sb_oom(err);
	if (strv_contains(*seen, clean) || (is_bind && json_object_get(tmpfs, clean)))
		return sb_fail(err, "Duplicate mount point: %s", is_bind ? clean : dest);
	return strv_push(seen, clean) < 0 ? sb_oom(err) : 0;
}

static int check_tmpfs_map(json_t *tmpfs, struct husk_error **err)
{
	const char *dest, *msg;
	json_t *v;

	json_object_foreach (tmpfs, dest, v) {
		_cleanup_json_ json_t *opts = NULL;

		if (check_target(dest, &msg) < 0)
			return target_fail(err, "", dest, msg);
		if (tmpfs_options(json_string_value(v), &opts, err) < 0)
			return -EINVAL;
	}
	return 0;
}

int sb_check_mounts(json_t *hc, struct husk_error **err)
{
	_cleanup_strv_ char **binds = NULL, **seen = strv_new();
	json_t *mounts, *tmpfs, *m;
	size_t i;

	if (!seen)
		return sb_oom(err);
	if (sb_strv(hc, HC, "Binds", false, &binds, err) < 0 ||
	    sb_arr(hc, HC, "Mounts", &mounts, err) < 0 ||
	    sb_str_map(hc, HC, "Tmpfs", &tmpfs, err) < 0)
		return -EINVAL;
	json_array_foreach (mounts, i, m)
		if (check_mount(m, i, err) < 0)
			return -EINVAL;
	if (check_tmpfs_map(tmpfs, err) < 0)
		return -EINVAL;
	STRV_FOREACH (b, binds) {
		struct spec_bind bind;
		int r = spec_parse_bind(*b, &bind, err);

		if (r == 0)
			r = note_destination(&seen, bind.destination, tmpfs, true, err);
		spec_bind_release(&bind);
		if (r < 0)
			return r;
	}
	json_array_foreach (mounts, i, m)
		if (note_destination(&seen, json_string_value(json_object_get(m, "Target")), NULL,
		                     false, err) < 0)
			return -EINVAL;
	return 0;
}

int spec_bind_sources_create(json_t *body, struct husk_error **err)
{
	_cleanup_strv_ char **binds = NULL;

	if (sb_strv(json_object_get(body, "HostConfig"), HC, "Binds", false, &binds, err) < 0)
		return -EINVAL;
	STRV_FOREACH (b, binds) {
		struct spec_bind bind;
		int r = spec_parse_bind(*b, &bind, err);

		if (r < 0)
			return r;
		if (!bind.is_volume && access(bind.source, F_OK) < 0 &&
		    (r = mkdir_p(bind.source, 0755)) < 0)
			error_set_errno(err, -r, "create bind source \"%s\"", bind.source);
		spec_bind_release(&bind);
		if (r < 0)
			return r;
	}
	return 0;
}

/* One component of the working directory: opened inside the rootfs, made
 * in parent_fd when it is missing. A new fd or -errno. */
static int workdir_component(int rootfd, int parent_fd, const char *prefix, const char *name,
                             uint32_t uid, uint32_t gid)
{
	int fd = open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY, 0, 0);

	if (fd != -ENOENT)
		return fd;
	if (mkdirat(parent_fd, name, 0755) < 0 && errno != EEXIST)
		return -errno;
	fd = open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY, 0, 0);
	if (fd >= 0 && fchownat(fd, "", uid, gid, AT_EMPTY_PATH) < 0) {
		safe_close(fd);
		return -errno;
	}
	return fd;
}

int spec_workdir_create(json_t *body, int rootfs_fd, uint32_t uid, uint32_t gid,
                        struct husk_error **err)
{
	const char *wd = NULL;
	_cleanup_free_ char *clean = NULL;
	_cleanup_strv_ char **parts = NULL;
	_cleanup_(strbuf_release) struct strbuf prefix = {0};
	_cleanup_close_ int parent = -1;

	if (sb_str(body, "", "WorkingDir", &wd, err) < 0)
		return -EINVAL;
	if (isempty(wd))
		return 0;
	if (!(clean = path_join_in_root("/", wd)) || !(parts = strv_split(clean, "/")) ||
	    (parent = fcntl(rootfs_fd, F_DUPFD_CLOEXEC, 3)) < 0)
		return parent < 0 && clean && parts ? error_set_errno(err, errno, "rootfs fd")
		                                    : sb_oom(err);
	STRV_FOREACH (p, parts) {
		int fd;

		if (isempty(*p))
			continue;
		if (strbuf_printf(&prefix, "/%s", *p) < 0)
			return sb_oom(err);
		fd = workdir_component(rootfs_fd, parent, prefix.buf, *p, uid, gid);
		if (fd < 0)
			return error_set_errno(err, -fd, "create the working directory \"%s\"",
			                       prefix.buf);
		safe_close(parent);
		parent = fd;
	}
	return 0;
}

/* ---- the spec's mounts ---- */

/* Docker's default mounts; /dev/shm gets its size later. */
static json_t *default_mounts(void)
{
	return json_pack("[{s:s, s:s, s:s, s:[s,s,s]},"
	                 " {s:s, s:s, s:s, s:[s,s,s,s]},"
	                 " {s:s, s:s, s:s, s:[s,s,s,s,s,s]},"
	                 " {s:s, s:s, s:s, s:[s,s,s,s]},"
	                 " {s:s, s:s, s:s, s:[s,s,s,s]},"
	                 " {s:s, s:s, s:s, s:[s,s,s]},"
	                 " {s:s, s:s, s:s, s:[s,s,s,s]}]",
	                 "destination", "/proc", "type", "proc", "source", "proc", "options",
	                 "nosuid", "noexec", "nodev", "destination", "/dev", "type", "tmpfs",
	                 "source", "tmpfs", "options", "nosuid", "strictatime", "mode=755",
	                 "size=65536k", "destination", "/dev/pts", "type", "devpts", "source",
	                 "devpts", "options", "nosuid", "noexec", "newinstance", "ptmxmode=0666",
	                 "mode=0620", "gid=5", "destination", "/sys", "type", "sysfs", "source",
	                 "sysfs", "options", "nosuid", "noexec", "nodev", "ro", "destination",
	                 "/sys/fs/cgroup", "type", "cgroup", "source", "cgroup", "options", "ro",
	                 "nosuid", "noexec", "nodev", "destination", "/dev/mqueue", "type",
	                 "mqueue", "source", "mqueue", "options", "nosuid", "noexec", "nodev",
	                 "destination", "/dev/shm", "type", "tmpfs", "source", "shm", "options",
	                 "nosuid", "noexec", "nodev", "mode=1777");
}

static size_t depth(const char *dest)
{
	size_t n = 0;

	for (const char *p = dest; *p; p++)
		n += *p == '/';
	return n;
}

/* The user mounts being collected, in order. */
struct mlist {
	json_t *a; /* mount objects */
	const char *root_propagation;
	bool rro; /* read-only binds recursively read-only unless they say otherwise */
};

/* mount_setattr(2), which "rro" needs, came with Linux 5.12. */
#define KERNEL_RRO ((5u << 16) | 12u)

static json_t *find_dest(json_t *a, const char *dest)
{
	json_t *m;
	size_t i;

	json_array_foreach (a, i, m)
		if (streq(json_string_value(json_object_get(m, "destination")), dest))
			return m;
	return NULL;
}

/* /proc/self/mountinfo: the mount holding path (the longest mount point
 * that is a prefix, the last such line when mounts stack) and its
 * optional fields. */
static int source_mount(const char *path, char **ret_point, char **ret_optional)
{
	_cleanup_free_ char *resolved = realpath(path, NULL), *buf = NULL;
	_cleanup_strv_ char **lines = NULL;
	size_t best = 0;

	if (!resolved)
		return -errno;
	if (read_file("/proc/self/mountinfo", 16u << 20, &buf, NULL, NULL) < 0 ||
	    !(lines = strv_split(buf, "\n")))
		return -EIO;
	STRV_FOREACH (l, lines) {
		_cleanup_strv_ char **f = strv_split(*l, " ");
		_cleanup_(strbuf_release) struct strbuf opt = {0};
		size_t n = strv_length(f), len;

		if (n < 7)
			continue;
		len = strlen(f[4]);
		if (!(streq(f[4], "/") || (startswith(resolved, f[4]) &&
		                           (resolved[len] == '/' || resolved[len] == '\0'))) ||
		    len < best)
			continue;
		for (size_t i = 6; i < n && !streq(f[i], "-"); i++)
			strbuf_printf(&opt, "%s%s", opt.len ? " " : "", f[i]);
		best = len;
		free(*ret_point);
		free(*ret_optional);
		*ret_point = strdup(f[4]);
		*ret_optional = strbuf_steal(&opt);
	}
	return *ret_point ? 0 : -ENOENT;
}

/* ensureShared / ensureSharedOrSlave */
static int check_source_propagation(const char *source, bool slave_ok, struct husk_error **err)
{
	_cleanup_free_ char *point = NULL, *optional = NULL;
	int r = source_mount(source, &point, &optional);

	if (r < 0)
		return error_set_errno(err, -r, "find the mount of \"%s\"", source);
	if (!optional)
		return sb_oom(err);
	if (strstr(optional, "shared:") || (slave_ok && strstr(optional, "master:")))
		return 0;
	return sb_fail(err, "path %s is mounted on %s but it is not a shared%s mount", source,
	               point, slave_ok ? " or slave" : "");
}

/* The root propagation a bind's propagation requires (WithMounts). */
static int bind_propagation(struct mlist *l, const char *source, const char *prop,
                            struct husk_error **err)
{
	const char *root = l->root_propagation;
	bool root_shared = streq(root, "shared") || streq(root, "rshared");

	if (streq(prop, "shared") || streq(prop, "rshared")) {
		if (check_source_propagation(source, false, err) < 0)
			return -EINVAL;
		if (!root_shared)
			l->root_propagation = "shared";
	} else if (streq(prop, "slave") || streq(prop, "rslave")) {
		if (check_source_propagation(source, true, err) < 0)
			return -EINVAL;
		if (!root_shared && !streq(root, "slave") && !streq(root, "rslave"))
			l->root_propagation = "rslave";
	}
	return 0;
}

struct bind_req {
	const char *source, *dest, *propagation;
	bool readonly, nonrecursive, force_rro;
	const char *const *extra;
};

static int add_bind(struct mlist *l, const struct bind_req *b, struct husk_error **err)
{
	json_t *opts = json_array(), *m;

	if (!opts ||
	    json_array_append_new(opts, json_string(b->nonrecursive ? "bind" : "rbind")) < 0 ||
	    (b->readonly && json_array_append_new(opts, json_string("ro")) < 0) ||
	    (b->force_rro && json_array_append_new(opts, json_string("rro")) < 0) ||
	    (b->propagation && json_array_append_new(opts, json_string(b->propagation)) < 0)) {
		json_decref(opts);
		return sb_oom(err);
	}
	for (const char *const *e = b->extra; e && *e; e++)
		if (json_array_append_new(opts, json_string(*e)) < 0) {
			json_decref(opts);
			return sb_oom(err);
		}
	m = json_pack("{s:s, s:s, s:s, s:o}", "destination", b->dest, "type", "bind", "source",
	              b->source, "options", opts);
	if (!m || json_array_append_new(l->a, m) < 0)
		return sb_oom(err);
	return b->propagation ? bind_propagation(l, b->source, b->propagation, err) : 0;
}

static int add_tmpfs(struct mlist *l, const char *dest, const char *data, struct husk_error **err)
{
	json_t *opts = NULL, *m;

	if (tmpfs_options(data, &opts, err) < 0)
		return -EINVAL;
	m = json_pack("{s:s, s:s, s:s, s:o}", "destination", dest, "type", "tmpfs", "source",
	              "tmpfs", "options", opts);
	if (!m || json_array_append_new(l->a, m) < 0)
		return sb_oom(err);
	return 0;
}

/* The engine's mounts: volumes as binds (no propagation unless given). */
static int engine_mounts(struct mlist *l, const struct spec_input *in, struct husk_error **err)
{
	for (size_t i = 0; i < in->n_mounts; i++) {
		const struct spec_mount *m = &in->mounts[i];
		_cleanup_free_ char *dest = NULL, *data = NULL;
		int r;

		if (!path_is_absolute(m->destination))
			return sb_fail(err,
			               "mount %zu: invalid mount path: '%s' mount path must be "
			               "absolute",
			               i, m->destination ? m->destination : "");
		if (!(dest = path_join_in_root("/", m->destination)))
			return sb_oom(err);
		if (find_dest(l->a, dest))
			continue;
		if (streq(m->type, "tmpfs")) {
			_cleanup_strv_ char **opts =
			        m->options ? strv_copy((char *const *)m->options) : strv_new();

			if (!opts || (m->readonly && strv_push(&opts, "ro") < 0) ||
			    !(data = strv_join(opts, ",")))
				return sb_oom(err);
			r = add_tmpfs(l, dest, data, err);
		} else {
			struct bind_req b = {m->source,       dest,  m->propagation, m->readonly,
			                     m->nonrecursive, false, m->options};

			if (!path_is_absolute(m->source))
				return sb_fail(err,
				               "mount %zu: source \"%s\" is not an absolute path",
				               i, m->source ? m->source : "");
			r = add_bind(l, &b, err);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* Binds of host paths; volumes come from the engine. */
static int body_binds(struct mlist *l, json_t *hc, struct husk_error **err)
{
	_cleanup_strv_ char **binds = NULL;
	int r = 0;

	if (sb_strv(hc, HC, "Binds", false, &binds, err) < 0)
		return -EINVAL;
	STRV_FOREACH (s, binds) {
		struct spec_bind b;

		if ((r = spec_parse_bind(*s, &b, err)) < 0)
			return r;
		if (!b.is_volume && !find_dest(l->a, b.destination)) {
			bool force =
			        mode_has(b.mode, "rro") || mode_has(b.mode, "ro-force-recursive");
			struct bind_req req = {
			        b.source,
			        b.destination,
			        b.propagation ? b.propagation : "rprivate",
			        b.readonly,
			        false,
			        force || (b.readonly && l->rro && !mode_has(b.mode, "ro-non-recursive")),
			        NULL};

			r = add_bind(l, &req, err);
		}
		spec_bind_release(&b);
		if (r < 0)
			return r;
	}
	return 0;
}

static int body_mount(struct mlist *l, json_t *m, size_t i, struct husk_error **err)
{
	_cleanup_free_ char *where = str_printf(HC ".Mounts[%zu]", i), *dest = NULL, *data = NULL;
	const char *prop = NULL;
	bool nonrec = false, rro = false, ro_nonrec = false;
	struct user_mount u;

	if (!where)
		return sb_oom(err);
	if (read_mount(m, where, &u, err) < 0)
		return -EINVAL;
	if (!(dest = path_join_in_root("/", u.target ? u.target : "")))
		return sb_oom(err);
	if (find_dest(l->a, dest) || streq(u.type, "volume"))
		return 0;
	if (streq(u.type, "tmpfs"))
		return tmpfs_data(m, where, u.readonly, &data, err) < 0
		               ? -EINVAL
		               : add_tmpfs(l, dest, data, err);
	if (sb_str(u.bind_options, where, "Propagation", &prop, err) < 0 ||
	    sb_bool(u.bind_options, where, "NonRecursive", &nonrec, err) < 0 ||
	    sb_bool(u.bind_options, where, "ReadOnlyForceRecursive", &rro, err) < 0 ||
	    sb_bool(u.bind_options, where, "ReadOnlyNonRecursive", &ro_nonrec, err) < 0)
		return -EINVAL;
	/* dockerd's words; a forced read-only bind is never quietly writable */
	if (rro && ro_nonrec)
		return error_set(err, EINVAL,
		                 "mount options conflict: ReadOnlyNonRecursive && "
		                 "BindOptions.ReadOnlyForceRecursive");
	if ((rro || ro_nonrec) && !u.readonly)
		return error_set(err, EINVAL, "mount options conflict: !ReadOnly && BindOptions.%s",
		                 rro ? "ReadOnlyForceRecursive" : "ReadOnlyNonRecursive");
	struct bind_req b = {u.source,   dest,   isempty(prop) ? "rprivate" : prop,
	                     u.readonly, nonrec, u.readonly && (rro || (l->rro && !ro_nonrec)),
	                     NULL};
	return add_bind(l, &b, err);
}

static int body_tmpfs(struct mlist *l, json_t *hc, struct husk_error **err)
{
	json_t *tmpfs = json_object_get(hc, "Tmpfs"), *v;
	const char *dest;

	json_object_foreach (tmpfs, dest, v) {
		_cleanup_free_ char *clean = path_join_in_root("/", dest);

		if (!clean)
			return sb_oom(err);
		if (!find_dest(l->a, clean) && add_tmpfs(l, clean, json_string_value(v), err) < 0)
			return -EINVAL;
	}
	return 0;
}

/* resolv.conf, hostname, hosts: writable unless the rootfs is read-only. */
static int network_files(struct mlist *l, const struct spec_input *in, bool ro_rootfs,
                         struct husk_error **err)
{
	const char *files[][2] = {{in->resolv_path, "/etc/resolv.conf"},
	                          {in->hostname_path, "/etc/hostname"},
	                          {in->hosts_path, "/etc/hosts"}};

	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		struct bind_req b = {files[i][0], files[i][1], "rprivate", ro_rootfs,
		                     false,       false,       NULL};

		if (files[i][0] && !find_dest(l->a, files[i][1]) && add_bind(l, &b, err) < 0)
			return -EINVAL;
	}
	return 0;
}

/* /dev/shm from the host (IpcMounts): a shareable or joined IPC
 * namespace's directory, or the host's own for IpcMode host. */
static int shm_mount(struct mlist *l, const struct spec_input *in, const char *ipc,
                     struct husk_error **err)
{
	const char *src = in->shm_path;

	if (!src && sb_mode_host(ipc))
		src = "/dev/shm";
	if (!src && sb_mode_container(ipc))
		return sb_fail(err,
		               "IpcMode \"%s\": the other container's /dev/shm is needed "
		               "(shm_path)",
		               ipc);
	if (!src || streq(ipc, "none") || find_dest(l->a, "/dev/shm"))
		return 0;
	struct bind_req b = {src, "/dev/shm", "rprivate", false, false, false, NULL};
	return add_bind(l, &b, err);
}

/* Stable sort by the number of path components (dockerd's mounts.Less). */
static int sort_by_depth(json_t *a, json_t **ret)
{
	json_t *out = json_array();
	size_t maxd = 0, i;
	json_t *m;

	if (!out)
		return -ENOMEM;
	json_array_foreach (a, i, m)
		maxd = MAX(maxd, depth(json_string_value(json_object_get(m, "destination"))));
	for (size_t d = 0; d <= maxd; d++)
		json_array_foreach (a, i, m)
			if (depth(json_string_value(json_object_get(m, "destination"))) == d &&
			    json_array_append(out, m) < 0) {
				json_decref(out);
				return -ENOMEM;
			}
	*ret = out;
	return 0;
}

static void remove_option(json_t *opts, const char *o)
{
	json_t *v;
	size_t i;

	json_array_foreach (opts, i, v)
		if (streq(json_string_value(v), o)) {
			json_array_remove(opts, i);
			return;
		}
}

static bool has_option(json_t *opts, const char *o)
{
	json_t *v;
	size_t i;

	json_array_foreach (opts, i, v)
		if (streq(json_string_value(v), o))
			return true;
	return false;
}

struct defaults_ctx {
	const struct spec_input *in;
	json_t *user;
	const char *ipc;
	int64_t shm_size;
	bool privileged, ro_rootfs;
};

/* Docker's defaults minus those a user mount replaces (everything under
 * /dev when /dev is), /dev/shm sized or dropped. */
static int filtered_defaults(const struct defaults_ctx *c, json_t *out, struct husk_error **err)
{
	_cleanup_json_ json_t *defs = default_mounts();
	bool user_dev = find_dest(c->user, "/dev") != NULL;
	json_t *m;
	size_t i;

	if (!defs)
		return sb_oom(err);
	json_array_foreach (defs, i, m) {
		const char *dest = json_string_value(json_object_get(m, "destination"));
		char size[40];

		if (find_dest(c->user, dest) || (user_dev && startswith(dest, "/dev/")))
			continue;
		if (streq(dest, "/dev/shm")) {
			if (streq(c->ipc, "none"))
				continue;
			snprintf(size, sizeof(size), "size=%" PRId64, c->shm_size);
			if (json_array_append_new(json_object_get(m, "options"),
			                          json_string(size)) < 0)
				return sb_oom(err);
		}
		if (json_array_append(out, m) < 0)
			return sb_oom(err);
	}
	return 0;
}

/* After the read-only pass, as WithMounts orders it: Privileged gets a
 * writable /sys, and /sys/fs/cgroup stays writable for Privileged and
 * under userns-remap (no remount in a user namespace). */
static void writable_sys(const struct defaults_ctx *c, json_t *mounts, size_t n_defaults)
{
	for (size_t i = 0; i < n_defaults; i++) {
		json_t *m = json_array_get(mounts, i), *opts = json_object_get(m, "options");

		if (streq(json_string_value(json_object_get(m, "destination")), "/sys") &&
		    c->privileged)
			remove_option(opts, "ro");
		if (streq(json_string_value(json_object_get(m, "type")), "cgroup") &&
		    (c->privileged || c->in->n_uid_map))
			remove_option(opts, "ro");
	}
}

static int ro_defaults(json_t *mounts, size_t n_defaults, struct husk_error **err)
{
	static const char *const keep_rw[] = {"/proc", "/dev/pts", "/dev/shm", "/dev/mqueue",
	                                      "/dev"};

	for (size_t i = 0; i < n_defaults; i++) {
		json_t *m = json_array_get(mounts, i), *opts = json_object_get(m, "options");
		const char *dest = json_string_value(json_object_get(m, "destination"));
		bool keep = false;

		for (size_t k = 0; k < ELEMENTSOF(keep_rw); k++)
			keep = keep || streq(dest, keep_rw[k]);
		if (!keep && !has_option(opts, "ro") &&
		    json_array_append_new(opts, json_string("ro")) < 0)
			return sb_oom(err);
	}
	return 0;
}

static int init_mount(const struct spec_input *in, json_t *hc, json_t *user, json_t *out,
                      struct husk_error **err)
{
	const char *pid = NULL;
	bool init = false;

	if (sb_bool(hc, HC, "Init", &init, err) < 0 || sb_str(hc, HC, "PidMode", &pid, err) < 0)
		return -EINVAL;
	if (!init || sb_mode_host(pid) || sb_mode_container(pid) || find_dest(user, SPEC_INIT_PATH))
		return 0;
	if (!in->init_path)
		return sb_fail(err, "HostConfig.Init: no init binary to bind at %s",
		               SPEC_INIT_PATH);
	if (json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:[s,s]}", "destination",
	                                         SPEC_INIT_PATH, "type", "bind", "source",
	                                         in->init_path, "options", "bind", "ro")) < 0)
		return sb_oom(err);
	return 0;
}

static int collect_user_mounts(const struct spec_input *in, json_t *hc, const char *ipc,
                               bool ro_rootfs, struct mlist *l, struct husk_error **err)
{
	json_t *mounts, *m;
	size_t i;

	if (sb_arr(hc, HC, "Mounts", &mounts, err) < 0)
		return -EINVAL;
	/* The engine's first: they replace body entries at the same place. */
	if (engine_mounts(l, in, err) < 0 || body_binds(l, hc, err) < 0)
		return -EINVAL;
	json_array_foreach (mounts, i, m)
		if (body_mount(l, m, i, err) < 0)
			return -EINVAL;
	if (network_files(l, in, ro_rootfs, err) < 0 || shm_mount(l, in, ipc, err) < 0 ||
	    body_tmpfs(l, hc, err) < 0)
		return -EINVAL;
	return 0;
}

int sb_build_mounts(const struct spec_input *in, const struct spec_host *h, json_t *hc,
                    json_t **ret_mounts, const char **ret_propagation, struct husk_error **err)
{
	_cleanup_json_ json_t *out = json_array(), *sorted = NULL;
	struct mlist l = {.a = json_array(),
	                  .root_propagation = "rprivate",
	                  /* dockerd's default is best effort: plain ro where
	                   * the kernel (or a seccomp filter) refuses */
	                  .rro = in->ro_recursive && h->kernel >= KERNEL_RRO && h->mount_setattr};
	struct defaults_ctx c = {.in = in, .shm_size = SPEC_DEFAULT_SHM_SIZE};
	size_t n_defaults;
	int r = -EINVAL;

	if (!out || !l.a) {
		r = sb_oom(err);
		goto done;
	}
	if (sb_str(hc, HC, "IpcMode", &c.ipc, err) < 0 ||
	    sb_i64(hc, HC, "ShmSize", &c.shm_size, err) < 0 ||
	    sb_bool(hc, HC, "Privileged", &c.privileged, err) < 0 ||
	    sb_bool(hc, HC, "ReadonlyRootfs", &c.ro_rootfs, err) < 0)
		goto done;
	if (c.shm_size <= 0)
		c.shm_size = SPEC_DEFAULT_SHM_SIZE;
	if (collect_user_mounts(in, hc, c.ipc, c.ro_rootfs, &l, err) < 0)
		goto done;
	c.user = l.a;
	if (filtered_defaults(&c, out, err) < 0 || init_mount(in, hc, l.a, out, err) < 0)
		goto done;
	n_defaults = json_array_size(out);
	if (c.ro_rootfs && ro_defaults(out, n_defaults, err) < 0)
		goto done;
	writable_sys(&c, out, n_defaults);
	if (sort_by_depth(l.a, &sorted) < 0 || json_array_extend(out, sorted) < 0) {
		r = sb_oom(err);
		goto done;
	}
	*ret_mounts = TAKE_PTR(out);
	*ret_propagation = l.root_propagation;
	r = 0;
done:
	json_decref(l.a);
	return r;
}
