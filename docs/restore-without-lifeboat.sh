#!/usr/bin/env bash
# Writes one artifact of a Lifeboat backup to stdout using only jq, openssl, age, zstd, awk and dd: for the day
# Lifeboat itself is not available. See docs/RUNBOOK.md.
#
#   restore-without-lifeboat.sh REPOSITORY_DIR BACKUP_ID ARTIFACT [IDENTITY_FILE] > ARTIFACT
#
# REPOSITORY_DIR is a local copy of the repository (for S3: aws s3 sync s3://bucket/prefix ./repo). IDENTITY_FILE is
# the age identity (needed for an encrypted repository); its "# lifeboat signing key:" line, when it has one, is the
# key the backup's signature is checked against.
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 REPOSITORY_DIR BACKUP_ID ARTIFACT [AGE_IDENTITY_FILE] > ARTIFACT" >&2
  exit 2
fi
repo=$1 id=$2 artifact=$3 identity=${4:-}
manifest="$repo/backups/$id/manifest.json"

# 0. A repository of format 2 signs every manifest (Ed25519, over its exact bytes): check it before trusting a byte.
signing=$(jq -r '.signing.publicKey // empty' "$repo/config.json")
if [ -n "$signing" ]; then
  trusted=""
  [ -n "$identity" ] && trusted=$(sed -n 's/^# lifeboat signing key: *//p' "$identity" | head -n1)
  if [ -z "$trusted" ]; then
    echo "warning: no 'lifeboat signing key' line in the identity file; checking the signature against the key in" \
      "config.json, which proves the manifest whole but not who wrote it" >&2
    trusted=$signing
  elif [ "$trusted" != "$signing" ]; then
    echo "config.json names another signing key than the identity file: the repository may be forged" >&2
    exit 10
  fi
  key=$(mktemp)
  trap 'rm -f "$key"' EXIT # widened below, once the work folder exists
  printf '%s' "${trusted#ed25519:}" | base64 -d >"$key"
  if ! openssl pkeyutl -verify -pubin -keyform DER -inkey "$key" -rawin -in "$manifest" \
      -sigfile "$repo/backups/$id/manifest.sig" >/dev/null 2>&1; then
    echo "the signature of $manifest does not verify: the backup was forged or altered; use another one" >&2
    exit 10
  fi
fi

# 1. The manifest lists the artifact's chunks in stream order; one of more than 1,000 chunks (manifest format 3) has
#    them in backups/<id>/chunk-lists.bin instead: 40-byte records (the id's 32 bytes, then plain and stored size),
#    from .chunkList.offset on, in blocks of 4,096 records whose SHA-256 the manifest lists, each checked here.
work=$(mktemp -d)
trap 'rm -rf "$work" ${key:+"$key"}' EXIT
if ! jq -e --arg a "$artifact" 'any(.artifacts[]; .name == $a)' "$manifest" >/dev/null; then
  echo "no artifact '$artifact' in $manifest; it has: $(jq -r '[.artifacts[].name] | join(", ")' "$manifest")" >&2
  exit 3
fi
list=$(jq -r --arg a "$artifact" '.artifacts[] | select(.name == $a) | .chunkList // empty
  | "\(.offset) \(.count) \(.blocks | join(","))"' "$manifest")
if [ -z "$list" ]; then
  jq -r --arg a "$artifact" '.artifacts[] | select(.name == $a) | .chunks[].id' "$manifest" >"$work/chunks"
else
  read -r offset count blocks <<<"$list"
  : >"$work/chunks"
  n=0
  for sha in ${blocks//,/ }; do
    records=$((count - n * 4096 < 4096 ? count - n * 4096 : 4096))
    dd if="$repo/backups/$id/chunk-lists.bin" iflag=skip_bytes,count_bytes skip=$((offset + n * 4096 * 40)) \
      count=$((records * 40)) status=none >"$work/block"
    if [ "$(sha256sum <"$work/block" | cut -c1-64)" != "$sha" ]; then
      echo "block $n of the chunk list of $artifact (backups/$id/chunk-lists.bin) does not match its hash: the" \
        "backup is damaged; use another one" >&2
      exit 10
    fi
    od -An -v -tx1 -w40 "$work/block" | tr -d ' ' | cut -c1-64 >>"$work/chunks"
    n=$((n + 1))
  done
fi

# 2. Where each chunk is: a blob of its own, chunks/<xx>/<id>, or (format 3) a range of a pack file, which the pack's
#    index, index/<pack id>, gives as offset and length. One line per chunk, in stream order: its blob's path, and
#    its pack's path, offset and length when an index lists it ("-" otherwise).
: >"$work/packed"
if [ -d "$repo/index" ]; then
  for index in "$repo"/index/*; do
    [ -f "$index" ] || continue
    jq -r '.pack as $p | .chunks[] | [.id, $p, .offset, .length] | @tsv' "$index" >>"$work/packed"
  done
fi
awk -F '\t' -v repo="$repo" '
  FILENAME == ARGV[1] { if (!($1 in at)) at[$1] = repo "/packs/" substr($2, 1, 2) "/" $2 "\t" $3 "\t" $4; next }
  { print repo "/chunks/" substr($1, 1, 2) "/" $1 "\t" ($1 in at ? at[$1] : "-\t-\t-") }
' "$work/packed" "$work/chunks" >"$work/places"

# 3. Each chunk is a zstd frame, inside an age file when the repository is encrypted.
encrypted=$(jq -r '.encryption != null' "$repo/config.json")
if [ "$encrypted" = true ] && [ -z "$identity" ]; then
  echo "the repository is encrypted: give the age identity file as fourth argument" >&2
  exit 7
fi
while IFS=$'\t' read -r blob pack offset length; do
  if [ -f "$blob" ]; then
    cat "$blob"
  elif [ "$pack" != - ]; then
    dd if="$pack" iflag=skip_bytes,count_bytes skip="$offset" count="$length" status=none
  else
    echo "chunk ${blob##*/} is neither in chunks/ nor in any pack index: the backup is damaged" >&2
    exit 10
  fi >"$work/chunk"
  if [ "$encrypted" = true ]; then
    age --decrypt --identity "$identity" "$work/chunk"
  else
    cat "$work/chunk"
  fi | zstd --decompress --quiet --stdout
done <"$work/places"
