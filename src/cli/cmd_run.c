/* cmd_run.c — husk run and husk create: their flags, and docker's run
 * sequence: create (pulling a missing image), attach (hijacked) before
 * start, wait?condition=next-exit|removed, start, resize, stream, exit
 * with the container's status. The body comes from cmd_run_body.c. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "cli/cmd_container.h"
#include "cli/cmd_registry.h"

/* The flags run and create share (docker's container create flag set). */
#define CREATE_FLAGS                                                                                 \
	{"add-host", 0, FLAG_LIST, NULL, "Add a custom host-to-IP mapping (host:ip)", "list"},       \
	        {"attach", 'a', FLAG_LIST, NULL, "Attach to STDIN, STDOUT or STDERR", "list"},       \
	        {"blkio-weight",                                                                     \
	         0,                                                                                  \
	         FLAG_INT,                                                                           \
	         "0",                                                                                \
	         "Block IO (relative weight), between 10 and 1000, or 0 to disable",                 \
	         "uint16"},                                                                          \
	        {"cap-add", 0, FLAG_LIST, NULL, "Add Linux capabilities", "list"},                   \
	        {"cap-drop", 0, FLAG_LIST, NULL, "Drop Linux capabilities", "list"},                 \
	        {"cgroup-parent",                                                                    \
	         0,                                                                                  \
	         FLAG_STRING,                                                                        \
	         NULL,                                                                               \
	         "Optional parent cgroup for the container",                                         \
	         NULL},                                                                              \
	        {"cgroupns", 0, FLAG_STRING, NULL, "Cgroup namespace to use (host|private)", NULL},  \
	        {"cidfile", 0, FLAG_STRING, NULL, "Write the container ID to the file", NULL},       \
	        {"cpu-period", 0, FLAG_INT, "0", "Limit CPU CFS (Completely Fair Scheduler) period", \
	         NULL},                                                                              \
	        {"cpu-quota", 0, FLAG_INT, "0", "Limit CPU CFS (Completely Fair Scheduler) quota",   \
	         NULL},                                                                              \
	        {"cpu-shares", 'c', FLAG_INT, "0", "CPU shares (relative weight)", NULL},            \
	        {"cpus", 0, FLAG_STRING, NULL, "Number of CPUs", "decimal"},                         \
	        {"cpuset-cpus", 0, FLAG_STRING, NULL, "CPUs in which to allow execution (0-3, 0,1)", \
	         NULL},                                                                              \
	        {"cpuset-mems", 0, FLAG_STRING, NULL, "MEMs in which to allow execution (0-3, 0,1)", \
	         NULL},                                                                              \
	        {"device", 0, FLAG_LIST, NULL, "Add a host device to the container", "list"},        \
	        {"dns", 0, FLAG_LIST, NULL, "Set custom DNS servers", "list"},                       \
	        {"dns-option", 0, FLAG_LIST, NULL, "Set DNS options", "list"},                       \
	        {"dns-search", 0, FLAG_LIST, NULL, "Set custom DNS search domains", "list"},         \
	        {"domainname", 0, FLAG_STRING, NULL, "Container NIS domain name", NULL},             \
	        {"entrypoint",                                                                       \
	         0,                                                                                  \
	         FLAG_STRING,                                                                        \
	         NULL,                                                                               \
	         "Overwrite the default ENTRYPOINT of the image",                                    \
	         NULL},                                                                              \
	        {"env", 'e', FLAG_LIST, NULL, "Set environment variables", "list"},                  \
	        {"env-file", 0, FLAG_LIST, NULL, "Read in a file of environment variables", "list"}, \
	        {"expose", 0, FLAG_LIST, NULL, "Expose a port or a range of ports", "list"},         \
	        {"group-add", 0, FLAG_LIST, NULL, "Add additional groups to join", "list"},          \
	        {"health-cmd", 0, FLAG_STRING, NULL, "Command to run to check health", NULL},        \
	        {"health-interval",                                                                  \
	         0,                                                                                  \
	         FLAG_STRING,                                                                        \
	         NULL,                                                                               \
	         "Time between running the check (ms|s|m|h) (default 0s)",                           \
	         "duration"},                                                                        \
	        {"health-retries",                                                                   \
	         0,                                                                                  \
	         FLAG_INT,                                                                           \
	         NULL,                                                                               \
	         "Consecutive failures needed to report unhealthy",                                  \
	         NULL},                                                                              \
	        {"health-start-interval",                                                            \
	         0,                                                                                  \
	         FLAG_STRING,                                                                        \
	         NULL,                                                                               \
	         "Time between running the check during the start period (ms|s|m|h) (default 0s)",   \
	         "duration"},                                                                        \
	        {"health-start-period",                                                              \
	         0,                                                                                  \
	         FLAG_STRING,                                                                        \
	         NULL,                                                                               \
	         "Start period for the container to initialize before starting health-retries "      \
	         "countdown (ms|s|m|h) (default 0s)",                                                \
	         "duration"},                                                                        \
	        {"health-timeout",                                                                   \
	         0,                                                                                  \
	         FLAG_STRING,                                                                        \
	         NULL,                                                                               \
	         "Maximum time to allow one check to run (ms|s|m|h) (default 0s)",                   \
	         "duration"},                                                                        \
	        {"hostname", 'h', FLAG_STRING, NULL, "Container host name", NULL},                   \
	        {"init",                                                                             \
	         0,                                                                                  \
	         FLAG_BOOL,                                                                          \
	         NULL,                                                                               \
	         "Run an init inside the container that forwards signals and reaps processes",       \
	         NULL},                                                                              \
	        {"interactive", 'i', FLAG_BOOL, NULL, "Keep STDIN open even if not attached", NULL}, \
	        {"ipc", 0, FLAG_STRING, NULL, "IPC mode to use", NULL},                              \
	        {"kernel-memory",                                                                    \
	         0,                                                                                  \
	         FLAG_STRING,                                                                        \
	         NULL,                                                                               \
	         "Kernel memory limit (accepted and ignored, as current Docker)",                    \
	         "bytes"},                                                                           \
	        {"label", 'l', FLAG_LIST, NULL, "Set meta data on a container", "list"},             \
	        {"label-file", 0, FLAG_LIST, NULL, "Read in a line delimited file of labels",        \
	         "list"},                                                                            \
	        {"log-driver", 0, FLAG_STRING, NULL, "Logging driver for the container", NULL},      \
	        {"log-opt", 0, FLAG_LIST, NULL, "Log driver options", "list"},                       \
	        {"mac-address",                                                                      \
	         0,                                                                                  \
	         FLAG_STRING,                                                                        \
	         NULL,                                                                               \
	         "Container MAC address (e.g., "                                                     \
	         "92:d0:c6:0a:29:33)",                                                               \
	         NULL},                                                                              \
	        {"memory", 'm', FLAG_STRING, NULL, "Memory limit", "bytes"},                         \
	        {"memory-reservation", 0, FLAG_STRING, NULL, "Memory soft limit", "bytes"},          \
	        {"memory-swap",                                                                      \
	         0,                                                                                  \
	         FLAG_STRING,                                                                        \
	         NULL,                                                                               \
	         "Swap limit equal to memory plus swap: '-1' to enable unlimited swap",              \
	         "bytes"},                                                                           \
	        {"memory-swappiness",                                                                \
	         0,                                                                                  \
	         FLAG_INT,                                                                           \
	         "-1",                                                                               \
	         "Tune container memory swappiness (0 to 100)",                                      \
	         NULL},                                                                              \
	        {"mount", 0, FLAG_LIST, NULL, "Attach a filesystem mount to the container",          \
	         "mount"},                                                                           \
	        {"name", 0, FLAG_STRING, NULL, "Assign a name to the container", NULL},              \
	        {"net",                                                                              \
	         0,                                                                                  \
	         FLAG_STRING,                                                                        \
	         NULL,                                                                               \
	         "Connect a container to a network (alias of --network)",                            \
	         "network"},                                                                         \
	        {"net-alias",                                                                        \
	         0,                                                                                  \
	         FLAG_LIST,                                                                          \
	         NULL,                                                                               \
	         "Add network-scoped alias (alias of "                                               \
	         "--network-alias)",                                                                 \
	         "list"},                                                                            \
	        {"network", 0, FLAG_STRING, NULL, "Connect a container to a network", "network"},    \
	        {"network-alias", 0, FLAG_LIST, NULL, "Add network-scoped alias for the container",  \
	         "list"},                                                                            \
	        {"no-healthcheck",                                                                   \
	         0,                                                                                  \
	         FLAG_BOOL,                                                                          \
	         NULL,                                                                               \
	         "Disable any container-specified HEALTHCHECK",                                      \
	         NULL},                                                                              \
	        {"oom-kill-disable", 0, FLAG_BOOL, NULL, "Disable OOM Killer", NULL},                \
	        {"oom-score-adj",                                                                    \
	         0,                                                                                  \
	         FLAG_INT,                                                                           \
	         "0",                                                                                \
	         "Tune host's OOM preferences (-1000 to 1000)",                                      \
	         NULL},                                                                              \
	        {"pid", 0, FLAG_STRING, NULL, "PID namespace to use", NULL},                         \
	        {"pids-limit", 0, FLAG_INT, "0", "Tune container pids limit (set -1 for unlimited)", \
	         NULL},                                                                              \
	        {"platform",                                                                         \
	         0,                                                                                  \
	         FLAG_STRING,                                                                        \
	         NULL,                                                                               \
	         "Set platform if server is multi-platform capable",                                 \
	         NULL},                                                                              \
	        {"privileged", 0, FLAG_BOOL, NULL, "Give extended privileges to this container",     \
	         NULL},                                                                              \
	        {"publish", 'p', FLAG_LIST, NULL, "Publish a container's port(s) to the host",       \
	         "list"},                                                                            \
	        {"publish-all", 'P', FLAG_BOOL, NULL, "Publish all exposed ports to random ports",   \
	         NULL},                                                                              \
	        {"pull",                                                                             \
	         0,                                                                                  \
	         FLAG_STRING,                                                                        \
	         "missing",                                                                          \
	         "Pull image before running (\"always\", \"missing\", \"never\")",                   \
	         NULL},                                                                              \
	        {"quiet", 'q', FLAG_BOOL, NULL, "Suppress the pull output", NULL},                   \
	        {"read-only",                                                                        \
	         0,                                                                                  \
	         FLAG_BOOL,                                                                          \
	         NULL,                                                                               \
	         "Mount the container's root filesystem as read only",                               \
	         NULL},                                                                              \
	        {"restart", 0, FLAG_STRING, "no", "Restart policy to apply when a container exits",  \
	         NULL},                                                                              \
	        {"rm",                                                                               \
	         0,                                                                                  \
	         FLAG_BOOL,                                                                          \
	         NULL,                                                                               \
	         "Automatically remove the container and its associated anonymous volumes when "     \
	         "it exits",                                                                         \
	         NULL},                                                                              \
	        {"runtime", 0, FLAG_STRING, NULL, "Runtime to use for this container", NULL},        \
	        {"security-opt", 0, FLAG_LIST, NULL, "Security Options", "list"},                    \
	        {"shm-size", 0, FLAG_STRING, NULL, "Size of /dev/shm", "bytes"},                     \
	        {"stop-signal", 0, FLAG_STRING, NULL, "Signal to stop the container", NULL},         \
	        {"stop-timeout",                                                                     \
	         0,                                                                                  \
	         FLAG_INT,                                                                           \
	         NULL,                                                                               \
	         "Timeout (in seconds) to stop a container",                                         \
	         NULL},                                                                              \
	        {"sysctl", 0, FLAG_LIST, NULL, "Sysctl options", "map"},                             \
	        {"tmpfs", 0, FLAG_LIST, NULL, "Mount a tmpfs directory", "list"},                    \
	        {"tty", 't', FLAG_BOOL, NULL, "Allocate a pseudo-TTY", NULL},                        \
	        {"ulimit", 0, FLAG_LIST, NULL, "Ulimit options", "ulimit"},                          \
	        {"user",                                                                             \
	         'u',                                                                                \
	         FLAG_STRING,                                                                        \
	         NULL,                                                                               \
	         "Username or UID (format: <name|uid>[:<group|gid>])",                               \
	         NULL},                                                                              \
	        {"userns", 0, FLAG_STRING, NULL, "User namespace to use", NULL},                     \
	        {"uts", 0, FLAG_STRING, NULL, "UTS namespace to use", NULL},                         \
	        {"volume", 'v', FLAG_LIST, NULL, "Bind mount a volume", "list"},                     \
	        {"volumes-from",                                                                     \
	         0,                                                                                  \
	         FLAG_LIST,                                                                          \
	         NULL,                                                                               \
	         "Mount volumes from the specified container(s)",                                    \
	         "list"},                                                                            \
	{                                                                                            \
		"workdir", 'w', FLAG_STRING, NULL, "Working directory inside the container", NULL    \
	}

const struct flag_spec cli_create_flags[] = {
        CREATE_FLAGS,
        {NULL, 0, 0, NULL, NULL, NULL},
};

const struct flag_spec cli_run_flags[] = {
        CREATE_FLAGS,
        {"detach", 'd', FLAG_BOOL, NULL, "Run container in background and print container ID",
         NULL},
        {"detach-keys", 0, FLAG_STRING, NULL, "Override the key sequence for detaching a container",
         NULL},
        {"sig-proxy", 0, FLAG_BOOL, "true", "Proxy received signals to the process", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

/* docker's newCIDFile: refuse an existing file before creating anything. */
static int cidfile_open(const char *path, int *ret_fd, struct husk_error **err)
{
	int fd;

	*ret_fd = -1;
	if (!path)
		return 0;
	if (access(path, F_OK) == 0)
		return error_set(
		        err, EEXIST,
		        "container ID file found, make sure the other container isn't running "
		        "or delete %s",
		        path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return error_set_errno(err, errno, "failed to create the container ID file");
	*ret_fd = fd;
	return 0;
}

static bool no_such_image(const struct husk_error *e)
{
	return error_code(e) == ENOENT && strstr(error_message(e), "No such image");
}

/* A daemon older than API 1.44 knows one container-wide MAC address, and
 * no health start interval (docker refuses the flag there). */
static int body_for_version(json_t *body, unsigned version, struct husk_error **err)
{
	json_t *eps = json_object_get(json_object_get(body, "NetworkingConfig"), "EndpointsConfig");
	json_t *ep;
	const char *key;

	if (version >= 144)
		return 0;
	if (json_integer_value(
	            json_object_get(json_object_get(body, "Healthcheck"), "StartInterval")) > 0)
		return error_set(err, EINVAL,
		                 "\"--health-start-interval\" requires API version 1.44, but the "
		                 "daemon API version is %u.%u",
		                 version / 100, version % 100);
	json_object_foreach (eps, key, ep) {
		json_t *mac = json_object_get(ep, "MacAddress");
		if (isempty(json_string_value(mac)))
			continue;
		json_object_set(body, "MacAddress", mac);
		json_object_del(ep, "MacAddress");
	}
	return 0;
}

static int create_call(struct cli *cli, struct api_client *c, const struct run_request *rq,
                       json_t **ret, struct husk_error **err)
{
	_cleanup_free_ char *name = rq->name ? cli_escape(rq->name) : NULL;
	_cleanup_free_ char *plat = rq->platform ? cli_escape(rq->platform) : NULL;
	_cleanup_free_ char *path = str_printf(
	        "/containers/create%s%s%s%s%s", name || plat ? "?" : "", name ? "name=" : "",
	        name ?: "", name && plat ? "&" : "", plat ? "platform=" : "");
	_cleanup_free_ char *full = path && plat ? str_printf("%s%s", path, plat) : NULL;

	if (!path || (plat && !full))
		return error_set(err, ENOMEM, "out of memory");
	if (body_for_version(rq->body, api_client_version(c), err) < 0)
		return -EINVAL;
	return api_client_call(c, "POST", full ?: path, rq->body, NULL, ret, err);
}

/* POST /containers/create, pulling the image first (--pull=always) or when
 * the daemon does not have it (missing), as docker's createContainer. */
static int create_container(struct cli *cli, const struct run_request *rq, char **ret_id,
                            struct husk_error **err)
{
	const char *image = json_string_value(json_object_get(rq->body, "Image"));
	_cleanup_json_ json_t *res = NULL;
	struct api_client *c = NULL;
	_cleanup_close_ int cid_fd = -1;
	json_t *w;
	size_t i;
	int r = cidfile_open(rq->cidfile, &cid_fd, err);

	r = r ?: cli_connect(cli, &c, err);
	if (r == 0 && streq(rq->pull, "always"))
		r = cli_pull_image(cli, image, rq->platform, rq->quiet, err);
	if (r == 0 && (r = create_call(cli, c, rq, &res, err)) < 0 && no_such_image(*err) &&
	    streq(rq->pull, "missing")) {
		error_free(*err);
		*err = NULL;
		r = cli_pull_image(cli, image, rq->platform, rq->quiet, err);
		r = r ?: create_call(cli, c, rq, &res, err);
	}
	if (r < 0) {
		if (cid_fd >= 0)
			unlink(rq->cidfile);
		return r;
	}
	json_array_foreach (json_object_get(res, "Warnings"), i, w)
		fprintf(cli->errout, "WARNING: %s\n", json_string_value(w));
	*ret_id = strdup(json_string_value(json_object_get(res, "Id")) ?: "");
	if (!*ret_id)
		return error_set(err, ENOMEM, "out of memory");
	if (cid_fd >= 0 && write_all(cid_fd, *ret_id, strlen(*ret_id)) < 0)
		return error_set_errno(err, errno, "failed to write the container ID to the file");
	return 0;
}

int cmd_create(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
               struct husk_error **err)
{
	struct run_request rq;
	_cleanup_free_ char *id = NULL;
	int r = run_request_parse(f, false, &rq, err);

	if (r < 0)
		return cli_run_error(cli, "create", *err, CLI_EXIT_USAGE);
	r = create_container(cli, &rq, &id, err);
	run_request_release(&rq);
	if (r < 0) /* docker create: the daemon's words alone, status 1 */
		return r;
	fprintf(cli->out, "%s\n", id);
	return 0;
}

/* ---- run ---- */

struct run_state {
	struct cli *cli;
	struct api_client *c;
	const struct run_request *rq;
	const char *id;
	bool tty, attach_in, attach_out, attach_err;
	struct api_conn *attach; /* hijacked, or NULL */
	struct api_conn *wait;   /* the pending wait response */
};

static int run_attach(struct run_state *s, struct husk_error **err)
{
	_cleanup_free_ char *keys = s->rq->detach_keys ? cli_escape(s->rq->detach_keys) : NULL;
	_cleanup_free_ char *path = str_printf(
	        "/containers/%s/attach?%s%s%s%s%s%sstream=1", s->id, keys ? "detachKeys=" : "",
	        keys ?: "", keys ? "&" : "", s->attach_err ? "stderr=1&" : "",
	        s->attach_in ? "stdin=1&" : "", s->attach_out ? "stdout=1&" : "");

	if (!path)
		return error_set(err, ENOMEM, "out of memory");
	return api_client_hijack(s->c, path, NULL, &s->attach, err);
}

static int run_wait_open(struct run_state *s, struct husk_error **err)
{
	_cleanup_free_ char *path =
	        str_printf("/containers/%s/wait?condition=%s", s->id,
	                   json_is_true(json_object_get(json_object_get(s->rq->body, "HostConfig"),
	                                                "AutoRemove"))
	                           ? "removed"
	                           : "next-exit");

	if (!path)
		return error_set(err, ENOMEM, "out of memory");
	return api_client_open(s->c, "POST", path, NULL, NULL, &s->wait, err);
}

/* The wait's answer: StatusCode, or 125 with its error printed. */
static int run_wait_status(struct run_state *s)
{
	_cleanup_error_ struct husk_error *e = NULL;
	_cleanup_json_ json_t *res = NULL;
	json_t *werr;

	if (!s->wait)
		return CLI_EXIT_USAGE;
	if (api_conn_read_json(s->wait, &res, &e) < 0) {
		fprintf(s->cli->errout, "%s\n", error_message(e));
		return CLI_EXIT_USAGE;
	}
	werr = json_object_get(res, "Error");
	if (json_is_object(werr) && json_string_value(json_object_get(werr, "Message"))) {
		fprintf(s->cli->errout, "%s\n",
		        json_string_value(json_object_get(werr, "Message")));
		return CLI_EXIT_USAGE;
	}
	return (int)json_integer_value(json_object_get(res, "StatusCode"));
}

static int run_start(struct run_state *s, struct husk_error **err)
{
	_cleanup_free_ char *path = str_printf("/containers/%s/start", s->id);

	if (!path)
		return error_set(err, ENOMEM, "out of memory");
	return api_client_call(s->c, "POST", path, NULL, NULL, NULL, err);
}

/* Attached: stream until the output ends, then the wait's status. */
static int run_attached(struct run_state *s, struct husk_error **err)
{
	_cleanup_free_ char *base = str_printf("/containers/%s", s->id);
	struct cli_stream_opts o = {
	        .tty = s->tty,
	        .send_stdin = s->attach_in,
	        .detach_keys = s->rq->detach_keys,
	        .resize_base = s->tty ? base : NULL,
	        .proxy_id = s->rq->sig_proxy ? s->id : NULL,
	};
	_cleanup_(cli_stream_freep) struct cli_stream *st = NULL;
	int r;

	st = base ? cli_stream_new(s->cli, s->attach, &o, err) : NULL;
	if (!st)
		return base ? -EIO : error_set(err, ENOMEM, "out of memory");
	r = run_wait_open(s, err);
	if (r < 0)
		return cli_run_error(s->cli, "run", *err, CLI_EXIT_USAGE);
	r = run_start(s, err);
	if (r < 0) {
		int status = cli_start_error_status(*err);
		cli_stream_free(TAKE_PTR(st));
		if (json_is_true(json_object_get(json_object_get(s->rq->body, "HostConfig"),
		                                 "AutoRemove")))
			(void)run_wait_status(s);
		return cli_run_error(s->cli, "run", *err, status);
	}
	cli_stream_resize(st);
	r = cli_stream_pump(st, err);
	cli_stream_free(TAKE_PTR(st));
	if (r == CLI_STREAM_DETACHED)
		return 0;
	if (r > 0)
		return r;
	if (r < 0) {
		fprintf(s->cli->errout, "%s\n", error_message(*err));
		return CLI_EXIT_USAGE;
	}
	return run_wait_status(s);
}

/* -d: print the ID, wait?condition=next-exit (as docker), start. */
static int run_detached(struct run_state *s, struct husk_error **err)
{
	int r = run_wait_open(s, err);

	if (r < 0)
		return cli_run_error(s->cli, "run", *err, CLI_EXIT_USAGE);
	fprintf(s->cli->out, "%s\n", s->id);
	fflush(s->cli->out);
	r = run_start(s, err);
	if (r < 0) {
		int status = cli_start_error_status(*err);
		if (json_is_true(json_object_get(json_object_get(s->rq->body, "HostConfig"),
		                                 "AutoRemove")))
			(void)run_wait_status(s);
		return cli_run_error(s->cli, "run", *err, status);
	}
	return 0;
}

int cmd_run(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
            struct husk_error **err)
{
	struct run_request rq;
	_cleanup_free_ char *id = NULL;
	struct run_state s = {.cli = cli, .rq = &rq};
	json_t *cfg;
	int r = run_request_parse(f, true, &rq, err);

	if (r < 0)
		return cli_run_error(cli, "run", *err, CLI_EXIT_USAGE);
	cfg = rq.body;
	s.tty = json_is_true(json_object_get(cfg, "Tty"));
	s.attach_in = json_is_true(json_object_get(cfg, "AttachStdin"));
	s.attach_out = json_is_true(json_object_get(cfg, "AttachStdout"));
	s.attach_err = json_is_true(json_object_get(cfg, "AttachStderr"));
	if (s.attach_in && s.tty && !isatty(STDIN_FILENO)) {
		run_request_release(&rq);
		fprintf(cli->errout, "the input device is not a TTY\n");
		return CLI_EXIT_ERROR;
	}
	r = create_container(cli, &rq, &id, err);
	if (r < 0) {
		run_request_release(&rq);
		return cli_run_error(cli, "run", *err, CLI_EXIT_USAGE);
	}
	s.id = id;
	s.c = cli->client;
	if (s.attach_in || s.attach_out || s.attach_err) {
		r = run_attach(&s, err);
		r = r < 0 ? cli_run_error(cli, "run", *err, CLI_EXIT_USAGE) : run_attached(&s, err);
	} else {
		r = run_detached(&s, err);
	}
	api_conn_free(s.attach);
	api_conn_free(s.wait);
	run_request_release(&rq);
	return r;
}
