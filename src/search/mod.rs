//! Full-text search over the archive, with tantivy. The index is derived data: the store
//! queues every change that matters (see `migrations/0002_search_queue.sql`), and
//! [`Search::catch_up`] applies the queue in order, committing the last applied sequence
//! number together with the documents. A crash therefore loses nothing and duplicates
//! nothing: the next catch-up resumes after the last commit, and each message's entry is
//! replaced (delete by id, then add), never appended twice.
//!
//! The index holds only what matching and ranking need; result pages read subjects,
//! senders and bodies (for snippets) from the store.

pub mod query;
mod tally;
pub mod tokenize;

use std::collections::HashMap;
use std::ops::{Bound, Range};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use tantivy::directory::MmapDirectory;
use tantivy::directory::error::LockError;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, EmptyQuery, Occur, PhraseQuery, Query, RangeQuery,
    TermQuery, TermSetQuery,
};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::snippet::{SnippetGenerator, collapse_overlapped_ranges};
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, Order as TOrder, ReloadPolicy, Searcher,
    TantivyDocument, TantivyError, Term,
};

use crate::store::{IndexDoc, Store};
use query::{Expr, Leaf, Parsed, Scope};

/// Written with every commit; a different version means the index is rebuilt.
const PAYLOAD_PREFIX: &str = "larch-search-3 ";
/// Bodies are indexed up to this size (a 50 MB line is not prose).
const MAX_BODY_INDEXED: usize = 1 << 20;
const WRITER_HEAP_PER_THREAD: usize = 64 << 20;
/// Commit at least this often during long catch-ups so a crash loses little work.
const COMMIT_EVERY: usize = 100_000;

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    msgid: Field,
    subject: Field,
    subject_x: Field,
    body: Field,
    body_x: Field,
    quoted: Field,
    from: Field,
    attach: Field,
    has: Field,
    list: Field,
    date: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    // Stemmed fields answer single words only (a phrase, or a word that splits into
    // several tokens, goes to the exact fields), so they need no positions.
    let text = |analyzer: &str, positions: bool| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analyzer)
                .set_index_option(if positions {
                    IndexRecordOption::WithFreqsAndPositions
                } else {
                    IndexRecordOption::WithFreqs
                }),
        )
    };
    let f = Fields {
        id: b.add_u64_field("id", INDEXED | FAST),
        msgid: b.add_text_field("msgid", STRING),
        subject: b.add_text_field("subject", text(tokenize::STEMMED, false)),
        subject_x: b.add_text_field("subject_x", text(tokenize::EXACT, true)),
        body: b.add_text_field("body", text(tokenize::STEMMED, false)),
        body_x: b.add_text_field("body_x", text(tokenize::EXACT, true)),
        quoted: b.add_text_field("quoted", text(tokenize::EXACT, true)),
        from: b.add_text_field("from", text(tokenize::EXACT, true)),
        attach: b.add_text_field("attach", text(tokenize::EXACT, true)),
        has: b.add_text_field("has", STRING),
        list: b.add_u64_field("list", INDEXED | FAST),
        date: b.add_i64_field("date", INDEXED | FAST),
    };
    (b.build(), f)
}

/// The search index of a data directory.
pub struct Search {
    index: Index,
    reader: IndexReader,
    f: Fields,
    /// One catch-up at a time in this process (other processes: tantivy's writer lock).
    busy: tokio::sync::Mutex<()>,
    /// `applied()` as last read, and when: result pages show the lag, and reading the
    /// index's meta file on every request would cost more than the search.
    applied_seen: Mutex<Option<(std::time::Instant, Option<i64>)>>,
    /// Message rows the index could not read (damaged), since the process started.
    skipped: std::sync::atomic::AtomicU64,
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

impl Search {
    /// Opens the index in `dir`, creating it when missing. An index that cannot be opened
    /// (damaged, or written by another version) is moved aside and rebuilt: it is derived.
    pub fn open(dir: &Path) -> anyhow::Result<Search> {
        let (schema, f) = schema();
        let index = match open_index(dir, &schema) {
            Ok(i) => i,
            Err(e) => {
                let aside = dir.with_extension(format!("broken-{}", std::process::id()));
                tracing::warn!(
                    "search index at {} cannot be used ({e:#}); moving it to {} and rebuilding",
                    dir.display(),
                    aside.display()
                );
                std::fs::rename(dir, &aside)
                    .with_context(|| format!("cannot move {} aside", dir.display()))?;
                open_index(dir, &schema)?
            }
        };
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        Ok(Search {
            index,
            reader,
            f,
            busy: Default::default(),
            applied_seen: Mutex::new(None),
            skipped: Default::default(),
            failures: Default::default(),
        })
    }

    /// The index beside a store.
    pub fn for_store(store: &Store) -> anyhow::Result<Search> {
        Search::open(&store.dir().join("search"))
    }

    /// The last store change applied, or `None` for an index never built.
    pub fn applied(&self) -> Option<i64> {
        let metas = self.index.load_metas().ok()?;
        metas
            .payload?
            .strip_prefix(PAYLOAD_PREFIX)?
            .trim()
            .parse()
            .ok()
    }

    /// How many queued store changes the index has not applied yet.
    pub async fn lag(&self, store: &Store) -> anyhow::Result<i64> {
        let head = store.search_queue_head().await?;
        let applied = {
            let mut seen = self
                .applied_seen
                .lock()
                .map_err(|_| anyhow::anyhow!("poisoned"))?;
            match *seen {
                Some((at, a)) if at.elapsed() < std::time::Duration::from_millis(250) => a,
                _ => {
                    let a = self.applied();
                    *seen = Some((std::time::Instant::now(), a));
                    a
                }
            }
        };
        Ok(match applied {
            Some(a) => (head - a).max(0),
            None => head.max(1),
        })
    }

    fn note_skipped(&self, n: u64) {
        self.skipped
            .fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    }

    /// Damaged message rows left out of the index since the process started.
    pub fn skipped(&self) -> u64 {
        self.skipped.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Catch-ups that failed in a row (0 when the last one worked).
    pub fn failures(&self) -> u32 {
        self.failures.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn doc_count(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    fn writer(&self, threads: usize) -> anyhow::Result<Option<IndexWriter>> {
        match self
            .index
            .writer_with_num_threads(threads, WRITER_HEAP_PER_THREAD * threads)
        {
            Ok(w) => Ok(Some(w)),
            Err(TantivyError::LockFailure(LockError::LockBusy, _)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Applies the store's pending changes. Returns how many entries were written, or
    /// `None` when another process holds the index (it will do the work).
    pub async fn catch_up(&self, store: &Store) -> anyhow::Result<Option<usize>> {
        let _g = self.busy.lock().await;
        let head = store.search_queue_head().await?;
        if self.applied().is_some_and(|a| a >= head) {
            return Ok(Some(0));
        }
        let Some(writer) = self.writer(1)? else {
            return Ok(None);
        };
        // Re-read under the writer lock: another process may have just committed.
        let Some(from) = self.applied() else {
            return self.rebuild_with(store, writer, &|_, _| {}).await.map(Some);
        };
        let writer = Arc::new(Mutex::new(writer));
        let mut pos = from;
        let mut written = 0;
        let mut since_commit = 0;
        loop {
            let batch = store.search_queue_after(pos, 10_000).await?;
            let Some(&(last, _)) = batch.last() else {
                break;
            };
            let mut ids: Vec<i64> = batch.iter().map(|b| b.1).collect();
            ids.sort_unstable();
            ids.dedup();
            let mut skipped = 0;
            let docs = store.index_docs(&ids, &mut skipped).await?;
            self.note_skipped(skipped);
            written += docs.len();
            since_commit += docs.len();
            self.apply(&writer, ids, docs).await?;
            pos = last;
            if since_commit >= COMMIT_EVERY {
                self.commit(&writer, pos).await?;
                since_commit = 0;
            }
        }
        self.commit(&writer, pos).await?;
        finish(writer).await?;
        store.search_queue_prune(pos).await?;
        Ok(Some(written))
    }

    /// Rebuilds the index from the store. `progress(done, total)` is called as it goes.
    /// Waits (up to a minute) while another process holds the index.
    pub async fn rebuild(
        &self,
        store: &Store,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> anyhow::Result<usize> {
        let _g = self.busy.lock().await;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        // A running server holds the index only while it applies new mail: wait for it.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let writer = loop {
            if let Some(w) = self.writer(threads)? {
                break w;
            }
            if std::time::Instant::now() > deadline {
                anyhow::bail!(
                    "the search index stayed in use by another larch process for a minute; try again later"
                );
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        };
        self.rebuild_with(store, writer, progress).await
    }

    async fn rebuild_with(
        &self,
        store: &Store,
        writer: IndexWriter,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> anyhow::Result<usize> {
        // Changes queued after this point are applied by the next catch-up.
        let head = store.search_queue_head().await?;
        let total = store.message_count().await?.max(0) as u64;
        writer.delete_all_documents()?;
        let writer = Arc::new(Mutex::new(writer));
        let mut after = 0;
        let mut written = 0;
        // Read the next page from the store while the previous one is being indexed.
        let mut pending: Option<tokio::task::JoinHandle<anyhow::Result<()>>> = None;
        loop {
            let mut skipped = 0;
            let (docs, last) = store.index_docs_page(after, 2_000, &mut skipped).await?;
            self.note_skipped(skipped);
            if let Some(h) = pending.take() {
                h.await??;
            }
            let Some(last) = last else { break };
            after = last;
            written += docs.len();
            pending = Some(self.spawn_apply(&writer, Vec::new(), docs));
            progress(written as u64, total);
        }
        self.commit(&writer, head).await?;
        finish(writer).await?;
        store.search_queue_prune(head).await?;
        Ok(written)
    }

    async fn apply(
        &self,
        writer: &Arc<Mutex<IndexWriter>>,
        delete: Vec<i64>,
        docs: Vec<IndexDoc>,
    ) -> anyhow::Result<()> {
        self.spawn_apply(writer, delete, docs).await?
    }

    /// Deletes the entries of `delete`, then adds `docs`, on a blocking thread.
    fn spawn_apply(
        &self,
        writer: &Arc<Mutex<IndexWriter>>,
        delete: Vec<i64>,
        docs: Vec<IndexDoc>,
    ) -> tokio::task::JoinHandle<anyhow::Result<()>> {
        let w = writer.clone();
        let f = self.f;
        tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            let w = w
                .lock()
                .map_err(|_| anyhow::anyhow!("index writer poisoned"))?;
            for id in delete {
                w.delete_term(Term::from_field_u64(f.id, id as u64));
            }
            for d in &docs {
                w.add_document(to_doc(&f, d))?;
            }
            Ok(())
        })
    }

    async fn commit(&self, writer: &Arc<Mutex<IndexWriter>>, seq: i64) -> anyhow::Result<()> {
        let w = writer.clone();
        tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            let mut w = w
                .lock()
                .map_err(|_| anyhow::anyhow!("index writer poisoned"))?;
            let mut c = w.prepare_commit()?;
            c.set_payload(&format!("{PAYLOAD_PREFIX}{seq}"));
            crate::pause::pause_at("index-commit");
            c.commit()?;
            Ok(())
        })
        .await??;
        // Searchable now, not after merges finish or the file watcher notices.
        self.reader.reload()?;
        Ok(())
    }

    /// Runs a query. CPU-bound: call from a blocking thread.
    pub fn run(&self, req: &Request) -> anyhow::Result<Found> {
        let f = self.f;
        let searcher = self.reader.searcher();
        let user: Box<dyn Query> = if req.parsed.is_empty() {
            Box::new(AllQuery)
        } else {
            self.build(&req.parsed.expr, req.lists)
                .unwrap_or_else(|| Box::new(EmptyQuery))
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, user)];
        if let Some(v) = &req.visible {
            clauses.push((
                Occur::Must,
                Box::new(TermSetQuery::new(
                    v.iter().map(|&id| Term::from_field_u64(f.list, id as u64)),
                )),
            ));
        }
        if let Some(l) = req.scope {
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_u64(f.list, l as u64),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        let query: Box<dyn Query> = Box::new(BooleanQuery::new(clauses));
        let limit = req.limit.clamp(1, 10_000);
        let top = tantivy::collector::TopDocs::with_limit(limit).and_offset(req.offset);
        let (addrs, counts): (Vec<DocAddress>, tally::Counts) = match req.order {
            Order::Relevance => {
                let (t, c) = searcher.search(&query, &(top.order_by_score(), tally::Tally))?;
                (t.into_iter().map(|(_, a)| a).collect(), c)
            }
            Order::Newest | Order::Oldest => {
                let o = if req.order == Order::Newest {
                    TOrder::Desc
                } else {
                    TOrder::Asc
                };
                let (t, c) = searcher.search(
                    &query,
                    &(top.order_by_fast_field::<i64>("date", o), tally::Tally),
                )?;
                (t.into_iter().map(|(_, a)| a).collect(), c)
            }
        };
        let mut ids = Vec::with_capacity(addrs.len());
        let mut columns: HashMap<u32, tantivy::columnar::Column<u64>> = HashMap::new();
        for a in addrs {
            if let std::collections::hash_map::Entry::Vacant(e) = columns.entry(a.segment_ord) {
                e.insert(
                    searcher
                        .segment_reader(a.segment_ord)
                        .fast_fields()
                        .u64("id")?,
                );
            }
            if let Some(id) = columns.get(&a.segment_ord).and_then(|c| c.first(a.doc_id)) {
                ids.push(id as i64);
            }
        }
        let total = counts.total;
        let per_list = counts.lists.iter().map(|&(l, n)| (l as i64, n)).collect();
        let per_year = counts.years;
        Ok(Found {
            total,
            ids,
            per_list,
            per_year,
            searcher,
            query,
        })
    }

    fn build(&self, e: &Expr, lists: &HashMap<String, Option<i64>>) -> Option<Box<dyn Query>> {
        match e {
            Expr::Leaf(l) => self.leaf(l, lists),
            Expr::And(v) => {
                let mut clauses = Vec::new();
                let mut positive = false;
                for c in v {
                    if let Expr::Not(inner) = c {
                        if let Some(q) = self.build(inner, lists) {
                            clauses.push((Occur::MustNot, q));
                        }
                    } else if let Some(q) = self.build(c, lists) {
                        clauses.push((Occur::Must, q));
                        positive = true;
                    }
                }
                if clauses.is_empty() {
                    return None;
                }
                if !positive {
                    clauses.push((Occur::Must, Box::new(AllQuery)));
                }
                Some(Box::new(BooleanQuery::new(clauses)))
            }
            Expr::Or(v) => {
                let clauses: Vec<(Occur, Box<dyn Query>)> = v
                    .iter()
                    .filter_map(|c| self.build(c, lists))
                    .map(|q| (Occur::Should, q))
                    .collect();
                (!clauses.is_empty())
                    .then(|| Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>)
            }
            Expr::Not(_) => self.build(&Expr::And(vec![e.clone()]), lists),
        }
    }

    fn leaf(&self, l: &Leaf, lists: &HashMap<String, Option<i64>>) -> Option<Box<dyn Query>> {
        let f = self.f;
        let term_q =
            |t: Term| Box::new(TermQuery::new(t, IndexRecordOption::Basic)) as Box<dyn Query>;
        Some(match l {
            Leaf::Text {
                scope,
                text,
                phrase,
            } => return self.text(*scope, text, *phrase),
            Leaf::List(name) => match lists.get(name).copied().flatten() {
                Some(id) => term_q(Term::from_field_u64(f.list, id as u64)),
                None => Box::new(EmptyQuery),
            },
            Leaf::MsgId(id) => term_q(Term::from_field_text(f.msgid, id)),
            Leaf::HasAttachment => term_q(Term::from_field_text(f.has, "attachment")),
            Leaf::Date { lo, hi } => {
                let b = |v: &Option<i64>, incl: bool| match v {
                    Some(v) if incl => Bound::Included(Term::from_field_i64(f.date, *v)),
                    Some(v) => Bound::Excluded(Term::from_field_i64(f.date, *v)),
                    None => Bound::Unbounded,
                };
                if let (Some(a), Some(b)) = (lo, hi)
                    && a >= b
                {
                    return Some(Box::new(EmptyQuery));
                }
                Box::new(RangeQuery::new(b(lo, true), b(hi, false)))
            }
        })
    }

    /// Words or a phrase in the fields a scope covers. Unquoted words are stemmed
    /// ("patches" finds "patch") in subjects and the author's own text; phrases match the
    /// exact words. Quoted text is indexed once, unstemmed (it repeats the parent, which is
    /// indexed with stems), and weighs least; subjects weigh most.
    fn text(&self, scope: Scope, text: &str, phrase: bool) -> Option<Box<dyn Query>> {
        let f = self.f;
        let stem = tokenize::terms(&mut tokenize::stemmed(), text);
        let exact = tokenize::terms(&mut tokenize::exact(), text);
        if exact.is_empty() {
            return None;
        }
        let (s, x) = (&stem, &exact);
        let phrase = phrase || stem.len() > 1;
        let parts: Vec<(Field, &Vec<String>, f32)> = match (scope, phrase) {
            (Scope::Any, false) => vec![
                (f.subject, s, 3.0),
                (f.body, s, 1.0),
                (f.quoted, x, 0.3),
                (f.from, x, 1.0),
                (f.attach, x, 1.0),
            ],
            (Scope::Any, true) => vec![
                (f.subject_x, x, 3.0),
                (f.body_x, x, 1.0),
                (f.quoted, x, 0.3),
                (f.from, x, 1.0),
                (f.attach, x, 1.0),
            ],
            (Scope::From, _) => vec![(f.from, x, 1.0)],
            (Scope::Subject, false) => vec![(f.subject, s, 1.0)],
            (Scope::Subject, true) => vec![(f.subject_x, x, 1.0)],
            (Scope::Body, false) => vec![(f.body, s, 1.0), (f.quoted, x, 0.3)],
            (Scope::Body, true) => vec![(f.body_x, x, 1.0), (f.quoted, x, 0.3)],
        };
        let clauses: Vec<(Occur, Box<dyn Query>)> = parts
            .into_iter()
            .filter(|(_, toks, _)| !toks.is_empty())
            .map(|(field, toks, boost)| {
                let q: Box<dyn Query> = if toks.len() == 1 {
                    Box::new(TermQuery::new(
                        Term::from_field_text(field, &toks[0]),
                        IndexRecordOption::WithFreqs,
                    ))
                } else {
                    Box::new(PhraseQuery::new(
                        toks.iter()
                            .map(|t| Term::from_field_text(field, t))
                            .collect(),
                    ))
                };
                let q: Box<dyn Query> = if boost == 1.0 {
                    q
                } else {
                    Box::new(BoostQuery::new(q, boost))
                };
                (Occur::Should, q)
            })
            .collect();
        Some(Box::new(BooleanQuery::new(clauses)))
    }
}

impl Found {
    /// Excerpts of a hit's subject and body for this query, with what matched.
    pub fn highlighter(&self, idx: &Search) -> Highlighter {
        let make = |field: Field| {
            SnippetGenerator::create(&self.searcher, &*self.query, field)
                .ok()
                .map(|mut g| {
                    g.set_max_num_chars(240);
                    g
                })
        };
        let mut needles = Vec::new();
        let f = idx.f;
        self.query.query_terms(&mut |term, _| {
            if [f.body, f.body_x, f.quoted].contains(&term.field())
                && let Some(t) = term.value().as_str()
            {
                needles.push(t.as_bytes().to_vec());
            }
        });
        Highlighter {
            subject: [make(idx.f.subject), make(idx.f.subject_x)],
            body: [make(idx.f.body), make(idx.f.body_x), make(idx.f.quoted)],
            needles,
        }
    }
}

pub struct Highlighter {
    subject: [Option<SnippetGenerator>; 2],
    body: [Option<SnippetGenerator>; 3],
    /// The query's body terms, for finding where in a long text to excerpt from.
    needles: Vec<Vec<u8>>,
}

/// A stretch of text and the parts of it a query matched, for a page to mark: the page
/// decides how text is shown, so an excerpt carries no markup.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Excerpt {
    pub text: String,
    /// Byte ranges of `text`, in order and apart.
    pub marks: Vec<Range<usize>>,
}

impl Highlighter {
    pub fn subject(&self, subject: &str) -> Option<Excerpt> {
        best(&self.subject, subject)
    }

    /// The best excerpt of the author's own text, else of the quoted text, else its start.
    pub fn body(&self, body: &str) -> Excerpt {
        let (own, quoted) = split_body(cut(body, 256 * 1024));
        if let Some(s) = best(&self.body[..2], self.window(&own)) {
            return s;
        }
        if let Some(s) = best(&self.body[2..], self.window(&quoted)) {
            return s;
        }
        let start: String = cut(&own, 2_000)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        Excerpt {
            text: start.chars().take(240).collect(),
            marks: Vec::new(),
        }
    }
}

impl Highlighter {
    /// A stretch of `text` around the first place a query term appears (compared
    /// ignoring ASCII case; stems are mostly prefixes of the words they match), so
    /// excerpting a long patch does not tokenize all of it.
    fn window<'a>(&self, text: &'a str) -> &'a str {
        const BEFORE: usize = 400;
        const SIZE: usize = 2_000;
        let hay = text.as_bytes();
        let first = self
            .needles
            .iter()
            .filter(|n| !n.is_empty())
            .filter_map(|n| hay.windows(n.len()).position(|w| w.eq_ignore_ascii_case(n)))
            .min();
        let Some(at) = first else {
            return cut(text, SIZE);
        };
        let mut start = at.saturating_sub(BEFORE);
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        cut(&text[start..], SIZE)
    }
}

fn best(gens: &[Option<SnippetGenerator>], text: &str) -> Option<Excerpt> {
    gens.iter().flatten().find_map(|g| {
        let s = g.snippet(text);
        if s.highlighted().is_empty() {
            return None;
        }
        Some(Excerpt {
            text: s.fragment().to_string(),
            marks: collapse_overlapped_ranges(s.highlighted()),
        })
    })
}

fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut i = max;
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    &s[..i]
}

fn open_index(dir: &Path, schema: &Schema) -> anyhow::Result<Index> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut index = Index::open_or_create(MmapDirectory::open(dir)?, schema.clone())?;
    index.set_tokenizers(tokenize::manager());
    Ok(index)
}

async fn finish(writer: Arc<Mutex<IndexWriter>>) -> anyhow::Result<()> {
    // Wait for merges so that segments do not pile up across many small catch-ups.
    let Ok(m) = Arc::try_unwrap(writer) else {
        return Ok(());
    };
    let w = m
        .into_inner()
        .map_err(|_| anyhow::anyhow!("index writer poisoned"))?;
    tokio::task::spawn_blocking(move || w.wait_merging_threads()).await??;
    Ok(())
}

/// The author's own words and the quoted text of a body, without the signature and the
/// list footer (they would match every search for the list's name or the sender's title).
pub fn split_body(body: &str) -> (String, String) {
    let lines: Vec<&str> = body.lines().collect();
    let mut end = lines.len();
    // Mailman's footer: a line of underscores followed by the list's info lines.
    for (i, l) in lines.iter().enumerate().rev().take(12) {
        if l.trim_end().len() >= 30 && l.trim_end().chars().all(|c| c == '_') {
            let rest = lines[i + 1..].join("\n");
            if rest.contains("mailing list") || rest.contains("listinfo") {
                end = i;
                break;
            }
        }
    }
    // The last signature separator, if the signature is short.
    if let Some(i) = lines[..end].iter().rposition(|l| *l == "-- " || *l == "--")
        && end - i <= 15
    {
        end = i;
    }
    let mut own = String::new();
    let mut quoted = String::new();
    for (i, l) in lines[..end].iter().enumerate() {
        let t = l.trim_start();
        let next_quoted = lines
            .get(i + 1)
            .is_some_and(|n| n.trim_start().starts_with('>'));
        let attribution = next_quoted && (t.ends_with("wrote:") || t.ends_with("writes:"));
        let target = if t.starts_with('>') || attribution {
            &mut quoted
        } else {
            &mut own
        };
        if target.len() < MAX_BODY_INDEXED {
            target.push_str(l);
            target.push('\n');
        }
    }
    (own, quoted)
}

fn to_doc(f: &Fields, d: &IndexDoc) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_u64(f.id, d.id as u64);
    doc.add_text(f.msgid, &d.message_id);
    if d.mkey != d.message_id {
        doc.add_text(f.msgid, &d.mkey);
    }
    doc.add_text(f.subject, &d.subject);
    doc.add_text(f.subject_x, &d.subject);
    let (own, quoted) = split_body(&d.body_text);
    doc.add_text(f.body, &own);
    doc.add_text(f.body_x, &own);
    doc.add_text(f.quoted, &quoted);
    doc.add_text(f.from, format!("{} {}", d.from_name, d.from_addr));
    for a in &d.attachment_names {
        doc.add_text(f.attach, a);
    }
    if d.attachment_count > 0 {
        doc.add_text(f.has, "attachment");
    }
    for &l in &d.lists {
        doc.add_u64(f.list, l as u64);
    }
    if let Some(date) = d.date {
        doc.add_i64(f.date, date);
    }
    doc
}

/// Keeps the index of a running server up to date: polls the store's queue twice a
/// second and applies what is new, so imported or ingested mail is searchable within
/// about a second.
pub fn spawn_indexer(store: Store, search: Arc<Search>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(500));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // After a failure (a full disk, say), wait longer each time, up to a minute, so
        // the log is not flooded; the queue keeps every change meanwhile.
        let mut failures: u32 = 0;
        loop {
            tick.tick().await;
            // Its own task, so that even a panic is a failed round, not a dead indexer.
            let (st, se) = (store.clone(), search.clone());
            let round = tokio::spawn(async move { se.catch_up(&st).await })
                .await
                .unwrap_or_else(|e| Err(anyhow::anyhow!("catch-up panicked: {e}")));
            match round {
                Ok(n) => {
                    search
                        .failures
                        .store(0, std::sync::atomic::Ordering::Relaxed);
                    if let Some(n) = n.filter(|n| *n > 0) {
                        tracing::info!("search index: {n} entries updated");
                    }
                    failures = 0;
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    search
                        .failures
                        .store(failures, std::sync::atomic::Ordering::Relaxed);
                    let wait = std::time::Duration::from_millis(500)
                        .saturating_mul(1 << failures.min(7))
                        .min(std::time::Duration::from_secs(60));
                    tracing::warn!("search index catch-up failed: {e:#}; retrying in {wait:?}");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    })
}

/// Where the index lives for a data directory.
pub fn index_dir(data: &Path) -> PathBuf {
    data.join("search")
}
