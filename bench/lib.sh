# shellcheck shell=bash
# The command variables (HUSK, DOCKER, PODMAN) are meant to split into words.
# shellcheck disable=SC2086
# Shared set-up of the benchmarks in bench/: one tmpfs holding every
# contender's state, removed on exit; a private huskd, a private dockerd
# (Debian's docker.io, with its own containerd) and podman with its own
# root, each with the busybox image (or the image the caller names)
# loaded; the "fresh" scripts hyperfine runs, untimed, before each run of
# a cold-store benchmark; a local docker-registry. Sourced, not run. It
# must never touch another daemon's state: every one here is private to
# $DIR and is stopped on exit.

# shellcheck source=tests/system/docker_registry.bash
. "$SRC/tests/system/docker_registry.bash"

# bench_need CMD...: exit, saying which, unless every CMD is installed.
bench_need() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || { echo "${0##*/}: $c is not installed" >&2; exit 1; }
	done
}

# bench_image: IMG, the directory of the ~200 MB 4-layer image that
# bench/mkbenchimage.sh makes once (its gzip blobs in layers/), and
# ARCHIVE, that image as an OCI archive.
bench_image() {
	IMG=$("$SRC/bench/mkbenchimage.sh")
	# shellcheck disable=SC2034 # for the scripts that call bench_image
	ARCHIVE=$IMG/image.oci.tar
}

# bench_dir NAME [SIZE]: a tmpfs of SIZE (4g) at $DIR, everything removed
# on exit.
bench_dir() {
	DIR=$(mktemp -d "/var/tmp/husk-bench-$1.XXXXXX")
	mount -t tmpfs -o "size=${2:-4g},mode=0700" husk-bench "$DIR"
	trap bench_cleanup EXIT
	export CONTAINERS_CONF=$DIR/containers.conf
	: >"$CONTAINERS_CONF"
}

bench_cleanup() {
	set +e
	[ -n "${HUSK:-}" ] && $HUSK ps -aq 2>/dev/null | xargs -r $HUSK rm -f >/dev/null 2>&1
	[ -n "${DOCKER:-}" ] && $DOCKER ps -aq 2>/dev/null | xargs -r $DOCKER rm -f >/dev/null 2>&1
	[ -n "${PODMAN:-}" ] && $PODMAN rm -af >/dev/null 2>&1
	for p in "$DIR"/run/huskd.pid "$DIR"/docker.pid "$DIR"/registry/pid; do
		[ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null
	done
	sleep 1
	pkill -f -- "--data-root $DIR/" 2>/dev/null
	umount_below "$DIR"
	rm -rf "$DIR"
	if [ -n "${DOCKER_BRIDGE:-}" ]; then
		ip link del "$DOCKER_BRIDGE" 2>/dev/null
		# dockerd leaves its masquerade rule for the bridge's subnet behind
		iptables-save -t nat 2>/dev/null | grep -- "^-A POSTROUTING .* ! -o $DOCKER_BRIDGE " |
			sed 's/^-A /-D /' | while read -r rule; do
			# shellcheck disable=SC2086 # the rule's words
			iptables -t nat $rule 2>/dev/null
		done
	fi
	# huskd's default bridge, nft table and BPF programs, named after its
	# data root, if it did not get to remove them
	local h
	h=$(printf %s "$DIR/root" | sha256sum | cut -c1-8)
	ip link del "husk$h" 2>/dev/null
	nft delete table ip "husk_$h" 2>/dev/null
	"$SRC/scripts/bpf-detach.sh" "husk_$h"
	return 0
}

# umount_below PATH: lazily unmount everything mounted at or below PATH.
umount_below() {
	findmnt -rn -o TARGET | grep -E "^$1(/|\$)" | sort -r | xargs -r umount -l 2>/dev/null || true
}

# bench_script NAME FUNCTION [ARG...]: the executable $DIR/NAME, which runs
# FUNCTION of this file with this benchmark's SRC, BUILD and DIR; what
# hyperfine's --prepare runs between timed runs.
bench_script() {
	local name=$1
	shift
	{
		echo '#!/bin/bash'
		printf 'SRC=%q BUILD=%q DIR=%q\n' "$SRC" "$BUILD" "$DIR"
		printf '. %q\n' "$SRC/bench/lib.sh"
		printf '%q ' "$@"
		echo
	} >"$DIR/$name"
	chmod +x "$DIR/$name"
}

# wait_until WHAT COMMAND...: retry COMMAND for up to 15 s; 1 if it never
# succeeds.
wait_until() {
	local what=$1
	shift
	for _ in $(seq 1 300); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "bench: nothing answered on $what" >&2
	return 1
}

wait_sock() { wait_until "$1" curl -sf --unix-socket "$1" http://d/_ping; }
wait_http() { wait_until "$1" curl -sf -o /dev/null "$1"; }

# stop_pidfile FILE: SIGTERM the process FILE names and wait until it is
# gone (SIGKILL after 5 s); nothing when there is none.
stop_pidfile() {
	local pid
	pid=$(cat "$1" 2>/dev/null) || return 0
	[ -n "$pid" ] && kill "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 250); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.02
	done
	kill -KILL "$pid" 2>/dev/null || true
}

# The image an engine starts with unless told otherwise: the busybox
# fixture, made from Debian's busybox-static (cached after the first call).
busybox_tar() {
	local d
	d=$("$SRC/tests/fixtures/mkbusybox.sh")
	echo "$d/busybox.tar"
}

# --- husk -------------------------------------------------------------------

# HUSK: a husk CLI that talks to the huskd of husk_daemon.
husk_cli() { HUSK="$BUILD/husk -H unix://$DIR/run/husk.sock"; }

# husk_daemon: huskd with its data root, exec root and log on the tmpfs,
# answering on $DIR/run/husk.sock; and husk_cli.
husk_daemon() {
	mkdir -p "$DIR/run" "$DIR/root"
	echo '{}' >"$DIR/daemon.json"
	"$BUILD/huskd" --data-root "$DIR/root" --exec-root "$DIR/run" --config-file "$DIR/daemon.json" \
		--pidfile "$DIR/run/huskd.pid" >>"$DIR/huskd.log" 2>&1 &
	husk_cli
	wait_sock "$DIR/run/husk.sock"
}

husk_stop() { stop_pidfile "$DIR/run/huskd.pid"; }

# A new huskd on an empty data root.
husk_fresh() {
	husk_stop
	umount_below "$DIR/root"
	rm -rf "$DIR/root" "$DIR/run"
	husk_daemon
}

# start_husk [TAR]: husk_daemon, with TAR (the busybox fixture) loaded.
# shellcheck disable=SC2120 # the argument is optional
start_husk() {
	local tar=${1:-}
	[ -n "$tar" ] || tar=$(busybox_tar)
	husk_daemon
	$HUSK load -q -i "$tar" >/dev/null
}

# --- docker -----------------------------------------------------------------

# DOCKER: the real docker CLI against Debian's dockerd, started here.
# start_docker bridge: with its default bridge network and iptables rules
# (it must not own the host's FORWARD policy, hence no ip-forward);
# otherwise without any network of its own. The busybox fixture loaded.
# shellcheck disable=SC2120 # the argument is optional
start_docker() {
	local net=(--bridge=none --iptables=false --ip6tables=false) tar
	[ "${1:-}" = bridge ] && net=(--ip-forward=false) DOCKER_BRIDGE=docker0
	command -v dockerd >/dev/null || { echo "bench: dockerd is not installed" >&2; return 1; }
	tar=$(busybox_tar)
	dockerd --data-root "$DIR/docker" --exec-root "$DIR/dx" -H "unix://$DIR/docker.sock" \
		--pidfile "$DIR/docker.pid" "${net[@]}" >>"$DIR/dockerd.log" 2>&1 &
	wait_sock "$DIR/docker.sock"
	DOCKER="/usr/local/bin/docker -H unix://$DIR/docker.sock"
	$DOCKER load -q -i "$tar" >/dev/null
}

# --- podman -----------------------------------------------------------------

# PODMAN: podman with its own root on the tmpfs (its run root short: the
# conmon processes of bench/density.sh are found by "$DIR/pr").
podman_cmd() {
	mkdir -p "$DIR/podman/tmp"
	PODMAN="podman --root $DIR/podman/root --runroot $DIR/pr --tmpdir $DIR/podman/tmp --storage-driver overlay --cgroup-manager cgroupfs --events-backend file"
}

# An empty podman root and run root.
podman_fresh() {
	umount_below "$DIR/podman"
	umount_below "$DIR/pr"
	rm -rf "$DIR/podman" "$DIR/pr"
	mkdir -p "$DIR/podman/tmp"
}

# start_podman [TAR]: PODMAN with TAR (the busybox fixture) loaded. This
# host lacks CAP_SYS_RESOURCE, so the rlimits podman would raise are
# pinned in PODMAN_RUN_OPTS.
# shellcheck disable=SC2120 # the argument is optional
start_podman() {
	local tar=${1:-}
	[ -n "$tar" ] || tar=$(busybox_tar)
	podman_cmd
	export PODMAN_RUN_OPTS="--ulimit nofile=1000:1000 --ulimit nproc=1000:1000"
	$PODMAN load -q -i "$tar" >/dev/null
}

# fresh_store_scripts: $DIR/husk-fresh (a new huskd on an empty data root)
# and $DIR/podman-fresh (an empty podman store), for hyperfine's --prepare
# of a cold-store benchmark; HUSK and PODMAN talk to those.
fresh_store_scripts() {
	bench_script husk-fresh husk_fresh
	bench_script podman-fresh podman_fresh
	husk_cli
	podman_cmd
}

# --- registry ---------------------------------------------------------------

# start_registry PORT: Debian's docker-registry on 127.0.0.1:PORT, its
# storage on the tmpfs; $DIR/registry-fresh empties and restarts it.
start_registry() {
	command -v docker-registry >/dev/null || {
		echo "bench: docker-registry is not installed" >&2
		return 1
	}
	docker_registry_config "$DIR/registry" "127.0.0.1:$1"
	bench_script registry-fresh registry_fresh "$1"
	registry_fresh "$1"
}

# registry_fresh PORT: the registry of start_registry, restarted empty.
registry_fresh() {
	stop_pidfile "$DIR/registry/pid"
	rm -rf "$DIR/registry/data"
	docker-registry serve "$DIR/registry/config.yml" >>"$DIR/registry/log" 2>&1 &
	echo $! >"$DIR/registry/pid"
	wait_http "http://127.0.0.1:$1/v2/"
}
