#!/bin/bash
# make demo: a guided tour of what husk can do today, step by step. Each
# step prints the command a person would type, then runs it.
# The demo uses its own data and exec roots (printed below) and stops the
# daemon it started at the end, so it leaves the machine as it found it.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
export PATH="$BUILD:$PATH"

DEMO=$(mktemp -d /tmp/husk-demo.XXXXXX)
export HUSK_DATA_ROOT=$DEMO/lib HUSK_EXEC_ROOT=$DEMO/run
cleanup() {
	if [ -f "$HUSK_EXEC_ROOT/huskd.pid" ]; then
		kill -TERM "$(cat "$HUSK_EXEC_ROOT/huskd.pid")" 2>/dev/null || true
		sleep 0.3
	fi
	rm -rf "$DEMO"
}
trap cleanup EXIT

bold='' reset=''
if [ -t 1 ]; then
	bold=$(tput bold 2>/dev/null || true)
	reset=$(tput sgr0 2>/dev/null || true)
fi
step() {
	echo
	echo "${bold}== $1${reset}"
}
show() {
	echo "${bold}\$ $*${reset}"
	"$@"
}

echo "husk demo: data root $HUSK_DATA_ROOT, exec root $HUSK_EXEC_ROOT"

step "1. The first husk command starts the daemon, huskd, in the background"
show husk version

step "2. What the daemon knows about this host"
show husk info

step "3. The real docker CLI drives huskd through the Docker Engine API"
if command -v docker >/dev/null; then
	show env DOCKER_HOST="unix://$HUSK_EXEC_ROOT/husk.sock" docker version
else
	echo "(docker CLI not installed: skipped)"
fi

step "4. The API itself, with curl"
show curl -s --unix-socket "$HUSK_EXEC_ROOT/husk.sock" http://localhost/v1.43/_ping
echo
show curl -s --unix-socket "$HUSK_EXEC_ROOT/husk.sock" http://localhost/v1.99/version
echo

step "5. Test images come from Debian's busybox-static: a rootfs, an OCI bundle, an OCI layout and a docker-save tarball"
FIX=$("$SRC/tests/fixtures/mkbusybox.sh")
show ls "$FIX"
if command -v skopeo >/dev/null; then
	show skopeo inspect --format '{{.Digest}} {{.Architecture}} {{.Os}}' "oci:$FIX/oci:latest"
fi

step "6. Images: load a docker-save archive, list, tag, history, inspect, save, remove"
show husk load -i "$FIX/busybox.tar"
show husk tag busybox demo/busybox:v1
show husk images
show husk history busybox
show husk image inspect --format '{{.Os}}/{{.Architecture}} {{json .Config.Cmd}} {{len .RootFS.Layers}} layer(s)' busybox
show husk save -o "$DEMO/saved.tar" demo/busybox:v1
show husk rmi demo/busybox:v1
show husk system df
show husk system check

step "7. husk-runtime, the OCI runtime: a bundle (config.json + rootfs) run with runc's command line"
BUNDLE=$DEMO/bundle
mkdir -p "$BUNDLE"
cp -a "$FIX/bundle/rootfs" "$BUNDLE/rootfs"
jq '.hostname = "demo-box"
	| .linux.resources.memory = {"limit": 67108864}
	| .linux.resources.pids = {"limit": 64}
	| .linux.resources.cpu = {"quota": 50000, "period": 100000}
	| .process.args = ["sh", "-c", "echo hostname: $(hostname); echo my pid: $$; echo memory limit: $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max); echo pids limit: $(cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max); echo cpu quota: $(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cat /sys/fs/cgroup/cpu.max); ip -o link | cut -d: -f2"]' \
	"$FIX/bundle/config.json" >"$BUNDLE/config.json"
show jq -c '{hostname, resources: .linux.resources | {memory, pids, cpu}}' "$BUNDLE/config.json"
show husk-runtime --root "$DEMO/runtime" run --bundle "$BUNDLE" demo

step "8. The same container in two steps: create (it waits), state, start, delete"
jq '.process.args = ["sleep", "30"]' "$BUNDLE/config.json" >"$BUNDLE/config.json.new"
mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
show husk-runtime --root "$DEMO/runtime" create --bundle "$BUNDLE" demo2
show husk-runtime --root "$DEMO/runtime" state demo2
show husk-runtime --root "$DEMO/runtime" start demo2
show husk-runtime --root "$DEMO/runtime" exec demo2 ps
show husk-runtime --root "$DEMO/runtime" list
show husk-runtime --root "$DEMO/runtime" delete --force demo2

step "Done. (The demo's daemon is stopped now.)"
