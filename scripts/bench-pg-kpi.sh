#!/usr/bin/env bash
# `isms kpi` on one register of 100,000 nonconformities: a SQLite file against a PostgreSQL
# register holding the same generated data (docs/performance.md, PostgreSQL store).
#
#   scripts/bench-pg-kpi.sh ISMS_BINARY SUPERUSER_URL DIR
#
# SUPERUSER_URL is a superuser's URL of a throw-away database that nothing else uses (its
# postmaster's CPU time is counted as the server's): `scripts/pg-test-server start DIR PORT`.
# The register is generated into it as that user, then read as an application role granted
# the register, so that row-level security applies as in production.
set -euo pipefail
isms="$1"; su="$2"; dir="$3"
export ISMS_NOW=2026-12-01T00:00:00Z
as_of=2026-12-01T00:00:00Z
mkdir -p "$dir"; cd "$dir"
load() { cut -d' ' -f1 /proc/loadavg; }

rm -f r100k.db r100k.db-wal r100k.db-shm
echo "load $(load)"
/usr/bin/time -f "sqlite generate: %e s wall, %U user %S sys" \
  "$isms" --db r100k.db --as gen generate --count 100000 --seed 7 >/dev/null
"$isms" --db "$su?register=k100k" --as gen init
echo "load $(load)"
/usr/bin/time -f "postgres generate: %e s wall, %U user %S sys" \
  "$isms" --db "$su?register=k100k" --as gen generate --count 100000 --seed 7 >/dev/null

psql "$su" -qAt <<'SQL'
DO $$ BEGIN CREATE ROLE isms_kpi LOGIN NOSUPERUSER; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
GRANT USAGE ON SCHEMA isms TO isms_kpi;
GRANT SELECT ON isms.schema_version, isms.register_access TO isms_kpi;
GRANT SELECT, UPDATE (head_position, head_hash, verified_position, verified_hash) ON isms.registers TO isms_kpi;
GRANT SELECT, INSERT ON isms.events, isms.claims, isms.requests, isms.checkpoints TO isms_kpi;
GRANT SELECT, INSERT, UPDATE, DELETE ON isms.items, isms.kpi_facts TO isms_kpi;
GRANT EXECUTE ON FUNCTION isms.session_register() TO isms_kpi;
INSERT INTO isms.register_access VALUES ('isms_kpi', 'k100k') ON CONFLICT DO NOTHING;
VACUUM ANALYZE;
SQL
app="$(echo "$su" | sed -E 's#://[^@]*@#://isms_kpi@#')?register=k100k"
# The postmaster of that server: pg-test-server starts it with `-p PORT` on its command line.
port="$(echo "$su" | sed -E 's#.*:([0-9]+)/.*#\1#')"
pm="$(pgrep -o -f -- "-p $port ")"
# The postmaster's own and its reaped children's CPU time, in clock ticks.
server_ticks() { awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat"; }

cmp <("$isms" --db r100k.db kpi --json --as-of $as_of) <("$isms" --db "$app" kpi --json --as-of $as_of) \
  && echo "the same KPIs from both"
for _ in 1 2 3; do
  for db in r100k.db "$app"; do
    before="$(server_ticks)"; l="$(load)"
    /usr/bin/time -f "%e s wall, %U user + %S sys client" "$isms" --db "$db" kpi --json --as-of $as_of 2>&1 >/dev/null | tr '\n' ' '
    echo "| ${db%%\?*} | server CPU $(( ($(server_ticks) - before) * 10 )) ms | load $l"
  done
done
hyperfine -N --warmup 1 --runs 5 "$isms --db r100k.db kpi --json --as-of $as_of" \
  "$isms --db $app kpi --json --as-of $as_of"
echo "load $(load)"
