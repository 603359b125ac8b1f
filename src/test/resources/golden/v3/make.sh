#!/usr/bin/env bash
# Writes the golden repository of manifest format 2 (the source plug-ins: a stack of a PostgreSQL database, a file
# tree and an exec source, with hooks) with the lifeboat.jar given, in a throwaway PostgreSQL cluster. It was run
# once, by the release named in README.md; what it wrote stays in the tree as it is, for ever, and
# GoldenRepositoryIT reads it with every build. Do not run it again to "refresh" it: a format change gets a new
# folder and its own make.sh.
#
#   bash src/test/resources/golden/v3/make.sh target/lifeboat.jar
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
sql=$here/../v1/sql
jar=$(realpath "${1:?usage: make.sh path/to/lifeboat.jar}")
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
port=55433
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
psql -d postgres -c 'CREATE DATABASE golden_notes'
psql -d golden_notes -f "$sql/notes.sql"
java "$here/MakeTree.java" "$work/tree"

export LIFEBOAT_KEY_DIR=$work/keys LIFEBOAT_PG_BIN=$pgbin
lifeboat() { java -jar "$jar" "$@"; }
rm -rf "$here/plain"
lifeboat keygen -o "$work/identity.txt" >/dev/null
cp "$work/identity.txt" "$here/identity.txt"
export LIFEBOAT_IDENTITY_FILE=$here/identity.txt
cat >"$work/lifeboat.yml" <<YML
repository: $here/plain
sources:
  notes:   { type: postgres, url: "postgresql:///golden_notes?host=$work&port=$port&user=golden_admin" }
  uploads: { type: files, path: "$work/tree" }
  kv:      { type: exec, backup: "printf 'kv-golden-state\\\\n'", stop: true }
hooks:
  before-backup: "true"
  after-backup: "true"
YML
lifeboat init --config "$work/lifeboat.yml" --avg-chunk-size 1 --signing-key "$work/identity.txt.signing-key"
lifeboat backup --config "$work/lifeboat.yml" --label golden-stack
lifeboat list --config "$work/lifeboat.yml"
"$pgbin/pg_dump" --version | tee "$here/pg_dump-version.txt"
