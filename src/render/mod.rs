//! Message body -> safe HTML for the message, thread and feed pages.
//!
//! Text is escaped first and structure is added around it as markup: quote levels, long
//! quotes folded behind `<details>`, the signature and Mailman's footer dimmed, pipermail's
//! "scrubbed attachment" stubs as cards, URLs linked (Outlook SafeLinks and Proofpoint
//! wrappers unwrapped to the real target), addresses obfuscated. HTML-only mail goes through
//! ammonia with a small allow-list: no script, handler, form, frame, image or non-http URL.

mod links;

pub use links::unwrap_url;

use crate::web::util::esc;

/// How a body is rendered.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// Show addresses as `jane at example.org`.
    pub obfuscate: bool,
    /// Message-IDs the archive holds: `<id>` references to them become links.
    pub known_ids: Option<&'a std::collections::HashSet<String>>,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            obfuscate: true,
            known_ids: None,
        }
    }
}

/// `<id@host>` references in a text, for the caller to look up (at most `limit`).
pub fn message_id_refs(text: &str, limit: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let Some(j) = rest.find('>') else { break };
        let cand = &rest[..j];
        if links::looks_like_id(cand) && !out.iter().any(|o: &String| o == cand) {
            out.push(cand.to_string());
            if out.len() >= limit {
                break;
            }
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
    /// 0 plain, 1 format=flowed, 2 format=flowed with DelSp=yes.
    pub flowed: i64,
}

/// Quoted blocks longer than this are folded.
const FOLD_LINES: usize = 12;

/// Renders a message body as an HTML fragment (block elements).
pub fn body(b: &Body<'_>, opts: Options<'_>) -> String {
    if b.text_from_html
        && let Some(html) = b.html
    {
        return format!("<div class=\"html-body\">{}</div>", sanitize_html(html));
    }
    let text = if b.flowed > 0 {
        reflow(b.text, b.flowed == 2)
    } else {
        b.text.to_string()
    };
    text_blocks(&text, opts)
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

fn quote_depth(line: &str) -> usize {
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
    let n = name.len();
    (line.len() >= n && line[..n].eq_ignore_ascii_case(name)).then(|| line[n..].trim().to_string())
}

fn is_footer_rule(line: &str) -> bool {
    line.len() >= 30 && line.trim_end().chars().all(|c| c == '_')
}

/// The escaped, linked text of one line.
fn line_html(line: &str, opts: Options<'_>) -> String {
    links::linkify(line, opts.obfuscate, opts.known_ids)
}

fn text_blocks(text: &str, opts: Options<'_>) -> String {
    let lines: Vec<&str> = text.lines().collect();
    // Where the signature and the list footer start.
    let footer = (0..lines.len()).find(|&i| {
        is_footer_rule(lines[i])
            && lines[i + 1..lines.len().min(i + 5)]
                .iter()
                .any(|l| l.to_ascii_lowercase().contains("mailing list"))
    });
    let body_end = footer.unwrap_or(lines.len());
    let sig = (0..body_end)
        .rev()
        .find(|&i| lines[i] == "-- " || lines[i] == "--");

    let mut out = String::with_capacity(text.len() + text.len() / 4);
    let mut plain = String::new();
    let flush = |plain: &mut String, out: &mut String| {
        if !plain.trim().is_empty() {
            out.push_str("<pre class=\"text\">");
            out.push_str(plain);
            out.push_str("</pre>");
        }
        plain.clear();
    };
    let mut i = 0;
    while i < body_end {
        if Some(i) == sig {
            flush(&mut plain, &mut out);
            out.push_str("<pre class=\"text sig\">");
            for l in &lines[i..body_end] {
                out.push_str(&line_html(l, opts));
                out.push('\n');
            }
            out.push_str("</pre>");
            break;
        }
        let line = lines[i];
        if line.starts_with("-------------- next part --------------") {
            let (stub, used) = parse_stub(&lines[i..body_end]);
            flush(&mut plain, &mut out);
            out.push_str(&stub_card(&stub));
            i += used;
            continue;
        }
        let depth = quote_depth(line);
        if depth > 0 {
            let start = i;
            while i < body_end && Some(i) != sig && quote_depth(lines[i]) > 0 {
                i += 1;
            }
            let block = &lines[start..i];
            let mut html = String::new();
            for l in block {
                let d = quote_depth(l).min(4);
                html.push_str(&format!(
                    "<span class=\"q q{d}\">{}</span>\n",
                    line_html(l, opts)
                ));
            }
            if block.len() > FOLD_LINES {
                flush(&mut plain, &mut out);
                out.push_str(&format!(
                    "<details class=\"quote\"><summary>show quoted text ({} lines)</summary><pre class=\"text\">{html}</pre></details>",
                    block.len()
                ));
            } else {
                plain.push_str(&html);
            }
            continue;
        }
        plain.push_str(&line_html(line, opts));
        plain.push('\n');
        i += 1;
    }
    flush(&mut plain, &mut out);
    if let Some(f) = footer {
        out.push_str("<pre class=\"text footer\">");
        for l in &lines[f..] {
            out.push_str(&line_html(l, opts));
            out.push('\n');
        }
        out.push_str("</pre>");
    }
    out
}

fn stub_card(s: &Stub) -> String {
    let mut h = String::from("<div class=\"stub\"><span class=\"stub-kind\">");
    h.push_str(&esc(if s.kind.is_empty() {
        "Attachment (removed by the list)"
    } else {
        &s.kind
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
    if let Some(u) = links::safe_http_url(&s.url) {
        h.push_str(&format!(
            " <a href=\"{}\" rel=\"nofollow noopener ugc\">original attachment</a>",
            esc(&u)
        ));
    }
    h.push_str("</div>");
    h
}

/// HTML mail reduced to a safe subset: formatting and links survive, nothing runs, nothing
/// loads from elsewhere.
pub fn sanitize_html(html: &str) -> String {
    let html = images_as_links(html);
    let mut b = ammonia::Builder::default();
    b.rm_tags(["img"])
        .link_rel(Some("nofollow noopener ugc"))
        // Relative links would point into the archive itself.
        .url_relative(ammonia::UrlRelative::Deny)
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .rm_generic_attributes(["lang"]);
    b.clean(&html).to_string()
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
        let tag = &html[start..end];
        out.push_str(&html[pos..start]);
        let src = attr(tag, "src").unwrap_or_default();
        let alt = attr(tag, "alt")
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
fn attr(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
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

    fn render(text: &str) -> String {
        body(
            &Body {
                text,
                html: None,
                text_from_html: false,
                flowed: 0,
            },
            Options::default(),
        )
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
        assert!(h.contains("<details class=\"quote\"><summary>show quoted text (20 lines)"));
        assert!(h.contains("On Mon, Jane wrote:"));
        assert!(h.contains("<pre class=\"text sig\">-- \nJoe"));
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
