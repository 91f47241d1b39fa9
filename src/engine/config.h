/* config.h — huskd's configuration: defaults, command-line flags and
 * daemon.json (dockerd's keys and rules).
 *
 * Unknown keys and keys given both as a flag and in the file are errors,
 * as dockerd makes them. Keys that later subsystems read (registry
 * mirrors, bip, log-opts, …) are type-checked here and kept in `file`.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include "base/error.h"

#define HUSK_DEFAULT_DATA_ROOT   "/var/lib/husk"
#define HUSK_DEFAULT_EXEC_ROOT   "/run/husk"
#define HUSK_DEFAULT_CONFIG_FILE "/etc/husk/daemon.json"
#define HUSK_SOCKET_NAME         "husk.sock"
#define DAEMON_JSON_MAX          (1u << 20)

struct engine_config {
	char *data_root;
	char *exec_root;
	char *pidfile;    /* default <exec-root>/huskd.pid */
	char **hosts;     /* default unix://<exec-root>/husk.sock */
	char *group;      /* socket group; NULL = root only */
	char *log_level;  /* debug|info|warn|error|fatal */
	char *log_format; /* text|json */
	char *config_file;
	char *cgroup_driver;  /* cgroupfs (default) | systemd, from exec-opts */
	char *storage_driver; /* NULL = choose (overlay2, else vfs) */
	char *userns_remap;   /* "USER[:GROUP]", "UID[:GID]" or "default"; NULL = off */
	bool debug;
	bool live_restore;
	bool tls, tlsverify; /* -H tcp:// needs tlsverify unless loopback */
	char *tlscacert, *tlscert, *tlskey;
	json_t *file; /* daemon.json as parsed (an empty object when absent) */
};

/* Fill defaults that do not depend on other settings. -ENOMEM. */
int engine_config_init(struct engine_config *c);
/* Read daemon.json at c->config_file (a missing file is fine unless
 * `required`), refusing unknown keys, wrong types, and keys also given as
 * flags (`flag_keys`: the daemon.json names of the flags set, e.g.
 * "data-root"). Then derive defaults that depend on others (pidfile,
 * hosts). */
int engine_config_load(struct engine_config *c, bool required, char *const *flag_keys,
                       struct husk_error **err);
/* The default API socket path for an exec root. NULL on OOM. */
char *engine_socket_path(const char *exec_root);
void engine_config_release(struct engine_config *c);
