#!/usr/bin/env bash
# Writes one artifact of a Lifeboat backup to stdout using only jq, openssl, age and zstd: for the day Lifeboat
# itself is not available. See docs/RUNBOOK.md.
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
  trap 'rm -f "$key"' EXIT
  printf '%s' "${trusted#ed25519:}" | base64 -d >"$key"
  if ! openssl pkeyutl -verify -pubin -keyform DER -inkey "$key" -rawin -in "$manifest" \
      -sigfile "$repo/backups/$id/manifest.sig" >/dev/null 2>&1; then
    echo "the signature of $manifest does not verify: the backup was forged or altered; use another one" >&2
    exit 10
  fi
fi

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
