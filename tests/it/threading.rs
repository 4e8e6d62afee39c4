//! Threading against notmuch's expected results for its own corpora.

use std::collections::HashMap;
use std::time::Duration;

use larch::domain::thread::{display_order, keep_placed};
use larch::store::Store;

use crate::common::*;

/// (total messages, subject) of each thread in notmuch's `search` output.
fn oracle_threads(text: &str) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    for line in text.lines().filter(|l| l.starts_with("thread:")) {
        let open = line.find('[').unwrap();
        let close = line[open..].find(']').unwrap() + open;
        let counts = &line[open + 1..close];
        let total: i64 = counts
            .split('/')
            .nth(1)
            .unwrap()
            .split('(')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let rest = &line[close + 1..];
        let subject_start = rest.find("; ").unwrap() + 2;
        let subject = &rest[subject_start..rest.rfind(" (").unwrap()];
        out.push((total, subject.to_string()));
    }
    out
}

#[tokio::test]
async fn notmuch_default_gives_the_24_oracle_threads() {
    let Some(c) = corpora() else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    let s = import(&store, "notmuch", &[c.join("maildir/notmuch/default")]).await;
    let id = list_id(&store, "notmuch").await;
    assert_eq!(s.threads, 24, "{s}");
    let oracle = std::fs::read_to_string(c.join("oracles/notmuch-default-threads.txt")).unwrap();
    let mut want = oracle_threads(&oracle);
    let mut got: Vec<(i64, String)> = store
        .recent_threads(id, 1000)
        .await
        .unwrap()
        .into_iter()
        // notmuch names a thread by its first message's subject without a leading "Re: ".
        .map(|t| {
            (
                t.message_count,
                t.subject
                    .strip_prefix("Re: ")
                    .unwrap_or(&t.subject)
                    .to_string(),
            )
        })
        .collect();
    want.sort();
    got.sort();
    assert_eq!(got, want);
}

/// Pre-order (depth, subject) of a thread's real messages; depth counts real ancestors.
async fn tree_lines(store: &Store, list: i64, key: &str) -> Vec<(usize, String)> {
    let t = store.thread_of(list, key).await.unwrap().expect("thread");
    let nodes = store.thread_nodes(list, t).await.unwrap();
    let subjects: HashMap<String, String> = store
        .thread_messages(list, t)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.mkey, m.subject))
        .collect();
    keep_placed(&display_order(&nodes), |i| nodes[i].real)
        .into_iter()
        .map(|p| (p.depth, subjects[&nodes[p.row].key].clone()))
        .collect()
}

/// The trees notmuch's tree view prints in `notmuch-threading-corpus-expected.txt`, as
/// (depth, subject): depth is the column of the `►` marker.
fn oracle_trees(text: &str) -> Vec<Vec<(usize, String)>> {
    let mut trees = Vec::new();
    let mut cur: Option<Vec<(usize, String)>> = None;
    for line in text.lines() {
        if line.starts_with("cat <<EOF") {
            cur = Some(Vec::new());
            continue;
        }
        if line == "EOF" || line.starts_with("End of search") {
            if let Some(t) = cur.take().filter(|t| !t.is_empty()) {
                trees.push(t);
            }
            continue;
        }
        if let Some(t) = cur.as_mut()
            && let Some(pos) = line.chars().position(|c| c == '►')
        {
            let subject: String = line.chars().skip(pos + 1).collect();
            let subject = subject.trim_end();
            let subject = subject
                .strip_suffix("(inbox unread)")
                .unwrap_or(subject)
                .trim_end();
            // larch shows header text on one line with runs of spaces collapsed.
            t.push((
                pos,
                subject.split_whitespace().collect::<Vec<_>>().join(" "),
            ));
        }
    }
    for t in &mut trees {
        let min = t.iter().map(|(d, _)| *d).min().unwrap_or(0);
        for (d, _) in t.iter_mut() {
            *d -= min;
        }
    }
    trees
}

#[tokio::test]
async fn notmuch_ghost_roots_match_the_oracle_trees() {
    let Some(c) = corpora() else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    import(&store, "t", &[c.join("maildir/notmuch/threading")]).await;
    let id = list_id(&store, "t").await;
    let oracle =
        std::fs::read_to_string(c.join("oracles/notmuch-threading-corpus-expected.txt")).unwrap();
    let want = oracle_trees(&oracle);
    assert_eq!(want.len(), 3, "three tree views in the oracle");
    let roots = [
        "000-real-root@example.org",
        "87bmc6lp3h.fsf@len.workgroup",
        "B00-root@example.org",
    ];
    for (root, want) in roots.iter().zip(want) {
        let got = tree_lines(&store, id, root).await;
        assert_eq!(got, want, "tree of {root}");
    }
}

/// Two messages replying to each other: importing them and laying their thread out both
/// finish within a deadline (run on a thread of their own, so that even a busy loop that
/// never yields to the runtime is caught), and both messages are stored and shown.
#[test]
fn reply_loops_do_not_hang_or_vanish() {
    let Some(c) = corpora() else { return };
    within(Duration::from_secs(30), move || async move {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path()).await;
        let s = import(&store, "b", &[c.join("maildir/notmuch/broken")]).await;
        assert!(s.new >= 2);
        let id = list_id(&store, "b").await;
        let links = store.parent_links(id).await.unwrap();
        assert_eq!(links.len() as u64, s.new);
        // Exactly one of the two loop members ends up a root.
        let loopers: Vec<_> = links.iter().filter(|(m, _)| m.contains("loop")).collect();
        assert_eq!(loopers.len(), 2, "{links:?}");
        assert_eq!(
            loopers.iter().filter(|(_, p)| p.is_none()).count(),
            1,
            "{loopers:?}"
        );
        // The thread's layout shows both, one under the other.
        let lines = tree_lines(&store, id, "mid-loop-12@example.org").await;
        let mut depths: Vec<usize> = lines.iter().map(|(d, _)| *d).collect();
        depths.sort();
        assert_eq!(depths, [0, 1], "{lines:?}");
    });
}
