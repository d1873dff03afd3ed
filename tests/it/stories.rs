//! One story, many outlets: URL variants are the same page, syndicated and
//! lightly edited copies are one story (grouped on the article page, once in
//! search, exposed in the API), and different stories on one event are not.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use newsarchive::store::Outcome;
use serde_json::json;

use crate::helpers::{TestApp, api_token, article};

const WIRE: [&str; 3] = [
    "Pakistan and the US will start attempts to restore bilateral relations this week in New York, with a series of discussions between respective foreign policy officials.",
    "Foreign Minister Bilawal Bhutto-Zardari arrives in New York on Tuesday for a UN summit on food security convened by the United States, as well as a bilateral discussion with Secretary of State Antony Blinken.",
    "Mr Blinken had invited Mr Bhutto-Zardari to the May 18 ministerial conference on Global Food Security Call to Action, which will bring together nations afflicted by food insecurity.",
];

fn copy(outlet: &str, headline: &str, url: &str, paragraphs: Vec<String>) -> serde_json::Value {
    json!({
        "headline": headline,
        "source": outlet,
        "url": url,
        "published_at": "2022-05-16",
        "paragraphs": paragraphs,
    })
}

fn wire() -> Vec<String> {
    WIRE.iter().map(|p| p.to_string()).collect()
}

/// `POST /api/v1/articles` with `body`.
async fn create(app: &TestApp, token: &str, body: &serde_json::Value) -> crate::helpers::Reply {
    app.request(
        Request::post("/api/v1/articles")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn url_variants_are_the_same_page() {
    let app = TestApp::new().await;
    let first = copy(
        "Dawn",
        "Talks resume",
        "https://www.dawn.com/news/1690132/talks-resume",
        wire(),
    );
    let saved = app
        .archive
        .save(&[article(first.clone())], &crate::helpers::TESTS)
        .await
        .unwrap();
    for variant in [
        "http://dawn.com/news/1690132/talks-resume/",
        "https://www.dawn.com/news/1690132/talks-resume?utm_source=twitter&fbclid=x",
        "https://www.dawn.com/news/1690132/talks-resume/amp/",
    ] {
        let mut again = first.clone();
        again["url"] = json!(variant);
        let s = app
            .archive
            .save(&[article(again)], &crate::helpers::TESTS)
            .await
            .unwrap();
        assert_eq!(s[0].id, saved[0].id, "{variant}");
        assert_eq!(s[0].outcome, Outcome::Updated, "{variant}");
    }
    assert_eq!(app.archive.store().article_count().await.unwrap(), 1);

    let token = api_token(&app, "t").await;
    let mut other = first.clone();
    other["url"] = json!("https://m.dawn.com/news/1690132/talks-resume#top");
    let reply = create(&app, &token, &other).await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.body);
}

#[tokio::test]
async fn a_wire_story_under_two_headlines_is_one_story_and_another_story_is_not() {
    let app = TestApp::new().await;
    let mut edited = wire();
    edited[0] = edited[0].replace("this week", "on Monday");
    edited.push("Reporting by our correspondent in Islamabad.".to_owned());
    let different = vec![
        "Foreign Minister Bilawal Bhutto-Zardari met Antony Blinken in New York, where the two discussed food security, trade and the floods, officials in Islamabad said on Wednesday after the UN summit ended.".to_owned(),
        "The talks were the first at this level in four years, and analysts said relations between Pakistan and the United States may yet be restored despite the diplomatic letter incident and the change of government.".to_owned(),
    ];
    let saved = app
        .archive
        .save(
            &[
                article(copy(
                    "Dawn",
                    "Pakistan, US resume talks",
                    "https://dawn.example/1",
                    wire(),
                )),
                article(copy(
                    "The News",
                    "Bilawal heads to New York for food summit",
                    "https://thenews.example/2",
                    edited,
                )),
                article(copy(
                    "Geo",
                    "Bilawal and Blinken meet in New York",
                    "https://geo.example/3",
                    different,
                )),
            ],
            &crate::helpers::TESTS,
        )
        .await
        .unwrap();
    let ids: Vec<i64> = saved.iter().map(|s| s.id).collect();
    app.indexed().await;
    let story = |id: i64| {
        let app = &app;
        async move { app.get(&format!("/api/v1/articles/{id}")).await.json()["story_id"].clone() }
    };
    assert_eq!(story(ids[0]).await, json!(ids[0]));
    assert_eq!(story(ids[1]).await, json!(ids[0]));
    assert_eq!(story(ids[2]).await, json!(ids[2]));

    let versions = app
        .get(&format!(
            "/api/v1/articles/{}/versions?fields=headline",
            ids[1]
        ))
        .await
        .json();
    let headlines: Vec<&str> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["headline"].as_str().unwrap())
        .collect();
    assert_eq!(
        headlines,
        [
            "Pakistan, US resume talks",
            "Bilawal heads to New York for food summit"
        ]
    );

    // The article page names the other outlet and links to its copy.
    let path = app
        .get(&format!("/api/v1/articles/{}", ids[0]))
        .await
        .json()["path"]
        .as_str()
        .unwrap()
        .to_owned();
    let page = app.get(&path).await;
    assert!(
        page.body.contains("Also published by 1 other outlet"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("Bilawal heads to New York for food summit")
    );
    assert!(page.body.contains("The News"));
    let versions = page.body.split("id=\"versions\"").nth(1).unwrap();
    let versions = versions.split("</aside>").next().unwrap();
    assert!(!versions.contains("Bilawal and Blinken meet"), "{versions}");

    // Search shows the story once, says how many versions there are, and
    // shows them all on request.
    let one = app
        .get("/api/v1/search?q=Blinken%20Bhutto-Zardari")
        .await
        .json();
    let results = one["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{one}");
    let wire_hit = results
        .iter()
        .find(|r| r["versions"] == 2)
        .unwrap_or_else(|| panic!("{one}"));
    assert!(wire_hit["id"] == ids[0] || wire_hit["id"] == ids[1]);
    let all = app
        .get("/api/v1/search?q=Blinken%20Bhutto-Zardari&all_versions=true")
        .await
        .json();
    assert_eq!(all["results"].as_array().unwrap().len(), 3, "{all}");
    let html = app.get("/search?q=Blinken+Bhutto-Zardari").await.body;
    assert!(html.contains("Show all 2 versions of this story"), "{html}");
    assert!(html.contains("versions=all"));
    assert_eq!(
        app.get("/search?q=Blinken+Bhutto-Zardari&versions=all")
            .await
            .body
            .matches("<article>")
            .count(),
        3
    );
    app.assert_consistent().await;
}

#[tokio::test]
async fn pages_and_feeds_import_through_the_api_with_clear_errors() {
    let app = TestApp::new().await;
    let token = api_token(&app, "t").await;
    let post = |content_type: &str, body: Vec<u8>, query: &str| {
        Request::post(format!("/api/v1/import{query}"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap()
    };
    let page = std::fs::read("tests/fixtures/pages/wordpress.html").unwrap();
    let reply = app
        .request(post("text/html; charset=utf-8", page.clone(), ""))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.json()["summary"]["created"], 1);
    let again = app.request(post("text/html", page, "")).await.json();
    assert_eq!(again["summary"]["unchanged"], 1);

    let plain = std::fs::read("tests/fixtures/pages/plain.html").unwrap();
    let reply = app
        .request(post(
            "text/html",
            plain,
            "?url=https://citynews.example/news/cycle-lanes",
        ))
        .await;
    let id = reply.json()["results"][0]["id"].as_i64().unwrap();
    let saved = app.get(&format!("/api/v1/articles/{id}")).await.json();
    assert_eq!(saved["url"], "https://citynews.example/news/cycle-lanes");

    for (content_type, body, reason) in [
        (
            "text/html",
            std::fs::read("tests/fixtures/pages/binary.html").unwrap(),
            "binary",
        ),
        (
            "text/html",
            std::fs::read("tests/fixtures/pages/empty.html").unwrap(),
            "no article found",
        ),
        (
            "application/rss+xml",
            b"this is not xml".to_vec(),
            "not an RSS, Atom or JSON feed",
        ),
    ] {
        // Like a bad NDJSON line: one failed result that says why.
        let reply = app.request(post(content_type, body, "")).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let report = reply.json();
        assert_eq!(report["summary"]["failed"], 1, "{report}");
        assert_eq!(report["results"][0]["status"], "failed");
        let why = report["results"][0]["reason"].as_str().unwrap();
        assert!(why.contains(reason), "{report}");
    }
    let huge = vec![b'a'; 11 * 1024 * 1024];
    let reply = app.request(post("text/html", huge, "")).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.content_type(), "application/problem+json");
    let reply = app
        .request(post("text/html", b"<p>x</p>".to_vec(), "?url=ftp://x"))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body.contains("url: `ftp://x`"), "{}", reply.body);
    let unsupported = app.request(post("image/png", b"x".to_vec(), "")).await;
    assert_eq!(unsupported.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(
        unsupported.body.contains("text/html"),
        "{}",
        unsupported.body
    );

    let feed = std::fs::read("tests/fixtures/feeds/wire.rss").unwrap();
    let report = app
        .request(post("application/rss+xml", feed, ""))
        .await
        .json();
    assert_eq!(report["summary"]["created"], 2, "{report}");
    assert_eq!(report["summary"]["failed"], 1);
    assert_eq!(report["results"][2]["status"], "failed");
    assert!(
        report["results"][2]["reason"]
            .as_str()
            .unwrap()
            .contains("headline")
    );
    assert_eq!(app.archive.store().article_count().await.unwrap(), 4);
}

#[tokio::test]
async fn boilerplate_a_source_repeats_is_learned_and_left_out_old_and_new() {
    let app = TestApp::new().await;
    let footer = "Subscribe to the Ledger’s morning briefing for the day’s top stories.";
    let story = |n: usize, source: &str, footer: &str| {
        article(json!({
            "headline": format!("Story number {n}"),
            "source": source,
            "url": format!("https://{}.example/{n}", source.to_lowercase()),
            "paragraphs": [
                format!("The council met on day {n} to discuss the harbour budget."),
                format!("Councillors voted {n} to {} on the proposal.", n + 3),
                footer,
            ],
        }))
    };
    let mut ids = Vec::new();
    for n in 1..=2 {
        ids.push(
            app.archive
                .save(&[story(n, "Ledger", footer)], &crate::helpers::TESTS)
                .await
                .unwrap()[0]
                .id,
        );
    }
    // Twice is not yet boilerplate; another source's copies do not count.
    app.archive
        .save(&[story(9, "Gazette", footer)], &crate::helpers::TESTS)
        .await
        .unwrap();
    let first = app.archive.store().article(ids[0]).await.unwrap().unwrap();
    assert_eq!(first.content.paragraphs.len(), 3);
    assert_eq!(first.captured, None);
    // The third story of the source teaches it; all four hide the footer,
    // which their records keep (a judgement is not a revision).
    ids.push(
        app.archive
            .save(&[story(3, "Ledger", footer)], &crate::helpers::TESTS)
            .await
            .unwrap()[0]
            .id,
    );
    ids.push(
        app.archive
            .save(&[story(4, "Ledger", footer)], &crate::helpers::TESTS)
            .await
            .unwrap()[0]
            .id,
    );
    for (i, id) in ids.iter().enumerate() {
        let a = app.archive.store().article(*id).await.unwrap().unwrap();
        assert_eq!(a.content.paragraphs.len(), 2, "article {i}");
        assert_eq!(a.captured.as_ref().unwrap().len(), 3, "article {i}");
        assert_eq!(a.captured.as_ref().unwrap()[2], footer);
        assert_eq!(a.revision, 1, "article {i}");
    }
    let gazette = app.get("/api/v1/articles?source=Gazette").await.json();
    assert_eq!(
        gazette["articles"][0]["paragraphs"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    app.indexed().await;
    let found = app
        .get("/api/v1/search?q=%22morning%20briefing%22")
        .await
        .json();
    assert_eq!(
        found["total"], 1,
        "only the Gazette's copy keeps it: {found}"
    );
    let api = app
        .get(&format!("/api/v1/articles/{}", ids[0]))
        .await
        .json();
    assert_eq!(api["captured_paragraphs"].as_array().unwrap().len(), 3);

    let path = api["path"].as_str().unwrap().to_owned();
    let page = app.get(&path).await.body;
    assert!(
        page.contains("1 paragraph that Ledger repeats on every page is hidden as boilerplate"),
        "{page}"
    );
    assert!(!page.contains("morning briefing"));
    let captured = app.get(&format!("{path}?text=captured")).await.body;
    assert!(captured.contains("morning briefing"), "{captured}");
    assert!(captured.contains("Hide them again"));
    // Re-importing what was captured changes nothing.
    let again = app
        .archive
        .save(&[story(1, "Ledger", footer)], &crate::helpers::TESTS)
        .await
        .unwrap();
    assert_eq!(again[0].outcome, Outcome::Unchanged);
    app.assert_consistent().await;
}

#[tokio::test]
async fn copies_of_one_story_do_not_teach_boilerplate() {
    let app = TestApp::new().await;
    let closing = "Reporting by our correspondent in Islamabad.".to_owned();
    for n in 0..3 {
        let mut body = wire();
        body[0] = body[0].replace("this week", &format!("on day {n}"));
        body.push(closing.clone());
        app.archive
            .save(
                &[article(copy(
                    "Dawn",
                    &format!("Version {n}"),
                    &format!("https://dawn.example/{n}"),
                    body,
                ))],
                &crate::helpers::TESTS,
            )
            .await
            .unwrap();
    }
    let all = app.get("/api/v1/articles?source=Dawn").await.json();
    for a in all["articles"].as_array().unwrap() {
        assert_eq!(a["paragraphs"].as_array().unwrap().len(), 4, "{a}");
        assert!(a.get("captured_paragraphs").is_none());
    }
}

#[tokio::test]
async fn a_url_the_parser_cannot_read_still_matches_itself() {
    let app = TestApp::new().await;
    let odd = copy("Dawn", "Odd address", "http://[odd/story", wire());
    let first = app
        .archive
        .save(&[article(odd.clone())], &crate::helpers::TESTS)
        .await
        .unwrap();
    let again = app
        .archive
        .save(&[article(odd.clone())], &crate::helpers::TESTS)
        .await
        .unwrap();
    assert_eq!(again[0].id, first[0].id);
    assert_eq!(again[0].outcome, Outcome::Unchanged);
    let token = api_token(&app, "t").await;
    let reply = create(&app, &token, &odd).await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.body);
}

#[tokio::test]
async fn paging_through_search_shows_each_story_once() {
    let app = TestApp::new().await;
    let mut articles = Vec::new();
    for (n, outlet) in ["Dawn", "The News", "Geo"].iter().enumerate() {
        let mut body = wire();
        body[0] = body[0].replace("this week", &format!("on day {n}"));
        let url = format!("https://example.com/{n}");
        articles.push(article(copy(outlet, "Talks resume", &url, body)));
    }
    let others = [
        "Antony Blinken spoke about shipping lanes in the Red Sea and the cost of insurance for cargo vessels.",
        "Farmers in Punjab told reporters that Blinken never mentioned wheat prices or the fertiliser shortage.",
        "A museum exhibition on printing presses opened with a recorded greeting from Blinken to the curators.",
        "Rain delayed the cricket final in Lahore; Blinken, visiting the stadium, watched the covers come off.",
    ];
    for (n, text) in others.iter().enumerate() {
        let url = format!("https://other.example/{n}");
        articles.push(article(copy(
            "Dawn",
            &format!("Other {n}"),
            &url,
            vec![text.to_string()],
        )));
    }
    app.archive
        .save(&articles, &crate::helpers::TESTS)
        .await
        .unwrap();
    app.indexed().await;
    for sort in ["relevance", "newest", "oldest"] {
        for (versions, expected) in [("false", 5), ("true", 7)] {
            let mut stories = Vec::new();
            let mut ids = Vec::new();
            let mut uri = format!(
                "/api/v1/search?q=Blinken&sort={sort}&all_versions={versions}&limit=1&fields=id,story_id"
            );
            for _ in 0..10 {
                let page = app.get(&uri).await;
                assert_eq!(page.status, 200, "{}", page.body);
                let page = page.json();
                for r in page["results"].as_array().unwrap() {
                    stories.push(r["story_id"].as_i64().unwrap());
                    ids.push(r["id"].as_i64().unwrap());
                }
                let Some(cursor) = page["next_cursor"].as_str() else {
                    break;
                };
                uri = format!(
                    "/api/v1/search?q=Blinken&sort={sort}&all_versions={versions}&limit=1&fields=id,story_id&cursor={cursor}"
                );
            }
            let distinct: std::collections::BTreeSet<_> = ids.iter().collect();
            assert_eq!(distinct.len(), expected, "{sort} {versions}: {ids:?}");
            assert_eq!(ids.len(), expected, "{sort} {versions}: {ids:?}");
            if versions == "false" {
                let distinct: std::collections::BTreeSet<_> = stories.iter().collect();
                assert_eq!(distinct.len(), 5, "{sort}: {stories:?}");
            }
        }
    }
}

/// A batch is saved with set-based statements; the reference saves each
/// article the one-by-one way. Both must leave the same record: ids, revisions,
/// stories, hidden boilerplate and word counts, authors and tags.
#[tokio::test]
async fn a_batch_saves_exactly_what_saving_one_by_one_saves() {
    let footer = "Subscribe to the Ledger’s morning briefing for the day’s top stories.";
    let mut articles = Vec::new();
    for n in 0..40usize {
        let source = ["Ledger", "Gazette", "Courier"][n % 3];
        let mut paragraphs = vec![
            format!(
                "The council met on day {n} to discuss the harbour budget and the ferry timetable."
            ),
            format!(
                "Councillors voted {n} to {} on the proposal after a long debate.",
                n + 3
            ),
        ];
        if source == "Ledger" {
            paragraphs.push(footer.to_owned()); // learned mid-batch, hidden in earlier ones too
        }
        let mut value = json!({
            "headline": format!("Story number {n}"),
            "source": source,
            "url": format!("https://{}.example/{n}", source.to_lowercase()),
            "authors": if n % 4 == 0 { json!([]) } else { json!([format!("Writer {}", n % 5), "Desk"]) },
            "tags": if n % 2 == 0 { json!(["harbour"]) } else { json!([]) },
            "published_at": format!("2022-05-{:02}", n % 28 + 1),
            "paragraphs": paragraphs,
        });
        if n % 7 == 3 {
            // A lightly edited wire copy at another outlet's URL: joins that story.
            let mut edited = wire();
            edited.push(format!("Reporting by the desk, edition {n}."));
            value = copy(
                "Wire",
                &format!("Wire copy {n}"),
                &format!("https://wire.example/{n}"),
                edited,
            );
        }
        if n % 11 == 5 {
            // The same URL again with new text: an update inside the batch.
            value = json!({
                "headline": "Story number 1, corrected",
                "source": "Gazette",
                "url": "https://gazette.example/1",
                "paragraphs": ["The council met on day 1 and corrected its harbour figures."],
            });
        }
        if n % 13 == 6 {
            // No source, no URL, the body of an earlier article: matched by body.
            value = json!({
                "headline": "Untitled",
                "paragraphs": ["The council met on day 0 to discuss the harbour budget and the ferry timetable."],
            });
        }
        articles.push(article(value));
    }

    let batched = TestApp::new().await;
    let all = batched
        .archive
        .save(&articles, &crate::helpers::TESTS)
        .await
        .unwrap();
    let single = TestApp::new().await;
    let one_by_one = single
        .archive
        .store()
        .save_articles_one_by_one(&articles, &crate::helpers::TESTS)
        .await
        .unwrap();
    assert_eq!(all, one_by_one);
    assert!(all.iter().any(|s| s.outcome == Outcome::Updated), "{all:?}");

    let record = |app: &TestApp| {
        let store = app.archive.store().clone();
        async move {
            let ids: Vec<i64> = (1..=50).collect();
            store
                .articles_by_ids(&ids)
                .await
                .unwrap()
                .into_iter()
                .map(|a| {
                    (
                        a.id,
                        a.revision,
                        a.content,
                        a.story_id,
                        a.captured,
                        a.word_count,
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let (batch_record, single_record) = (record(&batched).await, record(&single).await);
    assert_eq!(batch_record, single_record);
    assert!(
        batch_record.iter().filter(|r| r.4.is_some()).count() >= 3,
        "the footer was learned and hidden"
    );
    let stories: std::collections::HashSet<i64> = batch_record.iter().map(|r| r.3).collect();
    assert!(
        stories.len() < batch_record.len(),
        "wire copies share a story"
    );
}
