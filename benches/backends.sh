#!/usr/bin/env bash
# SQLite against PostgreSQL on the same corpus and machine, and one, two and three servers
# on one PostgreSQL database. Imports linux-mips into each backend (timed), then runs wrk
# (16 connections, page cache off so every request renders) on a message page, the largest
# thread, the busiest month's first page and a search, against each. Prints Markdown tables.
#   usage: LARCH_CORPORA=../shared/corpora benches/backends.sh
#   LARCH_BIN=path/to/larch runs another build. The PostgreSQL server is a throw-away
#   cluster started here (Debian's postgresql; as the postgres user when run as root), with
#   fsync on: the figures include durable commits.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${LARCH_CORPORA:?set LARCH_CORPORA to the corpora folder}"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x $PGBIN/initdb ]] || { echo "PostgreSQL's server binaries are not installed (apt-get install postgresql)" >&2; exit 1; }
if [[ -z ${LARCH_BIN:-} ]]; then
  cargo build --release -q
  LARCH_BIN=./target/release/larch
fi
DUR=${DUR:-10}
MBOX="$LARCH_CORPORA/mbox/linux-mips-2019-2026.mbox.gz"
WORK=$(mktemp -d)
chmod 755 "$WORK"
PGPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  as_pg "$PGBIN/pg_ctl" -D "$WORK/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
mkdir "$WORK/pg"
[[ $(id -u) == 0 ]] && chown postgres "$WORK/pg"
as_pg "$PGBIN/initdb" -A trust -U postgres -E UTF8 --locale=C -D "$WORK/pg" >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg/log" -w start \
  -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $WORK/pg -c shared_buffers=512MB -c max_connections=200" >/dev/null
psql -X -q -h 127.0.0.1 -p "$PGPORT" -U postgres -c 'CREATE DATABASE larch' postgres
PGURL="postgres://postgres@127.0.0.1:$PGPORT/larch"

echo "## Import of linux-mips (51,564 messages), searchable included"
echo
echo "| backend | time | messages/s |"
echo "|---|---|---|"
import() { # backend-name data-dir [url]
  local t0 t1
  t0=$(date +%s.%N)
  LARCH_DATABASE_URL=${3:-} "$LARCH_BIN" --data "$2" import --list linux-mips "$MBOX" >/dev/null 2>&1
  t1=$(date +%s.%N)
  python3 -c "t=$t1-$t0; print(f'| $1 | {t:.1f} s | {51564/t:,.0f} |')"
}
import SQLite "$WORK/lite"
import PostgreSQL "$WORK/pg1" "$PGURL"

read -r MSG THREAD THREADN MONTH < <(python3 - "$WORK/lite/larch.db" <<'PY'
import sqlite3, sys, urllib.parse
db = sqlite3.connect(sys.argv[1])
q = lambda k: urllib.parse.quote(k, safe="@.-_")
root, n = db.execute("SELECT root_mkey, message_count FROM threads ORDER BY message_count DESC LIMIT 1").fetchone()
(msg,) = db.execute("SELECT mkey FROM nodes WHERE message_id IS NOT NULL ORDER BY seq LIMIT 1 OFFSET 25000").fetchone()
(month,) = db.execute("SELECT month FROM nodes WHERE month IS NOT NULL GROUP BY month ORDER BY COUNT(*) DESC LIMIT 1").fetchone()
print(q(msg), q(root), n, "%04d/%02d" % (month // 100, month % 100))
PY
)
PAGES=("message:/linux-mips/m/$MSG/" "thread ($THREADN messages):/linux-mips/t/$THREAD/"
       "month $MONTH (first page):/linux-mips/$MONTH/" "search:/search?q=interrupt+controller")

serve() { # data-dir port [url]
  LARCH_PAGE_CACHE=0 LARCH_DATABASE_URL=${3:-} "$LARCH_BIN" --data "$1" serve --listen 127.0.0.1:$2 2>/dev/null &
  PIDS+=($!)
  for _ in $(seq 100); do curl -sf http://127.0.0.1:$2/healthz >/dev/null && break; sleep 0.1; done
  for _ in $(seq 1200); do curl -sf http://127.0.0.1:$2/healthz | grep -qx 'search_lag 0' && break; sleep 0.5; done
}
stop_all() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; PIDS=(); }
measure() { # port path
  local out
  out=$(wrk -t1 -c16 -d"${DUR}s" --latency "http://127.0.0.1:$1$2")
  if grep -q 'Non-2xx or 3xx responses' <<<"$out"; then echo "errors on $2" >&2; exit 1; fi
  echo "$(awk '/Requests\/sec/ {print $2}' <<<"$out") $(awk '$1=="50%" {print $2}' <<<"$out") $(awk '$1=="99%" {print $2}' <<<"$out")"
}

echo
echo "## Pages, one server, page cache off (\`wrk -t1 -c16 -d${DUR}s\`)"
echo
echo "| page | SQLite req/s | p50 | p99 | PostgreSQL req/s | p50 | p99 |"
echo "|---|---|---|---|---|---|---|"
serve "$WORK/lite" 18181
serve "$WORK/pg1" 18182 "$PGURL"
for spec in "${PAGES[@]}"; do
  name=${spec%%:*}; path=${spec#*:}
  read -r a1 a2 a3 < <(measure 18181 "$path")
  read -r b1 b2 b3 < <(measure 18182 "$path")
  echo "| $name | $a1 | $a2 | $a3 | $b1 | $b2 | $b3 |"
done
stop_all

echo
echo "## One, two and three servers on one PostgreSQL database (message page, page cache off)"
echo
echo "Each server has 16 connections of its own; the figure is their sum. The servers, wrk and"
echo "PostgreSQL share the machine's cores."
echo
echo "| servers | req/s (sum) | p99 (worst) |"
echo "|---|---|---|"
for n in 1 2 3; do
  for i in $(seq "$n"); do serve "$WORK/pg$i" $((18190 + i)) "$PGURL"; done
  outs=()
  for i in $(seq "$n"); do
    (measure $((18190 + i)) "/linux-mips/m/$MSG/" >"$WORK/out$i") &
    outs+=($!)
  done
  wait "${outs[@]}"
  python3 - "$n" "$WORK" <<'PY'
import sys
n, work = int(sys.argv[1]), sys.argv[2]
def ms(v):
    return float(v[:-2]) if v.endswith("ms") else float(v[:-2]) / 1000 if v.endswith("us") else float(v[:-1]) * 1000
rows = [open(f"{work}/out{i}").read().split() for i in range(1, n + 1)]
print(f"| {n} | {sum(float(r[0]) for r in rows):,.0f} | {max(ms(r[2]) for r in rows):.1f} ms |")
PY
  stop_all
done
