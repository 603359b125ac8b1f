#!/usr/bin/env bash
# Writes one artifact of a Lifeboat backup to stdout using only jq, age and zstd: for the day Lifeboat
# itself is not available. See docs/RUNBOOK.md.
#
#   restore-without-lifeboat.sh REPOSITORY_DIR BACKUP_ID ARTIFACT [AGE_IDENTITY_FILE] > ARTIFACT
#
# REPOSITORY_DIR is a local copy of the repository (for S3: aws s3 sync s3://bucket/prefix ./repo).
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 REPOSITORY_DIR BACKUP_ID ARTIFACT [AGE_IDENTITY_FILE] > ARTIFACT" >&2
  exit 2
fi
repo=$1 id=$2 artifact=$3 identity=${4:-}
manifest="$repo/backups/$id/manifest.json"

# 1. The manifest lists the artifact's chunks in stream order.
chunks=$(jq -r --arg a "$artifact" '.artifacts[] | select(.name == $a) | .chunks[].id' "$manifest")
if [ -z "$chunks" ]; then
  echo "no artifact '$artifact' in $manifest; it has: $(jq -r '[.artifacts[].name] | join(", ")' "$manifest")" >&2
  exit 3
fi

# 2. Each chunk is a zstd frame, inside an age file when the repository is encrypted.
encrypted=$(jq -r '.encryption != null' "$repo/config.json")
for chunk in $chunks; do
  blob="$repo/chunks/${chunk:0:2}/$chunk"
  if [ "$encrypted" = true ]; then
    if [ -z "$identity" ]; then
      echo "the repository is encrypted: give the age identity file as fourth argument" >&2
      exit 7
    fi
    age --decrypt --identity "$identity" "$blob"
  else
    cat "$blob"
  fi | zstd --decompress --quiet --stdout
done
