//! Per-client rate limits for writes, for every route that runs a search
//! and for downloads of every match (GCRA from `governor`), each route
//! with its own bucket per client (downloads share one), announced in `RateLimit-*` headers; past the limit, 429 with
//! `Retry-After`. Behind a trusted reverse proxy the client is the address
//! it puts in `X-Forwarded-For`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use super::AppState;

/// A bucket: the route (or "writes") and the client's address.
type Key = (&'static str, IpAddr);
type Limiter =
    RateLimiter<Key, DefaultKeyedStateStore<Key>, DefaultClock, StateInformationMiddleware>;

/// The routes that download every match of a search, limited apart from searches.
const DOWNLOAD_ROUTES: [&str; 3] = ["/search.csv", "/search.ndjson", "/api/v1/search/export"];

/// The routes that run a search, each limited on its own.
const SEARCH_ROUTES: [&str; 7] = [
    "/search",
    "/compare",
    "/compare.csv",
    "/compare.json",
    "/search.atom",
    "/search/histogram.csv",
    "/api/v1/search",
];

/// The client a request comes from: the connection's peer or, when the
/// peer is a trusted proxy, the last address in `X-Forwarded-For` that is
/// not one of the trusted proxies.
pub fn client_address(request: &Request, trusted_proxies: &[IpAddr]) -> IpAddr {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    if !trusted_proxies.contains(&peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    forwarded
        .into_iter()
        .rev()
        .find(|a| !trusted_proxies.contains(a))
        .unwrap_or(peer)
}

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
    pub downloads: Option<Limit>,
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
    let search = SEARCH_ROUTES.iter().find(|r| **r == path);
    let download = DOWNLOAD_ROUTES.iter().find(|r| **r == path);
    let (limit, bucket) = match (is_write, search, download) {
        (true, _, _) => (state.limits.writes.as_ref(), "writes"),
        (_, Some(route), _) => (state.limits.searches.as_ref(), *route),
        // One bucket for all three: each download is a whole search's worth.
        (_, _, Some(_)) => (state.limits.downloads.as_ref(), "downloads"),
        _ => (None, ""),
    };
    let Some(limit) = limit else {
        return next.run(request).await;
    };
    let client = client_address(&request, &state.config.connections.trusted_proxies);
    if limit.limiter.len() > REMEMBERED_CLIENTS {
        limit.limiter.retain_recent();
    }
    match limit.limiter.check_key(&(bucket, client)) {
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
            let mut response = super::error::error_for(
                path,
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "Too many requests",
                detail,
            );
            response.headers_mut().extend(headers);
            response
        }
    }
}
