//! Pages, JSON and errors through the real router.

use axum::body::Body;
use axum::http::{Request, header};

use crate::helpers::{TestApp, article, tamper};

const SEED_PATH: &str =
    "/articles/1/pakistan-and-united-states-have-resumed-attempts-to-restore-relations";

#[tokio::test]
async fn an_empty_archive_explains_how_to_import() {
    let app = TestApp::new().await;
    let home = app.get("/").await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains("The archive is empty"));
    assert!(home.body.contains("newsarchive import"));
}

#[tokio::test]
async fn the_home_page_lists_the_latest_articles_newest_first_with_pages() {
    let app = TestApp::new().await;
    let mut articles = Vec::new();
    for day in 1..=25 {
        articles.push(article(serde_json::json!({
            "headline": format!("Story of May {day}"),
            "published_at": format!("2022-05-{day:02}"),
            "source": "Dawn",
            "authors": ["A. Writer"],
            "paragraphs": [format!("Body of the story of May {day}.")]
        })));
    }
    articles.push(article(
        serde_json::json!({"headline": "Undated story", "paragraphs": ["No date."]}),
    ));
    app.archive
        .save(&articles, &crate::helpers::TESTS)
        .await
        .unwrap();

    let first = app.get("/").await;
    assert_eq!(first.status, 200);
    let may25 = first
        .body
        .find("Story of May 25")
        .expect("newest on page 1");
    let may24 = first.body.find("Story of May 24").expect("next newest");
    assert!(may25 < may24);
    assert!(
        first
            .body
            .contains(r#"<time datetime="2022-05-25T00:00:00Z">25 May 2022</time>"#)
    );
    assert!(!first.body.contains("Story of May 5<"));
    assert!(first.body.contains(r#"href="/?page=2""#));

    let second = app.get("/?page=2").await;
    assert_eq!(second.status, 200);
    assert!(second.body.contains("Story of May 5<") || second.body.contains("Story of May 5</a>"));
    assert!(
        second.body.contains("Undated story"),
        "undated articles come last"
    );
    assert!(second.body.contains(r#"href="/""#));

    let beyond = app.get("/?page=9").await;
    assert_eq!(beyond.status, 404);
    assert!(beyond.body.contains("There is no page 9"));
}

#[tokio::test]
async fn the_article_page_shows_the_story_with_paragraph_anchors() {
    let app = TestApp::with_seed().await;
    let page = app.get(SEED_PATH).await;
    assert_eq!(page.status, 200);
    assert!(page.content_type().starts_with("text/html"));
    assert_eq!(page.body.matches("<h1").count(), 1);
    assert!(
        page.body
            .contains("Pakistan and United States have Resumed Attempts to Restore Relations</h1>")
    );
    assert!(
        page.body
            .contains(r#"<p id="p1">Pakistan and the US will start"#)
    );
    assert!(page.body.contains(r#"<p id="p11">"#));
    assert!(!page.body.contains(r#"id="p12""#));
    // Typography kept, HTML-escaped where it must be.
    assert!(page.body.contains("Conflicts &#38; Food Security"));
    assert!(page.body.contains("“Global Food Security Call to Action.”"));
    assert!(page.body.contains(&format!(
        r#"<link rel="canonical" href="http://localhost{SEED_PATH}">"#
    )));
    assert!(!page.body.contains("Leave a Reply"));
}

#[tokio::test]
async fn wrong_or_missing_slugs_redirect_to_the_permalink() {
    let app = TestApp::with_seed().await;
    for uri in ["/articles/1", "/articles/1/old-slug"] {
        let reply = app.get(uri).await;
        assert_eq!(reply.status, 308, "{uri}");
        assert_eq!(reply.headers[header::LOCATION], SEED_PATH);
    }
}

#[tokio::test]
async fn unknown_pages_get_a_readable_404_with_a_search_box() {
    let app = TestApp::with_seed().await;
    for uri in [
        "/articles/999/x",
        "/articles/abc/x",
        "/articles/99999999999999999999999",
        "/no/such/page",
    ] {
        let reply = app.get(uri).await;
        assert_eq!(reply.status, 404, "{uri}");
        assert!(reply.content_type().starts_with("text/html"), "{uri}");
        assert!(reply.body.contains(r#"role="search""#), "{uri}");
        assert!(reply.body.contains("<h1>Page not found</h1>"), "{uri}");
    }
}

#[tokio::test]
async fn bad_page_parameters_get_a_readable_400() {
    let app = TestApp::with_seed().await;
    for uri in [
        "/?page=abc",
        "/?page=0",
        "/?page=-1",
        "/search?q=x&after=zero",
    ] {
        let reply = app.get(uri).await;
        assert_eq!(reply.status, 400, "{uri}");
        assert!(reply.content_type().starts_with("text/html"), "{uri}");
        assert!(reply.body.contains("<h1>"), "{uri}");
    }
}

#[tokio::test]
async fn the_search_page_handles_empty_odd_and_pathological_queries() {
    let app = TestApp::with_seed().await;
    let empty = app.get("/search").await;
    assert_eq!(empty.status, 200);
    assert!(empty.body.contains("Search the archive</h1>"));
    let blank = app.get("/search?q=+++").await;
    assert_eq!(blank.status, 200);

    // Odd input is read leniently: never an error, never a crash.
    for q in [
        "%22food",
        "(kugelman",
        "kugelman)",
        "-",
        "-+*",
        "a:(%5E",
        "AND",
        "OR+OR",
        "title:",
        "headline:",
        "%3C%2Fmark%3E%3Cscript%3E",
        "%F0%9F%93%B0",
        "%E2%80%9Cfood",
        "***",
        "kugelman%5E1e309",
        "%00",
        "body:%22food+security",
        "%5B2020+TO",
        "%7B",
        "%5C",
        "'",
        "!!!",
        "kugelman+%26+blinken",
    ] {
        let reply = app.get(&format!("/search?q={q}")).await;
        assert_eq!(reply.status, 200, "q={q}: {}", reply.body);
        assert!(!reply.body.contains("<script>"), "q={q} must be escaped");
    }

    let long = "kugelman ".repeat(200);
    let reply = app
        .get(&format!("/search?q={}", long.replace(' ', "+")))
        .await;
    assert_eq!(reply.status, 400);
    assert!(reply.body.contains("the limit is 1000"), "{}", reply.body);
    assert!(
        reply.body.contains("value=\"kugelman"),
        "the search box keeps the query"
    );

    let deep = format!("{}kugelman{}", "(".repeat(5000), ")".repeat(5000));
    let reply = app.get(&format!("/search?q={}", deep)).await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.body.contains("characters long") || reply.body.contains("deep"),
        "{}",
        reply.body
    );
    let nested = format!("{}kugelman{}", "(".repeat(30), ")".repeat(30));
    let reply = app.get(&format!("/search?q={nested}")).await;
    assert_eq!(reply.status, 400);
    assert!(reply.body.contains("the limit is 20"), "{}", reply.body);
}

#[tokio::test]
async fn the_article_api_uses_the_import_field_names() {
    let app = TestApp::new().await;
    app.archive
        .save(
            &[article(serde_json::json!({
                "headline": "Harbour bridge to close",
                "subheading": "Two years of repairs",
                "authors": ["Maren Ødegård"],
                "source": {"name": "Sample Times", "site": "https://sample.example"},
                "url": "https://sample.example/bridge",
                "published_at": "2024-03-14T08:30:00Z",
                "section": "Local",
                "tags": ["transport"],
                "language": "en",
                "paragraphs": ["One.", "Two."]
            }))],
            &crate::helpers::TESTS,
        )
        .await
        .unwrap();
    let reply = app.get("/api/v1/articles/1").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.headers[header::ETAG], "\"1\"");
    let json = reply.json();
    assert_eq!(json["id"], 1);
    assert_eq!(json["headline"], "Harbour bridge to close");
    assert_eq!(json["subheading"], "Two years of repairs");
    assert_eq!(json["authors"], serde_json::json!(["Maren Ødegård"]));
    assert_eq!(
        json["source"],
        serde_json::json!({"name": "Sample Times", "site": "https://sample.example"})
    );
    assert_eq!(json["url"], "https://sample.example/bridge");
    assert_eq!(json["published_at"], "2024-03-14T08:30:00Z");
    assert_eq!(json["section"], "Local");
    assert_eq!(json["tags"], serde_json::json!(["transport"]));
    assert_eq!(json["language"], "en");
    assert_eq!(json["paragraphs"], serde_json::json!(["One.", "Two."]));
    assert_eq!(json["revision"], 1);
    assert_eq!(json["word_count"], 2);
    assert_eq!(json["path"], "/articles/1/harbour-bridge-to-close");
    assert!(json["ingested_at"].is_string() && json["updated_at"].is_string());
}

#[tokio::test]
async fn api_errors_are_problem_json() {
    let app = TestApp::with_seed().await;
    for (uri, status) in [
        ("/api/v1/articles/999", 404),
        ("/api/v1/articles/abc", 404),
        ("/api/v1/search", 400),
        ("/api/v1/search?q=", 400),
        ("/api/v1/search?q=x&limit=0", 400),
        ("/api/v1/search?q=x&limit=1000", 400),
        ("/api/v1/search?q=x&limit=ten", 400),
        ("/api/v1/search?q=x&colour=red", 400),
        ("/api/v1/nothing-here", 404),
    ] {
        let reply = app.get(uri).await;
        assert_eq!(reply.status.as_u16(), status, "{uri}: {}", reply.body);
        assert_eq!(reply.content_type(), "application/problem+json", "{uri}");
        let json = reply.json();
        assert_eq!(json["status"], status, "{uri}");
        assert!(
            json["type"]
                .as_str()
                .unwrap()
                .starts_with("urn:newsarchive:problem:"),
            "{uri}"
        );
        assert!(
            json["title"].is_string() && !json["detail"].as_str().unwrap().is_empty(),
            "{uri}"
        );
    }
    let reply = app.get("/api/v1/search?q=x&colour=red").await;
    assert!(reply.json()["detail"].as_str().unwrap().contains("colour"));
    let long = "a".repeat(5000);
    let reply = app.get(&format!("/api/v1/search?q={long}")).await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.json()["detail"]
            .as_str()
            .unwrap()
            .contains("limit is 1000")
    );
}

#[tokio::test]
async fn healthz_reports_articles_and_index_lag() {
    let app = TestApp::with_seed().await;
    let reply = app.get("/healthz").await;
    assert_eq!(reply.status, 200);
    let json = reply.json();
    assert_eq!(json["status"], "ok");
    assert_eq!(json["articles"], 1);
    assert_eq!(json["index_lag"], 0);
    assert_eq!(
        json["indexer"], "leading",
        "this process holds the index writer"
    );
}

#[tokio::test]
async fn the_stylesheet_is_cached_for_long_and_pages_are_compressed() {
    let app = TestApp::with_seed().await;
    let home = app.get("/").await;
    let css = home
        .body
        .split("rel=\"stylesheet\" href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert!(css.starts_with("/static/style.") && css.ends_with(".css"));
    let reply = app.get(&css).await;
    assert_eq!(reply.status, 200);
    assert!(
        reply.headers[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let gz = app
        .request(
            axum::http::Request::get(SEED_PATH)
                .header(header::ACCEPT_ENCODING, "gzip")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(gz.headers[header::CONTENT_ENCODING], "gzip");
}

#[tokio::test]
async fn other_methods_get_a_readable_405() {
    let app = TestApp::with_seed().await;
    let post = |uri: &str| {
        axum::http::Request::post(uri)
            .body(axum::body::Body::empty())
            .unwrap()
    };
    let page = app.request(post("/")).await;
    assert_eq!(page.status, 405);
    assert!(page.content_type().starts_with("text/html"));
    assert!(
        page.body
            .contains("<h1>That action is not available here</h1>")
    );
    let api = app.request(post("/api/v1/search")).await;
    assert_eq!(api.status, 405);
    assert_eq!(api.content_type(), "application/problem+json");
    assert_eq!(api.json()["status"], 405);
}

#[tokio::test]
async fn pages_are_served_from_the_cache_until_the_archive_changes() {
    let app = TestApp::with_seed().await;
    let first = app.get("/").await;
    assert_eq!(first.status, 200);
    // A change behind the archive's back (no change-log entry) is not
    // seen: the page comes from the cache, not from the database.
    tamper(
        app.data(),
        "UPDATE articles SET headline = 'Rewritten behind its back' WHERE id = 1",
    )
    .await;
    let again = app.get("/").await;
    assert_eq!(again.body, first.body);
    assert_eq!(again.headers[header::ETAG], first.headers[header::ETAG]);
    assert_eq!(again.content_type(), first.content_type());

    // A write through the archive is a new version: every page renders afresh.
    app.archive
        .create(
            &article(serde_json::json!({
                "headline": "Harbour ferries resume after the strike",
                "paragraphs": ["The ferries sail again."]
            })),
            &crate::helpers::TESTS,
        )
        .await
        .unwrap();
    app.indexed().await;
    let after = app.get("/").await;
    assert_ne!(after.headers[header::ETAG], first.headers[header::ETAG]);
    assert!(
        after
            .body
            .contains("Harbour ferries resume after the strike")
    );
    assert!(after.body.contains("Rewritten behind its back"));
    let search = app.get("/search?q=ferries").await;
    assert!(
        search
            .body
            .contains("/articles/2/harbour-ferries-resume-after-the-strike"),
        "{}",
        search.body
    );
}

#[tokio::test]
async fn cached_pages_are_kept_apart_by_host() {
    let app = TestApp::with_seed().await;
    for host in ["localhost:8080", "127.0.0.1:8080", "localhost:8080"] {
        let request = Request::get(SEED_PATH)
            .header(header::HOST, host)
            .body(Body::empty())
            .unwrap();
        let page = app.request(request).await;
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains(&format!(
                "<link rel=\"canonical\" href=\"http://{host}/articles/1/"
            )),
            "{host}: {}",
            page.body
        );
    }
}
