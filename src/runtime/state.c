#include "runtime/state.h"

#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "runtime/cgroup.h"

const char *container_status_name(enum container_status s)
{
	static const char *const names[] = {"creating", "created", "running", "paused", "stopped"};

	return s <= CONTAINER_STOPPED ? names[s] : "unknown";
}

int container_id_check(const char *id, struct husk_error **err)
{
	size_t n = id ? strlen(id) : 0;

	if (n == 0)
		return error_set(err, EINVAL, "container id cannot be empty");
	if (n > 1024 || streq(id, ".") || streq(id, "..") ||
	    strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+-.") != n)
		return error_set(err, EINVAL,
		                 "invalid container id \"%s\": expected letters, digits and _+-.",
		                 id);
	return 0;
}

char *state_dir(const struct runtime_ctx *rt, const char *id)
{
	return path_join(rt->root, id);
}

int state_dir_create(const struct runtime_ctx *rt, const char *id, struct husk_error **err)
{
	_cleanup_free_ char *dir = state_dir(rt, id);
	int r;

	if (!dir)
		return error_set(err, ENOMEM, "out of memory");
	r = mkdir_p(rt->root, 0700);
	if (r < 0)
		return error_set_errno(err, -r, "create state root \"%s\"", rt->root);
	if (mkdir(dir, 0700) < 0) {
		if (errno == EEXIST)
			return error_set(err, EEXIST, "container with id \"%s\" already exists",
			                 id);
		return error_set_errno(err, errno, "create \"%s\"", dir);
	}
	return 0;
}

int proc_start_time(pid_t pid, unsigned long long *ret)
{
	char path[64], buf[1024], state;
	_cleanup_close_ int fd = -1;
	unsigned long long t;
	const char *p;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ESRCH;
	n = read_full(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -ESRCH;
	buf[n] = 0;
	/* comm may hold spaces and parentheses: parse after the last ')' */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2,
	                 "%c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s "
	                 "%*s %*s %*s %llu",
	                 &state, &t) != 2)
		return -EBADMSG;
	if (state == 'Z' || state == 'X')
		return -ESRCH;
	*ret = t;
	return 0;
}

bool state_pid_alive(const struct container_state *st)
{
	unsigned long long t;

	return st->pid > 0 && proc_start_time(st->pid, &t) == 0 && t == st->pid_start;
}

void state_refresh_status(const struct runtime_ctx *rt, struct container_state *st)
{
	_cleanup_free_ char *fifo = NULL, *dir = state_dir(rt, st->id);
	_cleanup_(cgroup_freep) struct cgroup *cg = NULL;
	struct cgroup_layout layout;
	struct stat s;
	bool frozen = false;

	if (!state_pid_alive(st)) {
		st->status = CONTAINER_STOPPED;
		return;
	}
	fifo = dir ? path_join(dir, EXEC_FIFO) : NULL;
	if (fifo && stat(fifo, &s) == 0) {
		st->status = CONTAINER_CREATED;
		return;
	}
	st->status = CONTAINER_RUNNING;
	if (cgroup_probe(NULL, NULL, &layout, NULL) < 0)
		return;
	if (cgroup_open(&layout, st->cgroup_paths, &cg, NULL) == 0 &&
	    cgroup_is_frozen(cg, &frozen, NULL) == 0 && frozen)
		st->status = CONTAINER_PAUSED;
	cgroup_layout_release(&layout);
}

/* A new reference to o, or a new empty object. */
static json_t *object_or_empty(json_t *o)
{
	return o ? json_incref(o) : json_object();
}

int state_save(const struct runtime_ctx *rt, const struct container_state *st,
               struct husk_error **err)
{
	_cleanup_free_ char *dir = state_dir(rt, st->id), *path = NULL, *text = NULL;
	json_t *j;

	j = json_pack("{s:s, s:s, s:s, s:i, s:I, s:s, s:s, s:o, s:o, s:O}", "id", st->id, "bundle",
	              st->bundle, "rootfs", st->rootfs, "pid", (int)st->pid, "pid_start",
	              (json_int_t)st->pid_start, "created", st->created, "owner",
	              st->owner ? st->owner : "", "annotations", object_or_empty(st->annotations),
	              "cgroup_paths", object_or_empty(st->cgroup_paths), "config", st->config);
	text = j ? json_compact(j) : NULL;
	json_decref(j);
	path = dir ? path_join(dir, STATE_FILE) : NULL;
	if (!text || !path)
		return error_set(err, ENOMEM, "out of memory");
	/* the state root is on /run: no fsync, but never a partial file */
	return atomic_replace_at(AT_FDCWD, path, text, strlen(text), 0600, err);
}

static int state_parse(json_t *j, struct container_state *st, struct husk_error **err)
{
	const char *id = NULL, *bundle = NULL, *rootfs = NULL, *created = NULL, *owner = NULL;
	int64_t pid = 0, start = 0;
	int r = 0;

	r = r ?: json_get_string(j, "state", "id", true, &id, err);
	r = r ?: json_get_string(j, "state", "bundle", true, &bundle, err);
	r = r ?: json_get_string(j, "state", "rootfs", true, &rootfs, err);
	r = r ?: json_get_string(j, "state", "created", true, &created, err);
	r = r ?: json_get_string(j, "state", "owner", false, &owner, err);
	r = r ?: json_get_int64(j, "state", "pid", true, &pid, err);
	r = r ?: json_get_int64(j, "state", "pid_start", true, &start, err);
	if (r < 0)
		return r;
	st->id = strdup(id);
	st->bundle = strdup(bundle);
	st->rootfs = strdup(rootfs);
	st->created = strdup(created);
	st->owner = strdup(owner ? owner : "");
	st->pid = (pid_t)pid;
	st->pid_start = (unsigned long long)start;
	st->annotations = json_incref(json_object_get(j, "annotations"));
	st->config = json_incref(json_object_get(j, "config"));
	st->cgroup_paths = json_incref(json_object_get(j, "cgroup_paths"));
	if (!st->id || !st->bundle || !st->rootfs || !st->created || !st->owner)
		return error_set(err, ENOMEM, "out of memory");
	return 0;
}

int container_state_load(const struct runtime_ctx *rt, const char *id, struct container_state **ret,
                         struct husk_error **err)
{
	_cleanup_free_ char *dir = NULL, *path = NULL;
	_cleanup_(container_state_freep) struct container_state *st = NULL;
	_cleanup_json_ json_t *j = NULL;
	struct stat s;
	int r;

	r = container_id_check(id, err);
	if (r < 0)
		return r;
	dir = state_dir(rt, id);
	path = dir ? path_join(dir, STATE_FILE) : NULL;
	st = calloc(1, sizeof(*st));
	if (!path || !st)
		return error_set(err, ENOMEM, "out of memory");
	if (stat(path, &s) < 0)
		return error_set(err, ENOENT, "container \"%s\" does not exist", id);
	r = oci_json_load(path, &j, err);
	if (r == 0)
		r = state_parse(j, st, err);
	if (r == 0 && !json_is_object(st->config))
		r = error_set(err, EINVAL, "config: missing");
	if (r < 0)
		return error_wrap(err, "container \"%s\": state", id);
	state_refresh_status(rt, st);
	*ret = TAKE_PTR(st);
	return 0;
}

json_t *container_state_json(const struct container_state *st)
{
	const char *ver = json_string_value(json_object_get(st->config, "ociVersion"));
	json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:o}", "ociVersion",
	                      ver ? ver : "1.0.0", "id", st->id, "status",
	                      container_status_name(st->status), "pid",
	                      st->status == CONTAINER_STOPPED ? 0 : (int)st->pid, "bundle",
	                      st->bundle, "rootfs", st->rootfs, "created", st->created, "owner",
	                      st->owner, "annotations", object_or_empty(st->annotations));

	return j;
}

void container_state_free(struct container_state *st)
{
	if (!st)
		return;
	free(st->id);
	free(st->bundle);
	free(st->rootfs);
	free(st->created);
	free(st->owner);
	json_decref(st->annotations);
	json_decref(st->cgroup_paths);
	json_decref(st->config);
	free(st);
}

int container_list(const struct runtime_ctx *rt, struct container_state ***ret,
                   struct husk_error **err)
{
	struct container_state **v = calloc(1, sizeof(*v));
	size_t n = 0;
	struct dirent *de;
	DIR *d = opendir(rt->root);

	if (!v)
		return error_set(err, ENOMEM, "out of memory");
	while (d && (de = readdir(d))) {
		struct container_state *st = NULL, **nv;
		if (de->d_name[0] == '.' || container_state_load(rt, de->d_name, &st, NULL) < 0)
			continue;
		nv = realloc(v, (n + 2) * sizeof(*v));
		if (!nv) {
			container_state_free(st);
			break;
		}
		v = nv;
		v[n++] = st;
		v[n] = NULL;
	}
	if (d)
		closedir(d);
	*ret = v;
	return 0;
}
