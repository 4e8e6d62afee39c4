//! linux-mips at scale: duplicates counted, re-import adds nothing, and an import killed
//! with SIGKILL halfway then re-run ends in exactly the state of an uninterrupted one.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::*;

const LARCH: &str = env!("CARGO_BIN_EXE_larch");

fn run_import(data: &std::path::Path, mbox: &std::path::Path, index: bool) -> String {
    let out = Command::new(LARCH)
        .args(["--data"])
        .arg(data)
        .args(["import", "--list", "linux-mips"])
        .args((!index).then_some("--no-index"))
        .arg(mbox)
        .output()
        .expect("run larch");
    assert!(
        out.status.success(),
        "import failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn dump(data: &std::path::Path) -> String {
    let store = store(data).await;
    let id = list_id(&store, "linux-mips").await;
    let d = store.dump_list(id).await.unwrap();
    store.close().await;
    d
}

async fn message_count(data: &std::path::Path) -> i64 {
    let Ok(store) = larch::store::Store::open(data).await else {
        return 0;
    };
    let n = store
        .list_summaries()
        .await
        .map(|l| l.first().map_or(0, |l| l.messages))
        .unwrap_or(0);
    store.close().await;
    n
}

#[tokio::test]
async fn linux_mips_reimport_and_sigkill_resume() {
    let Some(c) = corpora() else { return };
    let mbox = c.join("mbox/linux-mips-2019-2026.mbox.gz");

    // Uninterrupted import.
    let a = tempfile::tempdir().unwrap();
    let out = run_import(a.path(), &mbox, false);
    eprintln!("{out}");
    assert!(out.contains("read 51564,"), "every message read: {out}");
    assert!(
        out.contains("duplicate 67,") && out.contains("35 reusing a Message-ID"),
        "{out}"
    );
    let out2 = run_import(a.path(), &mbox, false);
    assert!(
        out2.contains("new 0,") && out2.contains("duplicate 51564,"),
        "re-import adds nothing: {out2}"
    );
    let want = dump(a.path()).await;

    // Killed halfway, then re-run.
    let b = tempfile::tempdir().unwrap();
    let mut child = Command::new(LARCH)
        .arg("--data")
        .arg(b.path())
        .args(["import", "--list", "linux-mips"])
        .arg(&mbox)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let mut killed_at = 0;
    while start.elapsed() < Duration::from_secs(600) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let n = message_count(b.path()).await;
        if n >= 20_000 {
            child.kill().unwrap(); // SIGKILL on Unix
            killed_at = n;
            break;
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
    }
    let _ = child.wait();
    assert!(
        killed_at > 0 && killed_at < 51_497,
        "the import was killed midway (at {killed_at})"
    );
    let out3 = run_import(b.path(), &mbox, true);
    eprintln!("resumed after kill at {killed_at}: {out3}");
    let got = dump(b.path()).await;
    if got != want {
        let diff: Vec<_> = want
            .lines()
            .zip(got.lines())
            .filter(|(a, b)| a != b)
            .take(5)
            .collect();
        panic!("state after kill + resume differs from an uninterrupted import: {diff:#?}");
    }

    // The killed import was indexing as it went; the resumed one leaves every stored
    // message searchable, once, with nothing left to apply.
    assert!(
        !a.path().join("search").exists(),
        "`--no-index` leaves the index alone"
    );
    let store = store(b.path()).await;
    let search = larch::search::Search::for_store(&store).unwrap();
    assert_eq!(
        search.doc_count() as i64,
        store.message_count().await.unwrap(),
        "every stored message is in the index once"
    );
    assert_eq!(
        search.lag(&store).await.unwrap(),
        0,
        "nothing left to apply"
    );
    store.close().await;
}

#[test]
fn unreadable_path_fails_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(LARCH)
        .arg("--data")
        .arg(dir.path())
        .args(["import", "--list", "x", "/nonexistent/archive.mbox"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("cannot read /nonexistent/archive.mbox"),
        "{err}"
    );
}
