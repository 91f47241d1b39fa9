#!/usr/bin/env bats
# husk starts huskd on first use (root, local default socket), once.

load helpers

setup_file() {
	husk_file_setup
}

teardown_file() {
	husk_file_teardown
}

@test "husk version starts huskd in the background and says so once" {
	run --separate-stderr husk version
	assert_success
	assert_output --partial 'Server: husk Engine'
	[[ $stderr == *"husk: started huskd in the background (log: $HUSK_DATA_ROOT/huskd.log)"* ]]
	[ -S "$HUSK_SOCK" ]
	kill -0 "$(huskd_pid)"
	# a detached daemon: its own session, not husk's child
	[ "$(ps -o sid= -p "$(huskd_pid)" | tr -d ' ')" = "$(huskd_pid)" ]
	run --separate-stderr husk version
	assert_success
	[ -z "$stderr" ]
}

@test "killing huskd and running husk again restarts it" {
	local old
	old=$(huskd_pid)
	kill -KILL "$old"
	while kill -0 "$old" 2>/dev/null; do sleep 0.05; done
	run --separate-stderr husk version
	assert_success
	assert_output --partial 'Server: husk Engine'
	[[ $stderr == *"started huskd in the background"* ]]
	[ "$(huskd_pid)" != "$old" ]
	kill -0 "$(huskd_pid)"
}

@test "concurrent first uses start exactly one daemon" {
	huskd_stop
	local i
	for i in 1 2 3 4 5; do husk version >"$HUSK_TEST_DIR/out.$i" 2>&1 & done
	wait
	for i in 1 2 3 4 5; do grep -q 'Server: husk Engine' "$HUSK_TEST_DIR/out.$i"; done
	run bash -c "cat $HUSK_TEST_DIR/out.* | grep -c 'started huskd'"
	assert_output 1
	run pgrep -fc "huskd --data-root $HUSK_DATA_ROOT"
	assert_output 1
}

@test "no auto-start for an explicit host; a clear error instead" {
	run husk -H "unix://$HUSK_TEST_DIR/none.sock" version
	assert_failure 1
	assert_output --partial "cannot connect to the husk daemon at unix://$HUSK_TEST_DIR/none.sock"
	assert_output --partial 'Client:'
	DOCKER_HOST="unix://$HUSK_TEST_DIR/none.sock" run husk info
	assert_failure 1
	assert_output --partial 'cannot connect to the husk daemon'
	[ ! -e "$HUSK_TEST_DIR/none.sock" ]
}

@test "HUSK_NO_AUTOSTART disables auto-start" {
	huskd_stop
	HUSK_NO_AUTOSTART=1 run husk info
	assert_failure 1
	assert_output --partial "cannot connect to the husk daemon at unix://$HUSK_SOCK"
}

@test "a daemon that cannot start is reported, pointing at its log" {
	huskd_stop
	# the engine ID cannot be written where a directory stands in its way
	mkdir -p "$HUSK_TEST_DIR/bad/engine-id/x"
	HUSK_DATA_ROOT=$HUSK_TEST_DIR/bad run husk info
	assert_failure 1
	assert_output --partial 'exited with status 1 before answering'
	assert_output --partial "see $HUSK_TEST_DIR/bad/huskd.log"
	run grep -c 'engine-id' "$HUSK_TEST_DIR/bad/huskd.log"
	assert_output 1
}

@test "a socket path longer than the kernel allows is a clear client error" {
	local deep
	deep=$HUSK_TEST_DIR/$(printf 'd%.0s' $(seq 1 120))
	run husk -H "unix://$deep/husk.sock" version
	assert_failure 1
	assert_output --partial 'socket path is too long'
}
