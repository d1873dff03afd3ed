//! The two SQL dialects side by side: a connection or transaction of
//! either backend, and `sql!`, which runs one statement on it, written once
//! when both dialects say it the same way and twice when they differ.

use sqlx::pool::PoolConnection;
use sqlx::postgres::PgConnection;
use sqlx::sqlite::SqliteConnection;
use sqlx::{Postgres, Sqlite, Transaction};

use super::Result;

/// A connection of either backend, lent to one statement.
pub(crate) enum Conn<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

/// Runs one statement on a [`Conn`]: `sql!(conn, op, "SQL", args…)` when
/// both dialects say it the same way, `sql!(conn, op, sqlite: "…",
/// postgres: "…", args…)` when they differ. `op` is `execute` (rows
/// affected), `one`/`optional`/`all` with a row type (`one::<(i64, String)>`),
/// or `scalar`/`scalar_optional`/`scalars` with a value type.
macro_rules! sql {
    (@run $c:ident, execute, $sql:expr $(, $arg:expr)*) => {
        sqlx::query($sql)$(.bind($arg))*.execute($c).await.map(|done| done.rows_affected())
    };
    (@run $c:ident, one::<$ty:ty>, $sql:expr $(, $arg:expr)*) => {
        sqlx::query_as::<_, $ty>($sql)$(.bind($arg))*.fetch_one($c).await
    };
    (@run $c:ident, optional::<$ty:ty>, $sql:expr $(, $arg:expr)*) => {
        sqlx::query_as::<_, $ty>($sql)$(.bind($arg))*.fetch_optional($c).await
    };
    (@run $c:ident, all::<$ty:ty>, $sql:expr $(, $arg:expr)*) => {
        sqlx::query_as::<_, $ty>($sql)$(.bind($arg))*.fetch_all($c).await
    };
    (@run $c:ident, scalar::<$ty:ty>, $sql:expr $(, $arg:expr)*) => {
        sqlx::query_scalar::<_, $ty>($sql)$(.bind($arg))*.fetch_one($c).await
    };
    (@run $c:ident, scalar_optional::<$ty:ty>, $sql:expr $(, $arg:expr)*) => {
        sqlx::query_scalar::<_, $ty>($sql)$(.bind($arg))*.fetch_optional($c).await
    };
    (@run $c:ident, scalars::<$ty:ty>, $sql:expr $(, $arg:expr)*) => {
        sqlx::query_scalar::<_, $ty>($sql)$(.bind($arg))*.fetch_all($c).await
    };
    ($conn:expr, $op:ident $(::<$ty:ty>)?, sqlite: $lite:expr, postgres: $pg:expr $(, $arg:expr)* $(,)?) => {
        match $conn {
            $crate::store::Conn::Sqlite(c) => sql!(@run c, $op $(::<$ty>)?, $lite $(, $arg)*),
            $crate::store::Conn::Postgres(c) => sql!(@run c, $op $(::<$ty>)?, $pg $(, $arg)*),
        }
    };
    ($conn:expr, $op:ident $(::<$ty:ty>)?, $sql:expr $(, $arg:expr)* $(,)?) => {
        sql!($conn, $op $(::<$ty>)?, sqlite: $sql, postgres: $sql $(, $arg)*)
    };
}

/// A `SELECT` of whole articles (authors and tags as JSON arrays, read
/// into [`ArticleRow`]) in one dialect, with the given tail. With
/// `without_body` first, the paragraphs come back as an empty list and no
/// boilerplate: for lists that show only an article's other fields.
macro_rules! select_articles {
    (without_body, $dialect:ident, $($tail:tt)+) => {
        select_articles!(@columns $dialect, "'[]' AS paragraphs, ", "NULL AS boilerplate, ", $($tail)+)
    };
    (sqlite, $($tail:tt)+) => {
        select_articles!(@columns sqlite, "a.paragraphs, ", "a.boilerplate, ", $($tail)+)
    };
    (postgres, $($tail:tt)+) => {
        select_articles!(@columns postgres, "a.paragraphs, ", "a.boilerplate, ", $($tail)+)
    };
    (@columns sqlite, $paragraphs:literal, $boilerplate:literal, $($tail:tt)+) => {
        concat!(
            "SELECT a.id, a.slug, a.revision, a.headline, a.subheading, a.source_name, a.source_site, ",
            "a.url, a.published_at, a.updated_at, a.ingested_at, a.section, a.language, ", $paragraphs,
            "a.word_count, a.content_hash, a.modified_at, a.summary_only, COALESCE(a.story_id, a.id) AS story_id, ", $boilerplate, "a.origin, ",
            "(SELECT json_group_array(name) FROM (SELECT name FROM article_authors WHERE article_id = a.id ORDER BY position)) AS authors, ",
            "(SELECT json_group_array(tag) FROM (SELECT tag FROM article_tags WHERE article_id = a.id ORDER BY position)) AS tags ",
            "FROM articles a ",
            $($tail)+
        )
    };
    (@columns postgres, $paragraphs:literal, $boilerplate:literal, $($tail:tt)+) => {
        concat!(
            "SELECT a.id, a.slug, a.revision, a.headline, a.subheading, a.source_name, a.source_site, ",
            "a.url, a.published_at, a.updated_at, a.ingested_at, a.section, a.language, ", $paragraphs,
            "a.word_count, a.content_hash, a.modified_at, a.summary_only, COALESCE(a.story_id, a.id) AS story_id, ", $boilerplate, "a.origin, ",
            "COALESCE((SELECT json_agg(name ORDER BY position) FROM article_authors WHERE article_id = a.id), '[]')::text AS authors, ",
            "COALESCE((SELECT json_agg(tag ORDER BY position) FROM article_tags WHERE article_id = a.id), '[]')::text AS tags ",
            "FROM articles a ",
            $($tail)+
        )
    };
}

/// Runs a `SELECT` of whole articles with the given tail (the same in both
/// dialects) and binds: `articles!(conn, op, "WHERE …", args…)`, `op` as
/// for `sql!` without a row type.
macro_rules! articles {
    ($conn:expr, $op:ident, $($tail:literal)+ $(, $arg:expr)* $(,)?) => {
        sql!(
            $conn,
            $op::<$crate::store::ArticleRow>,
            sqlite: select_articles!(sqlite, $($tail)+),
            postgres: select_articles!(postgres, $($tail)+)
            $(, $arg)*
        )
    };
}

/// A connection taken from the pool for a few reads.
pub(crate) enum Pooled {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

impl Pooled {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            Pooled::Sqlite(c) => Conn::Sqlite(c),
            Pooled::Postgres(c) => Conn::Postgres(c),
        }
    }
}

/// A transaction of either backend.
pub(crate) enum Tx<'c> {
    Sqlite(Transaction<'c, Sqlite>),
    Postgres(Transaction<'c, Postgres>),
}

impl Tx<'_> {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Sqlite(tx) => Conn::Sqlite(tx),
            Tx::Postgres(tx) => Conn::Postgres(tx),
        }
    }

    pub(super) async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}
