//! The store, page, search and ingest tests run again with every archive in PostgreSQL.
//!
//! Its own module, named to sort first: libtest starts tests in name order, and this one
//! runs for minutes, mostly waiting on servers and deliveries; started first, it runs beside
//! the rest instead of after them.

use std::time::Instant;

use super::pg;

/// The integration tests of the store, pages, search and ingestion, on PostgreSQL.
/// `hostile` (hostile clients against the server: slow bodies, floods, odd requests) runs
/// on SQLite only, to keep the run short: what it tests is the server's, not the store's,
/// and the hostile mail it stores is `hostile_ingest`'s on both. `corpora` (every real
/// corpus parsed and imported) runs on SQLite only for the same reason: what it checks is
/// the parsing, and a real list's import into PostgreSQL and back is `migrate`'s.
const SUITE: &[&str] = &[
    "api::",
    "hostile_ingest::",
    "languages::",
    "live::",
    "old_links::",
    "ops::",
    "private::",
    "scale::",
    "search::",
    "search_robust::",
    "seeds::",
    "volumes::",
    "web::",
];

/// Runs [`SUITE`] again with every archive in PostgreSQL: this test binary, started once
/// more with `LARCH_TEST_BACKEND=postgres`, where the harness opens each test's store on a
/// fresh database of this binary's server and names it in the data directory's
/// `larch.toml`, so the `larch` commands and servers the tests start use it too. The tests
/// that only make sense on SQLite say so and skip there (README).
#[test]
fn the_suite_on_postgresql() {
    if crate::common::on_postgres() {
        return;
    }
    let Some(pg) = pg::server() else { return };
    let t = Instant::now();
    let out = std::process::Command::new(std::env::current_exe().expect("this test binary"))
        .args(SUITE)
        .args(["--test-threads", "2"])
        .env("LARCH_TEST_BACKEND", "postgres")
        .env("LARCH_TEST_POSTGRES", pg.admin_url())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run the tests again");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let summary = stdout
        .lines()
        .rfind(|l| l.starts_with("test result:"))
        .unwrap_or("no summary");
    let skipped: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("SKIPPED "))
        .collect();
    {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr().lock(),
            "\nthe suite on PostgreSQL, {:.0} s: {summary}\n{}",
            t.elapsed().as_secs_f64(),
            skipped.join("\n")
        );
    }
    assert!(
        out.status.success(),
        "the suite failed on PostgreSQL ({}):\n{stdout}\n{stderr}",
        out.status
    );
    let passed: usize = summary
        .split_once("ok. ")
        .and_then(|(_, rest)| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(passed >= 40, "the suite ran: {summary}");
}
