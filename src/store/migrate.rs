//! Copying a whole archive from one store into another (`larch migrate-store`): an archive
//! moves to PostgreSQL when it needs several servers, and back to SQLite when it no longer
//! does.
//!
//! Tables go one after the other, parents before the rows that refer to them, each in its
//! primary key's order and in batches of at most [`BATCH_ROWS`] rows or [`BATCH_BYTES`]
//! bytes, one target transaction each: a million-message archive never sits in memory, and
//! an interrupted copy keeps every batch it committed.
//!
//! A second run resumes. Each table of an interrupted copy holds a prefix of the source's
//! rows in key order, so the run checks that the target's first row, and its row with the
//! greatest key, are the source's rows under the same keys, and goes on after that key.
//! The same check refuses a target that holds anything else (another archive), before
//! anything is written to it. Comparing two rows, not counting the rows before the last,
//! keeps a resumed run's start in proportion to one batch; the digests at the end catch
//! what the two rows cannot (a source changed between the runs).
//!
//! The target's triggers append to `search_queue` and `changes` as the nodes go in, with
//! numbers of their own. Those two tables (and `generation`) are therefore not copied batch
//! by batch: at the end one transaction deletes what the triggers added and copies the
//! source's rows with their sequence numbers, and the counters that hand out the next
//! ones, since search indexes and mirrors resume from those numbers. Switching the
//! triggers off instead needs PostgreSQL's superuser (`session_replication_role`) or an
//! exclusive lock as the tables' owner, and SQLite has no way to.
//!
//! Text goes as the target can hold it: PostgreSQL refuses NUL characters, which become
//! U+FFFD (as the store writes them there); text on SQLite that is not UTF-8 (damage to the
//! file) is read with U+FFFD for the bad bytes rather than failing the copy. The report
//! counts both, and [`Store::table_digests`] hashes text in that same form, so that a
//! copy verifies against its source.

use sha2::{Digest, Sha256};
use sqlx::AssertSqlSafe;

use super::db::{Dialect, Pool, Tx, on_pool};
use super::{Error, Result, Store, pg_text};

/// Rows per batch, at most.
const BATCH_ROWS: usize = 500;

/// Bytes of text and blobs per batch, at most (a batch always takes one row, however large):
/// messages and attachments can be megabytes each.
const BATCH_BYTES: i64 = 4 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    /// A 0/1 flag on SQLite, a BOOLEAN on PostgreSQL.
    Flag,
    Text,
    Blob,
}

use Kind::{Blob, Flag, Int, Text};

/// One table of the archive, as the copy needs to know it.
struct Table {
    name: &'static str,
    columns: &'static [(&'static str, Kind)],
    /// The primary key, whose order the copy follows and resumes in.
    key: &'static [&'static str],
    /// The column numbered by PostgreSQL's identity (SQLite's rowid): its sequence must
    /// come after the copied numbers, or the target's next insert would collide.
    identity: Option<&'static str>,
    /// Rewritten whole by the copy's last transaction rather than copied batch by batch
    /// (see the module's documentation).
    whole: bool,
    /// Numbered by SQLite's AUTOINCREMENT, whose counter never goes back (pruned numbers
    /// are not handed out again): the counter goes with the rows.
    counter: bool,
}

/// What [`TABLES`]' entries do not say otherwise.
const TABLE: Table = Table {
    name: "",
    columns: &[],
    key: &[],
    identity: None,
    whole: false,
    counter: false,
};

/// Every table of the archive, parents before the tables that refer to them. The copy
/// refuses a store with a table or a column this list does not name, so a later migration
/// cannot add one that copies would silently leave behind.
const TABLES: &[Table] = &[
    Table {
        name: "lists",
        columns: &[
            ("id", Int),
            ("name", Text),
            ("title", Text),
            ("description", Text),
            ("private", Flag),
            ("obfuscate", Flag),
            ("next_thread", Int),
            ("created_at", Int),
            ("next_seq", Int),
            ("post_address", Text),
            ("language", Text),
        ],
        key: &["id"],
        identity: Some("id"),
        ..TABLE
    },
    Table {
        name: "list_aliases",
        columns: &[("alias", Text), ("list_id", Int)],
        key: &["alias"],
        ..TABLE
    },
    Table {
        name: "users",
        columns: &[
            ("id", Int),
            ("name", Text),
            ("password_hash", Text),
            ("admin", Flag),
            ("feed_token_hash", Blob),
            ("created_at", Int),
        ],
        key: &["id"],
        identity: Some("id"),
        ..TABLE
    },
    Table {
        name: "grants",
        columns: &[("user_id", Int), ("list_id", Int)],
        key: &["user_id", "list_id"],
        ..TABLE
    },
    Table {
        name: "sessions",
        columns: &[
            ("token_hash", Blob),
            ("user_id", Int),
            ("csrf", Text),
            ("created_at", Int),
            ("expires_at", Int),
        ],
        key: &["token_hash"],
        ..TABLE
    },
    Table {
        name: "messages",
        columns: &[
            ("id", Int),
            ("mkey", Text),
            ("message_id", Text),
            ("msgid_generated", Flag),
            ("content_hash", Blob),
            ("from_name", Text),
            ("from_addr", Text),
            ("date", Int),
            ("tz_offset", Int),
            ("date_source", Int),
            ("subject", Text),
            ("subject_key", Text),
            ("in_reply_to", Text),
            ("refs", Text),
            ("list_id_header", Text),
            ("body_text", Text),
            ("body_html", Text),
            ("text_from_html", Flag),
            ("flowed", Int),
            ("attachment_count", Int),
            ("raw", Blob),
            ("raw_size", Int),
            ("source", Text),
            ("source_offset", Int),
            ("removed", Flag),
            ("created_at", Int),
            ("hk_hash", Text),
            ("list_post", Text),
        ],
        key: &["id"],
        identity: Some("id"),
        ..TABLE
    },
    Table {
        name: "attachments",
        columns: &[
            ("id", Int),
            ("message_id", Int),
            ("idx", Int),
            ("filename", Text),
            ("content_type", Text),
            ("size", Int),
            ("data", Blob),
        ],
        key: &["id"],
        identity: Some("id"),
        ..TABLE
    },
    Table {
        name: "nodes",
        columns: &[
            ("list_id", Int),
            ("mkey", Text),
            ("message_id", Int),
            ("parent", Text),
            ("thread_no", Int),
            ("seq", Int),
            ("via_subject", Flag),
            ("date", Int),
            ("month", Int),
        ],
        key: &["list_id", "mkey"],
        ..TABLE
    },
    Table {
        name: "months",
        columns: &[("list_id", Int), ("month", Int), ("count", Int)],
        key: &["list_id", "month"],
        ..TABLE
    },
    Table {
        name: "threads",
        columns: &[
            ("list_id", Int),
            ("thread_no", Int),
            ("root_mkey", Text),
            ("subject", Text),
            ("first_date", Int),
            ("last_date", Int),
            ("message_count", Int),
        ],
        key: &["list_id", "thread_no"],
        ..TABLE
    },
    Table {
        name: "pipermail_numbers",
        columns: &[
            ("list_id", Int),
            ("number", Int),
            ("message_id", Int),
            ("from_html", Flag),
        ],
        key: &["list_id", "number"],
        ..TABLE
    },
    Table {
        name: "pipermail_attachments",
        columns: &[
            ("list_id", Int),
            ("path", Text),
            ("message_id", Int),
            ("idx", Int),
        ],
        key: &["list_id", "path"],
        ..TABLE
    },
    Table {
        name: "rejects",
        columns: &[
            ("id", Int),
            ("list_id", Int),
            ("source", Text),
            ("source_offset", Int),
            ("reason", Text),
            ("raw", Blob),
            ("created_at", Int),
        ],
        key: &["id"],
        identity: Some("id"),
        ..TABLE
    },
    // The migrations write its one row: the target holds it before the copy.
    Table {
        name: "generation",
        columns: &[("id", Int), ("value", Int)],
        key: &["id"],
        whole: true,
        ..TABLE
    },
    Table {
        name: "search_queue",
        columns: &[("seq", Int), ("message_id", Int)],
        key: &["seq"],
        identity: Some("seq"),
        whole: true,
        counter: true,
    },
    Table {
        name: "changes",
        columns: &[
            ("seq", Int),
            ("list_id", Int),
            ("mkey", Text),
            ("kind", Text),
            ("at", Int),
        ],
        key: &["seq"],
        identity: Some("seq"),
        whole: true,
        counter: true,
    },
];

impl Table {
    fn kind(&self, column: &str) -> Kind {
        self.columns
            .iter()
            .find(|(c, _)| *c == column)
            .map_or(Int, |(_, k)| *k)
    }

    /// Where each key column is among the columns.
    fn key_positions(&self) -> Vec<usize> {
        self.key
            .iter()
            .filter_map(|k| self.columns.iter().position(|(c, _)| c == k))
            .collect()
    }

    fn column_list(&self) -> String {
        quoted(self.columns.iter().map(|(c, _)| *c))
    }

    fn key_list(&self) -> String {
        quoted(self.key.iter().copied())
    }

    fn order(&self, descending: bool) -> String {
        let dir = if descending { " DESC" } else { "" };
        self.key
            .iter()
            .map(|k| format!("\"{k}\"{dir}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The key compared with `op` to parameters numbered from `first`: row values for a
    /// key of several columns, which both databases read as the key's order.
    fn key_is(&self, op: &str, d: Dialect, first: usize) -> String {
        let params: Vec<String> = self
            .key
            .iter()
            .enumerate()
            .map(|(i, k)| param(d, first + i, self.kind(k)))
            .collect();
        if self.key.len() == 1 {
            format!("\"{}\" {op} {}", self.key[0], params[0])
        } else {
            format!("({}) {op} ({})", self.key_list(), params.join(", "))
        }
    }

    /// The bytes of a row's text and blobs, to cut a batch by size before reading it
    /// (`octet_length`: SQLite's `length` counts characters; SQLite has had it since 3.43).
    fn size_expr(&self) -> String {
        let parts: Vec<String> = self
            .columns
            .iter()
            .filter(|(_, k)| matches!(k, Text | Blob))
            .map(|(c, _)| format!("CAST(COALESCE(octet_length(\"{c}\"), 0) AS BIGINT)"))
            .collect();
        if parts.is_empty() {
            "CAST(0 AS BIGINT)".into()
        } else {
            parts.join(" + ")
        }
    }
}

fn quoted<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A placeholder for a key value. SQLite's text keys are bound as the bytes they were read
/// as and read back as text: a damaged key that is not UTF-8 must compare as it is stored,
/// or the batch after it would start at the same row again.
fn param(d: Dialect, n: usize, kind: Kind) -> String {
    match (d, kind) {
        (Dialect::Pg, _) => format!("${n}"),
        (Dialect::Sqlite, Text) => "CAST(? AS TEXT)".into(),
        (Dialect::Sqlite, _) => "?".into(),
    }
}

/// A value of a row, typed by its column: a NULL is bound with its column's type, which
/// PostgreSQL insists on.
#[derive(Debug)]
enum Value {
    Int(Option<i64>),
    Flag(Option<bool>),
    Text(Option<String>),
    Blob(Option<Vec<u8>>),
}

type Row = Vec<Value>;

/// A value of a primary key, as stored (a SQLite text may not be UTF-8).
#[derive(Debug)]
enum KeyCell {
    Int(i64),
    Text(Vec<u8>),
    Blob(Vec<u8>),
}

type Key = Vec<KeyCell>;

/// Reading cells by position from either database's rows.
trait Cells {
    /// The cell as a value of `kind`, and whether it was text that is not UTF-8 (read with
    /// U+FFFD).
    fn value(&self, i: usize, kind: Kind) -> sqlx::Result<(Value, bool)>;
    fn key_cell(&self, i: usize, kind: Kind) -> sqlx::Result<KeyCell>;
}

impl Cells for sqlx::sqlite::SqliteRow {
    fn value(&self, i: usize, kind: Kind) -> sqlx::Result<(Value, bool)> {
        use sqlx::Row;
        Ok(match kind {
            Int => (Value::Int(self.try_get(i)?), false),
            Flag => (Value::Flag(self.try_get(i)?), false),
            Blob => (Value::Blob(self.try_get(i)?), false),
            Text => match self
                .try_get::<Option<Vec<u8>>, _>(i)?
                .map(String::from_utf8)
            {
                None => (Value::Text(None), false),
                Some(Ok(s)) => (Value::Text(Some(s)), false),
                Some(Err(e)) => (
                    Value::Text(Some(String::from_utf8_lossy(e.as_bytes()).into_owned())),
                    true,
                ),
            },
        })
    }

    fn key_cell(&self, i: usize, kind: Kind) -> sqlx::Result<KeyCell> {
        use sqlx::Row;
        Ok(match kind {
            Int | Flag => KeyCell::Int(self.try_get(i)?),
            Text => KeyCell::Text(self.try_get(i)?),
            Blob => KeyCell::Blob(self.try_get(i)?),
        })
    }
}

impl Cells for sqlx::postgres::PgRow {
    fn value(&self, i: usize, kind: Kind) -> sqlx::Result<(Value, bool)> {
        use sqlx::Row;
        Ok(match kind {
            Int => (Value::Int(self.try_get(i)?), false),
            Flag => (Value::Flag(self.try_get(i)?), false),
            Blob => (Value::Blob(self.try_get(i)?), false),
            Text => (Value::Text(self.try_get(i)?), false),
        })
    }

    fn key_cell(&self, i: usize, kind: Kind) -> sqlx::Result<KeyCell> {
        use sqlx::Row;
        Ok(match kind {
            Int | Flag => KeyCell::Int(self.try_get(i)?),
            Text => KeyCell::Text(self.try_get::<String, _>(i)?.into_bytes()),
            Blob => KeyCell::Blob(self.try_get(i)?),
        })
    }
}

/// A whole row of `t` (its columns in order), and whether any of its text was damaged.
fn row_of<R: Cells>(r: &R, t: &Table) -> sqlx::Result<(Row, bool)> {
    let mut damaged = false;
    let mut row = Vec::with_capacity(t.columns.len());
    for (i, (_, kind)) in t.columns.iter().enumerate() {
        let (v, bad) = r.value(i, *kind)?;
        damaged |= bad;
        row.push(v);
    }
    Ok((row, damaged))
}

/// The key of a row of `t` whose key columns are at `positions`.
fn key_of<R: Cells>(r: &R, t: &Table, positions: &[usize]) -> sqlx::Result<Key> {
    t.key
        .iter()
        .zip(positions)
        .map(|(k, i)| r.key_cell(*i, t.kind(k)))
        .collect()
}

/// Binds a key's values in order (see [`param`] for SQLite's text).
macro_rules! bind_key {
    ($q:expr, $key:expr, $d:expr) => {{
        let mut q = $q;
        for cell in $key {
            q = match cell {
                KeyCell::Int(i) => q.bind(*i),
                KeyCell::Blob(b) => q.bind(b.as_slice()),
                KeyCell::Text(b) if $d.is_pg() => q.bind(String::from_utf8_lossy(b).into_owned()),
                KeyCell::Text(b) => q.bind(b.as_slice()),
            };
        }
        q
    }};
}

/// A value in the form both sides of a copy agree on, fed to `out`: NULL apart from every
/// value (empty ones included), integers in decimal, flags as 0 and 1, text as PostgreSQL
/// holds it (see the module's documentation), blobs as they are. Values are
/// length-prefixed, so that no two rows feed the same bytes.
fn canonical(v: &Value, out: &mut impl FnMut(&[u8])) {
    let number;
    let text;
    let bytes: &[u8] = match v {
        Value::Int(None) | Value::Flag(None) | Value::Text(None) | Value::Blob(None) => {
            out(&[0]);
            return;
        }
        Value::Int(Some(i)) => {
            number = i.to_string();
            number.as_bytes()
        }
        Value::Flag(Some(b)) => {
            if *b {
                b"1"
            } else {
                b"0"
            }
        }
        Value::Text(Some(s)) => {
            text = pg_text(s);
            text.as_bytes()
        }
        Value::Blob(Some(b)) => b,
    };
    out(&[1]);
    out(&(bytes.len() as u64).to_le_bytes());
    out(bytes);
}

fn canonical_row(row: &Row) -> Vec<u8> {
    let mut bytes = Vec::new();
    for v in row {
        canonical(v, &mut |b| bytes.extend_from_slice(b));
    }
    bytes
}

/// A batch of a table's rows in key order.
#[derive(Default)]
struct Batch {
    rows: Vec<Row>,
    /// The last row's key, where the next batch starts.
    last: Option<Key>,
    /// Rows with text that is not UTF-8.
    damaged: u64,
}

/// What [`Store::copy_into`] did.
#[derive(Debug, Clone, Default)]
pub struct CopyReport {
    /// Each table, in the order copied.
    pub tables: Vec<TableCopy>,
    /// Rows whose text held NUL characters, which PostgreSQL cannot store: written with
    /// U+FFFD in their place.
    pub nul_replaced: u64,
    /// Rows whose text was not UTF-8 in the source (damage to a SQLite file): written with
    /// U+FFFD in place of the bad bytes.
    pub damaged_text: u64,
}

/// One table of a [`CopyReport`].
#[derive(Debug, Clone)]
pub struct TableCopy {
    pub name: String,
    /// The source's rows when the table's copy began.
    pub rows: u64,
    /// Rows an earlier, interrupted run had copied already.
    pub resumed: u64,
    /// Rows this run copied.
    pub copied: u64,
}

impl Store {
    /// Copies the whole archive into `target`, which must be empty or hold what an earlier,
    /// interrupted copy from this archive left there (the copy resumes after it). A target
    /// holding anything else is refused before anything is written to it. `progress` hears
    /// each table's name, the rows it holds in the target and the source's rows, when the
    /// table starts and after each batch.
    ///
    /// The copy is of the archive as it is while it runs: writers should be stopped first,
    /// and [`Store::table_digests`] of both stores says whether the copy is the source.
    pub async fn copy_into(
        &self,
        target: &Store,
        progress: &(dyn Fn(&str, u64, u64) + Sync),
    ) -> Result<CopyReport> {
        self.check_schema().await?;
        target.check_schema().await?;
        // Every table's starting point before the first write, so that a refused target is
        // left as it was.
        let mut starts = Vec::new();
        for t in TABLES.iter().filter(|t| !t.whole) {
            starts.push(self.resume_point(target, t).await?);
        }
        let mut report = CopyReport::default();
        for (t, (mut after, resumed)) in TABLES.iter().filter(|t| !t.whole).zip(starts) {
            let rows = self.row_count(t).await?;
            let mut done = resumed;
            progress(t.name, done, rows);
            loop {
                let batch = self.batch_after(t, after.as_ref()).await?;
                if batch.rows.is_empty() {
                    break;
                }
                report.damaged_text += batch.damaged;
                let n = batch.rows.len() as u64;
                let mut tx = target.write_tx().await?;
                report.nul_replaced += insert(&mut tx, t, batch.rows).await?;
                commit(tx).await?;
                done += n;
                after = batch.last;
                progress(t.name, done, rows);
            }
            report.tables.push(TableCopy {
                name: t.name.into(),
                rows,
                resumed,
                copied: done - resumed,
            });
        }

        // The tables the triggers wrote to, and the generation, in one transaction: should
        // it not commit, the next run finds them as before and does it again.
        let mut tx = target.write_tx().await?;
        let whole: Vec<&Table> = TABLES.iter().filter(|t| t.whole).collect();
        for t in &whole {
            execute(&mut tx, &format!("DELETE FROM \"{}\"", t.name)).await?;
        }
        for t in &whole {
            let rows = self.row_count(t).await?;
            let mut done = 0;
            let mut after = None;
            progress(t.name, done, rows);
            loop {
                let batch = self.batch_after(t, after.as_ref()).await?;
                if batch.rows.is_empty() {
                    break;
                }
                report.damaged_text += batch.damaged;
                done += batch.rows.len() as u64;
                report.nul_replaced += insert(&mut tx, t, batch.rows).await?;
                after = batch.last;
                progress(t.name, done, rows);
            }
            report.tables.push(TableCopy {
                name: t.name.into(),
                rows,
                resumed: 0,
                copied: done,
            });
        }
        for t in TABLES.iter().filter(|t| t.counter) {
            set_counter(&mut tx, t, self.counter(t).await?).await?;
        }
        if let Tx::Pg(c) = &mut tx {
            // PostgreSQL's identities do not follow numbers given explicitly.
            for t in TABLES.iter().filter(|t| !t.counter) {
                if let Some(col) = t.identity {
                    let sql = format!(
                        "SELECT setval(pg_get_serial_sequence('{0}', '{col}'),
                                       GREATEST(MAX(\"{col}\"), 1), MAX(\"{col}\") IS NOT NULL)
                         FROM \"{0}\"",
                        t.name
                    );
                    sqlx::query(AssertSqlSafe(sql)).execute(&mut **c).await?;
                }
            }
        }
        commit(tx).await?;
        for t in TABLES.iter().filter(|t| t.counter) {
            let (ours, theirs) = (self.counter(t).await?, target.counter(t).await?);
            if ours != theirs {
                return Err(Error::Unknown(format!(
                    "the copy's {} numbers would go on from {theirs}, the archive's from {ours}",
                    t.name
                )));
            }
        }
        Ok(report)
    }

    /// Each table's rows and the SHA-256 of their values in key order (see [`canonical`]):
    /// equal for an archive and its copy, whichever database each is in.
    pub async fn table_digests(&self) -> Result<Vec<(String, u64, [u8; 32])>> {
        self.check_schema().await?;
        let mut out = Vec::new();
        for t in TABLES {
            let mut hash = Sha256::new();
            let mut rows = 0u64;
            let mut after = None;
            loop {
                let batch = self.batch_after(t, after.as_ref()).await?;
                if batch.rows.is_empty() {
                    break;
                }
                rows += batch.rows.len() as u64;
                for row in &batch.rows {
                    for v in row {
                        canonical(v, &mut |b| hash.update(b));
                    }
                }
                after = batch.last;
            }
            out.push((t.name.to_string(), rows, hash.finalize().into()));
        }
        Ok(out)
    }

    /// Refuses a store with tables or columns [`TABLES`] does not list, or without some it
    /// does: the copy would leave them behind, or fail halfway.
    async fn check_schema(&self) -> Result<()> {
        let mut tables: Vec<String> = on_pool!(self.pool(), |p, d| sqlx::query_scalar(d.pick(
            "SELECT name FROM sqlite_master WHERE type = 'table'
               AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> '_sqlx_migrations'",
            "SELECT CAST(table_name AS TEXT) FROM information_schema.tables
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
               AND table_name <> '_sqlx_migrations'",
        ))
        .fetch_all(p)
        .await?);
        let mut known: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
        tables.sort();
        known.sort();
        if tables != known {
            return Err(Error::Unknown(format!(
                "the archive in {} has the tables {tables:?}; this version of larch copies {known:?}",
                self.where_()
            )));
        }
        for t in TABLES {
            let mut columns: Vec<String> =
                on_pool!(self.pool(), |p, d| sqlx::query_scalar(d.pick(
                    "SELECT name FROM pragma_table_info(?)",
                    "SELECT CAST(column_name AS TEXT) FROM information_schema.columns
                     WHERE table_schema = current_schema() AND table_name = $1",
                ))
                .bind(t.name)
                .fetch_all(p)
                .await?);
            let mut known: Vec<&str> = t.columns.iter().map(|(c, _)| *c).collect();
            columns.sort();
            known.sort();
            if columns != known {
                return Err(Error::Unknown(format!(
                    "the archive in {} has the columns {columns:?} in {}; this version of larch copies {known:?}",
                    self.where_(),
                    t.name
                )));
            }
        }
        Ok(())
    }

    /// The archive's place, for messages.
    fn where_(&self) -> String {
        match self.pool() {
            Pool::Sqlite(_) => self.dir().join("larch.db").display().to_string(),
            Pool::Pg(_) => "the PostgreSQL database".into(),
        }
    }

    /// Where the copy of `t` into `target` starts (after this key; from the first row when
    /// `None`), and the rows `target` holds already. A target whose rows are not a prefix
    /// of this archive's (judged by its first and last rows) is refused.
    async fn resume_point(&self, target: &Store, t: &Table) -> Result<(Option<Key>, u64)> {
        let Some((_, first)) = target.edge_row(t, false).await? else {
            return Ok((None, 0));
        };
        let refuse = |what: &str| {
            Error::Unknown(format!(
                "{} already holds an archive that is not a copy of this one ({what}): copy \
                 into an empty database or data directory. (A copy interrupted earlier from \
                 this archive resumes, unless the archive changed since: then start again \
                 with an empty target.)",
                target.where_()
            ))
        };
        let ours = self.edge_row(t, false).await?;
        if ours.as_ref().map(|(_, r)| canonical_row(r)) != Some(canonical_row(&first)) {
            return Err(refuse(&format!("its first row of {} differs", t.name)));
        }
        let Some((last_key, last)) = target.edge_row(t, true).await? else {
            return Err(refuse(&format!("{} changed while being read", t.name)));
        };
        let same = self
            .row_at(t, &last_key)
            .await?
            .is_some_and(|r| canonical_row(&r) == canonical_row(&last));
        if !same {
            return Err(refuse(&format!(
                "its last row of {} is not this archive's",
                t.name
            )));
        }
        Ok((Some(last_key), target.row_count(t).await?))
    }

    async fn row_count(&self, t: &Table) -> Result<u64> {
        let sql = format!("SELECT COUNT(*) FROM \"{}\"", t.name);
        let n: i64 = on_pool!(self.pool(), |p, d| sqlx::query_scalar(AssertSqlSafe(
            sql.as_str()
        ))
        .fetch_one(p)
        .await?);
        Ok(n.max(0) as u64)
    }

    /// The row with the smallest key (or the greatest), and its key.
    async fn edge_row(&self, t: &Table, last: bool) -> Result<Option<(Key, Row)>> {
        let sql = format!(
            "SELECT {} FROM \"{}\" ORDER BY {} LIMIT 1",
            t.column_list(),
            t.name,
            t.order(last)
        );
        let positions = t.key_positions();
        on_pool!(self.pool(), |p, d| {
            let row = sqlx::query(AssertSqlSafe(sql.as_str()))
                .fetch_optional(p)
                .await?;
            Ok(match row {
                Some(r) => Some((key_of(&r, t, &positions)?, row_of(&r, t)?.0)),
                None => None,
            })
        })
    }

    /// The row under `key`.
    async fn row_at(&self, t: &Table, key: &Key) -> Result<Option<Row>> {
        on_pool!(self.pool(), |p, d| {
            let sql = format!(
                "SELECT {} FROM \"{}\" WHERE {}",
                t.column_list(),
                t.name,
                t.key_is("=", d, 1)
            );
            let q = bind_key!(sqlx::query(AssertSqlSafe(sql)), key, d);
            Ok(match q.fetch_optional(p).await? {
                Some(r) => Some(row_of(&r, t)?.0),
                None => None,
            })
        })
    }

    /// The rows of `t` after `after` (from the first when `None`), in key order: at most
    /// [`BATCH_ROWS`], and no more than [`BATCH_BYTES`] past the first. The sizes are read
    /// first, so a batch never holds more than that in memory. Empty at the end.
    async fn batch_after(&self, t: &Table, after: Option<&Key>) -> Result<Batch> {
        let n = t.key.len();
        let all: Vec<usize> = (0..n).collect();
        on_pool!(self.pool(), |p, d| {
            let sizes_sql = format!(
                "SELECT {}, {} FROM \"{}\" {} ORDER BY {} LIMIT {BATCH_ROWS}",
                t.key_list(),
                t.size_expr(),
                t.name,
                if after.is_some() {
                    format!("WHERE {}", t.key_is(">", d, 1))
                } else {
                    String::new()
                },
                t.order(false),
            );
            let mut q = sqlx::query(AssertSqlSafe(sizes_sql));
            if let Some(k) = after {
                q = bind_key!(q, k, d);
            }
            let sizes = q.fetch_all(p).await?;
            let mut bytes = 0i64;
            let mut cut = None;
            for (i, r) in sizes.iter().enumerate() {
                let size: i64 = sqlx::Row::try_get(r, n)?;
                if i > 0 && bytes.saturating_add(size) > BATCH_BYTES {
                    break;
                }
                bytes = bytes.saturating_add(size);
                cut = Some(r);
            }
            let Some(cut) = cut else {
                return Ok(Batch::default());
            };
            let last = key_of(cut, t, &all)?;
            let (lower, first_param) = match after {
                Some(_) => (format!("{} AND ", t.key_is(">", d, 1)), n + 1),
                None => (String::new(), 1),
            };
            let sql = format!(
                "SELECT {} FROM \"{}\" WHERE {lower}{} ORDER BY {}",
                t.column_list(),
                t.name,
                t.key_is("<=", d, first_param),
                t.order(false)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            if let Some(k) = after {
                q = bind_key!(q, k, d);
            }
            q = bind_key!(q, &last, d);
            let mut batch = Batch {
                last: Some(last),
                ..Batch::default()
            };
            for r in q.fetch_all(p).await? {
                let (row, damaged) = row_of(&r, t)?;
                batch.damaged += u64::from(damaged);
                batch.rows.push(row);
            }
            Ok(batch)
        })
    }

    /// The last number `t`'s counter handed out (0: none yet), never less than the greatest
    /// in the table: SQLite's `sqlite_sequence`, PostgreSQL's identity sequence.
    async fn counter(&self, t: &Table) -> Result<i64> {
        let Some(col) = t.identity else {
            return Ok(0);
        };
        let max_sql = format!("SELECT MAX(\"{col}\") FROM \"{}\"", t.name);
        let max: Option<i64> = on_pool!(self.pool(), |p, d| sqlx::query_scalar(AssertSqlSafe(
            max_sql.as_str()
        ))
        .fetch_one(p)
        .await?);
        let counted: Option<i64> = match self.pool() {
            Pool::Sqlite(p) => {
                sqlx::query_scalar(
                    "SELECT CAST(seq AS INTEGER) FROM sqlite_sequence WHERE name = ?",
                )
                .bind(t.name)
                .fetch_optional(p)
                .await?
            }
            Pool::Pg(p) => {
                sqlx::query_scalar(
                    "SELECT last_value FROM pg_sequences
                     WHERE format('%I.%I', schemaname, sequencename) = pg_get_serial_sequence($1, $2)",
                )
                .bind(t.name)
                .bind(col)
                .fetch_optional(p)
                .await?
            }
        };
        Ok(max.unwrap_or(0).max(counted.unwrap_or(0)))
    }

    /// A transaction of the target: PostgreSQL's takes the store's write lock, as every
    /// writer's does (see `Store::begin`).
    async fn write_tx(&self) -> Result<Tx> {
        Ok(match self.pool() {
            Pool::Sqlite(p) => Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Pool::Pg(p) => {
                let mut tx = p.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(super::PG_WRITE_LOCK)
                    .execute(&mut *tx)
                    .await?;
                Tx::Pg(tx)
            }
        })
    }
}

async fn commit(tx: Tx) -> Result<()> {
    match tx {
        Tx::Sqlite(c) => c.commit().await?,
        Tx::Pg(c) => c.commit().await?,
    }
    Ok(())
}

async fn execute(tx: &mut Tx, sql: &str) -> Result<()> {
    match tx {
        Tx::Sqlite(c) => sqlx::query(AssertSqlSafe(sql))
            .execute(&mut **c)
            .await?
            .rows_affected(),
        Tx::Pg(c) => sqlx::query(AssertSqlSafe(sql))
            .execute(&mut **c)
            .await?
            .rows_affected(),
    };
    Ok(())
}

/// Sets the last number `t`'s counter handed out, so the target's next row gets `last + 1`.
async fn set_counter(tx: &mut Tx, t: &Table, last: i64) -> Result<()> {
    let Some(col) = t.identity else {
        return Ok(());
    };
    match tx {
        Tx::Sqlite(c) => {
            sqlx::query("DELETE FROM sqlite_sequence WHERE name = ?")
                .bind(t.name)
                .execute(&mut **c)
                .await?;
            if last > 0 {
                sqlx::query("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)")
                    .bind(t.name)
                    .bind(last)
                    .execute(&mut **c)
                    .await?;
            }
        }
        Tx::Pg(c) => {
            sqlx::query("SELECT setval(pg_get_serial_sequence($1, $2), GREATEST($3, 1), $3 > 0)")
                .bind(t.name)
                .bind(col)
                .bind(last)
                .execute(&mut **c)
                .await?;
        }
    }
    Ok(())
}

/// The values of one column of a batch, for PostgreSQL's `UNNEST`.
enum Column {
    Int(Vec<Option<i64>>),
    Flag(Vec<Option<bool>>),
    Text(Vec<Option<String>>),
    Blob(Vec<Option<Vec<u8>>>),
}

/// Writes a batch of `t`'s rows; returns how many had NUL characters replaced (PostgreSQL).
/// PostgreSQL takes the batch in one statement, a column per array, whatever its length;
/// SQLite, in the same process, one prepared statement per row.
async fn insert(tx: &mut Tx, t: &Table, rows: Vec<Row>) -> Result<u64> {
    match tx {
        Tx::Sqlite(c) => {
            let sql = format!(
                "INSERT INTO \"{}\" ({}) VALUES ({})",
                t.name,
                t.column_list(),
                vec!["?"; t.columns.len()].join(", ")
            );
            for row in rows {
                let mut q = sqlx::query(AssertSqlSafe(sql.as_str()));
                for v in row {
                    q = match v {
                        Value::Int(x) => q.bind(x),
                        Value::Flag(x) => q.bind(x),
                        Value::Text(x) => q.bind(x),
                        Value::Blob(x) => q.bind(x),
                    };
                }
                q.execute(&mut **c).await?;
            }
            Ok(0)
        }
        Tx::Pg(c) => {
            let mut columns: Vec<Column> = t
                .columns
                .iter()
                .map(|(_, k)| match k {
                    Int => Column::Int(Vec::with_capacity(rows.len())),
                    Flag => Column::Flag(Vec::with_capacity(rows.len())),
                    Text => Column::Text(Vec::with_capacity(rows.len())),
                    Blob => Column::Blob(Vec::with_capacity(rows.len())),
                })
                .collect();
            let mut replaced = 0;
            for row in rows {
                let mut nul = false;
                for (v, col) in row.into_iter().zip(columns.iter_mut()) {
                    match (v, col) {
                        (Value::Int(x), Column::Int(c)) => c.push(x),
                        (Value::Flag(x), Column::Flag(c)) => c.push(x),
                        (Value::Text(x), Column::Text(c)) => {
                            let has_nul = x.as_deref().is_some_and(|s| s.contains('\0'));
                            nul |= has_nul;
                            c.push(x.map(|s| if has_nul { pg_text(&s).into_owned() } else { s }));
                        }
                        (Value::Blob(x), Column::Blob(c)) => c.push(x),
                        _ => {
                            return Err(Error::Unknown(format!(
                                "a value of {} does not fit its column's type",
                                t.name
                            )));
                        }
                    }
                }
                replaced += u64::from(nul);
            }
            let arrays: Vec<String> = t
                .columns
                .iter()
                .enumerate()
                .map(|(i, (_, k))| {
                    let ty = match k {
                        Int => "int8",
                        Flag => "bool",
                        Text => "text",
                        Blob => "bytea",
                    };
                    format!("${}::{ty}[]", i + 1)
                })
                .collect();
            let sql = format!(
                "INSERT INTO \"{}\" ({}) SELECT * FROM UNNEST({})",
                t.name,
                t.column_list(),
                arrays.join(", ")
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for col in columns {
                q = match col {
                    Column::Int(v) => q.bind(v),
                    Column::Flag(v) => q.bind(v),
                    Column::Text(v) => q.bind(v),
                    Column::Blob(v) => q.bind(v),
                };
            }
            q.execute(&mut **c).await?;
            Ok(replaced)
        }
    }
}
