# kiln-sites: fault_peer
"""A misbehaving FastCGI server (fcgi_peer.c) behind kiln: every broken
record stream, stall and hang-up ends in a clean 502/504 for the client, or
in a visibly cut chunked response once the head is out; the connection is
never pooled again (kiln closes it, the peer never sees another request on
it, and the next request opens a new upstream connection unless a
well-behaved one is still pooled); kiln keeps serving; its descriptors and
RSS return to the baseline (tolerances: faultfix.py).

The site (sites/fault_peer.json) has one thread, so its pool is one LIFO
list: a well-behaved request before each case leaves a pooled connection,
which a faulty GET then takes (a POST may open its own: upstream.c
idle_pick). The peer marks every connection it misbehaves on, and counts
them while open (bad_open) and any request kiln sends on one (bad_reuse).
read_timeout and write_timeout are 1s.
"""
import socket
import threading
import time

import pytest

from faultfix import assert_back_to_baseline, fault_site, fetch, get, pattern, read_fetched, \
    stream_of

SITE = "fault_peer"
TIMEOUT_S = 1.0  # read_timeout and write_timeout of the site
MAX_UP = 4  # upstream_max_conns of the site


@pytest.fixture(scope="module")
def env():
    with fault_site(SITE, peer=True) as (kiln, peer):
        warm_up(kiln, peer)
        yield kiln, peer, kiln.usage()


def ok(kiln):
    f = fetch(kiln.host, kiln.port, get("/p.php?mode=ok"))
    assert f.status == 200 and f.complete, f
    assert f.body.startswith(b"ok conn="), f
    return f


def warm_up(kiln, peer):
    """Every kind of request once, so free lists and chunk pools are at their
    steady size before the baseline is taken."""
    for _ in range(3):
        ok(kiln)
    f = fetch(kiln.host, kiln.port, get("/p.php?mode=big&n=1048576"))
    assert f.status == 200 and f.complete and len(f.body) == 1 << 20, f
    f = fetch(kiln.host, kiln.port, get("/p.php?mode=headloop"))
    assert f.status == 502, f
    f = fetch(kiln.host, kiln.port, get("/p.php?mode=stderr&n=65536"))
    assert f.status == 200, f
    post_big(kiln, "/p.php?mode=ok", 1 << 20)
    endless_abort(kiln)
    ok(kiln)
    peer.wait_stats(lambda s: s["open"] == 1 and s["bad_open"] == 0,
                    what="one pooled connection")


def endless_abort(kiln, read=2 << 20):
    """Read `read` bytes of an endless response, then hang up."""
    sock = socket.create_connection((kiln.host, kiln.port), timeout=10)
    try:
        sock.sendall(get("/p.php?mode=endless"))
        f = read_fetched(sock, max_body=read)
        assert f.status == 200 and not f.complete, f
        assert f.body[:4096] == pattern(4096)
    finally:
        sock.close()


def post_big(kiln, path, size, timeout=10.0):
    """POST `size` bytes (sent from a thread, so a server that stops reading
    cannot block the test) and read the response. Returns (Fetched, sent)."""
    sock = socket.create_connection((kiln.host, kiln.port), timeout=timeout)
    sent = [0]

    def sender():
        try:
            sock.sendall(f"POST {path} HTTP/1.1\r\nHost: a\r\nContent-Length: {size}\r\n"
                         "Content-Type: application/octet-stream\r\n\r\n".encode())
            block = b"x" * 65536
            left = size
            while left > 0:
                n = min(left, len(block))
                sock.sendall(block[:n])
                sent[0] += n
                left -= n
        except OSError:
            pass
    t = threading.Thread(target=sender, daemon=True)
    t.start()
    try:
        f = read_fetched(sock, timeout=timeout)
    finally:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # kiln reset it already
        sock.close()
        t.join(5)
    return f, sent[0]


def check_not_pooled(kiln, peer, base, before):
    """After a fault: kiln closes the faulty upstream connection and never
    sends the peer another request on it; the next request goes to a new
    connection, or to a well-behaved one still pooled (a POST does not take
    a connection that was pooled a moment ago, see upstream.c idle_pick);
    kiln is back at its baseline."""
    s1 = peer.wait_stats(lambda s: s["bad_open"] == 0, what="kiln closing the faulty connection")
    assert s1["bad_reuse"] == 0, s1
    ok(kiln)
    s2 = peer.stats()
    assert s2["connections"] == s1["connections"] + (1 if s1["open"] == 0 else 0), (s1, s2)
    assert s2["bad_reuse"] == 0 and s2["bad_open"] == 0, s2
    assert s2["requests"] > before["requests"]
    at_baseline(kiln, peer, base)


def at_baseline(kiln, peer, base):
    """kiln's descriptors and RSS at the baseline; its upstream sockets are
    exactly the peer's open connections, at most upstream_max_conns."""
    now = assert_back_to_baseline(kiln, base, max_upstream=MAX_UP)
    assert now["fds"]["unix"] == peer.stats()["open"], (now, peer.stats())


def start_case(kiln, peer):
    ok(kiln)
    return peer.wait_stats(lambda s: s["bad_open"] == 0 and s["open"] >= 1,
                           what="a pooled connection")


# ---- faults before the response head: 502 or 504 ----------------------------------

ERRORS = [
    # (name, query, status, (min, max) seconds)
    ("trunc_header_close", "mode=trunc_header&then=close", 502, (0, 0.9)),
    ("trunc_header_stall", "mode=trunc_header", 504, (0.9, 3)),
    ("trunc_header_rst", "mode=trunc_header&then=rst", 502, (0, 0.9)),
    ("content_beyond_data_close", "mode=trunc_content&then=close", 502, (0, 0.9)),
    ("content_beyond_data_stall", "mode=trunc_content", 504, (0.9, 3)),
    ("content_beyond_data_max", "mode=trunc_content&n=65535&then=close", 502, (0, 0.9)),
    ("wrong_request_id", "mode=badid", 502, (0, 0.9)),
    ("wrong_request_id_close", "mode=badid&then=close", 502, (0, 0.9)),
    ("unknown_type_42", "mode=badtype", 502, (0, 0.9)),
    ("unknown_type_11", "mode=badtype&t=11", 502, (0, 0.9)),
    ("begin_request_from_server", "mode=badtype&t=1", 502, (0, 0.9)),
    ("get_values_result", "mode=badtype&t=10", 502, (0, 0.9)),
    ("bad_version", "mode=badversion", 502, (0, 0.9)),
    ("header_block_never_ends", "mode=headloop", 502, (0, 0.9)),
    ("header_block_never_ends_close", "mode=headloop&n=40000&then=close", 502, (0, 0.9)),
    ("end_request_cant_mpx", "mode=badstatus&ps=1", 502, (0, 0.9)),
    ("end_request_overloaded", "mode=badstatus&ps=2", 502, (0, 0.9)),
    ("end_request_unknown_role", "mode=badstatus&ps=3", 502, (0, 0.9)),
    ("end_request_status_255", "mode=badstatus&ps=255", 502, (0, 0.9)),
    ("stall_before_response", "mode=stall", 504, (0.9, 3)),
    ("close_before_response", "mode=none&then=close", 502, (0, 0.9)),
    ("reset_before_response", "mode=none&then=rst", 502, (0, 0.9)),
    ("stderr_flood_then_close", "mode=stderr_endless&ms=1500&then=close", 502, (1.4, 3)),
    ("stderr_flood_then_stall", "mode=stderr_endless&n=1048576&then=stay", 504, (0.9, 4)),
]


@pytest.mark.parametrize("name,query,status,window", ERRORS, ids=[e[0] for e in ERRORS])
def test_fault_before_head(env, name, query, status, window):
    kiln, peer, base = env
    before = start_case(kiln, peer)
    f = fetch(kiln.host, kiln.port, get(f"/p.php?{query}"))
    assert f.status == status and f.complete, f
    lo, hi = window
    assert lo <= f.elapsed <= hi, f"{name}: answered after {f.elapsed:.2f}s"
    check_not_pooled(kiln, peer, base, before)


# ---- faults after the head went out: a visibly cut chunked response -----------------

CUTS = [
    # (name, query, body the client must get before the cut, (min, max) s)
    ("stall_during_response", "mode=stall&pre=100", pattern(100), (0.9, 3)),
    ("close_during_response", "mode=none&pre=100&then=close", pattern(100), (0.2, 1.5)),
    ("reset_during_response", "mode=none&pre=100&then=rst", pattern(100), (0.2, 1.5)),
    ("wrong_id_during_response", "mode=badid&pre=100", pattern(100), (0.2, 1.5)),
    ("unknown_type_during_response", "mode=badtype&pre=100", pattern(100), (0.2, 1.5)),
    ("bad_version_during_response", "mode=badversion&pre=100", pattern(100), (0.2, 1.5)),
    # kiln relays record content as it comes: the 10 bytes of the cut record
    # go out before the hang-up is seen.
    ("truncated_record_during_response", "mode=trunc_content&pre=100&then=close",
     pattern(100) + b"Status: 2\0", (0.2, 1.5)),
    ("bad_status_during_response", "mode=badstatus&pre=100", pattern(100), (0.2, 1.5)),
    ("no_end_request_stall", "mode=noend", b"partial\n", (0.9, 3)),
    ("no_end_request_close", "mode=noend&then=close", b"partial\n", (0, 0.9)),
    ("endless_stdout_cut_by_peer", "mode=endless&n=2097152&then=close", pattern(2 << 20),
     (0, 5)),
    ("max_records_then_close", "mode=none&pre=65535&then=close", pattern(65535), (0.2, 1.5)),
]


@pytest.mark.parametrize("name,query,body,window", CUTS, ids=[c[0] for c in CUTS])
def test_fault_after_head(env, name, query, body, window):
    kiln, peer, base = env
    before = start_case(kiln, peer)
    f = fetch(kiln.host, kiln.port, get(f"/p.php?{query}"))
    assert f.status == 200, f
    assert f.header("transfer-encoding") == "chunked", f
    assert not f.complete and f.closed, f"{name}: the cut must be visible: {f}"
    assert f.body == body, f"{name}: {len(f.body)} body bytes"
    lo, hi = window
    assert lo <= f.elapsed <= hi, f"{name}: closed after {f.elapsed:.2f}s"
    check_not_pooled(kiln, peer, base, before)


def test_endless_stdout_client_hangs_up(env):
    """The client leaves in the middle of an endless response: kiln closes
    the upstream connection instead of reading it forever."""
    kiln, peer, base = env
    before = start_case(kiln, peer)
    endless_abort(kiln, read=4 << 20)
    check_not_pooled(kiln, peer, base, before)


def test_endless_stdout_to_a_client_that_never_reads(env):
    """An endless response to a client that reads nothing: kiln holds one
    read buffer of it at most (backpressure: its RSS stays at the baseline
    while the peer pushes), and drops the client after write_timeout without
    progress, closing the upstream connection with it."""
    kiln, peer, base = env
    before = start_case(kiln, peer)
    s = socket.create_connection((kiln.host, kiln.port), timeout=10)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    try:
        s.sendall(get("/p.php?mode=endless"))
        peak = 0
        t0 = time.monotonic()
        while time.monotonic() - t0 < 0.8 * TIMEOUT_S:
            peak = max(peak, kiln.rss_kib())
            time.sleep(0.02)
        assert peak - base["rss_kib"] <= kiln.rss_slack_kib(), (peak, base)
        s1 = peer.wait_stats(lambda st: st["bad_open"] == 0, timeout=3 * TIMEOUT_S,
                             what="kiln dropping the stalled client and its upstream")
        assert s1["bad_reuse"] == 0
        assert "client timed out" in kiln.log_text()
    finally:
        s.close()
    check_not_pooled(kiln, peer, base, before)


# ---- responses that are valid, or valid for the client but not poolable -------------

def test_max_size_records(env):
    """Records of 65535 bytes with padding: relayed exactly; the connection
    is clean and is reused."""
    kiln, peer, base = env
    before = start_case(kiln, peer)
    n = 3 * 65535 + 12345
    f = fetch(kiln.host, kiln.port, get(f"/p.php?mode=big&n={n}"))
    assert f.status == 200 and f.complete and f.body == pattern(n), f
    ok(kiln)
    after = peer.stats()
    assert after["connections"] == before["connections"], (before, after)
    assert after["open"] == before["open"]
    at_baseline(kiln, peer, base)


def test_stderr_flood_is_bounded_in_the_log(env):
    """8 MiB of STDERR before a normal response: the client gets the
    response; kiln's log takes at most a few KiB of it; the connection is
    reused."""
    kiln, peer, base = env
    before = start_case(kiln, peer)
    size0 = kiln.log_path.stat().st_size
    f = fetch(kiln.host, kiln.port, get("/p.php?mode=stderr&n=8388608"))
    assert f.status == 200 and f.complete and f.body.startswith(b"ok conn="), f
    grown = kiln.log_path.stat().st_size - size0
    assert grown < 16384, f"8 MiB of STDERR added {grown} bytes to kiln's log"
    ok(kiln)
    after = peer.stats()
    assert after["connections"] == before["connections"], (before, after)
    at_baseline(kiln, peer, base)


@pytest.mark.parametrize("mode", ["after_end", "stray"])
def test_bytes_after_end_request(env, mode):
    """A record after END_REQUEST (in the same write, or later while the
    connection is idle): the client's response is fine, but the connection
    is not used again."""
    kiln, peer, base = env
    before = start_case(kiln, peer)
    f = fetch(kiln.host, kiln.port, get(f"/p.php?mode={mode}"))
    assert f.status == 200 and f.complete and f.body.startswith(b"ok conn="), f
    check_not_pooled(kiln, peer, base, before)


# ---- request bodies ------------------------------------------------------------------

def test_upstream_never_reads_the_body(env):
    """The upstream takes the connection and the params but never reads
    STDIN: once the socket buffer is full, kiln waits write_timeout, then
    answers 504. kiln had received the whole body first, so the client's
    connection is still in step and serves the next request."""
    kiln, peer, base = env
    before = start_case(kiln, peer)
    s = socket.create_connection((kiln.host, kiln.port), timeout=10)
    try:
        n = 8 << 20
        s.sendall(b"POST /p.php?mode=noread HTTP/1.1\r\nHost: a\r\n"
                  b"Content-Length: %d\r\n\r\n" % n + b"b" * n)
        t0 = time.monotonic()
        f = read_fetched(s, timeout=10)
        took = time.monotonic() - t0
        assert f.status == 504 and f.complete and not f.closed, f
        assert 0.9 <= took <= 4, f"504 after {took:.2f}s"
        assert f.header("connection") is None, f
        s.sendall(get("/p.php?mode=ok"))
        f2 = read_fetched(s, timeout=5)
        assert f2.status == 200 and f2.body.startswith(b"ok conn="), f2
    finally:
        s.close()
    check_not_pooled(kiln, peer, base, before)


def test_stall_after_a_request_body(env):
    """A POST whose upstream never answers gets 504 after read_timeout, like
    a GET (the client's own deadlines stop once its request is in)."""
    kiln, peer, base = env
    before = start_case(kiln, peer)
    f, sent = post_big(kiln, "/p.php?mode=stall", 200000)
    assert sent == 200000
    assert f.status == 504 and f.complete, f
    assert 0.9 <= f.elapsed <= 3, f"504 after {f.elapsed:.2f}s"
    check_not_pooled(kiln, peer, base, before)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_slow_response_is_not_cut(env, method):
    """A response that streams for longer than read_timeout, with no gap
    longer than read_timeout, is relayed whole, after a GET and after a
    POST (the client's read deadline ends once its request is in)."""
    kiln, peer, base = env
    before = start_case(kiln, peer)
    body = b"y" * 1000 if method == "POST" else b""
    raw = (f"{method} /p.php?mode=trickle&n=4&ms=500 HTTP/1.1\r\nHost: a\r\n"
           f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    f = fetch(kiln.host, kiln.port, raw)
    assert f.status == 200 and f.complete and f.body == pattern(400), f
    assert f.elapsed >= 1.9, f"done after {f.elapsed:.2f}s"
    ok(kiln)
    after = peer.stats()
    # A GET reuses the pooled connection; a POST sent right after the
    # previous request may open a new one (upstream.c idle_pick).
    new = after["connections"] - before["connections"]
    assert new == 0 or (method == "POST" and new == 1), (before, after)
    assert after["bad_reuse"] == 0
    at_baseline(kiln, peer, base)


def test_kiln_still_serves_and_is_at_baseline(env):
    kiln, peer, base = env
    for _ in range(5):
        ok(kiln)
    assert kiln.proc.poll() is None
    assert peer.stats()["bad_reuse"] == 0
    at_baseline(kiln, peer, base)


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_client_leaves_mid_upload(env, framing):
    """A client sends part of its body and hangs up at once (the FIN right
    behind the data): kiln sees it at once, not after read_timeout. The
    request never reached the upstream: bodies are received in full
    before a php-fpm connection is taken."""
    kiln, peer, base = env
    before = start_case(kiln, peer)
    if framing == "chunked":
        head = b"POST /p.php?mode=ok HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        part = b"4000\r\n" + b"c" * 0x4000 + b"\r\n" + b"4000\r\n" + b"c" * 100
    else:
        head = b"POST /p.php?mode=ok HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n"
        part = b"c" * 30000
    logged = "client closed during the request body"
    n0 = kiln.log_text().count(logged)
    s = socket.create_connection((kiln.host, kiln.port), timeout=5)
    s.sendall(head)
    time.sleep(0.2)  # kiln has the head and waits for the body
    during = peer.stats()
    # The part and the FIN in one segment: one read edge for both.
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
    s.sendall(part)
    s.close()
    t0 = time.monotonic()
    deadline = t0 + 5
    while kiln.log_text().count(logged) == n0 and time.monotonic() < deadline:
        time.sleep(0.01)
    took = time.monotonic() - t0
    assert kiln.log_text().count(logged) == n0 + 1, kiln.log_text()[-2000:]
    assert took < 0.5 * TIMEOUT_S, f"kiln saw the hang-up after {took:.2f}s"
    after = peer.stats()
    assert during["requests"] == before["requests"] == after["requests"], (before, during, after)
    at_baseline(kiln, peer, base)


HELLO_OK = b"len=5 fnv=4f9f2cab"  # FNV-1a of b"hello"


def chunked_post(query, size):
    """A chunked POST head of exactly `size` bytes (padded with X-Pad) to
    /p.php?QUERY; returns it and where its query starts."""
    head = b"POST /p.php?" + query + b" HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nX-Pad: "
    pad = size - len(head) - 4
    assert pad > 0
    return bytearray(head + b"p" * pad + b"\r\n\r\n"), head.index(b"?") + 1


def test_chunked_head_that_fills_the_input_buffer(env):
    """A chunked request whose head ends exactly at the end of kiln's input
    buffer (8 KiB at first): reading the body grows the buffer, which moves
    the head the params are built from at the end of the body. The request
    must still reach the upstream as sent (once a use after free)."""
    kiln, peer, base = env
    head, _ = chunked_post(b"mode=ok", 8192)
    s = socket.create_connection((kiln.host, kiln.port), timeout=5)
    try:
        s.sendall(bytes(head))
        time.sleep(0.3)  # the head alone, the body later
        s.sendall(b"5\r\nhello\r\n0\r\n\r\n")
        f = read_fetched(s, timeout=5)
    finally:
        s.close()
    assert f.status == 200 and HELLO_OK in f.body, f
    at_baseline(kiln, peer, base)


def test_pipelined_chunked_head_at_the_end_of_the_buffer(env):
    """A GET, then a chunked POST whose head ends exactly at the end of the
    input buffer, in one write; its body comes later. Reading the body moves
    the POST's head to the front of the buffer. Its bytes at their old
    offset then spell another query (mode=badstatus): a request built from
    stale pointers would carry that one and get a 502."""
    kiln, peer, base = env
    first = b"GET /p.php?mode=ok HTTP/1.1\r\nHost: a\r\nX-R1: " + b"r" * 3000 + b"\r\n\r\n"
    query = b"mode=ok&pad=xxxxxxxxxxxxxx"
    second, q = chunked_post(query, 8192 - len(first))
    stale = len(first) + q  # where the old query pointer lands after the move
    trap = b"mode=badstatus&pad=xxxxxxx"
    assert len(trap) == len(query) and stale + len(trap) < len(second) - 4
    second[stale:stale + len(trap)] = trap
    s = socket.create_connection((kiln.host, kiln.port), timeout=5)
    try:
        s.sendall(first + bytes(second))
        stream = stream_of(s)
        f1 = read_fetched(s, timeout=5, stream=stream)
        time.sleep(0.3)  # kiln has the second head and waits for its body
        s.sendall(b"5\r\nhello\r\n0\r\n\r\n")
        f2 = read_fetched(s, timeout=5, stream=stream)
    finally:
        s.close()
    assert f1.status == 200 and b"len=0 " in f1.body, f1
    assert f2.status == 200 and HELLO_OK in f2.body, f2
    at_baseline(kiln, peer, base)


def test_post_that_ran_is_never_sent_twice(env):
    """A worker reads a POST's params, runs it, and dies with the body
    unread: kiln sees a reset on the pooled connection, as when php-fpm had
    closed it before the request, but a byte of the request had left, so it
    may have run. The client gets a 502; the upstream sees it once."""
    kiln, peer, base = env
    ok(kiln)  # leaves a pooled connection
    time.sleep(0.1)  # idle long enough for a POST (UPSTREAM_SETTLE_MS)
    before = peer.stats()
    f = fetch(kiln.host, kiln.port,
              b"POST /p.php?mode=stall&ms=200&read=0&then=close HTTP/1.1\r\nHost: a\r\n"
              b"Content-Length: 10\r\n\r\n" + b"x" * 10)
    assert f.status == 502, f
    assert peer.stats()["requests"] == before["requests"] + 1
    at_baseline(kiln, peer, base)
