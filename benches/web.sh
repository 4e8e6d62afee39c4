#!/usr/bin/env bash
# Page-serving benchmark: imports linux-mips into a fresh data directory, starts
# `larch serve`, and runs wrk (16 connections, 15 s) on a message page, the largest
# thread page and the busiest month page. Prints a Markdown table.
#   usage: LARCH_CORPORA=../shared/corpora benches/web.sh
#   LARCH_BIN=path/to/larch runs another build (to compare two commits in one sitting).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${LARCH_CORPORA:?set LARCH_CORPORA to the corpora folder}"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
if [[ -z ${LARCH_BIN:-} ]]; then
  cargo build --release -q
  LARCH_BIN=./target/release/larch
fi
DATA=$(mktemp -d)
PORT=${PORT:-18080}
PID=""
trap '[[ -n $PID ]] && kill $PID 2>/dev/null; rm -rf "$DATA"' EXIT
"$LARCH_BIN" --data "$DATA" import --list linux-mips "$LARCH_CORPORA/mbox/linux-mips-2019-2026.mbox.gz" >/dev/null 2>&1
read -r MSG THREAD THREADN MONTH < <(python3 - "$DATA/larch.db" <<'PY'
import sqlite3, sys, urllib.parse
db = sqlite3.connect(sys.argv[1])
q = lambda k: urllib.parse.quote(k, safe="@.-_")
root, n = db.execute("SELECT root_mkey, message_count FROM threads ORDER BY message_count DESC LIMIT 1").fetchone()
(msg,) = db.execute("SELECT mkey FROM nodes WHERE message_id IS NOT NULL ORDER BY seq LIMIT 1 OFFSET 25000").fetchone()
(month,) = db.execute("SELECT month FROM nodes WHERE month IS NOT NULL GROUP BY month ORDER BY COUNT(*) DESC LIMIT 1").fetchone()
print(q(msg), q(root), n, "%04d/%02d" % (month // 100, month % 100))
PY
)
start() {
LARCH_PAGE_CACHE=$1 "$LARCH_BIN" --data "$DATA" serve --listen 127.0.0.1:$PORT 2>/dev/null &
PID=$!
for _ in $(seq 50); do curl -sf http://127.0.0.1:$PORT/healthz >/dev/null && break; sleep 0.1; done
for _ in $(seq 600); do curl -sf http://127.0.0.1:$PORT/healthz | grep -qx 'search_lag 0' && break; sleep 0.5; done
}
# The server builds the search index from the store at its first start. Let one server do
# that and stop, so that each measured server starts on a built index with its memory and
# threads free of the build.
start 1
kill $PID; wait $PID 2>/dev/null || true
run() {
start "$1"
echo
echo "page cache: $2"
echo
echo "| page | requests/s | p50 | p99 | server RSS after |"
echo "|---|---|---|---|---|"
for spec in "message:/linux-mips/m/$MSG/" "thread ($THREADN messages):/linux-mips/t/$THREAD/" "month $MONTH (first page):/linux-mips/$MONTH/"; do
  name=${spec%%:*}; path=${spec#*:}
  out=$(wrk -t2 -c16 -d15s --latency "http://127.0.0.1:$PORT$path")
  # A page that answers errors measures the error page: stop rather than print it.
  if grep -q 'Non-2xx or 3xx responses' <<<"$out"; then
    echo "$name: $(grep 'Non-2xx or 3xx responses' <<<"$out") for $path" >&2
    exit 1
  fi
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  rss=$(awk '/VmRSS/ {printf "%.0f MB", $2/1024}' /proc/$PID/status)
  echo "| $name | $rps | $p50 | $p99 | $rss |"
done
echo
echo "peak server RSS: $(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' /proc/$PID/status)"
kill $PID; wait $PID 2>/dev/null || true
}
run 0 "off (every request renders)"
run 1 "on (repeated requests are served from memory)"
