<?php
// A small answer: who served it.
header('Content-Type: text/plain');
echo "hello pid " . getmypid() . "\n";
