//! Who may write: `Authorization: Bearer <token>` checked against the stored
//! token hashes. 401 without a valid token, 403 with a revoked one.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};

use crate::auth;
use crate::revision::Origin;
use crate::web::{ApiError, AppState};

/// Proof that the request carries a valid, unrevoked API token.
pub struct WriteAccess {
    /// The token's public prefix (never the secret), for logs.
    pub token: String,
    /// What the revisions it makes say made them: the token's name and prefix.
    pub origin: Origin,
}

fn unauthorized(detail: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "Unauthorized",
        detail,
    )
    .with_header(header::WWW_AUTHENTICATE, "Bearer realm=\"newsarchive\"")
}

impl FromRequestParts<AppState> for WriteAccess {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| unauthorized("writes need an `Authorization: Bearer <token>` header; make a token with `newsarchive token create --name NAME`"))?;
        let presented = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| unauthorized("the Authorization header must be `Bearer <token>`"))?;
        let prefix = auth::prefix_of(presented)
            .ok_or_else(|| unauthorized("that is not a newsarchive token"))?;
        let (hash, revoked, name) = state
            .archive
            .store()
            .token_hash(prefix)
            .await?
            .ok_or_else(|| unauthorized("the token is not known to this archive"))?;
        if !auth::verify(presented, &hash) {
            return Err(unauthorized("the token is not known to this archive"));
        }
        if revoked {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "token-revoked",
                "Forbidden",
                format!("the token {prefix} was revoked; ask for a new one"),
            ));
        }
        Ok(WriteAccess {
            token: prefix.to_owned(),
            origin: Origin::Api {
                token: format!("{name} ({prefix})"),
            },
        })
    }
}
