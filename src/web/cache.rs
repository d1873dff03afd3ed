//! The rendered-page cache: HTML pages and feeds kept in memory by the
//! published version they were rendered from, so a page read again before
//! anything changes is served without touching the database or the index.

use axum::body::{Body, Bytes, HttpBody as _};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use quick_cache::Weighter;
use quick_cache::sync::Cache;

/// Larger pages are served but not kept.
const MAX_PAGE_BYTES: u64 = 2 * 1024 * 1024;
/// What one entry costs besides its body (key, headers, bookkeeping).
const ENTRY_OVERHEAD: u64 = 1024;

/// What a page's rendering depends on: the archive's content (the
/// published version it was rendered from: index generation and applied
/// change), the host it is addressed by (canonical links use it when no
/// public URL is set) and the path with its query string.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    pub version: std::sync::Arc<str>,
    pub host: String,
    pub target: String,
}

#[derive(Clone)]
struct Page {
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Clone)]
struct BodySize;

impl Weighter<Key, Page> for BodySize {
    fn weight(&self, key: &Key, page: &Page) -> u64 {
        page.body.len() as u64 + (key.host.len() + key.target.len()) as u64 + ENTRY_OVERHEAD
    }
}

/// Rendered pages, least recently used dropped first, within a byte budget.
pub struct PageCache {
    pages: Option<Cache<Key, Page, BodySize>>,
}

impl PageCache {
    /// A cache holding at most `bytes` of pages; 0 turns caching off.
    pub fn new(bytes: u64) -> PageCache {
        let pages = (bytes > 0).then(|| {
            let estimated = usize::try_from(bytes / 16_384)
                .unwrap_or(usize::MAX)
                .max(16);
            Cache::with_weighter(estimated, bytes, BodySize)
        });
        PageCache { pages }
    }

    pub fn is_enabled(&self) -> bool {
        self.pages.is_some()
    }

    /// The page rendered for `key`, if it is kept.
    pub fn get(&self, key: &Key) -> Option<Response> {
        let page = self.pages.as_ref()?.get(key)?;
        let mut response = Response::new(Body::from(page.body));
        *response.headers_mut() = page.headers;
        Some(response)
    }

    /// Keeps a successful response under `key` and returns it for sending.
    /// Responses other than a complete 200 of known, modest size pass
    /// through untouched.
    pub async fn keep(&self, key: Key, response: Response) -> Response {
        let Some(pages) = &self.pages else {
            return response;
        };
        let size = response.body().size_hint().exact();
        if response.status() != StatusCode::OK || size.is_none_or(|n| n > MAX_PAGE_BYTES) {
            return response;
        }
        let (parts, body) = response.into_parts();
        let body = match axum::body::to_bytes(body, MAX_PAGE_BYTES as usize).await {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::warn!(error = %e, "a rendered page could not be read back");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        };
        pages.insert(
            key,
            Page {
                headers: parts.headers.clone(),
                body: body.clone(),
            },
        );
        Response::from_parts(parts, Body::from(body))
    }
}
