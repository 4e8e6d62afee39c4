//! Excerpts of a hit: the stretch of subject and body where the query matched, with the
//! matched ranges marked (the renderer turns them into markup).

use std::ops::Range;

use tantivy::schema::Field;
use tantivy::snippet::{SnippetGenerator, collapse_overlapped_ranges};

use super::schema::split_body;
use super::{Found, Search};

impl Found {
    /// Excerpts of a hit's subject and body for this query, with what matched.
    pub fn highlighter(&self, idx: &Search) -> Highlighter {
        let make = |field: Field| {
            SnippetGenerator::create(&self.searcher, &*self.query, field)
                .ok()
                .map(|mut g| {
                    g.set_max_num_chars(240);
                    g
                })
        };
        let mut needles = Vec::new();
        let f = idx.f;
        self.query.query_terms(&mut |term, _| {
            if [f.body, f.body_x, f.quoted].contains(&term.field())
                && let Some(t) = term.value().as_str()
            {
                needles.push(t.as_bytes().to_vec());
            }
        });
        Highlighter {
            subject: [make(idx.f.subject), make(idx.f.subject_x)],
            body: [make(idx.f.body), make(idx.f.body_x), make(idx.f.quoted)],
            needles,
        }
    }
}

pub struct Highlighter {
    subject: [Option<SnippetGenerator>; 2],
    body: [Option<SnippetGenerator>; 3],
    /// The query's body terms, for finding where in a long text to excerpt from.
    needles: Vec<Vec<u8>>,
}

/// A stretch of text and the parts of it a query matched, for a page to mark: the page
/// decides how text is shown, so an excerpt carries no markup.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Excerpt {
    pub text: String,
    /// Byte ranges of `text`, in order and apart.
    pub marks: Vec<Range<usize>>,
}

impl Highlighter {
    pub fn subject(&self, subject: &str) -> Option<Excerpt> {
        best(&self.subject, subject)
    }

    /// The best excerpt of the author's own text, else of the quoted text, else its start.
    pub fn body(&self, body: &str) -> Excerpt {
        let (own, quoted) = split_body(cut(body, 256 * 1024));
        if let Some(s) = best(&self.body[..2], self.window(&own)) {
            return s;
        }
        if let Some(s) = best(&self.body[2..], self.window(&quoted)) {
            return s;
        }
        let start: String = cut(&own, 2_000)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        Excerpt {
            text: start.chars().take(240).collect(),
            marks: Vec::new(),
        }
    }
}

impl Highlighter {
    /// A stretch of `text` around the first place a query term appears (compared
    /// ignoring ASCII case; stems are mostly prefixes of the words they match), so
    /// excerpting a long patch does not tokenize all of it.
    fn window<'a>(&self, text: &'a str) -> &'a str {
        const BEFORE: usize = 400;
        const SIZE: usize = 2_000;
        let hay = text.as_bytes();
        let first = self
            .needles
            .iter()
            .filter(|n| !n.is_empty())
            .filter_map(|n| hay.windows(n.len()).position(|w| w.eq_ignore_ascii_case(n)))
            .min();
        let Some(at) = first else {
            return cut(text, SIZE);
        };
        let mut start = at.saturating_sub(BEFORE);
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        cut(&text[start..], SIZE)
    }
}

fn best(gens: &[Option<SnippetGenerator>], text: &str) -> Option<Excerpt> {
    gens.iter().flatten().find_map(|g| {
        let s = g.snippet(text);
        if s.highlighted().is_empty() {
            return None;
        }
        Some(Excerpt {
            text: s.fragment().to_string(),
            marks: collapse_overlapped_ranges(s.highlighted()),
        })
    })
}

fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut i = max;
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    &s[..i]
}
