#!/usr/bin/env bats
# huskd's containers through the Engine API itself (curl): Docker's errors
# and statuses, wait's conditions and its headers, the log framing and
# content types, JSON shapes (inspect, list, exec, top, stats), the
# container's network namespace and /etc files, restart policies, live
# restore after kill -9 of huskd, restarts at daemon start, shutdown
# without live-restore, and crash safety of create/start/rm.

load helpers

setup_file() {
	husk_file_setup
	huskd_start
	FIXTURE=$("$FIXTURES/mkbusybox.sh")
	export FIXTURE
	husk load -i "$FIXTURE/busybox.tar" >/dev/null
}

teardown_file() {
	if [ -S "${HUSK_SOCK:-}" ]; then
		for id in $(api 'http://d/containers/json?all=1' | jq -r '.[].Id' 2>/dev/null); do
			api -X DELETE "http://d/containers/$id?force=1" >/dev/null 2>&1 || true
		done
	fi
	husk_file_teardown
}

teardown() {
	[ -S "${HUSK_SOCK:-}" ] || return 0
	for id in $(api 'http://d/containers/json?all=1' | jq -r '.[].Id' 2>/dev/null); do
		api -X DELETE "http://d/containers/$id?force=1" >/dev/null 2>&1 || true
	done
}

api() {
	curl -sS --max-time 60 --unix-socket "$HUSK_SOCK" "$@"
}

# The HTTP status of a request (its body in $HUSK_TEST_DIR/body).
code() {
	curl -s --max-time 60 -o "$HUSK_TEST_DIR/body" -w '%{http_code}' --unix-socket "$HUSK_SOCK" "$@"
}

body() {
	cat "$HUSK_TEST_DIR/body"
}

# create NAME JSON → the ID
create() {
	api -X POST -H 'Content-Type: application/json' "http://d/containers/create?name=$1" -d "$2" |
		jq -r .Id
}

start() {
	[ "$(code -X POST "http://d/containers/$1/start")" = 204 ]
}

state() {
	api "http://d/containers/$1/json" | jq -r "$2"
}

wait_state() { # NAME JQ VALUE
	for _ in $(seq 1 100); do
		[ "$(state "$1" "$2")" = "$3" ] && return 0
		sleep 0.1
	done
	echo "$1: $2 is $(state "$1" "$2"), not $3" >&2
	return 1
}

@test "errors: Docker's JSON and statuses, and the daemon stays up" {
	[ "$(code http://d/containers/nosuch/json)" = 404 ]
	[ "$(body | jq -r .message)" = 'No such container: nosuch' ]
	[ "$(code -X POST http://d/containers/create -d '{bad')" = 400 ]
	[ "$(code -X POST http://d/containers/create -d '[1,2]')" = 400 ]
	[ "$(code -X POST http://d/containers/create -d '{"Image":"busybox","Cmd":[1]}')" = 400 ]
	head -c 5000000 /dev/zero | tr '\0' a >"$HUSK_TEST_DIR/big"
	run code -X POST http://d/containers/create --data-binary "@$HUSK_TEST_DIR/big"
	[[ $output =~ ^(400|413)$ ]]
	[ "$(code -X POST 'http://d/containers/create?name=-x' -d '{"Image":"busybox"}')" = 400 ]
	[ "$(code -X POST 'http://d/containers/create' -d '{"Image":"nosuch"}')" = 404 ]
	[ "$(body | jq -r .message)" = 'No such image: nosuch:latest' ]
	id=$(create e1 '{"Image":"busybox","Cmd":["sleep","300"]}')
	[ "$(code -X POST 'http://d/containers/create?name=e1' -d '{"Image":"busybox"}')" = 409 ]
	[ "$(body | jq -r .message)" = "Conflict. The container name \"/e1\" is already in use by container \"$id\". You have to remove (or rename) that container to be able to reuse that name." ]
	[ "$(code -X POST http://d/containers/e1/stop)" = 304 ]
	[ "$(code -X POST http://d/containers/e1/kill)" = 409 ]
	[ "$(code -X POST 'http://d/containers/e1/resize?h=10&w=10')" = 409 ]
	[ "$(code -X POST http://d/containers/e1/exec -d '{"Cmd":["true"]}')" = 409 ]
	start e1
	[ "$(code -X POST http://d/containers/e1/start)" = 304 ]
	[ "$(code -X DELETE http://d/containers/e1)" = 409 ]
	[ "$(body | jq -r .message)" = "You cannot remove a running container $id. Stop the container before attempting removal or force remove" ]
	[ "$(code -X POST 'http://d/containers/e1/kill?signal=NOPE')" = 400 ]
	[ "$(code -X POST 'http://d/containers/e1/wait?condition=soon')" = 400 ]
	[ "$(code 'http://d/containers/e1/logs')" = 400 ]
	[ "$(code 'http://d/containers/e1/top?ps_args=-o%20user=PID')" = 400 ]
	[ "$(code -X POST 'http://d/containers/e1/resize?h=x&w=1')" = 400 ]
	[ "$(code -X POST http://d/containers/e1/exec -d '{"Cmd":[]}')" = 400 ]
	[ "$(code -X POST http://d/exec/nosuch/start -d '{}')" = 404 ]
	[ "$(code 'http://d/containers/json?filters=%7Bbad')" = 400 ]
	[ "$(code 'http://d/containers/json?filters=%7B%22nope%22:%7B%22x%22:true%7D%7D')" = 400 ]
	[ "$(code -X POST 'http://d/containers/prune?filters=%7B%22nope%22:%5B%22x%22%5D%7D')" = 400 ]
	[ "$(code -X POST 'http://d/containers/e1/rename?name=')" = 400 ]
	[ "$(code -X POST 'http://d/containers/e1/update' -d '{"Memory":1}')" = 400 ]
	[ "$(code -X POST 'http://d/containers/e1/update' -d '{"RestartPolicy":{"Name":"maybe"}}')" = 400 ]
	# a hijack without the upgrade headers is refused, not hung
	[ "$(code -X POST 'http://d/containers/e1/attach?stream=1&stdout=1')" = 400 ]
	[ "$(code -X DELETE 'http://d/containers/e1?force=1')" = 204 ]
	[ "$(code -X DELETE 'http://d/containers/e1?force=1')" = 404 ]
	[ "$(code http://d/_ping)" = 200 ]
}

@test "wait: headers flushed before start; not-running, next-exit, removed" {
	create w1 '{"Image":"busybox","Cmd":["sh","-c","sleep 0.5; exit 6"]}' >/dev/null
	# not-running on a created container answers at once
	run api -X POST 'http://d/containers/w1/wait'
	assert_output '{"Error":null,"StatusCode":0}'
	# the headers come before the start (docker run waits for them), the
	# body at the exit
	run python3 - "$HUSK_SOCK" <<'PY'
import socket, subprocess, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"POST /containers/w1/wait?condition=next-exit HTTP/1.1\r\nHost: d\r\n"
          b"Content-Length: 0\r\n\r\n")
s.settimeout(5)
head = b""
while b"\r\n\r\n" not in head:
    head += s.recv(4096)
print(head.split(b"\r\n")[0].decode())
subprocess.run(["curl", "-s", "--unix-socket", sys.argv[1], "-X", "POST",
                "http://d/containers/w1/start"], check=True)
rest = head.split(b"\r\n\r\n", 1)[1]
while b"StatusCode" not in rest:
    rest += s.recv(4096)
print(rest.split(b"\r\n")[1].decode())
PY
	assert_success
	assert_line --index 0 'HTTP/1.1 200 OK'
	assert_line --index 1 '{"Error":null,"StatusCode":6}'
	# removed: answers when an AutoRemove container is gone
	create w2 '{"Image":"busybox","Cmd":["sh","-c","exit 2"],"HostConfig":{"AutoRemove":true}}' >/dev/null
	api -X POST 'http://d/containers/w2/wait?condition=removed' >"$HUSK_TEST_DIR/rm.out" &
	pid=$!
	sleep 0.2
	start w2
	wait "$pid"
	run cat "$HUSK_TEST_DIR/rm.out"
	assert_output '{"Error":null,"StatusCode":2}'
	[ "$(code http://d/containers/w2/json)" = 404 ]
	# a client that leaves does not keep anything waiting
	create w3 '{"Image":"busybox","Cmd":["sleep","300"]}' >/dev/null
	start w3
	run curl -s --max-time 1 --unix-socket "$HUSK_SOCK" -X POST http://d/containers/w3/wait
	[ "$(code http://d/_ping)" = 200 ]
}

@test "logs: multiplexed frames, raw for a tty, Content-Type by API version" {
	create lg '{"Image":"busybox","Cmd":["sh","-c","echo hi; echo err >&2"]}' >/dev/null
	start lg
	wait_state lg .State.Status exited
	run bash -c "curl -s --unix-socket $HUSK_SOCK 'http://d/containers/lg/logs?stdout=1' | od -An -tx1 | tr -d ' \n'"
	assert_output '010000000000000368690a'
	run bash -c "curl -s --unix-socket $HUSK_SOCK 'http://d/containers/lg/logs?stderr=1' | od -An -tx1 | tr -d ' \n'"
	assert_output '02000000000000046572720a'
	run bash -c "curl -s -D - -o /dev/null --unix-socket $HUSK_SOCK 'http://d/v1.43/containers/lg/logs?stdout=1' | tr -d '\r'"
	assert_line 'Content-Type: application/vnd.docker.multiplexed-stream'
	run bash -c "curl -s -D - -o /dev/null --unix-socket $HUSK_SOCK 'http://d/v1.41/containers/lg/logs?stdout=1' | tr -d '\r'"
	refute_output --partial 'Content-Type'
	create tt '{"Image":"busybox","Tty":true,"Cmd":["echo","raw"]}' >/dev/null
	start tt
	wait_state tt .State.Status exited
	run bash -c "curl -s --unix-socket $HUSK_SOCK 'http://d/containers/tt/logs?stdout=1&stderr=1' | tr -d '\r'"
	assert_output raw
	run bash -c "curl -s -D - -o /dev/null --unix-socket $HUSK_SOCK 'http://d/v1.43/containers/tt/logs?stdout=1' | tr -d '\r'"
	assert_line 'Content-Type: application/vnd.docker.raw-stream'
	# timestamps, tail, since in the future
	run bash -c "curl -s --unix-socket $HUSK_SOCK 'http://d/containers/lg/logs?stdout=1&stderr=1&timestamps=1&tail=1' | tail -c +9"
	assert_output --regexp '^20[0-9-]+T[0-9:.]+Z err$'
	run api "http://d/containers/lg/logs?stdout=1&since=$(($(date +%s) + 100))"
	assert_output ''
	[ "$(code 'http://d/containers/lg/logs?stdout=1&since=yesterday')" = 400 ]
}

@test "JSON shapes: inspect, list, exec, top, stats" {
	id=$(create js '{"Image":"busybox","Cmd":["sleep","300"],"Labels":{"k":"v"},"HostConfig":{"NetworkMode":"none"}}')
	start js
	run state js '.State | keys | join(",")'
	assert_output 'Dead,Error,ExitCode,FinishedAt,OOMKilled,Paused,Pid,Restarting,Running,StartedAt,Status'
	run state js '[.Id == "'"$id"'", .Name, .Path, .Args[0], .HostConfig.NetworkMode, (.NetworkSettings.Networks | keys[0]), .Config.Labels.k, .RestartCount, .Platform] | join(" ")'
	assert_output 'true /js sleep 300 none none v 0 linux'
	run api 'http://d/containers/json'
	[ "$(jq -r '.[0] | [.Names[0], .Image, .Command, .State, .HostConfig.NetworkMode, .Labels.k] | join(" ")' <<<"$output")" = '/js busybox sleep 300 running none v' ]
	[[ $(jq -r '.[0].Status' <<<"$output") =~ ^Up ]]
	run api 'http://d/containers/json?size=1'
	[ "$(jq -r '.[0].SizeRootFs > 0' <<<"$output")" = true ]
	exec_id=$(api -X POST http://d/containers/js/exec -d '{"Cmd":["sh","-c","exit 4"],"AttachStdout":true}' | jq -r .Id)
	[[ $exec_id =~ ^[0-9a-f]{64}$ ]]
	run state js '.ExecIDs[0]'
	assert_output "$exec_id"
	run api "http://d/exec/$exec_id/json"
	[ "$(jq -r '[.ID == "'"$exec_id"'", .Running, .ExitCode, .ProcessConfig.entrypoint, .ProcessConfig.arguments[0], .ContainerID == "'"$id"'", .CanRemove] | join(" ")' <<<"$output")" = 'true false  sh -c true false' ]
	[ "$(code -X POST "http://d/exec/$exec_id/start" -d '{"Detach":true}')" = 200 ]
	for _ in $(seq 1 50); do
		[ "$(api "http://d/exec/$exec_id/json" | jq -r .ExitCode)" = 4 ] && break
		sleep 0.1
	done
	[ "$(api "http://d/exec/$exec_id/json" | jq -r '[.Running, .ExitCode] | join(" ")')" = 'false 4' ]
	[ "$(code -X POST "http://d/exec/$exec_id/start" -d '{"Detach":true}')" = 409 ]
	run api 'http://d/containers/js/top'
	[ "$(jq -r '.Titles | join(" ")' <<<"$output")" = 'UID PID PPID C STIME TTY TIME CMD' ]
	[ "$(jq -r '.Processes[0][7]' <<<"$output")" = 'sleep 300' ]
	run api 'http://d/containers/js/top?ps_args=-o%20pid,args'
	[ "$(jq -r '.Titles | join(" ")' <<<"$output")" = 'PID COMMAND' ]
	# stats: two samples a second apart unless one-shot
	run api 'http://d/containers/js/stats?stream=0'
	[ "$(jq -r '.name' <<<"$output")" = /js ]
	[ "$(jq -r '.id' <<<"$output")" = "$id" ]
	[ "$(jq -r '.preread != "0001-01-01T00:00:00Z"' <<<"$output")" = true ]
	[ "$(jq -r '.memory_stats.usage > 0 and .pids_stats.current == 1' <<<"$output")" = true ]
	run api 'http://d/containers/js/stats?stream=0&one-shot=1'
	[ "$(jq -r '.preread' <<<"$output")" = '0001-01-01T00:00:00Z' ]
	run curl -s --max-time 2.5 --unix-socket "$HUSK_SOCK" 'http://d/containers/js/stats'
	[ "${#lines[@]}" -ge 2 ]
	# pause shows in state and list
	[ "$(code -X POST http://d/containers/js/pause)" = 204 ]
	[ "$(state js .State.Status)" = paused ]
	[ "$(code -X POST http://d/containers/js/unpause)" = 204 ]
	[ "$(state js .State.Status)" = running ]
}

@test "network: the bridge by default (eth0 up), resolv.conf without loopback servers; host mode" {
	create n1 '{"Image":"busybox","Cmd":["sh","-c","ls /sys/class/net; cat /sys/class/net/lo/operstate; ping -c1 -W1 127.0.0.1 >/dev/null && echo ping-ok; grep -c \"^nameserver 127\" /etc/resolv.conf; hostname"]}' >/dev/null
	start n1
	wait_state n1 .State.Status exited
	run api 'http://d/containers/n1/logs?stdout=1'
	assert_output --partial lo
	assert_output --partial unknown
	assert_output --partial ping-ok
	assert_output --partial eth0
	run bash -c "curl -s --unix-socket $HUSK_SOCK 'http://d/containers/n1/logs?stdout=1' | tail -c +9 | tail -n 2 | tr -cd '[:print:]\n'"
	assert_line --index 0 --regexp '0$'
	create n2 '{"Image":"busybox","Cmd":["hostname"],"HostConfig":{"NetworkMode":"host"}}' >/dev/null
	start n2
	wait_state n2 .State.Status exited
	run bash -c "curl -s --unix-socket $HUSK_SOCK 'http://d/containers/n2/logs?stdout=1' | tail -c +9"
	assert_output "$(hostname)"
}

@test "restart policies: always with backoff, unless-stopped stays stopped, on-failure counts" {
	create ra '{"Image":"busybox","Cmd":["sh","-c","exit 3"],"HostConfig":{"RestartPolicy":{"Name":"always"}}}' >/dev/null
	start ra
	for _ in $(seq 1 100); do
		[ "$(state ra .RestartCount)" -ge 3 ] && break
		sleep 0.1
	done
	[ "$(state ra .RestartCount)" -ge 3 ]
	[ "$(code -X POST 'http://d/containers/ra/stop?t=1')" = 204 ]
	n=$(state ra .RestartCount)
	sleep 1
	[ "$(state ra .RestartCount)" = "$n" ]
	[ "$(state ra .State.Status)" = exited ]
	create ru '{"Image":"busybox","Cmd":["sleep","300"],"HostConfig":{"RestartPolicy":{"Name":"unless-stopped"}}}' >/dev/null
	start ru
	[ "$(code -X POST 'http://d/containers/ru/kill')" = 204 ]
	wait_state ru .State.Status exited
	sleep 0.5
	[ "$(state ru .State.Status)" = exited ]
	create ro '{"Image":"busybox","Cmd":["sh","-c","exit 1"],"HostConfig":{"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":2}}}' >/dev/null
	start ro
	for _ in $(seq 1 50); do
		[ "$(state ro '[.State.Status, .RestartCount] | join(" ")')" = 'exited 2' ] && break
		sleep 0.1
	done
	[ "$(state ro '[.State.Status, .RestartCount, .State.ExitCode] | join(" ")')" = 'exited 2 1' ]
	# policies change with update
	[ "$(code -X POST http://d/containers/ro/update -d '{"RestartPolicy":{"Name":"no"}}')" = 200 ]
	[ "$(state ro .HostConfig.RestartPolicy.Name)" = no ]
}

# the v1 hierarchies' and the unified tree's directories of a cgroup path
cgroup_dirs() {
	local d
	for d in /sys/fs/cgroup/*/"$1" /sys/fs/cgroup/"$1"; do
		[ -d "$d" ] && echo "$d"
	done
	return 0
}

@test "exit: run --rm returns with the cgroup and the runtime state gone; a restart's new cgroup stays" {
	local parent=husk-exit-$$ before d pid id
	before=$(ls "$HUSK_EXEC_ROOT/runtime")
	for _ in 1 2 3 4 5; do
		husk run --rm --cgroup-parent "/$parent" busybox true
		for d in $(cgroup_dirs "$parent"); do
			run find "$d" -mindepth 1 -type d
			assert_output ''
		done
		run ls "$HUSK_EXEC_ROOT/runtime"
		assert_output "$before"
	done
	# the old run's monitor removes its cgroup after it told the exit: the
	# next run of the same container, with the same cgroup path, must keep
	# its own
	husk run -d --name rs --cgroup-parent "/$parent" busybox sleep 300 >/dev/null
	id=$(husk inspect -f '{{.Id}}' rs)
	for _ in 1 2 3 4 5; do
		husk restart -t 0 rs >/dev/null
		pid=$(husk inspect -f '{{.State.Pid}}' rs)
		sleep 0.2
		run cgroup_dirs "$parent/$id"
		refute_output ''
		grep -q "/$parent/$id" "/proc/$pid/cgroup"
	done
	husk rm -f rs >/dev/null
	for d in $(cgroup_dirs "$parent"); do rmdir "$d"; done
}

# spare: the pid of the spare husk-monitor this file's huskd keeps ready
# (forked away from it: its command line names the runtime root), within 2 s
spare() {
	local s
	for _ in $(seq 1 40); do
		s=$(pgrep -f "husk-monitor --spare $HUSK_EXEC_ROOT/runtime ") && { echo "$s"; return 0; }
		sleep 0.05
	done
	return 1
}

@test "spare monitor: one waits after a start, the next run takes it and its command line names the container; a killed one is replaced; it ends with the daemon" {
	local s id
	husk run --rm busybox true
	s=$(spare)
	husk run -d --name spare1 busybox sleep 300 >/dev/null
	id=$(husk inspect -f '{{.Id}}' spare1)
	# the spare is spare1's monitor now: what monitor_alive reads in its
	# command line has the container's socket directory
	run bash -c "tr '\\0' ' ' </proc/$s/cmdline"
	assert_output --regexp "--sock-dir [^ ]*$id"
	s=$(spare)
	kill -KILL "$s"
	run husk run --rm busybox echo after-a-killed-spare
	assert_output after-a-killed-spare
	s=$(spare)
	husk rm -f spare1 >/dev/null
	huskd_stop
	for _ in $(seq 1 40); do
		[ "$(ps -o stat= -p "$s" 2>/dev/null | cut -c1)" = Z ] && break
		kill -0 "$s" 2>/dev/null || break
		sleep 0.05
	done
	run bash -c "ps -o stat= -p $s | grep -v Z"
	assert_failure
	huskd_start
}

@test "live restore: kill -9 of huskd with 10 running containers" {
	for i in $(seq 1 10); do
		create "lr$i" '{"Image":"busybox","Cmd":["sh","-c","while true; do echo tick; sleep 0.2; done"]}' >/dev/null
		start "lr$i"
	done
	pids=$(for i in $(seq 1 10); do state "lr$i" .State.Pid; done)
	kill -KILL "$(huskd_pid)"
	sleep 0.5
	for p in $pids; do kill -0 "$p"; done # still running without the daemon
	huskd_start
	run api 'http://d/containers/json'
	[ "$(jq length <<<"$output")" = 10 ]
	[ "$(jq -r '[.[].State] | unique | join(",")' <<<"$output")" = running ]
	[ "$(for i in $(seq 1 10); do state "lr$i" .State.Pid; done)" = "$pids" ]
	# logs still stream, also those written while huskd was down
	run bash -c "curl -s --max-time 1 --unix-socket $HUSK_SOCK 'http://d/containers/lr1/logs?stdout=1&follow=1' | tail -c +9 | head -c 4"
	assert_output tick
	run api -X POST http://d/containers/lr5/exec -d '{"Cmd":["true"]}'
	[ "$(jq -r .Id <<<"$output" | wc -c)" = 65 ]
	for i in $(seq 1 10); do
		[ "$(code -X POST "http://d/containers/lr$i/stop?t=1")" = 204 ]
	done
	for p in $pids; do run ! kill -0 "$p"; done
	[ "$(api 'http://d/containers/json' | jq length)" = 0 ]
	[ "$(state lr1 .State.Status)" = exited ]
	# the daemon's own data root holds no mount of them any more
	run ! grep -q "$HUSK_DATA_ROOT/store/snapshots/.*/merged" /proc/self/mountinfo
}

@test "restore: an exit while huskd was down is recorded; always restarts at daemon start" {
	create gone '{"Image":"busybox","Cmd":["sleep","300"]}' >/dev/null
	create back '{"Image":"busybox","Cmd":["sleep","300"],"HostConfig":{"RestartPolicy":{"Name":"always"}}}' >/dev/null
	start gone
	start back
	p1=$(state gone .State.Pid)
	p2=$(state back .State.Pid)
	huskd_stop # live-restore is on: SIGTERM leaves them running
	kill -0 "$p1"
	kill -KILL "$p1" "$p2"
	sleep 0.5
	huskd_start
	wait_state gone .State.Status exited
	[ "$(state gone .State.ExitCode)" = 137 ]
	wait_state back .State.Status running
	[ "$(state back .State.Pid)" != "$p2" ]
}

@test "shutdown with --live-restore=false stops the containers" {
	create sd '{"Image":"busybox","Cmd":["sh","-c","trap \"exit 0\" TERM; while true; do sleep 0.1; done"]}' >/dev/null
	start sd
	p=$(state sd .State.Pid)
	huskd_stop
	kill -0 "$p"
	huskd_start --live-restore=false
	[ "$(state sd .State.Status)" = running ]
	huskd_stop
	run ! kill -0 "$p"
	huskd_start
	[ "$(state sd '[.State.Status, .State.ExitCode] | join(" ")')" = 'exited 0' ]
}

@test "crash safety: kill -9 huskd during create/start/rm loops, every container can be removed" {
	for round in 1 2 3 4 5; do
		(
			for i in $(seq 1 30); do
				name="cr${round}x$i"
				curl -s --max-time 5 --unix-socket "$HUSK_SOCK" -X POST -H 'Content-Type: application/json' \
					"http://d/containers/create?name=$name" -d '{"Image":"busybox","Cmd":["sleep","300"]}' >/dev/null
				curl -s --max-time 5 --unix-socket "$HUSK_SOCK" -X POST "http://d/containers/$name/start" >/dev/null
				if [ $((i % 2)) = 0 ]; then
					curl -s --max-time 5 --unix-socket "$HUSK_SOCK" -X DELETE "http://d/containers/$name?force=1" >/dev/null
				fi
			done
		) &
		loop=$!
		sleep "0.$((RANDOM % 9 + 1))"
		kill -KILL "$(huskd_pid)"
		wait "$loop" || true
		huskd_start
	done
	run api 'http://d/containers/json?all=1'
	ids=$(jq -r '.[].Id' <<<"$output")
	for id in $ids; do
		[ "$(code -X DELETE "http://d/containers/$id?force=1")" = 204 ] || {
			body
			false
		}
	done
	[ "$(api 'http://d/containers/json?all=1' | jq length)" = 0 ]
	[ -z "$(ls "$HUSK_DATA_ROOT/containers")" ]
	# root filesystems go in the background after a removal
	for _ in $(seq 1 100); do
		[ -z "$(ls "$HUSK_DATA_ROOT/store/snapshots" 2>/dev/null)" ] && break
		sleep 0.1
	done
	[ -z "$(ls "$HUSK_DATA_ROOT/store/snapshots" 2>/dev/null)" ]
	run ! grep -q "$HUSK_DATA_ROOT/store/snapshots/" /proc/self/mountinfo
	run api -X POST http://d/system/check
	[ "$(jq -r '.Problems | length' <<<"$output" 2>/dev/null || echo 0)" = 0 ]
}
