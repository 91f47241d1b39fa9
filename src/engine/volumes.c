/* volumes.c — named volumes of the local driver: records on disk, Docker's
 * JSON and filters, mounting the driver's filesystem on use, copy-up. */
#include "engine/volumes.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <regex.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "image/images.h"
/* tree_copy()/tree_size(): the store's faithful, symlink-safe tree copy
 * (owners, modes, times, xattrs, hard links) is exactly Docker's copy-up. */
#include "store/store.h"

#define OPTS_JSON "opts.json"
#define DATA_DIR  "_data"

/* A volume some container uses now (in memory only: after a daemon
 * restart the engine takes its uses again for the containers it
 * restores). */
struct volume_use {
	char *name;
	unsigned users;
	bool mounted_by_us; /* we mounted the driver's fs: unmount at the end */
	struct volume_use *next;
};

struct volumes {
	char *root; /* <data-root>/volumes */
	int root_fd;
	pthread_mutex_t lock;
	struct volume_use *uses;
	uid_t data_uid; /* owner of a new volume's _data: the (remapped) root */
	gid_t data_gid;
};

/* What opts.json holds. */
struct volume_meta {
	json_t *doc; /* {"Driver","Labels","Options","CreatedAt"} */
};

static const char *const driver_opt_keys[] = {"type", "o", "device", "size", NULL};

bool volume_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n < 2 || n > VOLUME_NAME_MAX)
		return false;
	if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z') ||
	      (name[0] >= '0' && name[0] <= '9')))
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
	       n;
}

static int name_check(const char *name, struct husk_error **err)
{
	if (strlen(name) == 1)
		return error_set(
		        err, EINVAL,
		        "create %s: volume name is too short, names should be at least two "
		        "alphanumeric characters",
		        name);
	if (strlen(name) > VOLUME_NAME_MAX)
		return error_set(err, EINVAL,
		                 "create %.64s…: volume name is longer than %d characters", name,
		                 VOLUME_NAME_MAX);
	if (!volume_name_valid(name))
		return error_set(err, EINVAL,
		                 "create %s: \"%s\" includes invalid characters for a local volume "
		                 "name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you "
		                 "intended to pass a host directory, use absolute path",
		                 name, name);
	return 0;
}

/* Leftovers of an interrupted create or remove: ".tmp-*" and ".rm-*". */
static void clean_leftovers(struct volumes *v)
{
	int fd = dup(v->root_fd);
	struct dirent *de;
	DIR *d;

	if (fd < 0 || !(d = fdopendir(fd))) {
		safe_close(fd);
		return;
	}
	while ((de = readdir(d))) {
		_cleanup_free_ char *p = NULL;

		if (!startswith(de->d_name, ".tmp-") && !startswith(de->d_name, ".rm-"))
			continue;
		p = path_join(v->root, de->d_name);
		if (p)
			(void)rm_rf(p);
	}
	closedir(d);
}

int volumes_open(const char *data_root, struct volumes **ret, struct husk_error **err)
{
	_cleanup_(volumes_freep) struct volumes *v = calloc(1, sizeof(*v));
	int r;

	if (!v)
		return error_set(err, ENOMEM, "out of memory");
	v->root_fd = -1;
	v->data_uid = (uid_t)-1;
	v->data_gid = (gid_t)-1;
	pthread_mutex_init(&v->lock, NULL);
	v->root = path_join(data_root, "volumes");
	if (!v->root)
		return error_set(err, ENOMEM, "out of memory");
	r = mkdir_p(v->root, 0701);
	if (r < 0)
		return error_set_errno(err, -r, "create \"%s\"", v->root);
	v->root_fd = open(v->root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (v->root_fd < 0)
		return error_set_errno(err, errno, "open \"%s\"", v->root);
	if (fchmod(v->root_fd, 0701) < 0)
		return error_set_errno(err, errno, "chmod \"%s\"", v->root);
	clean_leftovers(v);
	*ret = TAKE_PTR(v);
	return 0;
}

void volumes_set_owner(struct volumes *v, uid_t uid, gid_t gid)
{
	v->data_uid = uid;
	v->data_gid = gid;
}

void volumes_free(struct volumes *v)
{
	if (!v)
		return;
	while (v->uses) {
		struct volume_use *u = v->uses;
		v->uses = u->next;
		free(u->name);
		free(u);
	}
	safe_close(v->root_fd);
	pthread_mutex_destroy(&v->lock);
	free(v->root);
	free(v);
}

/* ---- records ---- */

static char *data_path(struct volumes *v, const char *name)
{
	return str_printf("%s/%s/" DATA_DIR, v->root, name);
}

/* RFC 3339 in local time without a fraction, as Go's time.RFC3339. */
static void format_created(time_t t, char *buf, size_t len)
{
	struct tm tm;
	long off;
	size_t n;

	localtime_r(&t, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	off = tm.tm_gmtoff / 60;
	if (off == 0)
		snprintf(buf + n, len - n, "Z");
	else
		snprintf(buf + n, len - n, "%c%02ld:%02ld", off < 0 ? '-' : '+', labs(off) / 60,
		         labs(off) % 60);
}

/* Load <name>/opts.json. -ENOENT "get x: no such volume". */
static int meta_load(struct volumes *v, const char *name, json_t **ret, struct husk_error **err)
{
	_cleanup_free_ char *p = str_printf("%s/%s/" OPTS_JSON, v->root, name);
	_cleanup_error_ struct husk_error *e = NULL;
	int r;

	if (!p)
		return error_set(err, ENOMEM, "out of memory");
	if (!volume_name_valid(name))
		return error_set(err, ENOENT, "get %s: no such volume", name);
	r = json_load_path(p, VOLUME_OPTS_JSON_MAX, ret, &e);
	if (r == -ENOENT)
		return error_set(err, ENOENT, "get %s: no such volume", name);
	if (r < 0)
		return error_set(err, -r, "get %s: %s", name, error_message(e));
	if (!json_is_object(*ret)) {
		json_decref(*ret);
		*ret = NULL;
		return error_set(err, EIO, "get %s: %s: expected an object", name, OPTS_JSON);
	}
	return 0;
}

static json_t *object_or_null(json_t *doc, const char *key)
{
	json_t *o = json_object_get(doc, key);

	return json_is_object(o) ? json_deep_copy(o) : json_null();
}

/* Docker's Volume object from the record. */
static json_t *volume_json(struct volumes *v, const char *name, json_t *meta)
{
	_cleanup_free_ char *mp = data_path(v, name);
	const char *created = json_string_value(json_object_get(meta, "CreatedAt"));
	const char *driver = json_string_value(json_object_get(meta, "Driver"));

	if (!mp)
		return NULL;
	return json_pack("{s:s, s:s, s:o, s:s, s:s, s:o, s:s}", "CreatedAt", created ? created : "",
	                 "Driver", driver ? driver : "local", "Labels",
	                 object_or_null(meta, "Labels"), "Mountpoint", mp, "Name", name, "Options",
	                 object_or_null(meta, "Options"), "Scope", "local");
}

/* A string→string object, or NULL. */
static int check_string_map(json_t *m, const char *what, struct husk_error **err)
{
	const char *k;
	json_t *val;

	if (!m || json_is_null(m))
		return 0;
	if (!json_is_object(m))
		return error_set(err, EINVAL, "%s: expected an object of strings", what);
	json_object_foreach (m, k, val)
		if (!json_is_string(val))
			return error_set(err, EINVAL, "%s: \"%s\": expected a string", what, k);
	return 0;
}

/* The local driver's options (moby volume/local: validateOpts). */
static int check_driver_opts(const char *name, json_t *opts, struct husk_error **err)
{
	const char *k;
	json_t *val;

	if (check_string_map(opts, "DriverOpts", err) < 0)
		return error_wrap(err, "create %s", name);
	if (json_object_size(opts) == 0)
		return 0;
	json_object_foreach (opts, k, val)
		if (!strv_contains((char *const *)driver_opt_keys, k))
			return error_set(err, EINVAL, "create %s: invalid option: \"%s\"", name, k);
	if (json_object_get(opts, "size"))
		return error_set(err, EOPNOTSUPP,
		                 "create %s: quota size requested but no quota support", name);
	for (const char *const *req = (const char *const[]){"type", "device", NULL}; *req; req++)
		if (isempty(json_string_value(json_object_get(opts, *req))))
			return error_set(err, EINVAL, "create %s: missing required option: \"%s\"",
			                 name, *req);
	return 0;
}

static void random_name(char out[65])
{
	unsigned char b[32];

	if (getrandom(b, sizeof(b), 0) != sizeof(b)) {
		/* never reached on Linux >= 3.17 for 32 bytes; still unique enough */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		memcpy(b, &ts, MIN(sizeof(ts), sizeof(b)));
	}
	for (size_t i = 0; i < sizeof(b); i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* Make <root>/.tmp-<rand> with _data and opts.json, then rename it to the
 * name: a crash leaves either nothing or a whole volume. -EEXIST when the
 * name appeared meanwhile. */
static int write_volume(struct volumes *v, const char *name, json_t *meta, struct husk_error **err)
{
	char rnd[65], tmp[80];
	_cleanup_free_ char *text = json_dumps(meta, JSON_INDENT(2) | JSON_SORT_KEYS);
	_cleanup_close_ int dfd = -1;
	int r;

	if (!text)
		return error_set(err, ENOMEM, "out of memory");
	random_name(rnd);
	snprintf(tmp, sizeof(tmp), ".tmp-%.16s", rnd);
	if (mkdirat(v->root_fd, tmp, 0701) < 0)
		return error_set_errno(err, errno, "create %s", name);
	dfd = openat(v->root_fd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	r = dfd < 0 ? -errno : 0;
	if (r == 0 && (mkdirat(dfd, DATA_DIR, 0755) < 0 || fchmodat(dfd, DATA_DIR, 0755, 0) < 0))
		r = -errno;
	if (r == 0 && v->data_uid != (uid_t)-1 &&
	    fchownat(dfd, DATA_DIR, v->data_uid, v->data_gid, AT_SYMLINK_NOFOLLOW) < 0)
		r = -errno;
	if (r == 0)
		r = atomic_write_at(dfd, OPTS_JSON, text, strlen(text), 0600, NULL);
	if (r == 0 && renameat(v->root_fd, tmp, v->root_fd, name) < 0)
		r = (errno == ENOTEMPTY || errno == EEXIST) ? -EEXIST : -errno;
	if (r < 0) {
		_cleanup_free_ char *p = path_join(v->root, tmp);
		if (p)
			(void)rm_rf(p);
		return r == -EEXIST ? r : error_set_errno(err, -r, "create %s", name);
	}
	(void)fsync(v->root_fd);
	return 0;
}

static int build_meta(const char *driver, json_t *labels, json_t *opts, bool anonymous,
                      json_t **ret)
{
	_cleanup_json_ json_t *m = json_object();
	json_t *l = labels && json_is_object(labels) ? json_deep_copy(labels) : NULL;
	char created[64];

	format_created(time(NULL), created, sizeof(created));
	if (anonymous && !l)
		l = json_object();
	if (!m || (anonymous && (!l || json_set(l, VOLUME_LABEL_ANON, json_string("")) < 0)))
		return -ENOMEM;
	if (json_set(m, "Driver", json_string(driver)) < 0 || json_set(m, "Labels", l) < 0 ||
	    json_set(m, "Options",
	             opts && json_is_object(opts) ? json_deep_copy(opts) : json_null()) < 0 ||
	    json_set(m, "CreatedAt", json_string(created)) < 0)
		return -ENOMEM;
	*ret = TAKE_PTR(m);
	return 0;
}

int volume_create(struct volumes *v, const char *name, const char *driver, json_t *labels,
                  json_t *driver_opts, json_t **ret, struct husk_error **err)
{
	_cleanup_json_ json_t *meta = NULL;
	char anon[65];
	bool anonymous = isempty(name);
	int r;

	if (anonymous) {
		random_name(anon);
		name = anon;
	}
	if (!isempty(driver) && !streq(driver, "local"))
		return error_set(
		        err, ENOENT,
		        "create %s: error looking up volume plugin %s: plugin \"%s\" not found",
		        name, driver, driver);
	if ((r = name_check(name, err)) < 0 || (r = check_driver_opts(name, driver_opts, err)) < 0)
		return r;
	if (check_string_map(labels, "Labels", err) < 0)
		return error_wrap(err, "create %s", name);
	pthread_mutex_lock(&v->lock);
	for (int attempt = 0; attempt < 2; attempt++) {
		json_decref(meta);
		meta = NULL;
		/* Docker's idempotence: the same name gives the volume there is */
		if (meta_load(v, name, &meta, NULL) == 0)
			break;
		r = build_meta("local", labels, driver_opts, anonymous, &meta);
		if (r < 0) {
			r = error_set(err, ENOMEM, "out of memory");
			break;
		}
		r = write_volume(v, name, meta, err);
		if (r != -EEXIST)
			break;
	}
	pthread_mutex_unlock(&v->lock);
	if (r < 0)
		return r;
	*ret = volume_json(v, name, meta);
	return *ret ? 0 : error_set(err, ENOMEM, "out of memory");
}

int volume_inspect(struct volumes *v, const char *name, json_t **ret, struct husk_error **err)
{
	_cleanup_json_ json_t *meta = NULL;
	int r;

	pthread_mutex_lock(&v->lock);
	r = meta_load(v, name, &meta, err);
	pthread_mutex_unlock(&v->lock);
	if (r < 0)
		return r;
	*ret = volume_json(v, name, meta);
	return *ret ? 0 : error_set(err, ENOMEM, "out of memory");
}

/* ---- uses ---- */

static struct volume_use *use_find(struct volumes *v, const char *name)
{
	for (struct volume_use *u = v->uses; u; u = u->next)
		if (streq(u->name, name))
			return u;
	return NULL;
}

unsigned volume_users(struct volumes *v, const char *name)
{
	struct volume_use *u;
	unsigned n;

	pthread_mutex_lock(&v->lock);
	u = use_find(v, name);
	n = u ? u->users : 0;
	pthread_mutex_unlock(&v->lock);
	return n;
}

/* Whether a container uses it (in_use) or it is mounted by us. Called
 * without the lock held: in_use takes the engine's locks, and the engine
 * calls volume_mount() under them. */
static bool is_used(struct volumes *v, const char *name, volume_in_use_fn in_use, void *data)
{
	return (in_use && in_use(name, data)) || volume_users(v, name) > 0;
}

/* ---- list, remove, prune ---- */

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of every volume, sorted. */
static int list_names(struct volumes *v, char ***ret, struct husk_error **err)
{
	_cleanup_strv_ char **names = strv_new();
	int fd = dup(v->root_fd);
	struct dirent *de;
	DIR *d;

	if (!names)
		return error_set(err, ENOMEM, "out of memory");
	if (fd < 0 || !(d = fdopendir(fd))) {
		safe_close(fd);
		return error_set_errno(err, errno, "list \"%s\"", v->root);
	}
	rewinddir(d);
	while ((de = readdir(d)))
		if (volume_name_valid(de->d_name) && strv_push(&names, de->d_name) < 0) {
			closedir(d);
			return error_set(err, ENOMEM, "out of memory");
		}
	closedir(d);
	qsort(names, strv_length(names), sizeof(char *), compare_names);
	*ret = TAKE_PTR(names);
	return 0;
}

/* Docker's JSON of every volume, sorted by name, taken under the lock. */
static int volumes_snapshot(struct volumes *v, json_t **ret, struct husk_error **err)
{
	_cleanup_strv_ char **names = NULL;
	_cleanup_json_ json_t *out = json_array();
	int r;

	if (!out)
		return error_set(err, ENOMEM, "out of memory");
	pthread_mutex_lock(&v->lock);
	r = list_names(v, &names, err);
	STRV_FOREACH (n, r == 0 ? names : NULL) {
		_cleanup_json_ json_t *meta = NULL;
		json_t *vol;

		if (meta_load(v, *n, &meta, NULL) < 0 || !(vol = volume_json(v, *n, meta)))
			continue; /* being created or removed */
		json_array_append_new(out, vol);
	}
	pthread_mutex_unlock(&v->lock);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(out);
	return 0;
}

/* Every "k" / "k=v" of values must be a label (moby MatchKVList). */
static bool labels_match(char *const *values, json_t *labels)
{
	STRV_FOREACH (p, values) {
		const char *eq = strchr(*p, '=');
		_cleanup_free_ char *k = eq ? strndup(*p, eq - *p) : strdup(*p);
		json_t *have = k ? json_object_get(labels, k) : NULL;

		if (!have || (eq && !streq(json_string_value(have), eq + 1)))
			return false;
	}
	return true;
}

/* moby Args.Match: the value itself, or a regular expression matching. */
static bool name_match(char *const *patterns, const char *name)
{
	STRV_FOREACH (p, patterns) {
		regex_t re;
		bool ok;

		if (streq(*p, name))
			return true;
		if (strlen(*p) > 1024 || regcomp(&re, *p, REG_EXTENDED | REG_NOSUB) != 0)
			continue;
		ok = regexec(&re, name, 0, NULL, 0) == 0;
		regfree(&re);
		if (ok)
			return true;
	}
	return false;
}

/* "true"/"1" → 1, "false"/"0" → 0, absent → -1. */
static int bool_filter(json_t *filters, const char *key, int *ret, struct husk_error **err)
{
	_cleanup_strv_ char **v = NULL;
	int n = filters_values(filters, key, &v);

	*ret = -1;
	if (n < 0)
		return error_set(err, ENOMEM, "out of memory");
	STRV_FOREACH (p, v) {
		int b = -1;

		if (streq(*p, "true") || streq(*p, "1"))
			b = 1;
		else if (streq(*p, "false") || streq(*p, "0"))
			b = 0;
		else
			return error_set(err, EINVAL, "invalid filter '%s=%s'", key, *p);
		*ret = b;
	}
	return 0;
}

struct list_filters {
	int dangling, all; /* -1 when not given */
	char **drivers, **labels, **not_labels, **names;
};

static void list_filters_release(struct list_filters *f)
{
	strv_free(f->drivers);
	strv_free(f->labels);
	strv_free(f->not_labels);
	strv_free(f->names);
}

static int list_filters_parse(json_t *filters, const char *const *allowed, struct list_filters *f,
                              struct husk_error **err)
{
	*f = (struct list_filters){.dangling = -1, .all = -1};
	if (filters_check(filters, allowed, err) < 0)
		return -EINVAL;
	if (filters_values(filters, "driver", &f->drivers) < 0 ||
	    filters_values(filters, "label", &f->labels) < 0 ||
	    filters_values(filters, "label!", &f->not_labels) < 0 ||
	    filters_values(filters, "name", &f->names) < 0)
		return error_set(err, ENOMEM, "out of memory");
	if (bool_filter(filters, "dangling", &f->dangling, err) < 0)
		return -EINVAL;
	return bool_filter(filters, "all", &f->all, err);
}

static bool list_filters_match(const struct list_filters *f, const char *name, json_t *vol,
                               bool used)
{
	json_t *labels = json_object_get(vol, "Labels");

	if (f->dangling >= 0 && f->dangling == (int)used)
		return false;
	if (strv_length(f->drivers) > 0 &&
	    !strv_contains(f->drivers, json_string_value(json_object_get(vol, "Driver"))))
		return false;
	if (strv_length(f->names) > 0 && !name_match(f->names, name))
		return false;
	if (!labels_match(f->labels, labels))
		return false;
	/* label!: none of them may match */
	STRV_FOREACH (p, f->not_labels) {
		char *one[] = {*p, NULL};
		if (labels_match(one, labels))
			return false;
	}
	return true;
}

int volume_list(struct volumes *v, json_t *filters, volume_in_use_fn in_use, void *data,
                json_t **ret, struct husk_error **err)
{
	static const char *const allowed[] = {"dangling", "driver", "label", "name", NULL};
	_cleanup_(list_filters_release) struct list_filters f = {0};
	_cleanup_json_ json_t *out = json_array(), *all = NULL;
	json_t *vol;
	size_t i;
	int r;

	r = list_filters_parse(filters, allowed, &f, err);
	if (r < 0)
		return r;
	if (!out)
		return error_set(err, ENOMEM, "out of memory");
	r = volumes_snapshot(v, &all, err);
	if (r < 0)
		return r;
	json_array_foreach (all, i, vol) {
		const char *name = json_string_value(json_object_get(vol, "Name"));

		if (list_filters_match(&f, name, vol, is_used(v, name, in_use, data)))
			json_array_append(out, vol);
	}
	*ret = json_pack("{s:O, s:n}", "Volumes", out, "Warnings");
	return *ret ? 0 : error_set(err, ENOMEM, "out of memory");
}

/* Rename the volume out of the way, then delete it: a crash leaves a
 * ".rm-" leftover, never half a volume under its name. */
static int remove_locked(struct volumes *v, const char *name, uint64_t *ret_size,
                         struct husk_error **err)
{
	char rnd[65], tmp[300];
	_cleanup_free_ char *p = NULL;
	int r;

	random_name(rnd);
	snprintf(tmp, sizeof(tmp), ".rm-%.16s-%s", rnd, name);
	if (ret_size) {
		_cleanup_free_ char *d = str_printf("%s/" DATA_DIR, name);
		_cleanup_close_ int fd =
		        d ? openat(v->root_fd, d, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
		          : -1;
		*ret_size = fd >= 0 ? tree_size(fd) : 0;
	}
	if (renameat(v->root_fd, name, v->root_fd, tmp) < 0)
		return error_set_errno(err, errno, "remove %s", name);
	p = path_join(v->root, tmp);
	if (!p)
		return error_set(err, ENOMEM, "out of memory");
	r = rm_rf(p);
	if (r < 0)
		return error_set_errno(err, -r, "remove %s", name);
	return 0;
}

int volume_remove(struct volumes *v, const char *name, bool force, volume_in_use_fn in_use,
                  void *data, struct husk_error **err)
{
	_cleanup_json_ json_t *meta = NULL;
	_cleanup_free_ char *user = NULL;
	const char *id = in_use ? in_use(name, data) : NULL; /* outside our lock */
	struct volume_use *u;
	int r;

	if (id && !(user = strdup(id)))
		return error_set(err, ENOMEM, "out of memory");
	pthread_mutex_lock(&v->lock);
	r = meta_load(v, name, &meta, force ? NULL : err);
	if (r == -ENOENT && force)
		r = 1; /* docker volume rm -f: a missing volume is no error */
	else if (r < 0 && force)
		r = meta_load(v, name, &meta, err);
	u = use_find(v, name);
	if (r == 0 && (user || (u && u->users > 0)))
		r = error_set(err, EBUSY, "remove %s: volume is in use - [%s]", name,
		              user ? user : "mounted");
	if (r == 0)
		r = remove_locked(v, name, NULL, err);
	pthread_mutex_unlock(&v->lock);
	return r > 0 ? 0 : r;
}

static bool is_anonymous(json_t *vol)
{
	return json_object_get(json_object_get(vol, "Labels"), VOLUME_LABEL_ANON) != NULL;
}

int volume_prune(struct volumes *v, json_t *filters, volume_in_use_fn in_use, void *data,
                 json_t **ret, struct husk_error **err)
{
	static const char *const allowed[] = {"label", "label!", "all", NULL};
	_cleanup_(list_filters_release) struct list_filters f = {0};
	_cleanup_strv_ char **victims = strv_new();
	_cleanup_json_ json_t *deleted = json_array(), *vols = NULL;
	uint64_t reclaimed = 0;
	json_t *vol;
	size_t i;
	int r;

	r = list_filters_parse(filters, allowed, &f, err);
	if (r < 0)
		return r;
	if (!deleted || !victims)
		return error_set(err, ENOMEM, "out of memory");
	r = volumes_snapshot(v, &vols, err);
	if (r < 0)
		return r;
	json_array_foreach (vols, i, vol) {
		const char *name = json_string_value(json_object_get(vol, "Name"));

		if ((f.all != 1 && !is_anonymous(vol)) ||
		    !list_filters_match(&f, name, vol, false) || is_used(v, name, in_use, data))
			continue;
		if (strv_push(&victims, name) < 0)
			return error_set(err, ENOMEM, "out of memory");
	}
	pthread_mutex_lock(&v->lock);
	STRV_FOREACH (n, victims) {
		struct volume_use *u = use_find(v, *n);
		uint64_t size = 0;

		/* mounted meanwhile: in use now */
		if ((u && u->users > 0) || remove_locked(v, *n, &size, NULL) < 0)
			continue;
		json_array_append_new(deleted, json_string(*n));
		reclaimed += size;
	}
	pthread_mutex_unlock(&v->lock);
	*ret = json_pack("{s:O, s:I}", "VolumesDeleted",
	                 json_array_size(deleted) ? deleted : json_null(), "SpaceReclaimed",
	                 (json_int_t)reclaimed);
	return *ret ? 0 : error_set(err, ENOMEM, "out of memory");
}

int volume_disk_usage(struct volumes *v, volume_in_use_fn in_use, void *data, json_t *ret,
                      struct husk_error **err)
{
	_cleanup_json_ json_t *vols = NULL;
	json_t *vol;
	size_t i;
	int r = volumes_snapshot(v, &vols, err);

	if (r < 0)
		return r;
	json_array_foreach (vols, i, vol) {
		const char *name = json_string_value(json_object_get(vol, "Name"));
		_cleanup_free_ char *d = str_printf("%s/" DATA_DIR, name);
		_cleanup_close_ int fd =
		        d ? openat(v->root_fd, d, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
		          : -1;

		json_object_set_new(vol, "UsageData",
		                    json_pack("{s:I, s:I}", "RefCount",
		                              (json_int_t)(is_used(v, name, in_use, data) ? 1 : 0),
		                              "Size", (json_int_t)(fd >= 0 ? tree_size(fd) : 0)));
		json_array_append(ret, vol);
	}
	return 0;
}

/* ---- mounting the driver's filesystem ---- */

struct mount_flag {
	const char *name;
	unsigned long flag;
	bool clear;
};

static const struct mount_flag mount_flags[] = {
        {"ro", MS_RDONLY, false},         {"rw", MS_RDONLY, true},
        {"nosuid", MS_NOSUID, false},     {"suid", MS_NOSUID, true},
        {"nodev", MS_NODEV, false},       {"dev", MS_NODEV, true},
        {"noexec", MS_NOEXEC, false},     {"exec", MS_NOEXEC, true},
        {"sync", MS_SYNCHRONOUS, false},  {"async", MS_SYNCHRONOUS, true},
        {"dirsync", MS_DIRSYNC, false},   {"noatime", MS_NOATIME, false},
        {"atime", MS_NOATIME, true},      {"nodiratime", MS_NODIRATIME, false},
        {"relatime", MS_RELATIME, false}, {"strictatime", MS_STRICTATIME, false},
        {"bind", MS_BIND, false},         {"rbind", MS_BIND | MS_REC, false},
        {"defaults", 0, false},
};

/* "o": flags as mount(8) knows them, the rest the filesystem's data. */
static int parse_mount_o(const char *o, unsigned long *ret_flags, char **ret_data)
{
	_cleanup_strv_ char **parts = strv_split(o ? o : "", ",");
	_cleanup_strv_ char **data = strv_new();
	unsigned long flags = 0;

	if (!parts || !data)
		return -ENOMEM;
	STRV_FOREACH (p, parts) {
		bool known = false;

		if (!**p)
			continue;
		for (size_t i = 0; i < ELEMENTSOF(mount_flags); i++)
			if (streq(*p, mount_flags[i].name)) {
				known = true;
				if (mount_flags[i].clear)
					flags &= ~mount_flags[i].flag;
				else
					flags |= mount_flags[i].flag;
			}
		if (!known && strv_push(&data, *p) < 0)
			return -ENOMEM;
	}
	*ret_data = strv_join(data, ",");
	*ret_flags = flags;
	return *ret_data ? 0 : -ENOMEM;
}

/* Whether path is the root of a mount (a mount of ours survives a daemon
 * restart: take it over instead of stacking another). */
static bool is_mount_root(const char *path)
{
	struct stat a, b;
	_cleanup_free_ char *parent = path_dirname(path);

	if (!parent || lstat(path, &a) < 0 || lstat(parent, &b) < 0)
		return false;
	return a.st_dev != b.st_dev;
}

static int driver_mount(const char *name, json_t *opts, const char *target, struct husk_error **err)
{
	const char *type = json_string_value(json_object_get(opts, "type"));
	const char *device = json_string_value(json_object_get(opts, "device"));
	const char *o = json_string_value(json_object_get(opts, "o"));
	_cleanup_free_ char *data = NULL;
	unsigned long flags = 0;

	if (parse_mount_o(o, &flags, &data) < 0)
		return error_set(err, ENOMEM, "out of memory");
	if ((flags & MS_BIND) && !path_is_absolute(device))
		return error_set(err, EINVAL,
		                 "mount %s: device \"%s\" of a bind must be an absolute host path",
		                 name, device);
	if (mount(device, target, type, flags & ~(flags & MS_BIND ? MS_RDONLY : 0),
	          isempty(data) ? NULL : data) < 0)
		return error_set_errno(err, errno,
		                       "mount %s: mount \"%s\" (type %s, options \"%s\")", name,
		                       device, type, o ? o : "");
	/* a read-only bind needs a remount: MS_RDONLY is ignored with MS_BIND */
	if ((flags & MS_BIND) && (flags & MS_RDONLY) &&
	    mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | (flags & MS_REC), NULL) <
	            0) {
		int e = errno;
		(void)umount2(target, MNT_DETACH);
		return error_set_errno(err, e, "mount %s: remount \"%s\" read-only", name, target);
	}
	return 0;
}

static int mount_locked(struct volumes *v, const char *name, char **ret_path,
                        struct husk_error **err)
{
	_cleanup_json_ json_t *meta = NULL;
	_cleanup_free_ char *path = data_path(v, name);
	struct volume_use *u;
	json_t *opts;
	int r;

	if (!path)
		return error_set(err, ENOMEM, "out of memory");
	r = meta_load(v, name, &meta, err);
	if (r < 0)
		return r;
	u = use_find(v, name);
	if (!u) {
		/* the first user: mount the driver's filesystem, if it has one */
		u = calloc(1, sizeof(*u));
		if (!u || !(u->name = strdup(name))) {
			free(u);
			return error_set(err, ENOMEM, "out of memory");
		}
		opts = json_object_get(meta, "Options");
		if (json_object_get(opts, "type")) {
			/* already mounted: ours, from before a daemon restart */
			r = is_mount_root(path) ? 0 : driver_mount(name, opts, path, err);
			if (r < 0) {
				free(u->name);
				free(u);
				return r;
			}
			u->mounted_by_us = true;
		}
		u->next = v->uses;
		v->uses = u;
	}
	u->users++;
	if (ret_path)
		*ret_path = TAKE_PTR(path);
	return 0;
}

int volume_mount(struct volumes *v, const char *name, char **ret_path, struct husk_error **err)
{
	int r;

	pthread_mutex_lock(&v->lock);
	r = mount_locked(v, name, ret_path, err);
	pthread_mutex_unlock(&v->lock);
	return r;
}

static void unmount_locked(struct volumes *v, const char *name)
{
	struct volume_use **pu, *u;

	for (pu = &v->uses; (u = *pu); pu = &u->next)
		if (streq(u->name, name))
			break;
	if (!u || u->users == 0)
		return;
	if (--u->users > 0)
		return;
	if (u->mounted_by_us) {
		_cleanup_free_ char *path = data_path(v, name);
		if (path)
			(void)umount2(path, MNT_DETACH);
	}
	*pu = u->next;
	free(u->name);
	free(u);
}

void volume_unmount(struct volumes *v, const char *name)
{
	pthread_mutex_lock(&v->lock);
	unmount_locked(v, name);
	pthread_mutex_unlock(&v->lock);
}

/* ---- copy-up ---- */

static int dir_is_empty(int dfd)
{
	int fd = dup(dfd), n = 0;
	struct dirent *de;
	DIR *d;

	if (fd < 0 || !(d = fdopendir(fd))) {
		safe_close(fd);
		return -errno;
	}
	while ((de = readdir(d)))
		if (!streq(de->d_name, ".") && !streq(de->d_name, "..")) {
			n++;
			break;
		}
	closedir(d);
	return n == 0;
}

static int copy_up_locked(struct volumes *v, const char *name, int rootfs_fd, const char *path,
                          struct husk_error **err)
{
	_cleanup_free_ char *dpath = data_path(v, name);
	_cleanup_close_ int dst = -1, src = -1;
	int r;

	if (!dpath)
		return error_set(err, ENOMEM, "out of memory");
	dst = open(dpath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dst < 0)
		return error_set_errno(err, errno, "copy up into volume %s", name);
	r = dir_is_empty(dst);
	if (r <= 0)
		return r < 0 ? error_set_errno(err, -r, "copy up into volume %s", name) : 0;
	src = open_in_root(rootfs_fd, path, O_RDONLY | O_DIRECTORY, 0, 0);
	if (src == -ENOENT || src == -ENOTDIR)
		return 0;
	if (src < 0)
		return error_set_errno(err, -src, "copy up \"%s\" into volume %s", path, name);
	r = tree_copy(src, dst, err);
	if (r < 0)
		return error_wrap(err, "copy up \"%s\" into volume %s", path, name);
	return 0;
}

int volume_copy_up(struct volumes *v, const char *name, int rootfs_fd, const char *path,
                   struct husk_error **err)
{
	int r;

	pthread_mutex_lock(&v->lock);
	r = mount_locked(v, name, NULL, err);
	if (r == 0) {
		r = copy_up_locked(v, name, rootfs_fd, path, err);
		unmount_locked(v, name);
	}
	pthread_mutex_unlock(&v->lock);
	return r;
}
