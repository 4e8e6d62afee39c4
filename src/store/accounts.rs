//! Accounts, grants and sessions: who may read which private list. Secrets arrive here
//! already hashed (see `domain::secret`); the store never sees a password or a token.

use super::db::{Cols, on_pool};
use super::{Error, Result, Store, now};

/// A reader the web knows: what they may read, and the form token of their session.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: i64,
    pub name: String,
    /// Reads every list.
    pub admin: bool,
    /// The names of the private lists granted.
    pub lists: Vec<String>,
    /// The session's CSRF token; `None` when not signed in through a session (a feed
    /// token, a proxy header), which can then post nothing.
    pub csrf: Option<String>,
}

/// One row of `larch user list`.
#[derive(Debug, Clone)]
pub struct UserSummary {
    pub name: String,
    pub admin: bool,
    pub lists: Vec<String>,
    pub sessions: i64,
    pub feed_token: bool,
}

/// The account columns, with the granted lists' names as a JSON array.
macro_rules! account_sql {
    ($condition:literal) => {
        concat!(
            "SELECT u.id, u.name, u.admin,
                (SELECT json_group_array(l.name) FROM grants g JOIN lists l ON l.id = g.list_id
                  WHERE g.user_id = u.id) AS lists
             FROM users u WHERE ",
            $condition
        )
    };
}

impl Store {
    /// Adds a user; `false` if the name is taken.
    pub async fn add_user(&self, name: &str, password_hash: &str, admin: bool) -> Result<bool> {
        on_pool!(self.pool(), |p, d| Ok(sqlx::query(d.sql(
            "INSERT OR IGNORE INTO users (name, password_hash, admin, created_at) VALUES (?,?,?,?)",
        ))
        .bind(name)
        .bind(password_hash)
        .bind(admin)
        .bind(now())
        .execute(p)
        .await?
        .rows_affected()
            > 0))
    }

    /// Sets a user's password and ends their sessions; `false` if there is no such user.
    pub async fn set_password(&self, name: &str, password_hash: &str) -> Result<bool> {
        on_pool!(self.pool(), |p, d| {
            let mut tx = p.begin().await?;
            let id: Option<i64> = sqlx::query_scalar(d.sql("SELECT id FROM users WHERE name = ?"))
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(id) = id else { return Ok(false) };
            sqlx::query(d.sql("UPDATE users SET password_hash = ? WHERE id = ?"))
                .bind(password_hash)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(d.sql("DELETE FROM sessions WHERE user_id = ?"))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Removes a user, their grants and sessions; `false` if there was none.
    pub async fn delete_user(&self, name: &str) -> Result<bool> {
        on_pool!(self.pool(), |p, d| Ok(sqlx::query(
            d.sql("DELETE FROM users WHERE name = ?")
        )
        .bind(name)
        .execute(p)
        .await?
        .rows_affected()
            > 0))
    }

    pub async fn set_admin(&self, name: &str, admin: bool) -> Result<bool> {
        on_pool!(self.pool(), |p, d| Ok(sqlx::query(
            d.sql("UPDATE users SET admin = ? WHERE name = ?")
        )
        .bind(admin)
        .bind(name)
        .execute(p)
        .await?
        .rows_affected()
            > 0))
    }

    /// Grants (or revokes) a user the lists named, all or none: a name that is neither a
    /// list nor an alias is an error, so a typo grants nothing.
    pub async fn set_grants(&self, user: &str, lists: &[String], grant: bool) -> Result<()> {
        on_pool!(self.pool(), |p, d| {
            let mut tx = p.begin().await?;
            let uid: Option<i64> = sqlx::query_scalar(d.sql("SELECT id FROM users WHERE name = ?"))
                .bind(user)
                .fetch_optional(&mut *tx)
                .await?;
            let uid =
                uid.ok_or_else(|| Error::Unknown(format!("there is no user named {user:?}")))?;
            for l in lists {
                let lid: Option<i64> = sqlx::query_scalar(d.sql(
                    "SELECT id FROM lists WHERE name = ?1
                     UNION SELECT list_id FROM list_aliases WHERE alias = ?1",
                ))
                .bind(l)
                .fetch_optional(&mut *tx)
                .await?;
                let lid =
                    lid.ok_or_else(|| Error::Unknown(format!("there is no list named {l:?}")))?;
                let sql = if grant {
                    "INSERT OR IGNORE INTO grants (user_id, list_id) VALUES (?, ?)"
                } else {
                    "DELETE FROM grants WHERE user_id = ? AND list_id = ?"
                };
                sqlx::query(d.sql(sql))
                    .bind(uid)
                    .bind(lid)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    pub async fn users(&self) -> Result<Vec<UserSummary>> {
        on_pool!(self.pool(), |p, d| {
            let rows = sqlx::query(d.sql(
                "SELECT u.name, u.admin, u.feed_token_hash IS NOT NULL AS feed,
                    (SELECT json_group_array(l.name) FROM grants g JOIN lists l ON l.id = g.list_id
                      WHERE g.user_id = u.id) AS lists,
                    (SELECT COUNT(*) FROM sessions s WHERE s.user_id = u.id AND s.expires_at > ?)
                      AS sessions
                 FROM users u ORDER BY u.name",
            ))
            .bind(now())
            .fetch_all(p)
            .await?;
            rows.iter()
                .map(|r| {
                    let lists: String = r.col("lists")?;
                    Ok(UserSummary {
                        name: r.col("name")?,
                        admin: r.col("admin")?,
                        lists: serde_json::from_str(&lists).map_err(Error::damaged)?,
                        sessions: r.col("sessions")?,
                        feed_token: r.col("feed")?,
                    })
                })
                .collect()
        })
    }

    /// The stored password hash of a user, for a login.
    pub async fn password_hash(&self, name: &str) -> Result<Option<(i64, String)>> {
        on_pool!(self.pool(), |p, d| {
            let row = sqlx::query(d.sql("SELECT id, password_hash FROM users WHERE name = ?"))
                .bind(name)
                .fetch_optional(p)
                .await?;
            Ok(match row {
                Some(r) => Some((r.col("id")?, r.col("password_hash")?)),
                None => None,
            })
        })
    }

    /// Opens a session; expired sessions of everyone are cleared on the way.
    pub async fn create_session(
        &self,
        token_hash: &[u8],
        user_id: i64,
        csrf: &str,
        lifetime_secs: i64,
    ) -> Result<()> {
        let t = now();
        on_pool!(self.pool(), |p, d| {
            sqlx::query(d.sql("DELETE FROM sessions WHERE expires_at <= ?"))
                .bind(t)
                .execute(p)
                .await?;
            sqlx::query(d.sql(
                "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at)
                 VALUES (?,?,?,?,?)",
            ))
            .bind(token_hash)
            .bind(user_id)
            .bind(csrf)
            .bind(t)
            .bind(t.saturating_add(lifetime_secs))
            .execute(p)
            .await?;
        });
        Ok(())
    }

    pub async fn end_session(&self, token_hash: &[u8]) -> Result<()> {
        on_pool!(self.pool(), |p, d| sqlx::query(
            d.sql("DELETE FROM sessions WHERE token_hash = ?")
        )
        .bind(token_hash)
        .execute(p)
        .await?
        .rows_affected());
        Ok(())
    }

    /// The reader behind a live session cookie.
    pub async fn session_account(&self, token_hash: &[u8]) -> Result<Option<Account>> {
        let found: Option<(i64, String)> = on_pool!(self.pool(), |p, d| {
            let row = sqlx::query(d.sql(
                "SELECT s.user_id, s.csrf FROM sessions s WHERE s.token_hash = ? AND s.expires_at > ?",
            ))
            .bind(token_hash)
            .bind(now())
            .fetch_optional(p)
            .await?;
            match row {
                Some(r) => Some((r.col("user_id")?, r.col("csrf")?)),
                None => None,
            }
        });
        let Some((user_id, csrf)) = found else {
            return Ok(None);
        };
        self.account_where(account_sql!("u.id = ?"), Key::Id(user_id), Some(csrf))
            .await
    }

    /// A user by name, for a name a trusted proxy vouches for.
    pub async fn account_named(&self, name: &str) -> Result<Option<Account>> {
        self.account_where(account_sql!("u.name = ?"), Key::Text(name), None)
            .await
    }

    /// The reader whose feed token this is.
    pub async fn feed_account(&self, token_hash: &[u8]) -> Result<Option<Account>> {
        self.account_where(
            account_sql!("u.feed_token_hash = ?"),
            Key::Bytes(token_hash),
            None,
        )
        .await
    }

    /// Sets (or, with `None`, revokes) a user's feed token; `false` if there is no user.
    pub async fn set_feed_token(&self, name: &str, token_hash: Option<&[u8]>) -> Result<bool> {
        on_pool!(self.pool(), |p, d| Ok(sqlx::query(
            d.sql("UPDATE users SET feed_token_hash = ? WHERE name = ?")
        )
        .bind(token_hash)
        .bind(name)
        .execute(p)
        .await?
        .rows_affected()
            > 0))
    }

    async fn account_where(
        &self,
        sql: &'static str,
        key: Key<'_>,
        csrf: Option<String>,
    ) -> Result<Option<Account>> {
        on_pool!(self.pool(), |p, d| {
            let q = sqlx::query(d.sql(sql));
            let q = match key {
                Key::Id(i) => q.bind(i),
                Key::Text(t) => q.bind(t),
                Key::Bytes(b) => q.bind(b),
            };
            let Some(r) = q.fetch_optional(p).await? else {
                return Ok(None);
            };
            let lists: Vec<String> = match r.col::<Option<String>>("lists")? {
                Some(l) => serde_json::from_str(&l).map_err(Error::damaged)?,
                None => Vec::new(),
            };
            Ok(Some(Account {
                id: r.col("id")?,
                name: r.col("name")?,
                admin: r.col("admin")?,
                lists,
                csrf,
            }))
        })
    }
}

enum Key<'a> {
    Id(i64),
    Text(&'a str),
    Bytes(&'a [u8]),
}
