/* fuzz_reference.c — image_ref_parse() and the rest of image/reference.h
 * on the input cut at NUL bytes into a reference and a tag: every form a
 * parsed reference prints (full, familiar, repository) must parse back to
 * the same reference, and the tag variant must keep what it was given.
 */
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "fuzz.h"
#include "image/reference.h"

static void check_same(const struct image_ref *a, const struct image_ref *b, bool suffix)
{
	if (!streq(a->domain, b->domain) || !streq(a->path, b->path))
		abort();
	if (!suffix)
		return;
	if (!streq_ptr(a->tag, b->tag) || a->has_digest != b->has_digest)
		abort();
	if (a->has_digest && !streq(a->digest.str, b->digest.str))
		abort();
}

/* text, printed from ref, parses back to ref (with its tag and digest, or,
 * without suffix, to the bare name with the default tag). */
static void check_reparse(const struct image_ref *ref, char *text, bool suffix)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_free_ char *owned = text;
	struct image_ref back = {0};

	if (!text)
		return; /* out of memory */
	/* "a…:tag" with 64 hex digits before the tag parses, the bare name
	 * does not (Docker refuses what looks like an image ID) */
	if (!suffix && digest_hex_valid(text))
		return;
	if (image_ref_parse(text, &back, &err) < 0)
		abort();
	check_same(ref, &back, suffix);
	if (!suffix && (back.has_digest || !streq(back.tag, IMAGE_REF_DEFAULT_TAG)))
		abort();
	image_ref_release(&back);
}

/* ref parsed from s (NULL: ref was made otherwise). */
/* Docker's familiar form drops "docker.io/" even when the first component
 * of what is left reads as a domain ("docker.io/a.b/c" shows as "a.b/c",
 * which names registry a.b): distribution/reference does the same, so such
 * a name is shown as Docker shows it and not expected to parse back. */
static bool familiar_ambiguous(const struct image_ref *ref)
{
	size_t n = strcspn(ref->path, "/");

	if (!streq(ref->domain, IMAGE_REF_DEFAULT_DOMAIN) || !ref->path[n])
		return false;
	return memchr(ref->path, '.', n) || memchr(ref->path, ':', n) ||
	       (n == 9 && strncmp(ref->path, "localhost", 9) == 0);
}

static void check_parsed(const char *s, const struct image_ref *ref)
{
	_cleanup_free_ char *familiar = image_ref_familiar(ref), *of = NULL;
	struct image_ref copy = {0};
	bool ambiguous = familiar_ambiguous(ref);

	if (!ref->domain || !ref->path || (!ref->tag && !ref->has_digest))
		abort();
	if (strlen(ref->path) > IMAGE_REF_NAME_MAX ||
	    (ref->tag && strlen(ref->tag) > IMAGE_REF_TAG_MAX))
		abort();
	check_reparse(ref, image_ref_string(ref), true);
	if (!ambiguous)
		check_reparse(ref, familiar ? strdup(familiar) : NULL, true);
	check_reparse(ref, image_ref_repository(ref), false);
	if (!ambiguous)
		check_reparse(ref, image_ref_familiar_repository(ref), false);
	of = s ? image_ref_familiar_of(s, false) : NULL;
	if (of && familiar && !streq(of, familiar))
		abort();
	if (image_ref_copy(ref, &copy) == 0) {
		check_same(ref, &copy, true);
		image_ref_release(&copy);
	}
}

static void with_tag(const char *repo, const char *tag)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct image_ref ref = {0};
	int r = image_ref_with_tag(repo, tag, &ref, &err);

	if (r < 0) {
		fuzz_check_failure(r, err);
		return;
	}
	if (ref.has_digest || (!isempty(tag) && !streq(ref.tag, tag)))
		abort();
	check_parsed(NULL, &ref);
	image_ref_release(&ref);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct image_ref ref = {0};
	const char *parts[2];
	_cleanup_free_ char *buf = fuzz_split(data, size, parts, 2, NULL);
	int r;

	if (!buf)
		return 0;
	r = image_ref_parse(parts[0], &ref, &err);
	if (r == 0) {
		check_parsed(parts[0], &ref);
		image_ref_release(&ref);
	} else {
		_cleanup_free_ char *of = image_ref_familiar_of(parts[0], true);

		fuzz_check_failure(r, err);
		/* what does not parse is shown as it is */
		if (of && !streq(of, parts[0]))
			abort();
	}
	with_tag(parts[0], parts[1]);
	/* a full ID is a valid ID prefix */
	if (image_ref_is_id(parts[0]) && !image_id_prefix_valid(parts[0]))
		abort();
	return 0;
}
