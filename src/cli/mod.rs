//! The command line: `serve`, `import`, `follow`, `feeds`, `unfollow`,
//! `reindex`, `search`, `bench-search`, `token`, `check`, `backup`, `restore`,
//! `export` and `copy-db`, each flag also readable from a `NEWSARCHIVE_*`
//! environment variable. This module parses them and hands each command to
//! the module that runs it.

mod import;
mod maintenance;
mod search;
mod serve;
mod token;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use crate::archive::{Archive, Location};

pub use search::{RowFormat, SortArg};
pub use serve::ServeArgs;
pub use token::TokenAction;

/// A self-hosted news archive: keep articles, read them in a browser, find
/// any of them by keyword, and feed or query it through a JSON API.
#[derive(Debug, Parser)]
#[command(name = "newsarchive", version)]
pub struct Cli {
    /// Data directory holding the SQLite database and the search index.
    #[arg(
        long,
        global = true,
        env = "NEWSARCHIVE_DATA",
        default_value = "./data"
    )]
    pub data: PathBuf,
    /// The archive's database: unset for the SQLite file in --data (the
    /// embedded default), or a postgres:// (postgresql://) URL for a
    /// PostgreSQL database shared by several nodes, each keeping its own
    /// search index in its --data. Its password never shows in logs.
    #[arg(
        long,
        global = true,
        env = "NEWSARCHIVE_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// The most connections this process opens to PostgreSQL.
    #[arg(
        long,
        global = true,
        env = "NEWSARCHIVE_DATABASE_MAX_CONNECTIONS",
        default_value_t = crate::store::DEFAULT_MAX_CONNECTIONS
    )]
    pub database_max_connections: u32,
    /// How log lines are written to stderr: text for people, json for log collectors.
    #[arg(
        long,
        global = true,
        env = "NEWSARCHIVE_LOG_FORMAT",
        value_enum,
        default_value_t = crate::telemetry::LogFormat::Text
    )]
    pub log_format: crate::telemetry::LogFormat,
    /// Let feeds be followed from private addresses (loopback, RFC 1918,
    /// link-local, unique-local...): for feeds on an intranet. By default
    /// only public addresses are fetched, at every redirect too.
    #[arg(long, global = true, env = "NEWSARCHIVE_ALLOW_PRIVATE_FEEDS")]
    pub allow_private_feeds: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web pages and the JSON API. The server also keeps the search
    /// index up to date with articles written by other processes (imports).
    Serve(serve::ServeArgs),
    /// Import articles from files and directories (searched recursively).
    ///
    /// Reads plain text (.txt: headline line, blank-line separated paragraphs,
    /// optional `---` front matter), JSON (.json: one article or an array, or
    /// a JSON Feed), NDJSON (.ndjson/.jsonl: one article per line), saved web
    /// pages (.html/.htm: the story is extracted like a reader view) and feeds
    /// (.rss/.atom/.xml: one article per item). An article is matched to one
    /// already in the archive by URL (normalised), otherwise by content;
    /// re-importing changes nothing. A file that fails writes nothing; a bad
    /// feed item fails alone. Exits non-zero if any file or item failed.
    ///
    /// On a terminal a progress bar shows the bytes read, the articles saved
    /// per second and the time left.
    Import {
        /// Files or directories to import.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// No progress bar and no line per imported file: print only what
        /// failed (and the closing summary), for scripts.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Follow a feed (RSS, Atom or JSON Feed; a URL or a file): `serve` polls
    /// it every interval and archives each new item. Polls it once now.
    Follow {
        /// The feed's http(s) address, or a file path.
        location: String,
        /// Minutes between polls (doubled after each failed poll, up to a day).
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=100_000))]
        minutes: u64,
        /// Register only; do not poll now.
        #[arg(long)]
        no_poll: bool,
    },
    /// List followed feeds with their last poll, errors and articles created.
    Feeds,
    /// Stop following a feed (by id or URL); its articles stay.
    Unfollow {
        /// The feed's id or URL, as `feeds` lists it.
        feed: String,
    },
    /// Rebuild the search index from the database into a fresh directory and
    /// swap it in atomically; a running server keeps answering searches.
    Reindex,
    /// Search the archive and print ranked results.
    Search {
        /// The query: words (all required), "exact phrases", OR, -word, field:value.
        #[arg(required = true)]
        query: Vec<String>,
        /// Number of results to print.
        #[arg(long, default_value_t = 10)]
        limit: usize,
        /// Print rows for other tools rather than results to read: `csv`
        /// (RFC 4180 with a header row) or `ndjson`.
        #[arg(long, value_enum)]
        format: Option<RowFormat>,
        /// Every match, not `--limit` of them (with --format).
        #[arg(long, requires = "format")]
        all: bool,
        /// The order: relevance (default), newest or oldest.
        #[arg(long, value_enum, default_value_t = SortArg::Relevance)]
        sort: SortArg,
        /// Every copy of a story, rather than its best-matching one.
        #[arg(long)]
        all_versions: bool,
        /// The columns or fields (with --format), e.g. `headline,published_at,url`.
        #[arg(long, requires = "format")]
        fields: Option<String>,
    },
    /// Benchmark the search engine alone: run a query file (as
    /// `bench/corpus.py` writes it) in-process against the index, without
    /// HTTP, database or snippets, and print each search's time as JSON.
    BenchSearch {
        /// The query file: `{"queries": [{"id", "kind", "q", "from"?, "to"?}, ...]}`.
        queries: PathBuf,
        /// Threads searching at once.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=256))]
        threads: u64,
        /// Seconds to keep searching (every thread makes at least one round).
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        /// Ask every query for all facets and a histogram as well.
        #[arg(long)]
        facets: bool,
    },
    /// Create, list and revoke the API tokens that writes through the JSON
    /// API, the feed list and /metrics need, each with its scopes and expiry.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Write a consistent copy of the database to DEST while the archive keeps
    /// serving and accepting writes. The search index is not copied: restore
    /// rebuilds it.
    Backup {
        /// The backup file to create (it must not exist).
        dest: PathBuf,
    },
    /// Bring a backup back into an empty data directory and rebuild the
    /// search index from it.
    Restore {
        /// A file written by `newsarchive backup`.
        src: PathBuf,
    },
    /// Write every article as NDJSON in the import format, so that export
    /// then import into an empty archive gives the same articles.
    Export {
        /// The file to write (default: standard output).
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Copy the whole archive (every article, revision, tombstone, story,
    /// feed, token and the change log, ids kept) into another, empty
    /// database: from the SQLite file to PostgreSQL, or back. The search
    /// index in --data stays valid for the copy. Then run `check` on it.
    CopyDb {
        /// The database to copy into: a postgres:// (postgresql://) URL, or
        /// the path of a new SQLite file (sqlite:PATH or just PATH).
        #[arg(long)]
        to: String,
    },
    /// Verify the database's integrity and that the search index holds exactly
    /// the database's articles and revisions. Exits non-zero on any difference.
    Check {
        /// Fix what is found: rebuild the search index from the database, and
        /// the database's own indexes (REINDEX). Exits zero when all is fixed.
        #[arg(long)]
        repair: bool,
    },
    /// Read a page from standard input and print its body as one
    /// extractor finds it, paragraphs separated by blank lines (for
    /// bench/extraction.py).
    #[command(hide = true)]
    ExtractBody {
        #[arg(long, value_enum, default_value_t = crate::ingest::Extractor::Ours)]
        with: crate::ingest::Extractor,
    },
    /// Read a page or feed from standard input and write what the importer
    /// would take from it as JSON: how `serve` reads each document in a
    /// process of its own.
    #[command(hide = true)]
    ReadDocument {
        #[arg(long, value_enum)]
        kind: crate::ingest::Kind,
        /// The address the document came from, to resolve relative links.
        #[arg(long)]
        url: Option<String>,
    },
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let database = crate::store::Database::choose(
        cli.database_url.as_deref(),
        &cli.data,
        cli.database_max_connections,
    )?;
    let at = Location {
        data_dir: cli.data,
        database,
    };
    let reach = if cli.allow_private_feeds {
        crate::follow::Reach::Private
    } else {
        crate::follow::Reach::Public
    };
    match cli.command {
        Command::Serve(args) => serve::serve(&at, reach, args).await,
        Command::Import { paths, quiet } => import::import(&at, &paths, quiet).await,
        Command::Follow {
            location,
            minutes,
            no_poll,
        } => import::follow(&at, &location, minutes, no_poll, reach).await,
        Command::Feeds => import::feeds(&at).await,
        Command::Unfollow { feed } => import::unfollow(&at, &feed).await,
        Command::Reindex => maintenance::reindex(&at).await,
        Command::Search {
            query,
            limit,
            format: None,
            sort,
            all_versions,
            ..
        } => search::search(&at, &query.join(" "), limit, sort.into(), all_versions).await,
        Command::Search {
            query,
            limit,
            format: Some(format),
            all,
            sort,
            all_versions,
            fields,
        } => {
            let rows = search::RowsWanted {
                format: format.into(),
                limit: (!all).then_some(limit),
                sort: sort.into(),
                all_versions,
                fields,
            };
            search::search_rows(&at, &query.join(" "), rows).await
        }
        Command::BenchSearch {
            queries,
            threads,
            seconds,
            facets,
        } => search::bench_search(&at, queries, threads, seconds, facets).await,
        Command::Token { action } => token::token(&at, action).await,
        Command::Check { repair } => maintenance::check(&at, repair).await,
        Command::ExtractBody { with } => {
            let mut html = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut html)?;
            let body = crate::ingest::on_parse_stack(|| crate::ingest::extract_body(&html, with));
            println!("{}", body.join("\n\n"));
            Ok(ExitCode::SUCCESS)
        }
        Command::ReadDocument { kind, url } => {
            crate::ingest::serve_child(kind, url.as_deref())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup { dest } => maintenance::backup(&at, &dest).await,
        Command::Restore { src } => maintenance::restore(&at, &src).await,
        Command::CopyDb { to } => maintenance::copy_db(&at, &to).await,
        Command::Export { output } => maintenance::export(&at, output.as_deref()).await,
    }
}

/// The database alone, for commands that never touch the search index.
async fn open_store(at: &Location) -> anyhow::Result<crate::store::Store> {
    crate::archive::prepare_data_dir(&at.data_dir)
        .with_context(|| format!("creating the data directory {}", at.data_dir.display()))?;
    crate::store::Store::open(&at.database)
        .await
        .with_context(|| format!("opening the archive database {}", at.database.describe()))
}

/// The archive: its database and its search index, opened for work.
async fn open(at: &Location) -> anyhow::Result<Archive> {
    Archive::open_at(at).await.with_context(|| describe(at))
}

/// "opening the archive in DIR" (and on which PostgreSQL database).
fn describe(at: &Location) -> String {
    match &at.database {
        crate::store::Database::File(_) => {
            format!("opening the archive in {}", at.data_dir.display())
        }
        database => format!(
            "opening the archive in {} on {}",
            at.data_dir.display(),
            database.describe()
        ),
    }
}
