//! Bigger archives from the same real mail, for the benchmarks that need a list larger than
//! any corpus: a replay of an mbox by `larch gen`'s generator, whose Message-IDs (and the
//! replies' references to them) get the replay's own suffix, so every copy is new mail with
//! the same text, threads and dates.

use std::path::Path;

/// Writes `src` (gzipped mbox) to `dst` as copy `k`, same dates.
pub fn write_copy(src: &Path, dst: &Path, k: usize) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(dst).unwrap());
    larch::cli::scale::replay(src, &mut out, k as u64, 0, u64::MAX).unwrap();
    std::io::Write::flush(&mut out).unwrap();
}
