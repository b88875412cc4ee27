#!/usr/bin/python3
"""soak.py - a mixed load against kiln and a real php-fpm for N seconds.

  KILN_BUILD_DIR=build python3 tests/integration/soak.py --seconds 300

Runs the test site soak_main (sites/soak_main.json: 2 threads, 8 upstream
connections, request bodies over 64 KiB spooled to a file) in front of a
php-fpm pool of 8 workers, on loopback only, and drives it from client
threads with a seeded mix: keep-alive and new connections, HTTP/1.0 and
1.1, GET, HEAD and pipelined requests, kiln's own answers, POST bodies by
Content-Length (small and up to 4 MiB) and chunked (spooled), streamed
responses of 1-8 MiB, clients that leave in the middle of an upload, a
download, or while PHP works, bodies sent slowly (but fast enough) and
dripped (cut with 408 after client_rate_grace), and slow readers of large
responses (held for them). Every response is checked (status, framing,
body bytes or their MD5).

It fails on:
  - any unexpected outcome (a wrong status, a cut or wrong body, a
    connection error on a request that was not aborted on purpose);
  - kiln's RSS growing more than --rss-bound-mib (16 MiB; +16 MiB of ASan
    quarantine in sanitizer builds) from after the warm-up to the end.
    Why 16 MiB: the warm-up runs the same mix at the same concurrency, so
    kiln's free lists (256 connections, 64 upstream objects and 256 arena
    chunks per thread) and glibc's per-thread heaps are at their high-water
    mark before the baseline; a leak-free kiln then stays flat (a proxied
    request mallocs nothing), and what remains is allocator fragmentation
    from spooled and streamed bodies, well under 16 MiB. A leak of 100
    bytes per request shows after ~170,000 requests (a few minutes);
    LeakSanitizer at kiln's exit catches any leak in `make test SANITIZE=1`;
  - kiln's descriptors not back at the baseline once the clients are gone:
    client sockets and non-socket descriptors exactly, upstream sockets at
    most the idle pool's bound (8);
  - kiln dying, not exiting 0 on SIGTERM, a sanitizer report or an "error:"
    line in its log.
Prints a report: requests and errors by kind, RSS, descriptors, CPU.
"""
import argparse
import hashlib
import random
import socket
import sys
import threading
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from faultfix import LimitedKiln, pattern, read_fetched, stream_of, wait_site_free  # noqa: E402
from kilnfix import PhpFpm, prepare_state, wait_for  # noqa: E402

SITE = "soak_main"
MAX_UP = 8
BIG = pattern(16 << 20)


class Unexpected(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Unexpected(what)


class Client:
    def __init__(self, kiln, timeout=20.0):
        self.sock = socket.create_connection((kiln.host, kiln.port), timeout=timeout)
        self.stream = stream_of(self.sock)

    def send(self, data):
        self.sock.sendall(data)

    def read(self, head=False, max_body=None):
        return read_fetched(self.sock, head_request=head, max_body=max_body, timeout=20.0,
                            stream=self.stream)

    def close(self):
        self.sock.close()


def req(method, path, headers=(), body=b"", version="1.1"):
    lines = [f"{method} {path} HTTP/{version}", "Host: soak.test"]
    lines += list(headers)
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def ok_hello(f):
    expect(f.status == 200, f"status {f.status}")
    expect(f.complete, "cut response")
    expect(f.body.startswith(b"hello pid "), f"body {f.body[:40]!r}")


def check_echo(f, body):
    expect(f.status == 200, f"status {f.status}")
    expect(f.complete, "cut response")
    want = f"{len(body)} {hashlib.md5(body).hexdigest()}\n".encode()
    expect(f.body == want, f"echo {f.body[:60]!r}, want {want!r}")


# ---- the scenarios: each returns how many requests it made ---------------------

def s_keepalive(kiln, rnd):
    c = Client(kiln)
    try:
        n = rnd.randint(2, 8)
        for _ in range(n):
            c.send(req("GET", "/index.php?ka=1"))
            ok_hello(c.read())
        return n
    finally:
        c.close()


def s_new_conn(kiln, rnd):
    c = Client(kiln)
    try:
        c.send(req("GET", "/index.php", ["Connection: close"]))
        f = c.read()
        ok_hello(f)
        expect(f.closed or f.header("connection") == "close", "not closed after Connection: close")
        return 1
    finally:
        c.close()


def s_http10(kiln, rnd):
    c = Client(kiln)
    try:
        c.send(req("GET", "/index.php", version="1.0"))
        ok_hello(c.read())
        return 1
    finally:
        c.close()


def s_local(kiln, rnd):
    c = Client(kiln)
    try:
        c.send(req("GET", "/static.txt") + req("GET", "/healthz") + req("HEAD", "/index.php"))
        f = c.read()
        expect(f.status == 200 and f.body == b"static body\n", f"static {f!r}")
        f = c.read()
        expect(f.status == 200 and f.body == b"ok\n", f"healthz {f!r}")
        f = c.read(head=True)
        expect(f.status == 200 and f.body == b"", f"HEAD {f!r}")
        return 3
    finally:
        c.close()


def s_pipeline(kiln, rnd):
    c = Client(kiln)
    try:
        bodies = [rnd.randbytes(rnd.randint(0, 3000)) for _ in range(3)]
        c.send(b"".join(req("POST", "/echo.php", body=b) for b in bodies))
        for b in bodies:
            check_echo(c.read(), b)
        return 3
    finally:
        c.close()


def s_post_small(kiln, rnd):
    c = Client(kiln)
    try:
        body = rnd.randbytes(rnd.randint(1, 16384))
        c.send(req("POST", "/echo.php", body=body))
        check_echo(c.read(), body)
        return 1
    finally:
        c.close()


def s_post_large(kiln, rnd):
    c = Client(kiln)
    try:
        body = rnd.randbytes(rnd.randint(1 << 20, 4 << 20))
        c.send(req("POST", "/echo.php", body=body))
        check_echo(c.read(), body)
        return 1
    finally:
        c.close()


def s_post_chunked(kiln, rnd):
    c = Client(kiln)
    try:
        body = rnd.randbytes(rnd.randint(1000, 300000))
        parts, i = [], 0
        while i < len(body):
            n = rnd.randint(1, 40000)
            parts.append(f"{len(body[i:i + n]):x}\r\n".encode() + body[i:i + n] + b"\r\n")
            i += n
        head = (b"POST /echo.php HTTP/1.1\r\nHost: soak.test\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n")
        c.send(head + b"".join(parts) + b"0\r\n\r\n")
        check_echo(c.read(), body)
        return 1
    finally:
        c.close()


def s_stream(kiln, rnd):
    c = Client(kiln)
    try:
        n = rnd.randint(1 << 20, 8 << 20)
        chunk = rnd.choice([4096, 16384, 65536])
        c.send(req("GET", f"/stream.php?bytes={n}&chunk={chunk}"))
        f = c.read()
        expect(f.status == 200 and f.complete, f"stream {f!r}")
        expect(len(f.body) == n and f.body == BIG[:n], f"stream body {len(f.body)} of {n}")
        return 1
    finally:
        c.close()


def s_abort_download(kiln, rnd):
    c = Client(kiln)
    try:
        c.send(req("GET", "/stream.php?bytes=16777216&chunk=65536"))
        f = c.read(max_body=rnd.randint(1, 1 << 20))
        expect(f.status == 200, f"abort_download {f!r}")
        return 1
    finally:
        c.close()


def s_abort_upload(kiln, rnd):
    c = Client(kiln)
    try:
        c.send(b"POST /echo.php HTTP/1.1\r\nHost: soak.test\r\nContent-Length: 4194304\r\n\r\n")
        c.send(rnd.randbytes(rnd.randint(1, 1 << 20)))
        return 1
    finally:
        c.close()


def s_slow_body(kiln, rnd):
    """A body sent in pieces, slowly but well above client_min_rate."""
    c = Client(kiln)
    try:
        body = rnd.randbytes(rnd.randint(2000, 60000))
        c.send(b"POST /echo.php HTTP/1.1\r\nHost: soak.test\r\nContent-Length: %d\r\n\r\n"
               % len(body))
        step = len(body) // 4 + 1
        for i in range(0, len(body), step):
            time.sleep(rnd.uniform(0.01, 0.05))
            c.send(body[i:i + step])
        check_echo(c.read(), body)
        return 1
    finally:
        c.close()


def s_drip_body(kiln, rnd):
    """A body dripped below client_min_rate: 408 once the grace period is
    over, and the connection closed."""
    c = Client(kiln)
    try:
        c.send(b"POST /echo.php HTTP/1.1\r\nHost: soak.test\r\nContent-Length: 5000\r\n\r\nd")
        c.sock.settimeout(0.25)
        for _ in range(40):
            try:
                data = c.sock.recv(65536)
                c.stream.buf += data
                if not data or b"\r\n\r\n" in c.stream.buf:
                    break
            except (TimeoutError, socket.timeout):
                pass
            try:
                c.send(b"d")
            except OSError:
                break
        c.sock.settimeout(20)
        f = c.read()
        expect(f.status == 408, f"drip {f!r}")
        expect(f.header("connection") == "close", "408 without Connection: close")
        return 1
    finally:
        c.close()


def s_slow_reader(kiln, rnd):
    """A client with a small receive window that pauses before it reads, then
    reads in small pieces: every byte arrives (the response was held)."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
    s.settimeout(20)
    s.connect((kiln.host, kiln.port))
    try:
        n = rnd.randint(1 << 20, 6 << 20)
        s.sendall(req("GET", f"/stream.php?bytes={n}&chunk=65536"))
        time.sleep(rnd.uniform(0.1, 0.5))
        f = read_fetched(s, timeout=20)
        expect(f.status == 200 and f.complete, f"slow reader {f!r}")
        expect(len(f.body) == n and f.body == BIG[:n], f"slow reader body {len(f.body)} of {n}")
        return 1
    finally:
        s.close()


def s_abort_waiting(kiln, rnd):
    c = Client(kiln)
    try:
        c.send(req("GET", "/sleep.php?ms=100"))
        return 1
    finally:
        c.close()


SCENARIOS = [
    # (name, weight, function)
    ("keepalive_get", 20, s_keepalive),
    ("new_conn_get", 15, s_new_conn),
    ("http10_get", 5, s_http10),
    ("local_pipelined", 8, s_local),
    ("post_pipelined", 6, s_pipeline),
    ("post_small", 12, s_post_small),
    ("post_large", 3, s_post_large),
    ("post_chunked", 6, s_post_chunked),
    ("stream_large", 5, s_stream),
    ("abort_download", 3, s_abort_download),
    ("abort_upload", 3, s_abort_upload),
    ("abort_waiting", 3, s_abort_waiting),
    ("slow_body", 3, s_slow_body),
    ("drip_body", 1, s_drip_body),
    ("slow_reader", 3, s_slow_reader),
]


class Load:
    def __init__(self, kiln, threads, seed):
        self.kiln = kiln
        self.threads = threads
        self.seed = seed
        self.lock = threading.Lock()
        self.requests = Counter()
        self.runs = Counter()
        self.errors = Counter()
        self.samples = []

    def worker(self, i, until):
        rnd = random.Random(self.seed * 1000 + i)
        names = [s[0] for s in SCENARIOS]
        weights = [s[1] for s in SCENARIOS]
        funcs = {s[0]: s[2] for s in SCENARIOS}
        while time.monotonic() < until:
            name = rnd.choices(names, weights)[0]
            try:
                n = funcs[name](self.kiln, rnd)
                with self.lock:
                    self.runs[name] += 1
                    self.requests[name] += n
            except Unexpected as e:
                self.error(name, str(e))
            except (OSError, EOFError, ValueError, AssertionError) as e:
                self.error(name, f"{type(e).__name__}: {e}")

    def error(self, name, what):
        with self.lock:
            key = f"{name}: {what[:120]}"
            self.errors[key] += 1
            if sum(self.errors.values()) <= 5:
                print(f"soak: unexpected: {key}", flush=True)

    def run(self, seconds):
        until = time.monotonic() + seconds
        threads = [threading.Thread(target=self.worker, args=(i, until), daemon=True)
                   for i in range(self.threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(seconds + 120)
        if any(t.is_alive() for t in threads):
            self.error("soak", "a client thread did not finish in time")


def quiet_usage(kiln, listeners):
    """kiln's usage once no client connection is left."""
    try:
        wait_for(lambda: kiln.fds()["tcp"] == listeners, timeout=15,
                 what="kiln closing every client connection")
    except TimeoutError:
        pass
    time.sleep(0.2)
    return kiln.usage()


def mib(kib):
    return f"{kib / 1024:.1f} MiB"


def soak(seconds, threads=8, seed=1, warmup=None, rss_bound_mib=16, out=print):
    """Run the soak; returns (ok, report lines)."""
    wait_site_free(SITE)
    state = prepare_state(SITE, HERE / "www_fault")
    kiln = LimitedKiln(SITE)
    fpm = PhpFpm(state, kiln.config["address"], pm="static",
                 **{"pm.max_children": MAX_UP}).start()
    kiln.start()
    listeners = kiln.fds()["tcp"]
    problems = []
    lines = []
    try:
        warm = warmup if warmup is not None else min(10.0, max(3.0, seconds / 6))
        Load(kiln, threads, seed + 7919).run(warm)
        start = quiet_usage(kiln, listeners)
        cpu0 = kiln.cpu_seconds()
        load = Load(kiln, threads, seed)
        t0 = time.monotonic()
        load.run(seconds)
        elapsed = time.monotonic() - t0
        alive = kiln.proc.poll() is None
        if not alive:
            problems.append(f"kiln died (status {kiln.proc.returncode})")
        else:
            end = quiet_usage(kiln, listeners)
            cpu = kiln.cpu_seconds() - cpu0
    finally:
        status = kiln.stop()
        fpm.stop()
    total = sum(load.requests.values())
    errors = sum(load.errors.values())
    bound_kib = rss_bound_mib * 1024 + (16 * 1024 if kiln.sanitized else 0)
    lines.append(f"soak: {elapsed:.0f}s after {warm:.0f}s of warm-up, {threads} client threads, "
                 f"seed {seed}, kiln {'with sanitizers' if kiln.sanitized else 'release'}")
    lines.append(f"requests: {total} ({total / elapsed:.0f}/s)")
    for name, _, _ in SCENARIOS:
        lines.append(f"  {name:16} {load.runs[name]:7} runs {load.requests[name]:8} requests")
    lines.append(f"errors: {errors}")
    for key, n in sorted(load.errors.items()):
        lines.append(f"  {n:6}  {key}")
    if errors:
        problems.append(f"{errors} unexpected outcomes")
    if alive:
        grown = end["rss_kib"] - start["rss_kib"]
        lines.append(f"kiln RSS: {mib(start['rss_kib'])} at start, {mib(end['rss_kib'])} at end "
                     f"({grown / 1024:+.1f} MiB; bound +{bound_kib // 1024} MiB)")
        lines.append(f"kiln descriptors: {start['fds']} at start, {end['fds']} at end "
                     f"(upstream at most {MAX_UP})")
        lines.append(f"kiln CPU: {cpu:.1f}s ({cpu / elapsed * 100:.0f}% of one core)")
        if grown > bound_kib:
            problems.append(f"RSS grew by {grown} KiB (bound {bound_kib} KiB)")
        f, b = end["fds"], start["fds"]
        if f["tcp"] != b["tcp"] or f["other"] != b["other"] or f["unix"] > MAX_UP:
            problems.append(f"descriptors {f}, baseline {b}")
    log = kiln.log_text()
    err_lines = [ln for ln in log.splitlines() if " error: " in ln]
    lines.append(f"kiln log: {len(err_lines)} error lines; exit status {status}")
    for ln in err_lines[:5]:
        lines.append(f"  {ln}")
    if err_lines:
        problems.append(f"{len(err_lines)} error lines in kiln's log")
    if status != 0:
        problems.append(f"kiln exit status {status} on SIGTERM")
    if kiln.sanitizer_problems():
        problems.append("sanitizer report in kiln's log")
        lines += kiln.sanitizer_problems()[:20]
    lines.append("result: " + ("PASS" if not problems else "FAIL: " + "; ".join(problems)))
    for ln in lines:
        out(ln)
    return not problems, lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--warmup", type=float, default=None)
    ap.add_argument("--rss-bound-mib", type=float, default=16)
    a = ap.parse_args()
    if a.seconds <= 0 or a.seconds > 24 * 3600:
        ap.error("--seconds must be in (0, 86400]")
    ok, _ = soak(a.seconds, a.threads, a.seed, a.warmup, a.rss_bound_mib,
                 out=lambda s: print(s, flush=True))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
