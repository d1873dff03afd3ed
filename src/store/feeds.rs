//! Followed feeds and how their polling goes.

use super::*;

/// The columns of a feed, as `feed_from_row` reads them.
macro_rules! feed_columns {
    () => {
        "id, url, title, interval_secs, etag, last_modified, next_poll_at, last_polled_at, \
         last_error, failures, articles_created, created_at"
    };
}

impl Store {
    /// Registers a feed to follow (or changes the interval of one already
    /// followed) and makes it due now.
    pub async fn follow_feed(&self, url: &str, interval_secs: i64) -> Result<FeedRecord> {
        let now = format_date(&Utc::now());
        let row = self
            .write(async |tx| {
                Ok(sql!(
                    tx.conn(),
                    one::<FeedRow>,
                    concat!(
                        "INSERT INTO feeds (url, interval_secs, next_poll_at, created_at) \
                         VALUES ($1, $2, $3, $3) ON CONFLICT (url) DO UPDATE SET \
                         interval_secs = excluded.interval_secs, next_poll_at = excluded.next_poll_at \
                         RETURNING ",
                        feed_columns!()
                    ),
                    url,
                    interval_secs,
                    &now
                )?)
            })
            .await?;
        row.into_feed()
    }

    /// Every followed feed, oldest first.
    pub async fn feeds(&self) -> Result<Vec<FeedRecord>> {
        let rows = sql!(
            self.reader().await?.conn(),
            all::<FeedRow>,
            concat!("SELECT ", feed_columns!(), " FROM feeds ORDER BY id")
        )?;
        rows.into_iter().map(FeedRow::into_feed).collect()
    }

    /// One followed feed, by id.
    pub async fn feed(&self, id: i64) -> Result<Option<FeedRecord>> {
        let row = sql!(
            self.reader().await?.conn(),
            optional::<FeedRow>,
            concat!("SELECT ", feed_columns!(), " FROM feeds WHERE id = $1"),
            id
        )?;
        row.map(FeedRow::into_feed).transpose()
    }

    /// Claims the feeds due for a poll at `now`, oldest first:
    /// each is made due again at `until` (when the poll records the real
    /// next time, or another node takes it over if this one died meanwhile),
    /// so a feed is polled by one node at a time. On PostgreSQL, nodes
    /// claiming at once skip each other's rows (`FOR UPDATE SKIP LOCKED`).
    pub async fn claim_due_feeds(
        &self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<FeedRecord>> {
        let (now, until) = (format_date(&now), format_date(&until));
        let mut rows = match &self.backend {
            // One writer at a time: the write transaction is the claim.
            Backend::Sqlite { .. } => {
                self.write(async |tx| {
                    Ok(sql!(
                        tx.conn(),
                        all::<FeedRow>,
                        concat!(
                            "UPDATE feeds SET next_poll_at = $2 WHERE next_poll_at <= $1 RETURNING ",
                            feed_columns!()
                        ),
                        &now,
                        &until
                    )?)
                })
                .await?
            }
            // Not a change of the record: no need to queue behind the write lock.
            Backend::Postgres { pool } => {
                sqlx::query_as::<_, FeedRow>(concat!(
                    "UPDATE feeds SET next_poll_at = $2 WHERE id IN (SELECT id FROM feeds \
                     WHERE next_poll_at <= $1 FOR UPDATE SKIP LOCKED) \
                     RETURNING ",
                    feed_columns!()
                ))
                .bind(&now)
                .bind(&until)
                .fetch_all(pool)
                .await?
            }
        };
        rows.sort_by_key(|feed| feed.id);
        rows.into_iter().map(FeedRow::into_feed).collect()
    }

    /// When the next feed is due, if any feed is followed.
    pub async fn next_feed_due(&self) -> Result<Option<DateTime<Utc>>> {
        let next = sql!(
            self.reader().await?.conn(),
            scalar::<Option<String>>,
            "SELECT MIN(next_poll_at) FROM feeds"
        )?;
        next.map(|n| parse_ts(&n, "next_poll_at")).transpose()
    }

    /// Records a poll: a success resets the failure count, a failure adds one.
    /// Validators (ETag, Last-Modified) are kept when the poll gave none.
    pub async fn record_poll(&self, id: i64, poll: &PollRecord) -> Result<()> {
        let now = format_date(&Utc::now());
        self.write(async |tx| {
            sql!(
                tx.conn(),
                execute,
                "UPDATE feeds SET title = COALESCE($2, title), etag = COALESCE($3, etag), \
                 last_modified = COALESCE($4, last_modified), last_error = $5, \
                 failures = CASE WHEN $9 THEN failures + 1 ELSE 0 END, \
                 articles_created = articles_created + $6, next_poll_at = $7, \
                 last_polled_at = $8 WHERE id = $1",
                id,
                &poll.title,
                &poll.etag,
                &poll.last_modified,
                &poll.error,
                poll.articles_created,
                format_date(&poll.next_poll_at),
                &now,
                poll.failed
            )?;
            Ok(())
        })
        .await
    }

    /// Stops following a feed, given its id or URL; its articles stay.
    pub async fn unfollow_feed(&self, which: &str) -> Result<FeedRecord> {
        self.write(async |tx| {
            sql!(
                tx.conn(),
                optional::<FeedRow>,
                concat!(
                    "DELETE FROM feeds WHERE url = $1 OR CAST(id AS TEXT) = $1 RETURNING ",
                    feed_columns!()
                ),
                which
            )?
            .ok_or_else(|| Error::FeedNotFound(which.to_owned()))?
            .into_feed()
        })
        .await
    }
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

/// A row of `feed_columns!`.
#[derive(sqlx::FromRow)]
struct FeedRow {
    id: i64,
    url: String,
    title: Option<String>,
    interval_secs: i64,
    etag: Option<String>,
    last_modified: Option<String>,
    next_poll_at: String,
    last_polled_at: Option<String>,
    last_error: Option<String>,
    failures: i64,
    articles_created: i64,
    created_at: String,
}

impl FeedRow {
    fn into_feed(self) -> Result<FeedRecord> {
        Ok(FeedRecord {
            id: self.id,
            url: self.url,
            title: self.title,
            interval_secs: self.interval_secs,
            etag: self.etag,
            last_modified: self.last_modified,
            next_poll_at: parse_ts(&self.next_poll_at, "next_poll_at")?,
            last_polled_at: self
                .last_polled_at
                .as_deref()
                .map(|v| parse_ts(v, "last_polled_at"))
                .transpose()?,
            last_error: self.last_error,
            failures: self.failures,
            articles_created: self.articles_created,
            created_at: parse_ts(&self.created_at, "created_at")?,
        })
    }
}
