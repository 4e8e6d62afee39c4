//! Every message of every corpus rendered through the render layer and parsed as HTML:
//! nothing in the output can run, load from elsewhere or submit anything.

use larch::render::{Body, Options, body};
use scraper::{Html, Selector};

use crate::common::*;

/// Problems found in one rendered body.
fn unsafe_parts(html: &str) -> Vec<String> {
    let doc = Html::parse_fragment(html);
    let mut bad = Vec::new();
    let all = Selector::parse("*").unwrap();
    for el in doc.select(&all) {
        let name = el.value().name();
        if matches!(
            name,
            "script"
                | "iframe"
                | "form"
                | "object"
                | "embed"
                | "style"
                | "link"
                | "meta"
                | "base"
                | "img"
                | "svg"
                | "input"
                | "button"
        ) {
            bad.push(format!("<{name}>"));
        }
        for (attr, value) in el.value().attrs() {
            let v = value.trim().to_ascii_lowercase();
            if attr.starts_with("on") || attr == "style" || attr == "src" || attr == "srcset" {
                bad.push(format!("{name} {attr}="));
            }
            if (attr == "href" || attr == "action")
                && !(v.starts_with("http://")
                    || v.starts_with("https://")
                    || v.starts_with("ftp://")
                    || v.starts_with("mailto:"))
            {
                bad.push(format!("{name} {attr}={value}"));
            }
        }
    }
    bad
}

/// Renders a corpus; `max_fffd` is how many U+FFFD the senders' own text carries.
async fn render_corpus(rel: &str, max_fffd: usize) {
    let Some(c) = corpora() else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    import(&store, "l", &[c.join(rel)]).await;
    let id = list_id(&store, "l").await;
    let (mut after, mut rendered, mut fffd, mut html_bodies) = (-1i64, 0usize, 0usize, 0usize);
    let mut problems = Vec::new();
    loop {
        let page = store.bodies_page(id, after, 500).await.unwrap();
        let Some((last, _)) = page.last() else { break };
        after = *last;
        for (_, b) in &page {
            let out = body(
                &Body {
                    text: &b.body_text,
                    html: b.body_html.as_deref(),
                    text_from_html: b.text_from_html,
                    flowed: b.flowed,
                },
                Options::default(),
            );
            rendered += 1;
            html_bodies += usize::from(b.text_from_html);
            fffd += shown_once(&out).matches('\u{FFFD}').count();
            let bad = unsafe_parts(&out);
            if !bad.is_empty() {
                problems.push((b.mkey.clone(), bad));
            }
        }
    }
    eprintln!(
        "{rel}: {rendered} messages rendered ({html_bodies} from HTML), U+FFFD in output: {fffd}"
    );
    assert!(rendered > 0);
    assert!(
        fffd <= max_fffd,
        "{rel}: {fffd} U+FFFD in rendered text, expected at most {max_fffd}"
    );
    assert!(
        problems.is_empty(),
        "{rel}: unsafe output in {} messages, e.g. {:?}",
        problems.len(),
        &problems[..problems.len().min(3)]
    );
}

#[tokio::test]
async fn render_maildirs() {
    render_corpus("maildir", 0).await;
}

#[tokio::test]
async fn render_small_mboxes() {
    render_corpus("mbox/perceval", 0).await;
}

#[tokio::test]
async fn render_messages() {
    render_corpus("messages", 0).await;
}

#[tokio::test]
async fn render_pipermail() {
    render_corpus("pipermail", 0).await;
}

/// The rendered text with what repeats other text left out: fold summaries name the sender
/// and date from the attribution line they fold, and a link's `title` holds the wrapper
/// URL its text unwraps. A character that failed to decode counts once.
fn shown_once(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    loop {
        let summary = rest.find("<summary>");
        let title = rest.find(" title=\"");
        let (at, close, skip) = match (summary, title) {
            (Some(a), Some(b)) if b < a => (b, "\"", " title=\"".len()),
            (Some(a), _) => (a, "</summary>", "<summary>".len()),
            (None, Some(b)) => (b, "\"", " title=\"".len()),
            (None, None) => break,
        };
        out.push_str(&rest[..at]);
        let after = &rest[at + skip..];
        rest = after.find(close).map_or("", |e| &after[e + close.len()..]);
    }
    out.push_str(rest);
    out
}

#[tokio::test]
async fn render_linux_mips() {
    // Nine messages of this archive carry U+FFFD in their own (quoted-printable) text,
    // 53 characters in all; every other byte decodes.
    render_corpus("mbox/linux-mips-2019-2026.mbox.gz", 53).await;
}

/// Hostile input renders safely and in bounded time.
#[test]
fn hostile_bodies() {
    let big_line = "x".repeat(50 * 1024 * 1024);
    let deep = format!("{}deep\n", ">".repeat(10_000));
    let mut many = String::new();
    for i in 0..20_000 {
        many.push_str(&format!("> line {i} https://e.org/{i} a{i}@b.org\n"));
    }
    let html = "<svg onload=alert(1)><a href=\"javascript:alert(1)\">x</a><a href=\" JaVaScRiPt:alert(1)\">y</a><div style=\"position:fixed;top:0\">z</div><img src=x onerror=alert(1)><a href=\"data:text/html,<script>alert(1)</script>\">d</a><math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>";
    for (text, h) in [
        (big_line.as_str(), None),
        (deep.as_str(), None),
        (many.as_str(), None),
        ("", Some(html)),
    ] {
        let start = std::time::Instant::now();
        let out = body(
            &Body {
                text,
                html: h,
                text_from_html: h.is_some(),
                flowed: larch::domain::normalize::Flowed::Flowed,
            },
            Options::default(),
        );
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "bounded time"
        );
        let bad = unsafe_parts(&out);
        assert!(bad.is_empty(), "{bad:?}");
    }
}
