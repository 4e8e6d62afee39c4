//! URLs and addresses in text: links for the first, obfuscation for the second. Wrapped
//! URLs (Outlook SafeLinks, Proofpoint URL Defense) are shown and linked as their real
//! target, since the wrapper hides where a link goes and swamps the text.

use std::collections::HashSet;

use crate::domain::escape::{enc, esc};

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
                // The wrapper stays at hand for a reader who wants it (or to see that
                // the link was rewritten at all).
                let title = if real != raw {
                    format!(" title=\"{}\"", esc(raw))
                } else {
                    String::new()
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
        // Only the last `<` before a `>` can open an id: starting from it keeps a run of
        // `<` from hiding a reference, and each byte is looked at a bounded number of times.
        let open = rest[i + 1..i + j].rfind('<').map_or(i, |k| i + 1 + k);
        let id = &rest[open + 1..i + j];
        if looks_like_id(id) && known.contains(id) {
            out.push_str(&addresses(&rest[..open], obfuscate));
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

/// Where the earliest scheme at or after `from` starts, and its length. One pass over the
/// bytes: searching for each scheme separately would rescan the rest of the line for the
/// schemes that are not there, once per URL.
fn find_scheme(s: &[u8], from: usize) -> Option<(usize, usize)> {
    (from..s.len()).find_map(|i| {
        if !matches!(s[i], b'h' | b'H' | b'f' | b'F') {
            return None;
        }
        SCHEMES
            .iter()
            .find(|p| {
                s.len() - i >= p.len() && s[i..i + p.len()].eq_ignore_ascii_case(p.as_bytes())
            })
            .map(|p| (i, p.len()))
    })
}

/// Start and length of the next URL in `s`.
///
/// A single left-to-right pass: a line of bare schemes or of URLs followed by piles of
/// punctuation costs time in proportion to its length, and nothing recurses.
fn next_url(s: &str) -> Option<(usize, usize)> {
    let mut from = 0;
    loop {
        let (start, scheme_len) = find_scheme(s.as_bytes(), from)?;
        let tail = &s[start..];
        let token = tail
            .char_indices()
            .find(|(_, c)| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | '`'))
            .map_or(tail.len(), |(i, _)| i);
        let end = url_end(&tail[..token]);
        if end > scheme_len {
            return Some((start, end));
        }
        // A bare scheme: look again after it. Everything up to the end of its token is
        // punctuation, so the next search passes over it once.
        from = start + scheme_len;
    }
}

/// Where a URL token ends once trailing punctuation is given back to the sentence: a
/// closing bracket belongs to the URL only when the URL opened one. The brackets are
/// counted once and the counts follow the characters dropped, so a URL followed by
/// thousands of `)` costs no more than reading them.
fn url_end(token: &str) -> usize {
    let (mut open_paren, mut close_paren, mut open_bracket, mut close_bracket) = (0, 0, 0, 0);
    for b in token.bytes() {
        match b {
            b'(' => open_paren += 1,
            b')' => close_paren += 1,
            b'[' => open_bracket += 1,
            b']' => close_bracket += 1,
            _ => {}
        }
    }
    let mut end = token.len();
    while let Some(c) = token[..end].chars().next_back() {
        let drop = match c {
            '.' | ',' | ';' | ':' | '!' | '?' => true,
            ')' => open_paren < close_paren,
            ']' => open_bracket < close_bracket,
            _ => false,
        };
        if !drop {
            break;
        }
        match c {
            ')' => close_paren -= 1,
            ']' => close_bracket -= 1,
            _ => {}
        }
        end -= c.len_utf8();
    }
    end
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
    if (host == "www.google.com" || host == "google.com")
        && lower
            .split("://")
            .nth(1)
            .is_some_and(|r| r.contains("/url?"))
        && let Some(v) = query_param(url, "q").or_else(|| query_param(url, "url"))
        && safe_http_url(&v).is_some()
    {
        return v;
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
pub(super) fn addresses(s: &str, obfuscate: bool) -> String {
    if !obfuscate || !s.contains('@') {
        return esc(s);
    }
    obfuscated_with(s, esc)
}

/// Plain text with its addresses written as pages show them (`user at host.tld`), for
/// readers of the text itself (the JSON API), who must not get what the page hides.
pub fn obfuscated_text(s: &str) -> String {
    if !s.contains('@') {
        return s.to_string();
    }
    obfuscated_with(s, |t| t.to_string())
}

/// `s` with each address's `@` written ` at `, the text between passed through `esc`.
fn obfuscated_with(s: &str, esc: impl Fn(&str) -> String) -> String {
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
    use crate::test_util::on_small_stack;

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
        // The wrapper is only in the title.
        assert_eq!(h.matches("safelinks").count(), 1, "{h}");
        assert!(h.contains(&format!("title=\"{}\"", esc(s))), "{h}");
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

    /// `next_url` as it was before it became a single pass (recursive, quadratic), kept as
    /// the reference for what it finds.
    fn next_url_reference(s: &str) -> Option<(usize, usize)> {
        let lower = s.to_ascii_lowercase();
        let start = SCHEMES.iter().filter_map(|p| lower.find(p)).min()?;
        let tail = &s[start..];
        let mut end = tail
            .char_indices()
            .find(|(_, c)| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | '`'))
            .map_or(tail.len(), |(i, _)| i);
        while end > 0 {
            let c = tail[..end].chars().next_back().unwrap_or(' ');
            let count = |x: char| tail[..end].matches(x).count();
            let drop = match c {
                '.' | ',' | ';' | ':' | '!' | '?' => true,
                ')' => count('(') < count(')'),
                ']' => count('[') < count(']'),
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
            return next_url_reference(&s[start + scheme_len.max(1)..])
                .map(|(a, l)| (a + start + scheme_len.max(1), l));
        }
        Some((start, end))
    }

    /// Deterministic pseudo-random lines made of the pieces URL scanning cares about.
    fn lines(count: usize) -> Vec<String> {
        const PIECES: [&str; 24] = [
            "http://", "HTTPS://", "ftp://", "hTtP://", "a", "b.c", ".", ",", ";", ":", "!", "?",
            "(", ")", "[", "]", " ", "‹", "例", "。", "<", "\"", "`", "é)",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        (0..count)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let len = (seed % 24) as usize;
                (0..len)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        PIECES[(seed % PIECES.len() as u64) as usize]
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn single_pass_finds_what_the_recursive_scan_found() {
        for line in lines(20_000) {
            let mut rest = line.as_str();
            loop {
                let (new, old) = (next_url(rest), next_url_reference(rest));
                assert_eq!(new, old, "{rest:?}");
                let Some((start, len)) = new else { break };
                rest = &rest[start + len..];
            }
        }
    }

    #[test]
    fn a_line_of_bare_schemes_does_not_recurse() {
        let line = "http:// ".repeat(12_000);
        let h = on_small_stack(move || linkify(&line, true, None));
        assert_eq!(h, "http:// ".repeat(12_000));
        let line = "http://".repeat(12_000) + ")))";
        let h = on_small_stack(move || linkify(&line, true, None));
        assert_eq!(h.matches("<a href").count(), 1);
    }

    #[test]
    fn a_line_of_many_urls() {
        let line: String = (0..20_000).map(|i| format!("http://e.org/{i} ")).collect();
        let h = linkify(&line, true, None);
        assert_eq!(h.matches("<a href=\"http://e.org/").count(), 20_000);
        assert!(h.contains("<a href=\"http://e.org/19999\""));
    }

    #[test]
    fn a_url_followed_by_many_closing_brackets() {
        let line = format!("http://a{}", ")".repeat(50_000));
        let h = linkify(&line, true, None);
        assert!(
            h.starts_with("<a href=\"http://a\" rel=\"nofollow noopener ugc\">http://a</a>)))"),
            "{}",
            &h[..200]
        );
        assert_eq!(h.matches(')').count(), 50_000);
        let line = format!("see http://a/(x){}", "]".repeat(50_000));
        let h = linkify(&line, true, None);
        assert!(h.contains("<a href=\"http://a/(x)\""), "{}", &h[..200]);
        let line = format!("see http://a/[y]{}", ")".repeat(50_000));
        let h = linkify(&line, true, None);
        assert!(h.contains("<a href=\"http://a/[y]\""), "{}", &h[..200]);
    }

    #[test]
    fn multibyte_text_around_urls_and_brackets() {
        let h = linkify(
            "(見て http://a‹›) と https://例え.jp/パス。次), [ftp://x/ü]",
            true,
            None,
        );
        assert!(h.contains("<a href=\"http://a‹›\""), "{h}");
        assert!(h.contains("<a href=\"https://例え.jp/パス。次\""), "{h}");
        assert!(h.contains("<a href=\"ftp://x/ü\""), "{h}");
        assert!(h.ends_with("</a>]"), "{h}");
        for line in [
            "http://‹",
            "‹http://)",
            "http://a。)",
            "éhttp://",
            "http://例)。",
        ] {
            let _ = linkify(line, true, None);
        }
    }

    #[test]
    fn runs_of_angle_brackets_and_at_signs() {
        let known: HashSet<String> = ["a1@x.org".to_string()].into_iter().collect();
        let line = format!("{}a1@x.org>", "<".repeat(100_000));
        let h = linkify(&line, true, Some(&known));
        assert!(h.ends_with("<a href=\"/r/a1@x.org\">&lt;a1@x.org&gt;</a>"));
        assert_eq!(h.matches("&lt;").count(), 100_000);
        let line = "<x> ".repeat(50_000);
        assert_eq!(linkify(&line, true, Some(&known)).len(), 50_000 * 10);
        let line = "a@b.c@".repeat(50_000);
        let h = addresses(&line, true);
        assert_eq!(h.matches(" at ").count(), 50_000);
        let h = addresses(&"@".repeat(100_000), true);
        assert_eq!(h.len(), 100_000);
    }

    #[test]
    fn plain_text_hides_addresses_as_pages_do() {
        assert_eq!(
            obfuscated_text("mail jane@example.org <b>, not a@b"),
            "mail jane at example.org <b>, not a@b"
        );
        assert_eq!(obfuscated_text("no address"), "no address");
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
