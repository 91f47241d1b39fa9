#!/usr/bin/env bats
# huskd: the API plumbing, seen from curl, husk and the real docker CLI.

load helpers

setup_file() {
	husk_file_setup
	huskd_start
}

teardown_file() {
	husk_file_teardown
}

api() {
	curl -sS --unix-socket "$HUSK_SOCK" "$@"
}

@test "huskd --version and --help" {
	run huskd --version
	assert_success
	assert_output --regexp '^husk version [0-9]+\.[0-9]+\.[0-9]+, build '
	run huskd --help
	assert_success
	assert_output --partial '--data-root string'
	assert_output --partial '-H, --host list'
}

@test "roots and socket are private to root" {
	run stat -c '%a %U' "$HUSK_SOCK" "$HUSK_DATA_ROOT" "$HUSK_EXEC_ROOT"
	assert_success
	assert_line --index 0 '600 root'
	assert_line --index 1 '710 root'
	assert_line --index 2 '700 root'
	[ -f "$HUSK_DATA_ROOT/engine-id" ]
	[ "$(cat "$HUSK_EXEC_ROOT/huskd.pid")" = "$(huskd_pid)" ]
}

@test "HEAD and GET /_ping carry Docker's headers" {
	run api -I http://d/_ping
	assert_success
	assert_output --partial 'HTTP/1.1 200'
	assert_output --regexp 'Api-Version: 1\.4[3-9]'
	assert_output --partial 'Ostype: linux'
	assert_output --partial 'Builder-Version: 1'
	assert_output --partial 'Server: husk/'
	run api http://d/_ping
	assert_output 'OK'
}

@test "/version and /info have Docker's JSON shapes with real values" {
	run api http://d/v1.43/version
	assert_success
	[ "$(jq -r .ApiVersion <<<"$output")" = 1.44 ]
	[ "$(jq -r .MinAPIVersion <<<"$output")" = 1.24 ]
	[ "$(jq -r .KernelVersion <<<"$output")" = "$(uname -r)" ]
	[ "$(jq -r '.Components[0].Name' <<<"$output")" = Engine ]
	run api http://d/info
	assert_success
	[ "$(jq -r .DockerRootDir <<<"$output")" = "$HUSK_DATA_ROOT" ]
	[ "$(jq -r .NCPU <<<"$output")" = "$(nproc)" ]
	[ "$(jq -r .OSType <<<"$output")" = linux ]
	[ "$(jq -r .ID <<<"$output")" = "$(cat "$HUSK_DATA_ROOT/engine-id")" ]
	local want=1
	[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] && want=2
	[ "$(jq -r .CgroupVersion <<<"$output")" = "$want" ]
	[ "$(jq -r .Driver <<<"$output")" = overlay2 ] || [ "$(jq -r .Driver <<<"$output")" = vfs ]
}

@test "API versions outside 1.24..1.44 are refused with Docker's words" {
	run api -w '\n%{http_code}' http://d/v1.99/version
	assert_line --index 0 '{"message":"client version 1.99 is too new. Maximum supported API version is 1.44"}'
	assert_line --index 1 400
	run api -w '\n%{http_code}' http://d/v1.45/version
	assert_line --index 0 '{"message":"client version 1.45 is too new. Maximum supported API version is 1.44"}'
	run api -w '\n%{http_code}' http://d/v1.44/version
	assert_line --index 1 200
	run api -w '\n%{http_code}' http://d/v1.12/version
	assert_output --partial 'client version 1.12 is too old. Minimum supported API version is 1.24'
	assert_line --index 1 400
	run api -w '\n%{http_code}' http://d/v1.24/version
	assert_line --index 1 200
	run api -w '\n%{http_code}' http://d/vX.1/version
	assert_line --index 1 404
}

@test "unknown paths get 404, wrong methods 405, in error JSON" {
	run api -w '\n%{http_code}' http://d/v1.43/nosuch
	assert_line --index 0 '{"message":"page not found"}'
	assert_line --index 1 404
	run api -w '\n%{http_code}' -X DELETE http://d/version
	assert_line --index 0 --partial '"message":"method DELETE not allowed for /version"'
	assert_line --index 1 405
}

@test "a huge request body is refused with 413 and the daemon keeps serving" {
	head -c $((5 * 1024 * 1024)) /dev/zero >"$HUSK_TEST_DIR/big"
	run api -w '\n%{http_code}' -X GET --data-binary @"$HUSK_TEST_DIR/big" http://d/version
	assert_output --partial 'request body larger than'
	assert_line --index 1 413
	run api http://d/_ping
	assert_output OK
}

@test "malformed and hostile requests never crash the daemon" {
	local pid
	pid=$(huskd_pid)
	printf 'GARBAGE\r\n\r\n' | socat - "UNIX-CONNECT:$HUSK_SOCK" >/dev/null 2>&1 || true
	api -H 'Content-Length: 99999999999999999999' -X POST http://d/version >/dev/null 2>&1 || true
	api "http://d/v1.43/version?$(head -c 20000 /dev/zero | tr '\0' a)" >/dev/null 2>&1 || true
	api "http://d/%00%ff/../../etc/passwd" >/dev/null 2>&1 || true
	for _ in $(seq 1 50); do api http://d/_ping >/dev/null & done
	wait
	kill -0 "$pid"
	run api http://d/_ping
	assert_output OK
}

@test "husk version and info talk to the daemon" {
	run husk -H "unix://$HUSK_SOCK" version
	assert_success
	assert_output --partial 'Server: husk Engine'
	assert_output --partial 'API version:      1.44 (minimum version 1.24)'
	run husk info
	assert_success
	assert_output --partial "Husk Root Dir: $HUSK_DATA_ROOT"
	assert_output --partial "Kernel Version: $(uname -r)"
	run husk info --format json
	assert_success
	[ "$(jq -r .DockerRootDir <<<"$output")" = "$HUSK_DATA_ROOT" ]
}

@test "the docker CLI drives huskd: docker version and docker info" {
	require_cmd docker
	DOCKER_HOST=unix://$HUSK_SOCK run docker version
	assert_success
	assert_output --partial 'Server: husk Engine'
	assert_output --partial 'API version:      1.44 (minimum version 1.24)'
	DOCKER_HOST=unix://$HUSK_SOCK run docker version --format '{{.Server.Version}}'
	assert_output "$(huskd --version | sed 's/husk version \([^,]*\),.*/\1/')"
	DOCKER_HOST=unix://$HUSK_SOCK run docker info
	assert_success
	assert_output --partial "Docker Root Dir: $HUSK_DATA_ROOT"
	refute_output --partial 'ERROR'
}

@test "a second huskd on the same pid file is refused and the first keeps serving" {
	run huskd --data-root "$HUSK_DATA_ROOT" --exec-root "$HUSK_EXEC_ROOT" \
		-H "unix://$HUSK_TEST_DIR/other.sock" --config-file "$HUSK_TEST_DIR/daemon.json"
	assert_failure
	assert_output --partial "huskd is already running (pid $(huskd_pid))"
	run huskd --data-root "$HUSK_TEST_DIR/d2" --exec-root "$HUSK_TEST_DIR/e2" \
		-H "unix://$HUSK_SOCK" --config-file "$HUSK_TEST_DIR/daemon.json"
	assert_failure
	assert_output --partial 'another daemon is listening there'
	[ ! -e "$HUSK_TEST_DIR/other.sock" ]
	run api http://d/_ping
	assert_output OK
}

@test "TCP listeners other than loopback without TLS are refused" {
	run huskd --data-root "$HUSK_TEST_DIR/d3" --exec-root "$HUSK_TEST_DIR/e3" \
		-H tcp://0.0.0.0:23750 --config-file "$HUSK_TEST_DIR/daemon.json"
	assert_failure
	assert_output --partial 'needs client-certificate authentication (--tlsverify'
}

@test "SIGHUP reloads daemon.json; SIGTERM shuts down cleanly" {
	echo '{"log-level": "debug"}' >"$HUSK_TEST_DIR/daemon.json"
	kill -HUP "$(huskd_pid)"
	sleep 0.3
	run grep -c "reloaded $HUSK_TEST_DIR/daemon.json" "$HUSK_TEST_DIR/huskd.log"
	assert_output 1
	echo '{"nonsense": 1}' >"$HUSK_TEST_DIR/daemon.json"
	kill -HUP "$(huskd_pid)"
	sleep 0.3
	run grep "don't match any configuration option: nonsense" "$HUSK_TEST_DIR/huskd.log"
	assert_success
	rm "$HUSK_TEST_DIR/daemon.json"
	local pid
	pid=$(huskd_pid)
	kill -TERM "$pid"
	for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	run kill -0 "$pid"
	assert_failure
	[ ! -e "$HUSK_SOCK" ]
	[ ! -e "$HUSK_EXEC_ROOT/huskd.pid" ]
	grep -q 'huskd stopped' "$HUSK_TEST_DIR/huskd.log"
}
