//! The only place with SQL: the database that is the archive's source of
//! truth (articles and their revisions, tombstones, stories, learned
//! boilerplate, followed feeds, tokens and the change log), on SQLite (the
//! embedded default) or PostgreSQL (shared by several nodes), its pools and
//! migrations. One file per part of the record; this one owns the pools,
//! the write transaction and the helpers the parts share.
//!
//! Both backends sit behind the same methods: the rules (story choice,
//! boilerplate, merging) are Rust written once, and each statement runs
//! through `sql!` on whichever database the store opened. A statement that
//! means the same in both dialects is written once (with `$1` parameters,
//! which SQLite accepts too); where the dialects differ, both are written out.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::Connection as _;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::article::{Article, NewArticle, Source, format_date};
use crate::revision::{self, Origin};
use crate::story::Signature;

pub use database::{
    DATABASE_FILE, DEFAULT_MAX_CONNECTIONS, Database, DatabaseError, POSTGRES_BACKUP,
    database_files,
};

/// How long a writer waits for the write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);
/// SQLite's page cache of the writing connection, in KiB (its default,
/// which the reading connections keep, is 2 MiB). A write touches the
/// B-trees of a dozen indexes at random keys (hashes, story bands); past
/// some tens of thousands of articles those pages no longer fit in 2 MiB,
/// and every insert reads them back from the file. At a million articles
/// the story bands alone take 200 MiB.
const WRITER_CACHE_KIB: u32 = 256 * 1024;
/// The PostgreSQL advisory lock every write transaction takes first (an
/// arbitrary key: "news" in ASCII). Writes are serial, as SQLite's
/// `BEGIN IMMEDIATE` makes them: a change number is drawn under the lock,
/// so change order is commit order and a follower reading `seq > last`
/// never skips a change that commits late (see `tests/it/postgres.rs`).
pub const WRITE_LOCK: i64 = 0x6e65_7773;
/// The channel PostgreSQL writers notify when they commit; followers listen.
pub const CHANGES_CHANNEL: &str = "newsarchive_changes";

/// Errors from the database.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database error: {0}")]
    Sqlx(sqlx::Error),
    /// The database could not grow: the disk (or a size limit) is full.
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
    #[error("{0}")]
    Unsupported(&'static str),
    /// Text PostgreSQL cannot hold (a NUL character): the input's fault.
    #[error("the text holds a NUL character (\\0), which the database cannot store or compare")]
    NulInText,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[macro_use]
mod dialect;
mod articles;
mod batch;
mod boilerplate;
mod changes;
mod copy;
mod database;
mod feeds;
mod hooks;
mod listen;
mod lists;
mod revisions;
mod stories;
mod tokens;

pub(crate) use articles::ArticleRow;
pub use articles::{Outcome, Saved};
pub use batch::Prepared;
pub use changes::Change;
pub use copy::CopyReport;
pub(crate) use dialect::{Conn, Pooled, Tx};
pub use feeds::{FeedRecord, PollRecord};
use hooks::BeforeCommit;
pub use hooks::HeldCommit;
pub use lists::{ArticleFilter, NameCount, NameKind};
pub use revisions::{ChangeEntry, RevisionInfo, RevisionRecord, Tombstone, summarise};
pub use tokens::{NewTokenRecord, TokenInfo, TokenRecord};
use {articles::*, batch::*, boilerplate::*, changes::*, revisions::*, stories::*};

/// SQLite's result code for "database or disk is full".
const SQLITE_FULL: &str = "13";
/// PostgreSQL's SQLSTATE for "disk full".
const POSTGRES_DISK_FULL: &str = "53100";
/// PostgreSQL's SQLSTATEs for a text it cannot hold (a NUL byte): "invalid
/// byte sequence" and "untranslatable character".
const POSTGRES_BAD_TEXT: [&str; 2] = ["22021", "22P05"];

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        let full = e
            .as_database_error()
            .and_then(|d| d.code())
            .is_some_and(|code| code == SQLITE_FULL || code == POSTGRES_DISK_FULL)
            || matches!(&e, sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::StorageFull);
        let code = e.as_database_error().and_then(|d| d.code());
        if code.is_some_and(|code| POSTGRES_BAD_TEXT.contains(&code.as_ref())) {
            return Error::NulInText;
        }
        if full { Error::Full } else { Error::Sqlx(e) }
    }
}

/// The archive's database.
#[derive(Debug, Clone)]
pub struct Store {
    backend: Backend,
    /// What the next write does just before it commits (tests only).
    before_commit: Arc<std::sync::Mutex<Option<BeforeCommit>>>,
}

#[derive(Debug, Clone)]
enum Backend {
    Sqlite {
        path: std::path::PathBuf,
        pool: SqlitePool,
        /// The one connection write transactions use (SQLite has one
        /// writer at a time anyway), with a larger page cache than the readers'.
        writer: SqlitePool,
    },
    Postgres {
        pool: PgPool,
    },
}

/// A read transaction over the archive at one point of the change log.
pub struct Snapshot {
    tx: Tx<'static>,
    /// The change log position this snapshot includes.
    pub last_seq: i64,
}

impl Snapshot {
    /// Articles with ids above `after_id`, by id.
    pub async fn articles_after(&mut self, after_id: i64, limit: i64) -> Result<Vec<Article>> {
        let rows = articles!(
            self.tx.conn(),
            all,
            "WHERE a.id > $1 ORDER BY a.id LIMIT $2",
            after_id,
            limit
        )?;
        rows.into_iter().map(ArticleRow::into_article).collect()
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
    /// Opens the database (an SQLite file is created when missing) and
    /// applies migrations. A new SQLite file is made 0600 before SQLite
    /// opens it, and SQLite gives its `-wal` and `-shm` files the
    /// database's mode. On PostgreSQL, nodes starting together apply the
    /// migrations once: sqlx's migrator holds an advisory lock meanwhile.
    pub async fn open(database: &Database) -> Result<Store> {
        let backend = match database {
            Database::File(path) => {
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
                sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
                let writer = SqlitePoolOptions::new()
                    .max_connections(1)
                    // Writers queue here as they would for SQLite's lock.
                    .acquire_timeout(BUSY_TIMEOUT)
                    .connect_with(options.pragma("cache_size", format!("-{WRITER_CACHE_KIB}")))
                    .await?;
                Backend::Sqlite {
                    path: path.clone(),
                    pool,
                    writer,
                }
            }
            Database::Postgres {
                url,
                max_connections,
            } => {
                let options =
                    PgConnectOptions::from_str(url.as_str())?.application_name("newsarchive");
                let pool = PgPoolOptions::new()
                    .max_connections(*max_connections)
                    .acquire_timeout(BUSY_TIMEOUT)
                    .connect_with(options)
                    .await?;
                sqlx::migrate!("./migrations/postgres").run(&pool).await?;
                Backend::Postgres { pool }
            }
        };
        let store = Store {
            backend,
            before_commit: Arc::default(),
        };
        store.derive_missing().await?;
        Ok(store)
    }

    /// Which backend this is: `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &'static str {
        match &self.backend {
            Backend::Sqlite { .. } => "sqlite",
            Backend::Postgres { .. } => "postgres",
        }
    }

    /// The database's size on disk in bytes: SQLite's files, or what
    /// PostgreSQL reports for the whole database.
    pub async fn size_on_disk(&self) -> Result<u64> {
        Ok(match &self.backend {
            Backend::Sqlite { path, .. } => database_files(path)
                .iter()
                .map(|file| std::fs::metadata(file).map_or(0, |m| m.len()))
                .sum(),
            Backend::Postgres { pool } => {
                let bytes: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())")
                    .fetch_one(pool)
                    .await?;
                u64::try_from(bytes).unwrap_or(0)
            }
        })
    }

    /// The PostgreSQL pool, for listening to the change channel (None on SQLite).
    pub fn postgres_pool(&self) -> Option<&PgPool> {
        match &self.backend {
            Backend::Postgres { pool } => Some(pool),
            Backend::Sqlite { .. } => None,
        }
    }

    /// A connection for reads.
    pub(crate) async fn reader(&self) -> Result<Pooled> {
        Ok(match &self.backend {
            Backend::Sqlite { pool, .. } => Pooled::Sqlite(pool.acquire().await?),
            Backend::Postgres { pool } => Pooled::Postgres(pool.acquire().await?),
        })
    }

    /// A read transaction: everything read in it sees one state of the
    /// archive (on PostgreSQL: `REPEATABLE READ`, fixed by its first read).
    async fn read_tx(&self) -> Result<Tx<'static>> {
        Ok(match &self.backend {
            Backend::Sqlite { pool, .. } => Tx::Sqlite(pool.begin().await?),
            Backend::Postgres { pool } => Tx::Postgres(
                pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?,
            ),
        })
    }

    /// Runs `body` in a write transaction and commits it. Writes are
    /// serial on both backends: SQLite's `BEGIN IMMEDIATE`, PostgreSQL's
    /// advisory lock taken as the transaction's first statement (see
    /// [`WRITE_LOCK`]); on PostgreSQL the commit also wakes the nodes that
    /// follow the change log. When SQLite fails mid-write (a full disk,
    /// say) it may roll the transaction back by itself, which sqlx does not
    /// notice: such a connection would refuse every later transaction, so
    /// it is closed rather than reused.
    pub(super) async fn write<T>(
        &self,
        body: impl AsyncFnOnce(&mut Tx<'_>) -> Result<T>,
    ) -> Result<T> {
        match &self.backend {
            Backend::Sqlite { writer, .. } => {
                let mut conn = writer.acquire().await?;
                let result = async {
                    let mut tx = Tx::Sqlite(conn.begin_with("BEGIN IMMEDIATE").await?);
                    let value = body(&mut tx).await?;
                    self.before_commit().await?;
                    tx.commit().await?;
                    Ok(value)
                }
                .await;
                if matches!(result, Err(Error::Sqlx(_) | Error::Full)) {
                    conn.close_on_drop();
                }
                result
            }
            Backend::Postgres { pool } => {
                let mut tx = Tx::Postgres(pool.begin().await?);
                sql!(
                    tx.conn(),
                    execute,
                    "SELECT pg_advisory_xact_lock($1)",
                    WRITE_LOCK
                )?;
                let value = body(&mut tx).await?;
                self.before_commit().await?;
                // Delivered at commit, and only then; several in one
                // transaction are one.
                sql!(
                    tx.conn(),
                    execute,
                    "SELECT pg_notify($1, '')",
                    CHANGES_CHANNEL
                )?;
                tx.commit().await?;
                Ok(value)
            }
        }
    }

    /// The database's own consistency checks; empty when it is sound.
    /// SQLite: `PRAGMA integrity_check`. PostgreSQL: every B-tree index of
    /// the archive checked against its table by the `amcheck` extension
    /// (made available when it is missing and the role may create it).
    pub async fn integrity_problems(&self) -> Result<Vec<String>> {
        match &self.backend {
            Backend::Sqlite { pool, .. } => {
                let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
                    .fetch_all(pool)
                    .await?;
                Ok(rows.into_iter().filter(|r| r != "ok").collect())
            }
            Backend::Postgres { pool } => postgres_index_problems(pool).await,
        }
    }

    /// Writes a consistent copy of the whole SQLite database to `dest`
    /// (which must not exist) with `VACUUM INTO`: one read transaction, so
    /// writers go on meanwhile and the copy holds exactly what was committed
    /// when it began. PostgreSQL archives are backed up with its own tools.
    pub async fn backup_into(&self, dest: &std::path::Path) -> Result<()> {
        let Backend::Sqlite { pool, .. } = &self.backend else {
            return Err(Error::Unsupported(database::POSTGRES_BACKUP));
        };
        let dest = dest
            .to_str()
            .ok_or_else(|| Error::Corrupt(format!("{} is not a UTF-8 path", dest.display())))?;
        sqlx::query("VACUUM INTO ?1")
            .bind(dest)
            .execute(pool)
            .await?;
        Ok(())
    }

    /// Rebuilds every index of the database from its tables (`REINDEX`),
    /// which fixes what `integrity_problems` reports about indexes.
    pub async fn rebuild_database_indexes(&self) -> Result<()> {
        match &self.backend {
            Backend::Sqlite { pool, .. } => {
                sqlx::query("REINDEX").execute(pool).await?;
            }
            Backend::Postgres { pool } => {
                for table in database::TABLES {
                    // Table names come from our own list, never from input.
                    let sql = format!("REINDEX TABLE {table}");
                    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(pool).await?;
                }
            }
        }
        Ok(())
    }

    /// Refreshes the query planner's statistics after a bulk write. On
    /// PostgreSQL, `ANALYZE`: its autovacuum would get to it in time, and
    /// until then queries on freshly filled tables may be planned as if
    /// they were empty. Nothing on SQLite, which plans from its indexes.
    pub async fn analyze(&self) -> Result<()> {
        if let Backend::Postgres { pool } = &self.backend {
            sqlx::query("ANALYZE").execute(pool).await?;
        }
        Ok(())
    }

    /// A consistent read-only view of the whole archive, for rebuilding the index.
    pub async fn snapshot(&self) -> Result<Snapshot> {
        let mut tx = self.read_tx().await?;
        // The first read fixes the snapshot: everything after sees the same state.
        let last_seq = last_change_seq(tx.conn()).await?;
        Ok(Snapshot { tx, last_seq })
    }

    /// Closes the pools, waiting for connections to finish. SQLite's
    /// write-ahead log is copied into the database and emptied first: a
    /// bulk import's large transactions leave it at a hundred MB or more,
    /// which would otherwise stay on disk until the next writer's checkpoint.
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite { pool, writer, .. } => {
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(writer)
                    .await
                {
                    tracing::debug!(error = %e, "the write-ahead log could not be emptied at close");
                }
                writer.close().await;
                pool.close().await;
            }
            Backend::Postgres { pool } => pool.close().await,
        }
    }
}

/// What `amcheck` finds wrong with the archive's B-tree indexes.
async fn postgres_index_problems(pool: &PgPool) -> Result<Vec<String>> {
    let available: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'amcheck')")
            .fetch_one(pool)
            .await?;
    if !available
        && let Err(e) = sqlx::query("CREATE EXTENSION IF NOT EXISTS amcheck")
            .execute(pool)
            .await
    {
        return Ok(vec![format!(
            "PostgreSQL's amcheck extension is not installed and could not be created ({e}); \
             ask the database's owner to run CREATE EXTENSION amcheck"
        )]);
    }
    let indexes: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
         JOIN pg_class t ON t.oid = i.indrelid JOIN pg_am am ON am.oid = c.relam \
         WHERE am.amname = 'btree' AND t.relname = ANY($1) ORDER BY 1",
    )
    .bind(database::TABLES.to_vec())
    .fetch_all(pool)
    .await?;
    let mut problems = Vec::new();
    for index in indexes {
        if let Err(e) = sqlx::query("SELECT bt_index_check($1::regclass, true)")
            .bind(&index)
            .execute(pool)
            .await
        {
            problems.push(format!("index {index}: {e}"));
        }
    }
    Ok(problems)
}
