# kiln-sites: core_recycle
"""php-fpm recycles its workers after 5 requests each (pm.max_requests = 5),
so the pooled connections to it keep dying under kiln. Several keep-alive
clients send a few thousand requests: every one is answered 200 with its
own answer. kiln notices dead pooled connections and, when a request was
sent on one that was already gone, sends it again once on a fresh
connection (counted as "retried" in its exit log)."""
import hashlib
import threading

from corelib import WWW_CORE, client, env_of

SITE = "core_recycle"
WWW = WWW_CORE
POOL = {"pm.max_requests": 5, "pm.max_children": 4}


def run_load(kiln, nclients, per_client, make):
    """Each client sends per_client requests made by make(k, i) -> (raw,
    check(response) -> problem or None); returns (problems, errors, pids)."""
    bad, errors, pids = [], [], set()
    lock = threading.Lock()

    def worker(k):
        try:
            c = client(kiln, timeout=10)
            for i in range(per_client):
                raw, check = make(k, i)
                c.send(raw)
                r = c.read_response(head_request=raw.startswith(b"HEAD "))
                problem = check(r) if r.status == 200 else (r.status, r.body[:60])
                with lock:
                    if problem:
                        bad.append((k, i, problem))
                    elif r.header("Content-Type") == "application/json" and r.body:
                        pids.add(env_of(r)["pid"])
                if r.header("Connection") == "close":
                    c.close()
                    c = client(kiln, timeout=10)
            c.close()
        except Exception as e:  # reported by the caller
            with lock:
                errors.append(repr(e))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(nclients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return bad, errors, pids


def idempotent_mix(k, i):
    kind = i % 5
    if kind == 3:
        return (b"HEAD /dump.php?k=%d&i=%d HTTP/1.1\r\nHost: a\r\n\r\n" % (k, i), lambda r: None)
    if kind == 4:
        body = b"%d-%d;" % (k, i) * 40
        want = b"%d %s %d\n" % (len(body), hashlib.md5(body).hexdigest().encode(), len(body))
        return (b"PUT /md5.php HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n" % len(body) + body,
                lambda r: None if r.body == want else ("wrong body", r.body[:60]))

    def check(r):
        got = env_of(r)["get"]
        return None if got == {"k": str(k), "i": str(i)} else ("wrong answer", got)
    return (b"GET /dump.php?k=%d&i=%d HTTP/1.1\r\nHost: a\r\n\r\n" % (k, i), check)


def test_every_request_succeeds_while_php_fpm_recycles_workers(site):
    kiln, _ = site
    nclients, per_client = 6, 500
    bad, errors, pids = run_load(kiln, nclients, per_client, idempotent_mix)
    assert kiln.stop() == 0
    stats = kiln.stats()
    total = nclients * per_client
    print(f"\n{total} requests, {len(pids)} php-fpm worker pids seen; kiln: {stats}")
    assert errors == []
    assert bad == []
    # Recycling really happened (each worker lives for 5 requests) and the
    # retry path was taken.
    assert len(pids) >= total // 5 // 2
    assert stats["retried"] > 0
    assert stats["requests"] == total
    # Pooling still works: far fewer connections than requests.
    assert stats["up_connects"] <= total // 2
    errors_logged = [l for l in kiln.log_text().splitlines() if " error: " in l]
    assert errors_logged == []


def test_posts_survive_worker_recycling(site):
    kiln, _ = site

    def post_mix(k, i):
        if i % 2:
            return idempotent_mix(k, i * 5)   # a GET
        body = b"p%d-%d;" % (k, i) * 40
        want = b"%d %s %d\n" % (len(body), hashlib.md5(body).hexdigest().encode(), len(body))
        return (b"POST /md5.php HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n" % len(body) + body,
                lambda r: None if r.body == want else ("wrong body", r.body[:60]))

    bad, errors, _ = run_load(kiln, 6, 300, post_mix)
    assert errors == []
    assert bad == []
