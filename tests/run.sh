#!/bin/bash
# Run every husk test: unit (cmocka), fuzz corpus replay (no fuzzing),
# system (bats), lint (clang-format and shellcheck), and sanitizer reports
# when the build has ASan/UBSan.
# Ends with one line: "N passed, N failed, N skipped".
#
#   tests/run.sh [--only unit|fuzz|system|lint] [BUILD_DIR]
set -uo pipefail

ONLY=
if [ "${1:-}" = "--only" ]; then
	ONLY=$2
	shift 2
fi
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
export HUSK_BUILD=$BUILD HUSK_SRC=$SRC

passed=0 failed=0 skipped=0
failures=()
LOGDIR=$(mktemp -d /tmp/husk-tests.XXXXXX)
trap 'rm -rf "$LOGDIR"' EXIT

# Sanitizer reports of any husk binary go to files we check at the end.
export ASAN_OPTIONS="log_path=$LOGDIR/asan:detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="log_path=$LOGDIR/ubsan:print_stacktrace=1"

# Count TAP lines from stdin; echo failures' names.
count_tap() {
	local prefix=$1 line
	while IFS= read -r line; do
		case $line in
		"not ok "*"# SKIP"* | "not ok "*"# skip"*)
			skipped=$((skipped + 1))
			echo "  skipped $prefix: ${line#not ok }"
			;;
		"not ok "*)
			failed=$((failed + 1))
			failures+=("$prefix: ${line#not ok }")
			;;
		"ok "*"# skip"* | "ok "*"# SKIP"*)
			skipped=$((skipped + 1))
			echo "  skipped $prefix: ${line#ok }"
			;;
		"ok "*) passed=$((passed + 1)) ;;
		esac
	done
}

run_unit() {
	local t out
	echo "== unit tests"
	for t in "$BUILD"/tests/unit/test_*; do
		if [ ! -f "$t" ] || [ ! -x "$t" ]; then
			continue
		fi
		out=$LOGDIR/$(basename "$t").tap
		CMOCKA_MESSAGE_OUTPUT=TAP "$t" >"$out" 2>&1
		local rc=$?
		count_tap "$(basename "$t")" <"$out"
		if [ $rc -ne 0 ]; then
			if ! grep -q '^not ok' "$out"; then
				failed=$((failed + 1))
				failures+=("$(basename "$t"): exited with status $rc")
			fi
			sed 's/^/    /' "$out"
		fi
	done
}

# Each fuzz target's replay build runs over its checked-in corpus
# (tests/fuzz/corpus/<target>/), one TAP line per input.
run_fuzz_replay() {
	local t name out
	echo "== fuzz corpus replay"
	for t in "$BUILD"/tests/fuzz/fuzz_*; do
		if [ ! -f "$t" ] || [ ! -x "$t" ]; then
			continue
		fi
		name=$(basename "$t")
		out=$LOGDIR/$name.tap
		"$t" "$SRC/tests/fuzz/corpus/${name#fuzz_}" >"$out" 2>&1
		local rc=$?
		count_tap "$name" <"$out"
		if [ $rc -ne 0 ]; then
			if ! grep -q '^not ok' "$out"; then
				failed=$((failed + 1))
				failures+=("$name: exited with status $rc after $(grep -c '^ok' "$out") inputs")
			fi
			grep -v '^ok ' "$out" | sed 's/^/    /'
		fi
	done
}

run_system() {
	local f out
	echo "== system tests"
	for f in "$SRC"/tests/system/*.bats; do
		[ -f "$f" ] || continue
		out=$LOGDIR/$(basename "$f").tap
		echo "  $(basename "$f")"
		bats --tap "$f" >"$out" 2>&1 </dev/null
		count_tap "$(basename "$f" .bats)" <"$out"
		if grep -q '^not ok' "$out"; then
			sed 's/^/    /' "$out"
		fi
	done
}

lint_result() {
	local name=$1 rc=$2 out=$3
	if [ "$rc" -eq 0 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failures+=("lint: $name")
		sed 's/^/    /' "$out"
	fi
}

run_lint() {
	local files out=$LOGDIR/lint.out
	echo "== lint"
	cd "$SRC" || return
	if command -v clang-format >/dev/null; then
		mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null)
		[ ${#files[@]} -gt 0 ] || mapfile -t files < <(find src tests -name '*.[ch]')
		clang-format --dry-run --Werror "${files[@]}" >"$out" 2>&1
		lint_result clang-format $? "$out"
	else
		skipped=$((skipped + 1))
		echo "  skipped clang-format: not installed"
	fi
	if command -v shellcheck >/dev/null; then
		mapfile -t files < <(ls scripts/*.sh tests/*.sh tests/fixtures/*.sh tests/fuzz/*.sh \
			bench/*.sh .ci/run tests/system/*.bash 2>/dev/null)
		shellcheck -x "${files[@]}" >"$out" 2>&1
		lint_result shellcheck $? "$out"
	else
		skipped=$((skipped + 1))
		echo "  skipped shellcheck: not installed"
	fi
}

sanitized() {
	[ "$(jq -r '.[] | select(.name == "b_sanitize") | .value' \
		"$BUILD"/meson-info/intro-buildoptions.json 2>/dev/null)" != none ] &&
		[ -f "$BUILD"/meson-info/intro-buildoptions.json ]
}

check_sanitizers() {
	sanitized || return 0
	if ls "$LOGDIR"/asan.* "$LOGDIR"/ubsan.* >/dev/null 2>&1; then
		failed=$((failed + 1))
		failures+=("sanitizers: reports from husk binaries")
		cat "$LOGDIR"/asan.* "$LOGDIR"/ubsan.* 2>/dev/null | head -100 | sed 's/^/    /'
	else
		passed=$((passed + 1))
		echo "  sanitizers: no reports"
	fi
}

case $ONLY in
unit) run_unit ;;
fuzz) run_fuzz_replay ;;
system) run_system ;;
lint) run_lint ;;
"")
	run_unit
	run_fuzz_replay
	run_system
	run_lint
	;;
*)
	echo "unknown --only $ONLY" >&2
	exit 2
	;;
esac
check_sanitizers

if [ ${#failures[@]} -gt 0 ]; then
	echo "== failures"
	printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
