//! The command line: `serve`, `import`, `reindex`, `search` and `check`, each
//! flag also readable from a `NEWSARCHIVE_*` environment variable.

use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::archive::Archive;
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
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web pages and the JSON API. The server also keeps the search
    /// index up to date with articles written by other processes (imports).
    Serve {
        /// Address and port to listen on.
        #[arg(long, env = "NEWSARCHIVE_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// The archive's public address (e.g. https://news.example.org), used in
        /// feeds, sitemaps and canonical links; default: the request's Host over http.
        #[arg(long, env = "NEWSARCHIVE_PUBLIC_URL")]
        public_url: Option<String>,
        /// API writes allowed per client address and minute (0: no limit).
        #[arg(long, env = "NEWSARCHIVE_WRITE_RATE_LIMIT", default_value_t = 300)]
        write_rate_limit: u32,
        /// Searches (page and API) allowed per client address and minute (0: no limit).
        #[arg(long, env = "NEWSARCHIVE_SEARCH_RATE_LIMIT", default_value_t = 600)]
        search_rate_limit: u32,
        /// Seconds a client may take to send a request's headers (also how
        /// long an idle keep-alive connection stays open).
        #[arg(long, env = "NEWSARCHIVE_HEADER_TIMEOUT", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
        header_timeout: u64,
        /// Seconds a request body may stall before the request fails with 408.
        #[arg(long, env = "NEWSARCHIVE_BODY_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
        body_timeout: u64,
        /// Most client connections open at once; more wait in the listen backlog.
        #[arg(long, env = "NEWSARCHIVE_MAX_CONNECTIONS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
        max_connections: u64,
        /// Seconds that shutdown (SIGTERM, SIGINT) waits for in-flight requests.
        #[arg(long, env = "NEWSARCHIVE_SHUTDOWN_GRACE", default_value_t = 20, value_parser = clap::value_parser!(u64).range(0..=3600))]
        shutdown_grace: u64,
    },
    /// Import articles from files and directories (searched recursively).
    ///
    /// Reads plain text (.txt: headline line, blank-line separated paragraphs,
    /// optional `---` front matter), JSON (.json: one article or an array) and
    /// NDJSON (.ndjson/.jsonl: one article per line). An article is matched to
    /// one already in the archive by URL, otherwise by content; re-importing
    /// changes nothing. A file that fails writes nothing. Exits non-zero if any
    /// file failed.
    Import {
        /// Files or directories to import.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
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
    },
    /// Create, list and revoke the API tokens that writes through the JSON API need.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Verify the database's integrity and that the search index holds exactly
    /// the database's articles and revisions. Exits non-zero on any difference.
    Check,
}

#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Make a new token. Its secret is printed once and stored only as a hash.
    Create {
        /// Who or what the token is for, e.g. "newsroom-cms".
        #[arg(long)]
        name: String,
    },
    /// List the tokens (never their secrets).
    List,
    /// Revoke a token by its id, prefix (na_…) or name; requests with it then get 403.
    Revoke {
        /// The token's id, prefix or name.
        token: String,
    },
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let data = cli.data;
    match cli.command {
        Command::Serve {
            listen,
            public_url,
            write_rate_limit,
            search_rate_limit,
            header_timeout,
            body_timeout,
            max_connections,
            shutdown_grace,
        } => {
            let archive = open(&data).await?;
            let config = crate::web::Config {
                public_url,
                write_rate_limit,
                search_rate_limit,
                request_timeout: None,
                body_timeout: Some(Duration::from_secs(body_timeout)),
                connections: crate::web::ConnectionLimits {
                    header_read_timeout: Duration::from_secs(header_timeout),
                    max_connections: usize::try_from(max_connections).unwrap_or(usize::MAX),
                    shutdown_grace: Duration::from_secs(shutdown_grace),
                },
            };
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("listening on {listen}"))?;
            crate::web::serve(archive.clone(), config, listener, crate::web::shutdown_signal())
                .await?;
            archive.close().await?;
            tracing::info!("the search index is committed; goodbye");
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { paths } => import(&data, &paths).await,
        Command::Reindex => {
            let archive = open(&data).await?;
            let count = archive
                .reindex()
                .await
                .context("rebuilding the search index")?;
            archive.close().await?;
            println!("Rebuilt the search index: {count} articles.");
            Ok(ExitCode::SUCCESS)
        }
        Command::Search { query, limit } => search(&data, &query.join(" "), limit).await,
        Command::Token { action } => token(&data, action).await,
        Command::Check => {
            let archive = open(&data).await?;
            let report = archive.check(Duration::from_secs(60)).await?;
            archive.close().await?;
            for problem in &report.database_problems {
                println!("database: {problem}");
            }
            for problem in &report.index_problems {
                println!("index: {problem}");
            }
            if report.is_ok() {
                println!(
                    "OK: database intact; the index holds exactly the {} articles of the database at their current revisions.",
                    report.articles
                );
                Ok(ExitCode::SUCCESS)
            } else {
                println!(
                    "{} problem(s) found.",
                    report.database_problems.len() + report.index_problems.len()
                );
                Ok(ExitCode::FAILURE)
            }
        }
    }
}

async fn open(data: &std::path::Path) -> anyhow::Result<Archive> {
    Archive::open(data)
        .await
        .with_context(|| format!("opening the archive in {}", data.display()))
}

async fn import(data: &std::path::Path, paths: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let files = import::collect_files(paths)
        .map_err(|(path, e)| anyhow::anyhow!("{}: {e}", path.display()))?;
    let archive = open(data).await?;
    let total_bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let bar = ProgressBar::new(total_bytes);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
            .expect("valid template"),
    );
    let mut totals = Counts::default();
    let mut failed = 0;
    for file in &files {
        let tick = |bytes: u64| bar.inc(bytes);
        let line = match import::import_file(&archive, file, &tick).await {
            Ok(counts) => {
                totals.merge(counts);
                format!("{}: {counts}", file.display())
            }
            Err(e) => {
                failed += 1;
                format!("{}: failed: {e}", file.display())
            }
        };
        bar.suspend(|| println!("{line}"));
    }
    bar.finish_and_clear();
    println!(
        "{} file(s), {failed} failed; articles: {} imported, {} updated, {} unchanged.",
        files.len(),
        totals.created,
        totals.updated,
        totals.unchanged
    );
    if !archive.wait_indexed(Duration::from_secs(600)).await? {
        println!(
            "The search index is still catching up; a running `newsarchive serve` finishes it."
        );
    }
    archive.close().await?;
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

async fn search(data: &std::path::Path, query: &str, limit: usize) -> anyhow::Result<ExitCode> {
    let archive = open(data).await?;
    archive.wait_indexed(Duration::from_secs(60)).await?;
    let request = crate::search::Request {
        limit,
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

async fn token(data: &std::path::Path, action: TokenAction) -> anyhow::Result<ExitCode> {
    let archive = open(data).await?;
    let store = archive.store();
    let code = match action {
        TokenAction::Create { name } => {
            let name = name.trim();
            if name.is_empty() || name.chars().count() > 100 {
                anyhow::bail!("--name must be 1 to 100 characters");
            }
            let token = crate::auth::new_token();
            store.create_token(name, &token.prefix, &token.hash).await?;
            println!("{}", token.secret);
            eprintln!(
                "Token {} created for {name}. Keep the line above secret: it is shown only once. \
                 Send it as `Authorization: Bearer <token>`.",
                token.prefix
            );
            ExitCode::SUCCESS
        }
        TokenAction::List => {
            let tokens = store.tokens().await?;
            if tokens.is_empty() {
                println!("No tokens. Make one with `newsarchive token create --name NAME`.");
            }
            for t in tokens {
                let state = match t.revoked_at {
                    Some(at) => format!("revoked {}", crate::article::format_date(&at)),
                    None => "active".to_owned(),
                };
                println!(
                    "{}\t{}\t{}\tcreated {}\t{state}",
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
    archive.close().await?;
    Ok(code)
}
