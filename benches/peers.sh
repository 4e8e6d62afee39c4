# shellcheck shell=bash
# Peer archivers for the archive-scale benchmark: runs public-inbox (v2 inbox, full Xapian
# index, served by public-inbox-httpd) and MHonArc (static HTML) on the same mbox as larch,
# so that benches/archive.sh can print them side by side. Sourced, not run:
#   source "$(dirname "$0")/peers.sh"
# Every function prints its result on stdout and nothing else; diagnostics go to stderr.
# A missing tool or a failed step prints a message and returns non-zero. The code is safe
# under `set -euo pipefail`.
#
#   peer_pi_import NAME MBOX DIR [CONFIG]
#       New public-inbox v2 inbox in DIR for list NAME (NAME@example.org,
#       http://127.0.0.1/NAME, indexlevel full), then every message of MBOX (uncompressed
#       mboxrd) imported and indexed. The inbox is registered in the public-inbox config
#       file CONFIG, by default DIR/../public-inbox.config, so inboxes made side by side
#       share one file and one server. Prints `SECONDS PEAK_RSS_KB DISK_BYTES`.
#   peer_pi_serve CONFIG PORT
#       Starts public-inbox-httpd on 127.0.0.1:PORT for the inboxes of CONFIG, sets PI_PID
#       and returns once it answers HTTP.
#   peer_pi_rss
#       Prints the resident memory (KB) of the server and of its git helpers together.
#   peer_pi_stop
#       Stops that server.
#   peer_pi_path message|thread NAME MSGID / search NAME "WORDS" / index NAME
#       Prints the path public-inbox serves for a message page, a whole-thread page, a
#       search or the inbox front page. MSGID is given without angle brackets.
#   peer_mhonarc_import MBOX DIR [MHONARC_OPTION...]
#       Converts MBOX to a MHonArc archive in DIR (date and thread indexes).
#       Prints `SECONDS PEAK_RSS_KB DISK_BYTES`.
#
# SECONDS and PEAK_RSS_KB come from GNU time (/usr/bin/time -f "%e %M"). %M is the largest
# resident set of any single process in the command's tree of waited-for children, not a
# sum: public-inbox runs git fast-import and a Xapian shard worker next to its main perl
# process, and only the largest of them is reported. DISK_BYTES is `du -sb DIR`.
#
# The public-inbox import is the library's own bulk path (InboxWritable::import_mbox, as in
# its scripts/import_vger_from_mbox) without a list filter, so every message is kept as
# sent. On a v2 inbox it writes git, the overview database and the Xapian index in one
# pass: when it returns the inbox is fully searchable and no public-inbox-index run is
# needed. It runs with fsync off, the speed option public-inbox documents for a first
# index (`public-inbox-index --no-fsync`); PEER_PI_FSYNC=1 keeps fsync on. The timing
# covers public-inbox-init as well as the import: an archive made from nothing.

PI_PID=${PI_PID:-}

# Prints the error and fails.
_peer_die() { echo "peers.sh: $*" >&2; return 1; }

# Fails unless every named command exists.
_peer_need() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || _peer_die "$c is not installed" || return 1
  done
}

# Runs a command under GNU time, its stdout sent to stderr, and prints
# `SECONDS PEAK_RSS_KB DISK_BYTES` with DISK_BYTES measured on DIR:
#   _peer_timed WHAT DIR CMD...   (WHAT names the step in an error)
_peer_timed() {
  local what=$1 dir=$2 tf rc=0 s kb bytes
  shift 2
  [[ -x /usr/bin/time ]] || _peer_die "GNU time (/usr/bin/time) is not installed" || return 1
  tf=$(mktemp) || return 1
  /usr/bin/time -f "%e %M" -o "$tf" "$@" >&2 || rc=$?
  if ((rc != 0)); then
    rm -f "$tf"
    _peer_die "$what failed (status $rc)" || return 1
  fi
  # GNU time may write a notice before its format line: the figures are on the last line.
  read -r s kb < <(tail -n 1 "$tf")
  rm -f "$tf"
  bytes=$(du -sb "$dir" | cut -f1) || return 1
  echo "$s $kb $bytes"
}

# Percent-encodes STRING, keeping the bytes listed in SAFE: _peer_escape STRING SAFE
_peer_escape() {
  local LC_ALL=C
  local s=$1 safe=$2 out='' c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    if [[ $safe == *"$c"* ]]; then
      out+=$c
    else
      printf -v c '%%%02X' "'$c"
      out+=$c
    fi
  done
  printf '%s' "$out"
}

# The import itself, run by perl with the public-inbox library: ARGV is NAME MBOX, the
# inbox NAME being already created and configured in $PI_CONFIG.
_peer_pi_import_pl() {
  cat <<'PERL'
use strict;
use v5.10.1;
use PublicInbox::Config;
use PublicInbox::InboxWritable;
my ($name, $mbox) = @ARGV;
my $cfg = PublicInbox::Config->new;
my $ibx = $cfg->lookup_name($name) or die "inbox $name is not in $ENV{PI_CONFIG}\n";
$ibx->version == 2 or die "inbox $name is not a v2 inbox\n";
($ibx->{indexlevel} // 'full') eq 'full' or die "inbox $name is not indexed in full\n";
$ibx = PublicInbox::InboxWritable->new($ibx);
$ibx->{-no_fsync} = 1 unless $ENV{PEER_PI_FSYNC};
open(my $fh, '<', $mbox) or die "open $mbox: $!\n";
$ibx->import_mbox($fh, 'mboxrd');
PERL
}

# Prints the number of messages in the v2 inbox at DIR: _peer_pi_count DIR
_peer_pi_count() {
  # shellcheck disable=SC2016 # perl code
  perl -MDBI -e '
    my $db = DBI->connect("dbi:SQLite:dbname=$ARGV[0]", "", "", { RaiseError => 1 });
    print $db->selectrow_array("SELECT COUNT(*) FROM over WHERE num > 0")' \
    "$1/xap15/over.sqlite3" 2>/dev/null
}

peer_pi_import() {
  (($# == 3 || $# == 4)) || _peer_die "usage: peer_pi_import NAME MBOX DIR [CONFIG]" || return 1
  local name=$1 mbox=$2 dir=$3 config=${4:-}
  _peer_need perl git public-inbox-init || return 1
  perl -MPublicInbox::InboxWritable -MSearch::Xapian -MDBD::SQLite -e 1 2>/dev/null ||
    _peer_die "the public-inbox perl library, Search::Xapian or DBD::SQLite is missing" || return 1
  [[ -f $mbox && -r $mbox ]] || _peer_die "no mbox at $mbox" || return 1
  [[ ! -e $dir ]] || _peer_die "$dir exists: public-inbox needs a new directory" || return 1
  mkdir -p "$(dirname "$dir")" || return 1
  dir=$(cd "$(dirname "$dir")" && pwd)/$(basename "$dir")
  [[ -n $config ]] || config=$(dirname "$dir")/public-inbox.config
  local want got prog
  prog=$(_peer_pi_import_pl)
  # mboxrd escapes "From " at the start of body lines, so this counts messages exactly.
  want=$(grep -c '^From ' "$mbox") || _peer_die "no messages in $mbox" || return 1
  # shellcheck disable=SC2016 # the positional parameters belong to the inner bash
  PI_CONFIG=$config _peer_timed "public-inbox import of $mbox" "$dir" bash -c \
    'public-inbox-init -V2 -L full "$1" "$2" "$3" "$4" && exec perl -e "$5" "$1" "$6"' \
    peer_pi_import "$name" "$dir" "http://127.0.0.1/$name" "$name@example.org" "$prog" "$mbox" ||
    return 1
  # public-inbox keeps one copy of a message sent twice (same Message-ID, same content):
  # say so when the inbox holds fewer messages than the mbox.
  got=$(_peer_pi_count "$dir") || got='?'
  [[ $got == "$want" ]] || echo "peers.sh: public-inbox holds $got of the $want messages of $mbox" >&2
}

peer_pi_serve() {
  (($# == 2)) || _peer_die "usage: peer_pi_serve CONFIG PORT" || return 1
  local config=$1 port=$2 i
  _peer_need public-inbox-httpd curl || return 1
  [[ -f $config ]] || _peer_die "no public-inbox config at $config" || return 1
  [[ -z $PI_PID ]] || _peer_die "public-inbox-httpd already runs as $PI_PID" || return 1
  # -W0: no master/worker split, so PI_PID is the process that answers requests (git
  # cat-file helpers it spawns to read messages are its children, see peer_pi_rss).
  PI_CONFIG=$config public-inbox-httpd -W0 -l "127.0.0.1:$port" >/dev/null &
  PI_PID=$!
  for ((i = 0; i < 300; i++)); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0
    if ! kill -0 "$PI_PID" 2>/dev/null; then
      wait "$PI_PID" 2>/dev/null || true
      PI_PID=''
      _peer_die "public-inbox-httpd exited before answering on port $port" || return 1
    fi
    sleep 0.1
  done
  peer_pi_stop
  _peer_die "public-inbox-httpd did not answer on port $port within 30 s"
}

peer_pi_rss() {
  [[ -n $PI_PID ]] || _peer_die "public-inbox-httpd is not running" || return 1
  local -a pids
  local p kb total=0
  mapfile -t pids < <(echo "$PI_PID"; pgrep -P "$PI_PID" || true)
  for p in "${pids[@]}"; do
    kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null) || kb=0
    total=$((total + ${kb:-0}))
  done
  echo "$total"
}

peer_pi_stop() {
  [[ -n $PI_PID ]] || return 0
  kill "$PI_PID" 2>/dev/null || true
  wait "$PI_PID" 2>/dev/null || true
  PI_PID=''
}

peer_pi_path() {
  local kind=${1:-} name=${2:-}
  [[ -n $name ]] || _peer_die "usage: peer_pi_path KIND NAME [MSGID|WORDS]" || return 1
  # public-inbox's own escaping of Message-IDs in links (PublicInbox::MID::mid_escape,
  # RFC 3986 pchar) and of a search box query (form encoding: space as +).
  local mid_safe="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!\$&'()*+,;=:@"
  local q_safe="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
  local n mid q
  n=$(_peer_escape "$name" "$mid_safe")
  case $kind in
    index)
      echo "/$n/" ;;
    message | thread)
      [[ -n ${3:-} ]] || _peer_die "peer_pi_path $kind needs a Message-ID" || return 1
      mid=${3#<}
      mid=$(_peer_escape "${mid%>}" "$mid_safe")
      if [[ $kind == message ]]; then echo "/$n/$mid/"; else echo "/$n/$mid/T/"; fi ;;
    search)
      [[ -n ${3:-} ]] || _peer_die "peer_pi_path search needs words" || return 1
      q=$(_peer_escape "$3" "$q_safe ")
      echo "/$n/?q=${q// /+}" ;;
    *)
      _peer_die "peer_pi_path: unknown kind '$kind' (message, thread, search, index)" ;;
  esac
}

peer_mhonarc_import() {
  (($# >= 2)) || _peer_die "usage: peer_mhonarc_import MBOX DIR [MHONARC_OPTION...]" || return 1
  local mbox=$1 dir=$2
  shift 2
  _peer_need mhonarc || return 1
  [[ -f $mbox && -r $mbox ]] || _peer_die "no mbox at $mbox" || return 1
  [[ ! -e $dir ]] || _peer_die "$dir exists: MHonArc would add to it" || return 1
  local want got
  want=$(grep -c '^From ' "$mbox") || _peer_die "no messages in $mbox" || return 1
  mkdir -p "$dir" || return 1
  # The defaults make the date index (maillist.html) and the thread index (threads.html),
  # each on one page (options such as -multipg -idxsize 1000 split them); -quiet only
  # silences the progress lines.
  _peer_timed "mhonarc on $mbox" "$dir" mhonarc -quiet -outdir "$dir" "$@" "$mbox" || return 1
  # MHonArc too skips a message whose Message-ID it already has.
  got=$(find "$dir" -maxdepth 1 -name 'msg*.html' | wc -l)
  ((got == want)) || echo "peers.sh: MHonArc made $got pages for the $want messages of $mbox" >&2
}
