//! Copying a whole archive from one database to another (SQLite to
//! PostgreSQL and back): every table row for row, ids and change numbers
//! kept, so a search index built from the one is valid for the other.

use futures_util::TryStreamExt as _;

use super::*;

/// How a column's values travel: in JSON, as one of these.
#[derive(Clone, Copy)]
enum Kind {
    Int,
    Text,
    Bool,
    /// Hexadecimal in JSON.
    Bytes,
}

use Kind::*;

/// A table to copy: its name, its key order, its columns.
struct Table {
    name: &'static str,
    order: &'static str,
    columns: &'static [(&'static str, Kind)],
}

/// Every table of the record, parents before children. The PostgreSQL-only
/// `changes.xid` is not copied: a copied change gets the copying
/// transaction's id. `article_ids` is its one row, copied apart.
const TABLES: &[Table] = &[
    Table {
        name: "articles",
        order: "id",
        columns: &[
            ("id", Int),
            ("slug", Text),
            ("headline", Text),
            ("subheading", Text),
            ("source_name", Text),
            ("source_site", Text),
            ("url", Text),
            ("published_at", Text),
            ("updated_at", Text),
            ("ingested_at", Text),
            ("section", Text),
            ("language", Text),
            ("paragraphs", Text),
            ("word_count", Int),
            ("content_hash", Text),
            ("body_hash", Text),
            ("headline_key", Text),
            ("revision", Int),
            ("modified_at", Text),
            ("summary_only", Bool),
            ("url_key", Text),
            ("story_id", Int),
            ("signature", Bytes),
            ("origin", Text),
            ("boilerplate", Text),
        ],
    },
    Table {
        name: "article_authors",
        order: "article_id, position",
        columns: &[("article_id", Int), ("position", Int), ("name", Text)],
    },
    Table {
        name: "article_tags",
        order: "article_id, position",
        columns: &[("article_id", Int), ("position", Int), ("tag", Text)],
    },
    Table {
        name: "changes",
        order: "seq",
        columns: &[
            ("seq", Int),
            ("article_id", Int),
            ("revision", Int),
            ("kind", Text),
            ("changed_at", Text),
        ],
    },
    Table {
        name: "api_tokens",
        order: "id",
        columns: &[
            ("id", Int),
            ("name", Text),
            ("prefix", Text),
            ("secret_hash", Text),
            ("created_at", Text),
            ("revoked_at", Text),
            ("scopes", Text),
            ("expires_at", Text),
        ],
    },
    Table {
        name: "story_bands",
        order: "band_key, article_id",
        columns: &[("band_key", Int), ("article_id", Int)],
    },
    Table {
        name: "feeds",
        order: "id",
        columns: &[
            ("id", Int),
            ("url", Text),
            ("title", Text),
            ("interval_secs", Int),
            ("etag", Text),
            ("last_modified", Text),
            ("next_poll_at", Text),
            ("last_polled_at", Text),
            ("last_error", Text),
            ("failures", Int),
            ("articles_created", Int),
            ("created_at", Text),
        ],
    },
    Table {
        name: "source_paragraphs",
        order: "source_name, paragraph_key, story_id",
        columns: &[
            ("source_name", Text),
            ("paragraph_key", Int),
            ("story_id", Int),
        ],
    },
    Table {
        name: "source_boilerplate",
        order: "source_name, paragraph_key",
        columns: &[
            ("source_name", Text),
            ("paragraph_key", Int),
            ("paragraph", Text),
            ("learned_at", Text),
        ],
    },
    Table {
        name: "article_revisions",
        order: "article_id, revision",
        columns: &[
            ("article_id", Int),
            ("revision", Int),
            ("made_at", Text),
            ("origin", Text),
            ("content", Text),
        ],
    },
    Table {
        name: "tombstones",
        order: "id",
        columns: &[
            ("id", Int),
            ("slug", Text),
            ("headline", Text),
            ("published_at", Text),
            ("revision", Int),
            ("deleted_at", Text),
            ("origin", Text),
        ],
    },
];

/// The identity columns PostgreSQL draws from sequences, moved past the
/// copied values.
const IDENTITIES: &[(&str, &str)] = &[("changes", "seq"), ("api_tokens", "id"), ("feeds", "id")];

/// Rows sent to the target per statement.
const BATCH: usize = 2_000;

/// What a copy moved: rows per table, in copying order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyReport {
    pub tables: Vec<(&'static str, u64)>,
}

/// Why a copy did not start.
const TARGET_NOT_EMPTY: &str =
    "the target database already holds an archive; copy-db only copies into an empty one";

impl Store {
    /// Copies the whole archive into `target`, which must hold none yet:
    /// one read transaction here (writers may go on; the copy is of the
    /// moment it began) and one write transaction there, so the target
    /// ends up with all of it or nothing. Calls `progress` after each batch
    /// with the table and its rows so far.
    pub async fn copy_into(
        &self,
        target: &Store,
        progress: &dyn Fn(&str, u64),
    ) -> Result<CopyReport> {
        let empty = sql!(
            target.reader().await?.conn(),
            scalar::<bool>,
            "SELECT NOT EXISTS (SELECT 1 FROM articles) AND NOT EXISTS (SELECT 1 FROM changes) \
             AND NOT EXISTS (SELECT 1 FROM tombstones) AND NOT EXISTS (SELECT 1 FROM api_tokens) \
             AND NOT EXISTS (SELECT 1 FROM feeds)"
        )?;
        if !empty {
            return Err(Error::Unsupported(TARGET_NOT_EMPTY));
        }
        let mut source = self.read_tx().await?;
        let last_id = sql!(
            source.conn(),
            scalar::<i64>,
            "SELECT last_id FROM article_ids"
        )?;
        target
            .write(async |tx| {
                let mut report = CopyReport::default();
                for table in TABLES {
                    let rows = copy_table(&mut source, tx, table, progress).await?;
                    report.tables.push((table.name, rows));
                }
                sql!(
                    tx.conn(),
                    execute,
                    "UPDATE article_ids SET last_id = $1",
                    last_id
                )?;
                if let Tx::Postgres(_) = tx {
                    for (table, column) in IDENTITIES {
                        // Names from the list above, never from input.
                        let sql = format!(
                            "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), \
                             COALESCE(MAX({column}), 0) + 1, false) FROM {table}"
                        );
                        if let Conn::Postgres(c) = tx.conn() {
                            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(c).await?;
                        }
                    }
                }
                Ok(report)
            })
            .await
    }
}

/// Copies one table from `source` into `tx`, a batch of rows at a time,
/// each batch one JSON array read by one statement.
async fn copy_table(
    source: &mut Tx<'_>,
    tx: &mut Tx<'_>,
    table: &Table,
    progress: &dyn Fn(&str, u64),
) -> Result<u64> {
    let select = match source {
        Tx::Sqlite(_) => select_sqlite(table),
        Tx::Postgres(_) => select_postgres(table),
    };
    let insert = match tx {
        Tx::Sqlite(_) => insert_sqlite(table),
        Tx::Postgres(_) => insert_postgres(table),
    };
    let mut rows: futures_util::stream::BoxStream<'_, sqlx::Result<String>> = match source.conn() {
        Conn::Sqlite(c) => Box::pin(sqlx::query_scalar(sqlx::AssertSqlSafe(select)).fetch(c)),
        Conn::Postgres(c) => Box::pin(sqlx::query_scalar(sqlx::AssertSqlSafe(select)).fetch(c)),
    };
    let mut batch = Vec::with_capacity(BATCH);
    let mut copied = 0u64;
    loop {
        let row = rows.try_next().await?;
        let done = row.is_none();
        batch.extend(row);
        if batch.len() == BATCH || (done && !batch.is_empty()) {
            let json = format!("[{}]", batch.join(","));
            match tx.conn() {
                Conn::Sqlite(c) => {
                    sqlx::query(sqlx::AssertSqlSafe(insert.clone()))
                        .bind(json)
                        .execute(c)
                        .await?;
                }
                Conn::Postgres(c) => {
                    sqlx::query(sqlx::AssertSqlSafe(insert.clone()))
                        .bind(json)
                        .execute(c)
                        .await?;
                }
            }
            copied += batch.len() as u64;
            batch.clear();
            progress(table.name, copied);
        }
        if done {
            return Ok(copied);
        }
    }
}

/// Each row of `table` as a JSON object, from SQLite.
fn select_sqlite(table: &Table) -> String {
    let fields: Vec<String> = table
        .columns
        .iter()
        .map(|(name, kind)| match kind {
            Bytes => format!("'{name}', hex({name})"),
            _ => format!("'{name}', {name}"),
        })
        .collect();
    format!(
        "SELECT json_object({}) FROM {} ORDER BY {}",
        fields.join(", "),
        table.name,
        table.order
    )
}

/// Each row of `table` as a JSON object, from PostgreSQL.
fn select_postgres(table: &Table) -> String {
    let fields: Vec<String> = table
        .columns
        .iter()
        .map(|(name, kind)| match kind {
            Bytes => format!("'{name}', encode({name}, 'hex')"),
            _ => format!("'{name}', {name}"),
        })
        .collect();
    format!(
        "SELECT json_build_object({})::text FROM {} ORDER BY {}",
        fields.join(", "),
        table.name,
        table.order
    )
}

/// Inserts the rows of the JSON array `$1` into `table`, on SQLite.
fn insert_sqlite(table: &Table) -> String {
    let names: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
    let values: Vec<String> = table
        .columns
        .iter()
        .map(|(name, kind)| match kind {
            Bytes => format!("unhex(value->>'{name}')"),
            _ => format!("value->>'{name}'"),
        })
        .collect();
    format!(
        "INSERT INTO {} ({}) SELECT {} FROM json_each($1) ORDER BY key",
        table.name,
        names.join(", "),
        values.join(", ")
    )
}

/// Inserts the rows of the JSON array `$1` into `table`, on PostgreSQL.
fn insert_postgres(table: &Table) -> String {
    let names: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
    let values: Vec<String> = table
        .columns
        .iter()
        .map(|(name, kind)| match kind {
            Int => format!("(r->>'{name}')::bigint"),
            Text => format!("r->>'{name}'"),
            // SQLite's 0 and 1, or JSON's false and true.
            Bool => format!("(r->>'{name}')::boolean"),
            Bytes => format!("decode(r->>'{name}', 'hex')"),
        })
        .collect();
    format!(
        "INSERT INTO {} ({}) OVERRIDING SYSTEM VALUE SELECT {} \
         FROM json_array_elements($1::json) WITH ORDINALITY AS j(r, key) ORDER BY key",
        table.name,
        names.join(", "),
        values.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_of_the_record_is_copied() {
        let copied: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
        for table in database::TABLES {
            assert!(
                copied.contains(table) || *table == "article_ids",
                "{table} is not copied"
            );
        }
    }
}
