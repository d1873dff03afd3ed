//! The JSON API under `/api/v1`, and `/healthz`. Errors are problem+json.

mod articles;
mod auth;
mod import;
mod lists;

use axum::extract::DefaultBodyLimit;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{ApiError, AppState};
use crate::archive::Archive;
use crate::article::{Article, format_date};

/// Most results one search request may ask for.
const MAX_LIMIT: usize = 100;
/// Deepest offset a search request may ask for (deep paging comes with cursors).
const MAX_OFFSET: usize = 100_000;

/// Largest JSON body a write may send.
const JSON_BODY_LIMIT: usize = 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/articles", get(lists::articles).post(articles::create))
        .route("/sources", get(lists::sources))
        .route("/sections", get(lists::sections))
        .route("/tags", get(lists::tags))
        .route("/authors", get(lists::authors))
        .route(
            "/articles/{id}",
            get(lists::article)
                .put(articles::replace)
                .patch(articles::patch)
                .delete(articles::delete),
        )
        .route("/search", get(search))
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        // Streamed, so it counts its own bytes against its larger limit.
        .route("/import", axum::routing::post(import::import))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

/// Query-string parameters; unknown or malformed ones get a problem+json 400.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str(query)
            .map(ApiQuery)
            .map_err(|e| ApiError::bad_request(format!("bad query parameter: {e}")))
    }
}

/// An article in API responses: the import format's fields plus the archive's own.
#[derive(Serialize)]
pub struct ArticleJson<'a> {
    #[serde(flatten)]
    article: &'a Article,
    path: String,
}

/// The numeric id in a path, or a 404 naming it.
pub fn article_id(id: &str) -> Result<i64, ApiError> {
    id.parse()
        .map_err(|_| ApiError::not_found(format!("there is no article with id `{id}`")))
}

/// An article as JSON with its revision as the `ETag`.
pub fn article_response(article: &Article) -> Response {
    let etag = HeaderValue::from_str(&format!("\"{}\"", article.revision))
        .expect("digits are a valid header");
    let body = Json(ArticleJson {
        path: article.path(),
        article,
    });
    ([(header::ETAG, etag)], body).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchParams {
    q: Option<String>,
    limit: Option<usize>,
    offset: Option<usize>,
}

#[derive(Serialize)]
struct SearchJson {
    query: String,
    total: u64,
    limit: usize,
    offset: usize,
    /// Parts of the query that were ignored.
    ignored: Vec<String>,
    results: Vec<SearchResultJson>,
}

#[derive(Serialize)]
struct SearchResultJson {
    id: i64,
    headline: String,
    path: String,
    source: Option<String>,
    authors: Vec<String>,
    published_at: Option<String>,
    score: f32,
    /// HTML: escaped text with matched words in `<mark>`.
    snippet: Option<String>,
    /// 1-based number of the paragraph the snippet comes from (`#p{n}` on the page).
    snippet_paragraph: Option<usize>,
}

async fn search(
    State(archive): State<Archive>,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Json<SearchJson>, ApiError> {
    let query = params.q.unwrap_or_default();
    if query.trim().is_empty() {
        return Err(ApiError::bad_request(
            "`q` is required: give one or more words to search for",
        ));
    }
    let limit = params.limit.unwrap_or(10);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "`limit` must be between 1 and {MAX_LIMIT}"
        )));
    }
    let offset = params.offset.unwrap_or(0);
    if offset > MAX_OFFSET {
        return Err(ApiError::bad_request(format!(
            "`offset` must be at most {MAX_OFFSET}"
        )));
    }
    let page = archive.search(&query, limit, offset).await?;
    let results = page
        .results
        .into_iter()
        .map(|r| {
            let a = r.article;
            SearchResultJson {
                id: a.id,
                path: a.path(),
                headline: a.content.headline,
                source: a.content.source.map(|s| s.name),
                authors: a.content.authors,
                published_at: a.content.published_at.as_ref().map(format_date),
                score: r.score,
                snippet_paragraph: r.snippet.as_ref().map(|s| s.paragraph + 1),
                snippet: r.snippet.map(|s| s.html),
            }
        })
        .collect();
    Ok(Json(SearchJson {
        query,
        total: page.total,
        limit,
        offset,
        ignored: page.ignored,
        results,
    }))
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
        "this endpoint does not answer this method; see the README's API section",
    )
}

async fn not_found() -> ApiError {
    ApiError::not_found("no API endpoint at this address; see the README's API section")
}

#[derive(Serialize)]
pub struct HealthJson {
    status: &'static str,
    #[serde(flatten)]
    health: crate::archive::Health,
}

/// `/healthz`: 200 with the article count and how far the index lags the database.
pub async fn healthz(State(archive): State<Archive>) -> Result<Json<HealthJson>, ApiError> {
    let health = archive.health().await?;
    Ok(Json(HealthJson {
        status: "ok",
        health,
    }))
}
