#!/usr/bin/env bash
# shellcheck disable=SC2154 # T_*, CPU_*, RSS_* are set by measure (printf -v) in bench/lib.sh
# Lifeboat file tree benchmark (issue 15): a files source's backup, second backup and restore, as ratios against
# tar | zstd and restic measured in the same run, on the same generated tree.
#
#   bench/file-tree.sh                                   # 2 GiB, 50,000 files (about 15 minutes on 2 CPUs)
#   BENCH_TREE_MIB=256 BENCH_TREE_FILES=10000 bench/file-tree.sh   # a quick run
#
# Environment: BENCH_TREE_MIB (default 2048), BENCH_TREE_FILES (default 50000), BENCH_TREE_SEED (default 15), and
# those of bench/lib.sh (BENCH_DIR, BENCH_USE_LAUNCHER, LIFEBOAT_JAVA_OPTS). restic comes from Debian's package
# (installed when missing and running as root).
#
# The tree (bench/MakeTree.java mixed): four large files hold 40% of the bytes (two that do not compress, a log, a
# JSON export); the other files are source code (45%), JSON (20%), prose (10%) and images of random bytes (25%),
# 1 to 16 KiB of text each, the images sharing what is left, in folders of 500. Steps, each timed under GNU time
# after `sync` and dropping nothing (the tree is in the page cache for every tool alike, as after its generation):
#   a  tar -cf - . | zstd -T2 -3 > file
#   b  lifeboat backup --files TREE into a fresh local repository (unencrypted)
#   c  restic backup TREE into a fresh local repository (restic always encrypts; compression auto)
#   then bench/MakeTree.java change: every 100th small file rewritten in its middle, 1% of the files added
#   d  lifeboat backup --files TREE again
#   e  restic backup TREE again
#   f  zstd -dc file | tar -x into an empty folder
#   g  lifeboat restore latest --source NAME --to an empty folder --yes
# Both restored trees are compared with the tree (diff -r, untimed).
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BENCH_TREE_MIB="${BENCH_TREE_MIB:-2048}"
BENCH_TREE_FILES="${BENCH_TREE_FILES:-50000}"
BENCH_TREE_SEED="${BENCH_TREE_SEED:-15}"
[[ "$BENCH_TREE_MIB" =~ ^[1-9][0-9]*$ ]] || die "BENCH_TREE_MIB must be a positive integer"
[[ "$BENCH_TREE_FILES" =~ ^[1-9][0-9]*$ ]] || die "BENCH_TREE_FILES must be a positive integer"

if ! command -v restic >/dev/null; then
  [ "$(id -u)" = 0 ] || die "restic is missing: apt-get install restic"
  log "installing restic (Debian package)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q restic >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q restic >/dev/null; } ||
    die "could not install restic"
fi
command -v zstd >/dev/null || die "zstd is missing: apt-get install zstd"

LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
bench_setup
lifeboat_build

TREE="$WORK/tree"
log "generating the tree: $BENCH_TREE_MIB MiB, $BENCH_TREE_FILES files, seed $BENCH_TREE_SEED"
start="$(now)"
java "$BENCH_ROOT/bench/MakeTree.java" mixed "$TREE" "$BENCH_TREE_MIB" "$BENCH_TREE_FILES" "$BENCH_TREE_SEED"
GEN_TIME="$(elapsed "$start" "$(now)") s"
TREE_BYTES="$(du -sb --apparent-size "$TREE" | cut -f1)"
TREE_FILES="$(find "$TREE" -type f | wc -l)"
log "tree: $(mib "$TREE_BYTES") MiB in $TREE_FILES files ($GEN_TIME)"

export RESTIC_PASSWORD=bench-only RESTIC_CACHE_DIR="$WORK/restic-cache"
LB_REPO="$WORK/repo-lifeboat"
RESTIC_REPO="$WORK/repo-restic"
lifeboat init --repo "$LB_REPO" >"$WORK/init.out"
restic init --repo "$RESTIC_REPO" >"$WORK/restic-init.out" 2>&1 || die "restic init failed: $(cat "$WORK/restic-init.out")"

measure jvm "$LB --version > /dev/null"
measure tar "tar -C '$TREE' -cf - . | zstd -T2 -3 -q > '$WORK/tree.tar.zst'"
SIZE_tar="$(stat -c %s "$WORK/tree.tar.zst")"
measure lb1 "$LB backup --repo '$LB_REPO' --files '$TREE' --json > '$WORK/lb1.json'"
DU_lb1="$(du -sb "$LB_REPO" | cut -f1)"
OBJ_lb1="$(find "$LB_REPO" -type f | wc -l)"
measure restic1 "restic backup --repo '$RESTIC_REPO' --quiet '$TREE' > '$WORK/restic1.out'"
DU_restic1="$(du -sb "$RESTIC_REPO" | cut -f1)"
OBJ_restic1="$(find "$RESTIC_REPO" -type f | wc -l)"

log "changing 1% of the files and adding 1%"
CHANGE="$(java "$BENCH_ROOT/bench/MakeTree.java" change "$TREE" "$BENCH_TREE_FILES" "$BENCH_TREE_SEED")"
measure lb2 "$LB backup --repo '$LB_REPO' --files '$TREE' --json > '$WORK/lb2.json'"
ADDED_lb2="$(jq -r .addedBytes "$WORK/lb2.json")"
READ_lb2="$(jq -r '.sources[0].read' "$WORK/lb2.json")"
READBYTES_lb2="$(jq -r '.sources[0].readBytes' "$WORK/lb2.json")"
DU_lb2="$(du -sb "$LB_REPO" | cut -f1)"
measure restic2 "restic backup --repo '$RESTIC_REPO' --quiet '$TREE' > '$WORK/restic2.out'"
DU_restic2="$(du -sb "$RESTIC_REPO" | cut -f1)"

# the restore compares against the changed tree: tar it again (untimed) so both restores give the same tree
tar -C "$TREE" -cf - . | zstd -T2 -3 -q > "$WORK/tree.tar.zst"
mkdir "$WORK/out-tar"
measure untar "zstd -dc -q '$WORK/tree.tar.zst' | tar -x -C '$WORK/out-tar'"
measure lbrestore "$LB restore latest --repo '$LB_REPO' --source tree --to '$WORK/out-lifeboat' --yes > '$WORK/restore.out'"
diff -r "$TREE" "$WORK/out-tar" >/dev/null || die "the tree restored by tar differs from the tree"
diff -r "$TREE" "$WORK/out-lifeboat" >/dev/null || die "the tree restored by Lifeboat differs from the tree"
LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"

verdict() { awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN { if (v == "n/a") { print "?"; exit }
  ok = (op == "<=" ? v <= l : v < l); print (ok ? "ok" : "MISSED") }'; }
line() { printf '%-50s %8s %8s %12s %8s %9s %8s\n' "$@"; }
rline() { printf '%-54s %9s   %-10s %s\n' "$@"; }
mb() { kib_to_mb "$1"; }

echo
echo "=== Lifeboat file tree benchmark ($(date -u +%Y-%m-%dT%H:%M:%SZ)) ==="
echo "Machine:     $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(awk '/MemTotal/ { printf "%.1f GiB RAM", $2 / 1048576 }' /proc/meminfo); $(uname -sr)"
echo "Disk:        $(df -h --output=source,fstype "$WORK" | tail -n 1 | tr -s ' ')"
echo "Load avg:    $LOAD_START at the start, $LOAD_END at the end"
echo "Lifeboat:    $LIFEBOAT_VERSION, $LIFEBOAT_BUILD"
echo "Tools:       $(tar --version | head -n 1), $(zstd --version), $(restic version | cut -d' ' -f1-2)"
echo "Tree:        BENCH_TREE_MIB=$BENCH_TREE_MIB BENCH_TREE_FILES=$BENCH_TREE_FILES BENCH_TREE_SEED=$BENCH_TREE_SEED:"
echo "             $(mib "$TREE_BYTES") MiB in $TREE_FILES files, generated in $GEN_TIME; change: $CHANGE"
echo
line "step" "seconds" "CPU s" "bytes" "MiB" "objects" "RSS MB"
line "JVM start only: lifeboat --version" "$T_jvm" "$CPU_jvm" "" "" "" "$(mb "$RSS_jvm")"
line "a  tar -c | zstd -T2 -3 > file" "$T_tar" "$CPU_tar" "$SIZE_tar" "$(mib "$SIZE_tar")" "1" "$(mb "$RSS_tar")"
line "b  lifeboat backup --files (du -sb repo)" "$T_lb1" "$CPU_lb1" "$DU_lb1" "$(mib "$DU_lb1")" "$OBJ_lb1" "$(mb "$RSS_lb1")"
line "c  restic backup (du -sb repo)" "$T_restic1" "$CPU_restic1" "$DU_restic1" "$(mib "$DU_restic1")" "$OBJ_restic1" "$(mb "$RSS_restic1")"
line "d  lifeboat backup, 1% changed + 1% added" "$T_lb2" "$CPU_lb2" "$ADDED_lb2" "$(mib "$ADDED_lb2")" "" "$(mb "$RSS_lb2")"
line "     files read again, their bytes" "" "" "$READBYTES_lb2" "$(mib "$READBYTES_lb2")" "$READ_lb2" ""
line "e  restic backup, the same change" "$T_restic2" "$CPU_restic2" "$((DU_restic2 - DU_restic1))" "$(mib "$((DU_restic2 - DU_restic1))")" "" "$(mb "$RSS_restic2")"
line "f  zstd -dc | tar -x" "$T_untar" "$CPU_untar" "" "" "" "$(mb "$RSS_untar")"
line "g  lifeboat restore --source tree --to DIR" "$T_lbrestore" "$CPU_lbrestore" "" "" "" "$(mb "$RSS_lbrestore")"
echo "   (objects: files in the repository; both pack small chunks into pack files, Lifeboat those under the chunker's"
echo "    minimum size, and stores larger ones as objects of their own; d's bytes are addedBytes, e's the growth of"
echo "    restic's repository)"
BOUND1="$(awk -v c="$CPU_lb1" -v n="$(nproc)" 'BEGIN { printf "%.2f", c / n }')"
echo "CPU bound:   the first backup needs $CPU_lb1 CPU s on $(nproc) CPUs, so it cannot take less than $BOUND1 s,"
echo "             $(ratio "$BOUND1" "$T_tar") x tar | zstd (which needs $CPU_tar CPU s): Lifeboat's CPU per byte is what to cut"
echo
R1="$(ratio "$T_lb1" "$T_tar")"
R2="$(ratio "$T_lb2" "$T_lb1")"
R2r="$(ratio "$T_lb2" "$T_restic2")"
RS="$(ratio "$DU_lb1" "$SIZE_tar")"
RR="$(ratio "$T_lbrestore" "$T_untar")"
rline "ratio" "value" "target" "verdict"
rline "first backup / tar | zstd" "$R1" "<= 1.2" "$(verdict "$R1" "<=" 1.2)"
rline "second backup / first backup" "$R2" "<= 0.1" "$(verdict "$R2" "<=" 0.1)"
rline "second backup / restic's second" "$R2r" "<= 1.0" "$(verdict "$R2r" "<=" 1.0)"
rline "stored size, first backup (du -sb) / tar | zstd file" "$RS" "<= 1.0" "$(verdict "$RS" "<=" 1.0)"
rline "restore / zstd -dc | tar -x" "$RR" "<= 1.2" "$(verdict "$RR" "<=" 1.2)"
rline "first backup / restic's first" "$(ratio "$T_lb1" "$T_restic1")" "" ""
rline "repository objects, Lifeboat / restic" "$(ratio "$OBJ_lb1" "$OBJ_restic1")" "" ""
echo "Both restored trees are identical to the tree (diff -r)."
