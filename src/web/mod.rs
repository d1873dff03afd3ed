//! The HTTP face of the archive: the axum router, shared state, middleware
//! and the server loop. Handlers live in `pages` (HTML) and `api` (JSON).

mod api;
mod error;
mod pages;

use std::net::SocketAddr;
use std::sync::LazyLock;
use std::time::Duration;

use axum::Router;
use axum::extract::FromRef;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::archive::Archive;

pub use error::{ApiError, PageError};

/// How long one request may take before it is answered with 408.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const STYLESHEET: &str = include_str!("../../static/style.css");

/// What every handler can reach. Cheap to clone.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub archive: Archive,
}

/// The stylesheet's path, named by its content hash (`/static/style.<hash>.css`)
/// so browsers may cache it for a year.
pub static STYLESHEET_PATH: LazyLock<String> = LazyLock::new(|| {
    let hash = Sha256::digest(STYLESHEET.as_bytes());
    let short: String = hash[..6].iter().map(|b| format!("{b:02x}")).collect();
    format!("/static/style.{short}.css")
});

/// The whole application: pages, API, static files and middleware.
pub fn router(archive: Archive) -> Router {
    let state = AppState { archive };
    Router::new()
        .route("/", get(pages::home))
        .route("/articles/{id}", get(pages::article_without_slug))
        .route("/articles/{id}/{slug}", get(pages::article))
        .route("/search", get(pages::search))
        .route("/healthz", get(api::healthz))
        .route(&STYLESHEET_PATH, get(stylesheet))
        .nest("/api/v1", api::router())
        .fallback(pages::not_found)
        .with_state(state)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
            ),
        ))
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        STYLESHEET,
    )
        .into_response()
}

/// Serves the application on `listen` until SIGINT or SIGTERM, then stops
/// accepting connections and lets in-flight requests finish.
pub async fn serve(archive: Archive, listen: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    tracing::info!("newsarchive listening on http://{}", listener.local_addr()?);
    axum::serve(listener, router(archive))
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
