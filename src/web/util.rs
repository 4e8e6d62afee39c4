//! Small helpers shared by pages and templates: escaping, URL segments, dates, addresses.

use std::fmt::Write as _;

use chrono::{Datelike, FixedOffset};

pub fn fmt_date(t: &Option<i64>) -> String {
    t.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "(no date)".into())
}

pub fn fmt_day(t: &Option<i64>) -> String {
    t.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "—".into())
}

/// The date as the sender's clock showed it (`+0200`).
pub fn fmt_local(t: &Option<i64>, offset_minutes: i64) -> String {
    let Some(d) = t.and_then(|t| chrono::DateTime::from_timestamp(t, 0)) else {
        return String::new();
    };
    let Some(tz) = FixedOffset::east_opt((offset_minutes * 60) as i32) else {
        return String::new();
    };
    d.with_timezone(&tz)
        .format("%a, %d %b %Y %H:%M %z")
        .to_string()
}

/// RFC 3339 for Atom and `<time datetime>`.
pub fn rfc3339(t: &Option<i64>) -> String {
    t.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

/// `jane@example.org` -> `jane at example.org`, as pipermail showed addresses.
pub fn obfuscate(addr: &str) -> String {
    addr.replace('@', " at ")
}

/// A sender for listings: the name, or the obfuscated address when there is none.
pub fn sender(name: &str, addr: &str) -> String {
    if name.is_empty() {
        obfuscate(addr)
    } else {
        name.to_string()
    }
}

pub use crate::domain::escape::{enc, enc_query, esc};
pub use crate::domain::month::{MONTH_NAMES as MONTHS, month_name, month_step};

/// YYYYMM -> "/list/2008/04/".
pub fn month_url(list: &str, m: i64) -> String {
    format!("/{}/{:04}/{:02}/", enc(list), m / 100, m % 100)
}

/// Current year, for "this year" summaries.
pub fn this_year() -> i64 {
    chrono::Utc::now().year() as i64
}

/// How deep thread outlines nest. Reply chains can be thousands deep (and a forged
/// `References:` header makes them so); past this depth rows are shown flat at this depth,
/// which keeps pages small and readable and browsers' layout shallow.
pub const MAX_NESTING: usize = 30;

/// Renders a pre-order list of (depth, html) rows as nested `<ul>` lists, at most
/// [`MAX_NESTING`] deep. Each row's HTML must already be escaped.
pub fn nested_list(rows: &[(usize, String)], class: &str) -> String {
    let mut out = String::new();
    let mut depth: isize = -1;
    for (d, html) in rows {
        let d = (*d).min(MAX_NESTING) as isize;
        if d > depth {
            for i in depth..d {
                if i == -1 {
                    let _ = write!(out, "<ul class=\"{class}\">");
                } else {
                    out.push_str("<ul>");
                }
                if i + 1 < d {
                    out.push_str("<li class=\"gap\">");
                }
            }
            out.push_str("<li>");
        } else {
            out.push_str("</li>");
            for _ in d..depth {
                out.push_str("</ul></li>");
            }
            out.push_str("<li>");
        }
        out.push_str(html);
        depth = d;
    }
    if depth >= 0 {
        out.push_str("</li>");
        for _ in 0..depth {
            out.push_str("</ul></li>");
        }
        out.push_str("</ul>");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_in_one_segment() {
        for k in ["a/b%c+d#e?f g@h", "ünïcødé@例え.jp", "x@y"] {
            let e = enc(k);
            assert!(!e.contains('/') && !e.contains('?') && !e.contains('#') && !e.contains(' '));
            let back = percent_encoding::percent_decode_str(&e)
                .decode_utf8()
                .unwrap();
            assert_eq!(back, k);
        }
    }

    #[test]
    fn nested_lists_balance() {
        let rows = vec![
            (0, "a".into()),
            (1, "b".into()),
            (2, "c".into()),
            (0, "d".into()),
        ];
        let html = nested_list(&rows, "t");
        assert_eq!(html.matches("<ul").count(), html.matches("</ul>").count());
        assert_eq!(html.matches("<li").count(), html.matches("</li>").count());
        // A chain 10,000 deep nests only MAX_NESTING levels.
        let deep: Vec<(usize, String)> = (0..10_000).map(|d| (d, "x".to_string())).collect();
        let html = nested_list(&deep, "t");
        assert_eq!(html.matches("<ul").count(), MAX_NESTING + 1);
        assert_eq!(html.matches("<ul").count(), html.matches("</ul>").count());
        assert_eq!(html.matches("<li").count(), html.matches("</li>").count());
    }
}
