//! Search under hostile input and hard stops: arbitrary query strings (quotes, colons,
//! brackets, huge input, invalid UTF-8 and broken escapes in the URL) never get a 500 and
//! answer in bounded time; and a server killed with SIGKILL while mail is being ingested
//! ends, after a restart, with every stored message findable exactly once.

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

use crate::common::*;
use crate::search::fixture;

const LARCH: &str = env!("CARGO_BIN_EXE_larch");

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
        assert!(took < Duration::from_secs(5), "{url}: {took:?}");
        let text = String::from_utf8_lossy(&body);
        assert!(
            !text.contains("<script>alert"),
            "{url}: query echoed unescaped"
        );
    }
    eprintln!("{} hostile search URLs, slowest {slowest:?}", urls.len());
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A server child process, killed when dropped (also when a test fails).
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill(); // SIGKILL
        let _ = self.0.wait();
    }
}

fn start_server(data: &std::path::Path, port: u16) -> Server {
    Server(
        Command::new(LARCH)
            .arg("--data")
            .arg(data)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("LARCH_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("start larch serve"),
    )
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

/// Delivers a message as an MTA would: exit 75 means "try again later".
fn ingest(data: &std::path::Path, msg: &[u8]) -> usize {
    for attempt in 0..10 {
        let mut child = Command::new(LARCH)
            .arg("--data")
            .arg(data)
            .args(["ingest", "--list", "live"])
            .env("LARCH_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("run larch ingest");
        child.stdin.take().unwrap().write_all(msg).unwrap();
        let status = child.wait().unwrap();
        if status.success() {
            return attempt;
        }
        assert_eq!(status.code(), Some(75), "ingest exited {status}");
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("ingest kept failing");
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
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_path_buf();
    let port = free_port();
    let client = reqwest::Client::new();
    let mut server = Some(start_server(&data, port));
    let mut kills = 0;
    let mut retries = 0;
    for (i, f) in files.iter().enumerate() {
        retries += ingest(&data, &std::fs::read(f).unwrap());
        // Kill the server twice mid-stream (once while it is likely indexing), and
        // start it again later, while ingestion goes on.
        if (i == 70 || i == 160)
            && let Some(s) = server.take()
        {
            drop(s); // SIGKILL
            kills += 1;
        }
        if i == 110 || i == 190 {
            server = Some(start_server(&data, port));
        }
    }
    assert_eq!(kills, 2);
    let t = Instant::now();
    let docs = loop {
        if let Some((0, _)) = health(&client, port).await {
            // Read again once the commit that made the lag 0 is surely visible.
            tokio::time::sleep(Duration::from_millis(300)).await;
            if let Some((0, docs)) = health(&client, port).await {
                break docs;
            }
        }
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "index never caught up"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let store = store(&data).await;
    let ids: Vec<String> = sqlx::query_scalar("SELECT message_id FROM messages ORDER BY id")
        .fetch_all(store.pool())
        .await
        .unwrap();
    assert!(ids.len() >= 230, "most messages stored: {}", ids.len());
    assert_eq!(
        docs as usize,
        ids.len(),
        "one index entry per stored message"
    );
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
        "{} ingested messages ({retries} deliveries retried after exit 75), each found once after 2 SIGKILLs",
        ids.len()
    );
    drop(server);

    // `larch reindex` rebuilds the same index from scratch.
    let out = Command::new(LARCH)
        .arg("--data")
        .arg(&data)
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
    let out = Command::new(LARCH)
        .arg("--data")
        .arg(&data)
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
    let out = Command::new(LARCH)
        .arg("--data")
        .arg(&data)
        .args(["remove", "no-such-message@example.org"])
        .output()
        .expect("run larch remove");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no stored message"));
}
