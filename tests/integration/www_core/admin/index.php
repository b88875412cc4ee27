<?php
require __DIR__ . '/../_dump.inc';
