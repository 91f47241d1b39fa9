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
ALL_TARGETS=(json router digest flags config reference manifest image_config oci_spec
	registry_grammar htpasswd registry_client registry_auth base64 events subnet template
	logfile spec_normalize)

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

BASE=(error.c str.c fs.c log.c json.c digest.c timefmt.c base64.c)
# A parser often shares its file with code that needs the rest of the
# daemon (a handler beside the header decoder it calls): each function in
# a section of its own, and --gc-sections drops what the target never
# reaches, with the references that would not link.
# shellcheck disable=SC2054 # the commas are clang's: one -fsanitize list
CFLAGS=(-std=gnu11 -g -O1 -D_GNU_SOURCE -I"$SRC/src" -I"$SRC" -I"$OUT/include"
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
	-ffunction-sections -fdata-sections)
# shellcheck disable=SC2054 # the linker's commas too
LIBS=(-Wl,--gc-sections -Wl,-z,start-stop-gc -Wl,--as-needed -ljansson -lcrypto -lcrypt -lcurl -lpthread)

# The sources a target needs beyond src/base, relative to src/.
target_sources() {
	case $1 in
	json | digest | base64) ;;
	router) echo api/router.c ;;
	flags) echo cli/flags.c ;;
	config) echo engine/config.c ;;
	reference) echo image/reference.c ;;
	manifest) echo image/manifest.c image/platform.c ;;
	image_config) echo image/config.c image/manifest.c image/platform.c ;;
	oci_spec) echo oci/names.c oci/spec_util.c oci/spec.c oci/spec_process.c \
		oci/spec_mounts.c oci/spec_linux.c oci/spec_seccomp.c oci/spec_resources.c ;;
	registry_grammar) echo registry/server_route.c registry/server_manifests.c \
		image/reference.c ;;
	htpasswd) echo registry/htpasswd.c ;;
	registry_client) echo registry/auth.c registry/http.c ;;
	registry_auth) echo api/h_registry.c registry/auth.c ;;
	events) echo engine/events.c image/images.c image/reference.c ;;
	subnet) echo network/ipam.c ;;
	template) echo cli/template_lex.c cli/template_parse.c cli/template_exec.c \
		cli/template_fmt.c ;;
	logfile) echo engine/logfile.c ;;
	spec_normalize) (cd "$SRC/src" && echo engine/spec_*.c oci/*.c runtime/caps.c \
		runtime/cgroup_probe.c runtime/seccomp_default.c) ;;
	*)
		echo "unknown target \"$1\" (known: ${ALL_TARGETS[*]})" >&2
		return 1
		;;
	esac
}

build() {
	local t=$1 srcs=() s extra=()
	for s in "${BASE[@]}"; do
		srcs+=("$SRC/src/base/$s")
	done
	s=$(target_sources "$t") || return 1
	read -ra extra <<<"$s"
	for s in "${extra[@]}"; do
		srcs+=("$SRC/src/$s")
	done
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

# What meson's configure_file() makes for the sources that print versions.
write_config_h() {
	mkdir -p "$OUT/include"
	cat >"$OUT/include/husk-config.h" <<-EOF
		#define HUSK_VERSION "fuzz"
		#define HUSK_GIT_COMMIT "fuzz"
		#define HUSK_API_VERSION "1.43"
		#define HUSK_MIN_API_VERSION "1.24"
		#define HUSK_BUILD_TIME "1970-01-01T00:00:00Z"
	EOF
}

mkdir -p "$OUT"
write_config_h
for t in "${TARGETS[@]}"; do
	build "$t"
	if [ "$SECONDS_EACH" -gt 0 ]; then
		fuzz "$t"
	fi
done
