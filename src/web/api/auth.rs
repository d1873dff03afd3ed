//! Who may do what: `Authorization: Bearer <token>` checked against the
//! stored token hashes, then against the scope the route needs. 401 without
//! a valid token or with an expired one, 403 with a revoked one or one that
//! lacks the scope (the answer names it).

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use chrono::Utc;

use crate::article::format_date;
use crate::auth::{self, Scope};
use crate::revision::Origin;
use crate::web::{ApiError, AppState};

/// What a route needs of a token: any one of `SCOPES` (`admin` always does).
pub trait Needs: Send + Sync + 'static {
    const SCOPES: &'static [Scope];
}

/// The scopes each kind of route needs, as types handlers name.
pub mod needs {
    use super::{Needs, Scope};

    /// Creating, changing, deleting and importing articles.
    pub struct Articles;
    impl Needs for Articles {
        const SCOPES: &'static [Scope] = &[Scope::Articles];
    }

    /// Following and unfollowing feeds.
    pub struct Feeds;
    impl Needs for Feeds {
        const SCOPES: &'static [Scope] = &[Scope::Feeds];
    }

    /// Reading the followed feeds (their addresses and errors are not public).
    pub struct FeedList;
    impl Needs for FeedList {
        const SCOPES: &'static [Scope] = &[Scope::Read, Scope::Feeds];
    }

    /// Reading `/metrics`.
    pub struct Metrics;
    impl Needs for Metrics {
        const SCOPES: &'static [Scope] = &[Scope::Metrics];
    }
}

/// Proof that the request carries a valid, unrevoked, unexpired API token
/// with a scope that `N` accepts.
pub struct TokenAccess<N: Needs> {
    /// The token's public prefix (never the secret), for logs.
    pub token: String,
    /// What the revisions it makes say made them: the token's name and prefix.
    pub origin: Origin,
    needs: PhantomData<N>,
}

fn unauthorized(kind: &str, detail: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, kind, "Unauthorized", detail)
        .with_header(header::WWW_AUTHENTICATE, "Bearer realm=\"newsarchive\"")
}

/// The command that makes a token with the scope a route needs.
fn token_create(needed: &[Scope]) -> String {
    let scope = needed.first().copied().unwrap_or(Scope::Admin);
    format!("`newsarchive token create --name NAME --scope {scope}`")
}

impl<N: Needs> FromRequestParts<AppState> for TokenAccess<N> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let make_one = token_create(N::SCOPES);
        let value = parts.headers.get(header::AUTHORIZATION).ok_or_else(|| {
            unauthorized(
                "unauthorized",
                &format!(
                    "this needs an `Authorization: Bearer <token>` header with a token that has \
                     the {} scope; make one with {make_one}",
                    auth::describe_needed(N::SCOPES)
                ),
            )
        })?;
        let presented = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| {
                unauthorized(
                    "unauthorized",
                    "the Authorization header must be `Bearer <token>`",
                )
            })?;
        let prefix = auth::prefix_of(presented)
            .ok_or_else(|| unauthorized("unauthorized", "that is not a newsarchive token"))?;
        let unknown = || unauthorized("unauthorized", "the token is not known to this archive");
        let record = state
            .archive
            .store()
            .token_record(prefix)
            .await?
            .ok_or_else(unknown)?;
        // Constant time: the hash comparison does not stop at the first difference.
        if !auth::verify(presented, &record.secret_hash) {
            return Err(unknown());
        }
        if record.revoked {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "token-revoked",
                "Forbidden",
                format!("the token {prefix} was revoked; ask for a new one"),
            ));
        }
        if auth::expired(record.expires_at, Utc::now()) {
            let at = record.expires_at.as_ref().map(format_date);
            return Err(unauthorized(
                "token-expired",
                &format!(
                    "the token {prefix} expired at {}; ask for a new one",
                    at.unwrap_or_default()
                ),
            ));
        }
        if !record.scopes.allow(N::SCOPES) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "missing-scope",
                "Forbidden",
                format!(
                    "this token lacks the {} scope; its scopes are: {}. Make a token with it: \
                     {make_one}",
                    auth::describe_needed(N::SCOPES),
                    if record.scopes.is_empty() {
                        "none".to_owned()
                    } else {
                        record.scopes.to_string()
                    }
                ),
            ));
        }
        Ok(TokenAccess {
            token: prefix.to_owned(),
            origin: Origin::Api {
                token: format!("{} ({prefix})", record.name),
            },
            needs: PhantomData,
        })
    }
}
