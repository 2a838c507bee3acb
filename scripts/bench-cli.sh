#!/usr/bin/env bash
# End-to-end timings of single commands on registers of different sizes,
# each beside the same command on a 100-item register (issue: every command
# independent of the register's size). Usage:
#
#   scripts/bench-cli.sh ISMS_BINARY DIR SIZE...
#
# DIR holds (or receives) registers made by `isms generate --seed 7`, named
# r<SIZE>.db. Needs hyperfine. Writes go to copies, so the registers stay
# as generated. Prints one line per command and size: mean and min in ms,
# and max RSS in KB of one extra run.
set -euo pipefail
bin="$(realpath "$1")"; dir="$2"; shift 2
cd "$dir"
for n in "$@"; do
  [ -f "r$n.db" ] || "$bin" --db "r$n.db" generate --count "$n" --seed 7 >/dev/null
done
rss() { /usr/bin/time -f "%M" "$@" 2>&1 >/dev/null | tail -1; }
row() { # label size command...
  local label="$1" n="$2"; shift 2
  local json; json="$(mktemp)"
  hyperfine -N --warmup 2 --runs 10 --export-json "$json" "$*" >/dev/null 2>&1
  python3 - "$json" "$label" "$n" "$(rss "$@")" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(f"{sys.argv[2]:<28} {int(sys.argv[3]):>9}  mean {r['mean']*1000:8.1f} ms  min {r['min']*1000:8.1f} ms  max RSS {sys.argv[4]} KB")
PY
  rm -f "$json"
}
for n in "$@"; do
  db="r$n.db"
  cp "$db" "w$n.db"; rm -f "w$n.db-wal" "w$n.db-shm"
  w="w$n.db"
  last=$("$bin" --db "$db" nc list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["reference"])')
  row "nc show (last item)" "$n" "$bin" --db "$db" nc show "$last"
  row "nc report" "$n" "$bin" --db "$w" --as bench nc report --title Bench-finding --source monitoring --severity minor
  # nc close: each run closes another item that is verified effective.
  mapfile -t ready < <("$bin" --db "$w" nc list --state effective | awk 'NR>1 {print $1}' | head -10)
  total=0; count=0; peak=0
  for ref in "${ready[@]}"; do
    start=$(date +%s%N)
    kb=$(/usr/bin/time -f "%M" "$bin" --db "$w" --as closer nc close "$ref" --change "procedure:Updated" 2>&1 >/dev/null | tail -1)
    end=$(date +%s%N)
    total=$((total + end - start)); count=$((count + 1)); [ "$kb" -gt "$peak" ] && peak=$kb
  done
  printf "%-28s %9d  mean %8.1f ms  (%d items closed)  max RSS %d KB\n" "nc close (effective item)" "$n" "$(echo "$total / $count / 1000000" | bc -l)" "$count" "$peak"
  row "kpi" "$n" "$bin" --db "$db" kpi --json
  rm -f "$w" "$w-wal" "$w-shm" "$w.lock"
done
