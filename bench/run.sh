#!/bin/bash
# The command variables (HUSK, DOCKER, PODMAN) are meant to split into words.
# shellcheck disable=SC2086,SC2046
# bench/run.sh: `husk run --rm busybox true` vs `podman run --rm` vs
# `docker run --rm` (Debian's dockerd, started here) of the same busybox
# image, each with its state on one tmpfs, in one hyperfine run: first with
# each engine's default network (a bridge, an address, NAT), then with
# --network none. The ratios are printed last, the default network's last.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
export BUILD
BUILD=$(cd "${1:-$SRC/build}" && pwd)
RUNS=${RUNS:-20}
# shellcheck source=bench/lib.sh
. "$SRC/bench/lib.sh"
bench_need hyperfine jq podman dockerd curl
bench_dir run
start_husk
start_docker bridge
start_podman

IMG=busybox:latest
hyperfine -N --warmup 2 --runs "$RUNS" --export-json "$DIR/none.json" \
	-n "husk run --network none" "$HUSK run --rm --network none $IMG true" \
	-n "podman run --network none" "$PODMAN run --rm --network none $PODMAN_RUN_OPTS $IMG true" \
	-n "docker run --network none" "$DOCKER run --rm --network none $IMG true"
hyperfine -N --warmup 2 --runs "$RUNS" --export-json "$DIR/default.json" \
	-n "husk run" "$HUSK run --rm $IMG true" \
	-n "podman run" "$PODMAN run --rm $PODMAN_RUN_OPTS $IMG true" \
	-n "docker run" "$DOCKER run --rm $IMG true"

for net in none default; do
	jq -r --arg net "$net" '.results | (.[0].mean) as $h | (.[1].mean) as $p | (.[2].mean) as $d |
	"\($net) network: husk run \($h * 1000 | round) ms, podman run \($p * 1000 | round) ms, docker run \($d * 1000 | round) ms; husk is \($p / $h * 10 | round / 10)x faster than podman and \($d / $h * 10 | round / 10)x faster than docker"' "$DIR/$net.json"
done
