#!/bin/bash
# bench/unpack.sh: load the same ~200 MB 4-layer image archive (an OCI
# archive with gzip layers, made by bench/mkbenchimage.sh from Debian
# packages) with `husk load` and `podman load`, each into a cold store
# (fresh data root before every run), in one hyperfine run; the floor is
# decompressing every layer and extracting it with tar (igzip -dc, or zcat,
# into tar -x). The ratios are printed last.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
RUNS=${RUNS:-5}
# shellcheck source=bench/lib.sh
. "$SRC/bench/lib.sh"
bench_need hyperfine jq podman
bench_image

# Everything unpacks into one tmpfs: the three contenders then measure
# themselves, not the state of the host disk (ext4's inode allocator can
# vary tenfold between runs on a disk with much churn).
bench_dir unpack 6g
DECOMP="zcat"
command -v igzip >/dev/null && DECOMP="igzip -dc"

# a fresh daemon and data root, an empty podman store before every run (not timed)
fresh_store_scripts
cat >"$DIR/floor-fresh" <<SH
#!/bin/bash
rm -rf $DIR/floor-out
mkdir -p $DIR/floor-out
SH
cat >"$DIR/floor" <<SH
#!/bin/bash
set -e
i=0
for l in $IMG/layers/*.tar.gz; do
	mkdir -p $DIR/floor-out/\$i
	$DECOMP "\$l" | tar -x --numeric-owner -C $DIR/floor-out/\$i
	i=\$((i + 1))
done
sync -f $DIR/floor-out
SH
chmod +x "$DIR"/floor-fresh "$DIR"/floor

echo "archive: $(du -h "$ARCHIVE" | cut -f1), layers: $(find "$IMG/layers" -name "*.tar.gz" | wc -l)"
hyperfine --runs "$RUNS" --export-json "$DIR/r.json" \
	-n "husk load" --prepare "$DIR/husk-fresh" "$HUSK load -q -i $ARCHIVE" \
	-n "podman load" --prepare "$DIR/podman-fresh" "$PODMAN load -q -i $ARCHIVE" \
	-n "floor ($DECOMP | tar -x)" --prepare "$DIR/floor-fresh" "$DIR/floor"

jq -r '.results | (.[0].mean) as $h | (.[1].mean) as $p | (.[2].mean) as $f |
	"husk load: \($h * 1000 | round) ms, podman load: \($p * 1000 | round) ms, floor: \($f * 1000 | round) ms; husk is \($p / $h * 100 | round / 100)x faster than podman and \($h / $f * 100 | round / 100)x the floor"' "$DIR/r.json"
