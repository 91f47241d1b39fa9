#!/usr/bin/env bats
# The local image commands: images, tag, rmi, history, image inspect,
# image prune, with husk and with the real docker CLI.

load helpers

setup_file() {
	husk_file_setup
	huskd_start
	FIXTURE=$("$FIXTURES/mkbusybox.sh")
	export FIXTURE
	husk load -i "$FIXTURE/busybox.tar" >/dev/null
}

teardown_file() {
	husk_file_teardown
}

dk() {
	DOCKER_HOST=unix://$HUSK_SOCK docker "$@"
}

image_id() {
	husk image inspect --format '{{.Id}}' "$1"
}

@test "images lists the loaded image with Docker's columns" {
	run husk images
	assert_success
	assert_line --index 0 --regexp '^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE$'
	assert_line --index 1 --regexp '^busybox +latest +[0-9a-f]{12} +.+ ago +[0-9.]+[kM]B$'
	run husk images -q
	assert_output --regexp '^[0-9a-f]{12}$'
	run husk images --no-trunc -q
	assert_output --regexp '^sha256:[0-9a-f]{64}$'
	run husk images --format '{{.Repository}}:{{.Tag}}'
	assert_output 'busybox:latest'
	run husk images --format json
	[ "$(jq -r .Repository <<<"$output")" = busybox ]
}

@test "tag: several names on one image; images shows each" {
	husk tag busybox example.test/team/bb:v1
	husk tag busybox:latest bb2
	run husk images --format '{{.Repository}} {{.Tag}}'
	assert_line 'busybox latest'
	assert_line 'example.test/team/bb v1'
	assert_line 'bb2 latest'
	[ "$(image_id bb2)" = "$(image_id busybox)" ]
	run husk images example.test/team/bb
	assert_line --index 1 --partial 'example.test/team/bb'
	refute_output --partial 'busybox '
	run husk tag busybox 'Bad:Name'
	assert_failure
	assert_output --partial 'invalid reference format'
	run husk tag nosuch foo
	assert_failure
	assert_output --partial 'No such image: nosuch'
}

@test "history: newest first, CREATED BY and SIZE" {
	run husk history busybox
	assert_success
	assert_line --index 0 --regexp '^IMAGE +CREATED +CREATED BY +SIZE +COMMENT$'
	assert_line --index 1 --partial 'mkbusybox.sh'
	run husk history -q busybox
	assert_output --regexp '^[0-9a-f]{12}$'
	run husk history --no-trunc --format '{{.CreatedBy}}' busybox
	assert_output --regexp '^mkbusybox.sh: busybox-static .+$'
}

@test "image inspect: Docker's shape" {
	run husk image inspect busybox
	assert_success
	[ "$(jq -r '.[0].RootFS.Type' <<<"$output")" = layers ]
	[ "$(jq -r '.[0].Config.Cmd[0]' <<<"$output")" = sh ]
	[ "$(jq -r '.[0].Os' <<<"$output")" = linux ]
	[ "$(jq -r '.[0].Architecture' <<<"$output")" = amd64 ]
	[ "$(jq -r '.[0].RepoTags | index("busybox:latest")' <<<"$output")" != null ]
	[ "$(jq -r '.[0].Id' <<<"$output")" = "$(image_id busybox)" ]
	run husk image inspect --format '{{.Config.Cmd}} {{json .RootFS.Layers}}' busybox
	assert_output --regexp '^\[sh\] \["sha256:[0-9a-f]{64}"\]$'
	run husk image inspect nosuch
	assert_failure
	assert_output --partial 'No such image: nosuch'
}

@test "images by ID prefix; ambiguous and unknown names" {
	local id
	id=$(image_id busybox)
	run husk image inspect --format '{{.Id}}' "${id:7:6}"
	assert_output "$id"
	run husk image inspect --format '{{.Id}}' "$id"
	assert_output "$id"
}

@test "rmi: untag while other names remain, delete with the last" {
	husk tag busybox gone:1
	run husk rmi gone:1
	assert_success
	assert_output 'Untagged: gone:1'
	run husk rmi "$(image_id busybox)"
	assert_failure
	assert_output --partial 'must be forced'
	husk load -i "$FIXTURE/busybox.tar" >/dev/null
	husk tag busybox solo:1
	run husk rmi -f "$(image_id busybox)"
	assert_success
	assert_output --partial 'Untagged: busybox:latest'
	assert_output --regexp 'Deleted: sha256:[0-9a-f]{64}'
	run husk images -q
	assert_output ''
	# blobs and layers went too
	run find "$HUSK_DATA_ROOT/store/layers" -mindepth 1 -maxdepth 1 -not -name '.*'
	assert_output ''
	husk load -i "$FIXTURE/busybox.tar" >/dev/null
}

@test "image prune removes dangling images only; -a removes unused tagged ones" {
	husk load -i "$FIXTURE/busybox.tar" >/dev/null
	husk tag busybox keep:1
	husk rmi busybox >/dev/null
	run husk image prune -f
	assert_success
	assert_output --partial 'Total reclaimed space:'
	run husk images --format '{{.Repository}}'
	assert_output 'keep'
	husk rmi keep:1 >/dev/null 2>&1 || true
	husk load -i "$FIXTURE/busybox.tar" >/dev/null
	run husk image prune -a -f
	assert_success
	assert_output --partial 'deleted: sha256:'
	run husk images -q
	assert_output ''
	husk load -i "$FIXTURE/busybox.tar" >/dev/null
}

@test "the docker CLI: images, tag, history, inspect, rmi, image prune" {
	require_cmd docker
	run dk images
	assert_success
	assert_output --regexp 'busybox +latest +[0-9a-f]{12}'
	dk tag busybox dkt:1
	run dk images --format '{{.Repository}}:{{.Tag}}'
	assert_line 'dkt:1'
	run dk history busybox
	assert_success
	assert_output --partial 'mkbusybox.sh'
	run dk image inspect --format '{{.Os}}/{{.Architecture}}' busybox
	assert_output 'linux/amd64'
	run dk inspect --format '{{.Id}}' busybox
	assert_output "$(image_id busybox)"
	run dk rmi dkt:1
	assert_output 'Untagged: dkt:1'
	run dk image prune -f
	assert_success
	assert_output --partial 'Total reclaimed space'
}

@test "bad requests: filters, names" {
	run curl -s --unix-socket "$HUSK_SOCK" 'http://d/images/json?filters=%7Bbad'
	assert_output --partial 'invalid filter'
	run curl -s --unix-socket "$HUSK_SOCK" 'http://d/images/json?filters=%7B%22nope%22%3A%7B%22x%22%3Atrue%7D%7D'
	assert_output --partial "invalid filter 'nope'"
	run curl -s -o /dev/null -w '%{http_code}' --unix-socket "$HUSK_SOCK" -X DELETE 'http://d/images/nosuch'
	assert_output 404
	run curl -s -o /dev/null -w '%{http_code}' --unix-socket "$HUSK_SOCK" -X POST 'http://d/images/busybox/tag?repo=UPPER'
	assert_output 400
}
