# kiln-sites: core_shutdown
"""Graceful shutdown (core_shutdown: shutdown_timeout 5s, read_timeout 10s).
SIGTERM with a slow script running: that request completes with 200, new
connections are refused, idle keep-alive connections are closed at once,
and kiln exits 0 as soon as the request is done, within the grace period.
A request that outlives the grace period is cut and kiln still exits."""
import threading
import time

from corelib import WWW_CORE, Timer, client, connect_refused

SITE = "core_shutdown"
WWW = WWW_CORE


def test_sigterm_lets_the_request_in_flight_finish(site):
    kiln, _ = site
    idle = client(kiln)
    idle.send(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
    assert idle.read_response().status == 200

    busy = client(kiln)
    busy.send(b"GET /sleep.php?ms=1500 HTTP/1.1\r\nHost: a\r\n\r\n")
    time.sleep(0.3)   # the script is running
    t0 = time.monotonic()
    kiln.proc.send_signal(15)

    # The idle keep-alive connection is closed at SIGTERM.
    with Timer() as t:
        assert idle.read_rest(wait=2) == b""
    assert t.elapsed < 0.5, t.elapsed
    idle.close()

    # New connections are refused while the request finishes.
    time.sleep(0.1)
    assert connect_refused(kiln.host, kiln.port)

    r = busy.read_response()
    assert r.status == 200 and r.body.startswith(b"slept 1500")
    assert r.header("Connection") == "close"
    assert busy.read_rest(wait=2) == b""
    busy.close()

    status = kiln.proc.wait(6)
    elapsed = time.monotonic() - t0
    assert status == 0
    assert elapsed < 2.5, elapsed   # right after the request, well within the 5s grace
    assert "shutdown_timeout reached" not in kiln.log_text()
    kiln.stop()


def test_pipelined_request_behind_the_one_in_flight_is_not_started(site):
    kiln, _ = site
    c = client(kiln)
    c.send(b"GET /sleep.php?ms=800 HTTP/1.1\r\nHost: a\r\n\r\n"
           b"GET /mark.php?m=after-sigterm HTTP/1.1\r\nHost: a\r\n\r\n")
    time.sleep(0.2)
    kiln.proc.send_signal(15)
    r = c.read_response()
    assert r.status == 200 and r.header("Connection") == "close"
    assert c.read_rest(wait=2) == b""
    c.close()
    assert kiln.proc.wait(6) == 0
    kiln.stop()
    assert not (kiln.state / "marks" / "after-sigterm").exists()


def test_request_longer_than_the_grace_period_is_cut(site):
    kiln, _ = site
    c = client(kiln)
    c.send(b"GET /sleep.php?ms=9000 HTTP/1.1\r\nHost: a\r\n\r\n")
    time.sleep(0.3)
    with Timer() as t:
        kiln.proc.send_signal(15)
        status = kiln.proc.wait(10)
    assert status == 0
    assert 4.5 <= t.elapsed < 7, t.elapsed   # shutdown_timeout is 5s
    assert c.read_rest(wait=2) in (b"",)     # cut: no response, just the close
    c.close()
    assert "shutdown_timeout reached" in kiln.log_text()
    kiln.stop()


def test_sigint_stops_too(site):
    kiln, _ = site
    c = client(kiln)
    c.send(b"GET /dump.php HTTP/1.1\r\nHost: a\r\n\r\n")
    assert c.read_response().status == 200
    c.close()
    kiln.proc.send_signal(2)
    assert kiln.proc.wait(5) == 0
    kiln.stop()
    assert "SIGINT" in kiln.log_text()


def test_requests_under_load_at_sigterm_all_complete_or_are_refused(site):
    """Clients keep sending while kiln stops: every request that was sent
    gets a complete response or a clean close/refusal; none is cut or
    answered twice."""
    kiln, _ = site
    results, stop = [], threading.Event()

    def worker():
        while not stop.is_set():
            try:
                c = client(kiln, timeout=5)
            except OSError:
                results.append("refused")
                time.sleep(0.01)
                continue
            try:
                while not stop.is_set():
                    c.send(b"GET /sleep.php?ms=50 HTTP/1.1\r\nHost: a\r\n\r\n")
                    r = c.read_response()
                    if r.status != 200 or not r.body.startswith(b"slept 50"):
                        results.append(("bad", r.status, r.body[:50]))
                        break
                    results.append(200)
                    if r.header("Connection") == "close":
                        break
            except (EOFError, ConnectionResetError, BrokenPipeError):
                results.append("closed")
            except Exception as e:  # a timeout or a bad response: fails below
                results.append(("error", repr(e)))
            finally:
                c.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    kiln.proc.send_signal(15)
    assert kiln.proc.wait(6) == 0
    stop.set()
    for t in threads:
        t.join(5)
    kiln.stop()
    assert results.count(200) > 10
    assert set(results) <= {200, "refused", "closed"}
