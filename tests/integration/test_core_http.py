# kiln-sites: core_main
"""HTTP/1.1 toward the client: pipelining, keep-alive, HTTP/1.0, HEAD, and
how PHP's CGI response becomes an HTTP response (status, framing, headers
kiln sets, keeps, replaces or drops)."""
import hashlib
import socket

import pytest

from corelib import WWW_CORE, client, clear_marks, env_of, get, marks

SITE = "core_main"
WWW = WWW_CORE


@pytest.fixture
def kiln(site_module):
    k, _ = site_module
    clear_marks(k)
    return k


def chunked(body, size=7):
    out = b""
    for i in range(0, len(body), size):
        part = body[i:i + size]
        out += b"%x\r\n%s\r\n" % (len(part), part)
    return out + b"0\r\n\r\n"


# ---- pipelining and keep-alive ----------------------------------------------

def test_pipelined_mix_answered_in_order(kiln):
    post_body = b"posted body " * 10
    chunk_body = b"chunked body in pieces"
    reqs = [
        b"GET /dump.php?n=1 HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET /static.txt HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n",
        b"POST /md5.php HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n%s" % (len(post_body), post_body),
        b"GET /status.php?case=flush HTTP/1.1\r\nHost: a\r\n\r\n",
        b"HEAD /dump.php?n=6 HTTP/1.1\r\nHost: a\r\n\r\n",
        b"POST /md5.php HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(chunk_body),
        b"GET /nope/../x HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET /index.php?n=9 HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET /mark.php?m=pipe-last HTTP/1.1\r\nHost: a\r\n\r\n",
    ]
    c = client(kiln)
    c.send(b"".join(reqs))
    r = [c.read_response(head_request=(i == 5)) for i in range(len(reqs))]
    assert env_of(r[0])["server"]["QUERY_STRING"] == "n=1"
    assert (r[1].status, r[1].body) == (200, b"static body\n")
    assert (r[2].status, r[2].body) == (200, b"ok\n")
    assert r[3].body.decode().split()[:2] == [str(len(post_body)), hashlib.md5(post_body).hexdigest()]
    assert r[4].body == b"early\nlate\n"
    assert r[5].status == 200 and r[5].body == b""
    assert r[6].body.decode().split()[:2] == [str(len(chunk_body)), hashlib.md5(chunk_body).hexdigest()]
    assert r[7].status == 400   # a bad path in the middle does not derail the rest
    assert env_of(r[8])["server"]["QUERY_STRING"] == "n=9"
    assert r[9].body == b"marked pipe-last\n"
    # Still open and usable.
    c.send(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
    assert c.read_response().body == b"ok\n"
    c.close()
    assert marks(kiln) == ["pipe-last"]


def test_hundred_pipelined_requests_in_one_write(kiln):
    n = 100
    c = client(kiln)
    c.send(b"".join(b"GET /dump.php?n=%d HTTP/1.1\r\nHost: a\r\n\r\n" % i for i in range(n)))
    for i in range(n):
        assert env_of(c.read_response())["server"]["QUERY_STRING"] == f"n={i}"
    c.close()


def test_keep_alive_connection_serves_many_requests(kiln):
    c = client(kiln)
    port = str(c.sock.getsockname()[1])
    for i in range(50):
        c.send(b"GET /dump.php?i=%d HTTP/1.1\r\nHost: a\r\n\r\n" % i)
        r = c.read_response()
        assert r.header("Connection") is None
        assert env_of(r)["server"]["REMOTE_PORT"] == port
    c.close()


def test_connection_close_is_honoured(kiln):
    c = client(kiln)
    c.send(b"GET /dump.php HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
           b"GET /mark.php?m=after-close HTTP/1.1\r\nHost: a\r\n\r\n")
    r = c.read_response()
    assert r.status == 200 and r.header("Connection") == "close"
    assert c.read_rest() == b""
    c.close()
    assert marks(kiln) == []


# ---- HTTP/1.0 ---------------------------------------------------------------

def test_http10_keep_alive(kiln):
    c = client(kiln)
    for i in range(3):
        c.send(b"GET /dump.php?i=%d HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" % i)
        r = c.read_response()
        assert r.status == 200
        assert r.header("Connection").lower() == "keep-alive"
        assert r.header("Content-Length") is not None
        assert env_of(r)["server"]["SERVER_PROTOCOL"] == "HTTP/1.0"
    c.close()


def test_http10_without_keep_alive_closes(kiln):
    c = client(kiln)
    c.send(b"GET /dump.php HTTP/1.0\r\n\r\n")
    r = c.read_response()
    assert r.status == 200 and r.header("Connection") == "close"
    assert c.read_rest() == b""
    c.close()


def test_http10_streamed_response_is_close_delimited(kiln):
    c = client(kiln)
    c.send(b"GET /status.php?case=flush HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    r = c.read_response()   # no length, no chunking: reads until close
    assert r.status == 200
    assert r.header("Transfer-Encoding") is None
    assert r.header("Content-Length") is None
    assert r.header("Connection") == "close"
    assert r.body == b"early\nlate\n"
    c.close()


# ---- HEAD, 204, 304 ---------------------------------------------------------

def test_head_has_get_headers_and_no_body(kiln):
    g, _ = get(kiln, b"/status.php")
    c = client(kiln)
    c.send(b"HEAD /status.php HTTP/1.1\r\nHost: a\r\n\r\n")
    h = c.read_response(head_request=True)
    assert (h.status, g.status) == (200, 200)
    for name in ("Content-Type", "X-Frame-Options", "X-Content-Type-Options"):
        assert h.header(name) == g.header(name), name
    assert h.header("Transfer-Encoding") is None
    # No body bytes: the next response starts right after the head.
    c.send(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
    assert c.read_response().body == b"ok\n"
    c.close()


def test_head_of_a_streamed_response(kiln):
    c = client(kiln)
    c.send(b"HEAD /status.php?case=flush HTTP/1.1\r\nHost: a\r\n\r\n"
           b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
    h = c.read_response(head_request=True)
    assert h.status == 200 and h.header("Content-Type", "").startswith("text/plain")
    assert c.read_response().body == b"ok\n"
    c.close()


@pytest.mark.parametrize("case,status", [("204", 204), ("304", 304)])
def test_no_body_statuses(kiln, case, status):
    c = client(kiln)
    c.send(b"GET /status.php?case=%s HTTP/1.1\r\nHost: a\r\n\r\n" % case.encode())
    r = c.read_response()
    assert r.status == status
    assert r.header("Content-Length") is None
    assert r.header("Transfer-Encoding") is None
    if status == 304:
        assert r.header("ETag") == '"v1"'
    # Nothing follows the head: the next response parses.
    c.send(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
    assert c.read_response().body == b"ok\n"
    c.close()


# ---- status and headers from PHP --------------------------------------------

def test_location_without_status_is_302(kiln):
    r, _ = get(kiln, b"/status.php?case=location")
    assert r.status == 302
    assert r.header("Location") == "/elsewhere"


def test_status_header_with_reason(kiln):
    r, _ = get(kiln, b"/status.php?case=notfound")
    assert (r.status, r.reason) == (404, "Nothing Here")
    assert r.header("Status") is None
    assert r.body == b"no such thing\n"


def test_set_cookie_lines_stay_separate(kiln):
    r, _ = get(kiln, b"/status.php?case=cookies")
    assert r.header_all("Set-Cookie") == ["a=1; Path=/", "b=2; HttpOnly", "c=3"]


def test_response_headers_replace_phps(kiln):
    r, _ = get(kiln, b"/status.php?case=override")
    assert r.header_all("X-Frame-Options") == ["DENY"]
    assert r.header_all("X-Content-Type-Options") == ["nosniff"]


def test_hop_by_hop_response_headers_are_dropped(kiln):
    c = client(kiln)
    c.send(b"GET /status.php?case=hop HTTP/1.1\r\nHost: a\r\n\r\n")
    r = c.read_response()
    assert r.status == 200 and r.body == b"hop\n"
    for name in ("Connection", "X-Secret", "X-Second", "X-" + "L" * 70, "Keep-Alive", "Upgrade",
                 "Trailer", "Proxy-Authenticate", "Proxy-Connection", "Server"):
        assert r.header(name) is None, name
    assert r.header("Transfer-Encoding") is None  # PHP's "gzip" never reaches the client
    assert r.header("X-Kept") == "yes"
    # PHP's "Connection: close" is PHP's business, not the client connection's.
    c.send(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
    assert c.read_response().body == b"ok\n"
    c.close()


@pytest.mark.parametrize("target", [b"/dump.php", b"/static.txt", b"/healthz", b"/a/../b",
                                    b"/.git/x", b"/status.php?case=flush"])
def test_no_server_header_and_a_date(kiln, target):
    r, _ = get(kiln, target)
    assert r.header("Server") is None
    assert r.header("Date", "").endswith(" GMT")


def test_small_response_has_content_length(kiln):
    r, _ = get(kiln, b"/status.php")
    assert r.header("Content-Length") == "6" and r.body == b"small\n"
    assert r.header("Transfer-Encoding") is None


def test_early_flush_gives_chunked(kiln):
    c = client(kiln)
    c.send(b"GET /status.php?case=flush HTTP/1.1\r\nHost: a\r\n\r\n")
    head = c._read_until(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked\r\n" in head
    assert b"Content-Length" not in head
    # The first chunk arrives while PHP still sleeps.
    first = c._read_until(b"\r\n")
    assert int(first, 16) == 6 and c._read_n(8) == b"early\n\r\n"
    c.close()


def test_upstream_content_length_is_used_for_streaming(kiln):
    r, _ = get(kiln, b"/stream.php?bytes=300000&chunk=10000&length=1")
    assert r.header("Content-Length") == "300000"
    assert r.header("Transfer-Encoding") is None
    assert len(r.body) == 300000


def test_large_chunked_response_intact(kiln):
    r, _ = get(kiln, b"/stream.php?bytes=3000000&chunk=65536")
    assert r.header("Transfer-Encoding") == "chunked"
    block = b"0123456789abcdef" * 4096
    expect = (block * (3000000 // len(block) + 1))[:3000000]
    # stream.php repeats its block per chunk, so compare piecewise
    assert len(r.body) == 3000000
    assert r.body[:65536] == block[:65536]
    assert hashlib.md5(r.body).hexdigest() == hashlib.md5(expect).hexdigest()


def test_options_asterisk_is_405_and_the_connection_goes_on(kiln):
    """OPTIONS * is well-formed but asks about the server, which PHP cannot
    answer: 405, and the kept-alive connection serves the next request."""
    c = client(kiln)
    c.send(b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\nGET /status.php HTTP/1.1\r\nHost: a\r\n\r\n")
    r = c.read_response()
    assert r.status == 405 and r.body == b"405 Method Not Allowed\n", r.raw_head
    r = c.read_response()
    assert r.status == 200 and r.body == b"small\n"
    c.close()


@pytest.mark.parametrize("request_line", [b"GET /sleep.php?ms=50 HTTP/1.0\r\n\r\n",
                                          b"GET /sleep.php?ms=50 HTTP/1.1\r\nHost: a\r\n"
                                          b"Connection: close\r\n\r\n"])
def test_client_half_closes_after_its_request(kiln, request_line):
    """The client shuts down its sending side right after its request (as
    `printf ... | nc` does) and waits for the answer: it gets all of it,
    the connection closes, and kiln goes on serving. (Closing such a
    connection once freed its request object twice.)"""
    for _ in range(5):
        s = socket.create_connection((kiln.host, kiln.port), timeout=5)
        s.sendall(request_line)
        s.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        assert data.startswith(b"HTTP/1.1 200 "), data[:200]
        assert b"\r\n\r\nslept 50 pid " in data, data[-200:]
    for i in range(3):
        r, _ = get(kiln, b"/dump.php?after=%d" % i)
        assert r.status == 200
