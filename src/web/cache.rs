//! A small in-memory cache of rendered pages. Pages only change when an import commits,
//! so each entry carries the store's write generation; the generation is re-read at most
//! once a second, which bounds how stale a page can be after new mail arrives.

use std::collections::HashMap;
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

const MAX_ENTRIES: usize = 4096;
const MAX_BODY: usize = 2 * 1024 * 1024;
const RECHECK: Duration = Duration::from_secs(1);

#[derive(Default)]
pub struct PageCache {
    /// Off with `LARCH_PAGE_CACHE=0` (benchmarks measure rendering that way).
    disabled: bool,
    entries: Mutex<HashMap<String, (i64, HeaderValue, Bytes)>>,
    generation: AtomicI64,
    /// Milliseconds since `epoch` of the last generation check.
    checked_ms: AtomicU64,
    epoch: std::sync::OnceLock<Instant>,
}

impl PageCache {
    pub fn from_env() -> Self {
        let disabled = std::env::var("LARCH_PAGE_CACHE").is_ok_and(|v| v == "0");
        PageCache {
            disabled,
            ..Default::default()
        }
    }

    pub(super) async fn current_generation(&self, st: &AppState) -> i64 {
        let epoch = *self.epoch.get_or_init(Instant::now);
        let now = epoch.elapsed().as_millis() as u64;
        let last = self.checked_ms.load(Ordering::Relaxed);
        if last == 0 || now.saturating_sub(last) >= RECHECK.as_millis() as u64 {
            self.checked_ms.store(now.max(1), Ordering::Relaxed);
            if let Ok(g) = st.store.generation().await {
                self.generation.store(g, Ordering::Relaxed);
            }
        }
        self.generation.load(Ordering::Relaxed)
    }
}

pub async fn cached(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    // Search results follow the index, which commits apart from the store's generation.
    if req.method() != Method::GET
        || st.cache.disabled
        || req.uri().path().ends_with("/search")
        || req.uri().path() == "/healthz"
    {
        return next.run(req).await;
    }
    let key = req.uri().to_string();
    let generation = st.cache.current_generation(&st).await;
    if let Ok(map) = st.cache.entries.lock()
        && let Some((g, ctype, body)) = map.get(&key)
        && *g == generation
    {
        let mut res = Response::new(Body::from(body.clone()));
        res.headers_mut()
            .insert(header::CONTENT_TYPE, ctype.clone());
        return res;
    }
    let res = next.run(req).await;
    let ctype = res.headers().get(header::CONTENT_TYPE).cloned();
    let cacheable = res.status() == StatusCode::OK
        && res.headers().len() == 1
        && ctype
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html") || v.starts_with("application/atom+xml"));
    let Some(ctype) = ctype.filter(|_| cacheable) else {
        return res;
    };
    let (parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return Response::from_parts(parts, Body::empty());
    };
    if let Ok(mut map) = st.cache.entries.lock() {
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(key, (generation, ctype, bytes.clone()));
    }
    Response::from_parts(parts, Body::from(bytes))
}
