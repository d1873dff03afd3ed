//! The HTTP face of the archive: the axum router, shared state and middleware
//! (compression, timeouts, security headers, conditional GETs, request logs
//! and metrics). Handlers live in `pages` (HTML, feeds) and `api` (JSON); the
//! accept loop with its connection deadlines in `server`.

mod api;
mod cache;
mod download;
mod error;
mod limits;
mod pages;
mod server;
pub mod xml;

use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{FromRef, FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};

use crate::archive::Archive;

pub use error::{ApiError, PageError};
pub use limits::RateLimits;
pub use server::{ConnectionLimits, fit_open_files};

/// How long one request may take before it is answered with 408.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a request body may stall between two pieces before the request fails.
const BODY_TIMEOUT: Duration = Duration::from_secs(30);
const STYLESHEET: &str = include_str!("../../static/style.css");
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// How the server presents itself.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The archive's public address (`https://news.example.org`), used in
    /// feeds, sitemaps and canonical links. Without it, the request's `Host`
    /// header is used over plain http.
    pub public_url: Option<String>,
    /// API writes (POST, PUT, PATCH, DELETE) allowed per client and minute; 0: no limit.
    pub write_rate_limit: u32,
    /// Searches (page and API) allowed per client and minute; 0: no limit.
    pub search_rate_limit: u32,
    /// Downloads of every match of a search allowed per client and minute; 0: no limit.
    pub download_rate_limit: u32,
    /// How long one request may take before it is answered with 408 (default 30 s).
    pub request_timeout: Option<Duration>,
    /// How long a request body may stall before the request fails with 408 (default 30 s).
    pub body_timeout: Option<Duration>,
    /// Deadlines and caps for client connections.
    pub connections: ConnectionLimits,
    /// Bytes of rendered pages kept in memory; 0: none.
    pub page_cache_bytes: u64,
    /// Where feeds followed through the API may be fetched from.
    pub feed_reach: crate::follow::Reach,
}

/// What every handler can reach: one `Arc`, so the clone each middleware
/// and handler takes per request is one counter, not one per part.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The parts of [`AppState`].
pub struct Shared {
    pub archive: Archive,
    pub config: Config,
    pub limits: RateLimits,
    /// The API's OpenAPI document as JSON, for the API page.
    pub api_doc: Arc<serde_json::Value>,
    pub pages: cache::PageCache,
    /// The `ETag` and `Last-Modified` of the last version pages were
    /// served from, formatted once per version rather than per request.
    validators: std::sync::Mutex<Option<Validators>>,
}

/// A page version's validators, as headers.
#[derive(Clone)]
struct Validators {
    version: Arc<str>,
    etag: HeaderValue,
    last_modified: Option<HeaderValue>,
}

impl Shared {
    fn validators(
        &self,
        version: &Arc<str>,
        changed_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Validators {
        let mut last = self.validators.lock().expect("validators lock");
        if let Some(v) = last.as_ref().filter(|v| v.version == *version) {
            return v.clone();
        }
        let etag = format!("W/\"{version}-{}\"", *BUILD_TAG);
        let made = Validators {
            version: version.clone(),
            etag: HeaderValue::from_str(&etag).expect("an ETag of digits, dots and hex"),
            last_modified: changed_at.and_then(|at| {
                HeaderValue::from_str(&at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()).ok()
            }),
        };
        *last = Some(made.clone());
        made
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl FromRef<AppState> for Archive {
    fn from_ref(state: &AppState) -> Archive {
        state.archive.clone()
    }
}

impl FromRef<AppState> for crate::follow::Reach {
    fn from_ref(state: &AppState) -> crate::follow::Reach {
        state.config.feed_reach
    }
}

/// The stylesheet's path, named by its content hash (`/static/style.<hash>.css`)
/// so browsers may cache it for a year.
pub static STYLESHEET_PATH: LazyLock<String> = LazyLock::new(|| {
    let hash = Sha256::digest(STYLESHEET.as_bytes());
    let short: String = hash[..6].iter().map(|b| format!("{b:02x}")).collect();
    format!("/static/style.{short}.css")
});

/// Differs between runs of the server, so a new build never reuses old ETags.
static BUILD_TAG: LazyLock<String> = LazyLock::new(|| {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!("{:x}", now.as_nanos())
});

/// The absolute address of the archive, without a trailing slash.
pub struct BaseUrl(pub String);

impl FromRequestParts<AppState> for BaseUrl {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(url) = &state.config.public_url {
            return Ok(BaseUrl(url.trim_end_matches('/').to_owned()));
        }
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| {
                !h.is_empty()
                    && h.chars()
                        .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
            })
            .unwrap_or("localhost");
        Ok(BaseUrl(format!("http://{host}")))
    }
}

/// Whether a `Host` header names this machine's loopback (`localhost`,
/// `127.0.0.1`, `[::1]`, with or without a port).
fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((name, _)) => name,
            None => return false,
        },
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Without `--public-url`, links are written with the request's `Host`, so
/// only loopback names are answered: any other (a proxy passing a client's
/// `Host: evil.example`, say) gets 421 saying to set `--public-url`.
async fn check_host(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if state.config.public_url.is_some() {
        return next.run(request).await;
    }
    let foreign = request
        .headers()
        .get(header::HOST)
        .filter(|h| !h.to_str().is_ok_and(is_loopback_host));
    match foreign {
        Some(host) => {
            let detail = format!(
                "this archive answers only for localhost: it was started without --public-url, \
                 so it will not write links to `{}`; its operator can set --public-url",
                String::from_utf8_lossy(host.as_bytes())
            );
            error::error_for(
                request.uri().path(),
                StatusCode::MISDIRECTED_REQUEST,
                "unknown-host",
                "This archive does not answer for that address",
                detail,
            )
        }
        None => next.run(request).await,
    }
}

/// The whole application: pages, feeds, API, static files and middleware.
pub fn router(archive: Archive, config: Config) -> Router {
    use pages::{archive as dates, article, compare, downloads, feeds, history, lists, search};
    let timeout = config.request_timeout.unwrap_or(REQUEST_TIMEOUT);
    let body_timeout = config.body_timeout.unwrap_or(BODY_TIMEOUT);
    let limits = RateLimits {
        writes: limits::Limit::per_minute(config.write_rate_limit),
        searches: limits::Limit::per_minute(config.search_rate_limit),
        downloads: limits::Limit::per_minute(config.download_rate_limit),
    };
    let (api, api_doc) = api::router(timeout);
    let state = AppState(Arc::new(Shared {
        archive: archive.clone(),
        pages: cache::PageCache::new(config.page_cache_bytes),
        config,
        limits,
        api_doc,
        validators: std::sync::Mutex::new(None),
    }));
    let pages = Router::new()
        .route("/", get(lists::home))
        .route("/articles/{id}", get(article::without_slug))
        .route("/articles/{id}/{slug}", get(article::page))
        .route("/articles/{id}/{slug}/history", get(history::page))
        .route("/changes.atom", get(feeds::changes_feed))
        .route("/search", get(search::page))
        .route("/search/help", get(search::help))
        .route("/compare", get(compare::page))
        .route("/compare.csv", get(compare::csv))
        .route("/compare.json", get(compare::json))
        .route("/search/histogram.csv", get(search::histogram_csv))
        .route("/search.atom", get(feeds::search_feed))
        .route("/api", get(pages::api_docs::page))
        .route("/archive", get(dates::index))
        .route("/archive/undated", get(dates::undated))
        .route("/archive/{year}", get(dates::year))
        .route("/archive/{year}/{month}", get(dates::month))
        .route("/archive/{year}/{month}/{day}", get(dates::day))
        .route("/sources", get(lists::sources))
        .route("/sources/{name}", get(lists::source))
        .route("/sections", get(lists::sections))
        .route("/sections/{name}", get(lists::section))
        .route("/tags", get(lists::tags))
        .route("/tags/{name}", get(lists::tag))
        .route("/authors", get(lists::authors))
        .route("/authors/{name}", get(lists::author))
        .route("/feed.atom", get(feeds::archive_feed))
        .route("/sources/{name}/feed.atom", get(feeds::source_feed))
        .route("/sections/{name}/feed.atom", get(feeds::section_feed))
        .route("/tags/{name}/feed.atom", get(feeds::tag_feed))
        .route("/authors/{name}/feed.atom", get(feeds::author_feed))
        .route("/sitemap.xml", get(feeds::sitemap))
        .route("/sitemaps/{part}", get(feeds::sitemap_part))
        .route("/robots.txt", get(feeds::robots))
        .fallback(pages::not_found)
        .method_not_allowed_fallback(pages::method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            conditional_get,
        ))
        .layer(request_timeout(timeout));
    // Streamed as the client reads: neither cached nor held to the page timeout.
    let downloads = Router::new()
        .route("/search.csv", get(downloads::csv))
        .route("/search.ndjson", get(downloads::ndjson));
    let routes = Router::new()
        .merge(pages)
        .merge(downloads)
        .merge(api)
        .route(&STYLESHEET_PATH, get(stylesheet))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            limits::rate_limit,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), check_host))
        // Inside the routes, where the matched route is known for the log
        // and the metrics' labels.
        .layer(middleware::from_fn_with_state(archive, observe))
        .with_state(state);
    // What every answer gets, wrapped once around the whole router rather
    // than around each route (`Router::layer` boxes every route again for
    // each layer, and each request clones that stack).
    let outer = tower::ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(middleware::from_fn(readable_errors))
        .layer(CompressionLayer::new())
        .layer(RequestBodyTimeoutLayer::new(body_timeout))
        .service(routes);
    Router::new().fallback_service(outer)
}

tokio::task_local! {
    /// The id of the request being handled, for logs and error answers.
    static REQUEST_ID: String;
}

/// The id of the request this task handles (`-` outside a request). An
/// error answer names it and the log line of the error carries it, so a
/// report of a failure can be found in the logs.
pub fn request_id() -> String {
    REQUEST_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| "-".to_owned())
}

/// A request id: 16 hex digits, unique within a run of the server and
/// unlikely to repeat across runs (a random start, then counting: no system
/// call per request).
fn new_request_id() -> String {
    static NEXT: LazyLock<std::sync::atomic::AtomicU64> = LazyLock::new(|| {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).expect("the operating system's random source works");
        std::sync::atomic::AtomicU64::new(u64::from_le_bytes(bytes))
    });
    let id = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{id:016x}")
}

/// One log line and one metrics sample per request: request id, method,
/// route pattern, status and duration. Never headers or query strings, so
/// never a token. The id goes back to the client as `X-Request-Id`.
async fn observe(State(archive): State<Archive>, request: Request, next: Next) -> Response {
    let id = new_request_id();
    let mut response = REQUEST_ID
        .scope(id.clone(), observed(archive, request, next, id.clone()))
        .await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

async fn observed(archive: Archive, request: Request, next: Next, id: String) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let route = matched.as_ref().map_or("(no route)", MatchedPath::as_str);
    let uri = request.uri().clone();
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    tracing::info!(
        target: "newsarchive::access",
        request_id = %id,
        method = %method,
        route = %route,
        path = %uri.path(),
        status,
        duration_ms = elapsed.as_secs_f64() * 1_000.0,
        "request"
    );
    // Clients may invent methods; only the standard ones get their own series.
    let method_label = match method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    };
    archive
        .metrics()
        .record_request(method_label, route, status, elapsed.as_secs_f64());
    response
}

/// Answers 408 when handling a request takes longer than `limit`.
pub fn request_timeout(limit: Duration) -> TimeoutLayer {
    TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, limit)
}

/// Error answers made by middleware (a timeout, say) come without a body:
/// give them the same readable page or problem+json as every other error.
async fn readable_errors(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error())
        || response.headers().contains_key(header::CONTENT_TYPE)
    {
        return response;
    }
    let title = status.canonical_reason().unwrap_or("Error");
    let detail = if status == StatusCode::REQUEST_TIMEOUT {
        "The request took longer than the server allows; please try again.".to_owned()
    } else {
        title.to_owned()
    };
    let slug = title.to_ascii_lowercase().replace(' ', "-");
    let mut readable = error::error_for(&path, status, &slug, title, detail);
    for (name, value) in response.headers() {
        if !readable.headers().contains_key(name) {
            readable.headers_mut().insert(name.clone(), value.clone());
        }
    }
    readable
}

/// Pages depend only on the archive's content, so the value the indexer
/// publishes (generation and applied change) names their version. The
/// request takes that value once and renders from it (searches in the
/// handler use it too), so a page's ETag and cache key name exactly what it
/// was rendered from: a reload whose `If-None-Match` still matches gets a
/// 304 without rendering anything, and a page already rendered from this
/// version is served from the page cache without touching the database.
/// While the index has yet to apply a write this process made, the version
/// also names this process's write count (so a writer sees its write at
/// once); while searches wait for a start-up rebuild, pages are rendered
/// afresh and carry no ETag.
async fn conditional_get(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return next.run(request).await;
    }
    let published = state.archive.published();
    let Some(version) = state.archive.page_version(&published) else {
        return crate::indexer::with_view(published, next.run(request)).await;
    };
    let validators = state.validators(&version, published.changed_at);
    let etag = validators.etag.to_str().unwrap_or_default();
    let matches = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, validators.etag)]).into_response();
    }
    let key = (request.method() == Method::GET && state.pages.is_enabled()).then(|| cache::Key {
        version,
        host: request
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        target: request.uri().to_string(),
    });
    let render = async {
        match key {
            Some(key) => match state.pages.get(&key) {
                Some(page) => page,
                None => state.pages.keep(key, next.run(request).await).await,
            },
            None => next.run(request).await,
        }
    };
    let mut response = crate::indexer::with_view(published, render).await;
    if response.status() == StatusCode::OK {
        let headers = response.headers_mut();
        headers.insert(header::ETAG, validators.etag);
        if let Some(value) = validators.last_modified {
            headers.insert(header::LAST_MODIFIED, value);
        }
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    response
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

/// Serves the application on `listener` until `shutdown` completes, then
/// stops accepting connections and lets in-flight requests finish (bounded
/// by the configured grace period). The caller closes the archive after.
pub async fn serve(
    archive: Archive,
    config: Config,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    tracing::info!("newsarchive listening on http://{}", listener.local_addr()?);
    let connections = config.connections.clone();
    server::run(listener, router(archive, config), &connections, shutdown).await;
    Ok(())
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
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

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt as _;

    use super::*;

    async fn answer(uri: &str) -> Response {
        let app = Router::new()
            .route("/slow", get(|| async { StatusCode::REQUEST_TIMEOUT }))
            .route(
                "/api/slow",
                get(|| async { (StatusCode::REQUEST_TIMEOUT, [(header::RETRY_AFTER, "5")]) }),
            )
            .layer(middleware::from_fn(readable_errors));
        app.oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn bodiless_errors_get_a_readable_page_or_a_problem() {
        let page = answer("/slow").await;
        assert_eq!(page.status(), StatusCode::REQUEST_TIMEOUT);
        assert!(
            page.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let api = answer("/api/slow").await;
        assert_eq!(
            api.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        assert_eq!(
            api.headers()[header::RETRY_AFTER],
            "5",
            "the original headers are kept"
        );
        let body = axum::body::to_bytes(api.into_body(), 10_000).await.unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["status"], 408);
        assert_eq!(json["type"], "urn:newsarchive:problem:request-timeout");
    }
}
