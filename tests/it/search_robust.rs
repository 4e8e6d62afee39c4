//! Search under hostile input and hard stops: arbitrary query strings (quotes, colons,
//! brackets, huge input, invalid UTF-8 and broken escapes in the URL) never get a 500 and
//! answer in bounded time; and servers and deliveries killed with SIGKILL while mail is
//! being ingested (inside an index commit, inside a store transaction) end, after a restart,
//! with exactly the delivered messages stored, each findable exactly once.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

use crate::common::*;
use crate::search::fixture;

fn query_string() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("\"".to_string()),
        Just(":".to_string()),
        Just("(".to_string()),
        Just(")".to_string()),
        Just("-".to_string()),
        Just(" OR ".to_string()),
        Just(" AND ".to_string()),
        Just("NOT ".to_string()),
        Just("from:".to_string()),
        Just("subject:".to_string()),
        Just("body:".to_string()),
        Just("list:".to_string()),
        Just("msgid:".to_string()),
        Just("has:".to_string()),
        Just("date:".to_string()),
        Just("after:".to_string()),
        Just("before:".to_string()),
        Just("..".to_string()),
        Just("2016-13-45".to_string()),
        Just("99999".to_string()),
        Just("*".to_string()),
        Just("\\".to_string()),
        Just("<script>alert(1)</script>".to_string()),
        Just("日本語".to_string()),
        Just("\u{202e}".to_string()),
        Just("\u{0}".to_string()),
        Just(" ".to_string()),
        Just("video".to_string()),
        "[a-z]{1,8}",
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..30).prop_map(|v| v.concat())
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arbitrary_queries_never_fail() {
    let Some(fx) = fixture(&[("uvc", "pipermail/linux-uvc-devel", false)]).await else {
        return;
    };
    let client = reqwest::Client::new();
    let mut urls: Vec<String> = [
        "q=%FF%FE%FD",
        "q=%C0%80",
        "q=%",
        "q=%zz%2",
        "q=video&p=-1",
        "q=video&p=99999999999999999999999",
        "q=video&o=%3Cscript%3E&t=maybe&x=nonsense",
        "q&q&q=&=&&",
        "q=video&x=mbox&o=old",
        "q=%22%22%22&x=atom",
        "q=list%3Anope",
        "",
    ]
    .iter()
    .map(|q| format!("/search?{q}"))
    .collect();
    urls.push(format!("/search?q={}", "(".repeat(20_000)));
    urls.push(format!("/search?q={}", enc(&"video OR ".repeat(5_000))));
    urls.push(format!("/search?q={}", enc(&"\"a".repeat(10_000))));
    urls.push(format!("/uvc/search?q={}", enc(&"x".repeat(60_000))));
    let mut runner = TestRunner::deterministic();
    let strategy = query_string();
    for _ in 0..400 {
        let q = strategy.new_tree(&mut runner).unwrap().current();
        urls.push(format!("/search?q={}", enc(&q)));
        urls.push(format!("/uvc/search?q={}&o=new&t=1", enc(&q)));
    }
    let mut slowest = Duration::ZERO;
    for url in &urls {
        let t = Instant::now();
        let r = client
            .get(format!("{}{url}", fx.base))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body = r.bytes().await.unwrap();
        let took = t.elapsed();
        slowest = slowest.max(took);
        assert!(status == 200 || status == 400, "{url}: status {status}");
        // A hang detector, not a speed check (the benches measure speed): generous enough
        // for a machine busy with other builds.
        assert!(took < Duration::from_secs(30), "{url}: {took:?}");
        let text = String::from_utf8_lossy(&body);
        assert!(
            !text.contains("<script>alert"),
            "{url}: query echoed unescaped"
        );
    }
    eprintln!("{} hostile search URLs, slowest {slowest:?}", urls.len());
}

/// A server child process, killed when dropped (also when a test fails). Its standard
/// error is read line by line on a thread of its own and passed on as it comes.
struct Server {
    child: Child,
    stderr: std::sync::mpsc::Receiver<String>,
}

impl Server {
    /// Waits (up to 30 s) for the server to write `line` on its standard error.
    fn wait_for_line(&self, line: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(l) if l.contains(line) => return,
                Ok(l) => seen.push(l),
                Err(e) => panic!("the server never said {line:?} ({e}); it said {seen:#?}"),
            }
        }
    }

    /// SIGKILL, and the wait that reaps the process.
    fn kill(mut self) {
        self.child.kill().expect("SIGKILL the server");
        let status = self.child.wait().expect("reap the server");
        assert!(status.code().is_none(), "the server had exited: {status}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill(); // SIGKILL
        let _ = self.child.wait();
    }
}

/// Starts `larch serve`; `pause_at` names a point where it is to stop for a kill (see
/// `larch::pause`).
fn start_server(data: &std::path::Path, port: u16, pause_at: Option<&str>) -> Server {
    let mut cmd = larch_command(data);
    cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("LARCH_LOG", "warn")
        .env_remove("LARCH_TEST_PAUSE_AT")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(point) = pause_at {
        cmd.env("LARCH_TEST_PAUSE_AT", point);
    }
    let mut child = cmd.spawn().expect("start larch serve");
    let err = child.stderr.take().expect("server stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    Server { child, stderr: rx }
}

async fn health(client: &reqwest::Client, port: u16) -> Option<(i64, u64)> {
    let text = client
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let field = |name: &str| -> Option<String> {
        text.lines()
            .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()))
    };
    Some((
        field("search_lag")?.parse().ok()?,
        field("search_docs")?.parse().ok()?,
    ))
}

/// Waits (up to 60 s) until the server's index has applied every queued change and holds
/// `docs` entries.
async fn wait_indexed(client: &reqwest::Client, port: u16, docs: u64) {
    let t = Instant::now();
    loop {
        if let Some((0, n)) = health(client, port).await
            && n == docs
        {
            return;
        }
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "index never caught up: {:?}, wanted lag 0 and {docs} entries",
            health(client, port).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Delivers a message as an MTA would; the spool takes it whatever the server is doing.
/// The list is public (a list first seen live is private otherwise, and not searchable).
fn ingest(data: &std::path::Path, msg: &[u8]) {
    let mut child = larch_command(data)
        .args(["ingest", "--list", "live", "--public"])
        .env("LARCH_LOG", "warn")
        .env_remove("LARCH_TEST_PAUSE_AT")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("run larch ingest");
    child.stdin.take().unwrap().write_all(msg).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "ingest exited {status}");
}

fn spool_depth(data: &std::path::Path) -> usize {
    std::fs::read_dir(data.join("spool/new"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// The Message-ID of a message file, read from its header independently of larch.
fn header_message_id(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let head = text.split("\n\n").next().unwrap_or("");
    let line = head
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
        .expect("a Message-ID header");
    let open = line.find('<').expect("<") + 1;
    let close = line[open..].find('>').expect(">") + open;
    line[open..close].to_string()
}

async fn stored_ids(data: &std::path::Path) -> Vec<String> {
    let store = store(data).await;
    let db = db(&store).await;
    let ids = sqlx::query_scalar(db.sql("SELECT message_id FROM messages ORDER BY id"))
        .fetch_all(&*db)
        .await
        .unwrap();
    store.close().await;
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_while_ingesting_loses_and_doubles_nothing() {
    let Some(c) = corpora() else { return };
    let mut files: Vec<_> = std::fs::read_dir(c.join("messages/spamassassin/easy-ham-1"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    files.truncate(240);
    let messages: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    let delivered: BTreeSet<String> = messages.iter().map(|m| header_message_id(m)).collect();
    assert_eq!(delivered.len(), 240, "240 messages, each with its own id");
    // A message that asks not to be archived (`X-No-Archive`) is delivered and not stored.
    let archived = |upto: usize| {
        messages[..upto]
            .iter()
            .filter(|m| !larch::ingest::asks_not_to_be_archived(m))
            .map(|m| header_message_id(m))
            .collect::<BTreeSet<String>>()
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_path_buf();
    let port = free_port();
    let client = reqwest::Client::new();

    // A server drains and indexes the first 60 messages as they arrive, then is killed
    // (idle).
    let server = start_server(&data, port, None);
    for m in &messages[..60] {
        ingest(&data, m);
    }
    wait_indexed(&client, port, archived(60).len() as u64).await;
    server.kill();

    // The next server stops inside its first index commit, its segments written and the
    // commit not recorded, and is killed there while deliveries go on.
    let mut paused = Some(start_server(&data, port, Some("index-commit")));
    for (i, m) in messages.iter().enumerate().take(120).skip(60) {
        ingest(&data, m);
        if i == 90 {
            let server = paused.take().expect("the second server");
            server.wait_for_line("paused at index-commit");
            // Still the index of the first server: the paused commit never landed.
            let store = store(&data).await;
            let search = larch::search::Search::for_store(&store).unwrap();
            assert_eq!(
                search.doc_count(),
                archived(60).len() as u64,
                "the interrupted commit is not visible"
            );
            assert!(search.lag(&store).await.unwrap() > 0);
            drop(search);
            store.close().await;
            server.kill();
        }
    }
    assert!(paused.is_none());

    // With no server running, deliveries wait in the spool. The next server is killed
    // inside its drain's store transaction: nothing of that batch is stored, every file
    // is still in the spool.
    for m in &messages[120..180] {
        ingest(&data, m);
    }
    let waiting = spool_depth(&data);
    assert!(waiting >= 60, "{waiting} deliveries wait");
    let stored_before = stored_ids(&data).await.len();
    let server = start_server(&data, port, Some("store-batch"));
    server.wait_for_line("paused at store-batch");
    server.kill();
    assert_eq!(
        spool_depth(&data),
        waiting,
        "the killed drain removed no file"
    );
    assert_eq!(stored_ids(&data).await.len(), stored_before);

    // A last server drains it all while the rest arrives.
    let server = start_server(&data, port, None);
    for m in &messages[180..] {
        ingest(&data, m);
    }
    wait_indexed(&client, port, archived(240).len() as u64).await;
    assert_eq!(spool_depth(&data), 0);

    let ids = stored_ids(&data).await;
    let store = store(&data).await;
    let stored: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(ids.len(), stored.len(), "no message stored twice");
    assert_eq!(
        stored,
        archived(240),
        "exactly the delivered messages are stored, but those asking not to be"
    );
    let db = db(&store).await;
    let rejects: i64 = sqlx::query_scalar(db.sql("SELECT COUNT(*) FROM rejects"))
        .fetch_one(&*db)
        .await
        .unwrap();
    assert_eq!(rejects, 0);
    for id in &ids {
        let q = enc(&format!("msgid:<{id}>"));
        let page = client
            .get(format!("http://127.0.0.1:{port}/search?q={q}"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("data-total=\"1\""),
            "message {id} is not found exactly once"
        );
    }
    eprintln!(
        "{} delivered messages, each found once after a server killed idle, one killed in its index commit and one killed in its drain's store transaction",
        ids.len()
    );
    drop(server);

    // `larch reindex` rebuilds the same index from scratch.
    let out = larch_command(&data)
        .arg("reindex")
        .output()
        .expect("run larch reindex");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains(&format!("indexed {} messages", ids.len())),
        "reindex said: {said}"
    );
    let search = larch::search::Search::for_store(&store).unwrap();
    assert_eq!(search.doc_count() as usize, ids.len());
    assert_eq!(search.lag(&store).await.unwrap(), 0);
    drop(search);

    // `larch remove` hides a message and, with no server running, updates the index itself.
    let out = larch_command(&data)
        .args(["remove", &format!("<{}>", ids[0])])
        .output()
        .expect("run larch remove");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let search = larch::search::Search::for_store(&store).unwrap();
    assert_eq!(search.doc_count() as usize, ids.len() - 1);
    let out = larch_command(&data)
        .args(["remove", "no-such-message@example.org"])
        .output()
        .expect("run larch remove");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no stored message"));
}
