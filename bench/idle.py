#!/usr/bin/python3
"""make bench-idle: what an idle keep-alive connection costs each proxy.

For each target (kiln, nginx), in the same run: a proxy with one worker in
front of the null FastCGI backend (fcgi_null), N client connections
(BENCH_IDLE_CONNS, 10,000) opened one after the other, each sending one
request (GET /index.php, proxied to the backend) and reading its answer,
then left open and idle. The figure is the growth of the proxy process's
resident memory (VmRSS) from before the first connection to after the
last, divided by N: what an idle keep-alive connection costs in the
proxy's own memory (the kernel's socket buffers are not in it, and are the
same for both). A second figure does the same for N connections that never
send a byte, measured 6 s after the last one opened (kiln listens with
TCP_DEFER_ACCEPT: until then the kernel keeps such connections to itself).

Both run with their file limit raised to 20,000 (this machine's maximum);
nginx with master_process off, so its one process is the one measured, and
keepalive_timeout 300s like kiln's config (bench/idle.json).

Output: a table on stdout and in build/bench/idle.md, numbers in idle.json.
"""
import json
import os
import resource
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402

N = B.env_int("BENCH_IDLE_CONNS", 10000)
KILN_IDLE = os.environ.get("KILN_IDLE_BIN", os.path.join(B.REPO, "build", "idle", "kiln"))
DIR = os.path.join(B.STATE, "idle")
PORTS = {"kiln": 28090, "nginx": 28091}
REQUEST = b"GET /index.php HTTP/1.1\r\nHost: idle.test\r\n\r\n"
DEFER_WAIT_S = 6

NGINX_CONF = """worker_processes 1;
master_process off;
daemon off;
worker_rlimit_nofile 20000;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
{user}
events {{ worker_connections 20000; }}
http {{
    access_log off;
    server_tokens off;
    keepalive_timeout 300s;
    keepalive_requests 1000000;
    client_body_temp_path {dir}/client_body;
    fastcgi_temp_path {dir}/fastcgi_temp;
    proxy_temp_path {dir}/proxy_temp;
    uwsgi_temp_path {dir}/uwsgi_temp;
    scgi_temp_path {dir}/scgi_temp;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location / {{
            include /etc/nginx/fastcgi.conf;
            fastcgi_pass unix:{dir}/nginx.sock;
        }}
    }}
}}
"""


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 20000)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
    return want


def read_answer(s):
    """Read one response (its Content-Length or chunked body), or fail."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            raise RuntimeError("closed before an answer")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"answer {head[:60]!r}")
    lower = head.lower()
    if b"content-length:" in lower:
        n = int(lower.split(b"content-length:")[1].split(b"\r\n")[0])
        while len(rest) < n:
            rest += s.recv(65536)
    else:
        while not rest.endswith(b"0\r\n\r\n"):
            rest += s.recv(65536)


def open_conns(port, n, send):
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        if send:
            s.sendall(REQUEST)
            read_answer(s)
        socks.append(s)
    return socks


def settle(pid):
    """RSS once it stops moving (the proxy has handled every event)."""
    last, stable = None, 0
    for _ in range(50):
        time.sleep(0.1)
        r = rss_kib(pid)
        stable = stable + 1 if r == last else 0
        last = r
        if stable >= 3:
            break
    return last


def measure(pid, port, send):
    """Growth per connection of a fresh proxy process (memory freed by an
    earlier measurement would be reused and hide the cost)."""
    # Warm-up: what a first request allocates once (free lists, pools).
    for s in open_conns(port, 50, True):
        s.close()
    time.sleep(0.5)
    before = settle(pid)
    socks = open_conns(port, N, send)
    if not send:
        # kiln listens with TCP_DEFER_ACCEPT: the kernel hands a silent
        # connection over only after a few seconds.
        time.sleep(DEFER_WAIT_S)
    after = settle(pid)
    for s in socks:
        s.close()
    return {"before_kib": before, "after_kib": after, "bytes_per_conn": (after - before) * 1024 / N}


def start(procs, target, tools):
    os.makedirs(DIR, exist_ok=True)
    sock = os.path.join(DIR, f"{target}.sock")
    if os.path.exists(sock):
        os.unlink(sock)
    backend = procs.start("idle-backend-" + target, [tools["fcgi_null"], "-l", sock, "-w", "1"],
                          os.path.join(DIR, f"{target}-null.log"))
    if not B.wait_unix(sock, backend, 10):
        B.die(f"fcgi_null for {target} did not start")
    if target == "kiln":
        if not os.path.exists(KILN_IDLE):
            B.die(f"{KILN_IDLE} is missing: make bench-idle builds it")
        argv = [KILN_IDLE]
    else:
        conf = os.path.join(DIR, "nginx.conf")
        user = "user root;" if B.as_root() else ""
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(dir=DIR, port=PORTS["nginx"], user=user))
        argv = [B.which("nginx"), "-c", conf]
    p = procs.start("idle-" + target, argv, os.path.join(DIR, f"{target}.log"))
    if not B.wait_tcp(PORTS[target], p, 10):
        B.die(f"{target} did not start: {B.tail(os.path.join(DIR, target + '.log'))}")
    return p


def main():
    limit = raise_nofile()
    if limit < N + 200:
        B.die(f"need {N + 200} open files, the limit is {limit}")
    lock, procs, tools, _ = B.start_session(["nginx"])
    results = {}
    try:
        for target in ("kiln", "nginx"):
            results[target] = {}
            for send, key in ((True, "one_request"), (False, "no_byte")):
                p = start(procs, target, tools)
                B.log(f"idle: {target}: {N} connections, {key}")
                results[target][key] = measure(p.pid, PORTS[target], send)
                procs.stop("idle-" + target)
                procs.stop("idle-backend-" + target)
    finally:
        procs.stop_all()
    lines = [f"Idle keep-alive connections ({N} of them, one worker each, null FastCGI "
             "backend): growth of the proxy's VmRSS per connection.", "",
             "| target | after one request each | never sent a byte |", "|---|--:|--:|"]
    for t, r in results.items():
        lines.append(f"| {t} | {r['one_request']['bytes_per_conn']:,.0f} B | "
                     f"{r['no_byte']['bytes_per_conn']:,.0f} B |")
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(B.OUT, exist_ok=True)
    with open(os.path.join(B.OUT, "idle.md"), "w") as f:
        f.write(text)
    with open(os.path.join(B.OUT, "idle.json"), "w") as f:
        json.dump({"conns": N, "results": results, "time": time.strftime("%Y-%m-%d %H:%M")}, f,
                  indent=2)
    del lock


if __name__ == "__main__":
    main()
