#!/usr/bin/env bash
# Rebuilds a files source of a Lifeboat backup into a new folder using only jq, openssl, age, zstd, dd and coreutils:
# for the day Lifeboat itself is not available. See docs/RUNBOOK.md.
#
#   rebuild-tree-without-lifeboat.sh REPOSITORY_DIR BACKUP_ID SOURCE TARGET_DIR [IDENTITY_FILE]
#
# It reassembles the source's two artifacts (SOURCE.tree, one JSON line per entry, and SOURCE.data, the files' bytes
# one after the other) with restore-without-lifeboat.sh, which checks the manifest's signature first, then makes each
# folder, file, symbolic link and hard link, checks each file against its SHA-256, and sets modes and times (and
# owners, when run as root). Extended attributes are left out (setfattr would need the attr package).
set -euo pipefail
if [ $# -lt 4 ]; then
  echo "usage: $0 REPOSITORY_DIR BACKUP_ID SOURCE TARGET_DIR [AGE_IDENTITY_FILE]" >&2
  exit 2
fi
repo=$1 id=$2 source=$3 target=$4 identity=${5:-}
here=$(cd "$(dirname "$0")" && pwd)
if [ -e "$target" ] && [ -n "$(ls -A "$target")" ]; then
  echo "$target is not empty: rebuild into a new folder" >&2
  exit 2
fi
mkdir -p "$target"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$here/restore-without-lifeboat.sh" "$repo" "$id" "$source.tree" $identity >"$work/tree"
"$here/restore-without-lifeboat.sh" "$repo" "$id" "$source.data" $identity >"$work/data"

# One NUL-separated record per entry: type, path, mode, uid, gid, offset, size, sha256, target. Paths may hold
# spaces and newlines, so nothing here splits on them. The times come from the text itself, one per line: jq reads
# numbers as doubles, which would round nanoseconds.
jq -j '[.type, .path, (.mode | tostring), (.uid | tostring), (.gid | tostring),
        ((.offset // 0) | tostring), ((.size // 0) | tostring), (.sha256 // ""), (.target // "")]
       | map(. + "\u0000") | add' "$work/tree" >"$work/records"
grep -o '"mtimeNs":-\?[0-9]*' "$work/tree" | cut -d: -f2 >"$work/mtimes"
exec 3<"$work/mtimes"
root=$(id -u)
dirs=()
while IFS= read -r -d '' type && IFS= read -r -d '' path && IFS= read -r -d '' mode && IFS= read -r -d '' uid \
    && IFS= read -r -d '' gid && IFS= read -r -d '' offset && IFS= read -r -d '' size \
    && IFS= read -r -d '' sha && IFS= read -r -d '' link && IFS= read -r ns <&3; do
  ns=$(printf '%010d' "$ns")
  mtime="${ns:0:${#ns}-9}.${ns: -9}"
  case "/$path/" in
    */../*|//*) echo "refusing the path '$path': it is not inside the tree" >&2; exit 10 ;;
  esac
  dest="$target/$path"
  [ "$path" = . ] && dest=$target
  case "$type" in
    dir)  mkdir -p -- "$dest"; dirs+=("$dest" "$mode" "$uid" "$gid" "$mtime") ;;
    file) dd if="$work/data" of="$dest" iflag=skip_bytes,count_bytes skip="$offset" count="$size" status=none
          if [ "$(sha256sum <"$dest" | cut -c1-64)" != "$sha" ]; then
            echo "$path does not match its SHA-256: the backup is damaged" >&2; exit 10
          fi
          [ "$root" = 0 ] && chown -h "$uid:$gid" -- "$dest"
          chmod "$(printf '%o' "$mode")" -- "$dest"
          touch -h -d "@$mtime" -- "$dest" ;;
    symlink) ln -s -- "$link" "$dest"; [ "$root" = 0 ] && chown -h "$uid:$gid" -- "$dest" ;;
    hardlink) ln -- "$target/$link" "$dest" ;;
    *) echo "unknown entry type '$type' for $path" >&2; exit 10 ;;
  esac
done <"$work/records"
# folders last, deepest first: their own mode and time once their content is written
for ((i = ${#dirs[@]} - 5; i >= 0; i -= 5)); do
  [ "$root" = 0 ] && chown -h "${dirs[i+2]}:${dirs[i+3]}" -- "${dirs[i]}"
  chmod "$(printf '%o' "${dirs[i+1]}")" -- "${dirs[i]}"
  touch -h -d "@${dirs[i+4]}" -- "${dirs[i]}"
done
