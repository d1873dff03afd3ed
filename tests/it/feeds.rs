//! Feeds: RSS, Atom and JSON Feed files import item by item, and followed
//! feeds are polled from a real HTTP server on 127.0.0.1 with conditional
//! requests, backoff and per-item errors.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use newsarchive::follow::{Follower, Reach};
use newsarchive::import::import_file;

use crate::helpers::{TestApp, api_token, get_with, run, stdout};

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/feeds")
        .join(name)
}

#[tokio::test]
async fn rss_atom_and_json_feeds_import_item_by_item() {
    let app = TestApp::new().await;
    let rss = import_file(&app.archive, &fixture("wire.rss"), &|_| {})
        .await
        .unwrap();
    assert_eq!(rss.counts.created, 2);
    assert_eq!(rss.refused.len(), 1);
    assert!(
        rss.refused[0].message.contains("item 3") && rss.refused[0].message.contains("headline"),
        "{}",
        rss.refused[0]
    );
    let atom = import_file(&app.archive, &fixture("world.atom"), &|_| {})
        .await
        .unwrap();
    assert_eq!(atom.counts.created, 1);
    let json = import_file(&app.archive, &fixture("briefing.json"), &|_| {})
        .await
        .unwrap();
    assert_eq!(json.counts.created, 1);
    app.indexed().await;

    let list = app.get("/api/v1/articles?limit=10").await.json();
    let by_headline = |h: &str| {
        list["articles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["headline"] == h)
            .unwrap_or_else(|| panic!("no article {h}: {list}"))
            .clone()
    };
    let floods = by_headline("Floods displace thousands in Sindh");
    assert_eq!(floods["source"]["name"], "Harbour Times – World");
    assert_eq!(floods["source"]["site"], "https://harbourtimes.example");
    assert_eq!(
        floods["url"],
        "https://harbourtimes.example/world/asia/floods-sindh-2022?utm_source=rss&utm_medium=feed"
    );
    assert_eq!(
        floods["subheading"],
        "Relief camps overwhelmed as the Indus rises."
    );
    assert_eq!(floods["authors"], serde_json::json!(["Amina Qureshi"]));
    assert_eq!(floods["tags"], serde_json::json!(["Pakistan", "Floods"]));
    assert_eq!(floods["published_at"], "2022-08-26T06:15:00Z");
    assert_eq!(floods["language"], "en-gb");
    assert_eq!(floods["summary_only"], false);
    assert_eq!(
        floods["paragraphs"].as_array().unwrap().len(),
        2,
        "{floods}"
    );

    let markets = by_headline("Markets rally as inflation eases");
    assert_eq!(markets["summary_only"], true);
    assert_eq!(
        markets["paragraphs"],
        serde_json::json!([
            "Shares rose across Asia on Thursday after figures showed inflation slowing for a second month."
        ])
    );
    let page = app.get(markets["path"].as_str().unwrap()).await;
    assert!(
        page.body
            .contains("Only the feed’s summary of this story was captured")
    );

    let port = by_headline("Port strike ends after pay deal");
    assert_eq!(port["authors"], serde_json::json!(["Jo Baker"]));
    assert_eq!(port["tags"], serde_json::json!(["Business"]));
    assert_eq!(port["published_at"], "2022-09-01T08:00:00Z");
    assert_eq!(port["modified_at"], "2022-09-01T10:00:00Z");
    assert_eq!(port["language"], "en");

    let lanes = by_headline("Council approves new cycle lanes");
    assert_eq!(lanes["source"]["name"], "City Briefing");
    assert_eq!(lanes["published_at"], "2022-10-04T17:30:00Z");
    assert_eq!(lanes["paragraphs"].as_array().unwrap().len(), 2);

    // Importing the same feed again changes nothing.
    let again = import_file(&app.archive, &fixture("wire.rss"), &|_| {})
        .await
        .unwrap();
    assert_eq!((again.counts.created, again.counts.unchanged), (0, 2));
    app.assert_consistent().await;
}

#[tokio::test]
async fn a_file_that_is_not_a_feed_fails_alone_with_its_name() {
    let data = tempfile::tempdir().unwrap();
    let out = run(
        data.path(),
        &[
            "import",
            fixture("broken.rss").to_str().unwrap(),
            fixture("world.atom").to_str().unwrap(),
        ],
    );
    let text = stdout(&out);
    assert!(!out.status.success());
    assert!(
        text.contains("broken.rss: failed: not an RSS, Atom or JSON feed"),
        "{text}"
    );
    assert!(text.contains("world.atom: imported"), "{text}");
}

/// A feed server: `/feed.rss` honours `If-None-Match`, `/down` fails,
/// `/huge` is larger than a feed may be. Counts requests and conditional ones.
struct FeedServer {
    base: String,
    requests: Arc<AtomicUsize>,
    conditional: Arc<AtomicUsize>,
}

async fn feed_server() -> FeedServer {
    let requests = Arc::new(AtomicUsize::new(0));
    let conditional = Arc::new(AtomicUsize::new(0));
    let rss = std::fs::read_to_string(fixture("wire.rss")).unwrap();
    let (r, c) = (requests.clone(), conditional.clone());
    let app = Router::new()
        .route(
            "/feed.rss",
            get(move |headers: HeaderMap| {
                let (r, c, rss) = (r.clone(), c.clone(), rss.clone());
                async move {
                    r.fetch_add(1, Ordering::SeqCst);
                    if headers
                        .get(header::IF_NONE_MATCH)
                        .and_then(|v| v.to_str().ok())
                        == Some("\"v1\"")
                    {
                        c.fetch_add(1, Ordering::SeqCst);
                        return StatusCode::NOT_MODIFIED.into_response();
                    }
                    (
                        [
                            (header::CONTENT_TYPE, "application/rss+xml"),
                            (header::ETAG, "\"v1\""),
                        ],
                        rss,
                    )
                        .into_response()
                }
            }),
        )
        .route(
            "/down",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "broken").into_response() }),
        )
        .route(
            "/huge",
            get(|| async { "<rss>".to_owned() + &" ".repeat(11 * 1024 * 1024) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    FeedServer {
        base,
        requests,
        conditional,
    }
}

#[tokio::test]
async fn a_followed_feed_is_polled_with_conditional_requests() {
    let server = feed_server().await;
    let app = TestApp::new().await;
    let follower = Follower::new(app.archive.clone(), Reach::Private);
    let url = format!("{}/feed.rss", server.base);
    let feed = follower
        .follow(&url, Duration::from_secs(600))
        .await
        .unwrap();

    let polled = follower.poll_due().await.unwrap();
    assert_eq!(polled.len(), 1);
    let report = &polled[0].1;
    assert_eq!((report.created, report.refused.len()), (2, 1), "{report:?}");
    assert!(report.error.is_none());
    // Not due again until its interval has passed.
    assert!(follower.poll_due().await.unwrap().is_empty());

    let stored = app.archive.store().feed(feed.id).await.unwrap().unwrap();
    assert_eq!(stored.etag.as_deref(), Some("\"v1\""));
    assert_eq!(stored.title.as_deref(), Some("Harbour Times – World"));
    assert_eq!(stored.articles_created, 2);
    assert_eq!(stored.failures, 0);
    assert!(
        stored
            .last_error
            .as_deref()
            .unwrap()
            .contains("1 item(s) refused")
    );
    let wait = stored.next_poll_at - stored.last_polled_at.unwrap();
    assert!((599..=601).contains(&wait.num_seconds()), "{wait}");

    // The next poll sends the ETag back and the server says "not modified".
    let report = follower.poll(&stored).await.unwrap();
    assert!(report.not_modified, "{report:?}");
    assert_eq!(server.conditional.load(Ordering::SeqCst), 1);
    assert_eq!(server.requests.load(Ordering::SeqCst), 2);
    app.indexed().await;
    let found = app.get("/api/v1/search?q=Sukkur").await.json();
    assert_eq!(found["total"], 1, "{found}");
}

#[tokio::test]
async fn failing_feeds_back_off_and_say_why() {
    let server = feed_server().await;
    let app = TestApp::new().await;
    let follower = Follower::new(app.archive.clone(), Reach::Private);
    // A port nobody listens on: bind one, then free it.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    for (path, reason) in [
        (format!("{}/down", server.base), "answered 500"),
        (format!("{}/huge", server.base), "larger than 10 MB"),
        (
            format!("http://{closed}/feed.rss"),
            "could not fetch the feed",
        ),
    ] {
        let feed = follower
            .follow(&path, Duration::from_secs(60))
            .await
            .unwrap();
        let report = follower.poll(&feed).await.unwrap();
        let error = report.error.unwrap_or_default();
        assert!(error.contains(reason), "{path}: {error}");
        let once = app.archive.store().feed(feed.id).await.unwrap().unwrap();
        assert_eq!(once.failures, 1);
        assert_eq!(
            (once.next_poll_at - once.last_polled_at.unwrap()).num_seconds(),
            120,
            "one failure doubles the wait"
        );
        follower.poll(&once).await.unwrap();
        let twice = app.archive.store().feed(feed.id).await.unwrap().unwrap();
        assert_eq!(twice.failures, 2);
        assert_eq!(
            (twice.next_poll_at - twice.last_polled_at.unwrap()).num_seconds(),
            240
        );
    }
    assert_eq!(app.archive.store().article_count().await.unwrap(), 0);
}

// The binary is run while this test's server answers it: two threads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_and_the_api_follow_list_and_unfollow_feeds() {
    let server = feed_server().await;
    let data = tempfile::tempdir().unwrap();
    let url = format!("{}/feed.rss", server.base);
    // By default a feed on a private address is refused, and says how to allow it.
    let out = run(data.path(), &["follow", &url, "--minutes", "15"]);
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        text.contains("127.0.0.1 is a loopback address") && text.contains("--allow-private-feeds"),
        "{text}"
    );
    let out = run(
        data.path(),
        &["follow", &url, "--minutes", "15", "--allow-private-feeds"],
    );
    let text = stdout(&out);
    // One item of the feed has no headline: it is refused, the rest saved.
    assert!(
        text.contains("Polled now: 2 new, 0 updated, 0 unchanged, 1 refused"),
        "{text}"
    );
    assert!(text.contains("item 3"), "{text}");
    let listed = stdout(&run(data.path(), &["feeds"]));
    assert!(
        listed.contains(&url) && listed.contains("every 15 min"),
        "{listed}"
    );
    let out = run(data.path(), &["follow", "ftp://example.com/feed"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("neither an http(s) URL nor a readable file")
    );
    let out = run(data.path(), &["unfollow", &url]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(stdout(&run(data.path(), &["feeds"])).contains("No feeds are followed"));

    let app = TestApp::with_config(newsarchive::web::Config {
        feed_reach: Reach::Private,
        ..Default::default()
    })
    .await;
    let token = api_token(&app, "test").await;
    let post = |body: &str| {
        axum::http::Request::post("/api/v1/feeds")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(axum::body::Body::from(body.to_owned()))
            .unwrap()
    };
    let created = app
        .request(post(&format!(
            r#"{{"url": "{url}", "interval_minutes": 5}}"#
        )))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let feed = created.json();
    assert_eq!(feed["interval_minutes"], 5);
    let id = feed["id"].as_i64().unwrap();
    let bad = app.request(post(r#"{"url": "file:///etc/passwd"}"#)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("not an http(s) address"), "{}", bad.body);
    let bad = app
        .request(post(&format!(
            r#"{{"url": "{url}", "interval_minutes": 0}}"#
        )))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let listed = app.request(get_with("/api/v1/feeds", &token)).await.json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(
        app.request(get_with(&format!("/api/v1/feeds/{id}"), &token))
            .await
            .json()["url"],
        url
    );
    let anonymous = app
        .request(
            axum::http::Request::delete(format!("/api/v1/feeds/{id}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let deleted = app
        .request(
            axum::http::Request::delete(format!("/api/v1/feeds/{id}"))
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.request(get_with(&format!("/api/v1/feeds/{id}"), &token))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}
