<?php
// ?n= lines, one every ?ms= milliseconds, each flushed at once; with
// ?before=ms it first sleeps, then reads the request body (a script that is
// slow to take its input).
while (ob_get_level() > 0) {
    ob_end_flush();
}
header('Content-Type: text/plain');
if (isset($_GET['before'])) {
    usleep((int)$_GET['before'] * 1000);
    $body = file_get_contents('php://input');
    echo 'body ', strlen($body), ' ', md5($body), "\n";
    flush();
}
$n = (int)($_GET['n'] ?? 5);
$ms = (int)($_GET['ms'] ?? 200);
for ($i = 0; $i < $n; $i++) {
    echo "tick $i\n";
    flush();
    usleep($ms * 1000);
}
echo "done\n";
