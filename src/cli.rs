//! The command line: `serve`, `import`, `follow`, `feeds`, `unfollow`,
//! `reindex`, `search`, `bench-search`, `token`, `check`, `backup`, `restore` and `export`,
//! each flag also readable from a `NEWSARCHIVE_*` environment variable.

use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::archive::{Archive, Location};
use crate::import::{self, Counts};

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
    Serve {
        /// Address and port to listen on. Listening beyond loopback needs --public-url.
        #[arg(long, env = "NEWSARCHIVE_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// The archive's public address (e.g. https://news.example.org), used in
        /// feeds, sitemaps and canonical links. Required when listening beyond
        /// loopback; without it only loopback Host names (localhost,
        /// 127.0.0.1, [::1]) are answered, over http.
        #[arg(long, env = "NEWSARCHIVE_PUBLIC_URL")]
        public_url: Option<String>,
        /// A reverse proxy's address (repeat, or comma-separate in the
        /// environment): requests from it are counted for rate limits by the
        /// client address it puts in X-Forwarded-For, and it is not held to
        /// --max-connections-per-address.
        #[arg(long, env = "NEWSARCHIVE_TRUSTED_PROXIES", value_delimiter = ',')]
        trusted_proxy: Vec<std::net::IpAddr>,
        /// API writes allowed per client address and minute (0: no limit).
        #[arg(long, env = "NEWSARCHIVE_WRITE_RATE_LIMIT", default_value_t = 300)]
        write_rate_limit: u32,
        /// Searches (page and API) allowed per client address and minute (0: no limit).
        #[arg(long, env = "NEWSARCHIVE_SEARCH_RATE_LIMIT", default_value_t = 600)]
        search_rate_limit: u32,
        /// Downloads of every match of a search (`/search.csv`,
        /// `/search.ndjson`, `/api/v1/search/export`) allowed per client
        /// address and minute (0: no limit).
        #[arg(long, env = "NEWSARCHIVE_DOWNLOAD_RATE_LIMIT", default_value_t = 20)]
        download_rate_limit: u32,
        /// Seconds a client may take to send a request's headers (also how
        /// long an idle keep-alive connection stays open).
        #[arg(long, env = "NEWSARCHIVE_HEADER_TIMEOUT", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
        header_timeout: u64,
        /// Seconds a request body may stall before the request fails with 408.
        #[arg(long, env = "NEWSARCHIVE_BODY_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
        body_timeout: u64,
        /// Seconds a write to a client may stall (a client not reading its
        /// answers) before its connection is closed.
        #[arg(long, env = "NEWSARCHIVE_WRITE_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
        write_timeout: u64,
        /// Seconds a connection may stay open, however busy.
        #[arg(long, env = "NEWSARCHIVE_CONNECTION_MAX_LIFE", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..=86_400))]
        connection_max_life: u64,
        /// Most client connections open at once; more wait in the listen
        /// backlog. Lowered to fit the open-file limit, which the log states.
        #[arg(long, env = "NEWSARCHIVE_MAX_CONNECTIONS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
        max_connections: u64,
        /// Most connections open at once from one client address; more are closed.
        #[arg(long, env = "NEWSARCHIVE_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
        max_connections_per_address: u64,
        /// Seconds that shutdown (SIGTERM, SIGINT) waits for in-flight requests.
        #[arg(long, env = "NEWSARCHIVE_SHUTDOWN_GRACE", default_value_t = 20, value_parser = clap::value_parser!(u64).range(0..=3600))]
        shutdown_grace: u64,
        /// Do not poll followed feeds in this process (another one does).
        #[arg(long, env = "NEWSARCHIVE_NO_FOLLOW")]
        no_follow: bool,
        /// Megabytes of rendered pages kept in memory, served again until
        /// the archive changes (0: render every request).
        #[arg(long, env = "NEWSARCHIVE_PAGE_CACHE_MB", default_value_t = 64, value_parser = clap::value_parser!(u64).range(0..=65_536))]
        page_cache_mb: u64,
    },
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

#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Make a new token. Its secret is printed once and stored only as a hash.
    ///
    /// A token may do only what its scopes allow: `read` (list the followed
    /// feeds), `articles` (create, change, delete and import articles),
    /// `feeds` (follow, unfollow and list feeds), `metrics` (read /metrics)
    /// and `admin` (everything). Without `--scope` a token gets `articles`.
    Create {
        /// Who or what the token is for, e.g. "newsroom-cms".
        #[arg(long)]
        name: String,
        /// What the token may do: read, articles, feeds, metrics or admin;
        /// repeat for several (`--scope articles --scope feeds`). Default: articles.
        #[arg(long = "scope", value_name = "SCOPE")]
        scopes: Vec<crate::auth::Scope>,
        /// When the token stops working: a time from now (`90d`, `12h`,
        /// `2w`) or an RFC 3339 date (`2026-12-31`, `2026-12-31T18:00:00Z`).
        /// Default: never.
        #[arg(long, value_name = "WHEN")]
        expires: Option<crate::auth::Expiry>,
    },
    /// List the tokens (never their secrets) with their scopes and expiry.
    List,
    /// Revoke a token by its id, prefix (na_…) or name; requests with it then get 403.
    Revoke {
        /// The token's id, prefix or name.
        token: String,
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
        Command::Serve {
            listen,
            public_url,
            trusted_proxy,
            write_rate_limit,
            search_rate_limit,
            download_rate_limit,
            header_timeout,
            body_timeout,
            write_timeout,
            connection_max_life,
            max_connections,
            max_connections_per_address,
            shutdown_grace,
            no_follow,
            page_cache_mb,
        } => {
            if public_url.is_none() && !listen.ip().is_loopback() {
                anyhow::bail!(
                    "listening on {listen}, beyond loopback, needs --public-url (the address \
                     readers use, e.g. https://news.example.org), so that no link the archive \
                     writes comes from a request's Host header"
                );
            }
            let wanted = usize::try_from(max_connections).unwrap_or(usize::MAX);
            let (max_connections, open_files) = crate::web::fit_open_files(wanted);
            tracing::info!(
                max_connections,
                open_files,
                "at most {max_connections} connections at once (open-file limit {open_files})"
            );
            // Each page and feed is read by a child process of this binary:
            // a crash in the parsing libraries ends the child, not the server.
            crate::ingest::read_in_children(
                std::env::current_exe().context("finding this program's own path")?,
            );
            let archive = open(&at).await?;
            let follower = (!no_follow)
                .then(|| tokio::spawn(crate::follow::Follower::new(archive.clone(), reach).run()));
            let config = crate::web::Config {
                public_url,
                write_rate_limit,
                search_rate_limit,
                download_rate_limit,
                request_timeout: None,
                body_timeout: Some(Duration::from_secs(body_timeout)),
                page_cache_bytes: page_cache_mb * 1024 * 1024,
                feed_reach: reach,
                connections: crate::web::ConnectionLimits {
                    header_read_timeout: Duration::from_secs(header_timeout),
                    write_timeout: Duration::from_secs(write_timeout),
                    max_life: Duration::from_secs(connection_max_life),
                    max_connections,
                    per_address: usize::try_from(max_connections_per_address).unwrap_or(usize::MAX),
                    trusted_proxies: trusted_proxy,
                    shutdown_grace: Duration::from_secs(shutdown_grace),
                },
            };
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("listening on {listen}"))?;
            crate::web::serve(
                archive.clone(),
                config,
                listener,
                crate::web::shutdown_signal(),
            )
            .await?;
            if let Some(follower) = follower {
                follower.abort();
            }
            archive.close().await?;
            tracing::info!("the search index is committed; goodbye");
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { paths, quiet } => import(&at, &paths, quiet).await,
        Command::Follow {
            location,
            minutes,
            no_poll,
        } => follow(&at, &location, minutes, no_poll, reach).await,
        Command::Feeds => {
            let store = open_store(&at).await?;
            let feeds = store.feeds().await;
            store.close().await;
            let feeds = feeds?;
            if feeds.is_empty() {
                println!("No feeds are followed; add one with `newsarchive follow URL`.");
            }
            for feed in &feeds {
                println!(
                    "{}\t{}\t{}\tevery {} min\t{} article(s)\tnext poll {}{}",
                    feed.id,
                    feed.url,
                    feed.title.as_deref().unwrap_or("(not polled yet)"),
                    feed.interval_secs / 60,
                    feed.articles_created,
                    crate::article::format_date(&feed.next_poll_at),
                    feed.last_error
                        .as_deref()
                        .map(|e| format!("\tlast error ({} in a row): {e}", feed.failures))
                        .unwrap_or_default()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Unfollow { feed } => {
            let store = open_store(&at).await?;
            let removed = store.unfollow_feed(&feed).await;
            store.close().await;
            match removed {
                Ok(feed) => {
                    println!(
                        "No longer following {} ({}); its articles stay.",
                        feed.url, feed.id
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("{e}; `newsarchive feeds` lists the followed feeds.");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Reindex => {
            let archive = open(&at).await?;
            let count = archive
                .reindex()
                .await
                .context("rebuilding the search index")?;
            archive.close().await?;
            println!("Rebuilt the search index: {count} articles.");
            Ok(ExitCode::SUCCESS)
        }
        Command::Search {
            query,
            limit,
            format: None,
            sort,
            all_versions,
            ..
        } => search(&at, &query.join(" "), limit, sort.into(), all_versions).await,
        Command::Search {
            query,
            limit,
            format: Some(format),
            all,
            sort,
            all_versions,
            fields,
        } => {
            let rows = RowsWanted {
                format: format.into(),
                limit: (!all).then_some(limit),
                sort: sort.into(),
                all_versions,
                fields,
            };
            search_rows(&at, &query.join(" "), rows).await
        }
        Command::BenchSearch {
            queries,
            threads,
            seconds,
            facets,
        } => {
            anyhow::ensure!(
                seconds.is_finite() && (0.0..=86_400.0).contains(&seconds),
                "--seconds must be between 0 and 86400, not {seconds}"
            );
            let archive = open(&at).await?;
            let index = crate::bench::ready_index(&archive).await?;
            let options = crate::bench::Options {
                threads: usize::try_from(threads).unwrap_or(1),
                duration: Duration::from_secs_f64(seconds),
                facets,
            };
            let report =
                tokio::task::spawn_blocking(move || crate::bench::run(&index, &queries, options))
                    .await??;
            archive.close().await?;
            println!("{}", serde_json::to_string(&report)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Token { action } => token(&at, action).await,
        Command::Check { repair } => check(&at, repair).await,
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
        Command::Backup { dest } => {
            let report = crate::backup::backup(&at, &dest).await?;
            println!(
                "Backed up {} articles to {} ({} bytes).",
                report.articles,
                dest.display(),
                report.bytes
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore { src } => {
            let articles = crate::backup::restore(&src, &at).await?;
            println!(
                "Restored {articles} articles into {}; rebuilding the search index.",
                at.data_dir.display()
            );
            let archive = open(&at).await?;
            let report = archive.check(Duration::from_secs(24 * 3600)).await?;
            archive.close().await?;
            Ok(print_check(&report, "Restored"))
        }
        Command::CopyDb { to } => copy_db(&at, &to).await,
        Command::Export { output } => {
            let count = match &output {
                Some(path) => crate::backup::export_to_file(&at, path).await?,
                None => crate::backup::export(&at, &mut std::io::stdout().lock()).await?,
            };
            eprintln!("Exported {count} articles.");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `copy-db --to TARGET`: the archive's database into an empty other one.
async fn copy_db(at: &Location, to: &str) -> anyhow::Result<ExitCode> {
    use crate::store::Database;
    let target = if to.starts_with("postgres://") || to.starts_with("postgresql://") {
        Database::choose(
            Some(to),
            &at.data_dir,
            crate::store::DEFAULT_MAX_CONNECTIONS,
        )?
    } else {
        let path = PathBuf::from(to.strip_prefix("sqlite:").unwrap_or(to));
        anyhow::ensure!(
            !path.as_os_str().is_empty() && !to.contains("://"),
            "--to takes a postgres:// URL or the path of a new SQLite file, not `{to}`"
        );
        if path.exists() {
            anyhow::bail!(
                "{}: already exists; copy-db writes a new SQLite file",
                path.display()
            );
        }
        Database::File(path)
    };
    anyhow::ensure!(
        target != at.database,
        "--to names the archive's own database"
    );
    let source = open_store(at).await?;
    let into = crate::store::Store::open(&target)
        .await
        .with_context(|| format!("opening the target database {}", target.describe()))?;
    let report = source
        .copy_into(&into, &|table, rows| {
            if rows % 100_000 == 0 {
                eprintln!("{table}: {rows} rows");
            }
        })
        .await
        .with_context(|| format!("copying into {}", target.describe()));
    source.close().await;
    into.close().await;
    let report = report?;
    for (table, rows) in &report.tables {
        println!("{table}\t{rows}");
    }
    println!(
        "Copied the archive into {}. Check it with `newsarchive check` and that database.",
        target.describe()
    );
    Ok(ExitCode::SUCCESS)
}

/// The database alone, for commands that never touch the search index.
async fn open_store(at: &Location) -> anyhow::Result<crate::store::Store> {
    crate::archive::prepare_data_dir(&at.data_dir)
        .with_context(|| format!("creating the data directory {}", at.data_dir.display()))?;
    crate::store::Store::open(&at.database)
        .await
        .with_context(|| format!("opening the archive database {}", at.database.describe()))
}

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

async fn import(at: &Location, paths: &[PathBuf], quiet: bool) -> anyhow::Result<ExitCode> {
    let files = import::collect_files(paths)
        .map_err(|(path, e)| anyhow::anyhow!("{}: {e}", path.display()))?;
    let archive = open(at).await?;
    let total_bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total_bytes)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:30} {bytes}/{total_bytes} {msg} {elapsed_precise} elapsed, {eta_precise} left",
        )
        .expect("valid template"),
    );
    let saved = std::sync::atomic::AtomicU64::new(0);
    let mut totals = Counts::default();
    let mut failed = 0;
    let mut refused_items = 0;
    for file in &files {
        let tick = |tick: import::Tick| {
            use std::sync::atomic::Ordering::Relaxed;
            let articles = saved.fetch_add(tick.articles, Relaxed) + tick.articles;
            let rate = articles as f64 / bar.elapsed().as_secs_f64().max(0.001);
            bar.set_message(format!("{articles} articles, {rate:.0}/s,"));
            bar.inc(tick.bytes);
        };
        let (ok, line) = match import::import_file(&archive, file, &tick).await {
            Ok(report) => {
                totals.merge(report.counts);
                let mut line = format!("{}: {}", file.display(), report.counts);
                if report.skipped.total() > 0 {
                    line.push_str(&format!("; {}", report.skipped));
                }
                for refused in &report.refused {
                    refused_items += 1;
                    line.push_str(&format!("\n{}: failed: {refused}", file.display()));
                }
                for (_, damaged) in &report.damaged {
                    refused_items += 1;
                    line.push_str(&format!("\n{}: failed: {damaged}", file.display()));
                }
                (report.refused.is_empty() && report.damaged.is_empty(), line)
            }
            Err(e) => {
                failed += 1;
                (false, format!("{}: failed: {e}", file.display()))
            }
        };
        if quiet && ok {
            continue;
        }
        bar.suspend(|| println!("{line}"));
    }
    bar.finish_and_clear();
    if totals.created + totals.updated > 0 {
        archive.store().analyze().await?;
    }
    println!(
        "{} file(s), {failed} failed; articles: {} imported, {} updated, {} unchanged, {refused_items} feed item(s) or crawl record(s) refused.",
        files.len(),
        totals.created,
        totals.updated,
        totals.unchanged
    );
    let mut waited = Duration::ZERO;
    while !archive.wait_indexed(Duration::from_secs(1)).await? {
        waited += Duration::from_secs(1);
        if let Some(error) = archive.index_error() {
            println!(
                "The search index could not take the new articles yet ({error}); \
                 they are saved, and the next `newsarchive serve` or import indexes them."
            );
            break;
        }
        if waited >= Duration::from_secs(600) {
            println!(
                "The search index is still catching up; a running `newsarchive serve` finishes it."
            );
            break;
        }
    }
    archive.close().await?;
    Ok(if failed + refused_items > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

async fn follow(
    at: &Location,
    location: &str,
    minutes: u64,
    no_poll: bool,
    reach: crate::follow::Reach,
) -> anyhow::Result<ExitCode> {
    let archive = open(at).await?;
    let follower = crate::follow::Follower::new(archive.clone(), reach);
    let feed = match follower
        .follow(location, Duration::from_secs(minutes * 60))
        .await
    {
        Ok(feed) => feed,
        Err(e) => {
            archive.close().await?;
            eprintln!("{e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    println!(
        "Following {} (feed {}), every {minutes} minute(s).",
        feed.url, feed.id
    );
    let mut code = ExitCode::SUCCESS;
    if !no_poll {
        let report = follower.poll(&feed).await?;
        for refused in &report.refused {
            println!("{}: failed: {refused}", feed.url);
        }
        match &report.error {
            Some(error) => {
                println!("Polling it failed: {error}. `serve` tries again later.");
                code = ExitCode::FAILURE;
            }
            None => println!(
                "Polled now: {} new, {} updated, {} unchanged, {} refused.",
                report.created,
                report.updated,
                report.unchanged,
                report.refused.len()
            ),
        }
        archive.wait_indexed(Duration::from_secs(60)).await?;
    }
    archive.close().await?;
    Ok(code)
}

/// Up to a minute for the indexer to catch up before comparing.
const CHECK_WAIT: Duration = Duration::from_secs(60);

async fn check(at: &Location, repair: bool) -> anyhow::Result<ExitCode> {
    let archive = match Archive::open_unhealed(at).await {
        Ok(archive) => archive,
        Err(e @ crate::archive::Error::Search(_)) => {
            println!("index: the search index cannot be opened: {e}");
            if !repair {
                println!("1 problem(s) found; `newsarchive check --repair` rebuilds the index.");
                return Ok(ExitCode::FAILURE);
            }
            println!("repair: rebuilding the search index from the database");
            let archive = open(at).await?;
            let report = archive.check(Duration::from_secs(3600)).await?;
            archive.close().await?;
            return Ok(print_check(&report, "Repaired"));
        }
        Err(e) => {
            return Err(anyhow::Error::new(e).context(describe(at)));
        }
    };
    let report = archive.check(CHECK_WAIT).await?;
    if report.is_ok() || !repair {
        archive.close().await?;
        let code = print_check(&report, "OK");
        if !report.is_ok() {
            println!("`newsarchive check --repair` fixes what it can.");
        }
        return Ok(code);
    }
    print_check(&report, "OK");
    if !report.database_problems.is_empty() {
        archive.store().rebuild_database_indexes().await?;
        println!("repair: rebuilt the database's indexes (REINDEX)");
    }
    if !report.index_problems.is_empty() {
        let count = archive.reindex().await?;
        println!("repair: rebuilt the search index from the database ({count} articles)");
    }
    let after = archive.check(CHECK_WAIT).await?;
    archive.close().await?;
    let code = print_check(&after, "Repaired");
    if !after.database_problems.is_empty() {
        println!(
            "The database itself is damaged; restore it from a backup with `newsarchive restore`."
        );
    }
    Ok(code)
}

/// Prints a check report; success when it found nothing.
fn print_check(report: &crate::archive::CheckReport, ok_word: &str) -> ExitCode {
    for problem in &report.database_problems {
        println!("database: {problem}");
    }
    for problem in &report.index_problems {
        println!("index: {problem}");
    }
    if report.is_ok() {
        println!(
            "{ok_word}: database intact; the index holds exactly the {} articles of the database at their current revisions.",
            report.articles
        );
        ExitCode::SUCCESS
    } else {
        println!(
            "{} problem(s) found.",
            report.database_problems.len() + report.index_problems.len()
        );
        ExitCode::FAILURE
    }
}

/// `search --format`: rows for other tools.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RowFormat {
    Csv,
    Ndjson,
}

impl From<RowFormat> for crate::research::Format {
    fn from(format: RowFormat) -> Self {
        match format {
            RowFormat::Csv => crate::research::Format::Csv,
            RowFormat::Ndjson => crate::research::Format::Ndjson,
        }
    }
}

/// `search --sort`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SortArg {
    Relevance,
    Newest,
    Oldest,
}

impl From<SortArg> for crate::search::Sort {
    fn from(sort: SortArg) -> Self {
        match sort {
            SortArg::Relevance => crate::search::Sort::Relevance,
            SortArg::Newest => crate::search::Sort::Newest,
            SortArg::Oldest => crate::search::Sort::Oldest,
        }
    }
}

/// What `search --format` prints.
struct RowsWanted {
    format: crate::research::Format,
    /// None: every match (`--all`).
    limit: Option<usize>,
    sort: crate::search::Sort,
    all_versions: bool,
    fields: Option<String>,
}

/// Prints the matches of a search as CSV or NDJSON rows, a batch at a time.
async fn search_rows(at: &Location, query: &str, wanted: RowsWanted) -> anyhow::Result<ExitCode> {
    use std::io::Write as _;
    let columns = match wanted
        .fields
        .as_deref()
        .map(crate::research::Column::parse_list)
    {
        Some(Err(why)) => {
            eprintln!("error: --fields: {why}");
            return Ok(ExitCode::from(2));
        }
        Some(Ok(columns)) => Some(columns),
        None => None,
    };
    let archive = open(at).await?;
    archive.wait_indexed(Duration::from_secs(60)).await?;
    let request = crate::search::Request {
        sort: wanted.sort,
        all_versions: wanted.all_versions,
        ..Default::default()
    };
    let rows = crate::research::Rows::new(wanted.format, columns);
    let mut matches =
        match crate::research::Matches::start(&archive, query, &request, rows.body()).await {
            Ok(matches) => matches,
            Err(crate::archive::Error::Query(e)) => {
                archive.close().await?;
                eprintln!("error: {e}");
                return Ok(ExitCode::from(2));
            }
            Err(e) => return Err(e.into()),
        };
    for note in &matches.ignored {
        eprintln!("(ignored: {note})");
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    out.write_all(&rows.header())?;
    let mut left = wanted.limit.unwrap_or(usize::MAX);
    while left > 0
        && let Some(batch) = matches.next_batch().await?
    {
        let batch = &batch[..batch.len().min(left)];
        left -= batch.len();
        out.write_all(&rows.write(batch))?;
    }
    out.flush()?;
    drop(out);
    archive.close().await?;
    Ok(ExitCode::SUCCESS)
}

async fn search(
    at: &Location,
    query: &str,
    limit: usize,
    sort: crate::search::Sort,
    all_versions: bool,
) -> anyhow::Result<ExitCode> {
    let archive = open(at).await?;
    archive.wait_indexed(Duration::from_secs(60)).await?;
    let request = crate::search::Request {
        limit,
        sort,
        all_versions,
        ..Default::default()
    };
    let page = match archive.search(query, &request).await {
        Ok(page) => page,
        Err(crate::archive::Error::Query(e)) => {
            archive.close().await?;
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
        Err(e) => return Err(e.into()),
    };
    archive.close().await?;
    let bold = std::io::stdout().is_terminal();
    for note in &page.ignored {
        println!("(ignored: {note})");
    }
    println!("{} result(s) for {query}", page.total);
    for (rank, result) in page.results.iter().enumerate() {
        let a = &result.article;
        println!(
            "\n{}. {}",
            rank + 1,
            terminal_text(&result.headline_html, bold)
        );
        let mut meta = vec![a.path()];
        if let Some(source) = &a.content.source {
            meta.push(source.name.clone());
        }
        if let Some(date) = a.display_date() {
            meta.push(date);
        }
        if let Some(score) = result.score {
            meta.push(format!("score {score:.2}"));
        }
        println!("   {}", meta.join(" · "));
        if let Some(snippet) = &result.snippet {
            println!("   {}", terminal_text(&snippet.html, bold));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Turns snippet HTML into terminal text: marks in bold (or `**`), entities decoded.
fn terminal_text(html: &str, bold: bool) -> String {
    let (on, off) = if bold {
        ("\x1b[1m", "\x1b[0m")
    } else {
        ("**", "**")
    };
    html.replace("<mark>", on)
        .replace("</mark>", off)
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

async fn token(at: &Location, action: TokenAction) -> anyhow::Result<ExitCode> {
    let store = open_store(at).await?;
    let code = token_action(&store, action).await;
    store.close().await;
    code
}

async fn token_action(
    store: &crate::store::Store,
    action: TokenAction,
) -> anyhow::Result<ExitCode> {
    let code = match action {
        TokenAction::Create {
            name,
            scopes,
            expires,
        } => {
            let name = name.trim();
            if name.is_empty() || name.chars().count() > 100 {
                anyhow::bail!("--name must be 1 to 100 characters");
            }
            let scopes: crate::auth::Scopes = if scopes.is_empty() {
                crate::auth::Scopes::from_iter([crate::auth::DEFAULT_SCOPE])
            } else {
                scopes.into_iter().collect()
            };
            let now = chrono::Utc::now();
            let expires_at = expires
                .map(|e| {
                    e.at(now)
                        .with_context(|| format!("--expires: `{e}` is not in the future"))
                })
                .transpose()?;
            let token = crate::auth::new_token();
            store
                .create_token(&crate::store::NewTokenRecord {
                    name,
                    prefix: &token.prefix,
                    secret_hash: &token.hash,
                    scopes: &scopes,
                    expires_at,
                })
                .await?;
            println!("{}", token.secret);
            let until = expires_at.map_or_else(
                || "does not expire".to_owned(),
                |at| format!("expires {}", crate::article::format_date(&at)),
            );
            eprintln!(
                "Token {} created for {name} with scope(s) {scopes}; it {until}. Keep the line \
                 above secret: it is shown only once. Send it as `Authorization: Bearer <token>`.",
                token.prefix
            );
            ExitCode::SUCCESS
        }
        TokenAction::List => {
            let tokens = store.tokens().await?;
            if tokens.is_empty() {
                println!("No tokens. Make one with `newsarchive token create --name NAME`.");
            }
            let now = chrono::Utc::now();
            for t in tokens {
                let state = match (t.revoked_at, t.expires_at) {
                    (Some(at), _) => format!("revoked {}", crate::article::format_date(&at)),
                    (None, Some(at)) if crate::auth::expired(Some(at), now) => {
                        format!("expired {}", crate::article::format_date(&at))
                    }
                    _ => "active".to_owned(),
                };
                let expires = t.expires_at.map_or_else(
                    || "never expires".to_owned(),
                    |at| format!("expires {}", crate::article::format_date(&at)),
                );
                let scopes = if t.scopes.is_empty() {
                    "none".to_owned()
                } else {
                    t.scopes.to_string().replace(' ', ",")
                };
                println!(
                    "{}\t{}\t{}\tscopes {scopes}\tcreated {}\t{expires}\t{state}",
                    t.id,
                    t.prefix,
                    t.name,
                    crate::article::format_date(&t.created_at)
                );
            }
            ExitCode::SUCCESS
        }
        TokenAction::Revoke { token } => {
            if store.revoke_token(&token).await? {
                println!("Revoked {token}.");
                ExitCode::SUCCESS
            } else {
                eprintln!("error: no active token has the id, prefix or name `{token}`");
                ExitCode::FAILURE
            }
        }
    };
    Ok(code)
}
