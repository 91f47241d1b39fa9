/* spec_mounts.c — the "mounts" array: destinations must be absolute, and
 * the option strings become mount(2) flags, propagation, mount_setattr(2)
 * recursive attributes and the leftover data string, as runc maps them
 * (libcontainer/specconv parseMountOptions).
 */
#include <linux/mount.h>
#include <string.h>
#include <sys/mount.h>

#include "base/str.h"
#include "oci/spec_internal.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256 /* Linux 5.10 */
#endif

enum opt_kind {
	OPT_SET,      /* set a MS_* flag */
	OPT_CLEAR,    /* clear a MS_* flag */
	OPT_PROP,     /* propagation */
	OPT_ATTR_SET, /* recursive MOUNT_ATTR_* to set */
	OPT_ATTR_CLR, /* recursive MOUNT_ATTR_* to clear */
	OPT_IDMAP,    /* idmap / ridmap */
	OPT_IGNORE,   /* accepted, nothing to do */
};

struct mount_opt {
	const char *name;
	enum opt_kind kind;
	uint64_t flag;
};

static const struct mount_opt mount_opts[] = {
        {"async", OPT_CLEAR, MS_SYNCHRONOUS},
        {"atime", OPT_CLEAR, MS_NOATIME},
        {"bind", OPT_SET, MS_BIND},
        {"defaults", OPT_IGNORE, 0},
        {"dev", OPT_CLEAR, MS_NODEV},
        {"diratime", OPT_CLEAR, MS_NODIRATIME},
        {"dirsync", OPT_SET, MS_DIRSYNC},
        {"exec", OPT_CLEAR, MS_NOEXEC},
        {"iversion", OPT_SET, MS_I_VERSION},
        {"lazytime", OPT_SET, MS_LAZYTIME},
        {"loud", OPT_CLEAR, MS_SILENT},
        {"mand", OPT_SET, MS_MANDLOCK},
        {"noatime", OPT_SET, MS_NOATIME},
        {"nodev", OPT_SET, MS_NODEV},
        {"nodiratime", OPT_SET, MS_NODIRATIME},
        {"noexec", OPT_SET, MS_NOEXEC},
        {"noiversion", OPT_CLEAR, MS_I_VERSION},
        {"nolazytime", OPT_CLEAR, MS_LAZYTIME},
        {"nomand", OPT_CLEAR, MS_MANDLOCK},
        {"norelatime", OPT_CLEAR, MS_RELATIME},
        {"nostrictatime", OPT_CLEAR, MS_STRICTATIME},
        {"nosuid", OPT_SET, MS_NOSUID},
        {"nosymfollow", OPT_SET, MS_NOSYMFOLLOW},
        {"rbind", OPT_SET, MS_BIND | MS_REC},
        {"relatime", OPT_SET, MS_RELATIME},
        {"remount", OPT_SET, MS_REMOUNT},
        {"ro", OPT_SET, MS_RDONLY},
        {"rw", OPT_CLEAR, MS_RDONLY},
        {"silent", OPT_SET, MS_SILENT},
        {"strictatime", OPT_SET, MS_STRICTATIME},
        {"suid", OPT_CLEAR, MS_NOSUID},
        {"symfollow", OPT_CLEAR, MS_NOSYMFOLLOW},
        {"sync", OPT_SET, MS_SYNCHRONOUS},
        {"private", OPT_PROP, MS_PRIVATE},
        {"rprivate", OPT_PROP, MS_PRIVATE | MS_REC},
        {"shared", OPT_PROP, MS_SHARED},
        {"rshared", OPT_PROP, MS_SHARED | MS_REC},
        {"slave", OPT_PROP, MS_SLAVE},
        {"rslave", OPT_PROP, MS_SLAVE | MS_REC},
        {"unbindable", OPT_PROP, MS_UNBINDABLE},
        {"runbindable", OPT_PROP, MS_UNBINDABLE | MS_REC},
        {"rro", OPT_ATTR_SET, MOUNT_ATTR_RDONLY},
        {"rrw", OPT_ATTR_CLR, MOUNT_ATTR_RDONLY},
        {"rnosuid", OPT_ATTR_SET, MOUNT_ATTR_NOSUID},
        {"rsuid", OPT_ATTR_CLR, MOUNT_ATTR_NOSUID},
        {"rnodev", OPT_ATTR_SET, MOUNT_ATTR_NODEV},
        {"rdev", OPT_ATTR_CLR, MOUNT_ATTR_NODEV},
        {"rnoexec", OPT_ATTR_SET, MOUNT_ATTR_NOEXEC},
        {"rexec", OPT_ATTR_CLR, MOUNT_ATTR_NOEXEC},
        {"rnodiratime", OPT_ATTR_SET, MOUNT_ATTR_NODIRATIME},
        {"rdiratime", OPT_ATTR_CLR, MOUNT_ATTR_NODIRATIME},
        {"rrelatime", OPT_ATTR_SET, MOUNT_ATTR_RELATIME},
        {"rnorelatime", OPT_ATTR_CLR, MOUNT_ATTR_RELATIME},
        {"rnoatime", OPT_ATTR_SET, MOUNT_ATTR_NOATIME},
        {"ratime", OPT_ATTR_CLR, MOUNT_ATTR_NOATIME},
        {"rstrictatime", OPT_ATTR_SET, MOUNT_ATTR_STRICTATIME},
        {"rnostrictatime", OPT_ATTR_CLR, MOUNT_ATTR_STRICTATIME},
        {"rnosymfollow", OPT_ATTR_SET, MOUNT_ATTR_NOSYMFOLLOW},
        {"rsymfollow", OPT_ATTR_CLR, MOUNT_ATTR_NOSYMFOLLOW},
        {"idmap", OPT_IDMAP, 0},
        {"ridmap", OPT_IDMAP, 1},
        /* podman's: copy the image's content up into a tmpfs. Accepted (as
         * runc does) and not acted on. */
        {"tmpcopyup", OPT_IGNORE, 0},
};

json_t *oci_mount_options_json(void)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < ELEMENTSOF(mount_opts); i++)
		if (json_array_append_new(a, json_string(mount_opts[i].name)) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static const struct mount_opt *find_opt(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(mount_opts); i++)
		if (streq(mount_opts[i].name, name))
			return &mount_opts[i];
	return NULL;
}

static void apply_attr(struct oci_mount *m, const struct mount_opt *o)
{
	if (o->kind == OPT_ATTR_CLR) {
		m->rec_attr_clr |= o->flag;
		m->rec_attr_set &= ~o->flag;
		return;
	}
	m->rec_attr_set |= o->flag;
	m->rec_attr_clr &= ~o->flag;
	/* mount_setattr(2): an atime setting in attr_set needs
	 * MOUNT_ATTR__ATIME in attr_clr (MOUNT_ATTR_RELATIME is 0). */
	if ((o->flag & MOUNT_ATTR__ATIME) == o->flag)
		m->rec_attr_clr |= MOUNT_ATTR__ATIME;
}

static void apply_opt(struct oci_mount *m, const struct mount_opt *o)
{
	switch (o->kind) {
	case OPT_SET:
		m->flags |= o->flag;
		m->clear &= ~o->flag;
		break;
	case OPT_CLEAR:
		m->flags &= ~o->flag;
		m->clear |= o->flag;
		break;
	case OPT_PROP:
		m->propagation = o->flag;
		m->recursive = m->recursive || (o->flag & MS_REC);
		break;
	case OPT_ATTR_SET:
	case OPT_ATTR_CLR:
		apply_attr(m, o);
		break;
	case OPT_IDMAP:
		m->idmap = true;
		m->idmap_recursive = o->flag != 0;
		break;
	case OPT_IGNORE:
		break;
	}
}

static int parse_options(json_t *item, const char *path, struct oci_mount *m,
                         struct husk_error **err)
{
	_cleanup_strv_ char **opts = NULL, **data = NULL;
	size_t i = 0;

	if (json_get_strv(item, path, "options", false, &opts, err) < 0)
		return -EINVAL;
	STRV_FOREACH (s, opts) {
		const struct mount_opt *o = find_opt(*s);

		if (isempty(*s))
			return error_set(err, EINVAL, "%s.options[%zu]: empty option", path, i);
		if (o)
			apply_opt(m, o);
		else if (strv_push(&data, *s) < 0)
			return spec_oom(err);
		i++;
	}
	if (data && !(m->data = strv_join(data, ",")))
		return spec_oom(err);
	return 0;
}

/* A bind mount by type or by option: type "bind", MS_BIND in flags. */
static int settle_bind(struct oci_mount *m, struct husk_error **err)
{
	if (!(m->flags & MS_BIND) && !streq(m->type, "bind"))
		return 0;
	m->bind = true;
	m->flags |= MS_BIND;
	m->recursive = m->recursive || (m->flags & MS_REC);
	if (!streq(m->type, "bind")) {
		free(m->type);
		m->type = strdup("bind");
		if (!m->type)
			return spec_oom(err);
	}
	return 0;
}

static int parse_mount_idmap(json_t *item, const char *path, struct oci_mount *m,
                             struct husk_error **err)
{
	bool u = spec_has(item, "uidMappings"), g = spec_has(item, "gidMappings");

	if (spec_parse_id_mappings(item, path, "uidMappings", &m->uid_mappings, &m->n_uid_mappings,
	                           err) < 0 ||
	    spec_parse_id_mappings(item, path, "gidMappings", &m->gid_mappings, &m->n_gid_mappings,
	                           err) < 0)
		return -EINVAL;
	if (u != g)
		return spec_fail(err, path, u ? "gidMappings" : "uidMappings", "required with %s",
		                 u ? "uidMappings" : "gidMappings");
	m->idmap = m->idmap || u;
	/* runc: the kernel idmaps only detached (bind) mounts. */
	if (m->idmap && !m->bind)
		return spec_fail(err, path, NULL,
		                 "idmapped mounts are only supported for bind mounts");
	return 0;
}

static int parse_mount(json_t *item, const char *path, void *elem, struct husk_error **err)
{
	struct oci_mount *m = elem;

	if (spec_get_abs_path(item, path, "destination", true, &m->destination, err) < 0 ||
	    spec_get_strdup(item, path, "type", false, &m->type, err) < 0 ||
	    spec_get_strdup(item, path, "source", false, &m->source, err) < 0 ||
	    parse_options(item, path, m, err) < 0 || settle_bind(m, err) < 0)
		return -EINVAL;
	return parse_mount_idmap(item, path, m, err);
}

static void mount_release(void *elem)
{
	struct oci_mount *m = elem;

	free(m->destination);
	free(m->type);
	free(m->source);
	free(m->data);
	free(m->uid_mappings);
	free(m->gid_mappings);
}

void spec_mounts_free(struct oci_mount *m, size_t n)
{
	for (size_t i = 0; m && i < n; i++)
		mount_release(&m[i]);
	free(m);
}

int spec_parse_mounts(const json_t *doc, struct oci_spec *s, struct husk_error **err)
{
	static const struct spec_array_type type = {sizeof(struct oci_mount), parse_mount,
	                                            mount_release};
	void *v = NULL;
	int r = spec_parse_array(doc, "", "mounts", false, &type, &v, &s->n_mounts, err);

	if (r == 0)
		s->mounts = v;
	return r;
}
