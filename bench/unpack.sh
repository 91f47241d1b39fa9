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
for c in hyperfine jq podman; do
	command -v "$c" >/dev/null || { echo "unpack.sh: $c is not installed" >&2; exit 1; }
done
IMG=$("$SRC/bench/mkbenchimage.sh")
ARCHIVE=$IMG/image.oci.tar

# Everything unpacks into one tmpfs: the three contenders then measure
# themselves, not the state of the host disk (ext4's inode allocator can
# vary tenfold between runs on a disk with much churn).
DIR=$(mktemp -d /var/tmp/husk-bench-unpack.XXXXXX)
mount -t tmpfs -o size=6g,mode=0700 husk-bench "$DIR"
cleanup() {
	"$DIR/husk-stop" 2>/dev/null || true
	sleep 0.3
	findmnt -rn -o TARGET | grep "^$DIR/" | sort -r | xargs -r umount -l 2>/dev/null || true
	umount -l "$DIR" 2>/dev/null || true
	rm -rf "$DIR"
}
trap cleanup EXIT
DECOMP="zcat"
command -v igzip >/dev/null && DECOMP="igzip -dc"

# husk: a fresh daemon and data root before every run (not timed)
cat >"$DIR/husk-fresh" <<SH
#!/bin/bash
[ -f $DIR/run/huskd.pid ] && kill \$(cat $DIR/run/huskd.pid) 2>/dev/null && sleep 0.3
findmnt -rn -o TARGET | grep "^$DIR/root" | sort -r | xargs -r umount -l 2>/dev/null
rm -rf $DIR/root $DIR/run
mkdir -p $DIR/run
echo '{}' >$DIR/daemon.json
$BUILD/huskd --data-root $DIR/root --exec-root $DIR/run --config-file $DIR/daemon.json >>$DIR/huskd.log 2>&1 &
for _ in \$(seq 1 200); do [ -S $DIR/run/husk.sock ] && exit 0; sleep 0.02; done
exit 1
SH
cat >"$DIR/husk-stop" <<SH
#!/bin/bash
[ -f $DIR/run/huskd.pid ] && kill \$(cat $DIR/run/huskd.pid) 2>/dev/null
exit 0
SH
PODMAN="podman --root $DIR/podman/root --runroot $DIR/podman/run --tmpdir $DIR/podman/tmp --storage-driver overlay --cgroup-manager cgroupfs --events-backend file"
cat >"$DIR/podman-fresh" <<SH
#!/bin/bash
findmnt -rn -o TARGET | grep "^$DIR/podman" | sort -r | xargs -r umount -l 2>/dev/null
rm -rf $DIR/podman
mkdir -p $DIR/podman/tmp
SH
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
chmod +x "$DIR"/husk-fresh "$DIR"/husk-stop "$DIR"/podman-fresh "$DIR"/floor-fresh "$DIR"/floor
export CONTAINERS_CONF=$DIR/containers.conf
: >"$CONTAINERS_CONF"

echo "archive: $(du -h "$ARCHIVE" | cut -f1), layers: $(find "$IMG/layers" -name "*.tar.gz" | wc -l)"
hyperfine --runs "$RUNS" --export-json "$DIR/r.json" \
	-n "husk load" --prepare "$DIR/husk-fresh" \
	"$BUILD/husk -H unix://$DIR/run/husk.sock load -q -i $ARCHIVE" \
	-n "podman load" --prepare "$DIR/podman-fresh" "$PODMAN load -q -i $ARCHIVE" \
	-n "floor ($DECOMP | tar -x)" --prepare "$DIR/floor-fresh" "$DIR/floor"

jq -r '.results | (.[0].mean) as $h | (.[1].mean) as $p | (.[2].mean) as $f |
	"husk load: \($h * 1000 | round) ms, podman load: \($p * 1000 | round) ms, floor: \($f * 1000 | round) ms; husk is \($p / $h * 100 | round / 100)x faster than podman and \($h / $f * 100 | round / 100)x the floor"' "$DIR/r.json"
