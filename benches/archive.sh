#!/usr/bin/env bash
# Archive-scale benchmark. Part one: a generated archive of N messages over K lists
# (`larch gen` replaying linux-mips), imported list by list (indexing as it goes); its rate
# until searchable, a rebuild's index rate, peak memory, store and index size against the
# raw mail, server start to first byte, and wrk (16 connections) on mixes of many distinct pages (messages, threads,
# month first pages, list indexes, searches) with the page cache off, then on.
# Part two, side by side: the first P messages of the same replay as one list, imported by
# larch, public-inbox (v2, Xapian) and MHonArc in alternating rounds, then larch (page
# cache off) and public-inbox-httpd on the same message, thread, list and search mixes.
# Prints Markdown and appends it, dated, to BENCHMARKS.md (ARCHIVE_NO_WRITE=1: print only).
#   usage: LARCH_CORPORA=../shared/corpora benches/archive.sh [N] [K] [P]
#   N=200000 K=4 P=20000 by default; P=0 skips part two. DURATION=15 (seconds per mix),
#   ROUNDS=2 (import rounds of part two), LARCH_BIN=path/to/larch runs another build.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${LARCH_CORPORA:?set LARCH_CORPORA to the corpora folder}"
N=${1:-200000}
K=${2:-4}
P=${3:-20000}
DURATION=${DURATION:-15}
ROUNDS=${ROUNDS:-2}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
if [[ -z ${LARCH_BIN:-} ]]; then
  cargo build --release -q
  LARCH_BIN=./target/release/larch
fi
LARCH_BIN=$(realpath "$LARCH_BIN")
HERE=$(pwd)/benches/archive
WORK=$(mktemp -d "${ARCHIVE_TMP:-/tmp}/larch-archive.XXXXXX")
PORT=${PORT:-18081}
PID=""
stop_server() {
  if [[ -n $PID ]]; then
    kill "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
    PID=""
  fi
}
cleanup() {
  stop_server
  if declare -F peer_pi_stop >/dev/null; then peer_pi_stop || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
SRC="$LARCH_CORPORA/mbox/linux-mips-2019-2026.mbox.gz"
REPORT="$WORK/report.md"
say() { echo "$@" | tee -a "$REPORT"; }
mb() { awk -v b="$1" 'BEGIN {printf "%.0f MB", b / 1048576}'; }
# Seconds and peak RSS (KB) of a command, from GNU time.
timed() { /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >/dev/null 2>&1; cat "$WORK/time"; }
# Peak RSS counts the pages of files the process maps (tantivy maps its index), which the
# kernel evicts under pressure like any page cache; the private (anonymous) part is what
# the process itself holds. Samples it every 0.1 s until PID exits, then writes its peak
# in KB to FILE.
sample_anon() {
  local pid=$1 file=$2 peak=0 kb
  while kb=$(awk '/^RssAnon:/ {print $2}' "/proc/$pid/status" 2>/dev/null) && [[ -n $kb ]]; do
    ((kb > peak)) && peak=$kb
    echo "$peak" >"$file"
    sleep 0.1
  done
}
# `timed`, then the peak private memory (KB): "seconds peak-rss-kb peak-anon-kb".
timed_anon() {
  /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >/dev/null 2>&1 &
  local tpid=$! cpid=""
  echo 0 >"$WORK/anon"
  for _ in $(seq 100); do cpid=$(pgrep -P "$tpid" | head -1) && [[ -n $cpid ]] && break; sleep 0.01; done
  [[ -n $cpid ]] && sample_anon "$cpid" "$WORK/anon" &
  local spid=$!
  wait "$tpid" || true
  wait "$spid" 2>/dev/null || true
  echo "$(cat "$WORK/time") $(cat "$WORK/anon")"
}
rate() { awk -v n="$1" -v s="$2" 'BEGIN {printf "%.0f", n / s}'; }

# Starts larch serve on DATA with the page cache on (1) or off (0), waits for it to answer.
larch_serve() {
  LARCH_PAGE_CACHE=$2 "$LARCH_BIN" --data "$1" serve --listen 127.0.0.1:$PORT 2>/dev/null &
  PID=$!
  for _ in $(seq 300); do curl -sf -o /dev/null http://127.0.0.1:$PORT/healthz && return; sleep 0.1; done
  echo "larch serve did not answer" >&2
  exit 1
}

# wrk on the paths in FILE against PORT: prints "req/s p50 p99 RSS-MB" of server pid SPID.
# A mix that answers errors measures error pages: stop rather than print it.
mix() {
  local file=$1 port=$2 spid=$3 out
  out=$(PATHS="$file" wrk -t2 -c16 -d"${DURATION}s" --latency -s "$HERE/mix.lua" "http://127.0.0.1:$port")
  if grep -q 'Non-2xx or 3xx responses' <<<"$out"; then
    echo "$(grep 'Non-2xx or 3xx responses' <<<"$out") in the mix $file on port $port" >&2
    exit 1
  fi
  echo "$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out") $(awk '$1=="50%" {print $2}' <<<"$out") \
$(awk '$1=="99%" {print $2}' <<<"$out") $(awk '/VmRSS/ {printf "%.0f", $2/1024}' /proc/"$spid"/status)"
}
peak_mb() { awk '/VmHWM/ {printf "%.0f", $2/1024}' /proc/"$1"/status; }

say ""
say "## Archive scale: $N messages, $K lists ($(date -u +%Y-%m-%d))"
say ""
say "\`LARCH_CORPORA=../shared/corpora benches/archive.sh $N $K $P\`; $(nproc) cores \
($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), \
$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); larch $(git rev-parse --short HEAD 2>/dev/null || echo '?'), \
release build; corpus: \`larch gen\` replaying linux-mips-2019-2026 (each replay with its own \
Message-IDs and earlier dates). wrk: 2 threads, 16 connections, ${DURATION} s per mix, on the same \
2 cores as the server."
say ""

"$LARCH_BIN" gen --from "$SRC" --messages "$N" --lists "$K" --out "$WORK/gen" >/dev/null
RAW=$(du -cb "$WORK"/gen/*.mbox | awk 'END {print $1}')
DATA="$WORK/data"
import_s=0
import_rss=0
import_anon=0
for f in "$WORK"/gen/*.mbox; do
  name=$(basename "$f" .mbox)
  read -r s kb anon < <(timed_anon "$LARCH_BIN" --data "$DATA" import --list "$name" "$f")
  rm -f "$f" # the raw mail and the store side by side would not fit the disk at 1M
  import_s=$(echo "$import_s + $s" | bc)
  ((kb > import_rss)) && import_rss=$kb
  ((anon > import_anon)) && import_anon=$anon
done
# The import indexed as it went; a rebuild from the store alone is measured too.
read -r index_s index_rss index_anon < <(timed_anon "$LARCH_BIN" --data "$DATA" reindex)
STORE=$(du -cb "$DATA"/larch.db* | awk 'END {print $1}')
INDEX=$(du -sb "$DATA"/search 2>/dev/null | awk '{print $1}')
start_ns=$(date +%s%N)
"$LARCH_BIN" --data "$DATA" serve --listen 127.0.0.1:$PORT 2>/dev/null &
PID=$!
until curl -sf -o /dev/null http://127.0.0.1:$PORT/; do sleep 0.01; done
first_byte_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
stop_server

say "| import and index | figure |"
say "|---|---|"
say "| raw mail (mbox) | $(mb "$RAW") |"
say "| import, indexing as it goes (\`larch import\`, list by list): until everything is searchable | $(printf '%.1f' "$import_s") s, **$(rate "$N" "$import_s") msg/s** end to end, peak RSS $((import_rss / 1024)) MB, of which private $((import_anon / 1024)) MB |"
say "| index rebuild from the store (\`larch reindex\`) | ${index_s} s, **$(rate "$N" "$index_s") docs/s**, peak RSS $((index_rss / 1024)) MB, of which private $((index_anon / 1024)) MB |"
say "| store + index | $(mb "$STORE") + $(mb "${INDEX:-0}") = **$(awk -v s="$STORE" -v i="${INDEX:-0}" -v r="$RAW" 'BEGIN {printf "%.2f", (s + i) / r}') × raw** |"
say "| server start to first byte of / | $first_byte_ms ms |"

mkdir -p "$WORK/mix"
python3 "$HERE/paths.py" "$DATA/larch.db" "$WORK/mix"
for cache in 0 1; do
  larch_serve "$DATA" "$cache"
  sample_anon "$PID" "$WORK/srv-anon" &
  say ""
  say "Page cache $([[ $cache == 1 ]] && echo "on (each mix runs twice; the second run is shown, served from memory where the cache holds it)" || echo "off: every request renders")."
  say ""
  say "| mix | distinct pages | req/s | p50 | p99 | server RSS after |"
  say "|---|---|---|---|---|---|"
  for kind in message thread month index search; do
    [[ $cache == 1 ]] && mix "$WORK/mix/$kind.paths" $PORT $PID >/dev/null
    read -r rps p50 p99 rss < <(mix "$WORK/mix/$kind.paths" $PORT $PID)
    say "| $kind | $(wc -l <"$WORK/mix/$kind.paths") | $rps | $p50 | $p99 | $rss MB |"
  done
  say ""
  say "Peak server RSS over the mixes: **$(peak_mb $PID) MB**, of which private \
$(awk '{printf "%.0f", $1 / 1024}' "$WORK/srv-anon") MB (the rest maps the index and store files)."
  stop_server
done
rm -rf "$DATA"

if ((P > 0)); then
  # shellcheck source=benches/peers.sh
  source "$HERE/../peers.sh"
  "$LARCH_BIN" gen --from "$SRC" --messages "$P" --lists 1 --out "$WORK/peer-gen" >/dev/null
  PMBOX="$WORK/peer-gen/gen-1.mbox"
  PRAW=$(stat -c %s "$PMBOX")
  declare -a l_imp l_rss pi_imp pi_rss mh_imp mh_rss
  for r in $(seq "$ROUNDS"); do
    rm -rf "$WORK/p-larch" "$WORK/p-pi" "$WORK/p-mh" "$WORK/pi.config"
    read -r s kb < <(timed "$LARCH_BIN" --data "$WORK/p-larch" import --list gen-1 "$PMBOX")
    l_imp+=("$s"); l_rss+=("$((kb / 1024))")
    read -r s kb pdisk < <(peer_pi_import gen-1 "$PMBOX" "$WORK/p-pi" "$WORK/pi.config")
    pi_imp+=("$s"); pi_rss+=("$((kb / 1024))")
    read -r s kb mdisk < <(peer_mhonarc_import "$PMBOX" "$WORK/p-mh")
    mh_imp+=("$s"); mh_rss+=("$((kb / 1024))")
  done
  LDISK=$(du -cb "$WORK"/p-larch/larch.db* "$WORK"/p-larch/search | awk 'END {print $1}')
  # Median of the rounds (the lower middle one for an even count).
  med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
  l_tot=("${l_imp[@]}")
  lt=$(med "${l_tot[@]}"); pt=$(med "${pi_imp[@]}"); mt=$(med "${mh_imp[@]}")
  say ""
  say "### Side by side: the first $P messages as one list ($(mb "$PRAW") of mbox)"
  say ""
  say "Import rounds alternate larch, public-inbox, MHonArc ($ROUNDS rounds, medians; every round: $(IFS=/; echo "${l_tot[*]}") s larch, $(IFS=/; echo "${pi_imp[*]}") s public-inbox, $(IFS=/; echo "${mh_imp[*]}") s MHonArc)."
  say ""
  say "| | larch | public-inbox 1.9 (v2, Xapian) | MHonArc 2.6 | larch vs public-inbox |"
  say "|---|---|---|---|---|"
  say "| import + index (until searchable) | $lt s, $(rate "$P" "$lt") msg/s | $pt s, $(rate "$P" "$pt") msg/s | $mt s, $(rate "$P" "$mt") msg/s (no search) | **$(awk -v a="$pt" -v b="$lt" 'BEGIN {printf "%.1f", a / b}') × faster** |"
  say "| peak RSS while importing | $(med "${l_rss[@]}") MB | $(med "${pi_rss[@]}") MB | $(med "${mh_rss[@]}") MB | |"
  say "| disk | $(mb "$LDISK") ($(awk -v a="$LDISK" -v r="$PRAW" 'BEGIN {printf "%.2f", a / r}') × raw) | $(mb "$pdisk") ($(awk -v a="$pdisk" -v r="$PRAW" 'BEGIN {printf "%.2f", a / r}') × raw) | $(mb "$mdisk") ($(awk -v a="$mdisk" -v r="$PRAW" 'BEGIN {printf "%.2f", a / r}') × raw) | **$(awk -v a="$pdisk" -v b="$LDISK" 'BEGIN {printf "%.1f", a / b}') × smaller** |"
  rm -rf "$WORK/p-mh"

  # The same pages in each archiver's own URLs: larch's from its store, public-inbox's from
  # the same Message-IDs and words.
  mkdir -p "$WORK/pmix"
  python3 "$HERE/paths.py" "$WORK/p-larch/larch.db" "$WORK/pmix" gen-1
  for kind in message thread; do
    while read -r mid; do peer_pi_path "$kind" gen-1 "$mid"; done <"$WORK/pmix/$kind.msgids" >"$WORK/pmix/$kind.pi"
  done
  while read -r q; do peer_pi_path search gen-1 "$q"; done <"$WORK/pmix/search.words" >"$WORK/pmix/search.pi"
  peer_pi_path index gen-1 >"$WORK/pmix/index.pi"
  say ""
  say "Pages, larch with the page cache off (every request renders, as public-inbox does), mixes alternating between the two servers (req/s, p50 / p99):"
  say ""
  say "| mix | distinct pages | larch | public-inbox-httpd | larch vs public-inbox (req/s) |"
  say "|---|---|---|---|---|"
  larch_serve "$WORK/p-larch" 0
  peer_pi_serve "$WORK/pi.config" $((PORT + 1))
  # public-inbox answers a search without hits with a 404 (its query parser and stemming
  # differ from larch's): such searches leave both lists, so both servers run the same ones.
  paste -d '\t' "$WORK/pmix/search.paths" "$WORK/pmix/search.pi" | while IFS=$'\t' read -r l p; do
    if [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$((PORT + 1))$p") == 200 ]]; then
      echo "$l" >&3
      echo "$p"
    fi
  done >"$WORK/pmix/search.pi.ok" 3>"$WORK/pmix/search.paths.ok"
  mv "$WORK/pmix/search.pi.ok" "$WORK/pmix/search.pi"
  mv "$WORK/pmix/search.paths.ok" "$WORK/pmix/search.paths"
  for kind in message thread index search; do
    read -r lr l50 l99 _ < <(mix "$WORK/pmix/$kind.paths" $PORT $PID)
    read -r pr p50 p99 _ < <(mix "$WORK/pmix/$kind.pi" $((PORT + 1)) "$PI_PID")
    say "| $kind | $(wc -l <"$WORK/pmix/$kind.paths") | $lr req/s, $l50 / $l99 | $pr req/s, $p50 / $p99 | **$(awk -v a="$lr" -v b="$pr" 'BEGIN {printf "%.1f", a / b}') ×** |"
  done
  say ""
  say "Server memory after these mixes: larch $(awk '/VmRSS/ {printf "%.0f", $2/1024}' /proc/$PID/status) MB (peak $(peak_mb $PID) MB), public-inbox-httpd with its git helpers $(( $(peer_pi_rss) / 1024 )) MB."
  stop_server
  peer_pi_stop
fi

if [[ -z ${ARCHIVE_NO_WRITE:-} ]]; then
  cat "$REPORT" >>BENCHMARKS.md
  echo "(appended to BENCHMARKS.md)" >&2
fi
