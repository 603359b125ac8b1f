#!/usr/bin/env bash
# shellcheck disable=SC2154 # T_*, CPU_*, RSS_* are set by measure (printf -v) in bench/lib.sh
# Lifeboat large-repository benchmark: the memory of backup, verify and prune when the repository holds many chunks.
# Every backup lists the repository's chunks (to store each chunk once), so this is what grows with a repository
# while the dump itself streams in bounded memory.
#
#   bench/large-repo.sh                        # 1,000,000 chunks (2 TB of unique data at 2 MiB a chunk)
#   BENCH_CHUNKS=200000 bench/large-repo.sh
#
# Environment: BENCH_CHUNKS (default 1000000), and those of bench/lib.sh (BENCH_DIR, BENCH_PG_BIN, LIFEBOAT_JAVA_OPTS).
# About 3 minutes for 1,000,000 chunks on 2 CPUs; the chunk files are empty, so it needs inodes, not disk space.
#
# Steps, each under GNU time (wall, CPU, peak RSS), with the launcher's JVM options (-Xmx160m by default):
#   1. a small database (100,000 rows) backed up into an empty local repository: the reference;
#   2. BENCH_CHUNKS empty chunk files fabricated into a second repository (bench/FabricateChunks.java), not timed;
#   3. the same backup into it, then `verify latest` (which lists every chunk to check the backup's exist) and
#      `prune --dry-run` (which lists them to find garbage: here, all the fabricated ones).
# Printed: each step's peak RSS, and the backup's growth per chunk against the reference.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BENCH_CHUNKS="${BENCH_CHUNKS:-1000000}"
[[ "$BENCH_CHUNKS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_CHUNKS must be a positive integer"

bench_setup
lifeboat_build
pg_start 0.01
DB=bench_small
"$PG_BIN/createdb" "$DB"
psql_q "$DB" "create table t as select g as id, md5(g::text) as v from generate_series(1, 100000) g" >/dev/null
settle
EMPTY="$WORK/repo-empty"
BIG="$WORK/repo-big"
lifeboat init --repo "$EMPTY" >/dev/null
lifeboat init --repo "$BIG" >/dev/null
log "fabricating $BENCH_CHUNKS chunk files in $BIG"
start="$(now)"
java -Xmx256m "$BENCH_ROOT/bench/FabricateChunks.java" "$BIG" "$BENCH_CHUNKS"
FAB_TIME="$(elapsed "$start" "$(now)")"
COUNT="$(find "$BIG/chunks" -type f | wc -l)"
[ "$COUNT" -ge "$BENCH_CHUNKS" ] || die "only $COUNT chunk files in $BIG"

measure empty "$LB backup --repo '$EMPTY' --db 'dbname=$DB' > /dev/null"
measure big "$LB backup --repo '$BIG' --db 'dbname=$DB' > /dev/null"
measure verify "$LB verify latest --repo '$BIG' > /dev/null"
measure prune "$LB prune --dry-run --repo '$BIG' > /dev/null"
COUNT="$(find "$BIG/chunks" -type f | wc -l)"

mb() { kib_to_mb "$1"; }
PER_CHUNK="$(awk -v a="$RSS_big" -v b="$RSS_empty" -v n="$COUNT" 'BEGIN { printf "%.0f", (a - b) * 1024 / n }')"
echo
echo "=== Lifeboat large-repository benchmark ($(date -u +%Y-%m-%dT%H:%M:%SZ)) ==="
machine_info
echo "Repository:  $COUNT chunks ($BENCH_CHUNKS fabricated, empty, in $FAB_TIME s; plus the backup's own); database: 100,000 rows"
echo
printf '%-58s %8s %8s %12s\n' step seconds "CPU s" "peak RSS MB"
printf '%-58s %8s %8s %12s\n' "backup into an empty repository (reference)" "$T_empty" "$CPU_empty" "$(mb "$RSS_empty")"
printf '%-58s %8s %8s %12s\n' "backup into the repository of $COUNT chunks" "$T_big" "$CPU_big" "$(mb "$RSS_big")"
printf '%-58s %8s %8s %12s\n' "verify latest (lists every chunk)" "$T_verify" "$CPU_verify" "$(mb "$RSS_verify")"
printf '%-58s %8s %8s %12s\n' "prune --dry-run (lists every chunk)" "$T_prune" "$CPU_prune" "$(mb "$RSS_prune")"
echo
echo "Backup's peak RSS grows by $PER_CHUNK bytes a chunk of the repository (the target: under 300 MB whatever the size)."
