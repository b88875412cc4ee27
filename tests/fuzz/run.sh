#!/bin/sh
# run.sh BINDIR SECONDS [NAME...]: run each libFuzzer harness (all of them
# when no NAME is given) for SECONDS on a scratch copy of its corpus, so new
# inputs do not pile up in git. A crash, leak or timeout fails the run; the
# reproducer is left in tests/fuzz/ (crash-*), to be fixed and then added to
# corpus/<name>/ as a regression input.
set -eu
bindir=$1; seconds=$2; shift 2
here=$(cd "$(dirname "$0")" && pwd)
names=${*:-$(cd "$here" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')}
status=0
for name in $names; do
    work=$(mktemp -d)
    cp -r "$here/corpus/$name/." "$work/"
    echo "== fuzz $name for ${seconds}s"
    if ! "$bindir/fuzz_$name" -max_total_time="$seconds" -timeout=10 \
            -rss_limit_mb=2048 -print_final_stats=1 \
            -artifact_prefix="$here/" "$work" 2>"$work.log"; then
        tail -n 40 "$work.log"
        status=1
    else
        grep -E '^stat::(number_of_executed_units|average_exec_per_sec)' "$work.log" || true
    fi
    rm -rf "$work" "$work.log"
done
exit $status
