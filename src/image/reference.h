/* reference.h — image references, normalised exactly as Docker does.
 *
 * "busybox" is docker.io/library/busybox:latest; "user/app" is
 * docker.io/user/app:latest; "host:5000/a/b:tag", "localhost/a",
 * "[::1]:5000/x" name other registries. The grammar is that of
 * distribution/reference (name [":" tag] ["@" digest]) with Docker's
 * normalisation (ParseNormalizedNamed) on top, and the errors use Docker's
 * words ("invalid reference format: …") so that scripts matching them work.
 * Digests are sha256 only (base/digest). Pure string work: this module never
 * looks anything up.
 */
#pragma once

#include <stdbool.h>
#include "base/digest.h"
#include "base/error.h"

#define IMAGE_REF_DEFAULT_DOMAIN "docker.io"
#define IMAGE_REF_DEFAULT_TAG    "latest"
#define IMAGE_REF_NAME_MAX       255 /* characters of the path (repository name) */
#define IMAGE_REF_TAG_MAX        128

struct image_ref {
	char *domain; /* "docker.io", "127.0.0.1:5000", "localhost", "[::1]:5000" */
	char *path;   /* "library/busybox", "a/b/c" */
	char *tag;    /* NULL when only a digest was given; "latest" when neither */
	bool has_digest;
	struct digest digest;
};

/* Parse and normalise s. -EINVAL with Docker's message:
 * `invalid reference format: repository name (library/Foo) must be lowercase`,
 * `invalid reference format: invalid tag "-x": …`,
 * `repository name must not be more than 255 characters`,
 * `invalid repository name (<64 hex>), cannot specify 64-byte hexadecimal strings`.
 * A name with both tag and digest keeps both. *ret is untouched on failure. */
int image_ref_parse(const char *s, struct image_ref *ret, struct husk_error **err);

/* The reference that `docker tag`'s repo and tag query parameters make:
 * repo parsed as above, its tag replaced by tag unless tag is NULL or empty.
 * -EINVAL for a digested repo ("refusing to create a tag with a digest
 * reference") or a bad tag ("invalid tag format"). */
int image_ref_with_tag(const char *repo, const char *tag, struct image_ref *ret,
                       struct husk_error **err);

/* "docker.io/library/busybox:latest", "…@sha256:…", "…:tag@sha256:…".
 * NULL on OOM (the same for all the string functions below). */
char *image_ref_string(const struct image_ref *r);
/* Docker's short form, as `docker images` shows it: "busybox:latest",
 * "user/app:v1", "127.0.0.1:5000/bb:v1", "busybox@sha256:…". */
char *image_ref_familiar(const struct image_ref *r);
/* The name without tag or digest: "docker.io/library/busybox". */
char *image_ref_repository(const struct image_ref *r);
/* The familiar form of a full reference string ("docker.io/library/
 * busybox:latest" → "busybox:latest"; with repo_only, "busybox"). A string
 * that does not parse is returned as is. NULL on OOM. */
char *image_ref_familiar_of(const char *full, bool repo_only);
/* The familiar name without tag or digest: "busybox", "user/app". */
char *image_ref_familiar_repository(const struct image_ref *r);

/* Deep copy; -ENOMEM (ret then empty). */
int image_ref_copy(const struct image_ref *src, struct image_ref *ret);
/* Free the strings and zero *r; accepts a zeroed or released ref. */
void image_ref_release(struct image_ref *r);

/* True for a full image ID: "sha256:<64 hex>" or the bare 64 hex digits
 * (which Docker refuses as a repository name for that reason). */
bool image_ref_is_id(const char *s);
/* True for an ID prefix usable in lookups: 1..64 lower-case hex digits,
 * optionally after "sha256:". */
bool image_id_prefix_valid(const char *s);
