//! `larch gen`: archives larger than any corpus at hand, for measuring larch at the sizes
//! that matter (a million messages and more) on real mail. The source mbox is replayed as
//! many times as needed: each replay is new mail (every Message-ID, and the replies'
//! references to it, gets the replay's own suffix, so threads stay whole within a replay and
//! never join another), the replays go to several lists in turn, and each list's later
//! replays are dated further back, whole weeks at a time, so that a list reads as decades of
//! the same traffic. Sizes, charsets, attachments and thread shapes are the source's own.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::domain::envelope::mboxrd_quotes;
use crate::ingest::mbox::MboxReader;

/// What to generate.
pub struct Plan {
    pub from: PathBuf,
    pub messages: u64,
    pub lists: usize,
    pub out: PathBuf,
    pub gzip: bool,
}

/// Opens a source mbox, plain or gzipped.
fn open(p: &Path) -> anyhow::Result<Box<dyn BufRead>> {
    let f = std::fs::File::open(p).with_context(|| format!("open {}", p.display()))?;
    let mut r = BufReader::with_capacity(256 * 1024, f);
    let gz = r.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    Ok(if gz {
        Box::new(BufReader::with_capacity(
            256 * 1024,
            flate2::read::MultiGzDecoder::new(r),
        ))
    } else {
        Box::new(r)
    })
}

/// The `Date:` header's instant, when it reads as RFC 2822 (a trailing `(PST)` comment
/// aside).
fn header_date(value: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    let v = value.trim();
    let v = match v.rfind('(') {
        Some(i) if v.ends_with(')') => v[..i].trim_end(),
        _ => v,
    };
    chrono::DateTime::parse_from_rfc2822(v).ok()
}

/// The source's message count and the weeks its dates span (at least one).
fn survey(p: &Path) -> anyhow::Result<(u64, i64)> {
    let (mut n, mut lo, mut hi) = (0u64, i64::MAX, i64::MIN);
    for m in MboxReader::new(open(p)?) {
        let m = m.with_context(|| format!("read {}", p.display()))?;
        n += 1;
        for line in headers(&m.data) {
            if let Some(v) = header_value(line, b"date:")
                && let Some(d) = header_date(&String::from_utf8_lossy(v))
            {
                lo = lo.min(d.timestamp());
                hi = hi.max(d.timestamp());
            }
        }
    }
    let weeks = if hi > lo {
        (hi - lo) / (7 * 86_400) + 1
    } else {
        1
    };
    Ok((n, weeks))
}

/// The lines of a message's header block (line endings kept).
fn headers(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    data.split_inclusive(|&b| b == b'\n')
        .take_while(|l| !(l == b"\n" || l == b"\r\n"))
}

/// The value of a header line named `name` (lowercase, with its colon).
fn header_value<'a>(line: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    (line.len() >= name.len() && line[..name.len()].eq_ignore_ascii_case(name))
        .then(|| &line[name.len()..])
}

/// One message of replay `copy`: its id headers' Message-IDs made the replay's own
/// (`<a@b>` becomes `<a.gCOPY@b>`) and its date moved back by `shift` seconds. The body is
/// untouched.
pub fn rewrite(data: &[u8], copy: u64, shift: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 64);
    let suffix = format!(".g{copy}@");
    let mut in_id_header = false;
    let mut rest = data;
    loop {
        let Some(end) = rest.iter().position(|&b| b == b'\n') else {
            out.extend_from_slice(rest);
            return out;
        };
        let line = &rest[..=end];
        rest = &rest[end + 1..];
        if line == b"\n" || line == b"\r\n" {
            out.extend_from_slice(line);
            out.extend_from_slice(rest);
            return out;
        }
        let folded = line.first().is_some_and(|b| *b == b' ' || *b == b'\t');
        if !folded {
            in_id_header = [&b"message-id:"[..], b"in-reply-to:", b"references:"]
                .iter()
                .any(|n| header_value(line, n).is_some());
            if let Some(v) = header_value(line, b"date:")
                && let Some(d) = header_date(&String::from_utf8_lossy(v))
                && let Some(moved) = d.checked_sub_signed(chrono::TimeDelta::seconds(shift))
            {
                let eol: &[u8] = if line.ends_with(b"\r\n") {
                    b"\r\n"
                } else {
                    b"\n"
                };
                out.extend_from_slice(format!("Date: {}", moved.to_rfc2822()).as_bytes());
                out.extend_from_slice(eol);
                continue;
            }
        }
        if in_id_header {
            let mut inside = false;
            for &b in line {
                match b {
                    b'<' => inside = true,
                    b'>' => inside = false,
                    b'@' if inside => {
                        out.extend_from_slice(suffix.as_bytes());
                        continue;
                    }
                    _ => {}
                }
                out.push(b);
            }
        } else {
            out.extend_from_slice(line);
        }
    }
}

/// Writes replay `copy` of the mbox at `from` to `out` as mboxrd, dated `shift` seconds
/// earlier, at most `budget` messages; returns how many it wrote.
pub fn replay(
    from: &Path,
    out: &mut dyn Write,
    copy: u64,
    shift: i64,
    budget: u64,
) -> anyhow::Result<u64> {
    let mut n = 0;
    for m in MboxReader::new(open(from)?) {
        if n == budget {
            break;
        }
        let m = m.with_context(|| format!("read {}", from.display()))?;
        let data = rewrite(&m.data, copy, shift);
        out.write_all(b"From mboxrd@z Thu Jan  1 00:00:00 1970\n")?;
        for line in data.split_inclusive(|&b| b == b'\n') {
            if mboxrd_quotes(line) {
                out.write_all(b">")?;
            }
            out.write_all(line)?;
        }
        if !data.ends_with(b"\n") {
            out.write_all(b"\n")?;
        }
        out.write_all(b"\n")?;
        n += 1;
    }
    Ok(n)
}

/// Writes the archive: `OUT/gen-1.mbox` … `OUT/gen-K.mbox` (`.mbox.gz` with `gzip`), mboxrd.
/// Returns the messages written per list.
pub fn generate(plan: &Plan) -> anyhow::Result<Vec<u64>> {
    anyhow::ensure!(plan.lists >= 1, "at least one list");
    let (source_n, weeks) = survey(&plan.from)?;
    anyhow::ensure!(source_n > 0, "{} holds no messages", plan.from.display());
    std::fs::create_dir_all(&plan.out).with_context(|| format!("create {}", plan.out.display()))?;
    let mut files: Vec<Box<dyn Write>> = Vec::new();
    for i in 1..=plan.lists {
        let name = if plan.gzip {
            format!("gen-{i}.mbox.gz")
        } else {
            format!("gen-{i}.mbox")
        };
        let path = plan.out.join(name);
        let f = BufWriter::with_capacity(
            256 * 1024,
            std::fs::File::create(&path).with_context(|| format!("create {}", path.display()))?,
        );
        files.push(if plan.gzip {
            Box::new(flate2::write::GzEncoder::new(
                f,
                flate2::Compression::fast(),
            ))
        } else {
            Box::new(f)
        });
    }
    let mut counts = vec![0u64; plan.lists];
    let mut written = 0u64;
    let mut copy = 0u64;
    while written < plan.messages {
        let list = (copy % plan.lists as u64) as usize;
        let shift = (copy / plan.lists as u64) as i64 * weeks * 7 * 86_400;
        let n = replay(
            &plan.from,
            &mut files[list],
            copy,
            shift,
            plan.messages - written,
        )?;
        counts[list] += n;
        written += n;
        copy += 1;
    }
    for f in &mut files {
        f.flush()?;
    }
    drop(files);
    Ok(counts)
}

/// Reads a whole (small) file: for tests of the generated mbox.
#[cfg(test)]
fn read_all(p: &Path) -> Vec<u8> {
    use std::io::Read;
    let mut v = Vec::new();
    open(p).unwrap().read_to_end(&mut v).unwrap();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_dates_are_the_replays_own() {
        let m = b"Message-ID: <a@b>\nIn-Reply-To: <r@b>\nReferences: <x@b>\n <r@b>\nDate: Tue, 2 Jan 2024 10:00:00 +0100 (CET)\nSubject: <s@t>\n\nbody <a@b>\n";
        let out = String::from_utf8(rewrite(m, 3, 7 * 86_400)).unwrap();
        assert!(out.contains("Message-ID: <a.g3@b>\n"), "{out}");
        assert!(out.contains("In-Reply-To: <r.g3@b>\n"), "{out}");
        assert!(out.contains("References: <x.g3@b>\n <r.g3@b>\n"), "{out}");
        assert!(
            out.contains("Date: Tue, 26 Dec 2023 10:00:00 +0100\n"),
            "{out}"
        );
        assert!(
            out.contains("Subject: <s@t>\n"),
            "only id headers change: {out}"
        );
        assert!(
            out.ends_with("\nbody <a@b>\n"),
            "the body is untouched: {out}"
        );
        // An unreadable date stays as it was.
        let odd = b"Date: sometime\n\nx";
        assert_eq!(rewrite(odd, 1, 99), odd.to_vec());
    }

    #[test]
    fn replays_fill_the_lists_in_turn() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src.mbox");
        std::fs::write(
            &src,
            "From a Mon Jan  1 00:00:00 2024\nMessage-ID: <1@x>\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n\n>From here\n\n\
             From a Mon Jan  1 00:00:00 2024\nMessage-ID: <2@x>\nIn-Reply-To: <1@x>\nDate: Mon, 8 Jan 2024 00:00:00 +0000\n\nok\n",
        )
        .unwrap();
        let plan = Plan {
            from: src,
            messages: 7,
            lists: 2,
            out: dir.path().join("out"),
            gzip: true,
        };
        assert_eq!(generate(&plan).unwrap(), vec![4, 3]);
        let one = String::from_utf8(read_all(&plan.out.join("gen-1.mbox.gz"))).unwrap();
        for id in ["<1.g0@x>", "<2.g0@x>", "<1.g2@x>", "<2.g2@x>"] {
            assert!(one.contains(id), "{id} in {one}");
        }
        // Two weeks of source: the list's second replay is two weeks earlier.
        assert!(
            one.contains("Date: Mon, 18 Dec 2023 00:00:00 +0000"),
            "{one}"
        );
        assert!(one.contains("\n>From here\n"), "mboxrd quoting: {one}");
        let two = String::from_utf8(read_all(&plan.out.join("gen-2.mbox.gz"))).unwrap();
        assert_eq!(two.matches("From mboxrd@z").count(), 3, "{two}");
        assert!(
            two.contains("<1.g3@x>") && !two.contains("<2.g3@x>"),
            "{two}"
        );
    }
}
