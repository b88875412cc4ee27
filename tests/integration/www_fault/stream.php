<?php
// ?bytes= bytes of "0123456789abcdef" repeated, flushed every ?chunk= bytes.
$total = (int)($_GET['bytes'] ?? 1048576);
$chunk = (int)($_GET['chunk'] ?? 65536);
header('Content-Type: application/octet-stream');
set_time_limit(0);
$block = str_repeat('0123456789abcdef', intdiv($chunk + 15, 16));
$sent = 0;
while ($sent < $total) {
    $n = min($chunk, $total - $sent);
    echo substr($block, 0, $n);
    flush();
    $sent += $n;
}
