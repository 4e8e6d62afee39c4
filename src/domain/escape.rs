//! The two escapings every page needs: text into HTML, and a message key into one URL path
//! segment. Every stage that writes a page or a link uses these, so they live below all of
//! them.

/// Message keys are percent-encoded as one path segment so that `/`, `%`, `+`, `#`, `?`,
/// spaces and non-ASCII survive the round trip.
pub fn enc(key: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'@')
        .remove(b'$')
        .remove(b'!')
        .remove(b'=');
    percent_encoding::utf8_percent_encode(key, SET).to_string()
}

/// Percent-encoding for a query-string value (mailto fields).
pub fn enc_query(v: &str) -> String {
    percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC).to_string()
}

pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
