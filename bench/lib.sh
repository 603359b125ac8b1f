# shellcheck shell=bash disable=SC2034
# (SC2034: variables such as LB, PG_REUSED and the T_/CPU_/RSS_ results are set here for the scripts that source it)
# Shared helpers of the Lifeboat benchmarks (bench/logical-backup.sh, bench/chunk-size.sh); source it, do not run it.
#
# It provides: a throwaway PostgreSQL cluster (newest /usr/lib/postgresql/*/bin, 127.0.0.1, a free port, trust auth,
# benchmark settings) reached by every tool through PGHOST/PGPORT/PGUSER; a deterministic data set; an s3proxy
# server; timing and peak-RSS helpers; and one cleanup trap that stops and removes all of it.
#
# Environment (all optional):
#   BENCH_DIR      working folder, removed on exit (default /tmp/lifeboat-bench)
#   BENCH_REUSE=1  reuse the cluster and data set left in BENCH_DIR by a run with BENCH_KEEP=1, if it has the same
#                  PostgreSQL major and data set parameters (default 0: always generate afresh)
#   BENCH_KEEP=1   keep the PostgreSQL data folder on exit (for BENCH_REUSE); everything else is still removed
#   BENCH_PG_BIN   PostgreSQL bin folder (default: the newest /usr/lib/postgresql/*/bin)
#   BENCH_USE_LAUNCHER=1  run ./lifeboat itself for every step. By default the jar is built once through the
#                  launcher, then copied into BENCH_DIR and run with the launcher's own JVM options, so that
#                  colleagues editing sources during a run cannot trigger a (timed) rebuild or swap the jar.

set -euo pipefail

BENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH_DIR="${BENCH_DIR:-/tmp/lifeboat-bench}"
BENCH_REUSE="${BENCH_REUSE:-0}"
BENCH_KEEP="${BENCH_KEEP:-0}"
BENCH_USE_LAUNCHER="${BENCH_USE_LAUNCHER:-0}"
BENCH_PG_USER=bench
BENCH_DB=bench

PG_BASE="$BENCH_DIR/pg"          # owned by the server's OS user when we are root
PG_DATA="$PG_BASE/data"
PG_LOG="$PG_BASE/postgres.log"
WORK="$BENCH_DIR/work"           # dumps, repositories, time outputs
S3_HOME="$BENCH_DIR/s3proxy"
S3PROXY_PID=""
PG_STARTED=0

# ---------------------------------------------------------------------------------------------------------------
# small utilities

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now() { date +%s.%N; }
# elapsed START END -> seconds with 2 decimals
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
# ratio A B [decimals] -> A/B, or "n/a"
ratio() { awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN { if (b + 0 == 0 || a == "") print "n/a"; else printf "%.*f", d, a / b }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
# kib_to_mb KiB -> MB (MiB, 1 decimal)
kib_to_mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

safe_rm() { # rm -rf only below BENCH_DIR
  local p
  for p in "$@"; do
    case "$p" in
      "$BENCH_DIR"/?*) rm -rf -- "$p" ;;
      *) die "refusing to remove $p (outside $BENCH_DIR)" ;;
    esac
  done
}

need_tools() {
  command -v jq >/dev/null || die "jq is missing (apt-get install jq)"
  command -v curl >/dev/null || die "curl is missing (apt-get install curl)"
  if [ ! -x /usr/bin/time ]; then
    [ "$(id -u)" = 0 ] || die "/usr/bin/time (GNU time) is missing: apt-get install time"
    log "installing GNU time (Debian package 'time')"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q time >/dev/null 2>&1 ||
      { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q time >/dev/null; } ||
      die "could not install GNU time"
  fi
  case "$(/usr/bin/time -v true 2>&1)" in
    *'Maximum resident set size'*) ;;
    *) die "/usr/bin/time is not GNU time (apt-get install time)" ;;
  esac
}

# ---------------------------------------------------------------------------------------------------------------
# cleanup

bench_cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  if [ -n "$S3PROXY_PID" ] && kill -0 "$S3PROXY_PID" 2>/dev/null; then
    kill "$S3PROXY_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$S3PROXY_PID" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$S3PROXY_PID" 2>/dev/null
    wait "$S3PROXY_PID" 2>/dev/null
  fi
  if [ "$PG_STARTED" = 1 ] && [ -f "$PG_DATA/postmaster.pid" ]; then
    as_pg_user "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null 2>&1 ||
      as_pg_user "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w -t 30 stop >/dev/null 2>&1
  fi
  if [ "$rc" != 0 ] && [ -f "$PG_LOG" ]; then
    log "exit code $rc; the PostgreSQL log ends with:"
    tail -n 15 "$PG_LOG" >&2
  fi
  if [ -d "$BENCH_DIR" ]; then
    safe_rm "$WORK" "$S3_HOME" "$BENCH_DIR/lifeboat.jar" "$BENCH_DIR/home"
    if [ "$BENCH_KEEP" = 1 ] && [ "$rc" = 0 ]; then
      log "kept the cluster in $PG_BASE for BENCH_REUSE=1"
    else
      safe_rm "$PG_BASE" "$BENCH_DIR/dataset.txt"
      rmdir "$BENCH_DIR" 2>/dev/null
    fi
  fi
  exit "$rc"
}

bench_setup() {
  case "$BENCH_DIR" in /|"") die "BENCH_DIR must be a dedicated folder" ;; esac
  need_tools
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  mkdir -p "$BENCH_DIR"
  chmod 755 "$BENCH_DIR"
  safe_rm "$WORK" "$S3_HOME"
  mkdir -p "$WORK"
  # Lifeboat keeps chunk-id keys of encrypted repositories under ~/.config; keep the user's home out of it.
  mkdir -p "$BENCH_DIR/home"
  export LIFEBOAT_KEY_DIR="$BENCH_DIR/home/keys"
  # Nothing from the caller's environment should change the measurements.
  unset LIFEBOAT_REPOSITORY LIFEBOAT_RECIPIENTS LIFEBOAT_IDENTITY_FILE LIFEBOAT_COMPRESSION_LEVEL LIFEBOAT_THREADS \
        DATABASE_URL PGPASSWORD PGPASSFILE PGSERVICE PGDATABASE PGOPTIONS PGSSLMODE PGHOSTADDR \
        AWS_PROFILE AWS_SESSION_TOKEN AWS_REGION AWS_DEFAULT_REGION AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3
  find_pg_bin
}

# ---------------------------------------------------------------------------------------------------------------
# PostgreSQL

find_pg_bin() {
  if [ -n "${BENCH_PG_BIN:-}" ]; then
    PG_BIN="$BENCH_PG_BIN"
  else
    PG_BIN="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  fi
  if [ ! -x "$PG_BIN/initdb" ]; then
    die "no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb; or set BENCH_PG_BIN)"
  fi
  PG_MAJOR="$("$PG_BIN/postgres" --version | sed -E 's/.* ([0-9]+)(\.[0-9]+)?.*/\1/')"
  # Lifeboat searches LIFEBOAT_PG_BIN first: same binaries as the pg_dump/pg_restore references.
  export LIFEBOAT_PG_BIN="$PG_BIN"
}

as_pg_user() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  local port
  for _ in $(seq 200); do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  die "no free port found"
}

# dataset_signature SCALE -> the line stored next to a kept cluster, to decide whether it can be reused
dataset_signature() { echo "pg=$PG_MAJOR scale=$1 generator=$(dataset_generator_version)"; }

# bench_dataset SCALE: the data set in BENCH_DB, generated unless pg_start reused a kept cluster holding it. Sets
# GEN_TIME: how long generating took, or that it was reused.
bench_dataset() {
  local scale="$1" start
  if [ "$PG_REUSED" = 1 ]; then
    GEN_TIME="reused from a previous run"
    return 0
  fi
  log "generating the data set (scale $scale)"
  start="$(now)"
  generate_dataset "$scale"
  GEN_TIME="$(elapsed "$start" "$(now)") s"
  dataset_signature "$scale" >"$BENCH_DIR/dataset.txt"
}

# pg_start SCALE: starts the cluster; reuses a kept one when BENCH_REUSE=1 and it matches. Sets PG_REUSED=0/1.
pg_start() {
  local scale="$1" port
  PG_REUSED=0
  if [ -f "$PG_DATA/postmaster.pid" ]; then # left running by a killed run
    as_pg_user "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
  fi
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    die "running as root needs the OS user 'postgres' to run initdb/pg_ctl (install the postgresql package)"
  fi
  if [ "$BENCH_REUSE" = 1 ] && [ -f "$PG_DATA/PG_VERSION" ] && [ -f "$BENCH_DIR/dataset.txt" ] &&
     [ "$(cat "$BENCH_DIR/dataset.txt")" = "$(dataset_signature "$scale")" ]; then
    PG_REUSED=1
    log "reusing the cluster and data set in $PG_DATA ($(cat "$BENCH_DIR/dataset.txt"))"
  else
    [ "$BENCH_REUSE" = 1 ] && log "BENCH_REUSE=1 but no matching kept cluster in $BENCH_DIR: generating afresh"
    safe_rm "$PG_BASE" "$BENCH_DIR/dataset.txt"
    mkdir -p "$PG_BASE"
    [ "$(id -u)" = 0 ] && chown postgres: "$PG_BASE"
    as_pg_user "$PG_BIN/initdb" -D "$PG_DATA" -U "$BENCH_PG_USER" --auth=trust -E UTF8 --no-locale \
      >"$BENCH_DIR/initdb.out" 2>&1 || { cat "$BENCH_DIR/initdb.out" >&2; die "initdb failed"; }
    rm -f "$BENCH_DIR/initdb.out"
    echo "include_if_exists = 'bench.conf'" | as_pg_user tee -a "$PG_DATA/postgresql.conf" >/dev/null
  fi
  port="$(free_port)"
  # Benchmark settings: no durability (a throwaway cluster), enough memory, no background noise (autovacuum is off;
  # the data set is vacuumed and analyzed once after loading).
  as_pg_user tee "$PG_DATA/bench.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$PG_BASE'
max_connections = 40
shared_buffers = 256MB
work_mem = 32MB
maintenance_work_mem = 256MB
effective_cache_size = 4GB
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
max_wal_size = 8GB
checkpoint_timeout = 30min
autovacuum = off
jit = off
max_parallel_workers_per_gather = 2
max_parallel_maintenance_workers = 2
timezone = 'UTC'
log_min_messages = warning
log_checkpoints = off
EOF
  as_pg_user "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 120 start >/dev/null ||
    { tail -n 30 "$PG_LOG" >&2; die "the PostgreSQL server did not start"; }
  PG_STARTED=1
  export PGHOST=127.0.0.1 PGPORT="$port" PGUSER="$BENCH_PG_USER"
  PG_SERVER_VERSION="$(psql_q postgres 'show server_version')"
  log "PostgreSQL $PG_SERVER_VERSION on $PGHOST:$PGPORT (data $PG_DATA)"
}

# psql_q DB SQL -> the unaligned result
psql_q() { "$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
# psql_f DB [psql options...] < script
psql_f() { local db="$1"; shift; "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }

db_size() { psql_q postgres "select pg_database_size('$1')"; }

# table_fingerprint DB -> one line per table: name and row count (to check restores)
table_counts() {
  psql_q "$1" "select string_agg(format('%s=%s', c.relname,
                 (xpath('/row/n/text()', query_to_xml(format('select count(*) as n from %I.%I', n.nspname, c.relname), false, true, '')))[1]::text), ' ' order by c.relname)
               from pg_class c join pg_namespace n on n.oid = c.relnamespace
               where c.relkind = 'r' and n.nspname = 'public'"
}

# ---------------------------------------------------------------------------------------------------------------
# the data set

# The data set's definition, hashed: a kept cluster made by other code is not reused.
dataset_generator_version() { declare -f dataset_rows W generate_dataset | md5sum | cut -c1-12; }

# dataset_rows SCALE -> "customers orders events documents" row counts
dataset_rows() {
  awk -v s="$1" 'BEGIN { printf "%d %d %d %d", 100000 * s, 500000 * s, 700000 * s, 60000 * s }'
}

# W SEED_SQL N_SQL -> an SQL expression: N pseudo-words chosen by hashing SEED and the word position. Table `pick` maps
# 16 bits of hash to a word of a 4096-word vocabulary with a Zipf-like skew (word 4096 * u^3), so that the text
# compresses like prose rather than like random bytes or repeated strings.
W() { echo "(select string_agg(p.w, ' ' order by wk) from generate_series(1, ($2)::int) wk join pick p on p.j = hashint8(($1)::bigint * 1009 + wk) & 65535)"; }

# generate_dataset SCALE: creates database $BENCH_DB and fills it. Deterministic: every value is derived from
# generate_series and md5()/hashint8() of the row number (no random(), no now()), so the same SCALE and
# PostgreSQL major give the same rows. The four tables load in parallel (two at a time), then get their indexes.
#
# Tables (rows at scale 1; about 570 MB (540 MiB) on disk with indexes; pg_dump -Fc -Z0 writes about 420 MB):
#   customers  100k  email (unique), name, country, created_at, numeric balance, jsonb profile
#   orders     500k  customer_id, created_at (btree), status, numeric total, jsonb items, note (a quarter of rows)
#   events     700k  occurred_at (btree), kind, customer_id, duration, jsonb payload, log-like message
#   documents  60k   slug (unique), title, body of 30-700 words (the longer ones TOASTed), updated_at, version
generate_dataset() {
  local scale="$1" customers orders events documents
  read -r customers orders events documents <<<"$(dataset_rows "$scale")"
  PGOPTIONS='-c client_min_messages=warning' psql_q postgres "drop database if exists $BENCH_DB" >/dev/null
  psql_q postgres "create database $BENCH_DB" >/dev/null
  psql_f "$BENCH_DB" <<'SQL'
set client_min_messages = warning;
-- 4096 pseudo-words made of syllables chosen by md5 of the word number; low numbers are short words.
create table vocab (i int primary key, w text not null);
insert into vocab
select i, string_agg(substr('bcdfghjklmnprstvwzbcdlmnrst', 1 + get_byte(decode(md5(i::text), 'hex'), 2 * k) % 27, 1)
                  || substr('aeiouaeioy', 1 + get_byte(decode(md5(i::text), 'hex'), 2 * k + 1) % 10, 1)
                  || case when get_byte(decode(md5(i::text), 'hex'), 15 - k) % 4 = 0 then 'n' else '' end,
                  '' order by k)
from generate_series(0, 4095) i,
     generate_series(0, case when i < 64 then 0 when i < 1024 then 1 when i < 3072 then 2 else 3 end) k
group by i;
-- pick: 65536 hash values -> word number floor(4096 * (j / 65536)^3), a Zipf-like skew towards short words.
create table pick (j int primary key, w text not null);
insert into pick select j, v.w from generate_series(0, 65535) j join vocab v on v.i = floor(4096 * power(j / 65536.0, 3))::int;
analyze pick;
-- u(seed, salt): a deterministic uniform value in [0, 1)
create function u(seed bigint, salt int) returns float8 language sql immutable parallel safe
  as 'select ((hashint8(seed * 131 + salt) & 1048575) / 1048576.0)::float8';
create table customers (
  id         int primary key,
  email      text not null,
  name       text not null,
  country    char(2) not null,
  created_at timestamptz not null,
  balance    numeric(12, 2) not null,
  profile    jsonb not null
);
create table orders (
  id          bigint primary key,
  customer_id int not null,
  created_at  timestamptz not null,
  status      text not null,
  total       numeric(12, 2) not null,
  items       jsonb not null,
  note        text
);
create table events (
  id          bigint primary key,
  occurred_at timestamptz not null,
  kind        text not null,
  customer_id int,
  duration_ms int not null,
  payload     jsonb not null,
  message     text not null
);
create table documents (
  id         int primary key,
  slug       text not null,
  title      text not null,
  body       text not null,
  updated_at timestamptz not null,
  version    int not null
);
SQL
  local vars=(-v customers="$customers" -v orders="$orders" -v events="$events" -v documents="$documents") pids=() p
  psql_f "$BENCH_DB" "${vars[@]}" <<SQL &
insert into customers
select n,
       substr(md5('c' || n), 1, 6) || '.' || $(W "n" 1) || n || '@' || $(W "n + 7" 1) || '.example.com',
       initcap($(W "n * 3" 1)) || ' ' || initcap($(W "n * 3 + 1" 1)),
       (array['DE','FR','US','GB','NL','ES','IT','PL','SE','JP','BR','IN'])[1 + floor(12 * power(u(n, 1), 2))::int],
       timestamptz '2015-01-01 00:00:00+00' + (n::float8 / :customers) * interval '3000 days' + u(n, 2) * interval '1 day',
       round((u(n, 3) * 20000 - 2000)::numeric, 2),
       jsonb_build_object('newsletter', u(n, 4) < 0.3,
                          'plan', (array['free','pro','team','enterprise'])[1 + floor(4 * power(u(n, 5), 2))::int],
                          'tags', to_jsonb(string_to_array($(W "n * 5" "1 + n % 4"), ' ')),
                          'address', jsonb_build_object('street', initcap($(W "n * 11" 2)) || ' ' || (1 + n % 200),
                                                        'zip', lpad((n * 7919 % 100000)::text, 5, '0')),
                          'bio', $(W "n * 13" "5 + n % 20"))
from generate_series(1, :customers) n;
insert into events
select n,
       timestamptz '2023-01-01 00:00:00+00' + (n::float8 / :events) * interval '600 days' + u(n, 1) * interval '1 minute',
       (array['page_view','page_view','page_view','click','login','search','api_call','error'])[1 + floor(8 * u(n, 2))::int],
       case when u(n, 3) < 0.8 then 1 + (abs(hashint8(n + 1)) % :customers)::int end,
       floor(power(u(n, 4), 3) * 5000)::int,
       jsonb_build_object('path', '/' || replace($(W "n * 3" "1 + n % 3"), ' ', '/'),
                          'ip', '10.' || (n % 250) || '.' || (abs(hashint8(n * 5)) % 250) || '.' || (abs(hashint8(n * 7)) % 250),
                          'status', (array[200,200,200,200,301,404,500])[1 + floor(7 * u(n, 5))::int],
                          'session', substr(md5('s' || (n / 20)), 1, 16)),
       $(W "n * 19" "6 + n % 14")
from generate_series(1, :events) n;
SQL
  pids+=($!)
  psql_f "$BENCH_DB" "${vars[@]}" <<SQL &
insert into orders
select n,
       1 + (abs(hashint8(n)) % :customers),
       timestamptz '2018-01-01 00:00:00+00' + (n::float8 / :orders) * interval '2000 days' + u(n, 1) * interval '2 hours',
       (array['delivered','delivered','delivered','shipped','paid','cancelled','refunded'])[1 + floor(7 * u(n, 2))::int],
       round((u(n, 3) * 500 + 5)::numeric, 2),
       (select jsonb_agg(jsonb_build_object('sku', 'SKU-' || (abs(hashint8(n * 10 + k)) % 50000),
                                            'qty', 1 + k % 3,
                                            'price', round((u(n * 10 + k, 4) * 200)::numeric, 2),
                                            'name', $(W "n * 10 + k" 2)) order by k)
          from generate_series(1, 1 + (n % 4)::int) k),
       case when u(n, 5) < 0.25 then $(W "n * 17" "4 + n % 12") end
from generate_series(1, :orders) n;
insert into documents
select n,
       replace($(W "n * 23" 3), ' ', '-') || '-' || n,
       initcap($(W "n * 29" "3 + n % 5")),
       $(W "n * 31" "30 + floor(670 * power(u(n, 1), 2))"),
       timestamptz '2020-01-01 00:00:00+00' + (n::float8 / :documents) * interval '1500 days',
       1 + (n % 9)
from generate_series(1, :documents) n;
SQL
  pids+=($!)
  for p in "${pids[@]}"; do wait "$p" || die "loading the data set failed"; done
  psql_f "$BENCH_DB" <<'SQL'
set client_min_messages = warning;
create unique index customers_email on customers (email);
create index orders_created_at on orders (created_at);
create index orders_customer_id on orders (customer_id);
create index events_occurred_at on events (occurred_at);
create unique index documents_slug on documents (slug);
drop function u(bigint, int);
drop table pick;
drop table vocab;
vacuum (freeze, analyze);
checkpoint;
SQL
}

# ---------------------------------------------------------------------------------------------------------------
# Lifeboat

# lifeboat_build: builds target/lifeboat.jar through the launcher (not timed) and, unless BENCH_USE_LAUNCHER=1,
# snapshots it into BENCH_DIR. Sets LIFEBOAT_VERSION and LIFEBOAT_BUILD (commit, whether sources differ from it).
lifeboat_build() {
  log "building Lifeboat if needed (./lifeboat --version)"
  (cd "$BENCH_ROOT" && ./lifeboat --version) >"$WORK/version.txt" 2>"$WORK/build.log" ||
    { cat "$WORK/build.log" >&2; die "./lifeboat --version failed"; }
  LIFEBOAT_VERSION="$(tail -n 1 "$WORK/version.txt")"
  local commit dirty=""
  commit="$(git -C "$BENCH_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  if [ -n "$(git -C "$BENCH_ROOT" --no-optional-locks status --porcelain -- src pom.xml 2>/dev/null)" ]; then
    dirty=" + uncommitted changes in src/ or pom.xml"
  fi
  LIFEBOAT_BUILD="commit $commit$dirty"
  if [ "$BENCH_USE_LAUNCHER" != 1 ]; then
    cp "$BENCH_ROOT/target/lifeboat.jar" "$BENCH_DIR/lifeboat.jar"
    # The launcher's default JVM options, read from the launcher so the benchmark follows it.
    # shellcheck disable=SC2016 # the launcher's text, not an expansion
    LIFEBOAT_JVM_OPTS="${LIFEBOAT_JAVA_OPTS:-$(sed -n 's/.*\${LIFEBOAT_JAVA_OPTS:-\([^}]*\)}.*/\1/p' "$BENCH_ROOT/lifeboat" | head -n 1)}"
    [ -n "$LIFEBOAT_JVM_OPTS" ] || die "could not read the JVM options from $BENCH_ROOT/lifeboat"
    # As the launcher does: a class-data-sharing archive of the snapshot (it is bound to the jar's path).
    # shellcheck disable=SC2086 # the options are words
    java $LIFEBOAT_JVM_OPTS -XX:ArchiveClassesAtExit="$BENCH_DIR/lifeboat.jsa" -jar "$BENCH_DIR/lifeboat.jar" cds-training \
      >/dev/null 2>&1 || die "the class-data-sharing training run failed"
    LIFEBOAT_JVM_OPTS="$LIFEBOAT_JVM_OPTS -XX:SharedArchiveFile=$BENCH_DIR/lifeboat.jsa"
    LIFEBOAT_BUILD="$LIFEBOAT_BUILD; jar snapshot $(sha256sum "$BENCH_DIR/lifeboat.jar" | cut -c1-12), JVM options: $LIFEBOAT_JVM_OPTS"
    LB="java $LIFEBOAT_JVM_OPTS -Dlifeboat.tty=false -jar '$BENCH_DIR/lifeboat.jar'"
  else
    LIFEBOAT_BUILD="$LIFEBOAT_BUILD; ./lifeboat launcher"
    LB="'$BENCH_ROOT/lifeboat'"
  fi
}

# lifeboat ARGS...: runs Lifeboat (from BENCH_DIR/work so no ./lifeboat.yml or ./backups is picked up by accident).
# For timed runs, pass "$LB ARGS..." (the same command as a shell string) to measure.
lifeboat() {
  if [ "$BENCH_USE_LAUNCHER" = 1 ]; then
    (cd "$WORK" && "$BENCH_ROOT/lifeboat" "$@")
  else
    # shellcheck disable=SC2086 # the options are words
    (cd "$WORK" && exec java $LIFEBOAT_JVM_OPTS -Dlifeboat.tty=false -jar "$BENCH_DIR/lifeboat.jar" "$@")
  fi
}

# ---------------------------------------------------------------------------------------------------------------
# measuring

# measure NAME CMD: runs CMD (a shell command string, may use pipes) with bash under GNU time, in WORK. Stores
# T_<NAME> (wall seconds), CPU_<NAME> (user + system seconds of CMD's processes, e.g. java and the pg_dump it runs;
# not the PostgreSQL server's) and RSS_<NAME> (peak RSS in KiB of the largest process). Fails when CMD fails.
measure() {
  local name="$1" cmd="$2" start end rc srv0
  log "measuring $name: $cmd"
  sync # start with no dirty pages pending writeback from the previous step
  srv0="$(server_cpu)"
  start="$(now)"
  set +e
  (cd "$WORK" && /usr/bin/time -v -o "$WORK/time-$name.txt" bash -c "set -o pipefail; $cmd")
  rc=$?
  set -e
  end="$(now)"
  if [ "$rc" != 0 ]; then
    die "$name failed (exit $rc): $cmd"
  fi
  printf -v "T_$name" '%s' "$(elapsed "$start" "$end")"
  printf -v "RSS_$name" '%s' "$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$WORK/time-$name.txt")"
  printf -v "CPU_$name" '%s' "$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$WORK/time-$name.txt")"
  sleep 0.2 # the postmaster reaps the step's backends, adding their CPU time to its children's
  printf -v "SRV_$name" '%s' "$(awk -v a="$srv0" -v b="$(server_cpu)" 'BEGIN { printf "%.2f", b - a }')"
  local t="T_$name" c="CPU_$name" r="RSS_$name" v="SRV_$name"
  log "  $name: ${!t} s, CPU ${!c} s (server ${!v} s), peak RSS $(kib_to_mb "${!r}") MB"
}

# server_cpu -> CPU seconds the PostgreSQL server has used so far: the postmaster's own, its live children's (background
# processes, open sessions) and those of the children it reaped (the backends of finished sessions, such as pg_dump's).
# The difference across a step is the server's share of that step's work, which /usr/bin/time cannot see.
server_cpu() {
  local pm
  if [ "$PG_STARTED" != 1 ] || [ ! -r "$PG_DATA/postmaster.pid" ]; then echo 0; return; fi
  pm="$(head -n 1 "$PG_DATA/postmaster.pid")"
  { cat "/proc/$pm/stat"; for c in $(pgrep -P "$pm"); do cat "/proc/$c/stat" 2>/dev/null || true; done; } |
    awk -v hz="$(getconf CLK_TCK)" -v pm="$pm" '{ pid = $1; sub(/^.*\) /, ""); s += $12 + $13; if (pid == pm) s += $14 + $15 }
      END { printf "%.2f", s / hz }'
}

# aggregate NAME N: from the measurements NAME_1..NAME_N, sets T_NAME (median), T_NAME_MIN, T_NAME_MAX, CPU_NAME
# (median) and RSS_NAME (maximum).
aggregate() {
  local name="$1" n="$2" i v ts=() cpus=() srvs=() rss=0
  for i in $(seq "$n"); do
    v="T_${name}_$i"; ts+=("${!v}")
    v="CPU_${name}_$i"; cpus+=("${!v}")
    v="SRV_${name}_$i"; srvs+=("${!v}")
    v="RSS_${name}_$i"; if [ "${!v}" -gt "$rss" ]; then rss="${!v}"; fi
  done
  printf -v "T_$name" '%s' "$(median "${ts[@]}")"
  printf -v "T_${name}_MIN" '%s' "$(printf '%s\n' "${ts[@]}" | sort -g | head -n 1)"
  printf -v "T_${name}_MAX" '%s' "$(printf '%s\n' "${ts[@]}" | sort -g | tail -n 1)"
  printf -v "CPU_$name" '%s' "$(median "${cpus[@]}")"
  printf -v "SRV_$name" '%s' "$(median "${srvs[@]}")"
  printf -v "RSS_$name" '%s' "$rss"
}

# median NUMBERS... -> the median, 2 decimals
median() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f", m }'
}

# --------------------------------------------------------------------------------------------------------------
# s3proxy

# s3proxy_start BUCKET: starts s3proxy (filesystem backend) on a free port, with BUCKET made as a top-level folder
# of its base dir. Sets S3_ENDPOINT and exports AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
s3proxy_start() {
  local bucket="$1" jar="$BENCH_ROOT/target/test-servers/s3proxy.jar" port
  if [ ! -f "$jar" ]; then
    log "building $jar (mvn process-test-resources)"
    (cd "$BENCH_ROOT" && mvn -q -B process-test-resources >&2) || die "could not fetch s3proxy with Maven"
  fi
  mkdir -p "$S3_HOME/data/$bucket"
  cp "$jar" "$S3_HOME/s3proxy.jar"
  port="$(free_port)"
  S3_ENDPOINT="http://127.0.0.1:$port"
  AWS_ACCESS_KEY_ID="bench$(md5sum <<<"$BENCH_DIR$port" | cut -c1-12)"
  AWS_SECRET_ACCESS_KEY="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
  cat >"$S3_HOME/s3proxy.properties" <<EOF
s3proxy.endpoint=$S3_ENDPOINT
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$AWS_ACCESS_KEY_ID
s3proxy.credential=$AWS_SECRET_ACCESS_KEY
s3proxy.ignore-unknown-headers=true
jclouds.provider=filesystem
jclouds.identity=local
jclouds.credential=local
jclouds.filesystem.basedir=$S3_HOME/data
EOF
  chmod 600 "$S3_HOME/s3proxy.properties"
  (cd "$S3_HOME" && LOG_LEVEL=warn exec java -Xmx512m -jar "$S3_HOME/s3proxy.jar" --properties "$S3_HOME/s3proxy.properties") \
    >"$S3_HOME/s3proxy.log" 2>&1 &
  S3PROXY_PID=$!
  for _ in $(seq 300); do
    kill -0 "$S3PROXY_PID" 2>/dev/null || { cat "$S3_HOME/s3proxy.log" >&2; die "s3proxy exited"; }
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "$S3_ENDPOINT/" || true)" != 000 ]; then
      log "s3proxy on $S3_ENDPOINT (bucket folder $S3_HOME/data/$bucket)"
      return 0
    fi
    sleep 0.2
  done
  die "s3proxy did not answer on $S3_ENDPOINT within 60 s"
}

# settle: writes the server's dirty buffers and the kernel's dirty pages out (the cluster runs with fsync=off, so
# after loading or changing data the kernel would otherwise write them back during the next measurements).
settle() {
  psql_q postgres checkpoint >/dev/null
  sync
}

# proc_cpu PID -> user + system CPU seconds used so far by process PID (all its threads)
proc_cpu() {
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' "/proc/$1/stat"
}

# --------------------------------------------------------------------------------------------------------------
# the machine

machine_info() {
  echo "Machine:     $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(awk '/MemTotal/ { printf "%.1f GiB RAM", $2 / 1048576 }' /proc/meminfo)"
  echo "Kernel:      $(uname -sr)"
  echo "PostgreSQL:  server $PG_SERVER_VERSION ($PG_BIN), settings in $PG_DATA/bench.conf: fsync=off, shared_buffers=256MB, autovacuum=off"
  echo "Java:        $(java -version 2>&1 | head -n 2 | tail -n 1)"
  echo "Lifeboat:    $LIFEBOAT_VERSION, $LIFEBOAT_BUILD"
}
