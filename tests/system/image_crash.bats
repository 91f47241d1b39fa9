#!/usr/bin/env bats
# Crash safety of the store: huskd killed with SIGKILL at random moments
# of `load` and `import`, 30 times each; every time the store must open,
# `husk system check` must find no corruption, and the retried command
# must succeed.

load helpers

setup_file() {
	husk_file_setup
	# the test starts and kills huskd itself: a client must not start one
	export HUSK_NO_AUTOSTART=1
	FIXTURE=$("$FIXTURES/mkbusybox.sh")
	export FIXTURE
	# a rootfs tar for import, bigger than busybox so kills land mid-write
	mkdir -p "$HUSK_TEST_DIR/big"
	cp -a "$FIXTURE/rootfs/." "$HUSK_TEST_DIR/big/"
	head -c $((8 * 1024 * 1024)) /dev/urandom >"$HUSK_TEST_DIR/big/blob.bin"
	tar -C "$HUSK_TEST_DIR/big" -cf "$HUSK_TEST_DIR/rootfs.tar" .
}

teardown_file() {
	husk_file_teardown
}

# Run CMD in the background, kill huskd after a random delay, restart it,
# check the store, then run CMD again to completion.
crash_once() {
	huskd_start
	"$@" >/dev/null 2>&1 &
	local cmd=$!
	sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
	kill -KILL "$(huskd_pid)" 2>/dev/null || true
	wait "$cmd" || true
	rm -f "$HUSK_EXEC_ROOT/huskd.pid"
	huskd_start
	run husk system check
	if [ "$status" -ne 0 ] || [[ $output == *problem:* ]]; then
		echo "check after crash: $output" >&2
		return 1
	fi
	"$@" >/dev/null
	huskd_stop
}

@test "load: 30 kills at random moments leave a consistent store" {
	local i
	for i in $(seq 1 30); do
		crash_once husk load -i "$FIXTURE/busybox.tar"
	done
	huskd_start
	run husk images --format '{{.Repository}}:{{.Tag}}'
	assert_output 'busybox:latest'
	run husk system check --repair
	assert_success
	run husk system check
	assert_success
	refute_output --partial 'leftover:'
	huskd_stop
}

@test "import: 30 kills at random moments leave a consistent store" {
	local i
	for i in $(seq 1 30); do
		crash_once husk import "$HUSK_TEST_DIR/rootfs.tar" "crash:$i"
	done
	huskd_start
	run husk images --format '{{.Repository}}' --filter reference=crash
	[ "$(wc -l <<<"$output")" -ge 30 ]
	run husk system check
	assert_success
	refute_output --partial 'problem:'
	huskd_stop
}
