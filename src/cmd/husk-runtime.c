/* husk-runtime — an OCI runtime with runc's command line.
 * Parses arguments (a command table) and calls src/runtime. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"
#include "base/str.h"
#include "cli/flags.h"
#include "husk-config.h"
#include "oci/runtime_spec.h"
#include "runtime/cmdline.h"
#include "runtime/container.h"
#include "runtime/selfexe.h"

struct rt_cmd {
	const char *name;
	int (*run)(const struct runtime_ctx *rt, const struct flags *f, struct husk_error **err);
	const struct flag_spec *flags;
	enum flags_mode mode;
	int min_args, max_args; /* max -1: any */
	const char *usage;
	bool seal; /* puts a process into a container: run from a sealed copy */
};

#define END_FLAGS                                                                                  \
	{                                                                                          \
		NULL, 0, 0, NULL, NULL, NULL                                                       \
	}
#define CREATE_FLAGS                                                                                 \
	{"bundle", 'b', FLAG_STRING, NULL, "path to the root of the bundle directory", NULL},        \
	        {"console-socket",                                                                   \
	         0,                                                                                  \
	         FLAG_STRING,                                                                        \
	         NULL,                                                                               \
	         "unix socket to receive the pty master",                                            \
	         NULL},                                                                              \
	        {"pid-file", 0, FLAG_STRING, NULL, "file to write the process id to", NULL},         \
	        {"no-pivot", 0, FLAG_BOOL, NULL, "do not use pivot_root (MS_MOVE + chroot)", NULL},  \
	        {"no-new-keyring", 0, FLAG_BOOL, NULL, "do not create a new session keyring", NULL}, \
	{                                                                                            \
		"preserve-fds", 0, FLAG_INT, NULL,                                                   \
		        "pass N additional fds (from 3) to the "                                     \
		        "container",                                                                 \
		        NULL                                                                         \
	}

static const struct flag_spec global_flags[] = {
        {"root", 0, FLAG_STRING, RUNTIME_DEFAULT_ROOT, "root directory for container state", NULL},
        {"log", 0, FLAG_STRING, NULL, "log file (default stderr)", NULL},
        {"log-format", 0, FLAG_STRING, "text", "log format: text or json", NULL},
        {"debug", 0, FLAG_BOOL, NULL, "enable debug logging", NULL},
        {"systemd-cgroup", 0, FLAG_BOOL, NULL, "cgroupsPath is slice:prefix:name", NULL},
        {"rootless", 0, FLAG_STRING, "auto", "accepted for runc compatibility", NULL},
        {"criu", 0, FLAG_STRING, NULL, "accepted for runc compatibility (no checkpointing)", NULL},
        {"version", 'v', FLAG_BOOL, NULL, "print the version", NULL},
        END_FLAGS,
};
static const struct flag_spec create_flags[] = {CREATE_FLAGS, END_FLAGS};
static const struct flag_spec run_flags[] = {
        CREATE_FLAGS,
        {"detach", 'd', FLAG_BOOL, NULL, "detach from the container's process", NULL},
        {"keep", 0, FLAG_BOOL, NULL, "accepted for runc compatibility", NULL},
        END_FLAGS,
};
static const struct flag_spec no_flags[] = {END_FLAGS};
static const struct flag_spec format_flags[] = {
        {"format", 'f', FLAG_STRING, "table", "table or json", NULL},
        {"quiet", 'q', FLAG_BOOL, NULL, "display only container IDs", NULL},
        END_FLAGS,
};
static const struct flag_spec kill_flags[] = {
        {"all", 'a', FLAG_BOOL, NULL, "send the signal to every process of the container", NULL},
        END_FLAGS,
};
static const struct flag_spec delete_flags[] = {
        {"force", 'f', FLAG_BOOL, NULL, "kill and delete a running container", NULL},
        END_FLAGS,
};
static const struct flag_spec spec_flags[] = {
        {"bundle", 'b', FLAG_STRING, NULL, "directory to write config.json to", NULL},
        {"rootless", 0, FLAG_BOOL, NULL, "a spec for a rootless container", NULL},
        END_FLAGS,
};
static const struct flag_spec exec_flags[] = {
        {"process", 'p', FLAG_STRING, NULL, "path to a process.json", NULL},
        {"console-socket", 0, FLAG_STRING, NULL, "unix socket to receive the pty master", NULL},
        {"cwd", 0, FLAG_STRING, NULL, "current working directory in the container", NULL},
        {"env", 'e', FLAG_LIST, NULL, "set environment variables", NULL},
        {"tty", 't', FLAG_BOOL, NULL, "allocate a pseudo-TTY", NULL},
        {"user", 'u', FLAG_STRING, NULL, "UID[:GID]", NULL},
        {"additional-gids", 'g', FLAG_LIST, NULL, "additional gids", NULL},
        {"cap", 'c', FLAG_LIST, NULL, "add a capability", NULL},
        {"no-new-privs", 0, FLAG_BOOL, NULL, "set no_new_privs", NULL},
        {"apparmor", 0, FLAG_STRING, NULL, "AppArmor profile", NULL},
        {"process-label", 0, FLAG_STRING, NULL, "SELinux label", NULL},
        {"pid-file", 0, FLAG_STRING, NULL, "file to write the process id to", NULL},
        {"detach", 'd', FLAG_BOOL, NULL, "detach from the process", NULL},
        {"preserve-fds", 0, FLAG_INT, NULL, "pass N additional fds", NULL},
        END_FLAGS,
};
static const struct flag_spec update_flags[] = {
        {"resources", 'r', FLAG_STRING, NULL, "resources JSON file, or - for stdin", NULL},
        {"memory", 0, FLAG_STRING, NULL, "memory limit in bytes", NULL},
        {"memory-reservation", 0, FLAG_STRING, NULL, "memory soft limit in bytes", NULL},
        {"memory-swap", 0, FLAG_STRING, NULL, "memory + swap limit in bytes", NULL},
        {"cpu-shares", 0, FLAG_STRING, NULL, "CPU shares", NULL},
        {"cpu-period", 0, FLAG_STRING, NULL, "CFS period (us)", NULL},
        {"cpu-quota", 0, FLAG_STRING, NULL, "CFS quota (us)", NULL},
        {"cpuset-cpus", 0, FLAG_STRING, NULL, "CPUs to use", NULL},
        {"cpuset-mems", 0, FLAG_STRING, NULL, "memory nodes to use", NULL},
        {"pids-limit", 0, FLAG_STRING, NULL, "maximum number of pids", NULL},
        {"blkio-weight", 0, FLAG_STRING, NULL, "block IO weight (10-1000)", NULL},
        END_FLAGS,
};

/* ---- helpers ---- */

static const char *arg(const struct flags *f, int i)
{
	return flags_args(f)[i];
}

static int bundle_path(const struct flags *f, char **ret, struct husk_error **err)
{
	const char *b = flags_string(f, "bundle");
	char cwd[4096];

	if (!b || !path_is_absolute(b)) {
		if (!getcwd(cwd, sizeof(cwd)))
			return error_set_errno(err, errno, "getcwd");
		*ret = b ? path_join(cwd, b) : strdup(cwd);
	} else
		*ret = strdup(b);
	return *ret ? 0 : error_set(err, ENOMEM, "out of memory");
}

static void create_opts_from(const struct flags *f, const char *bundle, struct create_opts *o)
{
	*o = (struct create_opts){.bundle = bundle,
	                          .pid_file = flags_string(f, "pid-file"),
	                          .console_socket = flags_string(f, "console-socket"),
	                          .no_pivot = flags_bool(f, "no-pivot"),
	                          .no_new_keyring = flags_bool(f, "no-new-keyring"),
	                          .preserve_fds = (int)flags_int(f, "preserve-fds")};
}

static int print_json(json_t *j)
{
	_cleanup_free_ char *s = j ? json_dumps(j, JSON_INDENT(2)) : NULL;

	json_decref(j);
	if (!s)
		return -ENOMEM;
	printf("%s\n", s);
	return 0;
}

/* ---- commands ---- */

static int cmd_create(const struct runtime_ctx *rt, const struct flags *f, struct husk_error **err)
{
	_cleanup_free_ char *bundle = NULL;
	struct create_opts o;
	int r = bundle_path(f, &bundle, err);

	if (r < 0)
		return r;
	create_opts_from(f, bundle, &o);
	return container_create(rt, arg(f, 0), &o, NULL, err);
}

static int cmd_run(const struct runtime_ctx *rt, const struct flags *f, struct husk_error **err)
{
	_cleanup_free_ char *bundle = NULL;
	struct create_opts o;
	int status = 0, r = bundle_path(f, &bundle, err);

	if (r < 0)
		return r;
	create_opts_from(f, bundle, &o);
	o.detach = flags_bool(f, "detach");
	r = container_run(rt, arg(f, 0), &o, &status, err);
	return r < 0 ? r : status;
}

static int cmd_start(const struct runtime_ctx *rt, const struct flags *f, struct husk_error **err)
{
	return container_start(rt, arg(f, 0), err);
}

static int cmd_state(const struct runtime_ctx *rt, const struct flags *f, struct husk_error **err)
{
	_cleanup_(container_state_freep) struct container_state *st = NULL;
	int r = container_state_load(rt, arg(f, 0), &st, err);

	return r < 0 ? r : print_json(container_state_json(st));
}

static int cmd_list(const struct runtime_ctx *rt, const struct flags *f, struct husk_error **err)
{
	struct container_state **v = NULL;
	bool json = streq(flags_string(f, "format"), "json");
	json_t *arr = json_array();
	int r = container_list(rt, &v, err);

	if (r < 0 || !arr) {
		json_decref(arr);
		return r < 0 ? r : -ENOMEM;
	}
	if (!json && !flags_bool(f, "quiet"))
		printf("%-12s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE",
		       "CREATED", "OWNER");
	for (size_t i = 0; v[i]; i++) {
		if (json)
			json_array_append_new(arr, container_state_json(v[i]));
		else if (flags_bool(f, "quiet"))
			printf("%s\n", v[i]->id);
		else
			printf("%-12s %-8d %-10s %-40s %-30s %s\n", v[i]->id,
			       v[i]->status == CONTAINER_STOPPED ? 0 : (int)v[i]->pid,
			       container_status_name(v[i]->status), v[i]->bundle, v[i]->created,
			       v[i]->owner);
		container_state_free(v[i]);
	}
	free(v);
	if (json)
		return print_json(arr);
	json_decref(arr);
	return 0;
}

static int cmd_kill(const struct runtime_ctx *rt, const struct flags *f, struct husk_error **err)
{
	const char *name = flags_nargs(f) > 1 ? arg(f, 1) : "SIGTERM";
	int sig;

	if (oci_signal_from_name(name, &sig) < 0)
		return error_set(err, EINVAL, "invalid signal \"%s\"", name);
	return container_kill(rt, arg(f, 0), sig, flags_bool(f, "all"), err);
}

static int cmd_delete(const struct runtime_ctx *rt, const struct flags *f, struct husk_error **err)
{
	int r = container_delete(rt, arg(f, 0), flags_bool(f, "force"), err);

	/* runc: deleting a container that does not exist with --force is fine */
	if (r == -ENOENT && flags_bool(f, "force")) {
		error_free(*err);
		*err = NULL;
		return 0;
	}
	return r;
}

static int cmd_pause(const struct runtime_ctx *rt, const struct flags *f, struct husk_error **err)
{
	return container_pause(rt, arg(f, 0), err);
}

static int cmd_resume(const struct runtime_ctx *rt, const struct flags *f, struct husk_error **err)
{
	return container_resume(rt, arg(f, 0), err);
}

static int cmd_ps(const struct runtime_ctx *rt, const struct flags *f, struct husk_error **err)
{
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	int r = container_pids(rt, arg(f, 0), &pids, &n, err);
	json_t *arr;

	if (r < 0)
		return r;
	if (streq(flags_string(f, "format"), "json")) {
		arr = json_array();
		for (size_t i = 0; arr && i < n; i++)
			json_array_append_new(arr, json_integer(pids[i]));
		return print_json(arr);
	}
	printf("%-8s %s\n", "PID", "CMD");
	for (size_t i = 0; i < n; i++) {
		char path[64];
		_cleanup_free_ char *comm = NULL;
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pids[i]);
		if (read_file(path, 256, &comm, NULL, NULL) < 0)
			continue;
		printf("%-8d %s", (int)pids[i], comm);
	}
	return 0;
}

static int cmd_features(const struct runtime_ctx *rt, const struct flags *f,
                        struct husk_error **err)
{
	return print_json(oci_features());
}

static int cmd_spec(const struct runtime_ctx *rt, const struct flags *f, struct husk_error **err)
{
	_cleanup_free_ char *dir = NULL, *path = NULL, *text = NULL;
	_cleanup_json_ json_t *j = oci_spec_default(flags_bool(f, "rootless"));
	struct stat st;
	int r = bundle_path(f, &dir, err);

	if (r < 0)
		return r;
	path = path_join(dir, "config.json");
	text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
	if (!path || !text)
		return error_set(err, ENOMEM, "out of memory");
	if (stat(path, &st) == 0)
		return error_set(err, EEXIST, "File %s exists. Remove it first", path);
	return atomic_write_file(path, text, strlen(text), 0644, err);
}

static int rt_cmd_exec(const struct runtime_ctx *rt, const struct flags *f, struct husk_error **err)
{
	_cleanup_(container_state_freep) struct container_state *st = NULL;
	struct oci_process *p = NULL;
	struct exec_args a = {
	        .process_file = flags_string(f, "process"),
	        .cwd = flags_string(f, "cwd"),
	        .env = flags_list(f, "env"),
	        .tty = flags_bool(f, "tty"),
	        .user = flags_string(f, "user"),
	        .additional_gids = flags_list(f, "additional-gids"),
	        .caps = flags_list(f, "cap"),
	        .no_new_privs = flags_bool(f, "no-new-privs"),
	        .apparmor = flags_string(f, "apparmor"),
	        .label = flags_string(f, "process-label"),
	        .argv = flags_args(f) + 1,
	};
	struct exec_opts o = {.pid_file = flags_string(f, "pid-file"),
	                      .console_socket = flags_string(f, "console-socket"),
	                      .detach = flags_bool(f, "detach"),
	                      .preserve_fds = (int)flags_int(f, "preserve-fds")};
	int status = 0, r = container_state_load(rt, arg(f, 0), &st, err);

	r = r ?: exec_args_process(st->config, &a, &p, err);
	if (r < 0)
		return r;
	o.process = p;
	r = container_exec(rt, arg(f, 0), &o, &status, err);
	oci_process_free(p);
	return r < 0 ? r : status;
}

static int rt_cmd_update(const struct runtime_ctx *rt, const struct flags *f,
                         struct husk_error **err)
{
	static const char *const keys[] = {
	        "memory",    "memory-reservation", "memory-swap", "cpu-shares", "cpu-period",
	        "cpu-quota", "cpuset-cpus",        "cpuset-mems", "pids-limit", "blkio-weight"};
	const char *values[ELEMENTSOF(keys)];
	struct oci_resources res;
	int r;

	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		values[i] = flags_string(f, keys[i]);
	r = update_args_resources(flags_string(f, "resources"), values, &res, err);
	if (r < 0)
		return r;
	r = container_update(rt, arg(f, 0), &res, err);
	oci_resources_release(&res);
	return r;
}

static const struct rt_cmd commands[] = {
        {"create", cmd_create, create_flags, FLAGS_INTERSPERSED, 1, 1, "[OPTIONS] ID", true},
        {"start", cmd_start, no_flags, FLAGS_INTERSPERSED, 1, 1, "ID", false},
        {"run", cmd_run, run_flags, FLAGS_INTERSPERSED, 1, 1, "[OPTIONS] ID", true},
        {"state", cmd_state, no_flags, FLAGS_INTERSPERSED, 1, 1, "ID", false},
        {"list", cmd_list, format_flags, FLAGS_INTERSPERSED, 0, 0, "[OPTIONS]", false},
        {"kill", cmd_kill, kill_flags, FLAGS_INTERSPERSED, 1, 2, "[OPTIONS] ID [SIGNAL]", false},
        {"delete", cmd_delete, delete_flags, FLAGS_INTERSPERSED, 1, 1, "[OPTIONS] ID", false},
        {"exec", rt_cmd_exec, exec_flags, FLAGS_STOP_AT_FIRST_ARG, 1, -1,
         "[OPTIONS] ID [COMMAND [ARG...]]", true},
        {"ps", cmd_ps, format_flags, FLAGS_INTERSPERSED, 1, -1, "[OPTIONS] ID", false},
        {"pause", cmd_pause, no_flags, FLAGS_INTERSPERSED, 1, 1, "ID", false},
        {"resume", cmd_resume, no_flags, FLAGS_INTERSPERSED, 1, 1, "ID", false},
        {"update", rt_cmd_update, update_flags, FLAGS_INTERSPERSED, 1, 1, "[OPTIONS] ID", false},
        {"features", cmd_features, no_flags, FLAGS_INTERSPERSED, 0, 0, "", false},
        {"spec", cmd_spec, spec_flags, FLAGS_INTERSPERSED, 0, 0, "[OPTIONS]", false},
        {NULL, NULL, NULL, 0, 0, 0, NULL, false},
};

/* urfave/cli (runc) accepts "-root x" as well as "--root x": rewrite a
 * single-dash word that names a long flag into the double-dash form. */
static void normalize_single_dash(int argc, char **argv, const struct flag_spec *specs)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		size_t n;
		if (a[0] != '-' || a[1] == '-' || a[1] == 0 || a[2] == 0)
			continue;
		n = strcspn(a + 1, "=");
		for (const struct flag_spec *s = specs; s->name; s++)
			if (strlen(s->name) == n && strncmp(s->name, a + 1, n) == 0) {
				char *d = str_printf("-%s", a);
				if (d)
					argv[i] = d; /* lives until exit */
				break;
			}
	}
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: husk-runtime [GLOBAL OPTIONS] COMMAND [OPTIONS] ID\n\nAn OCI runtime "
	             "with runc's command line.\n\nCommands:\n");
	for (const struct rt_cmd *c = commands; c->name; c++)
		fprintf(out, "  %-9s %s\n", c->name, c->usage);
	fprintf(out, "\nGlobal options:\n");
	flags_print_usage(out, global_flags);
}

static int setup_log(const struct flags *g, struct husk_error **err)
{
	const char *fmt = flags_string(g, "log-format");

	if (!streq(fmt, "text") && !streq(fmt, "json"))
		return error_set(err, EINVAL, "invalid --log-format \"%s\": expected text or json",
		                 fmt);
	log_set_format(streq(fmt, "json") ? LOG_FORMAT_JSON : LOG_FORMAT_TEXT);
	log_set_level(flags_bool(g, "debug") ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARN);
	if (flags_string(g, "log") && log_open(flags_string(g, "log")) < 0)
		return error_set_errno(err, errno, "open log file \"%s\"", flags_string(g, "log"));
	return 0;
}

static int run_command(const struct rt_cmd *c, const struct runtime_ctx *rt, int argc, char **argv,
                       struct husk_error **err)
{
	_cleanup_(flags_freep) struct flags *f = NULL;
	int n, r;

	normalize_single_dash(argc, argv, c->flags);
	r = flags_parse(c->flags, argc - 1, argv + 1, c->mode, &f, err);
	if (r < 0)
		return r;
	if (flags_help(f)) {
		printf("Usage: husk-runtime %s %s\n\nOptions:\n", c->name, c->usage);
		flags_print_usage(stdout, c->flags);
		return 0;
	}
	n = flags_nargs(f);
	if (n < c->min_args || (c->max_args >= 0 && n > c->max_args))
		return error_set(err, EINVAL, "%s: expected %s", c->name, c->usage);
	return c->run(rt, f, err);
}

int main(int argc, char **argv)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_(flags_freep) struct flags *g = NULL;
	const struct rt_cmd *c = NULL;
	struct runtime_ctx rt = {0};
	int r;

	normalize_single_dash(argc, argv, global_flags);
	r = flags_parse(global_flags, argc - 1, argv + 1, FLAGS_STOP_AT_FIRST_ARG, &g, &err);
	if (r == 0 && flags_bool(g, "version")) {
		printf("husk-runtime version %s\ncommit: %s\nspec: 1.2.0\n", HUSK_VERSION,
		       HUSK_GIT_COMMIT);
		return 0;
	}
	if (r == 0 && (flags_help(g) || flags_nargs(g) == 0)) {
		usage(flags_help(g) ? stdout : stderr);
		return flags_help(g) ? 0 : 1;
	}
	r = r ?: setup_log(g, &err);
	for (const struct rt_cmd *i = commands; r == 0 && i->name; i++)
		if (streq(i->name, flags_args(g)[0]))
			c = i;
	if (r == 0 && !c)
		r = error_set(&err, EINVAL, "unknown command \"%s\"", flags_args(g)[0]);
	if (r == 0 && c->seal && (r = selfexe_ensure_sealed(argv)) < 0)
		r = error_set_errno(&err, -r, "copy the runtime into a sealed memfd");
	rt.root = flags_string(g, "root");
	rt.systemd_cgroup = flags_bool(g, "systemd-cgroup");
	if (r == 0)
		r = run_command(c, &rt, flags_nargs(g), (char **)flags_args(g), &err);
	if (r < 0) {
		/* containerd and conmon read the --log file; people read stderr */
		if (g && flags_string(g, "log"))
			log_error("%s", error_message(err));
		fprintf(stderr, "husk-runtime: %s\n", error_message(err));
		return 1;
	}
	return r;
}
