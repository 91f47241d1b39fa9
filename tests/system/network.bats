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
	# this daemon's default bridge and nftables table (husk0 and "husk"
	# belong to the default data root only)
	local h
	h=$(printf %s "$HUSK_DATA_ROOT" | sha256sum | cut -c1-8)
	export BR="husk$h" TABLE="husk_$h"
}

# The veths on this daemon's default bridge (other daemons' are not ours).
our_veths() {
	ip -o link show master "$BR" | grep -c vhusk || true
}

teardown_file() {
	ip netns del "hrc$$" 2>/dev/null || true
	ip netns del "hup$$" 2>/dev/null || true
	# the second daemon of the two-daemon test, when it failed half-way
	local pid2
	pid2=$(cat "$HUSK_TEST_DIR/run2/huskd.pid" 2>/dev/null) || true
	if [ -n "$pid2" ] && kill -0 "$pid2" 2>/dev/null; then
		husk -H "unix://$HUSK_TEST_DIR/run2/husk.sock" rm -f d2 >/dev/null 2>&1 || true
		kill -TERM "$pid2" 2>/dev/null || true
	fi
	husk_file_teardown
	# a daemon that was killed leaves its bridge
	ip link del "$BR" 2>/dev/null || true
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

# table_gone TABLE: nft has no such table within 2 s (huskd deletes its
# table on a thread of its own once the last endpoint went)
table_gone() {
	for _ in $(seq 1 40); do
		nft list table ip "$1" >/dev/null 2>&1 || return 0
		sleep 0.05
	done
	echo "table $1 is still there" >&2
	return 1
}

# The hooks of this daemon's BPF programs on the cgroup2 root, one a line.
our_progs() {
	local root
	for root in /sys/fs/cgroup /sys/fs/cgroup/unified; do
		[ "$(stat -f -c %T "$root" 2>/dev/null)" = cgroup2fs ] || continue
		bpftool -j cgroup show "$root" |
			jq -r --arg n "$TABLE" '.[] | select(.name == $n) | .attach_type' | sort
		return
	done
}

# Whether the host's connections to published ports are redirected here:
# bpftool and jq to look, and a kernel that took the programs (otherwise
# huskd said so, and DNAT serves alone).
redirect_here() {
	command -v bpftool >/dev/null && command -v jq >/dev/null &&
		! grep -q "no redirect of the host's own connections" "$HUSK_TEST_DIR/huskd.log"
}

# peer ADDR PORT: connect from the host; print the client's own address
# and the peer it is told
peer() {
	python3 -c 'import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
print(s.getsockname()[0], "%s:%d" % s.getpeername())' "$@"
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

@test "--mac-address: the container's interface has it; a malformed one is refused" {
	run husk run --rm --mac-address 02:42:ac:11:00:97 busybox cat /sys/class/net/eth0/address
	assert_success
	assert_output 02:42:ac:11:00:97
	run husk run --rm --mac-address 02:42:ac:11:00 busybox true
	assert_failure 125
	assert_output --partial '02:42:ac:11:00 is not a valid mac address'
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
	# the host ports are held, as docker-proxy holds them: nothing else on
	# the host (another daemon neither) can bind them while published
	run python3 -c 'import socket; socket.socket().bind(("0.0.0.0", 18181))'
	assert_failure
	assert_output --partial 'Address already in use'
	run python3 -c 'import socket; socket.socket().bind(("127.0.0.1", 18180))'
	assert_failure
	run husk ps --format '{{.Ports}}' --filter name=w1
	assert_output --partial '127.0.0.1:18180->8080/tcp'
	husk rm -f w1
	run curl -s --max-time 2 http://127.0.0.1:18180/
	assert_failure
	run python3 -c 'import socket; socket.socket().bind(("0.0.0.0", 18181))'
	assert_success
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
	# the network's own words (not the runtime's, whose namespace it took)
	assert_failure 125
	assert_output --partial 'Bind for 127.0.0.1:18183 failed: port is already allocated'
	husk rm -f w2 w3 w4
	run nft list map ip "$TABLE" tcp_any
	refute_output --partial 18182
}

@test "the host's own connections to a published port go straight to the container" {
	redirect_here || skip "no BPF redirect on this host (bpftool, jq or the kernel's support missing)"
	web rd1 -p 127.0.0.1:18192:8080 -p 18193:8080 >/dev/null
	wait_http http://127.0.0.1:18192/
	run our_progs
	assert_output "$(printf 'cgroup_inet4_connect\ncgroup_inet4_getpeername\ncgroup_inet_sock_release')"
	local gw
	gw=$(husk network inspect bridge --format '{{(index .IPAM.Config 0).Gateway}}')
	# the client leaves from the bridge's address; its peer is still the
	# published one
	run peer 127.0.0.1 18192
	assert_output "$gw 127.0.0.1:18192"
	run peer 127.0.0.1 18193
	assert_output "$gw 127.0.0.1:18193"
	run peer 127.0.0.7 18193
	assert_output "$gw 127.0.0.7:18193"
	run curl -s http://127.0.0.7:18193/
	assert_output "hello from rd1"
	# a container's own loopback is its own
	run husk run --rm busybox sh -c 'timeout 5 wget -qO- http://127.0.0.1:18193/ 2>&1'
	assert_output --partial 'Connection refused'
	# from another container, through the host's address (DNAT)
	run husk run --rm busybox timeout 10 wget -qO- http://10.250.0.1:18193/
	assert_output "hello from rd1"
	run husk system check
	assert_success
	husk rm -f rd1 >/dev/null
	run curl -s --max-time 2 http://127.0.0.1:18193/
	assert_failure
	table_gone "$TABLE"
	run our_progs
	assert_output ''
}

@test "the container sees a remote client's own address" {
	husk run -d --name ipw -p 18194:8080 busybox sh -c '
		mkdir -p /www/cgi-bin
		printf "#!/bin/sh\nprintf \"Content-Type: text/plain\\\\r\\\\n\\\\r\\\\n%%s\\\\n\" \"\$REMOTE_ADDR\"\n" >/www/cgi-bin/ip
		chmod +x /www/cgi-bin/ip
		exec httpd -f -p 8080 -h /www' >/dev/null
	wait_http http://127.0.0.1:18194/cgi-bin/ip
	# (httpd listens on IPv6 and tells v4 clients as [::ffff:a.b.c.d])
	run ip netns exec "$RC" curl -s --max-time 5 http://10.250.0.1:18194/cgi-bin/ip
	assert_output '[::ffff:10.250.0.2]'
	# the host's own connection leaves from the bridge's address
	run curl -s http://127.0.0.1:18194/cgi-bin/ip
	assert_output "[::ffff:$(husk network inspect bridge --format '{{(index .IPAM.Config 0).Gateway}}')]"
	husk rm -f ipw >/dev/null
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
	web db --network app --network-alias store --hostname dbhost
	run husk run --rm --network app busybox timeout 10 wget -qO- http://db:8080/
	assert_output 'hello from db'
	run husk run --rm --network app busybox timeout 10 wget -qO- http://store:8080/
	assert_output 'hello from db'
	# every name its inspect lists (DNSNames) answers: short ID, hostname
	local id
	id=$(husk inspect -f '{{.Id}}' db)
	run husk inspect -f '{{json .NetworkSettings.Networks.app.DNSNames}}' db
	assert_output "[\"db\",\"store\",\"${id:0:12}\",\"dbhost\"]"
	run husk run --rm --network app busybox timeout 10 wget -qO- "http://${id:0:12}:8080/"
	assert_output 'hello from db'
	run husk run --rm --network app busybox timeout 10 wget -qO- http://dbhost:8080/
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
	veths=$(our_veths)
	husk create --name cyc -p 127.0.0.1:18185:8080 busybox true >/dev/null
	for _ in $(seq 1 100); do
		husk start cyc >/dev/null
		husk wait cyc >/dev/null
	done
	husk rm cyc
	# the last run's veth goes with its namespace, which the kernel
	# dismantles in the background
	for _ in $(seq 1 40); do
		[ "$(our_veths)" = "$veths" ] && break
		sleep 0.05
	done
	run our_veths
	assert_output "$veths"
	run nft list table ip "$TABLE"
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
	# the forged record goes, and with it (at the next start) the table
	rm "$HUSK_DATA_ROOT/network/endpoints/$(printf '%064d' 7)_x.json"
	huskd_stop
	huskd_start
}

@test "network connect: a running container joins a user network, finds a container there by name; disconnect takes it away" {
	husk network create --subnet 10.252.7.0/24 hot >/dev/null
	web hw --network hot
	husk run -d --name hc busybox sleep 300 >/dev/null
	run husk network connect --alias helper hot hc
	assert_success
	run husk exec hc ip -o -4 addr show eth1
	assert_output --partial 'inet 10.252.7.'
	run husk exec hc timeout 10 wget -qO- http://hw:8080/
	assert_output 'hello from hw'
	# the others on the network know it by name and alias
	run husk exec hw grep -E 'hc helper [0-9a-f]{12}$' /etc/hosts
	assert_success
	run husk inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' hc
	assert_output 'bridge hot '
	run husk ps --filter name=hc --format '{{.Networks}}'
	assert_output 'bridge,hot'
	run husk network inspect -f '{{range .Containers}}{{.Name}} {{end}}' hot
	assert_output --partial hc
	run husk network disconnect hot hc
	assert_success
	run husk exec hc ip -o link show eth1
	assert_failure
	run husk exec hw grep -c hc /etc/hosts
	assert_output 0
	run husk ps --filter name=hc --format '{{.Networks}}'
	assert_output bridge
	# eth0 and its default route are untouched
	run husk exec hc ip route
	assert_output --partial 'default via'
	# the change is kept: a restart joins the bridge only
	husk restart -t 0 hc >/dev/null
	run husk exec hc ls /sys/class/net
	assert_output "$(printf 'eth0\nlo')"
	husk rm -f hw hc >/dev/null
	husk network rm hot >/dev/null
}

@test "network disconnect of the first network: the next one takes the default route and the published ports; a connect to a container without one gets them" {
	husk network create --subnet 10.252.11.0/24 gwnet >/dev/null
	web gw1 -p 127.0.0.1:18191:8080 >/dev/null
	husk network connect gwnet gw1
	wait_http http://127.0.0.1:18191/
	run husk exec gw1 ip route show default
	assert_output --partial 'dev eth0'
	husk network disconnect bridge gw1
	run husk exec gw1 ip route show default
	assert_output --partial 'via 10.252.11.1 dev eth1'
	run curl -s --max-time 5 http://127.0.0.1:18191/
	assert_output 'hello from gw1'
	run husk port gw1
	assert_output '8080/tcp -> 127.0.0.1:18191'
	# without a network, then connected again: route and ports come back
	husk network disconnect gwnet gw1
	run husk exec gw1 ip route show default
	assert_output ''
	run husk port gw1
	assert_output ''
	husk network connect bridge gw1
	run husk exec gw1 ip route show default
	assert_output --partial 'dev eth'
	run curl -s --max-time 5 http://127.0.0.1:18191/
	assert_output 'hello from gw1'
	husk rm -f gw1 >/dev/null
	husk network rm gwnet >/dev/null
	run husk system check
	assert_success
}

@test "network connect: a stopped container joins at its next start, with its address and alias" {
	husk network create --subnet 10.252.8.0/24 later >/dev/null
	web lw --network later
	husk create --name ls1 busybox sleep 300 >/dev/null
	run husk network connect --ip 10.252.8.77 --alias late later ls1
	assert_success
	run husk ps -a --filter name=ls1 --format '{{.Networks}}'
	assert_output 'bridge,later'
	husk start ls1 >/dev/null
	run husk exec ls1 ip -o -4 addr show eth1
	assert_output --partial 'inet 10.252.8.77/24'
	run husk exec ls1 ip -o -4 addr show eth0
	assert_output --partial inet
	run husk exec ls1 timeout 10 wget -qO- http://lw:8080/
	assert_output 'hello from lw'
	run husk exec lw ping -c 1 -W 5 late
	assert_success
	husk stop -t 0 ls1 >/dev/null
	# disconnected while stopped: not joined at the next start
	run husk network disconnect later ls1
	assert_success
	run husk network disconnect later ls1
	assert_failure
	assert_output --partial 'is not connected to the network later'
	husk start ls1 >/dev/null
	run husk exec ls1 ls /sys/class/net
	assert_output "$(printf 'eth0\nlo')"
	husk rm -f lw ls1 >/dev/null
	husk network rm later >/dev/null
}

@test "network connect/disconnect: dockerd's errors and statuses" {
	husk network create errnet >/dev/null
	husk run -d --name e1 --network errnet busybox sleep 300 >/dev/null
	api() { # verb network body
		curl -s -o "$HUSK_TEST_DIR/body" -w '%{http_code}' --unix-socket "$HUSK_SOCK" \
			-X POST -H 'Content-Type: application/json' -d "$3" "http://d/networks/$2/$1"
	}
	run api connect errnet '{"Container":"e1"}'
	assert_output 403
	run cat "$HUSK_TEST_DIR/body"
	assert_output --partial 'endpoint with name e1 already exists in network errnet'
	run api connect errnet '{"Container":"nosuch"}'
	assert_output 404
	run api connect nonet '{"Container":"e1"}'
	assert_output 404
	run api connect errnet '{}'
	assert_output 400
	run api connect errnet 'not json'
	assert_output 400
	run api connect bridge '{"Container":"e1","EndpointConfig":{"IPAMConfig":{"IPv4Address":"172.30.9.9"}}}'
	assert_output 400
	run cat "$HUSK_TEST_DIR/body"
	assert_output --partial 'user specified IP address is supported on user defined networks only'
	run api connect bridge '{"Container":"e1","EndpointConfig":{"Aliases":["x"]}}'
	assert_output 400
	run api disconnect bridge '{"Container":"e1"}'
	assert_output 500
	run cat "$HUSK_TEST_DIR/body"
	assert_output --regexp 'container [0-9a-f]{64} is not connected to network bridge'
	run husk network connect host e1
	assert_failure
	assert_output --partial 'container cannot be disconnected from host network or connected to host network'
	husk run -d --name eh --network host busybox sleep 300 >/dev/null
	run husk network connect errnet eh
	assert_output --partial 'container sharing network namespace with another container or host cannot be connected to any other network'
	run husk network disconnect host eh
	assert_output --partial 'container cannot be disconnected from host network or connected to host network'
	husk run -d --name ec --network container:e1 busybox sleep 300 >/dev/null
	run husk network connect errnet ec
	assert_output --partial 'container sharing network namespace with another container or host cannot be connected to any other network'
	husk run -d --name en --network none busybox sleep 300 >/dev/null
	run husk network connect errnet en
	assert_output --partial 'container cannot be connected to multiple networks with one of the networks in private (none) mode'
	run husk network connect errnet
	assert_failure
	assert_output --partial 'requires exactly 2 arguments'
	# a network in use by a connected container cannot go
	run husk network rm errnet
	assert_output --partial 'active endpoints'
	husk rm -f e1 eh ec en >/dev/null
	husk network rm errnet >/dev/null
}

@test "network connect/disconnect: events as dockerd's" {
	husk network create evnet >/dev/null
	husk run -d --name ev busybox sleep 300 >/dev/null
	local since
	since=$(date +%s)
	husk network connect evnet ev
	husk network disconnect evnet ev
	run husk events --since "$since" --until "$(($(date +%s) + 1))" --filter type=network \
		--format '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.type}} {{.Actor.Attributes.container}}'
	assert_line "connect evnet bridge $(husk inspect -f '{{.Id}}' ev)"
	assert_line "disconnect evnet bridge $(husk inspect -f '{{.Id}}' ev)"
	husk rm -f ev >/dev/null
	husk network rm evnet >/dev/null
}

@test "the docker CLI: network connect and disconnect" {
	local dk=(/usr/local/bin/docker -H "unix://$HUSK_SOCK")
	[ -x "${dk[0]}" ] || skip "the docker CLI is not installed"
	"${dk[@]}" network create dnet2 >/dev/null
	"${dk[@]}" run -d --name dc1 busybox sleep 300 >/dev/null
	run "${dk[@]}" network connect --alias dca dnet2 dc1
	assert_success
	run "${dk[@]}" inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}} {{end}}' dc1
	assert_output --regexp '^bridge=[0-9.]+ dnet2=[0-9.]+ $'
	run "${dk[@]}" network connect dnet2 dc1
	assert_failure
	assert_output --partial 'endpoint with name dc1 already exists in network dnet2'
	run "${dk[@]}" network disconnect dnet2 dc1
	assert_success
	run "${dk[@]}" network disconnect dnet2 dc1
	assert_failure
	assert_output --partial 'is not connected to network dnet2'
	run "${dk[@]}" network disconnect -f nosuchnet dc1
	assert_failure
	"${dk[@]}" rm -f dc1 >/dev/null
	"${dk[@]}" network rm dnet2 >/dev/null
}

@test "the nft table: there while a container runs, gone after the last one stops" {
	run husk ps -q
	assert_output ''
	run nft list table ip "$TABLE"
	assert_failure
	husk run -d --name t1 -p 127.0.0.1:5950:8080 busybox sleep 300 >/dev/null
	husk run -d --name t2 busybox sleep 300 >/dev/null
	run nft list table ip "$TABLE"
	assert_success
	assert_output --partial 5950
	husk rm -f t1 >/dev/null
	run nft list table ip "$TABLE"
	assert_success
	husk rm -f t2 >/dev/null
	table_gone "$TABLE"
	# the default data root's table is another daemon's business
	run nft list tables
	refute_line "table ip $TABLE"
}

@test "the nft table: kept over a daemon restart with a live container, a stale one deleted at start" {
	husk run -d --name lr busybox sleep 300 >/dev/null
	huskd_stop
	run nft list table ip "$TABLE"
	assert_success
	huskd_start
	run husk exec lr ls /sys/class/net
	assert_output "$(printf 'eth0\nlo')"
	husk rm -f lr >/dev/null
	table_gone "$TABLE"
	huskd_stop
	nft add table ip "$TABLE"
	huskd_start
	table_gone "$TABLE"
}

@test "live restore: a published port answers while huskd is down and after it is back" {
	web lpub -p 127.0.0.1:18187:8080 >/dev/null
	wait_http http://127.0.0.1:18187/
	huskd_stop
	run curl -sf http://127.0.0.1:18187/
	assert_success
	assert_output "hello from lpub"
	# the programs gone meanwhile (or a daemon that had none): DNAT serves,
	# and the restarted daemon attaches them again with the ports it has
	if redirect_here; then
		"$HUSK_SRC/scripts/bpf-detach.sh" "$TABLE"
		run our_progs
		assert_output ''
		run curl -sf http://127.0.0.1:18187/
		assert_output "hello from lpub"
	fi
	huskd_start
	run curl -sf http://127.0.0.1:18187/
	assert_output "hello from lpub"
	if redirect_here; then
		run our_progs
		assert_output "$(printf 'cgroup_inet4_connect\ncgroup_inet4_getpeername\ncgroup_inet_sock_release')"
		run peer 127.0.0.1 18187
		assert_output "$(husk network inspect bridge --format '{{(index .IPAM.Config 0).Gateway}}') 127.0.0.1:18187"
	fi
	run husk system check
	assert_success
	run husk port lpub
	assert_output "8080/tcp -> 127.0.0.1:18187"
	husk rm -f lpub >/dev/null
	run curl -sf --max-time 2 http://127.0.0.1:18187/
	assert_failure
}

@test "two daemons at once: their own bridges, subnets and tables, no duplicate address" {
	local root2=$HUSK_TEST_DIR/root2 run2=$HUSK_TEST_DIR/run2
	mkdir -p "$root2" "$run2"
	huskd --data-root "$root2" --exec-root "$run2" -H "unix://$run2/husk.sock" \
		--pidfile "$run2/huskd.pid" --config-file "$HUSK_TEST_DIR/daemon.json" \
		>>"$HUSK_TEST_DIR/huskd2.log" 2>&1 &
	for _ in $(seq 1 100); do
		curl -sf --unix-socket "$run2/husk.sock" http://d/_ping >/dev/null 2>&1 && break
		sleep 0.05
	done
	local h2=(husk -H "unix://$run2/husk.sock")
	"${h2[@]}" load -q -i "$("$FIXTURES/mkbusybox.sh")/busybox.tar" >/dev/null
	husk run -d --name d1 -p 18195:80 busybox sleep 300 >/dev/null
	# a host port one daemon publishes is not the other's to take
	run "${h2[@]}" run -d --name d3 -p 18195:80 busybox sleep 300
	assert_failure 125
	assert_output --partial 'Bind for 0.0.0.0:18195 failed: port is already allocated'
	"${h2[@]}" rm -f d3 >/dev/null 2>&1 || true
	"${h2[@]}" run -d --name d2 busybox sleep 300 >/dev/null
	local br2 ip1 ip2 sub1 sub2
	br2=$("${h2[@]}" network inspect -f '{{index .Options "com.docker.network.bridge.name"}}' bridge)
	run husk network inspect -f '{{index .Options "com.docker.network.bridge.name"}}' bridge
	assert_output "$BR"
	[ "$br2" != "$BR" ]
	[ "$br2" != husk0 ]
	sub1=$(husk network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' bridge)
	sub2=$("${h2[@]}" network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' bridge)
	[ "$sub1" != "$sub2" ]
	ip1=$(husk inspect -f '{{.NetworkSettings.IPAddress}}' d1)
	ip2=$("${h2[@]}" inspect -f '{{.NetworkSettings.IPAddress}}' d2)
	[ -n "$ip1" ] && [ -n "$ip2" ] && [ "$ip1" != "$ip2" ]
	run ip -o link show master "$br2"
	assert_output --partial vhusk
	# each reaches the outside through its own bridge
	run husk exec d1 ping -c 1 -W 5 "${sub1%.0/*}.1"
	assert_success
	run "${h2[@]}" exec d2 ping -c 1 -W 5 "${sub2%.0/*}.1"
	assert_success
	# one's clean-up leaves the other's table alone
	local t2
	t2=husk_$(printf %s "$root2" | sha256sum | cut -c1-8)
	husk rm -f d1 >/dev/null
	run nft list table ip "$t2"
	assert_success
	run husk system check
	assert_success
	"${h2[@]}" rm -f d2 >/dev/null
	table_gone "$t2"
	kill -TERM "$(cat "$run2/huskd.pid")"
	for _ in $(seq 1 100); do
		kill -0 "$(cat "$run2/huskd.pid")" 2>/dev/null || break
		sleep 0.05
	done
	ip link del "$br2" 2>/dev/null || true
}

@test "no leak after 20 connect/disconnect cycles of a running container" {
	husk network create --subnet 10.252.9.0/24 cyc2 >/dev/null
	husk run -d --name cc busybox sleep 300 >/dev/null
	local br2
	br2=$(husk network inspect -f '{{index .Options "com.docker.network.bridge.name"}}' cyc2)
	for _ in $(seq 1 20); do
		husk network connect cyc2 cc
		husk network disconnect cyc2 cc
	done
	run bash -c "ip -o link show master $br2 | grep -c vhusk"
	assert_output 0
	run husk exec cc ls /sys/class/net
	assert_output "$(printf 'eth0\nlo')"
	run bash -c "ls $HUSK_DATA_ROOT/network/endpoints | wc -l"
	assert_output 1
	run husk network inspect -f '{{len .Containers}}' cyc2
	assert_output 0
	husk rm -f cc >/dev/null
	run bash -c "ls $HUSK_EXEC_ROOT/netns 2>/dev/null | wc -l"
	assert_output 0
	run husk system check
	assert_success
	husk network rm cyc2 >/dev/null
}
