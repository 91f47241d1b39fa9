#!/usr/bin/env bats
# src/archive/ against hostile layers, through the layer-apply test driver
# (tests/system/layer-apply.c) until the CLI has verbs that reach it.
# For every layer of the corpus that tests/fixtures/mkhostile-tars.sh
# makes: the outcome its manifest says (rejected with an error, or applied),
# and nothing created, changed or removed outside the target — not in the
# sandbox around it, not in the canary directory its symlinks point at,
# not in the decoy directory its whiteouts reach for, not on the host.
# shellcheck disable=SC2154 # $output/$stderr are set by bats' run

load helpers

bats_require_minimum_version 1.5.0

setup_file() {
	husk_file_setup
	export SANDBOX=$HUSK_TEST_DIR/sandbox
	export CANARY=/tmp/husk-canary-$$
	export DECOY=$HUSK_TEST_DIR/decoy
	mkdir -p "$SANDBOX/outside" "$CANARY" "$DECOY"
	echo "must survive" >"$DECOY/file"
	echo "must survive" >"$SANDBOX/outside/file"
	HOSTILE=$("$FIXTURES/mkhostile-tars.sh" --canary "$CANARY" --decoy "$DECOY")
	export HOSTILE
}

teardown_file() {
	rm -rf "$CANARY"
	husk_file_teardown
}

setup() {
	# the driver is part of the build: its absence is a failure, not a host lack
	command -v layer-apply >/dev/null || fail "layer-apply is not built (ninja -C build)"
	[ "$(id -u)" = 0 ] || skip "applying layers needs root (chown, mknod, trusted.* xattrs)"
}

# Everything outside the target that a layer could reach: the sandbox
# around it (directories without their mtime, which the target's coming
# and going changes), the canary, the decoy, and host files the corpus
# aims at.
snapshot() {
	local target=$1
	find "$SANDBOX" "$CANARY" "$DECOY" -path "$target" -prune -o \
		\( -type d -printf '%p %m %U:%G\n' \) -o -printf '%p %s %m %U:%G %T@ %n\n' | sort
	stat -c '%n %s %h %i %Y %Z' /etc/passwd /etc/shadow
	local p
	for p in /x /escape /file /abs /tmp/x /tmp/file /lower /zeros /etc/husk-escape; do
		[ -e "$p" ] || [ -L "$p" ] && echo "host path $p exists"
	done
	return 0
}

# A fresh target; vfs targets hold a lower layer's files first.
new_target() {
	local mode=$1 t=$SANDBOX/targets/t
	rm -rf "$SANDBOX/targets"
	mkdir -p "$t"
	if [ "$mode" = vfs ]; then
		mkdir -p "$t/lower/sub"
		echo lower >"$t/lower/file"
		echo lower >"$t/lower/sub/deep"
	fi
	echo "$t"
}

apply_layer() {
	local name=$1 mode=$2 args=$3 target=$4 opts=()
	[ "$mode" = vfs ] && opts+=(--vfs)
	[ "$args" = - ] || opts+=("$args")
	layer-apply "${opts[@]}" "$HOSTILE/$name" "$target"
}

@test "archive: the hostile corpus has at least 20 layers, each with its outcome" {
	local n
	n=$(grep -c . "$HOSTILE/MANIFEST")
	[ "$n" -ge 20 ]
	while IFS=$'\t' read -r name outcome mode args what; do
		[ -f "$HOSTILE/$name" ] || fail "$name is in the manifest but was not made"
		[[ $outcome == accept || $outcome == reject ]] || fail "$name: outcome \"$outcome\""
		[[ $mode == overlay || $mode == vfs ]] || fail "$name: mode \"$mode\""
		[ -n "$args" ] && [ -n "$what" ]
	done <"$HOSTILE/MANIFEST"
	[ "$(grep -c $'\treject\t' "$HOSTILE/MANIFEST")" -ge 20 ]
}

@test "archive: every hostile layer gets its outcome and writes nothing outside the target" {
	local failures=() before after t
	while IFS=$'\t' read -r name outcome mode args what; do
		t=$(new_target "$mode")
		before=$(snapshot "$t")
		if out=$(apply_layer "$name" "$mode" "$args" "$t" 2>&1); then
			got=accept
		else
			got=reject
		fi
		after=$(snapshot "$t")
		if [ "$got" != "$outcome" ]; then
			failures+=("$name ($what): expected $outcome, got $got: $out")
		fi
		if [ "$before" != "$after" ]; then
			failures+=("$name ($what): changed outside the target: $(diff <(echo "$before") <(echo "$after") || true)")
		fi
		if [ "$got" = reject ]; then
			# a clear error, and the caller's cleanup took the target away
			[[ $out == "layer-apply: "?* ]] || failures+=("$name: no error message: $out")
			[ ! -e "$t" ] || failures+=("$name: rejected, but the target is still there")
		fi
	done <"$HOSTILE/MANIFEST"
	[ -z "$(ls -A "$CANARY")" ] || failures+=("the canary is not empty: $(ls -A "$CANARY")")
	[ "$(cat "$DECOY/file")" = "must survive" ] || failures+=("the decoy file is gone")
	if [ ${#failures[@]} -gt 0 ]; then
		printf '%s\n' "${failures[@]}" >&2
		return 1
	fi
}

@test "archive: rejected layers say what was wrong" {
	local t
	t=$(new_target overlay)
	run -1 apply_layer dotdot-relative.tar overlay - "$t"
	assert_output 'layer-apply: entry "../../x": path escapes the layer root'
	t=$(new_target overlay)
	run -1 apply_layer truncated.tar.gz overlay - "$t"
	assert_output "layer-apply: unexpected end of layer data"
	t=$(new_target overlay)
	run -1 apply_layer hardlink-absolute.tar overlay - "$t"
	assert_output --partial "is not an earlier entry of this layer"
	t=$(new_target overlay)
	run -1 apply_layer whiteout-dotdot.tar overlay - "$t"
	assert_output 'layer-apply: entry "a/.wh...": invalid whiteout: it names no file'
	t=$(new_target overlay)
	run -1 apply_layer too-many-entries.tar overlay --max-entries=100 "$t"
	assert_output "layer-apply: layer has more than 100 entries"
}

@test "archive: escapes through symlinks land inside the target" {
	local t
	t=$(new_target overlay)
	apply_layer symlink-root-then-file.tar overlay - "$t"
	assert_equal "$(cat "$t/etc/passwd")" "root::0:0::/:/bin/sh"
	t=$(new_target overlay)
	apply_layer symlink-canary-dir-then-file.tar overlay - "$t"
	[ -f "$t$CANARY/file" ]
	t=$(new_target overlay)
	apply_layer symlink-dotdot-chain.tar overlay - "$t"
	[ -f "$t/escape" ]
	t=$(new_target overlay)
	apply_layer absolute-path.tar overlay - "$t"
	[ -f "$t/abs/x" ]
	t=$(new_target overlay)
	apply_layer nul-in-name.tar overlay - "$t"
	[ -f "$t/safe" ]
	assert_equal "$(find "$t" -mindepth 1 | wc -l)" 1
}

@test "archive: a hard link to a symlink links the symlink, not what it names" {
	local t links
	links=$(stat -c %h /etc/passwd)
	t=$(new_target overlay)
	apply_layer hardlink-to-symlink.tar overlay - "$t"
	[ -L "$t/h" ]
	assert_equal "$(readlink "$t/h")" /etc/passwd
	assert_equal "$(stat -c %h "$t/s")" 2
	assert_equal "$(stat -c %h /etc/passwd)" "$links"
}

@test "archive: whiteouts through symlinks delete inside only (vfs)" {
	local t
	t=$(new_target vfs)
	apply_layer whiteout-through-symlink.tar vfs - "$t"
	[ ! -e "$t/lower/file" ]
	[ -f "$t/lower/sub/deep" ]
	t=$(new_target vfs)
	apply_layer opaque-lower-through-symlink.tar vfs - "$t"
	[ -d "$t/lower" ]
	assert_equal "$(ls -A "$t/lower")" ""
	t=$(new_target vfs)
	apply_layer opaque-through-symlink.tar vfs - "$t"
	# emptied by the opaque marker (reached as s/, not as the path it was
	# made by, as Docker's vfs driver does), and only inside
	[ -d "$t$DECOY" ]
	assert_equal "$(ls -A "$t$DECOY")" ""
	assert_equal "$(cat "$DECOY/file")" "must survive"
}

@test "archive: setuid bits and devices are kept, forged overlay xattrs dropped" {
	local t
	t=$(new_target overlay)
	apply_layer setuid-root.tar overlay - "$t"
	assert_equal "$(stat -c '%a %U' "$t/bin/su")" "4755 root"
	t=$(new_target overlay)
	apply_layer device-inside.tar overlay - "$t"
	assert_equal "$(stat -c '%F %t:%T' "$t/dev/mem")" "character special file 1:1"
	assert_equal "$(stat -c '%F %t:%T' "$t/dev/sda")" "block special file 8:0"
	t=$(new_target overlay)
	apply_layer forged-overlay-xattrs.tar overlay - "$t"
	run python3 -c 'import os, sys; print(sorted(os.listxattr(sys.argv[1])))' "$t/opt"
	assert_success
	refute_output --partial overlay
}

@test "archive: plain, gzip and zstd give one diff ID; the blob digest is sha256 of the file" {
	local f t ids=()
	for f in plain.tar plain.tar.gz plain.tar.zst two-members.tar.gz; do
		t=$(new_target overlay)
		run -0 layer-apply "$HOSTILE/$f" "$t"
		assert_line "blob=sha256:$(sha256sum "$HOSTILE/$f" | cut -d' ' -f1)"
		ids+=("$(grep '^diff_id=' <<<"$output")")
	done
	assert_equal "${ids[0]}" "diff_id=sha256:$(sha256sum "$HOSTILE/plain.tar" | cut -d' ' -f1)"
	assert_equal "${ids[1]}" "${ids[0]}"
	assert_equal "${ids[2]}" "${ids[0]}"
	# two members are one stream: the tar twice over (the second one unread)
	assert_equal "${ids[3]}" "diff_id=sha256:$(cat "$HOSTILE/plain.tar" "$HOSTILE/plain.tar" |
		sha256sum | cut -d' ' -f1)"
	# from a pipe, as a download streams in
	t=$(new_target overlay)
	# shellcheck disable=SC2016 # expanded by the inner shell
	run -0 bash -c 'cat "$1" | layer-apply - "$2"' _ "$HOSTILE/plain.tar.zst" "$t"
	assert_line "${ids[0]}"
	[ -f "$t/etc/hostname" ]
}

@test "archive: a digest mismatch is rejected with both digests named" {
	local t want wrong
	want=sha256:$(sha256sum "$HOSTILE/plain.tar.gz" | cut -d' ' -f1)
	wrong=sha256:$(printf '%064d' 0)
	t=$(new_target overlay)
	run -1 layer-apply --expect-blob "$wrong" "$HOSTILE/plain.tar.gz" "$t"
	assert_output "layer-apply: layer $wrong: digest mismatch: expected $wrong, got $want"
	[ ! -e "$t" ]
	t=$(new_target overlay)
	run -0 layer-apply --expect-blob "$want" "$HOSTILE/plain.tar.gz" "$t"
}

@test "archive: diff of an applied layer applies back to the same tree, byte for byte the same" {
	local t=$HUSK_TEST_DIR/rt
	rm -rf "$t" && mkdir -p "$t/a" "$t/b"
	layer-apply "$HOSTILE/device-inside.tar" "$t/a" >/dev/null
	layer-apply "$HOSTILE/duplicate-entries.tar" "$t/a" >/dev/null
	layer-apply "$HOSTILE/setuid-root.tar" "$t/a" >/dev/null
	run -0 layer-apply diff --timestamp 1000 "$t/a" "$t/1.tar.gz"
	run -0 layer-apply diff --timestamp 1000 "$t/a" "$t/2.tar.gz"
	cmp "$t/1.tar.gz" "$t/2.tar.gz"
	run -0 layer-apply "$t/1.tar.gz" "$t/b"
	# the same tree, but for mtimes, clamped to the timestamp
	assert_equal "$(cd "$t/b" && find . -printf '%p %y %m %U:%G %s\n' | sort)" \
		"$(cd "$t/a" && find . -printf '%p %y %m %U:%G %s\n' | sort)"
	assert_equal "$(find "$t/b" -mindepth 1 -newermt @1000 | wc -l)" 0
}

@test "archive: independent layers apply concurrently" {
	local t=$HUSK_TEST_DIR/many
	rm -rf "$t" && mkdir -p "$t/1" "$t/2" "$t/3"
	run -0 layer-apply many "$HOSTILE/plain.tar.gz" "$t/1" "$HOSTILE/bomb-ish.tar.zst" "$t/2" \
		"$HOSTILE/setuid-root.tar" "$t/3"
	assert_equal "$(grep -c '^diff_id=' <<<"$output")" 3
	[ -f "$t/1/etc/hostname" ] && [ -f "$t/2/zeros" ] && [ -f "$t/3/bin/su" ]
	run -1 layer-apply many "$HOSTILE/plain.tar.gz" "$t/1" "$HOSTILE/truncated.tar.zst" "$t/2"
	assert_output "layer-apply: layer 1: unexpected end of layer data"
}
