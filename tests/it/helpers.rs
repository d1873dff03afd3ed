//! A fresh archive per test, requests through the real router, and the real binary.
//!
//! The suite runs on either backend: on SQLite (the file in each test's
//! data directory) by default, and on PostgreSQL when
//! `NEWSARCHIVE_TEST_POSTGRES` names a server (`scripts/test.sh` starts a
//! throwaway one and runs the suite again): then each data directory gets
//! a database of its own on that server. A few tests are about SQLite's
//! file itself (backups, kill -9 mid-write, a full disk, file modes); they
//! open the file directly and say so.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt as _;
use newsarchive::archive::{Archive, Location};
use newsarchive::article::{ArticleInput, NewArticle};
use newsarchive::store::Database;
use sqlx::sqlite::SqlitePoolOptions;
use tempfile::TempDir;
use tower::ServiceExt as _;

pub const SEED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/samples/000_f0d819e84fc44671.txt"
);

/// What the revisions tests write say made them.
pub const TESTS: newsarchive::revision::Origin = newsarchive::revision::Origin::Archive("tests");

/// An archive in a temp dir with the real router in front of it.
pub struct TestApp {
    pub dir: TempDir,
    pub archive: Archive,
    pub router: axum::Router,
}

/// A response, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl TestApp {
    pub async fn new() -> TestApp {
        // As `serve` runs it: pages are cached.
        TestApp::with_config(newsarchive::web::Config {
            page_cache_bytes: 64 << 20,
            ..Default::default()
        })
        .await
    }

    /// A fresh archive behind the real router set up with `config`.
    pub async fn with_config(config: newsarchive::web::Config) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let archive = open_archive(dir.path()).await;
        let router = newsarchive::web::router(archive.clone(), config);
        TestApp {
            dir,
            archive,
            router,
        }
    }

    /// The archive in `data` (written by the binary, say) behind the real router.
    pub async fn open(data: &Path) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let archive = open_archive(data).await;
        let router = newsarchive::web::router(archive.clone(), Default::default());
        TestApp {
            dir,
            archive,
            router,
        }
    }

    /// The archive in `data` on the SQLite file there, whatever the
    /// backend under test: for the tests about that file itself.
    pub async fn open_embedded(data: &Path) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let archive = Archive::open(data).await.expect("open archive");
        let router = newsarchive::web::router(archive.clone(), Default::default());
        TestApp {
            dir,
            archive,
            router,
        }
    }

    /// A fresh archive holding the seed article.
    pub async fn with_seed() -> TestApp {
        let app = TestApp::new().await;
        let counts = newsarchive::import::import_file(&app.archive, Path::new(SEED), &|_| {})
            .await
            .expect("seed imports");
        assert_eq!(counts.counts.created, 1);
        app.indexed().await;
        app
    }

    pub fn data(&self) -> &Path {
        self.dir.path()
    }

    /// Waits until every write is searchable.
    pub async fn indexed(&self) {
        assert!(
            self.archive
                .wait_indexed(Duration::from_secs(60))
                .await
                .unwrap(),
            "the index did not catch up"
        );
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.request(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    pub async fn request(&self, request: Request<Body>) -> Reply {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// Asserts `check` finds the database and index in agreement.
    pub async fn assert_consistent(&self) {
        let report = self.archive.check(Duration::from_secs(60)).await.unwrap();
        assert!(report.is_ok(), "check found problems: {report:?}");
    }
}

/// A JSON write request, with the token when given.
pub fn write(
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: serde_json::Value,
) -> Request<Body> {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    request.body(Body::from(body.to_string())).unwrap()
}

/// A new API token's secret, with the `admin` scope (it may do everything).
pub async fn api_token(app: &TestApp, name: &str) -> String {
    scoped_token(app, name, "admin", None).await
}

/// A new API token's secret, with these scopes (`"articles feeds"`) and expiry.
pub async fn scoped_token(
    app: &TestApp,
    name: &str,
    scopes: &str,
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
) -> String {
    let token = newsarchive::auth::new_token();
    app.archive
        .store()
        .create_token(&newsarchive::store::NewTokenRecord {
            name,
            prefix: &token.prefix,
            secret_hash: &token.hash,
            scopes: &scopes.parse().expect("scope names"),
            expires_at,
        })
        .await
        .unwrap();
    token.secret
}

/// A GET request with the token.
pub fn get_with(uri: &str, token: &str) -> Request<Body> {
    Request::get(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap()
}

/// A valid article built from JSON in the import format.
/// A test app whose archive holds `articles` (import JSON), indexed.
pub async fn app_with(articles: &[serde_json::Value]) -> TestApp {
    let app = TestApp::new().await;
    let batch: Vec<_> = articles.iter().cloned().map(article).collect();
    app.archive.save(&batch, &TESTS).await.unwrap();
    app.indexed().await;
    app
}

pub fn article(json: serde_json::Value) -> NewArticle {
    serde_json::from_value::<ArticleInput>(json)
        .expect("article JSON")
        .validate()
        .expect("valid article")
}

/// The `n`th generated article, with a URL so re-imports match it.
pub fn generated(n: usize, edition: usize) -> serde_json::Value {
    serde_json::json!({
        "headline": format!("Generated story number {n} edition {edition}"),
        "url": format!("https://example.org/news/{n}"),
        "source": "Test Wire",
        "authors": [format!("Reporter {}", n % 17)],
        "published_at": format!("2020-01-{:02}", n % 28 + 1),
        "tags": ["generated"],
        "paragraphs": [
            format!("Paragraph one of story {n}, edition {edition}, about harbours and ferries."),
            // Unique per story: a paragraph three stories of one source
            // share would be learned as that source's boilerplate.
            format!("A second paragraph, for story {n}, with common words so that every story has a body."),
        ]
    })
}

/// Writes `count` generated articles as NDJSON.
pub fn write_ndjson(path: &Path, count: usize, edition: usize) {
    let mut text = String::with_capacity(count * 400);
    for n in 0..count {
        text.push_str(&generated(n, edition).to_string());
        text.push('\n');
    }
    std::fs::write(path, text).expect("write ndjson");
}

/// The PostgreSQL server the suite runs on, if any (`postgres://user@host:port`).
pub fn postgres_server() -> Option<String> {
    std::env::var("NEWSARCHIVE_TEST_POSTGRES")
        .ok()
        .filter(|url| !url.is_empty())
}

/// Where the archive of data directory `data` keeps its record on the
/// backend under test: the SQLite file in it, or a PostgreSQL database of
/// its own (created on first use, named after the directory).
pub fn location(data: &Path) -> Location {
    let Some(server) = postgres_server() else {
        return Location::embedded(data);
    };
    let digest = <sha2::Sha256 as sha2::Digest>::digest(data.as_os_str().as_encoded_bytes());
    let name = format!("t_{}", &hex::encode(digest)[..24]);
    create_database(&server, &name);
    let url = format!("{}/{name}", server.trim_end_matches('/'));
    Location {
        data_dir: data.to_owned(),
        database: Database::choose(Some(&url), data, 8).expect("a PostgreSQL URL"),
    }
}

/// The database URL to give the binary for `data` (None on SQLite).
pub fn database_url(data: &Path) -> Option<String> {
    postgres_server()?;
    match location(data).database {
        Database::Postgres { url, .. } => Some(url.to_string()),
        Database::File(_) => None,
    }
}

/// A new, empty database on the test server, its URL (PostgreSQL tests only).
pub fn fresh_database() -> url::Url {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let server = postgres_server().expect("NEWSARCHIVE_TEST_POSTGRES names a server");
    let name = format!(
        "f_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_micros()
    );
    create_database(&server, &name);
    url::Url::parse(&format!("{}/{name}", server.trim_end_matches('/'))).unwrap()
}

/// Creates database `name` on `server` unless it exists. Runs on a thread
/// of its own, so sync helpers can call it from inside a test's runtime.
pub fn create_database(server: &str, name: &str) {
    let admin = format!("{}/postgres", server.trim_end_matches('/'));
    let sql = format!("CREATE DATABASE \"{name}\"");
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            use sqlx::Connection as _;
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("connect to the test PostgreSQL");
            for attempt in 0.. {
                match sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .execute(&mut conn)
                    .await
                {
                    Ok(_) => return,
                    // duplicate_database: made before, by this data directory.
                    Err(e)
                        if e.as_database_error().and_then(|d| d.code()).as_deref()
                            == Some("42P04") =>
                    {
                        return;
                    }
                    // Another CREATE DATABASE copying the template at this moment.
                    Err(_) if attempt < 20 => {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    Err(e) => panic!("creating the test database: {e}"),
                }
            }
        });
    })
    .join()
    .expect("the database is created");
}

/// Opens the archive in `data` on the backend under test.
pub async fn open_archive(data: &Path) -> Archive {
    Archive::open_at(&location(data))
        .await
        .expect("open archive")
}

/// The real binary.
pub fn binary() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_newsarchive"));
    cmd.env_remove("NEWSARCHIVE_DATA")
        .env_remove("NEWSARCHIVE_DATABASE_URL")
        .env("RUST_LOG", "warn");
    cmd
}

/// The real binary with `--data DIR`, on the backend under test.
pub fn binary_for(data: &Path) -> Command {
    let mut cmd = binary();
    cmd.arg("--data").arg(data);
    if let Some(url) = database_url(data) {
        cmd.env("NEWSARCHIVE_DATABASE_URL", url);
    }
    cmd
}

/// Runs the binary with `--data DIR` on the SQLite file there, whatever
/// the backend under test: for the tests about that file itself.
pub fn run_embedded(data: &Path, args: &[&str]) -> Output {
    binary()
        .arg("--data")
        .arg(data)
        .args(args)
        .output()
        .expect("run newsarchive")
}

/// Runs the binary with `--data DIR` and the given arguments.
pub fn run(data: &Path, args: &[&str]) -> Output {
    binary_for(data)
        .args(args)
        .output()
        .expect("run newsarchive")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn temp_file(dir: &Path, name: &str, content: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

/// Changes the database behind the archive's back, as a fault would.
pub async fn tamper(data: &Path, sql: &'static str) {
    match location(data).database {
        Database::File(path) => {
            let url = format!("sqlite://{}", path.display());
            let pool = SqlitePoolOptions::new().connect(&url).await.unwrap();
            sqlx::query(sql).execute(&pool).await.unwrap();
            pool.close().await;
        }
        Database::Postgres { url, .. } => {
            let pool = sqlx::PgPool::connect(url.as_str()).await.unwrap();
            sqlx::query(sql).execute(&pool).await.unwrap();
            pool.close().await;
        }
    }
}
