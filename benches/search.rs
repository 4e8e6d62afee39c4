//! Search: indexing throughput, index size and query latency.
//! `LARCH_CORPORA=../shared/corpora cargo bench --bench search`
//!
//! Imports `linux-mips-2019-2026.mbox.gz` into an empty data directory, rebuilds the
//! index three times (docs/s), compares its size with the raw mail, then serves the
//! archive on a loopback port and times a fixed mix of queries over HTTP, the whole
//! request (query, counts per list and year, store reads, snippets, page): at least 1,000
//! queries one at a time, then 16 clients at once. `LARCH_BENCH_COPIES=20` builds a
//! ~1M-message archive from 20 copies of the file with rewritten Message-IDs instead
//! (one rebuild; needs ~15 GB of disk and ~15 minutes).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use larch::ingest::{self, source::Format};
use larch::search::Search;
use larch::store::Store;

#[path = "copies.rs"]
mod copies;
use copies::write_copy;

fn dir_size(p: &Path) -> u64 {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_size(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The archive's database on its own connection: the bench reads totals the store's API
/// has no call for.
async fn db(store: &Store) -> sqlx::SqlitePool {
    sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(
            sqlx::sqlite::SqliteConnectOptions::new().filename(store.dir().join("larch.db")),
        )
        .await
        .expect("open the database file")
}

fn main() {
    let Some(corpora) = std::env::var_os("LARCH_CORPORA").map(PathBuf::from) else {
        eprintln!("SKIPPED: set LARCH_CORPORA to the corpora folder to run the search benchmark");
        return;
    };
    let mbox = corpora.join("mbox/linux-mips-2019-2026.mbox.gz");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    rt.block_on(async {
        let store = Store::open(dir.path()).await.unwrap();
        let copies: usize = std::env::var("LARCH_BENCH_COPIES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1);
        if copies <= 1 {
            let s = ingest::import(&store, "linux-mips", std::slice::from_ref(&mbox), Format::Auto, &())
                .await
                .unwrap();
            println!("imported {} messages from {}", s.new, mbox.display());
        } else {
            // A bigger archive from the same real mail: each copy's Message-IDs (and the
            // replies' references to them) get their own suffix, so every copy is new mail
            // with the same text, threads and dates.
            let t = Instant::now();
            let mut total = 0;
            for k in 0..copies {
                let copy = dir.path().join(format!("copy{k}.mbox"));
                write_copy(&mbox, &copy, k);
                let s = ingest::import(&store, "linux-mips", std::slice::from_ref(&copy), Format::Auto, &())
                    .await
                    .unwrap();
                std::fs::remove_file(&copy).unwrap();
                total += s.new;
            }
            println!(
                "imported {total} messages: {copies} copies of {} with rewritten Message-IDs ({:.0} s)",
                mbox.display(),
                t.elapsed().as_secs_f64()
            );
        }
        let search = Arc::new(Search::for_store(&store).unwrap());

        println!("\n| rebuild | documents | seconds | documents/s |");
        println!("|---|---|---|---|");
        let mut rates = Vec::new();
        for run in 1..=if copies > 1 { 1 } else { 3 } {
            let t = Instant::now();
            let n = search.rebuild(&store, &|_, _| {}).await.unwrap();
            let secs = t.elapsed().as_secs_f64();
            rates.push(n as f64 / secs);
            println!("| {run} | {n} | {secs:.2} | {:.0} |", n as f64 / secs);
        }
        rates.sort_by(f64::total_cmp);
        println!("\nmedian: {:.0} documents/s", rates[rates.len() / 2]);
        let raw: i64 = sqlx::query_scalar("SELECT SUM(raw_size) FROM messages")
            .fetch_one(&db(&store).await)
            .await
            .unwrap();
        let index = dir_size(&dir.path().join("search"));
        let gz = std::fs::metadata(&mbox).map(|m| m.len()).unwrap_or(0);
        println!(
            "index size: {:.1} MB = {:.0}% of the raw mail ({:.1} MB uncompressed; the .mbox.gz is {:.1} MB)",
            index as f64 / 1e6,
            100.0 * index as f64 / raw as f64,
            raw as f64 / 1e6,
            gz as f64 / 1e6
        );

        // The query mix; the sender is the list's busiest.
        let top_sender: String = sqlx::query_scalar(
            "SELECT lower(from_addr) FROM messages GROUP BY lower(from_addr) ORDER BY COUNT(*) DESC LIMIT 1",
        )
        .fetch_one(&db(&store).await)
        .await
        .unwrap();
        let mix: Vec<(&str, String)> = vec![
            ("common word", "kernel".into()),
            ("rare word", "loongson3_cpufreq".into()),
            ("phrase", "\"device tree\"".into()),
            ("from:", format!("from:{top_sender}")),
            ("date range", "date:2021-03..2021-08".into()),
            ("list: + words", "list:linux-mips irq chip".into()),
            ("many results, by date", "mips&o=new".into()),
        ];
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = larch::web::router_with(store.clone(), search.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        let client = reqwest::Client::new();
        let urls: Vec<(&str, String)> = mix
            .iter()
            .map(|(k, q)| {
                let (q, extra) = q.split_once('&').map_or((q.as_str(), ""), |(a, b)| (a, b));
                let extra = if extra.is_empty() { String::new() } else { format!("&{extra}") };
                (*k, format!("http://{addr}/search?q={}{extra}", enc(q)))
            })
            .collect();
        let mut totals = BTreeMap::new();
        for (k, u) in &urls {
            let page = client.get(u).send().await.unwrap().text().await.unwrap();
            let total = page
                .split("data-total=\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .unwrap_or("?")
                .to_string();
            totals.insert(*k, total);
        }

        // The index alone (query, top 20, counts), without the page around it.
        let lists: std::collections::HashMap<String, Option<i64>> = [(
            "linux-mips".to_string(),
            store.list_by_name("linux-mips").await.unwrap().map(|l| l.id),
        )]
        .into();
        println!("\nindex only (Search::run: top 20 + counts per list and year), 150 runs each:\n");
        println!("| query | p50 ms | p99 ms |");
        println!("|---|---|---|");
        for (k, q) in &mix {
            let (q, order) = match q.split_once('&') {
                Some((q, _)) => (q, larch::search::Order::Newest),
                None => (q.as_str(), larch::search::Order::Relevance),
            };
            let parsed = larch::search::query::parse(q);
            let mut v = Vec::new();
            for _ in 0..150 {
                let t = Instant::now();
                let f = search
                    .run(&larch::search::Request {
                        parsed: &parsed,
                        lists: &lists,
                        visible: None,
                        scope: None,
                        order,
                        offset: 0,
                        limit: 20,
                    })
                    .unwrap();
                std::hint::black_box(f.total);
                v.push(t.elapsed());
            }
            v.sort();
            println!("| {k} | {} | {} |", ms(pct(&v, 0.5)), ms(pct(&v, 0.99)));
        }

        // One client, 1,050 queries (150 rounds of the mix).
        let mut per_kind: BTreeMap<&str, Vec<Duration>> = BTreeMap::new();
        let mut all = Vec::new();
        for _ in 0..150 {
            for (k, u) in &urls {
                let t = Instant::now();
                let r = client.get(u).send().await.unwrap();
                assert_eq!(r.status(), 200);
                let _ = r.bytes().await.unwrap();
                let d = t.elapsed();
                per_kind.entry(*k).or_default().push(d);
                all.push(d);
            }
        }
        println!("\none client, {} queries:\n", all.len());
        println!("| query | results | p50 ms | p99 ms |");
        println!("|---|---|---|---|");
        for (k, _) in &mix {
            let v = per_kind.get_mut(k).unwrap();
            v.sort();
            println!("| {k} | {} | {} | {} |", totals[k], ms(pct(v, 0.5)), ms(pct(v, 0.99)));
        }
        all.sort();
        println!("| **all** | | **{}** | **{}** |", ms(pct(&all, 0.5)), ms(pct(&all, 0.99)));

        // 16 clients at once, each running the mix 70 times (1,120 queries).
        let urls = Arc::new(urls);
        let t = Instant::now();
        let mut tasks = Vec::new();
        for c in 0..16 {
            let urls = urls.clone();
            let client = client.clone();
            tasks.push(tokio::spawn(async move {
                let mut v = Vec::new();
                for i in 0..70 {
                    let (_, u) = &urls[(c + i) % urls.len()];
                    let t = Instant::now();
                    let r = client.get(u).send().await.unwrap();
                    let _ = r.bytes().await.unwrap();
                    v.push(t.elapsed());
                }
                v
            }));
        }
        let mut conc = Vec::new();
        for t in tasks {
            conc.extend(t.await.unwrap());
        }
        let wall = t.elapsed().as_secs_f64();
        conc.sort();
        println!(
            "\n16 clients, {} queries: {:.0} queries/s, p50 {} ms, p99 {} ms",
            conc.len(),
            conc.len() as f64 / wall,
            ms(pct(&conc, 0.5)),
            ms(pct(&conc, 0.99))
        );
    });
}
