//! Reading many: `GET /api/v1/articles` (filters, cursor pagination, `fields=`)
//! and the source, section, tag and author lists with article counts.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::openapi::Type;
use utoipa::openapi::schema::ObjectBuilder;
use utoipa::{IntoParams, ToSchema};

use super::openapi::problem;
use super::schemas::date_schema;
use super::{ARTICLE_FIELDS, ApiQuery, ArticleFields, ArticleJson, article_id};
use crate::archive::Archive;
use crate::article::{Article, format_date, parse_iso_date};
use crate::search::query::{DateSpan, end_of};
use crate::store::{ArticleFilter, NameKind};
use crate::web::ApiError;

/// Most articles one page may hold.
const MAX_LIMIT: i64 = 100;

/// The fields of an article in API responses, the values `fields=` names.
#[derive(Deserialize, ToSchema, Clone, Copy, Debug)]
#[serde(rename_all = "snake_case")]
pub enum ArticleField {
    Id,
    Slug,
    Revision,
    Headline,
    Subheading,
    Authors,
    Source,
    Url,
    PublishedAt,
    ModifiedAt,
    Section,
    Tags,
    Language,
    Paragraphs,
    SummaryOnly,
    CapturedParagraphs,
    StoryId,
    UpdatedAt,
    IngestedAt,
    WordCount,
    ContentHash,
    Path,
}

/// `fields=a,b,c`: which article fields to send (`id` always comes).
pub fn parse_fields(fields: Option<&str>) -> Result<Option<BTreeSet<String>>, ApiError> {
    let Some(list) = fields else { return Ok(None) };
    let mut chosen = BTreeSet::from(["id".to_owned()]);
    for field in list.split(',') {
        let known = serde_json::from_value::<ArticleField>(field.into()).is_ok();
        if !known {
            return Err(ApiError::bad_request(format!(
                "`fields` names `{field}`, which articles do not have; choose from {}",
                ARTICLE_FIELDS.join(", ")
            )));
        }
        chosen.insert(field.to_owned());
    }
    Ok(Some(chosen))
}

/// An article as JSON, cut down to `fields` when given.
pub fn article_json(article: &Article, fields: Option<&BTreeSet<String>>) -> serde_json::Value {
    let mut value =
        serde_json::to_value(ArticleJson::from(article)).expect("an article serialises");
    if let (Some(fields), Some(object)) = (fields, value.as_object_mut()) {
        object.retain(|key, _| fields.contains(key));
    }
    value
}

/// `cursor`: `<published as 14 digits>.<id>`, or `.<id>` for undated articles.
fn cursor_schema() -> utoipa::openapi::Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(r"^([0-9]{14})?\.[0-9]{1,18}$"))
        .description(Some(
            "Where the page starts: the `next_cursor` of the page before.",
        ))
        .build()
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only articles from this source (its exact name).
    #[param(pattern = r"^[^\u0000]*$")]
    source: Option<String>,
    /// Only articles in this section.
    #[param(pattern = r"^[^\u0000]*$")]
    section: Option<String>,
    /// Only articles with this tag.
    #[param(pattern = r"^[^\u0000]*$")]
    tag: Option<String>,
    /// Only articles with this author in the byline.
    #[param(pattern = r"^[^\u0000]*$")]
    author: Option<String>,
    /// Published on or after this date or date-time.
    #[param(schema_with = from_schema)]
    from: Option<String>,
    /// Published on or before this date (the whole day) or date-time.
    #[param(schema_with = to_schema)]
    to: Option<String>,
    /// Articles per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    #[param(schema_with = cursor_schema)]
    cursor: Option<String>,
    /// Which fields each article has (`id` always comes), e.g. `headline,url`.
    #[param(value_type = Option<Vec<ArticleField>>, style = Form, explode = false, min_items = 1)]
    fields: Option<String>,
}

pub fn from_schema() -> utoipa::openapi::schema::Schema {
    date_schema(
        false,
        "Only articles published on or after this date or date-time.",
    )
}

pub fn to_schema() -> utoipa::openapi::schema::Schema {
    date_schema(
        false,
        "Only articles published on or before this date (the whole day) or date-time.",
    )
}

#[derive(Serialize, ToSchema)]
struct ArticlePage {
    #[schema(value_type = Vec<ArticleFields>)]
    articles: Vec<serde_json::Value>,
    /// Pass as `cursor` to get the next page; null on the last page.
    next_cursor: Option<String>,
}

fn date_param(name: &str, value: &str) -> Result<DateTime<Utc>, ApiError> {
    parse_iso_date(value).ok_or_else(|| {
        ApiError::bad_request(format!(
            "`{name}` must be an ISO 8601 date or date-time such as 2022-05-16 or 2022-05-16T09:30:00Z, not `{value}`"
        ))
    })
}

/// `from` and `to` as a span: a date alone as `to` means the whole day.
pub fn date_span(from: Option<&str>, to: Option<&str>) -> Result<DateSpan, ApiError> {
    let from = from.map(|v| date_param("from", v)).transpose()?;
    let until = to
        .map(|v| date_param("to", v).map(|d| end_of(v, d)))
        .transpose()?;
    Ok(DateSpan { from, until })
}

fn encode_cursor(article: &Article) -> String {
    let published: String = article
        .content
        .published_at
        .as_ref()
        .map(format_date)
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    format!("{published}.{}", article.id)
}

/// The position a cursor names: the stored publication time (empty for
/// undated articles) and the id. Any cursor of the documented shape is a
/// position, so a hand-made one pages from there.
fn decode_cursor(cursor: &str) -> Result<(String, i64), ApiError> {
    let bad = || {
        ApiError::bad_request(
            "`cursor` is not one this API gives out: pass `next_cursor` back unchanged",
        )
    };
    let (published, id) = cursor.split_once('.').ok_or_else(bad)?;
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !(published.is_empty() || published.len() == 14 && digits(published))
        || !(1..=18).contains(&id.len())
        || !digits(id)
    {
        return Err(bad());
    }
    let key = if published.is_empty() {
        String::new()
    } else {
        let p = published;
        format!(
            "{}-{}-{}T{}:{}:{}Z",
            &p[..4],
            &p[4..6],
            &p[6..8],
            &p[8..10],
            &p[10..12],
            &p[12..]
        )
    };
    Ok((key, id.parse().map_err(|_| bad())?))
}

/// Articles, newest first, filtered, a page at a time. The cursor is stable
/// while articles are added.
#[utoipa::path(
    get,
    path = "/articles",
    tag = "articles",
    params(ListParams),
    responses(
        (status = 200, description = "One page of articles", body = ArticlePage),
        (status = 400, response = problem::BadRequest),
        (status = 503, response = problem::Unavailable),
    )
)]
pub async fn articles(
    State(archive): State<Archive>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Response, ApiError> {
    let limit = params.limit.unwrap_or(20);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "`limit` must be between 1 and {MAX_LIMIT}"
        )));
    }
    let fields = parse_fields(params.fields.as_deref())?;
    let dates = date_span(params.from.as_deref(), params.to.as_deref())?;
    // No name holds a NUL; PostgreSQL could not even compare one.
    for (name, value) in [
        ("source", &params.source),
        ("section", &params.section),
        ("tag", &params.tag),
        ("author", &params.author),
    ] {
        if value.as_deref().is_some_and(|v| v.contains('\0')) {
            return Err(ApiError::bad_request(format!(
                "`{name}` holds a NUL character (\\0), which no {name} has"
            )));
        }
    }
    let filter = ArticleFilter {
        source: params.source,
        section: params.section,
        tag: params.tag,
        author: params.author,
        from: dates.from,
        until: dates.until,
        undated: false,
    };
    let after = params.cursor.as_deref().map(decode_cursor).transpose()?;
    // One more than asked tells whether another page follows.
    let mut found = archive
        .store()
        .list_after(&filter, after, limit + 1)
        .await?;
    let more = found.len() as i64 > limit;
    found.truncate(limit as usize);
    let next_cursor = if more {
        found.last().map(encode_cursor)
    } else {
        None
    };
    let articles = found
        .iter()
        .map(|a| article_json(a, fields.as_ref()))
        .collect();
    Ok(Json(ArticlePage {
        articles,
        next_cursor,
    })
    .into_response())
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FieldsParam {
    /// Which fields the article has (`id` always comes), e.g. `headline,url`.
    #[param(value_type = Option<Vec<ArticleField>>, style = Form, explode = false, min_items = 1)]
    fields: Option<String>,
}

/// The article a path's `{id}` names, or a 404 that says so.
/// A deleted article's id answers 410 Gone.
pub(super) async fn find_article(archive: &Archive, id: &str) -> Result<Article, ApiError> {
    let id = article_id(id)?;
    if let Some(article) = archive.store().article(id).await? {
        return Ok(article);
    }
    if archive.store().tombstone(id).await?.is_some() {
        return Err(ApiError::gone(id));
    }
    Err(ApiError::not_found(format!(
        "there is no article with id `{id}`"
    )))
}

/// One article, its revision as `ETag`.
#[utoipa::path(
    get,
    path = "/articles/{id}",
    tag = "articles",
    params(("id" = i64, Path, description = "The article's id"), FieldsParam),
    responses(
        (status = 200, description = "The article", body = ArticleFields, headers(
            ("ETag" = String, description = "The article's revision, for `If-Match`"),
        )),
        (status = 400, response = problem::BadRequest),
        (status = 404, response = problem::NotFound),
        (status = 410, response = problem::Gone),
        (status = 503, response = problem::Unavailable),
    )
)]
pub async fn article(
    State(archive): State<Archive>,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<FieldsParam>,
) -> Result<Response, ApiError> {
    let fields = parse_fields(params.fields.as_deref())?;
    let article = find_article(&archive, &id).await?;
    let mut response = super::article_response(&article);
    if fields.is_some() {
        let etag = response.headers().get(axum::http::header::ETAG).cloned();
        response = Json(article_json(&article, fields.as_ref())).into_response();
        if let Some(etag) = etag {
            response
                .headers_mut()
                .insert(axum::http::header::ETAG, etag);
        }
    }
    Ok(response)
}

/// Every article telling the same story as article `id` (itself included):
/// syndicated copies and lightly edited versions, first published first.
#[utoipa::path(
    get,
    path = "/articles/{id}/versions",
    tag = "articles",
    params(("id" = i64, Path, description = "The article's id"), FieldsParam),
    responses(
        (status = 200, description = "The story's articles, at most 200", body = Vec<ArticleFields>),
        (status = 400, response = problem::BadRequest),
        (status = 404, response = problem::NotFound),
        (status = 410, response = problem::Gone),
        (status = 503, response = problem::Unavailable),
    )
)]
pub async fn versions(
    State(archive): State<Archive>,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<FieldsParam>,
) -> Result<Json<Vec<serde_json::Value>>, ApiError> {
    let fields = parse_fields(params.fields.as_deref())?;
    let article = find_article(&archive, &id).await?;
    let versions = archive
        .store()
        .story_versions(article.story_id, 200)
        .await?;
    Ok(Json(
        versions
            .iter()
            .map(|a| article_json(a, fields.as_ref()))
            .collect(),
    ))
}

/// A name with the number of articles that carry it.
#[derive(Serialize, ToSchema)]
pub struct NameJson {
    name: String,
    count: i64,
}

async fn names(archive: Archive, kind: NameKind) -> Result<Vec<NameJson>, ApiError> {
    Ok(archive
        .store()
        .names(kind)
        .await?
        .into_iter()
        .map(|n| NameJson {
            name: n.name,
            count: n.count,
        })
        .collect())
}

#[derive(Serialize, ToSchema)]
pub struct Sources {
    sources: Vec<NameJson>,
}

#[derive(Serialize, ToSchema)]
pub struct Sections {
    sections: Vec<NameJson>,
}

#[derive(Serialize, ToSchema)]
pub struct Tags {
    tags: Vec<NameJson>,
}

#[derive(Serialize, ToSchema)]
pub struct Authors {
    authors: Vec<NameJson>,
}

/// Every source with its article count, by name.
#[utoipa::path(get, path = "/sources", tag = "lists", responses(
    (status = 200, description = "The sources", body = Sources),
    (status = 503, response = problem::Unavailable),
))]
pub async fn sources(State(archive): State<Archive>) -> Result<Json<Sources>, ApiError> {
    let sources = names(archive, NameKind::Source).await?;
    Ok(Json(Sources { sources }))
}

/// Every section with its article count, by name.
#[utoipa::path(get, path = "/sections", tag = "lists", responses(
    (status = 200, description = "The sections", body = Sections),
    (status = 503, response = problem::Unavailable),
))]
pub async fn sections(State(archive): State<Archive>) -> Result<Json<Sections>, ApiError> {
    let sections = names(archive, NameKind::Section).await?;
    Ok(Json(Sections { sections }))
}

/// Every tag with its article count, by name.
#[utoipa::path(get, path = "/tags", tag = "lists", responses(
    (status = 200, description = "The tags", body = Tags),
    (status = 503, response = problem::Unavailable),
))]
pub async fn tags(State(archive): State<Archive>) -> Result<Json<Tags>, ApiError> {
    let tags = names(archive, NameKind::Tag).await?;
    Ok(Json(Tags { tags }))
}

/// Every author with their article count, by name.
#[utoipa::path(get, path = "/authors", tag = "lists", responses(
    (status = 200, description = "The authors", body = Authors),
    (status = 503, response = problem::Unavailable),
))]
pub async fn authors(State(archive): State<Archive>) -> Result<Json<Authors>, ApiError> {
    let authors = names(archive, NameKind::Author).await?;
    Ok(Json(Authors { authors }))
}
