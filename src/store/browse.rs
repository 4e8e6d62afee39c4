//! Queries behind the browsing pages: months, orderings, neighbours, attachments, exports.

use futures::{Stream, StreamExt};
use sqlx::FromRow;

use super::db::{Cols, Flag, Lossy, on_pool};
use super::replica::on_reader;
use super::{Error, MessageItem, Result, Store};
use crate::domain::normalize::Flowed;

/// Messages of one archive month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct MonthCount {
    pub month: i64,
    pub count: i64,
}

/// The order of a month listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Date,
    Author,
    Subject,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttachmentInfo {
    pub idx: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttachmentData {
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// A message found by the resolver: the lists that hold it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Placement {
    pub list: String,
    pub mkey: String,
    pub private: bool,
}

/// A message of a thread page.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BodyRow {
    pub mkey: String,
    pub from_name: String,
    pub from_addr: String,
    pub date: Option<i64>,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub text_from_html: bool,
    #[sqlx(try_from = "i64")]
    pub flowed: Flowed,
    pub removed: bool,
    /// The sender's UTC offset in minutes.
    pub tz_offset: i64,
}

/// A message's stored fields for exports (mbox, Atom, pipermail text).
#[derive(Debug, Clone)]
pub struct ExportRow {
    pub id: i64,
    pub mkey: String,
    pub message_id: String,
    pub from_name: String,
    pub from_addr: String,
    pub date: Option<i64>,
    pub subject: String,
    pub in_reply_to: Option<String>,
    pub refs: String,
    pub body_text: String,
    /// The raw message in its stored form, read through [`ExportRow::raw`].
    raw: Vec<u8>,
}

impl ExportRow {
    /// The message's original bytes. Inflating is left to the caller's thread (exports run
    /// it on the blocking pool, beside the formatting): a message can be tens of megabytes.
    /// A stored copy that does not inflate is [`Error::Damaged`](super::Error::Damaged).
    pub fn raw(&self) -> Result<Vec<u8>> {
        super::raw::inflate(&self.raw).map_err(super::Error::damaged)
    }

    /// About how many bytes [`ExportRow::raw`] gives, for sizing buffers before inflating.
    pub fn raw_len_estimate(&self) -> usize {
        self.raw.len() * 3
    }

    /// Frees the raw message, for exports that show only the other fields.
    pub fn drop_raw(&mut self) {
        self.raw = Vec::new();
    }
}

/// Text read leniently: a download streams a whole list, and one row whose text damage
/// left invalid UTF-8 must not end it for every message after.
impl<'r, R: sqlx::Row + Cols> FromRow<'r, R> for ExportRow {
    fn from_row(r: &'r R) -> sqlx::Result<Self> {
        Ok(ExportRow {
            id: r.col("id")?,
            mkey: r.col("mkey")?,
            message_id: r.lossy("message_id")?,
            from_name: r.lossy("from_name")?,
            from_addr: r.lossy("from_addr")?,
            date: r.col("date")?,
            subject: r.lossy("subject")?,
            in_reply_to: r.col::<Option<Lossy>>("in_reply_to")?.map(|l| l.0),
            refs: r.lossy("refs")?,
            body_text: r.lossy("body_text")?,
            raw: r.col("raw")?,
        })
    }
}

impl Store {
    /// Message counts per archive month, oldest first.
    pub async fn month_counts(&self, list_id: i64) -> Result<Vec<MonthCount>> {
        on_reader!(self, |p, d| Ok(sqlx::query_as(d.sql(
            "SELECT month, count FROM months WHERE list_id = ? AND count > 0 ORDER BY month"
        ))
        .bind(list_id)
        .fetch_all(p)
        .await?))
    }

    /// Which of these Message-IDs the archive holds, each with whether a list holding it
    /// is private, with the list (one row per list): the caller links only what its reader may
    /// see, so a quoted reference does not reveal a private list's message. Removed
    /// messages are left out.
    pub async fn known_message_ids(&self, ids: &[String]) -> Result<Vec<(String, String, bool)>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(200) {
            let marks = vec!["?"; chunk.len()].join(",");
            let sql = format!(
                "SELECT DISTINCT m.message_id, l.name, l.private FROM messages m
                 JOIN nodes n INDEXED BY nodes_message ON n.message_id = m.id
                 JOIN lists l ON l.id = n.list_id
                 WHERE m.message_id IN ({marks}) AND NOT m.removed"
            );
            let rows = on_reader!(self, |p, d| {
                let mut q = sqlx::query_as::<_, (String, String, bool)>(d.dynamic(sql.clone()));
                for id in chunk {
                    q = q.bind(id);
                }
                Ok(q.fetch_all(p).await?)
            })?;
            out.extend(rows);
        }
        Ok(out)
    }

    /// All nodes (ghosts included) and message items of some threads, in one query per
    /// 500 threads: what every tree on a page is built from. The rows come back as one
    /// JSON array rather than a row each: a busy month's first page reads about 2,000 of
    /// them, and the driver's cost per row (a hand-off and an allocation per value) was
    /// twice what SQLite spent finding them.
    pub async fn threads_data(&self, list_id: i64, threads: &[i64]) -> Result<ThreadsData> {
        /// mkey, parent, thread, real, via_subject, seq, from_name, from_addr, date, subject,
        /// month
        type Row = (
            String,
            Option<String>,
            i64,
            Flag,
            Flag,
            Option<i64>,
            Option<String>,
            Option<String>,
            Option<i64>,
            Option<String>,
            Option<i64>,
        );
        let mut data = ThreadsData::default();
        // SQLite caps bound parameters; threads come in chunks.
        for chunk in threads.chunks(500) {
            let ids = chunk
                .iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(",");
            // CAST: a damaged value stored as a blob reads as text (JSON holds no blobs).
            let sql = format!(
                "SELECT json_group_array(json_array(n.mkey, n.parent, n.thread_no,
                    n.message_id IS NOT NULL, n.via_subject, n.seq,
                    CAST(iif(m.removed, '', m.from_name) AS TEXT),
                    CAST(iif(m.removed, '', m.from_addr) AS TEXT), m.date,
                    CAST(iif(m.removed, '', m.subject) AS TEXT), n.month)
                  ORDER BY n.thread_no, m.date IS NULL, m.date, n.seq)
                 FROM nodes n INDEXED BY nodes_thread LEFT JOIN messages m ON m.id = n.message_id
                 WHERE n.list_id = ? AND n.thread_no IN ({ids})"
            );
            let json: Option<Lossy> =
                on_reader!(self, |p, d| Ok(sqlx::query_scalar(d.dynamic(sql.clone()))
                    .bind(list_id)
                    .fetch_one(p)
                    .await?))?;
            let rows: Vec<Row> = json_rows(json.as_ref().map_or("[]", |j| j.0.as_str()))?;
            for row in rows {
                let (key, parent, thread, real, via_subject, seq, name, addr, date, subject, month) =
                    row;
                let real = real.0;
                if real {
                    data.months.push(month);
                    data.items.push(MessageItem {
                        mkey: key.clone(),
                        parent: parent.clone(),
                        thread_no: thread,
                        from_name: name.unwrap_or_default(),
                        from_addr: addr.unwrap_or_default(),
                        date,
                        subject: subject.unwrap_or_default(),
                    });
                }
                data.nodes.push(crate::domain::thread::NodeRow {
                    key,
                    parent,
                    thread,
                    real,
                    via_subject: via_subject.0,
                    seq,
                });
            }
        }
        Ok(data)
    }

    /// Number of messages of a list in one month.
    pub async fn month_count(&self, list_id: i64, month: i64) -> Result<i64> {
        let n: Option<i64> = on_reader!(self, |p, d| Ok(sqlx::query_scalar(
            d.sql("SELECT count FROM months WHERE list_id = ? AND month = ?")
        )
        .bind(list_id)
        .bind(month)
        .fetch_optional(p)
        .await?))?;
        Ok(n.unwrap_or(0))
    }

    /// One page of a month in the given order.
    pub async fn month_messages(
        &self,
        list_id: i64,
        month: i64,
        order: Order,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<MessageItem>> {
        let sql: &'static str = match order {
            Order::Date => {
                concat!(
                    "SELECT ",
                    super::item_columns!(),
                    "
                 FROM nodes n INDEXED BY nodes_month JOIN messages m ON m.id = n.message_id
                 WHERE n.list_id = ? AND n.month = ? ORDER BY n.date, n.seq LIMIT ? OFFSET ?"
                )
            }
            Order::Author => {
                concat!(
                    "SELECT ",
                    super::item_columns!(),
                    "
                 FROM nodes n INDEXED BY nodes_month JOIN messages m ON m.id = n.message_id
                 WHERE n.list_id = ? AND n.month = ?
                 ORDER BY lower(CASE WHEN m.from_name = '' THEN m.from_addr ELSE m.from_name END),
                          n.date, n.seq LIMIT ? OFFSET ?"
                )
            }
            Order::Subject => {
                concat!(
                    "SELECT ",
                    super::item_columns!(),
                    "
                 FROM nodes n INDEXED BY nodes_month JOIN messages m ON m.id = n.message_id
                 WHERE n.list_id = ? AND n.month = ? ORDER BY m.subject_key, n.date, n.seq
                 LIMIT ? OFFSET ?"
                )
            }
        };
        on_reader!(self, |p, d| Ok(sqlx::query_as::<_, MessageItem>(
            d.sql(sql)
        )
        .bind(list_id)
        .bind(month)
        .bind(limit)
        .bind(offset)
        .fetch_all(p)
        .await?))
    }

    /// Threads with messages in a month, each with its number of messages in the month,
    /// ordered by their first date in the month (pipermail's thread.html order).
    pub async fn month_threads(&self, list_id: i64, month: i64) -> Result<Vec<(i64, i64)>> {
        on_reader!(self, |p, d| Ok(sqlx::query_as(d.sql(
            "SELECT thread_no, COUNT(*) FROM nodes INDEXED BY nodes_month
             WHERE list_id = ? AND month = ? AND message_id IS NOT NULL
             GROUP BY thread_no ORDER BY MIN(date), MIN(seq)"
        ))
        .bind(list_id)
        .bind(month)
        .fetch_all(p)
        .await?))
    }

    /// The messages just before and just after one, by date, in a list (one query).
    pub async fn neighbours_by_date(
        &self,
        list_id: i64,
        mkey: &str,
    ) -> Result<(Option<MessageItem>, Option<MessageItem>)> {
        let sql = concat!(
            "SELECT * FROM (
               SELECT CAST(0 AS BIGINT) AS side, ",
            super::item_columns!(),
            "
               FROM nodes o, nodes n INDEXED BY nodes_date JOIN messages m ON m.id = n.message_id
               WHERE o.list_id = ?1 AND o.mkey = ?2 AND n.list_id = o.list_id
                 AND n.message_id IS NOT NULL AND (n.date, n.seq) < (o.date, o.seq)
               ORDER BY n.date DESC, n.seq DESC LIMIT 1) AS before
             UNION ALL SELECT * FROM (
               SELECT CAST(1 AS BIGINT) AS side, ",
            super::item_columns!(),
            "
               FROM nodes o, nodes n INDEXED BY nodes_date JOIN messages m ON m.id = n.message_id
               WHERE o.list_id = ?1 AND o.mkey = ?2 AND n.list_id = o.list_id
                 AND n.message_id IS NOT NULL AND (n.date, n.seq) > (o.date, o.seq)
               ORDER BY n.date, n.seq LIMIT 1) AS after"
        );
        // PostgreSQL compares the rows as an index condition only against values it knows
        // when it starts the scan, as a lateral join's outer row is; in the join above it
        // walked the list's nodes up to the message (150 ms a page at 51,000 messages).
        let lateral = concat!(
            "SELECT * FROM (
               SELECT CAST(0 AS BIGINT) AS side, x.* FROM nodes o CROSS JOIN LATERAL (
                 SELECT ",
            super::item_columns!(),
            "
                 FROM nodes n JOIN messages m ON m.id = n.message_id
                 WHERE n.list_id = o.list_id AND n.message_id IS NOT NULL
                   AND (n.date, n.seq) < (o.date, o.seq)
                 ORDER BY n.date DESC, n.seq DESC LIMIT 1) AS x
               WHERE o.list_id = ?1 AND o.mkey = ?2) AS before
             UNION ALL SELECT * FROM (
               SELECT CAST(1 AS BIGINT) AS side, x.* FROM nodes o CROSS JOIN LATERAL (
                 SELECT ",
            super::item_columns!(),
            "
                 FROM nodes n JOIN messages m ON m.id = n.message_id
                 WHERE n.list_id = o.list_id AND n.message_id IS NOT NULL
                   AND (n.date, n.seq) > (o.date, o.seq)
                 ORDER BY n.date, n.seq LIMIT 1) AS x
               WHERE o.list_id = ?1 AND o.mkey = ?2) AS after"
        );
        let rows: Vec<(i64, MessageItem)> = on_reader!(self, |p, d| {
            let rows = sqlx::query(if d.is_pg() { d.sql(lateral) } else { sql })
                .bind(list_id)
                .bind(mkey)
                .fetch_all(p)
                .await?;
            Ok(rows
                .iter()
                .map(|r| Ok((r.col::<i64>("side")?, MessageItem::from_row(r)?)))
                .collect::<sqlx::Result<_>>()?)
        })?;
        let (mut prev, mut next) = (None, None);
        for (side, item) in rows {
            if side == 0 {
                prev = Some(item);
            } else {
                next = Some(item);
            }
        }
        Ok((prev, next))
    }

    /// Bodies of some messages of a list, by key, each text cut to at most `max_chars`
    /// characters: a page never loads more of a body than it can show.
    pub async fn bodies_by_key(
        &self,
        list_id: i64,
        keys: &[String],
        max_chars: i64,
    ) -> Result<std::collections::HashMap<String, BodyRow>> {
        let mut out = std::collections::HashMap::new();
        for chunk in keys.chunks(200) {
            let marks = vec!["?"; chunk.len()].join(",");
            let sql = format!(
                "SELECT n.mkey, m.from_name, m.from_addr, m.date, m.subject,
                        substr(m.body_text, 1, {max_chars}) AS body_text,
                        substr(m.body_html, 1, {max_chars}) AS body_html,
                        m.text_from_html, m.flowed, m.removed, m.tz_offset
                 FROM nodes n JOIN messages m ON m.id = n.message_id
                 WHERE n.list_id = ? AND n.mkey IN ({marks})"
            );
            let rows = on_reader!(self, |p, d| {
                let mut q = sqlx::query_as::<_, BodyRow>(d.dynamic(sql.clone())).bind(list_id);
                for k in chunk {
                    q = q.bind(k);
                }
                Ok(q.fetch_all(p).await?)
            })?;
            for r in rows {
                out.insert(r.mkey.clone(), r);
            }
        }
        Ok(out)
    }

    pub async fn attachments(&self, message_pk: i64) -> Result<Vec<AttachmentInfo>> {
        on_reader!(self, |p, d| {
            Ok(sqlx::query_as::<_, AttachmentInfo>(d.sql(
            "SELECT idx, filename, content_type, size FROM attachments WHERE message_id = ? ORDER BY idx"
        ))
        .bind(message_pk)
        .fetch_all(p)
        .await?)
        })
    }

    pub async fn attachment(&self, message_pk: i64, idx: i64) -> Result<Option<AttachmentData>> {
        on_reader!(self, |p, d| {
            Ok(sqlx::query_as::<_, AttachmentData>(d.sql(
            "SELECT filename, content_type, data FROM attachments WHERE message_id = ? AND idx = ?"
        ))
        .bind(message_pk)
        .bind(idx)
        .fetch_optional(p)
        .await?)
        })
    }

    /// Where the message with this HyperKitty hash (see `domain::hyperkitty`) is archived.
    pub async fn placements_by_hyperkitty_hash(&self, hash: &str) -> Result<Vec<Placement>> {
        on_reader!(self, |p, d| {
            Ok(sqlx::query_as::<_, Placement>(d.sql(
            "SELECT l.name AS list, m.mkey, l.private FROM messages m INDEXED BY messages_hk_hash
             JOIN nodes n ON n.message_id = m.id JOIN lists l ON l.id = n.list_id
             WHERE m.hk_hash = ? AND NOT m.removed ORDER BY l.name, m.id"
        ))
        .bind(hash)
        .fetch_all(p)
        .await?)
        })
    }

    /// Where a Message-ID (or message key) is archived.
    pub async fn placements(&self, id: &str) -> Result<Vec<Placement>> {
        on_pool!(self.pool(), |p, d| Ok(sqlx::query_as::<_, Placement>(
            d.sql(
                "SELECT l.name AS list, m.mkey, l.private FROM messages m
             JOIN nodes n ON n.message_id = m.id JOIN lists l ON l.id = n.list_id
             WHERE m.message_id = ? OR m.mkey = ? ORDER BY l.name, m.id"
            )
        )
        .bind(id)
        .bind(id)
        .fetch_all(p)
        .await?))
    }

    /// The newest messages of a list (for its Atom feed).
    pub async fn latest_messages(&self, list_id: i64, limit: i64) -> Result<Vec<ExportRow>> {
        on_reader!(self, |p, d| Ok(sqlx::query_as::<_, ExportRow>(d.sql(
            "SELECT m.id, m.mkey, m.message_id, m.from_name, m.from_addr, m.date, m.subject,
                    m.in_reply_to, m.refs, m.body_text, CAST('' AS BLOB) AS raw
             FROM nodes n INDEXED BY nodes_date JOIN messages m ON m.id = n.message_id
             WHERE n.list_id = ? AND n.message_id IS NOT NULL AND NOT m.removed
             ORDER BY n.date DESC, n.seq DESC LIMIT ?"
        ))
        .bind(list_id)
        .bind(limit)
        .fetch_all(p)
        .await?))
    }

    /// Streams messages with their raw bytes: a month, a thread, or the whole list, oldest
    /// first. The order is read first (ids only, one short query); the rows then come a few
    /// at a time, each batch its own short read, so a download that a client stops reading
    /// holds no pooled connection and no read transaction (which would also stop WAL
    /// checkpoints) while it waits.
    pub fn export_stream(
        &self,
        list_id: i64,
        scope: ExportScope,
    ) -> impl Stream<Item = Result<ExportRow>> + Send + 'static + use<> {
        let store = self.clone();
        futures::stream::once(async move {
            store
                .export_order(list_id, scope)
                .await
                .map(|ids| (store, ids))
        })
        .flat_map(|r| match r {
            Ok((store, ids)) => store.export_ids(ids).left_stream(),
            Err(e) => futures::stream::once(async move { Err(e) }).right_stream(),
        })
    }

    /// The messages of a thread in a list, in date order (removed ones left out).
    pub async fn thread_message_ids(&self, list_id: i64, thread_no: i64) -> Result<Vec<i64>> {
        self.export_order(list_id, ExportScope::Thread(thread_no))
            .await
    }

    /// The ids of an export's messages, in export order.
    async fn export_order(&self, list_id: i64, scope: ExportScope) -> Result<Vec<i64>> {
        if let ExportScope::Span(start, end) = scope {
            return on_reader!(self, |p, d| {
                Ok(sqlx::query_scalar(d.sql(
                "SELECT m.id FROM nodes n INDEXED BY nodes_date JOIN messages m ON m.id = n.message_id
                 WHERE n.list_id = ? AND n.date >= ? AND n.date < ? AND NOT m.removed
                 ORDER BY n.date, n.seq"
            ))
            .bind(list_id)
            .bind(start)
            .bind(end)
            .fetch_all(p)
            .await?)
            });
        }
        let (sql, arg): (&'static str, i64) = match scope {
            ExportScope::Month(m) => (
                "SELECT m.id FROM nodes n INDEXED BY nodes_month JOIN messages m ON m.id = n.message_id
                 WHERE n.list_id = ? AND n.month = ? AND NOT m.removed ORDER BY n.date, n.seq",
                m,
            ),
            ExportScope::Thread(t) => (
                "SELECT m.id FROM nodes n INDEXED BY nodes_thread JOIN messages m ON m.id = n.message_id
                 WHERE n.list_id = ? AND n.thread_no = ? AND NOT m.removed ORDER BY n.date, n.seq",
                t,
            ),
            ExportScope::List => (
                "SELECT m.id FROM nodes n INDEXED BY nodes_date JOIN messages m ON m.id = n.message_id
                 WHERE n.list_id = ? AND ? = 0 AND n.message_id IS NOT NULL AND NOT m.removed
                 ORDER BY n.date, n.seq",
                0,
            ),
            ExportScope::Span(..) => return Ok(Vec::new()),
        };
        on_reader!(self, |p, d| Ok(sqlx::query_scalar(d.sql(sql))
            .bind(list_id)
            .bind(arg)
            .fetch_all(p)
            .await?))
    }
}

/// Which messages an export covers.
#[derive(Debug, Clone, Copy)]
pub enum ExportScope {
    Month(i64),
    /// The messages dated from the first timestamp up to (not including) the second: a
    /// pipermail volume other than a month.
    Span(i64, i64),
    Thread(i64),
    List,
}

/// What the trees of some threads are built from: every node (ghosts included), and the
/// listing item of each message with its archive month (`months[i]` is `items[i]`'s).
#[derive(Debug, Default)]
pub struct ThreadsData {
    pub nodes: Vec<crate::domain::thread::NodeRow>,
    pub items: Vec<MessageItem>,
    pub months: Vec<Option<i64>>,
}

/// Rows a query aggregated into one JSON array. Text that is not UTF-8 (a damaged value)
/// reads with replacement characters, as [`super::lossy`] reads it in a listing; no
/// replacement can swallow the JSON's own quotes, which are ASCII.
fn json_rows<T: serde::de::DeserializeOwned>(json: &str) -> Result<Vec<T>> {
    serde_json::from_str(json).map_err(Error::damaged)
}
