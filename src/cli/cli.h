/* cli.h — husk's command table, dispatch and the connection to huskd.
 *
 * Commands are rows of a table (name, handler, flags, help); management
 * commands ("image", "system") hold a table of their own. The CLI talks to
 * huskd only through the API client; it links src/base and src/api's
 * client, never the engine.
 */
#pragma once

#include <stdio.h>
#include "api/client.h"
#include "cli/flags.h"

/* Exit statuses as docker uses them. */
#define CLI_EXIT_ERROR 1
#define CLI_EXIT_USAGE 125

struct cli {
	const char *host;      /* daemon address in use */
	bool host_is_default;  /* no -H / HUSK_HOST / DOCKER_HOST given */
	char *default_host;    /* unix://<exec-root>/husk.sock */
	const char *exec_root; /* HUSK_EXEC_ROOT or /run/husk */
	const char *data_root; /* HUSK_DATA_ROOT or /var/lib/husk */
	bool debug;
	struct api_client *client; /* connected on first use */
	FILE *out, *errout;
};

struct cli_command;
/* A handler returns an exit status (0 ok) or -errno with *err set. */
typedef int (*cli_run_fn)(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                          struct husk_error **err);

struct cli_command {
	const char *name;
	cli_run_fn run;      /* NULL for a management command */
	const char *args;    /* usage after the name: "[OPTIONS] IMAGE [COMMAND] [ARG...]" */
	const char *summary; /* one line */
	const struct flag_spec *flags;
	enum flags_mode mode;
	int min_args, max_args;                /* max -1: any */
	const struct cli_command *subcommands; /* NULL-name terminated */
	const char *group;                     /* "common", "management", or NULL for "Commands" */
};

/* Run husk with argv (argv[0] is the program). Returns the exit status. */
int cli_main(int argc, char **argv);

/* The connected API client, starting huskd first when the local default
 * socket has no daemon and we are root (said once on stderr). */
int cli_connect(struct cli *cli, struct api_client **ret, struct husk_error **err);

/* GET path (connecting, and starting huskd, first as cli_connect does)
 * and parse the JSON reply into *ret. */
int cli_get(struct cli *cli, const char *path, json_t **ret, struct husk_error **err);
/* `inspect` of several objects: GET path_fmt (one %s, the escaped name)
 * for each name, then print them as a JSON array or through the --format
 * template fmt. A name the daemon does not know prints missing_fmt (one
 * %s, the name; NULL: the daemon's message) and makes the status 1. */
struct table_column;
int cli_inspect_each(struct cli *cli, char *const *names, const char *path_fmt,
                     const char *missing_fmt, const char *fmt, const struct table_column *headers,
                     struct husk_error **err);

/* --filter k=v (repeatable) → Docker's filters JSON, URL-escaped ("" when
 * there is none). -EINVAL "bad format of filter (expected name=value)". */
int cli_filters_query(char *const *list, char **ret, struct husk_error **err);
/* DELETE path_fmt (one %s, the escaped name) + query for each name,
 * printing the name, or the daemon's error on stderr (status 1);
 * ignore_missing: a name the daemon does not know is no error. */
int cli_remove_each(struct cli *cli, char *const *names, const char *path_fmt, const char *query,
                    bool ignore_missing, struct husk_error **err);
/* docker's prune: after the warning and its "[y/N]" (none when warning is
 * NULL), POST /<what>/prune with the --filter items into *ret. 1 when it
 * ran, 0 when the user said no. */
int cli_prune(struct cli *cli, const char *what, char *const *filters, const char *warning,
              json_t **ret, struct husk_error **err);
/* "Total reclaimed space: …" of a prune's SpaceReclaimed. */
void cli_print_reclaimed(struct cli *cli, json_t *res);

/* autostart.c: start huskd in the background and wait for its socket. */
int cli_autostart(struct cli *cli, struct husk_error **err);

/* The command tables (commands.c). */
extern const struct cli_command cli_commands[];
extern const struct flag_spec cli_global_flags[];

/* cmd_image.c */
int cmd_images(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
               struct husk_error **err);
int cmd_tag(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
            struct husk_error **err);
int cmd_rmi(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
            struct husk_error **err);
int cmd_history(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                struct husk_error **err);
int cmd_image_inspect(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                      struct husk_error **err);
int cmd_image_prune(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                    struct husk_error **err);

/* cmd_transfer.c */
int cmd_save(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
             struct husk_error **err);
int cmd_load(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
             struct husk_error **err);
int cmd_import(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
               struct husk_error **err);

/* cmd_system.c */
int cmd_system_df(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                  struct husk_error **err);
int cmd_system_check(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                     struct husk_error **err);
int cmd_version(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                struct husk_error **err);
int cmd_info(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
             struct husk_error **err);
