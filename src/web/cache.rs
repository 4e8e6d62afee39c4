//! An in-memory cache of rendered pages. Pages only change when the store commits a write,
//! so each entry carries the store's write generation; the generation is re-read at most
//! once a second, which bounds how stale a page can be after new mail arrives.
//!
//! Everything a client controls is bounded here: the key is the path plus only the query
//! parameters a page reads (so `?z=1`, `?z=2`, … are one entry), the cache holds at most a
//! byte budget (oldest entries leave first), a page larger than one entry may be is served
//! whole but not kept, and concurrent first requests for one page render it once while the
//! others wait for the result.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use bytes::Bytes;

use super::AppState;

/// Default byte budget of the whole cache (`LARCH_PAGE_CACHE_MB` overrides it).
const DEFAULT_BUDGET: usize = 64 * 1024 * 1024;
/// No single page takes more than this share of the budget.
const ENTRY_SHARE: usize = 16;
const RECHECK: Duration = Duration::from_secs(1);
/// The generation before the store was first asked.
const UNKNOWN: i64 = i64::MIN;

struct Entry {
    generation: i64,
    ctype: HeaderValue,
    body: Bytes,
    stamp: u64,
}

#[derive(Default)]
struct Entries {
    map: HashMap<String, Entry>,
    /// Insertion order for eviction; an item whose stamp no longer matches its entry is stale.
    order: VecDeque<(String, u64)>,
    bytes: usize,
    next_stamp: u64,
}

impl Entries {
    fn cost(key: &str, body: &Bytes) -> usize {
        key.len() + body.len() + 128
    }

    fn insert(
        &mut self,
        key: String,
        generation: i64,
        ctype: HeaderValue,
        body: Bytes,
        budget: usize,
    ) {
        let cost = Self::cost(&key, &body);
        if let Some(old) = self.map.remove(&key) {
            self.bytes -= Self::cost(&key, &old.body);
        }
        while self.bytes + cost > budget {
            let Some((k, stamp)) = self.order.pop_front() else {
                break;
            };
            if self.map.get(&k).is_some_and(|e| e.stamp == stamp)
                && let Some(e) = self.map.remove(&k)
            {
                self.bytes -= Self::cost(&k, &e.body);
            }
        }
        self.next_stamp += 1;
        let stamp = self.next_stamp;
        self.order.push_back((key.clone(), stamp));
        self.bytes += cost;
        self.map.insert(
            key,
            Entry {
                generation,
                ctype,
                body,
                stamp,
            },
        );
        // Replaced keys leave stale items behind; drop them before they add up.
        if self.order.len() > 2 * self.map.len() + 64 {
            let map = &self.map;
            self.order
                .retain(|(k, s)| map.get(k).is_some_and(|e| e.stamp == *s));
        }
    }
}

pub struct PageCache {
    /// Off with `LARCH_PAGE_CACHE=0` (benchmarks measure rendering that way).
    disabled: bool,
    budget: usize,
    entries: Mutex<Entries>,
    /// Pages being rendered now: later requests for the same page wait on its lock.
    inflight: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
    generation: AtomicI64,
    /// Pages rendered because the cache did not hold them (for `/healthz`).
    renders: AtomicU64,
    /// Pages answered from the cache (for `/metrics`).
    hits: AtomicU64,
    /// Milliseconds since `epoch` of the last generation check.
    checked_ms: AtomicU64,
    epoch: std::sync::OnceLock<Instant>,
}

impl PageCache {
    pub fn from_env() -> Self {
        let disabled = std::env::var("LARCH_PAGE_CACHE").is_ok_and(|v| v == "0");
        let budget = std::env::var("LARCH_PAGE_CACHE_MB")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .map_or(DEFAULT_BUDGET, |mb| mb.saturating_mul(1024 * 1024));
        PageCache::new(disabled, budget)
    }

    pub fn new(disabled: bool, budget: usize) -> Self {
        PageCache {
            disabled,
            budget,
            entries: Mutex::default(),
            inflight: Arc::default(),
            generation: AtomicI64::new(UNKNOWN),
            renders: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            checked_ms: AtomicU64::new(0),
            epoch: std::sync::OnceLock::new(),
        }
    }

    /// The largest page the cache keeps.
    pub fn max_entry(&self) -> usize {
        self.budget / ENTRY_SHARE
    }

    /// Pages rendered on a miss since the process started.
    pub fn renders(&self) -> u64 {
        self.renders.load(Ordering::Relaxed)
    }

    /// Pages answered from the cache since the process started.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// Bytes held now (for `/healthz` and tests).
    pub fn bytes(&self) -> usize {
        self.entries.lock().map(|e| e.bytes).unwrap_or(0)
    }

    pub(super) async fn current_generation(&self, st: &AppState) -> i64 {
        let epoch = *self.epoch.get_or_init(Instant::now);
        let now = epoch.elapsed().as_millis() as u64;
        let last = self.checked_ms.load(Ordering::Relaxed);
        let known = self.generation.load(Ordering::Relaxed);
        // Until the first read has answered, every request reads it itself: a page cached
        // under a made-up generation would be rendered again once the real one is known.
        if known == UNKNOWN || now.saturating_sub(last) >= RECHECK.as_millis() as u64 {
            self.checked_ms.store(now.max(1), Ordering::Relaxed);
            if let Ok(g) = st.store.generation().await {
                self.generation.store(g, Ordering::Relaxed);
                return g;
            }
        }
        self.generation.load(Ordering::Relaxed)
    }

    fn lookup(&self, key: &str, generation: i64) -> Option<Response> {
        let map = self.entries.lock().ok()?;
        let e = map.map.get(key).filter(|e| e.generation == generation)?;
        let mut res = Response::new(Body::from(e.body.clone()));
        res.headers_mut()
            .insert(header::CONTENT_TYPE, e.ctype.clone());
        self.hits.fetch_add(1, Ordering::Relaxed);
        Some(res)
    }

    /// The lock that one render of `key` holds; removed from the map when the last holder
    /// is done (also when a client goes away mid-render and its future is dropped).
    fn flight(&self, key: &str) -> Flight {
        let lock = match self.inflight.lock() {
            Ok(mut m) => m.entry(key.to_string()).or_default().clone(),
            Err(_) => Arc::default(),
        };
        Flight {
            map: self.inflight.clone(),
            key: key.to_string(),
            lock,
        }
    }
}

struct Flight {
    map: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
    key: String,
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl Drop for Flight {
    fn drop(&mut self) {
        if let Ok(mut m) = self.map.lock()
            && m.get(&self.key)
                .is_some_and(|l| Arc::ptr_eq(l, &self.lock) && Arc::strong_count(l) <= 2)
        {
            m.remove(&self.key);
        }
    }
}

/// The cache key of a request: its path, plus the query parameters the page reads. Only
/// the month listings read one (`page`); any other parameter is ignored by every cached
/// page, so it is left out of the key. A page that starts reading a parameter must be
/// added here.
pub fn cache_key(path: &str, query: Option<&str>) -> String {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let month_listing = matches!(segs.len(), 3 | 4)
        && segs[1].len() == 4
        && segs[1].bytes().all(|b| b.is_ascii_digit())
        && segs[2].len() == 2
        && segs[2].bytes().all(|b| b.is_ascii_digit());
    let page = query
        .filter(|_| month_listing)
        .and_then(|q| {
            form_urlencoded::parse(q.as_bytes())
                .filter(|(k, _)| k == "page")
                .map(|(_, v)| v)
                .last()
        })
        .and_then(|p| p.parse::<u32>().ok())
        .filter(|p| *p > 1);
    match page {
        Some(p) => format!("{path}?page={p}"),
        None => path.to_string(),
    }
}

/// Serves the routes it is layered on (the router's `cached_pages`) from the cache, and
/// keeps what they answer.
pub async fn cached(State(st): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    // A signed-in reader's pages may hold private lists: rendered for them alone, never
    // kept where an anonymous request could be answered from.
    let signed_in = req
        .extensions()
        .get::<super::auth::Viewer>()
        .is_some_and(|v| !v.is_anonymous());
    if !matches!(*req.method(), Method::GET | Method::HEAD) || st.cache.disabled || signed_in {
        return next.run(req).await;
    }
    // Each language's copy of a page is its own entry (see `web::lang`).
    let lang = req
        .extensions()
        .get::<crate::i18n::Lang>()
        .copied()
        .unwrap_or(crate::i18n::Lang::En);
    let key = format!(
        "{} {}",
        lang.code(),
        cache_key(req.uri().path(), req.uri().query())
    );
    let generation = st.cache.current_generation(&st).await;
    if let Some(hit) = st.cache.lookup(&key, generation) {
        return hit;
    }
    let flight = st.cache.flight(&key);
    let _rendering = flight.lock.lock().await;
    let generation = st.cache.current_generation(&st).await;
    if let Some(hit) = st.cache.lookup(&key, generation) {
        return hit;
    }
    // A HEAD renders the page as a GET would, so that it fills the cache once; the server
    // sends no body for a HEAD whatever the response holds.
    *req.method_mut() = Method::GET;
    st.cache.renders.fetch_add(1, Ordering::Relaxed);
    let res = next.run(req).await;
    // A hit is replayed as its content type and body: a page that answers with anything
    // more (or with a redirect or an error) is served as it is, and rendered again.
    let ctype = res.headers().get(header::CONTENT_TYPE).cloned();
    let Some(ctype) = ctype.filter(|_| res.status() == StatusCode::OK && res.headers().len() == 1)
    else {
        return res;
    };
    let (parts, body) = res.into_parts();
    match super::http::buffer_up_to(body, st.cache.max_entry()).await {
        Ok(bytes) => {
            if let Ok(mut map) = st.cache.entries.lock() {
                map.insert(key, generation, ctype, bytes.clone(), st.cache.budget);
            }
            Response::from_parts(parts, Body::from(bytes))
        }
        // Too large to keep: served whole, rendered again next time.
        Err(body) => Response::from_parts(parts, body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_what_pages_do_not_read() {
        assert_eq!(cache_key("/l/m/x/", Some("z=1")), "/l/m/x/");
        assert_eq!(cache_key("/l/m/x/", Some("page=3")), "/l/m/x/");
        assert_eq!(
            cache_key("/l/2020/01/", Some("page=3&z=9")),
            "/l/2020/01/?page=3"
        );
        assert_eq!(
            cache_key("/l/2020/01/date/", Some("page=2")),
            "/l/2020/01/date/?page=2"
        );
        assert_eq!(cache_key("/l/2020/01/", Some("page=1")), "/l/2020/01/");
        assert_eq!(cache_key("/l/2020/01/", Some("page=x")), "/l/2020/01/");
    }

    /// The key reads `page` as the month page's own query extractor does, so that a page
    /// is never kept under another page's key.
    #[test]
    fn keys_read_the_page_as_the_page_does() {
        assert_eq!(
            cache_key("/l/2020/01/", Some("page=%32")),
            "/l/2020/01/?page=2"
        );
        assert_eq!(
            cache_key("/l/2020/01/", Some("z=1&page=2&page=3")),
            "/l/2020/01/?page=3"
        );
    }

    #[test]
    fn the_budget_holds() {
        let mut e = Entries::default();
        let ct = HeaderValue::from_static("text/html");
        for i in 0..1000 {
            e.insert(
                format!("/k{}", i % 37),
                1,
                ct.clone(),
                Bytes::from(vec![b'x'; 10_000]),
                100_000,
            );
            assert!(e.bytes <= 100_000, "{}", e.bytes);
            assert!(e.order.len() <= 2 * e.map.len() + 65);
        }
        let live: usize = e.map.iter().map(|(k, v)| Entries::cost(k, &v.body)).sum();
        assert_eq!(live, e.bytes);
    }
}
