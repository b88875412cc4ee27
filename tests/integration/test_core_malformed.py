# kiln-sites: core_strict
"""A corpus of malformed and request-smuggling requests. Each is answered
with one error response (400, or 405/413/414/417/431/501/505 where that is
the right answer), and then the connection is closed: no second response,
nothing after the first one. Every request carries a second, smuggled
request to www_core/mark.php behind it (and the outer request targets
mark.php too), so a request that reached PHP would leave a mark; the test
asserts that none did.

core_strict's limits: request line 256 bytes, head 2048 bytes, 10 header
lines, body 1024 bytes."""
import socket

import pytest

from corelib import WWW_CORE, client, clear_marks, marks

SITE = "core_strict"
WWW = WWW_CORE

H = b"Host: a.example\r\n"


def smuggled(case):
    return b"GET /mark.php?m=" + case + b"-smuggled HTTP/1.1\r\nHost: a.example\r\n\r\n"


def outer(case, method=b"GET"):
    return method + b" /mark.php?m=" + case + b"-outer HTTP/1.1\r\n"


def post(case):
    return outer(case, b"POST")


S = smuggled  # brevity in the table

CORPUS = [
    # --- Content-Length / Transfer-Encoding ambiguity (CL.TE, TE.CL, TE.TE)
    ("cl-te", 400, lambda c: post(c) + H + b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + S(c)),
    ("te-cl", 400, lambda c: post(c) + H + b"Transfer-Encoding: chunked\r\nContent-Length: 60\r\n\r\n0\r\n\r\n" + S(c)),
    ("cl-cl-differ", 400, lambda c: post(c) + H + b"Content-Length: 0\r\nContent-Length: 60\r\n\r\n" + S(c)),
    ("cl-cl-same", 400, lambda c: post(c) + H + b"Content-Length: 0\r\nContent-Length: 0\r\n\r\n" + S(c)),
    ("cl-list", 400, lambda c: post(c) + H + b"Content-Length: 0, 0\r\n\r\n" + S(c)),
    ("cl-plus", 400, lambda c: post(c) + H + b"Content-Length: +0\r\n\r\n" + S(c)),
    ("cl-negative", 400, lambda c: post(c) + H + b"Content-Length: -1\r\n\r\n" + S(c)),
    ("cl-hex", 400, lambda c: post(c) + H + b"Content-Length: 0x0\r\n\r\n" + S(c)),
    ("cl-space-inside", 400, lambda c: post(c) + H + b"Content-Length: 1 0\r\n\r\n" + S(c)),
    ("cl-empty", 400, lambda c: post(c) + H + b"Content-Length: \r\n\r\n" + S(c)),
    ("cl-overflow", 400, lambda c: post(c) + H + b"Content-Length: 184467440737095516160\r\n\r\n" + S(c)),
    ("cl-letters", 400, lambda c: post(c) + H + b"Content-Length: 12abc\r\n\r\n" + S(c)),
    ("te-twice-list", 400, lambda c: post(c) + H + b"Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n" + S(c)),
    ("te-twice-lines", 400, lambda c: post(c) + H + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + S(c)),
    ("te-gzip-chunked", 400, lambda c: post(c) + H + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" + S(c)),
    ("te-identity", 400, lambda c: post(c) + H + b"Transfer-Encoding: identity\r\nContent-Length: 0\r\n\r\n" + S(c)),
    ("te-unknown", 400, lambda c: post(c) + H + b"Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n" + S(c)),
    ("te-quoted", 400, lambda c: post(c) + H + b'Transfer-Encoding: "chunked"\r\n\r\n0\r\n\r\n' + S(c)),
    ("te-space-before-colon", 400, lambda c: post(c) + H + b"Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n" + S(c)),
    ("te-obs-fold", 400, lambda c: post(c) + H + b"Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n" + S(c)),
    ("te-vertical-tab", 400, lambda c: post(c) + H + b"Transfer-Encoding:\x0bchunked\r\n\r\n0\r\n\r\n" + S(c)),
    ("te-in-http10", 400, lambda c: b"POST /mark.php?m=" + c + b"-outer HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + S(c)),
    ("cl-space-before-colon", 400, lambda c: post(c) + H + b"Content-Length : 60\r\n\r\n" + S(c)),
    # --- chunked bodies that lie about their framing
    ("chunk-size-bad", 400, lambda c: post(c) + H + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n" + S(c)),
    # A size past 64 bits: refused as too large (413) or malformed (400),
    # never wrapped around (2^64 + 1 would wrap to a valid 1-byte chunk).
    ("chunk-size-overflow", (400, 413), lambda c: post(c) + H + b"Transfer-Encoding: chunked\r\n\r\nfffffffffffffffff1\r\nx\r\n0\r\n\r\n" + S(c)),
    ("chunk-size-wrap", (400, 413), lambda c: post(c) + H + b"Transfer-Encoding: chunked\r\n\r\n10000000000000001\r\nx\r\n0\r\n\r\n" + S(c)),
    ("cl-wrap", (400, 413), lambda c: post(c) + H + b"Content-Length: 18446744073709551617\r\n\r\nx" + S(c)),
    ("chunk-size-negative", 400, lambda c: post(c) + H + b"Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n" + S(c)),
    ("chunk-size-space", 400, lambda c: post(c) + H + b"Transfer-Encoding: chunked\r\n\r\n5 5\r\nhello\r\n0\r\n\r\n" + S(c)),
    ("chunk-data-too-long", 400, lambda c: post(c) + H + b"Transfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n" + S(c)),
    ("chunk-lf-only", 400, lambda c: post(c) + H + b"Transfer-Encoding: chunked\r\n\r\n5\nhello\n0\n\n" + S(c)),
    ("chunk-ext-nul", 400, lambda c: post(c) + H + b"Transfer-Encoding: chunked\r\n\r\n5;a=\x00\r\nhello\r\n0\r\n\r\n" + S(c)),
    ("chunk-bare-cr", 400, lambda c: post(c) + H + b"Transfer-Encoding: chunked\r\n\r\n5\rhello\r\n0\r\n\r\n" + S(c)),
    ("chunk-trailer-bad", 400, lambda c: post(c) + H + b"Transfer-Encoding: chunked\r\n\r\n0\r\nBad Trailer\r\n\r\n" + S(c)),
    ("chunk-over-max-body", 413, lambda c: post(c) + H + b"Transfer-Encoding: chunked\r\n\r\n400\r\n" + b"x" * 1024 + b"\r\n1\r\nx\r\n0\r\n\r\n" + S(c)),
    ("cl-over-max-body", 413, lambda c: post(c) + H + b"Content-Length: 1025\r\n\r\n" + b"x" * 1025 + S(c)),
    # --- line endings and control bytes in the head
    ("bare-lf-head", 400, lambda c: b"GET /mark.php?m=" + c + b"-outer HTTP/1.1\nHost: a\n\n" + S(c)),
    ("bare-cr-head", 400, lambda c: outer(c) + b"Host: a\rX: y\r\n\r\n" + S(c)),
    ("nul-in-header", 400, lambda c: outer(c) + H + b"X-A: a\x00b\r\n\r\n" + S(c)),
    ("nul-in-target", 400, lambda c: b"GET /mark.php?m=" + c + b"-outer\x00 HTTP/1.1\r\n" + H + b"\r\n" + S(c)),
    ("obs-fold", 400, lambda c: outer(c) + H + b"X-A: a\r\n  b\r\n\r\n" + S(c)),
    ("leading-space-header", 400, lambda c: outer(c) + b" Host: a\r\n\r\n" + S(c)),
    ("space-in-header-name", 400, lambda c: outer(c) + H + b"X A: b\r\n\r\n" + S(c)),
    ("no-colon", 400, lambda c: outer(c) + H + b"NoColonHere\r\n\r\n" + S(c)),
    ("empty-header-name", 400, lambda c: outer(c) + H + b": value\r\n\r\n" + S(c)),
    ("too-many-leading-crlf", 400, lambda c: b"\r\n" * 5 + outer(c) + H + b"\r\n" + S(c)),
    # --- request line
    ("double-space", 400, lambda c: b"GET  /mark.php?m=" + c + b"-outer HTTP/1.1\r\n" + H + b"\r\n" + S(c)),
    ("leading-space-line", 400, lambda c: b" GET /mark.php?m=" + c + b"-outer HTTP/1.1\r\n" + H + b"\r\n" + S(c)),
    ("tab-separator", 400, lambda c: b"GET\t/mark.php?m=" + c + b"-outer HTTP/1.1\r\n" + H + b"\r\n" + S(c)),
    ("no-version", 400, lambda c: b"GET /mark.php?m=" + c + b"-outer\r\n" + H + b"\r\n" + S(c)),
    ("lowercase-version", 400, lambda c: b"GET /mark.php?m=" + c + b"-outer http/1.1\r\n" + H + b"\r\n" + S(c)),
    ("space-in-target", 400, lambda c: b"GET /mark.php?m=" + c + b"-outer x HTTP/1.1\r\n" + H + b"\r\n" + S(c)),
    ("fragment", 400, lambda c: b"GET /mark.php?m=" + c + b"-outer#frag HTTP/1.1\r\n" + H + b"\r\n" + S(c)),
    ("raw-utf8-target", 400, lambda c: b"GET /mark.php?m=" + c + b"-outer\xc3\xa9 HTTP/1.1\r\n" + H + b"\r\n" + S(c)),
    ("bad-percent", 400, lambda c: b"GET /mark.php?m=" + c + b"-outer%zz HTTP/1.1\r\n" + H + b"\r\n" + S(c)),
    ("asterisk-get", 400, lambda c: b"GET * HTTP/1.1\r\n" + H + b"\r\n" + S(c)),
    ("absolute-no-path", 400, lambda c: b"GET http://a.example HTTP/1.1\r\n" + H + b"\r\n" + S(c)),
    ("absolute-userinfo", 400, lambda c: b"GET http://u:p@a.example/mark.php?m=" + c + b"-outer HTTP/1.1\r\n" + H + b"\r\n" + S(c)),
    ("http2-version", 505, lambda c: b"GET /mark.php?m=" + c + b"-outer HTTP/2.0\r\n" + H + b"\r\n" + S(c)),
    ("http12-version", 505, lambda c: b"GET /mark.php?m=" + c + b"-outer HTTP/1.2\r\n" + H + b"\r\n" + S(c)),
    ("http09-version", 505, lambda c: b"GET /mark.php?m=" + c + b"-outer HTTP/0.9\r\n" + H + b"\r\n" + S(c)),
    ("long-method", 501, lambda c: b"X" * 40 + b" /mark.php?m=" + c + b"-outer HTTP/1.1\r\n" + H + b"\r\n" + S(c)),
    ("bad-method-char", 400, lambda c: b"GE(T /mark.php?m=" + c + b"-outer HTTP/1.1\r\n" + H + b"\r\n" + S(c)),
    ("connect", 405, lambda c: b"CONNECT a.example:443 HTTP/1.1\r\n" + H + b"\r\n" + S(c)),
    ("trace", 405, lambda c: b"TRACE /mark.php?m=" + c + b"-outer HTTP/1.1\r\n" + H + b"\r\n" + S(c)),
    # --- Host
    ("no-host-http11", 400, lambda c: outer(c) + b"X-A: b\r\n\r\n" + S(c)),
    ("two-hosts", 400, lambda c: outer(c) + H + b"Host: b.example\r\n\r\n" + S(c)),
    ("host-userinfo", 400, lambda c: outer(c) + b"Host: user@a.example\r\n\r\n" + S(c)),
    ("host-space", 400, lambda c: outer(c) + b"Host: a.example b\r\n\r\n" + S(c)),
    ("host-bad-port", 400, lambda c: outer(c) + b"Host: a.example:99999\r\n\r\n" + S(c)),
    ("host-slash", 400, lambda c: outer(c) + b"Host: a.example/evil\r\n\r\n" + S(c)),
    ("host-dotdot", 400, lambda c: outer(c) + b"Host: a..example\r\n\r\n" + S(c)),
    # --- Expect
    ("expect-other", 417, lambda c: post(c) + H + b"Expect: 200-ok\r\nContent-Length: 3\r\n\r\nabc" + S(c)),
    # --- limits
    ("request-line-too-long", 414, lambda c: b"GET /mark.php?m=" + c + b"-outer&pad=" + b"p" * 300 + b" HTTP/1.1\r\n" + H + b"\r\n" + S(c)),
    ("too-many-headers", 431, lambda c: outer(c) + H + b"".join(b"X-H%d: v\r\n" % i for i in range(12)) + b"\r\n" + S(c)),
    ("head-too-large", 431, lambda c: outer(c) + H + b"X-Big: " + b"b" * 2100 + b"\r\n\r\n" + S(c)),
]


@pytest.fixture
def kiln(site_module):
    k, _ = site_module
    clear_marks(k)
    return k


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 40
    assert len({name for name, _, _ in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("name,status,make", CORPUS, ids=[c[0] for c in CORPUS])
def test_malformed_request_gets_one_error_then_close(kiln, name, status, make):
    raw = make(name.encode())
    c = client(kiln, timeout=5)
    c.send(raw)
    r = c.read_response()
    assert r.status in (status if isinstance(status, tuple) else (status,)), (name, r.raw_head)
    assert r.header("Connection") == "close", r.raw_head
    rest = c.read_rest(wait=3.0)
    assert rest is not None, "kiln kept the connection open after the error"
    assert rest == b"", f"bytes after the error response: {rest[:200]!r}"
    c.close()
    assert marks(kiln) == [], "a request reached PHP"


@pytest.mark.parametrize("name,status,make", CORPUS[:12], ids=[c[0] for c in CORPUS[:12]])
def test_malformed_request_sent_byte_by_byte(kiln, name, status, make):
    """The same answer whatever the segmentation: a parser that decides on
    partial input would differ here."""
    raw = make(name.encode())
    c = client(kiln, timeout=5)
    c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        for i in range(len(raw)):
            c.send(raw[i:i + 1])
    except (BrokenPipeError, ConnectionResetError):
        pass  # kiln answered and closed before the end: fine
    r = c.read_response()
    assert r.status in (status if isinstance(status, tuple) else (status,))
    assert c.read_rest(wait=3.0) == b""
    c.close()
    assert marks(kiln) == []


def test_server_still_serves_after_the_corpus(kiln):
    c = client(kiln)
    c.send(b"GET /mark.php?m=after HTTP/1.1\r\nHost: a\r\n\r\n")
    assert c.read_response().status == 200
    c.close()
    assert marks(kiln) == ["after"]
