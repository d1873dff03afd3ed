//! API tokens: only their hashes are stored, with their scopes and expiry.

use super::*;
use crate::auth::Scopes;

impl Store {
    /// Makes an API token record; the secret itself is never stored.
    pub async fn create_token(&self, token: &NewTokenRecord<'_>) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO api_tokens (name, prefix, secret_hash, created_at, scopes, expires_at) \
             VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(token.name)
        .bind(token.prefix)
        .bind(token.secret_hash)
        .bind(format_date(&Utc::now()))
        .bind(token.scopes.to_string())
        .bind(token.expires_at.as_ref().map(format_date))
        .fetch_one(&self.pool)
        .await?)
    }

    /// Every API token, oldest first.
    pub async fn tokens(&self) -> Result<Vec<TokenInfo>> {
        let rows = sqlx::query(
            "SELECT id, name, prefix, created_at, revoked_at, scopes, expires_at \
             FROM api_tokens ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TokenInfo {
                    id: r.get(0),
                    name: r.get(1),
                    prefix: r.get(2),
                    created_at: parse_ts(r.get(3), "created_at")?,
                    revoked_at: optional_ts(r.get(4), "revoked_at")?,
                    scopes: parse_scopes(r.get(5))?,
                    expires_at: optional_ts(r.get(6), "expires_at")?,
                })
            })
            .collect()
    }

    /// What the request checking a token presented with this prefix needs:
    /// its stored hash, whether it was revoked, its name, scopes and expiry.
    pub async fn token_record(&self, prefix: &str) -> Result<Option<TokenRecord>> {
        let row = sqlx::query(
            "SELECT secret_hash, revoked_at IS NOT NULL, name, scopes, expires_at \
             FROM api_tokens WHERE prefix = ?",
        )
        .bind(prefix)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(TokenRecord {
                secret_hash: r.get(0),
                revoked: r.get(1),
                name: r.get(2),
                scopes: parse_scopes(r.get(3))?,
                expires_at: optional_ts(r.get(4), "expires_at")?,
            })
        })
        .transpose()
    }

    /// Revokes the token with this id, prefix or name; false when there is none (or it was revoked).
    pub async fn revoke_token(&self, which: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = ?1 WHERE revoked_at IS NULL \
             AND (CAST(id AS TEXT) = ?2 OR prefix = ?2 OR name = ?2)",
        )
        .bind(format_date(&Utc::now()))
        .bind(which)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}

fn parse_scopes(value: &str) -> Result<Scopes> {
    value
        .parse()
        .map_err(|e| Error::Corrupt(format!("api_tokens.scopes: {e}")))
}

fn optional_ts(value: Option<&str>, column: &str) -> Result<Option<DateTime<Utc>>> {
    value.map(|t| parse_ts(t, column)).transpose()
}

/// A token to store: the public prefix and the secret's hash, never the secret.
#[derive(Debug, Clone)]
pub struct NewTokenRecord<'a> {
    pub name: &'a str,
    pub prefix: &'a str,
    pub secret_hash: &'a str,
    pub scopes: &'a Scopes,
    /// None: the token does not expire.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A stored token, as a request presenting it is checked against.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    /// sha256 of the whole token, hex.
    pub secret_hash: String,
    pub revoked: bool,
    pub name: String,
    pub scopes: Scopes,
    pub expires_at: Option<DateTime<Utc>>,
}

/// An API token as `token list` shows it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub scopes: Scopes,
    /// None: the token does not expire.
    pub expires_at: Option<DateTime<Utc>>,
}
