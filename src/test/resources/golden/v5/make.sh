#!/usr/bin/env bash
# Writes the golden repositories of manifest format 3 (an artifact of more than 1,000 chunks lists them in
# backups/<id>/chunk-lists.bin): plain/ and encrypted/, each with two backups of one stack, MakeTree.java's tree of
# 1,200 small files and an exec source, the second backup taken with nothing changed (its unchanged files reused
# through the first one's chunk list, and drilled: its status.json is of status format 2); with the lifeboat.jar given. It was run once, by the release named in
# README.md; what it wrote stays in the tree as it is, for ever, and GoldenRepositoryIT reads it with every build. Do
# not run it again to "refresh" it: a format change gets a new folder and its own make.sh.
#
#   bash src/test/resources/golden/v5/make.sh target/lifeboat.jar
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
jar=$(realpath "${1:?usage: make.sh path/to/lifeboat.jar}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export LIFEBOAT_KEY_DIR=$work/keys
lifeboat() { java -jar "$jar" "$@"; }

rm -rf "$here/plain" "$here/encrypted"
lifeboat keygen -o "$work/identity.txt" >"$work/recipient"
cp "$work/identity.txt" "$here/identity.txt"
export LIFEBOAT_IDENTITY_FILE=$here/identity.txt
java "$here/MakeTree.java" "$work/tree"
for variant in plain encrypted; do
  cat >"$work/$variant.yml" <<YML
repository: $here/$variant
sources:
  uploads: { type: files, path: "$work/tree" }
  kv:      { type: exec, backup: "printf 'kv-golden-format-3\\\\n'" }
YML
  if [ "$variant" = encrypted ]; then
    lifeboat init --config "$work/$variant.yml" --avg-chunk-size 1 --recipient "$(tail -n1 "$work/recipient")" \
      --signing-key "$work/identity.txt.signing-key"
  else
    lifeboat init --config "$work/$variant.yml" --avg-chunk-size 1 --signing-key "$work/identity.txt.signing-key"
  fi
  lifeboat backup --config "$work/$variant.yml" --label golden-first
  sleep 1
  lifeboat backup --config "$work/$variant.yml" --label golden-second
  # a drill of the second: its status.json (status format 2) records the tree's own drill
  lifeboat verify --config "$work/$variant.yml" --drill latest
  lifeboat list --config "$work/$variant.yml"
done
