# shellcheck shell=bash
# Shared set-up for husk's system tests (bats). Each test file gets its own
# temporary data root and exec root, and everything it started is stopped in
# teardown, even when a test failed.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

HUSK_SRC=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
HUSK_BUILD=${HUSK_BUILD:-$HUSK_SRC/build}
export FIXTURES=$HUSK_SRC/tests/fixtures
export PATH="$HUSK_BUILD:$HUSK_BUILD/tests:$PATH"

# Per-file directories: the data root and exec root (socket, pid file) of
# this file's daemon. HUSK_DATA_ROOT/HUSK_EXEC_ROOT make them the "local
# default" for husk, so auto-start works inside the sandbox too.
husk_file_setup() {
	HUSK_TEST_DIR=$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/husk.XXXXXX")
	export HUSK_TEST_DIR
	export HUSK_DATA_ROOT=$HUSK_TEST_DIR/root
	export HUSK_EXEC_ROOT=$HUSK_TEST_DIR/run
	export HUSK_SOCK=$HUSK_EXEC_ROOT/husk.sock
	unset HUSK_HOST DOCKER_HOST
}

# Start huskd for this file, wait for its socket to answer.
huskd_start() {
	mkdir -p "$HUSK_EXEC_ROOT" "$HUSK_DATA_ROOT"
	# an explicit config file keeps the host's /etc/husk/daemon.json out
	[ -f "$HUSK_TEST_DIR/daemon.json" ] || echo '{}' >"$HUSK_TEST_DIR/daemon.json"
	huskd --data-root "$HUSK_DATA_ROOT" --exec-root "$HUSK_EXEC_ROOT" \
		-H "unix://$HUSK_SOCK" --pidfile "$HUSK_EXEC_ROOT/huskd.pid" \
		--config-file "$HUSK_TEST_DIR/daemon.json" "$@" \
		>>"$HUSK_TEST_DIR/huskd.log" 2>&1 &
	for _ in $(seq 1 100); do
		if curl -sf --unix-socket "$HUSK_SOCK" http://d/_ping >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.05
	done
	echo "huskd did not answer; its log:" >&2
	cat "$HUSK_TEST_DIR/huskd.log" >&2
	return 1
}

huskd_pid() {
	cat "$HUSK_EXEC_ROOT/huskd.pid" 2>/dev/null
}

# Stop this file's daemon (SIGTERM, then SIGKILL after 5 s).
huskd_stop() {
	local pid
	pid=$(huskd_pid) || return 0
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null || true
}

husk_file_teardown() {
	# containers outlive their daemon (live restore): remove them first, so
	# that no process, mount, veth or port of this file stays behind
	if [ -S "${HUSK_SOCK:-}" ] && command -v husk >/dev/null; then
		husk -H "unix://$HUSK_SOCK" ps -aq 2>/dev/null |
			xargs -r husk -H "unix://$HUSK_SOCK" rm -f >/dev/null 2>&1 || true
	fi
	huskd_stop
	# any daemon still serving this file's data root (auto-started, or
	# orphaned by a test that killed its parent) would keep bats waiting
	pkill -KILL -f -- "--data-root $HUSK_DATA_ROOT( |$)" 2>/dev/null || true
	# a daemon that was killed leaves its default bridge, nft table and BPF
	# programs (named after its data root)
	if [ -n "${HUSK_DATA_ROOT:-}" ]; then
		local h
		h=$(printf %s "$HUSK_DATA_ROOT" | sha256sum | cut -c1-8)
		ip link del "husk$h" 2>/dev/null || true
		nft delete table ip "husk_$h" 2>/dev/null || true
		"$HUSK_SRC/scripts/bpf-detach.sh" "husk_$h"
	fi
	if [ -n "${HUSK_TEST_DIR:-}" ] && [ -d "$HUSK_TEST_DIR" ]; then
		rm -rf "$HUSK_TEST_DIR"
	fi
}

# The usual setup_file: this file's directories and daemon (started with
# the arguments as extra flags), and the busybox image (FIXTURE: the
# fixtures' directory) loaded into it.
husk_file_setup_busybox() {
	husk_file_setup
	huskd_start "$@"
	FIXTURE=$("$FIXTURES/mkbusybox.sh")
	export FIXTURE
	husk load -i "$FIXTURE/busybox.tar" >/dev/null
}

# Skip the test with the reason when a host command is missing.
require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "$c is not installed on this host"
	done
}

# A private dockerd to compare husk with: data root, exec root and socket
# ($1/docker.sock, exported as DOCKERD_SOCK) under dir $1, no bridge, no
# iptables. Returns 1 (DOCKERD_SOCK empty) when dockerd or the docker CLI
# is missing or the daemon does not answer; dockerd_private_stop ends it.
dockerd_private_start() {
	local dir=$1
	export DOCKERD_SOCK=
	command -v dockerd >/dev/null && [ -x /usr/local/bin/docker ] || return 1
	dockerd --data-root "$dir/d" --exec-root "$dir/x" -H "unix://$dir/docker.sock" \
		--pidfile "$dir/d.pid" --bridge=none --iptables=false --ip6tables=false \
		>"$dir/dockerd.log" 2>&1 &
	for _ in $(seq 1 300); do
		if curl -sf --unix-socket "$dir/docker.sock" http://d/_ping >/dev/null 2>&1; then
			DOCKERD_SOCK=$dir/docker.sock
			return 0
		fi
		sleep 0.1
	done
	return 1
}

dockerd_private_stop() {
	local pid
	pid=$(cat "$1/d.pid" 2>/dev/null) || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 150); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}
