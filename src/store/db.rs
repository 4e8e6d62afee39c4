//! The two databases behind the store: SQLite in the data directory (the default, with no
//! configuration) and PostgreSQL (several web nodes on one archive).
//!
//! The store's SQL is written once, in SQLite's dialect, and each method's body is compiled
//! once per backend by [`on_pool!`]/[`on_conn!`]. For PostgreSQL, [`Dialect::sql`] rewrites
//! the few constructs that differ ([`pg_sql`]); a statement that differs in more than
//! those says so with [`Dialect::pick`]. The SQLite path runs its text unchanged: the
//! single-machine archive pays nothing for the second backend.

use std::collections::HashMap;
use std::sync::{LazyLock, RwLock};

use sqlx::{PgPool, SqlitePool};

/// The pool of whichever database the store was opened on.
#[derive(Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Pg(PgPool),
}

/// An open write transaction on either database.
pub(crate) enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Pg(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Which SQL dialect a statement is sent in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Pg,
}

impl Dialect {
    /// A statement written in SQLite's dialect, as this database takes it.
    pub(crate) fn sql(self, sql: &'static str) -> &'static str {
        match self {
            Dialect::Sqlite => sql,
            Dialect::Pg => pg_static(sql),
        }
    }

    /// [`Dialect::sql`] for a statement built at run time (a list of placeholders, of ids).
    pub(crate) fn dynamic(self, sql: String) -> sqlx::AssertSqlSafe<String> {
        match self {
            Dialect::Sqlite => sqlx::AssertSqlSafe(sql),
            Dialect::Pg => sqlx::AssertSqlSafe(pg_sql(&sql)),
        }
    }

    /// One of two texts, for a statement that the rewriting does not carry over (the PostgreSQL
    /// text is sent as it is).
    pub(crate) fn pick(self, sqlite: &'static str, pg: &'static str) -> &'static str {
        match self {
            Dialect::Sqlite => sqlite,
            Dialect::Pg => pg,
        }
    }

    pub(crate) fn is_pg(self) -> bool {
        self == Dialect::Pg
    }
}

/// Runs `$body` against the store's pool: `$p` is the pool (`&SqlitePool` or `&PgPool`),
/// `$d` the [`Dialect`]. The body is compiled once for each backend, so it may use the
/// row type of either.
macro_rules! on_pool {
    ($pool:expr, |$p:ident, $d:ident| $body:expr) => {
        $crate::store::db::on_backend!($crate::store::db::Pool, $pool, |$p, $d| $body)
    };
}
pub(crate) use on_pool;

/// [`on_pool!`] for a write transaction: `$c` is the transaction (`&mut **$c` is its
/// connection, for `execute` and `fetch_*`).
macro_rules! on_tx {
    ($tx:expr, |$c:ident, $d:ident| $body:expr) => {
        $crate::store::db::on_backend!($crate::store::db::Tx, $tx, |$c, $d| $body)
    };
}
pub(crate) use on_tx;

/// The match behind [`on_pool!`] and [`on_tx!`], over either enum of the two backends.
macro_rules! on_backend {
    ($enum:path, $value:expr, |$v:ident, $d:ident| $body:expr) => {{
        use $enum as Backend;
        match $value {
            Backend::Sqlite($v) => {
                #[allow(unused_variables)]
                let $d = $crate::store::db::Dialect::Sqlite;
                $body
            }
            Backend::Pg($v) => {
                #[allow(unused_variables)]
                let $d = $crate::store::db::Dialect::Pg;
                $body
            }
        }
    }};
}
pub(crate) use on_backend;

/// Reading a column the same way from either database's rows: the value type must decode
/// from both, which every type the store reads does.
pub(crate) trait Cols {
    fn col<T>(&self, name: &str) -> sqlx::Result<T>
    where
        T: for<'r> sqlx::Decode<'r, sqlx::Sqlite>
            + sqlx::Type<sqlx::Sqlite>
            + for<'r> sqlx::Decode<'r, sqlx::Postgres>
            + sqlx::Type<sqlx::Postgres>;

    /// A text column of a listing, read leniently (see [`Lossy`]): a damaged value shows
    /// with replacement characters in the lists that name its message, rather than failing
    /// every page beside it. NULL reads as empty.
    fn lossy(&self, name: &str) -> sqlx::Result<String> {
        Ok(self
            .col::<Option<Lossy>>(name)?
            .map(|l| l.0)
            .unwrap_or_default())
    }
}

impl Cols for sqlx::sqlite::SqliteRow {
    fn col<T>(&self, name: &str) -> sqlx::Result<T>
    where
        T: for<'r> sqlx::Decode<'r, sqlx::Sqlite>
            + sqlx::Type<sqlx::Sqlite>
            + for<'r> sqlx::Decode<'r, sqlx::Postgres>
            + sqlx::Type<sqlx::Postgres>,
    {
        sqlx::Row::try_get(self, name)
    }
}

impl Cols for sqlx::postgres::PgRow {
    fn col<T>(&self, name: &str) -> sqlx::Result<T>
    where
        T: for<'r> sqlx::Decode<'r, sqlx::Sqlite>
            + sqlx::Type<sqlx::Sqlite>
            + for<'r> sqlx::Decode<'r, sqlx::Postgres>
            + sqlx::Type<sqlx::Postgres>,
    {
        sqlx::Row::try_get(self, name)
    }
}

/// A flag inside a row packed as JSON: SQLite writes its booleans as 0 and 1, PostgreSQL
/// as `true` and `false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Flag(pub bool);

impl<'de> serde::Deserialize<'de> for Flag {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Flag, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Either {
            Bool(bool),
            Int(i64),
        }
        Ok(Flag(match Either::deserialize(d)? {
            Either::Bool(b) => b,
            Either::Int(i) => i != 0,
        }))
    }
}

/// A text value read leniently, for values decoded whole (a JSON aggregate): on SQLite,
/// bytes that are not UTF-8 (damage to the file) read with replacement characters instead
/// of failing the read; PostgreSQL holds only valid text.
pub(crate) struct Lossy(pub String);

impl sqlx::Type<sqlx::Sqlite> for Lossy {
    fn type_info() -> sqlx::sqlite::SqliteTypeInfo {
        <String as sqlx::Type<sqlx::Sqlite>>::type_info()
    }

    fn compatible(ty: &sqlx::sqlite::SqliteTypeInfo) -> bool {
        <Vec<u8> as sqlx::Type<sqlx::Sqlite>>::compatible(ty)
            || <String as sqlx::Type<sqlx::Sqlite>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Sqlite> for Lossy {
    fn decode(v: sqlx::sqlite::SqliteValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        let bytes = <&[u8] as sqlx::Decode<sqlx::Sqlite>>::decode(v)?;
        Ok(Lossy(String::from_utf8_lossy(bytes).into_owned()))
    }
}

impl sqlx::Type<sqlx::Postgres> for Lossy {
    fn type_info() -> sqlx::postgres::PgTypeInfo {
        <String as sqlx::Type<sqlx::Postgres>>::type_info()
    }

    fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
        <String as sqlx::Type<sqlx::Postgres>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Postgres> for Lossy {
    fn decode(v: sqlx::postgres::PgValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        Ok(Lossy(<String as sqlx::Decode<sqlx::Postgres>>::decode(v)?))
    }
}

/// PostgreSQL texts of the store's static statements, rewritten once each. The statements
/// are the program's own literals, so the map holds a fixed number of them.
static PG_TEXTS: LazyLock<RwLock<HashMap<(usize, usize), &'static str>>> =
    LazyLock::new(Default::default);

fn pg_static(sql: &'static str) -> &'static str {
    // A literal's address names it: two literals with the same text at different
    // addresses are rewritten twice, to the same result.
    let key = (sql.as_ptr() as usize, sql.len());
    if let Some(t) = PG_TEXTS.read().ok().and_then(|m| m.get(&key).copied()) {
        return t;
    }
    let text: &'static str = Box::leak(pg_sql(sql).into_boxed_str());
    if let Ok(mut m) = PG_TEXTS.write() {
        m.insert(key, text);
    }
    text
}

/// Rewrites a statement from SQLite's dialect to PostgreSQL's:
/// - placeholders `?` and `?N` become `$n` and `$N`;
/// - `INDEXED BY index` (SQLite's planner hints) goes;
/// - `INSERT OR IGNORE INTO …` becomes `INSERT INTO … ON CONFLICT DO NOTHING`;
/// - `iif(a, b, c)` becomes `CASE WHEN a THEN b ELSE c END`;
/// - `IFNULL` becomes `COALESCE`, `char(n)` becomes `chr(n)`, `CAST(x AS BLOB)` becomes
///   `CAST(x AS BYTEA)`;
/// - `json_group_array(x)` becomes `json_agg(x)` as text (`[]` for no row), `json_array`
///   becomes `json_build_array`;
/// - `group_concat(x[, sep])` becomes `string_agg(CAST(x AS TEXT), sep)` (`,` by default);
/// - an `ORDER BY` term over a column that may be NULL gets SQLite's place for NULL:
///   `NULLS FIRST` ascending, `NULLS LAST` descending (PostgreSQL's defaults are the
///   reverse). The PostgreSQL indexes on those columns are declared `NULLS FIRST`, so they
///   still give these orders without a sort; terms over keys keep the default, which
///   primary keys are in (see [`may_be_null`]).
///
/// Text inside quotes is left alone. Anything else must already be common to both: the
/// store's SQL sticks to what both databases read the same way.
pub(crate) fn pg_sql(sql: &str) -> String {
    rewrite(sql, &mut 0)
}

/// [`pg_sql`] from the `n`th placeholder on (calls' arguments are rewritten on their own,
/// numbering on).
fn rewrite(sql: &str, n: &mut usize) -> String {
    let mut out = String::with_capacity(sql.len() + 32);
    let b = sql.as_bytes();
    let mut i = 0;
    let mut ignore = false;
    let mut depth = 0usize;
    // The depth of the ORDER BY whose terms are being copied, and where the current term
    // starts in `out`.
    let mut order: Option<(usize, usize)> = None;
    while i < b.len() {
        let c = b[i];
        if c == b'\'' || c == b'"' {
            let end = sql[i + 1..]
                .find(c as char)
                .map_or(b.len(), |e| i + 1 + e + 1);
            out.push_str(&sql[i..end]);
            i = end;
            continue;
        }
        if c == b'?' {
            let digits = b[i + 1..].iter().take_while(|d| d.is_ascii_digit()).count();
            out.push('$');
            if digits > 0 {
                out.push_str(&sql[i + 1..i + 1 + digits]);
            } else {
                *n += 1;
                out.push_str(&n.to_string());
            }
            i += 1 + digits;
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            let len = b[i..]
                .iter()
                .take_while(|d| d.is_ascii_alphanumeric() || **d == b'_')
                .count();
            let word = &sql[i..i + len];
            let after = i + len;
            if word.eq_ignore_ascii_case("INDEXED")
                && next_word(sql, after).0.eq_ignore_ascii_case("BY")
            {
                let (_, by_end) = next_word(sql, after);
                let (_, index_end) = next_word(sql, by_end);
                i = index_end;
                continue;
            }
            if word.eq_ignore_ascii_case("INSERT") {
                let (w1, e1) = next_word(sql, after);
                let (w2, e2) = next_word(sql, e1);
                if w1.eq_ignore_ascii_case("OR") && w2.eq_ignore_ascii_case("IGNORE") {
                    out.push_str("INSERT");
                    ignore = true;
                    i = e2;
                    continue;
                }
            }
            if let Some((d, start)) = order
                && d == depth
                && ["LIMIT", "OFFSET", "UNION"]
                    .iter()
                    .any(|w| word.eq_ignore_ascii_case(w))
            {
                end_term(&mut out, start);
                order = None;
            }
            if word.eq_ignore_ascii_case("ORDER")
                && next_word(sql, after).0.eq_ignore_ascii_case("BY")
            {
                let (_, by_end) = next_word(sql, after);
                out.push_str(&sql[i..by_end]);
                order = Some((depth, out.len()));
                i = by_end;
                continue;
            }
            if ignore && word.eq_ignore_ascii_case("RETURNING") {
                out.push_str("ON CONFLICT DO NOTHING ");
                ignore = false;
            }
            let call = sql[after..].trim_start().starts_with('(');
            if call {
                let open = after + (sql[after..].len() - sql[after..].trim_start().len());
                const REWRITTEN: [&str; 7] = [
                    "iif",
                    "ifnull",
                    "char",
                    "cast",
                    "json_group_array",
                    "json_array",
                    "group_concat",
                ];
                let lower = word.to_ascii_lowercase();
                if REWRITTEN.contains(&lower.as_str())
                    && let Some((args, close)) = call_args(sql, open)
                    && (lower != "cast" || args.len() == 1 && args[0].ends_with(" AS BLOB"))
                {
                    let before = *n;
                    let conv: Vec<String> = args.iter().map(|a| rewrite(a, n)).collect();
                    let done = match (lower.as_str(), conv.as_slice()) {
                        ("iif", [a, t, f]) => Some(format!("CASE WHEN {a} THEN {t} ELSE {f} END")),
                        ("ifnull", [a, b]) => Some(format!("COALESCE({a}, {b})")),
                        ("char", [a]) => Some(format!("chr({a})")),
                        ("cast", [a]) if a.ends_with(" AS BLOB") => Some(format!(
                            "CAST({} AS BYTEA)",
                            &a[..a.len() - " AS BLOB".len()]
                        )),
                        ("json_group_array", [a]) => {
                            Some(format!("COALESCE(CAST(json_agg({a}) AS TEXT), '[]')"))
                        }
                        ("json_array", _) => Some(format!("json_build_array({})", conv.join(", "))),
                        ("group_concat", [a]) => {
                            Some(format!("string_agg(CAST({a} AS TEXT), ',')"))
                        }
                        ("group_concat", [a, s]) => {
                            Some(format!("string_agg(CAST({a} AS TEXT), {s})"))
                        }
                        _ => None,
                    };
                    if let Some(d) = done {
                        out.push_str(&d);
                        i = close + 1;
                        continue;
                    }
                    // Not rewritten after all: its text is read again below.
                    *n = before;
                }
            }
            out.push_str(word);
            i = after;
            continue;
        }
        match c {
            b'(' => depth += 1,
            b')' => {
                if let Some((d, start)) = order
                    && d == depth
                {
                    end_term(&mut out, start);
                    order = None;
                }
                depth = depth.saturating_sub(1);
            }
            b',' | b';' => {
                if let Some((d, start)) = order
                    && d == depth
                {
                    end_term(&mut out, start);
                    out.push(c as char);
                    i += 1;
                    order = (c == b',').then_some((depth, out.len()));
                    continue;
                }
            }
            _ => {}
        }
        // A character outside quotes and words (an operator, white space, a non-ASCII
        // letter) is copied whole.
        let len = sql[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&sql[i..i + len]);
        i += len;
    }
    if let Some((_, start)) = order {
        end_term(&mut out, start);
    }
    if ignore {
        out.push_str(" ON CONFLICT DO NOTHING");
    }
    out
}

/// Whether an `ORDER BY` term may be NULL: it names a column the schema lets be NULL (a
/// message's date and month, a node's parent and arrival number, a thread's dates).
fn may_be_null(term: &str) -> bool {
    const NULLABLE: [&str; 5] = ["date", "month", "parent", "first_date", "last_date"];
    term.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .any(|w| {
            let column = w.rsplit('.').next().unwrap_or(w);
            NULLABLE.contains(&column) || w == "n.seq"
        })
}

/// Ends an `ORDER BY` term (from `start` in `out`) with SQLite's place for NULL when it may
/// be NULL (see [`pg_sql`]).
fn end_term(out: &mut String, start: usize) {
    if !may_be_null(out.get(start..).unwrap_or("")) {
        return;
    }
    let kept = out.trim_end().len();
    let tail = out.split_off(kept);
    let last = out
        .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next()
        .unwrap_or("");
    let prev = out[..out.len() - last.len()].trim_end();
    let before = prev
        .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next()
        .unwrap_or("");
    if !before.eq_ignore_ascii_case("NULLS") {
        if last.eq_ignore_ascii_case("DESC") {
            out.push_str(" NULLS LAST");
        } else {
            out.push_str(" NULLS FIRST");
        }
    }
    out.push_str(&tail);
}

/// The next word after `from` (skipping white space), and where it ends.
fn next_word(sql: &str, from: usize) -> (&str, usize) {
    let rest = &sql[from..];
    let start = from + (rest.len() - rest.trim_start().len());
    let len = sql[start..]
        .bytes()
        .take_while(|d| d.is_ascii_alphanumeric() || *d == b'_')
        .count();
    (&sql[start..start + len], start + len)
}

/// The top-level arguments of the call whose `(` is at `open`, and the index of its `)`.
fn call_args(sql: &str, open: usize) -> Option<(Vec<&str>, usize)> {
    let b = sql.as_bytes();
    let mut depth = 0usize;
    let mut start = open + 1;
    let mut args = Vec::new();
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'\'' | b'"' => {
                let q = b[i];
                i += 1;
                while i < b.len() && b[i] != q {
                    i += 1;
                }
            }
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    let last = sql[start..i].trim();
                    if !last.is_empty() || !args.is_empty() {
                        args.push(last);
                    }
                    return Some((args, i));
                }
            }
            // An aggregate's ORDER BY lists its terms with commas: they are its argument's.
            b',' if depth == 1 && !sql[start..i].to_ascii_uppercase().contains("ORDER BY") => {
                args.push(sql[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    /// The rewriting, white space aside (a dropped hint leaves its spaces).
    fn pg_sql(sql: &str) -> String {
        super::pg_sql(sql)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn statements_carry_over_to_postgresql() {
        assert_eq!(
            pg_sql("SELECT a FROM t INDEXED BY t_a WHERE a = ? AND b = ?"),
            "SELECT a FROM t WHERE a = $1 AND b = $2"
        );
        assert_eq!(
            pg_sql("SELECT a FROM t ORDER BY n.date, n.seq DESC, lower(c), seq LIMIT ?"),
            "SELECT a FROM t ORDER BY n.date NULLS FIRST, n.seq DESC NULLS LAST, lower(c), seq LIMIT $1"
        );
        assert_eq!(
            pg_sql(
                "SELECT * FROM (SELECT a FROM t ORDER BY date DESC LIMIT 1) AS x UNION ALL SELECT * FROM (SELECT a FROM t ORDER BY m.date) AS y ORDER BY mkey"
            ),
            "SELECT * FROM (SELECT a FROM t ORDER BY date DESC NULLS LAST LIMIT 1) AS x UNION ALL SELECT * FROM (SELECT a FROM t ORDER BY m.date NULLS FIRST) AS y ORDER BY mkey"
        );
        assert_eq!(
            pg_sql("SELECT ?2, ?1 WHERE x = '?'"),
            "SELECT $2, $1 WHERE x = '?'"
        );
        assert_eq!(
            pg_sql("INSERT OR IGNORE INTO t (a) VALUES (?)"),
            "INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING"
        );
        assert_eq!(
            pg_sql("INSERT OR IGNORE INTO t (a) VALUES (?) RETURNING id"),
            "INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING RETURNING id"
        );
        assert_eq!(
            pg_sql("SELECT iif(m.removed, '', m.subject) AS s, IFNULL(n.seq, -1)"),
            "SELECT CASE WHEN m.removed THEN '' ELSE m.subject END AS s, COALESCE(n.seq, -1)"
        );
        assert_eq!(
            pg_sql("SELECT json_group_array(json_array(a, iif(b, 1, 0)) ORDER BY a) FROM t"),
            "SELECT COALESCE(CAST(json_agg(json_build_array(a, CASE WHEN b THEN 1 ELSE 0 END) ORDER BY a) AS TEXT), '[]') FROM t"
        );
        assert_eq!(
            pg_sql("SELECT CAST(? AS INTEGER), CAST(? AS BLOB), ?"),
            "SELECT CAST($1 AS INTEGER), CAST($2 AS BYTEA), $3"
        );
        assert_eq!(
            pg_sql("SELECT ?, iif(? = 0, ?, 'é'), ?"),
            "SELECT $1, CASE WHEN $2 = 0 THEN $3 ELSE 'é' END, $4"
        );
        assert_eq!(
            pg_sql("SELECT json_group_array(json_array(a, b) ORDER BY a, m.date DESC) FROM t"),
            "SELECT COALESCE(CAST(json_agg(json_build_array(a, b) ORDER BY a, m.date DESC NULLS LAST) AS TEXT), '[]') FROM t"
        );
        assert_eq!(
            pg_sql("SELECT group_concat(l.name || char(31) || l.id, char(30)), group_concat(x)"),
            "SELECT string_agg(CAST(l.name || chr(31) || l.id AS TEXT), chr(30)), string_agg(CAST(x AS TEXT), ',')"
        );
    }
}
