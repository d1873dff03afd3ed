//! Articles: saving (matching an existing article, creating or updating
//! it), deleting, and reading them back.

use super::*;

impl Store {
    /// Saves articles in one write transaction: each is matched to an
    /// existing article (by URL, else by body, else by headline, source and
    /// day), then created, updated (revision + 1) or left unchanged. Every
    /// creation or update appends to the change log in the same transaction,
    /// so either all of them land or none does. A matched article takes
    /// the fields the incoming one carries and keeps the others (see
    /// [`revision::merge`]); the version it replaces is kept whole.
    pub async fn save_articles(
        &self,
        articles: &[NewArticle],
        origin: &Origin,
    ) -> Result<Vec<Saved>> {
        let signatures = articles
            .iter()
            .map(|a| Signature::of(&a.paragraphs))
            .collect();
        self.save_signed(articles.iter().collect(), signatures, origin)
            .await
    }

    /// [`Self::save_articles`] for articles prepared ahead.
    pub async fn save_prepared(
        &self,
        prepared: &[Prepared],
        origin: &Origin,
    ) -> Result<Vec<Saved>> {
        let signatures = prepared.iter().map(|p| p.signature.clone()).collect();
        self.save_signed(
            prepared.iter().map(|p| &p.article).collect(),
            signatures,
            origin,
        )
        .await
    }

    async fn save_signed(
        &self,
        articles: Vec<&NewArticle>,
        signatures: Vec<Option<Signature>>,
        origin: &Origin,
    ) -> Result<Vec<Saved>> {
        let origin = origin.to_string();
        self.write(async |tx| {
            let now = format_date(&Utc::now());
            save_batch(tx, &articles, &signatures, &origin, &now).await
        })
        .await
    }

    /// [`Self::save_articles`] the slow way, each article by itself through
    /// the one-by-one path (`save_one`): the reference the set-based batch
    /// path is tested against. Not for use beyond tests.
    #[doc(hidden)]
    pub async fn save_articles_one_by_one(
        &self,
        articles: &[NewArticle],
        origin: &Origin,
    ) -> Result<Vec<Saved>> {
        let origin = origin.to_string();
        self.write(async |tx| {
            let now = format_date(&Utc::now());
            let mut saved = Vec::with_capacity(articles.len());
            for article in articles {
                saved.push(save_one(tx, article, &origin, &now).await?);
            }
            Ok(saved)
        })
        .await
    }

    /// Creates a new article (never matching an existing one); its URL must be free.
    pub async fn create_article(&self, article: &NewArticle, origin: &Origin) -> Result<Saved> {
        let origin = origin.to_string();
        let article = &*article.in_its_language();
        self.write(async |tx| {
            if let Some(key) = article.url_key() {
                let taken = sql!(
                    tx.conn(),
                    scalar_optional::<i64>,
                    "SELECT id FROM articles WHERE url_key = $1",
                    key
                )?;
                if let Some(id) = taken {
                    return Err(Error::UrlTaken(id));
                }
            }
            write_article(tx, None, article, &origin, &format_date(&Utc::now())).await
        })
        .await
    }

    /// Replaces article `id` with `article` as a whole (a field it lacks is
    /// cleared), if it is at revision `expected` (when given); the version
    /// it replaces is kept. Its URL must not belong to another article.
    pub async fn replace_article(
        &self,
        id: i64,
        article: &NewArticle,
        expected: Option<i64>,
        origin: &Origin,
    ) -> Result<Saved> {
        let origin = origin.to_string();
        let article = &*article.in_its_language();
        self.write(async |tx| {
            let existing = current_revision(tx, id, expected).await?;
            if let Some(key) = article.url_key() {
                let taken = sql!(
                    tx.conn(),
                    scalar_optional::<i64>,
                    "SELECT id FROM articles WHERE url_key = $1 AND id != $2",
                    key,
                    id
                )?;
                if let Some(other) = taken {
                    return Err(Error::UrlTaken(other));
                }
            }
            if existing.content_hash == article.content_hash() {
                return Ok(existing.unchanged());
            }
            let record = load_article(tx, id).await?;
            let changed = revision::changed(&record.record(), article);
            keep_revision(tx, &record).await?;
            let now = format_date(&Utc::now());
            write_article(tx, Some((&existing, changed)), article, &origin, &now).await
        })
        .await
    }

    /// Deletes article `id`, if it is at revision `expected` (when given),
    /// and logs the deletion. Its last version joins its revisions and a
    /// tombstone keeps its id, headline and date: the id is never reused.
    pub async fn delete_article(
        &self,
        id: i64,
        expected: Option<i64>,
        origin: &Origin,
    ) -> Result<()> {
        let origin = origin.to_string();
        self.write(async |tx| {
            current_revision(tx, id, expected).await?;
            let record = load_article(tx, id).await?;
            keep_revision(tx, &record).await?;
            let now = format_date(&Utc::now());
            bury(tx, &record, &origin, &now).await?;
            sql!(tx.conn(), execute, "DELETE FROM articles WHERE id = $1", id)?;
            log_change(tx, id, 0, "delete", &now).await
        })
        .await
    }

    /// One article by id.
    pub async fn article(&self, id: i64) -> Result<Option<Article>> {
        let row = articles!(self.reader().await?.conn(), optional, "WHERE a.id = $1", id)?;
        row.map(ArticleRow::into_article).transpose()
    }

    /// The articles with these ids, in the order given; missing ids are skipped.
    pub async fn articles_by_ids(&self, ids: &[i64]) -> Result<Vec<Article>> {
        let json = ids_in_table_order(ids);
        let rows = sql!(
            self.reader().await?.conn(),
            all::<ArticleRow>,
            sqlite: select_articles!(sqlite, "WHERE a.id IN (SELECT value FROM json_each($1))"),
            postgres: select_articles!(
                postgres,
                "WHERE a.id IN (SELECT value::bigint FROM json_array_elements_text($1::json))"
            ),
            json
        )?;
        in_order(rows, ids)
    }

    /// As [`Store::articles_by_ids`], but every article's paragraphs are
    /// left out (an empty list; `word_count` still counts them): for lists
    /// of articles that show only their other fields, at a fraction of the
    /// cost.
    pub async fn articles_by_ids_without_body(&self, ids: &[i64]) -> Result<Vec<Article>> {
        let json = ids_in_table_order(ids);
        let rows = sql!(
            self.reader().await?.conn(),
            all::<ArticleRow>,
            sqlite: select_articles!(
                without_body,
                sqlite,
                "WHERE a.id IN (SELECT value FROM json_each($1))"
            ),
            postgres: select_articles!(
                without_body,
                postgres,
                "WHERE a.id IN (SELECT value::bigint FROM json_array_elements_text($1::json))"
            ),
            json
        )?;
        in_order(rows, ids)
    }

    /// Number of articles.
    pub async fn article_count(&self) -> Result<i64> {
        Ok(sql!(
            self.reader().await?.conn(),
            scalar::<i64>,
            "SELECT COUNT(*) FROM articles"
        )?)
    }

    /// Every article's id and revision, by id.
    pub async fn revisions(&self) -> Result<Vec<(i64, i64)>> {
        Ok(sql!(
            self.reader().await?.conn(),
            all::<(i64, i64)>,
            "SELECT id, revision FROM articles ORDER BY id"
        )?)
    }
}

/// The ids as a JSON list in the table's order, so that neighbouring rows
/// are read one after another; [`in_order`] puts them back.
fn ids_in_table_order(ids: &[i64]) -> String {
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    serde_json::to_string(&sorted).expect("ids serialise")
}

/// The articles of these rows in the order of `ids`.
fn in_order(rows: Vec<ArticleRow>, ids: &[i64]) -> Result<Vec<Article>> {
    let mut articles = rows
        .into_iter()
        .map(ArticleRow::into_article)
        .collect::<Result<Vec<_>>>()?;
    let order: std::collections::HashMap<i64, usize> =
        ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    articles.sort_by_key(|a| order.get(&a.id).copied());
    Ok(articles)
}

/// What saving one article did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
}

/// The result of saving one article.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Saved {
    pub id: i64,
    pub revision: i64,
    pub outcome: Outcome,
    /// The fields an update changed (empty otherwise).
    pub changed: revision::Fields,
}

pub(super) struct Existing {
    id: i64,
    revision: i64,
    content_hash: String,
}

impl Existing {
    fn unchanged(&self) -> Saved {
        Saved {
            id: self.id,
            revision: self.revision,
            outcome: Outcome::Unchanged,
            changed: revision::Fields::default(),
        }
    }
}

pub(super) async fn find_existing(
    tx: &mut Tx<'_>,
    article: &NewArticle,
) -> Result<Option<Existing>> {
    // By URL first (its normalised key, so tracking parameters, `www.` and
    // AMP variants match); without a URL match, the same story is recognised
    // by its body, or by its headline, source and day when the body was
    // edited; never when the candidate has a different URL (another
    // outlet's copy: that one joins the story instead, see `assign_story`).
    let body_hash = (!article.paragraphs.is_empty()).then(|| article.body_hash());
    let found = sql!(
        tx.conn(),
        optional::<(i64, i64, String, i32)>,
        "SELECT id, revision, content_hash, 0 FROM articles WHERE url_key = $1 \
         UNION ALL SELECT id, revision, content_hash, 1 FROM articles \
         WHERE body_hash = $2 AND (url IS NULL OR $1 IS NULL) \
         UNION ALL SELECT id, revision, content_hash, 2 FROM articles \
         WHERE headline_key = $3 AND (url IS NULL OR $1 IS NULL) \
         ORDER BY 4, 1 LIMIT 1",
        article.url_key(),
        body_hash,
        article.headline_key()
    )?;
    Ok(found.map(|(id, revision, content_hash, _)| Existing {
        id,
        revision,
        content_hash,
    }))
}

pub(super) async fn save_one(
    tx: &mut Tx<'_>,
    article: &NewArticle,
    origin: &str,
    now: &str,
) -> Result<Saved> {
    let Some(existing) = find_existing(tx, article).await? else {
        return write_article(tx, None, &article.in_its_language(), origin, now).await;
    };
    if existing.content_hash == article.content_hash() {
        return Ok(existing.unchanged());
    }
    let record = load_article(tx, existing.id).await?;
    let before = record.record();
    let merged = revision::merge(&before, article);
    let merged = merged.in_its_language();
    if merged.content_hash() == existing.content_hash {
        return Ok(existing.unchanged());
    }
    let changed = revision::changed(&before, &merged);
    keep_revision(tx, &record).await?;
    write_article(tx, Some((&existing, changed)), &merged, origin, now).await
}

/// The whole article `id`, read inside the write transaction.
pub(super) async fn load_article(tx: &mut Tx<'_>, id: i64) -> Result<Article> {
    articles!(tx.conn(), optional, "WHERE a.id = $1", id)?
        .ok_or(Error::NotFound(id))?
        .into_article()
}

/// The article's revision and hash, checked against `expected` when given.
pub(super) async fn current_revision(
    tx: &mut Tx<'_>,
    id: i64,
    expected: Option<i64>,
) -> Result<Existing> {
    let row = sql!(
        tx.conn(),
        optional::<(i64, i64, String)>,
        "SELECT id, revision, content_hash FROM articles WHERE id = $1",
        id
    )?;
    let Some((id, revision, content_hash)) = row else {
        return Err(match tombstone_in(tx.conn(), id).await? {
            Some(_) => Error::Gone(id),
            None => Error::NotFound(id),
        });
    };
    let existing = Existing {
        id,
        revision,
        content_hash,
    };
    match expected {
        Some(expected) if expected != existing.revision => Err(Error::RevisionMismatch {
            id,
            current: existing.revision,
            expected,
        }),
        _ => Ok(existing),
    }
}

/// Inserts `article`, or overwrites `existing` with it (revision + 1; the
/// caller kept the version it replaces and says which fields changed), with
/// its authors, tags, what made it and a change-log entry.
pub(super) async fn write_article(
    tx: &mut Tx<'_>,
    update: Option<(&Existing, revision::Fields)>,
    article: &NewArticle,
    origin: &str,
    now: &str,
) -> Result<Saved> {
    let existing = update.map(|(e, _)| e);
    let hash = article.content_hash();
    let paragraphs = serde_json::to_string(&article.paragraphs).expect("strings serialise");
    let published = article.published_at.as_ref().map(format_date);
    let modified = article.modified_at.as_ref().map(format_date);
    let (source_name, source_site) = match &article.source {
        Some(Source { name, site }) => (Some(name.as_str()), site.as_deref()),
        None => (None, None),
    };
    // A new article gets the next id never given out (deleted ones
    // included), drawn before the row is written so that its story can be
    // chosen first; a matched one is updated in place, keeping its id and
    // ingested_at, its revision one higher.
    let id = match existing {
        Some(e) => e.id,
        None => sql!(
            tx.conn(),
            scalar::<i64>,
            "UPDATE article_ids SET last_id = last_id + 1 RETURNING last_id"
        )?,
    };
    let signature = Signature::of(&article.paragraphs);
    let story = choose_story(tx, id, signature.as_ref(), existing.is_none()).await?;
    let revision = sql!(
        tx.conn(),
        scalar::<i64>,
        "INSERT INTO articles (id, slug, headline, subheading, source_name, source_site, url, \
         published_at, section, language, paragraphs, word_count, content_hash, body_hash, \
         headline_key, updated_at, ingested_at, modified_at, summary_only, url_key, story_id, \
         signature, origin, revision) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, 1) \
         ON CONFLICT (id) DO UPDATE SET slug = excluded.slug, headline = excluded.headline, \
         subheading = excluded.subheading, source_name = excluded.source_name, \
         source_site = excluded.source_site, url = excluded.url, \
         published_at = excluded.published_at, section = excluded.section, \
         language = excluded.language, paragraphs = excluded.paragraphs, \
         word_count = excluded.word_count, content_hash = excluded.content_hash, \
         body_hash = excluded.body_hash, headline_key = excluded.headline_key, \
         updated_at = excluded.updated_at, modified_at = excluded.modified_at, \
         summary_only = excluded.summary_only, url_key = excluded.url_key, boilerplate = NULL, \
         story_id = excluded.story_id, signature = excluded.signature, origin = excluded.origin, \
         revision = articles.revision + 1 \
         RETURNING revision",
        id,
        article.slug(),
        &article.headline,
        &article.subheading,
        source_name,
        source_site,
        &article.url,
        &published,
        &article.section,
        &article.language,
        &paragraphs,
        article.word_count(),
        &hash,
        article.body_hash(),
        article.headline_key(),
        now,
        now,
        &modified,
        article.summary_only,
        article.url_key(),
        story,
        signature.as_ref().map(Signature::to_bytes),
        origin,
    )?;
    file_bands(tx, id, signature.as_ref(), existing.is_none()).await?;
    if let Some(source) = source_name {
        learn_boilerplate(tx, id, source, &article.paragraphs, story, now).await?;
    }
    let outcome = if existing.is_some() {
        sql!(
            tx.conn(),
            execute,
            "DELETE FROM article_authors WHERE article_id = $1",
            id
        )?;
        sql!(
            tx.conn(),
            execute,
            "DELETE FROM article_tags WHERE article_id = $1",
            id
        )?;
        Outcome::Updated
    } else {
        Outcome::Created
    };
    // Most articles have no tags, many no byline: no statement for those.
    if !article.authors.is_empty() {
        sql!(
            tx.conn(),
            execute,
            sqlite: "INSERT INTO article_authors (article_id, position, name) \
                     SELECT $1, key, value FROM json_each($2)",
            postgres: "INSERT INTO article_authors (article_id, position, name) \
                       SELECT $1, key - 1, value FROM json_array_elements_text($2::json) \
                       WITH ORDINALITY AS j(value, key)",
            id,
            serde_json::to_string(&article.authors).expect("strings serialise")
        )?;
    }
    if !article.tags.is_empty() {
        sql!(
            tx.conn(),
            execute,
            sqlite: "INSERT INTO article_tags (article_id, position, tag) \
                     SELECT $1, key, value FROM json_each($2)",
            postgres: "INSERT INTO article_tags (article_id, position, tag) \
                       SELECT $1, key - 1, value FROM json_array_elements_text($2::json) \
                       WITH ORDINALITY AS j(value, key)",
            id,
            serde_json::to_string(&article.tags).expect("strings serialise")
        )?;
    }
    log_change(tx, id, revision, "upsert", now).await?;
    Ok(Saved {
        id,
        revision,
        outcome,
        changed: update.map(|(_, changed)| changed).unwrap_or_default(),
    })
}

/// A row of `select_articles!`.
#[derive(sqlx::FromRow)]
pub(crate) struct ArticleRow {
    id: i64,
    slug: String,
    revision: i64,
    headline: String,
    subheading: Option<String>,
    source_name: Option<String>,
    source_site: Option<String>,
    url: Option<String>,
    published_at: Option<String>,
    updated_at: String,
    ingested_at: String,
    section: Option<String>,
    language: Option<String>,
    paragraphs: String,
    word_count: i64,
    content_hash: String,
    modified_at: Option<String>,
    summary_only: bool,
    story_id: i64,
    boilerplate: Option<String>,
    origin: Option<String>,
    authors: String,
    tags: String,
}

impl ArticleRow {
    pub(crate) fn into_article(self) -> Result<Article> {
        let content = NewArticle {
            headline: self.headline,
            subheading: self.subheading,
            authors: json_list(&self.authors, "authors")?,
            source: self.source_name.map(|name| Source {
                name,
                site: self.source_site,
            }),
            url: self.url,
            published_at: self
                .published_at
                .as_deref()
                .map(|p| parse_ts(p, "published_at"))
                .transpose()?,
            modified_at: self
                .modified_at
                .as_deref()
                .map(|p| parse_ts(p, "modified_at"))
                .transpose()?,
            section: self.section,
            tags: json_list(&self.tags, "tags")?,
            language: self.language,
            paragraphs: json_list(&self.paragraphs, "paragraphs")?,
            summary_only: self.summary_only,
        };
        // The record keeps every paragraph; readers see those not judged boilerplate.
        let hidden: Vec<usize> = match &self.boilerplate {
            Some(json) => serde_json::from_str(json)
                .map_err(|e| Error::Corrupt(format!("boilerplate: {e}")))?,
            None => Vec::new(),
        };
        let (content, captured) = if hidden.is_empty() {
            (content, None)
        } else {
            let all = content.paragraphs.clone();
            let shown = all
                .iter()
                .enumerate()
                .filter(|(i, _)| !hidden.contains(i))
                .map(|(_, p)| p.clone())
                .collect();
            (
                NewArticle {
                    paragraphs: shown,
                    ..content
                },
                Some(all),
            )
        };
        Ok(Article {
            id: self.id,
            slug: self.slug,
            revision: self.revision,
            content,
            updated_at: parse_ts(&self.updated_at, "updated_at")?,
            ingested_at: parse_ts(&self.ingested_at, "ingested_at")?,
            word_count: self.word_count,
            content_hash: self.content_hash,
            story_id: self.story_id,
            captured,
            origin: self.origin,
        })
    }
}
