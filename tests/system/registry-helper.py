#!/usr/bin/env python3
"""registry-helper.py: small HTTP servers that tests/system/registry_client.bats
puts around a real registry (Debian's docker-registry) to see what the husk
registry client does, on 127.0.0.1 only. Each logs one line per request to
--log: "<server> <METHOD> <path> auth=<none|Basic|Bearer> range=<Range|->";
credentials themselves are never written.

  token --addr H:P --key K --cert C --issuer I --service S --user U --password P
      A distribution token server (docker/distribution's token auth): GET
      /token?service=&scope=…[&offline_token=true] with basic credentials gives
      an RS256 JWT (x5c: C) granting the scopes asked for; POST /token with
      grant_type=refresh_token gives one for a refresh token it issued.
  proxy --addr H:P --upstream H:P [--cut-after N] [--fail-once] [--corrupt]
        [--redirect H:P]
      A proxy in front of a registry that misbehaves as asked: --cut-after
      drops the connection after N bytes of the first blob download;
      --fail-once answers the first manifest GET with a 500; --corrupt flips
      a byte of every blob larger than 4 KiB it serves (layers, not configs); --redirect answers blob GETs with a 307
      to a second server on H:P that serves the bytes (and logs whether it got
      an Authorization header).
  files --addr H:P --dir D
      Serves the files of D (foreign layer URLs), logging what it gets.
"""
import argparse
import base64
import http.client
import http.server
import json
import os
import secrets
import subprocess
import sys
import threading
import time
import urllib.parse

LOG_LOCK = threading.Lock()


def log(path, server, handler):
    auth = handler.headers.get("Authorization")
    kind = auth.split(" ", 1)[0] if auth else "none"
    rng = handler.headers.get("Range") or "-"
    with LOG_LOCK, open(path, "a", encoding="utf-8") as f:
        f.write(f"{server} {handler.command} {handler.path} auth={kind} range={rng}\n")


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def serve(addr, handler):
    host, port = addr.rsplit(":", 1)
    srv = http.server.ThreadingHTTPServer((host, int(port)), handler)
    srv.daemon_threads = True
    return srv


class Quiet(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=None, ctype="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


# ---- token server ----


def token_server(a):
    with open(a.cert, "rb") as f:
        pem = f.read().decode()
    der_b64 = "".join(
        l for l in pem.splitlines() if l and not l.startswith("-----")
    )
    refresh = set()

    def sign(claims):
        header = {"typ": "JWT", "alg": "RS256", "x5c": [der_b64]}
        signing = (
            b64url(json.dumps(header).encode())
            + "."
            + b64url(json.dumps(claims).encode())
        )
        sig = subprocess.run(
            ["openssl", "dgst", "-sha256", "-sign", a.key],
            input=signing.encode(),
            capture_output=True,
            check=True,
        ).stdout
        return signing + "." + b64url(sig)

    def token_for(sub, scopes):
        access = []
        for s in scopes:
            parts = s.split(":")
            if len(parts) >= 3:
                access.append(
                    {
                        "type": parts[0],
                        "name": ":".join(parts[1:-1]),
                        "actions": parts[-1].split(","),
                    }
                )
        now = int(time.time())
        return sign(
            {
                "iss": a.issuer,
                "sub": sub,
                "aud": a.service,
                "exp": now + 300,
                "nbf": now - 10,
                "iat": now,
                "jti": secrets.token_hex(8),
                "access": access,
            }
        )

    class H(Quiet):
        def basic_ok(self):
            auth = self.headers.get("Authorization", "")
            if not auth.startswith("Basic "):
                return None
            user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
            return user == a.user and pw == a.password

        def do_GET(self):
            log(a.log, "token", self)
            q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
            ok = self.basic_ok()
            if not ok:
                body = {"details": "incorrect username or password"}
                self.reply(401, json.dumps(body).encode())
                return
            out = {"token": token_for(a.user, q.get("scope", [])), "expires_in": 300}
            if q.get("offline_token") == ["true"]:
                r = secrets.token_hex(16)
                refresh.add(r)
                out["refresh_token"] = r
            self.reply(200, json.dumps(out).encode())

        def do_POST(self):
            log(a.log, "token", self)
            n = int(self.headers.get("Content-Length", "0"))
            form = urllib.parse.parse_qs(self.rfile.read(n).decode())
            if form.get("grant_type") != ["refresh_token"] or form.get(
                "refresh_token", [""]
            )[0] not in refresh:
                self.reply(401, b'{"details":"invalid refresh token"}')
                return
            scopes = form.get("scope", [""])[0].split()
            out = {"access_token": token_for(a.user, scopes), "expires_in": 300}
            self.reply(200, json.dumps(out).encode())

    return [serve(a.addr, H)]


# ---- fault proxy ----


def proxy_server(a):
    state = {"cut": a.cut_after is not None, "fail": a.fail_once, "blobs": {}}
    lock = threading.Lock()

    def upstream(method, path, headers, body):
        host, port = a.upstream.rsplit(":", 1)
        c = http.client.HTTPConnection(host, int(port), timeout=30)
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, r.getheaders(), data

    class P(Quiet):
        def forward(self):
            log(a.log, "proxy", self)
            n = int(self.headers.get("Content-Length", "0") or 0)
            body = self.rfile.read(n) if n else None
            headers = {
                k: v
                for k, v in self.headers.items()
                if k.lower() not in ("connection", "content-length", "transfer-encoding")
            }
            is_blob_get = self.command == "GET" and "/blobs/sha256:" in self.path
            is_manifest_get = self.command == "GET" and "/manifests/" in self.path
            with lock:
                fail = state["fail"] and is_manifest_get
                if fail:
                    state["fail"] = False
            if fail:
                err = {"errors": [{"code": "UNKNOWN", "message": "injected failure"}]}
                self.reply(500, json.dumps(err).encode())
                return
            if is_blob_get and a.redirect:
                headers.pop("Range", None)
            status, rheaders, data = upstream(self.command, self.path, headers, body)
            if is_blob_get and status == 200 and a.redirect:
                digest = self.path.rsplit("/", 1)[1]
                with lock:
                    state["blobs"][digest] = data
                loc = f"http://{a.redirect}/blob/{digest}?sig=secret"
                self.reply(307, b"", {"Location": loc})
                return
            if is_blob_get and status in (200, 206) and a.corrupt and len(data) > 4096:
                data = bytearray(data)
                data[len(data) // 2] ^= 0xFF
                data = bytes(data)
            cut = None
            with lock:
                if is_blob_get and status == 200 and state["cut"] and len(data) > a.cut_after:
                    state["cut"] = False
                    cut = a.cut_after
            self.send_response(status)
            for k, v in rheaders:
                if k.lower() in ("connection", "transfer-encoding", "content-length", "date"):
                    continue
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command == "HEAD":
                return
            if cut is not None:
                self.wfile.write(data[:cut])
                self.wfile.flush()
                self.close_connection = True
                with LOG_LOCK, open(a.log, "a", encoding="utf-8") as f:
                    f.write(f"proxy cut after {cut} bytes\n")
                return
            self.wfile.write(data)

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = forward

    class Target(Quiet):
        def do_GET(self):
            log(a.log, "target", self)
            digest = urllib.parse.urlparse(self.path).path.rsplit("/", 1)[1]
            with lock:
                data = state["blobs"].get(digest)
            if data is None:
                self.reply(404, b"{}")
                return
            self.reply(200, data, ctype="application/octet-stream")

    servers = [serve(a.addr, P)]
    if a.redirect:
        servers.append(serve(a.redirect, Target))
    return servers


# ---- plain files ----


def files_server(a):
    class F(Quiet):
        def do_GET(self):
            log(a.log, "files", self)
            name = os.path.basename(urllib.parse.urlparse(self.path).path)
            path = os.path.join(a.dir, name)
            if not name or not os.path.isfile(path):
                self.reply(404, b"not found", ctype="text/plain")
                return
            with open(path, "rb") as f:
                self.reply(200, f.read(), ctype="application/octet-stream")

    return [serve(a.addr, F)]


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="mode", required=True)
    t = sub.add_parser("token")
    for opt in ("addr", "key", "cert", "issuer", "service", "user", "password", "log"):
        t.add_argument("--" + opt, required=True)
    p = sub.add_parser("proxy")
    p.add_argument("--addr", required=True)
    p.add_argument("--upstream", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--cut-after", type=int)
    p.add_argument("--fail-once", action="store_true")
    p.add_argument("--corrupt", action="store_true")
    p.add_argument("--redirect")
    f = sub.add_parser("files")
    f.add_argument("--addr", required=True)
    f.add_argument("--dir", required=True)
    f.add_argument("--log", required=True)
    a = ap.parse_args()
    servers = {"token": token_server, "proxy": proxy_server, "files": files_server}[a.mode](a)
    for s in servers[1:]:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    servers[0].serve_forever()


if __name__ == "__main__":
    main()
