# kiln-sites: fault_slow
"""Slow clients against a fast upstream (sites/fault_slow.json: read_timeout
1s, write_timeout 5s): a client that takes longer than read_timeout to
take a response kiln already has in full is still served whole, since
read_timeout is the upstream's deadline, and the client's is
write_timeout."""
import random
import socket
import time

import pytest

from faultfix import assert_back_to_baseline, fault_site, fetch, get, pattern, read_fetched, \
    stream_of

SITE = "fault_slow"


@pytest.fixture(scope="module")
def env():
    with fault_site(SITE, peer=True) as (kiln, peer):
        for _ in range(2):
            assert fetch(kiln.host, kiln.port, get("/p.php?mode=oneshot&n=60000")).status == 200
        yield kiln, peer, kiln.usage()


def slow_client(kiln, path, pause):
    """Connect with a tiny receive buffer, send, wait `pause` s, then read."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    s.settimeout(10)
    s.connect((kiln.host, kiln.port))
    try:
        s.sendall(get(path))
        time.sleep(pause)
        return read_fetched(s, timeout=10)
    finally:
        s.close()


@pytest.mark.parametrize("delay_ms", [0, 300])
def test_slow_client_gets_a_response_kiln_holds_in_full(env, delay_ms):
    """The whole response (60000 bytes and END_REQUEST) arrives in one read;
    the client reads nothing for 1.6s (over read_timeout, under
    write_timeout), then everything."""
    kiln, peer, base = env
    f = slow_client(kiln, f"/p.php?mode=oneshot&n=60000&ms={delay_ms}", 1.6)
    assert f.status == 200 and f.complete and f.body == pattern(60000), f
    assert "read_timeout" not in kiln.log_text(), kiln.log_text()[-2000:]
    assert_back_to_baseline(kiln, base, max_upstream=2)


def test_slow_client_of_a_streamed_response(env):
    """3 MiB in 64 KiB records while the client pauses 1.6s first."""
    kiln, peer, base = env
    n = 3 << 20
    f = slow_client(kiln, f"/p.php?mode=big&n={n}", 1.6)
    assert f.status == 200 and f.complete and f.body == pattern(n), f
    assert_back_to_baseline(kiln, base, max_upstream=2)


def fnv1a(data: bytes) -> int:
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def test_spooled_chunked_body_reaches_a_slow_reader_intact(env):
    """A chunked body past body_buffer_size (4096) is spooled to a file and
    read back through one stage buffer. The peer reads one STDIN record per
    20 ms, so kiln's writes meet a full socket and resume later: every byte
    must still arrive in order (a stage buffer refilled while its previous
    contents were queued once corrupted such bodies)."""
    kiln, peer, base = env
    body = random.Random(7).randbytes(2 << 20)
    parts = b"".join(b"%x\r\n" % len(body[i:i + 50000]) + body[i:i + 50000] + b"\r\n"
                     for i in range(0, len(body), 50000))
    raw = (b"POST /p.php?mode=ok&slow=20 HTTP/1.1\r\nHost: a\r\n"
           b"Transfer-Encoding: chunked\r\n\r\n" + parts + b"0\r\n\r\n")
    f = fetch(kiln.host, kiln.port, raw, timeout=20)
    assert f.status == 200, f
    assert f"len={len(body)} fnv={fnv1a(body):08x}".encode() in f.body, f.body
    assert_back_to_baseline(kiln, base, max_upstream=2)


@pytest.mark.parametrize("n", [60000, 3 << 20])
def test_response_complete_before_the_body_is_not_cut(env, n):
    """The upstream answers in full (END_REQUEST) without reading the
    request body, then hangs up on the unread STDIN, while kiln is still
    sending that body (received in full from the client first: 4 MB, held
    in a temporary file) and the client reads the response slowly. The
    response is whole, so the client must get all of it: failing to write
    the rest of the body must not cut it."""
    kiln, peer, base = env
    mode = "oneshot" if n <= 60000 else "big"
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    s.connect((kiln.host, kiln.port))
    try:
        size = 4000000
        s.sendall(b"POST /p.php?mode=%s&n=%d&read=0 HTTP/1.1\r\nHost: a\r\n"
                  b"Content-Length: %d\r\n\r\n" % (mode.encode(), n, size) + b"u" * size)
        s.setblocking(False)
        got, t0 = [], time.monotonic()
        while time.monotonic() - t0 < 1.0:  # read slowly
            try:
                got.append(s.recv(2048))
            except BlockingIOError:
                pass
            time.sleep(0.005)
        s.setblocking(True)
        stream = stream_of(s)
        stream.buf = b"".join(got)  # what was read meanwhile comes first
        f = read_fetched(s, timeout=10, stream=stream)
    finally:
        s.close()
    assert f.status == 200 and f.complete and f.body == pattern(n), f
    assert_back_to_baseline(kiln, base, max_upstream=2)
