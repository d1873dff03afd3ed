//! Security issue 23 through the real router and a real server on
//! 127.0.0.1: hostile pages and feed items are refused before a tree is
//! built, a page that crashes its reader costs the server nothing, a slow
//! feed holds up no other, feeds on private addresses are refused by
//! default at every step,
//! the import report stays small, clients that never read are dropped,
//! connections per address are capped, every search route is rate limited
//! per client (behind a trusted proxy too), foreign Host names get 421 and
//! XML feeds stay well-formed whatever a headline holds.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use newsarchive::follow::{Follower, Reach};
use newsarchive::web::{Config, ConnectionLimits};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::helpers::{TestApp, api_token, write};

fn nested(tag: &str, depth: usize) -> String {
    format!("<{tag}>").repeat(depth) + "<p>Deep text.</p>" + &format!("</{tag}>").repeat(depth)
}

fn page(body: &str) -> String {
    let story = "<p>The council met on Tuesday to argue about the harbour and its future.</p>";
    format!(
        "<!doctype html><html><head><title>Deep</title></head><body><article><h1>Deep</h1>\
         {story}{story}{story}{body}</article></body></html>"
    )
}

fn rss(item_html: &str) -> String {
    let escaped = item_html
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Hostile</title>\
         <link>http://127.0.0.1/</link><description>x</description>\
         <item><title>Deep</title><link>http://127.0.0.1/deep</link>\
         <description>{escaped}</description></item>\
         <item><title>Fine</title><link>http://127.0.0.1/fine</link>\
         <description>A fine story about the harbour.</description></item></channel></rss>"
    )
}

async fn import(app: &TestApp, token: &str, content_type: &str, body: String) -> serde_json::Value {
    let request = Request::post("/api/v1/import")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    let reply = app.request(request).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.json()
}

// Before: 40,000 nested <div> overflowed the stack and killed the process
// (this test process with it); 150,000 in a feed item took 73 s.
#[tokio::test]
async fn pages_and_feed_items_nested_too_deep_are_refused_and_the_rest_saved() {
    let app = TestApp::new().await;
    let token = api_token(&app, "t").await;
    let report = import(&app, &token, "text/html", page(&nested("div", 40_000))).await;
    assert_eq!(report["summary"]["failed"], 1, "{report}");
    let reason = report["results"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("more than 512 deep"), "{reason}");

    for item in [nested("blockquote", 32_000), nested("div", 150_000)] {
        let report = import(&app, &token, "application/rss+xml", rss(&item)).await;
        assert_eq!(report["summary"]["failed"], 1, "{report}");
        assert_ne!(report["results"][1]["status"], "failed", "{report}");
        let reason = report["results"][0]["reason"].as_str().unwrap();
        assert!(
            reason.contains("item 1") && reason.contains("more than 512 deep"),
            "{reason}"
        );
    }

    let attributes: String = (0..200_000).map(|i| format!(" a{i}")).collect();
    let report = import(
        &app,
        &token,
        "text/html",
        page(&format!("<p{attributes}>x</p>")),
    )
    .await;
    let reason = report["results"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("200000 attributes"), "{reason}");

    // An ordinary page still reads.
    let report = import(
        &app,
        &token,
        "text/html",
        page("<p>And one more paragraph.</p>"),
    )
    .await;
    assert_eq!(report["summary"]["created"], 1, "{report}");
}

// Before: each address below was accepted and polled, and a feed on
// loopback became public articles.
#[tokio::test]
async fn feeds_on_private_addresses_are_refused_unless_allowed() {
    let app = TestApp::new().await;
    let token = api_token(&app, "t").await;
    for url in [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://[fd00::1]/",
        "http://0x7f000001/",
        "http://127.0.0.1:9/feed",
        "http://[::ffff:127.0.0.1]/",
        "http://user:secret@feeds.example.org/rss",
    ] {
        let reply = app
            .request(write(
                "POST",
                "/api/v1/feeds",
                Some(&token),
                serde_json::json!({ "url": url }),
            ))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{url}: {}",
            reply.body
        );
        assert!(
            reply.body.contains("public addresses only") || reply.body.contains("password"),
            "{url}: {}",
            reply.body
        );
    }

    // A name is checked where it resolves: `localhost` is loopback.
    let server = feed_server().await;
    let by_name = format!("http://localhost:{}/feed.rss", server.port());
    let public = Follower::new(app.archive.clone(), Reach::Public);
    let feed = public
        .follow(&by_name, Duration::from_secs(600))
        .await
        .unwrap();
    let report = public.poll(&feed).await.unwrap();
    let error = report.error.unwrap();
    assert!(
        error.contains("not public") && error.contains("127.0.0.1"),
        "{error}"
    );
    assert_eq!(app.archive.store().article_count().await.unwrap(), 0);

    // Allowed, the same feed is read; a redirect is checked at its hop.
    let private = Follower::new(app.archive.clone(), Reach::Private);
    let report = private.poll(&feed).await.unwrap();
    assert_eq!((report.error.as_deref(), report.created), (None, 2));
    let redirected = format!("http://127.0.0.1:{}/to-credentials", server.port());
    let feed = private
        .follow(&redirected, Duration::from_secs(600))
        .await
        .unwrap();
    let error = private.poll(&feed).await.unwrap().error.unwrap();
    assert!(
        error.contains("redirect") && error.contains("password"),
        "{error}"
    );
}

struct FeedServer(SocketAddr);

impl FeedServer {
    fn port(&self) -> u16 {
        self.0.port()
    }
}

/// A route answering `feed` as RSS.
fn serves_rss(feed: String) -> axum::routing::MethodRouter {
    get(move || {
        let feed = feed.clone();
        async move { ([(header::CONTENT_TYPE, "application/rss+xml")], feed).into_response() }
    })
}

async fn feed_server() -> FeedServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let feed = rss("<p>A fine first story about the harbour.</p>");
    let target = format!("http://user:pw@127.0.0.1:{}/feed.rss", addr.port());
    let app = Router::new()
        .route("/feed.rss", serves_rss(feed.clone()))
        .route(
            "/to-credentials",
            get(move || {
                let target = target.clone();
                async move { Redirect::temporary(&target) }
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    FeedServer(addr)
}

// Before: 2 MB of bad lines gave a 12.6 MB report (bench/hostile.py).
#[tokio::test]
async fn an_import_report_stays_small_whatever_the_body_holds() {
    let app = TestApp::new().await;
    let token = api_token(&app, "t").await;
    let bad = format!(
        "{{\"headline\": \"{}\", \"bogus\": 1}}\n",
        "x".repeat(2_000)
    );
    let body = bad.repeat(1_000) + &"{\"headline\": 1}\n".repeat(50_000);
    let size = body.len();
    let request = Request::post("/api/v1/import")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/x-ndjson")
        .body(Body::from(body))
        .unwrap();
    let reply = app.request(request).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply.body.len() < 400_000,
        "{} bytes for a {size}-byte body",
        reply.body.len()
    );
    let report = reply.json();
    assert_eq!(report["summary"]["failed"], 51_000);
    assert_eq!(report["summary"]["omitted"], 50_000);
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), 1_000);
    assert_eq!(results[999]["line"], 1_000);
    let reason = results[0]["reason"].as_str().unwrap();
    assert_eq!(results[0]["line"], 1);
    assert!(reason.chars().count() <= 501, "{reason}");
}

/// A real server on 127.0.0.1:0 with a short write timeout and a small
/// per-address cap.
async fn server(limits: ConnectionLimits) -> (TestApp, SocketAddr) {
    let app = TestApp::new().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = Config {
        connections: limits,
        search_rate_limit: 0,
        ..Config::default()
    };
    tokio::spawn(newsarchive::web::serve(
        app.archive.clone(),
        config,
        listener,
        std::future::pending(),
    ));
    (app, addr)
}

async fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    let mut buf = vec![0u8; 1 << 16];
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

// Before: 50 clients pipelining without reading were all still connected
// after 60 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_never_read_are_dropped_and_one_address_cannot_take_every_connection() {
    let (_app, addr) = server(ConnectionLimits {
        write_timeout: Duration::from_secs(1),
        per_address: 8,
        ..ConnectionLimits::default()
    })
    .await;
    let request = b"GET /search/help HTTP/1.1\r\nHost: localhost\r\n\r\n".repeat(200);
    let mut stalled = TcpStream::connect(addr).await.unwrap();
    // Keep sending, never read, until the server stops taking requests.
    let sent = tokio::time::timeout(Duration::from_secs(20), async {
        while stalled.write_all(&request).await.is_ok() {}
    })
    .await;
    assert!(
        sent.is_ok(),
        "the server kept taking requests from a client that never reads"
    );
    // The unread answers drain, then the connection ends.
    assert!(closed_within(&mut stalled, Duration::from_secs(10)).await);

    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(TcpStream::connect(addr).await.unwrap());
    }
    let mut ninth = TcpStream::connect(addr).await.unwrap();
    assert!(
        closed_within(&mut ninth, Duration::from_secs(5)).await,
        "a ninth connection was kept"
    );
    drop(held);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut again = TcpStream::connect(addr).await.unwrap();
    again
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    again.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit() {
    use tower::ServiceExt as _;
    let app = TestApp::new().await;
    let proxy: std::net::IpAddr = "10.0.0.2".parse().unwrap();
    let router = newsarchive::web::router(
        app.archive.clone(),
        Config {
            search_rate_limit: 2,
            connections: ConnectionLimits {
                trusted_proxies: vec![proxy],
                ..ConnectionLimits::default()
            },
            ..Config::default()
        },
    );
    let from = |client: &str| {
        let mut request = Request::get("/search.atom?q=harbour")
            .header("x-forwarded-for", format!("{client}, {proxy}"))
            .body(Body::empty())
            .unwrap();
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(SocketAddr::new(proxy, 40_000)));
        request
    };
    for _ in 0..2 {
        let reply = router.clone().oneshot(from("203.0.113.7")).await.unwrap();
        assert_eq!(reply.status(), StatusCode::OK);
    }
    let limited = router.clone().oneshot(from("203.0.113.7")).await.unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let other = router.clone().oneshot(from("203.0.113.8")).await.unwrap();
    assert_eq!(other.status(), StatusCode::OK);
}

// Before: `Host: evil.example` went into canonical links, og:url, Atom ids
// and the sitemap.
#[tokio::test]
async fn a_foreign_host_gets_421_without_a_public_url_and_is_ignored_with_one() {
    let app = TestApp::with_seed().await;
    for path in ["/", "/feed.atom", "/sitemap.xml", "/api/v1/articles"] {
        let request = Request::get(path)
            .header(header::HOST, "evil.example")
            .body(Body::empty())
            .unwrap();
        let reply = app.request(request).await;
        assert_eq!(reply.status, StatusCode::MISDIRECTED_REQUEST, "{path}");
        assert!(
            reply.body.contains("--public-url"),
            "{path}: {}",
            reply.body
        );
    }
    let local = Request::get("/feed.atom")
        .header(header::HOST, "localhost:8080")
        .body(Body::empty())
        .unwrap();
    let reply = app.request(local).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body.contains("http://localhost:8080/"));

    let public = newsarchive::web::router(
        app.archive.clone(),
        Config {
            public_url: Some("https://news.example.org".into()),
            ..Config::default()
        },
    );
    use tower::ServiceExt as _;
    let request = Request::get("/feed.atom")
        .header(header::HOST, "evil.example")
        .body(Body::empty())
        .unwrap();
    let reply = public.oneshot(request).await.unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
    let bytes = http_body_util::BodyExt::collect(reply.into_body())
        .await
        .unwrap()
        .to_bytes();
    let feed = String::from_utf8_lossy(&bytes);
    assert!(feed.contains("https://news.example.org/") && !feed.contains("evil.example"));

    // Serving beyond loopback without a public address is refused at start.
    let data = tempfile::tempdir().unwrap();
    let out = crate::helpers::run(data.path(), &["serve", "--listen", "0.0.0.0:0"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("needs --public-url"), "{stderr}");
}

// Before: a headline with U+FFFF made /feed.atom ill-formed.
#[tokio::test]
async fn characters_xml_forbids_never_reach_a_feed() {
    let app = TestApp::new().await;
    let token = api_token(&app, "t").await;
    let reply = app
        .request(write(
            "POST",
            "/api/v1/articles",
            Some(&token),
            serde_json::json!({
                "headline": "Harbour\u{ffff} vote\u{fffe} delayed\u{1}",
                "paragraphs": ["The vote\u{ffff} on the harbour was delayed."],
            }),
        ))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.json()["headline"], "Harbour vote delayed");
    app.indexed().await;
    for path in [
        "/feed.atom",
        "/search.atom?q=harbour",
        "/changes.atom",
        "/sitemap.xml",
    ] {
        let body = app.get(path).await.body;
        assert!(
            !body.contains(['\u{ffff}', '\u{fffe}', '\u{1}']),
            "{path} holds a character XML forbids"
        );
    }
}

/// Sends `request` to `addr` on a new connection and returns the answer.
fn exchange(addr: &str, request: &[u8]) -> String {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    std::io::Write::write_all(&mut stream, request).unwrap();
    let mut reply = Vec::new();
    std::io::Read::read_to_end(&mut stream, &mut reply).unwrap();
    String::from_utf8_lossy(&reply).into_owned()
}

/// `newsarchive serve` on `data` with `stack_kb` for each page reader;
/// the server and its address.
fn serve(data: &std::path::Path, stack_kb: Option<&str>) -> (std::process::Child, String) {
    use std::io::BufRead as _;
    let mut command = crate::helpers::binary_for(data);
    if let Some(kb) = stack_kb {
        command.env("NEWSARCHIVE_PARSE_STACK_KB", kb);
    }
    let mut server = command
        .env("RUST_LOG", "info")
        .args(["serve", "--listen", "127.0.0.1:0", "--no-follow"])
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut log = std::io::BufReader::new(server.stderr.take().unwrap());
    let mut line = String::new();
    let addr = loop {
        line.clear();
        assert!(log.read_line(&mut line).unwrap() > 0, "the server exited");
        if let Some((_, rest)) = line.split_once("listening on http://") {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    // Keep reading the log, so that the server never blocks writing it.
    std::thread::spawn(move || std::io::copy(&mut log, &mut std::io::sink()));
    (server, addr)
}

fn post_page(addr: &str, token: &str, page: &str) -> String {
    let request = format!(
        "POST /api/v1/import HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
        page.len()
    );
    exchange(addr, request.as_bytes())
}

// The server reads each page in a child process. Given a stack far too
// small (16 KiB), reading a page overflows it: a stack overflow aborts the
// process it happens in, which before this change was the server.
#[test]
fn a_page_that_crashes_its_reader_is_refused_and_the_server_goes_on() {
    let data = tempfile::tempdir().unwrap();
    let token = crate::helpers::stdout(&crate::helpers::run(
        data.path(),
        &["token", "create", "--name", "t", "--scope", "admin"],
    ))
    .trim()
    .to_owned();
    let (mut server, addr) = serve(data.path(), Some("16"));
    let reply = post_page(&addr, &token, &page(&nested("div", 300)));
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.contains("crashed the page reader"), "{reply}");
    assert!(server.try_wait().unwrap().is_none(), "the server died");
    let health = exchange(
        &addr,
        b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    server.kill().unwrap();
    server.wait().unwrap();

    // With the stack it has by default, the child reads the same page.
    let (mut server, addr) = serve(data.path(), None);
    let reply = post_page(&addr, &token, &page(&nested("div", 300)));
    assert!(reply.contains("\"created\":1"), "{reply}");
    server.kill().unwrap();
    server.wait().unwrap();
}

// Before: feeds were polled one after another, so a feed that answers
// slowly (or is slow to read) held up every feed after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_feed_holds_up_no_other() {
    let app = TestApp::new().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let feed = rss("<p>A fine first story about the harbour.</p>");
    let server = Router::new()
        .route(
            "/slow.rss",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(25)).await;
                "too late"
            }),
        )
        .route("/fast.rss", serves_rss(feed.clone()));
    tokio::spawn(async move { axum::serve(listener, server).await });
    let follower = Follower::new(app.archive.clone(), Reach::Private);
    // The slow feed is followed first, so it is polled first.
    for name in ["slow", "fast"] {
        let url = format!("http://127.0.0.1:{port}/{name}.rss");
        follower
            .follow(&url, Duration::from_secs(600))
            .await
            .unwrap();
    }
    let polling = tokio::spawn({
        let follower = follower.clone();
        async move { follower.poll_due().await }
    });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while app.archive.store().article_count().await.unwrap() == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the fast feed waited for the slow one"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!polling.is_finished(), "the slow feed was not slow");
    polling.abort();
}
