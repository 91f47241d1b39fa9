#!/usr/bin/env bats
# huskd's configuration: flags and daemon.json, with dockerd's rules.

load helpers

setup_file() {
	husk_file_setup
}

teardown_file() {
	husk_file_teardown
}

huskd_try() {
	huskd --data-root "$HUSK_DATA_ROOT" --exec-root "$HUSK_EXEC_ROOT" \
		-H "unix://$HUSK_SOCK" "$@"
}

@test "unknown daemon.json keys are refused by name" {
	echo '{"debug": true, "bogus-key": 1, "other": 2}' >"$HUSK_TEST_DIR/d.json"
	run huskd_try --config-file "$HUSK_TEST_DIR/d.json"
	assert_failure 1
	assert_output --partial "the following directives don't match any configuration option: bogus-key, other"
	[ ! -e "$HUSK_SOCK" ]
}

@test "a key given both as a flag and in daemon.json is refused" {
	echo "{\"data-root\": \"$HUSK_TEST_DIR/x\"}" >"$HUSK_TEST_DIR/d.json"
	run huskd_try --config-file "$HUSK_TEST_DIR/d.json"
	assert_failure 1
	assert_output --partial 'specified both as a flag and in the configuration file: data-root'
}

@test "invalid JSON and wrong types name the file, the place and the key" {
	printf '{"debug": true,\n "log-level": }' >"$HUSK_TEST_DIR/d.json"
	run huskd_try --config-file "$HUSK_TEST_DIR/d.json"
	assert_failure 1
	assert_output --partial "$HUSK_TEST_DIR/d.json: invalid JSON at line 2"
	echo '{"debug": "yes"}' >"$HUSK_TEST_DIR/d.json"
	run huskd_try --config-file "$HUSK_TEST_DIR/d.json"
	assert_output --partial '"debug": expected true or false'
	echo '[1,2]' >"$HUSK_TEST_DIR/d.json"
	run huskd_try --config-file "$HUSK_TEST_DIR/d.json"
	assert_output --partial 'expected a JSON object'
	echo '{"exec-opts": ["native.cgroupdriver=foo"]}' >"$HUSK_TEST_DIR/d.json"
	run huskd_try --config-file "$HUSK_TEST_DIR/d.json"
	assert_output --partial 'native.cgroupdriver "foo": expected cgroupfs or systemd'
}

@test "an explicit --config-file must exist" {
	run huskd_try --config-file "$HUSK_TEST_DIR/missing.json"
	assert_failure 1
	assert_output --partial "open \"$HUSK_TEST_DIR/missing.json\": No such file or directory"
}

@test "--validate checks the configuration and exits" {
	echo '{"log-level": "debug", "insecure-registries": ["10.0.0.0/8"]}' >"$HUSK_TEST_DIR/d.json"
	run huskd_try --config-file "$HUSK_TEST_DIR/d.json" --validate
	assert_success
	assert_output 'configuration OK'
	run huskd_try --log-level loud --config-file "$HUSK_TEST_DIR/d.json" --validate
	assert_failure
}

@test "bad flags and values get one clear line" {
	run huskd --bogus
	assert_failure 1
	assert_output 'huskd: unknown flag: --bogus'
	run huskd --log-level=loud --config-file /dev/null --validate
	assert_failure 1
	run huskd stray-arg
	assert_failure 1
	assert_output --partial 'huskd takes no arguments, got "stray-arg"'
}

@test "daemon.json settings take effect: data root, labels, insecure registries" {
	cat >"$HUSK_TEST_DIR/d.json" <<JSON
{"data-root": "$HUSK_TEST_DIR/fromfile", "labels": ["tier=test"],
 "insecure-registries": ["10.1.0.0/16"], "log-format": "json"}
JSON
	huskd --exec-root "$HUSK_EXEC_ROOT" -H "unix://$HUSK_SOCK" \
		--config-file "$HUSK_TEST_DIR/d.json" >"$HUSK_TEST_DIR/huskd.log" 2>&1 &
	for _ in $(seq 1 100); do [ -S "$HUSK_SOCK" ] && break; sleep 0.05; done
	run husk info --format json
	assert_success
	[ "$(jq -r .DockerRootDir <<<"$output")" = "$HUSK_TEST_DIR/fromfile" ]
	[ "$(jq -r '.Labels[0]' <<<"$output")" = tier=test ]
	[ "$(jq -r '.RegistryConfig.InsecureRegistryCIDRs[0]' <<<"$output")" = 10.1.0.0/16 ]
	huskd_stop
	# the log is JSON lines in the format runc and containerd use
	run jq -r .level "$HUSK_TEST_DIR/huskd.log"
	assert_success
	assert_line info
}
