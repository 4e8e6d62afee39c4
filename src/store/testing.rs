//! Readings of the archive that only tests make: whole-list dumps, every tree link, every
//! article number. The archive itself never needs them (its pages read one thread or one
//! month at a time), so they are compiled for the crate's unit tests and, through the
//! `test-support` feature, for its integration tests and nothing else; a second backend
//! would implement them to run the same tests.

use sqlx::Row;

use super::{BodyRow, MessageItem, Result, Store};

impl Store {
    /// Every message of one thread, oldest first.
    pub async fn thread_messages(&self, list_id: i64, thread_no: i64) -> Result<Vec<MessageItem>> {
        Ok(sqlx::query_as::<_, MessageItem>(
            "SELECT n.mkey, n.parent, n.thread_no, iif(m.removed, '', m.from_name) AS from_name, iif(m.removed, '', m.from_addr) AS from_addr, m.date, iif(m.removed, '', m.subject) AS subject
             FROM nodes n INDEXED BY nodes_thread JOIN messages m ON m.id = n.message_id
             WHERE n.list_id = ? AND n.thread_no = ? ORDER BY m.date, n.seq",
        )
        .bind(list_id)
        .bind(thread_no)
        .fetch_all(self.pool())
        .await?)
    }

    /// All nodes (ghosts included) of a thread, for building its tree.
    pub async fn thread_nodes(
        &self,
        list_id: i64,
        thread_no: i64,
    ) -> Result<Vec<crate::domain::thread::NodeRow>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            super::node_columns!(),
            " FROM nodes n INDEXED BY nodes_thread LEFT JOIN messages m ON m.id = n.message_id
             WHERE n.list_id = ? AND n.thread_no = ? ORDER BY m.date IS NULL, m.date, n.seq"
        ))
        .bind(list_id)
        .bind(thread_no)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(super::node_row)
            .collect::<sqlx::Result<_>>()?)
    }

    /// A page of a list's message bodies in arrival order, after arrival number `after`
    /// (for whole-archive passes that must not hold the archive in memory).
    pub async fn bodies_page(
        &self,
        list_id: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, BodyRow)>> {
        let rows = sqlx::query(
            "SELECT n.seq, n.mkey, m.from_name, m.from_addr, m.date, m.subject, m.body_text,
                    m.body_html, m.text_from_html, m.flowed, m.removed, m.tz_offset
             FROM nodes n JOIN messages m ON m.id = n.message_id
             WHERE n.list_id = ? AND n.seq > ? ORDER BY n.seq LIMIT ?",
        )
        .bind(list_id)
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok((
                    r.try_get("seq")?,
                    <BodyRow as sqlx::FromRow<_>>::from_row(&r)?,
                ))
            })
            .collect()
    }

    /// Every (number, Message-ID) of a list, for checks against pipermail's pages.
    pub async fn pipermail_numbers(&self, list_id: i64) -> Result<Vec<(i64, String)>> {
        let rows = sqlx::query(
            "SELECT p.number, m.message_id FROM pipermail_numbers p JOIN messages m ON m.id = p.message_id
             WHERE p.list_id = ? ORDER BY p.number",
        )
        .bind(list_id)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|r| Ok((r.try_get("number")?, r.try_get("message_id")?)))
            .collect()
    }

    /// (Message-ID, parent Message-ID) for every real message of a list, the parent being
    /// the nearest real ancestor; for comparing trees with other archivers.
    pub async fn parent_links(&self, list_id: i64) -> Result<Vec<(String, Option<String>)>> {
        let rows = sqlx::query(
            "SELECT n.mkey, n.parent, m.message_id
             FROM nodes n LEFT JOIN messages m ON m.id = n.message_id WHERE n.list_id = ?",
        )
        .bind(list_id)
        .fetch_all(self.pool())
        .await?;
        let nodes: std::collections::HashMap<String, (Option<String>, Option<String>)> = rows
            .into_iter()
            .map(|r| {
                Ok((
                    r.try_get("mkey")?,
                    (r.try_get("parent")?, r.try_get("message_id")?),
                ))
            })
            .collect::<Result<_>>()?;
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
        let rows = sqlx::query(
            "SELECT m.from_addr, m.date, m.date_source FROM nodes n JOIN messages m ON m.id = n.message_id
             WHERE n.list_id = ?",
        )
        .bind(list_id)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok((
                    r.try_get("from_addr")?,
                    r.try_get("date")?,
                    r.try_get("date_source")?,
                ))
            })
            .collect()
    }

    /// A canonical text dump of a list's archive state (messages, tree, threads, numbers),
    /// independent of row ids: two imports that end in the same state dump identically.
    pub async fn dump_list(&self, list_id: i64) -> Result<String> {
        use std::fmt::Write;
        let mut out = String::new();
        let rows = sqlx::query(
            "SELECT n.mkey, n.parent, n.thread_no, n.seq, n.via_subject, m.content_hash, m.date, m.from_addr, m.subject
             FROM nodes n LEFT JOIN messages m ON m.id = n.message_id WHERE n.list_id = ? ORDER BY n.mkey",
        )
        .bind(list_id)
        .fetch_all(self.pool())
        .await?;
        for r in rows {
            let hash: Option<Vec<u8>> = r.try_get("content_hash")?;
            let _ = writeln!(
                out,
                "node {} parent={:?} thread={} seq={:?} subj={} hash={} date={:?} from={} subject={}",
                r.try_get::<String, _>("mkey")?,
                r.try_get::<Option<String>, _>("parent")?,
                r.try_get::<i64, _>("thread_no")?,
                r.try_get::<Option<i64>, _>("seq")?,
                r.try_get::<bool, _>("via_subject")?,
                hash.map(hex::encode).unwrap_or_default(),
                r.try_get::<Option<i64>, _>("date")?,
                r.try_get::<Option<String>, _>("from_addr")?
                    .unwrap_or_default(),
                r.try_get::<Option<String>, _>("subject")?
                    .unwrap_or_default(),
            );
        }
        let rows = sqlx::query(
            "SELECT thread_no, root_mkey, subject, first_date, last_date, message_count FROM threads
             WHERE list_id = ? ORDER BY thread_no",
        )
        .bind(list_id)
        .fetch_all(self.pool())
        .await?;
        for r in rows {
            let _ = writeln!(
                out,
                "thread {} root={} subject={} first={:?} last={:?} count={}",
                r.try_get::<i64, _>(0)?,
                r.try_get::<String, _>(1)?,
                r.try_get::<String, _>(2)?,
                r.try_get::<Option<i64>, _>(3)?,
                r.try_get::<Option<i64>, _>(4)?,
                r.try_get::<i64, _>(5)?
            );
        }
        for (num, id) in self.pipermail_numbers(list_id).await? {
            let _ = writeln!(out, "number {num} {id}");
        }
        let (next, seq): (i64, i64) =
            sqlx::query_as("SELECT next_thread, next_seq FROM lists WHERE id = ?")
                .bind(list_id)
                .fetch_one(self.pool())
                .await?;
        let _ = writeln!(out, "next_thread {next} next_seq {seq}");
        Ok(out)
    }
}
