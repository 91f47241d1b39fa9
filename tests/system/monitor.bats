#!/usr/bin/env bats
# shellcheck disable=SC2016,SC2153 # container commands are single-quoted on purpose
# husk-monitor, driven exactly as huskd drives it (monitor-tool plays huskd,
# through src/engine/monitor.h), with busybox bundles on the real kernel:
# the log, the exit record, attach framing, stdin, tty and resize, exec
# mode, rotation, OOM kills, survival of the spawner's death, the control
# socket's defences; and husk-init (--init).

load helpers

setup_file() {
	husk_file_setup
	FIXTURE=$("$FIXTURES/mkbusybox.sh")
	export FIXTURE
	export RT=$HUSK_TEST_DIR/rt
	# cgroups are host-wide (/husk/<id>): ids of our own
	export IDP=mon$$-
	# one read-only rootfs for every container, with husk-init where the
	# engine puts it
	export ROOTFS=$HUSK_TEST_DIR/rootfs
	cp -a "$FIXTURE/bundle/rootfs" "$ROOTFS"
	cp "$HUSK_BUILD/husk-init" "$ROOTFS/sbin/docker-init"
}

teardown_file() {
	local id s
	for id in $(husk-runtime --root "$RT" list -q 2>/dev/null); do
		husk-runtime --root "$RT" delete --force "$id" >/dev/null 2>&1 || true
	done
	# their monitors exit once the containers are gone
	for s in "$HUSK_TEST_DIR"/c/*/sock; do
		for _ in $(seq 1 50); do
			monitor-tool alive "$s" >/dev/null 2>&1 || break
			sleep 0.1
		done
	done
	husk_file_teardown
}

# ctr NAME [JQ]: a bundle for container NAME (config from the fixture,
# changed by JQ) and its private socket directory; sets D.
ctr() {
	D=$HUSK_TEST_DIR/c/$1
	mkdir -p "$D/bundle"
	mkdir -p "$D" && mkdir -m 0700 "$D/sock"
	jq --arg root "$ROOTFS" ".root.path = \$root | ${2:-.}" \
		"$FIXTURE/bundle/config.json" >"$D/bundle/config.json"
}

# sh -c CMD as a JSON array
args() {
	jq -cn --arg c "$1" '["sh","-c",$c]'
}

# stream_of FILE N: the payloads of stream N's frames in an attach --frames
# log, concatenated (newlines shown as \n)
stream_of() {
	grep "^$2 " "$1" | cut -d' ' -f3- | tr -d '\n'
}

# spawn NAME [monitor-tool spawn flags]
spawn() {
	local name=$1
	shift
	monitor-tool spawn --id "$IDP$name" --sock-dir "$HUSK_TEST_DIR/c/$name/sock" \
		--runtime-root "$RT" --bundle "$HUSK_TEST_DIR/c/$name/bundle" \
		--exit-file "$HUSK_TEST_DIR/c/$name/exit.json" "$@"
}

# wait_for FILE PATTERN: until FILE matches (10 s)
wait_for() {
	for _ in $(seq 1 200); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "\"$1\" never matched \"$2\":" >&2
	cat "$1" >&2 || true
	return 1
}

# a waiter connected before start: prints the exit record into $D/wait.out
background_wait() {
	monitor-tool wait "$D/sock" >"$D/wait.out" 2>&1 &
	sleep 0.1
}

pid_of() {
	sed -n 's/^pid=\([0-9]*\) .*/\1/p' <<<"$1"
}

monitor_pid_of() {
	sed -n 's/.* monitor=\([0-9]*\)$/\1/p' <<<"$1"
}

@test "output is logged as json-file, the exit code recorded, everything cleaned up" {
	ctr out ".process.args = $(args 'echo hello; echo oops >&2; printf partial; exit 7')"
	run spawn out --log-path "$D/log.json"
	assert_success
	assert_output --regexp '^pid=[0-9]+ monitor=[0-9]+$'
	local pid
	pid=$(pid_of "$output")
	# created, not started: the init waits for start
	[ -d "$RT/${IDP}out" ]
	run husk-runtime --root "$RT" state "${IDP}out"
	assert_output --partial '"status": "created"'
	run monitor-tool alive "$D/sock"
	assert_success
	background_wait
	run monitor-tool start "$D/sock"
	assert_success
	assert_output "$pid"
	wait_for "$D/wait.out" exit_code
	run cat "$D/wait.out"
	assert_output --regexp '^exit_code=7 oom_killed=false finished_at=20[0-9-]+T[0-9:.]+Z error=$'
	run monitor-tool exit "$D/exit.json"
	assert_output --partial 'exit_code=7 oom_killed=false'
	run jq -c . "$D/log.json"
	assert_line --index 0 --regexp '^\{"log":"hello\\n","stream":"stdout","time":"[0-9T:.-]+Z"\}$'
	assert_line --index 1 --partial '"log":"oops\n","stream":"stderr"'
	# a last line without a newline gets one, as dockerd does
	assert_line --index 2 --partial '"log":"partial\n","stream":"stdout"'
	# runtime state and cgroup gone, socket and pid file gone, monitor gone
	[ ! -e "$RT/${IDP}out" ]
	[ -z "$(find /sys/fs/cgroup -maxdepth 4 -type d -name "${IDP}out" -path '*husk*' 2>/dev/null)" ]
	[ ! -e "$D/sock/monitor.sock" ] && [ ! -e "$D/sock/monitor.pid" ]
	run monitor-tool alive "$D/sock"
	assert_failure
	# the monitor is gone: a waiter now must read the exit file
	run monitor-tool wait "$D/sock"
	assert_failure
	assert_output --partial 'No such file or directory'
}

@test "spawn fails with the runtime's own error and leaves nothing behind" {
	ctr bad '.process.args = ["/no/such/cmd"]'
	run spawn bad --log-path "$D/log.json"
	assert_failure
	assert_output --partial '/no/such/cmd'
	[ ! -e "$RT/${IDP}bad" ]
	run ls -A "$D/sock"
	assert_output ''
	# a directory others can reach is refused
	ctr open
	chmod 0755 "$D/sock"
	run spawn open
	assert_failure
	assert_output --partial 'must be private to root'
	[ ! -e "$RT/${IDP}open" ]
}

@test "attach before start gets everything, framed as Docker's multiplexed stream" {
	ctr frames ".process.args = $(args 'echo out1; echo err1 >&2; echo out2')"
	run spawn frames
	assert_success
	monitor-tool attach "$D/sock" --stdout --stderr --frames >"$D/att.out" &
	wait_for "$D/att.out" attached
	background_wait
	monitor-tool start "$D/sock"
	wait_for "$D/wait.out" exit_code=0
	wait
	run stream_of "$D/att.out" 1
	assert_output 'out1\nout2\n'
	run stream_of "$D/att.out" 2
	assert_output 'err1\n'
	# no log was asked for: none written
	[ ! -e "$D/log.json" ]
}

@test "attach with only stderr gets only stderr" {
	ctr errs ".process.args = $(args 'sleep 0.2; echo out; echo err >&2')"
	spawn errs
	monitor-tool attach "$D/sock" --stderr >"$D/o" 2>"$D/e" &
	sleep 0.1
	monitor-tool start "$D/sock"
	wait
	run cat "$D/e"
	assert_output err
	run cat "$D/o"
	assert_output ''
}

@test "stdin: attached input reaches the container; stdin-once closes it at the attacher's EOF" {
	ctr stdin '.process.args = ["sh","-c","cat; echo cat-done"]'
	spawn stdin --open-stdin --stdin-once --log-path "$D/log.json"
	background_wait
	monitor-tool start "$D/sock"
	run monitor-tool attach "$D/sock" --stdin --stdout --stderr <<<$'one\ntwo'
	assert_success
	assert_output $'one\ntwo\ncat-done'
	wait_for "$D/wait.out" exit_code=0
	run jq -j .log "$D/log.json"
	assert_output $'one\ntwo\ncat-done'
}

@test "stdin without stdin-once stays open for the next attacher" {
	ctr stdin2 '.process.args = ["sh","-c","read a; read b; echo got $a $b"]'
	spawn stdin2 --open-stdin --log-path "$D/log.json"
	background_wait
	monitor-tool start "$D/sock"
	printf 'first\n' | monitor-tool attach "$D/sock" --stdin
	sleep 0.2
	[ ! -s "$D/wait.out" ]
	printf 'second\n' | monitor-tool attach "$D/sock" --stdin --stdout
	wait_for "$D/wait.out" exit_code=0
	run jq -j .log "$D/log.json"
	assert_output 'got first second'
}

@test "no open stdin: the container reads EOF at once" {
	ctr nostdin '.process.args = ["sh","-c","cat; echo eof"]'
	spawn nostdin --log-path "$D/log.json"
	background_wait
	monitor-tool start "$D/sock"
	wait_for "$D/wait.out" exit_code=0
	run jq -j .log "$D/log.json"
	assert_output eof
}

@test "tty: a pty of the given size, every frame type 1, resize reaches the process" {
	ctr tty ".process.terminal = true | .process.args = $(args 'tty; stty size; echo err >&2; sleep 1; stty size')"
	spawn tty --tty --rows 30 --cols 100 --log-path "$D/log.json"
	monitor-tool attach "$D/sock" --stdout --stderr --frames >"$D/att.out" &
	wait_for "$D/att.out" attached
	background_wait
	monitor-tool start "$D/sock"
	wait_for "$D/att.out" '30 100'
	run monitor-tool resize "$D/sock" 50 132
	assert_success
	wait_for "$D/wait.out" exit_code=0
	wait
	run grep -c '^2 ' "$D/att.out"
	assert_output 0
	run jq -j .log "$D/log.json"
	assert_line --index 0 --regexp '^/dev/pts/[0-9]+'
	assert_line --index 1 $'30 100\r'
	assert_line --index 2 $'err\r'
	assert_line --index 3 $'50 132\r'
	run jq -r .stream "$D/log.json"
	refute_output --partial stderr
}

@test "tty with stdin: an interactive shell" {
	ctr sh '.process.terminal = true | .process.args = ["sh"]'
	spawn sh --tty --open-stdin --stdin-once --log-path "$D/log.json"
	background_wait
	monitor-tool start "$D/sock"
	run monitor-tool attach "$D/sock" --stdin --stdout <<<$'echo $((6*7))\nexit 3'
	assert_output --partial 42
	wait_for "$D/wait.out" exit_code=3
}

@test "resize without a tty is refused" {
	ctr notty '.process.args = ["sleep","5"]'
	spawn notty
	monitor-tool start "$D/sock"
	run monitor-tool resize "$D/sock" 10 10
	assert_failure
	assert_output --partial 'no terminal'
	background_wait
	husk-runtime --root "$RT" kill "${IDP}notty" KILL
	wait_for "$D/wait.out" 'exit_code=137'
}

@test "killing the spawner (huskd) with -9 leaves the container running; a new client re-attaches" {
	ctr survive ".process.args = $(args 'i=0; while :; do echo tick-$i; i=$((i+1)); sleep 0.1; done')"
	# the spawning process itself (not a subshell around it) is killed
	monitor-tool spawn --hold --id "${IDP}survive" --sock-dir "$D/sock" --runtime-root "$RT" \
		--bundle "$D/bundle" --exit-file "$D/exit.json" --log-path "$D/log.json" \
		>"$D/spawn.out" &
	local spawner=$!
	wait_for "$D/spawn.out" monitor=
	local mpid
	mpid=$(monitor_pid_of "$(cat "$D/spawn.out")")
	monitor-tool start "$D/sock"
	[ "$(cat /proc/"$spawner"/comm)" = monitor-tool ]
	kill -9 "$spawner"
	wait "$spawner" 2>/dev/null || true
	# the monitor was never the spawner's child, nor in its session
	[ "$(ps -o ppid= -p "$mpid" | tr -d ' ')" != "$spawner" ]
	[ "$(ps -o sid= -p "$mpid" | tr -d ' ')" != "$(ps -o sid= -p $$ | tr -d ' ')" ]
	sleep 0.3
	run monitor-tool alive "$D/sock"
	assert_success
	assert_output "$mpid"
	run husk-runtime --root "$RT" state "${IDP}survive"
	assert_output --partial '"status": "running"'
	# SIGTERM to the monitor is ignored: containers are stopped, not monitors
	kill -TERM "$mpid"
	sleep 0.2
	kill -0 "$mpid"
	# re-attach, as a restarted huskd does
	run timeout 1 monitor-tool attach "$D/sock" --stdout
	assert_output --regexp 'tick-[0-9]+'
	background_wait
	husk-runtime --root "$RT" kill "${IDP}survive" KILL
	wait_for "$D/wait.out" 'exit_code=137'
	run grep -c tick "$D/log.json"
	[ "$output" -ge 3 ]
}

@test "exec mode: a process in a running container, with attach, wait and exit record, no log" {
	ctr host '.process.args = ["sleep","30"]'
	spawn host
	monitor-tool start "$D/sock"
	local H=$D
	local E=$HUSK_TEST_DIR/c/host-exec
	mkdir -p "$E" && mkdir -m 0700 "$E/sock"
	jq ".process | .args = $(args 'echo in-exec; echo to-err >&2; exit 4')" \
		"$H/bundle/config.json" >"$E/process.json"
	run monitor-tool spawn --id "${IDP}host" --sock-dir "$E/sock" --runtime-root "$RT" \
		--exec-process "$E/process.json" --exit-file "$E/exit.json"
	assert_success
	assert_output --regexp '^pid=0 monitor=[0-9]+$'
	monitor-tool attach "$E/sock" --stdout --stderr --frames >"$E/att.out" &
	wait_for "$E/att.out" attached
	monitor-tool wait "$E/sock" >"$E/wait.out" &
	sleep 0.1
	run monitor-tool start "$E/sock"
	assert_success
	assert_output --regexp '^[0-9]+$'
	wait_for "$E/wait.out" exit_code=4
	wait_for "$E/att.out" in-exec
	run stream_of "$E/att.out" 1
	assert_output 'in-exec\n'
	run stream_of "$E/att.out" 2
	assert_output 'to-err\n'
	run monitor-tool exit "$E/exit.json"
	assert_output --partial exit_code=4
	# the container is untouched
	run husk-runtime --root "$RT" state "${IDP}host"
	assert_output --partial '"status": "running"'

	# with a tty
	jq '.terminal = true | .args = ["tty"]' "$E/process.json" >"$E/tty.json"
	run monitor-tool spawn --id "${IDP}host" --sock-dir "$E/sock" --runtime-root "$RT" \
		--exec-process "$E/tty.json" --exit-file "$E/exit2.json" --tty
	assert_success
	monitor-tool attach "$E/sock" --stdout --frames >"$E/att2.out" &
	wait_for "$E/att2.out" attached
	monitor-tool start "$E/sock"
	wait_for "$E/att2.out" '/dev/pts/'
	run monitor-tool exit "$E/exit2.json"
	assert_output --partial exit_code=0

	# a command that does not exist: the start fails and says so
	jq '.args = ["/no/such/thing"]' "$E/process.json" >"$E/bad.json"
	run monitor-tool spawn --id "${IDP}host" --sock-dir "$E/sock" --runtime-root "$RT" \
		--exec-process "$E/bad.json" --exit-file "$E/exit3.json"
	assert_success
	run monitor-tool start "$E/sock"
	assert_failure
	assert_output --partial '/no/such/thing'
	for _ in $(seq 1 50); do [ -e "$E/exit3.json" ] && break; sleep 0.05; done
	run monitor-tool exit "$E/exit3.json"
	assert_output --regexp 'exit_code=127 .*no/such/thing'
	husk-runtime --root "$RT" kill "${IDP}host" KILL
}

@test "exec mode: a straggler holding the output does not hold the exit; late clients are answered" {
	ctr host2 '.process.args = ["sleep","30"]'
	spawn host2
	monitor-tool start "$D/sock"
	local E=$HUSK_TEST_DIR/c/host2-exec
	mkdir -p "$E" && mkdir -m 0700 "$E/sock"
	# the background sleep keeps the exec's stdout pipe open after sh exits
	jq ".process | .args = $(args 'sleep 5 & echo bye; exit 2')" \
		"$D/bundle/config.json" >"$E/process.json"
	monitor-tool spawn --id "${IDP}host2" --sock-dir "$E/sock" --runtime-root "$RT" \
		--exec-process "$E/process.json" --exit-file "$E/exit.json"
	monitor-tool start "$E/sock"
	sleep 0.5
	# exited, output not at EOF: the monitor drains for a while; a waiter
	# that comes now still gets the record, a start is refused
	run monitor-tool wait "$E/sock"
	assert_success
	assert_output --partial 'exit_code=2 '
	run monitor-tool exit "$E/exit.json"
	assert_output --partial 'exit_code=2 '
	husk-runtime --root "$RT" kill "${IDP}host2" KILL
}

@test "exec mode into a container that is not running is refused at spawn" {
	local E=$HUSK_TEST_DIR/c/ghost-exec
	mkdir -p "$E" && mkdir -m 0700 "$E/sock"
	jq '.process' "$FIXTURE/bundle/config.json" >"$E/process.json"
	run monitor-tool spawn --id "${IDP}ghost" --sock-dir "$E/sock" --runtime-root "$RT" \
		--exec-process "$E/process.json"
	assert_failure
	assert_output --partial 'ghost'
	run ls -A "$E/sock"
	assert_output ''
}

@test "log rotation at max-size keeps max-file files, and the reader spans them" {
	ctr rot ".process.args = $(args 'i=0; while [ $i -lt 600 ]; do echo line-$i; i=$((i+1)); done')"
	spawn rot --log-path "$D/log.json" --log-max-size 4000 --log-max-files 3
	background_wait
	monitor-tool start "$D/sock"
	wait_for "$D/wait.out" exit_code=0
	[ -f "$D/log.json" ] && [ -f "$D/log.json.1" ] && [ -f "$D/log.json.2" ]
	[ ! -e "$D/log.json.3" ]
	local f
	for f in "$D"/log.json*; do
		[ "$(stat -c %s "$f")" -le 4000 ]
	done
	run monitor-tool logs "$D/log.json" --max-files 3
	assert_line --index 0 --regexp '^1\|line-[0-9]+$'
	assert_line --partial '1|line-599'
	local first n
	first=$(head -1 <<<"$output" | sed 's/^1|line-//')
	n=$(wc -l <<<"$output")
	[ $((first + n)) -eq 600 ]
	run monitor-tool logs "$D/log.json" --max-files 3 --tail 2
	assert_output $'1|line-598\n1|line-599'
}

@test "logs --follow sees new lines until told to stop" {
	ctr follow ".process.args = $(args 'sleep 0.3; echo late-1; sleep 0.2; echo late-2; sleep 5')"
	spawn follow --log-path "$D/log.json"
	monitor-tool start "$D/sock"
	run monitor-tool logs "$D/log.json" --follow-ms 1500
	assert_output $'1|late-1\n1|late-2'
	husk-runtime --root "$RT" kill "${IDP}follow" KILL
}

@test "OOM kill is recorded" {
	local limit=$((32 * 1024 * 1024))
	ctr oom ".linux.resources.memory = {\"limit\": $limit, \"swap\": $limit}
		| .process.args = [\"dd\", \"if=/dev/zero\", \"of=/dev/null\", \"bs=128M\", \"count=1\"]"
	spawn oom --log-path "$D/log.json"
	background_wait
	monitor-tool start "$D/sock"
	wait_for "$D/wait.out" exit_code
	run cat "$D/wait.out"
	assert_output --partial 'exit_code=137 oom_killed=true'
	run monitor-tool exit "$D/exit.json"
	assert_output --partial 'oom_killed=true'
	# and a container that was not OOM killed says false
	ctr nooom ".linux.resources.memory = {\"limit\": $limit, \"swap\": $limit}
		| .process.args = $(args 'exit 9')"
	spawn nooom
	background_wait
	monitor-tool start "$D/sock"
	wait_for "$D/wait.out" exit_code
	run cat "$D/wait.out"
	assert_output --partial 'exit_code=9 oom_killed=false'
}

@test "a stalled attacher is dropped; the container and its log go on" {
	ctr flood ".process.args = $(args 'yes 0123456789abcdefghijklmnopqrstuvwxyz | head -n 200000; echo done')"
	spawn flood --log-path "$D/log.json"
	monitor-tool attach "$D/sock" --stdout --stall >"$D/att.out" &
	local stalled=$!
	wait_for "$D/att.out" attached
	background_wait
	monitor-tool start "$D/sock"
	wait_for "$D/wait.out" exit_code=0
	kill "$stalled" 2>/dev/null || true
	wait "$stalled" 2>/dev/null || true
	run wc -l <"$D/log.json"
	assert_output 200001
	run tail -1 "$D/log.json"
	assert_output --partial '"log":"done\n"'
}

@test "the control socket: root only, bad requests answered, never crashing the monitor" {
	ctr ctl '.process.args = ["sleep","30"]'
	spawn ctl
	[ "$(stat -c %a "$D/sock")" = 700 ]
	[ "$(stat -c %a "$D/sock/monitor.sock")" = 600 ]
	run setpriv --reuid 65534 --regid 65534 --clear-groups monitor-tool start "$D/sock"
	assert_failure
	assert_output --partial 'Permission denied'
	run socat -t 2 - "UNIX-CONNECT:$D/sock/monitor.sock" <<<'garbage'
	assert_output --partial '"error":"bad request'
	run socat -t 2 - "UNIX-CONNECT:$D/sock/monitor.sock" <<<'{"op":"reboot"}'
	assert_output --partial 'unknown request'
	# just over the cap, in one write (socat must not die of EPIPE first)
	run bash -c "head -c 4200 /dev/zero | tr '\\0' x | socat -t 2 - UNIX-CONNECT:$D/sock/monitor.sock"
	assert_output --partial 'request too long'
	run bash -c "head -c 100000 /dev/zero | socat -t 2 - UNIX-CONNECT:$D/sock/monitor.sock"
	run socat -t 2 - "UNIX-CONNECT:$D/sock/monitor.sock" <<<'{"op":"resize","rows":-1,"cols":5}'
	assert_output --partial 'error'
	# a second monitor for the same directory must not steal the socket
	run monitor-tool spawn --id "${IDP}ctl2" --sock-dir "$D/sock" --runtime-root "$RT" \
		--bundle "$D/bundle"
	assert_failure
	assert_output --partial 'serves it'
	[ -S "$D/sock/monitor.sock" ]
	# many clients that connect and vanish
	for _ in $(seq 1 100); do
		socat -u /dev/null "UNIX-CONNECT:$D/sock/monitor.sock" 2>/dev/null || true
	done
	run monitor-tool start "$D/sock"
	assert_success
	run monitor-tool start "$D/sock"
	assert_failure
	assert_output --partial 'already started'
	background_wait
	husk-runtime --root "$RT" kill "${IDP}ctl" KILL
	wait_for "$D/wait.out" exit_code=137
}

@test "husk-init: exit status, signals as 128+N, missing command, usage" {
	run husk-init -- sh -c 'exit 5'
	assert_failure 5
	run husk-init sh -c 'kill -TERM $$'
	assert_failure 143
	run -127 husk-init /no/such/cmd
	assert_output --partial '/no/such/cmd'
	run husk-init
	assert_failure 1
	assert_output --partial 'Usage'
	run file "$HUSK_BUILD/husk-init"
	assert_output --regexp 'statically linked|static-pie linked'
}

@test "husk-init as PID 1 reaps orphaned zombies and forwards signals" {
	ctr init ".process.args = [\"/sbin/docker-init\", \"--\", \"sh\", \"-c\",
		\"for i in 1 2 3 4; do (sleep 0.1 &); done; sleep 0.6; echo pid1=\$(cat /proc/1/comm); echo zombies=\$(ps -o stat | grep -c ^Z); trap 'echo got-term; exit 3' TERM; echo ready; while :; do sleep 0.1; done\"]"
	run spawn init --log-path "$D/log.json"
	assert_success
	local pid
	pid=$(pid_of "$output")
	background_wait
	monitor-tool start "$D/sock"
	wait_for "$D/log.json" ready
	run jq -j .log "$D/log.json"
	assert_line pid1=docker-init
	assert_line zombies=0
	kill -TERM "$pid"
	wait_for "$D/wait.out" exit_code
	run cat "$D/wait.out"
	assert_output --partial 'exit_code=3'
	run jq -j .log "$D/log.json"
	assert_line got-term
}
