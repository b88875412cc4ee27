# kiln-sites: core_main
"""What PHP sees: every CGI parameter in $_SERVER, every row of the
front-controller routing table, and the security rules on the way (path
traversal, NUL, hidden segments, httpoxy, spoofed client addresses,
hop-by-hop headers, header names with underscores, header injection).

Everything is checked in PHP's own $_SERVER, printed by a real script run by
a real php-fpm, through a real socket."""
import pytest

from corelib import WWW_CORE, client, clear_marks, env_of, get, marks, php_env

SITE = "core_main"
WWW = WWW_CORE
# php-fpm refuses scripts whose extension is not listed, case-sensitively;
# the .PHP row of the routing table needs it to accept the upper-case one.
POOL = {"security.limit_extensions": ".php .PHP"}

DOCROOT = "/tmp/kiln-it/core_main/www"


@pytest.fixture
def kiln(site_module):
    k, _ = site_module
    clear_marks(k)
    return k


# ---- CGI parameters ---------------------------------------------------------

def test_every_cgi_param_of_a_get(kiln):
    c = client(kiln)
    c.send(b"GET /dump.php/extra/path?x=1&y=%20z&x2= HTTP/1.1\r\n"
           b"Host: Shop.Example.TEST:8443\r\n"
           b"User-Agent: kiln-it/1\r\n"
           b"Accept: text/html, */*\r\n"
           b"X-Custom-Header: hello world\r\n"
           b"Cookie: a=1\r\n"
           b"Cookie: b=2; c=3\r\n"
           b"Cookie: d=4\r\n"
           b"X-Forwarded-For: 6.6.6.6, 7.7.7.7\r\n"
           b"X-Real-IP: 6.6.6.6\r\n"
           b"\r\n")
    r = c.read_response()
    local_port = c.sock.getsockname()[1]
    c.close()
    d = env_of(r)
    s = d["server"]
    assert s["GATEWAY_INTERFACE"] == "FastCGI/1.0"
    assert s["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert s["SERVER_SOFTWARE"].startswith("kiln")
    assert s["SERVER_NAME"] == "shop.example.test"   # Host without its port
    assert s["SERVER_PORT"] == "18110"                # kiln's own port
    assert s["REQUEST_METHOD"] == "GET"
    assert s["REQUEST_URI"] == "/dump.php/extra/path?x=1&y=%20z&x2="
    assert s["SCRIPT_NAME"] == "/dump.php"
    assert s["SCRIPT_FILENAME"] == DOCROOT + "/dump.php"
    assert d["ran"] == DOCROOT + "/dump.php"
    assert s["PATH_INFO"] == "/extra/path"
    assert s["QUERY_STRING"] == "x=1&y=%20z&x2="
    assert d["get"] == {"x": "1", "y": " z", "x2": ""}
    assert s["DOCUMENT_ROOT"] == DOCROOT
    assert s["DOCUMENT_URI"] == "/dump.php/extra/path"
    assert s["REMOTE_ADDR"] == "127.0.0.1"
    assert s["REMOTE_PORT"] == str(local_port)
    assert s["CONTENT_TYPE"] == ""
    assert s["CONTENT_LENGTH"] == ""
    assert "HTTPS" not in s
    assert s["REQUEST_SCHEME"] == "http"
    assert s["SERVER_ADDR"] == "127.0.0.1"
    assert s["REDIRECT_STATUS"] == "200"
    assert s["HTTP_HOST"] == "Shop.Example.TEST:8443"
    assert s["HTTP_USER_AGENT"] == "kiln-it/1"
    assert s["HTTP_ACCEPT"] == "text/html, */*"
    assert s["HTTP_X_CUSTOM_HEADER"] == "hello world"
    # The client's own X-Forwarded-For / X-Real-IP are replaced by the peer.
    assert s["HTTP_X_FORWARDED_FOR"] == "127.0.0.1"
    assert s["HTTP_X_REAL_IP"] == "127.0.0.1"
    # Three Cookie lines, one HTTP_COOKIE, and PHP parses every cookie.
    assert s["HTTP_COOKIE"] == "a=1; b=2; c=3; d=4"
    assert d["cookies"] == {"a": "1", "b": "2", "c": "3", "d": "4"}


def test_remote_port_is_each_clients_own(kiln):
    seen = set()
    for _ in range(3):
        r, port = get(kiln, b"/dump.php")
        assert env_of(r)["server"]["REMOTE_PORT"] == str(port)
        seen.add(port)
    assert len(seen) == 3


def test_http10_request_params(kiln):
    # No Host: SERVER_NAME falls back to the listen address.
    r, _ = get(kiln, b"/dump.php?q=1", version=b"1.0")
    s = env_of(r)["server"]
    assert s["SERVER_PROTOCOL"] == "HTTP/1.0"
    assert s["SERVER_NAME"] == "127.0.0.1"
    assert "HTTP_HOST" not in s
    assert s["QUERY_STRING"] == "q=1"
    r, _ = get(kiln, b"/dump.php", b"Host: Old.Example\r\n", version=b"1.0")
    s = env_of(r)["server"]
    assert (s["SERVER_PROTOCOL"], s["SERVER_NAME"]) == ("HTTP/1.0", "old.example")


def test_post_content_type_and_length(kiln):
    body = b"name=kiln&lang=c"
    r, _ = get(kiln, b"/dump.php", b"Content-Type: application/x-www-form-urlencoded\r\n",
               method=b"POST", body=body)
    d = env_of(r)
    s = d["server"]
    assert s["REQUEST_METHOD"] == "POST"
    assert s["CONTENT_TYPE"] == "application/x-www-form-urlencoded"
    assert s["CONTENT_LENGTH"] == str(len(body))
    assert "HTTP_CONTENT_TYPE" not in s and "HTTP_CONTENT_LENGTH" not in s
    assert d["body"] == body.decode()
    assert d["post"] == {"name": "kiln", "lang": "c"}


def test_chunked_post_gets_the_decoded_length(kiln):
    chunks = [b"hello ", b"chunked ", b"world"]
    raw = b"".join(b"%x\r\n%s\r\n" % (len(x), x) for x in chunks) + b"0\r\n\r\n"
    r, _ = get(kiln, b"/dump.php", b"Transfer-Encoding: chunked\r\nContent-Type: text/plain\r\n",
               method=b"POST", body=raw)
    d = env_of(r)
    s = d["server"]
    assert s["CONTENT_LENGTH"] == str(len(b"".join(chunks)))
    assert s["CONTENT_TYPE"] == "text/plain"
    assert d["body"] == "hello chunked world"
    assert "HTTP_TRANSFER_ENCODING" not in s


def test_other_methods_and_empty_body(kiln):
    for method in (b"PUT", b"DELETE", b"PATCH", b"OPTIONS", b"PROPFIND"):
        r, _ = get(kiln, b"/dump.php", b"Content-Length: 0\r\n", method=method)
        s = env_of(r)["server"]
        assert s["REQUEST_METHOD"] == method.decode()
        assert s["CONTENT_LENGTH"] == "0"


def test_repeated_headers_are_joined_with_commas(kiln):
    s = php_env(kiln, b"/dump.php", b"X-Multi: one\r\nx-multi: two\r\nX-MULTI: three\r\n")["server"]
    assert s["HTTP_X_MULTI"] == "one, two, three"


# ---- routing table ----------------------------------------------------------

ROUTES = [
    # request path,            SCRIPT_NAME,            PATH_INFO,    file run
    ("/index.php",             "/index.php",           "",           "/index.php"),
    ("/index.php/api/users",   "/index.php",           "/api/users", "/index.php"),
    ("/",                      "/index.php",           "",           "/index.php"),
    ("/admin/",                "/admin/index.php",     "",           "/admin/index.php"),
    ("/api/users",             "/index.php",           "/api/users", "/index.php"),
    ("/admin/dashboard.php",   "/admin/dashboard.php", "",           "/admin/dashboard.php"),
    ("/Upper.PHP",             "/Upper.PHP",           "",           "/Upper.PHP"),
    ("/Upper.PHP/x/y",         "/Upper.PHP",           "/x/y",       "/Upper.PHP"),
    ("/dump.php/",             "/dump.php",            "/",          "/dump.php"),
    ("/dump.php/a.php/b",      "/dump.php",            "/a.php/b",   "/dump.php"),
    ("/dump.php5",             "/index.php",           "/dump.php5", "/index.php"),
    ("/dump.php.jpg",          "/index.php",           "/dump.php.jpg", "/index.php"),
    ("//admin//dashboard.php", "/admin/dashboard.php", "",           "/admin/dashboard.php"),
    ("/%61dmin/dashboard.php", "/admin/dashboard.php", "",           "/admin/dashboard.php"),
]


@pytest.mark.parametrize("path,script,info,ran", ROUTES, ids=[r[0] for r in ROUTES])
def test_routing_table(kiln, path, script, info, ran):
    d = php_env(kiln, path.encode() + b"?r=1")
    s = d["server"]
    assert (s["SCRIPT_NAME"], s["PATH_INFO"]) == (script, info)
    assert s["SCRIPT_FILENAME"] == DOCROOT + script
    assert s["DOCUMENT_URI"] == script + info
    assert s["REQUEST_URI"] == path + "?r=1"   # raw, as sent
    assert d["ran"] == DOCROOT + ran            # php-fpm really ran that file


def test_static_location_and_healthz_never_reach_php(kiln):
    r, _ = get(kiln, b"/static.txt")
    assert (r.status, r.body) == (200, b"static body\n")
    r, _ = get(kiln, b"/healthz")
    assert (r.status, r.body) == (200, b"ok\n")


# ---- traversal, NUL, hidden segments ----------------------------------------

# Each would reach mark.php if kiln resolved the dots instead of refusing.
TRAVERSAL = [
    b"/admin/../mark.php?m=t-raw",
    b"/../mark.php?m=t-root",
    b"/admin/%2e%2e/mark.php?m=t-pct",
    b"/admin/%2E%2E/mark.php?m=t-pct-upper",
    b"/admin/.%2e/mark.php?m=t-half",
    b"/admin%2f..%2fmark.php?m=t-slash",
    b"/admin%2F%2e%2e%2Fmark.php?m=t-slash-pct",
    b"/x/./mark.php?m=t-dot",
    b"/admin/..%5cmark.php?m=t-bs-pct",
    b"/admin\\..\\mark.php?m=t-bs",
    b"/admin%5c..%5cmark.php?m=t-bs-all",
    b"/a/b/../../mark.php?m=t-deep",
    b"/index.php/../mark.php?m=t-after-script",
    b"/mark.php/..?m=t-info",
]


@pytest.mark.parametrize("target", TRAVERSAL, ids=[t.decode() for t in TRAVERSAL])
def test_traversal_is_refused(kiln, target):
    r, _ = get(kiln, target)
    assert r.status == 400
    assert b"mark" not in r.body
    assert marks(kiln) == []


def test_double_encoding_is_decoded_once(kiln):
    # "%252e%252e" is the literal segment "%2e%2e", not "..": it names a
    # script that does not exist, never one outside the root.
    r, _ = get(kiln, b"/%252e%252e/mark.php?m=t-double")
    assert r.status == 404
    assert marks(kiln) == []


def test_doubled_slashes_are_collapsed(kiln):
    r, _ = get(kiln, b"//mark.php?m=slashes")
    assert r.status == 200
    assert marks(kiln) == ["slashes"]


@pytest.mark.parametrize("target", [b"/mark%00.php?m=nul-path", b"/mark.php%00?m=nul-path2",
                                    b"/mark.php?m=nul-query%00", b"/mark.php?m=nul-q&x=%00.jpg"])
def test_nul_in_path_or_query_is_400(kiln, target):
    r, _ = get(kiln, target)
    assert r.status == 400
    assert marks(kiln) == []


@pytest.mark.parametrize("raw", [b"GET /mark.php\x00?m=rawnul HTTP/1.1\r\nHost: a\r\n\r\n",
                                 b"GET /mark.php?m=rawnul\x00 HTTP/1.1\r\nHost: a\r\n\r\n"])
def test_raw_nul_in_target_is_400_and_closes(kiln, raw):
    c = client(kiln)
    c.send(raw)
    assert c.read_response().status == 400
    assert c.read_rest() == b""
    c.close()
    assert marks(kiln) == []


@pytest.mark.parametrize("target", [b"/.git/config", b"/.env", b"/.hidden/x.php", b"/admin/.htpasswd",
                                    b"/%2egit/HEAD", b"/.well-known/security.txt",
                                    b"/index.php/.git", b"/.mark.php"])
def test_hidden_segments_are_403(kiln, target):
    r, _ = get(kiln, target)
    assert r.status == 403
    assert r.body == b"403 Forbidden\n"  # generic: nothing of the path


# ---- headers that must not reach PHP ----------------------------------------

def test_httpoxy_proxy_header_never_reaches_php(kiln):
    for name in (b"Proxy", b"proxy", b"PROXY"):
        s = php_env(kiln, b"/dump.php", name + b": http://evil.example:3128\r\n")["server"]
        assert "HTTP_PROXY" not in s
        assert not any("evil" in v for v in s.values())


def test_forwarded_addresses_cannot_be_spoofed(kiln):
    s = php_env(kiln, b"/dump.php",
                b"X-Forwarded-For: 10.9.8.7\r\nx-forwarded-for: 1.1.1.1\r\n"
                b"X-REAL-IP: 10.9.8.7\r\nX-Real-Ip: 2.2.2.2\r\n")["server"]
    assert s["HTTP_X_FORWARDED_FOR"] == "127.0.0.1"
    assert s["HTTP_X_REAL_IP"] == "127.0.0.1"
    assert not any(v in ("10.9.8.7", "1.1.1.1", "2.2.2.2") or "10.9.8.7" in v for v in s.values())


def test_hop_by_hop_request_headers_are_dropped(kiln):
    s = php_env(kiln, b"/dump.php",
                b"Connection: keep-alive, X-Named-Hop, x-other-hop\r\n"
                b"Keep-Alive: timeout=5\r\n"
                b"TE: trailers\r\n"
                b"Trailer: X-Trailer\r\n"
                b"Upgrade: websocket\r\n"
                b"Proxy-Authorization: Basic c2VjcmV0OnNlY3JldA==\r\n"
                b"Proxy-Connection: keep-alive\r\n"
                b"X-Named-Hop: secret1\r\n"
                b"X-Other-Hop: secret2\r\n"
                b"X-End-To-End: kept\r\n")["server"]
    for name in ("HTTP_CONNECTION", "HTTP_KEEP_ALIVE", "HTTP_TE", "HTTP_TRAILER", "HTTP_UPGRADE",
                 "HTTP_PROXY_AUTHORIZATION", "HTTP_PROXY_CONNECTION", "HTTP_X_NAMED_HOP",
                 "HTTP_X_OTHER_HOP"):
        assert name not in s, name
    assert not any("secret" in v or "c2VjcmV0" in v for v in s.values())
    assert s["HTTP_X_END_TO_END"] == "kept"


def test_header_names_with_underscores_are_dropped(kiln):
    s = php_env(kiln, b"/dump.php",
                b"Foo_Bar: underscore\r\nX_Forwarded_For: 3.3.3.3\r\nX_Real_IP: 3.3.3.3\r\n"
                b"Foo-Bar: dash\r\n")["server"]
    # Only the dashed header may become HTTP_FOO_BAR.
    assert s["HTTP_FOO_BAR"] == "dash"
    assert s["HTTP_X_FORWARDED_FOR"] == "127.0.0.1"
    assert s["HTTP_X_REAL_IP"] == "127.0.0.1"
    assert not any("underscore" in v or "3.3.3.3" in v for v in s.values())


INJECTION = [
    (b"cr-in-value", b"X-A: one\rX-Injected: two\r\n"),
    (b"bare-lf", b"X-A: one\nX-Injected: two\r\n"),
    (b"obs-fold", b"X-A: one\r\n X-Injected: two\r\n"),
    (b"obs-fold-tab", b"X-A: one\r\n\tcontinued\r\n"),
    (b"nul-in-value", b"X-A: one\x00two\r\n"),
    (b"crlf-in-name", b"X-A\r\n: two\r\n"),
    (b"del-in-value", b"X-A: one\x7ftwo\r\n"),
]


@pytest.mark.parametrize("name,line", INJECTION, ids=[i[0].decode() for i in INJECTION])
def test_header_injection_is_400_and_closes(kiln, name, line):
    c = client(kiln)
    c.send(b"GET /mark.php?m=inj-" + name + b" HTTP/1.1\r\nHost: a\r\n" + line +
           b"\r\nGET /mark.php?m=inj-next-" + name + b" HTTP/1.1\r\nHost: a\r\n\r\n")
    r = c.read_response()
    assert r.status == 400
    assert c.read_rest() == b""   # closed, and no second response
    c.close()
    assert marks(kiln) == []
