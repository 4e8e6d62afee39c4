//! What the JSON API reads: lists, months, threads and messages a page at a time, each
//! page continuing after the last row of the one before (keyset order, so a page costs
//! the same wherever it starts and a client walking them meets no row twice), and the
//! change log that mirrors follow (`migrations/0008_changes.sql`).

use super::db::{Cols, on_pool};
use super::replica::on_reader;
use super::{ListSummary, MonthCount, Result, Store, ThreadSummary};

/// Where undated messages sort: after every dated one, as on the thread pages.
pub const UNDATED: i64 = i64::MAX;

/// A thread with messages in one month.
#[derive(Debug, Clone)]
pub struct MonthThread {
    pub thread: ThreadSummary,
    /// The date of its first message in the month ([`UNDATED`] when none has a date): the
    /// month's listing order, and half of the position a page continues from.
    pub first_in_month: i64,
    /// How many of its messages the month holds.
    pub in_month: i64,
}

/// A message of a thread, in date order.
#[derive(Debug, Clone)]
pub struct ThreadMessage {
    pub mkey: String,
    /// The key of the message it replies to, which the archive may not hold.
    pub parent: Option<String>,
    pub date: Option<i64>,
    /// Arrival number in the list: with the date, the position a page continues from.
    pub seq: i64,
    pub from_name: String,
    pub from_addr: String,
    pub subject: String,
    pub removed: bool,
}

impl ThreadMessage {
    /// The position this message holds in its thread's date order.
    pub fn position(&self) -> (i64, i64, String) {
        (self.date.unwrap_or(UNDATED), self.seq, self.mkey.clone())
    }
}

/// What happened to a message of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// It joined the list.
    New,
    /// It was hidden (its pages answer 410).
    Removed,
    /// A removal was undone.
    Restored,
    /// Its content was erased.
    Purged,
    /// It left the list.
    Deleted,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::New => "new",
            ChangeKind::Removed => "removed",
            ChangeKind::Restored => "restored",
            ChangeKind::Purged => "purged",
            ChangeKind::Deleted => "deleted",
        }
    }

    fn parse(s: &str) -> Option<ChangeKind> {
        [
            ChangeKind::New,
            ChangeKind::Removed,
            ChangeKind::Restored,
            ChangeKind::Purged,
            ChangeKind::Deleted,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One entry of a list's change log.
#[derive(Debug, Clone)]
pub struct Change {
    /// The log's sequence number: increasing, across all lists.
    pub seq: i64,
    pub mkey: String,
    pub kind: ChangeKind,
    /// When it was logged (Unix seconds).
    pub at: i64,
}

const LIST_SUMMARY: &str = "SELECT l.name, l.title, l.description, l.private,
        (SELECT COUNT(*) FROM nodes n WHERE n.list_id = l.id AND n.message_id IS NOT NULL) AS messages,
        (SELECT COUNT(*) FROM threads t WHERE t.list_id = l.id) AS threads,
        (SELECT MIN(first_date) FROM threads t WHERE t.list_id = l.id) AS first_date,
        (SELECT MAX(last_date) FROM threads t WHERE t.list_id = l.id) AS last_date,
        (SELECT COUNT(*) FROM rejects r WHERE r.list_id = l.id) AS rejected
     FROM lists l";

fn thread_summary(r: &impl Cols) -> sqlx::Result<ThreadSummary> {
    Ok(ThreadSummary {
        thread_no: r.col("thread_no")?,
        root_mkey: r.col("root_mkey")?,
        subject: r.lossy("subject")?,
        first_date: r.col("first_date")?,
        last_date: r.col("last_date")?,
        message_count: r.col("message_count")?,
    })
}

impl Store {
    /// Lists by name after `after` (from the first without it), each with its counts.
    pub async fn lists_after(&self, after: Option<&str>, limit: i64) -> Result<Vec<ListSummary>> {
        let sql =
            format!("{LIST_SUMMARY} WHERE ?1 IS NULL OR l.name > ?1 ORDER BY l.name LIMIT ?2");
        on_reader!(self, |p, d| Ok(sqlx::query_as::<_, ListSummary>(
            d.dynamic(sql.clone())
        )
        .bind(after)
        .bind(limit)
        .fetch_all(p)
        .await?))
    }

    /// One list with its counts.
    pub async fn list_summary(&self, list_id: i64) -> Result<Option<ListSummary>> {
        let sql = format!("{LIST_SUMMARY} WHERE l.id = ?");
        on_reader!(self, |p, d| Ok(sqlx::query_as::<_, ListSummary>(
            d.dynamic(sql.clone())
        )
        .bind(list_id)
        .fetch_optional(p)
        .await?))
    }

    /// Months that hold messages after the month coded `after` (0: from the first).
    pub async fn months_after(
        &self,
        list_id: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<MonthCount>> {
        on_reader!(self, |p, d| Ok(sqlx::query_as(d.sql(
            "SELECT month, count FROM months WHERE list_id = ? AND month > ? AND count > 0
             ORDER BY month LIMIT ?",
        ))
        .bind(list_id)
        .bind(after)
        .bind(limit)
        .fetch_all(p)
        .await?))
    }

    /// Threads with messages in a month, in the order of their first message there (as
    /// the month's page lists them), after the position `after` = (that date, thread
    /// number). A thread whose root message was removed shows no subject.
    pub async fn month_threads_after(
        &self,
        list_id: i64,
        month: i64,
        after: Option<(i64, i64)>,
        limit: i64,
    ) -> Result<Vec<MonthThread>> {
        let (date, thread) = after.unzip();
        on_reader!(self, |p, d| {
            let rows = sqlx::query(d.sql(
                "SELECT g.thread_no, g.first_in_month, g.in_month, t.root_mkey,
                        iif(EXISTS (SELECT 1 FROM messages m WHERE m.mkey = t.root_mkey AND m.removed),
                            '', t.subject) AS subject,
                        t.first_date, t.last_date, t.message_count
                 FROM (SELECT thread_no, IFNULL(MIN(date), ?3) AS first_in_month,
                              COUNT(*) AS in_month
                       FROM nodes INDEXED BY nodes_month
                       WHERE list_id = ?1 AND month = ?2 AND message_id IS NOT NULL
                       GROUP BY thread_no) g
                 JOIN threads t ON t.list_id = ?1 AND t.thread_no = g.thread_no
                 WHERE ?4 IS NULL OR (g.first_in_month, g.thread_no) > (?4, ?5)
                 ORDER BY g.first_in_month, g.thread_no LIMIT ?6",
            ))
            .bind(list_id)
            .bind(month)
            .bind(UNDATED)
            .bind(date)
            .bind(thread)
            .bind(limit)
            .fetch_all(p)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(MonthThread {
                        thread: thread_summary(r)?,
                        first_in_month: r.col("first_in_month")?,
                        in_month: r.col("in_month")?,
                    })
                })
                .collect()
        })
    }

    /// The thread of a message the list holds (not of a message that replies only name).
    pub async fn thread_holding(&self, list_id: i64, mkey: &str) -> Result<Option<ThreadSummary>> {
        on_reader!(self, |p, d| {
            let row = sqlx::query(d.sql(
                "SELECT t.thread_no, t.root_mkey,
                        iif(EXISTS (SELECT 1 FROM messages m WHERE m.mkey = t.root_mkey AND m.removed),
                            '', t.subject) AS subject,
                        t.first_date, t.last_date, t.message_count
                 FROM nodes n JOIN threads t ON t.list_id = n.list_id AND t.thread_no = n.thread_no
                 WHERE n.list_id = ? AND n.mkey = ? AND n.message_id IS NOT NULL",
            ))
            .bind(list_id)
            .bind(mkey)
            .fetch_optional(p)
            .await?;
            Ok(row.as_ref().map(thread_summary).transpose()?)
        })
    }

    /// A thread's messages by date (undated last), after the position `after` (see
    /// [`ThreadMessage::position`]). Removed messages keep their place, without sender
    /// or subject.
    pub async fn thread_messages_after(
        &self,
        list_id: i64,
        thread_no: i64,
        after: Option<(i64, i64, String)>,
        limit: i64,
    ) -> Result<Vec<ThreadMessage>> {
        let (date, seq, mkey) = match after {
            Some((d, s, k)) => (Some(d), Some(s), Some(k)),
            None => (None, None, None),
        };
        on_reader!(self, |p, d| {
            let rows = sqlx::query(d.sql(concat!(
                "SELECT n.mkey, n.parent, IFNULL(n.seq, -1) AS seq, m.removed, ",
                super::item_text_columns!(),
                "
                 FROM nodes n INDEXED BY nodes_thread JOIN messages m ON m.id = n.message_id
                 WHERE n.list_id = ?1 AND n.thread_no = ?2
                   AND (?4 IS NULL OR (IFNULL(n.date, ?3), IFNULL(n.seq, -1), n.mkey) > (?4, ?5, ?6))
                 ORDER BY IFNULL(n.date, ?3), IFNULL(n.seq, -1), n.mkey LIMIT ?7"
            )))
            .bind(list_id)
            .bind(thread_no)
            .bind(UNDATED)
            .bind(date)
            .bind(seq)
            .bind(mkey.as_deref())
            .bind(limit)
            .fetch_all(p)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(ThreadMessage {
                        mkey: r.col("mkey")?,
                        parent: r.col("parent")?,
                        date: r.col("date")?,
                        seq: r.col("seq")?,
                        from_name: r.lossy("from_name")?,
                        from_addr: r.lossy("from_addr")?,
                        subject: r.lossy("subject")?,
                        removed: r.col("removed")?,
                    })
                })
                .collect()
        })
    }

    /// The newest entry of the change log (0 when it is empty): where a mirror that has
    /// just copied the archive starts following it. Read where no later page read can be
    /// older (see [`Store::steady_reader`]): a head newer than the copy would skip what
    /// lies between.
    pub async fn changes_head(&self) -> Result<i64> {
        let n: Option<i64> = on_pool!(self.steady_reader(), |p, d| sqlx::query_scalar(
            d.sql("SELECT MAX(seq) FROM changes")
        )
        .fetch_one(p)
        .await?);
        Ok(n.unwrap_or(0))
    }

    /// A list's changes after sequence number `after`, oldest first.
    pub async fn changes_after(&self, list_id: i64, after: i64, limit: i64) -> Result<Vec<Change>> {
        on_reader!(self, |p, d| {
            let rows = sqlx::query(d.sql(
                "SELECT seq, mkey, kind, at FROM changes INDEXED BY changes_list
                 WHERE list_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            ))
            .bind(list_id)
            .bind(after)
            .bind(limit)
            .fetch_all(p)
            .await?;
            rows.iter()
                .map(|r| {
                    let kind: String = r.col("kind")?;
                    Ok(Change {
                        seq: r.col("seq")?,
                        mkey: r.col("mkey")?,
                        kind: ChangeKind::parse(&kind).ok_or_else(|| {
                            super::Error::Damaged(format!("unknown change kind {kind:?}").into())
                        })?,
                        at: r.col("at")?,
                    })
                })
                .collect()
        })
    }
}
