use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use larch::ingest::{self, Summary, source::Format};
use larch::store::Store;

/// Whether this run is CI's (`CI` set to anything but empty, `0` or `false`): there a
/// test that cannot run for want of something it needs fails instead of skipping.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Says that the running test is skipped and why, where it will be seen: libtest keeps the
/// output of passing tests to itself, so this writes to the process's standard error
/// directly, not through `eprintln!`.
pub fn skip(why: &str) {
    use std::io::Write;
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let _ = writeln!(std::io::stderr().lock(), "\nSKIPPED {test}: {why}");
}

/// The corpora folder. Without `LARCH_CORPORA` the test is skipped, visibly (`None`), or
/// under CI fails; a `LARCH_CORPORA` that is not a folder always fails.
pub fn corpora() -> Option<PathBuf> {
    match std::env::var_os("LARCH_CORPORA") {
        Some(p) => {
            let p = PathBuf::from(p);
            assert!(
                p.is_dir(),
                "LARCH_CORPORA={} is not a folder: point it at the corpora (../shared/corpora)",
                p.display()
            );
            Some(p)
        }
        None if in_ci() => panic!(
            "CI is set but LARCH_CORPORA is not: this test needs the real corpora; \
             run with LARCH_CORPORA=../shared/corpora"
        ),
        None => {
            skip("LARCH_CORPORA is not set; this test needs the real corpora");
            None
        }
    }
}

/// Runs `work` on a thread of its own, with its own runtime, and fails if it has not
/// finished within `limit`: a deadline that holds even for work stuck in a loop that never
/// yields (a `tokio::time::timeout` would never get to fire).
pub fn within<W, F>(limit: Duration, work: W)
where
    W: FnOnce() -> F + Send + 'static,
    F: std::future::Future<Output = ()>,
{
    let (tx, rx) = std::sync::mpsc::channel();
    let worker = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        rt.block_on(work());
        let _ = tx.send(());
    });
    match rx.recv_timeout(limit) {
        Ok(()) => worker.join().expect("the work finished"),
        // The work panicked: show its panic.
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("still running after {limit:?}: it hangs")
        }
    }
}

/// Starts the real router on 127.0.0.1:0 and returns its base URL.
pub async fn serve(store: Store) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, larch::web::router(store)).await;
    });
    format!("http://{addr}")
}

/// Whether this run opens the tests' archives in PostgreSQL (`LARCH_TEST_BACKEND=postgres`,
/// set by `backends::the_suite_on_postgresql` when it runs the store, web, search and
/// ingest tests again), rather than in SQLite in each data directory.
pub fn on_postgres() -> bool {
    std::env::var("LARCH_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

/// Gets a data directory ready for the run's backend before anything opens it, and returns
/// the database it names. On PostgreSQL a fresh database is made for it and named in its
/// `larch.toml`, so the store this harness opens and every `larch --data DIR` the test
/// runs share it; a directory already set up keeps its database. On SQLite: nothing, `None`.
pub fn prepare(data: &Path) -> Option<String> {
    if !on_postgres() {
        return None;
    }
    std::fs::create_dir_all(data).expect("create the data directory");
    let config = data.join("larch.toml");
    let text = std::fs::read_to_string(&config).unwrap_or_default();
    if let Some(url) = configured_database(&text) {
        return Some(url);
    }
    let pg = crate::pg::server().expect("LARCH_TEST_BACKEND=postgres needs a PostgreSQL server");
    let url = pg.fresh_database("suite");
    // First, before any table the file may already hold.
    std::fs::write(&config, format!("database = \"{url}\"\n{text}")).expect("write larch.toml");
    Some(url)
}

fn configured_database(config: &str) -> Option<String> {
    config.lines().find_map(|l| {
        let url = l.strip_prefix("database = \"")?.strip_suffix('"')?;
        Some(url.to_string())
    })
}

/// The archive's database on a connection of its own, for checks that read (or, to
/// simulate damage, change) what the store holds without going through the store's API.
/// Statements are written in SQLite's dialect and sent through [`Db::sql`], which carries
/// them over to PostgreSQL on that run.
pub struct Db {
    pub pool: sqlx::AnyPool,
    pub postgres: bool,
}

impl Db {
    /// `sql` as this database takes it.
    pub fn sql(&self, sql: &str) -> sqlx::AssertSqlSafe<String> {
        sqlx::AssertSqlSafe(larch::store::portable_sql(sql, self.postgres))
    }
}

impl std::ops::Deref for Db {
    type Target = sqlx::AnyPool;
    fn deref(&self) -> &sqlx::AnyPool {
        &self.pool
    }
}

pub async fn db(store: &Store) -> Db {
    sqlx::any::install_default_drivers();
    let (url, postgres) = match prepare(store.dir()) {
        Some(url) => (url, true),
        None => (
            format!("sqlite://{}", store.dir().join("larch.db").display()),
            false,
        ),
    };
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .expect("open the archive's database");
    if !postgres {
        sqlx::query("PRAGMA busy_timeout = 30000")
            .execute(&pool)
            .await
            .expect("set a busy timeout");
    }
    Db { pool, postgres }
}

/// The SQLite database file itself, for the tests that only make sense on SQLite (a
/// query plan, damage to the file).
pub async fn sqlite_db(store: &Store) -> sqlx::SqlitePool {
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(store.dir().join("larch.db"))
        .busy_timeout(Duration::from_secs(30));
    sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(opts)
        .await
        .expect("open the database file")
}

/// Opens the archive of a data directory on the run's backend (see [`prepare`]); opening
/// the same directory again opens the same archive.
pub async fn store(dir: &Path) -> Store {
    let database = prepare(dir);
    Store::open_with(dir, database.as_deref())
        .await
        .expect("open store")
}

/// Says that the running test is skipped on PostgreSQL, and why, when this is that run.
pub fn sqlite_only(why: &str) -> bool {
    if on_postgres() {
        skip(&format!("SQLite only: {why}"));
        true
    } else {
        false
    }
}

pub async fn import(store: &Store, list: &str, paths: &[PathBuf]) -> Summary {
    let s = ingest::import(store, list, paths, Format::Auto, &())
        .await
        .expect("import");
    assert_eq!(
        s.read,
        s.new + s.duplicate + s.rejected + s.no_archive,
        "read = new + duplicate + rejected + skipped for {list}: {s}"
    );
    s
}

pub async fn list_id(store: &Store, name: &str) -> i64 {
    store
        .list_by_name(name)
        .await
        .expect("query")
        .expect("list exists")
        .id
}

/// Message-ID named by a pipermail article page's reply link (`In-Reply-To=%3C…%3E`), read
/// independently of larch's own parser.
pub fn page_message_id(html: &str) -> Option<String> {
    let start = html.find("In-Reply-To=")? + "In-Reply-To=".len();
    let rest = &html[start..];
    let end = rest.find(['"', '&', '\n']).unwrap_or(rest.len());
    let id = percent_encoding::percent_decode_str(&rest[..end])
        .decode_utf8_lossy()
        .into_owned();
    Some(id.trim_start_matches('<').trim_end_matches('>').to_string())
}

/// A loopback port nobody listens on right now, for a server child process.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local addr").port()
}

/// The `larch` binary on a data directory set up for the run's backend ([`prepare`]).
pub fn larch_command(data: &Path) -> Command {
    prepare(data);
    let mut c = Command::new(env!("CARGO_BIN_EXE_larch"));
    c.arg("--data").arg(data);
    c
}

/// Runs the `larch` binary on a data directory with `stdin` as its standard input (a
/// password, a message), warnings only in its log; its whole output.
pub fn larch_cli(data: &Path, args: &[&str], stdin: &[u8]) -> std::process::Output {
    use std::io::Write;
    let mut child = larch_command(data)
        .args(args)
        .env("LARCH_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run larch");
    child
        .stdin
        .take()
        .expect("larch's stdin")
        .write_all(stdin)
        .expect("write larch's stdin");
    child.wait_with_output().expect("larch ends")
}

/// The Python of a virtualenv holding a PyPI package (`name==version`), made once per
/// package version under `target/` and reused (a fresh one takes tens of seconds): `Err`
/// says what is missing.
pub fn pypi_python(spec: &str) -> Result<PathBuf, String> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(spec.replace("==", "-"));
    let python = dir.join("bin/python");
    // Written last: a venv without it was cut short and is made again.
    let ready = dir.join("larch-ready");
    if ready.exists() {
        return Ok(python);
    }
    let _ = std::fs::remove_dir_all(&dir);
    let run = |cmd: &mut Command, what: &str| -> Result<(), String> {
        let out = cmd
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("{what} ({e})"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{what} ({}):\n{}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    };
    run(
        Command::new("python3").args(["-m", "venv"]).arg(&dir),
        "python3 -m venv (Debian: apt-get install python3-venv)",
    )?;
    run(
        Command::new(&python).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            spec,
        ]),
        &format!("pip install {spec} from PyPI"),
    )?;
    std::fs::write(&ready, spec).map_err(|e| e.to_string())?;
    Ok(python)
}
