//! Lists of articles: filters, newest-first pages, counts per name and per period, permalinks.

use super::*;

/// The list statements (SQLite's, PostgreSQL's) and the count statement
/// for one `WHERE` clause, newest first.
macro_rules! filtered {
    ($where:literal, $limit:literal) => {
        (
            Statements {
                sqlite: select_articles!(
                    sqlite,
                    "WHERE ",
                    $where,
                    " ORDER BY COALESCE(a.published_at, '') DESC, a.id DESC ",
                    $limit
                ),
                postgres: select_articles!(
                    postgres,
                    "WHERE ",
                    $where,
                    " ORDER BY COALESCE(a.published_at, '') DESC, a.id DESC ",
                    $limit
                ),
            },
            concat!("SELECT COUNT(*) FROM articles a WHERE ", $where),
        )
    };
}

/// One statement in each dialect.
struct Statements {
    sqlite: &'static str,
    postgres: &'static str,
}

impl Store {
    /// Articles matching `filter`, newest first (articles without a date last).
    pub async fn list(
        &self,
        filter: &ArticleFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Article>> {
        let (list, _, binds) = filter.sql();
        let mut c = self.reader().await?;
        let rows = match c.conn() {
            Conn::Sqlite(c) => {
                let mut query = sqlx::query_as::<_, ArticleRow>(list.sqlite);
                for value in binds {
                    query = query.bind(value);
                }
                query.bind(limit).bind(offset).fetch_all(c).await?
            }
            Conn::Postgres(c) => {
                let mut query = sqlx::query_as::<_, ArticleRow>(list.postgres);
                for value in binds {
                    query = query.bind(value);
                }
                query.bind(limit).bind(offset).fetch_all(c).await?
            }
        };
        rows.into_iter().map(ArticleRow::into_article).collect()
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
        let rows = articles!(
            self.reader().await?.conn(),
            all,
            "WHERE ($1 IS NULL OR a.source_name = $1) AND ($2 IS NULL OR a.section = $2) \
             AND ($3 IS NULL OR a.id IN (SELECT article_id FROM article_tags WHERE tag = $3)) \
             AND ($4 IS NULL OR a.id IN (SELECT article_id FROM article_authors WHERE name = $4)) \
             AND ($5 IS NULL OR a.published_at >= $5) AND ($6 IS NULL OR a.published_at < $6) \
             AND ($7 IS NULL OR COALESCE(a.published_at, '') < $7 \
                  OR (COALESCE(a.published_at, '') = $7 AND a.id < $8)) \
             ORDER BY COALESCE(a.published_at, '') DESC, a.id DESC LIMIT $9",
            &filter.source,
            &filter.section,
            &filter.tag,
            &filter.author,
            filter.from.as_ref().map(format_date),
            filter.until.as_ref().map(format_date),
            key,
            id,
            limit
        )?;
        rows.into_iter().map(ArticleRow::into_article).collect()
    }

    /// Number of articles matching `filter`.
    pub async fn count(&self, filter: &ArticleFilter) -> Result<i64> {
        let (_, sql, binds) = filter.sql();
        let mut c = self.reader().await?;
        Ok(match c.conn() {
            Conn::Sqlite(c) => {
                let mut query = sqlx::query_scalar(sql);
                for value in binds {
                    query = query.bind(value);
                }
                query.fetch_one(c).await?
            }
            Conn::Postgres(c) => {
                let mut query = sqlx::query_scalar(sql);
                for value in binds {
                    query = query.bind(value);
                }
                query.fetch_one(c).await?
            }
        })
    }

    /// Article counts per name of a kind (source, section, tag or author), by name.
    pub async fn names(&self, kind: NameKind) -> Result<Vec<NameCount>> {
        // One order on both backends: ASCII letters folded, then bytes
        // (SQLite's NOCASE; PostgreSQL's lower() under the "C" collation
        // folds ASCII only), the name as stored breaking ties.
        let mut c = self.reader().await?;
        let rows = match kind {
            NameKind::Source => sql!(
                c.conn(),
                all::<(String, i64)>,
                sqlite: "SELECT source_name, COUNT(*) FROM articles WHERE source_name IS NOT NULL \
                         GROUP BY source_name ORDER BY source_name COLLATE NOCASE, source_name",
                postgres: "SELECT source_name, COUNT(*) FROM articles WHERE source_name IS NOT NULL \
                           GROUP BY source_name ORDER BY lower(source_name), source_name"
            ),
            NameKind::Section => sql!(
                c.conn(),
                all::<(String, i64)>,
                sqlite: "SELECT section, COUNT(*) FROM articles WHERE section IS NOT NULL \
                         GROUP BY section ORDER BY section COLLATE NOCASE, section",
                postgres: "SELECT section, COUNT(*) FROM articles WHERE section IS NOT NULL \
                           GROUP BY section ORDER BY lower(section), section"
            ),
            NameKind::Tag => sql!(
                c.conn(),
                all::<(String, i64)>,
                sqlite: "SELECT tag, COUNT(*) FROM article_tags GROUP BY tag \
                         ORDER BY tag COLLATE NOCASE, tag",
                postgres: "SELECT tag, COUNT(*) FROM article_tags GROUP BY tag ORDER BY lower(tag), tag"
            ),
            NameKind::Author => sql!(
                c.conn(),
                all::<(String, i64)>,
                sqlite: "SELECT name, COUNT(*) FROM article_authors GROUP BY name \
                         ORDER BY name COLLATE NOCASE, name",
                postgres: "SELECT name, COUNT(*) FROM article_authors GROUP BY name \
                           ORDER BY lower(name), name"
            ),
        }?;
        Ok(name_counts(rows))
    }

    /// Dated articles counted per period: `prefix` characters of the
    /// publication date (4: year, 7: month, 10: day), within `[from, until)`.
    pub async fn date_counts(
        &self,
        prefix: i64,
        from: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> Result<Vec<NameCount>> {
        let rows = sql!(
            self.reader().await?.conn(),
            all::<(String, i64)>,
            sqlite: "SELECT substr(published_at, 1, $1), COUNT(*) FROM articles \
                     WHERE published_at IS NOT NULL AND ($2 IS NULL OR published_at >= $2) \
                     AND ($3 IS NULL OR published_at < $3) GROUP BY 1 ORDER BY 1",
            postgres: "SELECT substr(published_at, 1, $1::integer), COUNT(*) FROM articles \
                       WHERE published_at IS NOT NULL AND ($2::text IS NULL OR published_at >= $2) \
                       AND ($3::text IS NULL OR published_at < $3) GROUP BY 1 ORDER BY 1",
            prefix,
            from.as_ref().map(format_date),
            until.as_ref().map(format_date)
        )?;
        Ok(name_counts(rows))
    }

    /// The publication day (`YYYY-MM-DD`) of the latest article before `at`.
    pub async fn day_before(&self, at: DateTime<Utc>) -> Result<Option<String>> {
        Ok(sql!(
            self.reader().await?.conn(),
            scalar_optional::<String>,
            "SELECT substr(published_at, 1, 10) FROM articles WHERE published_at < $1 \
             ORDER BY published_at DESC LIMIT 1",
            format_date(&at)
        )?)
    }

    /// The publication day (`YYYY-MM-DD`) of the earliest article at or after `at`.
    pub async fn day_from(&self, at: DateTime<Utc>) -> Result<Option<String>> {
        Ok(sql!(
            self.reader().await?.conn(),
            scalar_optional::<String>,
            "SELECT substr(published_at, 1, 10) FROM articles WHERE published_at >= $1 \
             ORDER BY published_at LIMIT 1",
            format_date(&at)
        )?)
    }

    /// Article ids, slugs and last-change times, by id, from `offset`: what a sitemap lists.
    pub async fn permalinks(
        &self,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<(i64, String, DateTime<Utc>)>> {
        let rows = sql!(
            self.reader().await?.conn(),
            all::<(i64, String, String)>,
            "SELECT id, slug, updated_at FROM articles ORDER BY id LIMIT $1 OFFSET $2",
            limit,
            offset
        )?;
        rows.into_iter()
            .map(|(id, slug, at)| Ok((id, slug, parse_ts(&at, "updated_at")?)))
            .collect()
    }
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

impl ArticleFilter {
    /// The statements for this filter and the values to bind, in order. The
    /// common single-criterion lists get statements that use their index;
    /// combinations share one general statement.
    fn sql(&self) -> (Statements, &'static str, Vec<Option<String>>) {
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
                filtered!("a.source_name = $1", "LIMIT $2 OFFSET $3"),
                vec![self.source.clone()],
            )
        } else if only(&self.section) {
            (
                filtered!("a.section = $1", "LIMIT $2 OFFSET $3"),
                vec![self.section.clone()],
            )
        } else if only(&self.tag) {
            (
                filtered!(
                    "a.id IN (SELECT article_id FROM article_tags WHERE tag = $1)",
                    "LIMIT $2 OFFSET $3"
                ),
                vec![self.tag.clone()],
            )
        } else if only(&self.author) {
            (
                filtered!(
                    "a.id IN (SELECT article_id FROM article_authors WHERE name = $1)",
                    "LIMIT $2 OFFSET $3"
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
                filtered!("a.published_at IS NULL", "LIMIT $1 OFFSET $2"),
                vec![],
            )
        } else if *self == ArticleFilter::default() {
            (filtered!("TRUE", "LIMIT $1 OFFSET $2"), vec![])
        } else if self.source.is_none()
            && self.section.is_none()
            && self.tag.is_none()
            && self.author.is_none()
            && !self.undated
        {
            (
                filtered!(
                    "a.published_at >= COALESCE($1, '') AND a.published_at < COALESCE($2, '~')",
                    "LIMIT $3 OFFSET $4"
                ),
                vec![from, until],
            )
        } else {
            (
                filtered!(
                    "($1 IS NULL OR a.source_name = $1) AND ($2 IS NULL OR a.section = $2) \
                     AND ($3 IS NULL OR a.id IN (SELECT article_id FROM article_tags WHERE tag = $3)) \
                     AND ($4 IS NULL OR a.id IN (SELECT article_id FROM article_authors WHERE name = $4)) \
                     AND ($5 IS NULL OR a.published_at >= $5) AND ($6 IS NULL OR a.published_at < $6) \
                     AND ($7 = '0' OR a.published_at IS NULL)",
                    "LIMIT $8 OFFSET $9"
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

/// Rows of (name, count).
fn name_counts(rows: Vec<(String, i64)>) -> Vec<NameCount> {
    rows.into_iter()
        .map(|(name, count)| NameCount { name, count })
        .collect()
}
