/* cgroup.c — the container's cgroup: paths, create/open, attach, pids,
 * kill, destroy, and the file helpers the backends share. What the
 * resources mean per cgroup version lives in cgroup_v1.c / cgroup_v2.c. */
#include "runtime/cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "runtime/cgroup_internal.h"

#define CG_READ_MAX   (16u << 20) /* cgroup.procs of a big cgroup is the largest file read */
#define DRAIN_WAIT_MS 2000        /* destroy --force: how long killed processes may take */
#define RMDIR_TRIES   50          /* EBUSY retries while the last tasks leave (10 ms apart) */
#define KILL_ROUNDS   10          /* without a freezer: signal until no new pid shows up */

/* Backends are chosen by name; hybrid hosts use v1 for the resources. */
static const struct {
	const char *name;
	const struct cgroup_ops *ops;
} backends[] = {
        {"v1", &cgroup_v1_ops},
        {"v2", &cgroup_v2_ops},
};

static const char *const backend_of_mode[] = {
        [CGROUP_MODE_V1] = "v1",
        [CGROUP_MODE_HYBRID] = "v1",
        [CGROUP_MODE_V2] = "v2",
};

static const struct cgroup_ops *backend_for(enum cgroup_mode mode)
{
	for (size_t i = 0; i < ELEMENTSOF(backends); i++)
		if (streq(backends[i].name, backend_of_mode[mode]))
			return backends[i].ops;
	return NULL;
}

/* ---- resource groups ---- */

static bool want_cpuset(const struct oci_resources *r)
{
	return !isempty(r->cpu_cpus) || !isempty(r->cpu_mems);
}

static bool want_devices(const struct oci_resources *r)
{
	return r->n_devices > 0;
}

static bool want_memory(const struct oci_resources *r)
{
	return r->has_mem_limit || r->has_mem_reservation || r->has_mem_swap ||
	       r->has_mem_swappiness || (r->has_disable_oom_killer && r->disable_oom_killer);
}

static bool want_cpu(const struct oci_resources *r)
{
	return r->has_cpu_shares || r->has_cpu_quota || r->has_cpu_period || r->has_cpu_burst ||
	       r->has_cpu_rt_runtime || r->has_cpu_rt_period || r->has_cpu_idle;
}

static bool want_pids(const struct oci_resources *r)
{
	return r->has_pids_limit;
}

static bool want_blkio(const struct oci_resources *r)
{
	return r->has_blkio_weight || r->has_blkio_leaf_weight || r->n_blkio_weight_devices ||
	       r->n_throttle_read_bps || r->n_throttle_write_bps || r->n_throttle_read_iops ||
	       r->n_throttle_write_iops;
}

static bool want_hugetlb(const struct oci_resources *r)
{
	return r->n_hugepage_limits > 0;
}

static bool want_net_cls(const struct oci_resources *r)
{
	return r->has_net_class_id;
}

static bool want_net_prio(const struct oci_resources *r)
{
	return r->n_net_priorities > 0;
}

static bool want_unified(const struct oci_resources *r)
{
	return r->n_unified > 0;
}

static const struct {
	const char *what;
	bool (*wanted)(const struct oci_resources *r);
} resources[CGROUP_RES_COUNT] = {
        [CGROUP_RES_CPUSET] = {"linux.resources.cpu (cpus/mems)", want_cpuset},
        [CGROUP_RES_DEVICES] = {"linux.resources.devices", want_devices},
        [CGROUP_RES_MEMORY] = {"linux.resources.memory", want_memory},
        [CGROUP_RES_CPU] = {"linux.resources.cpu", want_cpu},
        [CGROUP_RES_PIDS] = {"linux.resources.pids", want_pids},
        [CGROUP_RES_BLKIO] = {"linux.resources.blockIO", want_blkio},
        [CGROUP_RES_HUGETLB] = {"linux.resources.hugepageLimits", want_hugetlb},
        [CGROUP_RES_NET_CLS] = {"linux.resources.network.classID", want_net_cls},
        [CGROUP_RES_NET_PRIO] = {"linux.resources.network.priorities", want_net_prio},
        [CGROUP_RES_UNIFIED] = {"linux.resources.unified", want_unified},
};

bool cgroup_res_wanted(enum cgroup_res res, const struct oci_resources *r)
{
	return resources[res].wanted(r);
}

const char *cgroup_res_what(enum cgroup_res res)
{
	return resources[res].what;
}

/* ---- file helpers ---- */

int cg_write(const char *dir, const char *file, const char *value, struct husk_error **err)
{
	_cleanup_free_ char *p = path_join(dir, file);
	_cleanup_close_ int fd = -1;
	size_t len = strlen(value);
	ssize_t n;

	if (!p)
		return error_set(err, ENOMEM, "out of memory");
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set_errno(err, errno, "write \"%s\" to \"%s\"", value, p);
	/* one write(2): cgroup files parse each write as a whole */
	n = RETRY_EINTR(write(fd, value, len));
	if (n < 0)
		return error_set_errno(err, errno, "write \"%s\" to \"%s\"", value, p);
	if ((size_t)n != len)
		return error_set(err, EIO, "write \"%s\" to \"%s\": short write", value, p);
	return 0;
}

int cg_writef(const char *dir, const char *file, struct husk_error **err, const char *fmt, ...)
{
	_cleanup_free_ char *value = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&value, fmt, ap);
	va_end(ap);
	if (r < 0)
		return error_set(err, ENOMEM, "out of memory");
	return cg_write(dir, file, value, err);
}

int cg_read(const char *dir, const char *file, char **ret, struct husk_error **err)
{
	_cleanup_free_ char *p = path_join(dir, file);

	if (!p)
		return error_set(err, ENOMEM, "out of memory");
	return read_file(p, CG_READ_MAX, ret, NULL, err);
}

bool cg_has(const char *dir, const char *file)
{
	_cleanup_free_ char *p = path_join(dir, file);

	return p && access(p, F_OK) == 0;
}

static int parse_u64(const char *s, uint64_t *ret)
{
	_cleanup_free_ char *t = str_strip(s);

	if (!t)
		return -ENOMEM;
	if (streq(t, "max")) {
		*ret = UINT64_MAX;
		return 0;
	}
	return str_to_uint64(t, ret);
}

int cg_read_u64(const char *dir, const char *file, uint64_t *ret)
{
	_cleanup_free_ char *text = NULL;
	int r = cg_read(dir, file, &text, NULL);

	return r < 0 ? r : parse_u64(text, ret);
}

int cg_kv(const char *text, const char *key, uint64_t *ret)
{
	size_t klen = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (strncmp(l, key, klen) != 0 || l[klen] != ' ')
			continue;
		char buf[32];
		size_t n = strcspn(l + klen + 1, "\n");

		if (n >= sizeof(buf))
			return -ERANGE;
		memcpy(buf, l + klen + 1, n);
		buf[n] = 0;
		return parse_u64(buf, ret);
	}
	return -ENOENT;
}

int cg_warn(char ***warnings, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	return strv_push_take(warnings, s);
}

void cg_sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

const struct cgroup_dir *cgroup_dir_of(const struct cgroup *cg, const char *controller)
{
	if (!controller)
		return NULL;
	for (size_t i = 0; i < cg->n_dirs; i++)
		if (streq(cg->dirs[i].controller, controller))
			return &cg->dirs[i];
	return NULL;
}

/* ---- paths ---- */

static int path_invalid(const char *shown, const char *why, struct husk_error **err)
{
	return error_set(err, EINVAL, "cgroupsPath \"%s\": %s", shown, why);
}

/* Clean "." and repeated "/" lexically; refuse "..", control characters
 * and a path naming the hierarchy root itself. */
static int path_clean(const char *p, const char *shown, char **ret, struct husk_error **err)
{
	_cleanup_strv_ char **parts = strv_split(p, "/"), **keep = strv_new();
	_cleanup_free_ char *joined = NULL;

	if (!parts || !keep)
		return error_set(err, ENOMEM, "out of memory");
	for (const char *c = p; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return path_invalid(shown, "must not contain control characters", err);
	STRV_FOREACH (c, parts) {
		if (streq(*c, ".."))
			return path_invalid(shown, "must not contain \"..\"", err);
		if (**c && !streq(*c, ".") && strv_push(&keep, *c) < 0)
			return error_set(err, ENOMEM, "out of memory");
	}
	if (!keep[0])
		return path_invalid(shown, "must name a cgroup below the hierarchy root", err);
	joined = strv_join(keep, "/");
	if (!joined)
		return error_set(err, ENOMEM, "out of memory");
	*ret = p[0] == '/' ? str_printf("/%s", joined) : TAKE_PTR(joined);
	return *ret ? 0 : error_set(err, ENOMEM, "out of memory");
}

/* systemd's slice expansion: "a-b-c.slice" → "a.slice/a-b.slice/a-b-c.slice",
 * "-.slice" (the root slice) → "". */
static int expand_slice(const char *slice, const char *shown, struct strbuf *sb,
                        struct husk_error **err)
{
	size_t n = strlen(slice);

	if (streq(slice, "-.slice"))
		return 0;
	if (!endswith(slice, ".slice") || n == 6 || strchr(slice, '/') || slice[0] == '-' ||
	    strstr(slice, "--") || slice[n - 7] == '-')
		return path_invalid(shown, "invalid slice name", err);
	for (size_t i = 0; i < n - 6; i++) {
		if (slice[i] != '-')
			continue;
		if (strbuf_printf(sb, "/%.*s.slice", (int)i, slice) < 0)
			return error_set(err, ENOMEM, "out of memory");
	}
	if (strbuf_printf(sb, "/%s", slice) < 0)
		return error_set(err, ENOMEM, "out of memory");
	return 0;
}

/* --systemd-cgroup "slice:prefix:name" → the cgroupfs path systemd would
 * use. There is no systemd to ask on these hosts, so husk emulates it with
 * plain directories: "system.slice:husk:ID" → "/system.slice/husk-ID.scope". */
static int systemd_path(const char *spec, char **ret, struct husk_error **err)
{
	_cleanup_strv_ char **f = strv_split(spec, ":");
	struct strbuf sb = {0};
	int r;

	if (!f)
		return error_set(err, ENOMEM, "out of memory");
	if (strv_length(f) != 3 || isempty(f[2]) || strchr(f[1], '/') || strchr(f[2], '/'))
		return path_invalid(spec, "expected \"slice:prefix:name\" with --systemd-cgroup",
		                    err);
	r = expand_slice(isempty(f[0]) ? "system.slice" : f[0], spec, &sb, err);
	if (r >= 0 && endswith(f[2], ".slice"))
		r = strbuf_printf(&sb, "/%s", f[2]);
	else if (r >= 0)
		r = strbuf_printf(&sb, "/%s%s%s.scope", f[1], *f[1] ? "-" : "", f[2]);
	if (r < 0) {
		strbuf_release(&sb);
		return error_set(err, -r, "cgroupsPath \"%s\": out of memory", spec);
	}
	*ret = strbuf_steal(&sb);
	return 0;
}

int cgroup_path_resolve(const char *cgroups_path, const char *id, enum cgroup_flags flags,
                        char **ret, struct husk_error **err)
{
	_cleanup_free_ char *dflt = NULL, *expanded = NULL;
	const char *p = cgroups_path;
	int r;

	if (isempty(p)) {
		if (isempty(id))
			return error_set(err, EINVAL,
			                 "cgroupsPath: none given and no container id");
		dflt = str_printf((flags & CGROUP_SYSTEMD) ? "system.slice:husk:%s" : "/husk/%s",
		                  id);
		if (!dflt)
			return error_set(err, ENOMEM, "out of memory");
		p = dflt;
	}
	if (flags & CGROUP_SYSTEMD) {
		r = systemd_path(p, &expanded, err);
		if (r < 0)
			return r;
	}
	return path_clean(expanded ? expanded : p, p, ret, err);
}

int cgroup_own_path(const char *proc_cgroup, const char *controller, char **ret)
{
	_cleanup_strv_ char **lines = strv_split(proc_cgroup, "\n");

	if (!lines)
		return -ENOMEM;
	STRV_FOREACH (l, lines) {
		char *c = strchr(*l, ':'), *p = c ? strchr(c + 1, ':') : NULL;

		if (!p)
			continue;
		*p = 0;
		_cleanup_strv_ char **names = strv_split(c + 1, ",");
		bool match = *controller ? names && strv_contains(names, controller)
		                         : streq(c + 1, "") && startswith(*l, "0:");
		if (match) {
			*ret = strdup(p + 1);
			return *ret ? 0 : -ENOMEM;
		}
	}
	return -ENOENT;
}

/* ---- struct cgroup ---- */

void cgroup_free(struct cgroup *cg)
{
	if (!cg)
		return;
	for (size_t i = 0; i < cg->n_dirs; i++) {
		free(cg->dirs[i].controller);
		free(cg->dirs[i].mount);
		free(cg->dirs[i].path);
	}
	free(cg);
}

static struct cgroup *cgroup_new(enum cgroup_mode mode)
{
	struct cgroup *cg = calloc(1, sizeof(*cg));

	if (!cg)
		return NULL;
	cg->mode = mode;
	cg->ops = backend_for(mode);
	return cg;
}

static int add_dir(struct cgroup *cg, const char *controller, const char *mount, char *path)
{
	struct cgroup_dir *d;

	if (!path)
		return -ENOMEM;
	if (cg->n_dirs >= ELEMENTSOF(cg->dirs)) {
		free(path);
		return -E2BIG;
	}
	d = &cg->dirs[cg->n_dirs];
	d->path = path;
	d->controller = strdup(controller);
	d->mount = strdup(mount);
	cg->n_dirs++;
	for (size_t i = 0; i + 1 < cg->n_dirs; i++)
		d->dup |= streq(cg->dirs[i].path, path);
	return d->controller && d->mount ? 0 : -ENOMEM;
}

/* mount + (own cgroup for relative paths) + rel */
static char *dir_path(const char *mount, const char *self, const char *controller, const char *rel)
{
	_cleanup_free_ char *own = NULL, *base = NULL;

	if (rel[0] == '/')
		return path_join(mount, rel);
	if (!self || cgroup_own_path(self, controller, &own) < 0)
		return NULL;
	base = path_join(mount, own);
	return base ? path_join(base, rel) : NULL;
}

static int fill_dirs(struct cgroup *cg, const struct cgroup_layout *l, const char *self,
                     const char *rel, struct husk_error **err)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && l->mode != CGROUP_MODE_V2 && i < l->n_v1; i++)
		r = add_dir(cg, l->v1[i].controller, l->v1[i].path,
		            dir_path(l->v1[i].path, self, l->v1[i].controller, rel));
	if (r >= 0 && l->mode != CGROUP_MODE_V1 && l->unified)
		r = add_dir(cg, "", l->unified, dir_path(l->unified, self, "", rel));
	if (r < 0)
		return error_set(err, -r, "cgroup \"%s\": cannot place it in every hierarchy", rel);
	if (cg->n_dirs == 0)
		return error_set(err, ENOENT, "cgroup \"%s\": no cgroup hierarchy is mounted", rel);
	return 0;
}

/* mkdir each component below the mount, recording what we made. */
static int make_parents(struct cgroup *cg, const struct cgroup_dir *d, char ***made,
                        struct husk_error **err)
{
	_cleanup_free_ char *p = strdup(d->path);
	int r;

	if (!p)
		return error_set(err, ENOMEM, "out of memory");
	for (char *s = p + strlen(d->mount); s;) {
		s = strchr(s + 1, '/');
		if (s)
			*s = 0;
		if (mkdir(p, 0755) == 0) {
			if (strv_push(made, p) < 0)
				return error_set(err, ENOMEM, "out of memory");
		} else if (errno != EEXIST) {
			return error_set_errno(err, errno, "mkdir \"%s\"", p);
		}
		r = cg->ops->prepare_dir ? cg->ops->prepare_dir(d, p, err) : 0;
		if (r < 0)
			return r;
		if (s)
			*s = '/';
	}
	return 0;
}

/* The leaf first: its parents usually exist already (one mkdir instead
 * of one per component). *ret_fresh: we made the leaf, so it is empty. */
static int make_dir(struct cgroup *cg, const struct cgroup_dir *d, char ***made, bool *ret_fresh,
                    struct husk_error **err)
{
	*ret_fresh = false;
	if (mkdir(d->path, 0755) == 0) {
		*ret_fresh = true;
		if (strv_push(made, d->path) < 0)
			return error_set(err, ENOMEM, "out of memory");
		return cg->ops->prepare_dir ? cg->ops->prepare_dir(d, d->path, err) : 0;
	}
	if (errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return error_set_errno(err, errno, "mkdir \"%s\"", d->path);
	*ret_fresh = true;
	return make_parents(cg, d, made, err);
}

static void remove_made(char **made)
{
	for (size_t n = strv_length(made); n > 0; n--)
		(void)rmdir(made[n - 1]);
}

static int collect_pids(const char *dir, pid_t **v, size_t *n, struct husk_error **err);

/* An existing cgroup is reused only when no process is in it. */
static int check_empty(struct cgroup *cg, const bool *fresh, struct husk_error **err)
{
	for (size_t i = 0; i < cg->n_dirs; i++) {
		_cleanup_free_ pid_t *pids = NULL;
		size_t n = 0;
		int r;

		if (cg->dirs[i].dup || fresh[i])
			continue;
		r = collect_pids(cg->dirs[i].path, &pids, &n, err);
		if (r < 0)
			return r;
		if (n > 0)
			return error_set(err, EBUSY,
			                 "cgroup \"%s\" already exists with %zu processes",
			                 cg->dirs[i].path, n);
	}
	return 0;
}

int cgroup_create(const struct cgroup_layout *layout, const char *cgroups_path, const char *id,
                  enum cgroup_flags flags, struct cgroup **ret, struct husk_error **err)
{
	_cleanup_(cgroup_freep) struct cgroup *cg = cgroup_new(layout->mode);
	_cleanup_free_ char *rel = NULL, *self = NULL;
	_cleanup_strv_ char **made = strv_new();
	int r;

	if (!cg || !made)
		return error_set(err, ENOMEM, "out of memory");
	r = cgroup_path_resolve(cgroups_path, id, flags, &rel, err);
	if (r < 0)
		return r;
	if (rel[0] != '/' && (r = read_file("/proc/self/cgroup", 1 << 16, &self, NULL, err)) < 0)
		return r;
	r = fill_dirs(cg, layout, self, rel, err);
	bool fresh[CGROUP_MAX_CONTROLLERS + 1] = {false};
	for (size_t i = 0; r >= 0 && i < cg->n_dirs; i++)
		if (!cg->dirs[i].dup)
			r = make_dir(cg, &cg->dirs[i], &made, &fresh[i], err);
	if (r >= 0)
		r = check_empty(cg, fresh, err);
	if (r < 0) {
		remove_made(made); /* a failed create leaves nothing behind */
		return r;
	}
	*ret = TAKE_PTR(cg);
	return 0;
}

/* A saved path must lie strictly below its hierarchy's mount. */
static int open_one(struct cgroup *cg, const char *controller, const char *mount, json_t *v,
                    struct husk_error **err)
{
	const char *p = json_string_value(v), *rest = p ? startswith(p, mount) : NULL;

	if (!rest || rest[0] != '/' || !rest[1] || strstr(p, "/../") || endswith(p, "/.."))
		return error_set(err, EINVAL, "cgroup paths: \"%s\" is not below \"%s\"",
		                 p ? p : "(not a string)", mount);
	if (add_dir(cg, controller, mount, strdup(p)) < 0)
		return error_set(err, ENOMEM, "out of memory");
	return 0;
}

int cgroup_open(const struct cgroup_layout *layout, json_t *paths, struct cgroup **ret,
                struct husk_error **err)
{
	_cleanup_(cgroup_freep) struct cgroup *cg = cgroup_new(layout->mode);
	const char *key;
	json_t *v;
	int r;

	if (!cg)
		return error_set(err, ENOMEM, "out of memory");
	if (!json_is_object(paths))
		return error_set(err, EINVAL, "cgroup paths: expected an object");
	json_object_foreach (paths, key, v) {
		const char *mount = *key ? cgroup_v1_path(layout, key) : layout->unified;

		if (!mount || (*key && layout->mode == CGROUP_MODE_V2) ||
		    (!*key && layout->mode == CGROUP_MODE_V1))
			return error_set(err, ENOENT,
			                 "cgroup paths: hierarchy \"%s\" is not mounted", key);
		r = open_one(cg, key, mount, v, err);
		if (r < 0)
			return r;
	}
	if (cg->n_dirs == 0)
		return error_set(err, EINVAL, "cgroup paths: empty");
	*ret = TAKE_PTR(cg);
	return 0;
}

json_t *cgroup_paths_json(const struct cgroup *cg)
{
	_cleanup_json_ json_t *o = json_object();

	if (!o)
		return NULL;
	for (size_t i = 0; i < cg->n_dirs; i++)
		if (json_set(o, cg->dirs[i].controller, json_string(cg->dirs[i].path)) < 0)
			return NULL;
	return TAKE_PTR(o);
}

/* ---- operations ---- */

int cgroup_apply(struct cgroup *cg, const struct oci_resources *r, char ***ret_warnings,
                 struct husk_error **err)
{
	_cleanup_strv_ char **w = strv_new();
	int k = w ? 0 : -ENOMEM;

	if (k == 0 && r->has_mem_kernel)
		k = cg_warn(&w, "linux.resources.memory.kernel is deprecated and ignored");
	if (k == 0 && r->has_mem_kernel_tcp)
		k = cg_warn(&w, "linux.resources.memory.kernelTCP is deprecated and ignored");
	if (k < 0)
		return error_set(err, ENOMEM, "out of memory");
	for (int res = 0; res < CGROUP_RES_COUNT; res++) {
		if (!cgroup_res_wanted(res, r))
			continue;
		k = cg->ops->apply_one(cg, res, r, &w, err);
		if (k < 0)
			return k;
	}
	if (ret_warnings)
		*ret_warnings = TAKE_PTR(w);
	return 0;
}

int cgroup_attach(struct cgroup *cg, pid_t pid, struct husk_error **err)
{
	for (size_t i = 0; i < cg->n_dirs; i++) {
		int r;

		if (cg->dirs[i].dup)
			continue;
		r = cg_writef(cg->dirs[i].path, "cgroup.procs", err, "%d", (int)pid);
		if (r < 0)
			return r;
	}
	return 0;
}

static int open_attach_file(const char *dir, const char *file, struct husk_error **err)
{
	_cleanup_free_ char *p = path_join(dir, file);
	int fd = p ? open(p, O_WRONLY | O_CLOEXEC) : -ENOMEM;

	if (fd < 0)
		return error_set_errno(err, p ? errno : ENOMEM, "open \"%s/%s\"", dir, file);
	return fd;
}

int cgroup_attach_prepare(struct cgroup *cg, int *ret_dirfd, int **ret_fds, size_t *ret_n,
                          struct husk_error **err)
{
	_cleanup_free_ int *fds = calloc(cg->n_dirs + 1, sizeof(int));
	const struct cgroup_dir *u = NULL;
	size_t n = 0;
	int r = 0;

	if (!fds)
		return error_set(err, ENOMEM, "out of memory");
	*ret_dirfd = -1;
	for (size_t i = 0; i < cg->n_dirs && r >= 0; i++) {
		if (cg->dirs[i].dup)
			continue;
		if (isempty(cg->dirs[i].controller)) {
			u = &cg->dirs[i];
			continue;
		}
		r = fds[n] = open_attach_file(cg->dirs[i].path, "tasks", err);
		n += r >= 0;
	}
	if (r >= 0 && u) {
		r = fds[n] = open_attach_file(u->path, "cgroup.procs", err);
		n += r >= 0;
		*ret_dirfd = open(u->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (r >= 0 && *ret_dirfd < 0)
			r = error_set_errno(err, errno, "open \"%s\"", u->path);
	}
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			safe_close(fds[i]);
		*ret_dirfd = safe_close(*ret_dirfd);
		return r;
	}
	*ret_fds = TAKE_PTR(fds);
	*ret_n = n;
	return 0;
}

int cgroup_attach_self(const int *fds, size_t n, bool into_cgroup)
{
	/* the cgroup2 procs fd, when there is one, is last */
	for (size_t i = 0; i < n; i++) {
		if (into_cgroup && i + 1 == n)
			break;
		if (RETRY_EINTR(pwrite(fds[i], "0", 1, 0)) < 0)
			return -errno;
	}
	return 0;
}

int cgroup_freeze(struct cgroup *cg, bool frozen, struct husk_error **err)
{
	return cg->ops->freeze(cg, frozen, err);
}

int cgroup_is_frozen(struct cgroup *cg, bool *ret, struct husk_error **err)
{
	return cg->ops->is_frozen(cg, ret, err);
}

static int parse_procs(const char *text, pid_t **v, size_t *n)
{
	for (const char *s = text; *s;) {
		char *end;
		long pid = strtol(s, &end, 10);

		if (end == s)
			break;
		pid_t *nv = reallocarray(*v, *n + 1, sizeof(**v));
		if (!nv)
			return -ENOMEM;
		*v = nv;
		(*v)[(*n)++] = (pid_t)pid;
		s = end + strspn(end, "\n");
	}
	return 0;
}

/* cgroup.procs of dir and of every directory below it. A directory that
 * vanishes meanwhile (its last process left) is skipped. */
static int collect_pids(const char *dir, pid_t **v, size_t *n, struct husk_error **err)
{
	_cleanup_free_ char *text = NULL;
	DIR *d;
	struct dirent *de;
	int r = cg_read(dir, "cgroup.procs", &text, NULL);

	if (r == -ENOENT)
		return 0;
	if (r < 0 || (r = parse_procs(text, v, n)) < 0)
		return error_set_errno(err, -r, "read \"%s/cgroup.procs\"", dir);
	d = opendir(dir);
	while (d && r >= 0 && (de = readdir(d))) {
		if (de->d_type != DT_DIR || streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		_cleanup_free_ char *sub = path_join(dir, de->d_name);

		r = sub ? collect_pids(sub, v, n, err) : error_set(err, ENOMEM, "out of memory");
	}
	if (d)
		closedir(d);
	return r;
}

int cgroup_pids(struct cgroup *cg, pid_t **ret, size_t *ret_n, struct husk_error **err)
{
	_cleanup_free_ pid_t *v = NULL;
	const struct cgroup_dir *d = cg->ops->procs_dir(cg);
	size_t n = 0;
	int r;

	if (!d)
		return error_set(err, ENOENT, "cgroup: no hierarchy lists its processes");
	if (!cg_has(d->path, "cgroup.procs"))
		return error_set(err, ENOENT, "cgroup \"%s\" does not exist", d->path);
	r = collect_pids(d->path, &v, &n, err);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(v);
	*ret_n = n;
	return 0;
}

static int signal_all(struct cgroup *cg, int sig, size_t *ret_n, struct husk_error **err)
{
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	int r = cgroup_pids(cg, &pids, &n, err);

	for (size_t i = 0; r >= 0 && i < n; i++)
		if (kill(pids[i], sig) < 0 && errno != ESRCH)
			r = error_set_errno(err, errno, "kill %d", (int)pids[i]);
	if (ret_n)
		*ret_n = n;
	return r;
}

static bool is_frozen(struct cgroup *cg)
{
	bool frozen = false;

	return cg->ops->is_frozen(cg, &frozen, NULL) == 0 && frozen;
}

/* Signal each process with the cgroup frozen, so that nothing forks past
 * the signal; thaw after, unless it was paused before and the signal is
 * not SIGKILL (which must land). Without a freezer, signal until a round
 * finds no process left (bounded). */
static int freeze_and_signal(struct cgroup *cg, int sig, struct husk_error **err)
{
	bool paused = is_frozen(cg);
	size_t n;
	int r;

	if (cg->ops->freeze(cg, true, NULL) == 0) {
		r = signal_all(cg, sig, NULL, err);
		if (paused && sig != SIGKILL)
			return r;
		int t = cg->ops->freeze(cg, false, r < 0 ? NULL : err);
		return r < 0 ? r : t;
	}
	/* only SIGKILL is sure to empty it: other signals are sent once */
	for (int round = 0; round < KILL_ROUNDS; round++) {
		r = signal_all(cg, sig, &n, err);
		if (r < 0 || n == 0 || sig != SIGKILL)
			return r;
		cg_sleep_ms(5);
	}
	return 0;
}

int cgroup_kill_all(struct cgroup *cg, int sig, struct husk_error **err)
{
	int r = cg->ops->kill ? cg->ops->kill(cg, sig, err) : -EOPNOTSUPP;

	if (r == -EOPNOTSUPP)
		return freeze_and_signal(cg, sig, err);
	/* cgroup.kill (hybrid: in the unified tree) does not reach tasks held
	 * by the v1 freezer: thaw a paused container so that they die */
	if (r >= 0 && is_frozen(cg))
		r = cg->ops->freeze(cg, false, err);
	return r;
}

static size_t count_pids(struct cgroup *cg)
{
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;

	return cgroup_pids(cg, &pids, &n, NULL) < 0 ? 0 : n;
}

int cgroup_stats(struct cgroup *cg, struct cgroup_stats *ret, struct husk_error **err)
{
	const struct cgroup_dir *d = cg->ops->procs_dir(cg);

	*ret = (struct cgroup_stats){0};
	if (d && !cg_has(d->path, "cgroup.procs"))
		return error_set(err, ENOENT, "cgroup \"%s\" does not exist", d->path);
	return cg->ops->stats(cg, ret, err);
}

int cgroup_oom_kills(struct cgroup *cg, uint64_t *ret)
{
	const struct cgroup_dir *v1 = cgroup_dir_of(cg, "memory"), *v2 = cgroup_dir_of(cg, "");
	_cleanup_free_ char *text = NULL;
	int r = -ENOENT;

	*ret = 0;
	if (v1)
		r = cg_read(v1->path, "memory.oom_control", &text, NULL);
	else if (v2)
		r = cg_read(v2->path, "memory.events", &text, NULL);
	return r < 0 ? r : cg_kv(text, "oom_kill", ret);
}

void cgroup_stats_release(struct cgroup_stats *s)
{
	free(s->percpu_ns);
	s->percpu_ns = NULL;
	s->n_percpu = 0;
}

/* rmdir children first (the container may have made nested cgroups);
 * EBUSY is retried while the last exiting tasks leave. */
static int rmdir_tree(const char *path, struct husk_error **err)
{
	DIR *d;
	struct dirent *de;
	int r = 0;

	/* the usual cgroup has no children: one rmdir, no listing of its
	 * dozens of files */
	if (rmdir(path) == 0 || errno == ENOENT)
		return 0;
	d = opendir(path);
	while (d && r >= 0 && (de = readdir(d))) {
		if (de->d_type != DT_DIR || streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		_cleanup_free_ char *sub = path_join(path, de->d_name);

		r = sub ? rmdir_tree(sub, err) : error_set(err, ENOMEM, "out of memory");
	}
	if (d)
		closedir(d);
	for (int i = 0; r >= 0 && rmdir(path) < 0; i++) {
		if (errno == ENOENT)
			break;
		if (errno != EBUSY || i >= RMDIR_TRIES)
			return error_set_errno(err, errno, "rmdir \"%s\"", path);
		cg_sleep_ms(10);
	}
	return r;
}

static void wait_drained(struct cgroup *cg)
{
	for (int ms = 0; ms < DRAIN_WAIT_MS && count_pids(cg) > 0; ms += 10)
		cg_sleep_ms(10);
}

static bool any_dir_exists(const struct cgroup *cg)
{
	for (size_t i = 0; i < cg->n_dirs; i++)
		if (access(cg->dirs[i].path, F_OK) == 0)
			return true;
	return false;
}

int cgroup_destroy(struct cgroup *cg, bool force, struct husk_error **err)
{
	size_t n;
	int r = 0;

	if (!any_dir_exists(cg))
		return 0; /* destroyed before */
	n = count_pids(cg);
	if (force && n > 0) {
		(void)cgroup_kill_all(cg, SIGKILL, NULL);
		wait_drained(cg);
	} else if (n > 0) {
		return error_set(err, EBUSY, "cgroup \"%s\" still has %zu processes",
		                 cg->ops->procs_dir(cg)->path, n);
	}
	for (size_t i = cg->n_dirs; i > 0; i--) {
		int k = cg->dirs[i - 1].dup ? 0 : rmdir_tree(cg->dirs[i - 1].path, err);

		r = r < 0 ? r : k;
	}
	return r;
}
