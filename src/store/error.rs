//! What can go wrong in the store, in the archive's terms rather than the database
//! driver's: callers decide what to do (retry later, skip a damaged row, answer 500)
//! without knowing which database sits behind the store.
//!
//! Both databases fail with these variants: [`Error::from`] reads SQLite's and
//! PostgreSQL's codes (locks held too long and serialization failures are `Busy`,
//! undecodable values `Damaged`). The driver error is kept as a source for the logs,
//! never matched on outside this module.

use std::path::Path;

/// A failed store operation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database did not answer in time: every pooled connection stayed in use, or
    /// another writer held the file past the busy timeout. Trying again later can succeed.
    #[error("the archive database is busy: {0}")]
    Busy(#[source] sqlx::Error),
    /// A stored row cannot be read back (bytes that are not UTF-8 after damage to the
    /// file, a value of the wrong type, a stored message that does not inflate): an error
    /// for that row, not for the archive.
    #[error("a stored row cannot be read: {0}")]
    Damaged(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The data directory or the database file cannot be read or written.
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// A name the caller gave (a user, a list) names nothing; nothing was changed.
    #[error("{0}")]
    Unknown(String),
    /// A value the database cannot hold was asked for: PostgreSQL refuses a NUL character in
    /// text, and stores none (writes turn it into U+FFFD), so a name or key holding one,
    /// from a request's address say, matches nothing. The request is at fault, not the
    /// archive.
    #[error("the archive cannot hold this text: {0}")]
    Unholdable(#[source] sqlx::Error),
    /// Any other failure of the database.
    #[error("the archive database failed: {0}")]
    Database(#[source] sqlx::Error),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// A stored value that does not decode, for the store's own checks.
    pub(super) fn damaged(e: impl std::error::Error + Send + Sync + 'static) -> Error {
        Error::Damaged(Box::new(e))
    }

    /// A file system failure at `path`.
    pub(super) fn io(what: &str, path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            what: format!("{what} {}", path.display()),
            source,
        }
    }
}

impl Error {
    /// Whether the failure came from the database connection or server rather than from a
    /// row, a name or the file system: what makes a read replica worth setting aside.
    pub(super) fn is_database(&self) -> bool {
        matches!(self, Error::Busy(_) | Error::Database(_) | Error::Io { .. })
    }

    /// A serialization failure, which a read-only query meets on a hot standby only when
    /// replaying the primary's changes needed what it read ("canceling statement due to
    /// conflict with recovery"): the same query on the primary succeeds, and the standby
    /// itself is fine. The code rather than the message, which the server may translate.
    pub(super) fn is_recovery_conflict(&self) -> bool {
        let (Error::Busy(sqlx::Error::Database(d)) | Error::Database(sqlx::Error::Database(d))) =
            self
        else {
            return false;
        };
        d.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
            .is_some()
            && d.code().is_some_and(|c| c == "40001")
    }
}

/// SQLite's primary result codes for a database or table held by another connection.
const SQLITE_BUSY: i32 = 5;
const SQLITE_LOCKED: i32 = 6;

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Error {
        match e {
            sqlx::Error::PoolTimedOut => Error::Busy(e),
            sqlx::Error::Database(ref d)
                if d.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some()
                    && d.code()
                        .and_then(|c| c.parse::<i32>().ok())
                        .is_some_and(|c| matches!(c & 0xff, SQLITE_BUSY | SQLITE_LOCKED)) =>
            {
                Error::Busy(e)
            }
            // PostgreSQL: a serialization failure, a deadlock, a lock not available, too
            // many connections, the server shutting down or starting, a connection lost,
            // a database closed to connections for a while.
            sqlx::Error::Database(ref d)
                if d.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                    .is_some()
                    && d.code().is_some_and(|c| {
                        matches!(&*c, "40001" | "40P01" | "55P03" | "53300")
                            || c.starts_with("57P")
                            || c.starts_with("08")
                            || (&*c == "55000" && d.message().contains("accepting connections"))
                    }) =>
            {
                Error::Busy(e)
            }
            // The database server unreachable or gone (SQLite's file errors are not of
            // these kinds).
            sqlx::Error::Io(ref io)
                if matches!(
                    io.kind(),
                    std::io::ErrorKind::ConnectionRefused
                        | std::io::ErrorKind::ConnectionReset
                        | std::io::ErrorKind::ConnectionAborted
                        | std::io::ErrorKind::NotConnected
                        | std::io::ErrorKind::BrokenPipe
                        | std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::HostUnreachable
                        | std::io::ErrorKind::NetworkUnreachable
                ) =>
            {
                Error::Busy(e)
            }
            sqlx::Error::PoolClosed => Error::Busy(e),
            sqlx::Error::Database(ref d)
                if d.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                    .is_some()
                    && d.code().is_some_and(|c| &*c == "22021") =>
            {
                Error::Unholdable(e)
            }
            sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => {
                Error::Damaged(Box::new(e))
            }
            sqlx::Error::Io(source) => Error::Io {
                what: "cannot read or write the archive database".into(),
                source,
            },
            e => Error::Database(e),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for Error {
    fn from(e: sqlx::migrate::MigrateError) -> Error {
        Error::Database(sqlx::Error::Migrate(Box::new(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_timeouts_are_busy_and_decoding_failures_damage() {
        assert!(matches!(
            Error::from(sqlx::Error::PoolTimedOut),
            Error::Busy(_)
        ));
        let bad = String::from_utf8(vec![0xff]).unwrap_err();
        assert!(matches!(
            Error::from(sqlx::Error::Decode(Box::new(bad))),
            Error::Damaged(_)
        ));
        assert!(matches!(
            Error::from(sqlx::Error::RowNotFound),
            Error::Database(_)
        ));
    }
}
