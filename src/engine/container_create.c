/* container_create.c — POST /containers/create: the image, dockerd's
 * checks and defaults (spec_normalize_create), the name, the mounts and
 * volumes, the log options, the record and the rootfs snapshot. */
#include <ctype.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"
#include "base/str.h"
#include "engine/container_internal.h"
#include "network/network.h"
#include "engine/engine.h"
#include "engine/spec_build.h"
#include "engine/volumes.h"
#include "image/images.h"
#include "image/reference.h"

#define DEFAULT_LOG_MAX_SIZE  (10u << 20)
#define DEFAULT_LOG_MAX_FILES 3

/* ---- log options ---- */

/* The log driver of a create: HostConfig.LogConfig, else daemon.json's. */
static int log_config_normalize(struct containers *cs, json_t *hc, struct husk_error **err)
{
	json_t *file = cs->e->cfg.file;
	json_t *lc = json_object_get(hc, "LogConfig");
	const char *type = json_string_value(json_object_get(lc, "Type"));
	json_t *conf = json_object_get(lc, "Config");
	const char *k;
	json_t *v;

	if (isempty(type)) {
		type = json_string_value(json_object_get(file, "log-driver"));
		if (isempty(type))
			type = "json-file";
		if (!json_object_size(conf))
			conf = json_object_get(file, "log-opts");
	}
	if (!streq(type, "json-file") && !streq(type, "local") && !streq(type, "none"))
		return error_set(err, EINVAL,
		                 "logging driver \"%s\" is not supported: use json-file, local or "
		                 "none",
		                 type);
	json_object_foreach (conf, k, v) {
		uint64_t n;
		int64_t files;
		if (!json_is_string(v))
			return error_set(err, EINVAL, "log-opts: %s: expected a string", k);
		if (streq(type, "none"))
			return error_set(err, EINVAL, "unknown log opt '%s' for none log driver",
			                 k);
		if (streq(k, "max-size")) {
			if (spec_parse_ram_size(json_string_value(v), &n) < 0)
				return error_set(err, EINVAL, "invalid max-size \"%s\"",
				                 json_string_value(v));
		} else if (streq(k, "max-file")) {
			if (str_to_int64(json_string_value(v), &files) < 0 || files < 1)
				return error_set(err, EINVAL,
				                 "max-file cannot be less than 1: \"%s\"",
				                 json_string_value(v));
		} else if (!streq(k, "compress") && !streq(k, "labels") && !streq(k, "env") &&
		           !streq(k, "tag") && !streq(k, "labels-regex") &&
		           !streq(k, "env-regex")) {
			return error_set(err, EINVAL, "unknown log opt '%s' for %s log driver", k,
			                 type);
		}
	}
	lc = json_pack("{s:s, s:o}", "Type", type, "Config",
	               conf ? json_incref(conf) : json_object());
	if (!lc || json_object_set_new(hc, "LogConfig", lc) < 0)
		return error_set(err, ENOMEM, "out of memory");
	return 0;
}

/* ---- mounts ---- */

static struct ctr_mount *mount_add(struct ctr *c)
{
	struct ctr_mount *m = realloc(c->mounts, (c->n_mounts + 1) * sizeof(*m));

	if (!m)
		return NULL;
	c->mounts = m;
	m = &c->mounts[c->n_mounts++];
	*m = (struct ctr_mount){0};
	return m;
}

static bool mount_dest_taken(const struct ctr *c, const char *dst)
{
	for (size_t i = 0; i < c->n_mounts; i++)
		if (streq(c->mounts[i].destination, dst))
			return true;
	return false;
}

/* Create (or find) the volume and note it. */
static int mount_volume(struct ctr *c, const char *name, const char *dst, const char *mode, bool rw,
                        bool nocopy, json_t *vol_opts, struct husk_error **err)
{
	struct volumes *vols = c->cs->e->volumes;
	json_t *drv = json_object_get(vol_opts, "DriverConfig");
	_cleanup_json_ json_t *v = NULL;
	struct ctr_mount *m;
	int r;

	r = volume_create(
	        vols, isempty(name) ? NULL : name, json_string_value(json_object_get(drv, "Name")),
	        json_object_get(vol_opts, "Labels"), json_object_get(drv, "Options"), &v, err);
	if (r < 0)
		return r;
	if (!(m = mount_add(c)))
		return error_set(err, ENOMEM, "out of memory");
	m->type = strdup("volume");
	m->name = strdup(json_string_value(json_object_get(v, "Name")) ?: "");
	m->source = strdup(json_string_value(json_object_get(v, "Mountpoint")) ?: "");
	m->destination = strdup(dst);
	m->mode = strdup(mode ? mode : "");
	m->propagation = strdup("");
	m->rw = rw;
	m->nocopy = nocopy;
	m->anonymous = isempty(name);
	if (!m->type || !m->name || !m->source || !m->destination || !m->mode || !m->propagation)
		return error_set(err, ENOMEM, "out of memory");
	return 0;
}

static int mount_other(struct ctr *c, const char *type, const char *src, const char *dst,
                       const char *mode, bool rw, const char *propagation, struct husk_error **err)
{
	struct ctr_mount *m = mount_add(c);

	if (!m)
		return error_set(err, ENOMEM, "out of memory");
	m->type = strdup(type);
	m->source = strdup(src ? src : "");
	m->destination = strdup(dst);
	m->mode = strdup(mode ? mode : "");
	m->propagation = strdup(propagation ? propagation : "");
	m->rw = rw;
	if (!m->type || !m->source || !m->destination || !m->mode || !m->propagation)
		return error_set(err, ENOMEM, "out of memory");
	return 0;
}

static int parse_binds(struct ctr *c, json_t *binds, struct husk_error **err)
{
	size_t i;
	json_t *b;

	json_array_foreach (binds, i, b) {
		struct spec_bind sb = {0};
		int r = spec_parse_bind(json_string_value(b) ?: "", &sb, err);
		if (r < 0)
			return r;
		if (sb.is_volume)
			r = mount_volume(c, sb.source, sb.destination, sb.mode, !sb.readonly,
			                 sb.nocopy, NULL, err);
		else
			r = mount_other(c, "bind", sb.source, sb.destination, sb.mode, !sb.readonly,
			                sb.propagation ? sb.propagation : "rprivate", err);
		spec_bind_release(&sb);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_mounts_field(struct ctr *c, json_t *mounts, struct husk_error **err)
{
	size_t i;
	json_t *m;

	json_array_foreach (mounts, i, m) {
		const char *type = json_string_value(json_object_get(m, "Type"));
		const char *src = json_string_value(json_object_get(m, "Source"));
		const char *dst = json_string_value(json_object_get(m, "Target"));
		bool rw = !json_is_true(json_object_get(m, "ReadOnly"));
		json_t *vo = json_object_get(m, "VolumeOptions");
		json_t *bo = json_object_get(m, "BindOptions");
		const char *prop = json_string_value(json_object_get(bo, "Propagation"));
		int r;

		if (!type || !dst)
			return error_set(err, EINVAL, "Mounts[%zu]: Type and Target are required",
			                 i);
		if (streq(type, "volume"))
			r = mount_volume(c, src, dst, "", rw,
			                 json_is_true(json_object_get(vo, "NoCopy")), vo, err);
		else if (streq(type, "bind"))
			r = mount_other(c, "bind", src, dst, "", rw,
			                isempty(prop) ? "rprivate" : prop, err);
		else
			r = mount_other(c, type, src, dst, "", rw, "", err);
		if (r < 0)
			return r;
	}
	return 0;
}

int ctr_parse_mounts(struct ctr *c, json_t *host_config, json_t *config, struct husk_error **err)
{
	json_t *vols = json_object_get(config, "Volumes");
	const char *dst;
	json_t *v;
	int r;

	r = parse_binds(c, json_object_get(host_config, "Binds"), err);
	if (r == 0)
		r = parse_mounts_field(c, json_object_get(host_config, "Mounts"), err);
	if (r < 0)
		return r;
	/* the image's and -v /path volumes that nothing else mounts:
	 * anonymous volumes */
	json_object_foreach (vols, dst, v) {
		_cleanup_free_ char *clean = path_join_in_root("/", dst);
		if (!clean)
			return error_set(err, ENOMEM, "out of memory");
		if (json_object_get(json_object_get(host_config, "Tmpfs"), clean) ||
		    mount_dest_taken(c, clean))
			continue;
		r = mount_volume(c, NULL, clean, "", true, false, NULL, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- the create ---- */

static int no_such_image(const char *name, struct husk_error **err)
{
	struct image_ref ref = {0};
	_cleanup_free_ char *f = NULL;

	if (!image_ref_is_id(name) && image_ref_parse(name, &ref, NULL) == 0)
		f = image_ref_familiar(&ref);
	image_ref_release(&ref);
	return error_set(err, ENOENT, "No such image: %s", f ? f : name);
}

/* "os[/arch[/variant]]" against the image's platform. */
static int check_platform(const struct store_image *img, const char *platform, const char *name,
                          struct husk_error **err)
{
	_cleanup_strv_ char **p = NULL;

	if (isempty(platform))
		return 0;
	p = strv_split(platform, "/");
	if (!p)
		return error_set(err, ENOMEM, "out of memory");
	if (strv_length(p) > 3 || isempty(p[0]))
		return error_set(err, EINVAL, "invalid platform \"%s\"", platform);
	if (!streq(p[0], img->os) || (p[1] && !streq(p[1], img->architecture)) ||
	    (p[1] && p[2] && img->variant && !streq(p[2], img->variant)))
		return error_set(err, ENOENT,
		                 "image with reference %s was found but does not match the "
		                 "specified platform: wanted %s, actual: %s/%s",
		                 name, platform, img->os ? img->os : "",
		                 img->architecture ? img->architecture : "");
	return 0;
}

struct create_ctx {
	struct containers *cs;
	json_t *body; /* normalised */
	json_t *warnings;
	struct store_image *img;
	struct image_config *ic;
};

static void create_ctx_release(struct create_ctx *x)
{
	json_decref(x->body);
	json_decref(x->warnings);
	store_image_free(x->img);
	image_config_free(x->ic);
}

static int resolve_image(struct create_ctx *x, json_t *body, const char *platform,
                         struct husk_error **err)
{
	struct store *s = x->cs->e->store;
	const char *image = json_string_value(json_object_get(body, "Image"));
	json_t *icfg;
	int r;

	if (isempty(image))
		return error_set(err, EINVAL, "No image specified: Config.Image is required");
	r = image_resolve(s, image, &x->img, NULL);
	if (r == -ENOENT)
		return no_such_image(image, err);
	if (r < 0)
		return image_resolve(s, image, &x->img, err);
	r = check_platform(x->img, platform, image, err);
	if (r == 0)
		r = image_config_load(s, x->img, &x->ic, err);
	if (r < 0)
		return r;
	icfg = json_object_get(x->ic->raw, "config");
	if (!(x->warnings = json_array()))
		return error_set(err, ENOMEM, "out of memory");
	if (spec_daemon_defaults_create(x->cs->e->cfg.file, body, err) < 0)
		return -EINVAL;
	return spec_normalize_create_host(body, json_is_object(icfg) ? icfg : NULL, &x->cs->host,
	                                  x->warnings, &x->body, err);
}

/* Split the normalised body into Config and HostConfig; fill what the
 * engine decides: Hostname, Path and Args. */
static int fill_record(struct ctr *c, struct create_ctx *x, struct husk_error **err)
{
	json_t *hc = json_object_get(x->body, "HostConfig");
	json_t *nc = json_object_get(x->body, "NetworkingConfig");
	json_t *cmd = json_array();
	const char *mode, *k;
	size_t i;
	json_t *v;

	c->config = json_object();
	c->host_config = json_is_object(hc) ? json_deep_copy(hc) : json_object();
	if (!c->config || !c->host_config || !cmd)
		goto oom;
	json_object_foreach (x->body, k, v)
		if (!streq(k, "HostConfig") && !streq(k, "NetworkingConfig"))
			json_object_set(c->config, k, v);
	if (json_is_object(json_object_get(nc, "EndpointsConfig")))
		c->networking = json_incref(nc);
	mode = json_string_value(json_object_get(c->host_config, "NetworkMode"));
	if (isempty(json_string_value(json_object_get(c->config, "Hostname")))) {
		char host[256] = "";
		if (streq(mode, "host") ||
		    streq(json_string_value(json_object_get(c->host_config, "UTSMode")), "host"))
			gethostname(host, sizeof(host) - 1);
		else
			snprintf(host, sizeof(host), "%.12s", c->id);
		json_object_set_new(c->config, "Hostname", json_string(host));
	}
	json_array_extend(cmd, json_object_get(c->config, "Entrypoint"));
	json_array_extend(cmd, json_object_get(c->config, "Cmd"));
	if (json_array_size(cmd) == 0 || !json_is_string(json_array_get(cmd, 0))) {
		json_decref(cmd);
		return error_set(err, EINVAL, "No command specified");
	}
	c->path = strdup(json_string_value(json_array_get(cmd, 0)));
	c->args = json_array();
	json_array_foreach (cmd, i, v)
		if (i > 0)
			json_array_append(c->args, v);
	json_decref(cmd);
	if (!c->path || !c->args)
		goto oom;
	return log_config_normalize(c->cs, c->host_config, err);
oom:
	json_decref(cmd);
	return error_set(err, ENOMEM, "out of memory");
}

/* overlay2's LowerDir (top layer first), and the chain IDs. */
static int image_chains(struct create_ctx *x, struct ctr *c, struct digest **ret_chains,
                        struct husk_error **err)
{
	struct store *s = x->cs->e->store;
	size_t n = x->ic->n_diff_ids;
	struct digest *chains;
	struct strbuf sb = {0};

	if (n == 0)
		return error_set(err, EINVAL, "image %s has no layers", x->img->id.str);
	chains = calloc(n, sizeof(*chains));
	if (!chains)
		return error_set(err, ENOMEM, "out of memory");
	store_chain_ids(x->ic->diff_ids, n, chains);
	for (size_t i = n; i-- > 0;) {
		_cleanup_free_ char *d = store_layer_dir(s, &chains[i]);
		if (d)
			strbuf_printf(&sb, "%s%s", sb.len ? ":" : "", d);
	}
	c->lower_dir = strbuf_steal(&sb);
	*ret_chains = chains;
	return 0;
}

/* The network a container asks for must exist: "none", "host",
 * "container:X", or a network of the network module ("default" is the
 * bridge network). */
static int check_network_mode(struct containers *cs, const char *m, struct husk_error **err)
{
	if (isempty(m) || streq(m, "none") || streq(m, "host") || startswith(m, "container:"))
		return 0;
	return network_resolve(cs->e->networks, m, NULL, NULL, NULL, err);
}

/* Reserve the name and add c to the table (c->op held by the caller). */
static int reserve_name(struct containers *cs, struct ctr *c, const char *name,
                        struct husk_error **err)
{
	struct ctr *other;
	int r = 0;

	pthread_mutex_lock(&cs->lock);
	if (isempty(name))
		c->name = ctr_generate_name_locked(cs);
	else
		c->name = name[0] == '/' ? strdup(name) : str_printf("/%s", name);
	if (!c->name)
		r = error_set(err, ENOMEM, "out of memory");
	else if ((other = ctr_by_name_locked(cs, c->name)))
		r = error_set(err, EEXIST,
		              "Conflict. The container name \"%s\" is already in use by container "
		              "\"%s\". You have to remove (or rename) that container to be able to "
		              "reuse that name.",
		              c->name, other->id);
	else if (cs->stopping)
		r = error_set(err, EBUSY, "the daemon is shutting down");
	else if (ctr_table_add_locked(cs, c) < 0)
		r = error_set(err, ENOMEM, "out of memory");
	else
		c->creating = true; /* holds the name; invisible otherwise */
	pthread_mutex_unlock(&cs->lock);
	return r;
}

/* Undo a create that failed after the name was reserved. */
static void create_rollback(struct ctr *c)
{
	struct containers *cs = c->cs;

	for (size_t i = 0; i < c->n_mounts; i++)
		if (c->mounts[i].anonymous && c->mounts[i].name)
			volume_remove(cs->e->volumes, c->mounts[i].name, true, NULL, NULL, NULL);
	if (c->snapshot_ready)
		store_snapshot_remove(cs->e->store, c->id, NULL);
	rm_rf(c->dir);
	pthread_mutex_lock(&cs->lock);
	ctr_table_remove_locked(cs, c);
	pthread_mutex_unlock(&cs->lock);
}

static int create_on_disk(struct ctr *c, struct create_ctx *x, struct husk_error **err)
{
	struct containers *cs = c->cs;
	_cleanup_free_ struct digest *chains = NULL;
	int r;

	if (mkdir(c->dir, 0700) < 0)
		return error_set_errno(err, errno, "create \"%s\"", c->dir);
	/* userns-remap: the container's root reaches its /etc files and shm */
	r = userns_remap_chown_at(&cs->e->remap, AT_FDCWD, c->dir, false, err);
	if (r == 0)
		r = fill_record(c, x, err);
	if (r == 0)
		r = ctr_parse_mounts(c, c->host_config, c->config, err);
	if (r == 0)
		r = image_chains(x, c, &chains, err);
	if (r < 0)
		return r;
	c->image_id = x->img->id;
	if (!streq(json_string_value(
	                   json_object_get(json_object_get(c->host_config, "LogConfig"), "Type")),
	           "none"))
		c->log_path = str_printf("%s/%s-json.log", c->dir, c->id);
	c->created = ctr_now_rfc3339(&c->created_ns);
	if (!c->created)
		return error_set(err, ENOMEM, "out of memory");
	r = ctr_write_etc_files(c, err);
	/* the record first: a crash from here on leaves a container that
	 * restore repairs (its snapshot is made again) or rm removes */
	if (r == 0)
		r = ctr_save(c, true, err);
	if (r == 0)
		r = store_snapshot_create(cs->e->store, c->id, chains, x->ic->n_diff_ids, err);
	if (r < 0)
		return r;
	pthread_mutex_lock(&cs->lock);
	c->snapshot_ready = true;
	pthread_mutex_unlock(&cs->lock);
	return ctr_save(c, false, err);
}

int containers_create(struct containers *cs, const char *name, const char *platform, json_t *body,
                      json_t **ret, struct husk_error **err)
{
	struct containers_create_opts o = {.name = name, .platform = platform};

	return containers_create_with(cs, &o, body, ret, err);
}

int containers_create_with(struct containers *cs, const struct containers_create_opts *opts,
                           json_t *body, json_t **ret, struct husk_error **err)
{
	static const struct containers_create_opts defaults = {0};
	const struct containers_create_opts *o = opts ? opts : &defaults;
	const char *name = o->name, *platform = o->platform;
	_cleanup_(create_ctx_release) struct create_ctx x = {.cs = cs};
	_cleanup_(ctr_unrefp) struct ctr *c = NULL;
	char id[65];
	int r;

	if (!json_is_object(body))
		return error_set(err, EINVAL,
		                 "config cannot be empty in order to create a container");
	if (!isempty(name) && !containers_name_valid(name))
		return error_set(err, EINVAL,
		                 "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
		                 "allowed",
		                 name);
	r = resolve_image(&x, body, platform, err);
	if (r < 0)
		return r;
	r = check_network_mode(cs,
	                       json_string_value(json_object_get(
	                               json_object_get(x.body, "HostConfig"), "NetworkMode")),
	                       err);
	if (r == 0)
		r = ctr_net_check_endpoints(
		        json_object_get(json_object_get(x.body, "NetworkingConfig"),
		                        "EndpointsConfig"),
		        err);
	if (r == 0)
		r = userns_check_create(&cs->e->remap, json_object_get(x.body, "HostConfig"), err);
	if (r == 0)
		r = ctr_ipc_create_mode(cs, json_object_get(body, "HostConfig"),
		                        json_object_get(x.body, "HostConfig"), err);
	if (r < 0)
		return r;
	if (ctr_generate_id(id) < 0 || !(c = ctr_new(cs, id)))
		return error_set(err, ENOMEM, "out of memory");
	c->ro_recursive = o->ro_recursive;
	pthread_mutex_lock(&c->op);
	r = reserve_name(cs, c, name, err);
	if (r < 0) {
		pthread_mutex_unlock(&c->op);
		return r;
	}
	r = create_on_disk(c, &x, err);
	if (r < 0) {
		create_rollback(c);
		pthread_mutex_unlock(&c->op);
		return r;
	}
	pthread_mutex_lock(&cs->lock);
	c->creating = false;
	pthread_mutex_unlock(&cs->lock);
	pthread_mutex_unlock(&c->op);
	ctr_event(c, "create", NULL);
	*ret = json_pack("{s:s, s:O}", "Id", c->id, "Warnings", x.warnings);
	return *ret ? 0 : error_set(err, ENOMEM, "out of memory");
}

/* The log options of a container: max-size, max-file. */
void ctr_log_options(struct ctr *c, uint64_t *ret_max_size, unsigned *ret_max_files)
{
	json_t *conf = json_object_get(json_object_get(c->host_config, "LogConfig"), "Config");
	const char *size = json_string_value(json_object_get(conf, "max-size"));
	const char *files = json_string_value(json_object_get(conf, "max-file"));
	int64_t n;

	*ret_max_size = DEFAULT_LOG_MAX_SIZE;
	*ret_max_files = DEFAULT_LOG_MAX_FILES;
	if (size && spec_parse_ram_size(size, ret_max_size) < 0)
		*ret_max_size = DEFAULT_LOG_MAX_SIZE;
	if (size && *ret_max_size == 0)
		*ret_max_size = 0; /* "0": unbounded, as max-size -1 in Docker */
	if (files && str_to_int64(files, &n) == 0 && n >= 1 && n <= 1000)
		*ret_max_files = (unsigned)n;
	else if (size)
		*ret_max_files = 1; /* Docker: max-size alone keeps one file */
}
