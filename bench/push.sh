#!/bin/bash
# bench/push.sh: push the same ~200 MB 4-layer image (bench/mkbenchimage.sh)
# to an empty local docker-registry on 127.0.0.1:5311 (storage on tmpfs,
# emptied and restarted before every run, not timed): `husk push` vs
# `podman push` from their stores (the image loaded once beforehand) vs
# `skopeo copy` of the OCI archive (reads and uploads the compressed blobs
# as they are: a floor for the transfer). ≥ 5 runs each in one hyperfine
# run. The ratios are printed last. Goal: husk ≥ 1.5x podman.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
RUNS=${RUNS:-5}
PORT=${PORT:-5311}
REF=127.0.0.1:$PORT/bench:latest
# shellcheck source=bench/lib.sh
. "$SRC/bench/lib.sh"
bench_need hyperfine jq podman skopeo docker-registry curl
bench_image

bench_dir push 6g
start_registry "$PORT"

# each contender holds the image in its own store (not timed)
start_husk "$ARCHIVE"
$HUSK tag bench:latest "$REF"
start_podman "$ARCHIVE"
$PODMAN tag bench:latest "$REF"

echo "image: $(du -h "$ARCHIVE" | cut -f1) compressed, $(find "$IMG/layers" -name '*.tar.gz' | wc -l) layers, to $REF"
hyperfine --runs "$RUNS" --export-json "$DIR/r.json" --prepare "$DIR/registry-fresh" \
	-n "husk push" "$HUSK push -q $REF" \
	-n "podman push" "$PODMAN push -q --tls-verify=false $REF" \
	-n "skopeo copy (archive as is)" \
	"skopeo copy -q --dest-tls-verify=false oci-archive:$ARCHIVE docker://$REF"

jq -r '.results | (.[0].mean) as $h | (.[1].mean) as $p | (.[2].mean) as $s |
	"husk push: \($h * 1000 | round) ms, podman push: \($p * 1000 | round) ms, skopeo copy of the archive: \($s * 1000 | round) ms; husk is \($p / $h * 100 | round / 100)x faster than podman (goal: 1.5x) and takes \($h / $s * 100 | round / 100)x the time of skopeo'"'"'s copy"' "$DIR/r.json"
