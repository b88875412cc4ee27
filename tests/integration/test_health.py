# kiln-sites: health_main health_guarded health_off
"""Liveness, readiness and drain endpoints, against a real php-fpm whose
status page is the readiness probe's target."""
import threading
import time

import pytest

from conftest import start_site, stop_site
from kilnfix import RawClient, request

STATUS = {"pm.status_path": "/fpm-status"}


def get(kiln, path, extra=b""):
    return request(kiln.host, kiln.port,
                   b"GET %s HTTP/1.1\r\nHost: a\r\n%s\r\n" % (path.encode(), extra))


@pytest.fixture
def main():
    kiln, fpm = start_site("health_main", **STATUS)
    yield kiln, fpm
    stop_site(kiln, fpm)


def test_healthz_never_touches_php_fpm(main):
    kiln, fpm = main
    assert (get(kiln, "/healthz").status, get(kiln, "/healthz").body) == (200, b"ok\n")
    fpm.stop()
    r = get(kiln, "/healthz")
    assert (r.status, r.body) == (200, b"ok\n")
    assert r.header("Cache-Control") == "no-store"


def test_readyz_follows_php_fpm(main):
    kiln, fpm = main
    r = get(kiln, "/readyz")
    assert (r.status, r.body) == (200, b"ready\n")
    fpm.stop()
    t = time.monotonic()
    r = get(kiln, "/readyz")
    assert (r.status, r.body) == (503, b"not ready\n")
    assert time.monotonic() - t < 0.6 + 0.5
    fpm.start()
    assert get(kiln, "/readyz").status == 200
    # The status page's own body (worker counts) is never passed on.
    assert b"pool" not in get(kiln, "/readyz").body


def test_readyz_not_ready_when_the_status_page_is_missing():
    # php-fpm without pm.status_path answers the probe with 404.
    kiln, fpm = start_site("health_main")
    try:
        r = get(kiln, "/readyz")
        assert (r.status, r.body) == (503, b"not ready\n")
        assert "did not answer 2xx" in kiln.log_text()
    finally:
        stop_site(kiln, fpm)


def test_readyz_waits_for_a_slot_at_most_its_timeout(main):
    # Both php-fpm connections kiln may open are busy with slow scripts: the
    # probe queues like any request, but for readiness.timeout (600ms) only.
    kiln, _ = main
    done = []

    def slow():
        r = request(kiln.host, kiln.port, b"GET /slow.php?s=2 HTTP/1.1\r\nHost: a\r\n\r\n",
                    timeout=10)
        done.append(r.status)

    threads = [threading.Thread(target=slow) for _ in range(2)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    t0 = time.monotonic()
    r = get(kiln, "/readyz")
    elapsed = time.monotonic() - t0
    assert (r.status, r.body) == (503, b"not ready\n")
    assert 0.5 <= elapsed <= 1.2, elapsed
    for t in threads:
        t.join()
    assert done == [200, 200]
    assert get(kiln, "/readyz").status == 200


def test_drain_flips_readiness_and_closes_connections(main):
    kiln, _ = main
    assert get(kiln, "/healthz/drain-status").body == b"live\n"
    c = RawClient(kiln.host, kiln.port)
    c.send(b"GET /index.php HTTP/1.1\r\nHost: a\r\n\r\n")
    before = c.read_response()
    assert before.status == 200 and before.header("Connection") is None

    r = get(kiln, "/healthz/fail")
    assert (r.status, r.body) == (200, b"draining\n")
    assert get(kiln, "/healthz/fail").body == b"draining\n"   # idempotent
    assert get(kiln, "/healthz/drain-status").body == b"draining\n"
    r = get(kiln, "/readyz")
    assert (r.status, r.body) == (503, b"draining\n")
    assert get(kiln, "/healthz").status == 200                 # liveness stays

    # The open keep-alive connection gets its next answer and is closed.
    c.send(b"GET /index.php HTTP/1.1\r\nHost: a\r\n\r\n")
    after = c.read_response()
    assert after.status == 200 and after.header("Connection") == "close"
    assert c.closed_by_peer()
    c.close()
    r = get(kiln, "/robots.txt")
    assert r.header("Connection") == "close"
    assert "/healthz/fail: draining" in kiln.log_text()


def test_drain_refused_outside_trusted_networks():
    kiln, fpm = start_site("health_guarded")
    try:
        r = get(kiln, "/healthz/fail")
        assert (r.status, r.body) == (403, b"forbidden\n")
        assert get(kiln, "/healthz/drain-status").body == b"live\n"
        assert "not in readiness.drain_trusted_cidrs" in kiln.log_text()
    finally:
        stop_site(kiln, fpm)


def test_readiness_and_drain_disabled():
    kiln, fpm = start_site("health_off")
    try:
        fpm.stop()
        r = get(kiln, "/readyz")   # mirrors /healthz, php-fpm not asked
        assert (r.status, r.body) == (200, b"ready\n")
        r = get(kiln, "/healthz/fail")
        assert r.status == 404
        assert get(kiln, "/healthz/drain-status").body == b"live\n"
    finally:
        stop_site(kiln, fpm)
