//! Research tools: every match downloaded (CSV read back by Python's csv
//! module, NDJSON, the CLI), searches compared over time, WARC crawls
//! imported (written by warcio, an independent writer).

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use axum::body::Body;
use axum::http::{Request, header};
use serde_json::json;

use crate::helpers::{TestApp, api_token, app_with, generated, run, stdout};

/// Rows of a CSV text as Python's csv module reads them (newline='' as its
/// documentation asks, so that line breaks inside quoted cells survive).
fn python_csv(text: &str) -> Vec<serde_json::Map<String, serde_json::Value>> {
    let mut child = Command::new("python3")
        .args([
            "-c",
            "import csv, io, json, sys\n\
             rows = list(csv.DictReader(io.TextIOWrapper(sys.stdin.buffer, encoding='utf-8', newline='')))\n\
             print(json.dumps(rows))",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "python's csv module failed");
    serde_json::from_slice(&out.stdout).expect("JSON rows")
}

/// Articles whose names hold what CSV must quote.
fn awkward() -> Vec<serde_json::Value> {
    vec![
        json!({
            "headline": "Harbour \"ferry\" fares rise, again",
            "source": "Coast, Ferries & Co",
            "authors": ["Smith, Jr., Anna", "Ó Briain \"Dara\""],
            "section": "Local; Transport",
            "tags": ["fares", "ferries, harbours"],
            "published_at": "2021-03-04",
            "url": "https://example.org/ferry-fares",
            "paragraphs": ["The harbour ferry fares rise by a tenth from April.", "A quote about ferries, \"in quotes\"."]
        }),
        json!({
            "headline": "Ferries return after the storm",
            "source": "Harbour Gazette",
            "authors": ["Lee Chen"],
            "published_at": "2021-03-05",
            "paragraphs": ["Every ferry returned to the harbour by noon once the storm had passed."]
        }),
    ]
}

#[tokio::test]
async fn every_match_downloads_as_csv_that_python_reads_back_in_order() {
    // More matches than one batch of the export holds.
    let mut articles: Vec<_> = (0..2_300).map(|n| generated(n, 1)).collect();
    articles.extend(awkward());
    let app = app_with(&articles).await;
    let api = app.get("/api/v1/search?q=ferry&sort=oldest").await.json();
    let total = api["total"].as_u64().unwrap();
    assert!(total > 2_000, "{total}");

    let reply = app.get("/search.csv?q=ferry&sort=oldest").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.content_type(), "text/csv; charset=utf-8");
    assert_eq!(reply.headers["x-total-count"], total.to_string().as_str());
    assert!(
        reply.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    assert!(
        reply.body.starts_with(
            "id,published_at,headline,source,authors,section,tags,language,url,path,word_count,story_id\r\n"
        ),
        "{}",
        &reply.body[..200]
    );
    let rows = python_csv(&reply.body);
    assert_eq!(rows.len() as u64, total);
    // The search's order: oldest first.
    let dates: Vec<&str> = rows
        .iter()
        .map(|r| r["published_at"].as_str().unwrap())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] <= w[1]), "not oldest first");
    // Every id once; the API's first page is the file's first rows.
    let mut ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let first: Vec<String> = api["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].to_string())
        .collect();
    assert_eq!(
        ids[..first.len()],
        first.iter().map(String::as_str).collect::<Vec<_>>()[..]
    );
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len() as u64, total);
    // Names with commas, quotes and line breaks come back as they went in.
    let fares = rows
        .iter()
        .find(|r| r["url"] == "https://example.org/ferry-fares")
        .expect("the awkward article");
    assert_eq!(fares["headline"], "Harbour \"ferry\" fares rise, again");
    assert_eq!(fares["source"], "Coast, Ferries & Co");
    assert_eq!(fares["authors"], "Smith, Jr., Anna; Ó Briain \"Dara\"");
    assert_eq!(fares["section"], "Local; Transport");
    assert_eq!(fares["tags"], "fares; ferries, harbours");
    assert_eq!(fares["published_at"], "2021-03-04T00:00:00Z");

    // Compressed as it streams (the body is read to its end by the gzip layer).
    let gzipped = app
        .request(
            Request::get("/search.csv?q=ferry&sort=oldest")
                .header(header::ACCEPT_ENCODING, "gzip")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(gzipped.status, 200);
    assert_eq!(gzipped.headers[header::CONTENT_ENCODING], "gzip");

    // NDJSON of the same search: the same rows, in the same order.
    let ndjson = app.get("/search.ndjson?q=ferry&sort=oldest").await;
    assert_eq!(ndjson.content_type(), "application/x-ndjson");
    let lines: Vec<serde_json::Value> = ndjson
        .body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len() as u64, total);
    assert_eq!(
        lines
            .iter()
            .map(|l| l["id"].to_string())
            .collect::<Vec<_>>()[..10],
        rows.iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()[..10]
    );
    let record = lines
        .iter()
        .find(|l| l["url"] == "https://example.org/ferry-fares")
        .unwrap();
    // The import format plus the archive's own fields.
    assert_eq!(
        record["paragraphs"][1],
        "A quote about ferries, \"in quotes\"."
    );
    assert_eq!(record["source"]["name"], "Coast, Ferries & Co");
    for field in ["id", "path", "word_count", "story_id"] {
        assert!(record.get(field).is_some(), "{field} missing: {record}");
    }
}

#[tokio::test]
async fn the_api_export_keeps_the_search_filters_versions_and_fields() {
    let mut articles = awkward();
    // A syndicated story: one story, two articles.
    for (outlet, url) in [
        ("Harbour Gazette", "https://gazette.example/ferries-strike"),
        ("Other Wire", "https://wire.example/2021/ferries-strike"),
    ] {
        articles.push(json!({
            "headline": "Ferries halted as crews strike over pay",
            "source": outlet,
            "url": url,
            "published_at": "2021-03-06",
            "paragraphs": [
                "Ferries between the mainland and the islands were halted on Saturday as crews walked out in a dispute over pay and the length of shifts in the winter season.",
                "The operator said it had cancelled every crossing until Monday and would refund passengers who had booked tickets for the weekend, while talks with the union went on.",
                "Island councillors warned that shops and the health centre depended on the morning freight crossing and asked both sides to return to negotiations at once."
            ]
        }));
    }
    let app = app_with(&articles).await;
    let app = &app;
    let export = |query: &str| {
        let uri = format!("/api/v1/search/export?{query}");
        async move { app.get(&uri).await }
    };
    // The search counts articles; a page shows one per story.
    let total = app.get("/api/v1/search?q=ferries").await.json()["total"]
        .as_u64()
        .unwrap();
    assert_eq!(total, 4, "two articles tell the strike story");
    let reply = export("q=ferries&format=ndjson&fields=headline,authors").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let lines: Vec<serde_json::Value> = reply
        .body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // One row per story, as many as the download said it would hold.
    assert_eq!(lines.len(), 3);
    assert_eq!(reply.headers["x-total-count"], "3");
    let strike: Vec<_> = lines
        .iter()
        .filter(|l| l["headline"] == "Ferries halted as crews strike over pay")
        .collect();
    assert_eq!(strike.len(), 1);
    for line in &lines {
        let mut keys: Vec<&String> = line.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["authors", "headline", "id"]);
    }
    // Every version: the search's total, row for row.
    let all = export("q=ferries&format=csv&all_versions=true").await;
    assert_eq!(python_csv(&all.body).len() as u64, total);
    assert_eq!(all.headers["x-total-count"], total.to_string().as_str());
    let filtered = export("q=ferries&format=csv&source=Other%20Wire&fields=source,headline").await;
    let rows = python_csv(&filtered.body);
    assert_eq!(rows.len(), 1);
    // The columns in the order asked for.
    assert!(
        filtered.body.starts_with("id,source,headline\r\n"),
        "{}",
        filtered.body
    );
    assert_eq!(rows[0]["source"], "Other Wire");
    // Paragraphs, one cell: the line breaks between them survive.
    let body = export("q=fares&format=csv&fields=paragraphs").await;
    let rows = python_csv(&body.body);
    assert_eq!(
        rows[0]["paragraphs"],
        "The harbour ferry fares rise by a tenth from April.\n\nA quote about ferries, \"in quotes\"."
    );

    // Bad input is the client's error, named.
    for (query, says) in [
        ("q=ferries", "`format` is required"),
        ("q=ferries&format=xml", "format"),
        ("q=ferries&format=csv&fields=headline,body", "`body`"),
        ("format=csv", "`q` is required"),
        ("q=ferries&format=csv&limit=5", "limit"),
        ("q=ferries&format=csv&from=yesterday", "from"),
    ] {
        let reply = export(query).await;
        assert_eq!(reply.status, 400, "{query}: {}", reply.body);
        assert_eq!(reply.content_type(), "application/problem+json");
        assert!(reply.body.contains(says), "{query}: {}", reply.body);
    }
    // A query with no words finds nothing: a header and no rows.
    let empty = export("q=%21%21&format=csv").await;
    assert_eq!(empty.status, 200);
    assert_eq!(empty.headers["x-total-count"], "0");
    assert_eq!(python_csv(&empty.body).len(), 0);
}

#[tokio::test]
async fn the_search_page_links_both_downloads_and_a_comparison() {
    let app = app_with(&awkward()).await;
    let page = app.get("/search?q=ferries&source=Harbour+Gazette").await;
    assert!(
        page.body.contains(
            "Download all 1 as <a href=\"/search.csv?q=ferries&#38;source=Harbour+Gazette\" download>CSV</a>"
        ),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("/search.ndjson?q=ferries&#38;source=Harbour+Gazette")
    );
    assert!(
        page.body
            .contains("/compare?q=ferries+source%3A%22Harbour+Gazette%22"),
        "{}",
        page.body
    );
    // The link's search, as one search of a comparison, finds the same.
    let compared = app
        .get("/compare.json?q=ferries+source%3A%22Harbour+Gazette%22")
        .await
        .json();
    assert_eq!(compared["searches"][0]["total"], 1);
    let bad = app.get("/search.csv?q=ferries&from=someday").await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("someday"), "{}", bad.body);
}

#[tokio::test]
async fn downloads_have_a_rate_limit_of_their_own() {
    let app = TestApp::with_config(newsarchive::web::Config {
        download_rate_limit: 2,
        search_rate_limit: 100,
        ..Default::default()
    })
    .await;
    let ask = |uri: &'static str| {
        let request = Request::get(uri)
            .extension(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                [127, 0, 0, 9],
                4000,
            ))))
            .body(Body::empty())
            .unwrap();
        app.request(request)
    };
    assert_eq!(ask("/search.csv?q=a").await.status, 200);
    assert_eq!(
        ask("/api/v1/search/export?q=a&format=ndjson").await.status,
        200
    );
    let third = ask("/search.ndjson?q=a").await;
    assert_eq!(third.status, 429);
    assert!(third.headers.contains_key("retry-after"));
    // Searches keep their own allowance.
    assert_eq!(ask("/search?q=a").await.status, 200);
}

#[test]
fn the_cli_prints_every_match_as_csv_or_ndjson() {
    let data = tempfile::tempdir().unwrap();
    let input = data.path().join("in.ndjson");
    let mut text = String::new();
    for n in 0..30 {
        text.push_str(&generated(n, 1).to_string());
        text.push('\n');
    }
    std::fs::write(&input, text).unwrap();
    assert!(
        run(data.path(), &["import", input.to_str().unwrap()])
            .status
            .success()
    );
    let out = run(
        data.path(),
        &["search", "harbours", "--format", "csv", "--all"],
    );
    assert!(out.status.success());
    let rows = python_csv(&stdout(&out));
    assert_eq!(rows.len(), 30);
    let out = run(
        data.path(),
        &[
            "search", "harbours", "--format", "ndjson", "--limit", "5", "--fields", "headline",
        ],
    );
    assert_eq!(stdout(&out).lines().count(), 5);
    let out = run(
        data.path(),
        &["search", "harbours", "--format", "csv", "--fields", "body"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`body`"));
}

#[tokio::test]
async fn compare_draws_several_searches_on_one_chart_with_table_and_downloads() {
    let mut articles = Vec::new();
    for (i, month) in ["2021-01", "2021-02", "2021-02", "2021-04"]
        .iter()
        .enumerate()
    {
        articles.push(json!({
            "headline": format!("Flood warning {i}"),
            "published_at": format!("{month}-10"),
            "paragraphs": [format!("The river flood warning number {i} was raised.")]
        }));
    }
    for (i, month) in ["2021-02", "2021-03"].iter().enumerate() {
        articles.push(json!({
            "headline": format!("Drought report {i}"),
            "published_at": format!("{month}-12"),
            "paragraphs": [format!("A drought report number {i} was published.")]
        }));
    }
    articles.push(json!({
        "headline": "Council budget",
        "published_at": "2021-03-20",
        "paragraphs": ["The council set its budget for the coming year."]
    }));
    let app = app_with(&articles).await;
    let page = app.get("/compare?q=flood&q=drought&interval=month").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.body.matches("<polyline").count(), 2);
    assert!(page.body.contains("stroke-dasharray=\"8 4\""));
    assert!(
        page.body
            .contains("role=\"img\" aria-labelledby=\"compare-caption\"")
    );
    assert!(
        page.body
            .contains("line 1 “flood”, 4 in all; line 2 “drought”, 2 in all")
    );
    let json = app
        .get("/compare.json?q=flood&q=drought&interval=month")
        .await
        .json();
    assert_eq!(
        json["periods"],
        json!(["2021-01", "2021-02", "2021-03", "2021-04"])
    );
    assert_eq!(json["searches"][0]["counts"], json!([1, 2, 0, 1]));
    assert_eq!(json["searches"][1]["counts"], json!([0, 1, 1, 0]));
    assert_eq!(json["all_articles"], json!([1, 3, 2, 1]));
    assert_eq!(json["searches"][1]["shares"][2], json!(0.5));
    let csv = app
        .get("/compare.csv?q=flood&q=drought&interval=month")
        .await;
    let rows = python_csv(&csv.body);
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[1]["flood (articles)"], "2");
    assert_eq!(rows[1]["all articles"], "3");
    let share = app.get("/compare?q=flood&q=drought&measure=share").await;
    assert!(
        share.body.contains("Share of all articles per month"),
        "{}",
        share.body
    );
    // One search: the chart and an invitation to add another.
    let one = app.get("/compare?q=flood").await;
    assert!(one.body.contains("Add another search"));
    assert_eq!(one.body.matches("<input id=\"q").count(), 2);
    for (query, says) in [
        ("q=a&q=b&q=c&q=d&q=e&q=f", "at most 5"),
        ("q=flood&interval=week", "week"),
        ("q=flood&colour=red", "colour"),
        ("q=flood&from=soon", "soon"),
    ] {
        let reply = app.get(&format!("/compare?{query}")).await;
        assert_eq!(reply.status, 400, "{query}");
        assert!(reply.body.contains(says), "{query}: {}", reply.body);
    }
    let bad = app.get("/compare?q=flood&q=headline%3A*").await;
    assert!(
        bad.status == 400 || bad.body.contains("cannot be run"),
        "{}",
        bad.body
    );
}

/// Writes a crawl with warcio; returns the records' offsets by URI and type.
fn write_crawl(path: &Path, plain: bool) -> Vec<serde_json::Value> {
    let mut command = Command::new("python3");
    command.arg("tests/fixtures/warc/write_crawl.py").arg(path);
    if plain {
        command.arg("--plain");
    }
    let out = command.output().expect("python3 runs");
    assert!(
        out.status.success(),
        "warcio: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

const SKIPS: &str = "8 records skipped (3 not a response, 1 revisit, 1 redirect, 1 not a 200 answer, 1 not HTML, 1 not an article)";

#[test]
fn a_crawl_is_imported_record_by_record_with_the_rest_counted_by_reason() {
    let data = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let gz = files.path().join("crawl.warc.gz");
    let plain = files.path().join("crawl.warc");
    write_crawl(&gz, false);
    write_crawl(&plain, true);
    let out = run(data.path(), &["import", gz.to_str().unwrap()]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(&format!(
            "crawl.warc.gz: 3 imported, 0 updated, 0 unchanged; {SKIPS}"
        )),
        "{text}"
    );
    // The uncompressed file holds the same pages: matched, unchanged.
    let out = run(data.path(), &["import", plain.to_str().unwrap()]);
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "crawl.warc: 0 imported, 0 updated, 3 unchanged; {SKIPS}"
        )),
        "{text}"
    );
    let out = run(
        data.path(),
        &[
            "search",
            "ferry OR library OR flood",
            "--format",
            "csv",
            "--all",
            "--sort",
            "oldest",
            "--fields",
            "headline,published_at,url,source",
        ],
    );
    let rows = python_csv(&stdout(&out));
    let found: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["url"].as_str().unwrap(),
                r["published_at"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            // No date on the page: the capture's WARC-Date.
            (
                "https://news.example.org/local/ferry",
                "2019-05-04T10:00:00Z"
            ),
            // Sent chunked and gzipped.
            (
                "https://news.example.org/local/library",
                "2024-01-15T12:00:00Z"
            ),
            (
                "https://news.example.org/world/flood",
                "2024-02-06T07:30:00Z"
            ),
        ]
    );
    assert!(rows.iter().all(|r| r["source"] == "Example News"));
}

#[test]
fn a_damaged_record_fails_alone_with_its_offset() {
    let data = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let gz = files.path().join("damaged.warc.gz");
    let records = write_crawl(&gz, false);
    let ferry = records
        .iter()
        .find(|r| r["uri"] == "https://news.example.org/local/ferry" && r["type"] == "response")
        .unwrap()["offset"]
        .as_u64()
        .unwrap() as usize;
    let mut bytes = std::fs::read(&gz).unwrap();
    for b in &mut bytes[ferry + 12..ferry + 30] {
        *b = 0xff; // deflate data that does not inflate
    }
    std::fs::write(&gz, &bytes).unwrap();

    let plain = files.path().join("damaged.warc");
    write_crawl(&plain, true);
    let text = std::fs::read(&plain).unwrap();
    let at = find(
        &text,
        b"WARC-Target-URI: https://news.example.org/local/ferry",
    );
    let start = rfind(&text[..at], b"WARC/1.");
    let header_end = start + find(&text[start..], b"\r\n\r\n");
    let mut damaged = text[..start].to_vec();
    damaged.extend(
        String::from_utf8_lossy(&text[start..header_end])
            .replace("Content-Length:", "Content-Length ")
            .as_bytes(),
    );
    damaged.extend(&text[header_end..]);
    std::fs::write(&plain, damaged).unwrap();

    let out = run(
        data.path(),
        &["import", gz.to_str().unwrap(), plain.to_str().unwrap()],
    );
    let text = stdout(&out);
    assert!(!out.status.success());
    assert!(
        text.contains(&format!(
            "damaged.warc.gz: failed: record 4 at the gzip member at byte {ferry} is damaged: it cannot be read (corrupt deflate stream)"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "damaged.warc: failed: record 4 at byte {start} is damaged: it has no content-length header"
        )),
        "{text}"
    );
    // The records before and after it are read.
    assert!(
        text.contains(&format!(
            "damaged.warc.gz: 2 imported, 0 updated, 0 unchanged; {SKIPS}"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "damaged.warc: 0 imported, 0 updated, 2 unchanged; {SKIPS}"
        )),
        "{text}"
    );
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("present")
}

fn rfind(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .rposition(|w| w == needle)
        .expect("present")
}

#[tokio::test]
async fn the_api_imports_a_crawl_with_a_result_per_page() {
    let app = TestApp::new().await;
    let token = api_token(&app, "crawler").await;
    let files = tempfile::tempdir().unwrap();
    let gz = files.path().join("crawl.warc.gz");
    write_crawl(&gz, false);
    let request = Request::post("/api/v1/import")
        .header(header::CONTENT_TYPE, "application/warc")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(std::fs::read(&gz).unwrap()))
        .unwrap();
    let reply = app.request(request).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let report = reply.json();
    assert_eq!(
        report["summary"],
        json!({"lines": 3, "created": 3, "updated": 0, "unchanged": 0, "failed": 0, "omitted": 0})
    );
    assert_eq!(
        report["skipped"],
        json!({"not a response": 3, "revisit": 1, "redirect": 1, "not a 200 answer": 1, "not HTML": 1, "not an article": 1})
    );
    let lines: Vec<u64> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [3, 4, 5]);
    let found = app.get("/api/v1/search?q=ferry").await.json();
    assert_eq!(found["total"], 1);
    // Not a crawl at all: the body's own error, as a problem.
    let request = Request::post("/api/v1/import")
        .header(header::CONTENT_TYPE, "application/warc")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from("this is not a web archive"))
        .unwrap();
    let reply = app.request(request).await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(reply.content_type(), "application/problem+json");
    assert!(reply.body.contains("not a WARC file"), "{}", reply.body);
}

/// Flood stories that share their own words, among stories about other things.
fn topical_archive() -> Vec<serde_json::Value> {
    let mut articles = Vec::new();
    // Every flood story has sandbags, most the River Wend and the levee;
    // other words come and go.
    let others = [
        "Volunteers worked through the night.",
        "Engineers inspected the old mill.",
        "Residents of the lower town waited.",
        "Schools stayed closed on Tuesday.",
    ];
    for i in 0..24 {
        let mut paragraphs = vec![format!(
            "Crews handed out sandbags on day {i} of the flood."
        )];
        if i < 20 {
            paragraphs.push("Water rose along the River Wend again.".to_owned());
        }
        if i < 18 {
            paragraphs.push("Officials said the levee would hold.".to_owned());
        }
        paragraphs.push(others[i % others.len()].to_owned());
        articles.push(json!({
            "headline": format!("Flood update {i}"),
            "published_at": format!("2022-01-{:02}", i % 28 + 1),
            "language": "en",
            "paragraphs": paragraphs,
        }));
    }
    for i in 0..40 {
        articles.push(json!({
            "headline": format!("Council budget meeting {i}"),
            "published_at": format!("2022-02-{:02}", i % 28 + 1),
            "language": "en",
            "paragraphs": [
                format!("The council met on day {i} to discuss the budget for libraries, roads and the stream of applications for parking permits."),
                "Councillors said they would decide on the figures before the end of the month.".to_owned(),
            ]
        }));
    }
    for i in 0..6 {
        articles.push(json!({
            "headline": format!("Inondation numéro {i} dans la vallée"),
            "published_at": "2022-03-01",
            "language": "fr",
            "paragraphs": [format!("Les pompiers ont rempli des sacs de sable pendant la nuit, et la digue du moulin {i} a tenu face à la crue.")]
        }));
    }
    articles
}

#[tokio::test]
async fn significant_terms_name_what_sets_the_matches_apart() {
    let app = app_with(&topical_archive()).await;
    let json = app
        .get("/api/v1/search?q=flood&terms=12&limit=1&fields=id")
        .await
        .json();
    assert_eq!(json["terms_sample"], 24, "{json}");
    let terms: Vec<&str> = json["terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["term"].as_str().unwrap())
        .collect();
    // The flood stories' own words and phrases, not the council's, not
    // stop words, not the query's own word.
    // A word that only comes inside a listed phrase gives way to it.
    assert!(!terms.contains(&"Wend"), "{terms:?}");
    for expected in ["sandbags", "levee", "River Wend"] {
        assert!(
            terms.contains(&expected),
            "{expected} missing from {terms:?}"
        );
    }
    for unexpected in ["the", "and", "flood", "budget", "council"] {
        assert!(
            !terms.iter().any(|t| t.eq_ignore_ascii_case(unexpected)),
            "{unexpected} in {terms:?}"
        );
    }
    let first = &json["terms"][0];
    assert!(first["matches"].as_u64().unwrap() >= 20, "{first}");
    let share = first["share"].as_f64().unwrap();
    assert!((share - first["matches"].as_f64().unwrap() / 24.0).abs() < 1e-9);
    let scores: Vec<f64> = json["terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");

    // French matches lose French stop words.
    let french = app
        .get("/api/v1/search?q=inondation&terms=10&limit=1&fields=id")
        .await
        .json();
    let terms: Vec<&str> = french["terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["term"].as_str().unwrap())
        .collect();
    assert!(terms.iter().any(|t| t.contains("digue")), "{terms:?}");
    for stop in ["les", "des", "pendant", "dans"] {
        assert!(!terms.contains(&stop), "{stop} in {terms:?}");
    }

    // The page lists them when asked, as links that narrow the search.
    let page = app.get("/search?q=flood").await;
    assert!(
        page.body
            .contains("href=\"/search?q=flood&#38;terms=on#terms\""),
        "{}",
        page.body
    );
    assert!(!page.body.contains(">River Wend</a>"));
    let page = app.get("/search?q=flood&terms=on").await;
    assert!(
        page.body
            .contains("href=\"/search?q=flood+%22River+Wend%22&#38;terms=on\">River Wend</a>"),
        "{}",
        page.body
    );
    for bad in ["terms=0", "terms=51", "terms=many"] {
        let reply = app.get(&format!("/api/v1/search?q=flood&{bad}")).await;
        assert_eq!(reply.status, 400, "{bad}");
        assert!(reply.body.contains("terms"), "{bad}: {}", reply.body);
    }
}
