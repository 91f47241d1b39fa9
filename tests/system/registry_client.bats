#!/usr/bin/env bats
# The registry client (src/registry) against real registries on 127.0.0.1,
# driven by registry-tool: Debian's docker-registry (distribution 2.8)
# anonymous, with htpasswd basic auth, with token auth (a token server in
# registry-helper.py), with TLS and client certificates; registry-helper.py
# proxies in front of it that cut a download, fail once, corrupt blobs and
# redirect to another host; husk-registry when it is built. Two stores stand
# in for two computers. Ports 5200-5299 only.

load helpers
load docker_registry

ANON=127.0.0.1:5201  # anonymous
AUTH=127.0.0.1:5202  # htpasswd: alice / secret; foreign URLs allowed
TOKEN=127.0.0.1:5203 # token auth, token server on 5204: bob / hunter2
TOKSRV=127.0.0.1:5204
CUT=127.0.0.1:5205   # proxy to ANON: cuts the first blob download, fails a manifest once
BAD=127.0.0.1:5206   # proxy to ANON: corrupts layers
REDIR=127.0.0.1:5207 # proxy to AUTH: redirects blob downloads to 127.0.0.2:5208
FILES=127.0.0.1:5209 # serves a foreign layer
HUSKREG=127.0.0.1:5210
TLSREG=127.0.0.1:5211 # TLS, client certificates required
LOGPX=127.0.0.1:5212  # proxy to ANON that only logs
V6REG='[::1]:5213'    # anonymous, on IPv6 loopback

HELPER=$BATS_TEST_DIRNAME/registry-helper.py

# Start a background process of this file; teardown_file stops it.
start_bg() {
	local name=$1
	shift
	"$@" >>"$HUSK_TEST_DIR/$name.log" 2>&1 &
	echo "$!" >>"$HUSK_TEST_DIR/pids"
}

wait_port() {
	local host=${1%:*}
	host=${host#[}
	host=${host%]}
	for _ in $(seq 1 200); do
		if (exec 3<>"/dev/tcp/$host/${1##*:}") 2>/dev/null; then
			return 0
		fi
		sleep 0.05
	done
	echo "nothing listens on $1" >&2
	return 1
}

# A docker-registry named $1 on address $2; $3 is more YAML at the top level.
start_registry() {
	docker_registry_config "$HUSK_TEST_DIR/$1" "$2" "${3:-}"
	start_bg "$1" docker-registry serve "$HUSK_TEST_DIR/$1/config.yml"
	wait_port "$2"
}

start_token_registry() {
	local d=$HUSK_TEST_DIR/token
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/key.pem" -out "$d/cert.pem" \
		-days 2 -subj /CN=husk-test-token 2>/dev/null
	start_bg tokensrv python3 "$HELPER" token --addr "$TOKSRV" --key "$d/key.pem" \
		--cert "$d/cert.pem" --issuer husk-test-issuer --service husk-test-registry \
		--user bob --password hunter2 --log "$HUSK_TEST_DIR/token-requests.log"
	start_registry tokenreg "$TOKEN" "auth:
  token:
    realm: http://$TOKSRV/token
    service: husk-test-registry
    issuer: husk-test-issuer
    rootcertbundle: $d/cert.pem"
	wait_port "$TOKSRV"
}

setup_file() {
	husk_file_setup
	command -v docker-registry >/dev/null || skip "docker-registry is not installed"
	command -v python3 >/dev/null || skip "python3 is not installed"
	FIXTURE=$("$FIXTURES/mkbusybox.sh")
	export FIXTURE
	export S1=$HUSK_TEST_DIR/s1 S2=$HUSK_TEST_DIR/s2
	registry-tool --root "$S1" load "$FIXTURE/busybox.tar" >/dev/null
	htpasswd -Bbn alice secret >"$HUSK_TEST_DIR/htpasswd"
	start_registry anon "$ANON"
	start_registry auth "$AUTH" "auth:
  htpasswd:
    realm: husk-test
    path: $HUSK_TEST_DIR/htpasswd
validation:
  manifests:
    urls:
      allow:
        - ^http://127\\.0\\.0\\.1:5209/"
	start_token_registry
}

teardown_file() {
	local pid
	if [ -f "$HUSK_TEST_DIR/pids" ]; then
		while read -r pid; do
			kill "$pid" 2>/dev/null || true
		done <"$HUSK_TEST_DIR/pids"
	fi
	husk_file_teardown
}

rt() {
	registry-tool "$@"
}

image_id() { # store ref
	registry-tool --root "$1" id "$2"
}

# The unpacked top layer of an image.
top_layer() { # store ref
	registry-tool --root "$1" layers "$2" | tail -n 1
}

# busybox.tar plus a layer with /hello.txt, as a docker-archive tagged $2.
make_two_layer_image() { # out.tar name:tag
	local w=$HUSK_TEST_DIR/img2 base cfg d1 d2 name
	rm -rf "$w"
	mkdir -p "$w/src" "$w/out/base" "$w/out/top" "$w/files"
	tar -xf "$FIXTURE/busybox.tar" -C "$w/src"
	base=$(jq -r '.[0].Layers[0]' "$w/src/manifest.json")
	cfg=$(jq -r '.[0].Config' "$w/src/manifest.json")
	echo hello >"$w/files/hello.txt"
	tar --numeric-owner --owner=0 --group=0 --mtime=@0 -C "$w/files" \
		-cf "$w/out/top/layer.tar" hello.txt
	cp "$w/src/$base" "$w/out/base/layer.tar"
	d1=sha256:$(sha256sum <"$w/out/base/layer.tar" | cut -d' ' -f1)
	d2=sha256:$(sha256sum <"$w/out/top/layer.tar" | cut -d' ' -f1)
	jq -c --arg d1 "$d1" --arg d2 "$d2" \
		'.rootfs.diff_ids = [$d1, $d2] | .history = ((.history // []) + [{"created_by": "test: add hello.txt"}])' \
		"$w/src/$cfg" >"$w/config"
	name=$(sha256sum <"$w/config" | cut -d' ' -f1).json
	mv "$w/config" "$w/out/$name"
	jq -n --arg c "$name" --arg t "$2" \
		'[{Config: $c, RepoTags: [$t], Layers: ["base/layer.tar", "top/layer.tar"]}]' \
		>"$w/out/manifest.json"
	tar -C "$w/out" -cf "$1" manifest.json "$name" base top
}

# A one-layer image of the files in $3, as a docker-archive tagged $2.
make_image() { # out.tar name:tag dir
	local w=$HUSK_TEST_DIR/img1 d name
	rm -rf "$w"
	mkdir -p "$w/out/l"
	tar --numeric-owner --owner=0 --group=0 --mtime=@0 -C "$3" -cf "$w/out/l/layer.tar" .
	d=sha256:$(sha256sum <"$w/out/l/layer.tar" | cut -d' ' -f1)
	jq -nc --arg d "$d" '{architecture: "amd64", os: "linux", config: {Cmd: ["sh"]},
		rootfs: {type: "layers", diff_ids: [$d]}}' >"$w/config"
	name=$(sha256sum <"$w/config" | cut -d' ' -f1).json
	mv "$w/config" "$w/out/$name"
	jq -n --arg c "$name" --arg t "$2" '[{Config: $c, RepoTags: [$t], Layers: ["l/layer.tar"]}]' \
		>"$w/out/manifest.json"
	tar -C "$w/out" -cf "$1" manifest.json "$name" l
}

@test "push to docker-registry, pull into a second store: same image ID and layer contents" {
	rt --root "$S1" tag busybox "$ANON/busybox:latest"
	run rt --root "$S1" push "$ANON/busybox:latest"
	assert_success
	assert_line "The push refers to repository [$ANON/busybox]"
	assert_line --regexp '^[0-9a-f]{12}: Preparing$'
	assert_line --regexp '^[0-9a-f]{12}: Pushing [0-9]+/[0-9]+$'
	assert_line --regexp '^[0-9a-f]{12}: Pushed$'
	assert_line --regexp '^latest: digest: sha256:[0-9a-f]{64} size: [0-9]+$'
	assert_line --regexp '^aux: Tag=latest Digest=sha256:[0-9a-f]{64} Size=[0-9]+$'

	run rt --root "$S2" pull "$ANON/busybox"
	assert_success
	assert_line --index 0 "Pulling from busybox"
	assert_line --regexp '^[0-9a-f]{12}: Pulling fs layer$'
	assert_line --regexp '^[0-9a-f]{12}: Downloading [0-9]+/[0-9]+$'
	assert_line --regexp '^[0-9a-f]{12}: Verifying Checksum$'
	assert_line --regexp '^[0-9a-f]{12}: Download complete$'
	assert_line --regexp '^[0-9a-f]{12}: Extracting'
	assert_line --regexp '^[0-9a-f]{12}: Pull complete$'
	assert_line --regexp '^Digest: sha256:[0-9a-f]{64}$'
	assert_line "Status: Downloaded newer image for $ANON/busybox:latest"
	assert_line "ID $(image_id "$S1" busybox)"
	[ "$(image_id "$S2" "$ANON/busybox")" = "$(image_id "$S1" busybox)" ]
	diff -r "$(top_layer "$S1" busybox)" "$(top_layer "$S2" "$ANON/busybox")"
	run store-tool --root "$S2" check
	assert_success
}

@test "pull again: every layer Already exists, the image is up to date" {
	run rt --root "$S2" pull "$ANON/busybox:latest"
	assert_success
	assert_line --regexp '^[0-9a-f]{12}: Already exists$'
	refute_line --partial 'Downloading'
	assert_line "Status: Image is up to date for $ANON/busybox:latest"
}

@test "push again: Layer already exists; a second image shares the base layer" {
	run rt --root "$S1" push "$ANON/busybox"
	assert_success
	assert_line --regexp '^[0-9a-f]{12}: Layer already exists$'
	refute_line --regexp ': Pushed$'

	make_two_layer_image "$HUSK_TEST_DIR/two.tar" "$ANON/busybox:two"
	rt --root "$S1" load "$HUSK_TEST_DIR/two.tar"
	run rt --root "$S1" push "$ANON/busybox:two"
	assert_success
	assert_equal "$(grep -c ': Layer already exists$' <<<"$output")" 1
	assert_equal "$(grep -c ': Pushed$' <<<"$output")" 1
	# the top layer listed first, as docker push does
	assert_line --index 1 --regexp '^[0-9a-f]{12}: Preparing$'

	run rt --root "$S2" pull "$ANON/busybox:two"
	assert_success
	assert_equal "$(grep -c ': Already exists$' <<<"$output")" 1
	assert_equal "$(grep -c ': Pull complete$' <<<"$output")" 1
	[ "$(cat "$(top_layer "$S2" "$ANON/busybox:two")/hello.txt")" = hello ]
	[ "$(image_id "$S2" "$ANON/busybox:two")" = "$(image_id "$S1" "$ANON/busybox:two")" ]
}

@test "push to another repository of the registry: Mounted from, nothing uploaded" {
	rt --root "$S1" tag busybox "$ANON/team/copy:1"
	run rt --root "$S1" push "$ANON/team/copy:1"
	assert_success
	assert_line --regexp '^[0-9a-f]{12}: Mounted from busybox$'
	refute_line --regexp ': Pushing'
	# the second store learnt where its blobs came from by pulling
	rt --root "$S2" tag "$ANON/busybox" "$ANON/team/other:1"
	run rt --root "$S2" push "$ANON/team/other:1"
	assert_success
	assert_line --regexp '^[0-9a-f]{12}: Mounted from (busybox|team/copy)$'
	run rt --root "$HUSK_TEST_DIR/s3" pull "$ANON/team/other:1"
	assert_success
}

@test "pull by digest, every tag with -a; a platform the image is not for is refused" {
	local digest
	digest=$(rt --root "$S2" pull "$ANON/busybox" | sed -n 's/^Digest: //p')
	run rt --root "$HUSK_TEST_DIR/s4" pull "$ANON/busybox@$digest"
	assert_success
	assert_line "Status: Downloaded newer image for $ANON/busybox@$digest"
	run rt --root "$HUSK_TEST_DIR/s4" pull -a "$ANON/busybox"
	assert_success
	assert_line --regexp "^Status: .* for $ANON/busybox:latest\$"
	assert_line "Status: Downloaded newer image for $ANON/busybox:two"
	run rt --root "$HUSK_TEST_DIR/s4" pull -a "$ANON/busybox:latest"
	assert_failure
	assert_output --partial "tag can't be used with --all-tags/-a"
	run -2 rt --root "$HUSK_TEST_DIR/s4" pull --platform linux/arm64 "$ANON/busybox"
	assert_output --partial "was found but does not match the specified platform: wanted linux/arm64, actual: linux/amd64"
}

@test "errors: an unknown tag, an unknown local image, a registry that is not there" {
	run -2 rt --root "$S2" pull "$ANON/busybox:nope"
	assert_output "registry-tool: pull \"$ANON/busybox:nope\": manifest for $ANON/busybox:nope not found: manifest unknown: manifest unknown"
	run -2 rt --root "$S2" push "$ANON/nosuch:1"
	assert_output --partial "No such image: $ANON/nosuch:1"
	run -111 rt --root "$S2" pull 127.0.0.1:5299/busybox
	assert_output --partial 'Get "http://127.0.0.1:5299/v2/"'
	run -22 rt --root "$S2" pull 'Bad:Name'
	assert_output --partial 'invalid reference format'
}

@test "htpasswd basic auth: refused without or with a wrong password, login, push and pull" {
	rt --root "$S1" tag busybox "$AUTH/private/bb:1"
	run -13 rt --root "$S1" push "$AUTH/private/bb:1"
	assert_output --partial 'unauthorized: authentication required'
	run -13 rt --root "$S1" -u alice -p wrong push "$AUTH/private/bb:1"
	assert_output --partial 'unauthorized: authentication required'
	refute_output --partial wrong
	run -13 rt login "$AUTH" -u alice -p wrong
	assert_output "registry-tool: login attempt to http://$AUTH/v2/ failed with status: 401 Unauthorized"
	run rt login "$AUTH" -u alice -p secret
	assert_success
	assert_output "Login Succeeded"

	run rt --root "$S1" -u alice -p secret push "$AUTH/private/bb:1"
	assert_success
	assert_line --regexp ': Pushed$'
	run -13 rt --root "$HUSK_TEST_DIR/s5" pull "$AUTH/private/bb:1"
	run rt --root "$HUSK_TEST_DIR/s5" -u alice -p secret pull "$AUTH/private/bb:1"
	assert_success
	[ "$(image_id "$HUSK_TEST_DIR/s5" "$AUTH/private/bb:1")" = "$(image_id "$S1" busybox)" ]
}

@test "token auth: tokens for the scope, a mount with a token, login's identity token" {
	rt --root "$S1" tag busybox "$TOKEN/tok/a:1"
	run -13 rt --root "$S1" -u bob -p wrong push "$TOKEN/tok/a:1"
	assert_output --partial 'unauthorized: incorrect username or password'
	refute_output --partial wrong
	: >"$HUSK_TEST_DIR/token-requests.log"
	run rt --root "$S1" -u bob -p hunter2 push "$TOKEN/tok/a:1"
	assert_success
	assert_line --regexp ': Pushed$'
	# one token for the whole push, cached for its scope
	run cat "$HUSK_TEST_DIR/token-requests.log"
	assert_output 'token GET /token?account=bob&service=husk-test-registry&scope=repository%3atok%2fa%3apull%2cpush auth=Basic range=-'

	rt --root "$S1" tag busybox "$TOKEN/tok/b:1"
	run rt --root "$S1" -u bob -p hunter2 push "$TOKEN/tok/b:1"
	assert_success
	assert_line --regexp ': Mounted from tok/a$'
	grep -q 'scope=repository%3atok%2fa%3apull&scope=repository%3atok%2fb%3apull%2cpush' \
		"$HUSK_TEST_DIR/token-requests.log"

	run rt --root "$HUSK_TEST_DIR/s6" -u bob -p hunter2 pull "$TOKEN/tok/b:1"
	assert_success
	[ "$(image_id "$HUSK_TEST_DIR/s6" "$TOKEN/tok/b:1")" = "$(image_id "$S1" busybox)" ]

	run -13 rt login "$TOKEN" -u bob -p wrong
	assert_output "registry-tool: Get \"http://$TOKEN/v2/\": unauthorized: incorrect username or password"
	run rt login "$TOKEN" -u bob -p hunter2
	assert_success
	assert_line "Login Succeeded"
	local identity
	identity=$(sed -n 's/^Identity token: //p' <<<"$output")
	[ -n "$identity" ]
	run rt --root "$HUSK_TEST_DIR/s7" --identity-token "$identity" pull "$TOKEN/tok/a:1"
	assert_success
	grep -q '^token POST /token auth=none' "$HUSK_TEST_DIR/token-requests.log"
}

@test "a download cut in the middle resumes with Range; a 500 is retried" {
	start_bg cutproxy python3 "$HELPER" proxy --addr "$CUT" --upstream "$ANON" \
		--cut-after 100000 --fail-once --log "$HUSK_TEST_DIR/cut.log"
	wait_port "$CUT"
	run rt --root "$HUSK_TEST_DIR/s8" pull "$CUT/busybox"
	assert_success
	assert_line "ID $(image_id "$S1" busybox)"
	grep -q '^proxy cut after 100000 bytes$' "$HUSK_TEST_DIR/cut.log"
	grep -q '/blobs/sha256:.* range=bytes=100000-$' "$HUSK_TEST_DIR/cut.log"
	# the manifest: a 500 first, then again
	assert_equal "$(grep -c 'GET /v2/busybox/manifests/latest' "$HUSK_TEST_DIR/cut.log")" 2
	run store-tool --root "$HUSK_TEST_DIR/s8" check
	assert_success
}

@test "a registry serving wrong bytes: digest mismatch, nothing recorded" {
	start_bg badproxy python3 "$HELPER" proxy --addr "$BAD" --upstream "$ANON" --corrupt \
		--log "$HUSK_TEST_DIR/bad.log"
	wait_port "$BAD"
	run -84 rt --root "$HUSK_TEST_DIR/s9" pull "$BAD/busybox"
	assert_output --regexp 'layer sha256:[0-9a-f]{64}: .*digest mismatch'
	run -2 registry-tool --root "$HUSK_TEST_DIR/s9" id "$BAD/busybox"
	run store-tool --root "$HUSK_TEST_DIR/s9" ls
	assert_output ''
	run store-tool --root "$HUSK_TEST_DIR/s9" check
	assert_success
}

@test "a redirect to another host: the credentials are not forwarded" {
	rt --root "$S1" -u alice -p secret push "$AUTH/private/bb:1" >/dev/null
	start_bg redirproxy python3 "$HELPER" proxy --addr "$REDIR" --upstream "$AUTH" \
		--redirect 127.0.0.2:5208 --log "$HUSK_TEST_DIR/redir.log"
	wait_port "$REDIR"
	wait_port 127.0.0.2:5208
	run rt --root "$HUSK_TEST_DIR/s10" -u alice -p secret pull "$REDIR/private/bb:1"
	assert_success
	# the registry got them, the host it redirected to did not
	grep -q '^proxy GET /v2/private/bb/blobs/sha256:[0-9a-f]* auth=Basic' "$HUSK_TEST_DIR/redir.log"
	grep -q '^target GET /blob/sha256:[0-9a-f]*?sig=secret auth=none' "$HUSK_TEST_DIR/redir.log"
	run grep '^target .*auth=Basic' "$HUSK_TEST_DIR/redir.log"
	assert_failure
}

@test "a foreign layer comes from its URL, without credentials" {
	# shellcheck disable=SC1091
	source "$FIXTURE/digests.env"
	local w=$HUSK_TEST_DIR/foreign cfg loc size
	mkdir -p "$w/files"
	cp "$FIXTURE/oci/blobs/sha256/${LAYER_DIGEST#sha256:}" "$w/files/layer.tar.gz"
	cp "$FIXTURE/oci/blobs/sha256/${CONFIG_DIGEST#sha256:}" "$w/config.json"
	start_bg files python3 "$HELPER" files --addr "$FILES" --dir "$w/files" \
		--log "$HUSK_TEST_DIR/files.log"
	wait_port "$FILES"
	# the config goes to the registry, the layer only to the file server
	loc=$(curl -sf -u alice:secret -X POST -D - -o /dev/null "http://$AUTH/v2/foreign/blobs/uploads/" |
		tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
	[[ $loc == http* ]] || loc=http://$AUTH$loc
	curl -sf -u alice:secret -X PUT -H 'Content-Type: application/octet-stream' \
		--data-binary @"$w/config.json" "$loc&digest=$CONFIG_DIGEST"
	size=$(stat -c %s "$w/files/layer.tar.gz")
	jq -n --arg c "$CONFIG_DIGEST" --argjson cs "$(stat -c %s "$w/config.json")" \
		--arg l "$LAYER_DIGEST" --argjson ls "$size" --arg u "http://$FILES/layer.tar.gz" \
		'{schemaVersion: 2, mediaType: "application/vnd.docker.distribution.manifest.v2+json",
		  config: {mediaType: "application/vnd.docker.container.image.v1+json", size: $cs, digest: $c},
		  layers: [{mediaType: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
		            size: $ls, digest: $l, urls: [$u]}]}' >"$w/manifest.json"
	curl -sf -u alice:secret -X PUT \
		-H 'Content-Type: application/vnd.docker.distribution.manifest.v2+json' \
		--data-binary @"$w/manifest.json" "http://$AUTH/v2/foreign/manifests/v1"

	run rt --root "$HUSK_TEST_DIR/s11" -u alice -p secret pull "$AUTH/foreign:v1"
	assert_success
	assert_line "ID $CONFIG_DIGEST"
	grep -q '^files GET /layer.tar.gz auth=none' "$HUSK_TEST_DIR/files.log"
	diff -r "$(top_layer "$S1" busybox)" "$(top_layer "$HUSK_TEST_DIR/s11" "$AUTH/foreign:v1")"
	# and a push leaves the foreign layer out
	run rt --root "$HUSK_TEST_DIR/s11" -u alice -p secret push "$AUTH/foreign:v1"
	assert_success
	assert_line --regexp '^[0-9a-f]{12}: Skipped foreign layer$'
}

@test "TLS with a client certificate from the certs dir" {
	local d=$HUSK_TEST_DIR/tls c
	c=$d/certs.d/$TLSREG
	mkdir -p "$c"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.crt" -days 2 \
		-subj /CN=husk-test-ca 2>/dev/null
	for who in server client; do
		openssl req -newkey rsa:2048 -nodes -keyout "$d/$who.key" -out "$d/$who.csr" \
			-subj "/CN=husk-test-$who" 2>/dev/null
	done
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
		-days 2 -out "$d/server.crt" \
		-extfile <(printf 'subjectAltName=IP:127.0.0.1\n') 2>/dev/null
	openssl x509 -req -in "$d/client.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
		-days 2 -out "$d/client.crt" \
		-extfile <(printf 'extendedKeyUsage=clientAuth\n') 2>/dev/null
	cp "$d/ca.crt" "$c/ca.crt"
	cp "$d/client.crt" "$c/client.cert"
	cp "$d/client.key" "$c/client.key"
	start_registry tlsreg "$TLSREG" "http:
  addr: $TLSREG
  secret: husk-test
  tls:
    certificate: $d/server.crt
    key: $d/server.key
    clientcas:
      - $d/ca.crt"

	rt --root "$S1" tag busybox "$TLSREG/secure/bb:1"
	run rt --root "$S1" --certs-dir "$d/certs.d" push "$TLSREG/secure/bb:1"
	assert_success
	assert_line --regexp ': Pushed$'
	run rt --root "$HUSK_TEST_DIR/s12" --certs-dir "$d/certs.d" pull "$TLSREG/secure/bb:1"
	assert_success
	# without the client certificate the registry will not talk
	run rt --root "$HUSK_TEST_DIR/s12" pull "$TLSREG/secure/bb:1"
	assert_failure
	# a key without its certificate is a configuration error
	rm "$c/client.cert"
	run -22 rt --root "$HUSK_TEST_DIR/s12" --certs-dir "$d/certs.d" pull "$TLSREG/secure/bb:1"
	assert_output --partial 'missing client certificate'
}

@test "husk-registry: push, pull, already exists, cross-repository mount" {
	[ -x "$HUSK_BUILD/husk-registry" ] || skip "husk-registry is not built in $HUSK_BUILD"
	start_bg huskreg "$HUSK_BUILD/husk-registry" serve --addr "$HUSKREG" \
		--root "$HUSK_TEST_DIR/huskreg-data"
	wait_port "$HUSKREG"
	rt --root "$S1" tag busybox "$HUSKREG/busybox:1"
	run rt --root "$S1" push "$HUSKREG/busybox:1"
	assert_success
	assert_line --regexp ': Pushed$'
	run rt --root "$HUSK_TEST_DIR/s13" pull "$HUSKREG/busybox:1"
	assert_success
	[ "$(image_id "$HUSK_TEST_DIR/s13" "$HUSKREG/busybox:1")" = "$(image_id "$S1" busybox)" ]
	diff -r "$(top_layer "$S1" busybox)" "$(top_layer "$HUSK_TEST_DIR/s13" "$HUSKREG/busybox:1")"
	run rt --root "$HUSK_TEST_DIR/s13" pull "$HUSKREG/busybox:1"
	assert_line --regexp ': Already exists$'
	run rt --root "$S1" push "$HUSKREG/busybox:1"
	assert_line --regexp ': Layer already exists$'
	rt --root "$S1" tag busybox "$HUSKREG/other/bb:1"
	run rt --root "$S1" push "$HUSKREG/other/bb:1"
	assert_success
	assert_line --regexp ': Mounted from busybox$'
	run -2 rt --root "$HUSK_TEST_DIR/s13" pull "$HUSKREG/busybox:nope"
	assert_output --partial 'not found'
}

@test "a layer past 32 MiB goes up in PATCH chunks" {
	mkdir -p "$HUSK_TEST_DIR/bigfiles"
	head -c $((40 << 20)) /dev/urandom >"$HUSK_TEST_DIR/bigfiles/blob.bin"
	make_image "$HUSK_TEST_DIR/big.tar" "$LOGPX/big:1" "$HUSK_TEST_DIR/bigfiles"
	rm -rf "$HUSK_TEST_DIR/bigfiles"
	registry-tool --root "$S1" load "$HUSK_TEST_DIR/big.tar"
	rm -f "$HUSK_TEST_DIR/big.tar"
	start_bg logproxy python3 "$HELPER" proxy --addr "$LOGPX" --upstream "$ANON" \
		--log "$HUSK_TEST_DIR/logpx.log"
	wait_port "$LOGPX"
	run rt --root "$S1" push "$LOGPX/big:1"
	assert_success
	assert_line --regexp ': Pushed$'
	assert_equal "$(grep -c '^proxy PATCH /v2/big/blobs/uploads/' "$HUSK_TEST_DIR/logpx.log")" 2
	grep -q '^proxy PUT /v2/big/blobs/uploads/.*digest=sha256' "$HUSK_TEST_DIR/logpx.log"
	# the small config went up in one PUT
	assert_equal "$(grep -c '^proxy PUT /v2/big/blobs/uploads/' "$HUSK_TEST_DIR/logpx.log")" 2
	run rt --root "$HUSK_TEST_DIR/s14" pull "$ANON/big:1"
	assert_success
	[ "$(image_id "$HUSK_TEST_DIR/s14" "$ANON/big:1")" = "$(image_id "$S1" "$LOGPX/big:1")" ]
	cmp "$(top_layer "$S1" "$LOGPX/big:1")/blob.bin" \
		"$(top_layer "$HUSK_TEST_DIR/s14" "$ANON/big:1")/blob.bin"
}

@test "docker.io names are pulled from a mirror, without the Hub's credentials" {
	rt --root "$S1" tag busybox "$LOGPX/library/busybox:latest"
	rt --root "$S1" push "$LOGPX/library/busybox:latest" >/dev/null
	run rt --root "$HUSK_TEST_DIR/s15" -u hubuser -p hubpass --auth-host docker.io \
		--mirror "http://$LOGPX" pull busybox
	assert_success
	assert_line "Pulling from library/busybox"
	assert_line "Status: Downloaded newer image for busybox:latest"
	run rt --root "$HUSK_TEST_DIR/s15" id docker.io/library/busybox:latest
	assert_output "$(image_id "$S1" busybox)"
	run grep -c 'GET /v2/library/busybox/.* auth=none' "$HUSK_TEST_DIR/logpx.log"
	[ "$output" -ge 2 ]
	run grep 'GET /v2/library/busybox/.* auth=Basic' "$HUSK_TEST_DIR/logpx.log"
	assert_failure
	# not on the mirror: on to Docker Hub, which this host cannot reach
	run rt --root "$HUSK_TEST_DIR/s15" --mirror "http://$LOGPX" pull busybox:nosuchtag
	assert_failure
	assert_output --partial 'registry-1.docker.io'
}

@test "a registry on IPv6 loopback" {
	if ! ip -6 addr show dev lo 2>/dev/null | grep -q '::1/128'; then
		skip "::1 is not configured on lo"
	fi
	start_registry v6reg "$V6REG"
	rt --root "$S1" tag busybox "$V6REG/busybox:6"
	run rt --root "$S1" push "$V6REG/busybox:6"
	assert_success
	run rt --root "$HUSK_TEST_DIR/s16" pull "$V6REG/busybox:6"
	assert_success
	assert_line "Status: Downloaded newer image for $V6REG/busybox:6"
}
