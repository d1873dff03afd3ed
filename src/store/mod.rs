//! The only place with SQL: the SQLite database that is the archive's source
//! of truth (articles and their revisions, tombstones, stories, learned
//! boilerplate, followed feeds, tokens and the change log), its pool and
//! migrations. One file per part of the record; this one owns the pool, the
//! write transaction and the helpers the parts share.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Connection as _, Row, Sqlite, Transaction};

use crate::article::{Article, NewArticle, Source, format_date};
use crate::revision::{self, Origin};
use crate::story::Signature;

/// How long a writer waits for the write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);
/// SQLite's page cache of the writing connection, in KiB (its default,
/// which the reading connections keep, is 2 MiB). A write touches the
/// B-trees of a dozen indexes at random keys (hashes, story bands); past
/// some tens of thousands of articles those pages no longer fit in 2 MiB,
/// and every insert reads them back from the file. At a million articles
/// the story bands alone take 200 MiB.
const WRITER_CACHE_KIB: u32 = 256 * 1024;

/// Errors from the database.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database error: {0}")]
    Sqlx(sqlx::Error),
    /// SQLite could not grow the database: the disk (or the size limit) is full.
    #[error("the database's disk is full; nothing of this write was saved")]
    Full,
    #[error("could not create the database file: {0}")]
    Create(#[source] std::io::Error),
    #[error("could not apply database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("the database holds a value it cannot read: {0}")]
    Corrupt(String),
    #[error("there is no article {0}")]
    NotFound(i64),
    #[error("article {0} was deleted")]
    Gone(i64),
    #[error("article {id} is at revision {current}, not {expected}")]
    RevisionMismatch {
        id: i64,
        current: i64,
        expected: i64,
    },
    #[error("article {0} already has this URL")]
    UrlTaken(i64),
    #[error("there is no feed {0}")]
    FeedNotFound(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A `SELECT` of whole articles (authors and tags as JSON arrays) with the given tail.
macro_rules! select_articles {
    ($($tail:tt)+) => {
        concat!(
            "SELECT a.id, a.slug, a.revision, a.headline, a.subheading, a.source_name, a.source_site, ",
            "a.url, a.published_at, a.updated_at, a.ingested_at, a.section, a.language, a.paragraphs, ",
            "a.word_count, a.content_hash, a.modified_at, a.summary_only, COALESCE(a.story_id, a.id) AS story_id, a.boilerplate, a.origin, ",
            "(SELECT json_group_array(name) FROM (SELECT name FROM article_authors WHERE article_id = a.id ORDER BY position)) AS authors, ",
            "(SELECT json_group_array(tag) FROM (SELECT tag FROM article_tags WHERE article_id = a.id ORDER BY position)) AS tags ",
            "FROM articles a ",
            $($tail)+
        )
    };
}

mod articles;
mod batch;
mod boilerplate;
mod changes;
mod feeds;
mod lists;
mod revisions;
mod stories;
mod tokens;

pub use articles::{Outcome, Saved};
pub use batch::Prepared;
pub use changes::Change;
pub use feeds::{FeedRecord, PollRecord};
pub use lists::{ArticleFilter, NameCount, NameKind};
pub use revisions::{ChangeEntry, RevisionInfo, RevisionRecord, Tombstone, summarise};
pub use tokens::{NewTokenRecord, TokenInfo, TokenRecord};
use {articles::*, batch::*, boilerplate::*, changes::*, revisions::*, stories::*};

/// The files an SQLite database at `path` occupies in WAL mode: the database
/// itself, its write-ahead log and its shared-memory index.
pub fn database_files(path: &Path) -> [std::path::PathBuf; 3] {
    ["", "-wal", "-shm"].map(|suffix| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        name.into()
    })
}

/// SQLite's result code for "database or disk is full".
const SQLITE_FULL: &str = "13";

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        let full = e
            .as_database_error()
            .and_then(|d| d.code())
            .is_some_and(|code| code == SQLITE_FULL)
            || matches!(&e, sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::StorageFull);
        if full { Error::Full } else { Error::Sqlx(e) }
    }
}

/// The SQLite database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
    /// The one connection write transactions use (SQLite has one writer
    /// at a time anyway), with a larger page cache than the readers'.
    writer: SqlitePool,
}

/// A read transaction over the archive at one point of the change log.
pub struct Snapshot {
    tx: Transaction<'static, Sqlite>,
    /// The change log position this snapshot includes.
    pub last_seq: i64,
}

impl Snapshot {
    /// Articles with ids above `after_id`, by id.
    pub async fn articles_after(&mut self, after_id: i64, limit: i64) -> Result<Vec<Article>> {
        let rows = sqlx::query(select_articles!("WHERE a.id > ? ORDER BY a.id LIMIT ?"))
            .bind(after_id)
            .bind(limit)
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter().map(article_from_row).collect()
    }
}

fn parse_ts(value: &str, column: &str) -> Result<DateTime<Utc>> {
    crate::article::parse_date(value)
        .ok_or_else(|| Error::Corrupt(format!("{column} `{value}` is not a date")))
}

fn json_list(value: &str, column: &str) -> Result<Vec<String>> {
    serde_json::from_str(value).map_err(|e| Error::Corrupt(format!("{column}: {e}")))
}

impl Store {
    /// Opens (creating if needed) the database file in WAL mode and applies
    /// migrations. A new database file is made 0600 before SQLite opens it,
    /// and SQLite gives its `-wal` and `-shm` files the database's mode.
    pub async fn open(path: &Path) -> Result<Store> {
        crate::private::create_file_if_missing(path).map_err(Error::Create)?;
        let options = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            // Writers queue here as they would for SQLite's lock.
            .acquire_timeout(BUSY_TIMEOUT)
            .connect_with(options.pragma("cache_size", format!("-{WRITER_CACHE_KIB}")))
            .await?;
        let store = Store { pool, writer };
        store.derive_missing().await?;
        Ok(store)
    }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction and commits it. When
    /// SQLite fails mid-write (a full disk, say) it may roll the transaction
    /// back by itself, which sqlx does not notice: such a connection would
    /// refuse every later transaction, so it is closed rather than reused.
    pub(super) async fn write<T>(
        &self,
        body: impl AsyncFnOnce(&mut Transaction<'_, Sqlite>) -> Result<T>,
    ) -> Result<T> {
        let mut conn = self.writer.acquire().await?;
        let result = async {
            let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
            let value = body(&mut tx).await?;
            tx.commit().await?;
            Ok(value)
        }
        .await;
        if matches!(result, Err(Error::Sqlx(_) | Error::Full)) {
            conn.close_on_drop();
        }
        result
    }

    /// SQLite's own integrity check; empty when the database is sound.
    pub async fn integrity_problems(&self) -> Result<Vec<String>> {
        let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().filter(|r| r != "ok").collect())
    }

    /// Writes a consistent copy of the whole database to `dest` (which must
    /// not exist) with `VACUUM INTO`: one read transaction, so writers go on
    /// meanwhile and the copy holds exactly what was committed when it began.
    pub async fn backup_into(&self, dest: &Path) -> Result<()> {
        let dest = dest
            .to_str()
            .ok_or_else(|| Error::Corrupt(format!("{} is not a UTF-8 path", dest.display())))?;
        sqlx::query("VACUUM INTO ?1")
            .bind(dest)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Rebuilds every index of the database from its tables (`REINDEX`),
    /// which fixes what `integrity_check` reports about indexes.
    pub async fn rebuild_database_indexes(&self) -> Result<()> {
        sqlx::query("REINDEX").execute(&self.pool).await?;
        Ok(())
    }

    /// A consistent read-only view of the whole archive, for rebuilding the index.
    pub async fn snapshot(&self) -> Result<Snapshot> {
        let mut tx = self.pool.begin().await?;
        // The first read fixes the snapshot: everything after sees the same state.
        let last_seq = last_change_seq(&mut *tx).await?;
        Ok(Snapshot { tx, last_seq })
    }

    /// Closes both pools, waiting for connections to finish. The
    /// write-ahead log is copied into the database and emptied first: a bulk
    /// import's large transactions leave it at a hundred MB or more, which
    /// would otherwise stay on disk until the next writer's checkpoint.
    pub async fn close(&self) {
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.writer)
            .await
        {
            tracing::debug!(error = %e, "the write-ahead log could not be emptied at close");
        }
        self.writer.close().await;
        self.pool.close().await;
    }
}
