//! The `larch` command line.

mod migrate;
pub mod scale;
mod user;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Parser, Subcommand};

use crate::config::{self, Config, WriteLock};
use crate::ingest::{self, source::Format};
use crate::store::Store;
use crate::store::spool::{Envelope, Privacy, Spool};

#[derive(Parser)]
#[command(name = "larch", version, about = "Mailing-list archive server")]
struct Cli {
    /// Data directory (SQLite store, index, larch.toml).
    #[arg(long, global = true, env = "LARCH_DATA")]
    data: Option<PathBuf>,
    /// The archive's database when it is not `larch.db` in the data directory: a
    /// `postgres://` URL, for several servers sharing one archive (or `database` in
    /// larch.toml). The data directory still holds this server's search index and spool.
    #[arg(long, global = true, env = "LARCH_DATABASE_URL", value_name = "URL")]
    database: Option<String>,
    /// A streaming replica of the PostgreSQL database for `larch serve` to read pages,
    /// feeds, downloads and search results from, sparing the primary (or `database_read`
    /// in larch.toml). Writes, sign-ins and what deliveries read stay on the primary; a
    /// replica that lags shows the archive as it was, one that fails is set aside.
    #[arg(
        long,
        global = true,
        env = "LARCH_DATABASE_READ_URL",
        value_name = "URL"
    )]
    database_read: Option<String>,
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
            value_parser = clap::value_parser!(u64).range(1..=u64::from(u32::MAX)),
        )]
        max_message_size: Option<u64>,
        /// Create the list private if it is new (it is public otherwise, as pipermail's
        /// archives were by default). An existing list keeps its setting.
        #[arg(long, conflicts_with = "public")]
        private: bool,
        /// Create the list public if it is new (the default for imports).
        #[arg(long)]
        public: bool,
        /// Archive also the messages that ask not to be (`X-No-Archive: yes`,
        /// `X-Archive: no`, `Archive: no`), which are skipped by default as Mailman does.
        #[arg(long)]
        archive_all: bool,
        /// Leave the search index alone: a running server or `larch reindex` brings it up
        /// to date. By default the import indexes what it stores as it goes, so the
        /// messages are searchable when it ends.
        #[arg(long)]
        no_index: bool,
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Accept one message on standard input for a list (an MTA pipe, Mailman 2's external
    /// archiver): it is written durably to the spool and stored by the running server (or by
    /// `ingest --drain`). Exits 0 once the message is safe on disk, whatever the store is
    /// doing; non-zero only when it could not be spooled.
    Ingest {
        #[arg(long, required_unless_present = "drain")]
        list: Option<String>,
        /// Create the list private if this delivery creates it (the default for lists
        /// first seen live, unless `larch.toml` says otherwise).
        #[arg(long, conflicts_with = "public")]
        private: bool,
        /// Create the list public if this delivery creates it.
        #[arg(long)]
        public: bool,
        /// Store what waits in the spool now and exit (for setups without `larch serve`).
        #[arg(long, conflicts_with_all = ["list", "private", "public"])]
        drain: bool,
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
        /// A private list is served only to the users granted it (`larch user grant`)
        /// and to admins; to everyone else it does not exist.
        #[arg(long)]
        private: Option<bool>,
        /// Show addresses as `jane at example.org` on pages (default true, as pipermail).
        #[arg(long)]
        obfuscate: Option<bool>,
        /// The list's posting address (`dev@lists.example.org`): the Reply link writes to it
        /// for messages whose `List-Post` header does not say; empty clears it.
        #[arg(long, value_name = "ADDRESS")]
        post_address: Option<String>,
        /// The language of the list's pages for readers whose browsers ask for none of
        /// the shipped ones (en, fr, es, ar, ru, zh, de); empty clears it.
        #[arg(long, value_name = "CODE")]
        language: Option<String>,
        /// Another name the list answers to, e.g. its old pipermail name (repeatable).
        #[arg(long)]
        alias: Vec<String>,
    },
    /// Serve the web archive, and store live deliveries as they arrive in the spool.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080, or `listen` in larch.toml).
        #[arg(long, env = "LARCH_LISTEN")]
        listen: Option<String>,
        /// The archive's public URL (e.g. `https://lists.example.org`), for the absolute
        /// links of feeds; without it, the address the server listens on.
        #[arg(long, env = "LARCH_BASE_URL")]
        base_url: Option<String>,
        /// The key Mailman 3's archiver plugin sends; the archiver API
        /// (`/api/mailman/`) is off without one.
        #[arg(long, env = "LARCH_ARCHIVER_KEY", hide_env_values = true)]
        archiver_key: Option<String>,
        /// Whether lists first seen through live delivery are created private (default
        /// true, or `live_lists_private` in larch.toml).
        #[arg(long, env = "LARCH_LIVE_LISTS_PRIVATE")]
        live_lists_private: Option<bool>,
    },
    /// Write a large archive for benchmarks from a real mbox: it is replayed as often as
    /// needed, each replay with its own Message-IDs and earlier dates, over several lists
    /// (`OUT/gen-1.mbox` …). Needs no data directory.
    Gen {
        /// The mbox replayed (plain or gzipped).
        #[arg(long)]
        from: PathBuf,
        /// How many messages to write in all.
        #[arg(long)]
        messages: u64,
        /// How many lists to spread the replays over.
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=1000))]
        lists: u16,
        /// Write gzipped mbox files.
        #[arg(long)]
        gzip: bool,
        /// The folder to write into.
        #[arg(long)]
        out: PathBuf,
    },
    /// Accounts that read private lists.
    User {
        #[command(subcommand)]
        action: user::UserAction,
    },
    /// Check the configuration, the store, the search index and the spool; say what is
    /// wrong (exit 1 if anything is).
    Check,
    /// Write a consistent copy of the store (and larch.toml) into a new directory, while
    /// the server runs. The search index is not copied: `larch reindex` rebuilds it.
    Backup { dest: PathBuf },
    /// Copy the whole archive into another database and verify the copy: TARGET is a
    /// `postgres://` URL or a data directory (its larch.db). The target must be empty, or
    /// hold what an interrupted run of this command left there, which it resumes.
    MigrateStore {
        #[arg(long, value_name = "TARGET")]
        to: String,
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
    // A delivery answers before anything else starts (no runtime, no logging): the list
    // server waits for it, Mailman 2 while holding the list's lock.
    if let Command::Ingest {
        list: Some(list),
        private,
        public,
        drain: false,
    } = &cli.command
    {
        let data = config::data_dir(cli.data.clone());
        return ingest_stdin(&data, list, privacy_of(*private, *public));
    }
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
    crate::memory::spawn_trimmer(std::time::Duration::from_secs(2));
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
    config::choose_database(&data, cli.database, cli.database_read)?;
    match cli.command {
        Command::Import {
            list,
            format,
            max_message_size,
            private,
            public,
            archive_all,
            no_index,
            paths,
        } => {
            let options = ingest::ImportOptions {
                max_message_size: max_message_size
                    .or(Config::load(&data)?.limits.max_message_size)
                    .unwrap_or(ingest::DEFAULT_MAX_MESSAGE_SIZE),
                private: (private || public).then_some(private),
                archive_all,
                indexed: None,
            };
            import(&data, &list, &paths, format, &options, !no_index).await
        }
        Command::Ingest {
            list,
            private,
            public,
            drain,
        } => match list {
            Some(list) if !drain => Ok(ingest_stdin(&data, &list, privacy_of(private, public))),
            _ => drain_spool(&data).await,
        },
        Command::Reindex => reindex(&data).await,
        Command::Remove { msgid, purge } => remove(&data, &msgid, purge).await,
        Command::Lists => lists(&data).await,
        Command::ListSet {
            name,
            title,
            description,
            private,
            obfuscate,
            post_address,
            language,
            alias,
        } => {
            let post_address = post_address.map(|a| checked_post_address(&a)).transpose()?;
            let language = language.map(|l| checked_language(&l)).transpose()?;
            let _lock = WriteLock::acquire(&data)?;
            let store = config::open_store(&data).await?;
            let (list, _) = store.ensure_list(&name, private.unwrap_or(false)).await?;
            store
                .update_list(
                    list.id,
                    title.as_deref(),
                    description.as_deref(),
                    private,
                    obfuscate,
                    post_address.as_deref(),
                )
                .await?;
            if let Some(l) = &language {
                store.set_list_language(list.id, l).await?;
            }
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
            live_lists_private,
        } => {
            let mut config = Config::load(&data)?;
            config.listen = listen.or(config.listen);
            config.base_url = base_url.or(config.base_url);
            config.archiver_key = archiver_key.or(config.archiver_key);
            config.live_lists_private = live_lists_private.or(config.live_lists_private);
            serve(&data, config).await
        }
        Command::User { action } => user::run(&data, action).await,
        Command::Gen {
            from,
            messages,
            lists,
            gzip,
            out,
        } => {
            let plan = scale::Plan {
                from,
                messages,
                lists: usize::from(lists),
                out,
                gzip,
            };
            let counts =
                tokio::task::spawn_blocking(move || scale::generate(&plan).map(|c| (c, plan.out)))
                    .await??;
            let (counts, out) = counts;
            for (i, n) in counts.iter().enumerate() {
                println!("{}: gen-{} {n} messages", out.display(), i + 1);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Check => check(&data).await,
        Command::Backup { dest } => backup(&data, &dest).await,
        Command::MigrateStore { to } => migrate::run(&data, &to).await,
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
    index: bool,
) -> anyhow::Result<ExitCode> {
    crate::ingest::source::check_paths(paths).map_err(|e| anyhow::anyhow!(e))?;
    let _lock = WriteLock::acquire(data)?;
    let store = config::open_store(data).await?;
    let done = Arc::new(AtomicBool::new(false));
    // The index is derived: one that cannot be opened must not stop the mail from being
    // stored, so the import goes on and says what to run afterwards.
    let search = if index {
        crate::search::Search::for_store(&store)
            .map_err(|e| {
                eprintln!(
                    "larch: the search index cannot be opened ({e:#}); importing without indexing, `larch reindex` builds it afterwards"
                )
            })
            .ok()
    } else {
        None
    };
    let mut options = options.clone();
    options.indexed = search.as_ref().map(|s| s.position());
    let follower = search.map(|search| {
        let (st, d) = (store.clone(), done.clone());
        tokio::spawn(async move { search.follow(&st, &d).await })
    });
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {pos} messages read ({per_sec}) {elapsed}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let summary =
        ingest::import_with(&store, list, paths, format, &Bar(bar.clone()), &options).await;
    done.store(true, Ordering::Release);
    let indexed = match follower {
        Some(f) if summary.is_ok() => {
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            bar.set_message("finishing the search index");
            Some(f.await)
        }
        // A failed import: what it stored before the failure is still indexed.
        Some(f) => Some(f.await),
        None => None,
    };
    bar.finish_and_clear();
    let summary = summary?;
    for (p, why) in &summary.skipped_files {
        eprintln!("skipped {}: {why}", p.display());
    }
    if let Some(private) = summary.created_private {
        println!(
            "created list {list} ({})",
            if private {
                "private"
            } else {
                "public; `--private` creates it private"
            }
        );
    }
    println!("{list}: {summary}");
    let code = match indexed {
        None => ExitCode::SUCCESS,
        Some(Ok(Ok(Some(_)))) => ExitCode::SUCCESS,
        Some(Ok(Ok(None))) => {
            println!("the running server indexes the new messages");
            ExitCode::SUCCESS
        }
        Some(Ok(Err(e))) => {
            eprintln!(
                "larch: the messages are stored but the search index could not be updated: {e:#}; `larch reindex` rebuilds it"
            );
            ExitCode::FAILURE
        }
        Some(Err(e)) => {
            eprintln!(
                "larch: the messages are stored but indexing them failed: {e}; `larch reindex` rebuilds the index"
            );
            ExitCode::FAILURE
        }
    };
    store.close().await;
    Ok(code)
}

async fn serve(data: &Path, config: Config) -> anyhow::Result<ExitCode> {
    let store = config::open_serving_store(data).await?;
    if store.is_shared() {
        tracing::info!("pages read from {}", store.reads_from());
    }
    apply_list_settings(data, &store, &config).await?;
    let config = std::sync::Arc::new(config);
    let spool = std::sync::Arc::new(Spool::open(data)?);
    let live = crate::web::Live {
        spool: Some(spool.clone()),
        stats: Default::default(),
        archiver_key: config.archiver_key.clone().filter(|k| !k.is_empty()),
        mailman_lists: config.mailman_lists.clone(),
        max_message_size: config.limits.max_message_size,
    };
    let drainer = crate::live::Drainer::spawn(
        data.to_path_buf(),
        store.clone(),
        spool,
        live.stats.clone(),
        config.clone(),
    );
    let web = crate::web::WebConfig {
        base_url: config.base_url.clone(),
        live,
        limits: Some(server_limits(&config.limits)),
        auth: config.auth()?,
        language: match config.language.as_deref() {
            Some(l) => crate::i18n::Lang::from_code(&checked_language(l)?),
            None => None,
        },
    };
    let listen = config.listen.as_deref().unwrap_or(DEFAULT_LISTEN);
    let served = crate::web::serve(store, listen, web, crate::web::server::stop_signal()).await;
    drainer.stop().await;
    served?;
    Ok(ExitCode::SUCCESS)
}

const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// The connection limits: the defaults, larch.toml's `[limits]` over them, the environment
/// over both.
fn server_limits(file: &config::Limits) -> crate::web::server::Limits {
    use std::time::Duration;
    let mut l = crate::web::server::Limits::default();
    if let Some(s) = file.header_timeout_secs {
        l.header_read = Duration::from_secs(s);
    }
    if let Some(s) = file.idle_timeout_secs {
        l.idle = Duration::from_secs(s);
    }
    if let Some(n) = file.max_connections {
        l.max_connections = usize::try_from(n).unwrap_or(usize::MAX);
    }
    l.with_env()
}

/// Applies the `[lists.NAME]` sections of larch.toml, creating lists they name, so that
/// the file is the record of each list's settings.
async fn apply_list_settings(data: &Path, store: &Store, config: &Config) -> anyhow::Result<()> {
    if config.lists.is_empty() {
        return Ok(());
    }
    let Some(_lock) = WriteLock::try_acquire(data, 30)? else {
        anyhow::bail!(
            "another writer holds the archive; the list settings of larch.toml cannot be applied"
        );
    };
    for (name, l) in &config.lists {
        let post_address = l
            .post_address
            .as_deref()
            .map(checked_post_address)
            .transpose()
            .map_err(|e| anyhow::anyhow!("larch.toml, list {name}: {e}"))?;
        let language = l
            .language
            .as_deref()
            .map(checked_language)
            .transpose()
            .map_err(|e| anyhow::anyhow!("larch.toml, list {name}: {e}"))?;
        let (list, _) = store
            .ensure_list(name, l.private.unwrap_or_else(|| config.live_private(name)))
            .await?;
        store
            .update_list(
                list.id,
                l.title.as_deref(),
                l.description.as_deref(),
                l.private,
                l.obfuscate,
                post_address.as_deref(),
            )
            .await?;
        if let Some(lang) = &language {
            store.set_list_language(list.id, lang).await?;
        }
        for a in &l.aliases {
            store.add_alias(list.id, a).await?;
        }
    }
    Ok(())
}

/// A language as `list-set` and larch.toml take it: the code of a shipped language, or
/// empty to clear it.
fn checked_language(l: &str) -> anyhow::Result<String> {
    let l = l.trim();
    if l.is_empty() {
        return Ok(String::new());
    }
    match crate::i18n::Lang::from_tag(l) {
        Some(lang) => Ok(lang.code().to_string()),
        None => {
            let shipped: Vec<&str> = crate::i18n::Lang::ALL.iter().map(|l| l.code()).collect();
            anyhow::bail!(
                "the language {l:?} is not one the interface ships ({})",
                shipped.join(", ")
            )
        }
    }
}

/// A posting address as `list-set` and larch.toml take it: one plain address, or empty to
/// clear it.
fn checked_post_address(a: &str) -> anyhow::Result<String> {
    let a = a.trim();
    if a.is_empty() {
        return Ok(String::new());
    }
    crate::domain::normalize::post_address(&format!("mailto:{a}"))
        .filter(|p| p == a)
        .ok_or_else(|| anyhow::anyhow!("“{a}” is not one plain address like dev@lists.example.org"))
}

/// `larch check`: every problem found, one per line; exit 1 if there is any.
async fn check(data: &Path) -> anyhow::Result<ExitCode> {
    let mut problems: Vec<String> = Vec::new();
    let mut say = |ok: bool, what: String| {
        println!("{} {what}", if ok { "ok     " } else { "PROBLEM" });
        if !ok {
            problems.push(what);
        }
    };
    match Config::load(data) {
        Ok(_) => say(
            true,
            format!("{} reads", data.join(config::CONFIG_FILE).display()),
        ),
        Err(e) => say(false, format!("{e:#}")),
    }
    if !config::database_is_shared() && !data.join("larch.db").is_file() {
        say(false, format!("no archive in {}", data.display()));
        return Ok(ExitCode::FAILURE);
    }
    // Without the store (a broken larch.toml may name it) the spool is still checked.
    let store = match config::open_store(data).await {
        Ok(s) => Some(s),
        Err(e) => {
            say(
                false,
                format!("the archive's database cannot be opened: {e:#}"),
            );
            None
        }
    };
    if let Some(store) = &store {
        match store.integrity_problems().await {
            Ok(p) if p.is_empty() && store.is_shared() => say(
                true,
                "the PostgreSQL database answers (it checks its own pages)".into(),
            ),
            Ok(p) if p.is_empty() => say(true, "the database passes SQLite's quick_check".into()),
            Ok(p) => say(false, format!("the database is damaged: {}", p.join("; "))),
            Err(e) => say(false, format!("the database cannot be checked: {e}")),
        }
        match crate::search::Search::for_store(store) {
            Ok(search) => {
                let lag = search.lag(store).await?;
                let docs = search.doc_count();
                let stored = store.message_count().await?;
                say(
                    lag > 0 || docs == stored as u64,
                    format!(
                        "search index: {docs} messages, {stored} stored, {lag} changes to apply"
                    ),
                );
                if lag > 0 {
                    println!("        (a running server applies them; else `larch reindex`)");
                }
            }
            Err(e) => say(
                false,
                format!("the search index cannot be opened: {e:#} (`larch reindex` rebuilds it)"),
            ),
        }
    }
    let spool = Spool::open(data)?;
    let waiting = spool.depth();
    say(true, format!("spool: {waiting} deliveries waiting"));
    let bad = spool.bad();
    say(
        bad.is_empty(),
        format!(
            "spool: {} unreadable files in {}",
            bad.len(),
            spool.dir().join("bad").display()
        ),
    );
    if let Some(store) = store {
        store.close().await;
    }
    Ok(if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `larch backup DEST`: the store as of one commit, and the configuration.
async fn backup(data: &Path, dest: &Path) -> anyhow::Result<ExitCode> {
    if dest.exists()
        && std::fs::read_dir(dest)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        anyhow::bail!("{} exists and is not an empty directory", dest.display());
    }
    std::fs::create_dir_all(dest)?;
    let store = config::open_store(data).await?;
    let started = std::time::Instant::now();
    store.backup_into(&dest.join("larch.db")).await?;
    store.close().await;
    let config = data.join(config::CONFIG_FILE);
    if config.is_file() {
        std::fs::copy(&config, dest.join(config::CONFIG_FILE))?;
    }
    let size = std::fs::metadata(dest.join("larch.db"))?.len();
    println!(
        "backed up {} ({} MB) in {:.1} s; `larch --data {} reindex` rebuilds its search index",
        dest.join("larch.db").display(),
        size / 1_000_000,
        started.elapsed().as_secs_f64(),
        dest.display()
    );
    Ok(ExitCode::SUCCESS)
}

async fn reindex(data: &Path) -> anyhow::Result<ExitCode> {
    let store = config::open_store(data).await?;
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
    let store = config::open_store(data).await?;
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
    let store = config::open_store(data).await?;
    println!(
        "{:<30} {:<7} {:>9} {:>8} {:>8}  {:<10} {:<10}",
        "list", "access", "messages", "threads", "rejects", "first", "last"
    );
    for l in store.list_summaries().await? {
        println!(
            "{:<30} {:<7} {:>9} {:>8} {:>8}  {:<10} {:<10}",
            l.name,
            if l.private { "private" } else { "public" },
            l.messages,
            l.threads,
            l.rejected,
            fmt_date(l.first_date),
            fmt_date(l.last_date)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// EX_TEMPFAIL from sysexits.h: MTAs queue the message and retry.
const EX_TEMPFAIL: u8 = 75;

fn privacy_of(private: bool, public: bool) -> Privacy {
    match (private, public) {
        (true, _) => Privacy::Private,
        (_, true) => Privacy::Public,
        _ => Privacy::Default,
    }
}

/// Spools one message from standard input; touches neither the store nor its lock, so it
/// answers in milliseconds whatever an import or the server is doing.
fn ingest_stdin(data: &Path, list: &str, privacy: Privacy) -> ExitCode {
    if let Err(why) = crate::store::spool::check_list_name(list) {
        eprintln!("larch: cannot take a message for list {list:?}: {why}");
        return ExitCode::from(64); // EX_USAGE
    }
    // The configured limit, if the file says one; a broken file must not lose the mail.
    let limit = Config::load(data)
        .ok()
        .and_then(|c| c.limits.max_message_size)
        .unwrap_or(ingest::DEFAULT_MAX_MESSAGE_SIZE);
    let delivery = match ingest::read_delivery(&mut std::io::stdin().lock(), limit) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("larch: cannot read the message from standard input: {e}");
            return ExitCode::from(EX_TEMPFAIL);
        }
    };
    if delivery.is_empty() {
        eprintln!("larch: standard input was empty; nothing stored");
        return ExitCode::from(65); // EX_DATAERR: retrying will not help
    }
    let envelope = Envelope {
        list: list.to_string(),
        privacy,
        via: "ingest".into(),
        over_limit: delivery.over_limit,
    };
    match Spool::open(data).and_then(|s| s.put(&envelope, &delivery.data)) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "larch: cannot write the message to the spool in {}: {e}",
                data.join("spool").display()
            );
            ExitCode::from(EX_TEMPFAIL)
        }
    }
}

/// `larch ingest --drain`: stores everything waiting in the spool, under the write lock.
async fn drain_spool(data: &Path) -> anyhow::Result<ExitCode> {
    let config = Config::load(data)?;
    let spool = Spool::open(data)?;
    let _lock = WriteLock::acquire(data)?;
    let store = config::open_store(data).await?;
    let stats = crate::store::spool::DeliveryStats::default();
    let mut total = ingest::Summary::default();
    let mut unreadable = 0;
    loop {
        let r = ingest::drain_round(&store, &spool, &|l| config.live_private(l), &stats).await?;
        unreadable += r.unreadable.len();
        if r.taken == 0 && r.unreadable.is_empty() {
            break;
        }
        total.add_counts(&r.summary);
    }
    store.close().await;
    println!(
        "drained {}: new {}, duplicate {}, rejected {}, skipped: X-No-Archive {}",
        total.read, total.new, total.duplicate, total.rejected, total.no_archive
    );
    if unreadable > 0 {
        eprintln!(
            "larch: {unreadable} spool files could not be read; they are in {}",
            data.join("spool/bad").display()
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
