//! What the search index reads from the store: the queue of changed messages, the fields
//! of a message's index entry, and the rows a results page shows.

use sqlx::Row;

use super::{Result, Store};

/// Everything the index holds about one message.
#[derive(Debug, Clone)]
pub struct IndexDoc {
    pub id: i64,
    pub message_id: String,
    pub mkey: String,
    pub from_name: String,
    pub from_addr: String,
    pub date: Option<i64>,
    pub subject: String,
    pub body_text: String,
    /// Ids of the lists holding the message.
    pub lists: Vec<i64>,
    pub attachment_names: Vec<String>,
    pub attachment_count: i64,
}

/// A message on a results page.
#[derive(Debug, Clone)]
pub struct HitRow {
    pub id: i64,
    pub mkey: String,
    pub from_name: String,
    pub from_addr: String,
    pub date: Option<i64>,
    pub subject: String,
    pub body_text: String,
    /// (list id, list name, private, thread number in that list)
    pub lists: Vec<(i64, String, bool, i64)>,
}

/// What `remove` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal {
    NotFound,
    /// Several stored messages carry this Message-ID: name one by its key.
    Ambiguous(Vec<String>),
    Done(String),
}

const DOC_SQL: &str =
    "SELECT m.id, m.message_id, m.mkey, m.from_name, m.from_addr, m.date, m.subject,
        m.body_text, m.removed, m.attachment_count,
        (SELECT group_concat(n.list_id) FROM nodes n INDEXED BY nodes_message
          WHERE n.message_id = m.id) AS lists,
        (SELECT group_concat(a.filename, char(31)) FROM attachments a WHERE a.message_id = m.id)
          AS attachment_names
     FROM messages m";

/// A message's index entry, or `None` when it has none (removed, or in no list). A row
/// that cannot be read (text that is not UTF-8 after damage to the file, say) is an error
/// for that row alone.
fn doc_row(r: &sqlx::sqlite::SqliteRow) -> Result<Option<IndexDoc>> {
    let removed: bool = r.try_get("removed")?;
    let lists: Option<String> = r.try_get("lists")?;
    let lists: Vec<i64> = lists
        .unwrap_or_default()
        .split(',')
        .filter_map(|s| s.parse().ok())
        .collect();
    if removed || lists.is_empty() {
        return Ok(None);
    }
    let names: Option<String> = r.try_get("attachment_names")?;
    Ok(Some(IndexDoc {
        id: r.try_get("id")?,
        message_id: r.try_get("message_id")?,
        mkey: r.try_get("mkey")?,
        from_name: r.try_get("from_name")?,
        from_addr: r.try_get("from_addr")?,
        date: r.try_get("date")?,
        subject: r.try_get("subject")?,
        body_text: r.try_get("body_text")?,
        lists,
        attachment_names: names
            .unwrap_or_default()
            .split('\u{1f}')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        attachment_count: r.try_get("attachment_count")?,
    }))
}

/// Index entries read from a batch of rows; damaged rows are logged and counted in
/// `skipped`, so that one of them never stops the index for every other message.
fn doc_rows(rows: &[sqlx::sqlite::SqliteRow], skipped: &mut u64) -> Vec<IndexDoc> {
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        match doc_row(r) {
            Ok(d) => out.extend(d),
            Err(e) => {
                let id: Option<i64> = r.try_get("id").ok();
                tracing::error!("search index: cannot read message row {id:?}: {e}; skipped");
                *skipped += 1;
            }
        }
    }
    out
}

impl Store {
    /// The newest change the index must eventually apply.
    pub async fn search_queue_head(&self) -> Result<i64> {
        let n: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM search_queue")
            .fetch_one(self.pool())
            .await?;
        Ok(n.unwrap_or(0))
    }

    /// Changes after `seq`, oldest first: (seq, message row id).
    pub async fn search_queue_after(&self, seq: i64, limit: i64) -> Result<Vec<(i64, i64)>> {
        let rows = sqlx::query(
            "SELECT seq, message_id AS message_pk FROM search_queue WHERE seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(seq)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("seq")?, r.try_get("message_pk")?)))
            .collect()
    }

    /// Forgets changes the index has durably applied.
    pub async fn search_queue_prune(&self, upto: i64) -> Result<()> {
        sqlx::query("DELETE FROM search_queue WHERE seq <= ?")
            .bind(upto)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Index entries for these messages; a message that is removed, purged or in no list
    /// has none (its id is absent from the result).
    pub async fn index_docs(&self, ids: &[i64], skipped: &mut u64) -> Result<Vec<IndexDoc>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(",");
            let sql = format!("{DOC_SQL} WHERE m.id IN ({marks})");
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id);
            }
            out.extend(doc_rows(&q.fetch_all(self.pool()).await?, skipped));
        }
        Ok(out)
    }

    /// Index entries in row-id order after `after_id`, for a rebuild from scratch; the
    /// second value is the last row id read (to continue from), `None` at the end.
    pub async fn index_docs_page(
        &self,
        after_id: i64,
        limit: i64,
        skipped: &mut u64,
    ) -> Result<(Vec<IndexDoc>, Option<i64>)> {
        let sql = format!("{DOC_SQL} WHERE m.id > ? ORDER BY m.id LIMIT ?");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(after_id)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        let last = rows.last().map(|r| r.try_get::<i64, _>(0)).transpose()?;
        Ok((doc_rows(&rows, skipped), last))
    }

    pub async fn message_count(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE removed = 0")
                .fetch_one(self.pool())
                .await?,
        )
    }

    /// Every list, public or not (search decides visibility with the web layer's rule).
    pub async fn all_lists(&self) -> Result<Vec<super::ListRow>> {
        Ok(sqlx::query_as::<_, super::ListRow>(
            "SELECT id, name, title, description, private, obfuscate, next_thread, post_address FROM lists ORDER BY name",
        )
        .fetch_all(self.pool())
        .await?)
    }

    /// Streams the raw messages of `ids` in that order (removed ones left out), a few rows
    /// at a time, for mbox downloads of search results.
    pub fn export_ids(
        &self,
        ids: Vec<i64>,
    ) -> impl futures::Stream<Item = Result<super::ExportRow>> + Send + 'static + use<> {
        let pool = self.pool().clone();
        // A stalled client leaves at most one batch and the channel's few rows in memory.
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<super::ExportRow>>(4);
        tokio::spawn(async move {
            for chunk in ids.chunks(16) {
                let marks = vec!["?"; chunk.len()].join(",");
                let sql = format!(
                    "SELECT m.id, m.mkey, m.message_id, m.from_name, m.from_addr, m.date, m.subject,
                            m.in_reply_to, m.refs, m.body_text, m.raw
                     FROM messages m WHERE m.removed = 0 AND m.id IN ({marks})"
                );
                let mut q = sqlx::query_as::<_, super::ExportRow>(sqlx::AssertSqlSafe(sql));
                for id in chunk {
                    q = q.bind(id);
                }
                let rows = match q.fetch_all(&pool).await {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = tx.send(Err(e.into())).await;
                        return;
                    }
                };
                let mut by_id: std::collections::HashMap<i64, super::ExportRow> =
                    rows.into_iter().map(|r| (r.id, r)).collect();
                for id in chunk {
                    if let Some(r) = by_id.remove(id)
                        && tx.send(Ok(r)).await.is_err()
                    {
                        return; // the client went away
                    }
                }
            }
        });
        futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|r| (r, rx)) })
    }

    /// Rows for a results page, in the order of `ids`; removed messages are left out, so
    /// a removal hides a message from results before the index has caught up. Without
    /// `bodies` the body text is left empty (grouping by thread needs only the lists).
    pub async fn hit_rows(&self, ids: &[i64], bodies: bool) -> Result<Vec<HitRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let marks = vec!["?"; ids.len()].join(",");
        let sql = format!(
            "SELECT m.id, m.mkey, m.from_name, m.from_addr, m.date, m.subject,
                    CASE WHEN ? THEN substr(m.body_text, 1, 262144) ELSE '' END AS body_text,
                    (SELECT group_concat(l.id || char(31) || l.name || char(31) || l.private
                                         || char(31) || n.thread_no, char(30))
                     FROM nodes n INDEXED BY nodes_message JOIN lists l ON l.id = n.list_id
                     WHERE n.message_id = m.id) AS lists
             FROM messages m WHERE m.removed = 0 AND m.id IN ({marks})"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(bodies);
        for id in ids {
            q = q.bind(id);
        }
        let mut by_id: std::collections::HashMap<i64, HitRow> = q
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| {
                let packed: Option<String> = r.try_get("lists")?;
                let mut lists: Vec<(i64, String, bool, i64)> = packed
                    .unwrap_or_default()
                    .split('\u{1e}')
                    .filter_map(|e| {
                        let mut p = e.split('\u{1f}');
                        Some((
                            p.next()?.parse().ok()?,
                            p.next()?.to_string(),
                            p.next()? != "0",
                            p.next()?.parse().ok()?,
                        ))
                    })
                    .collect();
                lists.sort_by(|a, b| a.1.cmp(&b.1));
                let row = HitRow {
                    id: r.try_get("id")?,
                    mkey: r.try_get("mkey")?,
                    from_name: r.try_get("from_name")?,
                    from_addr: r.try_get("from_addr")?,
                    date: r.try_get("date")?,
                    subject: r.try_get("subject")?,
                    body_text: r.try_get("body_text")?,
                    lists,
                };
                Ok((row.id, row))
            })
            .collect::<Result<_>>()?;
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    /// Hides a message (its pages answer 410) or, with `purge`, also erases its content:
    /// raw bytes, bodies, attachments. `key` is its key or Message-ID, `<>` optional.
    pub async fn remove_message(&self, key: &str, purge: bool) -> Result<Removal> {
        let key = key.trim().trim_start_matches('<').trim_end_matches('>');
        let rows = sqlx::query(
            "SELECT id, mkey FROM messages WHERE mkey = ? OR message_id = ? ORDER BY id",
        )
        .bind(key)
        .bind(key)
        .fetch_all(self.pool())
        .await?;
        let exact = rows
            .iter()
            .find(|r| r.try_get::<String, _>("mkey").is_ok_and(|k| k == key));
        let row = match (exact, rows.len()) {
            (Some(r), _) => r,
            (None, 0) => return Ok(Removal::NotFound),
            (None, 1) => &rows[0],
            (None, _) => {
                return Ok(Removal::Ambiguous(
                    rows.iter()
                        .map(|r| r.try_get("mkey"))
                        .collect::<sqlx::Result<_>>()?,
                ));
            }
        };
        let id: i64 = row.try_get("id")?;
        let mkey: String = row.try_get("mkey")?;
        let mut tx = self.pool().begin().await?;
        sqlx::query("UPDATE messages SET removed = 1 WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if purge {
            sqlx::query(
                "UPDATE messages SET raw = x'', raw_size = 0, body_text = '', body_html = NULL,
                    subject = '', subject_key = '', from_name = '', from_addr = '', refs = '',
                    attachment_count = 0
                 WHERE id = ?",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM attachments WHERE message_id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE generation SET value = value + 1 WHERE id = 1")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Removal::Done(mkey))
    }
}
