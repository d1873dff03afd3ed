//! Writing through the JSON API: tokens, create, replace, merge-patch,
//! delete, optimistic concurrency and read-your-writes.

use axum::body::Body;
use axum::http::{Request, header};

use crate::helpers::{Reply, TestApp, api_token as token, write};

fn story(headline: &str) -> serde_json::Value {
    serde_json::json!({
        "headline": headline,
        "url": format!("https://example.org/{}", headline.to_lowercase().replace(' ', "-")),
        "source": "Harbour Gazette",
        "authors": ["Maren Ødegård"],
        "published_at": "2024-03-14T08:30:00Z",
        "paragraphs": ["The harbour bridge closes in June.", "Ferries will run every fifteen minutes."]
    })
}

async fn create(app: &TestApp, token: &str, headline: &str) -> Reply {
    app.request(write(
        "POST",
        "/api/v1/articles",
        Some(token),
        story(headline),
    ))
    .await
}

#[tokio::test]
async fn creating_an_article_answers_201_and_search_finds_it_at_once() {
    let app = TestApp::new().await;
    let token = token(&app, "cms").await;
    let reply = create(&app, &token, "Harbour bridge to close").await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.headers[header::LOCATION], "/api/v1/articles/1");
    assert_eq!(reply.headers[header::ETAG], "\"1\"");
    let json = reply.json();
    assert_eq!(json["headline"], "Harbour bridge to close");
    assert_eq!(json["revision"], 1);
    // Read-your-writes: no waiting on the client's side.
    let found = app.get("/api/v1/search?q=ferries").await.json();
    assert_eq!(found["total"], 1);
    assert_eq!(found["results"][0]["id"], 1);
    // The same URL again is a conflict that points at the existing article.
    let again = create(&app, &token, "Harbour bridge to close").await;
    assert_eq!(again.status, 409);
    assert!(
        again.json()["detail"]
            .as_str()
            .unwrap()
            .contains("article 1")
    );
}

#[tokio::test]
async fn writes_need_a_valid_unrevoked_token() {
    let app = TestApp::new().await;
    let missing = app
        .request(write("POST", "/api/v1/articles", None, story("No token")))
        .await;
    assert_eq!(missing.status, 401);
    assert_eq!(missing.content_type(), "application/problem+json");
    assert!(
        missing.headers[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let forged = newsarchive::auth::new_token().secret;
    assert_eq!(create(&app, &forged, "Forged").await.status, 401);
    assert_eq!(create(&app, "not-a-token", "Garbage").await.status, 401);

    // A token revoked mid-run stops working at once.
    let token = token(&app, "scraper").await;
    assert_eq!(create(&app, &token, "Before revocation").await.status, 201);
    assert!(app.archive.store().revoke_token("scraper").await.unwrap());
    let revoked = create(&app, &token, "After revocation").await;
    assert_eq!(revoked.status, 403, "{}", revoked.body);
    assert!(
        revoked.json()["detail"]
            .as_str()
            .unwrap()
            .contains("revoked")
    );
    assert_eq!(app.archive.store().article_count().await.unwrap(), 1);
}

#[tokio::test]
async fn bad_bodies_get_problems_that_name_the_fault() {
    let app = TestApp::new().await;
    let token = token(&app, "cms").await;
    let cases = [
        (
            serde_json::json!({"paragraphs": ["No headline."]}),
            422,
            "headline",
        ),
        (
            serde_json::json!({"headline": "H", "titel": "typo"}),
            422,
            "titel",
        ),
        (
            serde_json::json!({"headline": "H", "url": "ftp://example.org/x"}),
            422,
            "url",
        ),
        (
            serde_json::json!({"headline": "H", "published_at": "16/05/2022"}),
            422,
            "published_at",
        ),
        (
            serde_json::json!({"headline": "H", "authors": "one string"}),
            422,
            "authors",
        ),
        // Blank values are not "absent": leave the field out or send null.
        (serde_json::json!({"headline": "H", "url": ""}), 422, "url"),
        (
            serde_json::json!({"headline": "H", "url": "https://example.org/a b"}),
            422,
            "url",
        ),
        (
            serde_json::json!({"headline": "H", "language": ""}),
            422,
            "language",
        ),
        (
            serde_json::json!({"headline": "H", "published_at": " 2022-05-16"}),
            422,
            "published_at",
        ),
        (
            serde_json::json!({"headline": "H", "published_at": "2022-5-16"}),
            422,
            "published_at",
        ),
        // Control characters count as blank, as the schema's pattern says.
        (
            serde_json::json!({"headline": "\u{1c}\u{a0} "}),
            422,
            "headline",
        ),
        (
            serde_json::json!({"headline": "H", "paragraphs": ["a"], "body": "b"}),
            422,
            "body",
        ),
        (
            serde_json::json!({"headline": "H", "source": {"name": "Dawn", "city": "Karachi"}}),
            422,
            "source",
        ),
    ];
    for (body, status, named) in cases {
        let reply = app
            .request(write(
                "POST",
                "/api/v1/articles",
                Some(&token),
                body.clone(),
            ))
            .await;
        assert_eq!(reply.status.as_u16(), status, "{body}: {}", reply.body);
        assert_eq!(reply.content_type(), "application/problem+json");
        assert!(
            reply.json()["detail"].as_str().unwrap().contains(named),
            "{}",
            reply.body
        );
    }
    let syntax = Request::post("/api/v1/articles")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from("{\"headline\": "))
        .unwrap();
    assert_eq!(app.request(syntax).await.status, 400);
    let no_type = Request::post("/api/v1/articles")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(app.request(no_type).await.status, 415);
    let huge = serde_json::json!({"headline": "Big", "paragraphs": ["x".repeat(2 * 1024 * 1024)]});
    let reply = app
        .request(write("POST", "/api/v1/articles", Some(&token), huge))
        .await;
    assert_eq!(reply.status, 413);
    assert_eq!(reply.content_type(), "application/problem+json");
    assert_eq!(app.archive.store().article_count().await.unwrap(), 0);
}

#[tokio::test]
async fn replace_patch_and_delete_follow_the_revision() {
    let app = TestApp::new().await;
    let token = token(&app, "cms").await;
    create(&app, &token, "Harbour bridge to close").await;
    let mut replacement = story("Harbour bridge closes in July");
    replacement["paragraphs"] = serde_json::json!(["The closure moves to July."]);

    let mut put = write(
        "PUT",
        "/api/v1/articles/1",
        Some(&token),
        replacement.clone(),
    );
    put.headers_mut()
        .insert(header::IF_MATCH, "\"1\"".parse().unwrap());
    let reply = app.request(put).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.headers[header::ETAG], "\"2\"");
    assert_eq!(
        reply.json()["paragraphs"],
        serde_json::json!(["The closure moves to July."])
    );
    assert_eq!(app.get("/api/v1/search?q=july").await.json()["total"], 1);
    assert_eq!(app.get("/api/v1/search?q=ferries").await.json()["total"], 0);

    // A stale If-Match is refused.
    let mut stale = write("PUT", "/api/v1/articles/1", Some(&token), replacement);
    stale
        .headers_mut()
        .insert(header::IF_MATCH, "\"1\"".parse().unwrap());
    assert_eq!(app.request(stale).await.status, 412);

    // A merge patch changes only what it names; null removes a field.
    let patch = serde_json::json!({"section": "Local", "authors": null, "tags": ["transport"]});
    let reply = app
        .request(write("PATCH", "/api/v1/articles/1", Some(&token), patch))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let json = reply.json();
    assert_eq!(json["section"], "Local");
    assert_eq!(json["authors"], serde_json::json!([]));
    assert_eq!(json["headline"], "Harbour bridge closes in July");
    assert_eq!(json["revision"], 3);
    let bad = app
        .request(write(
            "PATCH",
            "/api/v1/articles/1",
            Some(&token),
            serde_json::json!({"headline": null}),
        ))
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    // A patch is itself checked: unknown fields (even null ones) and a
    // source object without its name are refused, naming the fault.
    for (patch, named) in [
        (serde_json::json!({"colour": null}), "colour"),
        (
            serde_json::json!({"source": {"site": "https://example.org"}}),
            "source",
        ),
        (serde_json::json!({"tags": "transport"}), "tags"),
    ] {
        let reply = app
            .request(write("PATCH", "/api/v1/articles/1", Some(&token), patch))
            .await;
        assert_eq!(reply.status, 422, "{}", reply.body);
        assert!(reply.json()["detail"].as_str().unwrap().contains(named));
    }
    // A new body replaces the paragraphs; a source object merges into the stored one.
    let reply = app
        .request(write(
            "PATCH",
            "/api/v1/articles/1",
            Some(&token),
            serde_json::json!({"body": "First.\n\nSecond.", "source": {"name": "Harbour Times"}}),
        ))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.json()["paragraphs"],
        serde_json::json!(["First.", "Second."])
    );
    assert_eq!(reply.json()["source"]["name"], "Harbour Times");

    let mut delete = write(
        "DELETE",
        "/api/v1/articles/1",
        Some(&token),
        serde_json::json!({}),
    );
    delete
        .headers_mut()
        .insert(header::IF_MATCH, "\"2\"".parse().unwrap());
    assert_eq!(app.request(delete).await.status, 412);
    let delete = write(
        "DELETE",
        "/api/v1/articles/1",
        Some(&token),
        serde_json::json!({}),
    );
    assert_eq!(app.request(delete).await.status, 204);
    assert_eq!(app.get("/api/v1/articles/1").await.status, 410);
    assert_eq!(app.get("/api/v1/search?q=july").await.json()["total"], 0);
    let again = write(
        "DELETE",
        "/api/v1/articles/1",
        Some(&token),
        serde_json::json!({}),
    );
    assert_eq!(app.request(again).await.status, 410);
    let missing = write(
        "PUT",
        "/api/v1/articles/7",
        Some(&token),
        story("Nothing here"),
    );
    assert_eq!(app.request(missing).await.status, 404);
    app.assert_consistent().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_patches_with_the_same_if_match_let_exactly_one_win() {
    let app = TestApp::new().await;
    let token = token(&app, "cms").await;
    create(&app, &token, "Harbour bridge to close").await;
    let mut tasks = Vec::new();
    for n in 0..8 {
        let (router, token) = (app.router.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            use tower::ServiceExt as _;
            let mut request = write(
                "PATCH",
                "/api/v1/articles/1",
                Some(&token),
                serde_json::json!({"section": format!("Edit {n}")}),
            );
            request
                .headers_mut()
                .insert(header::IF_MATCH, "\"1\"".parse().unwrap());
            router.oneshot(request).await.unwrap().status().as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 412, 412, 412, 412, 412, 412, 412]);
    let article = app.get("/api/v1/articles/1").await;
    assert_eq!(article.headers[header::ETAG], "\"2\"");
    app.assert_consistent().await;
}

#[tokio::test]
async fn listing_articles_filters_and_pages_with_a_stable_cursor() {
    let app = TestApp::new().await;
    let batch: Vec<_> = (1..=25)
        .map(|n| {
            crate::helpers::article(serde_json::json!({
                "headline": format!("Story {n}"),
                "published_at": format!("2022-05-{n:02}T12:00:00Z"),
                "source": if n % 2 == 0 { "Even Times" } else { "Odd Post" },
                "authors": [format!("Writer {}", n % 3)],
                "tags": ["news"],
                "paragraphs": [format!("Body {n}.")]
            }))
        })
        .collect();
    app.archive
        .save(&batch, &crate::helpers::TESTS)
        .await
        .unwrap();

    let first = app.get("/api/v1/articles?limit=10").await.json();
    let headlines: Vec<_> = first["articles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["headline"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(headlines[0], "Story 25");
    assert_eq!(headlines[9], "Story 16");
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    // A new article arriving between pages does not shift the next page.
    app.archive
        .save(&[crate::helpers::article(serde_json::json!({"headline": "Late news", "published_at": "2022-06-01", "paragraphs": ["x"]}))], &crate::helpers::TESTS)
        .await
        .unwrap();
    let second = app
        .get(&format!("/api/v1/articles?limit=10&cursor={cursor}"))
        .await
        .json();
    assert_eq!(second["articles"][0]["headline"], "Story 15");
    let third_cursor = second["next_cursor"].as_str().unwrap();
    let third = app
        .get(&format!("/api/v1/articles?limit=10&cursor={third_cursor}"))
        .await
        .json();
    assert_eq!(third["articles"].as_array().unwrap().len(), 5);
    assert!(third["next_cursor"].is_null());

    let odd = app
        .get("/api/v1/articles?source=Odd%20Post&limit=100")
        .await
        .json();
    assert_eq!(odd["articles"].as_array().unwrap().len(), 13);
    let window = app
        .get("/api/v1/articles?from=2022-05-10&to=2022-05-12&author=Writer%201")
        .await
        .json();
    let ids: Vec<_> = window["articles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["headline"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["Story 10"]);
    let slim = app
        .get("/api/v1/articles?limit=1&fields=headline,published_at")
        .await
        .json();
    let keys: Vec<_> = slim["articles"][0]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(keys, ["headline", "id", "published_at"]);
    let one = app.get("/api/v1/articles/1?fields=headline").await;
    assert_eq!(one.headers[header::ETAG], "\"1\"");
    assert_eq!(one.json().as_object().unwrap().len(), 2);

    for (uri, named) in [
        ("/api/v1/articles?limit=101", "limit"),
        ("/api/v1/articles?from=yesterday", "from"),
        ("/api/v1/articles?cursor=zz", "cursor"),
        ("/api/v1/articles?cursor=2024.1", "cursor"),
        ("/api/v1/articles?fields=", "fields"),
        ("/api/v1/articles?fields=headline,,url", "fields"),
        ("/api/v1/articles?fields=%20headline", "fields"),
        ("/api/v1/articles?fields=headline,colour", "colour"),
        ("/api/v1/articles?sort=oldest", "sort"),
        ("/api/v1/articles?source=Odd%00Post", "source"),
        ("/api/v1/articles?author=A%00B", "author"),
        ("/api/v1/articles/1?fields=bodytext", "bodytext"),
    ] {
        let reply = app.get(uri).await;
        assert_eq!(reply.status, 400, "{uri}");
        assert!(
            reply.json()["detail"].as_str().unwrap().contains(named),
            "{uri}: {}",
            reply.body
        );
    }

    let sources = app.get("/api/v1/sources").await.json();
    assert_eq!(
        sources["sources"],
        serde_json::json!([{"name": "Even Times", "count": 12}, {"name": "Odd Post", "count": 13}])
    );
    assert_eq!(app.get("/api/v1/tags").await.json()["tags"][0]["count"], 25);
    assert_eq!(
        app.get("/api/v1/authors").await.json()["authors"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        app.get("/api/v1/sections").await.json()["sections"],
        serde_json::json!([])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn importing_ndjson_lands_good_lines_and_reports_each_bad_one() {
    let app = TestApp::new().await;
    let token = token(&app, "bulk").await;
    let bad_lines = [2_500usize, 5_000, 5_001, 7_777];
    let mut body = String::new();
    for line in 1..=10_000usize {
        if line == 5_000 {
            body.push_str("{\"headline\": \"Broken\", \"paragraphs\": [\n");
        } else if line == 5_001 {
            body.push_str("{\"headline\": \"No URL scheme\", \"url\": \"example.org/x\"}\n");
        } else if bad_lines.contains(&line) {
            body.push_str("{\"paragraphs\": [\"no headline\"]}\n");
        } else {
            body.push_str(&crate::helpers::generated(line, 1).to_string());
            body.push('\n');
        }
    }
    let request = |body: String| {
        Request::post("/api/v1/import")
            .header(header::CONTENT_TYPE, "application/x-ndjson")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::from(body))
            .unwrap()
    };
    let reply = app.request(request(body.clone())).await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        &reply.body[..reply.body.len().min(500)]
    );
    let json = reply.json();
    assert_eq!(
        json["summary"],
        serde_json::json!({"lines": 10_000, "created": 9_996, "updated": 0, "unchanged": 0, "failed": 4, "omitted": 8_996})
    );
    let failed: Vec<_> = json["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "failed")
        .map(|r| {
            (
                r["line"].as_u64().unwrap() as usize,
                r["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(failed.iter().map(|f| f.0).collect::<Vec<_>>(), bad_lines);
    assert!(
        failed[0].1.starts_with("headline: a headline is required"),
        "{}",
        failed[0].1
    );
    assert!(failed[2].1.contains("url"), "{}", failed[2].1);
    assert_eq!(json["results"][0]["status"], "created");
    assert_eq!(app.archive.store().article_count().await.unwrap(), 9_996);
    // Read-your-writes: the last good line is searchable when the reply comes.
    let found = app
        .get("/api/v1/search?q=%22story%20number%209999%22")
        .await
        .json();
    assert_eq!(found["total"], 1);

    // The same body again changes nothing.
    let again = app.request(request(body)).await.json();
    assert_eq!(again["summary"]["unchanged"], 9_996);
    assert_eq!(again["summary"]["failed"], 4);

    let wrong_type = Request::post("/api/v1/import")
        .header(header::CONTENT_TYPE, "text/csv")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from("a,b\n"))
        .unwrap();
    assert_eq!(app.request(wrong_type).await.status, 415);
    let no_token = Request::post("/api/v1/import")
        .header(header::CONTENT_TYPE, "application/x-ndjson")
        .body(Body::from("{}\n"))
        .unwrap();
    assert_eq!(app.request(no_token).await.status, 401);
    app.assert_consistent().await;
}

#[tokio::test]
async fn searches_and_writes_are_rate_limited_per_client() {
    use tower::ServiceExt as _;
    let app = TestApp::new().await;
    let token = token(&app, "cms").await;
    let config = newsarchive::web::Config {
        write_rate_limit: 2,
        search_rate_limit: 3,
        ..Default::default()
    };
    let router = newsarchive::web::router(app.archive.clone(), config);
    let get = |uri: &str| Request::get(uri).body(Body::empty()).unwrap();
    for n in 0..3 {
        let reply = router
            .clone()
            .oneshot(get("/api/v1/search?q=x"))
            .await
            .unwrap();
        assert_eq!(reply.status(), 200);
        assert_eq!(reply.headers()["ratelimit-limit"], "3");
        assert_eq!(
            reply.headers()["ratelimit-remaining"],
            (2 - n).to_string().as_str()
        );
    }
    let limited = router
        .clone()
        .oneshot(get("/api/v1/search?q=x"))
        .await
        .unwrap();
    assert_eq!(limited.status(), 429);
    assert_eq!(
        limited.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
    let retry: u64 = limited.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // Every route that runs a search is limited, each in its own bucket.
    for uri in [
        "/search?q=x",
        "/search.atom?q=x",
        "/search/histogram.csv?q=x",
    ] {
        for _ in 0..3 {
            let reply = router.clone().oneshot(get(uri)).await.unwrap();
            assert_eq!(reply.status(), 200, "{uri}");
        }
        let reply = router.clone().oneshot(get(uri)).await.unwrap();
        assert_eq!(reply.status(), 429, "{uri}");
    }
    let page = router.clone().oneshot(get("/search?q=x")).await.unwrap();
    assert_eq!(page.status(), 429);
    assert!(
        page.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    // Reading articles is not limited.
    assert_eq!(
        router
            .clone()
            .oneshot(get("/api/v1/articles"))
            .await
            .unwrap()
            .status(),
        200
    );

    for n in 0..3 {
        let reply = router
            .clone()
            .oneshot(write(
                "POST",
                "/api/v1/articles",
                Some(&token),
                story(&format!("Story {n}")),
            ))
            .await
            .unwrap();
        assert_eq!(
            reply.status().as_u16(),
            if n < 2 { 201 } else { 429 },
            "write {n}"
        );
    }
}

#[tokio::test]
async fn a_nul_character_in_a_list_filter_is_the_readers_error_on_every_backend() {
    let app = TestApp::with_seed().await;
    for uri in [
        "/api/v1/articles?section=%00x",
        "/api/v1/articles?source=a%00b&limit=5",
    ] {
        let reply = app.get(uri).await;
        // No name holds one, and PostgreSQL could not compare one: a 400
        // naming it, whichever database the archive runs on.
        assert_eq!(
            reply.status,
            axum::http::StatusCode::BAD_REQUEST,
            "{uri}: {}",
            reply.body
        );
        assert!(reply.body.contains("NUL"), "{}", reply.body);
    }
    let page = app.get("/sections/a%00b").await;
    assert!(!page.status.is_server_error(), "{}", page.status);
}
