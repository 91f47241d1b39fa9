#!/usr/bin/env bats
# huskd over TCP: only with client certificates (--tlsverify), or plain on
# loopback; the real docker CLI connects with its --tlsverify flags.

load helpers

PORT=5901

setup_file() {
	husk_file_setup
	require_cmd openssl
	local d=$HUSK_TEST_DIR/pki
	mkdir -p "$d"
	cd "$d" || return 1
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 2 \
		-subj /CN=husk-test-ca 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -keyout server-key.pem -out server.csr \
		-subj /CN=localhost 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >srv.cnf
	openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
		-out server-cert.pem -days 2 -extfile srv.cnf 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -keyout key.pem -out client.csr -subj /CN=client 2>/dev/null
	printf 'extendedKeyUsage=clientAuth\n' >cli.cnf
	openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
		-out cert.pem -days 2 -extfile cli.cnf 2>/dev/null
	# a certificate from another CA: must be refused
	openssl req -x509 -newkey rsa:2048 -nodes -keyout rogue-key.pem -out rogue.pem -days 2 \
		-subj /CN=rogue 2>/dev/null
	cd - >/dev/null || return 1
	export PKI=$d
	huskd_start -H "tcp://127.0.0.1:$PORT" --tlsverify --tlscacert "$d/ca.pem" \
		--tlscert "$d/server-cert.pem" --tlskey "$d/server-key.pem"
}

teardown_file() {
	husk_file_teardown
}

@test "a client certificate from the CA is served" {
	run curl -sS --cacert "$PKI/ca.pem" --cert "$PKI/cert.pem" --key "$PKI/key.pem" \
		"https://127.0.0.1:$PORT/_ping"
	assert_success
	assert_output OK
}

@test "no client certificate, or one from another CA, gets nothing" {
	run curl -sS --cacert "$PKI/ca.pem" "https://127.0.0.1:$PORT/_ping"
	assert_failure
	refute_output --partial OK
	run curl -sS --cacert "$PKI/ca.pem" --cert "$PKI/rogue.pem" --key "$PKI/rogue-key.pem" \
		"https://127.0.0.1:$PORT/version"
	assert_failure
	refute_output --partial ApiVersion
	run curl -sS "http://127.0.0.1:$PORT/_ping"
	refute_output OK
	grep -q 'refused a TLS client without a valid certificate' "$HUSK_TEST_DIR/huskd.log"
}

@test "the docker CLI drives huskd over TLS" {
	run /usr/local/bin/docker --tlsverify --tlscacert "$PKI/ca.pem" --tlscert "$PKI/cert.pem" \
		--tlskey "$PKI/key.pem" -H "tcp://127.0.0.1:$PORT" version --format '{{.Server.APIVersion}}'
	assert_success
	assert_output 1.44
}

@test "a TCP address other than loopback needs --tlsverify" {
	run huskd --config-file "$HUSK_TEST_DIR/daemon.json" --data-root "$HUSK_TEST_DIR/r2" \
		--exec-root "$HUSK_TEST_DIR/x2" -H tcp://0.0.0.0:5902
	assert_failure
	assert_output --partial 'needs client-certificate authentication'
	[ ! -e "$HUSK_TEST_DIR/x2/huskd.pid" ] || ! kill -0 "$(cat "$HUSK_TEST_DIR/x2/huskd.pid")" 2>/dev/null
	run huskd --config-file "$HUSK_TEST_DIR/daemon.json" --data-root "$HUSK_TEST_DIR/r2" \
		--exec-root "$HUSK_TEST_DIR/x2" -H tcp://127.0.0.1:5903 --tlsverify --tlscert "$PKI/cert.pem" \
		--tlskey "$PKI/key.pem"
	assert_failure
	assert_output --partial '--tlsverify needs --tlscacert'
	run huskd --config-file "$HUSK_TEST_DIR/daemon.json" --data-root "$HUSK_TEST_DIR/r2" \
		--exec-root "$HUSK_TEST_DIR/x2" -H tcp://127.0.0.1:http
	assert_failure
	assert_output --partial 'expected host:port'
}

@test "plain TCP on loopback is served, with a warning" {
	local root=$HUSK_TEST_DIR/r3 run=$HUSK_TEST_DIR/x3
	mkdir -p "$run"
	huskd --config-file "$HUSK_TEST_DIR/daemon.json" --data-root "$root" --exec-root "$run" \
		-H tcp://127.0.0.1:5904 >"$HUSK_TEST_DIR/plain.log" 2>&1 &
	local pid=$!
	for _ in $(seq 1 100); do
		curl -sf http://127.0.0.1:5904/_ping >/dev/null 2>&1 && break
		sleep 0.05
	done
	run curl -sS http://127.0.0.1:5904/_ping
	kill "$pid"
	wait "$pid" || true
	assert_output OK
	grep -q 'without TLS' "$HUSK_TEST_DIR/plain.log"
}
