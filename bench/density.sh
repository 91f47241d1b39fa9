#!/bin/bash
# The command variables (HUSK, DOCKER, PODMAN) are meant to split into words.
# shellcheck disable=SC2086,SC2046
# bench/density.sh: start N (100) `sleep` containers with husk, docker
# (Debian's dockerd + containerd, started here) and podman; report the time
# to start them, the daemon's RSS idle and with N running, and the RSS of
# each container's keeper process (husk-monitor, containerd-shim-runc-v2,
# conmon). Then `husk ps -a` with 1000 containers (created, not started),
# timed by hyperfine. Goals: huskd idle RSS <= 10 MB, monitor RSS <= 1 MB,
# ps -a with 1000 containers < 100 ms. The summary is printed last.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
export BUILD
BUILD=$(cd "${1:-$SRC/build}" && pwd)
N=${N:-100}
PS_N=${PS_N:-1000}
# shellcheck source=bench/lib.sh
. "$SRC/bench/lib.sh"
bench_need hyperfine jq podman dockerd curl
bench_dir density
start_husk
start_docker
start_podman

rss_kb() {
	local r
	r=$(awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null)
	echo "${r:-0}"
}
# mean RSS (KiB) of the processes named $1 (the kernel's 15-character comm)
mean_rss() {
	local pids n=0 sum=0 p
	pids=$(pgrep -x -- "$1" || true)
	for p in $pids; do
		sum=$((sum + $(rss_kb "$p")))
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] && echo $((sum / n)) || echo 0
}
now() { date +%s.%N; }

# idle: huskd gives back what a burst of requests faulted in after 5 s
# without one (memshed); the image load was its last request
sleep 6
husk_idle=$(rss_kb "$(cat "$DIR/run/huskd.pid")")
docker_idle=$(($(rss_kb "$(cat "$DIR/docker.pid")") + $(rss_kb "$(pgrep -f "containerd --config $DIR/dx" | head -1)")))

start_n() { # label, then a command whose argument NAME becomes d1, d2, ...
	local label=$1 t0 t1
	shift
	t0=$(now)
	for i in $(seq 1 "$N"); do
		"${@/#NAME/d$i}" >/dev/null
	done
	t1=$(now)
	echo "$label: started $N containers in $(echo "$t1 - $t0" | bc) s" >&2
	echo "$t1 - $t0" | bc
}
t_husk=$(start_n husk $HUSK run -d --name NAME --network none busybox:latest sleep 3600)
t_docker=$(start_n docker $DOCKER run -d --name NAME --network none busybox:latest sleep 3600)
t_podman=$(start_n podman $PODMAN run -d --name NAME --network none $PODMAN_RUN_OPTS busybox:latest sleep 3600)
running=$($HUSK ps -q | wc -l)
husk_busy=$(rss_kb "$(cat "$DIR/run/huskd.pid")")
mon_husk=$(mean_rss husk-monitor)
mon_docker=$(mean_rss containerd-shim)
mon_podman=$(mean_rss conmon)
docker_busy=$(($(rss_kb "$(cat "$DIR/docker.pid")") + $(rss_kb "$(pgrep -f "containerd --config $DIR/dx" | head -1)")))
$HUSK rm -f $($HUSK ps -aq) >/dev/null

for i in $(seq 1 "$PS_N"); do echo "$i"; done | xargs -P 4 -I{} $HUSK create --network none --name "ps{}" busybox:latest true >/dev/null
hyperfine -N --warmup 3 --runs 20 --export-json "$DIR/ps.json" -n "husk ps -a ($PS_N)" "$HUSK ps -a"
ps_ms=$(jq '.results[0].mean * 1000 | round' "$DIR/ps.json")

echo "huskd RSS: idle $((husk_idle / 1024)) MB, $N running $((husk_busy / 1024)) MB; dockerd+containerd: idle $((docker_idle / 1024)) MB, $N running $((docker_busy / 1024)) MB"
echo "per-container keeper RSS: husk-monitor $mon_husk KiB, containerd-shim-runc-v2 $mon_docker KiB, conmon $mon_podman KiB"
echo "start $N (husk has $running running): husk $t_husk s, docker $t_docker s, podman $t_podman s"
echo "husk ps -a with $PS_N containers: $ps_ms ms"
