#!/usr/bin/env bash
# shellcheck disable=SC2154 # T_*, CPU_*, RSS_* are set by measure/aggregate (printf -v) in bench/lib.sh
# Lifeboat logical backup benchmark: speed, size and memory of `lifeboat backup` / `lifeboat restore` as ratios
# against pg_dump / pg_restore measured in the same run, on the same throwaway cluster and data set.
#
#   bench/logical-backup.sh                    # 540 MiB database, 3 rounds, fresh cluster, all removed on exit
#   BENCH_SCALE=2 BENCH_REPEAT=1 bench/logical-backup.sh   # twice the rows (about 1.1 GB), one round
#   BENCH_KEEP=1 bench/logical-backup.sh; BENCH_REUSE=1 bench/logical-backup.sh   # keep, then reuse the data set
#
# Environment: BENCH_SCALE (default 1; rows scale linearly, scale 1 is about 570 MB (540 MiB) on disk),
# BENCH_REPEAT (default 3 rounds; the summary gives medians), and those of bench/lib.sh: BENCH_DIR (default
# /tmp/lifeboat-bench), BENCH_KEEP, BENCH_REUSE, BENCH_PG_BIN, BENCH_USE_LAUNCHER, LIFEBOAT_JAVA_OPTS (as for
# ./lifeboat). It takes about 5 minutes at scale 1 on 2 CPUs.
#
# Once: lifeboat --version (the JVM start alone), and an uncounted pg_dump -Fc -Z0 > /dev/null to warm the caches.
# Then BENCH_REPEAT rounds of these steps, in this order, each timed (wall clock) under GNU time (CPU, peak RSS),
# each Lifeboat backup into a fresh repository, each restore into fresh databases (dropped after the round):
#   a  floor     pg_dump -Fc -Z0 > /dev/null
#   b  pg_dump   pg_dump -Fc > file (default compression)
#   c  gzip      pg_dump | gzip > file (plain format)
#   d  local     lifeboat backup into a fresh local repository (init is not timed)
#   e  s3        lifeboat backup into a fresh repository on a local s3proxy server (filesystem backend)
#   f  again     lifeboat backup of the unchanged database into the local repository (deduplication)
#   g  restore   pg_restore --single-transaction --no-owner -d <new db> from b's file, versus
#                lifeboat restore latest --to <another new db> --yes from the local repository; both empty
#                databases are made by createdb before the step, untimed (lifeboat restore --create would
#                make its own, about 0.2 s more, which pg_restore's figure does not include); and
#                lifeboat restore latest --source bench --to <a third new db> --yes, the stack engine's path
#                (StackRestoreEngine and the postgres source's restorer: what a restore of lifeboat.yml's sources
#                runs), from the same backup
# Both restored databases are checked to have the source's row counts. Every step starts after `sync` (and a
# CHECKPOINT where data was written), so no write-back of an earlier step is billed to it.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BENCH_SCALE="${BENCH_SCALE:-1}"
BENCH_REPEAT="${BENCH_REPEAT:-3}"
[[ "$BENCH_REPEAT" =~ ^[1-9][0-9]*$ ]] || die "BENCH_REPEAT must be a positive integer"
[[ "$BENCH_SCALE" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "BENCH_SCALE must be a positive number"
BUCKET=lifeboat-bench

LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
bench_setup
lifeboat_build
pg_start "$BENCH_SCALE"

# ---- data set
read -r N_CUSTOMERS N_ORDERS N_EVENTS N_DOCUMENTS <<<"$(dataset_rows "$BENCH_SCALE")"
bench_dataset "$BENCH_SCALE"
settle
DB_SIZE="$(db_size "$BENCH_DB")"
SOURCE_COUNTS="$(table_counts "$BENCH_DB")"
TABLE_SIZES="$(psql_q "$BENCH_DB" "select string_agg(format('%s %s MiB', relname, round(pg_total_relation_size(oid) / 1048576.0)), ', ' order by pg_total_relation_size(oid) desc)
                                   from pg_class where relkind = 'r' and relnamespace = 'public'::regnamespace")"
log "database $BENCH_DB: $(mib "$DB_SIZE") MiB ($GEN_TIME)"

# Every tool reaches the cluster through PGHOST/PGPORT/PGUSER (exported by pg_start); only the database varies.
export PGDATABASE="$BENCH_DB"
PGD="$PG_BIN/pg_dump"
LOCAL_REPO="$WORK/repo-local"

# ---- measurements, in BENCH_REPEAT rounds; each round runs every step once (round-robin, so that a busy moment of
# the machine does not fall on one method only) into fresh repositories and databases.
measure jvm "$LB --version > /dev/null"
measure warmup "'$PGD' -Fc -Z0 > /dev/null"
s3proxy_start "$BUCKET"
S3PROXY_CPU_SUM=0
for i in $(seq "$BENCH_REPEAT"); do
  log "---- round $i of $BENCH_REPEAT"
  measure "floor_$i" "'$PGD' -Fc -Z0 > /dev/null"
  measure "pgdump_$i" "'$PGD' -Fc > '$WORK/dump.fc'"
  SIZE_pgdump="$(stat -c %s "$WORK/dump.fc")"
  measure "gzip_$i" "'$PGD' | gzip > '$WORK/dump.sql.gz'"
  SIZE_gzip="$(stat -c %s "$WORK/dump.sql.gz")"
  rm -f "$WORK/dump.sql.gz"

  safe_rm "$LOCAL_REPO"
  lifeboat init --repo "$LOCAL_REPO" >"$WORK/init-local.out"
  measure "local_$i" "$LB backup --repo '$LOCAL_REPO' --db 'dbname=$BENCH_DB' --label bench-1 --json > '$WORK/backup-local.json'"
  ADDED_local="$(jq -r .addedBytes "$WORK/backup-local.json")"
  STORED_local="$(jq -r .storedBytes "$WORK/backup-local.json")"
  LOGICAL_local="$(jq -r .logicalBytes "$WORK/backup-local.json")"
  CHUNKS_local="$(jq -r '[.artifacts[] | (.chunks | length) + (.chunkList.count // 0)] | add' "$WORK/backup-local.json")"
  DU_local="$(du -sb "$LOCAL_REPO" | cut -f1)"

  s3_repo="s3://$BUCKET/repo-$i?endpoint=$S3_ENDPOINT&region=us-east-1"
  lifeboat init --repo "$s3_repo" >"$WORK/init-s3.out" 2>&1 || die "lifeboat init --repo '$s3_repo' failed: $(cat "$WORK/init-s3.out")"
  cpu0="$(proc_cpu "$S3PROXY_PID")"
  measure "s3_$i" "$LB backup --repo '$s3_repo' --db 'dbname=$BENCH_DB' --label bench-s3 --json > '$WORK/backup-s3.json'"
  S3PROXY_CPU_SUM="$(awk -v s="$S3PROXY_CPU_SUM" -v a="$cpu0" -v b="$(proc_cpu "$S3PROXY_PID")" 'BEGIN { printf "%.2f", s + b - a }')"
  ADDED_s3="$(jq -r .addedBytes "$WORK/backup-s3.json")"
  [ "$(find "$S3_HOME/data/$BUCKET/repo-$i" -type f | wc -l)" -gt 2 ] || die "nothing was written into the s3proxy bucket folder"
  DU_s3="$(du -sb "$S3_HOME/data/$BUCKET/repo-$i" | cut -f1)"
  safe_rm "$S3_HOME/data/$BUCKET/repo-$i"

  measure "again_$i" "$LB backup --repo '$LOCAL_REPO' --db 'dbname=$BENCH_DB' --label bench-2 --json > '$WORK/backup-again.json'"
  ADDED_again="$(jq -r .addedBytes "$WORK/backup-again.json")"
  DU_again="$(du -sb "$LOCAL_REPO" | cut -f1)"

  "$PG_BIN/createdb" bench_restore_pg
  "$PG_BIN/createdb" bench_restore_lifeboat
  "$PG_BIN/createdb" bench_restore_stack
  settle
  measure "pgrestore_$i" "'$PG_BIN/pg_restore' --single-transaction --no-owner -d bench_restore_pg '$WORK/dump.fc'"
  settle
  measure "lbrestore_$i" "$LB restore latest --repo '$LOCAL_REPO' --to 'dbname=bench_restore_lifeboat' --yes > '$WORK/restore.out'"
  settle
  measure "stackrestore_$i" "$LB restore latest --repo '$LOCAL_REPO' --source '$BENCH_DB' --to 'dbname=bench_restore_stack' --yes > '$WORK/restore-stack.out'"
  for db in bench_restore_pg bench_restore_lifeboat bench_restore_stack; do
    [ "$(table_counts "$db")" = "$SOURCE_COUNTS" ] || die "database $db does not have the source's row counts: $(table_counts "$db") vs $SOURCE_COUNTS"
  done
  SIZE_restored_pg="$(db_size bench_restore_pg)"
  SIZE_restored_lb="$(db_size bench_restore_lifeboat)"
  SIZE_restored_stack="$(db_size bench_restore_stack)"
  psql_q postgres "drop database bench_restore_pg" >/dev/null
  psql_q postgres "drop database bench_restore_lifeboat" >/dev/null
  psql_q postgres "drop database bench_restore_stack" >/dev/null
  settle
done
for step in floor pgdump gzip local s3 again pgrestore lbrestore stackrestore; do
  aggregate "$step" "$BENCH_REPEAT"
done
S3PROXY_CPU="$(awk -v s="$S3PROXY_CPU_SUM" -v n="$BENCH_REPEAT" 'BEGIN { printf "%.2f", s / n }')"

LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"

# ---- summary
verdict() { # verdict VALUE OP LIMIT -> ok / MISSED
  awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN { if (v == "n/a") { print "?"; exit }
    ok = (op == "<=" ? v <= l : v < l); print (ok ? "ok" : "MISSED") }'
}
mb() { kib_to_mb "$1"; }
range() { local lo="T_$1_MIN" hi="T_$1_MAX"; echo "${!lo}-${!hi}"; }
line() { printf '%-52s %8s %13s %8s %8s %12s %8s %8s\n' "$@"; }
rline() { printf '%-52s %9s   %-10s %s\n' "$@"; }

R_local_floor="$(ratio "$T_local" "$T_floor")"
R_local_pgdump="$(ratio "$T_local" "$T_pgdump")"
R_s3_floor="$(ratio "$T_s3" "$T_floor")"
R_s3_pgdump="$(ratio "$T_s3" "$T_pgdump")"
R_stored_pgdump="$(ratio "$DU_local" "$SIZE_pgdump")"
R_added_pgdump="$(ratio "$ADDED_local" "$SIZE_pgdump")"
R_again_floor="$(ratio "$T_again" "$T_floor")"
R_restore="$(ratio "$T_lbrestore" "$T_pgrestore")"
R_stackrestore="$(ratio "$T_stackrestore" "$T_pgrestore")"

echo
echo "=== Lifeboat logical backup benchmark ($(date -u +%Y-%m-%dT%H:%M:%SZ)) ==="
machine_info
echo "Load avg:    $LOAD_START when the script started, $LOAD_END at the end (includes the benchmark itself; 1/5/15 min)"
echo "Rounds:      BENCH_REPEAT=$BENCH_REPEAT; times and CPU are medians, ratios are of medians; (min-max) shows the spread"
echo "Data set:    BENCH_SCALE=$BENCH_SCALE: customers $N_CUSTOMERS, orders $N_ORDERS, events $N_EVENTS, documents $N_DOCUMENTS rows"
echo "             database $(mib "$DB_SIZE") MiB on disk ($DB_SIZE bytes; $TABLE_SIZES), generation: $GEN_TIME"
echo "             pg_dump -Fc -Z0 archive $(mib "$LOGICAL_local") MiB ($LOGICAL_local bytes, Lifeboat's logicalBytes)"
echo
line "step" "seconds" "(min-max)" "CPU s" "server" "bytes" "MiB" "peak RSS"
line "" "(median)" "" "(median)" "CPU s" "" "" "MB (max)"
line "JVM start only: lifeboat --version" "$T_jvm" "" "$CPU_jvm" "$SRV_jvm" "" "" "$(mb "$RSS_jvm")"
line "warm-up: pg_dump -Fc -Z0 > /dev/null (not counted)" "$T_warmup" "" "$CPU_warmup" "$SRV_warmup" "" "" "$(mb "$RSS_warmup")"
line "a  floor: pg_dump -Fc -Z0 > /dev/null" "$T_floor" "$(range floor)" "$CPU_floor" "$SRV_floor" "$LOGICAL_local" "$(mib "$LOGICAL_local")" "$(mb "$RSS_floor")"
line "b  pg_dump -Fc > file" "$T_pgdump" "$(range pgdump)" "$CPU_pgdump" "$SRV_pgdump" "$SIZE_pgdump" "$(mib "$SIZE_pgdump")" "$(mb "$RSS_pgdump")"
line "c  pg_dump | gzip > file" "$T_gzip" "$(range gzip)" "$CPU_gzip" "$SRV_gzip" "$SIZE_gzip" "$(mib "$SIZE_gzip")" "$(mb "$RSS_gzip")"
line "d  lifeboat backup, local (du -sb repo)" "$T_local" "$(range local)" "$CPU_local" "$SRV_local" "$DU_local" "$(mib "$DU_local")" "$(mb "$RSS_local")"
line "     addedBytes (manifest)" "" "" "" "" "$ADDED_local" "$(mib "$ADDED_local")" ""
line "     storedBytes (manifest), $CHUNKS_local chunks" "" "" "" "" "$STORED_local" "$(mib "$STORED_local")" ""
line "e  lifeboat backup, s3proxy (du -sb bucket folder)" "$T_s3" "$(range s3)" "$CPU_s3" "$SRV_s3" "$DU_s3" "$(mib "$DU_s3")" "$(mb "$RSS_s3")"
line "     addedBytes (manifest)" "" "" "" "" "$ADDED_s3" "$(mib "$ADDED_s3")" ""
line "f  lifeboat backup again, unchanged (addedBytes)" "$T_again" "$(range again)" "$CPU_again" "$SRV_again" "$ADDED_again" "$(mib "$ADDED_again")" "$(mb "$RSS_again")"
line "     du -sb of the local repository after f" "" "" "" "" "$DU_again" "$(mib "$DU_again")" ""
line "g1 pg_restore --single-transaction --no-owner" "$T_pgrestore" "$(range pgrestore)" "$CPU_pgrestore" "$SRV_pgrestore" "$SIZE_restored_pg" "$(mib "$SIZE_restored_pg")" "$(mb "$RSS_pgrestore")"
line "g2 lifeboat restore latest --yes (into an empty db)" "$T_lbrestore" "$(range lbrestore)" "$CPU_lbrestore" "$SRV_lbrestore" "$SIZE_restored_lb" "$(mib "$SIZE_restored_lb")" "$(mb "$RSS_lbrestore")"
line "g3 lifeboat restore --source (the stack engine)" "$T_stackrestore" "$(range stackrestore)" "$CPU_stackrestore" "$SRV_stackrestore" "$SIZE_restored_stack" "$(mib "$SIZE_restored_stack")" "$(mb "$RSS_stackrestore")"
echo "   (CPU s: user + system of the step's processes (Lifeboat: java + its pg_dump/pg_restore); server CPU s: the
    PostgreSQL server's (the dump's or restore's backend, mostly), from the postmaster's process accounting;
    s3proxy, on the same 2-CPU machine, used $S3PROXY_CPU CPU s per backup e. g: bytes = restored database size.
    Peak RSS: the largest process of the step, java for Lifeboat.)"
# What the CPUs allow: a step cannot end before its processes and the server have had their CPU time on the
# machine's CPUs, so (CPU + server CPU) / CPUs is a lower limit of its wall time, met only if every CPU is busy
# throughout. The 0.2 x pg_dump -Fc target then caps Lifeboat's own CPU time.
NPROC="$(nproc)"
BOUND_local="$(awk -v c="$CPU_local" -v s="$SRV_local" -v n="$NPROC" 'BEGIN { printf "%.2f", (c + s) / n }')"
TARGET_local="$(awk -v p="$T_pgdump" 'BEGIN { printf "%.2f", 0.2 * p }')"
ALLOWED_local="$(awk -v t="$TARGET_local" -v s="$SRV_local" -v n="$NPROC" 'BEGIN { printf "%.2f", t * n - s }')"
echo "CPU bound:   backup local needs $CPU_local CPU s (java + pg_dump) + $SRV_local server CPU s on $NPROC CPUs, so it cannot"
echo "             take less than $BOUND_local s; 0.2 x pg_dump -Fc is $TARGET_local s, which allows Lifeboat at most"
echo "             $ALLOWED_local CPU s (java + pg_dump) with every CPU busy for the whole step."
BOUND_stack="$(awk -v c="$CPU_stackrestore" -v s="$SRV_stackrestore" -v n="$NPROC" 'BEGIN { printf "%.2f", (c + s) / n }')"
echo "CPU bound:   restore --source needs $CPU_stackrestore CPU s (java + pg_restore) + $SRV_stackrestore server CPU s on $NPROC CPUs, so it"
echo "             cannot take less than $BOUND_stack s, $(ratio "$BOUND_stack" "$T_pgrestore") x pg_restore's time; the JVM's start ($T_jvm s) comes on top."
echo
rline "ratio" "value" "target" "verdict"
rline "backup local / floor" "$R_local_floor" "<= 1.5" "$(verdict "$R_local_floor" "<=" 1.5)"
rline "backup local / pg_dump -Fc" "$R_local_pgdump" "<= 0.2" "$(verdict "$R_local_pgdump" "<=" 0.2)"
rline "backup s3 / floor" "$R_s3_floor" "<= 1.5" "$(verdict "$R_s3_floor" "<=" 1.5)"
rline "backup s3 / pg_dump -Fc" "$R_s3_pgdump" "" ""
rline "backup again (unchanged) / floor" "$R_again_floor" "" ""
rline "stored size (du -sb repo) / pg_dump -Fc size" "$R_stored_pgdump" "<= 1.0" "$(verdict "$R_stored_pgdump" "<=" 1.0)"
rline "addedBytes / pg_dump -Fc size" "$R_added_pgdump" "" ""
rline "backup again: addedBytes / first storedBytes" "$(ratio "$ADDED_again" "$STORED_local" 4)" "" ""
rline "lifeboat restore / pg_restore" "$R_restore" "<= 1.15" "$(verdict "$R_restore" "<=" 1.15)"
rline "lifeboat restore --source (stack) / pg_restore" "$R_stackrestore" "<= 1.1" "$(verdict "$R_stackrestore" "<=" 1.1)"
rline "peak RSS backup local (MB)" "$(mb "$RSS_local")" "< 300" "$(verdict "$(mb "$RSS_local")" "<" 300)"
rline "peak RSS backup s3 (MB)" "$(mb "$RSS_s3")" "< 300" "$(verdict "$(mb "$RSS_s3")" "<" 300)"
rline "peak RSS restore (MB)" "$(mb "$RSS_lbrestore")" "< 300" "$(verdict "$(mb "$RSS_lbrestore")" "<" 300)"
echo
echo "Restored databases have the source's row counts: $SOURCE_COUNTS"
