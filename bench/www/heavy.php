<?php
// About 10 KB of JSON: 100 users with an md5 each, so PHP does some work
// and the proxy relays a body larger than one 4 KB/8 KB buffer.
header('Content-Type: application/json');
$users = [];
for ($i = 1; $i <= 100; $i++) {
    $users[] = [
        'id' => $i,
        'name' => "User $i",
        'email' => "user$i@example.com",
        'hash' => md5("user-$i"),
        'active' => $i % 3 !== 0,
    ];
}
echo json_encode(['count' => count($users), 'users' => $users]), "\n";
