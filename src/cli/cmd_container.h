/* cmd_container.h — husk's container commands (run, create, ps, logs,
 * exec, attach, stats, start/stop/…) and what they share: the run flags'
 * translation to Docker's create body, the hijacked-stream pump (raw tty,
 * detach keys, SIGWINCH resize, signal proxying, stdout/stderr framing)
 * and docker's exit statuses.
 *
 * Like every CLI module it speaks only the Engine API through
 * api/client.h: it never links the engine, and sends the requests the
 * docker CLI 28 sends, in the same order.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "api/client.h"
#include "base/str.h"
#include "cli/cli.h"

/* docker's statuses for `run`: the daemon refused (125), the command could
 * not be invoked (126) or was not found (127). */
#define CLI_EXIT_CANNOT_INVOKE 126
#define CLI_EXIT_NOT_FOUND     127

/* ---- flag tables (rows in commands.c) ---- */
extern const struct flag_spec cli_run_flags[];
extern const struct flag_spec cli_create_flags[];
extern const struct flag_spec cli_ps_flags[];
extern const struct flag_spec cli_logs_flags[];
extern const struct flag_spec cli_exec_flags[];
extern const struct flag_spec cli_attach_flags[];
extern const struct flag_spec cli_stats_flags[];
extern const struct flag_spec cli_start_flags[];
extern const struct flag_spec cli_stop_flags[];
extern const struct flag_spec cli_kill_flags[];
extern const struct flag_spec cli_rm_flags[];
extern const struct flag_spec cli_container_prune_flags[];
extern const struct flag_spec cli_update_flags[];
extern const struct flag_spec cli_container_inspect_flags[];
extern const struct flag_spec cli_inspect_flags[];
extern const struct flag_spec cli_top_flags[];
extern const struct flag_spec cli_no_flags[];

/* ---- the run/create flags as Docker's create body (cmd_run.c) ---- */

struct run_request {
	json_t *body;      /* Config + HostConfig + NetworkingConfig */
	char *name;        /* --name, or NULL */
	char *platform;    /* --platform, or NULL */
	char *pull;        /* "missing", "always" or "never" */
	char *cidfile;     /* --cidfile, or NULL */
	char *detach_keys; /* --detach-keys, or NULL */
	bool detach, sig_proxy, quiet;
};

/* Translate parsed run (create: is_run false) flags and the positional
 * IMAGE [COMMAND] [ARG...] into the create request, as docker/cli's
 * parse.go does: sizes (RAMInBytes), --cpus (NanoCpus), ports (ranges,
 * ip:host:container/proto), --mount CSV, env and label files, the
 * seccomp profile's content, caps normalised. Reads the files the flags
 * name. -EINVAL with docker's message for a bad value (`invalid argument
 * "x" for "-m, --memory" flag: invalid size: 'x'`), -errno for a file. */
int run_request_parse(const struct flags *f, bool is_run, struct run_request *ret,
                      struct husk_error **err);
void run_request_release(struct run_request *rq);

/* go-units RAMInBytes: "512m", "1g", "1.5GiB", "100" → bytes; -EINVAL,
 * and with _why its message (`invalid suffix: 'x'`) in *why. */
int parse_ram_bytes(const char *s, int64_t *ret);
int parse_ram_bytes_why(const char *s, int64_t *ret, char **why);
/* --cpus: a decimal with at most 9 fractional digits → nano CPUs. */
int parse_nano_cpus(const char *s, int64_t *ret);
/* Go's time.ParseDuration → nanoseconds ("1h30m", "1.5s", "-2m"). */
int parse_go_duration(const char *s, int64_t *ret);
/* moby/term ToBytes: "ctrl-p,ctrl-q" → the bytes (at most 16). The
 * count, or -EINVAL. */
int parse_detach_keys(const char *s, unsigned char *buf, size_t size);
/* docker's GetTimestamp for --since/--until: a Go duration before now, an
 * RFC 3339 date (or its shorter forms) or unix seconds[.nanos], as the
 * query value docker sends. NULL with -EINVAL in *err when unparsable. */
char *parse_log_timestamp(const char *value, int64_t now, struct husk_error **err);

/* ---- the hijacked stream (cmd_attach.c) ---- */

/* Demultiplexes Docker's stdout/stderr frames ([stream,0,0,0,len_be32]
 * payload) to fds 1 and 2 as bytes arrive; stream 3 (the daemon's error)
 * is kept and reported at the end. */
struct cli_demux {
	unsigned char hdr[8];
	size_t hdr_len;
	uint32_t left;
	int stream;
	struct strbuf syserr;
};
int cli_demux_feed(struct cli_demux *d, const char *buf, size_t len, struct husk_error **err);
/* At the end of the stream: -EIO with the daemon's stream-3 message if it
 * sent one. Releases d. */
int cli_demux_finish(struct cli_demux *d, struct husk_error **err);

struct cli_stream_opts {
	bool tty;                /* the stream is raw (no frames); raw terminal mode on stdin */
	bool send_stdin;         /* copy our stdin to the stream, shutdown(SHUT_WR) at its end */
	const char *detach_keys; /* NULL: ctrl-p,ctrl-q (tty only, as docker) */
	/* "/containers/<id>" or "/exec/<id>": resized to our terminal on
	 * SIGWINCH (tty with stdout on a terminal), NULL never */
	const char *resize_base;
	/* container the signals we get are forwarded to (--sig-proxy), or NULL */
	const char *proxy_id;
};

struct cli_stream;
/* Prepare a stream: raw mode on the terminal and signal handling start
 * here, before the container starts, and end in cli_stream_free() on every
 * path. NULL with *err on OOM or when signals cannot be set up. */
struct cli_stream *cli_stream_new(struct cli *cli, struct api_conn *conn,
                                  const struct cli_stream_opts *o, struct husk_error **err);
/* Resize the container (or exec) to our terminal now, when it is one. */
void cli_stream_resize(struct cli_stream *s);
/* Pump until the output ends (0), the user typed the detach keys
 * (CLI_STREAM_DETACHED), or a terminating signal arrived on a tty
 * (128 + signal); -errno with *err on a transport error. */
#define CLI_STREAM_DETACHED 1
int cli_stream_pump(struct cli_stream *s, struct husk_error **err);
/* Restore the terminal and signal mask; accepts NULL. */
void cli_stream_free(struct cli_stream *s);
DEFINE_CLEANUP_FUNC(struct cli_stream *, cli_stream_free)

/* ---- stats (cmd_stats.c) ---- */

/* One `docker stats` row from a stats object, with docker's CLI math
 * (CPU % from the cpu/precpu deltas, memory without the inactive file
 * cache, network and block I/O sums); container is the name shown in
 * .Container (NULL: the ID). NULL on OOM. */
json_t *stats_row(json_t *stats, const char *container, bool no_trunc);

/* ---- shared helpers (cmd_container.c) ---- */

/* api_client_escape() for a path segment or query value; NULL on OOM. */
char *cli_escape(const char *s);
/* GET /containers/<name>/json. */
int cli_container_inspect(struct cli *cli, const char *name, json_t **ret, struct husk_error **err);
/* The exit status docker gives a failed start: 127 when the command was
 * not found, 126 when it could not be invoked, else 125. */
int cli_start_error_status(const struct husk_error *err);
/* Print "husk: <msg>\n\nRun 'husk <path> --help' for more information"
 * as docker run does; returns status. */
int cli_run_error(struct cli *cli, const char *path, const struct husk_error *err, int status);
/* Print each container's name as given, or its error; 0 or 1 at the end. */
typedef int (*cli_each_fn)(struct cli *cli, struct api_client *c, const char *name,
                           const struct flags *f, struct husk_error **err);
int cli_for_each(struct cli *cli, const struct flags *f, cli_each_fn fn, bool print_name,
                 struct husk_error **err);

/* ---- the commands ---- */
#define CLI_HANDLER(name)                                                                          \
	int name(struct cli *cli, const struct cli_command *cmd, const struct flags *f,            \
	         struct husk_error **err)
CLI_HANDLER(cmd_run);
CLI_HANDLER(cmd_create);
CLI_HANDLER(cmd_ps);
CLI_HANDLER(cmd_logs);
CLI_HANDLER(cmd_exec);
CLI_HANDLER(cmd_attach);
CLI_HANDLER(cmd_stats);
CLI_HANDLER(cmd_start);
CLI_HANDLER(cmd_stop);
CLI_HANDLER(cmd_restart);
CLI_HANDLER(cmd_kill);
CLI_HANDLER(cmd_wait);
CLI_HANDLER(cmd_rename);
CLI_HANDLER(cmd_pause);
CLI_HANDLER(cmd_unpause);
CLI_HANDLER(cmd_rm);
CLI_HANDLER(cmd_container_prune);
CLI_HANDLER(cmd_update);
CLI_HANDLER(cmd_port);
CLI_HANDLER(cmd_top);
CLI_HANDLER(cmd_inspect);
CLI_HANDLER(cmd_container_inspect);
CLI_HANDLER(cmd_completion);
