//! Every SQL statement of larch lives in this module, behind a narrow API, so that the rest
//! of the program never sees SQL and another backend (PostgreSQL for multi-node setups) can
//! be added by reimplementing this module alone.
//!
//! A message has two identities: its Message-ID (text, from its header, not unique: variants
//! share it) and its row in `messages` (an integer). The schema names both `message_id`:
//! `messages.message_id` is the text, while `message_id` in `attachments`, `nodes`,
//! `pipermail_numbers` and `search_queue` is the row. The Rust side calls the row a
//! `message_pk` wherever it is not the `id` of a message's own struct, and `message_id`
//! is always the text. The columns keep their names: tests and benchmarks query them
//! directly, and renaming them would migrate every existing archive for no change in
//! behaviour.

mod accounts;
mod admin;
mod api;
mod browse;
pub(crate) mod db;
mod error;
mod migrate;
mod raw;
mod read;
mod replica;
mod search;
pub mod spool;
mod stats;
#[cfg(any(test, feature = "test-support"))]
mod testing;
pub use accounts::{Account, UserSummary};
pub use api::*;
pub use browse::*;
pub use error::{Error, Result};
pub use migrate::{CopyReport, TableCopy};
pub use raw::compress;
pub use read::*;
pub use search::*;
pub use stats::ArchiveCounts;
#[cfg(any(test, feature = "test-support"))]
pub use testing::portable_sql;

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::ConnectOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use db::{Cols, Flag, Pool, Tx, on_pool, on_tx};

use crate::domain::normalize::Normalized;
use crate::domain::thread::{Changes, NodeRow, Threader};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
/// The PostgreSQL schema: the same tables, its own files (types, triggers and identity
/// columns are written differently there).
static MIGRATOR_PG: sqlx::migrate::Migrator = sqlx::migrate!("./migrations-pg");

/// The advisory lock every PostgreSQL write transaction takes first: writes are one at a
/// time, as SQLite's are, so the change queue's sequence numbers commit in order and a
/// search replica that has applied up to N never meets an N - 1 later.
const PG_WRITE_LOCK: i64 = 0x6c61_7263_6877;

/// Handle on the archive's database: SQLite in the data directory, or PostgreSQL.
///
/// Its API speaks of lists, messages and threads, and fails with [`Error`]; the pool, the
/// connection type and the SQL dialect are private to this module ([`db`]).
#[derive(Clone)]
pub struct Store {
    /// The primary: every write, and the reads that must see the latest state.
    pool: Pool,
    /// A streaming replica of the primary that page reads go to, if one was given.
    replica: Option<std::sync::Arc<replica::Replica>>,
    dir: std::path::PathBuf,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ListRow {
    pub id: i64,
    pub name: String,
    pub title: String,
    pub description: String,
    pub private: bool,
    pub obfuscate: bool,
    pub next_thread: i64,
    /// The configured posting address, for replies to messages without `List-Post`.
    pub post_address: Option<String>,
    /// The language of the list's pages for readers who ask for none that ships.
    pub language: Option<String>,
}

/// SQLite's page cache per pooled connection (KiB, negative as the pragma takes it). Every
/// connection of the pool has its own, so the pool's size multiplies it: readers keep a
/// small one and read the rest from the operating system's cache of the file, which they
/// share; a write batch, whose index updates revisit the same pages, has a large one.
const READ_CACHE: &str = "-16384";
const WRITE_CACHE: &str = "-65536";

/// A stored message matching a Message-ID, for the duplicate check.
#[derive(Debug, Clone)]
pub struct Existing {
    pub message_pk: i64,
    pub mkey: String,
    pub content_hash: Vec<u8>,
}

/// The columns a [`NodeRow`] is read from, for `nodes n`, by the test support's reads;
/// pages read nodes through [`browse`]'s JSON rows, in the same order.
#[cfg(any(test, feature = "test-support"))]
macro_rules! node_columns {
    () => {
        "n.mkey, n.parent, n.thread_no, n.message_id IS NOT NULL AS real, n.via_subject, n.seq"
    };
}
#[cfg(any(test, feature = "test-support"))]
pub(crate) use node_columns;

/// The columns a [`MessageItem`] is read from (`nodes n` joined with `messages m`): a
/// removed message keeps its place and shows no sender or subject.
macro_rules! item_columns {
    () => {
        concat!(
            "n.mkey, n.parent, n.thread_no, ",
            $crate::store::item_text_columns!()
        )
    };
}
pub(crate) use item_columns;

/// [`item_columns`] without the node's own columns, for queries that read them as a
/// [`NodeRow`] already.
macro_rules! item_text_columns {
    () => {
        "iif(m.removed, '', m.from_name) AS from_name, iif(m.removed, '', m.from_addr) AS from_addr,
         m.date, iif(m.removed, '', m.subject) AS subject"
    };
}
pub(crate) use item_text_columns;

/// A node from a row that selected [`node_columns`].
#[cfg(any(test, feature = "test-support"))]
fn node_row(r: &impl Cols) -> sqlx::Result<NodeRow> {
    Ok(NodeRow {
        key: r.col("mkey")?,
        parent: r.col("parent")?,
        thread: r.col("thread_no")?,
        real: r.col("real")?,
        via_subject: r.col("via_subject")?,
        seq: r.col("seq")?,
    })
}

/// Text as PostgreSQL stores it: it refuses NUL characters, which mail may carry and which
/// no page can show; they become U+FFFD as undecodable bytes do.
fn pg_text(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('\0') {
        std::borrow::Cow::Owned(s.replace('\0', "\u{fffd}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// A text as the database takes it (see [`pg_text`]).
fn text_for(d: db::Dialect, s: &str) -> std::borrow::Cow<'_, str> {
    if d.is_pg() {
        pg_text(s)
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl Store {
    /// Opens (creating if needed) `larch.db` in `dir` and brings its schema up to date.
    pub async fn open(dir: &Path) -> Result<Store> {
        Store::open_with(dir, None).await
    }

    /// Opens the archive in `database` (a `postgres://` URL) when given, else in `larch.db`
    /// in `dir`; `dir` holds what is derived from the store either way (the search index,
    /// the spool). The schema is brought up to date.
    pub async fn open_with(dir: &Path, database: Option<&str>) -> Result<Store> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io("cannot create data directory", dir, e))?;
        if let Some(url) = database {
            return Store::open_pg(dir, url).await;
        }
        let path = dir.join("larch.db");
        let opts = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true)
            .pragma("cache_size", READ_CACHE)
            // A statement that may fail halfway (a trigger, an upsert) journals the pages it
            // touches; on disk that journal was a tenth of an import's time.
            .pragma("temp_store", "memory")
            .log_statements(tracing::log::LevelFilter::Trace)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(1));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(opts)
            .await?;
        // Two processes opening a new data directory at once (a server starting while
        // mail is ingested) can collide while the database file is being set up; the
        // loser retries rather than failing.
        let mut attempt = 0;
        while let Err(e) = MIGRATOR.run(&pool).await {
            attempt += 1;
            if attempt >= 5 {
                return Err(e.into());
            }
            tracing::debug!("schema setup failed ({e}); retrying");
            tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
        }
        let store = Store {
            pool: Pool::Sqlite(pool),
            replica: None,
            dir: dir.to_path_buf(),
        };
        store.fill_hyperkitty_hashes().await?;
        Ok(store)
    }

    async fn open_pg(dir: &Path, url: &str) -> Result<Store> {
        use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(Error::Unknown(format!(
                "the database must be a postgres:// or postgresql:// URL (without it the \
                 archive is larch.db in the data directory), not {url:?}"
            )));
        }
        let opts = PgConnectOptions::from_str(url)?
            .application_name("larch")
            .log_statements(tracing::log::LevelFilter::Trace)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(1));
        // A database that does not answer fails a request in seconds (a page answers 503)
        // rather than holding it as long as the connection attempt would.
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(opts)
            .await?;
        MIGRATOR_PG.run(&pool).await?;
        Ok(Store {
            pool: Pool::Pg(pool),
            replica: None,
            dir: dir.to_path_buf(),
        })
    }

    /// [`Store::open_with`] on PostgreSQL, with page reads from `read`, a streaming replica
    /// of `database` (see [`replica`]). A replica that cannot be read yet is no error (it
    /// may be down, or not have replayed the schema just migrated on the primary): pages
    /// read from the primary until it can.
    pub async fn open_with_replica(dir: &Path, database: &str, read: &str) -> Result<Store> {
        use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
        if !(read.starts_with("postgres://") || read.starts_with("postgresql://")) {
            return Err(Error::Unknown(format!(
                "the read database must be a postgres:// or postgresql:// URL (a streaming \
                 replica of the database), not {read:?}"
            )));
        }
        let mut store = Store::open_with(dir, Some(database)).await?;
        let opts = PgConnectOptions::from_str(read)?;
        // Where pages read from, for the log: never the URL, which may hold a password.
        let label = format!(
            "{}:{}/{}",
            opts.get_host(),
            opts.get_port(),
            opts.get_database().unwrap_or_default()
        );
        let opts = opts
            .application_name("larch")
            .log_statements(tracing::log::LevelFilter::Trace)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(1));
        let pool = Pool::Pg(
            PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(replica::ACQUIRE_TIMEOUT)
                .connect_lazy_with(opts),
        );
        let up = match replica::read_generation(&pool).await {
            Ok(_) => true,
            Err(e) => {
                tracing::warn!(
                    "the read replica {label} cannot be read ({e}); pages read from the primary until it can"
                );
                false
            }
        };
        store.replica = Some(std::sync::Arc::new(replica::Replica::new(pool, label, up)));
        Ok(store)
    }

    /// Whether the archive is in PostgreSQL, where several servers may share it.
    pub fn is_shared(&self) -> bool {
        matches!(self.pool, Pool::Pg(_))
    }

    /// Computes the HyperKitty hash of messages stored before the column existed, a
    /// batch at a time (once, at the first open after the upgrade).
    async fn fill_hyperkitty_hashes(&self) -> Result<()> {
        let Pool::Sqlite(pool) = &self.pool else {
            // The PostgreSQL schema has had the column from the start.
            return Ok(());
        };
        loop {
            let rows: Vec<(i64, String)> = sqlx::query_as(
                "SELECT id, message_id FROM messages WHERE hk_hash IS NULL LIMIT 5000",
            )
            .fetch_all(pool)
            .await?;
            if rows.is_empty() {
                return Ok(());
            }
            tracing::info!(
                "computing the HyperKitty hashes of stored messages ({} more; once, after an upgrade)",
                rows.len()
            );
            let mut tx = pool.begin().await?;
            for (id, message_id) in rows {
                sqlx::query("UPDATE messages SET hk_hash = ? WHERE id = ?")
                    .bind(crate::domain::hyperkitty::message_id_hash(&message_id))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        }
    }

    /// The data directory, where derived data (the search index) lives beside the database.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The connections, for the store's own modules only: everything outside speaks the
    /// store's API, which is what a second backend would implement.
    pub(super) fn pool(&self) -> &Pool {
        &self.pool
    }

    pub async fn close(&self) {
        on_pool!(&self.pool, |p, _d| p.close().await);
        if let Some(r) = &self.replica {
            on_pool!(&r.pool, |p, _d| p.close().await);
        }
    }

    /// Returns the list, creating it when new with the given privacy (in the one statement
    /// that creates it, so that a list never exists public for a moment before being made
    /// private), and whether it was created now.
    pub async fn ensure_list(&self, name: &str, private_if_new: bool) -> Result<(ListRow, bool)> {
        on_pool!(&self.pool, |p, d| {
            let created = sqlx::query(
                d.sql("INSERT OR IGNORE INTO lists (name, private, created_at) VALUES (?, ?, ?)"),
            )
            .bind(name)
            .bind(private_if_new)
            .bind(now())
            .execute(p)
            .await?
            .rows_affected()
                > 0;
            let row = sqlx::query_as::<_, ListRow>(d.sql(
                "SELECT id, name, title, description, private, obfuscate, next_thread, post_address, language FROM lists WHERE name = ?",
            ))
            .bind(name)
            .fetch_one(p)
            .await?;
            Ok((row, created))
        })
    }

    /// The list's next arrival number, for threading with only the nodes a message touches.
    pub async fn next_seq(&self, list_id: i64) -> Result<i64> {
        on_pool!(&self.pool, |p, d| Ok(sqlx::query_scalar(
            d.sql("SELECT next_seq FROM lists WHERE id = ?")
        )
        .bind(list_id)
        .fetch_one(p)
        .await?))
    }

    /// Rebuilds a list's threading state from its stored nodes. Rows come packed as JSON,
    /// 20,000 per query: fetched one by one, a large list's nodes cost seconds in hand-offs
    /// between threads, which every live delivery (`larch ingest`) would pay. Paging by
    /// OFFSET over a sorted list would sort the whole list for every page.
    pub async fn load_threader(&self, list: &ListRow) -> Result<Threader> {
        const PAGE: i64 = 20_000;
        let mut t = Threader::partial(list.next_thread, self.next_seq(list.id).await?);
        // Pages follow the primary key (no sort in SQL, each page one index range); the
        // arrival order the threader needs is restored in memory.
        let mut all: Vec<Packed> = Vec::new();
        let mut after = String::new();
        loop {
            // The first page starts at the smallest key (`>=` the empty string), the next
            // ones after the last key read; two texts rather than `(mkey > ? OR first)`,
            // which would hide the key range from SQLite's planner.
            let sql = if all.is_empty() {
                "SELECT json_group_array(json_array(mkey, parent, thread_no, real, via_subject, seq,
                                                    subject_key, date))
                 FROM (SELECT n.mkey, n.parent, n.thread_no, n.message_id IS NOT NULL AS real,
                              n.via_subject, n.seq, m.subject_key, m.date
                       FROM nodes n LEFT JOIN messages m ON m.id = n.message_id
                       WHERE n.list_id = ? AND n.mkey >= ? ORDER BY n.mkey LIMIT ?) AS page"
            } else {
                "SELECT json_group_array(json_array(mkey, parent, thread_no, real, via_subject, seq,
                                                    subject_key, date))
                 FROM (SELECT n.mkey, n.parent, n.thread_no, n.message_id IS NOT NULL AS real,
                              n.via_subject, n.seq, m.subject_key, m.date
                       FROM nodes n LEFT JOIN messages m ON m.id = n.message_id
                       WHERE n.list_id = ? AND n.mkey > ? ORDER BY n.mkey LIMIT ?) AS page"
            };
            let packed: Option<String> =
                on_pool!(&self.pool, |p, d| sqlx::query_scalar(d.sql(sql))
                    .bind(list.id)
                    .bind(&after)
                    .bind(PAGE)
                    .fetch_one(p)
                    .await?);
            let rows: Vec<Packed> =
                serde_json::from_str(packed.as_deref().unwrap_or("[]")).map_err(Error::damaged)?;
            let n = rows.len() as i64;
            // The aggregate need not keep the subquery's order: the page's last key is its
            // greatest.
            match rows.iter().map(|r| &r.0).max() {
                Some(last) => after = last.clone(),
                None => break,
            }
            all.extend(rows);
            if n < PAGE {
                break;
            }
        }
        // Arrival order, NULL seq (ghosts) first, as the nodes were written.
        all.sort_by(|a, b| (a.5, &a.0).cmp(&(b.5, &b.0)));
        for p in all {
            let (row, subject) = unpack(p);
            t.load(row, subject.as_ref().map(|(k, d)| (k.as_str(), *d)));
        }
        t.mark_loaded();
        Ok(t)
    }

    /// Starts a write batch: one transaction, committed as a whole or not at all.
    /// The connection stays in the pool: an import's batches then share its warm page
    /// cache instead of each opening the file anew (one batch in a thousand messages had
    /// to read every index page it touched back from the file).
    pub async fn begin(&self) -> Result<Batch> {
        let conn = match &self.pool {
            Pool::Sqlite(p) => {
                let mut conn = p.begin_with("BEGIN IMMEDIATE").await?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "PRAGMA cache_size = {WRITE_CACHE}"
                )))
                .execute(&mut *conn)
                .await?;
                Tx::Sqlite(conn)
            }
            Pool::Pg(p) => {
                let mut conn = p.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(PG_WRITE_LOCK)
                    .execute(&mut *conn)
                    .await?;
                Tx::Pg(conn)
            }
        };
        Ok(Batch {
            conn,
            known: HashMap::new(),
            numbers: Vec::new(),
            numbered: Default::default(),
        })
    }

    /// Number of the next pipermail article for a list (max + 1, or 0).
    pub async fn next_pipermail_number(&self, list_id: i64) -> Result<i64> {
        let n: Option<i64> = on_pool!(&self.pool, |p, d| sqlx::query_scalar(
            d.sql("SELECT MAX(number) FROM pipermail_numbers WHERE list_id = ?")
        )
        .bind(list_id)
        .fetch_one(p)
        .await?);
        Ok(n.map_or(0, |n| n + 1))
    }
}

/// A message joining a list in the current batch.
#[derive(Debug, Clone, Copy)]
pub struct Member {
    pub message_pk: i64,
    pub date: Option<i64>,
    pub month: Option<i64>,
}

/// An open write transaction for one batch of imported messages.
pub struct Batch {
    /// Rolled back when dropped uncommitted, before the connection serves anyone else.
    conn: Tx,
    /// The stored messages of each Message-ID [`Batch::know_message_ids`] looked up, kept
    /// current as this batch stores more: one query for a batch instead of one a message.
    known: HashMap<String, Vec<Existing>>,
    /// Pipermail numbers set in this batch, written together at the commit, and the
    /// (list, message) pairs they number, for [`Batch::has_pipermail_number`].
    numbers: Vec<(i64, i64, i64, bool)>,
    numbered: std::collections::HashSet<(i64, i64)>,
}

/// A message ready to store: normalized fields plus what the importer decided.
pub struct NewMessage<'a> {
    pub mkey: &'a str,
    pub n: &'a Normalized,
    pub raw_compressed: &'a [u8],
    pub raw_size: usize,
    pub source: &'a str,
    pub offset: u64,
}

/// The stored messages of one Message-ID, oldest first: the duplicate check of a write,
/// and the archiver API's forecast of the key a delivery will get (see `Store::existing`).
const FIND_BY_MESSAGE_ID: &str =
    "SELECT id, mkey, content_hash FROM messages WHERE message_id = ? ORDER BY id";

fn existing_rows<R: Cols>(rows: Vec<R>) -> Result<Vec<Existing>> {
    rows.into_iter()
        .map(|r| {
            Ok(Existing {
                message_pk: r.col("id")?,
                mkey: r.col("mkey")?,
                content_hash: r.col("content_hash")?,
            })
        })
        .collect()
}

impl Store {
    /// [`Batch::find_by_message_id`] outside a write: what the store holds now, which a
    /// write may change before the caller acts on it.
    pub async fn existing(&self, message_id: &str) -> Result<Vec<Existing>> {
        on_pool!(&self.pool, |p, d| existing_rows(
            sqlx::query(d.sql(FIND_BY_MESSAGE_ID))
                .bind(message_id)
                .fetch_all(p)
                .await?
        ))
    }
}

/// A stored node with the subject key and date of its message (ghosts have none).
pub type TouchedNode = (NodeRow, Option<(String, i64)>);

/// A node as the threading queries pack it: key, parent, thread, real, via subject, seq,
/// and its message's subject key and date.
type Packed = (
    String,
    Option<String>,
    i64,
    Flag,
    Flag,
    Option<i64>,
    Option<String>,
    Option<i64>,
);

fn unpack(p: Packed) -> TouchedNode {
    let (key, parent, thread, real, via_subject, seq, subject_key, date) = p;
    let row = NodeRow {
        key,
        parent,
        thread,
        real: real.0,
        via_subject: via_subject.0,
        seq,
    };
    (row, subject_key.zip(date))
}

impl Batch {
    /// The list's nodes under `keys` and all their ancestors, for threading one message
    /// without reading the list (see [`Threader::load_touched`]). The walk up the parents
    /// is one recursive query; `UNION` stops it at a loop a damaged store might hold.
    /// `CROSS JOIN` fixes the join order: left to choose, SQLite 3.51 walks every node of
    /// the list and probes the few wanted keys, which made each delivery cost in
    /// proportion to the list (15 ms at 51k messages) instead of a few index lookups.
    pub async fn touched_nodes(&mut self, list_id: i64, keys: &[&str]) -> Result<Vec<TouchedNode>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let keys = serde_json::to_string(keys).map_err(Error::damaged)?;
        let packed: Option<String> = on_tx!(&mut self.conn, |c, d| sqlx::query_scalar(d.pick(
            "WITH RECURSIVE want(k) AS (
                 SELECT value FROM json_each(?1)
                 UNION
                 SELECT n.parent FROM want JOIN nodes n ON n.list_id = ?2 AND n.mkey = want.k
                 WHERE n.parent IS NOT NULL
             )
             SELECT json_group_array(json_array(n.mkey, n.parent, n.thread_no,
                                                n.message_id IS NOT NULL, n.via_subject, n.seq,
                                                m.subject_key, m.date))
             FROM want CROSS JOIN nodes n ON n.list_id = ?2 AND n.mkey = want.k
             LEFT JOIN messages m ON m.id = n.message_id",
            "WITH RECURSIVE want(k) AS (
                 SELECT value COLLATE \"C\" FROM json_array_elements_text(CAST($1 AS JSON))
                 UNION
                 SELECT n.parent FROM want JOIN nodes n ON n.list_id = $2 AND n.mkey = want.k
                 WHERE n.parent IS NOT NULL
             )
             SELECT COALESCE(CAST(json_agg(json_build_array(n.mkey, n.parent, n.thread_no,
                                                n.message_id IS NOT NULL, n.via_subject, n.seq,
                                                m.subject_key, m.date)) AS TEXT), '[]')
             FROM want JOIN nodes n ON n.list_id = $2 AND n.mkey = want.k
             LEFT JOIN messages m ON m.id = n.message_id"
        ))
        .bind(keys)
        .bind(list_id)
        .fetch_one(&mut **c)
        .await?);
        let rows: Vec<Packed> =
            serde_json::from_str(packed.as_deref().unwrap_or("[]")).map_err(Error::damaged)?;
        Ok(rows.into_iter().map(unpack).collect())
    }

    /// The key of the list's latest dated message with this subject key (the latest to
    /// arrive among equals), which a header-less reply may join. Both indexes are named:
    /// left to itself SQLite reads the list's nodes for each message with the subject.
    pub async fn latest_with_subject(
        &mut self,
        list_id: i64,
        subject_key: &str,
    ) -> Result<Option<String>> {
        on_tx!(&mut self.conn, |c, d| Ok(sqlx::query_scalar(d.sql(
            "SELECT n.mkey FROM messages m INDEXED BY messages_subject
             JOIN nodes n INDEXED BY nodes_message ON n.message_id = m.id AND n.list_id = ?
             WHERE m.subject_key = ? AND m.date IS NOT NULL
             ORDER BY m.date DESC, n.seq DESC LIMIT 1"
        ))
        .bind(list_id)
        .bind(subject_key)
        .fetch_optional(&mut **c)
        .await?))
    }

    /// Looks up the stored messages of all `ids` at once, for [`Self::find_by_message_id`].
    pub async fn know_message_ids(&mut self, ids: &[&str]) -> Result<()> {
        let wanted: Vec<&str> = ids
            .iter()
            .copied()
            .filter(|id| !self.known.contains_key(*id))
            .collect();
        if wanted.is_empty() {
            return Ok(());
        }
        let json = serde_json::Value::from(wanted.clone()).to_string();
        let rows: Vec<(String, Existing)> = on_tx!(&mut self.conn, |c, d| {
            let rows = sqlx::query(d.pick(
                "SELECT message_id, id, mkey, content_hash FROM messages
                 WHERE message_id IN (SELECT value FROM json_each(?)) ORDER BY id",
                "SELECT message_id, id, mkey, content_hash FROM messages
                 WHERE message_id IN (SELECT json_array_elements_text(CAST($1 AS JSON)))
                 ORDER BY id",
            ))
            .bind(json)
            .fetch_all(&mut **c)
            .await?;
            let ids = rows
                .iter()
                .map(|r| r.col::<String>("message_id"))
                .collect::<sqlx::Result<Vec<String>>>()?;
            ids.into_iter().zip(existing_rows(rows)?).collect()
        });
        for id in wanted {
            self.known.entry(id.to_string()).or_default();
        }
        for (id, e) in rows {
            self.known.entry(id).or_default().push(e);
        }
        Ok(())
    }

    pub async fn find_by_message_id(&mut self, message_id: &str) -> Result<Vec<Existing>> {
        if let Some(known) = self.known.get(message_id) {
            return Ok(known.clone());
        }
        on_tx!(&mut self.conn, |c, d| existing_rows(
            sqlx::query(d.sql(FIND_BY_MESSAGE_ID))
                .bind(message_id)
                .fetch_all(&mut **c)
                .await?
        ))
    }

    /// The list's next thread number, next arrival number and next pipermail number as
    /// committed, read under the write lock: another server may have written to the list
    /// since this process read them.
    pub async fn list_counters(&mut self, list_id: i64) -> Result<(i64, i64, i64)> {
        on_tx!(&mut self.conn, |c, d| {
            let (next_thread, next_seq): (i64, i64) =
                sqlx::query_as(d.sql("SELECT next_thread, next_seq FROM lists WHERE id = ?"))
                    .bind(list_id)
                    .fetch_one(&mut **c)
                    .await?;
            let number: Option<i64> = sqlx::query_scalar(
                d.sql("SELECT MAX(number) FROM pipermail_numbers WHERE list_id = ?"),
            )
            .bind(list_id)
            .fetch_one(&mut **c)
            .await?;
            Ok((next_thread, next_seq, number.map_or(0, |n| n + 1)))
        })
    }

    pub async fn mkey_taken(&mut self, mkey: &str) -> Result<bool> {
        let n: i64 = on_tx!(&mut self.conn, |c, d| sqlx::query_scalar(
            d.sql("SELECT COUNT(*) FROM messages WHERE mkey = ?")
        )
        .bind(mkey)
        .fetch_one(&mut **c)
        .await?);
        Ok(n > 0)
    }

    /// Stores a message with its attachments; returns its row, the `message_pk` that nodes
    /// and pipermail numbers refer to.
    pub async fn insert_message(&mut self, m: &NewMessage<'_>) -> Result<i64> {
        let n = m.n;
        let refs = n.references.join(" ");
        let message_pk: i64 = on_tx!(&mut self.conn, |c, d| {
            let t = |s: &str| text_for(d, s).into_owned();
            let o = |s: &Option<String>| s.as_deref().map(t);
            let message_pk: i64 = sqlx::query_scalar(d.sql(
                "INSERT INTO messages (mkey, message_id, msgid_generated, content_hash, from_name,
                    from_addr, date, tz_offset, date_source, subject, subject_key, in_reply_to, refs,
                    list_id_header, body_text, body_html, text_from_html, flowed, attachment_count, raw,
                    raw_size, source, source_offset, created_at, hk_hash, list_post)
                 VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
            ))
            .bind(m.mkey)
            .bind(t(&n.message_id))
            .bind(n.msgid_generated)
            .bind(&n.content_hash[..])
            .bind(t(&n.from_name))
            .bind(t(&n.from_addr))
            .bind(n.date)
            .bind(n.tz_offset)
            .bind(n.date_source as i64)
            .bind(t(&n.subject))
            .bind(t(&n.subject_key))
            .bind(o(&n.in_reply_to))
            .bind(t(&refs))
            .bind(o(&n.list_id))
            .bind(t(&n.body_text))
            .bind(o(&n.body_html))
            .bind(n.text_from_html)
            .bind(n.flowed.code())
            .bind(n.attachments.len() as i64)
            .bind(m.raw_compressed)
            .bind(m.raw_size as i64)
            .bind(t(m.source))
            .bind(m.offset as i64)
            .bind(now())
            .bind(crate::domain::hyperkitty::message_id_hash(&n.message_id))
            .bind(o(&n.list_post))
            .fetch_one(&mut **c)
            .await?;
            for (i, a) in n.attachments.iter().enumerate() {
                sqlx::query(d.sql(
                    "INSERT INTO attachments (message_id, idx, filename, content_type, size, data)
                     VALUES (?,?,?,?,?,?)",
                ))
                .bind(message_pk)
                .bind(i as i64)
                .bind(t(&a.filename))
                .bind(t(&a.content_type))
                .bind(a.data.len() as i64)
                .bind(&a.data)
                .execute(&mut **c)
                .await?;
            }
            message_pk
        });
        if let Some(known) = self.known.get_mut(&n.message_id) {
            known.push(Existing {
                message_pk,
                mkey: m.mkey.to_string(),
                content_hash: n.content_hash.to_vec(),
            });
        }
        Ok(message_pk)
    }

    pub async fn insert_reject(
        &mut self,
        list_id: i64,
        source: &str,
        offset: u64,
        reason: &str,
        raw: &[u8],
    ) -> Result<()> {
        on_tx!(&mut self.conn, |c, d| {
            sqlx::query(d.sql(
            "INSERT OR IGNORE INTO rejects (list_id, source, source_offset, reason, raw, created_at)
             VALUES (?,?,?,?,?,?)"
        ))
        .bind(list_id)
        .bind(text_for(d, source))
        .bind(offset as i64)
        .bind(text_for(d, reason))
        .bind(raw)
        .bind(now())
        .execute(&mut **c)
        .await?
        .rows_affected()
        });
        Ok(())
    }

    /// Keeps a message that cannot be stored as a reject, its original bytes restored from
    /// the stored form the importer prepared.
    pub async fn reject_message(
        &mut self,
        list_id: i64,
        m: &NewMessage<'_>,
        reason: &str,
    ) -> Result<()> {
        let raw = raw::inflate(m.raw_compressed).map_err(Error::damaged)?;
        self.insert_reject(list_id, m.source, m.offset, reason, &raw)
            .await
    }

    /// Whether a message already has a pipermail number in this list.
    pub async fn has_pipermail_number(&mut self, list_id: i64, message_pk: i64) -> Result<bool> {
        if self.numbered.contains(&(list_id, message_pk)) {
            return Ok(true);
        }
        let n: i64 = on_tx!(&mut self.conn, |c, d| sqlx::query_scalar(d.sql(
            "SELECT COUNT(*) FROM pipermail_numbers WHERE list_id = ? AND message_id = ?"
        ))
        .bind(list_id)
        .bind(message_pk)
        .fetch_one(&mut **c)
        .await?);
        Ok(n > 0)
    }

    /// Kept until the commit, which writes the batch's numbers in one statement.
    pub async fn set_pipermail_number(
        &mut self,
        list_id: i64,
        number: i64,
        message_pk: i64,
        from_html: bool,
    ) -> Result<()> {
        self.numbers.push((list_id, number, message_pk, from_html));
        self.numbered.insert((list_id, message_pk));
        Ok(())
    }

    async fn write_pipermail_numbers(&mut self) -> Result<()> {
        for chunk in self.numbers.chunks(5000) {
            let json = serde_json::to_string(chunk).map_err(Error::damaged)?;
            on_tx!(&mut self.conn, |c, d| sqlx::query(d.pick(
                "INSERT OR IGNORE INTO pipermail_numbers (list_id, number, message_id, from_html)
                 SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(?)",
                "INSERT INTO pipermail_numbers (list_id, number, message_id, from_html)
                 SELECT CAST(value ->> 0 AS BIGINT), CAST(value ->> 1 AS BIGINT),
                        CAST(value ->> 2 AS BIGINT), CAST(value ->> 3 AS BOOLEAN)
                 FROM json_array_elements(CAST($1 AS JSON))
                 ON CONFLICT DO NOTHING"
            ))
            .bind(json)
            .execute(&mut **c)
            .await?
            .rows_affected());
        }
        self.numbers.clear();
        Ok(())
    }

    /// Records that the old pipermail attachment path names this stored attachment.
    pub async fn set_pipermail_attachment(
        &mut self,
        list_id: i64,
        path: &str,
        message_pk: i64,
        idx: i64,
    ) -> Result<()> {
        on_tx!(&mut self.conn, |c, d| sqlx::query(d.sql(
            "INSERT OR IGNORE INTO pipermail_attachments (list_id, path, message_id, idx)
             VALUES (?,?,?,?)"
        ))
        .bind(list_id)
        .bind(text_for(d, path))
        .bind(message_pk)
        .bind(idx)
        .execute(&mut **c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Writes the threader's changes: renumbered threads, nodes, thread summaries.
    /// `members` maps keys of messages that joined the list in this batch to their rows.
    pub async fn write_threads(
        &mut self,
        list_id: i64,
        changes: &Changes,
        members: &HashMap<String, Member>,
    ) -> Result<()> {
        self.merge_threads(list_id, &changes.merges).await?;
        self.write_nodes(list_id, changes, members).await?;
        for t in &changes.threads {
            self.summarize_thread(list_id, *t).await?;
        }
        self.count_months(list_id, members).await?;
        on_tx!(&mut self.conn, |c, d| {
            sqlx::query("UPDATE generation SET value = value + 1 WHERE id = 1")
                .execute(&mut **c)
                .await?;
            sqlx::query(d.pick(
                "UPDATE lists SET next_thread = ?, next_seq = MAX(next_seq, ?) WHERE id = ?",
                "UPDATE lists SET next_thread = $1, next_seq = GREATEST(next_seq, $2) WHERE id = $3",
            ))
            .bind(changes.next_thread)
            .bind(changes.next_seq)
            .bind(list_id)
            .execute(&mut **c)
            .await?;
        });
        Ok(())
    }

    /// Renumbers the nodes of each merged thread `from` into `to`, dropping `from`'s summary.
    async fn merge_threads(&mut self, list_id: i64, merges: &[(i64, i64)]) -> Result<()> {
        for (from, to) in merges {
            on_tx!(&mut self.conn, |c, d| {
                sqlx::query(d.sql("UPDATE nodes INDEXED BY nodes_thread SET thread_no = ? WHERE list_id = ? AND thread_no = ?"))
                    .bind(to)
                    .bind(list_id)
                    .bind(from)
                    .execute(&mut **c)
                    .await?;
                sqlx::query(d.sql("DELETE FROM threads WHERE list_id = ? AND thread_no = ?"))
                    .bind(list_id)
                    .bind(from)
                    .execute(&mut **c)
                    .await?;
            });
        }
        Ok(())
    }

    /// Writes new and changed nodes; a node that was a ghost becomes real when its message
    /// is among `members`, and keeps its message, date and month otherwise. The nodes go
    /// as one JSON array per 2,000 rather than a statement each: every statement is a
    /// round trip to the database's thread, and an import writes a node per message.
    async fn write_nodes(
        &mut self,
        list_id: i64,
        changes: &Changes,
        members: &HashMap<String, Member>,
    ) -> Result<()> {
        for chunk in changes.nodes.chunks(2000) {
            let rows: Vec<_> = chunk
                .iter()
                .map(|n| {
                    let member = members.get(&n.key);
                    serde_json::json!([
                        n.key,
                        member.map(|m| m.message_pk),
                        n.parent,
                        n.thread,
                        n.seq,
                        n.via_subject,
                        member.and_then(|m| m.date),
                        member.and_then(|m| m.month),
                    ])
                })
                .collect();
            let json = serde_json::Value::Array(rows).to_string();
            // `WHERE true`: an upsert's SELECT needs a clause before ON CONFLICT.
            on_tx!(&mut self.conn, |c, d| sqlx::query(d.pick(
                "INSERT INTO nodes (list_id, mkey, message_id, parent, thread_no, seq, via_subject,
                    date, month)
                 SELECT ?1, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4,
                    value ->> 5, value ->> 6, value ->> 7
                 FROM json_each(?2) WHERE true
                 ON CONFLICT (list_id, mkey) DO UPDATE SET
                    message_id = COALESCE(excluded.message_id, nodes.message_id),
                    date = COALESCE(excluded.date, nodes.date),
                    month = COALESCE(excluded.month, nodes.month),
                    parent = excluded.parent, thread_no = excluded.thread_no,
                    seq = excluded.seq, via_subject = excluded.via_subject",
                "INSERT INTO nodes (list_id, mkey, message_id, parent, thread_no, seq, via_subject,
                    date, month)
                 SELECT $1, value ->> 0, CAST(value ->> 1 AS BIGINT), value ->> 2,
                    CAST(value ->> 3 AS BIGINT), CAST(value ->> 4 AS BIGINT),
                    CAST(value ->> 5 AS BOOLEAN), CAST(value ->> 6 AS BIGINT),
                    CAST(value ->> 7 AS BIGINT)
                 FROM json_array_elements(CAST($2 AS JSON))
                 ON CONFLICT (list_id, mkey) DO UPDATE SET
                    message_id = COALESCE(excluded.message_id, nodes.message_id),
                    date = COALESCE(excluded.date, nodes.date),
                    month = COALESCE(excluded.month, nodes.month),
                    parent = excluded.parent, thread_no = excluded.thread_no,
                    seq = excluded.seq, via_subject = excluded.via_subject"
            ))
            .bind(list_id)
            .bind(json)
            .execute(&mut **c)
            .await?
            .rows_affected());
        }
        Ok(())
    }

    /// Rewrites a thread's summary from its nodes as they now stand (its earliest message
    /// stands for it), or deletes it when no message is left in it.
    async fn summarize_thread(&mut self, list_id: i64, thread_no: i64) -> Result<()> {
        on_tx!(&mut self.conn, |c, d| {
            let agg = sqlx::query(d.sql(
                "SELECT MIN(m.date) AS first_date, MAX(m.date) AS last_date, COUNT(*) AS count
                 FROM nodes n INDEXED BY nodes_thread JOIN messages m ON m.id = n.message_id
                 WHERE n.list_id = ? AND n.thread_no = ?",
            ))
            .bind(list_id)
            .bind(thread_no)
            .fetch_one(&mut **c)
            .await?;
            let count: i64 = agg.col("count")?;
            if count == 0 {
                sqlx::query(d.sql("DELETE FROM threads WHERE list_id = ? AND thread_no = ?"))
                    .bind(list_id)
                    .bind(thread_no)
                    .execute(&mut **c)
                    .await?;
                return Ok(());
            }
            let root = sqlx::query(d.sql(
                "SELECT n.mkey, m.subject FROM nodes n INDEXED BY nodes_thread JOIN messages m ON m.id = n.message_id
                 WHERE n.list_id = ? AND n.thread_no = ?
                 ORDER BY m.date IS NULL, m.date, n.seq LIMIT 1",
            ))
            .bind(list_id)
            .bind(thread_no)
            .fetch_one(&mut **c)
            .await?;
            sqlx::query(d.sql(
                "INSERT INTO threads
                    (list_id, thread_no, root_mkey, subject, first_date, last_date, message_count)
                 VALUES (?,?,?,?,?,?,?)
                 ON CONFLICT (list_id, thread_no) DO UPDATE SET root_mkey = excluded.root_mkey,
                    subject = excluded.subject, first_date = excluded.first_date,
                    last_date = excluded.last_date, message_count = excluded.message_count",
            ))
            .bind(list_id)
            .bind(thread_no)
            .bind(root.col::<String>("mkey")?)
            .bind(root.col::<String>("subject")?)
            .bind(agg.col::<Option<i64>>("first_date")?)
            .bind(agg.col::<Option<i64>>("last_date")?)
            .bind(count)
            .execute(&mut **c)
            .await?;
        });
        Ok(())
    }

    /// Adds the batch's messages to their months' counts.
    async fn count_months(
        &mut self,
        list_id: i64,
        members: &HashMap<String, Member>,
    ) -> Result<()> {
        let mut per_month: std::collections::BTreeMap<i64, i64> = Default::default();
        for m in members.values() {
            if let Some(month) = m.month {
                *per_month.entry(month).or_default() += 1;
            }
        }
        for (month, count) in per_month {
            on_tx!(&mut self.conn, |c, d| sqlx::query(d.sql(
                "INSERT INTO months (list_id, month, count) VALUES (?,?,?)
                 ON CONFLICT (list_id, month) DO UPDATE SET count = months.count + excluded.count"
            ))
            .bind(list_id)
            .bind(month)
            .bind(count)
            .execute(&mut **c)
            .await?
            .rows_affected());
        }
        Ok(())
    }

    pub async fn commit(mut self) -> Result<()> {
        self.write_pipermail_numbers().await?;
        crate::pause::pause_at("store-batch");
        match self.conn {
            Tx::Sqlite(mut conn) => {
                // Back to a reader's share before the connection returns to the pool.
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "PRAGMA cache_size = {READ_CACHE}"
                )))
                .execute(&mut *conn)
                .await?;
                conn.commit().await?;
            }
            Tx::Pg(conn) => conn.commit().await?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    /// The bundled SQLite is built with the options `.cargo/config.toml` sets: without
    /// them every connection of the pool contends on global mutexes (see there).
    #[tokio::test]
    async fn sqlite_compile_options() {
        let dir = tempfile::tempdir().unwrap();
        let store = super::Store::open(dir.path()).await.unwrap();
        let super::Pool::Sqlite(pool) = store.pool() else {
            unreachable!("opened on SQLite")
        };
        let options: Vec<String> = sqlx::query_scalar("PRAGMA compile_options")
            .fetch_all(pool)
            .await
            .unwrap();
        assert!(
            options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
            "{options:?}"
        );
        assert!(
            !options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"),
            "{options:?}"
        );
        store.close().await;
    }
}
