//! Streaming mbox splitter.
//!
//! Real archives mix every mbox dialect: mboxo and mboxrd (`>From ` escaping), mboxcl2
//! (`Content-Length` framing, no escaping), `From -` separators, CRLF files and bodies that
//! contain unescaped `From ` lines. A boundary is therefore only accepted where a `From ` line
//! follows a blank line (or starts the file) *and* parses as an envelope; a valid
//! `Content-Length` header wins over line scanning. Memory is bounded by the largest single
//! message, never by the file.

use std::collections::VecDeque;
use std::io::{self, BufRead};

/// One message cut out of an mbox, with the byte positions needed to report it.
#[derive(Debug, Clone)]
pub struct RawMessage {
    /// Message bytes with mboxrd escaping undone and the envelope line removed.
    pub data: Vec<u8>,
    /// Offset of the envelope (`From `) line in the file.
    pub marker_offset: u64,
    /// Offset of the first header byte.
    pub begin_offset: u64,
    /// Offset one past the last byte of the message (the separating blank line excluded).
    pub end_offset: u64,
    /// The envelope line without `From ` and the line ending.
    pub envelope: Option<String>,
}

struct Line {
    bytes: Vec<u8>,
    offset: u64,
}

/// Splits an mbox stream into messages; an `Iterator` over `io::Result<RawMessage>`.
pub struct MboxReader<R: BufRead> {
    inner: R,
    /// pipermail writes `From sender  date` with two spaces; inside a pipermail archive a
    /// one-space `From ` line (a git patch header, say) is body text.
    pipermail: bool,
    offset: u64,
    lookahead: VecDeque<Line>,
    first: bool,
    eof: bool,
}

impl<R: BufRead> MboxReader<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            pipermail: false,
            offset: 0,
            lookahead: VecDeque::new(),
            first: true,
            eof: false,
        }
    }

    /// A reader for pipermail's `.txt` month archives (stricter envelopes).
    pub fn pipermail(inner: R) -> Self {
        Self {
            pipermail: true,
            ..Self::new(inner)
        }
    }

    fn read_raw_line(&mut self) -> io::Result<Option<Line>> {
        if self.eof {
            return Ok(None);
        }
        let mut bytes = Vec::new();
        let n = self.inner.read_until(b'\n', &mut bytes)?;
        if n == 0 {
            self.eof = true;
            return Ok(None);
        }
        let offset = self.offset;
        self.offset += n as u64;
        if self.first {
            self.first = false;
            // A UTF-8 byte order mark before the first envelope is not part of any message.
            if bytes.starts_with(b"\xEF\xBB\xBF") {
                bytes.drain(..3);
                return Ok(Some(Line {
                    bytes,
                    offset: offset + 3,
                }));
            }
        }
        Ok(Some(Line { bytes, offset }))
    }

    fn next_line(&mut self) -> io::Result<Option<Line>> {
        if let Some(l) = self.lookahead.pop_front() {
            return Ok(Some(l));
        }
        self.read_raw_line()
    }

    fn peek_line(&mut self, i: usize) -> io::Result<Option<&Line>> {
        while self.lookahead.len() <= i {
            match self.read_raw_line()? {
                Some(l) => self.lookahead.push_back(l),
                None => return Ok(None),
            }
        }
        Ok(self.lookahead.get(i))
    }

    /// Reads exactly `n` bytes (or up to EOF) as a sequence of lines, splitting the last
    /// line when `n` ends inside it; the remainder goes back to the lookahead.
    fn take_bytes(&mut self, n: u64) -> io::Result<Vec<Line>> {
        let mut out = Vec::new();
        let mut left = n;
        while left > 0 {
            let Some(mut line) = self.next_line()? else {
                break;
            };
            let len = line.bytes.len() as u64;
            if len <= left {
                left -= len;
                out.push(line);
            } else {
                let rest = line.bytes.split_off(left as usize);
                let rest_off = line.offset + left;
                out.push(line);
                self.lookahead.push_front(Line {
                    bytes: rest,
                    offset: rest_off,
                });
                left = 0;
            }
        }
        Ok(out)
    }

    /// Whether the stream at the lookahead is a message boundary after a Content-Length body:
    /// EOF, an envelope line, or a blank line then an envelope line.
    fn boundary_follows(&mut self) -> io::Result<bool> {
        let pm = self.pipermail;
        let Some(l) = self.peek_line(0)? else {
            return Ok(true);
        };
        if sep(pm, &l.bytes) {
            return Ok(true);
        }
        if !is_blank(&l.bytes) {
            return Ok(false);
        }
        match self.peek_line(1)? {
            None => Ok(true),
            Some(l2) => Ok(is_envelope(&l2.bytes)),
        }
    }

    fn read_message(&mut self) -> io::Result<Option<RawMessage>> {
        let pm = self.pipermail;
        // Skip leading blank lines between messages.
        let first = loop {
            match self.next_line()? {
                None => return Ok(None),
                Some(l) if is_blank(&l.bytes) => continue,
                Some(l) => break l,
            }
        };
        let (envelope, marker_offset, begin_offset) = if sep(pm, &first.bytes) {
            let env = String::from_utf8_lossy(trim_eol(&first.bytes[5..]))
                .trim()
                .to_string();
            (
                Some(env),
                first.offset,
                first.offset + first.bytes.len() as u64,
            )
        } else {
            // Text before any envelope: keep it as a message of its own rather than drop it.
            self.lookahead.push_front(first);
            let off = self.lookahead[0].offset;
            (None, off, off)
        };

        let mut data = Vec::new();
        let mut end_offset = begin_offset;
        // Headers.
        let mut content_length: Option<u64> = None;
        let mut in_headers = true;
        while in_headers {
            let Some(l) = self.peek_line(0)? else { break };
            if envelope.is_some() && sep(pm, &l.bytes) && data.is_empty() {
                // An envelope immediately followed by another: an empty message.
                break;
            }
            let Some(line) = self.next_line()? else { break };
            end_offset = line.offset + line.bytes.len() as u64;
            if is_blank(&line.bytes) {
                in_headers = false;
            } else if let Some(v) = header_value(&line.bytes, b"content-length") {
                content_length = std::str::from_utf8(v)
                    .ok()
                    .and_then(|s| s.trim().parse().ok());
            }
            data.extend_from_slice(&line.bytes);
        }

        if let Some(n) = content_length.filter(|_| !in_headers) {
            let body = self.take_bytes(n)?;
            if self.boundary_follows()? {
                for line in &body {
                    data.extend_from_slice(&line.bytes);
                    end_offset = line.offset + line.bytes.len() as u64;
                }
                return Ok(Some(RawMessage {
                    data,
                    marker_offset,
                    begin_offset,
                    end_offset,
                    envelope,
                }));
            }
            // The header lied: scan the body lines normally.
            for line in body.into_iter().rev() {
                self.lookahead.push_front(line);
            }
        }

        let mut prev_blank = !in_headers;
        let mut pending_blank: Option<Line> = None;
        while let Some(l) = self.peek_line(0)? {
            let is_sep = sep(pm, &l.bytes);
            if is_sep && prev_blank {
                break;
            }
            // Some writers put no blank line before the next envelope; accept one there only
            // when a header line follows it, and give the line break before it to the
            // separator.
            if is_sep && !pm && self.peek_line(1)?.is_some_and(|n| is_header_line(&n.bytes)) {
                let eol = if data.ends_with(b"\r\n") {
                    2
                } else {
                    usize::from(data.ends_with(b"\n"))
                };
                data.truncate(data.len() - eol);
                end_offset -= eol as u64;
                break;
            }
            let Some(line) = self.next_line()? else { break };
            if let Some(b) = pending_blank.take() {
                end_offset = b.offset + b.bytes.len() as u64;
                data.extend_from_slice(&b.bytes);
            }
            prev_blank = is_blank(&line.bytes);
            if prev_blank {
                // Held back: the blank line before an envelope separates, it is not content.
                pending_blank = Some(line);
                continue;
            }
            end_offset = line.offset + line.bytes.len() as u64;
            push_unescaped(&mut data, &line.bytes);
        }
        // A blank line at EOF is content.
        if let Some(b) = pending_blank.take()
            && self.peek_line(0)?.is_none()
        {
            end_offset = b.offset + b.bytes.len() as u64;
            data.extend_from_slice(&b.bytes);
        }
        Ok(Some(RawMessage {
            data,
            marker_offset,
            begin_offset,
            end_offset,
            envelope,
        }))
    }
}

impl<R: BufRead> Iterator for MboxReader<R> {
    type Item = io::Result<RawMessage>;
    fn next(&mut self) -> Option<Self::Item> {
        self.read_message().transpose()
    }
}

/// mboxrd: `>From `, `>>From ` … lose one `>`. Applied to mboxo too, where it restores the
/// common case and only touches lines that were already quoted `>From ` in the original.
fn push_unescaped(out: &mut Vec<u8>, line: &[u8]) {
    let gts = line.iter().take_while(|&&b| b == b'>').count();
    if gts > 0 && line[gts..].starts_with(b"From ") {
        out.extend_from_slice(&line[1..]);
    } else {
        out.extend_from_slice(line);
    }
}

/// `Name: value` with a name of printable characters and no spaces.
fn is_header_line(line: &[u8]) -> bool {
    line.iter()
        .position(|&b| b == b':')
        .is_some_and(|c| c > 0 && line[..c].iter().all(|&b| b.is_ascii_graphic()))
}

fn sep(pipermail: bool, line: &[u8]) -> bool {
    if pipermail {
        is_pipermail_envelope(line)
    } else {
        is_envelope(line)
    }
}

fn trim_eol(b: &[u8]) -> &[u8] {
    let b = b.strip_suffix(b"\n").unwrap_or(b);
    b.strip_suffix(b"\r").unwrap_or(b)
}

fn is_blank(b: &[u8]) -> bool {
    trim_eol(b).iter().all(|c| *c == b' ' || *c == b'\t')
}

fn header_value<'a>(line: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let colon = line.iter().position(|&c| c == b':')?;
    if line[..colon].eq_ignore_ascii_case(name) {
        Some(trim_eol(&line[colon + 1..]))
    } else {
        None
    }
}

/// Whether a line is an mbox envelope: `From ` then a sender token (`-`, an address, or
/// pipermail's `jane at example.org`), then nothing or something that looks like a date.
/// Prose such as `From here on we…` fails because what follows the first word is no date.
pub fn is_envelope(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b"From ") else {
        return false;
    };
    let Ok(rest) = std::str::from_utf8(trim_eol(rest)) else {
        // 8-bit bytes in an envelope sender happen; judge the date part only.
        let s = String::from_utf8_lossy(trim_eol(rest)).into_owned();
        return envelope_tail_ok(&s);
    };
    envelope_tail_ok(rest)
}

/// pipermail's own envelope: `From jane at example.org  Tue Mar  1 03:09:56 2005`.
pub fn is_pipermail_envelope(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b"From ") else {
        return false;
    };
    let rest = String::from_utf8_lossy(trim_eol(rest));
    let (sender, _) = split_sender(&rest);
    !sender.is_empty() && rest[sender.len()..].starts_with("  ") && envelope_tail_ok(&rest)
}

fn envelope_tail_ok(rest: &str) -> bool {
    let rest = rest.trim();
    if rest.is_empty() {
        return false;
    }
    let tail = split_sender(rest).1;
    tail.is_empty() || looks_like_date(tail)
}

/// Splits an envelope into sender and the rest, knowing pipermail's `a at b` senders.
pub fn split_sender(rest: &str) -> (&str, &str) {
    let rest = rest.trim_start();
    let first_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let after = rest[first_end..].trim_start();
    if let Some(a) = after.strip_prefix("at ") {
        let a = a.trim_start();
        let dom_end = a.find(char::is_whitespace).unwrap_or(a.len());
        let consumed = rest.len() - a.len() + dom_end;
        return (&rest[..consumed], rest[consumed..].trim());
    }
    (&rest[..first_end], after.trim())
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn looks_like_date(s: &str) -> bool {
    let has_month = s
        .split(|c: char| !c.is_ascii_alphabetic())
        .any(|w| w.len() >= 3 && MONTHS.contains(&w[..3].to_ascii_lowercase().as_str()));
    let has_time = s.as_bytes().windows(4).any(|w| {
        w[0].is_ascii_digit() && w[1] == b':' && w[2].is_ascii_digit() && w[3].is_ascii_digit()
    });
    has_month && has_time
}

/// Parses an envelope's asctime-like date (`Tue Mar  1 03:09:56 2005`, maybe with a zone)
/// into seconds since the epoch, taking the time as UTC when no zone is given.
pub fn envelope_date(envelope: &str) -> Option<i64> {
    let tail = split_sender(envelope).1;
    let mut month = None;
    let mut day = None;
    let mut hms = None;
    let mut year = None;
    let mut tz_minutes = 0i64;
    for tok in tail.split_whitespace() {
        let lower = tok.to_ascii_lowercase();
        if month.is_none()
            && lower.len() >= 3
            && let Some(m) = MONTHS.iter().position(|m| lower.starts_with(m))
        {
            month = Some(m as u32 + 1);
            continue;
        }
        if tok.contains(':') && hms.is_none() {
            let parts: Vec<u32> = tok.split(':').filter_map(|p| p.parse().ok()).collect();
            if parts.len() >= 2 {
                hms = Some((parts[0], parts[1], parts.get(2).copied().unwrap_or(0)));
            }
            continue;
        }
        if (tok.starts_with('+') || tok.starts_with('-')) && tok.len() == 5 {
            if let Ok(v) = tok[1..].parse::<i64>() {
                let m = (v / 100) * 60 + v % 100;
                tz_minutes = if tok.starts_with('-') { -m } else { m };
            }
            continue;
        }
        if let Ok(n) = tok.parse::<i32>() {
            if tok.len() == 4 {
                year = Some(n);
            } else if day.is_none() && (1..=31).contains(&n) {
                day = Some(n as u32);
            }
        }
    }
    let (h, mi, s) = hms?;
    let date = chrono::NaiveDate::from_ymd_opt(year?, month?, day?)?;
    let dt = date.and_hms_opt(h, mi, s)?;
    Some(dt.and_utc().timestamp() - tz_minutes * 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(input: &[u8]) -> Vec<RawMessage> {
        MboxReader::new(input)
            .collect::<io::Result<Vec<_>>>()
            .unwrap()
    }

    #[test]
    fn envelopes() {
        assert!(is_envelope(b"From mboxrd@z Thu Jan  1 00:00:00 1970\n"));
        assert!(is_envelope(
            b"From jane at example.org  Tue Mar  1 03:09:56 2005\n"
        ));
        assert!(is_envelope(b"From - \n"));
        assert!(is_envelope(b"From 1844347792267117879@xxx\r\n"));
        assert!(!is_envelope(b"From here on we go\n"));
        assert!(!is_envelope(b"From: jane@example.org\n"));
    }

    #[test]
    fn splits_only_after_blank_lines_and_unescapes() {
        let mbox = b"From a@b Tue Mar  1 03:09:56 2005\nSubject: one\n\nbody\nFrom a@b Tue Mar  1 03:09:56 2005\n>From me\n\nFrom b@c Wed Mar  2 03:09:56 2005\nSubject: two\n\nx\n";
        let msgs = split(mbox);
        assert_eq!(msgs.len(), 2);
        assert_eq!(
            msgs[0].data,
            b"Subject: one\n\nbody\nFrom a@b Tue Mar  1 03:09:56 2005\nFrom me\n".to_vec()
        );
        assert_eq!(msgs[1].data, b"Subject: two\n\nx\n".to_vec());
    }

    #[test]
    fn content_length_wins_over_from_lines() {
        let body = b"line\n\nFrom x@y Tue Mar  1 03:09:56 2005\nmore\n";
        let mbox = format!(
            "From a@b Tue Mar  1 03:09:56 2005\nContent-Length: {}\n\n{}\nFrom b@c Wed Mar  2 03:09:56 2005\nSubject: two\n\nx\n",
            body.len(),
            std::str::from_utf8(body).unwrap()
        );
        let msgs = split(mbox.as_bytes());
        assert_eq!(msgs.len(), 2);
        assert!(msgs[0].data.ends_with(b"more\n"));
    }

    #[test]
    fn bad_content_length_falls_back() {
        let mbox = b"From a@b Tue Mar  1 03:09:56 2005\nContent-Length: 3\n\nhello\n\nFrom b@c Wed Mar  2 03:09:56 2005\nSubject: two\n\nx\n";
        assert_eq!(split(mbox).len(), 2);
    }

    #[test]
    fn crlf_and_bom() {
        let mbox =
            b"\xEF\xBB\xBFFrom -\r\nSubject: a\r\n\r\nx\r\n\r\nFrom -\r\nSubject: b\r\n\r\ny\r\n";
        let msgs = split(mbox);
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].data, b"Subject: a\r\n\r\nx\r\n".to_vec());
        assert_eq!(msgs[1].marker_offset, 3 + 8 + 12 + 2 + 3 + 2);
    }

    #[test]
    fn asctime_dates() {
        assert_eq!(envelope_date("mboxrd@z Thu Jan  1 00:00:00 1970"), Some(0));
        assert_eq!(
            envelope_date("jane at example.org  Tue Mar  1 03:09:56 2005"),
            Some(1109646596)
        );
        assert_eq!(envelope_date("-"), None);
    }
}
