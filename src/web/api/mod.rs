//! The JSON API under `/api/v1`, and the service endpoints (`/healthz`,
//! `/readyz`, `/metrics`). Errors are problem+json.

mod articles;
mod auth;
mod export;
mod feeds;
mod import;
mod lists;
pub mod openapi;
mod revisions;
pub mod schemas;
mod service;

use std::collections::BTreeMap;
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
use utoipa::{IntoParams, PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiError, AppState, request_timeout};
use crate::archive::Archive;
use crate::article::{Article, Source, format_date};
use crate::research::terms;
use crate::search::{self, Facet, Interval, Sort};
use openapi::problem;

/// Most results one search request may ask for.
const MAX_LIMIT: usize = 100;
/// Most values one facet may list in an answer.
const MAX_FACET_LIMIT: usize = 1_000;

/// Largest JSON body a write may send.
const JSON_BODY_LIMIT: usize = 1024 * 1024;

/// The API's routes (`/api/v1`, the service endpoints, `/api/openapi.json`) and the
/// OpenAPI document describing them, built together from the same handlers.
/// Requests get `timeout`, but for imports, which get [`import::IMPORT_TIMEOUT`].
pub fn router(timeout: Duration) -> (Router<AppState>, Arc<serde_json::Value>) {
    let (v1, v1_doc) = OpenApiRouter::<AppState>::new()
        .routes(routes!(lists::articles, articles::create))
        .routes(routes!(
            lists::article,
            articles::replace,
            articles::patch,
            articles::delete
        ))
        .routes(routes!(lists::versions))
        .routes(routes!(revisions::list))
        .routes(routes!(revisions::one))
        .routes(routes!(feeds::list, feeds::follow))
        .routes(routes!(feeds::feed, feeds::unfollow))
        .routes(routes!(search))
        .routes(routes!(export::export))
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
        .routes(routes!(service::healthz))
        .routes(routes!(service::readyz))
        .routes(routes!(service::metrics))
        .layer(request_timeout(timeout))
        .split_for_parts();
    let doc = openapi::document(top_doc.nest("/api/v1", v1_doc));
    let json = Arc::new(serde_json::to_string_pretty(&doc).expect("the document serialises"));
    let doc = Arc::new(serde_json::to_value(&doc).expect("the document serialises"));
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
        let pairs =
            serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(query.as_bytes()));
        // The error names the parameter (`limit=many`: "`limit`: invalid digit…").
        serde_path_to_error::deserialize(pairs)
            .map(ApiQuery)
            .map_err(|e| {
                let name = e.path().to_string();
                let why = e.into_inner();
                if name == "." {
                    ApiError::bad_request(format!("bad query parameter: {why}"))
                } else {
                    ApiError::bad_request(format!("bad query parameter `{name}`: {why}"))
                }
            })
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
    #[schema(value_type = Option<schemas::SourceDoc>)]
    pub source: Option<Source>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub published_at: Option<String>,
    /// When the publisher last changed the story, as its page or feed said.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub modified_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    pub paragraphs: Vec<String>,
    /// True when the body is only a feed's summary, not the full story.
    pub summary_only: bool,
    /// Every paragraph as imported, when some that its source repeats on
    /// every page (learned boilerplate) are hidden from `paragraphs`; the
    /// archive's record keeps them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub captured_paragraphs: Option<Vec<String>>,
    /// The story this article tells: articles with the same `story_id` are
    /// copies of one story (syndicated, or lightly edited); list them with
    /// `/api/v1/articles/{id}/versions`. Equal to `id` for a story of one.
    pub story_id: i64,
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
            modified_at: content.modified_at.as_ref().map(format_date),
            section: content.section,
            tags: content.tags,
            language: content.language,
            paragraphs: content.paragraphs,
            summary_only: content.summary_only,
            captured_paragraphs: article.captured.clone(),
            story_id: article.story_id,
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
    /// The query: words (all required), `"phrases"`, `OR`, `-word`,
    /// `field:value` (headline, body, author or byline, source, section,
    /// tag, language) and `published:2022-05` or
    /// `published:[2022-05-01 TO 2022-05-31]`. Must hold a character that is
    /// not white space (the pattern), and at most 1,000 characters;
    /// parentheses nest at most 20 deep.
    #[param(
        required = true,
        max_length = 1000,
        pattern = r"[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028-\u2029\u202f\u205f\u3000\ufffe-\uffff]"
    )]
    q: Option<String>,
    #[param(schema_with = lists::from_schema)]
    from: Option<String>,
    #[param(schema_with = lists::to_schema)]
    to: Option<String>,
    /// Only articles from this source (its exact name).
    source: Option<String>,
    /// Only articles in this section.
    section: Option<String>,
    /// Only articles with this tag.
    tag: Option<String>,
    /// Only articles with this author in the byline.
    author: Option<String>,
    /// Only articles in this language: a tag such as `fr`, matched by its
    /// primary language (`fr-CA` and `fr` ask the same).
    language: Option<String>,
    /// `relevance` (default), `newest` or `oldest`. With a `cursor`, the
    /// results go on in the order the cursor was given for.
    #[param(value_type = Option<schemas::SortDoc>, inline)]
    sort: Option<Sort>,
    /// Results per page, 1 to 100 (default 10).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<usize>,
    #[param(schema_with = search_cursor_schema)]
    cursor: Option<String>,
    /// What to count the matches by, e.g. `source,year`: every year, and
    /// the most common values of the others (`facet_limit` of them).
    #[param(value_type = Option<Vec<schemas::FacetDoc>>, style = Form, explode = false, min_items = 1, inline)]
    facets: Option<String>,
    /// How many values each facet but `year` lists, most common first: 1 to 1,000 (default 10).
    #[param(minimum = 1, maximum = 1000)]
    facet_limit: Option<usize>,
    /// Matches per `day`, `month` or `year`; `auto` chooses from their span.
    #[param(value_type = Option<schemas::IntervalDoc>, inline)]
    histogram: Option<Interval>,
    /// `true`: every copy of a story. By default a story told by several
    /// articles (syndicated copies, edited versions) appears once, as its
    /// best-matching article, with `versions` saying how many there are.
    all_versions: Option<bool>,
    /// Which article fields each result has besides `score` and the snippet
    /// (default `headline,path,source,authors,published_at,url`; `id` always comes).
    #[param(value_type = Option<Vec<lists::ArticleField>>, style = Form, explode = false, min_items = 1)]
    fields: Option<String>,
    /// Also list up to this many words and two-word phrases (1 to 50) that
    /// are much more common in the matches than in the archive as a whole,
    /// best first: counted in the best-matching article of each story, up
    /// to 100 of them (`terms_sample` says how many), stop words of each
    /// article's language and the query's own words left out.
    #[param(minimum = 1, maximum = 50)]
    terms: Option<usize>,
}

/// The search cursor: the last result of the page before, in its sort.
fn search_cursor_schema() -> utoipa::openapi::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .pattern(Some("^[rno][0-9a-f]{1,16}\\.[0-9]{1,19}$"))
        .description(Some(
            "Where the page starts: the `next_cursor` of the page before, with the same `sort`. \
             Pages go on from the result they follow, so a deep page costs little more than the first.",
        ))
        .build()
}

/// The article fields a search result has unless `fields=` says otherwise.
const RESULT_FIELDS: &str = "headline,path,source,authors,published_at,url";

#[derive(Serialize, ToSchema)]
struct SearchJson {
    /// The query as given.
    query: String,
    /// How many articles match.
    total: u64,
    limit: usize,
    results: Vec<SearchResultJson>,
    /// Pass as `cursor` for the next page; null on the last page.
    next_cursor: Option<String>,
    /// Per facet asked for, its most common values among the matches.
    #[serde(skip_serializing_if = "Option::is_none")]
    facets: Option<BTreeMap<String, Vec<FacetValueJson>>>,
    /// The facets whose matches have more values than `facets` lists: ask
    /// again with a larger `facet_limit` for more of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    facets_more: Option<Vec<String>>,
    /// Matches per period, oldest first, empty periods included.
    #[serde(skip_serializing_if = "Option::is_none")]
    histogram: Option<Vec<BucketJson>>,
    /// The interval of `histogram`: `day`, `month` or `year`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<schemas::IntervalDoc>, inline)]
    histogram_interval: Option<Interval>,
    /// True when too few articles had every word, and the results have all
    /// but one of them (articles with every word still first).
    relaxed: bool,
    /// When nothing matches: the query with unknown words replaced by
    /// close words the archive has ("did you mean").
    suggestion: Option<String>,
    /// Parts of the query that were ignored, and why.
    warnings: Vec<String>,
    /// With `terms=N`: what sets these matches apart, most first.
    #[serde(skip_serializing_if = "Option::is_none")]
    terms: Option<Vec<TermJson>>,
    /// With `terms=N`: how many matches the terms were counted in.
    #[serde(skip_serializing_if = "Option::is_none")]
    terms_sample: Option<usize>,
}

#[derive(Serialize, ToSchema)]
struct TermJson {
    /// A word or two-word phrase, as the matches most often write it.
    term: String,
    /// Sampled matches that hold it.
    matches: u64,
    /// `matches` over `terms_sample`.
    share: f64,
    /// How much more common it is in the matches than in the archive
    /// (JLH, as Elasticsearch's significant terms): higher sets them apart more.
    score: f64,
}

#[derive(Serialize, ToSchema)]
struct FacetValueJson {
    value: String,
    count: u64,
}

#[derive(Serialize, ToSchema)]
struct BucketJson {
    /// `2022`, `2022-05` or `2022-05-16`.
    date: String,
    count: u64,
}

#[derive(Serialize, ToSchema)]
struct SearchResultJson {
    /// Relevance (BM25, higher is better); null when sorted by date.
    score: Option<f32>,
    /// HTML: the escaped headline with matched words in `<mark>`.
    headline_html: String,
    /// HTML: escaped text with matched words in `<mark>`.
    snippet: Option<String>,
    /// 1-based number of the paragraph the snippet comes from (`#p{n}` on the page).
    snippet_paragraph: Option<usize>,
    /// How many articles tell this story; above 1, list them with
    /// `/api/v1/articles/{id}/versions` or search with `all_versions=true`.
    versions: i64,
    /// The article fields asked for with `fields=`, beside the above.
    #[serde(flatten)]
    #[schema(value_type = ArticleFields)]
    article: serde_json::Value,
}

/// Full-text search with filters, sorting, facets and a date histogram.
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
    let query = required_query(params.q)?;
    let limit = params.limit.unwrap_or(10);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "`limit` must be between 1 and {MAX_LIMIT}"
        )));
    }
    let facet_values = params.facet_limit.unwrap_or(search::FACET_VALUES);
    if !(1..=MAX_FACET_LIMIT).contains(&facet_values) {
        return Err(ApiError::bad_request(format!(
            "`facet_limit` must be between 1 and {MAX_FACET_LIMIT}"
        )));
    }
    let after = params
        .cursor
        .as_deref()
        .map(|c| {
            c.parse::<search::Cursor>().map_err(|_| {
                ApiError::bad_request(
                    "`cursor` is not one this API gives out: pass `next_cursor` back unchanged",
                )
            })
        })
        .transpose()?;
    let fields = lists::parse_fields(Some(params.fields.as_deref().unwrap_or(RESULT_FIELDS)))?;
    if let Some(n) = params.terms
        && !(1..=terms::MAX_TERMS).contains(&n)
    {
        return Err(ApiError::bad_request(format!(
            "`terms` must be between 1 and {}",
            terms::MAX_TERMS
        )));
    }
    let request = search::Request {
        limit,
        after,
        sort: params.sort.unwrap_or_default(),
        filters: search::Filters {
            dates: lists::date_span(params.from.as_deref(), params.to.as_deref())?,
            source: params.source,
            section: params.section,
            tag: params.tag,
            author: params.author,
            language: params.language,
        },
        facets: parse_facets(params.facets.as_deref())?,
        facet_values,
        longer_facet: None,
        histogram: params.histogram,
        all_versions: params.all_versions.unwrap_or(false),
        // API clients page forward with `next_cursor`.
        previous: false,
    };
    let mut warnings = Vec::new();
    if let Some(asked) = params.sort.filter(|asked| *asked != request.order()) {
        warnings.push(format!(
            "`sort={}` was ignored: the cursor goes on with results sorted by {}",
            asked.name(),
            request.order().name()
        ));
    }
    let page = match archive.search(&query, &request).await {
        // Characters but no word to look for: nothing matches, and we say why.
        Err(crate::archive::Error::Query(empty @ search::QueryError::Empty)) => {
            crate::archive::SearchPage {
                total: 0,
                results: Vec::new(),
                ignored: vec![empty.to_string()],
                facets: Vec::new(),
                histogram: None,
                relaxed: false,
                suggestion: None,
                shown_before: 0,
                next: None,
                previous: None,
            }
        }
        other => other?,
    };
    let results = page
        .results
        .into_iter()
        .map(|r| SearchResultJson {
            score: r.score,
            headline_html: r.headline_html,
            snippet_paragraph: r.snippet.as_ref().map(|s| s.paragraph + 1),
            versions: r.versions,
            snippet: r.snippet.map(|s| s.html),
            article: lists::article_json(&r.article, fields.as_ref()),
        })
        .collect();
    let facets_more = (!request.facets.is_empty()).then(|| {
        page.facets
            .iter()
            .filter(|f| f.more)
            .map(|f| f.facet.name().to_owned())
            .collect()
    });
    let facets = (!request.facets.is_empty()).then(|| {
        page.facets
            .into_iter()
            .map(|f| {
                let values = f
                    .values
                    .into_iter()
                    .map(|(value, count)| FacetValueJson { value, count })
                    .collect();
                (f.facet.name().to_owned(), values)
            })
            .collect()
    });
    let found = match params.terms {
        Some(n) if page.total > 0 => {
            Some(terms::significant_terms(&archive, &query, &request, n).await?)
        }
        Some(_) => Some(terms::Terms {
            terms: Vec::new(),
            sample: 0,
        }),
        None => None,
    };
    let histogram_interval = page.histogram.as_ref().map(|h| h.interval);
    let histogram = page.histogram.map(|h| {
        h.buckets
            .into_iter()
            .map(|(date, count)| BucketJson { date, count })
            .collect()
    });
    Ok(Json(SearchJson {
        query,
        total: page.total,
        limit,
        results,
        next_cursor: page.next.map(|c| c.to_string()),
        facets,
        facets_more,
        histogram,
        histogram_interval,
        relaxed: page.relaxed,
        suggestion: page.suggestion,
        warnings: page.ignored.into_iter().chain(warnings).collect(),
        terms_sample: found.as_ref().map(|f| f.sample),
        terms: found.map(|f| {
            f.terms
                .into_iter()
                .map(|t| TermJson {
                    term: t.term,
                    matches: t.matches,
                    share: t.share,
                    score: t.score,
                })
                .collect()
        }),
    }))
}

/// `q`, which a search must have: something other than white space.
fn required_query(q: Option<String>) -> Result<String, ApiError> {
    let query = q.unwrap_or_default();
    if query.chars().all(crate::article::is_blank) {
        return Err(ApiError::bad_request(
            "`q` is required: give one or more words to search for",
        ));
    }
    Ok(query)
}

/// `facets=source,year`: what to count results by.
fn parse_facets(list: Option<&str>) -> Result<Vec<Facet>, ApiError> {
    let Some(list) = list else {
        return Ok(Vec::new());
    };
    let mut facets = Vec::new();
    for name in list.split(',') {
        let facet: Facet = serde_json::from_value(name.into()).map_err(|_| {
            ApiError::bad_request(format!(
                "`facets` names `{name}`; results can be counted by source, section, tag, author, language and year"
            ))
        })?;
        if !facets.contains(&facet) {
            facets.push(facet);
        }
    }
    Ok(facets)
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
