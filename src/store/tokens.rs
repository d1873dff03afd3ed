//! API tokens: only their hashes are stored, with their scopes and expiry.

use super::*;
use crate::auth::Scopes;

impl Store {
    /// Makes an API token record; the secret itself is never stored.
    pub async fn create_token(&self, token: &NewTokenRecord<'_>) -> Result<i64> {
        Ok(sql!(
            self.reader().await?.conn(),
            scalar::<i64>,
            "INSERT INTO api_tokens (name, prefix, secret_hash, created_at, scopes, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            token.name,
            token.prefix,
            token.secret_hash,
            format_date(&Utc::now()),
            token.scopes.to_string(),
            token.expires_at.as_ref().map(format_date)
        )?)
    }

    /// Every API token, oldest first.
    pub async fn tokens(&self) -> Result<Vec<TokenInfo>> {
        let rows = sql!(
            self.reader().await?.conn(),
            all::<(
                i64,
                String,
                String,
                String,
                Option<String>,
                String,
                Option<String>
            )>,
            "SELECT id, name, prefix, created_at, revoked_at, scopes, expires_at \
             FROM api_tokens ORDER BY id"
        )?;
        rows.into_iter()
            .map(
                |(id, name, prefix, created_at, revoked_at, scopes, expires_at)| {
                    Ok(TokenInfo {
                        id,
                        name,
                        prefix,
                        created_at: parse_ts(&created_at, "created_at")?,
                        revoked_at: optional_ts(revoked_at.as_deref(), "revoked_at")?,
                        scopes: parse_scopes(&scopes)?,
                        expires_at: optional_ts(expires_at.as_deref(), "expires_at")?,
                    })
                },
            )
            .collect()
    }

    /// What the request checking a token presented with this prefix needs:
    /// its stored hash, whether it was revoked, its name, scopes and expiry.
    pub async fn token_record(&self, prefix: &str) -> Result<Option<TokenRecord>> {
        let row = sql!(
            self.reader().await?.conn(),
            optional::<(String, bool, String, String, Option<String>)>,
            "SELECT secret_hash, revoked_at IS NOT NULL, name, scopes, expires_at \
             FROM api_tokens WHERE prefix = $1",
            prefix
        )?;
        row.map(|(secret_hash, revoked, name, scopes, expires_at)| {
            Ok(TokenRecord {
                secret_hash,
                revoked,
                name,
                scopes: parse_scopes(&scopes)?,
                expires_at: optional_ts(expires_at.as_deref(), "expires_at")?,
            })
        })
        .transpose()
    }

    /// Revokes the token with this id, prefix or name; false when there is none (or it was revoked).
    pub async fn revoke_token(&self, which: &str) -> Result<bool> {
        let done = sql!(
            self.reader().await?.conn(),
            execute,
            "UPDATE api_tokens SET revoked_at = $1 WHERE revoked_at IS NULL \
             AND (CAST(id AS TEXT) = $2 OR prefix = $2 OR name = $2)",
            format_date(&Utc::now()),
            which
        )?;
        Ok(done > 0)
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
