#!/usr/bin/env bats
# husk-registry, the OCI distribution registry server, against real peers:
# curl for the spec's endpoints one by one (uploads in every shape, ranges,
# manifests, tags and catalog pagination, referrers, deletes, cross-repo
# mounts) and for hostile input (wrong digests, oversized and malformed
# manifests, path tricks, abandoned uploads); skopeo and podman for
# interop; htpasswd for basic auth; gc; TLS; read-only mode.
# Every registry listens on 127.0.0.1, ports 5110-5129.

load helpers

MAIN_PORT=5110

setup_file() {
	husk_file_setup
	# shellcheck disable=SC2153 # FIXTURES comes from helpers.bash
	FIXTURE=$("$FIXTURES/mkbusybox.sh")
	export FIXTURE
	mkdir -p "$HUSK_TEST_DIR/regs"
	reg_start main "$MAIN_PORT"
}

teardown_file() {
	local p
	for p in "$HUSK_TEST_DIR"/regs/*.pid; do
		[ -f "$p" ] && reg_stop "$(basename "$p" .pid)"
	done
	husk_file_teardown
}

setup() {
	URL=http://127.0.0.1:$MAIN_PORT
	T=$BATS_TEST_TMPDIR
}

# reg_start NAME PORT [ARGS...]: serve $HUSK_TEST_DIR/NAME.root (unless
# ARGS give --root) on PORT and wait until it answers.
reg_start() {
	local name=$1 port=$2 code
	shift 2
	husk-registry serve --addr "127.0.0.1:$port" --root "$HUSK_TEST_DIR/$name.root" "$@" \
		>>"$HUSK_TEST_DIR/regs/$name.log" 2>&1 &
	echo $! >"$HUSK_TEST_DIR/regs/$name.pid"
	for _ in $(seq 1 100); do
		code=$(curl -sk -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/" 2>/dev/null) || true
		case $code in 200 | 401) return 0 ;; esac
		code=$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$port/v2/" 2>/dev/null) || true
		case $code in 200 | 401) return 0 ;; esac
		kill -0 "$(cat "$HUSK_TEST_DIR/regs/$name.pid")" 2>/dev/null || break
		sleep 0.05
	done
	echo "husk-registry $name did not answer; its log:" >&2
	cat "$HUSK_TEST_DIR/regs/$name.log" >&2
	return 1
}

# reg_stop NAME: SIGTERM, wait (SIGKILL after 5 s); the exit status is
# in $REG_STATUS.
reg_stop() {
	local pidf=$HUSK_TEST_DIR/regs/$1.pid pid
	[ -f "$pidf" ] || return 0
	pid=$(cat "$pidf")
	rm -f "$pidf"
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null || true
	REG_STATUS=0
	wait "$pid" 2>/dev/null || REG_STATUS=$?
}

# api METHOD PATH [CURL ARGS...]: one request to $URL; sets code and body,
# headers in $T/hdrs. --path-as-is: the path goes out exactly as written.
api() {
	local m=$1 p=$2
	shift 2
	if [ "$m" = HEAD ]; then
		code=$(curl -s --path-as-is -I -o "$T/body" -D "$T/hdrs" -w '%{http_code}' "$@" "$URL$p")
		: >"$T/body"
	else
		code=$(curl -s --path-as-is -X "$m" -o "$T/body" -D "$T/hdrs" -w '%{http_code}' "$@" "$URL$p")
	fi
	body=$(tr -d '\0' <"$T/body")
}

# The value of reply header NAME.
hdr() {
	grep -i "^$1:" "$T/hdrs" | tail -1 | cut -d' ' -f2- | tr -d '\r'
}

errcode() {
	jq -r '.errors[0].code' <<<"$body"
}

# expect CODE [ERROR]: the last reply's status (and spec error code).
expect() {
	if [ "$code" != "$1" ]; then
		echo "expected HTTP $1, got $code: $body" >&2
		cat "$T/hdrs" >&2
		return 1
	fi
	if [ $# -gt 1 ] && [ "$(errcode)" != "$2" ]; then
		echo "expected error $2, got: $body" >&2
		return 1
	fi
}

sha() {
	echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"
}

# push_blob REPO FILE: monolithic upload; prints the digest.
push_blob() {
	local d
	d=$(sha "$2")
	api POST "/v2/$1/blobs/uploads/?digest=$d" --data-binary "@$2" \
		-H 'Content-Type: application/octet-stream'
	expect 201 || return 1
	echo "$d"
}

# make_image REPO: push a config and a layer; writes $T/manifest.json
# (an OCI image manifest over them) and sets CFG and LAYER.
make_image() {
	printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' >"$T/config"
	head -c 3000 /dev/urandom >"$T/layer"
	CFG=$(push_blob "$1" "$T/config") || return 1
	LAYER=$(push_blob "$1" "$T/layer") || return 1
	jq -cn --arg c "$CFG" --argjson cs "$(stat -c %s "$T/config")" \
		--arg l "$LAYER" --argjson ls "$(stat -c %s "$T/layer")" '{
		schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
		config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
		layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $l, size: $ls}]
	}' | tr -d '\n' >"$T/manifest.json"
}

put_manifest() { # REPO REF FILE [CONTENT-TYPE]
	api PUT "/v2/$1/manifests/$2" --data-binary "@$3" \
		-H "Content-Type: ${4:-application/vnd.oci.image.manifest.v1+json}"
}

# ---- command line ----

@test "husk-registry: --help, --version, bad flags and addresses" {
	run husk-registry --help
	assert_success
	assert_output --partial 'serve'
	assert_output --partial 'gc'
	run husk-registry serve --help
	assert_success
	assert_output --partial '--htpasswd'
	assert_output --partial '--read-only'
	run husk-registry --version
	assert_success
	assert_output --partial 'husk-registry version'
	run husk-registry frobnicate
	assert_failure
	assert_output --partial 'unknown command "frobnicate"'
	run husk-registry serve --addr nonsense --root "$BATS_TEST_TMPDIR/r"
	assert_failure
	assert_output --partial 'invalid address "nonsense"'
	run husk-registry serve --addr 127.0.0.1:5129 --root "$BATS_TEST_TMPDIR/r" --tls-cert /x
	assert_failure
	assert_output --partial 'both --tls-cert and --tls-key'
	run husk-registry serve --addr "127.0.0.1:$MAIN_PORT" --root "$BATS_TEST_TMPDIR/r"
	assert_failure
	assert_output --partial 'listen on "127.0.0.1:5110"'
	run husk-registry serve --upload-ttl soon
	assert_failure
	assert_output --partial 'invalid duration "soon"'
}

@test "husk-registry: /v2/ answers, with the API version header; unknown paths are 404" {
	api GET /v2/
	expect 200
	[ "$body" = '{}' ]
	[ "$(hdr Docker-Distribution-API-Version)" = registry/2.0 ]
	api GET /v2/nope
	expect 404 UNSUPPORTED
	api GET /
	expect 404
	api POST /v2/
	expect 405 UNSUPPORTED
	# one log line per request: method, path, status, bytes, duration
	grep -qF 'GET /v2/\" 200 2 bytes' "$HUSK_TEST_DIR/regs/main.log"
}

# ---- blobs and uploads ----

@test "uploads: monolithic POST, then HEAD and GET of the blob" {
	local d
	echo "hello registry" >"$T/blob"
	d=$(push_blob up/mono "$T/blob")
	[ "$(hdr Location)" = "/v2/up/mono/blobs/$d" ]
	[ "$(hdr Docker-Content-Digest)" = "$d" ]
	api HEAD "/v2/up/mono/blobs/$d"
	expect 200
	[ "$(hdr Content-Length)" = 15 ]
	[ "$(hdr Docker-Content-Digest)" = "$d" ]
	api GET "/v2/up/mono/blobs/$d"
	expect 200
	[ "$body" = "hello registry" ]
	[ "$(hdr Content-Type)" = application/octet-stream ]
}

@test "uploads: POST, PATCH chunks with Content-Range, status, PUT with digest" {
	local loc uuid d
	head -c 300000 /dev/urandom >"$T/blob"
	head -c 100000 "$T/blob" >"$T/c1"
	tail -c +100001 "$T/blob" | head -c 150000 >"$T/c2"
	tail -c +250001 "$T/blob" >"$T/c3"
	d=$(sha "$T/blob")
	api POST /v2/up/chunked/blobs/uploads/
	expect 202
	loc=$(hdr Location)
	uuid=$(hdr Docker-Upload-UUID)
	[ "$loc" = "/v2/up/chunked/blobs/uploads/$uuid" ]
	[ "$(hdr Range)" = 0-0 ]
	api PATCH "$loc" --data-binary @"$T/c1" -H 'Content-Range: 0-99999' \
		-H 'Content-Type: application/octet-stream'
	expect 202
	[ "$(hdr Range)" = 0-99999 ]
	# out of order: refused, nothing changes
	api PATCH "$loc" --data-binary @"$T/c3" -H 'Content-Range: 250000-299999'
	expect 416 BLOB_UPLOAD_INVALID
	[ "$(hdr Range)" = 0-99999 ]
	# Content-Length contradicting Content-Range
	api PATCH "$loc" --data-binary @"$T/c2" -H 'Content-Range: 100000-100009'
	expect 400 SIZE_INVALID
	api GET "$loc"
	expect 204
	[ "$(hdr Range)" = 0-99999 ]
	[ "$(hdr Docker-Upload-UUID)" = "$uuid" ]
	api PATCH "$loc" --data-binary @"$T/c2" -H 'Content-Range: 100000-249999'
	expect 202
	[ "$(hdr Range)" = 0-249999 ]
	# nothing is visible before the PUT
	api HEAD "/v2/up/chunked/blobs/$d"
	expect 404
	# the last chunk comes with the PUT
	api PUT "$loc?digest=$d" --data-binary @"$T/c3" -H 'Content-Range: 250000-299999'
	expect 201
	[ "$(hdr Docker-Content-Digest)" = "$d" ]
	api GET "/v2/up/chunked/blobs/$d"
	cmp "$T/blob" "$T/body"
	# the upload is over
	api GET "$loc"
	expect 404 BLOB_UPLOAD_UNKNOWN
}

@test "uploads: streamed PATCH without Content-Range (chunked encoding), PUT without a body" {
	local loc d
	head -c 2000000 /dev/urandom >"$T/blob"
	d=$(sha "$T/blob")
	api POST /v2/up/stream/blobs/uploads
	expect 202
	loc=$(hdr Location)
	api PATCH "$loc" -T "$T/blob" -H 'Transfer-Encoding: chunked'
	expect 202
	[ "$(hdr Range)" = 0-1999999 ]
	api PUT "$loc?digest=$d"
	expect 201
	api HEAD "/v2/up/stream/blobs/$d"
	expect 200
	[ "$(hdr Content-Length)" = 2000000 ]
}

@test "uploads: a wrong digest is refused, nothing is stored, the upload is gone" {
	local loc right wrong
	echo "actual content" >"$T/blob"
	right=$(sha "$T/blob")
	wrong=sha256:$(printf 'something else' | sha256sum | cut -d' ' -f1)
	api POST /v2/up/wrong/blobs/uploads/
	loc=$(hdr Location)
	api PATCH "$loc" --data-binary @"$T/blob"
	expect 202
	api PUT "$loc?digest=$wrong"
	expect 400 DIGEST_INVALID
	api HEAD "/v2/up/wrong/blobs/$wrong"
	expect 404
	api HEAD "/v2/up/wrong/blobs/$right"
	expect 404
	api GET "$loc"
	expect 404 BLOB_UPLOAD_UNKNOWN
	# monolithic with the wrong digest, a malformed one, none at all
	api POST "/v2/up/wrong/blobs/uploads/?digest=$wrong" --data-binary @"$T/blob"
	expect 400 DIGEST_INVALID
	api HEAD "/v2/up/wrong/blobs/$wrong"
	expect 404
	api POST "/v2/up/wrong/blobs/uploads/?digest=sha256:1234" --data-binary @"$T/blob"
	expect 400 DIGEST_INVALID
	api POST "/v2/up/wrong/blobs/uploads/?digest=md5:d41d8cd98f00b204e9800998ecf8427e" \
		--data-binary @"$T/blob"
	expect 400 DIGEST_INVALID
	api POST /v2/up/wrong/blobs/uploads/
	loc=$(hdr Location)
	api PUT "$loc" --data-binary @"$T/blob"
	expect 400 DIGEST_INVALID
	# no upload directory is left behind by the refused ones
	[ "$(find "$HUSK_TEST_DIR/main.root/uploads" -mindepth 1 -maxdepth 1 | wc -l)" -le 1 ]
}

@test "uploads: cancel with DELETE; unknown, foreign and malformed upload ids" {
	local loc other
	api POST /v2/up/cancel/blobs/uploads/
	loc=$(hdr Location)
	api DELETE "$loc"
	expect 204
	api PATCH "$loc" --data-binary 'x'
	expect 404 BLOB_UPLOAD_UNKNOWN
	api DELETE "$loc"
	expect 404 BLOB_UPLOAD_UNKNOWN
	# an upload belongs to its repository
	api POST /v2/up/mine/blobs/uploads/
	loc=$(hdr Location)
	other=${loc/up\/mine/up\/theirs}
	api PATCH "$other" --data-binary 'x'
	expect 404 BLOB_UPLOAD_UNKNOWN
	api GET /v2/up/mine/blobs/uploads/00000000-0000-4000-8000-000000000000
	expect 404 BLOB_UPLOAD_UNKNOWN
	api PATCH /v2/up/mine/blobs/uploads/..%2f..%2f..%2fetc --data-binary 'x'
	expect 404
	api PATCH /v2/up/mine/blobs/uploads/%2e%2e --data-binary 'x'
	expect 404 BLOB_UPLOAD_UNKNOWN
	api GET /v2/up/mine/blobs/uploads/
	expect 404 BLOB_UPLOAD_UNKNOWN
}

@test "uploads: concurrent uploads of the same blob all succeed" {
	local d i
	head -c 500000 /dev/urandom >"$T/blob"
	d=$(sha "$T/blob")
	for i in 1 2 3 4 5 6; do
		curl -s -o /dev/null -w '%{http_code}\n' -X POST --data-binary @"$T/blob" \
			"$URL/v2/up/same$i/blobs/uploads/?digest=$d" >"$T/code.$i" &
	done
	wait
	for i in 1 2 3 4 5 6; do
		[ "$(cat "$T/code.$i")" = 201 ]
		api GET "/v2/up/same$i/blobs/$d"
		cmp "$T/blob" "$T/body"
	done
}

@test "blobs: Range requests give 206 with Content-Range, 416 when unsatisfiable" {
	local d
	printf '0123456789' >"$T/blob"
	d=$(push_blob ranges "$T/blob")
	api GET "/v2/ranges/blobs/$d" -H 'Range: bytes=2-5'
	expect 206
	[ "$body" = 2345 ]
	[ "$(hdr Content-Range)" = "bytes 2-5/10" ]
	[ "$(hdr Content-Length)" = 4 ]
	api GET "/v2/ranges/blobs/$d" -H 'Range: bytes=7-'
	expect 206
	[ "$body" = 789 ]
	api GET "/v2/ranges/blobs/$d" -H 'Range: bytes=-3'
	expect 206
	[ "$body" = 789 ]
	api GET "/v2/ranges/blobs/$d" -H 'Range: bytes=5-100'
	expect 206
	[ "$body" = 56789 ]
	api GET "/v2/ranges/blobs/$d" -H 'Range: bytes=10-'
	expect 416
	[ "$(hdr Content-Range)" = "bytes */10" ]
	# malformed or several ranges: the whole blob
	api GET "/v2/ranges/blobs/$d" -H 'Range: bytes=5-2'
	expect 200
	[ "$body" = 0123456789 ]
	api GET "/v2/ranges/blobs/$d" -H 'Range: bytes=0-1,4-5'
	expect 200
}

@test "blobs: visible only in repositories they were pushed to or mounted into; delete" {
	local d
	echo "mount me" >"$T/blob"
	d=$(push_blob mount/src "$T/blob")
	api HEAD "/v2/mount/dst/blobs/$d"
	expect 404
	api GET "/v2/mount/dst/blobs/$d"
	expect 404 BLOB_UNKNOWN
	# from a repository that lacks it: a plain upload starts instead
	api POST "/v2/mount/dst/blobs/uploads/?mount=$d&from=mount/elsewhere"
	expect 202
	[ -n "$(hdr Docker-Upload-UUID)" ]
	api POST "/v2/mount/dst/blobs/uploads/?mount=$d&from=../mount/src"
	expect 202
	api POST "/v2/mount/dst/blobs/uploads/?mount=$d&from=mount/src"
	expect 201
	[ "$(hdr Location)" = "/v2/mount/dst/blobs/$d" ]
	[ "$(hdr Docker-Content-Digest)" = "$d" ]
	api HEAD "/v2/mount/dst/blobs/$d"
	expect 200
	api POST "/v2/mount/dst/blobs/uploads/?mount=sha256:bad&from=mount/src"
	expect 400 DIGEST_INVALID
	# DELETE unlinks it from one repository only
	api DELETE "/v2/mount/dst/blobs/$d"
	expect 202
	api HEAD "/v2/mount/dst/blobs/$d"
	expect 404
	api HEAD "/v2/mount/src/blobs/$d"
	expect 200
	api DELETE "/v2/mount/dst/blobs/$d"
	expect 404 BLOB_UNKNOWN
	api GET /v2/mount/src/blobs/sha256:nothex
	expect 400 DIGEST_INVALID
}

# ---- manifests ----

@test "manifests: PUT by tag, GET and HEAD by tag and digest, PUT by digest" {
	local d
	make_image man/basic
	d=$(sha "$T/manifest.json")
	put_manifest man/basic v1 "$T/manifest.json"
	expect 201
	[ "$(hdr Docker-Content-Digest)" = "$d" ]
	[ "$(hdr Location)" = "/v2/man/basic/manifests/$d" ]
	api GET /v2/man/basic/manifests/v1 -H 'Accept: application/vnd.oci.image.manifest.v1+json'
	expect 200
	[ "$body" = "$(cat "$T/manifest.json")" ]
	[ "$(hdr Content-Type)" = application/vnd.oci.image.manifest.v1+json ]
	[ "$(hdr Docker-Content-Digest)" = "$d" ]
	api HEAD /v2/man/basic/manifests/v1
	expect 200
	[ "$(hdr Content-Length)" = "$(stat -c %s "$T/manifest.json")" ]
	[ "$(hdr Docker-Content-Digest)" = "$d" ]
	api GET "/v2/man/basic/manifests/$d"
	expect 200
	put_manifest man/basic "$d" "$T/manifest.json"
	expect 201
	api GET /v2/man/basic/manifests/v2
	expect 404 MANIFEST_UNKNOWN
	api GET /v2/man/nothere/manifests/v1
	expect 404 NAME_UNKNOWN
	api GET /v2/man/basic/manifests/sha256:0000000000000000000000000000000000000000000000000000000000000000
	expect 404 MANIFEST_UNKNOWN
	api GET /v2/man/basic/manifests/sha256:xyz
	expect 400 DIGEST_INVALID
	# a tag that is not a tag
	api PUT /v2/man/basic/manifests/.hidden --data-binary @"$T/manifest.json"
	expect 400 MANIFEST_INVALID
}

@test "manifests: Docker schema 2 and manifest lists; OCI index; schema 1 refused" {
	local d dd
	make_image man/docker
	jq -c '.mediaType = "application/vnd.docker.distribution.manifest.v2+json"
		| .config.mediaType = "application/vnd.docker.container.image.v1+json"
		| .layers[0].mediaType = "application/vnd.docker.image.rootfs.diff.tar.gzip"' \
		"$T/manifest.json" | tr -d '\n' >"$T/docker.json"
	put_manifest man/docker amd64 "$T/docker.json" application/vnd.docker.distribution.manifest.v2+json
	expect 201
	dd=$(sha "$T/docker.json")
	api GET /v2/man/docker/manifests/amd64
	[ "$(hdr Content-Type)" = application/vnd.docker.distribution.manifest.v2+json ]
	jq -cn --arg d "$dd" --argjson s "$(stat -c %s "$T/docker.json")" '{
		schemaVersion: 2, mediaType: "application/vnd.docker.distribution.manifest.list.v2+json",
		manifests: [{mediaType: "application/vnd.docker.distribution.manifest.v2+json",
			digest: $d, size: $s, platform: {architecture: "amd64", os: "linux"}}]}' |
		tr -d '\n' >"$T/list.json"
	put_manifest man/docker latest "$T/list.json" application/vnd.docker.distribution.manifest.list.v2+json
	expect 201
	api GET /v2/man/docker/manifests/latest
	[ "$(hdr Content-Type)" = application/vnd.docker.distribution.manifest.list.v2+json ]
	# an OCI index over a manifest that is not in the repository
	jq -cn '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
		manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json",
			digest: "sha256:1111111111111111111111111111111111111111111111111111111111111111",
			size: 10}]}' >"$T/index.json"
	put_manifest man/docker idx "$T/index.json" application/vnd.oci.image.index.v1+json
	expect 400 MANIFEST_BLOB_UNKNOWN
	# schema 1, by body and by Content-Type
	echo '{"schemaVersion":1,"name":"man/docker","tag":"old","fsLayers":[],"history":[]}' >"$T/s1.json"
	put_manifest man/docker old "$T/s1.json" application/vnd.docker.distribution.manifest.v1+prettyjws
	expect 400 MANIFEST_INVALID
	[[ $body == *"schema 1"* ]]
	put_manifest man/docker old "$T/docker.json" application/vnd.docker.distribution.manifest.v1+json
	expect 400 MANIFEST_INVALID
	# a Content-Type that contradicts mediaType
	put_manifest man/docker bad "$T/docker.json" application/vnd.oci.image.manifest.v1+json
	expect 400 MANIFEST_INVALID
	d=$(sha "$T/list.json")
	api GET "/v2/man/docker/manifests/$d"
	expect 200
}

@test "manifests: hostile bodies get the spec's errors and store nothing" {
	local d
	make_image man/hostile
	# a layer the repository does not have
	jq -c '.layers[0].digest = "sha256:2222222222222222222222222222222222222222222222222222222222222222"' \
		"$T/manifest.json" >"$T/unknown.json"
	put_manifest man/hostile t "$T/unknown.json"
	expect 400 MANIFEST_BLOB_UNKNOWN
	[ "$(jq -r '.errors[0].detail.digest' <<<"$body")" = sha256:2222222222222222222222222222222222222222222222222222222222222222 ]
	# malformed JSON, not an object, no schemaVersion, a negative size
	printf '{"schemaVersion":2,' >"$T/bad.json"
	put_manifest man/hostile t "$T/bad.json"
	expect 400 MANIFEST_INVALID
	echo '[1,2]' >"$T/bad.json"
	put_manifest man/hostile t "$T/bad.json"
	expect 400 MANIFEST_INVALID
	echo '{"layers":[]}' >"$T/bad.json"
	put_manifest man/hostile t "$T/bad.json"
	expect 400 MANIFEST_INVALID
	jq -c '.layers[0].size = -1' "$T/manifest.json" >"$T/bad.json"
	put_manifest man/hostile t "$T/bad.json"
	expect 400 MANIFEST_INVALID
	# nested far too deep
	{ printf '{"schemaVersion":2,"annotations":'; printf '[%.0s' $(seq 1 500); printf ']%.0s' $(seq 1 500); printf '}'; } >"$T/deep.json"
	put_manifest man/hostile t "$T/deep.json"
	expect 400 MANIFEST_INVALID
	# larger than 4 MiB: with Content-Length, and streamed without it
	{ printf '{"schemaVersion":2,"x":"'; head -c 4300000 /dev/zero | tr '\0' a; printf '"}'; } >"$T/big.json"
	put_manifest man/hostile t "$T/big.json"
	expect 413 SIZE_INVALID
	api PUT /v2/man/hostile/manifests/t -T "$T/big.json" -H 'Transfer-Encoding: chunked' \
		-H 'Content-Type: application/vnd.oci.image.manifest.v1+json'
	expect 413 SIZE_INVALID
	# the wrong digest in the URL
	d=sha256:3333333333333333333333333333333333333333333333333333333333333333
	put_manifest man/hostile "$d" "$T/manifest.json"
	expect 400 DIGEST_INVALID
	# none of it was stored
	api GET /v2/man/hostile/tags/list
	expect 200
	[ "$(jq -c .tags <<<"$body")" = '[]' ]
	api GET "/v2/man/hostile/manifests/$(sha "$T/manifest.json")"
	expect 404 MANIFEST_UNKNOWN
}

@test "manifests: DELETE by digest removes its tags; DELETE of a tag" {
	local d
	make_image man/del
	d=$(sha "$T/manifest.json")
	put_manifest man/del a "$T/manifest.json"
	put_manifest man/del b "$T/manifest.json"
	api DELETE /v2/man/del/manifests/a
	expect 202
	api GET /v2/man/del/manifests/a
	expect 404 MANIFEST_UNKNOWN
	api GET /v2/man/del/manifests/b
	expect 200
	api DELETE "/v2/man/del/manifests/$d"
	expect 202
	api GET /v2/man/del/manifests/b
	expect 404 MANIFEST_UNKNOWN
	api GET "/v2/man/del/manifests/$d"
	expect 404 MANIFEST_UNKNOWN
	api DELETE "/v2/man/del/manifests/$d"
	expect 404 MANIFEST_UNKNOWN
	api DELETE /v2/man/del/manifests/never
	expect 404 MANIFEST_UNKNOWN
}

@test "tags/list and _catalog: n and last pagination with Link headers" {
	local t
	make_image page/one
	for t in t5 t1 t3 t2 t4; do
		put_manifest page/one "$t" "$T/manifest.json"
		expect 201
	done
	api GET /v2/page/one/tags/list
	expect 200
	[ "$(jq -c . <<<"$body")" = '{"name":"page/one","tags":["t1","t2","t3","t4","t5"]}' ]
	[ -z "$(hdr Link)" ]
	api GET '/v2/page/one/tags/list?n=2'
	[ "$(jq -c .tags <<<"$body")" = '["t1","t2"]' ]
	[ "$(hdr Link)" = '</v2/page/one/tags/list?last=t2&n=2>; rel="next"' ]
	api GET '/v2/page/one/tags/list?n=2&last=t2'
	[ "$(jq -c .tags <<<"$body")" = '["t3","t4"]' ]
	api GET '/v2/page/one/tags/list?n=2&last=t4'
	[ "$(jq -c .tags <<<"$body")" = '["t5"]' ]
	[ -z "$(hdr Link)" ]
	api GET '/v2/page/one/tags/list?n=0'
	[ "$(jq -c .tags <<<"$body")" = '[]' ]
	api GET '/v2/page/one/tags/list?n=-1'
	expect 400 PAGINATION_NUMBER_INVALID
	api GET '/v2/page/one/tags/list?n=abc'
	expect 400
	api GET /v2/page/none/tags/list
	expect 404 NAME_UNKNOWN
	# the catalog: page/one among the others, in order, paginated
	echo x >"$T/x"
	push_blob page/two "$T/x" >/dev/null
	push_blob page-a "$T/x" >/dev/null
	api GET /v2/_catalog
	expect 200
	jq -e '.repositories | index("page/one") < index("page/two") and index("page/two") < index("page-a")' <<<"$body"
	api GET '/v2/_catalog?n=1&last=page/one'
	[ "$(jq -c .repositories <<<"$body")" = '["page/two"]' ]
	[ "$(hdr Link)" = '</v2/_catalog?last=page/two&n=1>; rel="next"' ]
}

@test "referrers: a manifest with a subject is listed under it, filterable by artifactType" {
	local subject sig empty
	make_image ref/app
	put_manifest ref/app v1 "$T/manifest.json"
	subject=$(sha "$T/manifest.json")
	printf '{}' >"$T/empty"
	empty=$(push_blob ref/app "$T/empty")
	echo "signature" >"$T/sigblob"
	sig=$(push_blob ref/app "$T/sigblob")
	jq -cn --arg s "$subject" --argjson ss "$(stat -c %s "$T/manifest.json")" \
		--arg e "$empty" --arg g "$sig" '{
		schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
		artifactType: "application/vnd.example.sig",
		config: {mediaType: "application/vnd.oci.empty.v1+json", digest: $e, size: 2},
		layers: [{mediaType: "application/octet-stream", digest: $g, size: 10}],
		subject: {mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $s, size: $ss},
		annotations: {"org.example": "yes"}}' | tr -d '\n' >"$T/sig.json"
	put_manifest ref/app "$(sha "$T/sig.json")" "$T/sig.json"
	expect 201
	[ "$(hdr OCI-Subject)" = "$subject" ]
	api GET "/v2/ref/app/referrers/$subject"
	expect 200
	[ "$(hdr Content-Type)" = application/vnd.oci.image.index.v1+json ]
	[ "$(jq -r '.manifests | length' <<<"$body")" = 1 ]
	[ "$(jq -r '.manifests[0].digest' <<<"$body")" = "$(sha "$T/sig.json")" ]
	[ "$(jq -r '.manifests[0].artifactType' <<<"$body")" = application/vnd.example.sig ]
	[ "$(jq -r '.manifests[0].annotations["org.example"]' <<<"$body")" = yes ]
	api GET "/v2/ref/app/referrers/$subject?artifactType=application/vnd.example.sig"
	[ "$(jq -r '.manifests | length' <<<"$body")" = 1 ]
	[ "$(hdr OCI-Filters-Applied)" = artifactType ]
	api GET "/v2/ref/app/referrers/$subject?artifactType=application/other"
	[ "$(jq -r '.manifests | length' <<<"$body")" = 0 ]
	# an unknown subject: an empty index; a bad digest: 400
	api GET /v2/ref/app/referrers/sha256:4444444444444444444444444444444444444444444444444444444444444444
	expect 200
	[ "$(jq -r '.manifests | length' <<<"$body")" = 0 ]
	api GET /v2/ref/app/referrers/latest
	expect 400 DIGEST_INVALID
	# deleting the referrer removes it
	api DELETE "/v2/ref/app/manifests/$(sha "$T/sig.json")"
	expect 202
	api GET "/v2/ref/app/referrers/$subject"
	[ "$(jq -r '.manifests | length' <<<"$body")" = 0 ]
}

# ---- hostile input ----

@test "names: path tricks and invalid names get NAME_INVALID and touch nothing outside" {
	local before after
	before=$(find "$HUSK_TEST_DIR" -maxdepth 1 | sort)
	api GET /v2/../x/tags/list
	expect 400 NAME_INVALID
	api GET /v2/%2e%2e/x/tags/list
	expect 400 NAME_INVALID
	api POST /v2/%2e%2e/%2e%2e/escape/blobs/uploads/
	expect 400 NAME_INVALID
	api POST /v2/a/%2e%2e/%2e%2e/%2e%2e/escape/blobs/uploads/
	expect 400 NAME_INVALID
	api PUT /v2/a%2f..%2f..%2fescape/manifests/x --data-binary '{}'
	expect 400 NAME_INVALID
	api GET /v2/UPPER/tags/list
	expect 400 NAME_INVALID
	api GET /v2/a//b/tags/list
	expect 400 NAME_INVALID
	api GET /v2//abs/tags/list
	expect 400 NAME_INVALID
	api GET "/v2/$(printf 'a%.0s' $(seq 1 256))/tags/list"
	expect 400 NAME_INVALID
	api GET /v2/_layers/tags/list
	expect 400 NAME_INVALID
	api GET /v2/../x
	expect 404
	after=$(find "$HUSK_TEST_DIR" -maxdepth 1 | sort)
	[ "$before" = "$after" ]
	[ ! -e "$HUSK_TEST_DIR/escape" ] && [ ! -e "$HUSK_TEST_DIR/main.root/escape" ]
}

@test "uploads: an abandoned upload is never visible, survives a restart, and is purged" {
	local loc d end root=$HUSK_TEST_DIR/abandon.root
	reg_start abandon 5115
	URL=http://127.0.0.1:5115
	head -c 100000 /dev/urandom >"$T/blob"
	d=$(sha "$T/blob")
	api POST /v2/ab/one/blobs/uploads/
	loc=$(hdr Location)
	head -c 40000 "$T/blob" >"$T/part1"
	tail -c +40001 "$T/blob" >"$T/part2"
	api PATCH "$loc" --data-binary @"$T/part1" -H 'Content-Range: 0-39999'
	expect 202
	# a client that dies in the middle of a chunk
	head -c 5000 "$T/part2" >"$T/cut"
	{ printf 'PATCH %s HTTP/1.1\r\nHost: x\r\nContent-Length: 60000\r\nContent-Range: 40000-99999\r\n\r\n' "$loc"
	  cat "$T/cut"; } | timeout 2 socat -t 0.2 - TCP:127.0.0.1:5115 >/dev/null || true
	api HEAD "/v2/ab/one/blobs/$d"
	expect 404
	api GET "/v2/ab/one/blobs/$d"
	expect 404 BLOB_UNKNOWN
	# the upload resumes where the data ends, even across a restart (re-hashed)
	reg_stop abandon
	[ "$REG_STATUS" = 0 ]
	reg_start abandon 5115
	api GET "$loc"
	expect 204
	end=$(($(hdr Range | cut -d- -f2) + 1))
	[ "$end" -ge 40000 ]
	tail -c +$((end + 1)) "$T/blob" >"$T/rest"
	api PUT "$loc?digest=$d" --data-binary @"$T/rest" -H "Content-Range: $end-99999"
	expect 201
	# an abandoned one older than the TTL is purged at startup
	api POST /v2/ab/two/blobs/uploads/
	loc=$(hdr Location)
	api PATCH "$loc" --data-binary @"$T/part1"
	reg_stop abandon
	touch -d '2 hours ago' "$root"/uploads/*/data
	reg_start abandon 5115
	api GET "$loc"
	expect 404 BLOB_UPLOAD_UNKNOWN
	[ -z "$(ls "$root/uploads")" ]
	grep -q 'removed 1 abandoned upload' "$HUSK_TEST_DIR/regs/abandon.log"
	reg_stop abandon
}

@test "--read-only: reads work, every write is 405 UNSUPPORTED" {
	local d
	make_image ro/img
	put_manifest ro/img v1 "$T/manifest.json"
	expect 201
	reg_start ro 5112 --root "$HUSK_TEST_DIR/main.root" --read-only
	URL=http://127.0.0.1:5112
	api GET /v2/ro/img/manifests/v1
	expect 200
	api GET "/v2/ro/img/blobs/$LAYER"
	expect 200
	api POST /v2/ro/img/blobs/uploads/
	expect 405 UNSUPPORTED
	api POST "/v2/ro/img/blobs/uploads/?digest=$LAYER" --data-binary @"$T/layer"
	expect 405 UNSUPPORTED
	put_manifest ro/img v2 "$T/manifest.json"
	expect 405 UNSUPPORTED
	api DELETE /v2/ro/img/manifests/v1
	expect 405 UNSUPPORTED
	api DELETE "/v2/ro/img/blobs/$LAYER"
	expect 405 UNSUPPORTED
	d=$(sha "$T/manifest.json")
	api GET "/v2/ro/img/manifests/$d"
	expect 200
	reg_stop ro
	# read-only creates nothing
	run husk-registry serve --read-only --addr 127.0.0.1:5112 --root "$T/none"
	assert_failure
	assert_output --partial "open storage directory \"$T/none\""
	[ ! -e "$T/none" ]
}

@test "limits: past --max-connections a request gets 429 TOOMANYREQUESTS" {
	reg_start limits 5116 --max-connections 1
	URL=http://127.0.0.1:5116
	local fd
	# hold one connection open (not on fd 3: that one is bats')
	exec {fd}<>/dev/tcp/127.0.0.1/5116
	sleep 0.2
	api GET /v2/
	expect 429 TOOMANYREQUESTS
	[ "$(hdr Retry-After)" = 1 ]
	exec {fd}>&-
	sleep 0.2
	api GET /v2/
	expect 200
	reg_stop limits
	# --max-blob-size: announced or streamed, a larger blob is refused
	reg_start limits 5116 --max-blob-size 1000
	head -c 2000 /dev/urandom >"$T/blob"
	api POST "/v2/lim/blobs/uploads/?digest=$(sha "$T/blob")" --data-binary @"$T/blob"
	expect 413 SIZE_INVALID
	api POST /v2/lim/blobs/uploads/
	api PATCH "$(hdr Location)" -T "$T/blob" -H 'Transfer-Encoding: chunked'
	expect 413 SIZE_INVALID
	reg_stop limits
}

@test "addresses: [::1] serves; a non-loopback address warns (in a private network namespace)" {
	require_cmd unshare ip
	local pid out=$HUSK_TEST_DIR/regs/addr.log
	if ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1'; then
		husk-registry serve --addr '[::1]:5118' --root "$HUSK_TEST_DIR/v6.root" >"$out" 2>&1 &
		pid=$!
		for _ in $(seq 1 100); do
			curl -sg 'http://[::1]:5118/v2/' >/dev/null && break
			sleep 0.05
		done
		run curl -sg 'http://[::1]:5118/v2/'
		kill -TERM "$pid"
		wait "$pid"
		assert_output '{}'
		grep -q 'listening on \[::1\]:5118' "$out"
	fi
	# shellcheck disable=SC2016 # expanded by the inner shell
	run unshare --net sh -c '
		ip link set lo up
		husk-registry serve --addr 0.0.0.0:5119 --root "$1" 2>&1 &
		p=$!
		for i in $(seq 1 100); do
			curl -s http://127.0.0.1:5119/v2/ && break
			sleep 0.05
		done
		kill -TERM $p
		wait $p' sh "$HUSK_TEST_DIR/any.root"
	assert_success
	assert_output --partial '{}'
	assert_output --partial 'not a loopback address, without TLS'
}

# ---- interop ----

@test "skopeo: copy to husk-registry, inspect, copy back with the same digests" {
	require_cmd skopeo
	local reg=127.0.0.1:$MAIN_PORT
	# shellcheck disable=SC1091
	. "$FIXTURE/digests.env"
	run skopeo copy --dest-tls-verify=false "oci:$FIXTURE/oci:latest" "docker://$reg/a/busybox:1"
	assert_success
	run skopeo inspect --tls-verify=false "docker://$reg/a/busybox:1"
	assert_success
	[ "$(jq -r .Digest <<<"$output")" = "$MANIFEST_DIGEST" ]
	[ "$(jq -r '.Layers[0]' <<<"$output")" = "$LAYER_DIGEST" ]
	run skopeo inspect --tls-verify=false --raw "docker://$reg/a/busybox:1"
	assert_success
	[ "$(jq -r .config.digest <<<"$output")" = "$CONFIG_DIGEST" ]
	run skopeo copy --src-tls-verify=false "docker://$reg/a/busybox:1" "dir:$T/back"
	assert_success
	[ "$(sha "$T/back/manifest.json")" = "$MANIFEST_DIGEST" ]
	[ "$(sha "$T/back/${LAYER_DIGEST#sha256:}")" = "$LAYER_DIGEST" ]
	[ "$(sha "$T/back/${CONFIG_DIGEST#sha256:}")" = "$CONFIG_DIGEST" ]
	# a second copy to another repository mounts instead of uploading
	run skopeo copy --src-tls-verify=false --dest-tls-verify=false \
		"docker://$reg/a/busybox:1" "docker://$reg/b/busybox:copy"
	assert_success
	grep -qF 'POST /v2/b/busybox/blobs/uploads/\" 201' "$HUSK_TEST_DIR/regs/main.log"
	run skopeo list-tags --tls-verify=false "docker://$reg/a/busybox"
	assert_success
	[ "$(jq -c .Tags <<<"$output")" = '["1"]' ]
}

@test "podman: pulls from husk-registry" {
	require_cmd podman skopeo
	local reg=127.0.0.1:$MAIN_PORT pr
	skopeo copy --dest-tls-verify=false "oci:$FIXTURE/oci:latest" "docker://$reg/p/busybox:1" >/dev/null
	# Podman wants its runroot path under 50 characters
	pr=$(mktemp -d /tmp/hreg-pm.XXXXXX)
	: >"$pr/containers.conf"
	run env CONTAINERS_CONF="$pr/containers.conf" podman --root "$pr/root" --runroot "$pr/run" \
		--storage-driver vfs pull --tls-verify=false "$reg/p/busybox:1"
	local st=$status out=$output
	run env CONTAINERS_CONF="$pr/containers.conf" podman --root "$pr/root" --runroot "$pr/run" \
		--storage-driver vfs images --digests --format '{{.Repository}}:{{.Tag}} {{.Digest}}'
	local images=$output
	env CONTAINERS_CONF="$pr/containers.conf" podman --root "$pr/root" --runroot "$pr/run" \
		--storage-driver vfs rmi -af >/dev/null 2>&1 || true
	rm -rf "$pr"
	echo "$out"
	[ "$st" = 0 ]
	# shellcheck disable=SC1091
	. "$FIXTURE/digests.env"
	[[ $images == *"$reg/p/busybox:1 $MANIFEST_DIGEST"* ]]
}

@test "htpasswd: skopeo with the right credentials; wrong or none get 401 and a challenge" {
	require_cmd htpasswd skopeo
	local reg=127.0.0.1:5111
	htpasswd -Bbc "$T/htpasswd" alice 's3cr3t pass' 2>/dev/null
	reg_start auth 5111 --htpasswd "$T/htpasswd"
	URL=http://$reg
	api GET /v2/
	expect 401 UNAUTHORIZED
	[ "$(hdr WWW-Authenticate)" = 'Basic realm="husk-registry"' ]
	api GET /v2/_catalog -u alice:wrong
	expect 401 UNAUTHORIZED
	api GET /v2/_catalog -u bob:'s3cr3t pass'
	expect 401 UNAUTHORIZED
	api GET /v2/_catalog -u alice:'s3cr3t pass'
	expect 200
	# nothing but the challenge for a probe of a path
	api GET /v2/../../etc/passwd
	expect 401 UNAUTHORIZED
	run skopeo copy --dest-tls-verify=false --dest-creds 'alice:s3cr3t pass' \
		"oci:$FIXTURE/oci:latest" "docker://$reg/auth/busybox:1"
	assert_success
	run skopeo inspect --tls-verify=false --creds alice:nope "docker://$reg/auth/busybox:1"
	assert_failure
	assert_output --partial 'unauthorized'
	run skopeo inspect --tls-verify=false "docker://$reg/auth/busybox:1"
	assert_failure
	# the file is re-read when it changes
	htpasswd -Bb "$T/htpasswd" bob hunter2 2>/dev/null
	api GET /v2/_catalog -u bob:hunter2
	expect 200
	[ "$(jq -c .repositories <<<"$body")" = '["auth/busybox"]' ]
	# passwords never reach the log
	run grep -c -e s3cr3t -e hunter2 "$HUSK_TEST_DIR/regs/auth.log"
	assert_output 0
	reg_stop auth
	# a hash other than bcrypt is refused at start, naming the line
	htpasswd -bn carol x >>"$T/htpasswd"
	run husk-registry serve --addr 127.0.0.1:5111 --root "$HUSK_TEST_DIR/auth.root" \
		--htpasswd "$T/htpasswd"
	assert_failure
	assert_output --partial 'line 3: user "carol": unsupported hash format'
}

@test "TLS: --tls-cert/--tls-key serve HTTPS; skopeo pushes with the CA" {
	require_cmd openssl
	local reg=127.0.0.1:5113
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" \
		-days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
	reg_start tls 5113 --tls-cert "$T/cert.pem" --tls-key "$T/key.pem"
	run curl -s --cacert "$T/cert.pem" "https://$reg/v2/"
	assert_success
	assert_output '{}'
	# plain HTTP on the TLS port gets nothing useful
	run curl -s -o /dev/null -w '%{http_code}' "http://$reg/v2/"
	[ "$output" != 200 ]
	mkdir -p "$T/certs"
	cp "$T/cert.pem" "$T/certs/ca.crt"
	run skopeo copy --dest-cert-dir "$T/certs" "oci:$FIXTURE/oci:latest" "docker://$reg/tls/busybox:1"
	assert_success
	run skopeo copy --src-cert-dir "$T/certs" "docker://$reg/tls/busybox:1" "dir:$T/back"
	assert_success
	# shellcheck disable=SC1091
	. "$FIXTURE/digests.env"
	[ "$(sha "$T/back/${LAYER_DIGEST#sha256:}")" = "$LAYER_DIGEST" ]
	# without the CA: refused
	run skopeo inspect "docker://$reg/tls/busybox:1"
	assert_failure
	assert_output --partial 'certificate'
	reg_stop tls
	[ "$REG_STATUS" = 0 ]
	# a key that is no key
	echo junk >"$T/bad.pem"
	run husk-registry serve --addr "$reg" --root "$HUSK_TEST_DIR/tls.root" \
		--tls-cert "$T/cert.pem" --tls-key "$T/bad.pem"
	assert_failure
	assert_output --partial 'TLS'
}

# ---- gc ----

@test "gc: removes an unreferenced blob, keeps referenced ones; refuses while served read-write" {
	local junk root=$HUSK_TEST_DIR/gc.root reg=127.0.0.1:5114
	reg_start gc 5114
	URL=http://$reg
	skopeo copy --dest-tls-verify=false "oci:$FIXTURE/oci:latest" "docker://$reg/gc/busybox:1" >/dev/null
	echo "nobody references me" >"$T/junk"
	junk=$(push_blob gc/busybox "$T/junk")
	run husk-registry gc --root "$root"
	assert_failure
	assert_output --partial 'read-write husk-registry'
	reg_stop gc
	run husk-registry gc --root "$root" --dry-run
	assert_success
	assert_output --partial "would delete blob $junk"
	assert_output --partial '1 blobs eligible for deletion'
	[ -f "$root/blobs/sha256/${junk#sha256:}" ]
	run husk-registry gc --root "$root"
	assert_success
	assert_output --partial "deleted blob $junk"
	assert_output --partial '3 blobs marked, 1 blobs deleted'
	[ ! -e "$root/blobs/sha256/${junk#sha256:}" ]
	# what remains still serves a complete image
	reg_start gc 5114 --read-only
	api HEAD "/v2/gc/busybox/blobs/$junk"
	expect 404
	run skopeo copy --src-tls-verify=false "docker://$reg/gc/busybox:1" "dir:$T/after"
	assert_success
	# gc runs beside a read-only server
	run husk-registry gc --root "$root"
	assert_success
	assert_output --partial '0 blobs deleted'
	reg_stop gc
	# --delete-untagged: untag it, and the image goes
	reg_start gc 5114
	api DELETE /v2/gc/busybox/manifests/1
	expect 202
	reg_stop gc
	run husk-registry gc --root "$root" --delete-untagged
	assert_success
	assert_output --partial '1 manifests deleted'
	[ -z "$(ls "$root/blobs/sha256")" ]
}

@test "signals: SIGINT and SIGTERM stop the server cleanly" {
	reg_start sig 5117
	reg_stop sig
	[ "$REG_STATUS" = 0 ]
	grep -q 'husk-registry stopped' "$HUSK_TEST_DIR/regs/sig.log"
	reg_start sig 5117
	kill -INT "$(cat "$HUSK_TEST_DIR/regs/sig.pid")"
	sleep 0.5
	run curl -s "http://127.0.0.1:5117/v2/"
	assert_failure
	rm -f "$HUSK_TEST_DIR/regs/sig.pid"
	[ "$(grep -c 'husk-registry stopped' "$HUSK_TEST_DIR/regs/sig.log")" = 2 ]
}
