# kiln-sites: fault_fpm
"""kiln in front of a real php-fpm that fails: killed under load (master and
workers, SIGKILL) and restarted; clients hanging up in the middle of an
upload or a download. kiln never crashes, fails only the requests that
needed php-fpm while it was gone, serves again without a restart, frees the
php-fpm workers of the clients that left, and its descriptors and RSS
return to their baseline (tolerances: faultfix.py).
"""
import random
import socket
import threading
import time

import pytest

from faultfix import assert_back_to_baseline, fault_site, fetch, get, pattern, read_fetched

SITE = "fault_fpm"
POOL = {"pm": "static", "pm.max_children": 4}
MAX_UP = 4  # upstream_max_conns


@pytest.fixture(scope="module")
def env():
    with fault_site(SITE, pool=POOL) as (kiln, fpm):
        warm_up(kiln)
        yield kiln, fpm, kiln.usage()


def warm_up(kiln):
    for _ in range(3):
        assert fetch(kiln.host, kiln.port, get("/index.php")).status == 200
    f = fetch(kiln.host, kiln.port, get("/stream.php?bytes=2097152"))
    assert f.status == 200 and f.complete and len(f.body) == 2 << 20, f
    body = b"z" * 300000
    f = fetch(kiln.host, kiln.port, b"POST /echo.php HTTP/1.1\r\nHost: a\r\n"
              b"Content-Length: 300000\r\n\r\n" + body)
    assert f.status == 200 and f.body.startswith(b"300000 "), f
    concurrent_sleeps(kiln, 4, 100)


def concurrent_sleeps(kiln, n, ms):
    """n requests at once to sleep.php; returns the slowest one's time. All
    must succeed: proof that n php-fpm workers are free."""
    results = [None] * n

    def one(i):
        results[i] = fetch(kiln.host, kiln.port, get(f"/sleep.php?ms={ms}"), timeout=15)
    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    for r in results:
        assert r is not None and r.status == 200 and r.complete, r
    return time.monotonic() - t0


# ---- php-fpm killed and restarted under load ----------------------------------------

class Load:
    """Client threads sending a mix of requests until stopped; every result
    is kept as (start, end, what, outcome)."""

    KINDS = ["index", "sleep", "post", "stream"]

    def __init__(self, kiln, threads=6):
        self.kiln = kiln
        self.stop = threading.Event()
        self.results = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True)
                        for i in range(threads)]

    def one(self, rnd):
        kind = rnd.choice(self.KINDS)
        if kind == "index":
            raw, check = get("/index.php"), lambda f: f.body.startswith(b"hello pid ")
        elif kind == "sleep":
            raw, check = get("/sleep.php?ms=100"), lambda f: f.body == b"slept\n"
        elif kind == "post":
            body = bytes(rnd.getrandbits(8) for _ in range(2000))
            raw = (b"POST /echo.php HTTP/1.1\r\nHost: a\r\nContent-Length: 2000\r\n\r\n" + body)
            check = lambda f: f.body.startswith(b"2000 ")
        else:
            raw = get("/stream.php?bytes=524288&chunk=16384")
            check = lambda f: f.body == pattern(524288)
        t0 = time.monotonic()
        try:
            f = fetch(self.kiln.host, self.kiln.port, raw, timeout=15)
            if f.status == 200 and f.complete and check(f):
                outcome = "ok"
            elif f.status == 200 and not f.complete:
                outcome = "cut"
            elif f.status is None:
                outcome = "closed"
            else:
                outcome = str(f.status)
        except Exception as e:  # a garbled response too: counted, not lost
            outcome = f"error {e!r}"
        with self.lock:
            self.results.append((t0, time.monotonic(), kind, outcome))

    def run(self, i):
        rnd = random.Random(i)
        while not self.stop.is_set():
            self.one(rnd)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(30)


def test_php_fpm_killed_under_load_and_restarted(env):
    kiln, fpm, base = env
    with Load(kiln) as load:
        time.sleep(1.5)
        t_kill = time.monotonic()
        fpm.kill()
        t_killed = time.monotonic()
        time.sleep(1.5)
        t_restart = time.monotonic()
        fpm.start()
        t_up = time.monotonic()
        time.sleep(2.5)
    assert kiln.proc.poll() is None, "kiln died: " + kiln.log_text()[-3000:]

    before = [r for r in load.results if r[1] < t_kill]
    down = [r for r in load.results if r[0] >= t_killed and r[1] <= t_restart]
    after = [r for r in load.results if r[0] > t_up + 0.2]
    bad = [r for r in load.results if r[3] != "ok"]
    assert before and after and down, (len(before), len(after), len(down))
    assert all(r[3] == "ok" for r in before), [r for r in before if r[3] != "ok"]
    assert all(r[3] == "ok" for r in after), [r for r in after if r[3] != "ok"]
    # Requests while php-fpm was gone fail cleanly and at once: 502 (a
    # response already streaming when it died is cut).
    assert all(r[3] == "502" for r in down), [r for r in down if r[3] != "502"]
    for start, end, kind, outcome in bad:
        # Only requests in flight at the kill or started while it was down.
        assert end >= t_kill and start <= t_up, (start - t_kill, end - t_kill, kind, outcome)
        assert outcome in ("502", "cut"), (kind, outcome)
    # Served again, without a restart of kiln, by every php-fpm worker.
    concurrent_sleeps(kiln, 4, 200)
    assert_back_to_baseline(kiln, base, max_upstream=MAX_UP)


# ---- clients that leave --------------------------------------------------------------

def test_client_hangs_up_mid_upload(env):
    """Five clients announce 32 MiB and leave after 2 MiB: kiln closes their
    upstream connections (php-fpm's workers are free again), and nothing of
    theirs stays in kiln."""
    kiln, fpm, base = env
    for _ in range(5):
        s = socket.create_connection((kiln.host, kiln.port), timeout=10)
        s.sendall(b"POST /echo.php HTTP/1.1\r\nHost: a\r\nContent-Length: 33554432\r\n"
                  b"Content-Type: application/octet-stream\r\n\r\n")
        s.sendall(b"u" * (2 << 20))
        time.sleep(0.05)
        s.close()
    t0 = time.monotonic()
    assert_back_to_baseline(kiln, base, max_upstream=MAX_UP, timeout=10)
    # The four php-fpm workers all answer at once: none is stuck on an
    # upload that will never come.
    assert concurrent_sleeps(kiln, 4, 200) < 3
    assert_back_to_baseline(kiln, base, max_upstream=MAX_UP)
    print(f"back to baseline {time.monotonic() - t0:.2f}s after the last hang-up")


def test_client_hangs_up_mid_download(env):
    """Five clients start a 64 MiB download and leave after 1 MiB: kiln
    closes the upstream connection (php-fpm's worker stops writing to it)
    and is back at its baseline."""
    kiln, fpm, base = env
    for _ in range(5):
        s = socket.create_connection((kiln.host, kiln.port), timeout=10)
        s.sendall(get("/stream.php?bytes=67108864&chunk=65536"))
        f = read_fetched(s, max_body=1 << 20)
        assert f.status == 200 and not f.complete and f.body[:65536] == pattern(65536), f
        s.close()
    assert_back_to_baseline(kiln, base, max_upstream=MAX_UP, timeout=10)
    assert concurrent_sleeps(kiln, 4, 200) < 3
    assert_back_to_baseline(kiln, base, max_upstream=MAX_UP)


def test_client_hangs_up_while_php_works(env):
    """Clients that leave while their script is still running: the response
    has nowhere to go; kiln frees everything once php-fpm answers."""
    kiln, fpm, base = env
    for _ in range(4):
        s = socket.create_connection((kiln.host, kiln.port), timeout=10)
        s.sendall(get("/sleep.php?ms=300"))
        s.close()
    time.sleep(0.5)
    assert concurrent_sleeps(kiln, 4, 100) < 3
    assert_back_to_baseline(kiln, base, max_upstream=MAX_UP)
