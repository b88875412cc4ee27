# kiln-sites: core_conc core_v6
"""max_concurrency (core_conc: 4): a fifth concurrent connection gets 503
with Retry-After and is closed, the first four keep working, and a slot
that frees up is usable again. IPv6 (core_v6 listens on [::1]): served,
with the IPv6 addresses in the CGI params."""
import socket
import time

import pytest

from conftest import start_site, stop_site
from corelib import WWW_CORE, client, env_of
from kilnfix import RawClient

WWW = WWW_CORE


@pytest.fixture
def conc_site():
    kiln, fpm = start_site("core_conc", WWW_CORE)
    yield kiln, fpm
    stop_site(kiln, fpm)


@pytest.fixture
def v6_site():
    kiln, fpm = start_site("core_v6", WWW_CORE)
    yield kiln, fpm
    stop_site(kiln, fpm)


def open_and_use(kiln):
    c = client(kiln)
    c.send(b"GET /dump.php HTTP/1.1\r\nHost: a\r\n\r\n")
    assert c.read_response().status == 200
    return c


def test_fifth_connection_gets_503_and_is_closed(conc_site):
    kiln, _ = conc_site
    assert kiln.config["max_concurrency"] == 4
    four = [open_and_use(kiln) for _ in range(4)]
    for attempt in range(3):
        extra = client(kiln)
        extra.send(b"GET /mark.php?m=over-limit HTTP/1.1\r\nHost: a\r\n\r\n")
        r = extra.read_response()
        assert r.status == 503
        assert r.header("Retry-After") == "1"
        assert r.header("Connection") == "close"
        assert extra.read_rest(wait=2) == b""
        extra.close()
    assert not (kiln.state / "marks" / "over-limit").exists()
    # The first four still work, pipelining included.
    for c in four:
        c.send(b"GET /dump.php?again=1 HTTP/1.1\r\nHost: a\r\n\r\nGET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
        assert env_of(c.read_response())["server"]["QUERY_STRING"] == "again=1"
        assert c.read_response().body == b"ok\n"
    # One leaves: a new connection gets its place.
    four.pop().close()
    time.sleep(0.2)
    four.append(open_and_use(kiln))
    for c in four:
        c.close()


def test_fifth_connection_refused_even_with_a_body_in_flight(conc_site):
    """The 503 must reach a client that already sent a request with a body
    (no reset that would destroy the answer before it is read)."""
    kiln, _ = conc_site
    four = [open_and_use(kiln) for _ in range(4)]
    for _ in range(5):
        extra = client(kiln)
        body = b"x" * 20000
        extra.send(b"POST /md5.php HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        time.sleep(0.05)
        r = extra.read_response()
        assert r.status == 503
        extra.close()
    for c in four:
        c.close()


def test_ipv6_listener(v6_site):
    kiln, _ = v6_site
    assert kiln.host == "::1"
    c = RawClient("::1", kiln.port)
    c.send(b"GET /dump.php/v6?x=6 HTTP/1.1\r\nHost: [::1]:%d\r\n\r\n" % kiln.port)
    r = c.read_response()
    s = env_of(r)["server"]
    assert s["REMOTE_ADDR"] == "::1"
    assert s["REMOTE_PORT"] == str(c.sock.getsockname()[1])
    assert s["SERVER_ADDR"] == "::1"
    assert s["SERVER_PORT"] == str(kiln.port)
    assert s["SERVER_NAME"] == "[::1]"
    assert s["HTTP_X_FORWARDED_FOR"] == "::1"
    assert s["HTTP_X_REAL_IP"] == "::1"
    assert (s["PATH_INFO"], s["QUERY_STRING"]) == ("/v6", "x=6")
    # Keep-alive and a static answer over IPv6 too.
    c.send(b"GET /healthz HTTP/1.1\r\nHost: [::1]\r\n\r\n")
    assert c.read_response().body == b"ok\n"
    c.close()
    # Only [::1]: not reachable over IPv4.
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", kiln.port), timeout=1).close()
