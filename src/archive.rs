//! The archive: the one write path that keeps the database and the search
//! index consistent. Writes go to the store together with a change-log entry;
//! one indexer task (in whichever process holds the tantivy writer) applies
//! the change log to the index in order, in batches, recording its progress
//! in each commit, so a crash at any moment is repaired by replaying.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::{Mutex, Notify, watch};
use tokio::task::JoinHandle;

use crate::article::{Article, NewArticle};
use crate::metrics::{self, Metrics};
use crate::revision::Origin;
use crate::search::{self, IndexRoot, QueryError, SearchIndex, Snippet};
use crate::store::{self, Saved, Store};

/// Most change-log entries applied in one index commit.
const INDEX_BATCH: i64 = 5_000;
/// How often the indexer looks for changes written by other processes.
const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// Longest wait between retries of a failing index write (a full disk, say).
const MAX_RETRY_DELAY: Duration = Duration::from_secs(30);

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
    index: RwLock<Arc<SearchIndex>>,
    wake: Notify,
    applied: watch::Sender<i64>,
    stop: watch::Sender<bool>,
    indexer: Mutex<Option<JoinHandle<()>>>,
    metrics: Metrics,
    data_dir: PathBuf,
    /// Set while start-up rebuilds an index it found missing, broken or stale.
    rebuilding: std::sync::Mutex<Option<RebuildProgress>>,
    /// The indexer's last error, until it next succeeds.
    index_error: std::sync::Mutex<Option<String>>,
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
    data_dir.join("newsarchive.sqlite3")
}

fn index_root(data_dir: &Path) -> IndexRoot {
    IndexRoot::new(data_dir.join("index"))
}

impl Archive {
    /// Opens the archive in `data_dir` (creating it if needed) and starts the
    /// indexer, which catches the index up with the database and then keeps
    /// it there whenever this process can hold the index writer.
    pub async fn open(data_dir: &Path) -> Result<Archive> {
        Self::open_with(data_dir, true).await
    }

    /// Opens the archive as it is, without rebuilding an index that
    /// disagrees with the database, so `check` can report the difference.
    /// Fails when the index cannot be opened at all.
    pub async fn open_unhealed(data_dir: &Path) -> Result<Archive> {
        Self::open_with(data_dir, false).await
    }

    async fn open_with(data_dir: &Path, heal: bool) -> Result<Archive> {
        std::fs::create_dir_all(data_dir).map_err(search::Error::Io)?;
        let store = Store::open(&database_path(data_dir)).await?;
        let root = index_root(data_dir);
        let (index, rebuild_needed) = open_current(&root, &store, heal).await?;
        let rebuilding = if rebuild_needed {
            let total = u64::try_from(store.article_count().await?).unwrap_or(0);
            Some(RebuildProgress { indexed: 0, total })
        } else {
            None
        };
        let progress = index.progress()?;
        let (applied, _) = watch::channel(progress.last_seq);
        let (stop, _) = watch::channel(false);
        let archive = Archive {
            inner: Arc::new(Inner {
                store,
                root,
                index: RwLock::new(Arc::new(index)),
                wake: Notify::new(),
                applied,
                stop,
                indexer: Mutex::new(None),
                metrics: Metrics::default(),
                data_dir: data_dir.to_owned(),
                rebuilding: std::sync::Mutex::new(rebuilding),
                index_error: std::sync::Mutex::new(None),
            }),
        };
        let task = tokio::spawn(run_indexer(archive.clone()));
        *archive.inner.indexer.lock().await = Some(task);
        Ok(archive)
    }

    /// The database.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The search index as it is now (the raw-engine benchmark runs it
    /// without the database).
    pub fn index(&self) -> Arc<SearchIndex> {
        self.inner.index.read().expect("index lock").clone()
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
        self.inner.wake.notify_one();
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
        self.inner.wake.notify_one();
        Ok(())
    }

    /// Waits until everything written so far is searchable, at most `timeout`.
    /// Returns false when the time ran out.
    pub async fn wait_indexed(&self, timeout: Duration) -> Result<bool> {
        let target = self.inner.store.last_change_seq().await?;
        let mut rx = self.inner.applied.subscribe();
        self.inner.wake.notify_one();
        let caught_up = async {
            rx.wait_for(|seq| *seq >= target).await.is_ok() && {
                // The rebuild's last step switches generations just before it clears the flag.
                while self.rebuilding().is_some() {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                true
            }
        };
        Ok(tokio::time::timeout(timeout, caught_up)
            .await
            .unwrap_or(false))
    }

    /// True when every change up to `seq` is searchable and no rebuild is
    /// under way: pages rendered now reflect change `seq` everywhere.
    pub fn is_searchable_through(&self, seq: i64) -> bool {
        *self.inner.applied.borrow() >= seq && self.rebuilding().is_none()
    }

    /// Why the indexer failed last, while it keeps failing (a full disk, say).
    pub fn index_error(&self) -> Option<String> {
        self.inner.index_error.lock().expect("error lock").clone()
    }

    /// While start-up rebuilds the index: how far it has come.
    pub fn rebuilding(&self) -> Option<RebuildProgress> {
        *self.inner.rebuilding.lock().expect("rebuild lock")
    }

    /// Searches the archive: one page of results with highlights.
    pub async fn search(&self, query: &str, request: &search::Request) -> Result<SearchPage> {
        if let Some(progress) = self.rebuilding() {
            return Err(Error::Rebuilding(progress));
        }
        let started = std::time::Instant::now();
        let page = self.search_now(query, request).await;
        if page.is_ok() {
            self.inner
                .metrics
                .record_search(started.elapsed().as_secs_f64());
        }
        page
    }

    async fn search_now(&self, query: &str, request: &search::Request) -> Result<SearchPage> {
        let index = self.index();
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
                SearchResult {
                    headline_html: hits.highlighter.headline(&article.content.headline),
                    snippet: hits.highlighter.snippet(&article.content.paragraphs),
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
        if self.rebuilding().is_some() {
            return Ok(Vec::new());
        }
        let index = self.index();
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
        let indexed_change = *self.inner.applied.borrow();
        Ok(Health {
            articles,
            last_change,
            indexed_change,
            index_lag: (last_change - indexed_change).max(0),
        })
    }

    /// The metrics read at scrape time: article count, index lag, and the
    /// database's and index's size on disk.
    pub async fn metrics_snapshot(&self) -> Result<metrics::Snapshot> {
        let health = self.health().await?;
        let database_bytes = store::database_files(&database_path(&self.inner.data_dir))
            .iter()
            .map(|file| std::fs::metadata(file).map_or(0, |m| m.len()))
            .sum();
        Ok(metrics::Snapshot {
            articles: health.articles,
            index_lag: health.index_lag,
            database_bytes,
            index_bytes: self.inner.root.size_on_disk(),
        })
    }

    /// Rebuilds the index from a snapshot of the database into a fresh
    /// generation and swaps it in atomically. Searches keep using the old
    /// generation until the swap; changes made meanwhile are replayed after it.
    /// Returns the number of articles indexed, once this process searches
    /// the new generation (or after a minute, if its indexer is stuck).
    pub async fn reindex(&self) -> Result<u64> {
        let count = rebuild(&self.inner.root, &self.inner.store, &|_| {}).await?;
        let live = self.inner.root.current_generation()?;
        for _ in 0..6_000 {
            if live.as_deref() == Some(self.index().generation()) {
                break;
            }
            self.inner.wake.notify_one();
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(count)
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
        let index = self.index();
        index.reload()?;
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
        self.inner.stop.send_replace(true);
        self.inner.wake.notify_one();
        if let Some(task) = self.inner.indexer.lock().await.take() {
            task.await?;
        }
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

/// Opens the live generation, creating the first one. When the index is
/// missing, unreadable, from another schema version, ahead of the database
/// (which happens only when the database lost its last transactions) or
/// holding a different number of articles, it swaps in an empty generation
/// and returns true: the caller rebuilds it in the background.
async fn open_current(root: &IndexRoot, store: &Store, heal: bool) -> Result<(SearchIndex, bool)> {
    let generation = match root.current_generation()? {
        Some(g) => g,
        None if !heal && store.article_count().await? > 0 => {
            return Err(search::Error::Io(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "there is no search index",
            ))
            .into());
        }
        None => {
            let g = root.new_generation()?;
            let index = SearchIndex::open(root, &g)?;
            root.swap_to(&g)?;
            if store.article_count().await? == 0 {
                return Ok((index, false));
            }
            tracing::warn!("there is no search index; rebuilding it from the database");
            return Ok((index, true));
        }
    };
    if !heal {
        return Ok((SearchIndex::open(root, &generation)?, false));
    }
    match SearchIndex::open(root, &generation) {
        Ok(index) => match disagreement(&index, store).await? {
            None => return Ok((index, false)),
            Some(why) => tracing::warn!("the search index {why}; rebuilding it"),
        },
        Err(search::Error::WrongVersion(dir, version)) => {
            tracing::warn!(dir = %dir.display(), version, "the search index is from another version; rebuilding it");
        }
        Err(e) => {
            tracing::warn!(error = %e, "the search index cannot be opened; rebuilding it");
        }
    }
    let fresh = root.new_generation()?;
    let index = SearchIndex::open(root, &fresh)?;
    root.swap_to(&fresh)?;
    Ok((index, true))
}

/// Why an index that opens cannot be trusted, if it cannot. Other processes
/// may write meanwhile, so counts are compared only when the index did not
/// move while it was read and has applied exactly what the database holds.
async fn disagreement(index: &SearchIndex, store: &Store) -> Result<Option<String>> {
    let before = index.progress()?.last_seq;
    index.reload()?;
    let in_index = index.article_count()?;
    let indexed = index.progress()?.last_seq;
    let (written, in_db) = store.last_change_and_count().await?;
    if indexed > written {
        return Ok(Some("is ahead of the database".to_owned()));
    }
    let in_db = u64::try_from(in_db).unwrap_or(0);
    if before == indexed && indexed == written && in_index != in_db {
        return Ok(Some(format!(
            "holds {in_index} articles where the database has {in_db}"
        )));
    }
    Ok(None)
}

async fn rebuild(root: &IndexRoot, store: &Store, on_batch: &(dyn Fn(u64) + Sync)) -> Result<u64> {
    let generation = root.new_generation()?;
    let index = SearchIndex::open(root, &generation)?;
    let mut writer = index.writer()?;
    let mut snapshot = store.snapshot().await?;
    let mut after = 0;
    let mut count = 0u64;
    loop {
        let batch = snapshot.articles_after(after, 1_000).await?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        count += batch.len() as u64;
        writer = tokio::task::spawn_blocking(move || writer.add(&batch).map(|()| writer)).await??;
        on_batch(count);
    }
    let last_seq = snapshot.last_seq;
    drop(snapshot);
    tokio::task::spawn_blocking(move || {
        writer.commit(last_seq)?;
        writer.finish()
    })
    .await??;
    root.swap_to(&generation)?;
    if let Err(e) = root.remove_stale(&generation) {
        tracing::warn!(error = %e, "could not remove an old search index generation");
    }
    Ok(count)
}

/// The indexer: whenever this process can hold the writer, it applies the
/// change log in order; otherwise it follows the commits of the process that can.
async fn run_indexer(archive: Archive) {
    let inner = &archive.inner;
    let mut writer: Option<search::Writer> = None;
    let mut stop = inner.stop.subscribe();
    if archive.rebuilding().is_some() {
        rebuild_at_start(&archive).await;
    }
    let mut delay = POLL_INTERVAL;
    loop {
        let stopping = *stop.borrow_and_update();
        match indexer_step(&archive, &mut writer).await {
            Ok(()) => {
                delay = POLL_INTERVAL;
                inner.index_error.lock().expect("error lock").take();
            }
            Err(e) => {
                tracing::error!(error = %e, retry_in = ?delay, "indexing failed; retrying");
                *inner.index_error.lock().expect("error lock") = Some(e.to_string());
                if !stopping {
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        _ = stop.changed() => {}
                    }
                }
                delay = (delay * 2).min(MAX_RETRY_DELAY);
            }
        }
        if stopping {
            break;
        }
        tokio::select! {
            () = inner.wake.notified() => {}
            () = tokio::time::sleep(POLL_INTERVAL) => {}
            _ = stop.changed() => {}
        }
    }
    if let Some(writer) = writer
        && let Err(e) = tokio::task::spawn_blocking(move || writer.finish()).await
    {
        tracing::error!(error = %e, "closing the index writer failed");
    }
}

/// Rebuilds the index start-up found unusable, retrying until it succeeds
/// or the archive closes; searches answer "rebuilding" until then.
async fn rebuild_at_start(archive: &Archive) {
    let inner = &archive.inner;
    let mut stop = inner.stop.subscribe();
    let mut delay = POLL_INTERVAL;
    loop {
        let report = |indexed: u64| {
            if let Some(progress) = inner.rebuilding.lock().expect("rebuild lock").as_mut() {
                progress.indexed = indexed;
            }
        };
        match rebuild(&inner.root, &inner.store, &report).await {
            Ok(count) => {
                tracing::info!(articles = count, "the search index is rebuilt");
                break;
            }
            Err(e) => tracing::error!(error = %e, "rebuilding the search index failed; retrying"),
        }
        if *stop.borrow_and_update() {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            _ = stop.changed() => return,
        }
        delay = (delay * 2).min(MAX_RETRY_DELAY);
    }
    // Switch to the new generation before searches resume.
    let mut writer = None;
    if let Err(e) = indexer_step(archive, &mut writer).await {
        tracing::warn!(error = %e, "catching up after the rebuild failed; the indexer retries");
    }
    if let Some(w) = writer {
        let _ = tokio::task::spawn_blocking(move || w.finish()).await;
    }
    *inner.rebuilding.lock().expect("rebuild lock") = None;
}

async fn indexer_step(archive: &Archive, writer: &mut Option<search::Writer>) -> Result<()> {
    let inner = &archive.inner;
    // A rebuild elsewhere may have swapped in a new generation.
    let current = archive.index();
    if let Some(live) = inner.root.current_generation()?
        && live != current.generation()
    {
        if let Some(w) = writer.take() {
            tokio::task::spawn_blocking(move || w.finish()).await??;
        }
        let fresh = Arc::new(SearchIndex::open(&inner.root, &live)?);
        tracing::info!(generation = %live, "switched to the rebuilt search index");
        inner.applied.send_replace(fresh.progress()?.last_seq);
        *inner.index.write().expect("index lock") = fresh;
        if let Err(e) = inner.root.remove_stale(&live) {
            tracing::warn!(error = %e, "could not remove an old search index generation");
        }
    }
    let index = archive.index();
    if writer.is_none() {
        match index.writer() {
            Ok(w) => *writer = Some(w),
            Err(search::Error::WriterBusy) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let Some(w) = writer.take() else {
        // Another process indexes; follow its commits.
        index.reload()?;
        inner.applied.send_replace(index.progress()?.last_seq);
        return Ok(());
    };
    let mut w = w;
    let mut applied = index.progress()?.last_seq;
    let result = loop {
        let changes = match inner.store.changes_after(applied, INDEX_BATCH).await {
            Ok(c) => c,
            Err(e) => break Err(e.into()),
        };
        let Some(last) = changes.last() else {
            break Ok(());
        };
        let last_seq = last.seq;
        let mut touched: Vec<i64> = changes.iter().map(|c| c.article_id).collect();
        touched.sort_unstable();
        touched.dedup();
        let articles = match inner.store.articles_by_ids(&touched).await {
            Ok(a) => a,
            Err(e) => break Err(e.into()),
        };
        let (back, outcome) = tokio::task::spawn_blocking(move || {
            let outcome = w.apply(&touched, &articles, last_seq);
            if outcome.is_err() {
                let _ = w.rollback();
            }
            (w, outcome)
        })
        .await?;
        w = back;
        if let Err(e) = outcome {
            break Err(e.into());
        }
        if let Err(e) = index.reload() {
            break Err(e.into());
        }
        applied = last_seq;
        inner.applied.send_replace(applied);
    };
    if result.is_err() {
        // A writer whose worker thread failed (on a full disk, say) stays
        // dead: let it go, and take a fresh one on the next attempt.
        tokio::task::spawn_blocking(move || drop(w)).await?;
    } else {
        *writer = Some(w);
    }
    result
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
