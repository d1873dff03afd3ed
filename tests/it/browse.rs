//! Browsing: every route answers, every internal link resolves, feeds parse
//! in a real feed parser, pages are cacheable and safe.

use std::collections::{BTreeSet, VecDeque};
use std::process::Command;

use axum::body::Body;
use axum::http::{Request, header};

use crate::helpers::{TestApp, article};

/// An archive with dated, undated, multi-author, tagged and hostile articles.
async fn browsing_app() -> TestApp {
    let app = TestApp::new().await;
    let mut batch = Vec::new();
    for n in 1..=23 {
        batch.push(article(serde_json::json!({
            "headline": format!("Harbour report number {n}"),
            "url": format!("https://example.org/harbour/{n}"),
            "published_at": format!("2022-05-{:02}T09:00:00Z", n % 3 + 15),
            "source": {"name": "Harbour Gazette", "site": "https://gazette.example"},
            "authors": ["Maren Ødegård", "Tomás Ruiz-Ferrer"],
            "section": "Local",
            "tags": ["harbour", "transport & roads"],
            "paragraphs": [format!("Ferries and bridges, report {n}."), "Commuters waited for the ferry."]
        })));
    }
    batch.push(article(serde_json::json!({
        "headline": "Undated wire copy",
        "source": "Wire",
        "paragraphs": ["A story without a date."]
    })));
    batch.push(article(serde_json::json!({
        "headline": "<script>alert('headline')</script> Ferry fares rise",
        "subheading": "<img src=x onerror=alert(1)>",
        "url": "https://example.org/xss",
        "published_at": "2021-01-02",
        "source": "Harbour Gazette",
        "authors": ["<b>Bold</b> Writer"],
        "tags": ["a/b?c#d"],
        "paragraphs": ["<a href=\"javascript:alert(1)\">click</a> fares rise by 5%."]
    })));
    app.archive
        .save(&batch, &crate::helpers::TESTS)
        .await
        .unwrap();
    app.indexed().await;
    app
}

fn internal_links(html: &str) -> Vec<String> {
    let mut links = Vec::new();
    for part in html.split("href=\"").skip(1) {
        let href = part
            .split('"')
            .next()
            .unwrap_or_default()
            .replace("&amp;", "&")
            .replace("&#38;", "&");
        if href.starts_with('/') && !href.starts_with("//") {
            links.push(href.split('#').next().unwrap().to_owned());
        }
    }
    links
}

#[tokio::test]
async fn crawling_from_home_finds_no_broken_link() {
    let app = browsing_app().await;
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from(["/".to_owned()]);
    while let Some(path) = queue.pop_front() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let mut reply = app.get(&path).await;
        if reply.status.is_redirection() {
            let to = reply.headers[header::LOCATION].to_str().unwrap().to_owned();
            reply = app.get(&to).await;
        }
        assert_eq!(reply.status, 200, "{path} is a broken link");
        if reply.content_type().starts_with("text/html") {
            queue.extend(
                internal_links(&reply.body)
                    .into_iter()
                    .filter(|l| !seen.contains(l)),
            );
        }
        assert!(seen.len() < 2_000, "the crawl does not end");
    }
    for expected in [
        "/archive",
        "/archive/2022",
        "/archive/2022/05",
        "/archive/2022/05/16",
        "/archive/undated",
        "/sources/Harbour%20Gazette",
        "/authors/Maren%20%C3%98deg%C3%A5rd",
        "/sections/Local",
        "/tags/transport%20%26%20roads",
        "/tags/a%2Fb%3Fc%23d",
        "/?page=2",
        "/feed.atom",
        "/sources/Harbour%20Gazette/feed.atom",
    ] {
        assert!(
            seen.contains(expected),
            "the crawl never reached {expected}: {seen:?}"
        );
    }
}

#[tokio::test]
async fn the_date_archive_counts_and_links_periods() {
    let app = browsing_app().await;
    let index = app.get("/archive").await;
    assert!(index.body.contains(r#"href="/archive/2022""#));
    assert!(index.body.contains(r#"href="/archive/2021""#));
    assert!(index.body.contains(r#"href="/archive/undated""#));

    let year = app.get("/archive/2022").await;
    assert!(
        year.body
            .contains(r#"<a href="/archive/2022/05"><span class="label">May"#),
        "{}",
        year.body
    );
    assert!(year.body.contains("23 articles"));

    let month = app.get("/archive/2022/05").await;
    // 23 reports over the 15th, 16th and 17th: 8 + 8 + 7.
    assert!(
        month
            .body
            .contains(r#"<a href="/archive/2022/05/16"><span class="label">16"#)
    );
    assert!(
        month
            .body
            .contains(r#"<span class="n">8<span class="visually-hidden"> articles"#)
    );
    assert!(!month.body.contains(r#"href="/archive/2022/05/18""#));

    let day = app.get("/archive/2022/05/16").await;
    assert_eq!(day.status, 200);
    assert!(day.body.contains("16 May 2022</h1>"));
    assert!(
        day.body
            .contains(r#"rel="prev" href="/archive/2022/05/15""#),
        "previous day with articles"
    );
    assert!(
        day.body
            .contains(r#"rel="next" href="/archive/2022/05/17""#),
        "next day with articles"
    );
    let first_day = app.get("/archive/2022/05/15").await;
    assert!(
        first_day
            .body
            .contains(r#"rel="prev" href="/archive/2021/01/02""#)
    );

    let empty_day = app.get("/archive/2022/05/20").await;
    assert_eq!(empty_day.status, 200);
    assert!(
        empty_day
            .body
            .contains("The archive has no articles from 20 May 2022.")
    );

    let undated = app.get("/archive/undated").await;
    assert!(undated.body.contains("Undated wire copy"));

    for bad in [
        "/archive/22",
        "/archive/2022/5",
        "/archive/2022/13",
        "/archive/2022/02/30",
        "/archive/year",
    ] {
        assert_eq!(app.get(bad).await.status, 404, "{bad}");
    }
}

#[tokio::test]
async fn names_have_index_pages_with_counts_and_paginated_pages() {
    let app = browsing_app().await;
    let sources = app.get("/sources").await;
    assert!(
        sources.body.contains(
            r#"<a href="/sources/Harbour%20Gazette">Harbour Gazette</a> <span class="n">24</span>"#
        ),
        "{}",
        sources.body
    );
    let gazette = app.get("/sources/Harbour%20Gazette").await;
    assert!(gazette.body.contains("24 articles"));
    assert!(
        gazette
            .body
            .contains(r#"href="/sources/Harbour%20Gazette?page=2""#)
    );
    let second = app.get("/sources/Harbour%20Gazette?page=2").await;
    assert_eq!(second.status, 200);
    assert_eq!(
        app.get("/sources/Harbour%20Gazette?page=3").await.status,
        404
    );
    assert_eq!(app.get("/sources/Nobody").await.status, 404);
    let authors = app.get("/authors").await;
    assert!(authors.body.contains("Tomás Ruiz-Ferrer"));
    let tags = app.get("/tags").await;
    assert!(tags.body.contains("transport &#38; roads"));
    let empty = TestApp::new().await.get("/tags").await;
    assert!(
        empty
            .body
            .contains("No article in the archive names a tag yet.")
    );
}

#[tokio::test]
async fn the_article_page_links_its_names_day_and_related_articles() {
    let app = browsing_app().await;
    let page = app.get("/articles/1/harbour-report-number-1").await;
    assert_eq!(page.status, 200);
    for link in [
        r#"href="/authors/Maren%20%C3%98deg%C3%A5rd""#,
        r#"href="/sources/Harbour%20Gazette""#,
        r#"href="/sections/Local""#,
        r#"href="/tags/harbour""#,
        r#"href="/archive/2022/05/16""#,
        r#"<meta property="og:title" content="Harbour report number 1">"#,
        r#"<meta property="og:url" content="http://localhost/articles/1/harbour-report-number-1">"#,
        r#"<meta name="description""#,
        "Related articles",
    ] {
        assert!(page.body.contains(link), "missing {link}");
    }
    assert!(page.body.contains("16 May 2022</a></time>"));
}

#[tokio::test]
async fn article_text_is_escaped_everywhere() {
    let app = browsing_app().await;
    let pages = [
        app.get("/articles/25").await,
        app.get("/").await,
        app.get("/search?q=fares").await,
        app.get("/feed.atom").await,
    ];
    let article = app
        .get(pages[0].headers[header::LOCATION].to_str().unwrap())
        .await;
    for page in pages.iter().skip(1).chain([&article]) {
        assert!(!page.body.contains("<script>alert"), "{}", page.body);
        assert!(!page.body.contains("<img src=x"));
        assert!(!page.body.contains("<a href=\"javascript:"));
        assert!(!page.body.contains("<b>Bold</b>"));
    }
    assert!(
        article.body.contains("&#60;script&#62;alert("),
        "the headline shows as text"
    );
    let csp = article.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(
        csp.contains("default-src 'self'")
            && csp.contains("frame-ancestors 'none'")
            && !csp.contains("unsafe-inline")
    );
    assert_eq!(article.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(
        article.headers[header::REFERRER_POLICY],
        "strict-origin-when-cross-origin"
    );
}

#[tokio::test]
async fn feeds_parse_in_a_real_feed_parser() {
    let app = browsing_app().await;
    let dir = tempfile::tempdir().unwrap();
    let mut args = Vec::new();
    for (path, entries) in [
        ("/feed.atom", "25"),
        ("/sources/Harbour%20Gazette/feed.atom", "24"),
        ("/sections/Local/feed.atom", "23"),
        ("/tags/transport%20%26%20roads/feed.atom", "23"),
        ("/authors/Maren%20%C3%98deg%C3%A5rd/feed.atom", "23"),
    ] {
        let reply = app.get(path).await;
        assert_eq!(reply.status, 200, "{path}");
        assert!(
            reply.content_type().starts_with("application/atom+xml"),
            "{path}"
        );
        let file = dir.path().join(format!("feed{}.xml", args.len()));
        std::fs::write(&file, &reply.body).unwrap();
        args.push(file.display().to_string());
        args.push(entries.to_owned());
    }
    assert_eq!(app.get("/tags/nothing/feed.atom").await.status, 404);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/feeds/check_feed.py");
    let out = Command::new("python3")
        .arg(script)
        .args(&args)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "feedparser found problems (scripts/test installs feedparser):\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn sitemap_and_robots_describe_the_site() {
    let app = browsing_app().await;
    let sitemap = app.get("/sitemap.xml").await;
    assert_eq!(sitemap.status, 200);
    assert!(
        sitemap
            .body
            .contains("<loc>http://localhost/articles/1/harbour-report-number-1</loc><lastmod>")
    );
    assert_eq!(sitemap.body.matches("<url>").count(), 6 + 25);
    let part = app.get("/sitemaps/1.xml").await;
    assert_eq!(part.body.matches("<url>").count(), 25);
    assert_eq!(app.get("/sitemaps/2.xml").await.status, 404);
    let robots = app.get("/robots.txt").await;
    assert!(
        robots
            .body
            .contains("Sitemap: http://localhost/sitemap.xml")
    );
    assert!(robots.body.contains("Disallow: /search"));
}

#[tokio::test]
async fn a_reload_of_an_unchanged_page_is_a_304() {
    let app = browsing_app().await;
    let first = app.get("/archive/2022/05").await;
    let etag = first.headers[header::ETAG].to_str().unwrap().to_owned();
    assert!(first.headers.contains_key(header::LAST_MODIFIED));
    let again = app
        .request(
            Request::get("/archive/2022/05")
                .header(header::IF_NONE_MATCH, &etag)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    // A change to the archive changes every page's version.
    app.archive
        .save(
            &[article(
                serde_json::json!({"headline": "New story", "paragraphs": ["Text."]}),
            )],
            &crate::helpers::TESTS,
        )
        .await
        .unwrap();
    let changed = app
        .request(
            Request::get("/archive/2022/05")
                .header(header::IF_NONE_MATCH, &etag)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(changed.status, 200);
    assert_ne!(changed.headers[header::ETAG].to_str().unwrap(), etag);
}

#[tokio::test]
async fn list_filters_combine() {
    use newsarchive::article::parse_date;
    use newsarchive::store::ArticleFilter;
    let app = browsing_app().await;
    let store = app.archive.store();
    let count = |filter: ArticleFilter| async move { store.count(&filter).await.unwrap() };
    let gazette = || ArticleFilter {
        source: Some("Harbour Gazette".into()),
        ..Default::default()
    };
    assert_eq!(count(gazette()).await, 24);
    let in_may = ArticleFilter {
        from: parse_date("2022-05-16"),
        until: parse_date("2022-05-17"),
        ..gazette()
    };
    assert_eq!(count(in_may.clone()).await, 8);
    let listed = store.list(&in_may, 5, 5).await.unwrap();
    assert_eq!(
        listed.len(),
        3,
        "the second page of five holds the last three"
    );
    let tagged = ArticleFilter {
        tag: Some("harbour".into()),
        author: Some("Tomás Ruiz-Ferrer".into()),
        ..gazette()
    };
    assert_eq!(count(tagged).await, 23);
    let undated_gazette = ArticleFilter {
        undated: true,
        ..gazette()
    };
    assert_eq!(count(undated_gazette).await, 0);
    let undated_wire = ArticleFilter {
        undated: true,
        source: Some("Wire".into()),
        ..Default::default()
    };
    assert_eq!(count(undated_wire).await, 1);
}
