//! URLs and addresses in text: links for the first, obfuscation for the second. Wrapped
//! URLs (Outlook SafeLinks, Proofpoint URL Defense) are shown and linked as their real
//! target, since the wrapper hides where a link goes and swamps the text.

use std::collections::HashSet;

use crate::web::util::{enc, esc};

const SCHEMES: [&str; 3] = ["https://", "http://", "ftp://"];

/// Escaped HTML of a text line with URLs linked and addresses obfuscated (or kept).
pub fn linkify(line: &str, obfuscate: bool, known: Option<&HashSet<String>>) -> String {
    let mut out = String::with_capacity(line.len() + 16);
    let mut rest = line;
    while let Some((start, len)) = next_url(rest) {
        out.push_str(&text_part(&rest[..start], obfuscate, known));
        let raw = &rest[start..start + len];
        let real = unwrap_url(raw);
        match safe_http_url(&real) {
            Some(u) => {
                let title = if real != raw {
                    " title=\"link unwrapped from a tracking wrapper\""
                } else {
                    ""
                };
                out.push_str(&format!(
                    "<a href=\"{}\" rel=\"nofollow noopener ugc\"{title}>{}</a>",
                    esc(&u),
                    esc(&real)
                ));
            }
            None => out.push_str(&esc(raw)),
        }
        rest = &rest[start + len..];
    }
    out.push_str(&text_part(rest, obfuscate, known));
    out
}

/// Whether `<…>` content is shaped like a Message-ID (not a bare address or tag).
pub fn looks_like_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 300
        && s.contains('@')
        && !s.chars().any(|c| c.is_whitespace() || c == '<')
}

/// Text between URLs: `<id>` references to archived messages linked, the rest with
/// addresses obfuscated.
fn text_part(s: &str, obfuscate: bool, known: Option<&HashSet<String>>) -> String {
    let Some(known) = known.filter(|k| !k.is_empty()) else {
        return addresses(s, obfuscate);
    };
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('<') {
        let Some(j) = rest[i..].find('>') else { break };
        let id = &rest[i + 1..i + j];
        if looks_like_id(id) && known.contains(id) {
            out.push_str(&addresses(&rest[..i], obfuscate));
            out.push_str(&format!(
                "<a href=\"/r/{}\">&lt;{}&gt;</a>",
                enc(id),
                esc(id)
            ));
        } else {
            out.push_str(&addresses(&rest[..i + j + 1], obfuscate));
        }
        rest = &rest[i + j + 1..];
    }
    out.push_str(&addresses(rest, obfuscate));
    out
}

/// Start and length of the next URL in `s`.
fn next_url(s: &str) -> Option<(usize, usize)> {
    let lower = s.to_ascii_lowercase();
    let start = SCHEMES.iter().filter_map(|p| lower.find(p)).min()?;
    let tail = &s[start..];
    let mut end = tail
        .char_indices()
        .find(|(_, c)| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | '`'))
        .map_or(tail.len(), |(i, _)| i);
    // Trailing punctuation belongs to the sentence, a closing bracket to the URL only
    // when the URL opened one.
    while end > 0 {
        let c = tail[..end].chars().next_back().unwrap_or(' ');
        let opened =
            |o: char, cl: char| tail[..end].matches(o).count() >= tail[..end].matches(cl).count();
        let drop = match c {
            '.' | ',' | ';' | ':' | '!' | '?' => true,
            ')' => {
                !opened('(', ')')
                    || tail[..end].matches('(').count() < tail[..end].matches(')').count()
            }
            ']' => tail[..end].matches('[').count() < tail[..end].matches(']').count(),
            _ => false,
        };
        if !drop {
            break;
        }
        end -= c.len_utf8();
    }
    let scheme_len = SCHEMES
        .iter()
        .find(|p| tail.to_ascii_lowercase().starts_with(*p))
        .map_or(0, |p| p.len());
    if end <= scheme_len {
        // A bare scheme: skip past it.
        return next_url(&s[start + scheme_len.max(1)..])
            .map(|(a, l)| (a + start + scheme_len.max(1), l));
    }
    Some((start, end))
}

/// The URL a wrapper points at, or the URL itself.
pub fn unwrap_url(url: &str) -> String {
    let lower = url.to_ascii_lowercase();
    let host = lower
        .split("://")
        .nth(1)
        .and_then(|r| r.split(['/', '?']).next())
        .unwrap_or("");
    if host.ends_with("safelinks.protection.outlook.com")
        && let Some(v) = query_param(url, "url")
    {
        return v;
    }
    if host == "urldefense.com" {
        // v3: https://urldefense.com/v3/__https://example.com/path__;!!token
        if let Some(inner) = url
            .split("/v3/__")
            .nth(1)
            .and_then(|r| r.split("__;").next())
        {
            return inner.to_string();
        }
    }
    if host == "urldefense.proofpoint.com"
        && let Some(u) = query_param(url, "u")
    {
        // v2: u=https-3A__example.com_path  ("-XX" is a hex escape, "_" a slash)
        let mut out = String::new();
        let mut chars = u.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '_' => out.push('/'),
                '-' => {
                    let h: String = chars.by_ref().take(2).collect();
                    match u8::from_str_radix(&h, 16) {
                        Ok(b) => out.push(b as char),
                        Err(_) => {
                            out.push('-');
                            out.push_str(&h);
                        }
                    }
                }
                c => out.push(c),
            }
        }
        return out;
    }
    url.to_string()
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let q = url.split_once('?')?.1;
    for pair in q.split('&') {
        let (k, v) = pair.split_once('=')?;
        if k.eq_ignore_ascii_case(name) {
            let v = percent_encoding::percent_decode_str(v)
                .decode_utf8_lossy()
                .into_owned();
            return Some(v);
        }
    }
    None
}

/// The URL if it is http(s) or ftp and free of characters that could break out of an
/// attribute; `None` for anything else (javascript:, data:, …).
pub fn safe_http_url(url: &str) -> Option<String> {
    let lower = url.trim().to_ascii_lowercase();
    if !SCHEMES.iter().any(|s| lower.starts_with(s)) {
        return None;
    }
    if url
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || c == '"' || c == '<' || c == '>')
    {
        return None;
    }
    Some(url.trim().to_string())
}

/// Escaped text with `user@host.tld` shown as `user at host.tld` when obfuscating.
fn addresses(s: &str, obfuscate: bool) -> String {
    if !obfuscate || !s.contains('@') {
        return esc(s);
    }
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len() + 8);
    let mut last = 0;
    for (i, _) in s.match_indices('@') {
        let local_ok = i > 0 && is_local(bytes[i - 1]);
        let domain: &str = &s[i + 1..];
        let dlen = domain
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'.' || *b == b'-')
            .count();
        let dom = domain[..dlen].trim_end_matches('.');
        if local_ok && dom.contains('.') && i >= last {
            out.push_str(&esc(&s[last..i]));
            out.push_str(" at ");
            last = i + 1;
        }
    }
    out.push_str(&esc(&s[last..]));
    out
}

fn is_local(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_and_punctuation() {
        let h = linkify(
            "see https://example.org/a_(b). and (http://x.org/y), ok",
            true,
            None,
        );
        assert!(h.contains("<a href=\"https://example.org/a_(b)\""), "{h}");
        assert!(h.contains("<a href=\"http://x.org/y\""), "{h}");
        assert!(h.ends_with("), ok"));
    }

    #[test]
    fn wrappers_are_unwrapped() {
        let s = "https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fwww.igf.org%2Fmeeting%3Fa%3D1&data=05%7C01&reserved=0";
        assert_eq!(unwrap_url(s), "https://www.igf.org/meeting?a=1");
        assert_eq!(
            unwrap_url("https://urldefense.com/v3/__https://example.com/x__;!!abc$"),
            "https://example.com/x"
        );
        assert_eq!(
            unwrap_url("https://urldefense.proofpoint.com/v2/url?u=https-3A__example.com_path&d=x"),
            "https://example.com/path"
        );
        let h = linkify(s, true, None);
        assert!(
            h.contains("href=\"https://www.igf.org/meeting?a=1\""),
            "{h}"
        );
        assert!(!h.contains("safelinks"));
    }

    #[test]
    fn hostile_urls_are_not_links() {
        let h = linkify(
            "javascript:alert(1) data:text/html,<script> http://x.org/\"onmouseover=\"",
            true,
            None,
        );
        assert!(!h.contains("href=\"javascript"));
        assert!(!h.contains("<script"));
        assert!(!h.contains("\"onmouseover"));
        assert!(safe_http_url("https://safelinks/?url=javascript:alert(1)").is_some());
        assert_eq!(
            safe_http_url(&unwrap_url(
                "https://x.safelinks.protection.outlook.com/?url=javascript%3Aalert(1)"
            )),
            None
        );
    }

    #[test]
    fn archived_message_ids_are_linked() {
        let known: HashSet<String> = ["a1@x.org".to_string()].into_iter().collect();
        let h = linkify(
            "see <a1@x.org> and <b2@x.org>, by <jane@x.org>",
            true,
            Some(&known),
        );
        assert!(
            h.contains("<a href=\"/r/a1@x.org\">&lt;a1@x.org&gt;</a>"),
            "{h}"
        );
        assert!(h.contains("&lt;b2 at x.org&gt;"), "{h}");
    }

    #[test]
    fn addresses_are_obfuscated() {
        assert_eq!(
            addresses("mail jane.doe@example.org now", true),
            "mail jane.doe at example.org now"
        );
        assert_eq!(addresses("a @ b, x@localhost", true), "a @ b, x@localhost");
        assert_eq!(addresses("<j@e.org>", false), "&lt;j@e.org&gt;");
    }
}
