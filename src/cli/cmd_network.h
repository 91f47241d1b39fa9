/* cmd_network.h — husk network create/ls/inspect/rm/prune/connect/
 * disconnect, with docker's flags, columns and messages. They only talk
 * to the daemon (/networks…). */
#pragma once

#include "cli/cli.h"

extern const struct flag_spec cli_network_create_flags[];
extern const struct flag_spec cli_network_ls_flags[];
extern const struct flag_spec cli_network_inspect_flags[];
extern const struct flag_spec cli_network_rm_flags[];
extern const struct flag_spec cli_network_prune_flags[];
extern const struct flag_spec cli_network_connect_flags[];
extern const struct flag_spec cli_network_disconnect_flags[];

int cmd_network_create(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                       struct husk_error **err);
int cmd_network_ls(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                   struct husk_error **err);
int cmd_network_inspect(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                        struct husk_error **err);
int cmd_network_rm(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                   struct husk_error **err);
int cmd_network_prune(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                      struct husk_error **err);
int cmd_network_connect(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                        struct husk_error **err);
int cmd_network_disconnect(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
                           struct husk_error **err);
