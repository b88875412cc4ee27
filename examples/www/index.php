<?php
/*
 * kiln demo: a front controller. Every path that is not a .php file lands
 * here with the original path in PATH_INFO, the way Laravel, Symfony and
 * WordPress route requests.
 */
declare(strict_types=1);

function page(string $title, string $body): void
{
    header('Content-Type: text/html; charset=utf-8');
    $t = htmlspecialchars($title);
    echo <<<HTML
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{$t} · kiln demo</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}
nav a{margin-right:1rem} table{border-collapse:collapse;width:100%;font-size:14px}
td,th{border-bottom:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
td:first-child{font-family:monospace;white-space:nowrap} code{background:#f4f4f4;padding:0 .25rem}
</style></head><body>
<nav><a href="/">home</a><a href="/form">form</a><a href="/server">\$_SERVER</a><a href="/robots.txt">robots.txt</a><a href="/healthz">healthz</a></nav>
<h1>{$t}</h1>
{$body}
</body></html>
HTML;
}

$path = $_SERVER['PATH_INFO'] ?? '/';
if ($path === '') {
    $path = '/';
}

switch ($path) {
case '/':
    $php = htmlspecialchars(PHP_VERSION);
    page('It works', <<<HTML
<p>This page came from PHP {$php} through <strong>kiln</strong>, an HTTP/1.1
front end compiled from <code>examples/default.json</code>.</p>
<ul>
<li><a href="/form">A form</a> posts back to the front controller.</li>
<li><a href="/server"><code>\$_SERVER</code></a> shows the CGI parameters PHP received.</li>
<li><a href="/robots.txt">/robots.txt</a> is answered by kiln itself from a baked
<code>return</code> location; PHP never sees it.</li>
<li><a href="/healthz">/healthz</a> is kiln's liveness endpoint.</li>
<li>Try <a href="/some/route?x=1">/some/route?x=1</a>: any path without a
<code>.php</code> file runs <code>index.php</code>.</li>
</ul>
HTML);
    break;

case '/form':
    $out = '';
    if ($_SERVER['REQUEST_METHOD'] === 'POST') {
        $name = htmlspecialchars((string)($_POST['name'] ?? ''));
        $msg = htmlspecialchars((string)($_POST['message'] ?? ''));
        $len = (int)($_SERVER['CONTENT_LENGTH'] ?? 0);
        $out = "<p><strong>Received</strong> ({$len} bytes): name = <code>{$name}</code>, message = <code>{$msg}</code></p>";
    }
    page('A form', $out . <<<HTML
<form method="post" action="/form">
<p><label>Name <input name="name" required></label></p>
<p><label>Message<br><textarea name="message" rows="3" cols="40"></textarea></label></p>
<p><button>Send</button></p>
</form>
HTML);
    break;

case '/server':
    $rows = '';
    $vars = $_SERVER;
    ksort($vars);
    foreach ($vars as $k => $v) {
        if (!is_string($v) && !is_int($v) && !is_float($v)) {
            continue;
        }
        $rows .= '<tr><td>' . htmlspecialchars((string)$k) . '</td><td>' . htmlspecialchars((string)$v) . "</td></tr>\n";
    }
    page('$_SERVER', "<table><tr><th>name</th><th>value</th></tr>\n{$rows}</table>");
    break;

default:
    http_response_code(404);
    $p = htmlspecialchars($path);
    $q = htmlspecialchars($_SERVER['QUERY_STRING'] ?? '');
    page('Not found', "<p>The front controller has no route for <code>{$p}</code> (query <code>{$q}</code>).</p>");
}
