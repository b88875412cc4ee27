<?php
// Same echo as index.php, under another script name.
require __DIR__ . "/index.php";
