#!/bin/bash
# Make the root filesystem of bench/net.sh's web server image, once, from
# Debian packages: the busybox fixture's root plus Debian's nginx (the
# binary and the shared libraries it links, taken from this Debian host),
# a configuration for throughput (keep-alive, sendfile, no access log, one
# worker per CPU) and three pages of 1 KiB, 64 KiB and 1 MiB under /www.
# Prints the path of the tar (import it with CMD ["nginx"]). Cached: a
# second call costs nothing.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${HUSK_BENCH_CACHE:-/var/tmp/husk-bench-cache}
OUT=$CACHE/web-v1
if [ -f "$OUT/.complete" ]; then
	echo "$OUT/rootfs.tar"
	exit 0
fi
mkdir -p "$CACHE"
TMP=$(mktemp -d "$CACHE/web.tmp.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

echo "mkwebimage: Debian's nginx" >&2
(cd "$TMP" && apt-get download nginx >/dev/null 2>"$TMP/apt.log") ||
	{ cat "$TMP/apt.log" >&2; echo "mkwebimage: apt-get download nginx failed" >&2; exit 1; }
dpkg -x "$TMP"/nginx_*.deb "$TMP/deb"

R=$TMP/root
BB=$("$SRC/tests/fixtures/mkbusybox.sh")
cp -a "$BB/rootfs" "$R"
mkdir -p "$R/usr/sbin" "$R/lib/x86_64-linux-gnu" "$R/lib64" "$R/etc/nginx" \
	"$R/var/lib/nginx" "$R/var/log/nginx" "$R/run" "$R/tmp" "$R/www"
cp "$TMP/deb/usr/sbin/nginx" "$R/usr/sbin/"
for lib in $(ldd "$R/usr/sbin/nginx" | awk '$2 == "=>" && $3 ~ /^\// {print $3}'); do
	cp -L "$lib" "$R/lib/x86_64-linux-gnu/"
done
interp=$(ldd "$R/usr/sbin/nginx" | awk '$1 ~ /^\/.*ld-linux/ {print $1}')
cp -L "$interp" "$R/lib64/"
cat >"$R/etc/nginx/nginx.conf" <<'EOF'
daemon off;
user root;
worker_processes auto;
error_log stderr;
pid /run/nginx.pid;
events { worker_connections 1024; }
http {
	access_log off;
	sendfile on;
	keepalive_requests 1000000;
	server { listen 8080; root /www; }
}
EOF
for s in 1k:1024 64k:65536 1m:1048576; do
	head -c "${s#*:}" /dev/zero | tr '\0' x >"$R/www/${s%%:*}"
done
tar --sort=name --mtime=@0 --numeric-owner -C "$R" -cf "$TMP/rootfs.tar" .
rm -rf "$R" "$TMP/deb" "$TMP"/*.deb
touch "$TMP/.complete"
mv "$TMP" "$OUT"
trap - EXIT
echo "$OUT/rootfs.tar"
