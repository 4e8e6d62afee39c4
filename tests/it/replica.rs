//! `larch serve` reading its pages from a streaming replica (`--database-read`): mail
//! delivered to the primary shows once the replica has replayed it (its page, a search);
//! the replica stopped, pages never answer 500 and come from the primary, deliveries go on
//! and show; the replica back, pages read from it again.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::common::{free_port, larch_cli, within};
use super::pg;

const LARCH: &str = env!("CARGO_BIN_EXE_larch");
const KEY: &str = "replica-archiver-key";
/// How long a message may take to show, at the latest: far above what a correct run needs.
const SHOWN_WITHIN: Duration = Duration::from_secs(60);

/// The server, killed when dropped (also when the test fails).
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn message(i: usize) -> Vec<u8> {
    format!(
        "From: Sender <s@replica.test>\r\nTo: live@lists.example.org\r\n\
         Message-ID: <m{i}@replica.test>\r\nDate: Tue, 1 Dec 2026 10:{:02}:00 +0000\r\n\
         Subject: Replica message {i}\r\n\r\nBody of message {i}, zqreplica{i}.\r\n",
        i % 60
    )
    .into_bytes()
}

async fn deliver(client: &reqwest::Client, base: &str, i: usize) {
    let boundary = "replicab0undary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"mlist\"\r\n\r\nlive@lists.example.org\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"message\"; filename=\"message.txt\"\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&message(i));
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let r = client
        .post(format!("{base}/api/mailman/archive"))
        .header("Authorization", format!("Token {KEY}"))
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("delivering {i}: {e}"));
    assert_eq!(r.status().as_u16(), 200, "delivery {i} accepted");
}

/// A page's status, which must never be a server error other than 503.
async fn status(client: &reqwest::Client, url: &str) -> u16 {
    let s = match client.get(url).send().await {
        Ok(r) => r.status().as_u16(),
        Err(e) => panic!("GET {url}: {e}"),
    };
    assert!(s < 500 || s == 503, "GET {url} answered {s}");
    s
}

/// Whether message `i` shows: its page, and a search for its word.
async fn visible(client: &reqwest::Client, base: &str, i: usize) -> bool {
    if status(client, &format!("{base}/live/m/m{i}@replica.test/")).await != 200 {
        return false;
    }
    let url = format!("{base}/search?q=zqreplica{i}");
    if status(client, &url).await != 200 {
        return false;
    }
    client
        .get(&url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
        .text()
        .await
        .is_ok_and(|t| t.contains("data-total=\"1\""))
}

async fn until_visible(client: &reqwest::Client, base: &str, messages: std::ops::Range<usize>) {
    let since = Instant::now();
    for i in messages {
        while !visible(client, base, i).await {
            assert!(
                since.elapsed() < SHOWN_WITHIN,
                "message {i} does not show after {:?}",
                since.elapsed()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Sessions of larch's on the standby whose last query read messages (not the write
/// generation that any session reads, a probe's included).
fn page_reads_on_standby(streaming: &pg::Streaming, db: &str) -> usize {
    streaming
        .standby_sql(&format!(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE application_name = 'larch' AND datname = '{db}' \
               AND query LIKE '%FROM messages%'"
        ))
        .map_or(0, |n| n.trim().parse().unwrap_or(0))
}

/// Whether the server's log says that pages read from the replica now: its last word on
/// the replica says so.
fn reading_replica(data: &Path) -> bool {
    let log = std::fs::read_to_string(data.join("serve.log")).unwrap_or_default();
    let last = |words: &[&str]| words.iter().filter_map(|w| log.rfind(w)).max();
    let up = last(&[
        "pages read from the read replica",
        "pages read from it again",
    ]);
    let down = last(&["cannot be read", "set aside"]);
    up.is_some_and(|u| down.is_none_or(|d| u > d))
}

/// Waits until pages read from the replica, asking for pages meanwhile: their reads of the
/// write generation are what try a replica set aside again.
async fn until_reading_replica(client: &reqwest::Client, base: &str, data: &Path) {
    let t = Instant::now();
    while !reading_replica(data) {
        assert!(
            t.elapsed() < SHOWN_WITHIN,
            "pages read from the replica: {}",
            std::fs::read_to_string(data.join("serve.log")).unwrap_or_default()
        );
        status(client, &format!("{base}/live/")).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn start(data: &Path, port: u16, primary: &str, standby: &str) -> Server {
    std::fs::create_dir_all(data).unwrap();
    std::fs::write(
        data.join("larch.toml"),
        format!("archiver_key = \"{KEY}\"\nlive_lists_private = false\n"),
    )
    .unwrap();
    let log = std::fs::File::create(data.join("serve.log")).unwrap();
    Server(
        Command::new(LARCH)
            .arg("--data")
            .arg(data)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--database", primary, "--database-read", standby])
            .env("LARCH_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    )
}

#[test]
fn pages_read_from_a_streaming_replica() {
    let Some(streaming) = pg::streaming() else {
        return;
    };
    let primary = streaming.primary().fresh_database("replica");
    let standby = streaming.standby_url(&primary);
    let db = primary.rsplit('/').next().unwrap_or_default().to_string();
    within(Duration::from_secs(300), move || async move {
        let started = Instant::now();
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("node");
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let _server = start(&data, port, &primary, &standby);
        let t = Instant::now();
        // Connections are refused until it listens.
        while !client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            assert!(t.elapsed() < Duration::from_secs(60), "the server is up");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Just migrated on the primary, the schema may not be on the standby yet: then the
        // server starts on the primary and says so.
        let log = std::fs::read_to_string(data.join("serve.log")).unwrap();
        assert!(
            log.contains("pages read from the read replica 127.0.0.1:")
                || log.contains("pages read from the primary until the read replica 127.0.0.1:"),
            "the server says where pages come from: {log}"
        );

        // Delivered to the primary, shown from the replica once it has replayed them.
        for i in 0..10 {
            deliver(&client, &base, i).await;
        }
        until_visible(&client, &base, 0..10).await;
        until_reading_replica(&client, &base, &data).await;
        until_visible(&client, &base, 0..10).await;
        assert!(
            page_reads_on_standby(&streaming, &db) > 0,
            "pages were read from the standby"
        );

        // The standby stopped: pages come from the primary (never a 500), deliveries go
        // on and show, search included.
        streaming.stop_standby();
        let stopped = Instant::now();
        for i in 0..10 {
            status(&client, &format!("{base}/live/m/m{i}@replica.test/")).await;
        }
        for i in 10..15 {
            deliver(&client, &base, i).await;
        }
        until_visible(&client, &base, 0..15).await;
        assert!(!reading_replica(&data), "the stopped standby was set aside");
        eprintln!(
            "without the standby, 15 messages shown {:?} after it stopped",
            stopped.elapsed()
        );
        assert_eq!(
            status(&client, &format!("{base}/live/")).await,
            200,
            "the list's page without the replica"
        );

        // Back: the server reads from it again once it has caught up.
        streaming.start_standby();
        for i in 15..20 {
            deliver(&client, &base, i).await;
        }
        until_reading_replica(&client, &base, &data).await;
        until_visible(&client, &base, 0..20).await;
        assert!(
            page_reads_on_standby(&streaming, &db) > 0,
            "pages were read from the standby again"
        );
        let log = std::fs::read_to_string(data.join("serve.log")).unwrap_or_default();
        for line in log.lines().filter(|l| l.contains("replica")) {
            eprintln!("{line}");
        }
        eprintln!("replica test took {:?}", started.elapsed());
    });
}

/// A replica of the data directory's SQLite file cannot exist: the server says so
/// rather than ignoring the setting.
#[test]
fn a_read_replica_needs_postgresql() {
    let dir = tempfile::tempdir().unwrap();
    let out = larch_cli(
        dir.path(),
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-read",
            "postgres://127.0.0.1:1/x",
        ],
        b"",
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("SQLite has no replicas"), "{err}");
}
