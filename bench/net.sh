#!/bin/bash
# The command variables (HUSK, DOCKER, PODMAN) are meant to split into words.
# shellcheck disable=SC2086,SC2046
# bench/net.sh: (1) the start latency the bridge network adds over
# --network none (`husk run --rm busybox true`, hyperfine); (2) HTTP
# throughput (wrk, busybox httpd serving a 64 KiB file) through a port
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

# the web server: a 64 KiB page
WEB="sh -c 'mkdir -p /www && head -c 65536 /dev/zero | tr \"\\\\0\" x >/www/index.html && exec httpd -f -p 8080 -h /www'"
eval "$HUSK run -d --name web -p 127.0.0.1:18080:8080 busybox:latest $WEB" >/dev/null
CIP=$($HUSK inspect -f '{{.NetworkSettings.IPAddress}}' web)
rps() { # URL → requests per second
	wait_http "$1"
	wrk -t 2 -c 32 -d "${SECS}s" "$1" | awk '/^Requests\/sec/ {print $2}'
}
husk_pub=$(rps http://127.0.0.1:18080/index.html)
husk_direct=$(rps "http://$CIP:8080/index.html")

# docker with its default bridge and userland proxy (loopback goes through
# docker-proxy); it must not own the host's FORWARD policy, hence no ip-forward
docker_pub=0 podman_pub=0
if start_docker bridge; then
	eval "$DOCKER run -d --name web -p 127.0.0.1:18081:8080 busybox:latest $WEB" >/dev/null
	docker_pub=$(rps http://127.0.0.1:18081/index.html)
fi
start_podman
eval "$PODMAN run -d --name web $PODMAN_RUN_OPTS -p 127.0.0.1:18082:8080 busybox:latest $WEB" >/dev/null
podman_pub=$(rps http://127.0.0.1:18082/index.html)

jq -r --arg hp "$husk_pub" --arg hd "$husk_direct" --arg dp "$docker_pub" --arg pp "$podman_pub" '
	.results | (.[0].mean) as $none | (.[1].mean) as $br |
	"start: --network none \($none * 1000 | round) ms, bridge \($br * 1000 | round) ms: the bridge adds \(($br - $none) * 1000 * 10 | round / 10) ms",
	"HTTP req/s: husk published \($hp), direct \($hd), docker -p (docker-proxy) \($dp), podman -p \($pp)",
	"husk published port: \(($hp | tonumber) / ($hd | tonumber) * 100 | round)% of direct, \(if ($dp | tonumber) > 0 then (($hp | tonumber) / ($dp | tonumber) * 10 | round / 10 | tostring) + "x docker-proxy" else "docker not measured" end), \(if ($pp | tonumber) > 0 then (($hp | tonumber) / ($pp | tonumber) * 10 | round / 10 | tostring) + "x podman" else "podman not measured" end)"' "$DIR/start.json"
