#!/usr/bin/env bats
# husk pull, push, login and logout through huskd, against Debian's
# docker-registry (distribution 2.8) on 127.0.0.1, anonymous and with
# htpasswd auth, and against husk-registry when it is built. Two daemons
# with their own data roots stand in for two computers. The real docker
# CLI drives huskd the same way. Ports 5300-5399 are this file's.

load helpers
load docker_registry

REG_ANON=127.0.0.1:5301
REG_AUTH=127.0.0.1:5302
REG_HUSK=127.0.0.1:5303
USER_NAME=tester
USER_PASS='s3cret-Pa55'

# Start docker-registry; $1 name, $2 addr, $3 htpasswd file or "".
registry_start() {
	local dir=$HUSK_TEST_DIR/reg-$1 auth=
	if [ -n "$3" ]; then
		auth="auth:
  htpasswd:
    realm: husk-test
    path: $3"
	fi
	docker_registry_config "$dir" "$2" "$auth"
	docker-registry serve "$dir/config.yml" >>"$dir/log" 2>&1 &
	echo $! >"$dir/pid"
	wait_http "http://$2/v2/"
}

# Wait until url answers at all (401 counts).
wait_http() {
	for _ in $(seq 1 100); do
		if curl -s -o /dev/null "$1"; then
			return 0
		fi
		sleep 0.05
	done
	echo "nothing answers at $1" >&2
	return 1
}

# The second "computer": another huskd with its own data root.
huskd2_start() {
	HUSK2=$HUSK_TEST_DIR/two
	mkdir -p "$HUSK2/root" "$HUSK2/run"
	echo '{}' >"$HUSK2/daemon.json"
	huskd --data-root "$HUSK2/root" --exec-root "$HUSK2/run" -H "unix://$HUSK2/run/husk.sock" \
		--pidfile "$HUSK2/run/huskd.pid" --config-file "$HUSK2/daemon.json" \
		>>"$HUSK_TEST_DIR/huskd2.log" 2>&1 &
	for _ in $(seq 1 100); do
		if curl -sf --unix-socket "$HUSK2/run/husk.sock" http://d/_ping >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.05
	done
	cat "$HUSK_TEST_DIR/huskd2.log" >&2
	return 1
}

h2() {
	husk -H "unix://$HUSK_TEST_DIR/two/run/husk.sock" "$@"
}

dk() {
	DOCKER_HOST=unix://$HUSK_SOCK DOCKER_CONFIG=$HUSK_TEST_DIR/dockercfg docker "$@"
}

stop_pidfile() {
	local pid
	pid=$(cat "$1" 2>/dev/null) || return 0
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null || true
}

setup_file() {
	husk_file_setup
	require_cmd docker-registry htpasswd
	huskd_start
	huskd2_start
	FIXTURE=$("$FIXTURES/mkbusybox.sh")
	export FIXTURE
	husk load -i "$FIXTURE/busybox.tar" >/dev/null
	htpasswd -Bbn "$USER_NAME" "$USER_PASS" >"$HUSK_TEST_DIR/htpasswd"
	registry_start anon "$REG_ANON" ""
	registry_start auth "$REG_AUTH" "$HUSK_TEST_DIR/htpasswd"
	if command -v husk-registry >/dev/null; then
		mkdir -p "$HUSK_TEST_DIR/reg-husk"
		husk-registry serve --addr "$REG_HUSK" --root "$HUSK_TEST_DIR/reg-husk/data" \
			>>"$HUSK_TEST_DIR/reg-husk/log" 2>&1 &
		echo $! >"$HUSK_TEST_DIR/reg-husk/pid"
		wait_http "http://$REG_HUSK/v2/"
	fi
}

teardown_file() {
	local r
	for r in anon auth husk; do
		stop_pidfile "$HUSK_TEST_DIR/reg-$r/pid"
	done
	stop_pidfile "$HUSK_TEST_DIR/two/run/huskd.pid"
	husk_file_teardown
}

# Every test gets its own credential files.
setup() {
	export HUSK_CONFIG=$HUSK_TEST_DIR/cfg-$BATS_TEST_NUMBER/husk
	export DOCKER_CONFIG=$HUSK_TEST_DIR/cfg-$BATS_TEST_NUMBER/docker
}

image_id() {
	"${@:2}" image inspect --format '{{.Id}}' "$1"
}

login_ok() {
	husk login -u "$USER_NAME" --password-stdin "$REG_AUTH" <<<"$USER_PASS"
}

@test "push, then pull on the other computer; a second pull is up to date" {
	husk tag busybox "$REG_ANON/test/bb:v1"
	run husk push "$REG_ANON/test/bb:v1"
	assert_success
	assert_line "The push refers to repository [$REG_ANON/test/bb]"
	assert_line --regexp '^[0-9a-f]{12}: Pushed$'
	assert_line --regexp '^v1: digest: sha256:[0-9a-f]{64} size: [0-9]+$'
	refute_output --partial '[='
	run h2 pull "$REG_ANON/test/bb:v1"
	assert_success
	assert_line "v1: Pulling from test/bb"
	assert_line --regexp '^[0-9a-f]{12}: Pull complete$'
	assert_line --regexp '^Digest: sha256:[0-9a-f]{64}$'
	assert_line "Status: Downloaded newer image for $REG_ANON/test/bb:v1"
	assert_line --index $((${#lines[@]} - 1)) "$REG_ANON/test/bb:v1"
	run h2 images --format '{{.Repository}}:{{.Tag}}'
	assert_line "$REG_ANON/test/bb:v1"
	[ "$(image_id "$REG_ANON/test/bb:v1" h2)" = "$(image_id busybox husk)" ]
	run h2 pull "$REG_ANON/test/bb:v1"
	assert_success
	assert_line "Status: Image is up to date for $REG_ANON/test/bb:v1"
	refute_output --partial 'Pull complete'
	# dockerd's image events: the familiar reference as id and name
	run curl -s --unix-socket "$HUSK_TEST_DIR/two/run/husk.sock" \
		"http://d/v1.43/events?since=0&until=$(($(date +%s) + 1))&filters=%7B%22event%22%3A%7B%22pull%22%3Atrue%7D%7D"
	assert_line --index 0 --partial "\"Action\":\"pull\",\"Actor\":{\"ID\":\"$REG_ANON/test/bb:v1\",\"Attributes\":{\"name\":\"$REG_ANON/test/bb:v1\"}}"
	run curl -s --unix-socket "$HUSK_SOCK" \
		"http://d/v1.43/events?since=0&until=$(($(date +%s) + 1))&filters=%7B%22event%22%3A%7B%22push%22%3Atrue%7D%7D"
	assert_line --index 0 --partial "\"Action\":\"push\",\"Actor\":{\"ID\":\"$REG_ANON/test/bb:v1\""
}

@test "pull -q prints only the name; by digest; the default tag is said" {
	husk tag busybox "$REG_ANON/test/q:latest"
	run husk push -q "$REG_ANON/test/q"
	assert_success
	assert_output "$REG_ANON/test/q:latest"
	run h2 pull -q "$REG_ANON/test/q"
	assert_success
	assert_output "$REG_ANON/test/q:latest"
	run h2 image inspect --format '{{index .RepoDigests 0}}' "$REG_ANON/test/q"
	assert_success
	digest=${output#*@}
	[[ $digest == sha256:* ]]
	run h2 pull "$REG_ANON/test/q@$digest"
	assert_success
	assert_line --index $((${#lines[@]} - 1)) "$REG_ANON/test/q@$digest"
	run h2 pull "$REG_ANON/test/q"
	assert_line --index 0 'Using default tag: latest'
	run husk push "$REG_ANON/test/q"
	assert_line --index 0 'Using default tag: latest'
}

@test "pull -a takes every tag; -a with a tag is refused" {
	husk tag busybox "$REG_ANON/test/all:one"
	husk tag busybox "$REG_ANON/test/all:two"
	run husk push -a "$REG_ANON/test/all"
	assert_success
	assert_line --partial 'one: digest: sha256:'
	assert_line --partial 'two: digest: sha256:'
	run h2 pull -a "$REG_ANON/test/all"
	assert_success
	run h2 images --format '{{.Repository}}:{{.Tag}}' "$REG_ANON/test/all"
	assert_line "$REG_ANON/test/all:one"
	assert_line "$REG_ANON/test/all:two"
	run husk pull -a "$REG_ANON/test/all:one"
	assert_failure
	assert_output "tag can't be used with --all-tags/-a"
}

@test "pull errors: unknown repository or tag, nothing listening, bad names" {
	run h2 pull "$REG_ANON/test/nosuch:v1"
	assert_failure 1
	assert_output --regexp '^Error response from daemon: .*(not found|unknown)'
	run h2 pull "$REG_ANON/test/bb:nosuchtag"
	assert_failure 1
	assert_output --regexp '^Error response from daemon: .*(not found|unknown)'
	run h2 pull 127.0.0.1:5399/test/bb:v1
	assert_failure 1
	assert_output --partial 'Error response from daemon: '
	run h2 pull 'Bad/Name'
	assert_failure 1
	assert_output --partial 'invalid reference format'
	run h2 pull 'a b'
	assert_failure 1
	assert_output --partial 'invalid reference format'
	# the daemon's answers before streaming: HTTP status and {"message"}
	run curl -s -o /dev/null -w '%{http_code}' -X POST --unix-socket "$HUSK_SOCK" \
		"http://d/v1.43/images/create?fromImage=$REG_ANON/test/nosuch&tag=v1"
	assert_output 404
}

@test "push errors: missing local image, digest, registry that refuses" {
	run husk push "$REG_ANON/test/never:v1"
	assert_failure 1
	assert_output --regexp '(No such image|does not exist)'
	run husk push "$REG_ANON/test/bb@sha256:$(printf '%064d' 0)"
	assert_failure 1
	assert_output --partial 'push a tag'
	husk tag busybox "$REG_AUTH/test/anon:v1"
	run husk push "$REG_AUTH/test/anon:v1"
	assert_failure 1
	assert_output --regexp '(unauthorized|authentication required|401)'
}

@test "login writes the auths entry 0600, never shows the password; logout removes it" {
	mkdir -p "$HUSK_CONFIG"
	echo '{"psFormat": "table {{.ID}}", "auths": {"other.example": {"auth": "dTpw"}}}' \
		>"$HUSK_CONFIG/config.json"
	run login_ok
	assert_success
	assert_line 'Login Succeeded'
	refute_output --partial "$USER_PASS"
	[ "$(stat -c %a "$HUSK_CONFIG/config.json")" = 600 ]
	[ "$(jq -r --arg k "$REG_AUTH" '.auths[$k].auth' "$HUSK_CONFIG/config.json")" = \
		"$(printf '%s:%s' "$USER_NAME" "$USER_PASS" | base64 -w0)" ]
	[ "$(jq -r .psFormat "$HUSK_CONFIG/config.json")" = 'table {{.ID}}' ]
	[ "$(jq -r '.auths["other.example"].auth' "$HUSK_CONFIG/config.json")" = dTpw ]
	# the credentials are used for that registry
	husk tag busybox "$REG_AUTH/test/priv:v1"
	run husk push "$REG_AUTH/test/priv:v1"
	assert_success
	run h2 pull "$REG_AUTH/test/priv:v1"
	assert_success
	run husk logout "$REG_AUTH"
	assert_success
	assert_output "Removing login credentials for $REG_AUTH"
	[ "$(jq -r --arg k "$REG_AUTH" '.auths[$k]' "$HUSK_CONFIG/config.json")" = null ]
	[ "$(jq -r '.auths["other.example"].auth' "$HUSK_CONFIG/config.json")" = dTpw ]
	run husk logout "$REG_AUTH"
	assert_output "Not logged in to $REG_AUTH"
	run h2 pull "$REG_AUTH/test/priv:v1"
	assert_failure 1
}

@test "a new config dir is made 0700" {
	run login_ok
	assert_success
	[ "$(stat -c %a "$HUSK_CONFIG")" = 700 ]
	[ "$(stat -c %a "$HUSK_CONFIG/config.json")" = 600 ]
}

@test "login failures: wrong password, bad flag combinations, no terminal" {
	run husk login -u "$USER_NAME" --password-stdin "$REG_AUTH" <<<"wrong-one"
	assert_failure 1
	assert_output --partial 'Error response from daemon: '
	assert_output --partial '401 Unauthorized'
	refute_output --partial 'wrong-one'
	[ ! -e "$HUSK_CONFIG/config.json" ]
	run husk login --password-stdin "$REG_AUTH" <<<"x"
	assert_failure 1
	assert_output 'Must provide --username with --password-stdin'
	run husk login -u a -p b --password-stdin "$REG_AUTH" <<<"x"
	assert_failure 1
	assert_output --partial 'mutually exclusive'
	run husk login "$REG_AUTH" </dev/null
	assert_failure 1
	assert_output --partial 'Cannot perform an interactive login from a non TTY device'
	run husk login -u "$USER_NAME" -p "$USER_PASS" "$REG_AUTH"
	assert_success
	assert_line 'WARNING! Using --password via the CLI is insecure. Use --password-stdin.'
	refute_output --partial "$USER_PASS"
	run husk login 127.0.0.1:5399 -u a --password-stdin <<<"b"
	assert_failure 1
	assert_output --partial 'Error response from daemon: '
}

@test "login on a terminal: prompts for the user, reads the password without echo" {
	require_cmd script
	run script -qec "husk login $REG_AUTH" /dev/null < <(sleep 0.5; printf '%s\n' "$USER_NAME"; sleep 0.5; printf '%s\n' "$USER_PASS")
	assert_success
	assert_output --partial 'Username: '
	assert_output --partial 'Password: '
	assert_output --partial 'Login Succeeded'
	refute_output --partial "$USER_PASS"
	[ "$(jq -r --arg k "$REG_AUTH" '.auths[$k].auth' "$HUSK_CONFIG/config.json")" = \
		"$(printf '%s:%s' "$USER_NAME" "$USER_PASS" | base64 -w0)" ]
}

@test "login with no flags tries the stored credentials first" {
	login_ok
	run husk login "$REG_AUTH" </dev/null
	assert_success
	assert_line 'Authenticating with existing credentials...'
	assert_line 'Login Succeeded'
}

@test "credentials are read from docker's config.json; helpers are refused clearly" {
	mkdir -p "$DOCKER_CONFIG"
	jq -n --arg k "$REG_AUTH" --arg a "$(printf '%s:%s' "$USER_NAME" "$USER_PASS" | base64 -w0)" \
		'{auths: {($k): {auth: $a}}}' >"$DOCKER_CONFIG/config.json"
	cp "$DOCKER_CONFIG/config.json" "$HUSK_TEST_DIR/before.json"
	husk tag busybox "$REG_AUTH/test/dockercfg:v1"
	run husk push "$REG_AUTH/test/dockercfg:v1"
	assert_success
	run husk logout "$REG_AUTH"
	assert_output --partial "Not logged in to $REG_AUTH"
	cmp "$DOCKER_CONFIG/config.json" "$HUSK_TEST_DIR/before.json" # never written
	echo '{"credsStore": "secretservice"}' >"$DOCKER_CONFIG/config.json"
	run h2 pull "$REG_AUTH/test/dockercfg:v1"
	assert_failure 1
	assert_line --partial 'docker-credential-secretservice'
	assert_line --partial 'not support'
}

@test "X-Registry-Auth: scoped to its server, lenient base64, refused when malformed for push" {
	local good other nopad
	husk tag busybox "$REG_AUTH/test/hdr:v1"
	login_ok
	husk push "$REG_AUTH/test/hdr:v1" >/dev/null
	good=$(jq -cn --arg u "$USER_NAME" --arg p "$USER_PASS" --arg s "$REG_AUTH" \
		'{username: $u, password: $p, serveraddress: $s}' | base64 -w0)
	other=$(jq -cn --arg u "$USER_NAME" --arg p "$USER_PASS" \
		'{username: $u, password: $p, serveraddress: "127.0.0.1:5399"}' | base64 -w0 | tr '+/' '-_')
	nopad=${good%%=*}
	api() {
		curl -s -X POST --unix-socket "$HUSK_TEST_DIR/two/run/husk.sock" -H "X-Registry-Auth: $1" \
			"http://d/v1.43/images/create?fromImage=$REG_AUTH/test/hdr&tag=v1"
	}
	run api "$nopad"
	assert_success
	assert_output --partial 'Status: '
	refute_output --partial errorDetail
	# credentials given for another server are not sent to this one
	run api "$other"
	refute_output --partial 'Status: '
	refute_output --partial "$USER_PASS"
	# a malformed header: pull goes on anonymously (dockerd), push is refused
	run api '%%%'
	refute_output --partial 'Status: '
	run curl -s -w '\n%{http_code}' -X POST --unix-socket "$HUSK_SOCK" -H 'X-Registry-Auth: %%%' \
		"http://d/v1.43/images/$REG_AUTH/test/hdr/push?tag=v1"
	assert_line --index 1 400
	assert_line --index 0 --partial 'invalid X-Registry-Auth header'
}

@test "/auth answers as dockerd does" {
	run curl -s -w '\n%{http_code}' -X POST --unix-socket "$HUSK_SOCK" \
		-H 'Content-Type: application/json' \
		-d "{\"username\":\"$USER_NAME\",\"password\":\"$USER_PASS\",\"serveraddress\":\"$REG_AUTH\"}" \
		http://d/v1.43/auth
	assert_line --index 0 '{"IdentityToken":"","Status":"Login Succeeded"}'
	assert_line --index 1 200
	run curl -s -w '\n%{http_code}' -X POST --unix-socket "$HUSK_SOCK" \
		-d "{\"username\":\"$USER_NAME\",\"password\":\"nope\",\"serveraddress\":\"$REG_AUTH\"}" \
		http://d/v1.43/auth
	assert_line --index 0 --partial '"message":'
	assert_line --index 0 --partial '401 Unauthorized'
	assert_line --index 1 401
	run curl -s -w '\n%{http_code}' -X POST --unix-socket "$HUSK_SOCK" -d '{"username": 5}' \
		http://d/v1.43/auth
	assert_line --index 1 400
}

@test "on a terminal: a line per layer redrawn in place" {
	require_cmd script
	h2 rmi "$REG_ANON/test/bb:v1" >/dev/null 2>&1 || true
	run script -qec "husk -H unix://$HUSK_TEST_DIR/two/run/husk.sock pull $REG_ANON/test/bb:v1" /dev/null
	assert_success
	assert_output --partial $'\033[1A'
	assert_output --partial $'\033[2K\r'
	assert_output --regexp '(Pull complete|Already exists)'
}

@test "the docker CLI pulls, pushes and logs in through huskd" {
	require_cmd docker
	run dk pull "$REG_ANON/test/bb:v1"
	assert_success
	assert_line --partial "Digest: sha256:"
	assert_line "$REG_ANON/test/bb:v1"
	dk tag busybox "$REG_ANON/test/fromdocker:v2"
	run dk push "$REG_ANON/test/fromdocker:v2"
	assert_success
	assert_line --regexp '^v2: digest: sha256:[0-9a-f]{64} size: [0-9]+$'
	run h2 pull "$REG_ANON/test/fromdocker:v2"
	assert_success
	run dk login -u "$USER_NAME" --password-stdin "$REG_AUTH" <<<"$USER_PASS"
	assert_success
	assert_line 'Login Succeeded'
	dk tag busybox "$REG_AUTH/test/fromdocker:v3"
	run dk push "$REG_AUTH/test/fromdocker:v3"
	assert_success
	run dk login -u "$USER_NAME" --password-stdin "$REG_AUTH" <<<"bad"
	assert_failure
	assert_output --partial 'Error response from daemon: '
	run dk pull "$REG_ANON/test/nosuch:v1"
	assert_failure
	assert_output --regexp '(not found|unknown)'
}

@test "husk-registry: push and pull" {
	command -v husk-registry >/dev/null || skip "husk-registry is not built"
	husk tag busybox "$REG_HUSK/test/bb:v1"
	run husk push "$REG_HUSK/test/bb:v1"
	assert_success
	run h2 pull "$REG_HUSK/test/bb:v1"
	assert_success
	[ "$(image_id "$REG_HUSK/test/bb:v1" h2)" = "$(image_id busybox husk)" ]
}
