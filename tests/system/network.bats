#!/usr/bin/env bats
# Networking: the bridge network, published ports (from the host's
# loopback, from a "remote" client in a namespace of the test's own, from
# other containers), outbound NAT to an "upstream" server in another test
# namespace, UDP, user networks where containers find each other by name,
# the network commands and their errors, and no leak after start/stop
# cycles. Nothing leaves this machine: the addresses are the test's own.

load helpers

setup_file() {
	husk_file_setup
	require_cmd curl socat python3 ip nft
	huskd_start
	husk load -q -i "$("$FIXTURES/mkbusybox.sh")/busybox.tar" >/dev/null
	# a "remote client" and an "upstream server", each in a namespace
	# reached from the host over a veth pair
	ip netns add "hrc$$"
	ip netns add "hup$$"
	ip link add "hrc$$h" type veth peer name eth0 netns "hrc$$"
	ip link add "hup$$h" type veth peer name eth0 netns "hup$$"
	ip addr add 10.250.0.1/30 dev "hrc$$h"
	ip addr add 10.251.0.1/30 dev "hup$$h"
	ip link set "hrc$$h" up
	ip link set "hup$$h" up
	ip -n "hrc$$" addr add 10.250.0.2/30 dev eth0
	ip -n "hup$$" addr add 10.251.0.2/30 dev eth0
	ip -n "hrc$$" link set eth0 up
	ip -n "hup$$" link set eth0 up
	ip -n "hrc$$" link set lo up
	ip -n "hup$$" link set lo up
	ip -n "hrc$$" route add default via 10.250.0.1
	export RC="hrc$$" UP="hup$$"
}

teardown_file() {
	ip netns del "hrc$$" 2>/dev/null || true
	ip netns del "hup$$" 2>/dev/null || true
	husk_file_teardown
}

web() { # name, then run flags: a busybox httpd answering "hello from NAME"
	local name=$1
	shift
	husk run -d --name "$name" "$@" busybox sh -c \
		"mkdir -p /www && echo hello from $name >/www/index.html && exec httpd -f -p 8080 -h /www"
}

wait_http() {
	for _ in $(seq 1 100); do
		curl -sf -o /dev/null "$1" && return 0
		sleep 0.05
	done
	return 1
}

@test "a container on the bridge: eth0 with an address, a default route, its name in /etc/hosts" {
	run husk run --rm --hostname box busybox sh -c 'ip -o -4 addr show eth0; ip route; grep box /etc/hosts'
	assert_success
	assert_output --regexp 'eth0 +inet (10\.88|172\.[0-9]+)\.[0-9]+\.[0-9]+/16'
	assert_output --partial 'default via'
	assert_line --regexp '^[0-9.]+[[:space:]]+box$'
	run husk run --rm --network none busybox ls /sys/class/net
	assert_output lo
}

@test "a published port answers on 127.0.0.1, from a remote client, and from another container" {
	web w1 -p 127.0.0.1:18180:8080 -p 18181:8080
	wait_http http://127.0.0.1:18180/
	run curl -s http://127.0.0.1:18180/
	assert_output 'hello from w1'
	# from another host: the client namespace reaches the host's address
	run ip netns exec "$RC" curl -s --max-time 5 http://10.250.0.1:18181/
	assert_output 'hello from w1'
	# bound to 127.0.0.1 only: not from outside
	run ip netns exec "$RC" curl -s --max-time 2 http://10.250.0.1:18180/
	assert_failure
	# from a container, through the host's address
	run husk run --rm busybox timeout 10 wget -qO- http://10.250.0.1:18181/
	assert_output 'hello from w1'
	run husk port w1
	assert_line '8080/tcp -> 0.0.0.0:18181'
	assert_line '8080/tcp -> 127.0.0.1:18180'
	run husk ps --format '{{.Ports}}' --filter name=w1
	assert_output --partial '127.0.0.1:18180->8080/tcp'
	husk rm -f w1
	run curl -s --max-time 2 http://127.0.0.1:18180/
	assert_failure
}

@test "a port already in use fails the start and leaves nothing behind" {
	web w2 -p 18182:8080
	run husk run -d --name w3 -p 18182:8080 busybox sleep 60
	assert_failure
	assert_output --partial 'port is already allocated'
	run husk inspect -f '{{.State.Status}}' w3
	assert_output created
	# a port a host process holds
	socat TCP-LISTEN:18183,bind=127.0.0.1,fork,reuseaddr - </dev/null &
	local pid=$!
	sleep 0.3
	run husk run -d --name w4 -p 127.0.0.1:18183:8080 busybox sleep 60
	kill "$pid"
	assert_failure
	assert_output --partial '18183'
	husk rm -f w2 w3 w4
	run nft list map ip husk tcp_any
	refute_output --partial 18182
}

@test "random host ports: -p CPORT and -P for EXPOSEd ports" {
	husk run -d --name r1 -p 8080 --expose 9000 -P busybox sleep 60
	run husk port r1 8080
	assert_success
	assert_output --regexp '^0\.0\.0\.0:[0-9]+$'
	run husk port r1 9000
	assert_output --regexp '^0\.0\.0\.0:[0-9]+$'
	husk rm -f r1
}

@test "outbound NAT: a container reaches an upstream server, seen from the host's address" {
	ip netns exec "$UP" python3 -c '
import http.server, socketserver
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        b = ("client " + self.client_address[0]).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(b))); self.end_headers(); self.wfile.write(b)
    def log_message(self, *a): pass
socketserver.TCPServer(("10.251.0.2", 9000), H).handle_request()' &
	local pid=$!
	sleep 0.5
	run husk run --rm busybox timeout 10 wget -qO- http://10.251.0.2:9000/
	wait "$pid" || true
	assert_output 'client 10.251.0.1'
}

@test "UDP: a published UDP port reaches the container" {
	husk run -d --name u1 -p 127.0.0.1:18190:5353/udp busybox sleep 60
	local pid
	pid=$(husk inspect -f '{{.State.Pid}}' u1)
	nsenter --net="/proc/$pid/ns/net" socat UDP-RECVFROM:5353 SYSTEM:'echo pong' &
	local srv=$!
	sleep 0.3
	run bash -c 'echo ping | socat -t 2 - UDP:127.0.0.1:18190'
	kill "$srv" 2>/dev/null || true
	husk rm -f u1
	assert_output pong
}

@test "user networks: containers find each other by name and alias; network commands" {
	run husk network create --subnet 10.252.0.0/24 app
	assert_success
	run husk network create app
	assert_failure
	assert_output --partial 'network with name app already exists'
	run husk network create --subnet 10.252.0.128/25 app2
	assert_failure
	assert_output --partial 'overlaps'
	web db --network app --network-alias store
	run husk run --rm --network app busybox timeout 10 wget -qO- http://db:8080/
	assert_output 'hello from db'
	run husk run --rm --network app busybox timeout 10 wget -qO- http://store:8080/
	assert_output 'hello from db'
	run husk network ls --format '{{.Name}} {{.Driver}}'
	assert_line 'app bridge'
	assert_line 'bridge bridge'
	run husk network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' app
	assert_output 10.252.0.0/24
	run husk network rm app
	assert_failure
	assert_output --partial 'active endpoints'
	run husk network rm bridge
	assert_failure
	assert_output --partial 'pre-defined network'
	run husk run --rm --network nosuch busybox true
	assert_failure
	assert_output --partial 'network nosuch not found'
	run husk run --rm -p 70000:80 busybox true
	assert_failure
	husk rm -f db
	run husk network rm app
	assert_success
	run husk network prune -f
	assert_success
}

@test "the docker CLI: network ls, inspect, create, rm; run -p" {
	local dk=(/usr/local/bin/docker -H "unix://$HUSK_SOCK")
	run "${dk[@]}" network create dnet
	assert_success
	run "${dk[@]}" network ls --format '{{.Name}}'
	assert_line dnet
	"${dk[@]}" run -d --name dw -p 127.0.0.1:18184:8080 busybox sh -c \
		'mkdir -p /www && echo hi-docker >/www/index.html && exec httpd -f -p 8080 -h /www'
	wait_http http://127.0.0.1:18184/
	run curl -s http://127.0.0.1:18184/
	assert_output hi-docker
	run "${dk[@]}" port dw
	assert_output '8080/tcp -> 127.0.0.1:18184'
	"${dk[@]}" rm -f dw
	run "${dk[@]}" network rm dnet
	assert_success
}

@test "no leak after 100 start/stop cycles with a published port" {
	local veths
	veths=$(ip -o link | grep -c vhusk || true)
	husk create --name cyc -p 127.0.0.1:18185:8080 busybox true >/dev/null
	for _ in $(seq 1 100); do
		husk start cyc >/dev/null
		husk wait cyc >/dev/null
	done
	husk rm cyc
	# the last run's veth goes with its namespace, which the kernel
	# dismantles in the background
	for _ in $(seq 1 40); do
		[ "$(ip -o link | grep -c vhusk || true)" = "$veths" ] && break
		sleep 0.05
	done
	run bash -c "ip -o link | grep -c vhusk"
	assert_output "$veths"
	run nft list table ip husk
	refute_output --partial 18185
	run bash -c "ls $HUSK_EXEC_ROOT/netns 2>/dev/null | wc -l"
	assert_output 0
	run bash -c "ls $HUSK_DATA_ROOT/network/endpoints | wc -l"
	assert_output 0
	run husk system check
	assert_success
}

@test "system check reports a leaked endpoint" {
	husk run -d --name leak busybox sleep 60 >/dev/null
	local pid
	pid=$(husk inspect -f '{{.State.Pid}}' leak)
	# the endpoint record of a container that is not running any more
	cp "$HUSK_DATA_ROOT"/network/endpoints/"$(husk inspect -f '{{.Id}}' leak)"_*.json \
		"$HUSK_DATA_ROOT/network/endpoints/$(printf '%064d' 7)_x.json"
	husk rm -f leak >/dev/null
	[ -n "$pid" ]
	huskd_stop
	huskd_start
	run husk system check
	assert_output --partial 'which is not running'
}
