/* config.h — the image configuration (OCI image config / Docker image JSON).
 *
 * Parses and validates the config blob an image manifest points to: the
 * platform, the process defaults (the "config" object: User, Env, Cmd, …),
 * rootfs.diff_ids and history, capped at IMAGE_CONFIG_MAX_SIZE. Keeps the
 * document verbatim for passthrough (docker inspect), renders Docker's
 * inspect "Config" shape, and computes chain IDs. Never reads the store.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include "base/digest.h"
#include "base/error.h"

#define IMAGE_CONFIG_MAX_SIZE (8u << 20)

struct image_history {
	char *created; /* RFC 3339 as written, or NULL */
	char *created_by;
	char *author;
	char *comment;
	bool empty_layer;
};

struct image_config {
	char *architecture; /* NULL when absent (all the strings below too) */
	char *os;
	char *variant;
	char *os_version;
	char *created;              /* RFC 3339 as written */
	struct timespec created_ts; /* parsed; zero when created is NULL */
	char *author;

	/* The "config" object: the defaults a container of this image starts with. */
	bool has_config;
	char *user;
	char **env;        /* NULL when absent; an empty vector for [] */
	char **entrypoint; /* a JSON string is taken as a one-word list, as Docker does */
	char **cmd;
	char *working_dir;
	json_t *labels;       /* object of strings, or NULL (a reference) */
	char **exposed_ports; /* the keys of ExposedPorts ("80/tcp"), or NULL */
	char **volumes;       /* the keys of Volumes, or NULL */
	char *stop_signal;
	json_t *healthcheck; /* verbatim, or NULL (a reference) */
	char **on_build;
	char **shell;
	bool args_escaped;

	struct digest *diff_ids; /* rootfs.diff_ids */
	size_t n_diff_ids;
	struct image_history *history;
	size_t n_history;
	/* history has fewer non-empty entries than there are layers: Docker
	 * accepts that, callers may warn. */
	bool history_short;

	json_t *raw;          /* the whole document */
	struct digest digest; /* of the exact bytes parsed: the image ID */
};

/* Parse and validate len bytes (at most IMAGE_CONFIG_MAX_SIZE: -EFBIG).
 * -EINVAL naming the field: `rootfs.type: expected "layers", got "x"`,
 * `rootfs.diff_ids[1]: invalid digest …`, `created: invalid time "…"`,
 * `history: too many non-empty layers in History section (3, but 2 diff_ids)`. */
int image_config_parse(const char *buf, size_t len, struct image_config **ret,
                       struct husk_error **err);
void image_config_free(struct image_config *c);
DEFINE_CLEANUP_FUNC(struct image_config *, image_config_free)

/* The "Config" object as Docker's image inspect shows it (API 1.43, the
 * container.Config shape): Hostname, Domainname, User, AttachStdin, …,
 * Env, Cmd, Image, Volumes, WorkingDir, Entrypoint, OnBuild, Labels, in
 * Docker's key order and with its null/omitted conventions. JSON null when
 * the image has no config object; NULL on OOM. */
json_t *image_config_docker_json(const struct image_config *c);

/* OCI chain IDs: ret[0] = diff_ids[0], ret[i] = sha256 of the text
 * "<ret[i-1]> <diff_ids[i]>" (both "sha256:<hex>"). ret has n entries. */
void image_chain_ids(const struct digest *diff_ids, size_t n, struct digest *ret);
