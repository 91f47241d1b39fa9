/* container_ops.c — the container operations that are not about a
 * process's life: list (with Docker's filters), inspect, pause/unpause,
 * rename, update, resize, top, prune, and the in-use hooks of images and
 * volumes. */
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"
#include "base/str.h"
#include "engine/container_internal.h"
#include "engine/engine.h"
#include "engine/monitor.h"
#include "engine/spec_build.h"
#include "image/images.h"
#include "oci/runtime_spec.h"

#define TOP_OUTPUT_MAX (16u << 20)
#define PS_ARGS_MAX    64

extern char **environ;

/* ---- list ---- */

struct list_filter {
	json_t *filters;
	char **status, **name, **label, **id, **exited, **volume, **network, **health, **ancestor;
	struct digest *ancestors;
	size_t n_ancestors;
	int64_t before_ns, since_ns; /* 0 = none */
	bool all;
	bool none; /* is-task=true: there are no swarm tasks here */
};

static void list_filter_release(struct list_filter *f)
{
	strv_free(f->status);
	strv_free(f->name);
	strv_free(f->label);
	strv_free(f->id);
	strv_free(f->exited);
	strv_free(f->volume);
	strv_free(f->network);
	strv_free(f->health);
	strv_free(f->ancestor);
	free(f->ancestors);
}

static const char *const list_filter_keys[] = {
        "status", "name",    "label",  "id",       "exited",  "before", "since",
        "volume", "network", "health", "ancestor", "is-task", NULL,
};

static bool regex_match(const char *pattern, const char *s)
{
	regex_t re;
	bool ok;

	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
		return false;
	ok = regexec(&re, s, 0, NULL, 0) == 0;
	regfree(&re);
	return ok;
}

static int check_regexes(const char *key, char *const *v, struct husk_error **err)
{
	STRV_FOREACH (p, v) {
		regex_t re;
		if (regcomp(&re, *p, REG_EXTENDED | REG_NOSUB) != 0)
			return error_set(err, EINVAL,
			                 "invalid filter '%s=%s': bad regular expression", key, *p);
		regfree(&re);
	}
	return 0;
}

/* before=X / since=X: the creation time of container X. */
static int filter_ref_time(struct containers *cs, json_t *filters, const char *key, int64_t *ret,
                           struct husk_error **err)
{
	_cleanup_strv_ char **v = NULL;
	_cleanup_(ctr_unrefp) struct ctr *c = NULL;
	int r;

	*ret = 0;
	if (filters_values(filters, key, &v) < 0)
		return error_set(err, ENOMEM, "out of memory");
	if (!v[0])
		return 0;
	r = ctr_lookup(cs, v[0], &c, err);
	if (r < 0)
		return r;
	*ret = c->created_ns;
	return 0;
}

static int list_filter_init(struct containers *cs, json_t *filters, struct list_filter *f,
                            struct husk_error **err)
{
	static const char *const states[] = {"created", "restarting", "running", "removing",
	                                     "paused",  "exited",     "dead",    NULL};
	_cleanup_strv_ char **task = NULL;
	int r;

	f->filters = filters;
	if (json_object_get(filters, "publish") || json_object_get(filters, "expose"))
		return error_set(
		        err, EINVAL,
		        "filters 'publish' and 'expose' are not supported: containers have "
		        "no published ports until the bridge network is available");
	r = filters_check(filters, list_filter_keys, err);
	if (r < 0)
		return r;
	if (filters_values(filters, "status", &f->status) < 0 ||
	    filters_values(filters, "name", &f->name) < 0 ||
	    filters_values(filters, "label", &f->label) < 0 ||
	    filters_values(filters, "id", &f->id) < 0 ||
	    filters_values(filters, "exited", &f->exited) < 0 ||
	    filters_values(filters, "volume", &f->volume) < 0 ||
	    filters_values(filters, "network", &f->network) < 0 ||
	    filters_values(filters, "health", &f->health) < 0 ||
	    filters_values(filters, "ancestor", &f->ancestor) < 0 ||
	    filters_values(filters, "is-task", &task) < 0)
		return error_set(err, ENOMEM, "out of memory");
	STRV_FOREACH (s, f->status) {
		if (!strv_contains((char **)states, *s))
			return error_set(err, EINVAL, "invalid filter 'status=%s'", *s);
		f->all = true; /* dockerd: a status filter looks at every container */
	}
	STRV_FOREACH (s, f->exited) {
		int64_t n;
		if (str_to_int64(*s, &n) < 0)
			return error_set(err, EINVAL, "invalid filter 'exited=%s'", *s);
	}
	STRV_FOREACH (s, f->health)
		if (!streq(*s, "starting") && !streq(*s, "healthy") && !streq(*s, "unhealthy") &&
		    !streq(*s, "none"))
			return error_set(err, EINVAL, "Unrecognised filter value for health: %s",
			                 *s);
	if ((r = check_regexes("name", f->name, err)) < 0 ||
	    (r = check_regexes("id", f->id, err)) < 0)
		return r;
	STRV_FOREACH (s, task)
		if (!streq(*s, "true") && !streq(*s, "false"))
			return error_set(err, EINVAL, "invalid filter 'is-task=%s'", *s);
	f->none = strv_contains(task, "true");
	f->ancestors = calloc(strv_length(f->ancestor) + 1, sizeof(*f->ancestors));
	if (!f->ancestors)
		return error_set(err, ENOMEM, "out of memory");
	STRV_FOREACH (s, f->ancestor) {
		_cleanup_(store_image_freep) struct store_image *img = NULL;
		if (image_resolve(cs->e->store, *s, &img, NULL) == 0)
			f->ancestors[f->n_ancestors++] = img->id;
	}
	r = filter_ref_time(cs, filters, "before", &f->before_ns, err);
	if (r == 0)
		r = filter_ref_time(cs, filters, "since", &f->since_ns, err);
	return r;
}

static bool label_match(json_t *labels, char *const *want)
{
	STRV_FOREACH (w, want) {
		const char *eq = strchr(*w, '=');
		_cleanup_free_ char *key = eq ? strndup(*w, eq - *w) : strdup(*w);
		json_t *v = key ? json_object_get(labels, key) : NULL;
		if (!v || (eq && !streq(json_string_value(v), eq + 1)))
			return false;
	}
	return true;
}

static bool any_regex(char *const *pats, const char *s1, const char *s2)
{
	if (!pats || !pats[0])
		return true;
	STRV_FOREACH (p, pats)
		if (regex_match(*p, s1) || (s2 && regex_match(*p, s2)))
			return true;
	return false;
}

/* cs->lock held. */
static bool list_match_locked(const struct list_filter *f, const struct ctr *c)
{
	const char *mode = json_string_value(json_object_get(c->host_config, "NetworkMode"));

	if (f->none)
		return false;
	if (!f->all && c->status != CTR_RUNNING && c->status != CTR_PAUSED &&
	    c->status != CTR_RESTARTING)
		return false;
	if (f->status[0] && !strv_contains(f->status, ctr_status_name(c->status)))
		return false;
	if (!any_regex(f->name, c->name, c->name + (c->name[0] == '/')))
		return false;
	if (!any_regex(f->id, c->id, NULL))
		return false;
	if (f->label[0] && !label_match(json_object_get(c->config, "Labels"), f->label))
		return false;
	if (f->exited[0]) {
		char code[16];
		snprintf(code, sizeof(code), "%d", c->exit_code);
		if (c->status != CTR_EXITED || !c->started_at || !strv_contains(f->exited, code))
			return false;
	}
	if (f->before_ns && c->created_ns >= f->before_ns)
		return false;
	if (f->since_ns && c->created_ns <= f->since_ns)
		return false;
	if (f->health[0] && !strv_contains(f->health, ctr_health_status_locked(c)))
		return false;
	if (f->ancestor[0]) {
		bool ok = false;
		for (size_t i = 0; i < f->n_ancestors; i++)
			ok |= digest_equal(&f->ancestors[i], &c->image_id);
		if (!ok)
			return false;
	}
	if (f->volume[0]) {
		bool ok = false;
		for (size_t i = 0; i < c->n_mounts; i++)
			ok |= strv_contains(f->volume, c->mounts[i].destination) ||
			      (c->mounts[i].name && strv_contains(f->volume, c->mounts[i].name));
		if (!ok)
			return false;
	}
	if (f->network[0]) {
		const char *net = isempty(mode) || streq(mode, "default") ? "bridge" : mode;
		if (!strv_contains(f->network, net))
			return false;
	}
	return true;
}

int containers_list(struct containers *cs, const struct containers_list_opts *o, json_t **ret,
                    struct husk_error **err)
{
	_cleanup_(list_filter_release) struct list_filter f = {0};
	_cleanup_json_ json_t *out = json_array();
	struct ctr **v;
	size_t n = 0, kept = 0;
	int r;

	if (!out)
		return error_set(err, ENOMEM, "out of memory");
	r = list_filter_init(cs, o->filters, &f, err);
	if (r < 0)
		return r;
	f.all |= o->all || o->limit > 0;
	v = ctr_table_copy(cs, &n);
	if (!v)
		return error_set(err, ENOMEM, "out of memory");
	/* newest first */
	for (size_t i = n; i-- > 0;) {
		bool match;
		pthread_mutex_lock(&cs->lock);
		match = !v[i]->removed && list_match_locked(&f, v[i]);
		pthread_mutex_unlock(&cs->lock);
		if (!match || (o->limit > 0 && kept >= (size_t)o->limit))
			continue;
		if (json_array_append_new(out, ctr_list_json(v[i], o->size)) == 0)
			kept++;
	}
	ctr_table_free(v, n);
	*ret = TAKE_PTR(out);
	return 0;
}

int containers_inspect(struct containers *cs, const char *name, bool size, json_t **ret,
                       struct husk_error **err)
{
	_cleanup_(ctr_unrefp) struct ctr *c = NULL;
	int r = ctr_lookup(cs, name, &c, err);

	if (r < 0)
		return r;
	*ret = ctr_inspect_json(c, size);
	return *ret ? 0 : error_set(err, ENOMEM, "out of memory");
}

/* ---- pause ---- */

static int pause_op(struct containers *cs, const char *name, bool pause, struct husk_error **err)
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
	if (st == CTR_RESTARTING)
		r = error_set(err, EBUSY,
		              "Container %s is restarting, wait until the container is running",
		              c->id);
	else if (st != CTR_RUNNING && st != CTR_PAUSED)
		r = error_set(err, EBUSY, "Container %s is not running", c->id);
	else if (pause && st == CTR_PAUSED)
		r = error_set(err, EBUSY, "Container %s is already paused", c->id);
	else if (!pause && st != CTR_PAUSED)
		r = error_set(err, EBUSY, "Container %s is not paused", c->id);
	else
		r = pause ? container_pause(&cs->rt, c->id, err)
		          : container_resume(&cs->rt, c->id, err);
	if (r == 0) {
		pthread_mutex_lock(&cs->lock);
		if (c->status == CTR_RUNNING || c->status == CTR_PAUSED)
			c->status = pause ? CTR_PAUSED : CTR_RUNNING;
		pthread_cond_broadcast(&cs->cond);
		pthread_mutex_unlock(&cs->lock);
		ctr_save(c, false, NULL);
	}
	pthread_mutex_unlock(&c->op);
	if (r == 0)
		ctr_event(c, pause ? "pause" : "unpause", NULL);
	return r;
}

int containers_pause(struct containers *cs, const char *name, struct husk_error **err)
{
	return pause_op(cs, name, true, err);
}

int containers_unpause(struct containers *cs, const char *name, struct husk_error **err)
{
	return pause_op(cs, name, false, err);
}

/* ---- rename ---- */

int containers_rename(struct containers *cs, const char *name, const char *new_name,
                      struct husk_error **err)
{
	_cleanup_(ctr_unrefp) struct ctr *c = NULL;
	_cleanup_free_ char *slashed = NULL, *old = NULL;
	struct ctr *other;
	int r;

	if (isempty(name) || isempty(new_name))
		return error_set(err, EINVAL, "Neither old nor new names may be empty");
	if (!containers_name_valid(new_name))
		return error_set(err, EINVAL,
		                 "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
		                 "allowed",
		                 new_name);
	slashed = new_name[0] == '/' ? strdup(new_name) : str_printf("/%s", new_name);
	if (!slashed)
		return error_set(err, ENOMEM, "out of memory");
	r = ctr_lookup(cs, name, &c, err);
	if (r < 0)
		return r;
	pthread_mutex_lock(&cs->lock);
	other = ctr_by_name_locked(cs, slashed);
	if (other == c)
		r = error_set(err, EINVAL,
		              "Renaming a container with the same name as its current name");
	else if (other)
		r = error_set(
		        err, EEXIST,
		        "Error when allocating new name: Conflict. The container name \"%s\" "
		        "is already in use by container \"%s\". You have to remove (or rename) "
		        "that container to be able to reuse that name.",
		        slashed, other->id);
	else {
		old = c->name;
		c->name = TAKE_PTR(slashed);
	}
	pthread_mutex_unlock(&cs->lock);
	if (r < 0)
		return r;
	r = ctr_save(c, true, err);
	if (r < 0)
		return r;
	ctr_event(c, "rename", json_pack("{s:s}", "oldName", old + (old[0] == '/')));
	return 0;
}

/* ---- update ---- */

static const char *const update_keys[] = {
        "BlkioWeight",
        "BlkioWeightDevice",
        "BlkioDeviceReadBps",
        "BlkioDeviceWriteBps",
        "BlkioDeviceReadIOps",
        "BlkioDeviceWriteIOps",
        "CpuShares",
        "CpuPeriod",
        "CpuQuota",
        "CpuRealtimePeriod",
        "CpuRealtimeRuntime",
        "CpusetCpus",
        "CpusetMems",
        "Memory",
        "MemoryReservation",
        "MemorySwap",
        "KernelMemory",
        "NanoCpus",
        "PidsLimit",
        "MemorySwappiness",
        "OomKillDisable",
        NULL,
};

/* Docker's update: a zero or empty value leaves the setting as it is. */
static bool update_value_set(json_t *v)
{
	return v && !json_is_null(v) && !(json_is_integer(v) && json_integer_value(v) == 0) &&
	       !(json_is_string(v) && json_string_length(v) == 0) &&
	       !(json_is_array(v) && json_array_size(v) == 0) && !json_is_false(v);
}

static int merge_update(struct ctr *c, json_t *body, json_t *hc, struct husk_error **err)
{
	json_t *mem = json_object_get(body, "Memory"), *swap = json_object_get(body, "MemorySwap");
	int64_t old_swap = json_integer_value(json_object_get(hc, "MemorySwap"));
	json_t *rp = json_object_get(body, "RestartPolicy");
	const char *rpn = json_string_value(json_object_get(rp, "Name"));

	if (update_value_set(mem) && !update_value_set(swap) && old_swap > 0 &&
	    json_integer_value(mem) > old_swap)
		return error_set(
		        err, EINVAL,
		        "Memory limit should be smaller than already set memoryswap limit, "
		        "update the memoryswap at the same time");
	for (size_t i = 0; update_keys[i]; i++) {
		json_t *v = json_object_get(body, update_keys[i]);
		if (update_value_set(v))
			json_object_set(hc, update_keys[i], v);
	}
	if (!isempty(rpn)) {
		if (!streq(rpn, "no") && json_is_true(json_object_get(hc, "AutoRemove")))
			return error_set(err, EINVAL,
			                 "Restart policy cannot be updated because AutoRemove is "
			                 "enabled for the container");
		if (!streq(rpn, "no") && !streq(rpn, "always") && !streq(rpn, "on-failure") &&
		    !streq(rpn, "unless-stopped"))
			return error_set(err, EINVAL, "invalid restart policy '%s'", rpn);
		json_object_set(hc, "RestartPolicy", rp);
	}
	(void)c;
	return 0;
}

/* Apply linux.resources to the running container. */
static int apply_resources(struct ctr *c, json_t *res, struct husk_error **err)
{
	struct oci_resources r = {0};
	int rc = oci_resources_parse(res, "resources", &r, err);

	if (rc == 0)
		rc = container_update(&c->cs->rt, c->id, &r, err);
	oci_resources_release(&r);
	return rc;
}

int containers_update(struct containers *cs, const char *name, json_t *body, json_t **ret,
                      struct husk_error **err)
{
	_cleanup_(ctr_unrefp) struct ctr *c = NULL;
	_cleanup_json_ json_t *hc = NULL, *res = NULL, *warnings = json_array();
	bool running;
	int r;

	if (!json_is_object(body))
		return error_set(err, EINVAL, "update config: expected a JSON object");
	r = ctr_lookup(cs, name, &c, err);
	if (r < 0)
		return r;
	pthread_mutex_lock(&c->op);
	pthread_mutex_lock(&cs->lock);
	hc = json_deep_copy(c->host_config);
	running = c->status == CTR_RUNNING || c->status == CTR_PAUSED;
	pthread_mutex_unlock(&cs->lock);
	if (!hc || !warnings)
		r = error_set(err, ENOMEM, "out of memory");
	if (r == 0)
		r = merge_update(c, body, hc, err);
	if (r == 0)
		r = spec_resources_host(hc, &cs->host, &res, warnings, err);
	if (r == 0 && running)
		r = apply_resources(c, res, err);
	if (r == 0) {
		pthread_mutex_lock(&cs->lock);
		/* readers may hold the old one without the lock: keep it */
		if (!c->retired)
			c->retired = json_array();
		if (json_array_append_new(c->retired, c->host_config) < 0)
			log_warn("container %.12s: a host config is leaked", c->id);
		c->host_config = TAKE_PTR(hc);
		pthread_mutex_unlock(&cs->lock);
		r = ctr_save(c, false, err);
	}
	pthread_mutex_unlock(&c->op);
	if (r < 0)
		return r;
	ctr_event(c, "update", NULL);
	*ret = json_pack("{s:O}", "Warnings", json_array_size(warnings) ? warnings : json_null());
	return *ret ? 0 : error_set(err, ENOMEM, "out of memory");
}

/* ---- resize ---- */

int containers_resize(struct containers *cs, const char *name, unsigned rows, unsigned cols,
                      struct husk_error **err)
{
	_cleanup_(ctr_unrefp) struct ctr *c = NULL;
	bool running;
	int r = ctr_lookup(cs, name, &c, err);

	if (r < 0)
		return r;
	if (rows > 65535 || cols > 65535)
		return error_set(err, EINVAL, "invalid console size %ux%u", rows, cols);
	pthread_mutex_lock(&cs->lock);
	running = c->status == CTR_RUNNING || c->status == CTR_PAUSED;
	pthread_mutex_unlock(&cs->lock);
	if (!running)
		return error_set(err, EBUSY, "Container %s is not running", c->id);
	r = monitor_resize(c->run_dir, (unsigned short)rows, (unsigned short)cols, err);
	if (r == -ENOTTY)
		return 0; /* no tty: nothing to size */
	if (r == 0) {
		char h[16], w[16];
		snprintf(h, sizeof(h), "%u", rows);
		snprintf(w, sizeof(w), "%u", cols);
		ctr_event(c, "resize", json_pack("{s:s, s:s}", "height", h, "width", w));
	}
	return r;
}

/* ---- top ---- */

/* dockerd's validatePSArgs: only "pid=PID…" may rename a column. */
static int check_ps_args(const char *args, struct husk_error **err)
{
	regex_t re;
	regmatch_t m[3];
	const char *p = args;
	int r = 0;

	if (regcomp(&re, "[[:space:]]+([^[:space:]]*)=[[:space:]]*(PID[^[:space:]]*)",
	            REG_EXTENDED) != 0)
		return error_set(err, ENOMEM, "out of memory");
	while (r == 0 && regexec(&re, p, 3, m, 0) == 0) {
		int kl = m[1].rm_eo - m[1].rm_so;
		if (kl != 3 || strncmp(p + m[1].rm_so, "pid", 3) != 0)
			r = error_set(err, EINVAL, "specifying \"%.*s=%.*s\" is not allowed", kl,
			              p + m[1].rm_so, (int)(m[2].rm_eo - m[2].rm_so),
			              p + m[2].rm_so);
		p += m[0].rm_eo;
	}
	regfree(&re);
	return r;
}

/* Run ps with args; its stdout, or its first stderr line as the error. */
static int run_ps(char **argv, char **ret_out, struct husk_error **err)
{
	posix_spawn_file_actions_t fa;
	int out[2], errp[2], status = 0;
	_cleanup_free_ char *o = NULL, *e = NULL;
	pid_t pid;
	int r;

	if (pipe2(out, O_CLOEXEC) < 0)
		return error_set_errno(err, errno, "pipe");
	if (pipe2(errp, O_CLOEXEC) < 0) {
		close(out[0]);
		close(out[1]);
		return error_set_errno(err, errno, "pipe");
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	r = posix_spawnp(&pid, "ps", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(out[1]);
	close(errp[1]);
	if (r != 0) {
		close(out[0]);
		close(errp[0]);
		return error_set_errno(err, r, "ps");
	}
	r = read_all_fd(out[0], TOP_OUTPUT_MAX, &o, NULL);
	read_all_fd(errp[0], 65536, &e, NULL);
	close(out[0]);
	close(errp[0]);
	RETRY_EINTR(waitpid(pid, &status, 0));
	if (r < 0)
		return error_set_errno(err, -r, "read the output of ps");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (e && *e)
			return error_set(err, EIO, "%.*s", (int)strcspn(e, "\n"), e);
		return error_set(err, EIO, "ps: exit status %d", WEXITSTATUS(status));
	}
	*ret_out = TAKE_PTR(o);
	return 0;
}

/* Split on ASCII white space only (dockerd's fieldsASCII). */
static char **fields_ascii(const char *line)
{
	char **v = strv_new();
	const char *p = line;

	while (v && *p) {
		size_t n;
		p += strspn(p, " \t\n\v\f\r");
		n = strcspn(p, " \t\n\v\f\r");
		if (n == 0)
			break;
		char *f = strndup(p, n);
		if (!f || strv_push_take(&v, f) < 0) {
			strv_free(v);
			return NULL;
		}
		p += n;
	}
	return v;
}

static bool pid_in(const pid_t *pids, size_t n, long p)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == p)
			return true;
	return false;
}

/* Append a row, merging the fields past the last title (COMMAND with
 * spaces) as dockerd does. */
static void append_process(json_t *procs, char **fields, size_t n_titles)
{
	size_t nf = strv_length(fields);
	json_t *row = json_array();

	for (size_t i = 0; i + 1 < n_titles && i < nf; i++)
		json_array_append_new(row, json_string(fields[i]));
	if (nf >= n_titles) {
		_cleanup_free_ char *rest = strv_join(fields + n_titles - 1, " ");
		json_array_append_new(row, json_string(rest ? rest : ""));
	}
	json_array_append_new(procs, row);
}

static int parse_ps(const char *out, const pid_t *pids, size_t n, json_t **ret,
                    struct husk_error **err)
{
	_cleanup_strv_ char **lines = strv_split(out, "\n"), **titles = NULL;
	json_t *procs = json_array();
	long pid_index = -1;
	bool prev_in = false;

	if (!lines || !procs || !(titles = fields_ascii(lines[0]))) {
		json_decref(procs);
		return error_set(err, ENOMEM, "out of memory");
	}
	for (size_t i = 0; titles[i]; i++)
		if (streq(titles[i], "PID")) {
			pid_index = (long)i;
			break;
		}
	if (pid_index < 0) {
		json_decref(procs);
		return error_set(err, EIO, "Couldn't find PID field in ps output");
	}
	for (size_t i = 1; lines[i]; i++) {
		_cleanup_strv_ char **f = fields_ascii(lines[i]);
		int64_t p;
		if (!f || strv_length(f) <= (size_t)pid_index)
			continue;
		if (streq(f[pid_index], "-")) { /* a thread line of the process above */
			if (prev_in)
				append_process(procs, f, strv_length(titles));
			continue;
		}
		if (str_to_int64(f[pid_index], &p) < 0) {
			json_decref(procs);
			return error_set(err, EIO, "Unexpected pid '%s'", f[pid_index]);
		}
		prev_in = pid_in(pids, n, (long)p);
		if (prev_in)
			append_process(procs, f, strv_length(titles));
	}
	*ret = json_pack("{s:o, s:o}", "Titles", json_from_strv(titles), "Processes", procs);
	return *ret ? 0 : error_set(err, ENOMEM, "out of memory");
}

/* "ps" + the words of args (+ "-q<pid>,<pid>…"). */
static char **ps_argv(const char *args, const pid_t *pids, size_t n, bool with_q)
{
	_cleanup_strv_ char **words = strv_split(args, " ");
	char **v = strv_new();
	struct strbuf sb = {0};

	if (!words || !v || strv_push(&v, "ps") < 0)
		goto oom;
	STRV_FOREACH (w, words)
		if (!isempty(*w) && strv_push(&v, *w) < 0)
			goto oom;
	if (with_q) {
		strbuf_puts(&sb, "-q");
		for (size_t i = 0; i < n; i++)
			strbuf_printf(&sb, "%s%d", i ? "," : "", (int)pids[i]);
		if (strv_push_take(&v, strbuf_steal(&sb)) < 0)
			goto oom;
	}
	return v;
oom:
	strbuf_release(&sb);
	strv_free(v);
	return NULL;
}

int containers_top(struct containers *cs, const char *name, const char *ps_args, json_t **ret,
                   struct husk_error **err)
{
	_cleanup_(ctr_unrefp) struct ctr *c = NULL;
	_cleanup_strv_ char **argv = NULL;
	_cleanup_free_ char *out = NULL;
	_cleanup_free_ pid_t *pids = NULL;
	enum ctr_status st;
	size_t n = 0;
	int r = ctr_lookup(cs, name, &c, err);

	if (r < 0)
		return r;
	if (isempty(ps_args))
		ps_args = "-ef";
	r = check_ps_args(ps_args, err);
	if (r < 0)
		return r;
	pthread_mutex_lock(&cs->lock);
	st = c->status;
	pthread_mutex_unlock(&cs->lock);
	if (st == CTR_RESTARTING)
		return error_set(err, EBUSY,
		                 "Container %s is restarting, wait until the container is running",
		                 c->id);
	if (st != CTR_RUNNING && st != CTR_PAUSED)
		return error_set(err, EBUSY, "Container %s is not running", c->id);
	r = container_pids(&cs->rt, c->id, &pids, &n, err);
	if (r < 0)
		return r;
	argv = ps_argv(ps_args, pids, n, true);
	if (!argv)
		return error_set(err, ENOMEM, "out of memory");
	if (strv_length(argv) > PS_ARGS_MAX)
		return error_set(err, EINVAL, "ps_args: too many arguments");
	/* some ps options (f) cannot go with -q: retry without it */
	if (run_ps(argv, &out, NULL) < 0) {
		strv_free(argv);
		argv = ps_argv(ps_args, pids, n, false);
		if (!argv)
			return error_set(err, ENOMEM, "out of memory");
		r = run_ps(argv, &out, err);
		if (r < 0)
			return r;
	}
	r = parse_ps(out, pids, n, ret, err);
	if (r == 0)
		ctr_event(c, "top", NULL);
	return r;
}

/* ---- prune ---- */

static bool prune_match(struct ctr *c, json_t *filters, int64_t until_ns)
{
	_cleanup_strv_ char **labels = NULL, **not_labels = NULL;
	json_t *l = json_object_get(c->config, "Labels");

	if (until_ns && c->created_ns >= until_ns)
		return false;
	if (filters_values(filters, "label", &labels) < 0 ||
	    filters_values(filters, "label!", &not_labels) < 0)
		return false;
	if (labels[0] && !label_match(l, labels))
		return false;
	STRV_FOREACH (n, not_labels) {
		char *one[] = {*n, NULL};
		if (label_match(l, one))
			return false;
	}
	return true;
}

int containers_prune(struct containers *cs, json_t *filters, json_t **ret, struct husk_error **err)
{
	static const char *const keys[] = {"until", "label", "label!", NULL};
	_cleanup_json_ json_t *deleted = json_array();
	_cleanup_strv_ char **until = NULL;
	int64_t until_ns = 0;
	uint64_t space = 0;
	struct ctr **v;
	size_t n = 0;
	int r = filters_check(filters, keys, err);

	if (r < 0)
		return r;
	if (filters_values(filters, "until", &until) < 0 || !deleted)
		return error_set(err, ENOMEM, "out of memory");
	if (until[0] && (r = containers_parse_unix_time(until[0], &until_ns, err)) < 0)
		return r;
	v = ctr_table_copy(cs, &n);
	for (size_t i = 0; v && i < n; i++) {
		struct ctr *c = v[i];
		_cleanup_error_ struct husk_error *e = NULL;
		uint64_t size;
		bool stopped;

		pthread_mutex_lock(&c->op);
		pthread_mutex_lock(&cs->lock);
		stopped = !c->removed && (c->status == CTR_CREATED || c->status == CTR_EXITED ||
		                          c->status == CTR_DEAD);
		pthread_mutex_unlock(&cs->lock);
		if (stopped && prune_match(c, filters, until_ns)) {
			size = ctr_size_rw(c);
			if (ctr_remove_op(c, false, &e) == 0) {
				json_array_append_new(deleted, json_string(c->id));
				space += size;
			} else {
				log_warn("prune: %s", error_message(e));
			}
		}
		pthread_mutex_unlock(&c->op);
	}
	ctr_table_free(v, n);
	*ret = json_pack("{s:O, s:I}", "ContainersDeleted",
	                 json_array_size(deleted) ? deleted : json_null(), "SpaceReclaimed",
	                 (json_int_t)space);
	return *ret ? 0 : error_set(err, ENOMEM, "out of memory");
}

int containers_parse_unix_time(const char *s, int64_t *ret_ns, struct husk_error **err)
{
	int64_t sec = 0, frac = 0;
	const char *dot;
	_cleanup_free_ char *whole = NULL;

	if (isempty(s))
		return error_set(err, EINVAL, "invalid time value \"\"");
	dot = strchr(s, '.');
	whole = dot ? strndup(s, dot - s) : strdup(s);
	if (!whole)
		return error_set(err, ENOMEM, "out of memory");
	if (str_to_int64(whole, &sec) < 0 || sec < 0 || sec > 253402300799LL)
		return error_set(err, EINVAL, "invalid time value \"%s\": expected unix seconds",
		                 s);
	if (dot) {
		const char *f = dot + 1;
		size_t len = strlen(f);
		if (len == 0 || len > 9 || strspn(f, "0123456789") != len)
			return error_set(err, EINVAL, "invalid time value \"%s\"", s);
		for (size_t i = 0; i < 9; i++)
			frac = frac * 10 + (i < len ? f[i] - '0' : 0);
	}
	*ret_ns = sec * 1000000000 + frac;
	return 0;
}

/* ---- what images and volumes are used by ---- */

static _Thread_local char in_use_id[65];

static const char *image_user(struct containers *cs, const struct digest *id, bool *ret_running)
{
	const char *found = NULL;

	*ret_running = false;
	pthread_mutex_lock(&cs->lock);
	for (size_t i = 0; i < cs->n; i++) {
		struct ctr *c = cs->v[i];
		if (c->creating || !digest_equal(&c->image_id, id) || c->status == CTR_REMOVING)
			continue;
		if (!found || ctr_is_running(c)) {
			memcpy(in_use_id, c->id, sizeof(in_use_id));
			found = in_use_id;
			*ret_running = ctr_is_running(c);
			if (*ret_running)
				break;
		}
	}
	pthread_mutex_unlock(&cs->lock);
	return found;
}

const char *containers_image_user(const struct digest *id, bool *ret_running, void *data)
{
	bool running;
	const char *user = data ? image_user(data, id, &running) : NULL;

	if (ret_running)
		*ret_running = user && running;
	return user;
}

void containers_count(struct containers *cs, unsigned *ret_total, unsigned *ret_running,
                      unsigned *ret_paused, unsigned *ret_stopped)
{
	*ret_total = *ret_running = *ret_paused = *ret_stopped = 0;
	if (!cs)
		return;
	pthread_mutex_lock(&cs->lock);
	for (size_t i = 0; i < cs->n; i++) {
		enum ctr_status st = cs->v[i]->status;
		if (cs->v[i]->creating)
			continue;
		(*ret_total)++;
		if (st == CTR_PAUSED)
			(*ret_paused)++;
		else if (st == CTR_RUNNING || st == CTR_RESTARTING)
			(*ret_running)++;
		else
			(*ret_stopped)++;
	}
	pthread_mutex_unlock(&cs->lock);
}

const char *engine_volume_in_use(const char *name, void *engine)
{
	struct engine *e = engine;
	struct containers *cs = e ? e->containers : NULL;
	const char *found = NULL;

	if (!cs || !name)
		return NULL;
	pthread_mutex_lock(&cs->lock);
	for (size_t i = 0; i < cs->n && !found; i++) {
		struct ctr *c = cs->v[i];
		if (c->creating || c->status == CTR_REMOVING)
			continue;
		for (size_t j = 0; j < c->n_mounts && !found; j++)
			if (streq(c->mounts[j].name, name)) {
				memcpy(in_use_id, c->id, sizeof(in_use_id));
				found = in_use_id;
			}
	}
	pthread_mutex_unlock(&cs->lock);
	return found;
}
