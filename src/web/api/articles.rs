//! Writing articles: create, replace, merge-patch and delete, each behind a
//! token, with the revision as `ETag`/`If-Match`, visible to search when the
//! request returns.

use std::sync::LazyLock;
use std::time::Duration;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use utoipa::PartialSchema as _;
use utoipa::openapi::{RefOr, Schema};

use super::auth::{TokenAccess, needs};
use super::openapi::{ArticlePatch, problem};
use super::schemas::ArticleInputDoc;
use super::{ArticleJson, article_id, article_response};
use crate::archive::Archive;
use crate::article::ArticleInput;
use crate::store::Saved;
use crate::web::ApiError;

/// Longest a write waits for the index before it returns (read-your-writes).
pub const INDEX_WAIT: Duration = Duration::from_secs(10);

/// A JSON body; malformed, oversized or mistyped bodies get a problem+json
/// whose detail names what is wrong.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T> FromRequest<S> for ApiJson<T>
where
    Json<T>: FromRequest<S, Rejection = JsonRejection>,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(JsonRejection::BytesRejection(rejection))
                if rejection.status() != StatusCode::PAYLOAD_TOO_LARGE =>
            {
                Err(ApiError::unreadable_body(&rejection))
            }
            Err(rejection) => {
                let status = rejection.status();
                let (slug, title) = match status {
                    StatusCode::PAYLOAD_TOO_LARGE => ("body-too-large", "Body too large"),
                    StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                        ("unsupported-media-type", "Unsupported media type")
                    }
                    StatusCode::UNPROCESSABLE_ENTITY => ("invalid-article", "Invalid article"),
                    _ => ("bad-json", "Bad JSON"),
                };
                Err(ApiError::new(status, slug, title, rejection.body_text()))
            }
        }
    }
}

/// The revision an `If-Match` header asks for: None when absent or `*`.
fn if_match(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or_default().trim();
    if text == "*" {
        return Ok(None);
    }
    text.trim_start_matches("W/")
        .trim_matches('"')
        .parse()
        .map(Some)
        .map_err(|_| {
            ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "precondition-failed",
                "Precondition failed",
                format!(
                    "If-Match `{text}` is not an ETag this API gives out (they look like \"3\")"
                ),
            )
        })
}

fn invalid(detail: impl Into<String>) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-article",
        "Invalid article",
        detail,
    )
}

/// The fields an article is written with, from its (serde-derived) schema.
static ARTICLE_INPUT_FIELDS: LazyLock<Vec<String>> =
    LazyLock::new(|| match ArticleInputDoc::schema() {
        RefOr::T(Schema::Object(object)) => object.properties.keys().cloned().collect(),
        _ => Vec::new(),
    });

/// A merge patch must itself be a partial article: known fields of the right
/// types (a source object with its name), `null` to remove any field but the headline.
fn check_patch(patch: &serde_json::Value) -> Result<(), ApiError> {
    let Some(fields) = patch.as_object() else {
        return Err(invalid(
            "a merge patch is a JSON object of the fields to change",
        ));
    };
    if fields
        .get("headline")
        .is_some_and(serde_json::Value::is_null)
    {
        return Err(invalid("headline: can be changed but not removed"));
    }
    if let Some(unknown) = fields.keys().find(|f| !ARTICLE_INPUT_FIELDS.contains(f)) {
        return Err(invalid(format!(
            "unknown field `{unknown}`; articles have {}",
            ARTICLE_INPUT_FIELDS.join(", ")
        )));
    }
    let given: serde_json::Map<_, _> = fields
        .iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    article_input(given.into()).map(drop)
}

/// Reads an article from JSON; the error names the field at fault.
fn article_input(value: serde_json::Value) -> Result<ArticleInput, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        invalid(format!("{path}: {}", e.into_inner()))
    })
}

/// Waits (bounded) until the write is searchable, then answers with the article.
async fn written(
    archive: &Archive,
    saved: Saved,
    status: StatusCode,
) -> Result<Response, ApiError> {
    if !archive.wait_indexed(INDEX_WAIT).await? {
        tracing::warn!(
            id = saved.id,
            "the index did not catch up with a write in time"
        );
    }
    let article = archive.store().article(saved.id).await?.ok_or_else(|| {
        ApiError::not_found(format!("article {} was deleted meanwhile", saved.id))
    })?;
    let mut response = article_response(&article);
    *response.status_mut() = status;
    if status == StatusCode::CREATED
        && let Ok(location) = format!("/api/v1/articles/{}", article.id).parse()
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Creates an article. It is searchable when the answer comes.
#[utoipa::path(
    post,
    path = "/articles",
    tag = "articles",
    security(("token" = ["articles"])),
    request_body = ArticleInputDoc,
    responses(
        (status = 201, description = "Created", body = ArticleJson, headers(
            ("Location" = String, description = "The new article's API address"),
            ("ETag" = String, description = "The article's revision"),
        )),
        (status = 400, response = problem::BadJson),
        (status = 401, response = problem::Unauthorized),
        (status = 403, response = problem::Forbidden),
        (status = 409, response = problem::Conflict),
        (status = 413, response = problem::TooLarge),
        (status = 415, response = problem::UnsupportedMediaType),
        (status = 422, response = problem::Invalid),
        (status = 429, response = problem::TooManyRequests),
        (status = 503, response = problem::Unavailable),
    )
)]
pub async fn create(
    State(archive): State<Archive>,
    access: TokenAccess<needs::Articles>,
    ApiJson(input): ApiJson<ArticleInput>,
) -> Result<Response, ApiError> {
    let article = input.validate().map_err(|e| invalid(e.to_string()))?;
    let saved = archive.create(&article, &access.origin).await?;
    tracing::info!(id = saved.id, token = %access.token, "article created");
    written(&archive, saved, StatusCode::CREATED).await
}

/// Replaces an article with the body. `If-Match: "<revision>"` makes it
/// conditional: 412 when the article changed meanwhile.
#[utoipa::path(
    put,
    path = "/articles/{id}",
    tag = "articles",
    security(("token" = ["articles"])),
    params(("id" = i64, Path, description = "The article's id")),
    request_body = ArticleInputDoc,
    responses(
        (status = 200, description = "Replaced", body = ArticleJson, headers(
            ("ETag" = String, description = "The article's new revision"),
        )),
        (status = 400, response = problem::BadJson),
        (status = 401, response = problem::Unauthorized),
        (status = 403, response = problem::Forbidden),
        (status = 404, response = problem::NotFound),
        (status = 410, response = problem::Gone),
        (status = 409, response = problem::Conflict),
        (status = 412, response = problem::PreconditionFailed),
        (status = 413, response = problem::TooLarge),
        (status = 415, response = problem::UnsupportedMediaType),
        (status = 422, response = problem::Invalid),
        (status = 429, response = problem::TooManyRequests),
        (status = 503, response = problem::Unavailable),
    )
)]
pub async fn replace(
    State(archive): State<Archive>,
    access: TokenAccess<needs::Articles>,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ArticleInput>,
) -> Result<Response, ApiError> {
    let id = article_id(&id)?;
    let expected = if_match(&headers)?;
    let article = input.validate().map_err(|e| invalid(e.to_string()))?;
    let saved = archive
        .replace(id, &article, expected, &access.origin)
        .await?;
    tracing::info!(id, token = %access.token, "article replaced");
    written(&archive, saved, StatusCode::OK).await
}

/// Changes some of an article's fields with a JSON merge patch (RFC 7396);
/// `null` removes a field. `If-Match: "<revision>"` makes it conditional.
#[utoipa::path(
    patch,
    path = "/articles/{id}",
    tag = "articles",
    security(("token" = ["articles"])),
    params(("id" = i64, Path, description = "The article's id")),
    request_body(content(
        (ArticlePatch = "application/merge-patch+json"),
        (ArticlePatch = "application/json"),
    )),
    responses(
        (status = 200, description = "Changed", body = ArticleJson, headers(
            ("ETag" = String, description = "The article's new revision"),
        )),
        (status = 400, response = problem::BadJson),
        (status = 401, response = problem::Unauthorized),
        (status = 403, response = problem::Forbidden),
        (status = 404, response = problem::NotFound),
        (status = 410, response = problem::Gone),
        (status = 409, response = problem::Conflict),
        (status = 412, response = problem::PreconditionFailed),
        (status = 413, response = problem::TooLarge),
        (status = 415, response = problem::UnsupportedMediaType),
        (status = 422, response = problem::Invalid),
        (status = 429, response = problem::TooManyRequests),
        (status = 503, response = problem::Unavailable),
    )
)]
pub async fn patch(
    State(archive): State<Archive>,
    access: TokenAccess<needs::Articles>,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(patch): ApiJson<serde_json::Value>,
) -> Result<Response, ApiError> {
    let id = article_id(&id)?;
    let expected = if_match(&headers)?;
    check_patch(&patch)?;
    // Without If-Match, a change that lands between our read and our write is
    // merged again; with it, the client's expectation decides.
    for _ in 0..3 {
        let current =
            archive.store().article(id).await?.ok_or_else(|| {
                ApiError::not_found(format!("there is no article with id `{id}`"))
            })?;
        // The whole record: paragraphs hidden as boilerplate stay in it.
        let mut doc = serde_json::to_value(current.record()).expect("an article serialises");
        if patch.get("body").is_some_and(|b| !b.is_null())
            && let Some(fields) = doc.as_object_mut()
        {
            // A new `body` replaces the stored paragraphs.
            fields.remove("paragraphs");
        }
        json_patch::merge(&mut doc, &patch);
        let input = article_input(doc)?;
        let article = input.validate().map_err(|e| invalid(e.to_string()))?;
        match archive
            .replace(
                id,
                &article,
                Some(expected.unwrap_or(current.revision)),
                &access.origin,
            )
            .await
        {
            Err(crate::archive::Error::Store(crate::store::Error::RevisionMismatch { .. }))
                if expected.is_none() =>
            {
                continue;
            }
            other => {
                let saved = other?;
                tracing::info!(id, token = %access.token, "article patched");
                return written(&archive, saved, StatusCode::OK).await;
            }
        }
    }
    Err(ApiError::new(
        StatusCode::CONFLICT,
        "busy",
        "Conflict",
        "the article kept changing while the patch was applied; try again",
    ))
}

/// Removes an article from the database and the index.
/// `If-Match: "<revision>"` makes it conditional.
#[utoipa::path(
    delete,
    path = "/articles/{id}",
    tag = "articles",
    security(("token" = ["articles"])),
    params(("id" = i64, Path, description = "The article's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = problem::Unauthorized),
        (status = 403, response = problem::Forbidden),
        (status = 404, response = problem::NotFound),
        (status = 410, response = problem::Gone),
        (status = 412, response = problem::PreconditionFailed),
        (status = 429, response = problem::TooManyRequests),
        (status = 503, response = problem::Unavailable),
    )
)]
pub async fn delete(
    State(archive): State<Archive>,
    access: TokenAccess<needs::Articles>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = article_id(&id)?;
    let expected = if_match(&headers)?;
    archive.delete(id, expected, &access.origin).await?;
    tracing::info!(id, token = %access.token, "article deleted");
    if !archive.wait_indexed(INDEX_WAIT).await? {
        tracing::warn!(id, "the index did not catch up with a deletion in time");
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
