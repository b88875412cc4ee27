<?php
// POST echo: reads the whole request body and answers with what arrived,
// so the harness can check the proxy forwarded every byte.
header('Content-Type: application/json');
$body = file_get_contents('php://input');
echo json_encode([
    'method' => $_SERVER['REQUEST_METHOD'],
    'content_type' => $_SERVER['CONTENT_TYPE'] ?? '',
    'length' => strlen($body),
    'md5' => md5($body),
]), "\n";
