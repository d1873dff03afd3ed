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
        let mut tx = self.read_tx().await?;
        let rows = sql!(
            tx.conn(),
            all::<(i64, String, Option<String>, String)>,
            "SELECT revision, made_at, origin, content FROM article_revisions \
             WHERE article_id = $1 ORDER BY revision",
            id
        )?;
        let mut records = rows
            .into_iter()
            .map(|(revision, made_at, origin, content)| {
                Ok(RevisionRecord {
                    article_id: id,
                    revision,
                    made_at: parse_ts(&made_at, "made_at")?,
                    origin,
                    content: revision_content(&content)?,
                    current: false,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let current = articles!(tx.conn(), optional, "WHERE a.id = $1", id)?;
        tx.commit().await?;
        if let Some(row) = current {
            let article = row.into_article()?;
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
        tombstone_in(self.reader().await?.conn(), id).await
    }

    /// The latest `limit` revisions made and deletions, newest first (a
    /// revision whose boilerplate was judged again is listed once).
    pub async fn recent_changes(&self, limit: i64) -> Result<Vec<ChangeEntry>> {
        // Grouped first, then joined: PostgreSQL takes no bare columns
        // beside an aggregate.
        let rows = sql!(
            self.reader().await?.conn(),
            all::<(
                i64,
                i64,
                i64,
                String,
                String,
                Option<String>,
                Option<String>,
                Option<String>,
                Option<i64>,
            )>,
            "SELECT c.seq, c.article_id, c.revision, c.kind, c.changed_at, \
             COALESCE(a.headline, t.headline), COALESCE(a.slug, t.slug), \
             CASE WHEN c.kind = 'delete' THEN t.origin \
                  WHEN a.revision = c.revision THEN a.origin ELSE r.origin END, t.revision \
             FROM (SELECT MIN(seq) AS seq, article_id, revision, kind, MIN(changed_at) AS changed_at \
                   FROM (SELECT seq, article_id, revision, kind, changed_at FROM changes \
                         ORDER BY seq DESC LIMIT $1 * 4) recent \
                   GROUP BY article_id, revision, kind) c \
             LEFT JOIN articles a ON a.id = c.article_id \
             LEFT JOIN tombstones t ON t.id = c.article_id \
             LEFT JOIN article_revisions r ON r.article_id = c.article_id AND r.revision = c.revision \
             ORDER BY 1 DESC LIMIT $1",
            limit
        )?;
        rows.into_iter()
            .map(
                |(seq, article_id, revision, kind, at, headline, slug, origin, last)| {
                    let deleted = kind == "delete";
                    Ok(ChangeEntry {
                        seq,
                        article_id,
                        revision: if deleted { last.unwrap_or(0) } else { revision },
                        deleted,
                        changed_at: parse_ts(&at, "changed_at")?,
                        headline,
                        slug: slug.unwrap_or_default(),
                        origin,
                    })
                },
            )
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
pub(super) async fn keep_revision(tx: &mut Tx<'_>, article: &Article) -> Result<()> {
    let content = serde_json::to_string(&article.record()).expect("an article serialises");
    sql!(
        tx.conn(),
        execute,
        "INSERT INTO article_revisions (article_id, revision, made_at, origin, content) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (article_id, revision) DO UPDATE SET \
         made_at = excluded.made_at, origin = excluded.origin, content = excluded.content",
        article.id,
        article.revision,
        format_date(&article.updated_at),
        &article.origin,
        content
    )?;
    Ok(())
}

/// Leaves the tombstone of `article`, deleted now by `origin`.
pub(super) async fn bury(
    tx: &mut Tx<'_>,
    article: &Article,
    origin: &str,
    now: &str,
) -> Result<()> {
    sql!(
        tx.conn(),
        execute,
        "INSERT INTO tombstones (id, slug, headline, published_at, revision, deleted_at, origin) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET \
         slug = excluded.slug, headline = excluded.headline, published_at = excluded.published_at, \
         revision = excluded.revision, deleted_at = excluded.deleted_at, origin = excluded.origin",
        article.id,
        &article.slug,
        &article.content.headline,
        article.content.published_at.as_ref().map(format_date),
        article.revision,
        now,
        origin
    )?;
    Ok(())
}

pub(super) async fn tombstone_in(conn: Conn<'_>, id: i64) -> Result<Option<Tombstone>> {
    let row = sql!(
        conn,
        optional::<(
            i64,
            String,
            Option<String>,
            Option<String>,
            i64,
            String,
            Option<String>
        )>,
        "SELECT id, slug, headline, published_at, revision, deleted_at, origin \
         FROM tombstones WHERE id = $1",
        id
    )?;
    row.map(
        |(id, slug, headline, published_at, revision, deleted_at, origin)| {
            Ok(Tombstone {
                id,
                slug,
                headline,
                published_at: published_at
                    .as_deref()
                    .map(|p| parse_ts(p, "published_at"))
                    .transpose()?,
                revision,
                deleted_at: parse_ts(&deleted_at, "deleted_at")?,
                origin,
            })
        },
    )
    .transpose()
}

/// A stored revision's content, read back through the import's validation.
fn revision_content(json: &str) -> Result<NewArticle> {
    serde_json::from_str::<ArticleInput>(json)
        .map_err(|e| Error::Corrupt(format!("revision content: {e}")))?
        .validate()
        .map_err(|e| Error::Corrupt(format!("revision content: {e}")))
}
