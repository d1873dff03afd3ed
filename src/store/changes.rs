//! The change log the search index follows: appending to it and reading it in order.

use super::*;

impl Store {
    /// The newest change: its sequence number and time, if any change was made.
    pub async fn last_change(&self) -> Result<Option<(i64, DateTime<Utc>)>> {
        let row = sqlx::query("SELECT seq, changed_at FROM changes ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok((r.get(0), parse_ts(r.get(1), "changed_at")?)))
            .transpose()
    }

    /// Change log entries after `seq`, in order.
    pub async fn changes_after(&self, seq: i64, limit: i64) -> Result<Vec<Change>> {
        let rows =
            sqlx::query("SELECT seq, article_id FROM changes WHERE seq > ? ORDER BY seq LIMIT ?")
                .bind(seq)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .iter()
            .map(|r| Change {
                seq: r.get(0),
                article_id: r.get(1),
            })
            .collect())
    }

    /// The newest change log sequence number (0 when empty).
    pub async fn last_change_seq(&self) -> Result<i64> {
        last_change_seq(&self.pool).await
    }

    /// The last change's number and the article count, read together.
    pub async fn last_change_and_count(&self) -> Result<(i64, i64)> {
        let mut tx = self.pool.begin().await?;
        let seq = last_change_seq(&mut *tx).await?;
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM articles")
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((seq, count))
    }
}

/// One entry of the change log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub seq: i64,
    pub article_id: i64,
}

pub(super) async fn last_change_seq<'e, E>(executor: E) -> Result<i64>
where
    E: sqlx::Executor<'e, Database = Sqlite>,
{
    Ok(
        sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM changes")
            .fetch_one(executor)
            .await?,
    )
}

pub(super) async fn log_change(
    tx: &mut Transaction<'_, Sqlite>,
    article_id: i64,
    revision: i64,
    kind: &'static str,
    now: &str,
) -> Result<()> {
    sqlx::query("INSERT INTO changes (article_id, revision, kind, changed_at) VALUES (?, ?, ?, ?)")
        .bind(article_id)
        .bind(revision)
        .bind(kind)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
