/* fuzz_image_config.c — image_config_parse() of image/config.h on the
 * input as an image config blob; a parsed config must be consistent, render
 * Docker's inspect "Config" object and its chain IDs.
 */
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/str.h"
#include "base/timefmt.h"
#include "fuzz.h"
#include "image/config.h"

static void check_sorted(char *const *v)
{
	for (size_t i = 0; v && v[i] && v[i + 1]; i++)
		if (strcmp(v[i], v[i + 1]) > 0)
			abort();
}

static void check_docker_json(const struct image_config *c)
{
	_cleanup_json_ json_t *j = image_config_docker_json(c);
	_cleanup_free_ char *text = NULL;

	if (!j)
		return; /* out of memory */
	if (c->has_config != json_is_object(j) || (!c->has_config && !json_is_null(j)))
		abort();
	text = json_compact(j);
	if (c->has_config && text && !strstr(text, "\"Env\""))
		abort();
}

static void check_chain_ids(const struct image_config *c)
{
	struct digest *ids;

	if (c->n_diff_ids == 0)
		return;
	ids = calloc(c->n_diff_ids, sizeof(*ids));
	if (!ids)
		return;
	image_chain_ids(c->diff_ids, c->n_diff_ids, ids);
	if (!streq(ids[0].str, c->diff_ids[0].str))
		abort();
	for (size_t i = 0; i < c->n_diff_ids; i++)
		if (!digest_valid(ids[i].str))
			abort();
	free(ids);
}

/* RFC 3339 text written back from a parsed time reads as the same time. */
static void check_time_round_trip(const struct timespec *t)
{
	_cleanup_free_ char *s = rfc3339_format(t);
	struct timespec back;

	if (!s)
		return; /* outside 0000..9999 once moved to UTC, or out of memory */
	if (rfc3339_parse(s, &back) < 0 || back.tv_sec != t->tv_sec || back.tv_nsec != t->tv_nsec)
		abort();
}

static void check_config(const char *buf, size_t len, const struct image_config *c)
{
	struct digest d;
	struct timespec ts;

	digest_buf(buf, len, &d);
	if (!streq(d.str, c->digest.str) || !json_is_object(c->raw))
		abort();
	if (c->created &&
	    (rfc3339_parse(c->created, &ts) < 0 || ts.tv_sec != c->created_ts.tv_sec ||
	     ts.tv_nsec != c->created_ts.tv_nsec))
		abort();
	if (c->created)
		check_time_round_trip(&c->created_ts);
	if (c->history_short && c->n_history == 0)
		abort();
	for (size_t i = 0; i < c->n_history; i++)
		if (c->history[i].created && rfc3339_parse(c->history[i].created, &ts) < 0)
			abort();
	if (c->labels && !json_is_object(c->labels))
		abort();
	if (c->healthcheck && !json_is_object(c->healthcheck))
		abort();
	check_sorted(c->exposed_ports);
	check_sorted(c->volumes);
	if (!c->has_config && (c->env || c->cmd || c->entrypoint || c->user || c->labels))
		abort();
	check_docker_json(c);
	check_chain_ids(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_(image_config_freep) struct image_config *c = NULL;
	int r = image_config_parse((const char *)data, size, &c, &err);

	if (r < 0) {
		fuzz_check_failure(r, err);
		if (c)
			abort();
		return 0;
	}
	if (!c)
		abort();
	check_config((const char *)data, size, c);
	return 0;
}
