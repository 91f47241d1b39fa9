#!/usr/bin/env bats
# husk-runtime in place of runc under the real engines: Podman (conmon) and
# containerd (ctr and the runc v2 shim) run the busybox fixture through it.
# Each engine gets a private store under $HUSK_TEST_DIR; what they leave in
# shared places (husk-runtime's default root for Podman, the shim's runc
# root for containerd) is checked and removed.

load helpers

# Podman passes no --root to a runtime it does not know by name, so
# husk-runtime keeps those containers in its default root.
PODMAN_RT_ROOT=/run/husk-runtime
# The runc v2 shim gives the runtime --root /run/containerd/runc/<namespace>.
SHIM_RUNC_ROOT=/run/containerd/runc

setup_file() {
	husk_file_setup
	FIXTURE=$("$FIXTURES/mkbusybox.sh")
	export FIXTURE
	# a namespace of its own, so the shim's runc root and the containers'
	# cgroups (/<namespace>/<id>) are this file's alone
	CTR_NS=$(basename "$HUSK_TEST_DIR")
	export CTR_NS CTR_SOCK=$HUSK_TEST_DIR/containerd.sock
	# remember which shared directories were there before us
	[ -d "$PODMAN_RT_ROOT" ] || touch "$HUSK_TEST_DIR/made-podman-rt-root"
	[ -d /run/containerd ] || touch "$HUSK_TEST_DIR/made-run-containerd"
	if command -v podman >/dev/null && command -v conmon >/dev/null; then
		podman_setup
	fi
	if command -v containerd >/dev/null && command -v ctr >/dev/null; then
		containerd_setup
	fi
}

teardown_file() {
	podman_teardown
	containerd_teardown
	findmnt --list -n -o TARGET | grep -F "$HUSK_TEST_DIR" | sort -r | xargs -r umount -l
	husk_file_teardown
}

# ids of husk-runtime containers under ROOT whose bundle is in this file's
# directory
rt_leftovers() {
	husk-runtime --root "$1" list --format json 2>/dev/null |
		jq -r --arg d "$HUSK_TEST_DIR/" '.[]? | select(.bundle | startswith($d)) | .id'
}

rt_delete_leftovers() {
	local id
	for id in $(rt_leftovers "$1"); do
		husk-runtime --root "$1" delete --force "$id" >/dev/null 2>&1 || true
	done
}

# ---- Podman ----

pm() {
	local d=$HUSK_TEST_DIR/podman
	CONTAINERS_CONF=$d/containers.conf podman --root "$d/root" --runroot "$PODMAN_RUNROOT" \
		--tmpdir "$d/tmp" --storage-driver vfs --cgroup-manager cgroupfs \
		--events-backend file --runtime "$HUSK_BUILD/husk-runtime" "$@"
}

# podman run, with what this host needs: without CAP_SYS_RESOURCE, Podman's
# default rlimits are above the hard limits a container may have
prun() {
	pm run --network none --ulimit nofile=1000:1000 --ulimit nproc=1000:1000 "$@"
}

podman_setup() {
	mkdir -p "$HUSK_TEST_DIR/podman"
	# Podman refuses a runroot path longer than 50 characters: the
	# conmon sockets in it must fit a sockaddr_un
	PODMAN_RUNROOT=$(mktemp -d /tmp/husk-podman.XXXXXX)
	export PODMAN_RUNROOT
	echo "$PODMAN_RUNROOT" >"$HUSK_TEST_DIR/podman/runroot"
	# an empty containers.conf keeps the host's engine settings out
	: >"$HUSK_TEST_DIR/podman/containers.conf"
	if pm load -i "$FIXTURE/busybox.tar" >"$HUSK_TEST_DIR/podman/load.log" 2>&1; then
		touch "$HUSK_TEST_DIR/podman/ready"
	fi
}

require_podman() {
	require_cmd podman conmon
	if [ ! -e "$HUSK_TEST_DIR/podman/ready" ]; then
		cat "$HUSK_TEST_DIR/podman/load.log"
		fail "podman could not load the busybox fixture"
	fi
}

podman_teardown() {
	[ -d "$HUSK_TEST_DIR/podman" ] || return 0
	PODMAN_RUNROOT=$(cat "$HUSK_TEST_DIR/podman/runroot")
	pm rm --all --force --time 0 >/dev/null 2>&1 || true
	rt_delete_leftovers "$PODMAN_RT_ROOT"
	findmnt --list -n -o TARGET | grep -F "$PODMAN_RUNROOT/" | sort -r | xargs -r umount -l
	rm -rf "$PODMAN_RUNROOT"
	if [ -e "$HUSK_TEST_DIR/made-podman-rt-root" ]; then
		rm -rf "$PODMAN_RT_ROOT/.seccomp-cache"
		rmdir "$PODMAN_RT_ROOT" 2>/dev/null || true
	fi
}

# the cgroups (any controller) of a Podman container
podman_cgroups() {
	find /sys/fs/cgroup -maxdepth 4 -type d -name "libpod-$1*" 2>/dev/null
}

@test "podman: run --rm prints the container's output" {
	require_podman
	run --separate-stderr prun --rm localhost/busybox echo hi
	assert_success
	assert_output hi
}

@test "podman: the exit status comes back; a missing command is an error at create" {
	require_podman
	run prun --rm localhost/busybox sh -c 'exit 7'
	assert_failure 7
	# Podman maps the runtime's "not found" to 127, as with runc
	run -127 prun --rm localhost/busybox /nonexistent
	assert_output --partial 'exec: "/nonexistent"'
	run -127 prun --rm localhost/busybox nonexistent
	assert_output --partial 'executable file not found'
}

@test "podman: run -d, ps, exec, stop, rm" {
	require_podman
	local cid
	cid=$(prun -d localhost/busybox sleep 1000)
	run pm ps --no-trunc --format '{{.ID}} {{.Status}}'
	assert_output --partial "$cid Up"
	# the runtime state lives in husk-runtime's default root
	run husk-runtime --root "$PODMAN_RT_ROOT" state "$cid"
	assert_success
	[ "$(jq -r .status <<<"$output")" = running ]
	run --separate-stderr pm exec "$cid" sh -c 'echo in-$(hostname)'
	assert_success
	assert_output "in-${cid:0:12}"
	run pm exec "$cid" sh -c 'exit 3'
	assert_failure 3
	run -127 pm exec "$cid" nonexistent
	# sleep as pid 1 ignores SIGTERM: Podman sends SIGKILL after 1 s
	run pm stop -t 1 "$cid"
	assert_success
	run pm inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$cid"
	assert_output 'exited 137'
	run pm rm "$cid"
	assert_success
	run husk-runtime --root "$PODMAN_RT_ROOT" state "$cid"
	assert_failure
	[ -z "$(podman_cgroups "$cid")" ]
}

@test "podman: run -t: the pty master goes to conmon's console socket" {
	require_podman
	run --separate-stderr prun -t --rm localhost/busybox sh -c 'tty; echo end'
	assert_success
	assert_line --index 0 --regexp '^/dev/pts/0'
	assert_line --index 1 --regexp '^end'
}

@test "podman: exec -t gets a pty, exec -i gets stdin" {
	require_podman
	local cid
	cid=$(prun -d localhost/busybox sleep 1000)
	run --separate-stderr pm exec -t "$cid" tty
	assert_success
	assert_output --regexp '^/dev/pts/[0-9]+'
	run --separate-stderr pm exec -i "$cid" cat <<<"through-stdin"
	assert_success
	assert_output through-stdin
	pm rm --force --time 0 "$cid"
}

@test "podman: pause, unpause, update and restart a running container" {
	require_podman
	local cid f
	cid=$(prun -d localhost/busybox sleep 1000)
	pm pause "$cid"
	run pm inspect --format '{{.State.Status}}' "$cid"
	assert_output paused
	[ "$(husk-runtime --root "$PODMAN_RT_ROOT" state "$cid" | jq -r .status)" = paused ]
	pm unpause "$cid"
	run pm inspect --format '{{.State.Status}}' "$cid"
	assert_output running
	# podman update calls the runtime's update --resources
	pm update --memory 64m "$cid"
	f=$(find /sys/fs/cgroup -maxdepth 4 -path "*libpod-$cid*" \
		\( -name memory.limit_in_bytes -o -name memory.max \) | head -n 1)
	[ -n "$f" ]
	[ "$(cat "$f")" = 67108864 ]
	pm restart -t 0 "$cid"
	run --separate-stderr pm exec "$cid" echo after-restart
	assert_output after-restart
	pm rm --force --time 0 "$cid"
	[ -z "$(podman_cgroups "$cid")" ]
}

@test "podman: no container is left in husk-runtime's default root" {
	require_podman
	run pm ps --all --quiet
	assert_output ''
	run rt_leftovers "$PODMAN_RT_ROOT"
	assert_output ''
}

# ---- containerd ----

ctrx() {
	ctr -a "$CTR_SOCK" -n "$CTR_NS" "$@"
}

ctr_run() {
	ctrx run --runc-binary "$HUSK_BUILD/husk-runtime" --snapshotter "$CTR_SNAPSHOTTER" "$@"
}

containerd_setup() {
	local d=$HUSK_TEST_DIR/containerd
	mkdir -p "$d"
	cat >"$d/config.toml" <<-EOF
		version = 2
		root = "$d/root"
		state = "$d/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri"]
		[grpc]
		  address = "$CTR_SOCK"
		[plugins."io.containerd.internal.v1.opt"]
		  path = "$d/opt"
	EOF
	# fd 3 closed: bats waits for whatever holds it
	containerd --config "$d/config.toml" >"$d/containerd.log" 2>&1 3>&- &
	echo $! >"$d/containerd.pid"
	for _ in $(seq 1 100); do
		[ -S "$CTR_SOCK" ] && ctrx version >/dev/null 2>&1 && break
		sleep 0.1
	done
	ctrx image import "$FIXTURE/busybox.tar" >"$d/import.log" 2>&1 || return 0
	# docker save's "busybox:latest" is docker.io/library/busybox:latest
	CTR_IMAGE=$(ctrx image ls -q | grep -m1 'busybox:latest$') || return 0
	# overlayfs cannot have its upper layer on overlayfs: native there
	CTR_SNAPSHOTTER=overlayfs
	[ "$(findmnt -n -o FSTYPE -T "$HUSK_TEST_DIR")" != overlay ] || CTR_SNAPSHOTTER=native
	export CTR_IMAGE CTR_SNAPSHOTTER
	touch "$d/ready"
}

require_containerd() {
	require_cmd containerd ctr
	local d=$HUSK_TEST_DIR/containerd
	if [ ! -e "$d/ready" ]; then
		cat "$d/containerd.log" "$d/import.log" 2>/dev/null | tail -n 30
		fail "containerd did not start or could not import the busybox fixture"
	fi
}

containerd_teardown() {
	local d=$HUSK_TEST_DIR/containerd pid t f
	[ -e "$d/containerd.pid" ] || return 0
	pid=$(cat "$d/containerd.pid")
	# tasks first: their shims outlive containerd
	for t in $(ctrx task ls -q 2>/dev/null); do
		ctrx task delete --force "$t" >/dev/null 2>&1 || true
	done
	for t in $(ctrx container ls -q 2>/dev/null); do
		ctrx container delete "$t" >/dev/null 2>&1 || true
	done
	for f in "$d"/state/io.containerd.runtime.v2.task/"$CTR_NS"/*/shim.pid; do
		[ ! -f "$f" ] || kill -KILL "$(cat "$f")" 2>/dev/null || true
	done
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	rt_delete_leftovers "$SHIM_RUNC_ROOT/$CTR_NS"
	rmdir "$SHIM_RUNC_ROOT/$CTR_NS" 2>/dev/null || true
	# the (empty) parents of the containers' cgroups, /<namespace>
	find /sys/fs/cgroup -maxdepth 2 -type d -name "$CTR_NS" -exec rmdir {} + 2>/dev/null || true
	if [ -e "$HUSK_TEST_DIR/made-run-containerd" ]; then
		rmdir /run/containerd/runc /run/containerd/fifo /run/containerd/s \
			/run/containerd 2>/dev/null || true
	fi
}

@test "containerd: ctr run --rm prints the container's output" {
	require_containerd
	run ctr_run --rm "$CTR_IMAGE" t1 echo hi
	assert_success
	assert_output hi
}

@test "containerd: a detached task: exec, ps, pause, resume, kill, delete" {
	require_containerd
	ctr_run -d "$CTR_IMAGE" t2 sleep 1000
	run ctrx task exec --exec-id e1 t2 sh -c 'echo exec-ok'
	assert_success
	assert_output exec-ok
	run ctrx task exec --exec-id e2 t2 sh -c 'exit 4'
	assert_failure 4
	local pid
	pid=$(husk-runtime --root "$SHIM_RUNC_ROOT/$CTR_NS" state t2 | jq -r .pid)
	run ctrx task ps t2
	assert_success
	assert_line --regexp "^$pid "
	ctrx task pause t2
	run ctrx task ls
	assert_output --regexp "t2 +$pid +PAUSED"
	ctrx task resume t2
	run ctrx task ls
	assert_output --regexp "t2 +$pid +RUNNING"
	ctrx task kill -s SIGKILL t2
	for _ in $(seq 1 50); do
		ctrx task ls | grep -Eq "t2 +[0-9]+ +STOPPED" && break
		sleep 0.1
	done
	run ctrx task ls
	assert_output --regexp "t2 +[0-9]+ +STOPPED"
	run ctrx task delete t2
	assert_success
	ctrx container delete t2
	[ ! -e "$SHIM_RUNC_ROOT/$CTR_NS/t2" ]
}

@test "containerd: ctr run -t: the pty master goes over the shim's console socket" {
	require_containerd
	# ctr -t wants a terminal on its own stdin: script gives it one
	require_cmd script
	run script -qec "ctr -a $CTR_SOCK -n $CTR_NS run -t --rm \
		--runc-binary $HUSK_BUILD/husk-runtime --snapshotter $CTR_SNAPSHOTTER \
		$CTR_IMAGE t3 tty" /dev/null
	assert_success
	assert_output --partial /dev/pts/0
}

@test "containerd: a missing command fails ctr run with the runtime's error (--log)" {
	require_containerd
	run ctr_run --rm "$CTR_IMAGE" t4 /nonexistent
	assert_failure
	assert_output --partial 'OCI runtime create failed: exec: "/nonexistent"'
	# read from the JSON log: the stderr copy has a "husk-runtime:" prefix
	refute_output --partial 'husk-runtime:'
	run ctrx container ls -q
	refute_output --regexp '(^|\n)t4($|\n)'
}

@test "containerd: no container is left in the shim's runtime root" {
	require_containerd
	run ctrx task ls -q
	assert_output ''
	run husk-runtime --root "$SHIM_RUNC_ROOT/$CTR_NS" list -q
	assert_output ''
}
