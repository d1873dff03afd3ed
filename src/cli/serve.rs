//! `newsarchive serve`: its flags, and the server started from them with
//! the feed follower beside it.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;

use super::open;
use crate::archive::Location;

/// How `serve` listens, limits and times its clients.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address and port to listen on. Listening beyond loopback needs --public-url.
    #[arg(long, env = "NEWSARCHIVE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The archive's public address (e.g. https://news.example.org), used in
    /// feeds, sitemaps and canonical links. Required when listening beyond
    /// loopback; without it only loopback Host names (localhost,
    /// 127.0.0.1, [::1]) are answered, over http.
    #[arg(long, env = "NEWSARCHIVE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// A reverse proxy's address (repeat, or comma-separate in the
    /// environment): requests from it are counted for rate limits by the
    /// client address it puts in X-Forwarded-For, and it is not held to
    /// --max-connections-per-address.
    #[arg(long, env = "NEWSARCHIVE_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxy: Vec<std::net::IpAddr>,
    /// API writes allowed per client address and minute (0: no limit).
    #[arg(long, env = "NEWSARCHIVE_WRITE_RATE_LIMIT", default_value_t = 300)]
    pub write_rate_limit: u32,
    /// Searches (page and API) allowed per client address and minute (0: no limit).
    #[arg(long, env = "NEWSARCHIVE_SEARCH_RATE_LIMIT", default_value_t = 600)]
    pub search_rate_limit: u32,
    /// Downloads of every match of a search (`/search.csv`,
    /// `/search.ndjson`, `/api/v1/search/export`) allowed per client
    /// address and minute (0: no limit).
    #[arg(long, env = "NEWSARCHIVE_DOWNLOAD_RATE_LIMIT", default_value_t = 20)]
    pub download_rate_limit: u32,
    /// Seconds a client may take to send a request's headers (also how
    /// long an idle keep-alive connection stays open).
    #[arg(long, env = "NEWSARCHIVE_HEADER_TIMEOUT", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_timeout: u64,
    /// Seconds a request body may stall before the request fails with 408.
    #[arg(long, env = "NEWSARCHIVE_BODY_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub body_timeout: u64,
    /// Seconds a write to a client may stall (a client not reading its
    /// answers) before its connection is closed.
    #[arg(long, env = "NEWSARCHIVE_WRITE_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub write_timeout: u64,
    /// Seconds a connection may stay open, however busy.
    #[arg(long, env = "NEWSARCHIVE_CONNECTION_MAX_LIFE", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub connection_max_life: u64,
    /// Most client connections open at once; more wait in the listen
    /// backlog. Lowered to fit the open-file limit, which the log states.
    #[arg(long, env = "NEWSARCHIVE_MAX_CONNECTIONS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_connections: u64,
    /// Most connections open at once from one client address; more are closed.
    #[arg(long, env = "NEWSARCHIVE_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_connections_per_address: u64,
    /// Seconds that shutdown (SIGTERM, SIGINT) waits for in-flight requests.
    #[arg(long, env = "NEWSARCHIVE_SHUTDOWN_GRACE", default_value_t = 20, value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub shutdown_grace: u64,
    /// Do not poll followed feeds in this process (another one does).
    #[arg(long, env = "NEWSARCHIVE_NO_FOLLOW")]
    pub no_follow: bool,
    /// Megabytes of rendered pages kept in memory, served again until
    /// the archive changes (0: render every request).
    #[arg(long, env = "NEWSARCHIVE_PAGE_CACHE_MB", default_value_t = 64, value_parser = clap::value_parser!(u64).range(0..=65_536))]
    pub page_cache_mb: u64,
}

/// Serves the archive until a shutdown signal, then commits the search index.
pub(super) async fn serve(
    at: &Location,
    reach: crate::follow::Reach,
    args: ServeArgs,
) -> anyhow::Result<ExitCode> {
    let ServeArgs {
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
    } = args;
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
    let archive = open(at).await?;
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
