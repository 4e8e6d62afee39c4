//! Bigger archives from the same real mail, for the benchmarks that need a list larger than
//! any corpus: a copy of an mbox whose Message-IDs (and the replies' references to them)
//! get their own suffix, so every copy is new mail with the same text, threads and dates.

use std::path::Path;

/// Writes `src` (gzipped mbox) to `dst` with every Message-ID in the id headers of each
/// message made unique to copy `k` (`<a@b>` becomes `<a.ck@b>`).
pub fn write_copy(src: &Path, dst: &Path, k: usize) {
    use std::io::{BufRead, BufReader, BufWriter, Write};
    let input = BufReader::new(flate2::read::GzDecoder::new(
        std::fs::File::open(src).unwrap(),
    ));
    let mut out = BufWriter::new(std::fs::File::create(dst).unwrap());
    let mut in_headers = false;
    let mut in_id_header = false;
    let suffix = format!(".c{k}@");
    for line in input.split(b'\n') {
        let line = line.unwrap();
        if line.starts_with(b"From ") && !in_headers {
            in_headers = true;
        } else if in_headers && (line.is_empty() || line == b"\r") {
            in_headers = false;
            in_id_header = false;
        } else if in_headers {
            let folded = line.first().is_some_and(|b| *b == b' ' || *b == b'\t');
            if !folded {
                let lower = line.to_ascii_lowercase();
                in_id_header = lower.starts_with(b"message-id:")
                    || lower.starts_with(b"in-reply-to:")
                    || lower.starts_with(b"references:");
            }
            if in_id_header {
                let mut rewritten = Vec::with_capacity(line.len() + 16);
                let mut inside = false;
                for &b in &line {
                    match b {
                        b'<' => inside = true,
                        b'>' => inside = false,
                        b'@' if inside => {
                            rewritten.extend_from_slice(suffix.as_bytes());
                            continue;
                        }
                        _ => {}
                    }
                    rewritten.push(b);
                }
                out.write_all(&rewritten).unwrap();
                out.write_all(b"\n").unwrap();
                continue;
            }
        }
        out.write_all(&line).unwrap();
        out.write_all(b"\n").unwrap();
    }
    out.flush().unwrap();
}
