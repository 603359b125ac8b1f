#!/usr/bin/env bash
# What counting the rows in the archive (ArchiveRows, the manifest's row counts) costs a backup: the reading
# thread's CPU time for the `pg_dump -Fc -Z0` archive of the data set read through ArchiveRows, against a plain
# read of the same file in the same run, and the rows it counted against the data set's.
#
#   bench/archive-rows.sh                      # the data set of bench/logical-backup.sh (scale 1), 5 rounds
#   BENCH_REUSE=1 bench/archive-rows.sh        # reuse a data set kept by BENCH_KEEP=1
#
# Environment: BENCH_SCALE (default 1), BENCH_REPEAT (default 5 rounds, after one warm-up round), and those of
# bench/lib.sh. About 1 minute on 2 CPUs with a kept data set.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BENCH_SCALE="${BENCH_SCALE:-1}"
BENCH_REPEAT="${BENCH_REPEAT:-5}"
[[ "$BENCH_REPEAT" =~ ^[1-9][0-9]*$ ]] || die "BENCH_REPEAT must be a positive integer"
[[ "$BENCH_SCALE" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "BENCH_SCALE must be a positive number"

bench_setup
lifeboat_build
pg_start "$BENCH_SCALE"
bench_dataset "$BENCH_SCALE"
export PGDATABASE="$BENCH_DB"
"$PG_BIN/pg_dump" -Fc -Z0 -f "$WORK/dump.z0"
RAW="$(stat -c %s "$WORK/dump.z0")"
ROWS="$("$PG_BIN/psql" -XAtc "select sum((xpath('/row/c/text()', query_to_xml(format('select count(*) as c from %I.%I',
  schemaname, relname), false, true, '')))[1]::text::bigint) from pg_stat_user_tables")"
log "archive $(mib "$RAW") MiB; following it, $BENCH_REPEAT rounds"
JAR="$BENCH_DIR/lifeboat.jar" # lifeboat_build's snapshot of target/lifeboat.jar
[ -f "$JAR" ] || JAR="$BENCH_ROOT/target/lifeboat.jar"
RESULT="$(java -Xmx160m -cp "$JAR" "$BENCH_ROOT/bench/FollowArchive.java" "$WORK/dump.z0" "$BENCH_REPEAT")"

echo
echo "=== Lifeboat archive row counting benchmark ($(date -u +%Y-%m-%dT%H:%M:%SZ)) ==="
machine_info
echo "Data set:    BENCH_SCALE=$BENCH_SCALE; pg_dump -Fc -Z0 archive $RAW bytes ($(mib "$RAW") MiB); $ROWS rows"
echo "             (count(*) of every table). CPU s: the reading thread's, mean of $BENCH_REPEAT rounds."
echo
echo "$RESULT"
