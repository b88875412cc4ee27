<?php
// 1 MiB streamed: 64 chunks of 16 KiB, each flushed to the proxy as soon
// as it is written, so the proxy has to relay a response whose length it
// does not know in advance. Chunk i is 1024 lines "%015d\n" of i.
header('Content-Type: application/octet-stream');
while (ob_get_level() > 0) {
    ob_end_flush();
}
for ($i = 0; $i < 64; $i++) {
    echo str_repeat(sprintf("%015d\n", $i), 1024);
    flush();
}
