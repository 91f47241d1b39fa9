/* commands.c — husk's command table. Add a row (and a handler in
 * cmd_<area>.c) to add a command; help and dispatch follow from it. */
#include "cli/cli.h"
#include "cli/cmd_container.h"
#include "cli/cmd_cp.h"
#include "cli/cmd_registry.h"
#include "cli/cmd_network.h"
#include "cli/cmd_volume.h"

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

static const struct flag_spec images_flags[] = {
        {"all", 'a', FLAG_BOOL, NULL, "Show all images (default hides intermediate images)", NULL},
        {"digests", 0, FLAG_BOOL, NULL, "Show digests", NULL},
        {"filter", 'f', FLAG_LIST, NULL, "Filter output based on conditions provided", "filter"},
        {"format", 0, FLAG_STRING, NULL,
         "Format output using a custom template: 'table', 'table TEMPLATE', 'json', 'TEMPLATE'",
         NULL},
        {"no-trunc", 0, FLAG_BOOL, NULL, "Don't truncate output", NULL},
        {"quiet", 'q', FLAG_BOOL, NULL, "Only show image IDs", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

static const struct flag_spec rmi_flags[] = {
        {"force", 'f', FLAG_BOOL, NULL, "Force removal of the image", NULL},
        {"no-prune", 0, FLAG_BOOL, NULL, "Do not delete untagged parents", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

static const struct flag_spec history_flags[] = {
        {"format", 0, FLAG_STRING, NULL, "Format output using a custom template", NULL},
        {"human", 'H', FLAG_BOOL, "true", "Print sizes and dates in human readable format", NULL},
        {"no-trunc", 0, FLAG_BOOL, NULL, "Don't truncate output", NULL},
        {"quiet", 'q', FLAG_BOOL, NULL, "Only show image IDs", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

static const struct flag_spec inspect_flags[] = {
        {"format", 'f', FLAG_STRING, NULL, "Format output using a custom template", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

static const struct flag_spec prune_flags[] = {
        {"all", 'a', FLAG_BOOL, NULL, "Remove all unused images, not just dangling ones", NULL},
        {"filter", 0, FLAG_LIST, NULL, "Provide filter values (e.g. \"until=<timestamp>\")",
         "filter"},
        {"force", 'f', FLAG_BOOL, NULL, "Do not prompt for confirmation", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

static const struct flag_spec no_flags[] = {
        {NULL, 0, 0, NULL, NULL, NULL},
};

#define CMD_IMAGES                                                                                 \
	"[OPTIONS] [REPOSITORY[:TAG]]", "List images", images_flags, FLAGS_INTERSPERSED, 0, 1
#define CMD_RMI "[OPTIONS] IMAGE [IMAGE...]", "Remove one or more images", rmi_flags, 0, 1, -1
#define CMD_TAG                                                                                    \
	"SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",                                                   \
	        "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", no_flags, 0, 2, 2
#define CMD_HISTORY "[OPTIONS] IMAGE", "Show the history of an image", history_flags, 0, 1, 1
#define CMD_INSPECT                                                                                \
	"[OPTIONS] IMAGE [IMAGE...]", "Display detailed information on one or more images",        \
	        inspect_flags, 0, 1, -1

/* cmd_transfer.c: save, load, import */
static const struct flag_spec save_flags[] = {
        {"format", 0, FLAG_STRING, "docker", "Archive format: \"docker\" (docker save) or \"oci\"",
         NULL},
        {"output", 'o', FLAG_STRING, NULL, "Write to a file, instead of STDOUT", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

static const struct flag_spec load_flags[] = {
        {"input", 'i', FLAG_STRING, NULL, "Read from tar archive file, instead of STDIN", NULL},
        {"quiet", 'q', FLAG_BOOL, NULL, "Suppress the load output", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

static const struct flag_spec import_flags[] = {
        {"change", 'c', FLAG_LIST, NULL, "Apply Dockerfile instruction to the created image",
         "list"},
        {"message", 'm', FLAG_STRING, NULL, "Set commit message for imported image", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

#define CMD_SAVE                                                                                   \
	"[OPTIONS] IMAGE [IMAGE...]",                                                              \
	        "Save one or more images to a tar archive (streamed to STDOUT by default)",        \
	        save_flags, 0, 1, -1
#define CMD_LOAD "[OPTIONS]", "Load an image from a tar archive or STDIN", load_flags, 0, 0, 0
#define CMD_IMPORT                                                                                 \
	"[OPTIONS] file|- [REPOSITORY[:TAG]]",                                                     \
	        "Import the contents from a tarball to create a filesystem image", import_flags,   \
	        0, 1, 2

/* cmd_registry.c: pull, push, login, logout */
#define CMD_PULL                                                                                   \
	"[OPTIONS] NAME[:TAG|@DIGEST]", "Download an image from a registry", cli_pull_flags,       \
	        FLAGS_INTERSPERSED, 1, 1
#define CMD_PUSH                                                                                   \
	"[OPTIONS] NAME[:TAG]", "Upload an image to a registry", cli_push_flags,                   \
	        FLAGS_INTERSPERSED, 1, 1

static const struct cli_command image_commands[] = {
        {"history", cmd_history, CMD_HISTORY, NULL, NULL},
        {"import", cmd_import, CMD_IMPORT, NULL, NULL},
        {"inspect", cmd_image_inspect, CMD_INSPECT, NULL, NULL},
        {"load", cmd_load, CMD_LOAD, NULL, NULL},
        {"ls", cmd_images, CMD_IMAGES, NULL, NULL},
        {"prune", cmd_image_prune, "[OPTIONS]", "Remove unused images", prune_flags, 0, 0, 0, NULL,
         NULL},
        {"pull", cmd_pull, CMD_PULL, NULL, NULL},
        {"push", cmd_push, CMD_PUSH, NULL, NULL},
        {"rm", cmd_rmi, CMD_RMI, NULL, NULL},
        {"save", cmd_save, CMD_SAVE, NULL, NULL},
        {"tag", cmd_tag, CMD_TAG, NULL, NULL},
        {NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, NULL},
};

static const struct flag_spec check_flags[] = {
        {"repair", 0, FLAG_BOOL, NULL,
         "Delete what is broken and the leftovers of interrupted writes", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

static const struct flag_spec df_flags[] = {
        {"format", 0, FLAG_STRING, NULL, "Format output using a custom template", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

/* cmd_network.c */
static const struct cli_command network_commands[] = {
        {"connect", cmd_network_connect, "[OPTIONS] NETWORK CONTAINER",
         "Connect a container to a network", cli_network_connect_flags, FLAGS_INTERSPERSED, 2, 2,
         NULL, NULL},
        {"create", cmd_network_create, "[OPTIONS] NETWORK", "Create a network",
         cli_network_create_flags, FLAGS_INTERSPERSED, 1, 1, NULL, NULL},
        {"disconnect", cmd_network_disconnect, "[OPTIONS] NETWORK CONTAINER",
         "Disconnect a container from a network", cli_network_disconnect_flags, FLAGS_INTERSPERSED,
         2, 2, NULL, NULL},
        {"inspect", cmd_network_inspect, "[OPTIONS] NETWORK [NETWORK...]",
         "Display detailed information on one or more networks", cli_network_inspect_flags,
         FLAGS_INTERSPERSED, 1, -1, NULL, NULL},
        {"ls", cmd_network_ls, "[OPTIONS]", "List networks", cli_network_ls_flags,
         FLAGS_INTERSPERSED, 0, 0, NULL, NULL},
        {"prune", cmd_network_prune, "[OPTIONS]", "Remove all unused networks",
         cli_network_prune_flags, FLAGS_INTERSPERSED, 0, 0, NULL, NULL},
        {"rm", cmd_network_rm, "[OPTIONS] NETWORK [NETWORK...]", "Remove one or more networks",
         cli_network_rm_flags, FLAGS_INTERSPERSED, 1, -1, NULL, NULL},
        {NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, NULL},
};

/* cmd_volume.c */
static const struct cli_command volume_commands[] = {
        {"create", cmd_volume_create, "[OPTIONS] [VOLUME]", "Create a volume",
         cli_volume_create_flags, FLAGS_INTERSPERSED, 0, 1, NULL, NULL},
        {"inspect", cmd_volume_inspect, "[OPTIONS] VOLUME [VOLUME...]",
         "Display detailed information on one or more volumes", cli_volume_inspect_flags,
         FLAGS_INTERSPERSED, 1, -1, NULL, NULL},
        {"ls", cmd_volume_ls, "[OPTIONS]", "List volumes", cli_volume_ls_flags, FLAGS_INTERSPERSED,
         0, 0, NULL, NULL},
        {"prune", cmd_volume_prune, "[OPTIONS]", "Remove unused local volumes",
         cli_volume_prune_flags, FLAGS_INTERSPERSED, 0, 0, NULL, NULL},
        {"rm", cmd_volume_rm, "[OPTIONS] VOLUME [VOLUME...]", "Remove one or more volumes",
         cli_volume_rm_flags, FLAGS_INTERSPERSED, 1, -1, NULL, NULL},
        {NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, NULL},
};

static const struct cli_command system_commands[] = {
        {"check", cmd_system_check, "[OPTIONS]",
         "Verify every blob, reference, layer and snapshot of the image store", check_flags,
         FLAGS_INTERSPERSED, 0, 0, NULL, NULL},
        {"df", cmd_system_df, "[OPTIONS]", "Show husk disk usage", df_flags, FLAGS_INTERSPERSED, 0,
         0, NULL, NULL},
        {"info", cmd_info, "[OPTIONS]", "Display system-wide information", info_flags,
         FLAGS_INTERSPERSED, 0, 0, NULL, NULL},
        {NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, NULL},
};

/* cmd_container.c, cmd_run.c, cmd_ps.c, cmd_logs.c, cmd_exec.c, cmd_attach.c, cmd_stats.c */
#define CONTAINER_ARGS "[OPTIONS] CONTAINER [CONTAINER...]"
#define CMD_RUN                                                                                    \
	"[OPTIONS] IMAGE [COMMAND] [ARG...]", "Create and run a new container from an image",      \
	        cli_run_flags, FLAGS_STOP_AT_FIRST_ARG, 1, -1
#define CMD_CREATE                                                                                 \
	"[OPTIONS] IMAGE [COMMAND] [ARG...]", "Create a new container", cli_create_flags,          \
	        FLAGS_STOP_AT_FIRST_ARG, 1, -1
#define CMD_EXEC                                                                                   \
	"[OPTIONS] CONTAINER COMMAND [ARG...]", "Execute a command in a running container",        \
	        cli_exec_flags, FLAGS_STOP_AT_FIRST_ARG, 2, -1
#define CMD_PS "[OPTIONS]", "List containers", cli_ps_flags, 0, 0, 0
#define CMD_ATTACH                                                                                 \
	"[OPTIONS] CONTAINER",                                                                     \
	        "Attach local standard input, output, and error streams to a running container",   \
	        cli_attach_flags, 0, 1, 1
#define CMD_LOGS    "[OPTIONS] CONTAINER", "Fetch the logs of a container", cli_logs_flags, 0, 1, 1
#define CMD_START   CONTAINER_ARGS, "Start one or more stopped containers", cli_start_flags, 0, 1, -1
#define CMD_STOP    CONTAINER_ARGS, "Stop one or more running containers", cli_stop_flags, 0, 1, -1
#define CMD_RESTART CONTAINER_ARGS, "Restart one or more containers", cli_stop_flags, 0, 1, -1
#define CMD_KILL    CONTAINER_ARGS, "Kill one or more running containers", cli_kill_flags, 0, 1, -1
#define CMD_WAIT                                                                                   \
	"CONTAINER [CONTAINER...]",                                                                \
	        "Block until one or more containers stop, then print their "                       \
	        "exit codes",                                                                      \
	        cli_no_flags, 0, 1, -1
#define CMD_PAUSE                                                                                  \
	"CONTAINER [CONTAINER...]", "Pause all processes within one or more containers",           \
	        cli_no_flags, 0, 1, -1
#define CMD_UNPAUSE                                                                                \
	"CONTAINER [CONTAINER...]", "Unpause all processes within one or more containers",         \
	        cli_no_flags, 0, 1, -1
#define CMD_RM     CONTAINER_ARGS, "Remove one or more containers", cli_rm_flags, 0, 1, -1
#define CMD_RENAME "CONTAINER NEW_NAME", "Rename a container", cli_no_flags, 0, 2, 2
#define CMD_UPDATE                                                                                 \
	CONTAINER_ARGS, "Update configuration of one or more containers", cli_update_flags, 0, 1, -1
#define CMD_PORT                                                                                   \
	"CONTAINER [PRIVATE_PORT[/PROTO]]",                                                        \
	        "List port mappings or a specific mapping for the container", cli_no_flags, 0, 1,  \
	        2
#define CMD_TOP                                                                                    \
	"CONTAINER [ps OPTIONS]", "Display the running processes of a container", cli_top_flags,   \
	        FLAGS_STOP_AT_FIRST_ARG, 1, -1
#define CMD_CP                                                                                     \
	"[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\thusk cp [OPTIONS] SRC_PATH|- "                \
	"CONTAINER:DEST_PATH",                                                                     \
	        "Copy files/folders between a container and the local filesystem", cli_cp_flags,   \
	        0, 2, 2
#define CMD_EXPORT                                                                                 \
	"[OPTIONS] CONTAINER", "Export a container's filesystem as a tar archive",                 \
	        cli_export_flags, 0, 1, 1
#define CMD_DIFF                                                                                   \
	"CONTAINER", "Inspect changes to files or directories on a container's filesystem",        \
	        cli_no_flags, 0, 1, 1
#define CMD_STATS                                                                                  \
	"[OPTIONS] [CONTAINER...]",                                                                \
	        "Display a live stream of container(s) resource usage "                            \
	        "statistics",                                                                      \
	        cli_stats_flags, 0, 0, -1

static const struct cli_command container_commands[] = {
        {"attach", cmd_attach, CMD_ATTACH, NULL, NULL},
        {"cp", cmd_cp, CMD_CP, NULL, NULL},
        {"create", cmd_create, CMD_CREATE, NULL, NULL},
        {"diff", cmd_diff, CMD_DIFF, NULL, NULL},
        {"exec", cmd_exec, CMD_EXEC, NULL, NULL},
        {"export", cmd_export, CMD_EXPORT, NULL, NULL},
        {"inspect", cmd_container_inspect, "[OPTIONS] CONTAINER [CONTAINER...]",
         "Display detailed information on one or more containers", cli_container_inspect_flags, 0,
         1, -1, NULL, NULL},
        {"kill", cmd_kill, CMD_KILL, NULL, NULL},
        {"list", cmd_ps, CMD_PS, NULL, NULL},
        {"logs", cmd_logs, CMD_LOGS, NULL, NULL},
        {"ls", cmd_ps, CMD_PS, NULL, NULL},
        {"pause", cmd_pause, CMD_PAUSE, NULL, NULL},
        {"port", cmd_port, CMD_PORT, NULL, NULL},
        {"prune", cmd_container_prune, "[OPTIONS]", "Remove all stopped containers",
         cli_container_prune_flags, 0, 0, 0, NULL, NULL},
        {"ps", cmd_ps, CMD_PS, NULL, NULL},
        {"remove", cmd_rm, CMD_RM, NULL, NULL},
        {"rename", cmd_rename, CMD_RENAME, NULL, NULL},
        {"restart", cmd_restart, CMD_RESTART, NULL, NULL},
        {"rm", cmd_rm, CMD_RM, NULL, NULL},
        {"run", cmd_run, CMD_RUN, NULL, NULL},
        {"start", cmd_start, CMD_START, NULL, NULL},
        {"stats", cmd_stats, CMD_STATS, NULL, NULL},
        {"stop", cmd_stop, CMD_STOP, NULL, NULL},
        {"top", cmd_top, CMD_TOP, NULL, NULL},
        {"unpause", cmd_unpause, CMD_UNPAUSE, NULL, NULL},
        {"update", cmd_update, CMD_UPDATE, NULL, NULL},
        {"wait", cmd_wait, CMD_WAIT, NULL, NULL},
        {NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, NULL},
};

const struct cli_command cli_commands[] = {
        {"run", cmd_run, CMD_RUN, NULL, "common"},
        {"exec", cmd_exec, CMD_EXEC, NULL, "common"},
        {"ps", cmd_ps, CMD_PS, NULL, "common"},
        {"images", cmd_images, CMD_IMAGES, NULL, "common"},
        {"pull", cmd_pull, CMD_PULL, NULL, "common"},
        {"push", cmd_push, CMD_PUSH, NULL, "common"},
        {"login", cmd_login, "[OPTIONS] [SERVER]",
         "Authenticate to a registry (Docker Hub when no server is given)", cli_login_flags,
         FLAGS_INTERSPERSED, 0, 1, NULL, "common"},
        {"logout", cmd_logout, "[SERVER]",
         "Log out from a registry (Docker Hub when no server is given)", NULL, FLAGS_INTERSPERSED,
         0, 1, NULL, "common"},
        {"image", NULL, "COMMAND", "Manage images", NULL, 0, 0, 0, image_commands, "management"},
        {"history", cmd_history, CMD_HISTORY, NULL, NULL},
        {"inspect", cmd_inspect, "[OPTIONS] NAME|ID [NAME|ID...]",
         "Return low-level information on Docker objects", cli_inspect_flags, 0, 1, -1, NULL, NULL},
        {"rmi", cmd_rmi, CMD_RMI, NULL, NULL},
        {"tag", cmd_tag, CMD_TAG, NULL, NULL},
        {"save", cmd_save, CMD_SAVE, NULL, NULL},
        {"load", cmd_load, CMD_LOAD, NULL, NULL},
        {"import", cmd_import, CMD_IMPORT, NULL, NULL},
        {"system", NULL, "COMMAND", "Manage husk", NULL, 0, 0, 0, system_commands, "management"},
        {"container", NULL, "COMMAND", "Manage containers", NULL, 0, 0, 0, container_commands,
         "management"},
        {"attach", cmd_attach, CMD_ATTACH, NULL, NULL},
        {"cp", cmd_cp, CMD_CP, NULL, NULL},
        {"create", cmd_create, CMD_CREATE, NULL, NULL},
        {"diff", cmd_diff, CMD_DIFF, NULL, NULL},
        {"export", cmd_export, CMD_EXPORT, NULL, NULL},
        {"kill", cmd_kill, CMD_KILL, NULL, NULL},
        {"logs", cmd_logs, CMD_LOGS, NULL, NULL},
        {"pause", cmd_pause, CMD_PAUSE, NULL, NULL},
        {"port", cmd_port, CMD_PORT, NULL, NULL},
        {"rename", cmd_rename, CMD_RENAME, NULL, NULL},
        {"restart", cmd_restart, CMD_RESTART, NULL, NULL},
        {"rm", cmd_rm, CMD_RM, NULL, NULL},
        {"start", cmd_start, CMD_START, NULL, NULL},
        {"stats", cmd_stats, CMD_STATS, NULL, NULL},
        {"stop", cmd_stop, CMD_STOP, NULL, NULL},
        {"top", cmd_top, CMD_TOP, NULL, NULL},
        {"unpause", cmd_unpause, CMD_UNPAUSE, NULL, NULL},
        {"update", cmd_update, CMD_UPDATE, NULL, NULL},
        {"wait", cmd_wait, CMD_WAIT, NULL, NULL},
        {"completion", cmd_completion, "bash|zsh",
         "Print a shell completion script (generated from the command table)", cli_no_flags, 0, 1,
         1, NULL, NULL},
        {"network", NULL, "COMMAND", "Manage networks", NULL, 0, 0, 0, network_commands,
         "management"},
        {"volume", NULL, "COMMAND", "Manage volumes", NULL, 0, 0, 0, volume_commands, "management"},
        {"events", cmd_events, "[OPTIONS]", "Get real time events from the server",
         cli_events_flags, FLAGS_INTERSPERSED, 0, 0, NULL, NULL},
        {"info", cmd_info, "[OPTIONS]", "Display system-wide information", info_flags,
         FLAGS_INTERSPERSED, 0, 0, NULL, NULL},
        {"version", cmd_version, "[OPTIONS]", "Show the husk version information", version_flags,
         FLAGS_INTERSPERSED, 0, 0, NULL, NULL},
        {NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, NULL},
};
