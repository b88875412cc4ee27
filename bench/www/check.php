<?php
// Pre-flight only (never timed): which pool answered, whether OPcache is on,
// and the CGI variables the proxy sent.
header('Content-Type: application/json');
$op = function_exists('opcache_get_status') ? opcache_get_status(false) : false;
echo json_encode([
    'pool' => getenv('BENCH_POOL'),
    'sapi' => PHP_SAPI,
    'php' => PHP_VERSION,
    'opcache' => is_array($op) && !empty($op['opcache_enabled']),
    'script_name' => $_SERVER['SCRIPT_NAME'] ?? null,
    'script_filename' => $_SERVER['SCRIPT_FILENAME'] ?? null,
    'request_uri' => $_SERVER['REQUEST_URI'] ?? null,
    'query_string' => $_SERVER['QUERY_STRING'] ?? null,
    'path_info' => $_SERVER['PATH_INFO'] ?? null,
]), "\n";
