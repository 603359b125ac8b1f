#!/usr/bin/env bash
# Lifeboat compression benchmark: what each zstd setting costs and stores on pg_dump output, to choose the default
# level. Compression is most of a backup's CPU time, and the stored size must stay at most that of `pg_dump -Fc`.
#
#   bench/zstd-levels.sh                       # the data set of bench/logical-backup.sh (scale 1), 5 rounds
#   BENCH_REUSE=1 bench/zstd-levels.sh         # reuse a data set kept by BENCH_KEEP=1
#
# Environment: BENCH_SCALE (default 1), BENCH_REPEAT (default 5 rounds, after one warm-up round), and those of
# bench/lib.sh. About 3 minutes on 2 CPUs.
#
# Steps: `pg_dump -Fc -Z0` of the data set into a file (the stream Lifeboat chunks) and `pg_dump -Fc` (the size to
# beat), then bench/ZstdLevels.java with Lifeboat's own zstd-jni: the archive in 2 MiB pieces at each setting,
# the compressed size against `pg_dump -Fc`, and the compressing thread's CPU time (mean of the rounds), also
# against level 3.
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
"$PG_BIN/pg_dump" -Fc -f "$WORK/dump.fc"
RAW="$(stat -c %s "$WORK/dump.z0")"
FC="$(stat -c %s "$WORK/dump.fc")"
log "archive $(mib "$RAW") MiB; pg_dump -Fc $(mib "$FC") MiB; compressing, $BENCH_REPEAT rounds"
JAR="$BENCH_DIR/lifeboat.jar" # lifeboat_build's snapshot of target/lifeboat.jar
[ -f "$JAR" ] || JAR="$BENCH_ROOT/target/lifeboat.jar"
RESULT="$(java -Xmx1g -cp "$JAR" "$BENCH_ROOT/bench/ZstdLevels.java" "$WORK/dump.z0" "$FC" "$BENCH_REPEAT")"

echo
echo "=== Lifeboat zstd levels benchmark ($(date -u +%Y-%m-%dT%H:%M:%SZ)) ==="
machine_info
echo "Data set:    BENCH_SCALE=$BENCH_SCALE; pg_dump -Fc -Z0 archive $RAW bytes ($(mib "$RAW") MiB), compressed in 2 MiB pieces;"
echo "             pg_dump -Fc $FC bytes ($(mib "$FC") MiB). CPU s: the compressing thread's, mean of $BENCH_REPEAT rounds."
echo
echo "$RESULT"
