//! The web archive: router, shared state, and the error type every handler returns.

mod pages;

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::store::Store;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
}

/// One error type for all handlers, mapped to HTTP statuses; internals are logged,
/// never shown.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
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
            WebError::NotFound => pages::error_page(StatusCode::NOT_FOUND, "Not found"),
            WebError::Internal(e) => {
                tracing::error!("internal error: {e:#}");
                pages::error_page(StatusCode::INTERNAL_SERVER_ERROR, "Internal error")
            }
        }
    }
}

pub fn router(store: Store) -> Router {
    let state = Arc::new(AppState { store });
    Router::new()
        .route("/", get(pages::index))
        .route("/healthz", get(|| async { "ok" }))
        .route("/static/style.css", get(pages::stylesheet))
        .route("/{list}/", get(pages::list_page))
        .route("/{list}/m/{mkey}/", get(pages::message_page))
        .route("/{list}/m/{mkey}/raw", get(pages::raw_message))
        .route("/{list}/t/{mkey}/", get(pages::thread_page))
        .with_state(state)
}

/// Serves until Ctrl-C.
pub async fn serve(store: Store, listen: &str) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, router(store))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
