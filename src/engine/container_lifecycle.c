/* container_lifecycle.c — start, stop, kill, restart and remove: the
 * rootfs and volumes mounted for a run, the bundle's config.json, the
 * husk-monitor, and the cleanup after an exit. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"
#include "base/str.h"
#include "base/thread.h"
#include "engine/container_internal.h"
#include "network/netlink.h"
#include "network/network.h"
#include "engine/engine.h"
#include "engine/monitor.h"
#include "engine/spec_build.h"
#include "engine/volumes.h"
#include "oci/runtime_spec.h"

#define KILL_WAIT_MS 30000 /* after SIGKILL, how long a stop waits for the exit */

/* ---- background jobs ---- */

struct job {
	struct containers *cs;
	void *(*fn)(void *);
	void *data;
};

static void *job_main(void *p)
{
	struct job j = *(struct job *)p;

	free(p);
	j.fn(j.data);
	pthread_mutex_lock(&j.cs->lock);
	j.cs->jobs--;
	pthread_cond_broadcast(&j.cs->cond);
	pthread_mutex_unlock(&j.cs->lock);
	return NULL;
}

int ctr_job(struct containers *cs, void *(*fn)(void *), void *data)
{
	struct job *j = malloc(sizeof(*j));
	int r;

	if (!j)
		return -ENOMEM;
	*j = (struct job){cs, fn, data};
	pthread_mutex_lock(&cs->lock);
	cs->jobs++;
	pthread_mutex_unlock(&cs->lock);
	r = thread_detached(job_main, j);
	if (r != 0) {
		free(j);
		pthread_mutex_lock(&cs->lock);
		cs->jobs--;
		pthread_cond_broadcast(&cs->cond);
		pthread_mutex_unlock(&cs->lock);
		return -r;
	}
	return 0;
}

/* ---- waiting for exits ---- */

static void deadline_in(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

bool ctr_wait_exit_locked(struct ctr *c, uint64_t seq, int timeout_ms)
{
	struct containers *cs = c->cs;
	struct timespec until;

	deadline_in(&until, timeout_ms < 0 ? 0 : timeout_ms);
	while (c->exit_seq == seq && !c->removed) {
		if (timeout_ms < 0)
			pthread_cond_wait(&cs->cond, &cs->lock);
		else if (pthread_cond_timedwait(&cs->cond, &cs->lock, &until) == ETIMEDOUT)
			return c->exit_seq != seq || c->removed;
	}
	return true;
}

/* ---- signals ---- */

int containers_parse_signal(const char *s, int *ret, struct husk_error **err)
{
	char up[32];
	size_t i;

	if (isempty(s) || strlen(s) >= sizeof(up))
		return error_set(err, EINVAL, "Invalid signal: %s", s ? s : "");
	for (i = 0; s[i]; i++)
		up[i] = (s[i] >= 'a' && s[i] <= 'z') ? s[i] - 32 : s[i];
	up[i] = 0;
	if (oci_signal_from_name(up, ret) < 0 || *ret <= 0 || *ret >= 65)
		return error_set(err, EINVAL, "Invalid signal: %s", s);
	return 0;
}

int ctr_stop_signal(struct ctr *c, const char *override, int *ret, struct husk_error **err)
{
	const char *s = override;

	if (isempty(s))
		s = json_string_value(json_object_get(c->config, "StopSignal"));
	if (isempty(s)) {
		*ret = SIGTERM;
		return 0;
	}
	return containers_parse_signal(s, ret, err);
}

int ctr_stop_timeout(struct ctr *c)
{
	json_t *t = json_object_get(c->config, "StopTimeout");

	return json_is_integer(t) ? (int)json_integer_value(t) : CTR_STOP_TIMEOUT;
}

int ctr_kill_process(struct ctr *c, int sig, struct husk_error **err)
{
	struct containers *cs = c->cs;
	_cleanup_error_ struct husk_error *e = NULL;
	int r = container_kill(&cs->rt, c->id, sig, false, &e);

	/* gone already: its exit is on its way to the waiter */
	if (r == -ENOENT || r == -ESRCH)
		return 0;
	if (r < 0) {
		/* the runtime refuses to signal a stopped container */
		_cleanup_(container_state_freep) struct container_state *st = NULL;
		if (container_state_load(&cs->rt, c->id, &st, NULL) < 0 ||
		    st->status == CONTAINER_STOPPED)
			return 0;
		return error_set(err, error_code(e), "%s", error_message(e));
	}
	return 0;
}

/* ---- start ---- */

/* Bring "lo" up in the network namespace *fd names, as runc does: a
 * thread of ours enters it (setns of a network namespace is per task)
 * and ends there. */
static void *loopback_thread(void *p)
{
	int *fd = p;
	struct ifreq ifr = {0};
	int s;

	if (setns(*fd, CLONE_NEWNET) < 0) {
		*fd = -errno;
		return NULL;
	}
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		*fd = -errno;
		return NULL;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		*fd = ioctl(s, SIOCSIFFLAGS, &ifr) < 0 ? -errno : 0;
	} else {
		*fd = -errno;
	}
	close(s);
	return NULL;
}

/* ... of the network namespace at path (a bind mount or /proc/PID/ns/net) */
static int loopback_up(const char *path, struct husk_error **err)
{
	_cleanup_close_ int fd = -1;
	int res;
	pthread_t t;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set_errno(err, errno, "open \"%s\"", path);
	res = fd;
	if (pthread_create(&t, NULL, loopback_thread, &res) != 0)
		return error_set(err, EAGAIN, "cannot start a thread");
	pthread_join(t, NULL);
	if (res < 0)
		return error_set_errno(err, -res, "bring up the loopback interface");
	return 0;
}

/* ("bridge" for the default, else a user network's name) */
const char *ctr_bridge_network(const struct ctr *c)
{
	const char *m = json_string_value(json_object_get(c->host_config, "NetworkMode"));

	if (isempty(m) || streq(m, "default"))
		return "bridge";
	if (streq(m, "none") || streq(m, "host") || startswith(m, "container:"))
		return NULL;
	return m;
}

/* <exec-root>/netns/<id>: the container's network namespace, made by the
 * engine so that its veth, address and ports exist before the process
 * and outlive nothing of it. */
static char *netns_path_of(const struct ctr *c)
{
	return str_printf("%s/netns/%s", c->cs->e->cfg.exec_root, c->id);
}

/* Whether a running container joined c's network namespace
 * (--network container:c): then the namespace outlives c's run. */
static bool netns_joined(struct ctr *c)
{
	struct containers *cs = c->cs;
	bool joined = false;

	pthread_mutex_lock(&cs->lock);
	for (size_t i = 0; i < cs->n && !joined; i++) {
		struct ctr *o = cs->v[i];
		const char *m = json_string_value(json_object_get(o->host_config, "NetworkMode"));
		const char *key = m ? startswith(m, "container:") : NULL;
		struct ctr *target = NULL;

		if (o == c || !key || !ctr_is_running(o))
			continue;
		if (ctr_lookup_locked(cs, key, &target, NULL) == 0) {
			joined = target == c;
			ctr_unref(target);
		}
	}
	pthread_mutex_unlock(&cs->lock);
	return joined;
}

/* Whether the engine makes the container's network namespace (at
 * <exec-root>/netns/<id>): a bridge network's, or --network none's. */
static bool own_netns(const struct ctr *c)
{
	return ctr_bridge_network(c) ||
	       streq(json_string_value(json_object_get(c->host_config, "NetworkMode")), "none");
}

/* Withdraw what network_up made: ports, endpoints, the namespace. Unless
 * another container shares it, the namespace dies with the run and the
 * kernel deletes its veths itself, off the stop path. */
static void network_down(struct ctr *c)
{
	struct networks *n = c->cs->e->networks;
	_cleanup_free_ char *path = netns_path_of(c);
	_cleanup_error_ struct husk_error *err = NULL;
	json_t *run;

	if (ctr_bridge_network(c) && (ports_unpublish(n, c->id, &err) < 0 ||
	                              network_disconnect_all(n, c->id, !netns_joined(c), &err) < 0))
		log_warn("container %.12s: %s", c->id, error_message(err));
	if (path)
		netns_remove(path, NULL);
	pthread_mutex_lock(&c->cs->lock);
	run = c->net_run;
	c->net_run = NULL;
	pthread_mutex_unlock(&c->cs->lock);
	ctr_net_events(c, "disconnect", json_object_get(run, "Networks"));
	json_decref(run);
}

/* The network namespace of own_netns, empty: made before the process,
 * which joins it by path. */
static int network_ns(struct ctr *c, struct husk_error **err)
{
	_cleanup_free_ char *path = netns_path_of(c);

	if (!path)
		return error_set(err, ENOMEM, "out of memory");
	if (mkdir_p_parent(path, 0700) < 0)
		return error_set_errno(err, errno, "create \"%s\"", path);
	netns_remove(path, NULL); /* a stale one from a crash */
	return netns_create(path, err);
}

/* Connect a bridge-mode container's namespace: endpoints, published ports
 * (on its first network) and loopback; c->net_run records them for
 * inspect and ps. --network none's gets its loopback only. */
static int network_up(struct ctr *c, struct husk_error **err)
{
	struct networks *n = c->cs->e->networks;
	_cleanup_free_ char *path = netns_path_of(c);
	_cleanup_json_ json_t *networks = NULL, *ports = NULL;
	struct in_addr ip;
	int r;

	if (!path)
		return error_set(err, ENOMEM, "out of memory");
	if (!ctr_bridge_network(c))
		return loopback_up(path, err);
	r = ctr_net_connect_all(c, path, &networks, &ip, err);
	if (r == 0 && ip.s_addr)
		r = ports_publish(n, c->id, ip, json_object_get(c->host_config, "PortBindings"),
		                  json_object_get(c->config, "ExposedPorts"),
		                  json_is_true(json_object_get(c->host_config, "PublishAllPorts")),
		                  &ports, err);
	if (r == 0)
		r = loopback_up(path, err);
	if (r < 0)
		return r; /* the start's failure withdraws it (the runtime may be in the
		             namespace now: it stays until then) */
	pthread_mutex_lock(&c->cs->lock);
	json_decref(c->net_run);
	c->net_run = json_pack("{s:O, s:o, s:s}", "Networks", networks, "Ports",
	                       ports ? json_incref(ports) : json_object(), "SandboxKey", path);
	pthread_mutex_unlock(&c->cs->lock);
	ctr_net_events(c, "connect", networks);
	return 0;
}

/* The namespace and network_up on a thread of their own, while the bundle
 * is written and the runtime creates the container (which needs only the
 * namespace): they are among the largest costs of a start, and touch
 * other kernel locks. */
struct net_job {
	struct ctr *c;
	pthread_t thread;
	bool running;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool ns_done; /* network_ns ran: ns_r is its result */
	int ns_r, r;
	struct husk_error *err;
};

static void *net_job_main(void *p)
{
	struct net_job *j = p;
	struct husk_error *e = NULL;
	int r = network_ns(j->c, &e);

	pthread_mutex_lock(&j->lock);
	j->ns_done = true;
	j->ns_r = r;
	pthread_cond_broadcast(&j->cond);
	pthread_mutex_unlock(&j->lock);
	if (r == 0)
		r = network_up(j->c, &e);
	j->r = r;
	j->err = e;
	return NULL;
}

static int network_begin(struct ctr *c, struct net_job *j, struct husk_error **err)
{
	j->c = c;
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->cond, NULL);
	if (pthread_create(&j->thread, NULL, net_job_main, j) != 0) {
		pthread_mutex_destroy(&j->lock);
		pthread_cond_destroy(&j->cond);
		return network_ns(c, err) ?: network_up(c, err);
	}
	j->running = true;
	return 0;
}

/* Wait for network_begin's thread: its result, once (0 after). */
static int network_end(struct net_job *j, struct husk_error **err)
{
	int r;

	if (!j->running)
		return 0;
	pthread_join(j->thread, NULL);
	j->running = false;
	pthread_mutex_destroy(&j->lock);
	pthread_cond_destroy(&j->cond);
	r = j->r;
	if (r < 0)
		error_set(err, error_code(j->err), "%s", error_message(j->err));
	error_clear(&j->err);
	return r;
}

/* Wait until network_begin's thread made the namespace (the runtime joins
 * it); its failure ends the thread. */
static int network_ns_wait(struct net_job *j, struct husk_error **err)
{
	int r;

	if (!j->running)
		return 0;
	pthread_mutex_lock(&j->lock);
	while (!j->ns_done)
		pthread_cond_wait(&j->cond, &j->lock);
	r = j->ns_r;
	pthread_mutex_unlock(&j->lock);
	return r < 0 ? network_end(j, err) : 0;
}

/* "container:NAME" of a HostConfig mode → /proc/<pid>/ns/<type> of that
 * running container. */
static int ns_of_mode(struct ctr *c, const char *key, const char *type, const char *what,
                      char **ret, struct husk_error **err)
{
	const char *mode = json_string_value(json_object_get(c->host_config, key));
	_cleanup_(ctr_unrefp) struct ctr *other = NULL;
	const char *name;
	pid_t pid;
	int r;

	*ret = NULL;
	if (isempty(mode))
		return 0;
	if (streq(mode, "host")) {
		*ret = strdup("host");
		return *ret ? 0 : -ENOMEM;
	}
	if (!(name = startswith(mode, "container:")))
		return 0;
	r = ctr_lookup(c->cs, name, &other, err);
	if (r < 0)
		return r;
	pthread_mutex_lock(&c->cs->lock);
	pid = (other->status == CTR_RUNNING || other->status == CTR_PAUSED) ? other->pid : 0;
	pthread_mutex_unlock(&c->cs->lock);
	if (pid <= 0)
		return error_set(err, EBUSY, "cannot join %s of a non running container: %s", what,
		                 other->id);
	*ret = str_printf("/proc/%d/ns/%s", (int)pid, type);
	return *ret ? 0 : -ENOMEM;
}

struct run_setup {
	char *rootfs;
	int rootfs_fd;
	struct spec_mount *vols;
	char **vol_paths;
	size_t n_vols;
	char *ns[5];    /* pid, ipc, uts, net, user */
	char *shm_path; /* bound at /dev/shm (IpcMode), or NULL */
	json_t *body;
	json_t *spec;
	struct net_job net;
};

static void run_setup_release(struct run_setup *s)
{
	network_end(&s->net, NULL);
	free(s->rootfs);
	safe_close(s->rootfs_fd);
	for (size_t i = 0; i < s->n_vols; i++)
		free(s->vol_paths[i]);
	free(s->vol_paths);
	free(s->vols);
	for (size_t i = 0; i < ELEMENTSOF(s->ns); i++)
		free(s->ns[i]);
	free(s->shm_path);
	json_decref(s->body);
	json_decref(s->spec);
}

/* Mount the container's volumes (and copy the image's content into new,
 * empty ones). */
static int mount_volumes(struct ctr *c, struct run_setup *s, struct husk_error **err)
{
	struct volumes *vols = c->cs->e->volumes;

	s->vols = calloc(c->n_mounts + 1, sizeof(*s->vols));
	s->vol_paths = calloc(c->n_mounts + 1, sizeof(*s->vol_paths));
	if (!s->vols || !s->vol_paths)
		return error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < c->n_mounts; i++) {
		struct ctr_mount *m = &c->mounts[i];
		char *path = NULL;
		int r;

		if (!streq(m->type, "volume"))
			continue;
		r = volume_mount(vols, m->name, &path, err);
		if (r < 0)
			return r;
		m->mounted = true;
		s->vol_paths[s->n_vols] = path;
		s->vols[s->n_vols++] = (struct spec_mount){.source = path,
		                                           .destination = m->destination,
		                                           .type = "volume",
		                                           .readonly = !m->rw,
		                                           .propagation = NULL};
		if (!m->nocopy &&
		    (r = volume_copy_up(vols, m->name, s->rootfs_fd, m->destination, err)) < 0)
			return r;
	}
	return 0;
}

static void unmount_volumes(struct ctr *c)
{
	for (size_t i = 0; i < c->n_mounts; i++)
		if (c->mounts[i].mounted) {
			volume_unmount(c->cs->e->volumes, c->mounts[i].name);
			c->mounts[i].mounted = false;
		}
}

/* The create body the spec is built from: Config fields + HostConfig. */
static json_t *spec_body(struct ctr *c)
{
	json_t *b = json_deep_copy(c->config);

	pthread_mutex_lock(&c->cs->lock);
	if (b)
		json_object_set_new(b, "HostConfig", json_deep_copy(c->host_config));
	pthread_mutex_unlock(&c->cs->lock);
	if (b && c->networking)
		json_object_set(b, "NetworkingConfig", c->networking);
	return b;
}

/* userns-remap (dockerd's WithNamespaces): a new user namespace with the
 * daemon's maps unless UsernsMode is "host"; a container that joins
 * another's pid or ipc namespace joins its user namespace too (the one
 * that may mount its /proc and mqueue). A network namespace alone needs
 * none: the daemon made it, and the runtime joins it before the user
 * namespace. */
static int remap_userns(struct ctr *c, struct run_setup *s, struct spec_input *in)
{
	const struct userns_remap *u = &c->cs->e->remap;
	const char *mode = json_string_value(json_object_get(c->host_config, "UsernsMode"));

	if (!engine_remapped(c->cs->e) || streq(mode, "host"))
		return 0;
	in->uid_map = u->map.uids;
	in->n_uid_map = u->map.n_uids;
	in->gid_map = u->map.gids;
	in->n_gid_map = u->map.n_gids;
	for (size_t i = 0; i < 2; i++) {
		const char *p = s->ns[i] ? startswith(s->ns[i], "/proc/") : NULL;
		if (!p)
			continue;
		s->ns[4] = str_printf("/proc/%.*s/ns/user", (int)strcspn(p, "/"), p);
		if (!s->ns[4])
			return -ENOMEM;
		in->ns_user = s->ns[4];
		break;
	}
	return 0;
}

static int write_bundle(struct ctr *c, struct run_setup *s, struct husk_error **err)
{
	_cleanup_free_ char *hostname = path_join(c->dir, "hostname"),
	                    *hosts = path_join(c->dir, "hosts"),
	                    *resolv = path_join(c->dir, "resolv.conf"), *text = NULL;
	struct containers *cs = c->cs;
	_cleanup_close_ int dfd = -1;
	struct spec_input in = {0};
	int r;

	if (!hostname || !hosts || !resolv || !(s->body = spec_body(c)))
		return error_set(err, ENOMEM, "out of memory");
	if ((r = ctr_ipc_prepare(c, &s->shm_path, err)) < 0 ||
	    (r = ns_of_mode(c, "PidMode", "pid", "PID", &s->ns[0], err)) < 0 ||
	    (r = ns_of_mode(c, "IpcMode", "ipc", "IPC", &s->ns[1], err)) < 0 ||
	    (r = ns_of_mode(c, "UTSMode", "uts", "UTS", &s->ns[2], err)) < 0 ||
	    (r = ns_of_mode(c, "NetworkMode", "net", "network", &s->ns[3], err)) < 0)
		return r;
	if (own_netns(c) && !(s->ns[3] = netns_path_of(c)))
		return error_set(err, ENOMEM, "out of memory");
	in = (struct spec_input){.body = s->body,
	                         .id = c->id,
	                         .rootfs = s->rootfs,
	                         .rootfs_fd = s->rootfs_fd,
	                         .hostname_path = hostname,
	                         .hosts_path = hosts,
	                         .resolv_path = resolv,
	                         .init_path = cs->init_exe,
	                         .ns_pid = s->ns[0],
	                         .ns_ipc = s->ns[1],
	                         .ns_uts = s->ns[2],
	                         .ns_net = s->ns[3],
	                         .mounts = s->vols,
	                         .n_mounts = s->n_vols,
	                         .shm_path = s->shm_path,
	                         .host = &cs->host,
	                         .ro_recursive = c->ro_recursive};
	if (remap_userns(c, s, &in) < 0)
		return error_set(err, ENOMEM, "out of memory");
	r = spec_daemon_defaults_start(cs->e->cfg.file, s->body, err);
	if (r == 0)
		r = spec_bind_sources_create(s->body, err);
	if (r == 0)
		r = spec_build(&in, &s->spec, err);
	if (r < 0)
		return r;
	{
		const char *cg = json_string_value(
		        json_object_get(json_object_get(s->spec, "linux"), "cgroupsPath"));
		char *dup = cg ? strdup(cg) : NULL;
		pthread_mutex_lock(&cs->lock);
		free(c->cgroups_path);
		c->cgroups_path = dup;
		json_decref(c->process);
		c->process = json_deep_copy(json_object_get(s->spec, "process"));
		pthread_mutex_unlock(&cs->lock);
	}
	text = spec_dumps(s->spec, false);
	dfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!text)
		return error_set(err, ENOMEM, "out of memory");
	if (dfd < 0)
		return error_set_errno(err, errno, "open \"%s\"", c->dir);
	return atomic_replace_at(dfd, "config.json", text, strlen(text), 0600, err);
}

/* Rootfs, volumes, /etc files and config.json for a new run. */
static int prepare_run(struct ctr *c, struct run_setup *s, struct husk_error **err)
{
	struct store *st = c->cs->e->store;
	int r;

	if (!c->snapshot_ready)
		return error_set(err, EIO, "container %s has no root filesystem: remove it", c->id);
	r = store_snapshot_mount(st, c->id, &s->rootfs, err);
	if (r < 0)
		return r;
	s->rootfs_fd = open(s->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->rootfs_fd < 0)
		return error_set_errno(err, errno, "open \"%s\"", s->rootfs);
	r = mount_volumes(c, s, err);
	if (r == 0)
		r = ctr_write_etc_files(c, err);
	/* after the /etc files (an endpoint rewrites hosts), while the bundle
	 * (which names the namespace) is written */
	if (r == 0 && own_netns(c))
		r = network_begin(c, &s->net, err);
	if (r == 0)
		r = write_bundle(c, s, err);
	return r;
}

/* dockerd's exit codes for a process that could not start. */
int ctr_start_error_code(const char *msg)
{
	_cleanup_free_ char *low = strdup(msg ? msg : "");

	for (char *p = low; p && *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p += 32;
	if (!low)
		return CTR_EXIT_UNKNOWN;
	if (strstr(low, "executable file not found") || strstr(low, "no such file or directory") ||
	    strstr(low, "not a directory"))
		return 127;
	if (strstr(low, "permission denied"))
		return 126;
	return CTR_EXIT_UNKNOWN;
}

/* Connect the attachers that waited for this start. */
static void connect_attachers(struct ctr *c)
{
	struct containers *cs = c->cs;
	struct pending_attach *list;

	pthread_mutex_lock(&cs->lock);
	list = c->attaches;
	c->attaches = NULL;
	pthread_mutex_unlock(&cs->lock);
	for (struct pending_attach *p = list, *next; p; p = next) {
		int fd = -1;
		next = p->next;
		if (monitor_attach(c->run_dir, p->in, p->out, p->err, &fd, NULL) < 0)
			fd = -1;
		pthread_mutex_lock(&cs->lock);
		p->next = NULL;
		p->fd = fd;
		p->failed = fd < 0;
		pthread_cond_broadcast(&cs->cond);
		pthread_mutex_unlock(&cs->lock);
	}
}

static struct monitor_config monitor_config_of(struct ctr *c, const char *exit_file)
{
	struct containers *cs = c->cs;
	json_t *size = json_object_get(c->host_config, "ConsoleSize");
	struct monitor_config mc = {
	        .exe = cs->monitor_exe,
	        .id = c->id,
	        .bundle = c->dir,
	        .runtime_root = cs->runtime_root,
	        .sock_dir = c->run_dir,
	        .exit_file = exit_file,
	        .log_path = c->log_path,
	        .tty = json_is_true(json_object_get(c->config, "Tty")),
	        .open_stdin = json_is_true(json_object_get(c->config, "OpenStdin")),
	        /* dockerd never closes a tty's input when an attacher goes: it
	         * may detach and come back */
	        .stdin_once = json_is_true(json_object_get(c->config, "StdinOnce")) &&
	                      !json_is_true(json_object_get(c->config, "Tty")),
	        .systemd_cgroup = cs->rt.systemd_cgroup};

	ctr_log_options(c, &mc.log_max_size, &mc.log_max_files);
	if (json_array_size(size) == 2) {
		mc.rows = (unsigned short)json_integer_value(json_array_get(size, 0));
		mc.cols = (unsigned short)json_integer_value(json_array_get(size, 1));
	}
	return mc;
}

/* The runtime's words with Go's lower-case errno texts, as dockerd
 * relays runc's: the docker CLI derives exit codes 127 and 126 from them. */
char *ctr_go_errno_text(const char *msg)
{
	static const char *const from[] = {"No such file or directory", "Permission denied",
	                                   "Is a directory", "Not a directory",
	                                   "Exec format error"};
	char *out = strdup(msg ? msg : "unknown error");

	for (size_t i = 0; out && i < ELEMENTSOF(from); i++) {
		char *p;
		while ((p = strstr(out, from[i])))
			*p = (char)(*p - 'A' + 'a');
	}
	return out;
}

struct start_undo {
	enum ctr_status status;
	char *started_at;
	int64_t started_ns;
};

/* Record a start that failed (the process never ran): the state it had,
 * with the exit code and error dockerd records. Returns the error for the
 * caller: what the user asked for cannot run (400), or the daemon's
 * failure. */
static int start_failed(struct ctr *c, struct start_undo *u, int r, const struct husk_error *e,
                        struct husk_error **err)
{
	struct containers *cs = c->cs;
	_cleanup_free_ char *msg = ctr_go_errno_text(error_message(e));
	int code = e ? error_code(e) : -r;

	pthread_mutex_lock(&cs->lock);
	c->status = u->status == CTR_RESTARTING ? CTR_EXITED : u->status;
	free(c->started_at);
	c->started_at = TAKE_PTR(u->started_at);
	c->started_ns = u->started_ns;
	c->pid = c->monitor_pid = 0;
	c->exit_code = ctr_start_error_code(msg);
	ctr_set_error_locked(c, msg);
	c->cleanup_pending = true;
	pthread_cond_broadcast(&cs->cond);
	pthread_mutex_unlock(&cs->lock);
	ctr_cleanup_op(c);
	ctr_save(c, false, NULL);
	if (c->exit_code != CTR_EXIT_UNKNOWN || code == ENOENT)
		code = EINVAL;
	return error_set(err, code, "%s", msg ? msg : "out of memory");
}

/* Spawn the monitor, connect attachers and the waiter, let it run. */
static int launch(struct ctr *c, struct run_setup *s, struct husk_error **err)
{
	struct containers *cs = c->cs;
	_cleanup_free_ char *exit_file = path_join(c->dir, "exit.json");
	struct monitor_config mc;
	pid_t pid = 0, mpid = 0;
	int r;

	if (!exit_file)
		return error_set(err, ENOMEM, "out of memory");
	unlink(exit_file);
	rm_rf(c->run_dir);
	if (mkdir(c->run_dir, 0700) < 0)
		return error_set_errno(err, errno, "create \"%s\"", c->run_dir);
	mc = monitor_config_of(c, exit_file);
	r = network_ns_wait(&s->net, err);
	if (r < 0)
		return r;
	r = monitor_spawn(&mc, &pid, &mpid, err);
	if (r < 0) {
		/* a network that failed meanwhile is the reason to tell */
		_cleanup_error_ struct husk_error *ne = NULL;
		int nr = network_end(&s->net, &ne);
		if (nr < 0) {
			error_clear(err);
			return error_set(err, error_code(ne), "%s", error_message(ne));
		}
		return r;
	}
	pthread_mutex_lock(&cs->lock);
	c->pid = pid;
	c->monitor_pid = mpid;
	pthread_mutex_unlock(&cs->lock);
	r = network_end(&s->net, err);
	if (r < 0)
		goto kill;
	r = ctr_watch(c, err);
	if (r < 0)
		goto kill;
	connect_attachers(c);
	r = monitor_start(c->run_dir, &pid, err);
	if (r < 0)
		return r; /* the monitor ends it: the waiter sees the exit */
	pthread_mutex_lock(&cs->lock);
	if (pid > 0 && c->status == CTR_RUNNING)
		c->pid = pid;
	pthread_mutex_unlock(&cs->lock);
	return 0;
kill:
	container_kill(&cs->rt, c->id, SIGKILL, true, NULL);
	return r;
}

int ctr_start_op(struct ctr *c, struct husk_error **err)
{
	struct containers *cs = c->cs;
	_cleanup_(run_setup_release) struct run_setup s = {.rootfs_fd = -1};
	_cleanup_error_ struct husk_error *e = NULL;
	struct start_undo undo = {0};
	bool cleanup;
	int r;

	pthread_mutex_lock(&cs->lock);
	undo.status = c->status;
	cleanup = c->cleanup_pending;
	if (c->removed || undo.status == CTR_REMOVING)
		r = error_set(err, EBUSY, "container is marked for removal and cannot be started");
	else if (undo.status == CTR_DEAD)
		r = error_set(err, EBUSY, "container %s is dead: remove it", c->id);
	else if (undo.status == CTR_RUNNING || undo.status == CTR_PAUSED)
		r = -EALREADY;
	else if (cs->stopping)
		r = error_set(err, EBUSY, "the daemon is shutting down");
	else
		r = 0;
	pthread_mutex_unlock(&cs->lock);
	if (r < 0)
		return r;
	if (cleanup)
		ctr_cleanup_op(c);
	r = prepare_run(c, &s, &e);
	if (r < 0) {
		network_end(&s.net, NULL); /* before start_failed withdraws it */
		return start_failed(c, &undo, r, e, err);
	}
	/* the record says "running" before anything runs: a crash from here
	 * on is an exit that restore records */
	pthread_mutex_lock(&cs->lock);
	c->run_gen++;
	c->status = CTR_RUNNING;
	undo.started_at = c->started_at;
	undo.started_ns = c->started_ns;
	c->started_at = ctr_now_rfc3339(&c->started_ns);
	c->exit_code = 0;
	c->oom_killed = false;
	ctr_set_error_locked(c, NULL);
	c->started_before = true;
	c->manually_stopped = false;
	c->restart_canceled = false;
	c->restart_planned = false;
	c->cleanup_pending = true; /* mounts are up until an exit cleans them */
	pthread_mutex_unlock(&cs->lock);
	r = ctr_save(c, false, &e);
	if (r == 0)
		r = launch(c, &s, &e);
	if (r < 0) {
		network_end(&s.net, NULL); /* before start_failed withdraws it */
		return start_failed(c, &undo, r, e, err);
	}
	free(undo.started_at);
	ctr_health_start(c);
	ctr_save(c, false, NULL);
	ctr_event(c, "start", NULL);
	return 0;
}

/* ---- after an exit ---- */

/* Wait, 10 s at most, for the EOF of the monitor's wait connection: it
 * comes once the monitor has deleted the runtime state, or died. */
static void monitor_wait_gone(struct ctr *c)
{
	struct pollfd p = {.events = POLLIN | POLLRDHUP};
	char buf[256];

	pthread_mutex_lock(&c->cs->lock);
	p.fd = c->monitor_eof_fd;
	c->monitor_eof_fd = -1;
	pthread_mutex_unlock(&c->cs->lock);
	/* (it sends nothing after the record: a few reads at most) */
	for (int i = 0; p.fd >= 0 && i < 16; i++)
		if (RETRY_EINTR(poll(&p, 1, 10000)) <= 0 ||
		    RETRY_EINTR(read(p.fd, buf, sizeof(buf))) <= 0)
			break;
	safe_close(p.fd);
}

void ctr_cleanup_op_rootfs(struct ctr *c, bool unmount_rootfs)
{
	struct containers *cs = c->cs;
	_cleanup_error_ struct husk_error *err = NULL;
	bool pending;

	pthread_mutex_lock(&cs->lock);
	pending = c->cleanup_pending;
	c->cleanup_pending = false;
	pthread_mutex_unlock(&cs->lock);
	if (!pending)
		return;
	unmount_volumes(c);
	ctr_ipc_release(c);
	if (own_netns(c))
		network_down(c);
	/* the monitor deletes the runtime state after it told the exit; after
	 * a crash it may not have: that must not keep the cgroup. Not before
	 * it is done (a start would make the cgroup it removes). */
	monitor_wait_gone(c);
	container_delete(&cs->rt, c->id, true, NULL);
	if (unmount_rootfs && store_snapshot_unmount(cs->e->store, c->id, &err) < 0)
		log_warn("container %.12s: %s", c->id, error_message(err));
	rm_rf(c->run_dir);
}

void ctr_cleanup_op(struct ctr *c)
{
	ctr_cleanup_op_rootfs(c, true);
}

/* ---- stop ---- */

static void kill_event(struct ctr *c, int sig)
{
	char num[16];

	snprintf(num, sizeof(num), "%d", sig);
	ctr_event(c, "kill", json_pack("{s:s}", "signal", num));
}

int ctr_stop_op(struct ctr *c, int sig, int timeout, struct husk_error **err)
{
	struct containers *cs = c->cs;
	bool paused, done;
	uint64_t seq;
	int r;

	pthread_mutex_lock(&cs->lock);
	if (c->status == CTR_RESTARTING) {
		c->restart_canceled = c->manually_stopped = true;
		c->status = CTR_EXITED;
		pthread_cond_broadcast(&cs->cond);
		pthread_mutex_unlock(&cs->lock);
		ctr_save(c, false, NULL);
		return 0;
	}
	if (c->status != CTR_RUNNING && c->status != CTR_PAUSED) {
		pthread_mutex_unlock(&cs->lock);
		return -EALREADY;
	}
	c->manually_stopped = c->restart_canceled = true;
	paused = c->status == CTR_PAUSED;
	seq = c->exit_seq;
	pthread_mutex_unlock(&cs->lock);
	ctr_save(c, false, NULL);

	r = ctr_kill_process(c, sig, err);
	if (r < 0)
		return r;
	kill_event(c, sig);
	if (paused)
		container_resume(&cs->rt, c->id, NULL);
	pthread_mutex_lock(&cs->lock);
	done = ctr_wait_exit_locked(c, seq,
	                            sig == SIGKILL ? KILL_WAIT_MS
	                            : timeout < 0  ? -1
	                                           : timeout * 1000);
	pthread_mutex_unlock(&cs->lock);
	if (!done && sig != SIGKILL) {
		log_info("container %.12s did not exit within %d seconds of signal %d: "
		         "killing it",
		         c->id, timeout, sig);
		r = ctr_kill_process(c, SIGKILL, err);
		if (r < 0)
			return r;
		kill_event(c, SIGKILL);
		pthread_mutex_lock(&cs->lock);
		done = ctr_wait_exit_locked(c, seq, KILL_WAIT_MS);
		pthread_mutex_unlock(&cs->lock);
	}
	if (!done)
		return error_set(err, EIO, "container %s did not exit after SIGKILL", c->id);
	ctr_cleanup_op(c);
	ctr_event(c, "stop", NULL);
	return 0;
}

/* ---- remove ---- */

static void remove_volumes(struct ctr *c)
{
	struct engine *e = c->cs->e;

	for (size_t i = 0; i < c->n_mounts; i++) {
		_cleanup_error_ struct husk_error *err = NULL;
		struct ctr_mount *m = &c->mounts[i];
		if (!m->anonymous || !m->name)
			continue;
		if (volume_remove(e->volumes, m->name, false, engine_volume_in_use, e, &err) < 0 &&
		    error_code(err) != ENOENT)
			log_warn("container %.12s: %s", c->id, error_message(err));
	}
}

/* The rootfs of a removed container goes in the background: unmounting
 * an overlay syncs its upper filesystem, which `run --rm` should not wait
 * for. A crash before it is done leaves a snapshot of no container, which
 * the next daemon start removes. */
struct snapshot_rm {
	struct store *store;
	char id[65];
};

static void *snapshot_rm_main(void *p)
{
	struct snapshot_rm *s = p;
	_cleanup_error_ struct husk_error *err = NULL;
	int r = store_snapshot_remove(s->store, s->id, &err);

	if (r < 0 && r != -ENOENT)
		log_warn("container %.12s: remove its root filesystem: %s", s->id,
		         error_message(err));
	free(s);
	return NULL;
}

static void snapshot_rm_later(struct ctr *c)
{
	struct snapshot_rm *s = malloc(sizeof(*s));

	if (s) {
		s->store = c->cs->e->store;
		memcpy(s->id, c->id, sizeof(s->id));
		if (ctr_job(c->cs, snapshot_rm_main, s) == 0)
			return;
		free(s);
	}
	store_snapshot_remove(c->cs->e->store, c->id, NULL); /* no thread: now */
}

int ctr_remove_op(struct ctr *c, bool volumes, struct husk_error **err)
{
	struct containers *cs = c->cs;
	int r;

	pthread_mutex_lock(&cs->lock);
	if (c->removed) {
		pthread_mutex_unlock(&cs->lock);
		return 0;
	}
	c->status = CTR_REMOVING;
	c->restart_canceled = true;
	pthread_cond_broadcast(&cs->cond);
	pthread_mutex_unlock(&cs->lock);
	/* written before anything goes: a crash now is a removal restore
	 * finishes. Not fsync'd: a crash that loses it leaves the container
	 * as it was (or a directory without a record, which restore drops),
	 * and removing it again works. */
	ctr_save(c, false, NULL);
	ctr_cleanup_op_rootfs(c, false);
	ctr_ipc_release(c); /* also what a crash left */
	container_delete(&cs->rt, c->id, true, NULL);
	rm_rf(c->run_dir);
	r = rm_rf(c->dir);
	if (r < 0) {
		pthread_mutex_lock(&cs->lock);
		c->status = CTR_DEAD;
		pthread_mutex_unlock(&cs->lock);
		ctr_save(c, false, NULL);
		return error_set_errno(err, -r, "unable to remove \"%s\"", c->dir);
	}
	pthread_mutex_lock(&cs->lock);
	ctr_execs_drop_locked(cs, c, true);
	for (size_t i = 0; i < c->n_log_stops; i++) {
		uint64_t one = 1;
		if (write(c->log_stops[i], &one, sizeof(one)) < 0)
			continue;
	}
	ctr_table_remove_locked(cs, c);
	pthread_mutex_unlock(&cs->lock);
	if (c->snapshot_ready)
		snapshot_rm_later(c);
	else
		store_snapshot_remove(cs->e->store, c->id, NULL); /* a partial one */
	if (volumes)
		remove_volumes(c);
	ctr_event(c, "destroy", NULL);
	return 0;
}

/* ---- the public operations ---- */

int containers_start(struct containers *cs, const char *name, struct husk_error **err)
{
	_cleanup_(ctr_unrefp) struct ctr *c = NULL;
	int r = ctr_lookup(cs, name, &c, err);

	if (r < 0)
		return r;
	pthread_mutex_lock(&c->op);
	pthread_mutex_lock(&cs->lock);
	r = c->status == CTR_RESTARTING ? -EALREADY : 0;
	pthread_mutex_unlock(&cs->lock);
	if (r == 0)
		r = ctr_start_op(c, err);
	/* dockerd removes an AutoRemove container whose start failed: `run
	 * --rm` waits for that */
	if (r < 0 && r != -EALREADY && json_is_true(json_object_get(c->host_config, "AutoRemove")))
		ctr_remove_op(c, true, NULL);
	pthread_mutex_unlock(&c->op);
	return r;
}

int containers_stop(struct containers *cs, const char *name, bool has_timeout, int timeout,
                    const char *signal, struct husk_error **err)
{
	_cleanup_(ctr_unrefp) struct ctr *c = NULL;
	int r = ctr_lookup(cs, name, &c, err), sig;

	if (r < 0)
		return r;
	r = ctr_stop_signal(c, signal, &sig, err);
	if (r < 0)
		return r;
	pthread_mutex_lock(&c->op);
	r = ctr_stop_op(c, sig, has_timeout ? timeout : ctr_stop_timeout(c), err);
	pthread_mutex_unlock(&c->op);
	return r;
}

int containers_restart(struct containers *cs, const char *name, bool has_timeout, int timeout,
                       const char *signal, struct husk_error **err)
{
	_cleanup_(ctr_unrefp) struct ctr *c = NULL;
	int r = ctr_lookup(cs, name, &c, err), sig;

	if (r < 0)
		return r;
	r = ctr_stop_signal(c, signal, &sig, err);
	if (r < 0)
		return r;
	pthread_mutex_lock(&c->op);
	r = ctr_stop_op(c, sig, has_timeout ? timeout : ctr_stop_timeout(c), err);
	if (r == 0 || r == -EALREADY)
		r = ctr_start_op(c, err);
	if (r == 0) {
		pthread_mutex_lock(&cs->lock);
		c->manually_stopped = false;
		pthread_mutex_unlock(&cs->lock);
		ctr_event(c, "restart", NULL);
	}
	pthread_mutex_unlock(&c->op);
	return r == -EALREADY ? 0 : r;
}

int containers_kill(struct containers *cs, const char *name, const char *signal,
                    struct husk_error **err)
{
	_cleanup_(ctr_unrefp) struct ctr *c = NULL;
	int r = ctr_lookup(cs, name, &c, err), sig = SIGKILL, stop_sig;
	bool paused;

	if (r < 0)
		return r;
	if (!isempty(signal) && (r = containers_parse_signal(signal, &sig, err)) < 0)
		return r;
	if (ctr_stop_signal(c, NULL, &stop_sig, NULL) < 0)
		stop_sig = SIGTERM;
	pthread_mutex_lock(&cs->lock);
	if (c->status == CTR_RESTARTING) {
		c->restart_canceled = true;
		pthread_mutex_unlock(&cs->lock);
		return 0;
	}
	if (c->status != CTR_RUNNING && c->status != CTR_PAUSED) {
		pthread_mutex_unlock(&cs->lock);
		return error_set(err, EBUSY,
		                 "Cannot kill container: %s: Container %s is not running", name,
		                 c->id);
	}
	if (sig == SIGKILL || sig == stop_sig)
		c->restart_canceled = true;
	c->manually_stopped = true;
	paused = c->status == CTR_PAUSED && (sig == SIGKILL || sig == stop_sig);
	pthread_mutex_unlock(&cs->lock);
	ctr_save(c, false, NULL);
	r = ctr_kill_process(c, sig, err);
	if (r < 0)
		return r;
	if (paused)
		container_resume(&cs->rt, c->id, NULL);
	kill_event(c, sig);
	return 0;
}

int containers_remove(struct containers *cs, const char *name, bool force, bool volumes,
                      struct husk_error **err)
{
	_cleanup_(ctr_unrefp) struct ctr *c = NULL;
	enum ctr_status st;
	int r = ctr_lookup(cs, name, &c, err);

	if (r < 0)
		return r;
	pthread_mutex_lock(&c->op);
	pthread_mutex_lock(&cs->lock);
	st = c->status;
	pthread_mutex_unlock(&cs->lock);
	if (c->removed) {
		r = error_set(err, ENOENT, "No such container: %s", name);
	} else if ((st == CTR_RUNNING || st == CTR_PAUSED || st == CTR_RESTARTING) && !force) {
		r = error_set(
		        err, EBUSY,
		        st == CTR_PAUSED
		                ? "You cannot remove a paused container %s. Unpause and then "
		                  "stop the container before attempting removal or force remove"
		        : st == CTR_RESTARTING
		                ? "You cannot remove a restarting container %s. Stop the "
		                  "container before attempting removal or force remove"
		                : "You cannot remove a running container %s. Stop the container "
		                  "before attempting removal or force remove",
		        c->id);
	} else {
		if (st == CTR_RUNNING || st == CTR_PAUSED || st == CTR_RESTARTING)
			r = ctr_stop_op(c, SIGKILL, 0, err);
		if (r == -EALREADY)
			r = 0;
		if (r == 0)
			r = ctr_remove_op(c, volumes, err);
	}
	pthread_mutex_unlock(&c->op);
	return r;
}
