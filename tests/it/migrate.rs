//! `larch migrate-store`: an archive copied from SQLite to PostgreSQL and back must be the
//! same archive at every step (every list's canonical dump, every table's rows and digest),
//! including what the triggers write (the search queue, the change log) and the counters
//! that number the next rows; an interrupted copy resumes; a target holding another archive
//! is refused and left alone.

use std::time::{Duration, Instant};

use larch::store::{CopyReport, Removal, Store};

use super::common::{corpora, import, larch_cli, list_id, sqlite_db, store, within};
use super::pg;

/// A pipermail archive (numbers, scrubbed attachments) and a notmuch maildir (threading
/// edge cases, duplicates): 7,000 messages, enough for every table to take several batches.
const LISTS: &[(&str, &str)] = &[
    ("uvc", "pipermail/linux-uvc-devel"),
    ("notmuch", "maildir/notmuch"),
];

/// What must be equal between an archive and its copy.
struct State {
    dumps: Vec<(String, String)>,
    digests: Vec<(String, u64, [u8; 32])>,
}

async fn state(store: &Store) -> State {
    let mut dumps = Vec::new();
    for l in store.all_lists().await.unwrap() {
        dumps.push((l.name.clone(), store.dump_list(l.id).await.unwrap()));
    }
    State {
        dumps,
        digests: store.table_digests().await.unwrap(),
    }
}

fn assert_same(what: &str, a: &State, b: &State) {
    let names = |s: &State| s.dumps.iter().map(|d| d.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(a), names(b), "{what}: the lists");
    for ((name, x), (_, y)) in a.dumps.iter().zip(&b.dumps) {
        if x != y {
            let (l, r) = x
                .lines()
                .zip(y.lines())
                .find(|(l, r)| l != r)
                .unwrap_or(("(shorter)", "(shorter)"));
            panic!("{what}: {name}'s canonical dump differs:\n  archive: {l}\n  copy:    {r}");
        }
    }
    assert_eq!(a.digests.len(), b.digests.len(), "{what}: the tables");
    for (x, y) in a.digests.iter().zip(&b.digests) {
        assert_eq!(x, y, "{what}: table {} (rows, SHA-256)", x.0);
    }
}

fn rows(s: &State, table: &str) -> u64 {
    s.digests
        .iter()
        .find(|d| d.0 == table)
        .unwrap_or_else(|| panic!("no table {table}"))
        .1
}

fn table<'a>(r: &'a CopyReport, name: &str) -> &'a larch::store::TableCopy {
    r.tables
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("{name} is not in the report"))
}

/// Copies `from` into `to` until `stop` (told each table, its rows done and its total)
/// says to stop: the copy's future is then dropped where it stands, inside a transaction
/// or between two, as a killed process stops. `None` when it was stopped.
async fn copy_until(
    from: &Store,
    to: &Store,
    stop: impl Fn(&str, u64, u64) -> bool + Sync,
) -> Option<CopyReport> {
    let halt = tokio::sync::Notify::new();
    let progress = |t: &str, done: u64, total: u64| {
        if stop(t, done, total) {
            halt.notify_one();
        }
    };
    tokio::select! {
        r = from.copy_into(to, &progress) => Some(r.expect("copy")),
        () = halt.notified() => None,
    }
}

/// The same write on the archive and on each copy must give the same new numbers: the
/// identities and counters went on from the source's.
async fn same_next_numbers(stores: &[&Store], victim: &str) {
    let mut seen = Vec::new();
    for s in stores {
        assert!(matches!(
            s.remove_message(victim, false).await.unwrap(),
            Removal::Done(_)
        ));
        assert!(s.add_user("later", "$argon2id$x", false).await.unwrap());
        let user = s.password_hash("later").await.unwrap().unwrap().0;
        let id = list_id(s, "uvc").await;
        let head = s.changes_head().await.unwrap();
        let last: Vec<_> = s
            .changes_after(id, head - 1, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|c| (c.seq, c.mkey, c.kind.as_str()))
            .collect();
        seen.push((s.search_queue_head().await.unwrap(), user, head, last));
    }
    for other in &seen[1..] {
        assert_eq!(
            &seen[0], other,
            "the next numbers (search queue, user, change log)"
        );
    }
}

#[test]
fn archive_moves_to_postgresql_and_back() {
    let Some(root) = corpora() else { return };
    let Some(server) = pg::server() else { return };
    let url = server.fresh_database("migrate");
    let url2 = server.fresh_database("migrate_resumed");
    within(Duration::from_secs(1500), move || async move {
        let src_dir = tempfile::tempdir().unwrap();
        let src = Store::open(src_dir.path()).await.unwrap();
        let t = Instant::now();
        for (name, rel) in LISTS {
            import(&src, name, &[root.join(rel)]).await;
        }
        eprintln!(
            "imported {} messages in {:.1} s",
            src.message_count().await.unwrap(),
            t.elapsed().as_secs_f64()
        );

        // Rows for the tables an import leaves empty, and the awkward values.
        let uvc = list_id(&src, "uvc").await;
        src.add_alias(uvc, "linux-uvc-devel").await.unwrap();
        assert!(
            src.add_user("reader", "$argon2id$v=19$x", false)
                .await
                .unwrap()
        );
        src.set_grants("reader", &["uvc".to_string()], true)
            .await
            .unwrap();
        assert!(src.set_feed_token("reader", Some(&[9; 32])).await.unwrap());
        let reader = src.password_hash("reader").await.unwrap().unwrap().0;
        src.create_session(&[7; 32], reader, "form-token", 86_400)
            .await
            .unwrap();
        let latest = src.latest_messages(uvc, 2).await.unwrap();
        let mut batch = src.begin().await.unwrap();
        // PostgreSQL cannot store a NUL character in text.
        batch
            .insert_reject(uvc, "test.mbox", 0, "a NUL \0 in the reason", b"raw bytes")
            .await
            .unwrap();
        batch
            .set_pipermail_attachment(uvc, "2009-May/attachment-0001.bin", latest[1].id, 0)
            .await
            .unwrap();
        batch.commit().await.unwrap();
        let (victim, victim2) = (latest[0].mkey.clone(), latest[1].mkey.clone());
        assert!(matches!(
            src.remove_message(&victim, false).await.unwrap(),
            Removal::Done(_)
        ));
        let raw = sqlite_db(&src).await;
        // Text that is not UTF-8 (damage to the file) is copied with U+FFFD.
        sqlx::query(
            "UPDATE messages SET source = CAST(X'626164FF' AS TEXT)
             WHERE id = (SELECT MIN(id) FROM messages)",
        )
        .execute(&raw)
        .await
        .unwrap();
        // A queue pruned at its end leaves the AUTOINCREMENT counter ahead of its rows: the
        // next entry must not reuse the number.
        sqlx::query("DELETE FROM search_queue WHERE seq = (SELECT MAX(seq) FROM search_queue)")
            .execute(&raw)
            .await
            .unwrap();
        raw.close().await;
        let original = state(&src).await;
        for (name, n, _) in &original.digests {
            assert!(
                *n > 0,
                "the archive's {name} is empty: the test would not copy it"
            );
        }
        assert!(
            original.dumps.iter().any(|(_, d)| d.contains("thread ")),
            "threads"
        );

        // SQLite to PostgreSQL in one run.
        let pg_dir = tempfile::tempdir().unwrap();
        let pg = Store::open_with(pg_dir.path(), Some(&url)).await.unwrap();
        let t = Instant::now();
        let report = src.copy_into(&pg, &|_, _, _| {}).await.unwrap();
        eprintln!(
            "SQLite to PostgreSQL: {} rows in {:.1} s",
            report.tables.iter().map(|t| t.copied).sum::<u64>(),
            t.elapsed().as_secs_f64()
        );
        assert_eq!(report.nul_replaced, 1, "{report:?}");
        assert_eq!(report.damaged_text, 1, "{report:?}");
        for t in &report.tables {
            assert_eq!((t.resumed, t.copied), (0, t.rows), "{}", t.name);
        }
        assert_same("SQLite to PostgreSQL", &original, &state(&pg).await);

        // Back from PostgreSQL into a new data directory, through the command.
        let back_dir = tempfile::tempdir().unwrap();
        let back_path = back_dir.path().join("back");
        let t = Instant::now();
        let out = larch_cli(
            pg_dir.path(),
            &[
                "--database",
                &url,
                "migrate-store",
                "--to",
                back_path.to_str().unwrap(),
            ],
            b"",
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stdout}\n{stderr}");
        eprintln!(
            "PostgreSQL to SQLite (the command): {:.1} s",
            t.elapsed().as_secs_f64()
        );
        for t in ["lists", "messages", "nodes", "changes"] {
            assert!(
                stdout
                    .lines()
                    .any(|l| l.trim_start().starts_with(&format!("{t}: "))),
                "progress of {t}:\n{stdout}"
            );
        }
        assert!(stdout.contains("verified"), "{stdout}");
        let back = Store::open(&back_path).await.unwrap();
        assert_same("PostgreSQL to SQLite", &original, &state(&back).await);

        // Another archive as the target: refused, and left as it was.
        let other_dir = tempfile::tempdir().unwrap();
        let out = larch_cli(other_dir.path(), &["list-set", "other"], b"");
        assert!(out.status.success(), "{out:?}");
        let before = state(&Store::open(other_dir.path()).await.unwrap()).await;
        let out = larch_cli(
            src_dir.path(),
            &["migrate-store", "--to", other_dir.path().to_str().unwrap()],
            b"",
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{out:?}");
        assert!(stderr.contains("not a copy of this one"), "{stderr}");
        let after = state(&Store::open(other_dir.path()).await.unwrap()).await;
        assert_same("the refused target", &before, &after);

        // Interrupted in the middle of the nodes, then inside the last transaction (the
        // change log), then resumed to the end.
        let pg2_dir = tempfile::tempdir().unwrap();
        let pg2 = Store::open_with(pg2_dir.path(), Some(&url2)).await.unwrap();
        let stopped = copy_until(&src, &pg2, |t, done, total| {
            t == "nodes" && done * 2 >= total && done < total
        })
        .await;
        assert!(stopped.is_none(), "the first run was to be interrupted");
        let partial = state(&pg2).await;
        let nodes = rows(&partial, "nodes");
        assert!(
            nodes > 0 && nodes < rows(&original, "nodes"),
            "{nodes} nodes copied before the interruption"
        );
        assert_eq!(
            rows(&partial, "messages"),
            rows(&original, "messages"),
            "the tables before the nodes are whole"
        );
        let stopped = copy_until(&src, &pg2, |t, done, _| t == "changes" && done > 0).await;
        assert!(stopped.is_none(), "the second run was to be interrupted");
        let report = copy_until(&src, &pg2, |_, _, _| false)
            .await
            .expect("the last run ends");
        for t in report.tables.iter().filter(|t| t.name != "generation") {
            if ["search_queue", "changes"].contains(&t.name.as_str()) {
                assert_eq!((t.resumed, t.copied), (0, t.rows), "{}", t.name);
            } else {
                assert_eq!((t.resumed, t.copied), (t.rows, 0), "{}", t.name);
            }
        }
        assert_same(
            "resumed SQLite to PostgreSQL",
            &original,
            &state(&pg2).await,
        );

        // Each copy goes on numbering where the archive does.
        same_next_numbers(&[&src, &pg, &back, &pg2], &victim2).await;
        for s in [src, pg, back, pg2] {
            s.close().await;
        }
    });
}

/// The whole linux-mips list (51,564 messages, patches, duplicates), through the command
/// both ways: SQLite to PostgreSQL to a new SQLite archive, identical at each step.
#[test]
fn linux_mips_moves_to_postgresql_and_back() {
    let Some(root) = corpora() else { return };
    let Some(server) = pg::server() else { return };
    let url = server.fresh_database("migrate_mips");
    within(Duration::from_secs(1500), move || async move {
        let tmp = tempfile::tempdir().unwrap();
        let (src_dir, pg_dir, back_dir) = (
            tmp.path().join("src"),
            tmp.path().join("pg"),
            tmp.path().join("back"),
        );
        let mbox = root.join("mbox/linux-mips-2019-2026.mbox.gz");
        let run = |data: &std::path::Path, args: &[&str]| {
            let t = Instant::now();
            let out = larch_cli(data, args, b"");
            assert!(
                out.status.success(),
                "larch {args:?}: {}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            eprintln!("larch {}: {:.1} s", args[0], t.elapsed().as_secs_f64());
        };
        run(
            &src_dir,
            // The search index is not the store's: nothing here copies it.
            &[
                "import",
                "--no-index",
                "--list",
                "linux-mips",
                mbox.to_str().unwrap(),
            ],
        );
        run(&src_dir, &["migrate-store", "--to", &url]);
        run(
            &pg_dir,
            &[
                "--database",
                &url,
                "migrate-store",
                "--to",
                back_dir.to_str().unwrap(),
            ],
        );
        let src = Store::open(&src_dir).await.unwrap();
        let original = state(&src).await;
        assert!(
            rows(&original, "messages") > 50_000,
            "the whole list was imported"
        );
        // The command verified the copy in PostgreSQL itself (row counts and digests of
        // every table); what came back is compared here.
        let back = Store::open(&back_dir).await.unwrap();
        assert_same("linux-mips back in SQLite", &original, &state(&back).await);
        for s in [src, back] {
            s.close().await;
        }
    });
}

/// Without PostgreSQL or the corpora: between two SQLite archives a copy refuses another
/// archive's data directory, and running it again over a finished copy changes nothing.
#[test]
fn copy_refuses_another_archive_and_reruns_over_its_own() {
    within(Duration::from_secs(120), || async {
        let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
        let src = store(dirs[0].path()).await;
        let (a, _) = src.ensure_list("a", true).await.unwrap();
        src.add_alias(a.id, "alpha").await.unwrap();
        assert!(src.add_user("reader", "$argon2id$x", true).await.unwrap());

        let other = store(dirs[1].path()).await;
        other.ensure_list("b", false).await.unwrap();
        let before = state(&other).await;
        let refused = src.copy_into(&other, &|_, _, _| {}).await;
        let Err(e) = refused else {
            panic!("another archive was taken as a target")
        };
        assert!(e.to_string().contains("first row of lists differs"), "{e}");
        assert_same("the refused target", &before, &state(&other).await);

        let copy = store(dirs[2].path()).await;
        let seen = std::sync::Mutex::new(Vec::new());
        src.copy_into(&copy, &|t, done, total| {
            seen.lock().unwrap().push((t.to_string(), done, total))
        })
        .await
        .unwrap();
        let seen = seen.into_inner().unwrap();
        assert!(seen.contains(&("lists".into(), 1, 1)), "{seen:?}");
        assert!(seen.contains(&("users".into(), 1, 1)), "{seen:?}");
        let original = state(&src).await;
        assert_same("SQLite to SQLite", &original, &state(&copy).await);
        let again = src.copy_into(&copy, &|_, _, _| {}).await.unwrap();
        assert_eq!(table(&again, "lists").resumed, 1);
        assert_eq!(table(&again, "lists").copied, 0);
        assert_same("copied twice", &original, &state(&copy).await);
    });
}
