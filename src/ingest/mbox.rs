//! Streaming mbox splitter.
//!
//! Real archives mix every mbox dialect: mboxo and mboxrd (`>From ` escaping), mboxcl2
//! (`Content-Length` framing, no escaping), `From -` separators, CRLF files and bodies that
//! contain unescaped `From ` lines. A boundary is therefore only accepted where a `From ` line
//! follows a blank line (or starts the file) *and* parses as an envelope.
//!
//! A `Content-Length` header is the sender's word, not the file's: Mailman's own mbox keeps
//! senders' headers, so any list member can plant one. It frames the body only when the file
//! agrees with it (see [`MboxReader::content_length_end`]); otherwise the header is ignored,
//! the message is cut by line scanning, and the reader says so in
//! [`RawMessage::content_length_ignored`].
//!
//! Memory is bounded by the size limit, never by the file or by a line: bytes are held in one
//! buffer that never grows past the limit plus two line pieces, a message stops accumulating
//! at the limit (the rest is skipped up to the next boundary and the message is marked
//! [`RawMessage::oversized`]), and lines longer than [`LINE_PIECE`] are read in pieces.

use std::collections::BTreeSet;
use std::io::{self, BufRead};

use super::DEFAULT_MAX_MESSAGE_SIZE;
use crate::domain::envelope::{looks_like_date, mboxrd_unquoted, split_sender};
use crate::domain::normalize::find_newline;

/// Lines longer than this are handed out in pieces, so a file without line breaks is never
/// held whole. Only a line's first piece can be an envelope, a blank line or a header.
pub const LINE_PIECE: usize = 64 * 1024;

/// Bytes asked from the underlying reader at a time.
const FILL_CHUNK: usize = 256 * 1024;

/// One message cut out of an mbox, with the byte positions needed to report it.
#[derive(Debug, Clone)]
pub struct RawMessage {
    /// Message bytes with mboxrd escaping undone and the envelope line removed; for an
    /// oversized message, only its first bytes (up to the size limit).
    pub data: Vec<u8>,
    /// Offset of the envelope (`From `) line in the file.
    pub marker_offset: u64,
    /// Offset of the first header byte.
    pub begin_offset: u64,
    /// Offset one past the last byte of the message (the separating blank line excluded).
    pub end_offset: u64,
    /// The envelope line without `From ` and the line ending.
    pub envelope: Option<String>,
    /// The message is larger than the size limit: `data` holds only its start.
    pub oversized: bool,
    /// The message carried a `Content-Length` header that the file contradicts; why it was
    /// ignored.
    pub content_length_ignored: Option<&'static str>,
}

/// A line (or a piece of a long one) by its file offsets.
#[derive(Debug, Clone, Copy)]
struct Line {
    start: u64,
    end: u64,
    /// Starts a line, rather than continuing one cut into pieces.
    head: bool,
    /// Ends with a line break, or at the end of the file.
    whole: bool,
}

impl Line {
    fn len(&self) -> usize {
        (self.end - self.start) as usize
    }
}

/// A message's bytes, collected up to the size limit.
struct Collect {
    data: Vec<u8>,
    cap: usize,
    over: bool,
    /// Length of the line break that ends the last line pushed.
    last_eol: usize,
}

impl Collect {
    fn push(&mut self, b: &[u8]) {
        self.last_eol = eol_len(b);
        let room = self.cap - self.data.len();
        if b.len() > room {
            self.data.extend_from_slice(&b[..room]);
            self.over = true;
        } else {
            self.data.extend_from_slice(b);
        }
    }
}

/// What reading a message's header block found.
struct Headers {
    /// The body length the sender announced, if readable.
    content_length: Option<u64>,
    /// The block ended with its blank line (not with the input or another envelope).
    complete: bool,
    /// Offset one past the block's last line.
    end_offset: u64,
}

/// Splits an mbox stream into messages; an `Iterator` over `io::Result<RawMessage>`.
pub struct MboxReader<R: BufRead> {
    inner: R,
    /// pipermail writes `From sender  date` with two spaces; inside a pipermail archive a
    /// one-space `From ` line (a git patch header, say) is body text.
    pipermail: bool,
    max_message: u64,
    /// Bytes read and not consumed yet (plus some consumed ones awaiting compaction);
    /// `buf[0]` is at file offset `buf_start`.
    buf: Vec<u8>,
    buf_start: u64,
    /// File offset of the first unconsumed byte.
    pos: u64,
    /// Offsets where a long line was cut into pieces: no line starts there.
    cuts: BTreeSet<u64>,
    started: bool,
    eof: bool,
}

impl<R: BufRead> MboxReader<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            pipermail: false,
            max_message: DEFAULT_MAX_MESSAGE_SIZE,
            buf: Vec::new(),
            buf_start: 0,
            pos: 0,
            cuts: BTreeSet::new(),
            started: false,
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

    /// Messages larger than `bytes` are not collected whole: they come out marked
    /// [`RawMessage::oversized`] with only their first `bytes` bytes.
    pub fn max_message_size(mut self, bytes: u64) -> Self {
        self.max_message = bytes.max(1);
        self
    }

    fn cap(&self) -> usize {
        usize::try_from(self.max_message).unwrap_or(usize::MAX)
    }

    /// File offset one past the last byte in the buffer.
    fn buf_end(&self) -> u64 {
        self.buf_start + self.buf.len() as u64
    }

    /// Reads more bytes into the buffer; false at the end of the input.
    fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        loop {
            match self.inner.fill_buf() {
                Ok([]) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(chunk) => {
                    let n = chunk.len().min(FILL_CHUNK);
                    self.buf.extend_from_slice(&chunk[..n]);
                    self.inner.consume(n);
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Makes the buffer reach file offset `off`; false when the input ends before it.
    fn fill_to(&mut self, off: u64) -> io::Result<bool> {
        while self.buf_end() < off {
            if !self.fill()? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Moves the read position to `off` and lets go of the bytes before it.
    fn consume_to(&mut self, off: u64) {
        self.pos = off;
        let done = (self.pos - self.buf_start) as usize;
        if done >= FILL_CHUNK && done * 2 >= self.buf.len() {
            self.buf.drain(..done);
            self.buf_start = self.pos;
        }
        if self.cuts.first().is_some_and(|&c| c < self.pos) {
            self.cuts = self.cuts.split_off(&self.pos);
        }
    }

    /// A UTF-8 byte order mark before the first envelope is not part of any message.
    fn start(&mut self) -> io::Result<()> {
        if self.started {
            return Ok(());
        }
        self.started = true;
        while self.buf.len() < 3 && self.fill()? {}
        if self.buf.starts_with(b"\xEF\xBB\xBF") {
            self.consume_to(3);
        }
        Ok(())
    }

    /// The line (or line piece) starting at file offset `start`, which must not be before
    /// the read position; `None` at the end of the input.
    fn line_at(&mut self, start: u64) -> io::Result<Option<Line>> {
        if !self.fill_to(start)? {
            return Ok(None);
        }
        let from = (start - self.buf_start) as usize;
        let mut scanned = from;
        let (end, whole) = loop {
            let limit = self.buf.len().min(from + LINE_PIECE);
            if let Some(i) = find_newline(&self.buf[scanned..limit]) {
                break (scanned + i + 1, true);
            }
            if limit == from + LINE_PIECE {
                break (limit, false);
            }
            scanned = limit;
            if !self.fill()? {
                if self.buf.len() == from {
                    return Ok(None);
                }
                break (self.buf.len(), true);
            }
        };
        let end = self.buf_start + end as u64;
        if !whole {
            self.cuts.insert(end);
        }
        Ok(Some(Line {
            start,
            end,
            head: !self.cuts.contains(&start),
            whole,
        }))
    }

    fn bytes(&self, l: &Line) -> &[u8] {
        let from = (l.start - self.buf_start) as usize;
        &self.buf[from..from + l.len()]
    }

    fn is_sep(&self, l: &Line) -> bool {
        l.head && l.whole && sep(self.pipermail, self.bytes(l))
    }

    fn is_envelope_line(&self, l: &Line) -> bool {
        l.head && l.whole && is_envelope(self.bytes(l))
    }

    fn is_blank_line(&self, l: &Line) -> bool {
        l.head && l.whole && is_blank(self.bytes(l))
    }

    fn is_header(&self, l: &Line) -> bool {
        l.head && is_header_line(self.bytes(l))
    }

    /// Whether file offset `at` is a message boundary after a Content-Length body: the end
    /// of the input, an envelope line, or a blank line then an envelope line.
    fn boundary_at(&mut self, at: u64) -> io::Result<bool> {
        let Some(l) = self.line_at(at)? else {
            return Ok(true);
        };
        if self.is_sep(&l) {
            return Ok(true);
        }
        if !self.is_blank_line(&l) {
            return Ok(false);
        }
        Ok(match self.line_at(l.end)? {
            None => true,
            Some(l2) => self.is_envelope_line(&l2),
        })
    }

    /// Whether the bytes between `from` and `to` hold what line scanning would take for the
    /// start of another message: a blank line, an envelope, then a header line.
    fn hides_message(&mut self, from: u64, to: u64) -> io::Result<bool> {
        let mut at = from;
        let mut prev_blank = true;
        while at < to {
            let Some(l) = self.line_at(at)? else {
                return Ok(false);
            };
            if prev_blank
                && self.is_sep(&l)
                && self.line_at(l.end)?.is_some_and(|n| self.is_header(&n))
            {
                return Ok(true);
            }
            prev_blank = self.is_blank_line(&l);
            at = l.end;
        }
        Ok(false)
    }

    /// Where a body of `n` bytes announced by `Content-Length` ends, if the file agrees: the
    /// message stays within the size limit (so deciding never buffers more than the limit),
    /// the body does not run past the end of the input, a message boundary follows it, and
    /// it does not swallow what line scanning sees as the start of another message. mboxcl2
    /// bodies may hold unescaped `From ` lines, which is what the header is for; an envelope
    /// line after a blank line *and followed by headers* is a message, whoever wrote the
    /// header. On disagreement, the reason the header is ignored.
    fn content_length_end(
        &mut self,
        n: u64,
        header_bytes: u64,
    ) -> io::Result<Result<u64, &'static str>> {
        if header_bytes.saturating_add(n) > self.max_message {
            return Ok(Err("Content-Length beyond the message size limit"));
        }
        let from = self.pos;
        let to = from + n;
        if !self.fill_to(to)? {
            return Ok(Err("Content-Length runs past the end of the file"));
        }
        if !self.boundary_at(to)? {
            return Ok(Err("Content-Length does not end at a message boundary"));
        }
        if self.hides_message(from, to)? {
            return Ok(Err("Content-Length would swallow the next message"));
        }
        Ok(Ok(to))
    }

    fn read_message(&mut self) -> io::Result<Option<RawMessage>> {
        self.start()?;
        let Some(first) = self.first_line()? else {
            return Ok(None);
        };
        let (envelope, marker_offset, begin_offset) = self.envelope(first);
        let mut msg = Collect {
            data: Vec::new(),
            cap: self.cap(),
            over: false,
            last_eol: 0,
        };
        let headers = self.read_headers(&mut msg, envelope.is_some(), begin_offset)?;
        let mut content_length_ignored = None;
        if let Some(n) = headers
            .content_length
            .filter(|_| headers.complete && !msg.over)
        {
            match self.content_length_end(n, msg.data.len() as u64)? {
                Ok(to) => {
                    // Checked above: the body fits in the buffer and under the limit.
                    let from = (self.pos - self.buf_start) as usize;
                    let upto = (to - self.buf_start) as usize;
                    msg.push(&self.buf[from..upto]);
                    self.consume_to(to);
                    return Ok(Some(RawMessage {
                        data: msg.data,
                        marker_offset,
                        begin_offset,
                        end_offset: to,
                        envelope,
                        oversized: msg.over,
                        content_length_ignored: None,
                    }));
                }
                Err(why) => content_length_ignored = Some(why),
            }
        }
        let end_offset = self.read_body(&mut msg, headers.complete, headers.end_offset)?;
        Ok(Some(RawMessage {
            data: msg.data,
            marker_offset,
            begin_offset,
            end_offset,
            envelope,
            oversized: msg.over,
            content_length_ignored,
        }))
    }

    /// The first line of the next message, past the blank lines between messages.
    fn first_line(&mut self) -> io::Result<Option<Line>> {
        loop {
            match self.line_at(self.pos)? {
                None => return Ok(None),
                Some(l) if self.is_blank_line(&l) => self.consume_to(l.end),
                Some(l) => return Ok(Some(l)),
            }
        }
    }

    /// The envelope of a message starting at `first`, consumed, with the offsets of its
    /// marker line and of the first header byte. Text before any envelope has none: it is
    /// kept as a message of its own rather than dropped.
    fn envelope(&mut self, first: Line) -> (Option<String>, u64, u64) {
        if !self.is_sep(&first) {
            return (None, first.start, first.start);
        }
        let line = self.bytes(&first);
        let env = String::from_utf8_lossy(trim_eol(&line[5..]))
            .trim()
            .to_string();
        self.consume_to(first.end);
        (Some(env), first.start, first.end)
    }

    /// Collects the header block, its blank line included, noting `Content-Length`.
    fn read_headers(
        &mut self,
        msg: &mut Collect,
        after_envelope: bool,
        begin_offset: u64,
    ) -> io::Result<Headers> {
        let mut h = Headers {
            content_length: None,
            complete: false,
            end_offset: begin_offset,
        };
        let mut any_header = false;
        while let Some(l) = self.line_at(self.pos)? {
            if after_envelope && !any_header && self.is_sep(&l) {
                // An envelope immediately followed by another: an empty message.
                break;
            }
            any_header = true;
            h.end_offset = l.end;
            let line = self.bytes(&l);
            if self.is_blank_line(&l) {
                h.complete = true;
            } else if l.head
                && let Some(v) = header_value(line, b"content-length")
            {
                h.content_length = std::str::from_utf8(v)
                    .ok()
                    .and_then(|s| s.trim().parse().ok());
            }
            msg.push(line);
            self.consume_to(l.end);
            if h.complete {
                break;
            }
        }
        Ok(h)
    }

    /// Collects body lines up to the next message boundary found by line scanning (the
    /// framing when `Content-Length` is absent or ignored); returns where the message ends.
    fn read_body(
        &mut self,
        msg: &mut Collect,
        headers_complete: bool,
        mut end_offset: u64,
    ) -> io::Result<u64> {
        let pm = self.pipermail;
        let mut prev_blank = headers_complete;
        // The blank line held back until we know whether an envelope follows it.
        let mut pending_blank: Option<u64> = None;
        let mut blank_bytes: Vec<u8> = Vec::new();
        while let Some(l) = self.line_at(self.pos)? {
            let is_sep = self.is_sep(&l);
            if is_sep && prev_blank {
                break;
            }
            // Some writers put no blank line before the next envelope; accept one there only
            // when a header line follows it, and give the line break before it to the
            // separator.
            if is_sep && !pm && self.line_at(l.end)?.is_some_and(|n| self.is_header(&n)) {
                let eol = msg.last_eol;
                if !msg.over {
                    msg.data.truncate(msg.data.len().saturating_sub(eol));
                }
                end_offset = end_offset.saturating_sub(eol as u64);
                break;
            }
            if let Some(end) = pending_blank.take() {
                end_offset = end;
                msg.push(&blank_bytes);
            }
            prev_blank = self.is_blank_line(&l);
            let line = self.bytes(&l);
            if prev_blank {
                // Held back: the blank line before an envelope separates, it is not content.
                blank_bytes.clear();
                blank_bytes.extend_from_slice(line);
                pending_blank = Some(l.end);
            } else {
                end_offset = l.end;
                msg.push(if l.head { mboxrd_unquoted(line) } else { line });
            }
            self.consume_to(l.end);
        }
        // A blank line at EOF is content.
        if let Some(end) = pending_blank.take()
            && self.line_at(self.pos)?.is_none()
        {
            end_offset = end;
            msg.push(&blank_bytes);
        }
        Ok(end_offset)
    }
}

impl<R: BufRead> Iterator for MboxReader<R> {
    type Item = io::Result<RawMessage>;
    fn next(&mut self) -> Option<Self::Item> {
        self.read_message().transpose()
    }
}

fn eol_len(b: &[u8]) -> usize {
    if b.ends_with(b"\r\n") {
        2
    } else {
        usize::from(b.ends_with(b"\n"))
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

    fn env(i: usize) -> String {
        format!("From s{i}@x Tue Mar  1 03:09:56 2005\n")
    }

    fn msg(i: usize, headers: &str, body: &str) -> String {
        format!("{}Message-ID: <{i}@x>\n{headers}\n{body}\n\n", env(i))
    }

    #[test]
    fn content_length_past_eof_is_ignored() {
        let mut mbox = msg(0, "Content-Length: 99999999999\n", "first");
        for i in 1..50 {
            mbox.push_str(&msg(i, "", "x"));
        }
        let msgs = split(mbox.as_bytes());
        assert_eq!(msgs.len(), 50);
        assert!(msgs[0].content_length_ignored.is_some());
        assert!(msgs[1..].iter().all(|m| m.content_length_ignored.is_none()));
        // Short by one byte at the end of the file: the same.
        let body = "only\n";
        let mbox = msg(
            0,
            &format!("Content-Length: {}\n", body.len() + 3),
            body.trim_end(),
        );
        let msgs = split(mbox.as_bytes());
        assert_eq!(msgs.len(), 1);
        assert_eq!(
            msgs[0].content_length_ignored,
            Some("Content-Length runs past the end of the file")
        );
    }

    #[test]
    fn content_length_over_the_limit_is_not_read_ahead() {
        let mbox = msg(0, "Content-Length: 5000\n", &"y".repeat(4000)) + &msg(1, "", "z");
        let msgs: Vec<_> = MboxReader::new(mbox.as_bytes())
            .max_message_size(1000)
            .collect::<io::Result<_>>()
            .unwrap();
        assert_eq!(msgs.len(), 2);
        assert_eq!(
            msgs[0].content_length_ignored,
            Some("Content-Length beyond the message size limit")
        );
        assert!(msgs[0].oversized);
        assert_eq!(msgs[0].data.len(), 1000);
        assert!(!msgs[1].oversized);
    }

    /// An exact length that hides whole messages (an envelope after a blank line, then
    /// headers) is a lie, even when it ends on a boundary; one that only covers an envelope-
    /// like line followed by text is what mboxcl2 is for.
    #[test]
    fn content_length_may_not_swallow_messages() {
        let swallowed = msg(1, "", "second");
        let body = format!("first\n\n{swallowed}");
        let n = body.len() - 1;
        let mbox = format!("{}Content-Length: {n}\n\n{body}", env(0)) + &msg(2, "", "third");
        let msgs = split(mbox.as_bytes());
        assert_eq!(msgs.len(), 3);
        assert_eq!(
            msgs[0].content_length_ignored,
            Some("Content-Length would swallow the next message")
        );
        assert_eq!(msgs[1].data, b"Message-ID: <1@x>\n\nsecond\n".to_vec());
    }

    #[test]
    fn oversized_message_is_cut_and_the_next_one_found() {
        let big = "a".repeat(99) + "\n";
        let mbox = msg(0, "", "small") + &msg(1, "", &big.repeat(100)) + &msg(2, "", "after");
        let msgs: Vec<_> = MboxReader::new(mbox.as_bytes())
            .max_message_size(1000)
            .collect::<io::Result<_>>()
            .unwrap();
        assert_eq!(msgs.len(), 3);
        assert!(!msgs[0].oversized && msgs[1].oversized && !msgs[2].oversized);
        assert_eq!(msgs[1].data.len(), 1000);
        assert_eq!(msgs[1].marker_offset, msg(0, "", "small").len() as u64);
        assert_eq!(msgs[2].data, b"Message-ID: <2@x>\n\nafter\n\n".to_vec());
        // The end offset still covers the whole message (all but the separating line).
        assert_eq!(
            msgs[1].end_offset as usize,
            msg(0, "", "small").len() + msg(1, "", &big.repeat(100)).len() - 1
        );
    }

    /// A reader that hands out `left` bytes of `x` without ever holding them.
    struct Endless {
        left: u64,
    }

    impl io::Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf
                .len()
                .min(usize::try_from(self.left).unwrap_or(usize::MAX));
            buf[..n].fill(b'x');
            self.left -= n as u64;
            Ok(n)
        }
    }

    /// 64 MB on one line: collected up to the limit, never whole.
    #[test]
    fn one_endless_line_is_bounded() {
        let head = b"From a@b Tue Mar  1 03:09:56 2005\nSubject: x\n\n".to_vec();
        let tail = Endless { left: 64 << 20 };
        let reader = io::BufReader::new(io::Read::chain(&head[..], tail));
        let mut r = MboxReader::new(reader).max_message_size(1 << 20);
        let m = r.next().unwrap().unwrap();
        assert!(m.oversized);
        assert_eq!(m.data.len(), 1 << 20);
        assert_eq!(m.end_offset, head.len() as u64 + (64 << 20));
        assert!(
            r.buf.capacity() < 4 << 20,
            "buffer grew to {}",
            r.buf.capacity()
        );
        assert!(r.next().is_none());
    }

    /// A `From ` that a long line's cut happens to put at the start of a piece is text.
    #[test]
    fn long_line_pieces_are_not_envelopes() {
        let line =
            "z".repeat(LINE_PIECE) + "From a@b Tue Mar  1 03:09:56 2005\nSubject: injected\n\nbody";
        let mbox = msg(0, "", &line) + &msg(1, "", "next");
        let msgs = split(mbox.as_bytes());
        assert_eq!(msgs.len(), 2);
        assert!(msgs[0].data.ends_with(b"injected\n\nbody\n"));
    }

    #[test]
    fn newline_search() {
        for n in 0..40 {
            let mut v = vec![b'a'; n];
            assert_eq!(find_newline(&v), None);
            for i in 0..n {
                v[i] = b'\n';
                assert_eq!(find_newline(&v), Some(i));
                v[i] = b'\x8a';
            }
        }
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
}
