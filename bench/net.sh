#!/bin/bash
# The command variables (HUSK, DOCKER, PODMAN) are meant to split into words.
# shellcheck disable=SC2086,SC2046
# bench/net.sh: (1) the start latency the bridge network adds over
# --network none (`husk run --rm busybox true`, hyperfine); (2) HTTP
# throughput (wrk, busybox httpd serving 1 KiB, 64 KiB and 1 MiB files) through a port
# published on 127.0.0.1 vs straight to the container's address, and the
# same through docker's -p (docker-proxy on loopback) and podman's -p.
# Goals: added latency <= 10 ms; published >= 90% of direct and >= 2x
# docker-proxy. The ratios are printed last.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
export BUILD
BUILD=$(cd "${1:-$SRC/build}" && pwd)
RUNS=${RUNS:-20}
SECS=${SECS:-5}
# shellcheck source=bench/lib.sh
. "$SRC/bench/lib.sh"
bench_need hyperfine jq podman dockerd curl wrk
bench_dir net
start_husk

hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$DIR/start.json" \
	-n "husk run --network none" "$HUSK run --rm --network none busybox:latest true" \
	-n "husk run (bridge)" "$HUSK run --rm busybox:latest true"

# the web server: a 64 KiB page and a 1 MiB file (the proxy's copying
# weighs more, the server's fork per request less, as the size grows)
SIZES="1m 1k 64k" # the last is the headline figure
WEB="sh -c 'mkdir -p /www && head -c 65536 /dev/zero | tr \"\\\\0\" x >/www/64k && head -c 1048576 /dev/zero | tr \"\\\\0\" x >/www/1m && head -c 1024 /dev/zero | tr \"\\\\0\" x >/www/1k && exec httpd -f -p 8080 -h /www'"
eval "$HUSK run -d --name web -p 127.0.0.1:18080:8080 busybox:latest $WEB" >/dev/null
CIP=$($HUSK inspect -f '{{.NetworkSettings.IPAddress}}' web)
rps() { # URL → requests per second
	wait_http "$1"
	wrk -t 2 -c 32 -d "${SECS}s" "$1" | awk '/^Requests\/sec/ {print $2}'
}
declare -A R # R[engine.size]: requests per second
measure() { # engine, base URL
	for size in $SIZES; do R[$1.$size]=$(rps "$2/$size"); done
}
measure husk_pub http://127.0.0.1:18080
measure husk_direct "http://$CIP:8080"

# docker with its default bridge and userland proxy (loopback goes through
# docker-proxy); it must not own the host's FORWARD policy, hence no ip-forward
for size in $SIZES; do R[docker_pub.$size]=0 R[podman_pub.$size]=0; done
if start_docker bridge; then
	eval "$DOCKER run -d --name web -p 127.0.0.1:18081:8080 busybox:latest $WEB" >/dev/null
	measure docker_pub http://127.0.0.1:18081
fi
start_podman
eval "$PODMAN run -d --name web $PODMAN_RUN_OPTS -p 127.0.0.1:18082:8080 busybox:latest $WEB" >/dev/null
measure podman_pub http://127.0.0.1:18082

jq -r '.results | (.[0].mean) as $none | (.[1].mean) as $br |
	"start: --network none \($none * 1000 | round) ms, bridge \($br * 1000 | round) ms: the bridge adds \(($br - $none) * 1000 * 10 | round / 10) ms"' "$DIR/start.json"
for size in $SIZES; do
	jq -nr --arg size "$size" --arg hp "${R[husk_pub.$size]}" --arg hd "${R[husk_direct.$size]}" \
		--arg dp "${R[docker_pub.$size]}" --arg pp "${R[podman_pub.$size]}" '
	"\($size) responses, req/s: husk published \($hp), direct \($hd), docker -p (docker-proxy) \($dp), podman -p \($pp)",
	"\($size): husk published port \(($hp | tonumber) / ($hd | tonumber) * 100 | round)% of direct, \(if ($dp | tonumber) > 0 then (($hp | tonumber) / ($dp | tonumber) * 10 | round / 10 | tostring) + "x docker-proxy" else "docker not measured" end), \(if ($pp | tonumber) > 0 then (($hp | tonumber) / ($pp | tonumber) * 10 | round / 10 | tostring) + "x podman" else "podman not measured" end)"'
done
