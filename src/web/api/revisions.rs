//! An article's history: its revisions (when, what made each, which fields
//! it changed) and any revision whole, deleted articles' included.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use utoipa::ToSchema;

use super::article_id;
use super::openapi::problem;
use crate::archive::Archive;
use crate::article::{NewArticle, format_date};
use crate::store::{RevisionRecord, summarise};
use crate::web::ApiError;

/// One revision of an article, as its history lists it.
#[derive(Serialize, ToSchema)]
pub struct RevisionJson {
    pub revision: i64,
    /// When the archive made this revision.
    #[schema(format = DateTime)]
    pub made_at: String,
    /// What made it: `import of FILE`, `API, token NAME (PREFIX)`, `feed URL`;
    /// absent for revisions made before the archive kept it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// The fields it changed from the revision before; absent for the first
    /// revision the archive holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed: Option<Vec<&'static str>>,
    /// The whole article at this revision.
    pub href: String,
}

/// Every revision of an article, oldest first.
#[derive(Serialize, ToSchema)]
pub struct RevisionsJson {
    pub article_id: i64,
    /// The article was deleted; these are the revisions it had.
    pub deleted: bool,
    pub revisions: Vec<RevisionJson>,
}

/// An article as it was at one revision.
#[derive(Serialize, ToSchema)]
pub struct RevisionArticleJson {
    pub article_id: i64,
    pub revision: i64,
    #[schema(format = DateTime)]
    pub made_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// This revision is the article as it is now.
    pub current: bool,
    /// The article's fields at this revision, in the import format (every
    /// paragraph as imported): importing it again restores this revision.
    #[schema(value_type = super::schemas::ArticleInputDoc)]
    pub article: NewArticle,
}

/// The revisions of `id`, whole, oldest first; or the 404 naming it.
async fn history(archive: &Archive, id: i64) -> Result<Vec<RevisionRecord>, ApiError> {
    let records = archive.store().article_history(id).await?;
    if records.is_empty() {
        return Err(ApiError::not_found(format!(
            "there is no article with id `{id}`"
        )));
    }
    Ok(records)
}

/// Every revision of an article, oldest first: when it was made, what made
/// it and which fields it changed. Deleted articles keep theirs.
#[utoipa::path(
    get,
    path = "/articles/{id}/revisions",
    operation_id = "article_revisions",
    tag = "articles",
    params(("id" = i64, Path, description = "The article's id")),
    responses(
        (status = 200, description = "The article's revisions", body = RevisionsJson),
        (status = 404, response = problem::NotFound),
    )
)]
pub async fn list(
    State(archive): State<Archive>,
    Path(id): Path<String>,
) -> Result<Json<RevisionsJson>, ApiError> {
    let id = article_id(&id)?;
    let records = history(&archive, id).await?;
    Ok(Json(RevisionsJson {
        article_id: id,
        // The live article is always the last, current, revision.
        deleted: !records.last().is_some_and(|r| r.current),
        revisions: summarise(&records)
            .into_iter()
            .map(|r| RevisionJson {
                href: format!("/api/v1/articles/{id}/revisions/{}", r.revision),
                revision: r.revision,
                made_at: format_date(&r.made_at),
                origin: r.origin,
                changed: r.changed.map(|c| c.names()),
            })
            .collect(),
    }))
}

/// An article as it was at one revision, whole.
#[utoipa::path(
    get,
    path = "/articles/{id}/revisions/{revision}",
    operation_id = "article_revision",
    tag = "articles",
    params(
        ("id" = i64, Path, description = "The article's id"),
        ("revision" = i64, Path, description = "The revision, from 1"),
    ),
    responses(
        (status = 200, description = "The article at that revision", body = RevisionArticleJson),
        (status = 404, response = problem::NotFound),
    )
)]
pub async fn one(
    State(archive): State<Archive>,
    Path((id, revision)): Path<(String, String)>,
) -> Result<Json<RevisionArticleJson>, ApiError> {
    let id = article_id(&id)?;
    let mut records = history(&archive, id).await?;
    let wanted: Option<i64> = revision.parse().ok();
    let Some(at) = records.iter().position(|r| Some(r.revision) == wanted) else {
        let held: Vec<String> = records.iter().map(|r| r.revision.to_string()).collect();
        return Err(ApiError::not_found(format!(
            "article {id} has no revision `{revision}`; it has {}",
            held.join(", ")
        )));
    };
    let record = records.swap_remove(at);
    Ok(Json(RevisionArticleJson {
        article_id: id,
        revision: record.revision,
        made_at: format_date(&record.made_at),
        origin: record.origin,
        current: record.current,
        article: record.content,
    }))
}
