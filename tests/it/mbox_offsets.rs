//! The splitter finds the boundaries MimeKit's test data expects.

use std::io::BufReader;

use larch::ingest::mbox::MboxReader;

use crate::common::corpora;

fn check(name: &str) {
    let Some(c) = corpora() else { return };
    let dir = c.join("messages/mimekit/mbox");
    let json: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join(format!("{name}.unix-offsets.json"))).unwrap(),
    )
    .unwrap();
    let expected: Vec<(u64, u64, u64)> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["mboxMarkerOffset"].as_u64().unwrap(),
                m["beginOffset"].as_u64().unwrap(),
                m["endOffset"].as_u64().unwrap(),
            )
        })
        .collect();
    let f = std::fs::File::open(dir.join(format!("{name}.mbox.txt"))).unwrap();
    let got: Vec<(u64, u64, u64)> = MboxReader::new(BufReader::new(f))
        .map(|m| m.unwrap())
        .map(|m| (m.marker_offset, m.begin_offset, m.end_offset))
        .collect();
    let got_m: Vec<u64> = got.iter().map(|g| g.0).collect();
    let want_m: Vec<u64> = expected.iter().map(|e| e.0).collect();
    assert_eq!(got_m, want_m, "{name}: message boundaries");
    for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
        assert_eq!((g.0, g.1), (e.0, e.1), "{name}: message {i} start");
        // MimeKit's end excludes the newline before the next envelope; so does ours,
        // except at EOF where a final blank line stays content.
        assert!(
            g.2 == e.2 || (i + 1 == got.len() && g.2 >= e.2),
            "{name}: message {i} end {} != {}",
            g.2,
            e.2
        );
    }
}

#[test]
fn content_length_mbox() {
    check("content-length");
}

#[test]
fn issue1189_mbox() {
    check("issue1189");
}
