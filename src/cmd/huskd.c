/* huskd — the husk daemon: serves the Docker Engine API.
 * main() parses flags and calls into src/engine and src/api, nothing else. */
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "api/handlers.h"
#include "api/server.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/memshed.h"
#include "base/str.h"
#include "cli/flags.h"
#include "engine/containers.h"
#include "engine/engine.h"
#include "husk-config.h"

/* seconds without a request after which huskd sheds memory */
#define IDLE_SHED_SECONDS 5

static const struct flag_spec huskd_flags[] = {
        {"host", 'H', FLAG_LIST, NULL, "Daemon socket(s) to connect to", NULL},
        {"data-root", 0, FLAG_STRING, HUSK_DEFAULT_DATA_ROOT, "Root directory of persistent state",
         NULL},
        {"exec-root", 0, FLAG_STRING, HUSK_DEFAULT_EXEC_ROOT, "Root directory for execution state",
         NULL},
        {"pidfile", 'p', FLAG_STRING, NULL, "Path to use for daemon PID file", NULL},
        {"config-file", 0, FLAG_STRING, HUSK_DEFAULT_CONFIG_FILE, "Daemon configuration file",
         NULL},
        {"log-level", 'l', FLAG_STRING, "info",
         "Set the logging level (\"debug\"|\"info\"|\"warn\"|\"error\"|\"fatal\")", NULL},
        {"log-format", 0, FLAG_STRING, "text", "Set the logging format (\"text\"|\"json\")", NULL},
        {"group", 'G', FLAG_STRING, NULL, "Group for the unix socket (default: root only)", NULL},
        {"debug", 'D', FLAG_BOOL, NULL, "Enable debug mode", NULL},
        {"live-restore", 0, FLAG_BOOL, "true", "Keep containers running while the daemon is down",
         NULL},
        {"storage-driver", 's', FLAG_STRING, NULL, "Storage driver to use (overlay2, vfs)", NULL},
        {"userns-remap", 0, FLAG_STRING, NULL,
         "User/Group setting for user namespaces (\"default\", USER[:GROUP], UID[:GID])", NULL},
        {"tls", 0, FLAG_BOOL, NULL, "Use TLS; implied by --tlsverify", NULL},
        {"tlsverify", 0, FLAG_BOOL, NULL, "Use TLS and verify the remote (client certificates)",
         NULL},
        {"tlscacert", 0, FLAG_STRING, NULL, "Trust certs signed only by this CA", NULL},
        {"tlscert", 0, FLAG_STRING, NULL, "Path to TLS certificate file", NULL},
        {"tlskey", 0, FLAG_STRING, NULL, "Path to TLS key file", NULL},
        {"validate", 0, FLAG_BOOL, NULL, "Validate daemon configuration and exit", NULL},
        {"version", 'v', FLAG_BOOL, NULL, "Print version information and quit", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

/* Command-line flag → daemon.json key, for dockerd's "both" rule. */
static const struct {
	const char *flag, *key;
	ssize_t offset; /* of a char* field in struct engine_config; -1 = special */
} flag_map[] = {
        {"data-root", "data-root", offsetof(struct engine_config, data_root)},
        {"exec-root", "exec-root", offsetof(struct engine_config, exec_root)},
        {"pidfile", "pidfile", offsetof(struct engine_config, pidfile)},
        {"config-file", NULL, offsetof(struct engine_config, config_file)},
        {"log-level", "log-level", offsetof(struct engine_config, log_level)},
        {"log-format", "log-format", offsetof(struct engine_config, log_format)},
        {"group", "group", offsetof(struct engine_config, group)},
        {"storage-driver", "storage-driver", offsetof(struct engine_config, storage_driver)},
        {"userns-remap", "userns-remap", offsetof(struct engine_config, userns_remap)},
        {"tlscacert", "tlscacert", offsetof(struct engine_config, tlscacert)},
        {"tlscert", "tlscert", offsetof(struct engine_config, tlscert)},
        {"tlskey", "tlskey", offsetof(struct engine_config, tlskey)},
        {"tls", "tls", -1},
        {"tlsverify", "tlsverify", -1},
        {"host", "hosts", -1},
        {"debug", "debug", -1},
        {"live-restore", "live-restore", -1},
};

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage:\thuskd [OPTIONS]\n\nA self-sufficient runtime for containers: the husk "
	        "daemon, serving the Docker Engine API.\n\nOptions:\n");
	flags_print_usage(out, huskd_flags);
}

/* Copy the flags given into cfg; collect their daemon.json names. */
static int apply_flags(const struct flags *f, struct engine_config *cfg, char ***ret_keys)
{
	for (size_t i = 0; i < ELEMENTSOF(flag_map); i++) {
		if (!flags_changed(f, flag_map[i].flag))
			continue;
		if (flag_map[i].key && strv_push(ret_keys, flag_map[i].key) < 0)
			return -ENOMEM;
		if (flag_map[i].offset < 0)
			continue;
		char **field = (char **)((char *)cfg + flag_map[i].offset);
		free(*field);
		if (!(*field = strdup(flags_string(f, flag_map[i].flag))))
			return -ENOMEM;
	}
	if (flags_changed(f, "host") && !(cfg->hosts = strv_copy(flags_list(f, "host"))))
		return -ENOMEM;
	if (flags_changed(f, "debug"))
		cfg->debug = flags_bool(f, "debug");
	if (flags_changed(f, "live-restore"))
		cfg->live_restore = flags_bool(f, "live-restore");
	if (flags_changed(f, "tls"))
		cfg->tls = flags_bool(f, "tls");
	if (flags_changed(f, "tlsverify"))
		cfg->tlsverify = flags_bool(f, "tlsverify");
	return 0;
}

static int setup_logging(const struct engine_config *cfg, struct husk_error **err)
{
	enum log_level level;

	if (log_level_parse(cfg->log_level, &level) < 0)
		return error_set(err, EINVAL,
		                 "invalid log level \"%s\": expected debug, info, "
		                 "warn, error or fatal",
		                 cfg->log_level);
	if (!streq(cfg->log_format, "text") && !streq(cfg->log_format, "json"))
		return error_set(err, EINVAL, "invalid log format \"%s\": expected text or json",
		                 cfg->log_format);
	log_set_level(cfg->debug ? LOG_LEVEL_DEBUG : level);
	log_set_format(streq(cfg->log_format, "json") ? LOG_FORMAT_JSON : LOG_FORMAT_TEXT);
	return 0;
}

/* Take the pid file: an flock'ed file holding our pid. Refuses when
 * another huskd holds it. Returns the fd (kept open for the lock). */
static int take_pidfile(const char *path, struct husk_error **err)
{
	_cleanup_close_ int fd = -1;
	char buf[32];
	int n;

	n = mkdir_p_parent(path, 0700);
	if (n < 0)
		return error_set_errno(err, -n, "create the directory of \"%s\"", path);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return error_set_errno(err, errno, "open pid file \"%s\"", path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		n = read_full(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = 0;
		return error_set(err, EBUSY,
		                 "pid file \"%s\" is locked: huskd is already running "
		                 "(pid %.*s)",
		                 path, (int)strcspn(buf, "\n"), buf);
	}
	n = snprintf(buf, sizeof(buf), "%d\n", getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, n, 0) != n)
		return error_set_errno(err, errno, "write pid file \"%s\"", path);
	return TAKE_FD(fd);
}

static int resolve_group(const char *name, int *ret_gid, struct husk_error **err)
{
	struct group *g;

	*ret_gid = -1;
	if (isempty(name))
		return 0;
	g = getgrnam(name);
	if (!g)
		return error_set(err, ENOENT, "group \"%s\" does not exist", name);
	*ret_gid = (int)g->gr_gid;
	return 0;
}

static bool tcp_is_loopback(const char *addr)
{
	return startswith(addr, "127.") || startswith(addr, "[::1]:") ||
	       startswith(addr, "localhost:");
}

/* TCP gives root on this host to whoever connects: it is served only with
 * client certificates (--tlsverify), or plain on a loopback address. */
static int listen_tcp(struct api_server *srv, const struct engine_config *cfg, const char *addr,
                      struct husk_error **err)
{
	struct api_tls_files tls = {cfg->tlscert, cfg->tlskey, cfg->tlscacert};
	_cleanup_free_ char *bind_addr = NULL;
	int r;

	if (startswith(addr, "localhost:"))
		bind_addr = str_printf("127.0.0.1:%s", addr + strlen("localhost:"));
	else
		bind_addr = strdup(addr);
	if (!bind_addr)
		return error_set(err, ENOMEM, "out of memory");
	if (cfg->tlsverify && !cfg->tlscacert)
		return error_set(err, EINVAL, "listen \"tcp://%s\": --tlsverify needs --tlscacert",
		                 addr);
	if (!cfg->tlsverify && !tcp_is_loopback(addr))
		return error_set(err, EPERM,
		                 "listen \"tcp://%s\": a TCP address other than loopback needs "
		                 "client-certificate authentication (--tlsverify --tlscacert "
		                 "--tlscert --tlskey)",
		                 addr);
	if (cfg->tlsverify || cfg->tls)
		r = api_server_listen_tcp(
		        srv, bind_addr,
		        cfg->tlsverify ? &tls
		                       : &(struct api_tls_files){cfg->tlscert, cfg->tlskey, NULL},
		        err);
	else {
		log_warn("API listen on tcp://%s without TLS: every local user can control huskd",
		         addr);
		r = api_server_listen_tcp(srv, bind_addr, NULL, err);
	}
	if (r < 0)
		return error_wrap(err, "listen \"tcp://%s\"", addr);
	log_info("API listen on tcp://%s%s", addr,
	         cfg->tlsverify ? " (TLS, client certificates)" : "");
	return 0;
}

/* `-H fd://`: the sockets systemd passed (LISTEN_PID, LISTEN_FDS, from fd
 * 3 on), as dockerd's socket activation (contrib/systemd/husk.socket). */
static int listen_activated(struct api_server *srv, struct husk_error **err)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	int64_t p = 0, n = 0;
	int r;

	if (!pid || !fds || str_to_int64(pid, &p) < 0 || p != getpid() ||
	    str_to_int64(fds, &n) < 0 || n < 1 || n > 64)
		return error_set(err, ENOENT,
		                 "listen \"fd://\": no sockets found via socket activation: make "
		                 "sure the service was started by systemd");
	for (int fd = 3; fd < 3 + n; fd++) {
		r = api_server_listen_fd(srv, fd, err);
		if (r < 0)
			return error_wrap(err, "listen \"fd://\"");
		log_info("API listen on fd %d (socket activation)", fd);
	}
	/* not for our children */
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return 0;
}

static int listen_all(struct api_server *srv, const struct engine *e, struct husk_error **err)
{
	int gid, r;

	r = resolve_group(e->cfg.group, &gid, err);
	if (r < 0)
		return r;
	if (gid >= 0 && (chown(e->cfg.exec_root, 0, gid) < 0 || chmod(e->cfg.exec_root, 0710) < 0))
		return error_set_errno(err, errno, "give group access to \"%s\"", e->cfg.exec_root);
	STRV_FOREACH (h, e->cfg.hosts) {
		const char *path = startswith(*h, "unix://"), *tcp = startswith(*h, "tcp://");
		if (streq(*h, "fd://")) {
			r = listen_activated(srv, err);
			if (r < 0)
				return r;
			continue;
		}
		if (tcp) {
			r = listen_tcp(srv, &e->cfg, tcp, err);
			if (r < 0)
				return r;
			continue;
		}
		if (!path)
			return error_set(err, EINVAL,
			                 "listen \"%s\": expected unix:///path, tcp://host:port or "
			                 "fd://",
			                 *h);
		r = mkdir_p_parent(path, 0700);
		if (r < 0)
			return error_set_errno(err, -r, "create the directory of \"%s\"", path);
		r = api_server_listen_unix(srv, path, gid >= 0 ? 0660 : 0600, gid, err);
		if (r < 0)
			return r;
		log_info("API listen on %s", path);
	}
	return 0;
}

/* SIGHUP: re-read daemon.json; what can change live (the log level) is
 * applied, a bad file is reported and changes nothing. */
static void reload_config(const struct engine *e)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct engine_config fresh;
	int r;

	r = engine_config_init(&fresh);
	if (r == 0) {
		free(fresh.config_file);
		fresh.config_file = strdup(e->cfg.config_file);
		r = fresh.config_file ? 0 : -ENOMEM;
	}
	if (r == 0)
		r = engine_config_load(&fresh, false, NULL, &err);
	if (r == 0)
		r = setup_logging(&fresh, &err);
	if (r == 0)
		log_info("reloaded %s", e->cfg.config_file);
	else
		log_error("reload %s: %s", e->cfg.config_file, error_message(err));
	engine_config_release(&fresh);
}

/* Serve until SIGTERM/SIGINT. After each quiet spell that followed
 * requests (and once after start-up) the daemon sheds the code and heap
 * they used from its resident set. */
static void wait_for_signals(const struct engine *e, const struct api_server *srv)
{
	const struct timespec quiet = {.tv_sec = IDLE_SHED_SECONDS};
	uint64_t shed_at = UINT64_MAX;
	sigset_t set;
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	for (;;) {
		sig = sigtimedwait(&set, NULL, &quiet);
		if (sig < 0 && errno == EAGAIN) {
			uint64_t n = api_server_requests(srv);
			if (n != shed_at)
				memshed(true);
			shed_at = n;
			continue;
		}
		if (sig < 0)
			continue;
		if (sig != SIGHUP)
			break;
		reload_config(e);
	}
	log_info("received %s, shutting down", strsignal(sig));
}

static int run_daemon(struct engine_config *cfg, struct husk_error **err)
{
	_cleanup_(engine_freep) struct engine *e = NULL;
	struct api_server_config scfg = {api_routes, NULL, api_server_header()};
	struct api_server *srv;
	_cleanup_close_ int pidfd = -1;
	int r;

	if (geteuid() != 0)
		return error_set(err, EPERM, "huskd needs to be started as root");
	r = engine_open(cfg, &e, err);
	if (r < 0)
		return r;
	pidfd = take_pidfile(e->cfg.pidfile, err);
	if (pidfd < 0)
		return pidfd;
	scfg.ctx = e;
	srv = api_server_new(&scfg, err);
	if (!srv)
		return -EIO;
	r = listen_all(srv, e, err);
	if (r == 0) {
		/* live restore: re-attach to the containers that kept running */
		containers_restore(e->containers);
		r = api_server_start(srv, err);
	}
	if (r == 0) {
		log_info("huskd %s started (pid %d, data root %s, storage driver %s, cgroups %s)",
		         HUSK_VERSION, getpid(), e->cfg.data_root, e->storage_driver,
		         cgroup_mode_name(e->cgroups.mode));
		wait_for_signals(e, srv);
	}
	api_server_free(srv);
	/* with live-restore (the default) containers outlive the daemon;
	 * without, they are stopped as dockerd stops them */
	containers_shutdown(e->containers, !e->cfg.live_restore);
	unlink(e->cfg.pidfile);
	if (r == 0)
		log_info("huskd stopped");
	return r;
}

static int parse(int argc, char **argv, struct engine_config *cfg, struct flags **ret_flags,
                 struct husk_error **err)
{
	_cleanup_strv_ char **keys = strv_new();
	int r;

	r = flags_parse(huskd_flags, argc - 1, argv + 1, FLAGS_INTERSPERSED, ret_flags, err);
	if (r < 0)
		return r;
	if (flags_nargs(*ret_flags) > 0)
		return error_set(err, EINVAL, "huskd takes no arguments, got \"%s\"",
		                 flags_args(*ret_flags)[0]);
	if (flags_help(*ret_flags) || flags_bool(*ret_flags, "version"))
		return 0;
	if (!keys || engine_config_init(cfg) < 0 || apply_flags(*ret_flags, cfg, &keys) < 0)
		return error_set(err, ENOMEM, "out of memory");
	r = engine_config_load(cfg, flags_changed(*ret_flags, "config-file"), keys, err);
	if (r < 0)
		return r;
	return setup_logging(cfg, err);
}

int main(int argc, char **argv)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_(flags_freep) struct flags *f = NULL;
	struct engine_config cfg = {0};
	sigset_t set;

	/* Block the signals main waits for before any thread exists, so every
	 * thread inherits the mask and only sigwait() sees them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (parse(argc, argv, &cfg, &f, &err) < 0) {
		fprintf(stderr, "huskd: %s\n", error_message(err));
		engine_config_release(&cfg);
		return 1;
	}
	if (flags_help(f)) {
		usage(stdout);
		return 0;
	}
	if (flags_bool(f, "version")) {
		printf("husk version %s, build %s\n", HUSK_VERSION, HUSK_GIT_COMMIT);
		return 0;
	}
	if (flags_bool(f, "validate")) {
		engine_config_release(&cfg);
		printf("configuration OK\n");
		return 0;
	}
	if (run_daemon(&cfg, &err) < 0) {
		log_error("%s", error_message(err));
		engine_config_release(&cfg);
		return 1;
	}
	return 0;
}
