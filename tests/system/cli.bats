#!/usr/bin/env bats
# husk's command line: help, flags, errors and exit codes as docker's.

load helpers

setup_file() {
	husk_file_setup
	huskd_start
}

teardown_file() {
	husk_file_teardown
}

@test "husk --help lists the command table" {
	run husk --help
	assert_success
	assert_output --partial 'Usage:  husk [OPTIONS] COMMAND'
	assert_output --regexp 'version +Show the husk version information'
	assert_output --regexp 'system +Manage husk'
	assert_output --partial '-H, --host list'
	run husk
	assert_failure 1
	assert_output --partial 'Usage:  husk [OPTIONS] COMMAND'
}

@test "husk COMMAND --help shows its options" {
	run husk version --help
	assert_success
	assert_output --partial 'Usage:  husk version [OPTIONS]'
	assert_output --partial '-f, --format string'
	run husk system --help
	assert_success
	assert_output --regexp 'info +Display system-wide information'
	run husk system info --help
	assert_success
	assert_output --partial 'Usage:  husk system info [OPTIONS]'
}

@test "unknown commands and flags exit 125 with one clear line" {
	run husk frobnicate
	assert_failure 125
	assert_line --index 0 'husk: unknown command: husk frobnicate'
	run husk version --bogus
	assert_failure 125
	assert_line --index 0 'husk: unknown flag: --bogus'
	run husk -Z version
	assert_failure 125
	assert_line --index 0 "husk: unknown shorthand flag: 'Z' in -Z"
	run husk system frob
	assert_failure 125
	assert_output --partial 'unknown command "system frob"'
	run husk version extra
	assert_failure 125
	assert_output --partial '"husk version" accepts no arguments.'
}

@test "global flags: -v, -H and environment hosts" {
	run husk -v
	assert_success
	assert_output --regexp '^husk version [0-9.]+, build '
	run husk -H "unix://$HUSK_SOCK" -H unix:///x version
	assert_failure 125
	assert_output --partial 'specify only one -H'
	HUSK_HOST=unix://$HUSK_SOCK run husk system info --format json
	assert_success
	[ "$(jq -r .DockerRootDir <<<"$output")" = "$HUSK_DATA_ROOT" ]
	DOCKER_HOST=unix://$HUSK_SOCK HUSK_NO_AUTOSTART=1 HUSK_EXEC_ROOT=/nonexistent run husk info
	assert_success
	run husk -H tcp://127.0.0.1:2375 version
	assert_failure 1
	assert_output --partial 'only unix:// sockets are supported'
	run husk -H bogus version
	assert_output --partial 'invalid host "bogus"'
}

@test "husk version --format json is the daemon's document" {
	run husk version --format json
	assert_success
	[ "$(jq -r .ApiVersion <<<"$output")" = 1.44 ]
	run husk version --format '{{.Server}}'
	assert_failure 1
	assert_output --partial 'unsupported --format'
}
