# kiln-sites: fault_handoff
"""One php-fpm connection (upstream_max_conns 1) and a request waiting for
it: when the request in flight ends, the connection goes straight to the
waiter. The peer (fcgi_peer.c) then misbehaves the way a broken FastCGI
server can: it goes on writing to the request it just ended (a record with
that request's id, an "X-Injected" header block and a body) right behind
its END_REQUEST, or a moment later. The waiting client must get its own
answer and nothing of the other one's; the connection is closed, and the
waiter's request is sent again on a new one (a GET: nothing of its own
answer had come back).

Request ids: every request on a kept-alive connection gets its own, so a
stray record of the last request is never taken for the next one's answer.
"""
import threading
import time

import pytest

from faultfix import fault_site, fetch, get

SITE = "fault_handoff"


@pytest.fixture(scope="module")
def env():
    with fault_site(SITE, peer=True) as (kiln, peer):
        yield kiln, peer


def ok_fields(body):
    """The words of fcgi_peer's ok body ("ok conn=C req=R id=I ...")."""
    assert body.startswith(b"ok conn="), body
    return dict(w.split(b"=", 1) for w in body.split()[1:])


def pair(kiln, delay_ms):
    """A (the misbehaving request, answering after 300 ms) and B (queued
    behind it 100 ms later). Returns both responses."""
    out = {}

    def a():
        out["a"] = fetch(kiln.host, kiln.port,
                         get(f"/p.php?mode=stray_late&hold=300&delay={delay_ms}"))
    t = threading.Thread(target=a)
    t.start()
    time.sleep(0.1)
    out["b"] = fetch(kiln.host, kiln.port, get("/p.php?mode=ok"))
    t.join(10)
    return out["a"], out["b"]


@pytest.mark.parametrize("delay_ms", [0, 5, 20, 60])
def test_waiter_never_sees_stray_records(env, delay_ms):
    kiln, peer = env
    for _ in range(5):
        a, b = pair(kiln, delay_ms)
        assert a.status == 200 and a.complete, a
        assert b.status == 200 and b.complete, b
        assert b.header("x-injected") is None, b
        assert b"injected" not in b.body, b
        assert b"injected" not in a.body, a
        # The peer writes the stray record before it reads the next request,
        # so B can only have been answered on another connection.
        assert ok_fields(b.body)[b"conn"] != ok_fields(a.body)[b"conn"], (a, b)


def test_request_ids_rotate_on_a_kept_connection(env):
    kiln, peer = env
    seen = []
    for _ in range(4):
        f = fetch(kiln.host, kiln.port, get("/p.php?mode=ok"))
        assert f.status == 200 and f.complete, f
        seen.append(ok_fields(f.body))
    conns = {s[b"conn"] for s in seen}
    assert len(conns) == 1, seen  # one pooled connection served all four
    ids = [int(s[b"id"]) for s in seen]
    assert len(set(ids)) == 4 and all(1 <= i <= 65535 for i in ids), ids
