//! The store's health and copies, for `larch check` and `larch backup`.

use std::path::Path;

use super::db::Pool;
use super::{Error, Result, Store};

impl Store {
    /// What SQLite's own consistency check finds wrong (empty when the file is sound):
    /// page structure, index entries against their rows, constraints. `quick_check` skips
    /// only the index-content comparison, linear rather than n log n on a large store.
    pub async fn integrity_problems(&self) -> Result<Vec<String>> {
        match self.pool() {
            Pool::Sqlite(p) => {
                let rows: Vec<String> = sqlx::query_scalar("PRAGMA quick_check")
                    .fetch_all(p)
                    .await?;
                Ok(rows.into_iter().filter(|r| r != "ok").collect())
            }
            // PostgreSQL checks its own pages (the WAL, data checksums where enabled) and
            // has no cheap counterpart of `quick_check`: nothing to report here (amcheck
            // is the database administrator's tool).
            Pool::Pg(_) => Ok(Vec::new()),
        }
    }

    /// Writes a consistent copy of the database to `dest` (a file that must not exist) while
    /// readers and writers go on: one read transaction, so the copy is the store as of one
    /// commit, compacted.
    pub async fn backup_into(&self, dest: &Path) -> Result<()> {
        let p = match self.pool() {
            Pool::Sqlite(p) => p,
            // A PostgreSQL archive is copied by the database's own tools, not into a file
            // of the data directory.
            Pool::Pg(_) => {
                return Err(Error::Unknown(
                    "backups of a PostgreSQL archive are pg_dump's job: see docs/scale-out.md"
                        .into(),
                ));
            }
        };
        let text = dest.to_str().ok_or_else(|| {
            Error::io(
                "cannot back up to",
                dest,
                std::io::Error::other("the path is not UTF-8"),
            )
        })?;
        sqlx::query("VACUUM INTO ?").bind(text).execute(p).await?;
        Ok(())
    }
}
