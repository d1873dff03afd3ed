//! API tokens: only their hashes are stored.

use super::*;

impl Store {
    /// Makes an API token record; the secret itself is never stored.
    pub async fn create_token(&self, name: &str, prefix: &str, secret_hash: &str) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO api_tokens (name, prefix, secret_hash, created_at) VALUES (?, ?, ?, ?) RETURNING id",
        )
        .bind(name)
        .bind(prefix)
        .bind(secret_hash)
        .bind(format_date(&Utc::now()))
        .fetch_one(&self.pool)
        .await?)
    }

    /// Every API token, oldest first.
    pub async fn tokens(&self) -> Result<Vec<TokenInfo>> {
        let rows = sqlx::query(
            "SELECT id, name, prefix, created_at, revoked_at FROM api_tokens ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let revoked: Option<String> = r.get(4);
                Ok(TokenInfo {
                    id: r.get(0),
                    name: r.get(1),
                    prefix: r.get(2),
                    created_at: parse_ts(r.get(3), "created_at")?,
                    revoked_at: revoked
                        .as_deref()
                        .map(|t| parse_ts(t, "revoked_at"))
                        .transpose()?,
                })
            })
            .collect()
    }

    /// The stored hash of the token with this prefix, whether it was
    /// revoked, and its name.
    pub async fn token_hash(&self, prefix: &str) -> Result<Option<(String, bool, String)>> {
        let row = sqlx::query(
            "SELECT secret_hash, revoked_at IS NOT NULL, name FROM api_tokens WHERE prefix = ?",
        )
        .bind(prefix)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| (r.get(0), r.get(1), r.get(2))))
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

/// An API token as `token list` shows it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}
