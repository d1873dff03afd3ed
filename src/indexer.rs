//! The indexer: the one owner of this process's search index. A state
//! machine (leading: it holds the tantivy writer and applies the change log;
//! following: another process holds it and this one follows its commits;
//! rebuilding: it builds a generation beside the live one) that publishes
//! what it serves as one value, swapped atomically. Readers take the value
//! once and use it for the whole request.
//!
//! Generations and schema versions: `CURRENT` names the live generation,
//! swapped only to a complete one, under the rebuild lock. A process that
//! finds `CURRENT` unusable (missing, broken, an older schema version)
//! rebuilds beside it and swaps. One that finds a *newer* schema version
//! (written by a newer build) leaves `CURRENT` to that build: it builds a
//! generation of its own beside, never named in `CURRENT`, and leads it for
//! as long as it runs; its writer lock keeps it from being removed. So an
//! old server that meets a new build's index keeps searching, and the two
//! builds never swap `CURRENT` back and forth.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{Mutex, Notify, OwnedMutexGuard, mpsc, oneshot, watch};

use crate::archive::{Error, RebuildProgress, Result};
use crate::search::{self, IndexRoot, RebuildLock, SCHEMA_VERSION, SearchIndex};
use crate::store::Store;

/// Most change-log entries applied in one index commit.
const INDEX_BATCH: i64 = 20_000;
/// Articles added to a rebuilt generation between progress reports.
const REBUILD_BATCH: i64 = 1_000;
/// How often the indexer looks for changes written by other processes.
pub(crate) const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// Longest wait between retries of a failing index write (a full disk, say).
const MAX_RETRY_DELAY: Duration = Duration::from_secs(30);

/// What the indexer is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// This process holds the writer and applies the change log.
    Leading,
    /// Another process holds the writer; this one follows its commits.
    Following,
    /// A generation is being built beside the one served (if any).
    Rebuilding,
}

/// What the archive serves searches from, as one value.
#[derive(Clone)]
pub struct Published {
    /// The generation searched, pinned at one commit. None while start-up
    /// rebuilds an index it could not use: searches wait meanwhile.
    pub index: Option<Arc<SearchIndex>>,
    /// The last change the pinned commit holds.
    pub applied: i64,
    /// When the archive last changed, as far as the pinned commit goes.
    pub changed_at: Option<DateTime<Utc>>,
    pub role: Role,
    /// How far the start-up rebuild has come, while searches wait for it.
    pub rebuilding: Option<RebuildProgress>,
    /// The indexer's last error, until it next succeeds.
    pub error: Option<String>,
    /// Names the content served (generation and applied change), for ETags
    /// and the page cache; None while searches wait for a rebuild.
    pub version: Option<Arc<str>>,
    /// How many of this process's own writes the pinned commit holds (all
    /// writes counted up to this number): pages rendered while later ones
    /// are pending are neither cached nor tagged, so a write is visible to
    /// its writer at once.
    pub writes_seen: u64,
}

impl Published {
    fn waiting(progress: RebuildProgress) -> Published {
        Published {
            index: None,
            applied: 0,
            changed_at: None,
            role: Role::Rebuilding,
            rebuilding: Some(progress),
            error: None,
            version: None,
            writes_seen: 0,
        }
    }

    fn serving(index: Arc<SearchIndex>, changed_at: Option<DateTime<Utc>>, role: Role) -> Self {
        let applied = index.progress().last_seq;
        let version = format!("{applied}.{}", short_hash(index.generation()));
        Published {
            index: Some(index),
            applied,
            changed_at,
            role,
            rebuilding: None,
            error: None,
            version: Some(version.into()),
            writes_seen: 0,
        }
    }
}

fn short_hash(text: &str) -> String {
    use sha2::Digest as _;
    let hash = sha2::Sha256::digest(text.as_bytes());
    hash[..4].iter().map(|b| format!("{b:02x}")).collect()
}

tokio::task_local! {
    static PINNED: Arc<Published>;
}

/// Runs `work` (a request) with `view` as the published value every
/// search inside it uses, so a page is rendered from the value its ETag
/// and cache key name.
pub async fn with_view<F: Future>(view: Arc<Published>, work: F) -> F::Output {
    PINNED.scope(view, work).await
}

/// The value pinned for the running request, if any.
pub(crate) fn pinned() -> Option<Arc<Published>> {
    PINNED.try_with(Arc::clone).ok()
}

/// Holds the indexer still while it lives (a test hook): nothing more is
/// applied or published until it is dropped.
#[doc(hidden)]
pub struct Hold {
    _guard: OwnedMutexGuard<()>,
    wake: Arc<Notify>,
}

impl Drop for Hold {
    fn drop(&mut self) {
        self.wake.notify_one();
    }
}

/// The parts of the indexer the archive keeps to talk to it.
pub(crate) struct Handle {
    pub published: watch::Sender<Arc<Published>>,
    pub wake: Arc<Notify>,
    writes: Arc<AtomicU64>,
    gate: Arc<Mutex<()>>,
    stop: watch::Sender<bool>,
    requests: mpsc::UnboundedSender<oneshot::Sender<Result<u64>>>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Handle {
    /// The value served now.
    pub fn published(&self) -> Arc<Published> {
        self.published.borrow().clone()
    }

    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Counts a write of this process (stored, with its change-log entry)
    /// and wakes the indexer to apply it.
    pub fn written(&self) {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.wake();
    }

    /// How many writes this process has made.
    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::SeqCst)
    }

    /// True when `published` lacks some write of this process.
    pub fn behind_own_writes(&self, published: &Published) -> bool {
        self.writes.load(Ordering::SeqCst) > published.writes_seen
    }

    pub async fn hold(&self) -> Hold {
        Hold {
            _guard: self.gate.clone().lock_owned().await,
            wake: self.wake.clone(),
        }
    }

    /// Asks the indexer to rebuild the index beside the live one and swap
    /// it in; answers once this process serves the new generation.
    pub async fn reindex(&self) -> Result<u64> {
        let (tx, rx) = oneshot::channel();
        self.requests
            .send(tx)
            .map_err(|_| stopped("the indexer has stopped"))?;
        self.wake();
        rx.await
            .unwrap_or_else(|_| Err(stopped("the indexer stopped during the rebuild")))
    }

    /// Stops the indexer after it has applied what is pending.
    pub async fn close(&self) -> Result<()> {
        self.stop.send_replace(true);
        self.wake();
        if let Some(task) = self.task.lock().await.take() {
            task.await?;
        }
        Ok(())
    }
}

fn stopped(why: &str) -> Error {
    Error::Search(search::Error::Io(std::io::Error::other(why.to_owned())))
}

/// How start-up found the index.
enum Start {
    /// Usable: serve it (with its writer, when start-up made it).
    Ready(Box<(SearchIndex, Option<search::Writer>)>),
    /// Unusable: rebuild it while searches wait.
    Heal,
}

/// Opens the live generation and starts the indexer. With `heal`, an index
/// that is missing, unreadable, of another schema version, ahead of the
/// database or holding a different number of articles is rebuilt beside it
/// in the background (searches wait); without, such an index is an error
/// (so `check` can report it) unless the archive is empty.
pub(crate) async fn start(root: IndexRoot, store: Store, heal: bool) -> Result<Handle> {
    let start = open_live(&root, &store, heal).await?;
    let (published, rebuild) = match start {
        Start::Ready(ready) => {
            let (index, writer) = *ready;
            let role = if writer.is_some() {
                Role::Leading
            } else {
                Role::Following
            };
            let changed_at = change_time(&store, index.progress().last_seq, None).await;
            let index = Arc::new(index);
            (
                Published::serving(index.clone(), changed_at, role),
                Some((index, writer)),
            )
        }
        Start::Heal => {
            let total = u64::try_from(store.article_count().await?).unwrap_or(0);
            (
                Published::waiting(RebuildProgress { indexed: 0, total }),
                None,
            )
        }
    };
    let (published, _) = watch::channel(Arc::new(published));
    let (stop, stop_rx) = watch::channel(false);
    let (requests, requests_rx) = mpsc::unbounded_channel();
    let handle = Handle {
        published,
        wake: Arc::new(Notify::new()),
        writes: Arc::new(AtomicU64::new(0)),
        gate: Arc::new(Mutex::new(())),
        stop,
        requests,
        task: Mutex::new(None),
    };
    let (work, writer) = match rebuild {
        Some((index, writer)) => (Some(index), writer),
        None => (None, None),
    };
    let indexer = Indexer {
        store,
        root,
        published: handle.published.clone(),
        wake: handle.wake.clone(),
        writes: handle.writes.clone(),
        gate: handle.gate.clone(),
        stop: stop_rx,
        requests: requests_rx,
        work,
        writer,
        ignored: None,
        mark: None,
        cleanup: false,
    };
    // Other nodes' writes wake this one at once on PostgreSQL.
    tokio::spawn({
        let (store, wake, stop) = (
            indexer.store.clone(),
            handle.wake.clone(),
            indexer.stop.clone(),
        );
        async move { store.notify_on_changes(wake, stop).await }
    });
    *handle.task.lock().await = Some(tokio::spawn(indexer.run()));
    Ok(handle)
}

async fn open_live(root: &IndexRoot, store: &Store, heal: bool) -> Result<Start> {
    let mut live = root.current_generation()?;
    if live.is_none() && store.article_count().await? == 0 && store.last_change_seq().await? == 0 {
        // A new archive: its first, empty generation, made now (unless
        // another process starting at the same time made it first).
        let lock = lock(root).await?;
        live = root.current_generation()?;
        if live.is_none() {
            let built = build(root, store, lock, false, &|_| {}).await?;
            return Ok(Start::Ready(Box::new((built.index, Some(built.writer)))));
        }
    }
    let Some(generation) = live else {
        if !heal {
            return Err(search::Error::Missing(root.generation_dir("CURRENT")).into());
        }
        tracing::warn!("there is no search index; rebuilding it from the database");
        return Ok(Start::Heal);
    };
    let opened = blocking({
        let root = root.clone();
        move || SearchIndex::open(&root, &generation)
    })
    .await;
    match opened {
        Ok(index) if !heal => Ok(Start::Ready(Box::new((index, None)))),
        Ok(index) => match disagreement(&index, store).await? {
            None => Ok(Start::Ready(Box::new((index, None)))),
            Some(why) => {
                tracing::warn!("the search index {why}; rebuilding it");
                Ok(Start::Heal)
            }
        },
        Err(e) if !heal => Err(e.into()),
        Err(e) => {
            tracing::warn!(error = %e, "the search index cannot be used; rebuilding it");
            Ok(Start::Heal)
        }
    }
}

/// Why an index that opens cannot be trusted, if it cannot. Other processes
/// may write meanwhile, so counts are compared only when the index did not
/// move while it was read and has applied exactly what the database holds.
async fn disagreement(index: &SearchIndex, store: &Store) -> Result<Option<String>> {
    let indexed = index.progress().last_seq;
    let in_index = index.article_count()?;
    let (written, in_db) = store.last_change_and_count().await?;
    if indexed > written {
        return Ok(Some("is ahead of the database".to_owned()));
    }
    let in_db = u64::try_from(in_db).unwrap_or(0);
    if indexed == written && in_index != in_db {
        return Ok(Some(format!(
            "holds {in_index} articles where the database has {in_db}"
        )));
    }
    Ok(None)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> search::Result<T> + Send + 'static,
) -> search::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(search::Error::Io(std::io::Error::other(e.to_string()))))
}

/// When change `seq` (or the last one before it) was written, as far as
/// one read of the database tells; `known` when it cannot tell.
async fn change_time(
    store: &Store,
    seq: i64,
    known: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    match store.last_change().await {
        Ok(Some((last, at))) if last <= seq => Some(at),
        _ => known,
    }
}

/// A generation built from a snapshot of the database.
struct Built {
    index: SearchIndex,
    /// Its writer, still held, so nobody removes the generation before it is used.
    writer: search::Writer,
    count: u64,
}

/// Waits for the rebuild lock.
async fn lock(root: &IndexRoot) -> Result<RebuildLock> {
    let root = root.clone();
    Ok(blocking(move || root.lock()).await?)
}

/// Builds a complete generation from a snapshot of the database under the
/// rebuild lock and, unless `private`, swaps it in. A failed or killed
/// build leaves `CURRENT` as it was; its directory is removed by the next
/// process that holds the lock.
async fn build(
    root: &IndexRoot,
    store: &Store,
    lock: RebuildLock,
    private: bool,
    on_batch: &(dyn Fn(u64) + Sync),
) -> Result<Built> {
    let generation = root.new_generation(&lock)?;
    let made = SearchIndex::create(root, &generation)
        .and_then(|index| index.writer().map(|writer| (index, writer)));
    let filled = match made {
        Ok((index, writer)) => fill(store, writer, on_batch)
            .await
            .map(|(writer, count)| (index, writer, count)),
        Err(e) => Err(e.into()),
    };
    let (index, writer, count) = match filled {
        Ok(done) => done,
        Err(e) => {
            let _ = std::fs::remove_dir_all(root.generation_dir(&generation));
            return Err(e);
        }
    };
    let index = blocking(move || index.refreshed()).await?;
    if !private {
        root.swap_to(&generation, &lock)?;
    }
    retire(root, &lock, &[&generation]);
    drop(lock);
    Ok(Built {
        index,
        writer,
        count,
    })
}

async fn fill(
    store: &Store,
    mut writer: search::Writer,
    on_batch: &(dyn Fn(u64) + Sync),
) -> Result<(search::Writer, u64)> {
    let mut snapshot = store.snapshot().await?;
    let mut after = 0;
    let mut count = 0u64;
    loop {
        let batch = snapshot.articles_after(after, REBUILD_BATCH).await?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        count += batch.len() as u64;
        writer = tokio::task::spawn_blocking(move || writer.add(&batch).map(|()| writer)).await??;
        on_batch(count);
    }
    let last_seq = snapshot.last_seq;
    drop(snapshot);
    let writer =
        tokio::task::spawn_blocking(move || writer.commit(last_seq).map(|()| writer)).await??;
    Ok((writer, count))
}

/// Removes old generations nobody uses (the rebuild lock is held).
fn retire(root: &IndexRoot, lock: &RebuildLock, keep: &[&str]) {
    match root.remove_stale(lock, keep) {
        Ok(removed) => {
            for generation in removed {
                tracing::info!(%generation, "removed an old search index generation");
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not remove an old search index generation"),
    }
}

struct Indexer {
    store: Store,
    root: IndexRoot,
    published: watch::Sender<Arc<Published>>,
    wake: Arc<Notify>,
    writes: Arc<AtomicU64>,
    gate: Arc<Mutex<()>>,
    stop: watch::Receiver<bool>,
    requests: mpsc::UnboundedReceiver<oneshot::Sender<Result<u64>>>,
    /// The generation this process leads or follows (the live one, or its
    /// own when the live one is of a newer schema version); None until the
    /// start-up rebuild is done.
    work: Option<Arc<SearchIndex>>,
    /// Held while leading `work`.
    writer: Option<search::Writer>,
    /// A live generation of a newer schema version, left to its own build.
    ignored: Option<String>,
    /// This process's write count and the last change logged when it was
    /// read, at the start of the current step.
    mark: Option<(u64, i64)>,
    /// Old generations may be left to remove.
    cleanup: bool,
}

impl Indexer {
    async fn run(mut self) {
        if self.work.is_none() {
            self.heal_at_start().await;
        }
        let mut delay = POLL_INTERVAL;
        let mut pending = Vec::new();
        loop {
            let stopping = *self.stop.borrow_and_update();
            let gate = self.gate.clone();
            let held = gate.lock().await;
            while let Ok(request) = self.requests.try_recv() {
                pending.push(request);
            }
            for reply in pending.drain(..) {
                let result = self.rebuild(false).await;
                let _ = reply.send(result);
            }
            let failed = match self.step().await {
                Ok(()) => {
                    delay = POLL_INTERVAL;
                    self.set_error(None);
                    false
                }
                Err(e) => {
                    tracing::error!(error = %e, retry_in = ?delay, "indexing failed; retrying");
                    self.set_error(Some(e.to_string()));
                    true
                }
            };
            drop(held);
            if stopping {
                break;
            }
            let wait = if failed { delay } else { POLL_INTERVAL };
            if failed {
                delay = (delay * 2).min(MAX_RETRY_DELAY);
            }
            tokio::select! {
                () = self.wake.notified(), if !failed => {}
                () = tokio::time::sleep(wait) => {}
                _ = self.stop.changed() => {}
                Some(request) = self.requests.recv() => pending.push(request),
            }
        }
        for reply in pending {
            let _ = reply.send(Err(stopped("the archive closed before the rebuild")));
        }
        if let Some(writer) = self.writer.take()
            && let Err(e) = tokio::task::spawn_blocking(move || writer.finish()).await
        {
            tracing::error!(error = %e, "closing the index writer failed");
        }
    }

    /// Rebuilds the index start-up found unusable, retrying until it
    /// succeeds or the archive closes; searches wait until then.
    async fn heal_at_start(&mut self) {
        let mut delay = POLL_INTERVAL;
        loop {
            let gate = self.gate.clone();
            let held = gate.lock().await;
            let result = self.rebuild(true).await;
            drop(held);
            match result {
                Ok(count) => {
                    tracing::info!(articles = count, "the search index is rebuilt");
                    return;
                }
                Err(e) => {
                    tracing::error!(error = %e, "rebuilding the search index failed; retrying");
                    self.set_error(Some(e.to_string()));
                }
            }
            if *self.stop.borrow_and_update() {
                return;
            }
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                _ = self.stop.changed() => return,
            }
            delay = (delay * 2).min(MAX_RETRY_DELAY);
        }
    }

    /// Builds a generation beside the one served and switches to it, then
    /// catches it up with the change log. A heal first checks (under the
    /// lock) whether another process has healed the live one meanwhile.
    async fn rebuild(&mut self, heal: bool) -> Result<u64> {
        let held = lock(&self.root).await?;
        if heal && let Some(index) = self.usable_live().await? {
            drop(held);
            tracing::info!(generation = %index.generation(), "another process rebuilt the search index");
            let count = index.article_count()?;
            self.switch_to(Arc::new(index), None).await?;
            self.publish().await;
            return Ok(count);
        }
        let private = self.live_is_newer()?;
        if private {
            tracing::warn!(
                "the live search index is of a newer schema version; building one of version {SCHEMA_VERSION} for this process"
            );
        }
        let waiting = self.published.borrow().index.is_none();
        let mut before = (*self.published()).clone();
        before.role = Role::Rebuilding;
        self.published.send_replace(Arc::new(before));
        let published = self.published.clone();
        let report = move |indexed: u64| {
            if waiting {
                published.send_modify(|p| {
                    if let Some(progress) = p.rebuilding {
                        let mut next = (**p).clone();
                        next.rebuilding = Some(RebuildProgress {
                            indexed,
                            ..progress
                        });
                        *p = Arc::new(next);
                    }
                });
            }
        };
        let built = match build(&self.root, &self.store, held, private, &report).await {
            Ok(built) => built,
            Err(e) => {
                self.published.send_modify(|p| {
                    let mut next = (**p).clone();
                    next.role = if self.writer.is_some() {
                        Role::Leading
                    } else {
                        Role::Following
                    };
                    *p = Arc::new(next);
                });
                return Err(e);
            }
        };
        if private {
            self.ignored = self.root.current_generation()?;
        }
        let count = built.count;
        self.switch_to(Arc::new(built.index), Some(built.writer))
            .await?;
        self.publish().await;
        // Catch up with what was written during the build.
        let written = self.store.last_change_seq().await?;
        self.apply_pending(written).await?;
        self.publish().await;
        Ok(count)
    }

    /// The live generation, if it opens, is of this version and agrees
    /// with the database (the caller holds the rebuild lock).
    async fn usable_live(&self) -> Result<Option<SearchIndex>> {
        let Some(generation) = self.root.current_generation()? else {
            return Ok(None);
        };
        let root = self.root.clone();
        let Ok(index) = blocking(move || SearchIndex::open(&root, &generation)).await else {
            return Ok(None);
        };
        Ok(disagreement(&index, &self.store)
            .await?
            .is_none()
            .then_some(index))
    }

    /// True when the live generation is of a newer schema version.
    fn live_is_newer(&self) -> Result<bool> {
        let Some(generation) = self.root.current_generation()? else {
            return Ok(false);
        };
        Ok(matches!(
            SearchIndex::open(&self.root, &generation),
            Err(search::Error::WrongVersion(_, version)) if version > SCHEMA_VERSION
        ))
    }

    fn published(&self) -> Arc<Published> {
        self.published.borrow().clone()
    }

    /// Works on `index` from now on (leading it with `writer`, if given).
    async fn switch_to(
        &mut self,
        index: Arc<SearchIndex>,
        writer: Option<search::Writer>,
    ) -> Result<()> {
        if let Some(old) = self.writer.take() {
            tokio::task::spawn_blocking(move || old.finish()).await??;
        }
        tracing::info!(generation = %index.generation(), "indexing into this search index generation");
        self.work = Some(index);
        self.writer = writer;
        self.cleanup = true;
        Ok(())
    }

    /// One round: follow a swap of `CURRENT`, then lead (apply the change
    /// log) or follow (pick up the leader's commits), publishing each step.
    async fn step(&mut self) -> Result<()> {
        let Some(work) = self.work.clone() else {
            return Ok(());
        };
        // Every write counted now is in the log at or before `written`.
        let writes = self.writes.load(Ordering::SeqCst);
        let written = self.store.last_change_seq().await?;
        self.mark = Some((writes, written));
        if let Some(live) = self.root.current_generation()?
            && live != work.generation()
            && self.ignored.as_ref() != Some(&live)
        {
            let root = self.root.clone();
            let name = live.clone();
            match blocking(move || SearchIndex::open(&root, &name)).await {
                Ok(index) => {
                    tracing::info!(generation = %live, "the search index was rebuilt; switching to it");
                    self.switch_to(Arc::new(index), None).await?;
                }
                Err(search::Error::WrongVersion(_, version)) if version > SCHEMA_VERSION => {
                    tracing::warn!(
                        generation = %live,
                        version,
                        "the live search index is of a newer schema version; this process keeps its own"
                    );
                    self.ignored = Some(live);
                    if self.writer.is_none() {
                        // Our generation may have no leader left: build one we lead.
                        self.rebuild(false).await?;
                        return Ok(());
                    }
                }
                Err(_) if self.root.current_generation()?.as_ref() != Some(&live) => {
                    // Swapped again meanwhile: the next round looks at the new one.
                    return Ok(());
                }
                Err(e) => {
                    tracing::warn!(generation = %live, error = %e, "the live search index cannot be used; rebuilding it beside");
                    self.rebuild(false).await?;
                    return Ok(());
                }
            }
        }
        if self.writer.is_none() {
            let work = self.work.clone().expect("a generation to work on");
            match blocking(move || work.writer()).await {
                Ok(writer) => {
                    self.writer = Some(writer);
                    let work = self.work.clone().expect("a generation to work on");
                    self.work = Some(Arc::new(blocking(move || work.refreshed()).await?));
                    tracing::debug!("this process now leads the search index");
                }
                Err(search::Error::WriterBusy) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if self.writer.is_some() {
            self.apply_pending(written).await?;
        } else {
            let work = self.work.clone().expect("a generation to work on");
            self.work = Some(Arc::new(blocking(move || work.refreshed()).await?));
        }
        self.publish().await;
        self.published.send_if_modified(|p| {
            if p.index.is_none() || p.applied < written || p.writes_seen >= writes {
                return false;
            }
            let mut next = (**p).clone();
            next.writes_seen = writes;
            *p = Arc::new(next);
            true
        });
        self.remove_old();
        Ok(())
    }

    /// Applies the change log after the leader's last commit, in batches,
    /// publishing after each commit, until it has applied change `upto`
    /// (what was written when the step began): under a steady stream of
    /// writes (other nodes') the loop still ends, and the indexer gets to
    /// its requests (a reindex) between steps.
    async fn apply_pending(&mut self, upto: i64) -> Result<()> {
        let mut writer = self.writer.take().expect("leading");
        let result = loop {
            let work = self.work.clone().expect("a generation to work on");
            let applied = work.progress().last_seq;
            if applied >= upto {
                break Ok(());
            }
            let changes = match self.store.changes_after(applied, INDEX_BATCH).await {
                Ok(changes) => changes,
                Err(e) => break Err(e.into()),
            };
            let Some(last) = changes.last() else {
                break Ok(());
            };
            let last_seq = last.seq;
            let mut touched: Vec<i64> = changes.iter().map(|c| c.article_id).collect();
            touched.sort_unstable();
            touched.dedup();
            let articles = match self.store.articles_by_ids(&touched).await {
                Ok(articles) => articles,
                Err(e) => break Err(e.into()),
            };
            let (back, outcome) = tokio::task::spawn_blocking(move || {
                let outcome = writer
                    .apply(&touched, &articles, last_seq)
                    .and_then(|()| work.refreshed());
                (writer, outcome)
            })
            .await?;
            writer = back;
            match outcome {
                Ok(index) => {
                    self.work = Some(Arc::new(index));
                    self.publish_as(Role::Leading).await;
                }
                Err(e) => break Err(e.into()),
            }
        };
        match result {
            Ok(()) => self.writer = Some(writer),
            // A writer whose worker thread failed (on a full disk, say)
            // stays dead: let it go, and take a fresh one next time.
            Err(_) => tokio::task::spawn_blocking(move || drop(writer)).await?,
        }
        result
    }

    /// Publishes the generation worked on, unless it is a different
    /// generation that holds less than the one served: then the old one is
    /// served until the new one catches up, so results never go missing.
    async fn publish(&mut self) {
        let role = if self.writer.is_some() {
            Role::Leading
        } else {
            Role::Following
        };
        self.publish_as(role).await;
    }

    /// [`Self::publish`], saying `role`: while a batch is applied the
    /// writer is out on a blocking thread, yet this process still leads.
    async fn publish_as(&mut self, role: Role) {
        let Some(work) = self.work.clone() else {
            return;
        };
        let current = self.published();
        let applied = work.progress().last_seq;
        if let Some(served) = &current.index
            && served.generation() != work.generation()
            && applied < current.applied
        {
            return;
        }
        if current
            .index
            .as_ref()
            .is_some_and(|i| i.generation() == work.generation())
            && current.applied == applied
            && current.role == role
        {
            // Nothing new to show (a follower's reload that found no commit).
            return;
        }
        let known = (current.applied == applied)
            .then_some(current.changed_at)
            .flatten();
        let changed_at = if known.is_some() {
            known
        } else {
            change_time(&self.store, applied, current.changed_at).await
        };
        let mut next = Published::serving(work, changed_at, role);
        next.error = current.error.clone();
        next.writes_seen = match self.mark {
            Some((writes, written)) if applied >= written => writes.max(current.writes_seen),
            _ => current.writes_seen,
        };
        self.published.send_replace(Arc::new(next));
    }

    fn set_error(&self, error: Option<String>) {
        self.published.send_if_modified(|p| {
            if p.error == error {
                return false;
            }
            let mut next = (**p).clone();
            next.error = error;
            *p = Arc::new(next);
            true
        });
    }

    /// Removes generations left behind by a switch, when no rebuild runs.
    fn remove_old(&mut self) {
        if !self.cleanup {
            return;
        }
        let Ok(Some(lock)) = self.root.try_lock() else {
            return;
        };
        let work = self.work.as_ref().map(|w| w.generation().to_owned());
        let served = self
            .published()
            .index
            .as_ref()
            .map(|i| i.generation().to_owned());
        let keep: Vec<&str> = work
            .iter()
            .chain(served.iter())
            .map(String::as_str)
            .collect();
        retire(&self.root, &lock, &keep);
        // Served and worked-on are the same once a switch is complete.
        self.cleanup = work != served;
    }
}
