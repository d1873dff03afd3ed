//! Search behaviour beyond the seed: exact forms first, folding, fields.

use crate::helpers::app_with;

#[tokio::test]
async fn exact_forms_rank_above_stemmed_ones() {
    let app = app_with(&[
        serde_json::json!({"headline": "Council votes", "paragraphs": ["Engineers will restore the old bridge deck."]}),
        serde_json::json!({"headline": "Council meets", "paragraphs": ["Engineers are restoring the old bridge deck."]}),
    ])
    .await;
    let page = app
        .archive
        .search("restoring", &Default::default())
        .await
        .unwrap();
    assert_eq!(page.total, 2);
    assert_eq!(page.results[0].article.content.headline, "Council meets");
    let page = app
        .archive
        .search("restore", &Default::default())
        .await
        .unwrap();
    assert_eq!(page.results[0].article.content.headline, "Council votes");
}

#[tokio::test]
async fn a_phrase_matches_the_words_as_written() {
    let app = app_with(&[
        serde_json::json!({"headline": "Harvest report", "paragraphs": ["Ministers discussed Food Security in Sindh."]}),
        serde_json::json!({"headline": "Markets", "paragraphs": ["Traders bought food securities in Karachi."]}),
        serde_json::json!({"headline": "Food securities rally", "paragraphs": ["Prices rose in Karachi."]}),
        serde_json::json!({"headline": "Café owners", "paragraphs": ["The cafe owners met."]}),
    ])
    .await;
    let found = |q: &'static str| {
        let app = &app;
        async move {
            let page = app.archive.search(q, &Default::default()).await.unwrap();
            let headlines: Vec<String> = page
                .results
                .iter()
                .map(|r| r.article.content.headline.clone())
                .collect();
            (
                headlines,
                page.results.first().and_then(|r| r.snippet.clone()),
            )
        }
    };
    // Case and accents aside, as written: not "food securities", in the
    // body or the headline.
    let (headlines, snippet) = found("\"food security\"").await;
    assert_eq!(headlines, ["Harvest report"]);
    assert!(
        snippet
            .unwrap()
            .html
            .contains("<mark>Food</mark> <mark>Security</mark>"),
        "the phrase is marked"
    );
    assert_eq!(found("\"café owners\"").await.0, ["Café owners"]);
    // Words without quotes still match every form.
    assert_eq!(found("food security").await.0.len(), 3);
    // A phrase left out, alone in its field or not (tantivy asserted on the
    // first in debug builds).
    assert_eq!(
        found("food -\"food securities\"").await.0,
        ["Harvest report"]
    );
    let mut kept = found("food NOT body:\"traders bought\"").await.0;
    kept.sort();
    assert_eq!(kept, ["Food securities rally", "Harvest report"]);
}

#[tokio::test]
async fn a_headline_word_counts_a_little_without_outranking_the_story() {
    // The story says each word twice; the other article says them once and
    // has "port" in its short headline. Summing a whole headline score (or a
    // headline weight of 1.5) would put the other article first.
    let articles = vec![
        serde_json::json!({
            "headline": "Walkout at the harbour",
            "paragraphs": ["Dockers at the port began a strike on Monday, and the strike \
                by dockers left ships waiting outside the port for days."]
        }),
        serde_json::json!({
            "headline": "Port chief named",
            "paragraphs": ["The harbour board named a new chief on Monday, a year after \
                a strike by dockers left ships waiting outside for days."]
        }),
    ];
    let app = app_with(&with_ferry_notes(articles)).await;
    let json = app
        .get("/api/v1/search?q=port%20strike%20dockers&fields=headline")
        .await
        .json();
    assert_eq!(
        headlines(&json),
        ["Walkout at the harbour", "Port chief named"]
    );
}

#[tokio::test]
async fn accents_and_apostrophes_are_folded() {
    let app = app_with(&[serde_json::json!({
        "headline": "Café owners on the waterfront",
        "authors": ["Maren Ødegård"],
        "paragraphs": ["The council’s plan worries the café’s regulars."]
    })])
    .await;
    for query in [
        "cafe",
        "CAFÉ",
        "odegard",
        "author:ødegård",
        "council's",
        "council’s",
    ] {
        let page = app
            .archive
            .search(query, &Default::default())
            .await
            .unwrap();
        assert_eq!(page.total, 1, "{query}");
    }
}

#[tokio::test]
async fn field_queries_search_one_field() {
    let app = app_with(&[
        serde_json::json!({"headline": "Ferries replace the bridge", "source": "Harbour Gazette", "tags": ["transport"], "paragraphs": ["Text."]}),
        serde_json::json!({"headline": "Market report", "source": "Daily Ledger", "tags": ["business"], "paragraphs": ["Ferries were late again."]}),
    ])
    .await;
    let count = |q: &'static str| {
        let archive = app.archive.clone();
        async move { archive.search(q, &Default::default()).await.unwrap().total }
    };
    assert_eq!(count("ferries").await, 2);
    assert_eq!(count("headline:ferries").await, 1);
    assert_eq!(count("source:\"harbour gazette\"").await, 1);
    assert_eq!(count("tag:business").await, 1);
    assert_eq!(
        count("ferries -transport").await,
        1,
        "the tag counts as a word of the article"
    );
    assert_eq!(count("ferries -bridge").await, 1);
    assert_eq!(count("market OR bridge").await, 2);
}

/// 120 stories over three sources, four writers, two sections and tags,
/// nine days apart from 2020-01-01; every twelfth is undated.
fn fixture() -> Vec<serde_json::Value> {
    (0..120usize)
        .map(|i| {
            let mut tags = vec![if i.is_multiple_of(2) {
                "politics"
            } else {
                "economy"
            }];
            if i.is_multiple_of(10) {
                tags.push("floods");
            }
            let source = ["Dawn", "The Hindu", "Kathmandu Post"][i % 3];
            let mut story = serde_json::json!({
                "headline": format!("Story {i} about trade"),
                "url": format!("https://example.org/{i}"),
                "source": source,
                "authors": [format!("Writer {}", i % 4)],
                "section": if i.is_multiple_of(5) { "World" } else { "Region" },
                "tags": tags,
                "paragraphs": [format!("Trade talks, round {i}."), "Ministers met again."],
            });
            if i % 12 != 11 {
                story["published_at"] = published(i).format("%Y-%m-%d").to_string().into();
            }
            story
        })
        .collect()
}

fn published(i: usize) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::TimeDelta::days(9 * i as i64)
}

fn dated(i: usize) -> Option<chrono::NaiveDate> {
    (i % 12 != 11).then(|| published(i))
}

fn count(f: impl Fn(usize) -> bool) -> u64 {
    (0..120).filter(|&i| f(i)).count() as u64
}

#[tokio::test]
async fn filters_narrow_the_search_in_the_api() {
    let app = app_with(&fixture()).await;
    let total = |uri: &str| {
        let uri = uri.to_owned();
        let app = &app;
        async move {
            let reply = app.get(&uri).await;
            assert_eq!(reply.status, 200, "{uri}: {}", reply.body);
            reply.json()["total"].as_u64().unwrap()
        }
    };
    assert_eq!(total("/api/v1/search?q=trade").await, 120);
    assert_eq!(
        total("/api/v1/search?q=trade&source=Dawn").await,
        count(|i| i.is_multiple_of(3))
    );
    assert_eq!(
        total("/api/v1/search?q=trade&source=dawn").await,
        0,
        "names are exact"
    );
    assert_eq!(
        total("/api/v1/search?q=trade&author=Writer%201").await,
        count(|i| i % 4 == 1)
    );
    assert_eq!(
        total("/api/v1/search?q=trade&tag=floods&section=World").await,
        count(|i| i.is_multiple_of(10))
    );
    let in_2021 = |i: usize| {
        dated(i).is_some_and(|d| {
            d >= chrono::NaiveDate::from_ymd_opt(2021, 1, 1).unwrap()
                && d <= chrono::NaiveDate::from_ymd_opt(2021, 12, 31).unwrap()
        })
    };
    assert_eq!(
        total("/api/v1/search?q=trade&from=2021-01-01&to=2021-12-31").await,
        count(in_2021)
    );
    // The same dates written in the query, or the query only of dates.
    assert_eq!(
        total("/api/v1/search?q=trade%20published:2021").await,
        count(in_2021)
    );
    assert_eq!(
        total("/api/v1/search?q=published:%5B2021-01-01%20TO%202021-12-31%5D").await,
        count(in_2021)
    );
    assert_eq!(
        total("/api/v1/search?q=byline:%22writer%202%22").await,
        count(|i| i % 4 == 2)
    );
    // Dates that exclude each other match nothing, without an error.
    assert_eq!(
        total("/api/v1/search?q=trade&from=2022-01-01&to=2021-01-01").await,
        0
    );
    let reply = app
        .get("/api/v1/search?q=trade%20published:someday")
        .await
        .json();
    assert_eq!(reply["total"], 120);
    assert!(
        reply["warnings"][0]
            .as_str()
            .unwrap()
            .contains("published:someday")
    );
}

#[tokio::test]
async fn results_sort_by_date_and_page_with_a_cursor() {
    let app = app_with(&fixture()).await;
    let dates = |json: &serde_json::Value| -> Vec<Option<String>> {
        json["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["published_at"].as_str().map(str::to_owned))
            .collect()
    };
    let newest = app
        .get("/api/v1/search?q=trade&sort=newest&limit=100")
        .await
        .json();
    let list = dates(&newest);
    let dated_list: Vec<&String> = list.iter().flatten().collect();
    assert!(dated_list.windows(2).all(|w| w[0] >= w[1]), "{list:?}");
    // Story 119 is undated, so 118 is the newest.
    assert_eq!(list[0].as_deref(), Some("2022-11-28T00:00:00Z"));
    let cursor = newest["next_cursor"].as_str().unwrap();
    let rest = app
        .get(&format!(
            "/api/v1/search?q=trade&sort=newest&limit=100&cursor={cursor}"
        ))
        .await
        .json();
    assert!(rest["next_cursor"].is_null());
    let rest = dates(&rest);
    assert_eq!(rest.len(), 20);
    assert!(
        rest[10..].iter().all(Option::is_none),
        "undated articles come last: {rest:?}"
    );
    assert!(newest["results"][0]["score"].is_null());
    let oldest = app
        .get("/api/v1/search?q=trade&sort=oldest&limit=5")
        .await
        .json();
    let first = dates(&oldest);
    assert_eq!(first[0].as_deref(), Some("2020-01-01T00:00:00Z"));
    assert_eq!(first[1].as_deref(), Some("2020-01-10T00:00:00Z"));
    // Results 101 to 110, then 111 to 120.
    let mut uri = "/api/v1/search?q=trade&sort=oldest&limit=100".to_owned();
    let mut last = serde_json::Value::Null;
    for _ in 0..3 {
        last = app.get(&uri).await.json();
        if let Some(cursor) = last["next_cursor"].as_str() {
            uri = format!("/api/v1/search?q=trade&sort=oldest&limit=10&cursor={cursor}");
        }
    }
    assert!(last["next_cursor"].is_null());
    assert_eq!(dates(&last).len(), 10);
    assert!(
        dates(&last).iter().all(Option::is_none),
        "undated articles come last"
    );

    let mut seen = std::collections::BTreeSet::new();
    let mut uri = "/api/v1/search?q=trade&limit=50&fields=id".to_owned();
    loop {
        let page = app.get(&uri).await.json();
        for r in page["results"].as_array().unwrap() {
            assert!(
                seen.insert(r["id"].as_i64().unwrap()),
                "an article came twice"
            );
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                uri = format!("/api/v1/search?q=trade&limit=50&fields=id&cursor={cursor}")
            }
            None => break,
        }
    }
    assert_eq!(seen.len(), 120);

    // A cursor goes on in the order it was given for, and says so when
    // `sort` asks for another; it must be one the API gave out.
    let relevance = app
        .get("/api/v1/search?q=trade&limit=5&fields=id")
        .await
        .json();
    let cursor = relevance["next_cursor"].as_str().unwrap();
    let ten = app
        .get("/api/v1/search?q=trade&limit=10&fields=id")
        .await
        .json();
    let reply = app
        .get(&format!(
            "/api/v1/search?q=trade&sort=newest&limit=5&fields=id&cursor={cursor}"
        ))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let next = reply.json();
    assert_eq!(
        next["results"].as_array().unwrap()[..],
        ten["results"].as_array().unwrap()[5..]
    );
    assert!(
        next["warnings"][0]
            .as_str()
            .unwrap()
            .contains("`sort=newest` was ignored"),
        "{next}"
    );
    for bad in ["100", "r.5", "rzz.5", "n1.x"] {
        let reply = app
            .get(&format!("/api/v1/search?q=trade&cursor={bad}"))
            .await;
        assert_eq!(reply.status, 400, "{bad}");
        assert!(reply.body.contains("`cursor`"), "{}", reply.body);
    }
}

#[tokio::test]
async fn every_page_after_a_cursor_follows_the_one_before_in_each_order() {
    let app = app_with(&fixture()).await;
    for sort in ["relevance", "newest", "oldest"] {
        let whole = app
            .get(&format!(
                "/api/v1/search?q=trade&sort={sort}&limit=100&fields=id"
            ))
            .await
            .json();
        let ids = |json: &serde_json::Value| -> Vec<i64> {
            json["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_i64().unwrap())
                .collect()
        };
        let mut paged = Vec::new();
        let mut uri = format!("/api/v1/search?q=trade&sort={sort}&limit=7&fields=id");
        for _ in 0..20 {
            let page = app.get(&uri).await.json();
            paged.extend(ids(&page));
            if paged.len() >= 100 {
                break;
            }
            let cursor = page["next_cursor"].as_str().unwrap();
            uri = format!("/api/v1/search?q=trade&sort={sort}&limit=7&fields=id&cursor={cursor}");
        }
        paged.truncate(100);
        assert_eq!(paged, ids(&whole), "{sort}");
    }
}

/// `(label, count)` of each entry of a list of counts in an API answer
/// (a facet's values, a histogram's buckets), in order.
fn counts(list: &serde_json::Value, label: &str) -> Vec<(String, u64)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v[label].as_str().unwrap().to_owned(),
                v["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn facets_and_the_histogram_count_the_matches() {
    let app = app_with(&fixture()).await;
    let reply = app
        .get("/api/v1/search?q=trade&source=Dawn&facets=source,tag,author,section,year&histogram=year")
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let json = reply.json();
    let dawn = |i: usize| i.is_multiple_of(3);
    let facet = |name: &str| counts(&json["facets"][name], "value");
    assert_eq!(facet("source"), [("Dawn".to_owned(), count(dawn))]);
    let politics = count(|i| dawn(i) && i.is_multiple_of(2));
    let economy = count(|i| dawn(i) && i % 2 == 1);
    let floods = count(|i| dawn(i) && i.is_multiple_of(10));
    assert_eq!(
        facet("tag"),
        [
            ("economy".to_owned(), economy),
            ("politics".to_owned(), politics),
            ("floods".to_owned(), floods)
        ]
    );
    assert_eq!(facet("author").len(), 4);
    // Fewer values when asked: the most common first, as in the full list.
    let two = app
        .get("/api/v1/search?q=trade&source=Dawn&facets=author,year&facet_limit=2")
        .await
        .json();
    let authors = counts(&two["facets"]["author"], "value");
    assert_eq!(authors, facet("author")[..2]);
    assert_eq!(two["facets_more"], serde_json::json!(["author"]));
    assert_eq!(json["facets_more"], serde_json::json!([]));
    assert_eq!(two["facets"]["year"].as_array().unwrap().len(), 3, "{two}");
    for bad in ["0", "1001", "many"] {
        let reply = app
            .get(&format!(
                "/api/v1/search?q=trade&facets=author&facet_limit={bad}"
            ))
            .await;
        assert_eq!(reply.status, 400, "{bad}");
        assert_eq!(reply.content_type(), "application/problem+json");
        assert!(
            reply.body.contains("`facet_limit`"),
            "{bad}: {}",
            reply.body
        );
    }
    let year =
        |y: i32| count(|i| dawn(i) && dated(i).is_some_and(|d| chrono::Datelike::year(&d) == y));
    assert_eq!(
        facet("year"),
        [
            ("2022".to_owned(), year(2022)),
            ("2021".to_owned(), year(2021)),
            ("2020".to_owned(), year(2020))
        ]
    );
    assert_eq!(json["histogram_interval"], "year");
    let histogram = counts(&json["histogram"], "date");
    assert_eq!(
        histogram,
        [
            ("2020".to_owned(), year(2020)),
            ("2021".to_owned(), year(2021)),
            ("2022".to_owned(), year(2022))
        ]
    );

    // By month, empty months are there as zeros; `auto` picks months for three years.
    let months = app
        .get("/api/v1/search?q=trade&histogram=auto")
        .await
        .json();
    assert_eq!(months["histogram_interval"], "month");
    let buckets = months["histogram"].as_array().unwrap();
    assert_eq!(buckets.first().unwrap()["date"], "2020-01");
    assert_eq!(buckets.last().unwrap()["date"], "2022-11");
    assert_eq!(buckets.len(), 35);
    let sum: u64 = buckets.iter().map(|b| b["count"].as_u64().unwrap()).sum();
    assert_eq!(sum, count(|i| dated(i).is_some()));
    let january = count(|i| dated(i).is_some_and(|d| d.format("%Y-%m").to_string() == "2020-01"));
    assert_eq!(buckets[0]["count"], january);

    // By day over a week.
    let days = app
        .get("/api/v1/search?q=trade&from=2020-01-01&to=2020-01-19&histogram=day")
        .await
        .json();
    let days: Vec<(String, u64)> = days["histogram"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["date"].as_str().unwrap().to_owned(),
                b["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(days.len(), 19);
    assert_eq!(days[0], ("2020-01-01".to_owned(), 1));
    assert_eq!(days[1], ("2020-01-02".to_owned(), 0));
    assert_eq!(days[9], ("2020-01-10".to_owned(), 1));
}

/// A search page's result links in order, and its pager's Previous and Next links.
fn results_and_pager(body: &str) -> (Vec<String>, Option<String>, Option<String>) {
    let link_after = |text: &str, marker: &str| -> Option<String> {
        let start = text.find(marker)? + marker.len();
        let end = start + text[start..].find('"')?;
        Some(text[start..end].replace("&#38;", "&"))
    };
    let list = body
        .split_once(r#"<ol class="article-list results""#)
        .map_or("", |(_, rest)| rest.split_once("</ol>").unwrap().0);
    let results = list
        .split("<h2>")
        .skip(1)
        .filter_map(|item| link_after(item, r#"<a href=""#))
        .collect();
    (
        results,
        link_after(body, r#"<a rel="prev" href=""#),
        link_after(body, r#"<a rel="next" href=""#),
    )
}

#[tokio::test]
async fn the_search_page_pages_forward_and_back_by_cursor() {
    let app = app_with(&fixture()).await;
    let first = "/search?q=trade&source=Dawn&sort=newest";
    // Forward by Next: four pages of the 40 matches, each shown once.
    let mut pages = Vec::new();
    let mut uri = Some(first.to_owned());
    while let Some(at) = uri {
        let page = app.get(&at).await;
        assert_eq!(page.status, 200, "{at}: {}", page.body);
        let (results, previous, next) = results_and_pager(&page.body);
        let shown: usize = pages
            .iter()
            .map(|(_, r): &(String, Vec<String>)| r.len())
            .sum();
        if shown > 0 {
            assert!(
                page.body.contains(&format!("showing from {}.", shown + 1)),
                "{at}: {}",
                page.body
            );
            assert!(previous.is_some(), "{at}");
        } else {
            assert_eq!(previous, None);
        }
        pages.push((at, results));
        uri = next;
        assert!(pages.len() <= 5, "the pages do not end");
    }
    let sizes: Vec<usize> = pages.iter().map(|(_, r)| r.len()).collect();
    assert_eq!(sizes, [10, 10, 10, 10]);
    let mut every: Vec<&String> = pages.iter().flat_map(|(_, r)| r).collect();
    every.sort();
    every.dedup();
    assert_eq!(every.len(), 40);
    // Back by Previous from the last page: the same pages, the first without a cursor.
    let mut at = pages[3].0.clone();
    for expected in (0..3).rev() {
        let (_, previous, _) = results_and_pager(&app.get(&at).await.body);
        at = previous.expect("a Previous link");
        let (results, _, _) = results_and_pager(&app.get(&at).await.body);
        assert_eq!(results, pages[expected].1, "{at}");
    }
    assert_eq!(at, first);
    // The cursor keeps its order; a sort beside it is left out with a note.
    let next = pages[1].0.replace("sort=newest", "sort=oldest");
    let page = app.get(&next).await;
    assert_eq!(results_and_pager(&page.body).0, pages[1].1);
    assert!(
        page.body.contains("The sort in the link was ignored"),
        "{}",
        page.body
    );
    // A cursor past the last result (here, of a wider search): no empty
    // page without a way on, but a link to the first page.
    let stale = format!("{}&from=2022-01-01", pages[3].0);
    let page = app.get(&stale).await;
    assert_eq!(page.status, 200);
    assert!(results_and_pager(&page.body).0.is_empty());
    assert!(!page.body.contains("showing from"), "{}", page.body);
    assert!(
        page.body.contains(r#"No results after this point: the link may come from another search, or from before the archive changed. <a href="/search?q=trade&#38;from=2022-01-01&#38;source=Dawn&#38;sort=newest">Go to the first page of results</a>"#),
        "{}",
        page.body
    );
    // A made-up cursor: a readable 400.
    let page = app.get("/search?q=trade&after=10").await;
    assert_eq!(page.status, 400);
    assert!(
        page.body
            .contains("(`after=`) is not one this site gives out"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn the_search_page_keeps_its_state_in_the_url() {
    let app = app_with(&fixture()).await;
    let page = app.get("/search?q=trade&source=Dawn&sort=newest").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let body = &page.body;
    assert!(body.contains("40 articles match."), "{body}");
    // The chip removes its filter and keeps the rest.
    assert!(
        body.contains(
            r#"<a href="/search?q=trade&#38;sort=newest" aria-label="Remove filter Source: Dawn">"#
        ),
        "{body}"
    );
    // Facet values narrow; the active one is marked.
    assert!(body.contains(r#"<a href="/search?q=trade&#38;source=Dawn&#38;tag=floods&#38;sort=newest">floods</a> <span class="n">4</span>"#), "{body}");
    assert!(
        body.contains(r#"aria-current="true"><strong>Dawn</strong></a> <span class="n">40</span>"#)
    );
    assert!(body.contains(r#"<a href="/search?q=trade&#38;from=2021-01-01&#38;to=2021-12-31&#38;source=Dawn&#38;sort=newest">2021</a>"#), "{body}");
    // Sort links, the current one marked.
    assert!(
        body.contains(r#"<a href="/search?q=trade&#38;source=Dawn">Best match</a>"#),
        "{body}"
    );
    assert!(body.contains(r#"aria-current="true"><strong>Newest</strong>"#));
    // Newest first: story 117 (2022-11-19) before story 114.
    let (a, b) = (
        body.find("Story 117 about").unwrap(),
        body.find("Story 114 about").unwrap(),
    );
    assert!(a < b);
    // The chart: one bar a month, each narrowing to its month, with its counts as text.
    assert!(body.contains(r#"role="group" aria-labelledby="chart-caption""#));
    assert!(body.contains("Matching articles per month, 2020-01 to 2022-11"));
    assert!(body.contains(r#"<a href="/search?q=trade&#38;from=2020-02-01&#38;to=2020-02-29&#38;source=Dawn&#38;sort=newest"><rect"#), "{body}");
    assert!(body.contains(r#"<a href="/search/histogram.csv?q=trade&#38;source=Dawn">CSV</a>"#));
    assert!(body.contains(r#"href="/search.atom?q=trade&#38;source=Dawn""#));
    // The query box keeps the filters.
    assert!(body.contains(r#"<input type="hidden" name="source" value="Dawn">"#));

    let csv = app.get("/search/histogram.csv?q=trade&source=Dawn").await;
    assert_eq!(csv.content_type(), "text/csv; charset=utf-8");
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines[0], "period,count");
    assert_eq!(lines.len(), 1 + 35);
    let sum: u64 = lines[1..]
        .iter()
        .map(|l| l.split(',').nth(1).unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(sum, count(|i| i.is_multiple_of(3) && dated(i).is_some()));

    let feed = app.get("/search.atom?q=trade&tag=floods").await;
    assert_eq!(feed.status, 200);
    assert!(feed.content_type().starts_with("application/atom+xml"));
    assert_eq!(
        feed.body.matches("<entry>").count() as u64,
        count(|i| i.is_multiple_of(10))
    );
    let newest = feed.body.find("Story 110 about").unwrap();
    assert!(newest < feed.body.find("Story 100 about").unwrap());

    // Odd filters are reported, not fatal; an empty filter is no filter.
    let odd = app.get("/search?q=trade&from=someday&source=").await;
    assert_eq!(odd.status, 200);
    assert!(odd.body.contains("`from=someday` is not a date"));
    assert!(odd.body.contains("120 articles match."));
    let help = app.get("/search/help").await;
    assert_eq!(help.status, 200);
    assert!(help.body.contains("published:[2022-05-01 TO 2022-05-31]"));
}

#[tokio::test]
async fn a_facet_with_many_values_lists_more_of_them_when_asked() {
    // Tag tNN is on the articles from NN on: t00 on all twelve, t11 on one.
    let tag = |n: usize| format!("t{n:02}");
    let articles: Vec<_> = (0..12)
        .map(|i| {
            serde_json::json!({
                "headline": format!("Trade note {i}"),
                "tags": (0..=i).map(tag).collect::<Vec<_>>(),
                "published_at": format!("2022-05-{:02}", i + 1),
                "paragraphs": [format!("Trade talks went on, day {i}.")],
            })
        })
        .collect();
    let app = app_with(&articles).await;
    let listed = |body: &str| {
        (0..12)
            .filter(|&n| {
                body.contains(&format!(r#"<a href="/search?q=trade&#38;tag={}">"#, tag(n)))
            })
            .count()
    };
    let page = app.get("/search?q=trade").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(listed(&page.body), 10, "the ten most common tags");
    assert!(
        page.body
            .contains(r#"<a href="/search?q=trade&#38;tag=t09">t09</a> <span class="n">3</span>"#),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(r#"<a href="/search?q=trade&#38;more=tag#facet-tag">More tags</a>"#),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("More sources"),
        "one source needs no more"
    );
    let more = app.get("/search?q=trade&more=tag").await;
    assert_eq!(more.status, 200, "{}", more.body);
    assert!(more.body.contains(r#"<section id="facet-tag">"#));
    // Narrowing keeps the long list open; "Fewer" closes it.
    assert!(
        more.body.contains(
            r#"<a href="/search?q=trade&#38;tag=t11&#38;more=tag">t11</a> <span class="n">1</span>"#
        ),
        "{}",
        more.body
    );
    assert!(
        more.body
            .contains(r#"<a href="/search?q=trade#facet-tag">Fewer tags</a>"#)
    );
    assert!(
        !more.body.contains("most common tags."),
        "every tag is listed"
    );
    // The chart's downloads and the feed carry the search, not page settings
    // the API would refuse.
    let every = app.get("/search?q=trade&more=tag&versions=all").await;
    let json_link = r#"href="/api/v1/search?q=trade&#38;histogram=auto&#38;limit=1&#38;fields=id""#;
    assert!(every.body.contains(json_link), "{}", every.body);
    assert!(
        every
            .body
            .contains(r#"href="/search.atom?q=trade&#38;versions=all""#)
    );
    let chart_counts = app
        .get("/api/v1/search?q=trade&histogram=auto&limit=1&fields=id")
        .await;
    assert_eq!(chart_counts.status, 200, "{}", chart_counts.body);

    // The API says which facets it cut short.
    let cut = app
        .get("/api/v1/search?q=trade&facets=tag,source,year")
        .await
        .json();
    assert_eq!(cut["facets"]["tag"].as_array().unwrap().len(), 10);
    assert_eq!(cut["facets_more"], serde_json::json!(["tag"]));
    let whole = app
        .get("/api/v1/search?q=trade&facets=tag,source&facet_limit=12")
        .await
        .json();
    assert_eq!(whole["facets"]["tag"].as_array().unwrap().len(), 12);
    assert_eq!(whole["facets_more"], serde_json::json!([]));
}

/// The headlines of a search's results, in order.
fn headlines(json: &serde_json::Value) -> Vec<&str> {
    json["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["headline"].as_str().unwrap())
        .collect()
}

/// `articles` and six notes on a busy harbour, for the words' rarity.
fn with_ferry_notes(mut articles: Vec<serde_json::Value>) -> Vec<serde_json::Value> {
    for day in 1..=6 {
        articles.push(serde_json::json!({
            "headline": format!("Ferries, day {day}"),
            "paragraphs": ["The harbour was busy with ferries."]
        }));
    }
    articles
}

/// Searches `q` among `articles` and six notes on a busy harbour, checks
/// the search was relaxed, and gives the headlines in order.
async fn relaxed_search(articles: Vec<serde_json::Value>, q: &str) -> Vec<String> {
    let app = app_with(&with_ferry_notes(articles)).await;
    let json = app
        .get(&format!(
            "/api/v1/search?q={}&fields=headline",
            q.replace(' ', "%20")
        ))
        .await
        .json();
    assert_eq!(json["relaxed"], true, "{json}");
    headlines(&json).into_iter().map(str::to_owned).collect()
}

#[tokio::test]
async fn a_relaxed_search_puts_the_story_lacking_the_commonest_word_first() {
    // The reader remembers "zygote quasar harbour"; the story has the two
    // rare words and not "harbour", which many articles have. A short note
    // with "zygote" and "harbour" over and over outscores it on BM25 alone.
    let filler = "the committee met on tuesday to review the plans for the new \
        library and the budget of the coming year while residents asked about \
        parking and the schedule of works along the river and the council said \
        it would publish the figures after the meeting of the finance group";
    let articles = vec![
        serde_json::json!({
            "headline": "Observatory budget approved",
            "paragraphs": [format!("{filler} zygote quasar.")]
        }),
        serde_json::json!({
            "headline": "Port notes",
            "paragraphs": ["Zygote harbour harbour harbour harbour."]
        }),
    ];
    let found = relaxed_search(articles, "zygote quasar harbour").await;
    assert_eq!(found, ["Observatory budget approved", "Port notes"]);
}

#[tokio::test]
async fn a_relaxed_search_counts_a_word_in_another_form_almost_as_typed() {
    // The reader remembers "supplied vaccines clinics"; the story says
    // "supplies". A long article that happens to have every word as typed,
    // once each, does not form a tier above it: the form typed only breaks
    // near ties.
    let filler = "The council met on Tuesday to discuss the budget, the \
        library, parking and the schedule of works along the river, and said \
        it would publish the figures after the meeting of the finance group";
    let articles = vec![
        serde_json::json!({
            "headline": "Council notes",
            "paragraphs": [format!("{filler}. It supplied vaccines to clinics. {filler}.")]
        }),
        serde_json::json!({
            "headline": "Supplies reach the clinics",
            "paragraphs": ["Supplies of vaccines reached the clinics. The clinics said the vaccines came on time."]
        }),
        serde_json::json!({
            "headline": "Clinic hours",
            "paragraphs": ["Vaccines are given at the clinics on Mondays."]
        }),
    ];
    let found = relaxed_search(articles, "supplied vaccines clinics").await;
    assert_eq!(found[0], "Supplies reach the clinics", "{found:?}");
}

#[tokio::test]
async fn a_misremembered_word_still_finds_the_story() {
    let app = app_with(&[
        serde_json::json!({
            "headline": "Analyst sees a thaw between Washington and Islamabad",
            "paragraphs": ["Michael Kugelman of the Wilson Center said the talks on food security were a first step."]
        }),
        serde_json::json!({
            "headline": "Talks on trade resume",
            "paragraphs": ["Ministers met in Islamabad to discuss food security and tariffs."]
        }),
        serde_json::json!({
            "headline": "Kugelman on food security",
            "paragraphs": ["Kugelman wrote about food security at the Wilson Center, not Brookings."]
        }),
        serde_json::json!({
            "headline": "Weather",
            "paragraphs": ["Rain in Lahore."]
        }),
    ])
    .await;
    // "Brookings" is wrong for the first story; only the third has every word.
    let json = app
        .get("/api/v1/search?q=kugelman%20brookings%20islamabad&fields=headline")
        .await
        .json();
    assert_eq!(json["relaxed"], true, "{json}");
    let found = headlines(&json);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.contains(&"Analyst sees a thaw between Washington and Islamabad"));
    assert!(!found.contains(&"Weather"));
    // Every word present: that article ranks first, even among relaxed results.
    let json = app
        .get("/api/v1/search?q=kugelman%20brookings%20wilson&fields=headline")
        .await
        .json();
    assert_eq!(json["relaxed"], true);
    assert_eq!(json["results"][0]["headline"], "Kugelman on food security");
    assert_eq!(json["total"], 2);
    // Every article with one of the words has both: nothing is relaxed.
    let json = app.get("/api/v1/search?q=food%20security").await.json();
    assert_eq!(json["relaxed"], false);
    assert_eq!(json["total"], 3);
    let page = app.get("/search?q=kugelman%20brookings%20islamabad").await;
    assert!(page.body.contains("Few articles have every word"));
}

#[tokio::test]
async fn no_results_offer_a_correction_from_the_archive_s_own_words() {
    let app = app_with(&[
        serde_json::json!({"headline": "Kugelman on relations", "paragraphs": ["Pakistan and the United States resumed talks."]}),
        serde_json::json!({"headline": "Weather", "paragraphs": ["Rain in Lahore and Karachi."]}),
    ])
    .await;
    let json = app.get("/api/v1/search?q=kugleman").await.json();
    assert_eq!(json["total"], 0);
    assert_eq!(json["suggestion"], "kugelman");
    let json = app.get("/api/v1/search?q=pakistn%20relatoins").await.json();
    assert_eq!(json["suggestion"], "pakistan relations");
    let json = app.get("/api/v1/search?q=zzzzqqq").await.json();
    assert!(json["suggestion"].is_null(), "nothing close: no suggestion");
    let json = app.get("/api/v1/search?q=rain").await.json();
    assert!(json["suggestion"].is_null(), "results: no suggestion");
    let page = app.get("/search?q=kugleman&sort=newest").await;
    assert!(
        page.body
            .contains(r#"Did you mean <a href="/search?q=kugelman&#38;sort=newest">kugelman</a>?"#),
        "{}",
        page.body
    );
}

/// A small deterministic generator (xorshift), so a failure can be replayed.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A string of query-ish pieces: operators, quotes, brackets, fields,
    /// dates, odd Unicode and words.
    fn query(&mut self) -> String {
        const PIECES: &[&str] = &[
            "(",
            ")",
            "\"",
            "“",
            "”",
            "-",
            "+",
            "*",
            "?",
            "~",
            "^",
            "^2",
            ":",
            "[",
            "]",
            "{",
            "}",
            " TO ",
            " AND ",
            " OR ",
            " NOT ",
            "AND",
            "OR",
            "\\",
            "/",
            "'",
            "’",
            "published:",
            "published:[",
            "date:2022-13",
            "author:",
            "byline:",
            "source:",
            "tag:",
            "colour:",
            "2022",
            "2022-05-16",
            "*",
            "trade",
            "story",
            "dawn",
            "Bhutto-Zardari",
            "é",
            "ß",
            "\u{0}",
            "\u{1c}",
            "\u{200b}",
            "\u{feff}",
            "😀",
            "𝔘",
            "\u{10ffff}",
            " ",
            "\t",
            "\n",
        ];
        let len = self.next() % 12;
        (0..len)
            .map(|_| PIECES[(self.next() % PIECES.len() as u64) as usize])
            .collect()
    }
}

#[tokio::test]
async fn random_queries_never_break_the_search() {
    let app = app_with(&fixture()).await;
    let mut noise = Noise(0x9e37_79b9_7f4a_7c15);
    for _ in 0..1500 {
        let q = noise.query();
        let encoded: String = url_encode(&q);
        for uri in [
            format!("/api/v1/search?q={encoded}&facets=source,year&histogram=auto"),
            format!("/search?q={encoded}"),
        ] {
            let reply = app.get(&uri).await;
            assert!(
                reply.status.as_u16() < 500,
                "{uri} ({q:?}) answered {}: {}",
                reply.status,
                reply.body
            );
        }
    }
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn snippets_keep_the_closing_punctuation_and_mark_cut_text() {
    let long = format!(
        "Engineers said the bridge will reopen in spring. {}",
        "The council has not yet said what the repairs will cost or who will pay for them, and residents asked again at the meeting. ".repeat(3)
    );
    let app = app_with(&[
        serde_json::json!({"headline": "Bridge", "paragraphs": ["“The ferry runs again,” the harbour master said."]}),
        serde_json::json!({"headline": "Repairs", "paragraphs": [long]}),
    ])
    .await;
    let snippet = |query: &'static str| {
        let app = &app;
        async move {
            let page = app
                .archive
                .search(query, &Default::default())
                .await
                .unwrap();
            page.results[0].snippet.clone().unwrap().html
        }
    };
    assert_eq!(
        snippet("ferry").await,
        "“The <mark>ferry</mark> runs again,” the harbour master said."
    );
    let cut = snippet("reopen").await;
    assert!(
        cut.starts_with("Engineers said the bridge will <mark>reopen</mark>"),
        "{cut}"
    );
    assert!(cut.ends_with(" …"), "{cut}");
}
