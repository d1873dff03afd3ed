//! Running the archive for years: backups taken during an import restore
//! whole, export and import round-trip exactly, a damaged index heals itself
//! (search says so meanwhile), `check --repair` fixes differences, and the
//! service endpoints, logs and signals behave as operators expect.

use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use newsarchive::archive::{Archive, database_path};
use newsarchive::store::Store;
use sqlx::sqlite::SqlitePoolOptions;

use crate::helpers::{TestApp, article, binary, generated, run, run_embedded, stdout, tamper};

/// The URLs of the articles committed in the database at `data`.
async fn committed_urls(data: &Path) -> BTreeSet<String> {
    let url = format!("sqlite://{}?mode=ro", database_path(data).display());
    let pool = SqlitePoolOptions::new().connect(&url).await.unwrap();
    let urls: Vec<String> = sqlx::query_scalar("SELECT url FROM articles WHERE url IS NOT NULL")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    urls.into_iter().collect()
}

/// Writes `files` NDJSON files of `per_file` distinct generated articles.
fn write_batches(dir: &Path, files: usize, per_file: usize) {
    std::fs::create_dir_all(dir).unwrap();
    for f in 0..files {
        let mut text = String::new();
        for n in f * per_file..(f + 1) * per_file {
            text.push_str(&generated(n, 1).to_string());
            text.push('\n');
        }
        std::fs::write(dir.join(format!("batch-{f:03}.ndjson")), text).unwrap();
    }
}

#[tokio::test]
async fn a_backup_taken_during_an_import_restores_everything_committed_before_it() {
    let work = tempfile::tempdir().unwrap();
    let live = work.path().join("live");
    let incoming = work.path().join("incoming");
    write_batches(&incoming, 60, 200);
    // The database exists before the import starts.
    Archive::open(&live).await.unwrap().close().await.unwrap();

    let mut import = binary()
        .arg("--data")
        .arg(&live)
        .arg("import")
        .arg(&incoming)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let store = Store::open(&newsarchive::store::Database::File(database_path(&live)))
        .await
        .unwrap();
    let started = Instant::now();
    while store.article_count().await.unwrap() < 1_000 {
        assert!(
            import.try_wait().unwrap().is_none(),
            "the import ended early"
        );
        assert!(started.elapsed() < Duration::from_secs(300), "no progress");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    store.close().await;
    let before = committed_urls(&live).await;
    let backup = work.path().join("archive.backup");
    let out = run_embedded(&live, &["backup", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(
        import.try_wait().unwrap().is_none(),
        "the backup should be taken while the import still runs"
    );
    assert!(import.wait().unwrap().success());
    let after_import = committed_urls(&live).await;
    assert_eq!(after_import.len(), 12_000);

    let restored = work.path().join("restored");
    let out = run_embedded(&restored, &["restore", backup.to_str().unwrap()]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("Restored: database intact"), "{text}");
    let check = run_embedded(&restored, &["check"]);
    assert!(check.status.success(), "{}", stdout(&check));
    let in_backup = committed_urls(&restored).await;
    assert!(
        before.is_subset(&in_backup),
        "{} articles committed before the backup are missing from it",
        before.difference(&in_backup).count()
    );
    assert!(in_backup.len() <= after_import.len());
    // The restored archive answers searches over what it holds.
    let found = run_embedded(&restored, &["search", "harbours", "--limit", "1"]);
    assert!(
        stdout(&found).starts_with(&format!("{} result(s)", in_backup.len())),
        "{}",
        stdout(&found)
    );
}

#[tokio::test]
async fn restore_refuses_a_used_directory_and_a_file_that_is_no_backup() {
    let work = tempfile::tempdir().unwrap();
    let live = work.path().join("live");
    let archive = Archive::open(&live).await.unwrap();
    archive
        .save(&[article(generated(1, 1))], &crate::helpers::TESTS)
        .await
        .unwrap();
    archive.close().await.unwrap();
    let backup = work.path().join("b.sqlite3");
    assert!(
        run_embedded(&live, &["backup", backup.to_str().unwrap()])
            .status
            .success()
    );
    let again = run_embedded(&live, &["backup", backup.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    let out = run_embedded(&live, &["restore", backup.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("an archive is already here"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let junk = work.path().join("junk.sqlite3");
    std::fs::write(&junk, "these are not the pages of a database").unwrap();
    let fresh = work.path().join("fresh");
    let out = run_embedded(&fresh, &["restore", junk.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("junk.sqlite3: not an SQLite database"),
        "{err}"
    );
    assert!(
        !database_path(&fresh).exists(),
        "a failed restore leaves no database behind"
    );
}

#[tokio::test]
async fn export_then_import_round_trips_exactly() {
    let app = TestApp::with_seed().await;
    let batch: Vec<_> = (0..50).map(|n| article(generated(n, 2))).collect();
    app.archive
        .save(&batch, &crate::helpers::TESTS)
        .await
        .unwrap();
    app.indexed().await;
    let work = tempfile::tempdir().unwrap();
    let first = work.path().join("first.ndjson");
    let out = run(app.data(), &["export", "--output", first.to_str().unwrap()]);
    assert!(out.status.success());
    let exported = std::fs::read_to_string(&first).unwrap();
    assert_eq!(exported.lines().count(), 51);

    let copy = work.path().join("copy");
    let out = run(&copy, &["import", first.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stdout(&out));
    let again = run(&copy, &["export"]);
    assert!(again.status.success());
    assert_eq!(
        stdout(&again),
        exported,
        "export, import, export gives the same bytes"
    );
    // The seed's fields survive, curly quotes and all.
    let seed: serde_json::Value = serde_json::from_str(exported.lines().next().unwrap()).unwrap();
    assert!(seed["headline"].as_str().unwrap().len() > 10);
    assert!(seed["paragraphs"].as_array().unwrap().len() > 3);
}

/// Asserts `check` exits 1 and its report says `problem`.
fn check_fails_saying(data: &Path, problem: &str) {
    let out = run(data, &["check"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains(problem), "{text}");
}

/// Deletes one of the index's segment files, as a disk fault would.
fn delete_a_segment_file(data: &Path) -> String {
    let root = data.join("index");
    let generation = std::fs::read_to_string(root.join("CURRENT")).unwrap();
    let dir = root.join(generation.trim());
    let victim = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "idx"))
        .expect("a segment's term index");
    std::fs::remove_file(&victim).unwrap();
    victim.display().to_string()
}

async fn archive_of(data: &Path, count: usize) {
    let archive = crate::helpers::open_archive(data).await;
    let batch: Vec<_> = (0..count).map(|n| article(generated(n, 1))).collect();
    for chunk in batch.chunks(1_000) {
        archive.save(chunk, &crate::helpers::TESTS).await.unwrap();
    }
    assert!(
        archive
            .wait_indexed(Duration::from_secs(300))
            .await
            .unwrap()
    );
    archive.close().await.unwrap();
}

#[tokio::test]
async fn a_damaged_index_is_rebuilt_while_pages_are_served_and_search_says_so() {
    let data = tempfile::tempdir().unwrap();
    archive_of(data.path(), 3_000).await;
    delete_a_segment_file(data.path());

    // `check` reports the damage without touching it.
    check_fails_saying(data.path(), "index: the search index cannot be opened");

    // Start-up notices, and rebuilds in the background.
    let archive = crate::helpers::open_archive(data.path()).await;
    let router = newsarchive::web::router(archive.clone(), Default::default());
    let app = TestApp {
        dir: data,
        archive: archive.clone(),
        router,
    };
    assert!(
        archive.rebuilding().is_some(),
        "start-up noticed the damage"
    );
    let page = app.get("/search?q=harbours").await;
    assert_eq!(page.status, 503, "{}", page.body);
    assert!(page.body.contains("Search is catching up"), "{}", page.body);
    let api = app.get("/api/v1/search?q=harbours").await;
    assert_eq!(api.status, 503);
    assert_eq!(
        api.json()["type"],
        "urn:newsarchive:problem:index-rebuilding"
    );
    assert!(api.headers.contains_key("retry-after"));
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, 503, "{}", ready.body);
    assert!(ready.body.contains("being rebuilt"), "{}", ready.body);
    // Pages that need no search keep working.
    assert_eq!(app.get("/articles/1").await.status, 308);
    assert_eq!(app.get("/archive/2020").await.status, 200);

    assert!(
        archive
            .wait_indexed(Duration::from_secs(300))
            .await
            .unwrap()
    );
    assert!(archive.rebuilding().is_none());
    let found = app.get("/api/v1/search?q=harbours&limit=1").await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert_eq!(found.json()["total"], 3_000);
    assert_eq!(app.get("/readyz").await.status, 200);
    let report = archive.check(Duration::from_secs(60)).await.unwrap();
    assert!(report.is_ok(), "{report:?}");
    archive.close().await.unwrap();
}

#[tokio::test]
async fn an_index_from_another_schema_version_is_rebuilt_at_start() {
    let data = tempfile::tempdir().unwrap();
    archive_of(data.path(), 20).await;
    let root = data.path().join("index");
    let generation = std::fs::read_to_string(root.join("CURRENT")).unwrap();
    let meta = root.join(generation.trim()).join("meta.json");
    let text = std::fs::read_to_string(&meta).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let payload: serde_json::Value =
        serde_json::from_str(json["payload"].as_str().expect("a commit payload")).unwrap();
    let mut older = payload.clone();
    older["schema_version"] = serde_json::json!(1);
    json["payload"] = serde_json::Value::String(older.to_string());
    std::fs::write(&meta, json.to_string()).unwrap();

    let archive = crate::helpers::open_archive(data.path()).await;
    assert!(archive.rebuilding().is_some());
    let report = archive.check(Duration::from_secs(120)).await.unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.articles, 20);
    archive.close().await.unwrap();
}

#[tokio::test]
async fn check_repair_fixes_every_difference_it_finds() {
    let data = tempfile::tempdir().unwrap();
    archive_of(data.path(), 5).await;
    tamper(data.path(), "UPDATE articles SET revision = 4 WHERE id = 1").await;
    tamper(data.path(), "DELETE FROM articles WHERE id = 2").await;

    let out = run(data.path(), &["check", "--repair"]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("index: article 1: database has revision 4, index has 1"),
        "{text}"
    );
    assert!(
        text.contains("repair: rebuilt the search index from the database (4 articles)"),
        "{text}"
    );
    assert!(text.contains("Repaired: database intact"), "{text}");
    let out = run(data.path(), &["check"]);
    assert!(out.status.success(), "{}", stdout(&out));

    delete_a_segment_file(data.path());
    let out = run(data.path(), &["check", "--repair"]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("cannot be opened"), "{text}");
    assert!(text.contains("Repaired: database intact"), "{text}");

    std::fs::remove_dir_all(data.path().join("index")).unwrap();
    check_fails_saying(data.path(), "there is no search index");
    let out = run(data.path(), &["check", "--repair"]);
    assert!(out.status.success(), "{}", stdout(&out));
}

#[tokio::test]
async fn metrics_count_requests_searches_and_saves() {
    let app = TestApp::with_seed().await;
    assert_eq!(app.get("/search?q=pakistan").await.status, 200);
    assert_eq!(app.get("/articles/999999/none").await.status, 404);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, 200, "{}", ready.body);
    assert_eq!(ready.json()["status"], "ready");
    // An invented method does not make a series of its own.
    let odd = axum::http::Request::builder()
        .method("FROBNICATE")
        .uri("/")
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(app.request(odd).await.status, 405);
    let token = crate::helpers::scoped_token(&app, "scraper", "metrics", None).await;
    let reply = app
        .request(crate::helpers::get_with("/metrics", &token))
        .await;
    assert_eq!(reply.status, 200);
    assert!(
        reply
            .content_type()
            .starts_with("application/openmetrics-text")
    );
    let text = reply.body;
    for line in [
        r#"newsarchive_http_requests_total{method="GET",route="/search",status="200"} 1"#,
        r#"newsarchive_http_requests_total{method="GET",route="/articles/{id}/{slug}",status="404"} 1"#,
        r#"newsarchive_http_requests_total{method="GET",route="/readyz",status="200"} 1"#,
        "newsarchive_search_duration_seconds_count 1",
        r#"newsarchive_articles_saved_total{outcome="created"} 1"#,
        "newsarchive_articles 1",
        "newsarchive_index_lag_changes 0",
    ] {
        assert!(text.lines().any(|l| l == line), "no {line} in\n{text}");
    }
    assert!(
        text.contains(
            r#"newsarchive_http_requests_total{method="OTHER",route="/",status="405"} 1"#
        ) && !text.contains("FROBNICATE"),
        "{text}"
    );
    let size = |name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name}"))
    };
    assert!(size("newsarchive_database_size_bytes") > 4096);
    assert!(size("newsarchive_index_size_bytes") > 1024);
}

#[test]
fn the_server_logs_json_lines_without_secrets_and_exits_cleanly_on_sigterm() {
    let data = tempfile::tempdir().unwrap();
    let token = stdout(&run(data.path(), &["token", "create", "--name", "ops"]))
        .trim()
        .to_owned();
    let mut server = crate::helpers::binary_for(data.path())
        .env("RUST_LOG", "info")
        .args(["--log-format", "json", "serve", "--listen", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut log = BufReader::new(server.stderr.take().unwrap());
    let mut line = String::new();
    let addr = loop {
        line.clear();
        assert!(log.read_line(&mut line).unwrap() > 0, "the server exited");
        let json: serde_json::Value = serde_json::from_str(&line).expect("a JSON log line");
        if let Some(addr) = json["message"]
            .as_str()
            .and_then(|m| m.strip_prefix("newsarchive listening on http://"))
        {
            break addr.to_owned();
        }
    };
    let request = format!(
        "POST /api/v1/articles HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
    );
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    std::io::Write::write_all(&mut stream, request.as_bytes()).unwrap();
    let mut reply = String::new();
    std::io::Read::read_to_string(&mut stream, &mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 422"), "{reply}");

    let kill = std::process::Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = server.wait().unwrap();
    assert!(status.success(), "exit status after SIGTERM: {status}");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut log, &mut rest).unwrap();
    let lines: Vec<serde_json::Value> = rest
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let access = lines
        .iter()
        .find(|l| l["target"] == "newsarchive::access")
        .expect("an access log line");
    assert_eq!(access["method"], "POST");
    assert_eq!(access["route"], "/api/v1/articles");
    assert_eq!(access["status"], 422);
    assert!(access["duration_ms"].as_f64().unwrap() >= 0.0);
    assert!(
        !rest.contains(&token) && !rest.contains(token.split('_').next_back().unwrap()),
        "the token's secret reached the log"
    );
    assert!(
        lines
            .iter()
            .any(|l| l["message"] == "the search index is committed; goodbye"),
        "{rest}"
    );
}
