#!/usr/bin/env bash
# Two builds' page serving side by side: the same linux-mips archive served by build A and
# build B at once (each on its own copy), wrk run on A and B in turn, ROUNDS times per page,
# so that what drifts on the machine during the run falls on both alike. Prints the median
# requests/s of each page on each build and B's change, page cache off and on.
#   usage: LARCH_CORPORA=../shared/corpora LARCH_BIN_A=old/larch LARCH_BIN_B=new/larch \
#          benches/web-ab.sh   (ROUNDS=5, DUR=8 seconds per wrk run, MODES="0 1": cache off, on)
set -euo pipefail
cd "$(dirname "$0")/.."
: "${LARCH_CORPORA:?set LARCH_CORPORA to the corpora folder}"
: "${LARCH_BIN_A:?set LARCH_BIN_A to the first build}"
: "${LARCH_BIN_B:?set LARCH_BIN_B to the second build}"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
ROUNDS=${ROUNDS:-5}
DUR=${DUR:-8}
WORK=$(mktemp -d)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill $p 2>/dev/null; done; rm -rf "$WORK"' EXIT
"$LARCH_BIN_A" --data "$WORK/a" import --list linux-mips "$LARCH_CORPORA/mbox/linux-mips-2019-2026.mbox.gz" >/dev/null 2>&1
python3 - "$WORK/a/larch.db" >"$WORK/pages" <<'PY'
import sqlite3, sys, urllib.parse
db = sqlite3.connect(sys.argv[1])
q = lambda k: urllib.parse.quote(k, safe="@.-_")
(root,) = db.execute("SELECT root_mkey FROM threads ORDER BY message_count DESC LIMIT 1").fetchone()
(msg,) = db.execute("SELECT mkey FROM nodes WHERE message_id IS NOT NULL ORDER BY seq LIMIT 1 OFFSET 25000").fetchone()
(month,) = db.execute("SELECT month FROM nodes WHERE month IS NOT NULL GROUP BY month ORDER BY COUNT(*) DESC LIMIT 1").fetchone()
print(q(msg), q(root), "%04d/%02d" % (month // 100, month % 100))
PY
read -r MSG THREAD MONTH <"$WORK/pages"
# Each build builds its own search index on its own copy, before anything is measured.
cp -r "$WORK/a" "$WORK/b"
start() { # build data port cache
  LARCH_PAGE_CACHE=$4 "$1" --data "$2" serve --listen 127.0.0.1:$3 2>/dev/null &
  PIDS+=($!)
  for _ in $(seq 1200); do curl -sf http://127.0.0.1:$3/healthz | grep -qx 'search_lag 0' && return; sleep 0.5; done
  echo "the server on port $3 did not catch up" >&2; exit 1
}
rps() { wrk -t2 -c16 -d${DUR}s "http://127.0.0.1:$1$2" | awk '/Requests\/sec/ {print $2}'; }
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
for cache in ${MODES:-0 1}; do
  start "$LARCH_BIN_A" "$WORK/a" 18181 $cache
  start "$LARCH_BIN_B" "$WORK/b" 18182 $cache
  echo
  echo "page cache: $([[ $cache == 1 ]] && echo on || echo off); median requests/s of $ROUNDS runs of ${DUR} s each, A and B in turn"
  echo
  echo "| page | A | B | B vs A |"
  echo "|---|---|---|---|"
  for spec in "message:/linux-mips/m/$MSG/" "thread:/linux-mips/t/$THREAD/" "month $MONTH:/linux-mips/$MONTH/"; do
    name=${spec%%:*}; path=${spec#*:}
    : >"$WORK/ra"; : >"$WORK/rb"
    for _ in $(seq "$ROUNDS"); do
      rps 18181 "$path" >>"$WORK/ra"
      rps 18182 "$path" >>"$WORK/rb"
    done
    a=$(median <"$WORK/ra"); b=$(median <"$WORK/rb")
    echo "| $name | $a | $b | $(awk -v a="$a" -v b="$b" 'BEGIN {printf "%+.1f %%", (b-a)/a*100}') |"
  done
  for p in "${PIDS[@]}"; do kill $p 2>/dev/null; wait $p 2>/dev/null || true; done
  PIDS=()
done
