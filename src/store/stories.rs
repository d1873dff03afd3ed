//! Stories: which story an article tells (the SQL around `crate::story`),
//! and grouping articles written before stories existed.

use super::*;

impl Store {
    /// Fills what later versions derive on every write (the URL key and the
    /// story) for articles written before they existed, a batch per
    /// transaction, oldest first so earlier articles head their stories.
    /// Each article so changed is logged (at its revision, which stays), so
    /// the index takes its story and hidden boilerplate too.
    pub(super) async fn derive_missing(&self) -> Result<()> {
        // Read first: the usual open finds nothing to do and must not wait
        // for the write lock (an import may hold it for a while).
        let missing: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM articles WHERE story_id IS NULL)")
                .fetch_one(&self.pool)
                .await?;
        if !missing {
            return Ok(());
        }
        loop {
            let done = self
                .write(async |tx| {
                    let rows = sqlx::query(
                        "SELECT id, url, paragraphs, source_name, updated_at, revision \
                         FROM articles WHERE story_id IS NULL ORDER BY id LIMIT 500",
                    )
                    .fetch_all(&mut **tx)
                    .await?;
                    let now = format_date(&Utc::now());
                    for row in &rows {
                        let id: i64 = row.get(0);
                        let url: Option<&str> = row.get(1);
                        let paragraphs = json_list(row.get(2), "paragraphs")?;
                        sqlx::query("UPDATE articles SET url_key = ? WHERE id = ?")
                            .bind(url.map(crate::story::match_key))
                            .bind(id)
                            .execute(&mut **tx)
                            .await?;
                        let story = assign_story(tx, id, &paragraphs).await?;
                        if let Some(source) = row.get::<Option<&str>, _>(3) {
                            learn_boilerplate(tx, id, source, &paragraphs, story, row.get(4))
                                .await?;
                        }
                        log_change(tx, id, row.get(5), "upsert", &now).await?;
                    }
                    Ok(rows.is_empty())
                })
                .await?;
            if done {
                return Ok(());
            }
        }
    }

    /// Every article telling story `story_id` (see `crate::story`), first
    /// published first, at most `limit`.
    pub async fn story_versions(&self, story_id: i64, limit: i64) -> Result<Vec<Article>> {
        let rows = sqlx::query(select_articles!(
            "WHERE a.story_id = ?1 ORDER BY COALESCE(a.published_at, '~'), a.id LIMIT ?2"
        ))
        .bind(story_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(article_from_row).collect()
    }

    /// How many articles tell each of `stories`; stories of one are left out.
    pub async fn story_sizes(
        &self,
        stories: &[i64],
    ) -> Result<std::collections::HashMap<i64, i64>> {
        let rows = sqlx::query(
            "SELECT story_id, COUNT(*) FROM articles \
             WHERE story_id IN (SELECT value FROM json_each(?)) \
             GROUP BY story_id HAVING COUNT(*) > 1",
        )
        .bind(serde_json::to_string(stories).expect("ids serialise"))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }
}

/// Most candidates one article is compared with: the newest that share a
/// band. Keeps a write's cost flat when thousands of articles share stock text.
pub(super) const STORY_CANDIDATES: i64 = 64;

/// The story article `id` tells, by its body's `signature`: the story of
/// the most similar other article when one is similar enough (see
/// `crate::story`), else its own. An article that already heads a story
/// with other members keeps heading it. Writes nothing.
pub(super) async fn choose_story(
    tx: &mut Transaction<'_, Sqlite>,
    id: i64,
    signature: Option<&Signature>,
    is_new: bool,
) -> Result<i64> {
    let Some(signature) = signature else {
        return Ok(id);
    };
    if !is_new {
        let heads_others: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM articles WHERE story_id = ?1 AND id != ?1)",
        )
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
        if heads_others {
            return Ok(id);
        }
    }
    let candidates = sqlx::query(
        "SELECT a.id, COALESCE(a.story_id, a.id), a.signature FROM articles a \
         WHERE a.id IN (SELECT DISTINCT article_id FROM story_bands \
         WHERE band_key IN (SELECT value FROM json_each(?1)) AND article_id != ?2 \
         ORDER BY article_id DESC LIMIT ?3) \
         ORDER BY a.id",
    )
    .bind(band_keys(signature))
    .bind(id)
    .bind(STORY_CANDIDATES)
    .fetch_all(&mut **tx)
    .await?;
    let candidates: Vec<(i64, Signature)> = candidates
        .iter()
        .filter_map(|row| {
            let theirs = Signature::from_bytes(&row.get::<Option<Vec<u8>>, _>(2)?)?;
            Some((row.get(1), theirs))
        })
        .collect();
    let story = crate::story::choose(signature, candidates.iter().map(|(s, sig)| (*s, sig)));
    Ok(story.unwrap_or(id))
}

/// Files article `id` under its signature's band keys (none without one),
/// replacing what it was filed under before.
pub(super) async fn file_bands(
    tx: &mut Transaction<'_, Sqlite>,
    id: i64,
    signature: Option<&Signature>,
    is_new: bool,
) -> Result<()> {
    // A new article's id was never filed: the bands of a deleted article
    // went with it (ON DELETE CASCADE).
    if !is_new {
        sqlx::query("DELETE FROM story_bands WHERE article_id = ?")
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    if let Some(signature) = signature {
        sqlx::query(
            "INSERT OR IGNORE INTO story_bands (band_key, article_id) \
             SELECT value, ?2 FROM json_each(?1)",
        )
        .bind(band_keys(signature))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

pub(super) fn band_keys(signature: &Signature) -> String {
    serde_json::to_string(&signature.band_keys()).expect("numbers serialise")
}

/// Groups an article written before stories existed (see `derive_missing`).
pub(super) async fn assign_story(
    tx: &mut Transaction<'_, Sqlite>,
    id: i64,
    paragraphs: &[String],
) -> Result<i64> {
    let signature = Signature::of(paragraphs);
    let story = choose_story(tx, id, signature.as_ref(), false).await?;
    sqlx::query("UPDATE articles SET story_id = ?, signature = ? WHERE id = ?")
        .bind(story)
        .bind(signature.as_ref().map(Signature::to_bytes))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    file_bands(tx, id, signature.as_ref(), false).await?;
    Ok(story)
}
