/* manifest.h — image manifests, image indexes (manifest lists) and platforms.
 *
 * Parses and validates what registries and archives hand us: OCI image
 * manifests and indexes, Docker manifest v2 schema 2 and manifest lists.
 * Input is capped (MANIFEST_MAX_SIZE), every descriptor is checked (media
 * type syntax, sha256 digest, size >= 0), and errors name the field
 * ("layers[2].digest: invalid digest …"). Schema 1 is refused outright.
 * Chooses the manifest for a platform from an index with containerd's rules,
 * and writes canonical manifests for images husk makes. Never fetches,
 * never touches the store.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/digest.h"
#include "base/error.h"

#define MANIFEST_MAX_SIZE (4u << 20) /* registries cap manifests at 4 MiB too */

#define MEDIA_TYPE_OCI_INDEX             "application/vnd.oci.image.index.v1+json"
#define MEDIA_TYPE_OCI_MANIFEST          "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_TYPE_OCI_CONFIG            "application/vnd.oci.image.config.v1+json"
#define MEDIA_TYPE_OCI_LAYER             "application/vnd.oci.image.layer.v1.tar"
#define MEDIA_TYPE_OCI_LAYER_GZIP        "application/vnd.oci.image.layer.v1.tar+gzip"
#define MEDIA_TYPE_OCI_LAYER_ZSTD        "application/vnd.oci.image.layer.v1.tar+zstd"
#define MEDIA_TYPE_OCI_LAYER_ND          "application/vnd.oci.image.layer.nondistributable.v1.tar"
#define MEDIA_TYPE_OCI_LAYER_ND_GZIP     "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
#define MEDIA_TYPE_OCI_LAYER_ND_ZSTD     "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
#define MEDIA_TYPE_DOCKER_MANIFEST_LIST  "application/vnd.docker.distribution.manifest.list.v2+json"
#define MEDIA_TYPE_DOCKER_MANIFEST       "application/vnd.docker.distribution.manifest.v2+json"
#define MEDIA_TYPE_DOCKER_CONFIG         "application/vnd.docker.container.image.v1+json"
#define MEDIA_TYPE_DOCKER_LAYER          "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define MEDIA_TYPE_DOCKER_LAYER_TAR      "application/vnd.docker.image.rootfs.diff.tar"
#define MEDIA_TYPE_DOCKER_FOREIGN_LAYER  "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
#define MEDIA_TYPE_DOCKER_SCHEMA1        "application/vnd.docker.distribution.manifest.v1+json"
#define MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"

enum media_kind {
	MEDIA_KIND_UNKNOWN,
	MEDIA_KIND_INDEX,
	MEDIA_KIND_MANIFEST,
	MEDIA_KIND_CONFIG,
	MEDIA_KIND_LAYER,
	MEDIA_KIND_SCHEMA1,
};

enum layer_compression {
	LAYER_COMPRESSION_NONE,
	LAYER_COMPRESSION_GZIP,
	LAYER_COMPRESSION_ZSTD,
	LAYER_COMPRESSION_UNKNOWN, /* a layer type we accept but cannot name the compression of */
};

enum media_type_flags {
	MEDIA_TYPE_DOCKER = 1 << 0,  /* a Docker (not OCI) type */
	MEDIA_TYPE_FOREIGN = 1 << 1, /* foreign / non-distributable layer: never pushed */
};

struct media_type_info {
	const char *name;
	enum media_kind kind;
	enum layer_compression compression;
	unsigned flags; /* enum media_type_flags */
};

/* The table entry for a media type (case-insensitive, parameters after ';'
 * ignored), or NULL when it is not one we know by name. */
const struct media_type_info *media_type_lookup(const char *media_type);
/* Its kind. Like Docker's pull, any type under "application/vnd.oci.image.layer."
 * or "application/vnd.docker.image.rootfs." is a layer, even when unnamed. */
enum media_kind media_type_kind(const char *media_type);
/* LAYER_COMPRESSION_UNKNOWN for anything that is not a layer type we name. */
enum layer_compression media_type_compression(const char *media_type);

struct platform {
	bool present;       /* the descriptor carried a platform object */
	char *os;           /* "linux"; NULL when absent */
	char *architecture; /* "amd64", "arm64", "arm"; NULL when absent */
	char *variant;      /* "v7", "v8"; NULL when none */
	char *os_version;   /* NULL when none */
	char **os_features; /* NULL when none */
};

struct descriptor {
	char *media_type;
	struct digest digest;
	int64_t size;
	char **urls;         /* NULL when none */
	json_t *annotations; /* object of strings, or NULL; owned (a reference) */
	struct platform platform;
};

enum manifest_kind {
	MANIFEST_KIND_MANIFEST = 1,
	MANIFEST_KIND_INDEX,
};

struct manifest {
	char *media_type; /* of the document (its field, the hint, or OCI by structure) */
	int schema_version;
	struct descriptor config;
	struct descriptor *layers;
	size_t n_layers;
	json_t *annotations;  /* or NULL */
	json_t *raw;          /* the whole document */
	struct digest digest; /* of the exact bytes parsed */
};

struct manifest_index {
	char *media_type;
	int schema_version;
	struct descriptor *manifests;
	size_t n_manifests;
	json_t *annotations;
	json_t *raw;
	struct digest digest;
};

/* Parse and validate a manifest or an index of len bytes (at most
 * MANIFEST_MAX_SIZE: -EFBIG past it). The kind comes from the mediaType
 * field, else from media_type_hint (the Content-Type, may be NULL), else
 * from the structure ("manifests" → index, "layers"/"config" → manifest).
 * Sets *ret_kind and the matching one of *ret_manifest / *ret_index (the
 * other is set to NULL). Passing NULL for one of them refuses that kind.
 * -EINVAL naming the field; -EPROTONOSUPPORT for schema 1:
 * `manifest schema 1 is not supported: …`. */
int manifest_parse(const char *buf, size_t len, const char *media_type_hint,
                   enum manifest_kind *ret_kind, struct manifest **ret_manifest,
                   struct manifest_index **ret_index, struct husk_error **err);

void manifest_free(struct manifest *m);
void manifest_index_free(struct manifest_index *idx);
void descriptor_release(struct descriptor *d);
void platform_release(struct platform *p);
DEFINE_CLEANUP_FUNC(struct manifest *, manifest_free)
DEFINE_CLEANUP_FUNC(struct manifest_index *, manifest_index_free)

/* Parse a --platform value "os[/arch[/variant]]" or "arch", normalised as
 * containerd does: x86_64/x86-64 → amd64, aarch64 → arm64 (v8 = no
 * variant), armhf → arm/v7, armel → arm/v6, arm → arm/v7, i386 → 386,
 * macos → darwin, lower-cased. -EINVAL with `invalid platform "…": …`. */
int platform_parse(const char *s, struct platform *ret, struct husk_error **err);
/* This machine's platform from uname(2): linux/amd64, linux/arm64/v8, …
 * -ENOMEM, or -EOPNOTSUPP for a machine name we do not know. */
int platform_host(struct platform *ret);
/* "linux/arm64/v8", "unknown" without an os; NULL on OOM. */
char *platform_format(const struct platform *p);
/* How well have (an image's platform) serves want: 0 for an exact match
 * (after normalisation), higher for compatible fallbacks (arm/v6 for
 * arm/v7, 386 for amd64), -1 when it cannot run. */
int platform_rank(const struct platform *want, const struct platform *have);

/* Choose the best entry of idx for want (NULL: this host), as containerd's
 * platforms.Only does: exact variant first, then older compatible ones;
 * entries without a platform come last; entries that are not manifests or
 * indexes (attestations have platform unknown/unknown) are skipped. *ret
 * points into idx. -ENOENT with `no matching manifest for linux/amd64 in the
 * manifest list entries`. */
int manifest_index_select(const struct manifest_index *idx, const struct platform *want,
                          const struct descriptor **ret, struct husk_error **err);

/* Canonical compact JSON of a manifest husk makes (import, build, commit):
 * fixed key order as Docker (schemaVersion, mediaType, config, layers;
 * descriptors mediaType, size, digest) or buildah (OCI: mediaType, digest,
 * size; then annotations) write it, annotations with sorted keys (OCI only).
 * media_type must be MEDIA_TYPE_OCI_MANIFEST or MEDIA_TYPE_DOCKER_MANIFEST.
 * NULL on OOM or a bad media type (errno set). */
char *manifest_build(const struct descriptor *config, const struct descriptor *layers, size_t n,
                     const char *media_type, json_t *annotations);
/* The same for an index (OCI index or Docker manifest list), entries with
 * their platform when present. */
char *manifest_index_build(const struct descriptor *manifests, size_t n, const char *media_type,
                           json_t *annotations);
