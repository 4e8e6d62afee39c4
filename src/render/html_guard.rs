//! HTML mail is checked, and if need be rebuilt, before ammonia parses it.
//!
//! ammonia parses with html5ever, whose tree builder is iterative (no stack overflow on
//! deep nesting) but not linear: it walks its stack of open elements for most tags, and
//! re-opens formatting elements that were closed out of order in front of every later
//! paragraph. 10,000 unclosed `<div>` take about a second, 5,000 `<ul><li>` pairs a few
//! hundred milliseconds more than that, and 2,500 distinct `<font>` elements re-opened in
//! 2,500 paragraphs fifteen seconds; the work grows with the square of the input.
//!
//! Its work per tag is bounded by the depth of that stack, and the re-opening only happens
//! after a formatting element is closed out of order. So:
//!
//! - [`Replay`] follows html5ever's tree-construction rules, exactly, for the HTML that mail
//!   clients write (tables included) and stops at anything outside it: a stack deeper than
//!   [`MAX_HTML_DEPTH`], a formatting element closed out of order, more than
//!   [`MAX_HTML_ATTRS`] attributes on a tag, more than [`MAX_HTML_FORMATTING`] formatting
//!   elements open, foreign content (SVG, MathML), `<select>`,
//!   `<template>`, `<plaintext>`, `<noscript>`. HTML that stays inside is handed to ammonia
//!   as it is, and html5ever's stack is the replay's: its work is linear.
//! - [`rebuild`] turns anything else into HTML that stays inside: the tags ammonia keeps,
//!   each closed explicitly and in order, nothing nested deeper than the limit, text
//!   escaped. Its output is checked again before use.
//!
//! The tokenizer below follows the HTML tokenizer's rules for where tags, comments and
//! raw text start and end, since a tag the replay did not see would be a tag whose cost it
//! did not count.

/// Deepest nesting of elements handed to the sanitizer. Its parser checks nesting by
/// walking the open elements, so its work per tag grows with the depth; mail clients stay
/// far below this (a long Gmail thread quoted in full reaches about a hundred).
pub const MAX_HTML_DEPTH: usize = 256;

/// Most attributes on one tag. The parser drops duplicate attributes by comparing each
/// with all before it, which is quadratic in their number.
pub const MAX_HTML_ATTRS: usize = 64;

/// The most work the parser may spend walking its stack of open elements, counted as the
/// sum over all tags and runs of text of how deeply each is nested: it walks the stack for
/// most of them, so 250 open elements followed by 50,000 list items take seconds even
/// though no single step is deep. Mail stays far below: the most among 1,255 real HTML
/// parts (newsletters and spam included) is about 50,000.
pub const MAX_HTML_WORK: usize = 4_000_000;

/// How deep a rebuilt document may nest when rebuilding it at [`MAX_HTML_DEPTH`] would
/// still be over [`MAX_HTML_WORK`]: a few hundred thousand tags fit at this depth.
const SHALLOW_DEPTH: usize = 8;

/// Most formatting elements (`<b>`, `<font>`, `<a>`, …) open at once. Each new one is
/// compared, attributes sorted, with every open one of its name; mail nests a handful.
pub const MAX_HTML_FORMATTING: usize = 32;

/// What the sanitizer is given.
pub enum Prepared<'a> {
    /// The HTML as it came.
    AsIs(&'a str),
    /// A rebuilt, simpler version.
    Rebuilt(String),
    /// Nothing that is safe to parse (should not happen: the rebuilt form always passes).
    Refused,
}

/// The input, or a rebuilt version of it, that html5ever parses in linear time.
pub fn prepare(html: &str) -> Prepared<'_> {
    if check(html) {
        return Prepared::AsIs(html);
    }
    for depth in [MAX_HTML_DEPTH, SHALLOW_DEPTH] {
        if let Some(rebuilt) = rebuild(html, depth)
            && check(&rebuilt)
        {
            return Prepared::Rebuilt(rebuilt);
        }
    }
    Prepared::Refused
}

/// Whether html5ever would parse `html` in time linear in its length, with its stack
/// walks within [`MAX_HTML_WORK`].
pub fn check(html: &str) -> bool {
    let mut replay = Replay::new();
    let mut raw_parent: Option<String> = None;
    let mut work = 0;
    for tok in Tokenizer::new(html) {
        work += replay.stack.len() + 1;
        if work > MAX_HTML_WORK {
            return false;
        }
        let ok = match tok {
            Tok::Text(t) => replay.text(t),
            Tok::Raw(t) => raw_parent.as_deref() != Some("script") || !double_escaped(t),
            Tok::Start(tag) => {
                let ok = replay.start(&tag);
                raw_parent = tag.raw().then(|| tag.name.clone());
                ok
            }
            Tok::End(name) => replay.end(&name),
            Tok::Other => true,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// Whether a script's text may put the tokenizer in the "double escaped" state, where a
/// `</script>` does not end the script (a `<!--` followed by a `<script` tag): then the
/// tokenizer here could end the script earlier than html5ever's.
fn double_escaped(script: &str) -> bool {
    let Some(open) = script.find("<!--") else {
        return false;
    };
    let b = script.as_bytes();
    (open..b.len()).any(|i| {
        b[i] == b'<'
            && b.len() > i + 7
            && b[i + 1..i + 7].eq_ignore_ascii_case(b"script")
            && (is_space(b[i + 7]) || matches!(b[i + 7], b'/' | b'>'))
    })
}

// ---------------------------------------------------------------------------------------
// Tokenizer

#[derive(Debug)]
enum Tok<'a> {
    /// Text in the data state, entities undecoded.
    Text(&'a str),
    /// The content of a raw-text element (script, style, title, …).
    Raw(&'a str),
    Start(Tag<'a>),
    /// An end tag's name, ASCII-lowercased.
    End(String),
    /// A comment, doctype or other markup that builds no element.
    Other,
}

#[derive(Debug)]
struct Tag<'a> {
    /// ASCII-lowercased, as html5ever names elements.
    name: String,
    /// Raw attribute names and values (entities undecoded, quotes removed).
    attrs: Vec<(&'a str, &'a str)>,
}

impl Tag<'_> {
    /// Whether the tokenizer reads what follows this start tag as raw text.
    fn raw(&self) -> bool {
        raw_text_element(&self.name)
    }
}

fn raw_text_element(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "xmp"
            | "iframe"
            | "noembed"
            | "noframes"
            | "noscript"
            | "textarea"
            | "title"
            | "plaintext"
    )
}

fn is_space(b: u8) -> bool {
    // Carriage returns become line feeds before tokenizing.
    matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

struct Tokenizer<'a> {
    s: &'a str,
    pos: usize,
    /// Set after a start tag whose content is raw text: the element's name.
    raw: Option<String>,
}

impl<'a> Tokenizer<'a> {
    fn new(s: &'a str) -> Self {
        Tokenizer {
            s,
            pos: 0,
            raw: None,
        }
    }

    fn find_byte(&self, b: u8, from: usize) -> Option<usize> {
        self.s.as_bytes()[from..]
            .iter()
            .position(|&c| c == b)
            .map(|i| from + i)
    }

    /// Where the raw text of `name` ends: the first `</name` followed by a space, `/` or
    /// `>`. (In a script, escaped states can end it later; the checker refuses those.)
    fn raw_end(&self, name: &str, from: usize) -> usize {
        let b = self.s.as_bytes();
        let n = name.len();
        let mut i = from;
        while let Some(k) = self.find_byte(b'<', i) {
            if b.get(k + 1) == Some(&b'/')
                && b.len() >= k + 2 + n
                && b[k + 2..k + 2 + n].eq_ignore_ascii_case(name.as_bytes())
                && b.get(k + 2 + n)
                    .is_some_and(|&c| is_space(c) || c == b'/' || c == b'>')
            {
                return k;
            }
            i = k + 1;
        }
        b.len()
    }

    /// A bogus comment (`<!x`, `<?x`, `</3`, a doctype): up to the first `>`.
    fn bogus(&mut self, from: usize) -> Tok<'a> {
        self.pos = self.find_byte(b'>', from).map_or(self.s.len(), |i| i + 1);
        Tok::Other
    }

    /// A comment whose `<!--` ends at `from`.
    fn comment(&mut self, from: usize) -> Tok<'a> {
        let b = self.s.as_bytes();
        if b.get(from) == Some(&b'>') {
            self.pos = from + 1;
            return Tok::Other;
        }
        if b[from..].starts_with(b"->") {
            self.pos = from + 2;
            return Tok::Other;
        }
        let mut i = from;
        while i + 2 < b.len() {
            if b[i] == b'-' && b[i + 1] == b'-' {
                if b[i + 2] == b'>' {
                    self.pos = i + 3;
                    return Tok::Other;
                }
                if b[i + 2] == b'!' && b.get(i + 3) == Some(&b'>') {
                    self.pos = i + 4;
                    return Tok::Other;
                }
            }
            i += 1;
        }
        self.pos = b.len();
        Tok::Other
    }

    /// A tag whose name starts at `from`. A tag cut off by the end of the input is dropped,
    /// as the HTML tokenizer does.
    fn tag(&mut self, from: usize, end_tag: bool) -> Tok<'a> {
        let s = self.s;
        let b = s.as_bytes();
        let len = b.len();
        let mut i = from;
        while i < len && !is_space(b[i]) && b[i] != b'/' && b[i] != b'>' {
            i += 1;
        }
        let name = s[from..i].to_ascii_lowercase();
        let mut attrs = Vec::new();
        loop {
            while i < len && is_space(b[i]) {
                i += 1;
            }
            if i >= len {
                self.pos = len;
                return Tok::Other;
            }
            match b[i] {
                b'>' => {
                    i += 1;
                    break;
                }
                b'/' => {
                    // `/>` ends the tag; a `/` anywhere else is skipped.
                    i += 1;
                    continue;
                }
                _ => {}
            }
            // An attribute name: its first character may be `=`.
            let name_start = i;
            i += 1;
            while i < len && !is_space(b[i]) && !matches!(b[i], b'/' | b'>' | b'=') {
                i += 1;
            }
            let attr_name = &s[name_start..i];
            while i < len && is_space(b[i]) {
                i += 1;
            }
            if i < len && b[i] == b'=' {
                i += 1;
                while i < len && is_space(b[i]) {
                    i += 1;
                }
                if i >= len {
                    self.pos = len;
                    return Tok::Other;
                }
                match b[i] {
                    q @ (b'"' | b'\'') => {
                        let Some(close) = self.find_byte(q, i + 1) else {
                            self.pos = len;
                            return Tok::Other;
                        };
                        attrs.push((attr_name, &s[i + 1..close]));
                        i = close + 1;
                    }
                    b'>' => {
                        attrs.push((attr_name, ""));
                        i += 1;
                        break;
                    }
                    _ => {
                        let value_start = i;
                        while i < len && !is_space(b[i]) && b[i] != b'>' {
                            i += 1;
                        }
                        attrs.push((attr_name, &s[value_start..i]));
                    }
                }
            } else {
                attrs.push((attr_name, ""));
            }
        }
        self.pos = i;
        if end_tag {
            return Tok::End(name);
        }
        let tag = Tag { name, attrs };
        if tag.raw() {
            self.raw = Some(tag.name.clone());
        }
        Tok::Start(tag)
    }
}

impl<'a> Iterator for Tokenizer<'a> {
    type Item = Tok<'a>;

    fn next(&mut self) -> Option<Tok<'a>> {
        let s = self.s;
        let b = s.as_bytes();
        let start = self.pos;
        if let Some(name) = self.raw.take() {
            let end = if name == "plaintext" {
                b.len()
            } else {
                self.raw_end(&name, start)
            };
            self.pos = end;
            return Some(Tok::Raw(&s[start..end]));
        }
        if start >= b.len() {
            return None;
        }
        if b[start] != b'<' {
            let end = self.find_byte(b'<', start).unwrap_or(b.len());
            self.pos = end;
            return Some(Tok::Text(&s[start..end]));
        }
        let tok = match b.get(start + 1) {
            Some(c) if c.is_ascii_alphabetic() => self.tag(start + 1, false),
            Some(b'/') => match b.get(start + 2) {
                Some(c) if c.is_ascii_alphabetic() => self.tag(start + 2, true),
                Some(b'>') => {
                    self.pos = start + 3;
                    Tok::Other
                }
                None => {
                    self.pos = b.len();
                    Tok::Text(&s[start..])
                }
                Some(_) => self.bogus(start + 2),
            },
            Some(b'!') if b[start + 2..].starts_with(b"--") => self.comment(start + 4),
            Some(b'!' | b'?') => self.bogus(start + 2),
            _ => {
                // A `<` that opens nothing is text, with whatever follows up to the next `<`.
                let end = self.find_byte(b'<', start + 1).unwrap_or(b.len());
                self.pos = end;
                Tok::Text(&s[start..end])
            }
        };
        Some(tok)
    }
}

// ---------------------------------------------------------------------------------------
// Tag sets, as html5ever 0.35 declares them (tree_builder/tag_sets.rs and rules.rs)

fn special(n: &str) -> bool {
    matches!(
        n,
        "address"
            | "applet"
            | "area"
            | "article"
            | "aside"
            | "base"
            | "basefont"
            | "bgsound"
            | "blockquote"
            | "body"
            | "br"
            | "button"
            | "caption"
            | "center"
            | "col"
            | "colgroup"
            | "dd"
            | "details"
            | "dir"
            | "div"
            | "dl"
            | "dt"
            | "embed"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "frame"
            | "frameset"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "head"
            | "header"
            | "hgroup"
            | "hr"
            | "html"
            | "iframe"
            | "img"
            | "input"
            | "isindex"
            | "li"
            | "link"
            | "listing"
            | "main"
            | "marquee"
            | "menu"
            | "meta"
            | "nav"
            | "noembed"
            | "noframes"
            | "noscript"
            | "object"
            | "ol"
            | "p"
            | "param"
            | "plaintext"
            | "pre"
            | "script"
            | "section"
            | "select"
            | "source"
            | "style"
            | "summary"
            | "table"
            | "tbody"
            | "td"
            | "template"
            | "textarea"
            | "tfoot"
            | "th"
            | "thead"
            | "title"
            | "tr"
            | "track"
            | "ul"
            | "wbr"
            | "xmp"
    )
}

fn default_scope(n: &str) -> bool {
    matches!(
        n,
        "applet" | "caption" | "html" | "table" | "td" | "th" | "marquee" | "object" | "template"
    )
}

fn list_item_scope(n: &str) -> bool {
    default_scope(n) || n == "ol" || n == "ul"
}

fn button_scope(n: &str) -> bool {
    default_scope(n) || n == "button"
}

fn table_scope(n: &str) -> bool {
    matches!(n, "html" | "table" | "template")
}

fn table_body_context(n: &str) -> bool {
    matches!(n, "tbody" | "tfoot" | "thead" | "template" | "html")
}

fn table_row_context(n: &str) -> bool {
    matches!(n, "tr" | "template" | "html")
}

/// Popped by "generate implied end tags".
fn implied_end(n: &str) -> bool {
    matches!(
        n,
        "dd" | "dt" | "li" | "option" | "optgroup" | "p" | "rb" | "rp" | "rt" | "rtc"
    )
}

fn heading(n: &str) -> bool {
    matches!(n, "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
}

/// Elements on the list of active formatting elements: closed out of order, they are
/// re-opened later.
fn formatting(n: &str) -> bool {
    matches!(
        n,
        "a" | "b"
            | "big"
            | "code"
            | "em"
            | "font"
            | "i"
            | "nobr"
            | "s"
            | "small"
            | "strike"
            | "strong"
            | "tt"
            | "u"
    )
}

/// Elements that put a marker on the list of active formatting elements.
fn marker(n: &str) -> bool {
    matches!(n, "applet" | "caption" | "marquee" | "object" | "td" | "th")
}

/// Inserted and popped at once: never on the stack.
fn void(n: &str) -> bool {
    matches!(
        n,
        "area"
            | "base"
            | "basefont"
            | "bgsound"
            | "br"
            | "col"
            | "embed"
            | "frame"
            | "hr"
            | "image"
            | "img"
            | "input"
            | "keygen"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
    )
}

/// Start tags that close an open `<p>` first.
fn closes_p(n: &str) -> bool {
    matches!(
        n,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "center"
            | "details"
            | "dialog"
            | "dir"
            | "div"
            | "dl"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "header"
            | "hgroup"
            | "main"
            | "nav"
            | "ol"
            | "p"
            | "search"
            | "section"
            | "summary"
            | "ul"
            | "menu"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "pre"
            | "listing"
            | "table"
            | "hr"
            | "xmp"
    )
}

/// End tags that close their element when it is in default scope.
fn block_end(n: &str) -> bool {
    matches!(
        n,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "button"
            | "center"
            | "details"
            | "dialog"
            | "dir"
            | "div"
            | "dl"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "header"
            | "hgroup"
            | "listing"
            | "main"
            | "menu"
            | "nav"
            | "ol"
            | "pre"
            | "search"
            | "section"
            | "summary"
            | "ul"
    )
}

fn table_part(n: &str) -> bool {
    matches!(
        n,
        "caption" | "col" | "colgroup" | "tbody" | "td" | "tfoot" | "th" | "thead" | "tr"
    )
}

/// Outside what the replay follows: foreign content, templates and selects switch to rules
/// of their own, and the others change how the tokenizer reads what follows.
fn refused(n: &str) -> bool {
    matches!(
        n,
        "svg" | "math" | "select" | "template" | "plaintext" | "noscript" | "frameset"
    )
}

// ---------------------------------------------------------------------------------------
// Replay of html5ever's tree construction

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Body,
    Table,
    TableBody,
    Row,
    Cell,
    Caption,
    ColumnGroup,
}

/// What a rule asks for next.
enum Step {
    Done,
    Reprocess(Mode),
}

/// Not followed: the input is outside the subset.
struct Out;

/// What the adoption agency did.
#[derive(PartialEq, Eq)]
enum Adopted {
    Closed,
    /// No such element after the last marker: nothing happens.
    NotOpen,
    /// Open, but behind a table: the end tag is ignored.
    OutOfScope,
}

type R<T = ()> = Result<T, Out>;

/// The stack of open elements and insertion mode html5ever has while parsing a fragment
/// in a `<div>` (as ammonia does), for HTML inside the subset described above. Invariant:
/// every formatting element on html5ever's list of active formatting elements is on the
/// stack, so nothing is ever re-opened.
struct Replay {
    /// Names above the fragment's root `<html>`, and an id for the form pointer.
    stack: Vec<(Box<str>, u32)>,
    mode: Mode,
    /// html5ever's form element pointer: `Some(id)` (the id may be off the stack).
    form: Option<u32>,
    next_id: u32,
    /// Formatting elements on the stack.
    formatting: usize,
    /// Whether html5ever may have dropped an entry from its list of active formatting
    /// elements (it keeps at most three identical ones after the last marker): then the
    /// element an end tag closes is no longer certain.
    noahs_ark: bool,
}

impl Replay {
    fn new() -> Self {
        Replay {
            stack: Vec::new(),
            mode: Mode::Body,
            form: None,
            next_id: 0,
            formatting: 0,
            noahs_ark: false,
        }
    }

    fn top(&self) -> &str {
        self.stack.last().map_or("html", |(n, _)| n)
    }

    fn push(&mut self, name: &str) -> R<u32> {
        if self.stack.len() >= MAX_HTML_DEPTH {
            return Err(Out);
        }
        if formatting(name) {
            if self.formatting >= MAX_HTML_FORMATTING {
                return Err(Out);
            }
            self.formatting += 1;
            let same = self
                .stack
                .iter()
                .rev()
                .take_while(|(n, _)| !marker(n))
                .filter(|(n, _)| &**n == name)
                .count();
            self.noahs_ark |= same >= 3;
        }
        self.next_id += 1;
        self.stack.push((name.into(), self.next_id));
        Ok(self.next_id)
    }

    /// Pops the current node, a formatting element, the way the adoption agency does when
    /// that element is the current node (it also leaves the list of active formatting
    /// elements).
    fn pop_formatting(&mut self) {
        self.stack.pop();
        self.formatting -= 1;
    }

    /// Pops the current node. Popping a formatting element would leave it on the list of
    /// active formatting elements (to be re-opened later), and popping a marker element
    /// other than through its own rules would leave a stale marker: both are refused.
    fn pop(&mut self) -> R {
        match self.stack.pop() {
            Some((n, _)) if formatting(&n) || marker(&n) => Err(Out),
            _ => Ok(()),
        }
    }

    /// Pops until an element matching `target` has been popped.
    fn pop_until(&mut self, target: impl Fn(&str) -> bool) -> R {
        while let Some((n, _)) = self.stack.last() {
            if target(n) {
                if formatting(n) || marker(n) {
                    return Err(Out);
                }
                self.stack.pop();
                return Ok(());
            }
            self.pop()?;
        }
        Ok(())
    }

    /// Pops until a marker element (a cell, caption, object…) matching `target` has been
    /// popped; the caller clears the list of active formatting elements to its marker, so
    /// formatting elements opened inside it may go too. Other marker elements may not:
    /// their markers would be cleared instead.
    fn pop_until_marker(&mut self, target: impl Fn(&str) -> bool) -> R {
        while let Some((n, _)) = self.stack.last() {
            if target(n) {
                self.stack.pop();
                return Ok(());
            }
            if formatting(n) {
                self.pop_formatting();
            } else {
                self.pop()?;
            }
        }
        Ok(())
    }

    /// The adoption agency for an end tag (or a nested `<a>`, `<nobr>`) naming formatting
    /// element `name`, in the cases where its outcome is certain and leaves nothing to
    /// re-open: the element is the current node, or only elements that are neither
    /// special nor formatting are above it (they are popped with it).
    fn adopt(&mut self, name: &str) -> R<Adopted> {
        // Its list entry, if any, is after the last marker: above the last marker element.
        let Some(at) = self
            .stack
            .iter()
            .rposition(|(n, _)| &**n == name || marker(n))
            .filter(|&i| &*self.stack[i].0 == name)
        else {
            return Ok(Adopted::NotOpen);
        };
        let above = &self.stack[at + 1..];
        if above.iter().any(|(n, _)| default_scope(n)) {
            return Ok(Adopted::OutOfScope);
        }
        if above.iter().any(|(n, _)| special(n) || formatting(n))
            || !above.is_empty() && self.noahs_ark
        {
            return Err(Out);
        }
        while self.stack.len() > at + 1 {
            self.pop()?;
        }
        self.pop_formatting();
        Ok(Adopted::Closed)
    }

    /// Pops until the current node is in `set` (the root `<html>` is in every such set).
    fn pop_until_current(&mut self, set: fn(&str) -> bool) -> R {
        while !set(self.top()) {
            self.pop()?;
        }
        Ok(())
    }

    fn generate_implied_end(&mut self, except: Option<&str>) -> R {
        while implied_end(self.top()) && Some(self.top()) != except {
            self.pop()?;
        }
        Ok(())
    }

    fn in_scope(&self, scope: fn(&str) -> bool, target: impl Fn(&str) -> bool) -> bool {
        for (n, _) in self.stack.iter().rev() {
            if target(n) {
                return true;
            }
            if scope(n) {
                return false;
            }
        }
        false
    }

    fn close_p_in_button_scope(&mut self) -> R {
        if self.in_scope(button_scope, |n| n == "p") {
            self.generate_implied_end(Some("p"))?;
            self.pop_until(|n| n == "p")?;
        }
        Ok(())
    }

    fn close_the_cell(&mut self) -> R {
        self.generate_implied_end(None)?;
        self.pop_until_marker(|n| n == "td" || n == "th")
    }

    fn reset_mode(&self) -> Mode {
        for (n, _) in self.stack.iter().rev() {
            match &**n {
                "td" | "th" => return Mode::Cell,
                "tr" => return Mode::Row,
                "tbody" | "thead" | "tfoot" => return Mode::TableBody,
                "caption" => return Mode::Caption,
                "colgroup" => return Mode::ColumnGroup,
                "table" => return Mode::Table,
                _ => {}
            }
        }
        Mode::Body
    }

    fn text(&mut self, t: &str) -> bool {
        // In a column group, anything but white space closes the group; elsewhere text
        // only lands somewhere (fostered out of tables, at worst).
        if self.mode == Mode::ColumnGroup && !t.bytes().all(is_space) && self.top() == "colgroup" {
            self.stack.pop();
            self.mode = Mode::Table;
        }
        true
    }

    fn start(&mut self, tag: &Tag<'_>) -> bool {
        if tag.attrs.len() > MAX_HTML_ATTRS || refused(&tag.name) {
            return false;
        }
        let mut rules = self.mode;
        loop {
            match self.start_in(rules, tag) {
                Ok(Step::Done) => return true,
                Ok(Step::Reprocess(m)) => {
                    self.mode = m;
                    rules = m;
                }
                Err(Out) => return false,
            }
        }
    }

    fn end(&mut self, name: &str) -> bool {
        let mut rules = self.mode;
        loop {
            match self.end_in(rules, name) {
                Ok(Step::Done) => return true,
                Ok(Step::Reprocess(m)) => {
                    self.mode = m;
                    rules = m;
                }
                Err(Out) => return false,
            }
        }
    }

    /// A start tag under the rules of insertion mode `rules` (html5ever's `step`; the
    /// current mode may differ).
    fn start_in(&mut self, rules: Mode, tag: &Tag<'_>) -> R<Step> {
        let n = tag.name.as_str();
        match rules {
            Mode::Body => self.start_in_body(tag).map(|()| Step::Done),
            Mode::Table => self.start_in_table(tag),
            Mode::TableBody => self.start_in_table_body(tag),
            Mode::Row => self.start_in_row(tag),
            Mode::Cell => {
                if table_part(n) {
                    if self.in_scope(table_scope, |n| n == "td" || n == "th") {
                        self.close_the_cell()?;
                        Ok(Step::Reprocess(Mode::Row))
                    } else {
                        Ok(Step::Done)
                    }
                } else {
                    self.start_in(Mode::Body, tag)
                }
            }
            Mode::Caption => {
                if table_part(n) {
                    self.leave_caption(false)
                } else {
                    self.start_in(Mode::Body, tag)
                }
            }
            Mode::ColumnGroup => match n {
                "html" => Ok(Step::Done),
                "col" => Ok(Step::Done),
                _ => self.leave_column_group(),
            },
        }
    }

    /// A start tag inside a table, outside its rows.
    fn start_in_table(&mut self, tag: &Tag<'_>) -> R<Step> {
        let n = tag.name.as_str();
        match n {
            "caption" => {
                self.pop_until_current(table_scope)?;
                self.push(n)?;
                self.mode = Mode::Caption;
                Ok(Step::Done)
            }
            "colgroup" => {
                self.pop_until_current(table_scope)?;
                self.push(n)?;
                self.mode = Mode::ColumnGroup;
                Ok(Step::Done)
            }
            "col" => {
                self.pop_until_current(table_scope)?;
                self.push("colgroup")?;
                Ok(Step::Reprocess(Mode::ColumnGroup))
            }
            "tbody" | "tfoot" | "thead" => {
                self.pop_until_current(table_scope)?;
                self.push(n)?;
                self.mode = Mode::TableBody;
                Ok(Step::Done)
            }
            "td" | "th" | "tr" => {
                self.pop_until_current(table_scope)?;
                self.push("tbody")?;
                Ok(Step::Reprocess(Mode::TableBody))
            }
            "table" => {
                if self.in_scope(table_scope, |n| n == "table") {
                    self.pop_until(|n| n == "table")?;
                    Ok(Step::Reprocess(self.reset_mode()))
                } else {
                    Ok(Step::Done)
                }
            }
            "style" | "script" => {
                self.push(n)?;
                Ok(Step::Done)
            }
            "input" => Ok(Step::Done),
            "form" => {
                if self.form.is_none() {
                    self.next_id += 1;
                    self.form = Some(self.next_id);
                }
                Ok(Step::Done)
            }
            // Foster parenting: inserted before the table, pushed all the same.
            _ => self.start_in_body(tag).map(|()| Step::Done),
        }
    }

    /// A start tag inside `tbody`, `thead` or `tfoot`.
    fn start_in_table_body(&mut self, tag: &Tag<'_>) -> R<Step> {
        let n = tag.name.as_str();
        match n {
            "tr" => {
                self.pop_until_current(table_body_context)?;
                self.push(n)?;
                self.mode = Mode::Row;
                Ok(Step::Done)
            }
            "th" | "td" => {
                self.pop_until_current(table_body_context)?;
                self.push("tr")?;
                Ok(Step::Reprocess(Mode::Row))
            }
            "caption" | "col" | "colgroup" | "tbody" | "tfoot" | "thead" => self.leave_table_body(),
            _ => self.start_in(Mode::Table, tag),
        }
    }

    /// A start tag inside a table row, outside its cells.
    fn start_in_row(&mut self, tag: &Tag<'_>) -> R<Step> {
        let n = tag.name.as_str();
        match n {
            "th" | "td" => {
                self.pop_until_current(table_row_context)?;
                self.push(n)?;
                self.mode = Mode::Cell;
                Ok(Step::Done)
            }
            "caption" | "col" | "colgroup" | "tbody" | "tfoot" | "thead" | "tr" => self.leave_row(),
            _ => self.start_in(Mode::Table, tag),
        }
    }

    fn end_in(&mut self, rules: Mode, n: &str) -> R<Step> {
        match rules {
            Mode::Body => self.end_in_body(n).map(|()| Step::Done),
            Mode::Table => match n {
                "table" => {
                    if self.in_scope(table_scope, |n| n == "table") {
                        self.pop_until(|n| n == "table")?;
                        self.mode = self.reset_mode();
                    }
                    Ok(Step::Done)
                }
                "body" | "caption" | "col" | "colgroup" | "html" | "tbody" | "td" | "tfoot"
                | "th" | "thead" | "tr" | "template" => Ok(Step::Done),
                _ => self.end_in_body(n).map(|()| Step::Done),
            },
            Mode::TableBody => match n {
                "tbody" | "tfoot" | "thead" => {
                    if self.in_scope(table_scope, |x| x == n) {
                        self.pop_until_current(table_body_context)?;
                        self.pop_table_section()?;
                        self.mode = Mode::Table;
                    }
                    Ok(Step::Done)
                }
                "table" => self.leave_table_body(),
                "body" | "caption" | "col" | "colgroup" | "html" | "td" | "th" | "tr" => {
                    Ok(Step::Done)
                }
                _ => self.end_in(Mode::Table, n),
            },
            Mode::Row => match n {
                "tr" => {
                    if self.in_scope(table_scope, |n| n == "tr") {
                        self.pop_until_current(table_row_context)?;
                        self.pop_row()?;
                        self.mode = Mode::TableBody;
                    }
                    Ok(Step::Done)
                }
                "table" => self.leave_row(),
                "tbody" | "tfoot" | "thead" => {
                    if self.in_scope(table_scope, |x| x == n)
                        && self.in_scope(table_scope, |n| n == "tr")
                    {
                        self.pop_until_current(table_row_context)?;
                        self.pop_row()?;
                        return Ok(Step::Reprocess(Mode::TableBody));
                    }
                    Ok(Step::Done)
                }
                "body" | "caption" | "col" | "colgroup" | "html" | "td" | "th" => Ok(Step::Done),
                _ => self.end_in(Mode::Table, n),
            },
            Mode::Cell => match n {
                "td" | "th" => {
                    if self.in_scope(table_scope, |x| x == n) {
                        self.generate_implied_end(None)?;
                        self.pop_until_marker(|x| x == n)?;
                        self.mode = Mode::Row;
                    }
                    Ok(Step::Done)
                }
                "body" | "caption" | "col" | "colgroup" | "html" => Ok(Step::Done),
                "table" | "tbody" | "tfoot" | "thead" | "tr" => {
                    if self.in_scope(table_scope, |x| x == n) {
                        self.close_the_cell()?;
                        Ok(Step::Reprocess(Mode::Row))
                    } else {
                        Ok(Step::Done)
                    }
                }
                _ => self.end_in(Mode::Body, n),
            },
            Mode::Caption => match n {
                "table" => self.leave_caption(false),
                "caption" => self.leave_caption(true),
                "body" | "col" | "colgroup" | "html" | "tbody" | "td" | "tfoot" | "th"
                | "thead" | "tr" => Ok(Step::Done),
                _ => self.end_in(Mode::Body, n),
            },
            Mode::ColumnGroup => match n {
                "colgroup" => {
                    if self.top() == "colgroup" {
                        self.stack.pop();
                        self.mode = Mode::Table;
                    }
                    Ok(Step::Done)
                }
                "col" | "template" => Ok(Step::Done),
                _ => self.leave_column_group(),
            },
        }
    }

    fn pop_table_section(&mut self) -> R {
        if matches!(self.top(), "tbody" | "thead" | "tfoot") {
            self.stack.pop();
            Ok(())
        } else {
            Err(Out)
        }
    }

    fn pop_row(&mut self) -> R {
        if self.top() == "tr" {
            self.stack.pop();
            Ok(())
        } else {
            Err(Out)
        }
    }

    /// In a table body, a tag that needs the table itself: close the body section.
    fn leave_table_body(&mut self) -> R<Step> {
        if self.in_scope(table_scope, |n| matches!(n, "table" | "tbody" | "tfoot")) {
            self.pop_until_current(table_body_context)?;
            self.pop_table_section()?;
            Ok(Step::Reprocess(Mode::Table))
        } else {
            Ok(Step::Done)
        }
    }

    /// In a row, a tag that needs the table body: close the row.
    fn leave_row(&mut self) -> R<Step> {
        if self.in_scope(table_scope, |n| n == "tr") {
            self.pop_until_current(table_row_context)?;
            self.pop_row()?;
            Ok(Step::Reprocess(Mode::TableBody))
        } else {
            Ok(Step::Done)
        }
    }

    fn leave_caption(&mut self, own_end_tag: bool) -> R<Step> {
        if !self.in_scope(table_scope, |n| n == "caption") {
            return Ok(Step::Done);
        }
        self.generate_implied_end(None)?;
        self.pop_until_marker(|n| n == "caption")?;
        if own_end_tag {
            self.mode = Mode::Table;
            Ok(Step::Done)
        } else {
            Ok(Step::Reprocess(Mode::Table))
        }
    }

    fn leave_column_group(&mut self) -> R<Step> {
        if self.top() == "colgroup" {
            self.stack.pop();
            Ok(Step::Reprocess(Mode::Table))
        } else {
            Ok(Step::Done)
        }
    }

    fn start_in_body(&mut self, tag: &Tag<'_>) -> R {
        let n = tag.name.as_str();
        if matches!(n, "html" | "head" | "body" | "frame") || table_part(n) {
            // Ignored in a fragment's body (a `<col>` or `<td>` outside a table too).
            return Ok(());
        }
        if closes_p(n) {
            self.close_p_in_button_scope()?;
        }
        // An open `<a>` is closed first (adoption agency). Behind a table it is out of
        // scope, and html5ever then takes it off the stack from the middle.
        if n == "a" && self.adopt("a")? == Adopted::OutOfScope {
            return Err(Out);
        }
        if n == "nobr"
            && self.in_scope(default_scope, |x| x == "nobr")
            && self.adopt("nobr")? != Adopted::Closed
        {
            return Err(Out);
        }
        match n {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" if heading(self.top()) => {
                self.stack.pop();
            }
            "form" => {
                if self.form.is_some() {
                    return Ok(());
                }
                self.close_p_in_button_scope()?;
                self.form = Some(self.push(n)?);
                return Ok(());
            }
            "li" | "dd" | "dt" => {
                let closes = |x: &str| {
                    if n == "li" {
                        x == "li"
                    } else {
                        x == "dd" || x == "dt"
                    }
                };
                let mut found = None;
                for (x, _) in self.stack.iter().rev() {
                    if closes(x) {
                        found = Some(x.clone());
                        break;
                    }
                    if special(x) && !matches!(&**x, "address" | "div" | "p") {
                        break;
                    }
                }
                if let Some(x) = found {
                    self.generate_implied_end(Some(&x))?;
                    self.pop_until(|y| y == &*x)?;
                }
                self.close_p_in_button_scope()?;
            }
            "button" if self.in_scope(default_scope, |x| x == "button") => {
                self.generate_implied_end(None)?;
                self.pop_until(|x| x == "button")?;
            }
            "table" => {
                self.push(n)?;
                self.mode = Mode::Table;
                return Ok(());
            }
            "option" | "optgroup" if self.top() == "option" => {
                self.stack.pop();
            }
            "rb" | "rtc" if self.in_scope(default_scope, |x| x == "ruby") => {
                self.generate_implied_end(None)?;
            }
            "rp" | "rt" if self.in_scope(default_scope, |x| x == "ruby") => {
                self.generate_implied_end(Some("rtc"))?;
            }
            _ => {}
        }
        if !void(n) {
            self.push(n)?;
        }
        Ok(())
    }

    fn end_in_body(&mut self, n: &str) -> R {
        if block_end(n) {
            if self.in_scope(default_scope, |x| x == n) {
                self.generate_implied_end(None)?;
                self.pop_until(|x| x == n)?;
            }
            return Ok(());
        }
        match n {
            "body" | "html" | "template" | "br" => Ok(()),
            "form" => {
                let Some(id) = self.form.take() else {
                    return Ok(());
                };
                let mut in_scope = false;
                for (x, i) in self.stack.iter().rev() {
                    if *i == id {
                        in_scope = true;
                        break;
                    }
                    if default_scope(x) {
                        break;
                    }
                }
                if in_scope {
                    self.generate_implied_end(None)?;
                    self.stack.retain(|(_, i)| *i != id);
                }
                Ok(())
            }
            "p" => {
                // Without an open `<p>`, an empty one is inserted and closed at once.
                self.close_p_in_button_scope()
            }
            "li" => {
                if self.in_scope(list_item_scope, |x| x == "li") {
                    self.generate_implied_end(Some("li"))?;
                    self.pop_until(|x| x == "li")?;
                }
                Ok(())
            }
            "dd" | "dt" => {
                if self.in_scope(default_scope, |x| x == n) {
                    self.generate_implied_end(Some(n))?;
                    self.pop_until(|x| x == n)?;
                }
                Ok(())
            }
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                if self.in_scope(default_scope, heading) {
                    self.generate_implied_end(None)?;
                    self.pop_until(heading)?;
                }
                Ok(())
            }
            "applet" | "marquee" | "object" => {
                if self.in_scope(default_scope, |x| x == n) {
                    self.generate_implied_end(None)?;
                    self.pop_until_marker(|x| x == n)?;
                }
                Ok(())
            }
            // Not open, or out of scope: ignored.
            _ if formatting(n) => self.adopt(n).map(|_| ()),
            _ => {
                // Any other end tag: the nearest element of that name, unless a special
                // element comes first.
                let Some(at) = self
                    .stack
                    .iter()
                    .rposition(|(x, _)| &**x == n || special(x))
                else {
                    return Ok(());
                };
                if &*self.stack[at].0 != n {
                    return Ok(());
                }
                self.generate_implied_end(Some(n))?;
                while self.stack.len() > at {
                    self.pop()?;
                }
                Ok(())
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Rebuilding

/// Tags ammonia keeps (its defaults, less `img`, which never reaches it, and the column
/// and caption parts of tables, which carry nothing it keeps).
fn kept(n: &str) -> bool {
    matches!(
        n,
        "a" | "abbr"
            | "acronym"
            | "area"
            | "article"
            | "aside"
            | "b"
            | "bdi"
            | "bdo"
            | "blockquote"
            | "br"
            | "center"
            | "cite"
            | "code"
            | "data"
            | "dd"
            | "del"
            | "details"
            | "dfn"
            | "div"
            | "dl"
            | "dt"
            | "em"
            | "figcaption"
            | "figure"
            | "footer"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "header"
            | "hgroup"
            | "hr"
            | "i"
            | "ins"
            | "kbd"
            | "li"
            | "map"
            | "mark"
            | "nav"
            | "ol"
            | "p"
            | "pre"
            | "q"
            | "rp"
            | "rt"
            | "rtc"
            | "ruby"
            | "s"
            | "samp"
            | "small"
            | "span"
            | "strike"
            | "strong"
            | "sub"
            | "summary"
            | "sup"
            | "table"
            | "tbody"
            | "td"
            | "th"
            | "thead"
            | "time"
            | "tr"
            | "tt"
            | "u"
            | "ul"
            | "var"
            | "wbr"
    )
}

fn table_context(n: &str) -> bool {
    matches!(n, "table" | "tbody" | "thead" | "tr")
}

/// HTML rebuilt from `html` so that it stays inside the subset [`check`] accepts: only
/// the tags ammonia keeps, every element closed by an explicit end tag while it is the
/// current node (so nothing is closed out of order or implicitly), tables in their
/// table/section/row/cell structure, nesting capped below `max_depth` (tags deeper are
/// dropped, their text kept), attributes capped at [`MAX_HTML_ATTRS`], text escaped,
/// scripts and styles dropped with their content, comments dropped. `None` when its own
/// walks over the open elements would exceed [`MAX_HTML_WORK`].
pub fn rebuild(html: &str, max_depth: usize) -> Option<String> {
    let mut b = Builder {
        out: String::with_capacity(html.len() + html.len() / 8),
        stack: Vec::new(),
        formatting: 0,
        max_depth,
    };
    let mut skip_raw = false;
    let mut work = 0;
    for tok in Tokenizer::new(html) {
        work += b.stack.len() + 1;
        if work > MAX_HTML_WORK {
            return None;
        }
        match tok {
            Tok::Text(t) => b.text(t),
            Tok::Raw(t) => {
                if !skip_raw {
                    b.text(t);
                }
            }
            Tok::Start(tag) => {
                skip_raw = matches!(tag.name.as_str(), "script" | "style");
                if kept(&tag.name) {
                    b.start(&tag);
                }
            }
            Tok::End(name) => {
                if kept(&name) {
                    b.end(&name);
                }
            }
            Tok::Other => {}
        }
    }
    Some(b.out)
}

struct Builder {
    out: String,
    stack: Vec<String>,
    /// Formatting elements on the stack.
    formatting: usize,
    max_depth: usize,
}

impl Builder {
    fn text(&mut self, t: &str) {
        for c in t.chars() {
            match c {
                '<' => self.out.push_str("&lt;"),
                '>' => self.out.push_str("&gt;"),
                '\0' => {}
                c => self.out.push(c),
            }
        }
    }

    fn top(&self) -> &str {
        self.stack.last().map_or("", String::as_str)
    }

    /// Closes the current node with an explicit end tag.
    fn close(&mut self) {
        if let Some(n) = self.stack.pop() {
            if formatting(&n) {
                self.formatting -= 1;
            }
            self.out.push_str("</");
            self.out.push_str(&n);
            self.out.push('>');
        }
    }

    /// Closes elements down to and including index `at`.
    fn close_to(&mut self, at: usize) {
        while self.stack.len() > at {
            self.close();
        }
    }

    /// Index of the nearest open element matching `target`, looking no further than an
    /// element matching `stop`.
    fn find(&self, target: impl Fn(&str) -> bool, stop: impl Fn(&str) -> bool) -> Option<usize> {
        for (i, n) in self.stack.iter().enumerate().rev() {
            if target(n) {
                return Some(i);
            }
            if stop(n) {
                return None;
            }
        }
        None
    }

    fn open(&mut self, tag: &Tag<'_>, name: &str) {
        self.out.push('<');
        self.out.push_str(name);
        if name == tag.name {
            let mut seen: Vec<String> = Vec::new();
            for (k, v) in &tag.attrs {
                if seen.len() >= MAX_HTML_ATTRS {
                    break;
                }
                let k = k.to_ascii_lowercase();
                if k.is_empty()
                    || !k
                        .bytes()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b':'))
                    || seen.contains(&k)
                {
                    continue;
                }
                self.out.push(' ');
                self.out.push_str(&k);
                self.out.push_str("=\"");
                self.out.push_str(&v.replace('"', "&quot;"));
                self.out.push('"');
                seen.push(k);
            }
        }
        self.out.push('>');
        if !void(name) {
            if formatting(name) {
                self.formatting += 1;
            }
            self.stack.push(name.to_string());
        }
    }

    fn start(&mut self, tag: &Tag<'_>) {
        let n = tag.name.as_str();
        // Room for a table's implied section and row.
        if !void(n) && self.stack.len() + 3 >= self.max_depth
            || formatting(n) && self.formatting + 1 >= MAX_HTML_FORMATTING
        {
            return;
        }
        let in_table = table_context(self.top());
        match n {
            "tbody" | "thead" => {
                let Some(t) = self.find(|x| x == "table", |_| false) else {
                    return;
                };
                self.close_to(t + 1);
                self.open(tag, n);
            }
            "tr" => {
                let Some(t) = self.find(|x| x == "table", |_| false) else {
                    return;
                };
                match self.find(|x| matches!(x, "tbody" | "thead"), |x| x == "table") {
                    Some(s) => self.close_to(s + 1),
                    None => {
                        self.close_to(t + 1);
                        self.open(tag, "tbody");
                    }
                }
                self.open(tag, n);
            }
            "td" | "th" => {
                let Some(t) = self.find(|x| x == "table", |_| false) else {
                    return;
                };
                match self.find(|x| x == "tr", |x| x == "table") {
                    Some(r) => self.close_to(r + 1),
                    None => {
                        match self.find(|x| matches!(x, "tbody" | "thead"), |x| x == "table") {
                            Some(s) => self.close_to(s + 1),
                            None => {
                                self.close_to(t + 1);
                                self.open(tag, "tbody");
                            }
                        }
                        self.open(tag, "tr");
                    }
                }
                self.open(tag, n);
            }
            // Anything else straight inside a table would be moved out of it.
            _ if in_table => {}
            _ => {
                if closes_p(n) || matches!(n, "li" | "dd" | "dt") {
                    if matches!(n, "li" | "dd" | "dt") {
                        let closes = |x: &str| {
                            if n == "li" {
                                x == "li"
                            } else {
                                x == "dd" || x == "dt"
                            }
                        };
                        if let Some(i) = self.find(closes, |x| {
                            special(x) && !matches!(x, "address" | "div" | "p")
                        }) {
                            self.close_to(i);
                        }
                    }
                    if let Some(i) = self.find(|x| x == "p", button_scope) {
                        self.close_to(i);
                    }
                }
                if heading(n) && heading(self.top()) {
                    self.close();
                }
                if n == "a"
                    && let Some(i) = self.find(|x| x == "a", marker)
                {
                    self.close_to(i);
                }
                if matches!(n, "rb" | "rtc" | "rp" | "rt")
                    && self.find(|x| x == "ruby", default_scope).is_some()
                {
                    while implied_end(self.top())
                        && !(matches!(n, "rp" | "rt") && self.top() == "rtc")
                    {
                        self.close();
                    }
                }
                self.open(tag, n);
            }
        }
    }

    fn end(&mut self, n: &str) {
        if void(n) {
            return;
        }
        let found = if n == "table" {
            self.find(|x| x == "table", |_| false)
        } else if table_context(n) || n == "td" || n == "th" {
            self.find(|x| x == n, |x| x == "table")
        } else {
            // Not across a cell or into a table's structure.
            self.find(|x| x == n, |x| table_context(x) || x == "td" || x == "th")
        };
        if let Some(i) = found {
            self.close_to(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rebuilt(html: &str) -> String {
        rebuild(html, MAX_HTML_DEPTH).unwrap()
    }

    fn tokens(s: &str) -> Vec<String> {
        Tokenizer::new(s)
            .map(|t| match t {
                Tok::Text(t) => format!("T{t:?}"),
                Tok::Raw(t) => format!("R{t:?}"),
                Tok::Start(t) => format!("<{}{:?}>", t.name, t.attrs),
                Tok::End(n) => format!("</{n}>"),
                Tok::Other => "#".into(),
            })
            .collect()
    }

    #[test]
    fn tokenizer_follows_the_html_rules() {
        assert_eq!(
            tokens("a<B c=\"x>y\" d=e/f g>h</b >"),
            [
                "T\"a\"",
                "<b[(\"c\", \"x>y\"), (\"d\", \"e/f\"), (\"g\", \"\")]>",
                "T\"h\"",
                "</b>"
            ]
        );
        assert_eq!(
            tokens("<!-->x<!--->y<!-- a -- b --!>z"),
            ["#", "T\"x\"", "#", "T\"y\"", "#", "T\"z\""]
        );
        assert_eq!(
            tokens("<!DOCTYPE html><?php x ?>< 3 </3 a> </>"),
            ["#", "#", "T\"< 3 \"", "#", "T\" \"", "#"]
        );
        assert_eq!(
            tokens("<style>a<b>c</styles></style x=\">\">d"),
            ["<style[]>", "R\"a<b>c</styles>\"", "</style>", "T\"d\""]
        );
        // A tag cut off by the end of the input builds nothing.
        assert_eq!(tokens("x<div class=\"a"), ["T\"x\"", "#"]);
        assert_eq!(
            tokens("<p =x a='1'b>"),
            ["<p[(\"=x\", \"\"), (\"a\", \"1\"), (\"b\", \"\")]>"]
        );
        assert_eq!(tokens("é<é>ü</"), ["T\"é\"", "T\"<é>ü\"", "T\"</\""]);
    }

    #[test]
    fn ordinary_mail_html_passes_as_is() {
        for html in [
            "<p>Hi <b>there</b></p><p>a<p>b<ul><li>x<li>y</ul><br><hr>",
            "<table width=600><tr><td>a<td>b<tr><td><p>c</td></tr></table>",
            "<table><tbody><tr><th>h</th></tr></tbody></table><table><col width=1><tr><td>x</table>",
            "<div><blockquote>q<div>r</div></blockquote></div><span>s</div>",
            "<html><head><title>T</title><style>p{}</style></head><body><p>x</p></body></html>",
            "<a href=x><a href=y>[img]</a></a><h1>a<h2>b</h2>",
            "<dl><dt>a<dd>b<dt>c</dl><ol><li><p>x</ol><form><input></form>",
            "<p>a</span></font></b>b",
            "<table><tr><td><font>x</td><td><b><i>y</td></tr></table>",
            "<font><table><tr><td>x</font></td></tr></table></font>",
            "<b><span><span>x</b>y<a href=1><span>z<a href=2>w",
            "<script><!-- if (a<b) { x('</scripts>') } //--></script><p>x",
        ] {
            assert!(check(html), "{html}");
        }
    }

    #[test]
    fn out_of_order_formatting_and_foreign_content_are_refused() {
        for html in [
            "<b><i>x</b></i>",
            "<p><b>x<div>y</div>",
            "<svg><g></g></svg>",
            "<select><option>x</select>",
            "<script><!--<script></script>x</script>",
            "<script><!-- document.write('<SCRIPT src=x>') //--></script>",
            "<table><b><td>x</table>",
            "<b><p>x</b>",
            "<font><b>x</font>",
            "<a href=1><table><a href=2>",
            "<b><b><b><b><span>x</b>",
        ] {
            assert!(!check(html), "{html}");
        }
    }

    #[test]
    fn depth_and_attribute_limits() {
        assert!(check(&"<div>".repeat(MAX_HTML_DEPTH)));
        assert!(!check(&"<div>".repeat(MAX_HTML_DEPTH + 1)));
        let attrs = |n: usize| {
            format!(
                "<p {}>x",
                (0..n).map(|i| format!("a{i}=1 ")).collect::<String>()
            )
        };
        assert!(check(&attrs(MAX_HTML_ATTRS)));
        assert!(!check(&attrs(MAX_HTML_ATTRS + 1)));
    }

    #[test]
    fn rebuilt_html_always_passes() {
        let samples = [
            "<b><i>x</b>y</i>z",
            "<p><b>x<div>y</div>z</b></p>",
            "<table><b><td>x<tr><div>y</table>",
            "<td>x</td><tr><table><table><tr><td>1<td>2</table>",
            "<svg><g><style>a</style><p>x</g></svg>",
            "<a href=1><span><a href=2>t</a></span></a>",
            "<ul><li>a<ul><li>b</ul><li>c</ul><p>d<li>e",
            "<h1>a<h2>b</h1>c</h2>",
            "<ruby>a<rt>b<rp>c<rtc>d</ruby>",
            "<p style=\"a\" style='b' on=\"x\" \"q=1>t",
        ];
        for html in samples {
            let r = rebuilt(html);
            assert!(check(&r), "{html} -> {r}");
        }
        for html in [
            "<div>".repeat(100_000),
            "<b>".repeat(100_000),
            "<ul><li>".repeat(50_000),
            "<table><tr><td>".repeat(30_000),
            "<p><div></p>".repeat(40_000),
            "<span><div></span>".repeat(40_000),
        ] {
            assert!(!check(&html));
            assert!(matches!(prepare(&html), Prepared::Rebuilt(_)));
        }
        // Clean, but too much work: every list item walks past 250 open spans.
        let html = "<span>".repeat(250) + &"<li>x</li>".repeat(20_000);
        assert!(!check(&html));
        assert!(rebuild(&html, MAX_HTML_DEPTH).is_none());
        let Prepared::Rebuilt(shallow) = prepare(&html) else {
            panic!("not rebuilt")
        };
        assert!(
            shallow.starts_with(&("<span>".repeat(5) + "xx")),
            "{}",
            &shallow[..80]
        );
        let r = rebuilt("<b><i>x</b>y</i>z");
        assert_eq!(r, "<b><i>x</i></b>yz");
        let r = rebuilt("<table><tr><td>a<td>b</table>");
        assert_eq!(
            r,
            "<table><tbody><tr><td>a</td><td>b</td></tr></tbody></table>"
        );
    }

    /// Deterministic pseudo-random tag soup.
    fn soup(count: usize) -> Vec<String> {
        const PIECES: [&str; 72] = [
            "<p>",
            "</p>",
            "<div>",
            "</div>",
            "<b>",
            "</b>",
            "<i>",
            "</i>",
            "<a href=x>",
            "</a>",
            "<table>",
            "</table>",
            "<tr>",
            "</tr>",
            "<td>",
            "</td>",
            "<th>",
            "<tbody>",
            "</tbody>",
            "<li>",
            "</li>",
            "<ul>",
            "</ul>",
            "<h1>",
            "</h2>",
            "<span>",
            "</span>",
            "<font color=1>",
            "</font>",
            "<br>",
            "<hr>",
            "x",
            " ",
            "<!--",
            "-->",
            "<style>",
            "</style>",
            "<script>",
            "</script>",
            "<title>",
            "<svg>",
            "<select>",
            "<option>",
            "<caption>",
            "<col>",
            "<colgroup>",
            "<dd>",
            "<dt>",
            "<ruby>",
            "<rt>",
            "<rtc>",
            "<button>",
            "<form>",
            "</form>",
            "<nobr>",
            "<object>",
            "</object>",
            "<pre>",
            "<blockquote>",
            "\"",
            "'",
            "<",
            ">",
            "=",
            "</",
            "<textarea>",
            "<plaintext>",
            "<xmp>",
            "</xmp>",
            "<p class='a>b'>",
            "<thead>",
            "</td></tr>",
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        (0..count)
            .map(|_| {
                let len = (next() % 80) as usize;
                (0..len)
                    .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                    .collect()
            })
            .collect()
    }

    #[test]
    fn rebuilt_tag_soup_always_passes() {
        let mut as_is = 0;
        for html in soup(20_000) {
            if check(&html) {
                as_is += 1;
                continue;
            }
            let r = rebuilt(&html);
            assert!(check(&r), "{html:?} -> {r:?}");
            assert_eq!(rebuilt(&r), r, "{html:?}");
        }
        assert!(as_is > 100, "{as_is}");
    }
}
