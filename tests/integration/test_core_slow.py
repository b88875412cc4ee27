# kiln-sites: core_slow
# kiln-serial
"""php-fpm's workers are the scarce resource: slow clients must not hold
them. sites/core_slow.json: upstream_max_conns 2 in front of php-fpm with 2
children; client_min_rate 1000 B/s once client_rate_grace (1s) has passed;
body_buffer_size 1 MiB; response_buffer_size 64 KiB and response_temp_max
8 MiB; buffer_memory_max 2 MiB over all connections.

- Four clients (two more than there are workers) dripping a request body
  get 408 after about the grace period, never reach PHP, and requests of
  other clients are served at once meanwhile: a body is received in full
  before a php-fpm connection is taken.
- Four clients that do not read a 6 MiB response (more than the kernel's
  socket buffers take: 4 MiB at most here) leave the workers free as soon
  as their scripts end (the responses are held: in memory up to the
  budget, the rest in temporary files), and get every byte once they read.
- 40 clients that each send 1 MiB of a chunked body and then stall hold at
  most buffer_memory_max of kiln's memory between them, and are cut after
  read_timeout of silence.
- "X-Accel-Buffering: no" streams with backpressure, and so does the part
  of a response past response_temp_max: the script then waits for the
  client, as it did before responses were held.
"""
import socket
import threading
import time

import pytest

from corelib import WWW_CORE, clear_marks, client, marks
from faultfix import fault_site, get, pattern, read_fetched
from kilnfix import wait_for

SITE = "core_slow"
POOL = {"pm": "static", "pm.max_children": 2}
N = 2  # upstream_max_conns = pm.max_children
MEMORY_MAX_KIB = 2048  # buffer_memory_max


@pytest.fixture(scope="module")
def env():
    with fault_site(SITE, pool=POOL, www=WWW_CORE) as (kiln, fpm):
        c = client(kiln)
        for _ in range(3):  # warm: free lists at their steady size
            c.send(get("/sleep.php?ms=1"))
            assert c.read_response().status == 200
        c.close()
        yield kiln


@pytest.fixture
def kiln(env):
    clear_marks(env)
    return env


def quick_requests(kiln, n=20):
    """n requests on one keep-alive connection; returns their latencies
    (each must be a 200)."""
    c = client(kiln, timeout=10)
    lat = []
    try:
        for i in range(n):
            t0 = time.monotonic()
            c.send(get(f"/sleep.php?ms=1&i={i}"))
            r = c.read_response()
            lat.append(time.monotonic() - t0)
            assert r.status == 200, (i, r.status)
    finally:
        c.close()
    return lat


class Dripper:
    """Sends `piece` to each socket every `every` seconds until stopped or
    the socket fails (kiln answered and closed)."""

    def __init__(self, socks, piece, every=0.3):
        self.socks, self.piece, self.every = socks, piece, every
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        live = list(self.socks)
        while live and not self.stop.wait(self.every):
            for s in list(live):
                try:
                    s.send(self.piece)
                except OSError:
                    live.remove(s)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(5)


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_dripping_bodies_hold_no_worker(kiln, framing):
    if framing == "content-length":
        head, first, piece = b"Content-Length: 1000\r\n", b"x", b"x"
    else:
        head, first, piece = b"Transfer-Encoding: chunked\r\n", b"1\r\nx\r\n", b"1\r\nx\r\n"
    socks = []
    for k in range(N + 2):
        s = socket.create_connection((kiln.host, kiln.port), timeout=10)
        s.sendall(b"POST /mark.php?m=drip%d HTTP/1.1\r\nHost: a\r\n%s\r\n%s" % (k, head, first))
        socks.append(s)
    t0 = time.monotonic()
    try:
        with Dripper(socks, piece):
            lat = quick_requests(kiln)
            answers = [read_fetched(s, timeout=10) for s in socks]
            took = time.monotonic() - t0
    finally:
        for s in socks:
            s.close()
    print(f"\n{framing}: other requests max {max(lat) * 1000:.0f} ms; "
          f"drippers answered after {took:.2f}s")
    assert max(lat) < 0.5, lat
    for f in answers:
        assert f.status == 408 and f.header("connection") == "close", f
    assert 0.9 <= took < 3.0, took  # grace 1s, then the few bytes earn nothing
    assert not [m for m in marks(kiln) if m.startswith("drip")], marks(kiln)
    assert "request body not received in time" in kiln.log_text()


def test_slow_readers_hold_no_worker(kiln):
    n = 6 << 20
    base = kiln.rss_kib()
    readers = []
    for k in range(N + 2):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(20)
        s.connect((kiln.host, kiln.port))
        s.sendall(get(f"/stream.php?bytes={n}&m=slow{k}"))
        readers.append(s)
    try:
        # The scripts end although nobody reads: kiln holds the responses.
        t0 = time.monotonic()
        wait_for(lambda: all(f"slow{k}" in marks(kiln) for k in range(N + 2)), timeout=10,
                 what="the scripts of the slow readers to end")
        ended = time.monotonic() - t0
        grown = kiln.rss_kib() - base
        # Both workers are free: other requests are served at once.
        lat = quick_requests(kiln)
        for s in readers:
            f = read_fetched(s, timeout=20)
            assert f.status == 200 and f.complete and f.body == pattern(n), f
    finally:
        for s in readers:
            s.close()
    print(f"\nscripts done after {ended:.2f}s with 4 x 6 MiB unread; RSS +{grown} KiB; "
          f"other requests max {max(lat) * 1000:.0f} ms")
    assert max(lat) < 0.5, lat
    assert grown <= MEMORY_MAX_KIB + kiln.rss_slack_kib(), grown


def test_stalled_chunked_uploads_are_bounded_in_memory(kiln):
    """1 MiB of chunked body from each of 40 clients, then silence: kiln
    keeps at most buffer_memory_max of it in memory (the rest goes to
    temporary files), and cuts each one after read_timeout (5s) of silence
    with 408. None reaches PHP."""
    base = kiln.rss_kib()
    chunk = b"%x\r\n" % (64 << 10) + b"u" * (64 << 10) + b"\r\n"
    socks = []
    try:
        for k in range(40):
            s = socket.create_connection((kiln.host, kiln.port), timeout=15)
            s.sendall(b"POST /mark.php?m=upload%d HTTP/1.1\r\nHost: a\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n" % k + chunk * 16)
            socks.append(s)
        time.sleep(0.5)  # kiln reads what is in the sockets
        grown = kiln.rss_kib() - base
        t0 = time.monotonic()
        answers = [read_fetched(s, timeout=15) for s in socks]
        took = time.monotonic() - t0
    finally:
        for s in socks:
            s.close()
    print(f"\n40 stalled 1 MiB uploads: RSS +{grown} KiB; cut after {took:.1f}s")
    assert grown <= MEMORY_MAX_KIB + kiln.rss_slack_kib(), grown
    for f in answers:
        assert f.status == 408, f
    assert took < 8, took
    assert not [m for m in marks(kiln) if m.startswith("upload")]


def stalled_reader(kiln, target):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(20)
    s.connect((kiln.host, kiln.port))
    s.sendall(get(target))
    return s


def test_unbuffered_response_streams_with_backpressure(kiln):
    n = 4 << 20
    s = stalled_reader(kiln, f"/stream.php?bytes={n}&nobuf=1&m=nobuf")
    try:
        time.sleep(1.5)
        assert "nobuf" not in marks(kiln)  # the script waits for the client
        f = read_fetched(s, timeout=20)
    finally:
        s.close()
    assert f.status == 200 and f.complete and f.body == pattern(n), f
    assert f.header("x-accel-buffering") is None, f
    wait_for(lambda: "nobuf" in marks(kiln), timeout=5, what="the script to end")


def test_past_response_temp_max_the_script_waits(kiln):
    n = 16 << 20  # over response_buffer_size + response_temp_max (8 MiB + 64 KiB)
    s = stalled_reader(kiln, f"/stream.php?bytes={n}&m=huge")
    try:
        time.sleep(2.0)
        assert "huge" not in marks(kiln)
        f = read_fetched(s, timeout=30)
    finally:
        s.close()
    assert f.status == 200 and f.complete and f.body == pattern(n), f
    wait_for(lambda: "huge" in marks(kiln), timeout=5, what="the script to end")
