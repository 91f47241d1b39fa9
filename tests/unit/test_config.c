/* Unit tests for src/engine/config.c: defaults, daemon.json loading with
 * dockerd's rules (unknown keys, wrong types, flag/file conflicts), and the
 * defaults derived from other settings. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "base/fs.h"
#include "base/str.h"
#include "engine/config.h"

/* A config with its file in a fresh temp dir. */
struct fx {
	char dir[64];
	char *file;
	struct engine_config cfg;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/husk-test-config-XXXXXX");
	if (!mkdtemp(f->dir) || !(f->file = path_join(f->dir, "daemon.json")) ||
	    engine_config_init(&f->cfg) < 0)
		return -1;
	free(f->cfg.config_file);
	f->cfg.config_file = strdup(f->file);
	*state = f;
	return f->cfg.config_file ? 0 : -1;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	engine_config_release(&f->cfg);
	unlink(f->file);
	rmdir(f->dir);
	free(f->file);
	free(f);
	return 0;
}

static void write_config(struct fx *f, const char *text)
{
	assert_int_equal(atomic_write_file(f->file, text, strlen(text), 0600, NULL), 0);
}

/* Load with the given flag keys; expect success. */
static void load_ok(struct fx *f, char *const *flag_keys)
{
	_cleanup_error_ struct husk_error *err = NULL;

	if (engine_config_load(&f->cfg, false, flag_keys, &err) < 0)
		fail_msg("unexpected error: %s", error_message(err));
	assert_null(err);
}

/* Load text; expect -code and a message that, after "<file>: ", is msg. */
static void load_fails(struct fx *f, const char *text, int code, const char *msg)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_free_ char *want = str_printf("%s: %s", f->file, msg);

	write_config(f, text);
	assert_int_equal(engine_config_load(&f->cfg, false, NULL, &err), -code);
	assert_non_null(err);
	assert_int_equal(error_code(err), code);
	assert_string_equal(error_message(err), want);
}

static void test_init_defaults(void **state)
{
	struct engine_config c;

	assert_int_equal(engine_config_init(&c), 0);
	assert_string_equal(c.data_root, "/var/lib/husk");
	assert_string_equal(c.exec_root, "/run/husk");
	assert_string_equal(c.config_file, "/etc/husk/daemon.json");
	assert_string_equal(c.log_level, "info");
	assert_string_equal(c.log_format, "text");
	assert_string_equal(c.cgroup_driver, "cgroupfs");
	assert_true(c.live_restore);
	assert_false(c.debug);
	assert_null(c.pidfile);
	assert_null(c.hosts);
	assert_null(c.group);
	assert_null(c.storage_driver);
	assert_null(c.file);
	engine_config_release(&c);
	assert_null(c.data_root);
	/* releasing twice is harmless */
	engine_config_release(&c);
}

static void test_socket_path(void **state)
{
	_cleanup_free_ char *a = engine_socket_path("/run/husk");
	_cleanup_free_ char *b = engine_socket_path("/tmp/x/");

	assert_string_equal(a, "/run/husk/husk.sock");
	assert_string_equal(b, "/tmp/x/husk.sock");
}

static void test_missing_optional(void **state)
{
	struct fx *f = *state;

	load_ok(f, NULL);
	assert_true(json_is_object(f->cfg.file));
	assert_int_equal(json_object_size(f->cfg.file), 0);
	/* the derived defaults */
	assert_string_equal(f->cfg.pidfile, "/run/husk/huskd.pid");
	assert_int_equal(strv_length(f->cfg.hosts), 1);
	assert_string_equal(f->cfg.hosts[0], "unix:///run/husk/husk.sock");
	assert_string_equal(f->cfg.data_root, "/var/lib/husk");
}

static void test_missing_required(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct fx *f = *state;

	assert_int_equal(engine_config_load(&f->cfg, true, NULL, &err), -ENOENT);
	assert_int_equal(error_code(err), ENOENT);
	assert_non_null(strstr(error_message(err), "configuration file: "));
	assert_non_null(strstr(error_message(err), f->file));
	assert_non_null(strstr(error_message(err), "No such file or directory"));
}

static void test_valid_file(void **state)
{
	struct fx *f = *state;

	write_config(f, "{\n"
	                "  \"data-root\": \"/srv/husk\",\n"
	                "  \"debug\": true,\n"
	                "  \"live-restore\": false,\n"
	                "  \"log-level\": \"warn\",\n"
	                "  \"log-format\": \"json\",\n"
	                "  \"group\": \"docker\",\n"
	                "  \"storage-driver\": \"vfs\",\n"
	                "  \"registry-mirrors\": [\"http://127.0.0.1:5000\"],\n"
	                "  \"log-opts\": {\"max-size\": \"10m\"},\n"
	                "  \"mtu\": 1400\n"
	                "}\n");
	load_ok(f, NULL);
	assert_string_equal(f->cfg.data_root, "/srv/husk");
	assert_true(f->cfg.debug);
	assert_false(f->cfg.live_restore);
	assert_string_equal(f->cfg.log_level, "warn");
	assert_string_equal(f->cfg.log_format, "json");
	assert_string_equal(f->cfg.group, "docker");
	assert_string_equal(f->cfg.storage_driver, "vfs");
	assert_string_equal(f->cfg.exec_root, "/run/husk");
	/* keys without a field are kept in file */
	assert_int_equal(json_integer_value(json_object_get(f->cfg.file, "mtu")), 1400);
	assert_string_equal(json_string_value(json_object_get(
	                            json_object_get(f->cfg.file, "log-opts"), "max-size")),
	                    "10m");
}

static void test_required_present(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct fx *f = *state;

	write_config(f, "{\"debug\": true}");
	assert_int_equal(engine_config_load(&f->cfg, true, NULL, &err), 0);
	assert_true(f->cfg.debug);
}

static void test_derived_from_exec_root(void **state)
{
	struct fx *f = *state;

	write_config(f, "{\"exec-root\": \"/run/h2\"}");
	load_ok(f, NULL);
	assert_string_equal(f->cfg.pidfile, "/run/h2/huskd.pid");
	assert_int_equal(strv_length(f->cfg.hosts), 1);
	assert_string_equal(f->cfg.hosts[0], "unix:///run/h2/husk.sock");
}

static void test_pidfile_and_hosts_from_file(void **state)
{
	struct fx *f = *state;

	write_config(f, "{\"pidfile\": \"/run/p.pid\", "
	                "\"hosts\": [\"unix:///run/a.sock\", \"unix:///run/b.sock\"]}");
	load_ok(f, NULL);
	assert_string_equal(f->cfg.pidfile, "/run/p.pid");
	assert_int_equal(strv_length(f->cfg.hosts), 2);
	assert_string_equal(f->cfg.hosts[0], "unix:///run/a.sock");
	assert_string_equal(f->cfg.hosts[1], "unix:///run/b.sock");
}

static void test_hosts_from_flags_kept(void **state)
{
	struct fx *f = *state;

	f->cfg.hosts = strv_new();
	assert_int_equal(strv_push(&f->cfg.hosts, "unix:///run/flag.sock"), 0);
	write_config(f, "{\"debug\": false}");
	load_ok(f, NULL);
	assert_int_equal(strv_length(f->cfg.hosts), 1);
	assert_string_equal(f->cfg.hosts[0], "unix:///run/flag.sock");
}

static void test_empty_hosts_gives_default(void **state)
{
	struct fx *f = *state;

	write_config(f, "{\"hosts\": []}");
	load_ok(f, NULL);
	assert_int_equal(strv_length(f->cfg.hosts), 1);
	assert_string_equal(f->cfg.hosts[0], "unix:///run/husk/husk.sock");
}

static void test_unknown_keys(void **state)
{
	struct fx *f = *state;

	load_fails(f, "{\"zeta\": 1, \"debug\": true, \"alpha\": \"x\", \"data_root\": \"/x\"}",
	           EINVAL,
	           "the following directives don't match any configuration option: zeta, alpha, "
	           "data_root");
}

static void test_wrong_types(void **state)
{
	struct fx *f = *state;

	load_fails(f, "{\"debug\": \"yes\"}", EINVAL, "\"debug\": expected true or false");
	load_fails(f, "{\"data-root\": 1}", EINVAL, "\"data-root\": expected a string");
	load_fails(f, "{\"data-root\": null}", EINVAL, "\"data-root\": expected a string");
	load_fails(f, "{\"hosts\": [\"unix:///a\", 2]}", EINVAL,
	           "\"hosts\": expected an array of strings");
	load_fails(f, "{\"hosts\": \"unix:///a\"}", EINVAL,
	           "\"hosts\": expected an array of strings");
	load_fails(f, "{\"mtu\": 1.5}", EINVAL, "\"mtu\": expected an integer");
	load_fails(f, "{\"log-opts\": []}", EINVAL, "\"log-opts\": expected an object");
}

static void test_not_an_object(void **state)
{
	struct fx *f = *state;

	load_fails(f, "[\"debug\"]", EINVAL, "expected a JSON object");
	load_fails(f, "\"debug\"", EINVAL, "expected a JSON object");
}

static void test_flag_conflict(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	char *flag_keys[] = {"debug", "data-root", "group", NULL};
	struct fx *f = *state;
	_cleanup_free_ char *want =
	        str_printf("%s: the following directives are specified both as a flag and in the "
	                   "configuration file: data-root, debug",
	                   f->file);

	write_config(f, "{\"data-root\": \"/x\", \"log-level\": \"debug\", \"debug\": true}");
	assert_int_equal(engine_config_load(&f->cfg, false, flag_keys, &err), -EINVAL);
	assert_string_equal(error_message(err), want);
	/* nothing from the file was applied */
	assert_string_equal(f->cfg.data_root, "/var/lib/husk");
}

static void test_flags_without_conflict(void **state)
{
	char *flag_keys[] = {"debug", NULL};
	struct fx *f = *state;

	write_config(f, "{\"data-root\": \"/x\"}");
	load_ok(f, flag_keys);
	assert_string_equal(f->cfg.data_root, "/x");
}

static void test_exec_opts(void **state)
{
	struct fx *f = *state;

	write_config(f, "{\"exec-opts\": [\"native.cgroupdriver=systemd\"]}");
	load_ok(f, NULL);
	assert_string_equal(f->cfg.cgroup_driver, "systemd");
	write_config(f, "{\"exec-opts\": [\"native.cgroupdriver=cgroupfs\"]}");
	load_ok(f, NULL);
	assert_string_equal(f->cfg.cgroup_driver, "cgroupfs");
}

static void test_exec_opts_bad(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct fx *f = *state;

	write_config(f, "{\"exec-opts\": [\"native.cgroupdriver=foo\"]}");
	assert_int_equal(engine_config_load(&f->cfg, false, NULL, &err), -EINVAL);
	assert_string_equal(error_message(err),
	                    "exec-opts: native.cgroupdriver \"foo\": expected cgroupfs or systemd");
	error_free(err);
	err = NULL;
	write_config(f, "{\"exec-opts\": [\"native.umask=normal\"]}");
	assert_int_equal(engine_config_load(&f->cfg, false, NULL, &err), -EINVAL);
	assert_string_equal(error_message(err),
	                    "exec-opts: unknown option \"native.umask=normal\"");
}

/* default-ipc-mode: what a container can have alone, in dockerd's words */
static void ipc_default_fails(struct fx *f, const char *mode, const char *msg)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_free_ char *text = str_printf("{\"default-ipc-mode\": \"%s\"}", mode);

	write_config(f, text);
	assert_int_equal(engine_config_load(&f->cfg, false, NULL, &err), -EINVAL);
	assert_string_equal(error_message(err), msg);
}

static void test_default_ipc_mode(void **state)
{
	struct fx *f = *state;

	write_config(f, "{\"default-ipc-mode\": \"shareable\"}");
	load_ok(f, NULL);
	write_config(f, "{\"default-ipc-mode\": \"private\"}");
	load_ok(f, NULL);
	ipc_default_fails(f, "host",
	                  "IPC mode \"host\" is not supported as default value; use "
	                  "\"shareable\" or \"private\"");
	ipc_default_fails(f, "container:x",
	                  "IPC mode \"container:x\" is not supported as default value; use "
	                  "\"shareable\" or \"private\"");
	ipc_default_fails(f, "bogus",
	                  "default IPC mode setting (bogus) is invalid; use \"shareable\" or "
	                  "\"private\"");
	load_fails(f, "{\"default-ipc-mode\": 1}", EINVAL,
	           "\"default-ipc-mode\": expected a string");
}

static void test_invalid_json(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct fx *f = *state;

	write_config(f, "{\"debug\": tru}");
	assert_int_equal(engine_config_load(&f->cfg, false, NULL, &err), -EINVAL);
	assert_non_null(strstr(error_message(err), "configuration file: "));
	assert_non_null(strstr(error_message(err), "invalid JSON at line 1"));
	error_free(err);
	err = NULL;
	/* dockerd refuses duplicate keys as well */
	write_config(f, "{\"debug\": true, \"debug\": false}");
	assert_int_equal(engine_config_load(&f->cfg, false, NULL, &err), -EINVAL);
	error_free(err);
	err = NULL;
	write_config(f, "");
	assert_int_equal(engine_config_load(&f->cfg, false, NULL, &err), -EINVAL);
}

static void test_too_big(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct fx *f = *state;
	size_t len = 2u << 20;
	_cleanup_free_ char *big = malloc(len + 1);

	/* valid JSON, only too long: {"labels": ["aaaa…"]} */
	assert_non_null(big);
	memset(big, 'a', len);
	memcpy(big, "{\"labels\": [\"", 13);
	memcpy(big + len - 4, "\"]}\n", 4);
	big[len] = 0;
	write_config(f, big);
	assert_int_equal(engine_config_load(&f->cfg, false, NULL, &err), -EFBIG);
	assert_int_equal(error_code(err), EFBIG);
	assert_non_null(strstr(error_message(err), "larger than 1048576 bytes"));
}

static void test_directory(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct fx *f = *state;

	free(f->cfg.config_file);
	f->cfg.config_file = strdup(f->dir);
	assert_int_equal(engine_config_load(&f->cfg, false, NULL, &err), -EISDIR);
}

static void test_reload(void **state)
{
	struct fx *f = *state;

	write_config(f, "{\"log-level\": \"debug\"}");
	load_ok(f, NULL);
	write_config(f, "{\"log-level\": \"error\", \"group\": \"g\"}");
	load_ok(f, NULL);
	assert_string_equal(f->cfg.log_level, "error");
	assert_string_equal(f->cfg.group, "g");
	assert_int_equal(json_object_size(f->cfg.file), 2);
}

#define FX_TEST(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_init_defaults),
	        cmocka_unit_test(test_socket_path),
	        FX_TEST(test_missing_optional),
	        FX_TEST(test_missing_required),
	        FX_TEST(test_valid_file),
	        FX_TEST(test_required_present),
	        FX_TEST(test_derived_from_exec_root),
	        FX_TEST(test_pidfile_and_hosts_from_file),
	        FX_TEST(test_hosts_from_flags_kept),
	        FX_TEST(test_empty_hosts_gives_default),
	        FX_TEST(test_unknown_keys),
	        FX_TEST(test_wrong_types),
	        FX_TEST(test_not_an_object),
	        FX_TEST(test_flag_conflict),
	        FX_TEST(test_flags_without_conflict),
	        FX_TEST(test_exec_opts),
	        FX_TEST(test_exec_opts_bad),
	        FX_TEST(test_default_ipc_mode),
	        FX_TEST(test_invalid_json),
	        FX_TEST(test_too_big),
	        FX_TEST(test_directory),
	        FX_TEST(test_reload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
