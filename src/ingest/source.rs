//! Finding the messages in whatever the admin points at: files and directories, mbox in
//! any dialect (optionally gzipped), maildirs (incl. Maildir++ folders), pipermail month
//! archives with their HTML pages, and directories of single message files. The format is
//! detected from content; the caller may force one.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::mbox::{MboxReader, is_envelope};
use super::{OVERSIZED_KEPT_BYTES, oversized_reason, pipermail};
use crate::domain::volume;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Format {
    #[default]
    Auto,
    Mbox,
    Maildir,
    Pipermail,
    /// One message per file.
    Message,
}

/// One message as cut from its source, before parsing.
pub struct RawItem {
    pub source: Arc<str>,
    pub offset: u64,
    pub data: Vec<u8>,
    pub envelope: Option<String>,
    pub pipermail: bool,
    /// pipermail's own article number and Message-ID for this position, from the HTML.
    pub html_slot: Option<pipermail::Slot>,
    /// The archive month (YYYY*100+MM) a pipermail month file files this message under.
    pub month: Option<i64>,
    /// The pipermail tree's `attachments/` folder, where the attachments its scrubbed notes
    /// name are read from.
    pub scrubbed: Option<pipermail::ScrubbedDir>,
    /// Set when the reader already knows the message cannot be stored (it is over the size
    /// limit, and `data` holds only its start): the reason to record.
    pub reject: Option<String>,
}

/// What the walker reports besides messages.
pub enum Event {
    Message(RawItem),
    /// A file that holds no mail (or could not be read), with the reason.
    Skipped(PathBuf, String),
    /// A pipermail month without HTML pages: numbers fall back to archive order.
    NumbersByPosition,
    /// An mbox message's `Content-Length` was contradicted by the file and ignored (logged
    /// with the file and offset).
    ContentLengthIgnored,
}

/// Per file, the ignored `Content-Length` headers logged one by one; the rest are counted.
const LOGGED_PER_FILE: u64 = 10;

/// Checks that every path can be read before anything is imported.
pub fn check_paths(paths: &[PathBuf]) -> Result<(), String> {
    for p in paths {
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => {
                std::fs::read_dir(p)
                    .map_err(|e| format!("cannot read directory {}: {e}", p.display()))?;
            }
            Ok(_) => {
                File::open(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            }
            Err(e) => return Err(format!("cannot read {}: {e}", p.display())),
        }
    }
    Ok(())
}

/// Walks all paths in order, calling `emit` for each event; stops early if `emit` says so.
/// Messages over `max_message_size` bytes come as rejects holding only their start.
pub fn walk(
    paths: &[PathBuf],
    format: Format,
    max_message_size: u64,
    emit: &mut dyn FnMut(Event) -> bool,
) {
    let how = How {
        format,
        max: max_message_size.max(1),
    };
    for p in paths {
        if !walk_path(p, how, emit) {
            return;
        }
    }
}

#[derive(Clone, Copy)]
struct How {
    format: Format,
    max: u64,
}

fn walk_path(p: &Path, how: How, emit: &mut dyn FnMut(Event) -> bool) -> bool {
    let meta = match std::fs::metadata(p) {
        Ok(m) => m,
        Err(e) => return emit(Event::Skipped(p.to_path_buf(), e.to_string())),
    };
    if meta.is_dir() {
        return walk_dir(p, how, emit);
    }
    read_file(p, how, emit)
}

/// pipermail volumes in date order (their names do not sort so), then everything else.
fn sort_key(p: &Path) -> (u8, i64, String) {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match volume::of_file(&name).and_then(|v| v.span()) {
        Some((start, _)) => (0, start, name),
        None => (1, 0, name),
    }
}

fn walk_dir(dir: &Path, how: How, emit: &mut dyn FnMut(Event) -> bool) -> bool {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => return emit(Event::Skipped(dir.to_path_buf(), e.to_string())),
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort_by_key(|p| sort_key(p));
    // A pipermail tree's `attachments/` folder is read with the messages that name its
    // files, not as mail.
    let holds_volumes = paths.first().is_some_and(|p| sort_key(p).0 == 0);
    let has_txt = |p: &Path| -> bool {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        name.strip_suffix(".gz")
            .is_some_and(|plain| dir.join(plain).is_file())
    };
    for p in &paths {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if p.is_dir() {
            // Maildir scratch space holds half-delivered files; pipermail month folders
            // are read along with their `.txt` archive.
            if name == "tmp"
                || (name == "attachments" && holds_volumes)
                || dir.join(format!("{name}.txt")).is_file()
                || dir.join(format!("{name}.txt.gz")).is_file()
            {
                continue;
            }
            if !walk_dir(p, how, emit) {
                return false;
            }
            continue;
        }
        if has_txt(p) && volume::of_file(&name).is_some() {
            continue; // `X.txt.gz` beside `X.txt`: the same volume twice.
        }
        if !read_file(p, how, emit) {
            return false;
        }
    }
    true
}

/// The file's content, decompressed when it is gzip; and its size when it is not.
fn open_maybe_gz(p: &Path) -> io::Result<(Box<dyn BufRead>, Option<u64>)> {
    let f = File::open(p)?;
    let size = f.metadata()?.len();
    let mut r = BufReader::with_capacity(256 * 1024, f);
    let gz = r.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    if gz {
        Ok((
            Box::new(BufReader::with_capacity(
                256 * 1024,
                flate2::read::MultiGzDecoder::new(r),
            )),
            None,
        ))
    } else {
        Ok((Box::new(r), Some(size)))
    }
}

#[derive(PartialEq)]
enum Kind {
    Mbox,
    Message,
    NotMail(&'static str),
}

fn sniff(head: &[u8], mail_name: bool) -> Kind {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let first = head.split(|&b| b == b'\n').next().unwrap_or(&[]);
    if is_envelope(first) || first.starts_with(b"From -") {
        return Kind::Mbox;
    }
    if head.is_empty() {
        return Kind::NotMail("empty file");
    }
    // A header line among the first few: a printable name (broken mail may have a space
    // in it), then a colon.
    let looks_header = |line: &[u8]| {
        line.iter().position(|&b| b == b':').is_some_and(|c| {
            c > 0 && c < 80 && line[..c].iter().all(|&b| b.is_ascii_graphic() || b == b' ')
        })
    };
    let lines = if mail_name { 5 } else { 1 };
    if head.split(|&b| b == b'\n').take(lines).any(looks_header) {
        Kind::Message
    } else if head.contains(&0) {
        Kind::NotMail("binary file")
    } else {
        Kind::NotMail("no mail headers")
    }
}

/// A reject for a message over the limit, keeping only its start.
fn oversized(source: Arc<str>, offset: u64, mut data: Vec<u8>, max: u64) -> Event {
    data.truncate(OVERSIZED_KEPT_BYTES);
    data.shrink_to_fit();
    Event::Message(RawItem {
        source,
        offset,
        data,
        envelope: None,
        pipermail: false,
        html_slot: None,
        month: None,
        scrubbed: None,
        reject: Some(oversized_reason(max)),
    })
}

/// Reads one file: skipped, one message, or an mbox of them. `false` when `emit` asked to
/// stop.
fn read_file(p: &Path, how: How, emit: &mut dyn FnMut(Event) -> bool) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let lower = name.to_ascii_lowercase();
    if how.format == Format::Auto
        && (lower.ends_with(".html") || lower.ends_with(".htm") || lower.ends_with(".json"))
    {
        return emit(Event::Skipped(
            p.to_path_buf(),
            "not a mail file (by name)".into(),
        ));
    }
    let source: Arc<str> = std::fs::canonicalize(p)
        .unwrap_or_else(|_| p.to_path_buf())
        .display()
        .to_string()
        .into();
    let (mut reader, plain_size) = match open_maybe_gz(p) {
        Ok(r) => r,
        Err(e) => return emit(Event::Skipped(p.to_path_buf(), e.to_string())),
    };
    let (kind, is_pipermail) = match detect(p, &name, how.format, &mut *reader) {
        Ok(k) => k,
        Err(e) => return emit(Event::Skipped(p.to_path_buf(), e.to_string())),
    };
    match kind {
        Kind::NotMail(why) => emit(Event::Skipped(p.to_path_buf(), why.into())),
        Kind::Message => read_single(p, source, reader, plain_size, how, emit),
        Kind::Mbox => read_mbox(p, &name, source, reader, is_pipermail, how, emit),
    }
}

/// What the file holds, and whether it is a pipermail month archive: the format asked for,
/// else the file's place, name and first bytes tell.
fn detect(
    p: &Path,
    name: &str,
    format: Format,
    reader: &mut dyn BufRead,
) -> io::Result<(Kind, bool)> {
    let lower = name.to_ascii_lowercase();
    let in_maildir = p
        .parent()
        .and_then(|d| d.file_name())
        .is_some_and(|n| n == "cur" || n == "new");
    let kind = match format {
        Format::Auto if in_maildir => Kind::Message,
        Format::Mbox | Format::Pipermail => Kind::Mbox,
        Format::Message | Format::Maildir => Kind::Message,
        Format::Auto => sniff(
            reader.fill_buf()?,
            lower.ends_with(".eml") || lower.ends_with(".msg"),
        ),
    };
    let is_pipermail = format == Format::Pipermail
        || (format == Format::Auto
            && kind == Kind::Mbox
            && (volume::of_file(name).is_some()
                || reader.fill_buf().is_ok_and(|h| {
                    let first = h.split(|&b| b == b'\n').next().unwrap_or(&[]);
                    super::mbox::is_pipermail_envelope(first)
                        && String::from_utf8_lossy(first).contains(" at ")
                })));
    Ok((kind, is_pipermail))
}

/// Emits a file that holds one message, reading no more of it than the size limit needs.
fn read_single(
    p: &Path,
    source: Arc<str>,
    reader: Box<dyn BufRead>,
    plain_size: Option<u64>,
    how: How,
    emit: &mut dyn FnMut(Event) -> bool,
) -> bool {
    // A plain file's size is known before reading; a compressed one is read up to one byte
    // past the limit.
    let big_on_disk = plain_size.is_some_and(|s| s > how.max);
    let limit = if big_on_disk {
        OVERSIZED_KEPT_BYTES as u64
    } else {
        how.max.saturating_add(1)
    };
    let mut data = Vec::new();
    if let Err(e) = reader.take(limit).read_to_end(&mut data) {
        return emit(Event::Skipped(p.to_path_buf(), e.to_string()));
    }
    if big_on_disk || data.len() as u64 > how.max {
        return emit(oversized(source, 0, data, how.max));
    }
    emit(Event::Message(RawItem {
        source,
        offset: 0,
        data,
        envelope: None,
        pipermail: false,
        html_slot: None,
        month: None,
        scrubbed: None,
        reject: None,
    }))
}

/// Emits the messages of an mbox file; a pipermail month archive's come with the article
/// numbers of the HTML pages beside it and the month its name gives.
fn read_mbox(
    p: &Path,
    name: &str,
    source: Arc<str>,
    reader: Box<dyn BufRead>,
    is_pipermail: bool,
    how: How,
    emit: &mut dyn FnMut(Event) -> bool,
) -> bool {
    let mut numbers = if is_pipermail {
        pipermail::MonthPages::for_archive(p)
    } else {
        None
    };
    if is_pipermail && numbers.is_none() && !emit(Event::NumbersByPosition) {
        return false;
    }
    let file_month = pipermail::month_of_file(name)
        .filter(|_| is_pipermail)
        .map(|(y, m)| y as i64 * 100 + m as i64);
    let scrubbed = is_pipermail
        .then(|| pipermail::ScrubbedDir::beside(p, how.max))
        .flatten();
    let reader = if is_pipermail {
        MboxReader::pipermail(reader)
    } else {
        MboxReader::new(reader)
    }
    .max_message_size(how.max);
    let mut ignored = 0;
    for (i, m) in reader.enumerate() {
        let m = match m {
            Ok(m) => m,
            Err(e) => return emit(Event::Skipped(p.to_path_buf(), format!("read error: {e}"))),
        };
        if let Some(why) = m.content_length_ignored {
            ignored += 1;
            if ignored <= LOGGED_PER_FILE {
                tracing::warn!(
                    file = %source,
                    offset = m.marker_offset,
                    "{why}: the header is ignored, the message is cut at its From line"
                );
            }
            if !emit(Event::ContentLengthIgnored) {
                return false;
            }
        }
        if m.oversized {
            if !emit(oversized(source.clone(), m.marker_offset, m.data, how.max)) {
                return false;
            }
            continue;
        }
        let html_slot = numbers.as_mut().and_then(|n| n.slot(i));
        let ev = Event::Message(RawItem {
            source: source.clone(),
            offset: m.marker_offset,
            data: m.data,
            envelope: m.envelope,
            pipermail: is_pipermail,
            html_slot,
            month: file_month,
            scrubbed: scrubbed.clone(),
            reject: None,
        });
        if !emit(ev) {
            return false;
        }
    }
    if ignored > LOGGED_PER_FILE {
        tracing::warn!(
            file = %source,
            "{} more Content-Length headers ignored in this file",
            ignored - LOGGED_PER_FILE
        );
    }
    true
}
