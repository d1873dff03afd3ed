//! A record you can trust: a bare copy never erases what the archive knew,
//! every revision is kept whole and can be compared word by word, deleted
//! articles leave tombstones whose ids are never reused, a followed feed's
//! silent edit becomes a revision, and a bug is a 500 with a request id.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::routing::get;
use newsarchive::follow::{Follower, Reach};

use crate::helpers::{SEED, TestApp, api_token, run, stdout, tamper, write};

/// The seed story as a saved web page whose meta tags say what the plain
/// text file does not: outlet, canonical URL, byline, date, section, tag.
fn seed_page() -> String {
    let text = std::fs::read_to_string(SEED).unwrap();
    let article = newsarchive::ingest::parse_text(&text).unwrap();
    let esc = newsarchive::search::escape_html;
    let body: String = article
        .paragraphs
        .iter()
        .map(|p| format!("<p>{}</p>\n", esc(p)))
        .collect();
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{h}</title>
<link rel="canonical" href="https://frontierpost.example/2022/05/16/pakistan-us-relations">
<meta property="og:site_name" content="The Frontier Post Weekly">
<meta name="author" content="News Desk">
<meta property="article:published_time" content="2022-05-16T08:00:00Z">
<meta property="article:section" content="Pakistan">
<meta property="article:tag" content="diplomacy">
</head><body><main><article><h1>{h}</h1>
{body}</article></main></body></html>"#,
        h = esc(&article.headline)
    )
}

#[tokio::test]
async fn a_bare_copy_keeps_the_rich_record_and_an_edit_keeps_the_old_version() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let page = dir.path().join("seed.html");
    std::fs::write(&page, seed_page()).unwrap();
    let out = run(&data, &["import", page.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The same story as a plain text file: it matches the page's article
    // by its body, and knows nothing the page did not.
    let out = run(&data, &["import", SEED]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout(&out).contains("unchanged"), "{}", stdout(&out));

    // An edited copy without front matter: one paragraph changed.
    // A re-scrape that knows the story's address, and nothing else.
    let mut text = std::fs::read_to_string(SEED).unwrap();
    text = text.replacen("this week in New York", "next week in New York", 1);
    text = format!(
        "---\nurl: https://frontierpost.example/2022/05/16/pakistan-us-relations\n---\n{text}"
    );
    let edited = dir.path().join("edited.txt");
    std::fs::write(&edited, &text).unwrap();
    let out = run(&data, &["import", edited.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout(&out).contains("updated: paragraphs"),
        "the import line says what changed: {}",
        stdout(&out)
    );

    let app = TestApp::open(&data).await;
    let article = app.get("/api/v1/articles/1").await.json();
    assert_eq!(article["revision"], 2, "{article}");
    assert_eq!(article["source"]["name"], "The Frontier Post Weekly");
    assert_eq!(
        article["url"],
        "https://frontierpost.example/2022/05/16/pakistan-us-relations"
    );
    assert_eq!(article["authors"], serde_json::json!(["News Desk"]));
    assert_eq!(article["published_at"], "2022-05-16T08:00:00Z");
    assert_eq!(article["section"], "Pakistan");
    assert_eq!(article["tags"], serde_json::json!(["diplomacy"]));
    assert!(
        article["paragraphs"][0]
            .as_str()
            .unwrap()
            .contains("next week")
    );

    let history = app.get("/api/v1/articles/1/revisions").await.json();
    let revisions = history["revisions"].as_array().unwrap();
    assert_eq!(revisions.len(), 2, "{history}");
    assert!(
        revisions[0]["origin"]
            .as_str()
            .unwrap()
            .ends_with("seed.html"),
        "{history}"
    );
    assert!(revisions[0].get("changed").is_none());
    assert_eq!(revisions[1]["changed"], serde_json::json!(["paragraphs"]));
    assert!(
        revisions[1]["origin"]
            .as_str()
            .unwrap()
            .ends_with("edited.txt")
    );
    let first = app.get("/api/v1/articles/1/revisions/1").await.json();
    assert_eq!(first["current"], false);
    assert!(
        first["article"]["paragraphs"][0]
            .as_str()
            .unwrap()
            .contains("this week"),
        "revision 1 is kept whole: {first}"
    );
    assert_eq!(
        first["article"]["source"]["name"],
        "The Frontier Post Weekly"
    );
    let missing = app.get("/api/v1/articles/1/revisions/9").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("it has 1, 2"), "{}", missing.body);
    app.assert_consistent().await;
}

#[tokio::test]
async fn the_history_page_shows_what_changed_word_by_word() {
    let app = TestApp::new().await;
    let token = api_token(&app, "desk").await;
    let create = write(
        "POST",
        "/api/v1/articles",
        Some(&token),
        serde_json::json!({
            "headline": "Harbour bridge to close for repairs",
            "source": "Harbour Times",
            "paragraphs": ["The bridge closes on Monday.", "Ferries will run every hour."],
        }),
    );
    assert_eq!(app.request(create).await.status, StatusCode::CREATED);
    let patch = write(
        "PATCH",
        "/api/v1/articles/1",
        Some(&token),
        serde_json::json!({
            "headline": "Harbour bridge to close for urgent repairs",
            "paragraphs": ["The bridge closes on Tuesday.", "Ferries will run every hour."],
            "section": "City",
        }),
    );
    assert_eq!(app.request(patch).await.status, StatusCode::OK);

    let list = app.get("/api/v1/articles/1/revisions").await.json();
    assert_eq!(
        list["revisions"][1]["changed"],
        serde_json::json!(["headline", "section", "paragraphs"])
    );
    assert!(
        list["revisions"][1]["origin"]
            .as_str()
            .unwrap()
            .starts_with("API, token desk (na_"),
        "{list}"
    );

    let article = app
        .get("/articles/1/harbour-bridge-to-close-for-urgent-repairs")
        .await;
    assert_eq!(article.status, StatusCode::OK);
    assert!(
        article.body.contains("Updated 1 time, last"),
        "{}",
        article.body
    );
    let history_href = "/articles/1/harbour-bridge-to-close-for-urgent-repairs/history";
    assert!(article.body.contains(&format!("href=\"{history_href}\"")));

    let history = app.get(history_href).await;
    assert_eq!(history.status, StatusCode::OK);
    assert!(
        history.body.contains("Revision 2</strong>"),
        "{}",
        history.body
    );
    assert!(
        history
            .body
            .contains("Changed: headline, section, paragraphs")
    );
    let diff = app.get(&format!("{history_href}?from=1&to=2")).await;
    assert_eq!(diff.status, StatusCode::OK);
    let body = &diff.body;
    assert!(
        body.contains(r#"<ins><span class="visually-hidden">[added: </span>urgent </span>"#)
            || body.contains("[added: </span>urgent "),
        "{body}"
    );
    assert!(body.contains("[removed: </span>Monday.<"), "{body}");
    assert!(body.contains("[added: </span>Tuesday.<"), "{body}");
    assert!(body.contains("<td>(none)</td><td>City</td>"), "{body}");
    // A slug from before the edit redirects to the history under the new one.
    let old = app
        .get("/articles/1/harbour-bridge-to-close-for-repairs/history")
        .await;
    assert_eq!(old.status, StatusCode::PERMANENT_REDIRECT);
    let bad = app.get(&format!("{history_href}?from=1&to=7")).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("has no revision 7"));

    let changes = app.get("/changes.atom").await;
    assert_eq!(changes.status, StatusCode::OK);
    assert!(
        changes
            .body
            .contains("<title>Revision 2: Harbour bridge to close for urgent repairs</title>"),
        "{}",
        changes.body
    );
    assert!(changes.body.contains("<title>New: "));
    assert!(changes.body.contains("history?from=1&#38;to=2"));
}

#[tokio::test]
async fn deleted_articles_leave_tombstones_and_their_ids_are_never_reused() {
    let app = TestApp::new().await;
    let token = api_token(&app, "desk").await;
    for headline in ["Older story about tides", "Newest story about ferries"] {
        let create = write(
            "POST",
            "/api/v1/articles",
            Some(&token),
            serde_json::json!({"headline": headline, "published_at": "2022-05-16",
                               "paragraphs": [format!("{headline}, told in full.")]}),
        );
        assert_eq!(app.request(create).await.status, StatusCode::CREATED);
    }
    let delete = write(
        "DELETE",
        "/api/v1/articles/2",
        Some(&token),
        serde_json::json!({}),
    );
    assert_eq!(app.request(delete).await.status, StatusCode::NO_CONTENT);

    let gone = app.get("/api/v1/articles/2").await;
    assert_eq!(gone.status, StatusCode::GONE);
    assert_eq!(gone.content_type(), "application/problem+json");
    assert_eq!(gone.json()["type"], "urn:newsarchive:problem:gone");
    let page = app.get("/articles/2/newest-story-about-ferries").await;
    assert_eq!(page.status, StatusCode::GONE);
    assert!(
        page.body.contains("Newest story about ferries"),
        "{}",
        page.body
    );
    assert!(page.body.contains("16 May 2022"));
    assert_eq!(app.get("/articles/2").await.status, StatusCode::GONE);

    // The next article gets a new id; the old permalink still says "gone".
    let create = write(
        "POST",
        "/api/v1/articles",
        Some(&token),
        serde_json::json!({"headline": "An unrelated story", "paragraphs": ["Text."]}),
    );
    let created = app.request(create).await.json();
    assert_eq!(created["id"], 3, "{created}");
    assert_eq!(app.get("/articles/2").await.status, StatusCode::GONE);
    // A client's stale If-Match cannot overwrite anything through the old id.
    let mut stale = write(
        "PUT",
        "/api/v1/articles/2",
        Some(&token),
        serde_json::json!({"headline": "Overwrite", "paragraphs": ["x"]}),
    );
    stale
        .headers_mut()
        .insert(header::IF_MATCH, "\"1\"".parse().unwrap());
    assert_eq!(app.request(stale).await.status, StatusCode::GONE);

    app.indexed().await;
    let found = app.get("/api/v1/search?q=ferries").await.json();
    assert_eq!(found["total"], 0, "{found}");
    let sitemap = app.get("/sitemaps/1.xml").await.body;
    assert!(!sitemap.contains("/articles/2/"), "{sitemap}");
    // Its history stays readable.
    let history = app.get("/api/v1/articles/2/revisions").await.json();
    assert_eq!(history["deleted"], true);
    let last = app.get("/api/v1/articles/2/revisions/1").await.json();
    assert_eq!(last["article"]["headline"], "Newest story about ferries");
    let changes = app.get("/changes.atom").await.body;
    assert!(changes.contains("<title>Deleted: Newest story about ferries</title>"));
    app.assert_consistent().await;
}

#[tokio::test]
async fn a_followed_feed_whose_item_is_edited_makes_a_revision() {
    let edition = Arc::new(AtomicUsize::new(1));
    let served = edition.clone();
    let feed = move || {
        let day = if served.load(Ordering::SeqCst) == 1 {
            "Monday"
        } else {
            "Tuesday"
        };
        format!(
            r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
<link>https://wire.example/</link><description>Wire</description>
<item><title>Dockers end the port strike</title><link>https://wire.example/port-strike</link>
<guid>https://wire.example/port-strike</guid><pubDate>Mon, 16 May 2022 09:00:00 GMT</pubDate>
<description>Dockers returned to work on {day} after a week of talks with the port authority.</description>
</item></channel></rss>"#
        )
    };
    let router = Router::new().route(
        "/feed.rss",
        get(move || {
            let body = feed();
            async move { ([(header::CONTENT_TYPE, "application/rss+xml")], body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/feed.rss", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let app = TestApp::new().await;
    let follower = Follower::new(app.archive.clone(), Reach::Private);
    let followed = follower
        .follow(&url, Duration::from_secs(600))
        .await
        .unwrap();
    let report = follower.poll(&followed).await.unwrap();
    assert_eq!(report.created, 1, "{report:?}");
    edition.store(2, Ordering::SeqCst);
    let stored = app
        .archive
        .store()
        .feed(followed.id)
        .await
        .unwrap()
        .unwrap();
    let report = follower.poll(&stored).await.unwrap();
    assert_eq!(report.updated, 1, "the outlet's silent edit: {report:?}");

    let history = app.get("/api/v1/articles/1/revisions").await.json();
    let revisions = history["revisions"].as_array().unwrap();
    assert_eq!(revisions.len(), 2, "{history}");
    assert_eq!(revisions[1]["changed"], serde_json::json!(["paragraphs"]));
    assert_eq!(revisions[1]["origin"], format!("feed {url}"));
    let changes = app.get("/changes.atom").await.body;
    assert!(changes.contains("<title>Revision 2: Dockers end the port strike</title>"));
}

#[tokio::test]
async fn boilerplate_is_hidden_but_never_cut_from_the_record() {
    let app = TestApp::new().await;
    let notice = "Correction: an earlier version of this story misnamed the harbour.";
    for n in 1..=4 {
        app.archive
            .save(
                &[crate::helpers::article(serde_json::json!({
                    "headline": format!("Harbour story number {n}"),
                    "source": "Ledger",
                    "url": format!("https://ledger.example/{n}"),
                    "paragraphs": [
                        format!("Story {n} opens with its own news about quay {n}."),
                        format!("A second paragraph only story {n} has, on berth {}.", n * 7),
                        notice,
                    ],
                }))],
                &crate::helpers::TESTS,
            )
            .await
            .unwrap();
    }
    for id in 1..=4 {
        let a = app.get(&format!("/api/v1/articles/{id}")).await.json();
        assert_eq!(a["paragraphs"].as_array().unwrap().len(), 2, "{a}");
        assert_eq!(a["captured_paragraphs"][2], notice, "{a}");
        assert_eq!(a["revision"], 1, "a judgement is not a revision: {a}");
        let whole = app
            .get(&format!("/api/v1/articles/{id}/revisions/1"))
            .await
            .json();
        assert_eq!(whole["article"]["paragraphs"][2], notice, "{whole}");
    }
    app.indexed().await;
    let found = app.get("/api/v1/search?q=misnamed").await.json();
    assert_eq!(found["total"], 0, "hidden from the index: {found}");
    let export = run(app.data(), &["export"]);
    assert!(export.status.success());
    let exported = stdout(&export);
    assert_eq!(
        exported.matches(notice).count(),
        4,
        "the export is the record, boilerplate included"
    );
    app.assert_consistent().await;
}

#[tokio::test]
async fn queries_the_schema_cannot_run_are_the_readers_error() {
    let app = TestApp::with_seed().await;
    for uri in [
        "/search?q=%2B+tag%3A%22x+%2B+published%3A2017-02+%3F+field%3A%2A+%2A",
        "/search/histogram.csv?q=%21%21%21+%7B+election+date%3A2017-13-45+%22unclosed+field%3A%2A&source=auto&tag=999999999999999999999999999999&facet_limit=",
        "/api/v1/search?q=%2B+tag%3A%22x+%2B+published%3A2017-02+%3F+field%3A%2A+%2A",
    ] {
        let reply = app.get(uri).await;
        assert!(
            reply.status.is_success() || reply.status.is_client_error(),
            "{uri}: {} {}",
            reply.status,
            reply.body
        );
    }
}

#[tokio::test]
async fn a_bug_is_a_500_naming_its_request_id() {
    let app = TestApp::with_seed().await;
    // A value the archive cannot read, as a bug or a broken disk leaves.
    tamper(
        app.data(),
        "UPDATE articles SET published_at = 'not a date'",
    )
    .await;
    for uri in ["/api/v1/articles/1", "/articles/1"] {
        let reply = app.get(uri).await;
        assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR, "{uri}");
        let id = reply.headers["x-request-id"].to_str().unwrap().to_owned();
        assert_eq!(id.len(), 16);
        assert!(reply.body.contains(&id), "{uri}: {}", reply.body);
        assert!(reply.headers.get(header::RETRY_AFTER).is_none());
    }
}

#[tokio::test]
async fn what_opening_derives_for_old_articles_goes_through_the_change_log() {
    let app = TestApp::with_seed().await;
    let before = app.archive.store().last_change_seq().await.unwrap();
    app.archive.close().await.unwrap();
    // As an archive from before stories existed: no story yet.
    tamper(app.data(), "UPDATE articles SET story_id = NULL").await;
    let archive = crate::helpers::open_archive(app.data()).await;
    let article = archive.store().article(1).await.unwrap().unwrap();
    assert_eq!(article.story_id, 1);
    assert_eq!(article.revision, 1, "deriving is not a revision");
    assert_eq!(
        archive.store().last_change_seq().await.unwrap(),
        before + 1,
        "the derived story is logged for the index"
    );
    let report = archive.check(Duration::from_secs(60)).await.unwrap();
    assert!(report.is_ok(), "{report:?}");
}
