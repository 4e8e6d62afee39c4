#!/usr/bin/env bash
# Live-delivery benchmark: imports linux-mips into a fresh data directory, then delivers
# messages one at a time with `larch ingest --list linux-mips` (as an MTA or Mailman's
# external archiver would), each a new process, and prints a Markdown table of each
# delivery's wall time and peak RSS (GNU time). The messages are the first DELIVERIES of
# the SpamAssassin easy-ham-1 corpus: new Message-IDs, so each one is stored.
#   usage: LARCH_CORPORA=../shared/corpora benches/ingest.sh [DELIVERIES]
set -euo pipefail
cd "$(dirname "$0")/.."
: "${LARCH_CORPORA:?set LARCH_CORPORA to the corpora folder}"
[[ -x /usr/bin/time ]] || { echo "GNU time is not installed (apt-get install time)" >&2; exit 1; }
N=${1:-5}
cargo build --release --locked -q
DATA=$(mktemp -d)
trap 'rm -rf "$DATA"' EXIT
LARCH=./target/release/larch
start=$(date +%s.%N)
$LARCH --data "$DATA" import --list linux-mips "$LARCH_CORPORA/mbox/linux-mips-2019-2026.mbox.gz" >/dev/null 2>&1
end=$(date +%s.%N)
read -r MESSAGES NODES < <(python3 - "$DATA/larch.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("SELECT COUNT(*) FROM messages").fetchone()[0],
      db.execute("SELECT COUNT(*) FROM nodes").fetchone()[0])
PY
)
echo "linux-mips imported: $MESSAGES messages, $NODES thread nodes ($(printf '%.1f' "$(echo "$end - $start" | bc)") s)"
echo
echo "| delivery | exit | seconds | peak RSS MB |"
echo "|---|---|---|---|"
TIMES=$(mktemp)
trap 'rm -rf "$DATA" "$TIMES"' EXIT
i=0
for f in $(ls "$LARCH_CORPORA/messages/spamassassin/easy-ham-1" | sort | head -n "$N"); do
  i=$((i + 1))
  code=0
  /usr/bin/time -o "$TIMES" -f '%e %M' $LARCH --data "$DATA" ingest --list linux-mips \
    < "$LARCH_CORPORA/messages/spamassassin/easy-ham-1/$f" >/dev/null 2>&1 || code=$?
  read -r secs kb < <(tail -n 1 "$TIMES")
  echo "| $i | $code | $secs | $((kb / 1024)) |"
done
