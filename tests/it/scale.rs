//! `larch gen`, the scale corpus generator: replays of real mail (the first 300 messages of
//! linux-mips) over several lists, imported by `larch import` as any archive would be.
//! Every message written is read back, each replay is new mail (nothing is a duplicate or a
//! cross-post of another replay), and no thread mixes two replays.

use std::collections::{HashMap, HashSet};
use std::io::{BufReader, Write};

use larch::ingest::mbox::MboxReader;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_archives_are_new_mail_in_whole_threads() {
    let Some(c) = corpora() else { return };
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("source.mbox");
    {
        let gz = std::fs::File::open(c.join("mbox/linux-mips-2019-2026.mbox.gz")).unwrap();
        let mut out = std::fs::File::create(&src).unwrap();
        let reader = MboxReader::new(BufReader::new(flate2::read::GzDecoder::new(gz)));
        for m in reader.take(300) {
            let m = m.unwrap();
            writeln!(out, "From mboxrd@z Thu Jan  1 00:00:00 1970").unwrap();
            for line in m.data.split_inclusive(|&b| b == b'\n') {
                if larch::domain::envelope::mboxrd_quotes(line) {
                    out.write_all(b">").unwrap();
                }
                out.write_all(line).unwrap();
            }
            out.write_all(b"\n").unwrap();
        }
    }
    let gen_dir = dir.path().join("gen");
    let data = dir.path().join("data");
    let out = larch_cli(
        &data,
        &[
            "gen",
            "--from",
            src.to_str().unwrap(),
            "--messages",
            "1000",
            "--lists",
            "3",
            "--gzip",
            "--out",
            gen_dir.to_str().unwrap(),
        ],
        b"",
    );
    assert!(out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    // Replays 0 and 3 (100 messages) go to the first list, 1 and 2 to the others.
    for (i, n) in [(1, 400), (2, 300), (3, 300)] {
        assert!(said.contains(&format!("gen-{i} {n} messages")), "{said}");
    }
    let mut read = 0;
    for i in 1..=3 {
        let file = gen_dir.join(format!("gen-{i}.mbox.gz"));
        let list = format!("gen-{i}");
        let out = larch_cli(
            &data,
            &["import", "--list", &list, file.to_str().unwrap()],
            b"",
        );
        assert!(out.status.success(), "{out:?}");
        let summary = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let n: u64 = summary
            .split("read ")
            .nth(1)
            .and_then(|s| s.split(',').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{summary}"));
        read += n;
        assert!(
            summary.contains(&format!("read {n}, new {n}, duplicate 0,"))
                && !summary.contains("already archived for another list"),
            "every message is new mail: {summary}"
        );
    }
    assert_eq!(read, 1000);
    let store = store(&data).await;
    let db = db(&store).await;
    let rows: Vec<(String, i64, String)> = sqlx::query_as(db.sql(
        "SELECT l.name, n.thread_no, n.mkey FROM nodes n JOIN lists l ON l.id = n.list_id
         WHERE n.message_id IS NOT NULL",
    ))
    .fetch_all(&*db)
    .await
    .unwrap();
    let mut replays: HashMap<(String, i64), HashSet<String>> = HashMap::new();
    for (list, thread, key) in rows {
        let replay = key
            .split('@')
            .next()
            .and_then(|local| local.rsplit_once(".g"))
            .map(|(_, n)| n.to_string())
            .unwrap_or_else(|| panic!("{key} carries no replay"));
        replays.entry((list, thread)).or_default().insert(replay);
    }
    assert!(replays.len() > 100, "{} threads", replays.len());
    for ((list, thread), r) in &replays {
        assert_eq!(r.len(), 1, "thread {thread} of {list} mixes replays {r:?}");
    }
}
