/* cmd_registry.h — husk pull, push, login, logout, and the pull that run
 * and create do when their image is missing.
 *
 * The daemon does the registry work (POST /images/create, /images/{name}/
 * push, /auth); the CLI picks the credentials of the image's registry
 * from config.json (cli/credentials.h) and sends them as X-Registry-Auth,
 * and renders the JSON progress stream (cli/progress.h). A password is
 * never printed, and never sent to the daemon for another registry.
 */
#pragma once

#include <stdbool.h>
#include "cli/cli.h"

/* Pull ref for `husk run`/`husk create` (whose image is missing): says
 * "Unable to find image 'busybox:latest' locally" on stderr as docker run
 * does, then renders the pull's progress on stderr (nothing when quiet).
 * platform may be NULL. 0, or -errno with *err: the daemon's message, or
 * the in-stream error's. */
int cli_pull_image(struct cli *c, const char *ref, const char *platform, bool quiet,
                   struct husk_error **err);

extern const struct flag_spec cli_pull_flags[];
extern const struct flag_spec cli_push_flags[];
extern const struct flag_spec cli_login_flags[];

int cmd_pull(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
             struct husk_error **err);
int cmd_push(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
             struct husk_error **err);
int cmd_login(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
              struct husk_error **err);
int cmd_logout(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
               struct husk_error **err);
