#!/bin/bash
# bench/pull.sh: a cold pull of the same ~200 MB 4-layer image (made by
# bench/mkbenchimage.sh from Debian packages) from a local docker-registry
# on 127.0.0.1:5310 whose storage is on tmpfs: `husk pull` vs `podman pull`
# (both download, verify and unpack into their store) vs `skopeo copy` to a
# dir: (downloads and verifies only: a floor for the transfer). Each run
# starts from an empty store (prepare, not timed); ≥ 5 runs each in one
# hyperfine run. The ratios are printed last. Goal: husk ≥ 2x podman.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
RUNS=${RUNS:-5}
PORT=${PORT:-5310}
REF=127.0.0.1:$PORT/bench:latest
# shellcheck source=bench/lib.sh
. "$SRC/bench/lib.sh"
bench_need hyperfine jq podman skopeo docker-registry curl
bench_image

# Registry, stores and the skopeo output share one tmpfs: the contenders
# measure themselves, not the host disk.
bench_dir pull 6g
start_registry "$PORT"
skopeo copy -q --dest-tls-verify=false "oci-archive:$ARCHIVE" "docker://$REF"

# a fresh daemon and data root, an empty podman store before every run (not timed)
fresh_store_scripts
cat >"$DIR/skopeo-fresh" <<SH
#!/bin/bash
rm -rf $DIR/skopeo-out
SH
chmod +x "$DIR/skopeo-fresh"

echo "image: $(du -h "$ARCHIVE" | cut -f1) compressed, $(find "$IMG/layers" -name '*.tar.gz' | wc -l) layers, from $REF"
hyperfine --runs "$RUNS" --export-json "$DIR/r.json" \
	-n "husk pull" --prepare "$DIR/husk-fresh" "$HUSK pull -q $REF" \
	-n "podman pull" --prepare "$DIR/podman-fresh" "$PODMAN pull -q --tls-verify=false $REF" \
	-n "skopeo copy (no unpack)" --prepare "$DIR/skopeo-fresh" \
	"skopeo copy -q --src-tls-verify=false docker://$REF dir:$DIR/skopeo-out"

jq -r '.results | (.[0].mean) as $h | (.[1].mean) as $p | (.[2].mean) as $s |
	"husk pull: \($h * 1000 | round) ms, podman pull: \($p * 1000 | round) ms, skopeo copy to dir: \($s * 1000 | round) ms; husk is \($p / $h * 100 | round / 100)x faster than podman (goal: 2x) and takes \($h / $s * 100 | round / 100)x the time of skopeo'"'"'s download-only copy"' "$DIR/r.json"
