#!/usr/bin/env bash
# shellcheck disable=SC2154 # T_*, CPU_*, RSS_* are set by measure (printf -v) in bench/lib.sh
# Lifeboat verify and prune benchmark.
#
#   bench/verify-prune.sh                      # 540 MiB database; 100 backups for prune
#
# 1. verify --read-data of the benchmark database's backup, against the reference `zstd -dc | sha256sum` over
#    the same stored chunks (concatenated in stream order: zstd decompresses consecutive frames), measured in
#    the same run. Both read the same files from the page cache; Lifeboat also checks every chunk's id and
#    parses the archive with pg_restore --list.
# 2. prune of a repository with BENCH_BACKUPS (default 100) backups of a small database that changes a little
#    between backups, keeping the last 10: its time and peak RSS, and the dry run's.
#
# Environment: BENCH_SCALE (default 1, as bench/logical-backup.sh), BENCH_BACKUPS (default 100), and those of
# bench/lib.sh (BENCH_DIR, BENCH_KEEP, BENCH_REUSE, ...).
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BENCH_SCALE="${BENCH_SCALE:-1}"
BENCH_BACKUPS="${BENCH_BACKUPS:-100}"
[[ "$BENCH_BACKUPS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_BACKUPS must be a positive integer"

bench_setup
lifeboat_build
pg_start "$BENCH_SCALE"
bench_dataset "$BENCH_SCALE"
settle
DB_SIZE="$(db_size "$BENCH_DB")"

# ---- 1. verify --read-data versus zstd -dc | sha256sum
REPO="$WORK/repo"
lifeboat init --repo "$REPO" >/dev/null
lifeboat backup --repo "$REPO" --db "dbname=$BENCH_DB" --json >"$WORK/backup.json"
ID="$(jq -r .id "$WORK/backup.json")"
LOGICAL="$(jq -r .logicalBytes "$WORK/backup.json")"
STORED="$(jq -r .storedBytes "$WORK/backup.json")"
jq -r '.artifacts[0].chunks[].id | "chunks/\(.[0:2])/\(.)"' "$WORK/backup.json" >"$WORK/chunk-list.txt"
EXPECTED_SHA="$(jq -r '.artifacts[0].sha256' "$WORK/backup.json")"
# Warm the page cache for both readers alike.
(cd "$REPO" && xargs cat <"$WORK/chunk-list.txt" >/dev/null)
measure reference "cd '$REPO' && xargs cat < '$WORK/chunk-list.txt' | zstd -dcq | sha256sum > '$WORK/reference.sha'"
[ "$(cut -d' ' -f1 "$WORK/reference.sha")" = "$EXPECTED_SHA" ] || die "the reference SHA-256 differs from the manifest's"
measure verify "$LB verify '$ID' --repo '$REPO' --read-data > '$WORK/verify.out'"
grep -q "verified (read-data)" "$WORK/verify.out" || die "verify did not report verified: $(cat "$WORK/verify.out")"

# ---- 2. prune of a repository with BENCH_BACKUPS backups
PRUNE_DB=bench_prune
PRUNE_REPO="$WORK/prune-repo"
PGOPTIONS='-c client_min_messages=warning' psql_q postgres "drop database if exists $PRUNE_DB" >/dev/null
psql_q postgres "create database $PRUNE_DB" >/dev/null
psql_q "$PRUNE_DB" "create table t(id int primary key, v text); insert into t select g, md5(g::text) || repeat(md5((g * 7)::text), 3) from generate_series(1, 100000) g" >/dev/null
lifeboat init --repo "$PRUNE_REPO" --avg-chunk-size 1 >/dev/null
log "taking $BENCH_BACKUPS backups of $PRUNE_DB"
for i in $(seq "$BENCH_BACKUPS"); do
  psql_q "$PRUNE_DB" "update t set v = v || '$i' where id % 50 = $((i % 50)); insert into t select 100000 + $i * 1000 + g, md5(g::text) from generate_series(1, 500) g" >/dev/null
  lifeboat backup --repo "$PRUNE_REPO" --db "dbname=$PRUNE_DB" --label "b$i" >/dev/null
done
CHUNKS_BEFORE="$(find "$PRUNE_REPO/chunks" -type f | wc -l)"
BYTES_BEFORE="$(du -sb "$PRUNE_REPO" | cut -f1)"
measure prune_dry "$LB prune --repo '$PRUNE_REPO' --keep-last 10 --keep-within 0 --minimum-keep 3 --dry-run > '$WORK/prune-dry.out'"
measure prune "$LB prune --repo '$PRUNE_REPO' --keep-last 10 --keep-within 0 --minimum-keep 3 > '$WORK/prune.out'"
CHUNKS_AFTER="$(find "$PRUNE_REPO/chunks" -type f | wc -l)"
BYTES_AFTER="$(du -sb "$PRUNE_REPO" | cut -f1)"
KEPT="$(lifeboat list --repo "$PRUNE_REPO" --json | jq length)"
EXPECTED_KEPT=$((BENCH_BACKUPS < 10 ? BENCH_BACKUPS : 10))
[ "$KEPT" = "$EXPECTED_KEPT" ] || die "prune kept $KEPT backups, expected $EXPECTED_KEPT"
lifeboat verify --repo "$PRUNE_REPO" --all --read-data >/dev/null || die "verify after prune failed"

echo
echo "=== Lifeboat verify and prune benchmark ($(date -u +%Y-%m-%dT%H:%M:%SZ)) ==="
machine_info
echo "Data set:    BENCH_SCALE=$BENCH_SCALE, database $(mib "$DB_SIZE") MiB; archive $(mib "$LOGICAL") MiB, stored $(mib "$STORED") MiB in $(wc -l <"$WORK/chunk-list.txt") chunks"
echo
printf '%-44s %8s %8s %9s\n' "step" "seconds" "CPU s" "RSS MB"
printf '%-44s %8s %8s %9s\n' "reference: cat chunks | zstd -dc | sha256sum" "$T_reference" "$CPU_reference" "$(kib_to_mb "$RSS_reference")"
printf '%-44s %8s %8s %9s\n' "lifeboat verify --read-data" "$T_verify" "$CPU_verify" "$(kib_to_mb "$RSS_verify")"
echo "verify / reference: $(ratio "$T_verify" "$T_reference")  (target <= 1.5)"
echo
echo "Prune: $BENCH_BACKUPS backups, $CHUNKS_BEFORE chunks, $(mib "$BYTES_BEFORE") MiB; keep the last 10"
printf '%-44s %8s %8s %9s\n' "lifeboat prune --dry-run" "$T_prune_dry" "$CPU_prune_dry" "$(kib_to_mb "$RSS_prune_dry")"
printf '%-44s %8s %8s %9s\n' "lifeboat prune" "$T_prune" "$CPU_prune" "$(kib_to_mb "$RSS_prune")"
echo "after: $KEPT backups, $CHUNKS_AFTER chunks, $(mib "$BYTES_AFTER") MiB; verify --all --read-data passed"
