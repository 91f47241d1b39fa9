/* registry.h — the distribution-spec client: pull, push and login against
 * any OCI registry (Docker Hub, distribution's registry, husk-registry).
 *
 * Speaks HTTP through libcurl: TLS with the system CAs plus per-registry
 * CA and client-certificate dirs (certs.d), plain HTTP only for insecure
 * registries and loopback; anonymous, basic and bearer-token auth from the
 * WWW-Authenticate challenge. Every blob is verified against its digest as
 * it streams into the store; manifests against Docker-Content-Digest and
 * the requested digest. Credentials go only to the registry host they were
 * given for: never to a redirect on another host, never to a foreign-layer
 * URL (CVE-2020-15157 class), never into a log line or an error message.
 * Nothing here prints: progress goes to a callback as events that the API
 * turns into Docker's JSON progress messages.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "base/digest.h"
#include "base/error.h"
#include "store/store.h"

#define REGISTRY_DOCKER_HUB_HOST "registry-1.docker.io" /* the API host of docker.io */
#define REGISTRY_MAX_PARALLEL    3                      /* layers transferred at once (Docker's) */

/* Credentials for one registry. All fields may be NULL. Never logged. */
struct registry_auth {
	char *username;
	char *password;
	char *identity_token; /* OAuth refresh token, as `docker login` may store */
	char *registry_token; /* a bearer token to send as is */
};
void registry_auth_release(struct registry_auth *a);

/* Looks up the credentials of a registry host ("docker.io",
 * "127.0.0.1:5000"). Return 0 with *ret filled (or left empty for
 * anonymous); the client releases it. */
typedef int (*registry_auth_lookup_fn)(const char *host, struct registry_auth *ret, void *data);

struct registry_options {
	char **insecure;   /* daemon.json insecure-registries: "host:port", CIDRs */
	char **mirrors;    /* daemon.json registry-mirrors for docker.io: "https://m.example" */
	char **certs_dirs; /* NULL: {"/etc/husk/certs.d", "/etc/docker/certs.d"} */
	registry_auth_lookup_fn auth_lookup; /* may be NULL: anonymous */
	void *auth_data;
	unsigned max_parallel;  /* 0: REGISTRY_MAX_PARALLEL */
	const char *user_agent; /* NULL: "husk/<version>" */
};

/* A progress event for one item: a layer (id = the first 12 hex of its
 * digest), or the whole operation (id NULL). `status` is Docker's word:
 * "Pulling fs layer", "Waiting", "Downloading", "Verifying Checksum",
 * "Download complete", "Extracting", "Pull complete", "Already exists",
 * "Preparing", "Pushing", "Pushed", "Layer already exists",
 * "Mounted from <repo>", or a whole line ("Pulling from library/busybox",
 * "Digest: sha256:…", "Status: Downloaded newer image for busybox:latest",
 * "Status: Image is up to date for …", "The push refers to repository […]",
 * "latest: digest: sha256:… size: 527"). current/total are bytes, total 0
 * when unknown. Called from several threads, one call at a time. */
struct registry_event {
	const char *id;
	const char *status;
	uint64_t current;
	uint64_t total;
	/* push's final aux record {"Tag","Digest","Size"}; NULL otherwise */
	const char *aux_tag;
	const char *aux_digest;
	uint64_t aux_size;
};
typedef void (*registry_progress_fn)(const struct registry_event *ev, void *data);

enum registry_pull_flags {
	REGISTRY_PULL_ALL_TAGS = 1 << 0, /* -a: every tag of the repository */
};

/* Pull ref ("busybox", "127.0.0.1:5000/a/b:v1", "x@sha256:…") for platform
 * ("linux/amd64", "linux/arm64/v8"; NULL = this host) into s: manifest
 * (an index resolved to the platform's manifest), config and the missing
 * layers, downloaded and unpacked in parallel, then the image recorded and
 * tagged (and its repo digest recorded). Layers already in the store are
 * skipped ("Already exists"). A download cut in the middle resumes with a
 * Range request; 5xx and connection resets are retried with backoff; a
 * 4xx fails with the registry's own message ("pull \"x\": manifest
 * unknown: …", -ENOENT for 404, -EACCES for 401/403). ret_id (may be NULL)
 * gets the image ID. Nothing is recorded unless everything succeeded. */
int registry_pull(struct store *s, const struct registry_options *o, const char *ref,
                  const char *platform, enum registry_pull_flags flags,
                  registry_progress_fn progress, void *data, struct digest *ret_id,
                  struct husk_error **err);

/* Push the local image ref (a tag; no tag pushes every tag of the
 * repository, as docker push does) to its registry: HEAD each blob, mount
 * it from another repository of the same registry when the store knows
 * where it came from, otherwise upload (monolithic, chunked past 32 MiB or
 * when the registry asks); the manifest PUT last. -ENOENT "No such image"
 * for a missing local image. */
int registry_push(struct store *s, const struct registry_options *o, const char *ref,
                  registry_progress_fn progress, void *data, struct husk_error **err);

/* Check credentials against server ("127.0.0.1:5000", "https://host",
 * "docker.io"; NULL = docker.io) with GET /v2/ and the token dance.
 * ret_identity_token (may be NULL) gets an identity token when the token
 * server gave one (else NULL). -EACCES with
 * `login attempt to http://127.0.0.1:5001/v2/ failed with status: 401 Unauthorized`. */
int registry_login(const struct registry_options *o, const char *server,
                   const struct registry_auth *auth, char **ret_identity_token,
                   struct husk_error **err);

/* The registry host key credentials are filed under for a server string,
 * as docker does: "docker.io" (and "https://index.docker.io/v1/") for
 * Docker Hub, else host[:port] without scheme or path. NULL on OOM. */
char *registry_host_key(const char *server);
