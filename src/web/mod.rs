//! The web archive: router, shared state, the error type every handler returns, and the
//! HTTP behaviour common to all pages (compression, caching validators, security headers,
//! timeouts, request logs).

mod api;
pub mod auth;
mod cache;
mod export;
mod http;
mod hyperkitty;
pub mod lang;
mod lists;
mod mailman;
mod message;
mod metrics;
mod month;
mod pipermail;
mod public_inbox;
mod search;
pub mod server;
mod site;
mod thread;
pub mod urls;
pub mod util;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::store::{ListRow, Store};

pub struct AppState {
    pub store: Store,
    pub search: Arc<crate::search::Search>,
    pub cache: cache::PageCache,
    /// What absolute URLs (feeds) start with: the configured base URL, else the address the
    /// server listens on, else nothing (relative links). Never the request's Host header,
    /// which any client sets and which would then be cached for everyone.
    pub base_url: String,
    /// Rendering work (message bodies) runs on the blocking pool, this many at a time.
    heavy: tokio::sync::Semaphore,
    /// List rows by requested name, with the write generation they were read at: every
    /// request looks its list up, and lists change only through writes. Only names of
    /// lists that exist are kept.
    lists: std::sync::Mutex<std::collections::HashMap<String, (i64, Option<ListRow>)>>,
    /// The list tags that listings leave out of subjects, with the write generation they
    /// were read at: nearly every page needs them, and they change only with the lists.
    tags: PerGeneration<crate::render::ListTags>,
    /// Each list's privacy and language, with the write generation they were read at
    /// ([`list_languages`]).
    languages: PerGeneration<ListLanguages>,
    /// Live delivery: the spool the archiver API writes into, and what delivery has done.
    pub live: Live,
    metrics: metrics::Metrics,
    pub auth: auth::AuthConfig,
    throttle: auth::Throttle,
    /// The site's language, for readers who ask for none that ships on a page of no
    /// list that has one (`language` in larch.toml).
    pub language: crate::i18n::Lang,
}

/// The server's side of live delivery (see `store::spool`).
#[derive(Clone, Default)]
pub struct Live {
    /// Where the archiver API spools deliveries; `None` when the server has none (tests
    /// that build a router over a bare store).
    pub spool: Option<Arc<crate::store::spool::Spool>>,
    pub stats: Arc<crate::store::spool::DeliveryStats>,
    /// The key Mailman's archiver plugin sends (`Authorization: Token KEY`); the archiver
    /// API is off without one.
    pub archiver_key: Option<String>,
    /// Mailman list addresses archived under another name than their local part
    /// (`[mailman_lists]` in larch.toml), for lists whose archive already has a name.
    pub mailman_lists: std::collections::BTreeMap<String, String>,
    /// Largest message the archiver API takes whole (`limits.max_message_size`); `None`
    /// for the default. A larger one is spooled as a reject, as `larch ingest` does.
    pub max_message_size: Option<u64>,
}

/// One error type for all handlers, mapped to HTTP statuses; internals are logged, never
/// shown to the reader.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    /// Not found, with a hint for the reader (what was asked, where to look instead).
    #[error("not found: {0}")]
    NotFoundHint(String),
    #[error("gone")]
    Gone,
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A form posted without its token (cross-site request forgery, or an old page).
    #[error("forbidden")]
    Forbidden,
    /// The store did not answer in time (an import holding it, a burst of writes): the
    /// reader may try again shortly, and a crawler or proxy is told when.
    #[error("busy: {0}")]
    Busy(crate::store::Error),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

/// A busy store answers 503 with Retry-After; every other store failure 500.
impl From<crate::store::Error> for WebError {
    fn from(e: crate::store::Error) -> Self {
        match e {
            crate::store::Error::Busy(_) => WebError::Busy(e),
            crate::store::Error::Unholdable(_) => {
                WebError::BadRequest(lang::current().t("error-nul"))
            }
            e => WebError::Internal(e.into()),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let l = lang::current();
        match self {
            WebError::NotFound => {
                site::error_page(StatusCode::NOT_FOUND, &l.t("error-not-found"), "")
            }
            WebError::NotFoundHint(h) => {
                site::error_page(StatusCode::NOT_FOUND, &l.t("error-not-found"), &h)
            }
            WebError::Gone => site::error_page(
                StatusCode::GONE,
                &l.t("error-gone"),
                &l.t("error-gone-hint"),
            ),
            WebError::BadRequest(h) => {
                site::error_page(StatusCode::BAD_REQUEST, &l.t("error-bad-request"), &h)
            }
            WebError::Forbidden => site::error_page(
                StatusCode::FORBIDDEN,
                &l.t("error-forbidden"),
                &l.t("error-forbidden-hint"),
            ),
            WebError::Busy(e) => {
                tracing::warn!("answered 503: {e}");
                let mut res = site::error_page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    &l.t("error-busy"),
                    &l.t("error-busy-hint"),
                );
                res.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
                res
            }
            WebError::Internal(e) => {
                tracing::error!("internal error: {e:#}");
                site::error_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &l.t("error-internal"),
                    "",
                )
            }
        }
    }
}

/// axum answers a request its extractors cannot read (a path segment that is not UTF-8, a
/// query that does not parse) with a bare plain-text 400; the reader gets the same error
/// page, with its way back to the lists and the search box, as for every other error.
async fn rejection_page(res: Response) -> Response {
    let plain = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/plain"));
    if res.status() == StatusCode::BAD_REQUEST && plain {
        return WebError::BadRequest(lang::current().t("error-unreadable-address")).into_response();
    }
    res
}

/// A value derived from the store's lists, kept with the write generation it was read at.
type PerGeneration<T> = std::sync::Mutex<Option<(i64, Arc<T>)>>;

/// The value `slot` holds for the store's current write generation, read with `load` when
/// the store has written since (lists change only through writes).
async fn per_generation<T>(
    st: &AppState,
    slot: &PerGeneration<T>,
    load: impl std::future::Future<Output = Result<T, WebError>>,
) -> Result<Arc<T>, WebError> {
    let generation = st.cache.current_generation(st).await;
    let cached = slot.lock().ok().and_then(|t| {
        t.as_ref()
            .filter(|(g, _)| *g == generation)
            .map(|(_, v)| v.clone())
    });
    if let Some(v) = cached {
        return Ok(v);
    }
    let v = Arc::new(load.await?);
    if let Ok(mut t) = slot.lock() {
        *t = Some((generation, v.clone()));
    }
    Ok(v)
}

/// The names of the archive's lists, whose tags listings leave out of subjects: read once
/// per write generation.
pub async fn list_tags(st: &AppState) -> Result<Arc<crate::render::ListTags>, WebError> {
    per_generation(st, &st.tags, async {
        Ok(crate::render::ListTags::new(
            st.store.all_lists().await?.iter().map(|l| &l.name),
        ))
    })
    .await
}

/// The list a page is about, if the viewer may read it ([`auth::Viewer::can_read`]). A
/// private list the viewer cannot read answers exactly as a list that does not exist.
pub async fn visible_list(
    st: &AppState,
    viewer: &auth::Viewer,
    name: &str,
) -> Result<ListRow, WebError> {
    let generation = st.cache.current_generation(st).await;
    let cached = st.lists.lock().ok().and_then(|m| {
        m.get(name)
            .filter(|(g, _)| *g == generation)
            .map(|(_, l)| l.clone())
    });
    let row = match cached {
        Some(row) => row,
        None => {
            let row = st.store.list_by_name(name).await?;
            // Only names that exist are kept: a client can ask for any number of others.
            if row.is_some()
                && let Ok(mut m) = st.lists.lock()
            {
                if m.len() > 1_000 {
                    m.clear();
                }
                m.insert(name.to_string(), (generation, row.clone()));
            }
            row
        }
    };
    match row {
        Some(l) if viewer.can_read(&l.name, l.private) => Ok(l),
        _ => Err(WebError::NotFoundHint(
            lang::current().tr("error-no-list", &[("list", name.into())]),
        )),
    }
}

/// Each list's privacy and language, by name, read once per write generation: every page
/// asked for without a language the archive ships looks its list's up, and a page served
/// from the page cache must not cost a query (nor a name that is no list's, which a client
/// can make up by the million).
pub(crate) type ListLanguages =
    std::collections::HashMap<String, (bool, Option<crate::i18n::Lang>)>;

pub(crate) async fn list_languages(st: &AppState) -> Result<Arc<ListLanguages>, WebError> {
    per_generation(st, &st.languages, async {
        Ok(st
            .store
            .all_lists()
            .await?
            .into_iter()
            .map(|l| {
                let lang = l.language.as_deref().and_then(crate::i18n::Lang::from_tag);
                (l.name, (l.private, lang))
            })
            .collect())
    })
    .await
}

/// The scrubbed attachments of a message that the archive holds again, as the render
/// options take them: the old `DATE/HASH/NAME` and the stored file's address. Only bodies
/// with a scrubbed note's URL are looked up.
pub(crate) async fn kept_files(
    st: &AppState,
    l: &ListRow,
    mkey: &str,
    body: &str,
) -> Result<Vec<(String, String)>, WebError> {
    if !body.contains("/attachments/") {
        return Ok(Vec::new());
    }
    Ok(st
        .store
        .kept_scrubbed(l.id, mkey)
        .await?
        .into_iter()
        .map(|(path, idx, name)| (path, urls::attachment(&l.name, mkey, idx, &name)))
        .collect())
}

/// Page work below this many input bytes runs in place: rendering is linear, so a small
/// body costs less than the hop to another thread.
const INLINE_WORK: usize = 64 * 1024;

/// Runs CPU-heavy page work (rendering bodies of `cost` input bytes) on the blocking pool,
/// a few at a time, so that the async workers keep answering every other request
/// (`/healthz` included) while a large message renders.
pub(crate) async fn heavy<T: Send + 'static>(
    st: &AppState,
    cost: usize,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, WebError> {
    if cost < INLINE_WORK {
        return Ok(work());
    }
    let _permit = st
        .heavy
        .acquire()
        .await
        .map_err(|e| WebError::Internal(e.into()))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| WebError::Internal(e.into()))
}

const CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; \
                   form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// What the web layer is configured with beyond the store.
#[derive(Clone, Default)]
pub struct WebConfig {
    /// `--base-url` / `LARCH_BASE_URL`: the public URL of the archive, e.g.
    /// `https://lists.example.org`.
    pub base_url: Option<String>,
    pub live: Live,
    /// The server's connection limits; `None`: the defaults and the environment.
    pub limits: Option<server::Limits>,
    pub auth: auth::AuthConfig,
    /// The site's language (`language` in larch.toml); English without one.
    pub language: Option<crate::i18n::Lang>,
}

impl WebConfig {
    fn base(&self) -> String {
        self.base_url
            .as_deref()
            .map(|u| u.trim_end_matches('/').to_string())
            .unwrap_or_default()
    }
}

/// The router over a store, with the search index beside it (opened, or created empty).
pub fn router(store: Store) -> Router {
    match crate::search::Search::for_store(&store) {
        Ok(s) => router_with(store, Arc::new(s)),
        Err(e) => {
            tracing::error!("cannot open the search index: {e:#}");
            Router::new().fallback(|| async { WebError::Internal(anyhow::anyhow!("no index")) })
        }
    }
}

pub fn router_with(store: Store, search: Arc<crate::search::Search>) -> Router {
    let config = WebConfig {
        base_url: std::env::var("LARCH_BASE_URL")
            .ok()
            .filter(|u| !u.is_empty()),
        ..Default::default()
    };
    router_configured(store, search, &config)
}

pub fn router_configured(
    store: Store,
    search: Arc<crate::search::Search>,
    config: &WebConfig,
) -> Router {
    let state = Arc::new(AppState {
        store,
        search,
        cache: cache::PageCache::from_env(),
        base_url: config.base(),
        heavy: tokio::sync::Semaphore::new(
            std::thread::available_parallelism().map_or(2, |n| n.get() * 2),
        ),
        lists: Default::default(),
        tags: Default::default(),
        languages: Default::default(),
        live: config.live.clone(),
        metrics: Default::default(),
        auth: auth::AuthConfig {
            secure_cookies: config.auth.secure_cookies
                || config
                    .base_url
                    .as_deref()
                    .is_some_and(|u| u.starts_with("https://")),
            ..config.auth.clone()
        },
        throttle: Default::default(),
        language: config.language.unwrap_or(crate::i18n::Lang::En),
    });
    Router::new()
        .merge(cached_pages(&state))
        .merge(uncached_routes())
        .route(urls::METRICS, get(metrics::scrape))
        .fallback(|| async { WebError::NotFound })
        .layer(axum::middleware::map_response(rejection_page))
        // Inside `identify`, whose reader it needs (a private list's language is shown
        // only to its members), around every page and error.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            lang::negotiate,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::identify,
        ))
        .with_state(state.clone())
        .layer(axum::middleware::from_fn(http::validators))
        .layer(CompressionLayer::new().compress_when(compressible()))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(
                    tower_http::trace::DefaultMakeSpan::new().level(tracing::Level::INFO),
                )
                .on_response(
                    tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO),
                ),
        )
        // Outermost, so that what the layers inside answer (a 408) is counted and timed too.
        .layer(axum::middleware::from_fn_with_state(state, metrics::track))
}

/// The pages the page cache serves: each changes only when the store commits a write and
/// reads nothing of the request beyond its path (and a month listing's `page`, see
/// `cache::cache_key`). Only their 200 answers are kept; redirects and errors render
/// every time.
fn cached_pages(state: &Arc<AppState>) -> Router<Arc<AppState>> {
    Router::new()
        .route(urls::INDEX, get(lists::index))
        .route(urls::RESOLVE, get(message::resolve))
        .route(urls::LIST, get(lists::list_page))
        .route(urls::LIST_ATOM, get(export::list_atom))
        .route(urls::MONTH, get(month::month_thread))
        .route(urls::MONTH_ORDER, get(month::month_ordered))
        .route(urls::MESSAGE, get(message::message_page))
        .route(urls::THREAD, get(thread::thread_page))
        .route(urls::THREAD_ATOM, get(export::thread_atom))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            cache::cached,
        ))
}

/// Everything else answers each request afresh: search follows the index, which commits
/// apart from the store; health is live; downloads and raw messages stream, and are too
/// large to keep; static files and redirects cost nothing to answer.
fn uncached_routes() -> Router<Arc<AppState>> {
    Router::new()
        // A list's page answers GET (cached); a POST to it is public-inbox's search.
        .route(urls::LIST, axum::routing::post(public_inbox::search_mbox))
        .route(urls::HEALTHZ, get(healthz))
        .route(urls::SEARCH, get(search::search_all))
        .route(urls::LIST_SEARCH, get(search::search_list))
        .route(urls::ROBOTS, get(site::robots))
        .route(urls::STATIC, get(site::static_file))
        .route(urls::LIST_BARE, get(lists::list_redirect))
        .route(urls::LIST_MBOX, get(export::list_mbox))
        .route(urls::MONTH_MBOX, get(export::month_mbox))
        .route(urls::MESSAGE_BARE, get(message::message_redirect))
        .route(urls::MESSAGE_RAW, get(message::raw_message))
        .route(urls::ATTACHMENT, get(message::attachment))
        .route(urls::THREAD_MBOX, get(export::thread_mbox))
        .route(urls::MESSAGE_THREAD_MBOX, get(export::thread_mbox))
        .route(urls::PUBLIC_INBOX_MESSAGE, get(public_inbox::message))
        .route(urls::PUBLIC_INBOX_RAW, get(public_inbox::raw))
        .route(urls::PUBLIC_INBOX_THREAD, get(public_inbox::thread))
        .route(urls::PUBLIC_INBOX_FLAT, get(public_inbox::thread))
        .route(urls::PUBLIC_INBOX_MBOX, get(public_inbox::thread_mbox))
        .route(urls::PIPERMAIL_BARE, get(pipermail::list_root))
        .route(urls::PIPERMAIL, get(pipermail::list_root))
        .route(urls::PIPERMAIL_PATH, get(pipermail::path))
        .route(urls::HYPERKITTY_LIST_BARE, get(hyperkitty::list_root))
        .route(urls::HYPERKITTY_LIST, get(hyperkitty::list_root))
        .route(urls::HYPERKITTY_PATH, get(hyperkitty::path))
        .route(urls::MAILMAN_PRIVATE_BARE, get(pipermail::list_root))
        .route(urls::MAILMAN_PRIVATE, get(pipermail::list_root))
        .route(urls::MAILMAN_PRIVATE_PATH, get(pipermail::path))
        .route(urls::MAILMAN_ARCHIVE, mailman::archive_route())
        .route(urls::MAILMAN_URLS, get(mailman::urls))
        .route(urls::LOGIN, get(auth::login_page).post(auth::login))
        .route(urls::LOGOUT, axum::routing::post(auth::logout))
        .route(urls::LANGUAGE, get(lang::choose_language))
        .merge(api_routes())
}

/// The JSON API (docs/api.md): answered afresh, like search, since it follows the store
/// and the index and its answers differ by viewer; readable from other sites for
/// anonymous readers (see `api::cors`).
fn api_routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(urls::API_ROOT, api::read(api::root))
        .route(urls::API_ROOT_BARE, api::read(api::root))
        .route(urls::API_LISTS, api::read(api::lists))
        .route(urls::API_LIST, api::read(api::list_info))
        .route(urls::API_MONTHS, api::read(api::months))
        .route(urls::API_MONTH_THREADS, api::read(api::month_threads))
        .route(urls::API_THREAD, api::read(api::thread))
        .route(urls::API_MESSAGE, api::read(api::message))
        .route(urls::API_CHANGES, api::read(api::changes))
        .route(urls::API_SEARCH, api::read(api::search_all))
        .route(urls::API_LIST_SEARCH, api::read(api::search_list))
        .route(urls::API_OTHER, api::read(api::unknown))
        .route_layer(axum::middleware::from_fn(api::cors))
}

/// Compressing what is compressed already (downloads, archives, images) only costs CPU.
fn compressible() -> impl tower_http::compression::Predicate {
    use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
    DefaultPredicate::new()
        .and(NotForContentType::const_new("application/gzip"))
        .and(NotForContentType::const_new("application/zip"))
        .and(NotForContentType::const_new("application/pdf"))
        .and(NotForContentType::const_new("application/octet-stream"))
}

/// Liveness, plus how far the search index is behind the store (0 when every stored
/// message is searchable). A stuck indexer (three failed rounds in a row) answers 503
/// `degraded`, so that a monitor notices search going stale.
async fn healthz(
    axum::extract::State(st): axum::extract::State<Arc<AppState>>,
) -> Result<Response, WebError> {
    // A database that cannot be reached makes this server unable to serve: 503, which a
    // load balancer reads as "send the readers elsewhere".
    st.store.generation().await?;
    let lag = st.search.lag(&st.store).await?;
    let failures = st.search.failures();
    let (status, word) = if failures >= 3 {
        (StatusCode::SERVICE_UNAVAILABLE, "degraded")
    } else {
        (StatusCode::OK, "ok")
    };
    let body = format!(
        "{word}\nsearch_lag {lag}\nsearch_docs {}\nsearch_failures {failures}\nsearch_skipped_rows {}\npage_cache_bytes {}\npage_renders {}\n",
        st.search.doc_count(),
        st.search.skipped(),
        st.cache.bytes(),
        st.cache.renders(),
    );
    Ok((
        status,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}

/// Serves until `shutdown` resolves (callers pass [`server::stop_signal`]: SIGTERM or
/// Ctrl-C), keeping the search index up to date in the background. The future is a
/// parameter so that a caller with tasks of its own (live delivery) can stop them once
/// this returns. At the stop, new connections are refused, requests in flight finish
/// (keep-alive connections close after their current one) and the indexer commits what it
/// has applied, side by side; this returns within [`STOP_BUDGET`] of the signal.
pub async fn serve(
    store: Store,
    listen: &str,
    config: WebConfig,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr()?;
    tracing::info!("listening on http://{addr}");
    let config = WebConfig {
        base_url: Some(config.base_url.unwrap_or_else(|| format!("http://{addr}"))),
        ..config
    };
    let search = Arc::new(crate::search::Search::for_store(&store)?);
    let indexer = crate::search::spawn_indexer(store.clone(), search.clone());
    let signalled = Arc::new(std::sync::OnceLock::new());
    let on_stop = {
        let (stopper, signalled) = (indexer.stopper(), signalled.clone());
        async move {
            shutdown.await;
            let _ = signalled.set(tokio::time::Instant::now());
            tracing::info!("stopping: finishing the requests in flight");
            stopper.request();
        }
    };
    let mut limits = config.limits.unwrap_or_else(server::Limits::from_env);
    limits.shutdown_grace = limits.shutdown_grace.min(STOP_BUDGET - INDEXER_MARGIN);
    let served = server::run(
        listener,
        router_configured(store, search, &config),
        limits,
        on_stop,
    )
    .await;
    let deadline = signalled
        .get()
        .copied()
        .unwrap_or_else(tokio::time::Instant::now)
        + (STOP_BUDGET - INDEXER_MARGIN / 2);
    let left = deadline.saturating_duration_since(tokio::time::Instant::now());
    if !indexer.stop(left).await {
        tracing::warn!(
            "the search indexer was still committing at the stop; the next start resumes it"
        );
    }
    served?;
    tracing::info!("stopped");
    Ok(())
}

/// How long [`serve`] takes at most from the stop signal to its return: within systemd's
/// stop timeout (`TimeoutStopSec=15` in `contrib/systemd/larch.service`), with room for the
/// process to exit.
pub const STOP_BUDGET: Duration = Duration::from_secs(10);
/// What the budget keeps back from requests in flight for the indexer's last commit.
const INDEXER_MARGIN: Duration = Duration::from_secs(2);

/// A 301 (pipermail links and old URL forms move for good; 308 confuses old clients).
pub fn moved(to: &str) -> Response {
    match HeaderValue::from_str(to) {
        Ok(v) => (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, v)]).into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_store_asks_to_come_back() {
        let res =
            WebError::from(crate::store::Error::Busy(sqlx::Error::PoolTimedOut)).into_response();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(res.headers()[header::RETRY_AFTER], "5");
        let res = WebError::from(crate::store::Error::Unknown("x".into())).into_response();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
