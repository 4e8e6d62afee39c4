//! What the search index reads from the store: the queue of changed messages, the fields
//! of a message's index entry, and the rows a results page shows.

use super::db::{Cols, on_pool};
use super::replica::on_reader;
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
fn doc_row(r: &impl Cols) -> Result<Option<IndexDoc>> {
    let removed: bool = r.col("removed")?;
    let lists: Option<String> = r.col("lists")?;
    let lists: Vec<i64> = lists
        .unwrap_or_default()
        .split(',')
        .filter_map(|s| s.parse().ok())
        .collect();
    if removed || lists.is_empty() {
        return Ok(None);
    }
    let names: Option<String> = r.col("attachment_names")?;
    Ok(Some(IndexDoc {
        id: r.col("id")?,
        message_id: r.col("message_id")?,
        mkey: r.col("mkey")?,
        from_name: r.col("from_name")?,
        from_addr: r.col("from_addr")?,
        date: r.col("date")?,
        subject: r.col("subject")?,
        body_text: r.col("body_text")?,
        lists,
        attachment_names: names
            .unwrap_or_default()
            .split('\u{1f}')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        attachment_count: r.col("attachment_count")?,
    }))
}

/// Index entries read from a batch of rows; damaged rows are logged and counted in
/// `skipped`, so that one of them never stops the index for every other message.
fn doc_rows<R: Cols>(rows: &[R], skipped: &mut u64) -> Vec<IndexDoc> {
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        match doc_row(r) {
            Ok(d) => out.extend(d),
            Err(e) => {
                let id: Option<i64> = r.col("id").ok();
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
        let n: Option<i64> = on_pool!(self.pool(), |p, d| sqlx::query_scalar(
            "SELECT MAX(seq) FROM search_queue"
        )
        .fetch_one(p)
        .await?);
        Ok(n.unwrap_or(0))
    }

    /// Changes after `seq`, oldest first: (seq, message row id).
    pub async fn search_queue_after(&self, seq: i64, limit: i64) -> Result<Vec<(i64, i64)>> {
        on_pool!(self.pool(), |p, d| {
            Ok(sqlx::query_as(d.sql(
            "SELECT seq, message_id AS message_pk FROM search_queue WHERE seq > ? ORDER BY seq LIMIT ?"
        ))
        .bind(seq)
        .bind(limit)
        .fetch_all(p)
        .await?)
        })
    }

    /// Forgets changes the index has durably applied. On PostgreSQL the queue is shared by
    /// every server's index, each at its own position, so nothing is forgotten there: a
    /// change is a row of two integers, and a server that joins later rebuilds from the
    /// messages anyway.
    pub async fn search_queue_prune(&self, upto: i64) -> Result<()> {
        if self.is_shared() {
            return Ok(());
        }
        on_pool!(self.pool(), |p, d| sqlx::query(
            d.sql("DELETE FROM search_queue WHERE seq <= ?")
        )
        .bind(upto)
        .execute(p)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Index entries for these messages; a message that is removed, purged or in no list
    /// has none (its id is absent from the result).
    pub async fn index_docs(&self, ids: &[i64], skipped: &mut u64) -> Result<Vec<IndexDoc>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(",");
            let sql = format!("{DOC_SQL} WHERE m.id IN ({marks})");
            on_pool!(self.pool(), |p, d| {
                let mut q = sqlx::query(d.dynamic(sql));
                for id in chunk {
                    q = q.bind(id);
                }
                out.extend(doc_rows(&q.fetch_all(p).await?, skipped));
            });
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
        on_pool!(self.pool(), |p, d| {
            let rows = sqlx::query(d.dynamic(sql))
                .bind(after_id)
                .bind(limit)
                .fetch_all(p)
                .await?;
            let last = rows.last().map(|r| r.col::<i64>("id")).transpose()?;
            Ok((doc_rows(&rows, skipped), last))
        })
    }

    pub async fn message_count(&self) -> Result<i64> {
        on_pool!(self.pool(), |p, d| Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM messages WHERE NOT removed"
        )
        .fetch_one(p)
        .await?))
    }

    /// Every list, public or not (search decides visibility with the web layer's rule).
    pub async fn all_lists(&self) -> Result<Vec<super::ListRow>> {
        on_reader!(self, |p, d| {
            Ok(sqlx::query_as::<_, super::ListRow>(d.sql(
            "SELECT id, name, title, description, private, obfuscate, next_thread, post_address, language FROM lists ORDER BY name"
        ))
        .fetch_all(p)
        .await?)
        })
    }

    /// Streams the raw messages of `ids` in that order (removed ones left out), a few rows
    /// at a time, for mbox downloads of search results.
    pub fn export_ids(
        &self,
        ids: Vec<i64>,
    ) -> impl futures::Stream<Item = Result<super::ExportRow>> + Send + 'static + use<> {
        let store = self.clone();
        // A stalled client leaves at most one batch and the channel's few rows in memory.
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<super::ExportRow>>(4);
        tokio::spawn(async move {
            for chunk in ids.chunks(16) {
                let marks = vec!["?"; chunk.len()].join(",");
                let sql = format!(
                    "SELECT m.id, m.mkey, m.message_id, m.from_name, m.from_addr, m.date, m.subject,
                            m.in_reply_to, m.refs, m.body_text, m.raw
                     FROM messages m WHERE NOT m.removed AND m.id IN ({marks})"
                );
                let rows = on_reader!(&store, |p, d| {
                    let mut q = sqlx::query_as::<_, super::ExportRow>(d.dynamic(sql.clone()));
                    for id in chunk {
                        q = q.bind(id);
                    }
                    Ok(q.fetch_all(p).await?)
                });
                let rows = match rows {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = tx.send(Err(e)).await;
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
             FROM messages m WHERE NOT m.removed AND m.id IN ({marks})"
        );
        on_reader!(self, |p, d| {
            let mut q = sqlx::query(d.dynamic(sql.clone())).bind(bodies);
            for id in ids {
                q = q.bind(id);
            }
            let mut by_id: std::collections::HashMap<i64, HitRow> = q
                .fetch_all(p)
                .await?
                .iter()
                .map(|r| {
                    let packed: Option<String> = r.col("lists")?;
                    let mut lists: Vec<(i64, String, bool, i64)> = packed
                        .unwrap_or_default()
                        .split('\u{1e}')
                        .filter_map(|e| {
                            let mut p = e.split('\u{1f}');
                            Some((
                                p.next()?.parse().ok()?,
                                p.next()?.to_string(),
                                // SQLite writes the flag as 1, PostgreSQL as true.
                                matches!(p.next()?, "1" | "true"),
                                p.next()?.parse().ok()?,
                            ))
                        })
                        .collect();
                    lists.sort_by(|a, b| a.1.cmp(&b.1));
                    let row = HitRow {
                        id: r.col("id")?,
                        mkey: r.col("mkey")?,
                        from_name: r.col("from_name")?,
                        from_addr: r.col("from_addr")?,
                        date: r.col("date")?,
                        subject: r.col("subject")?,
                        body_text: r.col("body_text")?,
                        lists,
                    };
                    Ok((row.id, row))
                })
                .collect::<Result<_>>()?;
            Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
        })
    }

    /// Hides a message (its pages answer 410) or, with `purge`, also erases its content:
    /// raw bytes, bodies, attachments. `key` is its key or Message-ID, `<>` optional.
    pub async fn remove_message(&self, key: &str, purge: bool) -> Result<Removal> {
        let key = key.trim().trim_start_matches('<').trim_end_matches('>');
        let rows: Vec<(i64, String)> = on_pool!(self.pool(), |p, d| sqlx::query_as(
            d.sql("SELECT id, mkey FROM messages WHERE mkey = ? OR message_id = ? ORDER BY id")
        )
        .bind(key)
        .bind(key)
        .fetch_all(p)
        .await?);
        let exact = rows.iter().find(|r| r.1 == key);
        let (id, mkey) = match (exact, rows.len()) {
            (Some(r), _) => r.clone(),
            (None, 0) => return Ok(Removal::NotFound),
            (None, 1) => rows[0].clone(),
            (None, _) => {
                return Ok(Removal::Ambiguous(rows.into_iter().map(|r| r.1).collect()));
            }
        };
        on_pool!(self.pool(), |p, d| {
            let mut tx = p.begin().await?;
            if d.is_pg() {
                // Writes are one at a time (see `Store::begin`).
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(super::PG_WRITE_LOCK)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(d.sql("UPDATE messages SET removed = TRUE WHERE id = ?"))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if purge {
                sqlx::query(d.sql(
                    "UPDATE messages SET raw = CAST('' AS BLOB), raw_size = 0, body_text = '',
                        body_html = NULL, subject = '', subject_key = '', from_name = '',
                        from_addr = '', refs = '', attachment_count = 0
                     WHERE id = ?",
                ))
                .bind(id)
                .execute(&mut *tx)
                .await?;
                sqlx::query(d.sql("DELETE FROM attachments WHERE message_id = ?"))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("UPDATE generation SET value = value + 1 WHERE id = 1")
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(Removal::Done(mkey))
    }
}
