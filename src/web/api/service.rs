//! The endpoints operators and monitors poll: `/healthz` (the process
//! answers), `/readyz` (it can serve correct answers) and `/metrics`.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::{TokenAccess, needs};
use super::problem;
use crate::archive::Archive;
use crate::web::ApiError;

/// Most changes the index may lag the database for `/readyz` to say ready.
pub const READY_LAG: i64 = 10_000;

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
    /// What this process's indexer does: `leading` (it holds the index
    /// writer and applies the change log), `following` (another process
    /// does; it follows its commits) or `rebuilding`.
    #[schema(value_type = String, pattern = "^(leading|following|rebuilding)$")]
    indexer: crate::indexer::Role,
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
        indexer: health.indexer,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct ReadyJson {
    /// Always `ready`.
    status: &'static str,
    /// Changes written to the database but not yet searchable.
    index_lag: i64,
}

/// Whether the archive can serve correct answers: the database answers and
/// the search index is within 10,000 changes of it and not being rebuilt.
/// Load balancers should route traffic only to ready instances.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "service",
    responses(
        (status = 200, description = "Ready", body = ReadyJson),
        (status = 503, response = problem::Unavailable),
    )
)]
pub async fn readyz(State(archive): State<Archive>) -> Result<Json<ReadyJson>, ApiError> {
    let not_ready = |detail: String| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not-ready",
            "Not ready",
            detail,
        )
        .with_header(header::RETRY_AFTER, "5")
    };
    let health = archive.health().await.map_err(|e| {
        tracing::warn!(error = %e, "readiness: the database does not answer");
        not_ready("the database does not answer".to_owned())
    })?;
    if let Some(progress) = archive.rebuilding() {
        return Err(not_ready(format!(
            "the search index is being rebuilt from the database ({progress})"
        )));
    }
    if let Some(error) = archive.index_error().filter(|_| health.index_lag > 0) {
        return Err(not_ready(format!(
            "the search index cannot take new changes ({error}); {} are waiting",
            health.index_lag
        )));
    }
    if health.index_lag > READY_LAG {
        return Err(not_ready(format!(
            "the search index is {} changes behind the database (ready at {READY_LAG} or fewer)",
            health.index_lag
        )));
    }
    Ok(Json(ReadyJson {
        status: "ready",
        index_lag: health.index_lag,
    }))
}

/// Metrics in the Prometheus/OpenMetrics text format: requests by route and
/// status, request and search latency histograms, articles saved by outcome,
/// article count, index lag, and database and index size on disk. Needs a
/// token with the `metrics` scope (a scraper's token need do nothing else).
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "service",
    security(("token" = ["metrics"])),
    responses(
        (status = 200, description = "The metrics", content_type = "application/openmetrics-text", body = String),
        (status = 401, response = problem::Unauthorized),
        (status = 403, response = problem::Forbidden),
        (status = 503, response = problem::Unavailable),
    )
)]
pub async fn metrics(
    State(archive): State<Archive>,
    _access: TokenAccess<needs::Metrics>,
) -> Result<Response, ApiError> {
    let now = archive.metrics_snapshot().await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        archive.metrics().encode(&now),
    )
        .into_response())
}
