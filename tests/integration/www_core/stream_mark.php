<?php
// Streams ?bytes= bytes in ?chunk= pieces, flushing after each one, then
// leaves the mark ?m= in the marks directory: a test can tell when the
// script (and so its php-fpm worker) is done. ?nobuf=1 sends
// "X-Accel-Buffering: no".
$total = (int)($_GET['bytes'] ?? 1048576);
$chunk = (int)($_GET['chunk'] ?? 65536);
header('Content-Type: application/octet-stream');
if (isset($_GET['nobuf'])) {
    header('X-Accel-Buffering: no');
}
set_time_limit(0);
while (ob_get_level() > 0) {
    ob_end_flush();
}
$block = str_repeat('0123456789abcdef', intdiv($chunk + 15, 16));
$sent = 0;
while ($sent < $total) {
    $n = min($chunk, $total - $sent);
    echo $n === strlen($block) ? $block : substr($block, 0, $n);
    flush();
    $sent += $n;
}
$m = preg_replace('/[^A-Za-z0-9_.-]/', '_', $_GET['m'] ?? 'stream');
file_put_contents(dirname(__DIR__) . "/marks/$m", "done\n");
