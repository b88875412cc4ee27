<?php
// Sleeps ?s=N seconds, then answers: holds a php-fpm worker meanwhile.
sleep((int)($_GET["s"] ?? 1));
echo "slept\n";
