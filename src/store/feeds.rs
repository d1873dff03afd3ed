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

pub(super) fn feed_from_row(row: &SqliteRow) -> Result<FeedRecord> {
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
