/* spec_devices.c — HostConfig.Devices and DeviceCgroupRules: their syntax
 * (the docker CLI's and dockerd's rules), the device nodes they name
 * (stat on the host, a directory gives every device below it, as
 * dockerd's DevicesFromPath), every host device for Privileged (as
 * containerd's HostDevices), and the device cgroup rules: Docker's
 * defaults, the devices, the rules, then runc's defaults.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "base/fs.h"
#include "engine/spec_build_internal.h"

#define HC               "HostConfig"
#define MAX_WALK_DEPTH   8
#define MAX_WALK_ENTRIES 65536 /* a directory mapping walks at most this much */
#define MAX_DEVICES      4096

struct dev_map {
	const char *host, *ctr, *perms;
};

/* r, w and m, each at most once, at least one. */
static bool valid_device_mode(const char *mode)
{
	bool seen[3] = {false};

	if (isempty(mode))
		return false;
	for (const char *p = mode; *p; p++) {
		const char *at = strchr("rwm", *p);

		if (!*p || !at || seen[at - "rwm"])
			return false;
		seen[at - "rwm"] = true;
	}
	return true;
}

/* The CLI's "/dev/x[:/dev/y][:rwm]" (a string entry), split in place as
 * its parseLinuxDevice splits it. */
static int parse_device_string(char *s, struct dev_map *d, struct husk_error **err)
{
	char *f[3] = {s, NULL, NULL};
	size_t n = 1;

	for (char *p = s; *p; p++)
		if (*p == ':' && n++ < 3)
			f[n - 1] = p + 1;
	if (n > 3)
		return sb_fail(err, "invalid device specification: %s", s);
	for (size_t i = 1; i < n; i++)
		f[i][-1] = '\0';
	*d = (struct dev_map){.host = f[0], .perms = n == 3 ? f[2] : "rwm"};
	if (n >= 2 && valid_device_mode(f[1]))
		d->perms = f[1];
	else if (n >= 2)
		d->ctr = f[1];
	return 0;
}

/* Entry i of HostConfig.Devices: {PathOnHost, PathInContainer,
 * CgroupPermissions}, or a CLI string. *buf keeps a string's copy. */
static int device_entry(json_t *item, size_t i, struct dev_map *d, char **buf,
                        struct husk_error **err)
{
	_cleanup_free_ char *where = str_printf(HC ".Devices[%zu]", i);

	if (!where)
		return sb_oom(err);
	*d = (struct dev_map){0};
	if (json_is_string(item)) {
		if (!(*buf = strdup(json_string_value(item))))
			return sb_oom(err);
		if (parse_device_string(*buf, d, err) < 0)
			return -EINVAL;
	} else if (!json_is_object(item)) {
		return sb_fail(err, "%s: expected an object", where);
	} else if (sb_str(item, where, "PathOnHost", &d->host, err) < 0 ||
	           sb_str(item, where, "PathInContainer", &d->ctr, err) < 0 ||
	           sb_str(item, where, "CgroupPermissions", &d->perms, err) < 0) {
		return -EINVAL;
	}
	if (isempty(d->ctr))
		d->ctr = d->host;
	if (isempty(d->perms))
		d->perms = "rwm";
	if (isempty(d->host) || !path_is_absolute(d->host))
		return sb_fail(err,
		               "invalid device specification: \"%s\": the host path must be "
		               "absolute",
		               d->host ? d->host : "");
	if (!path_is_absolute(d->ctr))
		return sb_fail(err, "bad format for path: %s", d->ctr);
	if (!valid_device_mode(d->perms))
		return sb_fail(err, "bad mode specified: %s", d->perms);
	return 0;
}

/* Docker's rule syntax: "a", or "[acb] MAJ:MIN [rwm]{1,3}" with * for any;
 * majors fit in a signed 12-bit number and minors in 20 bits, as its
 * ParseInt bit sizes make them. *all: the rule was "a". */
static int parse_cgroup_rule(const char *rule, json_t **ret, bool *all, struct husk_error **err)
{
	char type, maj[16], min[16], access[8];
	int64_t v[2] = {-1, -1};
	const char *num[2] = {maj, min};
	int end = 0;

	*all = false;
	if (streq(rule, "a") || streq(rule, "a *:* rwm")) {
		*all = true;
		*ret = json_pack("{s:b, s:s, s:I, s:I, s:s}", "allow", 1, "type", "a", "major",
		                 (json_int_t)-1, "minor", (json_int_t)-1, "access", "rwm");
		return *ret ? 0 : sb_oom(err);
	}
	if (sscanf(rule, "%c %15[0-9*]:%15[0-9*] %7[rwm]%n", &type, maj, min, access, &end) != 4 ||
	    rule[end] || !strchr("acb", type) || strlen(access) > 3)
		return sb_fail(err, "invalid device cgroup rule format: '%s'", rule);
	if (type == 'a')
		return sb_fail(err,
		               "although this cgroup rule is technically correct, because 'a' "
		               "maps to 'a *:* rwm' regardless of what comes next, this format "
		               "is partially ineffective: '%s'",
		               rule);
	for (int k = 0; k < 2; k++) {
		if (streq(num[k], "*"))
			continue;
		if (strchr(num[k], '*') || str_to_int64(num[k], &v[k]) < 0 ||
		    v[k] > (k == 0 ? 2047 : 524287))
			return sb_fail(err, "invalid %s value in device cgroup rule format: '%s'",
			               k == 0 ? "major" : "minor", rule);
	}
	*ret = json_pack("{s:b, s:s#, s:I, s:I, s:s}", "allow", 1, "type", &type, (size_t)1,
	                 "major", (json_int_t)v[0], "minor", (json_int_t)v[1], "access", access);
	return *ret ? 0 : sb_oom(err);
}

int sb_check_devices(json_t *hc, struct husk_error **err)
{
	_cleanup_strv_ char **rules = NULL;
	json_t *a, *item;
	size_t i;

	if (sb_arr(hc, HC, "Devices", &a, err) < 0)
		return -EINVAL;
	json_array_foreach (a, i, item) {
		_cleanup_free_ char *buf = NULL;
		struct dev_map d;

		if (device_entry(item, i, &d, &buf, err) < 0)
			return -EINVAL;
	}
	if (sb_strv(hc, HC, "DeviceCgroupRules", false, &rules, err) < 0)
		return -EINVAL;
	STRV_FOREACH (r, rules) {
		_cleanup_json_ json_t *rule = NULL;
		bool all;

		if (parse_cgroup_rule(*r, &rule, &all, err) < 0)
			return -EINVAL;
	}
	return 0;
}

/* ---- device nodes ---- */

/* containerd's DeviceFromPath: lstat, a char or block node with a major. */
static int device_stat(const char *path, struct stat *st)
{
	if (lstat(path, st) < 0)
		return -errno;
	if ((!S_ISCHR(st->st_mode) && !S_ISBLK(st->st_mode)) || major(st->st_rdev) == 0)
		return -ENODEV;
	return 0;
}

static int add_device(json_t *devs, json_t *rules, const char *ctr_path, const struct stat *st,
                      const char *perms)
{
	const char *type = S_ISBLK(st->st_mode) ? "b" : "c";
	json_int_t maj = (json_int_t)major(st->st_rdev), min = (json_int_t)minor(st->st_rdev);

	if (json_array_size(devs) >= MAX_DEVICES || json_array_size(rules) >= MAX_DEVICES)
		return -E2BIG;
	if (devs &&
	    (json_array_append_new(
	             devs, json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "path", ctr_path,
	                             "type", type, "major", maj, "minor", min, "fileMode",
	                             (json_int_t)(st->st_mode & 07777), "uid",
	                             (json_int_t)st->st_uid, "gid", (json_int_t)st->st_gid)) < 0))
		return -ENOMEM;
	if (rules && perms &&
	    json_array_append_new(rules,
	                          json_pack("{s:b, s:s, s:I, s:I, s:s}", "allow", 1, "type", type,
	                                    "major", maj, "minor", min, "access", perms)) < 0)
		return -ENOMEM;
	return 0;
}

/* Directories containerd's HostDevices never descends into. */
static bool skip_dir(const char *name)
{
	static const char *const skip[] = {"pts",  "shm",         "fd",   "mqueue",
	                                   ".lxc", ".lxd-mounts", ".udev"};

	for (size_t i = 0; i < ELEMENTSOF(skip); i++)
		if (streq(name, skip[i]))
			return true;
	return false;
}

struct walk {
	const char *perms; /* NULL: no rules */
	bool host_walk;    /* containerd's HostDevices skips (Privileged) */
	json_t *devs, *rules;
	size_t visited;
};

/* Every device node below host_dir, at ctr_dir + the rest of its path.
 * Unreadable entries are skipped; symlinks are not followed (lstat).
 * -E2BIG past MAX_WALK_ENTRIES entries or MAX_DEVICES devices. */
static int walk_devices(struct walk *w, const char *host_dir, const char *ctr_dir, unsigned depth)
{
	DIR *d;
	struct dirent *e;
	int r = 0;

	if (depth > MAX_WALK_DEPTH || !(d = opendir(host_dir)))
		return 0;
	while (r >= 0 && (e = readdir(d))) {
		_cleanup_free_ char *hp = NULL, *cp = NULL;
		struct stat st;

		if (streq(e->d_name, ".") || streq(e->d_name, ".."))
			continue;
		if (++w->visited > MAX_WALK_ENTRIES) {
			r = -E2BIG;
			break;
		}
		if (!(hp = path_join(host_dir, e->d_name)) ||
		    !(cp = path_join(ctr_dir, e->d_name))) {
			r = -ENOMEM;
			break;
		}
		if (lstat(hp, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (!w->host_walk || !skip_dir(e->d_name))
				r = walk_devices(w, hp, cp, depth + 1);
			continue;
		}
		if (w->host_walk && streq(e->d_name, "console"))
			continue;
		if (device_stat(hp, &st) == 0)
			r = add_device(w->devs, w->rules, cp, &st, w->perms);
	}
	closedir(d);
	return r;
}

static int walk_fail(struct husk_error **err, int r, const char *path)
{
	if (r == -E2BIG)
		return error_set(err, E2BIG,
		                 "error gathering device information while adding custom device "
		                 "\"%s\": more than %d devices or %d entries under it",
		                 path, MAX_DEVICES, MAX_WALK_ENTRIES);
	return sb_oom(err);
}

/* dockerd's DevicesFromPath: the node (a symlink resolved first), or every
 * device under a directory. */
static int devices_from_path(const struct dev_map *d, json_t *devs, json_t *rules,
                             struct husk_error **err)
{
	_cleanup_free_ char *resolved = realpath(d->host, NULL);
	const char *p = resolved ? resolved : d->host;
	size_t before = devs ? json_array_size(devs) : 0, rules_before = json_array_size(rules);
	struct stat st;
	int r = device_stat(p, &st);

	if (r == 0)
		return (r = add_device(devs, rules, d->ctr, &st, d->perms)) < 0
		               ? walk_fail(err, r, d->host)
		               : 0;
	if (r == -ENODEV && stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
		struct walk w = {d->perms, false, devs, rules, 0};
		int k = walk_devices(&w, p, d->ctr, 0);

		if (k < 0)
			return walk_fail(err, k, d->host);
		if ((devs ? json_array_size(devs) > before : false) ||
		    json_array_size(rules) > rules_before)
			return 0;
	}
	return error_set(err, r == -ENODEV ? EINVAL : -r,
	                 "error gathering device information while adding custom device \"%s\": %s",
	                 d->host, r == -ENODEV ? "not a device node" : strerror(-r));
}

/* Docker's default rules (its DefaultLinuxSpec). */
static int docker_default_rules(json_t *rules)
{
	static const int allow[][2] = {{1, 5}, {1, 3}, {1, 9}, {1, 8}, {5, 0}, {5, 1}};
	int r = json_array_append_new(rules, json_pack("{s:b, s:s}", "allow", 0, "access", "rwm"));

	for (size_t i = 0; r >= 0 && i < ELEMENTSOF(allow); i++)
		r = json_array_append_new(rules, json_pack("{s:b, s:s, s:i, s:i, s:s}", "allow", 1,
		                                           "type", "c", "major", allow[i][0],
		                                           "minor", allow[i][1], "access", "rwm"));
	/* fuse stays denied */
	if (r >= 0)
		r = json_array_append_new(rules, json_pack("{s:b, s:s, s:i, s:i, s:s}", "allow", 0,
		                                           "type", "c", "major", 10, "minor", 229,
		                                           "access", "rwm"));
	return r;
}

/* runc's AllowedDevices, which runc appends to every spec's rules: mknod
 * of anything, the standard nodes, ptys, ptmx, tun. */
static int runc_default_rules(json_t *rules)
{
	static const struct {
		const char *type;
		int major, minor;
		const char *access;
	} allow[] = {
	        {"c", -1, -1, "m"}, {"b", -1, -1, "m"},    {"c", 1, 3, "rwm"},
	        {"c", 1, 8, "rwm"}, {"c", 1, 7, "rwm"},    {"c", 5, 0, "rwm"},
	        {"c", 1, 5, "rwm"}, {"c", 1, 9, "rwm"},    {"c", 136, -1, "rwm"},
	        {"c", 5, 2, "rwm"}, {"c", 10, 200, "rwm"},
	};
	int r = 0;

	for (size_t i = 0; r >= 0 && i < ELEMENTSOF(allow); i++)
		r = json_array_append_new(rules,
		                          json_pack("{s:b, s:s, s:i, s:i, s:s}", "allow", 1, "type",
		                                    allow[i].type, "major", allow[i].major, "minor",
		                                    allow[i].minor, "access", allow[i].access));
	return r;
}

static int privileged_devices(json_t *hc, json_t *devs, json_t *rules, struct husk_error **err)
{
	json_t *a = json_object_get(hc, "Devices"), *item;
	struct walk w = {NULL, true, devs, NULL, 0};
	size_t i;
	int k;

	if (devs && (k = walk_devices(&w, "/dev", "/dev", 0)) < 0)
		return walk_fail(err, k, "/dev");
	/* Mappings to another path still get their node; rules: everything. */
	json_array_foreach (a, i, item) {
		_cleanup_free_ char *buf = NULL;
		struct dev_map d;
		int r;

		if (device_entry(item, i, &d, &buf, err) < 0)
			return -EINVAL;
		if (streq(d.host, d.ctr) || !devs)
			continue;
		d.perms = "rwm";
		if ((r = devices_from_path(&d, devs, NULL, err)) < 0)
			return r;
	}
	if (json_array_append_new(rules, json_pack("{s:b, s:s}", "allow", 1, "access", "rwm")) < 0)
		return sb_oom(err);
	return 0;
}

static int cgroup_rules(json_t *hc, json_t *rules, struct husk_error **err)
{
	_cleanup_strv_ char **l = NULL;

	if (sb_strv(hc, HC, "DeviceCgroupRules", false, &l, err) < 0)
		return -EINVAL;
	STRV_FOREACH (s, l) {
		json_t *rule = NULL;
		bool all;

		if (parse_cgroup_rule(*s, &rule, &all, err) < 0)
			return -EINVAL;
		if (json_array_append_new(rules, rule) < 0)
			return sb_oom(err);
		if (all) /* dockerd stops at "a" */
			break;
	}
	return 0;
}

int sb_devices(json_t *hc, bool privileged, json_t *ret_devices, json_t *ret_rules,
               struct husk_error **err)
{
	json_t *a, *item;
	size_t i;
	int r;

	if (privileged)
		return privileged_devices(hc, ret_devices, ret_rules, err);
	if (docker_default_rules(ret_rules) < 0)
		return sb_oom(err);
	if (sb_arr(hc, HC, "Devices", &a, err) < 0)
		return -EINVAL;
	json_array_foreach (a, i, item) {
		_cleanup_free_ char *buf = NULL;
		struct dev_map d;

		if (device_entry(item, i, &d, &buf, err) < 0)
			return -EINVAL;
		if ((r = devices_from_path(&d, ret_devices, ret_rules, err)) < 0)
			return r;
	}
	if ((r = cgroup_rules(hc, ret_rules, err)) < 0)
		return r;
	return runc_default_rules(ret_rules) < 0 ? sb_oom(err) : 0;
}
