//! The `larch` command line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{self, WriteLock};
use crate::ingest::{self, source::Format};
use crate::store::Store;

#[derive(Parser)]
#[command(name = "larch", version, about = "Mailing-list archive server")]
struct Cli {
    /// Data directory (SQLite store, index, larch.toml).
    #[arg(long, global = true, env = "LARCH_DATA")]
    data: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Import mbox / maildir / pipermail archives (files or directories) into a list.
    Import {
        #[arg(long)]
        list: String,
        /// Force a format instead of detecting it per file.
        #[arg(long, value_enum, default_value_t = Format::Auto)]
        format: Format,
        /// Largest message taken, in bytes; a larger one is recorded as a reject (its
        /// source and offset kept) without being read whole. At most 4 GiB - 1, the MIME
        /// parser's offsets being 32-bit.
        #[arg(
            long,
            env = "LARCH_MAX_MESSAGE_SIZE",
            value_name = "BYTES",
            default_value_t = ingest::DEFAULT_MAX_MESSAGE_SIZE,
            value_parser = clap::value_parser!(u64).range(1..=u64::from(u32::MAX)),
        )]
        max_message_size: u64,
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Store one message read from standard input (for an MTA pipe or Mailman 2's
    /// external archiver). Exits 75 (EX_TEMPFAIL) when it could not be stored right now.
    Ingest {
        #[arg(long)]
        list: String,
    },
    /// Rebuild the search index from the store.
    Reindex,
    /// Hide a message (its pages answer 410) or, with --purge, erase its content too.
    Remove {
        /// Message-ID (with or without <>) or the message's key from its URL.
        msgid: String,
        #[arg(long)]
        purge: bool,
    },
    /// Show each list with its counts and date range.
    Lists,
    /// Change a list's settings (creating the list if it is new).
    ListSet {
        name: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        description: Option<String>,
        /// A private list is never served (access control is not built yet).
        #[arg(long)]
        private: Option<bool>,
        /// Show addresses as `jane at example.org` on pages (default true, as pipermail).
        #[arg(long)]
        obfuscate: Option<bool>,
        /// Another name the list answers to, e.g. its old pipermail name (repeatable).
        #[arg(long)]
        alias: Vec<String>,
    },
    /// Serve the web archive.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// The archive's public URL (e.g. `https://lists.example.org`), for the absolute
        /// links of feeds; without it, the address the server listens on.
        #[arg(long, env = "LARCH_BASE_URL")]
        base_url: Option<String>,
        /// The key Mailman 3's archiver plugin sends; the archiver API
        /// (`/api/mailman/`) is off without one.
        #[arg(long, env = "LARCH_ARCHIVER_KEY", hide_env_values = true)]
        archiver_key: Option<String>,
    },
    /// Build a sample archive in the data directory and serve it.
    Demo {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Build the archive, print its summary and exit without serving.
        #[arg(long)]
        no_serve: bool,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = init_logging(std::env::var_os("LARCH_LOG_FORMAT")) {
        eprintln!("larch: {e}");
        return ExitCode::from(2);
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("larch: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("larch: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to standard error, filtered by `LARCH_LOG` (default `info`), as text or, with
/// `LARCH_LOG_FORMAT=json`, as one JSON object per line for a log collector. Any other
/// value is an error (the caller exits 2): a typo in a unit file should stop the service
/// at its start, where it is seen, not turn into lines the collector cannot read.
fn init_logging(format: Option<std::ffi::OsString>) -> Result<(), String> {
    let filter = || {
        tracing_subscriber::EnvFilter::try_from_env("LARCH_LOG")
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"))
    };
    let format = format.as_ref().map(|f| f.to_string_lossy());
    match format.as_deref().map(str::trim) {
        None | Some("" | "text") => tracing_subscriber::fmt()
            .with_env_filter(filter())
            .with_writer(std::io::stderr)
            // Colour codes only for a person at a terminal, not in a journal or a log file.
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        Some("json") => tracing_subscriber::fmt()
            .json()
            // `message` beside `level` and `target`, where collectors look for it.
            .flatten_event(true)
            .with_span_list(false)
            .with_ansi(false)
            .with_env_filter(filter())
            .with_writer(std::io::stderr)
            .init(),
        Some(other) => {
            return Err(format!(
                "LARCH_LOG_FORMAT={other:?} is not a log format: use \"text\" (the default) or \"json\""
            ));
        }
    }
    Ok(())
}

struct Bar(indicatif::ProgressBar);

impl ingest::Progress for Bar {
    fn tick(&self, read: u64) {
        self.0.set_position(read);
    }
}

fn fmt_date(t: Option<i64>) -> String {
    t.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "-".into())
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let data = config::data_dir(cli.data);
    match cli.command {
        Command::Import {
            list,
            format,
            max_message_size,
            paths,
        } => {
            let options = ingest::ImportOptions { max_message_size };
            import(&data, &list, &paths, format, &options).await
        }
        Command::Ingest { list } => Ok(ingest_stdin(&data, &list).await),
        Command::Reindex => reindex(&data).await,
        Command::Remove { msgid, purge } => remove(&data, &msgid, purge).await,
        Command::Lists => lists(&data).await,
        Command::ListSet {
            name,
            title,
            description,
            private,
            obfuscate,
            alias,
        } => {
            let _lock = WriteLock::acquire(&data)?;
            let store = Store::open(&data).await?;
            let list = store.ensure_list(&name).await?;
            store
                .update_list(
                    list.id,
                    title.as_deref(),
                    description.as_deref(),
                    private,
                    obfuscate,
                )
                .await?;
            for a in &alias {
                store.add_alias(list.id, a).await?;
            }
            store.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve {
            listen,
            base_url,
            archiver_key,
        } => {
            let store = Store::open(&data).await?;
            let live = crate::web::Live {
                spool: Some(std::sync::Arc::new(crate::store::spool::Spool::open(
                    &data,
                )?)),
                stats: Default::default(),
                archiver_key: archiver_key.filter(|k| !k.is_empty()),
            };
            let config = crate::web::WebConfig { base_url, live };
            crate::web::serve(store, &listen, config, crate::web::server::stop_signal()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { listen, no_serve } => {
            let store = crate::demo::build(&data).await?;
            if no_serve {
                return Ok(ExitCode::SUCCESS);
            }
            println!("serving the demo archive at http://{listen}/");
            crate::web::serve(
                store,
                &listen,
                crate::web::WebConfig::default(),
                crate::web::server::stop_signal(),
            )
            .await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn import(
    data: &Path,
    list: &str,
    paths: &[PathBuf],
    format: Format,
    options: &ingest::ImportOptions,
) -> anyhow::Result<ExitCode> {
    crate::ingest::source::check_paths(paths).map_err(|e| anyhow::anyhow!(e))?;
    let _lock = WriteLock::acquire(data)?;
    let store = Store::open(data).await?;
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {pos} messages read ({per_sec}) {elapsed}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let summary =
        ingest::import_with(&store, list, paths, format, &Bar(bar.clone()), options).await;
    bar.finish_and_clear();
    let summary = summary?;
    for (p, why) in &summary.skipped_files {
        eprintln!("skipped {}: {why}", p.display());
    }
    println!("{list}: {summary}");
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn reindex(data: &Path) -> anyhow::Result<ExitCode> {
    let store = Store::open(data).await?;
    let search = crate::search::Search::for_store(&store)?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} messages indexed ({per_sec}) {elapsed}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    let n = search
        .rebuild(&store, &|done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })
        .await;
    bar.finish_and_clear();
    let n = n?;
    println!(
        "indexed {n} messages in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn remove(data: &Path, msgid: &str, purge: bool) -> anyhow::Result<ExitCode> {
    let _lock = WriteLock::acquire(data)?;
    let store = Store::open(data).await?;
    match store.remove_message(msgid, purge).await? {
        crate::store::Removal::NotFound => {
            eprintln!("larch: no stored message has the id or key {msgid}");
            return Ok(ExitCode::FAILURE);
        }
        crate::store::Removal::Ambiguous(keys) => {
            eprintln!(
                "larch: several messages carry {msgid}; name one by its key: {}",
                keys.join(", ")
            );
            return Ok(ExitCode::FAILURE);
        }
        crate::store::Removal::Done(key) => {
            println!("{} {key}", if purge { "purged" } else { "removed" });
        }
    }
    // Drop the index entry now; a running server holding the index does it instead.
    let search = crate::search::Search::for_store(&store)?;
    if search.catch_up(&store).await?.is_none() {
        println!("the running server will update the search index");
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn lists(data: &Path) -> anyhow::Result<ExitCode> {
    let store = Store::open(data).await?;
    println!(
        "{:<30} {:>9} {:>8} {:>8}  {:<10} {:<10}",
        "list", "messages", "threads", "rejects", "first", "last"
    );
    for l in store.list_summaries().await? {
        println!(
            "{:<30} {:>9} {:>8} {:>8}  {:<10} {:<10}",
            l.name,
            l.messages,
            l.threads,
            l.rejected,
            fmt_date(l.first_date),
            fmt_date(l.last_date)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// EX_TEMPFAIL from sysexits.h: MTAs and Mailman queue the message and retry.
const EX_TEMPFAIL: u8 = 75;

async fn ingest_stdin(data: &Path, list: &str) -> ExitCode {
    let limit = ingest::DEFAULT_MAX_MESSAGE_SIZE;
    let bytes = match ingest::read_delivery(&mut std::io::stdin().lock(), limit) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("larch: cannot read the message from standard input: {e}");
            return ExitCode::from(EX_TEMPFAIL);
        }
    };
    if bytes.is_empty() {
        eprintln!("larch: standard input was empty; nothing stored");
        return ExitCode::from(65); // EX_DATAERR: retrying will not help
    }
    let lock = match WriteLock::try_acquire(data, 120) {
        Ok(Some(l)) => l,
        Ok(None) => {
            eprintln!("larch: the archive is busy (another import holds it); try again later");
            return ExitCode::from(EX_TEMPFAIL);
        }
        Err(e) => {
            eprintln!("larch: cannot lock the data directory: {e}");
            return ExitCode::from(EX_TEMPFAIL);
        }
    };
    let result = async {
        let store = Store::open(data).await?;
        let s = ingest::ingest_delivery(&store, list, bytes).await;
        store.close().await;
        s
    }
    .await;
    drop(lock);
    match result {
        Ok(s) => {
            if s.rejected > 0 {
                eprintln!("larch: the message could not be read; it is kept with the rejects");
            }
            println!("{list}: {s}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("larch: cannot store the message: {e:#}");
            ExitCode::from(EX_TEMPFAIL)
        }
    }
}
