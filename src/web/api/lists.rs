//! Reading many: `GET /api/v1/articles` (filters, cursor pagination, `fields=`)
//! and the source, section, tag and author lists with article counts.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::{ApiQuery, ArticleJson, article_id};
use crate::archive::Archive;
use crate::article::{Article, format_date, parse_date};
use crate::store::{ArticleFilter, NameKind};
use crate::web::ApiError;

/// Most articles one page may hold.
const MAX_LIMIT: i64 = 100;

/// The fields an article has in API responses, for `fields=`.
const FIELDS: &[&str] = &[
    "id",
    "slug",
    "revision",
    "headline",
    "subheading",
    "authors",
    "source",
    "url",
    "published_at",
    "section",
    "tags",
    "language",
    "paragraphs",
    "updated_at",
    "ingested_at",
    "word_count",
    "content_hash",
    "path",
];

/// `fields=a,b,c`: which article fields to send (`id` always comes).
pub fn parse_fields(fields: Option<&str>) -> Result<Option<BTreeSet<String>>, ApiError> {
    let Some(list) = fields else { return Ok(None) };
    let mut chosen = BTreeSet::from(["id".to_owned()]);
    for field in list.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        if !FIELDS.contains(&field) {
            return Err(ApiError::bad_request(format!(
                "`fields` names `{field}`, which articles do not have; choose from {}",
                FIELDS.join(", ")
            )));
        }
        chosen.insert(field.to_owned());
    }
    Ok(Some(chosen))
}

/// An article as JSON, cut down to `fields` when given.
pub fn article_json(article: &Article, fields: Option<&BTreeSet<String>>) -> serde_json::Value {
    let mut value = serde_json::to_value(ArticleJson {
        path: article.path(),
        article,
    })
    .expect("an article serialises");
    if let (Some(fields), Some(object)) = (fields, value.as_object_mut()) {
        object.retain(|key, _| fields.contains(key));
    }
    value
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    source: Option<String>,
    section: Option<String>,
    tag: Option<String>,
    author: Option<String>,
    /// Published on or after this ISO 8601 date or date-time.
    from: Option<String>,
    /// Published on or before this ISO 8601 date (the whole day) or date-time.
    to: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
    fields: Option<String>,
}

#[derive(Serialize)]
struct ArticlePage {
    articles: Vec<serde_json::Value>,
    /// Pass as `cursor` to get the next page; null on the last page.
    next_cursor: Option<String>,
}

fn date_param(name: &str, value: &str) -> Result<DateTime<Utc>, ApiError> {
    parse_date(value).ok_or_else(|| {
        ApiError::bad_request(format!(
            "`{name}` must be an ISO 8601 date or date-time such as 2022-05-16 or 2022-05-16T09:30:00Z, not `{value}`"
        ))
    })
}

fn encode_cursor(article: &Article) -> String {
    let key = article
        .content
        .published_at
        .as_ref()
        .map(format_date)
        .unwrap_or_default();
    format!("{key}|{}", article.id)
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn decode_cursor(cursor: &str) -> Result<(String, i64), ApiError> {
    let bad = || {
        ApiError::bad_request(
            "`cursor` is not one this API gave out: pass `next_cursor` back unchanged",
        )
    };
    let bytes = (0..cursor.len())
        .step_by(2)
        .map(|i| {
            cursor
                .get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(bad)?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (key, id) = text.rsplit_once('|').ok_or_else(bad)?;
    if !key.is_empty() && parse_date(key).is_none() {
        return Err(bad());
    }
    Ok((key.to_owned(), id.parse().map_err(|_| bad())?))
}

/// `GET /api/v1/articles`: newest first, filtered, a page at a time.
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
    let from = params
        .from
        .as_deref()
        .map(|v| date_param("from", v))
        .transpose()?;
    let until = match params.to.as_deref() {
        None => None,
        Some(v) if NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").is_ok() => {
            Some(date_param("to", v)? + TimeDelta::days(1))
        }
        Some(v) => Some(date_param("to", v)? + TimeDelta::seconds(1)),
    };
    let filter = ArticleFilter {
        source: params.source,
        section: params.section,
        tag: params.tag,
        author: params.author,
        from,
        until,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldsParam {
    fields: Option<String>,
}

/// `GET /api/v1/articles/{id}`: one article, its revision as `ETag`.
pub async fn article(
    State(archive): State<Archive>,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<FieldsParam>,
) -> Result<Response, ApiError> {
    let fields = parse_fields(params.fields.as_deref())?;
    let numeric = article_id(&id)?;
    let article = archive
        .store()
        .article(numeric)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("there is no article with id `{id}`")))?;
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

#[derive(Serialize)]
struct NameJson {
    name: String,
    count: i64,
}

async fn names(archive: Archive, kind: NameKind, key: &'static str) -> Result<Response, ApiError> {
    let names: Vec<NameJson> = archive
        .store()
        .names(kind)
        .await?
        .into_iter()
        .map(|n| NameJson {
            name: n.name,
            count: n.count,
        })
        .collect();
    Ok(Json(serde_json::json!({ key: names })).into_response())
}

/// `GET /api/v1/sources`: every source with its article count.
pub async fn sources(State(archive): State<Archive>) -> Result<Response, ApiError> {
    names(archive, NameKind::Source, "sources").await
}

/// `GET /api/v1/sections`: every section with its article count.
pub async fn sections(State(archive): State<Archive>) -> Result<Response, ApiError> {
    names(archive, NameKind::Section, "sections").await
}

/// `GET /api/v1/tags`: every tag with its article count.
pub async fn tags(State(archive): State<Archive>) -> Result<Response, ApiError> {
    names(archive, NameKind::Tag, "tags").await
}

/// `GET /api/v1/authors`: every author with their article count.
pub async fn authors(State(archive): State<Archive>) -> Result<Response, ApiError> {
    names(archive, NameKind::Author, "authors").await
}
