//! Full-text search over the archive, with tantivy. The index is derived data: the store
//! queues every change that matters (see `migrations/0002_search_queue.sql`), and
//! [`Search::catch_up`] applies the queue in order, committing the last applied sequence
//! number together with the documents. A crash therefore loses nothing and duplicates
//! nothing: the next catch-up resumes after the last commit, and each message's entry is
//! replaced (delete by id, then add), never appended twice.
//!
//! The index holds only what matching and ranking need; result pages read subjects,
//! senders and bodies (for snippets) from the store.

mod highlight;
mod index;
mod matching;
pub mod query;
mod schema;
mod tally;
pub mod tokenize;

use std::collections::HashMap;
use std::sync::Mutex;

use tantivy::query::Query;
use tantivy::{Index, IndexReader, Searcher};

pub use highlight::{Excerpt, Highlighter};
pub use index::{Indexer, IndexerStop, index_dir, spawn_indexer};
use query::Parsed;
use schema::Fields;
pub use schema::split_body;

/// Written with every commit; a different version means the index is rebuilt.
const PAYLOAD_PREFIX: &str = "larch-search-4 ";

/// The search index of a data directory.
pub struct Search {
    index: Index,
    reader: IndexReader,
    f: Fields,
    /// One catch-up at a time in this process (other processes: tantivy's writer lock).
    busy: tokio::sync::Mutex<()>,
    /// What the writer's queue may hold, in KiB of text ([`index::QUEUE_KIB`]).
    queue_budget: std::sync::Arc<tokio::sync::Semaphore>,
    /// `applied()` as last read, and when: result pages show the lag, and reading the
    /// index's meta file on every request would cost more than the search.
    applied_seen: Mutex<Option<(std::time::Instant, Option<i64>)>>,
    /// Message rows the index could not read (damaged), since the process started.
    skipped: std::sync::atomic::AtomicU64,
    /// The queue position applied so far by a round of [`Search::follow`] or a catch-up,
    /// negative between rounds: an import paces itself by it (`ImportOptions::indexed`).
    position: std::sync::Arc<std::sync::atomic::AtomicI64>,
    /// Catch-ups that failed in a row: the health check reports a stuck indexer.
    failures: std::sync::atomic::AtomicU32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    #[default]
    Relevance,
    Newest,
    Oldest,
}

/// What to search.
pub struct Request<'a> {
    pub parsed: &'a Parsed,
    /// `list:` names resolved to visible list ids (`None`: no such visible list).
    pub lists: &'a HashMap<String, Option<i64>>,
    /// Lists the reader may see; `None` when every list is visible.
    pub visible: Option<Vec<i64>>,
    /// A list page's own search.
    pub scope: Option<i64>,
    pub order: Order,
    pub offset: usize,
    pub limit: usize,
}

/// One page of results.
pub struct Found {
    pub total: usize,
    /// Message row ids, in result order.
    pub ids: Vec<i64>,
    /// Matches per list id and per year, over the whole result set.
    pub per_list: Vec<(i64, u64)>,
    pub per_year: Vec<(i32, u64)>,
    searcher: Searcher,
    query: Box<dyn Query>,
}
