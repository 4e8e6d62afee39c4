//! Readings for monitoring (`/metrics`). A scraper asks every few seconds whatever the size
//! of the archive, so each reading comes from a table that stays small or an index range,
//! never a scan of the messages.

use sqlx::Row;

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
        let row = sqlx::query(
            "SELECT (SELECT COALESCE(SUM(count), 0) FROM months) AS messages,
                    (SELECT COUNT(*) FROM rejects) AS rejects",
        )
        .fetch_one(self.pool())
        .await?;
        Ok(ArchiveCounts {
            messages: row.try_get("messages")?,
            rejects: row.try_get("rejects")?,
        })
    }
}
