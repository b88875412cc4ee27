<?php
// Minimal JSON (GET /index.php) and the front controller: every path that
// is not a .php file reaches this script (nginx try_files, HAProxy
// set-param, kiln's index), and it routes on REQUEST_URI as frameworks do.
header('Content-Type: application/json');
$path = strtok($_SERVER['REQUEST_URI'] ?? '/', '?');
if ($path === '/index.php' || $path === '/') {
    echo '{"status":"ok","message":"Hello, World!"}', "\n";
    return;
}
if (preg_match('#^/users/(\d+)$#', $path, $m)) {
    echo json_encode([
        'route' => 'user.show',
        'id' => (int)$m[1],
        'page' => (int)($_GET['page'] ?? 1),
    ]), "\n";
    return;
}
http_response_code(404);
echo json_encode(['error' => 'not found']), "\n";
