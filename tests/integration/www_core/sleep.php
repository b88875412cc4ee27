<?php
// Sleeps ?ms= milliseconds, then answers with its pid and the time slept.
$ms = (int)($_GET['ms'] ?? 100);
usleep($ms * 1000);
header('Content-Type: text/plain');
echo "slept $ms pid " . getmypid() . "\n";
