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

@test "daemon.json container defaults: dns, ulimits, shm size, no-new-privileges, seccomp; a container's own win" {
	cat >"$HUSK_TEST_DIR/d.json" <<'JSON'
{"dns": ["10.9.8.7"], "dns-search": ["example.test"], "dns-opts": ["ndots:2"],
 "default-ulimits": {"nofile": {"Name": "nofile", "Soft": 1234, "Hard": 2345}},
 "default-shm-size": "96m", "no-new-privileges": true, "seccomp-profile": "unconfined"}
JSON
	huskd_start --config-file "$HUSK_TEST_DIR/d.json"
	husk load -q -i "$("$FIXTURES/mkbusybox.sh")/busybox.tar" >/dev/null
	run husk run --rm busybox cat /etc/resolv.conf
	assert_line "nameserver 10.9.8.7"
	assert_line "search example.test"
	assert_line "options ndots:2"
	run husk run --rm busybox sh -c 'ulimit -n; ulimit -Hn; grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status'
	assert_output "$(printf '1234\n2345\nNoNewPrivs:\t1\nSeccomp:\t0')"
	run husk run --name shm1 busybox sh -c "df -k /dev/shm | tail -1"
	assert_output --regexp " 98304 "
	run husk inspect -f '{{.HostConfig.ShmSize}}' shm1
	assert_output 100663296
	husk rm shm1 >/dev/null
	# the container's own settings win over the daemon's
	run husk run --rm --dns 10.1.1.1 --ulimit nofile=100:200 --shm-size 32m \
		--security-opt no-new-privileges=false busybox \
		sh -c 'grep nameserver /etc/resolv.conf; ulimit -n; grep NoNewPrivs /proc/self/status; df -k /dev/shm | tail -1'
	assert_line "nameserver 10.1.1.1"
	refute_line "nameserver 10.9.8.7"
	assert_line 100
	assert_line "$(printf 'NoNewPrivs:\t0')"
	assert_line --regexp " 32768 "
	huskd_stop
}

@test "daemon.json container defaults: bad values are refused by key" {
	local bad
	for bad in '{"default-shm-size": "lots"}' \
		'{"default-ulimits": {"nofile": {"Name": "nofile", "Soft": 10, "Hard": 5}}}' \
		'{"default-ulimits": {"bogus": {"Name": "bogus", "Soft": 1, "Hard": 1}}}' \
		'{"default-ulimits": []}' \
		'{"seccomp-profile": "/nonexistent/profile.json"}' \
		'{"dns": ["10.0.0.1 evil"]}'; do
		echo "$bad" >"$HUSK_TEST_DIR/d.json"
		run huskd_try --config-file "$HUSK_TEST_DIR/d.json" --validate
		assert_failure
		assert_output --regexp "default-shm-size|default-ulimits|seccomp-profile|dns"
	done
	echo '{"seccomp-profile": "'"$HUSK_TEST_DIR/p.json"'"}' >"$HUSK_TEST_DIR/d.json"
	echo '{"defaultAction": "SCMP_ACT_BOGUS"}' >"$HUSK_TEST_DIR/p.json"
	run huskd_try --config-file "$HUSK_TEST_DIR/d.json" --validate
	assert_failure
	assert_output --partial seccomp-profile
	echo '{"defaultAction": "SCMP_ACT_ALLOW"}' >"$HUSK_TEST_DIR/p.json"
	run huskd_try --config-file "$HUSK_TEST_DIR/d.json" --validate
	assert_success
}

@test "dockerd keys husk does not do are refused with the reason, not ignored" {
	local j
	for j in '{"storage-opts": ["overlay2.size=1G"]}|storage-opts' \
		'{"fixed-cidr": "172.17.1.0/24"}|fixed-cidr' \
		'{"default-address-pools": [{"base": "10.10.0.0/16", "size": 24}]}|default-address-pools' \
		'{"icc": false}|icc=false' \
		'{"runtimes": {"crun": {"path": "/usr/bin/crun"}}}|runtimes' \
		'{"default-runtime": "crun"}|default-runtime'; do
		echo "${j%|*}" >"$HUSK_TEST_DIR/d.json"
		run huskd_try --config-file "$HUSK_TEST_DIR/d.json" --validate
		assert_failure
		assert_output --partial "${j##*|}"
	done
	# what husk does anyway is fine
	echo '{"icc": true, "userland-proxy": false, "default-runtime": "runc"}' >"$HUSK_TEST_DIR/d.json"
	run huskd_try --config-file "$HUSK_TEST_DIR/d.json" --validate
	assert_success
}
