<?php
// Sleeps ?ms= milliseconds, then answers.
usleep((int)($_GET['ms'] ?? 100) * 1000);
header('Content-Type: text/plain');
echo "slept\n";
