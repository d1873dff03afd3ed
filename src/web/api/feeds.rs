//! `/api/v1/feeds`: the feeds the server follows. Registering one makes it
//! due at once; the server's follower polls it within half a minute.

use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::articles::ApiJson;
use super::auth::{TokenAccess, needs};
use super::openapi::problem;
use crate::archive::Archive;
use crate::article::format_date;
use crate::follow::{FollowError, MIN_INTERVAL, Reach, register};
use crate::store::FeedRecord;
use crate::web::ApiError;

/// A feed to follow.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowInput {
    /// The feed's address: an RSS 2.0, Atom or JSON Feed document over http(s).
    #[schema(schema_with = web_url_schema)]
    url: String,
    /// Minutes between polls (default 30); doubled after each failed poll, up to a day.
    /// A whole number; `30.0` is read as 30.
    #[schema(value_type = Option<u64>, minimum = 1, maximum = 100000)]
    interval_minutes: Option<f64>,
}

/// An http(s) address, as articles' URLs are checked.
pub fn web_url_schema() -> utoipa::openapi::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .pattern(Some(crate::article::url_pattern()))
        .description(Some("An http(s) address without spaces."))
        .build()
}

/// A followed feed and how its polling goes.
#[derive(Serialize, ToSchema)]
pub struct FeedJson {
    id: i64,
    url: String,
    /// The feed's own title, once polled.
    title: Option<String>,
    interval_minutes: i64,
    #[schema(format = DateTime)]
    next_poll_at: String,
    #[schema(format = DateTime)]
    last_polled_at: Option<String>,
    /// Why the last poll failed, or which items it refused.
    last_error: Option<String>,
    /// Failed polls in a row (each doubles the wait).
    failures: i64,
    /// Articles this feed has added to the archive.
    articles_created: i64,
    #[schema(format = DateTime)]
    created_at: String,
}

impl From<&FeedRecord> for FeedJson {
    fn from(feed: &FeedRecord) -> Self {
        FeedJson {
            id: feed.id,
            url: feed.url.clone(),
            title: feed.title.clone(),
            interval_minutes: feed.interval_secs / 60,
            next_poll_at: format_date(&feed.next_poll_at),
            last_polled_at: feed.last_polled_at.as_ref().map(format_date),
            last_error: feed.last_error.clone(),
            failures: feed.failures,
            articles_created: feed.articles_created,
            created_at: format_date(&feed.created_at),
        }
    }
}

/// The followed feeds, oldest first. Needs a token with the `read` or
/// `feeds` scope: feed addresses may carry credentials, and poll errors
/// name hosts and ports inside the network.
#[utoipa::path(
    get,
    path = "/feeds",
    tag = "feeds",
    security(("token" = ["read"]), ("token" = ["feeds"])),
    responses(
        (status = 200, description = "The followed feeds", body = Vec<FeedJson>),
        (status = 401, response = problem::Unauthorized),
        (status = 403, response = problem::Forbidden),
        (status = 503, response = problem::Unavailable),
    )
)]
pub async fn list(
    State(archive): State<Archive>,
    _access: TokenAccess<needs::FeedList>,
) -> Result<Json<Vec<FeedJson>>, ApiError> {
    let feeds = archive.store().feeds().await?;
    Ok(Json(feeds.iter().map(FeedJson::from).collect()))
}

/// Follows a feed (or changes the interval of one already followed). Only
/// http(s) addresses; following a file is for the command line.
#[utoipa::path(
    post,
    path = "/feeds",
    tag = "feeds",
    security(("token" = ["feeds"])),
    request_body = FollowInput,
    responses(
        (status = 201, description = "Followed; polled within half a minute", body = FeedJson),
        (status = 400, response = problem::BadJson),
        (status = 401, response = problem::Unauthorized),
        (status = 403, response = problem::Forbidden),
        (status = 413, response = problem::TooLarge),
        (status = 415, response = problem::UnsupportedMediaType),
        (status = 422, response = problem::Invalid),
        (status = 429, response = problem::TooManyRequests),
        (status = 503, response = problem::Unavailable),
    )
)]
pub async fn follow(
    State(archive): State<Archive>,
    State(reach): State<Reach>,
    access: TokenAccess<needs::Feeds>,
    ApiJson(input): ApiJson<FollowInput>,
) -> Result<Response, ApiError> {
    let invalid = |detail: String| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-feed",
            "Invalid feed",
            detail,
        )
    };
    if !crate::article::is_web_url(&input.url) {
        return Err(invalid(format!(
            "url: `{}` is not an http(s) address without spaces",
            input.url
        )));
    }
    let minutes = input.interval_minutes.unwrap_or(30.0);
    if minutes.fract() != 0.0 || !(1.0..=100_000.0).contains(&minutes) {
        return Err(invalid(format!(
            "interval_minutes: must be a whole number between {} and 100000",
            MIN_INTERVAL.as_secs() / 60
        )));
    }
    let minutes = minutes as u64;
    let feed = register(
        &archive,
        &input.url,
        Duration::from_secs(minutes * 60),
        reach,
    )
    .await
    .map_err(|e| match e {
        FollowError::Archive(e) => ApiError::from(e),
        other => invalid(other.to_string()),
    })?;
    tracing::info!(feed = %feed.url, token = %access.token, "feed followed");
    Ok((StatusCode::CREATED, Json(FeedJson::from(&feed))).into_response())
}

/// One followed feed. Needs a token with the `read` or `feeds` scope.
#[utoipa::path(
    get,
    path = "/feeds/{id}",
    tag = "feeds",
    security(("token" = ["read"]), ("token" = ["feeds"])),
    params(("id" = i64, Path, description = "The feed's id")),
    responses(
        (status = 200, description = "The feed", body = FeedJson),
        (status = 400, response = problem::BadRequest),
        (status = 401, response = problem::Unauthorized),
        (status = 403, response = problem::Forbidden),
        (status = 404, response = problem::NotFound),
        (status = 503, response = problem::Unavailable),
    )
)]
pub async fn feed(
    State(archive): State<Archive>,
    _access: TokenAccess<needs::FeedList>,
    Path(id): Path<String>,
) -> Result<Json<FeedJson>, ApiError> {
    let numeric = feed_id(&id)?;
    let feed =
        archive.store().feed(numeric).await?.ok_or_else(|| {
            ApiError::not_found(format!("there is no followed feed with id `{id}`"))
        })?;
    Ok(Json(FeedJson::from(&feed)))
}

/// Stops following a feed; the articles it brought stay.
#[utoipa::path(
    delete,
    path = "/feeds/{id}",
    tag = "feeds",
    security(("token" = ["feeds"])),
    params(("id" = i64, Path, description = "The feed's id")),
    responses(
        (status = 204, description = "No longer followed"),
        (status = 400, response = problem::BadRequest),
        (status = 401, response = problem::Unauthorized),
        (status = 403, response = problem::Forbidden),
        (status = 404, response = problem::NotFound),
        (status = 429, response = problem::TooManyRequests),
        (status = 503, response = problem::Unavailable),
    )
)]
pub async fn unfollow(
    State(archive): State<Archive>,
    access: TokenAccess<needs::Feeds>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let numeric = feed_id(&id)?;
    let feed = archive
        .store()
        .unfollow_feed(&numeric.to_string())
        .await
        .map_err(crate::archive::Error::from)?;
    tracing::info!(feed = %feed.url, token = %access.token, "feed unfollowed");
    Ok(StatusCode::NO_CONTENT)
}

fn feed_id(id: &str) -> Result<i64, ApiError> {
    id.parse()
        .map_err(|_| ApiError::not_found(format!("there is no followed feed with id `{id}`")))
}
