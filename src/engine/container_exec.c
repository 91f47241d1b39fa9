/* container_exec.c — exec: the records of POST /containers/{id}/exec
 * (kept in memory, as dockerd keeps them, until the container stops), the
 * process.json an exec runs (the container's process with the exec's
 * command, env, user, cwd, tty), and its husk-monitor in exec mode. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"
#include "base/str.h"
#include "engine/container_internal.h"
#include "engine/engine.h"
#include "engine/monitor.h"
#include "engine/spec_build.h"
#include "oci/runtime_spec.h"
#include "runtime/caps.h"

#define EXEC_BODY_FIELD_MAX 4096 /* Env and Cmd entries */

/* ---- records ---- */

static void exec_free(struct ctr_exec *x)
{
	ctr_unref(x->c);
	json_decref(x->config);
	free(x->detach_keys);
	free(x->run_dir);
	free(x);
}

void ctr_exec_unref(struct ctr_exec *x)
{
	if (x && __atomic_sub_fetch(&x->refs, 1, __ATOMIC_SEQ_CST) == 0)
		exec_free(x);
}

static struct ctr_exec *exec_ref(struct ctr_exec *x)
{
	__atomic_add_fetch(&x->refs, 1, __ATOMIC_SEQ_CST);
	return x;
}

void ctr_execs_drop_locked(struct containers *cs, struct ctr *c, bool all)
{
	size_t o = 0;

	for (size_t i = 0; i < cs->n_execs; i++) {
		struct ctr_exec *x = cs->execs[i];
		if (x->c == c && (all || !x->running)) {
			ctr_exec_unref(x);
			continue;
		}
		cs->execs[o++] = x;
	}
	cs->n_execs = o;
}

json_t *ctr_exec_ids_locked(struct containers *cs, struct ctr *c)
{
	json_t *a = NULL;

	for (size_t i = 0; i < cs->n_execs; i++) {
		if (cs->execs[i]->c != c)
			continue;
		if (!a && !(a = json_array()))
			return json_null();
		json_array_append_new(a, json_string(cs->execs[i]->id));
	}
	return a ? a : json_null();
}

static int exec_lookup(struct containers *cs, const char *id, struct ctr_exec **ret,
                       struct husk_error **err)
{
	pthread_mutex_lock(&cs->lock);
	for (size_t i = 0; i < cs->n_execs; i++)
		if (streq(cs->execs[i]->id, id)) {
			*ret = exec_ref(cs->execs[i]);
			pthread_mutex_unlock(&cs->lock);
			return 0;
		}
	pthread_mutex_unlock(&cs->lock);
	return error_set(err, ENOENT, "No such exec instance: %s", id ? id : "");
}

/* Keep at most CTR_EXECS_MAX finished execs of a container. */
static void exec_trim_locked(struct containers *cs, struct ctr *c)
{
	size_t finished = 0;

	for (size_t i = cs->n_execs; i-- > 0;) {
		struct ctr_exec *x = cs->execs[i];
		if (x->c != c || !x->exited || ++finished <= CTR_EXECS_MAX)
			continue;
		memmove(cs->execs + i, cs->execs + i + 1,
		        (cs->n_execs - i - 1) * sizeof(*cs->execs));
		cs->n_execs--;
		ctr_exec_unref(x);
	}
}

static int exec_add_locked(struct containers *cs, struct ctr_exec *x)
{
	if (cs->n_execs == cs->cap_execs) {
		size_t cap = cs->cap_execs ? cs->cap_execs * 2 : 16;
		struct ctr_exec **v = realloc(cs->execs, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		cs->execs = v;
		cs->cap_execs = cap;
	}
	cs->execs[cs->n_execs++] = exec_ref(x);
	exec_trim_locked(cs, x->c);
	return 0;
}

static int check_strv(json_t *body, const char *key, bool required, struct husk_error **err)
{
	json_t *a = json_object_get(body, key);
	size_t i;
	json_t *v;

	if (!a || json_is_null(a)) {
		if (required)
			return error_set(err, EINVAL, "No exec command specified");
		return 0;
	}
	if (!json_is_array(a))
		return error_set(err, EINVAL, "%s: expected an array of strings", key);
	json_array_foreach (a, i, v)
		if (!json_is_string(v) || json_string_length(v) > EXEC_BODY_FIELD_MAX)
			return error_set(err, EINVAL, "%s[%zu]: expected a string", key, i);
	if (required && json_array_size(a) == 0)
		return error_set(err, EINVAL, "No exec command specified");
	return 0;
}

static int not_running_error(struct ctr *c, enum ctr_status st, struct husk_error **err)
{
	if (st == CTR_PAUSED)
		return error_set(err, EBUSY,
		                 "Container %s is paused, unpause the container before exec",
		                 c->id);
	if (st == CTR_RESTARTING)
		return error_set(err, EBUSY,
		                 "Container %s is restarting, wait until the container is running",
		                 c->id);
	return error_set(err, EBUSY, "Container %s is not running", c->id);
}

static char *exec_action(struct ctr_exec *x, const char *verb)
{
	_cleanup_free_ char *cmd = NULL;
	char **v = NULL;

	if (json_get_strv(x->config, "", "Cmd", false, &v, NULL) == 0 && v)
		cmd = strv_join(v, " ");
	strv_free(v);
	return str_printf("%s: %s", verb, cmd ? cmd : "");
}

/* exec_create and exec_start carry the command, as dockerd's; exec_die
 * is the bare action with the exit code among the attributes. */
static void exec_event(struct ctr_exec *x, const char *verb, json_t *extra)
{
	_cleanup_free_ char *action = streq(verb, "exec_die") ? strdup(verb) : exec_action(x, verb);
	json_t *a = json_pack("{s:s}", "execID", x->id);

	if (a && extra)
		json_object_update(a, extra);
	json_decref(extra);
	if (action)
		ctr_event(x->c, action, a);
	else
		json_decref(a);
}

int containers_exec_create(struct containers *cs, const char *name, json_t *body, char **ret_id,
                           struct husk_error **err)
{
	_cleanup_(ctr_unrefp) struct ctr *c = NULL;
	struct ctr_exec *x;
	const char *wd = json_string_value(json_object_get(body, "WorkingDir"));
	unsigned char keys[16];
	size_t n_keys;
	enum ctr_status st;
	int r = ctr_lookup(cs, name, &c, err);

	if (r < 0)
		return r;
	if (!json_is_object(body))
		return error_set(err, EINVAL, "exec config: expected a JSON object");
	if ((r = check_strv(body, "Cmd", true, err)) < 0 ||
	    (r = check_strv(body, "Env", false, err)) < 0)
		return r;
	if (!isempty(wd) && wd[0] != '/')
		return error_set(
		        err, EINVAL,
		        "the working directory '%s' is invalid, it needs to be an absolute "
		        "path",
		        wd);
	r = containers_parse_detach_keys(json_string_value(json_object_get(body, "DetachKeys")),
	                                 keys, &n_keys, err);
	if (r < 0)
		return r;
	x = calloc(1, sizeof(*x));
	if (!x || ctr_generate_id(x->id) < 0) {
		free(x);
		return error_set(err, ENOMEM, "out of memory");
	}
	x->refs = 1;
	x->c = ctr_ref(c);
	x->config = json_deep_copy(body);
	x->tty = json_is_true(json_object_get(body, "Tty"));
	x->open_stdin = json_is_true(json_object_get(body, "AttachStdin"));
	x->open_stdout = json_is_true(json_object_get(body, "AttachStdout"));
	x->open_stderr = json_is_true(json_object_get(body, "AttachStderr"));
	x->privileged = json_is_true(json_object_get(body, "Privileged"));
	x->detach_keys = strdup(json_string_value(json_object_get(body, "DetachKeys")) ?: "");
	x->run_dir = str_printf("%s/exec-%.12s", c->run_dir, x->id);
	if (!x->config || !x->detach_keys || !x->run_dir) {
		ctr_exec_unref(x);
		return error_set(err, ENOMEM, "out of memory");
	}
	pthread_mutex_lock(&cs->lock);
	st = c->status;
	if (st != CTR_RUNNING)
		r = not_running_error(c, st, err);
	else if (exec_add_locked(cs, x) < 0)
		r = error_set(err, ENOMEM, "out of memory");
	pthread_mutex_unlock(&cs->lock);
	if (r == 0) {
		exec_event(x, "exec_create", NULL);
		*ret_id = strdup(x->id);
		if (!*ret_id)
			r = error_set(err, ENOMEM, "out of memory");
	}
	ctr_exec_unref(x);
	return r;
}

int containers_exec_inspect(struct containers *cs, const char *exec_id, json_t **ret,
                            struct husk_error **err)
{
	struct ctr_exec *x = NULL;
	json_t *cmd, *args, *pc;
	int r = exec_lookup(cs, exec_id, &x, err);

	if (r < 0)
		return r;
	cmd = json_object_get(x->config, "Cmd");
	args = json_array();
	for (size_t i = 1; args && i < json_array_size(cmd); i++)
		json_array_append(args, json_array_get(cmd, i));
	pc = json_pack("{s:b, s:s, s:o, s:b, s:s}", "tty", x->tty, "entrypoint",
	               json_string_value(json_array_get(cmd, 0)) ?: "", "arguments", args,
	               "privileged", x->privileged, "user",
	               json_string_value(json_object_get(x->config, "User")) ?: "");
	pthread_mutex_lock(&cs->lock);
	*ret = json_pack("{s:s, s:b, s:o, s:o, s:b, s:b, s:b, s:b, s:s, s:s, s:i}", "ID", x->id,
	                 "Running", x->running, "ExitCode",
	                 x->exited ? json_integer(x->exit_code) : json_null(), "ProcessConfig", pc,
	                 "OpenStdin", x->open_stdin, "OpenStderr", x->open_stderr, "OpenStdout",
	                 x->open_stdout, "CanRemove", false, "ContainerID", x->c->id, "DetachKeys",
	                 x->detach_keys, "Pid", (int)x->pid);
	pthread_mutex_unlock(&cs->lock);
	ctr_exec_unref(x);
	return *ret ? 0 : error_set(err, ENOMEM, "out of memory");
}

void ctr_exec_record_exit(struct ctr_exec *x, const struct monitor_exit *ex)
{
	struct containers *cs = x->c->cs;
	char code[16];

	pthread_mutex_lock(&cs->lock);
	if (x->exited) {
		pthread_mutex_unlock(&cs->lock);
		return;
	}
	x->running = false;
	x->exited = true;
	x->exit_code = ex->exit_code;
	x->finished_ns = ctr_now_ns();
	pthread_cond_broadcast(&cs->cond);
	pthread_mutex_unlock(&cs->lock);
	rm_rf(x->run_dir);
	snprintf(code, sizeof(code), "%d", ex->exit_code);
	exec_event(x, "exec_die", json_pack("{s:s}", "exitCode", code));
}

/* ---- the process ---- */

/* Env of the container's process, then the exec's, replacing by key. */
static json_t *merge_env(json_t *base, json_t *add)
{
	json_t *out = json_array();
	size_t i, j;
	json_t *v, *w;

	json_array_foreach (base, i, v) {
		const char *s = json_string_value(v);
		size_t klen = s ? strcspn(s, "=") : 0;
		bool replaced = false;
		json_array_foreach (add, j, w) {
			const char *t = json_string_value(w);
			if (t && strncmp(s, t, klen) == 0 && (t[klen] == '=' || t[klen] == 0))
				replaced = true;
		}
		if (!replaced)
			json_array_append(out, v);
	}
	json_array_foreach (add, j, w)
		if (strchr(json_string_value(w), '='))
			json_array_append(out, w);
	return out;
}

static json_t *all_caps(void)
{
	json_t *a = json_array();
	int last = caps_last_cap();

	for (int i = 0; a && i <= last; i++)
		if (oci_cap_name(i))
			json_array_append_new(a, json_string(oci_cap_name(i)));
	return a;
}

static int exec_user(struct ctr_exec *x, json_t *proc, struct husk_error **err)
{
	struct store *s = x->c->cs->e->store;
	const char *user = json_string_value(json_object_get(x->config, "User"));
	_cleanup_free_ char *root = NULL;
	_cleanup_close_ int fd = -1;
	struct spec_user u = {0};
	json_t *gids, *uj;
	int r;

	if (isempty(user))
		return 0;
	/* mounted while the container runs: this gives its path */
	r = store_snapshot_mount(s, x->c->id, &root, err);
	if (r < 0)
		return r;
	if ((fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return error_set_errno(err, errno, "open \"%s\"", root);
	r = spec_resolve_user(fd, user, NULL, &u, err);
	if (r < 0)
		return r;
	gids = json_array();
	for (size_t i = 0; gids && i < u.n_additional_gids; i++)
		json_array_append_new(gids, json_integer(u.additional_gids[i]));
	uj = json_pack("{s:I, s:I, s:o}", "uid", (json_int_t)u.uid, "gid", (json_int_t)u.gid,
	               "additionalGids", gids ? gids : json_array());
	spec_user_release(&u);
	if (!uj || json_object_set_new(proc, "user", uj) < 0)
		return error_set(err, ENOMEM, "out of memory");
	return 0;
}

/* process.json of an exec: the container's process with the exec's
 * command, env, cwd, user, tty and console size. */
static int write_process(struct ctr_exec *x, unsigned rows, unsigned cols, char **ret_path,
                         struct husk_error **err)
{
	struct containers *cs = x->c->cs;
	_cleanup_free_ char *cfg = path_join(x->c->dir, "config.json"), *text = NULL;
	_cleanup_json_ json_t *spec = NULL;
	json_t *proc, *caps;
	const char *wd = json_string_value(json_object_get(x->config, "WorkingDir"));
	int r;

	if (!cfg)
		return error_set(err, ENOMEM, "out of memory");
	/* the process of this run; after a daemon restart, config.json's */
	r = json_load_path(cfg, 16u << 20, &spec, err);
	pthread_mutex_lock(&cs->lock);
	proc = json_deep_copy(x->c->process);
	pthread_mutex_unlock(&cs->lock);
	if (!proc && r < 0)
		return r;
	if (!proc)
		proc = json_deep_copy(json_object_get(spec, "process"));
	if (!json_is_object(proc)) {
		json_decref(proc);
		return error_set(err, EINVAL, "\"%s\": no process", cfg);
	}
	json_object_set(proc, "args", json_object_get(x->config, "Cmd"));
	json_object_set_new(proc, "terminal", json_boolean(x->tty));
	json_object_set_new(
	        proc, "env",
	        merge_env(json_object_get(proc, "env"), json_object_get(x->config, "Env")));
	if (!isempty(wd))
		json_object_set_new(proc, "cwd", json_string(wd));
	json_object_del(proc, "consoleSize");
	if (x->tty && rows && cols)
		json_object_set_new(proc, "consoleSize",
		                    json_pack("{s:i, s:i}", "height", rows, "width", cols));
	if (x->privileged && (caps = all_caps()))
		json_object_set_new(proc, "capabilities",
		                    json_pack("{s:O, s:O, s:O, s:o}", "bounding", caps, "effective",
		                              caps, "permitted", caps, "inheritable", caps));
	r = exec_user(x, proc, err);
	if (r == 0 && !(text = spec_dumps(proc, false)))
		r = error_set(err, ENOMEM, "out of memory");
	json_decref(proc);
	if (r < 0)
		return r;
	*ret_path = path_join(x->run_dir, "process.json");
	if (!*ret_path)
		return error_set(err, ENOMEM, "out of memory");
	return atomic_replace_at(AT_FDCWD, *ret_path, text, strlen(text), 0600, err);
}

/* ---- start ---- */

struct containers_exec_run {
	struct ctr_exec *x;
	unsigned rows, cols;
	unsigned char keys[16];
	size_t n_keys;
};

/* Spawn the exec's monitor; with fd_out, also attach. The exec is
 * recorded as finished (with the runtime's error) on failure. */
static int exec_launch(struct containers_exec_run *run, int *fd_out, struct husk_error **err)
{
	struct ctr_exec *x = run->x;
	struct containers *cs = x->c->cs;
	_cleanup_free_ char *proc = NULL, *exit_file = path_join(x->run_dir, "exit.json");
	struct monitor_config mc;
	pid_t pid = 0, mpid = 0;
	int r;

	rm_rf(x->run_dir);
	if (!exit_file || mkdir(x->run_dir, 0700) < 0)
		return error_set_errno(err, errno ? errno : ENOMEM, "create \"%s\"", x->run_dir);
	r = write_process(x, run->rows, run->cols, &proc, err);
	if (r < 0)
		return r;
	mc = (struct monitor_config){.exe = cs->monitor_exe,
	                             .id = x->c->id,
	                             .bundle = x->c->dir,
	                             .runtime_root = cs->runtime_root,
	                             .sock_dir = x->run_dir,
	                             .exit_file = exit_file,
	                             .log_path = NULL,
	                             .log_max_files = 1,
	                             .tty = x->tty,
	                             .open_stdin = x->open_stdin,
	                             .stdin_once = true,
	                             .rows = (unsigned short)run->rows,
	                             .cols = (unsigned short)run->cols,
	                             .exec_process = proc,
	                             .systemd_cgroup = cs->rt.systemd_cgroup};
	r = monitor_spawn(&mc, &pid, &mpid, err);
	if (r < 0)
		return r;
	if (fd_out && (r = monitor_attach(x->run_dir, x->open_stdin, x->open_stdout || x->tty,
	                                  x->open_stderr, fd_out, err)) < 0)
		return r;
	r = ctr_watch_exec(x, err);
	if (r == 0)
		r = monitor_start(x->run_dir, &pid, err);
	if (r < 0)
		return r;
	pthread_mutex_lock(&cs->lock);
	x->pid = pid;
	if (!x->exited)
		x->running = true;
	pthread_mutex_unlock(&cs->lock);
	exec_event(x, "exec_start", NULL);
	return 0;
}

/* The exec's process never ran: dockerd's exit code for why, whatever
 * the monitor recorded on its way out. */
static void exec_failed(struct ctr_exec *x, const char *msg)
{
	struct containers *cs = x->c->cs;
	int code = ctr_start_error_code(msg);

	pthread_mutex_lock(&cs->lock);
	x->exited = true;
	x->running = false;
	x->exit_code = code == CTR_EXIT_UNKNOWN ? 126 : code;
	pthread_cond_broadcast(&cs->cond);
	pthread_mutex_unlock(&cs->lock);
	rm_rf(x->run_dir);
}

int containers_exec_start_begin(struct containers *cs, const char *exec_id, json_t *body,
                                struct containers_exec_run **ret, bool *ret_tty,
                                struct husk_error **err)
{
	struct ctr_exec *x = NULL;
	struct containers_exec_run *run;
	json_t *size = json_object_get(body, "ConsoleSize");
	enum ctr_status st;
	int r = exec_lookup(cs, exec_id, &x, err);

	if (r < 0)
		return r;
	pthread_mutex_lock(&cs->lock);
	st = x->c->status;
	if (x->started)
		r = error_set(err, EBUSY,
		              x->running ? "Error: Exec command %s is already running"
		                         : "Error: Exec command %s has already run",
		              x->id);
	else if (st != CTR_RUNNING)
		r = not_running_error(x->c, st, err);
	else
		x->started = true;
	pthread_mutex_unlock(&cs->lock);
	run = r == 0 ? calloc(1, sizeof(*run)) : NULL;
	if (r == 0 && !run)
		r = error_set(err, ENOMEM, "out of memory");
	if (r < 0) {
		ctr_exec_unref(x);
		return r;
	}
	run->x = x;
	containers_parse_detach_keys(x->detach_keys, run->keys, &run->n_keys, NULL);
	if (json_array_size(size) == 2) {
		run->rows = (unsigned)json_integer_value(json_array_get(size, 0));
		run->cols = (unsigned)json_integer_value(json_array_get(size, 1));
	}
	*ret_tty = x->tty;
	if (json_is_true(json_object_get(body, "Detach"))) {
		r = exec_launch(run, NULL, err);
		if (r < 0)
			exec_failed(x, error_message(err ? *err : NULL));
		containers_exec_run_free(run);
		*ret = NULL;
		return r;
	}
	*ret = run;
	return 0;
}

void containers_exec_start_run(struct containers_exec_run *run, int sock, const void *pending,
                               size_t pending_len, int shutdown_fd)
{
	struct ctr_exec *x = run->x;
	struct containers *cs = x->c->cs;
	_cleanup_error_ struct husk_error *err = NULL;
	struct relay_opts ro = {x->tty, x->open_stdin, run->keys, run->n_keys};
	_cleanup_close_ int fd = -1;

	if (exec_launch(run, &fd, &err) < 0) {
		/* dockerd writes the error into the stream */
		_cleanup_free_ char *text = ctr_go_errno_text(error_message(err));
		_cleanup_free_ char *msg = str_printf("%s\r\n", text ? text : "");
		exec_failed(x, error_message(err));
		if (msg)
			write_frame(sock, x->tty, 1, msg, strlen(msg));
		return;
	}
	relay_streams(fd, sock, pending, pending_len, shutdown_fd, &ro);
	/* the client reads the exit code next: record it first */
	pthread_mutex_lock(&cs->lock);
	for (int i = 0; i < 50 && !x->exited && !cs->stopping; i++) {
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += 100 * 1000000L;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&cs->cond, &cs->lock, &until);
	}
	pthread_mutex_unlock(&cs->lock);
}

void containers_exec_run_free(struct containers_exec_run *run)
{
	if (!run)
		return;
	ctr_exec_unref(run->x);
	free(run);
}

int containers_exec_resize(struct containers *cs, const char *exec_id, unsigned rows, unsigned cols,
                           struct husk_error **err)
{
	struct ctr_exec *x = NULL;
	bool running;
	int r = exec_lookup(cs, exec_id, &x, err);

	if (r < 0)
		return r;
	pthread_mutex_lock(&cs->lock);
	running = x->running;
	pthread_mutex_unlock(&cs->lock);
	if (!running)
		r = error_set(err, EBUSY, "Exec %s is not running", x->id);
	else
		r = monitor_resize(x->run_dir, (unsigned short)rows, (unsigned short)cols, err);
	ctr_exec_unref(x);
	return r == -ENOTTY ? 0 : r;
}
