//! Revisions and tombstones: every earlier version of an article kept
//! whole, what made each, and what a deleted article leaves behind.
//!
//! A revision's content is stored as JSON in the import format (what
//! `NewArticle` serialises to), so any revision can be read back through
//! the same validation an import goes through.

use super::*;

use crate::article::ArticleInput;

/// One revision of an article, as its history lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionInfo {
    pub revision: i64,
    pub made_at: DateTime<Utc>,
    /// What made it; None for revisions made before origins were kept.
    pub origin: Option<String>,
    /// The fields it changed from the revision before; None for the first
    /// revision the archive holds.
    pub changed: Option<revision::Fields>,
}

/// One revision of an article, whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionRecord {
    pub article_id: i64,
    pub revision: i64,
    pub made_at: DateTime<Utc>,
    pub origin: Option<String>,
    pub content: NewArticle,
    /// This is the article as it is now.
    pub current: bool,
}

/// What a deleted article leaves behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tombstone {
    pub id: i64,
    pub slug: String,
    /// None for articles deleted before tombstones were kept.
    pub headline: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    /// Its last revision (0 when not known).
    pub revision: i64,
    pub deleted_at: DateTime<Utc>,
    pub origin: Option<String>,
}

/// One entry of the archive's recent changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeEntry {
    pub seq: i64,
    pub article_id: i64,
    /// The revision made (for a deletion: the last one before it).
    pub revision: i64,
    pub deleted: bool,
    pub changed_at: DateTime<Utc>,
    pub headline: Option<String>,
    pub slug: String,
    pub origin: Option<String>,
}

impl Store {
    /// Every revision of article `id` the archive holds, whole, oldest first
    /// (deleted articles included; the current one last, `current`); empty
    /// when there is no such article. [`summarise`] lists them.
    pub async fn article_history(&self, id: i64) -> Result<Vec<RevisionRecord>> {
        let mut conn = self.pool.acquire().await?;
        let rows = sqlx::query(
            "SELECT revision, made_at, origin, content FROM article_revisions \
             WHERE article_id = ? ORDER BY revision",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
        let mut records = rows
            .iter()
            .map(|row| {
                Ok(RevisionRecord {
                    article_id: id,
                    revision: row.get(0),
                    made_at: parse_ts(row.get(1), "made_at")?,
                    origin: row.get(2),
                    content: revision_content(row.get(3))?,
                    current: false,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let current = sqlx::query(select_articles!("WHERE a.id = ?"))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        if let Some(row) = current {
            let article = article_from_row(&row)?;
            records.retain(|r| r.revision != article.revision);
            records.push(RevisionRecord {
                article_id: id,
                revision: article.revision,
                made_at: article.updated_at,
                origin: article.origin.clone(),
                content: article.record(),
                current: true,
            });
        }
        Ok(records)
    }

    /// The tombstone of article `id`, when it was deleted.
    pub async fn tombstone(&self, id: i64) -> Result<Option<Tombstone>> {
        tombstone_in(&self.pool, id).await
    }

    /// The latest `limit` revisions made and deletions, newest first (a
    /// revision whose boilerplate was judged again is listed once).
    pub async fn recent_changes(&self, limit: i64) -> Result<Vec<ChangeEntry>> {
        let rows = sqlx::query(
            "SELECT MIN(c.seq), c.article_id, c.revision, c.kind, MIN(c.changed_at), \
             COALESCE(a.headline, t.headline), COALESCE(a.slug, t.slug), \
             CASE WHEN c.kind = 'delete' THEN t.origin \
                  WHEN a.revision = c.revision THEN a.origin ELSE r.origin END, t.revision \
             FROM (SELECT * FROM changes ORDER BY seq DESC LIMIT ?1 * 4) c \
             LEFT JOIN articles a ON a.id = c.article_id \
             LEFT JOIN tombstones t ON t.id = c.article_id \
             LEFT JOIN article_revisions r ON r.article_id = c.article_id AND r.revision = c.revision \
             GROUP BY c.article_id, c.revision, c.kind ORDER BY 1 DESC LIMIT ?1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let deleted = row.get::<&str, _>(3) == "delete";
                Ok(ChangeEntry {
                    seq: row.get(0),
                    article_id: row.get(1),
                    revision: if deleted {
                        row.get::<Option<i64>, _>(8).unwrap_or(0)
                    } else {
                        row.get(2)
                    },
                    deleted,
                    changed_at: parse_ts(row.get(4), "changed_at")?,
                    headline: row.get(5),
                    slug: row.get::<Option<String>, _>(6).unwrap_or_default(),
                    origin: row.get(7),
                })
            })
            .collect()
    }
}

/// The revisions of one history (oldest first) as lists show them: each
/// with the fields it changed from the one before.
pub fn summarise(records: &[RevisionRecord]) -> Vec<RevisionInfo> {
    records
        .iter()
        .enumerate()
        .map(|(i, record)| RevisionInfo {
            revision: record.revision,
            made_at: record.made_at,
            origin: record.origin.clone(),
            changed: i
                .checked_sub(1)
                .map(|before| revision::changed(&records[before].content, &record.content)),
        })
        .collect()
}

/// Keeps `article` as it is now among its revisions, before it is
/// replaced or deleted.
pub(super) async fn keep_revision(
    tx: &mut Transaction<'_, Sqlite>,
    article: &Article,
) -> Result<()> {
    let content = serde_json::to_string(&article.record()).expect("an article serialises");
    sqlx::query(
        "INSERT OR REPLACE INTO article_revisions (article_id, revision, made_at, origin, content) \
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(article.id)
    .bind(article.revision)
    .bind(format_date(&article.updated_at))
    .bind(&article.origin)
    .bind(content)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Leaves the tombstone of `article`, deleted now by `origin`.
pub(super) async fn bury(
    tx: &mut Transaction<'_, Sqlite>,
    article: &Article,
    origin: &str,
    now: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT OR REPLACE INTO tombstones (id, slug, headline, published_at, revision, deleted_at, origin) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(article.id)
    .bind(&article.slug)
    .bind(&article.content.headline)
    .bind(article.content.published_at.as_ref().map(format_date))
    .bind(article.revision)
    .bind(now)
    .bind(origin)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(super) async fn tombstone_in<'e, E>(executor: E, id: i64) -> Result<Option<Tombstone>>
where
    E: sqlx::Executor<'e, Database = Sqlite>,
{
    let row = sqlx::query(
        "SELECT id, slug, headline, published_at, revision, deleted_at, origin \
         FROM tombstones WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(executor)
    .await?;
    row.map(|row| {
        Ok(Tombstone {
            id: row.get(0),
            slug: row.get(1),
            headline: row.get(2),
            published_at: row
                .get::<Option<&str>, _>(3)
                .map(|p| parse_ts(p, "published_at"))
                .transpose()?,
            revision: row.get(4),
            deleted_at: parse_ts(row.get(5), "deleted_at")?,
            origin: row.get(6),
        })
    })
    .transpose()
}

/// A stored revision's content, read back through the import's validation.
fn revision_content(json: &str) -> Result<NewArticle> {
    serde_json::from_str::<ArticleInput>(json)
        .map_err(|e| Error::Corrupt(format!("revision content: {e}")))?
        .validate()
        .map_err(|e| Error::Corrupt(format!("revision content: {e}")))
}
