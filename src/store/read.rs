//! Read side of the store: what the CLI and the web pages ask for.

use super::db::{Cols, on_pool};
use super::replica::on_reader;
use super::{Result, Store};
use crate::domain::normalize::Flowed;

/// A blob that downloads stream from the store.
#[derive(Debug, Clone, Copy)]
pub enum Blob {
    /// A message's raw bytes in their stored (deflated) form, by its `message_pk`;
    /// [`Store::raw_chunks`] streams them inflated.
    Raw(i64),
    /// An attachment's bytes, by message row id and attachment index.
    Attachment(i64, i64),
}

/// One line of `larch lists` and of the front page.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ListSummary {
    pub name: String,
    pub title: String,
    pub description: String,
    pub private: bool,
    pub messages: i64,
    pub threads: i64,
    pub first_date: Option<i64>,
    pub last_date: Option<i64>,
    pub rejected: i64,
}

/// A message as pages show it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageView {
    pub id: i64,
    pub mkey: String,
    pub message_id: String,
    pub from_name: String,
    pub from_addr: String,
    pub date: Option<i64>,
    pub tz_offset: i64,
    pub subject: String,
    pub in_reply_to: Option<String>,
    pub body_text: String,
    pub body_html: Option<String>,
    pub text_from_html: bool,
    #[sqlx(try_from = "i64")]
    pub flowed: Flowed,
    pub attachment_count: i64,
    /// The list's posting address the message named (`List-Post`), if any.
    pub list_post: Option<String>,
    pub removed: bool,
    /// The message's thread in the list it was looked up in.
    pub thread_no: i64,
    /// Every list holding the message, as `name US private RS …` (one query for the page).
    lists_packed: String,
}

impl MessageView {
    /// (list name, private) of every list holding the message, by name.
    pub fn lists(&self) -> Vec<(String, bool)> {
        let mut out: Vec<(String, bool)> = self
            .lists_packed
            .split('\u{1e}')
            .filter_map(|e| e.split_once('\u{1f}'))
            // SQLite writes the flag as 1, PostgreSQL as true.
            .map(|(n, p)| (n.to_string(), p == "1" || p == "true"))
            .collect();
        out.sort();
        out
    }
}

/// A message in a listing (thread, month, recent).
#[derive(Debug, Clone)]
pub struct MessageItem {
    pub mkey: String,
    pub parent: Option<String>,
    pub thread_no: i64,
    pub from_name: String,
    pub from_addr: String,
    pub date: Option<i64>,
    pub subject: String,
}

impl<'r, R: sqlx::Row + Cols> sqlx::FromRow<'r, R> for MessageItem {
    fn from_row(r: &'r R) -> sqlx::Result<Self> {
        Ok(MessageItem {
            mkey: r.col("mkey")?,
            parent: r.col("parent")?,
            thread_no: r.col("thread_no")?,
            from_name: r.lossy("from_name")?,
            from_addr: r.lossy("from_addr")?,
            date: r.col("date")?,
            subject: r.lossy("subject")?,
        })
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ThreadSummary {
    pub thread_no: i64,
    pub root_mkey: String,
    pub subject: String,
    pub first_date: Option<i64>,
    pub last_date: Option<i64>,
    pub message_count: i64,
}

impl Store {
    pub async fn thread_count(&self, list_id: i64) -> Result<i64> {
        on_pool!(self.pool(), |p, d| Ok(sqlx::query_scalar(
            d.sql("SELECT COUNT(*) FROM threads WHERE list_id = ?")
        )
        .bind(list_id)
        .fetch_one(p)
        .await?))
    }

    pub async fn list_summaries(&self) -> Result<Vec<ListSummary>> {
        on_reader!(self, |p, d| Ok(sqlx::query_as::<_, ListSummary>(d.sql(
            // Read from the month counts and the indexes' ends, not by counting a list's
            // messages: the front page asked for that on every request, 200 ms at a
            // million messages. Only undated messages, which have no month, are counted.
            "SELECT l.name, l.title, l.description, l.private,
                CAST(COALESCE((SELECT SUM(count) FROM months mo WHERE mo.list_id = l.id), 0)
                  AS BIGINT) + (SELECT COUNT(*) FROM nodes n INDEXED BY nodes_month
                     WHERE n.list_id = l.id AND n.month IS NULL AND n.message_id IS NOT NULL)
                  AS messages,
                (SELECT COUNT(*) FROM threads t INDEXED BY threads_last WHERE t.list_id = l.id)
                  AS threads,
                (SELECT MIN(n.date) FROM nodes n INDEXED BY nodes_date
                 WHERE n.list_id = l.id AND n.date IS NOT NULL) AS first_date,
                (SELECT MAX(n.date) FROM nodes n INDEXED BY nodes_date WHERE n.list_id = l.id)
                  AS last_date,
                (SELECT COUNT(*) FROM rejects r WHERE r.list_id = l.id) AS rejected
             FROM lists l ORDER BY l.name"
        ))
        .fetch_all(p)
        .await?))
    }

    /// Sets the language of a list's pages (a BCP 47 tag); empty clears it.
    pub async fn set_list_language(&self, list_id: i64, language: &str) -> Result<()> {
        on_pool!(self.pool(), |p, d| sqlx::query(
            d.sql("UPDATE lists SET language = NULLIF(?, '') WHERE id = ?")
        )
        .bind(language)
        .bind(list_id)
        .execute(p)
        .await?
        .rows_affected());
        self.bump_generation().await
    }

    /// Changes a list's settings; `None` leaves a setting as it is.
    pub async fn update_list(
        &self,
        list_id: i64,
        title: Option<&str>,
        description: Option<&str>,
        private: Option<bool>,
        obfuscate: Option<bool>,
        post_address: Option<&str>,
    ) -> Result<()> {
        // An empty posting address clears it.
        on_pool!(self.pool(), |p, d| sqlx::query(d.sql(
            "UPDATE lists SET title = COALESCE(?, title), description = COALESCE(?, description),
                private = COALESCE(?, private), obfuscate = COALESCE(?, obfuscate),
                post_address = NULLIF(COALESCE(?, post_address), '') WHERE id = ?"
        ))
        .bind(title)
        .bind(description)
        .bind(private)
        .bind(obfuscate)
        .bind(post_address)
        .bind(list_id)
        .execute(p)
        .await?
        .rows_affected());
        self.bump_generation().await
    }

    /// Tells page caches that what they hold may be stale.
    async fn bump_generation(&self) -> Result<()> {
        on_pool!(self.pool(), |p, d| sqlx::query(
            "UPDATE generation SET value = value + 1 WHERE id = 1"
        )
        .execute(p)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Another name the list answers to (an old pipermail name); an alias can point at one
    /// list only, the last one given.
    pub async fn add_alias(&self, list_id: i64, alias: &str) -> Result<()> {
        on_pool!(self.pool(), |p, d| sqlx::query(d.sql(
            "INSERT INTO list_aliases (alias, list_id) VALUES (?, ?)
             ON CONFLICT (alias) DO UPDATE SET list_id = excluded.list_id"
        ))
        .bind(alias)
        .bind(list_id)
        .execute(p)
        .await?
        .rows_affected());
        self.bump_generation().await
    }

    pub async fn list_by_name(&self, name: &str) -> Result<Option<super::ListRow>> {
        on_reader!(self, |p, d| {
            Ok(sqlx::query_as::<_, super::ListRow>(d.sql(
            "SELECT id, name, title, description, private, obfuscate, next_thread, post_address, language FROM lists
             WHERE name = ? OR id = (SELECT list_id FROM list_aliases WHERE alias = ?)"
        ))
        .bind(name)
        .bind(name)
        .fetch_optional(p)
        .await?)
        })
    }

    /// A message of a list by its key (only if the list holds it), its texts cut to at most
    /// `max_chars` characters: a page never loads more of a body than it can show.
    pub async fn message_in_list(
        &self,
        list_id: i64,
        mkey: &str,
        max_chars: i64,
    ) -> Result<Option<MessageView>> {
        on_reader!(self, |p, d| {
            Ok(sqlx::query_as::<_, MessageView>(d.sql(
            "SELECT m.id, m.mkey, m.message_id, m.from_name, m.from_addr, m.date, m.tz_offset,
                    m.subject, m.in_reply_to, substr(m.body_text, 1, CAST(?3 AS INTEGER)) AS body_text,
                    substr(m.body_html, 1, CAST(?3 AS INTEGER)) AS body_html, m.text_from_html, m.flowed,
                    m.attachment_count, m.list_post, m.removed, n.thread_no,
                    (SELECT group_concat(l.name || char(31) || l.private, char(30))
                     FROM nodes n2 JOIN lists l ON l.id = n2.list_id
                     WHERE n2.message_id = m.id) AS lists_packed
             FROM nodes n JOIN messages m ON m.id = n.message_id
             WHERE n.list_id = ?1 AND n.mkey = ?2"
        ))
        .bind(list_id)
        .bind(mkey)
        .bind(max_chars)
        .fetch_optional(p)
        .await?)
        })
    }

    /// A message's original bytes as a stream of pieces, inflated as the stored form is read
    /// chunk by chunk (see [`Store::blob_chunks`]).
    pub fn raw_chunks(
        &self,
        message_pk: i64,
        chunk: usize,
    ) -> impl futures::Stream<Item = Result<bytes::Bytes>> + Send + 'static + use<> {
        super::raw::inflating(self.blob_chunks(Blob::Raw(message_pk), chunk))
    }

    /// A stored blob (a message's compressed raw bytes, or an attachment) as a stream of
    /// chunks of at most `chunk` bytes. Each chunk is its own short query, so a download
    /// holds at most one chunk in memory and no pooled connection or read transaction while
    /// its client is slow to read.
    pub fn blob_chunks(
        &self,
        blob: Blob,
        chunk: usize,
    ) -> impl futures::Stream<Item = Result<bytes::Bytes>> + Send + 'static + use<> {
        let store = self.clone();
        let chunk = chunk.max(1) as i64;
        futures::stream::try_unfold(Some(1i64), move |from| {
            let store = store.clone();
            async move {
                let Some(from) = from else { return Ok(None) };
                let (sql, id, idx) = match blob {
                    Blob::Raw(id) => (
                        "SELECT substr(raw, CAST(? AS INTEGER), CAST(? AS INTEGER)) FROM messages
                         WHERE id = ? AND ? = 0",
                        id,
                        0,
                    ),
                    Blob::Attachment(id, idx) => (
                        "SELECT substr(data, CAST(? AS INTEGER), CAST(? AS INTEGER)) FROM attachments
                         WHERE message_id = ? AND idx = ?",
                        id,
                        idx,
                    ),
                };
                let part: Option<Option<Vec<u8>>> = on_reader!(&store, |p, d| {
                    Ok(sqlx::query_scalar(d.sql(sql))
                        .bind(from)
                        .bind(chunk)
                        .bind(id)
                        .bind(idx)
                        .fetch_optional(p)
                        .await?)
                })?;
                let part = part.flatten().unwrap_or_default();
                if part.is_empty() {
                    return Ok(None);
                }
                let next = (part.len() as i64 == chunk).then_some(from + chunk);
                Ok(Some((bytes::Bytes::from(part), next)))
            }
        })
    }

    pub async fn recent_threads(&self, list_id: i64, limit: i64) -> Result<Vec<ThreadSummary>> {
        on_reader!(self, |p, d| {
            Ok(sqlx::query_as::<_, ThreadSummary>(
            d.sql(
                "SELECT t.thread_no, t.root_mkey,
                    iif(EXISTS (SELECT 1 FROM messages m WHERE m.mkey = t.root_mkey AND m.removed),
                        '', t.subject) AS subject,
                    t.first_date, t.last_date, t.message_count
             FROM threads t WHERE t.list_id = ? ORDER BY t.last_date DESC, t.thread_no DESC LIMIT ?"
            )
        )
        .bind(list_id)
        .bind(limit)
        .fetch_all(p)
        .await?)
        })
    }

    /// Thread number of a message in a list.
    pub async fn thread_of(&self, list_id: i64, mkey: &str) -> Result<Option<i64>> {
        on_reader!(self, |p, d| Ok(sqlx::query_scalar(d.sql(
            "SELECT thread_no FROM nodes WHERE list_id = ? AND mkey = ?"
        ))
        .bind(list_id)
        .bind(mkey)
        .fetch_optional(p)
        .await?))
    }

    /// The stored attachment an old pipermail attachment path names: the message's key and
    /// the attachment's index and file name. None once the message is removed.
    pub async fn pipermail_attachment(
        &self,
        list_id: i64,
        path: &str,
    ) -> Result<Option<(String, i64, String)>> {
        on_reader!(self, |p, d| Ok(sqlx::query_as(d.sql(
            "SELECT m.mkey, a.idx, a.filename FROM pipermail_attachments p
             JOIN messages m ON m.id = p.message_id
             JOIN attachments a ON a.message_id = p.message_id AND a.idx = p.idx
             WHERE p.list_id = ? AND p.path = ? AND NOT m.removed"
        ))
        .bind(list_id)
        .bind(path)
        .fetch_optional(p)
        .await?))
    }

    /// The scrubbed attachments of a message that the archive holds again: each one's old
    /// `DATE/HASH/NAME`, index and file name.
    pub async fn kept_scrubbed(
        &self,
        list_id: i64,
        mkey: &str,
    ) -> Result<Vec<(String, i64, String)>> {
        on_reader!(self, |p, d| Ok(sqlx::query_as(d.sql(
            "SELECT p.path, a.idx, a.filename FROM messages m
             JOIN pipermail_attachments p ON p.message_id = m.id AND p.list_id = ?
             JOIN attachments a ON a.message_id = m.id AND a.idx = p.idx
             WHERE m.mkey = ? ORDER BY a.idx"
        ))
        .bind(list_id)
        .bind(mkey)
        .fetch_all(p)
        .await?))
    }

    /// Whether the list holds any message dated in the span (start inclusive, end
    /// exclusive).
    pub async fn any_in_span(&self, list_id: i64, start: i64, end: i64) -> Result<bool> {
        let hit: Option<i64> = on_reader!(self, |p, d| Ok(sqlx::query_scalar(d.sql(
            "SELECT CAST(1 AS BIGINT) FROM nodes INDEXED BY nodes_date
             WHERE list_id = ? AND date >= ? AND date < ? AND message_id IS NOT NULL LIMIT 1"
        ))
        .bind(list_id)
        .bind(start)
        .bind(end)
        .fetch_optional(p)
        .await?))?;
        Ok(hit.is_some())
    }

    /// The message key a pipermail article number maps to.
    pub async fn pipermail_number(&self, list_id: i64, number: i64) -> Result<Option<String>> {
        on_reader!(self, |p, d| Ok(sqlx::query_scalar(d.sql(
            "SELECT m.mkey FROM pipermail_numbers p JOIN messages m ON m.id = p.message_id
             WHERE p.list_id = ? AND p.number = ?"
        ))
        .bind(list_id)
        .bind(number)
        .fetch_optional(p)
        .await?))
    }
}
