//! Writing articles: create, replace, merge-patch and delete, each behind a
//! token, with the revision as `ETag`/`If-Match`, visible to search when the
//! request returns.

use std::time::Duration;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::auth::WriteAccess;
use super::{article_id, article_response};
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

/// `POST /api/v1/articles`: creates an article; 201 with `Location`.
pub async fn create(
    State(archive): State<Archive>,
    access: WriteAccess,
    ApiJson(input): ApiJson<ArticleInput>,
) -> Result<Response, ApiError> {
    let article = input.validate().map_err(|e| invalid(e.to_string()))?;
    let saved = archive.create(&article).await?;
    tracing::info!(id = saved.id, token = %access.token, "article created");
    written(&archive, saved, StatusCode::CREATED).await
}

/// `PUT /api/v1/articles/{id}`: replaces an article with the body.
pub async fn replace(
    State(archive): State<Archive>,
    access: WriteAccess,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ArticleInput>,
) -> Result<Response, ApiError> {
    let id = article_id(&id)?;
    let expected = if_match(&headers)?;
    let article = input.validate().map_err(|e| invalid(e.to_string()))?;
    let saved = archive.replace(id, &article, expected).await?;
    tracing::info!(id, token = %access.token, "article replaced");
    written(&archive, saved, StatusCode::OK).await
}

/// `PATCH /api/v1/articles/{id}`: applies a JSON merge patch (RFC 7396) to the
/// article's fields; `null` removes a field.
pub async fn patch(
    State(archive): State<Archive>,
    access: WriteAccess,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(patch): ApiJson<serde_json::Value>,
) -> Result<Response, ApiError> {
    let id = article_id(&id)?;
    let expected = if_match(&headers)?;
    if !patch.is_object() {
        return Err(invalid(
            "a merge patch is a JSON object of the fields to change",
        ));
    }
    // Without If-Match, a change that lands between our read and our write is
    // merged again; with it, the client's expectation decides.
    for _ in 0..3 {
        let current =
            archive.store().article(id).await?.ok_or_else(|| {
                ApiError::not_found(format!("there is no article with id `{id}`"))
            })?;
        let mut doc = serde_json::to_value(&current.content).expect("an article serialises");
        if patch.get("body").is_some_and(|b| !b.is_null())
            && let Some(fields) = doc.as_object_mut()
        {
            // A new `body` replaces the stored paragraphs.
            fields.remove("paragraphs");
        }
        json_patch::merge(&mut doc, &patch);
        let input: ArticleInput =
            serde_json::from_value(doc).map_err(|e| invalid(e.to_string()))?;
        let article = input.validate().map_err(|e| invalid(e.to_string()))?;
        match archive
            .replace(id, &article, Some(expected.unwrap_or(current.revision)))
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

/// `DELETE /api/v1/articles/{id}`: removes the article from the database and the index.
pub async fn delete(
    State(archive): State<Archive>,
    access: WriteAccess,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = article_id(&id)?;
    let expected = if_match(&headers)?;
    archive.delete(id, expected).await?;
    tracing::info!(id, token = %access.token, "article deleted");
    if !archive.wait_indexed(INDEX_WAIT).await? {
        tracing::warn!(id, "the index did not catch up with a deletion in time");
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
