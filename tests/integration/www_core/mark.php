<?php
// Leaves a mark named by ?m= in the marks directory, so a test can tell that
// this script ran (a smuggled request must never get here).
$m = preg_replace('/[^A-Za-z0-9_.-]/', '_', $_GET['m'] ?? 'unnamed');
$dir = getenv('KILN_MARKS') ?: dirname(__DIR__) . '/marks';
file_put_contents("$dir/$m", $_SERVER['REQUEST_METHOD'] . ' ' . $_SERVER['REQUEST_URI'] . "\n", FILE_APPEND);
header('Content-Type: text/plain');
echo "marked $m\n";
