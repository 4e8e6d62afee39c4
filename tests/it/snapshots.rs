//! Snapshots of rendered bodies for the kinds of mail archives are full of, from fixtures
//! written for the project (`tests/fixtures/render/`). A change in rendering shows up as a
//! reviewable diff of the HTML.

use larch::domain::normalize::{Normalized, Origin, normalize};
use larch::ingest::mbox::MboxReader;
use larch::render::{Body, Options, body};

fn fixture(name: &str) -> Normalized {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/render")
        .join(name);
    let bytes = std::fs::read(&path).unwrap();
    if name.ends_with(".txt") {
        // A pipermail month archive.
        let m = MboxReader::pipermail(&bytes[..]).next().unwrap().unwrap();
        normalize(
            &m.data,
            Origin {
                envelope: m.envelope.as_deref(),
                pipermail: true,
            },
        )
        .unwrap()
    } else {
        normalize(&bytes, Origin::default()).unwrap()
    }
}

/// Header line and rendered body, as a page would show them.
fn rendered(name: &str) -> String {
    let n = fixture(name);
    let html = body(
        &Body {
            text: &n.body_text,
            html: n.body_html.as_deref(),
            text_from_html: n.text_from_html,
            flowed: n.flowed,
        },
        Options::default(),
    );
    format!(
        "From: {} <{}>\nSubject: {}\nAttachments: {:?}\n\n{}",
        n.from_name,
        n.from_addr,
        n.subject,
        n.attachments
            .iter()
            .map(|a| (&a.filename, &a.content_type, a.data.len()))
            .collect::<Vec<_>>(),
        html.replace("</pre>", "</pre>\n")
            .replace("</details>", "</details>\n")
            .replace("</div>", "</div>\n")
    )
}

#[test]
fn reply_with_nested_quotes_and_attribution() {
    insta::assert_snapshot!(rendered("nested-quotes.eml"));
}

#[test]
fn cross_posted_reply_with_deep_quote_and_safelinks() {
    insta::assert_snapshot!(rendered("cross-posted-deep-quote.eml"));
}

#[test]
fn pipermail_scrubbed_attachment_stubs() {
    insta::assert_snapshot!(rendered("scrubbed-stub.txt"));
}

#[test]
fn format_flowed_with_delsp() {
    insta::assert_snapshot!(rendered("flowed.eml"));
}

#[test]
fn iso_2022_jp() {
    insta::assert_snapshot!(rendered("iso-2022-jp.eml"));
}

#[test]
fn html_only_newsletter() {
    insta::assert_snapshot!(rendered("html-newsletter.eml"));
}

#[test]
fn signed_message() {
    insta::assert_snapshot!(rendered("signed.eml"));
}
