//! A hook for the crash tests, which must prove that a process killed in the middle of a
//! commit loses and duplicates nothing. Killing "at some moment" rarely lands inside a
//! commit, so `LARCH_TEST_PAUSE_AT=POINT` makes the process stop at that point, say so on
//! standard error (`larch: paused at POINT`) and wait there for up to a minute, long enough
//! to be killed exactly there. The points:
//!
//! - `index-commit`: the search index's new segments are written, the commit that records
//!   them (and the queue position they reach) is not;
//! - `store-batch`: a batch of messages is written to the store, its transaction is not
//!   committed yet.
//!
//! Unset, which is always the case outside those tests, the hook does nothing.

use std::sync::OnceLock;
use std::time::Duration;

/// Stops here for a while when `LARCH_TEST_PAUSE_AT` names `point`. Blocks its thread on
/// purpose: the process is meant to die right here, not to do other work meanwhile.
pub fn pause_at(point: &str) {
    static AT: OnceLock<Option<String>> = OnceLock::new();
    let at = AT.get_or_init(|| std::env::var("LARCH_TEST_PAUSE_AT").ok());
    if at.as_deref() == Some(point) {
        eprintln!("larch: paused at {point} (LARCH_TEST_PAUSE_AT)");
        std::thread::sleep(Duration::from_secs(60));
    }
}
