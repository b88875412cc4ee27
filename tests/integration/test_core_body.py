# kiln-sites: core_main
"""Request bodies: sizes at the edges of max_body_size (65536 in
core_main), Content-Length and chunked, Expect: 100-continue, and a chunked
body larger than body_buffer_size (4096) that is spooled to a temporary
file, checked by an MD5 that PHP computes."""
import hashlib
import os
import random
import time

import pytest

from corelib import WWW_CORE, client, clear_marks, marks

SITE = "core_main"
WWW = WWW_CORE

MAX = 65536


@pytest.fixture
def kiln(site_module):
    k, _ = site_module
    clear_marks(k)
    return k


def chunked(body, sizes=(7,)):
    out, i, k = b"", 0, 0
    while i < len(body):
        n = sizes[k % len(sizes)]
        k += 1
        part = body[i:i + n]
        out += b"%x\r\n%s\r\n" % (len(part), part)
        i += n
    return out + b"0\r\n\r\n"


def md5_line(body):
    return f"{len(body)} {hashlib.md5(body).hexdigest()} {len(body)}\n".encode()


def body_of(n, seed=1):
    return random.Random(seed).randbytes(n)


@pytest.mark.parametrize("n", [0, 1, 4095, 4096, 4097, MAX])
def test_content_length_body(kiln, n):
    body = body_of(n)
    c = client(kiln)
    c.send(b"POST /md5.php HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n" % n + body)
    r = c.read_response()
    assert (r.status, r.body) == (200, md5_line(body))
    c.close()


@pytest.mark.parametrize("n", [0, 1, 4096, 4097, MAX])
def test_chunked_body(kiln, n):
    body = body_of(n, seed=n)
    c = client(kiln)
    c.send(b"POST /md5.php HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" +
           chunked(body, (1, 100, 3000, 7000)))
    r = c.read_response()
    assert (r.status, r.body) == (200, md5_line(body))
    c.close()


def test_over_max_body_with_content_length_is_413_before_the_body(kiln):
    c = client(kiln)
    # Only the head: the 413 must come without the body being sent.
    c.send(b"POST /mark.php?m=too-big HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n" % (MAX + 1))
    r = c.read_response()
    assert r.status == 413
    assert r.header("Connection") == "close"
    assert c.read_rest() == b""
    c.close()
    assert marks(kiln) == []


def test_over_max_body_chunked_is_413(kiln):
    body = body_of(MAX + 1)
    c = client(kiln)
    c.send(b"POST /mark.php?m=too-big-chunked HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
    try:
        c.send(chunked(body, (5000,)))
    except (BrokenPipeError, ConnectionResetError):
        pass
    r = c.read_response()
    assert r.status == 413
    assert c.read_rest() == b""
    c.close()
    assert marks(kiln) == []


def test_expect_100_continue(kiln):
    body = body_of(5000)
    c = client(kiln)
    c.send(b"POST /md5.php HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n")
    r = c.read_response()
    assert r.status == 100
    c.send(body)
    r = c.read_response()
    assert (r.status, r.body) == (200, md5_line(body))
    # The connection goes on.
    c.send(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
    assert c.read_response().body == b"ok\n"
    c.close()


def test_expect_100_continue_chunked(kiln):
    body = body_of(9000)
    c = client(kiln)
    c.send(b"POST /md5.php HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n")
    assert c.read_response().status == 100
    c.send(chunked(body, (1000,)))
    r = c.read_response()
    assert (r.status, r.body) == (200, md5_line(body))
    c.close()


def test_expect_100_continue_over_limit_is_413_without_100(kiln):
    c = client(kiln)
    c.send(b"POST /mark.php?m=expect-big HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
           b"Content-Length: %d\r\n\r\n" % (MAX + 1))
    r = c.read_response()
    assert r.status == 413          # the first thing that comes back, no 100 before it
    assert c.read_rest() == b""
    c.close()
    assert marks(kiln) == []


def test_expect_100_continue_with_body_already_sent(kiln):
    """A client that does not wait for the 100 gets its answer all the same
    (a 100 before it is allowed, nothing else)."""
    body = b"x" * 100
    c = client(kiln)
    c.send(b"POST /md5.php HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 100\r\n\r\n" + body)
    r = c.read_response()
    if r.status == 100:
        r = c.read_response()
    assert (r.status, r.body) == (200, md5_line(body))
    c.close()


def test_large_chunked_body_is_spooled_and_arrives_intact(kiln):
    body = body_of(MAX, seed=42)
    fds_before = kiln.fd_count()
    c = client(kiln)
    head = b"POST /md5.php HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
    data = chunked(body, (1, 4096, 333, 8191, 17, 20000))
    c.send(head)
    # In pieces, with pauses, so the spool is fed across many reads.
    for i in range(0, len(data), 9000):
        c.send(data[i:i + 9000])
        time.sleep(0.005)
    r = c.read_response()
    assert (r.status, r.body) == (200, md5_line(body))
    c.close()
    # The temporary file is gone with the request (no descriptor kept).
    deadline = time.monotonic() + 2
    while kiln.fd_count() > fds_before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert kiln.fd_count() <= fds_before


def test_content_length_body_sent_slowly(kiln):
    body = body_of(20000, seed=7)
    c = client(kiln)
    c.send(b"POST /md5.php HTTP/1.1\r\nHost: a\r\nContent-Length: 20000\r\n\r\n")
    for i in range(0, len(body), 2500):
        c.send(body[i:i + 2500])
        time.sleep(0.01)
    r = c.read_response()
    assert (r.status, r.body) == (200, md5_line(body))
    c.close()


def test_body_followed_by_pipelined_request(kiln):
    body = b"a" * 3000
    c = client(kiln)
    c.send(b"POST /md5.php HTTP/1.1\r\nHost: a\r\nContent-Length: 3000\r\n\r\n" + body +
           b"POST /md5.php HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(body, (1000,)) +
           b"GET /mark.php?m=after-bodies HTTP/1.1\r\nHost: a\r\n\r\n")
    assert c.read_response().body == md5_line(body)
    assert c.read_response().body == md5_line(body)
    assert c.read_response().body == b"marked after-bodies\n"
    c.close()
    assert marks(kiln) == ["after-bodies"]


def test_client_closing_mid_body_does_not_reach_php_twice(kiln):
    c = client(kiln)
    c.send(b"POST /mark.php?m=cut HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n" + b"x" * 10)
    time.sleep(0.2)
    c.close()
    time.sleep(0.3)
    # Still serving; the cut request may or may not have started in PHP,
    # but PHP got at most one of it.
    c = client(kiln)
    c.send(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
    assert c.read_response().body == b"ok\n"
    c.close()
    assert len(marks(kiln)) <= 1
    if os.path.exists(f"/tmp/kiln-it/{kiln.name}/marks/cut"):
        assert open(f"/tmp/kiln-it/{kiln.name}/marks/cut").read().count("\n") == 1
