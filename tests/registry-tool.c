/* registry-tool — a small driver of the registry client (src/registry)
 * for the system tests (tests/system/registry_client.bats): one pull, push
 * or login per run against a store, its progress events printed one per
 * line, so that a test can read what happened.
 *
 *   registry-tool [--root DIR] [--driver D] [--insecure HOST]… [--mirror URL]…
 *                 [--certs-dir DIR]… [-u USER -p PASS] [--identity-token T]
 *                 [--registry-token T] [--auth-host HOST] [--max-parallel N] COMMAND
 *     pull REF [--platform P] [-a]  pull; prints the events, then "ID sha256:…"
 *     push REF                      push; prints the events
 *     login SERVER [-u U -p P]      check credentials; prints "Login Succeeded"
 *     load TAR                      load a docker-archive/oci-archive into the store
 *     tag IMAGE REF                 tag a local image
 *     id REF                        the image ID of a local image
 *     layers REF                    the unpacked layer directories of an image, base first
 *     sources DIGEST                the repositories the store knows to hold a blob
 *
 * Events: "<id>: <status>[ <current>/<total>]" for a layer, "<status>" for
 * the whole operation, "aux: Tag=… Digest=… Size=…" for push's record.
 * A failure prints "registry-tool: <message>" and exits with the errno.
 */
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <string.h>

#include "base/str.h"
#include "image/config.h"
#include "image/images.h"
#include "image/transfer.h"
#include "registry/internal.h"
#include "registry/registry.h"
#include "store/store.h"

struct tool {
	struct registry_options o;
	char **insecure, **mirrors, **certs_dirs;
	const char *user, *password, *identity_token, *registry_token, *auth_host;
	const char *platform;
	bool all_tags;
};

static int fail(struct husk_error *err, int r)
{
	int code = err ? error_code(err) : -r;

	fprintf(stderr, "registry-tool: %s\n", err ? error_message(err) : strerror(-r));
	error_free(err);
	return code > 0 && code < 256 ? code : 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: registry-tool [--root DIR] [OPTIONS] pull|push|login|load|tag|"
	                "id|layers|sources ARGS…\n");
	return 2;
}

static void on_event(const struct registry_event *ev, void *data)
{
	if (ev->aux_tag || ev->aux_digest)
		printf("aux: Tag=%s Digest=%s Size=%" PRIu64 "\n", ev->aux_tag ?: "",
		       ev->aux_digest ?: "", ev->aux_size);
	else if (ev->id && ev->total)
		printf("%s: %s %" PRIu64 "/%" PRIu64 "\n", ev->id, ev->status, ev->current,
		       ev->total);
	else if (ev->id)
		printf("%s: %s\n", ev->id, ev->status);
	else
		printf("%s\n", ev->status);
	fflush(stdout);
}

static int dup_opt(const char *s, char **ret)
{
	*ret = s ? strdup(s) : NULL;
	return s && !*ret ? -ENOMEM : 0;
}

static int lookup(const char *host, struct registry_auth *ret, void *data)
{
	const struct tool *t = data;

	*ret = (struct registry_auth){0};
	if (t->auth_host && !streq(t->auth_host, host))
		return 0;
	if (dup_opt(t->user, &ret->username) < 0 || dup_opt(t->password, &ret->password) < 0 ||
	    dup_opt(t->identity_token, &ret->identity_token) < 0 ||
	    dup_opt(t->registry_token, &ret->registry_token) < 0) {
		registry_auth_release(ret);
		return -ENOMEM;
	}
	return 0;
}

static int cmd_pull(struct tool *t, struct store *s, char **argv, struct husk_error **err)
{
	struct digest id;
	int r = registry_pull(s, &t->o, argv[0], t->platform,
	                      t->all_tags ? REGISTRY_PULL_ALL_TAGS : 0, on_event, NULL, &id, err);

	if (r == 0)
		printf("ID %s\n", id.str);
	return r;
}

static int cmd_push(struct tool *t, struct store *s, char **argv, struct husk_error **err)
{
	return registry_push(s, &t->o, argv[0], on_event, NULL, err);
}

static int cmd_login(struct tool *t, struct store *s, char **argv, struct husk_error **err)
{
	struct registry_auth a = {.username = (char *)t->user,
	                          .password = (char *)t->password,
	                          .identity_token = (char *)t->identity_token};
	_cleanup_free_ char *token = NULL;
	int r = registry_login(&t->o, argv[0], &a, &token, err);

	if (r == 0) {
		printf("Login Succeeded\n");
		if (token)
			printf("Identity token: %s\n", token);
	}
	return r;
}

static void print_line(const char *line, void *data)
{
	printf("%s\n", line);
}

static int cmd_load(struct tool *t, struct store *s, char **argv, struct husk_error **err)
{
	_cleanup_close_ int fd = open(argv[0], O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return error_set_errno(err, errno, "open \"%s\"", argv[0]);
	return image_load(s, fd, print_line, NULL, NULL, err);
}

static int cmd_id(struct tool *t, struct store *s, char **argv, struct husk_error **err)
{
	_cleanup_(store_image_freep) struct store_image *img = NULL;
	int r = image_resolve(s, argv[0], &img, err);

	if (r == 0)
		printf("%s\n", img->id.str);
	return r;
}

static int cmd_layers(struct tool *t, struct store *s, char **argv, struct husk_error **err)
{
	_cleanup_(store_image_freep) struct store_image *img = NULL;
	_cleanup_(image_config_freep) struct image_config *cfg = NULL;
	_cleanup_free_ struct digest *chain = NULL;
	int r = image_resolve(s, argv[0], &img, err);

	if (r == 0)
		r = image_config_load(s, img, &cfg, err);
	if (r < 0)
		return r;
	chain = calloc(cfg->n_diff_ids + 1, sizeof(*chain));
	if (!chain)
		return error_set(err, ENOMEM, "out of memory");
	image_chain_ids(cfg->diff_ids, cfg->n_diff_ids, chain);
	for (size_t i = 0; i < cfg->n_diff_ids; i++) {
		_cleanup_free_ char *dir = store_layer_dir(s, &chain[i]);
		printf("%s\n", dir ? dir : "?");
	}
	return 0;
}

static int cmd_tag(struct tool *t, struct store *s, char **argv, struct husk_error **err)
{
	return image_tag(s, argv[0], argv[1], NULL, err);
}

static int cmd_sources(struct tool *t, struct store *s, char **argv, struct husk_error **err)
{
	_cleanup_strv_ char **v = NULL;
	struct digest d;
	int r = digest_parse(argv[0], &d, err);

	if (r == 0 && (r = reg_sources_get(s, &d, &v)) < 0)
		return error_set_errno(err, -r, "sources");
	STRV_FOREACH (p, v)
		printf("%s\n", *p);
	return r;
}

static const struct {
	const char *name;
	int (*fn)(struct tool *t, struct store *s, char **argv, struct husk_error **err);
	int min_args;
	bool store;
} commands[] = {
        {"pull", cmd_pull, 1, true},       {"push", cmd_push, 1, true},
        {"login", cmd_login, 1, false},    {"load", cmd_load, 1, true},
        {"id", cmd_id, 1, true},           {"layers", cmd_layers, 1, true},
        {"sources", cmd_sources, 1, true}, {"tag", cmd_tag, 2, true},
};

enum {
	OPT_ROOT = 256,
	OPT_DRIVER,
	OPT_INSECURE,
	OPT_MIRROR,
	OPT_CERTS,
	OPT_IDENTITY,
	OPT_REGTOKEN,
	OPT_AUTH_HOST,
	OPT_PARALLEL,
	OPT_PLATFORM,
};

static const struct option options[] = {
        {"root", required_argument, NULL, OPT_ROOT},
        {"driver", required_argument, NULL, OPT_DRIVER},
        {"insecure", required_argument, NULL, OPT_INSECURE},
        {"mirror", required_argument, NULL, OPT_MIRROR},
        {"certs-dir", required_argument, NULL, OPT_CERTS},
        {"identity-token", required_argument, NULL, OPT_IDENTITY},
        {"registry-token", required_argument, NULL, OPT_REGTOKEN},
        {"auth-host", required_argument, NULL, OPT_AUTH_HOST},
        {"max-parallel", required_argument, NULL, OPT_PARALLEL},
        {"platform", required_argument, NULL, OPT_PLATFORM},
        {"user", required_argument, NULL, 'u'},
        {"password", required_argument, NULL, 'p'},
        {"all-tags", no_argument, NULL, 'a'},
        {},
};

/* Options may come before or after the command. */
static int parse(int argc, char **argv, struct tool *t, const char **root, const char **driver,
                 char ***ret_args)
{
	int c;
	uint64_t n;

	while ((c = getopt_long(argc, argv, "u:p:a", options, NULL)) != -1) {
		switch (c) {
		case OPT_ROOT:
			*root = optarg;
			break;
		case OPT_DRIVER:
			*driver = optarg;
			break;
		case OPT_INSECURE:
			if (strv_push(&t->insecure, optarg) < 0)
				return -ENOMEM;
			break;
		case OPT_MIRROR:
			if (strv_push(&t->mirrors, optarg) < 0)
				return -ENOMEM;
			break;
		case OPT_CERTS:
			if (strv_push(&t->certs_dirs, optarg) < 0)
				return -ENOMEM;
			break;
		case OPT_IDENTITY:
			t->identity_token = optarg;
			break;
		case OPT_REGTOKEN:
			t->registry_token = optarg;
			break;
		case OPT_AUTH_HOST:
			t->auth_host = optarg;
			break;
		case OPT_PARALLEL:
			if (str_to_uint64(optarg, &n) < 0 || n > 64)
				return -EINVAL;
			t->o.max_parallel = (unsigned)n;
			break;
		case OPT_PLATFORM:
			t->platform = optarg;
			break;
		case 'u':
			t->user = optarg;
			break;
		case 'p':
			t->password = optarg;
			break;
		case 'a':
			t->all_tags = true;
			break;
		default:
			return -EINVAL;
		}
	}
	*ret_args = argv + optind;
	return argc - optind;
}

int main(int argc, char **argv)
{
	struct tool t = {0};
	const char *root = NULL, *driver = NULL;
	_cleanup_(store_freep) struct store *s = NULL;
	struct husk_error *err = NULL;
	char **args = NULL;
	int n = parse(argc, argv, &t, &root, &driver, &args), rc = -1;

	if (n < 1)
		return usage();
	t.o = (struct registry_options){.insecure = t.insecure,
	                                .mirrors = t.mirrors,
	                                .certs_dirs = t.certs_dirs,
	                                .auth_lookup = lookup,
	                                .auth_data = &t,
	                                .max_parallel = t.o.max_parallel};
	if (!t.certs_dirs) {
		/* never the host's /etc/docker/certs.d in a test */
		static char *none[] = {"/nonexistent", NULL};
		t.o.certs_dirs = none;
	}
	for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
		int r;

		if (!streq(args[0], commands[i].name))
			continue;
		if (n - 1 < commands[i].min_args || (commands[i].store && !root))
			return usage();
		if (commands[i].store && (store_open(root, &s, &err) < 0 ||
		                          (driver && store_set_driver(s, driver, &err) < 0)))
			return fail(err, -EIO);
		r = commands[i].fn(&t, s, args + 1, &err);
		rc = r < 0 ? fail(err, r) : 0;
		break;
	}
	strv_free(t.insecure);
	strv_free(t.mirrors);
	strv_free(t.certs_dirs);
	return rc < 0 ? usage() : rc;
}
