//! Import throughput and memory: `cargo bench --bench import`.
//!
//! Imports `linux-mips-2019-2026.mbox.gz` from `LARCH_CORPORA` into an empty data
//! directory, end to end (split, parse, store, thread, and the final close that checkpoints
//! the write-ahead log), and prints messages/s and the process's resident memory as the
//! import advances (it must stay flat) and at its peak.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use larch::ingest::{self, Progress, source::Format};
use larch::store::Store;

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

struct Samples {
    start: Instant,
    next: Mutex<u64>,
    rows: Mutex<Vec<(u64, f64, u64)>>,
}

impl Progress for Samples {
    fn tick(&self, read: u64) {
        let mut next = self.next.lock().unwrap();
        if read >= *next {
            *next += 10_000;
            self.rows.lock().unwrap().push((
                read,
                self.start.elapsed().as_secs_f64(),
                status_kb("VmRSS:"),
            ));
        }
    }
}

fn main() {
    let Some(corpora) = std::env::var_os("LARCH_CORPORA").map(PathBuf::from) else {
        eprintln!("SKIPPED: set LARCH_CORPORA to the corpora folder to run the import benchmark");
        return;
    };
    let mbox = corpora.join("mbox/linux-mips-2019-2026.mbox.gz");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let runs: usize = std::env::var("LARCH_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let mut rates = Vec::new();
    println!("| run | messages | seconds | of which the final close | messages/s |");
    println!("|---|---|---|---|---|");
    let mut last_samples = Vec::new();
    for run in 1..=runs {
        let dir = tempfile::tempdir().unwrap();
        let (summary, secs, close, samples) = rt.block_on(async {
            let store = Store::open(dir.path()).await.unwrap();
            let samples = Samples {
                start: Instant::now(),
                next: Mutex::new(10_000),
                rows: Mutex::new(Vec::new()),
            };
            let start = Instant::now();
            let s = ingest::import(
                &store,
                "linux-mips",
                std::slice::from_ref(&mbox),
                Format::Auto,
                &samples,
            )
            .await
            .unwrap();
            let imported = start.elapsed().as_secs_f64();
            // End to end means durable and closed: closing the last connection checkpoints
            // SQLite's write-ahead log into the database file, part of the import's cost.
            store.close().await;
            let secs = start.elapsed().as_secs_f64();
            let wal = std::fs::metadata(dir.path().join("larch.db-wal")).map_or(0, |m| m.len());
            assert_eq!(wal, 0, "the close checkpointed the write-ahead log");
            (s, secs, secs - imported, samples.rows.into_inner().unwrap())
        });
        let rate = summary.read as f64 / secs;
        rates.push(rate);
        println!(
            "| {run} | {} | {secs:.2} | {close:.2} | {rate:.0} |",
            summary.read
        );
        last_samples = samples;
    }
    rates.sort_by(f64::total_cmp);
    println!(
        "\nmedian: {:.0} messages/s over {runs} runs",
        rates[rates.len() / 2]
    );
    println!("\n| messages read | seconds | RSS MB |");
    println!("|---|---|---|");
    for (read, t, rss) in last_samples {
        println!("| {read} | {t:.1} | {:.0} |", rss as f64 / 1024.0);
    }
    println!("\npeak RSS: {:.0} MB", status_kb("VmHWM:") as f64 / 1024.0);
}
