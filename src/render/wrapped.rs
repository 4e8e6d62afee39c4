//! URLs that the sender's mail client broke across lines, joined back before linking.
//!
//! A client that hard-wraps at 72 or 76 columns cuts a long URL wherever the column falls,
//! quote prefix included, and the archive would otherwise link the first piece only (a
//! link to `https://intgo`) and show the rest as loose text. A wrong join is worse than
//! none (it glues a word of prose onto a link), so a join needs evidence that only a
//! broken URL leaves:
//!
//! - a known redirect wrapper (Outlook SafeLinks, Proofpoint URL Defense, Mimecast, Google)
//!   whose own URL is not complete yet: these end in a recognisable last parameter, and
//!   the pieces are joined until it appears (and not at all if it never does);
//! - a URL opened by `<` and not closed on its line: RFC 3986 (appendix C) has readers
//!   ignore the whitespace up to the closing `>`;
//! - a plain URL cut at the wrap column in the middle of a percent-escape or right after
//!   `?`, `&` or `=`, with the next line going on in a way only a URL would.
//!
//! Continuation lines must be at the same quote depth and start without a space (the
//! `<…>` form excepted); their quote prefix is dropped. Text that followed the URL on its
//! last line is kept, on a line of its own when a space separated it.
//!
//! Each line is looked at from a bounded number of starting lines ([`MAX_LINES`]) and a
//! bounded number of its bytes ([`MAX_URL_BYTES`]), so the pass is linear in the body.

use std::borrow::Cow;

/// A URL is joined over at most this many lines after its first.
const MAX_LINES: usize = 24;

/// A joined URL is at most this long; SafeLinks URLs, the longest wrappers, stay under
/// 2 KiB.
const MAX_URL_BYTES: usize = 8 * 1024;

/// The lines of a text with wrapped URLs joined onto the line they start on.
pub(super) fn join_wrapped_urls<'a>(lines: &[&'a str]) -> Vec<Cow<'a, str>> {
    let mut out = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        match try_join(lines, i) {
            Some(j) => {
                out.push(Cow::Owned(j.line));
                if let Some(rest) = j.rest {
                    out.push(Cow::Owned(rest));
                }
                i = j.next;
            }
            None => {
                out.push(Cow::Borrowed(lines[i]));
                i += 1;
            }
        }
    }
    out
}

struct Joined {
    /// The first line with the whole URL on it.
    line: String,
    /// What followed the URL on its last line, after a space, with that line's prefix.
    rest: Option<String>,
    /// The first line not consumed.
    next: usize,
}

/// The quote prefix of a line (each `>` with at most one space after it), its depth and
/// the text after it. Stricter than the renderer's quote depth on purpose: a continuation
/// indented past its prefix is not a URL continuing.
pub(super) fn split_prefix(line: &str) -> (usize, &str, &str) {
    let b = line.as_bytes();
    let (mut i, mut depth) = (0, 0);
    while i < b.len() && b[i] == b'>' {
        depth += 1;
        i += 1;
        if i < b.len() && b[i] == b' ' {
            i += 1;
        }
    }
    (depth, &line[..i], &line[i..])
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Angle,
    Wrapper(Wrapper),
    Plain,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Wrapper {
    SafeLinks,
    ProofpointV2,
    ProofpointV3,
    Mimecast,
    Google,
}

/// Characters a URL piece may hold (RFC 3986's unreserved, reserved and `%`); anything
/// else means the line goes on with text.
fn url_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&'()*+,;=%".contains(c)
}

fn host_of(url: &str) -> Option<&str> {
    let after = &url[url.find("://")? + 3..];
    let end = after.find(['/', '?', '#']);
    // A host that runs to the end of the line may itself be cut.
    end.map(|e| &after[..e])
}

fn wrapper_of(url: &str) -> Option<Wrapper> {
    let host = host_of(url)?.to_ascii_lowercase();
    let path = &url[url.find("://")? + 3 + host.len()..];
    if host.ends_with(".safelinks.protection.outlook.com") {
        Some(Wrapper::SafeLinks)
    } else if host == "urldefense.proofpoint.com" && path.starts_with("/v2/") {
        Some(Wrapper::ProofpointV2)
    } else if host == "urldefense.com" && path.starts_with("/v3/__") {
        Some(Wrapper::ProofpointV3)
    } else if host.ends_with(".mimecast.com") && path.starts_with("/s/") {
        Some(Wrapper::Mimecast)
    } else if (host == "www.google.com" || host == "google.com") && path.starts_with("/url?") {
        Some(Wrapper::Google)
    } else {
        None
    }
}

/// The value of the last `name=` parameter of a query, if any.
fn param<'u>(url: &'u str, name: &str) -> Option<&'u str> {
    let q = &url[url.find('?')? + 1..];
    q.split('&')
        .filter_map(|p| p.split_once('='))
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .next_back()
}

/// Whether a wrapper's URL has its last part: the wrappers add a parameter of known
/// shape at the end of every URL they write.
fn complete(w: Wrapper, url: &str) -> bool {
    match w {
        // `…&sdata=…&reserved=0`
        Wrapper::SafeLinks => param(url, "reserved")
            .is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit())),
        // `…&s=…&e=`, the empty `e` last.
        Wrapper::ProofpointV2 => url.ends_with("&e="),
        // `__https://target__;!!token$`
        Wrapper::ProofpointV3 => url.contains("__;") && url.ends_with('$'),
        // `/s/ID?domain=host.tld`
        Wrapper::Mimecast => {
            param(url, "domain").is_some_and(|v| v.contains('.') && !v.ends_with('.'))
        }
        // `…&usg=` and a signature of 28 or more characters.
        Wrapper::Google => param(url, "usg").is_some_and(|v| v.len() >= 28),
    }
}

/// A plain URL cut where only a URL could go on: inside a percent-escape (returns how many
/// hex digits must follow) or right after `?`, `&` or `=`.
#[derive(Clone, Copy)]
enum Cut {
    Escape(usize),
    Query(u8),
}

fn plain_cut(url: &str) -> Option<Cut> {
    let b = url.as_bytes();
    let n = b.len();
    if n >= 1 && b[n - 1] == b'%' {
        return Some(Cut::Escape(2));
    }
    if n >= 2 && b[n - 2] == b'%' && b[n - 1].is_ascii_hexdigit() {
        return Some(Cut::Escape(1));
    }
    match b.last() {
        Some(&c @ (b'?' | b'&' | b'=')) if url.contains('?') => Some(Cut::Query(c)),
        _ => None,
    }
}

/// Whether `piece` is how a URL cut at `cut` goes on.
fn continues(cut: Cut, piece: &str) -> bool {
    match cut {
        Cut::Escape(k) => {
            piece.len() >= k && piece.as_bytes()[..k].iter().all(u8::is_ascii_hexdigit)
        }
        // A new parameter: `name=value`.
        Cut::Query(b'?' | b'&') => piece.contains('=') && !piece.starts_with('='),
        // A value: encoded, or the next parameter after it.
        Cut::Query(_) => piece.contains(['%', '&']),
    }
}

/// Wrap columns of the clients that hard-wrap; a plain URL is joined only when its line
/// ends near one of them.
fn at_wrap_column(line: &str) -> bool {
    (60..=80).contains(&line.chars().count())
}

/// A URL at the end of a line that may go on on the next lines.
struct Opening<'a> {
    depth: usize,
    /// The line up to the end of the URL.
    head: &'a str,
    url: &'a str,
    kind: Kind,
    cut: Option<Cut>,
}

/// The URL a line ends with, if it can be the first piece of a wrapped one.
fn opening(line: &str) -> Option<Opening<'_>> {
    if line.len() > MAX_URL_BYTES {
        return None;
    }
    let (depth, _, content) = split_prefix(line);
    let trimmed = content.trim_end();
    let token_start = trimmed
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace())
        .map_or(0, |(p, c)| p + c.len_utf8());
    let token = &trimmed[token_start..];
    let scheme = find_scheme(token)?;
    let url = &token[scheme..];
    if url.len() <= url.find("://")? + 3 || !url.chars().all(url_char) {
        return None;
    }
    let kind = if token[..scheme].ends_with('<') {
        Kind::Angle
    } else if let Some(w) = wrapper_of(url) {
        if complete(w, url) {
            return None;
        }
        Kind::Wrapper(w)
    } else {
        Kind::Plain
    };
    if kind == Kind::Angle && url.contains('>') {
        return None;
    }
    let cut = match kind {
        Kind::Plain if at_wrap_column(line) => Some(plain_cut(url)?),
        Kind::Plain => return None,
        _ => None,
    };
    Some(Opening {
        depth,
        head: &line[..line.len() - content.len() + token_start + token.len()],
        url,
        kind,
        cut,
    })
}

fn try_join(lines: &[&str], i: usize) -> Option<Joined> {
    let Opening {
        depth,
        head,
        url,
        kind,
        mut cut,
    } = opening(lines[i])?;
    let mut joined = String::from(head);
    let first_len = joined.len();
    for (k, &next) in lines.iter().enumerate().skip(i + 1).take(MAX_LINES) {
        let (d, prefix, c) = split_prefix(next);
        if d != depth {
            return None;
        }
        let c = if kind == Kind::Angle {
            c.trim_start()
        } else {
            c
        };
        let end = c
            .char_indices()
            .find(|&(p, ch)| {
                p > MAX_URL_BYTES || ch.is_whitespace() || (kind == Kind::Angle && ch == '>')
            })
            .map_or(c.len(), |(p, _)| p);
        if end > MAX_URL_BYTES {
            return None;
        }
        let piece = &c[..end];
        if piece.is_empty() || !piece.chars().all(url_char) {
            return None;
        }
        if joined.len() - first_len + piece.len() > MAX_URL_BYTES {
            return None;
        }
        let after = &c[end..];
        let whole_line = after.trim_end().is_empty();
        let done = match kind {
            Kind::Angle => {
                if let Some(tail) = after.strip_prefix('>') {
                    // The closing bracket ends the URL; what follows it stays beside it.
                    joined.push_str(piece);
                    joined.push('>');
                    joined.push_str(tail.trim_end());
                    return Some(Joined {
                        line: joined,
                        rest: None,
                        next: k + 1,
                    });
                }
                false
            }
            Kind::Wrapper(w) => {
                joined.push_str(piece);
                complete(w, &joined[first_len - url.len()..])
            }
            Kind::Plain => {
                let c0 = cut?;
                if !continues(c0, piece) {
                    return None;
                }
                joined.push_str(piece);
                let url_now = &joined[first_len - url.len()..];
                cut = plain_cut(url_now).filter(|_| whole_line && at_wrap_column(next));
                cut.is_none()
            }
        };
        if done {
            return Some(finish(joined, prefix, after, k));
        }
        if !whole_line {
            return None;
        }
    }
    None
}

/// The joined line, and what followed the URL on line `k`.
fn finish(mut joined: String, prefix: &str, tail: &str, k: usize) -> Joined {
    let rest_text = tail.trim();
    let mut rest = None;
    if !rest_text.is_empty() {
        if tail.starts_with(char::is_whitespace) {
            rest = Some(format!("{prefix}{rest_text}"));
        } else {
            joined.push_str(tail.trim_end());
        }
    }
    Joined {
        line: joined,
        rest,
        next: k + 1,
    }
}

/// Byte offset of the first `http://`, `https://` or `ftp://` in a token.
fn find_scheme(token: &str) -> Option<usize> {
    let lower = token.get(..token.len().min(MAX_URL_BYTES))?;
    ["https://", "http://", "ftp://"]
        .iter()
        .filter_map(|s| {
            lower
                .as_bytes()
                .windows(s.len())
                .position(|w| w.eq_ignore_ascii_case(s.as_bytes()))
        })
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn join(text: &str) -> Vec<String> {
        let lines: Vec<&str> = text.lines().collect();
        join_wrapped_urls(&lines)
            .into_iter()
            .map(|c| c.into_owned())
            .collect()
    }

    fn unchanged(text: &str) {
        assert_eq!(join(text), text.lines().collect::<Vec<_>>(), "{text}");
    }

    #[test]
    fn safelinks_in_a_quote() {
        let t = "> -              Join online:\n> https://na01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fintgo\n> vforum.webex.com%2Fj.php%3FMTID%3Dmb3f9&data=02%7C01%7Cb%40m.com%7Ceaf\n> 0%7C0%7C6367&sdata=8oWVBXw0HSZZ%3D&reserved=0\n> Next line\n";
        let j = join(t);
        assert_eq!(j.len(), 3, "{j:?}");
        assert_eq!(
            j[1],
            "> https://na01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fintgovforum.webex.com%2Fj.php%3FMTID%3Dmb3f9&data=02%7C01%7Cb%40m.com%7Ceaf0%7C0%7C6367&sdata=8oWVBXw0HSZZ%3D&reserved=0"
        );
        assert_eq!(j[2], "> Next line");
    }

    #[test]
    fn text_after_the_url_stays() {
        let t = "> https://na01.safelinks.protection.outlook.com/?url=http%3A%2F%2Fintgov\n> forum.org&data=0&reserved=0 ____________\n> List mailing list\n";
        let j = join(t);
        assert_eq!(
            j,
            [
                "> https://na01.safelinks.protection.outlook.com/?url=http%3A%2F%2Fintgovforum.org&data=0&reserved=0",
                "> ____________",
                "> List mailing list"
            ]
        );
    }

    #[test]
    fn a_wrapper_that_never_completes_is_left_alone() {
        unchanged(
            "https://na01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fintgo\nvforum.webex.com%2F\nand then prose\n",
        );
        unchanged(
            "https://na01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fintgo\n\nvforum&reserved=0\n",
        );
        // Another quote depth is another message's text.
        unchanged(
            "> https://na01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fintgo\n>> vforum&reserved=0\n",
        );
    }

    #[test]
    fn proofpoint_mimecast_google() {
        let j = join(
            "See https://urldefense.proofpoint.com/v2/url?u=https-3A__example.com_pa\nth&d=DwMF&c=x&r=y&m=z&s=w&e= now\n",
        );
        assert_eq!(
            j,
            [
                "See https://urldefense.proofpoint.com/v2/url?u=https-3A__example.com_path&d=DwMF&c=x&r=y&m=z&s=w&e=",
                "now"
            ]
        );
        let j = join("https://urldefense.com/v3/__https://example.com/a\n/b__;!!ORG!tok$\n");
        assert_eq!(
            j,
            ["https://urldefense.com/v3/__https://example.com/a/b__;!!ORG!tok$"]
        );
        let j = join("https://protect-eu.mimecast.com/s/AbCdEfGh?dom\nain=example.com\n");
        assert_eq!(
            j,
            ["https://protect-eu.mimecast.com/s/AbCdEfGh?domain=example.com"]
        );
        let j = join(
            "https://www.google.com/url?q=https://example.org/x&sa=D&usg=AOvVaw\n1abcdefghijklmnopqrstuv\n",
        );
        assert_eq!(
            j,
            [
                "https://www.google.com/url?q=https://example.org/x&sa=D&usg=AOvVaw1abcdefghijklmnopqrstuv"
            ]
        );
    }

    #[test]
    fn angle_brackets_join_to_the_closing_bracket() {
        let j = join("Read <https://example.org/a/very/long/path/\n  that/goes/on.html> first.\n");
        assert_eq!(
            j,
            ["Read <https://example.org/a/very/long/path/that/goes/on.html> first."]
        );
        let j = join("> <http://example.org/a/\n> b/c>).\n");
        assert_eq!(j, ["> <http://example.org/a/b/c>)."]);
        // Prose before the `>`: not a URL going on.
        unchanged("See <http://example.org/a\nand the rest> of it\n");
        unchanged("<http://example.org/a\n\nb>\n");
        // Never closed within the limit.
        let mut t = String::from("<http://example.org/a\n");
        t.push_str(&"b\n".repeat(30));
        t.push_str("c>\n");
        unchanged(&t);
    }

    #[test]
    fn plain_urls_only_on_strong_evidence() {
        let line = format!(
            "{}http://example.org/search?q=caf%C3%A9%20au%",
            "x ".repeat(10)
        );
        assert!(at_wrap_column(&line));
        let j = join(&format!("{line}\n20lait&lang=fr\n"));
        assert_eq!(j, [format!("{line}20lait&lang=fr")]);
        // Cut after `&`, going on with a parameter.
        let line = format!("{}http://example.org/search?q=1&", "x ".repeat(16));
        assert_eq!(
            join(&format!("{line}\nlang=fr and more\n")),
            [format!("{line}lang=fr"), "and more".to_string()]
        );
        // Not at the wrap column.
        unchanged("see http://example.org/search?q=%\n20lait\n");
        // The next line is a word, not the rest of the query.
        unchanged(&format!(
            "{}http://example.org/search?q=\nfoo is what I typed\n",
            "x ".repeat(16)
        ));
        unchanged(&format!(
            "{}http://example.org/search?q=1&\nThanks\n",
            "x ".repeat(16)
        ));
        // A complete URL at the wrap column followed by prose.
        unchanged(&format!(
            "{}http://example.org/a/b/c.html\nwhich says\n",
            "x ".repeat(17)
        ));
        unchanged(&format!(
            "{}http://example.org/100%\nsure\n",
            "x ".repeat(20)
        ));
    }

    /// Ordinary mail: prose, code, patches, signatures and tables around URLs. None of it
    /// is a wrapped URL.
    #[test]
    fn no_join_where_none_is_due() {
        let cases = [
            "Hi all,\n\nsee http://example.org/ for the details; it is\nall there.\n",
            "The page is at https://example.org/wiki/Some_Page_Title_That_Is_Long_X\nand explains the rest of the design in some detail.\n",
            "Try https://example.org/search?q=\nand type your query.\n",
            "--- a/src/main.c\n+++ b/src/main.c\n@@ -1,3 +1,3 @@\n-  url = \"http://example.org/api?key=\";\n+  url = \"https://example.org/api?key=\";\n   return 0;\n",
            "    let u = \"https://example.org/q?a=\" +\n        key;\n",
            "-- \nJane Doe | https://example.org/~jane/?lang=\nen | +1 555 0100\n",
            "| site | url |\n| a | http://example.org/%\n| b | 2F |\n",
            "> Quoted text ending in a link https://example.org/path/to/a/page?\n> Next question is about the archive.\n",
            "Read <http://example.org/ok> and <mailto:x@example.org>.\n",
            "https://na01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fa.org&data=1&reserved=0\nwhich was complete\n",
        ];
        for t in cases {
            unchanged(t);
        }
    }

    /// Deterministic pseudo-random text of `words`, wrapped at 72 columns, each line
    /// behind `prefix`.
    fn wrapped_text(words: &[&str], prefix: &str, count: usize) -> String {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut text = String::new();
        let mut line = String::from(prefix);
        for _ in 0..count {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let w = words[(seed % words.len() as u64) as usize];
            if line.len() + w.len() + 1 > 72 {
                text.push_str(&line);
                text.push('\n');
                line = String::from(prefix);
            }
            if line.len() > prefix.len() {
                line.push(' ');
            }
            line.push_str(w);
        }
        text
    }

    #[test]
    fn wrapped_prose_with_complete_urls_is_never_joined() {
        const WORDS: [&str; 14] = [
            "the",
            "archive",
            "http://example.org/a?b=1",
            "list",
            "https://e.org/%2F",
            "and",
            "<http://e.org/x>",
            "reserved=0",
            "café",
            "&",
            "=",
            "path/",
            "100%",
            "https://x.safelinks.protection.outlook.com/?url=a&data=1&reserved=0",
        ];
        for prefix in ["", "> ", "> > "] {
            unchanged(&wrapped_text(&WORDS, prefix, 20_000));
        }
    }

    #[test]
    fn wrapped_text_of_url_pieces_loses_nothing() {
        const WORDS: [&str; 16] = [
            "the",
            "archive",
            "http://example.org/a?b=",
            "list",
            "https://e.org/%",
            "%2F",
            "a=1",
            "and",
            "https://x.safelinks.protection.outlook.com/?url=a",
            "<http://e.org/",
            "x>",
            "reserved=0",
            "café",
            "&",
            "=",
            "path/",
        ];
        let text = wrapped_text(&WORDS, "> ", 20_000);
        let lines: Vec<&str> = text.lines().collect();
        let joined = join_wrapped_urls(&lines);
        assert!(joined.len() < lines.len(), "some pieces are joined");
        let strip = |l: &str| {
            split_prefix(l)
                .2
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
        };
        let a: String = lines.iter().map(|l| strip(l)).collect();
        let b: String = joined.iter().map(|l| strip(l)).collect();
        assert_eq!(a, b);
    }

    #[test]
    fn many_wrapped_looking_lines_are_linear() {
        let t = "> https://na01.safelinks.protection.outlook.com/?url=x%3A\n".repeat(100_000);
        let lines: Vec<&str> = t.lines().collect();
        let start = std::time::Instant::now();
        let j = join_wrapped_urls(&lines);
        assert_eq!(j.len(), 100_000);
        assert!(start.elapsed() < std::time::Duration::from_secs(20));
        let t = format!("<http://e.org/{}", "a\n".repeat(100_000));
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(join_wrapped_urls(&lines).len(), 100_000);
    }
}
