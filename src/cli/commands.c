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

static const struct cli_command image_commands[] = {
        {"history", cmd_history, CMD_HISTORY, NULL, NULL},
        {"import", cmd_import, CMD_IMPORT, NULL, NULL},
        {"inspect", cmd_image_inspect, CMD_INSPECT, NULL, NULL},
        {"load", cmd_load, CMD_LOAD, NULL, NULL},
        {"ls", cmd_images, CMD_IMAGES, NULL, NULL},
        {"prune", cmd_image_prune, "[OPTIONS]", "Remove unused images", prune_flags, 0, 0, 0, NULL,
         NULL},
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

const struct cli_command cli_commands[] = {
        {"images", cmd_images, CMD_IMAGES, NULL, "common"},
        {"image", NULL, "COMMAND", "Manage images", NULL, 0, 0, 0, image_commands, "management"},
        {"history", cmd_history, CMD_HISTORY, NULL, NULL},
        {"inspect", cmd_image_inspect, CMD_INSPECT, NULL, NULL},
        {"rmi", cmd_rmi, CMD_RMI, NULL, NULL},
        {"tag", cmd_tag, CMD_TAG, NULL, NULL},
        {"save", cmd_save, CMD_SAVE, NULL, NULL},
        {"load", cmd_load, CMD_LOAD, NULL, NULL},
        {"import", cmd_import, CMD_IMPORT, NULL, NULL},
        {"system", NULL, "COMMAND", "Manage husk", NULL, 0, 0, 0, system_commands, "management"},
        {"info", cmd_info, "[OPTIONS]", "Display system-wide information", info_flags,
         FLAGS_INTERSPERSED, 0, 0, NULL, NULL},
        {"version", cmd_version, "[OPTIONS]", "Show the husk version information", version_flags,
         FLAGS_INTERSPERSED, 0, 0, NULL, NULL},
        {NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, NULL},
};
