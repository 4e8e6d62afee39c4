//! Small helpers shared by pages and templates: dates, addresses, URL segments.

use chrono::Datelike;

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

pub use crate::domain::escape::{enc, enc_query};

/// Current year, for "this year" summaries.
pub fn this_year() -> i64 {
    chrono::Utc::now().year() as i64
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
}
