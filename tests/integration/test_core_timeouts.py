# kiln-sites: core_timeouts
"""Deadlines, with small values in a dedicated site (core_timeouts:
read_timeout, keepalive_timeout and dial_timeout 1s, write_timeout 2s):
a script slower than read_timeout gets 504 on time and kiln goes on; idle,
stalled and non-reading clients are dropped on time; php-fpm down on its
Unix socket is a fast 502."""
import select
import socket
import time

import pytest

from corelib import WWW_CORE, Timer, client, env_of, get

SITE = "core_timeouts"
WWW = WWW_CORE


@pytest.fixture
def kiln(site_module):
    return site_module[0]


def test_script_slower_than_read_timeout_is_504(kiln):
    c = client(kiln)
    with Timer() as t:
        c.send(b"GET /sleep.php?ms=2500 HTTP/1.1\r\nHost: a\r\n\r\n")
        r = c.read_response()
    assert r.status == 504
    assert 0.9 <= t.elapsed < 1.8, t.elapsed
    # The same client connection goes on, and gets its own answers, never
    # the late one of the slow script.
    for i in range(3):
        c.send(b"GET /dump.php?after=%d HTTP/1.1\r\nHost: a\r\n\r\n" % i)
        assert env_of(c.read_response())["server"]["QUERY_STRING"] == f"after={i}"
    c.close()
    time.sleep(1.8)   # the slow script has finished by now
    c = client(kiln)
    for i in range(6):
        c.send(b"GET /dump.php?later=%d HTTP/1.1\r\nHost: a\r\n\r\n" % i)
        r = c.read_response()
        assert b"slept" not in r.body
        assert env_of(r)["server"]["QUERY_STRING"] == f"later={i}"
    c.close()
    assert "no response within read_timeout" in kiln.log_text()


def test_fast_scripts_within_read_timeout_are_fine(kiln):
    r, _ = get(kiln, b"/sleep.php?ms=600")
    assert r.status == 200 and r.body.startswith(b"slept 600")


def test_idle_keep_alive_connection_closed_after_keepalive_timeout(kiln):
    c = client(kiln)
    c.send(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
    assert c.read_response().status == 200
    with Timer() as t:
        rest = c.read_rest(wait=5)
    assert rest == b""
    assert 0.8 <= t.elapsed < 2.5, t.elapsed
    c.close()


def test_activity_keeps_the_connection_open(kiln):
    c = client(kiln)
    for _ in range(4):   # 2.4 s in all, more than the 1 s idle timeout
        c.send(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
        assert c.read_response().status == 200
        time.sleep(0.6)
    c.close()


def test_half_a_head_then_silence_is_408(kiln):
    c = client(kiln)
    with Timer() as t:
        c.send(b"GET /dump.php HTTP/1.1\r\nHost: a\r\nX-Partial: ")
        r = c.read_response()
    assert r.status == 408
    assert 0.8 <= t.elapsed < 2.5, t.elapsed
    assert c.read_rest(wait=3) == b""
    c.close()


def test_head_trickling_in_is_bounded_by_read_timeout(kiln):
    """A byte every 300 ms would keep a per-read timeout alive forever; the
    head as a whole has one deadline."""
    c = client(kiln)
    raw = b"GET /dump.php HTTP/1.1\r\nHost: a\r\nX-Slow: " + b"s" * 40
    t0 = time.monotonic()
    for i in range(len(raw)):
        if select.select([c.sock], [], [], 0.3)[0]:
            break   # kiln answered (or closed): stop sending
        c.send(raw[i:i + 1])
    elapsed = time.monotonic() - t0
    rest = c.read_rest(wait=3)
    assert rest is not None and (rest == b"" or rest.startswith(b"HTTP/1.1 408 ")), rest
    assert 0.8 <= elapsed < 2.5, elapsed
    c.close()


def test_stalled_chunked_body_is_408(kiln):
    c = client(kiln)
    with Timer() as t:
        c.send(b"POST /md5.php HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel")
        r = c.read_response()
    assert r.status == 408
    assert 0.8 <= t.elapsed < 2.5, t.elapsed
    assert c.read_rest(wait=3) == b""
    c.close()


def test_stalled_content_length_body_is_dropped(kiln):
    c = client(kiln)
    with Timer() as t:
        c.send(b"POST /md5.php HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n0123456789")
        rest = c.read_rest(wait=5)
    # Part of the request is with PHP already: a 408 or a plain close.
    assert rest is not None and (rest == b"" or rest.startswith(b"HTTP/1.1 408 "))
    assert 0.8 <= t.elapsed < 2.5, t.elapsed
    c.close()
    r, _ = get(kiln, b"/dump.php")
    assert r.status == 200


def send_in_two_parts(c, head, body, pause=0.1):
    """The head with the first part of the body, then the rest: kiln reads
    the body from the socket after the request went to php-fpm."""
    c.send(head + body[:10])
    time.sleep(pause)
    c.send(body[10:])


def test_response_streaming_longer_than_read_timeout_after_a_body(kiln):
    """The deadline for reading the request body ends with the body: a
    response that takes longer than read_timeout in all, but never stalls
    that long, is delivered whole."""
    c = client(kiln)
    body = b"b" * 1000
    with Timer() as t:
        send_in_two_parts(c, b"POST /drip.php?n=8&ms=250 HTTP/1.1\r\nHost: a\r\n"
                             b"Content-Length: 1000\r\n\r\n", body)
        r = c.read_response()
    assert r.status == 200
    assert r.body == b"".join(b"tick %d\n" % i for i in range(8)) + b"done\n"
    assert t.elapsed >= 2.0
    c.close()


def test_slow_script_after_a_body_is_504(kiln):
    c = client(kiln)
    with Timer() as t:
        send_in_two_parts(c, b"POST /sleep.php?ms=2500 HTTP/1.1\r\nHost: a\r\n"
                             b"Content-Length: 100\r\n\r\n", b"x" * 100)
        r = c.read_response()
    assert r.status == 504
    assert 0.9 <= t.elapsed < 1.8, t.elapsed
    c.close()


def test_client_that_never_reads_is_dropped_after_write_timeout(kiln):
    c = socket.socket()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    c.connect((kiln.host, kiln.port))
    c.sendall(b"GET /stream.php?bytes=67108864&chunk=65536 HTTP/1.1\r\nHost: a\r\n\r\n")
    time.sleep(3.0)   # write_timeout is 1s: kiln gives up long before this
    got, closed = 0, False
    c.settimeout(2)
    try:
        while True:
            data = c.recv(1 << 20)
            if not data:
                closed = True
                break
            got += len(data)
    except ConnectionResetError:
        closed = True
    except TimeoutError:
        pass
    c.close()
    assert closed, "kiln kept a client that does not read"
    assert got < 67108864 // 2
    assert "client timed out" in kiln.log_text()
    # kiln (and php-fpm, whose script lost its reader) still serve.
    for _ in range(3):
        r, _ = get(kiln, b"/dump.php")
        assert r.status == 200


def test_php_fpm_down_on_unix_socket_is_fast_502(kiln, site_module):
    _, fpm = site_module
    fpm.stop()
    try:
        for _ in range(3):
            with Timer() as t:
                r, _ = get(kiln, b"/dump.php")
            assert r.status == 502
            assert t.elapsed < 1.0, t.elapsed
    finally:
        fpm.start()
    r, _ = get(kiln, b"/dump.php")
    assert r.status == 200
