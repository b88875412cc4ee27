<?php
// Streams ?bytes= bytes in ?chunk= sized pieces, flushing after each one.
// ?length=1 announces a Content-Length, ?nobuf=1 sends "X-Accel-Buffering:
// no", and ?m= leaves that mark in the marks directory once the last byte is
// out: a test can tell when the script (and so its php-fpm worker) is done.
$total = (int)($_GET['bytes'] ?? 1048576);
$chunk = (int)($_GET['chunk'] ?? 65536);
header('Content-Type: application/octet-stream');
if (isset($_GET['length'])) {
    header("Content-Length: $total");
}
if (isset($_GET['nobuf'])) {
    header('X-Accel-Buffering: no');
}
set_time_limit(0);
while (ob_get_level() > 0) {
    ob_end_flush(); // php.ini's output_buffering: every flush() goes out
}
$block = str_repeat('0123456789abcdef', intdiv($chunk + 15, 16));
$sent = 0;
while ($sent < $total) {
    $n = min($chunk, $total - $sent);
    echo $n === strlen($block) ? $block : substr($block, 0, $n);
    flush();
    $sent += $n;
}
if (isset($_GET['m'])) {
    $m = preg_replace('/[^A-Za-z0-9_.-]/', '_', $_GET['m']);
    file_put_contents(dirname(__DIR__) . "/marks/$m", "done\n");
}
