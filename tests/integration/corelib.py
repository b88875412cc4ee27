"""Helpers shared by the runtime-core integration tests (test_core_*.py).

Their sites are sites/core_*.json (ports 18110-18159) and their document
root is www_core/: echo scripts that report what PHP received, mark.php that
leaves a file in the site's marks/ directory (so a test can prove a request
did or did not reach PHP), and scripts that sleep, stream or shape their
response on demand.
"""
import json
import os
import socket
import time

from kilnfix import HERE, STATE_ROOT, RawClient, socket_inodes

WWW_CORE = HERE / "www_core"


def marks_dir(kiln):
    return STATE_ROOT / kiln.name / "marks"


def marks(kiln):
    """Names of the marks left by www_core/mark.php so far."""
    d = marks_dir(kiln)
    return sorted(os.listdir(d)) if d.exists() else []


def clear_marks(kiln):
    d = marks_dir(kiln)
    for name in os.listdir(d):
        os.unlink(d / name)


def client(kiln, timeout=10.0):
    return RawClient(kiln.host, kiln.port, timeout)


def get(kiln, target, headers=b"", version=b"1.1", method=b"GET", body=b"", timeout=10.0):
    """One request on a new connection; returns (response, client socket's
    local port)."""
    c = client(kiln, timeout)
    try:
        host = b"Host: t.example\r\n" if version == b"1.1" and b"host:" not in headers.lower() else b""
        if body and b"content-length" not in headers.lower() and b"transfer-encoding" not in headers.lower():
            headers += b"Content-Length: %d\r\n" % len(body)
        c.send(method + b" " + target + b" HTTP/" + version + b"\r\n" + host + headers + b"\r\n" + body)
        r = c.read_response(head_request=method == b"HEAD")
        return r, c.sock.getsockname()[1]
    finally:
        c.close()


def env_of(response):
    """The JSON an echo script (www_core/_dump.inc) answered with."""
    assert response.status == 200, (response.status, response.body[:500])
    return json.loads(response.body)


def php_env(kiln, target, headers=b"", **kw):
    r, _ = get(kiln, target, headers, **kw)
    return env_of(r)


def tcp_established(port, remote=True):
    """Established TCP connections on loopback whose remote (or local) port
    is `port`, from /proc/net/tcp (state 01). The file is produced in pieces
    while connections come and go, so a line can show up twice: count
    distinct (local, remote) pairs."""
    seen = set()
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            parts = line.split()
            local, rem, state = parts[1], parts[2], parts[3]
            p = int((rem if remote else local).split(":")[1], 16)
            if state == "01" and p == port:
                seen.add((local, rem))
    return len(seen)


def kiln_upstream_conns(kiln, port=None):
    """php-fpm connections kiln holds right now: its own socket descriptors
    that are connected TCP sockets to `port` (tcp upstream) or connected
    Unix sockets (unix upstream; kiln has no other). The tables are read
    first and kiln's descriptors last, so a connection closed and replaced
    meanwhile is not counted twice (/proc/net/* alone can list both: it is
    produced in pieces while connections come and go)."""
    table = set()
    if port is not None:
        with open("/proc/net/tcp") as f:
            next(f)
            for line in f:
                parts = line.split()
                if parts[3] == "01" and int(parts[2].split(":")[1], 16) == port:
                    table.add(parts[9])
    else:
        with open("/proc/net/unix") as f:
            next(f)
            for line in f:
                parts = line.split()
                if len(parts) >= 7 and parts[5] == "03":
                    table.add(parts[6])
    try:
        return len(table & socket_inodes(kiln.pid))
    except FileNotFoundError:
        return 0


def connect_refused(host, port):
    try:
        socket.create_connection((host, port), timeout=1.0).close()
        return False
    except ConnectionRefusedError:
        return True


class Timer:
    def __enter__(self):
        self.t0 = time.monotonic()
        return self

    def __exit__(self, *exc):
        self.elapsed = time.monotonic() - self.t0
        return False
