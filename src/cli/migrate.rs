//! `larch migrate-store --to TARGET`: copies the archive this process opened (`--data`,
//! `--database`) into another database, SQLite or PostgreSQL, then proves the copy by
//! comparing every table's rows and digest on both sides. An interrupted run is resumed by
//! running the command again.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;

use crate::config::{self, WriteLock};
use crate::store::Store;

/// Whether the target names a PostgreSQL database rather than a data directory.
fn is_url(to: &str) -> bool {
    to.starts_with("postgres://") || to.starts_with("postgresql://")
}

pub async fn run(data: &Path, to: &str) -> anyhow::Result<ExitCode> {
    // Importers and the spool's drain take this lock: none writes the source while it is
    // read, which would leave a copy that fails its verification.
    let _lock = WriteLock::acquire(data)?;
    let source = config::open_store(data).await?;
    let mut _target_lock = None;
    let target = if is_url(to) {
        // Only the database is written; the data directory is where PostgreSQL's archive
        // keeps its search index, and this one's is the source's.
        Store::open_with(data, Some(to)).await?
    } else {
        let dir = PathBuf::from(to);
        std::fs::create_dir_all(&dir)?;
        let same = std::fs::canonicalize(&dir)? == std::fs::canonicalize(data)?;
        if same && !source.is_shared() {
            anyhow::bail!(
                "{} is the archive's own data directory: the copy needs another one",
                dir.display()
            );
        }
        // The same directory is locked already when the archive moves from PostgreSQL
        // into its own data directory.
        if !same {
            _target_lock = Some(WriteLock::acquire(&dir)?);
        }
        Store::open_with(&dir, None).await?
    };

    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg:>22} {bar:40} {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    // The table being copied, to print a line when the next one starts.
    let current: Mutex<Option<(String, u64, u64)>> = Mutex::new(None);
    let line = |(table, done, total): &(String, u64, u64)| {
        bar.suspend(|| println!("{table:>22}: {done}/{total} rows"));
    };
    let progress = |table: &str, done: u64, total: u64| {
        let Ok(mut cur) = current.lock() else { return };
        match cur.as_ref() {
            Some(c) if c.0 == table => {}
            previous => {
                if let Some(c) = previous {
                    line(c);
                }
                bar.set_message(table.to_string());
                bar.set_length(total);
            }
        }
        bar.set_position(done);
        *cur = Some((table.to_string(), done, total));
    };
    let started = std::time::Instant::now();
    let copied = source.copy_into(&target, &progress).await;
    if let Some(c) = current.lock().ok().and_then(|mut c| c.take()) {
        line(&c);
    }
    bar.finish_and_clear();
    let report = copied?;

    let resumed: u64 = report.tables.iter().map(|t| t.resumed).sum();
    let copied: u64 = report.tables.iter().map(|t| t.copied).sum();
    println!(
        "copied {copied} rows in {:.1} s{}",
        started.elapsed().as_secs_f64(),
        if resumed > 0 {
            format!(" ({resumed} more were there from an earlier run)")
        } else {
            String::new()
        }
    );
    if report.nul_replaced > 0 {
        println!(
            "{} rows held NUL characters in their text, which PostgreSQL cannot store: \
             they are U+FFFD in the copy",
            report.nul_replaced
        );
    }
    if report.damaged_text > 0 {
        println!(
            "{} rows held text that is not UTF-8 (damage to the database file): the bad \
             bytes are U+FFFD in the copy",
            report.damaged_text
        );
    }

    println!("verifying…");
    let (ours, theirs) = tokio::join!(source.table_digests(), target.table_digests());
    let (ours, theirs) = (ours?, theirs?);
    println!(
        "{:<22} {:>10} {:>10}  sha-256 (first 16 hex digits)",
        "table", "source", "copy"
    );
    let mut differ = Vec::new();
    for (a, b) in ours.iter().zip(&theirs) {
        let same = a == b;
        println!(
            "{:<22} {:>10} {:>10}  {}{}",
            a.0,
            a.1,
            b.1,
            &hex::encode(a.2)[..16],
            if same {
                String::new()
            } else {
                format!(" ≠ {}", &hex::encode(b.2)[..16])
            }
        );
        if !same {
            differ.push(a.0.as_str());
        }
    }
    source.close().await;
    target.close().await;
    if !differ.is_empty() || ours.len() != theirs.len() {
        anyhow::bail!(
            "the copy differs from the archive in: {} (was the archive written to while it \
             was copied?)",
            differ.join(", ")
        );
    }
    println!(
        "verified: every table of the copy holds the archive's rows; the search index is not \
         part of the store (`larch reindex` builds one for the copy where it is served)"
    );
    Ok(ExitCode::SUCCESS)
}
