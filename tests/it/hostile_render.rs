//! Bodies built to make the renderer slow or crash it, through the public render API: each
//! one renders on a thread with a small stack (nothing recurses over the input) into sane,
//! bounded HTML. And the real corpora's HTML mail keeps its HTML.

use std::collections::HashSet;

use larch::render::{
    Body, Fidelity, MAX_HTML_BYTES, MAX_HTML_DEPTH, MAX_SHOWN_TEXT_BYTES, Options, Rendered, body,
    render_body,
};

use crate::common::*;

/// Renders on a thread with a 256 KiB stack.
fn render_small_stack(text: String, html: Option<String>, known: Vec<String>) -> Rendered {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            let known: HashSet<String> = known.into_iter().collect();
            render_body(
                &Body {
                    text: &text,
                    html: html.as_deref(),
                    text_from_html: html.is_some(),
                    flowed: larch::domain::normalize::Flowed::Fixed,
                },
                Options {
                    obfuscate: true,
                    known_ids: Some(&known),
                    ..Options::default()
                },
            )
        })
        .unwrap()
        .join()
        .unwrap()
}

fn assert_inert(html: &str) {
    let lower = html.to_ascii_lowercase();
    for bad in [
        "<script",
        "<img",
        "<iframe",
        "<svg",
        "onerror",
        "onload",
        "javascript:",
    ] {
        assert!(!lower.contains(bad), "{bad} in output");
    }
}

/// A hostile body: its name, its text, and what its rendering must satisfy.
type Case<'a> = (&'a str, String, &'a dyn Fn(&str) -> bool);

#[test]
fn hostile_text_bodies() {
    let known = vec!["a1@x.org".to_string()];
    let cases: Vec<Case> = vec![
        ("bare schemes", "http:// ".repeat(12_000), &|h| {
            !h.contains("<a ")
        }),
        (
            "many URLs",
            (0..20_000).map(|i| format!("https://e.org/{i} ")).collect(),
            &|h| h.matches("<a href=").count() == 20_000,
        ),
        (
            "closing brackets",
            format!("http://a{}", ")".repeat(50_000)),
            &|h| h.matches("<a href=\"http://a\"").count() == 1,
        ),
        (
            "angle brackets",
            format!("{}a1@x.org>", "<".repeat(100_000)),
            &|h| h.contains("<a href=\"/r/a1@x.org\">"),
        ),
        ("deep quote", format!("{} x\n", ">".repeat(100_000)), &|h| {
            h.matches("<span").count() == 1
        }),
        (
            "stub fields",
            format!(
                "-------------- next part --------------\nName€\n{}",
                "Url: http://e.org/x\n".repeat(40_000)
            ),
            &|h| h.matches("class=\"stub\"").count() == 1,
        ),
        (
            "wrappers that never complete",
            "> https://x.safelinks.protection.outlook.com/?url=http%3A%2F%2Fe.org\n".repeat(15_000),
            &|h| h.matches("<a href=\"http://e.org\"").count() == 15_000,
        ),
        (
            "angle brackets that never close",
            "<http://e.org/a\n".repeat(45_000),
            &|h| h.matches("<a href=").count() == 45_000,
        ),
        (
            "wrapped SafeLinks",
            "> https://x.safelinks.protection.outlook.com/?url=https%3A%2F%2Fe.\n> org%2Fa&data=1\n> &reserved=0\n"
                .repeat(9_000),
            &|h| h.matches("<a href=\"https://e.org/a\"").count() == 9_000,
        ),
        (
            "attributions in one quote",
            "> On 1 Jan 2020 at 10:00, A\n> wrote:\n".repeat(20_000),
            &|h| h.matches("<details class=\"quote earlier\">").count() == 20_000,
        ),
        (
            "header blocks",
            "> From: a\n> To: b\n> Date: c\n".repeat(15_000),
            &|h| h.matches("<details class=\"quote earlier\">").count() == 15_000,
        ),
        (
            "one long wrapped paragraph",
            "> a line of prose long enough to have been wrapped by its mail client\n"
                .repeat(14_000),
            &|h| h.matches("flow").count() == 1,
        ),
        (
            "wide characters",
            "見てhttp://a‹›)。(例 [https://例.jp/パス]) ".repeat(10_000),
            &|h| h.matches("<a href=").count() == 20_000,
        ),
    ];
    for (name, text, ok) in cases {
        let r = render_small_stack(text, None, known.clone());
        assert_eq!(r.fidelity, Fidelity::Full, "{name}");
        assert!(ok(&r.html), "{name}: {}", &r.html[..r.html.len().min(300)]);
        assert_inert(&r.html);
    }
}

#[test]
fn oversized_text_is_cut_with_a_note() {
    let r = render_small_stack("y".repeat(50 * 1024 * 1024), None, vec![]);
    assert_eq!(r.fidelity, Fidelity::Truncated);
    assert!(
        r.html
            .contains("too large to display in full; download the raw message")
    );
    assert!(r.html.len() < MAX_SHOWN_TEXT_BYTES + 300);
}

#[test]
fn hostile_html_bodies() {
    let cases = [
        format!("{}x", "<div>".repeat(100_000)),
        format!("{}x", "<b>".repeat(100_000)),
        format!("{}x", "<ul><li>".repeat(50_000)),
        format!(
            "<div>{}</div>{}",
            (0..2_500)
                .map(|i| format!("<font color={i}>"))
                .collect::<String>(),
            "<p>x</p>".repeat(2_500)
        ),
        format!(
            "<p {}>x</p>",
            (0..50_000).map(|i| format!("a{i}=1 ")).collect::<String>()
        ),
        format!("<img{}>x", " src".repeat(50_000)),
        format!("x{}", "<img src=http://e.org/a.png ".repeat(10_000)),
        format!("x<svg>{}<script>alert(1)</script>", "<g>".repeat(50_000)),
    ];
    for case in cases {
        assert!(case.len() <= MAX_HTML_BYTES);
        let r = render_small_stack("text".into(), Some(case), vec![]);
        assert!(
            matches!(r.fidelity, Fidelity::Full | Fidelity::SimplifiedHtml),
            "{:?}",
            r.fidelity
        );
        assert!(r.html.contains('x'));
        assert!(r.html.matches("<div").count() <= MAX_HTML_DEPTH + 1);
        assert_inert(&r.html);
    }
    let r = render_small_stack(
        "the text".into(),
        Some("<p>".repeat(MAX_HTML_BYTES / 3 + 1)),
        vec![],
    );
    assert_eq!(r.fidelity, Fidelity::TextInsteadOfHtml);
    assert!(r.html.contains("the text"));
}

/// Real HTML mail, spam included, keeps its HTML: none of it is too large, and what is
/// rebuilt (badly nested markup) is counted.
#[tokio::test]
async fn corpus_html_keeps_its_html() {
    let Some(c) = corpora() else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    let mut counts = std::collections::BTreeMap::new();
    for (i, rel) in ["maildir", "messages", "mbox/perceval", "pipermail"]
        .iter()
        .enumerate()
    {
        let name = format!("l{i}");
        import(&store, &name, &[c.join(rel)]).await;
        let id = list_id(&store, &name).await;
        let mut after = -1i64;
        loop {
            let page = store.bodies_page(id, after, 500).await.unwrap();
            let Some((last, _)) = page.last() else { break };
            after = *last;
            for (_, b) in &page {
                if !b.text_from_html {
                    continue;
                }
                let r = render_body(
                    &Body {
                        text: &b.body_text,
                        html: b.body_html.as_deref(),
                        text_from_html: true,
                        flowed: b.flowed,
                    },
                    Options::default(),
                );
                assert_eq!(
                    r.html,
                    body(
                        &Body {
                            text: &b.body_text,
                            html: b.body_html.as_deref(),
                            text_from_html: true,
                            flowed: b.flowed,
                        },
                        Options::default()
                    )
                );
                *counts.entry(format!("{:?}", r.fidelity)).or_insert(0usize) += 1;
            }
        }
    }
    eprintln!("HTML bodies by rendering: {counts:?}");
    assert!(counts.get("Full").copied().unwrap_or(0) > 0);
    assert_eq!(counts.get("TextInsteadOfHtml"), None);
}
