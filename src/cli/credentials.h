/* credentials.h — the registry credentials of husk's CLI, in Docker's
 * config.json shape: {"auths":{"127.0.0.1:5000":{"auth":"<base64 of
 * user:password>"}}}, Docker Hub filed under "https://index.docker.io/v1/".
 *
 * Written only to husk's own file ($HUSK_CONFIG/config.json, else
 * ~/.husk/config.json: directory 0700, file 0600, replaced atomically,
 * every other key kept); read from it first, then from docker's
 * ($DOCKER_CONFIG/config.json, else ~/.docker/config.json), which is never
 * written. Credential helpers (credsStore, credHelpers) are not supported:
 * a lookup that would need one says so and finds nothing. Never prints; a
 * password never appears in a message.
 */
#pragma once

#include <stdbool.h>
#include "base/error.h"

#define CRED_DOCKER_HUB_KEY "https://index.docker.io/v1/"
#define CRED_CONFIG_MAX     (4u << 20) /* a config.json larger than this is refused */

struct cred {
	char *username;
	char *password;
	char *identity_token; /* stored instead of the password when the registry gave one */
};
/* Free and zero the strings; accepts an empty cred. */
void cred_release(struct cred *c);

/* The key credentials for server are filed under, as docker files them:
 * Docker Hub's names ("", "docker.io", "index.docker.io",
 * "registry-1.docker.io", "https://index.docker.io/v1/") give
 * CRED_DOCKER_HUB_KEY; others host[:port], without scheme or path. NULL on
 * OOM. */
char *cred_key(const char *server);
/* The key of the registry an image name lives in: "busybox" and
 * "user/app" → CRED_DOCKER_HUB_KEY, "127.0.0.1:5000/a/b:v1" →
 * "127.0.0.1:5000", "localhost/x" → "localhost". NULL on OOM. */
char *cred_key_of_image(const char *image);

/* The config.json files: husk's own, docker's. NULL with *err when
 * neither the environment variable nor HOME gives a directory. */
char *cred_husk_config_path(struct husk_error **err);
char *cred_docker_config_path(struct husk_error **err);

/* The credentials filed under key (cred_key() form): husk's file first,
 * then docker's. 0 with *ret filled; -ENOENT when there are none, with
 * *ret_warning (may be NULL) saying so when only an unsupported credential
 * helper has them; -EINVAL naming the file when one is malformed.
 * ret_source (may be NULL) gets the file they came from. */
int cred_lookup(const char *key, struct cred *ret, char **ret_source, char **ret_warning,
                struct husk_error **err);
/* File c under key in husk's config.json (any older entry for the same
 * registry under another spelling is replaced). ret_path (may be NULL)
 * gets the file written. A malformed existing file is an error, never
 * overwritten. */
int cred_store(const char *key, const struct cred *c, char **ret_path, struct husk_error **err);
/* Remove the entries of key from husk's config.json: 1 when one was
 * removed, 0 when there was none. */
int cred_erase(const char *key, struct husk_error **err);
/* The X-Registry-Auth header value: base64url of {"username",
 * "password", "identitytoken", "serveraddress"}; "e30=" ({}) when c is
 * NULL or empty (anonymous). NULL on OOM. */
char *cred_header(const struct cred *c, const char *server);
