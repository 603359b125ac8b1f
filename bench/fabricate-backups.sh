#!/usr/bin/env bash
# Fabricates many backups in a local repository, for benchmarks of listing (lifeboat list, the service's backup list).
#
#   bench/fabricate-backups.sh REPO N
#
# Takes the newest backup of the local repository folder REPO (made with `lifeboat backup`) and writes N copies of its
# manifest under fresh backup ids, started 1, 2, ..., N hours before it (`id`, `started` and `finished` shifted,
# `addedBytes` 0 since a copy stores nothing; everything else as in the original, label included). The copies share
# the original's chunks, so they are valid backups that list, verify and restore; they have no status.json or pin.
# Files are 0600 in folders 0700, as Lifeboat's local storage makes them.
#
# One jq process writes all the copies as a stream that one awk process splits into files, in a hidden staging
# folder beside the backups (local storage never lists hidden names); each copy's folder is then renamed into
# backups/, so a copy appears with its complete manifest, as a backup's commit does. 10,000 copies of a small
# manifest take a few seconds. Running it again adds N more (same times, other ids). It does not take Lifeboat's
# repository lock: do not run it while a prune runs on REPO.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ "$#" = 2 ] || die "usage: $0 REPO N (REPO: a local repository folder with at least one backup)"
REPO="$(cd "$1" 2>/dev/null && pwd)" || die "no folder $1"
N="$2"
[[ "$N" =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer, not '$N'"
[ -f "$REPO/config.json" ] || die "$REPO is not a local Lifeboat repository (no config.json)"
command -v jq >/dev/null || die "jq is missing (apt-get install jq)"
ID_RE='^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$'

# The newest backup: ids sort by start time as text.
SOURCE_ID="$(find "$REPO/backups" -mindepth 2 -maxdepth 2 -name manifest.json -printf '%h\n' 2>/dev/null |
  sed 's|.*/||' | grep -E "$ID_RE" | sort | tail -n 1 || true)"
[ -n "$SOURCE_ID" ] || die "no backup in $REPO (run 'lifeboat backup --repo $REPO' first)"
SOURCE="$REPO/backups/$SOURCE_ID/manifest.json"
jq -e '.id and (.started | type == "string") and (.finished | type == "string")' "$SOURCE" >/dev/null ||
  die "$SOURCE is not a manifest with id, started and finished"

umask 077 # files 0600, folders 0700
start="$(now)"
STAGE="$REPO/backups/.fabricate-$$"
mkdir "$STAGE"
trap 'rm -rf -- "$STAGE"' EXIT

# N random 6-hex-digit id suffixes, one a line.
{ od -An -v -tx1 -N $((3 * N)) /dev/urandom | tr -d ' \n' | fold -w 6; echo; } >"$STAGE/suffixes"
[ "$(wc -l <"$STAGE/suffixes")" = "$N" ] || die "could not read $((3 * N)) random bytes"

# For the suffix of line k (1..N): the copy k hours before the source; times keep their fraction of a second.
# With $what "ids" it prints the new ids; with "manifests", each id and then its manifest, as values of a --seq stream.
# shellcheck disable=SC2016 # jq's variables, not the shell's
PROGRAM='
  def seconds: .[0:19] + "Z" | fromdateiso8601;
  def shifted($delta): ((seconds - $delta) | todate)[0:19] + .[19:];
  $m[0] as $base
  | ($base.started | seconds) as $t0
  | foreach inputs as $suffix (0; . + 1;
      (. * 3600) as $delta
      | ((($t0 - $delta) | strftime("%Y%m%dT%H%M%SZ")) + "-" + $suffix) as $id
      | if $what == "ids" then $id
        else $id, ($base | .id = $id | .started |= shifted($delta) | .finished |= shifted($delta) | .addedBytes = 0)
        end)'

jq -nR -r --slurpfile m "$SOURCE" --arg what ids "$PROGRAM" <"$STAGE/suffixes" >"$STAGE/ids"
[ "$(wc -l <"$STAGE/ids")" = "$N" ] || die "jq made $(wc -l <"$STAGE/ids") ids instead of $N"
if grep -Evq "$ID_RE" "$STAGE/ids"; then
  die "jq made an invalid id: $(grep -Ev "$ID_RE" "$STAGE/ids" | head -n 1)"
fi
clash="$(find "$REPO/backups" -mindepth 1 -maxdepth 1 -printf '%f\n' | LC_ALL=C sort |
  LC_ALL=C comm -12 - <(LC_ALL=C sort "$STAGE/ids") | head -n 1)"
[ -z "$clash" ] || die "backup $clash exists already (a random suffix repeated): run again"

(cd "$STAGE" && mkdir -p copies && cd copies && xargs mkdir -- <"$STAGE/ids")
jq -nR --seq --slurpfile m "$SOURCE" --arg what manifests "$PROGRAM" <"$STAGE/suffixes" |
  awk -v dir="$STAGE/copies" '
    BEGIN { RS = "\036" }
    NR == 1 && $0 == "" { next }                      # the stream starts with a separator
    ++n % 2 == 1 { id = $0; gsub(/[\"\n]/, "", id); next }
    { file = dir "/" id "/manifest.json"; printf "%s", $0 > file; close(file); written++ }
    END { print written > (dir "/../written") }'
[ "$(cat "$STAGE/written")" = "$N" ] || die "wrote $(cat "$STAGE/written") manifests instead of $N"

# The commit: each copy's folder, with its complete manifest, renamed into backups/.
(cd "$STAGE/copies" && xargs mv -t "$REPO/backups/" -- <"$STAGE/ids")
log "fabricated $N backups from $SOURCE_ID ($(head -n 1 "$STAGE/ids") back to $(tail -n 1 "$STAGE/ids")) in $(elapsed "$start" "$(now)") s"
