#!/usr/bin/env bash
# Writes the golden repositories of repository format 3 (pack files: small chunks in packs/ with their index/):
# plain/ and encrypted/, the backups of format 2's from the SQL in ../v1/sql/, and stack/, the stack backup of
# ../v3 (a database, ../v3/MakeTree.java's tree, an exec source) with a source large enough for chunks of their own
# beside the packed ones; with the lifeboat.jar given, in a throwaway PostgreSQL cluster. It was run once, by the
# release named in README.md; what it wrote stays in the tree as it is, for ever, and GoldenRepositoryIT reads it
# with every build. Do not run it again to "refresh" it: a format change gets a new folder and its own make.sh.
#
#   bash src/test/resources/golden/v4/make.sh target/lifeboat.jar
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
sql=$here/../v1/sql
jar=$(realpath "${1:?usage: make.sh path/to/lifeboat.jar}")
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
port=55434
work=$(mktemp -d)
chmod 755 "$work"
as_pg=()
if [ "$(id -u)" = 0 ]; then # initdb and postgres refuse root
  mkdir "$work/pg"
  chown postgres: "$work/pg" "$work"
  as_pg=(runuser -u postgres --)
fi
stop() {
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap stop EXIT

"${as_pg[@]}" "$pgbin/initdb" -D "$work/pg" -U golden_admin --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -w -l "$work/pg/log" \
  -o "-p $port -k $work -c listen_addresses=''" start >/dev/null
export PGHOST=$work PGPORT=$port PGUSER=golden_admin
unset PGPASSWORD DATABASE_URL
psql() { "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 "$@" >/dev/null; }
psql -d postgres -f "$sql/roles.sql"
psql -d postgres -c 'CREATE DATABASE golden_shop' -c 'CREATE DATABASE golden_notes'
psql -d golden_shop -f "$sql/shop.sql"
psql -d golden_notes -f "$sql/notes.sql"

shop="host=$work port=$port user=golden_admin dbname=golden_shop"
notes="host=$work port=$port user=golden_admin dbname=golden_notes"
export LIFEBOAT_KEY_DIR=$work/keys LIFEBOAT_PG_BIN=$pgbin
lifeboat() { java -jar "$jar" "$@"; }
id_of() { sed -n 's/.*"id" *: *"\([^"]*\)".*/\1/p' | head -n1; }

rm -rf "$here/plain" "$here/encrypted" "$here/stack"
# The identity holds the signing key's public half; both repositories are signed by its private half.
lifeboat keygen -o "$work/identity.txt" >"$work/recipient"
cp "$work/identity.txt" "$here/identity.txt"
export LIFEBOAT_IDENTITY_FILE=$here/identity.txt
for variant in plain encrypted; do
  repo=$here/$variant
  # Shop state 0 again for each variant.
  psql -d postgres -c 'DROP DATABASE golden_shop' -c 'CREATE DATABASE golden_shop'
  psql -d golden_shop -f "$sql/shop.sql"
  if [ "$variant" = encrypted ]; then
    lifeboat init --repo "$repo" --avg-chunk-size 1 --recipient "$(tail -n1 "$work/recipient")" \
      --signing-key "$work/identity.txt.signing-key"
  else
    lifeboat init --repo "$repo" --avg-chunk-size 1 --signing-key "$work/identity.txt.signing-key"
  fi
  lifeboat backup --repo "$repo" --db "$shop" --db "$notes" --globals --label golden-multi --json | id_of >"$work/multi"
  psql -d golden_shop -f "$sql/shop-1.sql"
  pinned=$(lifeboat backup --repo "$repo" --db "$shop" --label golden-pinned --json | id_of)
  lifeboat pin --repo "$repo" --note "kept for ever" "$pinned"
  psql -d golden_shop -f "$sql/shop-2.sql"
  verified=$(lifeboat backup --repo "$repo" --db "$shop" --label golden-verified --json | id_of)
  lifeboat verify --repo "$repo" --read-data "$verified"
  # Restoring state 0 over the shop first takes a safety backup of state 2.
  lifeboat restore --repo "$repo" --database golden_shop --to "$shop" --yes "$(cat "$work/multi")"
  lifeboat list --repo "$repo"
done

# The stack of ../v3, in a repository of format 3, with "big": 700,000 bytes of output, cut into chunks of their own.
java "$here/../v3/MakeTree.java" "$work/tree"
cat >"$work/lifeboat.yml" <<YML
repository: $here/stack
sources:
  notes:   { type: postgres, url: "postgresql:///golden_notes?host=$work&port=$port&user=golden_admin" }
  uploads: { type: files, path: "$work/tree" }
  kv:      { type: exec, backup: "printf 'kv-golden-state\\\\n'", stop: true }
  big:     { type: exec, backup: "yes lifeboat-golden-format-3 | head -c 700000" }
hooks:
  before-backup: "true"
  after-backup: "true"
YML
lifeboat init --config "$work/lifeboat.yml" --avg-chunk-size 1 --signing-key "$work/identity.txt.signing-key"
lifeboat backup --config "$work/lifeboat.yml" --label golden-stack
lifeboat list --config "$work/lifeboat.yml"
"$pgbin/pg_dump" --version | tee "$here/pg_dump-version.txt"
