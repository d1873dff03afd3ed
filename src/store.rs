//! The only place with SQL: the SQLite database that is the archive's source
//! of truth (articles, authors, tags, stories, learned boilerplate, followed
//! feeds and the change log), its pool and migrations.

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
use crate::boilerplate;
use crate::story::Signature;

/// How long a writer waits for the write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);
/// SQLite's page cache of the writing connection, in KiB (its default,
/// which the reading connections keep, is 2 MiB). A write touches the
/// B-trees of a dozen indexes at random keys (hashes, story bands); past
/// some tens of thousands of articles those pages no longer fit in 2 MiB,
/// and every insert reads them back from the file.
const WRITER_CACHE_KIB: u32 = 16 * 1024;

/// Errors from the database.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database error: {0}")]
    Sqlx(sqlx::Error),
    /// SQLite could not grow the database: the disk (or the size limit) is full.
    #[error("the database's disk is full; nothing of this write was saved")]
    Full,
    #[error("could not apply database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("the database holds a value it cannot read: {0}")]
    Corrupt(String),
    #[error("there is no article {0}")]
    NotFound(i64),
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

/// A `SELECT` of whole articles (authors and tags as JSON arrays) with the given tail.
macro_rules! select_articles {
    ($($tail:tt)+) => {
        concat!(
            "SELECT a.id, a.slug, a.revision, a.headline, a.subheading, a.source_name, a.source_site, ",
            "a.url, a.published_at, a.updated_at, a.ingested_at, a.section, a.language, a.paragraphs, ",
            "a.word_count, a.content_hash, a.modified_at, a.summary_only, COALESCE(a.story_id, a.id) AS story_id, a.captured, ",
            "(SELECT json_group_array(name) FROM (SELECT name FROM article_authors WHERE article_id = a.id ORDER BY position)) AS authors, ",
            "(SELECT json_group_array(tag) FROM (SELECT tag FROM article_tags WHERE article_id = a.id ORDER BY position)) AS tags ",
            "FROM articles a ",
            $($tail)+
        )
    };
}

/// The columns of a feed, as `feed_from_row` reads them.
macro_rules! feed_columns {
    () => {
        "id, url, title, interval_secs, etag, last_modified, next_poll_at, last_polled_at, \
         last_error, failures, articles_created, created_at"
    };
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
}

/// One entry of the change log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub seq: i64,
    pub article_id: i64,
}

/// Which articles a list shows; every field given narrows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArticleFilter {
    pub source: Option<String>,
    pub section: Option<String>,
    pub tag: Option<String>,
    pub author: Option<String>,
    /// Published at or after.
    pub from: Option<DateTime<Utc>>,
    /// Published before.
    pub until: Option<DateTime<Utc>>,
    /// Only articles whose publication date is unknown.
    pub undated: bool,
}

/// The list and count statements for one `WHERE` clause, newest first.
macro_rules! filtered {
    ($where:literal, $limit:literal) => {
        (
            select_articles!(concat!(
                "WHERE ",
                $where,
                " ORDER BY COALESCE(a.published_at, '') DESC, a.id DESC ",
                $limit
            )),
            concat!("SELECT COUNT(*) FROM articles a WHERE ", $where),
        )
    };
}

impl ArticleFilter {
    /// The statements for this filter and the values to bind, in order. The
    /// common single-criterion lists get statements that use their index;
    /// combinations share one general statement.
    fn sql(&self) -> (&'static str, &'static str, Vec<Option<String>>) {
        let from = self.from.as_ref().map(format_date);
        let until = self.until.as_ref().map(format_date);
        let only = |value: &Option<String>| {
            let others = [&self.source, &self.section, &self.tag, &self.author]
                .iter()
                .filter(|v| v.is_some())
                .count();
            value.is_some() && others == 1 && from.is_none() && until.is_none() && !self.undated
        };
        let ((list, count), binds) = if only(&self.source) {
            (
                filtered!("a.source_name = ?1", "LIMIT ?2 OFFSET ?3"),
                vec![self.source.clone()],
            )
        } else if only(&self.section) {
            (
                filtered!("a.section = ?1", "LIMIT ?2 OFFSET ?3"),
                vec![self.section.clone()],
            )
        } else if only(&self.tag) {
            (
                filtered!(
                    "a.id IN (SELECT article_id FROM article_tags WHERE tag = ?1)",
                    "LIMIT ?2 OFFSET ?3"
                ),
                vec![self.tag.clone()],
            )
        } else if only(&self.author) {
            (
                filtered!(
                    "a.id IN (SELECT article_id FROM article_authors WHERE name = ?1)",
                    "LIMIT ?2 OFFSET ?3"
                ),
                vec![self.author.clone()],
            )
        } else if *self
            == (ArticleFilter {
                undated: true,
                ..Default::default()
            })
        {
            (
                filtered!("a.published_at IS NULL", "LIMIT ?1 OFFSET ?2"),
                vec![],
            )
        } else if *self == ArticleFilter::default() {
            (filtered!("1", "LIMIT ?1 OFFSET ?2"), vec![])
        } else if self.source.is_none()
            && self.section.is_none()
            && self.tag.is_none()
            && self.author.is_none()
            && !self.undated
        {
            (
                filtered!(
                    "a.published_at >= COALESCE(?1, '') AND a.published_at < COALESCE(?2, '~')",
                    "LIMIT ?3 OFFSET ?4"
                ),
                vec![from, until],
            )
        } else {
            (
                filtered!(
                    "(?1 IS NULL OR a.source_name = ?1) AND (?2 IS NULL OR a.section = ?2) \
                     AND (?3 IS NULL OR a.id IN (SELECT article_id FROM article_tags WHERE tag = ?3)) \
                     AND (?4 IS NULL OR a.id IN (SELECT article_id FROM article_authors WHERE name = ?4)) \
                     AND (?5 IS NULL OR a.published_at >= ?5) AND (?6 IS NULL OR a.published_at < ?6) \
                     AND (?7 = '0' OR a.published_at IS NULL)",
                    "LIMIT ?8 OFFSET ?9"
                ),
                vec![
                    self.source.clone(),
                    self.section.clone(),
                    self.tag.clone(),
                    self.author.clone(),
                    from,
                    until,
                    Some(if self.undated { "1" } else { "0" }.to_owned()),
                ],
            )
        };
        (list, count, binds)
    }
}

/// An API token as `token list` shows it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The kinds of names articles are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    Source,
    Section,
    Tag,
    Author,
}

/// A name (or period) and how many articles have it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameCount {
    pub name: String,
    pub count: i64,
}

/// A feed the archive follows, and how its polling goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRecord {
    pub id: i64,
    pub url: String,
    pub title: Option<String>,
    pub interval_secs: i64,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub next_poll_at: DateTime<Utc>,
    pub last_polled_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// Failed polls in a row; 0 after a success.
    pub failures: i64,
    pub articles_created: i64,
    pub created_at: DateTime<Utc>,
}

/// What one poll of a feed found, to record.
#[derive(Debug, Clone, Default)]
pub struct PollRecord {
    pub title: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// What went wrong, shown with the feed (refused items included).
    pub error: Option<String>,
    /// The poll failed as a whole; counts towards the backoff.
    pub failed: bool,
    pub articles_created: i64,
    pub next_poll_at: DateTime<Utc>,
}

/// The SQLite database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
    /// The one connection write transactions use (SQLite has one writer
    /// at a time anyway), with a larger page cache than the readers'.
    writer: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) the database file in WAL mode and applies migrations.
    pub async fn open(path: &Path) -> Result<Store> {
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

    /// Fills what later versions derive on every write (the URL key and the
    /// story) for articles written before they existed, a batch per
    /// transaction, oldest first so earlier articles head their stories.
    async fn derive_missing(&self) -> Result<()> {
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
                        "SELECT id, url, paragraphs, source_name, updated_at FROM articles \
                         WHERE story_id IS NULL ORDER BY id LIMIT 500",
                    )
                    .fetch_all(&mut **tx)
                    .await?;
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
                    }
                    Ok(rows.is_empty())
                })
                .await?;
            if done {
                return Ok(());
            }
        }
    }

    /// Saves articles in one write transaction: each is matched to an
    /// existing article (by URL, else by body, else by headline, source and
    /// day), then created, updated (revision + 1) or left unchanged. Every
    /// creation or update appends to the change log in the same transaction,
    /// so either all of them land or none does.
    pub async fn save_articles(&self, articles: &[NewArticle]) -> Result<Vec<Saved>> {
        self.write(async |tx| {
            let now = format_date(&Utc::now());
            let mut saved = Vec::with_capacity(articles.len());
            for article in articles {
                saved.push(save_one(tx, article, &now).await?);
            }
            Ok(saved)
        })
        .await
    }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction and commits it. When
    /// SQLite fails mid-write (a full disk, say) it may roll the transaction
    /// back by itself, which sqlx does not notice: such a connection would
    /// refuse every later transaction, so it is closed rather than reused.
    async fn write<T>(
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

    /// Creates a new article (never matching an existing one); its URL must be free.
    pub async fn create_article(&self, article: &NewArticle) -> Result<Saved> {
        self.write(async |tx| {
            if let Some(key) = article.url_key() {
                let taken: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM articles WHERE url_key = ?")
                        .bind(key)
                        .fetch_optional(&mut **tx)
                        .await?;
                if let Some(id) = taken {
                    return Err(Error::UrlTaken(id));
                }
            }
            write_article(tx, None, article, &format_date(&Utc::now())).await
        })
        .await
    }

    /// Replaces article `id` with `article`, if it is at revision `expected`
    /// (when given). Its URL must not belong to another article.
    pub async fn replace_article(
        &self,
        id: i64,
        article: &NewArticle,
        expected: Option<i64>,
    ) -> Result<Saved> {
        self.write(async |tx| {
            let existing = current_revision(tx, id, expected).await?;
            if let Some(key) = article.url_key() {
                let taken: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM articles WHERE url_key = ? AND id != ?")
                        .bind(key)
                        .bind(id)
                        .fetch_optional(&mut **tx)
                        .await?;
                if let Some(other) = taken {
                    return Err(Error::UrlTaken(other));
                }
            }
            if existing.content_hash == article.content_hash() {
                return Ok(Saved {
                    id,
                    revision: existing.revision,
                    outcome: Outcome::Unchanged,
                });
            }
            write_article(tx, Some(&existing), article, &format_date(&Utc::now())).await
        })
        .await
    }

    /// Registers a feed to follow (or changes the interval of one already
    /// followed) and makes it due now.
    pub async fn follow_feed(&self, url: &str, interval_secs: i64) -> Result<FeedRecord> {
        let now = format_date(&Utc::now());
        let row = self
            .write(async |tx| {
                Ok(sqlx::query(concat!(
                    "INSERT INTO feeds (url, interval_secs, next_poll_at, created_at) \
                     VALUES (?1, ?2, ?3, ?3) ON CONFLICT (url) DO UPDATE SET \
                     interval_secs = excluded.interval_secs, next_poll_at = excluded.next_poll_at \
                     RETURNING ",
                    feed_columns!()
                ))
                .bind(url)
                .bind(interval_secs)
                .bind(&now)
                .fetch_one(&mut **tx)
                .await?)
            })
            .await?;
        feed_from_row(&row)
    }

    /// Every followed feed, oldest first.
    pub async fn feeds(&self) -> Result<Vec<FeedRecord>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            feed_columns!(),
            " FROM feeds ORDER BY id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(feed_from_row).collect()
    }

    /// One followed feed, by id.
    pub async fn feed(&self, id: i64) -> Result<Option<FeedRecord>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            feed_columns!(),
            " FROM feeds WHERE id = ?"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(feed_from_row).transpose()
    }

    /// Feeds due for a poll at `now`, longest waiting first.
    pub async fn due_feeds(&self, now: DateTime<Utc>) -> Result<Vec<FeedRecord>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            feed_columns!(),
            " FROM feeds WHERE next_poll_at <= ? ORDER BY next_poll_at, id"
        ))
        .bind(format_date(&now))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(feed_from_row).collect()
    }

    /// When the next feed is due, if any feed is followed.
    pub async fn next_feed_due(&self) -> Result<Option<DateTime<Utc>>> {
        let next: Option<String> = sqlx::query_scalar("SELECT MIN(next_poll_at) FROM feeds")
            .fetch_one(&self.pool)
            .await?;
        next.map(|n| parse_ts(&n, "next_poll_at")).transpose()
    }

    /// Records a poll: a success resets the failure count, a failure adds one.
    /// Validators (ETag, Last-Modified) are kept when the poll gave none.
    pub async fn record_poll(&self, id: i64, poll: &PollRecord) -> Result<()> {
        let now = format_date(&Utc::now());
        self.write(async |tx| {
            sqlx::query(
                "UPDATE feeds SET title = COALESCE(?2, title), etag = COALESCE(?3, etag), \
                 last_modified = COALESCE(?4, last_modified), last_error = ?5, \
                 failures = CASE WHEN ?9 THEN failures + 1 ELSE 0 END, \
                 articles_created = articles_created + ?6, next_poll_at = ?7, \
                 last_polled_at = ?8 WHERE id = ?1",
            )
            .bind(id)
            .bind(&poll.title)
            .bind(&poll.etag)
            .bind(&poll.last_modified)
            .bind(&poll.error)
            .bind(poll.articles_created)
            .bind(format_date(&poll.next_poll_at))
            .bind(&now)
            .bind(poll.failed)
            .execute(&mut **tx)
            .await?;
            Ok(())
        })
        .await
    }

    /// Stops following a feed, given its id or URL; its articles stay.
    pub async fn unfollow_feed(&self, which: &str) -> Result<FeedRecord> {
        self.write(async |tx| {
            let row = sqlx::query(concat!(
                "DELETE FROM feeds WHERE url = ?1 OR CAST(id AS TEXT) = ?1 RETURNING ",
                feed_columns!()
            ))
            .bind(which)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| Error::FeedNotFound(which.to_owned()))?;
            feed_from_row(&row)
        })
        .await
    }

    /// Deletes article `id`, if it is at revision `expected` (when given), and logs the deletion.
    pub async fn delete_article(&self, id: i64, expected: Option<i64>) -> Result<()> {
        self.write(async |tx| {
            current_revision(tx, id, expected).await?;
            sqlx::query("DELETE FROM articles WHERE id = ?")
                .bind(id)
                .execute(&mut **tx)
                .await?;
            log_change(tx, id, 0, "delete", &format_date(&Utc::now())).await
        })
        .await
    }

    /// Makes an API token record; the secret itself is never stored.
    pub async fn create_token(&self, name: &str, prefix: &str, secret_hash: &str) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO api_tokens (name, prefix, secret_hash, created_at) VALUES (?, ?, ?, ?) RETURNING id",
        )
        .bind(name)
        .bind(prefix)
        .bind(secret_hash)
        .bind(format_date(&Utc::now()))
        .fetch_one(&self.pool)
        .await?)
    }

    /// Every API token, oldest first.
    pub async fn tokens(&self) -> Result<Vec<TokenInfo>> {
        let rows = sqlx::query(
            "SELECT id, name, prefix, created_at, revoked_at FROM api_tokens ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let revoked: Option<String> = r.get(4);
                Ok(TokenInfo {
                    id: r.get(0),
                    name: r.get(1),
                    prefix: r.get(2),
                    created_at: parse_ts(r.get(3), "created_at")?,
                    revoked_at: revoked
                        .as_deref()
                        .map(|t| parse_ts(t, "revoked_at"))
                        .transpose()?,
                })
            })
            .collect()
    }

    /// The stored hash of the token with this prefix, and whether it was revoked.
    pub async fn token_hash(&self, prefix: &str) -> Result<Option<(String, bool)>> {
        let row = sqlx::query(
            "SELECT secret_hash, revoked_at IS NOT NULL FROM api_tokens WHERE prefix = ?",
        )
        .bind(prefix)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
    }

    /// Revokes the token with this id, prefix or name; false when there is none (or it was revoked).
    pub async fn revoke_token(&self, which: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = ?1 WHERE revoked_at IS NULL \
             AND (CAST(id AS TEXT) = ?2 OR prefix = ?2 OR name = ?2)",
        )
        .bind(format_date(&Utc::now()))
        .bind(which)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// One article by id.
    pub async fn article(&self, id: i64) -> Result<Option<Article>> {
        let row = sqlx::query(select_articles!("WHERE a.id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(article_from_row).transpose()
    }

    /// The articles with these ids, in the order given; missing ids are skipped.
    pub async fn articles_by_ids(&self, ids: &[i64]) -> Result<Vec<Article>> {
        let json = serde_json::to_string(ids).expect("ids serialise");
        let rows = sqlx::query(select_articles!(
            "WHERE a.id IN (SELECT value FROM json_each(?))"
        ))
        .bind(json)
        .fetch_all(&self.pool)
        .await?;
        let mut articles = rows
            .iter()
            .map(article_from_row)
            .collect::<Result<Vec<_>>>()?;
        let order: std::collections::HashMap<i64, usize> =
            ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        articles.sort_by_key(|a| order.get(&a.id).copied());
        Ok(articles)
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

    /// Articles matching `filter`, newest first (articles without a date last).
    pub async fn list(
        &self,
        filter: &ArticleFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Article>> {
        let (sql, _, binds) = filter.sql();
        let mut query = sqlx::query(sql);
        for value in binds {
            query = query.bind(value);
        }
        let rows = query.bind(limit).bind(offset).fetch_all(&self.pool).await?;
        rows.iter().map(article_from_row).collect()
    }

    /// Up to `limit` articles matching `filter`, newest first, after the
    /// position `after` (the sort key and id of the last article already
    /// seen). Positions stay valid while articles are added.
    pub async fn list_after(
        &self,
        filter: &ArticleFilter,
        after: Option<(String, i64)>,
        limit: i64,
    ) -> Result<Vec<Article>> {
        let (key, id) = after.unzip();
        let rows = sqlx::query(select_articles!(
            "WHERE (?1 IS NULL OR a.source_name = ?1) AND (?2 IS NULL OR a.section = ?2) \
             AND (?3 IS NULL OR a.id IN (SELECT article_id FROM article_tags WHERE tag = ?3)) \
             AND (?4 IS NULL OR a.id IN (SELECT article_id FROM article_authors WHERE name = ?4)) \
             AND (?5 IS NULL OR a.published_at >= ?5) AND (?6 IS NULL OR a.published_at < ?6) \
             AND (?7 IS NULL OR COALESCE(a.published_at, '') < ?7 \
                  OR (COALESCE(a.published_at, '') = ?7 AND a.id < ?8)) \
             ORDER BY COALESCE(a.published_at, '') DESC, a.id DESC LIMIT ?9"
        ))
        .bind(&filter.source)
        .bind(&filter.section)
        .bind(&filter.tag)
        .bind(&filter.author)
        .bind(filter.from.as_ref().map(format_date))
        .bind(filter.until.as_ref().map(format_date))
        .bind(key)
        .bind(id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(article_from_row).collect()
    }

    /// Number of articles matching `filter`.
    pub async fn count(&self, filter: &ArticleFilter) -> Result<i64> {
        let (_, sql, binds) = filter.sql();
        let mut query = sqlx::query_scalar(sql);
        for value in binds {
            query = query.bind(value);
        }
        Ok(query.fetch_one(&self.pool).await?)
    }

    /// Article counts per name of a kind (source, section, tag or author), by name.
    pub async fn names(&self, kind: NameKind) -> Result<Vec<NameCount>> {
        let sql = match kind {
            NameKind::Source => {
                "SELECT source_name, COUNT(*) FROM articles WHERE source_name IS NOT NULL \
                 GROUP BY source_name ORDER BY source_name COLLATE NOCASE"
            }
            NameKind::Section => {
                "SELECT section, COUNT(*) FROM articles WHERE section IS NOT NULL \
                 GROUP BY section ORDER BY section COLLATE NOCASE"
            }
            NameKind::Tag => {
                "SELECT tag, COUNT(*) FROM article_tags GROUP BY tag ORDER BY tag COLLATE NOCASE"
            }
            NameKind::Author => {
                "SELECT name, COUNT(*) FROM article_authors GROUP BY name ORDER BY name COLLATE NOCASE"
            }
        };
        let rows = sqlx::query(sql).fetch_all(&self.pool).await?;
        Ok(name_counts(&rows))
    }

    /// Dated articles counted per period: `prefix` characters of the
    /// publication date (4: year, 7: month, 10: day), within `[from, until)`.
    pub async fn date_counts(
        &self,
        prefix: i64,
        from: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> Result<Vec<NameCount>> {
        let rows = sqlx::query(
            "SELECT substr(published_at, 1, ?1), COUNT(*) FROM articles \
             WHERE published_at IS NOT NULL AND (?2 IS NULL OR published_at >= ?2) \
             AND (?3 IS NULL OR published_at < ?3) GROUP BY 1 ORDER BY 1",
        )
        .bind(prefix)
        .bind(from.as_ref().map(format_date))
        .bind(until.as_ref().map(format_date))
        .fetch_all(&self.pool)
        .await?;
        Ok(name_counts(&rows))
    }

    /// The publication day (`YYYY-MM-DD`) of the latest article before `at`.
    pub async fn day_before(&self, at: DateTime<Utc>) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT substr(published_at, 1, 10) FROM articles WHERE published_at < ? \
             ORDER BY published_at DESC LIMIT 1",
        )
        .bind(format_date(&at))
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The publication day (`YYYY-MM-DD`) of the earliest article at or after `at`.
    pub async fn day_from(&self, at: DateTime<Utc>) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT substr(published_at, 1, 10) FROM articles WHERE published_at >= ? \
             ORDER BY published_at LIMIT 1",
        )
        .bind(format_date(&at))
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The newest change: its sequence number and time, if any change was made.
    pub async fn last_change(&self) -> Result<Option<(i64, DateTime<Utc>)>> {
        let row = sqlx::query("SELECT seq, changed_at FROM changes ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok((r.get(0), parse_ts(r.get(1), "changed_at")?)))
            .transpose()
    }

    /// Article ids, slugs and last-change times, by id, from `offset`: what a sitemap lists.
    pub async fn permalinks(
        &self,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<(i64, String, DateTime<Utc>)>> {
        let rows =
            sqlx::query("SELECT id, slug, updated_at FROM articles ORDER BY id LIMIT ? OFFSET ?")
                .bind(limit)
                .bind(offset)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| Ok((r.get(0), r.get(1), parse_ts(r.get(2), "updated_at")?)))
            .collect()
    }

    /// Number of articles.
    pub async fn article_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM articles")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Change log entries after `seq`, in order.
    pub async fn changes_after(&self, seq: i64, limit: i64) -> Result<Vec<Change>> {
        let rows =
            sqlx::query("SELECT seq, article_id FROM changes WHERE seq > ? ORDER BY seq LIMIT ?")
                .bind(seq)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .iter()
            .map(|r| Change {
                seq: r.get(0),
                article_id: r.get(1),
            })
            .collect())
    }

    /// The newest change log sequence number (0 when empty).
    pub async fn last_change_seq(&self) -> Result<i64> {
        last_change_seq(&self.pool).await
    }

    /// Every article's id and revision, by id.
    pub async fn revisions(&self) -> Result<Vec<(i64, i64)>> {
        let rows = sqlx::query("SELECT id, revision FROM articles ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
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

    /// The last change's number and the article count, read together.
    pub async fn last_change_and_count(&self) -> Result<(i64, i64)> {
        let mut tx = self.pool.begin().await?;
        let seq = last_change_seq(&mut *tx).await?;
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM articles")
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((seq, count))
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

    /// Closes both pools, waiting for connections to finish.
    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }
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

async fn last_change_seq<'e, E>(executor: E) -> Result<i64>
where
    E: sqlx::Executor<'e, Database = Sqlite>,
{
    Ok(
        sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM changes")
            .fetch_one(executor)
            .await?,
    )
}

struct Existing {
    id: i64,
    revision: i64,
    content_hash: String,
}

async fn find_existing(
    tx: &mut Transaction<'_, Sqlite>,
    article: &NewArticle,
) -> Result<Option<Existing>> {
    // By URL first (its normalised key, so tracking parameters, `www.` and
    // AMP variants match); without a URL match, the same story is recognised
    // by its body, or by its headline, source and day when the body was
    // edited; never when the candidate has a different URL (another
    // outlet's copy: that one joins the story instead, see `assign_story`).
    let body_hash = (!article.paragraphs.is_empty()).then(|| article.body_hash());
    let found = sqlx::query(
        "SELECT id, revision, content_hash, 0 FROM articles WHERE url_key = ?1 \
         UNION ALL SELECT id, revision, content_hash, 1 FROM articles \
         WHERE body_hash = ?2 AND (url IS NULL OR ?1 IS NULL) \
         UNION ALL SELECT id, revision, content_hash, 2 FROM articles \
         WHERE headline_key = ?3 AND (url IS NULL OR ?1 IS NULL) \
         ORDER BY 4, 1 LIMIT 1",
    )
    .bind(article.url_key())
    .bind(body_hash)
    .bind(article.headline_key())
    .fetch_optional(&mut **tx)
    .await?;
    Ok(found.map(|r| Existing {
        id: r.get(0),
        revision: r.get(1),
        content_hash: r.get(2),
    }))
}

async fn save_one(
    tx: &mut Transaction<'_, Sqlite>,
    article: &NewArticle,
    now: &str,
) -> Result<Saved> {
    let existing = find_existing(tx, article).await?;
    if let Some(e) = &existing
        && e.content_hash == article.content_hash()
    {
        return Ok(Saved {
            id: e.id,
            revision: e.revision,
            outcome: Outcome::Unchanged,
        });
    }
    write_article(tx, existing.as_ref(), article, now).await
}

/// The article's revision and hash, checked against `expected` when given.
async fn current_revision(
    tx: &mut Transaction<'_, Sqlite>,
    id: i64,
    expected: Option<i64>,
) -> Result<Existing> {
    let row = sqlx::query("SELECT id, revision, content_hash FROM articles WHERE id = ?")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(Error::NotFound(id))?;
    let existing = Existing {
        id: row.get(0),
        revision: row.get(1),
        content_hash: row.get(2),
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

/// Inserts `article`, or overwrites `existing` with it (revision + 1), with
/// its authors, tags and a change-log entry.
async fn write_article(
    tx: &mut Transaction<'_, Sqlite>,
    existing: Option<&Existing>,
    article: &NewArticle,
    now: &str,
) -> Result<Saved> {
    let hash = article.content_hash();
    let paragraphs = serde_json::to_string(&article.paragraphs).expect("strings serialise");
    let published = article.published_at.as_ref().map(format_date);
    let modified = article.modified_at.as_ref().map(format_date);
    let (source_name, source_site) = match &article.source {
        Some(Source { name, site }) => (Some(name.as_str()), site.as_deref()),
        None => (None, None),
    };
    // A new article gets the id SQLite would give it (one past the largest:
    // the write transaction is the only writer), so that its story can be
    // chosen before the row is written; a matched one is updated in place,
    // keeping its id and ingested_at, its revision one higher.
    let id = match existing {
        Some(e) => e.id,
        None => {
            sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM articles")
                .fetch_one(&mut **tx)
                .await?
        }
    };
    let signature = Signature::of(&article.paragraphs);
    let story = choose_story(tx, id, signature.as_ref(), existing.is_none()).await?;
    let row = sqlx::query(
        "INSERT INTO articles (id, slug, headline, subheading, source_name, source_site, url, \
         published_at, section, language, paragraphs, word_count, content_hash, body_hash, \
         headline_key, updated_at, ingested_at, modified_at, summary_only, url_key, story_id, \
         signature, revision) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) \
         ON CONFLICT (id) DO UPDATE SET slug = excluded.slug, headline = excluded.headline, \
         subheading = excluded.subheading, source_name = excluded.source_name, \
         source_site = excluded.source_site, url = excluded.url, \
         published_at = excluded.published_at, section = excluded.section, \
         language = excluded.language, paragraphs = excluded.paragraphs, \
         word_count = excluded.word_count, content_hash = excluded.content_hash, \
         body_hash = excluded.body_hash, headline_key = excluded.headline_key, \
         updated_at = excluded.updated_at, modified_at = excluded.modified_at, \
         summary_only = excluded.summary_only, url_key = excluded.url_key, captured = NULL, \
         story_id = excluded.story_id, signature = excluded.signature, \
         revision = articles.revision + 1 \
         RETURNING id, revision",
    )
    .bind(id)
    .bind(article.slug())
    .bind(&article.headline)
    .bind(&article.subheading)
    .bind(source_name)
    .bind(source_site)
    .bind(&article.url)
    .bind(&published)
    .bind(&article.section)
    .bind(&article.language)
    .bind(&paragraphs)
    .bind(article.word_count())
    .bind(&hash)
    .bind(article.body_hash())
    .bind(article.headline_key())
    .bind(now)
    .bind(now)
    .bind(&modified)
    .bind(article.summary_only)
    .bind(article.url_key())
    .bind(story)
    .bind(signature.as_ref().map(Signature::to_bytes))
    .fetch_one(&mut **tx)
    .await?;
    let revision: i64 = row.get(1);
    file_bands(tx, id, signature.as_ref(), existing.is_none()).await?;
    if let Some(source) = source_name {
        learn_boilerplate(tx, id, source, &article.paragraphs, story, now).await?;
    }
    let outcome = if existing.is_some() {
        sqlx::query("DELETE FROM article_authors WHERE article_id = ?")
            .bind(id)
            .execute(&mut **tx)
            .await?;
        sqlx::query("DELETE FROM article_tags WHERE article_id = ?")
            .bind(id)
            .execute(&mut **tx)
            .await?;
        Outcome::Updated
    } else {
        Outcome::Created
    };
    sqlx::query(
        "INSERT INTO article_authors (article_id, position, name) SELECT ?, key, value FROM json_each(?)",
    )
    .bind(id)
    .bind(serde_json::to_string(&article.authors).expect("strings serialise"))
    .execute(&mut **tx)
    .await?;
    sqlx::query("INSERT INTO article_tags (article_id, position, tag) SELECT ?, key, value FROM json_each(?)")
        .bind(id)
        .bind(serde_json::to_string(&article.tags).expect("strings serialise"))
        .execute(&mut **tx)
        .await?;
    log_change(tx, id, revision, "upsert", now).await?;
    Ok(Saved {
        id,
        revision,
        outcome,
    })
}

/// Most candidates one article is compared with: the newest that share a
/// band. Keeps a write's cost flat when thousands of articles share stock text.
const STORY_CANDIDATES: i64 = 64;

/// The story article `id` tells, by its body's `signature`: the story of
/// the most similar other article when one is similar enough (see
/// `crate::story`), else its own. An article that already heads a story
/// with other members keeps heading it. Writes nothing.
async fn choose_story(
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
    let (mut story, mut best) = (id, 0);
    for row in &candidates {
        let Some(theirs) = row
            .get::<Option<Vec<u8>>, _>(2)
            .and_then(|b| Signature::from_bytes(&b))
        else {
            continue;
        };
        let agreement = signature.agreement(&theirs);
        if signature.same_story(&theirs) && agreement > best {
            best = agreement;
            story = row.get(1);
        }
    }
    Ok(story)
}

/// Files article `id` under its signature's band keys (none without one),
/// replacing what it was filed under before.
async fn file_bands(
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

fn band_keys(signature: &Signature) -> String {
    serde_json::to_string(&signature.band_keys()).expect("numbers serialise")
}

/// Groups an article written before stories existed (see `derive_missing`).
async fn assign_story(
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

/// Counts `paragraphs`' boilerplate candidates (see `crate::boilerplate`)
/// as carried by `story` of `source`; one that now reaches enough stories is
/// learned and removed from the source's other articles (revision + 1,
/// logged), then from article `id` itself as written (same revision).
async fn learn_boilerplate(
    tx: &mut Transaction<'_, Sqlite>,
    id: i64,
    source: &str,
    paragraphs: &[String],
    story: i64,
    now: &str,
) -> Result<()> {
    // Two statements per article, whatever its length: every write pays
    // for this, and each statement is a round trip to SQLite's thread.
    let candidates = boilerplate::candidates(paragraphs);
    let candidate_keys: Vec<i64> = candidates.iter().map(|(k, _)| *k).collect();
    let all_keys: Vec<i64> = paragraphs.iter().map(|p| boilerplate::key(p)).collect();
    let json = |keys: &[i64]| serde_json::to_string(keys).expect("numbers serialise");
    sqlx::query(
        "INSERT OR IGNORE INTO source_paragraphs (source_name, paragraph_key, story_id) \
         SELECT ?1, value, ?2 FROM json_each(?3)",
    )
    .bind(source)
    .bind(story)
    .bind(json(&candidate_keys))
    .execute(&mut **tx)
    .await?;
    // Learned before (1), or carried by enough stories now (0).
    let rows = sqlx::query(
        "SELECT paragraph_key, 1 FROM source_boilerplate WHERE source_name = ?1 \
         AND paragraph_key IN (SELECT value FROM json_each(?2)) \
         UNION ALL SELECT paragraph_key, 0 FROM source_paragraphs WHERE source_name = ?1 \
         AND paragraph_key IN (SELECT value FROM json_each(?3)) \
         GROUP BY paragraph_key HAVING COUNT(*) >= ?4",
    )
    .bind(source)
    .bind(json(&all_keys))
    .bind(json(&candidate_keys))
    .bind(boilerplate::STORIES)
    .fetch_all(&mut **tx)
    .await?;
    let mut learned: Vec<i64> = rows
        .iter()
        .filter(|r| r.get::<i64, _>(1) == 1)
        .map(|r| r.get(0))
        .collect();
    let reached: Vec<i64> = rows
        .iter()
        .filter(|r| r.get::<i64, _>(1) == 0)
        .map(|r| r.get::<i64, _>(0))
        .filter(|k| !learned.contains(k))
        .collect();
    for key in reached {
        let Some((_, text)) = candidates.iter().find(|(k, _)| *k == key) else {
            continue;
        };
        sqlx::query(
            "INSERT OR IGNORE INTO source_boilerplate (source_name, paragraph_key, paragraph, learned_at) \
             VALUES (?, ?, ?, ?)",
        )
        .bind(source)
        .bind(key)
        .bind(*text)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        leave_out(tx, source, id, text, now).await?;
        learned.push(key);
    }
    let kept: Vec<&String> = paragraphs
        .iter()
        .filter(|p| !learned.contains(&boilerplate::key(p)))
        .collect();
    if !kept.is_empty() && kept.len() < paragraphs.len() {
        sqlx::query(
            "UPDATE articles SET paragraphs = ?, captured = ?, word_count = ? WHERE id = ?",
        )
        .bind(serde_json::to_string(&kept).expect("strings serialise"))
        .bind(serde_json::to_string(paragraphs).expect("strings serialise"))
        .bind(word_count(&kept))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Leaves the learned boilerplate paragraph `text` out of every article of
/// `source` but `except`: revision + 1 and a change-log entry each, the text
/// as captured kept. An article it would leave empty keeps it.
async fn leave_out(
    tx: &mut Transaction<'_, Sqlite>,
    source: &str,
    except: i64,
    text: &str,
    now: &str,
) -> Result<()> {
    let carriers = sqlx::query(
        "SELECT id, paragraphs FROM articles WHERE source_name = ? AND id != ? \
         AND instr(paragraphs, json_quote(?)) > 0",
    )
    .bind(source)
    .bind(except)
    .bind(text)
    .fetch_all(&mut **tx)
    .await?;
    for row in carriers {
        let other: i64 = row.get(0);
        let before = json_list(row.get(1), "paragraphs")?;
        let after: Vec<String> = before.iter().filter(|p| *p != text).cloned().collect();
        if after.is_empty() || after.len() == before.len() {
            continue;
        }
        let revision: i64 = sqlx::query_scalar(
            "UPDATE articles SET paragraphs = ?, captured = COALESCE(captured, ?), \
             word_count = ?, updated_at = ?, revision = revision + 1 WHERE id = ? \
             RETURNING revision",
        )
        .bind(serde_json::to_string(&after).expect("strings serialise"))
        .bind(serde_json::to_string(&before).expect("strings serialise"))
        .bind(word_count(&after))
        .bind(now)
        .bind(other)
        .fetch_one(&mut **tx)
        .await?;
        log_change(tx, other, revision, "upsert", now).await?;
    }
    Ok(())
}

/// Words in a body, counted as `NewArticle::word_count` counts them.
fn word_count<S: AsRef<str>>(paragraphs: &[S]) -> i64 {
    crate::article::count_words(paragraphs.iter().map(|p| p.as_ref()))
}

async fn log_change(
    tx: &mut Transaction<'_, Sqlite>,
    article_id: i64,
    revision: i64,
    kind: &'static str,
    now: &str,
) -> Result<()> {
    sqlx::query("INSERT INTO changes (article_id, revision, kind, changed_at) VALUES (?, ?, ?, ?)")
        .bind(article_id)
        .bind(revision)
        .bind(kind)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn feed_from_row(row: &SqliteRow) -> Result<FeedRecord> {
    let ts = |column: &str| -> Result<Option<DateTime<Utc>>> {
        row.get::<Option<&str>, _>(column)
            .map(|v| parse_ts(v, column))
            .transpose()
    };
    Ok(FeedRecord {
        id: row.get("id"),
        url: row.get("url"),
        title: row.get("title"),
        interval_secs: row.get("interval_secs"),
        etag: row.get("etag"),
        last_modified: row.get("last_modified"),
        next_poll_at: parse_ts(row.get("next_poll_at"), "next_poll_at")?,
        last_polled_at: ts("last_polled_at")?,
        last_error: row.get("last_error"),
        failures: row.get("failures"),
        articles_created: row.get("articles_created"),
        created_at: parse_ts(row.get("created_at"), "created_at")?,
    })
}

/// Rows of (name, count).
fn name_counts(rows: &[SqliteRow]) -> Vec<NameCount> {
    rows.iter()
        .map(|r| NameCount {
            name: r.get(0),
            count: r.get(1),
        })
        .collect()
}

fn parse_ts(value: &str, column: &str) -> Result<DateTime<Utc>> {
    crate::article::parse_date(value)
        .ok_or_else(|| Error::Corrupt(format!("{column} `{value}` is not a date")))
}

fn json_list(value: &str, column: &str) -> Result<Vec<String>> {
    serde_json::from_str(value).map_err(|e| Error::Corrupt(format!("{column}: {e}")))
}

fn article_from_row(row: &SqliteRow) -> Result<Article> {
    let published: Option<String> = row.get("published_at");
    let source_name: Option<String> = row.get("source_name");
    let content = NewArticle {
        headline: row.get("headline"),
        subheading: row.get("subheading"),
        authors: json_list(row.get("authors"), "authors")?,
        source: source_name.map(|name| Source {
            name,
            site: row.get("source_site"),
        }),
        url: row.get("url"),
        published_at: published
            .as_deref()
            .map(|p| parse_ts(p, "published_at"))
            .transpose()?,
        modified_at: row
            .get::<Option<&str>, _>("modified_at")
            .map(|p| parse_ts(p, "modified_at"))
            .transpose()?,
        section: row.get("section"),
        tags: json_list(row.get("tags"), "tags")?,
        language: row.get("language"),
        paragraphs: json_list(row.get("paragraphs"), "paragraphs")?,
        summary_only: row.get("summary_only"),
    };
    Ok(Article {
        id: row.get("id"),
        slug: row.get("slug"),
        revision: row.get("revision"),
        content,
        updated_at: parse_ts(row.get("updated_at"), "updated_at")?,
        ingested_at: parse_ts(row.get("ingested_at"), "ingested_at")?,
        word_count: row.get("word_count"),
        content_hash: row.get("content_hash"),
        story_id: row.get("story_id"),
        captured: row
            .get::<Option<&str>, _>("captured")
            .map(|c| json_list(c, "captured"))
            .transpose()?,
    })
}
