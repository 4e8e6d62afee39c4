#!/usr/bin/env bash
# Mutation testing of the threading code and the query language against their own unit
# tests, with cargo-mutants (`cargo install cargo-mutants --locked`). Not part of CI: it
# takes about half an hour on two cores, most of it in mutants that loop until the timeout.
#
# Both modules are leaves (they import nothing from the rest of larch), so they are copied
# at REV into a scratch crate and mutated there: every mutant then rebuilds two files, not
# the whole server, which makes a full run practical.
#   usage: contrib/mutants.sh [REV] [OUT]    (REV defaults to HEAD, OUT to ./mutants-REV)
set -euo pipefail
cd "$(dirname "$0")/.."
REV=${1:-HEAD}
OUT=${2:-$PWD/mutants-$(git rev-parse --short "$REV")}
command -v cargo-mutants >/dev/null || { echo "cargo-mutants is not installed" >&2; exit 1; }
CRATE=$(mktemp -d)
trap 'rm -rf "$CRATE"' EXIT
mkdir -p "$CRATE/src"
git show "$REV:src/domain/thread.rs" > "$CRATE/src/thread.rs"
git show "$REV:src/search/query.rs" > "$CRATE/src/query.rs"
git show "$REV:src/test_util.rs" > "$CRATE/src/test_util.rs"
chrono=$(grep -m1 '^chrono' Cargo.toml)
cat > "$CRATE/Cargo.toml" <<TOML
[package]
name = "larch-leaves"
version = "0.0.0"
edition = "2024"
rust-version = "1.95"

[dependencies]
$chrono

[workspace]
TOML
cat > "$CRATE/src/lib.rs" <<'RS'
pub mod query;
pub mod thread;
#[cfg(test)]
mod test_util;
RS
cp Cargo.lock "$CRATE/Cargo.lock"
(cd "$CRATE" && cargo test -q --offline 2>&1 | grep -E '^test result' || true)
cargo mutants --dir "$CRATE" --output "$OUT" --timeout 20 -- --offline || true
for f in caught missed timeout unviable; do
  printf '%-9s %s\n' "$f" "$(grep -c . "$OUT/mutants.out/$f.txt" 2>/dev/null || echo 0)"
done
