//! Live delivery into a large list: `larch ingest` latency (the spool write, what the list
//! server waits for), time until the message's page answers with the server running, and
//! the drain rate. The list is linux-mips, or `LARCH_BENCH_COPIES` copies of it with
//! rewritten Message-IDs for a bigger one; each delivery replies to a message of the
//! list, so threading has real threads to load.
//!   LARCH_CORPORA=../shared/corpora [LARCH_BENCH_COPIES=20] cargo bench --bench live

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use larch::ingest::{self, source::Format};
use larch::store::Store;
use larch::store::spool::{Envelope, Privacy, Spool};

#[path = "copies.rs"]
mod copies;

const LARCH: &str = env!("CARGO_BIN_EXE_larch");
const DELIVERIES: usize = 200;
const DRAINED: usize = 5000;

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

fn reply(i: usize, parent: &str, tag: &str) -> Vec<u8> {
    format!(
        "From: Bench <bench@example.org>\nTo: linux-mips@vger.kernel.org\nSubject: Re: bench {tag} {i}\n\
         Message-ID: <bench-{tag}-{i}@example.org>\nIn-Reply-To: <{parent}>\nReferences: <{parent}>\n\
         Date: Mon, 30 Nov 2026 10:00:00 +0000\n\nA reply for the benchmark, number {i}.\n"
    )
    .into_bytes()
}

fn get(client: &Client, path: &str) -> u16 {
    client.status(path)
}

/// A blocking HTTP/1.0 client on one loopback port, enough for polling a status.
struct Client(String);

impl Client {
    fn status(&self, path: &str) -> u16 {
        use std::io::Read;
        let Ok(mut s) = std::net::TcpStream::connect(&self.0) else {
            return 0;
        };
        let _ = write!(s, "GET {path} HTTP/1.0\r\nHost: bench\r\n\r\n");
        let mut head = [0u8; 12];
        if s.read_exact(&mut head).is_err() {
            return 0;
        }
        std::str::from_utf8(&head[9..12])
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(0)
    }
}

fn main() {
    let Some(corpora) = std::env::var_os("LARCH_CORPORA") else {
        eprintln!("set LARCH_CORPORA to the corpora folder");
        return;
    };
    let mbox = Path::new(&corpora).join("mbox/linux-mips-2019-2026.mbox.gz");
    let copies: usize = std::env::var("LARCH_BENCH_COPIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let parents: Vec<String> = rt.block_on(async {
        let store = Store::open(&data).await.unwrap();
        let t = Instant::now();
        let mut total = 0;
        for k in 0..copies {
            let src = if copies == 1 {
                mbox.clone()
            } else {
                let copy = dir.path().join(format!("copy{k}.mbox"));
                copies::write_copy(&mbox, &copy, k);
                copy
            };
            let s = ingest::import(
                &store,
                "linux-mips",
                std::slice::from_ref(&src),
                Format::Auto,
                &(),
            )
            .await
            .unwrap();
            if copies > 1 {
                std::fs::remove_file(&src).unwrap();
            }
            total += s.new;
        }
        println!(
            "list linux-mips: {total} messages ({copies} copies), imported in {:.0} s",
            t.elapsed().as_secs_f64()
        );
        let ids = store
            .list_summaries()
            .await
            .unwrap()
            .first()
            .map(|l| l.messages)
            .unwrap_or(0);
        assert!(ids > 0);
        // Parents spread over the list: the ids of the first message of many threads.
        let recent = store
            .recent_threads(
                store.list_by_name("linux-mips").await.unwrap().unwrap().id,
                DELIVERIES as i64,
            )
            .await
            .unwrap();
        store.close().await;
        recent.into_iter().map(|t| t.root_mkey).collect()
    });
    assert!(!parents.is_empty());

    // The server, its index caught up.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new(LARCH)
        .arg("--data")
        .arg(&data)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("LARCH_LOG", "warn")
        .env("LARCH_LIVE_LISTS_PRIVATE", "false")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let client = Client(format!("127.0.0.1:{port}"));
    let t = Instant::now();
    while get(&client, "/healthz") != 200 {
        std::thread::sleep(Duration::from_millis(50));
    }
    loop {
        let body = {
            use std::io::Read;
            let mut s = std::net::TcpStream::connect(&client.0).unwrap();
            write!(s, "GET /healthz HTTP/1.0\r\n\r\n").unwrap();
            let mut b = String::new();
            let _ = s.read_to_string(&mut b);
            b
        };
        if body.contains("search_lag 0\n") {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    println!(
        "server up, search index caught up in {:.0} s",
        t.elapsed().as_secs_f64()
    );

    let mut spool_times = Vec::new();
    let mut visible_times = Vec::new();
    for i in 0..DELIVERIES {
        let msg = reply(i, &parents[i % parents.len()], "live");
        let t = Instant::now();
        let mut child = Command::new(LARCH)
            .arg("--data")
            .arg(&data)
            .args(["ingest", "--list", "linux-mips"])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(&msg).unwrap();
        assert!(child.wait().unwrap().success());
        spool_times.push(t.elapsed());
        let page = format!("/linux-mips/m/bench-live-{i}@example.org/");
        while get(&client, &page) != 200 {
            assert!(t.elapsed() < Duration::from_secs(30), "{page} never showed");
            std::thread::sleep(Duration::from_millis(5));
        }
        visible_times.push(t.elapsed());
    }
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    let _ = server.wait();

    // The drain rate: deliveries spooled while no server runs, stored by `ingest --drain`.
    let spool = Spool::open(&data).unwrap();
    let envelope = Envelope {
        list: "linux-mips".into(),
        privacy: Privacy::Default,
        via: "bench".into(),
        over_limit: None,
    };
    for i in 0..DRAINED {
        spool
            .put(&envelope, &reply(i, &parents[i % parents.len()], "drain"))
            .unwrap();
    }
    let t = Instant::now();
    let out = Command::new(LARCH)
        .arg("--data")
        .arg(&data)
        .args(["ingest", "--drain"])
        .output()
        .unwrap();
    let drain = t.elapsed();
    assert!(out.status.success());
    print!("{}", String::from_utf8_lossy(&out.stdout));

    spool_times.sort();
    visible_times.sort();
    println!("\n| {DELIVERIES} deliveries, one process each | p50 ms | p99 ms | max ms |");
    println!("|---|---|---|---|");
    for (what, v) in [
        ("`larch ingest` (spooled, exit 0)", &spool_times),
        (
            "delivered to page visible (server draining)",
            &visible_times,
        ),
    ] {
        println!(
            "| {what} | {} | {} | {} |",
            ms(pct(v, 0.5)),
            ms(pct(v, 0.99)),
            ms(pct(v, 1.0))
        );
    }
    println!(
        "\ndrain: {DRAINED} spooled replies stored by `larch ingest --drain` in {:.2} s = {:.0} messages/s",
        drain.as_secs_f64(),
        DRAINED as f64 / drain.as_secs_f64()
    );
}
