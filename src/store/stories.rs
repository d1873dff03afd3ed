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
        let missing = sql!(
            self.reader().await?.conn(),
            scalar::<bool>,
            "SELECT EXISTS (SELECT 1 FROM articles WHERE story_id IS NULL)"
        )?;
        if !missing {
            return Ok(());
        }
        loop {
            let done = self
                .write(async |tx| {
                    let rows = sql!(
                        tx.conn(),
                        all::<(i64, Option<String>, String, Option<String>, String, i64)>,
                        "SELECT id, url, paragraphs, source_name, updated_at, revision \
                         FROM articles WHERE story_id IS NULL ORDER BY id LIMIT 500"
                    )?;
                    let now = format_date(&Utc::now());
                    for (id, url, paragraphs, source, updated_at, revision) in &rows {
                        let paragraphs = json_list(paragraphs, "paragraphs")?;
                        sql!(
                            tx.conn(),
                            execute,
                            "UPDATE articles SET url_key = $1 WHERE id = $2",
                            url.as_deref().map(crate::story::match_key),
                            id
                        )?;
                        let story = assign_story(tx, *id, &paragraphs).await?;
                        if let Some(source) = source {
                            learn_boilerplate(tx, *id, source, &paragraphs, story, updated_at)
                                .await?;
                        }
                        log_change(tx, *id, *revision, "upsert", &now).await?;
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
        let rows = articles!(
            self.reader().await?.conn(),
            all,
            "WHERE a.story_id = $1 ORDER BY COALESCE(a.published_at, '~'), a.id LIMIT $2",
            story_id,
            limit
        )?;
        rows.into_iter().map(ArticleRow::into_article).collect()
    }

    /// How many articles tell each of `stories`; stories of one are left out.
    pub async fn story_sizes(
        &self,
        stories: &[i64],
    ) -> Result<std::collections::HashMap<i64, i64>> {
        let rows = sql!(
            self.reader().await?.conn(),
            all::<(i64, i64)>,
            sqlite: "SELECT story_id, COUNT(*) FROM articles \
                     WHERE story_id IN (SELECT value FROM json_each($1)) \
                     GROUP BY story_id HAVING COUNT(*) > 1",
            postgres: "SELECT story_id, COUNT(*) FROM articles \
                       WHERE story_id IN (SELECT value::bigint FROM json_array_elements_text($1::json)) \
                       GROUP BY story_id HAVING COUNT(*) > 1",
            serde_json::to_string(stories).expect("ids serialise")
        )?;
        Ok(rows.into_iter().collect())
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
    tx: &mut Tx<'_>,
    id: i64,
    signature: Option<&Signature>,
    is_new: bool,
) -> Result<i64> {
    let Some(signature) = signature else {
        return Ok(id);
    };
    if !is_new {
        let heads_others = sql!(
            tx.conn(),
            scalar::<bool>,
            "SELECT EXISTS (SELECT 1 FROM articles WHERE story_id = $1 AND id != $1)",
            id
        )?;
        if heads_others {
            return Ok(id);
        }
    }
    let candidates = sql!(
        tx.conn(),
        all::<(i64, i64, Option<Vec<u8>>)>,
        sqlite: "SELECT a.id, COALESCE(a.story_id, a.id), a.signature FROM articles a \
                 WHERE a.id IN (SELECT DISTINCT article_id FROM story_bands \
                 WHERE band_key IN (SELECT value FROM json_each($1)) AND article_id != $2 \
                 ORDER BY article_id DESC LIMIT $3) \
                 ORDER BY a.id",
        postgres: "SELECT a.id, COALESCE(a.story_id, a.id), a.signature FROM articles a \
                   WHERE a.id IN (SELECT DISTINCT article_id FROM story_bands \
                   WHERE band_key IN (SELECT value::bigint FROM json_array_elements_text($1::json)) \
                   AND article_id != $2 ORDER BY article_id DESC LIMIT $3) \
                   ORDER BY a.id",
        band_keys(signature),
        id,
        STORY_CANDIDATES
    )?;
    let candidates: Vec<(i64, Signature)> = candidates
        .into_iter()
        .filter_map(|(_, story, bytes)| Some((story, Signature::from_bytes(&bytes?)?)))
        .collect();
    let story = crate::story::choose(signature, candidates.iter().map(|(s, sig)| (*s, sig)));
    Ok(story.unwrap_or(id))
}

/// Files article `id` under its signature's band keys (none without one),
/// replacing what it was filed under before.
pub(super) async fn file_bands(
    tx: &mut Tx<'_>,
    id: i64,
    signature: Option<&Signature>,
    is_new: bool,
) -> Result<()> {
    // A new article's id was never filed: the bands of a deleted article
    // went with it (ON DELETE CASCADE).
    if !is_new {
        sql!(
            tx.conn(),
            execute,
            "DELETE FROM story_bands WHERE article_id = $1",
            id
        )?;
    }
    if let Some(signature) = signature {
        sql!(
            tx.conn(),
            execute,
            sqlite: "INSERT OR IGNORE INTO story_bands (band_key, article_id) \
                     SELECT value, $2 FROM json_each($1)",
            postgres: "INSERT INTO story_bands (band_key, article_id) \
                       SELECT DISTINCT value::bigint, $2 FROM json_array_elements_text($1::json) \
                       ON CONFLICT DO NOTHING",
            band_keys(signature),
            id
        )?;
    }
    Ok(())
}

pub(super) fn band_keys(signature: &Signature) -> String {
    serde_json::to_string(&signature.band_keys()).expect("numbers serialise")
}

/// Groups an article written before stories existed (see `derive_missing`).
pub(super) async fn assign_story(tx: &mut Tx<'_>, id: i64, paragraphs: &[String]) -> Result<i64> {
    let signature = Signature::of(paragraphs);
    let story = choose_story(tx, id, signature.as_ref(), false).await?;
    sql!(
        tx.conn(),
        execute,
        "UPDATE articles SET story_id = $1, signature = $2 WHERE id = $3",
        story,
        signature.as_ref().map(Signature::to_bytes),
        id
    )?;
    file_bands(tx, id, signature.as_ref(), false).await?;
    Ok(story)
}
