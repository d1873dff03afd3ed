//! Per-client rate limits for writes and for searches (GCRA from `governor`),
//! announced in `RateLimit-*` headers; past the limit, 429 with `Retry-After`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use super::{ApiError, AppState, PageError};

type Limiter =
    RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, DefaultClock, StateInformationMiddleware>;

/// Forget clients idle for a while once this many are remembered.
const REMEMBERED_CLIENTS: usize = 10_000;

/// One limit: a number of requests per minute per client address.
pub struct Limit {
    limiter: Limiter,
    per_minute: u32,
}

impl Limit {
    /// `per_minute` requests a minute, all of which may come at once; 0 means no limit.
    pub fn per_minute(per_minute: u32) -> Option<Limit> {
        let n = NonZeroU32::new(per_minute)?;
        Some(Limit {
            limiter: RateLimiter::keyed(Quota::per_minute(n))
                .with_middleware::<StateInformationMiddleware>(),
            per_minute,
        })
    }
}

/// The limits the server applies.
#[derive(Default)]
pub struct RateLimits {
    pub writes: Option<Limit>,
    pub searches: Option<Limit>,
}

fn header(name: &'static str, value: impl ToString) -> (HeaderName, HeaderValue) {
    (
        HeaderName::from_static(name),
        HeaderValue::from_str(&value.to_string()).expect("numbers are valid header values"),
    )
}

/// Applies the write limit to API writes and the search limit to searches.
pub async fn rate_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let is_write = path.starts_with("/api/")
        && request.method() != Method::GET
        && request.method() != Method::HEAD;
    let is_search = path == "/search" || path == "/api/v1/search";
    let limit = match (is_write, is_search) {
        (true, _) => state.limits.writes.as_ref(),
        (_, true) => state.limits.searches.as_ref(),
        _ => None,
    };
    let Some(limit) = limit else {
        return next.run(request).await;
    };
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    if limit.limiter.len() > REMEMBERED_CLIENTS {
        limit.limiter.retain_recent();
    }
    match limit.limiter.check_key(&client) {
        Ok(snapshot) => {
            let mut response = next.run(request).await;
            for (name, value) in [
                header("ratelimit-limit", limit.per_minute),
                header("ratelimit-remaining", snapshot.remaining_burst_capacity()),
            ] {
                response.headers_mut().insert(name, value);
            }
            response
        }
        Err(not_until) => {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            let headers = [
                header("ratelimit-limit", limit.per_minute),
                header("ratelimit-remaining", 0),
                header("ratelimit-reset", seconds),
                header("retry-after", seconds),
            ];
            let detail = format!(
                "this client may make {} such requests a minute; try again in {seconds} s",
                limit.per_minute
            );
            let mut response = if path.starts_with("/api/") {
                ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate-limited",
                    "Too many requests",
                    detail,
                )
                .into_response()
            } else {
                PageError::too_many_requests(detail).into_response()
            };
            response.headers_mut().extend(headers);
            response
        }
    }
}
