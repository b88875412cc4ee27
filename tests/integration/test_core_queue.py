# kiln-sites: core_queue core_queue_tight
# kiln-serial
"""The upstream bound and its wait queue under real load.

core_queue: php-fpm pm.max_children = 4, upstream_max_conns = 4,
upstream_queue_timeout 3s. 64 keep-alive clients for 20 s: every request is
answered 200, none waits anywhere near the queue deadline, and kiln never
holds more than 4 php-fpm connections.

core_queue_tight: upstream_max_conns = 2 (= pm.max_children), queue
deadline 300ms. With slow scripts holding both connections, queued requests
get 503 with Retry-After at the deadline, the slow ones still succeed, and
nothing hangs afterwards."""
import statistics
import threading
import time

import pytest

from conftest import start_site, stop_site
from corelib import WWW_CORE, Timer, client, kiln_upstream_conns

WWW = WWW_CORE


@pytest.fixture
def queue_site():
    kiln, fpm = start_site("core_queue", WWW_CORE, **{"pm.max_children": 4})
    yield kiln, fpm
    stop_site(kiln, fpm)


@pytest.fixture
def tight_site():
    kiln, fpm = start_site("core_queue_tight", WWW_CORE, **{"pm.max_children": 2})
    yield kiln, fpm
    stop_site(kiln, fpm)


def test_64_keep_alive_clients_for_20_seconds(queue_site):
    kiln, _ = queue_site
    duration, nclients = 20.0, 64
    queue_deadline = 3.0
    lat, bad, errors = [], [], []
    lock = threading.Lock()
    end = time.monotonic() + duration

    def worker(k):
        mine = []
        try:
            c = client(kiln, timeout=10)
            i = 0
            while time.monotonic() < end:
                target = b"/sleep.php?ms=2" if i % 2 else b"/dump.php?k=%d&i=%d" % (k, i)
                t0 = time.monotonic()
                c.send(b"GET " + target + b" HTTP/1.1\r\nHost: a\r\n\r\n")
                r = c.read_response()
                mine.append(time.monotonic() - t0)
                if r.status != 200:
                    with lock:
                        bad.append((r.status, r.header("Retry-After")))
                i += 1
            c.close()
        except Exception as e:  # reported below
            with lock:
                errors.append(repr(e))
        with lock:
            lat.extend(mine)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(nclients)]
    for t in threads:
        t.start()
    peak = 0
    while any(t.is_alive() for t in threads):
        peak = max(peak, kiln_upstream_conns(kiln))
        time.sleep(0.05)
    assert kiln.stop() == 0
    stats = kiln.stats()
    lat.sort()
    print(f"\n{len(lat)} requests from {nclients} clients in {duration:.0f}s: "
          f"median {statistics.median(lat) * 1000:.1f} ms, "
          f"p99 {lat[int(len(lat) * 0.99)] * 1000:.1f} ms, max {lat[-1] * 1000:.1f} ms; "
          f"peak php-fpm connections {peak}; kiln: {stats}")
    assert errors == []
    assert bad == []
    assert len(lat) > 2000
    assert lat[-1] < queue_deadline
    assert 1 <= peak <= 4
    assert stats["requests"] == len(lat)
    assert "upstream_queue_timeout" not in kiln.log_text()


def test_queue_deadline_exceeded_gives_503_and_nothing_hangs(tight_site):
    kiln, _ = tight_site
    results = {}

    def slow(k, ms):
        c = client(kiln, timeout=10)
        with Timer() as t:
            c.send(b"GET /sleep.php?ms=%d HTTP/1.1\r\nHost: a\r\n\r\n" % ms)
            r = c.read_response()
        results[k] = (r.status, t.elapsed, r.body)
        c.close()

    # Phase 1: both php-fpm connections held by slow scripts; every other
    # request waits 300 ms in the queue, then gets 503 with Retry-After.
    holders = [threading.Thread(target=slow, args=(f"slow{k}", 1500)) for k in range(2)]
    for t in holders:
        t.start()
    time.sleep(0.3)
    queued = []

    def fast(k):
        c = client(kiln, timeout=10)
        with Timer() as t:
            c.send(b"GET /dump.php?q=%d HTTP/1.1\r\nHost: a\r\n\r\n" % k)
            r = c.read_response()
        queued.append((r.status, r.header("Retry-After"), t.elapsed, c))

    fasts = [threading.Thread(target=fast, args=(k,)) for k in range(6)]
    for t in fasts:
        t.start()
    for t in fasts:
        t.join(5)
    assert len(queued) == 6
    for status, retry_after, elapsed, _ in queued:
        assert status == 503
        assert retry_after is not None and int(retry_after) >= 1
        assert 0.25 <= elapsed < 1.0, elapsed
    for t in holders:
        t.join(5)
    for k in range(2):
        status, elapsed, body = results[f"slow{k}"]
        assert status == 200 and body.startswith(b"slept 1500")

    # The connections that got a 503 are still usable, now that php-fpm is free.
    for _, _, _, c in queued:
        c.send(b"GET /dump.php HTTP/1.1\r\nHost: a\r\n\r\n")
        assert c.read_response().status == 200
        c.close()

    # Phase 2: one slot held by a slow script, the other free: fast requests
    # keep succeeding through the free one.
    holder = threading.Thread(target=slow, args=("slow-again", 1500))
    holder.start()
    time.sleep(0.2)
    statuses = []

    def busy(k):
        c = client(kiln, timeout=10)
        for i in range(20):
            c.send(b"GET /dump.php?b=%d HTTP/1.1\r\nHost: a\r\n\r\n" % i)
            statuses.append(c.read_response().status)
        c.close()

    busies = [threading.Thread(target=busy, args=(k,)) for k in range(4)]
    for t in busies:
        t.start()
    for t in busies:
        t.join(10)
    holder.join(5)
    assert statuses == [200] * 80
    assert results["slow-again"][0] == 200

    # Phase 3: nothing hangs: every connection is usable, the queue is empty.
    for _ in range(10):
        c = client(kiln, timeout=5)
        c.send(b"GET /dump.php HTTP/1.1\r\nHost: a\r\n\r\n")
        assert c.read_response().status == 200
        c.close()
    assert kiln.log_text().count("upstream_queue_timeout") == 6
