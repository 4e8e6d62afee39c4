//! Message body -> safe HTML for the message, thread and feed pages.
//!
//! Text is escaped first and structure is added around it as markup: quote levels, long
//! quotes folded behind `<details>`, the signature and Mailman's footer dimmed, pipermail's
//! "scrubbed attachment" stubs as cards, URLs linked (Outlook SafeLinks and Proofpoint
//! wrappers unwrapped to the real target), addresses obfuscated. HTML-only mail goes through
//! ammonia with a small allow-list: no script, handler, form, frame, image or non-http URL.
//!
//! Mail is written by strangers, so every step is linear in the size of the body and
//! nothing recurses over what a sender controls. Bodies past the limits below are shown in
//! a plainer form; [`render_body`] says which form was used.
//!
//! Activity charts, listings nested by thread and search excerpts are built here too, in
//! [`chart`], [`outline`] and [`marked`]: pages print unescaped only what this module or a
//! template made.

pub mod chart;
mod earlier;
mod flow;
mod html_guard;
mod links;
mod marked;
pub mod outline;
mod quotes;
mod subject;
mod wrapped;

pub use earlier::Earlier;
pub use html_guard::{MAX_HTML_ATTRS, MAX_HTML_DEPTH, MAX_HTML_FORMATTING, MAX_HTML_WORK};
pub use links::{obfuscated_text, unwrap_url};
pub use marked::marked;
pub use subject::{ListTags, listing_subject};

use std::borrow::Cow;
use std::collections::HashSet;

use crate::domain::escape::{Html, esc};
use crate::domain::normalize::Flowed;
use crate::domain::tail::Tail;
use crate::i18n::Lang;

/// Text bodies up to this size get quote levels, folding, links and the rest; larger ones
/// are shown as escaped text. That markup costs several times the text (a line of bare
/// URLs grows about sevenfold), and a body this large is a log, a dump or an attachment
/// pasted inline, which plain text serves as well.
pub const MAX_RICH_TEXT_BYTES: usize = 1 << 20;

/// Text bodies with more lines than this are shown as escaped text: every quoted line
/// becomes an element of its own, and a million one-character lines would make a page of
/// tens of megabytes. A long patch stays below it.
pub const MAX_RICH_TEXT_LINES: usize = 50_000;

/// The most of one text body a page carries (escaping can make it up to six times as
/// much HTML); past it, the beginning is shown with a note to download the raw message.
/// Browsers slow down on pages of many megabytes, and the raw message is one click away.
pub const MAX_SHOWN_TEXT_BYTES: usize = 2 << 20;

/// HTML parts larger than this are not parsed; their text version is shown. The
/// sanitizer's parser needs a few microseconds per element, a quarter of a second for
/// this much dense markup, and mail clients clip HTML long before it (Gmail at 102 KB).
pub const MAX_HTML_BYTES: usize = 512 << 10;

/// A note above a body that is not shown as its sender wrote it, in the reader's language.
fn note(lang: Lang, key: &str) -> String {
    format!("<p class=\"body-note\">{}</p>", esc(&lang.t(key)))
}

/// How a body is rendered.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// Show addresses as `jane at example.org`.
    pub obfuscate: bool,
    /// Message-IDs the archive holds: `<id>` references to them become links.
    pub known_ids: Option<&'a std::collections::HashSet<String>>,
    /// The thread's other messages: a fold of quoted history that names one of them by
    /// sender and time links to it.
    pub earlier: &'a [Earlier],
    /// The rendered message's UTC offset in seconds: quoting clients write times in it.
    pub zone: Option<i64>,
    /// Scrubbed attachments the archive holds again: the `DATE/HASH/NAME` their notes name,
    /// and the stored file's address, which the note's card links instead of the old site.
    pub kept_files: &'a [(String, String)],
    /// The reader's language, for the words the renderer adds (fold summaries, notes).
    pub lang: Lang,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            obfuscate: true,
            known_ids: None,
            earlier: &[],
            zone: None,
            kept_files: &[],
            lang: Lang::En,
        }
    }
}

/// `<id@host>` references in a text, for the caller to look up (at most `limit`), in the
/// order they first appear.
///
/// One pass: only the last `<` before a `>` can open an id (an id holds no `<`), so a
/// run of `<` far from any `>` is read once, not once per `<`.
pub fn message_id_refs(text: &str, limit: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut open = None;
    for (i, c) in text.bytes().enumerate() {
        match c {
            b'<' => open = Some(i),
            b'>' => {
                let Some(o) = open.take() else { continue };
                let cand = &text[o + 1..i];
                if links::looks_like_id(cand) && seen.insert(cand) {
                    out.push(cand.to_string());
                    if out.len() >= limit {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// What the store holds of a body.
pub struct Body<'a> {
    pub text: &'a str,
    pub html: Option<&'a str>,
    /// The text was derived from the HTML part (no text part existed).
    pub text_from_html: bool,
    pub flowed: Flowed,
}

/// Quoted blocks longer than this are folded.
const FOLD_LINES: usize = 12;

/// How much of a body's structure a rendering keeps, from most to least.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fidelity {
    /// All of it.
    Full,
    /// HTML its parser could not read in linear time (badly nested, nested deeper than
    /// [`MAX_HTML_DEPTH`], or over [`MAX_HTML_WORK`]) was rebuilt first: every element
    /// closed in order, nesting capped, only the tags kept anyway. Some formatting may
    /// differ.
    SimplifiedHtml,
    /// The HTML part was larger than [`MAX_HTML_BYTES`] (or could not be rebuilt): its
    /// text version is shown, with a note.
    TextInsteadOfHtml,
    /// Larger than [`MAX_RICH_TEXT_BYTES`] or [`MAX_RICH_TEXT_LINES`]: escaped text
    /// without links or quote structure, with a note.
    Plain,
    /// Larger than [`MAX_SHOWN_TEXT_BYTES`]: its beginning as escaped text, with a note to
    /// download the raw message.
    Truncated,
}

/// A rendered body and how much of it was kept.
#[derive(Debug)]
pub struct Rendered {
    pub html: Html,
    pub fidelity: Fidelity,
}

/// Renders a message body as an HTML fragment (block elements).
pub fn body(b: &Body<'_>, opts: Options<'_>) -> Html {
    render_body(b, opts).html
}

/// Whether a body is over the size limits, so that it renders in a reduced form: for a
/// page to offer the raw message up front. Cheap: sizes and a line count only.
pub fn body_is_large(b: &Body<'_>) -> bool {
    if b.text_from_html
        && let Some(html) = b.html
    {
        return html.len() > MAX_HTML_BYTES;
    }
    text_fidelity(b.text) != Fidelity::Full
}

/// [`body`], saying what form the body was rendered in.
pub fn render_body(b: &Body<'_>, opts: Options<'_>) -> Rendered {
    let (html, fidelity) = body_markup(b, opts);
    Rendered {
        html: Html::trusted(html),
        fidelity,
    }
}

fn body_markup(b: &Body<'_>, opts: Options<'_>) -> (String, Fidelity) {
    if b.text_from_html
        && let Some(html) = b.html
    {
        if let Some((clean, fidelity)) = sanitize(html) {
            return (format!("<div class=\"html-body\">{clean}</div>"), fidelity);
        }
        let (text, fidelity) = text_body(b, opts);
        return (
            format!("{}{text}", note(opts.lang, "note-html-as-text")),
            fidelity.max(Fidelity::TextInsteadOfHtml),
        );
    }
    text_body(b, opts)
}

/// The form a text body is rendered in, by its size.
fn text_fidelity(text: &str) -> Fidelity {
    if text.len() > MAX_SHOWN_TEXT_BYTES {
        Fidelity::Truncated
    } else if text.len() > MAX_RICH_TEXT_BYTES
        || text.bytes().filter(|&c| c == b'\n').count() > MAX_RICH_TEXT_LINES
    {
        Fidelity::Plain
    } else {
        Fidelity::Full
    }
}

fn text_body(b: &Body<'_>, opts: Options<'_>) -> (String, Fidelity) {
    let fidelity = text_fidelity(b.text);
    let html = match fidelity {
        Fidelity::Truncated => {
            let cut = shown_prefix(b.text, MAX_SHOWN_TEXT_BYTES);
            format!(
                "{}{}",
                note(opts.lang, "note-truncated"),
                plain_text(&b.text[..cut], opts)
            )
        }
        Fidelity::Plain => format!(
            "{}{}",
            note(opts.lang, "note-plain"),
            plain_text(b.text, opts)
        ),
        _ => {
            let text = match b.flowed {
                Flowed::Fixed => Cow::Borrowed(b.text),
                Flowed::Flowed => Cow::Owned(reflow(b.text, false)),
                Flowed::DelSp => Cow::Owned(reflow(b.text, true)),
            };
            text_blocks(&text, opts)
        }
    };
    (html, fidelity)
}

/// Escaped text, addresses still obfuscated when asked: nothing else is worth its cost
/// on a body this large.
fn plain_text(text: &str, opts: Options<'_>) -> String {
    format!(
        "<pre class=\"text\">{}</pre>",
        links::addresses(text, opts.obfuscate)
    )
}

/// The length of the part of `text` shown when it is cut at about `limit` bytes: at a
/// character boundary, and at the end of a line when one ends near the limit.
fn shown_prefix(text: &str, limit: usize) -> usize {
    if text.len() <= limit {
        return text.len();
    }
    let mut cut = limit;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    match text[..cut].rfind('\n') {
        Some(nl) if cut - nl < 64 * 1024 => nl + 1,
        _ => cut,
    }
}

/// RFC 3676: lines ending in a space continue on the next line of the same quote depth.
pub fn reflow(text: &str, delsp: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending: Option<(usize, String)> = None;
    for raw in text.strip_suffix('\n').unwrap_or(text).split('\n') {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let depth = raw.chars().take_while(|c| *c == '>').count();
        let mut content = &raw[depth..];
        content = content.strip_prefix(' ').unwrap_or(content); // space-stuffing
        let soft = content.ends_with(' ') && content != "-- ";
        let piece = if soft && delsp {
            &content[..content.len() - 1]
        } else {
            content
        };
        match pending.take() {
            Some((d, mut acc)) if d == depth => {
                acc.push_str(piece);
                if soft {
                    pending = Some((d, acc));
                } else {
                    push_line(&mut out, d, &acc);
                }
            }
            other => {
                if let Some((d, acc)) = other {
                    push_line(&mut out, d, &acc);
                }
                if soft {
                    pending = Some((depth, piece.to_string()));
                } else {
                    push_line(&mut out, depth, piece);
                }
            }
        }
    }
    if let Some((d, acc)) = pending {
        push_line(&mut out, d, &acc);
    }
    if out.ends_with('\n') && !text.ends_with('\n') {
        out.pop();
    }
    out
}

fn push_line(out: &mut String, depth: usize, content: &str) {
    for _ in 0..depth {
        out.push('>');
    }
    if depth > 0 && !content.is_empty() {
        out.push(' ');
    }
    out.push_str(content);
    out.push('\n');
}

pub(super) fn quote_depth(line: &str) -> usize {
    let mut depth = 0;
    for c in line.chars() {
        match c {
            '>' => depth += 1,
            ' ' | '\t' if depth > 0 => {}
            _ => break,
        }
    }
    depth
}

/// A pipermail "next part" stub: what was scrubbed and where it was kept.
#[derive(Default)]
struct Stub {
    kind: String,
    name: String,
    ctype: String,
    size: String,
    url: String,
}

fn parse_stub(lines: &[&str]) -> (Stub, usize) {
    let mut stub = Stub::default();
    let mut used = 1; // the "next part" line
    for l in &lines[1..] {
        let t = l.trim();
        if t.is_empty() && used > 1 {
            break;
        }
        let lower = t.to_ascii_lowercase();
        if lower.contains("attachment was scrubbed") {
            stub.kind = t.to_string();
        } else if let Some(v) = field(t, "Name:") {
            stub.name = v;
        } else if let Some(v) = field(t, "Type:") {
            stub.ctype = v;
        } else if let Some(v) = field(t, "Size:") {
            stub.size = v;
        } else if let Some(v) = field(t, "URL:")
            .or_else(|| field(t, "Url :"))
            .or_else(|| field(t, "Url:"))
        {
            stub.url = v.trim_matches(['<', '>']).to_string();
        } else if field(t, "Desc:").is_none() && !t.is_empty() {
            break;
        }
        used += 1;
    }
    (stub, used)
}

fn field(line: &str, name: &str) -> Option<String> {
    // Compared as bytes: `name` is ASCII, so a match ends on a character boundary, and a
    // line whose first characters are wider than ASCII is not sliced through one.
    let n = name.len();
    line.as_bytes()
        .get(..n)
        .is_some_and(|p| p.eq_ignore_ascii_case(name.as_bytes()))
        .then(|| line[n..].trim().to_string())
}

/// The escaped, linked text of one line.
fn line_html(line: &str, opts: Options<'_>) -> String {
    links::linkify(line, opts.obfuscate, opts.known_ids)
}

/// Lines of a body and what the renderer knows about them.
struct Lines<'a> {
    lines: Vec<&'a str>,
    styles: Vec<flow::Style>,
    /// Lines of a quoted list footer.
    qfoot: Vec<bool>,
}

impl Lines<'_> {
    /// Escaped, linked lines `range` into `out`, one per text line: quoted lines in a span
    /// of their depth, hard-wrapped paragraphs in one `flow` span whose inner line breaks
    /// (and the quote prefixes after them, in `qp` spans) the stylesheet may drop.
    fn emit(&self, out: &mut String, range: std::ops::Range<usize>, opts: Options<'_>) {
        let end = range.end;
        let mut in_run = false;
        let mut open = false;
        for k in range {
            let l = self.lines[k];
            let soft = self.styles[k].soft && k + 1 < end;
            if in_run {
                let p = quotes::prefix_len(l);
                if p > 0 {
                    out.push_str("<span class=\"qp\">");
                    out.push_str(&esc(&l[..p]));
                    out.push_str("</span>");
                }
                out.push_str(&line_html(&l[p..], opts));
            } else {
                let d = quote_depth(l).min(4);
                let mut class = String::new();
                if d > 0 {
                    class.push_str(&format!("q q{d}"));
                    if self.qfoot[k] {
                        class.push_str(" qfoot");
                    }
                }
                for (on, name) in [(self.styles[k].keep, "keep"), (soft, "flow")] {
                    if on {
                        if !class.is_empty() {
                            class.push(' ');
                        }
                        class.push_str(name);
                    }
                }
                open = !class.is_empty();
                if open {
                    out.push_str(&format!("<span class=\"{class}\">"));
                }
                out.push_str(&line_html(l, opts));
            }
            in_run = soft;
            if !soft && open {
                out.push_str("</span>");
                open = false;
            }
            out.push('\n');
        }
    }

    /// The end of the quoted region that starts at `start` (its first quoted line at or
    /// after `from`): the first unquoted line, the signature or `end`.
    fn quote_end(&self, from: usize, end: usize) -> usize {
        let mut j = from;
        while j < end && quote_depth(self.lines[j]) > 0 {
            j += 1;
        }
        j
    }

    /// Whether splitting a region at `starts` gives each earlier message its own lines:
    /// after its marker, no line of text sits shallower than the message's own depth,
    /// except the tail of a quoted line that a client re-wrapped (it follows a full line,
    /// or is a single word such as a URL) and quoted list footers.
    fn segments_hold(&self, segs: &[(usize, usize, Option<&quotes::Start>)]) -> bool {
        for &(b, e, start) in segs {
            let Some(start) = start else { continue };
            let body = b + start.lines;
            let Some(depth) = (body..e)
                .find(|&k| !quotes::content(self.lines[k]).trim().is_empty())
                .map(|k| quote_depth(self.lines[k]))
            else {
                continue;
            };
            let mut prev_ok = false;
            for k in body..e {
                let l = self.lines[k];
                let c = quotes::content(l).trim();
                if c.is_empty() {
                    prev_ok = false;
                    continue;
                }
                if quote_depth(l) >= depth || self.qfoot[k] {
                    prev_ok = true;
                    continue;
                }
                let full = self.lines[k - 1].chars().count() >= 60;
                if !(prev_ok && (full || !c.contains(' '))) {
                    return false;
                }
            }
        }
        true
    }
}

/// The summary line of a folded earlier message.
fn fold_summary(start: Option<&quotes::Start>, lines: usize, opts: Options<'_>) -> String {
    match start.filter(|s| !s.who.is_empty() || !s.when.is_empty()) {
        Some(s) => {
            let mut h = String::new();
            if !s.who.is_empty() {
                h.push_str(&format!(
                    "<span class=\"qwho\">{}</span>",
                    links::addresses(&s.who, opts.obfuscate)
                ));
            }
            if !s.when.is_empty() {
                if !h.is_empty() {
                    h.push(' ');
                }
                match earlier::find(&s.who, &s.addr, &s.when, opts.zone, opts.earlier) {
                    Some(e) => h.push_str(&format!(
                        "<a class=\"qwhen\" href=\"{}\" title=\"{}\">{}</a>",
                        esc(&e.href),
                        esc(&opts.lang.t("quote-link-title")),
                        esc(&s.when)
                    )),
                    None => h.push_str(&format!("<span class=\"qwhen\">{}</span>", esc(&s.when))),
                }
            }
            format!(
                "{h} <small>({})</small>",
                esc(&opts.lang.n("quote-lines", lines))
            )
        }
        None => esc(&opts.lang.n("quote-show", lines)),
    }
}

/// Mailman's marker where it replaced an attachment by a note.
const STUB_RULE: &str = "-------------- next part --------------";

fn text_blocks(text: &str, opts: Options<'_>) -> String {
    let raw: Vec<&str> = text.lines().collect();
    let joined = wrapped::join_wrapped_urls(&raw);
    let lines: Vec<&str> = joined.iter().map(|l| l.as_ref()).collect();
    let Tail { footer, signature } = Tail::of(&lines);
    let body_end = footer.unwrap_or(lines.len());
    let body = Lines {
        styles: flow::classify(&lines[..body_end]),
        qfoot: quotes::footer_lines(&lines[..body_end]),
        lines: lines[..body_end].to_vec(),
    };
    let mut w = Blocks {
        body: &body,
        sig: signature,
        opts,
        out: String::with_capacity(text.len() + text.len() / 4),
        plain: String::new(),
    };
    let mut i = 0;
    while i < body_end {
        if Some(i) == signature {
            w.flush();
            pre_lines(&mut w.out, "text sig", &lines[i..body_end], opts);
            break;
        }
        if lines[i].starts_with(STUB_RULE) {
            let (stub, used) = parse_stub(&lines[i..body_end]);
            w.flush();
            w.out
                .push_str(&stub_card(&stub, opts.kept_files, opts.lang));
            i += used;
            continue;
        }
        i = match w.region_at(i) {
            Some(j) => {
                w.region(i, j);
                j
            }
            None => w.unquoted(i),
        };
    }
    w.flush();
    if let Some(f) = footer {
        pre_lines(&mut w.out, "text footer", &lines[f..], opts);
    }
    w.out
}

/// `lines`, escaped and linked, in one `<pre>` of `class`.
fn pre_lines(out: &mut String, class: &str, lines: &[&str], opts: Options<'_>) {
    out.push_str("<pre class=\"");
    out.push_str(class);
    out.push_str("\">");
    for l in lines {
        out.push_str(&line_html(l, opts));
        out.push('\n');
    }
    out.push_str("</pre>");
}

/// A body being cut into blocks: text that flows together collects in `plain` until a
/// fold, stub or signature closes it into `out`.
struct Blocks<'b, 'a, 'o> {
    body: &'b Lines<'a>,
    sig: Option<usize>,
    opts: Options<'o>,
    out: String,
    plain: String,
}

impl Blocks<'_, '_, '_> {
    fn flush(&mut self) {
        if !self.plain.trim().is_empty() {
            self.out.push_str("<pre class=\"text\">");
            self.out.push_str(&self.plain);
            self.out.push_str("</pre>");
        }
        self.plain.clear();
    }

    /// Quoted text ends at the signature.
    fn text_end(&self, from: usize) -> usize {
        match self.sig {
            Some(s) if s >= from => s,
            _ => self.body.lines.len(),
        }
    }

    /// Where the quoted region starting at line `i` ends, if one starts there: quoted
    /// lines, the attribution introducing them, or unquoted history under an Outlook
    /// header block (which runs to the end of the text).
    fn region_at(&self, i: usize) -> Option<usize> {
        let lines = &self.body.lines;
        let limit = self.text_end(i);
        if quote_depth(lines[i]) > 0 {
            Some(self.body.quote_end(i, limit))
        } else if let Some(a) = quotes::attribution_before_quote(lines, i, limit) {
            let mut q = i + a.lines;
            while q < limit && quote_depth(lines[q]) == 0 {
                q += 1;
            }
            Some(self.body.quote_end(q, limit))
        } else if quotes::block_start_at(&lines[..limit], i).is_some() {
            Some(limit)
        } else {
            None
        }
    }

    /// Unquoted text from `i` up to the next region, stub or signature, in one piece so
    /// that its paragraphs can flow; returns where it ends.
    fn unquoted(&mut self, i: usize) -> usize {
        let lines = &self.body.lines;
        let mut e = i + 1;
        while e < lines.len()
            && Some(e) != self.sig
            && !lines[e].starts_with(STUB_RULE)
            && self.region_at(e).is_none()
        {
            e += 1;
        }
        self.body.emit(&mut self.plain, i..e, self.opts);
        e
    }

    /// The quoted region `i..j`: shown as it is when short or a forward, else folded, one
    /// fold per earlier message when its attributions can be told apart.
    fn region(&mut self, i: usize, j: usize) {
        let (body, opts) = (self.body, self.opts);
        let mut starts = Vec::new();
        let mut k = i;
        while k < j {
            match quotes::start_at(&body.lines[..j], k) {
                Some(s) => {
                    let n = s.lines.max(1);
                    starts.push((k, s));
                    k += n;
                }
                None => k += 1,
            }
        }
        let mut segs: Vec<(usize, usize, Option<&quotes::Start>)> = Vec::new();
        if starts.first().is_none_or(|(k, _)| *k > i) {
            segs.push((i, starts.first().map_or(j, |(k, _)| *k), None));
        }
        for (n, (k, s)) in starts.iter().enumerate() {
            let e = starts.get(n + 1).map_or(j, |(k2, _)| *k2);
            segs.push((*k, e, Some(s)));
        }
        let total = j - i;
        // Unquoted history under a header block with nothing above it is a forward: the
        // message itself, not history to fold away.
        let forward = quote_depth(body.lines[i]) == 0
            && quotes::block_start_at(&body.lines[..j], i).is_some()
            && self.out.is_empty()
            && self.plain.trim().is_empty();
        if forward {
            body.emit(&mut self.plain, i..j, opts);
        } else if starts.len() >= 2 && total > FOLD_LINES && body.segments_hold(&segs) {
            self.flush();
            for (b, e, start) in segs {
                let mut html = String::new();
                body.emit(&mut html, b..e, opts);
                self.out.push_str(&format!(
                    "<details class=\"quote earlier\"><summary>{}</summary><pre class=\"text\">{html}</pre></details>",
                    fold_summary(start, e - b, opts)
                ));
            }
        } else if total > FOLD_LINES {
            self.flush();
            let first = starts.first().filter(|(k, _)| *k == i).map(|(_, s)| s);
            let mut html = String::new();
            body.emit(&mut html, i..j, opts);
            self.out.push_str(&format!(
                "<details class=\"quote\"><summary>{}</summary><pre class=\"text\">{html}</pre></details>",
                fold_summary(first, total, opts)
            ));
        } else {
            body.emit(&mut self.plain, i..j, opts);
        }
    }
}

fn stub_card(s: &Stub, kept: &[(String, String)], lang: Lang) -> String {
    let mut h = String::from("<div class=\"stub\"><span class=\"stub-kind\">");
    h.push_str(&esc(&if s.kind.is_empty() {
        lang.t("stub-removed")
    } else {
        s.kind.clone()
    }));
    h.push_str("</span>");
    let mut details = Vec::new();
    if !s.name.is_empty() {
        details.push(esc(&s.name));
    }
    if !s.ctype.is_empty() {
        details.push(esc(&s.ctype));
    }
    if !s.size.is_empty() {
        details.push(esc(&s.size));
    }
    if !details.is_empty() {
        h.push_str(&format!(
            " <span class=\"stub-meta\">{}</span>",
            details.join(", ")
        ));
    }
    let here = crate::domain::scrubbed::path_of_url(&s.url)
        .and_then(|p| kept.iter().find(|(k, _)| *k == p))
        .map(|(_, url)| url);
    if let Some(url) = here {
        h.push_str(&format!(
            " <a href=\"{}\">{}</a>",
            esc(url),
            esc(&lang.t("stub-attachment"))
        ));
    } else if let Some(u) = links::safe_http_url(&s.url) {
        h.push_str(&format!(
            " <a href=\"{}\" rel=\"nofollow noopener ugc\">{}</a>",
            esc(&u),
            esc(&lang.t("stub-original"))
        ));
    }
    h.push_str("</div>");
    h
}

/// HTML mail reduced to a safe subset: formatting and links survive, nothing runs, nothing
/// loads from elsewhere. HTML over [`MAX_HTML_BYTES`] comes back as escaped source.
pub fn sanitize_html(html: &str) -> String {
    sanitize(html).map_or_else(
        || format!("<pre class=\"text\">{}</pre>", esc(html)),
        |(clean, _)| clean,
    )
}

/// The sanitized HTML, or `None` when it is too large to parse in bounded time.
fn sanitize(html: &str) -> Option<(String, Fidelity)> {
    if html.len() > MAX_HTML_BYTES {
        return None;
    }
    let html = images_as_links(html);
    let (input, fidelity) = match html_guard::prepare(&html) {
        html_guard::Prepared::AsIs(h) => (Cow::Borrowed(h), Fidelity::Full),
        html_guard::Prepared::Rebuilt(h) => (Cow::Owned(h), Fidelity::SimplifiedHtml),
        html_guard::Prepared::Refused => return None,
    };
    let mut b = ammonia::Builder::default();
    b.rm_tags(["img"])
        .link_rel(Some("nofollow noopener ugc"))
        // Relative links would point into the archive itself.
        .url_relative(ammonia::UrlRelative::Deny)
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .rm_generic_attributes(["lang"]);
    Some((b.clean(&input).to_string(), fidelity))
}

/// Remote images would tell the sender who reads and when: each `<img>` becomes a link to
/// its source (ammonia then keeps it only if it is http(s)).
fn images_as_links(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len());
    let mut pos = 0;
    while let Some(i) = lower[pos..].find("<img") {
        let start = pos + i;
        let Some(len) = lower[start..].find('>') else {
            break;
        };
        let end = start + len + 1;
        let (tag, tag_lower) = (&html[start..end], &lower[start..end]);
        out.push_str(&html[pos..start]);
        let src = attr(tag, tag_lower, "src").unwrap_or_default();
        let alt = attr(tag, tag_lower, "alt")
            .filter(|a| !a.trim().is_empty())
            .unwrap_or_else(|| "image".into());
        match links::safe_http_url(&src) {
            Some(u) => out.push_str(&format!("<a href=\"{}\">[{}]</a>", esc(&u), esc(&alt))),
            None => out.push_str(&format!("[{}]", esc(&alt))),
        }
        pos = end;
    }
    out.push_str(&html[pos..]);
    out
}

/// A quoted or bare attribute value from a tag (best effort; ammonia has the last word).
/// `lower` is the tag ASCII-lowercased (same byte offsets). Each occurrence of `name` is
/// looked at once, so a tag of thousands of `src` costs its length.
fn attr(tag: &str, lower: &str, name: &str) -> Option<String> {
    let mut from = 0;
    while let Some(i) = lower[from..].find(name) {
        let at = from + i;
        from = at + name.len();
        let before_ok = at > 0 && lower.as_bytes()[at - 1].is_ascii_whitespace();
        let rest = lower[from..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let vstart = tag.len() - rest.len() + 1;
        let v = tag[vstart..].trim_start();
        let value = match v.chars().next() {
            Some(q @ ('"' | '\'')) => v[1..].split(q).next().unwrap_or(""),
            _ => v
                .split(|c: char| c.is_whitespace() || c == '>')
                .next()
                .unwrap_or(""),
        };
        return Some(value.to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::on_small_stack;

    fn render(text: &str) -> String {
        body_markup(
            &Body {
                text,
                html: None,
                text_from_html: false,
                flowed: Flowed::Fixed,
            },
            Options::default(),
        )
        .0
    }

    #[test]
    fn flowed_text_is_reflowed() {
        assert_eq!(
            reflow("This is \nflowed.\n> quoted \n> too\n", false),
            "This is flowed.\n> quoted too\n"
        );
        assert_eq!(reflow("Del \nsp\n", true), "Delsp\n");
    }

    #[test]
    fn long_quotes_fold_and_signatures_dim() {
        let mut t = String::from("On Mon, Jane wrote:\n");
        for i in 0..20 {
            t.push_str(&format!("> line {i}\n"));
        }
        t.push_str("My answer.\n-- \nJoe\n");
        let h = render(&t);
        // The attribution names the fold.
        assert!(
            h.contains("<details class=\"quote\"><summary><span class=\"qwho\">Jane</span> <span class=\"qwhen\">Mon</span> <small>(21 lines)</small></summary>"),
            "{h}"
        );
        assert!(h.contains("On Mon, Jane wrote:"));
        let h = render(&t.replace("On Mon, Jane wrote:\n", ""));
        assert!(h.contains("<details class=\"quote\"><summary>show quoted text (20 lines)"));
        assert!(h.contains("<pre class=\"text sig\">-- \nJoe"));
    }

    #[test]
    fn quoted_history_folds_per_message() {
        let mut t = String::from(
            "Agreed.\n\nOn 2 March 2016 at 10:00, Ann Lee <ann@example.org>\nwrote:\n\n",
        );
        t.push_str(&"> Ann's text, long enough to matter in a fold of its own here.\n".repeat(5));
        t.push_str(">\n> ________________________________\n> From: Bob Roe <bob@example.org>\n> Sent: 1 March 2016 09:00\n> To: list\n> Subject: plan\n>\n");
        t.push_str(&"> Bob's text.\n".repeat(4));
        t.push_str("> > On 28 Feb 2016, at 8:00 AM, Cy Poe <cy@example.org>\n> wrote:\n");
        t.push_str(&"> > Cy's text.\n".repeat(4));
        t.push_str("> > _______________________________________________\n> > Dev mailing list\n> > dev@example.org\n");
        let h = render(&t);
        assert_eq!(
            h.matches("<details class=\"quote earlier\">").count(),
            3,
            "{h}"
        );
        for (who, when) in [
            ("Ann Lee", "2 March 2016 at 10:00"),
            ("Bob Roe", "1 March 2016 09:00"),
            ("Cy Poe", "28 Feb 2016, at 8:00 AM"),
        ] {
            assert!(
                h.contains(&format!(
                    "<span class=\"qwho\">{who}</span> <span class=\"qwhen\">{when}</span>"
                )),
                "{who}: {h}"
            );
        }
        assert_eq!(h.matches("qfoot").count(), 3, "{h}");
        assert!(
            h.starts_with("<pre class=\"text\">Agreed.\n\n</pre><details"),
            "{h}"
        );
        // Replies written between the quoted lines stay one fold: splitting them at the
        // inner attribution would give the outer writer's words to the inner one.
        let mut t = String::from(
            "On 2 March 2016 at 10:00, Ann Lee wrote:\n> On 1 March 2016, Bob Roe wrote:\n",
        );
        for _ in 0..4 {
            t.push_str(">> A question of Bob's?\n>\n> Ann's answer.\n");
        }
        let h = render(&t);
        assert_eq!(h.matches("<details").count(), 1, "{h}");
        assert!(
            h.contains("<summary><span class=\"qwho\">Ann Lee</span>"),
            "{h}"
        );
    }

    #[test]
    fn a_forward_is_not_folded() {
        let mut t = String::from(
            "-----Original Message-----\nFrom: Jane <j@example.org>\nSent: today\nTo: list\nSubject: news\n\n",
        );
        t.push_str(&"The news itself.\n".repeat(20));
        let h = render(&t);
        assert!(!h.contains("<details"), "{h}");
        let h = render(&format!("My answer.\n\n{t}"));
        assert!(
            h.contains("<details class=\"quote\"><summary><span class=\"qwho\">Jane</span>"),
            "{h}"
        );
    }

    #[test]
    fn wrapped_paragraphs_are_marked_and_code_keeps_its_lines() {
        let t = "Thanks for your feed-back and your interest. The revitalized BPFs are a\nrelatively recent innovation -- they started in this format in 2014.\n\n    indented code line\n> Quoted text of a paragraph that a client wrapped at seventy-two columns,\n> and its end.\n";
        let h = render(t);
        assert!(h.contains("<span class=\"flow\">Thanks for your feed-back and your interest. The revitalized BPFs are a\nrelatively recent innovation -- they started in this format in 2014.</span>\n"), "{h}");
        assert!(
            h.contains("<span class=\"keep\">    indented code line</span>"),
            "{h}"
        );
        assert!(h.contains("<span class=\"q q1 flow\">&gt; Quoted text of a paragraph that a client wrapped at seventy-two columns,\n<span class=\"qp\">&gt; </span>and its end.</span>\n"), "{h}");
    }

    #[test]
    fn wrapped_safelinks_link_to_their_target() {
        let t = "> Join online:\n> https://na01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fintgo\n> vforum.webex.com%2Fj.php%3FMTID%3Dm1&data=02%7C01&sdata=8oW%3D&reserved=0\n> Bye\n";
        let h = render(t);
        assert!(h.contains("<a href=\"https://intgovforum.webex.com/j.php?MTID=m1\" rel=\"nofollow noopener ugc\" title=\"https://na01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fintgovforum.webex.com%2Fj.php%3FMTID%3Dm1&amp;data=02%7C01&amp;sdata=8oW%3D&amp;reserved=0\">https://intgovforum.webex.com/j.php?MTID=m1</a>"), "{h}");
        // Three lines: the pieces of the wrapper are not left behind as text.
        assert_eq!(h.matches("<span class=\"q q1\">").count(), 3, "{h}");
    }

    #[test]
    fn live_footer_without_its_rule() {
        let h = render(
            "Text.\n\nDev mailing list\nDev at example.org\nTo unsubscribe go to https://example.org/listinfo/dev\n",
        );
        assert!(
            h.contains("<pre class=\"text footer\">Dev mailing list"),
            "{h}"
        );
        let h = render("I read it on the Dev mailing list\nyesterday, and liked it.\n");
        assert!(!h.contains("footer"), "{h}");
    }

    #[test]
    fn footers_and_stubs() {
        let t = "Hi\n-------------- next part --------------\nA non-text attachment was scrubbed...\nName: shot.png\nType: image/png\nSize: 1234 bytes\nDesc: not available\nUrl : http://lists.example.org/pipermail/l/attachments/x/shot.png\n\n_______________________________________________\nLinux-uvc-devel mailing list\nhttps://lists.example.org/mailman/listinfo/l\n";
        let h = render(t);
        assert!(h.contains("<div class=\"stub\">"), "{h}");
        assert!(h.contains("shot.png, image/png, 1234 bytes"));
        assert!(h.contains("href=\"http://lists.example.org/pipermail/l/attachments/x/shot.png\""));
        assert!(h.contains("<pre class=\"text footer\">"));
    }

    fn text(t: &str) -> Body<'_> {
        Body {
            text: t,
            html: None,
            text_from_html: false,
            flowed: Flowed::Fixed,
        }
    }

    fn html(h: &str) -> Body<'_> {
        Body {
            text: "the text version",
            html: Some(h),
            text_from_html: true,
            flowed: Flowed::Fixed,
        }
    }

    #[test]
    fn message_id_refs_in_one_pass() {
        assert_eq!(
            message_id_refs("In <a@b> and <a@b>, <c d@e> <x <f@g> <h@i", 10),
            ["a@b", "f@g"]
        );
        let t = format!("{}a@b.c>", "<".repeat(100_000));
        assert_eq!(message_id_refs(&t, 10), ["a@b.c"]);
        assert!(message_id_refs(&("<".repeat(100_000) + ">"), 10).is_empty());
        let t: String = (0..100_000)
            .map(|i| format!("<id{}@x.org> ", i % 1000))
            .collect();
        let refs = message_id_refs(&t, 100_000);
        assert_eq!(refs.len(), 1000);
        assert_eq!((&*refs[0], &*refs[999]), ("id0@x.org", "id999@x.org"));
        assert_eq!(message_id_refs(&t, 5).len(), 5);
    }

    #[test]
    fn stub_fields_next_to_wide_characters() {
        let h = render("-------------- next part --------------\nName€x\nNam€: y\nURL:€\n€€\n");
        assert!(h.contains("<div class=\"stub\">"), "{h}");
        let t = format!(
            "-------------- next part --------------\n{}",
            "Name: x\n".repeat(40_000)
        );
        let h = render(&t);
        assert_eq!(h.matches("<div class=\"stub\">").count(), 1);
    }

    #[test]
    fn quote_levels_are_flat_markup() {
        let h = on_small_stack(|| render(&format!("{}deep\n", ">".repeat(100_000))));
        assert_eq!(
            h.matches("<span class=\"q q4\">").count(),
            1,
            "{}",
            &h[..100]
        );
        let t: String = (1..=1000)
            .map(|d| format!("{} x\n", ">".repeat(d)))
            .collect();
        let h = on_small_stack(move || render(&t));
        assert_eq!(h.matches("<span").count(), 1000);
        assert_eq!(h.matches("</span>\n").count(), 1000);
        assert_eq!(h.matches("<span class=\"q q4\">").count(), 997);
        // Each line's span opens at the start of a line (or of the block) and closes before
        // the next one opens.
        assert_eq!(
            h.matches("\n<span").count() + h.matches("<pre class=\"text\"><span").count(),
            1000
        );
    }

    #[test]
    fn flowed_text_of_many_soft_lines() {
        let t = "a \n".repeat(100_000);
        assert_eq!(reflow(&t, false), "a ".repeat(100_000) + "\n");
        assert_eq!(reflow(&t, true), "a".repeat(100_000) + "\n");
        let t = "> ".to_string() + &">".repeat(100_000) + " \nx\n";
        let _ = reflow(&t, false);
    }

    #[test]
    fn images_in_hostile_tags() {
        let h = images_as_links(&format!("<img{}>", " src".repeat(10_000)));
        assert_eq!(h, "[image]");
        let h = images_as_links(&format!(
            "<img{} src=\"https://e.org/a.png\" alt=\"A\">",
            " src alt".repeat(10_000)
        ));
        assert_eq!(h, "<a href=\"https://e.org/a.png\">[A]</a>");
        let t = "<img src=x ".repeat(100_000);
        assert_eq!(images_as_links(&t), t);
        let h = images_as_links(&format!("{}>", "<img ".repeat(100_000)));
        assert_eq!(h, "[image]");
        let h = images_as_links("<img alt='‹例›' src=\"http://e.org/é\">");
        assert_eq!(h, "<a href=\"http://e.org/é\">[‹例›]</a>");
    }

    #[test]
    fn deep_and_crowded_html_on_a_small_stack() {
        let font_bomb = format!(
            "<div>{}</div>{}",
            (0..2_500)
                .map(|i| format!("<font color={i}>"))
                .collect::<String>(),
            "<p>x</p>".repeat(2_500)
        );
        let attrs = format!(
            "<p {}>x</p>",
            (0..50_000).map(|i| format!("a{i}=1 ")).collect::<String>()
        );
        let cases = [
            format!("{}x", "<div>".repeat(100_000)),
            format!("{}x", "<b>".repeat(100_000)),
            format!("{}x", "<ul><li>".repeat(50_000)),
            format!("{}x", "<table><tr><td>".repeat(30_000)),
            format!("{}x", "<p><div></p>".repeat(40_000)),
            font_bomb,
            attrs,
        ];
        for case in cases {
            assert!(case.len() <= MAX_HTML_BYTES, "{}", case.len());
            let r = on_small_stack(move || render_body(&html(&case), Options::default()));
            assert_eq!(r.fidelity, Fidelity::SimplifiedHtml);
            assert!(r.html.contains('x'), "{}", &r.html[..200.min(r.html.len())]);
            assert!(r.html.matches("<div").count() <= MAX_HTML_DEPTH + 1);
            assert!(r.html.matches('=').count() <= MAX_HTML_ATTRS + 10);
        }
    }

    #[test]
    fn large_bodies_are_shown_plainly() {
        let small = "see https://e.org, jane@e.org\n";
        let r = render_body(&text(small), Options::default());
        assert_eq!(r.fidelity, Fidelity::Full);
        assert!(r.html.contains("<a href") && !body_is_large(&text(small)));

        let plain = small.repeat(MAX_RICH_TEXT_BYTES / small.len() + 1);
        let r = render_body(&text(&plain), Options::default());
        assert_eq!(r.fidelity, Fidelity::Plain);
        assert!(body_is_large(&text(&plain)));
        assert!(r.html.starts_with(&note(Lang::En, "note-plain")));
        assert!(!r.html.contains("<a href") && !r.html.contains("jane@"));
        assert!(r.html.contains("jane at e.org"));

        let lines = "\n".repeat(MAX_RICH_TEXT_LINES + 1) + "x";
        assert_eq!(
            render_body(&text(&lines), Options::default()).fidelity,
            Fidelity::Plain
        );

        let huge = "é<".repeat(MAX_SHOWN_TEXT_BYTES / 3 + 7);
        let r = render_body(&text(&huge), Options::default());
        assert_eq!(r.fidelity, Fidelity::Truncated);
        assert!(r.html.starts_with(&note(Lang::En, "note-truncated")));
        assert!(r.html.ends_with("é&lt;</pre>") || r.html.ends_with("é</pre>"));
        // At most six bytes of HTML for each byte shown (`"` becomes `&quot;`).
        assert!(r.html.len() < MAX_SHOWN_TEXT_BYTES * 6 + 200);
        let one_line = "x".repeat(50 * 1024 * 1024);
        let r = render_body(&text(&one_line), Options::default());
        assert_eq!(r.fidelity, Fidelity::Truncated);
        assert!(r.html.len() < MAX_SHOWN_TEXT_BYTES + 200);

        let big_html = format!("<p>{}</p>", "y".repeat(MAX_HTML_BYTES));
        let r = render_body(&html(&big_html), Options::default());
        assert_eq!(r.fidelity, Fidelity::TextInsteadOfHtml);
        assert_eq!(
            r.html.as_str(),
            format!(
                "{}<pre class=\"text\">the text version\n</pre>",
                note(Lang::En, "note-html-as-text")
            )
        );
        assert!(body_is_large(&html(&big_html)) && !body_is_large(&html("<p>x</p>")));
        assert_eq!(
            body(&html("<p>x</p>"), Options::default()).as_str(),
            "<div class=\"html-body\"><p>x</p></div>"
        );
    }

    #[test]
    fn html_is_sanitized() {
        let h = sanitize_html(
            "<p onclick=\"x()\">Hi<script>alert(1)</script><img src=\"http://t/p.gif\"><a href=\"javascript:alert(1)\">j</a><a href=\"https://e.org\">ok</a><iframe src=\"http://x\"></iframe><form><input></form><p style=\"position:fixed\">s</p>",
        );
        for bad in [
            "<script",
            "onclick",
            "<img",
            "javascript:",
            "<iframe",
            "<form",
            "style=",
        ] {
            assert!(!h.contains(bad), "{bad} in {h}");
        }
        assert!(h.contains("rel=\"nofollow noopener ugc\""));
        let h = sanitize_html(
            "<p><IMG SRC='https://t.example/p.gif' alt=\"Logo\"> <img src=javascript:alert(1)></p>",
        );
        assert!(
            h.contains(
                "<a href=\"https://t.example/p.gif\" rel=\"nofollow noopener ugc\">[Logo]</a>"
            ),
            "{h}"
        );
        assert!(!h.contains("javascript") && !h.contains("<img"), "{h}");
    }
}
