//! The query language readers type: words (all must match), "phrases", `-word`, `OR`,
//! parentheses, field prefixes and date filters. Parsing never fails: anything it cannot
//! read becomes plain words or is dropped with a note shown beside the results, because a
//! search box that answers "syntax error" teaches nobody anything.

use chrono::{Datelike, NaiveDate};

/// Longest query read; the rest is ignored (with a note).
pub const MAX_QUERY_BYTES: usize = 1_000;
/// Most terms and filters in one query.
pub const MAX_LEAVES: usize = 32;
const MAX_DEPTH: usize = 8;

/// Which text a word is looked for in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Any,
    From,
    Subject,
    Body,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Leaf {
    Text {
        scope: Scope,
        text: String,
        phrase: bool,
    },
    List(String),
    MsgId(String),
    HasAttachment,
    /// Unix seconds, `lo` inclusive, `hi` exclusive.
    Date {
        lo: Option<i64>,
        hi: Option<i64>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Leaf(Leaf),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub expr: Expr,
    /// Problems worth telling the reader, e.g. an unreadable date.
    pub notes: Vec<Note>,
}

/// A remark on how a query was read: a message key of the interface's catalogs and its
/// arguments, for the page to say in the reader's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl Note {
    fn new(key: &'static str, args: &[(&'static str, String)]) -> Note {
        Note {
            key,
            args: args.to_vec(),
        }
    }
}

impl Parsed {
    /// List names the query filters on, for the caller to resolve.
    pub fn list_names(&self) -> Vec<String> {
        let mut out = Vec::new();
        walk(&self.expr, &mut |l| {
            if let Leaf::List(n) = l {
                out.push(n.clone());
            }
        });
        out
    }

    /// Whether the query has words to rank by (filters alone are best read newest first).
    pub fn has_text(&self) -> bool {
        let mut yes = false;
        walk(&self.expr, &mut |l| yes |= matches!(l, Leaf::Text { .. }));
        yes
    }

    pub fn is_empty(&self) -> bool {
        let mut empty = true;
        walk(&self.expr, &mut |_| empty = false);
        empty
    }
}

fn walk(e: &Expr, f: &mut impl FnMut(&Leaf)) {
    match e {
        Expr::And(v) | Expr::Or(v) => v.iter().for_each(|e| walk(e, f)),
        Expr::Not(e) => walk(e, f),
        Expr::Leaf(l) => f(l),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Lex {
    Open,
    Close,
    Or,
    /// A term: negated, prefix, value, quoted.
    Term(bool, Option<String>, String, bool),
}

fn lex(q: &str) -> Vec<Lex> {
    let mut out = Vec::new();
    let chars: Vec<char> = q.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() || c.is_control() {
            i += 1;
            continue;
        }
        if c == '(' {
            out.push(Lex::Open);
            i += 1;
            continue;
        }
        if c == ')' {
            out.push(Lex::Close);
            i += 1;
            continue;
        }
        let mut neg = false;
        if c == '-' || c == '+' {
            neg = c == '-';
            i += 1;
            if i >= chars.len() || chars[i].is_whitespace() {
                continue;
            }
            if neg && chars[i] == '(' {
                out.push(negation());
                continue;
            }
        }
        // A run up to whitespace or a bracket; a quote opens a phrase that runs to the
        // closing quote (or the end, when there is none).
        let start = i;
        let mut prefix = None;
        while i < chars.len() && !chars[i].is_whitespace() && !matches!(chars[i], '(' | ')' | '"') {
            if chars[i] == ':' && prefix.is_none() && i > start {
                let p: String = chars[start..i].iter().collect();
                if is_prefix(&p.to_ascii_lowercase()) {
                    prefix = Some(p.to_ascii_lowercase());
                    i += 1;
                    break;
                }
            }
            i += 1;
        }
        let value_start = if prefix.is_some() { i } else { start };
        // `msgid:<…>` runs to the closing `>`: Message-IDs can hold quotes and spaces.
        if matches!(prefix.as_deref(), Some("msgid" | "m")) && chars.get(i) == Some(&'<') {
            let close = chars[i..]
                .iter()
                .position(|&c| c == '>')
                .map_or(chars.len(), |p| i + p);
            let text: String = chars[i + 1..close].iter().collect();
            out.push(Lex::Term(neg, prefix, text, false));
            i = (close + 1).min(chars.len());
            continue;
        }
        if i < chars.len() && chars[i] == '"' && (prefix.is_some() || i == start) {
            let open = i + 1;
            let close = chars[open..]
                .iter()
                .position(|&c| c == '"')
                .map_or(chars.len(), |p| open + p);
            let text: String = chars[open..close].iter().collect();
            out.push(Lex::Term(neg, prefix, text, true));
            i = (close + 1).min(chars.len());
            continue;
        }
        if prefix.is_some() {
            while i < chars.len() && !chars[i].is_whitespace() && !matches!(chars[i], '(' | ')') {
                i += 1;
            }
        }
        // A quote here ends a word (`ab"cd` reads `ab`, then the phrase `cd`): a quote at
        // the start of a term opened a phrase above.
        let text: String = chars[value_start..i].iter().collect();
        out.extend(word(neg, prefix, text));
    }
    out
}

/// `-(…)` and `NOT x`: the next term or group is negated.
fn negation() -> Lex {
    Lex::Term(true, Some("\u{0}not".into()), String::new(), false)
}

/// A word that is not a phrase: an operator when bare, else a term (empty only after a
/// prefix, which then asks for nothing and is read as such).
fn word(neg: bool, prefix: Option<String>, text: String) -> Option<Lex> {
    let bare = prefix.is_none() && !neg;
    match text.as_str() {
        "OR" if bare => Some(Lex::Or),
        "AND" | "&&" if bare => None,
        // `NOT x` reads as `-x`.
        "NOT" if bare => Some(negation()),
        _ if !text.is_empty() || prefix.is_some() => Some(Lex::Term(neg, prefix, text, false)),
        _ => None,
    }
}

fn is_prefix(p: &str) -> bool {
    matches!(
        p,
        "from"
            | "f"
            | "subject"
            | "s"
            | "body"
            | "b"
            | "list"
            | "l"
            | "msgid"
            | "m"
            | "has"
            | "after"
            | "since"
            | "before"
            | "until"
            | "date"
            | "d"
    )
}

struct Parser {
    lex: Vec<Lex>,
    pos: usize,
    leaves: usize,
    notes: Vec<Note>,
}

/// Reads a query. Never fails.
pub fn parse(q: &str) -> Parsed {
    let mut notes = Vec::new();
    let mut q = q;
    if q.len() > MAX_QUERY_BYTES {
        let mut cut = MAX_QUERY_BYTES;
        while !q.is_char_boundary(cut) {
            cut -= 1;
        }
        q = &q[..cut];
        notes.push(Note::new(
            "note-query-cut",
            &[("n", MAX_QUERY_BYTES.to_string())],
        ));
    }
    let mut p = Parser {
        lex: lex(q),
        pos: 0,
        leaves: 0,
        notes,
    };
    let mut parts = Vec::new();
    while p.pos < p.lex.len() {
        let e = p.or(0);
        if let Some(e) = e {
            parts.push(e);
        }
        if p.lex.get(p.pos) == Some(&Lex::Close) {
            p.pos += 1; // an unmatched ')'
        }
    }
    if p.leaves > MAX_LEAVES {
        p.notes.push(Note::new(
            "note-query-terms",
            &[("n", MAX_LEAVES.to_string())],
        ));
    }
    Parsed {
        expr: simplify(Expr::And(parts)),
        notes: p.notes,
    }
}

impl Parser {
    fn or(&mut self, depth: usize) -> Option<Expr> {
        let mut alts = Vec::new();
        loop {
            if let Some(e) = self.and(depth) {
                alts.push(e);
            }
            if self.lex.get(self.pos) == Some(&Lex::Or) {
                self.pos += 1;
                continue;
            }
            break;
        }
        match alts.len() {
            0 => None,
            1 => alts.pop(),
            _ => Some(Expr::Or(alts)),
        }
    }

    fn and(&mut self, depth: usize) -> Option<Expr> {
        let mut parts = Vec::new();
        let mut negate_next = false;
        while let Some(l) = self.lex.get(self.pos).cloned() {
            match l {
                Lex::Or | Lex::Close => break,
                Lex::Open => {
                    self.pos += 1;
                    let inner = if depth >= MAX_DEPTH {
                        None
                    } else {
                        self.or(depth + 1)
                    };
                    if self.lex.get(self.pos) == Some(&Lex::Close) {
                        self.pos += 1;
                    }
                    if let Some(e) = inner {
                        parts.push(if std::mem::take(&mut negate_next) {
                            Expr::Not(Box::new(e))
                        } else {
                            e
                        });
                    }
                }
                Lex::Term(neg, prefix, text, quoted) => {
                    self.pos += 1;
                    if prefix.as_deref() == Some("\u{0}not") {
                        negate_next = true;
                        continue;
                    }
                    let neg = neg || std::mem::take(&mut negate_next);
                    if let Some(leaf) = self.leaf(prefix.as_deref(), text, quoted) {
                        self.leaves += 1;
                        if self.leaves > MAX_LEAVES {
                            continue;
                        }
                        let e = Expr::Leaf(leaf);
                        parts.push(if neg { Expr::Not(Box::new(e)) } else { e });
                    }
                }
            }
        }
        match parts.len() {
            0 => None,
            1 => parts.pop(),
            _ => Some(Expr::And(parts)),
        }
    }

    fn leaf(&mut self, prefix: Option<&str>, text: String, phrase: bool) -> Option<Leaf> {
        let text_leaf = |scope, text: String| {
            if text.trim().is_empty() {
                None
            } else {
                Some(Leaf::Text {
                    scope,
                    text,
                    phrase,
                })
            }
        };
        match prefix {
            None => text_leaf(Scope::Any, text),
            Some("from" | "f") => text_leaf(Scope::From, text),
            Some("subject" | "s") => text_leaf(Scope::Subject, text),
            Some("body" | "b") => text_leaf(Scope::Body, text),
            Some("list" | "l") => {
                let t = text.trim().trim_end_matches('/').to_string();
                (!t.is_empty()).then_some(Leaf::List(t))
            }
            Some("msgid" | "m") => {
                let t = text.trim().trim_start_matches('<').trim_end_matches('>');
                (!t.is_empty()).then(|| Leaf::MsgId(t.to_string()))
            }
            Some("has") => {
                let t = text.trim().to_ascii_lowercase();
                if matches!(t.as_str(), "attachment" | "attachments" | "attach" | "a") {
                    Some(Leaf::HasAttachment)
                } else {
                    self.notes
                        .push(Note::new("note-unknown-has", &[("what", t.clone())]));
                    None
                }
            }
            Some(p @ ("after" | "since" | "before" | "until" | "date" | "d")) => {
                let r = match p {
                    "after" | "since" => day_range(&text).map(|(lo, _)| (Some(lo), None)),
                    "before" | "until" => day_range(&text).map(|(lo, _)| (None, Some(lo))),
                    _ => date_span(&text),
                };
                match r {
                    Some((lo, hi)) => Some(Leaf::Date { lo, hi }),
                    None => {
                        self.notes.push(Note::new(
                            "note-bad-date",
                            &[("term", format!("{p}:{text}"))],
                        ));
                        None
                    }
                }
            }
            Some(_) => text_leaf(Scope::Any, text),
        }
    }
}

/// Drops single-child groups so tests and callers see the simplest equivalent tree.
fn simplify(e: Expr) -> Expr {
    match e {
        Expr::And(v) => {
            let mut v: Vec<Expr> = v.into_iter().map(simplify).collect();
            if v.len() == 1 {
                v.pop().unwrap_or(Expr::And(Vec::new()))
            } else {
                Expr::And(v)
            }
        }
        Expr::Or(v) => {
            let mut v: Vec<Expr> = v.into_iter().map(simplify).collect();
            if v.len() == 1 {
                v.pop().unwrap_or(Expr::And(Vec::new()))
            } else {
                Expr::Or(v)
            }
        }
        Expr::Not(e) => Expr::Not(Box::new(simplify(*e))),
        leaf => leaf,
    }
}

/// `A..B`, `A..`, `..B` or a single `D`, as a half-open span of seconds.
fn date_span(s: &str) -> Option<(Option<i64>, Option<i64>)> {
    if let Some((a, b)) = s.split_once("..") {
        let lo = if a.is_empty() {
            None
        } else {
            Some(day_range(a)?.0)
        };
        let hi = if b.is_empty() {
            None
        } else {
            Some(day_range(b)?.1)
        };
        if lo.is_none() && hi.is_none() {
            return None;
        }
        Some((lo, hi))
    } else {
        let (lo, hi) = day_range(s)?;
        Some((Some(lo), Some(hi)))
    }
}

/// The span a date names: a year, a month or a day (`2016`, `2016-04`, `2016-04-01`,
/// also with `/` or `.`, or `20160401`), UTC.
pub fn day_range(s: &str) -> Option<(i64, i64)> {
    let s = s.trim();
    let parts: Vec<&str> = if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        vec![&s[..4], &s[4..6], &s[6..]]
    } else {
        s.split(['-', '/', '.']).collect()
    };
    let num = |p: &str| -> Option<u32> {
        if p.is_empty() || p.len() > 4 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        p.parse().ok()
    };
    let y = num(parts.first()?)? as i32;
    if !(1970..=9999).contains(&y) {
        return None;
    }
    let start = |y: i32, m: u32, d: u32| -> Option<i64> {
        Some(
            NaiveDate::from_ymd_opt(y, m, d)?
                .and_hms_opt(0, 0, 0)?
                .and_utc()
                .timestamp(),
        )
    };
    match parts.len() {
        1 => Some((start(y, 1, 1)?, start(y + 1, 1, 1)?)),
        2 => {
            let m = num(parts[1])?;
            let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            Some((start(y, m, 1)?, start(ny, nm, 1)?))
        }
        3 => {
            let m = num(parts[1])?;
            let d = num(parts[2])?;
            let day = NaiveDate::from_ymd_opt(y, m, d)?;
            let next = day.succ_opt()?;
            Some((
                start(y, m, d)?,
                start(next.year(), next.month(), next.day())?,
            ))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str, phrase: bool) -> Expr {
        Expr::Leaf(Leaf::Text {
            scope: Scope::Any,
            text: s.into(),
            phrase,
        })
    }

    #[test]
    fn grammar() {
        assert_eq!(
            parse("foo bar").expr,
            Expr::And(vec![text("foo", false), text("bar", false)])
        );
        assert_eq!(parse("\"foo bar\"").expr, text("foo bar", true));
        assert_eq!(
            parse("foo -bar").expr,
            Expr::And(vec![
                text("foo", false),
                Expr::Not(Box::new(text("bar", false)))
            ])
        );
        assert_eq!(
            parse("a OR b c").expr,
            Expr::Or(vec![
                text("a", false),
                Expr::And(vec![text("b", false), text("c", false)])
            ])
        );
        assert_eq!(
            parse("(a OR b) c").expr,
            Expr::And(vec![
                Expr::Or(vec![text("a", false), text("b", false)]),
                text("c", false)
            ])
        );
        assert_eq!(
            parse("from:\"Jane Doe\"").expr,
            Expr::Leaf(Leaf::Text {
                scope: Scope::From,
                text: "Jane Doe".into(),
                phrase: true
            })
        );
        assert_eq!(
            parse("msgid:<a@b>").expr,
            Expr::Leaf(Leaf::MsgId("a@b".into()))
        );
        assert_eq!(
            parse("has:attachment").expr,
            Expr::Leaf(Leaf::HasAttachment)
        );
        assert_eq!(parse("NOT x").expr, Expr::Not(Box::new(text("x", false))));
        // Not prefixes: read as words.
        assert_eq!(parse("http://x.org").expr, text("http://x.org", false));
    }

    /// Expected bounds are written out as Unix times (from `date -u -d … +%s`), never
    /// computed by the code under test.
    #[test]
    fn dates() {
        const Y2016: i64 = 1451606400; // 2016-01-01
        const JUN_2016: i64 = 1464739200; // 2016-06-01
        const DEC_2016: i64 = 1480550400; // 2016-12-01
        const Y2017: i64 = 1483228800; // 2017-01-01
        const Y2018: i64 = 1514764800; // 2018-01-01
        assert_eq!(day_range("2016"), Some((Y2016, Y2017)));
        assert_eq!(day_range("2016-12"), Some((DEC_2016, Y2017)));
        assert_eq!(day_range("2016-06-01"), Some((JUN_2016, JUN_2016 + 86400)));
        assert_eq!(day_range("2016/06/01"), day_range("2016-06-01"));
        assert_eq!(day_range("20160601"), Some((JUN_2016, JUN_2016 + 86400)));
        assert_eq!(day_range("2016-12-31"), Some((Y2017 - 86400, Y2017)));
        assert_eq!(day_range("2016-02-29"), Some((1456704000, 1456790400)));
        for bad in [
            "1969",
            "2016-13",
            "2016-02-30",
            "yesterday",
            "",
            "2016-1-2-3",
            "10000",
        ] {
            assert_eq!(day_range(bad), None, "{bad}");
        }
        assert_eq!(
            parse("after:2016-01-01").expr,
            Expr::Leaf(Leaf::Date {
                lo: Some(Y2016),
                hi: None
            })
        );
        assert_eq!(
            parse("before:2016-06").expr,
            Expr::Leaf(Leaf::Date {
                lo: None,
                hi: Some(JUN_2016)
            })
        );
        assert_eq!(
            parse("date:2016..2017").expr,
            Expr::Leaf(Leaf::Date {
                lo: Some(Y2016),
                hi: Some(Y2018)
            })
        );
        assert_eq!(
            parse("date:2016-06-01").expr,
            Expr::Leaf(Leaf::Date {
                lo: Some(JUN_2016),
                hi: Some(JUN_2016 + 86400)
            })
        );
        let p = parse("date:yesterday foo");
        assert_eq!(p.expr, text("foo", false));
        assert_eq!(p.notes.len(), 1);
    }

    #[test]
    fn lenient() {
        for q in [
            "\"unclosed",
            "((((",
            "))))",
            "-",
            "a:",
            "from:",
            "\"\"",
            "OR OR",
            "-(",
            "(a",
            "a)b",
            ":::",
            "date:..",
            "list:",
        ] {
            let _ = parse(q);
        }
        let deep = "(".repeat(10_000) + "x" + &")".repeat(10_000);
        let _ = parse(&deep);
        assert_eq!(
            parse("-(a b)").expr,
            Expr::Not(Box::new(Expr::And(vec![
                text("a", false),
                text("b", false)
            ])))
        );
        let many = "w ".repeat(1000);
        let p = parse(&many);
        assert!(!p.notes.is_empty());
    }

    fn scoped(scope: Scope, s: &str, phrase: bool) -> Expr {
        Expr::Leaf(Leaf::Text {
            scope,
            text: s.into(),
            phrase,
        })
    }

    fn not(e: Expr) -> Expr {
        Expr::Not(Box::new(e))
    }

    /// Every prefix and its short form, operators and odd input, each with the exact tree
    /// it must read as.
    #[test]
    fn prefixes_and_operators_read_exactly() {
        let cases: Vec<(&str, Expr)> = vec![
            ("f:jane", scoped(Scope::From, "jane", false)),
            ("FROM:jane", scoped(Scope::From, "jane", false)),
            ("s:kernel", scoped(Scope::Subject, "kernel", false)),
            ("subject:\"a b\"", scoped(Scope::Subject, "a b", true)),
            ("b:irq", scoped(Scope::Body, "irq", false)),
            ("body:irq", scoped(Scope::Body, "irq", false)),
            ("l:dev/", Expr::Leaf(Leaf::List("dev".into()))),
            ("list:dev", Expr::Leaf(Leaf::List("dev".into()))),
            ("m:a@b", Expr::Leaf(Leaf::MsgId("a@b".into()))),
            (
                "msgid:<a \"b\"@c> x",
                Expr::And(vec![
                    Expr::Leaf(Leaf::MsgId("a \"b\"@c".into())),
                    text("x", false),
                ]),
            ),
            ("has:a", Expr::Leaf(Leaf::HasAttachment)),
            ("has:Attachments", Expr::Leaf(Leaf::HasAttachment)),
            ("+word", text("word", false)),
            (
                "a AND b",
                Expr::And(vec![text("a", false), text("b", false)]),
            ),
            (
                "a && b",
                Expr::And(vec![text("a", false), text("b", false)]),
            ),
            (
                "NOT (a b)",
                not(Expr::And(vec![text("a", false), text("b", false)])),
            ),
            ("-\"a b\"", not(text("a b", true))),
            ("-from:x", not(scoped(Scope::From, "x", false))),
            (
                "a OR b OR c",
                Expr::Or(vec![text("a", false), text("b", false), text("c", false)]),
            ),
            ("a:b", text("a:b", false)),
            (
                "x:\"y\"",
                Expr::And(vec![text("x:", false), text("y", true)]),
            ),
            ("\"unclosed phrase", text("unclosed phrase", true)),
            (
                "\"a b\" c",
                Expr::And(vec![text("a b", true), text("c", false)]),
            ),
            (
                "ab\"cd e\"f",
                Expr::And(vec![
                    text("ab", false),
                    text("cd e", true),
                    text("f", false),
                ]),
            ),
            ("a)b", Expr::And(vec![text("a", false), text("b", false)])),
            ("((a))", text("a", false)),
            ("- a", text("a", false)),
            ("or", text("or", false)),
            ("-OR", not(text("OR", false))),
            (
                "(a OR b) c OR d",
                Expr::Or(vec![
                    Expr::And(vec![
                        Expr::Or(vec![text("a", false), text("b", false)]),
                        text("c", false),
                    ]),
                    text("d", false),
                ]),
            ),
        ];
        for (q, want) in cases {
            let p = parse(q);
            assert_eq!(p.expr, want, "{q}");
            assert!(p.notes.is_empty(), "{q}: {:?}", p.notes);
        }
        for q in [
            "", "   ", "()", "from:", "list:/", "msgid:<>", "\"\"", "OR", "-",
        ] {
            let p = parse(q);
            assert_eq!(p.expr, Expr::And(Vec::new()), "{q}");
            assert!(p.is_empty(), "{q}: {:?}", p.expr);
            assert!(!p.has_text(), "{q}");
        }
    }

    #[test]
    fn what_a_query_asks_for() {
        let p = parse("list:a (x OR list:b/) -list:c date:2016");
        assert_eq!(p.list_names(), vec!["a", "b", "c"]);
        assert!(p.has_text());
        assert!(!p.is_empty());
        let p = parse("list:a has:attachment after:2016");
        assert!(!p.has_text());
        assert!(!p.is_empty());
        assert!(parse("-x").has_text());
    }

    /// Expected bounds written out (`date -u -d … +%s`).
    #[test]
    fn date_prefixes_and_spans() {
        const Y2016: i64 = 1451606400;
        const Y2017: i64 = 1483228800;
        const MAR_2016: i64 = 1456790400; // 2016-03-01
        let date = |lo, hi| Expr::Leaf(Leaf::Date { lo, hi });
        assert_eq!(parse("since:2016").expr, date(Some(Y2016), None));
        assert_eq!(parse("until:2017").expr, date(None, Some(Y2017)));
        assert_eq!(parse("d:2016").expr, date(Some(Y2016), Some(Y2017)));
        assert_eq!(parse("date:2016..").expr, date(Some(Y2016), None));
        assert_eq!(parse("date:..2016-02").expr, date(None, Some(MAR_2016)));
        assert_eq!(
            parse("date:2016.02..2016.02").expr,
            date(Some(MAR_2016 - 29 * 86400), Some(MAR_2016))
        );
        for bad in [
            "date:..",
            "after:x",
            "before:2016-13",
            "date:2016..x",
            "date:x..2016",
        ] {
            let p = parse(bad);
            assert!(p.is_empty(), "{bad}");
            assert_eq!(p.notes.len(), 1, "{bad}: {:?}", p.notes);
            assert_eq!(p.notes[0].key, "note-bad-date", "{bad}");
        }
        let p = parse("has:pdf x");
        assert_eq!(p.expr, text("x", false));
        assert_eq!(
            p.notes,
            vec![Note::new("note-unknown-has", &[("what", "pdf".into())])]
        );
    }

    #[test]
    fn limits_are_exact() {
        // Up to MAX_LEAVES terms are kept, in order; the rest are dropped with a note.
        let q: Vec<String> = (0..MAX_LEAVES + 3).map(|i| format!("w{i}")).collect();
        let p = parse(&q.join(" "));
        let Expr::And(kept) = &p.expr else {
            panic!("{:?}", p.expr)
        };
        assert_eq!(kept.len(), MAX_LEAVES);
        assert_eq!(
            kept[MAX_LEAVES - 1],
            text(&format!("w{}", MAX_LEAVES - 1), false)
        );
        assert_eq!(p.notes.len(), 1);
        let q: Vec<String> = (0..MAX_LEAVES).map(|i| format!("w{i}")).collect();
        assert!(parse(&q.join(" ")).notes.is_empty(), "exactly the limit");

        // The first MAX_QUERY_BYTES bytes are read, cut on a character boundary.
        let long = format!("{}é tail", "a".repeat(MAX_QUERY_BYTES - 1));
        let p = parse(&long);
        assert_eq!(p.expr, text(&"a".repeat(MAX_QUERY_BYTES - 1), false));
        assert_eq!(p.notes.len(), 1);
        assert!(parse(&"a".repeat(MAX_QUERY_BYTES)).notes.is_empty());

        // Groups nest MAX_DEPTH deep; a deeper group is read as if it had no brackets,
        // not recursed into.
        let nested = |d: usize| format!("{}x (a OR b){}", "(".repeat(d), ")".repeat(d));
        let grouped = Expr::And(vec![
            text("x", false),
            Expr::Or(vec![text("a", false), text("b", false)]),
        ]);
        let flat = Expr::Or(vec![
            Expr::And(vec![text("x", false), text("a", false)]),
            text("b", false),
        ]);
        assert_eq!(parse(&nested(MAX_DEPTH - 1)).expr, grouped);
        assert_eq!(parse(&nested(MAX_DEPTH)).expr, flat);
    }
}
