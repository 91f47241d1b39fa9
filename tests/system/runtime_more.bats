#!/usr/bin/env bats
# husk-runtime, the rest of runc's command line: spec, features, list,
# state, update, exec and kill options, delete, joined and special
# namespaces, process settings, sysctls, mounts, hooks, --log and seccomp.
# Each test checks from inside the container or from the host what the
# kernel really did; runc, when installed, is the reference for the
# output of the same bundle.

load helpers

setup_file() {
	husk_file_setup
	FIXTURE=$("$FIXTURES/mkbusybox.sh")
	export FIXTURE
	export RT_ROOT=$HUSK_TEST_DIR/state
	# container ids (and so cgroup names) unique to this run of the file,
	# so that two runs at once do not kill each other's containers
	export P=more-${HUSK_TEST_DIR##*.}
}

# Every container of this file is named $P-*: delete whatever is left,
# then check that no cgroup and no mount of this file survived.
teardown_file() {
	local id left=""
	for id in $(husk-runtime --root "$RT_ROOT" list -q 2>/dev/null); do
		husk-runtime --root "$RT_ROOT" delete --force "$id" >/dev/null 2>&1 || true
	done
	if [ -d "${HUSK_TEST_DIR:-/nonexistent}/runc" ]; then
		for id in $(runc --root "$HUSK_TEST_DIR/runc" list -q 2>/dev/null); do
			runc --root "$HUSK_TEST_DIR/runc" delete --force "$id" >/dev/null 2>&1 || true
		done
	fi
	left=$(find /sys/fs/cgroup -maxdepth 4 -type d -name "$P-*" 2>/dev/null)
	left+=$(findmnt -rn -o TARGET | grep -F "${HUSK_TEST_DIR:-/nonexistent}" || true)
	husk_file_teardown
	if [ -n "$left" ]; then
		echo "left behind: $left" >&2
		return 1
	fi
}

rt() {
	husk-runtime --root "$RT_ROOT" "$@"
}

# bundle NAME JQ-FILTER: a fresh bundle whose config is the fixture's,
# changed by the jq filter; prints its path.
bundle() {
	local dir=$HUSK_TEST_DIR/bundles/$1
	rm -rf "$dir"
	mkdir -p "$dir"
	cp -a "$FIXTURE/bundle/rootfs" "$dir/rootfs"
	jq "${2:-.}" "$FIXTURE/bundle/config.json" >"$dir/config.json"
	echo "$dir"
}

# args for jq: '.process.args = ["sh","-c","..."]'
cmd() {
	jq -cn --arg c "$1" '["sh","-c",$c]'
}

# A mounts entry (JSON) binding host directory SRC at DEST with OPTIONS.
bind_mount() {
	local dest=$1 src=$2
	shift 2
	jq -cn --arg d "$dest" --arg s "$src" '{"destination":$d,"type":"bind","source":$s,
		"options":(["rbind"] + $ARGS.positional)}' --args "$@"
}

# A host directory for a test (created empty), for binding into a container.
host_dir() {
	local d=$HUSK_TEST_DIR/host/$1
	rm -rf "$d"
	mkdir -p "$d"
	echo "$d"
}

cgroups_of() {
	find /sys/fs/cgroup -maxdepth 4 -type d -name "$1" 2>/dev/null
}

# wait_status ID STATUS: wait (up to 5 s) for the container to be in STATUS.
wait_status() {
	local st
	for _ in $(seq 1 100); do
		st=$(rt state "$1" 2>/dev/null | jq -r .status)
		[ "$st" = "$2" ] && return 0
		sleep 0.05
	done
	echo "container $1 is \"$st\", not $2" >&2
	return 1
}

# wait_file FILE TEXT: wait (up to 5 s) for FILE to contain the line TEXT.
wait_file() {
	for _ in $(seq 1 100); do
		grep -qx "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "$1 has no line \"$2\": $(cat "$1" 2>&1)" >&2
	return 1
}

# Whether a process is gone (or a zombie nobody reaped yet).
pid_gone() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -z "$st" ] || [ "$st" = Z ] || [ "$st" = X ]
}

# wait_gone PID: wait (up to 5 s) for pid_gone.
wait_gone() {
	for _ in $(seq 1 100); do
		pid_gone "$1" && return 0
		sleep 0.05
	done
	echo "process $1 is still there: $(cat "/proc/$1/cmdline" 2>&1 | tr '\0' ' ')" >&2
	return 1
}

init_pid() {
	rt state "$1" | jq -r .pid
}

# cgroup_dir ID CONTROLLER: the container's v1 directory of the controller,
# from its init's /proc/PID/cgroup.
cgroup_dir() {
	local path
	path=$(awk -F: -v c="$2" '$2 == c {print $3}' "/proc/$(init_pid "$1")/cgroup")
	[ -n "$path" ] || return 1
	echo "/sys/fs/cgroup/$2$path"
}

require_v1() {
	local c
	for c in "$@"; do
		[ -d "/sys/fs/cgroup/$c" ] || skip "no cgroup v1 $c hierarchy on this host"
	done
}

# runc_run NAME BUNDLE: the same bundle under runc, for comparison (skips
# when runc is not installed).
runc_run() {
	command -v runc >/dev/null 2>&1 || skip "runc is not installed on this host"
	runc --root "$HUSK_TEST_DIR/runc" run -b "$2" "runc-$1"
}

# probe: a static helper to put in a rootfs, for what busybox cannot show
# (clone3's errno, CLOCK_MONOTONIC). Built once per file; skips without a
# static C toolchain.
probe() {
	local bin=$HUSK_TEST_DIR/probe
	if [ ! -x "$bin" ]; then
		command -v cc >/dev/null 2>&1 || skip "no C compiler on this host"
		cat >"$HUSK_TEST_DIR/probe.c" <<-'EOF'
			#define _GNU_SOURCE
			#include <errno.h>
			#include <stdio.h>
			#include <string.h>
			#include <sys/syscall.h>
			#include <time.h>
			#include <unistd.h>
			int main(int argc, char **argv)
			{
				struct timespec ts;
				if (argc > 1 && strcmp(argv[1], "clone3") == 0) {
					long r = syscall(435 /* clone3 */, NULL, 0);
					printf("clone3 %ld %s\n", r, r < 0 ? strerrorname_np(errno) : "");
					return 0;
				}
				clock_gettime(CLOCK_MONOTONIC, &ts);
				printf("%lld\n", (long long)ts.tv_sec);
				return 0;
			}
		EOF
		cc -static -O -o "$bin" "$HUSK_TEST_DIR/probe.c" 2>"$HUSK_TEST_DIR/probe.log" ||
			skip "cannot build a static binary here: $(head -c 300 "$HUSK_TEST_DIR/probe.log")"
	fi
	echo "$bin"
}

# ---- spec, features, --version ----

@test "spec: writes a runnable config.json into --bundle and never overwrites it" {
	local d=$HUSK_TEST_DIR/spec before
	rm -rf "$d"
	mkdir -p "$d"
	run rt spec --bundle "$d"
	assert_success
	jq -e '.ociVersion and .process.args == ["sh"] and .root.path == "rootfs"
		and ([.linux.namespaces[].type] | index("mount") and (index("user") | not))' "$d/config.json"
	before=$(sha256sum "$d/config.json")
	run rt spec --bundle "$d"
	assert_failure 1
	assert_output --partial 'exists'
	[ "$(sha256sum "$d/config.json")" = "$before" ]
	# without --bundle it goes to the current directory
	mkdir -p "$d/cwd"
	(cd "$d/cwd" && rt spec)
	[ -s "$d/cwd/config.json" ]
	# what it wrote runs, with a rootfs and no terminal
	cp -a "$FIXTURE/bundle/rootfs" "$d/rootfs"
	jq '.process.terminal = false | .process.args = ["sh","-c","echo spec-ok $(hostname)"]' \
		"$d/config.json" >"$d/c.json"
	mv "$d/c.json" "$d/config.json"
	run rt run -b "$d" "$P-spec"
	assert_success
	assert_output --regexp '^spec-ok '
}

@test "spec --rootless: a user namespace mapping the caller's uid and gid" {
	local d=$HUSK_TEST_DIR/spec-rootless
	rm -rf "$d"
	mkdir -p "$d"
	run rt spec --rootless --bundle "$d"
	assert_success
	jq -e --argjson u "$(id -u)" --argjson g "$(id -g)" '
		([.linux.namespaces[].type] | index("user"))
		and .linux.uidMappings == [{"containerID":0,"hostID":$u,"size":1}]
		and .linux.gidMappings == [{"containerID":0,"hostID":$g,"size":1}]' "$d/config.json"
	# and it runs: the process is root of a user namespace mapping only us
	cp -a "$FIXTURE/bundle/rootfs" "$d/rootfs"
	jq '.process.terminal = false | .process.args = ["sh","-c","cat /proc/self/uid_map; id -u"]' \
		"$d/config.json" >"$d/c.json"
	mv "$d/c.json" "$d/config.json"
	run rt run -b "$d" "$P-rootless"
	assert_success
	assert_line --index 0 --regexp "^ +0 +$(id -u) +1\$"
	assert_line --index 1 0
	# the default spec has no user namespace and no mappings
	rm -f "$d/config.json"
	rt spec --bundle "$d"
	jq -e '(.linux.uidMappings | not) and ([.linux.namespaces[].type] | index("user") | not)' \
		"$d/config.json"
}

@test "features: valid JSON with the OCI version range and all 8 namespace types" {
	run rt features
	assert_success
	jq -e '(.ociVersionMin | test("^1\\.[0-9]+\\.[0-9]+$"))
		and (.ociVersionMax | test("^1\\.[0-9]+\\.[0-9]+"))
		and (.linux.namespaces | sort) == ["cgroup","ipc","mount","network","pid","time","user","uts"]' \
		<<<"$output"
}

@test "--version: the runtime's version, commit and the spec it implements" {
	local max
	run rt --version
	assert_success
	assert_line --index 0 --regexp '^husk-runtime version [0-9]+\.[0-9]+'
	assert_line --regexp '^commit: .+'
	max=$(rt features | jq -r .ociVersionMax)
	assert_line "spec: $max"
	run husk-runtime -v
	assert_success
	assert_line --index 0 --regexp '^husk-runtime version '
}

# ---- list, state ----

@test "list: the table, --format json and -q show created, running and stopped containers" {
	local ba bb bc pa pb
	ba=$(bundle lsa '.process.args = ["sleep","1000"]')
	bb=$(bundle lsb '.process.args = ["sleep","1000"]')
	bc=$(bundle lsc '.process.args = ["true"]')
	rt create -b "$ba" "$P-lsa"
	rt run -d -b "$bb" "$P-lsb"
	rt run -d -b "$bc" "$P-lsc"
	wait_status "$P-lsc" stopped
	pa=$(init_pid "$P-lsa")
	pb=$(init_pid "$P-lsb")
	run rt list
	assert_success
	assert_line --index 0 --regexp '^ID +PID +STATUS +BUNDLE +CREATED +OWNER$'
	assert_line --regexp "^$P-lsa +$pa +created +$ba +[0-9]{4}-.* root\$"
	assert_line --regexp "^$P-lsb +$pb +running +$bb "
	# runc shows pid 0 for a stopped container
	assert_line --regexp "^$P-lsc +0 +stopped +$bc "
	run rt list --format json
	assert_success
	jq -e --arg p "$P" --arg ba "$ba" --argjson pa "$pa" --arg bb "$bb" '
		(.[] | select(.id == $p + "-lsa") | .status == "created" and .pid == $pa and .bundle == $ba)
		and (.[] | select(.id == $p + "-lsb") | .status == "running" and .bundle == $bb)
		and (.[] | select(.id == $p + "-lsc") | .status == "stopped")' <<<"$output"
	run rt list -q
	assert_success
	assert_line "$P-lsa"
	assert_line "$P-lsb"
	assert_line "$P-lsc"
	refute_output --partial ' '
	refute_output --partial 'STATUS'
	rt delete --force "$P-lsa"
	rt delete --force "$P-lsb"
	rt delete "$P-lsc"
	run rt list -q
	refute_output --partial "$P-ls"
}

@test "state: ociVersion, id, status, pid, bundle and config.json's annotations" {
	local b pid
	b=$(bundle st '.process.args = ["sleep","1000"]
		| .annotations = {"org.example.key": "value", "com.example/two": "a b"}')
	rt create -b "$b" --pid-file "$HUSK_TEST_DIR/st.pid" "$P-st"
	pid=$(cat "$HUSK_TEST_DIR/st.pid")
	run rt state "$P-st"
	assert_success
	# ociVersion: the config's (runc reports the spec version it implements)
	jq -e --arg id "$P-st" --arg b "$b" --argjson pid "$pid" --arg max "$(rt features | jq -r .ociVersionMax)" \
		'(.ociVersion | IN("1.1.0", $max)) and .id == $id
		and .status == "created" and .pid == $pid and .bundle == $b
		and .annotations == {"org.example.key": "value", "com.example/two": "a b"}' <<<"$output"
	# the pid is the container's init, in the container's own pid namespace
	[ "$(readlink "/proc/$pid/ns/pid")" != "$(readlink /proc/self/ns/pid)" ]
	rt start "$P-st"
	[ "$(rt state "$P-st" | jq -r .status)" = running ]
	# a stopped container has pid 0, as with runc
	rt kill "$P-st" KILL
	wait_status "$P-st" stopped
	[ "$(rt state "$P-st" | jq -r .pid)" = 0 ]
	rt delete "$P-st"
	run rt state "$P-st"
	assert_failure 1
	assert_output --partial "container \"$P-st\" does not exist"
}

# ---- update ----

@test "update: --memory and --pids-limit change the running container's cgroup" {
	require_v1 memory pids
	local b mem pids
	b=$(bundle upd '.process.args = ["sleep","1000"]')
	rt run -d -b "$b" "$P-upd"
	mem=$(cgroup_dir "$P-upd" memory)
	pids=$(cgroup_dir "$P-upd" pids)
	grep -qx "$(init_pid "$P-upd")" "$mem/cgroup.procs"
	run rt update --memory 67108864 --pids-limit 50 "$P-upd"
	assert_success
	[ "$(cat "$mem/memory.limit_in_bytes")" = 67108864 ]
	[ "$(cat "$pids/pids.max")" = 50 ]
	# and the kernel enforces the new pids limit inside
	rt update --pids-limit 3 "$P-upd"
	run rt exec "$P-upd" sh -c 'for i in 1 2 3 4; do sleep 5 & done 2>&1; kill $(jobs -p) 2>/dev/null'
	assert_output --partial "can't fork"
	[ "$(rt state "$P-upd" | jq -r .status)" = running ]
	rt delete --force "$P-upd"
}

@test "update --resources: a JSON file, or stdin" {
	require_v1 memory pids cpu
	local b mem pids cpu f=$HUSK_TEST_DIR/resources.json
	b=$(bundle updr '.process.args = ["sleep","1000"]')
	rt run -d -b "$b" "$P-updr"
	mem=$(cgroup_dir "$P-updr" memory)
	pids=$(cgroup_dir "$P-updr" pids)
	cpu=$(cgroup_dir "$P-updr" cpu)
	echo '{"memory": {"limit": 100663296}, "pids": {"limit": 77}, "cpu": {"shares": 512}}' >"$f"
	run rt update --resources "$f" "$P-updr"
	assert_success
	[ "$(cat "$mem/memory.limit_in_bytes")" = 100663296 ]
	[ "$(cat "$pids/pids.max")" = 77 ]
	[ "$(cat "$cpu/cpu.shares")" = 512 ]
	run rt update --resources - "$P-updr" <<<'{"pids": {"limit": 33}}'
	assert_success
	[ "$(cat "$pids/pids.max")" = 33 ]
	# a wrong type in the file is an error naming the field
	echo '{"memory": {"limit": "lots"}}' >"$f"
	run rt update --resources "$f" "$P-updr"
	assert_failure 1
	assert_output --partial 'memory.limit'
	[ "$(cat "$mem/memory.limit_in_bytes")" = 100663296 ]
	rt delete --force "$P-updr"
}

@test "update: a bad value is an error naming the flag, and nothing changes" {
	require_v1 memory pids
	local b mem pids
	b=$(bundle updbad '.process.args = ["sleep","1000"] | .linux.resources.pids = {"limit": 40}')
	rt run -d -b "$b" "$P-updbad"
	mem=$(cgroup_dir "$P-updbad" memory)
	pids=$(cgroup_dir "$P-updbad" pids)
	local before
	before=$(cat "$mem/memory.limit_in_bytes")
	run rt update --memory lots "$P-updbad"
	assert_failure 1
	assert_output --partial '--memory'
	assert_output --partial 'lots'
	run rt update --pids-limit 12x "$P-updbad"
	assert_failure 1
	assert_output --partial '--pids-limit'
	run rt update --cpu-shares=-1x "$P-updbad"
	assert_failure 1
	assert_output --partial '--cpu-shares'
	[ "$(cat "$mem/memory.limit_in_bytes")" = "$before" ]
	[ "$(cat "$pids/pids.max")" = 40 ]
	run rt update --memory 67108864 "$P-nope"
	assert_failure 1
	assert_output --partial "container \"$P-nope\" does not exist"
	rt delete --force "$P-updbad"
}

# ---- exec ----

@test "exec: --env, --cwd, --user and the exit status" {
	local b
	b=$(bundle ex '.process.args = ["sleep","1000"] | .process.env += ["FROM_CONFIG=yes"]')
	rt run -d -b "$b" "$P-ex"
	run rt exec -e FOO=bar --env BAZ=qux "$P-ex" sh -c 'echo $FOO $BAZ $FROM_CONFIG'
	assert_success
	assert_output 'bar qux yes'
	# -e replaces a variable of config.json, in its place
	run rt exec -e FROM_CONFIG=no -e TERM=dumb "$P-ex" env
	assert_output "$(printf 'PATH=%s\nTERM=dumb\nFROM_CONFIG=no\nHOME=/root' \
		"$(jq -r '.process.env[0] | ltrimstr("PATH=")' "$b/config.json")")"
	run rt exec "$P-ex" pwd
	assert_output /
	run rt exec --cwd /tmp "$P-ex" pwd
	assert_output /tmp
	run rt exec -u 1000:1000 "$P-ex" sh -c 'id -u; id -g'
	assert_success
	assert_output "$(printf '1000\n1000')"
	run rt exec --user 1234 "$P-ex" id -u
	assert_output 1234
	run rt exec "$P-ex" sh -c 'exit 42'
	assert_failure 42
	run rt exec "$P-ex" sh -c 'kill -9 $$'
	assert_failure 137
	run rt exec "$P-ex" true
	assert_success
	rt delete --force "$P-ex"
}

@test "exec --process: the process comes from a JSON file" {
	local b p=$HUSK_TEST_DIR/process.json
	b=$(bundle exp '.process.args = ["sleep","1000"]')
	rt run -d -b "$b" "$P-exp"
	jq -n '{"terminal": false, "user": {"uid": 2000, "gid": 3000}, "cwd": "/etc",
		"env": ["PJ=from-json", "PATH=/bin:/usr/bin"],
		"args": ["sh", "-c", "echo $PJ; pwd; id -u; id -g; exit 5"]}' >"$p"
	run rt exec --process "$p" "$P-exp"
	assert_failure 5
	assert_output "$(printf 'from-json\n/etc\n2000\n3000')"
	jq 'del(.args)' "$p" >"$p.2"
	run rt exec -p "$p.2" "$P-exp"
	assert_failure 1
	assert_output --partial 'args'
	rt delete --force "$P-exp"
}

@test "exec --cap CAP_NET_ADMIN: a link can be added with it, not without" {
	local b
	b=$(bundle excap '.process.args = ["sleep","1000"]')
	rt run -d -b "$b" "$P-excap"
	# (a bridge: this kernel may not have the dummy link type)
	run rt exec "$P-excap" ip link add br0 type bridge
	assert_failure
	assert_output --partial 'Operation not permitted'
	run rt exec --cap CAP_NET_ADMIN "$P-excap" ip link add br0 type bridge
	assert_success
	run rt exec "$P-excap" ip -o link
	assert_output --partial 'br0'
	# CAP_NET_ADMIN is bit 12; only that exec got it, and not as an
	# inheritable capability (CVE-2022-29162)
	run rt exec --cap CAP_NET_ADMIN "$P-excap" grep CapEff /proc/self/status
	[ $((0x${output##*[[:space:]]} >> 12 & 1)) = 1 ]
	run rt exec --cap CAP_NET_ADMIN "$P-excap" grep CapInh /proc/self/status
	assert_output "$(printf 'CapInh:\t0000000000000000')"
	run rt exec "$P-excap" grep CapEff /proc/self/status
	[ $((0x${output##*[[:space:]]} >> 12 & 1)) = 0 ]
	rt delete --force "$P-excap"
}

@test "exec --detach --pid-file: the process keeps running in the container" {
	local b pid t0 t1
	b=$(bundle exd '.process.args = ["sleep","1000"]')
	rt run -d -b "$b" "$P-exd"
	t0=$(date +%s)
	rt exec --detach --pid-file "$HUSK_TEST_DIR/exd.pid" "$P-exd" sleep 777
	t1=$(date +%s)
	[ $((t1 - t0)) -lt 5 ]
	pid=$(cat "$HUSK_TEST_DIR/exd.pid")
	[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" = 'sleep 777 ' ]
	[ "$(readlink "/proc/$pid/ns/pid")" = "$(readlink "/proc/$(init_pid "$P-exd")/ns/pid")" ]
	[ "$(readlink "/proc/$pid/ns/mnt")" = "$(readlink "/proc/$(init_pid "$P-exd")/ns/mnt")" ]
	run rt ps --format json "$P-exd"
	jq -e --argjson p "$pid" 'index($p) != null' <<<"$output"
	run rt exec "$P-exd" ps
	assert_output --partial 'sleep 777'
	rt delete --force "$P-exd"
	wait_gone "$pid"
}

@test "exec into a stopped or unknown container fails with a clear message" {
	local b
	b=$(bundle exs '.process.args = ["true"]')
	rt run -d -b "$b" "$P-exs"
	wait_status "$P-exs" stopped
	run rt exec "$P-exs" echo hi
	assert_failure 1
	assert_output --partial 'stopped'
	assert_output --partial "$P-exs"
	refute_output --partial hi
	run rt exec "$P-nope" echo hi
	assert_failure 1
	assert_output --partial "container \"$P-nope\" does not exist"
	rt delete "$P-exs"
}

@test "exec -t --console-socket: the process gets a pty, its master goes to the socket" {
	local b sock=$HUSK_TEST_DIR/exec-tty.sock rpid
	b=$(bundle ext '.process.args = ["sleep","1000"]')
	rt run -d -b "$b" "$P-ext"
	recvtty "$sock" >"$HUSK_TEST_DIR/exec-tty.out" 2>&1 &
	rpid=$!
	for _ in $(seq 1 50); do [ -S "$sock" ] && break; sleep 0.05; done
	run rt exec -t --console-socket "$sock" "$P-ext" sh -c 'tty; echo rc=$?'
	assert_success
	wait "$rpid"
	run cat "$HUSK_TEST_DIR/exec-tty.out"
	assert_output --regexp '/dev/pts/[0-9]+'
	assert_output --partial 'rc=0'
	rt delete --force "$P-ext"
}

# ---- kill ----

@test "kill: signals by name, SIG-name and number reach the container's init" {
	local b shared log
	shared=$(host_dir kill)
	log=$shared/log
	b=$(bundle kill ".mounts += [$(bind_mount /shared "$shared")]
		| .process.args = $(cmd 'trap "echo usr1 >>/shared/log" USR1
			trap "echo term >>/shared/log; exit 0" TERM
			echo ready >>/shared/log
			while :; do sleep 0.05; done')")
	rt run -d -b "$b" "$P-kill"
	wait_file "$log" ready
	rt kill "$P-kill" SIGUSR1
	wait_file "$log" usr1
	# (one at a time: a second USR1 pending with the first would merge)
	rt kill "$P-kill" USR1
	for _ in $(seq 1 100); do [ "$(grep -c usr1 "$log")" = 2 ] && break; sleep 0.05; done
	rt kill "$P-kill" 10
	for _ in $(seq 1 100); do [ "$(grep -c usr1 "$log")" = 3 ] && break; sleep 0.05; done
	[ "$(grep -c usr1 "$log")" = 3 ]
	run rt kill "$P-kill" SIGBOGUS
	assert_failure 1
	assert_output --partial 'SIGBOGUS'
	# TERM is the default signal
	rt kill "$P-kill"
	wait_file "$log" term
	wait_status "$P-kill" stopped
	rt delete "$P-kill"
	# KILL by number, to a pid 1 without handlers
	b=$(bundle kill9 '.process.args = ["sleep","1000"]')
	rt run -d -b "$b" "$P-kill9"
	rt kill "$P-kill9" TERM # ignored: pid 1 of a namespace has no handler
	sleep 0.2
	[ "$(rt state "$P-kill9" | jq -r .status)" = running ]
	rt kill "$P-kill9" 9
	wait_status "$P-kill9" stopped
	rt delete "$P-kill9"
}

@test "kill --all: every process of a container without its own pid namespace" {
	local b pids p
	b=$(bundle killall 'del(.linux.namespaces[] | select(.type == "pid"))
		| .process.args = ["sh","-c","sleep 1001 & sleep 1002 & sleep 1003 & wait"]')
	rt run -d -b "$b" "$P-killall"
	for _ in $(seq 1 100); do
		[ "$(rt ps --format json "$P-killall" | jq length)" -ge 4 ] && break
		sleep 0.05
	done
	pids=$(rt ps --format json "$P-killall" | jq -r '.[]')
	[ "$(wc -w <<<"$pids")" -ge 4 ]
	# without --all only the init dies; its children live on in the cgroup
	rt kill "$P-killall" KILL
	wait_status "$P-killall" stopped
	[ "$(rt ps --format json "$P-killall" | jq length)" -ge 3 ]
	run rt kill --all "$P-killall" KILL
	assert_success
	for p in $pids; do
		wait_gone "$p"
	done
	rt delete "$P-killall"
	[ -z "$(cgroups_of "$P-killall")" ]
}

@test "kill: a stopped container is an error" {
	local b
	b=$(bundle kills '.process.args = ["true"]')
	rt run -d -b "$b" "$P-kills"
	wait_status "$P-kills" stopped
	run rt kill "$P-kills" KILL
	assert_failure 1
	assert_output --partial 'not running'
	run rt kill "$P-nope" KILL
	assert_failure 1
	assert_output --partial 'does not exist'
	rt delete "$P-kills"
}

# ---- delete ----

@test "delete: a created container, with or without --force; its init, state and cgroups go" {
	local b pid id
	for id in "$P-delc" "$P-delf"; do
		b=$(bundle "$id" '.process.args = ["sleep","1000"]')
		rt create -b "$b" "$id"
		pid=$(init_pid "$id")
		[ -n "$(cgroups_of "$id")" ]
		[ -d "$RT_ROOT/$id" ]
		if [ "$id" = "$P-delf" ]; then rt delete --force "$id"; else rt delete "$id"; fi
		wait_gone "$pid"
		[ ! -e "$RT_ROOT/$id" ]
		[ -z "$(cgroups_of "$id")" ]
		run rt state "$id"
		assert_failure 1
	done
}

@test "delete --force of an unknown container succeeds; without --force it fails" {
	run rt delete --force "$P-never"
	assert_success
	assert_output ''
	run rt delete "$P-never"
	assert_failure 1
	assert_output --partial "container \"$P-never\" does not exist"
}

# ---- namespaces ----

@test "namespaces: a network namespace joined by path is shared" {
	local ba bb pa
	ba=$(bundle neta '.process.args = ["sleep","1000"]')
	rt run -d -b "$ba" "$P-neta"
	pa=$(init_pid "$P-neta")
	rt exec --cap CAP_NET_ADMIN "$P-neta" ip addr add 10.123.45.67/32 dev lo
	bb=$(bundle netb "(.linux.namespaces[] | select(.type == \"network\")) .path = \"/proc/$pa/ns/net\"
		| .process.args = $(cmd 'readlink /proc/self/ns/net; ip -o addr')")
	run rt run -b "$bb" "$P-netb"
	assert_success
	assert_line --index 0 "$(readlink "/proc/$pa/ns/net")"
	refute_line --index 0 "$(readlink /proc/self/ns/net)"
	assert_output --partial '10.123.45.67/32'
	rt delete --force "$P-neta"
}

@test "namespaces: a UTS namespace joined by path; setting hostname needs a new one" {
	local ba bb pa
	ba=$(bundle utsa '.hostname = "husk-a" | .process.args = ["sleep","1000"]')
	rt run -d -b "$ba" "$P-utsa"
	pa=$(init_pid "$P-utsa")
	bb=$(bundle utsb "del(.hostname)
		| (.linux.namespaces[] | select(.type == \"uts\")) .path = \"/proc/$pa/ns/uts\"
		| .process.args = $(cmd 'hostname; hostname x; echo rc=$?')")
	run rt run -b "$bb" "$P-utsb"
	assert_success
	assert_line --index 0 husk-a
	assert_output --partial 'Operation not permitted'
	assert_line rc=1
	# the joined namespace's name is unchanged
	run rt exec "$P-utsa" hostname
	assert_output husk-a
	# asking for a hostname in a joined UTS namespace is refused
	bb=$(bundle utsc ".hostname = \"other\"
		| (.linux.namespaces[] | select(.type == \"uts\")) .path = \"/proc/$pa/ns/uts\"
		| .process.args = [\"true\"]")
	run rt run -b "$bb" "$P-utsc"
	assert_failure 1
	assert_output --partial 'hostname'
	assert_output --partial 'UTS namespace'
	[ ! -e "$RT_ROOT/$P-utsc" ]
	run rt exec "$P-utsa" hostname
	assert_output husk-a
	rt delete --force "$P-utsa"
}

@test "namespaces: in a cgroup namespace /proc/self/cgroup shows /" {
	local b
	b=$(bundle cgns ".process.args = $(cmd 'cat /proc/self/cgroup')")
	run rt run -b "$b" "$P-cgns"
	assert_success
	[ "${#lines[@]}" -ge 1 ]
	refute_line --regexp ':/.+$'
	assert_line --regexp '^[0-9]+:[^:]*:/$'
	# without one the container's own cgroup path shows
	b=$(bundle cgns2 "del(.linux.namespaces[] | select(.type == \"cgroup\"))
		| .process.args = $(cmd 'cat /proc/self/cgroup')")
	run rt run -b "$b" "$P-cgns2"
	assert_success
	assert_line --regexp ":/.*$P-cgns2\$"
}

@test "namespaces: a time namespace with timeOffsets moves monotonic and boottime" {
	[ -e /proc/self/ns/time ] || skip "this kernel has no time namespaces"
	local b p host
	p=$(probe)
	b=$(bundle timens '.linux.namespaces += [{"type": "time"}]
		| .linux.timeOffsets = {"monotonic": {"secs": 1000000}, "boottime": {"secs": 1000000}}
		| .process.args = ["sh","-c","cut -d. -f1 /proc/uptime; /probe; cat /proc/self/timens_offsets"]')
	cp "$p" "$b/rootfs/probe"
	host=$(cut -d. -f1 /proc/uptime)
	run rt run -b "$b" "$P-timens"
	assert_success
	# /proc/uptime is boottime; the probe reads CLOCK_MONOTONIC
	[ "${lines[0]}" -ge $((host + 1000000 - 5)) ]
	[ "${lines[1]}" -ge 1000000 ]
	assert_line --regexp '^monotonic +1000000 +0$'
	assert_line --regexp '^boottime +1000000 +0$'
	[ "$(cut -d. -f1 /proc/uptime)" -lt $((host + 1000)) ]
}

@test "namespaces: a SysV queue made in the ipc namespace is not seen on the host" {
	require_cmd nsenter ipcmk ipcs ipcrm
	local b pid hostq hostid
	b=$(bundle ipc '.process.args = ["sleep","1000"]')
	rt run -d -b "$b" "$P-ipc"
	pid=$(init_pid "$P-ipc")
	hostq=$(ipcs -q | sha256sum)
	# ipcmk (not in busybox) run in the container's ipc namespace
	nsenter -t "$pid" --ipc ipcmk -Q
	run rt exec "$P-ipc" sh -c 'tail -n +2 /proc/sysvipc/msg | wc -l'
	assert_output 1
	[ "$(ipcs -q | sha256sum)" = "$hostq" ]
	# and the other way round
	hostid=$(ipcmk -Q | grep -o '[0-9]\+$')
	run rt exec "$P-ipc" sh -c 'tail -n +2 /proc/sysvipc/msg | wc -l'
	ipcrm -q "$hostid"
	assert_output 1
	rt delete --force "$P-ipc"
}

@test "namespaces: ps in a pid namespace shows only the container's processes" {
	local b
	b=$(bundle pidns '.process.args = ["sleep","1000"]')
	rt run -d -b "$b" "$P-pidns"
	run rt exec "$P-pidns" ps -o pid,comm
	assert_success
	assert_line --index 0 --regexp '^ *PID +COMMAND$'
	assert_line --index 1 --regexp '^ +1 +sleep$'
	assert_line --index 2 --regexp '^ +[0-9]+ +ps$'
	[ "${#lines[@]}" -eq 3 ]
	local host_pids=(/proc/[0-9]*)
	[ "${#host_pids[@]}" -gt 3 ]
	rt delete --force "$P-pidns"
}

# ---- process settings ----

@test "process: rlimits set soft and hard limits" {
	local b
	b=$(bundle rlim '.process.rlimits = [{"type":"RLIMIT_NOFILE","soft":1000,"hard":1000},
			{"type":"RLIMIT_NPROC","soft":500,"hard":600}]
		| .process.args = ["sh","-c","ulimit -n; ulimit -Hn; ulimit -u; ulimit -Hu"]')
	run rt run -b "$b" "$P-rlim"
	assert_success
	assert_output "$(printf '1000\n1000\n500\n600')"
}

@test "process: a hard rlimit above the inherited one needs CAP_SYS_RESOURCE" {
	local b hard capeff
	hard=$(ulimit -Hn)
	capeff=$(awk '/^CapEff:/ {print $2}' /proc/self/status)
	# root with CAP_SYS_RESOURCE (bit 24) may raise it, as with runc; a
	# sandbox without it may not
	b=$(bundle rlimup ".process.rlimits = [{\"type\":\"RLIMIT_NOFILE\",\"soft\":1024,\"hard\":$((hard + 1000))}]
		| .process.args = $(cmd 'ulimit -Hn')")
	run rt run -b "$b" "$P-rlimup"
	if [ $((0x$capeff >> 24 & 1)) = 1 ]; then
		assert_success
		assert_output "$((hard + 1000))"
	else
		assert_failure 1
		assert_output --partial "hard limit $((hard + 1000)) is above the inherited $hard"
		assert_output --partial 'CAP_SYS_RESOURCE'
	fi
	# root of a user namespace may not: its capabilities end at the namespace
	b=$(bundle rlimns ".linux.namespaces += [{\"type\":\"user\"}]
		| .linux.uidMappings = [{\"containerID\":0,\"hostID\":0,\"size\":65536}]
		| .linux.gidMappings = [{\"containerID\":0,\"hostID\":0,\"size\":65536}]
		| .process.rlimits = [{\"type\":\"RLIMIT_NOFILE\",\"soft\":1024,\"hard\":$((hard + 1000))}]
		| .process.args = $(cmd 'echo started')")
	run rt run -b "$b" "$P-rlimns"
	assert_failure 1
	assert_output --partial 'CAP_SYS_RESOURCE'
	assert_output --partial 'rlimits'
	refute_output --partial started
	[ ! -e "$RT_ROOT/$P-rlimns" ]
	[ -z "$(cgroups_of "$P-rlimns")" ]
}

@test "process: oomScoreAdj, noNewPrivileges, user and groups, umask, cwd, env (as runc)" {
	local b out
	b=$(bundle proc '.process.oomScoreAdj = 500 | .process.noNewPrivileges = true
		| .process.user = {"uid": 1000, "gid": 1000, "additionalGids": [10], "umask": 63}
		| .process.cwd = "/tmp" | .process.env += ["FOO=bar"]
		| .process.args = ["sh","-c","cat /proc/self/oom_score_adj; grep NoNewPrivs /proc/self/status; id; umask; pwd; echo FOO=$FOO"]')
	run rt run -b "$b" "$P-proc"
	assert_success
	assert_output "$(printf '500\nNoNewPrivs:\t1\nuid=1000 gid=1000 groups=10\n0077\n/tmp\nFOO=bar')"
	out=$output
	run runc_run proc "$b"
	assert_output "$out"
	b=$(bundle proc2 '.process.noNewPrivileges = false
		| .process.args = ["sh","-c","grep NoNewPrivs /proc/self/status; cat /proc/self/oom_score_adj"]')
	run rt run -b "$b" "$P-proc2"
	assert_success
	assert_output "$(printf 'NoNewPrivs:\t0\n%s' "$(cat /proc/self/oom_score_adj)")"
}

@test "process: env as runc: a name given twice keeps its last value, HOME from /etc/passwd" {
	local b out
	b=$(bundle env '.process.env += ["A=1", "B=2", "A=3"] | .process.args = ["env"]')
	run rt run -b "$b" "$P-env"
	assert_success
	assert_output "$(printf 'PATH=%s\nTERM=xterm\nA=3\nB=2\nHOME=/root' \
		"$(jq -r '.process.env[0] | ltrimstr("PATH=")' "$b/config.json")")"
	out=$output
	run runc_run env "$b"
	assert_output "$out"
	# a user without an entry gets /, a HOME given is kept
	b=$(bundle env2 '.process.user.uid = 1000 | .process.args = ["sh","-c","echo $HOME"]')
	run rt run -b "$b" "$P-env2"
	assert_output /
	b=$(bundle env3 '.process.env += ["HOME=/srv"] | .process.args = ["sh","-c","echo $HOME"]')
	run rt run -b "$b" "$P-env3"
	assert_output /srv
}

@test "process: apparmorProfile and selinuxLabel on a host without them are clear errors" {
	local b
	if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ]; then
		skip "AppArmor is enabled on this host"
	fi
	[ ! -e /sys/fs/selinux/enforce ] || skip "SELinux is enabled on this host"
	b=$(bundle aa '.process.apparmorProfile = "husk-test" | .process.args = ["echo","started"]')
	run rt run -b "$b" "$P-aa"
	assert_failure 1
	assert_output --partial 'AppArmor'
	assert_output --partial 'husk-test'
	refute_output --partial started
	b=$(bundle se '.process.selinuxLabel = "system_u:system_r:container_t:s0"
		| .process.args = ["echo","started"]')
	run rt run -b "$b" "$P-se"
	assert_failure 1
	assert_output --partial 'SELinux'
	refute_output --partial started
	[ ! -e "$RT_ROOT/$P-aa" ] && [ ! -e "$RT_ROOT/$P-se" ]
	[ -z "$(cgroups_of "$P-aa")" ] && [ -z "$(cgroups_of "$P-se")" ]
}

@test "process: ioPriority and scheduler (SCHED_BATCH, nice)" {
	local b
	# /proc/PID/stat: field 19 is nice, 41 the policy (SCHED_BATCH = 3)
	b=$(bundle sched '.process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 6}
		| .process.scheduler = {"policy": "SCHED_BATCH", "nice": 5}
		| .process.args = ["sh","-c","ionice -p $$; awk \"{print \\$41, \\$19}\" /proc/$$/stat"]')
	run rt run -b "$b" "$P-sched"
	assert_success
	assert_line --index 0 'best-effort: prio 6'
	assert_line --index 1 '3 5'
	b=$(bundle sched2 '.process.ioPriority = {"class": "IOPRIO_CLASS_IDLE", "priority": 0}
		| .process.args = ["sh","-c","ionice -p $$; awk \"{print \\$41}\" /proc/$$/stat"]')
	run rt run -b "$b" "$P-sched2"
	assert_success
	assert_line --index 0 --regexp '^idle'
	assert_line --index 1 0
}

# ---- sysctl ----

@test "sysctl: a namespaced key is set inside only" {
	local b before msgmax
	before=$(cat /proc/sys/net/ipv4/ip_forward)
	msgmax=$(cat /proc/sys/kernel/msgmax)
	b=$(bundle sysctl '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.msgmax": "12345"}
		| .process.args = ["sh","-c","cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax"]')
	run rt run -b "$b" "$P-sysctl"
	assert_success
	assert_output "$(printf '1\n12345')"
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$before" ]
	[ "$(cat /proc/sys/kernel/msgmax)" = "$msgmax" ]
}

@test "sysctl: a key that is not namespaced, or not in a namespace of the container, is refused" {
	local b before
	before=$(cat /proc/sys/kernel/panic)
	b=$(bundle sysctlbad '.linux.sysctl = {"kernel.panic": "7"} | .process.args = ["echo","started"]')
	run rt run -b "$b" "$P-sysctlbad"
	assert_failure 1
	assert_output --partial 'kernel.panic'
	refute_output --partial started
	[ "$(cat /proc/sys/kernel/panic)" = "$before" ]
	b=$(bundle sysctlnet 'del(.linux.namespaces[] | select(.type == "network"))
		| .linux.sysctl = {"net.ipv4.ip_forward": "1"} | .process.args = ["echo","started"]')
	run rt run -b "$b" "$P-sysctlnet"
	assert_failure 1
	assert_output --partial 'net.ipv4.ip_forward'
	assert_output --partial 'network'
	[ ! -e "$RT_ROOT/$P-sysctlbad" ] && [ ! -e "$RT_ROOT/$P-sysctlnet" ]
}

# ---- mounts ----

@test "mounts: a read-only bind of a host directory, and a writable one" {
	local b ro rw
	ro=$(host_dir ro)
	rw=$(host_dir rw)
	echo hello >"$ro/f"
	b=$(bundle bind ".mounts += [$(bind_mount /data "$ro" ro), $(bind_mount /rw "$rw" rw)]
		| .process.args = $(cmd 'cat /data/f; touch /data/new; echo w >/rw/new && echo rw-ok')")
	run rt run -b "$b" "$P-bind"
	assert_line --index 0 hello
	assert_output --partial 'Read-only file system'
	assert_line rw-ok
	[ ! -e "$ro/new" ]
	[ "$(cat "$rw/new")" = w ]
}

@test "mounts: a tmpfs with size=1m fills up after 1 MiB" {
	local b
	b=$(bundle tmpfs '.mounts += [{"destination": "/small", "type": "tmpfs", "source": "tmpfs",
			"options": ["size=1m"]}]
		| .process.args = ["sh","-c","dd if=/dev/zero of=/small/f bs=1024 count=2048; ls -l /small/f"]')
	run rt run -b "$b" "$P-tmpfs"
	assert_output --partial 'No space left on device'
	assert_line --regexp ' 1048576 .*/small/f$'
}

@test "mounts: nosuid and noexec: a binary copied there cannot run" {
	local b
	b=$(bundle noexec '.mounts += [{"destination": "/nx", "type": "tmpfs", "source": "tmpfs",
			"options": ["nosuid", "noexec"]},
			{"destination": "/ex", "type": "tmpfs", "source": "tmpfs"}]
		| .process.args = ["sh","-c","cp /bin/busybox /ex/ && /ex/busybox true && echo ex-ok; cp /bin/busybox /nx/ && /nx/busybox true; echo rc=$?; grep \" /nx \" /proc/mounts"]')
	run rt run -b "$b" "$P-noexec"
	assert_line --index 0 ex-ok
	assert_output --partial 'Permission denied'
	assert_line rc=126
	assert_line --regexp '^tmpfs /nx tmpfs .*nosuid.*noexec'
}

@test "mounts: a read-only root refuses writes, a writable one keeps them" {
	local b
	b=$(bundle roroot '.root.readonly = true | .process.args = ["sh","-c","touch /x; echo rc=$?"]')
	run rt run -b "$b" "$P-roroot"
	assert_output --partial 'Read-only file system'
	assert_line rc=1
	[ ! -e "$b/rootfs/x" ]
	b=$(bundle rwroot '.root.readonly = false | .process.args = ["sh","-c","echo in >/x; echo rc=$?"]')
	run rt run -b "$b" "$P-rwroot"
	assert_success
	assert_output rc=0
	[ "$(cat "$b/rootfs/x")" = in ]
}

@test "mounts: a destination climbing out with ../ stays in the rootfs" {
	local b src marker=husk-more-esc-$$
	src=$(host_dir esc)
	echo inside >"$src/f"
	b=$(bundle esc ".mounts += [{\"destination\": \"/../../../../../tmp/$marker\", \"type\": \"tmpfs\",
			\"source\": \"tmpfs\"}, $(bind_mount "/../../$marker-bind" "$src" ro)]
		| .process.args = $(cmd "grep -o ' /tmp/$marker tmpfs' /proc/mounts; cat /$marker-bind/f")")
	run rt run -b "$b" "$P-esc"
	assert_success
	assert_line --index 0 " /tmp/$marker tmpfs"
	assert_line --index 1 inside
	[ ! -e "/tmp/$marker" ] && [ ! -e "/$marker-bind" ]
	[ ! -e "$(dirname "$b")/$marker-bind" ] && [ ! -e "$b/$marker-bind" ]
	[ -e "$b/rootfs/tmp/$marker" ] && [ -e "$b/rootfs/$marker-bind" ]
	run findmnt -rn -o TARGET
	refute_output --partial "$marker"
}

# ---- hooks ----

@test "hooks: a failing createRuntime hook fails create, naming it; nothing is left" {
	local b h=$HUSK_TEST_DIR/hooks/refuse-hook
	mkdir -p "${h%/*}"
	printf '#!/bin/sh\necho hook-says-no >&2\nexit 3\n' >"$h"
	chmod +x "$h"
	b=$(bundle hookfail ".process.args = [\"sleep\",\"1000\"]
		| .hooks.createRuntime = [{\"path\": \"$h\"}]")
	run rt create -b "$b" "$P-hookfail"
	assert_failure 1
	assert_output --partial 'createRuntime'
	assert_output --partial 'refuse-hook'
	assert_output --partial 'exit status 3'
	[ ! -e "$RT_ROOT/$P-hookfail" ]
	[ -z "$(cgroups_of "$P-hookfail")" ]
	run rt list -q
	refute_output --partial "$P-hookfail"
	run findmnt -rn -o TARGET
	refute_output --partial "$b"
}

@test "hooks: a hook past its timeout is killed and create fails with \"timed out\"" {
	local b t0 t1
	b=$(bundle hooktime '.process.args = ["sleep","1000"]
		| .hooks.prestart = [{"path": "/bin/sleep", "args": ["sleep", "5"], "timeout": 1}]')
	t0=$(date +%s%N)
	run rt create -b "$b" "$P-hooktime"
	t1=$(date +%s%N)
	assert_failure 1
	assert_output --partial 'timed out'
	assert_output --partial 'prestart'
	[ $(((t1 - t0) / 1000000)) -lt 4000 ]
	[ ! -e "$RT_ROOT/$P-hooktime" ]
	[ -z "$(cgroups_of "$P-hooktime")" ]
}

@test "hooks: startContainer runs in the container, after start, before the process" {
	local b shared
	shared=$(host_dir start)
	b=$(bundle hookstart ".mounts += [$(bind_mount /shared "$shared")]
		| .process.args = $(cmd 'cat /shared/started >/shared/seen; sleep 1000')
		| .hooks.startContainer = [{\"path\": \"/bin/in-container-hook\", \"args\": [\"in-container-hook\", \"A\"]}]")
	# the hook's path resolves in the container's root, not the host's
	printf '#!/bin/sh\necho "$1 $(hostname) $(readlink /proc/self/ns/mnt)" >/shared/started\n' \
		>"$b/rootfs/bin/in-container-hook"
	chmod +x "$b/rootfs/bin/in-container-hook"
	[ ! -e /bin/in-container-hook ]
	rt create -b "$b" "$P-hookstart"
	[ ! -e "$shared/started" ]
	rt start "$P-hookstart"
	# the process found what the hook wrote: the hook ran before it
	for _ in $(seq 1 100); do [ -s "$shared/seen" ] && break; sleep 0.05; done
	cmp "$shared/started" "$shared/seen"
	run cat "$shared/started"
	assert_output "A husk $(readlink "/proc/$(init_pid "$P-hookstart")/ns/mnt")"
	refute_output --partial "$(readlink /proc/self/ns/mnt)"
	rt delete --force "$P-hookstart"
}

# ---- --log ----

@test "--log FILE --log-format json: a failing create writes one JSON error line" {
	local b log=$HUSK_TEST_DIR/rt.log
	rm -f "$log"
	b=$(bundle logbad '.root.path = "no-such-rootfs"')
	run --separate-stderr rt --log "$log" --log-format json create -b "$b" "$P-logbad"
	assert_failure 1
	assert_output ''
	[[ $stderr == *root.path* ]]
	[ "$(wc -l <"$log")" = 1 ]
	jq -e '.level == "error" and (.msg | contains("root.path") and contains("no-such-rootfs"))
		and (.time | type == "string")' "$log"
	run rt --log-format yaml list
	assert_failure 1
	assert_output --partial 'log-format'
}

# ---- seccomp ----

@test "seccomp: clone3 is ENOSYS under a default-errno profile, fork still works" {
	local b p names
	p=$(probe)
	# allow every syscall this machine's headers name, up to 450, but
	# clone3 and mkdir/mkdirat: the profile says nothing about clone3
	names=$(sed -n 's/^#define __NR_\([a-z0-9_]*\) \([0-9]*\)$/\1 \2/p' \
		/usr/include/x86_64-linux-gnu/asm/unistd_64.h 2>/dev/null |
		awk '$2 <= 450 && $1 != "clone3" && $1 != "mkdir" && $1 != "mkdirat" {print $1}' |
		jq -R . | jq -sc .)
	[ "$(jq length <<<"$names")" -gt 300 ] || skip "no x86_64 syscall list in the kernel headers"
	b=$(bundle sc3 ".linux.seccomp = {\"defaultAction\": \"SCMP_ACT_ERRNO\",
			\"syscalls\": [{\"names\": $names, \"action\": \"SCMP_ACT_ALLOW\"}]}
		| .process.args = $(cmd '/probe clone3; sh -c "echo child"; mkdir /dev/shm/x; echo rc=$?')")
	cp "$p" "$b/rootfs/probe"
	run rt run -b "$b" "$P-sc3"
	assert_success
	assert_line --index 0 'clone3 -1 ENOSYS'
	assert_line --index 1 child
	assert_output --partial 'Operation not permitted'
	assert_line rc=1
	# without the profile clone3 reaches the kernel, which refuses size 0
	b=$(bundle sc3b ".process.args = [\"/probe\", \"clone3\"]")
	cp "$p" "$b/rootfs/probe"
	run rt run -b "$b" "$P-sc3b"
	assert_output 'clone3 -1 EINVAL'
}
