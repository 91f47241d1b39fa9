#!/bin/bash
# The command variables (HUSK, DOCKER, PODMAN) are meant to split into words.
# shellcheck disable=SC2086,SC2046
# bench/net.sh: (1) the start latency the bridge network adds over
# --network none (`husk run --rm busybox true`, hyperfine); (2) HTTP
# throughput (wrk, keep-alive connections to Debian's nginx serving 1 KiB,
# 64 KiB and 1 MiB files; bench/mkwebimage.sh) through a port published on
# 127.0.0.1 (the host's own connections are redirected to the container at
# connect() by husk's BPF programs) vs straight to the container's
# address, and the same image
# through docker's -p (docker-proxy on loopback) and podman's -p. nginx,
# not busybox httpd: a server that forks per request measures its fork,
# not the path to it. Goals: added latency <= 10 ms; published >= 90% of
# direct and >= 2x docker-proxy. The ratios are printed last, the 1 KiB
# page's (a typical small response) last of all.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
export BUILD
BUILD=$(cd "${1:-$SRC/build}" && pwd)
RUNS=${RUNS:-20}
SECS=${SECS:-5}
# shellcheck source=bench/lib.sh
. "$SRC/bench/lib.sh"
bench_need hyperfine jq podman dockerd curl wrk apt-get dpkg
bench_dir net
start_husk

hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$DIR/start.json" \
	-n "husk run --network none" "$HUSK run --rm --network none busybox:latest true" \
	-n "husk run (bridge)" "$HUSK run --rm busybox:latest true"

# the web server image, made here by husk and loaded into the peers
SIZES="1m 64k 1k" # the last is the headline figure
$HUSK import -c 'CMD ["nginx"]' "$("$SRC/bench/mkwebimage.sh")" web:bench >/dev/null
$HUSK save -o "$DIR/web.tar" web:bench
$HUSK run -d --name web -p 127.0.0.1:18080:8080 web:bench >/dev/null
CIP=$($HUSK inspect -f '{{.NetworkSettings.IPAddress}}' web)
rps() { # URL → requests per second
	wrk -t 2 -c 32 -d "${SECS}s" "$1" | awk '/^Requests\/sec/ {print $2}'
}
# the same image behind docker's -p (its default bridge and userland proxy:
# loopback goes through docker-proxy; it must not own the host's FORWARD
# policy, hence no ip-forward) and podman's -p, all running at once
declare -A URL=([husk_pub]=http://127.0.0.1:18080 [husk_direct]="http://$CIP:8080")
if start_docker bridge; then
	$DOCKER load -q -i "$DIR/web.tar" >/dev/null
	$DOCKER run -d --name web -p 127.0.0.1:18081:8080 web:bench >/dev/null
	URL[docker_pub]=http://127.0.0.1:18081
fi
start_podman
$PODMAN load -q -i "$DIR/web.tar" >/dev/null
$PODMAN run -d --name web $PODMAN_RUN_OPTS -p 127.0.0.1:18082:8080 web:bench >/dev/null
URL[podman_pub]=http://127.0.0.1:18082
for t in "${!URL[@]}"; do wait_http "${URL[$t]}/1k"; done

# ROUNDS rounds, each measuring every path in turn, so that the machine's
# drift falls on all of them alike; each figure is the median round's
ROUNDS=${ROUNDS:-3}
declare -A R # R[path.size]: requests per second, one line per round
for _ in $(seq 1 "$ROUNDS"); do
	for size in $SIZES; do
		for t in husk_pub husk_direct docker_pub podman_pub; do
			[ -n "${URL[$t]:-}" ] && R[$t.$size]+="$(rps "${URL[$t]}/$size")"$'\n'
		done
	done
done
median() { [ -n "$1" ] && printf %s "$1" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}' || echo 0; }

jq -r '.results | (.[0].mean) as $none | (.[1].mean) as $br |
	"start: --network none \($none * 1000 | round) ms, bridge \($br * 1000 | round) ms: the bridge adds \(($br - $none) * 1000 * 10 | round / 10) ms"' "$DIR/start.json"
for size in $SIZES; do
	jq -nr --arg size "$size" --arg hp "$(median "${R[husk_pub.$size]}")" \
		--arg hd "$(median "${R[husk_direct.$size]}")" --arg dp "$(median "${R[docker_pub.$size]:-}")" \
		--arg pp "$(median "${R[podman_pub.$size]}")" '
	"\($size) responses, req/s: husk published \($hp), direct \($hd), docker -p (docker-proxy) \($dp), podman -p \($pp)",
	"\($size): husk published port \(($hp | tonumber) / ($hd | tonumber) * 100 | round)% of direct, \(if ($dp | tonumber) > 0 then (($hp | tonumber) / ($dp | tonumber) * 10 | round / 10 | tostring) + "x docker-proxy" else "docker not measured" end), \(if ($pp | tonumber) > 0 then (($hp | tonumber) / ($pp | tonumber) * 10 | round / 10 | tostring) + "x podman" else "podman not measured" end)"'
done
