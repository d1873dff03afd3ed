//! Saving a batch of articles with a few set-based statements. Articles that
//! may match one already in the archive go the one-by-one way (`save_one`);
//! each run of new articles between them is a *segment*: what its stories
//! and boilerplate depend on is read in four statements, the decisions are
//! made in memory by the same rules (`crate::story`, `crate::boilerplate`),
//! and the rows are written with one statement per table, whatever the
//! segment's length. The record is what saving them one by one leaves
//! (`tests/it/stories.rs` checks it); only the order of the change log's
//! entries inside the one transaction may differ.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::*;
use crate::boilerplate as rules;

/// An article with what saving it needs worked out ahead (its body's
/// MinHash signature), so that the work can be done away from the write
/// transaction: an import's reading thread prepares the next articles while
/// the database saves the last ones.
pub struct Prepared {
    pub article: NewArticle,
    pub(super) signature: Option<Signature>,
}

impl Prepared {
    pub fn new(article: NewArticle) -> Prepared {
        let signature = Signature::of(&article.paragraphs);
        Prepared { article, signature }
    }
}

/// Saves `articles` (with their `signatures`) in order inside `tx` (see
/// the module's note).
pub(super) async fn save_batch(
    tx: &mut Tx<'_>,
    articles: &[&NewArticle],
    signatures: &[Option<Signature>],
    origin: &str,
    now: &str,
) -> Result<Vec<Saved>> {
    let flagged = may_match(tx, articles).await?;
    let mut saved = Vec::with_capacity(articles.len());
    let mut start = 0;
    while start < articles.len() {
        if flagged[start] {
            saved.push(save_one(tx, articles[start], origin, now).await?);
            start += 1;
            continue;
        }
        let end = (start..articles.len())
            .find(|&i| flagged[i])
            .unwrap_or(articles.len());
        let (segment, signatures) = (&articles[start..end], &signatures[start..end]);
        let mut writer = Segment::read(tx, segment, signatures, origin, now).await?;
        for (article, signature) in segment.iter().zip(signatures) {
            saved.push(writer.add(tx, article, signature.clone()).await?);
        }
        writer.flush(tx).await?;
        start = end;
    }
    Ok(saved)
}

/// For each article, whether it may match one saved before it: an article
/// in the archive or earlier in the batch sharing its URL key, body hash or
/// headline key. A false alarm only costs the one-by-one way, which decides
/// exactly (see `find_existing`); an article not flagged matches nothing.
async fn may_match(tx: &mut Tx<'_>, articles: &[&NewArticle]) -> Result<Vec<bool>> {
    let keys: Vec<[Option<String>; 3]> = articles
        .iter()
        .map(|a| {
            [
                a.url_key(),
                (!a.paragraphs.is_empty()).then(|| a.body_hash()),
                Some(a.headline_key()),
            ]
        })
        .collect();
    let column = |kind: usize| {
        let values: Vec<&str> = keys.iter().filter_map(|k| k[kind].as_deref()).collect();
        serde_json::to_string(&values).expect("strings serialise")
    };
    let rows = sql!(
        tx.conn(),
        all::<(i32, String)>,
        sqlite: "SELECT 0, url_key FROM articles WHERE url_key IN (SELECT value FROM json_each($1)) \
                 UNION ALL SELECT 1, body_hash FROM articles WHERE body_hash IN (SELECT value FROM json_each($2)) \
                 UNION ALL SELECT 2, headline_key FROM articles WHERE headline_key IN (SELECT value FROM json_each($3))",
        postgres: "SELECT 0, url_key FROM articles WHERE url_key IN (SELECT json_array_elements_text($1::json)) \
                   UNION ALL SELECT 1, body_hash FROM articles WHERE body_hash IN (SELECT json_array_elements_text($2::json)) \
                   UNION ALL SELECT 2, headline_key FROM articles WHERE headline_key IN (SELECT json_array_elements_text($3::json))",
        column(0),
        column(1),
        column(2)
    )?;
    let mut seen: [HashSet<String>; 3] = Default::default();
    for (kind, key) in rows {
        seen[kind as usize].insert(key);
    }
    Ok(keys
        .into_iter()
        .map(|article| {
            let mut flagged = false;
            for (kind, key) in article.into_iter().enumerate() {
                if let Some(key) = key {
                    flagged |= !seen[kind].insert(key);
                }
            }
            flagged
        })
        .collect())
}

/// An article another one may join the story of.
struct Candidate {
    story: i64,
    signature: Signature,
}

/// One segment of new articles being saved: what the archive held when it
/// began, what the segment added so far, and the rows still to write.
struct Segment<'a> {
    origin: &'a str,
    now: &'a str,
    next_id: i64,
    /// Per band key, the newest articles filed under it, newest first: the
    /// archive's (at most `STORY_CANDIDATES` each), then the segment's.
    bands: HashMap<i64, Vec<i64>>,
    candidates: HashMap<i64, Candidate>,
    /// Paragraphs each source has learned as boilerplate.
    learned: HashSet<(String, i64)>,
    /// The stories each source's not yet learned paragraphs were seen in.
    carriers: HashMap<(String, i64), HashSet<i64>>,
    rows: Rows,
}

/// Rows waiting to be written, each table's as one JSON array.
#[derive(Default)]
struct Rows {
    articles: Vec<ArticleRow>,
    bands: Vec<(i64, i64)>,
    paragraphs: Vec<(String, i64, i64)>,
    authors: Vec<(i64, usize, String)>,
    tags: Vec<(i64, usize, String)>,
    changes: Vec<i64>,
    last_id: Option<i64>,
}

#[derive(Serialize)]
struct ArticleRow {
    id: i64,
    slug: String,
    headline: String,
    subheading: Option<String>,
    source_name: Option<String>,
    source_site: Option<String>,
    url: Option<String>,
    published_at: Option<String>,
    section: Option<String>,
    language: Option<String>,
    paragraphs: String,
    word_count: i64,
    content_hash: String,
    body_hash: String,
    headline_key: String,
    modified_at: Option<String>,
    summary_only: bool,
    url_key: Option<String>,
    story_id: i64,
    /// Hexadecimal: JSON has no bytes.
    signature: Option<String>,
    boilerplate: Option<String>,
}

impl<'a> Segment<'a> {
    /// Reads what the segment's stories and boilerplate depend on.
    async fn read(
        tx: &mut Tx<'_>,
        articles: &[&NewArticle],
        signatures: &[Option<Signature>],
        origin: &'a str,
        now: &'a str,
    ) -> Result<Segment<'a>> {
        let next_id = sql!(tx.conn(), scalar::<i64>, "SELECT last_id FROM article_ids")?;
        let mut segment = Segment {
            origin,
            now,
            next_id,
            bands: HashMap::new(),
            candidates: HashMap::new(),
            learned: HashSet::new(),
            carriers: HashMap::new(),
            rows: Rows::default(),
        };
        segment.read_bands(tx, signatures).await?;
        segment.read_boilerplate(tx, articles).await?;
        Ok(segment)
    }

    async fn read_bands(
        &mut self,
        tx: &mut Tx<'_>,
        signatures: &[Option<Signature>],
    ) -> Result<()> {
        let keys: HashSet<i64> = signatures
            .iter()
            .flatten()
            .flat_map(|s| s.band_keys())
            .collect();
        if keys.is_empty() {
            return Ok(());
        }
        let keys: Vec<i64> = keys.into_iter().collect();
        // Per key, the newest few by the key's own range of the primary
        // key, read backwards: a key many articles share costs no more.
        let rows = sql!(
            tx.conn(),
            all::<(i64, i64, i64, Option<Vec<u8>>)>,
            sqlite: "SELECT k.value, a.id, COALESCE(a.story_id, a.id), a.signature \
                     FROM json_each($1) k JOIN articles a ON a.id IN \
                     (SELECT article_id FROM story_bands WHERE band_key = k.value \
                      ORDER BY article_id DESC LIMIT $2) \
                     ORDER BY k.value, a.id DESC",
            postgres: "SELECT k.key, a.id, COALESCE(a.story_id, a.id), a.signature \
                       FROM (SELECT value::bigint AS key FROM json_array_elements_text($1::json)) k \
                       CROSS JOIN LATERAL (SELECT article_id FROM story_bands WHERE band_key = k.key \
                        ORDER BY article_id DESC LIMIT $2) b \
                       JOIN articles a ON a.id = b.article_id \
                       ORDER BY k.key, a.id DESC",
            serde_json::to_string(&keys).expect("numbers serialise"),
            STORY_CANDIDATES
        )?;
        for (key, id, story, bytes) in rows {
            self.bands.entry(key).or_default().push(id);
            if let Some(signature) = bytes.and_then(|bytes| Signature::from_bytes(&bytes)) {
                self.candidates.insert(id, Candidate { story, signature });
            }
        }
        Ok(())
    }

    async fn read_boilerplate(&mut self, tx: &mut Tx<'_>, articles: &[&NewArticle]) -> Result<()> {
        let mut all = HashSet::new();
        let mut candidates = HashSet::new();
        for article in articles {
            let Some(source) = &article.source else {
                continue;
            };
            for paragraph in &article.paragraphs {
                all.insert((source.name.as_str(), rules::key(paragraph)));
            }
            for (key, _) in rules::candidates(&article.paragraphs) {
                candidates.insert((source.name.as_str(), key));
            }
        }
        if all.is_empty() {
            return Ok(());
        }
        let pairs = |set: &HashSet<(&str, i64)>| {
            serde_json::to_string(&set.iter().collect::<Vec<_>>()).expect("pairs serialise")
        };
        let learned = sql!(
            tx.conn(),
            all::<(String, i64)>,
            sqlite: "SELECT b.source_name, b.paragraph_key FROM json_each($1) j \
                     JOIN source_boilerplate b ON b.source_name = j.value->>0 AND b.paragraph_key = j.value->>1",
            postgres: "SELECT b.source_name, b.paragraph_key FROM json_array_elements($1::json) j \
                       JOIN source_boilerplate b ON b.source_name = j.value->>0 \
                       AND b.paragraph_key = (j.value->>1)::bigint",
            pairs(&all)
        )?;
        self.learned.extend(learned);
        // A paragraph carried by enough stories is learned as it gets
        // there, so one not learned yet has only a few carriers to read.
        candidates.retain(|(source, key)| !self.learned.contains(&(source.to_string(), *key)));
        let carriers = sql!(
            tx.conn(),
            all::<(String, i64, i64)>,
            sqlite: "SELECT p.source_name, p.paragraph_key, p.story_id FROM json_each($1) j \
                     JOIN source_paragraphs p ON p.source_name = j.value->>0 AND p.paragraph_key = j.value->>1",
            postgres: "SELECT p.source_name, p.paragraph_key, p.story_id FROM json_array_elements($1::json) j \
                       JOIN source_paragraphs p ON p.source_name = j.value->>0 \
                       AND p.paragraph_key = (j.value->>1)::bigint",
            pairs(&candidates)
        )?;
        for (source, key, story) in carriers {
            self.carriers
                .entry((source, key))
                .or_default()
                .insert(story);
        }
        Ok(())
    }

    /// Decides a new article's id, story and hidden boilerplate, and queues
    /// its rows; a paragraph it makes boilerplate is learned at once.
    async fn add(
        &mut self,
        tx: &mut Tx<'_>,
        article: &NewArticle,
        signature: Option<Signature>,
    ) -> Result<Saved> {
        let article: &NewArticle = &article.in_its_language();
        self.next_id += 1;
        let id = self.next_id;
        self.rows.last_id = Some(id);
        let story = match &signature {
            Some(signature) => self.choose_story(signature).unwrap_or(id),
            None => id,
        };
        if let Some(signature) = &signature {
            for key in signature.band_keys() {
                self.bands.entry(key).or_default().insert(0, id);
            }
            self.candidates.insert(
                id,
                Candidate {
                    story,
                    signature: signature.clone(),
                },
            );
        }
        let hidden = match &article.source {
            Some(source) => {
                self.boilerplate(tx, id, &source.name, article, story)
                    .await?
            }
            None => Vec::new(),
        };
        // Queued after the boilerplate, which may write the queue (the
        // bands refer to the article's row).
        if let Some(signature) = &signature {
            self.rows
                .bands
                .extend(signature.band_keys().map(|key| (key, id)));
        }
        let (source_name, source_site) = match &article.source {
            Some(Source { name, site }) => (Some(name.clone()), site.clone()),
            None => (None, None),
        };
        let word_count = if hidden.is_empty() {
            article.word_count()
        } else {
            word_count(&rules::shown(&article.paragraphs, &hidden))
        };
        self.rows.articles.push(ArticleRow {
            id,
            slug: article.slug(),
            headline: article.headline.clone(),
            subheading: article.subheading.clone(),
            source_name,
            source_site,
            url: article.url.clone(),
            published_at: article.published_at.as_ref().map(format_date),
            section: article.section.clone(),
            language: article.language.clone(),
            paragraphs: serde_json::to_string(&article.paragraphs).expect("strings serialise"),
            word_count,
            content_hash: article.content_hash(),
            body_hash: article.body_hash(),
            headline_key: article.headline_key(),
            modified_at: article.modified_at.as_ref().map(format_date),
            summary_only: article.summary_only,
            url_key: article.url_key(),
            story_id: story,
            signature: signature.as_ref().map(|s| hex::encode(s.to_bytes())),
            boilerplate: (!hidden.is_empty())
                .then(|| serde_json::to_string(&hidden).expect("numbers serialise")),
        });
        for (position, name) in article.authors.iter().enumerate() {
            self.rows.authors.push((id, position, name.clone()));
        }
        for (position, tag) in article.tags.iter().enumerate() {
            self.rows.tags.push((id, position, tag.clone()));
        }
        self.rows.changes.push(id);
        Ok(Saved {
            id,
            revision: 1,
            outcome: Outcome::Created,
            changed: revision::Fields::default(),
        })
    }

    /// The story of the most similar article among the newest sharing a
    /// band (as `choose_story` picks it), if one tells the same story.
    fn choose_story(&self, signature: &Signature) -> Option<i64> {
        let mut sharing: Vec<i64> = signature
            .band_keys()
            .iter()
            .filter_map(|key| self.bands.get(key))
            .flat_map(|ids| ids.iter().take(STORY_CANDIDATES as usize).copied())
            .collect::<HashSet<i64>>()
            .into_iter()
            .collect();
        sharing.sort_unstable_by(|a, b| b.cmp(a));
        sharing.truncate(STORY_CANDIDATES as usize);
        sharing.sort_unstable();
        let candidates = sharing
            .iter()
            .filter_map(|id| self.candidates.get(id))
            .map(|c| (c.story, &c.signature));
        crate::story::choose(signature, candidates)
    }

    /// Counts the article's boilerplate candidates as carried by `story` of
    /// `source` (see `learn_boilerplate`), learns those that now reach
    /// enough stories, and returns the paragraphs to hide in it.
    async fn boilerplate(
        &mut self,
        tx: &mut Tx<'_>,
        id: i64,
        source: &str,
        article: &NewArticle,
        story: i64,
    ) -> Result<Vec<usize>> {
        let candidates = rules::candidates(&article.paragraphs);
        let mut reached = Vec::new();
        for (key, text) in &candidates {
            let pair = (source.to_owned(), *key);
            if self.learned.contains(&pair) {
                continue;
            }
            let stories = self.carriers.entry(pair).or_default();
            if stories.insert(story) {
                self.rows.paragraphs.push((source.to_owned(), *key, story));
            }
            if stories.len() as i64 >= rules::STORIES && !reached.iter().any(|(k, _)| k == key) {
                reached.push((*key, *text));
            }
        }
        // Learned in key order, as `learn_boilerplate` does.
        reached.sort_unstable_by_key(|(key, _)| *key);
        for (key, text) in reached {
            // Hiding it in the source's other articles reads them from the
            // database: write what is queued first.
            self.flush(tx).await?;
            learn(tx, source, key, text, self.now).await?;
            leave_out(tx, source, id, text, self.now).await?;
            self.learned.insert((source.to_owned(), key));
            self.carriers.remove(&(source.to_owned(), key));
        }
        Ok(rules::hidden(&article.paragraphs, |key| {
            self.learned.contains(&(source.to_owned(), key))
        }))
    }

    /// Writes the queued rows, a statement per table.
    async fn flush(&mut self, tx: &mut Tx<'_>) -> Result<()> {
        let rows = std::mem::take(&mut self.rows);
        if !rows.articles.is_empty() {
            sql!(
                tx.conn(),
                execute,
                sqlite: "INSERT INTO articles (id, slug, headline, subheading, source_name, source_site, url, \
                         published_at, section, language, paragraphs, word_count, content_hash, body_hash, \
                         headline_key, updated_at, ingested_at, modified_at, summary_only, url_key, story_id, \
                         signature, origin, boilerplate, revision) \
                         SELECT r->>'id', r->>'slug', r->>'headline', r->>'subheading', r->>'source_name', \
                         r->>'source_site', r->>'url', r->>'published_at', r->>'section', r->>'language', \
                         r->>'paragraphs', r->>'word_count', r->>'content_hash', r->>'body_hash', \
                         r->>'headline_key', $2, $2, r->>'modified_at', r->>'summary_only', r->>'url_key', \
                         r->>'story_id', unhex(r->>'signature'), $3, r->>'boilerplate', 1 \
                         FROM (SELECT value AS r FROM json_each($1) ORDER BY key)",
                postgres: "INSERT INTO articles (id, slug, headline, subheading, source_name, source_site, url, \
                           published_at, section, language, paragraphs, word_count, content_hash, body_hash, \
                           headline_key, updated_at, ingested_at, modified_at, summary_only, url_key, story_id, \
                           signature, origin, boilerplate, revision) \
                           SELECT (r->>'id')::bigint, r->>'slug', r->>'headline', r->>'subheading', r->>'source_name', \
                           r->>'source_site', r->>'url', r->>'published_at', r->>'section', r->>'language', \
                           r->>'paragraphs', (r->>'word_count')::bigint, r->>'content_hash', r->>'body_hash', \
                           r->>'headline_key', $2, $2, r->>'modified_at', (r->>'summary_only')::boolean, r->>'url_key', \
                           (r->>'story_id')::bigint, decode(r->>'signature', 'hex'), $3, r->>'boilerplate', 1 \
                           FROM json_array_elements($1::json) WITH ORDINALITY AS j(r, key) ORDER BY key",
                json(&rows.articles),
                self.now,
                self.origin
            )?;
        }
        if !rows.bands.is_empty() {
            sql!(
                tx.conn(),
                execute,
                sqlite: "INSERT OR IGNORE INTO story_bands (band_key, article_id) \
                         SELECT value->>0, value->>1 FROM json_each($1)",
                postgres: "INSERT INTO story_bands (band_key, article_id) \
                           SELECT (value->>0)::bigint, (value->>1)::bigint FROM json_array_elements($1::json) \
                           ON CONFLICT DO NOTHING",
                json(&rows.bands)
            )?;
        }
        if !rows.paragraphs.is_empty() {
            sql!(
                tx.conn(),
                execute,
                sqlite: "INSERT OR IGNORE INTO source_paragraphs (source_name, paragraph_key, story_id) \
                         SELECT value->>0, value->>1, value->>2 FROM json_each($1)",
                postgres: "INSERT INTO source_paragraphs (source_name, paragraph_key, story_id) \
                           SELECT value->>0, (value->>1)::bigint, (value->>2)::bigint \
                           FROM json_array_elements($1::json) ON CONFLICT DO NOTHING",
                json(&rows.paragraphs)
            )?;
        }
        if !rows.authors.is_empty() {
            sql!(
                tx.conn(),
                execute,
                sqlite: "INSERT INTO article_authors (article_id, position, name) \
                         SELECT value->>0, value->>1, value->>2 FROM json_each($1)",
                postgres: "INSERT INTO article_authors (article_id, position, name) \
                           SELECT (value->>0)::bigint, (value->>1)::bigint, value->>2 \
                           FROM json_array_elements($1::json)",
                json(&rows.authors)
            )?;
        }
        if !rows.tags.is_empty() {
            sql!(
                tx.conn(),
                execute,
                sqlite: "INSERT INTO article_tags (article_id, position, tag) \
                         SELECT value->>0, value->>1, value->>2 FROM json_each($1)",
                postgres: "INSERT INTO article_tags (article_id, position, tag) \
                           SELECT (value->>0)::bigint, (value->>1)::bigint, value->>2 \
                           FROM json_array_elements($1::json)",
                json(&rows.tags)
            )?;
        }
        if !rows.changes.is_empty() {
            sql!(
                tx.conn(),
                execute,
                sqlite: "INSERT INTO changes (article_id, revision, kind, changed_at) \
                         SELECT value, 1, 'upsert', $2 FROM json_each($1) ORDER BY key",
                postgres: "INSERT INTO changes (article_id, revision, kind, changed_at) \
                           SELECT value::bigint, 1, 'upsert', $2 \
                           FROM json_array_elements_text($1::json) WITH ORDINALITY AS j(value, key) \
                           ORDER BY key",
                json(&rows.changes),
                self.now
            )?;
        }
        if let Some(last_id) = rows.last_id {
            sql!(
                tx.conn(),
                execute,
                "UPDATE article_ids SET last_id = $1",
                last_id
            )?;
        }
        Ok(())
    }
}

/// Rows of one table as one JSON array.
fn json<T: Serialize>(rows: &[T]) -> String {
    serde_json::to_string(rows).expect("rows serialise")
}
