//! `larch demo`: a small archive written by larch itself, so that a fresh checkout shows
//! every kind of page without anyone's real mail: three lists, nested threads, a reply that
//! arrives before its parent, a cross-post, attachments, several charsets, a patch, and a
//! headerless "Re:" joined by subject.

use std::fmt::Write as _;
use std::path::Path;

use crate::ingest::{self, source::Format};
use crate::store::Store;

#[derive(Clone)]
struct Msg {
    id: String,
    from: (&'static str, &'static str),
    date: i64,
    subject: String,
    in_reply_to: Option<String>,
    references: Vec<String>,
    /// Extra headers and the body, already in their transfer form.
    content: String,
}

const PEOPLE: [(&str, &str); 6] = [
    ("Ada Lovelace", "ada@example.org"),
    ("Grace Hopper", "grace@example.net"),
    ("Linus Ærøskøbing", "linus@example.dk"),
    ("Yukihiro Tanaka", "tanaka@example.jp"),
    ("Olga Petrova", "olga@example.ru"),
    ("Ken Thompson", "ken@example.com"),
];

const TOPICS: [&str; 8] = [
    "Importing ten years of pipermail archives",
    "Threading breaks when References is missing",
    "Dark mode for the message pages",
    "How do I keep old links working?",
    "Search: phrase queries and date ranges",
    "Memory use while importing a large mbox",
    "Private lists and access control",
    "Atom feeds per thread",
];

const BASE: i64 = 1_704_067_200; // 2024-01-01

fn rfc2822(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%a, %d %b %Y %H:%M:%S +0000").to_string())
        .unwrap_or_default()
}

fn plain(body: &str) -> String {
    format!("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n{body}")
}

fn thread(list: &str, topic: usize, start: i64, replies: usize) -> Vec<Msg> {
    let subject = TOPICS[topic].to_string();
    let mut out: Vec<Msg> = Vec::new();
    let root = format!("{list}.{topic}.0@demo.larch");
    out.push(Msg {
        id: root.clone(),
        from: PEOPLE[topic % PEOPLE.len()],
        date: start,
        subject: subject.clone(),
        in_reply_to: None,
        references: vec![],
        content: plain(&format!(
            "Hello all,\n\n{subject}: I have been looking into this and would like to hear how\n\
             others handle it. Details below.\n\n  1. what we tried\n  2. what broke\n\n\
             See https://example.org/docs/{topic} for the background.\n\nThanks,\n{}\n\n-- \n\
             {}\n",
            PEOPLE[topic % PEOPLE.len()].0,
            PEOPLE[topic % PEOPLE.len()].1
        )),
    });
    for i in 1..=replies {
        // A small tree: every third reply answers the previous reply, others the root.
        let parent = if i % 3 == 0 {
            out[i - 1].id.clone()
        } else {
            root.clone()
        };
        let parent_msg = out
            .iter()
            .find(|m| m.id == parent)
            .map(|m| (m.references.clone(), m.from.0));
        let (mut refs, quoted_name) = parent_msg.unwrap_or_default();
        refs.push(parent.clone());
        let who = PEOPLE[(topic + i) % PEOPLE.len()];
        out.push(Msg {
            id: format!("{list}.{topic}.{i}@demo.larch"),
            from: who,
            date: start + (i as i64) * 3_600 * 5,
            subject: format!("Re: {subject}"),
            in_reply_to: Some(parent),
            references: refs,
            content: plain(&format!(
                "On {}, {quoted_name} wrote:\n> {subject}?\n> Any ideas?\n\nReply number {i}: \
                 this worked for me after re-running the import.\n\n{}\n",
                rfc2822(start),
                who.0
            )),
        });
    }
    out
}

fn specials(list: &str) -> Vec<Msg> {
    let jp = encoding_rs::ISO_2022_JP
        .encode("メーリングリストのアーカイブを検索できます。")
        .0;
    let latin1 = encoding_rs::WINDOWS_1252
        .encode("Grüße aus Kopenhagen — ça marche très bien.")
        .0;
    let koi8 = encoding_rs::KOI8_R
        .encode("Привет! Архив работает отлично.")
        .0;
    let b64 = |b: &[u8]| {
        let mut s = String::new();
        for chunk in b.chunks(57) {
            s.push_str(&base64(chunk));
            s.push('\n');
        }
        s
    };
    let t = BASE + 86_400 * 40;
    vec![
        Msg {
            id: format!("{list}.jp@demo.larch"),
            from: PEOPLE[3],
            date: t,
            subject: "=?ISO-2022-JP?B?GyRCJUElJyVDJS8bKEI=?= archive search".into(),
            in_reply_to: None,
            references: vec![],
            content: format!(
                "Content-Type: text/plain; charset=ISO-2022-JP\nContent-Transfer-Encoding: base64\n\n{}",
                b64(&jp)
            ),
        },
        Msg {
            id: format!("{list}.latin1@demo.larch"),
            from: PEOPLE[2],
            date: t + 3_600,
            subject: "=?iso-8859-1?q?Gr=FC=DFe_from_the_archive?=".into(),
            in_reply_to: None,
            references: vec![],
            content: format!(
                "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: base64\n\n{}",
                b64(&latin1)
            ),
        },
        Msg {
            id: format!("{list}.koi8@demo.larch"),
            from: PEOPLE[4],
            date: t + 7_200,
            subject: "=?koi8-r?b?8NLJ18XU?= from Olga".into(),
            in_reply_to: None,
            references: vec![],
            content: format!(
                "Content-Type: text/plain; charset=koi8-r\nContent-Transfer-Encoding: base64\n\n{}",
                b64(&koi8)
            ),
        },
        Msg {
            id: format!("{list}.attach@demo.larch"),
            from: PEOPLE[0],
            date: t + 10_800,
            subject: "Logs and a screenshot attached".into(),
            in_reply_to: None,
            references: vec![],
            content: format!(
                "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\n\
                 Content-Type: text/plain; charset=utf-8\n\nThe import log and a screenshot are attached.\n\n\
                 --b1\nContent-Type: text/plain; name=\"import.log\"\nContent-Disposition: attachment; filename=\"import.log\"\n\n\
                 read 51564, new 51497, duplicate 67, rejected 0\n\n\
                 --b1\nContent-Type: image/png; name=\"screen shot.png\"\nContent-Disposition: attachment; filename=\"screen shot.png\"\n\
                 Content-Transfer-Encoding: base64\n\n{}\n--b1--\n",
                b64(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89")
            ),
        },
        Msg {
            id: format!("{list}.flowed@demo.larch"),
            from: PEOPLE[1],
            date: t + 14_400,
            subject: "A format=flowed message".into(),
            in_reply_to: None,
            references: vec![],
            content: "Content-Type: text/plain; charset=utf-8; format=flowed\n\nThis paragraph was \n\
                      written by a mail client that wraps long lines softly, \nso it should be \
                      shown as one paragraph.\n\n> A quoted line that is also \n> soft-wrapped.\n"
                .into(),
        },
        // A headerless "Re:" that joins the first thread by its subject.
        Msg {
            id: format!("{list}.bysubject@demo.larch"),
            from: PEOPLE[5],
            date: BASE + 86_400 * 2,
            subject: format!("Re: {}", TOPICS[0]),
            in_reply_to: None,
            references: vec![],
            content: plain("My mail client drops In-Reply-To; larch still files this in the thread.\n"),
        },
    ]
}

fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn mbox(list: &str, msgs: &[Msg]) -> String {
    let mut s = String::new();
    for m in msgs {
        let _ = writeln!(s, "From {} Mon Jan  1 00:00:00 2024", m.from.1);
        let _ = writeln!(s, "From: {} <{}>", m.from.0, m.from.1);
        let _ = writeln!(s, "To: {list}@lists.example.org");
        let _ = writeln!(s, "Subject: {}", m.subject);
        let _ = writeln!(s, "Date: {}", rfc2822(m.date));
        let _ = writeln!(s, "Message-ID: <{}>", m.id);
        if let Some(p) = &m.in_reply_to {
            let _ = writeln!(s, "In-Reply-To: <{p}>");
        }
        if !m.references.is_empty() {
            let refs: Vec<String> = m.references.iter().map(|r| format!("<{r}>")).collect();
            let _ = writeln!(s, "References: {}", refs.join("\n "));
        }
        let _ = writeln!(s, "List-Id: {list} <{list}.lists.example.org>");
        // mboxrd: escape body lines that look like envelopes.
        for line in m.content.lines() {
            if crate::domain::envelope::mboxrd_quotes(line.as_bytes()) {
                s.push('>');
            }
            s.push_str(line);
            s.push('\n');
        }
        s.push('\n');
    }
    s
}

/// Writes the sample sources under `data/demo-sources/` and imports them.
pub async fn build(data: &Path) -> anyhow::Result<Store> {
    let src = data.join("demo-sources");
    std::fs::create_dir_all(&src)?;
    let mut users = Vec::new();
    for (i, topic) in [0usize, 1, 3, 6].iter().enumerate() {
        users.extend(thread(
            "larch-users",
            *topic,
            BASE + 86_400 * (i as i64) * 9,
            3 + i * 2,
        ));
    }
    users.extend(specials("larch-users"));
    // The reply comes first in the file: it must still land under its parent.
    users.swap(1, 2);
    let mut dev = Vec::new();
    for (i, topic) in [2usize, 4, 5, 7].iter().enumerate() {
        dev.extend(thread(
            "larch-dev",
            *topic,
            BASE + 86_400 * (i as i64) * 17,
            2 + i,
        ));
    }
    let patch = Msg {
        id: "patch.1@demo.larch".into(),
        from: PEOPLE[5],
        date: BASE + 86_400 * 50,
        subject: "[PATCH] store: keep raw messages compressed".into(),
        in_reply_to: None,
        references: vec![],
        content: plain(
            "Signed-off-by: Ken Thompson <ken@example.com>\n---\n src/store/mod.rs | 2 +-\n\n\
             diff --git a/src/store/mod.rs b/src/store/mod.rs\n--- a/src/store/mod.rs\n+++ b/src/store/mod.rs\n\
             @@ -1,3 +1,3 @@\n-    raw: Vec<u8>,\n+    raw_compressed: Vec<u8>,\n \n-- \n2.43.0\n",
        ),
    };
    // Cross-posted: the same message in both lists.
    users.push(patch.clone());
    dev.push(patch);
    let announce = thread("announce", 0, BASE + 86_400 * 60, 0);

    let sources = [
        ("larch-users", users),
        ("larch-dev", dev),
        ("announce", announce),
    ];
    let store = Store::open(data).await?;
    let _lock = crate::config::WriteLock::acquire(data)?;
    for (list, msgs) in &sources {
        let path = src.join(format!("{list}.mbox"));
        std::fs::write(&path, mbox(list, msgs))?;
        let s = ingest::import(&store, list, &[path], Format::Auto, &()).await?;
        println!("{list}: {s}");
    }
    Ok(store)
}
