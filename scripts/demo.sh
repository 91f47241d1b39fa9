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
	set +e
	# containers outlive their daemon (live restore): remove them first
	husk ps -aq 2>/dev/null | xargs -r husk rm -f >/dev/null 2>&1
	[ -n "${REG_PID:-}" ] && kill "$REG_PID" 2>/dev/null
	if [ -f "$DEMO/run2/huskd.pid" ]; then
		husk -H "unix://$DEMO/run2/husk.sock" ps -aq 2>/dev/null |
			xargs -r husk -H "unix://$DEMO/run2/husk.sock" rm -f >/dev/null 2>&1
		kill -TERM "$(cat "$DEMO/run2/huskd.pid")" 2>/dev/null
	fi
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
show curl -s --unix-socket "$HUSK_EXEC_ROOT/husk.sock" http://localhost/v1.44/_ping
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

step "9. Containers: run one detached with a name, list it, read its log, exec into it"
show husk run -d --name demo-web busybox sh -c 'echo started; while true; do echo tick; sleep 1; done'
show husk ps
sleep 1.5
show husk logs --tail 3 demo-web
# shellcheck disable=SC2016 # expanded inside the container
show husk exec demo-web sh -c 'echo inside: $(hostname), pid 1 is $(cat /proc/1/comm)'
show husk inspect --format '{{.Name}} {{.State.Status}} pid={{.State.Pid}} image={{.Config.Image}}' demo-web
show husk stats --no-stream demo-web

step "10. Stop, start again, remove"
show husk stop -t 1 demo-web
show husk ps -a --filter name=demo-web
show husk start demo-web
show husk rm -f demo-web

step "11. Limits from the kernel: --memory and --cpus, read back from inside the container"
# shellcheck disable=SC2016 # expanded inside the container
show husk run --rm --memory 64m --cpus 0.5 --pids-limit 32 busybox sh -c 'echo memory limit: $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max); echo cpu quota/period: $(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null)/$(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us 2>/dev/null || cat /sys/fs/cgroup/cpu.max); echo pids max: $(cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max)'

step "12. Networking: a web server published on port 1234 of the host"
show husk run -d --name web -p 1234:8080 busybox sh -c 'mkdir -p /www && echo hello from a husk container >/www/index.html && exec httpd -f -p 8080 -h /www'
sleep 0.5
show husk port web
show curl -s http://localhost:1234/
show husk rm -f web

step "13. Distribute: husk-registry, a private registry; push from this daemon, pull on a second one (another computer)"
husk-registry serve --addr 127.0.0.1:5999 --root "$DEMO/registry" >"$DEMO/registry.log" 2>&1 &
REG_PID=$!
sleep 0.5
show husk tag busybox 127.0.0.1:5999/demo/busybox:v1
show husk push 127.0.0.1:5999/demo/busybox:v1
mkdir -p "$DEMO/run2"
echo '{}' >"$DEMO/daemon2.json"
huskd --data-root "$DEMO/lib2" --exec-root "$DEMO/run2" --config-file "$DEMO/daemon2.json" >"$DEMO/huskd2.log" 2>&1 &
sleep 1
show husk -H "unix://$DEMO/run2/husk.sock" pull 127.0.0.1:5999/demo/busybox:v1
show husk -H "unix://$DEMO/run2/husk.sock" run --rm 127.0.0.1:5999/demo/busybox:v1 echo pulled and running on the second daemon

step "Done. (The demo's daemon is stopped now.)"
