#!/usr/bin/env bash
# shellcheck disable=SC2154 # T_cli_list is set by measure (printf -v) in bench/lib.sh
# Lifeboat service benchmark: the backup list endpoint with many backups, and the service's memory.
#
#   bench/service-list.sh                     # 10,000 backups
#
# A small database is backed up once; bench/fabricate-backups.sh copies that backup's manifest to
# BENCH_BACKUPS-1 more backups (valid ones, sharing its chunks). Then `lifeboat serve` starts on the repository
# and GET /api/v1/platform/backups is timed with curl:
#   - the first request (the service lists backups/ and reads every manifest and status once);
#   - BENCH_REQUESTS warm requests (median, 95th percentile, maximum): the target is < 200 ms;
#   - the request after a new backup was taken through the API (one manifest read again).
# The reference, measured in the same run, is `lifeboat list --json`, which reads every manifest each time.
# Memory: the service's RSS when idle after start-up, after the first listing, and after the warm requests.
#
# Environment: BENCH_BACKUPS (default 10000), BENCH_REQUESTS (default 30), and those of bench/lib.sh.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BENCH_BACKUPS="${BENCH_BACKUPS:-10000}"
BENCH_REQUESTS="${BENCH_REQUESTS:-30}"
[[ "$BENCH_BACKUPS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_BACKUPS must be a positive integer"
[[ "$BENCH_REQUESTS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_REQUESTS must be a positive integer"


bench_setup
lifeboat_build
pg_start 0
LIST_DB=bench_list
PGOPTIONS='-c client_min_messages=warning' psql_q postgres "drop database if exists $LIST_DB" >/dev/null
psql_q postgres "create database $LIST_DB" >/dev/null
psql_q "$LIST_DB" "create table users(id int primary key, email text, created timestamptz default now());
  insert into users select g, 'user' || g || '@example.com' from generate_series(1, 20000) g;
  create table orders(id bigint primary key, user_id int references users, total numeric(10,2), items jsonb);
  insert into orders select g, 1 + g % 20000, (g % 997) / 7.0, jsonb_build_object('sku', g % 101, 'n', g % 5)
    from generate_series(1, 50000) g" >/dev/null

REPO="$WORK/list-repo"
DATA="$WORK/list-data"
lifeboat init --repo "$REPO" >/dev/null
lifeboat backup --repo "$REPO" --db "dbname=$LIST_DB" --label original >/dev/null
if [ "$BENCH_BACKUPS" -gt 1 ]; then
  log "fabricating $((BENCH_BACKUPS - 1)) more backups"
  "$BENCH_ROOT/bench/fabricate-backups.sh" "$REPO" $((BENCH_BACKUPS - 1)) >/dev/null
fi
COUNT="$(find "$REPO/backups" -name manifest.json | wc -l)"
[ "$COUNT" = "$BENCH_BACKUPS" ] || die "the repository holds $COUNT backups, expected $BENCH_BACKUPS"

# ---- reference: the CLI's listing, which reads every manifest
lifeboat list --repo "$REPO" --json >/dev/null # warm the page cache
measure cli_list "$LB list --repo '$REPO' --json > '$WORK/cli-list.json'"
[ "$(jq length "$WORK/cli-list.json")" = "$BENCH_BACKUPS" ] || die "lifeboat list did not list $BENCH_BACKUPS backups"

# ---- the service
PORT="$(free_port)"
TOKEN="$(LIFEBOAT_DATA_DIR="$DATA" lifeboat token create --role admin --name bench | grep -o 'lb_[A-Za-z0-9_-]*')"
[ -n "$TOKEN" ] || die "could not create a token"
URL="http://127.0.0.1:$PORT/api/v1/platform/backups"
log "starting lifeboat serve on port $PORT"
# shellcheck disable=SC2086 # the options are words
# Retention keeps every fabricated backup (they go back ~14 months): the backup taken below is followed by a prune.
(cd "$WORK" && exec env LIFEBOAT_DATA_DIR="$DATA" LIFEBOAT_REPOSITORY="$REPO" DATABASE_URL="dbname=$LIST_DB" \
  LIFEBOAT_BACKUP_RETENTION_DAYS=3650 \
  java $LIFEBOAT_JVM_OPTS -Dlifeboat.tty=false -jar "$BENCH_DIR/lifeboat.jar" serve --port "$PORT" \
  >"$WORK/serve.log" 2>&1) &
SERVE_PID=$!
stop_service() {
  if kill "$SERVE_PID" 2>/dev/null; then
    wait "$SERVE_PID" 2>/dev/null || true
  fi
}
trap 'stop_service; bench_cleanup' EXIT
for _ in $(seq 300); do
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
  kill -0 "$SERVE_PID" 2>/dev/null || { cat "$WORK/serve.log" >&2; die "lifeboat serve exited"; }
  sleep 0.1
done
curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null || die "lifeboat serve did not start"
sleep 5 # let start-up work (metrics seeding, JIT of start-up code) settle
rss_mb() { awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
JAVA_PID="$(pgrep -f "lifeboat.jar serve --port $PORT" | head -n 1)"
RSS_IDLE="$(rss_mb "$JAVA_PID")"

# get FILE -> seconds of one GET of the list, checking its status and count
get() {
  local t
  t="$(curl -s -o "$1" -w '%{http_code} %{time_total}' -H "Authorization: Bearer $TOKEN" "$URL")"
  [ "${t% *}" = 200 ] || die "GET $URL answered ${t% *}: $(head -c 300 "$1")"
  echo "${t#* }"
}
T_FIRST="$(get "$WORK/api-list.json")"
[ "$(jq .count "$WORK/api-list.json")" = "$BENCH_BACKUPS" ] || die "the API did not list $BENCH_BACKUPS backups"
RSS_LISTED="$(rss_mb "$JAVA_PID")"
for _ in $(seq 10); do get /dev/null >/dev/null; done # warm-up
: >"$WORK/api-times.txt"
for _ in $(seq "$BENCH_REQUESTS"); do get /dev/null >>"$WORK/api-times.txt"; done
sort -n "$WORK/api-times.txt" >"$WORK/api-times-sorted.txt"
pct() { awk -v p="$1" '{ v[NR] = $1 } END { i = int(NR * p + 0.999999); if (i < 1) i = 1; printf "%.3f", v[i] }' "$WORK/api-times-sorted.txt"; }
T_MEDIAN="$(pct 0.5)"
T_P95="$(pct 0.95)"
T_MAX="$(tail -n 1 "$WORK/api-times-sorted.txt")"
RSS_WARM="$(rss_mb "$JAVA_PID")"
BYTES="$(stat -c %s "$WORK/api-list.json")"

# one more backup through the API, then the list again: one new manifest to read
curl -sf -X POST -H "Authorization: Bearer $TOKEN" "$URL" >/dev/null || die "POST $URL failed"
T_AFTER_NEW="$(get "$WORK/api-list-2.json")"
[ "$(jq .count "$WORK/api-list-2.json")" = $((BENCH_BACKUPS + 1)) ] || die "the new backup is not listed"
T_AFTER_NEW_2="$(get /dev/null)"
stop_service

ms() { awk -v s="$1" 'BEGIN { printf "%.0f", s * 1000 }'; }
echo
echo "=== Lifeboat service list benchmark ($(date -u +%Y-%m-%dT%H:%M:%SZ)) ==="
machine_info
echo "Data set:    $BENCH_BACKUPS backups (1 real backup of a $(mib "$(db_size "$LIST_DB")") MiB database + copies of its manifest); response $(mib "$BYTES") MiB of JSON"
echo
printf '%-58s %10s\n' "step" "ms"
printf '%-58s %10s\n' "reference: lifeboat list --json (CLI, JVM start included)" "$(ms "$T_cli_list")"
printf '%-58s %10s\n' "GET /backups, first request (reads every manifest)" "$(ms "$T_FIRST")"
printf '%-58s %10s\n' "GET /backups, warm: median of $BENCH_REQUESTS" "$(ms "$T_MEDIAN")"
printf '%-58s %10s\n' "GET /backups, warm: 95th percentile" "$(ms "$T_P95")"
printf '%-58s %10s\n' "GET /backups, warm: maximum" "$(ms "$T_MAX")"
printf '%-58s %10s\n' "GET /backups after one new backup (refresh)" "$(ms "$T_AFTER_NEW")"
printf '%-58s %10s\n' "GET /backups after that" "$(ms "$T_AFTER_NEW_2")"
echo
echo "warm median / reference: $(ratio "$T_MEDIAN" "$T_cli_list" 3)"
echo "warm median: $(ms "$T_MEDIAN") ms, 95th percentile $(ms "$T_P95") ms  (target < 200 ms)"
echo "service RSS: idle after start-up $RSS_IDLE MB, after the first listing $RSS_LISTED MB, after the warm requests $RSS_WARM MB (JVM options: $LIFEBOAT_JVM_OPTS)"
