#!/usr/bin/env bash
# shellcheck disable=SC2154 # T_*, CPU_*, RSS_* are set by measure (printf -v) in bench/lib.sh
# Lifeboat memory benchmark for large trees (issue 15): peak RSS of the Java process backing up a tree of a million
# small files, first and second (unchanged) backup, and restoring it, against the 300 MB target; wall times beside,
# as ratios against tar | zstd of the same tree in the same run.
#
#   bench/million-files.sh                          # 1,000,000 files (the first backup takes long: see below)
#   BENCH_TINY_FILES=200000 bench/million-files.sh  # a quicker run
#
# Environment: BENCH_TINY_FILES (default 1000000), and those of bench/lib.sh (BENCH_DIR, BENCH_USE_LAUNCHER,
# LIFEBOAT_JAVA_OPTS). The tree (bench/MakeTree.java tiny): files of 0 to 36 bytes, 1,000 per folder. Each step runs
# under GNU time after `sync`; the JVM runs with the launcher's options (-Xmx160m), as a user's would.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BENCH_TINY_FILES="${BENCH_TINY_FILES:-1000000}"
[[ "$BENCH_TINY_FILES" =~ ^[1-9][0-9]*$ ]] || die "BENCH_TINY_FILES must be a positive integer"
command -v zstd >/dev/null || die "zstd is missing: apt-get install zstd"

LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
bench_setup
lifeboat_build

TREE="$WORK/tiny"
log "generating $BENCH_TINY_FILES tiny files"
start="$(now)"
java "$BENCH_ROOT/bench/MakeTree.java" tiny "$TREE" "$BENCH_TINY_FILES"
GEN_TIME="$(elapsed "$start" "$(now)") s"
TREE_BYTES="$(du -sb --apparent-size "$TREE" | cut -f1)"
REPO="$WORK/repo"
lifeboat init --repo "$REPO" >"$WORK/init.out"

measure tar "tar -C '$TREE' -cf - . | zstd -T2 -3 -q > '$WORK/tiny.tar.zst'"
measure lb1 "$LB backup --repo '$REPO' --files '$TREE' --json > '$WORK/lb1.json'"
OBJECTS="$(find "$REPO" -type f | wc -l)"
MANIFEST_BYTES="$(find "$REPO/backups" -type f -name 'manifest.json' -printf '%s\n' | sort -n | tail -n 1)"
measure lb2 "$LB backup --repo '$REPO' --files '$TREE' --json > '$WORK/lb2.json'"
READ_lb2="$(jq -r '.sources[0].read' "$WORK/lb2.json")"
measure lbrestore "$LB restore latest --repo '$REPO' --source tiny --to '$WORK/out' --yes > '$WORK/restore.out'"
RESTORED="$(find "$WORK/out" -type f | wc -l)"
[ "$RESTORED" = "$BENCH_TINY_FILES" ] || die "restored $RESTORED files, not $BENCH_TINY_FILES"
LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"

verdict() { awk -v v="$1" -v l="$2" 'BEGIN { print (v < l ? "ok" : "MISSED") }'; }
line() { printf '%-50s %9s %8s %9s\n' "$@"; }
mb() { kib_to_mb "$1"; }
echo
echo "=== Lifeboat million-files memory benchmark ($(date -u +%Y-%m-%dT%H:%M:%SZ)) ==="
echo "Machine:     $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(awk '/MemTotal/ { printf "%.1f GiB RAM", $2 / 1048576 }' /proc/meminfo); $(uname -sr)"
echo "Disk:        $(df -h --output=source,fstype "$WORK" | tail -n 1 | tr -s ' ')"
echo "Load avg:    $LOAD_START at the start, $LOAD_END at the end"
echo "Lifeboat:    $LIFEBOAT_VERSION, $LIFEBOAT_BUILD"
echo "Tree:        $BENCH_TINY_FILES files, $TREE_BYTES bytes, generated in $GEN_TIME; repository after b: $OBJECTS objects,"
echo "             largest manifest $MANIFEST_BYTES bytes"
echo
line "step" "seconds" "CPU s" "RSS MB"
line "a  tar -c | zstd -T2 -3 > file" "$T_tar" "$CPU_tar" "$(mb "$RSS_tar")"
line "b  lifeboat backup --files (first)" "$T_lb1" "$CPU_lb1" "$(mb "$RSS_lb1")"
line "c  lifeboat backup --files (unchanged; $READ_lb2 read)" "$T_lb2" "$CPU_lb2" "$(mb "$RSS_lb2")"
line "d  lifeboat restore --source tiny --to DIR" "$T_lbrestore" "$CPU_lbrestore" "$(mb "$RSS_lbrestore")"
echo
printf '%-50s %9s   %-8s %s\n' "peak RSS" "MB" "target" "verdict"
for s in lb1 lb2 lbrestore; do
  r="RSS_$s"
  printf '%-50s %9s   %-8s %s\n' "$s" "$(mb "${!r}")" "< 300" "$(verdict "$(mb "${!r}")" 300)"
done
printf '%-50s %9s\n' "first backup / tar | zstd (time)" "$(ratio "$T_lb1" "$T_tar")"
