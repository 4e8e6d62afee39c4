//! Readings of the archive that only tests make: whole-list dumps, every tree link, every
//! article number. The archive itself never needs them (its pages read one thread or one
//! month at a time), so they are compiled for the crate's unit tests and, through the
//! `test-support` feature, for its integration tests and nothing else; a second backend
//! would implement them to run the same tests.

use super::db::{Cols, on_pool};
use super::{BodyRow, MessageItem, Result, Store};

/// A statement written in SQLite's dialect as the store's database takes it, for tests
/// that check what the store holds with their own SQL on either backend.
pub fn portable_sql(sql: &str, postgres: bool) -> String {
    if postgres {
        super::db::pg_sql(sql)
    } else {
        sql.to_string()
    }
}

impl Store {
    /// Every message of one thread, oldest first.
    ///
    /// PostgreSQL sorts NULLs last where SQLite sorts them first: its text says `NULLS
    /// FIRST`, so undated messages come in the same place on both.
    pub async fn thread_messages(&self, list_id: i64, thread_no: i64) -> Result<Vec<MessageItem>> {
        on_pool!(self.pool(), |p, d| {
            Ok(sqlx::query_as::<_, MessageItem>(d.pick(
            "SELECT n.mkey, n.parent, n.thread_no, iif(m.removed, '', m.from_name) AS from_name, iif(m.removed, '', m.from_addr) AS from_addr, m.date, iif(m.removed, '', m.subject) AS subject
             FROM nodes n INDEXED BY nodes_thread JOIN messages m ON m.id = n.message_id
             WHERE n.list_id = ? AND n.thread_no = ? ORDER BY m.date, n.seq",
            "SELECT n.mkey, n.parent, n.thread_no,
                    CASE WHEN m.removed THEN '' ELSE m.from_name END AS from_name,
                    CASE WHEN m.removed THEN '' ELSE m.from_addr END AS from_addr, m.date,
                    CASE WHEN m.removed THEN '' ELSE m.subject END AS subject
             FROM nodes n JOIN messages m ON m.id = n.message_id
             WHERE n.list_id = $1 AND n.thread_no = $2
             ORDER BY m.date NULLS FIRST, n.seq NULLS FIRST",
        ))
        .bind(list_id)
        .bind(thread_no)
        .fetch_all(p)
        .await?)
        })
    }

    /// All nodes (ghosts included) of a thread, for building its tree.
    ///
    /// On PostgreSQL the arrival numbers sort `NULLS FIRST`, as SQLite sorts them, so the
    /// ghosts come in the same place on both.
    pub async fn thread_nodes(
        &self,
        list_id: i64,
        thread_no: i64,
    ) -> Result<Vec<crate::domain::thread::NodeRow>> {
        on_pool!(self.pool(), |p, d| {
            let rows = sqlx::query(d.pick(
                concat!(
                    "SELECT ",
                    super::node_columns!(),
                    " FROM nodes n INDEXED BY nodes_thread LEFT JOIN messages m ON m.id = n.message_id
                     WHERE n.list_id = ? AND n.thread_no = ? ORDER BY m.date IS NULL, m.date, n.seq"
                ),
                concat!(
                    "SELECT ",
                    super::node_columns!(),
                    " FROM nodes n LEFT JOIN messages m ON m.id = n.message_id
                     WHERE n.list_id = $1 AND n.thread_no = $2
                     ORDER BY m.date IS NULL, m.date, n.seq NULLS FIRST"
                ),
            ))
            .bind(list_id)
            .bind(thread_no)
            .fetch_all(p)
            .await?;
            Ok(rows
                .iter()
                .map(super::node_row)
                .collect::<sqlx::Result<_>>()?)
        })
    }

    /// A page of a list's message bodies in arrival order, after arrival number `after`
    /// (for whole-archive passes that must not hold the archive in memory).
    pub async fn bodies_page(
        &self,
        list_id: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, BodyRow)>> {
        on_pool!(self.pool(), |p, d| {
            let rows = sqlx::query(d.sql(
                "SELECT n.seq, n.mkey, m.from_name, m.from_addr, m.date, m.subject, m.body_text,
                        m.body_html, m.text_from_html, m.flowed, m.removed, m.tz_offset
                 FROM nodes n JOIN messages m ON m.id = n.message_id
                 WHERE n.list_id = ? AND n.seq > ? ORDER BY n.seq LIMIT ?",
            ))
            .bind(list_id)
            .bind(after)
            .bind(limit)
            .fetch_all(p)
            .await?;
            rows.into_iter()
                .map(|r| Ok((r.col("seq")?, <BodyRow as sqlx::FromRow<_>>::from_row(&r)?)))
                .collect()
        })
    }

    /// Every (number, Message-ID) of a list, for checks against pipermail's pages.
    pub async fn pipermail_numbers(&self, list_id: i64) -> Result<Vec<(i64, String)>> {
        on_pool!(self.pool(), |p, d| {
            let rows = sqlx::query(d.sql(
                "SELECT p.number, m.message_id FROM pipermail_numbers p JOIN messages m ON m.id = p.message_id
                 WHERE p.list_id = ? ORDER BY p.number",
            ))
            .bind(list_id)
            .fetch_all(p)
            .await?;
            rows.into_iter()
                .map(|r| Ok((r.col("number")?, r.col("message_id")?)))
                .collect()
        })
    }

    /// (Message-ID, parent Message-ID) for every real message of a list, the parent being
    /// the nearest real ancestor; for comparing trees with other archivers.
    pub async fn parent_links(&self, list_id: i64) -> Result<Vec<(String, Option<String>)>> {
        let nodes: std::collections::HashMap<String, (Option<String>, Option<String>)> =
            on_pool!(self.pool(), |p, d| {
                let rows = sqlx::query(d.sql(
                    "SELECT n.mkey, n.parent, m.message_id
                     FROM nodes n LEFT JOIN messages m ON m.id = n.message_id WHERE n.list_id = ?",
                ))
                .bind(list_id)
                .fetch_all(p)
                .await?;
                rows.into_iter()
                    .map(|r| Ok((r.col("mkey")?, (r.col("parent")?, r.col("message_id")?))))
                    .collect::<Result<_>>()?
            });
        let mut out = Vec::new();
        for (parent, message_id) in nodes.values() {
            let Some(message_id) = message_id else {
                continue;
            };
            let mut cur = parent.clone();
            let mut found = None;
            let mut steps = 0;
            while let Some(k) = cur {
                steps += 1;
                match nodes.get(&k) {
                    Some((_, Some(mid))) => {
                        found = Some(mid.clone());
                        break;
                    }
                    Some((p, None)) if steps < 10_000 => cur = p.clone(),
                    _ => break,
                }
            }
            out.push((message_id.clone(), found));
        }
        Ok(out)
    }

    /// Sender addresses and dates of a list's messages (for sanity checks and stats).
    pub async fn senders_and_dates(&self, list_id: i64) -> Result<Vec<(String, Option<i64>, i64)>> {
        on_pool!(self.pool(), |p, d| {
            let rows = sqlx::query(d.sql(
                "SELECT m.from_addr, m.date, m.date_source FROM nodes n JOIN messages m ON m.id = n.message_id
                 WHERE n.list_id = ?",
            ))
            .bind(list_id)
            .fetch_all(p)
            .await?;
            rows.into_iter()
                .map(|r| Ok((r.col("from_addr")?, r.col("date")?, r.col("date_source")?)))
                .collect()
        })
    }

    /// A canonical text dump of a list's archive state (messages, tree, threads, numbers),
    /// independent of row ids: two imports that end in the same state dump identically.
    pub async fn dump_list(&self, list_id: i64) -> Result<String> {
        use std::fmt::Write;
        let mut out = String::new();
        on_pool!(self.pool(), |p, d| {
            let rows = sqlx::query(d.sql(
                "SELECT n.mkey, n.parent, n.thread_no, n.seq, n.via_subject, m.content_hash, m.date, m.from_addr, m.subject
                 FROM nodes n LEFT JOIN messages m ON m.id = n.message_id WHERE n.list_id = ? ORDER BY n.mkey",
            ))
            .bind(list_id)
            .fetch_all(p)
            .await?;
            for r in rows {
                let hash: Option<Vec<u8>> = r.col("content_hash")?;
                let _ = writeln!(
                    out,
                    "node {} parent={:?} thread={} seq={:?} subj={} hash={} date={:?} from={} subject={}",
                    r.col::<String>("mkey")?,
                    r.col::<Option<String>>("parent")?,
                    r.col::<i64>("thread_no")?,
                    r.col::<Option<i64>>("seq")?,
                    r.col::<bool>("via_subject")?,
                    hash.map(hex::encode).unwrap_or_default(),
                    r.col::<Option<i64>>("date")?,
                    r.col::<Option<String>>("from_addr")?.unwrap_or_default(),
                    r.col::<Option<String>>("subject")?.unwrap_or_default(),
                );
            }
            let rows = sqlx::query(d.sql(
                "SELECT thread_no, root_mkey, subject, first_date, last_date, message_count FROM threads
                 WHERE list_id = ? ORDER BY thread_no",
            ))
            .bind(list_id)
            .fetch_all(p)
            .await?;
            for r in rows {
                let _ = writeln!(
                    out,
                    "thread {} root={} subject={} first={:?} last={:?} count={}",
                    r.col::<i64>("thread_no")?,
                    r.col::<String>("root_mkey")?,
                    r.col::<String>("subject")?,
                    r.col::<Option<i64>>("first_date")?,
                    r.col::<Option<i64>>("last_date")?,
                    r.col::<i64>("message_count")?
                );
            }
        });
        for (num, id) in self.pipermail_numbers(list_id).await? {
            let _ = writeln!(out, "number {num} {id}");
        }
        let (next, seq): (i64, i64) = on_pool!(self.pool(), |p, d| sqlx::query_as(
            d.sql("SELECT next_thread, next_seq FROM lists WHERE id = ?")
        )
        .bind(list_id)
        .fetch_one(p)
        .await?);
        let _ = writeln!(out, "next_thread {next} next_seq {seq}");
        Ok(out)
    }
}
