/* container_health.c — health checks as dockerd runs them: Config.Healthcheck
 * (already merged with the image's at create) probed while the container
 * runs, State.Health kept in the record, health_status events.
 *
 * One scheduler thread per engine, started with the first container that
 * has a health check, keeps the next due time of every probing run and
 * launches each probe as an exec in a job thread of its own, so a slow
 * probe never delays another container's. A probe is an exec like any
 * other (exec_create/exec_start/exec_die events, the container's user, env
 * and working directory), forgotten once its result is in.
 *
 * Locking: hs->lock guards the entries; it is taken before cs->lock, never
 * while holding it. It must never: hold a lock while a probe runs; keep
 * more than HEALTH_OUTPUT_MAX bytes of a probe's output; probe a run that
 * ended (a late result of an ended run is dropped).
 */
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/json.h"
#include "base/log.h"
#include "base/str.h"
#include "base/timefmt.h"
#include "engine/container_internal.h"

#define HEALTH_OUTPUT_MAX     4096 /* dockerd's maxOutputLen */
#define HEALTH_LOG_MAX        5    /* dockerd's maxLogEntries */
#define HEALTH_INTERVAL_NS    30000000000LL
#define HEALTH_TIMEOUT_NS     30000000000LL
#define HEALTH_START_INTERVAL 5000000000LL
#define HEALTH_RETRIES        3
#define HEALTH_KILL_GRACE_MS  5000 /* after the kill, how long output may still come */
#define NS_PER_MS             1000000LL

struct health_cfg {
	char **argv;
	int64_t interval, timeout, start_period, start_interval;
	int retries;
};

struct health_entry {
	struct health_entry *next;
	struct ctr *c; /* a reference */
	unsigned gen;  /* the run it probes */
	struct health_cfg cfg;
	int64_t due; /* CLOCK_MONOTONIC ns */
	int efd;     /* cuts the running probe short, or -1 */
	bool busy;   /* a probe runs: its job owns the entry */
	bool dead;   /* unlinked while busy: the job frees it */
};

struct health_sched {
	struct containers *cs;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* CLOCK_MONOTONIC */
	struct health_entry *list;
	pthread_t thread;
	bool started, stopping;
};

struct probe_result {
	int64_t start_ns, end_ns; /* CLOCK_REALTIME */
	int exit_code;
	struct strbuf out;
	bool truncated;
};

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- the configuration ---- */

static int64_t dur_or(json_t *hc, const char *key, int64_t def)
{
	int64_t v = json_integer_value(json_object_get(hc, key));

	return v > 0 ? v : def;
}

/* Config.Shell, else /bin/sh -c (dockerd's getShell). */
static int shell_of(json_t *config, char ***ret)
{
	json_t *shell = json_object_get(config, "Shell"), *v;
	size_t i;

	if (!(*ret = strv_new()))
		return -ENOMEM;
	if (!json_array_size(shell))
		return strv_push(ret, "/bin/sh") < 0 ? -ENOMEM : strv_push(ret, "-c");
	json_array_foreach (shell, i, v)
		if (strv_push(ret, json_string_value(v) ?: "") < 0)
			return -ENOMEM;
	return 0;
}

/* dockerd's getProbe(): 0 with the probe, -ENOENT when the container has
 * none (no Healthcheck, an empty Test, NONE or an unknown type). */
static int health_cfg_of(json_t *config, struct health_cfg *ret)
{
	json_t *hc = json_object_get(config, "Healthcheck"), *test = json_object_get(hc, "Test");
	const char *kind = json_string_value(json_array_get(test, 0));
	char **argv = NULL;
	size_t i;
	json_t *v;

	*ret = (struct health_cfg){0};
	if (streq_ptr(kind, "CMD-SHELL") && json_array_size(test) >= 2) {
		const char *cmd = json_string_value(json_array_get(test, 1));
		if (!cmd || shell_of(config, &argv) < 0 || strv_push(&argv, cmd) < 0)
			goto none;
	} else if (streq_ptr(kind, "CMD") && json_array_size(test) >= 2) {
		if (!(argv = strv_new()))
			return -ENOMEM;
		json_array_foreach (test, i, v)
			if (i > 0 &&
			    (!json_is_string(v) || strv_push(&argv, json_string_value(v)) < 0))
				goto none;
	} else {
		return -ENOENT;
	}
	ret->argv = argv;
	ret->interval = dur_or(hc, "Interval", HEALTH_INTERVAL_NS);
	ret->timeout = dur_or(hc, "Timeout", HEALTH_TIMEOUT_NS);
	ret->start_period = dur_or(hc, "StartPeriod", 0);
	ret->start_interval = dur_or(hc, "StartInterval", HEALTH_START_INTERVAL);
	ret->retries = (int)MIN(dur_or(hc, "Retries", HEALTH_RETRIES), INT32_MAX);
	return 0;
none:
	strv_free(argv);
	return -ENOENT;
}

/* ---- Go's time.Duration.String() for the timeout message ---- */

/* v (< 10^digits units) as "<int>[.<frac without trailing zeros>]". */
static void fixed_point(struct strbuf *sb, int64_t v, int digits)
{
	int64_t scale = 1;
	char frac[16];
	int n;

	for (int i = 0; i < digits; i++)
		scale *= 10;
	strbuf_printf(sb, "%lld", (long long)(v / scale));
	if (!(v % scale))
		return;
	n = snprintf(frac, sizeof(frac), "%0*lld", digits, (long long)(v % scale));
	while (n > 0 && frac[n - 1] == '0')
		frac[--n] = 0;
	strbuf_printf(sb, ".%s", frac);
}

char *health_go_duration(int64_t ns)
{
	struct strbuf sb = {0};
	uint64_t u = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;

	if (ns < 0)
		strbuf_puts(&sb, "-");
	if (u == 0) {
		strbuf_puts(&sb, "0s");
	} else if (u < 1000) {
		strbuf_printf(&sb, "%lluns", (unsigned long long)u);
	} else if (u < 1000000) {
		fixed_point(&sb, (int64_t)u, 3);
		strbuf_puts(&sb, "\xc2\xb5s");
	} else if (u < 1000000000) {
		fixed_point(&sb, (int64_t)u, 6);
		strbuf_puts(&sb, "ms");
	} else {
		uint64_t s = u / 1000000000, h = s / 3600, m = s / 60 % 60;
		if (h)
			strbuf_printf(&sb, "%lluh", (unsigned long long)h);
		if (h || m)
			strbuf_printf(&sb, "%llum", (unsigned long long)m);
		fixed_point(&sb, (int64_t)(u % 60000000000ULL), 9);
		strbuf_puts(&sb, "s");
	}
	return strbuf_steal(&sb);
}

/* ---- one probe ---- */

/* Frames of the exec's stream: stdout and stderr together, capped. */
struct frames {
	unsigned char hdr[8];
	size_t hdr_len, left;
};

static void collect(struct probe_result *res, struct frames *f, const unsigned char *p, size_t n)
{
	while (n > 0) {
		size_t take;
		if (f->left == 0) {
			take = MIN(n, sizeof(f->hdr) - f->hdr_len);
			memcpy(f->hdr + f->hdr_len, p, take);
			f->hdr_len += take;
			p += take;
			n -= take;
			if (f->hdr_len == sizeof(f->hdr)) {
				f->left = (size_t)f->hdr[4] << 24 | (size_t)f->hdr[5] << 16 |
				          (size_t)f->hdr[6] << 8 | f->hdr[7];
				f->hdr_len = 0;
			}
			continue;
		}
		take = MIN(n, f->left);
		/* dockerd keeps the first bytes and marks the cut with "..." */
		if (res->out.len + take > HEALTH_OUTPUT_MAX)
			res->truncated = true;
		strbuf_append(&res->out, p, MIN(take, HEALTH_OUTPUT_MAX - res->out.len));
		p += take;
		n -= take;
		f->left -= take;
	}
}

struct relay_job {
	struct containers_exec_run *run;
	int sock, efd;
};

static void *relay_main(void *p)
{
	struct relay_job *j = p;

	containers_exec_start_run(j->run, j->sock, NULL, 0, j->efd);
	close(j->sock);
	return NULL;
}

static json_t *exec_inspect_field(struct containers *cs, const char *id, const char *key)
{
	_cleanup_json_ json_t *info = NULL;

	if (containers_exec_inspect(cs, id, &info, NULL) < 0)
		return NULL;
	return json_incref(json_object_get(info, key));
}

static void kill_probe(struct containers *cs, const char *id)
{
	_cleanup_json_ json_t *pid = exec_inspect_field(cs, id, "Pid");

	if (json_integer_value(pid) > 0)
		kill((pid_t)json_integer_value(pid), SIGKILL);
}

/* Read the exec's stream until its end; past the deadline, kill the
 * probe (*ret_timed_out) and give it a grace period to end. */
static void read_probe(struct containers *cs, const char *id, int fd, int efd, int64_t timeout,
                       struct probe_result *res, bool *ret_timed_out)
{
	int64_t deadline = mono_ns() + timeout, grace = 0;
	struct frames f = {0};
	unsigned char buf[8192];

	*ret_timed_out = false;
	for (;;) {
		int64_t now = mono_ns(), until = grace ? grace : deadline;
		struct pollfd p[2] = {{fd, POLLIN, 0}, {efd, POLLIN, 0}};
		int ms = until > now ? (int)MIN((until - now + NS_PER_MS - 1) / NS_PER_MS, 60000)
		                     : 0;
		int r = RETRY_EINTR(poll(p, 2, ms));
		ssize_t n;

		if (r < 0 || p[1].revents)
			return;
		if (r == 0 && mono_ns() >= until) {
			if (grace) { /* the stream stays open: end the relay */
				eventfd_write(efd, 1);
				return;
			}
			*ret_timed_out = true;
			kill_probe(cs, id);
			grace = mono_ns() + HEALTH_KILL_GRACE_MS * NS_PER_MS;
			continue;
		}
		if (!p[0].revents)
			continue;
		n = RETRY_EINTR(read(fd, buf, sizeof(buf)));
		if (n <= 0)
			return;
		collect(res, &f, buf, (size_t)n);
	}
}

/* The exec records of probes are not kept (dockerd shows none in ExecIDs). */
static void exec_forget(struct containers *cs, const char *id)
{
	struct ctr_exec *gone = NULL;

	pthread_mutex_lock(&cs->lock);
	for (size_t i = 0; i < cs->n_execs; i++)
		if (streq(cs->execs[i]->id, id)) {
			gone = cs->execs[i];
			memmove(cs->execs + i, cs->execs + i + 1,
			        (cs->n_execs - i - 1) * sizeof(*cs->execs));
			cs->n_execs--;
			break;
		}
	pthread_mutex_unlock(&cs->lock);
	ctr_exec_unref(gone);
}

/* Start the exec and relay its stream into the result. */
static int probe_exec(struct ctr *c, const struct health_cfg *cfg, int efd,
                      struct probe_result *res, bool *ret_timed_out, struct husk_error **err)
{
	struct containers *cs = c->cs;
	_cleanup_json_ json_t *body = NULL, *start = json_object(), *code = NULL;
	_cleanup_free_ char *id = NULL;
	struct relay_job j = {NULL, -1, efd};
	int sv[2];
	pthread_t t;
	bool tty;
	int r;

	body = json_pack("{s:o, s:b, s:b}", "Cmd", json_array(), "AttachStdout", true,
	                 "AttachStderr", true);
	if (!body || !start)
		return error_set(err, ENOMEM, "out of memory");
	STRV_FOREACH (a, cfg->argv)
		json_array_append_new(json_object_get(body, "Cmd"), json_string(*a));
	if ((r = containers_exec_create(cs, c->id, body, &id, err)) < 0)
		return r;
	r = containers_exec_start_begin(cs, id, start, &j.run, &tty, err);
	if (r == 0 && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		r = error_set_errno(err, errno, "socketpair");
	if (r < 0) {
		containers_exec_run_free(j.run);
		exec_forget(cs, id);
		return r;
	}
	j.sock = sv[0];
	if ((r = pthread_create(&t, NULL, relay_main, &j)) != 0) {
		close(sv[0]);
		close(sv[1]);
		containers_exec_run_free(j.run);
		exec_forget(cs, id);
		return error_set_errno(err, r, "start the probe's relay");
	}
	read_probe(cs, id, sv[1], efd, cfg->timeout, res, ret_timed_out);
	close(sv[1]);
	pthread_join(t, NULL);
	containers_exec_run_free(j.run);
	code = exec_inspect_field(cs, id, "ExitCode");
	res->exit_code = json_is_integer(code) ? (int)json_integer_value(code) : -1;
	exec_forget(cs, id);
	return 0;
}

/* jansson refuses text that is not UTF-8: a probe printing such bytes gets
 * U+FFFD for every byte past ASCII (Go marks only the bad ones). */
static json_t *output_json(const char *s)
{
	struct strbuf sb = {0};
	json_t *j = json_string(s);

	if (j)
		return j;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x80)
			strbuf_append(&sb, p, 1);
		else
			strbuf_puts(&sb, "\xef\xbf\xbd");
	j = json_string(sb.buf ? sb.buf : "");
	strbuf_release(&sb);
	return j;
}

/* A probe's result; dockerd's words for a timeout and an exec error. */
static json_t *run_probe(struct ctr *c, const struct health_cfg *cfg, int efd)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct probe_result res = {0};
	_cleanup_free_ char *out = NULL, *start = NULL, *end = NULL, *d = NULL;
	struct timespec ts;
	bool timed_out = false;
	json_t *j;

	res.start_ns = ctr_now_ns();
	if (probe_exec(c, cfg, efd, &res, &timed_out, &err) < 0) {
		res.exit_code = -1;
		strbuf_release(&res.out);
		strbuf_puts(&res.out, error_message(err));
	} else if (res.truncated) {
		strbuf_puts(&res.out, "...");
	}
	res.end_ns = ctr_now_ns();
	out = strbuf_steal(&res.out);
	if (timed_out) {
		char *msg;
		d = health_go_duration(cfg->timeout);
		msg = isempty(out) ? str_printf("Health check exceeded timeout (%s)", d ? d : "")
		                   : str_printf("Health check exceeded timeout (%s): %s",
		                                d ? d : "", out);
		free(out);
		out = msg;
		res.exit_code = -1;
	}
	ts = (struct timespec){res.start_ns / 1000000000, res.start_ns % 1000000000};
	start = rfc3339_format(&ts);
	ts = (struct timespec){res.end_ns / 1000000000, res.end_ns % 1000000000};
	end = rfc3339_format(&ts);
	j = json_pack("{s:s, s:s, s:i, s:o}", "Start", start ? start : "", "End", end ? end : "",
	              "ExitCode", res.exit_code, "Output", output_json(out ? out : ""));
	if (j)
		json_object_set_new(j, "StartNs", json_integer(res.start_ns));
	return j;
}

/* ---- State.Health ---- */

const char *ctr_health_status_locked(const struct ctr *c)
{
	const char *s = json_string_value(json_object_get(c->health, "Status"));

	return s ? s : "none";
}

/* dockerd's handleProbeResult(), cs->lock held. The new status when it
 * changed, else NULL. */
static const char *apply_result_locked(struct ctr *c, const struct health_cfg *cfg, json_t *res)
{
	json_t *h = c->health, *log = json_object_get(h, "Log");
	const char *old = ctr_health_status_locked(c), *now = old;
	int64_t streak = json_integer_value(json_object_get(h, "FailingStreak"));
	int64_t start_ns = json_integer_value(json_object_get(res, "StartNs"));

	json_object_del(res, "StartNs");
	if (!json_is_array(log)) {
		json_object_set_new(h, "Log", json_array());
		log = json_object_get(h, "Log");
	}
	json_array_append(log, res);
	while (json_array_size(log) > HEALTH_LOG_MAX)
		json_array_remove(log, 0);
	if (json_integer_value(json_object_get(res, "ExitCode")) == 0) {
		streak = 0;
		now = "healthy";
	} else if (!streq(old, "starting") || start_ns - c->started_ns >= cfg->start_period) {
		/* failures in the start period do not count */
		if (++streak >= cfg->retries)
			now = "unhealthy";
	}
	json_object_set_new(h, "FailingStreak", json_integer(streak));
	if (streq(now, old))
		return NULL;
	json_object_set_new(h, "Status", json_string(now));
	return ctr_health_status_locked(c);
}

/* dockerd's getInterval(): the start interval while starting within the
 * start period, else the interval. cs->lock held. */
static int64_t next_interval_locked(const struct health_entry *e)
{
	const struct ctr *c = e->c;

	if (ctr_now_ns() - c->started_ns >= e->cfg.start_period)
		return e->cfg.interval;
	return streq(ctr_health_status_locked(c), "starting") ? e->cfg.start_interval
	                                                      : e->cfg.interval;
}

/* ---- the scheduler ---- */

static void entry_free(struct health_entry *e)
{
	if (!e)
		return;
	if (e->efd >= 0)
		close(e->efd);
	strv_free(e->cfg.argv);
	ctr_unref(e->c);
	free(e);
}

static void *probe_main(void *p)
{
	struct health_entry *e = p;
	struct ctr *c = ctr_ref(e->c);
	struct containers *cs = c->cs;
	struct health_sched *hs = cs->health;
	_cleanup_json_ json_t *res = run_probe(c, &e->cfg, e->efd);
	const char *changed = NULL;
	char action[64];
	bool save = false;

	pthread_mutex_lock(&hs->lock);
	pthread_mutex_lock(&cs->lock);
	if (res && !e->dead && !hs->stopping && c->run_gen == e->gen && c->health &&
	    (c->status == CTR_RUNNING || c->status == CTR_PAUSED)) {
		changed = apply_result_locked(c, &e->cfg, res);
		save = true;
	}
	e->due = mono_ns() + next_interval_locked(e);
	if (changed)
		snprintf(action, sizeof(action), "health_status: %s", changed);
	pthread_mutex_unlock(&cs->lock);
	close(e->efd);
	e->efd = -1;
	e->busy = false;
	if (e->dead)
		entry_free(e);
	pthread_cond_broadcast(&hs->cond);
	pthread_mutex_unlock(&hs->lock);
	if (save)
		ctr_save(c, false, NULL);
	if (changed)
		ctr_event(c, action, NULL);
	ctr_unref(c);
	return NULL;
}

/* A due entry: launch its probe (while the container runs; a paused one
 * is probed as dockerd does: the exec is refused, a failure that counts).
 * hs->lock held. */
static void launch_locked(struct health_sched *hs, struct health_entry *e, int64_t now)
{
	struct containers *cs = hs->cs;
	bool running;

	pthread_mutex_lock(&cs->lock);
	running = (e->c->status == CTR_RUNNING || e->c->status == CTR_PAUSED) &&
	          e->c->run_gen == e->gen;
	e->due = now + next_interval_locked(e);
	pthread_mutex_unlock(&cs->lock);
	if (!running)
		return;
	e->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (e->efd < 0)
		return;
	e->busy = true;
	if (ctr_job(cs, probe_main, e) < 0) {
		e->busy = false;
		close(e->efd);
		e->efd = -1;
		log_error("container %.12s: cannot start its health check", e->c->id);
	}
}

static void *sched_main(void *p)
{
	struct health_sched *hs = p;

	pthread_mutex_lock(&hs->lock);
	while (!hs->stopping) {
		int64_t now = mono_ns(), next = INT64_MAX;
		struct timespec until;

		for (struct health_entry *e = hs->list; e; e = e->next) {
			if (e->busy)
				continue;
			if (e->due <= now)
				launch_locked(hs, e, now);
			if (!e->busy)
				next = MIN(next, e->due);
		}
		if (next == INT64_MAX) {
			pthread_cond_wait(&hs->cond, &hs->lock);
			continue;
		}
		until = (struct timespec){next / 1000000000, next % 1000000000};
		pthread_cond_timedwait(&hs->cond, &hs->lock, &until);
	}
	pthread_mutex_unlock(&hs->lock);
	return NULL;
}

/* The scheduler, created at first use. NULL on failure. */
static struct health_sched *sched_get(struct containers *cs)
{
	struct health_sched *hs;
	pthread_condattr_t ca;

	pthread_mutex_lock(&cs->lock);
	hs = cs->health;
	if (!hs && !cs->stopping && (hs = calloc(1, sizeof(*hs)))) {
		hs->cs = cs;
		pthread_mutex_init(&hs->lock, NULL);
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&hs->cond, &ca);
		pthread_condattr_destroy(&ca);
		cs->health = hs;
	}
	pthread_mutex_unlock(&cs->lock);
	if (!hs)
		return NULL;
	pthread_mutex_lock(&hs->lock);
	if (!hs->started && !hs->stopping && pthread_create(&hs->thread, NULL, sched_main, hs) == 0)
		hs->started = true;
	pthread_mutex_unlock(&hs->lock);
	return hs->started ? hs : NULL;
}

/* Unlink the entry of c (freed now, or by its running probe). hs->lock
 * held. True when there was one. */
static bool unlink_locked(struct health_sched *hs, struct ctr *c)
{
	for (struct health_entry **pp = &hs->list; *pp; pp = &(*pp)->next) {
		struct health_entry *e = *pp;
		if (e->c != c)
			continue;
		*pp = e->next;
		if (e->busy) {
			e->dead = true;
			if (e->efd >= 0)
				eventfd_write(e->efd, 1);
		} else {
			entry_free(e);
		}
		return true;
	}
	return false;
}

void ctr_health_start(struct ctr *c)
{
	struct containers *cs = c->cs;
	struct health_sched *hs;
	struct health_entry *e;
	struct health_cfg cfg;
	json_t *log;

	if (health_cfg_of(c->config, &cfg) < 0)
		return;
	if (!(hs = sched_get(cs)) || !(e = calloc(1, sizeof(*e)))) {
		strv_free(cfg.argv);
		log_error("container %.12s: cannot schedule its health check", c->id);
		return;
	}
	*e = (struct health_entry){.c = ctr_ref(c), .cfg = cfg, .efd = -1};
	pthread_mutex_lock(&hs->lock);
	unlink_locked(hs, c);
	pthread_mutex_lock(&cs->lock);
	/* dockerd's initHealthMonitor: starting again, the log kept */
	log = json_object_get(c->health, "Log");
	log = json_is_array(log) ? json_incref(log) : json_array();
	json_decref(c->health);
	c->health =
	        json_pack("{s:s, s:i, s:o}", "Status", "starting", "FailingStreak", 0, "Log", log);
	e->gen = c->run_gen;
	e->due = mono_ns() + next_interval_locked(e);
	pthread_mutex_unlock(&cs->lock);
	e->next = hs->list;
	hs->list = e;
	pthread_cond_broadcast(&hs->cond);
	pthread_mutex_unlock(&hs->lock);
}

/* The scheduler if one was made, else NULL. */
static struct health_sched *sched_peek(struct containers *cs)
{
	struct health_sched *hs;

	pthread_mutex_lock(&cs->lock);
	hs = cs->health;
	pthread_mutex_unlock(&cs->lock);
	return hs;
}

void ctr_health_stop(struct ctr *c)
{
	struct containers *cs = c->cs;
	struct health_sched *hs = sched_peek(cs);
	bool had;

	if (!hs)
		return;
	pthread_mutex_lock(&hs->lock);
	had = unlink_locked(hs, c);
	pthread_mutex_lock(&cs->lock);
	/* dockerd's CloseMonitorChannel: "unhealthy when the monitor has
	 * stopped for compatibility reasons" */
	if (had && c->health)
		json_object_set_new(c->health, "Status", json_string("unhealthy"));
	pthread_mutex_unlock(&cs->lock);
	pthread_mutex_unlock(&hs->lock);
}

void ctr_health_shutdown(struct containers *cs)
{
	struct health_sched *hs = sched_peek(cs);
	bool join;

	if (!hs)
		return;
	pthread_mutex_lock(&hs->lock);
	join = hs->started && !hs->stopping;
	hs->stopping = true;
	for (struct health_entry *e = hs->list; e; e = e->next)
		if (e->busy && e->efd >= 0)
			eventfd_write(e->efd, 1);
	pthread_cond_broadcast(&hs->cond);
	pthread_mutex_unlock(&hs->lock);
	if (join)
		pthread_join(hs->thread, NULL);
}

void ctr_health_free(struct containers *cs)
{
	struct health_sched *hs = cs->health;

	if (!hs)
		return;
	ctr_health_shutdown(cs);
	while (hs->list) {
		struct health_entry *e = hs->list;
		hs->list = e->next;
		entry_free(e);
	}
	pthread_cond_destroy(&hs->cond);
	pthread_mutex_destroy(&hs->lock);
	cs->health = NULL;
	free(hs);
}
