//! Readings for monitoring (`/metrics`). A scraper asks every few seconds whatever the size
//! of the archive, so each reading comes from a table that stays small or an index range,
//! never a scan of the messages.

use super::db::{Cols, on_pool};
use super::{Result, Store};

/// How much the archive holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveCounts {
    /// Messages in the lists' archive months: the per-month counts the importer keeps, so a
    /// message in two lists counts twice and one without a date is not counted.
    pub messages: i64,
    /// Messages that could not be stored, kept as rejects.
    pub rejects: i64,
}

impl Store {
    pub async fn archive_counts(&self) -> Result<ArchiveCounts> {
        // `CAST`: PostgreSQL sums BIGINTs as NUMERIC.
        on_pool!(self.pool(), |p, d| {
            let row = sqlx::query(d.sql(
                "SELECT (SELECT COALESCE(CAST(SUM(count) AS BIGINT), 0) FROM months) AS messages,
                        (SELECT COUNT(*) FROM rejects) AS rejects",
            ))
            .fetch_one(p)
            .await?;
            Ok(ArchiveCounts {
                messages: row.col("messages")?,
                rejects: row.col("rejects")?,
            })
        })
    }
}
