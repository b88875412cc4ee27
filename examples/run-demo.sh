#!/bin/sh
# run-demo.sh KILN: serve examples/www through KILN (built from
# examples/default.json) and a php-fpm started for the demo on a private
# socket. Ctrl-C stops both.
#
# default.json is compiled with fixed paths, so the demo lives in
# /tmp/kiln-demo: a copy of examples/www and php-fpm's socket, config and log.
set -eu

kiln=$1
here=$(cd "$(dirname "$0")" && pwd)
state=/tmp/kiln-demo

fpm=$(command -v php-fpm8.2 || command -v php-fpm || ls /usr/sbin/php-fpm* 2>/dev/null | head -n 1)
if [ -z "$fpm" ]; then
    echo "run-demo: php-fpm not found (apt-get install php-fpm)" >&2
    exit 1
fi

rm -rf "$state"
mkdir -p "$state"
cp -R "$here/www" "$state/www"
chmod -R a+rX "$state"

# php-fpm refuses to run its workers as root: as root, they run as nobody.
user_lines=""
if [ "$(id -u)" = 0 ]; then
    user_lines="user = nobody
group = nogroup"
fi
cat > "$state/php-fpm.conf" <<CONF
[global]
pid = $state/php-fpm.pid
error_log = $state/php-fpm.log
daemonize = no

[demo]
$user_lines
listen = $state/php-fpm.sock
listen.mode = 0600
pm = static
pm.max_children = 4
clear_env = yes
catch_workers_output = yes
; Only .php runs (the default also runs .phar: an uploaded one could be
; reached as /uploads/x.phar/y.php).
security.limit_extensions = .php
CONF

fpm_pid=""
kiln_pid=""
stop() {
    trap - INT TERM EXIT
    [ -n "$kiln_pid" ] && kill -TERM "$kiln_pid" 2>/dev/null && wait "$kiln_pid" 2>/dev/null
    [ -n "$fpm_pid" ] && kill -QUIT "$fpm_pid" 2>/dev/null && wait "$fpm_pid" 2>/dev/null
    echo "demo stopped"
}
trap 'stop; exit 0' INT TERM   # Ctrl-C is how the demo ends: not a failure
trap stop EXIT

"$fpm" --nodaemonize --fpm-config "$state/php-fpm.conf" &
fpm_pid=$!
for _ in $(seq 50); do
    [ -S "$state/php-fpm.sock" ] && break
    sleep 0.1
done
if [ ! -S "$state/php-fpm.sock" ]; then
    echo "run-demo: php-fpm did not start; see $state/php-fpm.log" >&2
    exit 1
fi

"$kiln" &
kiln_pid=$!
sleep 0.3
if ! kill -0 "$kiln_pid" 2>/dev/null; then
    echo "run-demo: kiln did not start (is 127.0.0.1:8080 in use?)" >&2
    exit 1
fi
echo "kiln demo: http://127.0.0.1:8080/  (Ctrl-C stops kiln and php-fpm)"
wait "$kiln_pid"
