/* spec_linux.c — the "linux" object: namespaces (no duplicates, absolute
 * paths), id mappings and their user namespace, time offsets, devices,
 * sysctl (only namespaced keys, as runc), masked and read-only paths,
 * rootfs propagation, personality. Resources and seccomp have files of
 * their own.
 */
#include <string.h>
#include <sys/mount.h>

#include "base/fs.h"
#include "base/str.h"
#include "oci/spec_internal.h"

#define LPATH "linux"

/* ---- namespaces ---- */

static int parse_namespace(json_t *item, const char *path, void *elem, struct husk_error **err)
{
	struct oci_namespace *ns = elem;
	const char *type = NULL;
	char q[SPEC_QUOTE_MAX];

	if (json_get_string(item, path, "type", true, &type, err) < 0)
		return -EINVAL;
	if (oci_ns_type_from_name(type, &ns->type) < 0)
		return spec_fail(err, path, "type", "unknown namespace type %s",
		                 spec_quote(type, q));
	return spec_get_abs_path(item, path, "path", false, &ns->path, err);
}

static void namespace_release(void *elem)
{
	free(((struct oci_namespace *)elem)->path);
}

static int parse_namespaces(const json_t *lx, struct oci_linux *l, struct husk_error **err)
{
	static const struct spec_array_type type = {sizeof(struct oci_namespace), parse_namespace,
	                                            namespace_release};
	void *v = NULL;

	if (spec_parse_array(lx, LPATH, "namespaces", false, &type, &v, &l->n_namespaces, err) < 0)
		return -EINVAL;
	l->namespaces = v;
	for (size_t i = 0; i < l->n_namespaces; i++)
		for (size_t j = 0; j < i; j++)
			if (l->namespaces[i].type == l->namespaces[j].type)
				return error_set(err, EINVAL,
				                 LPATH ".namespaces[%zu].type: duplicate namespace "
				                       "type \"%s\"",
				                 i, oci_ns_type_name(l->namespaces[i].type));
	return 0;
}

static const struct oci_namespace *find_ns(const struct oci_linux *l, enum oci_ns_type t)
{
	for (size_t i = 0; i < l->n_namespaces; i++)
		if (l->namespaces[i].type == t)
			return &l->namespaces[i];
	return NULL;
}

/* runc's rules: mappings need a user namespace; a new one needs both. */
static int check_user_ns(const json_t *lx, const struct oci_linux *l, struct husk_error **err)
{
	const struct oci_namespace *user = find_ns(l, OCI_NS_USER);
	bool has_uid = spec_has(lx, "uidMappings"), has_gid = spec_has(lx, "gidMappings");

	if (!user && (has_uid || has_gid))
		return spec_fail(err, LPATH, has_uid ? "uidMappings" : "gidMappings",
		                 "requires a user namespace");
	if (user && !user->path && (l->n_uid_mappings == 0 || l->n_gid_mappings == 0))
		return spec_fail(err, LPATH, l->n_uid_mappings == 0 ? "uidMappings" : "gidMappings",
		                 "a new user namespace needs uid and gid mappings");
	return 0;
}

/* ---- time offsets ---- */

static int parse_offset(json_t *o, const char *path, struct oci_time_offset *t,
                        struct husk_error **err)
{
	uint64_t ns = 0;

	if (!json_is_object(o))
		return spec_fail(err, path, NULL, "expected an object");
	if (json_get_int64(o, path, "secs", false, &t->secs, err) < 0 ||
	    spec_get_u64_max(o, path, "nanosecs", false, 999999999, &ns, err) < 0)
		return -EINVAL;
	t->present = true;
	t->nanosecs = (uint32_t)ns;
	return 0;
}

static int parse_time_offsets(const json_t *lx, struct oci_linux *l, struct husk_error **err)
{
	const char *clock;
	json_t *o = NULL, *v;
	char q[SPEC_QUOTE_MAX];

	if (json_get_object(lx, LPATH, "timeOffsets", false, &o, err) < 0)
		return -EINVAL;
	json_object_foreach (o, clock, v) {
		_cleanup_free_ char *p = str_printf(LPATH ".timeOffsets.%s", clock);
		struct oci_time_offset *t = streq(clock, "monotonic")  ? &l->time_monotonic
		                            : streq(clock, "boottime") ? &l->time_boottime
		                                                       : NULL;

		if (!t)
			return spec_fail(err, LPATH, "timeOffsets", "unknown clock %s",
			                 spec_quote(clock, q));
		if (!p)
			return spec_oom(err);
		if (parse_offset(v, p, t, err) < 0)
			return -EINVAL;
	}
	return 0;
}

/* Offsets are written once, before the first process enters the new
 * namespace: they need a new time namespace, not a joined one. */
static int check_time_ns(const struct oci_linux *l, struct husk_error **err)
{
	const struct oci_namespace *t = find_ns(l, OCI_NS_TIME);

	if (!l->time_monotonic.present && !l->time_boottime.present)
		return 0;
	if (!t)
		return spec_fail(err, LPATH, "timeOffsets", "requires a time namespace");
	if (t->path)
		return spec_fail(err, LPATH, "timeOffsets",
		                 "cannot be set when joining an existing time namespace");
	return 0;
}

/* ---- devices ---- */

static int parse_device_type(json_t *item, const char *path, struct oci_device *d,
                             struct husk_error **err)
{
	const char *type = NULL;
	char q[SPEC_QUOTE_MAX];

	if (json_get_string(item, path, "type", true, &type, err) < 0)
		return -EINVAL;
	if (strlen(type) != 1 || !strchr("cbup", type[0]))
		return spec_fail(err, path, "type", "unknown device type %s (want c, b, u or p)",
		                 spec_quote(type, q));
	d->type = type[0];
	return 0;
}

static int parse_device_owner(json_t *item, const char *path, struct oci_device *d,
                              struct husk_error **err)
{
	uint64_t mode = 0, uid = 0, gid = 0;

	if (spec_get_u64_max(item, path, "fileMode", false, UINT32_MAX, &mode, err) < 0 ||
	    spec_get_u64_max(item, path, "uid", false, UINT32_MAX - 1, &uid, err) < 0 ||
	    spec_get_u64_max(item, path, "gid", false, UINT32_MAX - 1, &gid, err) < 0)
		return -EINVAL;
	d->has_mode = spec_has(item, "fileMode");
	/* Go runtimes may leave os.FileMode type bits above the permissions. */
	d->file_mode = (mode_t)(mode & 07777);
	d->has_uid = spec_has(item, "uid");
	d->has_gid = spec_has(item, "gid");
	d->uid = (uid_t)uid;
	d->gid = (gid_t)gid;
	return 0;
}

static int parse_device(json_t *item, const char *path, void *elem, struct husk_error **err)
{
	struct oci_device *d = elem;
	bool need_numbers;

	if (parse_device_type(item, path, d, err) < 0 ||
	    spec_get_abs_path(item, path, "path", true, &d->path, err) < 0)
		return -EINVAL;
	need_numbers = d->type != 'p';
	if (spec_get_i64_range(item, path, "major", need_numbers, 0, UINT32_MAX, &d->major, err) <
	            0 ||
	    spec_get_i64_range(item, path, "minor", need_numbers, 0, UINT32_MAX, &d->minor, err) <
	            0)
		return -EINVAL;
	return parse_device_owner(item, path, d, err);
}

static void device_release(void *elem)
{
	free(((struct oci_device *)elem)->path);
}

static int parse_devices(const json_t *lx, struct oci_linux *l, struct husk_error **err)
{
	static const struct spec_array_type type = {sizeof(struct oci_device), parse_device,
	                                            device_release};
	void *v = NULL;
	int r = spec_parse_array(lx, LPATH, "devices", false, &type, &v, &l->n_devices, err);

	if (r == 0)
		l->devices = v;
	return r;
}

/* ---- sysctl ---- */

static const struct {
	const char *key; /* exact, or a prefix when it ends in '.' */
	enum oci_ns_type ns;
} sysctl_namespaces[] = {
        {"kernel.msgmax", OCI_NS_IPC},   {"kernel.msgmnb", OCI_NS_IPC},
        {"kernel.msgmni", OCI_NS_IPC},   {"kernel.sem", OCI_NS_IPC},
        {"kernel.shmall", OCI_NS_IPC},   {"kernel.shmmax", OCI_NS_IPC},
        {"kernel.shmmni", OCI_NS_IPC},   {"kernel.shm_rmid_forced", OCI_NS_IPC},
        {"fs.mqueue.", OCI_NS_IPC},      {"net.", OCI_NS_NETWORK},
        {"kernel.hostname", OCI_NS_UTS}, {"kernel.domainname", OCI_NS_UTS},
};

static bool sysctl_key_matches(const char *key, const char *pattern)
{
	size_t n = strlen(pattern);

	for (size_t i = 0; i < n; i++) {
		char c = key[i] == '/' ? '.' : key[i];

		if (c != pattern[i])
			return false;
	}
	return pattern[n - 1] == '.' || key[n] == '\0';
}

/* A name under /proc/sys: no "..", no leading separator, no blanks. */
static bool sysctl_key_valid(const char *key)
{
	if (strchr("./", key[0]) || strstr(key, ".."))
		return false;
	for (const char *p = key; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

static int check_sysctl_key(const struct oci_linux *l, const char *key, struct husk_error **err)
{
	char q[SPEC_QUOTE_MAX];
	const char *name;

	if (!sysctl_key_valid(key))
		return spec_fail(err, LPATH, "sysctl", "invalid name %s", spec_quote(key, q));
	for (size_t i = 0; i < ELEMENTSOF(sysctl_namespaces); i++) {
		if (!sysctl_key_matches(key, sysctl_namespaces[i].key))
			continue;
		if (find_ns(l, sysctl_namespaces[i].ns))
			return 0;
		name = oci_ns_type_name(sysctl_namespaces[i].ns);
		return spec_fail(err, LPATH, "sysctl", "%s requires %s %s namespace",
		                 spec_quote(key, q), strchr("aeiou", name[0]) ? "an" : "a", name);
	}
	return spec_fail(err, LPATH, "sysctl", "%s is not in a separate kernel namespace",
	                 spec_quote(key, q));
}

static int parse_sysctl(const json_t *lx, struct oci_linux *l, struct husk_error **err)
{
	if (spec_parse_kv(lx, LPATH, "sysctl", &l->sysctl, &l->n_sysctl, err) < 0)
		return -EINVAL;
	for (size_t i = 0; i < l->n_sysctl; i++)
		if (check_sysctl_key(l, l->sysctl[i].key, err) < 0)
			return -EINVAL;
	return 0;
}

/* ---- small fields ---- */

static const struct oci_name propagations[] = {
        {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
        {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
        {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
        {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};
static const struct oci_name_table propagations_table = {propagations, ELEMENTSOF(propagations)};

static int parse_rootfs_propagation(const json_t *lx, struct oci_linux *l, struct husk_error **err)
{
	const char *s = NULL;
	char q[SPEC_QUOTE_MAX];
	long v;

	if (json_get_string(lx, LPATH, "rootfsPropagation", false, &s, err) < 0)
		return -EINVAL;
	if (isempty(s))
		return 0; /* runc: "" is "not set" */
	if (oci_name_lookup(&propagations_table, s, &v) < 0)
		return spec_fail(err, LPATH, "rootfsPropagation", "unknown propagation %s",
		                 spec_quote(s, q));
	l->rootfs_propagation = (unsigned long)v;
	return 0;
}

static int parse_personality(const json_t *lx, struct oci_linux *l, struct husk_error **err)
{
	_cleanup_strv_ char **flags = NULL;
	const char *domain = NULL;
	json_t *o = NULL;
	char q[SPEC_QUOTE_MAX];
	long v;

	if (json_get_object(lx, LPATH, "personality", false, &o, err) < 0)
		return -EINVAL;
	if (!o)
		return 0;
	if (json_get_string(o, LPATH ".personality", "domain", true, &domain, err) < 0 ||
	    json_get_strv(o, LPATH ".personality", "flags", false, &flags, err) < 0)
		return -EINVAL;
	if (oci_name_lookup(&oci_personality_table, domain, &v) < 0)
		return spec_fail(err, LPATH ".personality", "domain", "unknown domain %s",
		                 spec_quote(domain, q));
	/* The spec defines no flags yet; runc ignores them too. */
	l->personality.present = true;
	l->personality.domain = (unsigned long)v;
	return 0;
}

static int parse_resources(const json_t *lx, struct oci_linux *l, struct husk_error **err)
{
	json_t *o = NULL;

	if (json_get_object(lx, LPATH, "resources", false, &o, err) < 0)
		return -EINVAL;
	if (!o)
		return 0;
	l->has_resources = true;
	return oci_resources_parse(o, LPATH ".resources", &l->resources, err);
}

static int parse_seccomp_obj(const json_t *lx, struct oci_linux *l, struct husk_error **err)
{
	json_t *o = NULL;

	if (json_get_object(lx, LPATH, "seccomp", false, &o, err) < 0)
		return -EINVAL;
	return o ? spec_parse_seccomp(o, LPATH ".seccomp", &l->seccomp, err) : 0;
}

static int parse_misc(const json_t *lx, struct oci_linux *l, struct husk_error **err)
{
	json_t *rdt = NULL;

	if (spec_get_strdup(lx, LPATH, "cgroupsPath", false, &l->cgroups_path, err) < 0 ||
	    spec_get_strdup(lx, LPATH, "mountLabel", false, &l->mount_label, err) < 0 ||
	    spec_get_abs_strv(lx, LPATH, "maskedPaths", &l->masked_paths, err) < 0 ||
	    spec_get_abs_strv(lx, LPATH, "readonlyPaths", &l->readonly_paths, err) < 0 ||
	    json_get_object(lx, LPATH, "intelRdt", false, &rdt, err) < 0)
		return -EINVAL;
	l->has_intel_rdt = rdt != NULL;
	return 0;
}

int spec_parse_linux(const json_t *doc, struct oci_linux *l, struct husk_error **err)
{
	json_t *lx = NULL;

	if (json_get_object(doc, "", "linux", false, &lx, err) < 0)
		return -EINVAL;
	if (!lx)
		return 0;
	if (parse_namespaces(lx, l, err) < 0 ||
	    spec_parse_id_mappings(lx, LPATH, "uidMappings", &l->uid_mappings, &l->n_uid_mappings,
	                           err) < 0 ||
	    spec_parse_id_mappings(lx, LPATH, "gidMappings", &l->gid_mappings, &l->n_gid_mappings,
	                           err) < 0 ||
	    check_user_ns(lx, l, err) < 0 || parse_time_offsets(lx, l, err) < 0 ||
	    check_time_ns(l, err) < 0 || parse_devices(lx, l, err) < 0 ||
	    parse_resources(lx, l, err) < 0 || parse_sysctl(lx, l, err) < 0 ||
	    parse_seccomp_obj(lx, l, err) < 0 || parse_rootfs_propagation(lx, l, err) < 0 ||
	    parse_personality(lx, l, err) < 0 || parse_misc(lx, l, err) < 0)
		return -EINVAL;
	return 0;
}

void spec_linux_release(struct oci_linux *l)
{
	for (size_t i = 0; l->namespaces && i < l->n_namespaces; i++)
		namespace_release(&l->namespaces[i]);
	free(l->namespaces);
	free(l->uid_mappings);
	free(l->gid_mappings);
	for (size_t i = 0; l->devices && i < l->n_devices; i++)
		device_release(&l->devices[i]);
	free(l->devices);
	free(l->cgroups_path);
	oci_resources_release(&l->resources);
	spec_kv_free(l->sysctl, l->n_sysctl);
	spec_seccomp_release(&l->seccomp);
	strv_free(l->masked_paths);
	strv_free(l->readonly_paths);
	free(l->mount_label);
}

const struct oci_namespace *oci_spec_namespace(const struct oci_spec *s, enum oci_ns_type t)
{
	return s ? find_ns(&s->linux_, t) : NULL;
}
