//! Which database an archive keeps its record in: the SQLite file in its
//! data directory (the default) or a PostgreSQL server named by a URL, and
//! how that URL is shown without its password.

use std::path::{Path, PathBuf};

/// Where the archive's record is.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    /// An SQLite file (created when missing).
    File(PathBuf),
    /// A PostgreSQL database, shared by every node that names it.
    Postgres {
        url: url::Url,
        /// The most connections this node's pool opens.
        max_connections: u32,
    },
}

/// The database of a data directory when no URL is given.
pub const DATABASE_FILE: &str = "newsarchive.sqlite3";

/// The default pool size on PostgreSQL (`--database-max-connections`).
pub const DEFAULT_MAX_CONNECTIONS: u32 = 16;

/// Why `backup` refuses on PostgreSQL.
pub const POSTGRES_BACKUP: &str = "this archive is on PostgreSQL: back it up with PostgreSQL's own tools \
     (pg_dump, or your provider's point-in-time recovery); `backup` copies the SQLite file only";

/// The archive's tables (for PostgreSQL's checks and `REINDEX`).
pub(super) const TABLES: &[&str] = &[
    "articles",
    "article_authors",
    "article_tags",
    "changes",
    "api_tokens",
    "story_bands",
    "feeds",
    "source_paragraphs",
    "source_boilerplate",
    "article_revisions",
    "tombstones",
    "article_ids",
];

/// A database URL that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error(
        "the database URL `{0}` has an unknown scheme; use postgres:// or postgresql:// \
         (or leave --database-url unset for the SQLite file in --data)"
    )]
    Scheme(String),
    #[error("the database URL is not a URL: {0}")]
    Malformed(url::ParseError),
    #[error("--database-max-connections must be at least 1")]
    NoConnections,
}

impl Database {
    /// The database `url` names (None: the SQLite file in `data_dir`), with
    /// at most `max_connections` connections on PostgreSQL.
    pub fn choose(
        url: Option<&str>,
        data_dir: &Path,
        max_connections: u32,
    ) -> Result<Database, DatabaseError> {
        let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) else {
            return Ok(Database::File(data_dir.join(DATABASE_FILE)));
        };
        let parsed = url::Url::parse(url).map_err(DatabaseError::Malformed)?;
        match parsed.scheme() {
            "postgres" | "postgresql" if max_connections == 0 => Err(DatabaseError::NoConnections),
            "postgres" | "postgresql" => Ok(Database::Postgres {
                url: parsed,
                max_connections,
            }),
            _ => Err(DatabaseError::Scheme(redact(&parsed))),
        }
    }

    /// True for PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self, Database::Postgres { .. })
    }

    /// How logs and errors name it: a path, or the URL without its password.
    pub fn describe(&self) -> String {
        match self {
            Database::File(path) => path.display().to_string(),
            Database::Postgres { url, .. } => redact(url),
        }
    }
}

impl std::fmt::Debug for Database {
    // Never prints a password, even in debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// The URL with its password (and a `password=` parameter) replaced by `***`.
fn redact(url: &url::Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        let _ = shown.set_password(Some("***"));
    }
    if shown.query_pairs().any(|(k, _)| k == "password") {
        let pairs: Vec<(String, String)> = shown
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "password" { "***".into() } else { v };
                (k.into_owned(), v.into_owned())
            })
            .collect();
        shown.query_pairs_mut().clear().extend_pairs(pairs);
    }
    shown.to_string()
}

/// The files an SQLite database at `path` occupies in WAL mode: the database
/// itself, its write-ahead log and its shared-memory index.
pub fn database_files(path: &Path) -> [PathBuf; 3] {
    ["", "-wal", "-shm"].map(|suffix| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        name.into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_url_is_the_file_in_the_data_directory() {
        let db = Database::choose(None, Path::new("/data"), 16).unwrap();
        assert_eq!(
            db,
            Database::File(PathBuf::from("/data/newsarchive.sqlite3"))
        );
    }

    #[test]
    fn postgres_urls_are_accepted_under_both_schemes() {
        for url in ["postgres://u@h/db", "postgresql://u@h:5433/db"] {
            assert!(
                Database::choose(Some(url), Path::new("/d"), 4)
                    .unwrap()
                    .is_postgres()
            );
        }
    }

    #[test]
    fn other_schemes_are_refused_naming_the_accepted_ones_without_the_password() {
        let e = Database::choose(Some("mysql://u:secret@h/db"), Path::new("/d"), 4)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("postgres://") && e.contains("postgresql://"),
            "{e}"
        );
        assert!(!e.contains("secret"), "{e}");
        let e = Database::choose(Some("not a url"), Path::new("/d"), 4).unwrap_err();
        assert!(matches!(e, DatabaseError::Malformed(_)));
    }

    #[test]
    fn passwords_never_show() {
        let db = Database::choose(
            Some(
                "postgres://news:hunter2@db.example:5432/archive?password=hunter3&sslmode=require",
            ),
            Path::new("/d"),
            16,
        )
        .unwrap();
        let shown = format!("{} {:?}", db.describe(), db);
        assert!(
            !shown.contains("hunter2") && !shown.contains("hunter3"),
            "{shown}"
        );
        assert!(
            shown.contains("news:***@db.example:5432/archive"),
            "{shown}"
        );
        assert!(shown.contains("sslmode=require"), "{shown}");
    }
}
