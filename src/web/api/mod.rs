//! The JSON API under `/api/v1`, and `/healthz`. Errors are problem+json.

mod articles;
mod auth;
mod import;
mod lists;
pub mod openapi;

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::openapi::OpenApi;
use utoipa::{IntoParams, PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiError, AppState, request_timeout};
use crate::archive::Archive;
use crate::article::{Article, Source, format_date};
use openapi::problem;

/// Most results one search request may ask for.
const MAX_LIMIT: usize = 100;
/// Deepest offset a search request may ask for (deep paging comes with cursors).
const MAX_OFFSET: usize = 100_000;

/// Largest JSON body a write may send.
const JSON_BODY_LIMIT: usize = 1024 * 1024;

/// The API's routes (`/api/v1`, `/healthz`, `/api/openapi.json`) and the
/// OpenAPI document describing them, built together from the same handlers.
/// Requests get `timeout`, but for imports, which get [`import::IMPORT_TIMEOUT`].
pub fn router(timeout: Duration) -> (Router<AppState>, Arc<OpenApi>) {
    let (v1, v1_doc) = OpenApiRouter::<AppState>::new()
        .routes(routes!(lists::articles, articles::create))
        .routes(routes!(
            lists::article,
            articles::replace,
            articles::patch,
            articles::delete
        ))
        .routes(routes!(search))
        .routes(routes!(lists::sources))
        .routes(routes!(lists::sections))
        .routes(routes!(lists::tags))
        .routes(routes!(lists::authors))
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .layer(request_timeout(timeout))
        // Streamed, so it counts its own bytes against its larger limit,
        // and given the time a large file takes.
        .routes(routes!(import::import))
        .route_layer(request_timeout(import::IMPORT_TIMEOUT.max(timeout)))
        .split_for_parts();
    let (top, top_doc) = OpenApiRouter::<AppState>::new()
        .routes(routes!(healthz))
        .layer(request_timeout(timeout))
        .split_for_parts();
    let doc = Arc::new(openapi::document(top_doc.nest("/api/v1", v1_doc)));
    let json = Arc::new(serde_json::to_string_pretty(&*doc).expect("the document serialises"));
    let v1 = v1
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);
    let router = top
        .nest("/api/v1", v1)
        .route(
            "/api/openapi.json",
            get(move || async move {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    (*json).clone(),
                )
            }),
        )
        .method_not_allowed_fallback(method_not_allowed);
    (router, doc)
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
#[derive(Serialize, ToSchema)]
#[schema(as = Article)]
pub struct ArticleJson {
    pub id: i64,
    /// The headline as a URL path segment.
    pub slug: String,
    /// Goes up by one with every change; sent as the `ETag`.
    pub revision: i64,
    pub headline: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subheading: Option<String>,
    pub authors: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub published_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    pub paragraphs: Vec<String>,
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// When the archive first received the article.
    #[schema(format = DateTime)]
    pub ingested_at: String,
    pub word_count: i64,
    /// sha256 over the supplied fields: equal hashes mean equal content.
    pub content_hash: String,
    /// The article's page on this site.
    pub path: String,
}

impl From<&Article> for ArticleJson {
    fn from(article: &Article) -> Self {
        let content = article.content.clone();
        ArticleJson {
            id: article.id,
            slug: article.slug.clone(),
            revision: article.revision,
            headline: content.headline,
            subheading: content.subheading,
            authors: content.authors,
            source: content.source,
            url: content.url,
            published_at: content.published_at.as_ref().map(format_date),
            section: content.section,
            tags: content.tags,
            language: content.language,
            paragraphs: content.paragraphs,
            updated_at: format_date(&article.updated_at),
            ingested_at: format_date(&article.ingested_at),
            word_count: article.word_count,
            content_hash: article.content_hash.clone(),
            path: article.path(),
        }
    }
}

/// An article cut down by `fields=`: the fields asked for, and always `id`.
pub struct ArticleFields;

impl PartialSchema for ArticleFields {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        let mut schema = ArticleJson::schema();
        if let utoipa::openapi::RefOr::T(utoipa::openapi::Schema::Object(object)) = &mut schema {
            object.required = vec!["id".to_owned()];
            object.description =
                Some("An article with the fields `fields=` asked for (all when not given); `id` always comes.".into());
        }
        schema
    }
}

impl ToSchema for ArticleFields {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        <ArticleJson as ToSchema>::schemas(schemas);
    }
}

/// The names of an article's fields in API responses, for `fields=`.
pub static ARTICLE_FIELDS: LazyLock<Vec<String>> = LazyLock::new(|| match ArticleJson::schema() {
    utoipa::openapi::RefOr::T(utoipa::openapi::Schema::Object(object)) => {
        object.properties.keys().cloned().collect()
    }
    _ => Vec::new(),
});

/// The numeric id in a path, or a 404 naming it.
pub fn article_id(id: &str) -> Result<i64, ApiError> {
    id.parse()
        .map_err(|_| ApiError::not_found(format!("there is no article with id `{id}`")))
}

/// An article as JSON with its revision as the `ETag`.
pub fn article_response(article: &Article) -> Response {
    let etag = HeaderValue::from_str(&format!("\"{}\"", article.revision))
        .expect("digits are a valid header");
    ([(header::ETAG, etag)], Json(ArticleJson::from(article))).into_response()
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct SearchParams {
    /// The query: words (all required), `"phrases"`, `OR`, `-word`, `field:value`.
    /// Must hold a character that is not white space (the pattern), and at
    /// most 1,000 characters; parentheses nest at most 20 deep.
    #[param(
        required = true,
        max_length = 1000,
        pattern = r"[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028-\u2029\u202f\u205f\u3000]"
    )]
    q: Option<String>,
    /// Results per page, 1 to 100 (default 10).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<usize>,
    /// Results to skip, up to 100,000 (default 0).
    #[param(maximum = 100_000)]
    offset: Option<usize>,
}

#[derive(Serialize, ToSchema)]
struct SearchJson {
    /// The query as given.
    query: String,
    /// How many articles match.
    total: u64,
    limit: usize,
    offset: usize,
    /// Parts of the query that were ignored.
    ignored: Vec<String>,
    results: Vec<SearchResultJson>,
}

#[derive(Serialize, ToSchema)]
struct SearchResultJson {
    id: i64,
    headline: String,
    /// The article's page on this site.
    path: String,
    source: Option<String>,
    authors: Vec<String>,
    #[schema(format = DateTime)]
    published_at: Option<String>,
    /// Relevance (BM25); higher is better.
    score: f32,
    /// HTML: escaped text with matched words in `<mark>`.
    snippet: Option<String>,
    /// 1-based number of the paragraph the snippet comes from (`#p{n}` on the page).
    snippet_paragraph: Option<usize>,
}

/// Full-text search, best matches first.
#[utoipa::path(
    get,
    path = "/search",
    tag = "search",
    params(SearchParams),
    responses(
        (status = 200, description = "One page of results", body = SearchJson),
        (status = 400, response = problem::BadRequest),
        (status = 429, response = problem::TooManyRequests),
        (status = 503, response = problem::Unavailable),
    )
)]
async fn search(
    State(archive): State<Archive>,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Json<SearchJson>, ApiError> {
    let query = params.q.unwrap_or_default();
    if query.chars().all(crate::article::is_blank) {
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
    let page = match archive.search(&query, limit, offset).await {
        // Characters but no word to look for: nothing matches, and we say why.
        Err(crate::archive::Error::Query(empty @ crate::search::QueryError::Empty)) => {
            crate::archive::SearchPage {
                total: 0,
                results: Vec::new(),
                ignored: vec![empty.to_string()],
            }
        }
        other => other?,
    };
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

#[derive(Serialize, ToSchema)]
pub struct HealthJson {
    /// Always `ok`.
    status: &'static str,
    /// Articles in the archive.
    articles: i64,
    /// Number of the last change written to the database.
    last_change: i64,
    /// Number of the last change the search index has applied.
    indexed_change: i64,
    /// Changes written to the database but not yet searchable.
    index_lag: i64,
}

/// Whether the archive answers: its article count and how far the index lags the database.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "service",
    responses(
        (status = 200, description = "The archive answers", body = HealthJson),
        (status = 503, response = problem::Unavailable),
    )
)]
pub async fn healthz(State(archive): State<Archive>) -> Result<Json<HealthJson>, ApiError> {
    let health = archive.health().await?;
    Ok(Json(HealthJson {
        status: "ok",
        articles: health.articles,
        last_change: health.last_change,
        indexed_change: health.indexed_change,
        index_lag: health.index_lag,
    }))
}
