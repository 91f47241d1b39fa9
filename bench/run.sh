#!/bin/bash
# The command variables (HUSK, DOCKER, PODMAN) are meant to split into words.
# shellcheck disable=SC2086,SC2046
# bench/run.sh: `husk run --rm busybox true` vs `podman run --rm` vs
# `docker run --rm` (Debian's dockerd, started here) of the same busybox
# image, each with its state on one tmpfs, in one hyperfine run; with
# --network none for all three (the bridge network arrives with the
# networking work; until then husk's default is an isolated namespace).
# The ratios are printed last.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
export BUILD
BUILD=$(cd "${1:-$SRC/build}" && pwd)
RUNS=${RUNS:-20}
for c in hyperfine jq podman dockerd curl; do
	command -v "$c" >/dev/null || { echo "run.sh: $c is not installed" >&2; exit 1; }
done
# shellcheck source=bench/lib.sh
. "$SRC/bench/lib.sh"
bench_dir run
start_husk
start_docker
start_podman

IMG=busybox:latest
hyperfine -N --warmup 2 --runs "$RUNS" --export-json "$DIR/r.json" \
	-n "husk run" "$HUSK run --rm --network none $IMG true" \
	-n "podman run" "$PODMAN run --rm --network none $PODMAN_RUN_OPTS $IMG true" \
	-n "docker run" "$DOCKER run --rm --network none $IMG true"

jq -r '.results | (.[0].mean) as $h | (.[1].mean) as $p | (.[2].mean) as $d |
	"husk run: \($h * 1000 | round) ms, podman run: \($p * 1000 | round) ms, docker run: \($d * 1000 | round) ms (--network none); husk is \($p / $h * 10 | round / 10)x faster than podman and \($d / $h * 10 | round / 10)x faster than docker"' "$DIR/r.json"
