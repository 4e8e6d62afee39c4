//! Raw message bytes -> the one normalized shape the store, threading and pages rely on.
//!
//! mail-parser does the MIME work; this module repairs what real archives get wrong before
//! and after it: pipermail's `jane at example.org` obfuscation, raw 8-bit headers (decoded by
//! charset detection instead of becoming U+FFFD), text parts with missing or bogus charsets,
//! two- and three-digit years, absurd dates (falling back to the envelope, then Received),
//! and missing Message-IDs (a deterministic one is made from the content).
//!
//! Everything here is sender-controlled, so every loop is linear in the input and nothing
//! recurses over the message's structure (see [`drop_flat`] and [`MAX_ENCODED_NESTING`]).

use std::borrow::Cow;
use std::collections::HashSet;

use mail_parser::{Address, DateTime, HeaderValue, Message, MessageParser, MimeHeaders, PartType};
use sha2::{Digest, Sha256};

/// References kept for threading: the first (the thread's root) and the last
/// [`REFERENCES_NEAREST`] (the nearest ancestors). Threading needs no more: the parent is the
/// last, and the root ties a thread together when the middle is missing. A `References:`
/// header of thousands of ids is legitimate in size but would cost every later step (storage,
/// threading, pages) in proportion.
pub const REFERENCES_NEAREST: usize = 100;

/// Deepest nest of messages allowed inside transfer-encoded (base64, quoted-printable)
/// `message/rfc822` parts. mail-parser decodes such a part and copies the messages nested in
/// it recursively, about 1 KB of stack per level, so a small base64 part holding thousands
/// of nested messages would overflow the stack. A message past this is stored with its
/// headers and its body as plain text, its structure given up. Forwarded mail nests a few
/// levels; unencoded nesting, which mail-parser handles without recursion, is not limited.
pub const MAX_ENCODED_NESTING: usize = 64;

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
    /// The list's posting address, from `List-Post: <mailto:…>` (RFC 2369).
    pub list_post: Option<String>,
    pub body_text: String,
    pub body_html: Option<String>,
    /// The text body was derived from the HTML part (the message had no text part).
    pub text_from_html: bool,
    pub flowed: Flowed,
    pub attachments: Vec<Attachment>,
    /// Identity of the content, to tell a duplicate from a different message reusing an id.
    pub content_hash: [u8; 32],
}

/// How the lines of a text part are meant (RFC 3676): as written, or format=flowed, whose
/// soft line breaks (a trailing space) a reader rejoins into paragraphs; with DelSp=yes
/// the space itself is not part of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flowed {
    #[default]
    Fixed,
    Flowed,
    DelSp,
}

impl Flowed {
    /// The code the store keeps.
    pub fn code(self) -> i64 {
        match self {
            Flowed::Fixed => 0,
            Flowed::Flowed => 1,
            Flowed::DelSp => 2,
        }
    }
}

/// A stored code. One this version does not know reads as fixed text, which shows every
/// line as it was written and so loses nothing.
impl From<i64> for Flowed {
    fn from(code: i64) -> Flowed {
        match code {
            1 => Flowed::Flowed,
            2 => Flowed::DelSp,
            _ => Flowed::Fixed,
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
    let flat = encoded_nesting(parse_input) > MAX_ENCODED_NESTING;
    let parser = MessageParser::default();
    let msg = if flat {
        parser.parse_headers(parse_input)
    } else {
        parser.parse(parse_input)
    }
    .ok_or(NormalizeError::NoHeaders)?;
    if msg.headers().is_empty() {
        drop_flat(msg);
        return Err(NormalizeError::NoHeaders);
    }

    let (from_name, from_addr) = first_address(msg.from()).unwrap_or_default();
    let subject = clean_line(msg.subject().unwrap_or(""));
    let (subject_key, is_reply_subject) = subject_key(&subject);

    let (date, tz_offset, date_source) = pick_date(&msg, origin.envelope);

    let in_reply_to = first_id(msg.in_reply_to());
    let mut references = thread_references(id_list(msg.references()));
    let list_id = list_id(&msg);
    let list_post = msg.header_raw("List-Post").and_then(post_address);

    let (body_text, body_html, text_from_html) = bodies(&msg, flat.then_some(body));
    let flowed = flowed(&msg);
    let attachments = attachments(&msg);

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
    drop_flat(msg);

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
        list_post,
        body_text,
        body_html,
        text_from_html,
        flowed,
        attachments,
        content_hash: hash,
    })
}

/// The address of a `List-Post` value (`<mailto:list@example.org>`, perhaps with a
/// `?subject=` or a comment); `NO` (a list that takes no posts) and anything that is not
/// one plain address give none, so that a Reply link never carries a sender's other text.
pub fn post_address(value: &str) -> Option<String> {
    let start = value.find("mailto:")? + "mailto:".len();
    let rest = &value[start..];
    let end = rest
        .find(['>', '?', ',', ' ', '\t', '\r', '\n'])
        .unwrap_or(rest.len());
    let addr = rest[..end].trim();
    let (local, domain) = addr.split_once('@')?;
    let plain = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=^_`{|}~.".contains(&b))
    };
    (addr.len() <= 254 && plain(local) && plain(domain) && domain.contains('.'))
        .then(|| addr.to_string())
}

/// The `List-Id` header's identifier, without its brackets.
fn list_id(msg: &Message<'_>) -> Option<String> {
    match msg.list_id() {
        HeaderValue::Address(a) => first_address(Some(a)).map(|(_, addr)| addr),
        HeaderValue::Text(t) => Some(t.trim_matches(['<', '>', ' ']).to_string()),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

/// The text body, the HTML body, and whether the text was derived from the HTML.
/// `flat_body` is the raw body of a message whose MIME structure was too deep to parse:
/// it is shown as the text it is.
fn bodies(msg: &Message<'_>, flat_body: Option<&[u8]>) -> (String, Option<String>, bool) {
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
        body_text.push_str(&decode_text_part(msg, part));
    }
    let body_html = msg
        .html_bodies()
        .find(|p| matches!(p.body, PartType::Html(_)))
        .map(|p| decode_text_part(msg, p));
    // HTML-only mail still gets a text body (for search and feeds), marked as derived.
    if let Some(body) = flat_body {
        body_text = utf8_or_1252(body);
    }
    let text_from_html = body_text.trim().is_empty() && body_html.is_some();
    if text_from_html && let Some(h) = &body_html {
        body_text = mail_parser::decoders::html::html_to_text(h);
    }
    (body_text, body_html, text_from_html)
}

/// format=flowed and its DelSp flag, from the first text part's Content-Type.
fn flowed(msg: &Message<'_>) -> Flowed {
    msg.text_bodies()
        .find(|p| matches!(p.body, PartType::Text(_)))
        .and_then(|p| p.content_type())
        .map(|ct| {
            let f = ct
                .attribute("format")
                .is_some_and(|v| v.eq_ignore_ascii_case("flowed"));
            let d = ct
                .attribute("delsp")
                .is_some_and(|v| v.eq_ignore_ascii_case("yes"));
            match (f, d) {
                (false, _) => Flowed::Fixed,
                (true, false) => Flowed::Flowed,
                (true, true) => Flowed::DelSp,
            }
        })
        .unwrap_or_default()
}

/// Every attachment with a safe name (never a path) and a lower-case type.
fn attachments(msg: &Message<'_>) -> Vec<Attachment> {
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
    attachments
}

/// Drops a parsed message without recursing: mail-parser holds nested `message/rfc822` parts
/// by value, and the ordinary drop recurses once per level, which a hostile message can nest
/// deep enough (ten thousand levels fit in 300 KB) to overflow the stack.
fn drop_flat(msg: Message<'_>) {
    let mut stack = vec![msg];
    while let Some(mut m) = stack.pop() {
        for part in &mut m.parts {
            if matches!(part.body, PartType::Message(_))
                && let PartType::Message(inner) = std::mem::take(&mut part.body)
            {
                stack.push(inner);
            }
        }
    }
}

/// Whether `hay` contains `needle`, ASCII case-insensitively.
fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// The content type given to transfer-encoded parts that might be messages, while their
/// nesting is measured (see [`encoded_nesting`]).
const ENCODED_MESSAGE_MARK: &[u8] = b"Content-Type: application/x-larch-encoded-message\n";
/// What a renamed `Content-Type` header is called meanwhile.
const RENAMED_TYPE: &str = "X-Larch-Was-Type";

/// Whether a header line starts the field `name` (ASCII case-insensitively; spaces before
/// the colon allowed).
fn is_field(line: &[u8], name: &[u8]) -> bool {
    line.len() > name.len()
        && line[..name.len()].eq_ignore_ascii_case(name)
        && line[name.len()..]
            .iter()
            .find(|&&b| b != b' ' && b != b'\t')
            .is_some_and(|&b| b == b':')
}

/// Whether a `Content-Type` field surely names no message type: a `multipart/…` value
/// (mail-parser never decodes a multipart), or no `message` in it at all. Encoded words and
/// comments could hide the real type, so a field with them is not cleared the second way.
fn type_cannot_be_message(field: &[u8]) -> bool {
    let value = field
        .iter()
        .position(|&b| b == b':')
        .map_or(&[][..], |c| field[c + 1..].trim_ascii_start());
    if value
        .get(..10)
        .is_some_and(|v| v.eq_ignore_ascii_case(b"multipart/"))
    {
        return true;
    }
    !contains_ci(field, b"message")
        && !field.windows(2).any(|w| w == b"=?")
        && !field.contains(&b'(')
}

/// Whether a `Content-Transfer-Encoding` field may make mail-parser decode the part: base64
/// or quoted-printable, or an encoded word that could say so.
fn encoding_may_decode(field: &[u8]) -> bool {
    contains_ci(field, b"base64")
        || contains_ci(field, b"quoted-printable")
        || field.windows(2).any(|w| w == b"=?")
}

/// How [`disarm`] left a content.
enum Disarmed {
    /// Nothing in it can be a transfer-encoded message part.
    Unchanged,
    /// Every part that might be a transfer-encoded message made a plain encoded leaf.
    Changed(Vec<u8>),
    /// A part with an encoding and several content types: which one the parser picks is its
    /// business, so the message is treated as too deep.
    Ambiguous,
}

/// Rewrites a content so that mail-parser sees no transfer-encoded message part (the only
/// kind it parses recursively): in each header block (lines between empty lines, as
/// mail-parser ends a header block at the first empty line) holding a base64 or
/// quoted-printable `Content-Transfer-Encoding` and a content type that could make the part
/// a message (one naming `message`, or none at all, as in a digest), the `Content-Type` is
/// renamed and [`ENCODED_MESSAGE_MARK`] inserted before each such encoding line. A part
/// with a multipart type stays as it is: mail-parser never decodes those.
fn disarm(content: &[u8]) -> Disarmed {
    let line_end = |at: usize| find_newline(&content[at..]).map_or(content.len(), |i| at + i + 1);
    let is_empty = |l: &[u8]| l == b"\n" || l == b"\r\n";
    // The suspect blocks: (start, end, content type field, encoding fields).
    let mut suspects: Vec<(usize, usize, Option<usize>, Vec<usize>)> = Vec::new();
    let mut at = 0;
    while at < content.len() {
        // A block: the lines up to the next empty line. Its fields are a line and its
        // folded continuations; only the starts of the interesting ones are kept.
        let block = at;
        let mut types = 0;
        let mut type_at: Option<usize> = None;
        // The block's one content type names a multipart, or no message.
        let mut type_harmless = false;
        let mut encodings: Vec<usize> = Vec::new();
        let mut field = at;
        let mut end = at;
        while end < content.len() {
            let next = line_end(end);
            if is_empty(&content[end..next]) {
                break;
            }
            if end == block || !matches!(content[end], b' ' | b'\t') {
                field = end;
            }
            let next_folded = next < content.len() && matches!(content[next], b' ' | b'\t');
            if !next_folded && matches!(content[field], b'c' | b'C') {
                // The field [field, next) is complete, and may be one of ours.
                let f = &content[field..next];
                if is_field(f, b"content-type") {
                    types += 1;
                    type_at = Some(field);
                    type_harmless = type_cannot_be_message(f);
                } else if is_field(f, b"content-transfer-encoding") && encoding_may_decode(f) {
                    encodings.push(field);
                }
            }
            end = next;
        }
        if !encodings.is_empty() {
            if types > 1 {
                return Disarmed::Ambiguous;
            }
            if types == 0 || !type_harmless {
                suspects.push((block, end, type_at, encodings));
            }
        }
        // Past the empty line ending the block, if any.
        at = if end < content.len() {
            line_end(end)
        } else {
            end
        };
    }
    if suspects.is_empty() {
        return Disarmed::Unchanged;
    }
    let mut out = Vec::with_capacity(content.len() + 64 * suspects.len());
    let mut copied = 0;
    for (block, end, type_at, encodings) in suspects {
        out.extend_from_slice(&content[copied..block]);
        let mut enc = encodings.iter().peekable();
        let mut l = block;
        while l < end {
            let next = line_end(l);
            if enc.next_if(|&&e| e == l).is_some() {
                out.extend_from_slice(ENCODED_MESSAGE_MARK);
            }
            if type_at == Some(l) {
                out.extend_from_slice(RENAMED_TYPE.as_bytes());
                out.extend_from_slice(&content[l + b"content-type".len()..next]);
            } else {
                out.extend_from_slice(&content[l..next]);
            }
            l = next;
        }
        copied = end;
    }
    out.extend_from_slice(&content[copied..]);
    Disarmed::Changed(out)
}

/// Number of `Content-Type` header lines: each level of message nesting needs one (a
/// `message/rfc822` part, or a digest whose parts default to messages).
fn type_lines(content: &[u8]) -> usize {
    content
        .split(|&b| b == b'\n')
        .filter(|l| is_field(l, b"content-type"))
        .count()
}

/// An upper bound of how deep mail-parser would recurse over messages nested inside
/// transfer-encoded message parts (0 for the usual message, which has none). Measured
/// without letting mail-parser recurse: [`disarm`] turns the suspects into plain encoded
/// leaves, which mail-parser decodes exactly as it would have (same decoder, same
/// boundaries); each decoded leaf is examined the same way one level down, up to the three
/// levels mail-parser decodes. Leaves of one content are disjoint, so the work is linear;
/// a leaf that was not in fact encoded (its encoding line belonged to the text before it)
/// is re-examined at its own level, a bounded number of times.
fn encoded_nesting(raw: &[u8]) -> usize {
    /// mail-parser decodes and parses nested encoded messages this many levels down.
    const ENCODED_LEVELS: usize = 3;
    /// Re-examinations of contents that were suspects without being encoded.
    const RELOOKS: usize = 16;
    // A message whose own type is neither multipart nor message is one leaf part, and
    // mail-parser decodes it without looking inside: the usual case, settled by the header.
    let head = &raw[..find_header_end(raw)];
    let mut may_nest = false;
    let mut at = 0;
    while at < head.len() && !may_nest {
        let mut end = find_newline(&head[at..]).map_or(head.len(), |i| at + i + 1);
        while end < head.len() && matches!(head[end], b' ' | b'\t') {
            end = find_newline(&head[end..]).map_or(head.len(), |i| end + i + 1);
        }
        let field = &head[at..end];
        may_nest = is_field(field, b"content-type")
            && (contains_ci(field, b"multipart") || !type_cannot_be_message(field));
        at = end;
    }
    if !may_nest {
        return 0;
    }
    // (content, encoding level, nesting above it)
    let mut work: Vec<(Cow<'_, [u8]>, usize, usize)> = vec![(Cow::Borrowed(raw), 0, 0)];
    let mut relooks = 0;
    let mut deepest = 0;
    while let Some((content, level, above)) = work.pop() {
        let here = if level == 0 {
            0
        } else {
            above + type_lines(&content) + 1
        };
        deepest = deepest.max(here);
        if deepest > MAX_ENCODED_NESTING {
            break;
        }
        let disarmed = match disarm(&content) {
            Disarmed::Unchanged => continue,
            Disarmed::Ambiguous => return usize::MAX,
            Disarmed::Changed(d) => d,
        };
        drop(content);
        let Some(msg) = MessageParser::default().parse(&disarmed[..]) else {
            continue;
        };
        let mut stack: Vec<&Message<'_>> = vec![&msg];
        while let Some(m) = stack.pop() {
            for part in &m.parts {
                let marked = part.content_type().is_some_and(|ct| {
                    ct.subtype()
                        .is_some_and(|s| s.eq_ignore_ascii_case("x-larch-encoded-message"))
                }) || part
                    .headers
                    .iter()
                    .any(|h| h.name.as_str().eq_ignore_ascii_case(RENAMED_TYPE));
                match &part.body {
                    PartType::Message(inner) => stack.push(inner),
                    PartType::Multipart(_) => {}
                    _ if !marked || part.is_encoding_problem => {}
                    _ if part.encoding != mail_parser::Encoding::None => {
                        if level < ENCODED_LEVELS {
                            work.push((Cow::Owned(part.contents().to_vec()), level + 1, here));
                        }
                    }
                    _ => {
                        relooks += 1;
                        if relooks > RELOOKS {
                            return usize::MAX;
                        }
                        let from = part.offset_body as usize;
                        let to = (part.offset_end as usize).min(disarmed.len());
                        if let Some(region) = disarmed.get(from..to) {
                            work.push((Cow::Owned(region.to_vec()), level, here));
                        }
                    }
                }
            }
        }
        drop_flat(msg);
    }
    deepest
}

/// The references threading keeps, in order and without repeats: the first and the last
/// [`REFERENCES_NEAREST`].
fn thread_references(ids: Vec<String>) -> Vec<String> {
    let mut seen: HashSet<&str> = HashSet::with_capacity(ids.len());
    let fresh: Vec<bool> = ids.iter().map(|r| seen.insert(r.as_str())).collect();
    drop(seen);
    let mut refs: Vec<String> = ids
        .into_iter()
        .zip(fresh)
        .filter_map(|(r, f)| f.then_some(r))
        .collect();
    if refs.len() > REFERENCES_NEAREST + 1 {
        refs.drain(1..refs.len() - REFERENCES_NEAREST);
    }
    refs
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
        let end = find_newline(&raw[pos..]).map_or(raw.len(), |i| pos + i + 1);
        let line = &raw[pos..end];
        if line == b"\n" || line == b"\r\n" {
            return end;
        }
        pos = end;
    }
    raw.len()
}

/// Rewrites the header block when it needs it: pipermail de-obfuscation and 8-bit bytes
/// decoded by charset detection (message ids by [`decode_id_bytes`]). `None` when the headers
/// are fine as they are.
fn repair_headers(head: &[u8], pipermail: bool) -> Option<Vec<u8>> {
    let is_utf8 = std::str::from_utf8(head).is_ok();
    if is_utf8 && !pipermail {
        return None;
    }
    let text: String = if is_utf8 {
        String::from_utf8_lossy(head).into_owned()
    } else {
        decode_header_block(head)
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

/// Fields whose values name messages: their bytes must read the same in the message and in
/// every reply to it, whatever else each header block holds.
fn is_id_field(name: &[u8]) -> bool {
    let name = name.trim_ascii_end();
    ["message-id", "in-reply-to", "references"]
        .iter()
        .any(|n| name.eq_ignore_ascii_case(n.as_bytes()))
}

/// A header block that is not UTF-8: the charset detected over the whole block for the text
/// fields (as for any 8-bit text), and [`decode_id_bytes`] for the fields naming messages,
/// whose bytes are identity rather than text and would otherwise read differently in each
/// message depending on its other headers.
fn decode_header_block(head: &[u8]) -> String {
    let mut det = chardetng::EncodingDetector::new();
    det.feed(head, true);
    let enc = det.guess(None, true);
    let mut out = String::with_capacity(head.len() + head.len() / 2);
    let mut at = 0;
    while at < head.len() {
        // One field: a line and the folded lines after it.
        let mut end = at;
        loop {
            end = head[end..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(head.len(), |i| end + i + 1);
            if end >= head.len() || !matches!(head[end], b' ' | b'\t') {
                break;
            }
        }
        let field = &head[at..end];
        let name = field.split(|&b| b == b':').next().unwrap_or_default();
        if name.len() < field.len() && is_id_field(name) {
            out.push_str(&decode_id_bytes(field));
        } else {
            out.push_str(&enc.decode_without_bom_handling(field).0);
        }
        at = end;
    }
    out
}

/// Message-ID bytes as text, the same way wherever they appear (a message's own header, a
/// reply's In-Reply-To or References, a pipermail page's reply link). Each run of bytes
/// between spaces and angle brackets that is UTF-8 stays as it is, so ids that are UTF-8
/// keep their keys; any other run is read as UTF-8 where it can be and Windows-1252 where
/// not, with control characters written `\xNN` so the id stays printable and valid (real
/// archives hold ids such as `<…@www.|\xEA\x15@|\xEA\x15@>`, which would otherwise be
/// lost and replaced by a generated one).
pub fn decode_id_bytes(bytes: &[u8]) -> String {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return s.to_string();
    }
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 2);
    for run in bytes.split_inclusive(|&b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'<' | b'>')) {
        let (word, sep) = match run.split_last() {
            Some((&last, word)) if matches!(last, b' ' | b'\t' | b'\r' | b'\n' | b'<' | b'>') => {
                (word, Some(last as char))
            }
            _ => (run, None),
        };
        match std::str::from_utf8(word) {
            Ok(s) => out.push_str(s),
            Err(_) => {
                for c in utf8_or_1252(word).chars() {
                    if c.is_control() {
                        out.push_str(&format!("\\x{:02X}", u32::from(c)));
                    } else {
                        out.push(c);
                    }
                }
            }
        }
        if let Some(c) = sep {
            out.push(c);
        }
    }
    out
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
        for p in ["re", "aw", "sv", "antw", "fwd", "fw", "tr", "wg"] {
            // Only the prefix is compared: lowercasing the whole subject on every round
            // would make `Re: Re: Re: …` quadratic.
            if s.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p)) {
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
        .and_then(super::envelope::envelope_date)
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

/// The key of a message whose Message-ID an earlier, different message holds already: the
/// id and the start of its content hash. Spelled once because the archiver API promises
/// the page address of a message before the store has taken it.
pub fn variant_key(message_id: &str, content_hash: &[u8]) -> String {
    let short = content_hash.get(..6).unwrap_or(content_hash);
    format!("{message_id}#{}", hex::encode(short))
}

/// Position of the first `\n`, eight bytes at a time (files are mostly long runs of text).
pub fn find_newline(h: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const NLS: u64 = 0x0a0a_0a0a_0a0a_0a0a;
    let mut chunks = h.chunks_exact(8);
    let mut at = 0;
    for c in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(c);
        let v = u64::from_ne_bytes(word) ^ NLS;
        if v.wrapping_sub(ONES) & !v & HIGHS != 0 {
            return c.iter().position(|&b| b == b'\n').map(|i| at + i);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == b'\n')
        .map(|i| at + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_posting_address_is_one_plain_address() {
        let cases = [
            (
                "<mailto:linux-mips@vger.kernel.org>",
                Some("linux-mips@vger.kernel.org"),
            ),
            (
                " <mailto:uvc@lists.example.org?subject=hi>",
                Some("uvc@lists.example.org"),
            ),
            ("<mailto:a@b.org> (Postings are moderated)", Some("a@b.org")),
            ("NO (posting not allowed on this list)", None),
            ("<mailto:\"a b\"@x.org>", None),
            ("<mailto:a@b.org&cc=evil@x.org>", None),
            ("<mailto:nodomain>", None),
            ("<http://example.org/post>", None),
        ];
        for (value, want) in cases {
            assert_eq!(post_address(value).as_deref(), want, "{value}");
        }
    }

    #[test]
    fn flowed_from_the_content_type_and_back_from_its_code() {
        let read = |ct: &str| {
            let raw = format!("From: a@b\nContent-Type: text/plain; {ct}\n\nHi \nthere\n");
            normalize(raw.as_bytes(), Origin::default()).unwrap().flowed
        };
        assert_eq!(read("charset=utf-8"), Flowed::Fixed);
        assert_eq!(read("format=Flowed"), Flowed::Flowed);
        assert_eq!(read("format=flowed; delsp=yes"), Flowed::DelSp);
        assert_eq!(read("delsp=yes"), Flowed::Fixed);
        for f in [Flowed::Fixed, Flowed::Flowed, Flowed::DelSp] {
            assert_eq!(Flowed::from(f.code()), f);
        }
        assert_eq!(Flowed::from(7), Flowed::Fixed);
    }

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

    const ODD: &[u8] = b"20050824040347.GA5323@www.|\xEA\x15@|\xEA\x15@";

    #[test]
    fn ids_with_invalid_utf8_keep_identity() {
        let want = "20050824040347.GA5323@www.|\u{ea}\\x15@|\u{ea}\\x15@";
        assert_eq!(decode_id_bytes(ODD), want);
        let parent = [
            b"From: a@b\nSubject: Gr\xfc\xdfe\nMessage-ID: <".as_slice(),
            ODD,
            b">\n\nbody\n",
        ]
        .concat();
        let n = normalize(&parent, Origin::default()).unwrap();
        assert_eq!(n.message_id, want);
        assert!(!n.msgid_generated);
        // A reply whose other headers are in another charset (KOI8-R) names the same id.
        let reply = [
            b"From: b@c\nSubject: \xf0\xd2\xc9\xd7\xc5\xd4\nMessage-ID: <r@x>\nIn-Reply-To: <"
                .as_slice(),
            ODD,
            b">\nReferences: <root@x>\n <",
            ODD,
            b">\n\nbody\n",
        ]
        .concat();
        let r = normalize(&reply, Origin::default()).unwrap();
        assert_eq!(r.in_reply_to.as_deref(), Some(want));
        assert_eq!(r.references, vec!["root@x".to_string(), want.to_string()]);
    }

    #[test]
    fn utf8_ids_keep_their_keys() {
        assert_eq!(decode_id_bytes("caf\u{e9}@x".as_bytes()), "caf\u{e9}@x");
        // In an all-UTF-8 header block, as before; next to Latin-1 text, read as UTF-8 too.
        for subject in [b"caf\xc3\xa9".as_slice(), b"caf\xe9"] {
            let raw = [
                b"From: a@b\nSubject: ".as_slice(),
                subject,
                b"\nMessage-ID: <caf\xc3\xa9.\x01@x>\nReferences: <a\x7f@b>\n\nbody\n",
            ]
            .concat();
            let n = normalize(&raw, Origin::default()).unwrap();
            assert_eq!(n.subject, "café");
            // A control character in an id that is UTF-8 still makes it invalid, as before.
            assert!(n.msgid_generated);
            assert!(n.references.is_empty());
        }
        let raw = b"From: a@b\nSubject: caf\xe9\nMessage-ID: <caf\xc3\xa9@x>\n\nbody\n";
        assert_eq!(
            normalize(raw, Origin::default()).unwrap().message_id,
            "café@x"
        );
    }

    #[test]
    fn thousands_of_references() {
        let mut refs: Vec<String> = (0..6000).map(|i| format!("<{i}@x>")).collect();
        // Repeats, too: kept once, in first-seen order.
        refs.extend((0..3000).map(|i| format!("<{}@x>", i * 2)));
        refs.push("<parent@x>".into());
        let raw = format!(
            "From: a@b\nMessage-ID: <me@x>\nReferences: {}\n\nbody\n",
            refs.join("\n ")
        );
        let n = normalize(raw.as_bytes(), Origin::default()).unwrap();
        assert_eq!(n.references.len(), REFERENCES_NEAREST + 1);
        assert_eq!(n.references[0], "0@x");
        assert_eq!(n.references[1], "5901@x");
        assert_eq!(n.references.last().map(String::as_str), Some("parent@x"));
    }

    #[test]
    fn long_reply_chains_in_subjects() {
        let s = "Re: ".repeat(20_000) + "[l] Fwd: AW: x";
        assert_eq!(subject_key(&s), ("x".to_string(), true));
    }

    fn base64(data: &[u8]) -> String {
        const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for (k, c) in data.chunks(3).enumerate() {
            let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
            let v = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
            for i in 0..4 {
                out.push(if i <= c.len() {
                    T[((v >> (18 - 6 * i)) & 63) as usize] as char
                } else {
                    '='
                });
            }
            if k % 19 == 18 {
                out.push('\n');
            }
        }
        out
    }

    fn nested(levels: usize) -> String {
        "Content-Type: message/rfc822\n\n".repeat(levels) + "Subject: innermost\n\ninner\n"
    }

    /// Ten thousand levels, plain, inside base64 and quoted-printable parts, inside a
    /// multipart, and ten thousand nested multiparts: normalized on a 256 KiB stack.
    #[test]
    fn deep_nesting_on_a_small_stack() {
        let head = "From: a@b\nMessage-ID: <deep@x>\nSubject: deep\n";
        let plain = format!("{head}{}", nested(10_000));
        let b64 = format!(
            "{head}Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n{}\n",
            base64(nested(10_000).as_bytes())
        );
        let qp = format!(
            "{head}Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhi\n\
             --b\nContent-Type: Message/RFC822\nContent-Transfer-Encoding: Quoted-Printable\n\n{}\n--b--\n",
            nested(10_000).replace("Content-Type", "Content-Typ=\ne")
        );
        let mut multi = head.to_string();
        for i in 0..10_000 {
            multi.push_str(&format!(
                "Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}\n"
            ));
        }
        multi.push_str("Content-Type: text/plain\n\ndeep text\n");
        for i in (0..10_000).rev() {
            multi.push_str(&format!("--b{i}--\n"));
        }
        // A legitimate forward inside base64 keeps its structure.
        let forward = format!(
            "{head}Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nsee below\n\
             --b\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n{}\n--b--\n",
            base64(b"From: c@d\nSubject: fwd\nContent-Type: text/plain\n\nforwarded\n")
        );
        // Ways to hide the encoding or the type: an encoded word saying base64, a message
        // type with `multipart` in a parameter, and an encoding line that belongs to the
        // text before the part (the part itself is an unencoded message holding the nest).
        let inner = base64(nested(10_000).as_bytes());
        let worded = format!(
            "{head}Content-Type: message/rfc822\nContent-Transfer-Encoding: =?us-ascii?b?YmFzZTY0?=\n\n{inner}\n"
        );
        let param = format!(
            "{head}Content-Type: message/rfc822; x=multipart\nContent-Transfer-Encoding: base64\n\n{inner}\n"
        );
        let decoy = format!(
            "{head}Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\n\
             Content-Transfer-Encoding: base64\n--b\nContent-Type: message/rfc822\n\n\
             Subject: wrapper\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n\
             {inner}\n--b--\n"
        );
        let inputs = [plain, b64, qp, multi, forward, worded, param, decoy];
        let out = crate::test_util::on_small_stack(move || {
            inputs
                .iter()
                .map(|m| normalize(m.as_bytes(), Origin::default()).map(|n| n.body_text))
                .collect::<Vec<_>>()
        });
        assert!(out.iter().all(Result::is_ok), "{out:?}");
        let out: Vec<String> = out.into_iter().flatten().collect();
        // The encoded nests are given up as structure and kept as text.
        assert!(out[1].starts_with("Q29udGVudC1UeXBl"), "{}", &out[1][..40]);
        assert!(out[2].contains("Content-Typ=\ne"));
        assert!(out[3].contains("deep text"));
        assert_eq!(out[4].trim(), "see below");
    }

    #[test]
    fn garbage_does_not_panic() {
        assert!(normalize(b"   \n", Origin::default()).is_err());
        let _ = normalize(b"\xff\xfe\x00garbage", Origin::default());
    }
}
