//! The web archive: router, shared state, the error type every handler returns, and the
//! HTTP behaviour common to all pages (compression, caching validators, security headers,
//! timeouts, request logs).

mod browse;
mod cache;
mod chart;
mod export;
mod http;
mod pipermail;
mod search;
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
    /// List rows by requested name, with the write generation they were read at: every
    /// request looks its list up, and lists change only through writes.
    lists: std::sync::Mutex<std::collections::HashMap<String, (i64, Option<ListRow>)>>,
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
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for WebError {
    fn from(e: sqlx::Error) -> Self {
        WebError::Internal(e.into())
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::NotFound => browse::error_page(StatusCode::NOT_FOUND, "Not found", ""),
            WebError::NotFoundHint(h) => browse::error_page(StatusCode::NOT_FOUND, "Not found", &h),
            WebError::Gone => browse::error_page(
                StatusCode::GONE,
                "Removed",
                "This message was removed from the archive.",
            ),
            WebError::BadRequest(h) => {
                browse::error_page(StatusCode::BAD_REQUEST, "Bad request", &h)
            }
            WebError::Internal(e) => {
                tracing::error!("internal error: {e:#}");
                browse::error_page(StatusCode::INTERNAL_SERVER_ERROR, "Internal error", "")
            }
        }
    }
}

/// The one visibility rule every list and message lookup goes through. Private lists are
/// not served until access control exists; making them readable to some users is a change
/// here and nowhere else.
pub async fn visible_list(st: &AppState, name: &str) -> Result<ListRow, WebError> {
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
            if let Ok(mut m) = st.lists.lock() {
                if m.len() > 10_000 {
                    m.clear();
                }
                m.insert(name.to_string(), (generation, row.clone()));
            }
            row
        }
    };
    match row {
        Some(l) if !l.private => Ok(l),
        _ => Err(WebError::NotFoundHint(format!(
            "There is no public list named “{name}”. All lists are on the front page."
        ))),
    }
}

pub fn is_visible(private: bool) -> bool {
    !private
}

const CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; \
                   form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

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
    let state = Arc::new(AppState {
        store,
        search,
        cache: cache::PageCache::from_env(),
        lists: Default::default(),
    });
    Router::new()
        .route("/", get(browse::index))
        .route("/healthz", get(healthz))
        .route("/search", get(search::search_all))
        .route("/{list}/search", get(search::search_list))
        .route("/robots.txt", get(browse::robots))
        .route("/static/{file}", get(browse::static_file))
        .route("/r/{id}", get(browse::resolve))
        .route("/{list}", get(browse::list_redirect))
        .route("/{list}/", get(browse::list_page))
        .route("/{list}/mbox.gz", get(export::list_mbox))
        .route("/{list}/new.atom", get(export::list_atom))
        .route("/{list}/{year}/{month}/", get(browse::month_thread))
        .route(
            "/{list}/{year}/{month}/{order}/",
            get(browse::month_ordered),
        )
        .route("/{list}/{year}/{month}/mbox.gz", get(export::month_mbox))
        .route("/{list}/m/{mkey}/", get(browse::message_page))
        .route("/{list}/m/{mkey}", get(browse::message_redirect))
        .route("/{list}/m/{mkey}/raw", get(browse::raw_message))
        .route("/{list}/m/{mkey}/a/{idx}/{name}", get(browse::attachment))
        .route("/{list}/t/{mkey}/", get(browse::thread_page))
        .route("/{list}/t/{mkey}/mbox.gz", get(export::thread_mbox))
        .route("/{list}/t/{mkey}/atom", get(export::thread_atom))
        .route("/pipermail/{list}", get(pipermail::list_root))
        .route("/pipermail/{list}/", get(pipermail::list_root))
        .route("/pipermail/{list}/{*rest}", get(pipermail::path))
        .fallback(|| async { WebError::NotFound })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            cache::cached,
        ))
        .with_state(state)
        .layer(axum::middleware::from_fn(http::validators))
        .layer(CompressionLayer::new())
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
}

/// Liveness, plus how far the search index is behind the store (0 when every stored
/// message is searchable).
async fn healthz(
    axum::extract::State(st): axum::extract::State<Arc<AppState>>,
) -> Result<String, WebError> {
    let lag = st.search.lag(&st.store).await?;
    Ok(format!(
        "ok\nsearch_lag {lag}\nsearch_docs {}\n",
        st.search.doc_count()
    ))
}

/// Serves until Ctrl-C, keeping the search index up to date in the background.
pub async fn serve(store: Store, listen: &str) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    let search = Arc::new(crate::search::Search::for_store(&store)?);
    crate::search::spawn_indexer(store.clone(), search.clone());
    axum::serve(listener, router_with(store, search))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

/// A 301 (pipermail links and old URL forms move for good; 308 confuses old clients).
pub fn moved(to: &str) -> Response {
    match HeaderValue::from_str(to) {
        Ok(v) => (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, v)]).into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The fragment id of a message on its thread page.
pub fn browse_anchor(key: &str) -> String {
    browse::anchor(key)
}
