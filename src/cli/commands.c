/* commands.c — husk's command table. Add a row (and a handler in
 * cmd_<area>.c) to add a command; help and dispatch follow from it. */
#include "cli/cli.h"

const struct flag_spec cli_global_flags[] = {
        {"host", 'H', FLAG_LIST, NULL, "Daemon socket to connect to", NULL},
        {"debug", 'D', FLAG_BOOL, NULL, "Enable debug mode", NULL},
        {"log-level", 'l', FLAG_STRING, "info",
         "Set the logging level (\"debug\", \"info\", \"warn\", \"error\", \"fatal\")", NULL},
        {"version", 'v', FLAG_BOOL, NULL, "Print version information and quit", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

static const struct flag_spec version_flags[] = {
        {"format", 'f', FLAG_STRING, NULL, "Format output: \"json\" for the raw documents", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

static const struct flag_spec info_flags[] = {
        {"format", 'f', FLAG_STRING, NULL, "Format output: \"json\" for the raw document", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

static const struct cli_command system_commands[] = {
        {"info", cmd_info, "[OPTIONS]", "Display system-wide information", info_flags,
         FLAGS_INTERSPERSED, 0, 0, NULL, NULL},
        {NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, NULL},
};

const struct cli_command cli_commands[] = {
        {"system", NULL, "COMMAND", "Manage husk", NULL, 0, 0, 0, system_commands, "management"},
        {"info", cmd_info, "[OPTIONS]", "Display system-wide information", info_flags,
         FLAGS_INTERSPERSED, 0, 0, NULL, NULL},
        {"version", cmd_version, "[OPTIONS]", "Show the husk version information", version_flags,
         FLAGS_INTERSPERSED, 0, 0, NULL, NULL},
        {NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, NULL},
};
