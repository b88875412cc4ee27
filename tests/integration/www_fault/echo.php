<?php
// The request body's length and MD5, as "len md5".
header('Content-Type: text/plain');
$body = file_get_contents('php://input');
echo strlen($body), " ", md5($body), "\n";
