#!/usr/bin/env bash
# Archive-scale benchmark, first part: a generated archive of N messages over K lists
# (`larch gen` replaying linux-mips), imported list by list, then indexed. Prints a Markdown
# table: import messages/s and peak RSS, index build docs/s and peak RSS, store and index
# size against the raw mail, and server start to the first byte of the front page.
# Page latency mixes and the public-inbox / MHonArc runs are not part of it yet.
#   usage: LARCH_CORPORA=../shared/corpora benches/archive.sh [N] [K]
#   LARCH_BIN=path/to/larch runs another build.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${LARCH_CORPORA:?set LARCH_CORPORA to the corpora folder}"
N=${1:-200000}
K=${2:-4}
if [[ -z ${LARCH_BIN:-} ]]; then
  cargo build --release -q
  LARCH_BIN=./target/release/larch
fi
WORK=$(mktemp -d)
PORT=${PORT:-18081}
PID=""
trap '[[ -n $PID ]] && kill $PID 2>/dev/null; rm -rf "$WORK"' EXIT
SRC="$LARCH_CORPORA/mbox/linux-mips-2019-2026.mbox.gz"
"$LARCH_BIN" gen --from "$SRC" --messages "$N" --lists "$K" --out "$WORK/gen" >/dev/null
RAW=$(du -cb "$WORK"/gen/*.mbox | awk 'END {print $1}')
DATA="$WORK/data"
# Seconds and peak RSS (KB) of a command, from GNU time.
timed() { /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >/dev/null 2>&1; cat "$WORK/time"; }
import_s=0
import_rss=0
for f in "$WORK"/gen/*.mbox; do
  name=$(basename "$f" .mbox)
  read -r s kb < <(timed "$LARCH_BIN" --data "$DATA" import --list "$name" "$f")
  import_s=$(echo "$import_s + $s" | bc)
  ((kb > import_rss)) && import_rss=$kb
done
read -r index_s index_rss < <(timed "$LARCH_BIN" --data "$DATA" reindex)
STORE=$(du -cb "$DATA"/larch.db* | awk 'END {print $1}')
INDEX=$(du -sb "$DATA"/search 2>/dev/null | awk '{print $1}')
start_ns=$(date +%s%N)
"$LARCH_BIN" --data "$DATA" serve --listen 127.0.0.1:$PORT 2>/dev/null &
PID=$!
until curl -sf -o /dev/null http://127.0.0.1:$PORT/; do sleep 0.01; done
first_byte_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
kill $PID; wait $PID 2>/dev/null || true
PID=""
mb() { awk -v b="$1" 'BEGIN {printf "%.0f MB", b / 1048576}'; }
echo "| $N messages, $K lists | figure |"
echo "|---|---|"
echo "| raw mail (mbox) | $(mb "$RAW") |"
echo "| import | $(printf '%.1f' "$import_s") s, **$(echo "$N / $import_s" | bc) msg/s**, peak RSS $((import_rss / 1024)) MB |"
echo "| index build (\`larch reindex\`) | ${index_s} s, **$(echo "$N / $index_s" | bc) docs/s**, peak RSS $((index_rss / 1024)) MB |"
echo "| import + index | **$(echo "$N / ($import_s + $index_s)" | bc) msg/s** end to end |"
echo "| store + index | $(mb "$STORE") + $(mb "${INDEX:-0}") = **$(awk -v s="$STORE" -v i="${INDEX:-0}" -v r="$RAW" 'BEGIN {printf "%.2f", (s + i) / r}') × raw** |"
echo "| server start to first byte of / | $first_byte_ms ms |"
