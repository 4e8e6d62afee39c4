//! Raw message bytes -> the one normalized shape the store, threading and pages rely on.
//!
//! mail-parser does the MIME work; this module repairs what real archives get wrong before
//! and after it: pipermail's `jane at example.org` obfuscation, raw 8-bit headers (decoded by
//! charset detection instead of becoming U+FFFD), text parts with missing or bogus charsets,
//! two- and three-digit years, absurd dates (falling back to the envelope, then Received),
//! and missing Message-IDs (a deterministic one is made from the content).

use mail_parser::{Address, DateTime, HeaderValue, MessageParser, MimeHeaders, PartType};
use sha2::{Digest, Sha256};

/// Where the stored date came from; kept so pages can flag doubtful dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateSource {
    Header = 0,
    /// The Date header, after repairing a two- or three-digit year.
    HeaderRepaired = 1,
    Envelope = 2,
    Received = 3,
    /// Only an out-of-range date was found; kept, but flagged.
    Absurd = 4,
    Missing = 5,
}

#[derive(Debug, Clone)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct Normalized {
    pub message_id: String,
    pub msgid_generated: bool,
    pub from_name: String,
    pub from_addr: String,
    /// Seconds since the epoch, UTC.
    pub date: Option<i64>,
    /// The sender's UTC offset in minutes, as written in the Date header.
    pub tz_offset: i32,
    pub date_source: DateSource,
    pub subject: String,
    /// Subject without `Re:`/`Fwd:` and `[list]` tags, lowercased: the threading key.
    pub subject_key: String,
    pub is_reply_subject: bool,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub list_id: Option<String>,
    pub body_text: String,
    pub body_html: Option<String>,
    /// The text body was derived from the HTML part (the message had no text part).
    pub text_from_html: bool,
    /// The text part is format=flowed (RFC 3676), and whether DelSp=yes.
    pub flowed: (bool, bool),
    pub attachments: Vec<Attachment>,
    /// Identity of the content, to tell a duplicate from a different message reusing an id.
    pub content_hash: [u8; 32],
}

impl Normalized {
    /// format=flowed as stored: 0 plain, 1 flowed, 2 flowed with DelSp=yes.
    pub fn flowed_code(&self) -> i64 {
        match self.flowed {
            (false, _) => 0,
            (true, false) => 1,
            (true, true) => 2,
        }
    }
}

/// Options a reader knows about its source.
#[derive(Debug, Clone, Copy, Default)]
pub struct Origin<'a> {
    /// The mbox envelope line after `From `.
    pub envelope: Option<&'a str>,
    /// The message comes from a pipermail `.txt` archive (addresses obfuscated).
    pub pipermail: bool,
}

/// Why a message could not be normalized at all.
#[derive(Debug, thiserror::Error)]
pub enum NormalizeError {
    #[error("empty message")]
    Empty,
    #[error("no header could be parsed")]
    NoHeaders,
    #[error("the MIME parser failed on this message")]
    Panicked,
}

/// Earliest date taken at face value (before it, a date is a broken clock).
const MIN_SANE: i64 = 315_532_800; // 1980-01-01
/// Latest: well past any real archive, but before far-future spam dates.
const MAX_SANE: i64 = 4_102_444_800; // 2100-01-01

pub fn normalize(raw: &[u8], origin: Origin<'_>) -> Result<Normalized, NormalizeError> {
    if raw.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(NormalizeError::Empty);
    }
    let header_end = find_header_end(raw);
    let (head, body) = raw.split_at(header_end);
    let fixed_head = repair_headers(head, origin.pipermail);
    let buf;
    let parse_input: &[u8] = match &fixed_head {
        Some(h) => {
            let mut b = Vec::with_capacity(h.len() + body.len());
            b.extend_from_slice(h);
            b.extend_from_slice(body);
            buf = b;
            &buf
        }
        None => raw,
    };
    let msg = MessageParser::default()
        .parse(parse_input)
        .ok_or(NormalizeError::NoHeaders)?;
    if msg.headers().is_empty() {
        return Err(NormalizeError::NoHeaders);
    }

    let (from_name, from_addr) = first_address(msg.from()).unwrap_or_default();
    let subject = clean_line(msg.subject().unwrap_or(""));
    let (subject_key, is_reply_subject) = subject_key(&subject);

    let (date, tz_offset, date_source) = pick_date(&msg, origin.envelope);

    let in_reply_to = first_id(msg.in_reply_to());
    let mut references: Vec<String> = Vec::new();
    for r in id_list(msg.references()) {
        if !references.contains(&r) {
            references.push(r);
        }
    }
    let list_id = match msg.list_id() {
        HeaderValue::Address(a) => first_address(Some(a)).map(|(_, addr)| addr),
        HeaderValue::Text(t) => Some(t.trim_matches(['<', '>', ' ']).to_string()),
        _ => None,
    }
    .filter(|s| !s.is_empty());

    // Text parts only: for HTML-only mail mail-parser lists the HTML part among the text
    // bodies, and its markup is not text.
    let mut body_text = String::new();
    for part in msg
        .text_bodies()
        .filter(|p| matches!(p.body, PartType::Text(_)))
    {
        if !body_text.is_empty() {
            body_text.push_str("\n\n");
        }
        body_text.push_str(&decode_text_part(&msg, part));
    }
    let body_html = msg
        .html_bodies()
        .find(|p| matches!(p.body, PartType::Html(_)))
        .map(|p| decode_text_part(&msg, p));
    // HTML-only mail still gets a text body (for search and feeds), marked as derived.
    let text_from_html = body_text.trim().is_empty() && body_html.is_some();
    if text_from_html && let Some(h) = &body_html {
        body_text = mail_parser::decoders::html::html_to_text(h);
    }
    let flowed = msg
        .text_bodies()
        .find(|p| matches!(p.body, PartType::Text(_)))
        .and_then(|p| p.content_type())
        .map(|ct| {
            let f = ct
                .attribute("format")
                .is_some_and(|v| v.eq_ignore_ascii_case("flowed"));
            let d = ct
                .attribute("delsp")
                .is_some_and(|v| v.eq_ignore_ascii_case("yes"));
            (f, d)
        })
        .unwrap_or((false, false));

    let mut attachments = Vec::new();
    for part in msg.attachments() {
        let content_type = part
            .content_type()
            .map(|ct| match ct.subtype() {
                Some(st) => format!("{}/{}", ct.ctype(), st),
                None => ct.ctype().to_string(),
            })
            .unwrap_or_else(|| {
                // Digest parts carry no Content-Type: they are messages by definition.
                if matches!(part.body, PartType::Message(_)) {
                    "message/rfc822"
                } else {
                    "application/octet-stream"
                }
                .into()
            })
            .to_ascii_lowercase();
        let data = match &part.body {
            PartType::Message(m) => m.raw_message().to_vec(),
            _ => part.contents().to_vec(),
        };
        // Only the last path segment: a name is never a path.
        let filename = part
            .attachment_name()
            .map(|n| clean_line(n.rsplit(['/', '\\']).next().unwrap_or("")))
            .unwrap_or_default();
        attachments.push(Attachment {
            filename,
            content_type,
            data,
        });
    }

    let hash = content_hash(&msg, body);
    let (message_id, msgid_generated) = match msg.message_id().map(str::trim) {
        Some(id) if valid_id(id) => (id.to_string(), false),
        _ => (
            format!("{}@generated.larch.invalid", hex::encode(&hash[..12])),
            true,
        ),
    };
    references.retain(|r| r != &message_id);
    let in_reply_to = in_reply_to.filter(|r| r != &message_id);

    Ok(Normalized {
        message_id,
        msgid_generated,
        from_name,
        from_addr,
        date,
        tz_offset,
        date_source,
        subject,
        subject_key,
        is_reply_subject,
        in_reply_to,
        references,
        list_id,
        body_text,
        body_html,
        text_from_html,
        flowed,
        attachments,
        content_hash: hash,
    })
}

/// Message-IDs are kept as written (spaces and non-ASCII included, as real mail has them);
/// only empty, oversized or control-character ids are replaced.
fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 500 && !id.chars().any(|c| c.is_control())
}

/// Offset just past the blank line ending the header block (or the whole input).
fn find_header_end(raw: &[u8]) -> usize {
    let mut pos = 0;
    while pos < raw.len() {
        let end = raw[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(raw.len(), |i| pos + i + 1);
        let line = &raw[pos..end];
        if line == b"\n" || line == b"\r\n" {
            return end;
        }
        pos = end;
    }
    raw.len()
}

/// Rewrites the header block when it needs it: pipermail de-obfuscation and 8-bit bytes
/// decoded by charset detection. `None` when the headers are fine as they are.
fn repair_headers(head: &[u8], pipermail: bool) -> Option<Vec<u8>> {
    let is_utf8 = std::str::from_utf8(head).is_ok();
    if is_utf8 && !pipermail {
        return None;
    }
    let text: String = if is_utf8 {
        String::from_utf8_lossy(head).into_owned()
    } else {
        decode_guess(head)
    };
    if !pipermail {
        return Some(text.into_bytes());
    }
    let mut out = String::with_capacity(text.len());
    let mut in_addr_header = false;
    for line in text.split_inclusive('\n') {
        if !line.starts_with([' ', '\t']) {
            let name = line.split(':').next().unwrap_or("").to_ascii_lowercase();
            in_addr_header = matches!(name.as_str(), "from" | "to" | "cc" | "reply-to" | "sender");
        }
        if in_addr_header {
            out.push_str(&deobfuscate(line));
        } else {
            out.push_str(line);
        }
    }
    Some(out.into_bytes())
}

/// `jane at example.org` -> `jane@example.org`, only between two non-space characters.
pub fn deobfuscate(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(" at ") {
        let before = rest[..i].chars().next_back();
        let after = rest[i + 4..].chars().next();
        let ok = matches!(before, Some(c) if !c.is_whitespace() && c != ':' && c != ',')
            && matches!(after, Some(c) if !c.is_whitespace());
        out.push_str(&rest[..i]);
        out.push_str(if ok { "@" } else { " at " });
        rest = &rest[i + 4..];
    }
    out.push_str(rest);
    out
}

/// Decodes bytes of unknown charset: UTF-8 when valid, else the encoding chardetng guesses.
pub fn decode_guess(bytes: &[u8]) -> String {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return s.to_string();
    }
    let mut det = chardetng::EncodingDetector::new();
    det.feed(bytes, true);
    let enc = det.guess(None, true);
    enc.decode_without_bom_handling(bytes).0.into_owned()
}

/// Text of a body part; when the declared charset is missing or unknown and the bytes are
/// not UTF-8, the charset is detected from the bytes rather than replaced by U+FFFD.
fn decode_text_part(msg: &mail_parser::Message<'_>, part: &mail_parser::MessagePart<'_>) -> String {
    let text = match &part.body {
        PartType::Text(t) | PartType::Html(t) => t.as_ref(),
        _ => return String::new(),
    };
    if !text.contains('\u{FFFD}') {
        return text.to_string();
    }
    let declared = part
        .content_type()
        .and_then(|ct| ct.attribute("charset"))
        .map(|c| c.trim().to_ascii_lowercase());
    let raw = msg.raw_message();
    let (start, end) = (
        part.raw_body_offset() as usize,
        part.raw_end_offset() as usize,
    );
    let Some(body) = raw.get(start..end.min(raw.len())) else {
        return text.to_string();
    };
    let decoded = match part
        .content_transfer_encoding()
        .map(|s| s.to_ascii_lowercase())
    {
        Some(e) if e == "base64" => mail_parser::decoders::base64::base64_decode(body),
        Some(e) if e == "quoted-printable" => {
            mail_parser::decoders::quoted_printable::quoted_printable_decode(body)
                .or_else(|| Some(lenient_qp(body)))
        }
        _ => Some(body.to_vec()),
    };
    let Some(bytes) = decoded else {
        return text.to_string();
    };
    if bytes.windows(3).any(|w| w == "\u{FFFD}".as_bytes()) {
        return text.to_string(); // the sender's text really has U+FFFD
    }
    // Mail labelled UTF-8 (or ASCII) often carries a few Latin-1 bytes: keep the valid
    // UTF-8 and read the stray bytes as Windows-1252. Unlabelled or other charsets that
    // failed: detect.
    let utf8ish = declared.as_deref().is_some_and(|c| {
        matches!(
            c,
            "utf-8"
                | "utf8"
                | "us-ascii"
                | "ascii"
                | "ansi_x3.4-1968"
                | "default"
                | "unknown-8bit"
                | "x-unknown"
        )
    });
    let bad = |s: &str| s.matches('\u{FFFD}').count();
    let mut best = text.to_string();
    let mut candidates = vec![if utf8ish {
        utf8_or_1252(&bytes)
    } else {
        decode_guess(&bytes)
    }];
    // encoding_rs knows the WHATWG supersets (gb2312 read as GBK, and so on).
    if let Some(enc) = declared
        .as_deref()
        .and_then(|c| encoding_rs::Encoding::for_label(c.as_bytes()))
    {
        candidates.push(enc.decode_without_bom_handling(&bytes).0.into_owned());
    }
    // Unlabelled text the detector misread: a legacy multi-byte encoding that decodes the
    // bytes without a single error is almost certainly the right one.
    if declared.is_none() {
        for enc in [
            encoding_rs::GB18030,
            encoding_rs::BIG5,
            encoding_rs::SHIFT_JIS,
            encoding_rs::EUC_KR,
            encoding_rs::EUC_JP,
        ] {
            let (t, _, errors) = enc.decode(&bytes);
            if !errors {
                candidates.push(t.into_owned());
                break;
            }
        }
    }
    for c in candidates {
        if bad(&c) < bad(&best) {
            best = c;
        }
    }
    best
}

/// Quoted-printable that a strict decoder refuses (spam and old clients break it): `=XX`
/// decoded, soft line breaks removed, anything else kept as it is.
fn lenient_qp(b: &[u8]) -> Vec<u8> {
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' {
            if b.get(i + 1) == Some(&b'\n') {
                i += 2;
                continue;
            }
            if b.get(i + 1) == Some(&b'\r') && b.get(i + 2) == Some(&b'\n') {
                i += 3;
                continue;
            }
            if let (Some(h), Some(l)) = (
                b.get(i + 1).and_then(|c| hex(*c)),
                b.get(i + 2).and_then(|c| hex(*c)),
            ) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// Valid UTF-8 runs kept as they are; each invalid stretch decoded as Windows-1252.
pub fn utf8_or_1252(mut bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    loop {
        match std::str::from_utf8(bytes) {
            Ok(s) => {
                out.push_str(s);
                return out;
            }
            Err(e) => {
                let (good, rest) = bytes.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(good).unwrap_or_default());
                let bad_len = e.error_len().unwrap_or(rest.len());
                out.push_str(
                    &encoding_rs::WINDOWS_1252
                        .decode_without_bom_handling(&rest[..bad_len])
                        .0,
                );
                bytes = &rest[bad_len..];
            }
        }
    }
}

fn first_address(a: Option<&Address<'_>>) -> Option<(String, String)> {
    let addr = match a? {
        Address::List(l) => l.first()?.clone(),
        Address::Group(g) => g.iter().flat_map(|g| g.addresses.iter()).next()?.clone(),
    };
    let name = addr.name.as_deref().map(clean_line).unwrap_or_default();
    let email = addr
        .address
        .as_deref()
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    Some((name.trim_matches('"').trim().to_string(), email))
}

fn first_id(v: &HeaderValue<'_>) -> Option<String> {
    id_list(v).into_iter().next()
}

fn id_list(v: &HeaderValue<'_>) -> Vec<String> {
    let raw: Vec<&str> = match v {
        HeaderValue::Text(t) => vec![t.as_ref()],
        HeaderValue::TextList(l) => l.iter().map(|s| s.as_ref()).collect(),
        _ => vec![],
    };
    raw.into_iter()
        .map(|s| {
            s.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .trim()
                .to_string()
        })
        .filter(|s| valid_id(s))
        .collect()
}

/// Collapses whitespace and drops control characters: header text shown on one line.
pub fn clean_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split(|c: char| c.is_whitespace() || c.is_control() || is_bidi_control(c)) {
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Unicode bidi embedding/override/isolate controls: in a name or subject they could
/// reorder the page around them.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Strips reply/forward prefixes and `[list]` tags, in any order and repetition.
pub fn subject_key(subject: &str) -> (String, bool) {
    let mut s = subject.trim();
    let mut reply = false;
    loop {
        let before = s;
        if let Some(rest) = s.strip_prefix('[')
            && let Some(end) = rest.find(']')
        {
            s = rest[end + 1..].trim_start();
        }
        let lower = s.to_ascii_lowercase();
        for p in ["re", "aw", "sv", "antw", "fwd", "fw", "tr", "wg"] {
            if lower.starts_with(p) {
                let rest = &s[p.len()..];
                // `Re:`, `Re :`, `Re[2]:`, `Re^2:`
                let rest2 = rest.trim_start_matches(|c: char| {
                    c.is_ascii_digit() || c == '[' || c == ']' || c == '^' || c == ' '
                });
                if let Some(r) = rest2.strip_prefix(':').or_else(|| rest2.strip_prefix('：')) {
                    reply |= matches!(p, "re" | "aw" | "sv" | "antw");
                    s = r.trim_start();
                    break;
                }
            }
        }
        if s == before {
            break;
        }
    }
    (clean_line(s).to_lowercase(), reply)
}

fn tz_minutes(d: &DateTime) -> i32 {
    let m = d.tz_hour as i32 * 60 + d.tz_minute as i32;
    if d.tz_before_gmt { -m } else { m }
}

/// Date header, then envelope, then Received; two- and three-digit years repaired.
fn pick_date(
    msg: &mail_parser::Message<'_>,
    envelope: Option<&str>,
) -> (Option<i64>, i32, DateSource) {
    let sane = |t: i64| (MIN_SANE..MAX_SANE).contains(&t);
    let mut absurd: Option<(i64, i32)> = None;
    if let Some(d) = msg.date() {
        let mut d = *d;
        let repaired = match d.year {
            0..=49 => {
                d.year += 2000;
                true
            }
            50..=999 => {
                d.year += 1900;
                true
            }
            _ => false,
        };
        if d.is_valid() {
            let t = d.to_timestamp();
            if sane(t) {
                let src = if repaired {
                    DateSource::HeaderRepaired
                } else {
                    DateSource::Header
                };
                return (Some(t), tz_minutes(&d), src);
            }
            absurd = Some((t, tz_minutes(&d)));
        }
    }
    if let Some(t) = envelope
        .and_then(super::mbox::envelope_date)
        .filter(|t| sane(*t))
    {
        return (Some(t), 0, DateSource::Envelope);
    }
    for r in msg.header_values("Received") {
        if let HeaderValue::Received(r) = r
            && let Some(d) = &r.date
            && d.is_valid()
            && sane(d.to_timestamp())
        {
            return (Some(d.to_timestamp()), tz_minutes(d), DateSource::Received);
        }
    }
    match absurd {
        Some((t, tz)) => (Some(t), tz, DateSource::Absurd),
        None => (None, 0, DateSource::Missing),
    }
}

/// Hash of what makes a message the same message: id, sender, date, subject and body,
/// ignoring trace headers that differ between two deliveries of one post.
fn content_hash(msg: &mail_parser::Message<'_>, body: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    for name in ["Message-ID", "From", "Date", "Subject"] {
        h.update(msg.header_raw(name).unwrap_or("").trim().as_bytes());
        h.update([0]);
    }
    let mut end = body.len();
    while end > 0 && body[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    let mut prev = 0;
    for (i, &b) in body[..end].iter().enumerate() {
        if b == b'\r' && body.get(i + 1) == Some(&b'\n') {
            h.update(&body[prev..i]);
            prev = i + 1;
        }
    }
    h.update(&body[prev..end]);
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipermail_from_is_deobfuscated() {
        let raw = b"From: vergata at fbihome.de (Sergio Vergata)\nDate: Tue, 1 Apr 2008 14:36:36 +0200\nSubject: [Linux-uvc-devel] Re: New Device\nMessage-ID: <a@b>\n\nHi at all\n";
        let n = normalize(
            raw,
            Origin {
                envelope: None,
                pipermail: true,
            },
        )
        .unwrap();
        assert_eq!(n.from_addr, "vergata@fbihome.de");
        assert_eq!(n.from_name, "Sergio Vergata");
        assert_eq!(n.subject_key, "new device");
        assert!(n.is_reply_subject);
        assert_eq!(n.date, Some(1207053396));
        assert_eq!(n.tz_offset, 120);
        assert!(n.body_text.contains("Hi at all"));
    }

    #[test]
    fn year_102_is_repaired_and_1970_falls_back() {
        let raw = b"From: a@b\nDate: Mon, 2 Sep 102 10:00:00 +0000\nMessage-ID: <x@y>\n\nbody\n";
        let n = normalize(raw, Origin::default()).unwrap();
        assert_eq!(n.date_source, DateSource::HeaderRepaired);
        assert_eq!(n.date, Some(1030960800));
        let raw = b"From: a@b\nDate: Thu, 1 Jan 1970 00:00:00 +0000\n\nbody\n";
        let n = normalize(
            raw,
            Origin {
                envelope: Some("a@b Tue Mar  1 03:09:56 2005"),
                pipermail: false,
            },
        )
        .unwrap();
        assert_eq!(n.date_source, DateSource::Envelope);
        assert!(n.msgid_generated);
    }

    #[test]
    fn eight_bit_headers_are_detected_not_replaced() {
        let raw = b"From: J\xfcrgen <j@example.de>\nSubject: Gr\xfc\xdfe aus M\xfcnchen\nMessage-ID: <x@y>\n\nbody\n";
        let n = normalize(raw, Origin::default()).unwrap();
        assert_eq!(n.subject, "Grüße aus München");
        assert_eq!(n.from_name, "Jürgen");
    }

    #[test]
    fn undeclared_charset_body_is_detected() {
        let raw = b"From: a@b\nMessage-ID: <x@y>\n\nca\xe7a \xe0 la fran\xe7aise, tr\xe8s bien\n";
        let n = normalize(raw, Origin::default()).unwrap();
        assert!(n.body_text.contains("française"), "{}", n.body_text);
    }

    #[test]
    fn utf8_label_with_latin1_bytes() {
        let raw = b"From: a@b\nMessage-ID: <x@y>\nContent-Type: text/plain; charset=utf-8\n\nLe jeu. 27 oct. 2022 \xe0 14:57, caf\xc3\xa9\n";
        let n = normalize(raw, Origin::default()).unwrap();
        assert!(
            n.body_text.contains("2022 à 14:57, café"),
            "{}",
            n.body_text
        );
    }

    #[test]
    fn subject_keys() {
        assert_eq!(
            subject_key("Re: [Bp_certs] [Bp_spam] RE: Hello  world").0,
            "hello world"
        );
        assert_eq!(subject_key("AW: Re[2]: x").0, "x");
        assert!(!subject_key("Fwd: x").1);
    }

    #[test]
    fn garbage_does_not_panic() {
        assert!(normalize(b"   \n", Origin::default()).is_err());
        let _ = normalize(b"\xff\xfe\x00garbage", Origin::default());
    }
}
