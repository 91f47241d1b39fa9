/* container_restore.c — the table's life: loading the records at daemon
 * start, live restore (re-attaching to monitors that outlived huskd), the
 * exit waiter (one thread, epoll over every monitor's wait socket), what
 * follows an exit (cleanup, restart policies with dockerd's backoff,
 * AutoRemove), and shutdown. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"
#include "base/str.h"
#include "base/timefmt.h"
#include "engine/container_internal.h"
#include "engine/engine.h"
#include "engine/monitor.h"
#include "engine/volumes.h"
#include "image/images.h"

#define RESTART_RESET_NS (10LL * 1000000000) /* a run this long resets the backoff */
#define RESTART_FIRST_MS 100

struct exit_watch {
	struct exit_watch *next;
	struct ctr *c;      /* a container run, or */
	struct ctr_exec *x; /* an exec process */
	unsigned gen;
	int fd;
};

/* ---- exits ---- */

/* Docker's restart manager: whether this exit restarts the container, and
 * after how long (100 ms, doubling, at most a minute; reset after a run of
 * 10 s). cs->lock held. */
static bool should_restart_locked(struct ctr *c, int64_t run_ns)
{
	json_t *rp = json_object_get(c->host_config, "RestartPolicy");
	const char *name = json_string_value(json_object_get(rp, "Name"));
	int64_t max = json_integer_value(json_object_get(rp, "MaximumRetryCount"));

	if (isempty(name) || streq(name, "no") || c->restart_canceled || c->cs->stopping)
		return false;
	if (run_ns >= RESTART_RESET_NS)
		c->restart_delay_ms = 0;
	c->restart_delay_ms = c->restart_delay_ms == 0
	                              ? RESTART_FIRST_MS
	                              : MIN(c->restart_delay_ms * 2, CTR_RESTART_MAX_MS);
	if (streq(name, "always"))
		return true;
	if (streq(name, "unless-stopped"))
		return !c->manually_stopped;
	if (streq(name, "on-failure"))
		return (max <= 0 || c->restart_count < max) && c->exit_code != 0;
	return false;
}

static void signal_log_followers_locked(struct ctr *c)
{
	uint64_t one = 1;

	for (size_t i = 0; i < c->n_log_stops; i++)
		if (write(c->log_stops[i], &one, sizeof(one)) < 0)
			continue; /* an eventfd write fails only at 2^64-1 */
}

/* Fill the state from an exit record; cs->lock held. */
static void set_exit_locked(struct ctr *c, const struct monitor_exit *ex)
{
	struct timespec ts;

	c->exit_code = ex->exit_code;
	c->oom_killed = ex->oom_killed;
	ctr_set_error_locked(c, ex->error);
	free(c->finished_at);
	if (ex->finished_at[0] && rfc3339_parse(ex->finished_at, &ts) == 0) {
		c->finished_at = strdup(ex->finished_at);
		c->finished_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	} else {
		c->finished_at = ctr_now_rfc3339(&c->finished_ns);
	}
	c->pid = c->monitor_pid = 0;
	c->exit_seq++;
	c->cleanup_pending = true;
	signal_log_followers_locked(c);
}

struct after_exit {
	struct ctr *c;
	unsigned gen;
};

/* Wait out the backoff; true when the restart is still wanted. */
static bool restart_delay(struct ctr *c, unsigned gen, int64_t ms)
{
	struct containers *cs = c->cs;
	struct timespec until;
	bool ok;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&cs->lock);
	for (;;) {
		ok = !c->restart_canceled && !c->removed && !cs->stopping &&
		     c->status == CTR_RESTARTING && c->run_gen == gen;
		if (!ok || pthread_cond_timedwait(&cs->cond, &cs->lock, &until) == ETIMEDOUT)
			break;
	}
	ok = !c->restart_canceled && !c->removed && !cs->stopping && c->status == CTR_RESTARTING &&
	     c->run_gen == gen;
	pthread_mutex_unlock(&cs->lock);
	return ok;
}

static void restart_now(struct ctr *c, unsigned gen)
{
	struct containers *cs = c->cs;
	_cleanup_error_ struct husk_error *err = NULL;
	bool ok;

	pthread_mutex_lock(&c->op);
	pthread_mutex_lock(&cs->lock);
	ok = !c->restart_canceled && !c->removed && !cs->stopping && c->status == CTR_RESTARTING &&
	     c->run_gen == gen;
	if (ok)
		c->restart_count++;
	pthread_mutex_unlock(&cs->lock);
	if (ok && ctr_start_op(c, &err) < 0)
		log_error("restart container %.12s: %s", c->id, error_message(err));
	pthread_mutex_unlock(&c->op);
}

static void auto_remove(struct ctr *c, unsigned gen)
{
	struct containers *cs = c->cs;
	_cleanup_error_ struct husk_error *err = NULL;
	bool ok;

	pthread_mutex_lock(&c->op);
	pthread_mutex_lock(&cs->lock);
	ok = c->auto_remove_pending && !c->removed && c->run_gen == gen &&
	     (c->status == CTR_EXITED || c->status == CTR_CREATED);
	c->auto_remove_pending = false;
	pthread_mutex_unlock(&cs->lock);
	if (ok && ctr_remove_op(c, true, &err) < 0)
		log_error("remove container %.12s: %s", c->id, error_message(err));
	pthread_mutex_unlock(&c->op);
}

static void *after_exit_main(void *p)
{
	struct after_exit a = *(struct after_exit *)p;
	struct ctr *c = a.c;
	struct containers *cs = c->cs;
	bool same, restart, autorm;
	int64_t delay;

	free(p);
	pthread_mutex_lock(&c->op);
	pthread_mutex_lock(&cs->lock);
	same = c->run_gen == a.gen;
	restart = same && c->restart_planned && c->status == CTR_RESTARTING;
	autorm = same && c->auto_remove_pending;
	delay = c->restart_delay_ms;
	pthread_mutex_unlock(&cs->lock);
	if (same)
		ctr_cleanup_op_rootfs(c, !autorm); /* a removal deletes the rootfs */
	pthread_mutex_unlock(&c->op);
	if (restart && restart_delay(c, a.gen, delay))
		restart_now(c, a.gen);
	else if (autorm)
		auto_remove(c, a.gen);
	ctr_unref(c);
	return NULL;
}

void ctr_record_exit(struct ctr *c, unsigned gen, const struct monitor_exit *ex, int monitor_fd)
{
	struct containers *cs = c->cs;
	struct after_exit *a;
	bool restart, oom;
	char code[16];

	pthread_mutex_lock(&cs->lock);
	if (c->run_gen != gen || (c->status != CTR_RUNNING && c->status != CTR_PAUSED)) {
		pthread_mutex_unlock(&cs->lock);
		safe_close(monitor_fd);
		return; /* a stale record: that run is accounted for */
	}
	safe_close(c->monitor_eof_fd);
	c->monitor_eof_fd = monitor_fd;
	set_exit_locked(c, ex);
	restart = should_restart_locked(c, c->finished_ns - c->started_ns);
	c->status = restart ? CTR_RESTARTING : CTR_EXITED;
	c->restart_planned = restart;
	c->auto_remove_pending =
	        !restart && json_is_true(json_object_get(c->host_config, "AutoRemove"));
	oom = c->oom_killed;
	ctr_execs_drop_locked(cs, c, false);
	pthread_cond_broadcast(&cs->cond);
	pthread_mutex_unlock(&cs->lock);
	ctr_health_stop(c);
	ctr_save(c, false, NULL);
	if (oom)
		ctr_event(c, "oom", NULL);
	snprintf(code, sizeof(code), "%d", ex->exit_code);
	ctr_event(c, "die", json_pack("{s:s}", "exitCode", code));
	a = malloc(sizeof(*a));
	if (a) {
		*a = (struct after_exit){ctr_ref(c), gen};
		if (ctr_job(cs, after_exit_main, a) == 0)
			return;
		ctr_unref(c);
		free(a);
	}
	log_error("container %.12s: cannot schedule the cleanup after its exit", c->id);
}

/* The exit of a run whose monitor is gone: its exit.json, or an unknown
 * end. */
static void exit_from_file(const char *dir, struct monitor_exit *ex)
{
	_cleanup_free_ char *path = path_join(dir, "exit.json");

	*ex = (struct monitor_exit){0};
	if (path && monitor_exit_load(path, ex, NULL) == 0)
		return;
	ex->exit_code = 255;
	ex->error = strdup("the container's husk-monitor ended without recording its exit");
}

int ctr_log_follow_add(struct ctr *c, int efd)
{
	struct containers *cs = c->cs;
	int *v, r = 0;

	pthread_mutex_lock(&cs->lock);
	if (c->removed ||
	    (c->status != CTR_RUNNING && c->status != CTR_PAUSED && c->status != CTR_RESTARTING)) {
		r = -ESRCH; /* nothing more will come */
	} else if (!(v = realloc(c->log_stops, (c->n_log_stops + 1) * sizeof(*v)))) {
		r = -ENOMEM;
	} else {
		c->log_stops = v;
		v[c->n_log_stops++] = efd;
	}
	pthread_mutex_unlock(&cs->lock);
	return r;
}

void ctr_log_follow_remove(struct ctr *c, int efd)
{
	struct containers *cs = c->cs;

	pthread_mutex_lock(&cs->lock);
	for (size_t i = 0; i < c->n_log_stops; i++)
		if (c->log_stops[i] == efd) {
			c->log_stops[i] = c->log_stops[--c->n_log_stops];
			break;
		}
	pthread_mutex_unlock(&cs->lock);
}

/* ---- the waiter ---- */

static void watch_free(struct exit_watch *w)
{
	safe_close(w->fd);
	ctr_unref(w->c);
	if (w->x)
		ctr_exec_unref(w->x);
	free(w);
}

static void watch_unlink_locked(struct containers *cs, struct exit_watch *w)
{
	for (struct exit_watch **p = &cs->watches; *p; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			return;
		}
}

static void handle_watch(struct containers *cs, struct exit_watch *w)
{
	struct monitor_exit ex = {0};

	epoll_ctl(cs->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	pthread_mutex_lock(&cs->lock);
	watch_unlink_locked(cs, w);
	pthread_mutex_unlock(&cs->lock);
	if (monitor_wait_read(w->fd, &ex, NULL) < 0) {
		/* the monitor died without answering: its exit.json, if any
		 * (a container's is in its data dir, an exec's in its run dir) */
		monitor_exit_release(&ex);
		exit_from_file(w->c ? w->c->dir : w->x->run_dir, &ex);
	}
	if (w->c) {
		ctr_record_exit(w->c, w->gen, &ex, w->fd);
		w->fd = -1;
	} else
		ctr_exec_record_exit(w->x, &ex);
	monitor_exit_release(&ex);
	watch_free(w);
}

static void *waiter_main(void *p)
{
	struct containers *cs = p;
	struct epoll_event evs[16];

	for (;;) {
		int n = epoll_wait(cs->epfd, evs, ELEMENTSOF(evs), -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_error("containers: epoll_wait: %s", strerror(errno));
			return NULL;
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL)
				return NULL; /* the wake fd: shutdown */
			handle_watch(cs, evs[i].data.ptr);
		}
	}
}

int ctr_waiter_start(struct containers *cs, struct husk_error **err)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};

	if (cs->waiter_started)
		return 0;
	cs->epfd = epoll_create1(EPOLL_CLOEXEC);
	cs->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (cs->epfd < 0 || cs->wake_fd < 0 ||
	    epoll_ctl(cs->epfd, EPOLL_CTL_ADD, cs->wake_fd, &ev) < 0)
		return error_set_errno(err, errno, "containers: set up the exit waiter");
	if (pthread_create(&cs->waiter, NULL, waiter_main, cs) != 0)
		return error_set(err, EAGAIN, "containers: cannot start the exit waiter");
	cs->waiter_started = true;
	return 0;
}

void ctr_waiter_stop(struct containers *cs)
{
	uint64_t one = 1;
	struct exit_watch *w;

	if (cs->waiter_started) {
		if (write(cs->wake_fd, &one, sizeof(one)) < 0)
			log_warn("containers: cannot wake the exit waiter");
		pthread_join(cs->waiter, NULL);
		cs->waiter_started = false;
	}
	pthread_mutex_lock(&cs->lock);
	w = cs->watches;
	cs->watches = NULL;
	pthread_mutex_unlock(&cs->lock);
	while (w) {
		struct exit_watch *next = w->next;
		watch_free(w);
		w = next;
	}
	cs->epfd = safe_close(cs->epfd);
	cs->wake_fd = safe_close(cs->wake_fd);
}

static int watch_add(struct containers *cs, struct exit_watch *w, struct husk_error **err)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = w};

	pthread_mutex_lock(&cs->lock);
	w->next = cs->watches;
	cs->watches = w;
	if (epoll_ctl(cs->epfd, EPOLL_CTL_ADD, w->fd, &ev) < 0) {
		int e = errno;
		watch_unlink_locked(cs, w);
		pthread_mutex_unlock(&cs->lock);
		watch_free(w);
		return error_set_errno(err, e, "containers: watch a monitor");
	}
	pthread_mutex_unlock(&cs->lock);
	return 0;
}

int ctr_watch(struct ctr *c, struct husk_error **err)
{
	struct containers *cs = c->cs;
	_cleanup_error_ struct husk_error *e = NULL;
	struct exit_watch *w;
	unsigned gen;
	int fd = -1, r;

	pthread_mutex_lock(&cs->lock);
	gen = c->run_gen;
	pthread_mutex_unlock(&cs->lock);
	r = monitor_wait_fd(c->run_dir, &fd, &e);
	if (r == -ENOENT || r == -ECONNREFUSED) {
		struct monitor_exit ex;
		exit_from_file(c->dir, &ex);
		ctr_record_exit(c, gen, &ex, -1);
		monitor_exit_release(&ex);
		return 0;
	}
	if (r < 0)
		return error_set(err, -r, "%s", error_message(e));
	w = calloc(1, sizeof(*w));
	if (!w) {
		close(fd);
		return error_set(err, ENOMEM, "out of memory");
	}
	*w = (struct exit_watch){.c = ctr_ref(c), .gen = gen, .fd = fd};
	return watch_add(cs, w, err);
}

int ctr_watch_exec(struct ctr_exec *x, struct husk_error **err)
{
	struct containers *cs = x->c->cs;
	struct exit_watch *w;
	int fd = -1, r;

	r = monitor_wait_fd(x->run_dir, &fd, err);
	if (r == -ENOENT || r == -ECONNREFUSED) {
		struct monitor_exit ex;
		exit_from_file(x->run_dir, &ex);
		ctr_exec_record_exit(x, &ex);
		monitor_exit_release(&ex);
		return 0;
	}
	if (r < 0)
		return r;
	w = calloc(1, sizeof(*w));
	if (!w) {
		close(fd);
		return error_set(err, ENOMEM, "out of memory");
	}
	__atomic_add_fetch(&x->refs, 1, __ATOMIC_SEQ_CST);
	*w = (struct exit_watch){.x = x, .fd = fd};
	return watch_add(cs, w, err);
}

/* ---- open: load the records ---- */

static bool is_id(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

static int private_dir(const char *path, struct husk_error **err)
{
	int r = mkdir_p(path, 0700);

	if (r < 0)
		return error_set_errno(err, -r, "create \"%s\"", path);
	if (chmod(path, 0700) < 0)
		return error_set_errno(err, errno, "chmod \"%s\"", path);
	return 0;
}

/* A directory without a record is a create that crashed before its
 * record was written: nothing refers to it. */
static void load_one(struct containers *cs, const char *id)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_free_ char *dir = path_join(cs->dir, id), *rec = NULL;
	struct ctr *c = NULL;
	struct stat st;

	if (!dir || !(rec = path_join(dir, CTR_RECORD)))
		return;
	if (stat(rec, &st) < 0 && errno == ENOENT) {
		log_info("containers: removing %s: a create that did not finish", dir);
		rm_rf(dir);
		return;
	}
	if (ctr_load(cs, id, &c, &err) < 0) {
		log_error("containers: %s (left on disk)", error_message(err));
		return;
	}
	pthread_mutex_lock(&cs->lock);
	if (ctr_by_name_locked(cs, c->name)) {
		log_error("containers: %.12s: name %s is taken: renamed", id, c->name);
		free(c->name);
		c->name = str_printf("/%s", id);
	}
	if (!c->name || ctr_table_add_locked(cs, c) < 0)
		log_error("containers: %.12s: out of memory", id);
	pthread_mutex_unlock(&cs->lock);
	ctr_unref(c);
}

static int cmp_created(const void *a, const void *b)
{
	const struct ctr *x = *(struct ctr *const *)a, *y = *(struct ctr *const *)b;

	return x->created_ns < y->created_ns ? -1 : x->created_ns > y->created_ns;
}

static int load_all(struct containers *cs, struct husk_error **err)
{
	DIR *d = opendir(cs->dir);
	struct dirent *de;

	if (!d)
		return error_set_errno(err, errno, "open \"%s\"", cs->dir);
	while ((de = readdir(d)))
		if (is_id(de->d_name))
			load_one(cs, de->d_name);
	closedir(d);
	if (cs->n > 1)
		qsort(cs->v, cs->n, sizeof(*cs->v), cmp_created);
	return 0;
}

/* Snapshots no record names: a create or remove cut short. */
static void drop_orphan_snapshots(struct containers *cs)
{
	_cleanup_strv_ char **snaps = NULL;

	if (store_snapshot_list(cs->e->store, &snaps, NULL) < 0)
		return;
	STRV_FOREACH (s, snaps) {
		_cleanup_free_ char *dir = path_join(cs->dir, *s);
		struct stat st;
		if (!is_id(*s) || !dir || stat(dir, &st) == 0)
			continue;
		log_info("containers: removing snapshot %.12s of no container", *s);
		store_snapshot_remove(cs->e->store, *s, NULL);
	}
}

/* husk-monitor and husk-init live next to huskd. */
static char *sibling_exe(const char *name)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return strdup(name);
	self[n] = 0;
	slash = strrchr(self, '/');
	if (!slash)
		return strdup(name);
	*slash = 0;
	return path_join(self, name);
}

int containers_open(struct engine *e, struct containers **ret, struct husk_error **err)
{
	struct containers *cs = calloc(1, sizeof(*cs));
	pthread_condattr_t ca;
	int r;

	if (!cs)
		return error_set(err, ENOMEM, "out of memory");
	cs->e = e;
	cs->epfd = cs->wake_fd = -1;
	pthread_mutex_init(&cs->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cs->cond, &ca);
	pthread_condattr_destroy(&ca);
	cs->dir = path_join(e->cfg.data_root, "containers");
	cs->run_dir = path_join(e->cfg.exec_root, "containers");
	cs->runtime_root = path_join(e->cfg.exec_root, "runtime");
	cs->monitor_exe = sibling_exe("husk-monitor");
	cs->init_exe = sibling_exe("husk-init");
	if (!cs->dir || !cs->run_dir || !cs->runtime_root || !cs->monitor_exe || !cs->init_exe) {
		containers_free(cs);
		return error_set(err, ENOMEM, "out of memory");
	}
	spec_host_probe(&cs->host);
	cs->rt.root = cs->runtime_root;
	cs->rt.systemd_cgroup = streq(e->cfg.cgroup_driver, "systemd");
	r = private_dir(cs->dir, err);
	if (r == 0)
		r = userns_remap_chown_at(&e->remap, AT_FDCWD, cs->dir, false, err);
	if (r == 0)
		r = private_dir(cs->run_dir, err);
	if (r == 0)
		r = private_dir(cs->runtime_root, err);
	if (r == 0)
		r = load_all(cs, err);
	if (r < 0) {
		containers_free(cs);
		return r;
	}
	drop_orphan_snapshots(cs);
	*ret = cs;
	return 0;
}

void containers_free(struct containers *cs)
{
	if (!cs)
		return;
	ctr_health_shutdown(cs);
	ctr_waiter_stop(cs);
	monitor_spares_release();
	pthread_mutex_lock(&cs->lock);
	while (cs->jobs > 0)
		pthread_cond_wait(&cs->cond, &cs->lock);
	pthread_mutex_unlock(&cs->lock);
	ctr_health_free(cs);
	for (size_t i = 0; i < cs->n_execs; i++)
		ctr_exec_unref(cs->execs[i]);
	free(cs->execs);
	for (size_t i = 0; i < cs->n; i++)
		ctr_unref(cs->v[i]);
	free(cs->v);
	free(cs->dir);
	free(cs->run_dir);
	free(cs->runtime_root);
	free(cs->monitor_exe);
	free(cs->init_exe);
	pthread_cond_destroy(&cs->cond);
	pthread_mutex_destroy(&cs->lock);
	free(cs);
}

/* ---- restore ---- */

/* The rootfs of a container whose create was cut short. */
static int remake_snapshot(struct ctr *c, struct husk_error **err)
{
	struct store *s = c->cs->e->store;
	_cleanup_(store_image_freep) struct store_image *img = NULL;
	_cleanup_(image_config_freep) struct image_config *ic = NULL;
	_cleanup_free_ struct digest *chains = NULL;
	int r;

	r = store_image_get(s, c->image_id.str, &img, err);
	if (r == 0)
		r = image_config_load(s, img, &ic, err);
	if (r < 0)
		return r;
	if (ic->n_diff_ids == 0 || !(chains = calloc(ic->n_diff_ids, sizeof(*chains))))
		return error_set(err, EINVAL, "image %s has no layers", img->id.str);
	store_chain_ids(ic->diff_ids, ic->n_diff_ids, chains);
	store_snapshot_remove(s, c->id, NULL);
	r = store_snapshot_create(s, c->id, chains, ic->n_diff_ids, err);
	if (r < 0)
		return r;
	pthread_mutex_lock(&c->cs->lock);
	c->snapshot_ready = true;
	pthread_mutex_unlock(&c->cs->lock);
	return ctr_save(c, false, err);
}

/* A monitor that outlived huskd: the container runs on. */
static void restore_alive(struct ctr *c, pid_t mpid)
{
	struct containers *cs = c->cs;
	_cleanup_(container_state_freep) struct container_state *st = NULL;
	_cleanup_error_ struct husk_error *err = NULL;

	container_state_load(&cs->rt, c->id, &st, NULL);
	pthread_mutex_lock(&cs->lock);
	if (c->status != CTR_RUNNING && c->status != CTR_PAUSED) {
		/* huskd died between spawning it and writing the record */
		c->status = CTR_RUNNING;
		if (!c->started_at)
			c->started_at = ctr_now_rfc3339(&c->started_ns);
	}
	if (st) {
		c->pid = st->pid;
		c->status = st->status == CONTAINER_PAUSED ? CTR_PAUSED : CTR_RUNNING;
	}
	c->monitor_pid = mpid;
	c->cleanup_pending = true;
	pthread_mutex_unlock(&cs->lock);
	/* take our uses of its volumes again: the exit cleanup drops them */
	for (size_t i = 0; i < c->n_mounts; i++) {
		struct ctr_mount *m = &c->mounts[i];
		if (streq(m->type, "volume") && !m->mounted &&
		    volume_mount(cs->e->volumes, m->name, NULL, NULL) == 0)
			m->mounted = true;
	}
	ctr_health_start(c);
	ctr_save(c, false, NULL);
	if (ctr_watch(c, &err) < 0)
		log_error("restore container %.12s: %s", c->id, error_message(err));
	/* huskd died between creating it and letting it run: end it (its
	 * exit is recorded as any other) rather than leave it waiting */
	if (st && st->status == CONTAINER_CREATED)
		container_kill(&cs->rt, c->id, SIGKILL, true, NULL);
}

/* Docker's restart rule at daemon start (a fresh restart manager). */
static bool restart_at_start_locked(struct ctr *c)
{
	c->restart_delay_ms = 0;
	c->restart_canceled = false;
	return c->started_before && should_restart_locked(c, 0);
}

enum restore_action { RESTORE_NOTHING, RESTORE_START, RESTORE_REMOVE };

static enum restore_action restore_one(struct ctr *c)
{
	struct containers *cs = c->cs;
	_cleanup_error_ struct husk_error *err = NULL;
	enum restore_action act = RESTORE_NOTHING;
	pid_t mpid = 0;

	if (c->status == CTR_REMOVING) {
		if (ctr_remove_op(c, false, &err) < 0)
			log_error("containers: finish removing %.12s: %s", c->id,
			          error_message(err));
		return RESTORE_NOTHING;
	}
	if (monitor_alive(c->run_dir, &mpid)) {
		restore_alive(c, mpid);
		return RESTORE_NOTHING;
	}
	pthread_mutex_lock(&cs->lock);
	if (c->status == CTR_RUNNING || c->status == CTR_PAUSED || c->status == CTR_RESTARTING) {
		struct monitor_exit ex;
		pthread_mutex_unlock(&cs->lock);
		exit_from_file(c->dir, &ex);
		pthread_mutex_lock(&cs->lock);
		set_exit_locked(c, &ex);
		c->status = CTR_EXITED;
		monitor_exit_release(&ex);
	}
	c->cleanup_pending = true;
	if (restart_at_start_locked(c))
		act = RESTORE_START;
	else if (json_is_true(json_object_get(c->host_config, "AutoRemove")))
		act = RESTORE_REMOVE;
	pthread_mutex_unlock(&cs->lock);
	ctr_cleanup_op(c);
	if (!c->snapshot_ready && remake_snapshot(c, &err) < 0) {
		log_error("containers: %.12s has no root filesystem: %s", c->id,
		          error_message(err));
		pthread_mutex_lock(&cs->lock);
		c->status = CTR_DEAD;
		pthread_mutex_unlock(&cs->lock);
		act = act == RESTORE_REMOVE ? act : RESTORE_NOTHING;
	}
	ctr_save(c, false, NULL);
	return act;
}

static void *restart_main(void *p)
{
	struct ctr *c = p;
	_cleanup_error_ struct husk_error *err = NULL;

	int r;

	pthread_mutex_lock(&c->op);
	r = ctr_start_op(c, &err);
	if (r < 0 && r != -EALREADY)
		log_error("containers: restart %.12s at daemon start: %s", c->id,
		          error_message(err));
	pthread_mutex_unlock(&c->op);
	ctr_unref(c);
	return NULL;
}

void containers_restore(struct containers *cs)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct ctr **v;
	size_t n;

	if (ctr_waiter_start(cs, &err) < 0) {
		log_error("%s", error_message(err));
		return;
	}
	v = ctr_table_copy(cs, &n);
	if (!v) {
		log_error("containers: restore: out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct ctr *c = v[i];
		enum restore_action act;

		pthread_mutex_lock(&c->op);
		act = restore_one(c);
		if (act == RESTORE_REMOVE && ctr_remove_op(c, true, &err) < 0)
			log_error("containers: remove %.12s: %s", c->id, error_message(err));
		pthread_mutex_unlock(&c->op);
		if (act == RESTORE_START && ctr_job(cs, restart_main, c) == 0)
			continue;
		ctr_unref(c);
	}
	free(v);
}

/* ---- shutdown ---- */

static void *stop_main(void *p)
{
	struct ctr *c = p;
	_cleanup_error_ struct husk_error *err = NULL;
	int sig;

	if (ctr_stop_signal(c, NULL, &sig, NULL) < 0)
		sig = SIGTERM;
	int r;

	pthread_mutex_lock(&c->op);
	r = ctr_stop_op(c, sig, ctr_stop_timeout(c), &err);
	if (r < 0 && r != -EALREADY)
		log_error("containers: stop %.12s: %s", c->id, error_message(err));
	pthread_mutex_unlock(&c->op);
	ctr_unref(c);
	return NULL;
}

void containers_shutdown(struct containers *cs, bool stop_all)
{
	if (!cs)
		return;
	if (stop_all) {
		size_t n = 0;
		struct ctr **v = ctr_table_copy(cs, &n);

		for (size_t i = 0; v && i < n; i++)
			if (ctr_job(cs, stop_main, v[i]) < 0)
				ctr_unref(v[i]);
		free(v);
		/* the stops need the waiter to see the exits: wait for them */
		pthread_mutex_lock(&cs->lock);
		while (cs->jobs > 0)
			pthread_cond_wait(&cs->cond, &cs->lock);
		pthread_mutex_unlock(&cs->lock);
	}
	ctr_health_shutdown(cs);
	pthread_mutex_lock(&cs->lock);
	cs->stopping = true;
	pthread_cond_broadcast(&cs->cond);
	while (cs->jobs > 0)
		pthread_cond_wait(&cs->cond, &cs->lock);
	pthread_mutex_unlock(&cs->lock);
	ctr_waiter_stop(cs);
}
