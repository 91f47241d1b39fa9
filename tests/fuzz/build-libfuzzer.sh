#!/bin/bash
# Build husk's fuzz targets with clang's libFuzzer, ASan and UBSan, and with
# -t fuzz each for that many seconds and refresh its checked-in corpus
# (tests/fuzz/corpus/<target>/): what the run found is merged (-merge=1)
# with the old corpus into a minimal set, at most MAX_FILES inputs of at
# most MAX_LEN bytes each, so `make test` can replay it quickly.
# Independent of meson and the Makefile: it compiles the few sources each
# target needs straight from src/.
#
#   tests/fuzz/build-libfuzzer.sh [-o OUT_DIR] [-t SECONDS] [TARGET...]
#
# OUT_DIR defaults to build-fuzz/; TARGETs default to all. A crash stops the
# script with a non-zero status; its input is in OUT_DIR/artifacts/.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$SRC/build-fuzz
SECONDS_EACH=0
MAX_LEN=4096
MAX_FILES=50
ALL_TARGETS=(json router digest flags config)

usage() {
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}

while getopts "o:t:h" opt; do
	case $opt in
	o) OUT=$(mkdir -p "$OPTARG" && cd "$OPTARG" && pwd) ;;
	t) SECONDS_EACH=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=("${ALL_TARGETS[@]}")

if ! command -v clang >/dev/null; then
	echo "clang is not installed (apt-get install clang)" >&2
	exit 1
fi

BASE=(error.c str.c fs.c log.c json.c digest.c)
# shellcheck disable=SC2054 # the commas are clang's: one -fsanitize list
CFLAGS=(-std=gnu11 -g -O1 -D_GNU_SOURCE -I"$SRC/src" -I"$SRC"
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all)
LIBS=(-ljansson -lcrypto -lpthread)

# The sources a target needs beyond src/base.
target_sources() {
	case $1 in
	json | digest) ;;
	router) echo "$SRC/src/api/router.c" ;;
	flags) echo "$SRC/src/cli/flags.c" ;;
	config) echo "$SRC/src/engine/config.c" ;;
	*)
		echo "unknown target \"$1\" (known: ${ALL_TARGETS[*]})" >&2
		return 1
		;;
	esac
}

build() {
	local t=$1 srcs=() s
	for s in "${BASE[@]}"; do
		srcs+=("$SRC/src/base/$s")
	done
	s=$(target_sources "$t") || return 1
	[ -z "$s" ] || srcs+=("$s")
	echo "== build fuzz_$t"
	clang "${CFLAGS[@]}" -o "$OUT/fuzz_$t" "$SRC/tests/fuzz/fuzz_$t.c" "${srcs[@]}" "${LIBS[@]}"
}

# Fuzz for SECONDS_EACH, then merge the old corpus and the new finds into
# a fresh minimal corpus that replaces the checked-in one.
fuzz() {
	local t=$1
	local corpus=$SRC/tests/fuzz/corpus/$t work=$OUT/scratch/$t
	local opts=(-max_len="$MAX_LEN" -timeout=10 -rss_limit_mb=2048
		-artifact_prefix="$OUT/artifacts/$t-" -print_final_stats=1)
	rm -rf "$work" && mkdir -p "$work/found" "$work/merged" "$OUT/artifacts" "$corpus"
	echo "== fuzz fuzz_$t for ${SECONDS_EACH}s"
	"$OUT/fuzz_$t" "${opts[@]}" -max_total_time="$SECONDS_EACH" "$work/found" "$corpus" \
		2>"$work/fuzz.log" || {
		tail -40 "$work/fuzz.log" >&2
		return 1
	}
	grep -E '^(stat::|Done)' "$work/fuzz.log" || true
	"$OUT/fuzz_$t" "${opts[@]}" -merge=1 "$work/merged" "$corpus" "$work/found" \
		2>"$work/merge.log"
	if [ "$(find "$work/merged" -type f | wc -l)" -gt "$MAX_FILES" ]; then
		# too many: keep only inputs that reach new edges, not those that
		# merely hit known edges a different number of times
		rm -rf "$work/merged" && mkdir "$work/merged"
		"$OUT/fuzz_$t" "${opts[@]}" -merge=1 -use_counters=0 "$work/merged" "$corpus" \
			"$work/found" 2>"$work/merge.log"
	fi
	grep -h 'MERGE-OUTER: [0-9]* new files' "$work/merge.log" | sed 's/^/   /' || true
	keep_small "$work/merged"
	rm -rf "$corpus" && mkdir -p "$corpus"
	# names by content, as libFuzzer makes them: stable across runs
	cp "$work/merged"/* "$corpus"/
	echo "   corpus/$t: $(find "$corpus" -type f | wc -l) files"
}

# The merge keeps one input per new feature, smallest first; past
# MAX_FILES drop the largest, which cost the most replay time.
keep_small() {
	local dir=$1
	find "$dir" -type f -size +"$MAX_LEN"c -delete
	find "$dir" -type f -printf '%s %p\n' | sort -n | tail -n +$((MAX_FILES + 1)) |
		cut -d' ' -f2- | xargs -r rm -f
}

mkdir -p "$OUT"
for t in "${TARGETS[@]}"; do
	build "$t"
	if [ "$SECONDS_EACH" -gt 0 ]; then
		fuzz "$t"
	fi
done
