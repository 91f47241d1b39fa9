# shellcheck shell=bash
# The command variables (HUSK, DOCKER, PODMAN) are meant to split into words.
# shellcheck disable=SC2086
# Shared set-up of the engine benchmarks (bench/run.sh, bench/density.sh):
# one tmpfs holding every contender's state, a private huskd, a private
# dockerd (Debian's docker.io, with its own containerd) and podman with its
# own root, each with the same busybox image loaded. Sourced, not run.

# bench_dir NAME: a tmpfs at $DIR, everything removed on exit.
bench_dir() {
	DIR=$(mktemp -d "/var/tmp/husk-bench-$1.XXXXXX")
	mount -t tmpfs -o size=4g,mode=0700 husk-bench "$DIR"
	trap bench_cleanup EXIT
	BUSYBOX_TAR=$("$SRC/tests/fixtures/mkbusybox.sh")/busybox.tar
	export CONTAINERS_CONF=$DIR/containers.conf
	: >"$CONTAINERS_CONF"
}

bench_cleanup() {
	set +e
	[ -n "${HUSK:-}" ] && $HUSK ps -aq 2>/dev/null | xargs -r $HUSK rm -f >/dev/null 2>&1
	[ -n "${DOCKER:-}" ] && $DOCKER ps -aq 2>/dev/null | xargs -r $DOCKER rm -f >/dev/null 2>&1
	[ -n "${PODMAN:-}" ] && $PODMAN rm -af >/dev/null 2>&1
	for p in "$DIR"/run/huskd.pid "$DIR"/docker.pid; do
		[ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null
	done
	sleep 1
	pkill -f -- "--data-root $DIR/" 2>/dev/null
	findmnt -rn -o TARGET | grep "^$DIR/" | sort -r | xargs -r umount -l 2>/dev/null
	umount -l "$DIR" 2>/dev/null
	rm -rf "$DIR"
	[ -n "${DOCKER_BRIDGE:-}" ] && ip link del "$DOCKER_BRIDGE" 2>/dev/null
}

wait_sock() {
	for _ in $(seq 1 300); do
		curl -sf --unix-socket "$1" http://d/_ping >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "bench: no daemon answered on $1" >&2
	return 1
}

# HUSK: a husk CLI talking to a fresh huskd whose state is on the tmpfs.
start_husk() {
	mkdir -p "$DIR/run" "$DIR/root"
	echo '{}' >"$DIR/daemon.json"
	"$BUILD/huskd" --data-root "$DIR/root" --exec-root "$DIR/run" --config-file "$DIR/daemon.json" \
		--pidfile "$DIR/run/huskd.pid" >>"$DIR/huskd.log" 2>&1 &
	wait_sock "$DIR/run/husk.sock"
	HUSK="$BUILD/husk -H unix://$DIR/run/husk.sock"
	$HUSK load -q -i "$BUSYBOX_TAR" >/dev/null
}

# DOCKER: the real docker CLI against Debian's dockerd, started here.
# start_docker bridge: with its default bridge network and iptables rules
# (it must not own the host's FORWARD policy, hence no ip-forward);
# otherwise without any network of its own.
start_docker() {
	local net=(--bridge=none --iptables=false --ip6tables=false)
	[ "${1:-}" = bridge ] && net=(--ip-forward=false) DOCKER_BRIDGE=docker0
	command -v dockerd >/dev/null || { echo "bench: dockerd is not installed" >&2; return 1; }
	dockerd --data-root "$DIR/docker" --exec-root "$DIR/dx" -H "unix://$DIR/docker.sock" \
		--pidfile "$DIR/docker.pid" "${net[@]}" >>"$DIR/dockerd.log" 2>&1 &
	wait_sock "$DIR/docker.sock"
	DOCKER="/usr/local/bin/docker -H unix://$DIR/docker.sock"
	$DOCKER load -q -i "$BUSYBOX_TAR" >/dev/null
}

# PODMAN: podman with its own root on the tmpfs. This host lacks
# CAP_SYS_RESOURCE, so the rlimits podman would raise are pinned.
start_podman() {
	mkdir -p "$DIR/podman/tmp"
	PODMAN="podman --root $DIR/podman/root --runroot $DIR/pr --tmpdir $DIR/podman/tmp --storage-driver overlay --cgroup-manager cgroupfs --events-backend file"
	export PODMAN_RUN_OPTS="--ulimit nofile=1000:1000 --ulimit nproc=1000:1000"
	$PODMAN load -q -i "$BUSYBOX_TAR" >/dev/null
}
