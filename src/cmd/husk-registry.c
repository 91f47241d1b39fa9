/* husk-registry — a private OCI distribution registry.
 * main() parses the command line and calls src/registry/server.h. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "base/str.h"
#include "cli/flags.h"
#include "husk-config.h"
#include "registry/server.h"

#define END_FLAGS                                                                                  \
	{                                                                                          \
		NULL, 0, 0, NULL, NULL, NULL                                                       \
	}

static const struct flag_spec serve_flags[] = {
        {"addr", 0, FLAG_STRING, REGISTRY_DEFAULT_ADDR, "Address to listen on (host:port)", NULL},
        {"root", 0, FLAG_STRING, REGISTRY_DEFAULT_ROOT, "Storage directory", NULL},
        {"htpasswd", 0, FLAG_STRING, NULL, "Require basic auth from this bcrypt htpasswd file",
         "file"},
        {"tls-cert", 0, FLAG_STRING, NULL, "TLS certificate (PEM)", "file"},
        {"tls-key", 0, FLAG_STRING, NULL, "TLS private key (PEM)", "file"},
        {"read-only", 0, FLAG_BOOL, NULL, "Refuse every write (405 UNSUPPORTED)", NULL},
        {"log-level", 'l', FLAG_STRING, "info",
         "Set the logging level (\"debug\"|\"info\"|\"warn\"|\"error\")", NULL},
        {"upload-ttl", 0, FLAG_STRING, "1h", "Remove uploads idle for longer than this",
         "duration"},
        {"max-connections", 0, FLAG_INT, "256", "Connections served at once (more get 429)", NULL},
        {"max-blob-size", 0, FLAG_INT, "0", "Largest blob accepted in bytes (0: no limit)", NULL},
        END_FLAGS,
};

static const struct flag_spec gc_flags[] = {
        {"root", 0, FLAG_STRING, REGISTRY_DEFAULT_ROOT, "Storage directory", NULL},
        {"dry-run", 'd', FLAG_BOOL, NULL, "Report what would be deleted, delete nothing", NULL},
        {"delete-untagged", 'm', FLAG_BOOL, NULL, "Also delete manifests no tag references", NULL},
        {"upload-ttl", 0, FLAG_STRING, "1h", "Remove uploads idle for longer than this",
         "duration"},
        END_FLAGS,
};

static const struct flag_spec top_flags[] = {
        {"version", 'v', FLAG_BOOL, NULL, "Print version information and quit", NULL},
        END_FLAGS,
};

static void usage(FILE *out)
{
	fprintf(out, "Usage:\thusk-registry COMMAND [OPTIONS]\n\n"
	             "A private OCI distribution registry.\n\n"
	             "Commands:\n"
	             "  serve       Serve the registry over HTTP(S)\n"
	             "  gc          Delete blobs no manifest references\n\n"
	             "Options:\n");
	flags_print_usage(out, top_flags);
	fprintf(out, "\nRun 'husk-registry COMMAND --help' for the options of a command.\n");
}

static void command_usage(FILE *out, const char *cmd, const char *what,
                          const struct flag_spec *specs)
{
	fprintf(out, "Usage:\thusk-registry %s [OPTIONS]\n\n%s\n\nOptions:\n", cmd, what);
	flags_print_usage(out, specs);
}

/* "90", "90s", "30m", "1h" → seconds. */
static int parse_duration(const char *s, int64_t *ret, struct husk_error **err)
{
	_cleanup_free_ char *num = strdup(s);
	size_t len = num ? strlen(num) : 0;
	int64_t mult = 1, v;

	if (!num)
		return error_set(err, ENOMEM, "out of memory");
	if (len > 0 && strchr("smh", num[len - 1])) {
		mult = num[len - 1] == 'h' ? 3600 : num[len - 1] == 'm' ? 60 : 1;
		num[len - 1] = 0;
	}
	if (str_to_int64(num, &v) < 0 || v < 0 || v > INT64_MAX / mult)
		return error_set(
		        err, EINVAL,
		        "invalid duration \"%s\": expected seconds, or a number with s, m or h", s);
	*ret = v * mult;
	return 0;
}

static int serve(const struct flags *f, struct husk_error **err)
{
	_cleanup_(registry_server_freep) struct registry_server *srv = NULL;
	struct registry_server_config cfg = {
	        .addr = flags_string(f, "addr"),
	        .root = flags_string(f, "root"),
	        .htpasswd = flags_string(f, "htpasswd"),
	        .tls_cert = flags_string(f, "tls-cert"),
	        .tls_key = flags_string(f, "tls-key"),
	        .read_only = flags_bool(f, "read-only"),
	};
	enum log_level level;
	sigset_t set;
	int sig = 0;

	if (log_level_parse(flags_string(f, "log-level"), &level) < 0)
		return error_set(err, EINVAL,
		                 "invalid log level \"%s\": expected debug, info, warn or error",
		                 flags_string(f, "log-level"));
	log_set_level(level);
	if (parse_duration(flags_string(f, "upload-ttl"), &cfg.upload_ttl, err) < 0)
		return -EINVAL;
	if (flags_int(f, "max-connections") <= 0 || flags_int(f, "max-connections") > 65536 ||
	    flags_int(f, "max-blob-size") < 0)
		return error_set(err, EINVAL,
		                 "--max-connections must be 1..65536 and "
		                 "--max-blob-size not negative");
	cfg.max_connections = (unsigned)flags_int(f, "max-connections");
	cfg.max_blob_size = (uint64_t)flags_int(f, "max-blob-size");
	srv = registry_server_new(&cfg, err);
	if (!srv || registry_server_start(srv, err) < 0)
		return -EIO;
	log_info("husk-registry %s listening on %s%s (storage %s%s%s)", HUSK_VERSION,
	         registry_server_address(srv), cfg.tls_cert ? " with TLS" : "", cfg.root,
	         cfg.read_only ? ", read-only" : "", cfg.htpasswd ? ", basic auth" : "");
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	while (sigwait(&set, &sig) != 0)
		;
	log_info("received %s, shutting down", strsignal(sig));
	registry_server_stop(srv);
	log_info("husk-registry stopped");
	return 0;
}

static void gc_report(const char *kind, const char *repo, const char *what, void *data)
{
	const bool *dry = data;

	printf("%s %s %s%s%s\n", *dry ? "would delete" : "deleted", kind, repo ? repo : "",
	       repo ? "@" : "", what);
}

static int gc(const struct flags *f, struct husk_error **err)
{
	struct registry_gc_stats st = {0};
	enum registry_gc_flags gf = 0;
	bool dry = flags_bool(f, "dry-run");
	int64_t ttl;
	int r;

	if (parse_duration(flags_string(f, "upload-ttl"), &ttl, err) < 0)
		return -EINVAL;
	if (dry)
		gf |= REGISTRY_GC_DRY_RUN;
	if (flags_bool(f, "delete-untagged"))
		gf |= REGISTRY_GC_DELETE_UNTAGGED;
	r = registry_gc(flags_string(f, "root"), gf, ttl, gc_report, &dry, &st, err);
	if (r < 0)
		return r;
	printf("%u blobs marked, %u blobs %s, %u manifests %s, %u uploads %s\n", st.blobs_marked,
	       st.blobs_deleted, dry ? "eligible for deletion" : "deleted", st.manifests_deleted,
	       dry ? "eligible for deletion" : "deleted", st.uploads_deleted,
	       dry ? "eligible for deletion" : "deleted");
	return 0;
}

static const struct {
	const char *name, *what;
	const struct flag_spec *flags;
	int (*run)(const struct flags *f, struct husk_error **err);
} commands[] = {
        {"serve", "Serve the registry over HTTP(S).", serve_flags, serve},
        {"gc", "Delete blobs no manifest references, and abandoned uploads.", gc_flags, gc},
};

static int run_command(int argc, char **argv, struct husk_error **err)
{
	_cleanup_(flags_freep) struct flags *f = NULL;

	for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
		if (!streq(argv[1], commands[i].name))
			continue;
		if (flags_parse(commands[i].flags, argc - 2, argv + 2, FLAGS_INTERSPERSED, &f,
		                err) < 0)
			return error_wrap(err, "%s", commands[i].name);
		if (flags_help(f)) {
			command_usage(stdout, commands[i].name, commands[i].what,
			              commands[i].flags);
			return 0;
		}
		if (flags_nargs(f) > 0)
			return error_set(err, EINVAL, "%s takes no arguments, got \"%s\"",
			                 commands[i].name, flags_args(f)[0]);
		return commands[i].run(f, err);
	}
	return error_set(err, EINVAL, "unknown command \"%s\": expected serve or gc", argv[1]);
}

int main(int argc, char **argv)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_(flags_freep) struct flags *f = NULL;
	sigset_t set;

	/* blocked before any thread exists: only sigwait() in serve sees them */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (argc < 2 || argv[1][0] == '-') {
		if (flags_parse(top_flags, argc - 1, argv + 1, FLAGS_STOP_AT_FIRST_ARG, &f, &err) <
		    0) {
			fprintf(stderr, "husk-registry: %s\n", error_message(err));
			return 2;
		}
		if (flags_bool(f, "version")) {
			printf("husk-registry version %s, build %s\n", HUSK_VERSION,
			       HUSK_GIT_COMMIT);
			return 0;
		}
		usage(flags_help(f) ? stdout : stderr);
		return flags_help(f) ? 0 : 2;
	}
	if (run_command(argc, argv, &err) < 0) {
		fprintf(stderr, "husk-registry: %s\n", error_message(err));
		return 1;
	}
	return 0;
}
