//! The change log the search index follows: appending to it and reading it in order.

use super::*;

impl Store {
    /// The newest change: its sequence number and time, if any change was made.
    pub async fn last_change(&self) -> Result<Option<(i64, DateTime<Utc>)>> {
        let mut c = self.reader().await?;
        let row = sql!(
            c.conn(),
            optional::<(i64, String)>,
            "SELECT seq, changed_at FROM changes ORDER BY seq DESC LIMIT 1"
        )?;
        row.map(|(seq, at)| Ok((seq, parse_ts(&at, "changed_at")?)))
            .transpose()
    }

    /// Change log entries after `seq`, in order.
    pub async fn changes_after(&self, seq: i64, limit: i64) -> Result<Vec<Change>> {
        let mut c = self.reader().await?;
        let rows = sql!(
            c.conn(),
            all::<(i64, i64)>,
            "SELECT seq, article_id FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2",
            seq,
            limit
        )?;
        Ok(rows
            .into_iter()
            .map(|(seq, article_id)| Change { seq, article_id })
            .collect())
    }

    /// The newest change log sequence number (0 when empty).
    pub async fn last_change_seq(&self) -> Result<i64> {
        last_change_seq(self.reader().await?.conn()).await
    }

    /// The last change's number and the article count, read together.
    pub async fn last_change_and_count(&self) -> Result<(i64, i64)> {
        let mut tx = self.read_tx().await?;
        let seq = last_change_seq(tx.conn()).await?;
        let count = sql!(tx.conn(), scalar::<i64>, "SELECT COUNT(*) FROM articles")?;
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

pub(super) async fn last_change_seq(conn: Conn<'_>) -> Result<i64> {
    Ok(sql!(
        conn,
        scalar::<i64>,
        "SELECT COALESCE(MAX(seq), 0) FROM changes"
    )?)
}

/// Appends to the change log. On PostgreSQL the change number comes from
/// the table's identity sequence, drawn here under the write lock that
/// `Store::write` took first, so numbers follow commit order.
pub(super) async fn log_change(
    tx: &mut Tx<'_>,
    article_id: i64,
    revision: i64,
    kind: &'static str,
    now: &str,
) -> Result<()> {
    sql!(
        tx.conn(),
        execute,
        "INSERT INTO changes (article_id, revision, kind, changed_at) VALUES ($1, $2, $3, $4)",
        article_id,
        revision,
        kind,
        now
    )?;
    Ok(())
}
