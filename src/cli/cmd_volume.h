/* cmd_volume.h — husk volume create/ls/inspect/rm/prune and husk events,
 * with docker's flags, columns, messages and exit statuses.
 *
 * They only talk to the daemon (GET /volumes, POST /volumes/create,
 * GET/DELETE /volumes/{name}, POST /volumes/prune, GET /events) and
 * format what it answers; nothing here knows how volumes are stored.
 */
#pragma once

#include "cli/cli.h"

extern const struct flag_spec cli_volume_create_flags[];
extern const struct flag_spec cli_volume_ls_flags[];
extern const struct flag_spec cli_volume_inspect_flags[];
extern const struct flag_spec cli_volume_rm_flags[];
extern const struct flag_spec cli_volume_prune_flags[];
extern const struct flag_spec cli_events_flags[];

int cmd_volume_create(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                      struct husk_error **err);
int cmd_volume_ls(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                  struct husk_error **err);
int cmd_volume_inspect(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                       struct husk_error **err);
int cmd_volume_rm(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                  struct husk_error **err);
int cmd_volume_prune(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                     struct husk_error **err);

/* cmd_events.c: `husk events [--since] [--until] [--filter k=v]... [--format]`. */
int cmd_events(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
               struct husk_error **err);
