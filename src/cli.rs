//! The `larch` command line.

use std::path::PathBuf;
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
        #[arg(required = true)]
        paths: Vec<PathBuf>,
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
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LARCH_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
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
            paths,
        } => {
            crate::ingest::source::check_paths(&paths).map_err(|e| anyhow::anyhow!(e))?;
            let _lock = WriteLock::acquire(&data)?;
            let store = Store::open(&data).await?;
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {pos} messages read ({per_sec}) {elapsed}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
            let summary = ingest::import(&store, &list, &paths, format, &Bar(bar.clone())).await;
            bar.finish_and_clear();
            let summary = summary?;
            for (p, why) in &summary.skipped_files {
                eprintln!("skipped {}: {why}", p.display());
            }
            println!("{list}: {summary}");
            store.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Lists => {
            let store = Store::open(&data).await?;
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
        Command::Serve { listen } => {
            let store = Store::open(&data).await?;
            crate::web::serve(store, &listen).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { listen, no_serve } => {
            let store = crate::demo::build(&data).await?;
            if no_serve {
                return Ok(ExitCode::SUCCESS);
            }
            println!("serving the demo archive at http://{listen}/");
            crate::web::serve(store, &listen).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
