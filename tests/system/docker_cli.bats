#!/usr/bin/env bats
# The real docker CLI (28.x) against huskd: run (attached, detached, --rm,
# -i, -it), ps, logs, exec, inspect, stop/start/restart/kill/rm, wait,
# rename, pause/unpause, top, stats, update, attach, prune, restart
# policies, volumes, and the errors and exit codes the CLI derives.

load helpers

setup_file() {
	require_docker_cli
	husk_file_setup
	huskd_start
	FIXTURE=$("$FIXTURES/mkbusybox.sh")
	export FIXTURE
	husk load -i "$FIXTURE/busybox.tar" >/dev/null
}

teardown_file() {
	if [ -n "${HUSK_SOCK:-}" ]; then
		dk rm -f $(dk ps -aq 2>/dev/null) >/dev/null 2>&1 || true
	fi
	husk_file_teardown
}

require_docker_cli() {
	command -v docker >/dev/null 2>&1 || skip "the docker CLI is not installed on this host"
}

dk() {
	DOCKER_HOST=unix://$HUSK_SOCK docker "$@"
}

setup() {
	require_docker_cli
}

# Every test starts from no containers (and none of the API tests'
# networks, whose bridges would outlive this file's daemon).
teardown() {
	local ids
	# the submount of the read-only binds' test
	umount -l "$HUSK_TEST_DIR/rro/sub" 2>/dev/null || true
	ids=$(dk ps -aq 2>/dev/null) || return 0
	[ -z "$ids" ] || dk rm -f $ids >/dev/null 2>&1 || true
	dk network rm api144a api144b api143a api143b >/dev/null 2>&1 || true
}

@test "run --rm: output, exit status, no container left" {
	run --separate-stderr dk run --rm busybox echo hi
	assert_success
	assert_output hi
	run dk run --rm busybox sh -c 'exit 3'
	assert_equal "$status" 3
	run dk run --rm busybox sh -c 'echo out; echo err >&2; exit 0'
	assert_success
	assert_line out
	assert_line err
	run dk ps -aq
	assert_output ''
}

@test "run: a missing command is 127, a missing image with --pull never is 125" {
	run -127 dk run --rm busybox /nosuch
	assert_output --partial 'no such file or directory'
	run dk run --rm --pull never nosuchimage
	assert_equal "$status" 125
	assert_output --partial 'No such image: nosuchimage:latest'
	run dk ps -aq
	assert_output ''
}

@test "run -i: stdin reaches the container; -it gets a tty" {
	run --separate-stderr bash -c 'printf "one\ntwo\n" | DOCKER_HOST=unix://$HUSK_SOCK docker run --rm -i busybox sh -c "cat; echo done"'
	assert_success
	assert_output $'one\ntwo\ndone'
	require_cmd script
	run script -qc "DOCKER_HOST=unix://$HUSK_SOCK docker run --rm -it busybox sh -c 'tty; echo tty-ok'" /dev/null </dev/null
	assert_success
	assert_output --partial /dev/pts/0
	assert_output --partial tty-ok
}

@test "run -d, ps: columns, -a, -q, --filter, --format" {
	id=$(dk run -d --name web1 --label tier=web busybox sleep 300 2>/dev/null)
	[[ $id =~ ^[0-9a-f]{64}$ ]]
	dk create --name idle1 busybox true >/dev/null 2>&1
	run dk ps
	assert_success
	assert_line --index 0 --regexp '^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES$'
	assert_line --index 1 --regexp "^${id:0:12} +busybox +\"sleep 300\" +.* ago +Up .* +web1$"
	refute_output --partial idle1
	run dk ps -a --format '{{.Names}} {{.Status}}'
	assert_line 'idle1 Created'
	assert_line --regexp '^web1 Up '
	run dk ps -q
	assert_output "${id:0:12}"
	run dk ps -aq --no-trunc --filter label=tier=web
	assert_output "$id"
	run dk ps -a --filter status=created --format '{{.Names}}'
	assert_output idle1
	run dk ps -a --filter name=^web --format '{{.Names}}'
	assert_output web1
	run dk ps -a --filter ancestor=busybox -q
	assert_equal "${#lines[@]}" 2
	run dk ps --filter status=bogus
	assert_failure
	assert_output --partial "invalid filter 'status=bogus'"
	dk rm -f web1 idle1 >/dev/null
}

@test "logs: all, --tail, -t, --since, -f until the container stops" {
	dk run -d --name lg busybox sh -c 'echo one; sleep 0.2; echo two >&2; sleep 0.2; echo three; sleep 2; echo four' >/dev/null 2>&1
	sleep 1
	run --separate-stderr dk logs lg
	assert_output $'one\nthree'
	[ "$stderr" = two ]
	run dk logs --tail 1 lg
	assert_output three
	run dk logs -t lg
	assert_line --index 0 --regexp '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z one$'
	run dk logs --since 1h lg
	assert_line one
	run dk logs --until 2000-01-01T00:00:00Z lg
	assert_output ''
	# -f follows and ends with the container
	run timeout 10 docker -H "unix://$HUSK_SOCK" logs -f lg
	assert_success
	assert_line four
	dk rm lg >/dev/null
}

@test "exec: output and exit code, env, user, workdir; -it through a pty; stopped is refused" {
	dk run -d --name ex busybox sleep 300 >/dev/null 2>&1
	run dk exec ex sh -c 'echo in-exec; exit 5'
	assert_equal "$status" 5
	assert_output in-exec
	run dk exec -e FOO=bar -w /tmp -u nobody ex sh -c 'echo $FOO $(pwd) $(id -un)'
	assert_success
	assert_output 'bar /tmp nobody'
	run -127 dk exec ex /nosuch
	require_cmd script
	run script -qc "DOCKER_HOST=unix://$HUSK_SOCK docker exec -it ex sh -c 'tty; echo pty-ok'" /dev/null </dev/null
	assert_success
	assert_output --partial /dev/pts/
	assert_output --partial pty-ok
	run bash -c 'echo piped | DOCKER_HOST=unix://$HUSK_SOCK docker exec -i ex cat'
	assert_output piped
	dk stop -t 0 ex >/dev/null
	run dk exec ex true
	assert_failure
	assert_output --partial 'is not running'
	dk rm ex >/dev/null
}

@test "inspect: Docker's fields; a name that is an image falls back to it" {
	id=$(dk run -d --name insp --hostname box -e A=1 busybox sleep 300 2>/dev/null)
	run dk inspect -f '{{.Id}} {{.Name}} {{.State.Status}} {{.State.Running}} {{.Config.Hostname}} {{.Config.Image}} {{.Platform}}' insp
	assert_output "$id /insp running true box busybox linux"
	run dk inspect -f '{{.State.Pid}}' insp
	[ "$output" -gt 1 ]
	run dk inspect -f '{{index .Config.Env 0}}' insp
	assert_output --partial 'A=1'
	run dk inspect -f '{{.HostConfig.NetworkMode}} {{.RestartCount}} {{.GraphDriver.Name}}' insp
	assert_output --regexp '^default 0 (overlay2|vfs)$'
	run dk inspect -f '{{.LogPath}}' insp
	assert_output --regexp "/containers/$id/$id-json.log$"
	run dk inspect -f '{{.Id}}' busybox
	assert_output --regexp '^sha256:'
	run dk inspect nosuch
	assert_failure
	assert_output --partial 'No such object: nosuch'
	dk rm -f insp >/dev/null
}

@test "stop, start, restart, kill, wait, rm, rm -f" {
	dk run -d --name lc busybox sh -c 'trap "exit 7" TERM; trap "exit 11" USR1; while true; do sleep 0.1; done' >/dev/null 2>&1
	run dk stop -t 5 lc
	assert_success
	assert_output lc
	run dk inspect -f '{{.State.Status}} {{.State.ExitCode}}' lc
	assert_output 'exited 7'
	run dk start lc
	assert_success
	run dk restart -t 5 lc
	assert_success
	run dk inspect -f '{{.State.Status}}' lc
	assert_output running
	run dk kill -s USR1 lc
	assert_success
	sleep 0.3
	run dk inspect -f '{{.State.Status}} {{.State.ExitCode}}' lc
	assert_output 'exited 11'
	run dk kill lc
	assert_failure
	assert_output --partial 'is not running'
	dk start lc >/dev/null
	run dk rm lc
	assert_failure
	assert_output --partial 'You cannot remove a running container'
	run dk rm -f lc
	assert_success
	# the CLI reports a gone container but -f does not fail on it
	run dk rm -f lc
	assert_output --partial 'No such container: lc'
	dk run -d --name wt busybox sh -c 'sleep 1; exit 9' >/dev/null 2>&1
	run dk wait wt
	assert_output 9
	dk rm wt >/dev/null
}

@test "stop signal and timeout: the container's, or the flags'" {
	dk run -d --name sg --stop-signal USR2 --stop-timeout 5 busybox sh -c 'trap "exit 12" USR2; while true; do sleep 0.1; done' >/dev/null 2>&1
	start=$(date +%s)
	dk stop sg >/dev/null
	[ $(($(date +%s) - start)) -lt 4 ]
	run dk inspect -f '{{.State.ExitCode}}' sg
	assert_output 12
	dk start sg >/dev/null
	start=$(date +%s)
	dk stop -t 1 -s TERM sg >/dev/null
	[ $(($(date +%s) - start)) -lt 4 ]
	run dk inspect -f '{{.State.ExitCode}}' sg
	assert_output 137
	dk rm sg >/dev/null
}

@test "rename, pause and unpause" {
	dk run -d --name old busybox sleep 300 >/dev/null 2>&1
	dk rename old new
	run dk inspect -f '{{.Name}}' new
	assert_output /new
	run dk inspect old
	assert_failure
	dk pause new
	run dk ps --format '{{.Status}}' --filter name=new
	assert_output --regexp '\(Paused\)$'
	run dk inspect -f '{{.State.Status}} {{.State.Paused}}' new
	assert_output 'paused true'
	run dk pause new
	assert_failure
	assert_output --partial 'is already paused'
	dk unpause new
	run dk unpause new
	assert_failure
	assert_output --partial 'is not paused'
	run dk exec new echo alive
	assert_output alive
	dk rm -f new >/dev/null
}

@test "top, stats --no-stream, update --memory" {
	dk run -d --name tp busybox sleep 300 >/dev/null 2>&1
	run dk top tp
	assert_success
	assert_line --index 0 --regexp '^UID +PID +PPID +C +STIME +TTY +TIME +CMD$'
	assert_line --index 1 --regexp 'sleep 300$'
	run dk top tp -o pid,comm
	assert_line --index 0 --regexp '^PID +COMMAND$'
	run dk stats --no-stream --format '{{.Name}} {{.PIDs}}' tp
	assert_output 'tp 1'
	dk update --memory 64m --memory-swap 128m tp >/dev/null
	run dk stats --no-stream --format '{{.MemUsage}}' tp
	assert_output --regexp '/ 64MiB$'
	run dk inspect -f '{{.HostConfig.Memory}}' tp
	assert_output 67108864
	dk rm -f tp >/dev/null
}

@test "attach: output of a running container; start -a of a created one" {
	dk run -d --name at busybox sh -c 'sleep 1; echo attached-out; exit 4' >/dev/null 2>&1
	run timeout 10 docker -H "unix://$HUSK_SOCK" attach at
	assert_equal "$status" 4
	assert_output attached-out
	dk create --name sa busybox sh -c 'echo from-start-a; exit 2' >/dev/null 2>&1
	run timeout 10 docker -H "unix://$HUSK_SOCK" start -a sa
	assert_equal "$status" 2
	assert_output from-start-a
	dk rm at sa >/dev/null
}

@test "container prune, restart policies, run --rm with -d" {
	dk create --name p1 busybox true >/dev/null 2>&1
	dk run --name p2 busybox true >/dev/null 2>&1
	dk run -d --name keep busybox sleep 300 >/dev/null 2>&1
	run dk container prune -f
	assert_success
	assert_output --partial 'Total reclaimed space'
	run dk ps -a --format '{{.Names}}'
	assert_output keep
	dk rm -f keep >/dev/null
	dk run -d --name rp --restart on-failure:2 busybox sh -c 'exit 1' >/dev/null 2>&1
	for _ in $(seq 1 50); do
		[ "$(dk inspect -f '{{.State.Status}} {{.RestartCount}}' rp)" = 'exited 2' ] && break
		sleep 0.1
	done
	run dk inspect -f '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}' rp
	assert_output 'exited 2 1'
	dk rm rp >/dev/null
	dk run -d --rm --name gone busybox true >/dev/null 2>&1
	for _ in $(seq 1 50); do
		dk inspect gone >/dev/null 2>&1 || break
		sleep 0.1
	done
	run dk inspect gone
	assert_failure
}

@test "volumes: -v named and anonymous, data kept, rm -v removes the anonymous one" {
	dk run --rm -v data1:/data busybox sh -c 'echo kept > /data/f' 2>/dev/null
	run --separate-stderr dk run --rm -v data1:/data busybox cat /data/f
	assert_output kept
	dk run --name anon -v /scratch busybox true 2>/dev/null
	vol=$(dk inspect -f '{{range .Mounts}}{{.Name}}{{end}}' anon)
	[[ $vol =~ ^[0-9a-f]{64}$ ]]
	run dk volume ls -q
	assert_line "$vol"
	dk rm -v anon >/dev/null
	run dk volume ls -q
	refute_line "$vol"
	assert_line data1
	dk volume rm data1 >/dev/null
}

@test "rmi of an image a container uses; info counts containers" {
	dk create --name user1 busybox true >/dev/null 2>&1
	id=$(dk inspect -f '{{.Id}}' user1)
	run dk rmi busybox
	assert_failure
	assert_output --partial "conflict: unable to remove repository reference \"busybox\" (must force) - container ${id:0:12} is using its referenced image"
	run dk info --format '{{.Containers}} {{.ContainersStopped}}'
	assert_output '1 1'
	dk rm user1 >/dev/null
}

@test "attach -it: input reaches the shell, ctrl-p ctrl-q detaches and the container runs on" {
	# run -it (StdinOnce) in a terminal, detached with ctrl-p ctrl-q
	run python3 - "$HUSK_SOCK" <<'PY'
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.environ["DOCKER_HOST"] = "unix://" + sys.argv[1]
    os.execvp("docker", ["docker", "run", "-it", "--name", "dt", "busybox", "sh"])
time.sleep(1)
os.write(fd, b"echo hello-$((40+2))\r")
time.sleep(0.5)
os.write(fd, b"\x10\x11")
out, end = b"", time.time() + 10
while time.time() < end:
    if select.select([fd], [], [], 0.2)[0]:
        try:
            d = os.read(fd, 1024)
        except OSError:
            break
        if not d:
            break
        out += d
os.waitpid(pid, 0)
print(b"hello-42" in out)
PY
	assert_output True
	run dk inspect -f '{{.State.Status}}' dt
	assert_output running
	# a tty's input stays open after a detach: a second attach types on
	run python3 - "$HUSK_SOCK" <<'PY'
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.environ["DOCKER_HOST"] = "unix://" + sys.argv[1]
    os.execvp("docker", ["docker", "attach", "--detach-keys", "ctrl-a", "dt"])
time.sleep(1)
os.write(fd, b"echo again-$((1+1))\r")
time.sleep(0.5)
os.write(fd, b"\x01")
out, end = b"", time.time() + 10
while time.time() < end:
    if select.select([fd], [], [], 0.2)[0]:
        try:
            d = os.read(fd, 1024)
        except OSError:
            break
        if not d:
            break
        out += d
os.waitpid(pid, 0)
print(b"again-2" in out)
PY
	assert_output True
}

@test "an OOM kill is recorded; an unknown network is refused" {
	run dk run --name oom -m 8m --memory-swap 8m busybox sh -c 'tail /dev/zero'
	assert_equal "$status" 137
	run dk inspect -f '{{.State.OOMKilled}} {{.State.ExitCode}}' oom
	assert_output 'true 137'
	run dk run --rm --pull never --network nosuchnet busybox true
	assert_equal "$status" 125
	assert_output --partial 'network nosuchnet not found'
}

# ---- API 1.44: what the CLI asks of a 1.44 daemon, and 1.43 clients ----

api() {
	curl -sS --max-time 60 --unix-socket "$HUSK_SOCK" -H 'Content-Type: application/json' "$@"
}

@test "API 1.44: negotiated; run --health-start-interval probes at that pace in the start period" {
	run -0 dk version --format '{{.Client.APIVersion}} {{.Server.APIVersion}} {{.Server.MinAPIVersion}}'
	assert_output '1.44 1.44 1.24'
	dk run -d --name hsi --health-cmd 'exit 0' --health-interval 1h --health-start-period 1m \
		--health-start-interval 200ms busybox sleep 1000 >/dev/null
	run -0 dk inspect -f '{{.Config.Healthcheck.StartInterval}} {{.Config.Healthcheck.Interval}}' hsi
	assert_output '200ms 1h0m0s'
	# the first probe comes after a start interval, not after the hour
	for _ in $(seq 1 50); do
		[ "$(dk inspect -f '{{.State.Health.Status}}' hsi)" = healthy ] && break
		sleep 0.1
	done
	run -0 dk inspect -f '{{.State.Health.Status}} {{len .State.Health.Log}}' hsi
	assert_output 'healthy 1'
	run -0 dk ps --filter health=healthy --format '{{.Names}}'
	assert_output hsi
	# a 1.43 client cannot ask for it (the CLI says so itself)
	run -1 env DOCKER_API_VERSION=1.43 DOCKER_HOST="unix://$HUSK_SOCK" docker create \
		--health-cmd true --health-start-interval 1s busybox
	assert_output --partial '"--health-start-interval" requires API version 1.44'
}

@test "API 1.44: images --filter until (a timestamp, a date or a duration)" {
	run -0 dk images --filter until=10m --format '{{.Repository}}:{{.Tag}}'
	assert_output busybox:latest
	run -0 dk images --filter "until=$(date -u +%Y-%m-%dT%H:%M:%SZ)" --format '{{.Repository}}'
	assert_output busybox
	run -0 dk images --filter until=0 -q
	assert_output ''
	run -1 dk images --filter until=soon
	assert_output --partial 'failed to parse value as time or duration: "soon"'
	run -1 dk images --filter until=1h --filter until=2h
	assert_output --partial 'more than one until filter specified'
}

@test "API 1.44: --mac-address per network, several networks at create, DNSNames" {
	run -0 dk run --rm --mac-address 02:42:ac:11:00:99 busybox cat /sys/class/net/eth0/address
	assert_output 02:42:ac:11:00:99
	dk network create api144a >/dev/null
	dk network create api144b >/dev/null
	dk create --name mac --network api144a --mac-address 02:42:ac:11:00:98 \
		--network-alias web busybox sleep 1000 >/dev/null
	# before the start: the endpoint shows what was asked
	run -0 dk inspect -f '{{.NetworkSettings.Networks.api144a.MacAddress}}' mac
	assert_output 02:42:ac:11:00:98
	# and, as dockerd 25+ does for the clients that read it there, in Config
	run -0 dk inspect -f '{{.Config.MacAddress}}' mac
	assert_output 02:42:ac:11:00:98
	run -0 api http://d/v1.43/containers/mac/json
	run -0 jq -r .Config.MacAddress <<<"$output"
	assert_output 02:42:ac:11:00:98
	dk start mac >/dev/null
	run -0 dk exec mac cat /sys/class/net/eth0/address
	assert_output 02:42:ac:11:00:98
	id=$(dk inspect -f '{{.Id}}' mac)
	run -0 dk inspect -f '{{json .NetworkSettings.Networks.api144a.DNSNames}}' mac
	assert_output "[\"mac\",\"web\",\"${id:0:12}\"]"
	# (up to 1.44 Aliases have the short ID too)
	run -0 dk inspect -f '{{json .NetworkSettings.Networks.api144a.Aliases}}' mac
	assert_output "[\"web\",\"${id:0:12}\"]"
	# kept across a restart
	dk restart -t 0 mac >/dev/null
	run -0 dk exec mac cat /sys/class/net/eth0/address
	assert_output 02:42:ac:11:00:98
	# several networks in one create
	dk run -d --name two --network api144a --network api144b busybox sleep 1000 >/dev/null
	run -0 dk inspect -f '{{len .NetworkSettings.Networks}}' two
	assert_output 2
	run -0 dk exec two sh -c 'ls /sys/class/net | grep -c eth'
	assert_output 2
	# an address that is no MAC-48 is refused before the container exists
	run -0 api -w ' %{http_code}' -X POST http://d/v1.44/containers/create \
		-d '{"Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {"MacAddress": "02:42:ac:11:00"}}}}'
	assert_output "$(printf '%s\n 400' '{"message":"invalid config for network default: invalid MAC address 02:42:ac:11:00"}')"
	# and at connect, in dockerd's words too
	run -0 api -w ' %{http_code}' -X POST http://d/v1.44/networks/api144b/connect \
		-d '{"Container": "mac", "EndpointConfig": {"MacAddress": "zz"}}'
	assert_output "$(printf '%s\n 400' '{"message":"invalid MAC address zz"}')"
	dk rm -f mac two >/dev/null
	dk network rm api144a api144b >/dev/null
}

@test "API 1.43 clients keep 1.43's shapes" {
	# VirtualSize is in 1.43's image list, inspect and df, gone from 1.44's
	run -0 api http://d/v1.43/images/json
	jq -e '.[0].VirtualSize == .[0].Size' <<<"$output"
	run -0 api http://d/v1.44/images/json
	jq -e '.[0] | has("VirtualSize") | not' <<<"$output"
	run -0 api http://d/v1.43/images/busybox/json
	jq -e '.VirtualSize == .Size' <<<"$output"
	run -0 api http://d/v1.43/system/df
	jq -e '.Images[0].VirtualSize == .Images[0].Size' <<<"$output"
	run -0 api http://d/v1.44/system/df
	jq -e '.Images[0] | has("VirtualSize") | not' <<<"$output"
	# /info: the runtime's status (its features) from 1.44 on
	run -0 api http://d/v1.43/info
	jq -e '.Runtimes["husk-runtime"] | has("status") | not' <<<"$output"
	run -0 api http://d/v1.44/info
	jq -e '.Runtimes["husk-runtime"].status["org.opencontainers.runtime-spec.features"] | fromjson | .ociVersionMax' <<<"$output"
	# StartInterval did not exist: ignored
	run -0 api -X POST 'http://d/v1.43/containers/create?name=old' \
		-d '{"Image": "busybox", "Cmd": ["sleep", "1000"], "MacAddress": "02:42:ac:11:00:97", "Healthcheck": {"Test": ["CMD", "true"], "StartInterval": 1000000000}}'
	jq -e '.Warnings == []' <<<"$output"
	run -0 dk inspect -f '{{json .Config.Healthcheck}} {{.Config.MacAddress}}' old
	assert_output '{"Test":["CMD","true"]} 02:42:ac:11:00:97'
	# the container-wide MAC address is the one of its network
	dk start old >/dev/null
	run -0 dk exec old cat /sys/class/net/eth0/address
	assert_output 02:42:ac:11:00:97
	# from 1.44 it is deprecated, moved to the endpoint with a warning
	run -0 api -X POST 'http://d/v1.44/containers/create?name=new' \
		-d '{"Image": "busybox", "MacAddress": "02:42:ac:11:00:96"}'
	jq -e '.Warnings[0] | startswith("The container-wide MacAddress field is now deprecated")' <<<"$output"
	run -0 dk inspect -f '{{.NetworkSettings.Networks.bridge.MacAddress}}' new
	assert_output 02:42:ac:11:00:96
	# one network at create before 1.44, as dockerd
	dk network create api143a >/dev/null
	dk network create api143b >/dev/null
	run -1 env DOCKER_API_VERSION=1.43 DOCKER_HOST="unix://$HUSK_SOCK" docker create \
		--network api143a --network api143b busybox
	assert_output --regexp 'Container cannot be created with multiple network endpoints: (api143a, api143b|api143b, api143a)'
	dk network rm api143a api143b >/dev/null
	# a body at start went with API 1.24
	run -0 api -o /dev/null -w '%{http_code}' -X POST http://d/v1.43/containers/new/start \
		-d '{"Binds": ["/tmp:/x"]}'
	assert_output 400
	run -0 api -o /dev/null -w '%{http_code}' -X POST http://d/v1.43/containers/new/start -d '{}'
	assert_output 204
}

@test "API 1.44: a read-only bind is read-only in its submounts too, unless it says otherwise" {
	src=$HUSK_TEST_DIR/rro
	mkdir -p "$src/sub"
	mount -t tmpfs tmpfs "$src/sub"
	run -1 dk run --rm -v "$src:/m:ro" busybox touch /m/sub/x
	assert_output --partial 'Read-only file system'
	run -1 dk run --rm --mount "type=bind,src=$src,dst=/m,readonly" busybox touch /m/sub/x
	# asked to stay read-only at the top only
	run -0 dk run --rm -v "$src:/m:ro-non-recursive" busybox touch /m/sub/a
	run -0 dk run --rm --mount "type=bind,src=$src,dst=/m,readonly,bind-recursive=writable" \
		busybox touch /m/sub/b
	run -1 dk run --rm --mount "type=bind,src=$src,dst=/m,readonly,bind-recursive=writable" \
		busybox touch /m/c
	# forced, as the CLI asks it
	run -1 dk run --rm --mount \
		"type=bind,src=$src,dst=/m,readonly,bind-recursive=readonly,bind-propagation=rprivate" \
		busybox touch /m/sub/x
	# a 1.43 client: read-only at the top only, as dockerd did then
	run -0 env DOCKER_API_VERSION=1.43 DOCKER_HOST="unix://$HUSK_SOCK" docker run --rm \
		-v "$src:/m:ro" busybox touch /m/sub/c
	run -1 env DOCKER_API_VERSION=1.43 DOCKER_HOST="unix://$HUSK_SOCK" docker run --rm \
		-v "$src:/m:ro" busybox touch /m/d
	run -0 ls "$src/sub"
	assert_output "$(printf 'a\nb\nc')"
	umount "$src/sub"
}
