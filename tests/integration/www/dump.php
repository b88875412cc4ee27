<?php
// Echoes what PHP received, as JSON: the CGI environment and the body.
header('Content-Type: application/json');
$server = [];
foreach ($_SERVER as $k => $v) {
    if (is_string($v)) {
        $server[$k] = $v;
    }
}
echo json_encode(['server' => $server, 'body' => file_get_contents('php://input')]), "\n";
