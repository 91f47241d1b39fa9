#!/usr/bin/env bats
# Named volumes (husk volume …, the docker CLI, the raw API), the /events
# stream (replays with --since/--until, live delivery, filters, image
# events from tag/rmi/load), and bad input on both.

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

api() {
	curl -s --unix-socket "$HUSK_SOCK" "$@"
}

# The API's HTTP status for a request.
api_status() {
	curl -s -o /dev/null -w '%{http_code}' --unix-socket "$HUSK_SOCK" "$@"
}

@test "volume create, ls, inspect, rm with husk" {
	run husk volume create data1
	assert_success
	assert_output data1
	run husk volume create --label tier=db --label keep data2
	assert_success
	run husk volume ls
	assert_success
	assert_line --index 0 --regexp '^DRIVER +VOLUME NAME$'
	assert_line --index 1 --regexp '^local +data1$'
	assert_line --index 2 --regexp '^local +data2$'
	run husk volume ls -q
	assert_output "$(printf 'data1\ndata2')"
	run husk volume ls --filter label=tier=db --format '{{.Name}} {{.Labels}}'
	assert_output 'data2 keep=,tier=db'
	run husk volume ls --format json
	[ "$(head -1 <<<"$output" | jq -r .Driver)" = local ]
	run husk volume inspect data2
	assert_success
	[ "$(jq -r '.[0].Name' <<<"$output")" = data2 ]
	[ "$(jq -r '.[0].Driver' <<<"$output")" = local ]
	[ "$(jq -r '.[0].Scope' <<<"$output")" = local ]
	[ "$(jq -r '.[0].Labels.tier' <<<"$output")" = db ]
	[ "$(jq -r '.[0].Mountpoint' <<<"$output")" = "$HUSK_DATA_ROOT/volumes/data2/_data" ]
	[ -d "$HUSK_DATA_ROOT/volumes/data2/_data" ]
	run husk volume inspect --format '{{.Name}}:{{.Driver}}' data1 data2
	assert_output "$(printf 'data1:local\ndata2:local')"
	# idempotent create
	run husk volume create data1
	assert_success
	run husk volume rm data1 data2
	assert_success
	assert_output "$(printf 'data1\ndata2')"
	run husk volume ls -q
	assert_output ''
}

@test "volume errors: names, drivers, options, missing volumes" {
	run husk volume create x
	assert_failure
	assert_output --partial 'create x: volume name is too short'
	run husk volume create 'a/b'
	assert_failure
	assert_output --partial '"a/b" includes invalid characters for a local volume name'
	run husk volume create ../../etc
	assert_failure
	assert_output --partial 'invalid characters'
	run husk volume create -d nfs v1
	assert_failure
	assert_output --partial 'plugin "nfs" not found'
	run husk volume create -o foo=bar v1
	assert_failure
	assert_output --partial 'invalid option: "foo"'
	run husk volume create -o type=tmpfs v1
	assert_failure
	assert_output --partial 'missing required option: "device"'
	run husk volume create --name a1 b1
	assert_failure
	assert_output --partial 'conflicting options'
	run husk volume inspect nope
	assert_failure
	assert_output --partial 'Error response from daemon: get nope: no such volume'
	run husk volume rm nope
	assert_failure
	assert_output --partial 'get nope: no such volume'
	run husk volume rm -f nope
	assert_success
	run husk volume ls --filter bogus=1
	assert_failure
	assert_output --partial "invalid filter 'bogus'"
	run husk volume ls --filter dangling=maybe
	assert_failure
	assert_output --partial "invalid filter 'dangling=maybe'"
	run husk volume ls -q
	assert_output ''
}

@test "volume prune: anonymous by default, all with -a, filters" {
	husk volume create named1 >/dev/null
	husk volume create --label junk named2 >/dev/null
	anon=$(api -X POST -H 'Content-Type: application/json' -d '{}' \
		http://d/volumes/create | jq -r .Name)
	[[ $anon =~ ^[0-9a-f]{64}$ ]]
	echo 0123456789 >"$HUSK_DATA_ROOT/volumes/$anon/_data/f"
	run husk volume prune -f
	assert_success
	assert_line 'Deleted Volumes:'
	assert_line "$anon"
	assert_line 'Total reclaimed space: 11B'
	run husk volume prune -f
	assert_output 'Total reclaimed space: 0B'
	run husk volume prune -f -a --filter label=junk
	assert_line named2
	refute_line named1
	# without -f it asks, and no answer keeps everything
	run husk volume prune -a </dev/null
	assert_output --partial 'WARNING! This will remove all local volumes'
	run husk volume ls -q
	assert_output named1
	echo y | husk volume prune -a >/dev/null
	run husk volume ls -q
	assert_output ''
	run husk volume prune -f --filter dangling=true
	assert_failure
	assert_output --partial "invalid filter 'dangling'"
}

@test "the raw API: statuses and shapes" {
	run api_status http://d/volumes/nope
	assert_output 404
	run api http://d/volumes/nope
	[ "$(jq -r .message <<<"$output")" = 'get nope: no such volume' ]
	run api_status -X POST -H 'Content-Type: application/json' -d '{"Name":' \
		http://d/volumes/create
	assert_output 400
	run api_status -X POST -H 'Content-Type: application/json' \
		-d '{"Name":"v9","Labels":{"a":1}}' http://d/volumes/create
	assert_output 400
	run api_status -X POST -H 'Content-Type: application/json' -d '{"Name":"v9"}' \
		http://d/volumes/create
	assert_output 201
	run api 'http://d/volumes?filters=%7B%22name%22%3A%7B%22v9%22%3Atrue%7D%7D'
	[ "$(jq -r '.Volumes | length' <<<"$output")" = 1 ]
	[ "$(jq -r '.Warnings' <<<"$output")" = null ]
	run api_status 'http://d/volumes?filters=notjson'
	assert_output 400
	run api_status -X DELETE http://d/volumes/v9
	assert_output 204
	run api_status -X DELETE http://d/volumes/v9
	assert_output 404
	run api_status -X DELETE 'http://d/volumes/v9?force=1'
	assert_output 204
	run api -X POST http://d/volumes/prune
	[ "$(jq -r .SpaceReclaimed <<<"$output")" = 0 ]
}

@test "the docker CLI: volume create, ls, inspect, rm, prune, system df" {
	require_cmd docker
	run dk volume create --label team=a dv1
	assert_success
	assert_output dv1
	run dk volume create -d local -o type=tmpfs -o device=tmpfs -o o=size=8m dv2
	assert_success
	run dk volume ls
	assert_success
	assert_line --index 0 --regexp '^DRIVER +VOLUME NAME$'
	assert_line --regexp '^local +dv1$'
	assert_line --regexp '^local +dv2$'
	run dk volume ls -q --filter label=team=a
	assert_output dv1
	run dk volume inspect dv2
	assert_success
	[ "$(jq -r '.[0].Options.type' <<<"$output")" = tmpfs ]
	[ "$(jq -r '.[0].Options.o' <<<"$output")" = size=8m ]
	run dk volume inspect --format '{{.Name}} {{.Driver}} {{.Labels.team}}' dv1
	assert_output 'dv1 local a'
	run dk volume inspect nope
	assert_failure
	assert_output --partial 'no such volume'
	run dk volume create 'bad/name'
	assert_failure
	assert_output --partial 'includes invalid characters'
	run dk system df
	assert_success
	assert_line --regexp '^Local Volumes +2 +0 '
	run dk system df -v
	assert_success
	assert_output --partial dv1
	run dk volume rm dv1
	assert_output dv1
	run dk volume prune -f -a
	assert_success
	assert_output --partial dv2
	run dk volume ls -q
	assert_output ''
}

@test "docker events --since shows image tag events, with filters" {
	require_cmd docker
	since=$(date +%s)
	husk tag busybox ev-test:v1
	husk tag busybox ev-test:v2
	husk rmi ev-test:v1 >/dev/null
	husk volume create evvol >/dev/null
	sleep 1.1 # docker rounds --until down to whole seconds
	until=$(($(date +%s)))
	id=$(husk image inspect --format '{{.Id}}' busybox)
	run dk events --since "$since" --until "$until"
	assert_success
	assert_line --regexp "^[0-9T:.-]+Z image tag $id \\(name=ev-test:v1\\)$"
	assert_line --regexp "^[0-9T:.-]+Z image tag $id \\(name=ev-test:v2\\)$"
	assert_line --regexp "image untag $id \\(name=$id\\)$"
	assert_line --regexp 'volume create evvol \(driver=local\)$'
	run dk events --since "$since" --until "$until" --filter type=image --filter event=tag \
		--format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}'
	assert_output "$(printf 'image tag ev-test:v1\nimage tag ev-test:v2')"
	run dk events --since "$since" --until "$until" --filter image=ev-test:v2 \
		--format '{{.Action}}'
	assert_output tag
	run dk events --since "$since" --until "$until" --filter volume=evvol --format '{{json .}}'
	[ "$(jq -r .Actor.ID <<<"$output")" = evvol ]
	[ "$(jq -r .scope <<<"$output")" = local ]
	# husk's own client, durations and RFC 3339
	run husk events --since 1m --until "$until" --filter event=untag --format json
	[ "$(jq -r .id <<<"$output")" = "$id" ]
	run husk events --since "$(date -u -d @"$since" +%Y-%m-%dT%H:%M:%SZ)" --until "$until" \
		--filter type=volume --filter volume=evvol
	assert_output --regexp '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z volume create evvol \(driver=local\)$'
	husk volume rm evvol >/dev/null
	husk rmi ev-test:v2 >/dev/null
}

@test "events stream live and end at until; bad arguments are errors" {
	out=$HUSK_TEST_DIR/events.out
	husk events --filter type=volume --until "$(($(date +%s) + 3))" >"$out" &
	pid=$!
	sleep 0.5
	husk volume create live1 >/dev/null
	husk tag busybox not-a-volume-event
	for _ in $(seq 1 40); do
		grep -q live1 "$out" && break
		sleep 0.05
	done
	run cat "$out"
	assert_output --regexp 'volume create live1 \(driver=local\)$'
	refute_output --partial 'image tag'
	# the stream ends by itself at --until
	wait "$pid"
	# a client that goes away does not hurt the daemon
	curl -s -m 0.5 --unix-socket "$HUSK_SOCK" http://d/events >/dev/null || true
	run api_status http://d/_ping
	assert_output 200
	run husk events --filter bogus=x
	assert_failure
	assert_output --partial "invalid filter 'bogus'"
	run husk events --since tomorrow
	assert_failure
	assert_output --partial 'failed to parse value as time or duration: "tomorrow"'
	run husk events --filter noequals
	assert_failure
	assert_output --partial 'bad format of filter'
	run api_status 'http://d/events?filters=%7B'
	assert_output 400
	run api_status 'http://d/events?until=soon'
	assert_output 400
	husk volume rm live1 >/dev/null
	husk rmi not-a-volume-event >/dev/null
}

@test "load and prune publish image events" {
	since=$(date +%s.%N)
	husk tag busybox prune-me:1
	husk rmi prune-me:1 >/dev/null
	husk load -i "$FIXTURE/busybox.tar" >/dev/null
	run husk events --since "$since" --until 0s --filter event=load --format '{{.Action}}'
	assert_output load
	husk image prune -f >/dev/null
	run husk events --since "$since" --until 0s --filter type=image --filter event=prune \
		--format '{{.Action}} {{index .Actor.Attributes "reclaimed"}}'
	assert_output --regexp '^prune [0-9]+$'
}

@test "a tmpfs volume is mounted in a container and gone after it" {
	husk run --help >/dev/null 2>&1 || skip "containers (husk run) are not in this build"
	[ "$(api_status http://d/containers/json)" = 200 ] ||
		skip "the daemon serves no containers in this build"
	husk volume create -o type=tmpfs -o device=tmpfs -o o=size=16m scratch >/dev/null
	run husk run --rm -v scratch:/data busybox sh -c 'grep " /data " /proc/mounts; echo hi >/data/f'
	assert_success
	assert_output --partial 'tmpfs'
	# the last user went: the tmpfs is unmounted, its content gone
	run grep -c "$HUSK_DATA_ROOT/volumes/scratch/_data" /proc/self/mountinfo
	assert_output 0
	[ ! -e "$HUSK_DATA_ROOT/volumes/scratch/_data/f" ]
	husk volume rm scratch
}

@test "exec events: exec_create and exec_start carry the command, exec_die its exit code" {
	local since until
	husk run -d --name evexec busybox sleep 300 >/dev/null
	since=$(date +%s)
	husk exec evexec sh -c 'exit 3' || true
	until=$(($(date +%s) + 1))
	run husk events --since "$since" --until "$until" --filter container=evexec \
		--format '{{.Action}} {{index .Actor.Attributes "exitCode"}}'
	assert_line "exec_create: sh -c exit 3 "
	assert_line "exec_start: sh -c exit 3 "
	assert_line "exec_die 3"
	husk rm -f evexec >/dev/null
}
