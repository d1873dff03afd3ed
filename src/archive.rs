//! The archive: the one write path that keeps the database and the search
//! index consistent. Writes go to the store together with a change-log entry;
//! the indexer (`crate::indexer`, in whichever process holds the tantivy
//! writer) applies the change log to the index in order, in batches,
//! recording its progress in each commit, so a crash at any moment is
//! repaired by replaying. Searches read what the indexer publishes.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::article::{Article, NewArticle};
use crate::indexer::{self, Published};
use crate::metrics::{self, Metrics};
use crate::revision::Origin;
use crate::search::{self, IndexRoot, QueryError, SearchIndex, Snippet};
use crate::store::{self, Saved, Store};

/// Errors from archive operations.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error(transparent)]
    Search(#[from] search::Error),
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error("background task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// Searches wait while the index is rebuilt, rather than miss articles.
    #[error("the search index is being rebuilt from the database ({0}); try again shortly")]
    Rebuilding(RebuildProgress),
}

/// How far a rebuild of the search index has come.
#[derive(Debug, Clone, Copy, Default)]
pub struct RebuildProgress {
    pub indexed: u64,
    pub total: u64,
}

impl std::fmt::Display for RebuildProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} of {} articles", self.indexed, self.total)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The archive: database, search index and the indexer that joins them.
#[derive(Clone)]
pub struct Archive {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    root: IndexRoot,
    indexer: indexer::Handle,
    metrics: Metrics,
}

/// One search result: the article, its score, and highlighted text.
pub struct SearchResult {
    pub article: Article,
    /// Relevance; None when sorted by date.
    pub score: Option<f32>,
    /// The headline as escaped HTML with matches in `<mark>`.
    pub headline_html: String,
    /// The best matching passage, when the body matches.
    pub snippet: Option<Snippet>,
    /// How many articles tell the same story (1: only this one).
    pub versions: i64,
}

/// A page of search results.
pub struct SearchPage {
    pub total: u64,
    pub results: Vec<SearchResult>,
    /// Parts of the query that were ignored, in words.
    pub ignored: Vec<String>,
    pub facets: Vec<search::FacetCounts>,
    pub histogram: Option<search::Histogram>,
    /// True when too few articles had all the words, and these have most of them.
    pub relaxed: bool,
    /// When nothing matches: the query with unknown words replaced by close known ones.
    pub suggestion: Option<String>,
    /// Results on the pages before this one.
    pub shown_before: u64,
    /// Where the next page starts; None on the last page.
    pub next: Option<search::Cursor>,
    /// Where the page before starts (when the request asked); None on the first page.
    pub previous: Option<search::Previous>,
}

/// The state of the archive, as `/healthz` reports it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Health {
    pub articles: i64,
    pub last_change: i64,
    pub indexed_change: i64,
    /// Changes written to the database but not yet searchable.
    pub index_lag: i64,
    /// What this process's indexer is doing.
    pub indexer: indexer::Role,
}

/// What `check` found.
#[derive(Debug, Default)]
pub struct CheckReport {
    pub database_problems: Vec<String>,
    pub index_problems: Vec<String>,
    pub articles: usize,
}

impl CheckReport {
    pub fn is_ok(&self) -> bool {
        self.database_problems.is_empty() && self.index_problems.is_empty()
    }
}

/// The files of an archive inside its data directory.
pub fn database_path(data_dir: &Path) -> PathBuf {
    data_dir.join(store::DATABASE_FILE)
}

/// Where an archive lives: its data directory (the search index, and the
/// SQLite file on the embedded default) and its database.
#[derive(Debug, Clone)]
pub struct Location {
    pub data_dir: PathBuf,
    pub database: store::Database,
}

impl Location {
    /// The embedded default: the SQLite file in `data_dir`.
    pub fn embedded(data_dir: &Path) -> Location {
        Location {
            data_dir: data_dir.to_owned(),
            database: store::Database::File(database_path(data_dir)),
        }
    }
}

/// Creates the data directory, its owner's alone (0700), or warns when one
/// that already exists can be read by others.
pub fn prepare_data_dir(data_dir: &Path) -> std::io::Result<()> {
    if !crate::private::create_dir(data_dir)? && crate::private::is_shared(data_dir)? {
        tracing::warn!(
            data = %data_dir.display(),
            "other users can read the data directory; `chmod -R go-rwx` it to keep the archive private"
        );
    }
    Ok(())
}

fn index_root(data_dir: &Path) -> IndexRoot {
    IndexRoot::new(data_dir.join("index"))
}

impl Archive {
    /// Opens the archive in `data_dir` on the embedded default (the SQLite
    /// file there), as [`Archive::open_at`] does.
    pub async fn open(data_dir: &Path) -> Result<Archive> {
        Self::open_at(&Location::embedded(data_dir)).await
    }

    /// Opens the archive at `at` (creating the data directory and an SQLite
    /// database if needed) and starts the indexer, which catches the index
    /// up with the database and then keeps it there whenever this process
    /// can hold the index writer.
    pub async fn open_at(at: &Location) -> Result<Archive> {
        Self::open_with(at, true).await
    }

    /// Opens the archive as it is, without rebuilding an index that
    /// disagrees with the database, so `check` can report the difference.
    /// Fails when the index cannot be opened at all.
    pub async fn open_unhealed(at: &Location) -> Result<Archive> {
        Self::open_with(at, false).await
    }

    async fn open_with(at: &Location, heal: bool) -> Result<Archive> {
        let data_dir = at.data_dir.as_path();
        prepare_data_dir(data_dir).map_err(search::Error::Io)?;
        let store = Store::open(&at.database).await?;
        let root = index_root(data_dir);
        let indexer = indexer::start(root.clone(), store.clone(), heal).await?;
        Ok(Archive {
            inner: Arc::new(Inner {
                store,
                root,
                indexer,
                metrics: Metrics::default(),
            }),
        })
    }

    /// The database.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// What searches read: the value pinned for the running request (see
    /// `indexer::with_view`), otherwise the one the indexer publishes now.
    pub fn published(&self) -> Arc<Published> {
        indexer::pinned().unwrap_or_else(|| self.inner.indexer.published())
    }

    /// The search index as published now (the raw-engine benchmark runs it
    /// without the database); `Rebuilding` while searches wait for a rebuild.
    pub fn index(&self) -> Result<Arc<SearchIndex>> {
        let published = self.published();
        published
            .index
            .clone()
            .ok_or(Error::Rebuilding(published.rebuilding.unwrap_or_default()))
    }

    /// What a page rendered from `published` depends on, for its ETag and
    /// cache key: the published version, and when the index has yet to
    /// apply some write of this process (the database already shows it),
    /// how many writes it has made. None while searches wait for a rebuild.
    pub fn page_version(&self, published: &Published) -> Option<Arc<str>> {
        let version = published.version.clone()?;
        if self.inner.indexer.behind_own_writes(published) {
            let writes = self.inner.indexer.writes();
            return Some(format!("{version}+{writes}").into());
        }
        Some(version)
    }

    /// Holds the indexer still until the returned value is dropped: writes
    /// are stored but not applied to the index. For tests that need the
    /// index to lag the database deterministically.
    #[doc(hidden)]
    pub async fn hold_indexer(&self) -> indexer::Hold {
        self.inner.indexer.hold().await
    }

    /// What the archive has measured about itself.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Saves articles in one transaction (all or none) and wakes the indexer.
    pub async fn save(&self, articles: &[NewArticle], origin: &Origin) -> Result<Vec<Saved>> {
        let saved = self.inner.store.save_articles(articles, origin).await?;
        self.written(&saved);
        Ok(saved)
    }

    /// [`Self::save`] for articles prepared ahead (see [`store::Prepared`]).
    pub async fn save_prepared(
        &self,
        articles: &[store::Prepared],
        origin: &Origin,
    ) -> Result<Vec<Saved>> {
        let saved = self.inner.store.save_prepared(articles, origin).await?;
        self.written(&saved);
        Ok(saved)
    }

    /// Creates a new article; its URL, if any, must be new to the archive.
    pub async fn create(&self, article: &NewArticle, origin: &Origin) -> Result<Saved> {
        let saved = self.inner.store.create_article(article, origin).await?;
        self.written(std::slice::from_ref(&saved));
        Ok(saved)
    }

    fn written(&self, saved: &[Saved]) {
        self.inner
            .metrics
            .record_saved(saved.iter().map(|s| s.outcome));
        self.inner.indexer.written();
    }

    /// Replaces article `id`, if it is at revision `expected` (when given).
    pub async fn replace(
        &self,
        id: i64,
        article: &NewArticle,
        expected: Option<i64>,
        origin: &Origin,
    ) -> Result<Saved> {
        let saved = self
            .inner
            .store
            .replace_article(id, article, expected, origin)
            .await?;
        self.written(std::slice::from_ref(&saved));
        Ok(saved)
    }

    /// Deletes article `id` (if it is at revision `expected`, when given);
    /// the indexer removes it from the index.
    pub async fn delete(&self, id: i64, expected: Option<i64>, origin: &Origin) -> Result<()> {
        self.inner
            .store
            .delete_article(id, expected, origin)
            .await?;
        self.inner.indexer.written();
        Ok(())
    }

    /// Waits until everything written so far is searchable, at most `timeout`.
    /// Returns false when the time ran out.
    pub async fn wait_indexed(&self, timeout: Duration) -> Result<bool> {
        let writes = self.inner.indexer.writes();
        let target = self.inner.store.last_change_seq().await?;
        let mut published = self.inner.indexer.published.subscribe();
        self.inner.indexer.wake();
        let caught_up = published
            .wait_for(|p| p.index.is_some() && p.applied >= target && p.writes_seen >= writes);
        Ok(tokio::time::timeout(timeout, caught_up)
            .await
            .is_ok_and(|r| r.is_ok()))
    }

    /// True when every change up to `seq` is searchable and no rebuild is
    /// under way: pages rendered now reflect change `seq` everywhere.
    pub fn is_searchable_through(&self, seq: i64) -> bool {
        let published = self.published();
        published.index.is_some() && published.applied >= seq
    }

    /// Why the indexer failed last, while it keeps failing (a full disk, say).
    pub fn index_error(&self) -> Option<String> {
        self.published().error.clone()
    }

    /// While start-up rebuilds the index (searches wait): how far it has come.
    pub fn rebuilding(&self) -> Option<RebuildProgress> {
        self.published().rebuilding
    }

    /// Searches the archive: one page of results with highlights.
    pub async fn search(&self, query: &str, request: &search::Request) -> Result<SearchPage> {
        let index = self.index()?;
        let started = std::time::Instant::now();
        let page = self.search_now(index, query, request).await;
        if page.is_ok() {
            self.inner
                .metrics
                .record_search(started.elapsed().as_secs_f64());
        }
        page
    }

    async fn search_now(
        &self,
        index: Arc<SearchIndex>,
        query: &str,
        request: &search::Request,
    ) -> Result<SearchPage> {
        let parsed = index.parse(query)?;
        let ignored = parsed.ignored.clone();
        let request = request.clone();
        let raw = query.to_owned();
        let (hits, suggestion) = tokio::task::spawn_blocking(move || {
            let hits = index.search(&parsed, &request)?;
            let suggestion = if hits.total == 0 {
                index.suggest(&raw)?
            } else {
                None
            };
            Ok::<_, search::Error>((hits, suggestion))
        })
        .await?
        .map_err(|e| match e {
            search::Error::Query(q) => Error::Query(q),
            other => Error::Search(other),
        })?;
        let ids: Vec<i64> = hits.hits.iter().map(|h| h.id).collect();
        let articles = self.inner.store.articles_by_ids(&ids).await?;
        let stories: Vec<i64> = articles.iter().map(|a| a.story_id).collect();
        let sizes = self.inner.store.story_sizes(&stories).await?;
        let results = articles
            .into_iter()
            .map(|article| {
                let score = hits
                    .hits
                    .iter()
                    .find(|h| h.id == article.id)
                    .and_then(|h| h.score);
                let (headline_html, snippet) = hits.highlighter.marks(&article.content);
                SearchResult {
                    headline_html,
                    snippet,
                    score,
                    versions: sizes.get(&article.story_id).copied().unwrap_or(1),
                    article,
                }
            })
            .collect();
        Ok(SearchPage {
            total: hits.total,
            results,
            ignored,
            facets: hits.facets,
            histogram: hits.histogram,
            relaxed: hits.relaxed,
            suggestion,
            shown_before: hits.shown_before,
            next: hits.next,
            previous: hits.previous,
        })
    }

    /// Articles about the same things as `article`, best first; copies of
    /// its own story are not among them (the article page lists those).
    pub async fn related(&self, article: &Article, limit: usize) -> Result<Vec<Article>> {
        let Ok(index) = self.index() else {
            return Ok(Vec::new());
        };
        let query_article = article.clone();
        let hits =
            tokio::task::spawn_blocking(move || index.related(&query_article, limit * 2)).await??;
        let ids: Vec<i64> = hits
            .iter()
            .filter(|h| h.story != article.story_id)
            .map(|h| h.id)
            .take(limit)
            .collect();
        Ok(self.inner.store.articles_by_ids(&ids).await?)
    }

    /// Article count and how far the index lags the database.
    pub async fn health(&self) -> Result<Health> {
        let articles = self.inner.store.article_count().await?;
        let last_change = self.inner.store.last_change_seq().await?;
        let published = self.published();
        let indexed_change = published.applied;
        Ok(Health {
            articles,
            last_change,
            indexed_change,
            index_lag: (last_change - indexed_change).max(0),
            indexer: published.role,
        })
    }

    /// The metrics read at scrape time: article count, index lag, and the
    /// database's and index's size on disk.
    pub async fn metrics_snapshot(&self) -> Result<metrics::Snapshot> {
        let health = self.health().await?;
        let database_bytes = self.inner.store.size_on_disk().await?;
        Ok(metrics::Snapshot {
            articles: health.articles,
            index_lag: health.index_lag,
            database_bytes,
            index_bytes: self.inner.root.size_on_disk(),
        })
    }

    /// Rebuilds the index from a snapshot of the database into a fresh
    /// generation beside the live one and swaps it in once complete, under
    /// the rebuild lock (another rebuild waits). Searches keep using the old
    /// generation until the swap; changes made meanwhile are applied after
    /// it. Returns the number of articles indexed, once this process serves
    /// the new generation.
    pub async fn reindex(&self) -> Result<u64> {
        self.inner.indexer.reindex().await
    }

    /// Verifies SQLite's integrity and that the index holds exactly the
    /// database's articles at their current revisions. Waits (bounded) for
    /// the indexer to catch up first.
    pub async fn check(&self, wait: Duration) -> Result<CheckReport> {
        let mut report = CheckReport {
            database_problems: self.inner.store.integrity_problems().await?,
            ..CheckReport::default()
        };
        if !self.wait_indexed(wait).await? {
            let health = self.health().await?;
            report.index_problems.push(format!(
                "the index is {} changes behind the database (is another process holding the index writer?)",
                health.index_lag
            ));
        }
        let index = match self.index() {
            Ok(index) => index.refreshed()?,
            Err(e) => {
                report.index_problems.push(e.to_string());
                return Ok(report);
            }
        };
        let in_db = self.inner.store.revisions().await?;
        let in_index = index.revisions()?;
        report.articles = in_db.len();
        report
            .index_problems
            .extend(compare_revisions(&in_db, &in_index));
        Ok(report)
    }

    /// Stops the indexer after it has applied what is pending, and releases the writer.
    pub async fn close(&self) -> Result<()> {
        self.inner.indexer.close().await?;
        self.inner.store.close().await;
        Ok(())
    }
}

/// Differences between the database's (id, revision) pairs and the index's.
pub fn compare_revisions(in_db: &[(i64, i64)], in_index: &[(i64, i64)]) -> Vec<String> {
    let mut problems = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < in_db.len() || j < in_index.len() {
        match (in_db.get(i), in_index.get(j)) {
            (Some(&(a, ra)), Some(&(b, rb))) if a == b => {
                if ra != rb {
                    problems.push(format!(
                        "article {a}: database has revision {ra}, index has {rb}"
                    ));
                }
                i += 1;
                j += 1;
                while in_index.get(j).is_some_and(|&(c, _)| c == a) {
                    problems.push(format!("article {a}: indexed more than once"));
                    j += 1;
                }
            }
            (Some(&(a, _)), Some(&(b, _))) if a < b => {
                problems.push(format!("article {a}: missing from the index"));
                i += 1;
            }
            (Some(&(a, _)), None) => {
                problems.push(format!("article {a}: missing from the index"));
                i += 1;
            }
            (_, Some(&(b, _))) => {
                problems.push(format!("article {b}: in the index but not in the database"));
                j += 1;
            }
            (None, None) => break,
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::compare_revisions;

    #[test]
    fn comparing_revisions_names_every_difference() {
        let db = [(1, 1), (2, 3), (4, 1)];
        let index = [(1, 1), (2, 2), (3, 1), (4, 1), (4, 1)];
        let problems = compare_revisions(&db, &index);
        assert_eq!(
            problems,
            [
                "article 2: database has revision 3, index has 2",
                "article 3: in the index but not in the database",
                "article 4: indexed more than once",
            ]
        );
        assert_eq!(
            compare_revisions(&[(5, 1)], &[]),
            ["article 5: missing from the index"]
        );
    }
}
