<?php
// The body's length and MD5, computed by PHP from what it received.
$body = file_get_contents('php://input');
header('Content-Type: text/plain');
echo strlen($body), ' ', md5($body), ' ', $_SERVER['CONTENT_LENGTH'] ?? 'none', "\n";
