//! Several `larch serve` processes on one PostgreSQL archive: an import through one node's
//! command line while live deliveries arrive through the Mailman 3 archiver API of the
//! other two; every message stored once, threaded as SQLite threads it, and visible (its
//! page and a `msgid:` search) on every node soon after its delivery; a node killed
//! mid-drain and the database unreachable for ten seconds lose nothing.
//!
//! How soon a delivery shows is printed, not asserted (timings are the benchmarks' job;
//! on two shared cores they swing with whatever else runs): each delivery must show on
//! every node within [`SHOWN_WITHIN`], a bound no correct run comes near.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use larch::store::Store;

use super::common::{corpora, free_port, import, list_id, within};
use super::pg;

const LARCH: &str = env!("CARGO_BIN_EXE_larch");
const KEY: &str = "scale-out-archiver-key";
/// How soon after its delivery a message must show on every node, at the latest.
const SHOWN_WITHIN: Duration = Duration::from_secs(30);

/// A child process killed (SIGKILL) when dropped, also when the test fails.
struct Node {
    child: Option<std::process::Child>,
    data: PathBuf,
    port: u16,
    url: String,
}

impl Node {
    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn start(&mut self) {
        std::fs::create_dir_all(&self.data).unwrap();
        std::fs::write(
            self.data.join("larch.toml"),
            format!("archiver_key = \"{KEY}\"\nlive_lists_private = false\n"),
        )
        .unwrap();
        let child = Command::new(LARCH)
            .arg("--data")
            .arg(&self.data)
            .args(["serve", "--listen", &format!("127.0.0.1:{}", self.port)])
            .env("LARCH_DATABASE_URL", &self.url)
            .env("LARCH_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn wait_up(client: &reqwest::Client, base: &str) {
    let t = Instant::now();
    loop {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            return;
        }
        assert!(t.elapsed() < Duration::from_secs(60), "{base} is up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Message `i` of the live list: 5 messages a thread, each replying to the one before.
fn message(i: usize) -> Vec<u8> {
    let (t, k) = (i / 5, i % 5);
    let mut m = format!(
        "From: Sender {k} <s{k}@scale.test>\r\nTo: live@lists.example.org\r\n\
         Message-ID: <t{t}-m{k}@scale.test>\r\nDate: Tue, 1 Dec 2026 {:02}:{:02}:00 +0000\r\n",
        (i / 60) % 24,
        i % 60
    );
    if k == 0 {
        m.push_str(&format!("Subject: Thread {t}\r\n"));
    } else {
        let refs: Vec<String> = (0..k).map(|j| format!("<t{t}-m{j}@scale.test>")).collect();
        m.push_str(&format!(
            "Subject: Re: Thread {t}\r\nIn-Reply-To: <t{t}-m{}@scale.test>\r\nReferences: {}\r\n",
            k - 1,
            refs.join(" ")
        ));
    }
    m.push_str(&format!(
        "\r\nBody of message {k} of thread {t}, zqscale{i}.\r\n"
    ));
    m.into_bytes()
}

fn message_id(i: usize) -> String {
    format!("t{}-m{}@scale.test", i / 5, i % 5)
}

/// Delivers a message through a node's archiver API; the delivery is accepted once the
/// node has it safe in its spool.
async fn deliver(client: &reqwest::Client, base: &str, i: usize) {
    let boundary = "scaleoutb0undary";
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
        .unwrap_or_else(|e| panic!("delivering {i} to {base}: {e}"));
    assert_eq!(r.status().as_u16(), 200, "delivery {i} to {base} accepted");
}

/// Whether message `i` shows on a node: its page, and a `msgid:` search finding it.
async fn visible(client: &reqwest::Client, base: &str, i: usize) -> bool {
    let id = message_id(i);
    let page = client
        .get(format!("{base}/live/m/{id}/"))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success());
    if !page {
        return false;
    }
    let q: String = form_urlencoded::byte_serialize(format!("msgid:<{id}>").as_bytes()).collect();
    match client.get(format!("{base}/search?q={q}")).send().await {
        Ok(r) if r.status().is_success() => {
            r.text().await.is_ok_and(|t| t.contains("data-total=\"1\""))
        }
        _ => false,
    }
}

/// Waits until message `i` shows on every node; how long that took from `since`, and the
/// node it showed on last.
async fn until_visible(
    client: &reqwest::Client,
    bases: &[String],
    i: usize,
    since: Instant,
    limit: Duration,
) -> (Duration, usize) {
    let mut left: Vec<usize> = (0..bases.len()).collect();
    let mut last = 0;
    while !left.is_empty() {
        let mut still = Vec::new();
        for n in left {
            if visible(client, &bases[n], i).await {
                last = n;
            } else {
                still.push(n);
            }
        }
        left = still;
        if !left.is_empty() {
            assert!(
                since.elapsed() < limit,
                "message {i} does not show on {left:?} {:?} after its delivery",
                since.elapsed()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    (since.elapsed(), last)
}

/// Each message of a list with its parent and the set of messages it shares a thread with
/// (the thread numbers themselves follow arrival order).
async fn threading(
    store: &Store,
    list: &str,
) -> (
    BTreeSet<(String, Option<String>)>,
    BTreeSet<BTreeSet<String>>,
) {
    let id = list_id(store, list).await;
    let links: BTreeSet<(String, Option<String>)> =
        store.parent_links(id).await.unwrap().into_iter().collect();
    let mut threads: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in store.dump_list(id).await.unwrap().lines() {
        let Some(rest) = line.strip_prefix("node ") else {
            continue;
        };
        let key = rest.split(' ').next().unwrap_or("").to_string();
        let thread = rest
            .split(' ')
            .find_map(|w| w.strip_prefix("thread="))
            .unwrap_or("")
            .to_string();
        if rest.contains(" hash= ") {
            continue; // a ghost: no message
        }
        threads.entry(thread).or_default().insert(key);
    }
    (links, threads.into_values().collect())
}

async fn wait_stored(store: &Store, list: &str, n: i64, limit: Duration) {
    let t = Instant::now();
    loop {
        let got = store
            .list_summaries()
            .await
            .ok()
            .and_then(|l| l.into_iter().find(|s| s.name == list))
            .map_or(0, |s| s.messages);
        if got >= n {
            assert_eq!(got, n, "{list} holds each message once");
            return;
        }
        assert!(t.elapsed() < limit, "{list} holds {got} of {n} messages");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[test]
fn three_nodes_on_one_database() {
    let Some(root) = corpora() else { return };
    let Some(server) = pg::server() else { return };
    let url = server.fresh_database("scaleout");
    let db_name = url.rsplit('/').next().unwrap_or("").to_string();
    within(Duration::from_secs(600), move || async move {
        let dir = tempfile::tempdir().unwrap();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let mut nodes: Vec<Node> = (1..=3)
            .map(|n| Node {
                child: None,
                data: dir.path().join(format!("node{n}")),
                port: free_port(),
                url: url.clone(),
            })
            .collect();
        // The first start creates the schema; the others find it made.
        nodes[0].start();
        wait_up(&client, &nodes[0].base()).await;
        for n in &mut nodes[1..] {
            n.start();
        }
        for n in &nodes {
            wait_up(&client, &n.base()).await;
        }
        let bases: Vec<String> = nodes.iter().map(Node::base).collect();

        // An import through node 1's command line, while 500 messages are delivered to
        // nodes 2 and 3, eight at a time, each then awaited on all three nodes.
        let uvc = root.join("pipermail/linux-uvc-devel");
        let importing = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let import_run = {
            let importing = importing.clone();
            let data = nodes[0].data.clone();
            let url = url.clone();
            let uvc = uvc.clone();
            tokio::task::spawn_blocking(move || {
                let t = Instant::now();
                let out = Command::new(LARCH)
                    .arg("--data")
                    .arg(&data)
                    .args(["import", "--list", "uvc"])
                    .arg(&uvc)
                    .env("LARCH_DATABASE_URL", &url)
                    .output()
                    .unwrap();
                importing.store(false, std::sync::atomic::Ordering::Release);
                (out, t.elapsed())
            })
        };
        let started = Instant::now();
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut workers = Vec::new();
        for w in 0..8 {
            let (client, bases, next) = (client.clone(), bases.clone(), next.clone());
            let importing = importing.clone();
            workers.push(tokio::spawn(async move {
                let mut seen = Vec::new();
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= 500 {
                        return seen;
                    }
                    // Replies before their parents now and then: arrival order is not
                    // thread order.
                    let i = if i % 10 == 3 {
                        i + 1
                    } else if i % 10 == 4 {
                        i - 1
                    } else {
                        i
                    };
                    let to = &bases[1 + (i + w) % 2];
                    let during = importing.load(std::sync::atomic::Ordering::Acquire);
                    deliver(&client, to, i).await;
                    let at = Instant::now();
                    let (lag, last) = until_visible(&client, &bases, i, at, SHOWN_WITHIN).await;
                    seen.push((lag, i, at.duration_since(started), last + 1, during));
                }
            }));
        }
        let mut lags = Vec::new();
        for w in workers {
            lags.extend(w.await.unwrap());
        }
        let (out, import_took) = import_run.await.unwrap();
        assert!(
            out.status.success(),
            "the import: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        lags.sort();
        let slow: Vec<String> = lags
            .iter()
            .rev()
            .take(5)
            .map(|(lag, i, at, node, _)| format!("{i} at {at:?}: {lag:?}, last on node {node}"))
            .collect();
        eprintln!("slowest: {slow:?}; the import took {import_took:?}");
        for during in [true, false] {
            let l: Vec<Duration> = lags.iter().filter(|x| x.4 == during).map(|x| x.0).collect();
            if l.is_empty() {
                continue;
            }
            let pct = |p: usize| l[(l.len() - 1) * p / 100];
            eprintln!(
                "{} deliveries {}: shown on all three nodes after p50 {:?}, p95 {:?}, max {:?}",
                l.len(),
                if during {
                    "while node 1 imported"
                } else {
                    "after the import"
                },
                pct(50),
                pct(95),
                pct(100)
            );
        }
        assert!(
            lags.iter().filter(|x| !x.4).count() >= 250,
            "most deliveries come after the import"
        );

        // Stored once, threaded as SQLite threads the same messages.
        let shared = Store::open_with(&dir.path().join("reader"), Some(&url))
            .await
            .unwrap();
        wait_stored(&shared, "live", 500, Duration::from_secs(30)).await;
        let lite_dir = tempfile::tempdir().unwrap();
        let lite = Store::open(lite_dir.path()).await.unwrap();
        let mbox: Vec<u8> = (0..500)
            .flat_map(|i| {
                let mut m = b"From scale@test Tue Dec  1 00:00:00 2026\n".to_vec();
                m.extend(message(i).iter().filter(|&&b| b != b'\r'));
                m.push(b'\n');
                m
            })
            .collect();
        let mbox_path = lite_dir.path().join("live.mbox");
        std::fs::write(&mbox_path, mbox).unwrap();
        import(&lite, "live", &[mbox_path]).await;
        import(&lite, "uvc", &[uvc]).await;
        for list in ["live", "uvc"] {
            let (a, b) = (threading(&lite, list).await, threading(&shared, list).await);
            assert_eq!(a.0, b.0, "{list}: parents as on SQLite");
            assert_eq!(a.1, b.1, "{list}: threads as on SQLite");
        }
        assert_eq!(
            lite.dump_list(list_id(&lite, "uvc").await).await.unwrap(),
            shared
                .dump_list(list_id(&shared, "uvc").await)
                .await
                .unwrap(),
            "the imported list is the same archive as on SQLite"
        );

        // A node killed while it drains a burst: what it had accepted is stored once
        // when it comes back.
        let burst: Vec<usize> = (500..600).collect();
        futures::future::join_all(burst.chunks(10).map(|c| {
            let (client, base) = (client.clone(), bases[1].clone());
            let c = c.to_vec();
            async move {
                for i in c {
                    deliver(&client, &base, i).await;
                }
            }
        }))
        .await;
        nodes[1].kill();
        nodes[1].start();
        wait_up(&client, &bases[1]).await;
        wait_stored(&shared, "live", 600, Duration::from_secs(60)).await;

        // The database unreachable for ten seconds: deliveries are still accepted (into
        // the spool), pages answer 503 at once rather than hang, and everything is stored
        // and shown once the database is back.
        let cut = format!(
            "ALTER DATABASE \"{db_name}\" WITH ALLOW_CONNECTIONS false; \
             SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{db_name}'"
        );
        server.admin(&cut).unwrap();
        let outage = Instant::now();
        for i in 600..650 {
            deliver(&client, &bases[2], i).await;
        }
        let t = Instant::now();
        let r = client
            .get(format!("{}/uvc/2008/09/author/", bases[0]))
            .send()
            .await
            .unwrap();
        let waited = t.elapsed();
        assert_eq!(
            r.status().as_u16(),
            503,
            "a page while the database is away"
        );
        assert!(waited < Duration::from_secs(8), "answered in {waited:?}");
        tokio::time::sleep(Duration::from_secs(10).saturating_sub(outage.elapsed())).await;
        server
            .admin(&format!(
                "ALTER DATABASE \"{db_name}\" WITH ALLOW_CONNECTIONS true"
            ))
            .unwrap();
        wait_stored(&shared, "live", 650, Duration::from_secs(60)).await;
        for i in [0, 499, 550, 649] {
            until_visible(&client, &bases, i, Instant::now(), Duration::from_secs(30)).await;
        }
        let (_, threads) = threading(&shared, "live").await;
        assert_eq!(threads.len(), 130, "five messages a thread");
        shared.close().await;
    });
}
