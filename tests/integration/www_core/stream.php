<?php
// Streams ?bytes= bytes in ?chunk= sized pieces, flushing after each one.
$total = (int)($_GET['bytes'] ?? 1048576);
$chunk = (int)($_GET['chunk'] ?? 65536);
header('Content-Type: application/octet-stream');
if (isset($_GET['length'])) {
    header("Content-Length: $total");
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
