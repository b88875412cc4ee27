<?php
// Front controller of the core tests: what PHP received, as JSON.
require __DIR__ . '/_dump.inc';
