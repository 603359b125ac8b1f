#!/usr/bin/env bash
# shellcheck disable=SC2154 # T_*, CPU_*, RSS_* are set by measure/aggregate (printf -v) in bench/lib.sh
# Lifeboat chunk size benchmark: how the average chunk size (lifeboat init --avg-chunk-size) trades chunk count and
# manifest size against deduplication of a changed database, to choose the default by measurement.
#
#   bench/chunk-size.sh                                  # about 250 MB database, sizes 1, 2 and 4 MiB
#   BENCH_SCALE=1 BENCH_CHUNK_SIZES="1 2 4 8" bench/chunk-size.sh
#
# Environment: BENCH_SCALE (default 0.4, about 220 MiB on disk; see bench/logical-backup.sh), BENCH_CHUNK_SIZES
# (default "1 2 4", MiB), BENCH_REPEAT (default 3: rounds of the first backups, whose median time is shown), and
# those of bench/lib.sh (BENCH_DIR, BENCH_KEEP, BENCH_REUSE, BENCH_PG_BIN, ...). About 2 minutes on 2 CPUs.
#
# Steps: a copy of the generated database (CREATE DATABASE ... TEMPLATE, so a kept data set stays unchanged) is
#   1. backed up into one fresh local repository per chunk size (BENCH_REPEAT times, for the median time);
#   2. changed: about 1% of the rows of the biggest table updated, scattered (id % 100 = 7), and 5,000 rows
#      inserted; then backed up again into each repository ("scattered" round);
#   3. changed again, sparsely: 10 rows of that table updated, evenly spread (id % (max(id) / 10) = 3), and 500
#      inserted; backed up again ("sparse" round, an extra: with 1% of rows changed every chunk of the table
#      changes whatever the chunk size, so this is where the chunk size can make a difference).
# Reported per size: chunks (show latest --json: .artifacts[0].chunks | length) and manifest bytes
# (backups/<id>/manifest.json) of the first backup, its time, storedBytes and peak RSS; for each later round its
# time, addedBytes and addedBytes / the first backup's storedBytes.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BENCH_SCALE="${BENCH_SCALE:-0.4}"
BENCH_CHUNK_SIZES="${BENCH_CHUNK_SIZES:-1 2 4}"
BENCH_REPEAT="${BENCH_REPEAT:-3}"
[[ "$BENCH_REPEAT" =~ ^[1-9][0-9]*$ ]] || die "BENCH_REPEAT must be a positive integer"
[[ "$BENCH_SCALE" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "BENCH_SCALE must be a positive number"
read -r -a SIZES <<<"$BENCH_CHUNK_SIZES"
DB=bench_chunks

LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
bench_setup
lifeboat_build
pg_start "$BENCH_SCALE"

read -r N_CUSTOMERS N_ORDERS N_EVENTS N_DOCUMENTS <<<"$(dataset_rows "$BENCH_SCALE")"
bench_dataset "$BENCH_SCALE"
PGOPTIONS='-c client_min_messages=warning' psql_q postgres "drop database if exists $DB" >/dev/null
psql_q postgres "create database $DB template $BENCH_DB" >/dev/null
settle
DB_SIZE="$(db_size "$DB")"
# The table to change: the biggest one.
BIG="$(psql_q "$DB" "select relname from pg_class where relkind = 'r' and relnamespace = 'public'::regnamespace
                      order by pg_total_relation_size(oid) desc limit 1")"
BIG_SIZE="$(psql_q "$DB" "select pg_total_relation_size('$BIG')")"
BIG_ROWS="$(psql_q "$DB" "select count(*) from $BIG")"
log "database $DB: $(mib "$DB_SIZE") MiB ($GEN_TIME); the changes go to $BIG ($BIG_ROWS rows, $(mib "$BIG_SIZE") MiB)"
export PGDATABASE="$DB"

# change_rows ROUND MODULO REMAINDER INSERTS: updates the rows of $BIG with id % MODULO = REMAINDER (a text and an
# integer column; the new row versions go to the end of the table, as in a real update) and appends INSERTS rows.
# Prints the number of updated rows.
change_rows() {
  local round="$1" modulo="$2" remainder="$3" inserts="$4" text_col int_col
  case "$BIG" in
    events) text_col=message; int_col=duration_ms ;;
    orders) text_col=status; int_col=customer_id ;;
    documents) text_col=body; int_col=version ;;
    customers) text_col=name; int_col=balance ;;
    *) die "unknown table $BIG" ;;
  esac
  psql_f "$DB" -v ON_ERROR_STOP=1 -q -t -A <<SQL
with u as (update $BIG set $text_col = $text_col || ' (edited in round $round)', $int_col = $int_col + 1
           where id % $modulo = $remainder returning 1)
select count(*) from u;
-- new rows: copies of existing rows (shifted ids, a marker in the text), so they look like the others
insert into $BIG
select t.id + m.max_id, $(psql_q "$DB" "select string_agg(case when attname = 'id' then null else quote_ident(attname) end, ', ' order by attnum)
                                    from pg_attribute where attrelid = '$BIG'::regclass and attnum > 0 and not attisdropped" | sed "s/\b$text_col\b/$text_col || ' (inserted in round $round)'/")
from $BIG t, (select max(id) as max_id from $BIG) m
where t.id <= $inserts;
analyze $BIG;
SQL
}

measure warmup "'$PG_BIN/pg_dump' -Fc -Z0 > /dev/null"
LOGICAL0=""
# The first backups: BENCH_REPEAT rounds, each into fresh repositories (sizes in turn); the last round's stay.
for r in $(seq "$BENCH_REPEAT"); do
  for s in "${SIZES[@]}"; do
    repo="$WORK/repo-${s}m"
    safe_rm "$repo"
    lifeboat init --repo "$repo" --avg-chunk-size "$s" >"$WORK/init-$s.out" ||
      die "lifeboat init --repo $repo --avg-chunk-size $s failed: $(cat "$WORK/init-$s.out")"
    measure "first_${s}_$r" "$LB backup --repo '$repo' --db 'dbname=$DB' --label first --json > '$WORK/first-$s.json'"
  done
done
for s in "${SIZES[@]}"; do
  aggregate "first_$s" "$BENCH_REPEAT"
  repo="$WORK/repo-${s}m"
  lifeboat show latest --repo "$repo" --json >"$WORK/show-$s.json"
  id="$(jq -r .id "$WORK/show-$s.json")"
  printf -v "CHUNKS_$s" '%s' "$(jq '.artifacts[0].chunks | length' "$WORK/show-$s.json")"
  printf -v "MANIFEST_$s" '%s' "$(stat -c %s "$repo/backups/$id/manifest.json")"
  printf -v "STORED_$s" '%s' "$(jq -r .storedBytes "$WORK/first-$s.json")"
  LOGICAL0="$(jq -r .logicalBytes "$WORK/first-$s.json")"
done

log "round 'scattered': updating $BIG where id % 100 = 7, inserting 5000 rows"
UPDATED1="$(change_rows scattered 100 7 5000 | head -n 1)"
settle
for s in "${SIZES[@]}"; do
  measure "second_$s" "$LB backup --repo '$WORK/repo-${s}m' --db 'dbname=$DB' --label scattered --json > '$WORK/second-$s.json'"
  printf -v "ADDED2_$s" '%s' "$(jq -r .addedBytes "$WORK/second-$s.json")"
  LOGICAL1="$(jq -r .logicalBytes "$WORK/second-$s.json")"
done

MAX_ID="$(psql_q "$DB" "select max(id) from $BIG")"
SPARSE_MOD=$(( MAX_ID / 10 > 1 ? MAX_ID / 10 : 1 ))
log "round 'sparse': updating $BIG where id % $SPARSE_MOD = 3, inserting 500 rows"
UPDATED2="$(change_rows sparse "$SPARSE_MOD" 3 500 | head -n 1)"
settle
for s in "${SIZES[@]}"; do
  measure "third_$s" "$LB backup --repo '$WORK/repo-${s}m' --db 'dbname=$DB' --label sparse --json > '$WORK/third-$s.json'"
  printf -v "ADDED3_$s" '%s' "$(jq -r .addedBytes "$WORK/third-$s.json")"
  LOGICAL2="$(jq -r .logicalBytes "$WORK/third-$s.json")"
done

LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"

# ---- summary
RANGES=""
echo
echo "=== Lifeboat chunk size benchmark ($(date -u +%Y-%m-%dT%H:%M:%SZ)) ==="
machine_info
echo "Load avg:    $LOAD_START when the script started, $LOAD_END at the end (includes the benchmark itself; 1/5/15 min)"
echo "Data set:    BENCH_SCALE=$BENCH_SCALE: customers $N_CUSTOMERS, orders $N_ORDERS, events $N_EVENTS, documents $N_DOCUMENTS rows;"
echo "             database $(mib "$DB_SIZE") MiB on disk, generation: $GEN_TIME; pg_dump -Fc -Z0 archive $(mib "$LOGICAL0") MiB ($LOGICAL0 bytes)"
echo "Changes:     table $BIG ($BIG_ROWS rows, $(mib "$BIG_SIZE") MiB with indexes)"
echo "             scattered: $UPDATED1 rows updated (id % 100 = 7) + 5000 inserted; archive then $LOGICAL1 bytes"
echo "             sparse:    $UPDATED2 rows updated (id % $SPARSE_MOD = 3) + 500 inserted; archive then $LOGICAL2 bytes"
echo
printf '%-10s %7s %10s %9s %13s %9s | %9s %13s %7s | %9s %13s %7s\n' \
  "avg chunk" "chunks" "manifest" "1st s" "1st stored" "1st RSS" "scat. s" "scat. added" "/stored" "sparse s" "sparse added" "/stored"
printf '%-10s %7s %10s %9s %13s %9s | %9s %13s %7s | %9s %13s %7s\n' \
  "(MiB)" "" "(bytes)" "" "(bytes)" "(MB)" "" "(bytes)" "" "" "(bytes)" ""
for s in "${SIZES[@]}"; do
  lo="T_first_${s}_MIN" hi="T_first_${s}_MAX"
  RANGES+="$s MiB ${!lo}-${!hi} s, "
done
RANGES="${RANGES%, }"
for s in "${SIZES[@]}"; do
  c="CHUNKS_$s" m="MANIFEST_$s" st="STORED_$s" a2="ADDED2_$s" a3="ADDED3_$s"
  t1="T_first_$s" t2="T_second_$s" t3="T_third_$s" r1="RSS_first_$s"
  printf '%-10s %7s %10s %9s %13s %9s | %9s %13s %7s | %9s %13s %7s\n' \
    "$s" "${!c}" "${!m}" "${!t1}" "${!st}" "$(kib_to_mb "${!r1}")" \
    "${!t2}" "${!a2}" "$(ratio "${!a2}" "${!st}" 3)" \
    "${!t3}" "${!a3}" "$(ratio "${!a3}" "${!st}" 4)"
done
echo
echo "1st s: median of $BENCH_REPEAT first backups into fresh repositories (${RANGES% }); 1st RSS: their maximum."
echo "/stored = addedBytes of that backup / storedBytes of the first backup (smaller is better deduplication)."
