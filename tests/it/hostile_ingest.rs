//! Hostile input through the whole import: a forged `Content-Length`, messages over the size
//! limit (mbox, single files, gzip, live delivery), Message-IDs holding bytes that are not
//! UTF-8 (in the mbox and in pipermail's pages), thousands of references, and nesting deep
//! enough to overflow a stack. Every fixture is generated here.

use std::io::Write;
use std::path::{Path, PathBuf};

use larch::ingest::{self, ImportOptions, Summary, source::Format};
use larch::store::Store;

use crate::common::*;

fn message(i: usize, extra_headers: &str, body: &str) -> String {
    format!(
        "From sender{i}@example.org Tue Mar  1 03:09:56 2005\n\
         From: Sender {i} <sender{i}@example.org>\n\
         Date: Tue, 1 Mar 2005 03:09:{:02} +0000\n\
         Subject: message {i}\n\
         Message-ID: <m{i}@example.org>\n\
         {extra_headers}\n\
         {body}\n\n",
        i % 60
    )
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

async fn import_with(store: &Store, list: &str, paths: &[PathBuf], max: u64) -> Summary {
    let options = ImportOptions {
        max_message_size: max,
        ..Default::default()
    };
    let s = ingest::import_with(store, list, paths, Format::Auto, &(), &options)
        .await
        .expect("import");
    assert_eq!(s.read, s.new + s.duplicate + s.rejected, "{s}");
    s
}

/// (source, offset, reason, kept bytes) of every reject.
async fn rejects(store: &Store) -> Vec<(String, i64, String, i64)> {
    let db = db(store).await;
    sqlx::query_as(
        db.sql("SELECT source, source_offset, reason, length(raw) FROM rejects ORDER BY id"),
    )
    .fetch_all(&*db)
    .await
    .unwrap()
}

/// `Content-Length: 99999999999` on the first message once swallowed the whole file into it.
#[tokio::test]
async fn forged_content_length_does_not_swallow_the_mbox() {
    let dir = tempfile::tempdir().unwrap();
    let mut mbox = message(0, "Content-Length: 99999999999\n", "I am the first.");
    for i in 1..2001 {
        mbox.push_str(&message(i, "", &format!("body {i}\n\nFrom here on, text.")));
    }
    let f = write(dir.path(), "list.mbox", mbox.as_bytes());
    let store = store(&dir.path().join("data")).await;
    let s = import(&store, "l", &[f]).await;
    assert_eq!((s.read, s.new, s.rejected), (2001, 2001, 0), "{s}");
    assert_eq!(s.content_length_ignored, 1, "{s}");
    assert!(
        s.to_string().contains("1 Content-Length headers ignored"),
        "{s}"
    );
}

/// A length that lands exactly on a later boundary still may not hide the messages between:
/// an envelope after a blank line and followed by headers is a message.
#[tokio::test]
async fn content_length_landing_past_other_messages_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let second = message(1, "", "second");
    let third = message(2, "", "third");
    // The first body, then the next two messages, exactly, minus the last blank line.
    let body = "first\n";
    let swallowed = format!("{body}\n{second}{third}");
    let n = swallowed.len() - 1;
    let mbox = format!(
        "{}{}{}",
        message(0, &format!("Content-Length: {n}\n"), body.trim_end()),
        second,
        third
    ) + &message(3, "", "fourth");
    let f = write(dir.path(), "list.mbox", mbox.as_bytes());
    let store = store(&dir.path().join("data")).await;
    let s = import(&store, "l", &[f]).await;
    assert_eq!((s.read, s.new), (4, 4), "{s}");
    assert_eq!(s.content_length_ignored, 1, "{s}");
}

/// A message over the limit is a reject with its file, offset and reason; the messages
/// around it are intact.
#[tokio::test]
async fn oversized_mbox_message_is_rejected_with_its_offset() {
    let dir = tempfile::tempdir().unwrap();
    let first = message(0, "", "small");
    let big_body = "x".repeat(99) + "\n";
    let big = message(1, "", &big_body.repeat(30_000)); // about 3 MB
    let last = message(2, "", "small again");
    let mbox = format!("{first}{big}{last}");
    let f = write(dir.path(), "list.mbox", mbox.as_bytes());
    let store = store(&dir.path().join("data")).await;
    let s = import_with(&store, "l", std::slice::from_ref(&f), 1 << 20).await;
    assert_eq!((s.read, s.new, s.rejected), (3, 2, 1), "{s}");
    let r = rejects(&store).await;
    assert_eq!(r.len(), 1);
    assert!(r[0].0.ends_with("list.mbox"), "{r:?}");
    assert_eq!(r[0].1, first.len() as i64, "offset of the envelope");
    assert_eq!(r[0].2, "message larger than 1048576 bytes");
    assert_eq!(
        r[0].3,
        ingest::OVERSIZED_KEPT_BYTES as i64,
        "only the start is kept"
    );
    // Idempotent: the same reject is not recorded twice, nothing new is stored.
    let again = import_with(&store, "l", &[f], 1 << 20).await;
    assert_eq!((again.new, again.rejected), (0, 1), "{again}");
    assert_eq!(rejects(&store).await.len(), 1);
}

/// One line of many megabytes, no line break at all: read in pieces, rejected, and a
/// `From ` that happens to begin a piece is not a boundary.
#[tokio::test]
async fn endless_line_is_rejected_not_split() {
    let dir = tempfile::tempdir().unwrap();
    let piece = larch::ingest::mbox::LINE_PIECE;
    let mut line = "y".repeat(piece - 1) + "\n";
    line.push_str(&"z".repeat(piece));
    line.push_str("From a@b Tue Mar  1 03:09:56 2005");
    line.push_str(&"w".repeat(3 << 20));
    let mbox = message(0, "", "before") + &message(1, "", &line) + &message(2, "", "after");
    let f = write(dir.path(), "list.mbox", mbox.as_bytes());
    let store = store(&dir.path().join("data")).await;
    let s = import_with(&store, "l", &[f], 1 << 20).await;
    assert_eq!((s.read, s.new, s.rejected), (3, 2, 1), "{s}");
}

/// The same limit for one-message files, plain (checked by size before reading) and gzip
/// (read up to the limit), and for maildirs.
#[tokio::test]
async fn oversized_single_files_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("maildir");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(md.join(sub)).unwrap();
    }
    let small = "From: a@b\nMessage-ID: <small@x>\nSubject: s\n\nsmall\n";
    let big = format!(
        "From: a@b\nMessage-ID: <big@x>\nSubject: b\n\n{}",
        "z".repeat(300_000)
    );
    write(&md.join("cur"), "1.eml", small.as_bytes());
    write(&md.join("new"), "2.eml", big.as_bytes());
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(big.replace("big@x", "big-gz@x").as_bytes())
        .unwrap();
    let loose = dir.path().join("loose");
    std::fs::create_dir_all(&loose).unwrap();
    write(&loose, "3.eml.gz", &gz.finish().unwrap());
    let store = store(&dir.path().join("data")).await;
    let s = import_with(&store, "l", &[md, loose], 100_000).await;
    assert_eq!((s.read, s.new, s.rejected), (3, 1, 2), "{s}");
    for r in rejects(&store).await {
        assert_eq!(r.2, "message larger than 100000 bytes", "{r:?}");
        assert_eq!(r.1, 0);
    }
}

/// A live delivery (`larch ingest`) is read up to the limit and recorded as a reject.
#[tokio::test]
async fn oversized_delivery_is_a_reject() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    let msg = format!(
        "From: a@b\nMessage-ID: <huge@x>\nSubject: h\n\n{}",
        "q".repeat(500_000)
    );
    let d = ingest::read_delivery(&mut msg.as_bytes(), 200_000).unwrap();
    assert_eq!(d.over_limit, Some(200_000));
    assert!(d.data.len() <= ingest::OVERSIZED_KEPT_BYTES);
    let s = ingest::ingest_delivery(&store, "l", d).await.unwrap();
    assert_eq!((s.read, s.new, s.rejected), (1, 0, 1), "{s}");
    let r = rejects(&store).await;
    assert_eq!(r[0].2, "message larger than 200000 bytes");
    let d = ingest::read_delivery(&mut &msg.as_bytes()[..1000], 200_000).unwrap();
    assert_eq!(d.over_limit, None);
    let s = ingest::ingest_delivery(&store, "l", d).await.unwrap();
    assert_eq!((s.read, s.new), (1, 1), "{s}");
}

/// The command line takes the limit, and `larch ingest` never holds more than the default.
#[test]
fn command_line_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mbox = message(0, "", "small") + &message(1, "", &"x".repeat(5000));
    let f = write(dir.path(), "l.mbox", mbox.as_bytes());
    let out = larch_command(&dir.path().join("data"))
        .args(["import", "--list", "l", "--max-message-size", "2000"])
        .arg(&f)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("read 2, new 1, duplicate 0, rejected 1"),
        "{stdout}"
    );
}

/// The id bytes of a real pipermail archive: `\xEA` is not UTF-8 (and `\x15` a control).
const ODD_ID: &[u8] = b"20050824040347.GA5323@www.|\xEA\x15@|\xEA\x15@";

fn odd_message(i: usize, id: &[u8], reply_to: Option<&[u8]>, subject: &[u8]) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(
        format!("From jane at example.org  Wed Aug 24 04:0{i}:47 2005\n").as_bytes(),
    );
    m.extend_from_slice(b"From: jane at example.org (Jane)\n");
    m.extend_from_slice(format!("Date: Wed, 24 Aug 2005 04:0{i}:47 +0000\n").as_bytes());
    m.extend_from_slice(b"Subject: ");
    m.extend_from_slice(subject);
    m.extend_from_slice(b"\n");
    if let Some(r) = reply_to {
        for h in ["In-Reply-To", "References"] {
            m.extend_from_slice(format!("{h}: <").as_bytes());
            m.extend_from_slice(r);
            m.extend_from_slice(b">\n");
        }
    }
    m.extend_from_slice(b"Message-ID: <");
    m.extend_from_slice(id);
    m.extend_from_slice(b">\n\nbody\n\n");
    m
}

fn percent(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| {
            if b.is_ascii_alphanumeric() || b"._-".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn article_page(id: &[u8]) -> String {
    format!(
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2//EN\">\n<HTML>\n <HEAD>\n\
         <META http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\">\n\
         </HEAD>\n<BODY>\n<A HREF=\"mailto:l%40example.org?Subject=Re%3A%20x&In-Reply-To={}\"\n\
         TITLE=\"x\">jane at example.org\n</A>\n</BODY></HTML>\n",
        percent(&[b"<".as_slice(), id, b">"].concat())
    )
}

/// Message-IDs with bytes that are not UTF-8 keep their identity: the reply threads under
/// the parent, and both pipermail page numbers map, in a month whose other headers decode
/// in different charsets.
#[tokio::test]
async fn message_ids_with_invalid_utf8_keep_identity() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("archive");
    let month = root.join("2005-August");
    std::fs::create_dir_all(&month).unwrap();
    let reply_id: &[u8] = b"reply.\xE9t\xE9@example.org";
    let mut txt = odd_message(1, ODD_ID, None, b"Gr\xfc\xdfe");
    // A Cyrillic (KOI8-R) subject: the reply's header block reads in another charset.
    txt.extend(odd_message(
        2,
        reply_id,
        Some(ODD_ID),
        b"Re: \xf0\xd2\xc9\xd7\xc5\xd4 \xcd\xc9\xd2",
    ));
    std::fs::write(root.join("2005-August.txt"), &txt).unwrap();
    std::fs::write(month.join("000001.html"), article_page(ODD_ID)).unwrap();
    std::fs::write(month.join("000002.html"), article_page(reply_id)).unwrap();

    let store = store(&dir.path().join("data")).await;
    let s = import(&store, "odd", std::slice::from_ref(&root)).await;
    assert_eq!((s.read, s.new, s.rejected), (2, 2, 0), "{s}");
    assert_eq!(s.threads, 1, "{s}");
    let id = list_id(&store, "odd").await;
    let parent = larch::domain::normalize::decode_id_bytes(ODD_ID);
    let child = larch::domain::normalize::decode_id_bytes(reply_id);
    assert_eq!(parent, "20050824040347.GA5323@www.|ê\\x15@|ê\\x15@");
    assert_eq!(child, "reply.été@example.org");
    let numbers = store.pipermail_numbers(id).await.unwrap();
    assert_eq!(numbers, vec![(1, parent.clone()), (2, child.clone())]);
    let links = store.parent_links(id).await.unwrap();
    assert!(
        links.contains(&(child.clone(), Some(parent.clone()))),
        "{links:?}"
    );
}

/// 6,000 references (53 KB, legitimate in size): the reply still threads under its parent,
/// the last of them.
#[tokio::test]
async fn thousands_of_references() {
    let dir = tempfile::tempdir().unwrap();
    let refs: Vec<String> = (0..6000).map(|i| format!("<r{i}@x>")).collect();
    let mut refs_header = refs.join("\n ");
    refs_header.push_str("\n <m0@example.org>");
    let mbox = message(0, "", "parent")
        + &message(
            1,
            &format!("References: {refs_header}\nIn-Reply-To: <m0@example.org>\n"),
            "child",
        );
    let f = write(dir.path(), "l.mbox", mbox.as_bytes());
    let store = store(&dir.path().join("data")).await;
    let s = import(&store, "l", &[f]).await;
    assert_eq!((s.read, s.new, s.threads), (2, 2, 1), "{s}");
    let id = list_id(&store, "l").await;
    let links = store.parent_links(id).await.unwrap();
    assert!(
        links.contains(&("m1@example.org".to_string(), Some("m0@example.org".into()))),
        "{links:?}"
    );
}

fn nested_rfc822(levels: usize) -> String {
    "Content-Type: message/rfc822\n\n".repeat(levels) + "Subject: innermost\n\ninner body\n"
}

fn base64(data: &[u8]) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for (k, c) in data.chunks(3).enumerate() {
        let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
        let v = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[((v >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
        if k % 19 == 18 {
            out.push('\n');
        }
    }
    out
}

/// Ten thousand levels of nesting, plain and inside a base64 part, and ten thousand nested
/// multiparts: imported, no stack overflow.
#[tokio::test]
async fn deeply_nested_messages_import() {
    let dir = tempfile::tempdir().unwrap();
    let plain = nested_rfc822(10_000);
    let encoded = format!(
        "Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n{}\n",
        base64(nested_rfc822(10_000).as_bytes())
    );
    let mut multipart = String::new();
    for i in 0..10_000 {
        multipart.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}\n"
        ));
    }
    multipart.push_str("Content-Type: text/plain\n\ndeep text\n");
    for i in (0..10_000).rev() {
        multipart.push_str(&format!("--b{i}--\n"));
    }
    let mbox = message(0, &plain, "") + &message(1, &encoded, "") + &message(2, &multipart, "");
    let f = write(dir.path(), "l.mbox", mbox.as_bytes());
    let store = store(&dir.path().join("data")).await;
    let s = import(&store, "l", &[f]).await;
    assert_eq!((s.read, s.new, s.rejected), (3, 3, 0), "{s}");
}
