<?php
// Response shapes chosen by ?case=.
switch ($_GET['case'] ?? '') {
case '204':
    http_response_code(204);
    break;
case '304':
    http_response_code(304);
    header('ETag: "v1"');
    break;
case 'location':
    header('Location: /elsewhere');
    echo "moved\n";
    break;
case 'notfound':
    header('Status: 404 Nothing Here');
    echo "no such thing\n";
    break;
case 'cookies':
    header('Set-Cookie: a=1; Path=/', false);
    header('Set-Cookie: b=2; HttpOnly', false);
    header('Set-Cookie: c=3', false);
    echo "cookies\n";
    break;
case 'hop':
    header('Connection: close, X-Secret');
    header('X-Secret: leaked');
    // Every Connection line counts, and names of any length.
    header('Connection: x-second, X-' . str_repeat('L', 70), false);
    header('X-Second: leaked');
    header('X-' . str_repeat('L', 70) . ': leaked');
    header('Keep-Alive: timeout=99');
    header('Transfer-Encoding: gzip');
    header('Upgrade: websocket');
    header('Trailer: X-T');
    header('Proxy-Authenticate: Basic');
    header('Proxy-Connection: keep-alive');
    header('Server: php-leaks-its-name');
    header('X-Kept: yes');
    echo "hop\n";
    break;
case 'override':
    header('X-Frame-Options: SAMEORIGIN');
    header('x-content-type-options: sniff-away');
    echo "override\n";
    break;
case 'flush':
    header('Content-Type: text/plain');
    echo "early\n";
    while (ob_get_level() > 0) {
        ob_end_flush(); // php.ini's output_buffering would hold it back
    }
    flush();
    usleep(200000);
    echo "late\n";
    break;
default:
    header('Content-Type: text/plain');
    echo "small\n";
}
