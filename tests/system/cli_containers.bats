#!/usr/bin/env bats
# husk's container commands (run, create, ps, logs, exec, attach, stats,
# start/stop/…, inspect, completion) against a real daemon, each checked
# against what the docker CLI 28 prints and exits with for the same thing.
#
# The daemon is a private dockerd by default (its own data root, exec root
# and containerd, no bridge, no iptables); HUSK_TEST_DAEMON=huskd runs the
# same tests against this tree's huskd.

load helpers

DOCKER=/usr/local/bin/docker

setup_file() {
	husk_file_setup
	FIXTURE=$("$FIXTURES/mkbusybox.sh")
	export FIXTURE
	export DAEMON=${HUSK_TEST_DAEMON:-dockerd}
	# dockerd's and containerd's sockets live under these: keep them short
	DK=$(mktemp -d /tmp/hk-cli.XXXXXX)
	export DK
	case $DAEMON in
	dockerd) dockerd_start ;;
	huskd)
		huskd_start
		SOCK=$HUSK_SOCK
		;;
	*) false "unknown HUSK_TEST_DAEMON=$DAEMON: expected dockerd or huskd" ;;
	esac
	export SOCK
	dk load -i "$FIXTURE/busybox.tar" >/dev/null
}

teardown_file() {
	if [ -n "${SOCK:-}" ] && [ -S "$SOCK" ]; then
		dk ps -aq 2>/dev/null | xargs -r "$DOCKER" -H "unix://$SOCK" rm -f >/dev/null 2>&1 || true
	fi
	[ "${DAEMON:-}" = dockerd ] && dockerd_stop
	husk_file_teardown
	if [ -n "${DK:-}" ]; then
		findmnt --list -n -o TARGET | grep -F "$DK/" | sort -r | xargs -r umount -l
		rm -rf "$DK"
	fi
}

# what a test started in the background, stopped even when it failed
teardown() {
	if [ -n "${BG_PID:-}" ]; then
		kill "$BG_PID" 2>/dev/null || true
		wait "$BG_PID" 2>/dev/null || true
	fi
}

dockerd_start() {
	command -v dockerd >/dev/null || skip "dockerd is not installed"
	[ -x "$DOCKER" ] || skip "the docker CLI is not at $DOCKER"
	SOCK=$DK/docker.sock
	dockerd --data-root "$DK/d" --exec-root "$DK/x" -H "unix://$SOCK" \
		--pidfile "$DK/d.pid" --bridge=none --iptables=false --ip6tables=false \
		>"$DK/dockerd.log" 2>&1 &
	for _ in $(seq 1 300); do
		if curl -sf --unix-socket "$SOCK" http://d/_ping >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	cat "$DK/dockerd.log" >&2
	return 1
}

# dockerd, then whatever it started (containerd, shims) under $DK.
dockerd_stop() {
	local pid
	pid=$(cat "$DK/d.pid" 2>/dev/null) || true
	if [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; then
		for _ in $(seq 1 150); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	for pid in $(pgrep -f -- "$DK/" || true); do
		kill -KILL "$pid" 2>/dev/null || true
	done
}

h() {
	husk -H "unix://$SOCK" "$@"
}

dk() {
	"$DOCKER" -H "unix://$SOCK" "$@"
}

# Both CLIs; $hout/$hst and $dout/$dst are their output (stdout and
# stderr, docker's name replaced) and status.
both() {
	hst=0 dst=0
	hout=$(h "$@" 2>&1) || hst=$?
	dout=$(dk "$@" 2>&1) || dst=$?
	dout=${dout//docker/husk}
}

# The terminal the -it tests need: a pty of 33x101 fed with keystrokes.
pty_run() {
	python3 - "$@" <<'EOF'
import os, pty, sys, time, select, termios, struct, fcntl
keys = sys.argv[1].encode().decode('unicode_escape').encode('latin1')
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 33, 101, 0, 0))
out, sent, start = b'', False, time.time()
while time.time() - start < 20:
    if not sent and time.time() - start > 1.0:
        for k in keys:
            os.write(fd, bytes([k]))
            time.sleep(0.05)
        sent = True
    r, _, _ = select.select([fd], [], [], 0.1)
    if r:
        try:
            d = os.read(fd, 4096)
        except OSError:
            break
        if not d:
            break
        out += d
    elif sent and os.waitpid(pid, os.WNOHANG)[0]:
        break
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode('utf-8', 'replace'))
sys.exit(os.waitstatus_to_exitcode(st))
EOF
}

@test "run --rm: output, stderr apart, the container's exit status" {
	# (stderr apart: a daemon may add warnings, as huskd without a bridge)
	run --separate-stderr h run --rm busybox echo hi
	assert_success
	assert_output hi
	run --separate-stderr h run --rm busybox sh -c 'echo out; echo err >&2; exit 3'
	[ "$status" -eq 3 ]
	[ "$output" = out ]
	[ "${stderr##*$'\n'}" = err ] # after the daemon's warnings, if any
	[ -z "$(dk ps -aq)" ]
}

@test "run -i with stdin piped, and without -i stdin is not read" {
	run --separate-stderr bash -c "printf 'line1\nline2\n' | husk -H unix://$SOCK run -i --rm busybox cat"
	assert_success
	assert_output $'line1\nline2'
	run --separate-stderr bash -c "echo nope | husk -H unix://$SOCK run --rm busybox cat"
	assert_success
	assert_output ''
}

@test "run: exit statuses 125, 126, 127 and N as docker's" {
	local args
	for args in "busybox sh -c 'exit 42'" "busybox /etc" "busybox nosuchcmd" \
		"--bogus-flag busybox true" "-m abc busybox true" "--restart always --rm busybox true"; do
		eval "both run --rm $args"
		[ "$hst" -eq "$dst" ] || {
			echo "run $args: husk $hst, docker $dst" >&2
			return 1
		}
	done
	run -127 h run --rm busybox nosuchcmd
	assert_output --partial 'husk: Error response from daemon:'
	assert_output --partial "Run 'husk run --help' for more information"
	run h run --rm busybox /etc
	[ "$status" -eq 126 ]
	run h run -m abc busybox true
	[ "$status" -eq 125 ]
	assert_output --partial "invalid argument \"abc\" for \"-m, --memory\" flag: invalid size: 'abc'"
}

@test "run -d --name, a name in use is 125, ps shows it as docker does" {
	run --separate-stderr h run -d --name web1 busybox sleep 300
	assert_success
	assert_output --regexp '^[0-9a-f]{64}$'
	id=$output
	run h run -d --name web1 busybox true
	[ "$status" -eq 125 ]
	assert_output --partial 'is already in use'
	run h ps
	assert_line --index 0 --regexp '^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES$'
	assert_line --index 1 --regexp "^${id:0:12} +busybox +\"sleep 300\" +.+ ago +Up .+ +web1$"
	# the same columns, cell for cell
	both ps --format '{{.ID}}|{{.Image}}|{{.Command}}|{{.Names}}|{{.State}}|{{.Ports}}|{{.Labels}}|{{.Networks}}'
	[ "$hout" = "$dout" ]
	both ps -q
	[ "$hout" = "$dout" ]
	both ps -a --no-trunc -q
	[ "$hout" = "$dout" ]
	run h ps --format json
	[ "$(jq -r .Names <<<"$output")" = web1 ]
	run h ps -s --format '{{.Size}}'
	assert_output --regexp '^[0-9.]+[kMG]?B \(virtual [0-9.]+[kMG]?B\)$'
	h rm -f web1
}

@test "ps -a, -n, -l, --filter, and Exited/Created statuses" {
	h create --name made busybox true >/dev/null
	run h run --name done1 busybox sh -c 'exit 3'
	[ "$status" -eq 3 ]
	run h ps -a --format '{{.Names}} {{.Status}}'
	assert_line --regexp '^made Created$'
	assert_line --regexp '^done1 Exited \(3\) .+ ago$'
	both ps -a --filter status=exited --format '{{.Names}}'
	[ "$hout" = "$dout" ]
	[ "$hout" = done1 ]
	both ps -l --format '{{.Names}}'
	[ "$hout" = "$dout" ]
	both ps -n 2 --format '{{.Names}}'
	[ "$hout" = "$dout" ]
	run h ps --filter bogus
	assert_failure
	assert_output --partial 'bad format of filter'
	h rm made done1
}

@test "logs: framing, --tail, -t, --since as docker" {
	h run --name lg busybox sh -c 'echo one; echo two >&2; echo three' >/dev/null 2>&1 || true
	run --separate-stderr h logs lg
	assert_success
	[ "$output" = $'one\nthree' ]
	[ "$stderr" = two ]
	both logs --tail 1 lg
	[ "$hout" = "$dout" ]
	run h logs -t lg
	assert_line --regexp '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z one$'
	both logs --since 1h lg
	[ "$hout" = "$dout" ]
	both logs --until 2000-01-01T00:00:00Z lg
	[ "$hout" = "$dout" ]
	run h logs --since yesterday lg
	assert_failure
	assert_output --partial 'failed to parse value as time or duration: "yesterday"'
	run h logs nosuch
	assert_failure
	assert_output 'Error response from daemon: No such container: nosuch'
	h rm lg
}

@test "logs -f follows until the container ends" {
	h run -d --name fol busybox sh -c 'for i in 1 2 3; do echo $i; sleep 0.3; done' >/dev/null
	run timeout 20 husk -H "unix://$SOCK" logs -f fol
	assert_success
	assert_output $'1\n2\n3'
	h rm fol
}

@test "exec: output, exit code, -e -w -u, -d, and a stopped container" {
	h run -d --name ex busybox sleep 300 >/dev/null
	run --separate-stderr h exec ex sh -c 'echo out; echo err >&2; exit 4'
	[ "$status" -eq 4 ]
	[ "$output" = out ]
	[ "$stderr" = err ]
	run h exec -e A=1 -w /tmp -u 65534 ex sh -c 'echo $A $(pwd) $(id -u)'
	assert_success
	assert_output '1 /tmp 65534'
	run bash -c "echo piped | husk -H unix://$SOCK exec -i ex cat"
	assert_output piped
	run h exec -d ex sh -c 'echo x > /tmp/marker'
	assert_success
	sleep 0.5
	run h exec ex cat /tmp/marker
	assert_output x
	both exec ex nosuchcmd
	[ "$hst" -eq "$dst" ]
	run h exec nosuch true
	assert_failure
	assert_output 'Error response from daemon: No such container: nosuch'
	h stop -t 0 ex >/dev/null
	both exec ex true
	[ "$hst" -eq "$dst" ]
	[ "$hout" = "$dout" ]
	h rm ex
}

@test "inspect: the daemon's JSON as docker prints it, images too, --format, errors" {
	h run -d --name insp -l k=v busybox sleep 300 >/dev/null
	both inspect insp
	[ "$hout" = "$dout" ]
	both inspect busybox
	[ "$hout" = "$dout" ]
	both inspect -f '{{.State.Status}} {{.Config.Labels.k}} {{json .Config.Cmd}}' insp
	[ "$hout" = "$dout" ]
	[ "$hout" = 'running v ["sleep","300"]' ]
	both container inspect --format '{{.Name}}' insp
	[ "$hout" = "$dout" ]
	both inspect --type image -f '{{.Os}}' busybox
	[ "$hout" = "$dout" ]
	both inspect insp nosuch
	[ "$hst" -eq 1 ] && [ "$dst" -eq 1 ]
	[ "$hout" = "$dout" ]
	run h inspect -s -f '{{.SizeRootFs}}' insp
	assert_output --regexp '^[1-9][0-9]*$'
	h rm -f insp >/dev/null
}

@test "stop, start, restart, kill, pause, unpause, wait, rename, rm" {
	h run -d --name lc busybox sleep 300 >/dev/null
	run h stop -t 1 lc
	assert_output lc
	run h inspect -f '{{.State.Running}}' lc
	assert_output false
	run h start lc
	assert_output lc
	run h restart -t 0 lc
	assert_output lc
	run h pause lc
	assert_output lc
	run h inspect -f '{{.State.Paused}}' lc
	assert_output true
	run h unpause lc
	assert_output lc
	run h kill -s USR1 lc
	assert_output lc
	run h kill lc
	assert_output lc
	run h wait lc
	assert_output 137
	run h rename lc lc2
	assert_success
	both rename nosuch x
	[ "$hst" -eq "$dst" ]
	[ "$hout" = "$dout" ]
	both start nosuch
	[ "$hst" -eq "$dst" ]
	[ "$hout" = "$dout" ]
	both stop nosuch
	[ "$hst" -eq "$dst" ]
	[ "$hout" = "$dout" ]
	h start lc2 >/dev/null
	both rm lc2
	[ "$hst" -eq "$dst" ]
	run h rm -f lc2 nosuch
	[ "$status" -eq 1 ]
	assert_line lc2
	assert_line 'Error response from daemon: No such container: nosuch'
	[ -z "$(dk ps -aq --filter name=lc2)" ]
}

@test "start -a and -ai: output and the exit status" {
	h create --name sa busybox sh -c 'echo started; exit 5' >/dev/null
	run h start -a sa
	[ "$status" -eq 5 ]
	assert_output started
	h create -i --name sai busybox sh -c 'cat; exit 6' >/dev/null
	run bash -c "echo via-stdin | husk -H unix://$SOCK start -ai sai"
	[ "$status" -eq 6 ]
	assert_output via-stdin
	h rm sa sai >/dev/null
}

@test "stats --no-stream: docker's columns and math, --format" {
	h run -d --name st busybox sleep 300 >/dev/null
	run h stats --no-stream st
	assert_success
	assert_line --index 0 --regexp '^CONTAINER ID +NAME +CPU % +MEM USAGE / LIMIT +MEM % +NET I/O +BLOCK I/O +PIDS$'
	assert_line --index 1 --regexp '^[0-9a-f]{12} +st +[0-9.]+% +[0-9.]+[KMG]?i?B / [0-9.]+[KMGT]?i?B +[0-9.]+% +.+ / .+ +.+ / .+ +1$'
	both stats --no-stream --format '{{.Name}} {{.PIDs}}' st
	[ "$hout" = "$dout" ]
	run h stats --no-stream --format '{{.Name}}'
	assert_line st
	h rm -f st >/dev/null
}

@test "top, port, update, container prune, container ls" {
	h run -d --name tp busybox sleep 300 >/dev/null
	run h top tp
	assert_line --index 0 --regexp '^UID +PID +PPID +C +STIME +TTY +TIME +CMD$'
	assert_line --index 1 --partial 'sleep 300'
	both top tp -o pid,comm
	[ "$(head -1 <<<"$hout")" = "$(head -1 <<<"$dout")" ]
	both port tp
	[ "$hout" = "$dout" ]
	both port tp 80
	[ "$hst" -eq "$dst" ]
	[ "$hout" = "$dout" ]
	run h update --memory 64m --memory-swap 128m --restart on-failure:2 tp
	assert_output tp
	run h inspect -f '{{.HostConfig.Memory}} {{.HostConfig.RestartPolicy.Name}}' tp
	assert_output '67108864 on-failure'
	both update tp
	[ "$hst" -eq "$dst" ]
	run h container ls --format '{{.Names}}'
	assert_line tp
	h rm -f tp >/dev/null
	h create --name pr busybox true >/dev/null
	run h container prune -f
	assert_success
	assert_line 'Deleted Containers:'
	assert_line --partial 'Total reclaimed space:'
	[ -z "$(dk ps -aq)" ]
}

@test "create, --cidfile, and a second create refused on an existing cidfile" {
	run --separate-stderr h create --name cr --cidfile "$HUSK_TEST_DIR/cid" busybox true
	assert_success
	[ "$(cat "$HUSK_TEST_DIR/cid")" = "$output" ]
	both create --cidfile "$HUSK_TEST_DIR/cid" busybox true
	[ "$hst" -eq 1 ] && [ "$dst" -eq 1 ]
	[ "$hout" = "$dout" ]
	both run --cidfile "$HUSK_TEST_DIR/cid" busybox true
	[ "$hst" -eq 125 ] && [ "$dst" -eq 125 ]
	[ "$hout" = "$dout" ]
	[[ $hout == *'container ID file found'* ]]
	run h inspect -f '{{.State.Status}}' cr
	assert_output created
	# as docker create: the daemon's refusal alone and status 1, a bad flag 125
	both create --name cr busybox true
	[ "$hst" -eq 1 ] && [ "$dst" -eq 1 ]
	[ "$hout" = "$dout" ]
	both create --restart always --rm busybox true
	[ "$hst" -eq 125 ] && [ "$dst" -eq 125 ]
	h rm cr >/dev/null
}

@test "limits and settings reach the container: --memory, -e, -w, -u, --hostname, --read-only" {
	run --separate-stderr h run --rm -m 64m busybox sh -c \
		'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max'
	assert_success
	assert_output 67108864
	run --separate-stderr h run --rm -e A=b -w /tmp -u 65534:65534 --hostname hh busybox \
		sh -c 'echo $A $(pwd) $(id -u):$(id -g) $(hostname)'
	assert_output 'b /tmp 65534:65534 hh'
	run --separate-stderr h run --rm --read-only busybox touch /x
	assert_failure
	[[ $stderr == *'Read-only file system'* ]]
	run --separate-stderr h run --rm --entrypoint /bin/echo busybox via-entrypoint
	assert_output via-entrypoint
	run --separate-stderr h run --rm --tmpfs /scratch busybox sh -c 'grep -c " /scratch tmpfs" /proc/mounts'
	assert_output 1
}

@test "a missing image is pulled first (and its failure reported)" {
	run h run --rm nosuchimage:v1 true
	[ "$status" -eq 125 ]
	assert_line --index 0 "Unable to find image 'nosuchimage:v1' locally"
	run h run --rm --pull never nosuchimage:v1 true
	[ "$status" -eq 125 ]
	refute_output --partial 'Unable to find image'
	assert_output --partial 'No such image'
}

@test "run sends docker's requests in docker's order" {
	require_cmd socat
	socat -v UNIX-LISTEN:"$DK/proxy.sock",fork UNIX-CONNECT:"$SOCK" 2>"$DK/husk.trace" &
	BG_PID=$!
	for _ in $(seq 1 50); do [ -S "$DK/proxy.sock" ] && break; sleep 0.05; done
	husk -H "unix://$DK/proxy.sock" run --rm busybox true
	husk -H "unix://$DK/proxy.sock" run -d --name seq busybox true >/dev/null
	sleep 0.3
	h rm -f seq >/dev/null
	run bash -c "grep -aoE '^(HEAD|GET|POST|DELETE) [^ ]+' '$DK/husk.trace' |
		sed -E 's/[0-9a-f]{64}/ID/; s#/v1\.[0-9]+##'"
	assert_output "HEAD /_ping
POST /containers/create
POST /containers/ID/attach?stderr=1&stdout=1&stream=1
POST /containers/ID/wait?condition=removed
POST /containers/ID/start
HEAD /_ping
POST /containers/create?name=seq
POST /containers/ID/wait?condition=next-exit
POST /containers/ID/start"
}

@test "run -it: a real terminal, its size, raw mode and the exit status" {
	require_cmd python3
	run pty_run 'stty size; exit 5\r' husk -H "unix://$SOCK" run -it --rm busybox sh
	[ "$status" -eq 5 ]
	assert_output --partial '33 101'
	# the terminal is restored: a shell after husk still echoes
	run pty_run 'exit 0\r' bash -c "husk -H unix://$SOCK run -t --rm busybox true; stty -a"
	assert_output --partial ' echo '
	assert_output --partial ' icanon '
	run husk -H "unix://$SOCK" run -it --rm busybox true </dev/null
	assert_failure
	assert_output 'the input device is not a TTY'
}

@test "detach keys leave the container running; attach and exec -it" {
	require_cmd python3
	run pty_run 'echo first\r\x10\x11' husk -H "unix://$SOCK" run -it --name dt busybox sh
	assert_success
	assert_output --partial first
	run h inspect -f '{{.State.Running}}' dt
	assert_output true
	run pty_run 'stty size; exit 7\r' husk -H "unix://$SOCK" exec -it dt sh
	[ "$status" -eq 7 ]
	assert_output --partial '33 101'
	# detaching from attach is docker's "read escape sequence", status 1
	run pty_run 'echo again\r\x01' husk -H "unix://$SOCK" attach --detach-keys ctrl-a dt
	[ "$status" -eq 1 ]
	assert_output --partial again
	assert_output --partial 'read escape sequence'
	run pty_run 'exit 9\r' husk -H "unix://$SOCK" attach dt
	[ "$status" -eq 9 ]
	run h attach dt
	assert_failure
	assert_output --partial 'You cannot attach to a stopped container'
	h rm dt >/dev/null
}

@test "signals are forwarded to the container (--sig-proxy)" {
	husk -H "unix://$SOCK" run --rm --name sig busybox sh -c \
		'trap "echo got-term; exit 3" TERM; echo ready; while :; do sleep 0.1; done' \
		>"$HUSK_TEST_DIR/sig.out" &
	BG_PID=$!
	for _ in $(seq 1 100); do grep -q ready "$HUSK_TEST_DIR/sig.out" && break; sleep 0.1; done
	kill -TERM "$BG_PID"
	local rc=0
	wait "$BG_PID" || rc=$?
	BG_PID=
	[ "$rc" -eq 3 ]
	grep -q got-term "$HUSK_TEST_DIR/sig.out"
}

@test "--help for every container command; unknown flags are 125" {
	local c
	for c in run create ps logs exec attach stats start stop restart kill wait rename pause \
		unpause rm update port top inspect "container prune" "container ls" completion; do
		# shellcheck disable=SC2086
		run husk $c --help
		assert_success
		assert_line --index 0 --regexp "^Usage: +husk $c "
	done
	run husk run --help
	assert_output --partial '  -m, --memory bytes'
	assert_output --partial '      --sig-proxy '
	run husk ps --bogus
	[ "$status" -eq 125 ]
	assert_output --partial 'unknown flag: --bogus'
}

@test "completion: bash and zsh scripts from the command table" {
	run husk completion bash
	assert_success
	bash -n <<<"$output"
	run husk completion fish
	assert_failure
	h create --name comp1 busybox true >/dev/null
	run bash -c "source <(husk completion bash)
		COMP_WORDS=(husk ru); COMP_CWORD=1; _husk; echo \"\${COMPREPLY[*]}\"
		COMP_WORDS=(husk run --memory-s); COMP_CWORD=2; _husk; echo \"\${COMPREPLY[*]}\"
		COMP_WORDS=(husk container i); COMP_CWORD=2; _husk; echo \"\${COMPREPLY[*]}\"
		COMP_WORDS=(husk -H unix://$SOCK rm co); COMP_CWORD=4; _husk; echo \"\${COMPREPLY[*]}\"
		COMP_WORDS=(husk run -e ''); COMP_CWORD=3; _husk; echo \"n=\${#COMPREPLY[@]}\""
	assert_line --index 0 run
	assert_line --index 1 '--memory-swap --memory-swappiness'
	assert_line --index 2 'inspect'
	assert_line --index 3 comp1
	assert_line --index 4 'n=0'
	h rm comp1 >/dev/null
	if command -v zsh >/dev/null; then
		husk completion zsh | zsh -n
	fi
	# the checked-in scripts are the generator's output for this table
	# (regenerate: husk completion bash > contrib/completion/husk.bash, and zsh > _husk)
	cmp <(husk completion bash) "$HUSK_SRC/contrib/completion/husk.bash"
	cmp <(husk completion zsh) "$HUSK_SRC/contrib/completion/_husk"
}

@test "contrib/systemd: huskd serves a socket systemd passes (-H fd://)" {
	require_cmd systemd-socket-activate
	local d=$DK/sa
	mkdir -p "$d"
	echo '{}' >"$d/daemon.json"
	systemd-socket-activate -l "$d/api.sock" huskd -H fd:// --data-root "$d/root" \
		--exec-root "$d/run" --pidfile "$d/run/huskd.pid" --config-file "$d/daemon.json" \
		>"$d/log" 2>&1 &
	for _ in $(seq 1 50); do [ -S "$d/api.sock" ] && break; sleep 0.05; done
	run husk -H "unix://$d/api.sock" images -q
	assert_success
	kill -TERM "$(cat "$d/run/huskd.pid")"
	wait
	grep -q 'API listen on fd 3 (socket activation)' "$d/log"
	[ -S "$d/api.sock" ] # the socket unit's, never unlinked by huskd
	run huskd -H fd:// --data-root "$d/root" --exec-root "$d/run2" \
		--pidfile "$d/run2/huskd.pid" --config-file "$d/daemon.json"
	assert_failure
	assert_output --partial 'no sockets found via socket activation'
	if command -v systemd-analyze >/dev/null; then
		run systemd-analyze verify "$HUSK_SRC/contrib/systemd/husk.socket" \
			"$HUSK_SRC/contrib/systemd/husk.service"
		refute_output --partial 'Unknown'
		refute_output --partial 'Invalid'
	fi
}
